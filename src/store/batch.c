/* store/batch.c - group commit: many requests' writes in one transaction and one fsync.
 *
 * A durable commit costs an fsync, a few milliseconds on real disks; one per webhook would
 * cap throughput at a few hundred per second. Instead one committer thread takes every job
 * queued since its last commit, runs them in one transaction (a job that fails is rolled
 * back alone: see struct store_batch_job), commits once, and only then tells each job how it
 * ended. A request is answered after done() ran, so every acknowledged write is on disk.
 *
 * When the driver can commit without waiting for the disk (SQLite: see sqlite_sync), the
 * committer does so on a connection of its own and hands the committed batch to a syncer
 * thread, which makes it durable and then calls done(). One sync is in flight at a time:
 * while it runs, the committer keeps running the jobs that arrive inside the next,
 * still open transaction, and commits it the moment the syncer is free. Under load a
 * batch is thus whatever arrived during one fsync (fewer, larger commits write fewer log
 * pages per request); when idle, a lone job commits at once. Batches are synced in the
 * order they committed, so a job is never told it is on disk before a batch it may have
 * read from.
 *
 * Without a started committer (command-line tools, tests) a job runs and commits alone. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "store/store_int.h"

#define BATCH_MAX 512

/* A transaction being filled: its jobs ran, not yet committed. */
struct open_batch {
    struct store_tx *tx;
    struct store_batch_job *head, *tail;
    int n;
    /* How its jobs run: alone, a job in a transaction of its own (no committer: a failure
     * rolls the transaction back); else bare, without a savepoint each, until one fails and
     * the batch runs again isolated, each job in its own savepoint, until it commits. */
    bool alone, isolated;
};

