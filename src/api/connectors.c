/* api/connectors.c - seed 000's connector store API, by slug, admin only:
 *   GET  /api/connectors                  the catalog with install status and plan gating
 *   GET  /api/connectors/:slug            one entry, its schema, its config (masked), URL
 *   POST /api/connectors/:slug/install    {"config": {...}}: validate, gate, store, token
 *   POST /api/connectors/:slug/uninstall  remove; the webhook token dies with the row
 *   PUT  /api/connectors/:slug/config     {"config": {...}}: change the fields given (null:
 *                                         back to the default); fields left out are kept
 * An install may leave out an awaitable credential (the webhook secret the provider shows
 * only once the webhook URL is registered): it is then "awaiting_secret" until PUT config
 * saves it.
 * Destinations are listed here too, but are created through the project API (projects.c). */
#include <stdlib.h>
#include <string.h>

#include "api/connector_common.h"
#include "core/log.h"
#include "api/sync_view.h"
#include "chat/chat.h"
#include "core/log.h"
#include "core/json.h"
#include "core/utf8.h"
#include "oauth/oauth.h"
#include "store/installs.h"

#define WEBHOOK_TOKEN_BYTES 32

/* Per-slug facts about this tenant, gathered with one pass over its installs. */
struct install_index {
    const struct connector_manifest *all;
    size_t n;
    bool *installed;      /* seed-000 install present */
    bool *awaiting;       /* ... and still waiting for its webhook secret */
    int *destination_count;
};

static int index_install(void *ctx, const struct install *in)
{
    struct install_index *ix = ctx;
    for (size_t i = 0; i < ix->n; i++) {
        if (strcmp(ix->all[i].slug, in->slug) == 0) {
            if (in->is_destination) {
                ix->destination_count[i]++;
            } else {
                ix->installed[i] = true;
                ix->awaiting[i] = connector_awaiting_secret(&ix->all[i], in);
            }
        }
    }
    return 0;
}

/* status: awaiting_secret (installed, webhooks answered 503 until its secret is saved),
 * installed, available or locked. requiredPlan is the lowest plan whose planAllows is
 * true, so the two never disagree. */
static json_t *entry_json(const struct connector_manifest *m, const struct plan *plan,
                          bool installed, bool awaiting, int destination_count)
{
    bool allowed = connector_plan_allows(m, plan);
    const struct plan *required = connector_required_plan(m);
    const char *status = installed && awaiting             ? "awaiting_secret"
                         : installed || destination_count ? "installed"
                         : allowed                        ? "available"
                                                          : "locked";
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:s}", "slug", m->slug,
                          "name", m->name, "description", m->description, "kind",
                          catalog_kind_name(m->kind), "category", m->category, "authLabel",
                          m->auth_label, "requiredPlan", required ? required->slug : m->min_plan,
                          "planAllows", allowed, "status", status);
    if (!o)
        return NULL;
    json_object_set_new(o, "installed", json_boolean(installed));
    if (m->kind == KIND_DESTINATION)
        json_object_set_new(o, "installedCount", json_integer(destination_count));
    return o;
}

/* What an outside connector's entry adds: its publisher and version, a notice once it is
 * unpublished, and for an install that an approved version could not move (its config
 * does not fit) that the update needs the admin's input (PUT config). in may be NULL. */
static void outside_members(json_t *o, const struct outside_connector *oc,
                            const struct install *in)
{
    const struct published_connector *p = &oc->row;
    json_object_set_new(o, "outside", json_true());
    json_object_set_new(o, "publisher", json_pack("{s:s, s:s}", "id", p->developer_id, "name",
                                                  p->developer_name));
    json_object_set_new(o, "version", json_integer(p->version));
    json_object_set_new(o, "published", json_boolean(p->is_published));
    if (!p->is_published) {
        char notice[256];
        snprintf(notice, sizeof notice,
                 "Unpublished on %.10s: it cannot be installed again; an install keeps working",
                 p->unpublished_at);
        json_object_set_new(o, "notice", json_string(notice));
        if (!in)
            json_object_set_new(o, "status", json_string("unpublished"));
    }
    if (in) {
        json_object_set_new(o, "installedVersion", json_integer(in->manifest_version));
        json_object_set_new(o, "updateNeedsInput", json_boolean(in->manifest_version < p->version));
    }
}

