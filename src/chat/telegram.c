/* chat/telegram.c - the assistant as a Telegram bot: POST /api/chatbot/telegram/:token.
 *
 * The path's token finds the install (like a payment provider's webhook URL); Telegram
 * proves itself with X-Telegram-Bot-Api-Secret-Token, the secret given to setWebhook, which
 * is derived from the master key and the install id (chat_telegram_secret), compared in
 * constant time. Installing registers the webhook with setWebhook when the public URL is
 * HTTPS (Telegram calls nothing else). An update is one message; its update_id is the
 * message's id, so Telegram's redelivery is answered once. Replies: sendMessage; photos
 * and documents are fetched with getFile and the file URL. Tokens are in those URLs: they
 * are never logged. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chat/chat_int.h"
#include "core/json.h"

void chat_telegram_secret(const struct chat *c, const char *install_id, char out[65])
{
    unsigned char mac[CRYPTO_SHA256_LEN];
    char msg[CRYPTO_ID_MAX + 32];
    int n = snprintf(msg, sizeof msg, "telegram-secret-token/%s", install_id);
    crypto_hmac_sha256(c->master_key, CRYPTO_KEY_LEN, msg, (size_t)n, mac);
    crypto_hex(mac, sizeof mac, out);
}

static void copy_str(char *dst, size_t cap, const json_t *v)
{
    const char *s = json_string_value(v);
    if (json_is_integer(v))
        snprintf(dst, cap, "%lld", (long long)json_integer_value(v));
    else
        snprintf(dst, cap, "%s", s ? s : "");
}

/* An update's message into m; false when the update holds none the assistant answers. */
static bool read_update(const json_t *root, struct chat_message *m)
{
    const json_t *msg = json_object_get(root, "message");
    const json_t *from = json_object_get(msg, "from");
    if (!msg || json_is_true(json_object_get(from, "is_bot")))
        return false;
    copy_str(m->message_id, sizeof m->message_id, json_object_get(root, "update_id"));
    copy_str(m->chat_id, sizeof m->chat_id, json_object_get(json_object_get(msg, "chat"), "id"));
    copy_str(m->user_id, sizeof m->user_id, json_object_get(from, "id"));
    const json_t *name = json_object_get(from, "username");
    copy_str(m->user_name, sizeof m->user_name, name ? name : json_object_get(from, "first_name"));
    copy_str(m->thread, sizeof m->thread, json_object_get(msg, "message_id"));
    const json_t *photos = json_object_get(msg, "photo");
    const json_t *doc = json_object_get(msg, "document");
    if (json_array_size(photos)) { /* the last size is the largest */
        copy_str(m->file_id, sizeof m->file_id,
                 json_object_get(json_array_get(photos, json_array_size(photos) - 1), "file_id"));
        snprintf(m->file_mime, sizeof m->file_mime, "image/jpeg");
        snprintf(m->file_name, sizeof m->file_name, "photo.jpg");
    } else if (doc) {
        copy_str(m->file_id, sizeof m->file_id, json_object_get(doc, "file_id"));
        copy_str(m->file_mime, sizeof m->file_mime, json_object_get(doc, "mime_type"));
        copy_str(m->file_name, sizeof m->file_name, json_object_get(doc, "file_name"));
    }
    const char *text = json_string_value(json_object_get(msg, "text"));
    if (!text)
        text = json_string_value(json_object_get(msg, "caption"));
    m->text = strdup(text ? text : "");
    return m->message_id[0] && m->chat_id[0] && m->user_id[0] && m->text;
}

static int telegram_receive(struct chat *c, const struct chat_http_in *in,
                            struct chat_http_out *out, struct error *err)
{
    char hash[2 * CRYPTO_SHA256_LEN + 1], secret[65];
    struct chat_install ci = {0};
    struct chat_message m = {.platform = "telegram"};
    json_t *root = NULL;
    bool inserted = false;
    int rc = -1;
    if (strcmp(in->method, "POST") != 0 || !in->token)
        return error_set(err, ERR_NOT_FOUND, "no such webhook");
    crypto_token_hash(in->token, strlen(in->token), hash);
    if (store_install_by_token(c->store, hash, &ci.in, err) < 0)
        return -1;
    if (strcmp(ci.in.slug, chat_telegram.slug) != 0 || !ci.in.is_active) {
        store_install_clear(&ci.in);
        return error_set(err, ERR_NOT_FOUND, "no such webhook");
    }
    char tenant[CRYPTO_ID_MAX], id[CRYPTO_ID_MAX];
    memcpy(tenant, ci.in.tenant_id, sizeof tenant);
    memcpy(id, ci.in.id, sizeof id);
    store_install_clear(&ci.in);
    if (chat_install_load(c, tenant, id, chat_telegram.default_base, &ci, err) < 0)
        return -1;
    snprintf(out->tenant_id, sizeof out->tenant_id, "%s", tenant);
    chat_telegram_secret(c, id, secret);
    const char *given = in->header(in->ctx, "X-Telegram-Bot-Api-Secret-Token");
    if (!given || !crypto_ct_equal(given, strlen(given), secret, strlen(secret))) {
        error_set(err, ERR_INVALID_SIGNATURE, "X-Telegram-Bot-Api-Secret-Token is wrong");
        goto out;
    }
    root = json_loadb(in->body, in->body_len, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(root)) {
        error_set(err, ERR_INVALID_PAYLOAD, "the body is no JSON object");
        goto out;
    }
    if (read_update(root, &m) && chat_enqueue(c, &ci, &m, &inserted, err) < 0)
        goto out;
    rc = buf_append_str(&out->body, "{\"ok\":true}");
out:
    memset(secret, 0, sizeof secret);
    json_decref(root);
    store_chat_message_clear(&m);
    chat_install_free(&ci);
    return rc;
}

