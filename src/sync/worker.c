/* sync/worker.c - the sync worker: one thread that claims queued runs from the store and
 * executes them one after the other (sync.h).
 *
 * It sleeps on a condition variable between runs, woken by a request or the schedule, and
 * looks at the store at least every POLL_MS anyway: a deferred run becomes due by the clock,
 * and on a shared store another process may have queued one. Runs that a stopped process
 * left "running" for longer than STALE_MS are failed at start, so their installs run again. */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "core/clock.h"
#include "core/log.h"
#include "sync/sync.h"

#define POLL_MS 1000
#define STALE_MS (60 * 60 * 1000LL)

struct sync_worker {
    struct sync_env env;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stop, woken;
};

static void wait_a_while(struct sync_worker *w)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += POLL_MS / 1000;
    pthread_mutex_lock(&w->mu);
    while (!w->stop && !w->woken)
        if (pthread_cond_timedwait(&w->cv, &w->mu, &until) != 0)
            break;
    w->woken = false;
    pthread_mutex_unlock(&w->mu);
}

static bool stopping(struct sync_worker *w)
{
    pthread_mutex_lock(&w->mu);
    bool stop = w->stop;
    pthread_mutex_unlock(&w->mu);
    return stop;
}

static void *worker_main(void *arg)
{
    struct sync_worker *w = arg;
    struct error err = {0};
    int64_t reaped = 0;
    if (store_sync_runs_reap(w->env.store, clock_now_ms() - STALE_MS, &reaped, &err) < 0)
        log_warn("sync worker: %s", err.message);
    else if (reaped)
        log_warn("sync worker: failed %lld runs a stopped process left running",
                 (long long)reaped);
    while (!stopping(w)) {
        struct sync_run run;
        bool found = false;
        err = (struct error){0};
        if (store_sync_run_claim(w->env.store, clock_now_ms(), &run, &found, &err) < 0)
            log_warn("sync worker: %s", err.message);
        if (found)
            sync_run_execute(&w->env, &run);
        else
            wait_a_while(w);
    }
    return NULL;
}

int sync_worker_start(const struct sync_env *env, struct sync_worker **out, struct error *err)
{
    struct sync_worker *w = calloc(1, sizeof *w);
    if (!w)
        return error_set(err, ERR_INTERNAL, "out of memory");
    w->env = *env;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
        pthread_cond_destroy(&w->cv);
        pthread_mutex_destroy(&w->mu);
        free(w);
        return error_set(err, ERR_INTERNAL, "cannot start the sync worker");
    }
    *out = w;
    return 0;
}

void sync_worker_wake(struct sync_worker *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->mu);
    w->woken = true;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

void sync_worker_stop(struct sync_worker *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->mu);
    w->stop = true;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
    free(w);
}
