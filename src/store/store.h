/* store/store.h - what the rest of connectord may ask of the store.
 *
 * A domain API (tenants, tokens, ...) over a pool of backend connections. Every function is
 * thread-safe: it borrows a connection from the pool for its duration. SQL is written once,
 * in store/q_*.c, with $1..$n placeholders that both backends understand; backend details
 * live in driver_*.c behind store_int.h. Functions return 0 or -1 with err set; a missing
 * row is ERR_NOT_FOUND, a unique-key clash ERR_CONFLICT, anything else ERR_STORE (whose
 * message is for the log, not for clients).
 *
 * This header is the store itself: opening it, transactions, the group commit and the
 * page of a list. Each aggregate has a header of its own: store/installs.h (tenants,
 * tokens, installs, projects, the audit log), store/books.h (parties, invoices, the
 * journal, payment links, the webhook log), store/outbox.h (events, deliveries, daily
 * summaries) and store/accounting.h (tenant settings, exports, VAT returns). */
#ifndef CONNECTORD_STORE_H
#define CONNECTORD_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/error.h"

struct store;

/* dsn: "sqlite:PATH" (the embedded default) or "postgres://..." (scale-out backend).
 * pool_size: connections to keep; one per server thread plus one is a good choice. */
int store_open(const char *dsn, int pool_size, struct store **out, struct error *err);
void store_close(struct store *s); /* NULL is a no-op */
/* One connection and nothing beside it (no backend maintenance, whose SQLite checkpointer
 * keeps a connection of its own): for a command that must be the store's only user
 * (`store copy`, see store/copy.h). */
int store_open_single(const char *dsn, struct store **out, struct error *err);
/* The same, and no other process may have the store open meanwhile (ERR_CONFLICT when one
 * has; on PostgreSQL, when another session is connected): for work on a stopped store. */
int store_open_alone(const char *dsn, struct store **out, struct error *err);
/* For a stopping server, once nobody waits for an answer: a write that finds the store
 * locked gives up after a short wait (SQLite: 250 ms) instead of the busy timeout, so the
 * remaining work ends promptly even when another process holds the lock. */
void store_stop_waiting(struct store *s);
const char *store_backend_name(const struct store *s);
/* The DSN as it may be shown (a log, a command to paste): a PostgreSQL password replaced by
 * PASSWORD, in a URL's user part or password= parameter, or as a libpq password= keyword.
 * Returns 1 when one was replaced, 0 when the DSN holds none, -1 when memory ran out. */
int store_dsn_shown(const char *dsn, struct buf *out);
/* How many HTTP worker threads suit a store on `cores` cores, before it is opened. A
 * webhook's thread waits for its commit: SQLite's committer answers many at once, so one
 * thread per core is enough; on PostgreSQL each waits on its own connection and the server
 * flushes the WAL once for all commits that wait together, so more threads in flight make
 * the groups, up to the connections the database allows (see README, Scale-out). */
unsigned store_threads_for(const char *dsn, unsigned cores);
/* The pool a server needs beside its HTTP threads: the committer or the engine's writer,
 * the periodic jobs and a spare. */
#define STORE_POOL_EXTRA 3

/* Applies pending numbered migrations, each in its own transaction; safe to run from
 * several processes at once. *applied (optional) receives how many were applied. */
int store_migrate(struct store *s, int *applied, struct error *err);
/* The highest schema version this binary's migrations reach. A store whose schema has a
 * version this binary does not know is refused by store_migrate (ERR_CONFIG, naming the
 * version found and the highest one known): every command and the server migrate first. */
int64_t store_schema_latest(void);
int store_ping(struct store *s, struct error *err);

#define STORE_NAME_MAX 201 /* 200 bytes of UTF-8 plus NUL */
#define STORE_SLUG_MAX 48

/* One page of a list, newest first: rows whose id sorts below `before` (NULL: from the
 * newest), at most `limit`. Ids are time-ordered, so the last id of a page is the next
 * page's `before`, and a walk sees every row once. */
struct store_page {
    const char *before;
    int limit;
};

/* ---- transactions, for work that must commit as one --------------------------------- */

struct store_tx;
int store_tx_begin(struct store *s, struct store_tx **out, struct error *err);
int store_tx_commit(struct store_tx *tx, struct error *err);  /* frees tx, also on failure */
void store_tx_rollback(struct store_tx *tx);                  /* frees tx; NULL is a no-op */
/* Nested scopes inside a transaction (SQL savepoints): undo one request's or one
 * payment's part without losing the rest. */
int store_tx_savepoint(struct store_tx *tx, struct error *err);
int store_tx_release(struct store_tx *tx, struct error *err);
int store_tx_undo(struct store_tx *tx, struct error *err); /* roll back to and release */
/* Whether a part of the work running in tx may be undone alone (with a savepoint): true in a
 * transaction of its own, or in a group commit's savepoint; false while a group commit runs
 * its jobs bare (see struct store_batch_job), where work that must undo a part of itself
 * fails instead, and runs again isolated. */
bool store_tx_isolated(const struct store_tx *tx);
/* A running count of the rows inserted, updated or deleted on tx's connection: two readings
 * tell bare work whether a part of it wrote anything it would have to undo. -1 when the
 * backend does not count them (the work must then assume it did). */
