/* store/q_events.c - events, the delivery outbox, attempts and the daily-summary claim.
 *
 * An event and its deliveries are written in one transaction (the outbox), so no event is
 * lost between its commit and its send. The store lists the destinations and writes the
 * rows; which destination takes which event is events/'s decision (events_publish). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"
#include "store/outbox.h"
#include "store/store_int.h"

struct store_destination_cb {
    int (*fn)(void *ctx, const char *id, const char *event_types);
    void *ctx;
};

/* One row per active destination: its id and its stored eventTypes text. Whether it takes
 * an event is the events module's decision (events_subscription_matches), not the store's. */
static int destination_row(void *ctx, const struct store_row *row)
{
    struct store_destination_cb *cb = ctx;
    return cb->fn(cb->ctx, store_row_text(row, 0), store_row_text(row, 1));
}

int store_event_destinations(struct store_tx *tx, const char *tenant_id, const char *project_id,
                             const char *except_id,
                             int (*fn)(void *ctx, const char *id, const char *event_types),
                             void *ctx, struct error *err)
{
    struct store_destination_cb cb = {.fn = fn, .ctx = ctx};
    struct store_param q[] = {P_TEXT(tenant_id),
                              P_TEXT(project_id && project_id[0] ? project_id : NULL),
                              P_TEXT(except_id && except_id[0] ? except_id : NULL)};
    return store_tx_query(tx,
                          "SELECT id, event_types FROM connector_installs WHERE tenant_id = $1 "
                          "AND is_destination = 1 AND is_active = 1 "
                          "AND ($2 IS NULL OR project_id = $2) AND ($3 IS NULL OR id <> $3)",
                          q, N_PARAMS(q), destination_row, &cb, NULL, err);
}

int store_event_row_insert(struct store_tx *tx, const struct event_record *ev,
                           struct error *err)
{
    struct store_param row[] = {P_TEXT(ev->id), P_TEXT(ev->tenant_id), P_TEXT(ev->type),
                                P_TEXT(ev->data), P_TEXT(ev->created_at),
                                P_TEXT(ev->project_id[0] ? ev->project_id : NULL)};
    return store_tx_query(tx,
                          "INSERT INTO events (id, tenant_id, type, data, created_at, "
                          "project_id) VALUES ($1, $2, $3, $4, $5, $6)",
                          row, N_PARAMS(row), NULL, NULL, NULL, err);
}

int store_delivery_insert(struct store_tx *tx, const struct event_record *ev,
                          const char *connector_id, int64_t due_ms, struct error *err)
{
    char id[CRYPTO_ID_MAX];
    if (crypto_id_new("dlv_", id) < 0)
        return error_set(err, ERR_INTERNAL, "no randomness available");
    struct store_param d[] = {P_TEXT(id),           P_TEXT(ev->tenant_id), P_TEXT(ev->id),
                              P_TEXT(connector_id), P_TEXT(ev->type),      P_INT(due_ms),
                              P_TEXT(ev->created_at)};
    return store_tx_query(tx,
                          "INSERT INTO deliveries (id, tenant_id, event_id, connector_id, "
                          "event_type, status, next_attempt_ms, created_at, updated_at) "
                          "VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7, $7)",
                          d, N_PARAMS(d), NULL, NULL, NULL, err);
}

struct event_ctx {
    int (*fn)(void *ctx, const struct event_record *ev);
    void *ctx;
    struct event_record *one; /* store_event_get */
};

static int event_row(void *ctx, const struct store_row *row)
{
    struct event_ctx *e = ctx;
    struct event_record rec = {0};
    store_row_copy(row, 0, rec.id, sizeof rec.id);
    store_row_copy(row, 1, rec.tenant_id, sizeof rec.tenant_id);
    store_row_copy(row, 2, rec.type, sizeof rec.type);
    rec.data = store_row_text(row, 3);
    store_row_copy(row, 4, rec.created_at, sizeof rec.created_at);
    store_row_copy(row, 5, rec.project_id, sizeof rec.project_id);
    if (e->one) {
        *e->one = rec;
        e->one->data = strdup(rec.data);
        return 1;
    }
    return e->fn(e->ctx, &rec);
}

