/* store/store.c - the store's pool of backend connections and the wrappers around the
 * driver interface.
 *
 * Connections are opened up front (so a bad DSN fails at start, not on the first request)
 * and lent out one at a time; a caller that finds none free waits on a condition variable.
 * Each connection keeps its own prepared statements, so reuse needs no locking.
 *
 * A failed sync poisons the store for the rest of the process: the kernel may have dropped
 * the log pages it could not write while this process still reads them from its cache, so
 * what that batch committed (and everything a later commit appends behind the hole) is of
 * unknown durability. From then on every commit and sync fails with ERR_UNAVAILABLE (503,
 * nothing acknowledged) and /readyz says so, until the operator restarts the server. */
#include "store/store_int.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/metrics.h"
#include "store/books.h"

static const struct store_driver *const drivers[] = {
    &store_driver_sqlite,
    &store_driver_pg,
};

/* A few tenants by id; more than TENANT_SET_MAX: every tenant (n is then past it). */
#define TENANT_SET_MAX 4
struct tenant_set {
    int n;
    char ids[TENANT_SET_MAX][CRYPTO_ID_MAX];
};

static void tenant_set_add(struct tenant_set *set, const char *tenant_id)
{
    for (int i = 0; i < set->n && i < TENANT_SET_MAX; i++)
        if (strcmp(set->ids[i], tenant_id) == 0)
            return;
    if (set->n < TENANT_SET_MAX)
        snprintf(set->ids[set->n], sizeof set->ids[0], "%s", tenant_id);
    if (set->n <= TENANT_SET_MAX)
        set->n++;
}

static void tenant_set_merge(struct tenant_set *into, const struct tenant_set *from)
{
    if (from->n > TENANT_SET_MAX)
        into->n = TENANT_SET_MAX + 1;
    for (int i = 0; i < from->n && i < TENANT_SET_MAX; i++)
        tenant_set_add(into, from->ids[i]);
}

/* A journal entry to be linked after its commit. */
struct link_entry {
    char tenant_id[CRYPTO_ID_MAX];
    char entry_id[CRYPTO_ID_MAX];
};

/* Links after the commit come in rounds, one at a time per slot (tenants share a slot by
 * their id's hash). A booking that committed puts its entry into the slot's next round,
 * and waits for that round to begin and end, leading it when none runs; so one round's
 * link transaction serves every booking that committed while the round before ran, as
 * one fsync serves a batch. */
#define LINK_SLOTS 64
#define LINK_ROUND_MAX 64
struct link_round {
    size_t n;
    struct link_entry entries[LINK_ROUND_MAX];
    /* Tenants with entries that did not fit: all their named entries are linked. */
    struct tenant_set overflow;
};

struct link_slot {
    bool running;
    uint64_t started, finished; /* rounds */
    struct link_round *next;    /* allocated by the round's first entry */
    /* Tenants whose link failed in a round: their named entries wait, and the slot's next
     * round links all of them. */
    struct tenant_set behind;
};

struct store {
    const struct store_driver *driver;
    pthread_mutex_t lock;
    pthread_cond_t available;
    struct store_conn **conns;
    size_t n_conns;
    size_t *free_list; /* indices of free connections, n_free of them */
    size_t n_free;
    char *target;              /* the DSN after its scheme, for connections opened later */
    struct store_batch *batch; /* the committer, when started */
    void *maintenance;         /* the driver's, see start_maintenance */
    atomic_bool sync_failed;   /* a sync failed: no commit is trusted any more (see top) */
    void *listening;           /* the driver's listener, when store_listen started one */
    struct store_listener listener;
    /* store_observe: the channels whose announcements this process hears at commit */
    unsigned observed;
    void (*observer)(void *ctx, enum store_channel channel, const char *payload);
    void *observer_ctx;
    struct store_changes *changes; /* shared with the processes on the file, or NULL */
    pthread_mutex_t link_lock;
    pthread_cond_t link_done;
    struct link_slot link_slots[LINK_SLOTS];
};

/* The channels whose changes the processes on one file count (changes.c). */
#define COUNTED_CHANNELS (1u << STORE_CHANNEL_INSTALLS | 1u << STORE_CHANNEL_SETTINGS)

/* ERR_UNAVAILABLE when an earlier sync failed, else 0. */
static int refuse_after_failed_sync(struct store *s, struct error *err)
{
    if (!atomic_load(&s->sync_failed))
        return 0;
    return error_set(err, ERR_UNAVAILABLE, "an earlier sync of the store failed: nothing is "
                                           "committed until the server restarts");
}

struct store_batch *store_get_batch(struct store *s)
{
    return s->batch;
}

