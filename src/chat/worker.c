/* chat/worker.c - the thread that answers queued messages (chat.h).
 *
 * It claims one due message at a time (a lease in the store, so several processes share
 * the queue), decides the reply once and keeps it with the message, then sends it; a send
 * that may succeed later (no answer, 429, 5xx) is tried again with growing pauses, the
 * reply unchanged. Deciding: "/link CODE" links the sender; anyone not linked gets one
 * polite refusal and then nothing; a linked person's file becomes a receipt draft, "ok"
 * confirms the last one, a question is answered by the grammar (or, when configured and
 * the grammar did not understand, by the model), and anything else gets the help. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "assistant/queries.h"
#include "chat/chat_int.h"
#include "core/clock.h"
#include "core/log.h"

#define POLL_MS 1000
#define LEASE_MS (2 * 60 * 1000)
#define MAX_ATTEMPTS 6

static const int64_t backoff_ms[] = {2000, 10000, 60000, 300000, 1800000};

static void wait_a_while(struct chat *c)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += POLL_MS / 1000;
    pthread_mutex_lock(&c->mu);
    while (!c->stop && !c->woken)
        if (pthread_cond_timedwait(&c->cv, &c->mu, &until) != 0)
            break;
    c->woken = false;
    pthread_mutex_unlock(&c->mu);
}

static bool stopping(struct chat *c)
{
    pthread_mutex_lock(&c->mu);
    bool stop = c->stop;
    pthread_mutex_unlock(&c->mu);
    return stop;
}

static void today(char out[11])
{
    char now[CLOCK_RFC3339_LEN];
    clock_format_rfc3339(clock_now_ms(), now);
    memcpy(out, now, 10);
    out[10] = '\0';
}

#define T(lang, en, de) ((lang) == CHAT_DE ? (de) : (en))

/* "/link CODE". A code that does not work is answered like the refusal: once per person
 * not linked, then nothing (so guessing codes gets no answers). */
static char *link_reply(struct chat *c, const struct chat_message *m,
                        const struct chat_question *q, bool *ignore, struct error *err)
{
    char hash[2 * CRYPTO_SHA256_LEN + 1], now[CLOCK_RFC3339_LEN];
    struct error use = {0};
    struct chat_link link;
    bool linked = false, first = false;
    crypto_token_hash(q->code, strlen(q->code), hash);
    clock_format_rfc3339(clock_now_ms(), now);
    if (store_chat_code_use(c->store, m->tenant_id, hash, m->platform, m->user_id, m->user_name,
                            now, &use) < 0) {
        if (use.code != ERR_NOT_FOUND) {
            *err = use;
            return NULL;
        }
        if (store_chat_link_find(c->store, m->tenant_id, m->platform, m->user_id, &link, &linked,
                                 err) < 0 ||
            (!linked && store_chat_refusal_claim(c->store, m->tenant_id, m->platform, m->user_id,
                                                 &first, err) < 0))
            return NULL;
        if (!linked && !first) {
            *ignore = true;
            return NULL;
        }
        return strdup(T(q->lang, "This code is unknown, used already or expired. Ask your admin for a new one.",
                        "Dieser Code ist unbekannt, schon verwendet oder abgelaufen. Bitten Sie Ihren Admin um einen neuen."));
    }
    return strdup(T(q->lang, "You are linked. Ask me about your books, e.g. “Which invoices are open?”",
                    "Sie sind verknüpft. Fragen Sie mich zu Ihrer Buchhaltung, z. B. „Welche Rechnungen sind offen?“"));
}

/* The query's arguments from what the grammar read. */
static json_t *query_args(const struct chat_question *q)
{
    json_t *args = json_object();
    if (!args)
        return NULL;
    if (q->from[0])
        json_object_set_new(args, "from", json_string(q->from));
    if (q->to[0])
        json_object_set_new(args, "to", json_string(q->to));
    if (q->number[0])
        json_object_set_new(args, "number", json_string(q->number));
    if (q->party[0])
        json_object_set_new(args, "party", json_string(q->party));
    if (q->amount[0])
        json_object_set_new(args, "amount", json_string(q->amount));
    return args;
}

static char *query_reply(struct chat *c, const struct chat_message *m,
                         const struct chat_question *q, struct error *err)
{
    json_t *args = query_args(q), *res = NULL;
    char *reply = NULL;
    struct error qerr = {0};
    if (!args) {
        error_set(err, ERR_INTERNAL, "out of memory");
        return NULL;
    }
    if (assistant_query_run(c->store, m->tenant_id, q->query, args, &res, &qerr) < 0) {
        if (qerr.code == ERR_VALIDATION || qerr.code == ERR_AMOUNT_OVERFLOW)
            reply = chat_help(q->lang, true);
        else
            *err = qerr;
    } else {
        reply = chat_answer(q, res);
    }
    json_decref(args);
    json_decref(res);
    return reply;
}

