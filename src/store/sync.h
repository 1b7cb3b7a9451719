/* store/sync.h - the store's side of the pulling connectors (q_sync.c): sync runs, each
 * install's sync state, and the imported time entries. Conventions as in store/store.h.
 *
 * A run is requested (queued), claimed by the sync worker (running), and then either
 * committed with everything it read (succeeded), failed with its reason, or deferred
 * (queued again with a reason) when the service's quota is spent. One run per install is
 * queued or running at a time: the partial unique index of migration 14 decides it, so two
 * requests at once get the same run. A run's records are written in its commit alone. */
#ifndef CONNECTORD_STORE_SYNC_H
#define CONNECTORD_STORE_SYNC_H

#include <stdbool.h>
#include <stdint.h>

#include "core/clock.h"
#include "core/error.h"
#include "crypto/crypto.h"
#include "store/store.h"

#define STORE_SYNC_ERROR_MAX 512
#define STORE_SYNC_CURSOR_MAX 128
#define STORE_TIME_ENTRY_ID_MAX 128

struct sync_run {
    char id[CRYPTO_ID_MAX];
    char tenant_id[CRYPTO_ID_MAX];
    char install_id[CRYPTO_ID_MAX];
    char slug[STORE_SLUG_MAX];
    char origin[12];  /* schedule, manual */
    char status[12];  /* queued, running, succeeded, failed */
    int64_t new_count, updated_count, deleted_count, skipped_count;
    char error[STORE_SYNC_ERROR_MAX]; /* "" when none */
    char created_at[CLOCK_RFC3339_LEN];
    char started_at[CLOCK_RFC3339_LEN];  /* "" until it runs */
    char finished_at[CLOCK_RFC3339_LEN]; /* "" until it ends */
    int64_t duration_ms;                 /* -1 until it ends */
};

/* An install's sync state; all "" when it never ran. */
struct sync_state {
    char cursor[STORE_SYNC_CURSOR_MAX];     /* where the last committed run's window ended */
    char last_run_id[CRYPTO_ID_MAX];
    char last_success_at[CLOCK_RFC3339_LEN];
    char next_run_at[CLOCK_RFC3339_LEN];
    char error[STORE_SYNC_ERROR_MAX];       /* the credentials' problem until a run succeeds */
};

/* Queues a run of the install, or finds the one already queued or running (*created
 * false). out receives the run either way. */
int store_sync_run_request(struct store *s, const char *tenant_id, const char *install_id,
                           const char *slug, const char *origin, struct sync_run *out,
                           bool *created, struct error *err);
/* Claims the oldest run that may start now (queued and not deferred past now_ms): marks it
 * running. *found false when there is none. */
int store_sync_run_claim(struct store *s, int64_t now_ms, struct sync_run *out, bool *found,
                         struct error *err);
/* A running run failed: recorded with its reason. auth_failed: the credentials were
 * refused, which the install shows (sync_state.error) until a run succeeds. The install's
 * next scheduled run is next_run_ms. */
int store_sync_run_fail(struct store *s, const struct sync_run *run, const char *reason,
                        bool auth_failed, int64_t now_ms, int64_t next_run_ms,
                        struct error *err);
/* A running run must wait (the service's quota is spent): queued again with the reason,
 * not started before resume_ms. Nothing it read was kept. */
int store_sync_run_defer(struct store *s, const struct sync_run *run, const char *reason,
                         int64_t resume_ms, struct error *err);
/* A running run that stored its records itself (the bank pulls, store/bank.h) ended well:
 * marked succeeded with the counts in run, the install's cursor moved (cursor NULL: kept)
 * and its next scheduled run set to next_run_ms. */
int store_sync_run_succeed(struct store *s, struct sync_run *run, const char *cursor,
                           int64_t now_ms, int64_t next_run_ms, struct error *err);
/* Runs left running by a process that stopped (started before stale_before_ms) are failed,
 * so their installs can run again. *n receives how many. */
int store_sync_runs_reap(struct store *s, int64_t stale_before_ms, int64_t *n,
                         struct error *err);

int store_sync_state_get(struct store *s, const char *tenant_id, const char *install_id,
                         struct sync_state *out, struct error *err);
int store_sync_run_get(struct store *s, const char *tenant_id, const char *run_id,
                       struct sync_run *out, struct error *err);
/* The install's runs, newest first, one page (store.h). */
int store_sync_runs_page(struct store *s, const char *tenant_id, const char *install_id,
                         const struct store_page *page,
                         int (*fn)(void *ctx, const struct sync_run *run), void *ctx,
                         struct error *err);

/* ---- a run's commit -------------------------------------------------------------------- */

/* One record as a service gave it, in the common shape. Strings may be NULL. */
struct time_entry_in {
    char external_id[STORE_TIME_ENTRY_ID_MAX];
    char started_at[CLOCK_RFC3339_LEN];
    int64_t minutes;
    bool billable;
    char *description, *project, *client, *client_external_id, *user_name;
    bool has_rate;
    int64_t rate_minor;
    char currency[4]; /* "" when not given */
    char hash[2 * CRYPTO_SHA256_LEN + 1]; /* of everything above: tells a change upstream */
};

/* What a run read, for its commit: the records of the window [window_from, window_to]
 * (RFC 3339), and the cursor the next run starts from. */
struct sync_result {
    const struct time_entry_in *entries;
    size_t n_entries;
    int64_t skipped; /* records the service gave that are not imported (running timers) */
    int64_t imported; /* records a source other than time entries wrote itself (a payment
                         connector's pull of fees, payouts and payments): counted as new */
    const char *window_from, *window_to;
    const char *cursor;
    int64_t next_run_ms;
};

/* Commits a run in one transaction: each record inserted (new) or updated when it changed
 * upstream (an invoiced entry is not changed: flagged for review); the install's entries in
 * the window that the service no longer has are marked deleted (an invoiced one flagged for
 * review and left); the clients become customers (matched by the service's id, then by
 * name); the state moves to the cursor and the run is marked succeeded with its counts
 * (filled into run). Nothing of it is visible before the commit, nothing after a failure. */
int store_sync_run_commit(struct store *s, struct sync_run *run, const struct sync_result *r,
                          int64_t now_ms, struct error *err);

/* Whether an imported entry is invoiced: the one definition the sync (which leaves an
 * invoiced entry alone) and the time-entry listing use. Until invoices are made from time
 * entries, an entry counts as invoiced when it was flagged for review. */
struct store_tx;
int store_time_entry_is_invoiced(struct store_tx *tx, const char *tenant_id,
                                 const char *entry_id, bool *invoiced, struct error *err);

/* ---- the listing ----------------------------------------------------------------------- */

struct time_entry {
    char id[CRYPTO_ID_MAX];
    const char *source, *external_id, *started_at, *description, *project, *client,
        *user_name, *currency, *deleted_at, *review_reason, *created_at, *updated_at;
    int64_t minutes;
    bool billable, invoiced, has_rate;
    int64_t rate_minor;
};

/* Filters; NULL (or -1 for the flags) leaves one out. Dates are YYYY-MM-DD, inclusive. */
struct time_entry_filter {
    const char *client, *project, *from, *to;
    int billable, invoiced, deleted; /* -1 any, 0 no, 1 yes; deleted defaults to 0 */
};
/* One page, newest id first; entries are valid during the call only. */
int store_time_entries_page(struct store *s, const char *tenant_id,
                            const struct time_entry_filter *f, const struct store_page *page,
                            int (*fn)(void *ctx, const struct time_entry *e), void *ctx,
                            struct error *err);

#endif
