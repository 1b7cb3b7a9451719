/* tests/unit/payouts/test_payouts_match.c - matching the bank's transactions and reconciling
 * (src/payouts/match.c, reconcile.c), on SQLite or PostgreSQL (tests/unit/lib/teststore.h).
 * The bank's lines are stored through the bank data's own store API (store/bank.h), as a
 * pull of a bank driver stores them.
 *
 * What must hold: a line of exactly an open invoice's amount and currency that names its
 * number pays it (bank against the invoice's counter account, receivables); a line a cent
 * off stays for review; a line naming a payout that was pulled takes the payout's entry; a
 * manual match books to an account and saves the rule, which then matches the next line of
 * that counterparty; a manual match to an invoice pays it; a line is matched once; the
 * reconciliation's difference is explained by the unmatched lines and the entries no bank
 * line names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger/ledger.h"
#include "payouts/payouts.h"
#include "payouts/payouts_int.h"
#include "store/bank.h"
#include "store/books.h"
#include "store/installs.h"
#include "store/store.h"
#include "teststore.h"

struct fixture {
    struct teststore ts;
    struct store *s;
    struct tenant t;
    struct bank_account acct;
};

static const struct audit_entry audit = {.action = "connector.install", .target = "gocardless",
                                         .fields = "[]"};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    struct error err = {0};
    if (!f || teststore_open_tenant(&f->ts, "payouts", "pro",
                                    "ee00000000000000000000000000000000000000000000000000000000000000",
                                    &f->t, &err) < 0)
        return -1;
    f->s = f->ts.store;
    struct install in = {.is_active = true, .config = "{}", .secrets = "{}"};
    snprintf(in.tenant_id, sizeof in.tenant_id, "%s", f->t.id);
    snprintf(in.slug, sizeof in.slug, "gocardless");
    if (store_install_insert(f->s, &in, "ff00000000000000000000000000000000000000000000000000"
                                        "000000000000", -1, &audit, &err) < 0)
        return -1;
    struct bank_account a = {0};
    snprintf(a.tenant_id, sizeof a.tenant_id, "%s", f->t.id);
    snprintf(a.install_id, sizeof a.install_id, "%s", in.id);
    snprintf(a.connection_id, sizeof a.connection_id, "bcn_1");
    snprintf(a.driver, sizeof a.driver, "gocardless");
    snprintf(a.identity, sizeof a.identity, "AT611904300234573201");
    snprintf(a.external_id, sizeof a.external_id, "acc-1");
    snprintf(a.currency, sizeof a.currency, "EUR");
    if (store_bank_account_upsert(f->s, &a, &f->acct, &err) < 0) {
        fprintf(stderr, "%s\n", err.message);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    teststore_close(&f->ts);
    free(f);
    return 0;
}

/* An issued invoice, posted: receivables (EKR 2000) debited, revenue credited. */
static void issue(struct fixture *f, const char *number, int64_t gross, char id[CRYPTO_ID_MAX])
{
    struct error err = {0};
    struct store_tx *tx = NULL;
    struct invoice inv = {.type = "ausgangsrechnung", .total_gross_minor = gross};
    bool created = false, inserted = false;
    char entry[CRYPTO_ID_MAX];
    struct party_hint hint = {.provider = "invoicing", .provider_ref = "", .email = "",
                              .name = "Globex GmbH"};
    const struct ledger_chart *chart = ledger_chart_default();
    struct ledger_accounts acc = {.revenue = chart->revenue, .expense = chart->expense,
                                  .clearing = chart->receivables, .chart = chart};
    snprintf(inv.tenant_id, sizeof inv.tenant_id, "%s", f->t.id);
    snprintf(inv.invoice_number, sizeof inv.invoice_number, "%s", number);
    snprintf(inv.invoice_date, sizeof inv.invoice_date, "2026-11-20");
    snprintf(inv.currency, sizeof inv.currency, "EUR");
    snprintf(inv.source, sizeof inv.source, "invoicing");
    snprintf(inv.external_id, sizeof inv.external_id, "%s", number);
    inv.fx = (struct invoice_fx){.rated = true, .book_gross_minor = gross, .rate = 1};
    assert_int_equal(store_tx_begin(f->s, &tx, &err), 0);
    assert_int_equal(store_party_resolve(tx, f->t.id, PARTY_CUSTOMER, &hint, inv.party_id,
                                         &created, &err), 0);
    assert_int_equal(store_invoice_insert(tx, &inv, &inserted, &err), 0);
    assert_true(inserted);
    assert_int_equal(ledger_post_invoice(tx, LEDGER_REVENUE, &acc, &inv, entry, &err), 0);
    assert_int_equal(store_tx_commit(tx, &err), 0);
    snprintf(id, CRYPTO_ID_MAX, "%s", inv.id);
}

