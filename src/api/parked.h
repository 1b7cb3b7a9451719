/* api/parked.h - a request parked (http_defer) while its work runs on another thread, and
 * answered once that work has ended: the webhooks (whose pipeline joins the group commit on
 * its own) and the published events (a write through the group commit, below).
 *
 * Embed struct api_parked as the first member of the deferral's context and set start and
 * destroy; api_parked_wait() parks the request. start() begins the work once the connection
 * is suspended (never, when the request was withdrawn as it parked); the work asks api_parked_begin() just before it changes anything (false:
 * the request was withdrawn, skip the work) and calls api_parked_done() exactly once when
 * it has ended, from any thread; the connection is then resumed for finish().
 *
 * The context has two owners, the connection and the work, and destroy() runs when the
 * later of them lets go: a server that stops withdraws a request whose work has not begun
 * (the connection is then answered 503 at once, without finish()), while the work may still
 * hold it. */
#ifndef CONNECTORD_API_PARKED_H
#define CONNECTORD_API_PARKED_H

#include <stdatomic.h>
#include <stdbool.h>

#include "api/api.h"
#include "store/store.h"

struct api_parked {
    void (*start)(struct api_parked *pk);
    void (*destroy)(struct api_parked *pk);
    /* private */
    atomic_int state; /* enum parked_state in parked.c */
    atomic_int refs;
    void (*resume)(void *token);
    void *token;
};

/* Parks req until pk's work is done, then answers with finish(ctx = pk). Returns
 * HTTP_DEFERRED for the handler to return; from here on pk belongs to the deferral. */
int api_parked_wait(struct http_request *req, struct api_parked *pk,
                    int (*finish)(void *ctx, struct http_request *req,
                                  struct http_response *res, struct error *err));
/* The work may begin: true once, unless the request was withdrawn (false). */
bool api_parked_begin(struct api_parked *pk);
/* The work has ended: resumes the connection (unless withdrawn) and lets go of pk. */
void api_parked_done(struct api_parked *pk);

/* A write through the store's group commit. Embed struct api_parked_write first, set store,
 * engine and work, and park with api_parked_defer(). work() runs on the committer thread
 * inside the batch's transaction; after the commit (and its fsync) rc and err say how it
 * ended, the delivery engine is woken when work() set wake_engine (it wrote deliveries), and
 * the connection is resumed for finish(). */
struct api_parked_write {
    struct api_parked parked; /* private; first */
    struct store *store;
    struct engine *engine;
    int (*work)(struct api_parked_write *w, struct store_tx *tx, struct error *err);
    bool wake_engine;
    int rc;
    struct error err;
    /* private */
    void (*destroy)(struct api_parked_write *w);
    struct store_batch_job batch;
    bool began; /* taken from the queue: its work may run again (store_batch_job) */
};

/* Parks req until w's write has committed, then answers with finish(ctx = w). destroy(w)
 * frees the context (w is its first member). Returns HTTP_DEFERRED for the handler to
 * return; from here on w belongs to the deferral. */
int api_parked_defer(struct http_request *req, struct api_parked_write *w,
                     int (*finish)(void *ctx, struct http_request *req,
                                   struct http_response *res, struct error *err),
                     void (*destroy)(struct api_parked_write *w));

#endif
