/* tests/unit/inbound/test_sig_fields.c - a body's fields read without a tree
 * (src/inbound/sig.c, sig_fields_*): the same answers as sig_json_* on the whole tree,
 * whether the body was read by jscan or, because a list the parse walks holds something,
 * parsed into a tree. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "inbound/sig.h"

enum { F_TYPE, F_AMOUNT, F_NAME, F_PAID, F_NULL, F_OBJ, F_REAL, F_MISSING, F_LIST, F__COUNT };
static const char *const paths[F__COUNT] = {
    [F_TYPE] = "type",         [F_AMOUNT] = "data.amount", [F_NAME] = "data.name",
    [F_PAID] = "data.paid",    [F_NULL] = "data.pi",       [F_OBJ] = "data",
    [F_REAL] = "data.real",    [F_MISSING] = "data.none",  [F_LIST] = "data.list",
};
static struct sig_field_set set = SIG_FIELD_SET(paths, F__COUNT, F_LIST);

/* Every accessor on f agrees with sig_json_* on the tree of body. */
static void agrees_with_tree(const struct sig_fields *f, const char *body)
{
    json_t *tree = json_loads(body, 0, NULL);
    assert_non_null(tree);
    for (size_t i = 0; i < F_LIST; i++) {
        const char *a = sig_fields_str(f, i), *b = sig_json_str(tree, paths[i]);
        assert_true((a == NULL) == (b == NULL));
        if (a)
            assert_string_equal(a, b);
        int64_t x = 0, y = 0;
        assert_int_equal(sig_fields_int(f, i, &x), sig_json_int(tree, paths[i], &y));
        assert_true(x == y);
        assert_int_equal(sig_fields_has(f, i), sig_json_get(tree, paths[i]) != NULL);
        assert_int_equal(sig_fields_true(f, i), json_is_true(sig_json_get(tree, paths[i])));
        assert_int_equal(sig_fields_object(f, i), json_is_object(sig_json_get(tree, paths[i])));
    }
    json_decref(tree);
}

static void read_both_ways(const char *body, bool want_tree)
{
    struct sig_fields f;
    struct error err = {0};
    assert_int_equal(sig_fields_read(&f, &set, body, strlen(body), &err), 0);
    assert_int_equal(f.tree != NULL, want_tree);
    assert_int_equal(sig_fields_tree(&f, F_LIST) != NULL, want_tree);
    agrees_with_tree(&f, body);
    sig_fields_free(&f);
}

static void test_scanned_and_tree_agree(void **state)
{
    const char *scanned = "{\"type\":\"a\\u00e9\\\"b\",\"data\":{\"amount\":-12,\"name\":\"x\","
                          "\"paid\":true,\"pi\":null,\"real\":1.5,\"list\":[]}}";
    const char *tree = "{\"type\":\"a\\u00e9\\\"b\",\"data\":{\"amount\":-12,\"name\":\"x\","
                       "\"paid\":true,\"pi\":null,\"real\":1.5,\"list\":[{\"v\":1}]}}";
    read_both_ways(scanned, false);
    read_both_ways(tree, true);
    read_both_ways("{\"type\":7,\"data\":[1]}", false);
    read_both_ways("[]", false);
}

static void test_not_json(void **state)
{
    struct sig_fields f;
    struct error err = {0};
    assert_int_equal(sig_fields_read(&f, &set, "{\"type\":", 8, &err), -1);
    assert_int_equal(err.code, ERR_INVALID_JSON);
    sig_fields_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scanned_and_tree_agree),
        cmocka_unit_test(test_not_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
