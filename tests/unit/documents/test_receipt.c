/* tests/unit/documents/test_receipt.c - reading figures from text and sniffing types
 * (src/documents/receipt.c, draft.c, sniff.c): German and English amount notations, the
 * total's line over the largest amount, the named date over the first one, VAT ids, rates,
 * and files typed by their bytes, never their names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "documents/documents_int.h"

static json_t *propose(const char *text)
{
    json_t *d = draft_new(READER_PDF_TEXT, 90);
    receipt_propose(d, text);
    return d;
}

static const char *at(const json_t *d, const char *obj, const char *key)
{
    const json_t *o = obj ? json_object_get(d, obj) : d;
    return json_string_value(json_object_get(o, key));
}

static void test_german_receipt(void **state)
{
    (void)state;
    json_t *d = propose("Bäckerei Sonnenschein GmbH\nUSt-IdNr. DE 123456789\n"
                        "Datum: 14.03.2026 09:41\nBeleg-Nr. 4711\n2x Brötchen 1,20\n"
                        "Summe EUR 6,70\nMwSt 7% Netto 6,26 0,44\nGegeben bar 10,00\n");
    assert_string_equal(at(d, "supplier", "name"), "Bäckerei Sonnenschein GmbH");
    assert_string_equal(at(d, "supplier", "vatId"), "DE123456789");
    assert_string_equal(at(d, NULL, "invoiceNumber"), "4711");
    assert_string_equal(at(d, NULL, "invoiceDate"), "2026-03-14");
    /* the total's line wins over the larger amount given */
    assert_string_equal(at(d, "totals", "gross"), "6.70");
    assert_string_equal(at(d, "totals", "tax"), "0.44");
    json_decref(d);
}

static void test_thousands_in_both_notations(void **state)
{
    (void)state;
    json_t *d = propose("ACME Ltd\nInvoice No INV-7\nDate 2026-01-31\nTotal 1,234.56\n");
    assert_string_equal(at(d, "totals", "gross"), "1234.56");
    assert_string_equal(at(d, NULL, "invoiceDate"), "2026-01-31");
    json_decref(d);
    d = propose("Werkstatt Huber\nRechnungsbetrag 12.345,67 EUR\n");
    assert_string_equal(at(d, "totals", "gross"), "12345.67");
    json_decref(d);
    /* a date is no amount, a misgrouped number is none either */
    d = propose("Laden\n31.12.2025\n1.23,45\n");
    assert_null(at(d, "totals", "gross"));
    assert_string_equal(at(d, NULL, "invoiceDate"), "2025-12-31");
    json_decref(d);
}

static void test_no_total_without_an_amount(void **state)
{
    (void)state;
    json_t *d = propose("Kiosk am Markt\nDanke für Ihren Einkauf\n31.02.2026\n");
    assert_null(at(d, "totals", "gross"));
    assert_null(at(d, NULL, "invoiceDate")); /* the 31st of February is no day */
    assert_true(json_array_size(json_object_get(d, "problems")) == 2);
    json_decref(d);
}

static void test_rates_and_dates(void **state)
{
    (void)state;
    char r[16], day[11];
    assert_true(draft_rate("19", r) && strcmp(r, "19") == 0);
    assert_true(draft_rate("19.00", r) && strcmp(r, "19") == 0);
    assert_true(draft_rate("5.5", r) && strcmp(r, "5.5") == 0);
    assert_true(draft_rate("7.25", r) && strcmp(r, "7.25") == 0);
    assert_false(draft_rate("101", r));
    assert_false(draft_rate("19.001", r));
    assert_false(draft_rate("-7", r));
    assert_true(draft_date("20260302", day) && strcmp(day, "2026-03-02") == 0);
    assert_true(draft_date("2028-02-29", day));
    assert_false(draft_date("2026-02-29", day));
    assert_false(draft_date("2026-3-2", day));
}

static void test_types_by_content(void **state)
{
    (void)state;
    const unsigned char png[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0};
    const unsigned char jpeg[] = {0xFF, 0xD8, 0xFF, 0xE0, 0};
    assert_int_equal(document_sniff(png, sizeof png), DOCUMENT_PNG);
    assert_int_equal(document_sniff(jpeg, sizeof jpeg), DOCUMENT_JPEG);
    assert_int_equal(document_sniff((const unsigned char *)"%PDF-1.7\n", 9), DOCUMENT_PDF);
    assert_int_equal(document_sniff((const unsigned char *)"\xEF\xBB\xBF <?xml?><a/>", 15),
                     DOCUMENT_XML);
    assert_int_equal(document_sniff((const unsigned char *)"<Invoice/>", 10), DOCUMENT_XML);
    assert_int_equal(document_sniff((const unsigned char *)"invoice.pdf", 11), DOCUMENT_UNKNOWN);
    assert_int_equal(document_sniff((const unsigned char *)"< not xml", 9), DOCUMENT_UNKNOWN);
    assert_int_equal(document_sniff((const unsigned char *)"PK\x03\x04", 4), DOCUMENT_UNKNOWN);
    assert_int_equal(document_sniff(NULL, 0), DOCUMENT_UNKNOWN);
    assert_null(document_media_type(DOCUMENT_UNKNOWN));
    assert_string_equal(document_media_type(DOCUMENT_XML), "application/xml");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_german_receipt),
        cmocka_unit_test(test_thousands_in_both_notations),
        cmocka_unit_test(test_no_total_without_an_amount),
        cmocka_unit_test(test_rates_and_dates),
        cmocka_unit_test(test_types_by_content),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
