/* store/driver_pg.c - the PostgreSQL backend (libpq), for many processes on one database.
 *
 * Every difference between the two dialects is settled here, so the queries in q_*.c are
 * written once:
 *   - timestamps: a column whose name ends in `_at` and is declared TEXT in a migration is
 *     created as timestamptz (ddl_translate); sessions run in UTC with ISO dates, and such
 *     a value is read back in the same RFC 3339 form (milliseconds, "Z") that SQLite keeps
 *     as text, so callers see one format from both stores;
 *   - the marker comments SKIP_LOCKED_MARK and FOR_UPDATE_MARK in a query become FOR UPDATE
 *     SKIP LOCKED and FOR UPDATE (SQLite, whose writers are serialized anyway, reads them as
 *     comments);
 *   - parameters: $n is typed bigint when an integer is bound and left for the server to
 *     infer otherwise; a parameter the statement does not use is declared text, as SQLite
 *     ignores extra parameters and PostgreSQL would refuse an untyped one; a parameter whose
 *     first use tells no type ("$n IS NULL") is declared text too, so a query whose optional
 *     filter is not text writes its typed use first ("(col >= $n OR $n IS NULL)") or casts;
 *   - the append-only triggers (guard.c) as plpgsql functions and row triggers;
 *   - errors: SQLSTATEs mapped to the same ERR_* codes as SQLite's result codes;
 *   - notifications between processes (store_notify_tx, store_listen): pg_notify() in the
 *     writing transaction, and a listener thread with its own LISTENing connection.
 * Durability is PostgreSQL's: synchronous_commit stays on, so a commit that returned is on
 * disk, and the server groups concurrent commits into one WAL flush itself (no committer
 * thread here). Each connection keeps its prepared statements keyed by the SQL text's
 * address, like the SQLite driver. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/clock.h"
#include "store/store_int.h"

#define MAX_PARAMS 64
#define PG_INT8_OID 20
#define PG_INT2_OID 21
#define PG_INT4_OID 23
#define PG_TEXT_OID 25
#define PG_NUMERIC_OID 1700
#define PG_TIMESTAMPTZ_OID 1184
#define PG_TIMESTAMP_OID 1114
#define TS_TEXT_LEN 32 /* "YYYY-MM-DDTHH:MM:SS.mmmZ" and NUL, with room */

struct cached_stmt {
    const char *sql;
    char name[16];
    int n_params; /* the highest $n the statement uses */
};

struct store_conn {
    PGconn *pg;
    struct cached_stmt *cache;
    size_t n_cache, cap_cache;
    unsigned next_name;
    bool once_prepared; /* ONCE_NAME exists in the session (its DEALLOCATE failed) */
    int backend_pid;    /* its server process (own_backend_set) */
};

/* A result row: the result, its row number, and room for the timestamps rewritten into
 * RFC 3339 (one slot per column, filled when read). */
struct pg_row {
    PGresult *res;
    int row;
    char (*ts)[TS_TEXT_LEN];
};

/* ---- errors ------------------------------------------------------------------------------ */

static int pg_error(PGconn *pg, const PGresult *res, struct error *err)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *msg = res ? PQresultErrorMessage(res) : PQerrorMessage(pg);
    char text[512];
    snprintf(text, sizeof text, "%s", msg && *msg ? msg : "unknown error");
    text[strcspn(text, "\n")] = '\0';
    if (PQstatus(pg) != CONNECTION_OK)
        return error_set(err, ERR_UNAVAILABLE, "the PostgreSQL connection is lost: %s", text);
    if (!state)
        return error_set(err, ERR_STORE, "postgres: %s", text);
    if (strcmp(state, "23505") == 0)
        return error_set(err, ERR_CONFLICT, "already exists");
    if (strcmp(state, "23503") == 0)
        return error_set(err, ERR_NOT_FOUND, "a referenced record does not exist");
    /* Out of disk or failing I/O, too many connections, a server shutting down, a
     * serialization failure or deadlock: the request may be sent again; nothing of the
     * rolled-back transaction was acknowledged. */
    if (strncmp(state, "53", 2) == 0 || strncmp(state, "58", 2) == 0 ||
        strncmp(state, "57P", 3) == 0 || strncmp(state, "08", 2) == 0 ||
        strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0)
        return error_set(err, ERR_UNAVAILABLE, "the store cannot write: %s", text);
    if (strncmp(state, "23", 2) == 0)
        return error_set(err, ERR_STORE, "postgres constraint: %s", text);
    return error_set(err, ERR_STORE, "postgres: %s (%s)", text, state);
}

