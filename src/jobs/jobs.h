/* jobs/jobs.h - periodic work in one table, like redis's serverCron: each job has a name,
 * an interval, whether its run must happen once across processes, and its function.
 * main.c only ticks the table; nothing periodic is written anywhere else.
 *
 * Time is cut into periods aligned to the epoch (every_ms long), so that several processes
 * agree on which period a run belongs to. A job is due once per period: at the first tick
 * of a period it has not run in. The table runs on the caller's thread, one job after the
 * other; a slow job delays the next, which is fine for chores measured in minutes. */
#ifndef CONNECTORD_JOBS_H
#define CONNECTORD_JOBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

struct store;
struct engine;
struct sync_worker;

/* The run of a period must happen in one process only (daily summaries, sync runs).
 *
 * Contract: before running such a job for a period, the table asks jobs_config.claim
 * whether this process owns the job's run now. Without a claim function every period is
 * this process's (the unit tests). connectord passes jobs_claim_lease: the job's lease row
 * in the store (store/leases.h), held for two intervals and kept by its holder from
 * period to period, so of all the processes on one store (PostgreSQL, or one SQLite file)
 * one runs the job; another takes over once a holder that died lets its lease run out, or
 * at once after one that stopped gave it up. A refused claim skips the period; it is neither
 * a run nor a failure. */
#define JOB_ONCE 0x1u

/* What jobs may use; filled by main. */
struct jobs_env {
    struct store *store;
    struct engine *engine;          /* woken when a job wrote deliveries; may be NULL */
    const unsigned char *master_key; /* opens connectors' secrets */
    struct sync_worker *sync;        /* runs the sync runs the schedule queues; may be NULL */
    /* Retention (the "retention" job): how long each kind of operational data is kept;
     * what is older is removed, in small batches. Booked data is never removed. */
    int64_t webhook_body_keep_ms;   /* raw webhook bodies (0: forgotten at the next sweep) */
    int64_t webhook_log_keep_ms;    /* webhook log rows */
    int64_t delivery_body_keep_ms;  /* attempts' requests and response excerpts */
    int64_t event_keep_ms;          /* delivered events, with deliveries and attempts */
    int64_t chat_message_keep_ms;   /* answered chat messages, with their replies */
    /* Whether the process is asked to stop (may be NULL): a job that works in many steps
     * (the retention sweep) asks between steps and leaves the rest for its next period. */
    bool (*stopping)(void);
};

struct job {
    const char *name; /* "daily-summaries": logs and the metrics' label; static */
    int64_t every_ms; /* > 0 */
    unsigned flags;   /* JOB_ONCE */
    /* Returns 0, or -1 with err filled; the table logs the failure with the job's name. */
    int (*run)(const struct jobs_env *env, int64_t now_ms, struct error *err);
};

/* The jobs connectord runs (jobs.def). */
const struct job *jobs_builtin(size_t *count);

struct jobs_config {
    const struct job *table; /* NULL: jobs_builtin() */
    size_t n;
    const struct jobs_env *env;
    /* NULL: every period is this process's. Else sets *mine to whether this process owns
     * the run of job's period that begins at period_start_ms (the tick is at now_ms);
     * returns -1 (err set) when it cannot tell, which counts as a failure of the period. */
    int (*claim)(void *ctx, const struct job *job, int64_t now_ms, int64_t period_start_ms,
                 bool *mine, struct error *err);
    void *claim_ctx;
};

/* The claim of every connectord process: the job's lease (store/leases.h), named for the
 * job, held by `holder` for two intervals of the job. claim_ctx is a struct jobs_lease. */
#define JOBS_HOLDER_MAX 64
struct jobs_lease {
    struct store *store;
    char holder[JOBS_HOLDER_MAX]; /* this process, unique among those on the store */
};
/* Fills lease->holder with a new id for this process. */
int jobs_lease_init(struct jobs_lease *lease, struct store *store, struct error *err);
int jobs_claim_lease(void *ctx, const struct job *job, int64_t now_ms, int64_t period_start_ms,
                     bool *mine, struct error *err);
/* Gives up this process's leases (it stops), so another process takes the jobs over at its
 * next tick instead of after the leases ran out. */
void jobs_lease_release(struct jobs_lease *lease);

struct job_stats {
    int64_t runs;             /* runs started, failed ones included */
    int64_t failures;
    int64_t skipped;          /* periods another process claimed */
    int64_t last_start_ms;    /* 0: never ran */
    int64_t last_duration_us;
    int64_t next_due_ms;      /* 0: at the next tick */
};

struct jobs;
int jobs_new(const struct jobs_config *cfg, struct jobs **out, struct error *err);
void jobs_free(struct jobs *j); /* NULL is a no-op */

/* Runs every job due at now_ms, in table order; returns the milliseconds until the next
 * one is due (at least 1, at most the shortest interval, so a clock set back cannot put
 * the table to sleep for long). */
int64_t jobs_tick(struct jobs *j, int64_t now_ms);

/* A job's counters by name; -1 when the table has no such job. */
int jobs_stats(const struct jobs *j, const char *name, struct job_stats *out);

#endif
