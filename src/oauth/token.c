/* oauth/token.c - access tokens for installs (oauth.h): the cached one while it lasts,
 * else a new one from the token endpoint, one refresh per install at a time.
 *
 * The refresh is serialized by a lease on the install's oauth_tokens row (store/oauth.h):
 * the caller whose conditional UPDATE took the lease reads the row again (a holder that
 * just finished may have stored a fresh token already), calls the token URL, and stores
 * the new tokens only while it still holds the lease. Everybody else waits a moment and
 * reads what the holder stored. So two threads or processes never present the same
 * refresh token, which a rotating service (Xero) would answer by revoking the grant.
 *
 * A destination keeps its refresh token (or service-account key) in a setting: the row is
 * seeded from it, and seeded again when the setting changes (the row remembers the
 * setting's SHA-256); from then on the row holds the rotated token. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/clock.h"
#include "core/log.h"
#include "crypto/crypto.h"
#include "httpc/httpc.h"
#include "oauth/oauth_int.h"
#include "store/oauth.h"

#define VALID_MARGIN_MS 60000   /* a token expiring within this is refreshed first */
#define LEASE_MS 30000          /* longer than a token request may take */
#define WAIT_STEP_MS 50
#define WAIT_MAX_MS 20000       /* how long a caller waits for another's refresh */
#define TOKEN_RESPONSE_MAX (64 * 1024)
#define EXPIRES_IN_MAX (366LL * 24 * 3600) /* seconds; beyond this the answer is nonsense */

static struct oauth_options options;

void oauth_configure(const struct oauth_options *o)
{
    options = *o;
}

void oauth_tokens_init(struct oauth_tokens *t)
{
    memset(t, 0, sizeof *t);
    buf_init(&t->access, OAUTH_TOKEN_MAX);
    buf_init(&t->refresh, OAUTH_TOKEN_MAX);
}

static void buf_wipe(struct buf *b)
{
    if (b->data)
        memset(b->data, 0, b->len);
    buf_free(b);
}

void oauth_tokens_free(struct oauth_tokens *t)
{
    buf_wipe(&t->access);
    buf_wipe(&t->refresh);
}

/* The error an answer of the token URL means; its body's "error" code (RFC 6749 5.2) is a
 * fixed vocabulary and safe to quote, error_description is not quoted (it may echo what
 * was sent). */
static int token_refused(const char *slug, long status, const json_t *body, struct error *err)
{
    const char *code = json_string_value(json_object_get(body, "error"));
    char shown[64] = "";
    if (code) {
        size_t n = 0;
        for (; code[n] && n < sizeof shown - 1; n++)
            shown[n] = (code[n] >= 'a' && code[n] <= 'z') || code[n] == '_' ? code[n] : '?';
        shown[n] = '\0';
    }
    if (status >= 500 || status == 429)
        return error_set(err, ERR_SERVICE_FAILED, "the %s token URL answered HTTP %ld", slug,
                         status);
    return error_set(err, ERR_SERVICE_REFUSED,
                     "the %s token URL refused the grant (HTTP %ld%s%s); connect the "
                     "connector again",
                     slug, status, shown[0] ? ", " : "", shown);
}

int oauth_tokens_parse(const char *slug, long status, const char *text, size_t len,
                       struct oauth_tokens *out, struct error *err)
{
    json_t *body = json_loadb(text, len, 0, NULL);
    int rc = -1;
    if (status < 200 || status > 299) {
        token_refused(slug, status, body, err);
        goto out;
    }
    const char *access = json_string_value(json_object_get(body, "access_token"));
    const char *refresh = json_string_value(json_object_get(body, "refresh_token"));
    const char *type = json_string_value(json_object_get(body, "token_type"));
    const char *scope = json_string_value(json_object_get(body, "scope"));
    json_t *expires = json_object_get(body, "expires_in");
    if (json_is_null(expires))
        expires = NULL;
    if (!access || !*access || (type && strcasecmp(type, "bearer") != 0)) {
        error_set(err, ERR_SERVICE_FAILED, "the %s token URL answered without a bearer token",
                  slug);
        goto out;
    }
    if (buf_append_str(&out->access, access) < 0 ||
        (refresh && *refresh && buf_append_str(&out->refresh, refresh) < 0)) {
        error_set(err, ERR_SERVICE_FAILED, "the %s token URL answered a token longer than %d "
                  "bytes", slug, OAUTH_TOKEN_MAX);
        goto out;
    }
    /* expires_in is a number, or (some servers) its decimal text */
    long long seconds = -1;
    if (json_is_integer(expires))
        seconds = json_integer_value(expires);
    else if (json_is_string(expires)) {
        const char *digits = json_string_value(expires);
        char *end = NULL;
        seconds = strtoll(digits, &end, 10);
        if (end == digits || *end)
            seconds = -1;
    }
    if (expires && (seconds <= 0 || seconds > EXPIRES_IN_MAX)) {
        error_set(err, ERR_SERVICE_FAILED, "the %s token URL answered an invalid expires_in",
                  slug);
        goto out;
    }
    out->expires_at_ms = expires ? clock_now_ms() + seconds * 1000 : 0;
    if (scope)
        snprintf(out->scope, sizeof out->scope, "%s", scope);
    rc = 0;
out:
    json_decref(body);
    return rc;
}

