/* outbound/destinations/make.c - a Make scenario's custom webhook: POST the event envelope
 * as JSON to the hook URL (hook.<zone>.make.com/<token>), which is the credential; the
 * engine signs it per Standard Webhooks. Make queues each request for the scenario and
 * answers 200 "Accepted"; 429 and 5xx retry, 404 and 410 (webhook deleted) are permanent.
 * A full queue answers 400 "Queue is full": that clears as the scenario catches up, so it
 * retries instead of failing. */
#include <string.h>
#include <strings.h>

#include "outbound/destination.h"

#define MAKE_QUEUE_FULL "queue is full"

/* case-insensitive search in the NUL-terminated answer */
static bool make_body_says(const struct dest_response *resp, const char *text)
{
    size_t n = strlen(text);
    for (const char *p = resp->body; p && *p; p++)
        if (strncasecmp(p, text, n) == 0)
            return true;
    return false;
}

static enum dest_verdict make_classify(const struct dest_response *resp)
{
    if (resp->status == 400 && make_body_says(resp, MAKE_QUEUE_FULL))
        return DEST_RETRY;
    return destination_default_classify(resp);
}

const struct destination destination_make = {
    .slug = "make",
    .caps = DEST_CAP_STD_WEBHOOKS,
    .render = dest_render_envelope,
    .classify = make_classify,
};
