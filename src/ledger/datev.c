/* ledger/datev.c - the DATEV "Buchungsstapel" file, EXTF header version 700, format
 * category 21, Formatversion 13 (accounting-and-sync.md §1).
 *
 * Line 1 is the 31-field header, line 2 the 125 column titles exactly as DATEV's samples
 * spell them (unquoted, as DATEV writes them), then one line per booking. Fields are
 * separated by ';', every line ends in CRLF (the last one too), the file is Windows-1252.
 * Text columns are always quoted, also when empty, with '"' doubled inside; numbers and
 * dates are bare. DATEV reads by position, so every line has all 125 fields.
 *
 * A journal entry becomes bookings like this: its counter line (the clearing account,
 * alone on its side) is the Gegenkonto; every base line is a Konto, with the S/H flag of
 * its side, and the Umsatz is its gross amount (the base plus its tax line, because DATEV
 * splits the tax itself from the BU-Schlüssel). A refund mirrors its payment, so it comes
 * out with the opposite flag on the same accounts.
 *
 * A booking in another currency keeps its own amount as Umsatz with its WKZ Umsatz, and
 * carries Kurs (units of that currency per euro, the rate its invoice was booked at, six
 * decimals), Basis-Umsatz (the same booking in EUR, as the books hold it) and WKZ
 * Basis-Umsatz "EUR"; a booking in EUR leaves the three empty (§1.5: Kurs, Basis-Umsatz
 * and WKZ Basis-Umsatz only together).
 *
 * A booking whose tax treatment is not domestic (ledger/tax.c) carries that treatment's
 * BU-Schlüssel and EU fields instead of a VAT code's (treatment_fields). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cp1252.h"
#include "core/fx.h"
#include "core/money.h"
#include "ledger/ledger.h"
#include "store/accounting.h"
#include "store/installs.h"

/* ---- the fixed parts ---------------------------------------------------------------- */

