/* events/summary.c - revenue.daily_summary: one per tenant per local day, in the tenant's
 * time zone (its settings; Europe/Vienna by default).
 *
 * The zones a tenant may choose (core/tz.c) change their clocks at 01:00 UTC, which is
 * never within an hour of their local midnight (21:00 to 00:00 UTC), so a local day's
 * bounds are exact: the offset at local midnight is the offset an hour before or after. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/money.h"
#include "events/events.h"
#include "settings/settings.h"
#include "store/outbox.h"
#include "store/store.h"

static void format_day(int year, int month, int day, char out[11])
{
    /* Normalized through timegm, so day 0 is the last day of the month before. */
    struct tm tm = {.tm_year = year - 1900, .tm_mon = month - 1, .tm_mday = day, .tm_hour = 12};
    time_t t = timegm(&tm);
    struct tm norm;
    gmtime_r(&t, &norm);
    strftime(out, 11, "%Y-%m-%d", &norm);
}

void events_local_day(const struct tz_zone *zone, int64_t utc_ms, char day[11])
{
    struct tz_local t;
    tz_local_time(zone, utc_ms, &t);
    format_day(t.year, t.month, t.day, day);
}

void events_local_yesterday(const struct tz_zone *zone, int64_t utc_ms, char day[11])
{
    struct tz_local t;
    tz_local_time(zone, utc_ms, &t);
    format_day(t.year, t.month, t.day - 1, day);
}

