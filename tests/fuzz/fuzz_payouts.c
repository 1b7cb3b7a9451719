/* tests/fuzz/fuzz_payouts.c - what a payment provider's pull makes of the pages its API
 * answers (src/payouts/: Stripe's balance transactions, payouts and events, PayPal's
 * transaction search, SumUp's transaction history, Klarna's settlements and orders), down to
 * what would be booked, through the sources' io table (payouts_int.h) with checks in place of
 * the API and the books.
 *
 * Input: the provider's slug on the first line, then the page: every request of the pull is
 * answered with it (up to a few requests, then a failure ends the pull), PayPal's token
 * request with a token. Seeds: pages as the providers document them
 * (tests/fuzz/corpus/payouts). Promises: a fee or payout booked has an id that fits its
 * column, an amount in 1..MONEY_MAX_MINOR of a known currency and a YYYY-MM-DD day; a
 * card-reader sale is a settled payment of a positive amount with an id and a day; a pulled
 * webhook body or order is JSON; a failure is ERR_SERVICE_FAILED, ERR_VALIDATION or
 * ERR_CONFIG with a UTF-8 message. */
#include <jansson.h>

#include "core/money.h"
#include "fuzz.h"
#include "payouts/payouts_int.h"

#define GETS_MAX 6

struct fuzz_io {
    const char *body;
    size_t len;
    int gets;
};

static bool day_ok(const char *d)
{
    if (!d || strlen(d) != 10 || d[4] != '-' || d[7] != '-')
        return false;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (d[i] < '0' || d[i] > '9'))
            return false;
    return true;
}

static void money_ok(const struct money *m)
{
    must(m->minor > 0 && m->minor <= MONEY_MAX_MINOR);
    must(money_currency_decimals(m->currency) >= 0);
}

static int fz_get(struct pull_ctx *c, const char *path, json_t **out, struct error *err)
{
    struct fuzz_io *f = c->io_ctx;
    must(path && path[0] == '/' && valid_utf8(path));
    if (++f->gets > GETS_MAX)
        return error_set(err, ERR_SERVICE_FAILED, "enough pages");
    *out = json_loadb(f->body, f->len, 0, NULL);
    if (!*out || !json_is_object(*out)) {
        json_decref(*out);
        *out = NULL;
        return error_set(err, ERR_SERVICE_FAILED, "no JSON object");
    }
    return 0;
}

static int fz_post(struct pull_ctx *c, const char *path, const char *form, json_t **out,
                   struct error *err)
{
    (void)c;
    (void)err;
    must(path && form);
    *out = json_pack("{s:s}", "access_token", "A21AA-fuzz");
    return 0;
}

static int fz_movement(struct pull_ctx *c, const char *id, const struct money *m,
                       const char *date, const char *reference, struct error *err)
{
    (void)c;
    (void)err;
    must(id && id[0] && strlen(id) < STORE_MOVEMENT_ID_MAX);
    money_ok(m);
    must(day_ok(date));
    must(!reference || valid_utf8(reference));
    return 0;
}

static int fz_payments(struct pull_ctx *c, const char *body, size_t len, const json_t *state,
                       const struct payment_list *given, struct error *err)
{
    (void)c;
    (void)err;
    if (given) {
        for (size_t i = 0; i < given->n; i++) {
            const struct payment *p = &given->items[i];
            must(p->kind == PAYMENT_SETTLED && p->external_id[0]);
            money_ok(&p->amount);
            must(day_ok(p->date));
        }
        return 0;
    }
    must(state || (body && len > 0));
    if (body && len > 0) {
        json_t *j = json_loadb(body, len, 0, NULL);
        must(j != NULL);
        json_decref(j);
    }
    return 0;
}

static int fz_seen(struct pull_ctx *c, const char *id, bool *seen, struct error *err)
{
    (void)c;
    (void)err;
    must(id && id[0]);
    *seen = false;
    return 0;
}

static int fz_done(struct pull_ctx *c, const char *id, const char *date, struct error *err)
{
    (void)c;
    (void)err;
    must(id && id[0] && day_ok(date));
    return 0;
}

static const struct pull_io fuzz_io = {
    .get = fz_get,
    .post_form = fz_post,
    .fee = fz_movement,
    .payout = fz_movement,
    .payments = fz_payments,
    .event_seen = fz_seen,
    .event_done = fz_done,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FUZZ_INPUT_MAX)
        return 0;
    char *text = fuzz_text_copy(data, size);
    if (!text)
        return 0;
    char *rest = text;
    char *slug = fuzz_field(&rest, false);
    const struct payouts_source *src = payouts_source_find(slug);
    if (!src) {
        free(text);
        return 0;
    }
    size_t body_len = size - (size_t)(rest - text);
    char *body = malloc(body_len + 1); /* exactly the page, so ASan sees a read past it */
    if (!body) {
        free(text);
        return 0;
    }
    memcpy(body, rest, body_len);
    body[body_len] = '\0';
    struct fuzz_io f = {.body = body, .len = body_len};
    struct sync_run run = {0};
    struct payouts_pull_result res = {0};
    struct pull_ctx c = {.io = &fuzz_io, .io_ctx = &f, .src = src, .run = &run, .res = &res,
                         .from_ms = INT64_C(1764547200000), .to_ms = INT64_C(1765065600000)};
    snprintf(run.created_at, sizeof run.created_at, "2026-12-07T00:00:00.000Z");
    snprintf(run.slug, sizeof run.slug, "%s", slug);
    c.config = json_pack("{s:s}", "merchantCode", "MH4H92C7");
    buf_init(&c.key, 0);
    buf_append_str(&c.key, "fuzz-key");
    struct error err = {0};
    if (src->pull(&c, &err) < 0) {
        must(err.code == ERR_SERVICE_FAILED || err.code == ERR_VALIDATION ||
             err.code == ERR_CONFIG);
        must(valid_utf8(err.message));
    }
    json_decref(c.config);
    buf_free(&c.key);
    free(body);
    free(text);
    return 0;
}
