/* httpc/httpc.c - libcurl behind httpc.h: its easy interface for one request, its socket
 * interface over epoll for many at once. */
#include "httpc/httpc.h"

#include "core/clock.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define DEFAULT_TIMEOUT_MS 10000
#define DEFAULT_MAX_RESPONSE (1u << 20)
#define MAX_HEADERS (16u << 10)
#define PRIVATE_REFUSED "address not allowed: private, loopback and link-local addresses are " \
                        "refused (--allow-private-destinations)"

int httpc_global_init(void)
{
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

void httpc_global_cleanup(void)
{
    curl_global_cleanup();
}

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
    struct httpc_response *resp = ctx;
    return buf_append(&resp->body, data, size * n) == 0 ? size * n : 0; /* 0 aborts: too big */
}

static void copy_header_value(char *dst, size_t cap, const char *v, size_t len)
{
    while (len && (*v == ' ' || *v == '\t')) {
        v++;
        len--;
    }
    while (len && (v[len - 1] == '\r' || v[len - 1] == '\n' || v[len - 1] == ' '))
        len--;
    if (len >= cap)
        len = cap - 1;
    memcpy(dst, v, len);
    dst[len] = '\0';
}

static size_t on_header(char *data, size_t size, size_t n, void *ctx)
{
    struct httpc_response *resp = ctx;
    size_t len = size * n;
    if (len > 13 && strncasecmp(data, "content-type:", 13) == 0)
        copy_header_value(resp->content_type, sizeof resp->content_type, data + 13, len - 13);
    else if (len > 12 && strncasecmp(data, "retry-after:", 12) == 0)
        copy_header_value(resp->retry_after, sizeof resp->retry_after, data + 12, len - 12);
    if (len > 5 && strncmp(data, "HTTP/", 5) == 0)
        buf_reset(&resp->headers); /* a new answer (after a 100 Continue): only its own */
    else
        (void)buf_append(&resp->headers, data, len); /* past the cap the rest is not kept */
    return len;
}

static curl_socket_t open_public_socket(void *clientp, curlsocktype purpose,
                                        struct curl_sockaddr *addr);

int httpc_perform(const struct httpc_request *req, struct httpc_response *resp, struct error *err)
{
    memset(resp, 0, sizeof *resp);
    buf_init(&resp->body, req->max_response ? req->max_response : DEFAULT_MAX_RESPONSE);
    buf_init(&resp->headers, MAX_HEADERS);
    CURL *curl = curl_easy_init();
    struct curl_slist *headers = NULL;
    int rc = -1;
    if (!curl)
        return error_set(err, ERR_INTERNAL, "cannot create an HTTP client handle");
    for (size_t i = 0; i < req->n_headers; i++) {
        char line[1024];
        snprintf(line, sizeof line, "%s: %s", req->headers[i].name, req->headers[i].value);
        struct curl_slist *next = curl_slist_append(headers, line);
        if (!next) {
            error_set(err, ERR_INTERNAL, "out of memory");
            goto out;
        }
        headers = next;
    }
    curl_easy_setopt(curl, CURLOPT_URL, req->url);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, req->timeout_ms ? req->timeout_ms : DEFAULT_TIMEOUT_MS);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "connectord/" CONNECTORD_VERSION);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, resp);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, resp);
    bool refused = false;
    if (req->refuse_private) {
        curl_easy_setopt(curl, CURLOPT_OPENSOCKETFUNCTION, open_public_socket);
        curl_easy_setopt(curl, CURLOPT_OPENSOCKETDATA, &refused);
    }
    if (req->basic_user) {
        curl_easy_setopt(curl, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
        curl_easy_setopt(curl, CURLOPT_USERNAME, req->basic_user);
        curl_easy_setopt(curl, CURLOPT_PASSWORD, req->basic_password ? req->basic_password : "");
    }
    const char *method = req->method ? req->method : "GET";
    if (strcmp(method, "GET") != 0)
        curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    if (req->body) {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, req->body);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
    }
    CURLcode cc = curl_easy_perform(curl);
    if (cc != CURLE_OK) {
        error_set(err, ERR_UNAVAILABLE, "request to the service failed: %s",
                  cc == CURLE_WRITE_ERROR                 ? "answer too large"
                  : cc == CURLE_COULDNT_CONNECT && refused ? PRIVATE_REFUSED
                                                           : curl_easy_strerror(cc));
        goto out;
    }
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &resp->status);
    rc = 0;
