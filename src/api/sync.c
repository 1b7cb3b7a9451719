/* api/sync.c - the pulling connectors' API:
 *   POST /api/connectors/:slug/sync        (admin) queue a run now: 202 with the run; a run
 *                                          already queued or running is answered instead
 *   GET  /api/connectors/:slug/sync-runs   (admin) the install's runs, newest first, paged
 *   GET  /api/time-entries                 (member) what every source imported, one shape
 *   GET  /api/schemas/connector-manifest.json  the manifest format's JSON Schema
 * (the bank sources, bank/, included) and the sync part of a connector's detail (sync_detail_json, used by connectors.c). The
 * runs themselves happen on the sync worker (sync/); a request only queues one. */
#include <string.h>

#include "api/listing.h"
#include "api/sync_view.h"
#include "bank/bank.h"
#include "catalog/catalog.h"
#include "core/utf8.h"
#include "store/installs.h"
#include "payouts/payouts.h"
#include "store/sync.h"
#include "sync/manifest.h"
#include "sync/sync.h"

static json_t *run_json(const struct sync_run *r)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:{s:I, s:I, s:I, s:I}, s:s}", "id", r->id,
                          "connector", r->slug, "origin", r->origin, "status", r->status,
                          "counts", "new", (json_int_t)r->new_count, "updated",
                          (json_int_t)r->updated_count, "deleted",
                          (json_int_t)r->deleted_count, "skipped",
                          (json_int_t)r->skipped_count, "queuedAt", r->created_at);
    if (!o)
        return NULL;
    json_object_set_new(o, "startedAt", r->started_at[0] ? json_string(r->started_at) : json_null());
    json_object_set_new(o, "finishedAt",
                        r->finished_at[0] ? json_string(r->finished_at) : json_null());
    json_object_set_new(o, "durationMs",
                        r->duration_ms >= 0 ? json_integer(r->duration_ms) : json_null());
    json_object_set_new(o, "error", r->error[0] ? listing_json_text(r->error) : json_null());
    return o;
}

/* The :slug's connector that syncs (by a manifest, a built-in source, a bank driver, or a
 * payment connector whose run pulls its payouts and fees, payouts/) and this tenant's
 * install of it; *name is what messages call it. */
static int sync_target(struct http_request *req, struct install *in, const char **name,
                       struct error *err)
{
    struct app *app = req->app;
    const char *slug = http_request_param(req, "slug");
    const struct connector_manifest *c = slug ? catalog_find(slug) : NULL;
    const struct sync_manifest *m = c ? sync_manifest_find(slug) : NULL;
    if (!m && !(c && (bank_connector(c->slug) || sync_source_find(c->slug) ||
                      payouts_pulls(c->slug))))
        return error_set(err, ERR_NOT_FOUND, "no connector '%.*s' that syncs",
                         UTF8_CUT(48, slug));
    *name = m ? m->name : c->name;
    if (store_install_get_slug(app->store, req->principal->tenant_id, c->slug, in, err) < 0) {
        if (err->code == ERR_NOT_FOUND)
            error_set(err, ERR_NOT_INSTALLED, "%s is not installed", *name);
        return -1;
    }
    return 0;
}

int api_connector_sync(struct http_request *req, struct http_response *res, struct error *err)
{
    struct app *app = req->app;
    struct install in = {0};
    struct sync_run run;
    const char *name = NULL;
    bool created = false;
    int rc = -1;
    if (sync_target(req, &in, &name, err) < 0)
        goto out;
    if (!in.is_active) {
        error_set(err, ERR_CONFLICT, "%s is installed but not active", name);
        goto out;
    }
    if (sync_request(app->store, app->sync, in.tenant_id, in.id, in.slug, "manual", &run,
                     &created, err) < 0)
        goto out;
    json_t *body = run_json(&run);
    if (body)
        json_object_set_new(body, "created", json_boolean(created));
    rc = http_respond_json(res, 202, body, err);
out:
    store_install_clear(&in);
    return rc;
}

static int add_run(void *ctx, const struct sync_run *run)
{
    return listing_collect_add(ctx, run_json(run));
}

int api_connector_sync_runs(struct http_request *req, struct http_response *res,
                            struct error *err)
{
    struct app *app = req->app;
    struct install in = {0};
    struct listing_page page;
    struct listing_collect c;
    int rc = -1;
    const char *name = NULL;
    if (sync_target(req, &in, &name, err) < 0 || listing_page_parse(req, "syn_", &page, err) < 0 ||
        listing_collect_init(&c, &page, err) < 0)
        goto out;
    struct store_page sp = listing_store_page(&page);
    if (store_sync_runs_page(app->store, in.tenant_id, in.id, &sp, add_run, &c, err) < 0) {
        listing_collect_free(&c);
        goto out;
    }
    rc = listing_collect_respond(&c, res, "runs", err);
out:
    store_install_clear(&in);
    return rc;
}

