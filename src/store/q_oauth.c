/* store/q_oauth.c - OAuth grants of installs and pending consent states (store/oauth.h).
 *
 * The refresh lease is a conditional UPDATE (only when no live lease is held), which both
 * backends make atomic: SQLite serializes writers, PostgreSQL re-checks the WHERE on the
 * row it locked. Storing refreshed tokens is conditional on still holding the lease, so a
 * process whose lease ran out cannot overwrite what the next holder stored. A consent
 * state is taken by DELETE ... RETURNING: whoever deletes the row has it, once. */
#include <stdlib.h>
#include <string.h>

#include "store/oauth.h"
#include "store/store_int.h"

#define GRANT_COLUMNS                                                                         \
    "tenant_id, install_id, refresh_sealed, access_sealed, expires_at, scope, source_hash, "  \
    "generation, updated_at"

void store_oauth_grant_clear(struct oauth_grant *g)
{
    free(g->refresh_sealed);
    free(g->access_sealed);
    memset(g, 0, sizeof *g);
}

void store_oauth_state_clear(struct oauth_state *st)
{
    free(st->verifier_sealed);
    memset(st, 0, sizeof *st);
}

static char *text_or_null(const struct store_row *row, int col)
{
    return store_row_is_null(row, col) ? NULL : strdup(store_row_text(row, col));
}

struct grant_read {
    struct oauth_grant *g;
    bool found, failed;
};

static int read_grant(void *ctx, const struct store_row *row)
{
    struct grant_read *r = ctx;
    struct oauth_grant *g = r->g;
    r->found = true;
    g->refresh_sealed = text_or_null(row, 2);
    g->access_sealed = text_or_null(row, 3);
    if (store_row_copy(row, 0, g->tenant_id, sizeof g->tenant_id) < 0 ||
        store_row_copy(row, 1, g->install_id, sizeof g->install_id) < 0 ||
        store_row_copy(row, 4, g->expires_at, sizeof g->expires_at) < 0 ||
        store_row_copy(row, 5, g->scope, sizeof g->scope) < 0 ||
        store_row_copy(row, 6, g->source_hash, sizeof g->source_hash) < 0 ||
        store_row_copy(row, 8, g->updated_at, sizeof g->updated_at) < 0 ||
        (!store_row_is_null(row, 2) && !g->refresh_sealed) ||
        (!store_row_is_null(row, 3) && !g->access_sealed))
        r->failed = true;
    g->generation = store_row_int(row, 7);
    return 0;
}

int store_oauth_get(struct store *s, const char *tenant_id, const char *install_id,
                    struct oauth_grant *out, struct error *err)
{
    struct store_param p[] = {P_TEXT(tenant_id), P_TEXT(install_id)};
    struct grant_read r = {.g = out};
    memset(out, 0, sizeof *out);
    if (store_run(s,
                  "SELECT " GRANT_COLUMNS " FROM oauth_tokens "
                  "WHERE tenant_id = $1 AND install_id = $2",
                  p, N_PARAMS(p), read_grant, &r, NULL, err) < 0)
        return -1;
    if (r.failed) {
        store_oauth_grant_clear(out);
        return error_set(err, ERR_STORE, "cannot read the OAuth grant of %s", install_id);
    }
    return r.found ? 0 : error_set(err, ERR_NOT_FOUND, "no OAuth grant");
}

static void now_text(char out[CLOCK_RFC3339_LEN])
{
    clock_format_rfc3339(clock_now_ms(), out);
}

