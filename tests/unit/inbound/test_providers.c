/* tests/unit/inbound/test_providers.c - the contract suite every payment provider passes
 * (src/inbound/provider.c, src/inbound/sig.c, and every file in src/inbound/providers/).
 *
 * It walks the registry (provider_all) and, for each provider, the cases in
 * tests/fixtures/providers/<slug>/: NNN-<case>.req is a request, NNN-<case>.expect what
 * provider_verify and then provider_parse must make of it. Adding a case is adding those
 * two files; no test code changes. Run from the repository root (tests/run does), since the
 * fixtures are found at the relative path tests/fixtures/providers.
 *
 * NNN-<case>.req: header lines "key: value" (one space after the colon; "key:" alone is an
 * empty value; lines starting with '#' are comments), one empty line, then the raw body:
 * every remaining byte exactly, nothing added or removed (so a body without a final
 * newline is a file without one). Keys:
 *   now_ms: <Unix ms>               the request's arrival time (0 when absent)
 *   header.<Name>: <value>          a request header (names compare case-insensitively)
 *   query.<name>: <value>           a query-string parameter
 *   secret.<key>: <value>           an install secret; any other secret is ERR_NOT_FOUND
 *   config.<key>: <value>           a string member of the install's config object
 *   api_base_url: <url>             the install's API base; default {mock}, so no case
 *                                   ever reaches a real provider
 *   trusted_cert_prefix: <url>      the operator-trusted certificate URL prefix
 *   mock.<METHOD> <target>: <status> <body>   what the mock API answers to that request
 *                                   (target: path and query as sent); "@<file>" as body
 *                                   reads a file next to the case; other requests get 404
 * "{mock}" in any value (never in the body) is the mock API's base, http://127.0.0.1:<port>.
 *
 * NNN-<case>.expect: "key: value" lines; '#' comments and empty lines are skipped.
 *   verify: ok|invalid|error        required
 *   error: <text>                   the verify (or parse) error message contains <text>;
 *                                   required when verify or parse fails, so a case proves
 *                                   why (a stale timestamp, not a wrong signature)
 *   parse: error                    after verify: ok, parse must fail
 *   payments: <n>                   after verify: ok, parse must give n payments, described
 *                                   in sections "[1]" ... "[n]", each with
 *     kind: settled|failed|refunded|ignored   (required) and any of event, event_id,
 *     external_id, refunded_external_id, invoice_number, date, amount (decimal text),
 *     currency, merchant_id, merchant_email, merchant_name, customer_id, customer_email,
 *     customer_name, detail, link (wait|only|defer; empty: book), aliases (comma-separated),
 *     tax (decimal text, the provider's own VAT figure), customer_country, customer_vat_id,
 *     merchant_country, tax_hint (reverse_charge|exempt). A field not listed must be empty,
 *     so a section is complete.
 *   fetch: <METHOD> <target>        the mock API received exactly these requests, in order
 *                                   (none listed: it must receive none)
 *   fetch_header.<Name>: <value>    every request the mock received carried this header
 * verify: ok takes exactly one of payments and parse. Everything but the payment fields goes
 * before "[1]".
 * An unknown key, a missing file, a malformed line or an inconsistent expectation fails
 * the case; so does a registered provider without accepted and rejected cases, and a
 * fixture folder that names no registered provider. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/money.h"
#include "httpc/httpc.h"
#include "inbound/provider.h"

#define FIXTURE_ROOT "tests/fixtures/providers"
#define MOCK_MAX_REQUESTS 32

/* ---- failure reports: collected, then raised after cleanup ------------------------------ */

struct report {
    char text[4096];
    size_t len;
};

static void report(struct report *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void report(struct report *r, const char *fmt, ...)
{
    va_list ap;
    if (r->len >= sizeof r->text - 2)
        return;
    va_start(ap, fmt);
    int n = vsnprintf(r->text + r->len, sizeof r->text - r->len - 1, fmt, ap);
    va_end(ap);
    if (n > 0)
        r->len += (size_t)n < sizeof r->text - r->len - 1 ? (size_t)n
                                                          : sizeof r->text - r->len - 2;
    r->text[r->len++] = '\n';
    r->text[r->len] = '\0';
}

/* ---- small helpers ---------------------------------------------------------------------- */

/* Memory for the suite's own bookkeeping; these helpers also run outside any test, where a
 * cmocka assertion could not report, so running out stops the suite outright. */
static void *need(void *p)
{
    if (!p) {
        fprintf(stderr, "test_providers: out of memory\n");
        abort();
    }
    return p;
}

struct kv {
    char *key;
    char *value;
};

struct kv_list {
    struct kv *items;
    size_t n;
};

static const char *kv_get(const struct kv_list *l, const char *key, bool nocase)
{
    for (size_t i = 0; i < l->n; i++)
        if (nocase ? !strcasecmp(l->items[i].key, key) : !strcmp(l->items[i].key, key))
            return l->items[i].value;
    return NULL;
}

static void kv_add(struct kv_list *l, const char *key, size_t key_len, const char *value)
{
    l->items = need(realloc(l->items, (l->n + 1) * sizeof *l->items));
    l->items[l->n].key = need(strndup(key, key_len));
    l->items[l->n].value = need(strdup(value));
    l->n++;
}

static void kv_free(struct kv_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->items[i].key);
        free(l->items[i].value);
    }
    free(l->items);
    l->items = NULL;
    l->n = 0;
}

