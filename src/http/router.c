/* http/router.c - matching a method and path against the routing table.
 *
 * Patterns are literal segments and ":name" segments. The table is small and fixed, so a
 * linear walk is both the simplest and, for a few dozen routes, the fastest structure. A
 * path that matches some pattern under another method yields 405 with the Allow list. */
#include <string.h>

#include "http/http.h"

/* Matches one pattern against the path's segments; params point into the path copy. */
static bool pattern_match(const char *pattern, char *path, struct http_param *params,
                          size_t *n_params)
{
    const char *p = pattern;
    char *s = path;
    size_t n = 0;
    while (*p && *s) {
        if (*p != '/' || *s != '/')
            return false;
        p++;
        s++;
        const char *p_end = strchr(p, '/');
        char *s_end = strchr(s, '/');
        size_t p_len = p_end ? (size_t)(p_end - p) : strlen(p);
        size_t s_len = s_end ? (size_t)(s_end - s) : strlen(s);
        if (*p == ':') {
            if (s_len == 0 || n == HTTP_MAX_PARAMS)
                return false;
            params[n].name = p + 1; /* not NUL-terminated at p_len: fixed below by caller */
            params[n].value = s;
            n++;
        } else if (p_len != s_len || memcmp(p, s, p_len) != 0) {
            return false;
        }
        p += p_len;
        s += s_len;
    }
    if (*p || *s)
        return false;
    *n_params = n;
    return true;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)(c | 0x20);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

size_t http_unescape(char *s)
{
    char *out = s;
    for (const char *in = s; *in; in++) {
        int hi = in[0] == '%' ? hex_value(in[1]) : -1;
        int lo = hi >= 0 ? hex_value(in[2]) : -1;
        if (lo < 0) {
            *out++ = *in;
            continue;
        }
        int c = hi << 4 | lo;
        *out++ = (char)(c == 0 ? 0x7f : c);
        in += 2;
    }
    *out = '\0';
    return (size_t)(out - s);
}

static bool has_control_byte(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return true;
    return false;
}

enum route_match router_match(const struct route *routes, size_t n_routes, const char *method,
                              char *path_copy, size_t *index, struct http_param *params,
                              size_t *n_params, char *allow, size_t allow_cap)
{
    bool path_known = false;
    size_t allow_len = 0;
    if (allow_cap)
        allow[0] = '\0';
    if (has_control_byte(path_copy))
        return ROUTE_BAD_PATH;
    for (size_t i = 0; i < n_routes; i++) {
        size_t n = 0;
        if (!pattern_match(routes[i].pattern, path_copy, params, &n))
            continue;
        if (strcmp(routes[i].method, method) == 0) {
            /* Terminate the values in place; names stay pointers into the pattern, so
             * callers compare them with http_request_param(), which knows where they end. */
            for (size_t k = 0; k < n; k++) {
                char *slash = strchr((char *)params[k].value, '/');
                if (slash)
                    *slash = '\0';
            }
            *index = i;
            *n_params = n;
            return ROUTE_MATCHED;
        }
        path_known = true;
        size_t m = strlen(routes[i].method);
        if (!strstr(allow, routes[i].method) && allow_len + m + 3 < allow_cap) {
            if (allow_len) {
                memcpy(allow + allow_len, ", ", 2);
                allow_len += 2;
            }
            memcpy(allow + allow_len, routes[i].method, m + 1);
            allow_len += m;
        }
    }
    return path_known ? ROUTE_NO_METHOD : ROUTE_NO_PATH;
}

bool route_takes_query(const struct route *route, const char *name, size_t name_len)
{
    const char *p = route->query;
    if (!p || name_len == 0)
        return false;
    while (*p) {
        size_t len = strcspn(p, " ");
        if (len == name_len && memcmp(p, name, len) == 0)
            return true;
        p += len;
        p += strspn(p, " ");
    }
    return false;
}
