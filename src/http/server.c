/* http/server.c - libmicrohttpd behind http.h.
 *
 * The daemon runs its own thread pool (one epoll loop per thread, keep-alive). A request is
 * handled in three callbacks: the first sees the headers (413 on an announced oversized
 * body), the middle ones collect the body into a capped buffer, the last dispatches. The
 * request state lives from the first callback to the "completed" notification, which is
 * where it is freed and where the in-flight count that graceful shutdown waits on drops.
 *
 * Stopping (http_server_stop) is ordered so that libmicrohttpd is never stopped with a
 * suspended connection, which makes it abort: a parked request is on a list from the moment
 * it is suspended until it completes; at the stop, the ones whose work has not begun are
 * withdrawn (resumed and answered 503), and the daemon stops only once every parked
 * connection has been resumed. The draining flag is set before the in-flight count is read
 * and a new request raises the count before it reads the flag, so a request either sees
 * the flag (and is refused) or is seen by the drain. */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/json.h"
#include "core/log.h"
#include "core/metrics.h"
#include "crypto/crypto.h"
#include "http/http.h"

#define MAX_TRUSTED_PROXIES 16
#define LISTEN_BACKLOG 1024
#define STOP_RETRY_AFTER "5"          /* seconds, for requests refused while stopping */
#define STOP_POLL_MS 10
#define STOP_LINGER_US (200 * 1000)   /* quiet time before idle keep-alive connections close */
#define STOP_ANSWER_GRACE_US (2000 * 1000) /* for resumed answers to go out */
#define STOP_LOG_EVERY_US (5000 * 1000)
/* Each connection's memory in libmicrohttpd: the request line and headers, and the answer's
 * headers (bodies are copied out as they arrive, so they do not count). libmicrohttpd zeroes
 * the whole of it on every request of a kept-alive connection, so its default of 32 KiB cost
 * more than the rest of its work per request; 16 KiB still takes headers of about 8 KiB,
 * nginx's default limit for a header line. Larger headers get 431. */
#define CONNECTION_MEMORY (16 * 1024)

struct cidr {
    int family; /* AF_INET or AF_INET6 */
    unsigned char addr[16];
    unsigned prefix;
};

struct http_server {
    struct MHD_Daemon *daemon;
    bool tls;
    struct cidr proxies[MAX_TRUSTED_PROXIES];
    size_t n_proxies;
    struct http_server_config cfg;
    atomic_int in_flight;
    atomic_uint_fast64_t request_seq;
    atomic_bool draining;           /* stopping: refuse new requests, close after answering */
    atomic_bool access_log;         /* cfg.access_log, changed by a reload */
    atomic_int open_connections;
    atomic_int_fast64_t last_done_us; /* when a request last completed (monotonic) */
    unsigned port;
    MHD_socket listener;
    pthread_mutex_t park_lock;      /* guards the parked list and withdrawn */
    struct request_state *parked;   /* suspended or resumed, not yet completed */
    atomic_bool cancelling;         /* set under park_lock: withdraw whatever parks */
    atomic_int resuming;            /* resume_request calls under way (settle_parked) */
    char id_prefix[9]; /* random per process, so ids from several processes do not clash */
    union {
        struct sockaddr_in v4;
        struct sockaddr_in6 v6;
    } addr;
};

struct request_state {
    int64_t start_us;
    struct buf body;
    bool too_large;
    bool answered; /* dispatched (or answered early: 413) */
    bool deferred; /* parked until its deferral resumes it */
    bool refused;  /* arrived while stopping: answered 503 */
    bool listed;   /* on srv->parked */
    atomic_bool resumed; /* resume asked for (by the work, or by the stop's withdrawal) */
    bool withdrawn; /* cancelled while parked: answered 503 without finish() */
    struct request_state *prev, *next; /* on srv->parked */
    struct http_server *srv;
    struct MHD_Connection *conn;
    struct http_request req; /* lives as long as the state, so a deferral can finish it */
    struct principal principal;
    char *path_copy; /* route params point into it */
    size_t route_index;
    struct http_deferral deferral;
};

/* ---- request accessors ---------------------------------------------------------------- */