static const char *const titles[LEDGER_DATEV_COLUMNS] = {
    "Umsatz (ohne Soll/Haben-Kz)", "Soll/Haben-Kennzeichen", "WKZ Umsatz", "Kurs",
    "Basis-Umsatz", "WKZ Basis-Umsatz", "Konto", "Gegenkonto (ohne BU-Schlüssel)",
    "BU-Schlüssel", "Belegdatum", "Belegfeld 1", "Belegfeld 2", "Skonto", "Buchungstext",
    "Postensperre", "Diverse Adressnummer", "Geschäftspartnerbank", "Sachverhalt",
    "Zinssperre", "Beleglink",
    "Beleginfo - Art 1", "Beleginfo - Inhalt 1", "Beleginfo - Art 2", "Beleginfo - Inhalt 2",
    "Beleginfo - Art 3", "Beleginfo - Inhalt 3", "Beleginfo - Art 4", "Beleginfo - Inhalt 4",
    "Beleginfo - Art 5", "Beleginfo - Inhalt 5", "Beleginfo - Art 6", "Beleginfo - Inhalt 6",
    "Beleginfo - Art 7", "Beleginfo - Inhalt 7", "Beleginfo - Art 8", "Beleginfo - Inhalt 8",
    "KOST1 - Kostenstelle", "KOST2 - Kostenstelle", "Kost-Menge",
    "EU-Land u. UStID (Bestimmung)", "EU-Steuersatz (Bestimmung)", "Abw. Versteuerungsart",
    "Sachverhalt L+L", "Funktionsergänzung L+L", "BU 49 Hauptfunktionstyp",
    "BU 49 Hauptfunktionsnummer", "BU 49 Funktionsergänzung",
    /* DATEV's own spelling: no space before the dash of "Inhalt" */
    "Zusatzinformation - Art 1", "Zusatzinformation- Inhalt 1",
    "Zusatzinformation - Art 2", "Zusatzinformation- Inhalt 2",
    "Zusatzinformation - Art 3", "Zusatzinformation- Inhalt 3",
    "Zusatzinformation - Art 4", "Zusatzinformation- Inhalt 4",
    "Zusatzinformation - Art 5", "Zusatzinformation- Inhalt 5",
    "Zusatzinformation - Art 6", "Zusatzinformation- Inhalt 6",
    "Zusatzinformation - Art 7", "Zusatzinformation- Inhalt 7",
    "Zusatzinformation - Art 8", "Zusatzinformation- Inhalt 8",
    "Zusatzinformation - Art 9", "Zusatzinformation- Inhalt 9",
    "Zusatzinformation - Art 10", "Zusatzinformation- Inhalt 10",
    "Zusatzinformation - Art 11", "Zusatzinformation- Inhalt 11",
    "Zusatzinformation - Art 12", "Zusatzinformation- Inhalt 12",
    "Zusatzinformation - Art 13", "Zusatzinformation- Inhalt 13",
    "Zusatzinformation - Art 14", "Zusatzinformation- Inhalt 14",
    "Zusatzinformation - Art 15", "Zusatzinformation- Inhalt 15",
    "Zusatzinformation - Art 16", "Zusatzinformation- Inhalt 16",
    "Zusatzinformation - Art 17", "Zusatzinformation- Inhalt 17",
    "Zusatzinformation - Art 18", "Zusatzinformation- Inhalt 18",
    "Zusatzinformation - Art 19", "Zusatzinformation- Inhalt 19",
    "Zusatzinformation - Art 20", "Zusatzinformation- Inhalt 20",
    "Stück", "Gewicht", "Zahlweise", "Forderungsart", "Veranlagungsjahr",
    "Zugeordnete Fälligkeit", "Skontotyp", "Auftragsnummer", "Buchungstyp",
    "USt-Schlüssel (Anzahlungen)", "EU-Land (Anzahlungen)", "Sachverhalt L+L (Anzahlungen)",
    "EU-Steuersatz (Anzahlungen)", "Erlöskonto (Anzahlungen)", "Herkunft-Kz", "Buchungs GUID",
    "KOST-Datum", "SEPA-Mandatsreferenz", "Skontosperre", "Gesellschaftername",
    "Beteiligtennummer", "Identifikationsnummer", "Zeichnernummer", "Postensperre bis",
    "Bezeichnung SoBil-Sachverhalt", "Kennzeichen SoBil-Buchung", "Festschreibung",
    "Leistungsdatum", "Datum Zuord. Steuerperiode", "Fälligkeit", "Generalumkehr (GU)",
    "Steuersatz", "Land", "Abrechnungsreferenz", "BVV-Position",
    "EU-Land u. UStID (Ursprung)", "EU-Steuersatz (Ursprung)", "Abw. Skontokonto",
};

const char *const *ledger_datev_titles(void)
{
    return titles;
}

/* The text columns of DATEV's sample (always quoted), as 1-based ranges. */
static const struct {
    int first, last;
} text_columns[] = {
    {2, 3},     {6, 6},     {9, 9},     {11, 12},   {14, 14},   {16, 16},   {20, 38},
    {40, 40},   {42, 42},   {48, 87},   {91, 91},   {95, 96},   {98, 98},   {102, 103},
    {105, 105}, {107, 107}, {109, 110}, {112, 112}, {118, 118}, {120, 121}, {123, 123},
};

bool ledger_datev_is_text_column(int column)
{
    for (size_t i = 0; i < sizeof text_columns / sizeof text_columns[0]; i++)
        if (column >= text_columns[i].first && column <= text_columns[i].last)
            return true;
    return false;
}

/* ---- fields ------------------------------------------------------------------------- */

