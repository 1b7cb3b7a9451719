/* ledger/u30.c - the Austrian VAT advance return (Umsatzsteuervoranmeldung, form U30)
 * from the books, and its XML for FinanzOnline (accounting-and-sync.md §2.4).
 *
 * The figures come from the period's journal lines, by the tax treatment of their booking
 * (ledger/tax.c): domestic output VAT by its net base per rate (KZ022 20 %, KZ029 10 %,
 * KZ006 13 %), exports (KZ011), intra-EU supplies of goods (KZ017) and a Kleinunternehmer's
 * sales (KZ016), all of them in KZ000; input VAT by the tax itself (KZ060); services
 * received under reverse charge by the tax owed (KZ057) and its Vorsteuer (KZ066). One-stop-
 * shop sales and services whose place of supply is abroad are not part of the U30 (they are
 * shown beside it, under "outside"). Lines from before treatments count by their Austrian
 * VAT code. Refunds reduce what they refund. What fits no Kennzahl (another country's VAT,
 * another currency, a booking the treatment left unclassified) is named with the reason,
 * never guessed and never a refusal of the period; the XML and the submission refuse while
 * anything is unclassified, because that return would be incomplete.
 *
 * The XML follows the BMF schema's sequence: INFO_DATEN, then one ERKLAERUNG art="U30"
 * with ALLGEMEINE_DATEN, the supplies (KZ000 always, the taxed bases in VERSTEUERT) and
 * VORSTEUER; empty elements and sections are left out, amounts have a '.' and two
 * decimals. The Zahllast (KZ095) is computed by the tax office and not sent. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/money.h"
#include "ledger/ledger.h"
#include "store/accounting.h"

static bool is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return days[m - 1] + (m == 2 && is_leap(y));
}

int ledger_u30_period_parse(const char *text, struct ledger_u30_period *out, struct error *err)
{
    memset(out, 0, sizeof *out);
    bool digits = text && strlen(text) == 7 && text[4] == '-';
    for (int i = 0; digits && i < 4; i++)
        digits = text[i] >= '0' && text[i] <= '9';
    int year = digits ? atoi(text) : 0, first = 0, last = 0;
    if (digits && text[5] == 'Q' && text[6] >= '1' && text[6] <= '4') {
        first = (text[6] - '1') * 3 + 1;
        last = first + 2;
    } else if (digits && text[5] >= '0' && text[5] <= '1' && text[6] >= '0' && text[6] <= '9') {
        first = last = (text[5] - '0') * 10 + (text[6] - '0');
    }
    if (year < 2000 || first < 1 || last > 12)
        return error_set(err, ERR_INVALID_FIELD,
                         "period must be a month (2026-03) or a quarter (2026-Q1)");
    year %= 10000; /* four digits, as checked; says so to the compiler too */
    snprintf(out->text, sizeof out->text, "%s", text);
    snprintf(out->from, sizeof out->from, "%04d-%02d-01", year, first);
    snprintf(out->to, sizeof out->to, "%04d-%02d-%02d", year, last, month_days(year, last));
    snprintf(out->zr_from, sizeof out->zr_from, "%04d-%02d", year, first);
    snprintf(out->zr_to, sizeof out->zr_to, "%04d-%02d", year, last);
    return 0;
}

static int add_checked(int64_t *sum, int64_t v, struct error *err)
{
    if (__builtin_add_overflow(*sum, v, sum))
        return error_set(err, ERR_AMOUNT_OVERFLOW, "the VAT sums do not fit 64-bit minor units");
    return 0;
}

void ledger_unclassified_add(struct ledger_unclassified *u, const char *invoice_id,
                             const char *reason)
{
    const char *id = invoice_id && *invoice_id ? invoice_id : "(no invoice)";
    for (size_t i = 0; i < u->n; i++)
        if (strcmp(u->items[i].invoice_id, id) == 0)
            return;
    u->total++;
    if (u->n == LEDGER_UNCLASSIFIED_MAX)
        return;
    snprintf(u->items[u->n].invoice_id, sizeof u->items[u->n].invoice_id, "%s", id);
    snprintf(u->items[u->n].reason, sizeof u->items[u->n].reason, "%s", reason);
    u->n++;
}