json_t *sync_detail_json(struct store *s, const struct install *in, const char **status,
                         struct error *err)
{
    const struct sync_manifest *m = sync_manifest_find(in->slug);
    struct sync_state st;
    struct sync_run last = {0};
    if (!m)
        return json_null();
    if (store_sync_state_get(s, in->tenant_id, in->id, &st, err) < 0)
        return NULL;
    if (st.last_run_id[0] && store_sync_run_get(s, in->tenant_id, st.last_run_id, &last, err) < 0)
        return NULL;
    json_t *config = json_loads(in->config ? in->config : "{}", 0, NULL);
    json_t *o = json_pack("{s:b, s:I}", "available", m->available, "intervalMinutes",
                          (json_int_t)(sync_interval_ms(config) / 60000));
    json_decref(config);
    if (!o)
        return NULL;
    if (!m->available)
        json_object_set_new(o, "unavailableReason", json_string(m->reason));
    json_object_set_new(o, "lastSuccessAt",
                        st.last_success_at[0] ? json_string(st.last_success_at) : json_null());
    json_object_set_new(o, "nextRunAt", st.next_run_at[0] ? json_string(st.next_run_at) : json_null());
    json_object_set_new(o, "lastRun", last.id[0] ? run_json(&last) : json_null());
    json_object_set_new(o, "error", st.error[0] ? listing_json_text(st.error) : json_null());
    if (st.error[0] && status)
        *status = "error";
    return o;
}

/* ---- time entries ---------------------------------------------------------------------- */

static int add_entry(void *ctx, const struct time_entry *e)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:I, s:b, s:b}", "id", e->id, "source",
                          e->source, "externalId", e->external_id, "start", e->started_at,
                          "minutes", (json_int_t)e->minutes, "billable", e->billable,
                          "invoiced", e->invoiced);
    if (o) {
        json_object_set_new(o, "description", listing_json_text(e->description));
        json_object_set_new(o, "project", listing_json_text(e->project));
        json_object_set_new(o, "client", listing_json_text(e->client));
        json_object_set_new(o, "user", listing_json_text(e->user_name));
        json_object_set_new(o, "hourlyRate", e->has_rate && e->currency
                                                 ? listing_json_money(e->rate_minor, e->currency)
                                                 : json_null());
        json_object_set_new(o, "hourlyRateMinor", e->has_rate ? json_integer(e->rate_minor)
                                                              : json_null());
        json_object_set_new(o, "currency", listing_json_text(e->currency));
        json_object_set_new(o, "deletedAt", listing_json_text(e->deleted_at));
        json_object_set_new(o, "reviewReason", listing_json_text(e->review_reason));
        json_object_set_new(o, "importedAt", json_string(e->created_at));
        json_object_set_new(o, "updatedAt", json_string(e->updated_at));
    }
    return listing_collect_add(ctx, o);
}

static const char *const booleans[] = {"true", "false", NULL};

static int flag(const char *v)
{
    return !v ? -1 : strcmp(v, "true") == 0;
}

int api_time_entries_list(struct http_request *req, struct http_response *res,
                          struct error *err)
{
    struct app *app = req->app;
    struct listing_page page;
    struct time_entry_filter f = {0};
    const char *billable, *invoiced, *deleted;
    if (listing_page_parse(req, "tim_", &page, err) < 0 ||
        listing_query_text(req, "client", STORE_NAME_MAX - 1, &f.client, err) < 0 ||
        listing_query_text(req, "project", STORE_NAME_MAX - 1, &f.project, err) < 0 ||
        listing_query_range(req, &f.from, &f.to, err) < 0 ||
        listing_query_choice(req, "billable", booleans, &billable, err) < 0 ||
        listing_query_choice(req, "invoiced", booleans, &invoiced, err) < 0 ||
        listing_query_choice(req, "deleted", booleans, &deleted, err) < 0)
        return -1;
    f.billable = flag(billable);
    f.invoiced = flag(invoiced);
    f.deleted = deleted ? flag(deleted) : 0;
    struct listing_collect c;
    if (listing_collect_init(&c, &page, err) < 0)
        return -1;
    struct store_page sp = listing_store_page(&page);
    if (store_time_entries_page(app->store, req->principal->tenant_id, &f, &sp, add_entry, &c,
                                err) < 0) {
        listing_collect_free(&c);
        return -1;
    }
    return listing_collect_respond(&c, res, "timeEntries", err);
}

int api_schema_connector_manifest(struct http_request *req, struct http_response *res,
                                  struct error *err)
{
    (void)req;
    const char *text = sync_manifest_schema();
    return http_respond_text(res, 200, "application/schema+json", text, strlen(text), err);
}
