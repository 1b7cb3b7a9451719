/* store/q_retention.c - the retention sweep's batches (see retention.h).
 *
 * A batch names its rows by a subquery with ORDER BY and LIMIT (portable to PostgreSQL,
 * which has no DELETE ... LIMIT); the indexes of migrations 12 and 24 make finding them
 * cheap however many rows were swept before. */
#include "store/retention.h"

#include "core/clock.h"
#include "crypto/crypto.h"
#include "store/store_int.h"

static const char *const sql_webhook_bodies =
    "UPDATE webhook_logs SET body = NULL WHERE id IN ("
    "  SELECT id FROM webhook_logs WHERE body IS NOT NULL AND received_at < $1"
    "  ORDER BY received_at, id LIMIT $2)";

/* Whole rows, in two statements: those swept of their body (or kept without one) and those
 * with a body, each by its partial index (migration 24: no index holds every row, so a
 * booking writes one of them, not two). */
static const char *const sql_webhook_logs[] = {
    "DELETE FROM webhook_logs WHERE id IN ("
    "  SELECT id FROM webhook_logs WHERE body IS NULL AND received_at < $1"
    "  ORDER BY received_at, id LIMIT $2)",
    "DELETE FROM webhook_logs WHERE id IN ("
    "  SELECT id FROM webhook_logs WHERE body IS NOT NULL AND received_at < $1"
    "  ORDER BY received_at, id LIMIT $2)",
};

/* Up to limit whole rows past the cutoff, those without a body first. */
static int sweep_webhook_logs(struct store *s, const char *cutoff, int limit, int64_t *n,
                              struct error *err)
{
    *n = 0;
    for (size_t i = 0; i < sizeof sql_webhook_logs / sizeof sql_webhook_logs[0]; i++) {
        int64_t deleted = 0;
        struct store_param p[] = {P_TEXT(cutoff), P_INT(limit - *n)};
        if (*n >= limit)
            break;
        if (store_run(s, sql_webhook_logs[i], p, N_PARAMS(p), NULL, NULL, &deleted, err) < 0)
            return -1;
        *n += deleted;
    }
    return 0;
}

static const char *const sql_delivery_bodies =
    "UPDATE delivery_attempts SET response_excerpt = NULL, request = NULL"
    " WHERE (delivery_id, attempt_no) IN ("
    "  SELECT delivery_id, attempt_no FROM delivery_attempts"
    "  WHERE (response_excerpt IS NOT NULL OR request IS NOT NULL) AND started_at < $1"
    "  ORDER BY started_at, delivery_id, attempt_no LIMIT $2)";

/* The events of one batch: past the cutoff, with no delivery that is not delivered. The
 * three statements below select the same events (the order is total, and removing a
 * delivered delivery does not change which events qualify). The scan is a range of the
 * primary key, bounded by $3, the id of a moment ID_SLACK_MS past the cutoff: an
 * event's id is drawn from the same clock just after its created_at is set, so every event
 * created before the cutoff has an id below it, and created_at decides (migration 26). */
#define EVENTS_DUE                                                                    \
    "SELECT id FROM events WHERE id < $3 AND created_at < $1 AND NOT EXISTS ("        \
    "  SELECT 1 FROM deliveries d WHERE d.event_id = events.id"                       \
    "  AND d.status <> 'delivered') ORDER BY id LIMIT $2"
/* A minute: an event whose id came later than its created_at by more (the clock set back
 * meanwhile) waits for a later sweep, never goes early. */
#define ID_SLACK_MS (60 * 1000)

static const char *const sql_event_attempts =
    "DELETE FROM delivery_attempts WHERE delivery_id IN ("
    "  SELECT id FROM deliveries WHERE event_id IN (" EVENTS_DUE "))";
static const char *const sql_event_deliveries =
    "DELETE FROM deliveries WHERE event_id IN (" EVENTS_DUE ")";
static const char *const sql_events = "DELETE FROM events WHERE id IN (" EVENTS_DUE ")";

/* Chat messages: as the events, a range of the primary key bounded by the id of a moment
 * past the cutoff (store_chat_message_insert draws the id right after it sets created_at),
 * and created_at decides; one still pending (to be answered, or retried) stays whatever its
 * age. */
static const char *const sql_chat_messages =
    "DELETE FROM chat_messages WHERE id IN ("
    "  SELECT id FROM chat_messages WHERE id < $3 AND created_at < $1 AND status <> 'pending'"
    "  ORDER BY id LIMIT $2)";

static int sweep_events(struct store *s, const struct store_param *p, size_t n,
                        struct store_swept *swept, int64_t *events, struct error *err)
{
    struct store_tx *tx = NULL;
    int64_t attempts = 0, deliveries = 0;
    if (store_tx_begin(s, &tx, err) < 0)
        return -1;
    if (store_tx_query(tx, sql_event_attempts, p, n, NULL, NULL, &attempts, err) < 0 ||
        store_tx_query(tx, sql_event_deliveries, p, n, NULL, NULL, &deliveries, err) < 0 ||
        store_tx_query(tx, sql_events, p, n, NULL, NULL, events, err) < 0) {
        store_tx_rollback(tx);
        return -1;
    }
    if (store_tx_commit(tx, err) < 0)
        return -1;
    swept->delivery_attempts += attempts;
    swept->deliveries += deliveries;
    swept->events += *events;
    return 0;
}

int store_sweep_batch(struct store *s, enum store_sweep kind, int64_t cutoff_ms, int limit,
                      struct store_swept *swept, bool *more, struct error *err)
{
    char cutoff[CLOCK_RFC3339_LEN];
    int64_t n = 0;
    int rc = 0;
    clock_format_rfc3339(cutoff_ms, cutoff);
    /* $3, for the kinds found by their time-ordered ids only: the id of a moment ID_SLACK_MS
     * past the cutoff. */
    const char *id_prefix = kind == STORE_SWEEP_EVENTS          ? "evt_"
                            : kind == STORE_SWEEP_CHAT_MESSAGES ? "msg_"
                                                                : NULL;
    char bound[CRYPTO_ID_MAX] = "";
    if (id_prefix && crypto_id_bound(id_prefix, cutoff_ms + ID_SLACK_MS, bound) < 0)
        return error_set(err, ERR_INTERNAL, "cannot make the id bound of a sweep");
    struct store_param p[] = {P_TEXT(cutoff), P_INT(limit), P_TEXT(bound)};
    size_t n_params = id_prefix ? 3 : 2;
    *more = false;
    switch (kind) {
    case STORE_SWEEP_WEBHOOK_BODIES:
        rc = store_run(s, sql_webhook_bodies, p, n_params, NULL, NULL, &n, err);
        swept->webhook_bodies += n;
        break;
    case STORE_SWEEP_WEBHOOK_LOGS:
        rc = sweep_webhook_logs(s, cutoff, limit, &n, err);
        swept->webhook_logs += n;
        break;
    case STORE_SWEEP_DELIVERY_BODIES:
        rc = store_run(s, sql_delivery_bodies, p, n_params, NULL, NULL, &n, err);
        swept->delivery_bodies += n;
        break;
    case STORE_SWEEP_EVENTS:
        rc = sweep_events(s, p, n_params, swept, &n, err);
        break;
    case STORE_SWEEP_CHAT_MESSAGES:
        rc = store_run(s, sql_chat_messages, p, n_params, NULL, NULL, &n, err);
        swept->chat_messages += n;
        break;
    }
    if (rc == 0)
        *more = n >= limit;
    return rc;
}