int store_event_list(struct store *s, const char *tenant_id, const char *project_id,
                     const char *before_id, int limit,
                     int (*fn)(void *ctx, const struct event_record *ev), void *ctx,
                     struct error *err)
{
    struct event_ctx e = {.fn = fn, .ctx = ctx};
    struct store_param p[] = {P_TEXT(tenant_id), P_TEXT(before_id && *before_id ? before_id : "~"),
                              P_INT(limit), P_TEXT(project_id)};
    return store_run(s,
                     "SELECT id, tenant_id, type, data, created_at, COALESCE(project_id, '') "
                     "FROM events WHERE tenant_id = $1 AND id < $2 "
                     "AND (project_id IS NULL OR project_id = $4) ORDER BY id DESC LIMIT $3",
                     p, N_PARAMS(p), event_row, &e, NULL, err);
}

int store_event_get(struct store *s, const char *tenant_id, const char *id,
                    struct event_record *out, struct error *err)
{
    struct event_ctx e = {.one = out};
    struct store_param p[] = {P_TEXT(tenant_id), P_TEXT(id)};
    memset(out, 0, sizeof *out);
    if (store_run(s,
                  "SELECT id, tenant_id, type, data, created_at, COALESCE(project_id, '') "
                  "FROM events WHERE tenant_id = $1 AND id = $2",
                  p, N_PARAMS(p), event_row, &e, NULL, err) < 0)
        return -1;
    if (!out->id[0])
        return error_set(err, ERR_NOT_FOUND, "event not found");
    if (!out->data)
        return error_set(err, ERR_INTERNAL, "out of memory");
    return 0;
}

struct totals {
    int64_t count, total;
};

/* A total beyond 64 bits (only books an earlier release filled with amounts beyond
 * MONEY_MAX_MINOR have one) is held at INT64_MAX: it only decides milestones, which lie far
 * below, and a customer's next payment must still be booked. */
static int read_totals(void *ctx, const struct store_row *row)
{
    struct totals *t = ctx;
    t->count = store_row_int(row, 0);
    if (store_row_sum(row, 1, &t->total) < 0)
        t->total = INT64_MAX;
    return 1;
}

int store_customer_totals(struct store_tx *tx, const char *tenant_id, const char *customer_id,
                          const char *currency, int64_t *count, int64_t *total_minor,
                          struct error *err)
{
    struct totals t = {0};
    struct store_param p[] = {P_TEXT(tenant_id), P_TEXT(customer_id), P_TEXT(currency)};
    if (store_tx_query(tx,
                       "SELECT COUNT(*), " STORE_SQL_SUM("total_gross_minor") " FROM invoices "
                       "WHERE tenant_id = $1 AND party_id = $2 AND currency = $3 "
                       "AND type = 'ausgangsrechnung'",
                       p, N_PARAMS(p), read_totals, &t, NULL, err) < 0)
        return -1;
    *count = t.count;
    *total_minor = t.total;
    return 0;
}

#define DELIVERY_COLUMNS                                                                      \
    "id, tenant_id, event_id, connector_id, event_type, status, attempts, next_attempt_ms, " \
    "COALESCE(last_status, 0), COALESCE(last_error, ''), created_at, updated_at, "           \
    "delivered_at"

struct delivery_ctx {
    int (*fn)(void *ctx, const struct delivery *d);
    void *ctx;
    struct delivery *one;
};

static int delivery_row(void *ctx, const struct store_row *row)
{
    struct delivery_ctx *c = ctx;
    struct delivery d = {0};
    store_row_copy(row, 0, d.id, sizeof d.id);
    store_row_copy(row, 1, d.tenant_id, sizeof d.tenant_id);
    store_row_copy(row, 2, d.event_id, sizeof d.event_id);
    store_row_copy(row, 3, d.connector_id, sizeof d.connector_id);
    store_row_copy(row, 4, d.event_type, sizeof d.event_type);
    store_row_copy(row, 5, d.status, sizeof d.status);
    d.attempts = store_row_int(row, 6);
    d.next_attempt_ms = store_row_int(row, 7);
    d.last_status = store_row_int(row, 8);
    snprintf(d.last_error, sizeof d.last_error, "%s", store_row_text(row, 9));
    store_row_copy(row, 10, d.created_at, sizeof d.created_at);
    store_row_copy(row, 11, d.updated_at, sizeof d.updated_at);
    store_row_copy(row, 12, d.delivered_at, sizeof d.delivered_at);
    if (c->one) {
        *c->one = d;
        return 1;
    }
    return c->fn(c->ctx, &d);
}