static bool starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static int read_file(const char *path, char **data, size_t *len)
{
    FILE *f = fopen(path, "rb");
    struct buf b;
    char chunk[4096];
    size_t n;
    if (!f)
        return -1;
    buf_init(&b, 0);
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (buf_append(&b, chunk, n) < 0) {
            fclose(f);
            buf_free(&b);
            return -1;
        }
    int failed = ferror(f);
    fclose(f);
    if (failed) {
        buf_free(&b);
        return -1;
    }
    if (!b.data && buf_append(&b, "", 0) < 0)
        return -1;
    *data = buf_take(&b, len);
    return *data ? 0 : -1;
}

/* ---- the mock provider API -------------------------------------------------------------- */

struct mock_route {
    char *target; /* "GET /payments/PM1" */
    int status;
    char *body;
    size_t body_len;
};

static struct {
    int fd;
    char base[64];
    pthread_t thread;
    bool running;
    pthread_mutex_t lock;
    const struct mock_route *routes;
    size_t n_routes;
    char *requests[MOCK_MAX_REQUESTS]; /* "GET /payments/PM1" */
    char *headers[MOCK_MAX_REQUESTS];  /* the raw header lines */
    size_t n_requests, dropped;
} mock = {.fd = -1, .lock = PTHREAD_MUTEX_INITIALIZER};

static void mock_serve(int c)
{
    char in[65536];
    size_t len = 0;
    char *end = NULL;
    while (len < sizeof in - 1 && !end) {
        ssize_t n = recv(c, in + len, sizeof in - 1 - len, 0);
        if (n <= 0)
            return;
        len += (size_t)n;
        in[len] = '\0';
        end = strstr(in, "\r\n\r\n");
    }
    if (!end)
        return;
    *end = '\0';
    /* a request body (if any) is read and not looked at */
    const char *cl = strcasestr(in, "\r\nContent-Length:");
    size_t body_have = len - (size_t)(end + 4 - in);
    size_t body_want = cl ? strtoul(cl + 17, NULL, 10) : 0;
    while (body_have < body_want) {
        char sink[4096];
        ssize_t n = recv(c, sink, sizeof sink, 0);
        if (n <= 0)
            break;
        body_have += (size_t)n;
    }
    char *line_end = strstr(in, "\r\n");
    char *header_block = line_end ? line_end + 2 : end;
    if (line_end)
        *line_end = '\0';
    char *version = strrchr(in, ' '); /* "GET /x HTTP/1.1" -> "GET /x" */
    if (version && version != strchr(in, ' '))
        *version = '\0';

    int status = 404;
    char *body = NULL;
    size_t body_len = 0;
    pthread_mutex_lock(&mock.lock);
    if (mock.n_requests < MOCK_MAX_REQUESTS) {
        mock.requests[mock.n_requests] = need(strdup(in));
        mock.headers[mock.n_requests] = need(strdup(header_block));
        mock.n_requests++;
    } else {
        mock.dropped++;
    }
    for (size_t i = 0; i < mock.n_routes; i++)
        if (!strcmp(mock.routes[i].target, in)) {
            status = mock.routes[i].status;
            body = malloc(mock.routes[i].body_len + 1);
            if (body) {
                memcpy(body, mock.routes[i].body, mock.routes[i].body_len);
                body_len = mock.routes[i].body_len;
            }
            break;
        }
    pthread_mutex_unlock(&mock.lock);
    if (status == 404 && !body) {
        static const char not_mocked[] = "{\"error\":\"not mocked\"}";
        body = strdup(not_mocked);
        body_len = body ? strlen(not_mocked) : 0;
    }
    char head[256];
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 %d Mock\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                     status, body_len);
    if (send(c, head, (size_t)n, MSG_NOSIGNAL) == n && body_len)
        (void)!send(c, body, body_len, MSG_NOSIGNAL);
    free(body);
}

static void *mock_main(void *arg)
{
    (void)arg;
    for (;;) {
        int c = accept(mock.fd, NULL, NULL);
        if (c < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            return NULL; /* shut down */
        }
        mock_serve(c);
        close(c);
    }
}

static int mock_start(void)
{
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t addr_len = sizeof addr;
    mock.fd = socket(AF_INET, SOCK_STREAM, 0);
    if (mock.fd < 0 || bind(mock.fd, (struct sockaddr *)&addr, sizeof addr) < 0 ||
        listen(mock.fd, 16) < 0 || getsockname(mock.fd, (struct sockaddr *)&addr, &addr_len) < 0)
        return -1;
    snprintf(mock.base, sizeof mock.base, "http://127.0.0.1:%u", ntohs(addr.sin_port));
    if (pthread_create(&mock.thread, NULL, mock_main, NULL) != 0)
        return -1;
    mock.running = true;
    return 0;
}

static void mock_stop(void)
{
    if (mock.fd >= 0)
        shutdown(mock.fd, SHUT_RDWR);
    if (mock.running)
        pthread_join(mock.thread, NULL);
    if (mock.fd >= 0)
        close(mock.fd);
    mock.fd = -1;
    mock.running = false;
}

