/* tests/fuzz/fuzz_inbound.c - one fuzz target for the code that reads outside bytes first:
 * every provider's parse (its body, and the same bytes as the state a fetch-back would
 * have fetched), amounts, dates, cuts of text, and request paths.
 *
 * The input's first byte picks what is fed, the rest is the payload. The target checks the
 * promises, not just that nothing crashes: a parsed payment has an amount within
 * MONEY_MAX_MINOR, a date of 1970..9999 and text that is valid UTF-8; an error message is
 * valid UTF-8; a cut never splits a character; a path with a control byte never matches.
 * A broken promise abort()s, which libFuzzer and the replay test both report.
 *
 * Built two ways: with libFuzzer (`make fuzz`, clang) and, in `make test`, by
 * tests/unit/inbound/test_fuzz_replay.c, which replays tests/fuzz/corpus/ and deterministic
 * mutations of it under ASan and UBSan. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/money.h"
#include "core/utf8.h"
#include "http/http.h"
#include "inbound/provider.h"
#include "inbound/sig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void must(bool promise)
{
    if (!promise)
        abort();
}

static bool valid_utf8(const char *s)
{
    size_t len = strlen(s);
    for (size_t i = 0; i < len;) {
        size_t n = utf8_seq_len(s + i, len - i);
        if (!n)
            return false;
        i += n;
    }
    return true;
}

static bool valid_date(const char *d)
{
    char again[11];
    return d[0] == '\0' || sig_date_from_rfc3339(d, again) == 0;
}

static const char *no_header(const struct webhook_request *req, const char *name)
{
    (void)req;
    (void)name;
    return NULL;
}

static void check_payment(const struct payment *p)
{
    const char *texts[] = {p->event, p->event_id, p->external_id, p->refunded_external_id,
                           p->invoice_number, p->merchant_id, p->merchant_email,
                           p->merchant_name, p->customer_id, p->customer_email,
                           p->customer_name, p->detail};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
        must(valid_utf8(texts[i]));
    if (p->kind == PAYMENT_IGNORED)
        return;
    must(p->amount.minor >= 0 && p->amount.minor <= MONEY_MAX_MINOR);
    must(p->date[0] && valid_date(p->date));
}

/* Every provider's parse over the body, with the same bytes as the fetched state. */
static void fuzz_providers(const char *text, size_t len)
{
    size_t n;
    const struct provider *const *all = provider_all(&n);
    json_t *state = json_loadb(text, len, 0, NULL);
    struct webhook_request req = {.body = text, .body_len = len, .header = no_header,
                                  .query = no_header, .now_ms = 1774189800000};
    for (size_t i = 0; i < n; i++) {
        struct payment_list list = {0};
        struct error err = {0};
        if (provider_parse(all[i], &req, state, &list, &err) == 0)
            for (size_t k = 0; k < list.n; k++)
                check_payment(&list.items[k]);
        else
            must(valid_utf8(err.message));
        payment_list_free(&list);
    }
    json_decref(state);
}

static void fuzz_amounts_and_dates(const char *text, size_t len)
{
    static const char *const currencies[] = {"EUR", "JPY", "KWD", "CLF", "\xef\xbc\xa5UR"};
    for (size_t i = 0; i < sizeof currencies / sizeof currencies[0]; i++) {
        struct money m;
        struct error err = {0};
        if (money_parse_decimal(text, len, currencies[i], &m, &err) == 0)
            must(m.minor <= MONEY_MAX_MINOR && m.minor >= -MONEY_MAX_MINOR);
        else
            must(valid_utf8(err.message));
    }
    char date[11] = "";
    if (sig_date_from_rfc3339(text, date) == 0)
        must(strlen(date) == 10 && memcmp(date, "1970", 4) >= 0);
    int64_t seconds = 0;
    memcpy(&seconds, text, len < sizeof seconds ? len : sizeof seconds);
    if (sig_date_from_unix(seconds, date) == 0)
        must(seconds >= SIG_UNIX_MIN && seconds <= SIG_UNIX_MAX);
}

static void fuzz_text(char *text, size_t len)
{
    for (size_t max = 0; max <= len + 1 && max < 64; max++) {
        size_t cut = utf8_cut(text, max);
        must(cut <= max && cut <= strlen(text));
        char copy[64];
        if (max > 0) {
            utf8_copy(copy, max, text);
            must(strlen(copy) < max);
            if (valid_utf8(text))
                must(valid_utf8(copy));
        }
    }
    struct error err;
    error_set(&err, ERR_VALIDATION, "'%.40s' and %s", text, text);
    must(valid_utf8(err.message));
    utf8_repair(text);
    must(valid_utf8(text));
}

static int ok_handler(struct http_request *req, struct http_response *res, struct error *err)
{
    (void)req;
    (void)res;
    (void)err;
    return 0;
}

static void fuzz_path(char *text)
{
    static const struct route routes[] = {
        {"GET", "/connectors/:file", ok_handler, 0, 0, NULL},
        {"POST", "/api/payment-import/:provider/:token", ok_handler, 0, 0, NULL},
    };
    struct http_param params[HTTP_MAX_PARAMS];
    size_t index, n_params;
    char allow[64];
    http_unescape(text);
    bool control = false;
    for (const char *p = text; *p; p++)
        control |= (unsigned char)*p < 0x20 || *p == 0x7f;
    enum route_match m = router_match(routes, 2, "GET", text, &index, params, &n_params, allow,
                                      sizeof allow);
    must(control == (m == ROUTE_BAD_PATH));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 64 * 1024)
        return 0;
    /* A NUL-terminated copy; the length stays the input's (bytes may hold NULs). */
    char *text = malloc(size);
    if (!text)
        return 0;
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    switch (data[0] % 4) {
    case 0:
        fuzz_providers(text, size - 1);
        break;
    case 1:
        fuzz_amounts_and_dates(text, size - 1);
        break;
    case 2:
        fuzz_text(text, size - 1);
        break;
    default:
        fuzz_path(text);
        break;
    }
    free(text);
    return 0;
}
