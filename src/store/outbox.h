/* store/outbox.h - the store's events and delivery outbox: events, deliveries and their
 * attempts, delivery stats, daily summaries and the revenue they report (q_events.c).
 * Conventions as in store/store.h. */
#ifndef CONNECTORD_STORE_OUTBOX_H
#define CONNECTORD_STORE_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/clock.h"
#include "core/error.h"
#include "crypto/crypto.h"
#include "store/store.h"

/* ---- events and the delivery outbox (q_events.c) -------------------------------------- */

struct event_record {
    char id[CRYPTO_ID_MAX];
    char tenant_id[CRYPTO_ID_MAX];
    char type[48];
    const char *data; /* JSON text; valid during the callback, or owned when said so */
    char created_at[CLOCK_RFC3339_LEN];
    char project_id[CRYPTO_ID_MAX]; /* "": every project of the tenant */
    /* an alert about this destination: never delivered to it, and only to destinations
     * that list the type itself ("*" does not take alerts) */
    char alert_of[CRYPTO_ID_MAX];
};

/* The outbox's rows, for events_publish() alone (events/ decides who takes what). The
 * active destinations an event of the tenant may go to: those of project_id (of every
 * project when NULL or ""), never except_id (an alert's subject); fn receives each one's
 * id and stored eventTypes JSON text. */
int store_event_destinations(struct store_tx *tx, const char *tenant_id, const char *project_id,
                             const char *except_id,
                             int (*fn)(void *ctx, const char *id, const char *event_types),
                             void *ctx, struct error *err);
/* The event's row, id and created_at set by the caller. */
int store_event_row_insert(struct store_tx *tx, const struct event_record *ev,
                           struct error *err);
/* One pending delivery of ev to a destination, due at due_ms. */
int store_delivery_insert(struct store_tx *tx, const struct event_record *ev,
                          const char *connector_id, int64_t due_ms, struct error *err);

/* Newest first; before_id "" or NULL for the first page. The events of one project: those
 * published to it and those of every project (bookings, summaries). */
int store_event_list(struct store *s, const char *tenant_id, const char *project_id,
                     const char *before_id, int limit,
                     int (*fn)(void *ctx, const struct event_record *ev), void *ctx,
                     struct error *err);
/* One event; out->data is malloc'ed (caller frees). */
int store_event_get(struct store *s, const char *tenant_id, const char *id,
                    struct event_record *out, struct error *err);

/* A customer's settled payments in one currency (ausgangsrechnung), this transaction
 * included. */
int store_customer_totals(struct store_tx *tx, const char *tenant_id, const char *customer_id,
                          const char *currency, int64_t *count, int64_t *total_minor,
                          struct error *err);

struct delivery {
    char id[CRYPTO_ID_MAX];
    char tenant_id[CRYPTO_ID_MAX];
    char event_id[CRYPTO_ID_MAX];
    char connector_id[CRYPTO_ID_MAX];
    char event_type[48];
    char status[16];
    int64_t attempts;
    int64_t next_attempt_ms;
    int64_t last_status; /* 0 when none */
    char last_error[256];
    char created_at[CLOCK_RFC3339_LEN];
    char updated_at[CLOCK_RFC3339_LEN];
    char delivered_at[CLOCK_RFC3339_LEN];
};

/* What /metrics reads at scrape time, over all tenants: deliveries pending or in flight,
 * when the oldest of them was created (0: none), and destinations active, paused by their
 * circuit breaker (until a time still to come) or not active. */
struct store_delivery_stats {
    int64_t backlog;
    int64_t oldest_created_ms;
    int64_t destinations_active;
    int64_t destinations_paused;
    int64_t destinations_inactive;
};
int store_delivery_stats(struct store *s, struct store_delivery_stats *out, struct error *err);

/* Claims up to limit due deliveries (pending and due, or delivering with an expired lease:
 * a process died mid-send) for lease_ms, marking them delivering, inside tx (the engine
 * claims in the transaction that records the previous round's answers). At least once: a
 * claim that is never recorded is claimed again when its lease runs out. */
int store_deliveries_claim(struct store_tx *tx, int64_t now_ms, int64_t lease_ms, int limit,
                           int (*fn)(void *ctx, const struct delivery *d), void *ctx,
                           struct error *err);

struct delivery_attempt {
    int64_t attempt_no;
    char started_at[CLOCK_RFC3339_LEN];
    int64_t duration_ms;
    int64_t http_status; /* 0: no answer */
    const char *response_excerpt;
    const char *error;
    const char *request; /* JSON {method, url, headers, body}, secrets masked, or NULL */
};

/* Records an attempt and the delivery's new state inside tx (the engine records a whole
 * round of answers in one transaction). status: delivered, failed, dead, or pending (a
 * retry at next_attempt_ms). */
int store_delivery_record(struct store_tx *tx, const char *delivery_id,
                          const struct delivery_attempt *a, const char *status,
                          int64_t next_attempt_ms, struct error *err);
/* Puts a claimed delivery back without an attempt (its destination's breaker is open). */
int store_delivery_defer(struct store *s, const char *delivery_id, int64_t next_attempt_ms,
                         struct error *err);

/* Lists a connector's deliveries, newest first (status/event_type filters may be NULL). */
int store_delivery_list(struct store *s, const char *tenant_id, const char *connector_id,
                        const char *status, const char *event_type, const char *before_id,
                        int limit, int (*fn)(void *ctx, const struct delivery *d), void *ctx,
                        struct error *err);
int store_delivery_get(struct store *s, const char *tenant_id, const char *connector_id,
                       const char *id, struct delivery *out, struct error *err);
int store_delivery_attempts(struct store *s, const char *delivery_id,
                            int (*fn)(void *ctx, const struct delivery_attempt *a), void *ctx,
                            struct error *err);
/* Makes deliveries due again now. retry: one delivery that is pending (sent now instead of
 * at its next retry), failed, dead or delivered (sent once more); ERR_CONFLICT while it is
 * being sent. replay: all of a connector's failed and dead ones since a time, *count
 * receives how many. */
int store_delivery_retry(struct store *s, const char *tenant_id, const char *connector_id,
                         const char *id, struct error *err);
int store_delivery_replay(struct store *s, const char *tenant_id, const char *connector_id,
                          const char *since_rfc3339, int64_t *count, struct error *err);

/* The daily summary's exactly-once: claims (tenant, day); *claimed false when another
 * process (or an earlier run) already did. */
int store_daily_summary_claim(struct store_tx *tx, const char *tenant_id, const char *day,
                              const char *event_id, bool *claimed, struct error *err);

/* Every tenant's id and creation instant (RFC 3339), in id order; with without_summary_day
 * set, only those that have no daily summary for that day yet (a read, so the scheduler's
 * tick is cheap). */
int store_tenant_ids(struct store *s, const char *without_summary_day,
                     int (*fn)(void *ctx, const char *tenant_id, const char *created_at),
                     void *ctx, struct error *err);

/* Revenue booked (outgoing invoices) in [from, to) of created_at, per currency (count,
 * total) and the top customers by amount. */
int store_revenue_totals(struct store_tx *tx, const char *tenant_id, const char *from,
                         const char *to,
                         int (*fn)(void *ctx, const char *currency, int64_t count,
                                   int64_t total_minor),
                         void *ctx, struct error *err);
int store_revenue_top_customers(struct store_tx *tx, const char *tenant_id, const char *from,
                                const char *to, int limit,
                                int (*fn)(void *ctx, const char *id, const char *name,
                                          const char *currency, int64_t total_minor),
                                void *ctx, struct error *err);

#endif
