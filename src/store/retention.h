/* store/retention.h - removing operational data past its retention, one small batch at a
 * time (the sweep in jobs/tasks.c calls these until nothing is left, yielding between).
 *
 * Each batch is one short write transaction over at most `limit` rows found through an
 * index, so a sweep never holds the write lock long enough to stall the group commit of
 * incoming webhooks. Booked data (parties, invoices, journal entries) is never touched. */
#ifndef CONNECTORD_STORE_RETENTION_H
#define CONNECTORD_STORE_RETENTION_H

#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"

enum store_sweep {
    STORE_SWEEP_WEBHOOK_BODIES,  /* the raw body of a webhook log row (the row stays) */
    STORE_SWEEP_WEBHOOK_LOGS,    /* webhook log rows */
    STORE_SWEEP_DELIVERY_BODIES, /* an attempt's request and response excerpt (it stays) */
    STORE_SWEEP_EVENTS,          /* events whose every delivery was delivered (or that had
                                    none), with their deliveries and attempts */
    STORE_SWEEP_CHAT_MESSAGES,   /* chat messages answered (or given up), with their
                                    replies; a pending one stays */
};

/* What a sweep removed, by kind of data (the metrics' labels). */
struct store_swept {
    int64_t webhook_bodies, webhook_logs, delivery_bodies, events, deliveries,
        delivery_attempts, chat_messages;
};

/* One batch of `kind` older than cutoff_ms: at most limit rows (for events, limit events
 * with their deliveries and attempts). Adds what went to *swept; *more is true when the
 * batch was full (call again). */
int store_sweep_batch(struct store *s, enum store_sweep kind, int64_t cutoff_ms, int limit,
                      struct store_swept *swept, bool *more, struct error *err);

#endif