/* A connection dropped by the server (restart, failover) is reset before the next use, when
 * no transaction of it is open: the pool's connections outlive the database's restarts. */
static void pg_heal(struct store_conn *c)
{
    if (PQstatus(c->pg) == CONNECTION_OK)
        return;
    PQreset(c->pg);
    c->n_cache = 0; /* prepared statements died with the session */
    c->once_prepared = false;
}

/* ---- SQL rewriting ------------------------------------------------------------------------ */

#define SKIP_LOCKED_MARK "/*SKIP LOCKED*/"
#define FOR_UPDATE_MARK "/*FOR UPDATE*/"

static bool ident_char(char ch)
{
    return isalnum((unsigned char)ch) || ch == '_';
}

/* A migration's DDL in PostgreSQL's terms: `<name>_at TEXT` declares a timestamptz. */
static int ddl_translate(const char *sql, struct buf *out)
{
    const char *p = sql;
    while (*p) {
        const char *hit = strstr(p, "_at TEXT");
        if (!hit) {
            return buf_append(out, p, strlen(p));
        }
        const char *after = hit + strlen("_at TEXT");
        bool is_column = hit > sql && ident_char(hit[-1]) && !ident_char(*after);
        if (buf_append(out, p, (size_t)(hit - p)) < 0 ||
            buf_append(out, is_column ? "_at TIMESTAMPTZ" : "_at TEXT",
                       strlen(is_column ? "_at TIMESTAMPTZ" : "_at TEXT")) < 0)
            return -1;
        p = after;
    }
    return 0;
}

/* A query in PostgreSQL's terms (the locking markers). */
static int query_translate(const char *sql, struct buf *out)
{
    static const struct {
        const char *mark, *clause;
    } marks[] = {{SKIP_LOCKED_MARK, "FOR UPDATE SKIP LOCKED"}, {FOR_UPDATE_MARK, "FOR UPDATE"}};
    const char *p = sql;
    for (;;) {
        const char *hit = NULL;
        size_t which = 0;
        for (size_t i = 0; i < sizeof marks / sizeof marks[0]; i++) {
            const char *at = strstr(p, marks[i].mark);
            if (at && (!hit || at < hit)) {
                hit = at;
                which = i;
            }
        }
        if (!hit)
            return buf_append(out, p, strlen(p));
        if (buf_append(out, p, (size_t)(hit - p)) < 0 ||
            buf_append_str(out, marks[which].clause) < 0)
            return -1;
        p = hit + strlen(marks[which].mark);
    }
}

/* Which of $1..$MAX_PARAMS the SQL names (outside quoted text), and the highest. */
static int params_used(const char *sql, bool used[MAX_PARAMS])
{
    int highest = 0;
    char quote = 0;
    memset(used, 0, MAX_PARAMS * sizeof used[0]);
    for (const char *p = sql; *p; p++) {
        if (quote) {
            if (*p == quote)
                quote = 0;
            continue;
        }
        if (*p == '\'' || *p == '"') {
            quote = *p;
            continue;
        }
        if (*p != '$' || !isdigit((unsigned char)p[1]))
            continue;
        int n = 0;
        while (isdigit((unsigned char)p[1]) && n <= MAX_PARAMS)
            n = n * 10 + (*++p - '0');
        if (n >= 1 && n <= MAX_PARAMS) {
            used[n - 1] = true;
            if (n > highest)
                highest = n;
        }
    }
    return highest;
}

/* ---- connections -------------------------------------------------------------------------- */

