/* tenancy/archive.c - the tenant archive, its import, and the tenant's deletion (see
 * tenancy.h). The rows come from store/tenant_data.c, which finds the tenant's tables; the
 * DATEV files from ledger/, with the tenant's settings; this file only frames them. */
#include "tenancy/tenancy.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "crypto/crypto.h"
#include "ledger/ledger.h"
#include "settings/settings.h"
#include "store/installs.h"
#include "store/tenant_data.h"

#define ARCHIVE_FORMAT "connectord-tenant-archive"

/* Appends value as one compact line (keys sorted, so equal data gives equal lines). */
static int put_line(struct buf *out, json_t *value, struct error *err)
{
    char *text = json_dumps(value, JSON_COMPACT | JSON_SORT_KEYS);
    int rc = 0;
    if (!text)
        rc = error_set(err, ERR_INTERNAL, "out of memory");
    else if (buf_append_str(out, text) < 0 || buf_append(out, "\n", 1) < 0)
        rc = error_set(err, ERR_PAYLOAD_TOO_LARGE, "the archive is larger than allowed");
    free(text);
    json_decref(value);
    return rc;
}

struct writer {
    struct buf *out;
    json_t *tables; /* table -> rows written */
    int64_t rows;
    struct error *err;
};

static int write_row(void *ctx, const char *table, json_t *row)
{
    struct writer *w = ctx;
    json_t *count = json_object_get(w->tables, table);
    if (put_line(w->out, json_pack("{s:s, s:O}", "table", table, "row", row), w->err) < 0)
        return 1;
    json_object_set_new(w->tables, table,
                        json_integer(count ? json_integer_value(count) + 1 : 1));
    w->rows++;
    return 0;
}

/* ---- the DATEV files: one per fiscal year, cut at the turn of the calendar year ---------- */

static void civil_from_days(int64_t days, int *year, int *month, int *day)
{
    /* H. Hinnant's algorithm, the inverse of clock_days_from_civil */
    days += 719468;
    int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    int64_t doe = days - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *day = (int)(doy - (153 * mp + 2) / 5 + 1);
    *month = (int)(mp < 10 ? mp + 3 : mp - 9);
    *year = (int)(yoe + era * 400 + (*month <= 2));
}

static int64_t day_number(const char *ymd)
{
    int y, m, d;
    if (sscanf(ymd, "%4d-%2d-%2d", &y, &m, &d) != 3)
        return -1;
    return clock_days_from_civil(y, m, d);
}

static void day_text(int64_t days, char out[11])
{
    int y, m, d;
    civil_from_days(days, &y, &m, &d);
    snprintf(out, 11, "%04d-%02d-%02d", y, m, d);
}

/* One DATEV file of [from, to] as a line; a file that cannot be made (no datev connector,
 * a chart that is not DATEV's) is a line with the reason, so the archive says why. */
static int put_datev(struct store *s, const char *tenant_id, const struct tenant_settings *ts,
                     int fiscal_year, const char *from, const char *to, int64_t now_ms,
                     struct buf *out, struct error *err)
{
    struct buf file;
    struct error why = {0};
    char filename[LEDGER_DATEV_FILENAME_MAX];
    char *b64 = NULL;
    int rc = -1;
    buf_init(&file, 0);
    const struct ledger_datev_request rq = {.tenant_id = tenant_id,
                                            .from = from,
                                            .to = to,
                                            .chart = ts->chart,
                                            .tz = ts->time_zone,
                                            .fiscal_month = ts->fiscal_month,
                                            .fiscal_day = ts->fiscal_day,
                                            .now_ms = now_ms};
    json_t *line = json_pack("{s:i, s:s, s:s}", "fiscalYear", fiscal_year, "from", from, "to", to);
    if (!line)
        goto oom;
    if (ledger_datev_export(s, &rq, &file, filename, &why) < 0) {
        json_object_set_new(line, "error", json_pack("{s:s, s:s}", "code", error_code_str(why.code),
                                                     "message", why.message));
    } else {
        b64 = malloc(file.len / 3 * 4 + 8);
        if (!b64)
            goto oom;
        crypto_b64(file.data, file.len, b64);
        json_object_set_new(line, "name", json_string(filename));
        json_object_set_new(line, "encoding", json_string("windows-1252"));
        json_object_set_new(line, "base64", json_string(b64));
    }
    rc = put_line(out, json_pack("{s:o}", "datev", line), err);
    line = NULL;
    goto out;
oom:
    error_set(err, ERR_INTERNAL, "out of memory");
out:
    json_decref(line);
    free(b64);
    buf_free(&file);
    return rc;
}

