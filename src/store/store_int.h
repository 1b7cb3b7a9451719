/* store/store_int.h - private to store/: the backend driver interface and the pool.
 *
 * A driver is a struct of function pointers (one file per backend, one table in store.c).
 * Queries are run with typed parameters and a row callback, so the domain files (q_*.c)
 * never see a backend type. */
#ifndef CONNECTORD_STORE_INT_H
#define CONNECTORD_STORE_INT_H

/* The SQLite log's size, in pages, at which the committing connection copies what is left
 * and the log starts over (driver_sqlite.c, which says why it is this large). */
#define STORE_SQLITE_WAL_LIMIT_PAGES 32000

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

struct store_conn;

enum store_param_type { STORE_P_NULL, STORE_P_TEXT, STORE_P_INT };

struct store_param {
    enum store_param_type type;
    const char *text; /* STORE_P_TEXT, NUL-terminated */
    int64_t i;
};

/* A NULL string binds SQL NULL. */
static inline struct store_param P_TEXT(const char *s)
{
    return (struct store_param){.type = s ? STORE_P_TEXT : STORE_P_NULL, .text = s};
}
static inline struct store_param P_INT(int64_t v)
{
    return (struct store_param){.type = STORE_P_INT, .i = v};
}

/* A result row as the driver sees it; read it through store_row_* below. */
struct store_row {
    const struct store_driver *driver;
    void *handle;
};

/* The kind of a result value, for code that reads rows whose columns it does not know in
 * advance (tenant archives). Money and counts are INT, everything else TEXT. */
enum store_value_kind { STORE_V_NULL, STORE_V_INT, STORE_V_TEXT, STORE_V_OTHER };

typedef int (*store_row_fn)(void *ctx, const struct store_row *row);

struct buf;

/* The three kinds of append-only trigger (guard.c): columns never updated, a column set
 * once from NULL, rows never deleted but an erased tenant's. */
enum store_trigger { STORE_TRIGGER_FROZEN, STORE_TRIGGER_SET_ONCE, STORE_TRIGGER_KEPT };

