/* store/documents.h - the document store's rows (migration 20), written and read in
 * q_documents.c: one row per file a tenant received, unique per (tenant, SHA-256), what a
 * reader made of it, and its original bytes (base64 TEXT in document_files, read only when
 * the file itself is asked for). Conventions as in store/store.h. */
#ifndef CONNECTORD_STORE_DOCUMENTS_H
#define CONNECTORD_STORE_DOCUMENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/clock.h"
#include "core/error.h"
#include "crypto/crypto.h"
#include "store/store.h"

struct document_record {
    char id[CRYPTO_ID_MAX];
    char sha256[2 * CRYPTO_SHA256_LEN + 1]; /* lowercase hex */
    char media_type[32];
    int64_t size_bytes;
    char filename[256];   /* "" when none was given */
    char source[STORE_SLUG_MAX];
    char source_ref[256]; /* "" when none */
    char reader[16];
    const char *reading;  /* JSON text; valid during the callback / owned by the record */
    int64_t confidence;   /* 0..100 */
    char status[12];      /* "review", "confirmed" */
    char invoice_id[CRYPTO_ID_MAX]; /* "" until confirmed */
    char created_at[CLOCK_RFC3339_LEN];
    char confirmed_at[CLOCK_RFC3339_LEN];
};

/* Inserts the document and its bytes (content_b64) in one transaction unless the tenant
 * has a document with the same sha256: then *duplicate is true, nothing is written and
 * rec->id is the existing document's. The unique index decides, so two concurrent
 * ingests of one file make one document. rec->id and created_at are filled in. */
int store_document_insert(struct store *s, const char *tenant_id, struct document_record *rec,
                          const char *content_b64, bool *duplicate, struct error *err);

/* The id of the tenant's document with this SHA-256 into id_out, or *found false. A hint
 * only (the insert's unique index decides): it spares reading a file received before. */
int store_document_find_sha(struct store *s, const char *tenant_id, const char *sha256,
                            char id_out[CRYPTO_ID_MAX], bool *found, struct error *err);

/* Newest first; status NULL: every status. The record handed to fn lives for the call. */
int store_document_list(struct store *s, const char *tenant_id, const char *status,
                        const struct store_page *page,
                        int (*fn)(void *ctx, const struct document_record *d), void *ctx,
                        struct error *err);

/* The tenant's document (ERR_NOT_FOUND also for another tenant's id). out->reading is
 * malloc'd: free it with store_document_free(). */
int store_document_get(struct store *s, const char *tenant_id, const char *id,
                       struct document_record *out, struct error *err);
void store_document_free(struct document_record *d);

/* The document's bytes as stored (base64 text, malloc'd into *out). */
int store_document_content(struct store *s, const char *tenant_id, const char *id, char **out,
                           struct error *err);

/* Within the transaction that books its invoice: marks the document confirmed with the
 * invoice and what was finally booked (reading). ERR_CONFLICT when it was confirmed
 * already (a second confirm, or a concurrent one: the conditional update decides). */
int store_document_confirm(struct store_tx *tx, const char *tenant_id, const char *id,
                           const char *invoice_id, const char *reading, struct error *err);

/* A supplier of the tenant whose name equals `name` ignoring case, or *found false. */
int store_supplier_by_name(struct store_tx *tx, const char *tenant_id, const char *name,
                           char id_out[CRYPTO_ID_MAX], bool *found, struct error *err);

#endif
