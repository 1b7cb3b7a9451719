/* api/projects.c - seed 001's outbound destinations of a project, by id, admin only:
 *   GET    /api/projects/:projectId/connectors                oldest first, paged (listing.h)
 *   POST   /api/projects/:projectId/connectors                {type, config, eventTypes, name}
 *   GET    /api/projects/:projectId/connectors/:connectorId
 *   PATCH  /api/projects/:projectId/connectors/:connectorId   any of name, config, eventTypes,
 *                                                             isActive
 *   DELETE /api/projects/:projectId/connectors/:connectorId   204
 * The project is one of the caller's (api_project_check); another project's or tenant's
 * connector id answers 404, so ids of other tenants cannot even be probed. A destination
 * shows its health: status active, paused (by the circuit breaker: until when, why) or
 * disabled, its consecutive failures, last success and last failure. */
#include <stdlib.h>
#include <string.h>

#include "api/connector_common.h"
#include "api/listing.h"
#include "core/json.h"
#include "events/events.h"
#include "outbound/destination.h"
#include "store/installs.h"
#include "store/store.h"

static json_t *text_or_null(const char *s)
{
    return s[0] ? json_string(s) : json_null();
}

/* status, pausedUntil, statusReason, consecutiveFailures, lastSuccessAt, lastFailureAt */
static int add_health(json_t *j, const struct install *in)
{
    const struct install_health *h = &in->health;
    const char *status = !in->is_active ? "disabled" : h->paused_until_ms ? "paused" : "active";
    char until[CLOCK_RFC3339_LEN] = "";
    if (in->is_active && h->paused_until_ms)
        clock_format_rfc3339(h->paused_until_ms, until);
    int rc = json_object_set_new(j, "status", json_string(status));
    rc |= json_object_set_new(j, "pausedUntil", text_or_null(until));
    rc |= json_object_set_new(j, "statusReason",
                              strcmp(status, "active") ? text_or_null(h->reason) : json_null());
    rc |= json_object_set_new(j, "consecutiveFailures", json_integer(h->consecutive_failures));
    rc |= json_object_set_new(j, "lastSuccessAt", text_or_null(h->last_success_at));
    rc |= json_object_set_new(j, "lastFailureAt", text_or_null(h->last_failure_at));
    return rc;
}

static json_t *destination_json(const struct connector_manifest *m, const struct install *in)
{
    json_t *event_types = in->event_types ? json_loads(in->event_types, 0, NULL) : NULL;
    json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:b, s:s, s:s}", "id", in->id,
                          "projectId", in->project_id, "type", in->slug, "name",
                          in->name[0] ? in->name : m->name, "config",
                          connector_config_view(m, in), "eventTypes",
                          event_types ? event_types : json_array(), "isActive", in->is_active,
                          "createdAt", in->created_at, "updatedAt", in->updated_at);
    if (j && add_health(j, in) < 0) {
        json_decref(j);
        return NULL;
    }
    return j;
}

/* A destination's name: 1 to 200 bytes of text. 0, or -1 with a field error. */
static int name_parse(const json_t *v, char out[STORE_NAME_MAX], struct http_response *res,
                      struct error *err)
{
    size_t len = json_string_length(v);
    if (!json_is_string(v) || len == 0 || len >= STORE_NAME_MAX) {
        res->error_extra = json_pack("{s:[{s:s, s:s, s:s}]}", "fields", "field", "name", "code",
                                     "wrong_type", "message",
                                     "name must be a text of 1 to 200 bytes");
        return error_set(err, ERR_VALIDATION, "name must be a text of 1 to 200 bytes");
    }
    memcpy(out, json_string_value(v), len + 1);
    return 0;
}

/* Validates eventTypes (events_subscription_parse) against what the destination can use. */
static char *event_types_parse(const json_t *v, const struct destination *dest,
                               json_t **problem)
{
    return events_subscription_parse(v, dest ? dest->slug : "", dest ? dest->accepts : NULL,
                                     problem);
}

/* Answers 422 with the field errors gathered so far: the config's (already in
 * res->error_extra when its validation failed) plus the eventTypes problem, if any. */
