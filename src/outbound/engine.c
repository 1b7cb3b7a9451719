/* outbound/engine.c - the delivery engine (see engine.h).
 *
 * One thread owns a libcurl multi handle. It prepares each claimed delivery (event
 * envelope, the destination's config with secrets opened, render, Standard Webhooks
 * signature), adds it to the multi handle and drives transfers; one write at a time, run by
 * the store's committer while this thread goes on, records the answers collected since the
 * last write and claims due deliveries (one statement, leased) for the room in flight, and
 * as many again while the destinations answer fast. A crash between send and record leaves
 * the claim to expire and the delivery to be sent again: at least once, never lost.
 *
 * The breaker's view of each destination (failures in a row, paused until when and why,
 * last success and failure) is written with the round's answers, so the API shows it; a
 * destination the breaker pauses or disables raises destination.paused / .disabled in the
 * same transaction, with an audit record. Each attempt keeps the request it sent, its
 * secrets masked. The breaker's transitions (breaker.c) and the retry schedule (retry.c)
 * are pure files of their own; this one sends, records, logs and counts. */
#include "outbound/engine.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "catalog/catalog.h"
#include "core/clock.h"
#include "core/json.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/utf8.h"
#include "crypto/crypto.h"
#include "events/events.h"
#include "httpc/httpc.h"
#include "oauth/oauth.h"
#include "outbound/breaker.h"
#include "outbound/destination.h"
#include "outbound/retry.h"
#include "store/installs.h"
#include "store/outbox.h"
#include "store/store.h"

#define EXCERPT_MAX 1024
#define REQUEST_BODY_MAX 4096 /* bytes of a sent body kept with its attempt */
#define MASK "\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2" /* four bullets */
#define RESPONSE_MAX (64 * 1024)
#define IDLE_POLL_MS 100
/* An answer waits at most this long for others to share its write with. */
#define GATHER_MS 5
/* Answers that came within this long let the engine claim ahead (see struct engine). */
#define FAST_ANSWER_MS 1000
#define ENGINE_CHANGED_MAX 32

/* ---- the engine ----------------------------------------------------------------------- */

enum alert { ALERT_NONE, ALERT_PAUSED, ALERT_DISABLED };

/* What an attempt that was sent taught about its destination: the breaker as it was after
 * it, and an alert when the breaker paused or disabled the destination just now. */
struct health_note {
    bool present;
    struct install who; /* identity only: id, tenant_id, project_id, slug, name */
    int64_t failures;
    int64_t paused_until_ms;
    char success_at[CLOCK_RFC3339_LEN];
    char failure_at[CLOCK_RFC3339_LEN];
    enum alert alert;
    char reason[200];
};

struct outcome {
    char delivery_id[CRYPTO_ID_MAX];
    struct delivery_attempt attempt;
    char status[16];
    int64_t next_attempt_ms;
    char excerpt[EXCERPT_MAX + 1];
    char error[256];
    char *request; /* owned: the request sent, masked (JSON text), or NULL */
    struct health_note health;
};

/* What rendering needs of an event, whatever the destination: its envelope, its data and
 * the data's fields (events_read), made once per event and shared by its deliveries. The
 * data's tree is parsed only for a destination that reads it: the generic webhooks post
 * the envelope's text alone. */
struct event_view {
    char *envelope;
    json_t *data;             /* NULL until event_view_parse */
    struct event_data fields; /* points into data */
};

/* What the deliveries claimed together share, read once for the round and dropped once
 * they are in flight: a round's deliveries mostly go to a few destinations, and an event's
 * deliveries are claimed side by side (they were written together, due at the same time). */
#define ROUND_DESTS 16
#define MASKED_SECRETS_MAX 16 /* secret values masked in a recorded request */

struct round_dest {
    struct install in;
    const struct destination *dest;
    json_t *config; /* with its secrets opened; NULL until a delivery is rendered */
    bool oauth;     /* config's accessToken came from oauth/ */
    /* the secret values a recorded request masks, pointing into config, listed once */
    const char *secrets[MASKED_SECRETS_MAX];
    size_t n_secrets;
    struct crypto_hmac *signer; /* Standard Webhooks: keyed with the signing secret, copied
                                 * for each request; NULL until the first is signed */
};

struct round_event {
    struct event_record ev; /* ev.data owned; ev.id[0] == 0: none */
    struct event_view view;
};

struct changed_install {
    char tenant_id[CRYPTO_ID_MAX];
    char id[CRYPTO_ID_MAX];
};

struct engine {
    struct engine_config cfg;
    pthread_t thread;
    atomic_bool stopping;
    struct httpc_multi *multi;
    struct breakers breakers;
    struct outcome *done; /* answers collected for the next write, recorded together */
    size_t n_done, cap_done;
    /* The write in flight (see engine_main): the answers it records, the room it claims
     * for, the deliveries it claimed. The committer's thread owns them from
     * store_batch_submit until round_written; then the engine's thread again. */
    struct store_batch_job job;
    struct outcome *writing;
    size_t n_writing, cap_writing;
    int room;
    struct delivery *claimed; /* 2 x cfg.concurrency of them */
    size_t n_claimed;
    /* Claimed, waiting for room in flight. While the destinations answer fast, a write
     * claims up to cfg.concurrency more than are in flight: the answers that come while
     * it is on its way to disk are followed at once by requests from here instead of
     * waiting for the next claim. A delivery that waited here for half its lease goes
     * back to pending rather than out (another claim may take it then). */
    struct queued { struct delivery d; int64_t claimed_ms; } *queue;
    size_t queue_head, n_queued; /* a ring of 2 x cfg.concurrency */
    bool fast;                   /* the last answers recorded all came within FAST_ANSWER_MS */
    int64_t first_answer_ms;     /* when the oldest answer in done[] came */
    bool write_pending, write_retried; /* the engine's thread's alone */
    pthread_mutex_t write_lock;
    bool write_finished; /* under write_lock, with write_rc and write_err */
    int write_rc;
    struct error write_err;
    int64_t idle_until_ms; /* a claim found nothing: the next one waits until then */
    atomic_bool nudged;    /* engine_wake: new deliveries, claim at once */
    struct round_dest dests[ROUND_DESTS];
    size_t n_dests;
    struct round_event event; /* the last event rendered */
    /* Destinations another process changed (engine_install_changed), for the engine's
     * thread to bring their breakers in line with the store; all of them when the list
     * overflowed or notifications were lost. */
    pthread_mutex_t changed_lock;
    struct changed_install changed[ENGINE_CHANGED_MAX];
    size_t n_changed;
    bool changed_all;
};

struct in_flight {
    struct engine *engine;
    struct delivery d;
    char started_at[CLOCK_RFC3339_LEN];
    const struct destination *dest;
    struct install who; /* identity of the destination (no owned strings) */
    char *request;      /* owned: what was sent, masked */
    /* A token from oauth/: the request is kept to be sent once more after a 401. */
    bool oauth, reauthorized;
    struct dest_request req; /* owned when oauth */
};

