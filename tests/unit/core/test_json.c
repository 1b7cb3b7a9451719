/* tests/unit/core/test_json.c - the JSON helpers (src/core/json.c), the error table
 * (src/core/error.c, errors.def) and the one JSON error body, http_respond_error
 * (src/http/response.c).
 *
 * These are what every client-visible error goes through, so the tests check the exact
 * bytes and statuses a client would receive. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/error.h"
#include "core/json.h"
#include "http/http.h"

/* ---- json_parse_body ------------------------------------------------------------------ */

static void test_parse_empty_body(void **state)
{
    struct error err = {0};
    assert_null(json_parse_body("", 0, &err));
    assert_int_equal(err.code, ERR_INVALID_JSON);
    assert_non_null(strstr(err.message, "empty"));
}

static void test_parse_malformed(void **state)
{
    static const char *const bodies[] = {
        "{", "{\"a\":}", "{\"a\":1,}", "{'a':1}", "not json", "{\"a\":1} trailing", "   ",
    };
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        struct error err = {0};
        assert_null(json_parse_body(bodies[i], strlen(bodies[i]), &err));
        assert_int_equal(err.code, ERR_INVALID_JSON);
        assert_non_null(strstr(err.message, "malformed JSON"));
    }
}

static void test_parse_respects_length(void **state)
{
    /* Only len bytes are the body: the rest of the C string is not read. */
    static const char text[] = "{\"a\":1}garbage";
    struct error err = {0};
    json_t *root = json_parse_body(text, 7, &err);
    assert_non_null(root);
    assert_int_equal(json_integer_value(json_object_get(root, "a")), 1);
    json_decref(root);

    /* A NUL inside the body is not the end of the body. */
    static const char with_nul[] = "{\"a\":1}\0{}";
    assert_null(json_parse_body(with_nul, sizeof with_nul - 1, &err));
    assert_int_equal(err.code, ERR_INVALID_JSON);
}

static void test_parse_duplicate_keys_rejected(void **state)
{
    static const char *const bodies[] = {
        "{\"name\":\"a\",\"name\":\"b\"}",
        "{\"outer\":{\"k\":1,\"k\":2}}",
    };
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        struct error err = {0};
        assert_null(json_parse_body(bodies[i], strlen(bodies[i]), &err));
        assert_int_equal(err.code, ERR_INVALID_JSON);
    }
}

static void test_parse_not_an_object(void **state)
{
    static const char *const bodies[] = {"[1,2]", "[]", "\"text\"", "42", "null", "true"};
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        struct error err = {0};
        assert_null(json_parse_body(bodies[i], strlen(bodies[i]), &err));
        assert_int_equal(err.code, ERR_BAD_REQUEST);
        assert_string_equal(err.message, "request body must be a JSON object");
    }
}

static void test_parse_valid_object(void **state)
{
    static const char body[] = " {\"name\":\"Acme\",\"n\":3,\"tags\":[\"x\"],\"o\":{}} \n";
    struct error err = {0};
    json_t *root = json_parse_body(body, strlen(body), &err);
    assert_non_null(root);
    assert_true(json_is_object(root));
    assert_string_equal(json_string_value(json_object_get(root, "name")), "Acme");
    assert_int_equal(json_integer_value(json_object_get(root, "n")), 3);
    assert_int_equal(json_array_size(json_object_get(root, "tags")), 1);
    assert_int_equal(json_object_size(root), 4);
    json_decref(root);

    root = json_parse_body("{}", 2, &err);
    assert_non_null(root);
    assert_int_equal(json_object_size(root), 0);
    json_decref(root);
}

static void test_parse_null_err_allowed(void **state)
{
    assert_null(json_parse_body("[", 1, NULL));
    assert_null(json_parse_body("", 0, NULL));
    assert_null(json_parse_body("[]", 2, NULL));
}

/* ---- json_escape_append --------------------------------------------------------------- */

/* Escapes `len` bytes into a fresh buffer and checks the result is exactly `want`. */
static void expect_escape(const char *s, size_t len, const char *want, size_t want_len)
{
    struct buf b;
    buf_init(&b, 0);
    assert_int_equal(json_escape_append(&b, s, len), 0);
    assert_int_equal(b.len, want_len);
    if (want_len)
        assert_memory_equal(b.data, want, want_len);
    buf_free(&b);
}