/* NOTICEs (an IF NOT EXISTS that found the table) are not errors: not printed. */
static void quiet_notices(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

/* The server processes of this process's connections. PostgreSQL hands an announcement to
 * every listener, its maker's own process too, which heard it at its commit already
 * (store_observe); the listener tells them apart by the announcing backend's pid. A
 * connection past OWN_BACKENDS_MAX is not kept: its announcements count as another
 * process's, which costs a cache entry, not a lost change. */
#define OWN_BACKENDS_MAX 256
static pthread_mutex_t own_backends_lock = PTHREAD_MUTEX_INITIALIZER;
static int own_backends[OWN_BACKENDS_MAX];
static size_t n_own_backends;

static void own_backend_set(int pid, bool add)
{
    if (pid <= 0)
        return;
    pthread_mutex_lock(&own_backends_lock);
    if (add && n_own_backends < OWN_BACKENDS_MAX) {
        own_backends[n_own_backends++] = pid;
    } else if (!add) {
        for (size_t i = 0; i < n_own_backends; i++)
            if (own_backends[i] == pid) {
                own_backends[i] = own_backends[--n_own_backends];
                break;
            }
    }
    pthread_mutex_unlock(&own_backends_lock);
}

static bool own_backend(int pid)
{
    bool own = false;
    pthread_mutex_lock(&own_backends_lock);
    for (size_t i = 0; i < n_own_backends && !own; i++)
        own = own_backends[i] == pid;
    pthread_mutex_unlock(&own_backends_lock);
    return own;
}

static void pg_disconnect(struct store_conn *c)
{
    if (!c)
        return;
    if (c->backend_pid)
        own_backend_set(c->backend_pid, false);
    PQfinish(c->pg);
    free(c->cache);
    free(c);
}

static int run_simple(struct store_conn *c, const char *sql, struct error *err)
{
    PGresult *res = PQexec(c->pg, sql);
    ExecStatusType st = PQresultStatus(res);
    int rc = 0;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
        rc = pg_error(c->pg, res, err);
    PQclear(res);
    return rc;
}

/* The session every connection runs in: UTC and ISO dates (the timestamps' text form),
 * commits durable before they return. */
#define SESSION_SQL                                                                         \
    "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET synchronous_commit = on; "       \
    "SET client_min_messages = warning"

static int pg_connect(const char *target, struct store_conn **out, struct error *err)
{
    *out = NULL;
    struct store_conn *c = calloc(1, sizeof *c);
    if (!c)
        return error_set(err, ERR_INTERNAL, "out of memory");
    c->pg = PQconnectdb(target);
    if (!c->pg || PQstatus(c->pg) != CONNECTION_OK) {
        char text[256];
        snprintf(text, sizeof text, "%s", c->pg ? PQerrorMessage(c->pg) : "out of memory");
        text[strcspn(text, "\n")] = '\0';
        pg_disconnect(c);
        return error_set(err, ERR_CONFIG, "cannot connect to the PostgreSQL store: %s", text);
    }
    PQsetNoticeProcessor(c->pg, quiet_notices, NULL);
    if (run_simple(c, SESSION_SQL, err) < 0) {
        pg_disconnect(c);
        return -1;
    }
    c->backend_pid = PQbackendPID(c->pg);
    own_backend_set(c->backend_pid, true);
    *out = c;
    return 0;
}

/* postgres://..., postgresql://... or libpq's keyword form ("host=... dbname=..."): the
 * whole DSN is libpq's connection string. */
static const char *pg_target_of(const char *dsn)
{
    if (strncmp(dsn, "postgres://", 11) == 0 || strncmp(dsn, "postgresql://", 13) == 0)
        return dsn;
    size_t key = strspn(dsn, "abcdefghijklmnopqrstuvwxyz_");
    size_t gap = strspn(dsn + key, " ");
    return key > 0 && dsn[key + gap] == '=' && !strstr(dsn, "://") ? dsn : NULL;
}

static int pg_exec_script(struct store_conn *c, const char *sql, struct error *err)
{
    struct buf text;
    buf_init(&text, 0);
    int rc = ddl_translate(sql, &text) < 0
                 ? error_set(err, ERR_INTERNAL, "out of memory")
                 : run_simple(c, text.data ? text.data : "", err);
    buf_free(&text);
    return rc;
}

/* ---- statements --------------------------------------------------------------------------- */

/* The n of "could not determine data type of parameter $n" (42P08), else 0. */
static int untyped_param(const PGresult *res)
{
    const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
    const char *at = msg ? strstr(msg, "parameter $") : NULL;
    if (!state || (strcmp(state, "42P08") != 0 && strcmp(state, "42P18") != 0) || !at)
        return 0;
    return atoi(at + strlen("parameter $"));
}

static int prepare(struct store_conn *c, const char *name, const char *sql,
                   const struct store_param *params, size_t n_params, int *n_used,
                   struct error *err)
{
    bool used[MAX_PARAMS];
    Oid types[MAX_PARAMS];
    int highest = params_used(sql, used);
    for (int i = 0; i < highest; i++) {
        if (!used[i])
            types[i] = PG_TEXT_OID;
        else if ((size_t)i < n_params && params[i].type == STORE_P_INT)
            types[i] = PG_INT8_OID;
        else
            types[i] = 0;
    }
    struct buf text;
    buf_init(&text, 0);
    if (query_translate(sql, &text) < 0) {
        buf_free(&text);
        return error_set(err, ERR_INTERNAL, "out of memory");
    }
    PGresult *res;
    /* A failed PREPARE would abort the open transaction: inside one, it is tried in a
     * savepoint (once per connection and statement, as statements stay prepared). */
    bool in_tx = PQtransactionStatus(c->pg) == PQTRANS_INTRANS;
    if (in_tx)
        PQclear(PQexec(c->pg, "SAVEPOINT cd_prepare"));
    /* A parameter whose first use tells no type ("$3 IS NULL OR col = $3", the optional
     * filters) is one the server cannot type: it is then declared text, and the statement
     * prepared again; each retry types one more, so this ends. */
    for (;;) {
        res = PQprepare(c->pg, name, text.data ? text.data : "", highest, types);
        int k = untyped_param(res);
        if (k < 1 || k > highest || types[k - 1] != 0)
            break;
        types[k - 1] = PG_TEXT_OID;
        PQclear(res);
        if (in_tx)
            PQclear(PQexec(c->pg, "ROLLBACK TO SAVEPOINT cd_prepare"));
    }
    int rc = 0;
    if (in_tx)
        PQclear(PQexec(c->pg, PQresultStatus(res) == PGRES_COMMAND_OK
                                  ? "RELEASE SAVEPOINT cd_prepare"
                                  : "ROLLBACK TO SAVEPOINT cd_prepare; RELEASE SAVEPOINT cd_prepare"));
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        /* A statement that does not prepare is a defect of the query: say which one. */
        rc = pg_error(c->pg, res, err);
        if (err && err->code == ERR_STORE) {
            char first[sizeof err->message];
            memcpy(first, err->message, sizeof first);
            error_set(err, ERR_STORE, "%.110s, preparing: %.140s", first, sql);
        }
    }
    PQclear(res);
    buf_free(&text);
    *n_used = highest;
    return rc;
}

