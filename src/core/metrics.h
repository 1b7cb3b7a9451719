/* core/metrics.h - process metrics in Prometheus text format.
 *
 * Counters are lock-free atomics so the request path pays a few relaxed increments. Routes
 * are known at start (the routing table), so requests are counted per route index and
 * status; the route patterns, not raw paths, become labels, because webhook paths carry
 * secrets and raw paths would make label cardinality unbounded.
 *
 * Webhooks, deliveries and signature failures are counted by label values that are static
 * strings known to the code (a provider's or destination's slug, a fixed outcome name),
 * kept by pointer; a family holds a bounded number of label pairs, so no outside input can
 * grow it. What is state rather than a count (the delivery backlog, destinations per state)
 * is read from the store at scrape time and handed to metrics_render. */
#ifndef CONNECTORD_CORE_METRICS_H
#define CONNECTORD_CORE_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

/* Registers the route labels ("GET /api/tenant"); index n_routes counts unmatched paths.
 * The strings must outlive the process. Returns -1 on allocation failure. */
int metrics_init(const char *const *route_labels, size_t n_routes);
void metrics_shutdown(void);

void metrics_request(size_t route_index, int status, int64_t duration_us);
void metrics_store_commit(int64_t duration_us);
void metrics_store_sync(int64_t duration_us); /* the group commit's flush to disk */

/* One webhook request by provider slug and outcome: its webhook log status ("processed",
 * "duplicate", "failed", "invalid_signature"). */
void metrics_webhook(const char *provider, const char *outcome);
/* A webhook's install looked up in the process's cache (pipeline.h): found, or read from
 * the store. */
void metrics_webhook_cache(bool hit);
/* A request whose signature (or fetch-back) said no, by provider slug. */
void metrics_signature_failure(const char *provider);
/* One delivery attempt by destination type and outcome: "delivered", "retry" (another
 * attempt follows), "failed" (refused, no retry), "dead" (retries exhausted). */
void metrics_delivery(const char *destination_type, const char *outcome);

/* The retention sweep removed rows (or forgot their bodies), by kind of data: a static
 * string ("webhook_logs", "events", ...). */
void metrics_retention_swept(const char *data, int64_t rows);

/* A periodic job ran (jobs/): by its name (a static string, kept by pointer), when it
 * started, how long it took, and whether it failed. Called from one thread. */
void metrics_job(const char *job, int64_t started_ms, int64_t duration_us, bool failed);
/* A JOB_ONCE job's period that another process ran (it held the job's lease). */
void metrics_job_skipped(const char *job);

/* What the store says at scrape time, over all tenants. */
struct metrics_scrape {
    int64_t backlog;             /* deliveries pending or in flight */
    int64_t oldest_pending_age_s; /* of the oldest of them; 0 when there are none */
    int64_t destinations_active; /* active and not paused */
    int64_t destinations_paused; /* active, paused by their circuit breaker */
    int64_t destinations_disabled;
};

/* The store schema version this build serves, for connectord_build_info's schema label. */
void metrics_set_schema(int64_t version);
/* scrape may be NULL (the store did not answer): its gauges are left out. */
int metrics_render(struct buf *out, const struct metrics_scrape *scrape);

#endif
