/* backup/backup.h - `connectord store backup` and `store restore`: a consistent copy of a
 * running SQLite store with a manifest beside it, and its careful way back.
 *
 * The manifest (FILE.manifest.json) says what the copy must be: {"format":
 * "connectord-backup/1", "file", "sha256", "bytes", "createdAt", "version" (connectord's),
 * "schemaVersion", "tables": {name: rows}, "chainHeads": [...]}. A restore believes
 * nothing before it has checked it: the file's SHA-256 and size, a schema version this
 * binary can serve, the same row counts and chain heads read back from the copy, every
 * tenant's hash chains, and every secret opening with the configured master key. Only then
 * is the copy put in place, under a new path (never over a store). */
#ifndef CONNECTORD_BACKUP_H
#define CONNECTORD_BACKUP_H

#include <jansson.h>

#include "core/error.h"
#include "crypto/crypto.h"

#define BACKUP_MANIFEST_SUFFIX ".manifest.json"

/* Copies the store `dsn` (sqlite:PATH, running or not) to out_path (which must not exist)
 * and writes out_path.manifest.json; *manifest: the manifest written. ERR_CONFIG for a
 * PostgreSQL store (the message shows its tools) or an out_path that exists. */
int backup_make(const char *dsn, const char *out_path, json_t **manifest, struct error *err);

/* Checks the backup `from` against its manifest and `key`, then puts it in place as the
 * store `dsn` (sqlite:PATH, PATH must not exist). *report: {"from", "to", "schemaVersion",
 * "rows", "tenants", "chainRows", "secrets"}. ERR_VALIDATION: the backup is damaged or does
 * not match its manifest; ERR_CONFIG: it cannot go there (a newer schema, the wrong key,
 * the target exists). Nothing is written at `dsn` unless every check passed. */
int backup_restore(const char *from, const char *dsn, const unsigned char key[CRYPTO_KEY_LEN],
                   json_t **report, struct error *err);

#endif
