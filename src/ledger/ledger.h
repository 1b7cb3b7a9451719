/* ledger/ledger.h - the books: charts of accounts, postings, and what leaves the books for
 * outside parties (the DATEV export for tax advisors, the Austrian VAT return).
 *
 * Charts (charts.c): SKR03, SKR04 and the Austrian EKR, each with the accounts the pipeline
 * books to and its VAT codes. A tenant picks one in its settings (default EKR).
 *
 * Postings (post.c): an expense (what arrives is an incoming invoice) debits the expense
 * account and credits the provider's clearing account; a revenue (a customer paid) debits
 * clearing and credits revenue. When the connector says which VAT rate its gross amounts
 * contain, the tax is split out to the chart's VAT account and both lines carry the VAT
 * code; without that, the gross amount is booked as it is, with no code (a payment
 * provider's amount says nothing about VAT). A refund mirrors the entry it refunds.
 * Every invoice line has a tax treatment (tax.c), kept on its base and tax lines: a
 * domestic one books as above; the others book without the tenant's VAT (an OSS sale splits
 * out the other state's tax under no domestic code), and the returns read the treatment.
 * Every entry's lines are written in one order: the base line (expense or revenue), its
 * tax line if any, and last the counter line (clearing) that balances them.
 *
 * Exports: datev.c writes EXTF v700 Buchungsstapel files (accounting-and-sync.md §1);
 * u30.c computes the U30 figures and XML, fon.c speaks FinanzOnline's SOAP services and
 * submit.c records what was submitted (§2); returns.c computes the one-stop-shop list and
 * the German UStVA. */
#ifndef CONNECTORD_LEDGER_H
#define CONNECTORD_LEDGER_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/error.h"
#include "core/money.h"
#include "core/tz.h"
#include "crypto/crypto.h"
#include "store/chain.h"

struct invoice;
struct tax_line_row;
struct store;
struct store_tx;
struct vat_submission;

/* ---- charts and VAT codes (charts.c) ------------------------------------------------- */

#define LEDGER_DEFAULT_CHART "ekr"

enum ledger_vat_kind {
    LEDGER_VAT_INPUT,  /* Vorsteuer: VAT paid on an expense, deductible */
    LEDGER_VAT_OUTPUT, /* Umsatzsteuer: VAT charged on revenue, owed */
};

struct ledger_vat {
    const char *code; /* "VSt19", "USt20": unique per chart, kept on journal lines */
    enum ledger_vat_kind kind;
    int rate_bp;          /* 1900 = 19 % */
    const char *account;  /* the chart's account for the tax */
    const char *datev_bu; /* DATEV BU-Schlüssel, or NULL */
    const char *u30_kz;   /* U30 Kennzahl: of the base (output) or the tax (input), or NULL */
};

struct ledger_chart {
    const char *slug;       /* "skr03", "skr04", "ekr" */
    const char *name;
    const char *country;    /* "DE", "AT" */
    const char *datev_code; /* header field Sachkontenrahmen ("03"), NULL: not a DATEV chart */
    const char *bank;
    const char *clearing;   /* provider clearing (money in transit) */
    const char *receivables; /* trade receivables (Forderungen aus Lieferungen und
                                Leistungen): what an issued invoice is owed on */
    const char *expense;    /* default expense account */
    const char *fees;       /* what payment providers keep (Nebenkosten des Geldverkehrs) */
    const char *revenue;    /* default revenue account */
    const char *input_vat;  /* Vorsteuer at the main rate */
    const char *output_vat; /* Umsatzsteuer at the main rate */
    const struct ledger_vat *vat;
    size_t n_vat;
    const char *const *automatic; /* DATEV Automatikkonten, NULL-terminated */
};

const struct ledger_chart *ledger_chart_find(const char *slug); /* NULL when unknown */
const struct ledger_chart *ledger_chart_default(void);
const struct ledger_chart *ledger_charts(size_t *count);
/* A VAT code of one chart, or NULL. */
const struct ledger_vat *ledger_vat_in_chart(const struct ledger_chart *c, const char *code);
/* A VAT code in any chart (the same code means the same tax everywhere), or NULL. */
const struct ledger_vat *ledger_vat_find(const char *code);
/* The chart a code from ledger_vat_find() belongs to (its country). */
const struct ledger_chart *ledger_vat_chart(const struct ledger_vat *v);
const struct ledger_vat *ledger_vat_for_rate(const struct ledger_chart *c,
                                             enum ledger_vat_kind kind, int rate_bp);