struct outside_list {
    struct app *app;
    const char *tenant;
    const struct plan *plan;
    json_t *list;
    struct error *err;
};

/* An outside connector in a tenant's list: every published one, and an unpublished one
 * only where the tenant has it installed. */
static int add_outside(void *ctx, const struct outside_connector *oc)
{
    struct outside_list *ol = ctx;
    struct install in = {0};
    bool installed = store_install_get_slug(ol->app->store, ol->tenant, oc->row.slug, &in,
                                            ol->err) == 0;
    if (!installed && ol->err->code != ERR_NOT_FOUND)
        return -1;
    int rc = 0;
    if (installed || oc->row.is_published) {
        const struct connector_manifest *m = oc->manifest.m;
        json_t *o = entry_json(m, ol->plan, installed,
                               installed && connector_awaiting_secret(m, &in), 0);
        if (o)
            outside_members(o, oc, installed ? &in : NULL);
        rc = o && json_array_append_new(ol->list, o) == 0 ? 0 : -1;
        if (rc < 0)
            error_set(ol->err, ERR_INTERNAL, "out of memory");
    }
    store_install_clear(&in);
    return rc;
}

int api_connectors_list(struct http_request *req, struct http_response *res, struct error *err)
{
    struct app *app = req->app;
    const char *tenant = req->principal->tenant_id;
    const struct plan *plan = connector_tenant_plan(app, tenant, err);
    if (!plan)
        return -1;
    size_t n = 0;
    const struct connector_manifest *all = catalog_all(&n);
    struct install_index ix = {.all = all, .n = n, .installed = calloc(n, sizeof(bool)),
                               .awaiting = calloc(n, sizeof(bool)),
                               .destination_count = calloc(n, sizeof(int))};
    json_t *list = json_array();
    int rc = -1;
    if (!ix.installed || !ix.awaiting || !ix.destination_count || !list) {
        error_set(err, ERR_INTERNAL, "out of memory");
        goto out;
    }
    if (store_install_list(app->store, tenant, false, index_install, &ix, err) < 0 ||
        store_install_list(app->store, tenant, true, index_install, &ix, err) < 0)
        goto out;
    for (size_t i = 0; i < n; i++)
        json_array_append_new(list, entry_json(&all[i], plan, ix.installed[i], ix.awaiting[i],
                                               ix.destination_count[i]));
    struct outside_list ol = {.app = app, .tenant = tenant, .plan = plan, .list = list,
                              .err = err};
    if (publishing_list(app->store, add_outside, &ol, err) < 0)
        goto out;
    rc = http_respond_json(res, 200,
                           json_pack("{s:s, s:O}", "plan", plan->slug, "connectors", list), err);
out:
    json_decref(list);
    free(ix.installed);
    free(ix.awaiting);
    free(ix.destination_count);
    return rc;
}

/* An assistant's install made or changed: the platform learns of it (Slack's team, the
 * Telegram webhook, WhatsApp's number). The install stands either way; a platform that
 * cannot be reached now is logged, and saving the settings again retries. */
static void chat_ready(struct app *app, const struct install *in)
{
    struct error e = {0};
    if (app->chat && chat_is_platform_slug(in->slug) && chat_install_ready(app->chat, in, &e) < 0)
        log_warn("%s install %s: the platform was not told of it: %s", in->slug, in->id,
                 e.message);
}

/* The webhook URL of an install, from its sealed token. */
static int webhook_url(struct app *app, const struct install *in, char **out, struct error *err)
{
    char aad[2 * CRYPTO_ID_MAX + 16];
    struct buf token, url;
    *out = NULL;
    if (app->chat && chat_is_platform_slug(in->slug)) /* the assistant's own door */
        return (*out = chat_webhook_url(app->chat, in, err)) ? 0 : -1;
    if (!in->webhook_token_sealed)
        return 0;
    snprintf(aad, sizeof aad, "%s/%s/webhookToken", in->tenant_id, in->id);
    buf_init(&token, 256);
    buf_init(&url, 4096);
    int rc = crypto_open(app->master_key, aad, in->webhook_token_sealed, &token, err);
    if (rc == 0 && buf_printf(&url, "%s/api/payment-import/%s/%s", app->public_url, in->slug,
                              token.data) < 0)
        rc = error_set(err, ERR_INTERNAL, "out of memory");
    if (rc == 0)
        *out = buf_take(&url, NULL);
    buf_free(&token);
    buf_free(&url);
    return rc;
}

