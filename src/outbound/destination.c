/* outbound/destination.c - the destination table, its wrappers and request helpers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "outbound/destination.h"

#define DESTINATION(name) extern const struct destination destination_##name;
#include "outbound/destinations.def"
#undef DESTINATION

static const struct destination *const destinations[] = {
#define DESTINATION(name) &destination_##name,
#include "outbound/destinations.def"
#undef DESTINATION
};

const struct destination *destination_find(const char *slug)
{
    for (size_t i = 0; i < sizeof destinations / sizeof destinations[0]; i++)
        if (strcmp(destinations[i]->slug, slug) == 0)
            return destinations[i];
    return NULL;
}

const struct destination *const *destination_all(size_t *count)
{
    *count = sizeof destinations / sizeof destinations[0];
    return destinations;
}

int destination_render(const struct destination *d, const struct dest_event *ev,
                       const struct dest_config *cfg, struct dest_request *out,
                       struct error *err)
{
    struct dest_event read = *ev;
    events_read(ev->data, &read.fields);
    if (d->render(&read, cfg, out, err) < 0)
        return -1;
    if (!out->url.len)
        return error_set(err, ERR_INTERNAL, "%s rendered no URL", d->slug);
    return 0;
}

enum dest_verdict destination_default_classify(const struct dest_response *resp)
{
    long s = resp->status;
    if (s >= 200 && s <= 299)
        return DEST_DELIVERED;
    if (s == 0 || s == 408 || s == 429 || s >= 500)
        return DEST_RETRY;
    return DEST_FAILED;
}

#define RETRY_AFTER_MIN_MS 1000
#define RETRY_AFTER_MAX_MS (3600 * 1000)

/* Retry-After: delta seconds or an HTTP date; -1 when absent or unreadable. */
static int64_t header_retry_at_ms(const char *value, int64_t now_ms)
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

int64_t destination_retry_at_ms(const struct destination *d, const struct dest_response *resp,
                                int64_t now_ms)
{
    int64_t at = header_retry_at_ms(resp->retry_after, now_ms);
    if (at < 0 && d && d->body_retry_after_s) {
        double secs = d->body_retry_after_s(resp);
        if (secs >= 0)
            at = now_ms + (int64_t)(secs < RETRY_AFTER_MAX_MS / 1000 ? secs * 1000
                                                                    : RETRY_AFTER_MAX_MS);
    }
    if (at < 0)
        return -1;
    /* A service asking for less than a second, or an hour and more, is held to the range:
     * the former would spin, the latter is better served by the retry schedule's own
     * later attempts. */
    if (at < now_ms + RETRY_AFTER_MIN_MS)
        return now_ms + RETRY_AFTER_MIN_MS;
    if (at > now_ms + RETRY_AFTER_MAX_MS)
        return now_ms + RETRY_AFTER_MAX_MS;
    return at;
}

enum dest_verdict destination_classify(const struct destination *d,
                                       const struct dest_response *resp)
{
    return d->classify ? d->classify(resp) : destination_default_classify(resp);
}

void dest_request_init(struct dest_request *r, const char *method)
{
    memset(r, 0, sizeof *r);
    snprintf(r->method, sizeof r->method, "%s", method);
    buf_init(&r->url, 8192);
    buf_init(&r->body, 1 << 20);
}

void dest_request_free(struct dest_request *r)
{
    for (size_t i = 0; i < r->n_headers; i++) {
        free(r->header_names[i]);
        free(r->header_values[i]);
    }
    r->n_headers = 0;
    buf_free(&r->url);
    buf_free(&r->body);
}

int dest_request_header(struct dest_request *r, const char *name, const char *value)
{
    if (r->n_headers == DEST_MAX_HEADERS)
        return -1;
    char *n = strdup(name), *v = strdup(value);
    if (!n || !v) {
        free(n);
        free(v);
        return -1;
    }
    r->header_names[r->n_headers] = n;
    r->header_values[r->n_headers++] = v;
    return 0;
}