static int fail_fields(struct http_response *res, json_t *problem, struct error *err)
{
    if (!res->error_extra)
        res->error_extra = json_pack("{s:[]}", "fields");
    json_t *fields = json_object_get(res->error_extra, "fields");
    if (problem)
        json_array_append_new(fields, problem);
    return error_set(err, ERR_VALIDATION, "%zu invalid field(s)", json_array_size(fields));
}

/* A destination whose connector left the catalog is not listed. */
static int list_one(void *ctx, const struct install *in)
{
    const struct connector_manifest *m = catalog_find(in->slug);
    return m ? listing_collect_add(ctx, destination_json(m, in)) : 0;
}

int api_project_connectors_list(struct http_request *req, struct http_response *res,
                                struct error *err)
{
    struct app *app = req->app;
    struct listing_page page;
    if (api_project_check(req, res, err) < 0 || listing_page_parse(req, "con_", &page, err) < 0)
        return -1;
    struct listing_collect c;
    if (listing_collect_init(&c, &page, err) < 0)
        return -1;
    struct store_page sp = listing_store_page(&page);
    if (store_destination_page(app->store, req->principal->tenant_id,
                               http_request_param(req, "projectId"), &sp, list_one, &c,
                               err) < 0) {
        listing_collect_free(&c);
        return -1;
    }
    return listing_collect_respond(&c, res, "connectors", err);
}

/* Generic webhook destinations sign per Standard Webhooks with a secret made here:
 * "whsec_" + base64 of 24 random bytes, sealed beside the settings. */
static int add_signing_secret(struct app *app, struct install *in, char out[64],
                              struct error *err)
{
    unsigned char raw[24];
    char aad[2 * CRYPTO_ID_MAX + 32];
    struct buf sealed;
    if (crypto_random(raw, sizeof raw) < 0)
        return error_set(err, ERR_INTERNAL, "no randomness available");
    memcpy(out, "whsec_", 6);
    size_t o = 6 + crypto_b64(raw, sizeof raw, out + 6);
    snprintf(aad, sizeof aad, "%s/%s/signingSecret", in->tenant_id, in->id);
    buf_init(&sealed, 0);
    json_t *secrets = json_loads(in->secrets, 0, NULL);
    int rc = secrets && crypto_seal(app->master_key, aad, out, o, &sealed, err) == 0 ? 0 : -1;
    if (rc == 0) {
        json_object_set_new(secrets, "signingSecret",
                            json_pack("{s:s, s:s}", "sealed", sealed.data, "hint", ""));
        char *text = json_dumps(secrets, JSON_COMPACT);
        if (text) {
            free(in->secrets);
            in->secrets = text;
        } else {
            rc = error_set(err, ERR_INTERNAL, "out of memory");
        }
    } else if (!secrets) {
        error_set(err, ERR_INTERNAL, "stored secrets are not JSON");
    }
    json_decref(secrets);
    buf_free(&sealed);
    memset(raw, 0, sizeof raw);
    return rc;
}

