/* core/metrics.c - counters and histograms rendered as Prometheus text. */
#include "core/metrics.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

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
static _Atomic uint64_t webhook_cache[2]; /* misses, hits */

/* ---- labelled counters ------------------------------------------------------------------
 *
 * A family's series are found lock-free by label pointers (or equal text); a new pair is
 * added under the family's lock and published by the release store of n. 8 providers x 4
 * outcomes and 20 destination types x 4 outcomes fit with room to spare; a pair beyond
 * SERIES_MAX is counted in `dropped`, rendered as its own series so the loss is visible. */
#define SERIES_MAX 160

struct series {
    const char *a, *b; /* label values; b NULL for one-label families */
    _Atomic uint64_t n;
};

struct family {
    const char *name, *help, *label_a, *label_b;
    pthread_mutex_t lock;
    _Atomic size_t n;
    struct series series[SERIES_MAX];
    _Atomic uint64_t dropped;
};

static struct family webhooks = {
    .name = "connectord_webhooks_total",
    .help = "Webhook requests to a known install, by provider and outcome (the webhook log status).",
    .label_a = "provider", .label_b = "outcome", .lock = PTHREAD_MUTEX_INITIALIZER};
static struct family signature_failures = {
    .name = "connectord_webhook_signature_failures_total",
    .help = "Webhook requests whose signature or fetch-back verification failed, by provider.",
    .label_a = "provider", .lock = PTHREAD_MUTEX_INITIALIZER};
static struct family deliveries = {
    .name = "connectord_deliveries_total",
    .help = "Delivery attempts by destination type and outcome (delivered, retry, failed, dead).",
    .label_a = "destination_type", .label_b = "outcome", .lock = PTHREAD_MUTEX_INITIALIZER};
static struct family retention = {
    .name = "connectord_retention_swept_rows_total",
    .help = "Rows the retention sweep removed (or whose bodies it forgot), by kind of data.",
    .label_a = "data", .lock = PTHREAD_MUTEX_INITIALIZER};
static struct family *const families[] = {&webhooks, &signature_failures, &deliveries,
                                          &retention};


/* ---- periodic jobs ------------------------------------------------------------------------
 *
 * One slot per job name, written by the jobs thread alone and read at scrape time; a slot is
 * published by the release store of n_jobs once its name is set. */
#define JOBS_MAX 16

struct job_series {
    const char *name;
    _Atomic uint64_t runs, failures, skipped;
    _Atomic int64_t last_start_ms, last_duration_us;
};

static struct job_series job_series[JOBS_MAX];
static _Atomic size_t n_jobs;

static bool same(const char *x, const char *y)
{
    return x == y || (x && y && strcmp(x, y) == 0);
}

static struct series *series_scan(struct family *f, size_t n, const char *a, const char *b)
{
    for (size_t i = 0; i < n; i++)
        if (same(f->series[i].a, a) && same(f->series[i].b, b))
            return &f->series[i];
    return NULL;
}

static void family_add(struct family *f, const char *a, const char *b, uint64_t by)
{
    if (!a)
        return;
    struct series *s = series_scan(f, atomic_load_explicit(&f->n, memory_order_acquire), a, b);
    if (!s) {
        pthread_mutex_lock(&f->lock);
        size_t n = atomic_load_explicit(&f->n, memory_order_relaxed);
        s = series_scan(f, n, a, b);
        if (!s && n < SERIES_MAX) {
            s = &f->series[n];
            s->a = a;
            s->b = b;
            atomic_store_explicit(&f->n, n + 1, memory_order_release);
        }
        pthread_mutex_unlock(&f->lock);
    }
    atomic_fetch_add_explicit(s ? &s->n : &f->dropped, by, memory_order_relaxed);
}

static void family_count(struct family *f, const char *a, const char *b)
{
    family_add(f, a, b, 1);
}

void metrics_retention_swept(const char *data, int64_t rows)
{
    if (rows > 0)
        family_add(&retention, data, NULL, (uint64_t)rows);
}

void metrics_webhook(const char *provider, const char *outcome)
{
    family_count(&webhooks, provider, outcome);
}

void metrics_signature_failure(const char *provider)
{
    family_count(&signature_failures, provider, NULL);
}