void engine_config_defaults(struct engine_config *cfg)
{
    static const int64_t schedule[] = {5000,    30000,    120000,   600000,   1800000,
                                       3600000, 10800000, 21600000, 43200000, 86400000};
    memset(cfg, 0, sizeof *cfg);
    cfg->concurrency = 64;
    cfg->lease_ms = 60000;
    cfg->n_retries = (int)(sizeof schedule / sizeof schedule[0]);
    memcpy(cfg->retry_ms, schedule, sizeof schedule);
    cfg->connect_timeout_ms = 5000;
    cfg->timeout_ms = 15000;
    cfg->breaker_failures = 5;
    cfg->breaker_open_ms = 30000;
    cfg->disable_after_ms = 72LL * 3600 * 1000;
}

int engine_parse_schedule(struct engine_config *cfg, const char *text, struct error *err)
{
    return retry_parse_schedule(text, cfg->retry_ms, ENGINE_MAX_RETRIES, &cfg->n_retries, err);
}

/* 16 random bits for the retry's jitter, or RETRY_NO_RANDOM. */
static int32_t jitter_bits(void)
{
    unsigned char r[2];
    return crypto_random(r, sizeof r) < 0 ? RETRY_NO_RANDOM : (int32_t)(r[0] << 8 | r[1]);
}

/* The destination's config with its secrets opened, for rendering only. */
static json_t *open_config(const struct engine_config *cfg, const struct install *in,
                           struct error *err)
{
    json_t *config = json_loads(in->config, 0, NULL);
    json_t *secrets = json_loads(in->secrets, 0, NULL);
    char aad[2 * CRYPTO_ID_MAX + 2];
    const char *key;
    json_t *value;
    snprintf(aad, sizeof aad, "%s/%s", in->tenant_id, in->id);
    if (!config || !secrets) {
        error_set(err, ERR_STORE, "stored config of %s is not JSON", in->id);
        goto fail;
    }
    json_object_foreach(secrets, key, value) {
        struct buf plain;
        buf_init(&plain, 1 << 16);
        if (catalog_secret_open(secrets, key, cfg->master_key, aad, &plain, err) < 0) {
            buf_free(&plain);
            goto fail;
        }
        /* a sensitive list (stored as its JSON text) goes back to a list */
        json_t *v = plain.data && plain.data[0] == '[' ? json_loads(plain.data, 0, NULL) : NULL;
        json_object_set_new(config, key, v ? v : json_string(plain.data ? plain.data : ""));
        memset(plain.data, 0, plain.len);
        buf_free(&plain);
    }
    json_decref(secrets);
    return config;
fail:
    json_decref(config);
    json_decref(secrets);
    return NULL;
}

/* DEST_CAP_OAUTH: puts a valid access token from oauth/ into the opened config as
 * accessToken (*managed then true). A destination configured with a static accessToken
 * alone (no refresh token or key) keeps it. */
static int authorize_config(const struct engine_config *cfg, const struct install *in,
                            const struct destination *dest, json_t *config, bool *managed,
                            struct error *err)
{
    char token[OAUTH_TOKEN_MAX];
    *managed = false;
    if (!dest || !(dest->caps & DEST_CAP_OAUTH))
        return 0;
    if (oauth_access_token(cfg->store, cfg->master_key, in->tenant_id, in->id, token,
                           sizeof token, err) < 0)
        return err->code == ERR_NOT_INSTALLED &&
                       json_string_value(json_object_get(config, "accessToken"))
                   ? 0
                   : -1;
    int rc = json_object_set_new(config, "accessToken", json_string(token));
    memset(token, 0, sizeof token);
    if (rc < 0)
        return error_set(err, ERR_INTERNAL, "out of memory");
    *managed = true;
    return 0;
}

/* The HTTP request that sends a rendered one; headers (DEST_MAX_HEADERS) are filled. */
static struct httpc_request http_request_of(const struct engine_config *cfg,
                                            const struct dest_request *req,
                                            struct httpc_header *headers)
{
    for (size_t i = 0; i < req->n_headers; i++)
        headers[i] = (struct httpc_header){req->header_names[i], req->header_values[i]};
    return (struct httpc_request){.method = req->method,
                                  .url = req->url.data,
                                  .headers = headers,
                                  .n_headers = req->n_headers,
                                  .body = req->body.len ? req->body.data : NULL,
                                  .body_len = req->body.len,
                                  .timeout_ms = cfg->timeout_ms,
                                  .connect_timeout_ms = cfg->connect_timeout_ms,
                                  .max_response = RESPONSE_MAX,
                                  .refuse_private = !cfg->allow_private};
}

/* The HMAC-SHA256 context keyed with a Standard Webhooks signing secret, the key being the
 * base64 after "whsec_"; NULL (err set) when it is not base64 or memory ran out. */
static struct crypto_hmac *signer_new(const char *secret, struct error *err)
{
    unsigned char key[128];
    const char *encoded = strncmp(secret, "whsec_", 6) == 0 ? secret + 6 : secret;
    long key_len = crypto_b64_decode(encoded, strlen(encoded), key, sizeof key);
    if (key_len <= 0) {
        error_set(err, ERR_INTERNAL, "signing secret is not base64");
        return NULL;
    }
    struct crypto_hmac *h = crypto_hmac_begin(CRYPTO_HMAC_SHA256, key, (size_t)key_len);
    memset(key, 0, sizeof key);
    if (!h)
        error_set(err, ERR_INTERNAL, "cannot sign the request");
    return h;
}

/* Standard Webhooks: webhook-id, webhook-timestamp, webhook-signature "v1,<base64 of
 * HMAC-SHA256(key, id.timestamp.body)>"; signer is keyed (signer_new) and left as it is. */
static int sign_standard_webhooks(struct dest_request *req, const char *event_id,
                                  const struct crypto_hmac *signer, int64_t now_ms,
                                  struct error *err)
{
    unsigned char mac[CRYPTO_HMAC_MAX_LEN];
    char ts[24], sig[64] = "v1,", head[CRYPTO_ID_MAX + 32];
    snprintf(ts, sizeof ts, "%lld", (long long)(now_ms / 1000));
    int head_len = snprintf(head, sizeof head, "%s.%s.", event_id, ts);
    if (head_len < 0 || (size_t)head_len >= sizeof head)
        return error_set(err, ERR_INTERNAL, "event id too long to sign");
    /* streamed: no copy of the body (each update has a fixed cost: two of them) */
    struct crypto_hmac *h = crypto_hmac_copy(signer);
    bool fed = h && crypto_hmac_update(h, head, (size_t)head_len) == 0 &&
               crypto_hmac_update(h, req->body.data ? req->body.data : "", req->body.len) == 0;
    int mac_len = -1;
    if (fed)
        mac_len = crypto_hmac_end(h, mac); /* frees h */
    else
        crypto_hmac_free(h); /* NULL, or abandoned midway */
    if (mac_len != CRYPTO_SHA256_LEN)
        return error_set(err, ERR_INTERNAL, "cannot sign the request");
    crypto_b64(mac, CRYPTO_SHA256_LEN, sig + 3);
    if (dest_request_header(req, "webhook-id", event_id) < 0 ||
        dest_request_header(req, "webhook-timestamp", ts) < 0 ||
        dest_request_header(req, "webhook-signature", sig) < 0)
        return error_set(err, ERR_INTERNAL, "out of memory");
    return req->refused_header[0] ? dest_refused_header(req, err) : 0;
}

