/* chat/slack.c - the assistant as a Slack app: the Events API and slash commands at
 * POST /api/chatbot/slack.
 *
 * Verified with the app's signing secret: X-Slack-Signature is "v0=" and the hex
 * HMAC-SHA256 of "v0:{X-Slack-Request-Timestamp}:{raw body}", and a timestamp more than five
 * minutes away is refused (a replay of an old request). The install is the one whose bot
 * belongs to the request's team (its team id is learnt from auth.test when installed); the
 * url_verification check names no team and is answered for the install whose secret signed
 * it. Slack retries an event it thinks unanswered (X-Slack-Retry-Num): the event id is the
 * message's id, so a retry is queued once and answered once. Replies: chat.postMessage
 * with the bot token, in the thread of the message. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chat/chat_int.h"
#include "core/clock.h"
#include "core/json.h"
#include "core/log.h"
#include "inbound/sig.h"

#define WINDOW_S 300

/* ---- verification --------------------------------------------------------------------- */

struct verify_ctx {
    const struct chat_http_in *in;
    bool ok;
};

static bool signed_by(const struct chat_install *ci, const struct chat_http_in *in)
{
    const char *ts = in->header(in->ctx, "X-Slack-Request-Timestamp");
    const char *sig = in->header(in->ctx, "X-Slack-Signature");
    struct buf secret;
    struct error ignored = {0};
    if (!ts || !sig || strncmp(sig, "v0=", 3) != 0)
        return false;
    if (chat_install_secret(ci, "signingSecret", &secret, &ignored) < 0) {
        buf_free(&secret);
        return false;
    }
    struct sig_part parts[] = {SIG_STR("v0:"), SIG_STR(ts), SIG_STR(":"),
                               {in->body, in->body_len}};
    bool ok = sig_hmac_sha256_matches(secret.data, secret.len, parts, 4, sig + 3, strlen(sig + 3),
                                      SIG_HEX_LOWER);
    memset(secret.data, 0, secret.len);
    buf_free(&secret);
    return ok;
}

/* The timestamp is within the window of now (checked before any secret is opened). */
static int fresh(const struct chat_http_in *in, struct error *err)
{
    const char *ts = in->header(in->ctx, "X-Slack-Request-Timestamp");
    int64_t t = ts ? sig_parse_uint(ts, strlen(ts)) : -1;
    int64_t now = clock_now_ms() / 1000;
    if (t < 0)
        return error_set(err, ERR_INVALID_SIGNATURE, "X-Slack-Request-Timestamp is missing");
    if (t < now - WINDOW_S || t > now + WINDOW_S)
        return error_set(err, ERR_INVALID_SIGNATURE,
                         "the request is older than five minutes (or from the future)");
    return 0;
}

static int try_install(void *ctx, struct chat_install *ci)
{
    struct verify_ctx *v = ctx;
    if (!signed_by(ci, v->in))
        return 0;
    v->ok = true;
    return 1;
}

/* ---- reading ---------------------------------------------------------------------------- */

/* Copies a form field's value, percent- and plus-decoded, into out. */
static bool form_value(const char *body, size_t len, const char *name, char *out, size_t cap)
{
    size_t nlen = strlen(name);
    const char *p = body, *end = body + len;
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *field_end = amp ? amp : end;
        if ((size_t)(field_end - p) > nlen && memcmp(p, name, nlen) == 0 && p[nlen] == '=') {
            size_t o = 0;
            for (const char *q = p + nlen + 1; q < field_end && o + 1 < cap; q++) {
                if (*q == '+') {
                    out[o++] = ' ';
                } else if (*q == '%' && field_end - q > 2 && isxdigit((unsigned char)q[1]) &&
                           isxdigit((unsigned char)q[2])) {
                    char hex[3] = {q[1], q[2], 0};
                    out[o++] = (char)strtol(hex, NULL, 16);
                    q += 2;
                } else {
                    out[o++] = *q;
                }
            }
            out[o] = '\0';
            return strlen(out) == o; /* a decoded NUL is refused */
        }
        p = field_end + 1;
    }
    out[0] = '\0';
    return false;
}

