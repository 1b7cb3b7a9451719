/* api/vat_returns.c - the Austrian VAT advance return (U30) from the books, admin only:
 *   GET  /api/vat-returns/at?period=2026-03|2026-Q1   the Kennzahlen, and the period's
 *                                                     recorded submissions
 *   GET  /api/vat-returns/at/xml?period=...           the U30 document FinanzOnline takes,
 *                                                     with the books' chain head it was
 *                                                     made from (api/exports.c)
 *   POST /api/vat-returns/at/submit {"period", "test", "correction"}
 *        (an export too: the chain head of the figures is answered and logged)
 *        sends it through FinanzOnline's web services and records the accepted submission;
 *        a refusal comes back with the service's rc and text (422 service_refused, 502
 *        service_failed) and records nothing
 *   GET  /api/vat-returns/at/submissions?period=      the recorded submissions
 *   GET  /api/vat-returns/oss?period=2026-Q1          the one-stop-shop sales of a quarter,
 *                                                     per member state and rate: net and tax
 *   GET  /api/vat-returns/de?period=2026-01|2026-Q1   the German UStVA's Kennzahlen
 * The U30 is computed from the Austrian chart (EKR) only, the UStVA from a German one
 * (SKR03/SKR04); the finanzonline connector gives the tax number and the credentials. Each
 * names what it cannot classify (invoice ids and why) beside its figures. */
#include <stdlib.h>
#include <string.h>

#include "api/listing.h"
#include "core/clock.h"
#include "core/json.h"
#include "core/log.h"
#include "ledger/ledger.h"
#include "settings/settings.h"
#include "store/accounting.h"
#include "store/store.h"

/* The tenant's settings, which must book in the Austrian chart. */
static int austrian_settings(struct app *app, const char *tenant_id, struct tenant_settings *ts,
                             struct error *err)
{
    if (settings_load(app->store, tenant_id, ts, err) < 0)
        return -1;
    if (strcmp(ts->chart->country, "AT") != 0)
        return error_set(err, ERR_VALIDATION,
                         "the Austrian VAT return is computed from the EKR chart, but this "
                         "tenant books in %s; change the chart in the settings",
                         ts->chart->slug);
    return 0;
}

static int period_param(const struct http_request *req, struct ledger_u30_period *p,
                        struct error *err)
{
    const char *text = http_request_query(req, "period");
    if (!text)
        return error_set(err, ERR_INVALID_FIELD,
                         "period is required: a month (2026-03) or a quarter (2026-Q1)");
    return ledger_u30_period_parse(text, p, err);
}

static int add_submission(void *ctx, const struct vat_submission *sub)
{
    return listing_collect_add(ctx, ledger_u30_submission_json(sub));
}

/* Collects the period's accepted submissions (period NULL: all) into c, which the caller
 * answers or releases; one page of them when page is not NULL. */
static int submissions(struct app *app, const char *tenant_id, const char *period,
                       const struct listing_page *page, struct listing_collect *c,
                       struct error *err)
{
    if (listing_collect_init(c, page, err) < 0)
        return -1;
    struct store_page sp = page ? listing_store_page(page) : (struct store_page){0};
    if (store_vat_submission_list(app->store, tenant_id, "AT", period, page ? &sp : NULL,
                                  add_submission, c, err) < 0) {
        listing_collect_free(c);
        return -1;
    }
    return 0;
}

int api_vat_return_at(struct http_request *req, struct http_response *res, struct error *err)
{
    struct app *app = req->app;
    const char *tenant = req->principal->tenant_id;
    struct tenant_settings ts;
    struct ledger_u30_period period;
    struct ledger_u30 figures;
    if (period_param(req, &period, err) < 0 || austrian_settings(app, tenant, &ts, err) < 0 ||
        ledger_u30_compute(app->store, tenant, &period, ts.small_business, &figures, err) < 0)
        return -1;
    json_t *body = ledger_u30_json(&figures);
    struct listing_collect c;
    json_t *list = submissions(app, tenant, period.text, NULL, &c, err) == 0
                       ? listing_collect_take(&c, err)
                       : NULL;
    if (!body || !list) {
        json_decref(body);
        json_decref(list);
        return body ? -1 : error_set(err, ERR_INTERNAL, "out of memory");
    }
    json_object_set_new(body, "submissions", list);
    return http_respond_json(res, 200, body, err);
}