static void mock_clear_requests(void)
{
    for (size_t i = 0; i < mock.n_requests; i++) {
        free(mock.requests[i]);
        free(mock.headers[i]);
    }
    mock.n_requests = mock.dropped = 0;
}

static void mock_begin(const struct mock_route *routes, size_t n)
{
    pthread_mutex_lock(&mock.lock);
    mock_clear_requests();
    mock.routes = routes;
    mock.n_routes = n;
    pthread_mutex_unlock(&mock.lock);
}

/* The value of header `name` in a raw header block, copied into out; false when absent. */
static bool header_in_block(const char *block, const char *name, char *out, size_t cap)
{
    size_t name_len = strlen(name);
    for (const char *line = block; line && *line;) {
        const char *eol = strstr(line, "\r\n");
        size_t len = eol ? (size_t)(eol - line) : strlen(line);
        if (len > name_len && line[name_len] == ':' && !strncasecmp(line, name, name_len)) {
            const char *v = line + name_len + 1;
            while (*v == ' ')
                v++;
            snprintf(out, cap, "%.*s", (int)(len - (size_t)(v - line)), v);
            return true;
        }
        line = eol ? eol + 2 : NULL;
    }
    return false;
}

/* ---- .req ------------------------------------------------------------------------------ */

struct request_case {
    char *raw;
    size_t raw_len;
    const char *body;
    size_t body_len;
    int64_t now_ms;
    char *api_base_url;
    char *trusted_cert_prefix;
    struct kv_list headers, query, secrets, config;
    struct mock_route *routes;
    size_t n_routes;
};

static char *expand_mock(const char *value)
{
    struct buf b;
    size_t len;
    buf_init(&b, 0);
    for (const char *p = value; *p;) {
        const char *at = strstr(p, "{mock}");
        size_t n = at ? (size_t)(at - p) : strlen(p);
        if (buf_append(&b, p, n) < 0 || (at && buf_append_str(&b, mock.base) < 0))
            need(NULL);
        if (!at)
            break;
        p = at + 6;
    }
    if (buf_append(&b, "", 0) < 0)
        need(NULL);
    return need(buf_take(&b, &len));
}

static void request_free(struct request_case *rq)
{
    free(rq->raw);
    free(rq->api_base_url);
    free(rq->trusted_cert_prefix);
    kv_free(&rq->headers);
    kv_free(&rq->query);
    kv_free(&rq->secrets);
    kv_free(&rq->config);
    for (size_t i = 0; i < rq->n_routes; i++) {
        free(rq->routes[i].target);
        free(rq->routes[i].body);
    }
    free(rq->routes);
    memset(rq, 0, sizeof *rq);
}

static int add_route(struct request_case *rq, const char *dir, const char *target,
                     const char *value, struct report *rep)
{
    char *rest = NULL;
    long status = strtol(value, &rest, 10);
    if (rest == value || status < 100 || status > 599 || (*rest && *rest != ' ')) {
        report(rep, "mock.%s: the value must be \"<status> <body>\"", target);
        return -1;
    }
    const char *body = *rest ? rest + 1 : "";
    struct mock_route route = {.status = (int)status};
    if (body[0] == '@') {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, body + 1);
        char *raw;
        if (read_file(path, &raw, &route.body_len) < 0) {
            report(rep, "mock.%s: cannot read %s", target, path);
            return -1;
        }
        route.body = expand_mock(raw);
        route.body_len = strlen(route.body);
        free(raw);
    } else {
        route.body = expand_mock(body);
        route.body_len = strlen(route.body);
    }
    route.target = need(strdup(target));
    rq->routes = need(realloc(rq->routes, (rq->n_routes + 1) * sizeof *rq->routes));
    rq->routes[rq->n_routes++] = route;
    return 0;
}

static int request_load(const char *dir, const char *path, struct request_case *rq,
                        struct report *rep)
{
    if (read_file(path, &rq->raw, &rq->raw_len) < 0) {
        report(rep, "cannot read %s", path);
        return -1;
    }
    char *p = rq->raw, *end = rq->raw + rq->raw_len;
    int line_no = 0;
    for (;;) {
        char *eol = memchr(p, '\n', (size_t)(end - p));
        line_no++;
        if (!eol) {
            report(rep, "%s: no empty line ends the header block", path);
            return -1;
        }
        if (eol == p) { /* the empty line: the body follows */
            rq->body = eol + 1;
            rq->body_len = (size_t)(end - (eol + 1));
            return 0;
        }
        *eol = '\0';
        if (*p != '#') {
            char *colon = strchr(p, ':');
            if (!colon || (colon[1] && colon[1] != ' ') || colon == p) {
                report(rep, "%s:%d: not \"key: value\": %s", path, line_no, p);
                return -1;
            }
            const char *raw_value = colon[1] ? colon + 2 : colon + 1;
            char *value = expand_mock(raw_value);
            size_t key_len = (size_t)(colon - p);
            *colon = '\0';
            int rc = 0;
            struct kv_list *list = NULL;
            size_t prefix = 0;
            if (!strcmp(p, "now_ms")) {
                char *num_end;
                rq->now_ms = strtoll(value, &num_end, 10);
                if (!*value || *num_end) {
                    report(rep, "%s:%d: now_ms is not a number", path, line_no);
                    rc = -1;
                }
            } else if (!strcmp(p, "api_base_url") && !rq->api_base_url) {
                rq->api_base_url = value;
                value = NULL;
            } else if (!strcmp(p, "trusted_cert_prefix") && !rq->trusted_cert_prefix) {
                rq->trusted_cert_prefix = value;
                value = NULL;
            } else if (starts_with(p, "header.")) {
                list = &rq->headers, prefix = 7;
            } else if (starts_with(p, "query.")) {
                list = &rq->query, prefix = 6;
            } else if (starts_with(p, "secret.")) {
                list = &rq->secrets, prefix = 7;
            } else if (starts_with(p, "config.")) {
                list = &rq->config, prefix = 7;
            } else if (starts_with(p, "mock.") && key_len > 5) {
                rc = add_route(rq, dir, p + 5, value, rep);
            } else {
                report(rep, "%s:%d: unknown or repeated key \"%s\"", path, line_no, p);
                rc = -1;
            }
            if (list) {
                if (key_len == prefix || kv_get(list, p + prefix, list == &rq->headers)) {
                    report(rep, "%s:%d: empty or repeated key \"%s\"", path, line_no, p);
                    rc = -1;
                } else {
                    kv_add(list, p + prefix, key_len - prefix, value);
                }
            }
            free(value);
            if (rc < 0)
                return -1;
        }
        p = eol + 1;
    }
}

