/* tests/unit/store/test_payment_links.c - payment links read and written several ids at a
 * time (src/store/q_books.c: store_payment_links_get, store_payment_links_add).
 *
 * Runs on a real store (SQLite, or PostgreSQL when the run gives one:
 * tests/unit/lib/teststore.h): each id's slot gets its own link or parked details, an id
 * linked before keeps its link, a parked id becomes linked and forgets its details, and an
 * id named twice in one call is asked and linked once (PostgreSQL refuses an upsert that
 * would touch one row twice). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/books.h"
#include "store/installs.h"
#include "store/store.h"
#include "teststore.h"

struct fixture {
    struct teststore ts;
    struct tenant tenant;
    struct store_tx *tx;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    struct error err = {0};
    if (!f)
        return -1;
    if (teststore_open_tenant(&f->ts, "links", "pro",
                              "00000000000000000000000000000000000000000000000000000000000000bb",
                              &f->tenant, &err) < 0) {
        free(f);
        return -1;
    }
    if (store_tx_begin(f->ts.store, &f->tx, &err) < 0) {
        fprintf(stderr, "setup: %s\n", err.message);
        teststore_close(&f->ts);
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    store_tx_rollback(f->tx);
    teststore_close(&f->ts);
    free(f);
    return 0;
}

/* Reads ids into out (n of them), asserting success. */
static void get(struct fixture *f, const char *const *ids, size_t n, struct payment_link *out)
{
    struct error err = {0};
    int rc = store_payment_links_get(f->tx, f->tenant.id, "stripe", ids, n, out, &err);
    if (rc < 0)
        fail_msg("links_get: %s", err.message);
}

static void add(struct fixture *f, const char *const *ids, size_t n, const char *key)
{
    struct error err = {0};
    int rc = store_payment_links_add(f->tx, f->tenant.id, "stripe", ids, n, key, &err);
    if (rc < 0)
        fail_msg("links_add: %s", err.message);
}

static void clear(struct payment_link *l, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(l[i].parked);
}

static void test_each_id_gets_its_own_slot(void **state)
{
    struct fixture *f = *state;
    struct error err = {0};
    struct payment_link l[4];
    const char *unknown[] = {"pi_1", "", NULL, "ch_1"};
    get(f, unknown, 4, l);
    for (size_t i = 0; i < 4; i++) {
        assert_string_equal(l[i].external_id, "");
        assert_null(l[i].parked);
    }

    assert_int_equal(store_payment_park(f->tx, f->tenant.id, "stripe", "ch_1",
                                        "{\"date\":\"2026-03-01\"}", &err), 0);
    assert_int_equal(store_payment_park(f->tx, f->tenant.id, "stripe", "cs_1",
                                        "{\"date\":\"2026-03-02\"}", &err), 0);
    const char *ids[] = {"pi_1", "ch_1", "in_9", "cs_1"};
    get(f, ids, 4, l);
    assert_string_equal(l[0].external_id, "");
    assert_null(l[0].parked);
    assert_string_equal(l[1].external_id, "");
    assert_string_equal(l[1].parked, "{\"date\":\"2026-03-01\"}");
    assert_null(l[2].parked);
    assert_string_equal(l[3].parked, "{\"date\":\"2026-03-02\"}");
    clear(l, 4);

    /* pi_1 twice and an empty id: one statement, each id linked once */
    const char *twice[] = {"pi_1", "ch_1", "pi_1", ""};
    add(f, twice, 4, "in_1");
    get(f, ids, 4, l);
    assert_string_equal(l[0].external_id, "in_1");
    assert_string_equal(l[1].external_id, "in_1");
    assert_null(l[1].parked); /* linked now: its details are forgotten */
    assert_string_equal(l[2].external_id, "");
    assert_string_equal(l[3].external_id, "");
    assert_string_equal(l[3].parked, "{\"date\":\"2026-03-02\"}");
    clear(l, 4);

    /* linked before, kept; new ones linked to the new key */
    const char *more[] = {"ch_1", "ch_2"};
    add(f, more, 2, "in_2");
    const char *again[] = {"ch_2", "ch_1", "ch_2"};
    get(f, again, 3, l);
    assert_string_equal(l[0].external_id, "in_2");
    assert_string_equal(l[1].external_id, "in_1");
    assert_string_equal(l[2].external_id, "in_2");
    clear(l, 3);
}

static void test_too_many_ids_are_refused(void **state)
{
    struct fixture *f = *state;
    struct error err = {0};
    struct payment_link l[STORE_LINK_ALIASES_MAX + 1];
    const char *ids[STORE_LINK_ALIASES_MAX + 1] = {"a", "b", "c", "d", "e"};
    assert_int_equal(store_payment_links_get(f->tx, f->tenant.id, "stripe", ids,
                                             STORE_LINK_ALIASES_MAX + 1, l, &err), -1);
    assert_int_equal(store_payment_links_add(f->tx, f->tenant.id, "stripe", ids,
                                             STORE_LINK_ALIASES_MAX + 1, "in_1", &err), -1);
    const char *none[] = {"", NULL};
    add(f, none, 2, "in_1"); /* nothing to link: nothing written, no error */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_each_id_gets_its_own_slot, setup, teardown),
        cmocka_unit_test_setup_teardown(test_too_many_ids_are_refused, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