/* One U30 document from the books as they are (run again from nothing on each call). */
struct u30_run {
    struct store *store;
    const char *tenant;
    const struct ledger_u30_period *period;
    bool small_business;
    struct ledger_u30_info *info;
    struct buf *xml;
};

static int u30_run(void *ctx, struct error *err)
{
    struct u30_run *r = ctx;
    struct ledger_u30 figures;
    buf_reset(r->xml);
    if (ledger_u30_compute(r->store, r->tenant, r->period, r->small_business, &figures, err) < 0 ||
        ledger_u30_check(&figures, err) < 0 ||
        store_vat_next_package(r->store, r->tenant, &r->info->package_no, err) < 0)
        return -1;
    return ledger_u30_xml(r->xml, &figures, r->info, err);
}

int api_vat_return_oss(struct http_request *req, struct http_response *res, struct error *err)
{
    struct ledger_u30_period period;
    if (period_param(req, &period, err) < 0)
        return -1;
    if (period.text[5] != 'Q')
        return error_set(err, ERR_INVALID_FIELD,
                         "the one-stop-shop return is quarterly: period must be a quarter "
                         "(2026-Q1)");
    struct ledger_oss *oss = malloc(sizeof *oss); /* large: not on the stack */
    if (!oss)
        return error_set(err, ERR_INTERNAL, "out of memory");
    int rc = -1;
    struct app *app = req->app;
    if (ledger_oss_compute(app->store, req->principal->tenant_id, &period, oss, err) == 0) {
        json_t *body = ledger_oss_json(oss);
        rc = body ? http_respond_json(res, 200, body, err)
                  : error_set(err, ERR_INTERNAL, "out of memory");
    }
    free(oss);
    return rc;
}

int api_vat_return_de(struct http_request *req, struct http_response *res, struct error *err)
{
    struct app *app = req->app;
    const char *tenant = req->principal->tenant_id;
    struct tenant_settings ts;
    struct ledger_u30_period period;
    if (period_param(req, &period, err) < 0 || settings_load(app->store, tenant, &ts, err) < 0)
        return -1;
    if (strcmp(ts.chart->country, "DE") != 0)
        return error_set(err, ERR_VALIDATION,
                         "the German VAT return (UStVA) is computed from a German chart (skr03, "
                         "skr04), but this tenant books in %s; change the chart in the settings",
                         ts.chart->slug);
    struct ledger_ustva *u = malloc(sizeof *u);
    if (!u)
        return error_set(err, ERR_INTERNAL, "out of memory");
    int rc = -1;
    if (ledger_ustva_compute(app->store, tenant, &period, ts.small_business, u, err) == 0) {
        json_t *body = ledger_ustva_json(u);
        rc = body ? http_respond_json(res, 200, body, err)
                  : error_set(err, ERR_INTERNAL, "out of memory");
    }
    free(u);
    return rc;
}

int api_vat_return_at_xml(struct http_request *req, struct http_response *res, struct error *err)
{
    struct app *app = req->app;
    const char *tenant = req->principal->tenant_id;
    struct tenant_settings ts;
    struct ledger_u30_period period;
    struct ledger_fon_account account;
    struct ledger_u30_info info = {0};
    struct store_chain_head head;
    struct buf xml;
    int rc = -1;
    if (period_param(req, &period, err) < 0 || austrian_settings(app, tenant, &ts, err) < 0 ||
        ledger_fon_account_load(app->store, tenant, NULL, false, &account, err) < 0)
        return -1;
    buf_init(&xml, 0);
    info.tax_number = account.tax_number;
    tz_local_time(ts.time_zone, clock_now_ms(), &info.created);
    struct u30_run run = {
        .store = app->store, .tenant = tenant, .period = &period,
        .small_business = ts.small_business, .info = &info, .xml = &xml};
    if (ledger_export_at_head(app->store, tenant, u30_run, &run, &head, err) < 0 ||
        api_export_head(req, res, "u30", period.text, &head, err) < 0)
        goto out;
    rc = http_respond_text(res, 200, "application/xml; charset=utf-8", xml.data, xml.len, err);
out:
    buf_free(&xml);
    return rc;
}

