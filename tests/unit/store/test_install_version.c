/* tests/unit/store/test_install_version.c - the install's version and the check the booking
 * transaction makes with it (store_install_check in src/store/q_installs.c), on SQLite or
 * PostgreSQL (tests/unit/lib/teststore.h).
 *
 * What must hold: every change of an install moves its version; a booking that verified its
 * webhook against an older reading of the install is told the install changed
 * (ERR_CONFLICT), one whose install was turned off, deleted or no longer has the token is
 * told it is gone (ERR_NOT_FOUND); the current reading passes. On PostgreSQL, whose other
 * processes' changes are heard a moment later, a tenant's settings saved since they were
 * read are a change too (ERR_CONFLICT). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/accounting.h"
#include "store/installs.h"
#include "store/store.h"
#include "teststore.h"

#define TOKEN_HASH "aa00000000000000000000000000000000000000000000000000000000000000"

struct fixture {
    struct teststore ts;
    struct store *s;
    struct tenant t;
    struct install in; /* as a webhook's verification read it */
};

static const struct audit_entry audit = {.action = "connector.install", .target = "stripe",
                                         .fields = "[]"};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    struct error err = {0};
    if (!f || teststore_open_tenant(&f->ts, "version", "pro",
                                    "bb00000000000000000000000000000000000000000000000000000000000000",
                                    &f->t, &err) < 0)
        return -1;
    f->s = f->ts.store;
    struct install in = {.is_active = true, .config = "{}", .secrets = "{}"};
    snprintf(in.tenant_id, sizeof in.tenant_id, "%s", f->t.id);
    snprintf(in.slug, sizeof in.slug, "stripe");
    if (store_install_insert(f->s, &in, TOKEN_HASH, -1, &audit, &err) < 0 ||
        store_install_by_token(f->s, TOKEN_HASH, &f->in, &err) < 0)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    store_install_clear(&f->in);
    teststore_close(&f->ts);
    free(f);
    return 0;
}

/* The check inside a transaction of its own; returns the error code (ERR_OK: passed). */
static enum err_code check(struct fixture *f, const struct install *in, const char *hash)
{
    struct store_tx *tx = NULL;
    struct error err = {0};
    assert_int_equal(store_tx_begin(f->s, &tx, &err), 0);
    int rc = store_install_check(tx, in, hash, NULL, &err);
    store_tx_rollback(tx);
    return rc == 0 ? ERR_OK : err.code;
}

/* The check of the current install with the settings as read at settings_at. */
static enum err_code check_settings(struct fixture *f, const char *settings_at)
{
    struct store_tx *tx = NULL;
    struct error err = {0};
    assert_int_equal(store_tx_begin(f->s, &tx, &err), 0);
    int rc = store_install_check(tx, &f->in, TOKEN_HASH, settings_at, &err);
    store_tx_rollback(tx);
    return rc == 0 ? ERR_OK : err.code;
}

/* Saves the install with is_active set to active (config unchanged). */
static void save(struct fixture *f, bool active)
{
    struct error err = {0};
    struct install now = {0};
    assert_int_equal(store_install_get(f->s, f->t.id, f->in.id, &now, &err), 0);
    now.is_active = active;
    assert_int_equal(store_install_update(f->s, &now, &audit, &err), 0);
    store_install_clear(&now);
}

static void test_the_current_reading_passes(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(f->in.version, 1);
    assert_int_equal(check(f, &f->in, TOKEN_HASH), ERR_OK);
}

static void test_a_change_meanwhile_is_a_conflict(void **state)
{
    struct fixture *f = *state;
    struct error err = {0};
    struct install fresh = {0};
    save(f, true);
    assert_int_equal(check(f, &f->in, TOKEN_HASH), ERR_CONFLICT);
    assert_int_equal(store_install_by_token(f->s, TOKEN_HASH, &fresh, &err), 0);
    assert_int_equal(fresh.version, 2);
    assert_int_equal(check(f, &fresh, TOKEN_HASH), ERR_OK);
    store_install_clear(&fresh);
}

static void test_turned_off_deleted_or_other_token_is_gone(void **state)
{
    struct fixture *f = *state;
    struct error err = {0};
    assert_int_equal(check(f, &f->in, "cc00000000000000000000000000000000000000000000000000000000000000"),
                     ERR_NOT_FOUND);
    save(f, false);
    assert_int_equal(check(f, &f->in, TOKEN_HASH), ERR_NOT_FOUND);
    assert_int_equal(store_install_delete(f->s, f->t.id, f->in.id, &audit, &err), 0);
    assert_int_equal(check(f, &f->in, TOKEN_HASH), ERR_NOT_FOUND);
}

/* The tenant's settings read with the install: compared where another process's change of
 * them may not have been heard yet (PostgreSQL), not where every process sees the shared
 * change count move (SQLite, store_changes_seen). */
static void test_changed_settings_where_not_heard(void **state)
{
    struct fixture *f = *state;
    struct error err = {0};
    struct store_settings row = {.chart = "skr03", .time_zone = "Europe/Vienna",
                                 .fiscal_year_start = "01-01", .milestones = "[100]"};
    struct store_settings read;
    bool compared = strcmp(store_backend_name(f->s), "postgres") == 0;
    /* never saved, read so */
    assert_int_equal(check_settings(f, ""), ERR_OK);
    assert_int_equal(store_settings_put(f->s, f->t.id, &row, &err), 0);
    assert_int_equal(check_settings(f, ""), compared ? ERR_CONFLICT : ERR_OK);
    assert_int_equal(store_settings_get(f->s, f->t.id, &read, &err), 0);
    assert_int_equal(check_settings(f, read.updated_at), ERR_OK);
    usleep(5000); /* a later save has a later updated_at */
    assert_int_equal(store_settings_put(f->s, f->t.id, &row, &err), 0);
    assert_int_equal(check_settings(f, read.updated_at), compared ? ERR_CONFLICT : ERR_OK);
    assert_int_equal(check_settings(f, NULL), ERR_OK); /* not asked */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_the_current_reading_passes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_change_meanwhile_is_a_conflict, setup, teardown),
        cmocka_unit_test_setup_teardown(test_turned_off_deleted_or_other_token_is_gone, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_changed_settings_where_not_heard, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
