/* jobs/jobs.c - the table of periodic jobs and its tick (see jobs.h).
 *
 * Pure bookkeeping over the caller's clock: which job is due, which period it runs for,
 * what it cost and how often it failed. The work itself is in each job's function. */
#include "jobs/jobs.h"

#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/metrics.h"

#define JOB(name, every, flags, fn) \
    int fn(const struct jobs_env *env, int64_t now_ms, struct error *err);
#include "jobs/jobs.def"
#undef JOB

static const struct job builtin[] = {
#define JOB(name_, every, flags_, fn) {.name = name_, .every_ms = every, .flags = flags_, .run = fn},
#include "jobs/jobs.def"
#undef JOB
};

const struct job *jobs_builtin(size_t *count)
{
    *count = sizeof builtin / sizeof builtin[0];
    return builtin;
}

struct jobs {
    struct jobs_config cfg;
    struct job_stats *stats; /* one per job of cfg.table */
};

int jobs_new(const struct jobs_config *cfg, struct jobs **out, struct error *err)
{
    *out = NULL;
    struct jobs *j = calloc(1, sizeof *j);
    if (!j)
        return error_set(err, ERR_INTERNAL, "out of memory");
    j->cfg = *cfg;
    if (!j->cfg.table)
        j->cfg.table = jobs_builtin(&j->cfg.n);
    for (size_t i = 0; i < j->cfg.n; i++)
        if (j->cfg.table[i].every_ms <= 0 || !j->cfg.table[i].run) {
            error_set(err, ERR_CONFIG, "job %s has no interval or no function",
                      j->cfg.table[i].name);
            free(j);
            return -1;
        }
    j->stats = calloc(j->cfg.n ? j->cfg.n : 1, sizeof *j->stats);
    if (!j->stats) {
        free(j);
        return error_set(err, ERR_INTERNAL, "out of memory");
    }
    *out = j;
    return 0;
}

void jobs_free(struct jobs *j)
{
    if (!j)
        return;
    free(j->stats);
    free(j);
}

/* Whether this process runs job's period; false with *failed when the claim could not be
 * decided (logged). */
static bool owns_period(struct jobs *j, const struct job *job, int64_t now_ms,
                        int64_t period_start, bool *failed)
{
    bool mine = true;
    struct error err = {0};
    *failed = false;
    if (!(job->flags & JOB_ONCE) || !j->cfg.claim)
        return true;
    if (j->cfg.claim(j->cfg.claim_ctx, job, now_ms, period_start, &mine, &err) < 0) {
        log_warn("job %s: cannot claim its run: %s", job->name, err.message);
        *failed = true;
        return false;
    }
    return mine;
}

static void run_one(struct jobs *j, const struct job *job, struct job_stats *st, int64_t now_ms)
{
    int64_t period_start = now_ms - now_ms % job->every_ms;
    bool failed = false;
    st->next_due_ms = period_start + job->every_ms;
    if (!owns_period(j, job, now_ms, period_start, &failed)) {
        if (failed)
            st->failures++;
        else
            st->skipped++;
        if (!failed)
            metrics_job_skipped(job->name);
        return;
    }
    struct error err = {0};
    int64_t t0 = clock_monotonic_us();
    int rc = job->run(j->cfg.env, now_ms, &err);
    st->last_duration_us = clock_monotonic_us() - t0;
    st->last_start_ms = now_ms;
    st->runs++;
    if (rc < 0) {
        st->failures++;
        log_warn("job %s failed: %s", job->name, err.message[0] ? err.message : "no reason given");
    }
    metrics_job(job->name, now_ms, st->last_duration_us, rc < 0);
}

int64_t jobs_tick(struct jobs *j, int64_t now_ms)
{
    int64_t wait = INT64_MAX, shortest = INT64_MAX;
    for (size_t i = 0; i < j->cfg.n; i++) {
        const struct job *job = &j->cfg.table[i];
        struct job_stats *st = &j->stats[i];
        if (now_ms >= st->next_due_ms)
            run_one(j, job, st, now_ms);
        if (st->next_due_ms - now_ms < wait)
            wait = st->next_due_ms - now_ms;
        if (job->every_ms < shortest)
            shortest = job->every_ms;
    }
    if (wait > shortest)
        wait = shortest;
    return wait < 1 ? 1 : wait;
}

int jobs_stats(const struct jobs *j, const char *name, struct job_stats *out)
{
    for (size_t i = 0; i < j->cfg.n; i++)
        if (strcmp(j->cfg.table[i].name, name) == 0) {
            *out = j->stats[i];
            return 0;
        }
    return -1;
}
