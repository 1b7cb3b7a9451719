/* httpc/httpc.h - the one outbound HTTP client; the only code that includes libcurl.
 *
 * httpc_perform() is a blocking request for the few calls made while a request waits
 * (fetch-back verification of Mollie, Klarna and SumUp, PayPal's certificate). Only http
 * and https are allowed, redirects are not followed (a provider's API does not redirect,
 * and following would let a configured base URL bounce elsewhere), and the answer is
 * capped. Thread-safe after httpc_global_init(). */
#ifndef CONNECTORD_HTTPC_H
#define CONNECTORD_HTTPC_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include <stdint.h>

#include "core/error.h"

struct httpc_header {
    const char *name;
    const char *value;
};

struct httpc_request {
    const char *method; /* "GET", "POST", ... */
    const char *url;
    const struct httpc_header *headers;
    size_t n_headers;
    const char *body; /* may be NULL */
    size_t body_len;
    const char *basic_user; /* HTTP Basic auth when set */
    const char *basic_password;
    long timeout_ms;         /* whole request; 0: 10 s */
    long connect_timeout_ms; /* 0: 5 s */
    size_t max_response;     /* 0: 1 MiB; the multi interface cuts (not fails) past it */
    bool refuse_private;     /* refuse loopback, private and link-local addresses, checked
                                on the address actually connected to (so DNS cannot
                                smuggle them in) */
};

struct httpc_response {
    long status;
    struct buf body;
    char content_type[128];
    char retry_after[64];
    struct buf headers; /* the answer's header lines as sent (capped at 16 KiB) */
};

int httpc_global_init(void);
void httpc_global_cleanup(void);

/* 0 when an HTTP answer arrived (any status); -1 with ERR_UNAVAILABLE when none did
 * (connection refused, timeout, TLS failure, answer too large). The caller frees resp
 * with httpc_response_free() in both cases. */
int httpc_perform(const struct httpc_request *req, struct httpc_response *resp, struct error *err);
void httpc_response_free(struct httpc_response *resp);
/* The value of the answer's header `name` (case-insensitive; the last one when repeated),
 * trimmed, cut to cap - 1 bytes; false when the answer has none. */
bool httpc_response_header(const struct httpc_response *resp, const char *name, char *out,
                           size_t cap);

/* ---- many requests at once (the delivery engine) -------------------------------------- */

/* A set of requests in flight on one thread, over reused connections. Not thread-safe:
 * one owner thread adds, runs and frees. */
struct httpc_multi;

/* Called once per finished request, from httpc_multi_run(). transport_error is NULL when
 * an HTTP answer arrived (resp->status set), else says why none did. duration_ms is the
 * request's wall time. */
typedef void (*httpc_done_fn)(void *user, const struct httpc_response *resp,
                              const char *transport_error, int64_t duration_ms);

/* max_connections: idle connections kept open for reuse (0: 64); give at least the
 * requests kept in flight, or connections to one host are closed and opened again. */
int httpc_multi_new(struct httpc_multi **out, int max_connections, struct error *err);
void httpc_multi_free(struct httpc_multi *m); /* aborts requests still in flight, no callbacks */
/* Copies what it needs from req. */
int httpc_multi_add(struct httpc_multi *m, const struct httpc_request *req, httpc_done_fn done,
                    void *user, struct error *err);
/* Drives transfers, waiting up to wait_ms for activity; calls done() for finished ones. */
void httpc_multi_run(struct httpc_multi *m, int wait_ms);
int httpc_multi_in_flight(const struct httpc_multi *m);
/* Wakes a httpc_multi_run() that is waiting (any thread). */
void httpc_multi_wakeup(struct httpc_multi *m);

/* Joins a base URL and a path ("https://api.mollie.com" + "/v2/payments/tr_1") into out,
 * with exactly one '/' between them; path segments given in `segment` are percent-encoded
 * so an id from a request body cannot change the path. */
int httpc_url_join(struct buf *out, const char *base, const char *path, const char *segment);

#endif