int ledger_datev_amount(int64_t minor, int decimals, char out[32], struct error *err)
{
    out[0] = '\0';
    if (decimals < 0 || decimals > 2)
        return error_set(err, ERR_VALIDATION,
                         "DATEV amounts have two decimals; a currency with %d cannot be written",
                         decimals);
    int64_t factor = decimals == 2 ? 1 : decimals == 1 ? 10 : 100;
    if (minor <= 0)
        return error_set(err, ERR_VALIDATION, "a DATEV amount must be positive");
    if (minor > INT64_C(999999999999) / factor) /* 10 digits before the comma */
        return error_set(err, ERR_VALIDATION, "amount too large for DATEV");
    int64_t cents = minor * factor;
    snprintf(out, 32, "%lld,%02lld", (long long)(cents / 100), (long long)(cents % 100));
    return 0;
}

void ledger_datev_document(const char *in, char out[LEDGER_DATEV_DOCUMENT_MAX + 1])
{
    size_t n = 0;
    for (const char *p = in ? in : ""; *p && n < LEDGER_DATEV_DOCUMENT_MAX; p++) {
        char c = *p;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            strchr("$&%*+-/", c))
            out[n++] = c;
    }
    out[n] = '\0';
}

int ledger_datev_text(struct buf *out, const char *utf8, size_t max_chars)
{
    struct buf text;
    int rc = -1;
    buf_init(&text, 0);
    if (cp1252_from_utf8(&text, utf8 ? utf8 : "", utf8 ? strlen(utf8) : 0, NULL) < 0)
        goto out;
    size_t len = max_chars && text.len > max_chars ? max_chars : text.len;
    if (buf_append(out, "\"", 1) < 0)
        goto out;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text.data[i];
        if (c < 0x20 || c == 0x7f)
            c = ' '; /* CR, LF, TAB are not allowed inside a field */
        if ((c == '"' && buf_append(out, "\"\"", 2) < 0) ||
            (c != '"' && buf_append(out, &c, 1) < 0))
            goto out;
    }
    rc = buf_append(out, "\"", 1);
out:
    buf_free(&text);
    return rc;
}

/* ---- lines -------------------------------------------------------------------------- */

/* Appends `value` bare, or quoted-and-converted for a text column. */
static int put_field(struct buf *out, int column, const char *value)
{
    if (column > 1 && buf_append(out, ";", 1) < 0)
        return -1;
    if (ledger_datev_is_text_column(column))
        return ledger_datev_text(out, value, 0);
    return value ? buf_append_str(out, value) : 0;
}

int ledger_datev_line(struct buf *out, const struct ledger_datev_booking *b, struct error *err)
{
    const char *fields[LEDGER_DATEV_COLUMNS + 1] = {0}; /* 1-based */
    char amount[32], date[5], document[LEDGER_DATEV_DOCUMENT_MAX + 1];
    char rate[FX_RATE_TEXT_MAX], base[32];
    if (ledger_datev_amount(b->amount_minor, b->decimals, amount, err) < 0)
        return -1;
    bool foreign = b->currency && strcmp(b->currency, FX_BOOK_CURRENCY) != 0;
    if (foreign) {
        if (b->rate <= 0)
            return error_set(err, ERR_VALIDATION, "a booking in %s without its rate",
                             b->currency);
        if (ledger_datev_amount(b->base_minor, 2, base, err) < 0)
            return -1;
        fx_rate_format(b->rate, ',', rate);
    }
    if (!b->date || strlen(b->date) != 10)
        return error_set(err, ERR_VALIDATION, "a booking without a date");
    /* Belegdatum: DDMM; the year is the header's. */
    memcpy(date, b->date + 8, 2);
    memcpy(date + 2, b->date + 5, 2);
    date[4] = '\0';
    ledger_datev_document(b->document, document);

    fields[1] = amount;
    fields[2] = b->debit ? "S" : "H";
    fields[3] = b->currency;
    if (foreign) {
        fields[4] = rate;
        fields[5] = base;
        fields[6] = FX_BOOK_CURRENCY;
    }
    fields[7] = b->account;
    fields[8] = b->contra_account;
    fields[9] = b->bu_key;
    fields[10] = date;
    fields[11] = document;
    fields[40] = b->eu_id;
    fields[41] = b->eu_rate;
    for (int col = 1; col <= LEDGER_DATEV_COLUMNS; col++) {
        int rc = col == 14 ? (buf_append(out, ";", 1) < 0
                                  ? -1
                                  : ledger_datev_text(out, b->text, LEDGER_DATEV_TEXT_MAX))
                           : put_field(out, col, fields[col]);
        if (rc < 0)
            return error_set(err, ERR_INTERNAL, "out of memory");
    }
    if (buf_append(out, "\r\n", 2) < 0)
        return error_set(err, ERR_INTERNAL, "out of memory");
    return 0;
}