const char *http_request_header(const struct http_request *req, const char *name)
{
    if (!req->conn) {
        for (size_t i = 0; i < req->n_headers; i++)
            if (strcasecmp(req->headers[i].name, name) == 0)
                return req->headers[i].value;
        return NULL;
    }
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *http_request_query(const struct http_request *req, const char *name)
{
    if (!req->conn) {
        for (size_t i = 0; i < req->n_query; i++)
            if (strcmp(req->query[i].name, name) == 0)
                return req->query[i].value;
        return NULL;
    }
    return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

void http_set_tenant(struct http_request *req, const char *tenant_id)
{
    snprintf(req->tenant_id, sizeof req->tenant_id, "%s", tenant_id);
}

/* ---- helpers -------------------------------------------------------------------------- */

static int cidr_parse(const char *text, size_t len, struct cidr *out)
{
    char host[64];
    const char *slash = memchr(text, '/', len);
    size_t hlen = slash ? (size_t)(slash - text) : len;
    if (hlen == 0 || hlen >= sizeof host)
        return -1;
    memcpy(host, text, hlen);
    host[hlen] = '\0';
    memset(out, 0, sizeof *out);
    if (inet_pton(AF_INET, host, out->addr) == 1) {
        out->family = AF_INET;
        out->prefix = 32;
    } else if (inet_pton(AF_INET6, host, out->addr) == 1) {
        out->family = AF_INET6;
        out->prefix = 128;
    } else {
        return -1;
    }
    if (slash) {
        char *end = NULL;
        long prefix = strtol(slash + 1, &end, 10);
        if (end != text + len || prefix < 0 || (unsigned long)prefix > out->prefix)
            return -1;
        out->prefix = (unsigned)prefix;
    }
    return 0;
}

static bool cidr_contains(const struct cidr *c, int family, const unsigned char *addr)
{
    if (c->family != family)
        return false;
    unsigned full = c->prefix / 8, rest = c->prefix % 8;
    if (memcmp(c->addr, addr, full) != 0)
        return false;
    if (rest == 0)
        return true;
    unsigned char mask = (unsigned char)(0xff << (8 - rest));
    return (c->addr[full] & mask) == (addr[full] & mask);
}

/* Whether the client spoke HTTPS: to us, or to a trusted proxy that says so. */
static bool request_is_https(const struct http_server *srv, struct MHD_Connection *conn)
{
    if (srv->tls)
        return true;
    const char *proto = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Forwarded-Proto");
    if (!proto || strcasecmp(proto, "https") != 0 || srv->n_proxies == 0)
        return false;
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (!info || !info->client_addr)
        return false;
    const struct sockaddr *sa = info->client_addr;
    const unsigned char *addr = sa->sa_family == AF_INET
                                    ? (const unsigned char *)&((const struct sockaddr_in *)sa)->sin_addr
                                    : (const unsigned char *)&((const struct sockaddr_in6 *)sa)->sin6_addr;
    for (size_t i = 0; i < srv->n_proxies; i++)
        if (cidr_contains(&srv->proxies[i], sa->sa_family, addr))
            return true;
    return false;
}

static bool request_id_sane(const char *id)
{
    size_t n = 0;
    for (; id[n]; n++) {
        char c = id[n];
        if (n >= HTTP_REQUEST_ID_MAX - 1 ||
            !((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.' || c == ':'))
            return false;
    }
    return n > 0;
}

static void request_id_assign(struct http_server *srv, struct MHD_Connection *conn,
                              char out[HTTP_REQUEST_ID_MAX])
{
    const char *given = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Request-Id");
    if (given && request_id_sane(given)) {
        snprintf(out, HTTP_REQUEST_ID_MAX, "%s", given);
        return;
    }
    uint64_t seq = atomic_fetch_add_explicit(&srv->request_seq, 1, memory_order_relaxed);
    snprintf(out, HTTP_REQUEST_ID_MAX, "req_%s%010llx", srv->id_prefix, (unsigned long long)seq);
}

static bool content_type_is_json(const char *ct)
{
    if (!ct)
        return false;
    while (*ct == ' ')
        ct++;
    size_t n = strcspn(ct, "; ");
    if (n == 16 && strncasecmp(ct, "application/json", 16) == 0)
        return true;
    /* application/<something>+json, e.g. application/merge-patch+json */
    return n > 17 && strncasecmp(ct, "application/", 12) == 0 &&
           strncasecmp(ct + n - 5, "+json", 5) == 0;
}

/* "text" as it is (a route pattern or an id: no character to escape), or null. */
static int append_quoted_or_null(struct buf *b, const char *text)
{
    if (!text)
        return buf_append(b, "null", 4);
    return buf_append(b, "\"", 1) < 0 || buf_append_str(b, text) < 0 ? -1
                                                                   : buf_append(b, "\"", 1);
}

static void access_log(const struct http_request *req, const struct route *route, int status,
                       int64_t duration_us)
{
    struct buf line;
    buf_init(&line, 4096);
    int rc = log_line_begin(&line, LOG_INFO);
    /* The route is the pattern, never the raw path: webhook paths carry secrets. A missing
     * route or tenant is JSON null. Appends rather than a format: this runs on every
     * request. */
    const char *tenant = req->principal ? req->principal->tenant_id
                         : req->tenant_id[0] ? req->tenant_id
                                             : NULL;
    if (rc == 0)
        rc = buf_append_str(&line, ",\"msg\":\"request\",\"requestId\":\"") < 0 ||
                     buf_append_str(&line, req->request_id) < 0 ||
                     buf_append_str(&line, "\",\"method\":\"") < 0 ||
                     json_escape_append(&line, req->method, strlen(req->method)) < 0 ||
                     buf_append_str(&line, "\",\"route\":") < 0 ||
                     append_quoted_or_null(&line, route ? route->pattern : NULL) < 0 ||
                     buf_append_str(&line, ",\"status\":") < 0 ||
                     buf_append_int(&line, status) < 0 ||
                     buf_append_str(&line, ",\"durationUs\":") < 0 ||
                     buf_append_int(&line, (long long)duration_us) < 0 ||
                     buf_append_str(&line, ",\"tenantId\":") < 0 ||
                     append_quoted_or_null(&line, tenant) < 0
                 ? -1
                 : 0;
    if (rc == 0)
        log_line_end(&line);
    buf_free(&line);
}

static enum MHD_Result send_response(struct MHD_Connection *conn, const struct http_request *req,
                                     struct http_response *res, bool closing)
{
    size_t len = 0;
    char *data = buf_take(&res->body, &len);
    struct MHD_Response *r =
        data ? MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE)
             : MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    if (!r) {
        free(data);
        return MHD_NO;
    }
    if (res->content_type)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, res->content_type);
    MHD_add_response_header(r, "X-Request-Id", req->request_id);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    for (size_t i = 0; i < res->n_headers; i++)
        MHD_add_response_header(r, res->headers[i].name, res->headers[i].value);
    /* While stopping, a keep-alive client must not send another request on this
     * connection: libmicrohttpd closes it after this answer. */
    if (closing)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
    enum MHD_Result ok = MHD_queue_response(conn, (unsigned)res->status, r);
    MHD_destroy_response(r);
    return ok;
}

/* Fills res from err; logs internal failures with their detail (the client gets none). */
static void respond_failure(const struct http_request *req, struct http_response *res,
                            const struct error *err)
{
    /* 503 is a state the caller was told about (a stop, a provider that could not be
     * reached), logged where it arose; other 5xx are failures to look into. */
    if (error_http_status(err->code) >= 500 && err->code != ERR_UNAVAILABLE)
        log_error("request %s failed: %s: %s", req->request_id, error_code_str(err->code),
                  err->message);
    http_respond_error(res, err, res->error_extra);
    res->error_extra = NULL;
}

/* ---- dispatch ------------------------------------------------------------------------- */

/* Sends the response (or the error in err when it is not NULL), and counts and logs it. */
static enum MHD_Result complete(struct http_server *srv, struct request_state *st,
                                struct http_response *res, const struct error *err)
{
    const struct http_server_config *cfg = &srv->cfg;
    const struct route *route =
        st->route_index < cfg->n_routes ? &cfg->routes[st->route_index] : NULL;
    if (err)
        respond_failure(&st->req, res, err);
    enum MHD_Result ok = send_response(st->conn, &st->req, res, atomic_load(&srv->draining));
    int64_t duration = clock_monotonic_us() - st->start_us;
    metrics_request(st->route_index, res->status, duration);
    if (atomic_load(&srv->access_log))
        access_log(&st->req, route, res->status, duration);
    json_decref(res->error_extra);
    buf_free(&res->body);
    return ok;
}

int http_defer(struct http_request *req, const struct http_deferral *deferral)
{
    struct request_state *st = req->state;
    st->deferral = *deferral;
    st->deferred = true;
    return HTTP_DEFERRED;
}

/* The first query parameter the route does not declare; its name as it appears in the URL
 * (bytes outside printable ASCII percent-encoded, at most ~64 characters), so the message
 * that names it is always valid UTF-8 and bounded whatever the client sent. */
struct query_check {
    const struct route *route;
    bool unknown;
    char name[72];
};

static enum MHD_Result check_query_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                       const char *value)
{
    (void)kind;
    (void)value;
    struct query_check *qc = cls;
    size_t len = key ? strlen(key) : 0;
    if (route_takes_query(qc->route, key ? key : "", len))
        return MHD_YES;
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0, i = 0;
    for (; i < len && o + 4 < sizeof qc->name - 3; i++) {
        unsigned char c = (unsigned char)key[i];
        if (c > 0x20 && c < 0x7f && c != '%' && c != '\'' && c != '"') {
            qc->name[o++] = (char)c;
        } else {
            qc->name[o++] = '%';
            qc->name[o++] = hex[c >> 4];
            qc->name[o++] = hex[c & 15];
        }
    }
    if (i < len) {
        memcpy(qc->name + o, "...", 3);
        o += 3;
    }
    qc->name[o] = '\0';
    qc->unknown = true;
    return MHD_NO;
}

/* 400 unknown_parameter naming the first query parameter the route does not take. */
static int check_query(struct MHD_Connection *conn, const struct route *route,
                       struct error *err)
{
    struct query_check qc = {.route = route};
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, check_query_arg, &qc);
    if (!qc.unknown)
        return 0;
    if (!route->query)
        return error_set(err, ERR_UNKNOWN_PARAMETER,
                         "unknown query parameter '%s': this endpoint takes none", qc.name);
    char takes[256];
    size_t o = 0;
    for (const char *p = route->query; *p && o + 3 < sizeof takes; p++) {
        if (*p != ' ') {
            takes[o++] = *p;
        } else if (p[1] && p[1] != ' ') {
            takes[o++] = ',';
            takes[o++] = ' ';
        }
    }
    takes[o] = '\0';
    return error_set(err, ERR_UNKNOWN_PARAMETER,
                     "unknown query parameter '%s'; this endpoint takes: %s", qc.name, takes);
}

/* The deferral's resume: st is alive, its connection being suspended until this call.
 * Without park_lock: the syncer resumes a whole batch's requests at once, and each
 * MHD_resume_connection takes libmicrohttpd's own lock and writes its eventfd, which held
 * park_lock long enough for the HTTP threads parking and finishing requests to queue on it.
 * This never races the stop's withdrawal: that resumes only work that has not begun
 * (deferral.cancel), and this is called by work that has. settle_parked counts this call
 * as under way until MHD_resume_connection returned (st may be gone by then). */
static void resume_request(void *token)
{
    struct request_state *st = token;
    struct http_server *srv = st->srv;
    atomic_fetch_add(&srv->resuming, 1);
    atomic_store(&st->resumed, true);
    MHD_resume_connection(st->conn);
    atomic_fetch_sub(&srv->resuming, 1);
}

/* Withdraws every parked request whose work has not begun; called with park_lock held. */
static void withdraw_parked(struct http_server *srv)
{
    for (struct request_state *st = srv->parked; st; st = st->next) {
        if (atomic_load(&st->resumed) || !st->deferral.cancel ||
            !st->deferral.cancel(st->deferral.ctx))
            continue;
        st->withdrawn = true;
        atomic_store(&st->resumed, true);
        MHD_resume_connection(st->conn);
    }
}

/* Suspends the connection, then starts the deferred work, which may finish and resume at
 * once (st may be gone when start returns). Once the stop has begun withdrawing, nothing is
 * suspended any more: the work is withdrawn before it starts (it then only lets go of its
 * context) and false says to answer at once. Deciding under park_lock means that either the
 * stop sees this request on the list or this request sees the stop. */
static bool park(struct http_server *srv, struct request_state *st)
{
    pthread_mutex_lock(&srv->park_lock);
    bool withdrawn = atomic_load(&srv->cancelling) && st->deferral.cancel &&
                     st->deferral.cancel(st->deferral.ctx);
    if (withdrawn) {
        st->withdrawn = true;
    } else {
        st->next = srv->parked;
        if (st->next)
            st->next->prev = st;
        srv->parked = st;
        st->listed = true;
        MHD_suspend_connection(st->conn);
    }
    pthread_mutex_unlock(&srv->park_lock);
    st->deferral.start(st->deferral.ctx, resume_request, st);
    return !withdrawn;
}

static void unlist(struct http_server *srv, struct request_state *st)
{
    pthread_mutex_lock(&srv->park_lock);
    if (st->prev)
        st->prev->next = st->next;
    else
        srv->parked = st->next;
    if (st->next)
        st->next->prev = st->prev;
    st->listed = false;
    pthread_mutex_unlock(&srv->park_lock);
}

/* The answer to a request the stopping server will not process. */
static void refuse_stopping(struct http_response *res, struct error *err)
{
    http_response_add_header(res, "Retry-After", STOP_RETRY_AFTER);
    error_set(err, ERR_UNAVAILABLE, "the server is stopping; send the request again shortly");
}

static enum MHD_Result finish_deferred(struct http_server *srv, struct request_state *st);

static enum MHD_Result dispatch(struct http_server *srv, struct MHD_Connection *conn,
                                const char *url, const char *method, struct request_state *st)
{
    const struct http_server_config *cfg = &srv->cfg;
    struct http_request *req = &st->req;
    struct http_response res = {.status = 200};
    struct error err = {0};
    const struct route *route = NULL;
    char allow[64];

    *req = (struct http_request){.method = method, .path = url, .app = cfg->app, .conn = conn,
                                 .state = st};
    st->srv = srv;
    st->conn = conn;
    st->route_index = cfg->n_routes;
    st->path_copy = strdup(url);
    buf_init(&res.body, HTTP_RESPONSE_BODY_CAP);
    request_id_assign(srv, conn, req->request_id);
    req->body = st->body.data ? st->body.data : "";
    req->body_len = st->body.len;

    if (st->refused) {
        refuse_stopping(&res, &err);
        goto fail;
    }
    if (!st->path_copy) {
        error_set(&err, ERR_INTERNAL, "out of memory");
        goto fail;
    }
    switch (router_match(cfg->routes, cfg->n_routes, method, st->path_copy, &st->route_index,
                         req->params, &req->n_params, allow, sizeof allow)) {
    case ROUTE_NO_PATH:
        st->route_index = cfg->n_routes;
        error_set(&err, ERR_NOT_FOUND, "no such endpoint");
        goto fail;
    case ROUTE_NO_METHOD:
        st->route_index = cfg->n_routes;
        http_response_add_header(&res, "Allow", allow);
        error_set(&err, ERR_METHOD_NOT_ALLOWED, "method %s is not allowed here; allowed: %s",
                  method, allow);
        goto fail;
    case ROUTE_BAD_PATH:
        st->route_index = cfg->n_routes;
        error_set(&err, ERR_BAD_REQUEST, "the path holds a control character");
        goto fail;
    case ROUTE_MATCHED:
        route = &cfg->routes[st->route_index];
        break;
    }

    if (st->too_large) {
        error_set(&err, ERR_PAYLOAD_TOO_LARGE, "request body exceeds %zu bytes", cfg->max_body);
        goto fail;
    }
    if ((route->flags & ROUTE_HTTPS_ONLY) && !cfg->dev && !request_is_https(srv, conn)) {
        error_set(&err, ERR_HTTPS_REQUIRED,
                  "this endpoint accepts HTTPS only; plain HTTP is refused");
        goto fail;
    }
    if (route->role != AUTH_ROLE_NONE) {
        const char *authz = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
        if (auth_bearer(cfg->store, authz, &st->principal, &err) < 0) {
            if (err.code == ERR_UNAUTHORIZED)
                http_response_add_header(&res, "WWW-Authenticate", "Bearer realm=\"connectord\"");
            goto fail;
        }
        req->principal = &st->principal;
        if (!auth_role_allows(st->principal.role, route->role)) {
            error_set(&err, ERR_FORBIDDEN, "this endpoint needs the %s role",
                      auth_role_name(route->role));
            goto fail;
        }
        if (st->principal.read_only && !(route->flags & ROUTE_READS) &&
            strcmp(route->method, "GET") != 0 && strcmp(route->method, "HEAD") != 0) {
            error_set(&err, ERR_FORBIDDEN, "this token is read-only: it may only read (GET)");
            goto fail;
        }
    }
    if (check_query(conn, route, &err) < 0)
        goto fail;
    if ((route->flags & ROUTE_JSON) && req->body_len > 0 &&
        !content_type_is_json(MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                          MHD_HTTP_HEADER_CONTENT_TYPE))) {
        error_set(&err, ERR_UNSUPPORTED_MEDIA, "the request body must be application/json");
        goto fail;
    }
    int rc = route->handler(req, &res, &err);
    if (rc == HTTP_DEFERRED) {
        json_decref(res.error_extra);
        buf_free(&res.body);
        return park(srv, st) ? MHD_YES : finish_deferred(srv, st);
    }
    return complete(srv, st, &res, rc < 0 ? &err : NULL);
fail:
    return complete(srv, st, &res, &err);
}

