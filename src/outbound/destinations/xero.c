/* outbound/destinations/xero.c - Xero Accounting API: PUT
 * {base}/api.xro/2.0/BankTransactions?summarizeErrors=false with "Authorization: Bearer
 * <accessToken>" (an OAuth token that lasts 30 minutes: with a refreshToken in the settings
 * the engine puts a fresh one from oauth/ into the config, DEST_CAP_OAUTH), "Xero-tenant-id: <tenantId>", "Accept: application/json" and
 * "Idempotency-Key: <event id>". PUT creates and never updates.
 *
 * A settled payment is one bank transaction - money moved without a Xero invoice:
 * RECEIVE for money that came in, SPEND for a payment to a supplier; AUTHORISED, dated the
 * payment's day, Reference the provider's payment id, Contact the customer or supplier by
 * name (Xero creates a contact it does not know), CurrencyCode the currency (it must be
 * the bank account's), LineAmountTypes Inclusive, and one line of the amount with a
 * description. The settings name no accounts, so the codes are fixed: bank account "090"
 * (the code Xero gives the business bank account of its demo company; give the account
 * the payments reach that code), revenue "200" (Sales) and expense "429" (General
 * Expenses) of Xero's default chart of accounts.
 *
 * Xero has nowhere to put the other events (payment.verified, payment.failed, customer.*,
 * daily summaries, the host application's events: no free notes, and a contact's history
 * needs Xero's id of the contact), so render refuses them with a validation error: a
 * delivery of one fails at once, saying so, and the connector's event types should be
 * payment.settled. A first payment is the settled payment's money again and must not be
 * a second transaction.
 *
 * Idempotency-Key is the event id (its SHA-256 in hex past 128 characters): Xero answers a
 * repeated key with the first result (DEST_CAP_IDEMPOTENCY); Reference is the human check.
 * Answers: with summarizeErrors=false an element Xero refused comes back in a 200 with
 * "HasValidationErrors": true (or StatusAttributeString "ERROR") and ValidationErrors -
 * classify() reads that as permanent. 400 (ValidationException), 401 (token expired; after the engine's one refresh and resend), 403
 * (organisation disconnected) and 404 are permanent; 429 (Retry-After; the daily limit
 * means hours) and 5xx (503: organisation offline or maintenance) retry. */
#include <stdio.h>
#include <string.h>

#include "outbound/destination.h"

#define XERO_DEFAULT_BASE "https://api.xero.com"
#define XERO_PATH "/api.xro/2.0/BankTransactions?summarizeErrors=false"
#define XERO_IDEMPOTENCY_KEY_MAX 128
#define XERO_TEXT_MAX 255 /* Reference, Contact.Name */
#define XERO_DESCRIPTION_MAX 4000
#define XERO_BANK_ACCOUNT_CODE "090"
#define XERO_REVENUE_ACCOUNT_CODE "200"
#define XERO_EXPENSE_ACCOUNT_CODE "429"

static const char *xero_text(const char *v)
{
    return v && *v ? v : NULL;
}

/* The party's name, else email, else id: Xero needs a contact. */
static const char *xero_contact(const struct dest_event *ev)
{
    struct event_data party;
    events_read(ev->fields.party, &party);
    const char *name = xero_text(party.name);
    if (!name)
        name = xero_text(party.email);
    return name ? name : xero_text(party.id);
}

static json_t *xero_transaction(const struct dest_event *ev, const char *date, json_t *amount)
{
    const char *direction = xero_text(ev->fields.direction);
    bool spend = direction && strcmp(direction, "expense") == 0;
    const char *payment = xero_text(ev->fields.external_id);
    const char *number = xero_text(ev->fields.invoice_number);
    const char *contact = xero_contact(ev);
    struct buf reference, name, line, description;
    json_t *body = NULL;
    buf_init(&reference, 1 << 10);
    buf_init(&name, 1 << 10);
    buf_init(&line, 1 << 13);
    buf_init(&description, 1 << 13);
    if ((payment && dest_text_truncate(payment, XERO_TEXT_MAX, &reference) < 0) ||
        dest_text_truncate(contact ? contact : "Unknown", XERO_TEXT_MAX, &name) < 0 ||
        buf_printf(&line, "%sPayment %s%s%s%s settled (%s)", dest_event_is_test(ev) ? "[Test] " : "",
                   payment ? payment : "", number ? " (" : "", number ? number : "",
                   number ? ")" : "", ev->id) < 0 ||
        dest_text_truncate(line.data, XERO_DESCRIPTION_MAX, &description) < 0)
        goto out;
    body = json_pack("{s:[{s:s, s:s, s:s, s:s*, s:{s:s}, s:{s:s}, s:s, s:s, "
                     "s:[{s:s, s:i, s:O, s:s}]}]}",
                     "BankTransactions", "Type", spend ? "SPEND" : "RECEIVE", "Status",
                     "AUTHORISED", "Date", date, "Reference", reference.data, "Contact", "Name",
                     name.data, "BankAccount", "Code", XERO_BANK_ACCOUNT_CODE, "CurrencyCode",
                     xero_text(ev->fields.currency), "LineAmountTypes", "Inclusive",
                     "LineItems", "Description", description.data, "Quantity", 1, "UnitAmount",
                     amount, "AccountCode",
                     spend ? XERO_EXPENSE_ACCOUNT_CODE : XERO_REVENUE_ACCOUNT_CODE);
out:
    buf_free(&reference);
    buf_free(&name);
    buf_free(&line);
    buf_free(&description);
    return body;
}

