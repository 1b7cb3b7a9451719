/* core/metrics.c - counters and histograms rendered as Prometheus text. */
#include "core/metrics.h"

#include <stdatomic.h>
#include <stdlib.h>

#define STATUS_MIN 100
#define STATUS_SPAN 500 /* 100..599 */

static const double latency_bounds_s[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                          0.01,   0.025,   0.05,   0.1,   0.25,   0.5,
                                          1,      2.5,     5,      10};
#define N_BUCKETS (sizeof latency_bounds_s / sizeof latency_bounds_s[0])

struct histogram {
    _Atomic uint64_t buckets[N_BUCKETS + 1]; /* last one is +Inf */
    _Atomic uint64_t count;
    _Atomic uint64_t sum_us;
};

static const char *const *labels;
static size_t n_labels; /* routes + 1 for unmatched */
static _Atomic uint64_t *request_counts; /* [n_labels][STATUS_SPAN] */
static struct histogram request_latency;
static struct histogram commit_latency;
static struct histogram sync_latency;

int metrics_init(const char *const *route_labels, size_t n_routes)
{
    labels = route_labels;
    n_labels = n_routes + 1;
    request_counts = calloc(n_labels * STATUS_SPAN, sizeof *request_counts);
    return request_counts ? 0 : -1;
}

void metrics_shutdown(void)
{
    free(request_counts);
    request_counts = NULL;
}

static void histogram_observe(struct histogram *h, int64_t us)
{
    if (us < 0)
        us = 0;
    size_t i = 0;
    while (i < N_BUCKETS && (double)us > latency_bounds_s[i] * 1e6)
        i++;
    atomic_fetch_add_explicit(&h->buckets[i], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&h->count, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&h->sum_us, (uint64_t)us, memory_order_relaxed);
}

void metrics_request(size_t route_index, int status, int64_t duration_us)
{
    if (request_counts && route_index < n_labels && status >= STATUS_MIN &&
        status < STATUS_MIN + STATUS_SPAN)
        atomic_fetch_add_explicit(
            &request_counts[route_index * STATUS_SPAN + (size_t)(status - STATUS_MIN)], 1,
            memory_order_relaxed);
    histogram_observe(&request_latency, duration_us);
}

void metrics_store_commit(int64_t duration_us)
{
    histogram_observe(&commit_latency, duration_us);
}

void metrics_store_sync(int64_t duration_us)
{
    histogram_observe(&sync_latency, duration_us);
}

static int render_histogram(struct buf *out, const char *name, const char *help,
                            struct histogram *h)
{
    int rc = buf_printf(out, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
    uint64_t cumulative = 0;
    for (size_t i = 0; i <= N_BUCKETS && rc == 0; i++) {
        cumulative += atomic_load_explicit(&h->buckets[i], memory_order_relaxed);
        if (i < N_BUCKETS)
            rc = buf_printf(out, "%s_bucket{le=\"%g\"} %llu\n", name, latency_bounds_s[i],
                            (unsigned long long)cumulative);
        else
            rc = buf_printf(out, "%s_bucket{le=\"+Inf\"} %llu\n", name,
                            (unsigned long long)cumulative);
    }
    if (rc == 0)
        rc = buf_printf(out, "%s_sum %.6f\n%s_count %llu\n", name,
                        (double)atomic_load(&h->sum_us) / 1e6, name,
                        (unsigned long long)atomic_load(&h->count));
    return rc;
}

int metrics_render(struct buf *out)
{
    int rc = buf_printf(out,
                        "# HELP connectord_build_info Build information.\n"
                        "# TYPE connectord_build_info gauge\n"
                        "connectord_build_info{version=\"%s\",revision=\"%s\"} 1\n"
                        "# HELP connectord_http_requests_total HTTP requests by route and status.\n"
                        "# TYPE connectord_http_requests_total counter\n",
                        CONNECTORD_VERSION, CONNECTORD_REVISION);
    for (size_t r = 0; r < n_labels && rc == 0 && request_counts; r++) {
        for (size_t s = 0; s < STATUS_SPAN && rc == 0; s++) {
            uint64_t n = atomic_load_explicit(&request_counts[r * STATUS_SPAN + s],
                                              memory_order_relaxed);
            if (n)
                rc = buf_printf(out,
                                "connectord_http_requests_total{route=\"%s\",status=\"%zu\"} %llu\n",
                                r + 1 < n_labels ? labels[r] : "unmatched", s + STATUS_MIN,
                                (unsigned long long)n);
        }
    }
    if (rc == 0)
        rc = render_histogram(out, "connectord_http_request_duration_seconds",
                              "HTTP request latency from first byte to response.",
                              &request_latency);
    if (rc == 0)
        rc = render_histogram(out, "connectord_store_commit_duration_seconds",
                              "Store transaction commit latency.", &commit_latency);
    if (rc == 0)
        rc = render_histogram(out, "connectord_store_sync_duration_seconds",
                              "Group commit: how long making the committed batches durable took.",
                              &sync_latency);
    return rc;
}