/* Called again for a resumed connection: the deferred work is done. */
static enum MHD_Result finish_deferred(struct http_server *srv, struct request_state *st)
{
    struct http_response res = {.status = 200};
    struct error err = {0};
    buf_init(&res.body, HTTP_RESPONSE_BODY_CAP);
    st->deferred = false;
    int rc = -1;
    if (st->withdrawn)
        refuse_stopping(&res, &err);
    else
        rc = st->deferral.finish(st->deferral.ctx, &st->req, &res, &err);
    st->deferral.release(st->deferral.ctx);
    st->deferral.release = NULL;
    return complete(srv, st, &res, rc < 0 ? &err : NULL);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    struct http_server *srv = cls;
    struct request_state *st = *con_cls;
    (void)version;

    if (!st) {
        st = calloc(1, sizeof *st);
        if (!st)
            return MHD_NO;
        st->start_us = clock_monotonic_us();
        buf_init(&st->body, srv->cfg.max_body);
        *con_cls = st;
        atomic_fetch_add(&srv->in_flight, 1);
        if (atomic_load(&srv->draining)) {
            /* Arrived after the stop began: answered at once, body unread. */
            st->refused = true;
            st->answered = true;
            return dispatch(srv, conn, url, method, st);
        }
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                     MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && strtoull(cl, NULL, 10) > srv->cfg.max_body) {
            /* Answer before reading the body; libmicrohttpd closes the connection after. */
            st->too_large = true;
            st->answered = true;
            return dispatch(srv, conn, url, method, st);
        }
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (!st->too_large && buf_append(&st->body, upload_data, *upload_data_size) < 0)
            st->too_large = true; /* keep reading and discarding; answer 413 at the end */
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (st->deferred)
        return finish_deferred(srv, st);
    if (st->answered)
        return MHD_YES;
    st->answered = true;
    return dispatch(srv, conn, url, method, st);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct http_server *srv = cls;
    struct request_state *st = *con_cls;
    (void)conn;
    (void)toe;
    if (!st)
        return;
    if (st->listed)
        unlist(srv, st);
    if (st->deferral.release)
        st->deferral.release(st->deferral.ctx);
    buf_free(&st->body);
    free(st->path_copy);
    free(st);
    *con_cls = NULL;
    atomic_store(&srv->last_done_us, clock_monotonic_us());
    atomic_fetch_sub(&srv->in_flight, 1);
}

