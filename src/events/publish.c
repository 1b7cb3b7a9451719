/* events/publish.c - the one way into the outbox, and the envelope destinations receive.
 *
 * events_publish() writes an event's row and, in the same transaction, one delivery per
 * active destination that takes it (events_subscription_matches), so no event is lost
 * between its commit and its send. The store only lists destinations and writes rows. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "events/events.h"
#include "store/installs.h"
#include "store/outbox.h"

/* The destinations of one publish: ids and their eventTypes texts, owned. */
struct targets {
    char (*ids)[CRYPTO_ID_MAX];
    char **types;
    size_t n, cap;
    int failed;
};

static int add_target(void *ctx, const char *id, const char *event_types)
{
    struct targets *t = ctx;
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 8;
        void *ids = realloc(t->ids, cap * sizeof *t->ids);
        if (ids)
            t->ids = ids;
        void *types = ids ? realloc(t->types, cap * sizeof *t->types) : NULL;
        if (!types) {
            t->failed = 1;
            return 1;
        }
        t->types = types;
        t->cap = cap;
    }
    if (!(t->types[t->n] = strdup(event_types ? event_types : "[]"))) {
        t->failed = 1;
        return 1;
    }
    snprintf(t->ids[t->n++], CRYPTO_ID_MAX, "%s", id);
    return 0;
}

static void targets_free(struct targets *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->types[i]);
    free(t->types);
    free(t->ids);
}

/* Checks that the events can go in together and makes the ids and times not given. */
static int prepare(struct event_record *evs, size_t n, int64_t now_ms, struct error *err)
{
    for (size_t e = 0; e < n; e++) {
        struct event_record *ev = &evs[e];
        const struct event_type *t = events_type_find(ev->type);
        if (!t || !ev->data)
            return error_set(err, ERR_INTERNAL, "event %s unknown or without data", ev->type);
        if (((t->flags & EVENT_ALERT) != 0) != (ev->alert_of[0] != '\0'))
            return error_set(err, ERR_INTERNAL, "%s: an alert names its subject, nothing else",
                             ev->type);
        if (strcmp(ev->tenant_id, evs[0].tenant_id) != 0 ||
            strcmp(ev->project_id, evs[0].project_id) != 0 ||
            strcmp(ev->alert_of, evs[0].alert_of) != 0)
            return error_set(err, ERR_INTERNAL, "events published together share their project");
        if (!ev->created_at[0])
            clock_format_rfc3339(now_ms, ev->created_at);
        if (!ev->id[0] && crypto_id_new("evt_", ev->id) < 0)
            return error_set(err, ERR_INTERNAL, "no randomness available");
    }
    return 0;
}

int events_publish(struct store_tx *tx, struct event_record *evs, size_t n, int *fanned,
                   struct error *err)
{
    int64_t now_ms = clock_now_ms();
    struct targets targets = {0};
    int rc = -1;
    if (fanned)
        *fanned = 0;
    if (n == 0)
        return 0;
    if (prepare(evs, n, now_ms, err) < 0)
        return -1;
    /* The destinations are read once for all the events. */
    if (store_event_destinations(tx, evs[0].tenant_id, evs[0].project_id, evs[0].alert_of,
                                 add_target, &targets, err) < 0)
        goto out;
    if (targets.failed) {
        error_set(err, ERR_INTERNAL, "out of memory");
        goto out;
    }
    int written = 0;
    for (size_t e = 0; e < n; e++) {
        if (store_event_row_insert(tx, &evs[e], err) < 0)
            goto out;
        for (size_t i = 0; i < targets.n; i++) {
            if (!events_subscription_matches(targets.types[i], evs[e].type))
                continue;
            if (store_delivery_insert(tx, &evs[e], targets.ids[i], now_ms, err) < 0)
                goto out;
            written++;
        }
    }
    /* The delivery engines of all processes sharing the store look for work once this
     * commits. The payload is the same for every publish, so a group commit of many
     * webhooks announces once. */
    if (written > 0 && store_notify_tx(tx, STORE_CHANNEL_DELIVERIES, "", err) < 0)
        goto out;
    if (fanned)
        *fanned = written;
    rc = 0;
out:
    targets_free(&targets);
    return rc;
}

json_t *events_envelope_json(const struct event_record *ev, json_t *data)
{
    json_t *own = data ? json_incref(data) : json_loads(ev->data, 0, NULL);
    if (!own)
        return NULL;
    const char *project = ev->project_id[0] ? ev->project_id : ev->tenant_id;
    return json_pack("{s:s, s:s, s:s, s:s, s:o}", "id", ev->id, "type", ev->type, "createdAt",
                     ev->created_at, "projectId", project, "data", own);
}

/* The text is put together around ev->data as stored (compact JSON written by the
 * publisher) instead of parsing and printing it again: the engine makes one per event
 * it sends, and the round trip through a tree was most of that cost. */
char *events_envelope(const struct event_record *ev)
{
    const char *project = ev->project_id[0] ? ev->project_id : ev->tenant_id;
    const char *const names[] = {"{\"id\":\"", "\",\"type\":\"", "\",\"createdAt\":\"",
                                 "\",\"projectId\":\""};
    const char *const values[] = {ev->id, ev->type, ev->created_at, project};
    struct buf out;
    int rc = 0;
    if (!ev->data)
        return NULL;
    buf_init(&out, 0);
    for (size_t i = 0; rc == 0 && i < sizeof names / sizeof names[0]; i++)
        if (buf_append_str(&out, names[i]) < 0 ||
            json_escape_append(&out, values[i], strlen(values[i])) < 0)
            rc = -1;
    if (rc == 0 && (buf_append_str(&out, "\",\"data\":") < 0 ||
                    buf_append_str(&out, ev->data) < 0 || buf_append_str(&out, "}") < 0))
        rc = -1;
    if (rc < 0) {
        buf_free(&out);
        return NULL;
    }
    return out.data; /* the buffer's bytes, handed over */
}

int events_emit_alert(struct store_tx *tx, const struct install *about, const char *type,
                      const char *data, const char *audit_fields, struct error *err)
{
    const struct event_type *t = events_type_find(type);
    if (!t || !(t->flags & EVENT_ALERT))
        return error_set(err, ERR_INTERNAL, "%s is not an alert type", type);
    if (!data)
        return -1; /* its builder failed and said why */
    struct event_record ev = {.data = data};
    snprintf(ev.tenant_id, sizeof ev.tenant_id, "%s", about->tenant_id);
    snprintf(ev.project_id, sizeof ev.project_id, "%s", about->project_id);
    snprintf(ev.alert_of, sizeof ev.alert_of, "%s", about->id);
    snprintf(ev.type, sizeof ev.type, "%s", type);
    struct audit_entry audit = {.token_id = NULL, .action = type, .target = about->id,
                                .fields = audit_fields};
    if (events_publish(tx, &ev, 1, NULL, err) < 0 ||
        store_tx_audit(tx, about->tenant_id, &audit, err) < 0)
        return -1;
    return 0;
}
