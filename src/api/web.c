/* api/web.c - the connector store page (seed 000's "Connector Store UI" at /connectors):
 *   GET /connectors, GET /connectors/   index.html
 *   GET /connectors/:file               one file of web/ ("app.js", "style.css", ...)
 * Public: the page is static and carries no secrets; it asks for an admin token in the
 * browser and sends it to /api itself. The files are compiled in (web_assets.h).
 *
 * Every answer carries a strict Content-Security-Policy (scripts and styles from this origin
 * only, no inline script, requests only to this origin, no framing), so even a bug that put
 * tenant data into the page as markup could not run it; blob: images, objects and frames are the
 * documents page's previews of files it fetched itself (api/documents.c). Files revalidate on each load by
 * ETag: they change only with the binary, and a stale page against a newer API is worse
 * than one round trip. */
#include <string.h>

#include "api/api.h"
#include "api/web_assets.h"

#define WEB_CSP                                                                       \
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "  \
    "img-src 'self' data: blob:; object-src blob:; frame-src blob:; base-uri 'none'; form-action 'none'; "  \
    "frame-ancestors 'none'"

static const struct web_asset *asset_find(const char *name)
{
    for (size_t i = 0; i < web_assets_count; i++)
        if (strcmp(web_assets[i].name, name) == 0)
            return &web_assets[i];
    return NULL;
}

/* Whether an If-None-Match header names this ETag (a list, or "*"). */
static bool etag_matches(const char *header, const char *etag)
{
    if (!header)
        return false;
    if (strcmp(header, "*") == 0)
        return true;
    size_t n = strlen(etag);
    for (const char *p = strstr(header, etag); p; p = strstr(p + 1, etag)) {
        char after = p[n];
        if (after == '\0' || after == ',' || after == ' ')
            return true;
    }
    return false;
}

static int serve(struct http_request *req, struct http_response *res, const char *name,
                 struct error *err)
{
    const struct web_asset *a = asset_find(name);
    if (!a)
        return error_set(err, ERR_NOT_FOUND, "no such file");
    if (http_response_add_header(res, "Content-Security-Policy", WEB_CSP) < 0 ||
        http_response_add_header(res, "Cache-Control", "no-cache") < 0 ||
        http_response_add_header(res, "ETag", a->etag) < 0 ||
        http_response_add_header(res, "Referrer-Policy", "no-referrer") < 0)
        return error_set(err, ERR_INTERNAL, "cannot add the page's headers");
    if (etag_matches(http_request_header(req, "If-None-Match"), a->etag))
        return http_respond_empty(res, 304);
    return http_respond_text(res, 200, a->content_type, (const char *)a->data, a->len, err);
}

int api_web_index(struct http_request *req, struct http_response *res, struct error *err)
{
    return serve(req, res, "index.html", err);
}

int api_web_asset(struct http_request *req, struct http_response *res, struct error *err)
{
    const char *file = http_request_param(req, "file");
    return serve(req, res, file ? file : "", err);
}