void store_set_batch(struct store *s, struct store_batch *b)
{
    s->batch = b;
}

bool store_groups_commits(const struct store *s)
{
    return s->driver->sync != NULL;
}

const struct store_driver *store_driver_of(const struct store *s)
{
    return s->driver;
}

/* The driver whose DSN this is, and what it connects to. */
static const struct store_driver *driver_for(const char *dsn, const char **target)
{
    for (size_t i = 0; i < sizeof drivers / sizeof drivers[0]; i++)
        if ((*target = drivers[i]->target_of(dsn)))
            return drivers[i];
    return NULL;
}

unsigned store_threads_for(const char *dsn, unsigned cores)
{
    const char *target;
    const struct store_driver *driver = driver_for(dsn, &target);
    unsigned per_core = driver && driver->threads_per_core ? driver->threads_per_core : 1;
    return (cores ? cores : 1) * per_core;
}

static int open_store(const char *dsn, int pool_size, bool maintenance, struct store **out,
                      struct error *err);

int store_open(const char *dsn, int pool_size, struct store **out, struct error *err)
{
    return open_store(dsn, pool_size, true, out, err);
}

int store_open_single(const char *dsn, struct store **out, struct error *err)
{
    return open_store(dsn, 1, false, out, err);
}

int store_open_alone(const char *dsn, struct store **out, struct error *err)
{
    if (open_store(dsn, 1, false, out, err) < 0)
        return -1;
    struct store_conn *c = store_acquire(*out);
    int rc = store_claim(*out, c, err);
    store_release(*out, c);
    if (rc < 0) {
        if (err->code == ERR_CONFLICT)
            error_set(err, ERR_CONFLICT, "the store is in use: stop every connectord on it first "
                                         "(%s)", err->message);
        store_close(*out);
        *out = NULL;
    }
    return rc;
}

static int open_store(const char *dsn, int pool_size, bool maintenance, struct store **out,
                      struct error *err)
{
    const char *target = NULL;
    const struct store_driver *driver = driver_for(dsn, &target);
    *out = NULL;
    if (!driver)
        return error_set(err, ERR_CONFIG,
                         "unknown store '%.64s': expected sqlite:PATH, postgres://... or "
                         "libpq's \"host=... dbname=...\"",
                         dsn);
    if (pool_size < 1)
        pool_size = 1;

    struct store *s = calloc(1, sizeof *s);
    if (!s)
        return error_set(err, ERR_INTERNAL, "out of memory");
    s->driver = driver;
    s->target = strdup(target);
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->available, NULL);
    pthread_mutex_init(&s->link_lock, NULL);
    pthread_cond_init(&s->link_done, NULL);
    s->conns = calloc((size_t)pool_size, sizeof *s->conns);
    s->free_list = calloc((size_t)pool_size, sizeof *s->free_list);
    if (!s->conns || !s->free_list || !s->target) {
        store_close(s);
        return error_set(err, ERR_INTERNAL, "out of memory");
    }
    for (int i = 0; i < pool_size; i++) {
        if (driver->connect(target, &s->conns[i], err) < 0) {
            store_close(s);
            return -1;
        }
        s->free_list[s->n_free++] = (size_t)i;
        s->n_conns++;
    }
    if (maintenance && driver->start_maintenance &&
        driver->start_maintenance(target, s->conns, s->n_conns, &s->maintenance, err) < 0) {
        store_close(s);
        return -1;
    }
    if (maintenance && driver->changes_by_file && strcmp(target, ":memory:") != 0 &&
        store_changes_open(target, &s->changes, err) < 0) {
        store_close(s);
        return -1;
    }
    *out = s;
    return 0;
}

void store_close(struct store *s)
{
    if (!s)
        return;
    store_batch_stop(s);
    store_unlisten(s);
    if (s->driver->stop_maintenance)
        s->driver->stop_maintenance(s->maintenance);
    for (size_t i = 0; i < s->n_conns; i++)
        s->driver->disconnect(s->conns[i]);
    free(s->conns);
    free(s->free_list);
    free(s->target);
    store_changes_close(s->changes);
    pthread_cond_destroy(&s->available);
    pthread_mutex_destroy(&s->lock);
    for (size_t i = 0; i < LINK_SLOTS; i++)
        free(s->link_slots[i].next);
    pthread_cond_destroy(&s->link_done);
    pthread_mutex_destroy(&s->link_lock);
    free(s);
}

void store_stop_waiting(struct store *s)
{
    if (s && s->driver->stop_waiting)
        s->driver->stop_waiting();
}

const char *store_backend_name(const struct store *s)
{
    return s->driver->scheme;
}

