/* api/bank.c - bank data (bank/): linking bank accounts and reading their transactions.
 *
 *   GET  /api/bank/institutions?country=&connector=   (admin) the banks one can link
 *   POST /api/bank/connections                         (admin) start a consent: the link
 *   GET  /api/bank/connections                         (admin) the consents, with expiry
 *   POST /api/bank/connections/:id/renew               (admin) a new consent for the same bank
 *   GET  /api/bank/callback                            (none)  the bank's redirect back
 *   GET  /api/bank/accounts                            (member) the linked accounts
 *   GET  /api/bank/transactions                        (member) their transactions, paged
 *
 * The connector is the tenant's install of gocardless or revolut (the connector parameter
 * or member, else the first of them installed). The callback carries no token of ours: the
 * state it brings back (GoCardless says ref=) is the credential, as with OAuth. Pulls are
 * sync runs: POST /api/connectors/:slug/sync. */
#include <string.h>

#include "api/listing.h"
#include "bank/bank.h"
#include "core/clock.h"
#include "core/json.h"
#include "core/utf8.h"
#include "store/bank.h"
#include "store/installs.h"

#define RENEW_SOON_DAYS 14
#define CODE_MAX 4096
#define STATE_MAX 256

static struct bank_env env_of(const struct app *app)
{
    return (struct bank_env){.store = app->store, .master_key = app->master_key,
                             .allow_private = app->delivery ? app->delivery->allow_private
                                                            : false,
                             .public_url = app->public_url};
}

/* The bank connector asked for, or the first one the tenant installed. */
static int connector_of(struct http_request *req, const char *asked, const char **out,
                        struct error *err)
{
    struct app *app = req->app;
    if (asked) {
        if (!bank_connector(asked))
            return error_set(err, ERR_INVALID_FIELD, "connector must be one that holds bank "
                                                     "data (gocardless, revolut)");
        *out = asked;
        return 0;
    }
    for (size_t i = 0; bank_connector_at(i); i++) {
        struct install in = {0};
        struct error e2 = {0};
        int rc = store_install_get_slug(app->store, req->principal->tenant_id,
                                        bank_connector_at(i), &in, &e2);
        store_install_clear(&in);
        if (rc == 0) {
            *out = bank_connector_at(i);
            return 0;
        }
    }
    return error_set(err, ERR_NOT_INSTALLED, "no bank connector is installed: install "
                                             "gocardless or revolut first");
}

static json_t *connection_json(const struct bank_connection *c, int64_t now_ms)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", c->id, "driver", c->driver,
                          "country", c->country, "institutionId", c->institution_id, "status",
                          c->status);
    if (!o)
        return NULL;
    int64_t until = 0;
    bool has_expiry = c->expires_at[0] && clock_parse_rfc3339(c->expires_at, &until) == 0;
    int64_t days = has_expiry ? (until - now_ms) / 86400000LL : 0;
    json_object_set_new(o, "institutionName", listing_json_text(c->institution_name[0]
                                                                    ? c->institution_name
                                                                    : NULL));
    json_object_set_new(o, "link", strcmp(c->status, "pending") == 0 && c->link[0]
                                       ? json_string(c->link)
                                       : json_null());
    json_object_set_new(o, "expiresAt", has_expiry ? json_string(c->expires_at) : json_null());
    json_object_set_new(o, "expiresInDays", has_expiry ? json_integer(days) : json_null());
    /* a linked consent near its end, or one that ended: the page offers to renew it */
    bool renew = (strcmp(c->status, "linked") == 0 && has_expiry && days < RENEW_SOON_DAYS) ||
                 strcmp(c->status, "expired") == 0;
    json_object_set_new(o, "renewSoon", json_boolean(renew));
    json_object_set_new(o, "linkedAt", c->linked_at[0] ? json_string(c->linked_at) : json_null());
    json_object_set_new(o, "renewsId", c->renews_id[0] ? json_string(c->renews_id) : json_null());
    json_object_set_new(o, "error", listing_json_text(c->error[0] ? c->error : NULL));
    json_object_set_new(o, "createdAt", json_string(c->created_at));
    return o;
}