out:
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    return rc;
}

void httpc_response_free(struct httpc_response *resp)
{
    buf_free(&resp->body);
    buf_free(&resp->headers);
}

bool httpc_response_header(const struct httpc_response *resp, const char *name, char *out,
                           size_t cap)
{
    size_t nlen = strlen(name);
    const char *p = resp->headers.data, *end = p ? p + resp->headers.len : NULL;
    bool found = false;
    while (p && p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        const char *line_end = eol ? eol : end;
        if ((size_t)(line_end - p) > nlen && p[nlen] == ':' && strncasecmp(p, name, nlen) == 0) {
            copy_header_value(out, cap, p + nlen + 1, (size_t)(line_end - p - nlen - 1));
            found = true;
        }
        p = eol ? eol + 1 : end;
    }
    return found;
}

int httpc_url_join(struct buf *out, const char *base, const char *path, const char *segment)
{
    size_t blen = strlen(base);
    while (blen && base[blen - 1] == '/')
        blen--;
    while (*path == '/')
        path++;
    if (buf_append(out, base, blen) < 0 || buf_append(out, "/", 1) < 0 ||
        buf_append_str(out, path) < 0)
        return -1;
    for (const unsigned char *p = (const unsigned char *)segment; p && *p; p++) {
        int rc = (isalnum(*p) || *p == '-' || *p == '_' || *p == '.' || *p == '~')
                     ? buf_append(out, p, 1)
                     : buf_printf(out, "%%%02X", *p);
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* ---- address policy ------------------------------------------------------------------- */

/* Loopback, private (RFC 1918, unique local), link-local, unspecified, CGNAT and
 * IPv4-mapped forms of them: where a URL from a tenant must not reach. */
static bool address_is_private(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET) {
        uint32_t a = ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr);
        return (a >> 24) == 0 || (a >> 24) == 10 || (a >> 24) == 127 ||
               (a >> 16) == 0xa9fe /* 169.254/16 */ || (a >> 20) == 0xac1 /* 172.16/12 */ ||
               (a >> 16) == 0xc0a8 /* 192.168/16 */ || (a >> 22) == 0x191 /* 100.64/10 */;
    }
    if (sa->sa_family == AF_INET6) {
        const unsigned char *b = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
        static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (memcmp(b, mapped, 12) == 0) {
            struct sockaddr_in v4 = {.sin_family = AF_INET};
            memcpy(&v4.sin_addr, b + 12, 4);
            return address_is_private((const struct sockaddr *)&v4);
        }
        static const unsigned char zero[16] = {0};
        bool loopback = memcmp(b, zero, 15) == 0 && (b[15] == 1 || b[15] == 0);
        return loopback || (b[0] & 0xfe) == 0xfc /* fc00::/7 */ ||
               (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) /* fe80::/10 */;
    }
    return true;
}

/* clientp: a bool set when an address was refused, so the error can say why (curl itself
 * only reports that it could not connect). */
static curl_socket_t open_public_socket(void *clientp, curlsocktype purpose,
                                        struct curl_sockaddr *addr)
{
    (void)purpose;
    if (address_is_private(&addr->addr)) {
        *(bool *)clientp = true;
        return CURL_SOCKET_BAD; /* curl reports a connection failure */
    }
    return socket(addr->family, addr->socktype, addr->protocol);
}

/* ---- the multi interface -------------------------------------------------------------- */

struct transfer {
    struct transfer *prev, *next; /* in flight, so free() can abort them */
    CURL *easy;
    struct curl_slist *headers;
    struct httpc_response resp;
    httpc_done_fn done;
    void *user;
    int64_t started_ms;
    char *body; /* owned copy of the request body */
    char error[CURL_ERROR_SIZE];
    bool private_refused; /* open_public_socket() refused an address */
};

/* Easy handles of finished transfers are kept, reset, for the next ones: creating and
 * destroying one per request cost about as much as the request's own HTTP work. */
#define IDLE_EASY_MAX 1024

/* The multi handle is driven by its sockets' events (libcurl's socket interface) rather
 * than by curl_multi_perform and curl_multi_poll: those look at every transfer and poll
 * every connection on each turn, many turns per answer; with the engine's 64 requests in
 * flight the poll alone was 18 % of its thread in a backlog drain (bench/README.md). Here
 * libcurl says which sockets to watch and when its next timeout is, an epoll set holds
 * them, and only the sockets that are ready are handed back to libcurl. */