struct store_conn *store_acquire(struct store *s)
{
    pthread_mutex_lock(&s->lock);
    while (s->n_free == 0)
        pthread_cond_wait(&s->available, &s->lock);
    struct store_conn *c = s->conns[s->free_list[--s->n_free]];
    pthread_mutex_unlock(&s->lock);
    return c;
}

void store_release(struct store *s, struct store_conn *conn)
{
    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < s->n_conns; i++) {
        if (s->conns[i] == conn) {
            s->free_list[s->n_free++] = i;
            break;
        }
    }
    pthread_cond_signal(&s->available);
    pthread_mutex_unlock(&s->lock);
}

int store_query(struct store *s, struct store_conn *conn, const char *sql,
                const struct store_param *params, size_t n_params, store_row_fn on_row,
                void *ctx, int64_t *changes, struct error *err)
{
    return s->driver->query(conn, sql, params, n_params, on_row, ctx, changes, err);
}

int store_query_once(struct store *s, struct store_conn *conn, const char *sql,
                     const struct store_param *params, size_t n_params, store_row_fn on_row,
                     void *ctx, int64_t *changes, struct error *err)
{
    return s->driver->query_once(conn, sql, params, n_params, on_row, ctx, changes, err);
}

int store_tables(struct store *s, struct store_conn *conn, store_row_fn on_row, void *ctx,
                 struct error *err)
{
    return s->driver->query(conn, s->driver->tables_sql, NULL, 0, on_row, ctx, NULL, err);
}

int store_claim(struct store *s, struct store_conn *conn, struct error *err)
{
    return s->driver->claim ? s->driver->claim(conn, err) : 0;
}

int store_snapshot(struct store *s, struct store_conn *conn, struct error *err)
{
    return s->driver->exec_script(conn, s->driver->snapshot_sql, err);
}

int store_row_columns(const struct store_row *row)
{
    return row->driver->row_columns(row);
}

const char *store_row_name(const struct store_row *row, int col)
{
    return row->driver->row_name(row, col);
}

enum store_value_kind store_row_kind(const struct store_row *row, int col)
{
    return row->driver->row_kind(row, col);
}

int store_exec_script(struct store *s, struct store_conn *conn, const char *sql,
                      struct error *err)
{
    return s->driver->exec_script(conn, sql, err);
}

int store_end(struct store *s, struct store_conn *conn, int rc, struct error *err)
{
    if (rc == 0)
        rc = store_commit(s, conn, err);
    if (rc < 0)
        store_rollback(s, conn);
    store_release(s, conn);
    return rc;
}

int store_after_migrations(struct store *s, struct store_conn *conn, struct error *err)
{
    return s->driver->after_migrations ? s->driver->after_migrations(conn, err) : 0;
}

int store_begin(struct store *s, struct store_conn *conn, struct error *err)
{
    return s->driver->begin(conn, err);
}

static void observed_deliver(struct store *s, struct store_conn *conn);
static void observed_drop(struct store_conn *conn);

int store_commit(struct store *s, struct store_conn *conn, struct error *err)
{
    if (refuse_after_failed_sync(s, err) < 0)
        return -1;
    int64_t start = clock_monotonic_us();
    int rc = s->driver->commit(conn, err);
    metrics_store_commit(clock_monotonic_us() - start);
    if (rc == 0)
        observed_deliver(s, conn);
    return rc;
}

void store_rollback(struct store *s, struct store_conn *conn)
{
    s->driver->rollback(conn);
    observed_drop(conn);
}

const char *store_row_text(const struct store_row *row, int col)
{
    const char *t = row->driver->row_text(row, col);
    return t ? t : "";
}

bool store_row_is_null(const struct store_row *row, int col)
{
    return row->driver->row_text(row, col) == NULL;
}

int64_t store_row_int(const struct store_row *row, int col)
{
    return row->driver->row_int(row, col);
}

int store_row_sum(const struct store_row *row, int col, int64_t *out)
{
    int64_t high = store_row_int(row, col), low = store_row_int(row, col + 1), sum;
    if (__builtin_mul_overflow(high, INT64_C(4294967296), &sum) ||
        __builtin_add_overflow(sum, low, &sum))
        return -1;
    *out = sum;
    return 0;
}

int store_sum_overflow(struct error *err, const char *what)
{
    return error_set(err, ERR_AMOUNT_OVERFLOW,
                     "the sum of %s does not fit 64-bit minor units; the books hold amounts "
                     "beyond the maximum of 10^13 minor units that an earlier release accepted",
                     what);
}

