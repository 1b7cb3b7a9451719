/* api/parked.h - a request's write that joins the store's group commit while its connection
 * is parked (http_defer), shared by the handlers that write on the hot path (webhooks,
 * published events).
 *
 * Embed struct api_parked_write as the first member of the deferral's context, set store,
 * engine and work, and park the request with api_parked_defer(). work() runs on the
 * committer thread inside the batch's transaction; after the commit (and its fsync) rc and
 * err say how it ended, the delivery engine is woken when work() set wake_engine (it wrote
 * deliveries), and the connection is resumed for finish().
 *
 * The context has two owners, the connection and the commit, and destroy() runs when the
 * later of them lets go: a server that stops withdraws a write still queued (its work then
 * never runs and the connection is answered 503 at once), while the committer still holds
 * it. */
#ifndef CONNECTORD_API_PARKED_H
#define CONNECTORD_API_PARKED_H

#include <stdatomic.h>
#include <stdbool.h>

#include "api/api.h"
#include "store/store.h"

struct api_parked_write {
    struct store *store;
    struct engine *engine;
    int (*work)(struct api_parked_write *w, struct store_tx *tx, struct error *err);
    bool wake_engine;
    int rc;
    struct error err;
    /* private */
    void (*destroy)(struct api_parked_write *w);
    atomic_int state; /* enum parked_state in parked.c */
    atomic_int refs;
    struct store_batch_job batch;
    void (*resume)(void *token);
    void *token;
};

/* Parks req until w's write has committed, then answers with finish(ctx = w). destroy(w)
 * frees the context (w is its first member). Returns HTTP_DEFERRED for the handler to
 * return; from here on w belongs to the deferral. */
int api_parked_defer(struct http_request *req, struct api_parked_write *w,
                     int (*finish)(void *ctx, struct http_request *req,
                                   struct http_response *res, struct error *err),
                     void (*destroy)(struct api_parked_write *w));

#endif