int store_oauth_seed(struct store *s, const char *tenant_id, const char *install_id,
                     const char *refresh_sealed, const char *source_hash, struct error *err)
{
    char now[CLOCK_RFC3339_LEN];
    now_text(now);
    struct store_param p[] = {P_TEXT(install_id), P_TEXT(tenant_id), P_TEXT(refresh_sealed),
                              P_TEXT(source_hash), P_TEXT(now)};
    /* A grant from the consent flow (source_hash NULL) is not replaced by a setting. */
    return store_run(s,
                     "INSERT INTO oauth_tokens (install_id, tenant_id, refresh_sealed, "
                     "  source_hash, generation, updated_at) VALUES ($1, $2, $3, $4, 1, $5) "
                     "ON CONFLICT (install_id) DO UPDATE SET "
                     "  refresh_sealed = excluded.refresh_sealed, access_sealed = NULL, "
                     "  expires_at = NULL, scope = NULL, source_hash = excluded.source_hash, "
                     "  generation = oauth_tokens.generation + 1, "
                     "  updated_at = excluded.updated_at "
                     "WHERE oauth_tokens.tenant_id = excluded.tenant_id "
                     "  AND oauth_tokens.source_hash IS NOT NULL "
                     "  AND oauth_tokens.source_hash <> excluded.source_hash",
                     p, N_PARAMS(p), NULL, NULL, NULL, err);
}

int store_oauth_connect(struct store *s, const char *tenant_id, const char *install_id,
                        const char *refresh_sealed, const char *access_sealed,
                        const char *expires_at, const char *scope, struct error *err)
{
    char now[CLOCK_RFC3339_LEN];
    now_text(now);
    struct store_param p[] = {P_TEXT(install_id), P_TEXT(tenant_id),   P_TEXT(refresh_sealed),
                              P_TEXT(access_sealed), P_TEXT(expires_at), P_TEXT(scope),
                              P_TEXT(now)};
    int64_t changes = 0;
    if (store_run(s,
                  "INSERT INTO oauth_tokens (install_id, tenant_id, refresh_sealed, "
                  "  access_sealed, expires_at, scope, generation, updated_at) "
                  "VALUES ($1, $2, $3, $4, $5, $6, 1, $7) "
                  "ON CONFLICT (install_id) DO UPDATE SET "
                  "  refresh_sealed = excluded.refresh_sealed, "
                  "  access_sealed = excluded.access_sealed, expires_at = excluded.expires_at, "
                  "  scope = excluded.scope, source_hash = NULL, lease_id = NULL, "
                  "  lease_until_ms = NULL, generation = oauth_tokens.generation + 1, "
                  "  updated_at = excluded.updated_at "
                  "WHERE oauth_tokens.tenant_id = excluded.tenant_id",
                  p, N_PARAMS(p), NULL, NULL, &changes, err) < 0)
        return -1;
    return changes == 1 ? 0 : error_set(err, ERR_NOT_FOUND, "no such install");
}

int store_oauth_lease(struct store *s, const char *tenant_id, const char *install_id,
                      const char *lease_id, int64_t now_ms, int64_t until_ms, bool *taken,
                      struct error *err)
{
    struct store_param p[] = {P_TEXT(tenant_id), P_TEXT(install_id), P_TEXT(lease_id),
                              P_INT(now_ms), P_INT(until_ms)};
    int64_t changes = 0;
    *taken = false;
    if (store_run(s,
                  "UPDATE oauth_tokens SET lease_id = $3, lease_until_ms = $5 "
                  "WHERE tenant_id = $1 AND install_id = $2 "
                  "  AND (lease_id IS NULL OR lease_until_ms < $4)",
                  p, N_PARAMS(p), NULL, NULL, &changes, err) < 0)
        return -1;
    *taken = changes == 1;
    return 0;
}

int store_oauth_refreshed(struct store *s, const char *tenant_id, const char *install_id,
                          const char *lease_id, const char *refresh_sealed,
                          const char *access_sealed, const char *expires_at, const char *scope,
                          struct error *err)
{
    char now[CLOCK_RFC3339_LEN];
    now_text(now);
    struct store_param p[] = {P_TEXT(tenant_id),     P_TEXT(install_id), P_TEXT(lease_id),
                              P_TEXT(refresh_sealed), P_TEXT(access_sealed),
                              P_TEXT(expires_at),     P_TEXT(scope),      P_TEXT(now)};
    int64_t changes = 0;
    if (store_run(s,
                  "UPDATE oauth_tokens SET refresh_sealed = COALESCE($4, refresh_sealed), "
                  "  access_sealed = $5, expires_at = $6, scope = COALESCE($7, scope), "
                  "  generation = generation + 1, lease_id = NULL, lease_until_ms = NULL, "
                  "  updated_at = $8 "
                  "WHERE tenant_id = $1 AND install_id = $2 AND lease_id = $3",
                  p, N_PARAMS(p), NULL, NULL, &changes, err) < 0)
        return -1;
    return changes == 1 ? 0
                        : error_set(err, ERR_CONFLICT,
                                    "the refresh lease ran out before the tokens were stored");
}

