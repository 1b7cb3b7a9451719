/* tests/unit/store/test_store_wal.c - the SQLite store's write-ahead log under a stream of commits
 * (src/store/driver_sqlite.c).
 *
 * Checkpoints run on a thread of their own instead of in the commit that crosses the
 * threshold. What must hold: the log's pages still reach the database file, the log stays
 * bounded however long the writes go on, savepoints nest and undo as before, and what was
 * committed reads back after the store is closed and opened again. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store/store.h"
#include "store/store_int.h"

/* One commit of about 256 pages (4 KiB each): COMMITS of them write twice the log's
 * limit. */
#define BLOB_BYTES (1024 * 1024)
#define COMMITS (2 * STORE_SQLITE_WAL_LIMIT_PAGES / 256)
/* Each frame is a page plus a 24-byte header. One commit may run past the limit before the
 * log starts over. */
#define WAL_BOUND_BYTES                                                                        \
    ((long)(STORE_SQLITE_WAL_LIMIT_PAGES + 2 * 256 + 64) * (4096 + 24))

struct fixture {
    char dir[64];
    char db[96];
    char dsn[112];
    char wal[112];
};

static long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/connectord-wal.XXXXXX");
    if (!f || !mkdtemp(f->dir))
        return -1;
    snprintf(f->db, sizeof f->db, "%s/c.db", f->dir);
    snprintf(f->dsn, sizeof f->dsn, "sqlite:%s", f->db);
    snprintf(f->wal, sizeof f->wal, "%s-wal", f->db);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    unlink(f->wal);
    char shm[112];
    snprintf(shm, sizeof shm, "%s-shm", f->db);
    unlink(shm);
    unlink(f->db);
    rmdir(f->dir);
    free(f);
    return 0;
}

/* The fixture's store, opened with pool connections, with an empty table bulk. */
static struct store *open_with_bulk(const struct fixture *f, int pool)
{
    struct store *s = NULL;
    struct error err = {0};
    assert_int_equal(store_open(f->dsn, pool, &s, &err), 0);
    assert_int_equal(store_run(s, "CREATE TABLE bulk (v BLOB NOT NULL)", NULL, 0, NULL, NULL,
                               NULL, &err),
                     0);
    return s;
}

static int read_count(void *ctx, const struct store_row *row)
{
    *(int64_t *)ctx = store_row_int(row, 0);
    return 1;
}

static int64_t count_rows(struct store *s)
{
    int64_t n = -1;
    struct error err = {0};
    assert_int_equal(store_run(s, "SELECT COUNT(*) FROM bulk", NULL, 0, read_count, &n, NULL,
                               &err),
                     0);
    return n;
}

static void test_log_stays_bounded_and_reaches_the_database(void **state)
{
    struct fixture *f = *state;
    struct store *s = NULL;
    struct error err = {0};
    s = open_with_bulk(f, 2);
    long wal_max = 0;
    for (int i = 0; i < COMMITS; i++) {
        struct store_tx *tx = NULL;
        struct store_param p[] = {P_INT(BLOB_BYTES)};
        assert_int_equal(store_tx_begin(s, &tx, &err), 0);
        assert_int_equal(store_tx_query(tx, "INSERT INTO bulk (v) VALUES (randomblob($1))", p,
                                        N_PARAMS(p), NULL, NULL, NULL, &err),
                         0);
        assert_int_equal(store_tx_commit(tx, &err), 0);
        long wal = file_size(f->wal);
        if (wal > wal_max)
            wal_max = wal;
    }
    assert_int_equal(count_rows(s), COMMITS);
    store_close(s);
    /* 64 MiB went through a log that never held more than its limit... */
    assert_true(wal_max > 0);
    assert_true(wal_max <= WAL_BOUND_BYTES);
    /* ...and most of it is in the database file itself. */
    assert_true(file_size(f->db) >= (long)COMMITS * BLOB_BYTES);

    assert_int_equal(store_open(f->dsn, 1, &s, &err), 0);
    assert_int_equal(count_rows(s), COMMITS);
    store_close(s);
}

static void test_savepoints_nest_and_undo(void **state)
{
    struct fixture *f = *state;
    struct store *s = NULL;
    struct store_tx *tx = NULL;
    struct error err = {0};
    s = open_with_bulk(f, 1);
    struct store_param p[] = {P_INT(16)};
    assert_int_equal(store_tx_begin(s, &tx, &err), 0);
    for (int depth = 1; depth <= 8; depth++) {
        assert_int_equal(store_tx_savepoint(tx, &err), 0);
        assert_int_equal(store_tx_query(tx, "INSERT INTO bulk (v) VALUES (randomblob($1))", p,
                                        N_PARAMS(p), NULL, NULL, NULL, &err),
                         0);
    }
    /* A ninth level is refused with an error, not built from a format string. */
    assert_int_equal(store_tx_savepoint(tx, &err), -1);
    assert_int_equal(err.code, ERR_INTERNAL);
    /* Undo the four innermost, keep the four outer ones. */
    for (int depth = 8; depth > 4; depth--)
        assert_int_equal(store_tx_undo(tx, &err), 0);
    for (int depth = 4; depth > 0; depth--)
        assert_int_equal(store_tx_release(tx, &err), 0);
    assert_int_equal(store_tx_release(tx, &err), -1); /* none left */
    assert_int_equal(store_tx_commit(tx, &err), 0);
    assert_int_equal(count_rows(s), 4);
    store_close(s);
}

