/* tests/unit/ledger/test_u30.c - the Austrian VAT return (src/ledger/u30.c): periods, the
 * Kennzahlen from sums of journal lines, the U30 XML; the VAT split of gross amounts
 * (post.c); and FinanzOnline's SOAP envelopes and answers (fon.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "ledger/ledger.h"
#include "store/accounting.h"

/* ---- periods -------------------------------------------------------------------------- */

static void test_periods(void **state)
{
    struct ledger_u30_period p;
    struct error err = {0};
    assert_int_equal(ledger_u30_period_parse("2026-03", &p, &err), 0);
    assert_string_equal(p.from, "2026-03-01");
    assert_string_equal(p.to, "2026-03-31");
    assert_string_equal(p.zr_from, "2026-03");
    assert_string_equal(p.zr_to, "2026-03");
    assert_int_equal(ledger_u30_period_parse("2026-Q1", &p, &err), 0);
    assert_string_equal(p.from, "2026-01-01");
    assert_string_equal(p.to, "2026-03-31");
    assert_string_equal(p.zr_from, "2026-01");
    assert_string_equal(p.zr_to, "2026-03");
    assert_int_equal(ledger_u30_period_parse("2024-02", &p, &err), 0);
    assert_string_equal(p.to, "2024-02-29"); /* a leap year */
    assert_int_equal(ledger_u30_period_parse("2025-Q4", &p, &err), 0);
    assert_string_equal(p.from, "2025-10-01");
    assert_string_equal(p.to, "2025-12-31");
    static const char *const bad[] = {"2026-13", "2026-00", "2026-Q5", "2026-Q0", "2026-3",
                                      "26-03", "2026/03", "", "2026-03-01", "1999-12"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(ledger_u30_period_parse(bad[i], &p, &err), -1);
        assert_int_equal(err.code, ERR_INVALID_FIELD);
    }
    assert_int_equal(ledger_u30_period_parse(NULL, &p, &err), -1);
}

/* ---- the VAT in a gross amount -------------------------------------------------------- */

static void test_vat_of_gross(void **state)
{
    assert_int_equal(ledger_vat_of_gross(12000, 2000), 2000); /* 120.00 at 20 % */
    assert_int_equal(ledger_vat_of_gross(11900, 1900), 1900);
    assert_int_equal(ledger_vat_of_gross(10700, 700), 700);
    assert_int_equal(ledger_vat_of_gross(11000, 1000), 1000);
    assert_int_equal(ledger_vat_of_gross(11300, 1300), 1300);
    assert_int_equal(ledger_vat_of_gross(9900, 2000), 1650); /* 16.50 exactly */
    assert_int_equal(ledger_vat_of_gross(1000, 1900), 160);  /* 159.66 rounds up */
    assert_int_equal(ledger_vat_of_gross(1, 2000), 0);
    assert_int_equal(ledger_vat_of_gross(3, 2000), 1);       /* 0.5 rounds away from zero */
    assert_int_equal(ledger_vat_of_gross(-3, 2000), -1);
    assert_int_equal(ledger_vat_of_gross(12000, 0), 0);
    assert_int_equal(ledger_vat_of_gross(INT64_MAX / 2, 2000), (INT64_MAX / 2 + 3) / 6);
}

static void test_charts(void **state)
{
    const struct ledger_chart *ekr = ledger_chart_default();
    assert_string_equal(ekr->slug, "ekr");
    assert_string_equal(ekr->clearing, "2880");
    assert_string_equal(ekr->bank, "2800");
    assert_string_equal(ekr->input_vat, "2500");
    const struct ledger_chart *skr03 = ledger_chart_find("skr03");
    assert_string_equal(skr03->clearing, "1360");
    assert_string_equal(skr03->input_vat, "1576");
    assert_string_equal(ledger_chart_find("skr04")->clearing, "1460");
    assert_null(ledger_chart_find("skr05"));
    const struct ledger_vat *v = ledger_vat_for_rate(skr03, LEDGER_VAT_INPUT, 1900);
    assert_string_equal(v->code, "VSt19");
    assert_string_equal(v->datev_bu, "9");
    assert_null(ledger_vat_for_rate(ekr, LEDGER_VAT_INPUT, 1900));
    assert_string_equal(ledger_vat_for_rate(ekr, LEDGER_VAT_OUTPUT, 1000)->u30_kz, "029");
    assert_true(ledger_chart_is_automatic(skr03, "8400"));
    assert_false(ledger_chart_is_automatic(skr03, "4900"));
    assert_false(ledger_chart_is_automatic(ekr, "4000"));
    /* every code of every chart has a tax account and exactly one of BU key / KZ */
    size_t n = 0;
    const struct ledger_chart *all = ledger_charts(&n);
    for (size_t c = 0; c < n; c++)
        for (size_t i = 0; i < all[c].n_vat; i++) {
            assert_non_null(all[c].vat[i].account);
            assert_true(!all[c].vat[i].datev_bu != !all[c].vat[i].u30_kz);
            assert_string_equal(ledger_vat_chart(ledger_vat_find(all[c].vat[i].code))->country,
                             all[c].country);
        }
}

