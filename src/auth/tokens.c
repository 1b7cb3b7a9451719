/* auth/tokens.c - bearer tokens: creation, and the check on every protected request. */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "auth/auth.h"
#include "core/clock.h"
#include "core/log.h"
#include "store/installs.h"

/* last_used_at is written at most this often per token, so a busy client does not turn
 * every read into a write. */
#define TOUCH_INTERVAL_MS 60000

static bool token_shape_ok(const char *t, size_t len)
{
    if (len != CRYPTO_TOKEN_LEN || memcmp(t, CRYPTO_TOKEN_PREFIX, 4) != 0)
        return false;
    for (size_t i = 4; i < len; i++) {
        char c = t[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_'))
            return false;
    }
    return true;
}

int auth_bearer(struct store *s, const char *header, struct principal *out, struct error *err)
{
    memset(out, 0, sizeof *out);
    if (!header || !*header)
        return error_set(err, ERR_UNAUTHORIZED, "missing bearer token");
    if (strncasecmp(header, "Bearer ", 7) != 0)
        return error_set(err, ERR_UNAUTHORIZED, "the Authorization header must be 'Bearer <token>'");
    const char *token = header + 7;
    while (*token == ' ')
        token++;
    size_t len = strlen(token);
    while (len && token[len - 1] == ' ')
        len--;
    if (!token_shape_ok(token, len))
        return error_set(err, ERR_UNAUTHORIZED, "invalid token");

    char hash[2 * CRYPTO_SHA256_LEN + 1];
    crypto_token_hash(token, len, hash);
    struct api_token row;
    if (store_token_find(s, hash, &row, err) < 0) {
        if (!err || err->code != ERR_NOT_FOUND)
            return -1;
        if (auth_platform_bearer(s, hash, out, err) == 0)
            return 0;
        if (err->code == ERR_NOT_FOUND)
            return error_set(err, ERR_UNAUTHORIZED, "invalid token");
        return -1;
    }
    /* The store matched on the hash; compare again in constant time so the decision never
     * rests on a comparison whose timing depends on the secret. */
    if (!crypto_ct_equal(hash, strlen(hash), row.token_hash, strlen(row.token_hash)))
        return error_set(err, ERR_UNAUTHORIZED, "invalid token");

    int64_t now = clock_now_ms();
    int64_t expires = 0;
    if (row.revoked_at[0])
        return error_set(err, ERR_UNAUTHORIZED, "the token was revoked");
    if (row.expires_at[0] &&
        (clock_parse_rfc3339(row.expires_at, &expires) < 0 || expires <= now))
        return error_set(err, ERR_UNAUTHORIZED, "the token expired at %s", row.expires_at);
    int64_t last_used = 0; /* never used, or unreadable: touch it */
    if (clock_parse_rfc3339(row.last_used_at, &last_used) < 0 ||
        now - last_used > TOUCH_INTERVAL_MS) {
        struct error touch_err;
        if (store_token_touch(s, row.id, now, &touch_err) < 0)
            log_warn("cannot record token use: %s", touch_err.message);
    }
    memcpy(out->tenant_id, row.tenant_id, sizeof out->tenant_id);
    out->tenant = row.tenant;
    memcpy(out->token_id, row.id, sizeof out->token_id);
    out->role = auth_role_parse(row.role);
    out->read_only = row.read_only;
    return 0;
}

int auth_name_validate(const char *name, const char *what, struct error *err)
{
    size_t len = strlen(name);
    if (len == 0 || len > 200)
        return error_set(err, ERR_VALIDATION, "%s name must be 1 to 200 bytes of UTF-8", what);
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
            return error_set(err, ERR_VALIDATION, "%s name must not contain control characters",
                             what);
    return 0;
}

static int validate_name(const char *name, struct error *err)
{
    return auth_name_validate(name, "tenant", err);
}

int auth_tenant_create(struct store *s, const char *name, const char *plan, struct tenant *out,
                       char token_out[CRYPTO_TOKEN_LEN + 1], struct error *err)
{
    if (validate_name(name, err) < 0)
        return -1;
    if (!auth_plan_find(plan))
        return error_set(err, ERR_VALIDATION, "unknown plan '%.32s' (expected %s)", plan,
                         auth_plan_names());
    char hash[2 * CRYPTO_SHA256_LEN + 1];
    if (crypto_token_new(token_out) < 0)
        return error_set(err, ERR_INTERNAL, "no randomness available");
    crypto_token_hash(token_out, CRYPTO_TOKEN_LEN, hash);
    return store_tenant_create(s, name, plan, hash, out, NULL, err);
}

int auth_tenant_rename(struct store *s, const char *tenant_id, const char *name,
                       struct error *err)
{
    if (validate_name(name, err) < 0)
        return -1;
    return store_tenant_rename(s, tenant_id, name, err);
}

int auth_token_create(struct store *s, const char *tenant_id, const char *role,
                      char token_out[CRYPTO_TOKEN_LEN + 1], struct error *err)
{
    if (!auth_role_is_tenant(auth_role_parse(role)))
        return error_set(err, ERR_VALIDATION, "unknown role '%.16s' (expected admin|member)", role);
    char hash[2 * CRYPTO_SHA256_LEN + 1];
    if (crypto_token_new(token_out) < 0)
        return error_set(err, ERR_INTERNAL, "no randomness available");
    crypto_token_hash(token_out, CRYPTO_TOKEN_LEN, hash);
    return store_token_create(s, tenant_id, role, hash, NULL, err);
}

#define TOKEN_NAME_MAX 100

int auth_token_issue(struct store *s, const char *tenant_id, const struct auth_token_spec *spec,
                     const struct audit_entry *audit, struct api_token *out,
                     char token_out[CRYPTO_TOKEN_LEN + 1], struct error *err)
{
    size_t len = spec->name ? strlen(spec->name) : 0;
    if (len == 0 || len > TOKEN_NAME_MAX)
        return error_set(err, ERR_VALIDATION, "name must be 1 to %d bytes of text",
                         TOKEN_NAME_MAX);
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)spec->name[i] < 0x20 || spec->name[i] == 0x7f)
            return error_set(err, ERR_VALIDATION, "name must not contain control characters");
    if (auth_role_parse(spec->role) == AUTH_ROLE_NONE)
        return error_set(err, ERR_VALIDATION, "role must be one of: admin, member");
    memset(out, 0, sizeof *out);
    if (spec->expires_at) {
        int64_t at = 0;
        if (clock_parse_rfc3339(spec->expires_at, &at) < 0)
            return error_set(err, ERR_VALIDATION,
                             "expiresAt must be an RFC 3339 time, e.g. 2027-01-31T00:00:00Z");
        if (at <= clock_now_ms())
            return error_set(err, ERR_VALIDATION, "expiresAt must be in the future");
        clock_format_rfc3339(at, out->expires_at);
    }
    memcpy(out->name, spec->name, len + 1);
    snprintf(out->tenant_id, sizeof out->tenant_id, "%s", tenant_id);
    snprintf(out->role, sizeof out->role, "%s", spec->role);
    out->read_only = spec->read_only;
    if (crypto_token_new(token_out) < 0)
        return error_set(err, ERR_INTERNAL, "no randomness available");
    crypto_token_hash(token_out, CRYPTO_TOKEN_LEN, out->token_hash);
    int rc = store_token_issue(s, out, audit, err);
    out->token_hash[0] = '\0';
    return rc;
}