int store_row_copy(const struct store_row *row, int col, char *out, size_t cap)
{
    const char *t = store_row_text(row, col);
    size_t n = strlen(t);
    if (n >= cap)
        return error_set(NULL, ERR_STORE, "column too long");
    memcpy(out, t, n + 1);
    return 0;
}

void store_invoice_tax_line_read(const struct store_row *row, int col,
                                 struct invoice_tax_line *out)
{
    /* Texts longer than the fields were never written (the pipeline bounds them); a copy
     * that does not fit leaves the field empty rather than cut. */
    memset(out, 0, sizeof *out);
    if (store_row_copy(row, col, out->treatment, sizeof out->treatment) < 0)
        out->treatment[0] = '\0';
    if (store_row_copy(row, col + 1, out->country, sizeof out->country) < 0)
        out->country[0] = '\0';
    out->rate_bp = store_row_is_null(row, col + 2) ? -1 : (int)store_row_int(row, col + 2);
    if (store_row_copy(row, col + 3, out->vat_id, sizeof out->vat_id) < 0)
        out->vat_id[0] = '\0';
    if (store_row_copy(row, col + 4, out->note, sizeof out->note) < 0)
        out->note[0] = '\0';
}

int store_run(struct store *s, const char *sql, const struct store_param *params,
              size_t n_params, store_row_fn on_row, void *ctx, int64_t *changes,
              struct error *err)
{
    struct store_conn *c = store_acquire(s);
    int rc = store_query(s, c, sql, params, n_params, on_row, ctx, changes, err);
    store_release(s, c);
    return rc;
}

int store_ping(struct store *s, struct error *err)
{
    if (refuse_after_failed_sync(s, err) < 0)
        return -1;
    return store_run(s, "SELECT 1", NULL, 0, NULL, NULL, NULL, err);
}

/* ---- transactions ---------------------------------------------------------------------- */

#define TX_LINK_MAX 4

struct store_tx {
    struct store *s;
    struct store_conn *conn;
    bool pooled; /* conn goes back to the pool at the end */
    bool bare;   /* a group commit's job runs without a savepoint of its own */
    int depth;   /* open savepoints */
    /* The journal entries to link after the commit; and the tenants of those that did
     * not fit, whose named entries are all linked then. */
    size_t n_link;
    struct link_entry link[TX_LINK_MAX];
    struct tenant_set link_overflow;
};

static void tx_end(struct store_tx *tx)
{
    if (tx->pooled)
        store_release(tx->s, tx->conn);
    free(tx);
}

static int tx_begin(struct store *s, struct store_conn *conn, struct store_tx **out,
                    struct error *err)
{
    struct store_tx *tx = calloc(1, sizeof *tx);
    *out = NULL;
    if (!tx)
        return error_set(err, ERR_INTERNAL, "out of memory");
    tx->s = s;
    tx->pooled = conn == NULL;
    tx->conn = conn ? conn : store_acquire(s);
    if (store_begin(s, tx->conn, err) < 0) {
        tx_end(tx);
        return -1;
    }
    *out = tx;
    return 0;
}

int store_tx_begin(struct store *s, struct store_tx **out, struct error *err)
{
    return tx_begin(s, NULL, out, err);
}

int store_tx_begin_on(struct store *s, struct store_conn *conn, struct store_tx **out,
                      struct error *err)
{
    return tx_begin(s, conn, out, err);
}

void store_tx_link_later(struct store_tx *tx, const char *tenant_id, const char *entry_id)
{
    if (tx->n_link == TX_LINK_MAX) {
        tenant_set_add(&tx->link_overflow, tenant_id);
        return;
    }
    struct link_entry *e = &tx->link[tx->n_link++];
    snprintf(e->tenant_id, sizeof e->tenant_id, "%s", tenant_id);
    snprintf(e->entry_id, sizeof e->entry_id, "%s", entry_id);
}

/* Links every named entry of the set's tenants (of every tenant when it overflowed);
 * the tenants whose link failed go into failed. */
static void link_tenants(struct store *s, struct store_conn *c, const struct tenant_set *set,
                         struct tenant_set *failed)
{
    struct error err = {0};
    int n = set->n > TENANT_SET_MAX ? 1 : set->n;
    for (int i = 0; i < n; i++) {
        const char *tenant_id = set->n > TENANT_SET_MAX ? NULL : set->ids[i];
        if (chain_link_pending(s, c, tenant_id, &err) == 0)
            continue;
        log_warn("journal entries of %s%s are booked and wait for their chain link: %s",
                 tenant_id ? "tenant " : "every tenant", tenant_id ? tenant_id : "",
                 err.message);
        if (!tenant_id)
            failed->n = TENANT_SET_MAX + 1;
        else
            tenant_set_add(failed, tenant_id);
    }
}