static int event_view_init(struct event_view *v, const struct event_record *ev,
                           struct error *err)
{
    v->envelope = events_envelope(ev);
    return v->envelope ? 0 : error_set(err, ERR_INTERNAL, "out of memory");
}

/* The data's tree and fields, for a destination that reads them. */
static int event_view_parse(struct event_view *v, const struct event_record *ev,
                            struct error *err)
{
    if (v->data)
        return 0;
    if (!(v->data = json_loads(ev->data, 0, NULL)))
        return error_set(err, ERR_STORE, "event %s is not JSON", ev->id);
    events_read(v->data, &v->fields);
    return 0;
}

static void event_view_free(struct event_view *v)
{
    free(v->envelope);
    json_decref(v->data);
    memset(v, 0, sizeof *v);
}

/* Renders the request for one delivery from the destination's opened config. *signer:
 * the destination's keyed signing context, made here when NULL (the caller frees it). */
static int render_with(const struct destination *dest, const json_t *config,
                       const struct event_record *ev, const struct event_view *view,
                       struct crypto_hmac **signer, struct dest_request *req, struct error *err)
{
    const char *base = json_string_value(json_object_get(config, "apiBaseUrl"));
    struct dest_event de = {.id = ev->id, .type = ev->type, .created_at = ev->created_at,
                            .project_id = ev->tenant_id, .data = view->data,
                            .envelope = view->envelope, .fields = view->fields};
    struct dest_config dc = {.config = config,
                             .api_base_url = base && *base ? base : dest->default_api_base};
    if (destination_render(dest, &de, &dc, req, err) < 0)
        return -1;
    if (dest->caps & DEST_CAP_STD_WEBHOOKS) {
        const char *secret = json_string_value(json_object_get(config, "signingSecret"));
        if (!secret)
            return error_set(err, ERR_VALIDATION, "destination has no signing secret");
        if (!*signer && !(*signer = signer_new(secret, err)))
            return -1;
        if (sign_standard_webhooks(req, ev->id, *signer, clock_now_ms(), err) < 0)
            return -1;
    }
    return 0;
}

/* Renders the request for one delivery. */
static int render_delivery(const struct engine_config *cfg, const struct install *in,
                           const struct event_record *ev, const struct destination **dest_out,
                           struct dest_request *req, struct error *err)
{
    const struct destination *dest = destination_find(in->slug);
    struct event_view view = {0};
    json_t *config = NULL;
    int rc = -1;
    *dest_out = dest;
    if (!dest) {
        error_set(err, ERR_VALIDATION, "no destination %s", in->slug);
        goto out;
    }
    bool managed;
    if (event_view_init(&view, ev, err) < 0 || event_view_parse(&view, ev, err) < 0 ||
        !(config = open_config(cfg, in, err)) ||
        authorize_config(cfg, in, dest, config, &managed, err) < 0)
        goto out;
    struct crypto_hmac *signer = NULL;
    rc = render_with(dest, config, ev, &view, &signer, req, err);
    crypto_hmac_free(signer);
out:
    event_view_free(&view);
    json_decref(config);
    return rc;
}

static struct outcome *outcome_add(struct engine *e)
{
    if (e->n_done == e->cap_done) {
        size_t cap = e->cap_done ? e->cap_done * 2 : 64;
        struct outcome *grown = realloc(e->done, cap * sizeof *grown);
        if (!grown)
            return NULL;
        e->done = grown;
        e->cap_done = cap;
    }
    if (e->n_done == 0)
        e->first_answer_ms = clock_now_ms();
    struct outcome *o = &e->done[e->n_done++];
    memset(o, 0, sizeof *o);
    return o;
}

static void identity_of(const struct install *in, struct install *out)
{
    memset(out, 0, sizeof *out);
    memcpy(out->id, in->id, sizeof out->id);
    memcpy(out->tenant_id, in->tenant_id, sizeof out->tenant_id);
    memcpy(out->project_id, in->project_id, sizeof out->project_id);
    memcpy(out->slug, in->slug, sizeof out->slug);
    memcpy(out->name, in->name, sizeof out->name);
}

/* Moves the breaker after an attempt that was sent, and notes what the API and the alerts
 * need: the breaker's state, and whether it paused or disabled the destination now. */
static void breaker_note(struct engine *e, struct breaker *b, const struct in_flight *f,
                         bool delivered, struct outcome *o, int64_t now)
{
    struct health_note *h = &o->health;
    char what[96];
    if (delivered) {
        if (breaker_success(b, now).closed)
            log_info("destination %s answers again; breaker closed", f->d.connector_id);
    } else {
        struct breaker_policy policy = {.failures = e->cfg.breaker_failures,
                                        .open_ms = e->cfg.breaker_open_ms,
                                        .disable_after_ms = e->cfg.disable_after_ms};
        struct breaker_change c = breaker_failure(b, &policy, now);
        if (o->attempt.http_status)
            snprintf(what, sizeof what, "HTTP %lld", (long long)o->attempt.http_status);
        else
            snprintf(what, sizeof what, "%.80s", o->error[0] ? o->error : "no answer");
        if (c.opened) {
            log_warn("destination %s failed %d times in a row; pausing it for %lld ms",
                     f->d.connector_id, b->failures, (long long)e->cfg.breaker_open_ms);
            h->alert = ALERT_PAUSED;
            snprintf(h->reason, sizeof h->reason, "%d failures in a row, the last: %s",
                     b->failures, what);
        }
        if (c.disabled) {
            char since[CLOCK_RFC3339_LEN];
            clock_format_rfc3339(c.failing_since_ms, since);
            log_warn("destination %s has failed since %s; disabled", f->d.connector_id, since);
            h->alert = ALERT_DISABLED;
            snprintf(h->reason, sizeof h->reason, "failing since %s without a success, the last: %s",
                     since, what);
        }
    }
    h->present = true;
    identity_of(&f->who, &h->who);
    h->failures = b->failures;
    h->paused_until_ms = b->open_until_ms;
    if (b->last_success_ms)
        clock_format_rfc3339(b->last_success_ms, h->success_at);
    if (b->last_failure_ms)
        clock_format_rfc3339(b->last_failure_ms, h->failure_at);
}

/* Decides what an attempt means for the delivery and its destination's breaker. Only an
 * attempt that was sent (f not NULL) says how the service is doing: one that failed before
 * (a destination that cannot render the event, a local error) leaves the breaker alone, or
 * events a destination has no use for would pause, and finally disable, it. The request
 * f sent moves into the outcome. */
