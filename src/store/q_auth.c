/* store/q_auth.c - tenants and API tokens. */
#include <string.h>

#include "store/installs.h"
#include "store/store_int.h"

static int read_tenant(void *ctx, const struct store_row *row)
{
    struct tenant *t = ctx;
    if (store_row_copy(row, 0, t->id, sizeof t->id) < 0 ||
        store_row_copy(row, 1, t->name, sizeof t->name) < 0 ||
        store_row_copy(row, 2, t->plan, sizeof t->plan) < 0 ||
        store_row_copy(row, 3, t->created_at, sizeof t->created_at) < 0)
        t->id[0] = '\0';
    return 1; /* one row is all we want */
}

static int copy_field(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    if (n >= cap)
        return -1;
    memcpy(dst, src, n + 1);
    return 0;
}

/* The columns every token read starts with, in this order (read_token_columns). */
#define TOKEN_COLUMNS                                                                         \
    "k.id, k.tenant_id, k.role, k.token_hash, k.last_used_at, k.name, k.created_at, "         \
    "k.expires_at, k.revoked_at, k.read_only"
#define TOKEN_N_COLUMNS 10

static int read_token_columns(const struct store_row *row, struct api_token *t)
{
    if (store_row_copy(row, 0, t->id, sizeof t->id) < 0 ||
        store_row_copy(row, 1, t->tenant_id, sizeof t->tenant_id) < 0 ||
        store_row_copy(row, 2, t->role, sizeof t->role) < 0 ||
        store_row_copy(row, 3, t->token_hash, sizeof t->token_hash) < 0 ||
        store_row_copy(row, 4, t->last_used_at, sizeof t->last_used_at) < 0 ||
        store_row_copy(row, 5, t->name, sizeof t->name) < 0 ||
        store_row_copy(row, 6, t->created_at, sizeof t->created_at) < 0 ||
        store_row_copy(row, 7, t->expires_at, sizeof t->expires_at) < 0 ||
        store_row_copy(row, 8, t->revoked_at, sizeof t->revoked_at) < 0)
        return -1;
    t->read_only = store_row_int(row, 9) != 0;
    return 0;
}

static int insert_token(struct store *s, struct store_conn *c, struct api_token *t,
                        struct error *err)
{
    if (crypto_id_new("tok_", t->id) < 0)
        return error_set(err, ERR_INTERNAL, "no randomness available");
    clock_format_rfc3339(clock_now_ms(), t->created_at);
    struct store_param p[] = {P_TEXT(t->id),         P_TEXT(t->tenant_id),
                              P_TEXT(t->role),       P_TEXT(t->token_hash),
                              P_TEXT(t->created_at), P_TEXT(t->name[0] ? t->name : NULL),
                              P_TEXT(t->expires_at[0] ? t->expires_at : NULL),
                              P_INT(t->read_only ? 1 : 0)};
    return store_query(s, c,
                       "INSERT INTO api_tokens (id, tenant_id, role, token_hash, created_at, "
                       "name, expires_at, read_only) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                       p, N_PARAMS(p), NULL, NULL, NULL, err);
}

int store_tenant_create(struct store *s, const char *name, const char *plan,
                        const char *admin_token_hash, struct tenant *out_tenant,
                        struct api_token *out_token, struct error *err)
{
    struct tenant t = {0};
    struct api_token tok = {0};
    if (copy_field(t.name, sizeof t.name, name) < 0 ||
        copy_field(t.plan, sizeof t.plan, plan) < 0 ||
        copy_field(tok.token_hash, sizeof tok.token_hash, admin_token_hash) < 0)
        return error_set(err, ERR_VALIDATION, "tenant name, plan or token hash too long");
    if (crypto_id_new("ten_", t.id) < 0)
        return error_set(err, ERR_INTERNAL, "no randomness available");
    memcpy(tok.tenant_id, t.id, sizeof t.id);
    strcpy(tok.role, "admin");
    clock_format_rfc3339(clock_now_ms(), t.created_at);