/* The full view of one entry for this tenant: summary, schema and, when installed, the
 * masked config and the webhook URL. `in` may be NULL (not installed). */
static int detail_json(struct app *app, const struct connector_ref *ref,
                       const struct plan *plan, const struct install *in,
                       int destination_count, json_t **out, struct error *err)
{
    const struct connector_manifest *m = ref->m;
    json_t *o = entry_json(m, plan, in != NULL, in && connector_awaiting_secret(m, in),
                           destination_count);
    if (!o)
        return error_set(err, ERR_INTERNAL, "out of memory");
    if (ref->outside)
        outside_members(o, &ref->oc, in);
    json_object_set_new(o, "settings", catalog_schema_json(m));
    if (m->webhook_setup)
        json_object_set_new(o, "webhookSetup", json_string(m->webhook_setup));
    if (oauth_has_consent(m->slug)) /* its service is connected through /oauth/start */
        json_object_set_new(o, "oauth", json_true());
    if (m->webhook_events) {
        json_t *events = json_array();
        for (size_t i = 0; events && m->webhook_events[i]; i++)
            json_array_append_new(events, json_string(m->webhook_events[i]));
        json_object_set_new(o, "webhookEvents", events);
    }
    if (in) {
        char *url = NULL;
        if (webhook_url(app, in, &url, err) < 0) {
            json_decref(o);
            return -1;
        }
        json_object_set_new(o, "id", json_string(in->id));
        json_object_set_new(o, "config", connector_config_view(m, in));
        json_object_set_new(o, "installedAt", json_string(in->created_at));
        json_object_set_new(o, "updatedAt", json_string(in->updated_at));
        const char *status = NULL;
        json_t *sync = sync_detail_json(app->store, in, &status, err);
        if (!sync) {
            free(url);
            json_decref(o);
            return -1;
        }
        if (json_is_null(sync))
            json_decref(sync);
        else
            json_object_set_new(o, "sync", sync);
        if (status) {
            json_object_set_new(o, "status", json_string(status));
            json_object_set_new(o, "statusMessage", json_incref(json_object_get(sync, "error")));
        }
        if (url)
            json_object_set_new(o, "webhookUrl", json_string(url));
        free(url);
    }
    *out = o;
    return 0;
}

/* The connector the path's :slug names (built-in or published outside); NULL with err. */
static const struct connector_manifest *manifest_param(struct http_request *req,
                                                       struct connector_ref *ref,
                                                       struct error *err)
{
    if (connector_resolve(req->app, http_request_param(req, "slug"), ref, err) < 0)
        return NULL;
    return ref->m;
}

static int count_destinations_of(void *ctx, const struct install *in)
{
    struct install_index *ix = ctx;
    if (strcmp(in->slug, ix->all->slug) == 0)
        ix->destination_count[0]++;
    return 0;
}

int api_connector_get(struct http_request *req, struct http_response *res, struct error *err)
{
    struct app *app = req->app;
    const char *tenant = req->principal->tenant_id;
    struct connector_ref ref;
    const struct connector_manifest *m = manifest_param(req, &ref, err);
    const struct plan *plan = m ? connector_tenant_plan(app, tenant, err) : NULL;
    struct install in = {0};
    int count = 0;
    bool installed = false;
    json_t *body = NULL;
    int rc = -1;
    if (!plan)
        goto out;
    if (m->kind == KIND_DESTINATION) {
        struct install_index ix = {.all = m, .n = 1, .destination_count = &count};
        if (store_install_list(app->store, tenant, true, count_destinations_of, &ix, err) < 0)
            goto out;
    } else if (store_install_get_slug(app->store, tenant, m->slug, &in, err) == 0) {
        installed = true;
    } else if (err->code != ERR_NOT_FOUND) {
        goto out;
    } else if (ref.outside && !ref.oc.row.is_published) {
        /* Unpublished: only the tenants that have it installed still see it. */
        error_set(err, ERR_NOT_FOUND, "no connector '%s' in the catalog", m->slug);
        goto out;
    }
    if (detail_json(app, &ref, plan, installed ? &in : NULL, count, &body, err) < 0)
        goto out;
    rc = http_respond_json(res, 200, body, err);
out:
    store_install_clear(&in);
    connector_ref_clear(&ref);
    return rc;
}

