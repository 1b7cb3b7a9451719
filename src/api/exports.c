/* api/exports.c - files for outside parties, admin only:
 *   GET /api/exports/datev?from=YYYY-MM-DD&to=YYYY-MM-DD
 *       the tenant's bookings of the period as a DATEV EXTF Buchungsstapel (Windows-1252,
 *       text/csv), as an attachment named as DATEV names them. Needs the datev connector.
 *   GET /api/exports/tenant
 *       the archive of all of the tenant's data (tenancy/tenancy.h: JSON lines), its
 *       SHA-256 in X-Archive-SHA256, recorded in the operator log. */
#include <stdio.h>

#include "api/listing.h"
#include "core/clock.h"
#include "ledger/ledger.h"
#include "settings/settings.h"
#include "tenancy/tenancy.h"

#define EXPORT_MAX (48u << 20) /* 99 999 bookings of ~400 bytes fit */
#define ARCHIVE_MAX (512u << 20) /* larger tenants use connectord tenant export */

int api_export_datev(struct http_request *req, struct http_response *res, struct error *err)
{
    struct app *app = req->app;
    const char *from, *to;
    struct tenant_settings ts;
    char filename[LEDGER_DATEV_FILENAME_MAX], disposition[128];
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
    if (ledger_datev_export(app->store, &rq, &file, filename, err) < 0)
        goto out;
    snprintf(disposition, sizeof disposition, "attachment; filename=\"%s\"", filename);
    if (http_respond_text(res, 200, "text/csv; charset=windows-1252", file.data, file.len,
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
