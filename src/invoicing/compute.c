/* invoicing/compute.c - the arithmetic of an invoice from time entries, pure: rounding of
 * minutes, lines per project (or entry) and rate, each line's net, the tax. No store, no
 * clock; tests/unit/invoicing/test_compute.c checks it against hand-computed figures. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/money.h"
#include "core/utf8.h"
#include "invoicing/invoicing.h"

int64_t invoicing_round_minutes(int64_t minutes, int unit)
{
    if (unit <= 0 || minutes <= 0)
        return minutes;
    return (minutes + unit - 1) / unit * unit;
}

int invoicing_line_net(int64_t minutes, int64_t rate_minor, int64_t *out, struct error *err)
{
    __int128 num = (__int128)minutes * rate_minor;
    __int128 q = (num * 2 + 60) / 120; /* half up; both factors are non-negative */
    if (minutes < 0 || rate_minor < 0 || q > MONEY_MAX_MINOR)
        return error_set(err, ERR_AMOUNT_OVERFLOW,
                         "%lld minutes at %lld minor units an hour exceed the largest amount",
                         (long long)minutes, (long long)rate_minor);
    *out = (int64_t)q;
    return 0;
}

int64_t invoicing_tax(int64_t net_minor, int rate_bp)
{
    if (rate_bp <= 0 || net_minor <= 0)
        return 0;
    __int128 q = ((__int128)net_minor * rate_bp * 2 + 10000) / 20000;
    return (int64_t)q; /* net <= MONEY_MAX_MINOR * entries, rate < 10000: fits */
}

void invoicing_built_free(struct invoicing_built *b)
{
    free(b->lines);
    free(b->res);
    free(b->missing);
    memset(b, 0, sizeof *b);
}

/* The rate of an entry: its own (in the invoice's currency), else the request's, else the
 * customer's default. False with *why when none applies. */
static bool rate_of(const struct store_billable_entry *e, const struct invoicing_rates *r,
                    int64_t *rate, const char **why)
{
    if (e->has_rate) {
        if (e->currency[0] && strcmp(e->currency, r->currency) != 0) {
            *why = "the entry's rate is in another currency than the invoice";
            return false;
        }
        *rate = e->rate_minor;
        return true;
    }
    if (r->has_request) {
        *rate = r->request_minor;
        return true;
    }
    if (r->has_default) {
        *rate = r->default_minor;
        return true;
    }
    *why = "no rate: the entry has none, the request gave none and the customer has no "
           "default rate";
    return false;
}

/* The line an entry goes on: grouped by project and rate, or one of its own. */
static struct store_draft_line *line_for(struct invoicing_built *b,
                                         const struct store_billable_entry *e, int64_t rate,
                                         bool by_entry)
{
    const char *project = e->project[0] ? e->project : "Time without a project";
    if (!by_entry)
        for (size_t i = 0; i < b->n_lines; i++)
            if (b->lines[i].rate_minor == rate && strcmp(b->lines[i].description, project) == 0)
                return &b->lines[i];
    struct store_draft_line *l = &b->lines[b->n_lines++];
    memset(l, 0, sizeof *l);
    l->line_no = (int64_t)b->n_lines;
    l->rate_minor = rate;
    if (by_entry) {
        char text[3 * INVOICING_TEXT_MAX];
        snprintf(text, sizeof text, "%.10s %s%s%s", e->started_at, e->project,
                 e->project[0] && e->description[0] ? ": " : "", e->description);
        utf8_copy(l->description, sizeof l->description, text);
    } else {
        utf8_copy(l->description, sizeof l->description, project);
    }
    /* A source's text may hold line breaks or tabs: an invoice line is one line. */
    for (char *p = l->description; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = ' ';
    return l;
}

int invoicing_build(const struct store_billable_entry *entries, size_t n, int rounding,
                    bool by_entry, const struct invoicing_rates *rates,
                    struct invoicing_built *out, struct error *err)
{
    memset(out, 0, sizeof *out);
    size_t cap = n ? n : 1;
    out->lines = calloc(cap, sizeof *out->lines);
    out->res = calloc(cap, sizeof *out->res);
    out->missing = calloc(cap, sizeof *out->missing);
    if (!out->lines || !out->res || !out->missing) {
        invoicing_built_free(out);
        return error_set(err, ERR_INTERNAL, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        const struct store_billable_entry *e = &entries[i];
        int64_t rate = 0;
        const char *why = NULL;
        if (e->minutes < 0 || e->minutes > INVOICING_MAX_MINUTES) {
            invoicing_built_free(out);
            return error_set(err, ERR_VALIDATION,
                             "time entry %s has %lld minutes, more than an invoice line takes",
                             e->id, (long long)e->minutes);
        }
        if (!rate_of(e, rates, &rate, &why)) {
            out->missing[out->n_missing++] = (struct invoicing_missing){e->id, why};
            continue;
        }
        struct store_draft_line *l = line_for(out, e, rate, by_entry);
        int64_t billed = invoicing_round_minutes(e->minutes, rounding);
        if (__builtin_add_overflow(l->minutes, billed, &l->minutes)) {
            invoicing_built_free(out);
            return error_set(err, ERR_AMOUNT_OVERFLOW, "the minutes of a line overflow");
        }
        l->entries++;
        out->res[out->n_res++] = (struct store_draft_reservation){
            .time_entry_id = e->id, .line_no = l->line_no, .billed_minutes = billed};
    }
    struct money net = {.minor = 0};
    snprintf(net.currency, sizeof net.currency, "%s", rates->currency);
    for (size_t i = 0; i < out->n_lines; i++) {
        struct money line = net;
        if (invoicing_line_net(out->lines[i].minutes, out->lines[i].rate_minor,
                               &out->lines[i].net_minor, err) < 0) {
            invoicing_built_free(out);
            return -1;
        }
        line.minor = out->lines[i].net_minor;
        if (money_add(&net, &line, &net, err) < 0) {
            invoicing_built_free(out);
            return -1;
        }
    }
    out->net_minor = net.minor;
    return 0;
}
