/* tests/unit/store/test_sqlite_checks.c - the SQLite store's CHECK constraints written as
 * comparisons instead of IN lists (src/store/driver_sqlite.c, migration 25).
 *
 * SQLite fills a temporary b-tree with an IN list's values on every write the CHECK guards;
 * the rewrite must take every such list out of the tables' definitions, on a new store and
 * on one migrated before step 25, while refusing and accepting exactly what the list did. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "store/store.h"
#include "store/store_int.h"

struct fixture {
    char dir[64];
    char db[96];
    char dsn[112];
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    snprintf(f->dir, sizeof f->dir, "/tmp/connectord-checks.XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->db, sizeof f->db, "%s/c.db", f->dir);
    snprintf(f->dsn, sizeof f->dsn, "sqlite:%s", f->db);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    const char *suffixes[] = {"", "-wal", "-shm", "-changes"};
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        char path[128];
        snprintf(path, sizeof path, "%s%s", f->db, suffixes[i]);
        unlink(path);
    }
    rmdir(f->dir);
    free(f);
    return 0;
}

static void expect_rewrite(const char *sql, const char *want, int lists)
{
    struct buf out;
    buf_init(&out, 0);
    assert_int_equal(store_sqlite_in_lists_as_comparisons(sql, &out), lists);
    assert_string_equal(out.data, want);
    buf_free(&out);
}

static void test_lists_become_comparisons(void **state)
{
    (void)state;
    expect_rewrite("CREATE TABLE t (s TEXT CHECK (s IN ('a','b')), n TEXT)",
                   "CREATE TABLE t (s TEXT CHECK ((s = 'a' OR s = 'b')), n TEXT)", 1);
    /* Spaces around the items, a quote inside one, and two lists. */
    expect_rewrite("CHECK (a IN ( 'x' , 'it''s' )) CHECK (b IS NULL OR b IN ('y'))",
                   "CHECK ((a = 'x' OR a = 'it''s')) CHECK (b IS NULL OR (b = 'y'))", 2);
    /* What is not a list of literals stays as it is. */
    const char *kept[] = {
        "CHECK (a NOT IN ('x','y'))",
        "CHECK (a IN (SELECT v FROM t))",
        "CHECK (a IN (1, 2))",
        "CHECK (t.a IN ('x'))",
        "CHECK (a IN ('x'",
        "CHECK (a IN ('x' 'y'))",
        "no list at all",
    };
    for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++)
        expect_rewrite(kept[i], kept[i], 0);
}

static int count_row(void *ctx, const struct store_row *row)
{
    (void)row;
    (*(int *)ctx)++;
    return 0;
}

/* No table is still defined with an IN list. */
static void expect_no_lists(struct store *s)
{
    struct error err = {0};
    int tables = 0;
    assert_int_equal(store_run(s,
                               "SELECT name FROM sqlite_master WHERE type = 'table' AND "
                               "sql LIKE '% IN (''%'",
                               NULL, 0, count_row, &tables, NULL, &err),
                     0);
    assert_int_equal(tables, 0);
}