static int by_tenant(const void *a, const void *b)
{
    return strcmp(((const struct link_entry *)a)->tenant_id,
                  ((const struct link_entry *)b)->tenant_id);
}

/* A round: each tenant's entries in one link transaction. A failed link loses nothing: the
 * entries stay named in journal_pending, the tenant goes into failed (the slot's next round
 * links all its named entries; a start or an export would too), and the bookings' commits
 * stand either way. */
static void link_round_run(struct store *s, struct store_conn *c, struct link_round *r,
                           struct tenant_set *failed)
{
    qsort(r->entries, r->n, sizeof r->entries[0], by_tenant);
    for (size_t first = 0, end; first < r->n; first = end) {
        const char *ids[LINK_ROUND_MAX];
        size_t n = 0;
        for (end = first; end < r->n && strcmp(r->entries[end].tenant_id,
                                               r->entries[first].tenant_id) == 0;
             end++)
            ids[n++] = r->entries[end].entry_id;
        struct error err = {0};
        if (chain_link_named(s, c, r->entries[first].tenant_id, ids, n, &err) < 0) {
            log_warn("journal entries of tenant %s are booked and wait for their chain "
                     "link: %s",
                     r->entries[first].tenant_id, err.message);
            tenant_set_add(failed, r->entries[first].tenant_id);
        }
    }
    link_tenants(s, c, &r->overflow, failed);
}

static struct link_slot *slot_of(struct store *s, const char *tenant_id)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (const char *p = tenant_id; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    return &s->link_slots[h % LINK_SLOTS];
}

/* Puts the entry into its slot's next round; returns the round it needs, 0 when there was
 * no memory for a round (the caller links it alone). */
static uint64_t link_enter(struct link_slot *slot, const struct link_entry *e)
{
    if (!slot->next && !(slot->next = calloc(1, sizeof *slot->next)))
        return 0;
    struct link_round *r = slot->next;
    if (r->n < LINK_ROUND_MAX)
        r->entries[r->n++] = *e;
    else
        tenant_set_add(&r->overflow, e->tenant_id);
    return slot->started + 1;
}

/* Waits until the slot's round `need` has ended, leading rounds on c while none runs
 * (called and returning with link_lock held). */
static void link_wait(struct store *s, struct store_conn *c, struct link_slot *slot,
                      uint64_t need)
{
    while (slot->finished < need) {
        if (slot->running) {
            pthread_cond_wait(&s->link_done, &s->link_lock);
            continue;
        }
        slot->running = true;
        const uint64_t round = ++slot->started;
        struct link_round *r = slot->next;
        struct tenant_set behind = slot->behind, failed = {0};
        slot->next = NULL;
        slot->behind.n = 0;
        pthread_mutex_unlock(&s->link_lock);
        link_tenants(s, c, &behind, &failed);
        if (r)
            link_round_run(s, c, r, &failed);
        free(r);
        pthread_mutex_lock(&s->link_lock);
        tenant_set_merge(&slot->behind, &failed);
        slot->running = false;
        slot->finished = round;
        pthread_cond_broadcast(&s->link_done);
    }
}

/* The links of the journal entries the committed transaction wrote, made before the caller
 * answers anyone: each entry joins its slot's next round, and returns once that round has
 * linked it. */
static void tx_link_committed(struct store_tx *tx)
{
    struct store *s = tx->s;
    struct link_slot *slots[TX_LINK_MAX];
    uint64_t need[TX_LINK_MAX];
    struct tenant_set alone = {0};
    pthread_mutex_lock(&s->link_lock);
    for (size_t i = 0; i < tx->n_link; i++) {
        slots[i] = slot_of(s, tx->link[i].tenant_id);
        if (!(need[i] = link_enter(slots[i], &tx->link[i])))
            tenant_set_add(&alone, tx->link[i].tenant_id);
    }
    for (size_t i = 0; i < tx->n_link; i++)
        if (need[i])
            link_wait(s, tx->conn, slots[i], need[i]);
    pthread_mutex_unlock(&s->link_lock);
    /* Outside the rounds (rare: no memory for a round, or more entries than a transaction
     * keeps): a failure here waits for a start or an export. */
    struct tenant_set failed = {0};
    link_tenants(s, tx->conn, &alone, &failed);
    link_tenants(s, tx->conn, &tx->link_overflow, &failed);
}

int store_tx_commit(struct store_tx *tx, struct error *err)
{
    int rc = store_commit(tx->s, tx->conn, err);
    if (rc < 0)
        store_rollback(tx->s, tx->conn);
    else if (tx->n_link || tx->link_overflow.n)
        tx_link_committed(tx);
    tx_end(tx);
    return rc;
}

