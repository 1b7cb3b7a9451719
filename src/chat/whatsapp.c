/* chat/whatsapp.c - the assistant on WhatsApp Business (the Cloud API of Meta's Graph API):
 * GET and POST /api/chatbot/whatsapp.
 *
 * GET is Meta's subscription check: hub.mode=subscribe with the verify token of an install
 * is answered with hub.challenge as it came. POST carries X-Hub-Signature-256, "sha256=" and
 * the hex HMAC-SHA256 of the raw body under the Meta app's secret; the install is the one
 * of the message's phone_number_id. A message's wamid is its id, so Meta's redelivery
 * (for up to seven days) is answered once. Replies: POST {base}/{phone-number-id}/messages
 * with the access token. Media come in two steps, both with the token: GET {base}/{media-id}
 * names a URL that lives minutes, then GET that URL. The Graph API's version is part of the
 * base URL (apiBaseUrl). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chat/chat_int.h"
#include "core/json.h"
#include "inbound/sig.h"

static void copy_str(char *dst, size_t cap, const json_t *v)
{
    const char *s = json_string_value(v);
    snprintf(dst, cap, "%s", s ? s : "");
}

static void verify_key(const char *token, char out[2 * CRYPTO_SHA256_LEN + 1])
{
    crypto_token_hash(token, strlen(token), out);
}

static int handshake(struct chat *c, const struct chat_http_in *in, struct chat_http_out *out,
                     struct error *err)
{
    const char *mode = in->query(in->ctx, "hub.mode");
    const char *token = in->query(in->ctx, "hub.verify_token");
    const char *challenge = in->query(in->ctx, "hub.challenge");
    char key[2 * CRYPTO_SHA256_LEN + 1], tenant[CRYPTO_ID_MAX], install[CRYPTO_ID_MAX];
    struct error lookup = {0};
    if (!mode || strcmp(mode, "subscribe") != 0 || !token || !challenge)
        return error_set(err, ERR_FORBIDDEN, "expected hub.mode=subscribe, hub.verify_token and hub.challenge");
    verify_key(token, key);
    if (store_chat_route_find(c->store, "whatsapp-verify", key, tenant, install, &lookup) < 0) {
        if (lookup.code != ERR_NOT_FOUND) {
            *err = lookup;
            return -1;
        }
        return error_set(err, ERR_FORBIDDEN, "hub.verify_token is no install's verify token");
    }
    snprintf(out->tenant_id, sizeof out->tenant_id, "%s", tenant);
    out->content_type = "text/plain; charset=utf-8";
    return buf_append_str(&out->body, challenge) < 0 ? error_set(err, ERR_INTERNAL, "out of memory") : 0;
}

/* The phone number the first change is for: it names the install. */
static const char *phone_of(const json_t *root)
{
    size_t i, j;
    const json_t *entry, *change;
    json_array_foreach(json_object_get(root, "entry"), i, entry)
        json_array_foreach(json_object_get(entry, "changes"), j, change) {
            const char *id = json_string_value(json_object_get(
                json_object_get(json_object_get(change, "value"), "metadata"), "phone_number_id"));
            if (id)
                return id;
        }
    return NULL;
}

static bool read_message(const json_t *msg, struct chat_message *m)
{
    const char *type = json_string_value(json_object_get(msg, "type"));
    copy_str(m->message_id, sizeof m->message_id, json_object_get(msg, "id"));
    copy_str(m->user_id, sizeof m->user_id, json_object_get(msg, "from"));
    memcpy(m->chat_id, m->user_id, sizeof m->chat_id);
    const char *text = NULL;
    if (type && strcmp(type, "text") == 0) {
        text = json_string_value(json_object_get(json_object_get(msg, "text"), "body"));
    } else if (type && (strcmp(type, "image") == 0 || strcmp(type, "document") == 0)) {
        const json_t *media = json_object_get(msg, type);
        copy_str(m->file_id, sizeof m->file_id, json_object_get(media, "id"));
        copy_str(m->file_mime, sizeof m->file_mime, json_object_get(media, "mime_type"));
        copy_str(m->file_name, sizeof m->file_name, json_object_get(media, "filename"));
        text = json_string_value(json_object_get(media, "caption"));
        if (!m->file_id[0])
            return false;
    } else {
        return false; /* reactions, locations, ...: nothing to answer */
    }
    m->text = strdup(text ? text : "");
    return m->message_id[0] && m->user_id[0] && m->text;
}

static int enqueue_all(struct chat *c, const struct chat_install *ci, const json_t *root,
                       const char *phone, struct error *err)
{
    size_t i, j, k;
    const json_t *entry, *change, *msg;
    json_array_foreach(json_object_get(root, "entry"), i, entry)
        json_array_foreach(json_object_get(entry, "changes"), j, change) {
            const json_t *value = json_object_get(change, "value");
            const char *id = json_string_value(
                json_object_get(json_object_get(value, "metadata"), "phone_number_id"));
            if (!id || strcmp(id, phone) != 0)
                continue; /* another number's: signed by the same app, not this install's */
            const json_t *contact = json_array_get(json_object_get(value, "contacts"), 0);
            json_array_foreach(json_object_get(value, "messages"), k, msg) {
                struct chat_message m = {.platform = "whatsapp"};
                bool inserted;
                copy_str(m.user_name, sizeof m.user_name,
                         json_object_get(json_object_get(contact, "profile"), "name"));
                int rc = read_message(msg, &m) ? chat_enqueue(c, ci, &m, &inserted, err) : 0;
                store_chat_message_clear(&m);
                if (rc < 0)
                    return -1;
            }
        }
    return 0;
}