static void settle(struct engine *e, const struct delivery *d, const char *started_at,
                   long http_status, const char *body, size_t body_len, int64_t retry_at_ms,
                   const char *error, enum dest_verdict verdict, int64_t duration_ms,
                   struct in_flight *f, const struct destination *dest)
{
    const char *type = dest ? dest->slug : "unknown"; /* the metrics' label */
    int64_t now = clock_now_ms();
    struct outcome *o = outcome_add(e);
    if (!o) {
        log_error("out of memory recording delivery %s; its lease will expire and it is resent",
                  d->id);
        return;
    }
    snprintf(o->delivery_id, sizeof o->delivery_id, "%s", d->id);
    o->attempt.attempt_no = d->attempts + 1;
    snprintf(o->attempt.started_at, sizeof o->attempt.started_at, "%s", started_at);
    o->attempt.duration_ms = duration_ms;
    o->attempt.http_status = http_status;
    size_t n = body_len <= EXCERPT_MAX ? body_len : utf8_cut(body, EXCERPT_MAX);
    if (body)
        memcpy(o->excerpt, body, n);
    o->excerpt[n] = '\0';
    o->attempt.response_excerpt = body ? o->excerpt : NULL;
    if (error)
        snprintf(o->error, sizeof o->error, "%s", error);
    o->attempt.error = o->error[0] ? o->error : NULL;
    if (f) {
        o->request = f->request;
        f->request = NULL;
    }

    int64_t next = verdict == DEST_RETRY
                       ? retry_next_at(e->cfg.retry_ms, e->cfg.n_retries,
                                       (int)o->attempt.attempt_no, retry_at_ms, now, jitter_bits())
                       : -1;
    if (verdict == DEST_DELIVERED) {
        snprintf(o->status, sizeof o->status, "delivered");
        metrics_delivery(type, "delivered");
    } else if (next >= 0) {
        snprintf(o->status, sizeof o->status, "pending");
        metrics_delivery(type, "retry");
        o->next_attempt_ms = next;
    } else {
        snprintf(o->status, sizeof o->status, verdict == DEST_RETRY ? "dead" : "failed");
        metrics_delivery(type, verdict == DEST_RETRY ? "dead" : "failed");
    }
    struct breaker *b = f ? breaker_for(&e->breakers, d->connector_id) : NULL;
    if (b)
        breaker_note(e, b, f, verdict == DEST_DELIVERED, o, now);
}

static void on_answer(void *user, const struct httpc_response *resp, const char *transport_error,
                      int64_t duration_ms);

/* A 401 to a token from oauth/: it was revoked or expired early. Forgets it, gets a new one
 * (one refresh) and sends the same request once more, whose answer is the attempt's. False
 * when that cannot be done (the 401 then stands). */
static bool resend_reauthorized(struct in_flight *f)
{
    struct engine *e = f->engine;
    struct error err = {0};
    char token[OAUTH_TOKEN_MAX];
    struct buf auth;
    bool sent = false;
    size_t i = 0;
    f->reauthorized = true;
    buf_init(&auth, OAUTH_TOKEN_MAX + 16);
    while (i < f->req.n_headers && strcasecmp(f->req.header_names[i], "Authorization") != 0)
        i++;
    if (i == f->req.n_headers)
        goto out;
    if (oauth_invalidate(e->cfg.store, f->who.tenant_id, f->who.id, &err) < 0 ||
        oauth_access_token(e->cfg.store, e->cfg.master_key, f->who.tenant_id, f->who.id, token,
                           sizeof token, &err) < 0) {
        log_warn("destination %s answered 401 and its access token cannot be renewed: %s",
                 f->d.connector_id, err.message);
        goto out;
    }
    char *value = buf_printf(&auth, "Bearer %s", token) == 0 ? strdup(auth.data) : NULL;
    memset(token, 0, sizeof token);
    if (!value)
        goto out;
    free(f->req.header_values[i]);
    f->req.header_values[i] = value;
    struct httpc_header headers[DEST_MAX_HEADERS];
    struct httpc_request hr = http_request_of(&e->cfg, &f->req, headers);
    sent = httpc_multi_add(e->multi, &hr, on_answer, f, &err) == 0;
    if (sent)
        log_info("destination %s answered 401; its access token was renewed and the request "
                 "sent again", f->d.connector_id);
out:
    if (auth.data)
        memset(auth.data, 0, auth.len);
    buf_free(&auth);
    return sent;
}

static void on_answer(void *user, const struct httpc_response *resp, const char *transport_error,
                      int64_t duration_ms)
{
    struct in_flight *f = user;
    if (!transport_error && resp->status == 401 && f->oauth && !f->reauthorized &&
        resend_reauthorized(f))
        return;
    struct dest_response dr = {.status = transport_error ? 0 : resp->status,
                               .body = resp->body.data ? resp->body.data : "",
                               .body_len = resp->body.len,
                               .retry_after = resp->retry_after[0] ? resp->retry_after : NULL};
    enum dest_verdict verdict = destination_classify(f->dest, &dr);
    int64_t retry_at = verdict == DEST_RETRY
                           ? destination_retry_at_ms(f->dest, &dr, clock_now_ms())
                           : -1;
    settle(f->engine, &f->d, f->started_at, dr.status, dr.body, dr.body_len, retry_at,
           transport_error, verdict, duration_ms, f, f->dest);
    free(f->request);
    dest_request_free(&f->req);
    free(f);
}

static void round_forget_dests(struct engine *e)
{
    for (size_t i = 0; i < e->n_dests; i++) {
        store_install_clear(&e->dests[i].in);
        json_decref(e->dests[i].config);
        crypto_hmac_free(e->dests[i].signer);
    }
    e->n_dests = 0;
}

static void round_forget_event(struct engine *e)
{
    event_view_free(&e->event.view);
    free((char *)e->event.ev.data);
    memset(&e->event.ev, 0, sizeof e->event.ev);
}

/* Drops what the round read: the requests in flight hold copies of all they need. */
static void round_forget(struct engine *e)
{
    round_forget_dests(e);
    round_forget_event(e);
}

/* The delivery's destination as the round read it; NULL when it is gone. */
static struct round_dest *round_dest(struct engine *e, const struct delivery *d,
                                     struct error *err)
{
    for (size_t i = 0; i < e->n_dests; i++)
        if (strcmp(e->dests[i].in.id, d->connector_id) == 0 &&
            strcmp(e->dests[i].in.tenant_id, d->tenant_id) == 0)
            return &e->dests[i];
    if (e->n_dests == ROUND_DESTS)
        round_forget_dests(e);
    struct round_dest *rd = &e->dests[e->n_dests];
    memset(rd, 0, sizeof *rd);
    if (store_install_get(e->cfg.store, d->tenant_id, d->connector_id, &rd->in, err) < 0) {
        store_install_clear(&rd->in);
        return NULL;
    }
    rd->dest = destination_find(rd->in.slug);
    e->n_dests++;
    return rd;
}

/* The delivery's event, ready to render; NULL (err set) when it cannot be read. */
static struct round_event *round_event(struct engine *e, const struct delivery *d,
                                       struct error *err)
{
    struct round_event *re = &e->event;
    if (re->ev.id[0] && strcmp(re->ev.id, d->event_id) == 0 &&
        strcmp(re->ev.tenant_id, d->tenant_id) == 0)
        return re;
    round_forget_event(e);
    if (store_event_get(e->cfg.store, d->tenant_id, d->event_id, &re->ev, err) < 0 ||
        event_view_init(&re->view, &re->ev, err) < 0) {
        round_forget_event(e);
        return NULL;
    }
    return re;
}

