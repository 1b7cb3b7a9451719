/* outbound/destinations/telegram.c - Telegram Bot API sendMessage: POST
 * {base}/bot<botToken>/sendMessage with {"chat_id", "parse_mode": "HTML", "text",
 * "link_preview_options"}. The token is in the path, so the URL is a secret.
 *
 * HTML mode needs only &, < and > escaped (and " inside attributes), which makes it the
 * safe choice for names from payment data; MarkdownV2 would need eighteen characters
 * escaped. text may hold 4096 characters after entities are parsed: the title and at most
 * DEST_FACTS_MAX facts of TELEGRAM_FACT_MAX bytes each stay below that, counted before
 * escaping (an entity counts as one character).
 *
 * Answers are {"ok":true,...} or {"ok":false,"error_code":N,"description":"...",
 * "parameters":{"retry_after":s,"migrate_to_chat_id":id}}. classify() reads the body: an
 * "ok":false is never delivered, whatever the status; a retry_after means retry; a
 * migrate_to_chat_id (group became a supergroup) fails until the chat id is changed. */
#include <string.h>

#include "outbound/destination.h"

#define TELEGRAM_DEFAULT_BASE "https://api.telegram.org"
#define TELEGRAM_TITLE_MAX 256
#define TELEGRAM_FACT_MAX 400 /* 8 x (label + 400) + title < 4096 */

static int telegram_line(struct buf *text, const char *label, const char *value)
{
    struct buf cut;
    buf_init(&cut, 1 << 12);
    int rc = dest_text_truncate(value, TELEGRAM_FACT_MAX, &cut);
    if (rc == 0)
        rc = buf_printf(text, "\n%s: ", label);
    if (rc == 0)
        rc = dest_html_escape(cut.data ? cut.data : "", cut.len, text);
    buf_free(&cut);
    return rc;
}

/* "<b>Title</b>", then "Label: value" lines and the time. */
static int telegram_text(const struct dest_event *ev, struct buf *text)
{
    struct dest_facts facts;
    struct buf title;
    char at[DEST_TIME_TEXT_MAX];
    int rc = -1;
    buf_init(&title, 1 << 12);
    if (dest_event_facts(ev, &facts) < 0 ||
        dest_text_truncate(dest_event_title(ev), TELEGRAM_TITLE_MAX, &title) < 0 ||
        buf_append_str(text, "<b>") < 0 || dest_html_escape(title.data, title.len, text) < 0 ||
        buf_append_str(text, "</b>") < 0)
        goto out;
    for (size_t i = 0; i < facts.n; i++)
        if (telegram_line(text, facts.label[i], facts.value[i].data ? facts.value[i].data : "") < 0)
            goto out;
    dest_event_time_text(ev, at);
    if (*at && telegram_line(text, "At", at) < 0)
        goto out;
    rc = 0;
out:
    dest_facts_free(&facts);
    buf_free(&title);
    return rc;
}

static int telegram_render(const struct dest_event *ev, const struct dest_config *cfg,
                           struct dest_request *out, struct error *err)
{
    const char *token = dest_config_str(cfg, "botToken"), *chat = dest_config_str(cfg, "chatId");
    struct buf text, path;
    json_t *body = NULL;
    int rc = -1;
    buf_init(&text, 1 << 16);
    buf_init(&path, 1 << 12);
    if (!cfg->api_base_url) {
        error_set(err, ERR_INTERNAL, "no API base URL");
        goto out;
    }
    if (!token || !chat) {
        error_set(err, ERR_VALIDATION, "%s is not set", !token ? "botToken" : "chatId");
        goto out;
    }
    if (strchr(token, '/') || strchr(token, '?') || strchr(token, '#')) {
        error_set(err, ERR_VALIDATION, "botToken is not a bot token");
        goto out;
    }
    if (telegram_text(ev, &text) < 0 || buf_printf(&path, "/bot%s/sendMessage", token) < 0 ||
        !(body = json_pack("{s:s, s:s, s:s, s:{s:b}}", "chat_id", chat, "parse_mode", "HTML",
                           "text", text.data, "link_preview_options", "is_disabled", 1)) ||
        dest_url(out, cfg->api_base_url, path.data) < 0 || dest_json_body(out, body) < 0) {
        error_set(err, ERR_INTERNAL, "out of memory");
        goto out;
    }
    rc = 0;
out:
    json_decref(body);
    buf_free(&text);
    buf_free(&path);
    return rc;
}

static enum dest_verdict telegram_classify(const struct dest_response *resp)
{
    json_t *answer = resp->body ? json_loadb(resp->body, resp->body_len, 0, NULL) : NULL;
    json_t *ok = json_object_get(answer, "ok");
    json_t *params = json_object_get(answer, "parameters");
    enum dest_verdict v;
    if (!json_is_false(ok)) {
        v = destination_default_classify(resp);
    } else if (json_object_get(params, "retry_after")) {
        v = DEST_RETRY; /* flood control: 429 with the seconds to wait */
    } else if (json_object_get(params, "migrate_to_chat_id")) {
        v = DEST_FAILED; /* the chat id must be changed first */
    } else {
        /* the HTTP status is the error_code; a 2xx carrying "ok":false is judged by its
         * error_code, and without one it is a failure, not a success */
        long code = resp->status;
        if (code >= 200 && code <= 299)
            code = (long)json_integer_value(json_object_get(answer, "error_code"));
        struct dest_response inner = *resp;
        inner.status = code;
        v = code < 300 ? DEST_FAILED : destination_default_classify(&inner);
    }
    json_decref(answer);
    return v;
}

/* Flood control names its wait in the body: {"parameters":{"retry_after":s}}. */
static double telegram_retry_after_s(const struct dest_response *resp)
{
    json_t *answer = resp->body ? json_loadb(resp->body, resp->body_len, 0, NULL) : NULL;
    json_t *secs = json_object_get(json_object_get(answer, "parameters"), "retry_after");
    double v = json_is_number(secs) ? json_number_value(secs) : -1;
    json_decref(answer);
    return v;
}

const struct destination destination_telegram = {
    .slug = "telegram",
    .default_api_base = TELEGRAM_DEFAULT_BASE,
    .render = telegram_render,
    .classify = telegram_classify,
    .body_retry_after_s = telegram_retry_after_s,
};
