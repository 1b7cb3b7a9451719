/* core/clock.c - wall and monotonic clocks. */
#include "core/clock.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static _Atomic int64_t fixed_ms;

int64_t clock_now_ms(void)
{
    int64_t fixed = atomic_load_explicit(&fixed_ms, memory_order_relaxed);
    if (fixed)
        return fixed;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t clock_monotonic_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void clock_set_fixed_ms(int64_t ms)
{
    atomic_store(&fixed_ms, ms);
}

void clock_format_rfc3339(int64_t epoch_ms, char out[CLOCK_RFC3339_LEN])
{
    time_t secs = (time_t)(epoch_ms / 1000);
    int ms = (int)(epoch_ms % 1000);
    if (ms < 0) {
        ms += 1000;
        secs -= 1;
    }
    struct tm tm;
    gmtime_r(&secs, &tm);
    char text[64]; /* roomy, so the compiler can see no truncation; the fields are bounded */
    snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
             (tm.tm_year + 1900) % 10000, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
             tm.tm_sec, ms);
    memcpy(out, text, CLOCK_RFC3339_LEN - 1);
    out[CLOCK_RFC3339_LEN - 1] = '\0';
}
