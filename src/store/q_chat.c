/* store/q_chat.c - the assistant's tables (store/chat.h).
 *
 * "Answered once" rests on chat_messages' unique key: a second delivery of one message is
 * an INSERT that conflicts and inserts nothing. A message is claimed with one conditional
 * UPDATE (its lease ran out, it is still pending), so of several processes exactly one
 * gets it, on SQLite and PostgreSQL alike. A link code is spent by one conditional UPDATE
 * in the transaction that links the user. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/chat.h"
#include "store/store_int.h"

static void now_text(char out[CLOCK_RFC3339_LEN])
{
    clock_format_rfc3339(clock_now_ms(), out);
}

static json_t *text_json(const struct store_row *row, int col)
{
    const char *t = row->driver->row_text(row, col);
    return t ? json_string(t) : json_null();
}

/* ---- routes --------------------------------------------------------------------------- */

int store_chat_route_set(struct store *s, const char *platform, const char *key,
                         const char *tenant_id, const char *install_id, struct error *err)
{
    char now[CLOCK_RFC3339_LEN];
    now_text(now);
    struct store_param p[] = {P_TEXT(platform), P_TEXT(key), P_TEXT(tenant_id),
                              P_TEXT(install_id), P_TEXT(now)};
    return store_run(s,
                     "INSERT INTO chat_routes (platform, route_key, tenant_id, install_id, created_at)"
                     " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (platform, route_key) DO UPDATE"
                     " SET tenant_id = excluded.tenant_id, install_id = excluded.install_id,"
                     " created_at = excluded.created_at",
                     p, N_PARAMS(p), NULL, NULL, NULL, err);
}

struct route_out {
    char *tenant, *install;
    bool found, failed;
};

static int route_row(void *ctx, const struct store_row *row)
{
    struct route_out *r = ctx;
    r->found = true;
    if (store_row_copy(row, 0, r->tenant, CRYPTO_ID_MAX) < 0 ||
        store_row_copy(row, 1, r->install, CRYPTO_ID_MAX) < 0)
        r->failed = true;
    return 1;
}

int store_chat_route_find(struct store *s, const char *platform, const char *key,
                          char tenant_id[CRYPTO_ID_MAX], char install_id[CRYPTO_ID_MAX],
                          struct error *err)
{
    struct store_param p[] = {P_TEXT(platform), P_TEXT(key)};
    struct route_out r = {.tenant = tenant_id, .install = install_id};
    if (store_run(s,
                  "SELECT tenant_id, install_id FROM chat_routes WHERE platform = $1 AND route_key = $2",
                  p, N_PARAMS(p), route_row, &r, NULL, err) < 0)
        return -1;
    if (r.failed)
        return error_set(err, ERR_STORE, "cannot read a chat route");
    return r.found ? 0 : error_set(err, ERR_NOT_FOUND, "no install for this %s account", platform);
}

struct routes_each {
    int (*fn)(void *ctx, const char *tenant_id, const char *install_id);
    void *ctx;
    char (*ids)[2][CRYPTO_ID_MAX];
    size_t n, cap;
    bool failed;
};

static int routes_row(void *ctx, const struct store_row *row)
{
    struct routes_each *r = ctx;
    if (r->n == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 8;
        void *grown = realloc(r->ids, cap * sizeof *r->ids);
        if (!grown) {
            r->failed = true;
            return 1;
        }
        r->ids = grown;
        r->cap = cap;
    }
    store_row_copy(row, 0, r->ids[r->n][0], CRYPTO_ID_MAX);
    store_row_copy(row, 1, r->ids[r->n][1], CRYPTO_ID_MAX);
    r->n++;
    return 0;
}

/* The rows are gathered first: fn reads the store, and must not run inside this query. */
int store_chat_routes_each(struct store *s, const char *platform,
                           int (*fn)(void *ctx, const char *tenant_id, const char *install_id),
                           void *ctx, struct error *err)
{
    struct store_param p[] = {P_TEXT(platform)};
    struct routes_each r = {.fn = fn, .ctx = ctx};
    int rc = store_run(s,
                       "SELECT DISTINCT tenant_id, install_id FROM chat_routes WHERE platform = $1"
                       " ORDER BY install_id",
                       p, N_PARAMS(p), routes_row, &r, NULL, err);
    if (rc == 0 && r.failed)
        rc = error_set(err, ERR_INTERNAL, "out of memory");
    for (size_t i = 0; rc == 0 && i < r.n; i++)
        if (fn(ctx, r.ids[i][0], r.ids[i][1]))
            break;
    free(r.ids);
    return rc;
}