int store_oauth_release(struct store *s, const char *tenant_id, const char *install_id,
                        const char *lease_id, struct error *err)
{
    struct store_param p[] = {P_TEXT(tenant_id), P_TEXT(install_id), P_TEXT(lease_id)};
    return store_run(s,
                     "UPDATE oauth_tokens SET lease_id = NULL, lease_until_ms = NULL "
                     "WHERE tenant_id = $1 AND install_id = $2 AND lease_id = $3",
                     p, N_PARAMS(p), NULL, NULL, NULL, err);
}

int store_oauth_invalidate(struct store *s, const char *tenant_id, const char *install_id,
                           struct error *err)
{
    struct store_param p[] = {P_TEXT(tenant_id), P_TEXT(install_id)};
    return store_run(s,
                     "UPDATE oauth_tokens SET access_sealed = NULL, expires_at = NULL "
                     "WHERE tenant_id = $1 AND install_id = $2",
                     p, N_PARAMS(p), NULL, NULL, NULL, err);
}

int store_oauth_state_insert(struct store *s, const char *state_hash,
                             const struct oauth_state *st, const char *now_at,
                             struct error *err)
{
    struct store_param sweep[] = {P_TEXT(now_at)};
    struct store_param p[] = {P_TEXT(state_hash),          P_TEXT(st->tenant_id),
                              P_TEXT(st->install_id),      P_TEXT(st->verifier_sealed),
                              P_TEXT(st->redirect_uri),    P_TEXT(st->expires_at),
                              P_TEXT(now_at)};
    if (store_run(s, "DELETE FROM oauth_states WHERE expires_at < $1", sweep, N_PARAMS(sweep),
                  NULL, NULL, NULL, err) < 0)
        return -1;
    return store_run(s,
                     "INSERT INTO oauth_states (state_hash, tenant_id, install_id, "
                     "  verifier_sealed, redirect_uri, expires_at, created_at) "
                     "VALUES ($1, $2, $3, $4, $5, $6, $7)",
                     p, N_PARAMS(p), NULL, NULL, NULL, err);
}

struct state_read {
    struct oauth_state *st;
    bool found, failed;
};

static int read_state(void *ctx, const struct store_row *row)
{
    struct state_read *r = ctx;
    struct oauth_state *st = r->st;
    r->found = true;
    st->verifier_sealed = text_or_null(row, 2);
    if (store_row_copy(row, 0, st->tenant_id, sizeof st->tenant_id) < 0 ||
        store_row_copy(row, 1, st->install_id, sizeof st->install_id) < 0 ||
        store_row_copy(row, 3, st->redirect_uri, sizeof st->redirect_uri) < 0 ||
        store_row_copy(row, 4, st->expires_at, sizeof st->expires_at) < 0 ||
        (!store_row_is_null(row, 2) && !st->verifier_sealed))
        r->failed = true;
    return 0;
}

int store_oauth_state_take(struct store *s, const char *state_hash, struct oauth_state *out,
                           struct error *err)
{
    struct store_param p[] = {P_TEXT(state_hash)};
    struct state_read r = {.st = out};
    memset(out, 0, sizeof *out);
    if (store_run(s,
                  "DELETE FROM oauth_states WHERE state_hash = $1 "
                  "RETURNING tenant_id, install_id, verifier_sealed, redirect_uri, expires_at",
                  p, N_PARAMS(p), read_state, &r, NULL, err) < 0)
        return -1;
    if (r.failed) {
        store_oauth_state_clear(out);
        return error_set(err, ERR_STORE, "cannot read an OAuth state");
    }
    return r.found ? 0 : error_set(err, ERR_NOT_FOUND, "unknown or used state");
}