static int put_datev_years(struct store *s, const char *tenant_id, int64_t now_ms,
                           struct buf *out, struct error *err)
{
    struct tenant_settings ts;
    char first[11], last[11];
    if (settings_load(s, tenant_id, &ts, err) < 0 ||
        store_tenant_books_span(s, tenant_id, first, last, err) < 0)
        return -1;
    int64_t day = day_number(first), end = day_number(last);
    if (day < 0 || end < 0)
        return 0; /* no books */
    int y, m, d;
    civil_from_days(day, &y, &m, &d);
    /* the start of the fiscal year that holds the first booking */
    int fy = (m > ts.fiscal_month || (m == ts.fiscal_month && d >= ts.fiscal_day)) ? y : y - 1;
    day = clock_days_from_civil(fy, ts.fiscal_month, ts.fiscal_day);
    while (day <= end) {
        int64_t fy_end = clock_days_from_civil(fy + 1, ts.fiscal_month, ts.fiscal_day) - 1;
        int64_t piece_end;
        char from[11], to[11];
        civil_from_days(day, &y, &m, &d);
        /* DATEV takes one calendar year per file: cut a fiscal year at the new year */
        piece_end = clock_days_from_civil(y, 12, 31);
        if (piece_end > fy_end)
            piece_end = fy_end;
        day_text(day, from);
        day_text(piece_end, to);
        if (put_datev(s, tenant_id, &ts, fy, from, to, now_ms, out, err) < 0)
            return -1;
        day = piece_end + 1;
        if (day > fy_end)
            fy++;
    }
    return 0;
}

/* ---- export -------------------------------------------------------------------------------- */

