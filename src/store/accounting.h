/* store/accounting.h - the store's tenant settings, journal exports, the lines VAT returns
 * read and the VAT returns sent (q_accounting.c). Conventions as in store/store.h. */
#ifndef CONNECTORD_STORE_ACCOUNTING_H
#define CONNECTORD_STORE_ACCOUNTING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/clock.h"
#include "core/error.h"
#include "crypto/crypto.h"
#include "store/store.h"

/* ---- tenant settings, exports and VAT returns (q_accounting.c) ---------------------- */

/* The stored settings row; the settings module gives it meaning and defaults. */
struct store_settings {
    char chart[8];
    char time_zone[65];
    char fiscal_year_start[6]; /* MM-DD */
    char vat_number[20];       /* "" when none */
    char milestones[512];      /* JSON array */
    char updated_at[CLOCK_RFC3339_LEN];
    char country[3];           /* "" when never set: the chart's */
    bool small_business;
    bool oss;
    char supplies[9];          /* "services", "goods" */
};

/* The tenant's settings row (ERR_NOT_FOUND when never saved). */
int store_settings_get(struct store *s, const char *tenant_id, struct store_settings *out,
                       struct error *err);
/* Inserts or replaces the tenant's settings row. */
int store_settings_put(struct store *s, const char *tenant_id, const struct store_settings *in,
                       struct error *err);

/* Reads the lines of one of the tenant's entries, in line order, into out (at most cap;
 * ERR_VALIDATION when there are more). Text lives in the rows' buffers. */
struct journal_line_row {
    char account[32];
    int64_t debit_minor;
    int64_t credit_minor;
    char currency[4];
    char vat_code[16]; /* "" when none */
    bool vat_tax;
    int64_t book_debit_minor; /* in EUR */
    int64_t book_credit_minor;
    char tax_treatment[24]; /* "" when none */
    char tax_country[3];
    int tax_rate_bp; /* -1: none */
};
int store_journal_lines_get(struct store_tx *tx, const char *tenant_id, const char *entry_id,
                            struct journal_line_row *out, size_t cap, size_t *n,
                            struct error *err);

/* One journal line with what an export needs of its entry, invoice and party. Strings are
 * valid during the callback; the invoice's are NULL for an entry without an invoice. */
struct journal_export_line {
    const char *entry_id;
    const char *date;
    const char *description;
    const char *invoice_type;    /* "eingangsrechnung", ... */
    const char *invoice_number;
    const char *external_id;
    const char *related_number;  /* a credit note's original invoice number */
    const char *party_name;
    const char *account;
    int64_t debit_minor;
    int64_t credit_minor;
    const char *currency;
    const char *vat_code; /* or NULL */
    bool vat_tax;
    bool rated;               /* the line has its amount in EUR (book_*) */
    int64_t fx_rate;          /* the entry's invoice's rate (core/fx.h), 0 when none */
    int64_t book_debit_minor;
    int64_t book_credit_minor;
    const char *tax_treatment; /* or NULL */
    const char *tax_country;   /* or NULL */
    int tax_rate_bp;           /* -1: none */
    const char *vat_id;        /* the invoice's counterparty VAT id, or NULL */
};
/* The tenant's journal lines of entries dated from..to (inclusive), by date, entry and
 * line; fn returns non-zero to stop. */
int store_journal_export(struct store *s, const char *tenant_id, const char *from,
                         const char *to,
                         int (*fn)(void *ctx, const struct journal_export_line *l), void *ctx,
                         struct error *err);

/* One journal line that a VAT return reads: a line with a VAT code or a tax treatment, of
 * an entry dated in the period, with its entry's invoice. Strings are valid during the
 * callback; "" when NULL. */
struct tax_line_row {
    const char *invoice_id;
    const char *vat_code;
    bool vat_tax;
    const char *treatment;
    const char *country;
    int rate_bp; /* -1: none */
    const char *currency;
    int64_t debit_minor;
    int64_t credit_minor;
    const char *note; /* the invoice's tax note (unclassified: why) */
    const char *vat_id; /* the invoice's counterparty VAT id */
    bool rated; /* the line has its amount in EUR (book_*) */
    int64_t book_debit_minor;
    int64_t book_credit_minor;
};
/* The tenant's such lines of entries dated from..to (inclusive), by date, entry and line;
 * fn returns non-zero to stop. */
int store_tax_lines(struct store *s, const char *tenant_id, const char *from, const char *to,
                    int (*fn)(void *ctx, const struct tax_line_row *r), void *ctx,
                    struct error *err);

/* A VAT return sent to a tax office. Only accepted ones are kept; a pending row marks a
 * submission in flight. Strings are valid during a callback. */
struct vat_submission {
    char id[CRYPTO_ID_MAX];
    char country[3];
    char period[8];
    bool test;
    bool correction;
    int64_t package_no;
    const char *figures;         /* JSON text */
    int64_t service_rc;
    const char *service_message;
    char created_at[CLOCK_RFC3339_LEN];
    char submitted_at[CLOCK_RFC3339_LEN];
};

/* Claims a submission of (country, period, test) before anything is sent: a pending row
 * with the tenant's next package number. ERR_ALREADY_SUBMITTED when an accepted one exists
 * and correction is false; ERR_CONFLICT when another is in flight (pending rows older than
 * stale_before_ms are forgotten first: their process died). */
int store_vat_submission_claim(struct store *s, const char *tenant_id, const char *country,
                               const char *period, bool test, bool correction,
                               int64_t stale_before_ms, char id_out[CRYPTO_ID_MAX],
                               int64_t *package_no, struct error *err);
/* Marks the claimed row accepted at submitted_at (RFC 3339), with what was sent and what
 * the service answered. */
int store_vat_submission_accept(struct store *s, const char *tenant_id, const char *id,
                                const char *figures, const char *document, int64_t service_rc,
                                const char *service_message, const char *submitted_at,
                                struct error *err);
/* Forgets a claimed row that was not accepted. */
int store_vat_submission_abandon(struct store *s, const char *tenant_id, const char *id,
                                 struct error *err);
/* The package number the next submission would get. */
int store_vat_next_package(struct store *s, const char *tenant_id, int64_t *package_no,
                           struct error *err);
/* The tenant's accepted submissions of a country, newest first; period NULL: all; page
 * NULL: every one, else that page (struct store_page). */
int store_vat_submission_list(struct store *s, const char *tenant_id, const char *country,
                              const char *period, const struct store_page *page,
                              int (*fn)(void *ctx, const struct vat_submission *sub), void *ctx,
                              struct error *err);

#endif