/* Lists the opened config's secret values (at least 4 bytes each) that a recorded request
 * masks: read once per destination and round, not once per delivery. */
static void list_secrets(struct round_dest *rd)
{
    json_t *names = json_loads(rd->in.secrets, 0, NULL);
    const char *key;
    json_t *value;
    rd->n_secrets = 0;
    json_object_foreach(names, key, value) {
        const char *v = json_string_value(json_object_get(rd->config, key));
        if (v && strlen(v) >= 4 && rd->n_secrets < MASKED_SECRETS_MAX)
            rd->secrets[rd->n_secrets++] = v;
    }
    json_decref(names);
}

/* Renders one delivery from what the round read. */
static int render_round(struct engine *e, struct round_dest *rd, const struct delivery *d,
                        struct dest_request *req, struct error *err)
{
    struct round_event *re = round_event(e, d, err);
    if (!re)
        return -1;
    if (!rd->dest)
        return error_set(err, ERR_VALIDATION, "no destination %s", rd->in.slug);
    if (!rd->config) {
        json_t *config = open_config(&e->cfg, &rd->in, err);
        if (!config)
            return -1;
        if (authorize_config(&e->cfg, &rd->in, rd->dest, config, &rd->oauth, err) < 0) {
            json_decref(config);
            return -1;
        }
        rd->config = config;
        list_secrets(rd);
    }
    if (rd->dest->render != dest_render_envelope && event_view_parse(&re->view, &re->ev, err) < 0)
        return -1;
    return render_with(rd->dest, rd->config, &re->ev, &re->view, &rd->signer, req, err);
}

/* Where secret (sl bytes) next starts in text[from, len), or len when it does not. */
static size_t secret_next(const char *text, size_t len, size_t from, const char *secret,
                          size_t sl)
{
    const char *at = memmem(text + from, len - from, secret, sl);
    return at ? (size_t)(at - text) : len;
}

/* Appends text with every secret value of the destination replaced by a mask; secrets
 * holds the opened config's secret values (at least 4 bytes each, at most
 * MASKED_SECRETS_MAX). Read from the start: where secrets start at one place, the first
 * listed is masked, and the text after it is read on from its end. The text between two
 * masks goes in as one run, and each secret's next place is looked for again only once
 * the reading has passed it, so the cost follows the text's length, not length x secrets
 * per byte. */
static int append_masked(struct buf *out, const char *text, size_t len,
                         const char *const *secrets, size_t n_secrets)
{
    size_t next[MASKED_SECRETS_MAX], lens[MASKED_SECRETS_MAX];
    int rc = 0;
    for (size_t k = 0; k < n_secrets; k++) {
        lens[k] = strlen(secrets[k]);
        next[k] = secret_next(text, len, 0, secrets[k], lens[k]);
    }
    /* Each run is escaped on its own, straight into out: a secret (valid UTF-8, as the
     * text is) starts and ends on character boundaries, so the runs escape as the whole
     * text would. */
    for (size_t i = 0; i < len && rc == 0;) {
        size_t at = len, hit = 0;
        for (size_t k = 0; k < n_secrets; k++) {
            if (next[k] < i) /* passed: inside a mask, or before it */
                next[k] = secret_next(text, len, i, secrets[k], lens[k]);
            if (next[k] < at) {
                at = next[k];
                hit = lens[k];
            }
        }
        rc = json_escape_append(out, text + i, at - i);
        if (rc == 0 && at < len)
            rc = buf_append_str(out, MASK);
        i = at + hit;
    }
    return rc;
}

/* Headers whose whole value is a credential, whatever it is made of. */
static bool credential_header(const char *name)
{
    static const char *const names[] = {"authorization", "proxy-authorization", "cookie",
                                        "x-api-key", "api-key", NULL};
    for (const char *const *n = names; *n; n++)
        if (strcasecmp(*n, name) == 0)
            return true;
    return false;
}

/* The request as the attempts table shows it, JSON text (caller frees; NULL when memory
 * ran out): method, URL, headers and the body's first REQUEST_BODY_MAX bytes, cut on a
 * character boundary, with the destination's secrets masked wherever they appear (a Slack
 * webhook URL, a token in a path, a key in a body) and credential headers masked whole. */
static char *request_record(const struct dest_request *req, const struct round_dest *rd)
{
    const char *const *secrets = rd->secrets;
    size_t n = rd->n_secrets, i;
    struct buf out;
    buf_init(&out, 0);
    size_t body_len = req->body.len < REQUEST_BODY_MAX ? req->body.len : REQUEST_BODY_MAX;
    while (body_len < req->body.len && body_len > 0 &&
           ((unsigned char)req->body.data[body_len] & 0xc0) == 0x80)
        body_len--;
    int rc = buf_printf(&out, "{\"method\":\"%s\",\"url\":\"", req->method);
    if (rc == 0)
        rc = append_masked(&out, req->url.data ? req->url.data : "", req->url.len, secrets, n);
    if (rc == 0)
        rc = buf_append_str(&out, "\",\"headers\":[");
    for (i = 0; rc == 0 && i < req->n_headers; i++) {
        const char *v = req->header_values[i];
        rc = buf_append_str(&out, i ? ",[\"" : "[\"");
        if (rc == 0)
            rc = json_escape_append(&out, req->header_names[i], strlen(req->header_names[i]));
        if (rc == 0)
            rc = buf_append_str(&out, "\",\"");
        if (rc == 0)
            rc = credential_header(req->header_names[i])
                     ? buf_append_str(&out, MASK)
                     : append_masked(&out, v, strlen(v), secrets, n);
        if (rc == 0)
            rc = buf_append_str(&out, "\"]");
    }
    if (rc == 0)
        rc = buf_append_str(&out, "],\"body\":\"");
    if (rc == 0)
        rc = append_masked(&out, req->body.data ? req->body.data : "", body_len, secrets, n);
    if (rc == 0)
        rc = buf_printf(&out, "\",\"bodyBytes\":%zu}", req->body.len);
    if (rc < 0) {
        buf_free(&out);
        return NULL;
    }
    return out.data; /* the buffer's bytes, handed over */
}