int tenancy_export(struct store *s, const char *tenant_id, const char *via, int64_t now_ms,
                   struct buf *out, char sha256[TENANCY_SHA256_HEX], int64_t *rows,
                   struct error *err)
{
    struct tenant t;
    int64_t version = 0;
    char created[CLOCK_RFC3339_LEN];
    unsigned char digest[CRYPTO_SHA256_LEN];
    struct writer w = {.out = out, .tables = json_object(), .err = err};
    char *detail = NULL;
    int rc = -1;
    if (!w.tables)
        return error_set(err, ERR_INTERNAL, "out of memory");
    if (store_tenant_get(s, tenant_id, &t, err) < 0 || store_schema_version(s, &version, err) < 0)
        goto out;
    clock_format_rfc3339(now_ms, created);
    if (put_line(out,
                 json_pack("{s:s, s:i, s:s, s:I, s:s}", "format", ARCHIVE_FORMAT, "version",
                           TENANCY_ARCHIVE_VERSION, "tenantId", tenant_id, "schemaVersion",
                           (json_int_t)version, "createdAt", created),
                 err) < 0)
        goto out;
    if (store_tenant_dump(s, tenant_id, write_row, &w, err) < 0 ||
        put_datev_years(s, tenant_id, now_ms, out, err) < 0 ||
        put_line(out, json_pack("{s:{s:I, s:O}}", "end", "rows", (json_int_t)w.rows, "tables",
                                w.tables),
                 err) < 0)
        goto out;
    crypto_sha256(out->data, out->len, digest);
    crypto_hex(digest, sizeof digest, sha256);
    json_t *what = json_pack("{s:s, s:I, s:I}", "via", via, "rows", (json_int_t)w.rows,
                             "bytes", (json_int_t)out->len);
    detail = what ? json_dumps(what, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(what);
    if (!detail) {
        error_set(err, ERR_INTERNAL, "out of memory");
        goto out;
    }
    if (store_operator_log_add(s, STORE_OPLOG_EXPORT, tenant_id, sha256, detail, err) < 0)
        goto out;
    *rows = w.rows;
    rc = 0;
out:
    free(detail);
    json_decref(w.tables);
    return rc;
}

/* ---- import -------------------------------------------------------------------------------- */

struct reader {
    const char *p, *end;
    int64_t line_no;
};

/* The next line as JSON; NULL at the end (*done) or on a malformed line (err set). */
static json_t *next_line(struct reader *r, bool *done, struct error *err)
{
    *done = r->p >= r->end;
    if (*done)
        return NULL;
    const char *nl = memchr(r->p, '\n', (size_t)(r->end - r->p));
    size_t len = nl ? (size_t)(nl - r->p) : (size_t)(r->end - r->p);
    json_error_t jerr;
    r->line_no++;
    json_t *v = json_loadb(r->p, len, JSON_REJECT_DUPLICATES, &jerr);
    r->p += len + (nl ? 1 : 0);
    if (!json_is_object(v)) {
        json_decref(v);
        error_set(err, ERR_VALIDATION, "line %lld of the archive is not a JSON object",
                  (long long)r->line_no);
        return NULL;
    }
    return v;
}

static int read_header(struct store *s, struct reader *r, char *tenant_id, size_t cap,
                       struct error *err)
{
    bool done;
    int64_t ours = 0;
    json_t *h = next_line(r, &done, err);
    const char *format = json_string_value(json_object_get(h, "format"));
    const char *id = json_string_value(json_object_get(h, "tenantId"));
    json_t *version = json_object_get(h, "version"), *schema = json_object_get(h, "schemaVersion");
    int rc = -1;
    if (!h) {
        if (done)
            error_set(err, ERR_VALIDATION, "the archive is empty");
        return -1;
    }
    if (!format || strcmp(format, ARCHIVE_FORMAT) != 0 || !json_is_integer(version) ||
        json_integer_value(version) != TENANCY_ARCHIVE_VERSION || !id || !*id ||
        strlen(id) >= cap || !json_is_integer(schema)) {
        error_set(err, ERR_VALIDATION, "line 1 is not the head of a version %d tenant archive",
                  TENANCY_ARCHIVE_VERSION);
        goto out;
    }
    if (store_schema_version(s, &ours, err) < 0)
        goto out;
    if (json_integer_value(schema) > ours) {
        error_set(err, ERR_VALIDATION,
                  "the archive comes from a newer store (schema %lld, this one has %lld): "
                  "upgrade connectord first",
                  (long long)json_integer_value(schema), (long long)ours);
        goto out;
    }
    snprintf(tenant_id, cap, "%s", id);
    rc = 0;
out:
    json_decref(h);
    return rc;
}

/* Each table the archive loaded rows into must now hold as many rows of the tenant: a row
 * that names its tenant only through another row (an attempt through its delivery) must
 * have named one of this tenant's. */
static int check_loaded(struct store_tx *tx, const char *tenant_id, json_t *loaded,
                        struct error *err)
{
    const char *table;
    json_t *count;
    json_object_foreach(loaded, table, count) {
        int64_t n = 0;
        if (store_tenant_row_count(tx, tenant_id, table, &n, err) < 0)
            return -1;
        if (n != json_integer_value(count))
            return error_set(err, ERR_VALIDATION,
                             "%lld of the rows of %s belong to another tenant",
                             (long long)(json_integer_value(count) - n), table);
    }
    return 0;
}

/* Loads the row lines into tx until the end line, which must count them all. */
static int load_rows(struct store_tx *tx, struct reader *r, const char *tenant_id,
                     json_t *loaded, int64_t *rows, struct error *err)
{
    for (;;) {
        bool done;
        json_t *line = next_line(r, &done, err), *end, *row;
        const char *table;
        int rc = 0;
        if (!line)
            return done ? error_set(err, ERR_VALIDATION,
                                    "the archive is cut short: it has no end line")
                        : -1;
        if ((end = json_object_get(line, "end"))) {
            json_t *count = json_object_get(end, "rows");
            if (!json_is_integer(count) || json_integer_value(count) != *rows)
                rc = error_set(err, ERR_VALIDATION,
                               "the archive's end line counts other rows than it holds");
            else if (r->p < r->end)
                rc = error_set(err, ERR_VALIDATION, "line %lld follows the end line",
                               (long long)r->line_no + 1);
            json_decref(line);
            return rc;
        }
        table = json_string_value(json_object_get(line, "table"));
        row = json_object_get(line, "row");
        if (table && row) {
            json_t *count = json_object_get(loaded, table);
            rc = store_tenant_row_load(tx, tenant_id, table, row, err);
            if (rc == 0)
                json_object_set_new(loaded, table,
                                    json_integer(count ? json_integer_value(count) + 1 : 1));
            if (rc < 0) {
                struct error why = *err;
                error_set(err, why.code == ERR_STORE ? ERR_VALIDATION : why.code,
                          "line %lld: %s", (long long)r->line_no, why.message);
            }
            (*rows)++;
        } else if (!json_object_get(line, "datev")) {
            rc = error_set(err, ERR_VALIDATION, "line %lld is neither a row, a DATEV file nor "
                           "the end", (long long)r->line_no);
        }
        /* DATEV files are made from the rows; an import does not need them */
        json_decref(line);
        if (rc < 0)
            return -1;
    }
}

int tenancy_import(struct store *s, const char *data, size_t len, char *tenant_id,
                   size_t tenant_id_cap, int64_t *rows, struct error *err)
{
    struct reader r = {.p = data, .end = data + len};
    struct store_tx *tx = NULL;
    struct tenant t;
    unsigned char digest[CRYPTO_SHA256_LEN];
    char sha256[TENANCY_SHA256_HEX], detail[64];
    *rows = 0;
    if (read_header(s, &r, tenant_id, tenant_id_cap, err) < 0)
        return -1;
    if (store_tenant_get(s, tenant_id, &t, err) == 0)
        return error_set(err, ERR_CONFLICT, "tenant %s exists in this store already", tenant_id);
    if (err->code != ERR_NOT_FOUND)
        return -1;
    error_clear(err);
    json_t *loaded = json_object();
    if (!loaded)
        return error_set(err, ERR_INTERNAL, "out of memory");
    if (store_tx_begin(s, &tx, err) < 0) {
        json_decref(loaded);
        return -1;
    }
    if (store_tenant_erasure_clear(tx, tenant_id, err) < 0 ||
        load_rows(tx, &r, tenant_id, loaded, rows, err) < 0 ||
        check_loaded(tx, tenant_id, loaded, err) < 0) {
        store_tx_rollback(tx);
        json_decref(loaded);
        return -1;
    }
    json_decref(loaded);
    if (store_tx_commit(tx, err) < 0)
        return -1;
    crypto_sha256(data, len, digest);
    crypto_hex(digest, sizeof digest, sha256);
    snprintf(detail, sizeof detail, "{\"rows\":%lld}", (long long)*rows);
    return store_operator_log_add(s, STORE_OPLOG_IMPORT, tenant_id, sha256, detail, err);
}

/* ---- delete -------------------------------------------------------------------------------- */

int tenancy_delete(struct store *s, const char *tenant_id, const char *force_sha256,
                   int64_t now_ms, int64_t *rows, struct error *err)
{
    struct tenant t;
    char first[11], last[11], today[CLOCK_RFC3339_LEN];
    bool archived = false;
    int rc = -1;
    *rows = 0;
    if (store_tenant_get(s, tenant_id, &t, err) < 0 ||
        store_tenant_books_span(s, tenant_id, first, last, err) < 0)
        return -1;
    clock_format_rfc3339(now_ms, today);
    int last_year = last[0] ? atoi(last) : 0;
    int this_year = atoi(today);
    bool retained = last[0] && this_year <= last_year + TENANCY_RETENTION_YEARS;
    if (force_sha256) {
        if (store_operator_log_has_archive(s, tenant_id, force_sha256, &archived, err) < 0)
            return -1;
        if (!archived)
            return error_set(err, ERR_VALIDATION,
                             "%s is not the SHA-256 of an archive made of tenant %s",
                             force_sha256, tenant_id);
    } else if (retained) {
        return error_set(err, ERR_CONFLICT,
                         "tenant %s has books up to %s, which the law keeps until the end of "
                         "%d; make its archive (tenant export) and pass --force with the "
                         "archive's SHA-256",
                         tenant_id, last, last_year + TENANCY_RETENTION_YEARS);
    }
    json_t *detail = json_pack("{s:s, s:s, s:b, s:b}", "name", t.name, "plan", t.plan, "forced",
                               force_sha256 != NULL, "booksRetained", retained);
    if (!detail)
        return error_set(err, ERR_INTERNAL, "out of memory");
    if (last[0])
        json_object_set_new(detail, "lastBooking", json_string(last));
    rc = store_tenant_erase(s, tenant_id, force_sha256, detail, rows, err);
    json_decref(detail);
    return rc;
}
