/* tests/fuzz/fuzz_sync.c - a page of a time-tracking service's answer as the sync engine
 * reads it: the manifest's records block (sync_page_map in src/sync/run.c: the JSON
 * pointer to the list, mite's wrapper, Toggl's nested rows, the skip rules, the mapping of
 * ids, start times, durations in seconds, minutes or ISO 8601, rates and currencies) over
 * the real manifests compiled from connectors/.
 *
 * Input: the connector's slug on the first line, then the body. Promises: a page is either
 * refused with a message in valid UTF-8 or yields entries whose external id is non-empty,
 * whose start is an RFC 3339 time as the store keeps it, whose minutes are within a year,
 * whose texts are valid UTF-8 of at most 1000 bytes, whose currency is empty or three
 * capital letters, and whose hash is 64 hex digits. */
#include <stdio.h>

#include "fuzz.h"
#include "core/clock.h"
#include "store/sync.h"
#include "sync/manifest.h"
#include "sync/sync.h"

static bool text_ok(const char *s)
{
    return !s || (valid_utf8(s) && strlen(s) <= 1000);
}

static int check_entry(void *ctx, const struct time_entry_in *e)
{
    (void)ctx;
    int64_t ms = 0;
    must(e->external_id[0] != '\0');
    must(clock_parse_rfc3339(e->started_at, &ms) == 0);
    char again[CLOCK_RFC3339_LEN];
    clock_format_rfc3339(ms, again);
    must(strcmp(again, e->started_at) == 0);
    must(e->minutes >= 0 && e->minutes <= 366 * 24 * 60);
    must(text_ok(e->description) && text_ok(e->project) && text_ok(e->client) &&
         text_ok(e->client_external_id) && text_ok(e->user_name));
    size_t cl = strlen(e->currency);
    must(cl == 0 || (cl == 3 && e->currency[0] >= 'A' && e->currency[0] <= 'Z' &&
                     e->currency[1] >= 'A' && e->currency[1] <= 'Z' &&
                     e->currency[2] >= 'A' && e->currency[2] <= 'Z'));
    must(!e->has_rate || e->rate_minor >= 0);
    must(strlen(e->hash) == 64 && strspn(e->hash, "0123456789abcdef") == 64);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FUZZ_INPUT_MAX)
        return 0;
    char *text = fuzz_text_copy(data, size);
    if (!text)
        return 0;
    char *rest = text;
    const char *slug = fuzz_field(&rest, false);
    const struct sync_manifest *m = sync_manifest_find(slug);
    if (m && m->available) {
        json_t *lookups = json_pack("{s:s, s:s, s:s}", "currency", "EUR", "userId", "u1",
                                    "account", "1");
        struct error err = {0};
        int64_t skipped = 0;
        if (sync_page_map(m, rest, strlen(rest), lookups, check_entry, NULL, &skipped,
                          &err) < 0)
            must(err.message[0] != '\0' && valid_utf8(err.message));
        must(skipped >= 0);
        json_decref(lookups);
    }
    free(text);
    return 0;
}