/* The constraints still refuse what the lists refused and take what they took. */
static void expect_same_verdicts(struct store *s)
{
    struct error err = {0};
    assert_int_equal(store_run(s,
                               "INSERT INTO tenants (id, name, plan, created_at) "
                               "VALUES ('t_ok', 'Ok', 'pro', 'now')",
                               NULL, 0, NULL, NULL, NULL, &err),
                     0);
    assert_int_equal(store_run(s,
                               "INSERT INTO tenants (id, name, plan, created_at) "
                               "VALUES ('t_bad', 'Bad', 'gold', 'now')",
                               NULL, 0, NULL, NULL, NULL, &err),
                     -1);
    const char *log_sql = "INSERT INTO webhook_logs (id, tenant_id, provider, status, "
                          "received_at, processed_at, action) "
                          "VALUES ($1, 't_ok', 'stripe', $2, 'r', 'p', $3)";
    struct {
        const char *status, *action;
        int rc;
    } cases[] = {
        {"processed", "booked", 0},   {"duplicate", NULL, 0},       {"failed", "none", 0},
        {"processedx", "booked", -1}, {"processed", "Booked", -1}, {"", NULL, -1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char id[16];
        snprintf(id, sizeof id, "whl_%zu", i);
        struct store_param p[] = {P_TEXT(id), P_TEXT(cases[i].status), P_TEXT(cases[i].action)};
        assert_int_equal(store_run(s, log_sql, p, N_PARAMS(p), NULL, NULL, NULL, &err),
                         cases[i].rc);
    }
}

static int count_ephemeral(void *ctx, const struct store_row *row)
{
    if (strcmp(store_row_text(row, 1), "OpenEphemeral") == 0)
        (*(int *)ctx)++;
    return 0;
}

static void expect_no_ephemeral_tables(struct store *s)
{
    static const char *const writes[] = {
        "EXPLAIN INSERT INTO webhook_logs (id, tenant_id, provider, status, received_at, "
        "processed_at, action) VALUES ('w', 't', 'p', 'processed', 'r', 'p', 'booked')",
        "EXPLAIN INSERT INTO invoices (id, tenant_id, type, party_id, invoice_number, "
        "invoice_date, total_gross_minor, currency, source, external_id, created_at) VALUES "
        "('i', 't', 'eingangsrechnung', 'p', 'n', 'd', 1, 'EUR', 's', 'e', 'c')",
    };
    for (size_t i = 0; i < sizeof writes / sizeof writes[0]; i++) {
        int ephemeral = 0;
        struct error err = {0};
        struct store_conn *c = store_acquire(s);
        assert_int_equal(store_query_once(s, c, writes[i], NULL, 0, count_ephemeral, &ephemeral,
                                          NULL, &err),
                         0);
        store_release(s, c);
        assert_int_equal(ephemeral, 0);
    }
}

/* Opens and migrates the fixture's store, then checks what the rewrite must leave. */
static void expect_migrated_without_lists(const struct fixture *f)
{
    struct store *s = NULL;
    struct error err = {0};
    assert_int_equal(store_open(f->dsn, 2, &s, &err), 0);
    assert_int_equal(store_migrate(s, NULL, &err), 0);
    expect_no_lists(s);
    expect_no_ephemeral_tables(s);
    expect_same_verdicts(s);
    store_close(s);
}

static void test_new_store_has_no_lists(void **state)
{
    expect_migrated_without_lists(*state);
}

/* A store migrated before step 25: its tables are put back as steps 1-24 made them. */
static void test_older_store_is_rewritten(void **state)
{
    struct fixture *f = *state;
    struct store *s = NULL;
    struct error err = {0};
    assert_int_equal(store_open(f->dsn, 1, &s, &err), 0);
    assert_int_equal(store_migrate(s, NULL, &err), 0);
    store_close(s);

    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "BEGIN;"
                                  "PRAGMA writable_schema=ON;"
                                  "UPDATE sqlite_master SET sql = replace(replace(sql, "
                                  "'(status = ''processed'' OR status = ''duplicate'' OR "
                                  "status = ''failed'' OR status = ''invalid_signature'')', "
                                  "'status IN (''processed'',''duplicate'',''failed'','"
                                  "'invalid_signature'')'), "
                                  "'(plan = ''starter'' OR plan = ''pro'' OR plan = "
                                  "''business'' OR plan = ''enterprise'')', "
                                  "'plan IN (''starter'',''pro'',''business'',''enterprise'')') "
                                  "WHERE type = 'table' AND name IN ('webhook_logs', 'tenants');"
                                  "PRAGMA schema_version=1000;"
                                  "PRAGMA writable_schema=OFF;"
                                  "DELETE FROM schema_migrations WHERE version = 25;"
                                  "COMMIT;",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT COUNT(*) FROM sqlite_master WHERE type = "
                                        "'table' AND sql LIKE '% IN (''%'",
                                        -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), 2); /* the lists are back */
    sqlite3_finalize(st);
    sqlite3_close(db);
    expect_migrated_without_lists(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lists_become_comparisons),
        cmocka_unit_test_setup_teardown(test_new_store_has_no_lists, setup, teardown),
        cmocka_unit_test_setup_teardown(test_older_store_is_rewritten, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
