/* http/http.h - the HTTP server (libmicrohttpd), the routing table's shape, requests and
 * responses.
 *
 * The server owns connections, body limits, timeouts, TLS, request ids, the access log,
 * metrics and graceful shutdown. It matches a request against one routing table (api/
 * routes.c), authenticates it when the route asks for a role, checks the content type of
 * JSON routes, and calls the route's handler. Handlers fill a struct http_response or
 * return -1 with a struct error; the server turns that error into the one JSON error
 * shape, {"error":{"code":"...","message":"..."}}, with the status from errors.def. */
#ifndef CONNECTORD_HTTP_H
#define CONNECTORD_HTTP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/auth.h"
#include "core/buf.h"
#include "core/error.h"

#define HTTP_MAX_PARAMS 8
#define HTTP_MAX_HEADERS 4
#define HTTP_REQUEST_ID_MAX 65
#define HTTP_RESPONSE_BODY_CAP (64u << 20) /* no response of ours comes near; a bug guard */

struct http_param {
    const char *name;  /* from the pattern, without ':' */
    const char *value; /* NUL-terminated copy owned by the request */
};

struct http_request {
    const char *method;
    const char *path;
    struct http_param params[HTTP_MAX_PARAMS];
    size_t n_params;
    const char *body; /* NUL-terminated for convenience; may contain NULs; body_len is the truth */
    size_t body_len;
    const struct principal *principal; /* NULL on public routes */
    char tenant_id[48]; /* for the access log on public routes that find a tenant */
    void *app;                         /* the application context given to the server */
    char request_id[HTTP_REQUEST_ID_MAX];
    /* An internal request (conn NULL: api/mcp.c calls a route's handler for a tool; the
     * fuzz harnesses) has its query parameters and headers here. */
    const struct http_param *query;
    size_t n_query;
    const struct http_param *headers;
    size_t n_headers;
    void *conn;  /* private: the libmicrohttpd connection; NULL for an internal request */
    void *state; /* private: the server's request state */
};

struct http_header {
    const char *name;
    char value[256];
};

struct http_response {
    int status;
    const char *content_type; /* static string */
    struct buf body;
    struct http_header headers[HTTP_MAX_HEADERS];
    size_t n_headers;
    /* Members a handler adds to its error body when it returns -1, e.g. {"requiredPlan":
     * "pro"} or {"fields": [...]}; owned by the response. */
    json_t *error_extra;
};

/* Request accessors; NULL when absent. */
const char *http_request_header(const struct http_request *req, const char *name);
const char *http_request_query(const struct http_request *req, const char *name);
const char *http_request_param(const struct http_request *req, const char *name);

/* Names the tenant a public request turned out to belong to (access log only). */
void http_set_tenant(struct http_request *req, const char *tenant_id);

/* Response builders; each returns 0 or -1 (ERR_INTERNAL in err) when memory ran out. */
int http_respond_json(struct http_response *res, int status, json_t *body, struct error *err);
int http_respond_text(struct http_response *res, int status, const char *content_type,
                      const char *text, size_t len, struct error *err);
int http_respond_empty(struct http_response *res, int status);
int http_response_add_header(struct http_response *res, const char *name, const char *value);
/* The one JSON error body. extra (may be NULL, reference stolen) adds members beside code
 * and message, e.g. {"requiredPlan": "pro"} or {"fields": [...]}. */
int http_respond_error(struct http_response *res, const struct error *err, json_t *extra);

typedef int (*http_handler_fn)(struct http_request *req, struct http_response *res,
                               struct error *err);

/* A handler that must wait for work finishing on another thread (a group commit) calls
 * http_defer() and returns HTTP_DEFERRED. The server then parks the connection without
 * holding a thread and calls start() once, which must arrange for resume(token) to be
 * called exactly once from any thread; then finish() builds the response on a server
 * thread. release() is called once when the server is done with ctx (also if the
 * connection dies first); the deferral may keep ctx alive past it while its work runs.
 *
 * When the server stops and its drain time has passed, it calls cancel() (may be NULL) on
 * every request still parked: true means the work was withdrawn before it began, resume
 * will not be called, and the server answers 503 itself without finish(); false means the
 * work is under way and resume follows. */