/* libmicrohttpd's unescaper, but one that keeps a decoded NUL visible (http_unescape). */
static size_t on_unescape(void *cls, struct MHD_Connection *conn, char *s)
{
    (void)cls;
    (void)conn;
    return http_unescape(s);
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    struct http_server *srv = cls;
    (void)conn;
    (void)socket_context;
    atomic_fetch_add(&srv->open_connections, toe == MHD_CONNECTION_NOTIFY_STARTED ? 1 : -1);
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char text[512];
    (void)cls;
    vsnprintf(text, sizeof text, fmt, ap);
    text[strcspn(text, "\n")] = '\0';
    log_warn("http: %s", text);
}

/* ---- start and stop ------------------------------------------------------------------- */

static int parse_listen(struct http_server *srv, const char *listen, bool *ipv6,
                        struct error *err)
{
    char host[64];
    const char *colon = strrchr(listen, ':');
    if (!colon)
        return error_set(err, ERR_CONFIG, "listen address '%.64s' must be HOST:PORT", listen);
    char *end = NULL;
    long port = strtol(colon + 1, &end, 10);
    if (*end || end == colon + 1 || port < 0 || port > 65535)
        return error_set(err, ERR_CONFIG, "listen address '%.64s' has a bad port", listen);
    size_t hlen = (size_t)(colon - listen);
    if (hlen >= sizeof host)
        return error_set(err, ERR_CONFIG, "listen host too long");
    memcpy(host, listen, hlen);
    host[hlen] = '\0';
    if (hlen >= 2 && host[0] == '[' && host[hlen - 1] == ']') {
        host[hlen - 1] = '\0';
        srv->addr.v6.sin6_family = AF_INET6;
        srv->addr.v6.sin6_port = htons((uint16_t)port);
        if (inet_pton(AF_INET6, host + 1, &srv->addr.v6.sin6_addr) != 1)
            return error_set(err, ERR_CONFIG, "bad IPv6 listen address '%.64s'", listen);
        *ipv6 = true;
        return 0;
    }
    srv->addr.v4.sin_family = AF_INET;
    srv->addr.v4.sin_port = htons((uint16_t)port);
    if (hlen == 0 || strcmp(host, "*") == 0)
        srv->addr.v4.sin_addr.s_addr = htonl(INADDR_ANY);
    else if (strcmp(host, "localhost") == 0)
        srv->addr.v4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    else if (inet_pton(AF_INET, host, &srv->addr.v4.sin_addr) != 1)
        return error_set(err, ERR_CONFIG, "bad IPv4 listen address '%.64s'", listen);
    *ipv6 = false;
    return 0;
}

