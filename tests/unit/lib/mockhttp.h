/* tests/unit/lib/mockhttp.h - a provider API on 127.0.0.1 for unit tests of fetch-back code.
 *
 * A libmicrohttpd daemon on an ephemeral port that answers fixed routes (exact path, any
 * method) with a status and a body, refuses a request whose Authorization header is not
 * the route's (401, as providers do), answers 404 elsewhere, and counts what it served so
 * a test can prove that nothing was fetched. Header-only, because each unit test is built
 * from one file. */
#ifndef CONNECTORD_TESTS_MOCKHTTP_H
#define CONNECTORD_TESTS_MOCKHTTP_H

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define MOCK_ROUTES 16

struct mock_route {
    char path[256];
    int status;
    const char *body; /* not copied: a literal or a buffer the test keeps */
    char auth[512];   /* the Authorization header required, "" for none */
};

struct mock_http {
    struct MHD_Daemon *daemon;
    char base[64]; /* "http://127.0.0.1:PORT" */
    pthread_mutex_t lock;
    struct mock_route routes[MOCK_ROUTES];
    size_t n_routes;
    int hits;
    char last_path[256];
    char last_auth[512];
};

static inline enum MHD_Result mock_answer(void *cls, struct MHD_Connection *conn, const char *url,
                                   const char *method, const char *version,
                                   const char *upload, size_t *upload_size, void **con_cls)
{
    (void)method;
    (void)version;
    (void)upload;
    static int started;
    struct mock_http *m = cls;
    if (!*con_cls) {
        *con_cls = &started;
        return MHD_YES;
    }
    if (*upload_size) {
        *upload_size = 0;
        return MHD_YES;
    }
    const char *auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
    int status = 404;
    const char *body = "{\"error\":\"not found\"}";
    pthread_mutex_lock(&m->lock);
    m->hits++;
    snprintf(m->last_path, sizeof m->last_path, "%s", url);
    snprintf(m->last_auth, sizeof m->last_auth, "%s", auth ? auth : "");
    for (size_t i = 0; i < m->n_routes; i++) {
        struct mock_route *r = &m->routes[i];
        if (strcmp(r->path, url) != 0)
            continue;
        if (r->auth[0] && (!auth || strcmp(auth, r->auth) != 0)) {
            status = 401;
            body = "{\"error\":\"unauthorized\"}";
        } else {
            status = r->status;
            body = r->body;
        }
        break;
    }
    pthread_mutex_unlock(&m->lock);
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
    MHD_add_response_header(resp, "Content-Type", "application/json");
    enum MHD_Result rc = MHD_queue_response(conn, (unsigned)status, resp);
    MHD_destroy_response(resp);
    return rc;
}

static inline int mock_start(struct mock_http *m)
{
    memset(m, 0, sizeof *m);
    pthread_mutex_init(&m->lock, NULL);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = 0};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    m->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, mock_answer, m,
                                 MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
                                 MHD_OPTION_END);
    if (!m->daemon)
        return -1;
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(m->daemon, MHD_DAEMON_INFO_BIND_PORT);
    snprintf(m->base, sizeof m->base, "http://127.0.0.1:%u", info ? info->port : 0);
    return 0;
}

/* Adds or replaces the route for path. */
static inline void mock_route(struct mock_http *m, const char *path, int status, const char *body,
                       const char *auth)
{
    pthread_mutex_lock(&m->lock);
    size_t i = 0;
    while (i < m->n_routes && strcmp(m->routes[i].path, path) != 0)
        i++;
    if (i < MOCK_ROUTES) {
        struct mock_route *r = &m->routes[i];
        snprintf(r->path, sizeof r->path, "%s", path);
        snprintf(r->auth, sizeof r->auth, "%s", auth ? auth : "");
        r->status = status;
        r->body = body;
        if (i == m->n_routes)
            m->n_routes++;
    }
    pthread_mutex_unlock(&m->lock);
}

static inline int mock_hits(struct mock_http *m)
{
    pthread_mutex_lock(&m->lock);
    int n = m->hits;
    pthread_mutex_unlock(&m->lock);
    return n;
}

static inline void mock_stop(struct mock_http *m)
{
    if (m->daemon)
        MHD_stop_daemon(m->daemon);
    pthread_mutex_destroy(&m->lock);
    m->daemon = NULL;
}

#endif