static struct cached_stmt *statement_for(struct store_conn *c, const char *sql,
                                         const struct store_param *params, size_t n_params,
                                         struct error *err)
{
    for (size_t i = 0; i < c->n_cache; i++)
        if (c->cache[i].sql == sql)
            return &c->cache[i];
    if (c->n_cache == c->cap_cache) {
        size_t cap = c->cap_cache ? c->cap_cache * 2 : 32;
        struct cached_stmt *grown = realloc(c->cache, cap * sizeof *grown);
        if (!grown) {
            error_set(err, ERR_INTERNAL, "out of memory");
            return NULL;
        }
        c->cache = grown;
        c->cap_cache = cap;
    }
    struct cached_stmt *st = &c->cache[c->n_cache];
    st->sql = sql;
    snprintf(st->name, sizeof st->name, "s%u", c->next_name++);
    if (prepare(c, st->name, sql, params, n_params, &st->n_params, err) < 0)
        return NULL;
    c->n_cache++;
    return st;
}

/* Runs the prepared statement `name` (NULL: the unnamed one) with params as text. */
static int execute(struct store_conn *c, const char *name, int n_used,
                   const struct store_param *params, size_t n_params, store_row_fn on_row,
                   void *ctx, int64_t *changes, struct error *err)
{
    const char *values[MAX_PARAMS];
    char ints[MAX_PARAMS][24];
    for (int i = 0; i < n_used; i++) {
        if ((size_t)i >= n_params || params[i].type == STORE_P_NULL) {
            values[i] = NULL;
        } else if (params[i].type == STORE_P_INT) {
            snprintf(ints[i], sizeof ints[i], "%lld", (long long)params[i].i);
            values[i] = ints[i];
        } else {
            values[i] = params[i].text;
        }
    }
    PGresult *res = PQexecPrepared(c->pg, name ? name : "", n_used, values, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(res);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        int rc = pg_error(c->pg, res, err);
        PQclear(res);
        return rc;
    }
    int rows = PQntuples(res), cols = PQnfields(res);
    struct pg_row r = {.res = res};
    if (rows > 0 && on_row && cols > 0) {
        r.ts = calloc((size_t)cols, sizeof *r.ts);
        if (!r.ts) {
            PQclear(res);
            return error_set(err, ERR_INTERNAL, "out of memory");
        }
    }
    struct store_row row = {.driver = &store_driver_pg, .handle = &r};
    for (int i = 0; i < rows && on_row; i++) {
        r.row = i;
        if (on_row(ctx, &row) != 0)
            break;
    }
    if (changes) {
        const char *n = PQcmdTuples(res);
        *changes = n && *n ? strtoll(n, NULL, 10) : 0;
    }
    free(r.ts);
    PQclear(res);
    return 0;
}