static int whatsapp_receive(struct chat *c, const struct chat_http_in *in,
                            struct chat_http_out *out, struct error *err)
{
    if (strcmp(in->method, "GET") == 0)
        return handshake(c, in, out, err);
    json_t *root = json_loadb(in->body, in->body_len, JSON_REJECT_DUPLICATES, NULL);
    struct chat_install ci = {0};
    struct buf secret = {0};
    int rc = -1;
    const char *phone = json_is_object(root) ? phone_of(root) : NULL;
    if (!phone) {
        /* Status updates of no number we know and malformed bodies alike: nothing to do. */
        error_set(err, ERR_INVALID_PAYLOAD, "the body names no phone_number_id");
        goto out;
    }
    if (chat_install_by_route(c, &chat_whatsapp, "whatsapp", phone, &ci, err) < 0)
        goto out;
    snprintf(out->tenant_id, sizeof out->tenant_id, "%s", ci.in.tenant_id);
    const char *sig = in->header(in->ctx, "X-Hub-Signature-256");
    if (chat_install_secret(&ci, "appSecret", &secret, err) < 0)
        goto out;
    struct sig_part parts[] = {{in->body, in->body_len}};
    if (!sig || strncmp(sig, "sha256=", 7) != 0 ||
        !sig_hmac_sha256_matches(secret.data, secret.len, parts, 1, sig + 7, strlen(sig + 7),
                                 SIG_HEX_ANY_CASE)) {
        error_set(err, ERR_INVALID_SIGNATURE, "X-Hub-Signature-256 does not match the body");
        goto out;
    }
    if (enqueue_all(c, &ci, root, phone, err) < 0)
        goto out;
    rc = buf_append_str(&out->body, "{\"ok\":true}");
out:
    if (secret.data)
        memset(secret.data, 0, secret.len);
    buf_free(&secret);
    chat_install_free(&ci);
    json_decref(root);
    return rc;
}

static int whatsapp_send(const struct chat_install *ci, const struct chat_message *m,
                         const char *text, bool *retry, struct error *err)
{
    char url[sizeof ci->base_url + 160];
    struct buf token, resp;
    const char *phone = chat_install_setting(ci, "phoneNumberId");
    if (!phone)
        return error_set(err, ERR_CONFIG, "the install has no phoneNumberId");
    if (chat_install_secret(ci, "accessToken", &token, err) < 0) {
        buf_free(&token);
        return -1;
    }
    snprintf(url, sizeof url, "%s/%.100s/messages", ci->base_url, phone);
    json_t *body = json_pack("{sssssssss{ss}}", "messaging_product", "whatsapp", "recipient_type",
                             "individual", "to", m->chat_id, "type", "text", "text", "body", text);
    int rc = body ? chat_call(ci->chat, "POST", url, token.data, body, &resp, retry, err)
                  : error_set(err, ERR_INTERNAL, "out of memory");
    memset(token.data, 0, token.len);
    buf_free(&token);
    if (body)
        buf_free(&resp);
    json_decref(body);
    return rc;
}

/* Step one names the media's short-lived URL; step two fetches it, with the same token. */
static int whatsapp_fetch(const struct chat_install *ci, const struct chat_message *m,
                          struct buf *out, bool *retry, struct error *err)
{
    char url[sizeof ci->base_url + sizeof m->file_id + 2];
    struct buf token, meta;
    json_t *info = NULL;
    int rc = -1;
    if (chat_install_secret(ci, "accessToken", &token, err) < 0) {
        buf_free(&token);
        return -1;
    }
    snprintf(url, sizeof url, "%s/%s", ci->base_url, m->file_id);
    if (chat_call(ci->chat, "GET", url, token.data, NULL, &meta, retry, err) < 0)
        goto out;
    info = json_loadb(meta.data ? meta.data : "", meta.len, 0, NULL);
    const char *media_url = json_string_value(json_object_get(info, "url"));
    if (!media_url) {
        error_set(err, ERR_SERVICE_FAILED, "the Graph API named no URL for media %s", m->file_id);
        goto out;
    }
    buf_free(out);
    rc = chat_call(ci->chat, "GET", media_url, token.data, NULL, out, retry, err);
out:
    memset(token.data, 0, token.len);
    buf_free(&token);
    buf_free(&meta);
    json_decref(info);
    return rc;
}

/* Routes: the phone number's id for the messages, the verify token's hash for the check. */
static int whatsapp_ready(struct chat *c, const struct chat_install *ci, struct error *err)
{
    const char *phone = chat_install_setting(ci, "phoneNumberId");
    char key[2 * CRYPTO_SHA256_LEN + 1];
    struct buf token;
    if (!phone)
        return error_set(err, ERR_CONFIG, "the install has no phoneNumberId");
    if (store_chat_route_set(c->store, "whatsapp", phone, ci->in.tenant_id, ci->in.id, err) < 0)
        return -1;
    if (chat_install_secret(ci, "verifyToken", &token, err) < 0) {
        buf_free(&token);
        return -1;
    }
    verify_key(token.data, key);
    memset(token.data, 0, token.len);
    buf_free(&token);
    return store_chat_route_set(c->store, "whatsapp-verify", key, ci->in.tenant_id, ci->in.id,
                                err);
}

const struct chat_platform chat_whatsapp = {
    .name = "whatsapp",
    .slug = "whatsapp",
    .default_base = "https://graph.facebook.com/v25.0",
    .receive = whatsapp_receive,
    .send = whatsapp_send,
    .fetch = whatsapp_fetch,
    .ready = whatsapp_ready,
};
