/* auth/auth.h - tenants, API tokens, roles and plans.
 *
 * A token is "cdk_" + 256 random bits; only its SHA-256 is stored, and it is shown once.
 * The bearer check hashes what the client sent, finds the row by hash and compares the
 * hashes in constant time. Plans are data: one row per plan with its rank and limits; the
 * catalog's lowest plan per connector is compared by rank. */
#ifndef CONNECTORD_AUTH_H
#define CONNECTORD_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"
#include "crypto/crypto.h"
#include "store/installs.h"

/* A tenant's roles (member < admin), then the platform's, which belong to no tenant: a
 * developer submits outside connectors, the operator reviews and publishes them. */
enum auth_role {
    AUTH_ROLE_NONE = 0,
    AUTH_ROLE_MEMBER = 1,
    AUTH_ROLE_ADMIN = 2,
    AUTH_ROLE_DEVELOPER = 3,
    AUTH_ROLE_OPERATOR = 4,
};

struct plan {
    const char *slug;     /* "starter" */
    const char *name;     /* "Starter" */
    int rank;             /* starter 0 < pro 1 < business 2 < enterprise 3 */
    int max_destinations; /* outbound connectors; -1 = unlimited */
    bool api_access;      /* business and up: API access (MCP): MCP and integration tokens;
                             the admin REST API works on every plan */
};

const struct plan *auth_plan_find(const char *slug); /* NULL when unknown */
const struct plan *auth_plans(size_t *count);
const char *auth_plan_names(void); /* "starter|pro|business|enterprise" for messages */

enum auth_role auth_role_parse(const char *s); /* AUTH_ROLE_NONE when unknown */
const char *auth_role_name(enum auth_role role);
bool auth_role_is_tenant(enum auth_role role); /* member or admin */
/* Whether a caller with role `have` may call a route that needs `need` (the server's one
 * check): tenant roles by rank; developer and operator each only their own routes. */
bool auth_role_allows(enum auth_role have, enum auth_role need);

/* Who is calling: filled by auth_bearer(). A platform token (operator, developer) has no
 * tenant: tenant_id is "" and developer_id names the developer ("" for the operator). */
struct principal {
    char tenant_id[CRYPTO_ID_MAX];
    char developer_id[CRYPTO_ID_MAX];
    char token_id[CRYPTO_ID_MAX];
    enum auth_role role;
    bool read_only;       /* the token may only read (GET), whatever its role */
    struct tenant tenant; /* the tenant as it was when the token was checked */
};

/* Checks an Authorization header value ("Bearer cdk_..."). ERR_UNAUTHORIZED when missing,
 * malformed, unknown, revoked or expired; ERR_STORE when the store failed. */
int auth_bearer(struct store *s, const char *header, struct principal *out, struct error *err);

/* Validates name and plan, creates the tenant and an admin token; token_out receives the
 * token text (shown once, never stored). */
int auth_tenant_create(struct store *s, const char *name, const char *plan, struct tenant *out,
                       char token_out[CRYPTO_TOKEN_LEN + 1], struct error *err);
/* Renames a tenant after the same validation as creation. */
int auth_tenant_rename(struct store *s, const char *tenant_id, const char *name,
                       struct error *err);
int auth_token_create(struct store *s, const char *tenant_id, const char *role,
                      char token_out[CRYPTO_TOKEN_LEN + 1], struct error *err);

/* The platform's tokens (platform.c): the same shape as a tenant's ("cdk_" + 256 bits,
 * stored as SHA-256, shown once). An operator token; a developer (its name validated like
 * a tenant's) with its first token, *developer_id_out receiving its id; another token of
 * an existing developer (ERR_NOT_FOUND when there is none). */
int auth_operator_token_create(struct store *s, char token_out[CRYPTO_TOKEN_LEN + 1],
                               struct error *err);
int auth_developer_create(struct store *s, const char *name, char developer_id_out[CRYPTO_ID_MAX],
                          char token_out[CRYPTO_TOKEN_LEN + 1], struct error *err);
int auth_developer_token_create(struct store *s, const char *developer_id,
                                char token_out[CRYPTO_TOKEN_LEN + 1], struct error *err);
/* auth_bearer's second look: a hash that no tenant's token has may be a platform token.
 * ERR_NOT_FOUND when it is not one either. */
int auth_platform_bearer(struct store *s, const char *hash, struct principal *out,
                         struct error *err);
/* Tenant and developer names: 1 to 200 bytes, no control characters. */
int auth_name_validate(const char *name, const char *what, struct error *err);
/* What an integration token is made with. */
struct auth_token_spec {
    const char *name;       /* 1 to 100 bytes, no control characters (required) */
    const char *role;       /* "admin" or "member" */
    const char *expires_at; /* RFC 3339, in the future; NULL: never */
    bool read_only;
};
/* Validates spec (ERR_VALIDATION naming the field) and makes the token with its audit record
 * (may be NULL): out receives the stored row, token_out the token text (shown once, never
 * stored). */
int auth_token_issue(struct store *s, const char *tenant_id, const struct auth_token_spec *spec,
                     const struct audit_entry *audit, struct api_token *out,
                     char token_out[CRYPTO_TOKEN_LEN + 1], struct error *err);

#endif