int store_deliveries_claim(struct store_tx *tx, int64_t now_ms, int64_t lease_ms, int limit,
                           int (*fn)(void *ctx, const struct delivery *d), void *ctx,
                           struct error *err)
{
    struct delivery_ctx c = {.fn = fn, .ctx = ctx};
    char now[CLOCK_RFC3339_LEN];
    clock_format_rfc3339(now_ms, now);
    struct store_param p[] = {P_INT(now_ms), P_INT(now_ms + lease_ms), P_INT(limit), P_TEXT(now)};
    /* One statement: the claim is atomic against other processes (SQLite serializes
     * writers; PostgreSQL would add FOR UPDATE SKIP LOCKED to the inner SELECTs).
     *
     * The due rows and the expired leases are two index range reads on (status,
     * next_attempt_ms), each stopping after $3 rows, merged and cut to the $3 earliest. One
     * WHERE with "pending ... OR delivering ..." would be read as a multi-index OR that
     * fetches every due row and sorts them all for each claim: with a backlog of 200,000
     * deliveries, tens of milliseconds per claim. */
    return store_tx_query(tx,
                          "UPDATE deliveries SET status = 'delivering', lease_until_ms = $2, "
                          "updated_at = $4 WHERE id IN (SELECT id FROM ("
                          "SELECT id, next_attempt_ms FROM (SELECT id, next_attempt_ms "
                          "FROM deliveries WHERE status = 'pending' AND next_attempt_ms <= $1 "
                          "ORDER BY next_attempt_ms LIMIT $3) AS due "
                          "UNION ALL "
                          "SELECT id, next_attempt_ms FROM (SELECT id, next_attempt_ms "
                          "FROM deliveries WHERE status = 'delivering' AND lease_until_ms < $1 "
                          "ORDER BY next_attempt_ms LIMIT $3) AS expired"
                          ") AS claimable ORDER BY next_attempt_ms LIMIT $3) "
                          "RETURNING " DELIVERY_COLUMNS,
                          p, N_PARAMS(p), delivery_row, &c, NULL, err);
}

int store_delivery_record(struct store_tx *tx, const char *delivery_id,
                          const struct delivery_attempt *a, const char *status,
                          int64_t next_attempt_ms, struct error *err)
{
    char now[CLOCK_RFC3339_LEN];
    clock_format_rfc3339(clock_now_ms(), now);
    bool delivered = strcmp(status, "delivered") == 0;
    struct store_param at[] = {P_TEXT(delivery_id), P_INT(a->attempt_no), P_TEXT(a->started_at),
                               P_INT(a->duration_ms),
                               a->http_status ? P_INT(a->http_status) : P_TEXT(NULL),
                               P_TEXT(a->response_excerpt), P_TEXT(a->error),
                               P_TEXT(a->request)};
    struct store_param up[] = {P_TEXT(status), P_INT(a->attempt_no), P_INT(next_attempt_ms),
                               a->http_status ? P_INT(a->http_status) : P_TEXT(NULL),
                               P_TEXT(a->error), P_TEXT(now), P_TEXT(delivered ? now : NULL),
                               P_TEXT(delivery_id)};
    if (store_tx_query(tx,
                       "INSERT INTO delivery_attempts (delivery_id, attempt_no, started_at, "
                       "duration_ms, http_status, response_excerpt, error, request) "
                       "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
                       "ON CONFLICT (delivery_id, attempt_no) DO NOTHING",
                       at, N_PARAMS(at), NULL, NULL, NULL, err) < 0 ||
        store_tx_query(tx,
                       "UPDATE deliveries SET status = $1, attempts = $2, next_attempt_ms = $3, "
                       "lease_until_ms = 0, last_status = $4, last_error = $5, updated_at = $6, "
                       "delivered_at = COALESCE($7, delivered_at) WHERE id = $8",
                       up, N_PARAMS(up), NULL, NULL, NULL, err) < 0)
        return -1;
    return 0;
}

