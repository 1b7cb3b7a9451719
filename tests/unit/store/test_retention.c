/* tests/unit/store/test_retention.c - the retention sweep's batches (src/store/q_retention.c)
 * and a tenant's rows as a whole (src/store/tenant_data.c), on a real store (SQLite, or
 * PostgreSQL when the run gives one: tests/unit/lib/teststore.h).
 *
 * What must hold: a batch touches at most its limit of rows and says whether more are left;
 * only what is past the cutoff goes; an event goes only when every delivery of it was
 * delivered, and with its deliveries and attempts; a chat message only once it was answered
 * (or given up); a tenant's dump has its rows only, and its
 * erasure removes them and nothing of another tenant, recording it in tenant_erasures and the
 * operator log. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/clock.h"
#include "crypto/crypto.h"
#include "store/retention.h"
#include "store/store.h"
#include "store/store_int.h"
#include "store/tenant_data.h"
#include "teststore.h"

#define OLD "2020-01-01T00:00:00.000Z"
#define NEW "2030-01-01T00:00:00.000Z"
#define CUTOFF_MS 1735689600000LL /* 2025-01-01 */
/* Event ids as crypto_id_new draws them at OLD and at NEW (milliseconds and a sequence,
 * then random bits): the sweep bounds its scan by them (migration 26). */
#define EVT_OLD(n) "'evt_016f5e66e800000" n "00000000000000a" n "'"
#define EVT_NEW(n) "'evt_01b8dac5b400000" n "00000000000000b" n "'"
#define MSG_OLD(n) "'msg_016f5e66e800000" n "00000000000000a" n "'"
#define MSG_NEW(n) "'msg_01b8dac5b400000" n "00000000000000b" n "'"

struct fixture {
    struct teststore ts;
    struct store *s;
};

static void exec(struct store *s, const char *sql)
{
    struct error err = {0};
    struct store_conn *c = store_acquire(s);
    int rc = store_exec_script(s, c, sql, &err);
    store_release(s, c);
    if (rc < 0)
        fail_msg("%s: %s", sql, err.message);
}

static int read_count(void *ctx, const struct store_row *row)
{
    *(int64_t *)ctx = store_row_int(row, 0);
    return 1;
}

static int64_t count(struct store *s, const char *sql)
{
    int64_t n = -1;
    struct error err = {0};
    assert_int_equal(store_run(s, sql, NULL, 0, read_count, &n, NULL, &err), 0);
    return n;
}

/* Inserts n webhook log rows of tenant t1 named PREFIX00001.., received at `at`: one
 * statement with a row per value (portable SQL: no row generator is common to both). */
static void insert_logs(struct store *s, const char *prefix, int n, const char *at)
{
    struct buf sql;
    buf_init(&sql, 0);
    buf_append_str(&sql, "INSERT INTO webhook_logs (id, tenant_id, provider, status, body,"
                         " received_at, processed_at) VALUES ");
    for (int i = 1; i <= n; i++)
        buf_printf(&sql, "%s('%s%05d', 't1', 'stripe', 'processed', 'b', '%s', '%s')",
                   i > 1 ? ", " : "", prefix, i, at, at);
    assert_non_null(sql.data);
    exec(s, sql.data);
    buf_free(&sql);
}

/* Tenant t1's install c1 of slug (a destination or not), made at OLD. */
static void install_c1(struct store *s, const char *slug, int is_destination)
{
    char sql[512];
    snprintf(sql, sizeof sql,
             "INSERT INTO connector_installs (id, tenant_id, slug, is_destination, config,"
             " secrets, created_at, updated_at) VALUES ('c1', 't1', '%s', %d, '{}', '{}', '" OLD
             "', '" OLD "')",
             slug, is_destination);
    exec(s, sql);
}

/* Two tenants; t1 has 1200 old webhook log rows and 10 new ones, t2 one old row. */
static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    struct error err = {0};
    if (!f)
        return -1;
    if (teststore_open(&f->ts, "retention", 2, &err) < 0 ||
        store_migrate(f->ts.store, NULL, &err) < 0) {
        fprintf(stderr, "setup: %s\n", err.message);
        teststore_close(&f->ts);
        free(f);
        return -1;
    }
    f->s = f->ts.store;
    exec(f->s, "INSERT INTO tenants (id, name, plan, created_at) VALUES"
               " ('t1', 'One', 'pro', '" OLD "'), ('t2', 'Two', 'pro', '" OLD "');"
               "INSERT INTO webhook_logs (id, tenant_id, provider, status, body, received_at,"
               " processed_at) VALUES ('t2old', 't2', 'stripe', 'processed', 'b', '" OLD "', '"
               OLD "');");
    insert_logs(f->s, "old", 1200, OLD);
    insert_logs(f->s, "new", 10, NEW);
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

