/* documents/receipt.c - a proposal from the text of a receipt or an invoice PDF: supplier,
 * VAT id, invoice number, date, gross total, VAT amount and rate.
 *
 * German and English wording; amounts in either notation ("1.234,56" and "1,234.56"): the
 * last separator followed by exactly two digits is the decimal one. The gross total is the
 * amount on the line that names it (Summe, Gesamt, Total, Zu zahlen, ...), else the largest
 * amount of the text; the date is the one named (Datum, Rechnungsdatum) or else the first
 * real day; the supplier is the first line with words, as a receipt's head names its shop.
 * Every figure is only proposed: a person confirms or corrects it. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/money.h"
#include "core/utf8.h"
#include "documents/documents_int.h"

#define LINE_MAX_BYTES 512

/* Case-insensitive substring search within one line. */
static const char *find_word(const char *line, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = line; *p; p++)
        if (strncasecmp(p, word, n) == 0)
            return p;
    return NULL;
}

static bool line_has_any(const char *line, const char *const *words)
{
    for (size_t i = 0; words[i]; i++)
        if (find_word(line, words[i]))
            return true;
    return false;
}

/* The amount starting at p ("1.234,56", "12,50", "1,234.56", "12.50", with an optional
 * '-' before it) as minor units (two decimals); *end after it. false when none starts
 * there. OCR's spaces inside a number ("12, 50") are not accepted. */
static bool amount_at(const char *p, int64_t *minor, const char **end)
{
    const char *s = p;
    bool neg = false;
    if (*s == '-')
        neg = true, s++;
    if (!isdigit((unsigned char)*s))
        return false;
    int64_t units = 0;
    int digits = 0;
    const char *q = s;
    for (; *q; q++) {
        if (isdigit((unsigned char)*q)) {
            if (++digits > 12)
                return false;
            continue;
        }
        if ((*q == '.' || *q == ',') && isdigit((unsigned char)q[1]))
            continue;
        break;
    }
    /* q is the end; the decimal separator is the last one when two digits follow it */
    if (q - s < 4 || (q[-3] != ',' && q[-3] != '.'))
        return false;
    /* the integer part: digits, with a separator before every later group of three */
    int group = 0;
    bool grouped = false;
    for (const char *r = s; r < q - 3; r++) {
        if (isdigit((unsigned char)*r)) {
            units = units * 10 + (*r - '0');
            group++;
            continue;
        }
        if (group == 0 || (grouped && group != 3) || group > 3)
            return false;
        grouped = true;
        group = 0;
    }
    if (group == 0 || (grouped && group != 3))
        return false;
    int64_t cents = (q[-2] - '0') * 10 + (q[-1] - '0');
    *minor = (units * 100 + cents) * (neg ? -1 : 1);
    *end = q;
    return *minor <= MONEY_MAX_MINOR && *minor >= -MONEY_MAX_MINOR;
}

/* An amount starts at p only where no number goes on from before it: "1.23,45" holds none,
 * although "23,45" would be one. */
static bool amount_may_start(const char *line, const char *p)
{
    if (p == line)
        return true;
    char before = p[-1];
    if (isdigit((unsigned char)before))
        return false;
    return !((before == '.' || before == ',') && p - line >= 2 && isdigit((unsigned char)p[-2]));
}

/* The last amount on the line (a total's line ends with its figure). */
static bool last_amount(const char *line, int64_t *minor)
{
    bool found = false;
    for (const char *p = line; *p;) {
        const char *end;
        int64_t v;
        bool starts = amount_may_start(line, p);
        if (starts && amount_at(p, &v, &end)) {
            *minor = v, found = true;
            p = end;
        } else {
            p++;
        }
    }
    return found;
}

static void set_minor(json_t *obj, const char *key, int64_t minor, const char *currency)
{
    struct money m;
    struct error e;
    char out[MONEY_TEXT_MAX];
    if (money_from_minor(minor, currency, &m, &e) < 0)
        return;
    money_format(&m, out);
    json_object_set_new(obj, key, json_string(out));
}