/* ---- .expect ---------------------------------------------------------------------------- */

static const char *const payment_fields[] = {
    "kind",           "event",          "event_id",      "external_id", "refunded_external_id",
    "invoice_number", "date",           "amount",        "currency",    "merchant_id",
    "merchant_email", "merchant_name",  "customer_id",   "customer_email", "customer_name",
    "detail",         "link",           "aliases",       "tax",
    "customer_country", "customer_vat_id", "merchant_country", "tax_hint",
};
#define N_PAYMENT_FIELDS (sizeof payment_fields / sizeof payment_fields[0])

struct expectation {
    int verify; /* enum verify_result, -1 unset */
    char *error;
    bool parse_error;
    long payments; /* -1 unset */
    struct kv_list *items;
    size_t n_items;
    struct kv_list fetches; /* key "fetch", value the target, in order */
    struct kv_list fetch_headers;
};

static void expect_free(struct expectation *ex)
{
    free(ex->error);
    for (size_t i = 0; i < ex->n_items; i++)
        kv_free(&ex->items[i]);
    free(ex->items);
    kv_free(&ex->fetches);
    kv_free(&ex->fetch_headers);
    memset(ex, 0, sizeof *ex);
}

static bool is_payment_field(const char *key)
{
    for (size_t i = 0; i < N_PAYMENT_FIELDS; i++)
        if (!strcmp(payment_fields[i], key))
            return true;
    return false;
}

static int expect_load(const char *path, struct expectation *ex, struct report *rep)
{
    char *raw = NULL;
    size_t raw_len;
    int rc = -1, line_no = 0;
    ex->verify = -1;
    ex->payments = -1;
    if (read_file(path, &raw, &raw_len) < 0) {
        report(rep, "cannot read %s", path);
        return -1;
    }
    for (char *line = raw, *next; line; line = next) {
        char *eol = strchr(line, '\n');
        next = eol ? eol + 1 : NULL;
        if (eol)
            *eol = '\0';
        line_no++;
        if (!*line || *line == '#')
            continue;
        if (line[0] == '[') {
            char *close;
            long idx = strtol(line + 1, &close, 10);
            if (strcmp(close, "]") || idx != (long)ex->n_items + 1) {
                report(rep, "%s:%d: expected section [%zu], got %s", path, line_no,
                       ex->n_items + 1, line);
                goto out;
            }
            ex->items = need(realloc(ex->items, (ex->n_items + 1) * sizeof *ex->items));
            ex->items[ex->n_items++] = (struct kv_list){0};
            continue;
        }
        char *colon = strchr(line, ':');
        if (!colon || colon == line || (colon[1] && colon[1] != ' ')) {
            report(rep, "%s:%d: not \"key: value\": %s", path, line_no, line);
            goto out;
        }
        *colon = '\0';
        const char *value = colon[1] ? colon + 2 : colon + 1;
        if (ex->n_items > 0) { /* inside a payment section */
            struct kv_list *item = &ex->items[ex->n_items - 1];
            if (!is_payment_field(line) || kv_get(item, line, false)) {
                report(rep,
                       "%s:%d: unknown or repeated payment field \"%s\" (other keys go "
                       "before [1])",
                       path, line_no, line);
                goto out;
            }
            kv_add(item, line, strlen(line), value);
        } else if (!strcmp(line, "verify") && ex->verify < 0) {
            ex->verify = !strcmp(value, "ok")        ? VERIFY_OK
                         : !strcmp(value, "invalid") ? VERIFY_INVALID
                         : !strcmp(value, "error")   ? VERIFY_ERROR
                                                     : -2;
            if (ex->verify == -2) {
                report(rep, "%s:%d: verify must be ok, invalid or error", path, line_no);
                goto out;
            }
        } else if (!strcmp(line, "error") && !ex->error && *value) {
            ex->error = need(strdup(value));
        } else if (!strcmp(line, "parse") && !strcmp(value, "error") && !ex->parse_error) {
            ex->parse_error = true;
        } else if (!strcmp(line, "payments") && ex->payments < 0) {
            char *num_end;
            ex->payments = strtol(value, &num_end, 10);
            if (!*value || *num_end || ex->payments < 1) {
                report(rep, "%s:%d: payments must be a number >= 1", path, line_no);
                goto out;
            }
        } else if (!strcmp(line, "fetch") && *value) {
            kv_add(&ex->fetches, "fetch", 5, value);
        } else if (starts_with(line, "fetch_header.") && line[13] &&
                   !kv_get(&ex->fetch_headers, line + 13, true)) {
            char *expanded = expand_mock(value);
            kv_add(&ex->fetch_headers, line + 13, strlen(line + 13), expanded);
            free(expanded);
        } else {
            report(rep, "%s:%d: unknown, repeated or empty key \"%s\"", path, line_no, line);
            goto out;
        }
    }
    if (ex->verify < 0) {
        report(rep, "%s: no \"verify:\" line", path);
        goto out;
    }
    if (ex->verify == VERIFY_OK && (ex->payments < 0) == !ex->parse_error) {
        report(rep, "%s: verify ok needs exactly one of \"payments: n\" and \"parse: error\"",
               path);
        goto out;
    }
    if (ex->verify != VERIFY_OK && (ex->payments >= 0 || ex->parse_error)) {
        report(rep, "%s: a rejected request is not parsed; drop payments/parse", path);
        goto out;
    }
    if ((ex->payments < 0 ? 0 : (size_t)ex->payments) != ex->n_items) {
        report(rep, "%s: payments: %ld but %zu sections", path, ex->payments, ex->n_items);
        goto out;
    }
    for (size_t i = 0; i < ex->n_items; i++)
        if (!kv_get(&ex->items[i], "kind", false)) {
            report(rep, "%s: section [%zu] has no kind", path, i + 1);
            goto out;
        }
    rc = 0;
out:
    free(raw);
    return rc;
}