int api_vat_return_at_submit(struct http_request *req, struct http_response *res,
                             struct error *err)
{
    struct app *app = req->app;
    const char *tenant = req->principal->tenant_id;
    struct tenant_settings ts;
    struct ledger_fon_answer answer;
    json_t *result = NULL;
    int rc = -1;
    json_t *body = json_parse_body(req->body, req->body_len, err);
    if (!body)
        return -1;
    static const char *const allowed[] = {"period", "test", "correction", NULL};
    if (json_only_members(body, allowed, err) < 0)
        goto out;
    bool bad = false;
    const char *period = json_get_string(body, "period", &bad);
    json_t *test = json_object_get(body, "test");
    json_t *correction = json_object_get(body, "correction");
    if (bad || !period) {
        error_set(err, ERR_INVALID_FIELD,
                  "period is required: a month (2026-03) or a quarter (2026-Q1)");
        goto out;
    }
    if (!json_is_boolean(test)) {
        error_set(err, ERR_INVALID_FIELD,
                  "test is required: true for FinanzOnline's test mode (checked, not filed), "
                  "false to file the return");
        goto out;
    }
    if (correction && !json_is_boolean(correction)) {
        error_set(err, ERR_INVALID_FIELD, "correction must be true or false");
        goto out;
    }
    if (austrian_settings(app, tenant, &ts, err) < 0)
        goto out;
    struct store_chain_head head;
    const struct ledger_u30_submit_request rq = {
        .tenant_id = tenant,
        .period = period,
        .test = json_is_true(test),
        .correction = json_is_true(correction),
        .small_business = ts.small_business,
        .vendor_id = ts.vat_number,
        .master_key = app->master_key,
        .tz = ts.time_zone,
        .allow_private = app->dev || (app->delivery && app->delivery->allow_private),
        .head = &head,
    };
    if (ledger_u30_submit(app->store, &rq, &result, &answer, err) < 0) {
        if (answer.operation[0])
            res->error_extra = json_pack("{s:{s:s, s:s, s:o, s:s}}", "service", "name",
                                         "finanzonline", "operation", answer.operation, "rc",
                                         answer.answered ? json_integer(answer.rc) : json_null(),
                                         "message", answer.message);
        goto out;
    }
    /* Filed: the record of what it was made from must not fail the answer (the return is
     * at the tax office either way), so a failure to log it is logged. */
    struct error log_err = {0};
    if (api_export_head(req, res, json_is_true(test) ? "u30-test" : "u30-submit", period, &head,
                        &log_err) < 0)
        log_error("the exports log missed a filed VAT return of %s: %s", period, log_err.message);
    rc = http_respond_json(res, 201, json_pack("{s:o}", "submission", result), err);
out:
    json_decref(body);
    return rc;
}

int api_vat_return_at_submissions(struct http_request *req, struct http_response *res,
                                  struct error *err)
{
    struct app *app = req->app;
    struct ledger_u30_period period;
    struct listing_page page;
    const char *text = http_request_query(req, "period");
    if ((text && ledger_u30_period_parse(text, &period, err) < 0) ||
        listing_page_parse(req, "vsub_", &page, err) < 0)
        return -1;
    struct listing_collect c;
    if (submissions(app, req->principal->tenant_id, text ? period.text : NULL, &page, &c,
                    err) < 0)
        return -1;
    return listing_collect_respond(&c, res, "submissions", err);
}