static int xero_render(const struct dest_event *ev, const struct dest_config *cfg,
                       struct dest_request *out, struct error *err)
{
    const char *token = dest_config_str(cfg, "accessToken");
    const char *tenant = dest_config_str(cfg, "tenantId");
    json_t *amount = NULL, *body = NULL;
    char date[DEST_DATE_LEN], hashed[DEST_KEY_HASH_MAX];
    struct buf auth;
    int rc = -1;
    buf_init(&auth, 1 << 14);
    if (!cfg->api_base_url) {
        error_set(err, ERR_INTERNAL, "no API base URL");
        goto out;
    }
    if (!token || !tenant) {
        error_set(err, ERR_VALIDATION, "%s is not set", !token ? "accessToken" : "tenantId");
        goto out;
    }
    if (strcmp(ev->type, "payment.settled") != 0) {
        error_set(err, ERR_VALIDATION,
                  "xero books settled payments only; %s has nothing to book", ev->type);
        goto out;
    }
    if (!(amount = dest_event_amount(ev)) || !xero_text(ev->fields.currency) ||
        dest_event_date(ev, date) < 0) {
        error_set(err, ERR_VALIDATION, "the payment has no amount, currency or date");
        goto out;
    }
    snprintf(out->method, sizeof out->method, "PUT");
    if (!(body = xero_transaction(ev, date, amount)) ||
        dest_url(out, cfg->api_base_url, XERO_PATH) < 0 ||
        buf_printf(&auth, "Bearer %s", token) < 0 ||
        dest_request_header(out, "Authorization", auth.data) < 0 ||
        dest_request_header(out, "Xero-tenant-id", tenant) < 0 ||
        dest_request_header(out, "Accept", "application/json") < 0 ||
        dest_request_header(out, "Idempotency-Key",
                            dest_event_key(ev, XERO_IDEMPOTENCY_KEY_MAX, hashed)) < 0 ||
        dest_json_body(out, body) < 0) {
        error_set(err, ERR_INTERNAL, "out of memory");
        goto out;
    }
    rc = 0;
out:
    json_decref(amount);
    json_decref(body);
    buf_free(&auth);
    return rc;
}

/* A 200 whose element Xero refused: summarizeErrors=false reports it in place. */
static enum dest_verdict xero_classify(const struct dest_response *resp)
{
    if (resp->status < 200 || resp->status > 299)
        return destination_default_classify(resp);
    json_t *body = resp->body ? json_loadb(resp->body, resp->body_len, 0, NULL) : NULL;
    enum dest_verdict v = DEST_DELIVERED;
    size_t i;
    const json_t *t;
    json_array_foreach(json_object_get(body, "BankTransactions"), i, t) {
        const char *status = json_string_value(json_object_get(t, "StatusAttributeString"));
        if (json_is_true(json_object_get(t, "HasValidationErrors")) ||
            json_array_size(json_object_get(t, "ValidationErrors")) ||
            (status && strcmp(status, "ERROR") == 0))
            v = DEST_FAILED;
    }
    json_decref(body);
    return v;
}

static const char *const xero_accepts[] = {"payment.settled", NULL};

const struct destination destination_xero = {
    .slug = "xero",
    .accepts = xero_accepts,
    .caps = DEST_CAP_IDEMPOTENCY | DEST_CAP_OAUTH,
    .default_api_base = XERO_DEFAULT_BASE,
    .render = xero_render,
    .classify = xero_classify,
};
