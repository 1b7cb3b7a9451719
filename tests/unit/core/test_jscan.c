/* tests/unit/core/test_jscan.c - the field reader (src/core/jscan.c): the values it finds
 * by path, and that it accepts and refuses the same texts as jansson's json_loadb() with
 * flags 0, which it replaces for webhook bodies (the fuzz harness tests/fuzz/fuzz_jscan.c
 * checks the same over mutated inputs). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "core/jscan.h"

static int scan(const char *text, const char *const *paths, size_t n, struct jscan_value *out)
{
    struct error err = {0};
    int rc = jscan_fields(text, strlen(text), paths, n, out, &err);
    if (rc < 0)
        assert_int_equal(err.code, ERR_INVALID_JSON);
    return rc;
}

static void test_fields_by_path(void **state)
{
    static const char *const paths[] = {"type", "data.object.amount_paid", "data.object.currency",
                                        "data.object", "data.missing", "id.x", "list", "n"};
    const char *body = "{\"id\":\"evt_1\",\"type\":\"invoice.paid\",\"data\":{\"object\":"
                       "{\"amount_paid\":9900,\"currency\":\"eur\",\"x\":[1,{}]}},"
                       "\"list\":[1,2,3],\"n\":null}";
    struct jscan_value v[8];
    char buf[64];
    assert_int_equal(scan(body, paths, 8, v), 0);
    assert_int_equal(v[0].type, JSCAN_STRING);
    assert_int_equal(jscan_string(&v[0], buf, sizeof buf), 12);
    assert_string_equal(buf, "invoice.paid");
    assert_int_equal(v[1].type, JSCAN_INTEGER);
    assert_int_equal(v[1].integer, 9900);
    assert_int_equal(jscan_string(&v[2], buf, sizeof buf), 3);
    assert_string_equal(buf, "eur");
    assert_int_equal(v[3].type, JSCAN_OBJECT);
    assert_int_equal(v[3].members, 3);
    assert_int_equal(v[3].text[0], '{');
    assert_int_equal(v[3].text[v[3].len - 1], '}');
    assert_int_equal(v[4].type, JSCAN_ABSENT);
    assert_int_equal(v[5].type, JSCAN_ABSENT); /* id is a string: nothing inside it */
    assert_int_equal(v[6].type, JSCAN_ARRAY);
    assert_int_equal(v[6].members, 3);
    assert_int_equal(v[7].type, JSCAN_NULL);
    assert_int_equal(jscan_string(&v[1], buf, sizeof buf), -1); /* not a string */
}

static void test_escapes_decoded(void **state)
{
    static const char *const paths[] = {"s", "caf\xc3\xa9"};
    struct jscan_value v[2];
    char buf[64];
    assert_int_equal(scan("{\"s\":\"a\\\"b\\\\c\\/\\n\\u00e9\\ud83d\\ude00\","
                          "\"caf\\u00e9\":true}",
                          paths, 2, v),
                     0);
    assert_true(v[0].escaped);
    long n = jscan_string(&v[0], buf, sizeof buf);
    assert_int_equal(n, 13);
    assert_memory_equal(buf, "a\"b\\c/\n\xc3\xa9\xf0\x9f\x98\x80", 14);
    assert_int_equal(jscan_string(&v[0], buf, 13), -1); /* no room for the NUL */
    assert_int_equal(v[1].type, JSCAN_TRUE);             /* the key matched decoded */
}

static void test_duplicate_key_keeps_last(void **state)
{
    static const char *const paths[] = {"a.b", "a.c", "a"};
    struct jscan_value v[3];
    assert_int_equal(scan("{\"a\":{\"b\":1,\"c\":2},\"a\":{\"b\":3}}", paths, 3, v), 0);
    assert_int_equal(v[0].integer, 3);
    assert_int_equal(v[1].type, JSCAN_ABSENT);
    assert_int_equal(v[2].members, 1);
    assert_int_equal(scan("{\"a\":{\"b\":1},\"a\":7}", paths, 3, v), 0);
    assert_int_equal(v[0].type, JSCAN_ABSENT);
    assert_int_equal(v[2].type, JSCAN_INTEGER);
}

static void test_integers_exact(void **state)
{
    static const char *const paths[] = {"min", "max", "neg0", "real", "exp"};
    struct jscan_value v[5];
    assert_int_equal(scan("{\"min\":-9223372036854775808,\"max\":9223372036854775807,"
                          "\"neg0\":-0,\"real\":1.0,\"exp\":1e2}",
                          paths, 5, v),
                     0);
    assert_true(v[0].integer == INT64_MIN);
    assert_true(v[1].integer == INT64_MAX);
    assert_int_equal(v[2].type, JSCAN_INTEGER);
    assert_int_equal(v[2].integer, 0);
    assert_int_equal(v[3].type, JSCAN_REAL); /* not an integer, as in jansson */
    assert_int_equal(v[4].type, JSCAN_REAL);
}

