/* oauth/consent.c - the authorization code flow (RFC 6749 4.1, with PKCE, RFC 7636, where
 * the service takes it).
 *
 * start: a random state (256 bits) goes into the consent URL; the store keeps only its
 * SHA-256, bound to the tenant and the install, with the redirect URI and the PKCE verifier
 * (sealed), for OAUTH_STATE_TTL_MS. finish: the callback's state is taken from the store in
 * one statement (a second use finds nothing), checked for expiry and for belonging to an
 * install of the connector the callback names, and the code is exchanged at the token URL
 * with the same redirect URI and the verifier. The state is what authenticates the
 * callback: it comes from the service's redirect in the admin's browser, without a token
 * of ours. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "crypto/crypto.h"
#include "oauth/oauth_int.h"
#include "store/oauth.h"

#define RANDOM_BYTES 32
#define B64URL_32 44 /* base64url of 32 bytes (43 characters) + NUL */

static int random_b64url(char out[B64URL_32], struct error *err)
{
    unsigned char raw[RANDOM_BYTES];
    if (crypto_random(raw, sizeof raw) < 0)
        return error_set(err, ERR_INTERNAL, "no randomness available");
    crypto_b64url(raw, sizeof raw, out);
    return 0;
}

static void state_hash(const char *state, char out[2 * CRYPTO_SHA256_LEN + 1])
{
    unsigned char digest[CRYPTO_SHA256_LEN];
    crypto_sha256(state, strlen(state), digest);
    crypto_hex(digest, sizeof digest, out);
}

/* The consent URL: the authorize endpoint with the request's parameters. */
static int consent_url(const struct oauth_install *oi, const char *client_id,
                       const char *redirect_uri, const char *state, const char *challenge,
                       struct buf *url, struct error *err)
{
    const struct oauth_service *svc = oi->svc;
    struct buf q;
    buf_init(&q, 8192);
    int rc = oauth_form_add(&q, "response_type", "code") < 0 ||
                     oauth_form_add(&q, "client_id", client_id) < 0 ||
                     oauth_form_add(&q, "redirect_uri", redirect_uri) < 0 ||
                     (svc->scopes && oauth_form_add(&q, "scope", svc->scopes) < 0) ||
                     oauth_form_add(&q, "state", state) < 0 ||
                     (challenge && (oauth_form_add(&q, "code_challenge", challenge) < 0 ||
                                    oauth_form_add(&q, "code_challenge_method", "S256") < 0)) ||
                     ((svc->flags & OAUTH_OFFLINE) &&
                      (oauth_form_add(&q, "access_type", "offline") < 0 ||
                       oauth_form_add(&q, "prompt", "consent") < 0))
                 ? -1
                 : 0;
    if (rc == 0 && oauth_url(oi, true, url, err) < 0)
        rc = -2;
    if (rc == 0 && (buf_append_str(url, strchr(url->data, '?') ? "&" : "?") < 0 ||
                    buf_append(url, q.data, q.len) < 0))
        rc = -1;
    if (rc == -1)
        error_set(err, ERR_INTERNAL, "out of memory");
    buf_free(&q);
    return rc < 0 ? -1 : 0;
}

int oauth_consent_start(struct store *s, const unsigned char *master_key, const char *tenant_id,
                        const char *install_id, const char *redirect_uri, char **url_out,
                        struct error *err)
{
    char state[OAUTH_STATE_TEXT_MAX];
    int rc = oauth_consent_start_state(s, master_key, tenant_id, install_id, redirect_uri,
                                       url_out, state, err);
    memset(state, 0, sizeof state);
    return rc;
}

int oauth_consent_start_state(struct store *s, const unsigned char *master_key,
                              const char *tenant_id, const char *install_id,
                              const char *redirect_uri, char **url_out,
                              char state_out[OAUTH_STATE_TEXT_MAX], struct error *err)
{
    struct oauth_install oi;
    struct oauth_state st = {0};
    struct buf sealed, url;
    char state[B64URL_32], verifier[B64URL_32], challenge[B64URL_32];
    char hash[2 * CRYPTO_SHA256_LEN + 1], now_at[CLOCK_RFC3339_LEN];
    unsigned char digest[CRYPTO_SHA256_LEN];
    int rc = -1;
    *url_out = NULL;
    buf_init(&sealed, 0);
    buf_init(&url, 16384);
    if (oauth_install_load(s, tenant_id, install_id, &oi, err) < 0)
        return -1;
    const struct oauth_service *svc = oi.svc;
    const char *client_id = oauth_setting(&oi, svc->client_id_setting);
    bool pkce = svc->flags & OAUTH_PKCE;
    if (!svc->authorize_url) {
        error_set(err, ERR_VALIDATION, "%s takes its refresh token in its settings; it has no "
                  "consent flow here", svc->slug);
        goto out;
    }
    /* the client's credential: its secret, or the key that signs its assertions */
    const char *credential = (svc->flags & OAUTH_CLIENT_ASSERTION) ? svc->key_setting
                                                                   : svc->client_secret_setting;
    if (!client_id || !json_object_get(oi.secrets, credential)) {
        error_set(err, ERR_VALIDATION, "configure the OAuth client first: %s is not set",
                  !client_id ? svc->client_id_setting : credential);
        goto out;
    }
    if (strlen(redirect_uri) >= sizeof st.redirect_uri) {
        error_set(err, ERR_CONFIG, "the public URL is too long for a redirect URI");
        goto out;
    }
    if (random_b64url(state, err) < 0 || (pkce && random_b64url(verifier, err) < 0))
        goto out;
    if (pkce) {
        crypto_sha256(verifier, strlen(verifier), digest);
        crypto_b64url(digest, sizeof digest, challenge);
        if (oauth_seal(&oi, master_key, "oauth-verifier", verifier, &sealed, err) < 0)
            goto out;
    }
    state_hash(state, hash);
    snprintf(st.tenant_id, sizeof st.tenant_id, "%s", oi.in.tenant_id);
    snprintf(st.install_id, sizeof st.install_id, "%s", oi.in.id);
    snprintf(st.redirect_uri, sizeof st.redirect_uri, "%s", redirect_uri);
    st.verifier_sealed = pkce ? sealed.data : NULL;
    int64_t now = clock_now_ms();
    clock_format_rfc3339(now, now_at);
    clock_format_rfc3339(now + OAUTH_STATE_TTL_MS, st.expires_at);
    if (store_oauth_state_insert(s, hash, &st, now_at, err) < 0 ||
        consent_url(&oi, client_id, redirect_uri, state, pkce ? challenge : NULL, &url, err) < 0)
        goto out;
    *url_out = buf_take(&url, NULL);
    rc = *url_out ? 0 : error_set(err, ERR_INTERNAL, "out of memory");
    memcpy(state_out, state, sizeof state);
out:
    memset(verifier, 0, sizeof verifier);
    buf_free(&sealed);
    buf_free(&url);
    oauth_install_free(&oi);
    return rc;
}