/* ---- links ---------------------------------------------------------------------------- */

struct link_out {
    struct chat_link *out;
    bool found;
};

static int link_row(void *ctx, const struct store_row *row)
{
    struct link_out *l = ctx;
    l->found = true;
    store_row_copy(row, 0, l->out->id, sizeof l->out->id);
    store_row_copy(row, 1, l->out->pending_document_id, sizeof l->out->pending_document_id);
    return 1;
}

int store_chat_link_find(struct store *s, const char *tenant_id, const char *platform,
                         const char *user_id, struct chat_link *out, bool *found,
                         struct error *err)
{
    struct store_param p[] = {P_TEXT(tenant_id), P_TEXT(platform), P_TEXT(user_id)};
    struct link_out l = {.out = out};
    memset(out, 0, sizeof *out);
    int rc = store_run(s,
                       "SELECT id, pending_document_id FROM chat_links"
                       " WHERE tenant_id = $1 AND platform = $2 AND user_id = $3",
                       p, N_PARAMS(p), link_row, &l, NULL, err);
    *found = l.found;
    return rc;
}

int store_chat_code_insert(struct store *s, const char *tenant_id, const char *code_hash,
                           const char *expires_at, struct error *err)
{
    char now[CLOCK_RFC3339_LEN];
    now_text(now);
    struct store_param p[] = {P_TEXT(code_hash), P_TEXT(tenant_id), P_TEXT(now),
                              P_TEXT(expires_at)};
    return store_run(s,
                     "INSERT INTO chat_link_codes (code_hash, tenant_id, created_at, expires_at)"
                     " VALUES ($1, $2, $3, $4)",
                     p, N_PARAMS(p), NULL, NULL, NULL, err);
}

int store_chat_code_use(struct store *s, const char *tenant_id, const char *code_hash,
                        const char *platform, const char *user_id, const char *user_name,
                        const char *now, struct error *err)
{
    struct store_tx *tx = NULL;
    int64_t spent = 0;
    char id[CRYPTO_ID_MAX];
    if (crypto_id_new("lnk_", id) < 0)
        return error_set(err, ERR_INTERNAL, "no randomness available");
    struct store_param use[] = {P_TEXT(code_hash), P_TEXT(tenant_id), P_TEXT(now)};
    struct store_param link[] = {P_TEXT(id), P_TEXT(tenant_id), P_TEXT(platform),
                                 P_TEXT(user_id), P_TEXT(user_name), P_TEXT(now)};
    if (store_tx_begin(s, &tx, err) < 0)
        return -1;
    if (store_tx_query(tx,
                       "UPDATE chat_link_codes SET used_at = $3 WHERE code_hash = $1"
                       " AND tenant_id = $2 AND used_at IS NULL AND expires_at > $3",
                       use, N_PARAMS(use), NULL, NULL, &spent, err) < 0)
        goto fail;
    if (spent != 1) {
        error_set(err, ERR_NOT_FOUND, "the code is unknown, used or expired");
        goto fail;
    }
    if (store_tx_query(tx,
                       "INSERT INTO chat_links (id, tenant_id, platform, user_id, user_name, created_at)"
                       " VALUES ($1, $2, $3, $4, $5, $6)"
                       " ON CONFLICT (tenant_id, platform, user_id) DO NOTHING",
                       link, N_PARAMS(link), NULL, NULL, NULL, err) < 0)
        goto fail;
    return store_tx_commit(tx, err);
fail:
    store_tx_rollback(tx);
    return -1;
}

static int links_row(void *ctx, const struct store_row *row)
{
    json_t *obj = json_object();
    json_object_set_new(obj, "id", text_json(row, 0));
    json_object_set_new(obj, "platform", text_json(row, 1));
    json_object_set_new(obj, "userId", text_json(row, 2));
    json_object_set_new(obj, "userName", text_json(row, 3));
    json_object_set_new(obj, "createdAt", text_json(row, 4));
    return json_array_append_new(ctx, obj) < 0 ? 1 : 0;
}

int store_chat_links_list(struct store *s, const char *tenant_id, json_t *rows,
                          struct error *err)
{
    struct store_param p[] = {P_TEXT(tenant_id)};
    return store_run(s,
                     "SELECT id, platform, user_id, user_name, created_at FROM chat_links"
                     " WHERE tenant_id = $1 ORDER BY id DESC",
                     p, N_PARAMS(p), links_row, rows, NULL, err);
}

