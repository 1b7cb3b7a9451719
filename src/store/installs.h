/* store/installs.h - the store's tenants, API tokens, connector installs (destinations and
 * their health included), projects and the audit log (q_auth.c, q_installs.c,
 * q_projects.c). Conventions as in store/store.h. */
#ifndef CONNECTORD_STORE_INSTALLS_H
#define CONNECTORD_STORE_INSTALLS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/clock.h"
#include "core/error.h"
#include "crypto/crypto.h"
#include "store/store.h"

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
    char name[STORE_NAME_MAX];            /* "" for tokens made before names */
    char created_at[CLOCK_RFC3339_LEN];
    char expires_at[CLOCK_RFC3339_LEN];   /* "" when it never expires */
    char revoked_at[CLOCK_RFC3339_LEN];   /* "" while it is not revoked */
    bool read_only;                       /* may only read, whatever its role */
    struct tenant tenant; /* store_token_find: the token's tenant, read in the same query */
};

/* Creates a tenant and its first admin token (stored by hash) in one transaction. */
int store_tenant_create(struct store *s, const char *name, const char *plan,
                        const char *admin_token_hash, struct tenant *out_tenant,
                        struct api_token *out_token, struct error *err);
int store_tenant_rename(struct store *s, const char *id, const char *name, struct error *err);
int store_tenant_get(struct store *s, const char *id, struct tenant *out, struct error *err);
int store_tenant_count(struct store *s, int64_t *count, struct error *err);
/* Calls fn for every tenant, oldest first; fn returns 0 to go on, -1 to stop (ERR_IO). */
int store_tenant_list(struct store *s, int (*fn)(void *ctx, const struct tenant *t), void *ctx,
                      struct error *err);

/* Stores a token by its hash; out receives the new token's id. */
int store_token_create(struct store *s, const char *tenant_id, const char *role,
                       const char *token_hash, struct api_token *out, struct error *err);
int store_token_find(struct store *s, const char *token_hash, struct api_token *out,
                     struct error *err);
int store_token_touch(struct store *s, const char *token_id, int64_t now_ms, struct error *err);
struct audit_entry;
/* Stores t (tenant_id, role, token_hash, name, expires_at, read_only filled) and fills its id
 * and created_at, with its audit record (may be NULL) in one transaction; the record's target
 * is the new token's id. ERR_NOT_FOUND when the tenant does not exist. */
int store_token_issue(struct store *s, struct api_token *t, const struct audit_entry *audit,
                      struct error *err);
/* The tenant's tokens, newest first (page->before: an id), revoked ones too; fn returns 0 to
 * go on, 1 to stop. token_hash is never read. */
int store_token_list(struct store *s, const char *tenant_id, const struct store_page *page,
                     int (*fn)(void *ctx, const struct api_token *t), void *ctx,
                     struct error *err);
/* Revokes one of the tenant's tokens at now_ms (a revoked one keeps its first time; audit,
 * which may be NULL, is recorded only when this call revoked it) and reads it back into out;
 * ERR_NOT_FOUND when the tenant has no such token. */
int store_token_revoke(struct store *s, const char *tenant_id, const char *token_id,
                       int64_t now_ms, const struct audit_entry *audit, struct api_token *out,
                       struct error *err);

/* ---- connector installs (both API surfaces) and the audit log ---------------------- */

/* A destination's health as its circuit breaker last recorded it. */
struct install_health {
    int64_t consecutive_failures;
    int64_t paused_until_ms;          /* 0: the breaker is closed */
    char reason[256];                 /* why it was paused or disabled, or "" */
    char last_success_at[CLOCK_RFC3339_LEN]; /* "" when never */
    char last_failure_at[CLOCK_RFC3339_LEN];
};

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
    /* destinations only */
    char project_id[CRYPTO_ID_MAX];
    char name[STORE_NAME_MAX]; /* "" when never named */
    struct install_health health; /* read only: the engine writes it */
    /* Grows with every change of the install (settings, secrets, event types, active);
     * read only. */
    int64_t version;
    /* An outside connector's install: the published version of its manifest it runs
     * (store/publishing.h); 0 for a built-in. Written by insert and update. */
    int64_t manifest_version;
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
/* One page of the destinations of one of the tenant's projects, oldest first, as they were
 * always listed: the rows whose id sorts after page->before (the last id of the previous
 * page). */
