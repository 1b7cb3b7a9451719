/* invoicing/finalize.c - a draft becomes a real invoice, in one transaction: the next
 * number of the tenant's gap-free sequence for the fiscal year (a counter row bumped in
 * this transaction, so a rollback gives the number back and two finalizations never share
 * one), the booked ausgangsrechnung with its document and lines (append-only, like every
 * booked row), the revenue entry through ledger/post.c (receivables debited, revenue and
 * VAT credited, under the tax treatment the draft was made with), the time entries marked
 * invoiced, invoice.created for the destinations that take it, and an audit record.
 *
 * The document keeps the two parties as they were at this moment (§11 UStG AT, §14 UStG
 * DE: names, addresses, VAT ids), so a later change of a customer's address does not
 * change an issued invoice. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/money.h"
#include "core/utf8.h"
#include "events/events.h"
#include "invoicing/invoicing.h"
#include "ledger/ledger.h"
#include "settings/settings.h"
#include "store/installs.h"
#include "store/outbox.h"

struct lines_read {
    struct store_draft_line *items;
    size_t n, cap;
    bool failed;
};

static int keep_line(void *ctx, const struct store_draft_line *l)
{
    struct lines_read *r = ctx;
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 16;
        struct store_draft_line *grown = realloc(r->items, cap * sizeof *grown);
        if (!grown) {
            r->failed = true;
            return 1;
        }
        r->items = grown;
        r->cap = cap;
    }
    r->items[r->n++] = *l;
    return 0;
}

/* Control characters (a provider's party name may hold them) become spaces. */
static void plain_copy(char *dst, size_t cap, const char *src)
{
    utf8_copy(dst, cap, src);
    for (char *p = dst; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = ' ';
}

struct finalize_work {
    const char *tenant_id, *draft_id, *token_id;
    struct tenant_settings ts;
    struct invoicing_profile prof;
    struct invoicing_billing billing;
    struct store_customer customer;
    struct invoicing_party seller, buyer;
    struct store_draft draft;
    struct lines_read lines;
    struct invoice inv;
    struct store_invoice_document doc;
    char date[11];
    char fiscal_year[8];
};

/* Today in the tenant's zone, its fiscal year (the calendar year it starts in) and the due
 * date. */
static void dates(struct finalize_work *w)
{
    struct tz_local now, due;
    int64_t ms = clock_now_ms();
    tz_local_time(w->ts.time_zone, ms, &now);
    snprintf(w->date, sizeof w->date, "%04d-%02d-%02d", now.year, now.month, now.day);
    int fy = now.year;
    if (now.month < w->ts.fiscal_month ||
        (now.month == w->ts.fiscal_month && now.day < w->ts.fiscal_day))
        fy--;
    snprintf(w->fiscal_year, sizeof w->fiscal_year, "%d", fy);
    int64_t days = clock_days_from_civil(now.year, now.month, now.day) + w->prof.payment_days;
    tz_local_time(tz_find("UTC"), days * 86400000, &due);
    snprintf(w->doc.due_date, sizeof w->doc.due_date, "%04d-%02d-%02d", due.year, due.month,
             due.day);
}

/* What the invoice must say about both parties; ERR_VALIDATION naming what is missing. */
static int parties(struct finalize_work *w, struct error *err)
{
    const struct invoicing_profile *p = &w->prof;
    if (!p->seller_name[0] || !p->street[0] || !p->postal_code[0] || !p->city[0])
        return error_set(err, ERR_VALIDATION,
                         "an invoice names the seller with its address: set sellerName, street, "
                         "postalCode and city with PUT /api/settings/invoicing");
    if (!w->ts.vat_number[0] && !w->ts.small_business)
        return error_set(err, ERR_VALIDATION,
                         "an invoice carries the seller's VAT id: set vatNumber with PUT "
                         "/api/settings");
    struct invoicing_party *s = &w->seller, *b = &w->buyer;
    memset(s, 0, sizeof *s);
    memset(b, 0, sizeof *b);
    snprintf(s->name, sizeof s->name, "%s", p->seller_name);
    snprintf(s->street, sizeof s->street, "%s", p->street);
    snprintf(s->postal_code, sizeof s->postal_code, "%s", p->postal_code);
    snprintf(s->city, sizeof s->city, "%s", p->city);
    snprintf(s->country, sizeof s->country, "%s", w->ts.country);
    snprintf(s->vat_id, sizeof s->vat_id, "%s", w->ts.vat_number);
    snprintf(s->email, sizeof s->email, "%s", p->email);
    snprintf(s->contact_name, sizeof s->contact_name, "%s", p->contact_name);
    snprintf(s->phone, sizeof s->phone, "%s", p->phone);
    snprintf(s->iban, sizeof s->iban, "%s", p->iban);
    snprintf(s->bic, sizeof s->bic, "%s", p->bic);
    const struct invoicing_billing *c = &w->billing;
    plain_copy(b->name, sizeof b->name, w->customer.name);
    snprintf(b->street, sizeof b->street, "%s", c->street);
    snprintf(b->postal_code, sizeof b->postal_code, "%s", c->postal_code);
    snprintf(b->city, sizeof b->city, "%s", c->city);
    snprintf(b->country, sizeof b->country, "%s", c->country);
    snprintf(b->vat_id, sizeof b->vat_id, "%s", c->vat_id);
    plain_copy(b->email, sizeof b->email, c->email[0] ? c->email : w->customer.email);
    snprintf(b->buyer_reference, sizeof b->buyer_reference, "%s", c->buyer_reference);
    if (invoicing_party_to_json_text(s, w->doc.seller, sizeof w->doc.seller, err) < 0 ||
        invoicing_party_to_json_text(b, w->doc.buyer, sizeof w->doc.buyer, err) < 0)
        return -1;
    return 0;
}

/* Everything read before the transaction (none of it is what the numbers rest on). */
static int prepare(struct store *s, struct finalize_work *w, struct error *err)
{
    if (store_draft_get(s, NULL, w->tenant_id, w->draft_id, &w->draft, err) < 0)
        return -1;
    if (strcmp(w->draft.status, "draft") != 0)
        return error_set(err, ERR_INVOICE_FINALIZED,
                         "invoice draft %s is finalized already as invoice %s; a finalized "
                         "invoice is never changed (correct it with a credit note)",
                         w->draft_id, w->draft.invoice_id);
    if (settings_load(s, w->tenant_id, &w->ts, err) < 0 ||
        invoicing_profile_load(s, w->tenant_id, &w->prof, err) < 0 ||
        invoicing_billing_load(s, w->tenant_id, w->draft.party_id, &w->billing, err) < 0 ||
        store_customer_get(s, w->tenant_id, w->draft.party_id, &w->customer, err) < 0 ||
        store_draft_lines(s, NULL, w->tenant_id, w->draft_id, keep_line, &w->lines, err) < 0)
        return -1;
    if (w->lines.failed)
        return error_set(err, ERR_INTERNAL, "out of memory");
    dates(w);
    return parties(w, err);
}

static void fill_invoice(struct finalize_work *w, int64_t number)
{
    struct invoice *inv = &w->inv;
    const struct store_draft *d = &w->draft;
    memset(inv, 0, sizeof *inv);
    snprintf(inv->tenant_id, sizeof inv->tenant_id, "%s", w->tenant_id);
    inv->type = "ausgangsrechnung";
    snprintf(inv->party_id, sizeof inv->party_id, "%s", d->party_id);
    snprintf(inv->invoice_number, sizeof inv->invoice_number, "%s-%05lld", w->fiscal_year,
             (long long)number);
    snprintf(inv->invoice_date, sizeof inv->invoice_date, "%s", w->date);
    inv->total_gross_minor = d->gross_minor;
    memcpy(inv->currency, d->currency, sizeof inv->currency);
    snprintf(inv->source, sizeof inv->source, "%s", INVOICING_SOURCE);
    snprintf(inv->external_id, sizeof inv->external_id, "%s", d->id);
    inv->has_tax = d->tax_rate_bp > 0;
    inv->tax_minor = d->tax_minor;
    struct invoice_tax_line *t = &inv->tax_line;
    snprintf(t->treatment, sizeof t->treatment, "%s", d->tax_treatment);
    memcpy(t->country, d->tax_country, sizeof t->country);
    t->rate_bp = d->tax_rate_bp > 0 ? d->tax_rate_bp : LEDGER_TAX_RATE_NONE;
    snprintf(t->vat_id, sizeof t->vat_id, "%s", w->buyer.vat_id);
    snprintf(w->doc.note, sizeof w->doc.note, "%s",
             invoicing_vat_note(d->tax_treatment, w->ts.country));
}

static char *created_event(struct finalize_work *w, struct error *err)
{
    char amount[MONEY_TEXT_MAX];
    struct money m = {.minor = w->inv.total_gross_minor};
    memcpy(m.currency, w->inv.currency, sizeof m.currency);
    money_format(&m, amount);
    struct event_data who = {.id = w->inv.party_id, .name = w->buyer.name,
                             .email = w->buyer.email, .role = "customer"};
    json_t *party = events_part_party(&who, err);
    if (!party)
        return NULL;
    struct event_data d = {.invoice_id = w->inv.id, .invoice_number = w->inv.invoice_number,
                           .invoice_date = w->inv.invoice_date, .amount = amount,
                           .currency = w->inv.currency,
                           .amount_minor = {.set = true, .value = m.minor},
                           .from = w->draft.period_from, .to = w->draft.period_to,
                           .party = party};
    char *text = events_build_invoice_created(&d, err);
    json_decref(party);
    return text;
}

/* Inside the transaction: number, invoice, document, entry, entries invoiced, event. */
static int book(struct store_tx *tx, struct finalize_work *w, struct error *err)
{
    int64_t changed = 0, number = 0;
    bool inserted = false;
    char entry_id[CRYPTO_ID_MAX];
    if (store_draft_entries_changed(tx, w->tenant_id, w->draft_id, &changed, err) < 0)
        return -1;
    if (changed > 0)
        return error_set(err, ERR_CONFLICT,
                         "%lld of the draft's time entries were deleted, made unbillable or "
                         "changed upstream since it was made: delete the draft and make it again",
                         (long long)changed);
    if (store_invoice_number_next(tx, w->tenant_id, w->fiscal_year, &number, err) < 0)
        return -1;
    fill_invoice(w, number);
    if (ledger_fx_rate(tx, &w->inv, NULL, NULL, err) < 0 ||
        store_invoice_insert(tx, &w->inv, &inserted, err) < 0)
        return -1;
    if (!inserted)
        return error_set(err, ERR_INVOICE_FINALIZED, "invoice draft %s is finalized already",
                         w->draft_id);
    struct store_invoice_document *doc = &w->doc;
    snprintf(doc->invoice_id, sizeof doc->invoice_id, "%s", w->inv.id);
    snprintf(doc->tenant_id, sizeof doc->tenant_id, "%s", w->tenant_id);
    snprintf(doc->draft_id, sizeof doc->draft_id, "%s", w->draft_id);
    doc->sequence_no = number;
    snprintf(doc->fiscal_year, sizeof doc->fiscal_year, "%s", w->fiscal_year);
    snprintf(doc->period_from, sizeof doc->period_from, "%s", w->draft.period_from);
    snprintf(doc->period_to, sizeof doc->period_to, "%s", w->draft.period_to);
    doc->net_minor = w->draft.net_minor;
    const struct ledger_chart *chart = w->ts.chart;
    struct ledger_accounts accounts = {.revenue = chart->revenue,
                                       .clearing = chart->receivables,
                                       .chart = chart,
                                       .vat_rate_bp = w->draft.tax_rate_bp};
    if (store_invoice_document_insert(tx, doc, w->lines.items, w->lines.n, err) < 0 ||
        ledger_post_invoice(tx, LEDGER_REVENUE, &accounts, &w->inv, entry_id, err) < 0 ||
        store_draft_finalize(tx, w->tenant_id, w->draft_id, w->inv.id, err) < 0)
        return -1;
    char *data = created_event(w, err);
    if (!data)
        return -1;
    struct event_record ev = {.data = data};
    snprintf(ev.tenant_id, sizeof ev.tenant_id, "%s", w->tenant_id);
    snprintf(ev.type, sizeof ev.type, "invoice.created");
    struct audit_entry audit = {.token_id = w->token_id, .action = "invoice.finalize",
                                .target = w->inv.id, .fields = "[\"draftId\"]"};
    int rc = events_publish(tx, &ev, 1, NULL, err) < 0 ||
                     store_tx_audit(tx, w->tenant_id, &audit, err) < 0
                 ? -1
                 : 0;
    free(data);
    return rc;
}

int invoicing_finalize(struct store *s, const char *tenant_id, const char *draft_id,
                       const char *token_id, char invoice_id[CRYPTO_ID_MAX], struct error *err)
{
    struct finalize_work *w = calloc(1, sizeof *w);
    struct store_tx *tx = NULL;
    int rc = -1;
    invoice_id[0] = '\0';
    if (!w)
        return error_set(err, ERR_INTERNAL, "out of memory");
    w->tenant_id = tenant_id;
    w->draft_id = draft_id;
    w->token_id = token_id;
    if (prepare(s, w, err) < 0 || store_tx_begin(s, &tx, err) < 0)
        goto out;
    if (book(tx, w, err) < 0) {
        store_tx_rollback(tx);
        goto out;
    }
    if (store_tx_commit(tx, err) < 0)
        goto out;
    snprintf(invoice_id, CRYPTO_ID_MAX, "%s", w->inv.id);
    rc = 0;
out:
    free(w->lines.items);
    free(w);
    return rc;
}
