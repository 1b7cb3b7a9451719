/* outbound/destinations/email.c - email through Resend's API: POST {base}/emails with
 * {"from", "to", "subject", "text", "html", "tags"} and "Authorization: Bearer <apiKey>".
 *
 * Resend keeps an Idempotency-Key for 24 hours, so the event id as key makes a resend
 * after a lost answer harmless (a different body under the same key is a 409). It refuses
 * requests without a User-Agent (403, error 1010), so one is always set. The subject is the
 * one-line summary; the text and HTML bodies carry the facts. Answers: 429 (rate limit or
 * quota) and 5xx retry, the other 4xx are permanent; a 409 for a concurrent request with
 * the same key retries, any other 409 fails. */
#include <string.h>

#include "crypto/crypto.h"
#include "outbound/destination.h"

#define EMAIL_DEFAULT_BASE "https://api.resend.com"
#define EMAIL_SUBJECT_MAX 200
#define EMAIL_FACT_MAX 1000
#define EMAIL_IDEMPOTENCY_KEY_MAX 256
#define EMAIL_USER_AGENT "connectord"

/* "payment.settled" -> "payment_settled": tag values keep to [A-Za-z0-9_-] */
static int email_tag_value(const char *type, struct buf *out)
{
    for (const char *p = type; *p; p++) {
        bool keep = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                    (*p >= '0' && *p <= '9') || *p == '-';
        char c = keep ? *p : '_';
        if (buf_append(out, &c, 1) < 0)
            return -1;
    }
    return 0;
}

/* The plain text and HTML bodies: the summary, then one line per fact, the time and the
 * event id; the summary and each fact cut to EMAIL_FACT_MAX bytes. */
static int email_bodies(const struct dest_event *ev, const char *summary, struct buf *text,
                        struct buf *html)
{
    struct dest_facts facts;
    struct buf value;
    char at[DEST_TIME_TEXT_MAX];
    int rc = -1;
    buf_init(&value, 1 << 16);
    if (dest_event_facts(ev, &facts) < 0)
        goto out;
    dest_event_time_text(ev, at);
    if (dest_text_truncate(summary, EMAIL_FACT_MAX, &value) < 0 ||
        buf_printf(text, "%s\n\n", value.data ? value.data : "") < 0 ||
        buf_append_str(html, "<p>") < 0 ||
        dest_html_escape(value.data ? value.data : "", value.len, html) < 0 ||
        buf_append_str(html, "</p>\n<table>\n") < 0)
        goto out;
    for (size_t i = 0; i < facts.n; i++) {
        buf_reset(&value);
        const char *v = facts.value[i].data ? facts.value[i].data : "";
        if (dest_text_truncate(v, EMAIL_FACT_MAX, &value) < 0 ||
            buf_printf(text, "%s: %s\n", facts.label[i], value.data ? value.data : "") < 0 ||
            buf_append_str(html, "<tr><th align=\"left\">") < 0 ||
            dest_html_escape(facts.label[i], strlen(facts.label[i]), html) < 0 ||
            buf_append_str(html, "</th><td>") < 0 ||
            dest_html_escape(value.data ? value.data : "", value.len, html) < 0 ||
            buf_append_str(html, "</td></tr>\n") < 0)
            goto out;
    }
    if (*at && (buf_printf(text, "At: %s\n", at) < 0 ||
                buf_printf(html, "<tr><th align=\"left\">At</th><td>%s</td></tr>\n", at) < 0))
        goto out;
    if (buf_printf(text, "\nEvent %s (%s)\n", ev->id, ev->type) < 0 ||
        buf_append_str(html, "</table>\n<p><small>Event ") < 0 ||
        dest_html_escape(ev->id, strlen(ev->id), html) < 0 || buf_append_str(html, " (") < 0 ||
        dest_html_escape(ev->type, strlen(ev->type), html) < 0 ||
        buf_append_str(html, ")</small></p>") < 0)
        goto out;
    rc = 0;
out:
    dest_facts_free(&facts);
    buf_free(&value);
    return rc;
}

