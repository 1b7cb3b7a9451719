/* api/openapi.c - GET /api/openapi.json, and the routing table as data for the check that
 * the document and the table name the same routes (connectord routes). */
#include <string.h>

#include "api/openapi.h"
#include "core/json.h"

int openapi_path(const char *pattern, char *out, size_t cap)
{
    size_t n = 0;
    bool in_param = false;
    for (const char *p = pattern; *p; p++) {
        const char *piece = NULL;
        char one[2] = {*p, '\0'};
        if (*p == ':' && (p == pattern || p[-1] == '/')) {
            piece = "{";
            in_param = true;
        } else if (*p == '/' && in_param) {
            piece = "}/";
            in_param = false;
        } else {
            piece = one;
        }
        size_t len = strlen(piece);
        if (n + len >= cap)
            return -1;
        memcpy(out + n, piece, len);
        n += len;
    }
    if (in_param) {
        if (n + 1 >= cap)
            return -1;
        out[n++] = '}';
    }
    out[n] = '\0';
    return 0;
}

/* The route's query names, split on spaces. */
static json_t *query_names(const char *query)
{
    json_t *list = json_array();
    const char *p = query;
    while (list && p && *p) {
        size_t len = strcspn(p, " ");
        if (len && json_array_append_new(list, json_stringn(p, len)) < 0) {
            json_decref(list);
            return NULL;
        }
        p += len;
        p += strspn(p, " ");
    }
    return list;
}

json_t *openapi_routes_json(void)
{
    size_t n = 0;
    const struct route *routes = api_routes(&n);
    json_t *list = json_array();
    for (size_t i = 0; list && i < n; i++) {
        char path[256];
        if (openapi_path(routes[i].pattern, path, sizeof path) < 0) {
            json_decref(list);
            return NULL;
        }
        const char *role = routes[i].role == AUTH_ROLE_NONE ? "none"
                                                            : auth_role_name(routes[i].role);
        json_t *row = json_pack("{s:s, s:s, s:s, s:o*}", "method", routes[i].method, "path",
                                path, "role", role, "query", query_names(routes[i].query));
        if (!row || json_array_append_new(list, row) < 0) {
            json_decref(list);
            return NULL;
        }
    }
    return list;
}

int api_openapi(struct http_request *req, struct http_response *res, struct error *err)
{
    (void)req;
    if (http_respond_text(res, 200, "application/json", openapi_document, openapi_document_len,
                          err) < 0)
        return -1;
    http_response_add_header(res, "Cache-Control", "no-cache");
    return 0;
}