/* The host of the public URL, the domain of every redirect URI this server registers:
 * what a client assertion's iss must name. */
static _Atomic(const char *) public_url;

void oauth_set_public_url(const char *url)
{
    atomic_store(&public_url, url);
}

static void issuer_host(char *out, size_t cap)
{
    const char *url = atomic_load(&public_url);
    url = url ? url : "";
    const char *host = strstr(url, "://");
    host = host ? host + 3 : url;
    size_t n = strcspn(host, ":/?#");
    if (n == 0 || n >= cap)
        snprintf(out, cap, "localhost");
    else
        snprintf(out, cap, "%.*s", (int)n, host);
}

/* Adds client_id and a signed client assertion (RFC 7523 section 2.2) to form: an RS256
 * JWT {iss: this server's host, sub: the client id, aud, iat, exp: iat + 5 min} under the
 * install's key setting. */
static int client_assertion_add(const struct oauth_install *oi, const unsigned char *master_key,
                                const char *client_id, struct buf *form, struct error *err)
{
    const struct oauth_service *svc = oi->svc;
    struct buf key, jwt;
    char iss[256];
    json_int_t iat = (json_int_t)(clock_now_ms() / 1000);
    json_t *header = NULL, *claims = NULL;
    int rc = -1;
    buf_init(&key, 1 << 16);
    buf_init(&jwt, 1 << 14);
    if (!client_id) {
        error_set(err, ERR_VALIDATION, "%s is not set", svc->client_id_setting);
        goto out;
    }
    if (oauth_secret(oi, master_key, svc->key_setting, &key, err) < 0) {
        if (err->code == ERR_NOT_FOUND)
            err->code = ERR_VALIDATION;
        goto out;
    }
    issuer_host(iss, sizeof iss);
    header = json_pack("{s:s, s:s}", "alg", "RS256", "typ", "JWT");
    claims = json_pack("{s:s, s:s, s:s, s:I, s:I}", "iss", iss, "sub", client_id, "aud",
                       svc->assertion_audience, "iat", iat, "exp", iat + 300);
    if (!header || !claims) {
        error_set(err, ERR_INTERNAL, "out of memory");
        goto out;
    }
    if (oauth_jwt_sign(header, claims, key.data ? key.data : "", key.len, &jwt, err) < 0)
        goto out;
    if (oauth_form_add(form, "client_id", client_id) < 0 ||
        oauth_form_add(form, "client_assertion_type",
                       "urn:ietf:params:oauth:client-assertion-type:jwt-bearer") < 0 ||
        oauth_form_add(form, "client_assertion", jwt.data) < 0) {
        error_set(err, ERR_INTERNAL, "out of memory");
        goto out;
    }
    rc = 0;
out:
    json_decref(header);
    json_decref(claims);
    buf_wipe(&key);
    buf_free(&jwt);
    return rc;
}