int store_delivery_defer(struct store *s, const char *delivery_id, int64_t next_attempt_ms,
                         struct error *err)
{
    struct store_param p[] = {P_INT(next_attempt_ms), P_TEXT(delivery_id)};
    return store_run(s,
                     "UPDATE deliveries SET status = 'pending', next_attempt_ms = $1, "
                     "lease_until_ms = 0 WHERE id = $2 AND status = 'delivering'",
                     p, N_PARAMS(p), NULL, NULL, NULL, err);
}

int store_delivery_list(struct store *s, const char *tenant_id, const char *connector_id,
                        const char *status, const char *event_type, const char *before_id,
                        int limit, int (*fn)(void *ctx, const struct delivery *d), void *ctx,
                        struct error *err)
{
    struct delivery_ctx c = {.fn = fn, .ctx = ctx};
    struct store_param p[] = {P_TEXT(tenant_id), P_TEXT(connector_id), P_TEXT(status),
                              P_TEXT(event_type),
                              P_TEXT(before_id && *before_id ? before_id : "~"), P_INT(limit)};
    return store_run(s,
                     "SELECT " DELIVERY_COLUMNS " FROM deliveries WHERE tenant_id = $1 "
                     "AND connector_id = $2 AND ($3 IS NULL OR status = $3) "
                     "AND ($4 IS NULL OR event_type = $4) AND id < $5 "
                     "ORDER BY id DESC LIMIT $6",
                     p, N_PARAMS(p), delivery_row, &c, NULL, err);
}

int store_delivery_get(struct store *s, const char *tenant_id, const char *connector_id,
                       const char *id, struct delivery *out, struct error *err)
{
    struct delivery_ctx c = {.one = out};
    struct store_param p[] = {P_TEXT(tenant_id), P_TEXT(connector_id), P_TEXT(id)};
    memset(out, 0, sizeof *out);
    if (store_run(s,
                  "SELECT " DELIVERY_COLUMNS " FROM deliveries WHERE tenant_id = $1 "
                  "AND connector_id = $2 AND id = $3",
                  p, N_PARAMS(p), delivery_row, &c, NULL, err) < 0)
        return -1;
    return out->id[0] ? 0 : error_set(err, ERR_NOT_FOUND, "delivery not found");
}

struct attempt_ctx {
    int (*fn)(void *ctx, const struct delivery_attempt *a);
    void *ctx;
};

static int attempt_row(void *ctx, const struct store_row *row)
{
    struct attempt_ctx *c = ctx;
    struct delivery_attempt a = {0};
    a.attempt_no = store_row_int(row, 0);
    store_row_copy(row, 1, a.started_at, sizeof a.started_at);
    a.duration_ms = store_row_int(row, 2);
    a.http_status = store_row_int(row, 3);
    a.response_excerpt = row->driver->row_text(row, 4);
    a.error = row->driver->row_text(row, 5);
    a.request = row->driver->row_text(row, 6);
    return c->fn(c->ctx, &a);
}

int store_delivery_attempts(struct store *s, const char *delivery_id,
                            int (*fn)(void *ctx, const struct delivery_attempt *a), void *ctx,
                            struct error *err)
{
    struct attempt_ctx c = {.fn = fn, .ctx = ctx};
    struct store_param p[] = {P_TEXT(delivery_id)};
    return store_run(s,
                     "SELECT attempt_no, started_at, duration_ms, COALESCE(http_status, 0), "
                     "response_excerpt, error, request FROM delivery_attempts "
                     "WHERE delivery_id = $1 "
                     "ORDER BY attempt_no",
                     p, N_PARAMS(p), attempt_row, &c, NULL, err);
}

int store_delivery_retry(struct store *s, const char *tenant_id, const char *connector_id,
                         const char *id, struct error *err)
{
    int64_t changed = 0;
    char now[CLOCK_RFC3339_LEN];
    int64_t now_ms = clock_now_ms();
    clock_format_rfc3339(now_ms, now);
    struct store_param p[] = {P_INT(now_ms), P_TEXT(now), P_TEXT(tenant_id), P_TEXT(connector_id),
                              P_TEXT(id)};
    if (store_run(s,
                  "UPDATE deliveries SET status = 'pending', next_attempt_ms = $1, updated_at = $2 "
                  "WHERE tenant_id = $3 AND connector_id = $4 AND id = $5 "
                  "AND status IN ('pending', 'failed', 'dead', 'delivered')",
                  p, N_PARAMS(p), NULL, NULL, &changed, err) < 0)
        return -1;
    if (changed)
        return 0;
    struct delivery d;
    if (store_delivery_get(s, tenant_id, connector_id, id, &d, err) < 0)
        return -1;
    return error_set(err, ERR_CONFLICT, "delivery is %s (being sent now); retry it once it has "
                     "an answer", d.status);
}

