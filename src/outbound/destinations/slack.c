/* outbound/destinations/slack.c - Slack Incoming Webhooks: POST the webhook URL with
 * {"text", "blocks"}; the URL is the credential. Slack answers 200 "ok"; errors come as
 * 4xx text (invalid_payload, no_text) or 404/403/410 for dead hooks (permanent), 429 with
 * Retry-After and 5xx (retry) — the default rules. text is the notification fallback;
 * both it and the section are mrkdwn, so names from event data are escaped. */
#include <stdlib.h>
#include <string.h>

#include "outbound/destination.h"

#define SLACK_TEXT_MAX 3000 /* a section block's text limit */

/* Slack reads &, < and > in text as markup ("<!channel>" pings everyone in the channel,
 * "<https://x|y>" is a link), so text made from event data carries them as entities. At
 * most max bytes, cut between characters and entities, with "…" when cut. */
static int slack_text(const char *text, size_t max, struct buf *out)
{
    static const char ellipsis[] = "\xe2\x80\xa6";
    size_t full = 0;
    for (const char *p = text; *p; p++)
        full += *p == '&' ? 5 : *p == '<' || *p == '>' ? 4 : 1;
    size_t budget = full <= max ? full : max - (sizeof ellipsis - 1), used = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p;) {
        const char *entity = *p == '&' ? "&amp;" : *p == '<' ? "&lt;" : *p == '>' ? "&gt;" : NULL;
        size_t n = 1;
        while (!entity && (p[n] & 0xc0) == 0x80)
            n++;
        size_t len = entity ? strlen(entity) : n;
        if (used + len > budget)
            break;
        if (buf_append(out, entity ? entity : (const char *)p, len) < 0)
            return -1;
        used += len;
        p += n;
    }
    return full <= max ? 0 : buf_append(out, ellipsis, sizeof ellipsis - 1);
}

static int slack_render(const struct dest_event *ev, const struct dest_config *cfg,
                        struct dest_request *out, struct error *err)
{
    const char *url = dest_config_str(cfg, "webhookUrl");
    struct buf summary, text;
    int rc = -1;
    buf_init(&summary, 1 << 16);
    buf_init(&text, 1 << 16);
    if (!url) {
        error_set(err, ERR_VALIDATION, "webhookUrl is not set");
        goto out;
    }
    if (dest_event_summary(ev, &summary) < 0 ||
        slack_text(summary.data ? summary.data : "", SLACK_TEXT_MAX, &text) < 0) {
        error_set(err, ERR_INTERNAL, "out of memory");
        goto out;
    }
    json_t *body = json_pack("{s:s, s:[{s:s, s:{s:s, s:s}}, {s:s, s:[{s:s, s:s}]}]}", "text",
                             text.data, "blocks", "type", "section", "text", "type", "mrkdwn",
                             "text", text.data, "type", "context", "elements", "type",
                             "mrkdwn", "text", ev->type);
    char *json = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (!json || buf_append_str(&out->url, url) < 0 || buf_append_str(&out->body, json) < 0 ||
        dest_request_header(out, "Content-Type", "application/json") < 0) {
        free(json);
        error_set(err, ERR_INTERNAL, "out of memory");
        goto out;
    }
    free(json);
    rc = 0;
out:
    buf_free(&summary);
    buf_free(&text);
    return rc;
}

const struct destination destination_slack = {
    .slug = "slack",
    .render = slack_render,
};