bool ledger_chart_is_automatic(const struct ledger_chart *c, const char *account);

/* ---- amounts in the book currency (fx.c) ------------------------------------------------ */

/* How far back an ECB rate may be taken for a day without one: weekends and the TARGET
 * holidays (Good Friday to Easter Monday is the longest gap, four days). */
#define LEDGER_FX_WINDOW_DAYS 7

/* Rates an invoice that is not rated yet (inv->fx): EUR rates itself; a settlement the
 * provider reported (in EUR, `settlement` non-NULL, from provider `source`) is taken as it
 * is; else the ECB rate of the invoice day or the latest earlier day within the window.
 * Without any, inv->fx.rated stays false: the invoice is flagged, never guessed. */
int ledger_fx_rate(struct store_tx *tx, struct invoice *inv, const struct money *settlement,
                   const char *source, struct error *err);
/* The invoice's rate as the API shows it ("fx": bookAmount, rate, source, rateDate, or
 * {"missing": true}). New reference. */
json_t *ledger_fx_json(const struct invoice *inv);

/* The chart's accounts for realised exchange differences (Kursdifferenzen): gains are
 * credited to `gain`, losses debited to `loss`. */
struct ledger_fx_accounts {
    const char *gain;
    const char *loss;
};
const struct ledger_fx_accounts *ledger_fx_accounts(const struct ledger_chart *c);

/* The provider's settlement in EUR (settlement, on `date`) of an invoice booked earlier:
 * an invoice still without a rate takes it as its rate (LEDGER_FX_RATED); a posted one
 * booked at the ECB rate gets the difference between the two EUR amounts as a realised
 * exchange difference, once, on its clearing account against the chart's gain or loss
 * account (LEDGER_FX_DIFFERENCE, entry_id its entry, *difference settlement minus booked).
 * LEDGER_FX_NOTHING when there is nothing to do (EUR, settled before, a provider's rate
 * already, not posted yet). */
enum ledger_fx_settled { LEDGER_FX_NOTHING, LEDGER_FX_RATED, LEDGER_FX_DIFFERENCE };
int ledger_fx_settle(struct store_tx *tx, const struct ledger_chart *chart, struct invoice *inv,
                     const struct money *settlement, const char *source, const char *date,
                     enum ledger_fx_settled *what, char entry_id[CRYPTO_ID_MAX],
                     int64_t *difference, struct error *err);

/* ---- postings (post.c) -------------------------------------------------------------- */

enum ledger_direction { LEDGER_EXPENSE, LEDGER_REVENUE };

struct ledger_accounts {
    const char *expense;
    const char *revenue;
    const char *clearing;
    const struct ledger_chart *chart; /* the tenant's: VAT codes and tax accounts */
    int vat_rate_bp;                  /* VAT contained in gross amounts; 0: not known */
};

/* The chart's VAT code of `kind` that a provider's tax figure `tax` in `gross` is at, or
 * NULL when none fits (see post.c for the tolerance). */
const struct ledger_vat *ledger_vat_for_tax(const struct ledger_chart *c,
                                            enum ledger_vat_kind kind, int64_t gross,
                                            int64_t tax);
/* The VAT contained in a gross amount at rate_bp, rounded half away from zero. */
int64_t ledger_vat_of_gross(int64_t gross_minor, int rate_bp);

/* Draws the id of the entry that ledger_post_invoice or ledger_post_refund will write for
 * inv, before inv is stored: store_invoice_insert then stores the invoice naming its entry,
 * and posting it (in the same transaction; a failure rolls both back) needs no update of
 * the invoice. Reserves nothing for an amount of zero, which posts nothing. */
int ledger_entry_reserve(struct invoice *inv, struct error *err);
/* Posts the entry for a settled payment `inv` and links it to the invoice (under the id it
 * reserved, see ledger_entry_reserve); an amount of zero posts nothing and leaves entry_id
 * empty. The VAT is the provider's own figure when
 * the invoice has one (has_tax), else the accounts' rate. ERR_VALIDATION when the accounts
 * name a VAT rate that the chart does not have, or the provider's tax fits none;
 * ERR_ALREADY_POSTED when the invoice is already posted; ERR_FX_MISSING when it is in
 * another currency and has no rate yet (inv->fx). Every line carries its EUR amount: the
 * gross is the invoice's EUR amount, the tax is converted at its rate, the base is the
 * difference, so the entry balances in EUR as in its own currency. */
