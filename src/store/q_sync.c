/* store/q_sync.c - sync runs, the installs' sync state and imported time entries (sync.h).
 *
 * "One run per install at a time" is the partial unique index sync_runs_one_active: a
 * request inserts with ON CONFLICT DO NOTHING and, when another run holds the index, reads
 * that one, so concurrent requests agree on one run without a check-then-insert. A run's
 * records reach time_entries only in store_sync_run_commit's one transaction, which also
 * moves the install's cursor and ends the run, so a run is all or nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/books.h"
#include "store/invoicing.h"
#include "store/store_int.h"
#include "store/sync.h"

/* The one definition of "invoiced" (store_time_entry_is_invoiced, the listing's filter):
 * the entry is on a finalized invoice (store/invoicing.h). */
#define INVOICED_SQL(alias) STORE_TIME_ENTRY_INVOICED_SQL(alias)

#define RUN_COLUMNS                                                                         \
    "id, tenant_id, install_id, slug, origin, status, new_count, updated_count, "          \
    "deleted_count, skipped_count, error, created_at, started_at, finished_at, duration_ms"

static int read_run(void *ctx, const struct store_row *row)
{
    struct sync_run *r = ctx;
    memset(r, 0, sizeof *r);
    store_row_copy(row, 0, r->id, sizeof r->id);
    store_row_copy(row, 1, r->tenant_id, sizeof r->tenant_id);
    store_row_copy(row, 2, r->install_id, sizeof r->install_id);
    store_row_copy(row, 3, r->slug, sizeof r->slug);
    store_row_copy(row, 4, r->origin, sizeof r->origin);
    store_row_copy(row, 5, r->status, sizeof r->status);
    r->new_count = store_row_int(row, 6);
    r->updated_count = store_row_int(row, 7);
    r->deleted_count = store_row_int(row, 8);
    r->skipped_count = store_row_int(row, 9);
    snprintf(r->error, sizeof r->error, "%s", store_row_text(row, 10));
    store_row_copy(row, 11, r->created_at, sizeof r->created_at);
    store_row_copy(row, 12, r->started_at, sizeof r->started_at);
    store_row_copy(row, 13, r->finished_at, sizeof r->finished_at);
    r->duration_ms = store_row_is_null(row, 14) ? -1 : store_row_int(row, 14);
    return 1;
}

int store_sync_run_request(struct store *s, const char *tenant_id, const char *install_id,
                           const char *slug, const char *origin, struct sync_run *out,
                           bool *created, struct error *err)
{
    char id[CRYPTO_ID_MAX], now[CLOCK_RFC3339_LEN];
    int64_t changes = 0;
    if (crypto_id_new("syn_", id) < 0)
        return error_set(err, ERR_INTERNAL, "no randomness available");
    clock_format_rfc3339(clock_now_ms(), now);
    struct store_param p[] = {P_TEXT(id), P_TEXT(tenant_id), P_TEXT(install_id), P_TEXT(slug),
                              P_TEXT(origin), P_TEXT(now)};
    if (store_run(s,
                  "INSERT INTO sync_runs (id, tenant_id, install_id, slug, origin, status, "
                  "created_at) VALUES ($1, $2, $3, $4, $5, 'queued', $6) "
                  "ON CONFLICT (install_id) WHERE status IN ('queued','running') DO NOTHING",
                  p, N_PARAMS(p), NULL, NULL, &changes, err) < 0)
        return -1;
    *created = changes > 0;
    memset(out, 0, sizeof *out);
    struct store_param q[] = {P_TEXT(tenant_id), P_TEXT(install_id), P_TEXT(id)};
    if (store_run(s,
                  "SELECT " RUN_COLUMNS " FROM sync_runs WHERE tenant_id = $1 AND "
                  "install_id = $2 AND (id = $3 OR status IN ('queued','running')) "
                  "ORDER BY id DESC LIMIT 1",
                  q, N_PARAMS(q), read_run, out, NULL, err) < 0)
        return -1;
    /* The other run may have ended between the two statements: ask again. */
    if (!out->id[0])
        return store_sync_run_request(s, tenant_id, install_id, slug, origin, out, created,
                                      err);
    return 0;
}

