/* pipeline/cache.h - private to pipeline/: the per-process cache of what a webhook reads
 * before its booking (pipeline.h has the public side: making, clearing and forgetting).
 *
 * A webhook names its install by a token; the install's row, its parsed settings, its
 * secrets opened with the master key and its tenant's settings are the same for every
 * request until one of them is changed. A snapshot holds all of them, read once; it is
 * immutable after it was made and counted by references, so the HTTP threads share it
 * without locks beyond the cache's own (held for a lookup and a reference count only). A
 * snapshot dropped from the cache lives on until the last request that holds it is done;
 * its opened secrets are wiped when it is freed.
 *
 * Staleness: every change of an install or of a tenant's settings is announced by the store
 * (store.h's channels), in this process when its transaction commits and in the others
 * through the listener (PostgreSQL) or the change count of the store's file (SQLite,
 * store_changes_seen); each forgets what the cache holds of it. The epoch closes the race
 * of a reader that read the store before such a change and puts its (old) snapshot in after
 * the change was forgotten: any forgetting moves the epoch, and a snapshot read under an
 * older epoch is used by its request but not kept. */
#ifndef CONNECTORD_PIPELINE_CACHE_H
#define CONNECTORD_PIPELINE_CACHE_H

#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/error.h"
#include "crypto/crypto.h"
#include "ledger/ledger.h"
#include "pipeline/pipeline.h"
#include "settings/settings.h"
#include "store/installs.h"

/* One of the install's secrets, opened when the snapshot was made: its plain bytes, or
 * the error opening it gave (which every read then gives again). */
struct pipeline_secret {
    const char *key; /* the secrets object's key, owned by the snapshot's secrets */
    struct buf plain;
    int rc;
    struct error err;
};

/* What booking_setup() makes of an install, its tenant's settings and its secrets. */
/* What a booking takes from its install, its provider and its tenant's settings: made once
 * per install read (pipeline.c's booking_setup) and kept in a snapshot for the webhooks of
 * the same token. */
struct pipeline_setup {
    json_t *config;  /* plain settings */
    json_t *secrets; /* sealed secrets */
    char aad_prefix[2 * CRYPTO_ID_MAX + 2];
    enum ledger_direction direction;
    bool auto_post;
    struct tenant_settings settings; /* the tenant's chart and milestones */
    struct ledger_accounts accounts; /* point into config and the chart */
    const char *default_supplier;    /* in config, or NULL */
};

struct pipeline_snapshot {
    atomic_uint refs;
    char token_hash[2 * CRYPTO_SHA256_LEN + 1];
    struct install install;         /* the row's fixed fields; its texts are parsed (NULL) */
    struct pipeline_setup setup;    /* config and secrets owned */
    struct pipeline_secret *opened; /* n_opened, owned */
    size_t n_opened;
};

/* A new snapshot (one reference, the caller's) with nothing in it, or NULL. */
struct pipeline_snapshot *pipeline_snapshot_new(void);
/* Opens every sealed secret of s->setup.secrets with key (and its aad_prefix): what a read of one
 * would give is kept, error included. -1 when memory ran out. */
int pipeline_snapshot_open_secrets(struct pipeline_snapshot *s,
                                   const unsigned char key[CRYPTO_KEY_LEN]);
/* The opened secret key, or NULL when the install has no sealed secret of that name. */
const struct pipeline_secret *pipeline_snapshot_secret(const struct pipeline_snapshot *s,
                                                       const char *key);
/* Drops one reference; the last one frees the snapshot and wipes its secrets. NULL is a
 * no-op. Any thread. */
void pipeline_snapshot_release(struct pipeline_snapshot *s);

/* The snapshot of token_hash with a reference for the caller, or NULL (counted as a hit
 * or a miss in the metrics). changes: the store's store_changes_seen() now; when it moved
 * since the cache last looked, another process changed something: everything is
 * forgotten. */
struct pipeline_snapshot *pipeline_cache_get(struct pipeline_cache *c, uint64_t changes,
                                             const char *token_hash);
/* The epoch to read the store under, before reading it for pipeline_cache_put (changes as
 * for pipeline_cache_get). */
uint64_t pipeline_cache_epoch(struct pipeline_cache *c, uint64_t changes);
/* Keeps s (under s->token_hash, with a reference of its own) unless something was
 * forgotten since epoch, or the token has a snapshot already. When full, the entry not
 * used for longest (clock) goes. */
void pipeline_cache_put(struct pipeline_cache *c, struct pipeline_snapshot *s, uint64_t epoch);
/* Forgets the snapshot of one token. */
void pipeline_cache_forget_token(struct pipeline_cache *c, const char *token_hash);

#endif
