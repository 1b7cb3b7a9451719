/* store/chat.h - the assistant's own tables (q_chat.c): routes from a platform's ids to an
 * install, linked users and their one-time codes, the refusals, and the queue of received
 * messages with their replies. Conventions as in store/store.h. */
#ifndef CONNECTORD_STORE_CHAT_H
#define CONNECTORD_STORE_CHAT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/clock.h"
#include "core/error.h"
#include "crypto/crypto.h"

struct store;

#define CHAT_PLATFORM_MAX 16
#define CHAT_REF_MAX 160  /* a platform's ids: message, chat, user, file */
#define CHAT_NAME_MAX 201

/* ---- routes --------------------------------------------------------------------------- */

/* Points (platform, key) at the install, replacing what it pointed at. */
int store_chat_route_set(struct store *s, const char *platform, const char *key,
                         const char *tenant_id, const char *install_id, struct error *err);
/* ERR_NOT_FOUND when no install has that key. */
int store_chat_route_find(struct store *s, const char *platform, const char *key,
                          char tenant_id[CRYPTO_ID_MAX], char install_id[CRYPTO_ID_MAX],
                          struct error *err);

/* Calls fn with (tenant, install) of each route of a platform until it returns non-zero. */
int store_chat_routes_each(struct store *s, const char *platform,
                           int (*fn)(void *ctx, const char *tenant_id, const char *install_id),
                           void *ctx, struct error *err);

/* ---- links ---------------------------------------------------------------------------- */

struct chat_link {
    char id[CRYPTO_ID_MAX];
    char pending_document_id[CRYPTO_ID_MAX]; /* a receipt awaiting "ok", or "" */
};

/* *found false when the user is not linked. */
int store_chat_link_find(struct store *s, const char *tenant_id, const char *platform,
                         const char *user_id, struct chat_link *out, bool *found,
                         struct error *err);
int store_chat_code_insert(struct store *s, const char *tenant_id, const char *code_hash,
                           const char *expires_at, struct error *err);
/* Uses the tenant's code once (unused, not expired at now) and links the user in the same
 * transaction; ERR_NOT_FOUND when the code cannot be used. A user linked already keeps
 * the link (and the code is spent). */
int store_chat_code_use(struct store *s, const char *tenant_id, const char *code_hash,
                        const char *platform, const char *user_id, const char *user_name,
                        const char *now, struct error *err);
/* The tenant's links, newest first: {id, platform, userId, userName, createdAt}. */
int store_chat_links_list(struct store *s, const char *tenant_id, json_t *rows,
                          struct error *err);
/* ERR_NOT_FOUND for an unknown id (or another tenant's). */
int store_chat_link_delete(struct store *s, const char *tenant_id, const char *id,
                           struct error *err);
/* document_id NULL: none awaits. */
int store_chat_link_pending(struct store *s, const char *tenant_id, const char *link_id,
                            const char *document_id, struct error *err);
/* Records the refusal of an unknown user; *first is true only the first time. */
int store_chat_refusal_claim(struct store *s, const char *tenant_id, const char *platform,
                             const char *user_id, bool *first, struct error *err);

/* ---- the message queue ---------------------------------------------------------------- */

struct chat_message {
    char id[CRYPTO_ID_MAX];
    char tenant_id[CRYPTO_ID_MAX];
    char install_id[CRYPTO_ID_MAX];
    char platform[CHAT_PLATFORM_MAX];
    char message_id[CHAT_REF_MAX];
    char chat_id[CHAT_REF_MAX];
    char user_id[CHAT_REF_MAX];
    char user_name[CHAT_NAME_MAX];
    char thread[CHAT_REF_MAX]; /* Slack's ts to reply in thread, Telegram's message id, or "" */
    char *text;                /* owned; NULL when none */
    char file_id[CHAT_REF_MAX * 4]; /* a file to fetch (id or URL), or "" */
    char file_mime[128];
    char file_name[256];
    int64_t attempts;
    char *reply; /* owned; the reply once computed, else NULL */
};
void store_chat_message_clear(struct chat_message *m);

/* Queues a received message; *inserted false when the platform delivered it before (the
 * unique key (install_id, message_id)). Fills m->id when empty. */
int store_chat_message_insert(struct store *s, struct chat_message *m, bool *inserted,
                              struct error *err);
/* Claims the next due message for lease_ms; *found false when none is due. */
int store_chat_message_claim(struct store *s, int64_t now_ms, int64_t lease_ms,
                             struct chat_message *out, bool *found, struct error *err);
/* Keeps the reply computed for a claimed message (sent by this and any later attempt). */
int store_chat_message_set_reply(struct store *s, const char *id, const char *reply,
                                 struct error *err);
/* Ends an attempt: status "sent", "failed" or "ignored" (no reply is due), or "pending"
 * again with next_attempt_ms; error may be NULL. */
int store_chat_message_finish(struct store *s, const char *id, const char *status,
                              const char *error_text, int64_t next_attempt_ms,
                              struct error *err);
/* The tenant's messages, newest first (for operators and the tests):
 * {id, platform, messageId, userId, status, attempts, reply, error}. */
int store_chat_messages_list(struct store *s, const char *tenant_id, int limit, json_t *rows,
                             struct error *err);

#endif
