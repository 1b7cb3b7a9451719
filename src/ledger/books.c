/* ledger/books.c - the evidence that the books were not changed after the fact: verifying a
 * tenant's hash chains, and tying each export to the chain head it was made from.
 *
 * The chains themselves (serialization, links, recomputation) are the store's
 * (store/chain.c): they are written in the booking's own transaction. This file turns a
 * verification into the answer that GET /api/ledger/verify and `connectord books verify`
 * give, and makes an export's head exact. */
#include <stdio.h>
#include <string.h>

#include "ledger/ledger.h"

#define EXPORT_TRIES 3

static json_t *head_json(const struct store_chain_head *h)
{
    return json_pack("{s:I, s:s}", "seq", (json_int_t)h->seq, "hash", h->hash);
}

static json_t *mismatch_json(enum store_chain chain, const struct store_chain_check *c)
{
    if (c->ok)
        return json_null();
    return json_pack("{s:s, s:o, s:o, s:s}", "chain", store_chain_name(chain), "id",
                     c->mismatch_id[0] ? json_string(c->mismatch_id) : json_null(), "seq",
                     c->mismatch_seq ? json_integer(c->mismatch_seq) : json_null(), "reason",
                     c->reason);
}

int ledger_books_verify(struct store *s, const char *tenant_id, json_t **out, struct error *err)
{
    struct store_chain_check checks[STORE_CHAIN_COUNT];
    *out = NULL;
    for (int i = 0; i < STORE_CHAIN_COUNT; i++)
        if (store_chain_verify(s, tenant_id, (enum store_chain)i, &checks[i], err) < 0)
            return -1;
    json_t *o = json_object(), *heads = json_object(), *chains = json_array();
    json_t *first = NULL;
    json_int_t rows = 0, pending = 0;
    bool ok = true;
    int rc = !o || !heads || !chains;
    for (int i = 0; i < STORE_CHAIN_COUNT && !rc; i++) {
        const struct store_chain_check *c = &checks[i];
        const char *name = store_chain_name((enum store_chain)i);
        rows += c->rows;
        pending += c->pending;
        if (!c->ok && !first)
            first = mismatch_json((enum store_chain)i, c);
        ok = ok && c->ok;
        rc |= json_object_set_new(heads, name, head_json(&c->head));
        rc |= json_array_append_new(
            chains, json_pack("{s:s, s:b, s:I, s:I, s:o, s:o}", "chain", name, "ok", c->ok,
                              "rowsChecked", (json_int_t)c->rows, "pendingLinks",
                              (json_int_t)c->pending, "head", head_json(&c->head),
                              "firstMismatch", mismatch_json((enum store_chain)i, c)));
    }
    if (!rc) {
        rc |= json_object_set_new(o, "ok", json_boolean(ok));
        rc |= json_object_set_new(o, "rowsChecked", json_integer(rows));
        rc |= json_object_set_new(o, "pendingLinks", json_integer(pending));
        rc |= json_object_set_new(o, "head", heads);
        heads = NULL;
        rc |= json_object_set_new(o, "firstMismatch", first ? first : json_null());
        first = NULL;
        rc |= json_object_set_new(o, "chains", chains);
        chains = NULL;
    }
    json_decref(heads);
    json_decref(chains);
    json_decref(first);
    if (rc) {
        json_decref(o);
        return error_set(err, ERR_INTERNAL, "out of memory");
    }
    *out = o;
    return 0;
}

int ledger_export_at_head(struct store *s, const char *tenant_id,
                          int (*run)(void *ctx, struct error *err), void *ctx,
                          struct store_chain_head *head, struct error *err)
{
    for (int i = 0; i < EXPORT_TRIES; i++) {
        struct store_chain_head after;
        /* Entries booked but not yet linked (PostgreSQL links them right after their
         * commit) are linked before each head is read, so a head covers every entry
         * committed before it was read. */
        if (store_chain_link_pending(s, tenant_id, err) < 0 ||
            store_chain_head_get(s, tenant_id, STORE_CHAIN_JOURNAL, head, err) < 0 ||
            run(ctx, err) < 0 || store_chain_link_pending(s, tenant_id, err) < 0 ||
            store_chain_head_get(s, tenant_id, STORE_CHAIN_JOURNAL, &after, err) < 0)
            return -1;
        /* The export's reads saw every booking up to `head` and none after `after`: when
         * both are one head, it was made from exactly that one. */
        if (after.seq == head->seq && strcmp(after.hash, head->hash) == 0)
            return 0;
    }
    return error_set(err, ERR_UNAVAILABLE,
                     "the books kept changing while the export was made; try again");
}

int ledger_export_record(struct store *s, const char *tenant_id, const char *kind,
                         const char *period, const struct store_chain_head *head,
                         const char *actor, struct error *err)
{
    struct export_log_entry e = {.chain_seq = head->seq};
    snprintf(e.tenant_id, sizeof e.tenant_id, "%s", tenant_id);
    snprintf(e.kind, sizeof e.kind, "%s", kind);
    snprintf(e.period, sizeof e.period, "%s", period);
    snprintf(e.chain_head, sizeof e.chain_head, "%s", head->hash);
    snprintf(e.actor, sizeof e.actor, "%s", actor);
    return store_export_log_add(s, &e, err);
}
