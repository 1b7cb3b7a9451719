/* api/oauth.c - connecting an installed connector to its service with OAuth 2 (oauth/).
 *
 * GET /api/connectors/:slug/oauth/start (admin) answers the consent URL to open; the
 * service sends the admin's browser back to GET /api/connectors/:slug/oauth/callback, which
 * carries no token of ours (the state it brings back is the credential, see
 * oauth/consent.c) and answers a small page, or JSON to a client that asks for it.
 * GET /api/connectors/:slug/oauth (admin) says whether the install is connected, until
 * when its access token lasts and which redirect URI to register, never a token. */
#include <string.h>

#include "api/api.h"
#include "catalog/catalog.h"
#include "core/buf.h"
#include "core/json.h"
#include "core/utf8.h"
#include "oauth/oauth.h"
#include "store/installs.h"

#define CODE_MAX 4096
#define STATE_MAX 256

/* The tenant's install of :slug, whose service has a consent flow. */
static int oauth_install_of(struct http_request *req, struct install *in, struct error *err)
{
    struct app *app = req->app;
    const char *slug = http_request_param(req, "slug");
    const struct connector_manifest *m = slug ? catalog_find(slug) : NULL;
    if (!m)
        return error_set(err, ERR_NOT_FOUND, "no connector '%.*s' in the catalog",
                         UTF8_CUT(48, slug));
    if (!oauth_has_consent(m->slug))
        return error_set(err, ERR_NOT_FOUND, "%s does not connect through OAuth consent",
                         m->slug);
    if (store_install_get_slug(app->store, req->principal->tenant_id, m->slug, in, err) < 0) {
        if (err->code == ERR_NOT_FOUND)
            error_set(err, ERR_NOT_INSTALLED, "%s is not installed", m->slug);
        return -1;
    }
    return 0;
}

/* Where the service sends the browser back: this server's public URL. */
static int redirect_uri(const struct app *app, const char *slug, struct buf *out,
                        struct error *err)
{
    if (buf_printf(out, "%s/api/connectors/%s/oauth/callback", app->public_url, slug) < 0)
        return error_set(err, ERR_CONFIG, "the public URL is too long for a redirect URI");
    return 0;
}

int api_oauth_start(struct http_request *req, struct http_response *res, struct error *err)
{
    struct app *app = req->app;
    struct install in = {0};
    struct buf redirect;
    char *url = NULL;
    int rc = -1;
    buf_init(&redirect, 2048);
    if (oauth_install_of(req, &in, err) < 0)
        goto out;
    if (redirect_uri(app, in.slug, &redirect, err) < 0)
        goto out;
    if (oauth_consent_start(app->store, app->master_key, in.tenant_id, in.id, redirect.data,
                            &url, err) < 0)
        goto out;
    json_t *body = json_pack("{s:s, s:s, s:i}", "authorizeUrl", url, "redirectUri",
                             redirect.data, "expiresInSeconds", OAUTH_STATE_TTL_MS / 1000);
    rc = http_respond_json(res, 200, body, err);
out:
    free(url);
    buf_free(&redirect);
    store_install_clear(&in);
    return rc;
}

static bool wants_html(const struct http_request *req)
{
    const char *accept = http_request_header(req, "Accept");
    return accept && strstr(accept, "text/html");
}

/* The page the admin's browser lands on; slug is a catalog slug (plain ASCII). */
static int respond_page(struct http_response *res, int status, const char *slug,
                        const char *message, struct error *err)
{
    struct buf page;
    buf_init(&page, 8192);
    int rc = buf_printf(&page,
                        "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\">"
                        "<title>%s</title><body><h1>%s</h1><p>%s</p>"
                        "<p><a href=\"/connectors\">Back to the connectors</a></p></body></html>",
                        slug, status == 200 ? "Connected" : "Not connected", message);
    rc = rc < 0 ? error_set(err, ERR_INTERNAL, "out of memory")
                : http_respond_text(res, status, "text/html; charset=utf-8", page.data,
                                    page.len, err);
    buf_free(&page);
    return rc;
}

