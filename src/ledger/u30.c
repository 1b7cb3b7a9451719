/* ledger/u30.c - the Austrian VAT advance return (Umsatzsteuervoranmeldung, form U30)
 * from the books, and its XML for FinanzOnline (accounting-and-sync.md §2.4).
 *
 * The figures come from journal lines with Austrian VAT codes in the period: output VAT
 * is reported by its net base per rate (KZ022 20 %, KZ029 10 %, KZ006 13 %, all of them in
 * KZ000), input VAT by the tax itself (KZ060). Refunds reduce what they refund. Lines
 * without a VAT code (gross amounts whose VAT is not known) are not part of the return.
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

int ledger_u30_add(struct ledger_u30 *f, const char *vat_code, bool tax_line,
                   const char *currency, int64_t debit_minor, int64_t credit_minor,
                   struct error *err)
{
    const struct ledger_vat *v = ledger_vat_find(vat_code);
    if (!v)
        return error_set(err, ERR_VALIDATION, "the books hold the unknown VAT code %.16s",
                         vat_code);
    const struct ledger_chart *c = ledger_vat_chart(v);
    if (strcmp(c->country, "AT") != 0)
        return error_set(err, ERR_VALIDATION,
                         "the period holds bookings with the %s VAT code %s; the U30 covers "
                         "Austrian VAT only",
                         c->country, v->code);
    if (strcmp(currency, "EUR") != 0)
        return error_set(err, ERR_VALIDATION,
                         "the period holds VAT bookings in %.3s booked before exchange "
                         "rates, without their amount in EUR; the U30 cannot take them",
                         currency);
    if (v->kind == LEDGER_VAT_OUTPUT && !tax_line) {
        int64_t base = credit_minor - debit_minor;
        int64_t *kz = strcmp(v->u30_kz, "022") == 0   ? &f->kz022
                      : strcmp(v->u30_kz, "029") == 0 ? &f->kz029
                                                      : &f->kz006;
        if (add_checked(kz, base, err) < 0 || add_checked(&f->kz000, base, err) < 0)
            return -1;
    } else if (v->kind == LEDGER_VAT_INPUT && tax_line) {
        if (add_checked(&f->kz060, debit_minor - credit_minor, err) < 0)
            return -1;
    }
    return 0;
}

struct u30_sums {
    struct ledger_u30 *f;
    struct error err;
    bool failed;
};

static int add_sum(void *ctx, const char *vat_code, bool tax_line, const char *currency,
                   int64_t debit_minor, int64_t credit_minor)
{
    struct u30_sums *s = ctx;
    if (ledger_u30_add(s->f, vat_code, tax_line, currency, debit_minor, credit_minor,
                       &s->err) < 0) {
        s->failed = true;
        return 1;
    }
    return 0;
}

int ledger_u30_compute(struct store *s, const char *tenant_id, const struct ledger_u30_period *p,
                       struct ledger_u30 *out, struct error *err)
{
    memset(out, 0, sizeof *out);
    out->period = *p;
    struct u30_sums sums = {.f = out};
    if (store_vat_sums(s, tenant_id, p->from, p->to, add_sum, &sums, err) < 0)
        return -1;
    if (sums.failed) {
        *err = sums.err;
        return -1;
    }
    /* The Zahllast is computed from these figures later (ledger_u30_payable); it must fit
     * too, whatever amounts the books hold. */
    __int128 payable = (__int128)ledger_u30_tax(out->kz022, 2000) +
                       ledger_u30_tax(out->kz029, 1000) + ledger_u30_tax(out->kz006, 1300) -
                       out->kz060;
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

int64_t ledger_u30_payable(const struct ledger_u30 *f)
{
    return ledger_u30_tax(f->kz022, 2000) + ledger_u30_tax(f->kz029, 1000) +
           ledger_u30_tax(f->kz006, 1300) - f->kz060;
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
    return json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:{s:o, s:o, s:o}, s:o}",
                     "period", f->period.text, "from", f->period.from, "to", f->period.to,
                     "currency", "EUR", "KZ000", eur(f->kz000), "KZ022", eur(f->kz022),
                     "KZ029", eur(f->kz029), "KZ006", eur(f->kz006), "KZ060", eur(f->kz060),
                     "tax", "KZ022", eur(ledger_u30_tax(f->kz022, 2000)), "KZ029",
                     eur(ledger_u30_tax(f->kz029, 1000)), "KZ006",
                     eur(ledger_u30_tax(f->kz006, 1300)), "KZ095", eur(ledger_u30_payable(f)));
}

int ledger_u30_check(const struct ledger_u30 *f, struct error *err)
{
    const struct {
        const char *kz;
        int64_t v;
    } figures[] = {{"KZ000", f->kz000}, {"KZ022", f->kz022}, {"KZ029", f->kz029},
                   {"KZ006", f->kz006}, {"KZ060", f->kz060}};
    for (size_t i = 0; i < sizeof figures / sizeof figures[0]; i++)
        if (figures[i].v < 0)
            return error_set(err, ERR_VALIDATION,
                             "%s of %s is negative (refunds exceed what they refund in this "
                             "period); FinanzOnline takes no negative amount there",
                             figures[i].kz, f->period.text);
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
    if (rc == 0 && (f->kz022 || f->kz029 || f->kz006)) {
        rc = buf_append_str(out, "      <VERSTEUERT>\n");
        if (rc == 0 && f->kz022)
            rc = kz(out, "        ", "KZ022", f->kz022);
        if (rc == 0 && f->kz029)
            rc = kz(out, "        ", "KZ029", f->kz029);
        if (rc == 0 && f->kz006)
            rc = kz(out, "        ", "KZ006", f->kz006);
        if (rc == 0)
            rc = buf_append_str(out, "      </VERSTEUERT>\n");
    }
    if (rc == 0)
        rc = buf_append_str(out, "    </LIEFERUNGEN_LEISTUNGEN_EIGENVERBRAUCH>\n");
    if (rc == 0 && f->kz060) {
        rc = buf_append_str(out, "    <VORSTEUER>\n");
        if (rc == 0)
            rc = kz(out, "      ", "KZ060", f->kz060);
        if (rc == 0)
            rc = buf_append_str(out, "    </VORSTEUER>\n");
    }
    if (rc == 0)
        rc = buf_append_str(out, "  </ERKLAERUNG>\n</ERKLAERUNGS_UEBERMITTLUNG>\n");
    return rc < 0 ? error_set(err, ERR_INTERNAL, "out of memory") : 0;
}
