/* oauth/oauth.h - OAuth 2 for installs: the one place that holds, renews and hands out
 * access tokens for the connectors whose services speak OAuth (Timely's sync; the xero,
 * quickbooks and salesforce destinations; bigquery's service-account tokens).
 *
 * An install's refresh token and its current access token are kept sealed (AES-256-GCM
 * under the master key, bound to "<tenant>/<install>/oauth-refresh" and ".../oauth-access")
 * in the store's oauth_tokens row (migration 16). A caller asks for a bearer token and gets
 * one that is valid for at least another minute: the cached access token, or a new one from
 * the service's token URL. Refreshing is serialized per install across threads and
 * processes (a lease on the row, taken by a conditional update), so a service that rotates
 * its refresh tokens (Xero) never sees the same one used twice.
 *
 * Every function is thread-safe. Tokens are never logged and never put into an error's
 * message. */
#ifndef CONNECTORD_OAUTH_H
#define CONNECTORD_OAUTH_H

#include <stddef.h>

#include "core/error.h"
#include "store/store.h"

/* Room for an access token (services issue up to ~2 KB JWTs; Salesforce's are shorter). */
#define OAUTH_TOKEN_MAX 4096

/* Writes a valid bearer token for the tenant's install into out (NUL-terminated, at most
 * cap bytes): the stored access token when it is valid for more than a minute, else a new
 * one obtained with the stored refresh token (stored in turn, with the rotated refresh
 * token when the service sends one). Returns 0, or -1 with:
 *   ERR_NOT_INSTALLED  the install has no authorization yet (never connected, or revoked):
 *                      the message says to connect it via .../oauth/start;
 *   ERR_SERVICE_REFUSED the token URL refused the refresh token (invalid_grant): the
 *                      install must be connected again;
 *   ERR_UNAVAILABLE / ERR_SERVICE_FAILED the token URL did not answer, or answered 5xx;
 *   ERR_INVALID_FIELD  cap too small for the token;
 *   ERR_STORE / ERR_INTERNAL otherwise. */
int oauth_access_token(struct store *s, const unsigned char *master_key, const char *tenant_id,
                       const char *install_id, char *out, size_t cap, struct error *err);

/* Forgets the install's access token (after the service answered 401 to it), so that the
 * next oauth_access_token() refreshes. The refresh token stays. 0, or -1 with err. */
int oauth_invalidate(struct store *s, const char *tenant_id, const char *install_id,
                     struct error *err);

#endif