int ledger_post_invoice(struct store_tx *tx, enum ledger_direction direction,
                        const struct ledger_accounts *accounts, const struct invoice *inv,
                        char entry_id[CRYPTO_ID_MAX], struct error *err);
/* Posts the refund `credit_note` of `original` (which has an entry): the original's
 * accounts and VAT code, sides swapped, for the credit note's amount. */
int ledger_post_refund(struct store_tx *tx, const struct invoice *original,
                       const struct invoice *credit_note, char entry_id[CRYPTO_ID_MAX],
                       struct error *err);

/* ---- tax treatments (tax.c) ------------------------------------------------------------ */

/* What VAT rules one invoice line falls under. The codes (ledger_tax_code) are stable:
 * they are stored with the invoice and its journal lines and shown by the API. */
enum ledger_tax_treatment {
    LEDGER_TAX_DOMESTIC,                /* the tenant's VAT at rate_bp */
    LEDGER_TAX_INTRA_EU_GOODS,          /* exempt intra-EU supply of goods (VAT id) */
    LEDGER_TAX_INTRA_EU_SERVICES,       /* service to a business in another member state:
                                           reverse charge, the customer owes the VAT */
    LEDGER_TAX_OSS,                     /* to a consumer in another member state: its VAT at
                                           rate_bp, declared through the one-stop shop */
    LEDGER_TAX_EXPORT,                  /* goods to a customer outside the EU, exempt */
    LEDGER_TAX_NON_EU_SERVICES,         /* a service whose place of supply is outside the EU */
    LEDGER_TAX_SMALL_BUSINESS,          /* exempt: the tenant is a Kleinunternehmer */
    LEDGER_TAX_REVERSE_CHARGE_RECEIVED, /* a service bought from abroad: the tenant owes the
                                           VAT at rate_bp and deducts it as input tax */
    LEDGER_TAX_UNCLASSIFIED,            /* none of these fits; note says why */
};

#define LEDGER_TAX_RATE_NONE (-1) /* no rate: no VAT known or owed */

enum ledger_tax_hint {
    LEDGER_TAX_HINT_NONE,
    LEDGER_TAX_HINT_REVERSE_CHARGE, /* the provider applied reverse charge (Stripe Tax) */
    LEDGER_TAX_HINT_EXEMPT,         /* the provider marks the customer tax-exempt */
};

/* What a booking's treatment is decided from. Strings are never NULL ("" when unknown). */
struct ledger_tax_facts {
    const char *tenant_country; /* "AT", "DE" */
    bool small_business;        /* Kleinunternehmer */
    bool oss;                   /* registered for the one-stop shop */
    bool goods;                 /* the tenant supplies goods (else services); sales only */
    enum ledger_direction direction;
    const char *country;        /* the customer's (revenue) or supplier's (expense) */
    bool vat_id_valid;          /* the counterparty has a valid VAT id of `country` */
    enum ledger_tax_hint hint;
    bool has_tax;               /* the provider said the VAT in gross_minor */
    int64_t tax_minor;
    int64_t gross_minor;
    int vat_rate_bp;            /* the connector's vatRate; 0: none */
};

struct ledger_tax_decision {
    enum ledger_tax_treatment treatment;
    char country[3];  /* where the VAT is due (domestic: the tenant's) */
    int rate_bp;      /* LEDGER_TAX_RATE_NONE when no VAT is charged or known */
    char note[160];   /* unclassified: why */
};

/* Decides the treatment; ERR_VALIDATION only for a tenant country other than AT or DE. */
int ledger_tax_decide(const struct ledger_tax_facts *f, struct ledger_tax_decision *out,
                      struct error *err);
const char *ledger_tax_code(enum ledger_tax_treatment t);
/* -1 for an unknown code. */
int ledger_tax_parse(const char *code, enum ledger_tax_treatment *out);
bool ledger_tax_is_eu(const char *country);
/* The member state's standard rate in basis points, -1 when not a member state. */
int ledger_tax_standard_rate(const char *country);
/* Whether a VAT id carries the prefix of `country` (Greece: EL). */
bool ledger_tax_vat_id_of(const char *vat_id, const char *country);
/* (charts.c) The chart's revenue account for sales of a treatment other than domestic (SKR03 8125
 * intra-EU supplies, 8336 EU services, 8320 OSS, 8120 exports, 8338 services abroad, 8195
 * Kleinunternehmer; SKR04 the 4xxx equivalents), or NULL (EKR: the connector's). */