int store_sync_run_claim(struct store *s, int64_t now_ms, struct sync_run *out, bool *found,
                         struct error *err)
{
    char now[CLOCK_RFC3339_LEN];
    clock_format_rfc3339(now_ms, now);
    *found = false;
    for (int attempt = 0; attempt < 5; attempt++) {
        struct sync_run cand = {0};
        struct store_param p[] = {P_TEXT(now)};
        /* A deferred run (queued with a reason) waits for its install's next_run_at. */
        if (store_run(s,
                      "SELECT " RUN_COLUMNS " FROM sync_runs r WHERE status = 'queued' AND "
                      "(r.error IS NULL OR NOT EXISTS (SELECT 1 FROM sync_state st WHERE "
                      "st.install_id = r.install_id AND st.next_run_at > $1)) "
                      "ORDER BY r.created_at, r.id LIMIT 1",
                      p, N_PARAMS(p), read_run, &cand, NULL, err) < 0)
            return -1;
        if (!cand.id[0])
            return 0;
        int64_t changes = 0;
        struct store_param u[] = {P_TEXT(cand.id), P_TEXT(now)};
        if (store_run(s,
                      "UPDATE sync_runs SET status = 'running', started_at = $2, error = NULL "
                      "WHERE id = $1 AND status = 'queued'",
                      u, N_PARAMS(u), NULL, NULL, &changes, err) < 0)
            return -1;
        if (changes == 1) {
            *out = cand;
            snprintf(out->status, sizeof out->status, "running");
            memcpy(out->started_at, now, sizeof now);
            out->error[0] = '\0';
            *found = true;
            return 0;
        }
    }
    return 0;
}

/* Creates the install's state row when it has none (inside tx). */
static int state_ensure(struct store_tx *tx, const struct sync_run *run, const char *now,
                        struct error *err)
{
    struct store_param p[] = {P_TEXT(run->install_id), P_TEXT(run->tenant_id), P_TEXT(now)};
    return store_tx_query(tx,
                          "INSERT INTO sync_state (install_id, tenant_id, updated_at) "
                          "VALUES ($1, $2, $3) ON CONFLICT (install_id) DO NOTHING",
                          p, N_PARAMS(p), NULL, NULL, NULL, err);
}

static int64_t run_duration(const struct sync_run *run, int64_t now_ms)
{
    int64_t started = 0;
    if (clock_parse_rfc3339(run->started_at, &started) < 0 || now_ms < started)
        return 0;
    return now_ms - started;
}

int store_sync_run_fail(struct store *s, const struct sync_run *run, const char *reason,
                        bool auth_failed, int64_t now_ms, int64_t next_run_ms,
                        struct error *err)
{
    char now[CLOCK_RFC3339_LEN], next[CLOCK_RFC3339_LEN];
    clock_format_rfc3339(now_ms, now);
    clock_format_rfc3339(next_run_ms, next);
    struct store_tx *tx = NULL;
    if (store_tx_begin(s, &tx, err) < 0)
        return -1;
    struct store_param r[] = {P_TEXT(run->id), P_TEXT(reason), P_TEXT(now),
                              P_INT(run_duration(run, now_ms))};
    struct store_param st[] = {P_TEXT(run->install_id), P_TEXT(run->id), P_TEXT(next),
                               P_TEXT(now), P_TEXT(auth_failed ? reason : NULL),
                               P_INT(auth_failed)};
    if (store_tx_query(tx,
                       "UPDATE sync_runs SET status = 'failed', error = $2, finished_at = $3, "
                       "duration_ms = $4 WHERE id = $1",
                       r, N_PARAMS(r), NULL, NULL, NULL, err) < 0 ||
        state_ensure(tx, run, now, err) < 0 ||
        store_tx_query(tx,
                       "UPDATE sync_state SET last_run_id = $2, next_run_at = $3, "
                       "updated_at = $4, error = CASE WHEN $6 = 1 THEN CAST($5 AS TEXT) "
                       "ELSE error END WHERE install_id = $1",
                       st, N_PARAMS(st), NULL, NULL, NULL, err) < 0) {
        store_tx_rollback(tx);
        return -1;
    }
    return store_tx_commit(tx, err);
}

