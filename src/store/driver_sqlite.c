/* store/driver_sqlite.c - the embedded SQLite backend.
 *
 * WAL mode (readers never block the writer), synchronous=FULL (a commit that returned is on
 * disk: a webhook is acknowledged only after its commit), foreign keys on, and a busy
 * timeout so writers from several threads or processes queue instead of failing (cut
 * short when the process stops). Every
 * connection caches its prepared statements keyed by the SQL text's address: the SQL lives
 * in static strings, so the address is a stable, cheap key. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "store/store_int.h"

#define BUSY_TIMEOUT_MS 10000
#define STOPPING_BUSY_TIMEOUT_MS 250

/* Set when the process stops (store_stop_waiting): a writer that finds the store locked
 * then gives up after STOPPING_BUSY_TIMEOUT_MS (long enough for the process's own other
 * writers) instead of BUSY_TIMEOUT_MS (another process's), as nobody waits for its answer
 * any more. Process-wide, like the stop. */
static atomic_bool stop_waiting;

/* The busy handler: SQLite's own schedule of naps (as sqlite3_busy_timeout), up to
 * BUSY_TIMEOUT_MS in all, or STOPPING_BUSY_TIMEOUT_MS once the process stops. */
static int busy_wait(void *arg, int count)
{
    static const int naps[] = {1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, 100};
    const int n_naps = (int)(sizeof naps / sizeof naps[0]);
    long waited = 0;
    (void)arg;
    for (int i = 0; i < count && i < n_naps; i++)
        waited += naps[i];
    if (count > n_naps)
        waited += (long)(count - n_naps) * naps[n_naps - 1];
    long limit = atomic_load(&stop_waiting) ? STOPPING_BUSY_TIMEOUT_MS : BUSY_TIMEOUT_MS;
    if (waited >= limit)
        return 0;
    long nap = count < n_naps ? naps[count] : naps[n_naps - 1];
    if (nap > limit - waited)
        nap = limit - waited;
    struct timespec ts = {0, nap * 1000000L};
    nanosleep(&ts, NULL);
    return 1;
}

static void sqlite_stop_waiting(void)
{
    atomic_store(&stop_waiting, true);
}

/* Parameters are named $1..$N in the SQL; their slot numbers are looked up once, when the
 * statement is prepared, instead of by name on every run. */
#define MAX_PARAMS 64

struct cached_stmt {
    const char *sql;
    sqlite3_stmt *stmt;
    int param_index[MAX_PARAMS]; /* slot of $i+1, 0 when the statement does not use it */
};

struct store_conn {
    sqlite3 *db;
    struct cached_stmt *cache;
    size_t n_cache, cap_cache;
};

static int sqlite_error(sqlite3 *db, int rc, struct error *err)
{
    int ext = db ? sqlite3_extended_errcode(db) : rc;
    const char *msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    if (ext == SQLITE_CONSTRAINT_UNIQUE || ext == SQLITE_CONSTRAINT_PRIMARYKEY)
        return error_set(err, ERR_CONFLICT, "already exists");
    if (ext == SQLITE_CONSTRAINT_FOREIGNKEY)
        return error_set(err, ERR_NOT_FOUND, "a referenced record does not exist");
    if ((rc & 0xff) == SQLITE_CONSTRAINT)
        return error_set(err, ERR_STORE, "sqlite constraint: %s", msg);
    /* A full disk (or one that fails writes) is the store being unavailable, not a fault of
     * the request: the caller answers 503 with Retry-After and the sender comes again; the
     * transaction was rolled back, so nothing of it is acknowledged. */
    if ((ext & 0xff) == SQLITE_FULL || (ext & 0xff) == SQLITE_IOERR)
        return error_set(err, ERR_UNAVAILABLE, "the store cannot write: %s", msg);
    return error_set(err, ERR_STORE, "sqlite: %s", msg);
}

