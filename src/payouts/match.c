/* payouts/match.c - matching the bank's transactions (payouts.h).
 *
 * A booked, unmatched line is matched automatically only when exactly one thing fits, in
 * this order:
 *   1. an open invoice (posted, not paid through the bank) of the line's amount and
 *      currency, issued (ausgangsrechnung) for money in, received (eingangsrechnung) for
 *      money out, whose number or provider id (a payment intent, an order) the remittance
 *      or reference names: bank is booked against the invoice's counter account, the
 *      account its entry balanced on (receivables, payables, a provider's clearing);
 *   2. a provider's payout of the line's amount and currency not matched yet, whose id or
 *      statement reference the remittance names: the line names the payout's entry, which
 *      moved the provider's clearing account to the bank when the payout was pulled;
 *   3. the tenant's rule for the line's counterparty: bank against the rule's account.
 * Anything else (nothing fits, a cent off, two invoices fit) waits for review, where a
 * person matches it to an invoice or books it to an account, and may save a rule.
 *
 * Each line is matched in a transaction of its own; the line's conditional update
 * (store_bank_line_match) and the unique keys of invoice_payments and the payout's link
 * make two matchers at once (two processes) agree on one outcome. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"
#include "core/money.h"
#include "core/utf8.h"
#include "ledger/ledger.h"
#include "payouts/payouts_int.h"
#include "store/accounting.h"
#include "store/installs.h"

#define LINES_MAX 5000 /* lines one automatic pass looks at */
#define LINES_OF_ENTRY 8

void payouts_counterparty_fold(const char *name, char *out, size_t cap)
{
    size_t n = 0;
    bool space = false;
    if (cap == 0)
        return;
    for (const char *p = name ? name : ""; *p && n + 2 < cap; p++) {
        unsigned char ch = (unsigned char)*p;
        if (isspace(ch)) {
            space = n > 0;
            continue;
        }
        if (space)
            out[n++] = ' ';
        space = false;
        out[n++] = (char)tolower(ch);
    }
    out[n] = '\0';
    n = utf8_cut(out, n);
    out[n] = '\0';
}

/* Whether needle occurs in hay as a whole token, ignoring case: not inside a longer number
 * or word ("RE-100" is not named by "RE-1000"). */
static bool has_token(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (const char *p = strcasestr(hay, needle); p; p = strcasestr(p + 1, needle)) {
        bool before = p == hay || !isalnum((unsigned char)p[-1]);
        bool after = !isalnum((unsigned char)p[n]);
        if (before && after)
            return true;
    }
    return false;
}

/* Whether needle (at least min bytes) is named in the line's remittance or reference. */
static bool names(const struct bank_line *l, const char *needle, size_t min)
{
    if (!needle || strlen(needle) < min)
        return false;
    return has_token(l->remittance, needle) || has_token(l->reference, needle);
}

static const char *bank_account_of(const struct bank_line *l, const struct tenant_settings *st)
{
    return l->ledger_account[0] ? l->ledger_account : st->chart->bank;
}

/* Books the line against `other`: money in debits bank, money out credits it. */
static int book_line(struct store_tx *tx, const char *tenant_id, const struct bank_line *l,
                     const struct tenant_settings *st, const char *other,
                     const char *description, char entry_id[CRYPTO_ID_MAX], struct error *err)
{
    struct money m;
    if (money_from_minor(l->amount_minor < 0 ? -l->amount_minor : l->amount_minor, l->currency,
                         &m, err) < 0)
        return -1;
    const char *bank = bank_account_of(l, st);
    const char *date = l->booking_date[0] ? l->booking_date : l->value_date;
    return payouts_post_bank(tx, tenant_id, date, description, l->amount_minor > 0 ? bank : other,
                             l->amount_minor > 0 ? other : bank, &m, entry_id, err);
}

/* The account an invoice's entry balanced on: its last line (ledger/post.c writes the
 * counter line last). */