/* "YYYY-MM-DD" as "YYYYMMDD". */
static void compact_date(const char *iso, char out[9])
{
    snprintf(out, 9, "%.4s%.2s%.2s", iso, iso + 5, iso + 8);
}

int ledger_datev_head(struct buf *out, const struct ledger_datev_header *h, struct error *err)
{
    struct tz_local t;
    char created[24], fy[9], from[9], to[9];
    tz_local_time(h->tz, h->created_ms, &t);
    snprintf(created, sizeof created, "%04d%02d%02d%02d%02d%02d%03d", t.year, t.month, t.day,
             t.hour, t.minute, t.second, t.millisecond);
    compact_date(h->fiscal_year_start, fy);
    compact_date(h->from, from);
    compact_date(h->to, to);
    /* Fields 1-16: Kennzeichen, Versionsnummer, Formatkategorie, Formatname, Formatversion,
     * Erzeugt am, Importiert (empty), Herkunft, Exportiert von, Importiert von,
     * Beraternummer, Mandantennummer, WJ-Beginn, Sachkontenlänge, Datum vom, Datum bis. */
    int rc = buf_printf(out, "\"EXTF\";700;21;\"Buchungsstapel\";13;%s;;\"RE\";\"\";\"\";%s;%s;"
                             "%s;%d;%s;%s;",
                        created, h->consultant, h->client, fy, h->account_length, from, to);
    /* 17 Bezeichnung (<= 30), 18 Diktatkürzel, 19 Buchungstyp (1 = Finanzbuchführung),
     * 20 Rechnungslegungszweck, 21 Festschreibung (0: the advisor reviews before locking),
     * 22 WKZ, 23 reserved, 24 Derivatskennzeichen, 25-26 reserved, 27 Sachkontenrahmen,
     * 28 ID der Branchenlösung, 29 reserved, 30 reserved, 31 Anwendungsinformation. */
    if (rc == 0)
        rc = ledger_datev_text(out, h->description, 30);
    if (rc == 0)
        rc = buf_printf(out, ";\"\";1;0;0;\"%s\";;\"\";;;\"%s\";;;\"\";\"\"\r\n", h->currency,
                        h->chart_code);
    for (int col = 0; rc == 0 && col < LEDGER_DATEV_COLUMNS; col++) {
        if (col > 0)
            rc = buf_append(out, ";", 1);
        if (rc == 0)
            rc = cp1252_from_utf8(out, titles[col], strlen(titles[col]), NULL);
    }
    if (rc == 0)
        rc = buf_append(out, "\r\n", 2);
    return rc < 0 ? error_set(err, ERR_INTERNAL, "out of memory") : 0;
}

/* ---- the export --------------------------------------------------------------------- */

/* What the export takes from the datev connector (the advisor's numbers) and from the
 * tenant's settings (its chart and fiscal year start, through the request). */
struct datev_settings {
    const char *consultant, *client;
    int fy_month, fy_day;
    int account_length;
};

/* The datev connector's settings (validated when saved). Strings point into config.
 * Installs made before the settings owned the chart and the fiscal year start still carry
 * both keys; they are not read (migration step 7 moved the fiscal year start). */