/* A payout pulled from a provider: bank (2800) against the clearing account (2880). */
static void payout(struct fixture *f, const char *id, int64_t amount, const char *reference)
{
    struct error err = {0};
    struct store_tx *tx = NULL;
    struct provider_movement m = {.amount_minor = amount};
    struct money money;
    bool inserted = false;
    assert_int_equal(money_from_minor(amount, "EUR", &money, &err), 0);
    snprintf(m.provider, sizeof m.provider, "stripe");
    snprintf(m.kind, sizeof m.kind, "payout");
    snprintf(m.external_id, sizeof m.external_id, "%s", id);
    snprintf(m.currency, sizeof m.currency, "EUR");
    snprintf(m.occurred_on, sizeof m.occurred_on, "2026-11-28");
    snprintf(m.reference, sizeof m.reference, "%s", reference);
    assert_int_equal(store_tx_begin(f->s, &tx, &err), 0);
    assert_int_equal(payouts_post_bank(tx, f->t.id, "2026-11-28", "stripe payout", "2800",
                                       "2880", &money, m.ledger_entry_id, &err), 0);
    assert_int_equal(store_movement_insert(tx, f->t.id, &m, &inserted, &err), 0);
    assert_true(inserted);
    assert_int_equal(store_tx_commit(tx, &err), 0);
}

static struct bank_tx_in line(const char *ref, int64_t minor, const char *who, const char *text)
{
    struct bank_tx_in t = {.booked = true, .amount_minor = minor,
                           .counterparty_name = (char *)who, .remittance = (char *)text};
    snprintf(t.entry_ref, sizeof t.entry_ref, "%s", ref);
    snprintf(t.currency, sizeof t.currency, "EUR");
    snprintf(t.booking_date, sizeof t.booking_date, "2026-12-01");
    return t;
}

static void pull(struct fixture *f, struct bank_tx_in *txs, size_t n)
{
    struct error err = {0};
    struct bank_pull_counts c;
    assert_int_equal(store_bank_pull_commit(f->s, &f->acct, txs, n, NULL, 1000, &c, &err), 0);
}

struct found {
    const char *ref_text;
    struct bank_line line;
    int n;
};

static int find_line(void *ctx, const struct bank_line *l)
{
    struct found *fd = ctx;
    if (strstr(l->remittance, fd->ref_text)) {
        fd->line = *l;
        fd->n++;
    }
    return 0;
}

/* The line whose remittance holds text. */
static struct bank_line by_text(struct fixture *f, const char *text)
{
    struct found fd = {.ref_text = text};
    struct error err = {0};
    struct store_page page = {.limit = 100};
    assert_int_equal(store_bank_lines_page(f->s, f->t.id, -1, &page, find_line, &fd, &err), 0);
    assert_int_equal(fd.n, 1);
    return fd.line;
}

static int64_t account_sum(struct fixture *f, const char *account)
{
    int64_t sum = 0;
    struct error err = {0};
    assert_int_equal(store_ledger_account_sum(f->s, f->t.id, account, "EUR", NULL, &sum, &err), 0);
    return sum;
}

static void test_exact_match_and_near_miss(void **state)
{
    struct fixture *f = *state;
    struct error err = {0};
    char paid[CRYPTO_ID_MAX], other[CRYPTO_ID_MAX];
    issue(f, "RE-2026-0042", 11900, paid);
    issue(f, "RE-2026-0043", 5001, other);
    struct bank_tx_in txs[] = {line("E1", 11900, "Globex GmbH", "Zahlung RE-2026-0042/danke"),
                               line("E0", 11900, "Globex GmbH", "RE-2026-00420 is another"),
                               line("E2", 5000, "Globex GmbH", "RE-2026-0043"),
                               line("E3", 11900, "Someone", "no number here")};
    pull(f, txs, 4);
    struct payouts_match_totals t;
    assert_int_equal(payouts_match_tenant(f->s, f->t.id, &t, &err), 0);
    assert_int_equal(t.invoices, 1);
    assert_int_equal(t.unmatched, 3);

    struct bank_line l = by_text(f, "0042/danke");
    assert_string_equal(l.match_status, "invoice");
    assert_string_equal(l.invoice_id, paid);
    assert_true(l.ledger_entry_id[0] != '\0');
    /* receivables paid: 2000 back to what the second invoice is owed, bank has the money */
    assert_int_equal(account_sum(f, "2000"), 5001);
    assert_int_equal(account_sum(f, "2800"), 11900);

    /* a cent off, and one that names nothing: both wait for review */
    assert_string_equal(by_text(f, "RE-2026-0043").match_status, "unmatched");
    assert_string_equal(by_text(f, "no number").match_status, "unmatched");
    /* a longer number that contains the invoice's names another one */
    assert_string_equal(by_text(f, "is another").match_status, "unmatched");

    /* matching again changes nothing: the invoice is paid, the line matched */
    assert_int_equal(payouts_match_tenant(f->s, f->t.id, &t, &err), 0);
    assert_int_equal(t.invoices, 0);
    assert_int_equal(account_sum(f, "2800"), 11900);
}