int api_project_connector_create(struct http_request *req, struct http_response *res,
                                 struct error *err)
{
    const struct destination *dest;
    struct app *app = req->app;
    const char *tenant = req->principal->tenant_id;
    struct install in = {0};
    json_t *body = NULL;
    char *changed = NULL;
    int rc = -1;
    if (api_project_check(req, res, err) < 0)
        goto out;
    const struct plan *plan = connector_tenant_plan(app, tenant, err);
    if (!plan || !(body = json_parse_body(req->body, req->body_len, err)))
        goto out;
    static const char *const create_members[] = {"type", "name", "config", "eventTypes", NULL};
    if (json_only_members(body, create_members, err) < 0)
        goto out;
    const char *type = json_string_value(json_object_get(body, "type"));
    const struct connector_manifest *m = type ? catalog_find(type) : NULL;
    if (!m || m->kind != KIND_DESTINATION) {
        res->error_extra = json_pack("{s:[{s:s, s:s, s:s}]}", "fields", "field", "type", "code",
                                     type ? "not_allowed" : "required", "message",
                                     "type must be one of the 20 destination types");
        error_set(err, ERR_VALIDATION, "type must be a destination type (slack, discord, ...)");
        goto out;
    }
    json_t *config = json_object_get(body, "config");
    if (!json_is_object(config)) {
        error_set(err, config ? ERR_INVALID_FIELD : ERR_VALIDATION, "'config' must be a JSON object");
        goto out;
    }
    json_t *event_problem = NULL;
    in.event_types = event_types_parse(json_object_get(body, "eventTypes"),
                                       destination_find(m->slug), &event_problem);
    if (!in.event_types && !event_problem) {
        error_set(err, ERR_INTERNAL, "out of memory");
        goto out;
    }
    if (!connector_plan_allows(m, plan) && plan->max_destinations != 0) {
        json_decref(event_problem);
        res->error_extra = json_pack("{s:s}", "requiredPlan", m->min_plan);
        error_set(err, ERR_PLAN_REQUIRED, "%s needs the %s plan", m->name, m->min_plan);
        goto out;
    }
    memcpy(in.tenant_id, tenant, sizeof in.tenant_id);
    snprintf(in.project_id, sizeof in.project_id, "%s", http_request_param(req, "projectId"));
    snprintf(in.slug, sizeof in.slug, "%s", m->slug);
    const json_t *name = json_object_get(body, "name");
    if (!name) /* named after its type until someone names it */
        snprintf(in.name, sizeof in.name, "%s", m->name);
    else if (name_parse(name, in.name, res, err) < 0) {
        json_decref(event_problem);
        goto out;
    }
    in.is_destination = true;
    in.is_active = true;
    if (crypto_id_new("con_", in.id) < 0) {
        error_set(err, ERR_INTERNAL, "no randomness available");
        goto out;
    }
    int config_rc = connector_config_apply(app, res, m, config, NULL, &in, &changed, err);
    if ((config_rc < 0 && err->code == ERR_VALIDATION) || event_problem) {
        fail_fields(res, event_problem, err);
        goto out;
    }
    if (config_rc < 0)
        goto out;
    char signing_secret[64] = "";
    if ((dest = destination_find(m->slug)) && (dest->caps & DEST_CAP_STD_WEBHOOKS) &&
        add_signing_secret(app, &in, signing_secret, err) < 0)
        goto out;
    struct audit_entry audit = {.token_id = AUDIT_BY(req), .action = "destination.create",
                                .target = in.id, .fields = changed};
    if (store_install_insert(app->store, &in, NULL, plan->max_destinations, &audit, err) < 0) {
        if (err->code == ERR_LIMIT_REACHED)
            res->error_extra = plan->max_destinations >= 0
                                   ? json_pack("{s:i, s:s}", "limit", plan->max_destinations,
                                               "plan", plan->slug)
                                   : NULL;
        goto out;
    }
    json_t *created = destination_json(m, &in);
    if (created && signing_secret[0]) /* shown this once, like a token */
        json_object_set_new(created, "signingSecret", json_string(signing_secret));
    memset(signing_secret, 0, sizeof signing_secret);
    rc = http_respond_json(res, 201, created, err);
out:
    json_decref(body);
    free(changed);
    store_install_clear(&in);
    return rc;
}

/* Loads the caller's destination named by :connectorId in :projectId (404 for anything
 * else). */
static const struct connector_manifest *load_destination(struct http_request *req,
                                                         struct http_response *res,
                                                         struct install *in, struct error *err)
{
    struct app *app = req->app;
    const char *id = http_request_param(req, "connectorId");
    if (api_project_check(req, res, err) < 0 ||
        store_install_get(app->store, req->principal->tenant_id, id, in, err) < 0)
        return NULL;
    const struct connector_manifest *m = catalog_find(in->slug);
    if (!in->is_destination || !m ||
        strcmp(in->project_id, http_request_param(req, "projectId")) != 0) {
        error_set(err, ERR_NOT_FOUND, "connector not found");
        return NULL;
    }
    return m;
}

int api_project_connector_get(struct http_request *req, struct http_response *res,
                              struct error *err)
{
    struct install in = {0};
    const struct connector_manifest *m = load_destination(req, res, &in, err);
    int rc = m ? http_respond_json(res, 200, destination_json(m, &in), err) : -1;
    store_install_clear(&in);
    return rc;
}