/* Prepares one claimed delivery and puts it in flight (or settles it at once). */
static void start_delivery(struct engine *e, const struct delivery *d)
{
    struct error err = {0};
    struct dest_request req;
    int64_t now = clock_now_ms();
    char started[CLOCK_RFC3339_LEN];
    clock_format_rfc3339(now, started);
    dest_request_init(&req, "POST");

    struct round_dest *rd = round_dest(e, d, &err);
    if (!rd) {
        settle(e, d, started, 0, NULL, 0, -1, "the destination was deleted", DEST_FAILED, 0,
               NULL, NULL);
        goto out;
    }
    struct breaker *b = breaker_for(&e->breakers, d->connector_id);
    if (!rd->in.is_active) /* turned on again, it starts afresh */
        breaker_reset(b);
    if (!rd->in.is_active || !breaker_allows(b, now)) {
        /* Paused or resting: put it back without an attempt. */
        int64_t later = !rd->in.is_active ? now + 60000 : breaker_hold_until(b, now);
        if (store_delivery_defer(e->cfg.store, d->id, later, &err) < 0)
            log_warn("cannot defer delivery %s: %s", d->id, err.message);
        goto out;
    }
    if (render_round(e, rd, d, &req, &err) < 0) {
        /* a token URL that did not answer is tried again; a refused grant is not */
        bool later = err.code == ERR_UNAVAILABLE || err.code == ERR_SERVICE_FAILED;
        breaker_release_probe(b);
        settle(e, d, started, 0, NULL, 0, -1, err.message, later ? DEST_RETRY : DEST_FAILED, 0,
               NULL, rd->dest);
        goto out;
    }
    struct httpc_header headers[DEST_MAX_HEADERS];
    struct httpc_request hr = http_request_of(&e->cfg, &req, headers);
    struct in_flight *f = calloc(1, sizeof *f);
    if (!f) {
        log_error("out of memory starting delivery %s; it is resent when its lease expires", d->id);
        goto out;
    }
    f->engine = e;
    f->d = *d;
    f->dest = rd->dest;
    identity_of(&rd->in, &f->who);
    f->request = request_record(&req, rd);
    memcpy(f->started_at, started, sizeof started);
    if (httpc_multi_add(e->multi, &hr, on_answer, f, &err) < 0) {
        free(f->request);
        free(f);
        breaker_release_probe(b);
        settle(e, d, started, 0, NULL, 0, -1, err.message, DEST_RETRY, 0, NULL, rd->dest);
    } else if (rd->oauth) { /* kept for one resend after a 401 */
        f->oauth = true;
        f->req = req;
        dest_request_init(&req, "POST");
    }
out:
    dest_request_free(&req);
}

static int on_claimed(void *ctx, const struct delivery *d)
{
    struct engine *e = ctx;
    if (e->n_claimed < 2 * (size_t)e->cfg.concurrency)
        e->claimed[e->n_claimed++] = *d;
    return 0;
}

/* The alert's data: which destination, why, and until when a pause lasts. */
/* The alert's data (destination.paused or destination.disabled), from its builder. */
static char *alert_data(const struct health_note *h, struct error *err)
{
    char until[CLOCK_RFC3339_LEN] = "";
    if (h->alert == ALERT_PAUSED)
        clock_format_rfc3339(h->paused_until_ms, until);
    struct event_data d = {.destination_id = h->who.id, .destination_type = h->who.slug,
                           .name = h->who.name[0] ? h->who.name : h->who.slug,
                           .reason = h->reason,
                           .consecutive_failures = {.set = true, .value = h->failures},
                           .until = until[0] ? until : NULL};
    return h->alert == ALERT_PAUSED ? events_build_destination_paused(&d, err)
                                    : events_build_destination_disabled(&d, err);
}

/* Writes what outcome i taught about its destination: its health (once per destination
 * and round, from the last of its outcomes, unless an earlier one carries an alert), and
 * an alert as an event for the project's other destinations, with an audit record. */
static int record_health(struct engine *e, size_t i, struct store_tx *tx, struct error *err)
{
    const struct health_note *h = &e->writing[i].health;
    if (!h->present)
        return 0;
    if (h->alert == ALERT_NONE)
        for (size_t k = i + 1; k < e->n_writing; k++)
            if (e->writing[k].health.present &&
                strcmp(e->writing[k].health.who.id, h->who.id) == 0)
                return 0; /* a later answer says more */
    const char *type = h->alert == ALERT_PAUSED     ? "destination.paused"
                       : h->alert == ALERT_DISABLED ? "destination.disabled"
                                                    : NULL;
    struct destination_health_update u = {
        .tenant_id = h->who.tenant_id, .id = h->who.id, .consecutive_failures = h->failures,
        .paused_until_ms = h->paused_until_ms, .reason = type ? h->reason : NULL,
        .success_at = h->success_at[0] ? h->success_at : NULL,
        .failure_at = h->failure_at[0] ? h->failure_at : NULL,
        .disable = h->alert == ALERT_DISABLED};
    if (store_destination_health(tx, &u, err) < 0)
        return -1;
    const char *changed = h->alert == ALERT_DISABLED ? "[\"isActive\"]" : "[\"status\"]";
    if (!type)
        return 0;
    char *data = alert_data(h, err);
    int rc = events_emit_alert(tx, &h->who, type, data, changed, err);
    free(data);
    return rc;
}

/* The destination a recorded answer updates the health of ("" for none). */
static const char *health_target(const struct outcome *o)
{
    return o->health.present ? o->health.who.id : "";
}

/* Orders the answers by destination, keeping each destination's answers in the order they
 * came (record_health reads the last as the one that says most). Every process then updates
 * the destinations' rows in the same order, so two engines recording answers for the same
 * destinations at once wait for each other instead of deadlocking (PostgreSQL would abort
 * one of them, and its answers would be sent again after the lease). Few answers per round:
 * an insertion sort, which is stable. */
static void sort_answers(struct outcome *done, size_t n_done)
{
    for (size_t i = 1; i < n_done; i++) {
        struct outcome held = done[i];
        size_t k = i;
        while (k > 0 && strcmp(health_target(&done[k - 1]), health_target(&held)) > 0) {
            done[k] = done[k - 1];
            k--;
        }
        done[k] = held;
    }
    /* An answer's attempt points into its own outcome (its excerpt, its error): moved, it
     * points at its new place. */
    for (size_t i = 0; i < n_done; i++) {
        struct outcome *o = &done[i];
        o->attempt.response_excerpt = o->attempt.response_excerpt ? o->excerpt : NULL;
        o->attempt.error = o->attempt.error ? o->error : NULL;
    }
}

/* The committer's part of a write: the answers first, then the claim. */
static int write_round(void *ctx, struct store_tx *tx, struct error *err)
{
    struct engine *e = ctx;
    e->n_claimed = 0; /* a write run again (below) claims afresh */
    for (size_t i = 0; i < e->n_writing; i++) {
        struct outcome *o = &e->writing[i];
        o->attempt.request = o->request;
        if (store_delivery_record(tx, o->delivery_id, &o->attempt, o->status,
                                  o->next_attempt_ms, err) < 0 ||
            record_health(e, i, tx, err) < 0)
            return -1;
    }
    if (e->room <= 0)
        return 0;
    return store_deliveries_claim(tx, clock_now_ms(), e->cfg.lease_ms, e->room, on_claimed, e,
                                  err);
}

/* Called by the committer once the write is on disk (or failed): hands it back to the
 * engine's thread and wakes it. */
static void round_written(void *ctx, int rc, const struct error *err)
{
    struct engine *e = ctx;
    pthread_mutex_lock(&e->write_lock);
    e->write_rc = rc;
    e->write_err = rc < 0 && err ? *err : (struct error){0};
    e->write_finished = true;
    pthread_mutex_unlock(&e->write_lock);
    httpc_multi_wakeup(e->multi);
}