const char *ledger_chart_treatment_revenue(const struct ledger_chart *c,
                                           enum ledger_tax_treatment t);

/* ---- DATEV EXTF v700 Buchungsstapel (datev.c) ----------------------------------------- */

#define LEDGER_DATEV_COLUMNS 125
#define LEDGER_DATEV_TEXT_MAX 60     /* Buchungstext */
#define LEDGER_DATEV_DOCUMENT_MAX 36 /* Belegfeld 1 */
#define LEDGER_DATEV_MAX_ROWS 99999
#define LEDGER_DATEV_FILENAME_MAX 64

/* Line 2, DATEV's own spelling, column 1 first. */
const char *const *ledger_datev_titles(void);
/* Whether column (1-based) is a text column (always quoted, also when empty). */
bool ledger_datev_is_text_column(int column);

/* Umsatz: minor units of a currency with `decimals` decimals as "1234,56" (decimal comma,
 * no thousands separator). ERR_VALIDATION for amounts <= 0 (DATEV takes the side from S/H)
 * or too many digits. */
int ledger_datev_amount(int64_t minor, int decimals, char out[32], struct error *err);
/* Belegfeld 1: the characters DATEV allows (A-Z a-z 0-9 $ & % * + - /), others dropped,
 * cut to 36. */
void ledger_datev_document(const char *in, char out[LEDGER_DATEV_DOCUMENT_MAX + 1]);
/* A quoted text field: UTF-8 to Windows-1252, control characters as spaces, cut to
 * max_chars (0: no cut), '"' doubled. */
int ledger_datev_text(struct buf *out, const char *utf8, size_t max_chars);

/* One booking line as DATEV reads it. */
struct ledger_datev_booking {
    int64_t amount_minor;       /* > 0 */
    int decimals;               /* of the currency */
    bool debit;                 /* "S": account is debited, contra account credited */
    const char *currency;       /* WKZ Umsatz */
    const char *account;        /* Konto */
    const char *contra_account; /* Gegenkonto */
    const char *bu_key;         /* or NULL */
    const char *eu_id;          /* EU-Land u. UStID (Bestimmung): "FR12345678901" or "AT",
                                   or NULL */
    const char *eu_rate;        /* EU-Steuersatz (Bestimmung): "20,00", or NULL */
    const char *date;           /* YYYY-MM-DD; written as DDMM */
    const char *document;       /* Belegfeld 1, before cutting */
    const char *text;           /* Buchungstext, UTF-8, before cutting */
    /* A booking in another currency than EUR: Kurs (units per euro, core/fx.h's scale) and
     * Basis-Umsatz (the booking in EUR, > 0). Unused for EUR. */
    int64_t rate;
    int64_t base_minor;
};
/* Appends the line's 125 fields and CRLF. */
int ledger_datev_line(struct buf *out, const struct ledger_datev_booking *b, struct error *err);

struct ledger_datev_header {
    int64_t created_ms;
    const struct tz_zone *tz; /* of "Erzeugt am" */
    const char *consultant;   /* Beraternummer */
    const char *client;       /* Mandantennummer */
    const char *fiscal_year_start; /* YYYY-MM-DD */
    int account_length;
    const char *from, *to; /* YYYY-MM-DD */
    const char *description; /* Bezeichnung, <= 30 */
    const char *currency;
    const char *chart_code; /* "03", "04" */
};
/* Appends line 1 (31 fields) and line 2 (the titles), each with CRLF. */
int ledger_datev_head(struct buf *out, const struct ledger_datev_header *h, struct error *err);

struct ledger_datev_request {
    const char *tenant_id;
    const char *from, *to; /* YYYY-MM-DD, inclusive */
    const struct ledger_chart *chart; /* the tenant's */
    const struct tz_zone *tz;         /* the tenant's */
    int fiscal_month, fiscal_day;     /* the tenant's fiscal year start */
    int64_t now_ms;
};
/* The tenant's bookings of [from, to] as one EXTF file in out (Windows-1252), named in
 * filename. The datev connector must be installed (ERR_NOT_INSTALLED); a period spanning
 * two fiscal years or two calendar years, a chart that is not DATEV's (EKR), lines in
 * another currency without their EUR amount (booked before rates) and more than 99 999
 * rows are ERR_VALIDATION. */
