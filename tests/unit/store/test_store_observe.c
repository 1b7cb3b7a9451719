/* tests/unit/store/test_store_observe.c - this process's own announcements (store_observe in
 * src/store/store.c) and the change count of processes on one SQLite file
 * (store_changes_seen, src/store/changes.c), on SQLite or PostgreSQL
 * (tests/unit/lib/teststore.h).
 *
 * What must hold: an announcement on an observed channel is heard once its transaction
 * commits, not before, and never when it rolls back; a change of an install or of a tenant's
 * settings announces it (what the webhooks' cache forgets); unobserved channels are not
 * heard; on SQLite every committed change moves the count that the other processes on the
 * file read, on PostgreSQL (which has the listener instead) it stays; and there the listener
 * tells this process's own announcements (heard at their commit already) from another's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

/* What the listener heard, from its own thread. */
struct heard_list {
    pthread_mutex_t lock;
    int n;
    char payload[4][64];
    bool own[4];
};

static void listened(void *ctx, enum store_channel channel, const char *payload, bool own)
{
    struct heard_list *h = ctx;
    if (channel != STORE_CHANNEL_INSTALLS)
        return;
    pthread_mutex_lock(&h->lock);
    if (h->n < 4) {
        snprintf(h->payload[h->n], sizeof h->payload[h->n], "%s", payload);
        h->own[h->n] = own;
        h->n++;
    }
    pthread_mutex_unlock(&h->lock);
}

static void listener_reset(void *ctx)
{
    (void)ctx;
}

/* Waits up to five seconds for the listener to have heard n announcements. */
static int heard_wait(struct heard_list *h, int n)
{
    for (int i = 0; i < 500; i++) {
        pthread_mutex_lock(&h->lock);
        int got = h->n;
        pthread_mutex_unlock(&h->lock);
        if (got >= n)
            return got;
        nanosleep(&(struct timespec){.tv_nsec = 10 * 1000 * 1000}, NULL);
    }
    return h->n;
}

/* PostgreSQL hands an announcement to every listener, its maker's process too: the
 * listener says which were this process's own, whose connections made them. */
static void test_listener_tells_own_announcements(void **state)
{
    struct fixture *f = *state;
    if (f->sqlite)
        skip(); /* no listener: the processes on one file share a change count */
    struct heard_list h = {.lock = PTHREAD_MUTEX_INITIALIZER};
    struct error err = {0};
    bool listening = false;
    assert_int_equal(store_listen(f->s,
                                  &(struct store_listener){.on_notice = listened,
                                                           .on_reset = listener_reset,
                                                           .ctx = &h},
                                  &listening, &err),
                     0);
    assert_true(listening);
    assert_int_equal(store_notify(f->s, STORE_CHANNEL_INSTALLS, "ten/mine", &err), 0);
    assert_int_equal(heard_wait(&h, 1), 1);

    /* another process: a connection of its own, not the store's */
    PGconn *other = PQconnectdb(f->ts.dsn);
    assert_int_equal(PQstatus(other), CONNECTION_OK);
    PGresult *res = PQexec(other, "SELECT pg_notify('connectord_installs', 'ten/theirs')");
    assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
    PQclear(res);
    PQfinish(other);
    assert_int_equal(heard_wait(&h, 2), 2);
    store_unlisten(f->s);

    assert_string_equal(h.payload[0], "ten/mine");
    assert_true(h.own[0]);
    assert_string_equal(h.payload[1], "ten/theirs");
    assert_false(h.own[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_heard_at_commit_not_at_rollback, setup, teardown),
        cmocka_unit_test_setup_teardown(test_install_and_settings_changes_are_announced, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_listener_tells_own_announcements, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