static int read_datev_settings(const json_t *config, const struct ledger_datev_request *rq,
                               struct datev_settings *out, struct error *err)
{
    json_t *len = json_object_get(config, "accountLength");
    out->consultant = json_string_value(json_object_get(config, "consultantNumber"));
    out->client = json_string_value(json_object_get(config, "clientNumber"));
    out->account_length = json_is_integer(len) ? (int)json_integer_value(len) : 4;
    out->fy_month = rq->fiscal_month;
    out->fy_day = rq->fiscal_day;
    if (!out->consultant || !out->client)
        return error_set(err, ERR_VALIDATION,
                         "the datev connector's settings are incomplete; set consultantNumber "
                         "and clientNumber");
    return 0;
}

/* The first day (YYYY-MM-DD) of the fiscal year that holds date. */
static void fiscal_year_start(const struct datev_settings *d, const char *date, char out[11])
{
    int y = atoi(date), m = atoi(date + 5), day = atoi(date + 8);
    if (m < d->fy_month || (m == d->fy_month && day < d->fy_day))
        y--;
    char text[32];
    snprintf(text, sizeof text, "%04d-%02d-%02d", y, d->fy_month, d->fy_day);
    snprintf(out, 11, "%.10s", text);
}

#define ENTRY_LINES_MAX 32

struct entry_line {
    char account[32];
    int64_t debit, credit;
    int64_t book_debit, book_credit; /* in EUR */
    bool rated;
    char currency[4];
    char vat_code[16];
    bool vat_tax;
    char treatment[24]; /* "" when none */
    char country[3];
    int rate_bp;
    char vat_id[24];
};

/* One entry, gathered from its rows. */
struct export_state {
    const struct ledger_datev_request *rq;
    const struct datev_settings *d;
    struct buf *out;
    struct error err;
    bool failed;
    long rows;
    char entry_id[CRYPTO_ID_MAX];
    char date[11];
    char document[256];
    char text[512];
    int64_t rate; /* the entry's invoice's rate, 0 when it has none */
    struct entry_line lines[ENTRY_LINES_MAX];
    size_t n;
};

static bool account_fits(const char *account, int account_length)
{
    size_t len = strlen(account);
    bool nonzero = false;
    if (len < 1 || len > 9 || len > (size_t)account_length + 1)
        return false;
    for (const char *p = account; *p; p++) {
        if (*p < '0' || *p > '9')
            return false;
        nonzero |= *p != '0';
    }
    return nonzero;
}

/* Whether t is the tax line of base line b: the same domestic VAT code, or, for an OSS
 * sale (whose tax has no domestic code), the same treatment. */
static bool tax_of(const struct entry_line *t, const struct entry_line *b)
{
    if (!t->vat_tax)
        return false;
    if (b->vat_code[0])
        return strcmp(t->vat_code, b->vat_code) == 0;
    return b->treatment[0] && !t->vat_code[0] && strcmp(t->treatment, b->treatment) == 0;
}

/* The BU-Schlüssel and EU fields of a booking whose treatment is not domestic (ref. §1.7,
 * DATEV's tax keys): an OSS sale BU 10 with the member state and its rate; intra-EU
 * supplies and services to businesses on their (automatic) revenue accounts, with the
 * customer's VAT id for the recapitulative statement; services received under reverse
 * charge (§13b) BU 46 from a business in another member state, 94 from outside the EU.
 * False for domestic and unclassified bookings: their VAT code decides. */
