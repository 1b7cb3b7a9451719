/* store/q_documents.c - the document store's SQL (store/documents.h).
 *
 * A document and its bytes are written in one transaction; the unique index on (tenant,
 * sha256) decides duplicates (INSERT ... ON CONFLICT DO NOTHING, then the existing row is
 * read), never a read-then-write check. */
#include <stdlib.h>
#include <string.h>

#include "store/documents.h"
#include "store/store_int.h"

#define DOC_COLUMNS                                                                           \
    "id, sha256, media_type, size_bytes, filename, source, source_ref, reader, reading, "     \
    "confidence, status, invoice_id, created_at, confirmed_at"

struct doc_ctx {
    int (*fn)(void *ctx, const struct document_record *d);
    void *ctx;
    struct document_record *one; /* get: copy here, reading strdup'd */
    bool failed;
};

static int doc_row(void *ctx, const struct store_row *row)
{
    struct doc_ctx *c = ctx;
    struct document_record d = {0};
    if (store_row_copy(row, 0, d.id, sizeof d.id) < 0 ||
        store_row_copy(row, 1, d.sha256, sizeof d.sha256) < 0 ||
        store_row_copy(row, 2, d.media_type, sizeof d.media_type) < 0 ||
        store_row_copy(row, 4, d.filename, sizeof d.filename) < 0 ||
        store_row_copy(row, 5, d.source, sizeof d.source) < 0 ||
        store_row_copy(row, 6, d.source_ref, sizeof d.source_ref) < 0 ||
        store_row_copy(row, 7, d.reader, sizeof d.reader) < 0 ||
        store_row_copy(row, 10, d.status, sizeof d.status) < 0 ||
        store_row_copy(row, 11, d.invoice_id, sizeof d.invoice_id) < 0 ||
        store_row_copy(row, 12, d.created_at, sizeof d.created_at) < 0 ||
        store_row_copy(row, 13, d.confirmed_at, sizeof d.confirmed_at) < 0) {
        c->failed = true;
        return 1;
    }
    d.size_bytes = store_row_int(row, 3);
    d.confidence = store_row_int(row, 9);
    if (c->one) {
        d.reading = strdup(store_row_text(row, 8));
        if (!d.reading) {
            c->failed = true;
            return 1;
        }
        *c->one = d;
        return 1;
    }
    d.reading = store_row_text(row, 8);
    return c->fn(c->ctx, &d);
}

static int existing_id(void *ctx, const struct store_row *row)
{
    store_row_copy(row, 0, ctx, CRYPTO_ID_MAX);
    return 1;
}

int store_document_insert(struct store *s, const char *tenant_id, struct document_record *rec,
                          const char *content_b64, bool *duplicate, struct error *err)
{
    *duplicate = false;
    if (crypto_id_new("doc_", rec->id) < 0)
        return error_set(err, ERR_INTERNAL, "no randomness available");
    clock_format_rfc3339(clock_now_ms(), rec->created_at);
    struct store_param row[] = {
        P_TEXT(rec->id),         P_TEXT(tenant_id),      P_TEXT(rec->sha256),
        P_TEXT(rec->media_type), P_INT(rec->size_bytes), P_TEXT(rec->filename[0] ? rec->filename : NULL),
        P_TEXT(rec->source),     P_TEXT(rec->source_ref[0] ? rec->source_ref : NULL),
        P_TEXT(rec->reader),     P_TEXT(rec->reading),   P_INT(rec->confidence),
        P_TEXT(rec->created_at)};
    struct store_param file[] = {P_TEXT(rec->id), P_TEXT(tenant_id), P_TEXT(content_b64)};
    struct store_tx *tx = NULL;
    int64_t changes = 0;
    if (store_tx_begin(s, &tx, err) < 0)
        return -1;
    if (store_tx_query(tx,
                       "INSERT INTO documents (id, tenant_id, sha256, media_type, size_bytes, "
                       "filename, source, source_ref, reader, reading, confidence, status, "
                       "created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, "
                       "'review', $12) ON CONFLICT (tenant_id, sha256) DO NOTHING",
                       row, N_PARAMS(row), NULL, NULL, &changes, err) < 0)
        goto fail;
    if (changes == 0) {
        struct store_param q[] = {P_TEXT(tenant_id), P_TEXT(rec->sha256)};
        rec->id[0] = '\0';
        if (store_tx_query(tx, "SELECT id FROM documents WHERE tenant_id = $1 AND sha256 = $2",
                           q, N_PARAMS(q), existing_id, rec->id, NULL, err) < 0)
            goto fail;
        store_tx_rollback(tx);
        *duplicate = true;
        return rec->id[0] ? 0 : error_set(err, ERR_STORE, "duplicate document vanished");
    }
    if (store_tx_query(tx,
                       "INSERT INTO document_files (document_id, tenant_id, content_b64) "
                       "VALUES ($1, $2, $3)",
                       file, N_PARAMS(file), NULL, NULL, NULL, err) < 0)
        goto fail;
    return store_tx_commit(tx, err);
fail:
    store_tx_rollback(tx);
    return -1;
}