#define ESCAPES_TO(in, out) expect_escape(in, sizeof(in) - 1, out, sizeof(out) - 1)

static void test_escape_plain(void **state)
{
    ESCAPES_TO("", "");
    ESCAPES_TO("hello, world / ~ \x7f", "hello, world / ~ \x7f");
}

static void test_escape_quotes_and_backslash(void **state)
{
    ESCAPES_TO("say \"hi\"", "say \\\"hi\\\"");
    ESCAPES_TO("C:\\dir\\", "C:\\\\dir\\\\");
    ESCAPES_TO("\"\\\"", "\\\"\\\\\\\"");
}

static void test_escape_control_chars(void **state)
{
    ESCAPES_TO("a\nb\rc\td", "a\\nb\\rc\\td");
    ESCAPES_TO("\x01", "\\u0001");
    ESCAPES_TO("\x08\x0c", "\\b\\f");
    ESCAPES_TO("\x1f", "\\u001F");
    ESCAPES_TO("x\x1by", "x\\u001By");
}

/* Every ASCII byte and a few characters beyond come out as jansson's dump writes them, so a
 * JSON answer written by hand matches one dumped from a tree byte for byte. */
static void test_escape_as_jansson_dumps(void **state)
{
    static const char *const texts[] = {"caf\xc3\xa9 \"q\" \\ /", "\xe2\x82\xac\xf0\x9f\x98\x80\x7f"};
    for (int c = 1; c < 0x80 + 2; c++) {
        char one[64];
        size_t len = 1;
        if (c < 0x80)
            one[0] = (char)c;
        else
            len = strlen(strcpy(one, texts[c - 0x80]));
        json_t *str = json_stringn(one, len);
        char *dumped = json_dumps(str, JSON_ENCODE_ANY | JSON_COMPACT);
        struct buf b;
        buf_init(&b, 0);
        assert_int_equal(buf_append(&b, "\"", 1), 0);
        assert_int_equal(json_escape_append(&b, one, len), 0);
        assert_int_equal(buf_append(&b, "\"", 1), 0);
        assert_int_equal(b.len, strlen(dumped));
        assert_memory_equal(b.data, dumped, b.len);
        buf_free(&b);
        free(dumped);
        json_decref(str);
    }
}

static void test_escape_embedded_nul(void **state)
{
    ESCAPES_TO("a\0b", "a\\u0000b");
    ESCAPES_TO("\0", "\\u0000");
}

static void test_escape_valid_utf8_passes(void **state)
{
    ESCAPES_TO("caf\xc3\xa9", "caf\xc3\xa9");                /* U+00E9 */
    ESCAPES_TO("\xe2\x82\xac 5", "\xe2\x82\xac 5");          /* U+20AC */
    ESCAPES_TO("\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80");      /* U+1F600 */
    ESCAPES_TO("\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf");      /* U+10FFFF, the last */
    ESCAPES_TO("\xed\x9f\xbf", "\xed\x9f\xbf");              /* U+D7FF, before surrogates */
}

#define FFFD "\xef\xbf\xbd"

static void test_escape_invalid_utf8_replaced(void **state)
{
    ESCAPES_TO("\xff", FFFD);
    ESCAPES_TO("a\x80z", "a" FFFD "z");                      /* lone continuation byte */
    ESCAPES_TO("\xc0\xaf", FFFD FFFD);                       /* overlong '/' */
    ESCAPES_TO("\xe0\x80\xaf", FFFD FFFD FFFD);              /* overlong, three bytes */
    ESCAPES_TO("\xed\xa0\x80", FFFD FFFD FFFD);              /* surrogate U+D800 */
    ESCAPES_TO("\xf4\x90\x80\x80", FFFD FFFD FFFD FFFD);     /* above U+10FFFF */
    ESCAPES_TO("\xc3(", FFFD "(");                           /* cut short by ASCII */
    ESCAPES_TO("ok\xe2\x82", "ok" FFFD FFFD);                /* cut short by the end */
}

static void test_escape_truncated_sequence_not_read_past_len(void **state)
{
    /* The sequence continues in memory but not within len: it must be replaced. */
    static const char text[] = "\xe2\x82\xac";
    struct buf b;
    buf_init(&b, 0);
    char *copy = malloc(2);
    assert_non_null(copy);
    memcpy(copy, text, 2);
    assert_int_equal(json_escape_append(&b, copy, 2), 0);
    assert_int_equal(b.len, 6);
    assert_memory_equal(b.data, FFFD FFFD, 6);
    free(copy);
    buf_free(&b);
}

