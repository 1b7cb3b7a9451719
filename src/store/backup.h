/* store/backup.h - what a backup needs of the store (q_backup.c): a consistent copy of a
 * running SQLite store in a new file, and a description of a store that a restore compares
 * with the backup's manifest. Conventions as in store/store.h. */
#ifndef CONNECTORD_STORE_BACKUP_H
#define CONNECTORD_STORE_BACKUP_H

#include <jansson.h>

#include "core/error.h"
#include "store/store.h"

/* Writes a consistent copy of the store into the new file `path` (SQLite's VACUUM INTO: one
 * read transaction, so writers go on meanwhile). ERR_CONFIG on a backend that cannot (the
 * message names its own tools). */
int store_vacuum_into(struct store *s, const char *path, struct error *err);

/* {"schemaVersion": N, "tables": {"name": rows, ...}, "chainHeads": [{"tenantId", "chain",
 * "seq", "hash"}, ...]} of the store as it stands, read in one transaction. */
int store_describe(struct store *s, json_t **out, struct error *err);

#endif