static int pg_query(struct store_conn *c, const char *sql, const struct store_param *params,
                    size_t n_params, store_row_fn on_row, void *ctx, int64_t *changes,
                    struct error *err)
{
    if (n_params > MAX_PARAMS)
        return error_set(err, ERR_INTERNAL, "query has more than %d parameters", MAX_PARAMS);
    if (PQtransactionStatus(c->pg) == PQTRANS_IDLE || PQstatus(c->pg) != CONNECTION_OK)
        pg_heal(c);
    struct cached_stmt *st = statement_for(c, sql, params, n_params, err);
    if (!st)
        return -1;
    return execute(c, st->name, st->n_params, params, n_params, on_row, ctx, changes, err);
}

/* A statement built at run time: prepared under a name of its own and deallocated after
 * the one run (the unnamed statement would not do: the savepoint around a prepare inside
 * a transaction is a simple query, which replaces it). */
#define ONCE_NAME "cd_once"

static void deallocate_once(struct store_conn *c)
{
    PGresult *res = PQexec(c->pg, "DEALLOCATE " ONCE_NAME);
    if (PQresultStatus(res) == PGRES_COMMAND_OK)
        c->once_prepared = false;
    PQclear(res);
}

static int pg_query_once(struct store_conn *c, const char *sql, const struct store_param *params,
                         size_t n_params, store_row_fn on_row, void *ctx, int64_t *changes,
                         struct error *err)
{
    if (n_params > MAX_PARAMS)
        return error_set(err, ERR_INTERNAL, "query has more than %d parameters", MAX_PARAMS);
    int n_used = 0;
    if (c->once_prepared)
        deallocate_once(c);
    if (prepare(c, ONCE_NAME, sql, params, n_params, &n_used, err) < 0)
        return -1;
    c->once_prepared = true;
    int rc = execute(c, ONCE_NAME, n_used, params, n_params, on_row, ctx, changes, err);
    /* In a transaction that a failed run left aborted, DEALLOCATE fails too: the name is
     * then freed before its next use. */
    deallocate_once(c);
    return rc;
}

static int pg_begin(struct store_conn *c, struct error *err)
{
    pg_heal(c);
    return run_simple(c, "BEGIN", err);
}

static int pg_commit(struct store_conn *c, struct error *err)
{
    PGresult *res = PQexec(c->pg, "COMMIT");
    int rc = 0;
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        rc = pg_error(c->pg, res, err);
    else if (strcmp(PQcmdStatus(res), "ROLLBACK") == 0) /* a statement of it had failed */
        rc = error_set(err, ERR_STORE, "the transaction was rolled back by an earlier error");
    PQclear(res);
    return rc;
}

static void pg_rollback(struct store_conn *c)
{
    if (PQtransactionStatus(c->pg) != PQTRANS_IDLE)
        PQclear(PQexec(c->pg, "ROLLBACK"));
}

/* ---- rows ----------------------------------------------------------------------------------- */

/* PostgreSQL's ISO form ("2026-03-05 10:20:30.45+00", fraction optional) as RFC 3339 with
 * milliseconds in UTC ("2026-03-05T10:20:30.450Z"); the session runs in UTC. */
static const char *rfc3339_of(const char *v, char out[TS_TEXT_LEN])
{
    size_t n = strlen(v);
    if (n < 19 || v[10] != ' ')
        return v;
    memcpy(out, v, 19);
    out[10] = 'T';
    char ms[4] = "000";
    const char *p = v + 19;
    if (*p == '.') {
        p++;
        for (int i = 0; i < 3 && isdigit((unsigned char)*p); i++)
            ms[i] = *p++;
        while (isdigit((unsigned char)*p))
            p++;
    }
    snprintf(out + 19, TS_TEXT_LEN - 19, ".%sZ", ms);
    return out;
}

static const char *pg_row_text(const struct store_row *row, int col)
{
    const struct pg_row *r = row->handle;
    if (PQgetisnull(r->res, r->row, col))
        return NULL;
    const char *v = PQgetvalue(r->res, r->row, col);
    Oid type = PQftype(r->res, col);
    if ((type == PG_TIMESTAMPTZ_OID || type == PG_TIMESTAMP_OID) && r->ts)
        return rfc3339_of(v, r->ts[col]);
    return v;
}

