/* jobs/tasks.c - the functions of the periodic jobs listed in jobs.def: each one adapts a
 * module's own periodic call to the table, and says what it did in the log. */
#include <stdlib.h>

#include "core/log.h"
#include "events/events.h"
#include "jobs/jobs.h"
#include "outbound/engine.h"
#include "store/books.h"
#include "store/store.h"
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

/* Forgets the raw bodies of webhook log rows past their retention (the rows stay). */
int jobs_webhook_body_retention(const struct jobs_env *env, int64_t now_ms, struct error *err)
{
    int64_t cleared = 0;
    if (store_webhook_bodies_purge(env->store, now_ms - env->webhook_body_keep_ms, &cleared,
                                   err) < 0)
        return -1;
    if (cleared > 0)
        log_info("forgot the raw bodies of %lld webhook log rows past retention",
                 (long long)cleared);
    return 0;
}

/* The pulling connectors' runs that are due (sync.h). */
int jobs_sync_runs(const struct jobs_env *env, int64_t now_ms, struct error *err)
{
    struct sync_totals totals = {0};
    if (sync_run_due(env->store, env->master_key, now_ms, &totals, err) < 0)
        return -1;
    if (totals.runs > 0)
        log_info("sync: %lld runs, %lld records fetched", (long long)totals.runs,
                 (long long)totals.fetched);
    return 0;
}
