/* events/emit.c - writing events into the outbox, and their envelope. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events/events.h"

int events_emit_text(struct store_tx *tx, const char *tenant_id, const char *const *types,
                     size_t n_types, const char *data_json, int *fanned, struct error *err)
{
    struct event_record evs[EVENTS_EMIT_TYPES_MAX] = {0};
    if (n_types > EVENTS_EMIT_TYPES_MAX)
        return error_set(err, ERR_INTERNAL, "at most %d events at once", EVENTS_EMIT_TYPES_MAX);
    for (size_t i = 0; i < n_types; i++) {
        evs[i].data = data_json;
        snprintf(evs[i].tenant_id, sizeof evs[i].tenant_id, "%s", tenant_id);
        snprintf(evs[i].type, sizeof evs[i].type, "%s", types[i]);
    }
    return store_events_insert(tx, evs, n_types, fanned, err);
}

int events_emit(struct store_tx *tx, const char *tenant_id, const char *type, json_t *data,
                char id_out[CRYPTO_ID_MAX], int *fanned, struct error *err)
{
    char *text = data ? json_dumps(data, JSON_COMPACT) : NULL;
    json_decref(data);
    if (!text)
        return error_set(err, ERR_INTERNAL, "out of memory");
    struct event_record ev = {.data = text};
    snprintf(ev.tenant_id, sizeof ev.tenant_id, "%s", tenant_id);
    snprintf(ev.type, sizeof ev.type, "%s", type);
    int rc = store_event_insert(tx, &ev, fanned, err);
    free(text);
    if (rc == 0)
        memcpy(id_out, ev.id, sizeof ev.id);
    return rc;
}

char *events_envelope(const struct event_record *ev)
{
    json_t *data = json_loads(ev->data, 0, NULL);
    if (!data)
        return NULL;
    const char *project = ev->project_id[0] ? ev->project_id : ev->tenant_id;
    json_t *env = json_pack("{s:s, s:s, s:s, s:s, s:o}", "id", ev->id, "type", ev->type,
                            "createdAt", ev->created_at, "projectId", project, "data", data);
    char *text = env ? json_dumps(env, JSON_COMPACT) : NULL;
    json_decref(env);
    return text;
}

int events_emit_alert(struct store_tx *tx, const struct install *about, const char *type,
                      json_t *data, const char *audit_fields, struct error *err)
{
    const struct event_type *t = events_type_find(type);
    char *text = data ? json_dumps(data, JSON_COMPACT) : NULL;
    json_decref(data);
    if (!t || !(t->flags & EVENT_ALERT)) {
        free(text);
        return error_set(err, ERR_INTERNAL, "%s is not an alert type", type);
    }
    if (!text)
        return error_set(err, ERR_INTERNAL, "out of memory");
    struct event_record ev = {.data = text};
    snprintf(ev.tenant_id, sizeof ev.tenant_id, "%s", about->tenant_id);
    snprintf(ev.project_id, sizeof ev.project_id, "%s", about->project_id);
    snprintf(ev.alert_of, sizeof ev.alert_of, "%s", about->id);
    snprintf(ev.type, sizeof ev.type, "%s", type);
    struct audit_entry audit = {.token_id = NULL, .action = type, .target = about->id,
                                .fields = audit_fields};
    int rc = store_event_insert(tx, &ev, NULL, err) < 0 ||
                     store_tx_audit(tx, about->tenant_id, &audit, err) < 0
                 ? -1
                 : 0;
    free(text);
    return rc;
}
