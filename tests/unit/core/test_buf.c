/* tests/unit/core/test_buf.c - the capped byte buffer (src/core/buf.c).
 *
 * The cap is what keeps outside input from growing memory without bound, so most tests
 * check that an append past it fails and leaves the bytes exactly as they were. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "core/buf.h"

static void test_init_empty(void **state)
{
    struct buf b;
    buf_init(&b, 100);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.cap, 100);
    buf_reset(&b); /* on a buffer that never allocated */
    assert_int_equal(b.len, 0);
    buf_free(&b);
    assert_null(b.data);
}

static void test_append_and_terminate(void **state)
{
    struct buf b;
    buf_init(&b, 0);
    assert_int_equal(buf_append(&b, "hello", 5), 0);
    assert_int_equal(buf_append_str(&b, ", world"), 0);
    assert_int_equal(b.len, 12);
    assert_string_equal(b.data, "hello, world");
    assert_int_equal(buf_append(&b, "", 0), 0);
    assert_int_equal(b.len, 12);
    buf_free(&b);
}

static void test_append_nothing_gives_empty_string(void **state)
{
    struct buf b;
    buf_init(&b, 0);
    assert_int_equal(buf_append(&b, NULL, 0), 0);
    assert_non_null(b.data);
    assert_string_equal(b.data, "");
    buf_free(&b);
}

static void test_grows_past_first_allocation(void **state)
{
    struct buf b;
    buf_init(&b, 0);
    char chunk[100];
    for (int i = 0; i < 1000; i++) {
        memset(chunk, 'a' + i % 26, sizeof chunk);
        assert_int_equal(buf_append(&b, chunk, sizeof chunk), 0);
    }
    assert_int_equal(b.len, 100000);
    assert_true(b.alloc > b.len);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(b.data[i * 100 + 99], 'a' + i % 26);
    assert_int_equal(b.data[b.len], '\0');
    buf_free(&b);
}

static void test_cap_exact_fit(void **state)
{
    struct buf b;
    buf_init(&b, 8);
    assert_int_equal(buf_append(&b, "1234", 4), 0);
    assert_int_equal(buf_append(&b, "5678", 4), 0); /* len == cap is allowed */
    assert_int_equal(b.len, 8);
    assert_string_equal(b.data, "12345678");
    buf_free(&b);
}

static void test_cap_enforced_content_unchanged(void **state)
{
    struct buf b;
    buf_init(&b, 8);
    assert_int_equal(buf_append(&b, "12345", 5), 0);
    assert_int_equal(buf_append(&b, "6789", 4), -1); /* one byte too many */
    assert_int_equal(b.len, 5);
    assert_string_equal(b.data, "12345");
    assert_int_equal(buf_append_str(&b, "abcdefghijk"), -1);
    assert_int_equal(b.len, 5);
    assert_string_equal(b.data, "12345");
    /* what still fits is accepted after a refusal */
    assert_int_equal(buf_append(&b, "678", 3), 0);
    assert_string_equal(b.data, "12345678");
    assert_int_equal(buf_append(&b, "9", 1), -1);
    assert_string_equal(b.data, "12345678");
    buf_free(&b);
}

static void test_cap_on_first_append(void **state)
{
    struct buf b;
    buf_init(&b, 3);
    assert_int_equal(buf_append(&b, "abcd", 4), -1);
    assert_int_equal(b.len, 0);
    assert_null(b.data); /* nothing was allocated for a refused append */
    buf_free(&b);
}

static void test_huge_length_refused(void **state)
{
    struct buf b;
    buf_init(&b, 0);
    assert_int_equal(buf_append(&b, "x", 1), 0);
    /* a length that would overflow len + 1 is refused before any copy */
    assert_int_equal(buf_append(&b, "y", SIZE_MAX), -1);
    assert_int_equal(buf_append(&b, "y", SIZE_MAX - 1), -1);
    assert_int_equal(b.len, 1);
    assert_string_equal(b.data, "x");
    buf_free(&b);
}

static void test_printf(void **state)
{
    struct buf b;
    buf_init(&b, 0);
    assert_int_equal(buf_printf(&b, "%s=%d", "n", 42), 0);
    assert_int_equal(buf_printf(&b, ";%05.1f;%zu", 3.14159, (size_t)7), 0);
    assert_string_equal(b.data, "n=42;003.1;7");
    assert_int_equal(b.len, strlen("n=42;003.1;7"));
    assert_int_equal(buf_printf(&b, "%s", ""), 0);
    assert_int_equal(b.len, strlen("n=42;003.1;7"));
    buf_free(&b);
}

static void test_printf_long_output(void **state)
{
    struct buf b;
    buf_init(&b, 0);
    assert_int_equal(buf_printf(&b, "%1000d|", 7), 0);
    assert_int_equal(b.len, 1001);
    assert_int_equal(b.data[999], '7');
    assert_int_equal(b.data[1000], '|');
    assert_int_equal(b.data[1001], '\0');
    buf_free(&b);
}

