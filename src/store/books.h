/* store/books.h - the store's books: parties, invoices, journal entries and their lines,
 * payment links and the webhook log; written in q_books.c, read in q_reports.c.
 * Conventions as in store/store.h. */
#ifndef CONNECTORD_STORE_BOOKS_H
#define CONNECTORD_STORE_BOOKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/clock.h"
#include "core/error.h"
#include "crypto/crypto.h"
#include "store/store.h"

/* ---- the books ----------------------------------------------------------------------- */

enum party_role { PARTY_SUPPLIER, PARTY_CUSTOMER };

struct party_hint {
    const char *provider;     /* "stripe" */
    const char *provider_ref; /* the provider's id for the party, or "" */
    const char *email;        /* or "" */
    const char *name;         /* for a new party; never "" */
    const char *fallback_id;  /* used when nothing matches and it exists, or NULL */
};

/* Finds the party by provider ref, then by email; else takes fallback_id (a configured
 * default supplier) if it exists; else creates one. *created tells whether it did. */
int store_party_resolve(struct store_tx *tx, const char *tenant_id, enum party_role role,
                        const struct party_hint *hint, char id_out[CRYPTO_ID_MAX],
                        bool *created, struct error *err);
/* Whether party id exists for this tenant with this role. */
int store_party_exists(struct store_tx *tx, const char *tenant_id, enum party_role role,
                       const char *id, bool *exists, struct error *err);

/* An invoice's amount in the book currency (EUR) and where its rate came from. An invoice
 * in EUR is rated by itself (source "book", rate 1); one in another currency is rated once
 * (invoice_fx, never changed) or not at all: then it is flagged and waits for a rate. */
struct invoice_fx {
    bool rated;
    int64_t book_gross_minor; /* in EUR */
    int64_t rate;             /* units of the invoice's currency per EUR, core/fx.h's scale */
    char source[16];          /* "book", "ecb", or the provider's slug (its settlement) */
    char rate_date[11];       /* the ECB day of the rate, or the settlement's day */
};

/* An invoice line's tax treatment (ledger/tax.c); an invoice is one line today. */
struct invoice_tax_line {
    char treatment[24]; /* the stable code; "" for invoices booked before treatments */
    char country[3];    /* where its VAT is due */
    int rate_bp;        /* -1: none charged or known */
    char vat_id[24];    /* the counterparty's VAT id, or "" */
    char note[160];     /* unclassified: why */
};

struct invoice {
    char id[CRYPTO_ID_MAX];
    char tenant_id[CRYPTO_ID_MAX];
    const char *type; /* "eingangsrechnung", "ausgangsrechnung", "gutschrift" */
    char party_id[CRYPTO_ID_MAX];
    char invoice_number[128];
    char invoice_date[11];
    int64_t total_gross_minor;
    char currency[4];
    char source[STORE_SLUG_MAX];
    char external_id[128];
    char related_invoice_id[CRYPTO_ID_MAX]; /* "" when none */
    char journal_entry_id[CRYPTO_ID_MAX];   /* "" when none */
    /* journal_entry_id was drawn (ledger_entry_reserve) for the entry posted right after the
     * insert, in the same transaction: the invoice is stored naming it, so posting needs no
     * update of the invoice. Never set on an invoice read back from the store. */
    bool entry_reserved;
    char created_at[CLOCK_RFC3339_LEN];
    bool has_tax;      /* the provider reported the VAT in total_gross_minor */
    int64_t tax_minor; /* that VAT, when has_tax */
    struct invoice_fx fx;
    struct invoice_tax_line tax_line;
};

/* Rates an invoice in another currency once: ERR_CONFLICT when it is already rated. */
int store_invoice_fx_insert(struct store_tx *tx, const char *tenant_id, const char *invoice_id,
                            const struct invoice_fx *fx, struct error *err);
/* Calls fn for every invoice of every tenant that is not in EUR and has no rate yet. */
int store_invoice_fx_flagged(struct store_tx *tx,
                             int (*fn)(void *ctx, const char *tenant_id, const char *invoice_id),
                             void *ctx, struct error *err);

/* How many journal entries name the invoice (its own and later ones: an exchange
 * difference). */
int store_journal_count_for_invoice(struct store_tx *tx, const char *tenant_id,
                                    const char *invoice_id, int64_t *n, struct error *err);

/* ---- exchange rates ------------------------------------------------------------------ */

enum store_fx_put { STORE_FX_NEW, STORE_FX_SAME, STORE_FX_CHANGED };
/* Keeps the ECB rate of (currency, date): a new row, the same as kept, or a corrected one
 * (the ECB republishes a day rarely; what was rated before keeps its rate). */
