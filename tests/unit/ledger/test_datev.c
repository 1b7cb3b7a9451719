/* tests/unit/ledger/test_datev.c - the DATEV EXTF line formats (src/ledger/datev.c): amounts from
 * minor units and back, Belegfeld 1 cutting, quoted and cut Buchungstext, a booking line's
 * 125 fields, and the header and title lines against accounting-and-sync.md §1.3/§1.4. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/money.h"
#include "ledger/ledger.h"

/* ---- a small reader for the lines the tests check ------------------------------------ */

#define MAX_FIELDS 160

struct fields {
    char *v[MAX_FIELDS]; /* unquoted values */
    bool quoted[MAX_FIELDS];
    size_t n;
};

/* Splits one line (without CRLF) at ';' outside quotes; "" inside quotes is one '"'. */
static void split(const char *line, size_t len, struct fields *f)
{
    memset(f, 0, sizeof *f);
    size_t i = 0;
    for (;;) {
        char *v = calloc(len + 1, 1);
        size_t n = 0;
        assert_true(f->n < MAX_FIELDS);
        if (i < len && line[i] == '"') {
            f->quoted[f->n] = true;
            i++;
            for (;;) {
                assert_true(i < len); /* a closing quote must come */
                if (line[i] == '"' && i + 1 < len && line[i + 1] == '"') {
                    v[n++] = '"';
                    i += 2;
                } else if (line[i] == '"') {
                    i++;
                    break;
                } else {
                    v[n++] = line[i++];
                }
            }
        } else {
            while (i < len && line[i] != ';')
                v[n++] = line[i++];
        }
        f->v[f->n++] = v;
        if (i >= len)
            break;
        assert_int_equal(line[i], ';');
        i++;
    }
}

static void fields_free(struct fields *f)
{
    for (size_t i = 0; i < f->n; i++)
        free(f->v[i]);
}

/* The line of b that starts at *pos, without its CRLF; *pos moves past the CRLF. */
static size_t next_line(const struct buf *b, size_t *pos, const char **line)
{
    const char *start = b->data + *pos;
    const char *crlf = strstr(start, "\r\n");
    assert_non_null(crlf);
    *line = start;
    *pos += (size_t)(crlf - start) + 2;
    return (size_t)(crlf - start);
}

/* ---- amounts -------------------------------------------------------------------------- */

static void test_amount_formats(void **state)
{
    static const struct {
        int64_t minor;
        int decimals;
        const char *text;
    } rows[] = {
        {11900, 2, "119,00"},   {1, 2, "0,01"},          {10, 2, "0,10"},
        {123456, 2, "1234,56"}, {100000000, 2, "1000000,00"}, /* no thousands separator */
        {1500, 0, "1500,00"},   {7, 1, "0,70"},          {999999999999, 2, "9999999999,99"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char out[32];
        struct error err = {0};
        assert_int_equal(ledger_datev_amount(rows[i].minor, rows[i].decimals, out, &err), 0);
        assert_string_equal(out, rows[i].text);
    }
}

static void test_amount_round_trip(void **state)
{
    /* every amount comes back as the same minor units */
    int64_t samples[] = {1, 9, 10, 99, 100, 101, 4999, 9900, 11900, 123456, 1000000,
                         98765432101, 999999999999};
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
        char out[32];
        struct error err = {0};
        struct money back;
        assert_int_equal(ledger_datev_amount(samples[i], 2, out, &err), 0);
        char *comma = strchr(out, ',');
        assert_non_null(comma);
        assert_int_equal(strlen(comma + 1), 2);
        *comma = '.';
        assert_int_equal(money_parse_decimal(out, strlen(out), "EUR", &back, &err), 0);
        assert_int_equal(back.minor, samples[i]);
    }
}

static void test_amount_refused(void **state)
{
    char out[32];
    struct error err = {0};
    assert_int_equal(ledger_datev_amount(0, 2, out, &err), -1);
    assert_int_equal(err.code, ERR_VALIDATION);
    assert_int_equal(ledger_datev_amount(-100, 2, out, &err), -1); /* the side is S/H */
    assert_int_equal(ledger_datev_amount(1000000000000, 2, out, &err), -1); /* 11 digits */
    assert_int_equal(ledger_datev_amount(123, 3, out, &err), -1); /* KWD: three decimals */
}

/* ---- Belegfeld 1 and Buchungstext ----------------------------------------------------- */

