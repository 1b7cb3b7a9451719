/* store/invoicing.h - the store's part of invoicing time entries (invoicing/ decides, this
 * reads and writes): the tenant's invoice profile and its customers' billing details (JSON
 * documents invoicing/ validates), drafts with their lines and the time entries each one
 * reserves, the gap-free number sequence, and a finalized invoice's document and lines.
 * Written in q_invoicing.c; conventions as in store/store.h.
 *
 * "Invoiced" is one definition for every module: a time entry is invoiced when its
 * reservation belongs to a finalized invoice (invoice_time_entries.invoice_id is set). The
 * sync engine asks store_time_entry_is_invoiced() (store/sync.h, built on
 * STORE_TIME_ENTRY_INVOICED_SQL) before it marks an entry deleted or changed upstream, and
 * flags an invoiced one for review instead. */
#ifndef CONNECTORD_STORE_INVOICING_H
#define CONNECTORD_STORE_INVOICING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/clock.h"
#include "core/error.h"
#include "crypto/crypto.h"
#include "store/store.h"

/* An SQL condition that is true when the time entry is invoiced; prefix is its table's
 * alias with the dot ("te.") or "" in a query of time_entries alone. The sync engine's
 * store_time_entry_is_invoiced() (store/sync.h) and the time-entries listing use it. */
#define STORE_TIME_ENTRY_INVOICED_SQL(prefix)                                                \
    "EXISTS (SELECT 1 FROM invoice_time_entries ite WHERE ite.time_entry_id = " prefix "id "  \
    "AND ite.invoice_id IS NOT NULL)"

/* ---- the invoice profile and billing details (JSON documents) --------------------------- */

#define STORE_INVOICING_DOC_MAX 4096

/* The tenant's invoice profile document; ERR_NOT_FOUND when never saved. */
int store_invoice_settings_get(struct store *s, const char *tenant_id,
                               char doc[STORE_INVOICING_DOC_MAX], struct error *err);
int store_invoice_settings_put(struct store *s, const char *tenant_id, const char *doc,
                               struct error *err);

/* A customer's billing details: the document, its default hourly rate (has_rate false:
 * none) and the currency it is billed in. */
struct store_party_billing {
    char doc[STORE_INVOICING_DOC_MAX];
    bool has_rate;
    int64_t default_rate_minor;
    char currency[4];
};
/* ERR_NOT_FOUND when the customer has none (also for another tenant's id). */
int store_party_billing_get(struct store *s, const char *tenant_id, const char *party_id,
                            struct store_party_billing *out, struct error *err);
/* Sets them; ERR_NOT_FOUND when party_id is no customer of the tenant. */
int store_party_billing_put(struct store *s, const char *tenant_id, const char *party_id,
                            const struct store_party_billing *in, struct error *err);
/* A new customer with its billing details, in one transaction; id_out receives its id. */
int store_customer_create(struct store *s, const char *tenant_id, const char *name,
                          const char *email, const struct store_party_billing *billing,
                          char id_out[CRYPTO_ID_MAX], struct error *err);
/* The customer's name, email ("" when none), provider and provider_ref ("" when none). */
struct store_customer {
    char name[STORE_NAME_MAX];
    char email[256];
    char provider[STORE_SLUG_MAX];
    char provider_ref[128];
};
int store_customer_get(struct store *s, const char *tenant_id, const char *party_id,
                       struct store_customer *out, struct error *err);

/* ---- time entries a draft may take ------------------------------------------------------ */

#define STORE_ENTRY_ID_MAX 128
#define STORE_LINE_TEXT_MAX 201 /* 200 bytes of UTF-8 and NUL */

struct store_billable_entry {
    char id[STORE_ENTRY_ID_MAX];
    char started_at[CLOCK_RFC3339_LEN];
    int64_t minutes;
    char description[STORE_LINE_TEXT_MAX]; /* cut on a character boundary */
    char project[STORE_LINE_TEXT_MAX];     /* "" when none */
    bool has_rate;
    int64_t rate_minor;
    char currency[4]; /* of rate_minor; "" when the source gave none */
};

/* Calls fn (non-zero stops) for each of the tenant's time entries of the customer that are
 * billable, not deleted, not flagged for review, started in [from_at, to_at) and not
 * reserved by any draft, oldest first. The customer's entries are those whose client is its
 * name, or whose source and client id are its provider and provider_ref. At most `limit`
 * (*more tells whether there were more). Inside tx, so that the reservation that follows
 * sees the same rows. */
int store_billable_entries(struct store_tx *tx, const char *tenant_id, const char *party_id,
                           const char *from_at, const char *to_at, size_t limit,
                           int (*fn)(void *ctx, const struct store_billable_entry *e),
                           void *ctx, bool *more, struct error *err);

/* ---- drafts ---------------------------------------------------------------------------- */