/* The event id, or its SHA-256 in hex when it is longer than Resend accepts. */
static int email_idempotency_key(const struct dest_event *ev, struct dest_request *out)
{
    if (strlen(ev->id) <= EMAIL_IDEMPOTENCY_KEY_MAX)
        return dest_request_header(out, "Idempotency-Key", ev->id);
    unsigned char digest[CRYPTO_SHA256_LEN];
    char hex[2 * CRYPTO_SHA256_LEN + 1];
    crypto_sha256(ev->id, strlen(ev->id), digest);
    crypto_hex(digest, sizeof digest, hex);
    return dest_request_header(out, "Idempotency-Key", hex);
}

static int email_render(const struct dest_event *ev, const struct dest_config *cfg,
                        struct dest_request *out, struct error *err)
{
    const char *api_key = dest_config_str(cfg, "apiKey"), *from = dest_config_str(cfg, "from");
    const json_t *to = json_object_get(cfg->config, "to");
    struct buf summary, subject, text, html, tag, auth;
    json_t *body = NULL;
    int rc = -1;
    buf_init(&summary, 1 << 16);
    buf_init(&subject, 1 << 16);
    buf_init(&text, 1 << 20);
    buf_init(&html, 1 << 20);
    buf_init(&tag, 1 << 10);
    buf_init(&auth, 1 << 12);
    if (!cfg->api_base_url) {
        error_set(err, ERR_INTERNAL, "no API base URL");
        goto out;
    }
    if (!api_key || !from || !json_array_size(to)) {
        error_set(err, ERR_VALIDATION, "%s is not set",
                  !api_key ? "apiKey" : !from ? "from" : "to");
        goto out;
    }
    for (size_t i = 0; i < json_array_size(to); i++)
        if (!json_string_value(json_array_get(to, i))) {
            error_set(err, ERR_VALIDATION, "to must list email addresses");
            goto out;
        }
    if (dest_event_summary(ev, &summary) < 0 ||
        dest_text_truncate(summary.data ? summary.data : "", EMAIL_SUBJECT_MAX, &subject) < 0 ||
        email_bodies(ev, summary.data ? summary.data : "", &text, &html) < 0 ||
        email_tag_value(ev->type, &tag) < 0) {
        error_set(err, ERR_INTERNAL, "out of memory");
        goto out;
    }
    body = json_pack("{s:s, s:o, s:s, s:s, s:s, s:[{s:s, s:s}]}", "from", from, "to",
                     json_deep_copy(to),
                     "subject", subject.data ? subject.data : "", "text", text.data, "html",
                     html.data, "tags", "name", "event_type", "value", tag.data ? tag.data : "");
    if (!body || dest_url(out, cfg->api_base_url, "/emails") < 0 ||
        buf_printf(&auth, "Bearer %s", api_key) < 0 ||
        dest_request_header(out, "Authorization", auth.data) < 0 ||
        dest_request_header(out, "User-Agent", EMAIL_USER_AGENT) < 0 ||
        email_idempotency_key(ev, out) < 0 || dest_json_body(out, body) < 0) {
        error_set(err, ERR_INTERNAL, "out of memory");
        goto out;
    }
    rc = 0;
out:
    json_decref(body);
    buf_free(&summary);
    buf_free(&subject);
    buf_free(&text);
    buf_free(&html);
    buf_free(&tag);
    buf_free(&auth);
    return rc;
}

/* Resend's 409 concurrent_idempotent_requests: the first request with this key is still
 * running; asking again shortly is the way to learn its outcome. */
static enum dest_verdict email_classify(const struct dest_response *resp)
{
    if (resp->status == 409 && resp->body && strstr(resp->body, "concurrent_idempotent_requests"))
        return DEST_RETRY;
    return destination_default_classify(resp);
}

const struct destination destination_email = {
    .slug = "email",
    .caps = DEST_CAP_IDEMPOTENCY,
    .default_api_base = EMAIL_DEFAULT_BASE,
    .render = email_render,
    .classify = email_classify,
};