int oauth_token_request(const struct oauth_install *oi, const unsigned char *master_key,
                        struct buf *form, bool with_client, struct oauth_tokens *out,
                        struct error *err)
{
    const struct oauth_service *svc = oi->svc;
    const char *client_id = oauth_setting(oi, svc->client_id_setting);
    struct buf url, secret;
    struct httpc_response resp = {0};
    int rc = -1;
    buf_init(&url, 4096);
    buf_init(&secret, 4096);
    if (with_client && (svc->flags & OAUTH_CLIENT_ASSERTION)) {
        if (client_assertion_add(oi, master_key, client_id, form, err) < 0)
            goto out;
    } else if (with_client) {
        if (!client_id) {
            error_set(err, ERR_VALIDATION, "%s is not set", svc->client_id_setting);
            goto out;
        }
        if (oauth_secret(oi, master_key, svc->client_secret_setting, &secret, err) < 0) {
            if (err->code == ERR_NOT_FOUND)
                err->code = ERR_VALIDATION;
            goto out;
        }
        if (!(svc->flags & OAUTH_CLIENT_BASIC) &&
            (oauth_form_add(form, "client_id", client_id) < 0 ||
             oauth_form_add(form, "client_secret", secret.data ? secret.data : "") < 0)) {
            error_set(err, ERR_INTERNAL, "out of memory");
            goto out;
        }
    }
    if (oauth_url(oi, false, &url, err) < 0)
        goto out;
    struct httpc_header headers[] = {
        {"Content-Type", "application/x-www-form-urlencoded"}, {"Accept", "application/json"}};
    bool basic = with_client && (svc->flags & OAUTH_CLIENT_BASIC);
    struct httpc_request req = {.method = "POST", .url = url.data, .headers = headers,
                                .n_headers = 2, .body = form->data ? form->data : "",
                                .body_len = form->len,
                                .basic_user = basic ? client_id : NULL,
                                .basic_password = basic ? secret.data : NULL,
                                .timeout_ms = options.timeout_ms,
                                .max_response = TOKEN_RESPONSE_MAX,
                                .refuse_private = !options.allow_private};
    if (httpc_perform(&req, &resp, err) < 0)
        goto out;
    rc = oauth_tokens_parse(svc->slug, resp.status, resp.body.data ? resp.body.data : "",
                            resp.body.len, out, err);
out:
    if (resp.body.data)
        memset(resp.body.data, 0, resp.body.len);
    httpc_response_free(&resp);
    buf_wipe(&secret);
    buf_free(&url);
    return rc;
}

/* ---- the cached token ------------------------------------------------------------------ */

static bool access_valid(const struct oauth_grant *g, int64_t now)
{
    int64_t expires = 0;
    if (!g->access_sealed)
        return false;
    if (!g->expires_at[0])
        return true; /* no expiry given: valid until the service answers 401 */
    return clock_parse_rfc3339(g->expires_at, &expires) == 0 && expires > now + VALID_MARGIN_MS;
}

static int copy_token(const char *token, size_t len, char *out, size_t cap, struct error *err)
{
    if (len + 1 > cap)
        return error_set(err, ERR_INVALID_FIELD, "the access token does not fit %zu bytes", cap);
    memcpy(out, token, len);
    out[len] = '\0';
    return 0;
}

static int open_access(const struct oauth_grant *g, const unsigned char *master_key, char *out,
                       size_t cap, struct error *err)
{
    struct buf plain;
    buf_init(&plain, OAUTH_TOKEN_MAX + 1);
    int rc = oauth_unseal(g->tenant_id, g->install_id, master_key, "oauth-access",
                          g->access_sealed, &plain, err);
    if (rc == 0)
        rc = copy_token(plain.data ? plain.data : "", plain.len, out, cap, err);
    buf_wipe(&plain);
    return rc;
}

/* Seeds the grant from the install's refresh token or key setting, when it has one. */
static int seed_from_settings(struct store *s, const struct oauth_install *oi,
                              const unsigned char *master_key, struct error *err)
{
    const struct oauth_service *svc = oi->svc;
    const char *name = svc->grant == OAUTH_GRANT_JWT ? svc->key_setting : svc->refresh_setting;
    struct buf value, sealed;
    unsigned char digest[CRYPTO_SHA256_LEN];
    char hash[2 * CRYPTO_SHA256_LEN + 1];
    int rc = -1;
    buf_init(&value, 1 << 16);
    buf_init(&sealed, 0);
    if (!name || !json_object_get(oi->secrets, name)) {
        rc = 0; /* nothing to seed from: the consent flow's grant, or none */
        goto out;
    }
    if (oauth_secret(oi, master_key, name, &value, err) < 0)
        goto out;
    crypto_sha256(value.data ? value.data : "", value.len, digest);
    crypto_hex(digest, sizeof digest, hash);
    if (svc->grant == OAUTH_GRANT_REFRESH &&
        oauth_seal(oi, master_key, "oauth-refresh", value.data ? value.data : "", &sealed,
                   err) < 0)
        goto out;
    rc = store_oauth_seed(s, oi->in.tenant_id, oi->in.id,
                          svc->grant == OAUTH_GRANT_REFRESH ? sealed.data : NULL, hash, err);
out:
    buf_wipe(&value);
    buf_free(&sealed);
    return rc;
}