#define EVENTS_MAX 64

struct httpc_multi {
    CURLM *multi;
    int in_flight;
    struct transfer *transfers;
    CURL **idle; /* reset easy handles, ready for a transfer */
    size_t n_idle, cap_idle;
    int epoll_fd;
    int wake_fd;         /* an eventfd in the epoll set: httpc_multi_wakeup */
    int64_t timeout_at;  /* when libcurl wants CURL_SOCKET_TIMEOUT; -1: no timer */
};

/* CURLMOPT_SOCKETFUNCTION: watch s for what libcurl waits for, or forget it. What is
 * watched is kept with the socket (curl_multi_assign), so that libcurl asking for the same
 * again costs no system call. */
static int on_socket(CURL *easy, curl_socket_t s, int what, void *ctx, void *socket_ctx)
{
    (void)easy;
    struct httpc_multi *m = ctx;
    /* socket_ctx: NULL while not in the epoll set, else its events + 1 (never NULL) */
    uintptr_t watched = (uintptr_t)socket_ctx;
    if (what == CURL_POLL_REMOVE) {
        if (watched)
            epoll_ctl(m->epoll_fd, EPOLL_CTL_DEL, s, NULL); /* may be closed already */
        curl_multi_assign(m->multi, s, NULL);
        return 0;
    }
    uint32_t events = (what & CURL_POLL_IN ? EPOLLIN : 0u) |
                      (what & CURL_POLL_OUT ? EPOLLOUT : 0u);
    if (watched == (uintptr_t)events + 1)
        return 0;
    struct epoll_event ev = {.events = events, .data.fd = s};
    if (epoll_ctl(m->epoll_fd, watched ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, s, &ev) < 0 &&
        (errno != EEXIST || epoll_ctl(m->epoll_fd, EPOLL_CTL_MOD, s, &ev) < 0))
        return -1; /* libcurl fails the transfer on that socket */
    curl_multi_assign(m->multi, s, (void *)((uintptr_t)events + 1));
    return 0;
}

/* CURLMOPT_TIMERFUNCTION: when libcurl next wants to be called without a socket event. */
static int on_timer(CURLM *multi, long timeout_ms, void *ctx)
{
    (void)multi;
    struct httpc_multi *m = ctx;
    m->timeout_at = timeout_ms < 0 ? -1 : clock_now_ms() + timeout_ms;
    return 0;
}

static void transfer_unlink(struct httpc_multi *m, struct transfer *t)
{
    if (t->prev)
        t->prev->next = t->next;
    else
        m->transfers = t->next;
    if (t->next)
        t->next->prev = t->prev;
}