static void copy_str(char *dst, size_t cap, const json_t *v)
{
    const char *s = json_string_value(v);
    snprintf(dst, cap, "%s", s ? s : "");
}

/* "<@U123> how much revenue" -> "how much revenue": a mention of the bot is no question.
 * Slack escapes & < > in message text as entities; they are the user's characters. */
static char *strip_mentions(const char *text)
{
    static const struct {
        const char *entity;
        char ch;
    } entities[] = {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}};
    char *out = strdup(text ? text : "");
    if (!out)
        return NULL;
    char *w = out;
    for (const char *r = out; *r;) {
        if (r[0] == '<' && r[1] == '@') {
            const char *close = strchr(r, '>');
            if (close) {
                r = close + 1;
                continue;
            }
        }
        bool replaced = false;
        for (size_t i = 0; i < sizeof entities / sizeof entities[0] && !replaced; i++)
            if (strncmp(r, entities[i].entity, strlen(entities[i].entity)) == 0) {
                *w++ = entities[i].ch;
                r += strlen(entities[i].entity);
                replaced = true;
            }
        if (!replaced)
            *w++ = *r++;
    }
    *w = '\0';
    return out;
}

/* An Events API event into m; false when it is none the assistant answers (its own
 * messages, edits, joins). */
static bool read_event(const json_t *root, struct chat_message *m)
{
    const json_t *ev = json_object_get(root, "event");
    const char *type = json_string_value(json_object_get(ev, "type"));
    const char *subtype = json_string_value(json_object_get(ev, "subtype"));
    if (!type || (strcmp(type, "message") != 0 && strcmp(type, "app_mention") != 0))
        return false;
    if (json_object_get(ev, "bot_id") || (subtype && strcmp(subtype, "file_share") != 0))
        return false;
    /* In a channel the bot answers when mentioned (app_mention), not every message. */
    const char *channel_type = json_string_value(json_object_get(ev, "channel_type"));
    if (strcmp(type, "message") == 0 && channel_type && strcmp(channel_type, "im") != 0)
        return false;
    copy_str(m->message_id, sizeof m->message_id, json_object_get(root, "event_id"));
    copy_str(m->chat_id, sizeof m->chat_id, json_object_get(ev, "channel"));
    copy_str(m->user_id, sizeof m->user_id, json_object_get(ev, "user"));
    const json_t *thread = json_object_get(ev, "thread_ts");
    copy_str(m->thread, sizeof m->thread, thread ? thread : json_object_get(ev, "ts"));
    const json_t *file = json_array_get(json_object_get(ev, "files"), 0);
    if (file) {
        copy_str(m->file_id, sizeof m->file_id, json_object_get(file, "url_private_download"));
        copy_str(m->file_mime, sizeof m->file_mime, json_object_get(file, "mimetype"));
        copy_str(m->file_name, sizeof m->file_name, json_object_get(file, "name"));
    }
    m->text = strip_mentions(json_string_value(json_object_get(ev, "text")));
    return m->message_id[0] && m->chat_id[0] && m->user_id[0] && m->text;
}

static int receive_event(struct chat *c, const struct chat_http_in *in, const json_t *root,
                         struct chat_http_out *out, struct error *err)
{
    const char *team = json_string_value(json_object_get(root, "team_id"));
    struct chat_install ci;
    struct chat_message m = {.platform = "slack"};
    bool inserted = false;
    int rc = -1;
    if (!team)
        return error_set(err, ERR_INVALID_PAYLOAD, "the event names no team_id");
    if (chat_install_by_route(c, &chat_slack, "slack", team, &ci, err) < 0)
        return -1;
    snprintf(out->tenant_id, sizeof out->tenant_id, "%s", ci.in.tenant_id);
    if (!signed_by(&ci, in)) {
        error_set(err, ERR_INVALID_SIGNATURE, "X-Slack-Signature does not match the body");
        goto out;
    }
    if (read_event(root, &m) && chat_enqueue(c, &ci, &m, &inserted, err) < 0)
        goto out;
    rc = buf_append_str(&out->body, "{\"ok\":true}");
out:
    store_chat_message_clear(&m);
    chat_install_free(&ci);
    return rc;
}