/* ERR_NOT_INSTALLED saying how this connector gets its authorization. */
static int not_connected(const struct oauth_service *svc, struct error *err)
{
    if (svc->authorize_url)
        return error_set(err, ERR_NOT_INSTALLED, "%s is not connected yet: GET "
                         "/api/connectors/%s/oauth/start answers the consent URL to open",
                         svc->slug, svc->slug);
    return error_set(err, ERR_NOT_INSTALLED, "%s has no %s setting to obtain access tokens with",
                     svc->slug, svc->refresh_setting ? svc->refresh_setting : svc->key_setting);
}

/* Asks the token URL for new tokens with the grant's refresh token, or a signed assertion. */
static int grant_request(const struct oauth_install *oi, const struct oauth_grant *g,
                         const unsigned char *master_key, struct oauth_tokens *out,
                         struct error *err)
{
    const struct oauth_service *svc = oi->svc;
    struct buf form, secret, token_url;
    int rc = -1;
    buf_init(&form, 1 << 16);
    buf_init(&secret, 1 << 16);
    buf_init(&token_url, 4096);
    if (svc->grant == OAUTH_GRANT_JWT) {
        if (oauth_secret(oi, master_key, svc->key_setting, &secret, err) < 0 ||
            oauth_url(oi, false, &token_url, err) < 0 ||
            oauth_jwt_assertion(secret.data ? secret.data : "", secret.len, svc->scopes,
                                token_url.data, clock_now_ms(), &form, err) < 0)
            goto out;
        /* form holds the assertion; put the grant around it */
        struct buf body;
        buf_init(&body, 1 << 16);
        if (oauth_form_add(&body, "grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer") <
                0 ||
            oauth_form_add(&body, "assertion", form.data) < 0) {
            buf_free(&body);
            error_set(err, ERR_INTERNAL, "out of memory");
            goto out;
        }
        rc = oauth_token_request(oi, master_key, &body, false, out, err);
        buf_wipe(&body);
        goto out;
    }
    if (!g->refresh_sealed) {
        not_connected(svc, err);
        goto out;
    }
    if (oauth_unseal(g->tenant_id, g->install_id, master_key, "oauth-refresh",
                     g->refresh_sealed, &secret, err) < 0)
        goto out;
    if (oauth_form_add(&form, "grant_type", "refresh_token") < 0 ||
        oauth_form_add(&form, "refresh_token", secret.data ? secret.data : "") < 0) {
        error_set(err, ERR_INTERNAL, "out of memory");
        goto out;
    }
    rc = oauth_token_request(oi, master_key, &form, true, out, err);
out:
    buf_wipe(&form);
    buf_wipe(&secret);
    buf_free(&token_url);
    return rc;
}

/* Refreshes while holding the lease lease_id and stores the result; the new access token
 * goes to out. */