static void test_escape_output_is_valid_json(void **state)
{
    /* Every byte value, escaped inside quotes, must load back as one JSON string. */
    char all[256];
    for (int i = 0; i < 256; i++)
        all[i] = (char)i;
    struct buf b;
    buf_init(&b, 0);
    assert_int_equal(buf_append(&b, "\"", 1), 0);
    assert_int_equal(json_escape_append(&b, all, sizeof all), 0);
    assert_int_equal(buf_append(&b, "\"", 1), 0);
    json_error_t jerr;
    json_t *v = json_loadb(b.data, b.len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    assert_non_null(v);
    assert_true(json_is_string(v));
    /* The 128 ASCII bytes come back unchanged; the others each became U+FFFD. */
    assert_int_equal(json_string_length(v), 128 + 128 * 3);
    assert_memory_equal(json_string_value(v), all, 128);
    json_decref(v);
    buf_free(&b);
}

static void test_escape_fails_at_cap(void **state)
{
    struct buf b;
    buf_init(&b, 4);
    assert_int_equal(json_escape_append(&b, "abcde", 5), -1);
    assert_int_equal(b.len, 0);
    assert_int_equal(json_escape_append(&b, "abc", 3), 0);
    assert_int_equal(json_escape_append(&b, "\n", 1), -1);
    assert_int_equal(b.len, 3);
    buf_free(&b);
}

/* ---- json_only_members ---------------------------------------------------------------- */

static void test_only_members(void **state)
{
    static const char *const allowed[] = {"config", "eventTypes", "isActive", NULL};
    struct error err = {0};
    json_t *ok = json_pack("{s:{}, s:b}", "config", "isActive", 1);
    json_t *empty = json_object();
    json_t *extra = json_pack("{s:{}, s:s}", "config", "plan", "enterprise");
    assert_int_equal(json_only_members(ok, allowed, &err), 0);
    assert_int_equal(json_only_members(empty, allowed, &err), 0);
    assert_int_equal(json_only_members(extra, allowed, &err), -1);
    assert_int_equal(err.code, ERR_VALIDATION);
    assert_string_equal(err.message,
                        "unknown field 'plan'; expected config, eventTypes or isActive");
    static const char *const one[] = {"name", NULL};
    assert_int_equal(json_only_members(extra, one, &err), -1);
    assert_non_null(strstr(err.message, "expected name"));
    json_decref(ok);
    json_decref(empty);
    json_decref(extra);
}

/* ---- json_get_string / json_dump_compact ---------------------------------------------- */

static void test_get_string(void **state)
{
    json_t *o = json_pack("{s:s, s:i, s:n}", "name", "Acme", "count", 3, "nothing");
    assert_non_null(o);
    bool bad = false;
    assert_string_equal(json_get_string(o, "name", &bad), "Acme");
    assert_false(bad);
    assert_null(json_get_string(o, "absent", &bad));
    assert_false(bad);
    assert_null(json_get_string(o, "nothing", &bad));
    assert_false(bad);
    assert_null(json_get_string(o, "count", &bad));
    assert_true(bad);
    json_decref(o);
}

static void test_dump_compact(void **state)
{
    json_t *o = json_pack("{s:[i,i], s:s}", "a", 1, 2, "b", "x");
    assert_non_null(o);
    size_t len = 0;
    char *s = json_dump_compact(o, &len);
    assert_non_null(s);
    assert_string_equal(s, "{\"a\":[1,2],\"b\":\"x\"}");
    assert_int_equal(len, strlen(s));
    free(s);
    json_decref(o);

    json_t *str = json_string("bare");
    s = json_dump_compact(str, &len);
    assert_string_equal(s, "\"bare\"");
    free(s);
    json_decref(str);
}

/* ---- error table ---------------------------------------------------------------------- */

static void test_error_set_and_clear(void **state)
{
    struct error err = {0};
    assert_int_equal(error_set(&err, ERR_NOT_FOUND, "no project %s (%d)", "p1", 7), -1);
    assert_int_equal(err.code, ERR_NOT_FOUND);
    assert_string_equal(err.message, "no project p1 (7)");
    error_clear(&err);
    assert_int_equal(err.code, ERR_OK);
    assert_string_equal(err.message, "");
    assert_int_equal(error_set(NULL, ERR_INTERNAL, "ignored"), -1);
    error_clear(NULL);
}

static void test_error_set_truncates(void **state)
{
    struct error err = {0};
    char long_text[1000];
    memset(long_text, 'x', sizeof long_text - 1);
    long_text[sizeof long_text - 1] = '\0';
    error_set(&err, ERR_VALIDATION, "%s", long_text);
    assert_int_equal(strlen(err.message), sizeof err.message - 1);
}

static void test_error_table_complete(void **state)
{
    for (int c = 0; c < ERR__COUNT; c++) {
        int status = error_http_status((enum err_code)c);
        const char *str = error_code_str((enum err_code)c);
        assert_true(status >= 200 && status <= 599);
        assert_non_null(str);
        assert_true(str[0] != '\0');
        /* codes are stable identifiers: lowercase and underscores only */
        for (const char *p = str; *p; p++)
            assert_true((*p >= 'a' && *p <= 'z') || *p == '_');
        /* and distinct */
        for (int d = 0; d < c; d++)
            assert_string_not_equal(str, error_code_str((enum err_code)d));
        /* only ERR_OK is a success */
        if (c != ERR_OK)
            assert_true(status >= 400);
    }
}

static void test_error_table_known_rows(void **state)
{
    static const struct {
        enum err_code code;
        int status;
        const char *str;
    } rows[] = {
        {ERR_OK, 200, "ok"},
        {ERR_BAD_REQUEST, 400, "bad_request"},
        {ERR_INVALID_JSON, 400, "invalid_json"},
        {ERR_UNAUTHORIZED, 401, "unauthorized"},
        {ERR_FORBIDDEN, 403, "forbidden"},
        {ERR_NOT_FOUND, 404, "not_found"},
        {ERR_METHOD_NOT_ALLOWED, 405, "method_not_allowed"},
        {ERR_CONFLICT, 409, "conflict"},
        {ERR_PAYLOAD_TOO_LARGE, 413, "payload_too_large"},
        {ERR_UNSUPPORTED_MEDIA, 415, "unsupported_media_type"},
        {ERR_VALIDATION, 422, "validation_failed"},
        {ERR_INTERNAL, 500, "internal_error"},
        {ERR_STORE, 500, "store_error"},
        {ERR_UNAVAILABLE, 503, "unavailable"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        assert_int_equal(error_http_status(rows[i].code), rows[i].status);
        assert_string_equal(error_code_str(rows[i].code), rows[i].str);
    }
}

static void test_error_unknown_code(void **state)
{
    assert_int_equal(error_http_status(ERR__COUNT), 500);
    assert_int_equal(error_http_status((enum err_code)(ERR__COUNT + 100)), 500);
    assert_int_equal(error_http_status((enum err_code)-1), 500);
    assert_string_equal(error_code_str(ERR__COUNT), "internal_error");
    assert_string_equal(error_code_str((enum err_code)-1), "internal_error");
}

/* ---- http_respond_error --------------------------------------------------------------- */

/* Builds the error response for err (+ extra) and returns the parsed body. */
static json_t *respond(struct http_response *res, const struct error *err, json_t *extra)
{
    memset(res, 0, sizeof *res);
    buf_init(&res->body, HTTP_RESPONSE_BODY_CAP);
    assert_int_equal(http_respond_error(res, err, extra), 0);
    assert_non_null(res->content_type);
    assert_string_equal(res->content_type, "application/json");
    json_error_t jerr;
    json_t *body = json_loadb(res->body.data, res->body.len, JSON_REJECT_DUPLICATES, &jerr);
    assert_non_null(body);
    return body;
}

static void test_respond_error_shape(void **state)
{
    struct error err = {0};
    error_set(&err, ERR_NOT_FOUND, "no project p1");
    struct http_response res;
    json_t *body = respond(&res, &err, NULL);
    assert_int_equal(res.status, 404);
    assert_int_equal(json_object_size(body), 1);
    json_t *inner = json_object_get(body, "error");
    assert_true(json_is_object(inner));
    assert_int_equal(json_object_size(inner), 2);
    assert_string_equal(json_string_value(json_object_get(inner, "code")), "not_found");
    assert_string_equal(json_string_value(json_object_get(inner, "message")), "no project p1");
    json_decref(body);
    buf_free(&res.body);
}

static void test_respond_error_every_code(void **state)
{
    for (int c = 1; c < ERR__COUNT; c++) {
        struct error err = {0};
        error_set(&err, (enum err_code)c, "detail for %d", c);
        struct http_response res;
        json_t *body = respond(&res, &err, NULL);
        assert_int_equal(res.status, error_http_status((enum err_code)c));
        json_t *inner = json_object_get(body, "error");
        assert_string_equal(json_string_value(json_object_get(inner, "code")),
                            error_code_str((enum err_code)c));
        const char *message = json_string_value(json_object_get(inner, "message"));
        assert_non_null(message);
        /* 502: the outside service's failure; awaiting_secret: what the provider should do.
         * Both messages are ours; every other 5xx hides its detail. */
        if (res.status >= 500 && res.status != 502 && c != ERR_AWAITING_SECRET)
            assert_null(strstr(message, "detail"));
        else
            assert_string_equal(message, err.message);
        json_decref(body);
        buf_free(&res.body);
    }
}

static void test_respond_error_awaiting_secret_says_why(void **state)
{
    struct error err = {0};
    error_set(&err, ERR_AWAITING_SECRET, "this connector is waiting for its webhook secret");
    struct http_response res;
    json_t *body = respond(&res, &err, NULL);
    assert_int_equal(res.status, 503);
    json_t *inner = json_object_get(body, "error");
    assert_string_equal(json_string_value(json_object_get(inner, "code")), "awaiting_secret");
    assert_string_equal(json_string_value(json_object_get(inner, "message")), err.message);
    json_decref(body);
    buf_free(&res.body);
}

static void test_respond_error_hides_5xx_detail(void **state)
{
    static const enum err_code codes[] = {ERR_INTERNAL, ERR_STORE, ERR_CONFIG, ERR_IO,
                                          ERR_UNAVAILABLE};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        struct error err = {0};
        error_set(&err, codes[i], "sqlite: disk I/O error at /var/secret/connectord.db");
        struct http_response res;
        json_t *body = respond(&res, &err, NULL);
        assert_true(res.status >= 500);
        const char *message =
            json_string_value(json_object_get(json_object_get(body, "error"), "message"));
        /* 503 says "try again later"; the other 5xx point at the log. Neither leaks. */
        assert_string_equal(message, codes[i] == ERR_UNAVAILABLE
                                         ? "the service is unavailable; try again later"
                                         : "internal error; see the server log");
        assert_null(strstr(res.body.data, "secret"));
        assert_null(strstr(res.body.data, "sqlite"));
        json_decref(body);
        buf_free(&res.body);
    }
}

static void test_respond_error_empty_message(void **state)
{
    struct error err = {.code = ERR_CONFLICT, .message = ""};
    struct http_response res;
    json_t *body = respond(&res, &err, NULL);
    assert_int_equal(res.status, 409);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(body, "error"), "message")),
        "conflict");
    json_decref(body);
    buf_free(&res.body);
}