static void write_submit(struct engine *e)
{
    pthread_mutex_lock(&e->write_lock);
    e->write_finished = false;
    pthread_mutex_unlock(&e->write_lock);
    e->write_pending = true;
    e->job = (struct store_batch_job){.work = write_round, .done = round_written, .ctx = e};
    store_batch_submit(e->cfg.store, &e->job);
}

/* Starts a write: records the answers collected since the last one and, when room > 0,
 * claims that many due deliveries. A delivery is leased before it is sent, and each answer
 * is on disk before its delivery can be claimed again. The write joins the store's group
 * commit rather than taking the write lock itself: under a stream of events the committer
 * would otherwise hold the lock almost all the time, and the engine's turns would come late
 * (SQLite's busy wait backs off). */
static void round_write(struct engine *e, int room)
{
    struct outcome *swap = e->writing;
    size_t cap = e->cap_writing;
    e->writing = e->done;
    e->n_writing = e->n_done;
    e->cap_writing = e->cap_done;
    e->done = swap;
    e->n_done = 0;
    e->cap_done = cap;
    e->room = room;
    e->write_retried = false;
    sort_answers(e->writing, e->n_writing);
    write_submit(e);
}

/* Whether the write in flight is done. */
static bool write_done(struct engine *e)
{
    pthread_mutex_lock(&e->write_lock);
    bool finished = e->write_finished;
    pthread_mutex_unlock(&e->write_lock);
    return finished;
}

/* Takes a finished write back: its answers are dropped (recorded, or to be sent again when
 * their leases expire) and the deliveries it claimed are put in flight. */
static void write_finish(struct engine *e)
{
    e->write_pending = false;
    /* A transaction the store gave up on for another one (a deadlock or serialization
     * failure: ERR_UNAVAILABLE, nothing of it written) is run once more at once, rather
     * than leaving its answers to be sent again when their leases expire. */
    if (e->write_rc < 0 && e->write_err.code == ERR_UNAVAILABLE && !e->write_retried) {
        e->write_retried = true;
        write_submit(e);
        return;
    }
    if (e->write_rc < 0) {
        e->n_claimed = 0; /* not claimed after all */
        if (e->n_writing > 0)
            log_error("cannot record %zu delivery attempts (they are resent when their leases "
                      "expire): %s", e->n_writing, e->write_err.message);
        else
            log_warn("cannot claim deliveries: %s", e->write_err.message);
    }
    bool fast = e->n_writing > 0;
    for (size_t i = 0; i < e->n_writing; i++) {
        fast = fast && e->writing[i].attempt.http_status > 0 &&
               e->writing[i].attempt.duration_ms < FAST_ANSWER_MS;
        free(e->writing[i].request);
    }
    if (e->n_writing > 0)
        e->fast = fast;
    e->n_writing = 0;
    /* a claim that found nothing: the next waits a poll's time, or engine_wake */
    int64_t now = clock_now_ms();
    e->idle_until_ms = e->room > 0 && e->n_claimed == 0 ? now + IDLE_POLL_MS : 0;
    size_t cap = 2 * (size_t)e->cfg.concurrency;
    round_forget(e); /* the claimed are rendered from what is stored now */
    for (size_t i = 0; i < e->n_claimed && e->n_queued < cap; i++) {
        struct queued *q = &e->queue[(e->queue_head + e->n_queued++) % cap];
        q->d = e->claimed[i];
        q->claimed_ms = now;
    }
    e->n_claimed = 0;
}

/* Puts queued deliveries in flight while there is room; when the engine stops, back to
 * pending instead. */
static void send_queued(struct engine *e)
{
    size_t cap = 2 * (size_t)e->cfg.concurrency;
    int64_t now = clock_now_ms();
    while (e->n_queued > 0 && (httpc_multi_in_flight(e->multi) < e->cfg.concurrency ||
                               atomic_load(&e->stopping))) {
        struct queued q = e->queue[e->queue_head];
        struct error err = {0};
        e->queue_head = (e->queue_head + 1) % cap;
        e->n_queued--;
        if (!atomic_load(&e->stopping) && now - q.claimed_ms < e->cfg.lease_ms / 2)
            start_delivery(e, &q.d);
        else if (store_delivery_defer(e->cfg.store, q.d.id, now, &err) < 0)
            log_warn("cannot put delivery %s back: %s", q.d.id, err.message);
    }
}

/* Whether to start a write now: when it has enough to do (a quarter of the concurrency in
 * answers and claims), or nothing more is coming (no request in flight), or its oldest
 * answer has waited GATHER_MS; a claim alone when deliveries may be due. Each write costs a
 * commit and an fsync: many small ones would take the disk's time from larger ones. */
static bool write_due(struct engine *e, int room, bool claim, int64_t now)
{
    size_t work = e->n_done + (claim ? (size_t)room : 0);
    if (work == 0)
        return false;
    return work * 4 >= (size_t)e->cfg.concurrency || httpc_multi_in_flight(e->multi) == 0 ||
           (e->n_done > 0 && now - e->first_answer_ms >= GATHER_MS);
}

/* A destination changed elsewhere: its breaker here starts afresh when the store shows it
 * so (turned on again by hand, or deleted), as the process that made the change does. */
static void reconcile_breaker(struct engine *e, const char *tenant_id, const char *id)
{
    struct install in = {0};
    struct error err = {0};
    struct breaker *b = NULL;
    for (size_t i = 0; i < e->breakers.n && !b; i++)
        if (strcmp(e->breakers.items[i].connector_id, id) == 0)
            b = &e->breakers.items[i];
    if (!b)
        return;
    int rc = store_install_get(e->cfg.store, tenant_id, id, &in, &err);
    if ((rc < 0 && err.code == ERR_NOT_FOUND) ||
        (rc == 0 && in.is_active && in.health.consecutive_failures == 0 &&
         in.health.paused_until_ms == 0))
        breaker_reset(b);
    store_install_clear(&in);
}

/* Brings the breakers in line with what other processes changed (see struct engine). */
static void reconcile_changes(struct engine *e)
{
    size_t n;
    bool all;
    struct changed_install changed[ENGINE_CHANGED_MAX];
    pthread_mutex_lock(&e->changed_lock);
    n = e->n_changed;
    all = e->changed_all;
    memcpy(changed, e->changed, n * sizeof changed[0]);
    e->n_changed = 0;
    e->changed_all = false;
    pthread_mutex_unlock(&e->changed_lock);
    if (all) {
        /* Changes were missed: every breaker starts afresh; one still failing opens again
         * after its next failures. */
        for (size_t i = 0; i < e->breakers.n; i++)
            breaker_reset(&e->breakers.items[i]);
        return;
    }
    for (size_t i = 0; i < n; i++)
        reconcile_breaker(e, changed[i].tenant_id, changed[i].id);
}

/* The engine's loop. The round's write (answers recorded, deliveries claimed) runs on the
 * committer's thread while this one keeps driving the requests in flight and collects the
 * answers for the next write: one write at a time, the next as soon as the last is on
 * disk, so the two threads work side by side instead of in turn. */
