/* auth/tokens.c - bearer tokens: creation, and the check on every protected request. */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "auth/auth.h"
#include "core/clock.h"
#include "core/log.h"

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

/* Reads n decimal digits at s; -1 when any of them is not a digit. */
static int digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* Days from 1970-01-01 to a date of the proleptic Gregorian calendar, counted in 400-year
 * eras that start on March 1st, so the leap day falls at the end of a year. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* Parses a stored timestamp (YYYY-MM-DDTHH:MM:SS.mmmZ, as clock_format_rfc3339 writes it)
 * back to epoch ms; 0 when empty or malformed. Plain arithmetic: this runs on every
 * authenticated request, and timegm() takes the C library's global time-zone lock. */
static int64_t parse_rfc3339_ms(const char *s)
{
    if (strlen(s) != CLOCK_RFC3339_LEN - 1 || s[4] != '-' || s[7] != '-' || s[10] != 'T' ||
        s[13] != ':' || s[16] != ':' || s[19] != '.' || s[23] != 'Z')
        return 0;
    int year = digits(s, 4), mon = digits(s + 5, 2), day = digits(s + 8, 2);
    int hour = digits(s + 11, 2), min = digits(s + 14, 2), sec = digits(s + 17, 2);
    int ms = digits(s + 20, 3);
    if (year < 0 || mon < 1 || mon > 12 || day < 1 || day > 31 || hour < 0 || hour > 23 ||
        min < 0 || min > 59 || sec < 0 || sec > 60 || ms < 0)
        return 0;
    int64_t secs = days_from_civil(year, mon, day) * 86400 + hour * 3600 + min * 60 + sec;
    return secs * 1000 + ms;
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
        if (err && err->code == ERR_NOT_FOUND)
            return error_set(err, ERR_UNAUTHORIZED, "invalid token");
        return -1;
    }
    /* The store matched on the hash; compare again in constant time so the decision never
     * rests on a comparison whose timing depends on the secret. */
    if (!crypto_ct_equal(hash, strlen(hash), row.token_hash, strlen(row.token_hash)))
        return error_set(err, ERR_UNAUTHORIZED, "invalid token");

    int64_t now = clock_now_ms();
    if (now - parse_rfc3339_ms(row.last_used_at) > TOUCH_INTERVAL_MS) {
        struct error touch_err;
        if (store_token_touch(s, row.id, now, &touch_err) < 0)
            log_warn("cannot record token use: %s", touch_err.message);
    }
    memcpy(out->tenant_id, row.tenant_id, sizeof out->tenant_id);
    memcpy(out->token_id, row.id, sizeof out->token_id);
    out->role = auth_role_parse(row.role);
    return 0;
}

static int validate_name(const char *name, struct error *err)
{
    size_t len = strlen(name);
    if (len == 0 || len > 200)
        return error_set(err, ERR_VALIDATION, "tenant name must be 1 to 200 bytes of UTF-8");
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
            return error_set(err, ERR_VALIDATION, "tenant name must not contain control characters");
    return 0;
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
    if (auth_role_parse(role) == AUTH_ROLE_NONE)
        return error_set(err, ERR_VALIDATION, "unknown role '%.16s' (expected admin|member)", role);
    char hash[2 * CRYPTO_SHA256_LEN + 1];
    if (crypto_token_new(token_out) < 0)
        return error_set(err, ERR_INTERNAL, "no randomness available");
    crypto_token_hash(token_out, CRYPTO_TOKEN_LEN, hash);
    return store_token_create(s, tenant_id, role, hash, NULL, err);
}
