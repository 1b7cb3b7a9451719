/* store/exports_log.c - which chain head each export was made from (store/chain.h).
 *
 * An advisor who got a DATEV file or a filed VAT return can later ask whether the books
 * changed since: the journal chain's head at export time is kept here, never in the file
 * (its format has no place for it). Records are append-only like the books (store/guard.c). */
#include <string.h>

#include "store/chain.h"
#include "store/store_int.h"

int store_export_log_add(struct store *s, struct export_log_entry *e, struct error *err)
{
    if (crypto_id_new("exl_", e->id) < 0)
        return error_set(err, ERR_INTERNAL, "no randomness available");
    clock_format_rfc3339(clock_now_ms(), e->created_at);
    struct store_param p[] = {P_TEXT(e->id),          P_TEXT(e->tenant_id), P_TEXT(e->kind),
                              P_TEXT(e->period),      P_INT(e->chain_seq),  P_TEXT(e->chain_head),
                              P_TEXT(e->actor),       P_TEXT(e->created_at)};
    return store_run(s,
                     "INSERT INTO exports_log (id, tenant_id, kind, period, chain_seq, "
                     "chain_head, actor, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                     p, N_PARAMS(p), NULL, NULL, NULL, err);
}

struct list_ctx {
    int (*fn)(void *ctx, const struct export_log_entry *e);
    void *ctx;
};

static int log_row(void *ctx, const struct store_row *row)
{
    struct list_ctx *l = ctx;
    struct export_log_entry e = {0};
    store_row_copy(row, 0, e.id, sizeof e.id);
    store_row_copy(row, 1, e.tenant_id, sizeof e.tenant_id);
    store_row_copy(row, 2, e.kind, sizeof e.kind);
    store_row_copy(row, 3, e.period, sizeof e.period);
    e.chain_seq = store_row_int(row, 4);
    store_row_copy(row, 5, e.chain_head, sizeof e.chain_head);
    store_row_copy(row, 6, e.actor, sizeof e.actor);
    store_row_copy(row, 7, e.created_at, sizeof e.created_at);
    return l->fn(l->ctx, &e);
}

int store_export_log_list(struct store *s, const char *tenant_id, const struct store_page *page,
                          int (*fn)(void *ctx, const struct export_log_entry *e), void *ctx,
                          struct error *err)
{
    /* "~" sorts after every id: no cursor reads from the newest. */
    struct store_param p[] = {P_TEXT(tenant_id), P_TEXT(page->before ? page->before : "~"),
                              P_INT(page->limit)};
    struct list_ctx l = {.fn = fn, .ctx = ctx};
    return store_run(s,
                     "SELECT id, tenant_id, kind, period, chain_seq, chain_head, actor, "
                     "created_at FROM exports_log WHERE tenant_id = $1 AND id < $2 "
                     "ORDER BY id DESC LIMIT $3",
                     p, N_PARAMS(p), log_row, &l, NULL, err);
}
