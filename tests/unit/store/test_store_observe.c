/* tests/unit/store/test_store_observe.c - this process's own announcements (store_observe in
 * src/store/store.c) and the change count of processes on one SQLite file
 * (store_changes_seen, src/store/changes.c), on SQLite or PostgreSQL
 * (tests/unit/lib/teststore.h).
 *
 * What must hold: an announcement on an observed channel is heard once its transaction
 * commits, not before, and never when it rolls back; a change of an install or of a tenant's
 * settings announces it (what the webhooks' cache forgets); unobserved channels are not
 * heard; on SQLite every committed change moves the count that the other processes on the
 * file read, on PostgreSQL (which has the listener instead) it stays. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/accounting.h"
#include "store/installs.h"
#include "store/store.h"
#include "teststore.h"

struct fixture {
    struct teststore ts;
    struct store *s;
    struct tenant t;
    bool sqlite;
    int heard;
    enum store_channel channel;
    char payload[256];
};

static const struct audit_entry audit = {.action = "connector.install", .target = "stripe",
                                         .fields = "[]"};

static void hear(void *ctx, enum store_channel channel, const char *payload)
{
    struct fixture *f = ctx;
    f->heard++;
    f->channel = channel;
    snprintf(f->payload, sizeof f->payload, "%s", payload ? payload : "(everything)");
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    struct error err = {0};
    if (!f || teststore_open_tenant(&f->ts, "observe", "pro",
                                    "bb00000000000000000000000000000000000000000000000000000000000000",
                                    &f->t, &err) < 0)
        return -1;
    f->s = f->ts.store;
    f->sqlite = strcmp(store_backend_name(f->s), "sqlite") == 0;
    store_observe(f->s, 1u << STORE_CHANNEL_INSTALLS | 1u << STORE_CHANNEL_SETTINGS, hear, f);
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

static void test_heard_at_commit_not_at_rollback(void **state)
{
    struct fixture *f = *state;
    struct store_tx *tx = NULL;
    struct error err = {0};
    uint64_t count = store_changes_seen(f->s);
    assert_int_equal(store_tx_begin(f->s, &tx, &err), 0);
    assert_int_equal(store_notify_tx(tx, STORE_CHANNEL_INSTALLS, "ten/con", &err), 0);
    store_tx_rollback(tx);
    assert_int_equal(f->heard, 0);
    assert_true(store_changes_seen(f->s) == count);

    assert_int_equal(store_tx_begin(f->s, &tx, &err), 0);
    assert_int_equal(store_notify_tx(tx, STORE_CHANNEL_INSTALLS, "ten/con", &err), 0);
    assert_int_equal(store_notify_tx(tx, STORE_CHANNEL_DELIVERIES, "ten", &err), 0);
    assert_int_equal(f->heard, 0); /* not before the commit */
    assert_int_equal(store_tx_commit(tx, &err), 0);
    assert_int_equal(f->heard, 1); /* deliveries are not observed */
    assert_int_equal(f->channel, STORE_CHANNEL_INSTALLS);
    assert_string_equal(f->payload, "ten/con");
    assert_true(store_changes_seen(f->s) == (f->sqlite ? count + 1 : count));
}

static void test_install_and_settings_changes_are_announced(void **state)
{
    struct fixture *f = *state;
    struct error err = {0};
    char want[128];
    struct install in = {.is_active = true, .config = "{}", .secrets = "{}"};
    snprintf(in.tenant_id, sizeof in.tenant_id, "%s", f->t.id);
    snprintf(in.slug, sizeof in.slug, "stripe");
    assert_int_equal(store_install_insert(f->s, &in, NULL, -1, &audit, &err), 0);
    uint64_t count = store_changes_seen(f->s);

    assert_int_equal(store_install_update(f->s, &in, &audit, &err), 0);
    assert_int_equal(f->heard, 1);
    snprintf(want, sizeof want, "%s/%s", f->t.id, in.id);
    assert_string_equal(f->payload, want);

    /* a change that fails rolls back: nothing to forget */
    struct install none = in;
    snprintf(none.id, sizeof none.id, "con_none");
    assert_int_equal(store_install_update(f->s, &none, &audit, &err), -1);
    assert_int_equal(err.code, ERR_NOT_FOUND);
    assert_int_equal(f->heard, 1);

    struct store_settings row = {.chart = "skr03", .time_zone = "Europe/Vienna",
                                 .fiscal_year_start = "01-01", .milestones = "[100]"};
    assert_int_equal(store_settings_put(f->s, f->t.id, &row, &err), 0);
    assert_int_equal(f->heard, 2);
    assert_int_equal(f->channel, STORE_CHANNEL_SETTINGS);
    assert_string_equal(f->payload, f->t.id);

    assert_int_equal(store_install_delete(f->s, f->t.id, in.id, &audit, &err), 0);
    assert_int_equal(f->heard, 3);
    assert_int_equal(f->channel, STORE_CHANNEL_INSTALLS);
    assert_true(store_changes_seen(f->s) == (f->sqlite ? count + 3 : count));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_heard_at_commit_not_at_rollback, setup, teardown),
        cmocka_unit_test_setup_teardown(test_install_and_settings_changes_are_announced, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
