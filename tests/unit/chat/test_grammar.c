/* tests/unit/chat/test_grammar.c - the assistant's grammar (src/chat/grammar.c) and its
 * amounts (src/chat/answer.c) on fixed days, where the end-to-end tests depend on today:
 * relative periods across year ends, a month named without its year, the language, the
 * invoice search's number, amount and party, links and confirmations, and the locale's
 * amount format for currencies of 0, 2 and 3 decimals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "assistant/queries.h"
#include "chat/chat_int.h"

static struct chat_question ask(const char *text, const char *today)
{
    struct chat_question q;
    chat_understand(text, today, &q);
    return q;
}

static void periods_relative_to_today(void **state)
{
    (void)state;
    struct chat_question q = ask("revenue last quarter", "2026-01-20");
    assert_string_equal(q.query, "revenue");
    assert_string_equal(q.from, "2025-10-01");
    assert_string_equal(q.to, "2025-12-31");
    q = ask("Umsatz letzten Monat", "2026-01-05");
    assert_string_equal(q.from, "2025-12-01");
    assert_string_equal(q.to, "2025-12-31");
    assert_int_equal(q.lang, CHAT_DE);
    q = ask("Wie hoch war der Umsatz im März?", "2026-02-10"); /* March has not begun */
    assert_string_equal(q.from, "2025-03-01");
    q = ask("Wie hoch war der Umsatz im März?", "2026-03-01");
    assert_string_equal(q.from, "2026-03-01");
    assert_string_equal(q.to, "2026-03-31");
    q = ask("expenses this year", "2024-07-01");
    assert_string_equal(q.query, "expenses");
    assert_string_equal(q.from, "2024-01-01");
    assert_string_equal(q.to, "2024-12-31");
    q = ask("revenue february 2024", "2026-07-01");
    assert_string_equal(q.to, "2024-02-29");
    q = ask("Ausgaben letztes Jahr", "2026-07-01");
    assert_string_equal(q.from, "2025-01-01");
    q = ask("VAT due", "2026-07-15"); /* VAT without a period: this month */
    assert_string_equal(q.query, "vat_due");
    assert_string_equal(q.from, "2026-07-01");
    assert_string_equal(q.to, "2026-07-31");
    q = ask("USt für das 3. Quartal", "2026-11-02");
    assert_string_equal(q.from, "2026-07-01");
    assert_string_equal(q.to, "2026-09-30");
}

static void search_and_intents(void **state)
{
    (void)state;
    struct chat_question q = ask("Rechnung über 1.234,56 €", "2026-05-01");
    assert_string_equal(q.query, "find_invoice");
    assert_string_equal(q.amount, "1234.56");
    q = ask("invoice over €1,234.56", "2026-05-01");
    assert_string_equal(q.amount, "1234.56");
    q = ask("invoice RE-2026-0042 please", "2026-05-01");
    assert_string_equal(q.number, "re-2026-0042");
    q = ask("Rechnungen von Müller & Söhne im März", "2026-05-01");
    assert_string_equal(q.party, "müller söhne");
    assert_string_equal(q.from, ""); /* a search has no period */
    /* A name longer than the party's room keeps its whole words only: the next word's bytes
     * that would fit end inside its "€" here. */
    q = ask("invoice from aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa "
            "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb €cc",
            "2026-05-01");
    assert_string_equal(q.party, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa "
                                 "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
    q = ask("  /link ab12cd34ef", "2026-05-01");
    assert_int_equal(q.intent, CHAT_INTENT_LINK);
    assert_string_equal(q.code, "AB12CD34EF");
    assert_int_equal(ask("Passt!", "2026-05-01").intent, CHAT_INTENT_CONFIRM);
    assert_int_equal(ask("ok", "2026-05-01").intent, CHAT_INTENT_CONFIRM);
    assert_int_equal(ask("Hilfe", "2026-05-01").intent, CHAT_INTENT_HELP);
    assert_int_equal(ask("the weather in Vienna", "2026-05-01").intent, CHAT_INTENT_NONE);
    assert_string_equal(ask("Umsatzsteuer im April", "2026-05-01").query, "vat_due");
    assert_string_equal(ask("important: revenue 2026", "2026-05-01").query, "revenue");
    assert_string_equal(ask("Gibt es überfällige Rechnungen?", "2026-05-01").query, "overdue_invoices");
}

static void amounts_for_the_locale(void **state)
{
    (void)state;
    char out[64];
    json_t *a = json_pack("{sIss}", "minor", (json_int_t)123456, "currency", "EUR");
    assert_true(chat_format_amount(a, CHAT_DE, out, sizeof out));
    assert_string_equal(out, "1.234,56 €");
    assert_true(chat_format_amount(a, CHAT_EN, out, sizeof out));
    assert_string_equal(out, "€1,234.56");
    json_decref(a);
    a = json_pack("{sIss}", "minor", (json_int_t)-1234567, "currency", "KWD");
    assert_true(chat_format_amount(a, CHAT_EN, out, sizeof out));
    assert_string_equal(out, "-KWD 1,234.567");
    json_decref(a);
    a = json_pack("{sIss}", "minor", (json_int_t)1500000, "currency", "JPY");
    assert_true(chat_format_amount(a, CHAT_DE, out, sizeof out));
    assert_string_equal(out, "1.500.000 JPY");
    json_decref(a);
    a = json_pack("{sIss}", "minor", (json_int_t)5, "currency", "EUR");
    assert_true(chat_format_amount(a, CHAT_DE, out, sizeof out));
    assert_string_equal(out, "0,05 €");
    json_decref(a);
    a = json_pack("{ss}", "currency", "EUR");
    assert_false(chat_format_amount(a, CHAT_DE, out, sizeof out));
    json_decref(a);
}

static void figures_of_a_model_reply(void **state)
{
    (void)state;
    json_t *res = json_pack("{s{sIssss}ss}", "total", "minor", (json_int_t)123456, "currency", "EUR",
                            "value", "1234.56", "from", "2026-03-01");
    assert_true(chat_llm_grounded("Ihr Umsatz im März 2026 betrug 1.234,56 €.", res, NULL));
    assert_true(chat_llm_grounded("Revenue was €1,234.56 across 3 invoices.", res, NULL));
    assert_false(chat_llm_grounded("Revenue was €1,234.57.", res, NULL));
    assert_false(chat_llm_grounded("Up 12.5% on February.", res, NULL));
    assert_false(chat_llm_grounded("Revenue was €9,999.99.", res, NULL));
    assert_true(chat_llm_grounded("In 2027 ...", res, "what about 2027?"));
    json_decref(res);
}

/* Every read query has its way of being said, before the line naming it. */
static void every_query_is_answered(void **state)
{
    (void)state;
    size_t n;
    const struct assistant_query *qs = assistant_queries(&n);
    for (size_t i = 0; i < n; i++) {
        for (int lang = CHAT_EN; lang <= CHAT_DE; lang++) {
            struct chat_question q = {.lang = lang};
            json_t *res = json_pack("{ss}", "query", qs[i].name);
            char *text = chat_answer(&q, res);
            assert_non_null(text);
            assert_true(strstr(text, lang == CHAT_DE ? "\n(Quelle: Abfrage" : "\n(source: query") > text);
            free(text);
            json_decref(res);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(periods_relative_to_today),
        cmocka_unit_test(search_and_intents),
        cmocka_unit_test(amounts_for_the_locale),
        cmocka_unit_test(figures_of_a_model_reply),
        cmocka_unit_test(every_query_is_answered),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