struct store_driver {
    const char *scheme; /* "sqlite", "postgres" */
    /* What the driver connects to for dsn (SQLite: the path after "sqlite:"), or NULL
     * when dsn is not this backend's. */
    const char *(*target_of)(const char *dsn);
    /* HTTP worker threads per core that suit this backend (store_threads_for). */
    unsigned threads_per_core;
    int (*connect)(const char *target, struct store_conn **out, struct error *err);
    void (*disconnect)(struct store_conn *conn);
    /* Several statements without parameters (migrations). */
    int (*exec_script)(struct store_conn *conn, const char *sql, struct error *err);
    /* One statement; on_row (may be NULL) is called per row and may return non-zero to
     * stop. *changes (may be NULL) receives the affected row count. */
    int (*query)(struct store_conn *conn, const char *sql, const struct store_param *params,
                 size_t n_params, store_row_fn on_row, void *ctx, int64_t *changes,
                 struct error *err);
    int (*begin)(struct store_conn *conn, struct error *err); /* a write transaction */
    int (*commit)(struct store_conn *conn, struct error *err);
    void (*rollback)(struct store_conn *conn);
    const char *(*row_text)(const struct store_row *row, int col);
    int64_t (*row_int)(const struct store_row *row, int col);
    /* A statement built at run time: not cached, any number of parameters. */
    int (*query_once)(struct store_conn *conn, const char *sql,
                      const struct store_param *params, size_t n_params, store_row_fn on_row,
                      void *ctx, int64_t *changes, struct error *err);
    /* A row's shape: its column count, each column's name and its value's kind. */
    int (*row_columns)(const struct store_row *row);
    /* Rows the connection's statements have inserted, updated or deleted since it opened
     * (store_tx_writes); NULL when the backend does not count them. */
    int64_t (*total_changes)(struct store_conn *conn);
    const char *(*row_name)(const struct store_row *row, int col);
    enum store_value_kind (*row_kind)(const struct store_row *row, int col);
    /* A query whose rows are the names of the store's tables (one text column). */
    const char *tables_sql;
    /* Starts a read-only transaction that sees one snapshot and takes no write lock
     * (ended by rollback). */
    const char *snapshot_sql;
    /* Work the backend does beside the queries for an open store (SQLite: checkpoints off
     * the commit path); both may be NULL. *state is handed back to stop_maintenance, which
     * runs before the connections close. */
    int (*start_maintenance)(const char *target, struct store_conn **conns, size_t n_conns,
                             void **state, struct error *err);
    void (*stop_maintenance)(void *state);
    /* The process stops: from now on a locked store is waited for briefly, not for the
     * full busy timeout (may be NULL). */
    void (*stop_waiting)(void);
    /* Group commit (batch.c): unsynced_commits() makes a connection's commits return once
     * the transaction is written, before the disk has it; sync() then makes every commit
     * made before the call durable. Both get the maintenance state. Drivers without them
     * leave both NULL, and every commit is durable by itself. */
    int (*unsynced_commits)(void *state, struct store_conn *conn, struct error *err);
    int (*sync)(void *state, struct error *err);
    /* The append-only triggers in the backend's dialect (guard.c has the list): the
     * statement that creates one (columns: the frozen list, or the one set-once column;
     * message: the refusal, already quoted for an SQL string literal), the script part
     * that (re)installs it, and a query of one text column with the creating statement of
     * the trigger named $1 as last installed (no row: none). */
    int (*trigger_sql)(struct buf *out, enum store_trigger kind, const char *name,
                       const char *table, const char *columns, const char *message);
    int (*trigger_install)(struct buf *script, const char *name, const char *table,
                           const char *create_sql);
    const char *trigger_lookup_sql;
    /* Notifications across processes (store.h's store_notify_tx); all three NULL for a
     * backend without them (SQLite). notify_sql is a statement with two text parameters,
     * the channel's name and the payload, that announces them when its transaction
     * commits. listen_start opens a connection of its own to target and calls on_notice
     * (channel name, payload, whether one of this process's connections made it) from a
     * thread of its own for every announcement on the
     * channels, and on_reset once it had to connect again (what came meanwhile is lost);
     * listen_stop ends that thread and closes its connection. */
    const char *notify_sql;
    int (*listen_start)(const char *target, const char *const *channels, size_t n_channels,
                        void (*on_notice)(void *ctx, const char *channel, const char *payload,
                                          bool own),
                        void (*on_reset)(void *ctx), void *ctx, void **state,
                        struct error *err);
    void (*listen_stop)(void *state);
    /* For a copy of a stopped store (copy.c): fails with ERR_CONFLICT when another process
     * has the store open, else keeps other processes out of it for the rest of this
     * connection's life where the backend can (SQLite: an exclusive lock). NULL: the
     * backend cannot tell, and nobody is kept out. */
    int (*claim)(struct store_conn *conn, struct error *err);
    /* Processes on one target share nothing but its file (SQLite): changes.c's counter,
     * beside the file, tells each of the others' changes (store_changes_seen). */
    bool changes_by_file;
    /* Runs in the migrations' transaction after any step was applied, for what the backend
     * wants of the tables the portable steps made (SQLite: CHECK constraints without IN
     * lists, see driver_sqlite.c); NULL: nothing. */
    int (*after_migrations)(struct store_conn *conn, struct error *err);
};

/* wal_writes.c: makes SQLite's default VFS one that writes each commit's log frames in one
 * write (once per process, before the first connection). */
void store_sqlite_wal_writes_register(void);

/* driver_sqlite.c: sql with every `name IN ('a', 'b')` written as `(name = 'a' OR name =
 * 'b')`, appended to out; returns how many lists it rewrote, -1 without memory. */
int store_sqlite_in_lists_as_comparisons(const char *sql, struct buf *out);

