/* invoicing/invoicing.h - tracked time to outgoing invoices (issue 16, "Time entries to
 * invoices"): the tenant's invoice profile and its customers' billing details, drafts made
 * from time entries, finalization into a booked, numbered invoice with its revenue entry,
 * and the finalized invoice as a PDF and as an EN 16931 e-invoice (CII, XRechnung).
 *
 *   profile.c   the invoice profile (seller, contact, bank, payment days, rounding, VAT
 *               rate) and billing details (a customer's address, VAT id, default rate)
 *   compute.c   pure: rounding of minutes, lines from entries, net, tax and totals
 *   draft.c     a draft from the entries the store finds and reserves; its deletion
 *   finalize.c  the number, the booked invoice, its document, the entry, invoice.created
 *   document.c  a finalized invoice read back, as the API, the PDF and the XML show it
 *   cii.c       the UN/CEFACT Cross Industry Invoice (XRechnung 3.0 CIUS)
 *   pdf.c       the printable invoice (cairo)
 *
 * Money is minor units of the invoice's currency with checked arithmetic; an amount of
 * time is whole minutes; a line's net is its minutes times its hourly rate divided by 60,
 * rounded half up once per line, and the tax is the net total at the rate, rounded half up
 * once per invoice, so that the sums printed and sent add up exactly. */
#ifndef CONNECTORD_INVOICING_H
#define CONNECTORD_INVOICING_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/error.h"
#include "store/books.h"
#include "store/invoicing.h"

struct store;

#define INVOICING_DRAFT_PREFIX "drf_"
#define INVOICING_SOURCE "invoicing" /* the booked invoice's source */
#define INVOICING_MAX_ENTRIES 2000   /* time entries one draft takes */
#define INVOICING_MAX_MINUTES INT64_C(1000000) /* one entry: about two years */
#define INVOICING_TEXT_MAX 201

/* ---- the invoice profile and billing details (profile.c) -------------------------------- */

struct invoicing_profile {
    char seller_name[INVOICING_TEXT_MAX];
    char street[INVOICING_TEXT_MAX];
    char postal_code[21];
    char city[101];
    char contact_name[101];
    char phone[41];
    char email[201];
    char iban[35];
    char bic[12];
    int payment_days; /* due date: the invoice date plus these */
    int rounding;     /* 0 (none), 6 or 15: each entry's minutes rounded up to a multiple */
    int vat_rate_bp;  /* -1: the tenant country's standard rate */
    char currency[4];
    bool saved;
};

struct invoicing_billing {
    char street[INVOICING_TEXT_MAX];
    char postal_code[21];
    char city[101];
    char country[3];
    char vat_id[20];
    char email[201];
    char buyer_reference[INVOICING_TEXT_MAX];
    bool has_rate;
    int64_t default_rate_minor;
    char currency[4];
};

void invoicing_profile_defaults(struct invoicing_profile *out);
/* A PUT body: every field optional (defaults as above); -1 with ERR_VALIDATION and
 * *field_errors (new array of {field, code, message}) when not valid. */
int invoicing_profile_from_json(const json_t *body, struct invoicing_profile *out,
                                json_t **field_errors, struct error *err);
json_t *invoicing_profile_json(const struct invoicing_profile *p); /* new reference */
/* The tenant's profile, or the defaults (saved false). */
int invoicing_profile_load(struct store *s, const char *tenant_id,
                           struct invoicing_profile *out, struct error *err);
int invoicing_profile_save(struct store *s, const char *tenant_id,
                           const struct invoicing_profile *p, struct error *err);

/* A customer's billing details from a request: street, postalCode, city and country
 * required; vatId, email, buyerReference, defaultRate ("80.00") and currency optional
 * (currency: EUR). `prefix` is put before field names in errors ("" or "billing."). */
int invoicing_billing_from_json(const json_t *body, const char *prefix,
                                struct invoicing_billing *out, json_t *field_errors);
json_t *invoicing_billing_json(const struct invoicing_billing *b); /* new reference */
/* ERR_NOT_FOUND when the customer has none. */
int invoicing_billing_load(struct store *s, const char *tenant_id, const char *party_id,
                           struct invoicing_billing *out, struct error *err);
int invoicing_billing_to_store(const struct invoicing_billing *b, struct store_party_billing *out,
                               struct error *err);

/* ---- computation (compute.c), pure --------------------------------------------------- */

/* minutes rounded up to a multiple of unit (0: as they are). */
int64_t invoicing_round_minutes(int64_t minutes, int unit);
/* minutes * rate_minor / 60, half up; ERR_AMOUNT_OVERFLOW beyond MONEY_MAX_MINOR. */
int invoicing_line_net(int64_t minutes, int64_t rate_minor, int64_t *out, struct error *err);
/* The tax on net at rate_bp (basis points), half up; 0 for rate_bp <= 0. */
int64_t invoicing_tax(int64_t net_minor, int rate_bp);

/* Where a rate comes from when an entry has none of its own. */
struct invoicing_rates {
    const char *currency;   /* the invoice's */
    bool has_request;       /* the request's "rate" */
    int64_t request_minor;
    bool has_default;       /* the customer's default rate */
    int64_t default_minor;
};

/* An entry no rate applies to, and why. */
struct invoicing_missing {
    const char *entry_id; /* borrowed from the entries */
    const char *reason;   /* static text */
};