static int counter_account(struct store_tx *tx, const char *tenant_id, const char *entry_id,
                           char out[32], struct error *err)
{
    struct journal_line_row rows[LINES_OF_ENTRY];
    size_t n = 0;
    if (store_journal_lines_get(tx, tenant_id, entry_id, rows, LINES_OF_ENTRY, &n, err) < 0)
        return -1;
    if (n < 2)
        return error_set(err, ERR_CONFLICT, "the invoice's entry has no counter line");
    snprintf(out, 32, "%s", rows[n - 1].account);
    return 0;
}

static int pay_invoice(struct store_tx *tx, const char *tenant_id, const struct bank_line *l,
                       const struct tenant_settings *st, const struct open_invoice *inv,
                       const char *how, struct error *err)
{
    char counter[32], entry[CRYPTO_ID_MAX], description[300];
    snprintf(description, sizeof description, "Bank: invoice %.*s paid",
             UTF8_CUT(100, inv->invoice_number));
    if (counter_account(tx, tenant_id, inv->journal_entry_id, counter, err) < 0 ||
        book_line(tx, tenant_id, l, st, counter, description, entry, err) < 0 ||
        store_invoice_payment_insert(tx, tenant_id, inv->id, l->id, entry,
                                     l->booking_date[0] ? l->booking_date : l->value_date,
                                     err) < 0)
        return -1;
    return store_bank_line_match(tx, tenant_id, l->id, how, inv->id, entry, err);
}

/* ---- automatic --------------------------------------------------------------------------- */

struct candidates {
    const struct bank_line *line;
    int n;
    struct open_invoice inv;
    struct provider_movement payout;
};

static int consider_invoice(void *ctx, const struct open_invoice *inv)
{
    struct candidates *c = ctx;
    if (names(c->line, inv->invoice_number, 3) || names(c->line, inv->external_id, 6)) {
        if (c->n++ == 0)
            c->inv = *inv;
    }
    return 0;
}

static int consider_payout(void *ctx, const struct provider_movement *m)
{
    struct candidates *c = ctx;
    if (names(c->line, m->external_id, 6) || names(c->line, m->reference, 4)) {
        if (c->n++ == 0)
            c->payout = *m;
    }
    return 0;
}

enum matched { MATCHED_NONE, MATCHED_INVOICE, MATCHED_PAYOUT, MATCHED_RULE };

static int match_one(struct store_tx *tx, const char *tenant_id, const struct bank_line *l,
                     const struct tenant_settings *st, enum matched *how, struct error *err)
{
    struct candidates c = {.line = l};
    int64_t amount = l->amount_minor < 0 ? -l->amount_minor : l->amount_minor;
    *how = MATCHED_NONE;
    if (amount == 0)
        return 0;
    if (store_open_invoices(tx, tenant_id, l->amount_minor > 0 ? "ausgangsrechnung"
                                                               : "eingangsrechnung",
                            amount, l->currency, consider_invoice, &c, err) < 0)
        return -1;
    if (c.n == 1) {
        *how = MATCHED_INVOICE;
        return pay_invoice(tx, tenant_id, l, st, &c.inv, "invoice", err);
    }
    if (c.n > 1)
        return 0; /* two invoices fit: a person decides */
    if (l->amount_minor > 0) {
        if (store_payouts_unmatched(tx, tenant_id, amount, l->currency, consider_payout, &c,
                                    err) < 0)
            return -1;
        if (c.n == 1) {
            *how = MATCHED_PAYOUT;
            if (store_payout_link(tx, tenant_id, c.payout.id, l->id, err) < 0)
                return -1;
            return store_bank_line_match(tx, tenant_id, l->id, "payout", NULL,
                                         c.payout.ledger_entry_id[0] ? c.payout.ledger_entry_id
                                                                     : NULL,
                                         err);
        }
        if (c.n > 1)
            return 0;
    }
    char folded[STORE_NAME_MAX];
    struct match_rule rule;
    bool found = false;
    payouts_counterparty_fold(l->counterparty_name, folded, sizeof folded);
    if (!folded[0])
        return 0;
    if (store_match_rule_find(tx, tenant_id, folded, &rule, &found, err) < 0)
        return -1;
    if (!found)
        return 0;
    char entry[CRYPTO_ID_MAX], description[300];
    snprintf(description, sizeof description, "Bank: %.*s (rule)",
             UTF8_CUT(120, l->counterparty_name));
    *how = MATCHED_RULE;
    if (book_line(tx, tenant_id, l, st, rule.account, description, entry, err) < 0)
        return -1;
    return store_bank_line_match(tx, tenant_id, l->id, "rule", NULL, entry, err);
}