int store_delivery_replay(struct store *s, const char *tenant_id, const char *connector_id,
                          const char *since_rfc3339, int64_t *count, struct error *err)
{
    char now[CLOCK_RFC3339_LEN];
    int64_t now_ms = clock_now_ms();
    clock_format_rfc3339(now_ms, now);
    struct store_param p[] = {P_INT(now_ms), P_TEXT(now), P_TEXT(tenant_id), P_TEXT(connector_id),
                              P_TEXT(since_rfc3339)};
    return store_run(s,
                     "UPDATE deliveries SET status = 'pending', next_attempt_ms = $1, updated_at = $2 "
                     "WHERE tenant_id = $3 AND connector_id = $4 AND created_at >= $5 "
                     "AND status IN ('failed', 'dead')",
                     p, N_PARAMS(p), NULL, NULL, count, err);
}

int store_daily_summary_claim(struct store_tx *tx, const char *tenant_id, const char *day,
                              const char *event_id, bool *claimed, struct error *err)
{
    int64_t changes = 0;
    struct store_param p[] = {P_TEXT(tenant_id), P_TEXT(day), P_TEXT(event_id)};
    if (store_tx_query(tx,
                       "INSERT INTO daily_summaries (tenant_id, day, event_id) VALUES ($1, $2, $3) "
                       "ON CONFLICT (tenant_id, day) DO NOTHING",
                       p, N_PARAMS(p), NULL, NULL, &changes, err) < 0)
        return -1;
    *claimed = changes == 1;
    return 0;
}

struct ids_ctx {
    int (*fn)(void *ctx, const char *tenant_id, const char *created_at);
    void *ctx;
};

static int tenant_id_row(void *ctx, const struct store_row *row)
{
    struct ids_ctx *c = ctx;
    return c->fn(c->ctx, store_row_text(row, 0), store_row_text(row, 1));
}

int store_tenant_ids(struct store *s, const char *without_summary_day,
                     int (*fn)(void *ctx, const char *tenant_id, const char *created_at),
                     void *ctx, struct error *err)
{
    struct ids_ctx c = {.fn = fn, .ctx = ctx};
    struct store_param p[] = {P_TEXT(without_summary_day)};
    return store_run(s,
                     "SELECT id, created_at FROM tenants t WHERE $1 IS NULL OR NOT EXISTS "
                     "(SELECT 1 FROM daily_summaries d WHERE d.tenant_id = t.id AND d.day = $1) "
                     "ORDER BY id",
                     p, N_PARAMS(p), tenant_id_row, &c, NULL, err);
}

struct totals_ctx {
    int (*fn)(void *ctx, const char *currency, int64_t count, int64_t total_minor);
    void *ctx;
    char overflow[64]; /* what overflowed, when a sum did */
};

static int totals_row(void *ctx, const struct store_row *row)
{
    struct totals_ctx *t = ctx;
    int64_t total;
    if (store_row_sum(row, 2, &total) < 0) {
        snprintf(t->overflow, sizeof t->overflow, "the revenue in %.*s",
                 UTF8_CUT(8, store_row_text(row, 0)));
        return 1;
    }
    return t->fn(t->ctx, store_row_text(row, 0), store_row_int(row, 1), total);
}

int store_revenue_totals(struct store_tx *tx, const char *tenant_id, const char *from,
                         const char *to,
                         int (*fn)(void *ctx, const char *currency, int64_t count,
                                   int64_t total_minor),
                         void *ctx, struct error *err)
{
    struct totals_ctx t = {.fn = fn, .ctx = ctx};
    struct store_param p[] = {P_TEXT(tenant_id), P_TEXT(from), P_TEXT(to)};
    if (store_tx_query(tx,
                       "SELECT currency, COUNT(*), " STORE_SQL_SUM("total_gross_minor")
                       " FROM invoices "
                       "WHERE tenant_id = $1 AND type = 'ausgangsrechnung' "
                       "AND created_at >= $2 AND created_at < $3 "
                       "GROUP BY currency ORDER BY currency",
                       p, N_PARAMS(p), totals_row, &t, NULL, err) < 0)
        return -1;
    return t.overflow[0] ? store_sum_overflow(err, t.overflow) : 0;
}