int store_chat_link_delete(struct store *s, const char *tenant_id, const char *id,
                           struct error *err)
{
    struct store_param p[] = {P_TEXT(tenant_id), P_TEXT(id)};
    int64_t changes = 0;
    if (store_run(s, "DELETE FROM chat_links WHERE tenant_id = $1 AND id = $2", p, N_PARAMS(p),
                  NULL, NULL, &changes, err) < 0)
        return -1;
    return changes ? 0 : error_set(err, ERR_NOT_FOUND, "no link %s", id);
}

int store_chat_link_pending(struct store *s, const char *tenant_id, const char *link_id,
                            const char *document_id, struct error *err)
{
    struct store_param p[] = {P_TEXT(tenant_id), P_TEXT(link_id), P_TEXT(document_id)};
    return store_run(s,
                     "UPDATE chat_links SET pending_document_id = $3 WHERE tenant_id = $1 AND id = $2",
                     p, N_PARAMS(p), NULL, NULL, NULL, err);
}

int store_chat_refusal_claim(struct store *s, const char *tenant_id, const char *platform,
                             const char *user_id, bool *first, struct error *err)
{
    char now[CLOCK_RFC3339_LEN];
    now_text(now);
    struct store_param p[] = {P_TEXT(tenant_id), P_TEXT(platform), P_TEXT(user_id), P_TEXT(now)};
    int64_t changes = 0;
    int rc = store_run(s,
                       "INSERT INTO chat_refusals (tenant_id, platform, user_id, created_at)"
                       " VALUES ($1, $2, $3, $4)"
                       " ON CONFLICT (tenant_id, platform, user_id) DO NOTHING",
                       p, N_PARAMS(p), NULL, NULL, &changes, err);
    *first = rc == 0 && changes == 1;
    return rc;
}

/* ---- the message queue ---------------------------------------------------------------- */

void store_chat_message_clear(struct chat_message *m)
{
    free(m->text);
    free(m->reply);
    m->text = m->reply = NULL;
}

static const char *or_null(const char *s)
{
    return s && s[0] ? s : NULL;
}

int store_chat_message_insert(struct store *s, struct chat_message *m, bool *inserted,
                              struct error *err)
{
    char now[CLOCK_RFC3339_LEN];
    now_text(now);
    if (!m->id[0] && crypto_id_new("msg_", m->id) < 0)
        return error_set(err, ERR_INTERNAL, "no randomness available");
    struct store_param p[] = {
        P_TEXT(m->id),           P_TEXT(m->tenant_id),         P_TEXT(m->install_id),
        P_TEXT(m->platform),     P_TEXT(m->message_id),        P_TEXT(m->chat_id),
        P_TEXT(m->user_id),      P_TEXT(or_null(m->user_name)), P_TEXT(or_null(m->thread)),
        P_TEXT(m->text),         P_TEXT(or_null(m->file_id)),  P_TEXT(or_null(m->file_mime)),
        P_TEXT(or_null(m->file_name)), P_INT(clock_now_ms()),  P_TEXT(now)};
    int64_t changes = 0;
    int rc = store_run(s,
                       "INSERT INTO chat_messages (id, tenant_id, install_id, platform, message_id,"
                       " chat_id, user_id, user_name, thread, body, file_id, file_mime, file_name,"
                       " status, next_attempt_ms, created_at, updated_at) VALUES ($1, $2, $3, $4,"
                       " $5, $6, $7, $8, $9, $10, $11, $12, $13, 'pending', $14, $15, $15)"
                       " ON CONFLICT (install_id, message_id) DO NOTHING",
                       p, N_PARAMS(p), NULL, NULL, &changes, err);
    *inserted = rc == 0 && changes == 1;
    return rc;
}

static int due_row(void *ctx, const struct store_row *row)
{
    store_row_copy(row, 0, ctx, CRYPTO_ID_MAX);
    return 1;
}

static char *dup_or_null(const struct store_row *row, int col)
{
    const char *t = row->driver->row_text(row, col);
    return t ? strdup(t) : NULL;
}

static int message_row(void *ctx, const struct store_row *row)
{
    struct chat_message *m = ctx;
    store_row_copy(row, 0, m->id, sizeof m->id);
    store_row_copy(row, 1, m->tenant_id, sizeof m->tenant_id);
    store_row_copy(row, 2, m->install_id, sizeof m->install_id);
    store_row_copy(row, 3, m->platform, sizeof m->platform);
    store_row_copy(row, 4, m->message_id, sizeof m->message_id);
    store_row_copy(row, 5, m->chat_id, sizeof m->chat_id);
    store_row_copy(row, 6, m->user_id, sizeof m->user_id);
    store_row_copy(row, 7, m->user_name, sizeof m->user_name);
    store_row_copy(row, 8, m->thread, sizeof m->thread);
    m->text = dup_or_null(row, 9);
    store_row_copy(row, 10, m->file_id, sizeof m->file_id);
    store_row_copy(row, 11, m->file_mime, sizeof m->file_mime);
    store_row_copy(row, 12, m->file_name, sizeof m->file_name);
    m->attempts = store_row_int(row, 13);
    m->reply = dup_or_null(row, 14);
    return 1;
}