/* Texts on both sides of every rule; each is given to jansson too, which must agree. */
static const char *const texts[] = {
    "{}", "[]", " {\"a\":[1,2,{\"b\":null}]} \n", "{\"a\":1e-400}", "{\"a\":-0.5E+3}",
    "{\"a\":\"\\u20ac\"}", "{\"a\":\"\xe2\x82\xac\"}", "[1]\t\r\n ",
    /* refused */
    "", " ", "1", "\"a\"", "null", "{", "[1,]", "{\"a\":1,}", "{\"a\" 1}", "{a:1}", "{\"a\":01}",
    "{\"a\":-}", "{\"a\":1.}", "{\"a\":1e}", "{\"a\":.5}", "{\"a\":+1}", "{\"a\":1e400}",
    "{\"a\":9223372036854775808}", "{\"a\":-9223372036854775809}",
    "{\"a\":99999999999999999999999}", "{\"a\":tru}", "{\"a\":nul}", "{\"a\":\"\\x\"}",
    "{\"a\":\"\\u12\"}", "{\"a\":\"\\u0000\"}", "{\"a\\u0000\":1}", "{\"a\":\"\\ud800\"}",
    "{\"a\":\"\\udc00\"}", "{\"a\":\"\\ud800\\u0041\"}", "{\"a\":\"\xed\xa0\x80\"}",
    "{\"a\":\"\xc0\xaf\"}", "{\"a\":\"\xf4\x90\x80\x80\"}", "{\"a\":\"\xe2\x82\"}",
    "{\"a\":\"\x01\"}", "{\"a\":\"tab\there\"}", "{\"a\":1} x", "{\"a\":1}{}", "[1] ]",
    "{\"a\":\"unterminated}", "\xef\xbb\xbf{}",
};

static void test_same_verdicts_as_jansson(void **state)
{
    static const char *const paths[] = {"a"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        struct jscan_value v;
        json_t *j = json_loadb(texts[i], strlen(texts[i]), 0, NULL);
        int rc = scan(texts[i], paths, 1, &v);
        if ((rc == 0) != (j != NULL))
            fail_msg("text %zu (%s): jscan %d, jansson %s", i, texts[i], rc, j ? "ok" : "refused");
        json_decref(j);
    }
}

/* A NUL byte inside the length is refused; a text is never read past its length. */
static void test_embedded_nul(void **state)
{
    static const char *const paths[] = {"a"};
    struct jscan_value v;
    struct error err = {0};
    assert_int_equal(jscan_fields("{\"a\":\"x\0\"}", 10, paths, 1, &v, &err), -1);
    assert_int_equal(jscan_fields("{\"a\":1}\0", 8, paths, 1, &v, &err), -1);
    assert_int_equal(jscan_fields("{\"a\":12}", 7, paths, 1, &v, &err), -1);
    /* jansson loses a NUL right after a number or literal, and so accepts these. */
    assert_int_equal(jscan_fields("{\"a\":1\0}", 8, paths, 1, &v, &err), 0);
    assert_int_equal(v.integer, 1);
    assert_int_equal(jscan_fields("{\"a\":true\0,\"b\":1}", 17, paths, 1, &v, &err), 0);
    assert_int_equal(jscan_fields("{\"a\":1\0\0}", 9, paths, 1, &v, &err), -1);
    for (size_t i = 0; i < 3; i++) {
        static const char *const nul_texts[] = {"{\"a\":1\0}", "{\"a\":true\0,\"b\":1}",
                                            "{\"a\":1\0\0}"};
        static const size_t lens[] = {8, 17, 9};
        json_t *j = json_loadb(nul_texts[i], lens[i], 0, NULL);
        assert_int_equal(j != NULL, jscan_fields(nul_texts[i], lens[i], paths, 1, &v, &err) == 0);
        json_decref(j);
    }
}

/* jansson's bound: 2048 nested containers pass, a scalar inside them or one more does not. */
static void test_nesting_bound(void **state)
{
    static const char *const paths[] = {"a"};
    enum { N = JSCAN_MAX_DEPTH + 1 };
    char *text = malloc(2 * N + 2);
    struct jscan_value v;
    struct error err = {0};
    assert_non_null(text);
    for (size_t depth = N - 2; depth <= N; depth++) {
        for (int scalar = 0; scalar < 2; scalar++) {
            size_t k = 0;
            for (size_t i = 0; i < depth; i++)
                text[k++] = '[';
            if (scalar)
                text[k++] = '1';
            for (size_t i = 0; i < depth; i++)
                text[k++] = ']';
            json_t *j = json_loadb(text, k, 0, NULL);
            int rc = jscan_fields(text, k, paths, 1, &v, &err);
            assert_int_equal(rc == 0, j != NULL);
            assert_int_equal(rc == 0, depth + (size_t)scalar <= JSCAN_MAX_DEPTH);
            json_decref(j);
        }
    }
    free(text);
}

static void test_paths_bounded(void **state)
{
    static const char *const too_deep[] = {"a.b.c.d.e.f.g.h.i"};
    static const char *const empty_member[] = {"a..b"};
    struct jscan_value v;
    struct error err = {0};
    assert_int_equal(jscan_fields("{}", 2, too_deep, 1, &v, &err), -1);
    assert_int_equal(err.code, ERR_INTERNAL);
    assert_int_equal(jscan_fields("{}", 2, empty_member, 1, &v, &err), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fields_by_path),
        cmocka_unit_test(test_escapes_decoded),
        cmocka_unit_test(test_duplicate_key_keeps_last),
        cmocka_unit_test(test_integers_exact),
        cmocka_unit_test(test_same_verdicts_as_jansson),
        cmocka_unit_test(test_embedded_nul),
        cmocka_unit_test(test_nesting_bound),
        cmocka_unit_test(test_paths_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