/* Appends `key` to the JSON array text of changed keys. */
static int note_changed(json_t *changed, const char *key)
{
    return json_array_append_new(changed, json_string(key));
}

int api_project_connector_update(struct http_request *req, struct http_response *res,
                                 struct error *err)
{
    struct app *app = req->app;
    struct install prev = {0}, next = {0};
    json_t *body = NULL, *changed = NULL;
    char *config_changed = NULL, *changed_text = NULL;
    int rc = -1;
    const struct connector_manifest *m = load_destination(req, res, &prev, err);
    if (!m || !(body = json_parse_body(req->body, req->body_len, err)))
        goto out;
    static const char *const update_members[] = {"name", "config", "eventTypes", "isActive",
                                                 NULL};
    if (json_only_members(body, update_members, err) < 0)
        goto out;
    changed = json_array();
    next = prev;
    next.config = strdup(prev.config);
    next.secrets = strdup(prev.secrets);
    next.event_types = prev.event_types ? strdup(prev.event_types) : NULL;
    next.webhook_token_sealed = NULL;
    if (!changed || !next.config || !next.secrets) {
        error_set(err, ERR_INTERNAL, "out of memory");
        goto out;
    }
    const json_t *name = json_object_get(body, "name");
    if (name) {
        if (name_parse(name, next.name, res, err) < 0)
            goto out;
        if (strcmp(next.name, prev.name) != 0)
            note_changed(changed, "name");
    }
    json_t *config = json_object_get(body, "config");
    if (config) {
        if (!json_is_object(config)) {
            error_set(err, ERR_INVALID_FIELD, "'config' must be a JSON object");
            goto out;
        }
        if (connector_config_apply(app, res, m, config, &prev, &next, &config_changed, err) < 0)
            goto out;
        json_t *keys = json_loads(config_changed, 0, NULL);
        json_array_extend(changed, keys);
        json_decref(keys);
    }
    json_t *event_types = json_object_get(body, "eventTypes");
    if (event_types) {
        json_t *problem = NULL;
        char *text = event_types_parse(event_types, destination_find(m->slug), &problem);
        if (!text) {
            if (problem)
                fail_fields(res, problem, err);
            else
                error_set(err, ERR_INTERNAL, "out of memory");
            goto out;
        }
        if (!prev.event_types || strcmp(text, prev.event_types) != 0)
            note_changed(changed, "eventTypes");
        free(next.event_types);
        next.event_types = text;
    }
    json_t *active = json_object_get(body, "isActive");
    if (active) {
        if (!json_is_boolean(active)) {
            res->error_extra = json_pack("{s:[{s:s, s:s, s:s}]}", "fields", "field", "isActive",
                                         "code", "wrong_type", "message",
                                         "isActive must be true or false");
            error_set(err, ERR_VALIDATION, "isActive must be true or false");
            goto out;
        }
        if (json_is_true(active) != prev.is_active)
            note_changed(changed, "isActive");
        next.is_active = json_is_true(active);
    }
    changed_text = json_dumps(changed, JSON_COMPACT);
    struct audit_entry audit = {.token_id = AUDIT_BY(req), .action = "destination.update",
                                .target = prev.id, .fields = changed_text};
    if (!changed_text || store_install_update(app->store, &next, &audit, err) < 0)
        goto out;
    store_install_clear(&next);
    if (store_install_get(app->store, prev.tenant_id, prev.id, &next, err) < 0)
        goto out;
    rc = http_respond_json(res, 200, destination_json(m, &next), err);
out:
    json_decref(body);
    json_decref(changed);
    free(config_changed);
    free(changed_text);
    store_install_clear(&prev);
    store_install_clear(&next);
    return rc;
}

int api_project_connector_delete(struct http_request *req, struct http_response *res,
                                 struct error *err)
{
    struct app *app = req->app;
    struct install in = {0};
    int rc = -1;
    if (load_destination(req, res, &in, err)) {
        struct audit_entry audit = {.token_id = AUDIT_BY(req), .action = "destination.delete",
                                    .target = in.id, .fields = "[]"};
        if (store_install_delete(app->store, in.tenant_id, in.id, &audit, err) == 0)
            rc = http_respond_empty(res, 204);
    }
    store_install_clear(&in);
    return rc;
}
