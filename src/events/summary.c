/* events/summary.c - revenue.daily_summary: one per tenant per local day.
 *
 * Tenants keep their books in Europe/Vienna time (seed 000's market): CET, UTC+1, and
 * CEST, UTC+2, from the last Sunday of March 01:00 UTC to the last Sunday of October
 * 01:00 UTC (the EU rule). Changes happen at 01:00 UTC, never at local midnight, so a
 * local day's bounds are exact. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/money.h"
#include "events/events.h"

/* Unix seconds of the last Sunday of a month (1..12) at 01:00 UTC. */
static int64_t last_sunday_0100(int year, int month)
{
    struct tm tm = {.tm_year = year - 1900, .tm_mon = month, .tm_mday = 1, .tm_hour = 1};
    int64_t first_of_next = (int64_t)timegm(&tm); /* month is 0-based: this is month + 1 */
    struct tm wd;
    time_t last_day = (time_t)(first_of_next - 86400);
    gmtime_r(&last_day, &wd);
    return first_of_next - 86400 - (int64_t)wd.tm_wday * 86400;
}

static int64_t offset_s(int64_t utc_s)
{
    struct tm tm;
    time_t t = (time_t)utc_s;
    gmtime_r(&t, &tm);
    int year = tm.tm_year + 1900;
    bool summer = utc_s >= last_sunday_0100(year, 3) && utc_s < last_sunday_0100(year, 10);
    return summer ? 7200 : 3600;
}

void events_local_day(int64_t utc_ms, char day[11])
{
    char full[CLOCK_RFC3339_LEN];
    int64_t s = utc_ms / 1000;
    clock_format_rfc3339((s + offset_s(s)) * 1000, full);
    memcpy(day, full, 10);
    day[10] = '\0';
}

int events_day_bounds(const char *day, char from[CLOCK_RFC3339_LEN], char to[CLOCK_RFC3339_LEN])
{
    struct tm tm = {0};
    if (!day || strlen(day) != 10 || sscanf(day, "%4d-%2d-%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday) != 3)
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    int64_t midnight_utc = (int64_t)timegm(&tm);
    /* the offset two hours before is the offset at local midnight (changes are at 01:00 UTC) */
    int64_t start = midnight_utc - offset_s(midnight_utc - 7200);
    int64_t end = midnight_utc + 86400 - offset_s(midnight_utc + 86400 - 7200);
    clock_format_rfc3339(start * 1000, from);
    clock_format_rfc3339(end * 1000, to);
    return 0;
}

static int add_total(void *ctx, const char *currency, int64_t count, int64_t total)
{
    struct money m = {.minor = total};
    char amount[MONEY_TEXT_MAX];
    snprintf(m.currency, sizeof m.currency, "%s", currency);
    money_format(&m, amount);
    json_array_append_new(ctx, json_pack("{s:s, s:s, s:I, s:I}", "currency", currency, "amount",
                                         amount, "amountMinor", (json_int_t)total, "count",
                                         (json_int_t)count));
    return 0;
}

static int add_top(void *ctx, const char *id, const char *name, const char *currency,
                   int64_t total)
{
    struct money m = {.minor = total};
    char amount[MONEY_TEXT_MAX];
    snprintf(m.currency, sizeof m.currency, "%s", currency);
    money_format(&m, amount);
    json_array_append_new(ctx, json_pack("{s:s, s:s, s:s, s:s}", "id", id, "name", name, "amount",
                                         amount, "currency", currency));
    return 0;
}

int events_daily_summary(struct store *s, const char *tenant_id, const char *day,
                         bool *emitted, struct error *err)
{
    char from[CLOCK_RFC3339_LEN], to[CLOCK_RFC3339_LEN], id[CRYPTO_ID_MAX];
    struct store_tx *tx = NULL;
    json_t *totals = json_array(), *top = json_array();
    int rc = -1;
    *emitted = false;
    if (events_day_bounds(day, from, to) < 0) {
        error_set(err, ERR_VALIDATION, "day must be YYYY-MM-DD");
        goto out;
    }
    if (!totals || !top || store_tx_begin(s, &tx, err) < 0 ||
        store_revenue_totals(tx, tenant_id, from, to, add_total, totals, err) < 0 ||
        store_revenue_top_customers(tx, tenant_id, from, to, 5, add_top, top, err) < 0)
        goto out;
    json_t *data = json_pack("{s:s, s:s, s:s, s:s, s:O, s:O}", "date", day, "timeZone",
                             EVENTS_DEFAULT_TIME_ZONE, "from", from, "to", to, "totals", totals,
                             "topCustomers", top);
    if (events_emit(tx, tenant_id, "revenue.daily_summary", data, id, NULL, err) < 0 ||
        store_daily_summary_claim(tx, tenant_id, day, id, emitted, err) < 0)
        goto out;
    if (!*emitted) { /* already done for this day: undo the event written above */
        store_tx_rollback(tx);
        tx = NULL;
        rc = 0;
        goto out;
    }
    struct store_tx *committing = tx;
    tx = NULL;
    rc = store_tx_commit(committing, err);
    if (rc < 0)
        *emitted = false;
out:
    store_tx_rollback(tx);
    json_decref(totals);
    json_decref(top);
    return rc;
}

struct id_list {
    char (*ids)[CRYPTO_ID_MAX];
    size_t n, cap;
    bool failed;
};

static int collect_id(void *ctx, const char *tenant_id)
{
    struct id_list *l = ctx;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        void *grown = realloc(l->ids, cap * sizeof *l->ids);
        if (!grown) {
            l->failed = true;
            return 1;
        }
        l->ids = grown;
        l->cap = cap;
    }
    snprintf(l->ids[l->n++], CRYPTO_ID_MAX, "%s", tenant_id);
    return 0;
}

int events_daily_summaries_for(struct store *s, const char *day, int *emitted,
                               struct error *err)
{
    /* Collect first: each summary needs a connection of its own, and the listing holds one
     * while it runs. */
    struct id_list l = {0};
    int done = 0, failed = 0;
    if (store_tenant_ids(s, day, collect_id, &l, err) < 0 || l.failed) {
        free(l.ids);
        return l.failed ? error_set(err, ERR_INTERNAL, "out of memory") : -1;
    }
    for (size_t i = 0; i < l.n; i++) {
        bool one = false;
        if (events_daily_summary(s, l.ids[i], day, &one, err) < 0)
            failed++;
        else if (one)
            done++;
    }
    free(l.ids);
    if (emitted)
        *emitted = done;
    return failed ? -1 : 0;
}

int events_daily_summaries_due(struct store *s, int64_t now_ms, int *emitted, struct error *err)
{
    char yesterday[11];
    /* the local day before today's local day */
    char today[11];
    events_local_day(now_ms, today);
    events_local_day(now_ms - 86400000LL, yesterday);
    if (strcmp(today, yesterday) == 0) /* a 25-hour day: step back one more hour */
        events_local_day(now_ms - 90000000LL, yesterday);
    return events_daily_summaries_for(s, yesterday, emitted, err);
}
