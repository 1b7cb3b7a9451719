/* core/tz.h - the time zones a tenant may keep its books in, and local time in them.
 *
 * A small table, not the system's tzdata: the server must give the same answer on every
 * machine, and reading TZ from the environment is not thread-safe. The table holds UTC and
 * the European zones that follow the EU rule (summer time from the last Sunday of March,
 * 01:00 UTC, to the last Sunday of October, 01:00 UTC, one hour ahead), which is the
 * market connectord serves; other IANA names are refused rather than guessed. */
#ifndef CONNECTORD_CORE_TZ_H
#define CONNECTORD_CORE_TZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tz_zone {
    const char *name;   /* IANA name, "Europe/Vienna" */
    int std_offset_min; /* standard time's offset from UTC, minutes */
    bool eu_summer;     /* follows the EU summer time rule */
};

/* The zone of an IANA name (exact spelling), or NULL when not in the table. */
const struct tz_zone *tz_find(const char *name);
/* The whole table. */
const struct tz_zone *tz_zones(size_t *count);
/* Whether name looks like an IANA zone name ("Area/Location", or "UTC"). */
bool tz_name_plausible(const char *name);

/* Offset from UTC in seconds at a UTC instant. */
int64_t tz_offset_s(const struct tz_zone *z, int64_t utc_s);

/* The local wall time of a UTC instant, as its parts. */
struct tz_local {
    int year, month, day, hour, minute, second, millisecond;
};
void tz_local_time(const struct tz_zone *z, int64_t utc_ms, struct tz_local *out);

#endif