struct line_list {
    struct bank_line *v;
    size_t n, cap;
    bool failed;
};

static int collect(void *ctx, const struct bank_line *l)
{
    struct line_list *list = ctx;
    if (list->n == list->cap) {
        size_t cap = list->cap ? list->cap * 2 : 32;
        if (cap > LINES_MAX)
            return 1;
        struct bank_line *v = realloc(list->v, cap * sizeof *v);
        if (!v) {
            list->failed = true;
            return 1;
        }
        list->v = v;
        list->cap = cap;
    }
    list->v[list->n++] = *l;
    return 0;
}

/* What anything could be matched to, read before the lines: the candidates' amounts and
 * the rules' counterparties, sorted. A line that fits neither is left without a write
 * transaction (most unmatched lines, every pass). */
struct reachable {
    struct amount_key {
        int64_t minor;
        char currency[4];
    } *amounts;
    size_t n_amounts, cap_amounts;
    char (*names)[STORE_NAME_MAX];
    size_t n_names, cap_names;
    bool failed;
};

static int cmp_amount(const void *a, const void *b)
{
    const struct amount_key *x = a, *y = b;
    if (x->minor != y->minor)
        return x->minor < y->minor ? -1 : 1;
    return strcmp(x->currency, y->currency);
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(a, b);
}

static int keep_amount(void *ctx, int64_t minor, const char *currency)
{
    struct reachable *r = ctx;
    if (r->n_amounts == r->cap_amounts) {
        size_t cap = r->cap_amounts ? r->cap_amounts * 2 : 64;
        struct amount_key *v = realloc(r->amounts, cap * sizeof *v);
        if (!v) {
            r->failed = true;
            return 1;
        }
        r->amounts = v;
        r->cap_amounts = cap;
    }
    struct amount_key *k = &r->amounts[r->n_amounts++];
    k->minor = minor;
    snprintf(k->currency, sizeof k->currency, "%s", currency);
    return 0;
}

static int keep_rule(void *ctx, const struct match_rule *rule)
{
    struct reachable *r = ctx;
    if (r->n_names == r->cap_names) {
        size_t cap = r->cap_names ? r->cap_names * 2 : 16;
        char(*v)[STORE_NAME_MAX] = realloc(r->names, cap * sizeof *v);
        if (!v) {
            r->failed = true;
            return 1;
        }
        r->names = v;
        r->cap_names = cap;
    }
    snprintf(r->names[r->n_names++], STORE_NAME_MAX, "%s", rule->counterparty);
    return 0;
}

static bool can_match(const struct reachable *r, const struct bank_line *l)
{
    struct amount_key k = {.minor = l->amount_minor < 0 ? -l->amount_minor : l->amount_minor};
    char folded[STORE_NAME_MAX];
    snprintf(k.currency, sizeof k.currency, "%s", l->currency);
    if (r->n_amounts && bsearch(&k, r->amounts, r->n_amounts, sizeof k, cmp_amount))
        return true;
    payouts_counterparty_fold(l->counterparty_name, folded, sizeof folded);
    return folded[0] && r->n_names &&
           bsearch(folded, r->names, r->n_names, STORE_NAME_MAX, cmp_name);
}

