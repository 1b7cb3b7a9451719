/* tests/unit/outbound/test_text.c - what people read of an event (src/outbound/text.c): the
 * one-line summary and the title of each event type, a payment.verified whose payment
 * failed or was refunded, "[Test]" on every "Send test" sample, the facts and the whole
 * plain text, and cuts that never split a UTF-8 character.
 *
 * The destinations' golden files (tests/fixtures/destinations/) show these texts inside
 * each service's request; here each text is pinned once, by itself, written out by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "core/buf.h"
#include "core/utf8.h"
#include "events/events.h"
#include "outbound/destination.h"

/* An event of type with data (JSON text), created 2026-03-22 14:30 UTC. */
struct sample {
    struct dest_event ev;
    json_t *data;
};

static void sample_init(struct sample *s, const char *type, const char *data)
{
    json_error_t jerr;
    s->data = json_loads(data, 0, &jerr);
    if (!s->data)
        fail_msg("sample data of %s: %s", type, jerr.text);
    s->ev = (struct dest_event){.id = "evt_0123456789abcdef0123456789abcdef",
                                .type = type,
                                .created_at = "2026-03-22T14:30:05Z",
                                .project_id = "ten_1",
                                .data = s->data};
    events_read(s->data, &s->ev.fields); /* as the engine does, once per event */
}

static void sample_free(struct sample *s)
{
    json_decref(s->data);
}

static void assert_summary(const char *type, const char *data, const char *summary,
                           const char *title)
{
    struct sample s;
    struct buf out;
    sample_init(&s, type, data);
    buf_init(&out, 0);
    assert_int_equal(dest_event_summary(&s.ev, &out), 0);
    assert_string_equal(out.data, summary);
    assert_string_equal(dest_event_title(&s.ev), title);
    buf_free(&out);
    sample_free(&s);
}

#define SETTLED_EXPENSE                                                                     \
    "{\"provider\":\"stripe\",\"externalId\":\"in_1\",\"amount\":\"99.00\","               \
    "\"currency\":\"EUR\",\"amountMinor\":9900,\"invoiceId\":\"inv_1\","                    \
    "\"invoiceNumber\":\"ACME-1001\",\"invoiceDate\":\"2026-03-21\",\"direction\":\"expense\"," \
    "\"party\":{\"id\":\"sup_1\",\"name\":\"Example Seller GmbH\",\"role\":\"supplier\"}}"

static void test_payment_events(void **state)
{
    assert_summary("payment.settled", SETTLED_EXPENSE,
                   "Payment settled: 99.00 EUR to Example Seller GmbH (stripe, ACME-1001)",
                   "Payment settled");
    assert_summary("payment.settled",
                   "{\"amount\":\"49.50\",\"currency\":\"EUR\",\"direction\":\"revenue\","
                   "\"provider\":\"mollie\",\"party\":{\"name\":\"Example Buyer\","
                   "\"role\":\"customer\"}}",
                   "Payment settled: 49.50 EUR from Example Buyer (mollie)", "Payment settled");
    assert_summary("payment.verified", SETTLED_EXPENSE,
                   "Payment verified: 99.00 EUR to Example Seller GmbH (stripe, ACME-1001)",
                   "Payment verified");
    assert_summary("payment.failed",
                   "{\"amount\":\"12.00\",\"currency\":\"EUR\",\"provider\":\"stripe\","
                   "\"reason\":\"card_declined\",\"party\":{\"name\":\"\","
                   "\"email\":\"buyer@example.com\"}}",
                   "Payment failed: 12.00 EUR to buyer@example.com (stripe): card_declined",
                   "Payment failed");
    /* nothing known but the type: the summary still says what happened */
    assert_summary("payment.settled", "{}", "Payment settled: ? ", "Payment settled");
}

static void test_verified_failed_and_refunded(void **state)
{
    /* payment.verified says the payment was genuine; its outcome says what it did */
    assert_summary("payment.verified",
                   "{\"outcome\":\"failed\",\"amount\":\"12.00\",\"currency\":\"EUR\","
                   "\"provider\":\"stripe\",\"reason\":\"insufficient_funds\"}",
                   "Payment failed (verified): 12.00 EUR (stripe): insufficient_funds",
                   "Payment failed (verified)");
    assert_summary("payment.verified",
                   "{\"outcome\":\"refunded\",\"amount\":\"-5.00\",\"currency\":\"EUR\"}",
                   "Refund verified: -5.00 EUR", "Refund verified");
    assert_summary("payment.verified",
                   "{\"outcome\":\"settled\",\"amount\":\"5.00\",\"currency\":\"EUR\"}",
                   "Payment verified: 5.00 EUR", "Payment verified");
    /* an outcome on another type changes nothing */
    assert_summary("payment.settled",
                   "{\"outcome\":\"failed\",\"amount\":\"5.00\",\"currency\":\"EUR\"}",
                   "Payment settled: 5.00 EUR", "Payment settled");
}