int api_bank_institutions(struct http_request *req, struct http_response *res,
                          struct error *err)
{
    struct app *app = req->app;
    struct bank_env env = env_of(app);
    const char *slug = NULL, *country = http_request_query(req, "country");
    json_t *list = NULL;
    if (!country)
        return error_set(err, ERR_INVALID_FIELD, "country is required (AT, DE, ...)");
    if (connector_of(req, http_request_query(req, "connector"), &slug, err) < 0 ||
        bank_institutions(&env, req->principal->tenant_id, slug, country, &list, err) < 0)
        return -1;
    return http_respond_json(res, 200, json_pack("{s:s, s:o}", "connector", slug,
                                                 "institutions", list),
                             err);
}

static int respond_connection(struct http_response *res, int status,
                              const struct bank_connection *c, struct error *err)
{
    json_t *o = connection_json(c, clock_now_ms());
    if (!o)
        return error_set(err, ERR_INTERNAL, "out of memory");
    return http_respond_json(res, status, o, err);
}

int api_bank_connection_create(struct http_request *req, struct http_response *res,
                               struct error *err)
{
    static const char *const allowed[] = {"connector", "country", "institutionId", NULL};
    struct app *app = req->app;
    struct bank_env env = env_of(app);
    struct bank_connection c;
    const char *slug = NULL;
    bool bad = false;
    int rc = -1;
    json_t *body = json_parse_body(req->body, req->body_len, err);
    if (!body)
        return -1;
    if (json_only_members(body, allowed, err) < 0)
        goto out;
    const char *connector = json_get_string(body, "connector", &bad);
    const char *country = json_get_string(body, "country", &bad);
    const char *institution = json_get_string(body, "institutionId", &bad);
    if (bad || !country || !institution) {
        error_set(err, ERR_INVALID_FIELD, "country and institutionId are required strings");
        goto out;
    }
    if (connector_of(req, connector, &slug, err) < 0 ||
        bank_consent_start(&env, req->principal->tenant_id, slug, country, institution, NULL,
                           &c, err) < 0)
        goto out;
    rc = respond_connection(res, 201, &c, err);
out:
    json_decref(body);
    return rc;
}

int api_bank_connection_renew(struct http_request *req, struct http_response *res,
                              struct error *err)
{
    struct app *app = req->app;
    struct bank_env env = env_of(app);
    struct bank_connection c;
    const char *id = http_request_param(req, "id");
    if (bank_consent_start(&env, req->principal->tenant_id, NULL, NULL, NULL, id, &c, err) < 0)
        return -1;
    return respond_connection(res, 201, &c, err);
}

struct connections_walk {
    json_t *list;
    int64_t now_ms;
    bool failed;
};

static int add_connection(void *ctx, const struct bank_connection *c)
{
    struct connections_walk *w = ctx;
    json_t *o = connection_json(c, w->now_ms);
    if (!o || json_array_append_new(w->list, o) < 0) {
        w->failed = true;
        return 1;
    }
    return 0;
}

int api_bank_connections_list(struct http_request *req, struct http_response *res,
                              struct error *err)
{
    struct app *app = req->app;
    struct connections_walk w = {.list = json_array(), .now_ms = clock_now_ms()};
    if (!w.list)
        return error_set(err, ERR_INTERNAL, "out of memory");
    if (store_bank_connections_list(app->store, req->principal->tenant_id, 100, add_connection,
                                    &w, err) < 0 ||
        (w.failed && error_set(err, ERR_INTERNAL, "out of memory") < 0)) {
        json_decref(w.list);
        return -1;
    }
    return http_respond_json(res, 200, json_pack("{s:o}", "connections", w.list), err);
}

/* ---- the callback ---------------------------------------------------------------------------- */

static bool wants_html(const struct http_request *req)
{
    const char *accept = http_request_header(req, "Accept");
    return accept && strstr(accept, "text/html");
}