static void test_batches_are_bounded_and_only_take_what_is_past(void **state)
{
    struct fixture *f = *state;
    struct store_swept swept = {0};
    struct error err = {0};
    bool more = false;
    int64_t expect[] = {500, 1000, 1201};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(store_sweep_batch(f->s, STORE_SWEEP_WEBHOOK_BODIES, CUTOFF_MS, 500,
                                           &swept, &more, &err), 0);
        assert_int_equal(swept.webhook_bodies, expect[i]);
        assert_int_equal(more, i < 2);
    }
    assert_int_equal(count(f->s, "SELECT count(*) FROM webhook_logs WHERE body IS NOT NULL"), 10);
    assert_int_equal(count(f->s, "SELECT count(*) FROM webhook_logs"), 1211);
    for (int i = 0; i < 3; i++)
        assert_int_equal(store_sweep_batch(f->s, STORE_SWEEP_WEBHOOK_LOGS, CUTOFF_MS, 500,
                                           &swept, &more, &err), 0);
    assert_false(more);
    assert_int_equal(swept.webhook_logs, 1201);
    assert_int_equal(count(f->s, "SELECT count(*) FROM webhook_logs WHERE id LIKE 'new%'"), 10);
    assert_int_equal(count(f->s, "SELECT count(*) FROM webhook_logs"), 10);
}

/* Whole rows go whether their body was swept or not (a body kept longer than its row, or
 * bodies never swept): the rows without a body first, the batch bounded across both. */
static void test_whole_rows_go_with_or_without_their_body(void **state)
{
    struct fixture *f = *state;
    struct store_swept swept = {0};
    struct error err = {0};
    bool more = false;
    assert_int_equal(store_sweep_batch(f->s, STORE_SWEEP_WEBHOOK_BODIES, CUTOFF_MS, 500, &swept,
                                       &more, &err), 0);
    assert_int_equal(count(f->s, "SELECT count(*) FROM webhook_logs WHERE body IS NULL"), 500);
    int64_t expect[] = {500, 1000, 1201};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(store_sweep_batch(f->s, STORE_SWEEP_WEBHOOK_LOGS, CUTOFF_MS, 500,
                                           &swept, &more, &err), 0);
        assert_int_equal(swept.webhook_logs, expect[i]);
        assert_int_equal(more, i < 2);
        if (i == 0) /* the bodiless ones went first */
            assert_int_equal(count(f->s, "SELECT count(*) FROM webhook_logs WHERE body IS NULL"),
                             0);
    }
    assert_int_equal(count(f->s, "SELECT count(*) FROM webhook_logs WHERE id LIKE 'new%' AND "
                                 "body IS NOT NULL"), 10);
    assert_int_equal(count(f->s, "SELECT count(*) FROM webhook_logs"), 10);
}

static void test_events_go_when_every_delivery_was_delivered(void **state)
{
    struct fixture *f = *state;
    struct store_swept swept = {0};
    struct error err = {0};
    bool more = true;
    install_c1(f->s, "slack", 1);
    exec(f->s,
         "INSERT INTO events (id, tenant_id, type, data, created_at) VALUES"
         " (" EVT_OLD("1") ", 't1', 'x', '{}', '" OLD "'), (" EVT_OLD("2") ", 't1', 'x', '{}', '" OLD "'),"
         " (" EVT_OLD("3") ", 't1', 'x', '{}', '" OLD "'), (" EVT_NEW("4") ", 't1', 'x', '{}', '" NEW "');"
         "INSERT INTO deliveries (id, tenant_id, event_id, connector_id, event_type, status,"
         " next_attempt_ms, created_at, updated_at) VALUES"
         " ('d_done', 't1', " EVT_OLD("1") ", 'c1', 'x', 'delivered', 0, '" OLD "', '" OLD "'),"
         " ('d_failed', 't1', " EVT_OLD("3") ", 'c1', 'x', 'failed', 0, '" OLD "', '" OLD "'),"
         " ('d_failed_ok', 't1', " EVT_OLD("3") ", 'c1', 'x', 'delivered', 0, '" OLD "', '" OLD "'),"
         " ('d_new', 't1', " EVT_NEW("4") ", 'c1', 'x', 'delivered', 0, '" NEW "', '" NEW "');"
         "INSERT INTO delivery_attempts (delivery_id, attempt_no, started_at, duration_ms,"
         " response_excerpt, request) VALUES ('d_done', 1, '" OLD "', 5, 'ok', '{}'),"
         " ('d_done', 2, '" OLD "', 5, 'ok', '{}'), ('d_failed', 1, '" OLD "', 5, 'no', '{}'),"
         " ('d_new', 1, '" NEW "', 5, 'ok', '{}');");
    assert_int_equal(store_sweep_batch(f->s, STORE_SWEEP_DELIVERY_BODIES, CUTOFF_MS, 500, &swept,
                                       &more, &err), 0);
    assert_int_equal(swept.delivery_bodies, 3);
    assert_int_equal(count(f->s, "SELECT count(*) FROM delivery_attempts"), 4);
    assert_int_equal(store_sweep_batch(f->s, STORE_SWEEP_EVENTS, CUTOFF_MS, 1, &swept, &more,
                                       &err), 0);
    assert_true(more); /* a full batch of one */
    assert_int_equal(store_sweep_batch(f->s, STORE_SWEEP_EVENTS, CUTOFF_MS, 500, &swept, &more,
                                       &err), 0);
    assert_false(more);
    assert_int_equal(swept.events, 2); /* the delivered one and the one without deliveries */
    assert_int_equal(swept.deliveries, 1);
    assert_int_equal(swept.delivery_attempts, 2);
    assert_int_equal(count(f->s, "SELECT count(*) FROM events WHERE id IN (" EVT_OLD("3") ", "
                                 EVT_NEW("4") ")"), 2);
    assert_int_equal(count(f->s, "SELECT count(*) FROM events"), 2);
    assert_int_equal(count(f->s, "SELECT count(*) FROM deliveries"), 3);
}

