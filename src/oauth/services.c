/* oauth/services.c - the services oauth/ talks to, as data: one row per connector whose
 * service hands out OAuth 2 tokens. Endpoints are the services' documented production
 * ones; an install replaces their base with its base_setting (a sandbox, a test server),
 * keeping the paths. */
#include <string.h>

#include "oauth/oauth_int.h"

static const struct oauth_service services[] = {
    /* Timely's API documentation: authorization code, client credentials in the form, no
     * PKCE; the OAuth endpoints live under the API's own base. */
    {.slug = "timely", .grant = OAUTH_GRANT_REFRESH,
     .authorize_url = "https://api.timelyapp.com/1.1/oauth/authorize",
     .token_url = "https://api.timelyapp.com/1.1/oauth/token",
     .base_setting = "apiBaseUrl", .authorize_path = "/oauth/authorize",
     .token_path = "/oauth/token",
     .client_id_setting = "clientId", .client_secret_setting = "clientSecret"},
    /* Google's OAuth 2.0 for web server apps: PKCE, offline access for a refresh token. */
    {.slug = "google-workspace", .grant = OAUTH_GRANT_REFRESH,
     .flags = OAUTH_PKCE | OAUTH_OFFLINE,
     .authorize_url = "https://accounts.google.com/o/oauth2/v2/auth",
     .token_url = "https://oauth2.googleapis.com/token",
     .base_setting = "oauthBaseUrl", .authorize_path = "/o/oauth2/v2/auth",
     .token_path = "/token",
     .scopes = "https://www.googleapis.com/auth/calendar.readonly "
               "https://www.googleapis.com/auth/gmail.metadata",
     .client_id_setting = "clientId", .client_secret_setting = "clientSecret"},
    /* Xero's identity server: 30-minute access tokens, rotating refresh tokens (each use
     * returns the next one and spends the old), client in HTTP Basic. */
    {.slug = "xero", .grant = OAUTH_GRANT_REFRESH, .flags = OAUTH_PKCE | OAUTH_CLIENT_BASIC,
     .token_url = "https://identity.xero.com/connect/token",
     .base_setting = "oauthBaseUrl", .token_path = "/connect/token",
     .scopes = "offline_access accounting.transactions",
     .client_id_setting = "clientId", .client_secret_setting = "clientSecret",
     .refresh_setting = "refreshToken"},
    /* Intuit's OAuth 2.0 server: 1-hour access tokens, refresh tokens rotated, client in
     * HTTP Basic. */
    {.slug = "quickbooks", .grant = OAUTH_GRANT_REFRESH, .flags = OAUTH_CLIENT_BASIC,
     .token_url = "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer",
     .base_setting = "oauthBaseUrl", .token_path = "/oauth2/v1/tokens/bearer",
     .scopes = "com.intuit.quickbooks.accounting",
     .client_id_setting = "clientId", .client_secret_setting = "clientSecret",
     .refresh_setting = "refreshToken"},
    /* Salesforce: the org's My Domain (its instanceUrl) serves the token endpoint; access
     * tokens last the org's session timeout and come without expires_in, so a 401 is what
     * says one expired. */
    {.slug = "salesforce", .grant = OAUTH_GRANT_REFRESH,
     .token_url = "https://login.salesforce.com/services/oauth2/token",
     .base_setting = "instanceUrl", .token_path = "/services/oauth2/token",
     .client_id_setting = "clientId", .client_secret_setting = "clientSecret",
     .refresh_setting = "refreshToken"},
    /* Revolut Business API: consent in the Business app, then the authorization code or
     * refresh token exchanged with an RS256 client assertion (iss: the redirect URI's
     * domain, sub: the client id, aud: https://revolut.com) signed by the key whose
     * certificate was uploaded; access tokens last 40 minutes. The apiBaseUrl setting
     * replaces the host (the webhook half reads it the same way). */
    {.slug = "revolut", .grant = OAUTH_GRANT_REFRESH, .flags = OAUTH_CLIENT_ASSERTION,
     .authorize_url = "https://business.revolut.com/app-confirm",
     .token_url = "https://b2b.revolut.com/api/1.0/auth/token",
     .base_setting = "apiBaseUrl", .authorize_path = "/app-confirm",
     .token_path = "/api/1.0/auth/token",
     .client_id_setting = "clientId", .key_setting = "privateKey",
     .assertion_audience = "https://revolut.com"},
    /* Google service accounts (RFC 7523): the key signs an assertion for a 1-hour token. */
    {.slug = "bigquery", .grant = OAUTH_GRANT_JWT,
     .token_url = "https://oauth2.googleapis.com/token",
     .base_setting = "oauthBaseUrl", .token_path = "/token",
     .scopes = "https://www.googleapis.com/auth/bigquery.insertdata",
     .key_setting = "serviceAccountKey"},
};

const struct oauth_service *oauth_service_find(const char *slug)
{
    for (size_t i = 0; slug && i < sizeof services / sizeof services[0]; i++)
        if (strcmp(services[i].slug, slug) == 0)
            return &services[i];
    return NULL;
}

bool oauth_supported(const char *slug)
{
    return oauth_service_find(slug) != NULL;
}

bool oauth_has_consent(const char *slug)
{
    const struct oauth_service *svc = oauth_service_find(slug);
    return svc && svc->authorize_url;
}