/* base/bot<token>/<method>; the URL holds the token and is wiped by the caller. */
static int method_url(const struct chat_install *ci, const char *prefix, const char *method,
                      char *url, size_t cap, struct error *err)
{
    struct buf token;
    if (chat_install_secret(ci, "botToken", &token, err) < 0) {
        buf_free(&token);
        return -1;
    }
    int n = snprintf(url, cap, "%s/%sbot%s/%s", ci->base_url, prefix, token.data, method);
    memset(token.data, 0, token.len);
    buf_free(&token);
    return n > 0 && (size_t)n < cap ? 0 : error_set(err, ERR_VALIDATION, "the URL is too long");
}

static int telegram_api(const struct chat_install *ci, const char *method, const json_t *body,
                        json_t **answer, bool *retry, struct error *err)
{
    char url[1500];
    struct buf resp;
    *answer = NULL;
    *retry = false;
    if (method_url(ci, "", method, url, sizeof url, err) < 0)
        return -1;
    int rc = chat_call(ci->chat, body ? "POST" : "GET", url, NULL, body, &resp, retry, err);
    memset(url, 0, sizeof url);
    if (rc == 0) {
        *answer = json_loadb(resp.data ? resp.data : "", resp.len, 0, NULL);
        if (!json_is_true(json_object_get(*answer, "ok"))) {
            rc = error_set(err, ERR_SERVICE_FAILED, "Telegram refused %s", method);
            json_decref(*answer);
            *answer = NULL;
        }
    }
    buf_free(&resp);
    return rc;
}

static int telegram_send(const struct chat_install *ci, const struct chat_message *m,
                         const char *text, bool *retry, struct error *err)
{
    char *end;
    long long chat = strtoll(m->chat_id, &end, 10);
    json_t *body = json_pack("{sIss}", "chat_id", (json_int_t)chat, "text", text), *answer = NULL;
    if (!body)
        return error_set(err, ERR_INTERNAL, "out of memory");
    if (*end) /* a channel's @name */
        json_object_set_new(body, "chat_id", json_string(m->chat_id));
    if (m->thread[0])
        json_object_set_new(body, "reply_parameters",
                            json_pack("{sI}", "message_id", (json_int_t)strtoll(m->thread, NULL, 10)));
    int rc = telegram_api(ci, "sendMessage", body, &answer, retry, err);
    json_decref(body);
    json_decref(answer);
    return rc;
}

static int telegram_fetch(const struct chat_install *ci, const struct chat_message *m,
                          struct buf *out, bool *retry, struct error *err)
{
    json_t *body = json_pack("{ss}", "file_id", m->file_id), *answer = NULL;
    char url[1500];
    int rc = -1;
    if (!body)
        return error_set(err, ERR_INTERNAL, "out of memory");
    if (telegram_api(ci, "getFile", body, &answer, retry, err) < 0)
        goto out;
    const char *path = json_string_value(json_object_get(json_object_get(answer, "result"), "file_path"));
    if (!path || strstr(path, "..")) {
        error_set(err, ERR_SERVICE_FAILED, "getFile named no file_path");
        goto out;
    }
    if (method_url(ci, "file/", path, url, sizeof url, err) < 0)
        goto out;
    buf_free(out);
    rc = chat_call(ci->chat, "GET", url, NULL, NULL, out, retry, err);
    memset(url, 0, sizeof url);
out:
    json_decref(body);
    json_decref(answer);
    return rc;
}

/* setWebhook, when Telegram can reach us: it posts to HTTPS URLs only. */
static int telegram_ready(struct chat *c, const struct chat_install *ci, struct error *err)
{
    if (strncmp(c->public_url, "https://", 8) != 0)
        return 0;
    char secret[65];
    char *url = chat_webhook_url(c, &ci->in, err);
    json_t *answer = NULL;
    bool retry;
    if (!url)
        return -1;
    chat_telegram_secret(c, ci->in.id, secret);
    json_t *body = json_pack("{sssss[s]}", "url", url, "secret_token", secret, "allowed_updates",
                             "message");
    int rc = body ? telegram_api(ci, "setWebhook", body, &answer, &retry, err)
                  : error_set(err, ERR_INTERNAL, "out of memory");
    memset(secret, 0, sizeof secret);
    json_decref(body);
    json_decref(answer);
    free(url);
    return rc;
}

const struct chat_platform chat_telegram = {
    .name = "telegram",
    .slug = "telegram-assistant",
    .default_base = "https://api.telegram.org",
    .path_token = true,
    .receive = telegram_receive,
    .send = telegram_send,
    .fetch = telegram_fetch,
    .ready = telegram_ready,
};
