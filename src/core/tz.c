/* core/tz.c - the time zone table and local time (see tz.h). */
#include "core/tz.h"

#include <string.h>
#include <time.h>

#define WET 0
#define CET 60
#define EET 120

static const struct tz_zone zones[] = {
    {"UTC", 0, false},
    {"Etc/UTC", 0, false},
    /* Western European Time */
    {"Atlantic/Canary", WET, true},
    {"Atlantic/Faroe", WET, true},
    {"Atlantic/Madeira", WET, true},
    {"Europe/Dublin", WET, true},
    {"Europe/Lisbon", WET, true},
    {"Europe/London", WET, true},
    /* Central European Time */
    {"Europe/Amsterdam", CET, true},
    {"Europe/Andorra", CET, true},
    {"Europe/Belgrade", CET, true},
    {"Europe/Berlin", CET, true},
    {"Europe/Bratislava", CET, true},
    {"Europe/Brussels", CET, true},
    {"Europe/Budapest", CET, true},
    {"Europe/Busingen", CET, true},
    {"Europe/Copenhagen", CET, true},
    {"Europe/Gibraltar", CET, true},
    {"Europe/Ljubljana", CET, true},
    {"Europe/Luxembourg", CET, true},
    {"Europe/Madrid", CET, true},
    {"Europe/Malta", CET, true},
    {"Europe/Monaco", CET, true},
    {"Europe/Oslo", CET, true},
    {"Europe/Paris", CET, true},
    {"Europe/Podgorica", CET, true},
    {"Europe/Prague", CET, true},
    {"Europe/Rome", CET, true},
    {"Europe/San_Marino", CET, true},
    {"Europe/Sarajevo", CET, true},
    {"Europe/Skopje", CET, true},
    {"Europe/Stockholm", CET, true},
    {"Europe/Tirane", CET, true},
    {"Europe/Vaduz", CET, true},
    {"Europe/Vatican", CET, true},
    {"Europe/Vienna", CET, true},
    {"Europe/Warsaw", CET, true},
    {"Europe/Zagreb", CET, true},
    {"Europe/Zurich", CET, true},
    /* Eastern European Time */
    {"Asia/Nicosia", EET, true},
    {"Europe/Athens", EET, true},
    {"Europe/Bucharest", EET, true},
    {"Europe/Helsinki", EET, true},
    {"Europe/Mariehamn", EET, true},
    {"Europe/Riga", EET, true},
    {"Europe/Sofia", EET, true},
    {"Europe/Tallinn", EET, true},
    {"Europe/Vilnius", EET, true},
};

const struct tz_zone *tz_zones(size_t *count)
{
    *count = sizeof zones / sizeof zones[0];
    return zones;
}

const struct tz_zone *tz_find(const char *name)
{
    for (size_t i = 0; name && i < sizeof zones / sizeof zones[0]; i++)
        if (strcmp(zones[i].name, name) == 0)
            return &zones[i];
    return NULL;
}

bool tz_name_plausible(const char *name)
{
    if (!name || !*name || strlen(name) > 64)
        return false;
    if (strcmp(name, "UTC") == 0)
        return true;
    bool slash = false;
    for (const char *p = name; *p; p++) {
        if (*p == '/') {
            if (p == name || p[1] == '\0' || p[-1] == '/')
                return false;
            slash = true;
        } else if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
                     (*p >= '0' && *p <= '9') || *p == '_' || *p == '-' || *p == '+')) {
            return false;
        }
    }
    return slash && name[0] >= 'A' && name[0] <= 'Z';
}

/* Unix seconds of the last Sunday of a month (1..12) at 01:00 UTC. */
static int64_t last_sunday_0100(int year, int month)
{
    struct tm tm = {.tm_year = year - 1900, .tm_mon = month, .tm_mday = 1, .tm_hour = 1};
    int64_t first_of_next = (int64_t)timegm(&tm); /* tm_mon is 0-based: month + 1 */
    time_t last_day = (time_t)(first_of_next - 86400);
    struct tm wd;
    gmtime_r(&last_day, &wd);
    return first_of_next - 86400 - (int64_t)wd.tm_wday * 86400;
}

int64_t tz_offset_s(const struct tz_zone *z, int64_t utc_s)
{
    int64_t offset = (int64_t)z->std_offset_min * 60;
    if (!z->eu_summer)
        return offset;
    struct tm tm;
    time_t t = (time_t)utc_s;
    gmtime_r(&t, &tm);
    int year = tm.tm_year + 1900;
    if (utc_s >= last_sunday_0100(year, 3) && utc_s < last_sunday_0100(year, 10))
        offset += 3600;
    return offset;
}

void tz_local_time(const struct tz_zone *z, int64_t utc_ms, struct tz_local *out)
{
    int64_t s = utc_ms / 1000, ms = utc_ms % 1000;
    if (ms < 0) {
        ms += 1000;
        s -= 1;
    }
    time_t local = (time_t)(s + tz_offset_s(z, s));
    struct tm tm;
    gmtime_r(&local, &tm);
    *out = (struct tz_local){.year = tm.tm_year + 1900,
                             .month = tm.tm_mon + 1,
                             .day = tm.tm_mday,
                             .hour = tm.tm_hour,
                             .minute = tm.tm_min,
                             .second = tm.tm_sec,
                             .millisecond = (int)ms};
}