/* ---- the figures ---------------------------------------------------------------------- */

/* A month of bookings as the store sums them: sales at 20 % (1,000.00 net, 200.00 tax),
 * sales at 10 % (300.00 net), one refund at 20 % (100.00 net), purchases with 20 % and
 * 10 % Vorsteuer (40.00 + 5.00), a purchase's refund (10.00 Vorsteuer back). */
/* One journal line: a VAT code (or ""), base or tax, a treatment (or "" for a line from
 * before treatments), its rate, currency and sides. */
static int add(struct ledger_u30 *f, const char *invoice, const char *code, bool tax,
               const char *treatment, int rate_bp, const char *currency, int64_t debit,
               int64_t credit, struct error *err)
{
    const struct tax_line_row r = {.invoice_id = invoice, .vat_code = code, .vat_tax = tax,
                                   .treatment = treatment, .country = "", .rate_bp = rate_bp,
                                   .currency = currency, .debit_minor = debit,
                                   .credit_minor = credit, .note = "", .vat_id = ""};
    return ledger_u30_add_line(f, &r, err);
}

static void sample_month(struct ledger_u30 *f)
{
    struct error err = {0};
    memset(f, 0, sizeof *f);
    assert_int_equal(ledger_u30_period_parse("2026-03", &f->period, &err), 0);
    assert_int_equal(add(f, "i1", "USt20", false, "", -1, "EUR", 10000, 100000, &err), 0);
    assert_int_equal(add(f, "i1", "USt20", true, "", -1, "EUR", 2000, 20000, &err), 0);
    assert_int_equal(add(f, "i2", "USt10", false, "domestic", 1000, "EUR", 0, 30000, &err), 0);
    assert_int_equal(add(f, "i2", "USt10", true, "domestic", 1000, "EUR", 0, 3000, &err), 0);
    assert_int_equal(add(f, "i3", "VSt20", false, "", -1, "EUR", 20000, 5000, &err), 0);
    assert_int_equal(add(f, "i3", "VSt20", true, "", -1, "EUR", 4000, 1000, &err), 0);
    assert_int_equal(add(f, "i4", "VSt10", true, "domestic", 1000, "EUR", 500, 0, &err), 0);
}

static void test_figures(void **state)
{
    struct ledger_u30 f;
    sample_month(&f);
    assert_int_equal(f.kz022, 90000);  /* 1,000.00 - 100.00 refunded */
    assert_int_equal(f.kz029, 30000);
    assert_int_equal(f.kz006, 0);
    assert_int_equal(f.kz000, 120000); /* every base */
    assert_int_equal(f.kz060, 3500);   /* 40.00 + 5.00 - 10.00 */
    assert_int_equal(ledger_u30_tax(f.kz022, 2000), 18000);
    assert_int_equal(ledger_u30_tax(f.kz029, 1000), 3000);
    assert_int_equal(ledger_u30_payable(&f), 18000 + 3000 - 3500);
    struct error err = {0};
    assert_int_equal(ledger_u30_check(&f, &err), 0);

    json_t *j = ledger_u30_json(&f);
    assert_string_equal(json_string_value(json_object_get(j, "KZ000")), "1200.00");
    assert_string_equal(json_string_value(json_object_get(j, "KZ022")), "900.00");
    assert_string_equal(json_string_value(json_object_get(j, "KZ029")), "300.00");
    assert_string_equal(json_string_value(json_object_get(j, "KZ006")), "0.00");
    assert_string_equal(json_string_value(json_object_get(j, "KZ060")), "35.00");
    assert_string_equal(json_string_value(json_object_get(j, "KZ095")), "175.00");
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "tax"), "KZ022")),
                        "180.00");
    assert_string_equal(json_string_value(json_object_get(j, "period")), "2026-03");
    json_decref(j);
}