int64_t store_tx_writes(const struct store_tx *tx);

/* ---- group commit ---------------------------------------------------------------------- */

/* A unit of work for the committer: work() runs inside a transaction shared with the other
 * jobs of its batch, and a job that fails leaves nothing of itself behind; done() is called
 * once after the commit, from the committer thread, with work()'s result, or -1 when the
 * commit failed. The job's memory is the caller's until done() returns; done() may free it.
 *
 * work() may run more than once. The committer runs a batch's jobs bare, one after the
 * other without a savepoint each (a savepoint makes SQLite copy every page the job then
 * changes, some thirty per booking); when one fails, it rolls the transaction back and runs
 * the batch's jobs again, each in a savepoint of its own, so that only the failing job's part
 * is undone. work() therefore sets what it reports afresh on every run, and remembers a step
 * that may be taken only once (taking a request that could be withdrawn). */
struct store_batch_job {
    int (*work)(void *ctx, struct store_tx *tx, struct error *err);
    void (*done)(void *ctx, int rc, const struct error *err);
    void *ctx;
    /* private to the committer */
    struct store_batch_job *next;
    int rc;
    struct error err;
};

/* Starts the committer thread (the server does; without it jobs commit one by one). */
int store_batch_start(struct store *s, struct error *err);
void store_batch_stop(struct store *s); /* finishes queued jobs first */
void store_batch_submit(struct store *s, struct store_batch_job *job);
/* Runs work in the next group commit and waits until it is on disk (or failed): for a
 * thread that writes often and would otherwise queue for the write lock behind the
 * committer. Returns work()'s result, or -1 when the commit failed. */
int store_batch_run(struct store *s, int (*work)(void *ctx, struct store_tx *tx,
                                                 struct error *err),
                    void *ctx, struct error *err);

/* ---- notifications between the processes that share a store --------------------------- */

/* Several connectord processes may share one store (PostgreSQL). What one writes that the
 * others must act on at once is announced on a channel: new deliveries (every process's
 * delivery engine looks for work) and changed installs (every process drops what it holds
 * of one). The payload says what changed (a tenant id, "tenant/install"); it is a hint, the
 * store stays the truth. */
enum store_channel {
    STORE_CHANNEL_DELIVERIES, /* deliveries became due; payload: the tenant id or "" */
    STORE_CHANNEL_INSTALLS,   /* an install changed; payload: "tenant_id/install_id" */
    STORE_CHANNEL_SETTINGS,   /* a tenant's settings changed; payload: the tenant id */
    STORE_CHANNEL_COUNT
};

/* Announces to every listening process (this one included) once tx commits, never when it
 * rolls back. A backend without notifications (SQLite: processes on one file find new
 * work by polling) announces nothing to the others, but a committed change of an install
 * or of settings moves the count they share (store_changes_seen); this process's observer
 * (store_observe) hears it on any backend. payload: at most STORE_NOTIFY_PAYLOAD_MAX bytes
 * (longer is ERR_VALIDATION); NULL is the empty payload. */
#define STORE_NOTIFY_PAYLOAD_MAX 200
int store_notify_tx(struct store_tx *tx, enum store_channel channel, const char *payload,
                    struct error *err);
/* The same outside a transaction: announced at once. */
int store_notify(struct store *s, enum store_channel channel, const char *payload,
                 struct error *err);

/* What a listener hears, on its own thread: on_notice for each announcement of any
 * process, own when this process made it (store_observe heard it at its commit already);
 * on_reset after its connection was lost and made again (announcements of the time
 * between are lost: take it as "everything changed"). */
struct store_listener {
    void (*on_notice)(void *ctx, enum store_channel channel, const char *payload, bool own);
    void (*on_reset)(void *ctx);
    void *ctx;
};

/* Starts listening on every channel with a connection of its own (at most one listener per
 * store; store_close stops it, before the pool closes). *listening tells whether the
 * backend has notifications at all; without them nothing is started. */
int store_listen(struct store *s, const struct store_listener *l, bool *listening,
                 struct error *err);
/* Stops the listener now (a no-op when none runs); the callbacks are not called after. */
void store_unlisten(struct store *s);

/* A count that moves whenever a process sharing the store's file (SQLite) committed a
 * change announced on STORE_CHANNEL_INSTALLS or STORE_CHANNEL_SETTINGS: what a process
 * keeps of those is stale once the count moved since it read them. Constant where the
 * processes hear each other through the listener instead (PostgreSQL). A load from shared
 * memory: cheap enough for every request. */
uint64_t store_changes_seen(struct store *s);

/* This process's own announcements on the channels in `channels` (a mask of 1u << channel),
 * on every backend (SQLite too): fn is called on the thread that announced, right after
 * its transaction committed (never when it rolled back), before the commit returns; an
 * announcement outside a transaction at once. So what this process keeps of the store
 * (pipeline.h's cache) is forgotten before the writer can answer anyone. A NULL payload
 * means "anything may have changed" (an announcement could not be kept). Set once, before
 * the store is shared between threads; fn NULL stops it. */
void store_observe(struct store *s, unsigned channels,
                   void (*fn)(void *ctx, enum store_channel channel, const char *payload),
                   void *ctx);

#endif
