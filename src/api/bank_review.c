/* api/bank_review.c - matching the bank's transactions (payouts/match.c, reconcile.c):
 * (GET /api/bank/transactions?matched=false, the list to review, is bank data's: api/bank.c)
 *   POST   /api/bank/transactions/match           (admin) match what matches now
 *   POST   /api/bank/transactions/:id/match       (admin) {"invoiceId"} or {"account",
 *                                                  "saveRule"}: a manual match
 *   GET    /api/bank/rules                        (member) the tenant's rules
 *   DELETE /api/bank/rules/:id                    (admin)
 *   GET    /api/bank/reconciliation?account=&to=  (member) bank against books
 *   GET    /api/payouts/movements?kind=           (member) fees and payouts pulled */
#include <stdio.h>
#include <string.h>

#include "api/listing.h"
#include "core/json.h"
#include "core/money.h"
#include "core/utf8.h"
#include "payouts/payouts.h"

int api_bank_transactions_automatch(struct http_request *req, struct http_response *res,
                                    struct error *err)
{
    struct app *app = req->app;
    struct payouts_match_totals t;
    if (payouts_match_tenant(app->store, req->principal->tenant_id, &t, err) < 0)
        return -1;
    return http_respond_json(res, 200,
                             json_pack("{s:I, s:I, s:I, s:I}", "invoices", (json_int_t)t.invoices,
                                       "payouts", (json_int_t)t.payouts, "rules",
                                       (json_int_t)t.rules, "unmatched",
                                       (json_int_t)t.unmatched),
                             err);
}

int api_bank_transaction_match(struct http_request *req, struct http_response *res,
                               struct error *err)
{
    struct app *app = req->app;
    static const char *const allowed[] = {"invoiceId", "account", "saveRule", NULL};
    json_t *body = json_parse_body(req->body, req->body_len, err);
    struct bank_line line;
    struct match_rule rule;
    bool saved = false, bad = false;
    int rc = -1;
    if (!body)
        return -1;
    if (!json_is_object(body)) {
        error_set(err, ERR_VALIDATION, "the body must be a JSON object");
        goto out;
    }
    if (json_only_members(body, allowed, err) < 0)
        goto out;
    json_t *save = json_object_get(body, "saveRule");
    if (save && !json_is_boolean(save)) {
        error_set(err, ERR_VALIDATION, "saveRule must be true or false");
        goto out;
    }
    struct payouts_manual m = {.invoice_id = json_get_string(body, "invoiceId", &bad),
                               .save_rule = json_is_true(save)};
    m.account = json_get_string(body, "account", &bad);
    if (bad) {
        error_set(err, ERR_VALIDATION, "invoiceId and account must be strings");
        goto out;
    }
    if (payouts_match_manual(app->store, req->principal->tenant_id,
                             http_request_param(req, "id"), &m, &line, &rule, &saved, err) < 0)
        goto out;
    json_t *o = json_pack("{s:o, s:o}", "transaction", payouts_line_json(&line), "rule",
                          saved ? payouts_rule_json(&rule) : json_null());
    rc = http_respond_json(res, 200, o, err);
out:
    json_decref(body);
    return rc;
}

static int add_rule(void *ctx, const struct match_rule *r)
{
    json_t *list = ctx, *o = payouts_rule_json(r);
    return !o || json_array_append_new(list, o) < 0;
}

int api_bank_rules_list(struct http_request *req, struct http_response *res, struct error *err)
{
    struct app *app = req->app;
    json_t *list = json_array();
    if (!list)
        return error_set(err, ERR_INTERNAL, "out of memory");
    if (store_match_rules_list(app->store, req->principal->tenant_id, add_rule, list, err) < 0) {
        json_decref(list);
        return -1;
    }
    return http_respond_json(res, 200, json_pack("{s:o}", "rules", list), err);
}

int api_bank_rule_delete(struct http_request *req, struct http_response *res, struct error *err)
{
    struct app *app = req->app;
    if (store_match_rule_delete(app->store, req->principal->tenant_id,
                                http_request_param(req, "id"), err) < 0)
        return -1;
    return http_respond_empty(res, 204);
}

int api_bank_reconciliation(struct http_request *req, struct http_response *res,
                            struct error *err)
{
    struct app *app = req->app;
    const char *account = http_request_query(req, "account");
    json_t *out = NULL;
    if (!account || !*account)
        return error_set(err, ERR_INVALID_FIELD, "account (a bank account's id) is required");
    if (payouts_reconcile(app->store, req->principal->tenant_id, account,
                          http_request_query(req, "to"), &out, err) < 0)
        return -1;
    return http_respond_json(res, 200, out, err);
}

static json_t *movement_json(const struct provider_movement *m)
{
    struct money mm = {.minor = m->amount_minor};
    char amount[MONEY_TEXT_MAX];
    snprintf(mm.currency, sizeof mm.currency, "%s", m->currency);
    money_format(&mm, amount);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:o}", "id", m->id,
                     "provider", m->provider, "kind", m->kind, "externalId", m->external_id,
                     "amount", amount, "currency", m->currency, "date", m->occurred_on,
                     "reference", listing_json_text(m->reference[0] ? m->reference : NULL),
                     "ledgerEntryId",
                     m->ledger_entry_id[0] ? json_string(m->ledger_entry_id) : json_null(),
                     "bankTransactionId",
                     m->bank_transaction_id[0] ? json_string(m->bank_transaction_id)
                                               : json_null());
}

static int add_movement(void *ctx, const struct provider_movement *m)
{
    return listing_collect_add(ctx, movement_json(m));
}

int api_payout_movements(struct http_request *req, struct http_response *res, struct error *err)
{
    struct app *app = req->app;
    struct listing_page page;
    struct listing_collect c;
    const char *kind = http_request_query(req, "kind");
    if (kind && strcmp(kind, "fee") != 0 && strcmp(kind, "payout") != 0)
        return error_set(err, ERR_INVALID_FIELD, "kind must be fee or payout");
    if (listing_page_parse(req, "mov_", &page, err) < 0 || listing_collect_init(&c, &page, err) < 0)
        return -1;
    struct store_page sp = listing_store_page(&page);
    /* Without a kind: fees and payouts (a recovered event's record is not a movement). */
    if (store_movements_page(app->store, req->principal->tenant_id, kind, &sp, add_movement, &c,
                             err) < 0) {
        listing_collect_free(&c);
        return -1;
    }
    return listing_collect_respond(&c, res, "movements", err);
}