static bool treatment_fields(const struct entry_line *b, const char **bu, char eu_id[24],
                             char eu_rate[16])
{
    enum ledger_tax_treatment t;
    if (!b->treatment[0] || ledger_tax_parse(b->treatment, &t) < 0 ||
        t == LEDGER_TAX_DOMESTIC || t == LEDGER_TAX_UNCLASSIFIED)
        return false;
    *bu = NULL;
    switch (t) {
    case LEDGER_TAX_OSS:
        *bu = "10";
        snprintf(eu_id, 24, "%s", b->country);
        if (b->rate_bp >= 0)
            snprintf(eu_rate, 16, "%d,%02d", b->rate_bp / 100, b->rate_bp % 100);
        break;
    case LEDGER_TAX_INTRA_EU_GOODS:
    case LEDGER_TAX_INTRA_EU_SERVICES:
        snprintf(eu_id, 24, "%s", b->vat_id);
        break;
    case LEDGER_TAX_REVERSE_CHARGE_RECEIVED:
        *bu = ledger_tax_is_eu(b->country) ? "46" : "94";
        break;
    default:
        break;
    }
    return true;
}

/* Writes the gathered entry as bookings. */
static int flush_entry(struct export_state *st)
{
    struct error *err = &st->err;
    const struct ledger_chart *chart = st->rq->chart;
    size_t n = st->n, debits = 0, counter = n;
    if (n == 0)
        return 0;
    st->n = 0;
    for (size_t i = 0; i < n; i++) {
        debits += st->lines[i].debit > 0;
        if (!st->lines[i].rated)
            return error_set(err, ERR_VALIDATION,
                             "entry %s of %s is in %s and was booked before exchange rates, "
                             "without an amount in EUR; DATEV cannot take it",
                             st->entry_id, st->date, st->lines[i].currency);
        if (!account_fits(st->lines[i].account, st->d->account_length))
            return error_set(err, ERR_VALIDATION,
                             "account %.32s of entry %s does not fit DATEV's account length %d",
                             st->lines[i].account, st->entry_id, st->d->account_length);
    }
    /* The counter line is alone on its side; with one line a side, it is the last. */
    size_t credits = n - debits;
    if (n == 2 && debits == 1) {
        counter = 1;
    } else if (n > 2 && (debits == 1 || credits == 1)) {
        for (size_t i = 0; i < n; i++)
            if ((st->lines[i].debit > 0) == (debits == 1))
                counter = i;
    }
    if (counter == n)
        return error_set(err, ERR_VALIDATION,
                         "entry %s cannot be written as DATEV bookings (no single counter line)",
                         st->entry_id);
    const struct entry_line *c = &st->lines[counter];
    size_t tax_matched = 0, taxes = 0;
    for (size_t i = 0; i < n; i++)
        taxes += i != counter && st->lines[i].vat_tax;
    for (size_t i = 0; i < n; i++) {
        const struct entry_line *b = &st->lines[i];
        if (i == counter || b->vat_tax)
            continue;
        bool debit = b->debit > 0;
        int64_t amount = debit ? b->debit : b->credit;
        int64_t base = debit ? b->book_debit : b->book_credit;
        for (size_t k = 0; k < n; k++) {
            const struct entry_line *t = &st->lines[k];
            if (k != counter && tax_of(t, b) && (t->debit > 0) == debit) {
                if (__builtin_add_overflow(amount, debit ? t->debit : t->credit, &amount) ||
                    __builtin_add_overflow(base, debit ? t->book_debit : t->book_credit, &base))
                    return error_set(err, ERR_AMOUNT_OVERFLOW,
                                     "entry %s: its amount and tax do not fit 64-bit minor units",
                                     st->entry_id);
                tax_matched++;
            }
        }
        const char *bu = NULL;
        char eu_id[24] = "", eu_rate[16] = "";
        if (treatment_fields(b, &bu, eu_id, eu_rate)) {
            /* Automatikkonten imply their tax; DATEV refuses a key on them. */
            if (bu && (ledger_chart_is_automatic(chart, b->account) ||
                       ledger_chart_is_automatic(chart, c->account)))
                bu = NULL;
        } else if (b->vat_code[0]) {
            const struct ledger_vat *v = ledger_vat_in_chart(chart, b->vat_code);
            if (!v || !v->datev_bu)
                return error_set(err, ERR_VALIDATION,
                                 "entry %s has the VAT code %s, which has no DATEV tax key in "
                                 "the chart %s",
                                 st->entry_id, b->vat_code, chart->slug);
            /* Automatikkonten imply their tax; DATEV refuses a key on them. */
            if (!ledger_chart_is_automatic(chart, b->account) &&
                !ledger_chart_is_automatic(chart, c->account))
                bu = v->datev_bu;
        }
        if (++st->rows > LEDGER_DATEV_MAX_ROWS)
            return error_set(err, ERR_VALIDATION,
                             "the period holds more than %d DATEV bookings; export a shorter "
                             "period",
                             LEDGER_DATEV_MAX_ROWS);
        struct ledger_datev_booking row = {
            .amount_minor = amount,
            .decimals = money_currency_decimals(b->currency),
            .debit = debit,
            .currency = b->currency,
            .account = b->account,
            .contra_account = c->account,
            .bu_key = bu,
            .eu_id = eu_id[0] ? eu_id : NULL,
            .eu_rate = eu_rate[0] ? eu_rate : NULL,
            .date = st->date,
            .document = st->document,
            .text = st->text,
            .rate = st->rate,
            .base_minor = base,
        };
        if (strcmp(b->currency, FX_BOOK_CURRENCY) != 0 && row.rate <= 0) {
            /* No invoice rate (an entry of its own): the rate its two amounts imply. */
            struct money f = {.minor = amount}, e = {.minor = base, .currency = "EUR"};
            memcpy(f.currency, b->currency, sizeof f.currency);
            if (fx_rate_implied(&f, &e, &row.rate, err) < 0)
                return -1;
        }
        if (ledger_datev_line(st->out, &row, err) < 0)
            return -1;
    }
    if (tax_matched != taxes)
        return error_set(err, ERR_VALIDATION, "entry %s has a tax line without its base line",
                         st->entry_id);
    return 0;
}