/* ---- running one case ------------------------------------------------------------------- */

struct fixture_case {
    char slug[64];
    char dir[512];
    char name[256]; /* "001-valid" */
};

static const char *case_header(const struct webhook_request *req, const char *name)
{
    const struct request_case *rq = req->ctx;
    return kv_get(&rq->headers, name, true);
}

static const char *case_query(const struct webhook_request *req, const char *name)
{
    const struct request_case *rq = req->ctx;
    return kv_get(&rq->query, name, false);
}

static int case_secret(const struct provider_install *inst, const char *key, struct buf *out,
                       struct error *err)
{
    const struct request_case *rq = inst->secret_ctx;
    const char *v = kv_get(&rq->secrets, key, false);
    if (!v)
        return error_set(err, ERR_NOT_FOUND, "secret %s is not set", key);
    if (buf_append_str(out, v) < 0)
        return error_set(err, ERR_INTERNAL, "secret %s does not fit", key);
    return 0;
}

static const char *kind_name(enum payment_kind k)
{
    switch (k) {
    case PAYMENT_SETTLED:
        return "settled";
    case PAYMENT_FAILED:
        return "failed";
    case PAYMENT_REFUNDED:
        return "refunded";
    case PAYMENT_IGNORED:
        return "ignored";
    }
    return "?";
}

static const char *verify_name(int v)
{
    return v == VERIFY_OK        ? "ok"
           : v == VERIFY_INVALID ? "invalid"
           : v == VERIFY_ERROR   ? "error"
                                 : "?";
}

static void payment_field(const struct payment *p, const char *field, char *out, size_t cap)
{
    const char *s = NULL;
    if (!strcmp(field, "kind"))
        s = kind_name(p->kind);
    else if (!strcmp(field, "event"))
        s = p->event;
    else if (!strcmp(field, "event_id"))
        s = p->event_id;
    else if (!strcmp(field, "external_id"))
        s = p->external_id;
    else if (!strcmp(field, "refunded_external_id"))
        s = p->refunded_external_id;
    else if (!strcmp(field, "invoice_number"))
        s = p->invoice_number;
    else if (!strcmp(field, "date"))
        s = p->date;
    else if (!strcmp(field, "currency"))
        s = p->amount.currency;
    else if (!strcmp(field, "merchant_id"))
        s = p->merchant_id;
    else if (!strcmp(field, "merchant_email"))
        s = p->merchant_email;
    else if (!strcmp(field, "merchant_name"))
        s = p->merchant_name;
    else if (!strcmp(field, "customer_id"))
        s = p->customer_id;
    else if (!strcmp(field, "customer_email"))
        s = p->customer_email;
    else if (!strcmp(field, "customer_name"))
        s = p->customer_name;
    else if (!strcmp(field, "detail"))
        s = p->detail;
    else if (!strcmp(field, "customer_country"))
        s = p->customer_country;
    else if (!strcmp(field, "customer_vat_id"))
        s = p->customer_vat_id;
    else if (!strcmp(field, "merchant_country"))
        s = p->merchant_country;
    else if (!strcmp(field, "tax_hint"))
        s = p->tax_hint == PAYMENT_TAX_HINT_REVERSE_CHARGE ? "reverse_charge"
            : p->tax_hint == PAYMENT_TAX_HINT_EXEMPT       ? "exempt"
                                                           : "";
    else if (!strcmp(field, "link"))
        s = p->link == PAYMENT_LINK_WAIT    ? "wait"
            : p->link == PAYMENT_LINK_ONLY  ? "only"
            : p->link == PAYMENT_LINK_DEFER ? "defer"
                                            : "";
    if (s) {
        snprintf(out, cap, "%s", s);
    } else if (!strcmp(field, "aliases")) {
        size_t used = 0;
        out[0] = '\0';
        for (size_t i = 0; i < PAYMENT_ALIASES && p->aliases[i][0] && used < cap; i++)
            used += (size_t)snprintf(out + used, cap - used, "%s%s", i ? "," : "", p->aliases[i]);
    } else if (!strcmp(field, "tax")) {
        struct money tax = p->amount;
        char text[MONEY_TEXT_MAX] = "";
        tax.minor = p->tax_minor;
        if (p->has_tax)
            money_format(&tax, text);
        snprintf(out, cap, "%s", text);
    } else if (!strcmp(field, "amount")) {
        char text[MONEY_TEXT_MAX];
        if (p->amount.currency[0]) {
            money_format(&p->amount, text);
            snprintf(out, cap, "%s", text);
        } else if (p->amount.minor) {
            snprintf(out, cap, "%lld minor units without a currency", (long long)p->amount.minor);
        } else {
            snprintf(out, cap, "%s", "");
        }
    } else {
        fail_msg("payment field %s has no accessor", field);
    }
}