/* A slash command (/books revenue March): a form, answered by a message in its channel. */
static int receive_command(struct chat *c, const struct chat_http_in *in,
                           struct chat_http_out *out, struct error *err)
{
    char team[CHAT_REF_MAX], trigger[CHAT_REF_MAX - 8], text[CHAT_QUESTION_MAX];
    struct chat_install ci;
    struct chat_message m = {.platform = "slack"};
    bool inserted = false;
    int rc = -1;
    if (!form_value(in->body, in->body_len, "team_id", team, sizeof team) ||
        !form_value(in->body, in->body_len, "trigger_id", trigger, sizeof trigger))
        return error_set(err, ERR_INVALID_PAYLOAD, "the command names no team_id or trigger_id");
    if (chat_install_by_route(c, &chat_slack, "slack", team, &ci, err) < 0)
        return -1;
    snprintf(out->tenant_id, sizeof out->tenant_id, "%s", ci.in.tenant_id);
    if (!signed_by(&ci, in)) {
        error_set(err, ERR_INVALID_SIGNATURE, "X-Slack-Signature does not match the body");
        goto out;
    }
    snprintf(m.message_id, sizeof m.message_id, "cmd:%s", trigger);
    form_value(in->body, in->body_len, "channel_id", m.chat_id, sizeof m.chat_id);
    form_value(in->body, in->body_len, "user_id", m.user_id, sizeof m.user_id);
    form_value(in->body, in->body_len, "user_name", m.user_name, sizeof m.user_name);
    form_value(in->body, in->body_len, "text", text, sizeof text);
    m.text = strdup(text);
    if (!m.chat_id[0] || !m.user_id[0] || !m.text) {
        error_set(err, ERR_INVALID_PAYLOAD, "the command names no channel or user");
        goto out;
    }
    if (chat_enqueue(c, &ci, &m, &inserted, err) < 0)
        goto out;
    out->content_type = "text/plain; charset=utf-8";
    rc = 0; /* an empty 200: the answer follows as a message */
out:
    store_chat_message_clear(&m);
    chat_install_free(&ci);
    return rc;
}

static int slack_receive(struct chat *c, const struct chat_http_in *in, struct chat_http_out *out,
                         struct error *err)
{
    if (strcmp(in->method, "POST") != 0)
        return error_set(err, ERR_METHOD_NOT_ALLOWED, "Slack posts");
    if (fresh(in, err) < 0)
        return -1;
    const char *ctype = in->header(in->ctx, "Content-Type");
    if (ctype && strncmp(ctype, "application/x-www-form-urlencoded", 33) == 0)
        return receive_command(c, in, out, err);
    json_t *root = json_loadb(in->body, in->body_len, JSON_REJECT_DUPLICATES, NULL);
    int rc = -1;
    if (!json_is_object(root)) {
        error_set(err, ERR_INVALID_PAYLOAD, "the body is no JSON object");
        goto out;
    }
    const char *type = json_string_value(json_object_get(root, "type"));
    if (type && strcmp(type, "url_verification") == 0) {
        struct verify_ctx v = {.in = in};
        const char *challenge = json_string_value(json_object_get(root, "challenge"));
        if (!challenge) {
            error_set(err, ERR_INVALID_PAYLOAD, "url_verification without a challenge");
            goto out;
        }
        if (chat_each_install(c, &chat_slack, try_install, &v, err) < 0)
            goto out;
        if (!v.ok) {
            error_set(err, ERR_INVALID_SIGNATURE, "no Slack install's signing secret signed this");
            goto out;
        }
        json_t *answer = json_pack("{ss}", "challenge", challenge);
        char *text = answer ? json_dump_compact(answer, NULL) : NULL;
        json_decref(answer);
        rc = text && buf_append_str(&out->body, text) == 0 ? 0
                                                          : error_set(err, ERR_INTERNAL, "out of memory");
        free(text);
        goto out;
    }
    rc = receive_event(c, in, root, out, err);
out:
    json_decref(root);
    return rc;
}

