/* api/parked.c - a parked request's write through the group commit (see parked.h). */
#include "api/parked.h"

static int parked_work(void *ctx, struct store_tx *tx, struct error *err)
{
    struct api_parked_write *w = ctx;
    w->wake_engine = false;
    return w->work(w, tx, err);
}

static void parked_done(void *ctx, int rc, const struct error *err)
{
    struct api_parked_write *w = ctx;
    w->rc = rc;
    if (rc < 0)
        w->err = *err;
    else if (w->wake_engine)
        engine_wake(w->engine); /* its deliveries are due now */
    w->resume(w->token);
}

void api_parked_start(void *ctx, void (*resume)(void *token), void *token)
{
    struct api_parked_write *w = ctx;
    w->resume = resume;
    w->token = token;
    w->batch = (struct store_batch_job){.work = parked_work, .done = parked_done, .ctx = w};
    store_batch_submit(w->store, &w->batch);
}
