/* api/parked.c - a parked request's write through the group commit (see parked.h).
 *
 * One atomic state decides, between the committer and a stopping server, who resumes the
 * connection: the committer moves QUEUED to RUNNING when it begins the work and to DONE when
 * the commit has ended, then resumes; the server may move QUEUED to WITHDRAWN (cancel), and
 * then the work is skipped and nothing resumes (the server answers itself). */
#include "api/parked.h"
#include "store/store.h"

enum parked_state { PARKED_QUEUED, PARKED_RUNNING, PARKED_DONE, PARKED_WITHDRAWN };

static void parked_unref(struct api_parked_write *w)
{
    if (atomic_fetch_sub(&w->refs, 1) == 1)
        w->destroy(w);
}

static int parked_work(void *ctx, struct store_tx *tx, struct error *err)
{
    struct api_parked_write *w = ctx;
    int expected = PARKED_QUEUED;
    if (!atomic_compare_exchange_strong(&w->state, &expected, PARKED_RUNNING))
        return error_set(err, ERR_UNAVAILABLE, "withdrawn: the server is stopping");
    w->wake_engine = false;
    return w->work(w, tx, err);
}

/* On the committer or syncer thread; also when the work never ran (the transaction could not
 * begin), then from QUEUED. */
static void parked_done(void *ctx, int rc, const struct error *err)
{
    struct api_parked_write *w = ctx;
    int state = atomic_load(&w->state);
    w->rc = rc;
    if (rc < 0)
        w->err = *err;
    while (state != PARKED_WITHDRAWN &&
           !atomic_compare_exchange_weak(&w->state, &state, PARKED_DONE))
        ;
    if (state != PARKED_WITHDRAWN) {
        if (rc == 0 && w->wake_engine)
            engine_wake(w->engine); /* its deliveries are due now */
        w->resume(w->token);
    }
    parked_unref(w);
}

static void parked_start(void *ctx, void (*resume)(void *token), void *token)
{
    struct api_parked_write *w = ctx;
    w->resume = resume;
    w->token = token;
    w->batch = (struct store_batch_job){.work = parked_work, .done = parked_done, .ctx = w};
    store_batch_submit(w->store, &w->batch);
}

static bool parked_cancel(void *ctx)
{
    struct api_parked_write *w = ctx;
    int expected = PARKED_QUEUED;
    return atomic_compare_exchange_strong(&w->state, &expected, PARKED_WITHDRAWN);
}

static void parked_release(void *ctx)
{
    parked_unref(ctx);
}

int api_parked_defer(struct http_request *req, struct api_parked_write *w,
                     int (*finish)(void *ctx, struct http_request *req,
                                   struct http_response *res, struct error *err),
                     void (*destroy)(struct api_parked_write *w))
{
    w->destroy = destroy;
    atomic_init(&w->state, PARKED_QUEUED);
    atomic_init(&w->refs, 2); /* the connection's (release) and the commit's (done) */
    struct http_deferral d = {.ctx = w,
                              .start = parked_start,
                              .finish = finish,
                              .cancel = parked_cancel,
                              .release = parked_release};
    return http_defer(req, &d);
}