int ledger_datev_export(struct store *s, const struct ledger_datev_request *rq, struct buf *out,
                        char filename[LEDGER_DATEV_FILENAME_MAX], struct error *err);

/* ---- the Austrian VAT return, U30 (u30.c) --------------------------------------------- */

struct ledger_u30_period {
    char text[8];               /* "2026-03" or "2026-Q1" */
    char from[11], to[11];      /* first and last day */
    char zr_from[8], zr_to[8];  /* ZRVON, ZRBIS: "2026-01", "2026-03" */
};
/* "YYYY-MM" or "YYYY-Qn"; ERR_INVALID_FIELD otherwise. */
int ledger_u30_period_parse(const char *text, struct ledger_u30_period *out, struct error *err);

/* What a return cannot classify: the invoices and why, each invoice once; the first
 * LEDGER_UNCLASSIFIED_MAX are kept, total counts all. */
#define LEDGER_UNCLASSIFIED_MAX 50
struct ledger_unclassified {
    size_t n, total;
    struct {
        char invoice_id[CRYPTO_ID_MAX];
        char reason[200];
    } items[LEDGER_UNCLASSIFIED_MAX];
};
void ledger_unclassified_add(struct ledger_unclassified *u, const char *invoice_id,
                             const char *reason);
/* Adds "unclassified" ([{invoiceId, reason}]) and "unclassifiedCount" to a return's JSON
 * object o, which it takes: o, or NULL (o released) when o is NULL or memory ran out. */
json_t *ledger_unclassified_attach(json_t *o, const struct ledger_unclassified *u);
/* A line's amount for a VAT return, credit minus debit (a sale's base is positive, a
 * purchase's negative), in EUR: its book amount, or its own amount when booked in EUR. The
 * one place the returns read amounts. False (why names return_name) when the line is in
 * another currency and has no rate. */
bool ledger_return_amount(const struct tax_line_row *r, const char *return_name, int64_t *out,
                          char *why, size_t why_cap);

/* The Kennzahlen in cents. */
struct ledger_u30 {
    struct ledger_u30_period period;
    bool small_business; /* set before adding lines: no Vorsteuer from reverse charge */
    int64_t kz000; /* Gesamtbetrag der Bemessungsgrundlagen (net) */
    int64_t kz011; /* exports (Ausfuhrlieferungen) */
    int64_t kz017; /* intra-EU supplies of goods */
    int64_t kz016; /* Kleinunternehmer */
    int64_t kz022; /* base at 20 % */
    int64_t kz029; /* base at 10 % */
    int64_t kz006; /* base at 13 % */
    int64_t rc_base; /* services received under reverse charge (§19(1)), at 20 % */
    int64_t kz060; /* Vorsteuer */
    /* Outside the U30: one-stop-shop sales (the OSS return), services to businesses in
     * other member states (the recapitulative statement) and abroad. */
    int64_t oss, intra_eu_services, non_eu_services;
    struct ledger_unclassified unclassified;
};

/* Adds one journal line (store_tax_lines) to the figures: by its treatment, or, for lines
 * from before treatments, by its VAT code. What fits no Kennzahl (another country's VAT
 * code, another currency, an unclassified booking) is named in f->unclassified. -1 only
 * when a sum overflows (ERR_AMOUNT_OVERFLOW). */
int ledger_u30_add_line(struct ledger_u30 *f, const struct tax_line_row *r, struct error *err);
/* Hands each journal line a VAT return reads (a VAT code or a tax treatment, entry dated in
 * the period) to add with the return's figures; the first error stops the walk. The U30, the
 * OSS list and the UStVA all read the books through it. */
int ledger_tax_lines_each(struct store *s, const char *tenant_id,
                          const struct ledger_u30_period *p,
                          int (*add)(void *figures, const struct tax_line_row *r,
                                     struct error *err),
                          void *figures, struct error *err);
/* The figures of a period from the tenant's books. */
int ledger_u30_compute(struct store *s, const char *tenant_id, const struct ledger_u30_period *p,
                       bool small_business, struct ledger_u30 *out, struct error *err);
/* KZ057: the tax owed on services received (reverse charge); KZ066: its Vorsteuer (none
 * for a Kleinunternehmer). */
int64_t ledger_u30_kz057(const struct ledger_u30 *f);
int64_t ledger_u30_kz066(const struct ledger_u30 *f);
/* The tax the form computes from a base at rate_bp, and the Zahllast (KZ095: output tax
 * minus KZ060; negative is a credit). */