static void compare_payments(const struct payment_list *got, const struct expectation *ex,
                             struct report *rep)
{
    if (got->n != ex->n_items) {
        report(rep, "parse gave %zu payments, expected %zu", got->n, ex->n_items);
        return;
    }
    for (size_t i = 0; i < got->n; i++)
        for (size_t f = 0; f < N_PAYMENT_FIELDS; f++) {
            char actual[512];
            const char *want = kv_get(&ex->items[i], payment_fields[f], false);
            payment_field(&got->items[i], payment_fields[f], actual, sizeof actual);
            if (strcmp(actual, want ? want : ""))
                report(rep, "[%zu] %s: got \"%s\", expected \"%s\"%s", i + 1,
                       payment_fields[f], actual, want ? want : "",
                       want ? "" : " (not listed, so empty)");
        }
}

static void compare_fetches(const struct expectation *ex, struct report *rep)
{
    pthread_mutex_lock(&mock.lock);
    if (mock.dropped)
        report(rep, "the mock API received more than %d requests", MOCK_MAX_REQUESTS);
    for (size_t i = 0; i < mock.n_requests || i < ex->fetches.n; i++) {
        const char *got = i < mock.n_requests ? mock.requests[i] : "(nothing)";
        const char *want = i < ex->fetches.n ? ex->fetches.items[i].value : "(nothing)";
        if (strcmp(got, want))
            report(rep, "request %zu to the mock API: got \"%s\", expected \"%s\"", i + 1, got,
                   want);
    }
    if (ex->fetch_headers.n && !mock.n_requests)
        report(rep, "fetch_header given, but the mock API received no request");
    for (size_t i = 0; i < mock.n_requests; i++)
        for (size_t h = 0; h < ex->fetch_headers.n; h++) {
            char value[1024];
            const struct kv *want = &ex->fetch_headers.items[h];
            if (!header_in_block(mock.headers[i], want->key, value, sizeof value))
                report(rep, "request %zu lacks header %s", i + 1, want->key);
            else if (strcmp(value, want->value))
                report(rep, "request %zu: header %s is \"%s\", expected \"%s\"", i + 1,
                       want->key, value, want->value);
        }
    mock.routes = NULL;
    mock.n_routes = 0;
    pthread_mutex_unlock(&mock.lock);
}