/* Reads {"config": {...}} (config may be omitted: {}). New reference or NULL with err. */
static json_t *config_from_body(struct http_request *req, json_t **body_out, struct error *err)
{
    json_t *body = json_parse_body(req->body, req->body_len, err);
    *body_out = body;
    if (!body)
        return NULL;
    static const char *const allowed[] = {"config", NULL};
    if (json_only_members(body, allowed, err) < 0)
        return NULL;
    json_t *config = json_object_get(body, "config");
    if (!config) {
        config = json_object();
        json_object_set_new(body, "config", config);
    }
    if (!json_is_object(config)) {
        error_set(err, ERR_INVALID_FIELD, "'config' must be a JSON object");
        return NULL;
    }
    return config;
}

static int new_webhook_token(struct app *app, struct install *in, char hash[2 * CRYPTO_SHA256_LEN + 1],
                             struct error *err)
{
    unsigned char raw[WEBHOOK_TOKEN_BYTES];
    char token[2 * WEBHOOK_TOKEN_BYTES];
    char aad[2 * CRYPTO_ID_MAX + 16];
    struct buf sealed;
    if (crypto_random(raw, sizeof raw) < 0)
        return error_set(err, ERR_INTERNAL, "no randomness available");
    size_t len = crypto_b64url(raw, sizeof raw, token);
    crypto_token_hash(token, len, hash);
    snprintf(aad, sizeof aad, "%s/%s/webhookToken", in->tenant_id, in->id);
    buf_init(&sealed, 0);
    int rc = crypto_seal(app->master_key, aad, token, len, &sealed, err);
    if (rc == 0)
        in->webhook_token_sealed = buf_take(&sealed, NULL);
    buf_free(&sealed);
    memset(token, 0, sizeof token);
    return rc;
}

int api_connector_install(struct http_request *req, struct http_response *res,
                          struct error *err)
{
    struct app *app = req->app;
    const char *tenant = req->principal->tenant_id;
    struct install in = {0};
    json_t *body = NULL, *detail = NULL;
    char *changed = NULL;
    char token_hash[2 * CRYPTO_SHA256_LEN + 1] = "";
    int rc = -1;

    struct connector_ref ref;
    const struct connector_manifest *m = manifest_param(req, &ref, err);
    const struct plan *plan = m ? connector_tenant_plan(app, tenant, err) : NULL;
    if (!plan)
        goto out;
    if (ref.outside && !ref.oc.row.is_published) {
        error_set(err, ERR_CONFLICT, "%s was unpublished and cannot be installed again",
                  m->slug);
        goto out;
    }
    if (m->kind == KIND_DESTINATION) {
        error_set(err, ERR_USE_PROJECTS_API,
                  "%s is an outbound destination; create it with POST "
                  "/api/projects/%s/connectors",
                  m->slug, tenant);
        goto out;
    }
    if (!connector_plan_allows(m, plan)) {
        const struct plan *required = connector_required_plan(m);
        const char *needed = required ? required->slug : m->min_plan;
        res->error_extra = json_pack("{s:s}", "requiredPlan", needed);
        error_set(err, ERR_PLAN_REQUIRED, "%s needs the %s plan; this tenant has %s", m->name,
                  needed, plan->slug);
        goto out;
    }
    json_t *config = config_from_body(req, &body, err);
    if (!config)
        goto out;
    memcpy(in.tenant_id, tenant, sizeof in.tenant_id);
    snprintf(in.slug, sizeof in.slug, "%s", m->slug);
    in.is_active = true;
    in.manifest_version = ref.outside ? ref.oc.row.version : 0;
    if (crypto_id_new("con_", in.id) < 0) {
        error_set(err, ERR_INTERNAL, "no randomness available");
        goto out;
    }
    if (connector_config_apply(app, res, m, config, NULL, &in, &changed, err) < 0)
        goto out;
    if (catalog_kind_has_webhook(m->kind) && new_webhook_token(app, &in, token_hash, err) < 0)
        goto out;
    struct audit_entry audit = {.token_id = AUDIT_BY(req), .action = "connector.install",
                                .target = m->slug, .fields = changed};
    if (store_install_insert(app->store, &in, token_hash[0] ? token_hash : NULL, -1, &audit,
                             err) < 0)
        goto out;
    chat_ready(app, &in);
    if (detail_json(app, &ref, plan, &in, 0, &detail, err) < 0)
        goto out;
    rc = http_respond_json(res, 201, detail, err);
out:
    json_decref(body);
    free(changed);
    store_install_clear(&in);
    connector_ref_clear(&ref);
    return rc;
}