static void test_document_characters_and_length(void **state)
{
    char out[LEDGER_DATEV_DOCUMENT_MAX + 1];
    ledger_datev_document("RE2025-0042", out);
    assert_string_equal(out, "RE2025-0042");
    ledger_datev_document("in_1Ab.2 c_3;4:5,6", out); /* '_', '.', ' ', ';', ':', ',' go */
    assert_string_equal(out, "in1Ab2c3456");
    ledger_datev_document("$&%*+-/", out);
    assert_string_equal(out, "$&%*+-/");
    ledger_datev_document("R\xc3\xa4-1", out); /* an umlaut is not allowed */
    assert_string_equal(out, "R-1");
    ledger_datev_document("0123456789012345678901234567890123456789", out);
    assert_string_equal(out, "012345678901234567890123456789012345");
    assert_int_equal(strlen(out), 36);
    ledger_datev_document(NULL, out);
    assert_string_equal(out, "");
}

static void check_text(const char *utf8, size_t max, const char *want, size_t want_len)
{
    struct buf b;
    buf_init(&b, 0);
    assert_int_equal(ledger_datev_text(&b, utf8, max), 0);
    assert_int_equal(b.len, want_len);
    assert_memory_equal(b.data, want, want_len);
    buf_free(&b);
}

static void test_text_quoting(void **state)
{
    check_text("", 60, "\"\"", 2);
    check_text("Figma Abo 03/2025", 60, "\"Figma Abo 03/2025\"", 19);
    check_text("say \"hi\"; bye", 60, "\"say \"\"hi\"\"; bye\"", 17);
    check_text("line\r\nbreak\ttab", 60, "\"line  break tab\"", 17);
    check_text("B\xc3\xa4" "ckerei Gr\xc3\xb6\xc3\x9f" "e", 60, "\"B\xe4" "ckerei Gr\xf6\xdf" "e\"", 16);
}

static void test_text_cut_at_60_characters(void **state)
{
    char long_text[200];
    memset(long_text, 'x', 70);
    long_text[70] = '\0';
    struct buf b;
    buf_init(&b, 0);
    assert_int_equal(ledger_datev_text(&b, long_text, LEDGER_DATEV_TEXT_MAX), 0);
    assert_int_equal(b.len, 62); /* 60 characters and the quotes */
    buf_free(&b);
    /* characters, not UTF-8 bytes: 70 umlauts (140 bytes) become 60 bytes */
    char umlauts[200] = "";
    for (int i = 0; i < 70; i++)
        strcat(umlauts, "\xc3\xbc");
    buf_init(&b, 0);
    assert_int_equal(ledger_datev_text(&b, umlauts, LEDGER_DATEV_TEXT_MAX), 0);
    assert_int_equal(b.len, 62);
    for (size_t i = 1; i < 61; i++)
        assert_int_equal((unsigned char)b.data[i], 0xfc);
    buf_free(&b);
    /* a '"' counts once, though written twice */
    char quotes[80];
    memset(quotes, '"', 65);
    quotes[65] = '\0';
    buf_init(&b, 0);
    assert_int_equal(ledger_datev_text(&b, quotes, LEDGER_DATEV_TEXT_MAX), 0);
    assert_int_equal(b.len, 2 + 2 * 60);
    buf_free(&b);
}

/* ---- a booking line ------------------------------------------------------------------- */

static void test_booking_line(void **state)
{
    const struct ledger_datev_booking bk = {
        .amount_minor = 11900,
        .decimals = 2,
        .debit = true,
        .currency = "EUR",
        .account = "4964",
        .contra_account = "1360",
        .bu_key = "9",
        .date = "2025-03-15",
        .document = "RE2025-0042",
        .text = "Figma Abo 03/2025",
    };
    struct buf b;
    struct error err = {0};
    struct fields f;
    const char *line;
    size_t pos = 0;
    buf_init(&b, 0);
    assert_int_equal(ledger_datev_line(&b, &bk, &err), 0);
    size_t len = next_line(&b, &pos, &line);
    assert_int_equal(pos, b.len); /* one line, ending in CRLF */
    split(line, len, &f);
    assert_int_equal(f.n, LEDGER_DATEV_COLUMNS);
    /* the reference's example row (§1.6) */
    const char *prefix = "119,00;\"S\";\"EUR\";;;\"\";4964;1360;\"9\";1503;\"RE2025-0042\";\"\";;"
                         "\"Figma Abo 03/2025\";;\"\";";
    assert_memory_equal(line, prefix, strlen(prefix));
    /* text columns quoted even when empty, the others bare */
    for (size_t i = 0; i < f.n; i++) {
        int column = (int)i + 1;
        assert_int_equal(f.quoted[i], ledger_datev_is_text_column(column));
        if (column > 16)
            assert_string_equal(f.v[i], "");
    }
    fields_free(&f);

    /* the other side: "H", no BU key */
    buf_reset(&b);
    struct ledger_datev_booking refund = bk;
    refund.debit = false;
    refund.bu_key = NULL;
    refund.date = "2025-12-01";
    assert_int_equal(ledger_datev_line(&b, &refund, &err), 0);
    split(b.data, b.len - 2, &f);
    assert_string_equal(f.v[1], "H");
    assert_true(f.quoted[8]);
    assert_string_equal(f.v[8], "");
    assert_string_equal(f.v[9], "0112"); /* DDMM with leading zeros */
    fields_free(&f);

    /* an OSS sale: BU 10, the member state in EU-Land u. UStID (a text column), its rate in
     * EU-Steuersatz (a number) */
    buf_reset(&b);
    struct ledger_datev_booking oss = refund;
    oss.bu_key = "10";
    oss.eu_id = "AT";
    oss.eu_rate = "20,00";
    assert_int_equal(ledger_datev_line(&b, &oss, &err), 0);
    split(b.data, b.len - 2, &f);
    assert_string_equal(f.v[8], "10");
    assert_true(f.quoted[39]);
    assert_string_equal(f.v[39], "AT");
    assert_false(f.quoted[40]);
    assert_string_equal(f.v[40], "20,00");
    fields_free(&f);
    buf_free(&b);
}