/* Binds and listens here rather than in libmicrohttpd, so that a failure names the address
 * and the reason (libmicrohttpd only logs "Failed to bind to port 0"). */
static int open_listener(struct http_server *srv, bool ipv6, const char *listen_text,
                         struct error *err)
{
    int fd = socket(ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int on = 1;
    socklen_t len = ipv6 ? sizeof srv->addr.v6 : sizeof srv->addr.v4;
    if (fd < 0)
        return error_set(err, ERR_CONFIG, "cannot listen on %.64s: %s", listen_text,
                         strerror(errno));
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (ipv6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
    if (bind(fd, (struct sockaddr *)&srv->addr, len) < 0 || listen(fd, LISTEN_BACKLOG) < 0 ||
        getsockname(fd, (struct sockaddr *)&srv->addr, &len) < 0) {
        int e = errno;
        close(fd);
        return error_set(err, ERR_CONFIG, "cannot listen on %.64s: %s%s", listen_text,
                         strerror(e),
                         e == EADDRINUSE ? " (another process is listening there; stop it or "
                                           "choose another address with --listen)"
                                         : "");
    }
    srv->port = ntohs(ipv6 ? srv->addr.v6.sin6_port : srv->addr.v4.sin_port);
    srv->listener = fd;
    return 0;
}

static void server_free(struct http_server *srv)
{
    if (srv->listener != MHD_INVALID_SOCKET)
        close(srv->listener);
    pthread_mutex_destroy(&srv->park_lock);
    free(srv);
}

int http_server_start(const struct http_server_config *cfg, struct http_server **out,
                      struct error *err)
{
    *out = NULL;
    struct http_server *srv = calloc(1, sizeof *srv);
    if (!srv)
        return error_set(err, ERR_INTERNAL, "out of memory");
    srv->cfg = *cfg;
    atomic_store(&srv->access_log, cfg->access_log);
    srv->listener = MHD_INVALID_SOCKET;
    pthread_mutex_init(&srv->park_lock, NULL);
    unsigned char rnd[4];
    if (crypto_random(rnd, sizeof rnd) < 0) {
        server_free(srv);
        return error_set(err, ERR_INTERNAL, "no randomness available");
    }
    crypto_hex(rnd, sizeof rnd, srv->id_prefix);

    for (const char *p = cfg->trusted_proxy; p && *p;) {
        size_t len = strcspn(p, ", ");
        if (len && (srv->n_proxies == MAX_TRUSTED_PROXIES ||
                    cidr_parse(p, len, &srv->proxies[srv->n_proxies++]) < 0)) {
            server_free(srv);
            return error_set(err, ERR_CONFIG, "trusted proxy '%.*s' is not an address or CIDR "
                             "(at most %d)", (int)(len > 64 ? 64 : len), p, MAX_TRUSTED_PROXIES);
        }
        p += len;
        p += strspn(p, ", ");
    }
    bool ipv6 = false;
    if (parse_listen(srv, cfg->listen, &ipv6, err) < 0) {
        server_free(srv);
        return -1;
    }
    unsigned threads = cfg->threads;
    if (threads == 0) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        threads = cores > 0 ? (unsigned)cores : 1;
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
                     MHD_USE_ERROR_LOG | MHD_USE_TURBO | MHD_ALLOW_SUSPEND_RESUME;
    if (ipv6)
        flags |= MHD_USE_IPv6;
    bool tls = cfg->tls_cert_pem && cfg->tls_key_pem;
    if (tls) {
        if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
            server_free(srv);
            return error_set(err, ERR_CONFIG, "this libmicrohttpd was built without TLS");
        }
        flags |= MHD_USE_TLS;
        srv->tls = true;
    }
    if (open_listener(srv, ipv6, cfg->listen, err) < 0) {
        server_free(srv);
        return -1;
    }
    struct MHD_OptionItem options[] = {
        {MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)on_mhd_log, NULL}, /* first, or MHD complains */
        {MHD_OPTION_LISTEN_SOCKET, (intptr_t)srv->listener, NULL},
        {MHD_OPTION_THREAD_POOL_SIZE, (intptr_t)threads, NULL},
        {MHD_OPTION_CONNECTION_MEMORY_LIMIT, (intptr_t)CONNECTION_MEMORY, NULL},
        {MHD_OPTION_CONNECTION_TIMEOUT, (intptr_t)(cfg->read_timeout_s ? cfg->read_timeout_s : 30),
         NULL},
        {MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, srv},
        {MHD_OPTION_UNESCAPE_CALLBACK, (intptr_t)on_unescape, NULL},
        {MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)on_connection, srv},
        {tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, (void *)cfg->tls_cert_pem},
        {tls ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END, 0, (void *)cfg->tls_key_pem},
        {MHD_OPTION_END, 0, NULL},
    };
    srv->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, srv, MHD_OPTION_ARRAY,
                                   options, MHD_OPTION_END);
    if (!srv->daemon) {
        server_free(srv);
        return error_set(err, ERR_CONFIG, "cannot listen on %.64s: libmicrohttpd refused to "
                         "start%s", cfg->listen,
                         tls ? " (are the TLS certificate and key valid PEM, and a pair?)" : "");
    }
    srv->listener = MHD_INVALID_SOCKET; /* the daemon's now, given back by the quiesce */
    *out = srv;
    return 0;
}