/* "31.12.2025", "31.12.25", "2025-12-31" at p; false when not a real day. */
static bool date_at(const char *p, char out[11])
{
    int d, m, y, n = 0;
    char tmp[40];
    if (isdigit((unsigned char)p[0]) && sscanf(p, "%4d-%2d-%2d%n", &y, &m, &d, &n) == 3 &&
        n == 10 && p[4] == '-') {
        snprintf(tmp, sizeof tmp, "%04d-%02d-%02d", y, m, d);
        return draft_date(tmp, out);
    }
    if (!isdigit((unsigned char)p[0]) || !isdigit((unsigned char)p[1]) || p[2] != '.' ||
        !isdigit((unsigned char)p[3]) || !isdigit((unsigned char)p[4]) || p[5] != '.')
        return false;
    d = (p[0] - '0') * 10 + (p[1] - '0');
    m = (p[3] - '0') * 10 + (p[4] - '0');
    int digits = 0;
    while (digits < 5 && isdigit((unsigned char)p[6 + digits]))
        digits++;
    if (digits == 4)
        y = (p[6] - '0') * 1000 + (p[7] - '0') * 100 + (p[8] - '0') * 10 + (p[9] - '0');
    else if (digits == 2)
        y = 2000 + (p[6] - '0') * 10 + (p[7] - '0');
    else
        return false;
    snprintf(tmp, sizeof tmp, "%04d-%02d-%02d", y, m, d);
    return draft_date(tmp, out);
}

static bool first_date(const char *line, char out[11])
{
    for (const char *p = line; *p; p++)
        if ((p == line || !isdigit((unsigned char)p[-1])) && date_at(p, out))
            return true;
    return false;
}

/* A VAT id: DE + 9 digits, ATU + 8 digits, or another EU country's two letters followed
 * by 8 to 12 letters and digits that start with a digit. OCR's spaces inside are dropped. */
static bool vat_id_at(const char *p, char out[24])
{
    if (!isupper((unsigned char)p[0]) || !isupper((unsigned char)p[1]))
        return false;
    char id[24];
    size_t n = 0;
    for (const char *q = p; *q && n < sizeof id - 1; q++) {
        if (*q == ' ' && n >= 2 && isalnum((unsigned char)q[1]) && n < 4)
            continue;
        if (!isalnum((unsigned char)*q))
            break;
        id[n++] = (char)toupper((unsigned char)*q);
    }
    id[n] = '\0';
    bool ok = false;
    if (strncmp(id, "DE", 2) == 0)
        ok = n == 11 && strspn(id + 2, "0123456789") == 9;
    else if (strncmp(id, "ATU", 3) == 0)
        ok = n == 11 && strspn(id + 3, "0123456789") == 8;
    else
        ok = n >= 10 && n <= 14 && isdigit((unsigned char)id[2]) &&
             strchr("ATBEBGCYCZDKEEELESFIFRHRHUIEITLTLULVMTNLPLPTROSESISKXI", id[0]);
    if (ok)
        snprintf(out, 24, "%s", id);
    return ok;
}

static bool find_vat_id(const char *line, char out[24])
{
    for (const char *p = line; *p; p++)
        if ((p == line || !isalnum((unsigned char)p[-1])) && vat_id_at(p, out))
            return true;
    return false;
}

/* A VAT rate written "19%", "19 %", "7,0 %", "20.00%". */
static bool rate_on(const char *line, char out[16])
{
    for (const char *p = strchr(line, '%'); p; p = strchr(p + 1, '%')) {
        const char *q = p;
        while (q > line && q[-1] == ' ')
            q--;
        const char *e = q;
        while (q > line && (isdigit((unsigned char)q[-1]) || q[-1] == ',' || q[-1] == '.'))
            q--;
        char num[16];
        size_t n = (size_t)(e - q);
        if (n == 0 || n >= sizeof num)
            continue;
        memcpy(num, q, n);
        num[n] = '\0';
        for (char *c = num; *c; c++)
            if (*c == ',')
                *c = '.';
        if (draft_rate(num, out) && strcmp(out, "0") != 0)
            return true;
    }
    return false;
}

/* The token after a label such as "Rechnungsnummer:" or "Beleg-Nr." */
static bool number_after(const char *line, char out[64])
{
    static const char *const labels[] = {"Rechnungsnummer", "Rechnungsnr", "Rechnung Nr",
                                         "Rechnungs-Nr", "Beleg-Nr", "Belegnr", "Bon-Nr",
                                         "Invoice No", "Invoice number", "Invoice #", NULL};
    for (size_t i = 0; labels[i]; i++) {
        const char *p = find_word(line, labels[i]);
        if (!p)
            continue;
        p += strlen(labels[i]);
        while (*p == '.' || *p == ':' || *p == ' ' || *p == '#')
            p++;
        size_t n = 0;
        while (p[n] && p[n] != ' ' && n < 63)
            n++;
        if (n == 0)
            continue;
        memcpy(out, p, n);
        out[n] = '\0';
        return true;
    }
    return false;
}