void store_tx_rollback(struct store_tx *tx)
{
    if (!tx)
        return;
    store_rollback(tx->s, tx->conn);
    tx_end(tx);
}

int store_conn_open_unsynced(struct store *s, struct store_conn **out, struct error *err)
{
    *out = NULL;
    /* Without them (or without a file: a second connection to ":memory:" would be another
     * database), the committer takes pooled connections and commits durably. */
    if (!s->driver->unsynced_commits || !s->driver->sync || !s->maintenance)
        return 0;
    if (s->driver->connect(s->target, out, err) < 0)
        return -1;
    if (s->driver->unsynced_commits(s->maintenance, *out, err) < 0) {
        s->driver->disconnect(*out);
        *out = NULL;
        return -1;
    }
    return 0;
}

void store_conn_close(struct store *s, struct store_conn *conn)
{
    if (conn)
        s->driver->disconnect(conn);
}

int store_sync(struct store *s, struct error *err)
{
    if (refuse_after_failed_sync(s, err) < 0)
        return -1;
    int64_t start = clock_monotonic_us();
    int rc = s->driver->sync ? s->driver->sync(s->maintenance, err) : 0;
    metrics_store_sync(clock_monotonic_us() - start);
    if (rc < 0 && !atomic_exchange(&s->sync_failed, true))
        log_error("the store could not be made durable (%s): no webhook or write is "
                  "acknowledged from now on; restart the server once the disk is sound",
                  err->message);
    return rc;
}

/* Savepoint statements per depth, as static strings: the driver keeps each one prepared
 * (its statement cache is keyed by the SQL's address), where building the text would have
 * it parsed on every use, twice or more per webhook. */
#define SAVEPOINT_DEPTH_MAX 8
#define SAVEPOINT_SQL(n) {"SAVEPOINT sp" #n, "RELEASE SAVEPOINT sp" #n, "ROLLBACK TO SAVEPOINT sp" #n}
static const char *const savepoint_sql_at[SAVEPOINT_DEPTH_MAX][3] = {
    SAVEPOINT_SQL(1), SAVEPOINT_SQL(2), SAVEPOINT_SQL(3), SAVEPOINT_SQL(4),
    SAVEPOINT_SQL(5), SAVEPOINT_SQL(6), SAVEPOINT_SQL(7), SAVEPOINT_SQL(8),
};

enum savepoint_verb { SP_OPEN, SP_RELEASE, SP_ROLLBACK };

static int savepoint_sql(struct store_tx *tx, enum savepoint_verb verb, int depth,
                         struct error *err)
{
    if (depth < 1 || depth > SAVEPOINT_DEPTH_MAX)
        return error_set(err, ERR_INTERNAL, "savepoints nested deeper than %d",
                         SAVEPOINT_DEPTH_MAX);
    return store_tx_query(tx, savepoint_sql_at[depth - 1][verb], NULL, 0, NULL, NULL, NULL, err);
}

int store_tx_savepoint(struct store_tx *tx, struct error *err)
{
    if (savepoint_sql(tx, SP_OPEN, tx->depth + 1, err) < 0)
        return -1;
    tx->depth++;
    return 0;
}

int store_tx_release(struct store_tx *tx, struct error *err)
{
    if (tx->depth == 0)
        return error_set(err, ERR_INTERNAL, "no savepoint to release");
    if (savepoint_sql(tx, SP_RELEASE, tx->depth, err) < 0)
        return -1;
    tx->depth--;
    return 0;
}

int store_tx_undo(struct store_tx *tx, struct error *err)
{
    if (tx->depth == 0)
        return error_set(err, ERR_INTERNAL, "no savepoint to undo");
    if (savepoint_sql(tx, SP_ROLLBACK, tx->depth, err) < 0)
        return -1;
    return store_tx_release(tx, err);
}

bool store_tx_isolated(const struct store_tx *tx)
{
    return !tx->bare;
}

int64_t store_tx_writes(const struct store_tx *tx)
{
    return tx->s->driver->total_changes ? tx->s->driver->total_changes(tx->conn) : -1;
}

void store_tx_set_bare(struct store_tx *tx, bool bare)
{
    tx->bare = bare;
}

struct store_conn *store_tx_conn(struct store_tx *tx)
{
    return tx->conn;
}

struct store *store_tx_store(struct store_tx *tx)
{
    return tx->s;
}

int store_tx_query(struct store_tx *tx, const char *sql, const struct store_param *params,
                   size_t n_params, store_row_fn on_row, void *ctx, int64_t *changes,
                   struct error *err)
{
    return store_query(tx->s, tx->conn, sql, params, n_params, on_row, ctx, changes, err);
}