int store_sync_run_defer(struct store *s, const struct sync_run *run, const char *reason,
                         int64_t resume_ms, struct error *err)
{
    char now[CLOCK_RFC3339_LEN], resume[CLOCK_RFC3339_LEN];
    clock_format_rfc3339(clock_now_ms(), now);
    clock_format_rfc3339(resume_ms, resume);
    struct store_tx *tx = NULL;
    if (store_tx_begin(s, &tx, err) < 0)
        return -1;
    struct store_param r[] = {P_TEXT(run->id), P_TEXT(reason)};
    struct store_param st[] = {P_TEXT(run->install_id), P_TEXT(resume), P_TEXT(now)};
    if (store_tx_query(tx,
                       "UPDATE sync_runs SET status = 'queued', error = $2, started_at = NULL "
                       "WHERE id = $1",
                       r, N_PARAMS(r), NULL, NULL, NULL, err) < 0 ||
        state_ensure(tx, run, now, err) < 0 ||
        store_tx_query(tx,
                       "UPDATE sync_state SET next_run_at = $2, updated_at = $3 "
                       "WHERE install_id = $1",
                       st, N_PARAMS(st), NULL, NULL, NULL, err) < 0) {
        store_tx_rollback(tx);
        return -1;
    }
    return store_tx_commit(tx, err);
}

int store_sync_run_succeed(struct store *s, struct sync_run *run, const char *cursor,
                           int64_t now_ms, int64_t next_run_ms, struct error *err)
{
    char now[CLOCK_RFC3339_LEN], next[CLOCK_RFC3339_LEN];
    clock_format_rfc3339(now_ms, now);
    clock_format_rfc3339(next_run_ms, next);
    struct store_tx *tx = NULL;
    if (store_tx_begin(s, &tx, err) < 0)
        return -1;
    run->duration_ms = run_duration(run, now_ms);
    struct store_param st[] = {P_TEXT(run->install_id), P_TEXT(cursor), P_TEXT(run->id),
                               P_TEXT(now), P_TEXT(next)};
    struct store_param rr[] = {P_TEXT(run->id),
                               P_INT(run->new_count),
                               P_INT(run->updated_count),
                               P_INT(run->deleted_count),
                               P_INT(run->skipped_count),
                               P_TEXT(now),
                               P_INT(run->duration_ms)};
    if (state_ensure(tx, run, now, err) < 0 ||
        store_tx_query(tx,
                       "UPDATE sync_state SET cursor = COALESCE(CAST($2 AS TEXT), cursor), "
                       "last_run_id = $3, last_success_at = $4, next_run_at = $5, "
                       "error = NULL, updated_at = $4 WHERE install_id = $1",
                       st, N_PARAMS(st), NULL, NULL, NULL, err) < 0 ||
        store_tx_query(tx,
                       "UPDATE sync_runs SET status = 'succeeded', new_count = $2, "
                       "updated_count = $3, deleted_count = $4, skipped_count = $5, "
                       "finished_at = $6, duration_ms = $7, error = NULL WHERE id = $1",
                       rr, N_PARAMS(rr), NULL, NULL, NULL, err) < 0) {
        store_tx_rollback(tx);
        return -1;
    }
    if (store_tx_commit(tx, err) < 0)
        return -1;
    snprintf(run->status, sizeof run->status, "succeeded");
    memcpy(run->finished_at, now, sizeof now);
    return 0;
}