/* Creates the database file's directory when it is missing (one level, mode 0700). */
static int ensure_parent_dir(const char *path, struct error *err)
{
    char dir[PATH_MAX];
    const char *slash = strrchr(path, '/');
    if (!slash || slash == path)
        return 0;
    size_t n = (size_t)(slash - path);
    if (n >= sizeof dir)
        return error_set(err, ERR_CONFIG, "store path too long");
    memcpy(dir, path, n);
    dir[n] = '\0';
    if (mkdir(dir, 0700) < 0 && errno != EEXIST)
        return error_set(err, ERR_CONFIG, "cannot create store directory %s: %s", dir,
                         strerror(errno));
    return 0;
}

static void sqlite_disconnect(struct store_conn *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n_cache; i++)
        sqlite3_finalize(c->cache[i].stmt);
    free(c->cache);
    sqlite3_close(c->db);
    free(c);
}

static int sqlite_exec_script(struct store_conn *c, const char *sql, struct error *err)
{
    int rc = sqlite3_exec(c->db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? 0 : sqlite_error(c->db, rc, err);
}

/* Process-wide settings, applied once before SQLite initializes. Memory statistics are
 * off: nothing reads them, and keeping them takes a global mutex on every allocation SQLite
 * makes, which every request thread would contend on.
 *
 * Savepoint and statement journals stay in memory up to 1 MiB (SQLite's default is 64 KiB).
 * A multi-row statement, and a group commit's job when it runs isolated (store/batch.c), keep
 * the pages they change in such a journal so they can be rolled back alone. One webhook's
 * isolated booking journals more than 64 KiB, so with the default each webhook created,
 * wrote page by page and deleted a temp file (and a journal that has spilled stays on disk
 * for the rest of the batch). These journals only serve rollbacks inside a transaction,
 * never crash recovery (that is the WAL's job), so keeping them in memory changes nothing
 * about durability. */
#define JOURNAL_SPILL_BYTES (1 << 20)

static int64_t sqlite_total_changes(struct store_conn *c)
{
    return sqlite3_total_changes64(c->db);
}

static void sqlite_configure(void)
{
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    sqlite3_config(SQLITE_CONFIG_STMTJRNL_SPILL, JOURNAL_SPILL_BYTES);
    store_sqlite_wal_writes_register();
}

static int sqlite_connect(const char *target, struct store_conn **out, struct error *err)
{
    static pthread_once_t configured = PTHREAD_ONCE_INIT;
    pthread_once(&configured, sqlite_configure);
    *out = NULL;
    if (!*target)
        return error_set(err, ERR_CONFIG, "sqlite store needs a path: sqlite:PATH");
    if (strcmp(target, ":memory:") != 0 && ensure_parent_dir(target, err) < 0)
        return -1;
    struct store_conn *c = calloc(1, sizeof *c);
    if (!c)
        return error_set(err, ERR_INTERNAL, "out of memory");
    int rc = sqlite3_open_v2(target, &c->db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                             NULL);
    if (rc != SQLITE_OK) {
        error_set(err, ERR_CONFIG, "cannot open sqlite store %s: %s", target,
                  c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
        sqlite_disconnect(c);
        return -1;
    }
    sqlite3_busy_handler(c->db, busy_wait, NULL);
    if (sqlite_exec_script(c,
                           "PRAGMA journal_mode=WAL;"
                           "PRAGMA synchronous=FULL;"
                           "PRAGMA foreign_keys=ON;",
                           err) < 0) {
        sqlite_disconnect(c);
        return -1;
    }
    *out = c;
    return 0;
}

static struct cached_stmt *statement_for(struct store_conn *c, const char *sql,
                                         struct error *err)
{
    for (size_t i = 0; i < c->n_cache; i++)
        if (c->cache[i].sql == sql)
            return &c->cache[i];
    if (c->n_cache == c->cap_cache) {
        size_t cap = c->cap_cache ? c->cap_cache * 2 : 16;
        struct cached_stmt *grown = realloc(c->cache, cap * sizeof *grown);
        if (!grown) {
            error_set(err, ERR_INTERNAL, "out of memory");
            return NULL;
        }
        c->cache = grown;
        c->cap_cache = cap;
    }
    sqlite3_stmt *stmt = NULL;
    int rc = sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL);
    if (rc != SQLITE_OK) {
        sqlite_error(c->db, rc, err);
        return NULL;
    }
    struct cached_stmt *cached = &c->cache[c->n_cache++];
    *cached = (struct cached_stmt){.sql = sql, .stmt = stmt};
    for (unsigned i = 0; i < MAX_PARAMS; i++) {
        char name[16];
        snprintf(name, sizeof name, "$%u", i + 1);
        cached->param_index[i] = sqlite3_bind_parameter_index(stmt, name);
    }
    return cached;
}

/* Binds params ($1..$n) and steps stmt, handing each row to on_row. param_index gives each
 * parameter's slot (0: unused) for a cached statement; NULL looks the slots up by name. */
static int run_statement(struct store_conn *c, sqlite3_stmt *stmt, const int *param_index,
                         const struct store_param *params, size_t n_params, store_row_fn on_row,
                         void *ctx, int64_t *changes, struct error *err)
{
    int rc = SQLITE_OK;
    for (size_t i = 0; i < n_params && rc == SQLITE_OK; i++) {
        int idx;
        if (param_index) {
            idx = param_index[i];
        } else {
            char name[24];
            snprintf(name, sizeof name, "$%zu", i + 1);
            idx = sqlite3_bind_parameter_index(stmt, name);
        }
        if (idx == 0)
            continue; /* the statement does not use this parameter */
        switch (params[i].type) {
        case STORE_P_NULL: rc = sqlite3_bind_null(stmt, idx); break;
        case STORE_P_TEXT: rc = sqlite3_bind_text(stmt, idx, params[i].text, -1, SQLITE_STATIC); break;
        case STORE_P_INT: rc = sqlite3_bind_int64(stmt, idx, params[i].i); break;
        }
    }
    if (rc != SQLITE_OK)
        return sqlite_error(c->db, rc, err);
    struct store_row row = {.driver = &store_driver_sqlite, .handle = stmt};
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        if (on_row && on_row(ctx, &row) != 0)
            break;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return sqlite_error(c->db, rc, err);
    if (changes)
        *changes = sqlite3_changes64(c->db);
    return 0;
}

static int sqlite_query(struct store_conn *c, const char *sql, const struct store_param *params,
                        size_t n_params, store_row_fn on_row, void *ctx, int64_t *changes,
                        struct error *err)
{
    struct cached_stmt *cached = statement_for(c, sql, err);
    if (!cached)
        return -1;
    if (n_params > MAX_PARAMS)
        return error_set(err, ERR_INTERNAL, "query has more than %d parameters", MAX_PARAMS);
    int result = run_statement(c, cached->stmt, cached->param_index, params, n_params, on_row,
                               ctx, changes, err);
    sqlite3_reset(cached->stmt);
    sqlite3_clear_bindings(cached->stmt);
    return result;
}

/* A statement built at run time (tenant archives name tables and columns read from the
 * schema): prepared for this one call, never cached, any number of parameters. */
static int sqlite_query_once(struct store_conn *c, const char *sql,
                             const struct store_param *params, size_t n_params,
                             store_row_fn on_row, void *ctx, int64_t *changes, struct error *err)
{
    sqlite3_stmt *stmt = NULL;
    int rc = sqlite3_prepare_v2(c->db, sql, -1, &stmt, NULL);
    if (rc != SQLITE_OK)
        return sqlite_error(c->db, rc, err);
    int result = run_statement(c, stmt, NULL, params, n_params, on_row, ctx, changes, err);
    sqlite3_finalize(stmt);
    return result;
}

static int sqlite_begin(struct store_conn *c, struct error *err)
{
    return sqlite_exec_script(c, "BEGIN IMMEDIATE", err);
}

static int sqlite_commit(struct store_conn *c, struct error *err)
{
    return sqlite_exec_script(c, "COMMIT", err);
}

static void sqlite_rollback(struct store_conn *c)
{
    if (!sqlite3_get_autocommit(c->db))
        sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
}

static const char *sqlite_row_text(const struct store_row *row, int col)
{
    return (const char *)sqlite3_column_text(row->handle, col);
}

static int64_t sqlite_row_int(const struct store_row *row, int col)
{
    return sqlite3_column_int64(row->handle, col);
}

static int sqlite_row_columns(const struct store_row *row)
{
    return sqlite3_column_count(row->handle);
}

static const char *sqlite_row_name(const struct store_row *row, int col)
{
    return sqlite3_column_name(row->handle, col);
}

static enum store_value_kind sqlite_row_kind(const struct store_row *row, int col)
{
    switch (sqlite3_column_type(row->handle, col)) {
    case SQLITE_NULL: return STORE_V_NULL;
    case SQLITE_INTEGER: return STORE_V_INT;
    case SQLITE_TEXT: return STORE_V_TEXT;
    default: return STORE_V_OTHER;
    }
}

/* ---- one process alone, for a copy -----------------------------------------------------
 *
 * A store is copied only while stopped: a server that wrote during the copy would lose what
 * it wrote. Every process that has the store open holds a shared lock on it (WAL mode), so
 * an exclusive lock taken by a connection in exclusive locking mode is refused while any
 * other process has it open, idle or not; once taken, it is held until the connection
 * closes, so no server starts on the store in the middle of the copy. */
#define CLAIM_WAIT_MS 500

static int sqlite_claim(struct store_conn *c, struct error *err)
{
    sqlite3_busy_timeout(c->db, CLAIM_WAIT_MS);
    int rc = sqlite3_exec(c->db, "PRAGMA locking_mode=EXCLUSIVE; BEGIN EXCLUSIVE; COMMIT", NULL,
                          NULL, NULL);
    sqlite3_busy_handler(c->db, busy_wait, NULL);
    if (rc == SQLITE_OK)
        return 0;
    sqlite_rollback(c);
    sqlite3_exec(c->db, "PRAGMA locking_mode=NORMAL", NULL, NULL, NULL);
    if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED)
        return error_set(err, ERR_CONFLICT, "another process has the store open (it is locked)");
    return sqlite_error(c->db, rc, err);
}