void http_server_set_access_log(struct http_server *srv, bool on)
{
    atomic_store(&srv->access_log, on);
}

unsigned http_server_port(const struct http_server *srv)
{
    return srv->port;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

/* Nothing in flight, and no open connection or none used for a moment: a client that got
 * an answer sent before the stop (without Connection: close) may have its next request on
 * the way, and that one is answered 503 rather than cut off. Idle keep-alive connections
 * are closed by the daemon's stop. */
static bool drained(struct http_server *srv)
{
    return atomic_load(&srv->in_flight) == 0 &&
           (atomic_load(&srv->open_connections) == 0 ||
            clock_monotonic_us() - atomic_load(&srv->last_done_us) >= STOP_LINGER_US);
}

/* Withdraws what is parked and has not begun, then waits, however long the commits take,
 * until no connection is suspended (libmicrohttpd aborts when stopped with one), and a
 * little longer for the resumed requests' answers to go out. */
static void settle_parked(struct http_server *srv)
{
    pthread_mutex_lock(&srv->park_lock);
    atomic_store(&srv->cancelling, true);
    withdraw_parked(srv);
    pthread_mutex_unlock(&srv->park_lock);
    int64_t now = clock_monotonic_us(), all_resumed_at = 0, logged_at = now;
    for (;;) {
        size_t suspended = 0, listed = 0;
        pthread_mutex_lock(&srv->park_lock);
        for (struct request_state *st = srv->parked; st; st = st->next, listed++)
            suspended += !atomic_load(&st->resumed);
        pthread_mutex_unlock(&srv->park_lock);
        suspended += (size_t)atomic_load(&srv->resuming); /* flagged, not yet resumed */
        now = clock_monotonic_us();
        if (suspended == 0 && !all_resumed_at)
            all_resumed_at = now;
        if (suspended == 0 && (listed == 0 || now - all_resumed_at >= STOP_ANSWER_GRACE_US))
            return;
        if (suspended > 0 && now - logged_at >= STOP_LOG_EVERY_US) {
            log_warn("waiting for %zu parked requests whose commit is under way", suspended);
            logged_at = now;
        }
        sleep_ms(STOP_POLL_MS);
    }
}

void http_server_stop(struct http_server *srv, int drain_ms)
{
    if (!srv)
        return;
    atomic_store(&srv->draining, true);
    /* New connections are refused from here: the listening socket is ours again, closed. */
    MHD_socket listener = MHD_quiesce_daemon(srv->daemon);
    if (listener != MHD_INVALID_SOCKET) {
        close(listener);
        srv->listener = MHD_INVALID_SOCKET;
    }
    int waited = 0;
    while (!drained(srv) && waited < drain_ms) {
        sleep_ms(STOP_POLL_MS);
        waited += STOP_POLL_MS;
    }
    int left = atomic_load(&srv->in_flight);
    if (left > 0)
        log_warn("stopping with %d requests still in flight after %d ms", left, drain_ms);
    settle_parked(srv);
    MHD_stop_daemon(srv->daemon);
    server_free(srv);
}