static void test_case(void **cm_state)
{
    const struct fixture_case *fc = *cm_state;
    struct report rep = {.len = 0};
    struct request_case rq = {0};
    struct expectation ex = {0};
    struct payment_list list = {0};
    struct error err = {0};
    json_t *config = NULL, *state = NULL;
    char path[1024];
    const struct provider *p = provider_find(fc->slug);

    if (!p) {
        report(&rep, "no registered provider is called \"%s\"", fc->slug);
        goto out;
    }
    snprintf(path, sizeof path, "%s/%s.req", fc->dir, fc->name);
    if (request_load(fc->dir, path, &rq, &rep) < 0)
        goto out;
    snprintf(path, sizeof path, "%s/%s.expect", fc->dir, fc->name);
    if (expect_load(path, &ex, &rep) < 0)
        goto out;

    config = need(json_object());
    for (size_t i = 0; i < rq.config.n; i++)
        if (json_object_set_new(config, rq.config.items[i].key,
                                json_string(rq.config.items[i].value)) < 0)
            report(&rep, "config.%s is not valid UTF-8", rq.config.items[i].key);
    struct webhook_request req = {.body = rq.body, .body_len = rq.body_len,
                                  .header = case_header, .query = case_query, .ctx = &rq,
                                  .now_ms = rq.now_ms};
    struct provider_install inst = {.tenant_id = "ten_contract", .install_id = "ins_contract",
                                    .config = config, .secret = case_secret,
                                    .secret_ctx = &rq,
                                    .api_base_url = rq.api_base_url ? rq.api_base_url
                                                                    : mock.base,
                                    .trusted_cert_prefix = rq.trusted_cert_prefix};

    mock_begin(rq.routes, rq.n_routes);
    enum verify_result vr = provider_verify(p, &req, &inst, &state, &err);
    const char *message = err.message;
    if ((int)vr != ex.verify) {
        report(&rep, "verify: got %s (%s), expected %s", verify_name(vr),
               err.message[0] ? err.message : "no message", verify_name(ex.verify));
    } else if (vr == VERIFY_OK) {
        if (state && !json_is_object(state) && !json_is_array(state))
            report(&rep, "verify left a state that is neither an object nor an array");
        error_clear(&err);
        int rc = provider_parse(p, &req, state, &list, &err);
        if (ex.parse_error && rc == 0)
            report(&rep, "parse succeeded with %zu payments; expected an error", list.n);
        else if (!ex.parse_error && rc != 0)
            report(&rep, "parse failed: %s", err.message);
        else if (!ex.parse_error)
            compare_payments(&list, &ex, &rep);
        else if (!ex.error)
            report(&rep, "parse: error needs an \"error:\" line saying why");
    } else if (!ex.error) {
        report(&rep, "a rejected request needs an \"error:\" line saying why (got \"%s\")",
               message);
    }
    if (ex.error && !strstr(message, ex.error))
        report(&rep, "error message \"%s\" does not contain \"%s\"", message, ex.error);
    compare_fetches(&ex, &rep);

out:
    json_decref(state);
    json_decref(config);
    payment_list_free(&list);
    expect_free(&ex);
    request_free(&rq);
    if (rep.len)
        fail_msg("%s/%s\n%s", fc->slug, fc->name, rep.text);
}

/* ---- the registry contract -------------------------------------------------------------- */

struct provider_check {
    const struct provider *provider;
    bool dir_found;
    size_t n_cases, n_accepted, n_rejected;
    char problems[1024];
};

static void test_provider_contract(void **cm_state)
{
    const struct provider_check *pc = *cm_state;
    const struct provider *p = pc->provider;
    size_t count;
    const struct provider *const *all = provider_all(&count);
    struct report rep = {.len = 0};

    if (!p->slug || !*p->slug || strspn(p->slug, "abcdefghijklmnopqrstuvwxyz0123456789-") !=
                                     strlen(p->slug))
        report(&rep, "the slug must be lowercase letters, digits and '-'");
    for (size_t i = 0; i < count; i++)
        if (all[i] != p && p->slug && all[i]->slug && !strcmp(all[i]->slug, p->slug))
            report(&rep, "the slug %s is registered twice", p->slug);
    if (p->slug && provider_find(p->slug) != p)
        report(&rep, "provider_find(\"%s\") does not answer this provider", p->slug);
    if (!p->verify || !p->parse)
        report(&rep, "verify and parse are required");
    if (!p->ack_body != !p->ack_content_type)
        report(&rep, "ack_body and ack_content_type go together");
    if (p->caps & ~(PROVIDER_CAP_FETCHBACK | PROVIDER_CAP_BATCH))
        report(&rep, "unknown capability bits 0x%x", p->caps);
    if (!pc->dir_found)
        report(&rep, "no fixture folder %s/%s", FIXTURE_ROOT, p->slug);
    else if (!pc->n_accepted || !pc->n_rejected)
        report(&rep, "needs at least one accepted (verify: ok, payments) and one rejected "
                     "(verify: invalid) case; has %zu cases, %zu accepted, %zu rejected",
               pc->n_cases, pc->n_accepted, pc->n_rejected);
    if (pc->problems[0])
        report(&rep, "%s", pc->problems);
    if (rep.len)
        fail_msg("%s\n%s", p->slug ? p->slug : "(no slug)", rep.text);
}

static char unregistered[2048];

static void test_fixture_folders(void **cm_state)
{
    (void)cm_state;
    if (!unregistered[0])
        return;
    fail_msg("%s", unregistered);
}

/* ---- discovery -------------------------------------------------------------------------- */

static bool is_case_name(const char *name, size_t len)
{
    if (len < 5 || name[0] < '0' || name[0] > '9' || name[1] < '0' || name[1] > '9' ||
        name[2] < '0' || name[2] > '9' || name[3] != '-')
        return false;
    for (size_t i = 4; i < len; i++)
        if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') ||
              name[i] == '-'))
            return false;
    return true;
}

static bool has_suffix(const char *name, const char *suffix, size_t *stem)
{
    size_t n = strlen(name), s = strlen(suffix);
    if (n <= s || strcmp(name + n - s, suffix))
        return false;
    *stem = n - s;
    return true;
}

static void note(char *out, size_t cap, const char *fmt, const char *a, const char *b)
{
    size_t used = strlen(out);
    if (used < cap - 1)
        snprintf(out + used, cap - used, fmt, a, b);
}

