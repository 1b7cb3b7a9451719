/* tests/unit/store/test_leases.c - the leases of once-across-processes work
 * (src/store/q_leases.c), with two stores open on one database (SQLite, or PostgreSQL when
 * the run gives one: tests/unit/lib/teststore.h) standing for two processes that share
 * nothing in memory.
 *
 * What must hold: one holder at a time; the holder keeps its lease by asking again; another
 * takes it once it ran out, or at once after its holder gave it up; a lease set by a clock
 * far ahead does not block the others for that long; leases of different names are apart. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "store/leases.h"
#include "store/store.h"
#include "teststore.h"

#define T0 1800000000000LL
#define LEASE 60000

struct fixture {
    struct teststore ts;
    struct store *a, *b; /* two processes on one store (a is the teststore's) */
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    struct error err = {0};
    if (!f)
        return -1;
    if (teststore_open(&f->ts, "leases", 1, &err) < 0 ||
        store_migrate(f->ts.store, NULL, &err) < 0 ||
        store_open(f->ts.dsn, 1, &f->b, &err) < 0) {
        teststore_close(&f->ts);
        free(f);
        return -1;
    }
    f->a = f->ts.store;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    store_close(f->b);
    teststore_close(&f->ts);
    free(f);
    return 0;
}

static bool claim(struct store *s, const char *name, const char *holder, int64_t now)
{
    bool mine = false;
    struct error err = {0};
    if (store_lease_claim(s, name, holder, now, LEASE, &mine, &err) < 0)
        fail_msg("claim: %s", err.message);
    return mine;
}

static void test_one_holder_at_a_time(void **state)
{
    struct fixture *f = *state;
    assert_true(claim(f->a, "job", "A", T0));
    assert_false(claim(f->b, "job", "B", T0 + 1));
    /* the holder keeps it by asking again, which moves its end */
    assert_true(claim(f->a, "job", "A", T0 + 50000));
    assert_false(claim(f->b, "job", "B", T0 + LEASE + 1000)); /* A's renewal still holds */
    /* A died: once its lease ran out, B takes over, and A is refused */
    assert_true(claim(f->b, "job", "B", T0 + 50000 + LEASE + 1));
    assert_false(claim(f->a, "job", "A", T0 + 50000 + LEASE + 2));
    /* another name is another lease */
    assert_true(claim(f->a, "other", "A", T0 + 50000 + LEASE + 3));
}

static void test_a_stopping_holder_hands_over_at_once(void **state)
{
    struct fixture *f = *state;
    struct error err = {0};
    assert_true(claim(f->a, "job", "A", T0));
    assert_true(claim(f->a, "other", "A", T0));
    assert_int_equal(store_lease_release_all(f->a, "A", &err), 0);
    assert_true(claim(f->b, "job", "B", T0 + 1));
    assert_true(claim(f->b, "other", "B", T0 + 1));
    assert_false(claim(f->a, "job", "A", T0 + 2));
}

static void test_a_lease_from_a_clock_ahead_does_not_block(void **state)
{
    struct fixture *f = *state;
    /* A ran with its clock 100 days ahead and died */
    assert_true(claim(f->a, "job", "A", T0 + 100LL * 86400000));
    assert_true(claim(f->b, "job", "B", T0));
    assert_false(claim(f->a, "job", "A", T0 + 1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_one_holder_at_a_time, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_stopping_holder_hands_over_at_once, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_a_lease_from_a_clock_ahead_does_not_block, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
