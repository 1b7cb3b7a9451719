/* api/events.c - the host application's events (seed 001), admin only:
 *   POST /api/projects/:projectId/events  {"type": "...", "data": {...}} publishes an event
 *        to the project's destinations; data is checked against the type's fields
 *        (events/types.def): 422 names each field missing or of the wrong kind. The
 *        platform's alerts (destination.paused, ...) are not published from outside. The
 *        answer carries the event id.
 *   GET  /api/projects/:projectId/events  lists the project's, newest first (limit, cursor),
 *        with those of every project (bookings, daily summaries). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/listing.h"
#include "api/parked.h"
#include "core/clock.h"
#include "core/json.h"
#include "core/money.h"
#include "events/events.h"
#include "store/outbox.h"

#define EVENT_DATA_MAX (64 * 1024)

/* A published event waiting for its group commit. */
struct pending_event {
    struct api_parked_write write; /* first: the deferral's context is this struct */
    struct event_record ev;        /* ev.data owned: the text stored */
    json_t *data;                  /* owned: the same data as parsed from the request, which
                                    * the answer's envelope holds (not parsed back) */
    int fanned;
};

static int insert(struct api_parked_write *w, struct store_tx *tx, struct error *err)
{
    struct pending_event *p = (struct pending_event *)w;
    int rc = events_publish(tx, &p->ev, 1, &p->fanned, err);
    w->wake_engine = rc == 0 && p->fanned > 0;
    return rc;
}

static int finish(void *ctx, struct http_request *req, struct http_response *res,
                  struct error *err)
{
    struct pending_event *p = ctx;
    if (p->write.rc < 0) {
        *err = p->write.err;
        return -1;
    }
    json_t *answer = events_envelope_json(&p->ev, p->data);
    if (!answer || json_object_set_new(answer, "deliveries", json_integer(p->fanned)) < 0) {
        json_decref(answer);
        return error_set(err, ERR_INTERNAL, "out of memory");
    }
    return http_respond_json(res, 201, answer, err);
}

static void destroy(struct api_parked_write *w)
{
    struct pending_event *p = (struct pending_event *)w;
    free((char *)p->ev.data);
    json_decref(p->data);
    free(p);
}

/* The money an event's data carries, held to the bound every amount has: "amountMinor" an
 * integer of at most MONEY_MAX_MINOR, "amount" with "currency" a decimal the currency can
 * hold. ERR_INVALID_FIELD (400) naming the field; what is absent is not checked here. */
static int check_money(struct http_response *res, const json_t *data, struct error *err)
{
    /* The three fields by their types.def names (events_read would look up every field on
     * each publish); amountMinor of any kind: a type that does not list it has not checked
     * its kind */
    const json_t *minor = json_object_get(data, events_field_name(EVENT_F_amount_minor));
    const char *amount =
        json_string_value(json_object_get(data, events_field_name(EVENT_F_amount)));
    const char *currency =
        json_string_value(json_object_get(data, events_field_name(EVENT_F_currency)));
    struct error why = {0};
    struct money m;
    const char *field = NULL;
    if (minor && (!json_is_integer(minor) || json_integer_value(minor) > MONEY_MAX_MINOR ||
                  json_integer_value(minor) < -MONEY_MAX_MINOR)) {
        field = events_field_name(EVENT_F_amount_minor);
        error_set(&why, ERR_VALIDATION, "must be an integer of at most 10^13 minor units");
    } else if (amount && currency &&
               money_parse_decimal(amount, strlen(amount), currency, &m, &why) < 0) {
        field = events_field_name(EVENT_F_amount);
    }
    if (!field)
        return 0;
    res->error_extra = json_pack("{s:[{s:s, s:s, s:s}]}", "fields", "field", field, "code",
                                 "out_of_range", "message", why.message);
    return error_set(err, ERR_INVALID_FIELD, "data.%s: %s", field, why.message);
}

/* Validates the event on the HTTP thread and makes its id and time, so the answer needs no
 * read back; the write joins the store's group commit while the connection is parked (many
 * publishers share one fsync), and the 201 goes out once it is on disk. */
