/* outbound/breaker.h - the circuit breaker of each destination, internal to outbound/.
 * Pure state transitions over the caller's clock (tests/unit/test_breaker.c); the engine
 * logs, counts and raises the alerts they call for.
 *
 *   closed --N failures in a row--> open (paused) --open_ms passed--> half-open: one probe
 *   half-open --probe delivered--> closed;  --probe failed--> open again for open_ms
 *   failing without a success for disable_after_ms, open or not --> disabled (once; the
 *   clock restarts, so the deliveries still draining do not raise it again)
 *
 * A destination's breaker lives in memory in the process that sends to it. */
#ifndef CONNECTORD_OUTBOUND_BREAKER_H
#define CONNECTORD_OUTBOUND_BREAKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/crypto.h"

#define BREAKER_PROBE_WAIT_MS 1000 /* how long others wait while a half-open probe runs */

struct breaker_policy {
    int failures;             /* consecutive failures that open the breaker */
    int64_t open_ms;          /* how long it stays open before one probe */
    int64_t disable_after_ms; /* failing this long disables the destination */
};

struct breaker {
    char connector_id[CRYPTO_ID_MAX];
    int failures;           /* consecutive */
    int64_t open_until_ms;  /* 0: closed */
    bool probing;           /* half-open: one request is testing the water */
    int64_t failing_since_ms;
    int64_t last_success_ms;
    int64_t last_failure_ms;
};

/* What an outcome did to the breaker. */
struct breaker_change {
    bool closed;              /* it was open and closes now (a success) */
    bool opened;              /* it was closed and opens now: the destination is paused */
    bool disabled;            /* failing long enough: the destination is to be disabled */
    int64_t failing_since_ms; /* with disabled: since when */
};

/* The breakers of one engine, by destination id. */
struct breakers {
    struct breaker *items;
    size_t n, cap;
};

/* The destination's breaker, made closed on first use; NULL when memory ran out. */
struct breaker *breaker_for(struct breakers *bs, const char *connector_id);
void breakers_free(struct breakers *bs);

/* May a request go to this destination now? NULL (no breaker) always may. A half-open
 * breaker lets one through and counts it as its probe. */
bool breaker_allows(struct breaker *b, int64_t now_ms);
/* Until when a request the breaker held back waits: the end of the open time, or, while
 * the probe of a half-open breaker is in flight, BREAKER_PROBE_WAIT_MS (the open time is
 * past then, and waiting until it would make the delivery due at once, again and again). */
int64_t breaker_hold_until(const struct breaker *b, int64_t now_ms);
/* A probe that was let through but never sent: the next request may probe. */
void breaker_release_probe(struct breaker *b);
/* The destination was turned on again: it starts afresh (its id stays). */
void breaker_reset(struct breaker *b);

/* An attempt that was sent got its answer: delivered or not. */
struct breaker_change breaker_success(struct breaker *b, int64_t now_ms);
struct breaker_change breaker_failure(struct breaker *b, const struct breaker_policy *p,
                                      int64_t now_ms);

#endif
