/* store/q_projects.c - a tenant's projects: named groups of destinations and their events.
 *
 * Every tenant has a default project whose id is the tenant's own (made with the tenant,
 * and by migration 8 for the tenants made before), so project ids in URLs that were the
 * tenant's id keep their meaning. */
#include <string.h>

#include "store/installs.h"
#include "store/store_int.h"

struct project_ctx {
    int (*fn)(void *ctx, const struct project *p);
    void *ctx;
    struct project *one;
};

static int project_row(void *ctx, const struct store_row *row)
{
    struct project_ctx *c = ctx;
    struct project p = {0};
    store_row_copy(row, 0, p.id, sizeof p.id);
    store_row_copy(row, 1, p.name, sizeof p.name);
    store_row_copy(row, 2, p.created_at, sizeof p.created_at);
    if (c->one) {
        *c->one = p;
        return 1;
    }
    return c->fn(c->ctx, &p);
}

int store_project_create(struct store *s, const char *tenant_id, struct project *p,
                         const struct audit_entry *audit, struct error *err)
{
    if (crypto_id_new("prj_", p->id) < 0)
        return error_set(err, ERR_INTERNAL, "no randomness available");
    clock_format_rfc3339(clock_now_ms(), p->created_at);
    struct store_tx *tx = NULL;
    struct store_param row[] = {P_TEXT(p->id), P_TEXT(tenant_id), P_TEXT(p->name),
                                P_TEXT(p->created_at)};
    if (store_tx_begin(s, &tx, err) < 0)
        return -1;
    if (store_tx_query(tx,
                       "INSERT INTO projects (id, tenant_id, name, created_at) "
                       "VALUES ($1, $2, $3, $4)",
                       row, N_PARAMS(row), NULL, NULL, NULL, err) < 0 ||
        store_tx_audit(tx, tenant_id, audit, err) < 0) {
        store_tx_rollback(tx);
        return -1;
    }
    return store_tx_commit(tx, err);
}

int store_project_list(struct store *s, const char *tenant_id,
                       int (*fn)(void *ctx, const struct project *p), void *ctx,
                       struct error *err)
{
    struct project_ctx c = {.fn = fn, .ctx = ctx};
    struct store_param p[] = {P_TEXT(tenant_id)};
    /* the default project (id = tenant id) first, then by age */
    return store_run(s,
                     "SELECT id, name, created_at FROM projects WHERE tenant_id = $1 "
                     "ORDER BY CASE WHEN id = $1 THEN 0 ELSE 1 END, created_at, id",
                     p, N_PARAMS(p), project_row, &c, NULL, err);
}

int store_project_get(struct store *s, const char *tenant_id, const char *id,
                      struct project *out, struct error *err)
{
    struct project_ctx c = {.one = out};
    struct store_param p[] = {P_TEXT(tenant_id), P_TEXT(id)};
    memset(out, 0, sizeof *out);
    if (store_run(s, "SELECT id, name, created_at FROM projects WHERE tenant_id = $1 AND id = $2",
                  p, N_PARAMS(p), project_row, &c, NULL, err) < 0)
        return -1;
    return out->id[0] ? 0 : error_set(err, ERR_NOT_FOUND, "project not found");
}
