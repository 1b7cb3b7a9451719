/* store/q_installs.c - connector installs, destinations and the audit log.
 *
 * Every change and its audit record commit together. The destination limit is checked
 * inside the write transaction, after taking the tenant row's lock (a no-op UPDATE, which
 * is portable: SQLite already serializes writers, PostgreSQL locks the row), so two
 * parallel creates cannot both see room for one more. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/installs.h"
#include "store/store_int.h"

#define INSTALL_COLUMNS                                                                       \
    "id, tenant_id, slug, is_destination, is_active, config, secrets, event_types, "         \
    "webhook_token_sealed, created_at, updated_at, COALESCE(project_id, ''), "            \
    "COALESCE(name, ''), consecutive_failures, COALESCE(paused_until_ms, 0), "                \
    "COALESCE(status_reason, ''), last_success_at, "                                      \
    "last_failure_at, version, COALESCE(manifest_version, 0)"

void store_install_clear(struct install *in)
{
    free(in->config);
    free(in->secrets);
    free(in->event_types);
    free(in->webhook_token_sealed);
    memset(in, 0, sizeof *in);
}

static char *dup_or_null(const struct store_row *row, int col)
{
    const char *t = row->driver->row_text(row, col);
    return t ? strdup(t) : NULL;
}

/* Fills *in from a row; on failure leaves in->id empty. */
static int read_install_row(const struct store_row *row, struct install *in)
{
    if (store_row_copy(row, 0, in->id, sizeof in->id) < 0 ||
        store_row_copy(row, 1, in->tenant_id, sizeof in->tenant_id) < 0 ||
        store_row_copy(row, 2, in->slug, sizeof in->slug) < 0 ||
        store_row_copy(row, 9, in->created_at, sizeof in->created_at) < 0 ||
        store_row_copy(row, 10, in->updated_at, sizeof in->updated_at) < 0)
        goto fail;
    struct install_health *h = &in->health;
    if (store_row_copy(row, 11, in->project_id, sizeof in->project_id) < 0 ||
        store_row_copy(row, 12, in->name, sizeof in->name) < 0 ||
        store_row_copy(row, 15, h->reason, sizeof h->reason) < 0 ||
        store_row_copy(row, 16, h->last_success_at, sizeof h->last_success_at) < 0 ||
        store_row_copy(row, 17, h->last_failure_at, sizeof h->last_failure_at) < 0)
        goto fail;
    h->consecutive_failures = store_row_int(row, 13);
    h->paused_until_ms = store_row_int(row, 14);
    in->version = store_row_int(row, 18);
    in->manifest_version = store_row_int(row, 19);
    in->is_destination = store_row_int(row, 3) != 0;
    in->is_active = store_row_int(row, 4) != 0;
    in->config = strdup(store_row_text(row, 5));
    in->secrets = strdup(store_row_text(row, 6));
    in->event_types = dup_or_null(row, 7);
    in->webhook_token_sealed = dup_or_null(row, 8);
    if (!in->config || !in->secrets)
        goto fail;
    return 0;
fail:
    store_install_clear(in);
    return -1;
}

static int read_one(void *ctx, const struct store_row *row)
{
    read_install_row(row, ctx);
    return 1;
}

/* An audit record and its link in the tenant's audit chain (store/chain.c), inside the
 * caller's open transaction on c. */
