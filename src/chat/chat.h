/* chat/chat.h - the accounting assistant on Slack, Telegram and WhatsApp.
 *
 * A platform's request is verified against its install's secrets, its message queued once
 * (the store's unique key on the platform's message id) and acknowledged at once; a worker
 * thread answers from the queue: linking (/link CODE), one polite refusal for people not
 * linked, questions understood by a small deterministic grammar in German and English (and,
 * when the operator configured one, a chat-completions model whose every figure must come
 * from a query's result), receipts into the document store. Replies go out through the
 * platform's API, retried with backoff. */
#ifndef CONNECTORD_CHAT_H
#define CONNECTORD_CHAT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "core/error.h"
#include "crypto/crypto.h"

struct store;
struct install;

struct chat_config {
    struct store *store;
    const unsigned char *master_key; /* CRYPTO_KEY_LEN bytes, kept by the caller */
    const char *public_url;          /* "https://books.example.com" (copied) */
    bool allow_private;              /* outbound calls may reach loopback (tests, dev) */
    /* An OpenAI-compatible chat-completions endpoint; all NULL: none (nothing leaves). */
    const char *llm_url;   /* ".../v1/chat/completions" */
    const char *llm_model;
    const char *llm_key;
};

struct chat;

/* Starts the worker that answers queued messages. */
int chat_start(const struct chat_config *cfg, struct chat **out, struct error *err);
void chat_stop(struct chat *c); /* NULL: no-op */

/* One platform request as the HTTP layer hands it over. */
struct chat_http_in {
    const char *platform; /* "slack", "telegram", "whatsapp" (the path's) */
    const char *method;   /* "GET", "POST" */
    const char *body;
    size_t body_len;
    const char *token; /* the path's token (Telegram), or NULL */
    const char *(*header)(void *ctx, const char *name);
    const char *(*query)(void *ctx, const char *name);
    void *ctx;
};

/* What to answer: status, content type (static) and body. */
struct chat_http_out {
    int status;
    const char *content_type;
    struct buf body;                     /* the caller frees */
    char tenant_id[CRYPTO_ID_MAX];       /* for the access log, or "" */
};

/* Verifies, reads and queues one request. -1 with err for what the HTTP layer answers as
 * an error: ERR_NOT_FOUND (no such platform or install), ERR_INVALID_SIGNATURE (bad or
 * stale signature), ERR_FORBIDDEN (a handshake with the wrong token), ERR_INVALID_PAYLOAD. */
int chat_receive(struct chat *c, const struct chat_http_in *in, struct chat_http_out *out,
                 struct error *err);

/* Whether the catalog slug is one of the assistant's platforms. */
bool chat_is_platform_slug(const char *slug);
/* After an install of an assistant connector was made or changed: records how requests
 * find it and registers its webhook with the platform where that is done by API
 * (Telegram's setWebhook, when the public URL is HTTPS). */
int chat_install_ready(struct chat *c, const struct install *in, struct error *err);
/* The URL the platform posts to for this install (caller frees), or NULL (err set). */
char *chat_webhook_url(struct chat *c, const struct install *in, struct error *err);

/* A new one-time link code for the tenant: {"code", "expiresAt", "howTo"} (the caller's). */
int chat_link_code_new(struct chat *c, const char *tenant_id, json_t **out, struct error *err);

#endif