int64_t ledger_u30_tax(int64_t base_minor, int rate_bp);
int64_t ledger_u30_payable(const struct ledger_u30 *f);
/* The figures as the API shows them. New reference. */
json_t *ledger_u30_json(const struct ledger_u30 *f);
/* Whether FinanzOnline can take the figures: no negative Kennzahl and nothing
 * unclassified (a return filed without those bookings would be incomplete) (ERR_VALIDATION). */
int ledger_u30_check(const struct ledger_u30 *f, struct error *err);

/* ---- the one-stop-shop return and the German UStVA (returns.c) -------------------------- */

#define LEDGER_OSS_LINES_MAX 160
struct ledger_oss_line {
    char country[3];
    int rate_bp;
    int64_t net, tax;
};
struct ledger_oss {
    struct ledger_u30_period period; /* a quarter */
    struct ledger_oss_line lines[LEDGER_OSS_LINES_MAX]; /* by country, rate descending */
    size_t n;
    int64_t total_tax;
    struct ledger_unclassified unclassified;
};
/* Adds a line of an OSS booking (others are skipped); a line without an EUR amount is
 * named in unclassified. */
int ledger_oss_add_line(struct ledger_oss *o, const struct tax_line_row *r, struct error *err);
int ledger_oss_compute(struct store *s, const char *tenant_id, const struct ledger_u30_period *p,
                       struct ledger_oss *out, struct error *err);
/* {period, from, to, currency, lines: [{country, rate, net, tax}], totalTax, unclassified,
 * unclassifiedCount}. New reference. */
json_t *ledger_oss_json(const struct ledger_oss *o);

/* The UStVA's Kennzahlen in cents (returns.c's head comment says which is which). */
struct ledger_ustva {
    struct ledger_u30_period period;
    bool small_business;
    int64_t kz81, kz86;             /* net at 19 % / 7 % */
    int64_t kz41, kz21, kz43, kz45; /* ig. Lieferungen, EU services, exports, abroad */
    int64_t kz46, kz84;             /* reverse charge received: EU, outside the EU (net) */
    int64_t kz66;                   /* Vorsteuer */
    int64_t oss, small_business_sales; /* not in the UStVA */
    struct ledger_unclassified unclassified;
};
int ledger_ustva_add_line(struct ledger_ustva *u, const struct tax_line_row *r,
                          struct error *err);
int ledger_ustva_compute(struct store *s, const char *tenant_id,
                         const struct ledger_u30_period *p, bool small_business,
                         struct ledger_ustva *out, struct error *err);
int64_t ledger_ustva_kz67(const struct ledger_ustva *u);
/* KZ83: output tax + §13b tax - KZ66 - KZ67; negative is a refund. */
int64_t ledger_ustva_payable(const struct ledger_ustva *u);
/* The figures, the taxes of 81, 86, 47, 85, KZ83, what stays outside, and what is
 * unclassified. New reference. */
json_t *ledger_ustva_json(const struct ledger_ustva *u);

struct ledger_u30_info {
    const char *tax_number;  /* FASTNR, 9 digits */
    int64_t package_no;      /* PAKET_NR */
    struct tz_local created; /* DATUM_ERSTELLUNG, UHRZEIT_ERSTELLUNG */
};
/* Builds the tax number (9 digits) from the connector's taxNumber ("12-345/6789"). */
int ledger_u30_tax_number(const char *text, char out[10], struct error *err);
/* The ERKLAERUNGS_UEBERMITTLUNG document, UTF-8, elements in the XSD's order, empty ones
 * left out. */
int ledger_u30_xml(struct buf *out, const struct ledger_u30 *f, const struct ledger_u30_info *info,
                   struct error *err);

/* ---- FinanzOnline web services (fon.c) ------------------------------------------------ */

#define LEDGER_FON_DEFAULT_BASE "https://finanzonline.bmf.gv.at"
#define LEDGER_FON_SESSION_PATH "/fonws/ws/session"
#define LEDGER_FON_UPLOAD_PATH "/fon/ws/fileupload"

/* The finanzonline connector's settings and PIN. */
struct ledger_fon_account {
    char base_url[512];
    char participant_id[32]; /* tid */
    char user_id[32];        /* benid */
    char pin[128];
    char tax_number[10];     /* FASTNR */
};
/* Reads the tenant's finanzonline install (ERR_NOT_INSTALLED without one) and opens its
 * PIN with master_key when with_pin. Wipe the PIN with ledger_fon_account_wipe(). */