static int insert_audit(struct store *s, struct store_conn *c, const char *tenant_id,
                        const struct audit_entry *a, const char *now, struct error *err)
{
    char id[CRYPTO_ID_MAX], hash[STORE_CHAIN_HASH_LEN + 1];
    int64_t seq;
    struct buf body;
    if (crypto_id_new("aud_", id) < 0)
        return error_set(err, ERR_INTERNAL, "no randomness available");
    buf_init(&body, 0);
    int rc = chain_audit_body(&body, id, tenant_id, a->token_id, a->action, a->target,
                              a->fields, now) < 0
                 ? error_set(err, ERR_INTERNAL, "out of memory")
                 : chain_link(s, c, tenant_id, STORE_CHAIN_AUDIT, &body, &seq, hash, err);
    buf_free(&body);
    if (rc < 0)
        return -1;
    struct store_param p[] = {P_TEXT(id),        P_TEXT(tenant_id), P_TEXT(a->token_id),
                              P_TEXT(a->action), P_TEXT(a->target), P_TEXT(a->fields),
                              P_TEXT(now),       P_INT(seq),        P_TEXT(hash)};
    return store_query(s, c,
                       "INSERT INTO audit_log (id, tenant_id, token_id, action, target, fields, "
                       "created_at, chain_seq, chain_hash) "
                       "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                       p, N_PARAMS(p), NULL, NULL, NULL, err);
}

/* Tells every process sharing the store that an install changed, when c's transaction
 * commits (store.h's STORE_CHANNEL_INSTALLS). */
static int announce_change(struct store *s, struct store_conn *c, const char *tenant_id,
                           const char *install_id, struct error *err)
{
    char payload[2 * CRYPTO_ID_MAX + 2];
    snprintf(payload, sizeof payload, "%s/%s", tenant_id, install_id);
    return store_notify_on(s, c, STORE_CHANNEL_INSTALLS, payload, err);
}

static int read_int(void *ctx, const struct store_row *row)
{
    *(int64_t *)ctx = store_row_int(row, 0);
    return 1;
}

int store_install_insert(struct store *s, struct install *in, const char *webhook_token_hash,
                         int max_destinations, const struct audit_entry *audit,
                         struct error *err)
{
    if (!in->id[0] && crypto_id_new("con_", in->id) < 0)
        return error_set(err, ERR_INTERNAL, "no randomness available");
    clock_format_rfc3339(clock_now_ms(), in->created_at);
    memcpy(in->updated_at, in->created_at, sizeof in->updated_at);

    struct store_conn *c = store_acquire(s);
    struct store_param lock[] = {P_TEXT(in->tenant_id)};
    int64_t existing = 0, locked = 0;
    int rc = store_begin(s, c, err);
    if (rc == 0)
        rc = store_query(s, c, "UPDATE tenants SET id = id WHERE id = $1", lock, 1, NULL, NULL,
                         &locked, err);
    if (rc == 0 && locked == 0)
        rc = error_set(err, ERR_NOT_FOUND, "tenant not found");
    if (rc == 0 && in->is_destination && max_destinations >= 0) {
        rc = store_query(s, c,
                         "SELECT COUNT(*) FROM connector_installs "
                         "WHERE tenant_id = $1 AND is_destination = 1",
                         lock, 1, read_int, &existing, NULL, err);
        if (rc == 0 && existing >= max_destinations)
            rc = error_set(err, ERR_LIMIT_REACHED,
                           "the plan allows %d destination connector(s); this tenant has %lld",
                           max_destinations, (long long)existing);
    }
    struct store_param p[] = {
        P_TEXT(in->id),          P_TEXT(in->tenant_id),   P_TEXT(in->slug),
        P_INT(in->is_destination), P_INT(in->is_active), P_TEXT(in->config),
        P_TEXT(in->secrets),     P_TEXT(in->event_types), P_TEXT(webhook_token_hash),
        P_TEXT(in->webhook_token_sealed), P_TEXT(in->created_at),
        P_TEXT(in->project_id[0] ? in->project_id : NULL), P_TEXT(in->name[0] ? in->name : NULL),
        in->manifest_version ? P_INT(in->manifest_version) : P_TEXT(NULL),
    };
    if (rc == 0)
        rc = store_query(s, c,
                         "INSERT INTO connector_installs (id, tenant_id, slug, is_destination, "
                         "is_active, config, secrets, event_types, webhook_token_hash, "
                         "webhook_token_sealed, created_at, updated_at, project_id, name, "
                         "manifest_version) "
                         "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $12, $13, "
                         "$14)",
                         p, N_PARAMS(p), NULL, NULL, NULL, err);
    if (rc < 0 && err && err->code == ERR_CONFLICT)
        error_set(err, ERR_CONFLICT, "connector %s is already installed", in->slug);
    if (rc == 0)
        rc = insert_audit(s, c, in->tenant_id, audit, in->created_at, err);
    return store_end(s, c, rc, err);
}

int store_install_get_slug(struct store *s, const char *tenant_id, const char *slug,
                           struct install *out, struct error *err)
{
    struct store_param p[] = {P_TEXT(tenant_id), P_TEXT(slug)};
    memset(out, 0, sizeof *out);
    if (store_run(s,
                  "SELECT " INSTALL_COLUMNS " FROM connector_installs "
                  "WHERE tenant_id = $1 AND slug = $2 AND is_destination = 0",
                  p, N_PARAMS(p), read_one, out, NULL, err) < 0)
        return -1;
    return out->id[0] ? 0 : error_set(err, ERR_NOT_FOUND, "connector %s is not installed", slug);
}

int store_install_by_token(struct store *s, const char *token_hash, struct install *out,
                           struct error *err)
{
    struct store_param p[] = {P_TEXT(token_hash)};
    memset(out, 0, sizeof *out);
    if (store_run(s,
                  "SELECT " INSTALL_COLUMNS " FROM connector_installs "
                  "WHERE webhook_token_hash = $1 AND is_destination = 0",
                  p, N_PARAMS(p), read_one, out, NULL, err) < 0)
        return -1;
    return out->id[0] ? 0 : error_set(err, ERR_NOT_FOUND, "unknown webhook token");
}

static int read_check(void *ctx, const struct store_row *row)
{
    int64_t *v = ctx;
    v[0] = store_row_int(row, 0);
    v[1] = store_row_int(row, 1);
    v[2] = store_row_int(row, 2);
    return 1;
}

int store_install_check(struct store_tx *tx, const struct install *in, const char *token_hash,
                        const char *settings_at, struct error *err)
{
    /* version (-1: no row), is_active, and the tenant's settings rows as read (1) or, never
     * saved when read, any (0) */
    int64_t found[3] = {-1, 0, 0};
    struct store_param p[] = {P_TEXT(in->id), P_TEXT(token_hash),
                              P_TEXT(settings_at ? settings_at : "")};
    /* Where every change of settings moves the count the processes share, a reading of
     * them cannot be stale: only the install is read. */
    bool settings = settings_at && !store_counts_changes(store_tx_store(tx));
    const char *sql =
        !settings ? "SELECT version, is_active, 0 FROM connector_installs "
                    "WHERE id = $1 AND webhook_token_hash = $2"
        : settings_at[0]
            ? "SELECT version, is_active, (SELECT COUNT(*) FROM tenant_settings t "
              "WHERE t.tenant_id = connector_installs.tenant_id AND t.updated_at = $3) "
              "FROM connector_installs WHERE id = $1 AND webhook_token_hash = $2"
            : "SELECT version, is_active, (SELECT COUNT(*) FROM tenant_settings t "
              "WHERE t.tenant_id = connector_installs.tenant_id) "
              "FROM connector_installs WHERE id = $1 AND webhook_token_hash = $2";
    if (store_tx_query(tx, sql, p, N_PARAMS(p), read_check, found, NULL, err) < 0)
        return -1;
    if (found[0] < 0 || !found[1])
        return error_set(err, ERR_NOT_FOUND, "the connector was uninstalled or turned off");
    if (found[0] != in->version)
        return error_set(err, ERR_CONFLICT, "the connector's settings changed meanwhile");
    if (settings && found[2] != (settings_at[0] ? 1 : 0))
        return error_set(err, ERR_CONFLICT, "the tenant's settings changed meanwhile");
    return 0;
}

int store_install_get(struct store *s, const char *tenant_id, const char *id,
                      struct install *out, struct error *err)
{
    struct store_param p[] = {P_TEXT(tenant_id), P_TEXT(id)};
    memset(out, 0, sizeof *out);
    if (store_run(s,
                  "SELECT " INSTALL_COLUMNS " FROM connector_installs "
                  "WHERE tenant_id = $1 AND id = $2",
                  p, N_PARAMS(p), read_one, out, NULL, err) < 0)
        return -1;
    return out->id[0] ? 0 : error_set(err, ERR_NOT_FOUND, "connector not found");
}

struct list_ctx {
    int (*fn)(void *ctx, const struct install *in);
    void *ctx;
    int failed;
};

static int list_row(void *ctx, const struct store_row *row)
{
    struct list_ctx *l = ctx;
    struct install in = {0};
    if (read_install_row(row, &in) < 0) {
        l->failed = 1;
        return 1;
    }
    int stop = l->fn(l->ctx, &in);
    store_install_clear(&in);
    return stop;
}

int store_install_list(struct store *s, const char *tenant_id, bool destinations,
                       int (*fn)(void *ctx, const struct install *in), void *ctx,
                       struct error *err)
{
    struct store_param p[] = {P_TEXT(tenant_id), P_INT(destinations)};
    struct list_ctx l = {.fn = fn, .ctx = ctx};
    if (store_run(s,
                  "SELECT " INSTALL_COLUMNS " FROM connector_installs "
                  "WHERE tenant_id = $1 AND is_destination = $2 ORDER BY id",
                  p, N_PARAMS(p), list_row, &l, NULL, err) < 0)
        return -1;
    return l.failed ? error_set(err, ERR_STORE, "cannot read an install row") : 0;
}

int store_destination_page(struct store *s, const char *tenant_id, const char *project_id,
                           const struct store_page *page,
                           int (*fn)(void *ctx, const struct install *in), void *ctx,
                           struct error *err)
{
    /* "" sorts before every id: no cursor reads from the oldest. */
    struct store_param p[] = {P_TEXT(tenant_id), P_TEXT(project_id),
                              P_TEXT(page->before ? page->before : ""), P_INT(page->limit)};
    struct list_ctx l = {.fn = fn, .ctx = ctx};
    if (store_run(s,
                  "SELECT " INSTALL_COLUMNS " FROM connector_installs "
                  "WHERE tenant_id = $1 AND is_destination = 1 AND project_id = $2 AND id > $3 "
                  "ORDER BY id LIMIT $4",
                  p, N_PARAMS(p), list_row, &l, NULL, err) < 0)
        return -1;
    return l.failed ? error_set(err, ERR_STORE, "cannot read an install row") : 0;
}

int store_destination_health(struct store_tx *tx, const struct destination_health_update *u,
                             struct error *err)
{
    char now[CLOCK_RFC3339_LEN];
    clock_format_rfc3339(clock_now_ms(), now);
    struct store_param p[] = {P_INT(u->consecutive_failures),
                              u->paused_until_ms ? P_INT(u->paused_until_ms) : P_TEXT(NULL),
                              P_TEXT(u->reason), P_TEXT(u->success_at), P_TEXT(u->failure_at),
                              P_INT(u->disable), P_TEXT(now), P_TEXT(u->tenant_id),
                              P_TEXT(u->id)};
    /* A closed breaker after a success clears the reason; a disable changes updated_at
     * like any other change of is_active. */
    if (store_tx_query(tx,
                       /* PostgreSQL types $4 and $5 by COALESCE, $2 by its CAST */
                       "UPDATE connector_installs SET consecutive_failures = $1, "
                       "paused_until_ms = $2, "
                       "last_success_at = COALESCE($4, last_success_at), "
                       "last_failure_at = COALESCE($5, last_failure_at), "
                       "status_reason = CASE WHEN $3 IS NOT NULL THEN $3 "
                       "WHEN $4 IS NOT NULL AND CAST($2 AS BIGINT) IS NULL THEN NULL "
                       "ELSE status_reason END, "
                       "is_active = CASE WHEN $6 = 1 THEN 0 ELSE is_active END, "
                       "updated_at = CASE WHEN $6 = 1 THEN $7 ELSE updated_at END, "
                       "version = version + $6 "
                       "WHERE tenant_id = $8 AND id = $9 AND is_destination = 1",
                       p, N_PARAMS(p), NULL, NULL, NULL, err) < 0)
        return -1;
    return u->disable ? announce_change(store_tx_store(tx), store_tx_conn(tx), u->tenant_id,
                                        u->id, err)
                      : 0;
}

int store_tx_audit(struct store_tx *tx, const char *tenant_id, const struct audit_entry *audit,
                   struct error *err)
{
    char now[CLOCK_RFC3339_LEN];
    struct store *s;
    struct store_conn *c;
    clock_format_rfc3339(clock_now_ms(), now);
    s = store_tx_store(tx);
    c = store_tx_conn(tx);
    return insert_audit(s, c, tenant_id, audit, now, err);
}

/* Runs one change statement of install_id and its audit record in a transaction, and
 * announces the change; ERR_NOT_FOUND when the statement touched no row. */
static int change_with_audit(struct store *s, const char *sql, const struct store_param *p,
                             size_t n, const char *tenant_id, const char *install_id,
                             const struct audit_entry *audit, const char *now,
                             struct error *err)
{
    struct store_conn *c = store_acquire(s);
    int64_t changed = 0;
    int rc = store_begin(s, c, err);
    if (rc == 0)
        rc = store_query(s, c, sql, p, n, NULL, NULL, &changed, err);
    if (rc == 0 && changed == 0)
        rc = error_set(err, ERR_NOT_FOUND, "connector not found");
    if (rc == 0)
        rc = insert_audit(s, c, tenant_id, audit, now, err);
    if (rc == 0)
        rc = announce_change(s, c, tenant_id, install_id, err);
    return store_end(s, c, rc, err);
}

int store_install_update(struct store *s, const struct install *in,
                         const struct audit_entry *audit, struct error *err)
{
    char now[CLOCK_RFC3339_LEN];
    clock_format_rfc3339(clock_now_ms(), now);
    struct store_param p[] = {P_TEXT(in->config), P_TEXT(in->secrets), P_TEXT(in->event_types),
                              P_INT(in->is_active), P_TEXT(now), P_TEXT(in->tenant_id),
                              P_TEXT(in->id), P_TEXT(in->name[0] ? in->name : NULL),
                              P_INT(in->manifest_version)};
    /* Turned on again (by hand): its failures are behind it, the breaker starts afresh. */
    return change_with_audit(s,
                             "UPDATE connector_installs SET config = $1, secrets = $2, "
                             "event_types = $3, updated_at = $5, name = COALESCE($8, name), "
                             "version = version + 1, manifest_version = CASE WHEN $9 > 0 "
                             "THEN $9 ELSE manifest_version END, "
                             "consecutive_failures = CASE WHEN $4 = 1 AND is_active = 0 "
                             "THEN 0 ELSE consecutive_failures END, "
                             "paused_until_ms = CASE WHEN $4 = 1 AND is_active = 0 "
                             "THEN NULL ELSE paused_until_ms END, "
                             "status_reason = CASE WHEN $4 = 1 AND is_active = 0 "
                             "THEN NULL ELSE status_reason END, is_active = $4 "
                             "WHERE tenant_id = $6 AND id = $7",
                             p, N_PARAMS(p), in->tenant_id, in->id, audit, now, err);
}

int store_install_delete(struct store *s, const char *tenant_id, const char *id,
                         const struct audit_entry *audit, struct error *err)
{
    char now[CLOCK_RFC3339_LEN];
    clock_format_rfc3339(clock_now_ms(), now);
    struct store_param p[] = {P_TEXT(tenant_id), P_TEXT(id)};
    return change_with_audit(s, "DELETE FROM connector_installs WHERE tenant_id = $1 AND id = $2",
                             p, N_PARAMS(p), tenant_id, id, audit, now, err);
}

struct audit_ctx {
    int (*fn)(void *ctx, const struct audit_record *rec);
    void *ctx;
};

static int audit_row(void *ctx, const struct store_row *row)
{
    struct audit_ctx *a = ctx;
    struct audit_record rec = {0};
    store_row_copy(row, 0, rec.id, sizeof rec.id);
    store_row_copy(row, 1, rec.token_id, sizeof rec.token_id);
    store_row_copy(row, 2, rec.action, sizeof rec.action);
    store_row_copy(row, 3, rec.target, sizeof rec.target);
    rec.fields = store_row_text(row, 4);
    store_row_copy(row, 5, rec.created_at, sizeof rec.created_at);
    return a->fn(a->ctx, &rec);
}

int store_audit_list(struct store *s, const char *tenant_id, const struct store_page *page,
                     int (*fn)(void *ctx, const struct audit_record *rec), void *ctx,
                     struct error *err)
{
    /* "~" sorts after every id: no cursor reads from the newest. */
    struct store_param p[] = {P_TEXT(tenant_id), P_TEXT(page->before ? page->before : "~"),
                              P_INT(page->limit)};
    struct audit_ctx a = {.fn = fn, .ctx = ctx};
    return store_run(s,
                     "SELECT id, token_id, action, target, fields, created_at FROM audit_log "
                     "WHERE tenant_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3",
                     p, N_PARAMS(p), audit_row, &a, NULL, err);
}