static void *engine_main(void *arg)
{
    pthread_setname_np(pthread_self(), "cd-delivery"); /* as top -H and perf show it */
    struct engine *e = arg;
    while (!atomic_load(&e->stopping) || httpc_multi_in_flight(e->multi) > 0 ||
           e->n_done > 0 || e->write_pending || e->n_queued > 0) {
        reconcile_changes(e);
        if (e->write_pending && write_done(e))
            write_finish(e);
        send_queued(e);
        int wait_ms = IDLE_POLL_MS;
        if (!e->write_pending) {
            int64_t now = clock_now_ms();
            int ahead = e->fast ? e->cfg.concurrency : 0;
            int room = atomic_load(&e->stopping) ? 0
                                                 : e->cfg.concurrency + ahead -
                                                       httpc_multi_in_flight(e->multi) -
                                                       (int)e->n_queued;
            bool nudged = atomic_load(&e->nudged);
            bool claim = room > 0 && (nudged || now >= e->idle_until_ms);
            if (write_due(e, room, claim, now)) {
                if (claim)
                    atomic_store(&e->nudged, false);
                round_write(e, claim ? room : 0);
            } else if (e->n_done > 0) { /* until the oldest answer has waited enough */
                int64_t left = e->first_answer_ms + GATHER_MS - now;
                wait_ms = left < 1 ? 1 : (int)left;
            }
        }
        /* woken by an answer, the write's end, engine_wake or a change */
        httpc_multi_run(e->multi, wait_ms);
    }
    return NULL;
}

int engine_start(const struct engine_config *cfg, struct engine **out, struct error *err)
{
    struct engine *e = calloc(1, sizeof *e);
    *out = NULL;
    if (!e)
        return error_set(err, ERR_INTERNAL, "out of memory");
    e->cfg = *cfg;
    pthread_mutex_init(&e->changed_lock, NULL);
    pthread_mutex_init(&e->write_lock, NULL);
    if (cfg->concurrency < 1) {
        error_set(err, ERR_VALIDATION, "the delivery concurrency must be at least 1");
        goto fail;
    }
    e->claimed = calloc(2 * (size_t)cfg->concurrency, sizeof *e->claimed);
    e->queue = calloc(2 * (size_t)cfg->concurrency, sizeof *e->queue);
    if (!e->claimed || !e->queue) {
        error_set(err, ERR_INTERNAL, "out of memory");
        goto fail;
    }
    if (httpc_multi_new(&e->multi, cfg->concurrency, err) < 0)
        goto fail;
    if (pthread_create(&e->thread, NULL, engine_main, e) != 0) {
        error_set(err, ERR_INTERNAL, "cannot start the delivery engine");
        goto fail;
    }
    *out = e;
    return 0;
fail:
    httpc_multi_free(e->multi);
    free(e->claimed);
    free(e->queue);
    pthread_mutex_destroy(&e->write_lock);
    pthread_mutex_destroy(&e->changed_lock);
    free(e);
    return -1;
}

void engine_stop(struct engine *e)
{
    if (!e)
        return;
    atomic_store(&e->stopping, true);
    httpc_multi_wakeup(e->multi);
    pthread_join(e->thread, NULL);
    httpc_multi_free(e->multi);
    round_forget(e);
    breakers_free(&e->breakers);
    free(e->done);
    free(e->writing);
    free(e->claimed);
    free(e->queue);
    pthread_mutex_destroy(&e->write_lock);
    pthread_mutex_destroy(&e->changed_lock);
    free(e);
}

void engine_wake(struct engine *e)
{
    if (!e)
        return;
    atomic_store(&e->nudged, true);
    httpc_multi_wakeup(e->multi);
}

void engine_install_changed(struct engine *e, const char *tenant_id, const char *install_id)
{
    if (!e)
        return;
    pthread_mutex_lock(&e->changed_lock);
    if (!tenant_id || !install_id || e->n_changed == ENGINE_CHANGED_MAX ||
        strlen(tenant_id) >= CRYPTO_ID_MAX || strlen(install_id) >= CRYPTO_ID_MAX) {
        e->changed_all = true;
    } else {
        snprintf(e->changed[e->n_changed].tenant_id, CRYPTO_ID_MAX, "%s", tenant_id);
        snprintf(e->changed[e->n_changed].id, CRYPTO_ID_MAX, "%s", install_id);
        e->n_changed++;
    }
    pthread_mutex_unlock(&e->changed_lock);
    httpc_multi_wakeup(e->multi);
}

int engine_send_test(const struct engine_config *cfg, const struct install *destination,
                     json_t **report, struct error *err)
{
    char created[CLOCK_RFC3339_LEN];
    clock_format_rfc3339(clock_now_ms(), created);
    struct event_record ev = {.data = "{\"provider\":\"stripe\",\"event\":\"invoice.payment_succeeded\","
                                      "\"externalId\":\"in_test\",\"amount\":\"99.00\","
                                      "\"currency\":\"EUR\",\"amountMinor\":9900,"
                                      "\"invoiceId\":\"inv_test\",\"invoiceNumber\":\"TEST-1\","
                                      "\"invoiceDate\":\"2026-01-01\",\"direction\":\"revenue\","
                                      "\"party\":{\"id\":\"cus_test\",\"name\":\"Test Customer\","
                                      "\"email\":\"test@example.com\",\"role\":\"customer\"},"
                                      "\"test\":true}"};
    snprintf(ev.type, sizeof ev.type, "payment.settled");
    memcpy(ev.created_at, created, sizeof created);
    snprintf(ev.tenant_id, sizeof ev.tenant_id, "%s", destination->tenant_id);
    if (crypto_id_new("evt_test_", ev.id) < 0)
        return error_set(err, ERR_INTERNAL, "no randomness available");

    struct dest_request req;
    const struct destination *dest = NULL;
    dest_request_init(&req, "POST");
    int rc = render_delivery(cfg, destination, &ev, &dest, &req, err);
    if (rc < 0) {
        dest_request_free(&req);
        return -1;
    }
    struct httpc_header headers[DEST_MAX_HEADERS];
    struct httpc_request hr = http_request_of(cfg, &req, headers);
    struct httpc_response resp;
    struct error send_err = {0};
    int sent = httpc_perform(&hr, &resp, &send_err);
    struct dest_response dr = {.status = sent == 0 ? resp.status : 0,
                               .body = resp.body.data ? resp.body.data : "",
                               .body_len = resp.body.len};
    enum dest_verdict v = destination_classify(dest, &dr);
    static const char *const verdicts[] = {"delivered", "retry", "failed"};
    size_t n = dr.body_len < EXCERPT_MAX ? dr.body_len : EXCERPT_MAX;
    /* no URL in the report: for most destinations it holds the credential (a webhook URL,
     * Telegram's token in the path, GA4's secret in the query) */
    *report = json_pack("{s:s, s:s, s:s%}", "eventId", ev.id, "verdict", verdicts[v],
                        "response", dr.body, n);
    if (*report) {
        json_object_set_new(*report, "status", sent == 0 ? json_integer(dr.status) : json_null());
        if (sent < 0)
            json_object_set_new(*report, "error", json_string(send_err.message));
    }
    httpc_response_free(&resp);
    dest_request_free(&req);
    return *report ? 0 : error_set(err, ERR_INTERNAL, "out of memory");
}
