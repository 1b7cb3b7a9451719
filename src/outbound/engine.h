/* outbound/engine.h - the delivery engine: claims due deliveries from the outbox, renders
 * them with their destination, sends them many at a time over reused connections, and
 * records every attempt.
 *
 * Outcome rules: 2xx delivered; 408, 429, 5xx and no answer retry on the schedule (with
 * jitter; a Retry-After answer sets the next time); other 4xx fail at once; after the last
 * retry a delivery is dead. A destination that keeps failing is paused by a circuit breaker
 * (one probe at a time) and, failing long enough, disabled; either raises an alert event
 * (destination.paused / destination.disabled) with an audit record, and the breaker's view
 * (failures in a row, paused until, last success and failure) is stored for the API. */
#ifndef CONNECTORD_OUTBOUND_ENGINE_H
#define CONNECTORD_OUTBOUND_ENGINE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"

struct install;
struct store;

#define ENGINE_MAX_RETRIES 16

struct engine_config {
    struct store *store;
    const unsigned char *master_key;
    int concurrency;         /* requests in flight at most */
    int64_t lease_ms;        /* how long a claim holds before another may take it */
    int64_t retry_ms[ENGINE_MAX_RETRIES]; /* the waits before retry 1, 2, ... */
    int n_retries;
    bool allow_private;      /* destinations may be on private / loopback addresses */
    long connect_timeout_ms;
    long timeout_ms;
    int breaker_failures;    /* consecutive failures that open the breaker */
    int64_t breaker_open_ms; /* how long it stays open before one probe */
    int64_t disable_after_ms; /* failing this long disables the destination */
};

/* The defaults: 64 in flight, 5 s, 30 s, 2 min, 10 min, 30 min, 1 h, 3 h, 6 h, 12 h, 24 h. */
void engine_config_defaults(struct engine_config *cfg);
/* Parses "5s,30s,2m,1h" into cfg->retry_ms. */
int engine_parse_schedule(struct engine_config *cfg, const char *text, struct error *err);

struct engine;
int engine_start(const struct engine_config *cfg, struct engine **out, struct error *err);
void engine_stop(struct engine *e); /* finishes requests in flight; NULL is a no-op */
void engine_wake(struct engine *e); /* new deliveries are due */
/* Another process changed a destination (install_id of tenant_id; NULL: any, changes may
 * have been missed): the engine's in-memory breaker of it follows the store again. Any
 * thread; cheap. */
void engine_install_changed(struct engine *e, const char *tenant_id, const char *install_id);

/* Sends a sample payment.settled event to one destination now, outside the outbox, and
 * reports {"status": http status or null, "verdict", "response" (excerpt), "error"}. */
int engine_send_test(const struct engine_config *cfg, const struct install *destination,
                     json_t **report, struct error *err);

#endif
