/* outbound/destinations/teams.c - Microsoft Teams incoming webhooks: POST the webhook URL
 * with a message holding one Adaptive Card (a title, the summary and a FactSet); the URL
 * (its sig parameter) is the credential.
 *
 * Adaptive Cards are the one format both URL families accept: Workflows webhooks (Power
 * Automate, which take nothing else) and the retiring Office 365 connectors. A message may
 * be 28 KB; the summary and each fact are cut well below that. Workflows answer 202 with an
 * empty body, connectors 200 with "1" - any 2xx is delivered - except that connectors
 * report throttling as 200 with "Microsoft Teams endpoint returned HTTP error 429" in the
 * body: classify() reads the status from that text and judges it. */
#include <stdlib.h>
#include <string.h>

#include "outbound/destination.h"

#define TEAMS_SUMMARY_MAX 2000
#define TEAMS_FACT_MAX 1000
#define TEAMS_INNER_ERROR "returned HTTP error "

static json_t *teams_facts(const struct dest_event *ev)
{
    struct dest_facts facts;
    struct buf value;
    char at[DEST_TIME_TEXT_MAX];
    json_t *list = json_array();
    buf_init(&value, 1 << 16);
    if (!list || dest_event_facts(ev, &facts) < 0)
        goto fail;
    for (size_t i = 0; i < facts.n; i++) {
        buf_reset(&value);
        if (dest_text_truncate(facts.value[i].data ? facts.value[i].data : "", TEAMS_FACT_MAX,
                               &value) < 0 ||
            json_array_append_new(list, json_pack("{s:s, s:s}", "title", facts.label[i], "value",
                                                  value.data ? value.data : "")) < 0)
            goto fail;
    }
    dest_event_time_text(ev, at);
    if (*at && json_array_append_new(list, json_pack("{s:s, s:s}", "title", "At", "value", at)) < 0)
        goto fail;
    dest_facts_free(&facts);
    buf_free(&value);
    return list;
fail:
    dest_facts_free(&facts);
    buf_free(&value);
    json_decref(list);
    return NULL;
}

static int teams_render(const struct dest_event *ev, const struct dest_config *cfg,
                        struct dest_request *out, struct error *err)
{
    const char *url = dest_config_str(cfg, "webhookUrl");
    struct buf summary, text;
    json_t *card_body = NULL, *facts = NULL, *body = NULL;
    int rc = -1;
    buf_init(&summary, 1 << 16);
    buf_init(&text, 1 << 16);
    if (!url) {
        error_set(err, ERR_VALIDATION, "webhookUrl is not set");
        goto out;
    }
    if (dest_event_summary(ev, &summary) < 0 ||
        dest_text_truncate(summary.data ? summary.data : "", TEAMS_SUMMARY_MAX, &text) < 0 ||
        !(facts = teams_facts(ev)) ||
        !(card_body = json_pack("[{s:s, s:s, s:s, s:s, s:b}, {s:s, s:s, s:b}]", "type",
                                "TextBlock", "text", dest_event_title(ev), "weight", "Bolder",
                                "size", "Medium", "wrap", 1, "type", "TextBlock", "text",
                                text.data ? text.data : "", "wrap", 1))) {
        error_set(err, ERR_INTERNAL, "out of memory");
        goto out;
    }
    if (json_array_size(facts) &&
        json_array_append_new(card_body, json_pack("{s:s, s:O}", "type", "FactSet", "facts",
                                                   facts)) < 0) {
        error_set(err, ERR_INTERNAL, "out of memory");
        goto out;
    }
    body = json_pack("{s:s, s:[{s:s, s:n, s:{s:s, s:s, s:s, s:O}}]}", "type", "message",
                     "attachments", "contentType", "application/vnd.microsoft.card.adaptive",
                     "contentUrl", "content", "$schema",
                     "http://adaptivecards.io/schemas/adaptive-card.json", "type", "AdaptiveCard",
                     "version", "1.4", "body", card_body);
    if (!body || buf_append_str(&out->url, url) < 0 || dest_json_body(out, body) < 0) {
        error_set(err, ERR_INTERNAL, "out of memory");
        goto out;
    }
    rc = 0;
out:
    json_decref(body);
    json_decref(card_body);
    json_decref(facts);
    buf_free(&summary);
    buf_free(&text);
    return rc;
}

static enum dest_verdict teams_classify(const struct dest_response *resp)
{
    const char *inner = resp->status >= 200 && resp->status <= 299 && resp->body
                            ? strstr(resp->body, TEAMS_INNER_ERROR)
                            : NULL;
    if (inner) {
        struct dest_response throttled = *resp;
        throttled.status = strtol(inner + strlen(TEAMS_INNER_ERROR), NULL, 10);
        if (throttled.status < 400)
            return DEST_RETRY; /* an error without a readable status: ask again */
        return destination_default_classify(&throttled);
    }
    return destination_default_classify(resp);
}

const struct destination destination_teams = {
    .slug = "teams",
    .render = teams_render,
    .classify = teams_classify,
};
