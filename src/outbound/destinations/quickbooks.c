/* outbound/destinations/quickbooks.c - QuickBooks Online Accounting API: POST
 * {base}/v3/company/{realmId}/<entity>?minorversion=75&requestid=<key> with
 * "Authorization: Bearer <accessToken>" (an OAuth token that lasts an hour: with a
 * refreshToken in the settings the engine puts a fresh one from oauth/ into the config,
 * DEST_CAP_OAUTH) and "Accept: application/json".
 *
 * Money that came in (a settled payment whose direction is not "expense") is a
 * SalesReceipt - money received without a QuickBooks invoice: TxnDate the payment's date,
 * DocNumber the provider's payment id (the invoice number when the id is longer than
 * QuickBooks' 21 characters, nothing when neither fits), PrivateNote the summary and the
 * event id, CurrencyRef the currency (which must be the company's home currency unless
 * multicurrency is on), and one line of the amount with ItemRef "1" - the "Services" item
 * a QuickBooks Online company starts with; the connector's settings name no other item.
 * No CustomerRef (the event's customer is not a QuickBooks customer) and no
 * DepositToAccountRef, so the money waits in Undeposited Funds for the bank deposit.
 *
 * Everything else - payment.verified, payment.failed, a supplier payment (a Purchase needs
 * accounts the settings do not name), customer.*, daily summaries, the host application's
 * events - books nothing; it becomes a note (an Attachable with only a Note, at most 2,000
 * characters: the summary and facts), so the event is on record without touching the
 * books. A first payment is the settled payment's money again, so it is never a second
 * receipt.
 *
 * requestid is the event id (or, when the id is longer than QuickBooks' 50 characters,
 * the first 50 hex digits of its SHA-256): QuickBooks answers a repeated requestid with the
 * original result instead of creating the entity again (DEST_CAP_IDEMPOTENCY).
 * minorversion=75 is the oldest one served since 2025-08-01. Answers: 200 delivered; a
 * Fault body with 400 (ValidationFault, e.g. 6140 duplicate document number), 401
 * (AuthenticationFailed) or 403 is permanent; 429 (wait a minute) and 5xx retry - the
 * default rules. */
#include <string.h>

#include "outbound/destination.h"

#define QUICKBOOKS_DEFAULT_BASE "https://quickbooks.api.intuit.com"
#define QUICKBOOKS_MINOR_VERSION "75"
#define QUICKBOOKS_REQUEST_ID_MAX 50
#define QUICKBOOKS_DOC_NUMBER_MAX 21
#define QUICKBOOKS_TEXT_MAX 4000 /* PrivateNote, a line's Description */
#define QUICKBOOKS_NOTE_MAX 2000 /* an Attachable's Note */
#define QUICKBOOKS_SERVICES_ITEM "1"

static const char *quickbooks_str(const char *v)
{
    return v && *v ? v : NULL;
}

/* /v3/company/<realm>/<entity>?minorversion=75&requestid=<the event id, or its hash> */
static int quickbooks_path(const struct dest_event *ev, const char *realm, const char *entity,
                           struct buf *out)
{
    char hashed[DEST_KEY_HASH_MAX];
    const char *request_id = dest_event_key(ev, QUICKBOOKS_REQUEST_ID_MAX, hashed);
    if (buf_append_str(out, "/v3/company/") < 0 || dest_url_escape(realm, out) < 0 ||
        buf_printf(out, "/%s?minorversion=" QUICKBOOKS_MINOR_VERSION "&requestid=", entity) < 0)
        return -1;
    return dest_url_escape(request_id, out);
}

