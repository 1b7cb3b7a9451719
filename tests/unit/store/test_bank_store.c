/* tests/unit/store/test_bank_store.c - bank accounts and transactions stored once
 * (src/store/q_bank.c), on SQLite or PostgreSQL (tests/unit/lib/teststore.h).
 *
 * What must hold: an account is one row per tenant and identity, whatever consent finds it;
 * a transaction is one row per account and entry reference across pulls; a pending entry is
 * refreshed while pending, turned booked when its reference comes booked, and removed when a
 * pull no longer returns it (booked under its own reference); a booked one never goes back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/bank.h"
#include "store/installs.h"
#include "store/store.h"
#include "teststore.h"

struct fixture {
    struct teststore ts;
    struct store *s;
    struct tenant t;
    struct install in;
    struct bank_account acct;
};

static const struct audit_entry audit = {.action = "connector.install", .target = "gocardless",
                                         .fields = "[]"};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    struct error err = {0};
    if (!f || teststore_open_tenant(&f->ts, "bank", "pro",
                                    "cc00000000000000000000000000000000000000000000000000000000000000",
                                    &f->t, &err) < 0)
        return -1;
    f->s = f->ts.store;
    struct install in = {.is_active = true, .config = "{}", .secrets = "{}"};
    snprintf(in.tenant_id, sizeof in.tenant_id, "%s", f->t.id);
    snprintf(in.slug, sizeof in.slug, "gocardless");
    if (store_install_insert(f->s, &in, "dd00000000000000000000000000000000000000000000000000"
                                        "000000000000", -1, &audit, &err) < 0)
        return -1;
    f->in = in;
    struct bank_account a = {0};
    snprintf(a.tenant_id, sizeof a.tenant_id, "%s", f->t.id);
    snprintf(a.install_id, sizeof a.install_id, "%s", in.id);
    snprintf(a.connection_id, sizeof a.connection_id, "bcn_1");
    snprintf(a.driver, sizeof a.driver, "gocardless");
    snprintf(a.identity, sizeof a.identity, "AT611904300234573201");
    snprintf(a.external_id, sizeof a.external_id, "acc-1");
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

static struct bank_tx_in tx(const char *ref, bool booked, int64_t minor)
{
    struct bank_tx_in t = {.booked = booked, .amount_minor = minor};
    snprintf(t.entry_ref, sizeof t.entry_ref, "%s", ref);
    snprintf(t.currency, sizeof t.currency, "EUR");
    snprintf(t.booking_date, sizeof t.booking_date, "2026-12-01");
    return t;
}

struct seen {
    int n, booked, pending;
    int64_t sum;
};

static int count_tx(void *ctx, const struct bank_tx *t)
{
    struct seen *s = ctx;
    s->n++;
    s->sum += t->amount_minor;
    if (strcmp(t->status, "booked") == 0)
        s->booked++;
    else
        s->pending++;
    assert_string_equal(t->match_status, "unmatched");
    return 0;
}

static struct seen listed(struct fixture *f)
{
    struct seen s = {0};
    struct error err = {0};
    struct bank_tx_filter flt = {0};
    struct store_page page = {.limit = 100};
    assert_int_equal(store_bank_transactions_page(f->s, f->t.id, &flt, &page, count_tx, &s,
                                                  &err), 0);
    return s;
}

static void test_account_identity_is_stable(void **state)
{
    struct fixture *f = *state;
    struct error err = {0};
    struct bank_account again = f->acct, out;
    snprintf(again.external_id, sizeof again.external_id, "acc-2");
    snprintf(again.connection_id, sizeof again.connection_id, "bcn_2");
    assert_int_equal(store_bank_account_upsert(f->s, &again, &out, &err), 0);
    assert_string_equal(out.id, f->acct.id);
    assert_string_equal(out.external_id, "acc-2");
    assert_string_equal(out.connection_id, "bcn_2");
}

static void test_pulls_store_once(void **state)
{
    struct fixture *f = *state;
    struct error err = {0};
    struct bank_pull_counts c;
    struct bank_tx_in first[] = {tx("E1", true, -11900), tx("E2", true, 50000),
                                 tx("P:x", false, 2000)};
    assert_int_equal(store_bank_pull_commit(f->s, &f->acct, first, 3, "2026-12-01", 1000, &c,
                                            &err), 0);
    assert_int_equal(c.new_count, 3);
    struct seen s = listed(f);
    assert_int_equal(s.n, 3);
    assert_int_equal(s.pending, 1);

    /* the same booked entries again, the pending one now booked under its reference E3 */
    struct bank_tx_in second[] = {tx("E1", true, -11900), tx("E2", true, 50000),
                                  tx("E3", true, 2000)};
    assert_int_equal(store_bank_pull_commit(f->s, &f->acct, second, 3, "2026-12-02", 2000, &c,
                                            &err), 0);
    assert_int_equal(c.new_count, 1);
    assert_int_equal(c.removed_count, 1);
    s = listed(f);
    assert_int_equal(s.n, 3);
    assert_int_equal(s.booked, 3);
    assert_int_equal(s.sum, -11900 + 50000 + 2000);
}

static void test_pending_turns_booked_under_one_reference(void **state)
{
    struct fixture *f = *state;
    struct error err = {0};
    struct bank_pull_counts c;
    struct bank_tx_in p[] = {tx("R9", false, 1500)};
    assert_int_equal(store_bank_pull_commit(f->s, &f->acct, p, 1, NULL, 1000, &c, &err), 0);
    struct bank_tx_in b[] = {tx("R9", true, 1500)};
    assert_int_equal(store_bank_pull_commit(f->s, &f->acct, b, 1, NULL, 2000, &c, &err), 0);
    assert_int_equal(c.new_count, 0);
    assert_int_equal(c.updated_count, 1);
    /* a pull that says pending again does not take a booked entry back */
    assert_int_equal(store_bank_pull_commit(f->s, &f->acct, p, 1, NULL, 3000, &c, &err), 0);
    struct seen s = listed(f);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.booked, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_account_identity_is_stable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pulls_store_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pending_turns_booked_under_one_reference, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