/* ---- checkpoints off the commit path ---------------------------------------------------
 *
 * A WAL database must now and then copy the log's pages back into the database file (a
 * checkpoint) and fsync it. SQLite does that by default in whichever connection's commit
 * takes the log past 1,000 pages, so that commit, and every request waiting for it, stalls
 * for the copy and an extra fsync: under a steady stream of group commits this is what the
 * slowest answers wait for. Here the commit hook only wakes a checkpointer thread with its
 * own connection, whose PASSIVE checkpoints run beside the writers without blocking them.
 *
 * A log can only start over from its beginning when a writer finds it fully copied, which a
 * checkpoint racing a busy writer rarely leaves behind; so once the log passes
 * WAL_LIMIT_PAGES the committing connection copies the (few) frames still missing itself,
 * as SQLite would, and the next transaction restarts the log. */
/* The spacing trades the copies of hot pages against the size of each checkpoint's fsync:
 * that fsync makes the disk write everything the checkpoint copied, and the committer's
 * next fdatasync of the log waits behind it. At 1,000 pages (4 MB) those waits set the
 * webhooks' 99th percentile (log syncs of 6-18 ms against a median of 0.8); at 500 the p99
 * of bench/ingest-cpu.sh fell from 16 to 11.5 ms for 2 % fewer webhooks/s, at 250 to 11-13
 * ms for 5 % fewer, at 100 the copies cost a third of the rate (bench/README.md). */