struct insert_job {
    struct store_batch_job job;
    int rc;
    _Atomic int *done;
};

static int insert_row(void *ctx, struct store_tx *tx, struct error *err)
{
    struct store_param p[] = {P_INT(64)};
    return store_tx_query(tx, "INSERT INTO bulk (v) VALUES (randomblob($1))", p, N_PARAMS(p),
                          NULL, NULL, NULL, err);
}

static int fail_row(void *ctx, struct store_tx *tx, struct error *err)
{
    if (insert_row(ctx, tx, err) < 0)
        return -1;
    return error_set(err, ERR_VALIDATION, "refused after writing"); /* undone alone */
}

static void inserted(void *ctx, int rc, const struct error *err)
{
    struct insert_job *j = ctx;
    j->rc = rc;
    (*j->done)++;
}

/* Jobs from the committer thread: each is told only after its batch was made durable (on
 * the committer's own connection, by the syncer), a failing job is undone alone, and what
 * was acknowledged reads back after the store is closed and opened again. */
static void test_group_commit_acknowledges_after_sync(void **state)
{
    struct fixture *f = *state;
    struct store *s = NULL;
    struct error err = {0};
    enum { JOBS = 2000 };
    static struct insert_job jobs[JOBS];
    _Atomic int done = 0;
    s = open_with_bulk(f, 2);
    assert_int_equal(store_batch_start(s, &err), 0);
    for (int i = 0; i < JOBS; i++) {
        jobs[i] = (struct insert_job){.rc = 1, .done = &done};
        jobs[i].job = (struct store_batch_job){
            .work = i % 10 == 9 ? fail_row : insert_row, .done = inserted, .ctx = &jobs[i]};
        store_batch_submit(s, &jobs[i].job);
    }
    /* A caller that waits: its write is on disk when store_batch_run returns. */
    assert_int_equal(store_batch_run(s, insert_row, NULL, &err), 0);
    store_batch_stop(s); /* finishes what is queued and handed to the syncer */
    assert_int_equal(done, JOBS);
    for (int i = 0; i < JOBS; i++)
        assert_int_equal(jobs[i].rc, i % 10 == 9 ? -1 : 0);
    store_close(s);

    assert_int_equal(store_open(f->dsn, 1, &s, &err), 0);
    assert_int_equal(count_rows(s), JOBS - JOBS / 10 + 1);
    store_close(s);
}

/* A job of test_failing_job_runs_the_batch_again: what each run of its work saw. */
struct counted_job {
    struct store_batch_job job;
    bool fails;
    int runs, isolated_runs, done_calls, rc;
    pthread_mutex_t *gate; /* held by the test: the first run waits for it */
    _Atomic bool at_gate;
};

static int counted_work(void *ctx, struct store_tx *tx, struct error *err)
{
    struct counted_job *c = ctx;
    if (c->gate && c->runs == 0) {
        c->at_gate = true;
        pthread_mutex_lock(c->gate);
        pthread_mutex_unlock(c->gate);
    }
    c->runs++;
    c->isolated_runs += store_tx_isolated(tx);
    return c->fails ? fail_row(ctx, tx, err) : insert_row(ctx, tx, err);
}

static void counted_done(void *ctx, int rc, const struct error *err)
{
    struct counted_job *c = ctx;
    c->rc = rc;
    c->done_calls++;
}

/* The committer runs a batch's jobs bare, without a savepoint each; when one fails, the
 * batch runs again from its first job, each job in its own savepoint, so that the failing
 * job alone is undone and the others are written once and told once. The first job holds
 * the committer until the next three are queued, so those three are one batch: ok1 runs
 * bare, fails runs bare and fails, then ok1, fails and ok2 run isolated. Without a committer
 * a job has its transaction to itself: isolated, and rolled back when it fails. */
