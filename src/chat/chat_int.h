/* chat/chat_int.h - private to chat/: the platform interface, the loaded install, the
 * grammar and the answers. */
#ifndef CONNECTORD_CHAT_INT_H
#define CONNECTORD_CHAT_INT_H

#include <pthread.h>
#include <stdint.h>

#include "chat/chat.h"
#include "store/chat.h"
#include "store/installs.h"

struct chat {
    struct store *store;
    unsigned char master_key[CRYPTO_KEY_LEN];
    char *public_url;
    bool allow_private;
    char *llm_url, *llm_model, *llm_key; /* NULL: no model */
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stop, woken, started;
};

/* An install as a platform uses it: its row, config and sealed secrets. */
struct chat_install {
    struct install in;
    json_t *config;
    json_t *secrets;
    char base_url[512]; /* apiBaseUrl, or the platform's default; no trailing slash */
    const struct chat *chat;
};
void chat_install_free(struct chat_install *ci);
/* Loads the tenant's install by id (ERR_NOT_FOUND when gone or turned off). */
int chat_install_load(struct chat *c, const char *tenant_id, const char *install_id,
                      const char *default_base, struct chat_install *out, struct error *err);
/* A secret setting's plain text into out (wiped and freed by the caller with buf_free). */
int chat_install_secret(const struct chat_install *ci, const char *key, struct buf *out,
                        struct error *err);
const char *chat_install_setting(const struct chat_install *ci, const char *key);

/* One HTTP call to a platform's API: JSON body (may be NULL for GET), Bearer token (may be
 * NULL); the answer's body into resp (caller frees). ERR_SERVICE_FAILED when the platform
 * answered other than 2xx, ERR_UNAVAILABLE when it could not be reached. *retry tells
 * whether trying again later may help (429, 5xx, no answer). */
int chat_call(const struct chat *c, const char *method, const char *url, const char *bearer,
              const json_t *body, struct buf *resp, bool *retry, struct error *err);
/* The same to a URL the operator configured (the model): private addresses are allowed, as
 * a model on the operator's own network is the point of configuring one. */
int chat_call_operator(const struct chat *c, const char *url, const char *bearer,
                       const json_t *body, struct buf *resp, bool *retry, struct error *err);

struct chat_platform {
    const char *name;         /* the path's: "slack" */
    const char *slug;         /* the catalog's: "slack-assistant" */
    const char *default_base; /* the API's base URL */
    bool path_token;          /* its webhook URL carries the install's token */
    /* Verifies and reads the request; queues its message(s) and fills the answer. */
    int (*receive)(struct chat *c, const struct chat_http_in *in, struct chat_http_out *out,
                   struct error *err);
    /* Sends text as the reply to m; *retry as in chat_call. */
    int (*send)(const struct chat_install *ci, const struct chat_message *m, const char *text,
                bool *retry, struct error *err);
    /* Downloads m's file into out (at most CHAT_FILE_MAX bytes). */
    int (*fetch)(const struct chat_install *ci, const struct chat_message *m, struct buf *out,
                 bool *retry, struct error *err);
    /* After the install was made or changed (may be NULL). */
    int (*ready)(struct chat *c, const struct chat_install *ci, struct error *err);
};

#define CHAT_FILE_MAX (20u << 20)

extern const struct chat_platform chat_slack, chat_telegram, chat_whatsapp;
const struct chat_platform *chat_platform_named(const char *name);

/* The installs of a platform that a request naming none may be for (Slack's URL check):
 * calls fn for each until it returns non-zero. */
int chat_each_install(struct chat *c, const struct chat_platform *p,
                      int (*fn)(void *ctx, struct chat_install *ci), void *ctx,
                      struct error *err);
/* The install a route points at (ERR_NOT_FOUND when none). */
int chat_install_by_route(struct chat *c, const struct chat_platform *p, const char *route,
                          const char *key, struct chat_install *out, struct error *err);

/* Queues a read message for its install; wakes the worker. *inserted false: a repeat. */
int chat_enqueue(struct chat *c, const struct chat_install *ci, struct chat_message *m,
                 bool *inserted, struct error *err);
void chat_wake(struct chat *c);
void *chat_worker_main(void *arg);

/* The Telegram secret token of an install: derived from the master key and the install id,
 * so nothing more is stored. */
void chat_telegram_secret(const struct chat *c, const char *install_id, char out[65]);

/* ---- understanding (grammar.c) and answering (answer.c) -------------------------------- */

enum chat_lang { CHAT_EN, CHAT_DE };

enum chat_intent {
    CHAT_INTENT_NONE,
    CHAT_INTENT_HELP,
    CHAT_INTENT_LINK,     /* "/link CODE" */
    CHAT_INTENT_CONFIRM,  /* "ok", "passt" */
    CHAT_INTENT_QUERY,    /* one of the read queries */
};

#define CHAT_TEXT_ARG_MAX 128

struct chat_question {
    enum chat_intent intent;
    enum chat_lang lang;
    const char *query;    /* the read query's name (CHAT_INTENT_QUERY) */
    char from[11], to[11]; /* the period, or "" */
    char period_label[64]; /* "March 2026", "im März 2026" as asked */
    char number[CHAT_TEXT_ARG_MAX];
    char party[CHAT_TEXT_ARG_MAX];
    char amount[32];       /* decimal text with '.', or "" */
    char code[CHAT_TEXT_ARG_MAX]; /* CHAT_INTENT_LINK */
};

/* Understands text (UTF-8, any length; only the first CHAT_QUESTION_MAX bytes are read) as
 * of the day `today` (YYYY-MM-DD). Always fills out; intent NONE when nothing matched. */
#define CHAT_QUESTION_MAX 2000
void chat_understand(const char *text, const char *today, struct chat_question *out);

/* The language a text is most likely in. */
enum chat_lang chat_guess_lang(const char *text);

/* The reply to a question from the query's result (caller frees). */
char *chat_answer(const struct chat_question *q, const json_t *result);
/* The help text: what the assistant can answer (caller frees). */
char *chat_help(enum chat_lang lang, bool not_understood);
/* An amount for the locale: "1.234,56 €" / "€1,234.56"; false when the object is no amount. */
bool chat_format_amount(const json_t *amount, enum chat_lang lang, char *out, size_t cap);

/* A linked person's file (receipt.c): fetched from the platform, stored in the document
 * store and read into a draft, which the link keeps for "ok"; the reply says what was read
 * and where to confirm (caller frees). NULL with err (and *retry) on a failure. */
char *chat_receipt(struct chat *c, const struct chat_install *ci, const struct chat_platform *p,
                   const struct chat_message *m, const struct chat_link *link,
                   enum chat_lang lang, bool *retry, struct error *err);
/* "ok" / "passt": books the link's pending draft (caller frees the reply). */
char *chat_receipt_confirm(struct chat *c, const struct chat_message *m,
                           const struct chat_link *link, enum chat_lang lang,
                           struct error *err);

/* Whether every figure in reply is one of the figures in results (any JSON) or question
 * (numbers up to 31 without decimals excepted: list numbers, days, small counts). */
bool chat_llm_grounded(const char *reply, const json_t *results, const char *question);

/* Asks the configured model (llm.c); *reply NULL when it gave no answer that can be sent
 * (a figure not from a query's result, an error): the caller falls back to the grammar's
 * help. */
int chat_llm_answer(struct chat *c, const char *tenant_id, const char *text,
                    enum chat_lang lang, char **reply, struct error *err);

#endif