int store_chat_message_claim(struct store *s, int64_t now_ms, int64_t lease_ms,
                             struct chat_message *out, bool *found, struct error *err)
{
    char id[CRYPTO_ID_MAX] = "";
    struct store_param due[] = {P_INT(now_ms)};
    memset(out, 0, sizeof *out);
    *found = false;
    if (store_run(s,
                  "SELECT id FROM chat_messages WHERE status = 'pending' AND next_attempt_ms <= $1"
                  " AND lease_until_ms <= $1 ORDER BY next_attempt_ms, id LIMIT 1",
                  due, N_PARAMS(due), due_row, id, NULL, err) < 0)
        return -1;
    if (!id[0])
        return 0;
    struct store_param claim[] = {P_TEXT(id), P_INT(now_ms), P_INT(now_ms + lease_ms)};
    int64_t changes = 0;
    if (store_run(s,
                  "UPDATE chat_messages SET lease_until_ms = $3, attempts = attempts + 1"
                  " WHERE id = $1 AND status = 'pending' AND lease_until_ms <= $2",
                  claim, N_PARAMS(claim), NULL, NULL, &changes, err) < 0)
        return -1;
    if (changes != 1)
        return 0; /* another process took it */
    struct store_param one[] = {P_TEXT(id)};
    if (store_run(s,
                  "SELECT id, tenant_id, install_id, platform, message_id, chat_id, user_id,"
                  " user_name, thread, body, file_id, file_mime, file_name, attempts, reply"
                  " FROM chat_messages WHERE id = $1",
                  one, N_PARAMS(one), message_row, out, NULL, err) < 0) {
        store_chat_message_clear(out);
        return -1;
    }
    *found = out->id[0] != '\0';
    return 0;
}

int store_chat_message_set_reply(struct store *s, const char *id, const char *reply,
                                 struct error *err)
{
    char now[CLOCK_RFC3339_LEN];
    now_text(now);
    struct store_param p[] = {P_TEXT(id), P_TEXT(reply), P_TEXT(now)};
    return store_run(s, "UPDATE chat_messages SET reply = $2, updated_at = $3 WHERE id = $1", p,
                     N_PARAMS(p), NULL, NULL, NULL, err);
}

int store_chat_message_finish(struct store *s, const char *id, const char *status,
                              const char *error_text, int64_t next_attempt_ms,
                              struct error *err)
{
    char now[CLOCK_RFC3339_LEN];
    now_text(now);
    struct store_param p[] = {P_TEXT(id), P_TEXT(status), P_TEXT(error_text),
                              P_INT(next_attempt_ms), P_TEXT(now)};
    return store_run(s,
                     "UPDATE chat_messages SET status = $2, error = $3, next_attempt_ms = $4,"
                     " lease_until_ms = 0, updated_at = $5 WHERE id = $1",
                     p, N_PARAMS(p), NULL, NULL, NULL, err);
}

static int list_row(void *ctx, const struct store_row *row)
{
    json_t *obj = json_object();
    json_object_set_new(obj, "id", text_json(row, 0));
    json_object_set_new(obj, "platform", text_json(row, 1));
    json_object_set_new(obj, "messageId", text_json(row, 2));
    json_object_set_new(obj, "userId", text_json(row, 3));
    json_object_set_new(obj, "status", text_json(row, 4));
    json_object_set_new(obj, "attempts", json_integer(store_row_int(row, 5)));
    json_object_set_new(obj, "reply", text_json(row, 6));
    json_object_set_new(obj, "error", text_json(row, 7));
    json_object_set_new(obj, "createdAt", text_json(row, 8));
    return json_array_append_new(ctx, obj) < 0 ? 1 : 0;
}

int store_chat_messages_list(struct store *s, const char *tenant_id, int limit, json_t *rows,
                             struct error *err)
{
    struct store_param p[] = {P_TEXT(tenant_id), P_INT(limit)};
    return store_run(s,
                     "SELECT id, platform, message_id, user_id, status, attempts, reply, error,"
                     " created_at FROM chat_messages WHERE tenant_id = $1 ORDER BY id DESC LIMIT $2",
                     p, N_PARAMS(p), list_row, rows, NULL, err);
}