int api_events_publish(struct http_request *req, struct http_response *res, struct error *err)
{
    struct app *app = req->app;
    json_t *body = NULL;
    struct pending_event *p = NULL;
    int rc = -1;
    if (api_project_check(req, res, err) < 0 ||
        !(body = json_parse_body(req->body, req->body_len, err)))
        goto out;
    static const char *const allowed[] = {"type", "data", NULL};
    if (json_only_members(body, allowed, err) < 0)
        goto out;
    const char *type = json_string_value(json_object_get(body, "type"));
    const struct event_type *t = type ? events_type_find(type) : NULL;
    if (!t || (t->flags & EVENT_ALERT)) {
        struct buf names;
        buf_init(&names, 0);
        int built = buf_append_str(&names, "type must be one of ") == 0 &&
                    events_type_names(&names, EVENT_ALERT) == 0;
        const char *message = built ? names.data : "type must be a known event type";
        res->error_extra = json_pack("{s:[{s:s, s:s, s:s}]}", "fields", "field", "type", "code",
                                     type ? "not_allowed" : "required", "message", message);
        error_set(err, ERR_VALIDATION, "%s", message);
        buf_free(&names);
        goto out;
    }
    json_t *data = json_object_get(body, "data");
    if (data && !json_is_object(data)) {
        error_set(err, ERR_INVALID_FIELD, "'data' must be a JSON object");
        goto out;
    }
    /* First the type's fields (what is missing or of the wrong kind: 422), then the bound
     * on what an amount of the right kind may hold (400, as wherever money enters). */
    json_t *problems = json_array();
    int n_problems = problems ? events_data_check(t, data, problems) : -1;
    if (n_problems != 0) {
        if (n_problems > 0) {
            const char *first = json_string_value(
                json_object_get(json_array_get(problems, 0), "message"));
            error_set(err, ERR_VALIDATION, "%s data: %s%s", type, first,
                      n_problems > 1 ? " (and more, see fields)" : "");
            res->error_extra = json_pack("{s:o}", "fields", problems);
        } else {
            error_set(err, ERR_INTERNAL, "out of memory");
        }
        goto out;
    }
    json_decref(problems);
    if (data && check_money(res, data, err) < 0)
        goto out;
    if (req->body_len > EVENT_DATA_MAX) {
        error_set(err, ERR_VALIDATION, "an event's data may be at most %d bytes", EVENT_DATA_MAX);
        goto out;
    }
    if (!(p = calloc(1, sizeof *p))) {
        error_set(err, ERR_INTERNAL, "out of memory");
        goto out;
    }
    p->write = (struct api_parked_write){.store = app->store, .engine = app->engine,
                                         .work = insert};
    snprintf(p->ev.tenant_id, sizeof p->ev.tenant_id, "%s", req->principal->tenant_id);
    snprintf(p->ev.type, sizeof p->ev.type, "%s", type);
    snprintf(p->ev.project_id, sizeof p->ev.project_id, "%s",
             http_request_param(req, "projectId"));
    clock_format_rfc3339(clock_now_ms(), p->ev.created_at);
    if (crypto_id_new("evt_", p->ev.id) < 0) {
        error_set(err, ERR_INTERNAL, "no randomness available");
        goto out;
    }
    p->data = data ? json_incref(data) : json_object();
    if (!p->data || !(p->ev.data = json_dumps(p->data, JSON_COMPACT))) {
        error_set(err, ERR_INTERNAL, "out of memory");
        goto out;
    }
    rc = api_parked_defer(req, &p->write, finish, destroy);
    p = NULL;
out:
    if (p)
        destroy(&p->write);
    json_decref(body);
    return rc;
}

/* An event whose stored envelope does not read back as JSON is left out of the page. */
static int add_event(void *ctx, const struct event_record *ev)
{
    json_t *j = events_envelope_json(ev, NULL);
    return j ? listing_collect_add(ctx, j) : 0;
}

int api_events_list(struct http_request *req, struct http_response *res, struct error *err)
{
    struct app *app = req->app;
    struct listing_page page;
    if (api_project_check(req, res, err) < 0 || listing_page_parse(req, "evt_", &page, err) < 0)
        return -1;
    struct listing_collect c;
    if (listing_collect_init(&c, &page, err) < 0)
        return -1;
    if (store_event_list(app->store, req->principal->tenant_id,
                         http_request_param(req, "projectId"), page.cursor, page.limit + 1,
                         add_event, &c, err) < 0) {
        listing_collect_free(&c);
        return -1;
    }
    return listing_collect_respond(&c, res, "events", err);
}
