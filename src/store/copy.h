/* store/copy.h - a whole store copied into another, empty one: `connectord store copy`, the
 * move from SQLite to PostgreSQL (and back, or SQLite to SQLite).
 *
 * The source must be stopped (no other process may have it open) and at this binary's
 * schema version; the target must hold no rows (it may be new or freshly migrated). The
 * target is migrated to the same version, then every table is copied row by row, parents
 * first (store/tenant_tables.def's order, then the other tables), in ONE transaction of the
 * target that commits only after the copy was checked: each table counts as many rows as
 * the source's, every journal entry balances (per currency and in EUR), and every tenant's
 * hash chains verify (store/chain.h). Rows are inserted as they are, ids, hashes and sealed
 * secrets included; the append-only triggers refuse changes, not inserts. */
#ifndef CONNECTORD_STORE_COPY_H
#define CONNECTORD_STORE_COPY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

struct store_copy_table {
    char name[64];
    int64_t rows; /* copied, equal to the source's count */
};

struct store_copy_report {
    int64_t schema_version;
    struct store_copy_table *tables; /* in the order copied; free with store_copy_report_free */
    size_t n_tables;
    int64_t rows;          /* all tables */
    int64_t tenants;       /* whose chains were verified */
    int64_t entries;       /* journal entries found balanced */
    int64_t chain_rows;    /* chained rows recomputed */
    bool refused;          /* failed before anything was written: see the error */
};

/* Copies from into to, both opened with store_open_single (the claim that keeps other
 * processes out belongs to that one connection) and NOT migrated by the caller. On failure
 * the target is left as it was, except that an empty target may have been migrated;
 * out->refused tells a refusal (the source in use or at another schema version, the target
 * not empty; ERR_CONFLICT or ERR_CONFIG) from a copy that failed and was rolled back. */
int store_copy(struct store *from, struct store *to, struct store_copy_report *out,
               struct error *err);
void store_copy_report_free(struct store_copy_report *r);

#endif
