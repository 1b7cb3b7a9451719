/* api/parked.c - a parked request and its work on another thread (see parked.h).
 *
 * One atomic state decides, between the work and a stopping server, who resumes the
 * connection: the work moves QUEUED to RUNNING when it begins and to DONE when it has
 * ended, then resumes; the server may move QUEUED to WITHDRAWN (cancel), and then the work
 * is skipped and nothing resumes (the server answers itself). */
#include "api/parked.h"
#include "store/store.h"

enum parked_state { PARKED_QUEUED, PARKED_RUNNING, PARKED_DONE, PARKED_WITHDRAWN };

static void parked_unref(struct api_parked *pk)
{
    if (atomic_fetch_sub(&pk->refs, 1) == 1)
        pk->destroy(pk);
}

bool api_parked_begin(struct api_parked *pk)
{
    int expected = PARKED_QUEUED;
    return atomic_compare_exchange_strong(&pk->state, &expected, PARKED_RUNNING);
}

void api_parked_done(struct api_parked *pk)
{
    int state = atomic_load(&pk->state);
    while (state != PARKED_WITHDRAWN &&
           !atomic_compare_exchange_weak(&pk->state, &state, PARKED_DONE))
        ;
    if (state != PARKED_WITHDRAWN)
        pk->resume(pk->token);
    parked_unref(pk);
}

static void parked_start(void *ctx, void (*resume)(void *token), void *token)
{
    struct api_parked *pk = ctx;
    pk->resume = resume;
    pk->token = token;
    /* Withdrawn as it parked (the server was stopping): the work never starts. */
    if (atomic_load(&pk->state) == PARKED_WITHDRAWN) {
        parked_unref(pk);
        return;
    }
    pk->start(pk);
}

static bool parked_cancel(void *ctx)
{
    struct api_parked *pk = ctx;
    int expected = PARKED_QUEUED;
    return atomic_compare_exchange_strong(&pk->state, &expected, PARKED_WITHDRAWN);
}

static void parked_release(void *ctx)
{
    parked_unref(ctx);
}

int api_parked_wait(struct http_request *req, struct api_parked *pk,
                    int (*finish)(void *ctx, struct http_request *req,
                                  struct http_response *res, struct error *err))
{
    atomic_init(&pk->state, PARKED_QUEUED);
    atomic_init(&pk->refs, 2); /* the connection's (release) and the work's (done) */
    struct http_deferral d = {.ctx = pk,
                              .start = parked_start,
                              .finish = finish,
                              .cancel = parked_cancel,
                              .release = parked_release};
    return http_defer(req, &d);
}

/* ---- a write through the group commit ------------------------------------------------ */

static int write_work(void *ctx, struct store_tx *tx, struct error *err)
{
    struct api_parked_write *w = ctx;
    /* Once: the group commit may run the work again (store.h, struct store_batch_job). */
    if (!w->began && !api_parked_begin(&w->parked))
        return error_set(err, ERR_UNAVAILABLE, "withdrawn: the server is stopping");
    w->began = true;
    w->wake_engine = false;
    return w->work(w, tx, err);
}

/* On the committer or syncer thread; also when the work never ran (the transaction could not
 * begin), then from QUEUED. */
static void write_done(void *ctx, int rc, const struct error *err)
{
    struct api_parked_write *w = ctx;
    w->rc = rc;
    if (rc < 0)
        w->err = *err;
    if (rc == 0 && w->wake_engine)
        engine_wake(w->engine); /* its deliveries are due now */
    api_parked_done(&w->parked);
}

static void write_start(struct api_parked *pk)
{
    struct api_parked_write *w = (struct api_parked_write *)pk;
    w->batch = (struct store_batch_job){.work = write_work, .done = write_done, .ctx = w};
    store_batch_submit(w->store, &w->batch);
}

static void write_destroy(struct api_parked *pk)
{
    struct api_parked_write *w = (struct api_parked_write *)pk;
    w->destroy(w);
}

int api_parked_defer(struct http_request *req, struct api_parked_write *w,
                     int (*finish)(void *ctx, struct http_request *req,
                                   struct http_response *res, struct error *err),
                     void (*destroy)(struct api_parked_write *w))
{
    w->destroy = destroy;
    w->parked.start = write_start;
    w->parked.destroy = write_destroy;
    return api_parked_wait(req, &w->parked, finish);
}