/* Adds one test per case of the provider's folder. */
static void discover_cases(struct provider_check *pc, struct CMUnitTest **tests, size_t *n)
{
    char dir[512];
    struct dirent **entries = NULL;
    snprintf(dir, sizeof dir, "%s/%s", FIXTURE_ROOT, pc->provider->slug);
    int count = scandir(dir, &entries, NULL, alphasort);
    if (count < 0)
        return;
    pc->dir_found = true;
    for (int i = 0; i < count; i++) {
        const char *name = entries[i]->d_name;
        size_t stem;
        char other[1024];
        struct stat st;
        if (has_suffix(name, ".expect", &stem)) {
            snprintf(other, sizeof other, "%s/%.*s.req", dir, (int)stem, name);
            if (stat(other, &st) != 0)
                note(pc->problems, sizeof pc->problems, "%s/%s has no .req\n", dir, name);
        } else if (has_suffix(name, ".req", &stem)) {
            snprintf(other, sizeof other, "%s/%.*s.expect", dir, (int)stem, name);
            if (!is_case_name(name, stem))
                note(pc->problems, sizeof pc->problems,
                     "%s/%s: a case is named NNN-<lowercase-words>\n", dir, name);
            /* counted here so the provider's contract test can ask for both outcomes */
            struct expectation ex = {0};
            struct report ignored = {.len = 0};
            if (expect_load(other, &ex, &ignored) == 0) {
                pc->n_accepted += ex.verify == VERIFY_OK && ex.payments > 0;
                pc->n_rejected += ex.verify == VERIFY_INVALID;
            }
            expect_free(&ex);
            pc->n_cases++;

            struct fixture_case *fc = need(calloc(1, sizeof *fc));
            size_t name_cap = strlen(pc->provider->slug) + stem + 2;
            char *test_name = need(malloc(name_cap));
            snprintf(fc->slug, sizeof fc->slug, "%s", pc->provider->slug);
            snprintf(fc->dir, sizeof fc->dir, "%s", dir);
            snprintf(fc->name, sizeof fc->name, "%.*s", (int)stem, name);
            snprintf(test_name, name_cap, "%s/%s", fc->slug, fc->name);
            *tests = need(realloc(*tests, (*n + 1) * sizeof **tests));
            (*tests)[(*n)++] = (struct CMUnitTest){.name = test_name, .test_func = test_case,
                                                   .initial_state = fc};
        }
        free(entries[i]);
    }
    free(entries);
}

/* Folders under the fixture root that name no registered provider. */
static void find_unregistered(void)
{
    struct dirent **entries = NULL;
    int count = scandir(FIXTURE_ROOT, &entries, NULL, alphasort);
    for (int i = 0; i < count; i++) {
        const char *name = entries[i]->d_name;
        if (name[0] != '.' && !provider_find(name)) {
            char path[1024];
            struct stat st;
            snprintf(path, sizeof path, "%s/%s", FIXTURE_ROOT, name);
            if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
                note(unregistered, sizeof unregistered,
                     "%s/%s names no registered provider\n", FIXTURE_ROOT, name);
        }
        free(entries[i]);
    }
    free(entries);
}

static void test_fixture_root(void **cm_state)
{
    (void)cm_state;
    struct stat st;
    if (stat(FIXTURE_ROOT, &st) != 0 || !S_ISDIR(st.st_mode))
        fail_msg("%s not found: run the tests from the repository root", FIXTURE_ROOT);
}

int main(void)
{
    size_t count, n = 0;
    const struct provider *const *all = provider_all(&count);
    struct provider_check *checks = calloc(count ? count : 1, sizeof *checks);
    struct CMUnitTest *tests = NULL;
    if (!checks || httpc_global_init() < 0 || mock_start() < 0) {
        fprintf(stderr, "test_providers: cannot set up (memory, libcurl or a loopback socket)\n");
        return 1;
    }
    find_unregistered();
    tests = need(calloc(2, sizeof *tests));
    tests[n++] = (struct CMUnitTest){.name = "fixtures/root", .test_func = test_fixture_root};
    tests[n++] = (struct CMUnitTest){.name = "fixtures/registered",
                                     .test_func = test_fixture_folders};
    for (size_t i = 0; i < count; i++) {
        checks[i].provider = all[i];
        size_t first_case = n;
        discover_cases(&checks[i], &tests, &n);
        /* the contract test goes before the provider's cases */
        tests = need(realloc(tests, (n + 1) * sizeof *tests));
        memmove(&tests[first_case + 1], &tests[first_case], (n - first_case) * sizeof *tests);
        size_t name_cap = strlen(all[i]->slug) + sizeof "contract/";
        char *name = need(malloc(name_cap));
        snprintf(name, name_cap, "contract/%s", all[i]->slug);
        tests[first_case] = (struct CMUnitTest){.name = name,
                                                .test_func = test_provider_contract,
                                                .initial_state = &checks[i]};
        n++;
    }

    int failed = _cmocka_run_group_tests("providers", tests, n, NULL, NULL);

    for (size_t i = 2; i < n; i++) {
        free((char *)tests[i].name);
        if (tests[i].test_func == test_case)
            free(tests[i].initial_state);
    }
    free(tests);
    free(checks);
    mock_stop();
    pthread_mutex_lock(&mock.lock);
    mock_clear_requests();
    pthread_mutex_unlock(&mock.lock);
    httpc_global_cleanup();
    return failed;
}