int store_fx_rate_put(struct store_tx *tx, const char *currency, const char *date,
                      int64_t rate, enum store_fx_put *outcome, struct error *err);
/* The rate of currency on date, or of the latest earlier day within `window_days` (the ECB
 * publishes no rates on weekends and TARGET holidays). *found false when none. */
int store_fx_rate_find(struct store_tx *tx, const char *currency, const char *date,
                       int window_days, int64_t *rate, char rate_date[11], bool *found,
                       struct error *err);

/* Inserts unless (tenant, source, external_id) exists: *inserted false then, and nothing
 * changed. The unique key decides, so concurrent duplicates cannot both insert. With
 * inv->entry_reserved the invoice is stored with its journal_entry_id: the caller posts
 * that entry in the same transaction (or rolls the insert back). */
int store_invoice_insert(struct store_tx *tx, struct invoice *inv, bool *inserted,
                         struct error *err);
/* The invoice of (tenant, source, external_id) (ERR_NOT_FOUND when none). */
int store_invoice_find(struct store_tx *tx, const char *tenant_id, const char *source,
                       const char *external_id, struct invoice *out, struct error *err);
/* Whether (tenant, source, external_id) is booked, without reading the invoice. */
int store_invoice_exists(struct store_tx *tx, const char *tenant_id, const char *source,
                         const char *external_id, bool *exists, struct error *err);
/* Links the invoice to its journal entry; ERR_ALREADY_POSTED when it already has one (an
 * invoice is posted once). */
int store_invoice_set_entry(struct store_tx *tx, const char *tenant_id, const char *invoice_id,
                            const char *entry_id, struct error *err);
/* The tenant's invoice by id inside a transaction (ERR_NOT_FOUND also for another
 * tenant's id). */
int store_invoice_get_tx(struct store_tx *tx, const char *tenant_id, const char *id,
                         struct invoice *out, struct error *err);

/* Payment links: the other ids under which a provider names one payment. A link maps an
 * alias to the external_id its invoice is (or will be) booked under; a parked alias holds
 * the details (JSON text) of an event that waits for a link. */
struct payment_link {
    char external_id[128]; /* "" when the alias is only parked */
    char *parked;          /* malloc'd JSON text, or NULL; the caller frees it */
};
/* The most aliases one call reads or links: a payment's external id and its aliases. */
#define STORE_LINK_ALIASES_MAX 4
/* The links of up to STORE_LINK_ALIASES_MAX aliases in one statement: out[i] is aliases[i]'s
 * (an empty external_id and no parked details when it is unknown; NULL or "" asks nothing).
 * The caller frees each out[i].parked, also after a failure (then all NULL). */
int store_payment_links_get(struct store_tx *tx, const char *tenant_id, const char *source,
                            const char *const aliases[], size_t n, struct payment_link out[],
                            struct error *err);
/* Maps each alias (NULL or "" skipped, repeats once) to external_id unless it is already
 * linked (a parked alias becomes linked and forgets its details), in one statement. */
int store_payment_links_add(struct store_tx *tx, const char *tenant_id, const char *source,
                            const char *const aliases[], size_t n, const char *external_id,
                            struct error *err);
/* Keeps details under an alias that is not linked yet (a linked alias is left alone). */
int store_payment_park(struct store_tx *tx, const char *tenant_id, const char *source,
                       const char *alias, const char *details, struct error *err);

struct journal_line {
    const char *account;
    int64_t debit_minor;
    int64_t credit_minor;
    const char *currency;
    const char *vat_code; /* the VAT code of the booking this line belongs to, or NULL */
    bool vat_tax;         /* the line holds the tax of vat_code (else its base) */
    /* The amount in the book currency (EUR): equal to debit/credit for a line in EUR. */
    int64_t book_debit_minor;
    int64_t book_credit_minor;
    /* The tax treatment of the booking (ledger/tax.c), or NULL; its country and rate (-1:
     * none). An OSS sale's tax line has a treatment and no VAT code. */
    const char *tax_treatment;
    const char *tax_country;
    int tax_rate_bp;
};

/* Writes a journal entry after checking that it balances per currency and in the book
 * currency (ERR_VALIDATION, nothing written otherwise) and that every amount is
 * non-negative, a line's EUR amount on the side of its own. */
int store_journal_insert(struct store_tx *tx, const char *tenant_id, const char *date,
                         const char *description, const char *invoice_id,
                         const struct journal_line *lines, size_t n_lines,
                         char id_out[CRYPTO_ID_MAX], struct error *err);
/* A journal entry's id drawn before the entry is written (an invoice stored naming it). */
int store_journal_id_new(char id[CRYPTO_ID_MAX], struct error *err);
/* store_journal_insert under an id drawn by store_journal_id_new. */
int store_journal_insert_as(struct store_tx *tx, const char *id, const char *tenant_id,
                            const char *date, const char *description, const char *invoice_id,
                            const struct journal_line *lines, size_t n_lines,
                            struct error *err);

