/* tests/fuzz/fuzz_datev.c - a payment's amount, currency, date and texts from a payload on
 * their way into a DATEV line: money_parse_decimal() and money_format() (src/core/money.c),
 * sig_date_from_rfc3339() and sig_date_from_unix() (the dates providers send), then ledger_datev_amount(),
 * ledger_datev_document(), ledger_datev_text(), ledger_datev_line() and
 * ledger_datev_head() (src/ledger/datev.c, through core/cp1252.c).
 *
 * Input: four lines (amount text, currency code, date as RFC 3339 or Unix seconds,
 * document number) and then the
 * booking text (the rest, line breaks and all). Promises: a parsed amount is within
 * +-MONEY_MAX_MINOR and formats to text that parses back to it; checked sums never wrap;
 * a DATEV amount is digits, a comma and two digits, worth exactly the amount; a DATEV line
 * has 125 fields, one CRLF at its end and none inside, a Belegfeld 1 of at most 36 allowed
 * characters and a Buchungstext of at most 60; the header is two CRLF-ended lines. */
#include <stdio.h>

#include "fuzz.h"
#include "core/buf.h"
#include "core/money.h"
#include "core/tz.h"
#include "inbound/sig.h"
#include "ledger/ledger.h"

/* Counts the fields of a DATEV line: ';' outside quotes ("" inside a quote is a quote). */
static int datev_fields(const char *s, size_t len, bool *crlf_inside)
{
    int fields = 1;
    bool quoted = false;
    *crlf_inside = false;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '"')
            quoted = !quoted;
        else if (s[i] == ';' && !quoted)
            fields++;
        else if ((s[i] == '\r' || s[i] == '\n') && i + 2 < len)
            *crlf_inside = true;
    }
    return fields;
}

static void check_datev_amount(const struct money *m)
{
    char text[32];
    struct error err = {0};
    int decimals = money_currency_decimals(m->currency);
    if (ledger_datev_amount(m->minor, decimals, text, &err) < 0) {
        must(err.code == ERR_VALIDATION && valid_utf8(err.message));
        return;
    }
    must(m->minor > 0);
    char *comma = strchr(text, ',');
    must(comma && strlen(comma) == 3 && comma > text);
    int64_t whole = 0;
    for (const char *p = text; p < comma; p++) {
        must(*p >= '0' && *p <= '9');
        whole = whole * 10 + (*p - '0');
    }
    must(comma[1] >= '0' && comma[1] <= '9' && comma[2] >= '0' && comma[2] <= '9');
    int64_t cents = whole * 100 + (comma[1] - '0') * 10 + (comma[2] - '0');
    int64_t factor = decimals == 2 ? 1 : decimals == 1 ? 10 : 100;
    must(decimals > 2 || cents == m->minor * factor);
}

static void fuzz_money(const char *amount, const char *currency, struct money *out, bool *ok)
{
    struct error err = {0};
    *ok = money_parse_decimal(amount, strlen(amount), currency, out, &err) == 0;
    if (!*ok) {
        must(valid_utf8(err.message));
        return;
    }
    must(out->minor >= -MONEY_MAX_MINOR && out->minor <= MONEY_MAX_MINOR);
    char text[MONEY_TEXT_MAX];
    struct money back, sum, neg;
    money_format(out, text);
    must(money_parse_decimal(text, strlen(text), out->currency, &back, &err) == 0);
    must(back.minor == out->minor && strcmp(back.currency, out->currency) == 0);
    must(money_add(out, out, &sum, &err) == 0 && sum.minor == out->minor * 2);
    must(money_negate(out, &neg, &err) == 0 && neg.minor == -out->minor);
    check_datev_amount(out);
}