struct store_draft {
    char id[CRYPTO_ID_MAX];
    char tenant_id[CRYPTO_ID_MAX];
    char party_id[CRYPTO_ID_MAX];
    char status[10]; /* "draft", "finalized" */
    char period_from[11], period_to[11];
    char group_by[8]; /* "project", "entry" */
    int rounding;     /* minutes an entry is rounded up to; 0: none */
    char currency[4];
    int64_t net_minor, tax_minor, gross_minor;
    char tax_treatment[24];
    char tax_country[3];
    int tax_rate_bp; /* -1: no VAT charged */
    char invoice_id[CRYPTO_ID_MAX]; /* "" until finalized */
    char created_at[CLOCK_RFC3339_LEN];
    char finalized_at[CLOCK_RFC3339_LEN];
};

struct store_draft_line {
    int64_t line_no;
    char description[STORE_LINE_TEXT_MAX];
    int64_t minutes;
    int64_t rate_minor;
    int64_t net_minor;
    int64_t entries;
};

/* One time entry a draft takes: its line and its minutes after rounding. */
struct store_draft_reservation {
    const char *time_entry_id;
    int64_t line_no;
    int64_t billed_minutes;
};

/* Writes the draft (id made when empty, created_at set), its lines and its reservations.
 * ERR_CONFLICT when another draft reserved one of the entries first (the reservation's key
 * decides; the caller rolls the transaction back). */
int store_draft_insert(struct store_tx *tx, struct store_draft *d,
                       const struct store_draft_line *lines, size_t n_lines,
                       const struct store_draft_reservation *res, size_t n_res,
                       struct error *err);
/* The tenant's draft (ERR_NOT_FOUND also for another tenant's id); tx NULL: on s. */
int store_draft_get(struct store *s, struct store_tx *tx, const char *tenant_id, const char *id,
                    struct store_draft *out, struct error *err);
/* The draft's lines in order; fn returns non-zero to stop. */
int store_draft_lines(struct store *s, struct store_tx *tx, const char *tenant_id,
                      const char *draft_id,
                      int (*fn)(void *ctx, const struct store_draft_line *l), void *ctx,
                      struct error *err);
/* The draft's reserved entries' ids, in line order. */
int store_draft_entry_ids(struct store *s, const char *tenant_id, const char *draft_id,
                          int (*fn)(void *ctx, const char *time_entry_id, int64_t line_no,
                                    int64_t billed_minutes),
                          void *ctx, struct error *err);
/* Deletes a draft that is not finalized, releasing its entries. *finalized true (nothing
 * deleted) when it is finalized; ERR_NOT_FOUND when there is none. */
int store_draft_delete(struct store_tx *tx, const char *tenant_id, const char *id,
                       bool *finalized, struct error *err);
/* How many of the draft's entries were deleted upstream or flagged for review since. */
int store_draft_entries_changed(struct store_tx *tx, const char *tenant_id,
                                const char *draft_id, int64_t *n, struct error *err);
/* Marks the draft finalized as invoice_id and its entries invoiced; ERR_CONFLICT when it
 * was finalized meanwhile. */
int store_draft_finalize(struct store_tx *tx, const char *tenant_id, const char *draft_id,
                         const char *invoice_id, struct error *err);

/* ---- numbers and the finalized invoice's document --------------------------------------- */

/* The next number of the tenant's sequence for fiscal_year ("2026"): 1 for the first. The
 * counter row is bumped inside tx, so the number is the transaction's until it commits (a
 * rollback gives it back: no gaps) and no two transactions get the same one. */
int store_invoice_number_next(struct store_tx *tx, const char *tenant_id,
                              const char *fiscal_year, int64_t *number, struct error *err);

struct store_invoice_document {
    char invoice_id[CRYPTO_ID_MAX];
    char tenant_id[CRYPTO_ID_MAX];
    char draft_id[CRYPTO_ID_MAX];
    int64_t sequence_no;
    char fiscal_year[8];
    char period_from[11], period_to[11];
    char due_date[11];
    int64_t net_minor;
    char seller[STORE_INVOICING_DOC_MAX]; /* JSON: the seller as invoiced */
    char buyer[STORE_INVOICING_DOC_MAX];  /* JSON: the buyer as invoiced */
    char note[512];                       /* the VAT note, "" when none */
    char created_at[CLOCK_RFC3339_LEN];
};

/* Writes the document and its lines (line numbers as given). */
int store_invoice_document_insert(struct store_tx *tx, struct store_invoice_document *doc,
                                  const struct store_draft_line *lines, size_t n_lines,
                                  struct error *err);
/* The document of the tenant's invoice; ERR_NOT_FOUND when it has none (an invoice the
 * pipeline booked, another tenant's). */
int store_invoice_document_get(struct store *s, const char *tenant_id, const char *invoice_id,
                               struct store_invoice_document *out, struct error *err);
int store_invoice_document_lines(struct store *s, const char *tenant_id, const char *invoice_id,
                                 int (*fn)(void *ctx, const struct store_draft_line *l),
                                 void *ctx, struct error *err);

#endif