/* ---- notifications between processes ---------------------------------------------------- */

/* The channels' names, the same in every process (PostgreSQL folds them to lower case). */
static const char *const channel_names[STORE_CHANNEL_COUNT] = {
    [STORE_CHANNEL_DELIVERIES] = "connectord_deliveries",
    [STORE_CHANNEL_INSTALLS] = "connectord_installs",
    [STORE_CHANNEL_SETTINGS] = "connectord_settings",
};

/* Announcements of this process waiting for their transaction's commit (store_observe).
 * A transaction runs on one thread from begin to commit, so they wait in a list of that
 * thread's, each with its connection (a thread may hold transactions on two). */
struct observed {
    struct observed *next;
    struct store_conn *conn;
    enum store_channel channel;
    bool everything;  /* the payload could not be kept: anything may have changed */
    char payload[];
};
static _Thread_local struct observed *observed_pending;
/* Where memory ran out: one announcement per thread that says "everything". */
static _Thread_local struct observed observed_spare;

static void observed_keep(struct store_conn *conn, enum store_channel channel,
                          const char *payload)
{
    size_t n = strlen(payload);
    struct observed *o = malloc(sizeof *o + n + 1);
    if (o) {
        *o = (struct observed){.conn = conn, .channel = channel};
        memcpy(o->payload, payload, n + 1);
    } else if (observed_spare.conn) {
        return; /* it says everything already (for a second connection: lost) */
    } else {
        observed_spare = (struct observed){.conn = conn, .channel = channel, .everything = true};
        o = &observed_spare;
    }
    o->next = observed_pending;
    observed_pending = o;
}

/* Unlinks conn's announcements and, when deliver, hands them to the observer, oldest
 * first. */
static void observed_take(struct store *s, struct store_conn *conn, bool deliver)
{
    struct observed *mine = NULL, **at = &observed_pending;
    while (*at) {
        struct observed *o = *at;
        if (o->conn != conn) {
            at = &o->next;
            continue;
        }
        *at = o->next;
        o->next = mine; /* reversed: the oldest first */
        mine = o;
    }
    bool counted = false;
    while (mine) {
        struct observed *o = mine;
        mine = o->next;
        if (deliver && s->changes && !counted && (COUNTED_CHANNELS & (1u << o->channel))) {
            store_changes_bump(s->changes); /* once per commit is enough */
            counted = true;
        }
        if (deliver && s->observer && (s->observed & (1u << o->channel)))
            s->observer(s->observer_ctx, o->channel, o->everything ? NULL : o->payload);
        if (o == &observed_spare)
            observed_spare.conn = NULL;
        else
            free(o);
    }
}

static void observed_deliver(struct store *s, struct store_conn *conn)
{
    if (observed_pending)
        observed_take(s, conn, true);
}

static void observed_drop(struct store_conn *conn)
{
    if (observed_pending)
        observed_take(NULL, conn, false);
}

bool store_counts_changes(const struct store *s)
{
    return s->changes != NULL;
}

uint64_t store_changes_seen(struct store *s)
{
    return s->changes ? store_changes_count(s->changes) : 0;
}

void store_observe(struct store *s, unsigned channels,
                   void (*fn)(void *ctx, enum store_channel channel, const char *payload),
                   void *ctx)
{
    s->observed = fn ? channels : 0;
    s->observer = fn;
    s->observer_ctx = ctx;
}

int store_notify_on(struct store *s, struct store_conn *c, enum store_channel channel,
                    const char *payload, struct error *err)
{
    if ((unsigned)channel >= STORE_CHANNEL_COUNT)
        return error_set(err, ERR_INTERNAL, "no such notification channel");
    if (!payload)
        payload = "";
    if (strlen(payload) > STORE_NOTIFY_PAYLOAD_MAX)
        return error_set(err, ERR_VALIDATION, "a notification's payload is too long");
    if ((s->observed | (s->changes ? COUNTED_CHANNELS : 0)) & (1u << channel))
        observed_keep(c, channel, payload);
    if (!s->driver->notify_sql)
        return 0;
    struct store_param p[] = {P_TEXT(channel_names[channel]), P_TEXT(payload)};
    return store_query(s, c, s->driver->notify_sql, p, N_PARAMS(p), NULL, NULL, NULL, err);
}

int store_notify_tx(struct store_tx *tx, enum store_channel channel, const char *payload,
                    struct error *err)
{
    return store_notify_on(tx->s, tx->conn, channel, payload, err);
}