static int refresh_locked(struct store *s, const struct oauth_install *oi,
                          const struct oauth_grant *g, const unsigned char *master_key,
                          const char *lease_id, char *out, size_t cap, struct error *err)
{
    struct oauth_tokens t;
    struct buf access_sealed, refresh_sealed;
    char expires[CLOCK_RFC3339_LEN] = "";
    int rc = -1;
    oauth_tokens_init(&t);
    buf_init(&access_sealed, 0);
    buf_init(&refresh_sealed, 0);
    if (grant_request(oi, g, master_key, &t, err) < 0)
        goto out;
    if (t.expires_at_ms)
        clock_format_rfc3339(t.expires_at_ms, expires);
    if (oauth_seal(oi, master_key, "oauth-access", t.access.data, &access_sealed, err) < 0 ||
        (t.refresh.len &&
         oauth_seal(oi, master_key, "oauth-refresh", t.refresh.data, &refresh_sealed, err) < 0))
        goto out;
    if (store_oauth_refreshed(s, oi->in.tenant_id, oi->in.id, lease_id,
                              t.refresh.len ? refresh_sealed.data : NULL, access_sealed.data,
                              expires[0] ? expires : NULL, t.scope[0] ? t.scope : NULL,
                              err) < 0)
        goto out;
    log_info("oauth: renewed the access token of %s install %s%s", oi->svc->slug, oi->in.id,
             t.refresh.len ? " (and its rotated refresh token)" : "");
    rc = copy_token(t.access.data, t.access.len, out, cap, err);
out:
    oauth_tokens_free(&t);
    buf_free(&access_sealed);
    buf_free(&refresh_sealed);
    return rc;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

int oauth_access_token(struct store *s, const unsigned char *master_key, const char *tenant_id,
                       const char *install_id, char *out, size_t cap, struct error *err)
{
    struct oauth_install oi;
    struct oauth_grant g = {0};
    char lease_id[CRYPTO_ID_MAX];
    int rc = -1;
    if (oauth_install_load(s, tenant_id, install_id, &oi, err) < 0)
        return -1;
    if (seed_from_settings(s, &oi, master_key, err) < 0 || crypto_id_new("lse_", lease_id) < 0)
        goto out;
    for (int64_t waited = 0;; waited += WAIT_STEP_MS) {
        int64_t now = clock_now_ms();
        bool taken = false;
        store_oauth_grant_clear(&g);
        if (store_oauth_get(s, tenant_id, install_id, &g, err) < 0) {
            if (err->code == ERR_NOT_FOUND)
                not_connected(oi.svc, err);
            goto out;
        }
        if (access_valid(&g, now)) {
            rc = open_access(&g, master_key, out, cap, err);
            goto out;
        }
        if (store_oauth_lease(s, tenant_id, install_id, lease_id, now, now + LEASE_MS, &taken,
                              err) < 0)
            goto out;
        if (taken)
            break;
        if (waited >= WAIT_MAX_MS) {
            error_set(err, ERR_UNAVAILABLE, "another process is renewing the %s token; try "
                      "again", oi.svc->slug);
            goto out;
        }
        sleep_ms(WAIT_STEP_MS);
    }
    /* Holding the lease: the row as it is now, since a refresh may have ended between the
     * read above and the lease. */
    store_oauth_grant_clear(&g);
    struct error release_err;
    if (store_oauth_get(s, tenant_id, install_id, &g, err) < 0)
        goto release;
    if (access_valid(&g, clock_now_ms())) {
        rc = open_access(&g, master_key, out, cap, err);
        goto release;
    }
    rc = refresh_locked(s, &oi, &g, master_key, lease_id, out, cap, err);
    if (rc == 0)
        goto out; /* storing gave the lease back */
release:
    if (store_oauth_release(s, tenant_id, install_id, lease_id, &release_err) < 0)
        log_warn("oauth: cannot release the refresh lease of %s: %s", install_id,
                 release_err.message);
out:
    store_oauth_grant_clear(&g);
    oauth_install_free(&oi);
    return rc;
}

int oauth_invalidate(struct store *s, const char *tenant_id, const char *install_id,
                     struct error *err)
{
    return store_oauth_invalidate(s, tenant_id, install_id, err);
}

int oauth_status_get(struct store *s, const char *tenant_id, const char *install_id,
                     struct oauth_status *out, struct error *err)
{
    struct oauth_grant g;
    memset(out, 0, sizeof *out);
    if (store_oauth_get(s, tenant_id, install_id, &g, err) < 0)
        return err->code == ERR_NOT_FOUND ? 0 : -1;
    out->connected = g.refresh_sealed != NULL || g.source_hash[0];
    out->has_access_token = g.access_sealed != NULL;
    memcpy(out->expires_at, g.expires_at, sizeof out->expires_at);
    memcpy(out->scope, g.scope, sizeof out->scope);
    memcpy(out->updated_at, g.updated_at, sizeof out->updated_at);
    store_oauth_grant_clear(&g);
    return 0;
}