static json_t *quickbooks_sales_receipt(const struct dest_event *ev, const char *date,
                                        json_t *amount, const char *summary)
{
    const char *payment = quickbooks_str(ev->fields.external_id);
    const char *number = quickbooks_str(ev->fields.invoice_number);
    const char *doc_number = payment && strlen(payment) <= QUICKBOOKS_DOC_NUMBER_MAX ? payment
                             : number && strlen(number) <= QUICKBOOKS_DOC_NUMBER_MAX ? number
                                                                                     : NULL;
    struct buf note, private_note, line, description;
    json_t *receipt = NULL;
    buf_init(&note, 1 << 16);
    buf_init(&private_note, 1 << 13);
    buf_init(&line, 1 << 12);
    buf_init(&description, 1 << 13);
    if (buf_printf(&note, "%s - event %s", summary, ev->id) < 0 ||
        dest_text_truncate(note.data, QUICKBOOKS_TEXT_MAX, &private_note) < 0 ||
        buf_printf(&line, "Payment %s%s%s%s", payment ? payment : "", number ? " (" : "",
                   number ? number : "", number ? ")" : "") < 0 ||
        dest_text_truncate(line.data, QUICKBOOKS_TEXT_MAX, &description) < 0)
        goto out;
    receipt = json_pack("{s:s, s:s*, s:s, s:{s:s}, s:[{s:O, s:s, s:s, s:{s:{s:s}, s:i, s:O}}]}",
                        "TxnDate", date, "DocNumber", doc_number, "PrivateNote",
                        private_note.data, "CurrencyRef", "value",
                        quickbooks_str(ev->fields.currency), "Line", "Amount", amount, "DetailType",
                        "SalesItemLineDetail", "Description", description.data,
                        "SalesItemLineDetail", "ItemRef", "value", QUICKBOOKS_SERVICES_ITEM,
                        "Qty", 1, "UnitPrice", amount);
out:
    buf_free(&note);
    buf_free(&private_note);
    buf_free(&line);
    buf_free(&description);
    return receipt;
}

static json_t *quickbooks_note(const struct dest_event *ev)
{
    struct buf text, note;
    json_t *body = NULL;
    buf_init(&text, 1 << 20);
    buf_init(&note, 1 << 13);
    if (dest_event_text(ev, &text) == 0 &&
        dest_text_truncate(text.data ? text.data : "", QUICKBOOKS_NOTE_MAX, &note) == 0)
        body = json_pack("{s:s}", "Note", note.data ? note.data : "");
    buf_free(&text);
    buf_free(&note);
    return body;
}

static int quickbooks_render(const struct dest_event *ev, const struct dest_config *cfg,
                             struct dest_request *out, struct error *err)
{
    const char *token = dest_config_str(cfg, "accessToken");
    const char *realm = dest_config_str(cfg, "realmId");
    json_t *amount = dest_event_amount(ev), *body = NULL;
    bool receipt = dest_event_is_revenue(ev) && amount && quickbooks_str(ev->fields.currency);
    struct buf summary, path, auth;
    char date[DEST_DATE_LEN];
    int rc = -1;
    buf_init(&summary, 1 << 16);
    buf_init(&path, 1 << 12);
    buf_init(&auth, 1 << 14);
    if (!cfg->api_base_url) {
        error_set(err, ERR_INTERNAL, "no API base URL");
        goto out;
    }
    if (!token || !realm) {
        error_set(err, ERR_VALIDATION, "%s is not set", !token ? "accessToken" : "realmId");
        goto out;
    }
    if (receipt && dest_event_date(ev, date) < 0) {
        error_set(err, ERR_VALIDATION, "the payment has no date");
        goto out;
    }
    if (dest_event_summary(ev, &summary) < 0)
        goto oom;
    body = receipt ? quickbooks_sales_receipt(ev, date, amount, summary.data ? summary.data : "")
                   : quickbooks_note(ev);
    if (!body || quickbooks_path(ev, realm, receipt ? "salesreceipt" : "attachable", &path) < 0 ||
        dest_url(out, cfg->api_base_url, path.data) < 0 ||
        buf_printf(&auth, "Bearer %s", token) < 0 ||
        dest_request_header(out, "Authorization", auth.data) < 0 ||
        dest_request_header(out, "Accept", "application/json") < 0 ||
        dest_json_body(out, body) < 0)
        goto oom;
    rc = 0;
    goto out;
oom:
    error_set(err, ERR_INTERNAL, "out of memory");
out:
    json_decref(amount);
    json_decref(body);
    buf_free(&summary);
    buf_free(&path);
    buf_free(&auth);
    return rc;
}

const struct destination destination_quickbooks = {
    .slug = "quickbooks",
    .caps = DEST_CAP_IDEMPOTENCY | DEST_CAP_OAUTH,
    .default_api_base = QUICKBOOKS_DEFAULT_BASE,
    .render = quickbooks_render,
};