/* What invoicing_build() makes of the entries (arrays malloc'd; invoicing_built_free). */
struct invoicing_built {
    struct store_draft_line *lines;
    size_t n_lines;
    struct store_draft_reservation *res; /* time_entry_id borrowed from the entries */
    size_t n_res;
    struct invoicing_missing *missing;
    size_t n_missing;
    int64_t net_minor;
};

/* Lines from entries (oldest first): one per project and rate (by_entry false) or one per
 * entry, each entry's minutes rounded up to `rounding`, at the entry's own rate (in the
 * invoice's currency), else the request's, else the customer's default. Entries without a
 * rate are listed in missing (and no lines are made worth trusting: the caller refuses).
 * ERR_AMOUNT_OVERFLOW when a sum does not fit; ERR_VALIDATION for an entry's minutes out of
 * range. */
int invoicing_build(const struct store_billable_entry *entries, size_t n, int rounding,
                    bool by_entry, const struct invoicing_rates *rates,
                    struct invoicing_built *out, struct error *err);
void invoicing_built_free(struct invoicing_built *b);

/* ---- drafts (draft.c) and finalization (finalize.c) -------------------------------------- */

struct invoicing_request {
    const char *tenant_id;
    const char *party_id;
    const char *from, *to; /* YYYY-MM-DD, inclusive, in the tenant's time zone */
    bool has_rate;
    const char *rate;      /* decimal text in the invoice's currency, when has_rate */
    bool by_entry;         /* groupBy "entry" (else "project") */
};

/* Makes and stores a draft of the customer's billable, unreserved entries in the period
 * and reserves them, in one transaction. ERR_RATE_MISSING with *problems (new array of
 * {id, reason}) when entries have no rate; ERR_NOTHING_TO_INVOICE when there are no
 * entries; ERR_CONFLICT when a concurrent draft took some first; ERR_VALIDATION when the
 * customer has no billing details or its VAT treatment cannot be decided. */
int invoicing_draft_create(struct store *s, const struct invoicing_request *rq,
                           struct store_draft *out, json_t **problems, struct error *err);
/* Deletes a draft and releases its entries; ERR_INVOICE_FINALIZED for a finalized one. */
int invoicing_draft_delete(struct store *s, const char *tenant_id, const char *id,
                           struct error *err);
/* The draft as the API shows it: {id, status, customerId, period, groupBy, rounding,
 * currency, lines, totals, taxTreatment, taxRate, invoiceId, entries}. New reference. */
json_t *invoicing_draft_json(struct store *s, const struct store_draft *d, struct error *err);

/* Finalizes a draft in one transaction: the next number of the fiscal year, the booked
 * invoice (ausgangsrechnung) with its document and lines, the revenue entry (receivables
 * debited, revenue and VAT credited), the entries marked invoiced, invoice.created for the
 * subscribed destinations and an audit record (token_id may be NULL). invoice_id receives
 * the invoice's id. ERR_INVOICE_FINALIZED when it is finalized already; ERR_VALIDATION when
 * the profile lacks what an invoice must say (seller name, address); ERR_CONFLICT when its
 * entries were deleted or changed upstream since the draft was made. */
int invoicing_finalize(struct store *s, const char *tenant_id, const char *draft_id,
                       const char *token_id, char invoice_id[CRYPTO_ID_MAX], struct error *err);

/* ---- a finalized invoice's document (document.c, cii.c, pdf.c) ---------------------------- */

struct invoicing_party {
    char name[STORE_NAME_MAX];
    char street[INVOICING_TEXT_MAX];
    char postal_code[21];
    char city[101];
    char country[3];
    char vat_id[20];
    char email[201];
    char contact_name[101]; /* seller only */
    char phone[41];         /* seller only */
    char iban[35];          /* seller only */
    char bic[12];           /* seller only */
    char buyer_reference[INVOICING_TEXT_MAX]; /* buyer only */
};

struct invoicing_document {
    struct invoice inv;
    struct store_invoice_document doc;
    struct invoicing_party seller, buyer;
    struct store_draft_line *lines; /* malloc'd */
    size_t n_lines;
    int64_t tax_minor;
};

/* The party snapshots as stored with a finalized invoice (JSON text). */
int invoicing_party_to_json_text(const struct invoicing_party *p, char *out, size_t cap,
                                 struct error *err);
int invoicing_party_from_json_text(const char *text, struct invoicing_party *out,
                                   struct error *err);

/* ERR_NOT_FOUND when the tenant has no such invoice made here (a booked payment has no
 * document). */
int invoicing_document_load(struct store *s, const char *tenant_id, const char *invoice_id,
                            struct invoicing_document *out, struct error *err);
void invoicing_document_free(struct invoicing_document *d);

/* The category of the invoice's VAT as EN 16931 names it (S, AE, E, O, K, G) and the
 * note an invoice under it must carry ("" when none; the language of the seller's
 * country). */
const char *invoicing_vat_category(const char *treatment);
const char *invoicing_vat_note(const char *treatment, const char *seller_country);

/* EN 16931 in the UN/CEFACT CII syntax, XRechnung 3.0 (UTF-8). */
int invoicing_cii(const struct invoicing_document *d, struct buf *out, struct error *err);
/* The invoice as a one- or multi-page A4 PDF. */
int invoicing_pdf(const struct invoicing_document *d, struct buf *out, struct error *err);
/* Releases the font caches the PDFs used; once, when the server has stopped. */
void invoicing_shutdown(void);

#endif