/* The page the user's browser lands on when the consent failed (message escaped). */
static int respond_failure_page(struct http_response *res, const struct error *failed,
                                struct error *err)
{
    struct buf page;
    int rc = 0;
    buf_init(&page, 16384);
    rc = buf_append_str(&page, "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\">"
                               "<title>Bank not linked</title><body><h1>Bank not linked</h1>"
                               "<p id=\"bank-callback-error\">");
    for (const char *p = failed->message; rc == 0 && *p; p++)
        rc = *p == '<'   ? buf_append_str(&page, "&lt;")
             : *p == '>' ? buf_append_str(&page, "&gt;")
             : *p == '&' ? buf_append_str(&page, "&amp;")
             : *p == '"' ? buf_append_str(&page, "&quot;")
                         : buf_append(&page, p, 1);
    if (rc == 0)
        rc = buf_append_str(&page, "</p><p><a href=\"/connectors#/bank\">Back to the bank "
                                   "accounts</a></p></body></html>");
    rc = rc < 0 ? error_set(err, ERR_INTERNAL, "out of memory")
                : http_respond_text(res, error_http_status(failed->code),
                                    "text/html; charset=utf-8", page.data, page.len, err);
    buf_free(&page);
    return rc;
}

int api_bank_callback(struct http_request *req, struct http_response *res, struct error *err)
{
    struct app *app = req->app;
    struct bank_env env = env_of(app);
    struct bank_callback cb = {
        .state = http_request_query(req, "state"),
        .code = http_request_query(req, "code"),
        .error = http_request_query(req, "error"),
    };
    struct bank_connection c;
    int n = 0, rc;
    if (!cb.state)
        cb.state = http_request_query(req, "ref"); /* GoCardless's reference */
    if (!cb.state || !*cb.state || strlen(cb.state) > STATE_MAX)
        rc = error_set(err, ERR_BAD_REQUEST, "the callback has no valid state");
    else if (cb.code && strlen(cb.code) > CODE_MAX)
        rc = error_set(err, ERR_BAD_REQUEST, "the callback's code is too long");
    else
        rc = bank_consent_finish(&env, &cb, &c, &n, err);
    if (rc == 0)
        http_set_tenant(req, c.tenant_id);
    if (wants_html(req)) {
        if (rc < 0 && (err->code == ERR_INTERNAL || err->code == ERR_STORE))
            return -1;
        if (rc < 0)
            return respond_failure_page(res, err, err);
        /* back to the page, which shows the linked accounts */
        if (http_response_add_header(res, "Location", "/connectors#/bank") < 0)
            return error_set(err, ERR_INTERNAL, "out of memory");
        return http_respond_empty(res, 303);
    }
    if (rc < 0)
        return -1;
    json_t *o = connection_json(&c, clock_now_ms());
    if (o)
        json_object_set_new(o, "accounts", json_integer(n));
    return http_respond_json(res, 200, o, err);
}

/* ---- accounts and transactions -------------------------------------------------------------- */

static json_t *account_json(const struct bank_account *a)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:I}", "id", a->id, "identity", a->identity,
                          "driver", a->driver, "connectionId", a->connection_id,
                          "pullsToday", (json_int_t)a->pulls_used);
    if (!o)
        return NULL;
    json_object_set_new(o, "iban", listing_json_text(a->iban[0] ? a->iban : NULL));
    json_object_set_new(o, "name", listing_json_text(a->name[0] ? a->name : NULL));
    json_object_set_new(o, "currency", a->currency[0] ? json_string(a->currency) : json_null());
    json_object_set_new(o, "balance", a->has_balance && a->currency[0]
                                          ? listing_json_money(a->balance_minor, a->currency)
                                          : json_null());
    json_object_set_new(o, "pullDay", a->pull_day[0] ? json_string(a->pull_day) : json_null());
    json_object_set_new(o, "pullLimit", a->pull_limit >= 0 ? json_integer(a->pull_limit)
                                                           : json_null());
    json_object_set_new(o, "lastPullAt",
                        a->last_pull_at[0] ? json_string(a->last_pull_at) : json_null());
    json_object_set_new(o, "nextPullAt",
                        a->next_pull_at[0] ? json_string(a->next_pull_at) : json_null());
    json_object_set_new(o, "pulledThrough", a->cursor[0] ? listing_json_text(a->cursor)
                                                         : json_null());
    json_object_set_new(o, "error", listing_json_text(a->error[0] ? a->error : NULL));
    return o;
}

struct accounts_walk {
    struct app *app;
    json_t *list;
    bool failed;
};