/* changes.c: the counter of changes that processes on one file share. */
struct store_changes;
int store_changes_open(const char *db_path, struct store_changes **out, struct error *err);
void store_changes_close(struct store_changes *c); /* NULL is a no-op */
void store_changes_bump(struct store_changes *c);
uint64_t store_changes_count(const struct store_changes *c);

extern const struct store_driver store_driver_sqlite;
extern const struct store_driver store_driver_pg;

/* Whether commits are grouped by the committer thread (batch.c): SQLite's single writer
 * gains from it; PostgreSQL groups concurrent commits into one WAL flush by itself, so
 * each request commits on its own connection there. */
bool store_groups_commits(const struct store *s);
/* The store's driver, for the few places that hand it dialect work (guard.c). */
const struct store_driver *store_driver_of(const struct store *s);

/* Pool access for q_*.c: acquire never fails (it waits for a free connection). */
struct store_conn *store_acquire(struct store *s);
void store_release(struct store *s, struct store_conn *conn);

/* Wrappers every query goes through (the one place that calls the driver pointers). */
int store_query(struct store *s, struct store_conn *conn, const char *sql,
                const struct store_param *params, size_t n_params, store_row_fn on_row,
                void *ctx, int64_t *changes, struct error *err);
int store_exec_script(struct store *s, struct store_conn *conn, const char *sql,
                      struct error *err);
/* The driver's after_migrations, when it has one. */
int store_after_migrations(struct store *s, struct store_conn *conn, struct error *err);
int store_begin(struct store *s, struct store_conn *conn, struct error *err);
int store_commit(struct store *s, struct store_conn *conn, struct error *err); /* timed */
void store_rollback(struct store *s, struct store_conn *conn);
/* Ends the transaction the caller began on a pooled conn: commits it when rc is 0 (a failed
 * commit becomes the result), rolls it back otherwise, and releases conn. Returns the
 * result. */
int store_end(struct store *s, struct store_conn *conn, int rc, struct error *err);
const char *store_row_text(const struct store_row *row, int col); /* "" for NULL */
int64_t store_row_int(const struct store_row *row, int col);
/* A SUM over a money column that SQL itself can never overflow. SQLite's SUM() fails the
 * whole statement with "integer overflow" once a partial sum leaves 64 bits, and a tenant
 * whose books hold such rows could then no longer read them or book anything that sums
 * them. So a money column is summed as two columns, its quotient and remainder by 2^32
 * (each row adds less than 2^31 resp. 2^32 to them, so no real number of rows overflows
 * either), and store_row_sum() joins the two with checked arithmetic: an overflow is then a
 * clear ERR_AMOUNT_OVERFLOW of the one report that needs that sum, never a failed query.
 * Usable anywhere a SUM(col) would be; it yields two result columns. */
#define STORE_SQL_SUM(col) "SUM((" col ") / 4294967296), SUM((" col ") % 4294967296)"
/* The sum of STORE_SQL_SUM at columns col and col + 1; -1 when it does not fit 64 bits. */
int store_row_sum(const struct store_row *row, int col, int64_t *out);
/* The error for such a sum: ERR_AMOUNT_OVERFLOW naming `what` ("account 1800 in EUR"). */
int store_sum_overflow(struct error *err, const char *what);
bool store_row_is_null(const struct store_row *row, int col);
/* Copies a text column into a fixed buffer; fails (ERR_STORE) when it does not fit. */
int store_row_copy(const struct store_row *row, int col, char *out, size_t cap);

/* Rows of unknown shape (store/tenant_data.c). */
int store_row_columns(const struct store_row *row);
const char *store_row_name(const struct store_row *row, int col);
enum store_value_kind store_row_kind(const struct store_row *row, int col);
/* Letters, digits and '_', not starting with a digit, shorter than STORE_TABLE_NAME_MAX:
 * safe to put into SQL as a name (tenant_data.c). */
#define STORE_TABLE_NAME_MAX 64
bool store_plain_identifier(const char *s);
/* The store's tables whose names are plain identifiers (tenant_data.c); the caller frees
 * out->v. */
