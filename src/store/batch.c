/* store/batch.c - group commit: many requests' writes in one transaction and one fsync.
 *
 * A durable commit costs an fsync, a few milliseconds on real disks; one per webhook would
 * cap throughput at a few hundred per second. Instead one committer thread takes every job
 * queued since its last commit, runs each inside its own savepoint of one transaction (a
 * job that fails is rolled back alone), commits once, and only then tells each job how it
 * ended. A request is answered after done() ran, so every acknowledged write is on disk.
 * Without a started committer (command-line tools, tests) a job runs and commits alone. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "store/store_int.h"

#define BATCH_MAX 512

struct store_batch {
    struct store *store;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    struct store_batch_job *head, *tail;
    bool stopping;
};

/* Runs one batch; jobs is a list of at most BATCH_MAX. */
static void run_batch(struct store *s, struct store_batch_job *jobs)
{
    struct store_tx *tx = NULL;
    struct error err = {0};
    int begin_rc = store_tx_begin(s, &tx, &err);
    for (struct store_batch_job *j = jobs; j; j = j->next) {
        error_clear(&j->err);
        if (begin_rc < 0) {
            j->rc = -1;
            j->err = err;
            continue;
        }
        if (store_tx_savepoint(tx, &j->err) < 0) {
            j->rc = -1;
            continue;
        }
        j->rc = j->work(j->ctx, tx, &j->err);
        struct error sp_err;
        if ((j->rc < 0 ? store_tx_undo(tx, &sp_err) : store_tx_release(tx, &sp_err)) < 0) {
            /* The transaction is in an unknown state: fail the whole batch. */
            store_tx_rollback(tx);
            tx = NULL;
            begin_rc = -1;
            err = sp_err;
            j->rc = -1;
            j->err = sp_err;
        }
    }
    if (tx && store_tx_commit(tx, &err) < 0) {
        log_error("group commit failed: %s", err.message);
        for (struct store_batch_job *j = jobs; j; j = j->next) {
            j->rc = -1;
            j->err = err;
        }
    }
    /* done() may free the job, so read next first. */
    for (struct store_batch_job *j = jobs, *next; j; j = next) {
        next = j->next;
        j->done(j->ctx, j->rc, &j->err);
    }
}

static void *committer(void *arg)
{
    pthread_setname_np(pthread_self(), "cd-committer"); /* as top -H and perf show it */
    struct store_batch *b = arg;
    pthread_mutex_lock(&b->lock);
    for (;;) {
        while (!b->head && !b->stopping)
            pthread_cond_wait(&b->wake, &b->lock);
        if (!b->head && b->stopping)
            break;
        /* Take up to BATCH_MAX jobs; the rest wait for the next commit. */
        struct store_batch_job *jobs = b->head, *last = b->head;
        for (int n = 1; n < BATCH_MAX && last->next; n++)
            last = last->next;
        b->head = last->next;
        if (!b->head)
            b->tail = NULL;
        last->next = NULL;
        pthread_mutex_unlock(&b->lock);
        run_batch(b->store, jobs);
        pthread_mutex_lock(&b->lock);
    }
    pthread_mutex_unlock(&b->lock);
    return NULL;
}

int store_batch_start(struct store *s, struct error *err)
{
    struct store_batch *b = calloc(1, sizeof *b);
    if (!b)
        return error_set(err, ERR_INTERNAL, "out of memory");
    b->store = s;
    pthread_mutex_init(&b->lock, NULL);
    pthread_cond_init(&b->wake, NULL);
    if (pthread_create(&b->thread, NULL, committer, b) != 0) {
        pthread_cond_destroy(&b->wake);
        pthread_mutex_destroy(&b->lock);
        free(b);
        return error_set(err, ERR_INTERNAL, "cannot start the committer thread");
    }
    store_set_batch(s, b);
    return 0;
}

void store_batch_stop(struct store *s)
{
    struct store_batch *b = store_get_batch(s);
    if (!b)
        return;
    pthread_mutex_lock(&b->lock);
    b->stopping = true;
    pthread_cond_signal(&b->wake);
    pthread_mutex_unlock(&b->lock);
    pthread_join(b->thread, NULL);
    store_set_batch(s, NULL);
    pthread_cond_destroy(&b->wake);
    pthread_mutex_destroy(&b->lock);
    free(b);
}

void store_batch_submit(struct store *s, struct store_batch_job *job)
{
    struct store_batch *b = store_get_batch(s);
    job->next = NULL;
    if (!b) {
        run_batch(s, job);
        return;
    }
    pthread_mutex_lock(&b->lock);
    if (b->tail)
        b->tail->next = job;
    else
        b->head = job;
    b->tail = job;
    pthread_cond_signal(&b->wake);
    pthread_mutex_unlock(&b->lock);
}

/* store_batch_run's job: the caller sleeps until the committer has finished it. */
struct waiting_job {
    struct store_batch_job job;
    int (*work)(void *ctx, struct store_tx *tx, struct error *err);
    void *ctx;
    pthread_mutex_t lock;
    pthread_cond_t finished_cond;
    bool finished;
    int rc;
    struct error err;
};

static int waiting_work(void *ctx, struct store_tx *tx, struct error *err)
{
    struct waiting_job *w = ctx;
    return w->work(w->ctx, tx, err);
}

static void waiting_done(void *ctx, int rc, const struct error *err)
{
    struct waiting_job *w = ctx;
    pthread_mutex_lock(&w->lock);
    w->rc = rc;
    if (rc < 0)
        w->err = *err;
    w->finished = true;
    pthread_cond_signal(&w->finished_cond);
    pthread_mutex_unlock(&w->lock);
}

int store_batch_run(struct store *s, int (*work)(void *ctx, struct store_tx *tx,
                                                 struct error *err),
                    void *ctx, struct error *err)
{
    struct waiting_job w = {.work = work, .ctx = ctx};
    w.job = (struct store_batch_job){.work = waiting_work, .done = waiting_done, .ctx = &w};
    pthread_mutex_init(&w.lock, NULL);
    pthread_cond_init(&w.finished_cond, NULL);
    store_batch_submit(s, &w.job);
    pthread_mutex_lock(&w.lock);
    while (!w.finished)
        pthread_cond_wait(&w.finished_cond, &w.lock);
    pthread_mutex_unlock(&w.lock);
    pthread_cond_destroy(&w.finished_cond);
    pthread_mutex_destroy(&w.lock);
    if (w.rc < 0 && err)
        *err = w.err;
    return w.rc;
}