/* Treatments: exports, intra-EU goods and a Kleinunternehmer's sales are exempt bases in
 * KZ000; a service received under reverse charge owes and deducts 20 % (KZ057, KZ066); OSS
 * sales and services abroad stay outside. */
static void test_treatments(void **state)
{
    (void)state;
    struct ledger_u30 f = {0};
    struct error err = {0};
    assert_int_equal(add(&f, "e", "", false, "export", 0, "EUR", 0, 50000, &err), 0);
    assert_int_equal(add(&f, "g", "", false, "intra_eu_goods", 0, "EUR", 0, 20000, &err), 0);
    assert_int_equal(add(&f, "k", "", false, "small_business", 0, "EUR", 0, 3000, &err), 0);
    assert_int_equal(add(&f, "r", "", false, "reverse_charge_received", 2000, "EUR", 1500, 0,
                         &err), 0);
    assert_int_equal(add(&f, "o", "", false, "oss", 1900, "EUR", 0, 10000, &err), 0);
    assert_int_equal(add(&f, "o", "", true, "oss", 1900, "EUR", 0, 1900, &err), 0);
    assert_int_equal(add(&f, "s", "", false, "intra_eu_services", 0, "EUR", 0, 7000, &err), 0);
    assert_int_equal(f.kz011, 50000);
    assert_int_equal(f.kz017, 20000);
    assert_int_equal(f.kz016, 3000);
    assert_int_equal(f.kz000, 73000);
    assert_int_equal(ledger_u30_kz057(&f), 300);
    assert_int_equal(ledger_u30_kz066(&f), 300);
    assert_int_equal(ledger_u30_payable(&f), 0);
    assert_int_equal(f.oss, 10000);
    assert_int_equal(f.intra_eu_services, 7000);
    assert_int_equal(f.unclassified.total, 0);
    f.small_business = true;
    assert_int_equal(ledger_u30_kz066(&f), 0);
    assert_int_equal(ledger_u30_payable(&f), 300);
}

static void test_figures_refused(void **state)
{
    struct ledger_u30 f = {0};
    struct error err = {0};
    /* named, never a failure: another country's code, another currency, an unknown code,
     * an unclassified booking (each invoice once) */
    assert_int_equal(add(&f, "a", "VSt19", true, "", -1, "EUR", 100, 0, &err), 0);
    assert_int_equal(add(&f, "b", "USt20", false, "", -1, "USD", 0, 100, &err), 0);
    assert_int_equal(add(&f, "c", "XX", false, "", -1, "EUR", 0, 100, &err), 0);
    assert_int_equal(add(&f, "d", "", false, "unclassified", -1, "EUR", 0, 100, &err), 0);
    assert_int_equal(add(&f, "d", "", false, "unclassified", -1, "EUR", 100, 0, &err), 0);
    assert_int_equal(f.unclassified.total, 4);
    assert_non_null(strstr(f.unclassified.items[0].reason, "Austrian VAT only"));
    assert_non_null(strstr(f.unclassified.items[1].reason, "USD"));
    assert_string_equal(f.unclassified.items[3].invoice_id, "d");
    assert_int_equal(f.kz000, 0);
    assert_int_equal(ledger_u30_check(&f, &err), -1);
    assert_non_null(strstr(err.message, "cannot be classified"));
    memset(&f.unclassified, 0, sizeof f.unclassified);
    /* more refunded than sold: the U30 takes no negative base */
    assert_int_equal(add(&f, "e", "USt13", false, "", -1, "EUR", 500, 0, &err), 0);
    assert_int_equal(f.kz006, -500);
    assert_int_equal(ledger_u30_check(&f, &err), -1);
    assert_non_null(strstr(err.message, "KZ000"));
}

static void test_tax_number(void **state)
{
    char out[10];
    struct error err = {0};
    assert_int_equal(ledger_u30_tax_number("12-345/6789", out, &err), 0);
    assert_string_equal(out, "123456789");
    assert_int_equal(ledger_u30_tax_number("123456789", out, &err), 0);
    assert_int_equal(ledger_u30_tax_number("12 345 6789", out, &err), 0);
    assert_int_equal(ledger_u30_tax_number("12-345/678", out, &err), -1);
    assert_int_equal(ledger_u30_tax_number("1234567890", out, &err), -1);
    assert_int_equal(ledger_u30_tax_number("12-345/678x", out, &err), -1);
}

/* ---- the XML -------------------------------------------------------------------------- */

