/* tests/unit/outbound/test_retry_after.c - when the engine tries a delivery again as the
 * answer asks (src/outbound/destination.c): the default verdict of an answer, and
 * destination_retry_at_ms() reading a Retry-After header (seconds or an HTTP date) or a
 * destination's body (Discord's retry_after, Telegram's parameters.retry_after), the header
 * winning, held to [1 s, 1 h] from now. All of it is pure: no network, the time is given. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "outbound/destination.h"

#define NOW_MS INT64_C(1774189800000) /* 2026-03-22T14:30:00Z */
#define SECOND INT64_C(1000)
#define HOUR (3600 * SECOND)

static int64_t retry_at(const char *slug, long status, const char *retry_after, const char *body)
{
    const struct destination *d = slug ? destination_find(slug) : NULL;
    if (slug && !d)
        fail_msg("no destination %s", slug);
    struct dest_response resp = {.status = status,
                                 .body = body ? body : "",
                                 .body_len = body ? strlen(body) : 0,
                                 .retry_after = retry_after};
    return destination_retry_at_ms(d, &resp, NOW_MS);
}

static void test_default_verdicts(void **state)
{
    static const struct {
        long status;
        enum dest_verdict verdict;
    } cases[] = {
        {200, DEST_DELIVERED}, {201, DEST_DELIVERED}, {204, DEST_DELIVERED},
        {299, DEST_DELIVERED}, {0, DEST_RETRY},       {408, DEST_RETRY},
        {429, DEST_RETRY},     {500, DEST_RETRY},     {503, DEST_RETRY},
        {599, DEST_RETRY},     {300, DEST_FAILED},    {301, DEST_FAILED},
        {400, DEST_FAILED},    {401, DEST_FAILED},    {404, DEST_FAILED},
        {410, DEST_FAILED},    {422, DEST_FAILED},    {199, DEST_FAILED},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct dest_response resp = {.status = cases[i].status, .body = ""};
        if (destination_default_classify(&resp) != cases[i].verdict)
            fail_msg("status %ld: verdict %d, want %d", cases[i].status,
                     (int)destination_default_classify(&resp), (int)cases[i].verdict);
    }
}

static void test_header_seconds(void **state)
{
    assert_true(retry_at(NULL, 429, "30", NULL) == NOW_MS + 30 * SECOND);
    assert_true(retry_at(NULL, 503, "1", NULL) == NOW_MS + SECOND);
    assert_true(retry_at(NULL, 503, "3599", NULL) == NOW_MS + 3599 * SECOND);
    /* held to the range: "0" would spin, a day is the retry schedule's business */
    assert_true(retry_at(NULL, 429, "0", NULL) == NOW_MS + SECOND);
    assert_true(retry_at(NULL, 429, "86400", NULL) == NOW_MS + HOUR);
    assert_true(retry_at(NULL, 429, "99999999999999999999999", NULL) == NOW_MS + HOUR);
}

static void test_header_http_date(void **state)
{
    assert_true(retry_at(NULL, 503, "Sun, 22 Mar 2026 14:32:00 GMT", NULL) ==
                NOW_MS + 120 * SECOND);
    /* a date in the past, or far ahead, is held to the range too */
    assert_true(retry_at(NULL, 503, "Sun, 22 Mar 2026 14:00:00 GMT", NULL) == NOW_MS + SECOND);
    assert_true(retry_at(NULL, 503, "Mon, 23 Mar 2026 14:30:00 GMT", NULL) == NOW_MS + HOUR);
}

static void test_header_unreadable(void **state)
{
    static const char *const bad[] = {"", "-5", "soon", "30s", "1.5",
                                      "Sun, 22 Mar 2026 14:32:00 CET", "2026-03-22T14:32:00Z"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (retry_at(NULL, 429, bad[i], NULL) != -1)
            fail_msg("Retry-After '%s' was read", bad[i]);
    assert_true(retry_at(NULL, 429, NULL, NULL) == -1);
}

static void test_body_retry_after(void **state)
{
    const char *discord = "{\"message\":\"You are being rate limited.\",\"retry_after\":2.5,"
                          "\"global\":false}";
    const char *telegram = "{\"ok\":false,\"error_code\":429,\"description\":\"Too Many "
                           "Requests: retry after 7\",\"parameters\":{\"retry_after\":7}}";
    assert_true(retry_at("discord", 429, NULL, discord) == NOW_MS + 2500);
    assert_true(retry_at("telegram", 429, NULL, telegram) == NOW_MS + 7 * SECOND);
    /* the header wins over the body */
    assert_true(retry_at("discord", 429, "10", discord) == NOW_MS + 10 * SECOND);
    /* a body that names no wait, or a destination that reads none */
    assert_true(retry_at("discord", 429, NULL, "{}") == -1);
    assert_true(retry_at("discord", 429, NULL, "not json") == -1);
    assert_true(retry_at("slack", 429, NULL, discord) == -1);
    /* the body's wait is held to the range as well */
    assert_true(retry_at("discord", 429, NULL, "{\"retry_after\":0.01}") == NOW_MS + SECOND);
    assert_true(retry_at("discord", 429, NULL, "{\"retry_after\":100000}") == NOW_MS + HOUR);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_verdicts),
        cmocka_unit_test(test_header_seconds),
        cmocka_unit_test(test_header_http_date),
        cmocka_unit_test(test_header_unreadable),
        cmocka_unit_test(test_body_retry_after),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