int events_day_bounds(const struct tz_zone *zone, const char *day, char from[CLOCK_RFC3339_LEN],
                      char to[CLOCK_RFC3339_LEN])
{
    struct tm tm = {0};
    if (!day || strlen(day) != 10 ||
        sscanf(day, "%4d-%2d-%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday) != 3)
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    int64_t midnight = (int64_t)timegm(&tm); /* the day's midnight, were it UTC */
    int64_t standard = (int64_t)zone->std_offset_min * 60;
    int64_t start = midnight - tz_offset_s(zone, midnight - standard);
    int64_t end = midnight + 86400 - tz_offset_s(zone, midnight + 86400 - standard);
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
    struct event_data d = {.currency = currency, .amount = amount,
                           .amount_minor = {.set = true, .value = total},
                           .count = {.set = true, .value = count}};
    struct error skipped; /* a row that cannot be JSON is left out of the list */
    json_array_append_new(ctx, events_part_total(&d, &skipped));
    return 0;
}

static int add_top(void *ctx, const char *id, const char *name, const char *currency,
                   int64_t total)
{
    struct money m = {.minor = total};
    char amount[MONEY_TEXT_MAX];
    snprintf(m.currency, sizeof m.currency, "%s", currency);
    money_format(&m, amount);
    struct event_data d = {.id = id, .name = name, .amount = amount, .currency = currency};
    struct error skipped; /* a row that cannot be JSON is left out of the list */
    json_array_append_new(ctx, events_part_top_customer(&d, &skipped));
    return 0;
}

int events_daily_summary(struct store *s, const char *tenant_id, const char *day,
                         bool *emitted, struct error *err)
{
    char from[CLOCK_RFC3339_LEN], to[CLOCK_RFC3339_LEN], yesterday[11];
    char *text = NULL;
    struct store_tx *tx = NULL;
    struct tenant_settings settings;
    json_t *totals = json_array(), *top = json_array();
    int rc = -1;
    *emitted = false;
    if (settings_load(s, tenant_id, &settings, err) < 0)
        goto out;
    const struct tz_zone *zone = settings.time_zone;
    if (!day) {
        events_local_yesterday(zone, clock_now_ms(), yesterday);
        day = yesterday;
    }
    if (events_day_bounds(zone, day, from, to) < 0) {
        error_set(err, ERR_VALIDATION, "day must be YYYY-MM-DD");
        goto out;
    }
    if (!totals || !top || store_tx_begin(s, &tx, err) < 0 ||
        store_revenue_totals(tx, tenant_id, from, to, add_total, totals, err) < 0 ||
        store_revenue_top_customers(tx, tenant_id, from, to, 5, add_top, top, err) < 0)
        goto out;
    struct event_data data = {.date = day, .time_zone = zone->name, .from = from, .to = to,
                              .totals = totals, .top_customers = top};
    if (!(text = events_build_revenue_daily_summary(&data, err)))
        goto out;
    struct event_record ev = {.data = text, .type = "revenue.daily_summary"};
    snprintf(ev.tenant_id, sizeof ev.tenant_id, "%s", tenant_id);
    if (events_publish(tx, &ev, 1, NULL, err) < 0 ||
        store_daily_summary_claim(tx, tenant_id, day, ev.id, emitted, err) < 0)
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
    free(text);
    json_decref(totals);
    json_decref(top);
    return rc;
}

struct id_list {
    struct listed_tenant {
        char id[CRYPTO_ID_MAX];
        char created_at[CLOCK_RFC3339_LEN];
    } *ids;
    size_t n, cap;
    bool failed;
};

static int collect_id(void *ctx, const char *tenant_id, const char *created_at)
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
    struct listed_tenant *t = &l->ids[l->n++];
    snprintf(t->id, sizeof t->id, "%s", tenant_id);
    snprintf(t->created_at, sizeof t->created_at, "%s", created_at ? created_at : "");
    return 0;
}

/* The summary of `day` for every tenant that has none yet; with yesterday_at, only for
 * the tenants whose yesterday (in their time zone) it is at that instant and that existed
 * before that day ended (a tenant created today gets no summary of a day it was not there
 * for; an operator asking for a day explicitly gets it for every tenant). Counts into
 * *done and *failed; -1 only when the tenants cannot be listed. */
static int summaries_of_day(struct store *s, const char *day, const int64_t *yesterday_at,
                            int *done, int *failed, struct error *err)
{
    /* Collect first: each summary needs a connection of its own, and the listing holds one
     * while it runs. */
    struct id_list l = {0};
    if (store_tenant_ids(s, day, collect_id, &l, err) < 0 || l.failed) {
        free(l.ids);
        return l.failed ? error_set(err, ERR_INTERNAL, "out of memory") : -1;
    }
    for (size_t i = 0; i < l.n; i++) {
        bool one = false;
        if (yesterday_at) {
            struct tenant_settings settings;
            char theirs[11], from[CLOCK_RFC3339_LEN], to[CLOCK_RFC3339_LEN];
            if (settings_load(s, l.ids[i].id, &settings, err) < 0) {
                (*failed)++;
                continue;
            }
            events_local_yesterday(settings.time_zone, *yesterday_at, theirs);
            if (strcmp(theirs, day) != 0)
                continue;
            /* Both instants are RFC 3339 in UTC with milliseconds: they compare as text. */
            if (events_day_bounds(settings.time_zone, day, from, to) == 0 &&
                strcmp(l.ids[i].created_at, to) >= 0)
                continue;
        }
        if (events_daily_summary(s, l.ids[i].id, day, &one, err) < 0)
            (*failed)++;
        else if (one)
            (*done)++;
    }
    free(l.ids);
    return 0;
}

int events_daily_summaries_for(struct store *s, const char *day, int *emitted,
                               struct error *err)
{
    int done = 0, failed = 0;
    if (summaries_of_day(s, day, NULL, &done, &failed, err) < 0)
        return -1;
    if (emitted)
        *emitted = done;
    return failed ? -1 : 0;
}

int events_daily_summaries_due(struct store *s, int64_t now_ms, int *emitted, struct error *err)
{
    /* Yesterday differs between zones for a few hours after midnight: each day that is
     * yesterday somewhere, for the tenants whose zone it is yesterday in. The zones span a
     * few hours, so that is one or two days. */
    size_t n_zones;
    const struct tz_zone *zones = tz_zones(&n_zones);
    char days[4][11];
    size_t n_days = 0;
    int done = 0, failed = 0;
    for (size_t z = 0; z < n_zones; z++) {
        char day[11];
        events_local_yesterday(&zones[z], now_ms, day);
        size_t k = 0;
        while (k < n_days && strcmp(days[k], day) != 0)
            k++;
        if (k == n_days && n_days < sizeof days / sizeof days[0])
            memcpy(days[n_days++], day, sizeof day);
    }
    for (size_t d = 0; d < n_days; d++)
        if (summaries_of_day(s, days[d], &now_ms, &done, &failed, err) < 0)
            return -1;
    if (emitted)
        *emitted = done;
    return failed ? -1 : 0;
}