/* A booking in another currency (§1.4/§1.5): its own amount as Umsatz and WKZ Umsatz, the
 * rate as Kurs (six decimals, decimal comma), the EUR amount as Basis-Umsatz, "EUR" as WKZ
 * Basis-Umsatz; JPY (no decimals) still written with two. */
static void test_booking_line_foreign_currency(void **state)
{
    struct ledger_datev_booking bk = {
        .amount_minor = 10000,
        .decimals = 2,
        .debit = true,
        .currency = "USD",
        .account = "4964",
        .contra_account = "1360",
        .date = "2026-03-20",
        .document = "USD-1",
        .text = "ACME",
        .rate = 1080000,
        .base_minor = 9259,
    };
    struct buf b;
    struct error err = {0};
    struct fields f;
    buf_init(&b, 0);
    assert_int_equal(ledger_datev_line(&b, &bk, &err), 0);
    const char *prefix = "100,00;\"S\";\"USD\";1,080000;92,59;\"EUR\";4964;1360;\"\";2003;";
    assert_memory_equal(b.data, prefix, strlen(prefix));
    split(b.data, b.len - 2, &f);
    assert_int_equal(f.n, LEDGER_DATEV_COLUMNS);
    fields_free(&f);

    buf_reset(&b);
    bk.amount_minor = 1500;
    bk.decimals = 0;
    bk.currency = "JPY";
    bk.rate = 160000000;
    bk.base_minor = 938;
    assert_int_equal(ledger_datev_line(&b, &bk, &err), 0);
    prefix = "1500,00;\"S\";\"JPY\";160,000000;9,38;\"EUR\";";
    assert_memory_equal(b.data, prefix, strlen(prefix));

    /* without its rate, or with no EUR amount, a foreign booking is refused */
    buf_reset(&b);
    bk.rate = 0;
    assert_int_equal(ledger_datev_line(&b, &bk, &err), -1);
    bk.rate = 160000000;
    bk.base_minor = 0;
    assert_int_equal(ledger_datev_line(&b, &bk, &err), -1);
    buf_free(&b);
}

static void test_booking_line_cuts_and_converts(void **state)
{
    char text[200];
    snprintf(text, sizeof text, "%s", "M\xc3\xbcller & S\xc3\xb6hne; \"Gro\xc3\x9f\" "
                                      "0123456789012345678901234567890123456789012345");
    const struct ledger_datev_booking bk = {
        .amount_minor = 1,
        .decimals = 2,
        .debit = true,
        .currency = "EUR",
        .account = "4900",
        .contra_account = "1360",
        .date = "2026-01-31",
        .document = "in_1234567890abcdefghijklmnopqrstuvwxyz",
        .text = text,
    };
    struct buf b;
    struct error err = {0};
    struct fields f;
    buf_init(&b, 0);
    assert_int_equal(ledger_datev_line(&b, &bk, &err), 0);
    split(b.data, b.len - 2, &f);
    assert_int_equal(f.n, LEDGER_DATEV_COLUMNS);
    assert_string_equal(f.v[0], "0,01");
    assert_string_equal(f.v[10], "in1234567890abcdefghijklmnopqrstuvwx"); /* 36 */
    assert_int_equal(strlen(f.v[10]), 36);
    assert_int_equal(strlen(f.v[13]), 60);
    assert_memory_equal(f.v[13], "M\xfcller & S\xf6hne; \"Gro\xdf\" 0123", 27);
    assert_string_equal(f.v[9], "3101");
    fields_free(&f);
    buf_free(&b);
}

/* ---- header and titles ---------------------------------------------------------------- */