int payouts_match_tenant(struct store *s, const char *tenant_id,
                         struct payouts_match_totals *out, struct error *err)
{
    struct reachable reach = {0};
    struct line_list list = {0};
    struct tenant_settings st;
    int rc = -1;
    memset(out, 0, sizeof *out);
    if (settings_load(s, tenant_id, &st, err) < 0 ||
        store_bank_lines_unmatched(s, tenant_id, collect, &list, err) < 0)
        goto out;
    if (list.n && (store_match_amounts(s, tenant_id, keep_amount, &reach, err) < 0 ||
                   store_match_rules_list(s, tenant_id, keep_rule, &reach, err) < 0))
        goto out;
    if (list.failed || reach.failed) {
        error_set(err, ERR_INTERNAL, "out of memory");
        goto out;
    }
    if (reach.n_amounts)
        qsort(reach.amounts, reach.n_amounts, sizeof *reach.amounts, cmp_amount);
    if (reach.n_names)
        qsort(reach.names, reach.n_names, sizeof *reach.names, cmp_name);
    for (size_t i = 0; i < list.n; i++) {
        if (!can_match(&reach, &list.v[i])) {
            out->unmatched++;
            continue;
        }
        struct store_tx *tx = NULL;
        struct error e = {0};
        enum matched how = MATCHED_NONE;
        if (store_tx_begin(s, &tx, err) < 0)
            goto out;
        /* One line that cannot be booked (no ECB rate yet, matched by another process a
         * moment ago) waits; the others go on. */
        if (match_one(tx, tenant_id, &list.v[i], &st, &how, &e) < 0 || how == MATCHED_NONE) {
            store_tx_rollback(tx);
            if (e.code != ERR_OK)
                log_warn("matching bank transaction %s of tenant %s: %s", list.v[i].id,
                         tenant_id, e.message);
            out->unmatched++;
            continue;
        }
        if (store_tx_commit(tx, &e) < 0) {
            log_warn("matching bank transaction %s of tenant %s: %s", list.v[i].id, tenant_id,
                     e.message);
            out->unmatched++;
            continue;
        }
        out->invoices += how == MATCHED_INVOICE;
        out->payouts += how == MATCHED_PAYOUT;
        out->rules += how == MATCHED_RULE;
    }
    rc = 0;
out:
    free(list.v);
    free(reach.amounts);
    free(reach.names);
    return rc;
}

struct all_walk {
    struct store *s;
    struct payouts_match_totals *sum;
};

static int match_each(void *ctx, const struct tenant *t)
{
    struct all_walk *w = ctx;
    struct payouts_match_totals one;
    struct error err = {0};
    if (payouts_match_tenant(w->s, t->id, &one, &err) < 0) {
        log_warn("matching of tenant %s: %s", t->id, err.message);
        return 0;
    }
    w->sum->invoices += one.invoices;
    w->sum->payouts += one.payouts;
    w->sum->rules += one.rules;
    w->sum->unmatched += one.unmatched;
    return 0;
}

int payouts_match_all(struct store *s, struct payouts_match_totals *out, struct error *err)
{
    struct all_walk w = {s, out};
    memset(out, 0, sizeof *out);
    return store_tenant_list(s, match_each, &w, err);
}

/* ---- manual ------------------------------------------------------------------------------ */

static bool account_valid(const char *a)
{
    size_t n = a ? strlen(a) : 0;
    return n >= 4 && n <= 8 && strspn(a, "0123456789") == n;
}

static int manual_invoice(struct store_tx *tx, const char *tenant_id, const struct bank_line *l,
                          const struct tenant_settings *st, const char *invoice_id,
                          struct error *err)
{
    struct open_invoice inv;
    bool open = false;
    if (store_open_invoice_get(tx, tenant_id, invoice_id, &inv, &open, err) < 0)
        return -1;
    if (!open)
        return error_set(err, ERR_CONFLICT, "invoice %s is not open: it is paid already or not "
                                            "posted", invoice_id);
    int64_t amount = l->amount_minor < 0 ? -l->amount_minor : l->amount_minor;
    if (strcmp(inv.currency, l->currency) != 0 || inv.total_gross_minor != amount)
        return error_set(err, ERR_CONFLICT, "the bank transaction's amount and currency differ "
                                            "from the invoice's; book it to an account instead");
    const char *want = l->amount_minor > 0 ? "ausgangsrechnung" : "eingangsrechnung";
    if (strcmp(inv.type, want) != 0)
        return error_set(err, ERR_CONFLICT, "money %s the bank pays an %s, not an %s",
                         l->amount_minor > 0 ? "into" : "out of", want, inv.type);
    return pay_invoice(tx, tenant_id, l, st, &inv, "invoice", err);
}