int store_document_find_sha(struct store *s, const char *tenant_id, const char *sha256,
                            char id_out[CRYPTO_ID_MAX], bool *found, struct error *err)
{
    struct store_param p[] = {P_TEXT(tenant_id), P_TEXT(sha256)};
    id_out[0] = '\0';
    if (store_run(s, "SELECT id FROM documents WHERE tenant_id = $1 AND sha256 = $2", p,
                  N_PARAMS(p), existing_id, id_out, NULL, err) < 0)
        return -1;
    *found = id_out[0] != '\0';
    return 0;
}

/* $1 tenant, $2 limit, $3 status (or NULL), $4 cursor. */
#define DOC_LIST_SQL(after_cursor)                                                            \
    "SELECT " DOC_COLUMNS " FROM documents WHERE tenant_id = $1 "                             \
    "AND (status = $3 OR CAST($3 AS TEXT) IS NULL)" after_cursor " ORDER BY id DESC LIMIT $2"

static const char *const doc_list_sql[] = {DOC_LIST_SQL(""), DOC_LIST_SQL(" AND id < $4")};

int store_document_list(struct store *s, const char *tenant_id, const char *status,
                        const struct store_page *page,
                        int (*fn)(void *ctx, const struct document_record *d), void *ctx,
                        struct error *err)
{
    struct store_param p[] = {P_TEXT(tenant_id), P_INT(page->limit), P_TEXT(status),
                              P_TEXT(page->before)};
    bool after = page->before != NULL;
    struct doc_ctx c = {.fn = fn, .ctx = ctx};
    if (store_run(s, doc_list_sql[after], p, N_PARAMS(p) - !after, doc_row, &c, NULL, err) < 0)
        return -1;
    return c.failed ? error_set(err, ERR_STORE, "a document row does not fit") : 0;
}

int store_document_get(struct store *s, const char *tenant_id, const char *id,
                       struct document_record *out, struct error *err)
{
    struct store_param p[] = {P_TEXT(tenant_id), P_TEXT(id)};
    struct doc_ctx c = {.one = out};
    memset(out, 0, sizeof *out);
    if (store_run(s, "SELECT " DOC_COLUMNS " FROM documents WHERE tenant_id = $1 AND id = $2",
                  p, N_PARAMS(p), doc_row, &c, NULL, err) < 0)
        return -1;
    if (c.failed)
        return error_set(err, ERR_STORE, "a document row does not fit");
    return out->id[0] ? 0 : error_set(err, ERR_NOT_FOUND, "document not found");
}

void store_document_free(struct document_record *d)
{
    if (d) {
        free((char *)d->reading);
        d->reading = NULL;
    }
}

static int content_row(void *ctx, const struct store_row *row)
{
    char **out = ctx;
    *out = strdup(store_row_text(row, 0));
    return 1;
}

int store_document_content(struct store *s, const char *tenant_id, const char *id, char **out,
                           struct error *err)
{
    struct store_param p[] = {P_TEXT(tenant_id), P_TEXT(id)};
    *out = NULL;
    if (store_run(s,
                  "SELECT content_b64 FROM document_files WHERE tenant_id = $1 AND "
                  "document_id = $2",
                  p, N_PARAMS(p), content_row, out, NULL, err) < 0)
        return -1;
    return *out ? 0 : error_set(err, ERR_NOT_FOUND, "document not found");
}

int store_document_confirm(struct store_tx *tx, const char *tenant_id, const char *id,
                           const char *invoice_id, const char *reading, struct error *err)
{
    char now[CLOCK_RFC3339_LEN];
    clock_format_rfc3339(clock_now_ms(), now);
    struct store_param p[] = {P_TEXT(tenant_id), P_TEXT(id), P_TEXT(invoice_id),
                              P_TEXT(reading), P_TEXT(now)};
    int64_t changes = 0;
    if (store_tx_query(tx,
                       "UPDATE documents SET status = 'confirmed', invoice_id = $3, "
                       "reading = $4, confirmed_at = $5 WHERE tenant_id = $1 AND id = $2 "
                       "AND status = 'review'",
                       p, N_PARAMS(p), NULL, NULL, &changes, err) < 0)
        return -1;
    return changes == 1 ? 0 : error_set(err, ERR_CONFLICT, "the document is confirmed already");
}

static int party_id_row(void *ctx, const struct store_row *row)
{
    store_row_copy(row, 0, ctx, CRYPTO_ID_MAX);
    return 1;
}

int store_supplier_by_name(struct store_tx *tx, const char *tenant_id, const char *name,
                           char id_out[CRYPTO_ID_MAX], bool *found, struct error *err)
{
    struct store_param p[] = {P_TEXT(tenant_id), P_TEXT(name)};
    id_out[0] = '\0';
    if (store_tx_query(tx,
                       "SELECT id FROM parties WHERE tenant_id = $1 AND role = 'supplier' "
                       "AND LOWER(name) = LOWER($2) ORDER BY id LIMIT 1",
                       p, N_PARAMS(p), party_id_row, id_out, NULL, err) < 0)
        return -1;
    *found = id_out[0] != '\0';
    return 0;
}