void metrics_delivery(const char *destination_type, const char *outcome)
{
    family_count(&deliveries, destination_type, outcome);
}

/* The job's slot, made on its first use; NULL when the table is full. */
static struct job_series *job_slot(const char *job)
{
    size_t n = atomic_load_explicit(&n_jobs, memory_order_relaxed), i = 0;
    while (i < n && !same(job_series[i].name, job))
        i++;
    if (i == n) {
        if (n == JOBS_MAX)
            return NULL;
        job_series[n].name = job;
        atomic_store_explicit(&n_jobs, n + 1, memory_order_release);
    }
    return &job_series[i];
}

void metrics_job_skipped(const char *job)
{
    struct job_series *s = job_slot(job);
    if (s)
        atomic_fetch_add_explicit(&s->skipped, 1, memory_order_relaxed);
}

void metrics_job(const char *job, int64_t started_ms, int64_t duration_us, bool failed)
{
    struct job_series *s = job_slot(job);
    if (!s)
        return;
    atomic_fetch_add_explicit(&s->runs, 1, memory_order_relaxed);
    if (failed)
        atomic_fetch_add_explicit(&s->failures, 1, memory_order_relaxed);
    atomic_store_explicit(&s->last_start_ms, started_ms, memory_order_relaxed);
    atomic_store_explicit(&s->last_duration_us, duration_us, memory_order_relaxed);
}

/* Each job's runs, failures, last start, last duration and skipped periods, in five
 * families. */
static int render_jobs(struct buf *out)
{
    static const char *const heads[] = {
        "# HELP connectord_job_runs_total Runs of each periodic job in this process.\n"
        "# TYPE connectord_job_runs_total counter\n",
        "# HELP connectord_job_failures_total Runs of each periodic job that failed (the log "
        "names the job and why).\n# TYPE connectord_job_failures_total counter\n",
        "# HELP connectord_job_last_run_timestamp_seconds When each periodic job last started "
        "(Unix time).\n# TYPE connectord_job_last_run_timestamp_seconds gauge\n",
        "# HELP connectord_job_last_duration_seconds How long each periodic job's last run "
        "took.\n# TYPE connectord_job_last_duration_seconds gauge\n",
        "# HELP connectord_job_skipped_total Periods of each once-across-processes job that "
        "another process ran (it held the job's lease).\n"
        "# TYPE connectord_job_skipped_total counter\n"};
    size_t n = atomic_load_explicit(&n_jobs, memory_order_acquire);
    int rc = 0;
    for (size_t k = 0; k < 5 && rc == 0; k++) {
        rc = buf_append_str(out, heads[k]);
        for (size_t i = 0; i < n && rc == 0; i++) {
            const struct job_series *s = &job_series[i];
            if (k == 0)
                rc = buf_printf(out, "connectord_job_runs_total{job=\"%s\"} %llu\n", s->name,
                                (unsigned long long)atomic_load(&s->runs));
            else if (k == 1)
                rc = buf_printf(out, "connectord_job_failures_total{job=\"%s\"} %llu\n", s->name,
                                (unsigned long long)atomic_load(&s->failures));
            else if (k == 2)
                rc = buf_printf(out, "connectord_job_last_run_timestamp_seconds{job=\"%s\"} %.3f\n",
                                s->name, (double)atomic_load(&s->last_start_ms) / 1e3);
            else if (k == 3)
                rc = buf_printf(out, "connectord_job_last_duration_seconds{job=\"%s\"} %.6f\n",
                                s->name, (double)atomic_load(&s->last_duration_us) / 1e6);
            else
                rc = buf_printf(out, "connectord_job_skipped_total{job=\"%s\"} %llu\n", s->name,
                                (unsigned long long)atomic_load(&s->skipped));
        }
    }
    return rc;
}