struct store_batch {
    struct store *store;
    struct store_conn *conn; /* the committer's own, unsynced; NULL: pooled ones, durable */
    bool unsynced;           /* conn is set: its commits need the syncer */
    pthread_t committer, syncer;
    pthread_mutex_t lock;
    pthread_cond_t wake, sync_wake;
    struct store_batch_job *head, *tail;           /* queued */
    struct store_batch_job *sync_head, *sync_tail; /* committed, not yet on disk */
    bool syncing;                                  /* the syncer is at work */
    bool stopping, sync_stopping;
    struct open_batch open; /* the committer thread's alone */
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

/* Fails and tells every job of the open batch, after its transaction was rolled back. */
static void open_batch_fail(struct open_batch *ob, const struct error *err)
{
    fail_jobs(ob->head, err);
    finish_jobs(ob->head);
    *ob = (struct open_batch){0};
}

/* Runs a job in its own savepoint of the open transaction. Returns -1 when the savepoint
 * could not be closed: the transaction is then in an unknown state, rolled back here. */
static int run_isolated(struct open_batch *ob, struct store_batch_job *j)
{
    if (store_tx_savepoint(ob->tx, &j->err) < 0) {
        j->rc = -1;
        return 0;
    }
    j->rc = j->work(j->ctx, ob->tx, &j->err);
    struct error sp_err;
    if ((j->rc < 0 ? store_tx_undo(ob->tx, &sp_err) : store_tx_release(ob->tx, &sp_err)) < 0) {
        store_tx_rollback(ob->tx);
        ob->tx = NULL;
        j->rc = -1;
        j->err = sp_err;
        return -1;
    }
    return 0;
}

/* Runs a list of jobs inside the open transaction, beginning one on conn (NULL: a pooled
 * connection) when none is open. */
static void run_jobs(struct store *s, struct store_conn *conn, struct open_batch *ob,
                     struct store_batch_job *jobs)
{
    struct error begin_err = {0};
    bool begin_failed = false;
    for (struct store_batch_job *j = jobs, *next; j; j = next) {
        next = j->next;
        j->next = NULL;
        error_clear(&j->err);
        if (!ob->tx && begin_failed) {
            /* The transaction could not begin (the store stayed locked for the whole busy
             * timeout): the rest of this list fails with it instead of waiting that long
             * again, one job after the other. */
            j->rc = -1;
            j->err = begin_err;
            j->done(j->ctx, j->rc, &j->err);
            continue;
        }
        if (!ob->tx) {
            int rc = conn ? store_tx_begin_on(s, conn, &ob->tx, &j->err)
                          : store_tx_begin(s, &ob->tx, &j->err);
            if (rc < 0) {
                ob->tx = NULL;
                j->rc = -1;
                begin_err = j->err;
                begin_failed = true;
                j->done(j->ctx, j->rc, &j->err);
                continue;
            }
        }
        if (ob->alone) {
            j->rc = j->work(j->ctx, ob->tx, &j->err);
            if (j->rc < 0) {
                store_tx_rollback(ob->tx);
                ob->tx = NULL;
            }
        } else if (ob->isolated) {
            if (run_isolated(ob, j) < 0) {
                /* The transaction is in an unknown state: fail the whole batch. */
                j->done(j->ctx, j->rc, &j->err);
                open_batch_fail(ob, &j->err);
                continue;
            }
        } else {
            store_tx_set_bare(ob->tx, true);
            j->rc = j->work(j->ctx, ob->tx, &j->err);
            store_tx_set_bare(ob->tx, false);
            if (j->rc < 0) {
                /* Its writes are mixed with the batch's: the batch runs again from its
                 * first job, isolated, this one and the rest of the list after it. */
                store_tx_rollback(ob->tx);
                ob->tx = NULL;
                ob->isolated = true;
                j->next = next;
                if (ob->tail) {
                    ob->tail->next = j;
                    next = ob->head;
                } else {
                    next = j;
                }
                ob->head = ob->tail = NULL;
                ob->n = 0;
                continue;
            }
        }
        if (ob->tail)
            ob->tail->next = j;
        else
            ob->head = j;
        ob->tail = j;
        ob->n++;
    }
}

/* Commits the open batch. Returns its jobs when they still need the syncer (*last: the
 * list's end); NULL when they were told (committed durably, or failed). */
static struct store_batch_job *commit_open(struct open_batch *ob, bool unsynced,
                                           struct store_batch_job **last)
{
    struct open_batch done = *ob;
    struct error err = {0};
    *ob = (struct open_batch){0};
    *last = done.tail;
    if (!done.tx) {
        finish_jobs(done.head);
        return NULL;
    }
    if (store_tx_commit(done.tx, &err) < 0) {
        log_error("group commit failed: %s", err.message);
        fail_jobs(done.head, &err);
    } else if (unsynced) {
        return done.head;
    }
    finish_jobs(done.head);
    return NULL;
}

static void *committer_main(void *arg)
{
    struct store_batch *b = arg;
    struct open_batch *ob = &b->open;
    pthread_setname_np(pthread_self(), "cd-committer"); /* as top -H and perf show it */
    pthread_mutex_lock(&b->lock);
    for (;;) {
        bool sync_free = !b->syncing && !b->sync_head;
        if (ob->n > 0 && (sync_free || !b->unsynced)) {
            /* Commit and hand over (or, durable, tell the jobs). */
            pthread_mutex_unlock(&b->lock);
            struct store_batch_job *last, *jobs = commit_open(ob, b->unsynced, &last);
            pthread_mutex_lock(&b->lock);
            if (jobs) {
                b->sync_head = jobs;
                b->sync_tail = last;
                pthread_cond_signal(&b->sync_wake);
            }
            continue;
        }
        if (b->head && ob->n < BATCH_MAX) {
            /* Run what queued, into the open transaction, up to BATCH_MAX in it. */
            struct store_batch_job *jobs = b->head, *last = b->head;
            for (int n = ob->n + 1; n < BATCH_MAX && last->next; n++)
                last = last->next;
            b->head = last->next;
            if (!b->head)
                b->tail = NULL;
            last->next = NULL;
            pthread_mutex_unlock(&b->lock);
            run_jobs(b->store, b->conn, ob, jobs);
            pthread_mutex_lock(&b->lock);
            continue;
        }
        if (b->stopping && !b->head && ob->n == 0)
            break;
        /* Nothing to run, and the open batch (if any) waits for the syncer. */
        pthread_cond_wait(&b->wake, &b->lock);
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
        b->syncing = true;
        pthread_mutex_unlock(&b->lock);
        struct error err = {0};
        if (store_sync(b->store, &err) < 0) {
            /* Committed, but perhaps never on disk: not acknowledged. The store refuses
             * every commit from now on (store.c, which logs the first failure), so a
             * provider that sends the webhook again is not told it is booked on the
             * strength of the cache alone. */
            fail_jobs(jobs, &err);
        }
        finish_jobs(jobs);
        pthread_mutex_lock(&b->lock);
        b->syncing = false;
        pthread_cond_signal(&b->wake); /* the open batch may commit now */
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
    if (!store_groups_commits(s))
        return 0; /* jobs then run and commit on the submitting thread */
    struct store_batch *b = calloc(1, sizeof *b);
    if (!b)
        return error_set(err, ERR_INTERNAL, "out of memory");
    b->store = s;
    pthread_mutex_init(&b->lock, NULL);
    pthread_cond_init(&b->wake, NULL);
    pthread_cond_init(&b->sync_wake, NULL);
    if (store_conn_open_unsynced(s, &b->conn, err) < 0) {
        batch_free(b);
        return -1;
    }
    b->unsynced = b->conn != NULL;
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
        struct open_batch ob = {.alone = true};
        struct store_batch_job *last;
        run_jobs(s, NULL, &ob, job);
        commit_open(&ob, false, &last);
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
