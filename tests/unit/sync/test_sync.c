/* tests/unit/sync/test_sync.c - the pulling sources' registry and the wrapper every call to a
 * source goes through (src/sync/sync.c). The sources here are the test's own, handed to
 * the wrapper directly; the registry (sources.def) holds only real sources. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "sync/sync.h"

static int pages_left;

/* Three pages, "p1" and "p2" as cursors, two records each. */
static int pull_pages(const struct sync_call *call, struct sync_page *page, struct error *err)
{
    (void)err;
    int n = call->cursor[0] ? call->cursor[1] - '0' : 0;
    page->fetched = 2;
    page->created = 2;
    page->more = --pages_left > 0;
    if (page->more)
        snprintf(page->next_cursor, sizeof page->next_cursor, "p%d", n + 1);
    return 0;
}

/* Says more pages follow but gives no cursor: a source bug the wrapper catches. */
static int pull_no_cursor(const struct sync_call *call, struct sync_page *page,
                          struct error *err)
{
    (void)call;
    (void)err;
    page->more = true;
    return 0;
}

static void test_registry(void **state)
{
    size_t n = 99;
    const struct sync_source *const *all = sync_sources(&n);
    assert_non_null(all);
    for (size_t i = 0; i < n; i++) {
        assert_non_null(all[i]->pull);
        assert_true(all[i]->every_ms > 0);
        assert_true(sync_source_find(all[i]->slug) == all[i]);
    }
    assert_null(all[n]); /* NULL-terminated, also when empty */
    assert_null(sync_source_find("no-such-source"));
}

static void test_pull_walks_cursors(void **state)
{
    const struct sync_source src = {.slug = "test", .every_ms = 1000, .pull = pull_pages};
    struct sync_page page;
    struct error err = {0};
    struct sync_call call = {.cursor = ""};
    char cursor[SYNC_CURSOR_MAX] = "";
    int pages = 0;
    pages_left = 3;
    do {
        call.cursor = cursor;
        memset(&page, 0x5a, sizeof page); /* the wrapper clears what the source leaves */
        assert_int_equal(sync_source_pull(&src, &call, &page, &err), 0);
        assert_int_equal(page.updated, 0);
        assert_int_equal(page.fetched, 2);
        memcpy(cursor, page.next_cursor, sizeof cursor);
        pages++;
    } while (page.more);
    assert_int_equal(pages, 3);
    assert_string_equal(cursor, "");
}

static void test_more_without_cursor_refused(void **state)
{
    const struct sync_source src = {.slug = "broken", .every_ms = 1000, .pull = pull_no_cursor};
    struct sync_page page;
    struct error err = {0};
    struct sync_call call = {.cursor = ""};
    assert_int_equal(sync_source_pull(&src, &call, &page, &err), -1);
    assert_int_equal(err.code, ERR_INTERNAL);
    assert_non_null(strstr(err.message, "broken"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registry),
        cmocka_unit_test(test_pull_walks_cursors),
        cmocka_unit_test(test_more_without_cursor_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
