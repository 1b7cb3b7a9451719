/* events/events.h - the platform's event types (seed 001) and, later, the outbox.
 *
 * One table lists the eight types; "*" in a subscription matches them all. */
#ifndef CONNECTORD_EVENTS_H
#define CONNECTORD_EVENTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"
#include "core/tz.h"
#include "store/store.h"

#define EVENT_TYPE_WILDCARD "*"

struct event_type {
    const char *name;        /* "payment.settled" */
    const char *description; /* from seed 001 */
};

const struct event_type *events_types(size_t *count);
bool events_type_known(const char *name); /* true for the eight types, false for "*" */
/* A subscription entry is valid: one of the eight or "*". */
bool events_subscription_valid(const char *name);

/* Writes an event into the outbox inside tx: the event row and one delivery per
 * subscribed active destination. data is stolen; *fanned (optional) receives the number
 * of deliveries. */
int events_emit(struct store_tx *tx, const char *tenant_id, const char *type, json_t *data,
                char id_out[CRYPTO_ID_MAX], int *fanned, struct error *err);
/* Several events with the same data (compact JSON text, not taken), in this order, the
 * tenant's destinations read once: a settled payment is payment.verified and
 * payment.settled. *fanned (optional) sums their deliveries. */
#define EVENTS_EMIT_TYPES_MAX 4
int events_emit_text(struct store_tx *tx, const char *tenant_id, const char *const *types,
                     size_t n_types, const char *data_json, int *fanned, struct error *err);

/* The envelope destinations receive, as compact JSON text (caller frees):
 * {"id","type","createdAt","projectId","data"}. NULL when data is not JSON. */
char *events_envelope(const struct event_record *ev);

/* Customer milestones: the thresholds in major units a customer's settled total can cross
 * (100, 1,000, 10,000 in the payment's currency). */
const long *events_milestones(size_t *count);

/* ---- the daily revenue summary (summary.c) -------------------------------------------- */

/* The local calendar day (YYYY-MM-DD) of a UTC instant in a zone, the day before it, and
 * the UTC bounds [from, to) of a local day in a zone, as stored timestamps (-1 when day is
 * not YYYY-MM-DD). */
void events_local_day(const struct tz_zone *zone, int64_t utc_ms, char day[11]);
void events_local_yesterday(const struct tz_zone *zone, int64_t utc_ms, char day[11]);
int events_day_bounds(const struct tz_zone *zone, const char *day, char from[CLOCK_RFC3339_LEN],
                      char to[CLOCK_RFC3339_LEN]);

/* Emits revenue.daily_summary for one tenant and local day (NULL: yesterday), in the
 * tenant's time zone, exactly once: the (tenant,
 * day) claim commits with the event, so a second call, in any process, does nothing.
 * *emitted tells whether this call did it. */
int events_daily_summary(struct store *s, const char *tenant_id, const char *day,
                         bool *emitted, struct error *err);
/* The summary of `day` (each tenant's own local day) for every tenant that has none yet. */
int events_daily_summaries_for(struct store *s, const char *day, int *emitted,
                               struct error *err);
/* The scheduler's tick: yesterday's summary, yesterday in its time zone, for every tenant
 * that has none yet. */
int events_daily_summaries_due(struct store *s, int64_t now_ms, int *emitted,
                               struct error *err);

#endif