#define CHECKPOINT_PAGES 500
/* 125 MB of log (4 KB pages). The restart's copy stalls the committer for a few
 * milliseconds (measured 4-27 ms at 8,000 pages, with its two fsyncs), and every request in
 * flight waits for it: at 8,000 pages that came every 3,000 webhooks or so, several times a
 * second under load, and set the 99th percentile; at 32,000 it comes four times as rarely.
 * The cost is the log's size on disk between restarts and its replay after a crash. */
#define WAL_LIMIT_PAGES STORE_SQLITE_WAL_LIMIT_PAGES

struct sqlite_checkpointer {
    sqlite3 *db;
    char wal_path[PATH_MAX];
    int wal_fd; /* for sqlite_sync, opened on first use; -1 before */
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool due, stopping;
    int asked_at; /* the log's frames when the last checkpoint was asked for */
    struct store_conn **conns;
    size_t n_conns;
};

static int on_wal_commit(void *arg, sqlite3 *db, const char *schema, int pages)
{
    struct sqlite_checkpointer *cp = arg;
    if (pages >= WAL_LIMIT_PAGES) {
        sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    } else if (pages >= CHECKPOINT_PAGES) {
        /* One checkpoint per CHECKPOINT_PAGES new frames, not one per commit past the
         * mark: a checkpoint copies each page once however often it changed since the last,
         * and costs two fsyncs, so spacing them copies the hot pages (each index's last
         * leaf, rewritten by every batch) once per interval instead of once per commit. */
        pthread_mutex_lock(&cp->lock);
        /* Close to the limit, after every commit again: the committer's own copy at the
         * limit (above) then has only the last batches left. */
        if (pages < cp->asked_at || pages - cp->asked_at >= CHECKPOINT_PAGES ||
            pages >= WAL_LIMIT_PAGES - CHECKPOINT_PAGES) {
            cp->asked_at = pages;
            cp->due = true;
            pthread_cond_signal(&cp->wake);
        }
        pthread_mutex_unlock(&cp->lock);
    }
    return SQLITE_OK;
}