static int64_t pg_row_int(const struct store_row *row, int col)
{
    const struct pg_row *r = row->handle;
    if (PQgetisnull(r->res, r->row, col))
        return 0;
    return strtoll(PQgetvalue(r->res, r->row, col), NULL, 10);
}

static int pg_row_columns(const struct store_row *row)
{
    const struct pg_row *r = row->handle;
    return PQnfields(r->res);
}

static const char *pg_row_name(const struct store_row *row, int col)
{
    const struct pg_row *r = row->handle;
    return PQfname(r->res, col);
}

static enum store_value_kind pg_row_kind(const struct store_row *row, int col)
{
    const struct pg_row *r = row->handle;
    if (PQgetisnull(r->res, r->row, col))
        return STORE_V_NULL;
    switch (PQftype(r->res, col)) {
    case PG_INT8_OID:
    case PG_INT4_OID:
    case PG_INT2_OID:
    case PG_NUMERIC_OID: return STORE_V_INT;
    default: return STORE_V_TEXT;
    }
}

/* ---- one process alone, for a copy (store/copy.c) -------------------------------------------
 *
 * A store being copied must be stopped: any other client session on the database (a
 * connectord, a psql) makes it in use. PostgreSQL cannot keep others out of a database
 * without an operator's rights, so this only checks; the copy's own snapshot and single
 * transaction keep its view consistent. */
static int pg_claim(struct store_conn *c, struct error *err)
{
    PGresult *res = PQexec(c->pg, "SELECT count(*) FROM pg_stat_activity WHERE datname = "
                                  "current_database() AND pid <> pg_backend_pid() AND "
                                  "backend_type = 'client backend'");
    int rc = 0;
    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        rc = pg_error(c->pg, res, err);
    else if (strtoll(PQgetvalue(res, 0, 0), NULL, 10) > 0)
        rc = error_set(err, ERR_CONFLICT, "%s other session(s) are connected to the database",
                       PQgetvalue(res, 0, 0));
    PQclear(res);
    return rc;
}

/* ---- the append-only triggers (guard.c) ------------------------------------------------------ */

/* The refusal, as one function the triggers call with their message; a delete is let
 * through for a tenant listed in tenant_erasures. */
#define GUARD_FUNCTIONS                                                                       \
    "CREATE OR REPLACE FUNCTION connectord_refuse() RETURNS trigger LANGUAGE plpgsql AS $f$ " \
    "BEGIN RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = 'integrity_constraint_violation'; " \
    "END $f$;"                                                                                \
    "CREATE OR REPLACE FUNCTION connectord_refuse_unless_erased() RETURNS trigger "           \
    "LANGUAGE plpgsql AS $f$ BEGIN "                                                          \
    "IF NOT EXISTS (SELECT 1 FROM tenant_erasures WHERE tenant_id = OLD.tenant_id) THEN "     \
    "RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = 'integrity_constraint_violation'; "      \
    "END IF; RETURN OLD; END $f$;"

static int pg_trigger_sql(struct buf *out, enum store_trigger kind, const char *name,
                          const char *table, const char *columns, const char *message)
{
    switch (kind) {
    case STORE_TRIGGER_FROZEN:
        return buf_printf(out,
                          "CREATE TRIGGER %s BEFORE UPDATE OF %s ON %s FOR EACH ROW "
                          "EXECUTE FUNCTION connectord_refuse('%s')",
                          name, columns, table, message);
    case STORE_TRIGGER_SET_ONCE:
        return buf_printf(out,
                          "CREATE TRIGGER %s BEFORE UPDATE OF %s ON %s FOR EACH ROW "
                          "WHEN (OLD.%s IS NOT NULL) EXECUTE FUNCTION connectord_refuse('%s')",
                          name, columns, table, columns, message);
    case STORE_TRIGGER_KEPT:
        return buf_printf(out,
                          "CREATE TRIGGER %s BEFORE DELETE ON %s FOR EACH ROW "
                          "EXECUTE FUNCTION connectord_refuse_unless_erased('%s')",
                          name, table, message);
    }
    return -1;
}

/* Drop, create, and the creating statement kept as the trigger's comment, which is what
 * guard.c compares with the list next time (PostgreSQL keeps no trigger text of its own). */