static int add_export_line(void *ctx, const struct journal_export_line *l)
{
    struct export_state *st = ctx;
    if (strcmp(st->entry_id, l->entry_id) != 0) {
        if (flush_entry(st) < 0)
            goto fail;
        snprintf(st->entry_id, sizeof st->entry_id, "%s", l->entry_id);
        snprintf(st->date, sizeof st->date, "%s", l->date);
        st->rate = l->fx_rate;
        bool credit_note = l->invoice_type && strcmp(l->invoice_type, "gutschrift") == 0;
        /* Belegfeld 1: the invoice number; a credit note carries its original invoice's,
         * so the advisor sees which invoice it corrects. */
        const char *number = credit_note && l->related_number && *l->related_number
                                 ? l->related_number
                             : l->invoice_number && *l->invoice_number ? l->invoice_number
                                                                      : l->external_id;
        snprintf(st->document, sizeof st->document, "%s", number ? number : "");
        /* Buchungstext: who and which document; the entry's own description otherwise. */
        if (l->party_name)
            snprintf(st->text, sizeof st->text, "%s%s %s", credit_note ? "Gutschrift " : "",
                     l->party_name, number ? number : "");
        else
            snprintf(st->text, sizeof st->text, "%s", l->description);
    }
    if (st->n == ENTRY_LINES_MAX) {
        error_set(&st->err, ERR_VALIDATION, "entry %s has more than %d lines", l->entry_id,
                  ENTRY_LINES_MAX);
        goto fail;
    }
    struct entry_line *e = &st->lines[st->n++];
    memset(e, 0, sizeof *e);
    snprintf(e->account, sizeof e->account, "%s", l->account);
    snprintf(e->currency, sizeof e->currency, "%s", l->currency);
    snprintf(e->vat_code, sizeof e->vat_code, "%s", l->vat_code ? l->vat_code : "");
    snprintf(e->treatment, sizeof e->treatment, "%s", l->tax_treatment ? l->tax_treatment : "");
    snprintf(e->country, sizeof e->country, "%s", l->tax_country ? l->tax_country : "");
    snprintf(e->vat_id, sizeof e->vat_id, "%s", l->vat_id ? l->vat_id : "");
    e->rate_bp = l->tax_rate_bp;
    e->debit = l->debit_minor;
    e->credit = l->credit_minor;
    e->rated = l->rated;
    e->book_debit = l->book_debit_minor;
    e->book_credit = l->book_credit_minor;
    e->vat_tax = l->vat_tax;
    return 0;
fail:
    st->failed = true;
    return 1;
}