/* The sweep scans the events' ids up to the cutoff's time (migration 26) and still checks
 * created_at: an event created after the cutoff stays whatever its id, and one whose id came
 * later than the cutoff (a clock set back between its created_at and its id) waits for a
 * later sweep rather than going early. */
static void test_events_are_found_by_their_ids_time_and_created_at_decides(void **state)
{
    struct fixture *f = *state;
    struct store_swept swept = {0};
    struct error err = {0};
    bool more = true;
    char bound[CRYPTO_ID_MAX], made[CRYPTO_ID_MAX];
    /* the bound sits between ids drawn before and after its moment */
    assert_int_equal(crypto_id_bound("evt_", CUTOFF_MS, bound), 0);
    assert_string_equal(bound, "evt_01941f297c000000");
    assert_true(strcmp("evt_01941f297bffffff" "0123456789abcdef", bound) < 0);
    assert_true(strcmp("evt_01941f297c000000" "0000000000000000", bound) > 0);
    assert_int_equal(crypto_id_new("evt_", made), 0);
    assert_int_equal(crypto_id_bound("evt_", clock_now_ms() + 1000, bound), 0);
    assert_true(strcmp(made, bound) < 0);
    assert_int_equal(crypto_id_bound("evt_", clock_now_ms() - 1000, bound), 0);
    assert_true(strcmp(made, bound) > 0);

    exec(f->s, "INSERT INTO events (id, tenant_id, type, data, created_at) VALUES"
               " (" EVT_OLD("1") ", 't1', 'x', '{}', '" OLD "'),"
               " (" EVT_OLD("2") ", 't1', 'x', '{}', '" NEW "'),"
               " (" EVT_NEW("3") ", 't1', 'x', '{}', '" OLD "');");
    assert_int_equal(store_sweep_batch(f->s, STORE_SWEEP_EVENTS, CUTOFF_MS, 500, &swept, &more,
                                       &err), 0);
    assert_false(more);
    assert_int_equal(swept.events, 1);
    assert_int_equal(count(f->s, "SELECT count(*) FROM events WHERE id = " EVT_OLD("1")), 0);
    assert_int_equal(count(f->s, "SELECT count(*) FROM events"), 2);
    /* once the cutoff reaches its id's time, it goes too */
    assert_int_equal(store_sweep_batch(f->s, STORE_SWEEP_EVENTS, 1893456000000LL, 500,
                                       &swept, &more, &err), 0);
    assert_int_equal(swept.events, 2);
    assert_int_equal(count(f->s, "SELECT count(*) FROM events WHERE id = " EVT_NEW("3")), 0);
    assert_int_equal(count(f->s, "SELECT count(*) FROM events WHERE id = " EVT_OLD("2")), 1);
}

/* A chat message goes with its reply once past the cutoff and answered, failed or ignored;
 * one still pending (its answer to come, or a retry) stays, as do the newer ones. */