struct webhook_log {
    const char *tenant_id;
    const char *provider;
    const char *event;       /* may be NULL */
    const char *status;      /* processed, duplicate, failed, invalid_signature */
    const char *action;      /* processed: booked, credit_note or none; else NULL */
    const char *external_id; /* may be NULL */
    const char *error;       /* may be NULL */
    const char *detail;      /* may be NULL */
    const char *body;        /* raw body kept for debugging, or NULL */
    int64_t received_ms;
    char *id_out; /* optional: receives the row's id (CRYPTO_ID_MAX bytes) */
};

/* In a transaction (tx) or on its own (tx NULL: s is used). */
int store_webhook_log_insert(struct store *s, struct store_tx *tx, const struct webhook_log *log,
                             struct error *err);

/* ---- reading the books --------------------------------------------------------------- */

/* Each member NULL: no filter. from/to are inclusive YYYY-MM-DD bounds on invoice_date;
 * supplier_id and customer_id match the party id and its role. */
struct invoice_filter {
    const char *source;
    const char *type;
    const char *supplier_id;
    const char *customer_id;
    const char *from;
    const char *to;
    const char *posted; /* "true": with a journal entry; "false": waiting to be posted */
    const char *fx;     /* "missing": not in EUR and without a rate (flagged) */
};

/* Calls fn for each of the tenant's invoices matching f, one page of them; role is the
 * role of the invoice's party (a credit note's counterpart). inv is valid during the call;
 * fn returns non-zero to stop. */
int store_invoice_list(struct store *s, const char *tenant_id, const struct invoice_filter *f,
                       const struct store_page *page,
                       int (*fn)(void *ctx, const struct invoice *inv, enum party_role role),
                       void *ctx, struct error *err);
/* The tenant's invoice id (ERR_NOT_FOUND also for another tenant's id). */
int store_invoice_get(struct store *s, const char *tenant_id, const char *id,
                      struct invoice *out, enum party_role *role, struct error *err);

/* A party as read back; the strings are valid during the callback only. */
struct party_record {
    const char *id;
    const char *name;
    const char *email;        /* or NULL */
    const char *provider;     /* or NULL */
    const char *provider_ref; /* or NULL */
    const char *created_at;
};

/* One page of the tenant's suppliers or customers. */
int store_party_list(struct store *s, const char *tenant_id, enum party_role role,
                     const struct store_page *page,
                     int (*fn)(void *ctx, const struct party_record *p), void *ctx,
                     struct error *err);

/* A journal entry with its lines in line order; valid during the callback only. */
struct journal_entry_record {
    const char *id;
    const char *date;
    const char *description;
    const char *invoice_id; /* or NULL */
    const char *created_at;
    const struct journal_line *lines;
    size_t n_lines;
};

/* One page of the tenant's journal entries, optionally within from..to (inclusive
 * YYYY-MM-DD on the entry date; NULL: open). */
int store_journal_list(struct store *s, const char *tenant_id, const char *from,
                       const char *to, const struct store_page *page,
                       int (*fn)(void *ctx, const struct journal_entry_record *e), void *ctx,
                       struct error *err);

/* Sums of one account in one currency; account is valid during the callback only. */
struct account_balance {
    const char *account;
    char currency[4];
    int64_t debit_minor;
    int64_t credit_minor;
    int64_t book_debit_minor; /* the same lines in EUR */
    int64_t book_credit_minor;
    bool unrated;             /* some lines have no EUR amount (from before rates) */
};

/* The tenant's trial balance: one call per account and currency, ordered by account, then
 * currency, read in one statement (one consistent snapshot). */
int store_ledger_balances(struct store *s, const char *tenant_id,
                          int (*fn)(void *ctx, const struct account_balance *b), void *ctx,
                          struct error *err);

/* A webhook log row as read back; strings valid during the callback, NULL when unset. */
struct webhook_log_record {
    const char *id;
    const char *provider;
    const char *event;
    const char *status;
    const char *action; /* or NULL (rows from before actions were recorded) */
    const char *external_id;
    const char *error;
    const char *detail;
    const char *received_at;
    const char *processed_at;
};

/* One page of the tenant's webhook log for a provider, optionally of one status (NULL:
 * all). The raw bodies are not read. */
int store_webhook_log_list(struct store *s, const char *tenant_id, const char *provider,
                           const char *status, const struct store_page *page,
                           int (*fn)(void *ctx, const struct webhook_log_record *rec),
                           void *ctx, struct error *err);

#endif