static void fuzz_line(const struct money *m, const char *date, const char *document,
                      const char *text)
{
    char doc[LEDGER_DATEV_DOCUMENT_MAX + 1];
    ledger_datev_document(document, doc);
    must(strlen(doc) <= LEDGER_DATEV_DOCUMENT_MAX);
    for (const char *p = doc; *p; p++)
        must((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
             strchr("$&%*+-/", *p));

    struct buf field;
    buf_init(&field, 0);
    must(ledger_datev_text(&field, text, LEDGER_DATEV_TEXT_MAX) == 0);
    size_t chars = 0;
    for (size_t i = 1; i + 1 < field.len; i++) {
        must((unsigned char)field.data[i] >= 0x20 && field.data[i] != 0x7f);
        if (field.data[i] == '"') {
            must(field.data[i + 1] == '"');
            i++;
        }
        chars++;
    }
    must(field.len >= 2 && field.data[0] == '"' && field.data[field.len - 1] == '"');
    must(chars <= LEDGER_DATEV_TEXT_MAX);
    buf_free(&field);

    if (m->minor <= 0)
        return;
    struct ledger_datev_booking b = {.amount_minor = m->minor,
                                     .decimals = money_currency_decimals(m->currency),
                                     .debit = true, .currency = m->currency, .account = "1200",
                                     .contra_account = "4000", .date = date,
                                     .document = document, .text = text};
    struct buf line;
    struct error err = {0};
    buf_init(&line, 0);
    if (ledger_datev_line(&line, &b, &err) == 0) {
        bool crlf_inside;
        must(datev_fields(line.data, line.len, &crlf_inside) == LEDGER_DATEV_COLUMNS);
        must(!crlf_inside && line.len >= 2 && memcmp(line.data + line.len - 2, "\r\n", 2) == 0);
    } else {
        must(err.code == ERR_VALIDATION && valid_utf8(err.message));
    }
    buf_free(&line);
}

static void fuzz_head(const char *date, const char *document, const char *text)
{
    struct ledger_datev_header h = {.created_ms = INT64_C(1774189800000),
                                    .tz = tz_find("Europe/Vienna"), .consultant = document,
                                    .client = document, .fiscal_year_start = date,
                                    .account_length = 4, .from = date, .to = date,
                                    .description = text, .currency = "EUR",
                                    .chart_code = "03"};
    struct buf out;
    struct error err = {0};
    buf_init(&out, 0);
    if (h.tz && ledger_datev_head(&out, &h, &err) == 0) {
        size_t crlf = 0;
        for (size_t i = 0; i + 1 < out.len; i++)
            crlf += out.data[i] == '\r' && out.data[i + 1] == '\n';
        must(crlf == 2 && memcmp(out.data + out.len - 2, "\r\n", 2) == 0);
    }
    buf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    char *input = fuzz_text_copy(data, size);
    if (!input)
        return 0;
    char *rest = input;
    const char *amount = fuzz_field(&rest, false);
    const char *currency = fuzz_field(&rest, false);
    const char *when = fuzz_field(&rest, false);
    char *document = fuzz_field(&rest, false);
    const char *text = fuzz_field(&rest, true);

    struct money m = {0};
    bool ok;
    fuzz_money(amount, currency, &m, &ok);
    char date[11] = "";
    long long seconds = strtoll(when, NULL, 10);
    if (sig_date_from_unix(seconds, date) == 0)
        must(seconds >= SIG_UNIX_MIN && seconds <= SIG_UNIX_MAX && strlen(date) == 10);
    date[0] = '\0';
    if (sig_date_from_rfc3339(when, date) == 0) {
        must(strlen(date) == 10 && date[4] == '-' && date[7] == '-');
        must(memcmp(date, "1970", 4) >= 0);
        if (ok)
            fuzz_line(&m, date, document, text);
        /* The consultant and client numbers are digits (the datev connector's settings). */
        for (char *p = document; *p; p++)
            if (*p < '0' || *p > '9')
                *p = '0';
        fuzz_head(date, document, text);
    }
    free(input);
    return 0;
}
