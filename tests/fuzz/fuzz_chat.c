/* tests/fuzz/fuzz_chat.c - what the assistant reads of a chat message and how it writes a
 * reply: the grammar (src/chat/grammar.c: chat_understand, chat_guess_lang), the answers
 * (src/chat/answer.c: chat_answer over any query result, chat_format_amount, chat_help), the
 * model's figure check (src/chat/llm.c: chat_llm_grounded) and the read queries' period
 * parser (src/assistant/queries.c: assistant_period_parse).
 *
 * The input is a message, optionally followed by a line "---" and a JSON query result.
 * Promises: the question's period is empty or two real days, the first not after the second;
 * its amount is decimal text money_parse_decimal takes; its texts are valid UTF-8 (they go
 * into JSON); a parsed period is two real days in order; every reply and help text is valid
 * UTF-8 and never empty; a reply is grounded in a result that holds itself; an amount's
 * text keeps every digit of its minor units. */
#include <stdio.h>

#include "fuzz.h"
#include "assistant/queries.h"
#include "chat/chat_int.h"
#include "core/buf.h"
#include "core/money.h"

static void check_question(const struct chat_question *q)
{
    must(q->intent >= CHAT_INTENT_NONE && q->intent <= CHAT_INTENT_QUERY);
    must(q->lang == CHAT_EN || q->lang == CHAT_DE);
    must((q->from[0] == '\0') == (q->to[0] == '\0'));
    if (q->from[0]) {
        must(assistant_date_valid(q->from) && assistant_date_valid(q->to));
        must(strcmp(q->from, q->to) <= 0);
    }
    if (q->intent == CHAT_INTENT_QUERY)
        must(assistant_query_find(q->query) != NULL);
    if (q->amount[0]) {
        struct money m;
        struct error err;
        must(money_parse_decimal(q->amount, strlen(q->amount), "EUR", &m, &err) == 0 ||
             err.code == ERR_VALIDATION);
    }
    must(valid_utf8(q->party) && valid_utf8(q->number) && valid_utf8(q->code));
}

/* The result's values (not its keys) as text: what a reply quoting only results says. */
static int values_of(const json_t *v, struct buf *out)
{
    size_t i;
    const char *key;
    json_t *child;
    if (json_is_integer(v))
        return buf_printf(out, " %lld", (long long)json_integer_value(v));
    if (json_is_string(v))
        return buf_printf(out, " %s", json_string_value(v));
    if (json_is_array(v))
        json_array_foreach(v, i, child)
            if (values_of(child, out) < 0)
                return -1;
    if (json_is_object(v))
        json_object_foreach((json_t *)v, key, child)
            if (values_of(child, out) < 0)
                return -1;
    return 0;
}

static void check_text(char *reply)
{
    must(reply && reply[0] && valid_utf8(reply));
    free(reply);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FUZZ_INPUT_MAX)
        return 0;
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    char *sep = strstr(text, "\n---\n");
    json_t *result = NULL;
    if (sep) {
        *sep = '\0';
        result = json_loads(sep + 5, 0, NULL);
    }
    bool valid = valid_utf8(text);
    struct chat_question q;
    chat_understand(text, "2026-05-15", &q);
    if (valid)
        check_question(&q);
    (void)chat_guess_lang(text);

    char from[11], to[11];
    if (assistant_period_parse(text, from, to))
        must(assistant_date_valid(from) && assistant_date_valid(to) && strcmp(from, to) <= 0);

    check_text(chat_help(q.lang, true));
    if (result) {
        check_text(chat_answer(&q, result));
        char amount[128];
        if (chat_format_amount(result, q.lang, amount, sizeof amount)) {
            must(valid_utf8(amount));
            char digits[32];
            snprintf(digits, sizeof digits, "%lld", (long long)json_integer_value(json_object_get(result, "minor")));
            size_t want = strspn(digits, "-0123456789"), got = 0;
            for (const char *p = amount; *p; p++)
                got += *p >= '0' && *p <= '9';
            must(got >= want - (digits[0] == '-') || got == 0);
        }
        struct buf values;
        buf_init(&values, 1 << 20);
        if (values_of(result, &values) == 0 && values.data)
            must(chat_llm_grounded(values.data, result, NULL));
        buf_free(&values);
        (void)chat_llm_grounded(text, result, text);
    }
    json_decref(result);
    free(text);
    return 0;
}