int ledger_datev_export(struct store *s, const struct ledger_datev_request *rq, struct buf *out,
                        char filename[LEDGER_DATEV_FILENAME_MAX], struct error *err)
{
    struct install inst = {0};
    struct error get_err = {0};
    json_t *config = NULL;
    struct datev_settings d;
    char fy_from[11], fy_to[11], description[40], from[9], to[9];
    int rc = -1;
    filename[0] = '\0';
    if (store_install_get_slug(s, rq->tenant_id, "datev", &inst, &get_err) < 0) {
        if (get_err.code == ERR_NOT_FOUND)
            return error_set(err, ERR_NOT_INSTALLED,
                             "the datev connector is not installed; install it (POST "
                             "/api/connectors/datev/install) with the tax advisor's consultant "
                             "and client numbers");
        *err = get_err;
        return -1;
    }
    config = json_loads(inst.config, 0, NULL);
    if (read_datev_settings(config, rq, &d, err) < 0)
        goto out;
    if (!rq->chart->datev_code) {
        error_set(err, ERR_VALIDATION,
                  "the tenant books in %s, which is not a DATEV chart; set the tenant's chart "
                  "(PUT /api/settings) to the advisor's, skr03 or skr04, first",
                  rq->chart->slug);
        goto out;
    }
    fiscal_year_start(&d, rq->from, fy_from);
    fiscal_year_start(&d, rq->to, fy_to);
    if (strcmp(fy_from, fy_to) != 0) {
        error_set(err, ERR_VALIDATION,
                  "the period %s to %s spans two fiscal years (they start on %02d-%02d); DATEV "
                  "takes one fiscal year per file, so export each part on its own",
                  rq->from, rq->to, d.fy_month, d.fy_day);
        goto out;
    }
    if (strncmp(rq->from, rq->to, 4) != 0) {
        error_set(err, ERR_VALIDATION,
                  "the period %s to %s spans two calendar years; DATEV's document date has no "
                  "year, so export each year on its own", rq->from, rq->to);
        goto out;
    }
    compact_date(rq->from, from);
    compact_date(rq->to, to);
    snprintf(description, sizeof description, "connectord %s-%s", from, to);
    const struct ledger_datev_header h = {
        .created_ms = rq->now_ms,
        .tz = rq->tz,
        .consultant = d.consultant,
        .client = d.client,
        .fiscal_year_start = fy_from,
        .account_length = d.account_length,
        .from = rq->from,
        .to = rq->to,
        .description = description,
        .currency = "EUR",
        .chart_code = rq->chart->datev_code,
    };
    if (ledger_datev_head(out, &h, err) < 0)
        goto out;
    struct export_state st = {.rq = rq, .d = &d, .out = out};
    if (store_journal_export(s, rq->tenant_id, rq->from, rq->to, add_export_line, &st, err) < 0)
        goto out;
    if (!st.failed && flush_entry(&st) < 0)
        st.failed = true;
    if (st.failed) {
        *err = st.err;
        goto out;
    }
    snprintf(filename, LEDGER_DATEV_FILENAME_MAX, "EXTF_Buchungsstapel_%s_%s.csv", from, to);
    rc = 0;
out:
    json_decref(config);
    store_install_clear(&inst);
    return rc;
}