#define HTTP_DEFERRED 1

struct http_deferral {
    void *ctx;
    void (*start)(void *ctx, void (*resume)(void *token), void *token);
    int (*finish)(void *ctx, struct http_request *req, struct http_response *res,
                  struct error *err);
    bool (*cancel)(void *ctx);
    void (*release)(void *ctx);
};

/* Returns HTTP_DEFERRED for the handler to return. */
int http_defer(struct http_request *req, const struct http_deferral *deferral);

#define ROUTE_JSON 0x1u       /* a body, when present, must be application/json (else 415) */
#define ROUTE_HTTPS_ONLY 0x2u /* refuse plain HTTP (403 https_required), see the config */
#define ROUTE_READS 0x4u      /* a POST that changes nothing by itself (MCP): read-only tokens
                                 pass, and the handler enforces the scope per call */

struct route {
    const char *method;  /* "GET", "POST", ... */
    const char *pattern; /* "/api/projects/:projectId/connectors" */
    http_handler_fn handler;
    enum auth_role role; /* AUTH_ROLE_NONE: public; otherwise the least role allowed */
    unsigned flags;
    /* The query parameters the route takes, separated by spaces ("limit cursor status");
     * NULL: none. The server refuses any other with 400 unknown_parameter before the
     * handler runs, so a misspelt filter never silently lists everything. */
    const char *query;
};

enum route_match { ROUTE_MATCHED, ROUTE_NO_PATH, ROUTE_NO_METHOD, ROUTE_BAD_PATH };

/* Percent-decodes a path or query text in place, as the server's unescaper ("%41" -> "A";
 * malformed escapes stay as written) and returns the new length. A decoded NUL would end
 * the C string there and silently cut the path ("app.js%00.png" would be "app.js"), so it
 * is kept visible as the control byte DEL (0x7f), which router_match refuses. */
size_t http_unescape(char *s);

/* Matches method + path against the table. ROUTE_BAD_PATH when the path holds a control
 * byte (below 0x20, or DEL): no resource is named so. On ROUTE_MATCHED, *index and params are set;
 * params point into path_copy, which the caller provides (a writable copy of the path, at
 * least as long). On ROUTE_NO_METHOD, allow receives the allowed methods ("GET, POST"). */
enum route_match router_match(const struct route *routes, size_t n_routes, const char *method,
                              char *path_copy, size_t *index, struct http_param *params,
                              size_t *n_params, char *allow, size_t allow_cap);

/* Whether the route declares the query parameter `name` (bytes, name_len long). */
bool route_takes_query(const struct route *route, const char *name, size_t name_len);

struct http_server_config {
    const char *listen;      /* "127.0.0.1:8080", "[::1]:8080", ":8080" */
    unsigned threads;        /* 0 = one per core */
    size_t max_body;         /* bytes; larger bodies get 413 */
    unsigned read_timeout_s; /* idle connections are closed after this */
    const char *tls_cert_pem; /* both NULL for plain HTTP */
    const char *tls_key_pem;
    bool access_log;
    bool dev;                  /* development mode: ROUTE_HTTPS_ONLY routes take plain HTTP */
    const char *trusted_proxy; /* comma-separated CIDRs whose X-Forwarded-Proto is believed */
    const struct route *routes;
    size_t n_routes;
    struct store *store; /* for bearer tokens */
    void *app;           /* handed to handlers as req->app */
};

struct http_server;

int http_server_start(const struct http_server_config *cfg, struct http_server **out,
                      struct error *err);
/* Port actually bound (useful with port 0). */
unsigned http_server_port(const struct http_server *srv);
/* Turns the access log on or off while the server runs (a reload). */
void http_server_set_access_log(struct http_server *srv, bool on);
/* Stops gracefully: new connections are refused, a request that arrives from now on is
 * answered 503 with Retry-After, every answer carries Connection: close; waits up to
 * drain_ms for the requests in flight, withdraws the parked ones that have not begun
 * (503), waits for the rest to be resumed, and only then stops the daemon. */
void http_server_stop(struct http_server *srv, int drain_ms);

#endif