static void test_respond_error_unknown_code(void **state)
{
    struct error err = {.code = (enum err_code)(ERR__COUNT + 3)};
    error_set(&err, err.code, "internal detail");
    struct http_response res;
    json_t *body = respond(&res, &err, NULL);
    assert_int_equal(res.status, 500);
    json_t *inner = json_object_get(body, "error");
    assert_string_equal(json_string_value(json_object_get(inner, "code")), "internal_error");
    assert_null(strstr(res.body.data, "internal detail"));
    json_decref(body);
    buf_free(&res.body);
}

static void test_respond_error_escapes_message(void **state)
{
    struct error err = {0};
    error_set(&err, ERR_INVALID_FIELD, "field \"name\" has \\ and\nnewline");
    struct http_response res;
    json_t *body = respond(&res, &err, NULL);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(body, "error"), "message")),
        "field \"name\" has \\ and\nnewline");
    json_decref(body);
    buf_free(&res.body);
}

static void test_respond_error_extra_merged(void **state)
{
    struct error err = {0};
    error_set(&err, ERR_PLAN_REQUIRED, "this needs the pro plan");
    json_t *extra = json_pack("{s:s, s:[s]}", "requiredPlan", "pro", "fields", "name");
    assert_non_null(extra);
    struct http_response res;
    json_t *body = respond(&res, &err, extra); /* reference stolen */
    assert_int_equal(res.status, 403);
    assert_int_equal(json_object_size(body), 1);
    json_t *inner = json_object_get(body, "error");
    assert_int_equal(json_object_size(inner), 4);
    assert_string_equal(json_string_value(json_object_get(inner, "code")), "plan_required");
    assert_string_equal(json_string_value(json_object_get(inner, "message")),
                        "this needs the pro plan");
    assert_string_equal(json_string_value(json_object_get(inner, "requiredPlan")), "pro");
    assert_string_equal(json_string_value(json_array_get(json_object_get(inner, "fields"), 0)),
                        "name");
    json_decref(body);
    buf_free(&res.body);
}

