/* events/events.h - the owner of the event: its types, its data, the way into the outbox.
 *
 * One table (types.def) lists every field and every type with its fields; from it come
 * struct event_data, a builder per type (what producers publish) and the reader (what
 * destinations render from). events_publish() is the only way into the outbox; which
 * destination takes an event (a subscription, "*" = all but the alerts) is decided here,
 * the store only lists destinations and writes rows. */
#ifndef CONNECTORD_EVENTS_H
#define CONNECTORD_EVENTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/tz.h"
#include "crypto/crypto.h"

struct event_record;
struct install;
struct store;
struct store_tx;

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

/* Every field of types.def, by its C name: EVENT_F_amount_minor, ... */
enum event_field_id {
#define EVENT_FIELD(ident, name, kind) EVENT_F_##ident,
#include "events/types.def"
    EVENT_F_COUNT
};

struct event_field {
    enum event_field_id id;
    bool required;
};

struct event_type {
    const char *name;        /* "payment.settled" */
    const char *description;
    unsigned flags;          /* EVENT_ALERT */
    const char *title;       /* "Payment settled" */
    const char *test_title;  /* "[Test] Payment settled" */
    const struct event_field *fields;
    size_t n_fields;
};

/* A field's JSON name ("amountMinor") and kind. */
const char *events_field_name(enum event_field_id id);
enum event_field_kind events_field_kind(enum event_field_id id);

/* ---- an event's data as C: builders and the reader ------------------------------------ */

/* The C type of each kind: text as a borrowed C string (NULL: absent), numbers and
 * booleans with whether they are set, objects and lists as borrowed JSON. */
struct event_int {
    bool set;
    json_int_t value;
};
struct event_bool {
    bool set;
    bool value;
};
#define EVENT_CTYPE_STRING const char *
#define EVENT_CTYPE_DECIMAL const char *
#define EVENT_CTYPE_CURRENCY const char *
#define EVENT_CTYPE_INTEGER struct event_int
#define EVENT_CTYPE_BOOLEAN struct event_bool
#define EVENT_CTYPE_OBJECT const json_t *
#define EVENT_CTYPE_ARRAY const json_t *

/* One member per field of types.def, whatever the type: a producer fills those of its
 * type (designated initializers, the rest left zero) and calls the type's builder; a
 * reader gets every one the data carries. Nothing here is owned. */
struct event_data {
#define EVENT_FIELD(ident, name, kind) EVENT_CTYPE_##kind ident;
#include "events/types.def"
};

/* The builders, one per type: events_build_payment_settled(&d, err) returns the data as
 * compact JSON text (caller frees), the type's fields that are set in types.def's order;
 * NULL with ERR_INTERNAL when a required one is not set, a text is not UTF-8 or memory ran
 * out. What events_publish() takes as data. */
#define EVENT_TYPE(ident, name, description, flags, title, fields)                            \
    char *events_build_##ident(const struct event_data *d, struct error *err);
#include "events/types.def"
/* The objects inside data, one builder each: events_part_party(&d, err) returns a new
 * object of the part's fields (types.def's EVENT_PART), NULL with err as above. Read them
 * back with events_read(). */
#define EVENT_PART(ident, fields)                                                             \
    json_t *events_part_##ident(const struct event_data *d, struct error *err);
#include "events/types.def"
/* The same by type; ERR_INTERNAL for an unknown type. */
char *events_build(const struct event_type *type, const struct event_data *d,
                   struct error *err);

/* The reader: every field of types.def that data (an object, or NULL) carries, whatever
 * the event's type, so a destination can render what is there. A text member of another
 * JSON kind reads as NULL, a number of another kind as not set; objects and lists are
 * handed over as they are (the caller checks what it walks). Pointers borrow from data. */
void events_read(const json_t *data, struct event_data *out);

const struct event_type *events_types(size_t *count);
const struct event_type *events_type_find(const char *name); /* NULL when unknown */
bool events_type_known(const char *name); /* false for "*" */
/* ---- subscriptions: a destination's eventTypes (subscription.c) ----------------------- */

#define EVENTS_SUBSCRIPTION_MAX 16 /* entries in one eventTypes list */
/* A subscription entry is valid: a known type or "*". */
bool events_subscription_valid(const char *name);
/* Whether a stored eventTypes list (JSON text as events_subscription_parse made it) takes
 * an event of type: the list names it, or holds "*" and the type is not an alert. */
bool events_subscription_matches(const char *event_types, const char *type);
/* Validates eventTypes from a request: a non-empty array of at most
 * EVENTS_SUBSCRIPTION_MAX known types or "*", without repeats, and for a destination that
 * can use only some types (accepts, NULL-terminated; NULL: all), none other; there "*" is
 * stored as the types it accepts. Returns the compact JSON text to store (caller frees), or
 * NULL with *problem set to a field error {field, code, message} (new reference) or, when
 * memory ran out, left NULL. slug names the destination in the message. */
char *events_subscription_parse(const json_t *v, const char *slug, const char *const *accepts,
                                json_t **problem);
/* Checks data (an object, or NULL for none) against the type's fields: appends one
 * {field, code, message} to problems for each required field missing and each listed
 * field of the wrong kind; returns how many. */
int events_data_check(const struct event_type *type, const json_t *data, json_t *problems);
/* Appends the names of the types without any of without_flags, comma-separated. */
int events_type_names(struct buf *out, unsigned without_flags);

/* Raises an alert (an EVENT_ALERT type) about an install (a destination, a sync source, ...)
 * inside tx, through events_publish(): the event, for its project's destinations (every
 * project's when it has none) other than itself that list the type, and an audit record
 * (action: the type, target: the install, fields: audit_fields, a JSON array of what
 * changed). data: the JSON text from the type's builder (not taken; NULL when the builder
 * failed, whose error err already holds). */
int events_emit_alert(struct store_tx *tx, const struct install *about, const char *type,
                      const char *data, const char *audit_fields, struct error *err);

/* The one way into the outbox: writes n events (of one tenant, project
 * and alert subject) inside tx, each event's row and one pending delivery for every
 * active destination of its project (of every project when project_id is "") that takes it
 * (events_subscription_matches), the destinations read once. tenant_id, type (one of
 * types.def) and data (compact JSON text, not taken) must be set; alert_of is set for an
 * alert and only then; id and created_at are made when empty (a caller that answers with
 * the envelope makes them first). *fanned (optional) sums the deliveries. */
int events_publish(struct store_tx *tx, struct event_record *evs, size_t n, int *fanned,
                   struct error *err);

/* The envelope destinations receive: {"id","type","createdAt","projectId","data"};
 * projectId is the event's project, or the tenant's default project for events of every
 * project. As JSON (data: ev->data already parsed, a reference is taken, or NULL to parse
 * ev->data here; caller decrefs), or as compact text (caller frees) with ev->data put in
 * as it is, so ev->data must be JSON text (a stored event's is). NULL when ev->data is not
 * JSON (the tree) or memory ran out. */
json_t *events_envelope_json(const struct event_record *ev, json_t *data);
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
