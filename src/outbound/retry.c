/* outbound/retry.c - the retry schedule and the clamping of a service's own wait (retry.h).
 * No I/O and no clock: everything comes in as arguments. */
#include "outbound/retry.h"

#include <stdlib.h>
#include <time.h>

int retry_parse_schedule(const char *text, int64_t *waits_ms, int max, int *n_out,
                         struct error *err)
{
    int n = 0;
    const char *p = text;
    while (*p) {
        char *end = NULL;
        long long v = strtoll(p, &end, 10);
        int64_t unit = 1000;
        if (end == p || v <= 0)
            return error_set(err, ERR_CONFIG, "retry schedule '%.64s': expected e.g. 5s,30s,2m,1h",
                             text);
        switch (*end) {
        case 's': end++; break;
        case 'm': unit = 60000; end++; break;
        case 'h': unit = 3600000; end++; break;
        default: break;
        }
        if (n == max)
            return error_set(err, ERR_CONFIG, "retry schedule has more than %d steps", max);
        /* Bounded before the multiplication, which would overflow for huge numbers. */
        if (v > RETRY_WAIT_MAX_MS / unit)
            return error_set(err, ERR_CONFIG, "retry schedule '%.64s': a wait is at most 8760h",
                             text);
        waits_ms[n++] = (int64_t)v * unit;
        if (*end == ',')
            end++;
        else if (*end)
            return error_set(err, ERR_CONFIG, "retry schedule '%.64s': expected e.g. 5s,30s,2m",
                             text);
        p = end;
    }
    if (n == 0)
        return error_set(err, ERR_CONFIG, "retry schedule is empty");
    *n_out = n;
    return 0;
}

int64_t retry_jitter(int64_t wait_ms, int32_t random)
{
    if (random < 0)
        return wait_ms;
    int64_t spread = wait_ms / RETRY_JITTER_DIVISOR;
    int64_t offset = spread ? (int64_t)random % (2 * spread + 1) - spread : 0;
    return wait_ms + offset;
}

int64_t retry_after_header_at(const char *value, int64_t now_ms)
{
    if (!value || !*value)
        return -1;
    char *end = NULL;
    long long secs = strtoll(value, &end, 10);
    if (end != value && *end == '\0' && secs >= 0)
        return now_ms + (secs < RETRY_AFTER_MAX_MS / 1000 ? secs : RETRY_AFTER_MAX_MS / 1000) * 1000;
    struct tm tm = {0};
    const char *rest = strptime(value, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    if (rest && *rest == '\0')
        return (int64_t)timegm(&tm) * 1000;
    return -1;
}

int64_t retry_after_seconds_at(double secs, int64_t now_ms)
{
    if (!(secs >= 0))
        return -1;
    return now_ms + (int64_t)(secs < RETRY_AFTER_MAX_MS / 1000 ? secs * 1000 : RETRY_AFTER_MAX_MS);
}

int64_t retry_after_clamp(int64_t at_ms, int64_t now_ms)
{
    if (at_ms < 0)
        return -1;
    if (at_ms < now_ms + RETRY_AFTER_MIN_MS)
        return now_ms + RETRY_AFTER_MIN_MS;
    if (at_ms > now_ms + RETRY_AFTER_MAX_MS)
        return now_ms + RETRY_AFTER_MAX_MS;
    return at_ms;
}

int64_t retry_next_at(const int64_t *waits_ms, int n_waits, int attempt_no, int64_t retry_at_ms,
                      int64_t now_ms, int32_t random)
{
    if (attempt_no < 1 || attempt_no > n_waits)
        return -1;
    return retry_at_ms > now_ms ? retry_at_ms
                                : now_ms + retry_jitter(waits_ms[attempt_no - 1], random);
}