static const char expected_xml[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<ERKLAERUNGS_UEBERMITTLUNG>\n"
    "  <INFO_DATEN>\n"
    "    <ART_IDENTIFIKATIONSBEGRIFF>FASTNR</ART_IDENTIFIKATIONSBEGRIFF>\n"
    "    <IDENTIFIKATIONSBEGRIFF>123456789</IDENTIFIKATIONSBEGRIFF>\n"
    "    <PAKET_NR>7</PAKET_NR>\n"
    "    <DATUM_ERSTELLUNG type=\"datum\">2026-04-15</DATUM_ERSTELLUNG>\n"
    "    <UHRZEIT_ERSTELLUNG type=\"uhrzeit\">10:30:05</UHRZEIT_ERSTELLUNG>\n"
    "    <ANZAHL_ERKLAERUNGEN>1</ANZAHL_ERKLAERUNGEN>\n"
    "  </INFO_DATEN>\n"
    "  <ERKLAERUNG art=\"U30\">\n"
    "    <SATZNR>1</SATZNR>\n"
    "    <ALLGEMEINE_DATEN>\n"
    "      <ANBRINGEN>U30</ANBRINGEN>\n"
    "      <ZRVON type=\"jahrmonat\">2026-03</ZRVON>\n"
    "      <ZRBIS type=\"jahrmonat\">2026-03</ZRBIS>\n"
    "      <FASTNR>123456789</FASTNR>\n"
    "    </ALLGEMEINE_DATEN>\n"
    "    <LIEFERUNGEN_LEISTUNGEN_EIGENVERBRAUCH>\n"
    "      <KZ000 type=\"kz\">1200.00</KZ000>\n"
    "      <VERSTEUERT>\n"
    "        <KZ022 type=\"kz\">900.00</KZ022>\n"
    "        <KZ029 type=\"kz\">300.00</KZ029>\n"
    "      </VERSTEUERT>\n"
    "    </LIEFERUNGEN_LEISTUNGEN_EIGENVERBRAUCH>\n"
    "    <VORSTEUER>\n"
    "      <KZ060 type=\"kz\">35.00</KZ060>\n"
    "    </VORSTEUER>\n"
    "  </ERKLAERUNG>\n"
    "</ERKLAERUNGS_UEBERMITTLUNG>\n";

static void test_xml(void **state)
{
    struct ledger_u30 f;
    sample_month(&f);
    const struct ledger_u30_info info = {
        .tax_number = "123456789",
        .package_no = 7,
        .created = {.year = 2026, .month = 4, .day = 15, .hour = 10, .minute = 30, .second = 5},
    };
    struct buf b;
    struct error err = {0};
    buf_init(&b, 0);
    assert_int_equal(ledger_u30_xml(&b, &f, &info, &err), 0);
    assert_string_equal(b.data, expected_xml);
    buf_free(&b);
}

static void test_xml_leaves_out_empty_sections(void **state)
{
    struct ledger_u30 f = {0};
    struct error err = {0};
    assert_int_equal(ledger_u30_period_parse("2026-Q2", &f.period, &err), 0);
    const struct ledger_u30_info info = {.tax_number = "987654321", .package_no = 1};
    struct buf b;
    buf_init(&b, 0);
    assert_int_equal(ledger_u30_xml(&b, &f, &info, &err), 0);
    assert_non_null(strstr(b.data, "<KZ000 type=\"kz\">0.00</KZ000>")); /* always there */
    assert_null(strstr(b.data, "VERSTEUERT"));
    assert_null(strstr(b.data, "VORSTEUER"));
    assert_non_null(strstr(b.data, "<ZRVON type=\"jahrmonat\">2026-04</ZRVON>"));
    assert_non_null(strstr(b.data, "<ZRBIS type=\"jahrmonat\">2026-06</ZRBIS>"));
    buf_free(&b);
}

/* ---- FinanzOnline envelopes and answers ----------------------------------------------- */

static void test_envelopes(void **state)
{
    struct ledger_fon_account a = {.participant_id = "61779540b308", .user_id = "FNWS2017",
                                   .pin = "p<&>\"'in"};
    struct buf b;
    buf_init(&b, 0);
    assert_int_equal(ledger_fon_login_envelope(&b, &a, "ATU31537101"), 0);
    assert_non_null(strstr(b.data, "xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\""));
    assert_non_null(strstr(b.data, "xmlns:ses=\"https://finanzonline.bmf.gv.at/fon/ws/session\""));
    assert_non_null(strstr(b.data, "<ses:loginRequest>"));
    assert_non_null(strstr(b.data, "<ses:tid>61779540b308</ses:tid>"));
    assert_non_null(strstr(b.data, "<ses:benid>FNWS2017</ses:benid>"));
    assert_non_null(strstr(b.data, "<ses:pin>p&lt;&amp;&gt;&quot;&apos;in</ses:pin>"));
    assert_non_null(strstr(b.data, "<ses:herstellerid>ATU31537101</ses:herstellerid>"));

    buf_reset(&b);
    assert_int_equal(ledger_fon_upload_envelope(&b, &a, "SID-1", true, "<X>]]></X>"), 0);
    assert_non_null(strstr(b.data, "xmlns:fil=\"https://finanzonline.bmf.gv.at/fon/ws/fileupload\""));
    assert_non_null(strstr(b.data, "<fil:fileuploadRequest>"));
    assert_non_null(strstr(b.data, "<fil:id>SID-1</fil:id>"));
    assert_non_null(strstr(b.data, "<fil:art>U30</fil:art>"));
    assert_non_null(strstr(b.data, "<fil:uebermittlung>T</fil:uebermittlung>"));
    /* "]]>" inside the document is split across two CDATA sections */
    assert_non_null(strstr(b.data, "<fil:data><![CDATA[<X>]]]]><![CDATA[></X>]]></fil:data>"));
    assert_null(strstr(b.data, "p<&>")); /* no PIN in an upload */
    buf_reset(&b);
    assert_int_equal(ledger_fon_upload_envelope(&b, &a, "SID-1", false, "<X/>"), 0);
    assert_non_null(strstr(b.data, "<fil:uebermittlung>P</fil:uebermittlung>"));

    buf_reset(&b);
    assert_int_equal(ledger_fon_logout_envelope(&b, &a, "SID-1"), 0);
    assert_non_null(strstr(b.data, "<ses:logoutRequest>"));
    assert_non_null(strstr(b.data, "<ses:id>SID-1</ses:id>"));
    assert_null(strstr(b.data, "pin"));
    buf_free(&b);
}

static void parse(const char *body, struct ledger_fon_answer *out)
{
    memset(out, 0, sizeof *out);
    ledger_fon_parse(body, strlen(body), out);
}

static void test_answers(void **state)
{
    struct ledger_fon_answer a;
    parse("<?xml version=\"1.0\"?><S:Envelope xmlns:S=\"http://schemas.xmlsoap.org/soap/envelope/\">"
          "<S:Body><loginResponse xmlns=\"https://finanzonline.bmf.gv.at/fon/ws/session\">"
          "<id>AB12CD34</id><rc>0</rc></loginResponse></S:Body></S:Envelope>",
          &a);
    assert_true(a.answered);
    assert_int_equal(a.rc, 0);
    assert_string_equal(a.session_id, "AB12CD34");
    assert_string_equal(a.message, "");

    parse("<env:Envelope xmlns:env=\"x\"><env:Body><ns2:loginResponse xmlns:ns2=\"y\">"
          "<ns2:rc>-4</ns2:rc><ns2:msg>Die Anmeldedaten sind ung&#252;ltig &amp; falsch</ns2:msg>"
          "</ns2:loginResponse></env:Body></env:Envelope>",
          &a);
    assert_true(a.answered);
    assert_int_equal(a.rc, -4);
    assert_string_equal(a.message, "Die Anmeldedaten sind ung\xc3\xbcltig & falsch");
    assert_string_equal(a.session_id, "");

    /* <rcx> is not <rc>; <rc/> has no number */
    parse("<r><rcx>5</rcx><rc/></r>", &a);
    assert_false(a.answered);

    parse("<soap:Envelope><soap:Body><soap:Fault><faultcode>soap:Server</faultcode>"
          "<faultstring>Unmarshalling Error</faultstring></soap:Fault></soap:Body>"
          "</soap:Envelope>",
          &a);
    assert_false(a.answered);
    assert_string_equal(a.message, "Unmarshalling Error");

    parse("not xml at all", &a);
    assert_false(a.answered);
    ledger_fon_parse(NULL, 0, &a);
    assert_false(a.answered);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_periods),
        cmocka_unit_test(test_vat_of_gross),
        cmocka_unit_test(test_charts),
        cmocka_unit_test(test_figures),
        cmocka_unit_test(test_treatments),
        cmocka_unit_test(test_figures_refused),
        cmocka_unit_test(test_tax_number),
        cmocka_unit_test(test_xml),
        cmocka_unit_test(test_xml_leaves_out_empty_sections),
        cmocka_unit_test(test_envelopes),
        cmocka_unit_test(test_answers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