    struct store_param p[] = {P_TEXT(t.id), P_TEXT(t.name), P_TEXT(t.plan), P_TEXT(t.created_at)};
    struct store_conn *c = store_acquire(s);
    int rc = store_begin(s, c, err);
    if (rc == 0)
        rc = store_query(s, c,
                         "INSERT INTO tenants (id, name, plan, created_at) VALUES ($1, $2, $3, $4)",
                         p, N_PARAMS(p), NULL, NULL, NULL, err);
    if (rc == 0) /* the default project: its id is the tenant's (migration 8) */
        rc = store_query(s, c,
                         "INSERT INTO projects (id, tenant_id, name, created_at) "
                         "VALUES ($1, $1, $2, $4)",
                         p, N_PARAMS(p), NULL, NULL, NULL, err);
    if (rc == 0)
        rc = insert_token(s, c, &tok, err);
    rc = store_end(s, c, rc, err);
    if (rc == 0) {
        if (out_tenant)
            *out_tenant = t;
        if (out_token)
            *out_token = tok;
    }
    return rc;
}

int store_tenant_rename(struct store *s, const char *id, const char *name, struct error *err)
{
    struct store_param p[] = {P_TEXT(name), P_TEXT(id)};
    int64_t changed = 0;
    if (store_run(s, "UPDATE tenants SET name = $1 WHERE id = $2", p, N_PARAMS(p), NULL, NULL,
                  &changed, err) < 0)
        return -1;
    return changed ? 0 : error_set(err, ERR_NOT_FOUND, "tenant not found");
}

int store_tenant_get(struct store *s, const char *id, struct tenant *out, struct error *err)
{
    struct store_param p[] = {P_TEXT(id)};
    out->id[0] = '\0';
    if (store_run(s, "SELECT id, name, plan, created_at FROM tenants WHERE id = $1", p,
                  N_PARAMS(p), read_tenant, out, NULL, err) < 0)
        return -1;
    if (!out->id[0])
        return error_set(err, ERR_NOT_FOUND, "tenant not found");
    return 0;
}

#define TENANT_WALK_BAD_ROW (-2)

struct tenant_walk {
    int (*fn)(void *ctx, const struct tenant *t);
    void *ctx;
    int rc;
};

static int walk_tenant(void *ctx, const struct store_row *row)
{
    struct tenant_walk *w = ctx;
    struct tenant t;
    read_tenant(&t, row);
    if (!t.id[0]) {
        w->rc = TENANT_WALK_BAD_ROW;
        return 1;
    }
    w->rc = w->fn(w->ctx, &t);
    return w->rc < 0; /* the caller's failure stops the walk */
}

int store_tenant_list(struct store *s, int (*fn)(void *ctx, const struct tenant *t), void *ctx,
                      struct error *err)
{
    struct tenant_walk w = {.fn = fn, .ctx = ctx};
    if (store_run(s, "SELECT id, name, plan, created_at FROM tenants ORDER BY created_at, id",
                  NULL, 0, walk_tenant, &w, NULL, err) < 0)
        return -1;
    if (w.rc == TENANT_WALK_BAD_ROW)
        return error_set(err, ERR_STORE, "a tenant row does not fit its fields");
    return w.rc < 0 ? error_set(err, ERR_IO, "the tenant list could not be written") : 0;
}

static int read_count(void *ctx, const struct store_row *row)
{
    *(int64_t *)ctx = store_row_int(row, 0);
    return 1;
}

int store_tenant_count(struct store *s, int64_t *count, struct error *err)
{
    *count = 0;
    return store_run(s, "SELECT COUNT(*) FROM tenants", NULL, 0, read_count, count, NULL, err);
}

int store_token_create(struct store *s, const char *tenant_id, const char *role,
                       const char *token_hash, struct api_token *out, struct error *err)
{
    struct api_token t = {0};
    if (copy_field(t.tenant_id, sizeof t.tenant_id, tenant_id) < 0 ||
        copy_field(t.role, sizeof t.role, role) < 0 ||
        copy_field(t.token_hash, sizeof t.token_hash, token_hash) < 0)
        return error_set(err, ERR_NOT_FOUND, "tenant not found");
    int rc = store_token_issue(s, &t, NULL, err);
    if (rc == 0 && out)
        *out = t;
    return rc;
}

int store_token_issue(struct store *s, struct api_token *t, const struct audit_entry *audit,
                      struct error *err)
{
    struct store_tx *tx = NULL;
    if (store_tx_begin(s, &tx, err) < 0)
        return -1;
    int rc = insert_token(s, store_tx_conn(tx), t, err);
    if (rc == 0 && audit) {
        struct audit_entry a = *audit;
        a.target = t->id;
        rc = store_tx_audit(tx, t->tenant_id, &a, err);
    }
    if (rc < 0) {
        store_tx_rollback(tx);
        if (err && err->code == ERR_NOT_FOUND)
            return error_set(err, ERR_NOT_FOUND, "tenant %s not found", t->tenant_id);
        return -1;
    }
    return store_tx_commit(tx, err);
}

struct token_list_ctx {
    int (*fn)(void *ctx, const struct api_token *t);
    void *ctx;
};

static int list_token_row(void *ctx, const struct store_row *row)
{
    struct token_list_ctx *l = ctx;
    struct api_token t = {0};
    if (read_token_columns(row, &t) < 0)
        return 1; /* a row that does not fit the struct ends the list, never half read */
    t.token_hash[0] = '\0'; /* never handed out of the store's reads */
    return l->fn(l->ctx, &t);
}

int store_token_list(struct store *s, const char *tenant_id, const struct store_page *page,
                     int (*fn)(void *ctx, const struct api_token *t), void *ctx,
                     struct error *err)
{
    /* "~" sorts after every id: no cursor reads from the newest. */
    struct store_param p[] = {P_TEXT(tenant_id), P_TEXT(page->before ? page->before : "~"),
                              P_INT(page->limit)};
    struct token_list_ctx l = {.fn = fn, .ctx = ctx};
    return store_run(s,
                     "SELECT " TOKEN_COLUMNS " FROM api_tokens k WHERE k.tenant_id = $1 "
                     "AND k.id < $2 ORDER BY k.id DESC LIMIT $3",
                     p, N_PARAMS(p), list_token_row, &l, NULL, err);
}

static int read_one_token(void *ctx, const struct store_row *row)
{
    struct api_token *t = ctx;
    if (read_token_columns(row, t) < 0)
        t->id[0] = '\0';
    t->token_hash[0] = '\0';
    return 1;
}

int store_token_revoke(struct store *s, const char *tenant_id, const char *token_id,
                       int64_t now_ms, const struct audit_entry *audit, struct api_token *out,
                       struct error *err)
{
    char now[CLOCK_RFC3339_LEN];
    clock_format_rfc3339(now_ms, now);
    struct store_param up[] = {P_TEXT(now), P_TEXT(tenant_id), P_TEXT(token_id)};
    struct store_param get[] = {P_TEXT(tenant_id), P_TEXT(token_id)};
    struct store_tx *tx = NULL;
    int64_t changed = 0;
    memset(out, 0, sizeof *out);
    if (store_tx_begin(s, &tx, err) < 0)
        return -1;
    struct store_conn *c = store_tx_conn(tx);
    if (store_query(s, c,
                    "UPDATE api_tokens SET revoked_at = $1 WHERE tenant_id = $2 AND id = $3 "
                    "AND revoked_at IS NULL",
                    up, N_PARAMS(up), NULL, NULL, &changed, err) < 0 ||
        (changed && audit && store_tx_audit(tx, tenant_id, audit, err) < 0) ||
        store_query(s, c,
                    "SELECT " TOKEN_COLUMNS " FROM api_tokens k WHERE k.tenant_id = $1 "
                    "AND k.id = $2",
                    get, N_PARAMS(get), read_one_token, out, NULL, err) < 0) {
        store_tx_rollback(tx);
        return -1;
    }
    if (store_tx_commit(tx, err) < 0)
        return -1;
    if (!out->id[0])
        return error_set(err, ERR_NOT_FOUND, "no token %.40s", token_id);
    return 0;
}

static int read_token(void *ctx, const struct store_row *row)
{
    struct api_token *t = ctx;
    if (read_token_columns(row, t) < 0 ||
        store_row_copy(row, 1, t->tenant.id, sizeof t->tenant.id) < 0 ||
        store_row_copy(row, TOKEN_N_COLUMNS, t->tenant.name, sizeof t->tenant.name) < 0 ||
        store_row_copy(row, TOKEN_N_COLUMNS + 1, t->tenant.plan, sizeof t->tenant.plan) < 0 ||
        store_row_copy(row, TOKEN_N_COLUMNS + 2, t->tenant.created_at,
                       sizeof t->tenant.created_at) < 0)
        t->id[0] = '\0';
    return 1;
}

int store_token_find(struct store *s, const char *token_hash, struct api_token *out,
                     struct error *err)
{
    struct store_param p[] = {P_TEXT(token_hash)};
    memset(out, 0, sizeof *out);
    if (store_run(s,
                  /* the tenant comes along: one read per authenticated request */
                  "SELECT " TOKEN_COLUMNS ", t.name, t.plan, t.created_at FROM api_tokens k "
                  "JOIN tenants t ON t.id = k.tenant_id WHERE k.token_hash = $1",
                  p, N_PARAMS(p), read_token, out, NULL, err) < 0)
        return -1;
    if (!out->id[0])
        return error_set(err, ERR_NOT_FOUND, "token not found");
    return 0;
}

int store_token_touch(struct store *s, const char *token_id, int64_t now_ms, struct error *err)
{
    char now[CLOCK_RFC3339_LEN];
    clock_format_rfc3339(now_ms, now);
    struct store_param p[] = {P_TEXT(now), P_TEXT(token_id)};
    return store_run(s, "UPDATE api_tokens SET last_used_at = $1 WHERE id = $2", p, N_PARAMS(p),
                     NULL, NULL, NULL, err);
}