int api_oauth_callback(struct http_request *req, struct http_response *res, struct error *err)
{
    struct app *app = req->app;
    const char *slug = http_request_param(req, "slug");
    const char *code = http_request_query(req, "code");
    const char *state = http_request_query(req, "state");
    const char *denied = http_request_query(req, "error");
    struct oauth_connected done;
    int rc;
    if (!slug || !catalog_find(slug) || !oauth_has_consent(slug))
        rc = error_set(err, ERR_NOT_FOUND, "no OAuth connector '%.*s'", UTF8_CUT(48, slug));
    else if (denied)
        rc = error_set(err, ERR_FORBIDDEN, "the service did not grant access (%.*s)",
                       UTF8_CUT(64, denied));
    else if (!state || !*state || strlen(state) > STATE_MAX)
        rc = error_set(err, ERR_BAD_REQUEST, "the callback has no valid state");
    else if (!code || !*code || strlen(code) > CODE_MAX)
        rc = error_set(err, ERR_BAD_REQUEST, "the callback has no valid code");
    else
        rc = oauth_consent_finish(app->store, app->master_key, slug, state, code, &done, err);
    if (rc == 0)
        http_set_tenant(req, done.tenant_id);
    if (wants_html(req) && slug && catalog_find(slug)) {
        if (rc < 0 && (err->code == ERR_INTERNAL || err->code == ERR_STORE))
            return -1; /* the server logs these and answers a generic text */
        struct buf msg;
        buf_init(&msg, 1024);
        int built = rc == 0 ? buf_printf(&msg, "%s is connected; this window can be closed.",
                                         slug)
                            : 0;
        if (rc < 0) { /* the message may quote the service's words: escape it */
            for (const char *p = err->message; built == 0 && *p; p++)
                built = *p == '<' ? buf_append_str(&msg, "&lt;")
                        : *p == '>' ? buf_append_str(&msg, "&gt;")
                        : *p == '&' ? buf_append_str(&msg, "&amp;")
                        : *p == '"' ? buf_append_str(&msg, "&quot;")
                                    : buf_append(&msg, p, 1);
        }
        int page = built < 0 ? error_set(err, ERR_INTERNAL, "out of memory")
                             : respond_page(res, rc == 0 ? 200 : error_http_status(err->code),
                                            slug, msg.data ? msg.data : "", err);
        buf_free(&msg);
        return page;
    }
    if (rc < 0)
        return -1;
    json_t *body = json_pack("{s:b, s:s, s:s, s:s?}", "connected", 1, "connector", done.slug,
                             "scope", done.scope, "expiresAt",
                             done.expires_at[0] ? done.expires_at : NULL);
    return http_respond_json(res, 200, body, err);
}

int api_oauth_status(struct http_request *req, struct http_response *res, struct error *err)
{
    struct app *app = req->app;
    struct install in = {0};
    struct oauth_status st;
    int rc = -1;
    if (oauth_install_of(req, &in, err) < 0 ||
        oauth_status_get(app->store, in.tenant_id, in.id, &st, err) < 0)
        goto out;
    struct buf redirect;
    buf_init(&redirect, 2048);
    if (redirect_uri(app, in.slug, &redirect, err) < 0) {
        buf_free(&redirect);
        goto out;
    }
    json_t *body = json_pack("{s:b, s:b, s:s?, s:s?, s:s?, s:s}", "connected", st.connected,
                             "hasAccessToken", st.has_access_token, "expiresAt",
                             st.expires_at[0] ? st.expires_at : NULL, "scope",
                             st.scope[0] ? st.scope : NULL, "updatedAt",
                             st.updated_at[0] ? st.updated_at : NULL, "redirectUri",
                             redirect.data);
    buf_free(&redirect);
    rc = http_respond_json(res, 200, body, err);
out:
    store_install_clear(&in);
    return rc;
}