static void test_customer_events(void **state)
{
    assert_summary("customer.first_payment",
                   "{\"customer\":{\"id\":\"cus_1\",\"name\":\"Example Buyer\"},"
                   "\"amount\":\"49.00\",\"currency\":\"EUR\",\"provider\":\"stripe\"}",
                   "First payment from Example Buyer: 49.00 EUR", "First payment");
    assert_summary("customer.first_payment", "{\"amount\":\"1500\",\"currency\":\"JPY\"}",
                   "First payment from a new customer: 1500 JPY", "First payment");
    assert_summary("customer.milestone",
                   "{\"customer\":{\"email\":\"buyer@example.com\"},\"threshold\":\"1000.00\","
                   "\"total\":\"1049.00\",\"currency\":\"EUR\"}",
                   "buyer@example.com passed 1000.00 EUR in payments (total 1049.00 EUR)",
                   "Customer milestone");
}

static void test_daily_summary(void **state)
{
    assert_summary("revenue.daily_summary",
                   "{\"date\":\"2026-03-22\",\"timeZone\":\"Europe/Vienna\",\"totals\":["
                   "{\"currency\":\"EUR\",\"amount\":\"99.00\",\"count\":1},"
                   "{\"currency\":\"JPY\",\"amount\":\"3000\",\"count\":2}]}",
                   "Daily revenue summary for 2026-03-22: 99.00 EUR (1 payment), 3000 JPY "
                   "(2 payments)",
                   "Daily revenue summary");
    assert_summary("revenue.daily_summary", "{\"date\":\"2026-03-22\",\"totals\":[]}",
                   "Daily revenue summary for 2026-03-22: no payments", "Daily revenue summary");
}

static void test_destination_and_other_events(void **state)
{
    assert_summary("destination.paused",
                   "{\"name\":\"Ops Slack\",\"until\":\"2026-03-22T15:00:00Z\","
                   "\"reason\":\"5 failures in a row\"}",
                   "Destination Ops Slack paused until 2026-03-22T15:00:00Z: 5 failures in a row",
                   "Destination paused");
    assert_summary("destination.disabled", "{\"name\":\"Ops Slack\"}",
                   "Destination Ops Slack turned off: no reason given", "Destination turned off");
    assert_summary("endpoint.created", "{\"name\":\"listings\"}",
                   "Event endpoint.created: listings",
                   "Endpoint created");
    assert_summary("endpoint.pricing_changed", "{}", "Event endpoint.pricing_changed",
                   "Endpoint pricing changed");
    /* a type the platform does not describe is named as it is */
    assert_summary("order.shipped", "{\"name\":\"A-1\"}", "Event order.shipped: A-1",
                   "order.shipped");
}

static void test_send_test_is_marked(void **state)
{
    /* a "Send test" sample must never pass for a real event, whatever its type */
    static const char *const types[] = {"payment.verified", "payment.settled", "payment.failed",
                                        "customer.first_payment", "customer.milestone",
                                        "revenue.daily_summary", "endpoint.created",
                                        "endpoint.pricing_changed", "destination.paused",
                                        "destination.disabled"};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        struct sample s;
        struct buf out;
        sample_init(&s, types[i], "{\"test\":true,\"amount\":\"1.00\",\"currency\":\"EUR\"}");
        buf_init(&out, 0);
        assert_true(dest_event_is_test(&s.ev));
        assert_int_equal(dest_event_summary(&s.ev, &out), 0);
        if (strncmp(out.data, "[Test] ", 7) != 0)
            fail_msg("%s: summary '%s' is not marked", types[i], out.data);
        if (strncmp(dest_event_title(&s.ev), "[Test] ", 7) != 0)
            fail_msg("%s: title '%s' is not marked", types[i], dest_event_title(&s.ev));
        buf_free(&out);
        sample_free(&s);
    }
    assert_summary("payment.verified",
                   "{\"test\":true,\"outcome\":\"failed\",\"amount\":\"1.00\","
                   "\"currency\":\"EUR\"}",
                   "[Test] Payment failed (verified): 1.00 EUR",
                   "[Test] Payment failed (verified)");
    /* only true marks: "test": false or a string does not */
    assert_summary("payment.settled", "{\"test\":false,\"amount\":\"1.00\",\"currency\":\"EUR\"}",
                   "Payment settled: 1.00 EUR", "Payment settled");
    assert_summary("payment.settled",
                   "{\"test\":\"true\",\"amount\":\"1.00\",\"currency\":\"EUR\"}",
                   "Payment settled: 1.00 EUR", "Payment settled");
}