static int pg_trigger_install(struct buf *script, const char *name, const char *table,
                              const char *create_sql)
{
    if (script->len == 0 && buf_printf(script, "%s", GUARD_FUNCTIONS) < 0)
        return -1;
    if (buf_printf(script, "DROP TRIGGER IF EXISTS %s ON %s;%s;COMMENT ON TRIGGER %s ON %s IS '",
                   name, table, create_sql, name, table) < 0)
        return -1;
    for (const char *p = create_sql; *p; p++)
        if (buf_append(script, *p == '\'' ? "''" : p, *p == '\'' ? 2 : 1) < 0)
            return -1;
    return buf_printf(script, "';");
}

/* ---- notifications between processes (store.h's store_notify_tx and store_listen) -------- */

/* pg_notify() queues the announcement with the transaction; PostgreSQL sends it when the
 * transaction commits (and drops repeats of the same channel and payload within it). */
#define NOTIFY_SQL "SELECT pg_notify($1, $2)"
#define LISTEN_RETRY_MS 1000 /* between attempts to connect again */
#define LISTEN_PROBE_MS 10000 /* a quiet connection is probed this often */
#define LISTEN_APPLICATION_NAME "connectord-listen"

/* The listener: a thread with its own connection, LISTENing on the channels, that sleeps
 * in poll() on the connection's socket and on a pipe whose write end stops it. */
struct pg_listener {
    char *target;
    char **channels;
    size_t n_channels;
    void (*on_notice)(void *ctx, const char *channel, const char *payload, bool own);
    void (*on_reset)(void *ctx);
    void *ctx;
    PGconn *pg;
    int stop_pipe[2];
    pthread_t thread;
};

/* A connection that LISTENs on every channel, or NULL (err set). */
static PGconn *listen_connect(const struct pg_listener *l, struct error *err)
{
    /* Named, so that an operator tells it from the pool's connections (pg_stat_activity). */
    static const char *const keys[] = {"dbname", "application_name", NULL};
    const char *values[] = {l->target, LISTEN_APPLICATION_NAME, NULL};
    PGconn *pg = PQconnectdbParams(keys, values, 1);
    if (!pg || PQstatus(pg) != CONNECTION_OK)
        goto fail;
    PQsetNoticeProcessor(pg, quiet_notices, NULL);
    for (size_t i = 0; i < l->n_channels; i++) {
        char *ident = PQescapeIdentifier(pg, l->channels[i], strlen(l->channels[i]));
        char sql[160];
        int n = ident ? snprintf(sql, sizeof sql, "LISTEN %s", ident) : -1;
        PQfreemem(ident);
        if (n < 0 || (size_t)n >= sizeof sql)
            goto fail;
        PGresult *res = PQexec(pg, sql);
        bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
        PQclear(res);
        if (!ok)
            goto fail;
    }
    return pg;
fail: {
    char text[256];
    snprintf(text, sizeof text, "%s", pg ? PQerrorMessage(pg) : "out of memory");
    text[strcspn(text, "\n")] = '\0';
    error_set(err, ERR_UNAVAILABLE, "cannot listen to the PostgreSQL store: %s", text);
    PQfinish(pg);
    return NULL;
}
}

/* Waits up to timeout_ms for the connection (when there is one) or the stop pipe; returns
 * 1 when asked to stop, 0 otherwise. */
static int listen_wait(const struct pg_listener *l, int timeout_ms)
{
    struct pollfd fds[2] = {{.fd = l->stop_pipe[0], .events = POLLIN},
                            {.fd = l->pg ? PQsocket(l->pg) : -1, .events = POLLIN}};
    int n = poll(fds, l->pg ? 2 : 1, timeout_ms);
    return n > 0 && (fds[0].revents & (POLLIN | POLLHUP)) ? 1 : 0;
}

/* Hands every announcement that arrived to the callback; -1 when the connection is lost. */
static int listen_drain(struct pg_listener *l, bool probe)
{
    if (!PQconsumeInput(l->pg))
        return -1;
    if (probe) {
        /* Nothing came for a while: a lost server or network shows only when asked. */
        PGresult *res = PQexec(l->pg, "SELECT 1");
        bool ok = PQresultStatus(res) == PGRES_TUPLES_OK;
        PQclear(res);
        if (!ok)
            return -1;
    }
    PGnotify *n;
    while ((n = PQnotifies(l->pg)) != NULL) {
        l->on_notice(l->ctx, n->relname, n->extra ? n->extra : "", own_backend(n->be_pid));
        PQfreemem(n);
    }
    return PQstatus(l->pg) == CONNECTION_OK ? 0 : -1;
}