static void test_payout_takes_its_entry(void **state)
{
    struct fixture *f = *state;
    struct error err = {0};
    payout(f, "po_paid_0001", 19420, "STRIPE PAYOUT 0001");
    struct bank_tx_in txs[] = {line("P1", 19420, "Stripe", "STRIPE PAYOUT 0001 DE")};
    pull(f, txs, 1);
    struct payouts_match_totals t;
    assert_int_equal(payouts_match_tenant(f->s, f->t.id, &t, &err), 0);
    assert_int_equal(t.payouts, 1);
    struct bank_line l = by_text(f, "STRIPE PAYOUT");
    assert_string_equal(l.match_status, "payout");
    /* no second booking: the payout's entry moved the money */
    assert_int_equal(account_sum(f, "2800"), 19420);
    assert_int_equal(account_sum(f, "2880"), -19420);
}

static void test_manual_match_saves_a_rule(void **state)
{
    struct fixture *f = *state;
    struct error err = {0};
    struct bank_tx_in first[] = {line("F1", -1234, "Figma  Inc.", "subscription 11/2026")};
    pull(f, first, 1);
    struct bank_line l = by_text(f, "subscription 11"), out;
    struct match_rule rule;
    bool saved = false;
    struct payouts_manual m = {.account = "6800", .save_rule = true};
    assert_int_equal(payouts_match_manual(f->s, f->t.id, l.id, &m, &out, &rule, &saved, &err), 0);
    assert_true(saved);
    assert_string_equal(rule.counterparty, "figma inc.");
    assert_string_equal(rule.account, "6800");
    assert_string_equal(out.match_status, "account");
    assert_int_equal(account_sum(f, "6800"), 1234);
    assert_int_equal(account_sum(f, "2800"), -1234);

    /* matched once */
    assert_int_equal(payouts_match_manual(f->s, f->t.id, l.id, &m, &out, &rule, &saved, &err), -1);
    assert_int_equal(err.code, ERR_CONFLICT);

    /* the next line of that counterparty is matched by the rule */
    struct bank_tx_in next[] = {line("F2", -2000, "FIGMA INC.", "subscription 12/2026")};
    pull(f, next, 1);
    struct payouts_match_totals t;
    assert_int_equal(payouts_match_tenant(f->s, f->t.id, &t, &err), 0);
    assert_int_equal(t.rules, 1);
    assert_string_equal(by_text(f, "subscription 12").match_status, "rule");
    assert_int_equal(account_sum(f, "6800"), 3234);

    /* a rule is deleted once */
    assert_int_equal(store_match_rule_delete(f->s, f->t.id, rule.id, &err), 0);
    assert_int_equal(store_match_rule_delete(f->s, f->t.id, rule.id, &err), -1);
    assert_int_equal(err.code, ERR_NOT_FOUND);
}