int store_sync_runs_reap(struct store *s, int64_t stale_before_ms, int64_t *n,
                         struct error *err)
{
    char before[CLOCK_RFC3339_LEN], now[CLOCK_RFC3339_LEN];
    clock_format_rfc3339(stale_before_ms, before);
    clock_format_rfc3339(clock_now_ms(), now);
    struct store_param p[] = {P_TEXT(before), P_TEXT(now)};
    return store_run(s,
                     "UPDATE sync_runs SET status = 'failed', finished_at = $2, "
                     "error = 'the process running it stopped before it ended' "
                     "WHERE status = 'running' AND started_at < $1",
                     p, N_PARAMS(p), NULL, NULL, n, err);
}

static int read_state(void *ctx, const struct store_row *row)
{
    struct sync_state *st = ctx;
    snprintf(st->cursor, sizeof st->cursor, "%s", store_row_text(row, 0));
    store_row_copy(row, 1, st->last_run_id, sizeof st->last_run_id);
    store_row_copy(row, 2, st->last_success_at, sizeof st->last_success_at);
    store_row_copy(row, 3, st->next_run_at, sizeof st->next_run_at);
    snprintf(st->error, sizeof st->error, "%s", store_row_text(row, 4));
    return 1;
}

int store_sync_state_get(struct store *s, const char *tenant_id, const char *install_id,
                         struct sync_state *out, struct error *err)
{
    memset(out, 0, sizeof *out);
    struct store_param p[] = {P_TEXT(tenant_id), P_TEXT(install_id)};
    return store_run(s,
                     "SELECT cursor, last_run_id, last_success_at, next_run_at, error "
                     "FROM sync_state WHERE tenant_id = $1 AND install_id = $2",
                     p, N_PARAMS(p), read_state, out, NULL, err);
}

int store_sync_run_get(struct store *s, const char *tenant_id, const char *run_id,
                       struct sync_run *out, struct error *err)
{
    memset(out, 0, sizeof *out);
    struct store_param p[] = {P_TEXT(tenant_id), P_TEXT(run_id)};
    if (store_run(s, "SELECT " RUN_COLUMNS " FROM sync_runs WHERE tenant_id = $1 AND id = $2",
                  p, N_PARAMS(p), read_run, out, NULL, err) < 0)
        return -1;
    return out->id[0] ? 0 : error_set(err, ERR_NOT_FOUND, "no such sync run");
}

struct run_walk {
    int (*fn)(void *ctx, const struct sync_run *run);
    void *ctx;
};

static int each_run(void *ctx, const struct store_row *row)
{
    struct run_walk *w = ctx;
    struct sync_run r;
    read_run(&r, row);
    return w->fn(w->ctx, &r) != 0;
}

int store_sync_runs_page(struct store *s, const char *tenant_id, const char *install_id,
                         const struct store_page *page,
                         int (*fn)(void *ctx, const struct sync_run *run), void *ctx,
                         struct error *err)
{
    struct run_walk w = {fn, ctx};
    struct store_param p[] = {P_TEXT(tenant_id), P_TEXT(install_id),
                              P_TEXT(page->before && *page->before ? page->before : "~"),
                              P_INT(page->limit > 0 ? page->limit : 1)};
    return store_run(s,
                     "SELECT " RUN_COLUMNS " FROM sync_runs WHERE tenant_id = $1 AND "
                     "install_id = $2 AND id < $3 ORDER BY id DESC LIMIT $4",
                     p, N_PARAMS(p), each_run, &w, NULL, err);
}

/* ---- the commit ------------------------------------------------------------------------ */

struct existing {
    char id[CRYPTO_ID_MAX];
    char hash[2 * CRYPTO_SHA256_LEN + 1];
    bool deleted;
};

static int read_existing(void *ctx, const struct store_row *row)
{
    struct existing *e = ctx;
    store_row_copy(row, 0, e->id, sizeof e->id);
    store_row_copy(row, 1, e->hash, sizeof e->hash);
    e->deleted = !store_row_is_null(row, 2);
    return 1;
}