static void *listen_main(void *arg)
{
    pthread_setname_np(pthread_self(), "cd-listen");
    struct pg_listener *l = arg;
    for (;;) {
        if (!l->pg) {
            /* Lost: connect again, and then whatever was announced meanwhile is unknown. */
            struct error err = {0};
            l->pg = listen_connect(l, &err);
            if (!l->pg) {
                if (listen_wait(l, LISTEN_RETRY_MS))
                    break;
                continue;
            }
            l->on_reset(l->ctx);
        }
        int64_t t0 = clock_monotonic_us();
        if (listen_wait(l, LISTEN_PROBE_MS))
            break;
        bool quiet = clock_monotonic_us() - t0 >= (int64_t)LISTEN_PROBE_MS * 1000;
        if (listen_drain(l, quiet) < 0) {
            PQfinish(l->pg);
            l->pg = NULL;
        }
    }
    return NULL;
}

static void listener_free(struct pg_listener *l)
{
    if (!l)
        return;
    PQfinish(l->pg);
    for (size_t i = 0; i < l->n_channels; i++)
        free(l->channels[i]);
    free(l->channels);
    free(l->target);
    if (l->stop_pipe[0] >= 0) {
        close(l->stop_pipe[0]);
        close(l->stop_pipe[1]);
    }
    free(l);
}

static int pg_listen_start(const char *target, const char *const *channels, size_t n_channels,
                           void (*on_notice)(void *ctx, const char *channel, const char *payload,
                                             bool own),
                           void (*on_reset)(void *ctx), void *ctx, void **state,
                           struct error *err)
{
    *state = NULL;
    struct pg_listener *l = calloc(1, sizeof *l);
    if (!l)
        return error_set(err, ERR_INTERNAL, "out of memory");
    l->stop_pipe[0] = l->stop_pipe[1] = -1;
    l->on_notice = on_notice;
    l->on_reset = on_reset;
    l->ctx = ctx;
    l->target = strdup(target);
    l->channels = calloc(n_channels, sizeof *l->channels);
    if (!l->target || !l->channels)
        goto oom;
    for (; l->n_channels < n_channels; l->n_channels++)
        if (!(l->channels[l->n_channels] = strdup(channels[l->n_channels])))
            goto oom;
    if (pipe2(l->stop_pipe, O_CLOEXEC) < 0) {
        l->stop_pipe[0] = l->stop_pipe[1] = -1;
        error_set(err, ERR_INTERNAL, "cannot make the listener's pipe");
        goto fail;
    }
    /* The first connection here, so a store that cannot be listened to fails the start. */
    if (!(l->pg = listen_connect(l, err)))
        goto fail;
    if (pthread_create(&l->thread, NULL, listen_main, l) != 0) {
        error_set(err, ERR_INTERNAL, "cannot start the store's listener");
        goto fail;
    }
    *state = l;
    return 0;
oom:
    error_set(err, ERR_INTERNAL, "out of memory");
fail:
    listener_free(l);
    return -1;
}

static void pg_listen_stop(void *state)
{
    struct pg_listener *l = state;
    if (!l)
        return;
    ssize_t w;
    do
        w = write(l->stop_pipe[1], "x", 1);
    while (w < 0 && errno == EINTR);
    pthread_join(l->thread, NULL);
    listener_free(l);
}

const struct store_driver store_driver_pg = {
    .scheme = "postgres",
    .target_of = pg_target_of,
    .threads_per_core = 8,
    .connect = pg_connect,
    .disconnect = pg_disconnect,
    .exec_script = pg_exec_script,
    .query = pg_query,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .row_text = pg_row_text,
    .row_int = pg_row_int,
    .query_once = pg_query_once,
    .row_columns = pg_row_columns,
    .row_name = pg_row_name,
    .row_kind = pg_row_kind,
    .tables_sql = "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                  "ORDER BY tablename",
    .snapshot_sql = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
    .trigger_sql = pg_trigger_sql,
    .trigger_install = pg_trigger_install,
    .trigger_lookup_sql = "SELECT d.description FROM pg_trigger t JOIN pg_description d "
                          "ON d.objoid = t.oid AND d.classoid = 'pg_trigger'::regclass "
                          "WHERE t.tgname = $1 AND NOT t.tgisinternal",
    .notify_sql = NOTIFY_SQL,
    .listen_start = pg_listen_start,
    .listen_stop = pg_listen_stop,
    .claim = pg_claim,
};
