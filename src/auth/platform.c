/* auth/platform.c - the platform's tokens: the operator's and the developers'.
 *
 * They belong to no tenant and live in their own table (store/publishing.h), made and
 * checked like a tenant's: "cdk_" + 256 random bits, shown once, stored as SHA-256 and
 * compared in constant time. auth_bearer() looks here when no tenant token has the hash. */
#include <string.h>

#include "auth/auth.h"
#include "core/clock.h"
#include "core/log.h"
#include "store/publishing.h"

/* As for tenant tokens: last_used_at is written at most once a minute per token. */
#define TOUCH_INTERVAL_MS 60000

static int new_token(char token_out[CRYPTO_TOKEN_LEN + 1], char hash[2 * CRYPTO_SHA256_LEN + 1],
                     struct error *err)
{
    if (crypto_token_new(token_out) < 0)
        return error_set(err, ERR_INTERNAL, "no randomness available");
    crypto_token_hash(token_out, CRYPTO_TOKEN_LEN, hash);
    return 0;
}

int auth_operator_token_create(struct store *s, char token_out[CRYPTO_TOKEN_LEN + 1],
                               struct error *err)
{
    char hash[2 * CRYPTO_SHA256_LEN + 1];
    if (new_token(token_out, hash, err) < 0)
        return -1;
    return store_platform_token_create(s, "operator", NULL, hash, err);
}

int auth_developer_create(struct store *s, const char *name,
                          char developer_id_out[CRYPTO_ID_MAX],
                          char token_out[CRYPTO_TOKEN_LEN + 1], struct error *err)
{
    char hash[2 * CRYPTO_SHA256_LEN + 1];
    struct developer d;
    if (auth_name_validate(name, "developer", err) < 0 || new_token(token_out, hash, err) < 0 ||
        store_developer_create(s, name, hash, &d, err) < 0)
        return -1;
    memcpy(developer_id_out, d.id, CRYPTO_ID_MAX);
    return 0;
}

int auth_developer_token_create(struct store *s, const char *developer_id,
                                char token_out[CRYPTO_TOKEN_LEN + 1], struct error *err)
{
    char hash[2 * CRYPTO_SHA256_LEN + 1];
    struct developer d;
    if (store_developer_get(s, developer_id, &d, err) < 0 || new_token(token_out, hash, err) < 0)
        return -1;
    return store_platform_token_create(s, "developer", d.id, hash, err);
}

int auth_platform_bearer(struct store *s, const char *hash, struct principal *out,
                         struct error *err)
{
    struct platform_token row;
    if (store_platform_token_find(s, hash, &row, err) < 0)
        return -1;
    if (!crypto_ct_equal(hash, strlen(hash), row.token_hash, strlen(row.token_hash)))
        return error_set(err, ERR_NOT_FOUND, "no such token");
    enum auth_role role = auth_role_parse(row.role);
    if (role != AUTH_ROLE_OPERATOR && role != AUTH_ROLE_DEVELOPER)
        return error_set(err, ERR_STORE, "platform token %s has the role '%s'", row.id,
                         row.role);
    int64_t now = clock_now_ms(), last_used = 0;
    if (clock_parse_rfc3339(row.last_used_at, &last_used) < 0 ||
        now - last_used > TOUCH_INTERVAL_MS) {
        struct error touch_err;
        if (store_platform_token_touch(s, row.id, now, &touch_err) < 0)
            log_warn("cannot record token use: %s", touch_err.message);
    }
    memset(out, 0, sizeof *out);
    memcpy(out->token_id, row.id, sizeof out->token_id);
    memcpy(out->developer_id, row.developer_id, sizeof out->developer_id);
    out->role = role;
    return 0;
}