static void test_whole_text(void **state)
{
    struct sample s;
    struct buf out;
    sample_init(&s, "payment.settled", SETTLED_EXPENSE);
    buf_init(&out, 0);
    assert_int_equal(dest_event_text(&s.ev, &out), 0);
    assert_string_equal(out.data,
                        "Payment settled: 99.00 EUR to Example Seller GmbH (stripe, ACME-1001)\n"
                        "\n"
                        "Amount: 99.00 EUR\n"
                        "Supplier: Example Seller GmbH\n"
                        "Invoice: ACME-1001\n"
                        "Provider: stripe\n"
                        "Reference: in_1\n"
                        "At: 2026-03-22 14:30 UTC\n"
                        "\n"
                        "Event evt_0123456789abcdef0123456789abcdef (payment.settled)");
    buf_free(&out);
    sample_free(&s);

    /* the failed verified payment says so among its facts too */
    sample_init(&s, "payment.verified",
                "{\"outcome\":\"failed\",\"amount\":\"12.00\",\"currency\":\"EUR\","
                "\"reason\":\"card_declined\",\"party\":{\"id\":\"cus_9\",\"role\":\"customer\"}}");
    struct dest_facts facts;
    assert_int_equal(dest_event_facts(&s.ev, &facts), 0);
    assert_int_equal(facts.n, 4);
    assert_string_equal(facts.label[0], "Amount");
    assert_string_equal(facts.value[0].data, "12.00 EUR");
    assert_string_equal(facts.label[1], "Customer");
    assert_string_equal(facts.value[1].data, "cus_9"); /* no name nor email: the id */
    assert_string_equal(facts.label[2], "Outcome");
    assert_string_equal(facts.value[2].data, "failed");
    assert_string_equal(facts.label[3], "Reason");
    assert_string_equal(facts.value[3].data, "card_declined");
    dest_facts_free(&facts);
    sample_free(&s);
}

static void test_daily_summary_facts(void **state)
{
    struct sample s;
    struct dest_facts facts;
    sample_init(&s, "revenue.daily_summary",
                "{\"date\":\"2026-03-22\",\"timeZone\":\"Europe/Vienna\",\"totals\":["
                "{\"currency\":\"EUR\",\"amount\":\"99.00\",\"count\":1}],\"topCustomers\":["
                "{\"id\":\"cus_1\",\"name\":\"Example Buyer\",\"amount\":\"99.00\","
                "\"currency\":\"EUR\"}]}");
    assert_int_equal(dest_event_facts(&s.ev, &facts), 0);
    assert_int_equal(facts.n, 3);
    assert_string_equal(facts.label[0], "Date");
    assert_string_equal(facts.value[0].data, "2026-03-22 (Europe/Vienna)");
    assert_string_equal(facts.label[1], "Revenue");
    assert_string_equal(facts.value[1].data, "99.00 EUR (1 payment)");
    assert_string_equal(facts.label[2], "Top customers");
    assert_string_equal(facts.value[2].data, "Example Buyer (99.00 EUR)");
    dest_facts_free(&facts);
    sample_free(&s);
}

static void assert_cut(const char *text, size_t max, const char *expected)
{
    struct buf out;
    buf_init(&out, 0);
    assert_int_equal(dest_text_truncate(text, max, &out), 0);
    assert_string_equal(out.data ? out.data : "", expected);
    buf_free(&out);
}

static void test_truncate_on_utf8_boundaries(void **state)
{
    /* a (1 byte), é (2), € (3), 😀 (4): 10 bytes */
    const char *text = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80";
    assert_cut(text, 10, text);
    assert_cut(text, 100, text);
    assert_cut(text, 9, "a\xc3\xa9\xe2\x82\xac\xe2\x80\xa6");  /* aé€… */
    assert_cut(text, 8, "a\xc3\xa9\xe2\x80\xa6");              /* aé… : € would be split */
    assert_cut(text, 6, "a\xc3\xa9\xe2\x80\xa6");              /* exactly aé… */
    assert_cut(text, 5, "a\xe2\x80\xa6");                      /* aé… is 6 bytes */
    assert_cut(text, 4, "a\xe2\x80\xa6");                      /* a… */
    assert_cut(text, 3, "\xe2\x80\xa6");                       /* … alone */
    assert_cut(text, 2, "");                                   /* not even … fits */
    assert_cut(text, 0, "");
    assert_cut("", 0, "");

    /* every limit: never more than max bytes, always valid UTF-8 */
    const char *mixed = "Zahlung f\xc3\xbcr \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x92\xb6 erhalten";
    for (size_t max = 0; max <= strlen(mixed) + 1; max++) {
        struct buf out;
        buf_init(&out, 0);
        assert_int_equal(dest_text_truncate(mixed, max, &out), 0);
        const char *got = out.data ? out.data : "";
        if (strlen(got) > max)
            fail_msg("max %zu: %zu bytes", max, strlen(got));
        for (size_t i = 0; got[i];) {
            size_t n = utf8_seq_len(got + i, strlen(got + i));
            if (n == 0)
                fail_msg("max %zu: a character is split at byte %zu", max, i);
            i += n;
        }
        buf_free(&out);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_payment_events),
        cmocka_unit_test(test_verified_failed_and_refunded),
        cmocka_unit_test(test_customer_events),
        cmocka_unit_test(test_daily_summary),
        cmocka_unit_test(test_destination_and_other_events),
        cmocka_unit_test(test_send_test_is_marked),
        cmocka_unit_test(test_whole_text),
        cmocka_unit_test(test_daily_summary_facts),
        cmocka_unit_test(test_truncate_on_utf8_boundaries),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
