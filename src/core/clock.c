/* core/clock.c - wall and monotonic clocks. */
#include "core/clock.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static _Atomic int64_t fixed_ms;
static _Atomic int64_t offset_ms;

int64_t clock_now_ms(void)
{
    int64_t fixed = atomic_load_explicit(&fixed_ms, memory_order_relaxed);
    if (fixed)
        return fixed;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 +
           atomic_load_explicit(&offset_ms, memory_order_relaxed);
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

void clock_set_offset_ms(int64_t ms)
{
    atomic_store(&offset_ms, ms);
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
    /* Digit by digit, not snprintf: a booking formats about a dozen times on the hot path,
     * and printf's machinery was most of the cost. Same text as
     * "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ" with the year taken modulo 10000. */
    int year = (tm.tm_year + 1900) % 10000;
    if (year < 0)
        year += 10000;
    const int fields[] = {year, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms};
    static const int widths[] = {4, 2, 2, 2, 2, 2, 3};
    static const char after[] = {'-', '-', 'T', ':', ':', '.', 'Z'};
    char *p = out;
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        int v = fields[i];
        for (int d = widths[i] - 1; d >= 0; d--) {
            p[d] = (char)('0' + v % 10);
            v /= 10;
        }
        p += widths[i];
        *p++ = after[i];
    }
    *p = '\0';
}

/* n decimal digits at s, or -1 */
static int digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* Counted in 400-year eras that start on March 1st, so the leap day ends a year. */
int64_t clock_days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int clock_parse_rfc3339(const char *s, int64_t *epoch_ms)
{
    if (!s || strlen(s) < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
        s[13] != ':' || s[16] != ':')
        return -1;
    int year = digits(s, 4), mon = digits(s + 5, 2), day = digits(s + 8, 2);
    int hour = digits(s + 11, 2), min = digits(s + 14, 2), sec = digits(s + 17, 2);
    if (year < 0 || mon < 1 || mon > 12 || day < 1 || day > 31 || hour < 0 || hour > 23 ||
        min < 0 || min > 59 || sec < 0 || sec > 60)
        return -1;
    const char *p = s + 19;
    int ms = 0, places = 0;
    if (*p == '.') {
        if (*++p < '0' || *p > '9')
            return -1;
        for (; *p >= '0' && *p <= '9'; p++)
            if (places < 3) {
                ms = ms * 10 + (*p - '0');
                places++;
            }
        for (; places < 3; places++)
            ms *= 10;
    }
    int64_t offset_s = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if ((*p == '+' || *p == '-') && strlen(p) >= 6 && p[3] == ':') {
        int oh = digits(p + 1, 2), om = digits(p + 4, 2);
        if (oh < 0 || oh > 23 || om < 0 || om > 59)
            return -1;
        offset_s = (int64_t)(oh * 60 + om) * 60 * (*p == '-' ? -1 : 1);
        p += 6;
    } else {
        return -1;
    }
    if (*p)
        return -1;
    int64_t secs = clock_days_from_civil(year, mon, day) * 86400 + hour * 3600 + min * 60 + sec;
    *epoch_ms = (secs - offset_s) * 1000 + ms;
    return 0;
}
