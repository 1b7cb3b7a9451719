/* outbound/destinations/hubspot.c - HubSpot CRM API v3 with "Authorization: Bearer
 * <accessToken>" (a private app's token, which does not expire).
 *
 * Money that came in (a settled payment whose direction is not "expense") becomes a won
 * deal: POST {base}/crm/v3/objects/deals/batch/upsert with one input whose idProperty is
 * payment_id and id the provider's payment id, so a resent event updates the same deal
 * instead of adding one. Its properties: dealname "Payment <id> — <amount> <currency>"
 * ("[Test] " first for a "Send test" sample),
 * amount, deal_currency_code, pipeline "default", dealstage "closedwon", closedate
 * createdAt, and payment_id, payment_customer_id, payment_event_id. The portal needs those
 * three custom deal properties once, payment_id with "unique value" set (upsert matches on
 * it), and deal_currency_code must be a currency the portal has enabled.
 *
 * Every other event (payment.verified, payment.failed, a supplier payment, customer.*,
 * daily summaries, the host application's events) is a note: POST {base}/crm/v3/objects/
 * notes with hs_timestamp createdAt and hs_note_body the summary and facts as HTML (cut to
 * HubSpot's 65,536 characters). The event's customer id is not a HubSpot id, so the note
 * is associated with no record; it is found through the CRM search and the notes API, not
 * on a contact's timeline. Notes have no dedupe key, so a resent event can add one twice;
 * with the deal's key being the payment's, this destination has no DEST_CAP_IDEMPOTENCY.
 *
 * Answers: 200 (201 for a note) delivered. 409 CONFLICT is a unique value that already
 * exists - the deal is there - so it counts as delivered. A 207 reports errors for the
 * input: RATE_LIMITS retry, others (VALIDATION_ERROR, ...) are permanent. 400, 401, 403
 * (MISSING_SCOPES) and 404 are permanent; 429 (ten-secondly or daily limit) and 5xx
 * retry. */
#include <string.h>

#include "outbound/destination.h"

#define HUBSPOT_DEFAULT_BASE "https://api.hubapi.com"
#define HUBSPOT_NOTE_MAX 65536

/* The text of dest_event_text() as HTML: escaped, one <br> per line break. */
static int hubspot_note_body(const struct dest_event *ev, struct buf *out)
{
    struct buf text, html;
    int rc = -1;
    buf_init(&text, 1 << 20);
    buf_init(&html, 1 << 21);
    if (dest_event_text(ev, &text) < 0)
        goto out;
    const char *p = text.data ? text.data : "";
    for (;;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        if (dest_html_escape(p, n, &html) < 0 || (nl && buf_append_str(&html, "<br>") < 0))
            goto out;
        if (!nl)
            break;
        p = nl + 1;
    }
    rc = dest_text_truncate(html.data ? html.data : "", HUBSPOT_NOTE_MAX, out);
out:
    buf_free(&text);
    buf_free(&html);
    return rc;
}

static json_t *hubspot_deal(const struct dest_event *ev)
{
    const char *payment = ev->fields.external_id;
    const char *amount = ev->fields.amount;
    const char *currency = ev->fields.currency;
    if (!payment || !*payment)
        payment = ev->fields.invoice_id;
    if (!payment || !*payment)
        payment = ev->id;
    struct buf name;
    buf_init(&name, 1 << 12);
    json_t *body = NULL;
    if (buf_printf(&name, "%sPayment %s \xe2\x80\x94 %s %s",
                   dest_event_is_test(ev) ? "[Test] " : "", payment, amount ? amount : "?",
                   currency ? currency : "") == 0)
        body = json_pack("{s:[{s:s, s:s, s:{s:s, s:s*, s:s*, s:s, s:s, s:s, s:s, s:s*, s:s}}]}",
                         "inputs", "idProperty", "payment_id", "id", payment, "properties",
                         "dealname", name.data, "amount", amount, "deal_currency_code",
                         currency, "pipeline", "default", "dealstage", "closedwon",
                         "closedate", ev->created_at, "payment_id", payment,
                         "payment_customer_id", dest_event_subject_id(ev), "payment_event_id",
                         ev->id);
    buf_free(&name);
    return body;
}

static int hubspot_render(const struct dest_event *ev, const struct dest_config *cfg,
                          struct dest_request *out, struct error *err)
{
    const char *token = dest_config_str(cfg, "accessToken");
    bool deal = dest_event_is_revenue(ev);
    struct buf note, auth;
    json_t *body = NULL;
    int rc = -1;
    buf_init(&note, 1 << 20);
    buf_init(&auth, 1 << 12);
    if (!cfg->api_base_url) {
        error_set(err, ERR_INTERNAL, "no API base URL");
        goto out;
    }
    if (!token) {
        error_set(err, ERR_VALIDATION, "accessToken is not set");
        goto out;
    }
    if (deal)
        body = hubspot_deal(ev);
    else if (hubspot_note_body(ev, &note) == 0)
        body = json_pack("{s:{s:s, s:s}}", "properties", "hs_timestamp", ev->created_at,
                         "hs_note_body", note.data ? note.data : "");
    if (!body ||
        dest_url(out, cfg->api_base_url,
                 deal ? "/crm/v3/objects/deals/batch/upsert" : "/crm/v3/objects/notes") < 0 ||
        buf_printf(&auth, "Bearer %s", token) < 0 ||
        dest_request_header(out, "Authorization", auth.data) < 0 || dest_json_body(out, body) < 0) {
        error_set(err, ERR_INTERNAL, "out of memory");
        goto out;
    }
    rc = 0;
out:
    json_decref(body);
    buf_free(&note);
    buf_free(&auth);
    return rc;
}

static enum dest_verdict hubspot_classify(const struct dest_response *resp)
{
    if (resp->status == 409)
        return DEST_DELIVERED;
    if (resp->status != 207)
        return destination_default_classify(resp);
    json_t *body = resp->body ? json_loadb(resp->body, resp->body_len, 0, NULL) : NULL;
    const json_t *errors = json_object_get(body, "errors");
    enum dest_verdict v = json_array_size(errors) ? DEST_RETRY : DEST_DELIVERED;
    size_t i;
    const json_t *e;
    json_array_foreach(errors, i, e) {
        const char *category = json_string_value(json_object_get(e, "category"));
        if (!category || strcmp(category, "RATE_LIMITS") != 0) {
            v = DEST_FAILED;
            break;
        }
    }
    if (!body)
        v = DEST_RETRY; /* a partial answer that cannot be read: ask again */
    json_decref(body);
    return v;
}

const struct destination destination_hubspot = {
    .slug = "hubspot",
    .default_api_base = HUBSPOT_DEFAULT_BASE,
    .render = hubspot_render,
    .classify = hubspot_classify,
};
