/* api/health.c - liveness, readiness and metrics; no token needed. The counters live in
 * core/metrics; what is state (the delivery backlog, destinations per state) is read from
 * the store at each scrape, so it is true across processes sharing the store. */
#include "api/api.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/metrics.h"
#include "store/outbox.h"
#include "store/store.h"

static int respond_status(struct http_response *res, int status, const char *text,
                          struct error *err)
{
    return http_respond_json(res, status, json_pack("{s:s}", "status", text), err);
}

int api_healthz(struct http_request *req, struct http_response *res, struct error *err)
{
    (void)req;
    return respond_status(res, 200, "ok", err);
}

int api_readyz(struct http_request *req, struct http_response *res, struct error *err)
{
    struct app *app = req->app;
    struct error store_err;
    if (store_ping(app->store, &store_err) < 0)
        return error_set(err, ERR_UNAVAILABLE, "store is not answering: %s", store_err.message);
    return respond_status(res, 200, "ready", err);
}

int api_metrics(struct http_request *req, struct http_response *res, struct error *err)
{
    struct app *app = req->app;
    struct store_delivery_stats st;
    struct error store_err = {0};
    struct metrics_scrape scrape;
    bool known = store_delivery_stats(app->store, &st, &store_err) == 0;
    if (known) {
        int64_t age_ms = st.oldest_created_ms ? clock_now_ms() - st.oldest_created_ms : 0;
        scrape = (struct metrics_scrape){.backlog = st.backlog,
                                         .oldest_pending_age_s = age_ms > 0 ? age_ms / 1000 : 0,
                                         .destinations_active = st.destinations_active,
                                         .destinations_paused = st.destinations_paused,
                                         .destinations_disabled = st.destinations_inactive};
    } else {
        /* The counters are still worth serving; the store's gauges are left out. */
        log_warn("metrics: cannot read the delivery backlog: %s", store_err.message);
    }
    buf_reset(&res->body);
    if (metrics_render(&res->body, known ? &scrape : NULL) < 0)
        return error_set(err, ERR_INTERNAL, "cannot render metrics");
    res->status = 200;
    res->content_type = "text/plain; version=0.0.4; charset=utf-8";
    return 0;
}
