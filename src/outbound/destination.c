/* outbound/destination.c - the destination table, its wrappers and request helpers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "outbound/destination.h"
#include "outbound/retry.h"

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

int dest_refused_header(const struct dest_request *r, struct error *err)
{
    return error_set(err, ERR_VALIDATION,
                     "the request's %.31s header would carry a line break or another control "
                     "character (from a setting or a credential?); it was not sent",
                     r->refused_header);
}

int destination_render(const struct destination *d, const struct dest_event *ev,
                       const struct dest_config *cfg, struct dest_request *out,
                       struct error *err)
{
    if (d->render(ev, cfg, out, err) < 0)
        return -1;
    if (out->refused_header[0])
        return dest_refused_header(out, err);
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

int64_t destination_retry_at_ms(const struct destination *d, const struct dest_response *resp,
                                int64_t now_ms)
{
    int64_t at = retry_after_header_at(resp->retry_after, now_ms);
    if (at < 0 && d && d->body_retry_after_s)
        at = retry_after_seconds_at(d->body_retry_after_s(resp), now_ms);
    return retry_after_clamp(at, now_ms);
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

/* RFC 9110's field name (a token) and field value (visible bytes, spaces and tabs, and
 * bytes from 0x80 on). */
static bool header_fits(const char *name, const char *value)
{
    if (!*name)
        return false;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        if (*p <= 0x20 || *p >= 0x7f || strchr("\"(),/:;<=>?@[\\]{}", *p))
            return false;
    for (const unsigned char *p = (const unsigned char *)value; *p; p++)
        if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
            return false;
    return true;
}

int dest_request_header(struct dest_request *r, const char *name, const char *value)
{
    if (!header_fits(name, value)) {
        if (!r->refused_header[0])
            snprintf(r->refused_header, sizeof r->refused_header, "%s", name);
        return 0;
    }
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