int api_connector_uninstall(struct http_request *req, struct http_response *res,
                            struct error *err)
{
    struct app *app = req->app;
    const char *tenant = req->principal->tenant_id;
    struct install in = {0};
    int rc = -1;
    struct connector_ref ref;
    const struct connector_manifest *m = manifest_param(req, &ref, err);
    if (!m)
        goto out;
    if (m->kind == KIND_DESTINATION) {
        error_set(err, ERR_USE_PROJECTS_API,
                  "%s is an outbound destination; delete it with DELETE "
                  "/api/projects/%s/connectors/:connectorId",
                  m->slug, tenant);
        goto out;
    }
    if (store_install_get_slug(app->store, tenant, m->slug, &in, err) < 0)
        goto out;
    struct audit_entry audit = {.token_id = AUDIT_BY(req), .action = "connector.uninstall",
                                .target = m->slug, .fields = "[]"};
    /* An OAuth grant is revoked at the service first (Google); one the service cannot be
     * asked about now is still forgotten here, with the install. */
    struct error revoke = {0};
    if (oauth_supported(m->slug) &&
        oauth_revoke(app->store, app->master_key, tenant, in.id, &revoke) < 0)
        log_warn("uninstall %s (tenant %s): the grant was not revoked: %s", m->slug, tenant,
                 revoke.message);
    if (store_install_delete(app->store, tenant, in.id, &audit, err) < 0)
        goto out;
    rc = http_respond_json(res, 200, json_pack("{s:s, s:b}", "slug", m->slug, "installed", 0),
                           err);
out:
    store_install_clear(&in);
    connector_ref_clear(&ref);
    return rc;
}

int api_connector_configure(struct http_request *req, struct http_response *res,
                            struct error *err)
{
    struct app *app = req->app;
    const char *tenant = req->principal->tenant_id;
    struct install prev = {0}, next = {0};
    json_t *body = NULL, *detail = NULL;
    char *changed = NULL;
    int rc = -1;
    struct connector_ref ref;
    const struct connector_manifest *m = manifest_param(req, &ref, err);
    const struct plan *plan = m ? connector_tenant_plan(app, tenant, err) : NULL;
    if (!plan)
        goto out;
    if (m->kind == KIND_DESTINATION) {
        error_set(err, ERR_USE_PROJECTS_API,
                  "%s is an outbound destination; change it with PATCH "
                  "/api/projects/%s/connectors/:connectorId",
                  m->slug, tenant);
        goto out;
    }
    json_t *config = config_from_body(req, &body, err);
    if (!config || store_install_get_slug(app->store, tenant, m->slug, &prev, err) < 0)
        goto out;
    next = prev;
    next.config = next.secrets = next.event_types = next.webhook_token_sealed = NULL;
    /* An outside connector's config is checked against its current version, and once it
     * fits, the install runs that version (an update that waited for this input). */
    if (connector_config_apply(app, res, m, config, &prev, &next, &changed, err) < 0)
        goto out;
    if (ref.outside)
        next.manifest_version = ref.oc.row.version;
    struct audit_entry audit = {.token_id = AUDIT_BY(req), .action = "connector.config_update",
                                .target = m->slug, .fields = changed};
    if (store_install_update(app->store, &next, &audit, err) < 0)
        goto out;
    store_install_clear(&next);
    if (store_install_get_slug(app->store, tenant, m->slug, &next, err) < 0)
        goto out;
    chat_ready(app, &next);
    if (detail_json(app, &ref, plan, &next, 0, &detail, err) < 0)
        goto out;
    rc = http_respond_json(res, 200, detail, err);
out:
    json_decref(body);
    free(changed);
    store_install_clear(&prev);
    store_install_clear(&next);
    connector_ref_clear(&ref);
    return rc;
}