/* The reply to m (caller frees), NULL with *ignore when none is due, NULL with err set on a
 * failure worth retrying. */
static char *decide(struct chat *c, const struct chat_install *ci, const struct chat_platform *p,
                    const struct chat_message *m, bool *ignore, bool *retry, struct error *err)
{
    struct chat_question q;
    struct chat_link link;
    bool linked = false, first = false;
    char day[11];
    today(day);
    chat_understand(m->text ? m->text : "", day, &q);
    *ignore = false;
    if (q.intent == CHAT_INTENT_LINK)
        return link_reply(c, m, &q, ignore, err);
    if (store_chat_link_find(c->store, m->tenant_id, m->platform, m->user_id, &link, &linked,
                             err) < 0)
        return NULL;
    if (!linked) {
        if (store_chat_refusal_claim(c->store, m->tenant_id, m->platform, m->user_id, &first,
                                     err) < 0)
            return NULL;
        *ignore = !first;
        return first ? strdup(T(q.lang,
                                "Hello! I only answer people this business has linked. Ask its admin for a link code and send it as “/link CODE”.",
                                "Hallo! Ich antworte nur Personen, die dieses Unternehmen verknüpft hat. Bitten Sie den Admin um einen Code und senden Sie „/link CODE“."))
                     : NULL;
    }
    if (m->file_id[0])
        return chat_receipt(c, ci, p, m, &link, q.lang, retry, err);
    switch (q.intent) {
    case CHAT_INTENT_CONFIRM:
        return chat_receipt_confirm(c, m, &link, q.lang, err);
    case CHAT_INTENT_HELP:
        return chat_help(q.lang, false);
    case CHAT_INTENT_QUERY:
        return query_reply(c, m, &q, err);
    default:
        break;
    }
    if (c->llm_url) {
        char *reply = NULL;
        struct error lerr = {0};
        if (chat_llm_answer(c, m->tenant_id, m->text ? m->text : "", q.lang, &reply, &lerr) < 0)
            log_warn("chat: the model gave no answer: %s", lerr.message);
        if (reply)
            return reply;
    }
    return chat_help(q.lang, true);
}

static void finish(struct chat *c, const struct chat_message *m, const char *status,
                   const char *why, int64_t next_ms)
{
    struct error err = {0};
    if (store_chat_message_finish(c->store, m->id, status, why, next_ms, &err) < 0)
        log_warn("chat: cannot record message %s as %s: %s", m->id, status, err.message);
}

/* A failed attempt: again later when that may help and attempts are left, else failed. */
static void failed(struct chat *c, const struct chat_message *m, bool retry,
                   const struct error *why)
{
    if (retry && m->attempts < MAX_ATTEMPTS) {
        size_t i = (size_t)(m->attempts - 1);
        if (i >= sizeof backoff_ms / sizeof backoff_ms[0])
            i = sizeof backoff_ms / sizeof backoff_ms[0] - 1;
        finish(c, m, "pending", why->message, clock_now_ms() + backoff_ms[i]);
        return;
    }
    log_warn("chat: message %s of %s not answered: %s", m->id, m->platform, why->message);
    finish(c, m, "failed", why->message, clock_now_ms());
}

static void process(struct chat *c, struct chat_message *m)
{
    const struct chat_platform *p = chat_platform_named(m->platform);
    struct chat_install ci;
    struct error err = {0};
    bool retry = false, ignore = false;
    if (!p || chat_install_load(c, m->tenant_id, m->install_id, p->default_base, &ci, &err) < 0) {
        if (!err.code)
            error_set(&err, ERR_NOT_FOUND, "no platform %s", m->platform);
        failed(c, m, false, &err);
        return;
    }
    if (!m->reply) {
        m->reply = decide(c, &ci, p, m, &ignore, &retry, &err);
        if (ignore) {
            finish(c, m, "ignored", NULL, clock_now_ms());
            goto out;
        }
        if (!m->reply) {
            failed(c, m, true, &err);
            goto out;
        }
        if (store_chat_message_set_reply(c->store, m->id, m->reply, &err) < 0) {
            failed(c, m, true, &err);
            goto out;
        }
    }
    if (p->send(&ci, m, m->reply, &retry, &err) < 0)
        failed(c, m, retry, &err);
    else
        finish(c, m, "sent", NULL, clock_now_ms());
out:
    chat_install_free(&ci);
}

void *chat_worker_main(void *arg)
{
    struct chat *c = arg;
    while (!stopping(c)) {
        struct chat_message m;
        struct error err = {0};
        bool found = false;
        if (store_chat_message_claim(c->store, clock_now_ms(), LEASE_MS, &m, &found, &err) < 0)
            log_warn("chat worker: %s", err.message);
        if (found) {
            process(c, &m);
            store_chat_message_clear(&m);
        } else {
            wait_a_while(c);
        }
    }
    return NULL;
}