int store_destination_page(struct store *s, const char *tenant_id, const char *project_id,
                           const struct store_page *page,
                           int (*fn)(void *ctx, const struct install *in), void *ctx,
                           struct error *err);
/* Replaces config, secrets, event types and is_active of the tenant's install id. */
int store_install_update(struct store *s, const struct install *in,
                         const struct audit_entry *audit, struct error *err);
int store_install_delete(struct store *s, const char *tenant_id, const char *id,
                         const struct audit_entry *audit, struct error *err);

/* What one round of the engine learnt about a destination, written inside its tx. A
 * `disable` also turns it off. */
struct destination_health_update {
    const char *tenant_id;
    const char *id;
    int64_t consecutive_failures;
    int64_t paused_until_ms;   /* 0: closed */
    const char *reason;        /* NULL: keep the stored one unless the breaker closed */
    const char *success_at;    /* or NULL */
    const char *failure_at;    /* or NULL */
    bool disable;
};
int store_destination_health(struct store_tx *tx, const struct destination_health_update *u,
                             struct error *err);
/* An audit record inside tx (the change it records commits with it). */
int store_tx_audit(struct store_tx *tx, const char *tenant_id, const struct audit_entry *audit,
                   struct error *err);

/* A webhook install found by its token's hash (ERR_NOT_FOUND when none). */
int store_install_by_token(struct store *s, const char *token_hash, struct install *out,
                           struct error *err);
/* Inside a booking's transaction: is the install that a webhook was verified against (read
 * before, perhaps by a process that has not heard of a change yet) still the one the store
 * holds? ERR_NOT_FOUND when it is gone, turned off or no longer has that token;
 * ERR_CONFLICT when it changed since (its version moved), or when the tenant's settings
 * read with it (settings_at: their updated_at as read, "" when none were saved; NULL: not
 * asked) changed since, which is asked of the store only where another process's change
 * may not have been heard yet (no shared change count, see store_changes_seen); 0 when it
 * is the same. */
int store_install_check(struct store_tx *tx, const struct install *in, const char *token_hash,
                        const char *settings_at, struct error *err);

/* ---- projects ---------------------------------------------------------------------------- */

struct project {
    char id[CRYPTO_ID_MAX];
    char name[STORE_NAME_MAX];
    char created_at[CLOCK_RFC3339_LEN];
};

/* Creates a project of the tenant (out->id is made, created_at filled in). */
int store_project_create(struct store *s, const char *tenant_id, struct project *p,
                         const struct audit_entry *audit, struct error *err);
/* The tenant's projects, oldest first (the default project first). */
int store_project_list(struct store *s, const char *tenant_id,
                       int (*fn)(void *ctx, const struct project *p), void *ctx,
                       struct error *err);
/* One of the tenant's projects (ERR_NOT_FOUND also for another tenant's). */
int store_project_get(struct store *s, const char *tenant_id, const char *id,
                      struct project *out, struct error *err);

struct audit_record {
    char id[CRYPTO_ID_MAX];
    char token_id[CRYPTO_ID_MAX];
    char action[48];
    char target[CRYPTO_ID_MAX];
    const char *fields; /* JSON array text, valid during the callback */
    char created_at[CLOCK_RFC3339_LEN];
};

/* One page of the tenant's audit records, newest first (see struct store_page). */
int store_audit_list(struct store *s, const char *tenant_id, const struct store_page *page,
                     int (*fn)(void *ctx, const struct audit_record *rec), void *ctx,
                     struct error *err);

#endif