static void *checkpointer_main(void *arg)
{
    pthread_setname_np(pthread_self(), "cd-checkpoint"); /* as top -H and perf show it */
    struct sqlite_checkpointer *cp = arg;
    pthread_mutex_lock(&cp->lock);
    while (!cp->stopping) {
        if (!cp->due) {
            pthread_cond_wait(&cp->wake, &cp->lock);
            continue;
        }
        cp->due = false;
        pthread_mutex_unlock(&cp->lock);
        /* SQLITE_BUSY (another checkpoint is running) needs no retry: the next commit past
         * the threshold asks again. */
        sqlite3_wal_checkpoint_v2(cp->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
        pthread_mutex_lock(&cp->lock);
    }
    pthread_mutex_unlock(&cp->lock);
    return NULL;
}

static void sqlite_stop_maintenance(void *state)
{
    struct sqlite_checkpointer *cp = state;
    if (!cp)
        return;
    /* The connections outlive this: give them back SQLite's own checkpoints. */
    for (size_t i = 0; i < cp->n_conns; i++)
        sqlite3_wal_autocheckpoint(cp->conns[i]->db, CHECKPOINT_PAGES);
    pthread_mutex_lock(&cp->lock);
    cp->stopping = true;
    pthread_cond_signal(&cp->wake);
    pthread_mutex_unlock(&cp->lock);
    pthread_join(cp->thread, NULL);
    pthread_cond_destroy(&cp->wake);
    pthread_mutex_destroy(&cp->lock);
    sqlite3_close(cp->db);
    if (cp->wal_fd >= 0)
        close(cp->wal_fd);
    free(cp);
}

static int sqlite_start_maintenance(const char *target, struct store_conn **conns,
                                    size_t n_conns, void **state, struct error *err)
{
    *state = NULL;
    if (strcmp(target, ":memory:") == 0)
        return 0; /* no log to copy */
    struct sqlite_checkpointer *cp = calloc(1, sizeof *cp);
    if (!cp)
        return error_set(err, ERR_INTERNAL, "out of memory");
    cp->conns = conns;
    cp->n_conns = n_conns;
    cp->wal_fd = -1;
    if ((size_t)snprintf(cp->wal_path, sizeof cp->wal_path, "%s-wal", target) >=
        sizeof cp->wal_path) {
        free(cp);
        return error_set(err, ERR_CONFIG, "store path too long");
    }
    int rc = sqlite3_open_v2(target, &cp->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(cp->db, "PRAGMA synchronous=FULL;", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        error_set(err, ERR_STORE, "cannot open the checkpoint connection to %s: %s", target,
                  cp->db ? sqlite3_errmsg(cp->db) : sqlite3_errstr(rc));
        sqlite3_close(cp->db);
        free(cp);
        return -1;
    }
    sqlite3_busy_handler(cp->db, busy_wait, NULL);
    pthread_mutex_init(&cp->lock, NULL);
    pthread_cond_init(&cp->wake, NULL);
    if (pthread_create(&cp->thread, NULL, checkpointer_main, cp) != 0) {
        pthread_cond_destroy(&cp->wake);
        pthread_mutex_destroy(&cp->lock);
        sqlite3_close(cp->db);
        free(cp);
        return error_set(err, ERR_INTERNAL, "cannot start the checkpoint thread");
    }
    /* Replaces SQLite's automatic checkpoints on each connection. */
    for (size_t i = 0; i < n_conns; i++)
        sqlite3_wal_hook(conns[i]->db, on_wal_commit, cp);
    *state = cp;
    return 0;
}

/* ---- group commit without waiting for each fsync -----------------------------------------
 *
 * The committer's connection commits with synchronous=NORMAL: COMMIT writes the batch's
 * frames to the log and returns without an fsync, so the committer can go on with the next
 * batch at once; a second thread then fsyncs the log (sqlite_sync) and only after that are
 * the batch's requests answered. Every answered write is on disk exactly as with
 * synchronous=FULL; what changes is that the fsync of one batch overlaps the work of the
 * next. One fdatasync makes every frame written before it durable, whichever connection
 * wrote it, and SQLite keeps a log written this way consistent after a crash (NORMAL syncs
 * the log before each checkpoint). The other connections keep synchronous=FULL. */
static int sqlite_unsynced_commits(void *state, struct store_conn *c, struct error *err)
{
    if (sqlite_exec_script(c, "PRAGMA synchronous=NORMAL", err) < 0)
        return -1;
    sqlite3_wal_hook(c->db, on_wal_commit, state); /* its checkpoints too go off the path */
    return 0;
}

/* One caller at a time (the store's syncer thread). */
static int sqlite_sync(void *state, struct error *err)
{
    struct sqlite_checkpointer *cp = state;
    if (!cp)
        return 0;
    if (cp->wal_fd < 0) {
        cp->wal_fd = open(cp->wal_path, O_RDONLY | O_CLOEXEC);
        if (cp->wal_fd < 0)
            return error_set(err, ERR_STORE, "cannot open %s to sync it: %s", cp->wal_path,
                             strerror(errno));
    }
    if (fdatasync(cp->wal_fd) < 0)
        return error_set(err, ERR_UNAVAILABLE, "cannot sync %s: %s", cp->wal_path,
                         strerror(errno));
    return 0;
}

static const char *sqlite_target_of(const char *dsn)
{
    return strncmp(dsn, "sqlite:", 7) == 0 ? dsn + 7 : NULL;
}

/* The append-only triggers: RAISE(ABORT) refuses the statement and undoes it. */
static int sqlite_trigger_sql(struct buf *out, enum store_trigger kind, const char *name,
                              const char *table, const char *columns, const char *message)
{
    switch (kind) {
    case STORE_TRIGGER_FROZEN:
        return buf_printf(out,
                          "CREATE TRIGGER %s BEFORE UPDATE OF %s ON %s BEGIN SELECT "
                          "RAISE(ABORT, '%s'); END",
                          name, columns, table, message);
    case STORE_TRIGGER_SET_ONCE:
        return buf_printf(out,
                          "CREATE TRIGGER %s BEFORE UPDATE OF %s ON %s WHEN OLD.%s IS NOT NULL "
                          "BEGIN SELECT RAISE(ABORT, '%s'); END",
                          name, columns, table, columns, message);
    case STORE_TRIGGER_KEPT:
        return buf_printf(out,
                          "CREATE TRIGGER %s BEFORE DELETE ON %s WHEN NOT EXISTS "
                          "(SELECT 1 FROM tenant_erasures WHERE tenant_id = OLD.tenant_id) "
                          "BEGIN SELECT RAISE(ABORT, '%s'); END",
                          name, table, message);
    }
    return -1;
}

static int sqlite_trigger_install(struct buf *script, const char *name, const char *table,
                                  const char *create_sql)
{
    (void)table;
    return buf_printf(script, "DROP TRIGGER IF EXISTS %s;%s;", name, create_sql);
}

/* ---- CHECK constraints without IN lists ---------------------------------------------------
 *
 * SQLite checks `status IN ('processed', 'duplicate', ...)` by filling a temporary b-tree
 * with the list, on every INSERT and every UPDATE of the row (an OpenEphemeral in EXPLAIN):
 * each booked webhook paid for three of them (its invoice's type, its log row's status and
 * action), about a sixth of the committer's instructions. The same constraint written as
 * comparisons, (status = 'processed' OR status = 'duplicate' ...), accepts and refuses the
 * same values (a NULL passes both) and costs a few instructions. The portable migrations
 * keep their IN lists (PostgreSQL compares in place); after they ran, the tables'
 * definitions are rewritten as SQLite documents for changing a CHECK constraint (ALTER
 * TABLE, "making other kinds of table schema changes": writable_schema, an UPDATE of
 * sqlite_schema, schema_version + 1, in the migrations' transaction). Only the stored text
 * changes; no row on disk does. */

static bool sql_name_char(char c)
{
    return isalnum((unsigned char)c) || c == '_';
}

/* End of the list of quoted literals starting at p (just after the opening parenthesis):
 * just after its closing parenthesis, or NULL when it is anything else (a subquery). */
static const char *literal_list_end(const char *p)
{
    for (;;) {
        while (*p == ' ')
            p++;
        if (*p++ != '\'')
            return NULL;
        for (; *p && !(p[0] == '\'' && p[1] != '\''); p++)
            if (p[0] == '\'')
                p++; /* '' inside a literal */
        if (!*p++)
            return NULL;
        while (*p == ' ')
            p++;
        if (*p == ')')
            return p + 1;
        if (*p++ != ',')
            return NULL;
    }
}

int store_sqlite_in_lists_as_comparisons(const char *sql, struct buf *out)
{
    static const char marker[] = " IN (";
    int rewritten = 0;
    const char *copied = sql;
    for (const char *at = strstr(sql, marker); at; at = strstr(at + 1, marker)) {
        const char *name = at;
        while (name > copied && sql_name_char(name[-1]))
            name--;
        const char *list = at + sizeof marker - 1, *end = literal_list_end(list);
        if (name == at || !end || (name > sql && name[-1] == '.') ||
            (at - name == 3 && strncasecmp(name, "NOT", 3) == 0))
            continue;
        int name_len = (int)(at - name);
        if (buf_append(out, copied, (size_t)(name - copied)) < 0 || buf_append_str(out, "(") < 0)
            return -1;
        bool first = true;
        for (const char *item = list; item < end - 1; first = false) {
            while (*item == ' ' || *item == ',')
                item++;
            const char *next = item + 1;
            while (!(next[0] == '\'' && next[1] != '\''))
                next += next[0] == '\'' ? 2 : 1;
            next++;
            if (buf_printf(out, "%s%.*s = %.*s", first ? "" : " OR ",
                           name_len, name, (int)(next - item), item) < 0)
                return -1;
            item = next;
            while (*item == ' ')
                item++;
        }
        if (buf_append_str(out, ")") < 0)
            return -1;
        copied = end;
        at = end - 1;
        rewritten++;
    }
    return buf_append_str(out, copied) < 0 ? -1 : rewritten;
}

struct table_text {
    char *name, *sql;
};

static int sqlite_after_migrations(struct store_conn *c, struct error *err)
{
    sqlite3_stmt *st = NULL;
    struct table_text *tables = NULL;
    size_t n = 0, cap = 0;
    int rc = -1, version = 0;
    struct buf sql;
    buf_init(&sql, 0); /* the store's own table definitions */
    if (sqlite3_prepare_v2(c->db,
                           "SELECT name, sql FROM sqlite_master WHERE type = 'table' "
                           "AND sql LIKE '% IN (''%'",
                           -1, &st, NULL) != SQLITE_OK)
        goto sqlite_failed;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        buf_reset(&sql);
        int found = store_sqlite_in_lists_as_comparisons((const char *)sqlite3_column_text(st, 1),
                                                        &sql);
        if (found < 0)
            goto no_memory;
        if (found == 0)
            continue;
        if (n == cap) {
            size_t grown_cap = cap ? cap * 2 : 16;
            struct table_text *grown = realloc(tables, grown_cap * sizeof *grown);
            if (!grown)
                goto no_memory;
            tables = grown;
            cap = grown_cap;
        }
        tables[n].name = strdup((const char *)sqlite3_column_text(st, 0));
        tables[n].sql = buf_take(&sql, NULL);
        n++;
        if (!tables[n - 1].name || !tables[n - 1].sql)
            goto no_memory;
    }
    if (step != SQLITE_DONE)
        goto sqlite_failed;
    sqlite3_finalize(st);
    st = NULL;
    if (n == 0) {
        rc = 0;
        goto out;
    }
    if (sqlite3_prepare_v2(c->db, "PRAGMA schema_version", -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW)
        goto sqlite_failed;
    version = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    st = NULL;
    if (sqlite_exec_script(c, "PRAGMA writable_schema=ON", err) < 0)
        goto out;
    if (sqlite3_prepare_v2(c->db, "UPDATE sqlite_master SET sql = ?1 WHERE type = 'table' "
                                  "AND name = ?2",
                           -1, &st, NULL) != SQLITE_OK)
        goto sqlite_failed;
    for (size_t i = 0; i < n; i++) {
        sqlite3_bind_text(st, 1, tables[i].sql, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, tables[i].name, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE)
            goto sqlite_failed;
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    st = NULL;
    char bump[64];
    snprintf(bump, sizeof bump, "PRAGMA schema_version=%d", version + 1);
    if (sqlite_exec_script(c, bump, err) < 0 ||
        sqlite_exec_script(c, "PRAGMA writable_schema=OFF", err) < 0)
        goto out;
    rc = 0;
    goto out;
no_memory:
    error_set(err, ERR_INTERNAL, "out of memory");
    goto out;
sqlite_failed:
    sqlite_error(c->db, sqlite3_errcode(c->db), err);
out:
    sqlite3_finalize(st);
    if (rc < 0)
        sqlite3_exec(c->db, "PRAGMA writable_schema=OFF", NULL, NULL, NULL);
    for (size_t i = 0; i < n; i++) {
        free(tables[i].name);
        free(tables[i].sql);
    }
    free(tables);
    buf_free(&sql);
    return rc;
}

const struct store_driver store_driver_sqlite = {
    .scheme = "sqlite",
    .target_of = sqlite_target_of,
    .threads_per_core = 1,
    .connect = sqlite_connect,
    .disconnect = sqlite_disconnect,
    .exec_script = sqlite_exec_script,
    .query = sqlite_query,
    .begin = sqlite_begin,
    .commit = sqlite_commit,
    .rollback = sqlite_rollback,
    .row_text = sqlite_row_text,
    .row_int = sqlite_row_int,
    .query_once = sqlite_query_once,
    .row_columns = sqlite_row_columns,
    .total_changes = sqlite_total_changes,
    .row_name = sqlite_row_name,
    .row_kind = sqlite_row_kind,
    .tables_sql = "SELECT name FROM sqlite_master WHERE type = 'table' "
                  "AND name NOT LIKE 'sqlite_%' ORDER BY name",
    .snapshot_sql = "BEGIN",
    .start_maintenance = sqlite_start_maintenance,
    .stop_maintenance = sqlite_stop_maintenance,
    .stop_waiting = sqlite_stop_waiting,
    .unsynced_commits = sqlite_unsynced_commits,
    .sync = sqlite_sync,
    .trigger_sql = sqlite_trigger_sql,
    .trigger_install = sqlite_trigger_install,
    .trigger_lookup_sql = "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = $1",
    .claim = sqlite_claim,
    .changes_by_file = true,
    .after_migrations = sqlite_after_migrations,
};
