/* core/clock.h - wall time and monotonic time, with an injectable wall clock.
 *
 * All timestamps connectord stores or prints are UTC RFC 3339 with milliseconds
 * ("2026-03-22T14:30:00.123Z"), which sort as text. Tests may fix the wall clock. */
#ifndef CONNECTORD_CORE_CLOCK_H
#define CONNECTORD_CORE_CLOCK_H

#include <stddef.h>
#include <stdint.h>

#define CLOCK_RFC3339_LEN 25 /* "YYYY-MM-DDTHH:MM:SS.mmmZ" plus NUL */

int64_t clock_now_ms(void);          /* Unix epoch milliseconds */
int64_t clock_monotonic_us(void);    /* for durations only */
void clock_set_fixed_ms(int64_t ms); /* tests; 0 returns to the real clock */
/* Tests of what happens as days pass (retention, legal periods): the wall clock runs on,
 * shifted by ms (main.c reads it from CONNECTORD_CLOCK_OFFSET). */
void clock_set_offset_ms(int64_t ms);
void clock_format_rfc3339(int64_t epoch_ms, char out[CLOCK_RFC3339_LEN]);
/* Parses RFC 3339 ("2026-03-22T14:30:00Z", fractions and offsets allowed) to epoch ms.
 * Plain arithmetic, no C library time-zone state, so it is cheap and thread-safe.
 * Returns -1 when the text is not such a time. */
int clock_parse_rfc3339(const char *s, int64_t *epoch_ms);
/* Days from 1970-01-01 to a proleptic Gregorian date. */
int64_t clock_days_from_civil(int64_t year, int month, int day);

#endif
