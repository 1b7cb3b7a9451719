/* tests/unit/ledger/test_tax.c - the tax treatment decision (src/ledger/tax.c), one table
 * row per case: the facts a payload and the tenant's settings give, and the treatment,
 * country and rate expected. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "ledger/ledger.h"

#define REV LEDGER_REVENUE
#define EXP LEDGER_EXPENSE
#define NONE LEDGER_TAX_RATE_NONE

struct tax_case {
    const char *name;
    struct ledger_tax_facts facts;
    enum ledger_tax_treatment treatment;
    const char *country;
    int rate_bp;
};

/* f(tenant, small, oss, goods, dir, country, vat id valid, hint, has_tax, tax, gross, rate) */
#define F(tc, sb, o, g, dir, c, vid, h, ht, tax, gross, r)                                       \
    {.tenant_country = tc, .small_business = sb, .oss = o, .goods = g, .direction = dir,        \
     .country = c, .vat_id_valid = vid, .hint = h, .has_tax = ht, .tax_minor = tax,             \
     .gross_minor = gross, .vat_rate_bp = r}
#define H0 LEDGER_TAX_HINT_NONE
#define HRC LEDGER_TAX_HINT_REVERSE_CHARGE
#define HEX LEDGER_TAX_HINT_EXEMPT

static const struct tax_case cases[] = {
    /* domestic at each rate, from the provider's tax or the connector's rate */
    {"AT 20 % from the tax", F("AT", 0, 0, 0, REV, "AT", 0, H0, 1, 2000, 12000, 0),
     LEDGER_TAX_DOMESTIC, "AT", 2000},
    {"AT 13 %", F("AT", 0, 0, 0, REV, "AT", 0, H0, 1, 1300, 11300, 0), LEDGER_TAX_DOMESTIC, "AT",
     1300},
    {"AT 10 %", F("AT", 0, 0, 0, REV, "", 0, H0, 1, 1000, 11000, 0), LEDGER_TAX_DOMESTIC, "AT",
     1000},
    {"AT 0 %", F("AT", 0, 0, 0, REV, "AT", 0, H0, 1, 0, 5000, 0), LEDGER_TAX_DOMESTIC, "AT", 0},
    {"DE 19 %", F("DE", 0, 0, 0, REV, "DE", 0, H0, 1, 1900, 11900, 0), LEDGER_TAX_DOMESTIC,
     "DE", 1900},
    {"DE 7 % from vatRate", F("DE", 0, 0, 0, REV, "", 0, H0, 0, 0, 10700, 700),
     LEDGER_TAX_DOMESTIC, "DE", 700},
    {"DE 0 % is no German rate", F("DE", 0, 0, 0, REV, "DE", 0, H0, 1, 0, 5000, 0),
     LEDGER_TAX_UNCLASSIFIED, "DE", NONE},
    {"AT sale with 19 % is no Austrian rate", F("AT", 0, 0, 0, REV, "AT", 0, H0, 1, 1900, 11900, 0),
     LEDGER_TAX_UNCLASSIFIED, "AT", NONE},
    {"sale without any VAT figure", F("AT", 0, 0, 0, REV, "", 0, H0, 0, 0, 5000, 0),
     LEDGER_TAX_UNCLASSIFIED, "AT", NONE},
    /* intra-EU to businesses */
    {"services to a DE business", F("AT", 0, 0, 0, REV, "DE", 1, H0, 1, 0, 10000, 0),
     LEDGER_TAX_INTRA_EU_SERVICES, "DE", 0},
    {"goods to a FR business", F("AT", 0, 1, 1, REV, "FR", 1, H0, 0, 0, 10000, 0),
     LEDGER_TAX_INTRA_EU_GOODS, "FR", 0},
    {"reverse charge without a VAT id", F("AT", 0, 1, 0, REV, "DE", 0, HRC, 1, 0, 10000, 0),
     LEDGER_TAX_UNCLASSIFIED, "DE", NONE},
    /* consumers in other member states */
    {"OSS to a German consumer", F("AT", 0, 1, 0, REV, "DE", 0, H0, 1, 1900, 11900, 0),
     LEDGER_TAX_OSS, "DE", 1900},
    {"OSS to an Italian consumer at 10 %", F("AT", 0, 1, 0, REV, "IT", 0, H0, 1, 1000, 11000, 0),
     LEDGER_TAX_OSS, "IT", 1000},
    {"OSS with Austria's rate in Germany", F("AT", 0, 1, 0, REV, "DE", 0, H0, 1, 2000, 12000, 0),
     LEDGER_TAX_UNCLASSIFIED, "DE", NONE},
    {"OSS without the tax", F("AT", 0, 1, 0, REV, "DE", 0, H0, 0, 0, 11900, 0),
     LEDGER_TAX_UNCLASSIFIED, "DE", NONE},
    {"no OSS: the home rate", F("AT", 0, 0, 0, REV, "DE", 0, H0, 1, 2000, 12000, 0),
     LEDGER_TAX_DOMESTIC, "AT", 2000},
    /* outside the EU */
    {"export of goods to Switzerland", F("AT", 0, 0, 1, REV, "CH", 0, H0, 1, 0, 10000, 0),
     LEDGER_TAX_EXPORT, "CH", 0},
    {"services to the US", F("DE", 0, 0, 0, REV, "US", 0, H0, 0, 0, 10000, 0),
     LEDGER_TAX_NON_EU_SERVICES, "US", 0},
    {"VAT charged outside the EU", F("AT", 0, 0, 1, REV, "CH", 0, H0, 1, 2000, 12000, 0),
     LEDGER_TAX_UNCLASSIFIED, "CH", NONE},
    /* small business */
    {"Kleinunternehmer", F("AT", 1, 0, 0, REV, "DE", 1, H0, 0, 0, 5000, 2000),
     LEDGER_TAX_SMALL_BUSINESS, "AT", 0},
    {"Kleinunternehmer charging VAT", F("AT", 1, 0, 0, REV, "AT", 0, H0, 1, 1000, 6000, 0),
     LEDGER_TAX_UNCLASSIFIED, "AT", NONE},
    {"exempt customer", F("AT", 0, 0, 0, REV, "AT", 0, HEX, 1, 0, 6000, 0),
     LEDGER_TAX_UNCLASSIFIED, "AT", NONE},
    /* expenses */
    {"domestic input VAT", F("AT", 0, 0, 0, EXP, "", 0, H0, 1, 1000, 6000, 0),
     LEDGER_TAX_DOMESTIC, "AT", 2000},
    {"expense without VAT", F("AT", 0, 0, 0, EXP, "", 0, H0, 0, 0, 6000, 0),
     LEDGER_TAX_DOMESTIC, "AT", NONE},
    {"Stripe fee from Ireland", F("AT", 0, 0, 0, EXP, "IE", 0, H0, 1, 0, 1500, 0),
     LEDGER_TAX_REVERSE_CHARGE_RECEIVED, "IE", 2000},
    {"PayPal fee from Luxembourg, DE tenant", F("DE", 0, 0, 0, EXP, "LU", 0, H0, 0, 0, 370, 0),
     LEDGER_TAX_REVERSE_CHARGE_RECEIVED, "LU", 1900},
    {"service from the US", F("DE", 0, 0, 0, EXP, "US", 0, H0, 0, 0, 999, 0),
     LEDGER_TAX_REVERSE_CHARGE_RECEIVED, "US", 1900},
    {"foreign VAT charged", F("AT", 0, 0, 0, EXP, "IE", 0, H0, 1, 230, 1230, 0),
     LEDGER_TAX_UNCLASSIFIED, "IE", NONE},
    {"a goods seller's fee from the NL", F("AT", 0, 0, 1, EXP, "NL", 0, H0, 0, 0, 1230, 0),
     LEDGER_TAX_REVERSE_CHARGE_RECEIVED, "NL", 2000},
    {"a country that is no code", F("AT", 0, 0, 0, REV, "Austria", 0, H0, 0, 0, 100, 0),
     LEDGER_TAX_UNCLASSIFIED, "", NONE},
};