static bool has_letters(const char *line, int min)
{
    int n = 0;
    for (const char *p = line; *p; p++)
        if (isalpha((unsigned char)*p) && ++n >= min)
            return true;
    return false;
}

struct proposal {
    char supplier[DRAFT_FIELD_MAX + 1];
    char vat_id[24], number[64], date[11], named_date[11], rate[16];
    int64_t total, largest, vat;
    bool has_total, has_largest, has_vat;
};

static const char *const total_words[] = {"Summe", "Gesamt", "Total", "zu zahlen",
                                          "Endbetrag", "Rechnungsbetrag", "Betrag EUR",
                                          "Bar ", "Amount due", NULL};
static const char *const not_total_words[] = {"Zwischensumme", "Subtotal", "Netto", "MwSt",
                                              "USt", "Steuer", "VAT", "Tax", "Rückgeld",
                                              "Gegeben", NULL};
static const char *const vat_words[] = {"MwSt", "USt", "Umsatzsteuer", "Mehrwertsteuer",
                                        "VAT", "Steuer", NULL};
static const char *const date_words[] = {"Datum", "Date", NULL};

static void scan_line(struct proposal *p, const char *line)
{
    int64_t v;
    if (!p->supplier[0] && has_letters(line, 3))
        snprintf(p->supplier, sizeof p->supplier, "%.*s", (int)utf8_cut(line, DRAFT_FIELD_MAX), line);
    if (!p->vat_id[0])
        find_vat_id(line, p->vat_id);
    if (!p->number[0])
        number_after(line, p->number);
    if (!p->named_date[0] && line_has_any(line, date_words))
        first_date(line, p->named_date);
    if (!p->date[0])
        first_date(line, p->date);
    bool vat_line = line_has_any(line, vat_words);
    if (vat_line && !p->rate[0])
        rate_on(line, p->rate);
    /* "MwSt 7% Netto 6,26 0,44": the VAT is the line's last amount */
    if (vat_line && !p->has_vat && last_amount(line, &v) && v > 0)
        p->vat = v, p->has_vat = true;
    if (!p->has_total && line_has_any(line, total_words) && !line_has_any(line, not_total_words) &&
        last_amount(line, &v) && v > 0)
        p->total = v, p->has_total = true;
    for (const char *c = line; *c; c++) {
        const char *end;
        if (amount_may_start(line, c) && amount_at(c, &v, &end)) {
            if (!p->has_largest || v > p->largest)
                p->largest = v, p->has_largest = true;
            c = end - 1;
        }
    }
}

void receipt_propose(json_t *draft, const char *text)
{
    struct proposal p = {0};
    char line[LINE_MAX_BYTES];
    for (const char *s = text; s && *s;) {
        size_t n = strcspn(s, "\n");
        size_t keep = n < sizeof line - 1 ? n : sizeof line - 1;
        memcpy(line, s, keep);
        line[keep] = '\0';
        scan_line(&p, line);
        s += n;
        if (*s)
            s++;
    }
    const char *currency = "EUR";
    json_object_set_new(draft, "currency", json_string(currency));
    json_t *supplier = draft_object(draft, "supplier");
    draft_text(supplier, "name", p.supplier);
    draft_text(supplier, "vatId", p.vat_id);
    draft_text(draft, "invoiceNumber", p.number);
    const char *date = p.named_date[0] ? p.named_date : p.date;
    if (date[0])
        json_object_set_new(draft, "invoiceDate", json_string(date));
    json_t *totals = draft_object(draft, "totals");
    if (p.has_total || p.has_largest)
        set_minor(totals, "gross", p.has_total ? p.total : p.largest, currency);
    if (p.has_vat)
        set_minor(totals, "tax", p.vat, currency);
    if (p.rate[0] || p.has_vat) {
        json_t *tax = json_object();
        if (p.rate[0])
            json_object_set_new(tax, "rate", json_string(p.rate));
        if (p.has_vat)
            set_minor(tax, "taxAmount", p.vat, currency);
        json_array_append_new(draft_array(draft, "taxes"), tax);
    }
    if (!p.has_total && !p.has_largest)
        draft_problem(draft, "no total was found in the text");
    if (!date[0])
        draft_problem(draft, "no date was found in the text");
}