static void test_manual_match_to_invoice(void **state)
{
    struct fixture *f = *state;
    struct error err = {0};
    char inv[CRYPTO_ID_MAX];
    issue(f, "RE-2026-0050", 2500, inv);
    struct bank_tx_in txs[] = {line("M1", 2500, "Initech AG", "thanks"),
                               line("M2", 2499, "Initech AG", "short by a cent")};
    pull(f, txs, 2);
    struct payouts_match_totals t;
    assert_int_equal(payouts_match_tenant(f->s, f->t.id, &t, &err), 0);
    assert_int_equal(t.invoices, 0);
    struct bank_line l = by_text(f, "thanks"), out, shortl = by_text(f, "short by");
    struct match_rule rule;
    bool saved = false;
    /* an amount that differs is refused */
    struct payouts_manual m = {.invoice_id = inv};
    assert_int_equal(payouts_match_manual(f->s, f->t.id, shortl.id, &m, &out, &rule, &saved,
                                          &err), -1);
    assert_int_equal(err.code, ERR_CONFLICT);
    assert_int_equal(payouts_match_manual(f->s, f->t.id, l.id, &m, &out, &rule, &saved, &err), 0);
    assert_string_equal(out.invoice_id, inv);
    assert_int_equal(account_sum(f, "2000"), 0);
    /* paid once */
    assert_int_equal(payouts_match_manual(f->s, f->t.id, shortl.id, &m, &out, &rule, &saved,
                                          &err), -1);
    assert_int_equal(err.code, ERR_CONFLICT);
}

static const char *text_of(const json_t *o, const char *key)
{
    const char *v = json_string_value(json_object_get(o, key));
    return v ? v : "";
}

static void test_reconciliation_explains_the_difference(void **state)
{
    struct fixture *f = *state;
    struct error err = {0};
    char inv[CRYPTO_ID_MAX];
    issue(f, "RE-2026-0060", 11900, inv);
    payout(f, "po_in_books_only", 3000, "STRIPE PAYOUT 0099");
    struct bank_tx_in txs[] = {line("R1", 11900, "Globex GmbH", "RE-2026-0060"),
                               line("R2", -1234, "Unknown Ltd", "card fee")};
    pull(f, txs, 2);
    struct payouts_match_totals t;
    assert_int_equal(payouts_match_tenant(f->s, f->t.id, &t, &err), 0);
    json_t *r = NULL;
    assert_int_equal(payouts_reconcile(f->s, f->t.id, f->acct.id, "2026-12-31", &r, &err), 0);
    /* bank 106.66; books 119.00 + 30.00 = 149.00 */
    assert_string_equal(text_of(r, "bankBalance"), "106.66");
    assert_string_equal(text_of(r, "ledgerBalance"), "149.00");
    assert_string_equal(text_of(r, "difference"), "-42.34");
    assert_int_equal(json_array_size(json_object_get(r, "inBankNotInBooks")), 1);
    assert_int_equal(json_array_size(json_object_get(r, "inBooksNotInBank")), 1);
    assert_string_equal(text_of(json_array_get(json_object_get(r, "inBankNotInBooks"), 0),
                                "amount"),
                        "-12.34");
    assert_string_equal(text_of(json_array_get(json_object_get(r, "inBooksNotInBank"), 0),
                                "amount"),
                        "30.00");
    assert_string_equal(text_of(r, "unexplained"), "0.00");
    assert_false(json_is_true(json_object_get(r, "reconciled")));
    json_decref(r);
    /* before the lines: nothing in the bank, the payout in the books */
    assert_int_equal(payouts_reconcile(f->s, f->t.id, f->acct.id, "2026-11-30", &r, &err), 0);
    assert_string_equal(text_of(r, "bankBalance"), "0.00");
    assert_string_equal(text_of(r, "ledgerBalance"), "30.00");
    assert_string_equal(text_of(r, "unexplained"), "0.00");
    json_decref(r);
    /* another tenant's account, a bad date */
    assert_int_equal(payouts_reconcile(f->s, f->t.id, "bac_nope", NULL, &r, &err), -1);
    assert_int_equal(err.code, ERR_NOT_FOUND);
    assert_int_equal(payouts_reconcile(f->s, f->t.id, f->acct.id, "2026-13", &r, &err), -1);
    assert_int_equal(err.code, ERR_INVALID_FIELD);
}

static void test_fold(void **state)
{
    (void)state;
    char out[64];
    payouts_counterparty_fold("  Figma \t Inc.  ", out, sizeof out);
    assert_string_equal(out, "figma inc.");
    payouts_counterparty_fold(NULL, out, sizeof out);
    assert_string_equal(out, "");
    payouts_counterparty_fold("   ", out, sizeof out);
    assert_string_equal(out, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fold),
        cmocka_unit_test_setup_teardown(test_exact_match_and_near_miss, setup, teardown),
        cmocka_unit_test_setup_teardown(test_payout_takes_its_entry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_manual_match_saves_a_rule, setup, teardown),
        cmocka_unit_test_setup_teardown(test_manual_match_to_invoice, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reconciliation_explains_the_difference, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