int payouts_match_manual(struct store *s, const char *tenant_id, const char *line_id,
                         const struct payouts_manual *m, struct bank_line *out,
                         struct match_rule *rule, bool *rule_saved, struct error *err)
{
    struct tenant_settings st;
    struct store_tx *tx = NULL;
    struct bank_line l;
    *rule_saved = false;
    if ((m->invoice_id != NULL) == (m->account != NULL))
        return error_set(err, ERR_VALIDATION, "give either invoiceId or account");
    if (m->account && !account_valid(m->account))
        return error_set(err, ERR_VALIDATION, "account must be a ledger account of 4 to 8 digits");
    if (m->save_rule && !m->account)
        return error_set(err, ERR_VALIDATION, "a rule books to an account: give account");
    if (settings_load(s, tenant_id, &st, err) < 0 || store_tx_begin(s, &tx, err) < 0)
        return -1;
    if (store_bank_line_get(tx, tenant_id, line_id, &l, err) < 0)
        goto fail;
    if (strcmp(l.match_status, "unmatched") != 0) {
        error_set(err, ERR_CONFLICT, "the bank transaction is matched already");
        goto fail;
    }
    if (m->invoice_id) {
        if (manual_invoice(tx, tenant_id, &l, &st, m->invoice_id, err) < 0)
            goto fail;
    } else {
        char entry[CRYPTO_ID_MAX], description[300];
        snprintf(description, sizeof description, "Bank: %.*s",
                 UTF8_CUT(120, l.counterparty_name[0] ? l.counterparty_name : l.remittance));
        if (book_line(tx, tenant_id, &l, &st, m->account, description, entry, err) < 0 ||
            store_bank_line_match(tx, tenant_id, l.id, "account", NULL, entry, err) < 0)
            goto fail;
        if (m->save_rule) {
            char folded[STORE_NAME_MAX];
            payouts_counterparty_fold(l.counterparty_name, folded, sizeof folded);
            if (!folded[0]) {
                error_set(err, ERR_VALIDATION, "the bank transaction names no counterparty to "
                                               "make a rule for");
                goto fail;
            }
            if (store_match_rule_put(tx, tenant_id, folded, m->account, rule, err) < 0)
                goto fail;
            *rule_saved = true;
        }
    }
    if (store_bank_line_get(tx, tenant_id, line_id, out, err) < 0)
        goto fail;
    return store_tx_commit(tx, err);
fail:
    store_tx_rollback(tx);
    return -1;
}

/* ---- JSON -------------------------------------------------------------------------------- */

static json_t *text_or_null(const char *s)
{
    return s && *s ? json_string(s) : json_null();
}

json_t *payouts_line_json(const struct bank_line *l)
{
    struct money m = {.minor = l->amount_minor};
    char amount[MONEY_TEXT_MAX];
    snprintf(m.currency, sizeof m.currency, "%s", l->currency);
    money_format(&m, amount);
    bool matched = strcmp(l->match_status, "unmatched") != 0;
    json_t *o = json_pack("{s:s, s:s, s:o, s:s, s:o, s:o, s:s, s:s, s:{s:o, s:o}, s:o, s:o, "
                          "s:b, s:s, s:o, s:o, s:s}",
                          "id", l->id, "accountId", l->account_id, "accountName",
                          text_or_null(l->account_name), "status", l->status, "bookingDate",
                          text_or_null(l->booking_date), "valueDate", text_or_null(l->value_date),
                          "amount", amount, "currency", l->currency, "counterparty", "name",
                          text_or_null(l->counterparty_name), "iban",
                          text_or_null(l->counterparty_iban), "remittance",
                          text_or_null(l->remittance), "reference", text_or_null(l->reference),
                          "matched", matched, "matchStatus", l->match_status, "invoiceId",
                          text_or_null(l->invoice_id), "ledgerEntryId",
                          text_or_null(l->ledger_entry_id), "createdAt", l->created_at);
    return o;
}

json_t *payouts_rule_json(const struct match_rule *r)
{
    return json_pack("{s:s, s:s, s:s, s:s}", "id", r->id, "counterparty", r->counterparty,
                     "account", r->account, "createdAt", r->created_at);
}
