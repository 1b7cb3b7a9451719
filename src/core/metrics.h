/* core/metrics.h - process metrics in Prometheus text format.
 *
 * Counters are lock-free atomics so the request path pays a few relaxed increments. Routes
 * are known at start (the routing table), so requests are counted per route index and
 * status; the route patterns, not raw paths, become labels, because webhook paths carry
 * secrets and raw paths would make label cardinality unbounded. */
#ifndef CONNECTORD_CORE_METRICS_H
#define CONNECTORD_CORE_METRICS_H

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

int metrics_render(struct buf *out);

#endif
