/* api/exports.c - files for outside parties, admin only:
 *   GET /api/exports/datev?from=YYYY-MM-DD&to=YYYY-MM-DD
 *       the tenant's bookings of the period as a DATEV EXTF Buchungsstapel (Windows-1252,
 *       text/csv), as an attachment named as DATEV names them. Needs the datev connector.
 *   GET /api/exports/tenant
 *       the archive of all of the tenant's data (tenancy/tenancy.h: JSON lines), its
 *       SHA-256 in X-Archive-SHA256, recorded in the operator log.
 *   GET /api/exports/log   every export made, newest first, with the head of the journal
 *       chain it was made from (paged: ?limit=, ?cursor=)
 * Every export answers the chain head it was made from in X-Books-Chain-Head (the hash)
 * and X-Books-Chain-Seq, and records it in the exports log; the files themselves never
 * carry it (their formats have no place for it). */
#include <stdio.h>

#include "api/listing.h"
#include "core/clock.h"
#include "ledger/ledger.h"
#include "settings/settings.h"
#include "tenancy/tenancy.h"
#include "store/chain.h"

#define EXPORT_MAX (48u << 20) /* 99 999 bookings of ~400 bytes fit */
#define ARCHIVE_MAX (512u << 20) /* larger tenants use connectord tenant export */

int api_export_head(struct http_request *req, struct http_response *res, const char *kind,
                    const char *period, const struct store_chain_head *head, struct error *err)
{
    struct app *app = req->app;
    char seq[24];
    if (ledger_export_record(app->store, req->principal->tenant_id, kind, period, head,
                             req->principal->token_id, err) < 0)
        return -1;
    snprintf(seq, sizeof seq, "%lld", (long long)head->seq);
    if (http_response_add_header(res, "X-Books-Chain-Head", head->hash) < 0 ||
        http_response_add_header(res, "X-Books-Chain-Seq", seq) < 0)
        return error_set(err, ERR_INTERNAL, "cannot add a header");
    return 0;
}

struct datev_run {
    struct store *store;
    const struct ledger_datev_request *rq;
    struct buf *file;
    char *filename;
};

static int datev_run(void *ctx, struct error *err)
{
    struct datev_run *r = ctx;
    buf_reset(r->file);
    return ledger_datev_export(r->store, r->rq, r->file, r->filename, err);
}

int api_export_datev(struct http_request *req, struct http_response *res, struct error *err)
{
    struct app *app = req->app;
    const char *from, *to;
    struct tenant_settings ts;
    struct store_chain_head head;
    char filename[LEDGER_DATEV_FILENAME_MAX], disposition[128], period[32];
    struct buf file;
    int rc = -1;
    if (listing_query_range(req, &from, &to, err) < 0)
        return -1;
    if (!from || !to)
        return error_set(err, ERR_INVALID_FIELD, "from and to are required (YYYY-MM-DD)");
    if (settings_load(app->store, req->principal->tenant_id, &ts, err) < 0)
        return -1;
    buf_init(&file, EXPORT_MAX);
    const struct ledger_datev_request rq = {.tenant_id = req->principal->tenant_id,
                                            .from = from,
                                            .to = to,
                                            .chart = ts.chart,
                                            .tz = ts.time_zone,
                                            .fiscal_month = ts.fiscal_month,
                                            .fiscal_day = ts.fiscal_day,
                                            .now_ms = clock_now_ms()};
    struct datev_run run = {.store = app->store, .rq = &rq, .file = &file, .filename = filename};
    if (ledger_export_at_head(app->store, rq.tenant_id, datev_run, &run, &head, err) < 0)
        goto out;
    snprintf(disposition, sizeof disposition, "attachment; filename=\"%s\"", filename);
    snprintf(period, sizeof period, "%s..%s", from, to);
    if (api_export_head(req, res, "datev", period, &head, err) < 0 ||
        http_respond_text(res, 200, "text/csv; charset=windows-1252", file.data, file.len,
                          err) < 0)
        goto out;
    if (http_response_add_header(res, "Content-Disposition", disposition) < 0) {
        error_set(err, ERR_INTERNAL, "cannot add a header");
        goto out;
    }
    rc = 0;
out:
    buf_free(&file);
    return rc;
}

int api_export_tenant(struct http_request *req, struct http_response *res, struct error *err)
{
    struct app *app = req->app;
    const char *tenant = req->principal->tenant_id;
    char sha256[TENANCY_SHA256_HEX], disposition[128];
    int64_t rows = 0;
    struct buf archive;
    int rc = -1;
    buf_init(&archive, ARCHIVE_MAX);
    if (tenancy_export(app->store, tenant, "api", clock_now_ms(), &archive, sha256, &rows,
                       err) < 0)
        goto out;
    snprintf(disposition, sizeof disposition, "attachment; filename=\"tenant-%s.jsonl\"",
             tenant);
    if (http_respond_text(res, 200, "application/x-ndjson", archive.data, archive.len, err) < 0)
        goto out;
    if (http_response_add_header(res, "Content-Disposition", disposition) < 0 ||
        http_response_add_header(res, "X-Archive-SHA256", sha256) < 0) {
        error_set(err, ERR_INTERNAL, "cannot add a header");
        goto out;
    }
    rc = 0;
out:
    buf_free(&archive);
    return rc;
}

static int add_record(void *ctx, const struct export_log_entry *e)
{
    return listing_collect_add(
        ctx, json_pack("{s:s, s:s, s:s, s:{s:I, s:s}, s:s, s:s}", "id", e->id, "kind", e->kind,
                       "period", e->period, "head", "seq", (json_int_t)e->chain_seq, "hash",
                       e->chain_head, "by", e->actor, "createdAt", e->created_at));
}

int api_exports_log(struct http_request *req, struct http_response *res, struct error *err)
{
    struct app *app = req->app;
    struct listing_page page;
    if (listing_page_parse(req, "exl_", &page, err) < 0)
        return -1;
    struct listing_collect c;
    if (listing_collect_init(&c, &page, err) < 0)
        return -1;
    struct store_page sp = listing_store_page(&page);
    if (store_export_log_list(app->store, req->principal->tenant_id, &sp, add_record, &c,
                              err) < 0) {
        listing_collect_free(&c);
        return -1;
    }
    return listing_collect_respond(&c, res, "exports", err);
}