/* ---- replies, files, install ------------------------------------------------------------ */

/* Slack answers 200 with {"ok": false, "error": ...} when it refused. */
static int slack_api(const struct chat_install *ci, const char *method, const json_t *body,
                     json_t **answer, bool *retry, struct error *err)
{
    char url[700];
    struct buf token, resp;
    *answer = NULL;
    if (chat_install_secret(ci, "botToken", &token, err) < 0) {
        buf_free(&token);
        return -1;
    }
    snprintf(url, sizeof url, "%s/api/%s", ci->base_url, method);
    int rc = chat_call(ci->chat, "POST", url, token.data, body, &resp, retry, err);
    memset(token.data, 0, token.len);
    buf_free(&token);
    if (rc == 0) {
        *answer = json_loadb(resp.data ? resp.data : "", resp.len, 0, NULL);
        if (!json_is_true(json_object_get(*answer, "ok"))) {
            const char *why = json_string_value(json_object_get(*answer, "error"));
            *retry = why && strcmp(why, "ratelimited") == 0;
            rc = error_set(err, ERR_SERVICE_FAILED, "Slack refused %s: %.*s", method, 64,
                           why ? why : "no reason given");
            json_decref(*answer);
            *answer = NULL;
        }
    }
    buf_free(&resp);
    return rc;
}

static int slack_send(const struct chat_install *ci, const struct chat_message *m,
                      const char *text, bool *retry, struct error *err)
{
    json_t *body = json_pack("{ssss}", "channel", m->chat_id, "text", text), *answer = NULL;
    if (!body)
        return error_set(err, ERR_INTERNAL, "out of memory");
    if (m->thread[0])
        json_object_set_new(body, "thread_ts", json_string(m->thread));
    int rc = slack_api(ci, "chat.postMessage", body, &answer, retry, err);
    json_decref(body);
    json_decref(answer);
    return rc;
}

/* The bot token goes only to Slack's own file host (or the configured API base, a test's):
 * a file URL is the payload's, and a token sent elsewhere would be a token given away. */
static bool slack_file_url(const struct chat_install *ci, const char *url)
{
    size_t n = strlen(ci->base_url);
    return strncmp(url, "https://files.slack.com/", 24) == 0 ||
           (strncmp(url, ci->base_url, n) == 0 && url[n] == '/');
}

static int slack_fetch(const struct chat_install *ci, const struct chat_message *m,
                       struct buf *out, bool *retry, struct error *err)
{
    struct buf token;
    *retry = false;
    if (!slack_file_url(ci, m->file_id))
        return error_set(err, ERR_VALIDATION, "the file is not on Slack's file host");
    if (chat_install_secret(ci, "botToken", &token, err) < 0) {
        buf_free(&token);
        return -1;
    }
    int rc = chat_call(ci->chat, "GET", m->file_id, token.data, NULL, out, retry, err);
    memset(token.data, 0, token.len);
    buf_free(&token);
    return rc;
}

/* Learns the bot's team with auth.test, so events of that team find the install. */
static int slack_ready(struct chat *c, const struct chat_install *ci, struct error *err)
{
    json_t *answer = NULL;
    bool retry;
    if (slack_api(ci, "auth.test", NULL, &answer, &retry, err) < 0)
        return -1;
    const char *team = json_string_value(json_object_get(answer, "team_id"));
    int rc = team ? store_chat_route_set(c->store, "slack", team, ci->in.tenant_id, ci->in.id, err)
                  : error_set(err, ERR_SERVICE_FAILED, "auth.test named no team_id");
    json_decref(answer);
    return rc;
}

const struct chat_platform chat_slack = {
    .name = "slack",
    .slug = "slack-assistant",
    .default_base = "https://slack.com",
    .receive = slack_receive,
    .send = slack_send,
    .fetch = slack_fetch,
    .ready = slack_ready,
};
