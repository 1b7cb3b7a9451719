/* outbound/retry.h - the retry schedule, internal to outbound/: when a delivery that asks
 * for another attempt gets it. Pure functions of their arguments (the caller passes the
 * clock and the random bits), so every rule is unit-tested (tests/unit/test_retry.c).
 *
 * Rules: attempt n (1-based) that failed is retried after the schedule's n-th wait, +-20 %
 * jitter, unless the service said when (Retry-After, or a body field some services use),
 * which wins, held to [1 s, 1 h] from now; after the schedule's last wait the delivery is
 * dead. */
#ifndef CONNECTORD_OUTBOUND_RETRY_H
#define CONNECTORD_OUTBOUND_RETRY_H

#include <stdint.h>

#include "core/error.h"

#define RETRY_AFTER_MIN_MS 1000
#define RETRY_AFTER_MAX_MS (3600 * 1000)
#define RETRY_JITTER_DIVISOR 5 /* +- wait / 5, that is 20 % */

/* Parses "5s,30s,2m,1h" (a bare number is seconds) into at most max waits in ms; *n gets
 * their number. ERR_CONFIG when the text is empty, malformed, longer than max, or a wait
 * is longer than RETRY_WAIT_MAX_MS (a year). */
#define RETRY_WAIT_MAX_MS (INT64_C(8760) * 3600 * 1000)
int retry_parse_schedule(const char *text, int64_t *waits_ms, int max, int *n, struct error *err);

/* wait_ms moved by up to +-20 % as random (16 random bits, 0..65535) says, so that a burst
 * of failures does not come back as a burst of retries; RETRY_NO_RANDOM (no randomness to
 * be had) leaves it as it is. */
#define RETRY_NO_RANDOM (-1)
int64_t retry_jitter(int64_t wait_ms, int32_t random);

/* When a Retry-After header's value (delta seconds or an HTTP date) says to come back;
 * -1 when absent or unreadable. Not yet clamped. */
int64_t retry_after_header_at(const char *value, int64_t now_ms);

/* The seconds a service's answer body asked for (< 0: none), as an instant; -1 for none. */
int64_t retry_after_seconds_at(double secs, int64_t now_ms);

/* A service's requested instant held to [now + 1 s, now + 1 h]: less would spin, and an
 * hour and more is better served by the schedule's own later attempts. -1 stays -1. */
int64_t retry_after_clamp(int64_t at_ms, int64_t now_ms);

/* When the attempt attempt_no (1-based) that asked for a retry goes again: retry_at_ms
 * when the service gave one in the future, else now plus the schedule's wait with jitter;
 * -1 when the schedule is exhausted (the delivery is dead). */
int64_t retry_next_at(const int64_t *waits_ms, int n_waits, int attempt_no, int64_t retry_at_ms,
                      int64_t now_ms, int32_t random);

#endif