int store_time_entry_is_invoiced(struct store_tx *tx, const char *tenant_id,
                                 const char *entry_id, bool *invoiced, struct error *err)
{
    struct existing e = {.deleted = false};
    struct store_param p[] = {P_TEXT(tenant_id), P_TEXT(entry_id)};
    if (store_tx_query(tx,
                       "SELECT id, '', NULL FROM time_entries WHERE tenant_id = $1 AND id = $2 "
                       "AND " INVOICED_SQL(""),
                       p, N_PARAMS(p), read_existing, &e, NULL, err) < 0)
        return -1;
    *invoiced = e.id[0] != '\0';
    return 0;
}

/* The customer a client of the service is: by the service's id for it, then by name; else
 * a new one. */
static int customer_resolve(struct store_tx *tx, const struct sync_run *run,
                            const struct time_entry_in *e, const char *now, struct error *err)
{
    char id[CRYPTO_ID_MAX] = "";
    if (e->client_external_id && *e->client_external_id) {
        struct store_param p[] = {P_TEXT(run->tenant_id), P_TEXT(run->slug),
                                  P_TEXT(e->client_external_id)};
        struct existing found = {.deleted = false};
        if (store_tx_query(tx,
                           "SELECT id, '', NULL FROM parties WHERE tenant_id = $1 AND "
                           "role = 'customer' AND provider = $2 AND provider_ref = $3 "
                           "ORDER BY id LIMIT 1",
                           p, N_PARAMS(p), read_existing, &found, NULL, err) < 0)
            return -1;
        if (found.id[0])
            return 0;
    }
    struct store_param byname[] = {P_TEXT(run->tenant_id), P_TEXT(e->client)};
    struct existing found = {.deleted = false};
    if (store_tx_query(tx,
                       "SELECT id, '', NULL FROM parties WHERE tenant_id = $1 AND "
                       "role = 'customer' AND name = $2 ORDER BY id LIMIT 1",
                       byname, N_PARAMS(byname), read_existing, &found, NULL, err) < 0)
        return -1;
    if (found.id[0])
        return 0;
    if (crypto_id_new("cus_", id) < 0)
        return error_set(err, ERR_INTERNAL, "no randomness available");
    const char *ref = e->client_external_id && *e->client_external_id ? e->client_external_id
                                                                       : NULL;
    struct store_param ins[] = {P_TEXT(id), P_TEXT(run->tenant_id), P_TEXT(e->client),
                                P_TEXT(run->slug), P_TEXT(ref), P_TEXT(now)};
    return store_tx_query(tx,
                          "INSERT INTO parties (id, tenant_id, role, name, provider, "
                          "provider_ref, created_at) VALUES ($1, $2, 'customer', $3, $4, $5, $6)",
                          ins, N_PARAMS(ins), NULL, NULL, NULL, err);
}

