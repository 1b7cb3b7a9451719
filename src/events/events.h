/* events/events.h - the platform's event types and the outbox.
 *
 * One table (types.def) lists every type with the fields of its data; "*" in a
 * subscription matches all of them but the alerts. */
#ifndef CONNECTORD_EVENTS_H
#define CONNECTORD_EVENTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "core/error.h"
#include "core/tz.h"
#include "store/store.h"

#define EVENT_TYPE_WILDCARD "*"
#define EVENT_ALERT 1u /* raised by the platform about itself; see types.def */

enum event_field_kind {
    EVENT_FIELD_STRING,
    EVENT_FIELD_DECIMAL,
    EVENT_FIELD_CURRENCY,
    EVENT_FIELD_INTEGER,
    EVENT_FIELD_BOOLEAN,
    EVENT_FIELD_OBJECT,
    EVENT_FIELD_ARRAY,
};

#define EVENT_REQUIRED true
#define EVENT_OPTIONAL false

struct event_field {
    const char *name; /* NULL ends a type's list */
    enum event_field_kind kind;
    bool required;
};

struct event_type {
    const char *name;        /* "payment.settled" */
    const char *description;
    unsigned flags;          /* EVENT_ALERT */
    const struct event_field *fields;
};

const struct event_type *events_types(size_t *count);
const struct event_type *events_type_find(const char *name); /* NULL when unknown */
bool events_type_known(const char *name); /* false for "*" */
/* A subscription entry is valid: a known type or "*". */
bool events_subscription_valid(const char *name);
/* Checks data (an object, or NULL for none) against the type's fields: appends one
 * {field, code, message} to problems for each required field missing and each listed
 * field of the wrong kind; returns how many. */
int events_data_check(const struct event_type *type, const json_t *data, json_t *problems);
/* Appends the names of the types without any of without_flags, comma-separated. */
int events_type_names(struct buf *out, unsigned without_flags);

/* Raises an alert (an EVENT_ALERT type) about an install (a destination, a sync source, ...)
 * inside tx: the event, for its project's destinations (every project's when it has none)
 * other than itself that list the type, and an audit record (action: the type, target: the
 * install, fields: audit_fields, a JSON array of what changed). data is stolen. */
int events_emit_alert(struct store_tx *tx, const struct install *about, const char *type,
                      json_t *data, const char *audit_fields, struct error *err);

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
 * {"id","type","createdAt","projectId","data"}; projectId is the event's project, or the
 * tenant's default project for events of every project. NULL when data is not JSON. */
char *events_envelope(const struct event_record *ev);

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
