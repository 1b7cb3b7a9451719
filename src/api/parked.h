/* api/parked.h - a request's write that joins the store's group commit while its connection
 * is parked (http_defer), shared by the handlers that write on the hot path (webhooks,
 * published events).
 *
 * Embed struct api_parked_write as the first member of the deferral's context, set store,
 * engine and work, and give api_parked_start as the deferral's start. work() runs on the
 * committer thread inside the batch's transaction; after the commit (and its fsync) rc and
 * err say how it ended, the delivery engine is woken when work() set wake_engine (it wrote
 * deliveries), and the connection is resumed for the deferral's finish(). */
#ifndef CONNECTORD_API_PARKED_H
#define CONNECTORD_API_PARKED_H

#include <stdbool.h>

#include "api/api.h"

struct api_parked_write {
    struct store *store;
    struct engine *engine;
    int (*work)(struct api_parked_write *w, struct store_tx *tx, struct error *err);
    bool wake_engine;
    int rc;
    struct error err;
    /* private */
    struct store_batch_job batch;
    void (*resume)(void *token);
    void *token;
};

/* The deferral's start(); ctx is the struct api_parked_write (the context's first member). */
void api_parked_start(void *ctx, void (*resume)(void *token), void *token);

#endif
