/* tests/fuzz/fuzz_destinations.c - every destination's reading of a service's answer:
 * destination_classify() and destination_retry_at_ms() (the Retry-After header, or the
 * seconds a body gives: Discord, Telegram), over all destinations of
 * src/outbound/destinations.def for each input.
 *
 * One harness for all of them, unlike the providers: an answer is small and has the same
 * three parts for every service, the classifiers are short, and a body that one service
 * sends (Telegram's {"ok":false,...}) is exactly what another must not misread; so each
 * input goes to every destination, and a new destination is fuzzed without a new harness.
 *
 * Input: the status (decimal) on the first line, the Retry-After header's value on the
 * second (empty: no header), the body after that. Seeds: the destinations' .classify
 * fixtures (tests/fuzz/seeds). Promises: the verdict is one of the three; a retry instant
 * is -1 or within [now + 1 s, now + 1 h]; "delivered" needs an answer of 200..499 (a
 * classifier may refuse a 2xx whose body says it failed, or take a 409 "already there" as
 * delivered, never a missing answer, a redirect or a server error). */
#include "fuzz.h"
#include "outbound/destination.h"
#include "outbound/retry.h"

#define NOW_MS INT64_C(1774189800000)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FUZZ_INPUT_MAX)
        return 0;
    char *text = fuzz_text_copy(data, size);
    if (!text)
        return 0;
    char *rest = text;
    char *status = fuzz_field(&rest, false);
    char *retry_after = fuzz_field(&rest, false);
    /* The engine hands over a NUL-terminated body of its own size: copy it exactly, so a
     * read past its end is ASan's to see. */
    size_t body_len = size - (size_t)(rest - text);
    char *body = malloc(body_len + 1);
    if (!body) {
        free(text);
        return 0;
    }
    memcpy(body, rest, body_len);
    body[body_len] = '\0';
    struct dest_response resp = {.status = strtol(status, NULL, 10), .body = body,
                                 .body_len = body_len,
                                 .retry_after = retry_after[0] ? retry_after : NULL};
    size_t n;
    const struct destination *const *all = destination_all(&n);
    for (size_t i = 0; i < n; i++) {
        enum dest_verdict v = destination_classify(all[i], &resp);
        must(v == DEST_DELIVERED || v == DEST_RETRY || v == DEST_FAILED);
        must(v != DEST_DELIVERED || (resp.status >= 200 && resp.status <= 499));
        int64_t at = destination_retry_at_ms(all[i], &resp, NOW_MS);
        must(at == -1 ||
             (at >= NOW_MS + RETRY_AFTER_MIN_MS && at <= NOW_MS + RETRY_AFTER_MAX_MS));
    }
    free(body);
    free(text);
    return 0;
}
