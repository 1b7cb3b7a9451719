/* outbound/destinations/discord.c - Discord Execute Webhook: POST the webhook URL with
 * ?wait=true and {"content", "embeds", "allowed_mentions"}; the URL is the credential.
 *
 * wait=true makes Discord answer 200 with the saved message, or an error: without it a
 * message that is not saved still gets 204. allowed_mentions.parse=[] keeps "@everyone" in
 * a customer's name from pinging a channel, and markdown characters from event data are
 * escaped so a name cannot format or link. Limits (else 400): content 2000 characters,
 * field value 1024, and all embed text together 6000; byte budgets below stay within them.
 * Answers: 429 with Retry-After (and retry_after in the body, which counts when the header
 * is missing), 5xx retry; 400, 401, 403, 404 (webhook deleted) are permanent - the default
 * rules. */
#include <string.h>

#include "outbound/destination.h"

#define DISCORD_CONTENT_MAX 2000
#define DISCORD_FIELD_MAX 512 /* 8 facts x 512 + title + footer < 6000 */
#define DISCORD_COLOR_GREEN 3066993
#define DISCORD_COLOR_RED 15158332
#define DISCORD_COLOR_BLURPLE 5793266

/* Backslash before every character Discord's markdown gives a meaning inside a line:
 * emphasis, code, spoilers, masked links ("[x](url)" needs its '['), mentions and
 * timestamps ("<@id>", "<t:...>"). Line-start syntax (#, >, -) cannot occur: every text
 * starts with a fixed word. */
static int discord_escape(const char *text, struct buf *out)
{
    for (const char *p = text; *p; p++) {
        if (strchr("\\*_~`|[]<", *p) && buf_append(out, "\\", 1) < 0)
            return -1;
        if (buf_append(out, p, 1) < 0)
            return -1;
    }
    return 0;
}

/* escaped, then cut to max bytes */
static int discord_text(const char *text, size_t max, struct buf *out)
{
    struct buf escaped;
    buf_init(&escaped, 1 << 20);
    int rc = discord_escape(text, &escaped) < 0 ? -1
             : dest_text_truncate(escaped.data ? escaped.data : "", max, out);
    buf_free(&escaped);
    return rc;
}

static int discord_color(const struct dest_event *ev)
{
    if (strcmp(ev->type, "payment.failed") == 0)
        return DISCORD_COLOR_RED;
    if (strcmp(ev->type, "payment.settled") == 0 || strcmp(ev->type, "customer.first_payment") == 0)
        return DISCORD_COLOR_GREEN;
    return DISCORD_COLOR_BLURPLE;
}

static int discord_fields(const struct dest_facts *facts, json_t *fields)
{
    for (size_t i = 0; i < facts->n; i++) {
        struct buf value;
        buf_init(&value, 1 << 16);
        int rc = discord_text(facts->value[i].data ? facts->value[i].data : "", DISCORD_FIELD_MAX,
                              &value);
        if (rc == 0 && value.len) /* an empty value is a 400 */
            rc = json_array_append_new(fields, json_pack("{s:s, s:s, s:b}", "name",
                                                         facts->label[i], "value", value.data,
                                                         "inline", 1));
        buf_free(&value);
        if (rc < 0)
            return -1;
    }
    return 0;
}

static int discord_render(const struct dest_event *ev, const struct dest_config *cfg,
                          struct dest_request *out, struct error *err)
{
    const char *url = dest_config_str(cfg, "webhookUrl");
    struct buf summary, content;
    struct dest_facts facts;
    json_t *body = NULL, *embed = NULL, *fields = NULL;
    int rc = -1;
    buf_init(&summary, 1 << 16);
    buf_init(&content, 1 << 16);
    if (dest_event_facts(ev, &facts) < 0) {
        error_set(err, ERR_INTERNAL, "out of memory");
        goto out;
    }
    if (!url) {
        error_set(err, ERR_VALIDATION, "webhookUrl is not set");
        goto out;
    }
    if (dest_event_summary(ev, &summary) < 0 ||
        discord_text(summary.data ? summary.data : "", DISCORD_CONTENT_MAX, &content) < 0 ||
        !(fields = json_array()) || discord_fields(&facts, fields) < 0) {
        error_set(err, ERR_INTERNAL, "out of memory");
        goto out;
    }
    embed = json_pack("{s:s, s:i, s:s*}", "title", dest_event_title(ev), "color",
                      discord_color(ev), "timestamp", ev->created_at);
    if (!embed || (json_array_size(fields) && json_object_set(embed, "fields", fields) < 0) ||
        json_object_set_new(embed, "footer", json_pack("{s:s}", "text", ev->id)) < 0) {
        error_set(err, ERR_INTERNAL, "out of memory");
        goto out;
    }
    body = json_pack("{s:s, s:[O], s:{s:[]}}", "content", content.data ? content.data : "",
                     "embeds", embed, "allowed_mentions", "parse");
    if (!body || buf_append_str(&out->url, url) < 0 ||
        buf_append_str(&out->url, strchr(url, '?') ? "&wait=true" : "?wait=true") < 0 ||
        dest_json_body(out, body) < 0) {
        error_set(err, ERR_INTERNAL, "out of memory");
        goto out;
    }
    rc = 0;
out:
    json_decref(body);
    json_decref(embed);
    json_decref(fields);
    dest_facts_free(&facts);
    buf_free(&summary);
    buf_free(&content);
    return rc;
}

/* A 429's body: {"message", "retry_after": <seconds, a float>, "global"}. */
static double discord_retry_after_s(const struct dest_response *resp)
{
    if (resp->status != 429)
        return -1;
    json_t *answer = resp->body ? json_loadb(resp->body, resp->body_len, 0, NULL) : NULL;
    json_t *secs = json_object_get(answer, "retry_after");
    double v = json_is_number(secs) ? json_number_value(secs) : -1;
    json_decref(answer);
    return v;
}

const struct destination destination_discord = {
    .slug = "discord",
    .render = discord_render,
    .body_retry_after_s = discord_retry_after_s,
};
