/* api/chatbot.c - the assistant's HTTP doors (chat/chat.h does the work):
 *   POST /api/chatbot/slack            Slack's Events API and slash commands
 *   POST /api/chatbot/telegram/:token  Telegram's webhook, the token names the install
 *   GET  /api/chatbot/whatsapp         Meta's subscription check
 *   POST /api/chatbot/whatsapp         WhatsApp Cloud API messages
 * and, for admins, the people linked to the books:
 *   POST /api/chatbot/links            a one-time code, sent from the chat as "/link CODE"
 *   GET  /api/chatbot/links            the linked people
 *   DELETE /api/chatbot/links/:id      revokes one
 *   GET  /api/chatbot/messages         the newest received messages and what became of them
 * A platform's request is acknowledged as soon as its message is queued; the reply goes out
 * from the queue (Slack waits three seconds at most). */
#include <string.h>

#include "api/api.h"
#include "api/listing.h"
#include "chat/chat.h"
#include "core/json.h"
#include "store/chat.h"

static const char *header_of(void *ctx, const char *name)
{
    return http_request_header(ctx, name);
}

static const char *query_of(void *ctx, const char *name)
{
    return http_request_query(ctx, name);
}

static int receive(struct http_request *req, struct http_response *res, const char *platform,
                   struct error *err)
{
    struct app *app = req->app;
    if (!app->chat)
        return error_set(err, ERR_UNAVAILABLE, "the assistant is starting");
    struct chat_http_in in = {.platform = platform, .method = req->method, .body = req->body,
                              .body_len = req->body_len, .token = http_request_param(req, "token"),
                              .header = header_of, .query = query_of, .ctx = req};
    struct chat_http_out out = {0};
    buf_init(&out.body, 1 << 16);
    int rc = chat_receive(app->chat, &in, &out, err);
    if (out.tenant_id[0])
        http_set_tenant(req, out.tenant_id);
    if (rc == 0)
        rc = http_respond_text(res, out.status, out.content_type, out.body.data ? out.body.data : "",
                               out.body.len, err);
    else if (err->code == ERR_INVALID_SIGNATURE || err->code == ERR_INVALID_PAYLOAD)
        http_response_add_header(res, "X-Slack-No-Retry", "1"); /* asking again will not help */
    buf_free(&out.body);
    return rc;
}

int api_chatbot_slack(struct http_request *req, struct http_response *res, struct error *err)
{
    return receive(req, res, "slack", err);
}

int api_chatbot_telegram(struct http_request *req, struct http_response *res, struct error *err)
{
    return receive(req, res, "telegram", err);
}

int api_chatbot_whatsapp(struct http_request *req, struct http_response *res, struct error *err)
{
    return receive(req, res, "whatsapp", err);
}

int api_chatbot_link_create(struct http_request *req, struct http_response *res,
                            struct error *err)
{
    struct app *app = req->app;
    json_t *out = NULL;
    if (req->body_len) {
        json_t *body = json_parse_body(req->body, req->body_len, err);
        static const char *const none[] = {NULL};
        int ok = body && json_only_members(body, none, err) == 0;
        json_decref(body);
        if (!ok)
            return -1;
    }
    if (!app->chat)
        return error_set(err, ERR_UNAVAILABLE, "the assistant is starting");
    if (chat_link_code_new(app->chat, req->principal->tenant_id, &out, err) < 0)
        return -1;
    return http_respond_json(res, 201, out, err);
}

int api_chatbot_links_list(struct http_request *req, struct http_response *res,
                           struct error *err)
{
    struct app *app = req->app;
    json_t *rows = json_array();
    if (!rows)
        return error_set(err, ERR_INTERNAL, "out of memory");
    if (store_chat_links_list(app->store, req->principal->tenant_id, rows, err) < 0) {
        json_decref(rows);
        return -1;
    }
    return http_respond_json(res, 200, json_pack("{so}", "links", rows), err);
}

int api_chatbot_link_delete(struct http_request *req, struct http_response *res,
                            struct error *err)
{
    struct app *app = req->app;
    if (store_chat_link_delete(app->store, req->principal->tenant_id,
                               http_request_param(req, "id"), err) < 0)
        return -1;
    return http_respond_empty(res, 204);
}

int api_chatbot_messages(struct http_request *req, struct http_response *res, struct error *err)
{
    struct app *app = req->app;
    json_t *rows = json_array();
    if (!rows)
        return error_set(err, ERR_INTERNAL, "out of memory");
    if (store_chat_messages_list(app->store, req->principal->tenant_id, 100, rows, err) < 0) {
        json_decref(rows);
        return -1;
    }
    return http_respond_json(res, 200, json_pack("{so}", "messages", rows), err);
}
