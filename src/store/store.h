/* store/store.h - what the rest of connectord may ask of the store.
 *
 * A domain API (tenants, tokens, ...) over a pool of backend connections. Every function is
 * thread-safe: it borrows a connection from the pool for its duration. SQL is written once,
 * in store/q_*.c, with $1..$n placeholders that both backends understand; backend details
 * live in driver_*.c behind store_int.h. Functions return 0 or -1 with err set; a missing
 * row is ERR_NOT_FOUND, a unique-key clash ERR_CONFLICT, anything else ERR_STORE (whose
 * message is for the log, not for clients). */
#ifndef CONNECTORD_STORE_H
#define CONNECTORD_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/clock.h"
#include "core/error.h"
#include "crypto/crypto.h"

struct store;

/* dsn: "sqlite:PATH" (the embedded default) or "postgres://..." (scale-out backend).
 * pool_size: connections to keep; one per server thread plus one is a good choice. */
int store_open(const char *dsn, int pool_size, struct store **out, struct error *err);
void store_close(struct store *s); /* NULL is a no-op */
const char *store_backend_name(const struct store *s);

/* Applies pending numbered migrations, each in its own transaction; safe to run from
 * several processes at once. *applied (optional) receives how many were applied. */
int store_migrate(struct store *s, int *applied, struct error *err);
int store_ping(struct store *s, struct error *err);

#define STORE_NAME_MAX 201 /* 200 bytes of UTF-8 plus NUL */
#define STORE_PLAN_MAX 16
#define STORE_ROLE_MAX 8

struct tenant {
    char id[CRYPTO_ID_MAX];
    char name[STORE_NAME_MAX];
    char plan[STORE_PLAN_MAX];
    char created_at[CLOCK_RFC3339_LEN];
};

struct api_token {
    char id[CRYPTO_ID_MAX];
    char tenant_id[CRYPTO_ID_MAX];
    char role[STORE_ROLE_MAX];
    char token_hash[2 * CRYPTO_SHA256_LEN + 1];
    char last_used_at[CLOCK_RFC3339_LEN]; /* "" when never used */
};

/* Creates a tenant and its first admin token (stored by hash) in one transaction. */
int store_tenant_create(struct store *s, const char *name, const char *plan,
                        const char *admin_token_hash, struct tenant *out_tenant,
                        struct api_token *out_token, struct error *err);
int store_tenant_rename(struct store *s, const char *id, const char *name, struct error *err);
int store_tenant_get(struct store *s, const char *id, struct tenant *out, struct error *err);
int store_tenant_count(struct store *s, int64_t *count, struct error *err);

/* Stores a token by its hash; out receives the new token's id. */
int store_token_create(struct store *s, const char *tenant_id, const char *role,
                       const char *token_hash, struct api_token *out, struct error *err);
int store_token_find(struct store *s, const char *token_hash, struct api_token *out,
                     struct error *err);
int store_token_touch(struct store *s, const char *token_id, int64_t now_ms, struct error *err);

/* ---- connector installs (both API surfaces) and the audit log ---------------------- */

#define STORE_SLUG_MAX 48

struct install {
    char id[CRYPTO_ID_MAX];
    char tenant_id[CRYPTO_ID_MAX];
    char slug[STORE_SLUG_MAX];
    bool is_destination;
    bool is_active;
    char *config;       /* JSON object of plain values; owned, freed by store_install_clear */
    char *secrets;      /* JSON object: key -> {"sealed": "...", "hint": "..."}; owned */
    char *event_types;  /* JSON array or NULL; owned */
    char *webhook_token_sealed; /* or NULL; owned */
    char created_at[CLOCK_RFC3339_LEN];
    char updated_at[CLOCK_RFC3339_LEN];
};

void store_install_clear(struct install *in);

/* What an audited change records: never values, only which keys changed. */
struct audit_entry {
    const char *token_id;
    const char *action; /* "connector.install", "destination.update", ... */
    const char *target; /* slug or connector id */
    const char *fields; /* JSON array of changed keys */
};

/* Inserts an install and its audit record in one transaction. in->id is made when empty
 * (callers that seal secrets bound to the id make it first); timestamps are filled in. For a destination, max_destinations (-1: unlimited) is checked inside the
 * transaction (ERR_LIMIT_REACHED), so parallel creates cannot pass the limit. A second
 * install of the same slug: ERR_CONFLICT. */
int store_install_insert(struct store *s, struct install *in, const char *webhook_token_hash,
                         int max_destinations, const struct audit_entry *audit,
                         struct error *err);
/* A tenant's seed-000 install of a slug (ERR_NOT_FOUND when not installed). */
int store_install_get_slug(struct store *s, const char *tenant_id, const char *slug,
                           struct install *out, struct error *err);
/* A tenant's install by id (ERR_NOT_FOUND also for another tenant's id). */
int store_install_get(struct store *s, const char *tenant_id, const char *id,
                      struct install *out, struct error *err);
/* Calls fn for each of the tenant's installs (destinations or not), oldest first. The
 * install passed to fn is valid only during the call. */
int store_install_list(struct store *s, const char *tenant_id, bool destinations,
                       int (*fn)(void *ctx, const struct install *in), void *ctx,
                       struct error *err);
/* Replaces config, secrets, event types and is_active of the tenant's install id. */
int store_install_update(struct store *s, const struct install *in,
                         const struct audit_entry *audit, struct error *err);
int store_install_delete(struct store *s, const char *tenant_id, const char *id,
                         const struct audit_entry *audit, struct error *err);

struct audit_record {
    char id[CRYPTO_ID_MAX];
    char token_id[CRYPTO_ID_MAX];
    char action[48];
    char target[CRYPTO_ID_MAX];
    const char *fields; /* JSON array text, valid during the callback */
    char created_at[CLOCK_RFC3339_LEN];
};

/* Newest first, at most limit records. */
int store_audit_list(struct store *s, const char *tenant_id, int limit,
                     int (*fn)(void *ctx, const struct audit_record *rec), void *ctx,
                     struct error *err);

#endif