int ledger_fon_account_load(struct store *s, const char *tenant_id,
                            const unsigned char *master_key, bool with_pin,
                            struct ledger_fon_account *out, struct error *err);
void ledger_fon_account_wipe(struct ledger_fon_account *a);

/* What a service answered: rc 0 is success. */
struct ledger_fon_answer {
    char operation[16]; /* "login", "upload", "logout" */
    long rc;
    char message[256];
    char session_id[128]; /* login only */
    bool answered;        /* a SOAP answer with rc arrived */
};

/* The SOAP bodies (XML-escaped values); pure. */
int ledger_fon_login_envelope(struct buf *out, const struct ledger_fon_account *a,
                              const char *vendor_id);
int ledger_fon_upload_envelope(struct buf *out, const struct ledger_fon_account *a,
                               const char *session_id, bool test, const char *xml);
int ledger_fon_logout_envelope(struct buf *out, const struct ledger_fon_account *a,
                               const char *session_id);
/* Reads rc, msg and id of a service's answer, or a SOAP fault's faultstring (rc stays
 * unset: answered false). */
void ledger_fon_parse(const char *body, size_t len, struct ledger_fon_answer *out);

/* Login, upload of xml, logout. 0 when the upload was accepted (answer holds the upload's
 * rc and msg). Otherwise answer says which step failed and how: ERR_SERVICE_REFUSED when
 * the service refused (credentials, locked user, the file), ERR_SERVICE_FAILED when it
 * could not be reached or failed itself. */
int ledger_fon_send(const struct ledger_fon_account *a, const char *vendor_id, bool test,
                    const char *xml, bool allow_private, struct ledger_fon_answer *answer,
                    struct error *err);

/* ---- submitting a return (submit.c) --------------------------------------------------- */

struct ledger_u30_submit_request {
    const char *tenant_id;
    const char *period;
    bool test;       /* FinanzOnline's test mode: checked, not filed */
    bool correction; /* a period already submitted (in the same mode) may be sent again */
    bool small_business; /* the tenant is a Kleinunternehmer */
    const char *vendor_id; /* herstellerid: the tenant's VAT number */
    const unsigned char *master_key;
    const struct tz_zone *tz;
    bool allow_private; /* the base URL may be a private address (tests, development) */
    struct store_chain_head *head; /* out (required): the chain head the figures came from */
};
/* Computes, builds, sends and records one return. *result (new reference) describes the
 * recorded submission. ERR_CONFLICT / ERR_ALREADY_SUBMITTED before anything is sent; the
 * service's refusal or failure as ledger_fon_send, with *answer filled and nothing
 * recorded. */
int ledger_u30_submit(struct store *s, const struct ledger_u30_submit_request *rq,
                      json_t **result, struct ledger_fon_answer *answer, struct error *err);
/* A recorded submission as the API shows it. New reference. */
json_t *ledger_u30_submission_json(const struct vat_submission *sub);

/* ---- tamper-evidence: verifying the chains, the head of an export (books.c) ------------ */

/* Recomputes the tenant's journal and audit chains (store/chain.h) and describes the result
 * as the API and the command line show it (new reference in *out):
 *   {"ok", "rowsChecked", "head": {"journal": {"seq", "hash"}, "audit": {...}},
 *    "firstMismatch": null | {"chain", "id", "seq", "reason"}, "chains": [...]}
 * A mismatch is a result, not an error. */
int ledger_books_verify(struct store *s, const char *tenant_id, json_t **out, struct error *err);

/* Runs an export that reads the books (run(ctx, err), which must start over from nothing on
 * each call) so that it is known to have been made from exactly *head, the journal chain's
 * head: the head is read before and after, and the export made again (a few times at most,
 * then ERR_UNAVAILABLE) when a booking landed in between. */
int ledger_export_at_head(struct store *s, const char *tenant_id,
                          int (*run)(void *ctx, struct error *err), void *ctx,
                          struct store_chain_head *head, struct error *err);
/* Records in the exports log which head an export of `kind` and `period` was made from, and
 * by whom (an API token's id, or "cli"). */
int ledger_export_record(struct store *s, const char *tenant_id, const char *kind,
                         const char *period, const struct store_chain_head *head,
                         const char *actor, struct error *err);

#endif
