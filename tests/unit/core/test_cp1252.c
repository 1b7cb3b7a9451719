/* tests/unit/core/test_cp1252.c - UTF-8 to Windows-1252 (src/core/cp1252.c).
 *
 * The expected bytes are written out by hand from the Windows-1252 table: Latin-1 maps to
 * itself, the 27 characters of 0x80..0x9F map there, everything else (and every byte of
 * invalid UTF-8) becomes '?'. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "core/cp1252.h"

/* Converts s and checks the bytes and the number of replacements. */
static void check(const char *utf8, const char *want, size_t want_len, size_t want_replaced)
{
    struct buf out;
    size_t replaced = 0;
    buf_init(&out, 0);
    assert_int_equal(cp1252_from_utf8(&out, utf8, strlen(utf8), &replaced), 0);
    assert_int_equal(out.len, want_len);
    if (want_len)
        assert_memory_equal(out.data, want, want_len);
    assert_int_equal(replaced, want_replaced);
    buf_free(&out);
}

static void test_ascii_unchanged(void **state)
{
    check("Figma Abo 03/2025; \"quoted\"", "Figma Abo 03/2025; \"quoted\"", 27, 0);
}

static void test_umlauts_and_sharp_s(void **state)
{
    /* ä ö ü ß Ä Ö Ü as UTF-8 -> E4 F6 FC DF C4 D6 DC */
    check("\xc3\xa4\xc3\xb6\xc3\xbc\xc3\x9f\xc3\x84\xc3\x96\xc3\x9c",
          "\xe4\xf6\xfc\xdf\xc4\xd6\xdc", 7, 0);
    check("M\xc3\xbcller & S\xc3\xb6hne Gro\xc3\x9fhandel", "M\xfcller & S\xf6hne Gro\xdfhandel",
          25, 0);
}

static void test_latin1_range_maps_to_itself(void **state)
{
    for (uint32_t cp = 0xA0; cp <= 0xFF; cp++)
        assert_int_equal(cp1252_byte(cp), (int)cp);
    for (uint32_t cp = 0; cp < 0x80; cp++)
        assert_int_equal(cp1252_byte(cp), (int)cp);
}

static void test_the_0x80_block(void **state)
{
    /* € ‚ ƒ „ … † ‡ ˆ ‰ Š ‹ Œ Ž ' ' " " • – — ˜ ™ š › œ ž Ÿ */
    static const struct {
        uint32_t cp;
        int byte;
    } rows[] = {
        {0x20AC, 0x80}, {0x201A, 0x82}, {0x0192, 0x83}, {0x201E, 0x84}, {0x2026, 0x85},
        {0x2020, 0x86}, {0x2021, 0x87}, {0x02C6, 0x88}, {0x2030, 0x89}, {0x0160, 0x8A},
        {0x2039, 0x8B}, {0x0152, 0x8C}, {0x017D, 0x8E}, {0x2018, 0x91}, {0x2019, 0x92},
        {0x201C, 0x93}, {0x201D, 0x94}, {0x2022, 0x95}, {0x2013, 0x96}, {0x2014, 0x97},
        {0x02DC, 0x98}, {0x2122, 0x99}, {0x0161, 0x9A}, {0x203A, 0x9B}, {0x0153, 0x9C},
        {0x017E, 0x9E}, {0x0178, 0x9F},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        assert_int_equal(cp1252_byte(rows[i].cp), rows[i].byte);
    check("\xe2\x82\xac 10 \xe2\x80\x93 \xe2\x80\x9equoted\xe2\x80\x9c", "\x80 10 \x96 \x84quoted\x93",
          15, 0);
}

static void test_c1_controls_and_unassigned_are_not_written(void **state)
{
    /* U+0080..U+009F are C1 controls, not the 0x80..0x9F characters */
    for (uint32_t cp = 0x80; cp < 0xA0; cp++)
        assert_int_equal(cp1252_byte(cp), -1);
    check("\xc2\x81", "?", 1, 1);
}

static void test_unmappable_become_question_marks(void **state)
{
    /* Łódź: Ł and ź are not in Windows-1252, ó is */
    check("\xc5\x81\xc3\xb3\x64\xc5\xba", "?\xf3" "d?", 4, 2);
    /* a CJK character (3 bytes) and an emoji (4 bytes): one '?' each */
    check("a\xe6\x97\xa5" "b\xf0\x9f\x98\x80" "c", "a?b?c", 5, 2);
}

static void test_invalid_utf8_one_question_mark_per_byte(void **state)
{
    check("a\xff" "b", "a?b", 3, 1);                  /* never valid */
    check("\xc3" "x", "?x", 2, 1);                   /* lead without continuation */
    check("\x80\x80", "??", 2, 2);                   /* stray continuations */
    check("\xc0\xaf", "??", 2, 2);                   /* overlong '/' */
    check("\xed\xa0\x80", "???", 3, 3);              /* a surrogate */
    check("\xf4\x90\x80\x80", "????", 4, 4);         /* past U+10FFFF */
    check("ok\xe2\x82", "ok??", 4, 2);               /* cut short at the end */
}

static void test_empty_and_nul_counter(void **state)
{
    struct buf out;
    buf_init(&out, 0);
    assert_int_equal(cp1252_from_utf8(&out, "", 0, NULL), 0);
    assert_int_equal(out.len, 0);
    assert_int_equal(cp1252_from_utf8(&out, "\xc5\x81", 2, NULL), 0); /* no counter given */
    assert_int_equal(out.len, 1);
    assert_int_equal(out.data[0], '?');
    buf_free(&out);
}

static void test_full_buffer_fails(void **state)
{
    struct buf out;
    buf_init(&out, 3);
    assert_int_equal(cp1252_from_utf8(&out, "abcd", 4, NULL), -1);
    buf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ascii_unchanged),
        cmocka_unit_test(test_umlauts_and_sharp_s),
        cmocka_unit_test(test_latin1_range_maps_to_itself),
        cmocka_unit_test(test_the_0x80_block),
        cmocka_unit_test(test_c1_controls_and_unassigned_are_not_written),
        cmocka_unit_test(test_unmappable_become_question_marks),
        cmocka_unit_test(test_invalid_utf8_one_question_mark_per_byte),
        cmocka_unit_test(test_empty_and_nul_counter),
        cmocka_unit_test(test_full_buffer_fails),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