static int render_family(struct buf *out, struct family *f)
{
    int rc = buf_printf(out, "# HELP %s %s\n# TYPE %s counter\n", f->name, f->help, f->name);
    size_t n = atomic_load_explicit(&f->n, memory_order_acquire);
    for (size_t i = 0; i < n && rc == 0; i++) {
        const struct series *s = &f->series[i];
        unsigned long long v = atomic_load_explicit(&s->n, memory_order_relaxed);
        if (f->label_b)
            rc = buf_printf(out, "%s{%s=\"%s\",%s=\"%s\"} %llu\n", f->name, f->label_a, s->a,
                            f->label_b, s->b ? s->b : "", v);
        else
            rc = buf_printf(out, "%s{%s=\"%s\"} %llu\n", f->name, f->label_a, s->a, v);
    }
    unsigned long long dropped = atomic_load_explicit(&f->dropped, memory_order_relaxed);
    if (rc == 0 && dropped && f->label_b)
        rc = buf_printf(out, "%s{%s=\"other\",%s=\"other\"} %llu\n", f->name, f->label_a,
                        f->label_b, dropped);
    else if (rc == 0 && dropped)
        rc = buf_printf(out, "%s{%s=\"other\"} %llu\n", f->name, f->label_a, dropped);
    return rc;
}

/* The gauges read from the store at scrape time. */
static int render_scrape(struct buf *out, const struct metrics_scrape *m)
{
    return buf_printf(
        out,
        "# HELP connectord_delivery_backlog Deliveries waiting to be sent or in flight.\n"
        "# TYPE connectord_delivery_backlog gauge\n"
        "connectord_delivery_backlog %lld\n"
        "# HELP connectord_delivery_backlog_oldest_age_seconds Age of the oldest delivery "
        "waiting to be sent or in flight; 0 when none waits.\n"
        "# TYPE connectord_delivery_backlog_oldest_age_seconds gauge\n"
        "connectord_delivery_backlog_oldest_age_seconds %lld\n"
        "# HELP connectord_destinations Outbound destinations by state: active, paused (by "
        "their circuit breaker, as stored) or disabled.\n"
        "# TYPE connectord_destinations gauge\n"
        "connectord_destinations{state=\"active\"} %lld\n"
        "connectord_destinations{state=\"paused\"} %lld\n"
        "connectord_destinations{state=\"disabled\"} %lld\n",
        (long long)m->backlog, (long long)m->oldest_pending_age_s,
        (long long)m->destinations_active, (long long)m->destinations_paused,
        (long long)m->destinations_disabled);
}

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

void metrics_webhook_cache(bool hit)
{
    atomic_fetch_add_explicit(&webhook_cache[hit], 1, memory_order_relaxed);
}

static int render_webhook_cache(struct buf *out)
{
    return buf_printf(out,
                      "# HELP connectord_webhook_cache_lookups_total Webhooks whose install and "
                      "settings were found in the process's cache (hit) or read from the store "
                      "(miss).\n"
                      "# TYPE connectord_webhook_cache_lookups_total counter\n"
                      "connectord_webhook_cache_lookups_total{result=\"hit\"} %llu\n"
                      "connectord_webhook_cache_lookups_total{result=\"miss\"} %llu\n",
                      (unsigned long long)atomic_load_explicit(&webhook_cache[1],
                                                               memory_order_relaxed),
                      (unsigned long long)atomic_load_explicit(&webhook_cache[0],
                                                               memory_order_relaxed));
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

/* The store schema version this build migrates to (set once at start-up). */
static _Atomic int64_t build_schema;

void metrics_set_schema(int64_t version)
{
    atomic_store(&build_schema, version);
}

int metrics_render(struct buf *out, const struct metrics_scrape *scrape)
{
    int rc = buf_printf(out,
                        "# HELP connectord_build_info Build information.\n"
                        "# TYPE connectord_build_info gauge\n"
                        "connectord_build_info{version=\"%s\",revision=\"%s\",schema=\"%lld\"} 1\n"
                        "# HELP connectord_http_requests_total HTTP requests by route and status.\n"
                        "# TYPE connectord_http_requests_total counter\n",
                        CONNECTORD_VERSION, CONNECTORD_REVISION,
                        (long long)atomic_load(&build_schema));
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
    for (size_t i = 0; i < sizeof families / sizeof families[0] && rc == 0; i++)
        rc = render_family(out, families[i]);
    if (rc == 0)
        rc = render_webhook_cache(out);
    if (rc == 0)
        rc = render_jobs(out);
    if (rc == 0 && scrape)
        rc = render_scrape(out, scrape);
    return rc;
}
