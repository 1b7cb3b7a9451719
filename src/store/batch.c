/* store/batch.c - group commit: many requests' writes in one transaction and one fsync.
 *
 * A durable commit costs an fsync, a few milliseconds on real disks; one per webhook would
 * cap throughput at a few hundred per second. Instead one committer thread takes every job
 * queued since its last commit, runs each inside its own savepoint of one transaction (a
 * job that fails is rolled back alone), commits once, and only then tells each job how it
 * ended. A request is answered after done() ran, so every acknowledged write is on disk.
 *
 * When the driver can commit without waiting for the disk (SQLite: see sqlite_sync), the
 * committer does so on a connection of its own and hands the committed batch to a syncer
 * thread, which makes it durable and then calls done(); meanwhile the committer already
 * runs the next batch. The syncer takes every batch handed over since its last sync, so
 * one fsync may cover several. Batches are synced in the order they committed, so a job is
 * never told it is on disk before a batch it may have read from.
 *
 * Without a started committer (command-line tools, tests) a job runs and commits alone. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "store/store_int.h"

#define BATCH_MAX 512

struct store_batch {
    struct store *store;
    struct store_conn *conn; /* the committer's own, or NULL: one from the pool per batch */
    bool unsynced;           /* conn's commits need the syncer */
    pthread_t committer, syncer;
    pthread_mutex_t lock;
    pthread_cond_t wake, sync_wake;
    struct store_batch_job *head, *tail;           /* queued */
    struct store_batch_job *sync_head, *sync_tail; /* committed, not yet on disk */
    bool stopping, sync_stopping;
};

/* Tells each job of a list how it ended; done() may free the job, so next is read first. */
static void finish_jobs(struct store_batch_job *jobs)
{
    for (struct store_batch_job *j = jobs, *next; j; j = next) {
        next = j->next;
        j->done(j->ctx, j->rc, &j->err);
    }
}

static void fail_jobs(struct store_batch_job *jobs, const struct error *err)
{
    for (struct store_batch_job *j = jobs; j; j = j->next) {
        j->rc = -1;
        j->err = *err;
    }
}

/* Runs one batch of at most BATCH_MAX jobs on conn (NULL: a pooled connection). Returns
 * true when it committed and still needs the syncer, false when its jobs were told. */
static bool run_batch(struct store *s, struct store_conn *conn, bool unsynced,
                      struct store_batch_job *jobs)
{
    struct store_tx *tx = NULL;
    struct error err = {0};
    int begin_rc = conn ? store_tx_begin_on(s, conn, &tx, &err) : store_tx_begin(s, &tx, &err);
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
        fail_jobs(jobs, &err);
    } else if (tx && unsynced) {
        return true;
    }
    finish_jobs(jobs);
    return false;
}

static void *committer_main(void *arg)
{
    struct store_batch *b = arg;
    pthread_setname_np(pthread_self(), "cd-committer"); /* as top -H and perf show it */
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
        bool to_sync = run_batch(b->store, b->conn, b->unsynced, jobs);
        pthread_mutex_lock(&b->lock);
        if (to_sync) {
            if (b->sync_tail)
                b->sync_tail->next = jobs;
            else
                b->sync_head = jobs;
            b->sync_tail = last;
            pthread_cond_signal(&b->sync_wake);
        }
    }
    pthread_mutex_unlock(&b->lock);
    return NULL;
}

static void *syncer_main(void *arg)
{
    struct store_batch *b = arg;
    pthread_setname_np(pthread_self(), "cd-sync");
    pthread_mutex_lock(&b->lock);
    for (;;) {
        while (!b->sync_head && !b->sync_stopping)
            pthread_cond_wait(&b->sync_wake, &b->lock);
        if (!b->sync_head)
            break; /* stopping, and nothing left to sync */
        struct store_batch_job *jobs = b->sync_head;
        b->sync_head = b->sync_tail = NULL;
        pthread_mutex_unlock(&b->lock);
        struct error err = {0};
        if (store_sync(b->store, &err) < 0) {
            /* Committed, but perhaps not on disk: not acknowledged. A provider that sends
             * the webhook again finds it booked and gets its 200 then. */
            log_error("group commit: %s", err.message);
            fail_jobs(jobs, &err);
        }
        finish_jobs(jobs);
        pthread_mutex_lock(&b->lock);
    }
    pthread_mutex_unlock(&b->lock);
    return NULL;
}

static void batch_free(struct store_batch *b)
{
    pthread_cond_destroy(&b->sync_wake);
    pthread_cond_destroy(&b->wake);
    pthread_mutex_destroy(&b->lock);
    store_conn_close(b->store, b->conn);
    free(b);
}

int store_batch_start(struct store *s, struct error *err)
{
    struct store_batch *b = calloc(1, sizeof *b);
    if (!b)
        return error_set(err, ERR_INTERNAL, "out of memory");
    b->store = s;
    pthread_mutex_init(&b->lock, NULL);
    pthread_cond_init(&b->wake, NULL);
    pthread_cond_init(&b->sync_wake, NULL);
    if (store_conn_open_unsynced(s, &b->conn, &b->unsynced, err) < 0) {
        batch_free(b);
        return -1;
    }
    if (pthread_create(&b->syncer, NULL, syncer_main, b) != 0) {
        batch_free(b);
        return error_set(err, ERR_INTERNAL, "cannot start the sync thread");
    }
    if (pthread_create(&b->committer, NULL, committer_main, b) != 0) {
        pthread_mutex_lock(&b->lock);
        b->sync_stopping = true;
        pthread_cond_signal(&b->sync_wake);
        pthread_mutex_unlock(&b->lock);
        pthread_join(b->syncer, NULL);
        batch_free(b);
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
    /* The committer finishes the queue, then the syncer what the committer handed over. */
    pthread_mutex_lock(&b->lock);
    b->stopping = true;
    pthread_cond_signal(&b->wake);
    pthread_mutex_unlock(&b->lock);
    pthread_join(b->committer, NULL);
    pthread_mutex_lock(&b->lock);
    b->sync_stopping = true;
    pthread_cond_signal(&b->sync_wake);
    pthread_mutex_unlock(&b->lock);
    pthread_join(b->syncer, NULL);
    store_set_batch(s, NULL);
    batch_free(b);
}

void store_batch_submit(struct store *s, struct store_batch_job *job)
{
    struct store_batch *b = store_get_batch(s);
    job->next = NULL;
    if (!b) {
        run_batch(s, NULL, false, job);
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