static int entry_write(struct store_tx *tx, struct sync_run *run, const struct time_entry_in *e,
                       const char *now, struct error *err)
{
    struct existing ex = {.deleted = false};
    struct store_param key[] = {P_TEXT(run->tenant_id), P_TEXT(run->slug),
                                P_TEXT(e->external_id)};
    if (store_tx_query(tx,
                       "SELECT id, upstream_hash, deleted_at FROM time_entries WHERE "
                       "tenant_id = $1 AND source = $2 AND external_id = $3",
                       key, N_PARAMS(key), read_existing, &ex, NULL, err) < 0)
        return -1;
    if (ex.id[0] && !ex.deleted && strcmp(ex.hash, e->hash) == 0) {
        return 0; /* unchanged */
    }
    if (ex.id[0]) {
        bool invoiced = false;
        if (store_time_entry_is_invoiced(tx, run->tenant_id, ex.id, &invoiced, err) < 0)
            return -1;
        if (invoiced) {
            struct store_param p[] = {P_TEXT(ex.id), P_TEXT(now)};
            run->skipped_count++;
            return store_tx_query(tx,
                                  "UPDATE time_entries SET review_reason = 'changed upstream "
                                  "after it was invoiced', updated_at = $2 WHERE id = $1",
                                  p, N_PARAMS(p), NULL, NULL, NULL, err);
        }
    }
    char id[CRYPTO_ID_MAX];
    if (!ex.id[0] && crypto_id_new("tim_", id) < 0)
        return error_set(err, ERR_INTERNAL, "no randomness available");
    struct store_param p[] = {
        P_TEXT(ex.id[0] ? ex.id : id), P_TEXT(run->tenant_id), P_TEXT(run->install_id),
        P_TEXT(run->slug), P_TEXT(e->external_id), P_TEXT(e->started_at), P_INT(e->minutes),
        P_INT(e->billable), P_TEXT(e->description), P_TEXT(e->project), P_TEXT(e->client),
        P_TEXT(e->client_external_id), P_TEXT(e->user_name),
        e->has_rate ? P_INT(e->rate_minor) : P_TEXT(NULL),
        P_TEXT(e->currency[0] ? e->currency : NULL), P_TEXT(e->hash), P_TEXT(now)};
    if (store_tx_query(tx,
                       "INSERT INTO time_entries (id, tenant_id, install_id, source, external_id, "
                       "started_at, minutes, billable, description, project, client, "
                       "client_external_id, user_name, rate_minor, currency, upstream_hash, "
                       "created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, "
                       "$11, $12, $13, $14, $15, $16, $17, $17) "
                       "ON CONFLICT (tenant_id, source, external_id) DO UPDATE SET "
                       "install_id = excluded.install_id, started_at = excluded.started_at, "
                       "minutes = excluded.minutes, billable = excluded.billable, "
                       "description = excluded.description, project = excluded.project, "
                       "client = excluded.client, client_external_id = "
                       "excluded.client_external_id, user_name = excluded.user_name, "
                       "rate_minor = excluded.rate_minor, currency = excluded.currency, "
                       "upstream_hash = excluded.upstream_hash, deleted_at = NULL, "
                       "updated_at = excluded.updated_at",
                       p, N_PARAMS(p), NULL, NULL, NULL, err) < 0)
        return -1;
    if (ex.id[0])
        run->updated_count++;
    else
        run->new_count++;
    if (e->client && *e->client && customer_resolve(tx, run, e, now, err) < 0)
        return -1;
    return 0;
}

/* The install's live entries of the window, to find what the service no longer has. */
struct window_rows {
    struct existing *rows;
    char (*ext)[STORE_TIME_ENTRY_ID_MAX];
    size_t n, cap;
    bool failed;
};

static int collect_window(void *ctx, const struct store_row *row)
{
    struct window_rows *w = ctx;
    if (w->n == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 64;
        struct existing *r = realloc(w->rows, cap * sizeof *r);
        if (r)
            w->rows = r;
        char(*x)[STORE_TIME_ENTRY_ID_MAX] = r ? realloc(w->ext, cap * sizeof *x) : NULL;
        if (!r || !x) {
            w->failed = true;
            return 1;
        }
        w->ext = x;
        w->cap = cap;
    }
    memset(&w->rows[w->n], 0, sizeof w->rows[w->n]);
    store_row_copy(row, 0, w->rows[w->n].id, sizeof w->rows[w->n].id);
    snprintf(w->ext[w->n], sizeof w->ext[w->n], "%s", store_row_text(row, 1));
    w->n++;
    return 0;
}