static void test_failing_job_runs_the_batch_again(void **state)
{
    struct fixture *f = *state;
    struct store *s = open_with_bulk(f, 2);
    struct error err = {0};
    pthread_mutex_t gate = PTHREAD_MUTEX_INITIALIZER;
    struct counted_job first = {.gate = &gate}, ok1 = {0}, fails = {.fails = true}, ok2 = {0};
    struct counted_job *all[] = {&first, &ok1, &fails, &ok2};
    for (size_t i = 0; i < 4; i++)
        all[i]->job = (struct store_batch_job){.work = counted_work, .done = counted_done,
                                               .ctx = all[i]};
    assert_int_equal(store_batch_start(s, &err), 0);
    pthread_mutex_lock(&gate);
    store_batch_submit(s, &first.job);
    for (int waited = 0; !first.at_gate && waited < 10000; waited++)
        usleep(1000); /* until the committer runs the first job, which waits at the gate */
    assert_true(first.at_gate);
    for (size_t i = 1; i < 4; i++)
        store_batch_submit(s, &all[i]->job);
    pthread_mutex_unlock(&gate);
    store_batch_stop(s);

    assert_int_equal(first.runs, 1);
    assert_int_equal(first.isolated_runs, 0);
    assert_int_equal(ok1.runs, 2);
    assert_int_equal(ok1.isolated_runs, 1);
    assert_int_equal(fails.runs, 2);
    assert_int_equal(fails.isolated_runs, 1);
    assert_int_equal(ok2.runs, 1);
    assert_int_equal(ok2.isolated_runs, 1);
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(all[i]->done_calls, 1);
    assert_int_equal(first.rc, 0);
    assert_int_equal(ok1.rc, 0);
    assert_int_equal(fails.rc, -1);
    assert_int_equal(ok2.rc, 0);
    assert_int_equal(count_rows(s), 3);

    /* No committer: each job alone in its transaction. */
    struct counted_job alone_ok = {0}, alone_fails = {.fails = true};
    alone_ok.job = (struct store_batch_job){.work = counted_work, .done = counted_done,
                                            .ctx = &alone_ok};
    alone_fails.job = (struct store_batch_job){.work = counted_work, .done = counted_done,
                                               .ctx = &alone_fails};
    store_batch_submit(s, &alone_ok.job);
    store_batch_submit(s, &alone_fails.job);
    assert_int_equal(alone_ok.runs, 1);
    assert_int_equal(alone_ok.isolated_runs, 1);
    assert_int_equal(alone_ok.rc, 0);
    assert_int_equal(alone_fails.runs, 1);
    assert_int_equal(alone_fails.rc, -1);
    assert_int_equal(count_rows(s), 4);
    store_close(s);
}

/* Rows of bulk as another connection of the same file sees them (its own handle on the log,
 * SQLite's library directly): what the store committed must be in the log file, not only
 * in the writing connection's memory, the moment its commit returns. */
static int64_t rows_seen_apart(const char *db_path)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int64_t n = -1;
    assert_int_equal(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT COUNT(*), COALESCE(SUM(length(v)), 0) "
                                            "FROM bulk",
                                        -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

/* The log's frames are gathered and written a commit at a time (src/store/wal_writes.c).
 * Through the group commit (its committer's connection does not sync at commit; the syncer
 * fdatasyncs the file itself, which writes out nothing still in SQLite's hands): small
 * commits and ones larger than a gathered write, each seen by another connection as soon as
 * it is acknowledged. Between them a transaction on a pooled connection that writes 9 MB
 * into the log and is rolled back, whose frames the next commits write over. The file is
 * whole afterwards. */
struct sized_insert {
    int64_t bytes;
};

static int insert_three(void *ctx, struct store_tx *tx, struct error *err)
{
    const struct sized_insert *si = ctx;
    struct store_param p[] = {P_INT(si->bytes)};
    for (int r = 0; r < 3; r++)
        if (store_tx_query(tx, "INSERT INTO bulk (v) VALUES (randomblob($1))", p, N_PARAMS(p),
                           NULL, NULL, NULL, err) < 0)
            return -1;
    return 0;
}

static void test_commits_reach_the_log_file_at_once(void **state)
{
    struct fixture *f = *state;
    struct store *s = NULL;
    struct store_tx *tx = NULL;
    struct error err = {0};
    s = open_with_bulk(f, 1);
    assert_int_equal(store_batch_start(s, &err), 0);
    int64_t expect = 0;
    const int64_t sizes[] = {16, 5000, 300 * 1024, 64, 3 * 1024 * 1024, 100, 200 * 1024};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        struct sized_insert si = {.bytes = sizes[i]};
        if (sizes[i] == 3 * 1024 * 1024) {
            assert_int_equal(store_tx_begin(s, &tx, &err), 0);
            assert_int_equal(insert_three(&si, tx, &err), 0);
            store_tx_rollback(tx);
        } else {
            assert_int_equal(store_batch_run(s, insert_three, &si, &err), 0);
            expect += 3;
        }
        assert_int_equal(rows_seen_apart(f->db), expect);
    }
    store_batch_stop(s);
    store_close(s);

    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "ok");
    sqlite3_finalize(st);
    sqlite3_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_log_stays_bounded_and_reaches_the_database, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_savepoints_nest_and_undo, setup, teardown),
        cmocka_unit_test_setup_teardown(test_group_commit_acknowledges_after_sync, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_failing_job_runs_the_batch_again, setup, teardown),
        cmocka_unit_test_setup_teardown(test_commits_reach_the_log_file_at_once, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
