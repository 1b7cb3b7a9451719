/* oauth/oauth_int.h - private to oauth/: the service table, the install's settings as
 * oauth/ reads them, and the token endpoint call that every grant shares. */
#ifndef CONNECTORD_OAUTH_INT_H
#define CONNECTORD_OAUTH_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "oauth/oauth.h"
#include "store/installs.h"

enum oauth_grant_kind {
    OAUTH_GRANT_REFRESH, /* a refresh token: from the consent flow or from a setting */
    OAUTH_GRANT_JWT,     /* RFC 7523: a service-account key signs an assertion (Google) */
};

#define OAUTH_PKCE 0x1u         /* the authorize URL takes an S256 code challenge */
#define OAUTH_CLIENT_BASIC 0x2u /* the client authenticates with HTTP Basic, not the form */
#define OAUTH_OFFLINE 0x4u      /* Google: access_type=offline&prompt=consent, or no refresh
                                   token comes back */
#define OAUTH_CLIENT_ASSERTION 0x8u /* the client authenticates with an RS256 JWT signed by
                                       the key in key_setting (RFC 7523 section 2.2; Revolut
                                       Business), not with a secret */

struct oauth_service {
    const char *slug;
    enum oauth_grant_kind grant;
    unsigned flags;
    /* The defaults; NULL authorize_url: no consent flow (the refresh token or key is a
     * setting). */
    const char *authorize_url;
    const char *token_url;
    /* The setting whose URL replaces the defaults' base; the paths are then appended. */
    const char *base_setting;
    const char *authorize_path;
    const char *token_path;
    const char *scopes; /* space-separated, or NULL */
    /* The settings holding the client, a refresh token, a service-account key (NULL: the
     * service does not use that one). */
    const char *client_id_setting;
    const char *client_secret_setting;
    const char *refresh_setting;
    const char *key_setting;
    const char *assertion_audience; /* OAUTH_CLIENT_ASSERTION: the JWT's aud */
};

const struct oauth_service *oauth_service_find(const char *slug); /* NULL when unknown */

/* An install with its settings: config plain values and a way to open its secrets. */
struct oauth_install {
    struct install in;
    const struct oauth_service *svc;
    json_t *config; /* plain values */
    json_t *secrets;
    char aad[2 * CRYPTO_ID_MAX + 2]; /* "<tenant>/<install>" */
};
int oauth_install_load(struct store *s, const char *tenant_id, const char *install_id,
                       struct oauth_install *out, struct error *err);
void oauth_install_free(struct oauth_install *oi);
/* A plain setting, or NULL. */
const char *oauth_setting(const struct oauth_install *oi, const char *key);
/* Opens a secret setting into out; ERR_NOT_FOUND when it is not set. */
int oauth_secret(const struct oauth_install *oi, const unsigned char *key, const char *name,
                 struct buf *out, struct error *err);
/* The service's authorize or token URL for this install (the base setting applied). */
int oauth_url(const struct oauth_install *oi, bool authorize, struct buf *out,
              struct error *err);

/* Appends name=value form-encoded (with '&' before all but the first pair). */
int oauth_form_add(struct buf *form, const char *name, const char *value);
/* Appends s percent-encoded (RFC 3986 unreserved kept). */
int oauth_percent_encode(struct buf *out, const char *s);

/* What a token endpoint answered. */
struct oauth_tokens {
    struct buf access;  /* never empty on success */
    struct buf refresh; /* empty when the service sent none (keep the old one) */
    char scope[512];
    int64_t expires_at_ms; /* 0: the service gave no expiry */
};
void oauth_tokens_init(struct oauth_tokens *t);
void oauth_tokens_free(struct oauth_tokens *t);

/* Reads a token endpoint's answer (RFC 6749 5.1 and 5.2): on a 2xx, a bearer access token
 * (at most OAUTH_TOKEN_MAX bytes), the refresh token when one came, the scope, and the
 * expiry from expires_in (1 s to a year; a number or its decimal text). Errors as
 * oauth_access_token's: ERR_SERVICE_REFUSED for a refused grant, ERR_SERVICE_FAILED for a
 * 5xx, 429 or an answer without a usable token. out must be oauth_tokens_init'ed. */
int oauth_tokens_parse(const char *slug, long status, const char *body, size_t len,
                       struct oauth_tokens *out, struct error *err);

/* POSTs a form to the install's token URL (client authentication added as the service
 * wants: HTTP Basic, or client_id/client_secret in the form; with_client false: none, for
 * a signed assertion) and reads the answer. Errors as oauth_access_token's. */
int oauth_token_request(const struct oauth_install *oi, const unsigned char *master_key,
                        struct buf *form, bool with_client, struct oauth_tokens *out,
                        struct error *err);

/* Seals a token for the install under "<aad>/<what>". */
int oauth_seal(const struct oauth_install *oi, const unsigned char *master_key,
               const char *what, const char *value, struct buf *out, struct error *err);
int oauth_unseal(const char *tenant_id, const char *install_id,
                 const unsigned char *master_key, const char *what, const char *sealed,
                 struct buf *out, struct error *err);

/* The signed assertion of a service-account key (jwt.c): RS256 over {iss, scope, aud,
 * iat, exp}, into out. */
int oauth_jwt_assertion(const char *key_json, size_t key_len, const char *scope,
                        const char *audience, int64_t now_ms, struct buf *out,
                        struct error *err);

#endif