static void test_printf_respects_cap(void **state)
{
    struct buf b;
    buf_init(&b, 10);
    assert_int_equal(buf_printf(&b, "%s", "abcdef"), 0);
    assert_int_equal(buf_printf(&b, "%d", 12345), -1);
    assert_int_equal(b.len, 6);
    assert_string_equal(b.data, "abcdef");
    assert_int_equal(buf_printf(&b, "%d", 1234), 0); /* exactly to the cap */
    assert_string_equal(b.data, "abcdef1234");
    buf_free(&b);
}

/* buf_append_int writes what "%lld" writes, at the extremes too, and keeps to the cap. */
static void test_append_int_is_printf(void **state)
{
    static const long long values[] = {0, 7, -7, 10, -10, 99, 1000000007, -1234567890123LL,
                                       LLONG_MAX, LLONG_MIN};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        char want[32];
        snprintf(want, sizeof want, "%lld", values[i]);
        struct buf b;
        buf_init(&b, 0);
        assert_int_equal(buf_append(&b, "x", 1), 0);
        assert_int_equal(buf_append_int(&b, values[i]), 0);
        assert_string_equal(b.data + 1, want);
        assert_int_equal(b.len, 1 + strlen(want));
        buf_free(&b);
    }
    struct buf capped;
    buf_init(&capped, 4);
    assert_int_equal(buf_append_int(&capped, 12345), -1);
    assert_int_equal(capped.len, 0);
    assert_int_equal(buf_append_int(&capped, -123), 0);
    assert_string_equal(capped.data, "-123");
    buf_free(&capped);
}

static void test_take(void **state)
{
    struct buf b;
    buf_init(&b, 64);
    assert_int_equal(buf_append_str(&b, "owned by the caller"), 0);
    size_t len = 0;
    char *p = buf_take(&b, &len);
    assert_non_null(p);
    assert_int_equal(len, 19);
    assert_string_equal(p, "owned by the caller");
    /* the buffer is empty again, keeps its cap, and is usable */
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.cap, 64);
    assert_int_equal(buf_append_str(&b, "again"), 0);
    assert_string_equal(b.data, "again");
    assert_ptr_not_equal(b.data, p);
    free(p);
    buf_free(&b);
}

static void test_take_empty(void **state)
{
    struct buf b;
    buf_init(&b, 0);
    size_t len = 99;
    assert_null(buf_take(&b, &len));
    assert_int_equal(len, 0);
    assert_null(buf_take(&b, NULL));
}

static void test_binary_with_nuls(void **state)
{
    static const unsigned char bytes[] = {'a', 0, 'b', 0, 0, 0xff, 0x80, 'c'};
    struct buf b;
    buf_init(&b, 0);
    assert_int_equal(buf_append(&b, bytes, sizeof bytes), 0);
    assert_int_equal(buf_append(&b, bytes, sizeof bytes), 0);
    assert_int_equal(b.len, 2 * sizeof bytes);
    assert_memory_equal(b.data, bytes, sizeof bytes);
    assert_memory_equal(b.data + sizeof bytes, bytes, sizeof bytes);
    assert_int_equal(b.data[b.len], '\0');
    size_t len = 0;
    char *p = buf_take(&b, &len);
    assert_int_equal(len, 2 * sizeof bytes);
    assert_memory_equal(p + sizeof bytes, bytes, sizeof bytes);
    free(p);
}

static void test_reset_keeps_memory(void **state)
{
    struct buf b;
    buf_init(&b, 0);
    assert_int_equal(buf_append_str(&b, "first"), 0);
    char *data = b.data;
    buf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_string_equal(b.data, "");
    assert_ptr_equal(b.data, data);
    assert_int_equal(buf_append_str(&b, "second"), 0);
    assert_string_equal(b.data, "second");
    buf_free(&b);
}

static void test_reset_frees_cap_room(void **state)
{
    struct buf b;
    buf_init(&b, 4);
    assert_int_equal(buf_append(&b, "abcd", 4), 0);
    assert_int_equal(buf_append(&b, "e", 1), -1);
    buf_reset(&b);
    assert_int_equal(buf_append(&b, "wxyz", 4), 0);
    assert_string_equal(b.data, "wxyz");
    buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_empty),
        cmocka_unit_test(test_append_and_terminate),
        cmocka_unit_test(test_append_nothing_gives_empty_string),
        cmocka_unit_test(test_grows_past_first_allocation),
        cmocka_unit_test(test_cap_exact_fit),
        cmocka_unit_test(test_cap_enforced_content_unchanged),
        cmocka_unit_test(test_cap_on_first_append),
        cmocka_unit_test(test_huge_length_refused),
        cmocka_unit_test(test_printf),
        cmocka_unit_test(test_printf_long_output),
        cmocka_unit_test(test_printf_respects_cap),
        cmocka_unit_test(test_take),
        cmocka_unit_test(test_take_empty),
        cmocka_unit_test(test_binary_with_nuls),
        cmocka_unit_test(test_reset_keeps_memory),
        cmocka_unit_test(test_reset_frees_cap_room),
        cmocka_unit_test(test_append_int_is_printf),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
