/* store/tenant_data.h - one tenant's data as a whole: every row of it, table by table, for
 * the tenant archive; loading those rows into another store; removing them all; and the
 * operator log that records these acts.
 *
 * The tables are those of store/tenant_tables.def, in that order, followed by every other
 * table of the schema whose rows carry a tenant_id column; the columns of each row are read
 * from the row itself, so a column or table added by a later migration is archived,
 * imported and deleted without a change here. Values are JSON: SQL NULL is null, integers
 * are numbers, text is a string. Secrets (connector credentials, token hashes, sealed
 * webhook tokens) are rows like the others: archived as stored, encrypted or hashed. */
#ifndef CONNECTORD_STORE_TENANT_DATA_H
#define CONNECTORD_STORE_TENANT_DATA_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"

/* Called per row; row is borrowed for the call. Returns 0 to go on, non-zero to stop (the
 * dump then fails with ERR_IO unless err was set by the callback's caller). */
typedef int (*store_tenant_row_fn)(void *ctx, const char *table, json_t *row);

/* Every row of the tenant from one snapshot of the store (writers are not held up). */
int store_tenant_dump(struct store *s, const char *tenant_id, store_tenant_row_fn fn, void *ctx,
                      struct error *err);

/* Inserts one archived row of tenant_id into table, inside tx. The table must hold tenant
 * data (tenant_tables.def, or a tenant_id column that names tenant_id); the columns must be
 * the table's (ERR_VALIDATION otherwise). */
int store_tenant_row_load(struct store_tx *tx, const char *tenant_id, const char *table,
                          json_t *row, struct error *err);

/* How many rows of table belong to the tenant, by the table's scope (inside tx): after an
 * import, each table must count as many rows as were loaded into it, or some row was
 * attached to another tenant's (an attempt to another tenant's delivery). */
int store_tenant_row_count(struct store_tx *tx, const char *tenant_id, const char *table,
                           int64_t *n, struct error *err);

/* Removes every row of the tenant, children first, in one transaction that first inserts
 * the tenant into tenant_erasures (the books' triggers allow the deletion of booked rows of
 * a tenant listed there) and ends with a tenant_delete row in the operator log: detail
 * (the caller's; gets "rows" and "tables" added) and archive_sha256 (may be NULL). *rows
 * receives the number of rows removed. ERR_NOT_FOUND when there is no such tenant. */
int store_tenant_erase(struct store *s, const char *tenant_id, const char *archive_sha256,
                       json_t *detail, int64_t *rows, struct error *err);

/* A tenant that comes back (an import of its archive) is no longer being erased: its books
 * are protected by the triggers again. Inside the import's transaction. */
int store_tenant_erasure_clear(struct store_tx *tx, const char *tenant_id, struct error *err);

/* The days of the tenant's first and last booking (invoice date or journal entry date),
 * "YYYY-MM-DD", or "" when it has booked nothing. */
int store_tenant_books_span(struct store *s, const char *tenant_id, char first[11],
                            char last[11], struct error *err);

/* The highest schema migration applied. */
int store_schema_version(struct store *s, int64_t *version, struct error *err);

/* ---- the operator log ------------------------------------------------------------------ */

#define STORE_OPLOG_EXPORT "tenant_export"
#define STORE_OPLOG_IMPORT "tenant_import"
#define STORE_OPLOG_DELETE "tenant_delete"

/* Records an act on a whole tenant; detail is a JSON object's text. */
int store_operator_log_add(struct store *s, const char *action, const char *tenant_id,
                           const char *archive_sha256, const char *detail, struct error *err);
/* Whether an archive with this SHA-256 (hex) was made of the tenant. */
int store_operator_log_has_archive(struct store *s, const char *tenant_id, const char *sha256,
                                   bool *found, struct error *err);

#endif