static void test_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct tax_case *c = &cases[i];
        struct ledger_tax_decision d;
        struct error err = {0};
        print_message("case: %s\n", c->name);
        assert_int_equal(ledger_tax_decide(&c->facts, &d, &err), 0);
        assert_string_equal(ledger_tax_code(d.treatment), ledger_tax_code(c->treatment));
        assert_string_equal(d.country, c->country);
        assert_int_equal(d.rate_bp, c->rate_bp);
        assert_true((d.treatment == LEDGER_TAX_UNCLASSIFIED) == (d.note[0] != '\0'));
    }
}

static void test_tenant_country(void **state)
{
    (void)state;
    struct ledger_tax_facts f = F("FR", 0, 0, 0, REV, "", 0, H0, 0, 0, 100, 0);
    struct ledger_tax_decision d;
    struct error err = {0};
    assert_int_equal(ledger_tax_decide(&f, &d, &err), -1);
    assert_int_equal(err.code, ERR_VALIDATION);
}

static void test_codes_round_trip(void **state)
{
    (void)state;
    for (int t = LEDGER_TAX_DOMESTIC; t <= LEDGER_TAX_UNCLASSIFIED; t++) {
        enum ledger_tax_treatment back;
        assert_int_equal(ledger_tax_parse(ledger_tax_code((enum ledger_tax_treatment)t), &back), 0);
        assert_int_equal(back, t);
    }
    enum ledger_tax_treatment x;
    assert_int_equal(ledger_tax_parse("zero", &x), -1);
    assert_true(ledger_tax_vat_id_of("EL123456789", "GR"));
    assert_false(ledger_tax_vat_id_of("DE123456789", "AT"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_tenant_country),
        cmocka_unit_test(test_codes_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