int httpc_multi_new(struct httpc_multi **out, int max_connections, struct error *err)
{
    struct httpc_multi *m = calloc(1, sizeof *m);
    *out = NULL;
    if (!m)
        return error_set(err, ERR_INTERNAL, "out of memory");
    m->timeout_at = -1;
    m->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    m->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    struct epoll_event wake = {.events = EPOLLIN, .data.fd = m->wake_fd};
    if (m->epoll_fd < 0 || m->wake_fd < 0 ||
        epoll_ctl(m->epoll_fd, EPOLL_CTL_ADD, m->wake_fd, &wake) < 0 ||
        !(m->multi = curl_multi_init())) {
        if (m->epoll_fd >= 0)
            close(m->epoll_fd);
        if (m->wake_fd >= 0)
            close(m->wake_fd);
        free(m);
        return error_set(err, ERR_INTERNAL, "cannot create an HTTP client");
    }
    curl_multi_setopt(m->multi, CURLMOPT_MAXCONNECTS,
                      (long)(max_connections > 0 ? max_connections : 64));
    curl_multi_setopt(m->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(m->multi, CURLMOPT_SOCKETDATA, m);
    curl_multi_setopt(m->multi, CURLMOPT_TIMERFUNCTION, on_timer);
    curl_multi_setopt(m->multi, CURLMOPT_TIMERDATA, m);
    *out = m;
    return 0;
}

/* A reset easy handle: a kept one, or a new one. */
static CURL *easy_take(struct httpc_multi *m)
{
    return m->n_idle ? m->idle[--m->n_idle] : curl_easy_init();
}

/* Keeps an easy handle, reset (options and request state; the connections stay in the
 * multi handle's cache), for a later transfer; past IDLE_EASY_MAX it is destroyed. */
static void easy_keep(struct httpc_multi *m, CURL *easy)
{
    if (!easy)
        return;
    if (m->n_idle == m->cap_idle && m->cap_idle < IDLE_EASY_MAX) {
        size_t cap = m->cap_idle ? m->cap_idle * 2 : 64;
        CURL **grown = realloc(m->idle, cap * sizeof *grown);
        if (grown) {
            m->idle = grown;
            m->cap_idle = cap;
        }
    }
    if (m->n_idle < m->cap_idle) {
        curl_easy_reset(easy);
        m->idle[m->n_idle++] = easy;
    } else {
        curl_easy_cleanup(easy);
    }
}

/* Frees a transfer; its easy handle goes back to m's idle ones (m NULL: destroyed). */
static void transfer_free(struct httpc_multi *m, struct transfer *t)
{
    curl_slist_free_all(t->headers);
    if (m)
        easy_keep(m, t->easy);
    else
        curl_easy_cleanup(t->easy);
    httpc_response_free(&t->resp);
    free(t->body);
    free(t);
}

void httpc_multi_free(struct httpc_multi *m)
{
    if (!m)
        return;
    while (m->transfers) {
        struct transfer *t = m->transfers;
        transfer_unlink(m, t);
        curl_multi_remove_handle(m->multi, t->easy);
        transfer_free(NULL, t);
    }
    for (size_t i = 0; i < m->n_idle; i++)
        curl_easy_cleanup(m->idle[i]);
    free(m->idle);
    curl_multi_cleanup(m->multi); /* may still tell on_socket to forget sockets */
    close(m->epoll_fd);
    close(m->wake_fd);
    free(m);
}

/* Cuts the body at its cap instead of failing: a delivery records an excerpt only. */
static size_t on_body_capped(char *data, size_t size, size_t n, void *ctx)
{
    struct httpc_response *resp = ctx;
    size_t len = size * n;
    size_t room = resp->body.cap > resp->body.len ? resp->body.cap - resp->body.len : 0;
    buf_append(&resp->body, data, len < room ? len : room);
    return len;
}

int httpc_multi_add(struct httpc_multi *m, const struct httpc_request *req, httpc_done_fn done,
                    void *user, struct error *err)
{
    struct transfer *t = calloc(1, sizeof *t);
    if (!t)
        return error_set(err, ERR_INTERNAL, "out of memory");
    buf_init(&t->resp.body, req->max_response ? req->max_response : DEFAULT_MAX_RESPONSE);
    buf_init(&t->resp.headers, MAX_HEADERS);
    t->easy = easy_take(m);
    t->done = done;
    t->user = user;
    if (!t->easy)
        goto oom;
    for (size_t i = 0; i < req->n_headers; i++) {
        char line[2048];
        snprintf(line, sizeof line, "%s: %s", req->headers[i].name, req->headers[i].value);
        struct curl_slist *next = curl_slist_append(t->headers, line);
        if (!next)
            goto oom;
        t->headers = next;
    }
    /* "Expect: 100-continue" would add a round trip to every larger POST. */
    struct curl_slist *next = curl_slist_append(t->headers, "Expect:");
    if (!next)
        goto oom;
    t->headers = next;
    if (req->body) {
        t->body = malloc(req->body_len + 1);
        if (!t->body)
            goto oom;
        memcpy(t->body, req->body, req->body_len);
        curl_easy_setopt(t->easy, CURLOPT_POSTFIELDS, t->body);
        curl_easy_setopt(t->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
    }
    const char *method = req->method ? req->method : "GET";
    if (strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0)
        curl_easy_setopt(t->easy, CURLOPT_CUSTOMREQUEST, method);
    else if (strcmp(method, "POST") == 0 && !req->body)
        curl_easy_setopt(t->easy, CURLOPT_POSTFIELDS, "");
    curl_easy_setopt(t->easy, CURLOPT_URL, req->url);
    curl_easy_setopt(t->easy, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(t->easy, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(t->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(t->easy, CURLOPT_TIMEOUT_MS, req->timeout_ms ? req->timeout_ms : 15000L);
    curl_easy_setopt(t->easy, CURLOPT_CONNECTTIMEOUT_MS,
                     req->connect_timeout_ms ? req->connect_timeout_ms : 5000L);
    curl_easy_setopt(t->easy, CURLOPT_USERAGENT, "connectord/" CONNECTORD_VERSION);
    curl_easy_setopt(t->easy, CURLOPT_HTTPHEADER, t->headers);
    curl_easy_setopt(t->easy, CURLOPT_WRITEFUNCTION, on_body_capped);
    curl_easy_setopt(t->easy, CURLOPT_WRITEDATA, &t->resp);
    curl_easy_setopt(t->easy, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(t->easy, CURLOPT_HEADERDATA, &t->resp);
    curl_easy_setopt(t->easy, CURLOPT_ERRORBUFFER, t->error);
    curl_easy_setopt(t->easy, CURLOPT_PRIVATE, t);
    if (req->refuse_private) {
        curl_easy_setopt(t->easy, CURLOPT_OPENSOCKETFUNCTION, open_public_socket);
        curl_easy_setopt(t->easy, CURLOPT_OPENSOCKETDATA, &t->private_refused);
    }
    if (req->basic_user) {
        curl_easy_setopt(t->easy, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
        curl_easy_setopt(t->easy, CURLOPT_USERNAME, req->basic_user);
        curl_easy_setopt(t->easy, CURLOPT_PASSWORD, req->basic_password ? req->basic_password : "");
    }
    t->started_ms = clock_now_ms();
    if (curl_multi_add_handle(m->multi, t->easy) != CURLM_OK)
        goto oom;
    t->next = m->transfers;
    if (m->transfers)
        m->transfers->prev = t;
    m->transfers = t;
    m->in_flight++;
    return 0;
oom:
    transfer_free(m, t);
    return error_set(err, ERR_INTERNAL, "cannot start an HTTP request");
}

/* libcurl's timer, when it is due. */
static void timer_run(struct httpc_multi *m)
{
    int running;
    if (m->timeout_at >= 0 && clock_now_ms() >= m->timeout_at) {
        m->timeout_at = -1; /* libcurl sets it again if it wants */
        curl_multi_socket_action(m->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    }
}

void httpc_multi_run(struct httpc_multi *m, int wait_ms)
{
    int running;
    timer_run(m); /* new transfers start from their timer */
    if (m->timeout_at >= 0) {
        int64_t left = m->timeout_at - clock_now_ms();
        if (left < wait_ms)
            wait_ms = left > 0 ? (int)left : 0;
    }
    struct epoll_event events[EVENTS_MAX];
    int n = epoll_wait(m->epoll_fd, events, EVENTS_MAX, wait_ms < 0 ? 0 : wait_ms);
    for (int i = 0; i < n; i++) {
        if (events[i].data.fd == m->wake_fd) {
            uint64_t count;
            ssize_t got = read(m->wake_fd, &count, sizeof count);
            (void)got; /* only resets the eventfd; EAGAIN: another turn read it */
            continue;
        }
        int mask = (events[i].events & EPOLLIN ? CURL_CSELECT_IN : 0) |
                   (events[i].events & EPOLLOUT ? CURL_CSELECT_OUT : 0) |
                   (events[i].events & (EPOLLERR | EPOLLHUP) ? CURL_CSELECT_ERR : 0);
        curl_multi_socket_action(m->multi, events[i].data.fd, mask, &running);
    }
    timer_run(m);
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(m->multi, &left))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        struct transfer *t = NULL;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&t);
        CURLcode cc = msg->data.result;
        curl_multi_remove_handle(m->multi, msg->easy_handle);
        transfer_unlink(m, t);
        m->in_flight--;
        const char *transport = NULL;
        char why[CURL_ERROR_SIZE + 64];
        if (cc == CURLE_OK) {
            curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &t->resp.status);
        } else {
            snprintf(why, sizeof why, "%s",
                     cc == CURLE_COULDNT_CONNECT && t->private_refused ? PRIVATE_REFUSED
                     : t->error[0]                                     ? t->error
                                                                       : curl_easy_strerror(cc));
            transport = why;
        }
        t->done(t->user, &t->resp, transport, clock_now_ms() - t->started_ms);
        transfer_free(m, t);
    }
}

int httpc_multi_in_flight(const struct httpc_multi *m)
{
    return m->in_flight;
}

void httpc_multi_wakeup(struct httpc_multi *m)
{
    uint64_t one = 1;
    ssize_t put = write(m->wake_fd, &one, sizeof one);
    (void)put; /* EAGAIN: the counter is full, a wakeup is pending anyway */
}