json_t *ledger_unclassified_attach(json_t *o, const struct ledger_unclassified *u)
{
    json_t *list = o ? json_array() : NULL;
    for (size_t i = 0; list && i < u->n; i++)
        if (json_array_append_new(list, json_pack("{s:s, s:s}", "invoiceId",
                                                  u->items[i].invoice_id, "reason",
                                                  u->items[i].reason)) < 0) {
            json_decref(list);
            list = NULL;
        }
    /* set_new takes the reference also when it fails */
    if (!list || json_object_set_new(o, "unclassified", list) < 0 ||
        json_object_set_new(o, "unclassifiedCount", json_integer((json_int_t)u->total)) < 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

bool ledger_return_amount(const struct tax_line_row *r, const char *return_name, int64_t *out,
                          char *why, size_t why_cap)
{
    if (r->rated) { /* its amount in the book currency, as the books hold it */
        *out = r->book_credit_minor - r->book_debit_minor;
        return true;
    }
    if (strcmp(r->currency, "EUR") == 0) {
        *out = r->credit_minor - r->debit_minor;
        return true;
    }
    snprintf(why, why_cap, "booked in %.3s without an exchange rate; the %s is in EUR",
             r->currency, return_name);
    return false;
}

/* A line by its Austrian VAT code (domestic bookings, and lines from before treatments). */
static int add_by_code(struct ledger_u30 *f, const struct tax_line_row *r, int64_t amount,
                       char *why, size_t why_cap, struct error *err)
{
    const struct ledger_vat *v = ledger_vat_find(r->vat_code);
    const struct ledger_chart *c = v ? ledger_vat_chart(v) : NULL;
    if (!v || strcmp(c->country, "AT") != 0) {
        snprintf(why, why_cap, "booked with the %s VAT code %.16s; the U30 covers Austrian VAT "
                 "only", c ? c->country : "unknown", r->vat_code);
        return 1;
    }
    if (v->kind == LEDGER_VAT_OUTPUT && !r->vat_tax) {
        int64_t *kz = strcmp(v->u30_kz, "022") == 0   ? &f->kz022
                      : strcmp(v->u30_kz, "029") == 0 ? &f->kz029
                                                      : &f->kz006;
        return add_checked(kz, amount, err) < 0 || add_checked(&f->kz000, amount, err) < 0 ? -1
                                                                                          : 0;
    }
    if (v->kind == LEDGER_VAT_INPUT && r->vat_tax)
        return add_checked(&f->kz060, -amount, err);
    return 0;
}

/* 0: added; 1: not classifiable (why says); -1: overflow. */
static int classify(struct ledger_u30 *f, const struct tax_line_row *r, char *why,
                    size_t why_cap, struct error *err)
{
    int64_t amount = 0;
    if (!ledger_return_amount(r, "U30", &amount, why, why_cap))
        return 1;
    enum ledger_tax_treatment t;
    if (!r->treatment[0])
        return add_by_code(f, r, amount, why, why_cap, err);
    if (ledger_tax_parse(r->treatment, &t) < 0) {
        snprintf(why, why_cap, "the unknown tax treatment %.24s", r->treatment);
        return 1;
    }
    if (r->vat_tax && t != LEDGER_TAX_DOMESTIC)
        return 0; /* an OSS sale's tax: the OSS return's */
    switch (t) {
    case LEDGER_TAX_DOMESTIC:
        if (r->vat_code[0])
            return add_by_code(f, r, amount, why, why_cap, err);
        if (amount > 0 && r->rate_bp == 0) {
            snprintf(why, why_cap, "a domestic sale at 0 %%, which has no Kennzahl here");
            return 1;
        }
        return 0; /* a purchase without VAT: no Vorsteuer */
    case LEDGER_TAX_INTRA_EU_GOODS:
        return add_checked(&f->kz017, amount, err) < 0 || add_checked(&f->kz000, amount, err) < 0
                   ? -1 : 0;
    case LEDGER_TAX_EXPORT:
        return add_checked(&f->kz011, amount, err) < 0 || add_checked(&f->kz000, amount, err) < 0
                   ? -1 : 0;
    case LEDGER_TAX_SMALL_BUSINESS:
        return add_checked(&f->kz016, amount, err) < 0 || add_checked(&f->kz000, amount, err) < 0
                   ? -1 : 0;
    case LEDGER_TAX_REVERSE_CHARGE_RECEIVED:
        if (r->rate_bp != 2000) {
            snprintf(why, why_cap, "a service received under reverse charge at %d.%02d %%, not "
                     "Austria's 20 %%", r->rate_bp / 100, r->rate_bp % 100);
            return 1;
        }
        return add_checked(&f->rc_base, -amount, err);
    case LEDGER_TAX_OSS:
        return add_checked(&f->oss, amount, err);
    case LEDGER_TAX_INTRA_EU_SERVICES:
        return add_checked(&f->intra_eu_services, amount, err);
    case LEDGER_TAX_NON_EU_SERVICES:
        return add_checked(&f->non_eu_services, amount, err);
    case LEDGER_TAX_UNCLASSIFIED:
        snprintf(why, why_cap, "%s", r->note[0] ? r->note : "unclassified");
        return 1;
    }
    return 0;
}

int ledger_u30_add_line(struct ledger_u30 *f, const struct tax_line_row *r, struct error *err)
{
    char why[200];
    int rc = classify(f, r, why, sizeof why, err);
    if (rc > 0)
        ledger_unclassified_add(&f->unclassified, r->invoice_id, why);
    return rc < 0 ? -1 : 0;
}

/* The walk every return makes: each line a VAT return reads in the period, handed to add
 * with the return's figures; the first error stops it and is the walk's. */
struct tax_walk {
    int (*add)(void *figures, const struct tax_line_row *r, struct error *err);
    void *figures;
    struct error err;
    bool failed;
};

static int tax_walk_row(void *ctx, const struct tax_line_row *r)
{
    struct tax_walk *w = ctx;
    if (w->add(w->figures, r, &w->err) < 0) {
        w->failed = true;
        return 1;
    }
    return 0;
}

int ledger_tax_lines_each(struct store *s, const char *tenant_id,
                          const struct ledger_u30_period *p,
                          int (*add)(void *figures, const struct tax_line_row *r,
                                     struct error *err),
                          void *figures, struct error *err)
{
    struct tax_walk w = {.add = add, .figures = figures};
    if (store_tax_lines(s, tenant_id, p->from, p->to, tax_walk_row, &w, err) < 0)
        return -1;
    if (w.failed) {
        *err = w.err;
        return -1;
    }
    return 0;
}

static int u30_add(void *figures, const struct tax_line_row *r, struct error *err)
{
    return ledger_u30_add_line(figures, r, err);
}

int ledger_u30_compute(struct store *s, const char *tenant_id, const struct ledger_u30_period *p,
                       bool small_business, struct ledger_u30 *out, struct error *err)
{
    memset(out, 0, sizeof *out);
    out->period = *p;
    out->small_business = small_business;
    if (ledger_tax_lines_each(s, tenant_id, p, u30_add, out, err) < 0)
        return -1;
    /* The Zahllast is computed from these figures later (ledger_u30_payable); it must fit
     * too, whatever amounts the books hold. */
    __int128 payable = (__int128)ledger_u30_tax(out->kz022, 2000) +
                       ledger_u30_tax(out->kz029, 1000) + ledger_u30_tax(out->kz006, 1300) +
                       ledger_u30_kz057(out) - out->kz060 - ledger_u30_kz066(out);
    if (payable < INT64_MIN || payable > INT64_MAX)
        return error_set(err, ERR_AMOUNT_OVERFLOW,
                         "the VAT payable does not fit 64-bit minor units");
    return 0;
}

int64_t ledger_u30_tax(int64_t base_minor, int rate_bp)
{
    __int128 num = (__int128)base_minor * rate_bp;
    __int128 mag = ((num < 0 ? -num : num) * 2 + 10000) / 20000; /* half away from zero */
    return (int64_t)(num < 0 ? -mag : mag);
}

int64_t ledger_u30_kz057(const struct ledger_u30 *f)
{
    return ledger_u30_tax(f->rc_base, 2000);
}

int64_t ledger_u30_kz066(const struct ledger_u30 *f)
{
    return f->small_business ? 0 : ledger_u30_kz057(f);
}

int64_t ledger_u30_payable(const struct ledger_u30 *f)
{
    return ledger_u30_tax(f->kz022, 2000) + ledger_u30_tax(f->kz029, 1000) +
           ledger_u30_tax(f->kz006, 1300) + ledger_u30_kz057(f) - f->kz060 - ledger_u30_kz066(f);
}

static json_t *eur(int64_t minor)
{
    struct money m = {.minor = minor, .currency = "EUR"};
    char text[MONEY_TEXT_MAX];
    money_format(&m, text);
    return json_string(text);
}

json_t *ledger_u30_json(const struct ledger_u30 *f)
{
    json_t *o = json_pack(
        "{s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o,"
        " s:{s:o, s:o, s:o}, s:o, s:{s:o, s:o, s:o}}",
        "period", f->period.text, "from", f->period.from, "to", f->period.to, "currency", "EUR",
        "KZ000", eur(f->kz000), "KZ011", eur(f->kz011), "KZ017", eur(f->kz017), "KZ016",
        eur(f->kz016), "KZ022", eur(f->kz022), "KZ029", eur(f->kz029), "KZ006", eur(f->kz006),
        "KZ057", eur(ledger_u30_kz057(f)), "KZ060", eur(f->kz060), "KZ066",
        eur(ledger_u30_kz066(f)), "tax", "KZ022", eur(ledger_u30_tax(f->kz022, 2000)), "KZ029",
        eur(ledger_u30_tax(f->kz029, 1000)), "KZ006", eur(ledger_u30_tax(f->kz006, 1300)),
        "KZ095", eur(ledger_u30_payable(f)), "outside", "oss", eur(f->oss), "intraEuServices",
        eur(f->intra_eu_services), "nonEuServices", eur(f->non_eu_services));
    return ledger_unclassified_attach(o, &f->unclassified);
}

int ledger_u30_check(const struct ledger_u30 *f, struct error *err)
{
    const struct {
        const char *kz;
        int64_t v;
    } figures[] = {{"KZ000", f->kz000}, {"KZ011", f->kz011}, {"KZ017", f->kz017},
                   {"KZ016", f->kz016}, {"KZ022", f->kz022}, {"KZ029", f->kz029},
                   {"KZ006", f->kz006}, {"KZ057", ledger_u30_kz057(f)}, {"KZ060", f->kz060}};
    for (size_t i = 0; i < sizeof figures / sizeof figures[0]; i++)
        if (figures[i].v < 0)
            return error_set(err, ERR_VALIDATION,
                             "%s of %s is negative (refunds exceed what they refund in this "
                             "period); FinanzOnline takes no negative amount there",
                             figures[i].kz, f->period.text);
    if (f->unclassified.total > 0)
        return error_set(err, ERR_VALIDATION,
                         "%zu booking(s) of %s cannot be classified (first: invoice %s, %s); "
                         "the return would be incomplete. GET /api/vat-returns/at lists them",
                         f->unclassified.total, f->period.text, f->unclassified.items[0].invoice_id,
                         f->unclassified.items[0].reason);
    return 0;
}

int ledger_u30_tax_number(const char *text, char out[10], struct error *err)
{
    size_t n = 0;
    for (const char *p = text ? text : ""; *p; p++) {
        if (*p >= '0' && *p <= '9') {
            if (n == 9)
                return error_set(err, ERR_VALIDATION, "the tax number has more than 9 digits");
            out[n++] = *p;
        } else if (*p != '-' && *p != '/' && *p != ' ') {
            return error_set(err, ERR_VALIDATION, "the tax number may hold digits only");
        }
    }
    out[n] = '\0';
    if (n != 9)
        return error_set(err, ERR_VALIDATION,
                         "the tax number must have 9 digits (tax office and number)");
    return 0;
}

/* "<indent><NAME type="kz">1234.56</NAME>\n" */
static int kz(struct buf *out, const char *indent, const char *name, int64_t minor)
{
    char text[MONEY_TEXT_MAX];
    struct money m = {.minor = minor, .currency = "EUR"};
    money_format(&m, text);
    return buf_printf(out, "%s<%s type=\"kz\">%s</%s>\n", indent, name, text, name);
}

int ledger_u30_xml(struct buf *out, const struct ledger_u30 *f, const struct ledger_u30_info *info,
                   struct error *err)
{
    const struct tz_local *t = &info->created;
    int rc = buf_printf(out,
                        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                        "<ERKLAERUNGS_UEBERMITTLUNG>\n"
                        "  <INFO_DATEN>\n"
                        "    <ART_IDENTIFIKATIONSBEGRIFF>FASTNR</ART_IDENTIFIKATIONSBEGRIFF>\n"
                        "    <IDENTIFIKATIONSBEGRIFF>%s</IDENTIFIKATIONSBEGRIFF>\n"
                        "    <PAKET_NR>%lld</PAKET_NR>\n"
                        "    <DATUM_ERSTELLUNG type=\"datum\">%04d-%02d-%02d</DATUM_ERSTELLUNG>\n"
                        "    <UHRZEIT_ERSTELLUNG type=\"uhrzeit\">%02d:%02d:%02d</UHRZEIT_ERSTELLUNG>\n"
                        "    <ANZAHL_ERKLAERUNGEN>1</ANZAHL_ERKLAERUNGEN>\n"
                        "  </INFO_DATEN>\n"
                        "  <ERKLAERUNG art=\"U30\">\n"
                        "    <SATZNR>1</SATZNR>\n"
                        "    <ALLGEMEINE_DATEN>\n"
                        "      <ANBRINGEN>U30</ANBRINGEN>\n"
                        "      <ZRVON type=\"jahrmonat\">%s</ZRVON>\n"
                        "      <ZRBIS type=\"jahrmonat\">%s</ZRBIS>\n"
                        "      <FASTNR>%s</FASTNR>\n"
                        "    </ALLGEMEINE_DATEN>\n"
                        "    <LIEFERUNGEN_LEISTUNGEN_EIGENVERBRAUCH>\n",
                        info->tax_number, (long long)info->package_no, t->year, t->month, t->day,
                        t->hour, t->minute, t->second, f->period.zr_from, f->period.zr_to,
                        info->tax_number);
    if (rc == 0)
        rc = kz(out, "      ", "KZ000", f->kz000);
    if (rc == 0 && (f->kz011 || f->kz017 || f->kz016)) { /* the XSD's order: 011 017 016 */
        rc = buf_append_str(out, "      <STEUERFREI>\n");
        if (rc == 0 && f->kz011)
            rc = kz(out, "        ", "KZ011", f->kz011);
        if (rc == 0 && f->kz017)
            rc = kz(out, "        ", "KZ017", f->kz017);
        if (rc == 0 && f->kz016)
            rc = kz(out, "        ", "KZ016", f->kz016);
        if (rc == 0)
            rc = buf_append_str(out, "      </STEUERFREI>\n");
    }
    int64_t kz057 = ledger_u30_kz057(f), kz066 = ledger_u30_kz066(f);
    if (rc == 0 && (f->kz022 || f->kz029 || f->kz006 || kz057)) {
        rc = buf_append_str(out, "      <VERSTEUERT>\n");
        if (rc == 0 && f->kz022)
            rc = kz(out, "        ", "KZ022", f->kz022);
        if (rc == 0 && f->kz029)
            rc = kz(out, "        ", "KZ029", f->kz029);
        if (rc == 0 && f->kz006)
            rc = kz(out, "        ", "KZ006", f->kz006);
        if (rc == 0 && kz057)
            rc = kz(out, "        ", "KZ057", kz057);
        if (rc == 0)
            rc = buf_append_str(out, "      </VERSTEUERT>\n");
    }
    if (rc == 0)
        rc = buf_append_str(out, "    </LIEFERUNGEN_LEISTUNGEN_EIGENVERBRAUCH>\n");
    if (rc == 0 && (f->kz060 || kz066)) { /* the XSD's order: 060 ... 065 066 */
        rc = buf_append_str(out, "    <VORSTEUER>\n");
        if (rc == 0 && f->kz060)
            rc = kz(out, "      ", "KZ060", f->kz060);
        if (rc == 0 && kz066)
            rc = kz(out, "      ", "KZ066", kz066);
        if (rc == 0)
            rc = buf_append_str(out, "    </VORSTEUER>\n");
    }
    if (rc == 0)
        rc = buf_append_str(out, "  </ERKLAERUNG>\n</ERKLAERUNGS_UEBERMITTLUNG>\n");
    return rc < 0 ? error_set(err, ERR_INTERNAL, "out of memory") : 0;
}
