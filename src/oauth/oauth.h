/* oauth/oauth.h - OAuth 2 for installs: the one place that holds, renews and hands out
 * access tokens for the connectors whose services speak OAuth (Timely's sync and Google
 * Workspace through the consent flow; the xero, quickbooks and salesforce destinations from
 * a refresh token in their settings; bigquery's service-account key, which signs its own
 * token request).
 *
 * An install's refresh token and its current access token are kept sealed (AES-256-GCM
 * under the master key, bound to "<tenant>/<install>/oauth-refresh" and ".../oauth-access")
 * in the store's oauth_tokens row (migration 16). A caller asks for a bearer token and gets
 * one that is valid for at least another minute: the cached access token, or a new one from
 * the service's token URL. Refreshing is serialized per install across threads and
 * processes (a lease on the row, taken by a conditional update), so a service that rotates
 * its refresh tokens (Xero, QuickBooks) never sees the same one used twice.
 *
 * The services are one table (services.c): authorize and token URLs, scopes, PKCE, how the
 * client authenticates, which settings hold the client, the refresh token or the key. Every
 * URL's base can be replaced by a setting of the install (the service's base_setting), so
 * tests and sandboxes point anywhere.
 *
 * Every function is thread-safe once oauth_configure() has run. Tokens are never logged and
 * never put into an error's message. */
#ifndef CONNECTORD_OAUTH_H
#define CONNECTORD_OAUTH_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/error.h"
#include "store/store.h"

/* Room for an access token (services issue up to ~2 KB JWTs; Salesforce's are shorter). */
#define OAUTH_TOKEN_MAX 4096

/* Writes a valid bearer token for the tenant's install into out (NUL-terminated, at most
 * cap bytes): the stored access token when it is valid for more than a minute (or carries
 * no expiry), else a new one obtained with the stored refresh token or the install's key
 * (stored in turn, with the rotated refresh token when the service sends one). Returns 0,
 * or -1 with:
 *   ERR_NOT_INSTALLED   the install has no authorization yet (never connected, no refresh
 *                       token or key in its settings): the message says what to do;
 *   ERR_SERVICE_REFUSED the token URL refused the grant (invalid_grant, invalid_client):
 *                       the install must be connected again;
 *   ERR_UNAVAILABLE / ERR_SERVICE_FAILED the token URL did not answer, or answered 5xx;
 *   ERR_VALIDATION      the connector does not use OAuth, or its settings are unusable;
 *   ERR_INVALID_FIELD   cap too small for the token;
 *   ERR_STORE / ERR_INTERNAL otherwise. */
int oauth_access_token(struct store *s, const unsigned char *master_key, const char *tenant_id,
                       const char *install_id, char *out, size_t cap, struct error *err);

/* Forgets the install's access token (after the service answered 401 to it), so that the
 * next oauth_access_token() refreshes. The refresh token stays. 0, or -1 with err. */
int oauth_invalidate(struct store *s, const char *tenant_id, const char *install_id,
                     struct error *err);

/* ---- process settings ------------------------------------------------------------------ */

struct oauth_options {
    bool allow_private; /* token URLs may be private / loopback addresses (tests, dev) */
    long timeout_ms;    /* a token request's whole time; 0: 10 s */
};
/* Once, before any other call (main). Without it: public addresses only, 10 s. */
void oauth_configure(const struct oauth_options *o);
/* This server's public URL, once it is known (the server listens first): its host is the
 * issuer of client assertions, the domain of the redirect URIs; until then "localhost".
 * The string must outlive every call; any thread. */
void oauth_set_public_url(const char *url);

/* ---- the consent flow (authorization code) --------------------------------------------- */

/* Whether the connector's service is in the table, and whether it has a consent flow. */
bool oauth_supported(const char *slug);
bool oauth_has_consent(const char *slug);

/* Starts the consent flow for the tenant's install: a state bound to the tenant and the
 * install, used once and expiring after OAUTH_STATE_TTL_MS, a PKCE verifier where the
 * service takes one, and the service's authorize URL with client id, redirect_uri, scopes,
 * state and code challenge, into *url_out (caller frees). The install's settings must hold
 * the OAuth client (ERR_VALIDATION naming the missing setting). */
#define OAUTH_STATE_TTL_MS (10 * 60 * 1000)
int oauth_consent_start(struct store *s, const unsigned char *master_key, const char *tenant_id,
                        const char *install_id, const char *redirect_uri, char **url_out,
                        struct error *err);

/* As oauth_consent_start, and the state it put into the URL into state_out (the caller
 * keys its own record of the flow by it, as the bank connections do). */
#define OAUTH_STATE_TEXT_MAX 44
int oauth_consent_start_state(struct store *s, const unsigned char *master_key,
                              const char *tenant_id, const char *install_id,
                              const char *redirect_uri, char **url_out,
                              char state_out[OAUTH_STATE_TEXT_MAX], struct error *err);

/* What a finished consent flow connected. */
struct oauth_connected {
    char tenant_id[48];
    char install_id[48];
    char slug[48];
    char scope[512];
    char expires_at[CLOCK_RFC3339_LEN]; /* "" when the service gave no expiry */
};

/* Finishes the flow the service redirected back to: takes the state (unknown, used or
 * expired: ERR_FORBIDDEN), checks it belongs to an install of `slug`, exchanges the code
 * at the token URL (with the PKCE verifier) and stores the tokens sealed. */
int oauth_consent_finish(struct store *s, const unsigned char *master_key, const char *slug,
                         const char *state, const char *code, struct oauth_connected *out,
                         struct error *err);

/* What the API may show of an install's grant: never a token. */
struct oauth_status {
    bool connected;                      /* a refresh token, or a key, is stored */
    bool has_access_token;
    char expires_at[CLOCK_RFC3339_LEN];  /* of the access token; "" when none or unknown */
    char scope[512];
    char updated_at[CLOCK_RFC3339_LEN];
};
int oauth_status_get(struct store *s, const char *tenant_id, const char *install_id,
                     struct oauth_status *out, struct error *err);

/* ---- JSON Web Tokens ------------------------------------------------------------------- */

/* Signs header.claims with RS256 (RSASSA-PKCS1-v1_5, SHA-256) under the RSA private key in
 * PEM form, into out (base64url(header) "." base64url(claims) "." base64url(signature)).
 * Used for service-account assertions, client assertions and application tokens (the bank
 * drivers). ERR_VALIDATION when the key is unusable. */
int oauth_jwt_sign(const json_t *header, const json_t *claims, const char *pem, size_t pem_len,
                   struct buf *out, struct error *err);

#endif