static void test_chat_messages_go_once_answered(void **state)
{
    struct fixture *f = *state;
    struct store_swept swept = {0};
    struct error err = {0};
    bool more = true;
    install_c1(f->s, "telegram", 0);
    exec(f->s,
         "INSERT INTO chat_messages (id, tenant_id, install_id, platform, message_id, chat_id,"
         " user_id, body, status, next_attempt_ms, reply, created_at, updated_at) VALUES"
         " (" MSG_OLD("1") ", 't1', 'c1', 'telegram', 'm1', 'c', 'u', 'hi', 'sent', 0, 'ok', '"
         OLD "', '" OLD "'),"
         " (" MSG_OLD("2") ", 't1', 'c1', 'telegram', 'm2', 'c', 'u', 'hi', 'pending', 0, NULL, '"
         OLD "', '" OLD "'),"
         " (" MSG_OLD("3") ", 't1', 'c1', 'telegram', 'm3', 'c', 'u', 'hi', 'failed', 0, NULL, '"
         OLD "', '" OLD "'),"
         " (" MSG_OLD("4") ", 't1', 'c1', 'telegram', 'm4', 'c', 'u', 'hi', 'ignored', 0, NULL, '"
         OLD "', '" OLD "'),"
         " (" MSG_NEW("5") ", 't1', 'c1', 'telegram', 'm5', 'c', 'u', 'hi', 'sent', 0, 'ok', '"
         NEW "', '" NEW "');");
    assert_int_equal(store_sweep_batch(f->s, STORE_SWEEP_CHAT_MESSAGES, CUTOFF_MS, 2, &swept,
                                       &more, &err), 0);
    assert_true(more); /* a full batch of two */
    assert_int_equal(store_sweep_batch(f->s, STORE_SWEEP_CHAT_MESSAGES, CUTOFF_MS, 500, &swept,
                                       &more, &err), 0);
    assert_false(more);
    assert_int_equal(swept.chat_messages, 3);
    assert_int_equal(count(f->s, "SELECT count(*) FROM chat_messages WHERE id IN (" MSG_OLD("2")
                                 ", " MSG_NEW("5") ")"), 2);
    assert_int_equal(count(f->s, "SELECT count(*) FROM chat_messages"), 2);
}

struct collected {
    int rows, tenants, logs;
    bool foreign;
};

static int collect(void *ctx, const char *table, json_t *row)
{
    struct collected *c = ctx;
    const char *owner = json_string_value(json_object_get(row, "tenant_id"));
    c->rows++;
    c->tenants += strcmp(table, "tenants") == 0;
    c->logs += strcmp(table, "webhook_logs") == 0;
    c->foreign = c->foreign || (owner && strcmp(owner, "t1") != 0);
    return 0;
}

static void test_a_tenant_is_dumped_and_erased_alone(void **state)
{
    struct fixture *f = *state;
    struct collected c = {0};
    struct error err = {0};
    int64_t rows = 0;
    if (store_tenant_dump(f->s, "t1", collect, &c, &err) < 0)
        fail_msg("dump: %s", err.message);
    assert_int_equal(c.tenants, 1);
    assert_int_equal(c.logs, 1210);
    assert_false(c.foreign);
    json_t *detail = json_object();
    assert_int_equal(store_tenant_erase(f->s, "t1", NULL, detail, &rows, &err), 0);
    assert_int_equal(rows, c.rows);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(detail, "tables"),
                                                        "webhook_logs")),
                     1210);
    json_decref(detail);
    assert_int_equal(count(f->s, "SELECT count(*) FROM webhook_logs WHERE tenant_id = 't1'"), 0);
    assert_int_equal(count(f->s, "SELECT count(*) FROM webhook_logs WHERE tenant_id = 't2'"), 1);
    assert_int_equal(count(f->s, "SELECT count(*) FROM tenants"), 1);
    assert_int_equal(count(f->s, "SELECT count(*) FROM tenant_erasures WHERE tenant_id = 't1'"), 1);
    assert_int_equal(count(f->s, "SELECT count(*) FROM operator_log WHERE tenant_id = 't1'"
                                 " AND action = 'tenant_delete'"),
                     1);
    detail = json_object();
    assert_int_equal(store_tenant_erase(f->s, "t1", NULL, detail, &rows, &err), -1);
    assert_int_equal(err.code, ERR_NOT_FOUND);
    json_decref(detail);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_batches_are_bounded_and_only_take_what_is_past,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_whole_rows_go_with_or_without_their_body,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_events_go_when_every_delivery_was_delivered, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_events_are_found_by_their_ids_time_and_created_at_decides, setup, teardown),
        cmocka_unit_test_setup_teardown(test_chat_messages_go_once_answered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_tenant_is_dumped_and_erased_alone, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