struct store_names {
    char (*v)[STORE_TABLE_NAME_MAX];
    size_t n, cap;
    bool failed;
};
int store_table_names(struct store *s, struct store_conn *c, struct store_names *out,
                      struct error *err);
/* A statement built at run time (see the driver's query_once). */
int store_query_once(struct store *s, struct store_conn *conn, const char *sql,
                     const struct store_param *params, size_t n_params, store_row_fn on_row,
                     void *ctx, int64_t *changes, struct error *err);
/* The store's table names, each handed to on_row as column 0. */
int store_tables(struct store *s, struct store_conn *conn, store_row_fn on_row, void *ctx,
                 struct error *err);
/* A read-only snapshot on conn (see the driver's snapshot_sql); end it with store_rollback. */
int store_snapshot(struct store *s, struct store_conn *conn, struct error *err);
/* See the driver's claim; 0 when the driver has none. */
int store_claim(struct store *s, struct store_conn *conn, struct error *err);
/* The store's schema on conn (migrations.c): its highest applied version (0: none) and its
 * highest version that is not one of this binary's migrations (0: none). */
int store_schema_read(struct store *s, struct store_conn *c, int64_t *found, int64_t *unknown,
                      struct error *err);
/* ERR_CONFIG naming both versions when unknown is not 0 (a schema newer than this binary). */
int store_schema_refuse_unknown(int64_t found, int64_t unknown, struct error *err);
/* The store and connection of a transaction. */
struct store_conn *store_tx_conn(struct store_tx *tx);
/* Marks the work now running in tx as bare (store_tx_isolated false) or not: the group
 * commit's alone. */
void store_tx_set_bare(struct store_tx *tx, bool bare);
struct store *store_tx_store(struct store_tx *tx);
/* Whether the processes on this store share a change count (changes.c). */
bool store_counts_changes(const struct store *s);
/* An invoice's tax line columns (prefix: the table's alias with its dot, or ""), five of
 * them, and their reading from column col on (books.h's struct invoice_tax_line). */
#define STORE_INVOICE_TAX_COLUMNS(prefix)                                                    \
    prefix "tax_treatment, " prefix "tax_country, " prefix "tax_rate_bp, " prefix           \
    "tax_vat_id, " prefix "tax_note"
struct invoice_tax_line;
void store_invoice_tax_line_read(const struct store_row *row, int col,
                                 struct invoice_tax_line *out);

/* One-statement helper: acquire, run, release. */
int store_run(struct store *s, const char *sql, const struct store_param *params,
              size_t n_params, store_row_fn on_row, void *ctx, int64_t *changes,
              struct error *err);

/* A query inside a transaction (store.h's struct store_tx). */
int store_tx_query(struct store_tx *tx, const char *sql, const struct store_param *params,
                   size_t n_params, store_row_fn on_row, void *ctx, int64_t *changes,
                   struct error *err);

/* The committer's own connection, outside the pool, whose commits are unsynced; *out is
 * NULL when the driver cannot do that (the committer then commits durably on pooled
 * connections). */
int store_conn_open_unsynced(struct store *s, struct store_conn **out, struct error *err);
void store_conn_close(struct store *s, struct store_conn *conn);
/* A transaction on a connection the caller holds (not taken from the pool). */
int store_tx_begin_on(struct store *s, struct store_conn *conn, struct store_tx **out,
                      struct error *err);
/* Makes every commit made before the call durable (see the driver's sync). Once it failed,
 * it and every store_commit() fail with ERR_UNAVAILABLE for the rest of the process. */
int store_sync(struct store *s, struct error *err);

/* store_notify_tx on a connection in a transaction the caller opened on it. */
int store_notify_on(struct store *s, struct store_conn *c, enum store_channel channel,
                    const char *payload, struct error *err);

/* The committer attached to a store (batch.c), or NULL. */
struct store_batch;
struct store_batch *store_get_batch(struct store *s);
void store_set_batch(struct store *s, struct store_batch *b);

/* ---- hash chains (chain.c; the serialization is defined there) ------------------------- */

