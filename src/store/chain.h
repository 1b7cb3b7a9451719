/* store/chain.h - the tamper-evident books: hash chains per tenant, their verification, and
 * the log of exports with the chain head each was made from (store/chain.c,
 * store/exports_log.c). The append-only rule itself is store/guard.c's (triggers).
 *
 * A tenant has two chains: "journal" (journal entries with their lines) and "audit" (the
 * audit log). Each row carries chain_seq (1, 2, ...) and chain_hash, the SHA-256 of its
 * canonical serialization, which starts with the previous row's hash; chain_heads holds the
 * last (seq, hash) of each chain, updated in the transaction that appends the row (on
 * PostgreSQL a journal entry's link is made right after its commit instead: chain.c). */
#ifndef CONNECTORD_STORE_CHAIN_H
#define CONNECTORD_STORE_CHAIN_H

#include <stdbool.h>
#include <stdint.h>

#include "core/clock.h"
#include "core/error.h"
#include "crypto/crypto.h"
#include "store/store.h"

enum store_chain { STORE_CHAIN_JOURNAL, STORE_CHAIN_AUDIT, STORE_CHAIN_COUNT };

#define STORE_CHAIN_HASH_LEN (2 * CRYPTO_SHA256_LEN) /* lowercase hex */

/* "journal", "audit". */
const char *store_chain_name(enum store_chain chain);

struct store_chain_head {
    int64_t seq; /* rows in the chain; 0: empty */
    char hash[STORE_CHAIN_HASH_LEN + 1]; /* the last row's hash; 64 zeros when empty */
};

/* The head as it stands (an empty chain when none was written). */
int store_chain_head_get(struct store *s, const char *tenant_id, enum store_chain chain,
                         struct store_chain_head *out, struct error *err);

/* Links the journal entries that were committed without their link (PostgreSQL's
 * bookings, whose process links them right after the commit: see chain.c), of one tenant,
 * or of every tenant when tenant_id is NULL. Before a chain head is read as covering
 * everything booked so far (an export), and at start. */
int store_chain_link_pending(struct store *s, const char *tenant_id, struct error *err);

/* What a verification found in one chain. */
struct store_chain_check {
    int64_t rows;                 /* rows recomputed, up to and including a mismatch */
    /* Journal entries committed and waiting for their link (PostgreSQL links them right
     * after the commit: store/chain.c, chain_link_pending); not counted in rows. */
    int64_t pending;
    struct store_chain_head head; /* the stored head */
    bool ok;
    /* The first row that does not match: its id ("" when the rows match but the head
     * does not), its chain_seq (0 when it has none) and why. */
    char mismatch_id[CRYPTO_ID_MAX];
    int64_t mismatch_seq;
    char reason[160];
};

/* Recomputes one chain of a tenant row by row (streamed: memory stays flat) and compares
 * it with the stored hashes and the head. A mismatch is a result (out->ok false), not an
 * error; errors are the store's. */
int store_chain_verify(struct store *s, const char *tenant_id, enum store_chain chain,
                       struct store_chain_check *out, struct error *err);

/* ---- exports log (store/exports_log.c) ---------------------------------------------------- */

struct export_log_entry {
    char id[CRYPTO_ID_MAX];
    char tenant_id[CRYPTO_ID_MAX];
    char kind[32];   /* "datev", "u30-xml", "u30-submit" */
    char period[48]; /* "2026-01-01..2026-01-31", "2026-Q1" */
    int64_t chain_seq;
    char chain_head[STORE_CHAIN_HASH_LEN + 1];
    char actor[CRYPTO_ID_MAX]; /* the API token's id, or "cli" */
    char created_at[CLOCK_RFC3339_LEN];
};

/* Appends one record (id and created_at are filled in). */
int store_export_log_add(struct store *s, struct export_log_entry *e, struct error *err);

/* One page of the tenant's export records, newest first (see struct store_page). */
int store_export_log_list(struct store *s, const char *tenant_id, const struct store_page *page,
                          int (*fn)(void *ctx, const struct export_log_entry *e), void *ctx,
                          struct error *err);

#endif