static int cmp_ext(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int reconcile_deleted(struct store_tx *tx, struct sync_run *run,
                             const struct sync_result *r, const char *now, struct error *err)
{
    struct window_rows w = {0};
    const char **seen = calloc(r->n_entries + 1, sizeof *seen);
    int rc = -1;
    if (!seen)
        return error_set(err, ERR_INTERNAL, "out of memory");
    for (size_t i = 0; i < r->n_entries; i++)
        seen[i] = r->entries[i].external_id;
    qsort(seen, r->n_entries, sizeof *seen, cmp_ext);
    struct store_param p[] = {P_TEXT(run->tenant_id), P_TEXT(run->slug),
                              P_TEXT(r->window_from), P_TEXT(r->window_to)};
    if (store_tx_query(tx,
                       "SELECT id, external_id FROM time_entries WHERE tenant_id = $1 AND "
                       "source = $2 AND deleted_at IS NULL AND started_at >= $3 AND "
                       "started_at <= $4",
                       p, N_PARAMS(p), collect_window, &w, NULL, err) < 0)
        goto out;
    if (w.failed) {
        error_set(err, ERR_INTERNAL, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < w.n; i++) {
        const char *key = w.ext[i];
        if (bsearch(&key, seen, r->n_entries, sizeof *seen, cmp_ext))
            continue;
        bool invoiced = false;
        if (store_time_entry_is_invoiced(tx, run->tenant_id, w.rows[i].id, &invoiced, err) < 0)
            goto out;
        struct store_param u[] = {P_TEXT(w.rows[i].id), P_TEXT(now)};
        if (store_tx_query(tx,
                           invoiced ? "UPDATE time_entries SET review_reason = 'deleted "
                                      "upstream after it was invoiced', updated_at = $2 "
                                      "WHERE id = $1"
                                    : "UPDATE time_entries SET deleted_at = $2, "
                                      "updated_at = $2 WHERE id = $1",
                           u, N_PARAMS(u), NULL, NULL, NULL, err) < 0)
            goto out;
        if (invoiced)
            run->skipped_count++;
        else
            run->deleted_count++;
    }
    rc = 0;
out:
    free(seen);
    free(w.rows);
    free(w.ext);
    return rc;
}

int store_sync_run_commit(struct store *s, struct sync_run *run, const struct sync_result *r,
                          int64_t now_ms, struct error *err)
{
    char now[CLOCK_RFC3339_LEN], next[CLOCK_RFC3339_LEN];
    clock_format_rfc3339(now_ms, now);
    clock_format_rfc3339(r->next_run_ms, next);
    run->new_count = r->imported;
    run->updated_count = run->deleted_count = 0;
    run->skipped_count = r->skipped;
    struct store_tx *tx = NULL;
    if (store_tx_begin(s, &tx, err) < 0)
        return -1;
    for (size_t i = 0; i < r->n_entries; i++)
        if (entry_write(tx, run, &r->entries[i], now, err) < 0)
            goto fail;
    if (reconcile_deleted(tx, run, r, now, err) < 0 || state_ensure(tx, run, now, err) < 0)
        goto fail;
    run->duration_ms = run_duration(run, now_ms);
    struct store_param st[] = {P_TEXT(run->install_id), P_TEXT(r->cursor), P_TEXT(run->id),
                               P_TEXT(now), P_TEXT(next)};
    struct store_param rr[] = {P_TEXT(run->id),
                               P_INT(run->new_count),
                               P_INT(run->updated_count),
                               P_INT(run->deleted_count),
                               P_INT(run->skipped_count),
                               P_TEXT(now),
                               P_INT(run->duration_ms)};
    if (store_tx_query(tx,
                       "UPDATE sync_state SET cursor = $2, last_run_id = $3, "
                       "last_success_at = $4, next_run_at = $5, error = NULL, updated_at = $4 "
                       "WHERE install_id = $1",
                       st, N_PARAMS(st), NULL, NULL, NULL, err) < 0 ||
        store_tx_query(tx,
                       "UPDATE sync_runs SET status = 'succeeded', new_count = $2, "
                       "updated_count = $3, deleted_count = $4, skipped_count = $5, "
                       "finished_at = $6, duration_ms = $7, error = NULL WHERE id = $1",
                       rr, N_PARAMS(rr), NULL, NULL, NULL, err) < 0)
        goto fail;
    if (store_tx_commit(tx, err) < 0)
        return -1;
    snprintf(run->status, sizeof run->status, "succeeded");
    memcpy(run->finished_at, now, sizeof now);
    return 0;
fail:
    store_tx_rollback(tx);
    return -1;
}

/* ---- the listing ----------------------------------------------------------------------- */

struct entry_walk {
    int (*fn)(void *ctx, const struct time_entry *e);
    void *ctx;
};

static const char *text_or_null(const struct store_row *row, int col)
{
    return store_row_is_null(row, col) ? NULL : store_row_text(row, col);
}

static int each_entry(void *ctx, const struct store_row *row)
{
    struct entry_walk *w = ctx;
    struct time_entry e = {0};
    store_row_copy(row, 0, e.id, sizeof e.id);
    e.source = store_row_text(row, 1);
    e.external_id = store_row_text(row, 2);
    e.started_at = store_row_text(row, 3);
    e.minutes = store_row_int(row, 4);
    e.billable = store_row_int(row, 5) != 0;
    e.description = text_or_null(row, 6);
    e.project = text_or_null(row, 7);
    e.client = text_or_null(row, 8);
    e.user_name = text_or_null(row, 9);
    e.has_rate = !store_row_is_null(row, 10);
    e.rate_minor = store_row_int(row, 10);
    e.currency = text_or_null(row, 11);
    e.deleted_at = text_or_null(row, 12);
    e.review_reason = text_or_null(row, 13);
    e.created_at = store_row_text(row, 14);
    e.updated_at = store_row_text(row, 15);
    e.invoiced = store_row_int(row, 16) != 0;
    return w->fn(w->ctx, &e) != 0;
}

int store_time_entries_page(struct store *s, const char *tenant_id,
                            const struct time_entry_filter *f, const struct store_page *page,
                            int (*fn)(void *ctx, const struct time_entry *e), void *ctx,
                            struct error *err)
{
    struct entry_walk w = {fn, ctx};
    char from[CLOCK_RFC3339_LEN + 8] = "", to_next[CLOCK_RFC3339_LEN + 8] = "";
    int64_t to_ms = 0;
    if (f->from)
        snprintf(from, sizeof from, "%sT00:00:00.000Z", f->from);
    if (f->to) {
        char t[CLOCK_RFC3339_LEN + 8];
        snprintf(t, sizeof t, "%sT00:00:00.000Z", f->to);
        if (clock_parse_rfc3339(t, &to_ms) < 0)
            return error_set(err, ERR_INVALID_FIELD, "'to' is not a date");
        clock_format_rfc3339(to_ms + 86400000LL, to_next);
    }
    struct store_param p[] = {
        P_TEXT(tenant_id),
        P_TEXT(page->before && *page->before ? page->before : "~"),
        P_INT(page->limit > 0 ? page->limit : 1),
        P_TEXT(f->client),
        P_TEXT(f->project),
        P_TEXT(f->from ? from : NULL),
        P_TEXT(f->to ? to_next : NULL),
        P_INT(f->billable),
        P_INT(f->invoiced),
        P_INT(f->deleted)};
    return store_run(
        s,
        "SELECT id, source, external_id, started_at, minutes, billable, description, project, "
        "client, user_name, rate_minor, currency, deleted_at, review_reason, created_at, "
        "updated_at, CASE WHEN " INVOICED_SQL("") " THEN 1 ELSE 0 END FROM time_entries "
        "WHERE tenant_id = $1 AND id < $2 "
        "AND ($4 IS NULL OR client = $4) AND ($5 IS NULL OR project = $5) "
        /* the comparison first: it gives PostgreSQL the parameter's type (a time) */
        "AND (started_at >= $6 OR $6 IS NULL) AND (started_at < $7 OR $7 IS NULL) "
        "AND ($8 < 0 OR billable = $8) "
        "AND ($9 < 0 OR (CASE WHEN " INVOICED_SQL("") " THEN 1 ELSE 0 END) = $9) "
        "AND ($10 < 0 OR (CASE WHEN deleted_at IS NULL THEN 0 ELSE 1 END) = $10) "
        "ORDER BY id DESC LIMIT $3",
        p, N_PARAMS(p), each_entry, &w, NULL, err);
}
