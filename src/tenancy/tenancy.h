/* tenancy/tenancy.h - a tenant's data as a whole: the archive that carries all of it out,
 * its import into another store, and the tenant's deletion.
 *
 * The archive is one stream of JSON lines (UTF-8, '\n' after each line), read top to bottom:
 *   {"format":"connectord-tenant-archive","version":1,"tenantId":...,"schemaVersion":N,
 *    "createdAt":...}                                      first line
 *   {"table":"invoices","row":{"id":...,"tenant_id":...}}  one line per row, table by table
 *   {"datev":{"fiscalYear":2026,"from":...,"to":...,"name":...,"base64":...}}
 *                                                          the DATEV file of each fiscal year
 *                                                          with bookings (Windows-1252 bytes
 *                                                          in base64), or "error" instead
 *   {"end":{"rows":N,"tables":{"invoices":3,...}}}         last line: the archive is whole
 * Rows are the store's rows as they are (store/tenant_data.h): secrets as stored, encrypted
 * under the master key or hashed. Its SHA-256 (hex, over the bytes) is recorded in the
 * operator log, and a deletion of a tenant whose books are inside the legal retention
 * period must name it. */
#ifndef CONNECTORD_TENANCY_H
#define CONNECTORD_TENANCY_H

#include <stdint.h>

#include "core/buf.h"
#include "core/error.h"

struct store;

#define TENANCY_SHA256_HEX 65
#define TENANCY_ARCHIVE_VERSION 1
/* Books are kept 10 full calendar years after the year of their last booking (German
 * §147 AO and §257 HGB: 10 years; Austrian §132 BAO: 7): the longer period. */
#define TENANCY_RETENTION_YEARS 10

/* Writes the tenant's archive into out (which may be capped) and records it in the operator
 * log with its hash and `via` ("api", "cli"). ERR_NOT_FOUND when there is no such tenant,
 * ERR_PAYLOAD_TOO_LARGE when out's cap is too small. */
int tenancy_export(struct store *s, const char *tenant_id, const char *via, int64_t now_ms,
                   struct buf *out, char sha256[TENANCY_SHA256_HEX], int64_t *rows,
                   struct error *err);

/* Loads an archive into the store in one transaction and records it in the operator log.
 * The archive's tenant must not exist here (ERR_CONFLICT); a malformed, cut short or
 * newer-schema archive is ERR_VALIDATION, naming the line. tenant_id receives its id. */
int tenancy_import(struct store *s, const char *data, size_t len, char *tenant_id,
                   size_t tenant_id_cap, int64_t *rows, struct error *err);

/* Removes every row of the tenant. While its books are inside the legal retention period
 * (TENANCY_RETENTION_YEARS at now_ms) it refuses (ERR_CONFLICT, naming the date) unless
 * force_sha256 is the hash of an archive made of the tenant (ERR_VALIDATION when it is no
 * such hash). *rows receives the number of rows removed. */
int tenancy_delete(struct store *s, const char *tenant_id, const char *force_sha256,
                   int64_t now_ms, int64_t *rows, struct error *err);

#endif