int oauth_consent_finish(struct store *s, const unsigned char *master_key, const char *slug,
                         const char *state, const char *code, struct oauth_connected *out,
                         struct error *err)
{
    struct oauth_state st = {0};
    struct oauth_install oi = {0};
    struct oauth_tokens t;
    struct buf form, verifier, access_sealed, refresh_sealed;
    char hash[2 * CRYPTO_SHA256_LEN + 1], expires[CLOCK_RFC3339_LEN] = "";
    int64_t expires_ms = 0;
    int rc = -1;
    memset(out, 0, sizeof *out);
    oauth_tokens_init(&t);
    buf_init(&form, 1 << 16);
    buf_init(&verifier, 256);
    buf_init(&access_sealed, 0);
    buf_init(&refresh_sealed, 0);
    state_hash(state, hash);
    if (store_oauth_state_take(s, hash, &st, err) < 0) {
        if (err->code == ERR_NOT_FOUND)
            error_set(err, ERR_FORBIDDEN, "the state is unknown or was used already; start "
                                          "the connection again");
        goto out;
    }
    if (clock_parse_rfc3339(st.expires_at, &expires_ms) < 0 || expires_ms < clock_now_ms()) {
        error_set(err, ERR_FORBIDDEN, "the state expired; start the connection again");
        goto out;
    }
    if (oauth_install_load(s, st.tenant_id, st.install_id, &oi, err) < 0)
        goto out;
    if (strcmp(oi.in.slug, slug) != 0) {
        error_set(err, ERR_FORBIDDEN, "the state belongs to another connector");
        goto out;
    }
    if (oauth_form_add(&form, "grant_type", "authorization_code") < 0 ||
        oauth_form_add(&form, "code", code) < 0 ||
        oauth_form_add(&form, "redirect_uri", st.redirect_uri) < 0) {
        error_set(err, ERR_INTERNAL, "out of memory");
        goto out;
    }
    if (st.verifier_sealed &&
        (oauth_unseal(st.tenant_id, st.install_id, master_key, "oauth-verifier",
                      st.verifier_sealed, &verifier, err) < 0 ||
         oauth_form_add(&form, "code_verifier", verifier.data ? verifier.data : "") < 0))
        goto out;
    if (oauth_token_request(&oi, master_key, &form, true, &t, err) < 0)
        goto out;
    if (!t.refresh.len)
        log_warn("oauth: %s install %s connected without a refresh token; it must be "
                 "connected again when the access token expires", slug, oi.in.id);
    if (t.expires_at_ms)
        clock_format_rfc3339(t.expires_at_ms, expires);
    if (oauth_seal(&oi, master_key, "oauth-access", t.access.data, &access_sealed, err) < 0 ||
        (t.refresh.len &&
         oauth_seal(&oi, master_key, "oauth-refresh", t.refresh.data, &refresh_sealed, err) < 0))
        goto out;
    const char *scope = t.scope[0] ? t.scope : oi.svc->scopes;
    if (store_oauth_connect(s, oi.in.tenant_id, oi.in.id,
                            t.refresh.len ? refresh_sealed.data : NULL, access_sealed.data,
                            expires[0] ? expires : NULL, scope, err) < 0)
        goto out;
    snprintf(out->tenant_id, sizeof out->tenant_id, "%s", oi.in.tenant_id);
    snprintf(out->install_id, sizeof out->install_id, "%s", oi.in.id);
    snprintf(out->slug, sizeof out->slug, "%s", oi.in.slug);
    snprintf(out->scope, sizeof out->scope, "%s", scope ? scope : "");
    memcpy(out->expires_at, expires, sizeof out->expires_at);
    log_info("oauth: %s install %s connected", slug, oi.in.id);
    rc = 0;
out:
    oauth_tokens_free(&t);
    if (verifier.data)
        memset(verifier.data, 0, verifier.len);
    buf_free(&verifier);
    if (form.data)
        memset(form.data, 0, form.len);
    buf_free(&form);
    buf_free(&access_sealed);
    buf_free(&refresh_sealed);
    oauth_install_free(&oi);
    store_oauth_state_clear(&st);
    return rc;
}