struct top_ctx {
    int (*fn)(void *ctx, const char *id, const char *name, const char *currency,
              int64_t total_minor);
    void *ctx;
    char overflow[64]; /* what overflowed, when a sum did */
};

static int top_row(void *ctx, const struct store_row *row)
{
    struct top_ctx *t = ctx;
    int64_t total;
    if (store_row_sum(row, 3, &total) < 0) {
        snprintf(t->overflow, sizeof t->overflow, "the revenue of customer %.*s",
                 UTF8_CUT(40, store_row_text(row, 0)));
        return 1;
    }
    return t->fn(t->ctx, store_row_text(row, 0), store_row_text(row, 1), store_row_text(row, 2),
                 total);
}

int store_revenue_top_customers(struct store_tx *tx, const char *tenant_id, const char *from,
                                const char *to, int limit,
                                int (*fn)(void *ctx, const char *id, const char *name,
                                          const char *currency, int64_t total_minor),
                                void *ctx, struct error *err)
{
    struct top_ctx t = {.fn = fn, .ctx = ctx};
    struct store_param p[] = {P_TEXT(tenant_id), P_TEXT(from), P_TEXT(to), P_INT(limit)};
    /* Ranked by the two halves joined as a floating-point number, which cannot fail; the
     * amounts shown are the exact sums. */
    if (store_tx_query(tx,
                       "SELECT p.id, p.name, i.currency, " STORE_SQL_SUM("i.total_gross_minor")
                       " FROM invoices i JOIN parties p ON p.id = i.party_id "
                       "WHERE i.tenant_id = $1 AND i.type = 'ausgangsrechnung' "
                       "AND i.created_at >= $2 AND i.created_at < $3 "
                       "GROUP BY p.id, p.name, i.currency "
                       "ORDER BY SUM(i.total_gross_minor / 4294967296) * 4294967296.0 + "
                       "SUM(i.total_gross_minor % 4294967296) DESC, p.id LIMIT $4",
                       p, N_PARAMS(p), top_row, &t, NULL, err) < 0)
        return -1;
    return t.overflow[0] ? store_sum_overflow(err, t.overflow) : 0;
}

static int read_backlog(void *ctx, const struct store_row *row)
{
    struct store_delivery_stats *st = ctx;
    st->backlog = store_row_int(row, 0);
    const char *oldest = store_row_text(row, 1);
    if (*oldest && clock_parse_rfc3339(oldest, &st->oldest_created_ms) < 0)
        st->oldest_created_ms = 0;
    return 0;
}

static int read_destination_states(void *ctx, const struct store_row *row)
{
    struct store_delivery_stats *st = ctx;
    st->destinations_active = store_row_int(row, 0);
    st->destinations_paused = store_row_int(row, 1);
    st->destinations_inactive = store_row_int(row, 2);
    return 0;
}

int store_delivery_stats(struct store *s, struct store_delivery_stats *out, struct error *err)
{
    memset(out, 0, sizeof *out);
    /* created_at is RFC 3339 in UTC with a fixed width, so its minimum is the oldest. */
    if (store_run(s,
                  "SELECT COUNT(*), MIN(created_at) FROM deliveries "
                  "WHERE status IN ('pending', 'delivering')",
                  NULL, 0, read_backlog, out, NULL, err) < 0)
        return -1;
    /* Paused: its breaker's pause, as the engine of any process recorded it, lasts. */
    struct store_param p[] = {P_INT(clock_now_ms())};
    return store_run(s,
                     "SELECT COALESCE(SUM(CASE WHEN is_active = 1 AND (paused_until_ms IS NULL "
                     "OR paused_until_ms <= $1) THEN 1 ELSE 0 END), 0), "
                     "COALESCE(SUM(CASE WHEN is_active = 1 AND paused_until_ms > $1 "
                     "THEN 1 ELSE 0 END), 0), "
                     "COALESCE(SUM(CASE WHEN is_active = 1 THEN 0 ELSE 1 END), 0) "
                     "FROM connector_installs WHERE is_destination = 1",
                     p, N_PARAMS(p), read_destination_states, out, NULL, err);
}