#include "core/buf.h"
#include "store/chain.h"

/* Field encoders of the canonical serialization; 0, or -1 when memory ran out. */
int chain_text(struct buf *b, const char *text); /* NULL: SQL NULL */
int chain_int(struct buf *b, int64_t v);
/* A journal entry's body: its head fields, then each line (line_no order), joined by
 * chain_journal_body with the line count between them. */
int chain_journal_head(struct buf *b, const char *id, const char *tenant_id, const char *date,
                       const char *description, const char *invoice_id, const char *created_at);
/* A journal line's hashed fields, in their serialized order; a NULL pointer is SQL NULL. */
struct chain_line {
    int64_t line_no;
    const char *account;
    int64_t debit_minor, credit_minor;
    const char *currency, *vat_code;
    int64_t vat_tax;
    const int64_t *book_debit_minor, *book_credit_minor;
    const char *tax_treatment, *tax_country;
    const int64_t *tax_rate_bp;
};
int chain_journal_line(struct buf *b, const struct chain_line *l);
int chain_journal_body(struct buf *body, const struct buf *head, int64_t n_lines,
                       const struct buf *lines);
int chain_audit_body(struct buf *b, const char *id, const char *tenant_id, const char *token_id,
                     const char *action, const char *target, const char *fields,
                     const char *created_at);
/* Appends a row whose body is `body` to the tenant's chain, inside the caller's open
 * transaction on c: bumps the head and returns the row's chain_seq and hash, which the
 * caller writes into the row in the same transaction. */
int chain_link(struct store *s, struct store_conn *c, const char *tenant_id,
               enum store_chain chain, const struct buf *body, int64_t *seq_out,
               char hash_out[STORE_CHAIN_HASH_LEN + 1], struct error *err);
/* store_chain_verify on a connection the caller holds (inside its transaction); c NULL:
 * a pooled one. */
int chain_verify_on(struct store *s, struct store_conn *c, const char *tenant_id,
                    enum store_chain chain, struct store_chain_check *out, struct error *err);
/* Whether a journal entry is linked after its transaction commits rather than in it
 * (chain.c): where each booking commits alone (PostgreSQL). */
bool chain_links_after_commit(const struct store *s);
/* Links the journal entries named in journal_pending, of one tenant (NULL: of every
 * tenant), on c, which holds no open transaction: each batch in a transaction of its own. */
int chain_link_pending(struct store *s, struct store_conn *c, const char *tenant_id,
                       struct error *err);
/* Links those of the tenant's entries (at most 256) that are named in journal_pending and
 * not linked yet, on c, which holds no open transaction. */
int chain_link_named(struct store *s, struct store_conn *c, const char *tenant_id,
                     const char *const *entry_ids, size_t n, struct error *err);
/* A transaction wrote this journal entry to be linked after its commit (store_tx_commit
 * links it then). */
void store_tx_link_later(struct store_tx *tx, const char *tenant_id, const char *entry_id);
/* Links the rows written before the chains existed (migration 11's data step). */
int chain_backfill(struct store *s, struct store_conn *c, struct error *err);

/* ---- the append-only guard (guard.c) ---------------------------------------------------- */

/* (Re)creates the triggers that refuse changes to booked rows from the one list of
 * protected columns, in a transaction of its own on c, when any differs from the list. */
int store_guard_install(struct store *s, struct store_conn *c, struct error *err);
/* An invoice's rate (store/books.h's struct invoice_fx), joined as x: four columns read
 * by store_invoice_fx_read from `col` on. */
#define STORE_INVOICE_FX_COLUMNS "x.book_gross_minor, x.rate, x.source, x.rate_date"
#define STORE_INVOICE_FX_JOIN "LEFT JOIN invoice_fx x ON x.invoice_id = i.id"
struct invoice;
void store_invoice_fx_read(const struct store_row *row, int col, struct invoice *inv);

#define N_PARAMS(arr) (sizeof(arr) / sizeof((arr)[0]))

#endif