static void test_header_fields(void **state)
{
    const struct ledger_datev_header h = {
        .created_ms = INT64_C(1706620080439), /* 2024-01-30T13:08:00.439Z */
        .tz = tz_find("Europe/Berlin"),
        .consultant = "29098",
        .client = "55003",
        .fiscal_year_start = "2024-01-01",
        .account_length = 4,
        .from = "2024-01-01",
        .to = "2024-08-31",
        .description = "Buchungsstapel",
        .currency = "EUR",
        .chart_code = "03",
    };
    struct buf b;
    struct error err = {0};
    struct fields f;
    const char *line;
    size_t pos = 0;
    buf_init(&b, 0);
    assert_int_equal(ledger_datev_head(&b, &h, &err), 0);
    size_t len = next_line(&b, &pos, &line);
    /* DATEV's sample header with this export's time and Diktatkürzel left empty */
    const char *want = "\"EXTF\";700;21;\"Buchungsstapel\";13;20240130140800439;;\"RE\";\"\";\"\";"
                       "29098;55003;20240101;4;20240101;20240831;\"Buchungsstapel\";\"\";1;0;0;"
                       "\"EUR\";;\"\";;;\"03\";;;\"\";\"\"";
    assert_int_equal(len, strlen(want));
    assert_memory_equal(line, want, len);
    split(line, len, &f);
    assert_int_equal(f.n, 31);
    fields_free(&f);

    /* line 2: the 125 titles, unquoted, Windows-1252 */
    len = next_line(&b, &pos, &line);
    assert_int_equal(pos, b.len);
    split(line, len, &f);
    assert_int_equal(f.n, LEDGER_DATEV_COLUMNS);
    for (size_t i = 0; i < f.n; i++)
        assert_false(f.quoted[i]);
    assert_string_equal(f.v[0], "Umsatz (ohne Soll/Haben-Kz)");
    assert_string_equal(f.v[7], "Gegenkonto (ohne BU-Schl\xfcssel)");
    assert_string_equal(f.v[8], "BU-Schl\xfcssel");
    assert_string_equal(f.v[13], "Buchungstext");
    assert_string_equal(f.v[20], "Beleginfo - Art 1");
    assert_string_equal(f.v[35], "Beleginfo - Inhalt 8");
    assert_string_equal(f.v[47], "Zusatzinformation - Art 1");
    assert_string_equal(f.v[48], "Zusatzinformation- Inhalt 1");
    assert_string_equal(f.v[86], "Zusatzinformation- Inhalt 20");
    assert_string_equal(f.v[87], "St\xfc" "ck");
    assert_string_equal(f.v[113], "Festschreibung");
    assert_string_equal(f.v[117], "Generalumkehr (GU)");
    assert_string_equal(f.v[124], "Abw. Skontokonto");
    fields_free(&f);
    buf_free(&b);
}

static void test_header_description_cut_and_time_zone(void **state)
{
    const struct ledger_datev_header h = {
        .created_ms = INT64_C(1719792000000), /* 2024-07-01T00:00:00Z: 02:00 in Vienna */
        .tz = tz_find("Europe/Vienna"),
        .consultant = "1001",
        .client = "1",
        .fiscal_year_start = "2024-07-01",
        .account_length = 5,
        .from = "2024-07-01",
        .to = "2024-07-31",
        .description = "0123456789012345678901234567890123456789",
        .currency = "EUR",
        .chart_code = "04",
    };
    struct buf b;
    struct error err = {0};
    struct fields f;
    buf_init(&b, 0);
    assert_int_equal(ledger_datev_head(&b, &h, &err), 0);
    split(b.data, (size_t)(strstr(b.data, "\r\n") - b.data), &f);
    assert_string_equal(f.v[5], "20240701020000000");
    assert_string_equal(f.v[12], "20240701");
    assert_string_equal(f.v[13], "5");
    assert_string_equal(f.v[16], "012345678901234567890123456789"); /* <= 30 */
    assert_string_equal(f.v[26], "04");
    fields_free(&f);
    buf_free(&b);
}

static void test_titles_are_distinct_and_complete(void **state)
{
    const char *const *t = ledger_datev_titles();
    for (int i = 0; i < LEDGER_DATEV_COLUMNS; i++) {
        assert_non_null(t[i]);
        assert_null(strchr(t[i], ';'));
        for (int k = 0; k < i; k++)
            assert_string_not_equal(t[i], t[k]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_amount_formats),
        cmocka_unit_test(test_amount_round_trip),
        cmocka_unit_test(test_amount_refused),
        cmocka_unit_test(test_document_characters_and_length),
        cmocka_unit_test(test_text_quoting),
        cmocka_unit_test(test_text_cut_at_60_characters),
        cmocka_unit_test(test_booking_line),
        cmocka_unit_test(test_booking_line_cuts_and_converts),
        cmocka_unit_test(test_booking_line_foreign_currency),
        cmocka_unit_test(test_header_fields),
        cmocka_unit_test(test_header_description_cut_and_time_zone),
        cmocka_unit_test(test_titles_are_distinct_and_complete),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
