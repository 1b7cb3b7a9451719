/* jobs/tasks.c - the functions of the periodic jobs listed in jobs.def: each one adapts a
 * module's own periodic call to the table, and says what it did in the log. */
#include <stdlib.h>
#include <time.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/metrics.h"
#include "events/events.h"
#include "jobs/jobs.h"
#include "outbound/engine.h"
#include "store/retention.h"
#include "store/store.h"
#include "payouts/payouts.h"
#include "sync/sync.h"

#define JOB(name, every, flags, fn) \
    int fn(const struct jobs_env *env, int64_t now_ms, struct error *err);
#include "jobs/jobs.def"
#undef JOB

/* Yesterday's revenue summary for every tenant whose local yesterday has none yet; each
 * (tenant, day) is claimed in the store with its event, so a second process adds none. */
int jobs_daily_summaries(const struct jobs_env *env, int64_t now_ms, struct error *err)
{
    int emitted = 0;
    int rc = events_daily_summaries_due(env->store, now_ms, &emitted, err);
    if (emitted) {
        log_info("emitted %d daily revenue summaries", emitted);
        engine_wake(env->engine);
    }
    return rc;
}

/* Rows per batch of the retention sweep, and the pause after each. A batch is one short
 * write transaction; the pause after it lasts as long as the batch took (at least
 * RETENTION_PAUSE_MIN_MS), so the sweep holds the write lock at most half of the time and
 * the group commit of incoming webhooks, and the checkpointer that copies the log back,
 * always get the store between two batches: a large backlog of old rows is removed over
 * time without holding up ingest. */
#define RETENTION_BATCH 500
#define RETENTION_PAUSE_MIN_MS 5
#define RETENTION_PAUSE_MAX_MS 1000

static void retention_pause(int64_t batch_us)
{
    int64_t ms = batch_us / 1000;
    if (ms < RETENTION_PAUSE_MIN_MS)
        ms = RETENTION_PAUSE_MIN_MS;
    if (ms > RETENTION_PAUSE_MAX_MS)
        ms = RETENTION_PAUSE_MAX_MS;
    nanosleep(&(struct timespec){.tv_sec = ms / 1000, .tv_nsec = ms % 1000 * 1000000}, NULL);
}

/* Removes one kind of data past its retention, batch by batch. */
static int sweep_kind(const struct jobs_env *env, enum store_sweep kind, int64_t cutoff_ms,
                      struct store_swept *swept, struct error *err)
{
    bool more = true;
    while (more && !(env->stopping && env->stopping())) {
        int64_t t0 = clock_monotonic_us();
        if (store_sweep_batch(env->store, kind, cutoff_ms, RETENTION_BATCH, swept, &more,
                              err) < 0)
            return -1;
        if (more)
            retention_pause(clock_monotonic_us() - t0);
    }
    return 0;
}

/* Removes the operational data past its retention (jobs_env), counts it in /metrics. */
int jobs_retention(const struct jobs_env *env, int64_t now_ms, struct error *err)
{
    struct store_swept swept = {0};
    int rc = -1;
    if (sweep_kind(env, STORE_SWEEP_WEBHOOK_BODIES, now_ms - env->webhook_body_keep_ms, &swept,
                   err) < 0 ||
        sweep_kind(env, STORE_SWEEP_WEBHOOK_LOGS, now_ms - env->webhook_log_keep_ms, &swept,
                   err) < 0 ||
        sweep_kind(env, STORE_SWEEP_DELIVERY_BODIES, now_ms - env->delivery_body_keep_ms,
                   &swept, err) < 0 ||
        sweep_kind(env, STORE_SWEEP_EVENTS, now_ms - env->event_keep_ms, &swept, err) < 0 ||
        sweep_kind(env, STORE_SWEEP_CHAT_MESSAGES, now_ms - env->chat_message_keep_ms, &swept,
                   err) < 0)
        goto out;
    rc = 0;
out:
    /* What went before a failure went for good, so it is counted either way. */
    metrics_retention_swept("webhook_bodies", swept.webhook_bodies);
    metrics_retention_swept("webhook_logs", swept.webhook_logs);
    metrics_retention_swept("delivery_bodies", swept.delivery_bodies);
    metrics_retention_swept("events", swept.events);
    metrics_retention_swept("deliveries", swept.deliveries);
    metrics_retention_swept("delivery_attempts", swept.delivery_attempts);
    metrics_retention_swept("chat_messages", swept.chat_messages);
    if (swept.webhook_bodies + swept.webhook_logs + swept.delivery_bodies + swept.events +
            swept.chat_messages >
        0)
        log_info("retention: forgot %lld webhook bodies and %lld attempt bodies; removed %lld "
                 "webhook log rows, %lld delivered events with %lld deliveries and %lld "
                 "attempts, and %lld chat messages",
                 (long long)swept.webhook_bodies, (long long)swept.delivery_bodies,
                 (long long)swept.webhook_logs, (long long)swept.events,
                 (long long)swept.deliveries, (long long)swept.delivery_attempts,
                 (long long)swept.chat_messages);
    return rc;
}

/* Queues the pulling connectors' scheduled runs that are due; the sync worker runs them
 * (sync.h). */
int jobs_sync_runs(const struct jobs_env *env, int64_t now_ms, struct error *err)
{
    struct sync_totals totals = {0};
    if (sync_schedule_due(env->store, env->sync, now_ms, &totals, err) < 0)
        return -1;
    if (totals.queued > 0)
        log_info("sync: queued %lld scheduled runs", (long long)totals.queued);
    return 0;
}

/* Matches the bank's new transactions of every tenant against open invoices, payouts and
 * rules (payouts/match.c); what does not match waits for review. */
int jobs_bank_matching(const struct jobs_env *env, int64_t now_ms, struct error *err)
{
    struct payouts_match_totals totals;
    (void)now_ms;
    if (payouts_match_all(env->store, &totals, err) < 0)
        return -1;
    if (totals.invoices + totals.payouts + totals.rules > 0)
        log_info("bank matching: %lld invoices paid, %lld payouts, %lld by rules",
                 (long long)totals.invoices, (long long)totals.payouts, (long long)totals.rules);
    return 0;
}