int store_notify(struct store *s, enum store_channel channel, const char *payload,
                 struct error *err)
{
    if (!s->driver->notify_sql &&
        !((s->observed | (s->changes ? COUNTED_CHANNELS : 0)) & (1u << channel)))
        return 0;
    struct store_conn *c = store_acquire(s);
    int rc = store_notify_on(s, c, channel, payload, err);
    observed_take(s, c, rc == 0); /* outside a transaction: announced at once */
    store_release(s, c);
    return rc;
}

static void listener_notice(void *ctx, const char *channel, const char *payload, bool own)
{
    struct store *s = ctx;
    for (int i = 0; i < STORE_CHANNEL_COUNT; i++)
        if (strcmp(channel, channel_names[i]) == 0) {
            s->listener.on_notice(s->listener.ctx, (enum store_channel)i, payload, own);
            return;
        }
}

static void listener_reset(void *ctx)
{
    struct store *s = ctx;
    s->listener.on_reset(s->listener.ctx);
}

int store_listen(struct store *s, const struct store_listener *l, bool *listening,
                 struct error *err)
{
    *listening = false;
    if (!s->driver->listen_start)
        return 0;
    if (s->listening)
        return error_set(err, ERR_INTERNAL, "the store has a listener already");
    s->listener = *l;
    if (s->driver->listen_start(s->target, channel_names, STORE_CHANNEL_COUNT, listener_notice,
                                listener_reset, s, &s->listening, err) < 0) {
        s->listening = NULL;
        return -1;
    }
    *listening = true;
    return 0;
}

void store_unlisten(struct store *s)
{
    if (!s->listening)
        return;
    s->driver->listen_stop(s->listening);
    s->listening = NULL;
}

/* Appends text with the value of every `password=` in it replaced by PASSWORD: the keyword
 * at the start or after one of `before`, its value as long as value_len() says. *replaced is
 * set when one was. */
static int password_values_hidden(struct buf *out, const char *text, const char *before,
                                  size_t (*value_len)(const char *value), bool *replaced)
{
    const char *copied = text;
    for (const char *at = strstr(text, "password"); at; at = strstr(at + 1, "password")) {
        const char *value = at + 8;
        while (*value == ' ')
            value++;
        if ((at > text && !strchr(before, at[-1])) || *value++ != '=')
            continue; /* part of another word, or not a keyword */
        while (*value == ' ')
            value++;
        if (buf_append(out, copied, (size_t)(value - copied)) < 0 ||
            buf_append_str(out, "PASSWORD") < 0)
            return -1;
        copied = value + value_len(value);
        at = copied - 1;
        *replaced = true;
    }
    return buf_append_str(out, copied);
}

/* A URL parameter's value: up to the next parameter or the fragment. */
static size_t url_value_len(const char *value)
{
    return strcspn(value, "&#");
}

/* A libpq keyword's value: 'quoted' (\' and \\ inside), or up to the next space. */
static size_t keyword_value_len(const char *value)
{
    if (*value != '\'')
        return strcspn(value, " \t\n");
    size_t n = 1;
    while (value[n] && value[n] != '\'')
        n += value[n] == '\\' && value[n + 1] ? 2 : 1;
    return value[n] ? n + 1 : n;
}

int store_dsn_shown(const char *dsn, struct buf *out)
{
    bool replaced = false;
    const char *authority = strstr(dsn, "://");
    if (strncmp(dsn, "sqlite:", 7) == 0)
        return buf_append_str(out, dsn) < 0 ? -1 : 0;
    if (!authority) /* libpq keywords: host=... password=... */
        return password_values_hidden(out, dsn, " \t\n", keyword_value_len, &replaced) < 0
                   ? -1
                   : replaced;
    /* A URL: user:password@host, the last '@' before the path ending the user part, then
     * ?...&password=... */
    authority += 3;
    size_t host_end = strcspn(authority, "/?#");
    const char *at = NULL;
    for (const char *p = authority; p < authority + host_end; p++)
        if (*p == '@')
            at = p;
    const char *colon = at ? memchr(authority, ':', (size_t)(at - authority)) : NULL;
    const char *rest = dsn;
    if (colon) {
        if (buf_append(out, dsn, (size_t)(colon + 1 - dsn)) < 0 ||
            buf_append_str(out, "PASSWORD") < 0)
            return -1;
        rest = at;
        replaced = true;
    }
    const char *query = strchr(rest, '?');
    if (!query)
        return buf_append_str(out, rest) < 0 ? -1 : replaced;
    if (buf_append(out, rest, (size_t)(query - rest)) < 0 ||
        password_values_hidden(out, query, "?&", url_value_len, &replaced) < 0)
        return -1;
    return replaced;
}
