/* tests/fuzz/fuzz_router.c - a request line as the server reads it: the path unescaped
 * (http_unescape, the server's unescape callback for libmicrohttpd) and matched against
 * the real route table (api_routes, router_match, http_request_param); each query
 * parameter checked against the route (route_takes_query) and read by the shared query
 * parsers of the read APIs (listing_page_parse, listing_query_range, listing_query_choice,
 * listing_query_text) and the VAT return's period (ledger_u30_period_parse).
 *
 * Input: "METHOD /path?name=value&..." on the first line (no space: GET). The query is
 * split at '&' and '=' and unescaped as libmicrohttpd does with our callback;
 * http_request_query() is wrapped (--wrap) to answer from it, since no connection stands
 * behind the request. Promises: a path with a control byte (also one decoded from %00 or
 * %7f) never matches; a match is of the same method with non-empty parameters that hold
 * no '/'; a 405's Allow list is NUL-terminated and non-empty; what the query parsers
 * accept is in range (limit 1..100, a cursor of the id's shape, real dates in order, a
 * period of 7 characters), and their messages are valid UTF-8. */
#include <stdio.h>

#include "fuzz.h"
#include "api/api.h"
#include "api/listing.h"
#include "http/http.h"
#include "ledger/ledger.h"

#define MAX_QUERY 16

struct query {
    char *names[MAX_QUERY];
    char *values[MAX_QUERY];
    size_t n;
};

static const struct query *current;

const char *__wrap_http_request_query(const struct http_request *req, const char *name);
const char *__wrap_http_request_query(const struct http_request *req, const char *name)
{
    (void)req;
    for (size_t i = 0; current && i < current->n; i++)
        if (strcmp(current->names[i], name) == 0)
            return current->values[i];
    return NULL;
}

/* "a=1&b=&c" split in place; names and values unescaped. */
static void split_query(char *q, struct query *out)
{
    while (q && *q && out->n < MAX_QUERY) {
        char *amp = strchr(q, '&');
        if (amp)
            *amp++ = '\0';
        char *eq = strchr(q, '=');
        if (eq)
            *eq++ = '\0';
        out->names[out->n] = q;
        out->values[out->n] = eq ? eq : q + strlen(q);
        http_unescape(out->names[out->n]);
        http_unescape(out->values[out->n]);
        out->n++;
        q = amp;
    }
}

static bool has_control(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return true;
    return false;
}

static void check_error(int rc, const struct error *err)
{
    if (rc < 0) {
        must(err->code == ERR_INVALID_FIELD);
        must(valid_utf8(err->message));
    }
}

static void fuzz_query(struct http_request *req)
{
    static const char *const statuses[] = {"pending", "delivered", "failed", "dead", NULL};
    struct error err = {0};
    struct listing_page page;
    int rc = listing_page_parse(req, "inv_", &page, &err);
    check_error(rc, &err);
    if (rc == 0) {
        must(page.limit >= 1 && page.limit <= LISTING_LIMIT_MAX);
        must(!page.cursor || (strncmp(page.cursor, "inv_", 4) == 0 && strlen(page.cursor) == 36));
    }
    const char *from, *to;
    rc = listing_query_range(req, &from, &to, &err);
    check_error(rc, &err);
    if (rc == 0 && from && to)
        must(strlen(from) == 10 && strlen(to) == 10 && strcmp(from, to) <= 0);
    const char *status;
    rc = listing_query_choice(req, "status", statuses, &status, &err);
    check_error(rc, &err);
    const char *source;
    rc = listing_query_text(req, "source", 64, &source, &err);
    check_error(rc, &err);
    must(rc < 0 || !source || (source[0] && strlen(source) <= 64));
    const char *period = __wrap_http_request_query(req, "period");
    struct ledger_u30_period p;
    if (period) {
        rc = ledger_u30_period_parse(period, &p, &err);
        check_error(rc, &err);
        if (rc == 0)
            must(strlen(p.text) == 7 && strlen(p.from) == 10 && strlen(p.to) == 10 &&
                 strcmp(p.from, p.to) <= 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 8192)
        return 0; /* libmicrohttpd refuses longer request lines */
    char *text = fuzz_text_copy(data, size);
    if (!text)
        return 0;
    char *rest = text;
    char *line = fuzz_field(&rest, false);
    char *space = strchr(line, ' ');
    const char *method = "GET";
    char *target = line;
    if (space) {
        *space = '\0';
        method = line;
        target = space + 1;
    }
    struct query q = {.n = 0};
    char *qmark = strchr(target, '?');
    if (qmark) {
        *qmark = '\0';
        split_query(qmark + 1, &q);
    }
    http_unescape(target);
    bool control = has_control(target);

    size_t n_routes, index = 0, n_params = 0;
    const struct route *routes = api_routes(&n_routes);
    struct http_request req = {.method = method, .path = target};
    char allow[64];
    enum route_match m = router_match(routes, n_routes, method, target, &index, req.params,
                                      &n_params, allow, sizeof allow);
    must(control == (m == ROUTE_BAD_PATH));
    if (m == ROUTE_NO_METHOD)
        must(allow[0] && strlen(allow) < sizeof allow);
    if (m == ROUTE_MATCHED) {
        must(index < n_routes && strcmp(routes[index].method, method) == 0);
        req.n_params = n_params;
        for (size_t i = 0; i < n_params; i++) {
            must(req.params[i].value[0] && !strchr(req.params[i].value, '/'));
            /* the name runs to the next '/' of the pattern */
            char name[64];
            size_t len = strcspn(req.params[i].name, "/");
            snprintf(name, sizeof name, "%.*s", (int)len, req.params[i].name);
            must(http_request_param(&req, name) != NULL);
        }
        for (size_t i = 0; i < q.n; i++)
            (void)route_takes_query(&routes[index], q.names[i], strlen(q.names[i]));
    }
    current = &q;
    fuzz_query(&req);
    current = NULL;
    free(text);
    return 0;
}