static void test_respond_error_extra_cannot_replace_code_or_message(void **state)
{
    /* extra adds members beside code and message; it must not change them, or a 5xx
     * could carry a detail after all. */
    struct error err = {0};
    error_set(&err, ERR_STORE, "constraint failed on table secrets");
    json_t *extra = json_pack("{s:s, s:s, s:b}", "code", "ok", "message",
                              "constraint failed on table secrets", "retryable", 1);
    assert_non_null(extra);
    struct http_response res;
    json_t *body = respond(&res, &err, extra);
    assert_int_equal(res.status, 500);
    json_t *inner = json_object_get(body, "error");
    assert_string_equal(json_string_value(json_object_get(inner, "code")), "store_error");
    assert_string_equal(json_string_value(json_object_get(inner, "message")),
                        "internal error; see the server log");
    assert_true(json_is_true(json_object_get(inner, "retryable")));
    assert_null(strstr(res.body.data, "secrets"));
    json_decref(body);
    buf_free(&res.body);
}

static void test_respond_error_replaces_previous_body(void **state)
{
    struct http_response res = {0};
    buf_init(&res.body, HTTP_RESPONSE_BODY_CAP);
    assert_int_equal(buf_append_str(&res.body, "{\"partial\":"), 0);
    struct error err = {0};
    error_set(&err, ERR_BAD_REQUEST, "bad");
    assert_int_equal(http_respond_error(&res, &err, NULL), 0);
    assert_int_equal(res.status, 400);
    assert_string_equal(res.body.data, "{\"error\":{\"code\":\"bad_request\",\"message\":\"bad\"}}");
    buf_free(&res.body);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_empty_body),
        cmocka_unit_test(test_parse_malformed),
        cmocka_unit_test(test_parse_respects_length),
        cmocka_unit_test(test_parse_duplicate_keys_rejected),
        cmocka_unit_test(test_parse_not_an_object),
        cmocka_unit_test(test_parse_valid_object),
        cmocka_unit_test(test_parse_null_err_allowed),
        cmocka_unit_test(test_escape_plain),
        cmocka_unit_test(test_escape_quotes_and_backslash),
        cmocka_unit_test(test_escape_control_chars),
        cmocka_unit_test(test_escape_as_jansson_dumps),
        cmocka_unit_test(test_escape_embedded_nul),
        cmocka_unit_test(test_escape_valid_utf8_passes),
        cmocka_unit_test(test_escape_invalid_utf8_replaced),
        cmocka_unit_test(test_escape_truncated_sequence_not_read_past_len),
        cmocka_unit_test(test_escape_output_is_valid_json),
        cmocka_unit_test(test_escape_fails_at_cap),
        cmocka_unit_test(test_get_string),
        cmocka_unit_test(test_dump_compact),
        cmocka_unit_test(test_error_set_and_clear),
        cmocka_unit_test(test_error_set_truncates),
        cmocka_unit_test(test_error_table_complete),
        cmocka_unit_test(test_error_table_known_rows),
        cmocka_unit_test(test_error_unknown_code),
        cmocka_unit_test(test_respond_error_shape),
        cmocka_unit_test(test_respond_error_every_code),
        cmocka_unit_test(test_respond_error_awaiting_secret_says_why),
        cmocka_unit_test(test_respond_error_hides_5xx_detail),
        cmocka_unit_test(test_respond_error_empty_message),
        cmocka_unit_test(test_respond_error_unknown_code),
        cmocka_unit_test(test_respond_error_escapes_message),
        cmocka_unit_test(test_respond_error_extra_merged),
        cmocka_unit_test(test_respond_error_extra_cannot_replace_code_or_message),
        cmocka_unit_test(test_respond_error_replaces_previous_body),
        cmocka_unit_test(test_only_members),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