static int add_account(void *ctx, const struct bank_account *a)
{
    struct accounts_walk *w = ctx;
    json_t *o = account_json(a);
    struct bank_connection c;
    struct error e2 = {0};
    bool found = false;
    if (o && store_bank_connection_get(w->app->store, a->tenant_id, a->connection_id, &c,
                                       &found, &e2) == 0 && found) {
        json_object_set_new(o, "consentStatus", json_string(c.status));
        json_object_set_new(o, "consentExpiresAt",
                            c.expires_at[0] ? json_string(c.expires_at) : json_null());
    }
    if (!o || json_array_append_new(w->list, o) < 0) {
        w->failed = true;
        return 1;
    }
    return 0;
}

int api_bank_accounts(struct http_request *req, struct http_response *res, struct error *err)
{
    struct app *app = req->app;
    struct accounts_walk w = {.app = app, .list = json_array()};
    if (!w.list)
        return error_set(err, ERR_INTERNAL, "out of memory");
    if (store_bank_accounts_list(app->store, req->principal->tenant_id, NULL, add_account, &w,
                                 err) < 0 ||
        (w.failed && error_set(err, ERR_INTERNAL, "out of memory") < 0)) {
        json_decref(w.list);
        return -1;
    }
    return http_respond_json(res, 200, json_pack("{s:o}", "accounts", w.list), err);
}

static json_t *tx_json(const struct bank_tx *t)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:o, s:s}", "id", t->id, "accountId", t->account_id,
                          "status", t->status, "amount",
                          listing_json_money(t->amount_minor, t->currency), "currency",
                          t->currency);
    if (!o)
        return NULL;
    json_object_set_new(o, "entryReference", listing_json_text(t->entry_ref));
    json_object_set_new(o, "bookingDate", t->booking_date[0] ? json_string(t->booking_date)
                                                             : json_null());
    json_object_set_new(o, "valueDate", t->value_date[0] ? json_string(t->value_date)
                                                         : json_null());
    json_object_set_new(o, "counterpartyName",
                        listing_json_text(t->counterparty_name[0] ? t->counterparty_name : NULL));
    json_object_set_new(o, "counterpartyIban",
                        listing_json_text(t->counterparty_iban[0] ? t->counterparty_iban : NULL));
    json_object_set_new(o, "remittance",
                        listing_json_text(t->remittance[0] ? t->remittance : NULL));
    json_object_set_new(o, "reference", listing_json_text(t->reference[0] ? t->reference : NULL));
    json_object_set_new(o, "matchStatus", json_string(t->match_status));
    json_object_set_new(o, "invoiceId", t->invoice_id[0] ? json_string(t->invoice_id)
                                                         : json_null());
    json_object_set_new(o, "ledgerEntryId", t->ledger_entry_id[0]
                                                ? json_string(t->ledger_entry_id)
                                                : json_null());
    json_object_set_new(o, "createdAt", json_string(t->created_at));
    json_object_set_new(o, "updatedAt", json_string(t->updated_at));
    return o;
}

static int add_tx(void *ctx, const struct bank_tx *t)
{
    return listing_collect_add(ctx, tx_json(t));
}

int api_bank_transactions(struct http_request *req, struct http_response *res,
                          struct error *err)
{
    static const char *const statuses[] = {"pending", "booked", NULL};
    static const char *const matched[] = {"true", "false", NULL}; /* the review (payouts/) */
    struct app *app = req->app;
    struct listing_page page;
    struct listing_collect c;
    struct bank_tx_filter f = {0};
    if (listing_page_parse(req, "btx_", &page, err) < 0 ||
        listing_query_text(req, "account", CRYPTO_ID_MAX - 1, &f.account_id, err) < 0 ||
        listing_query_choice(req, "status", statuses, &f.status, err) < 0 ||
        listing_query_range(req, &f.from, &f.to, err) < 0 ||
        listing_query_choice(req, "matched", matched, &f.matched, err) < 0 ||
        listing_collect_init(&c, &page, err) < 0)
        return -1;
    struct store_page sp = listing_store_page(&page);
    if (store_bank_transactions_page(app->store, req->principal->tenant_id, &f, &sp, add_tx, &c,
                                     err) < 0) {
        listing_collect_free(&c);
        return -1;
    }
    return listing_collect_respond(&c, res, "transactions", err);
}
