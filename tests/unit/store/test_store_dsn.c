/* tests/unit/store/test_store_dsn.c - a store's DSN as it may be shown (store_dsn_shown):
 * whatever a PostgreSQL URL carries as a password is replaced, everything else stays. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/buf.h"
#include "store/store.h"

/* The shown text of dsn, and whether a password was replaced. */
static void expect_shown(const char *dsn, const char *shown, int replaced)
{
    struct buf out;
    buf_init(&out, 0);
    assert_int_equal(store_dsn_shown(dsn, &out), replaced);
    assert_string_equal(out.data, shown);
    buf_free(&out);
}

static void test_without_password(void **state)
{
    (void)state;
    expect_shown("sqlite:/var/lib/connectord/c.db", "sqlite:/var/lib/connectord/c.db", 0);
    expect_shown("sqlite:/tmp/a:b@c.db", "sqlite:/tmp/a:b@c.db", 0);
    expect_shown("postgres://connectord@db.internal:5432/books",
                 "postgres://connectord@db.internal:5432/books", 0);
    expect_shown("postgres://db.internal/books?sslmode=require",
                 "postgres://db.internal/books?sslmode=require", 0);
    /* a port after the host is not a password */
    expect_shown("postgresql://db.internal:5433/books", "postgresql://db.internal:5433/books", 0);
}

static void test_password_in_user_part(void **state)
{
    (void)state;
    expect_shown("postgres://connectord:s3cr%40t@db.internal:5432/books",
                 "postgres://connectord:PASSWORD@db.internal:5432/books", 1);
    /* an '@' the password spells out unescaped: the last one before the host counts */
    expect_shown("postgresql://u:p@ss@h/d", "postgresql://u:PASSWORD@h/d", 1);
    expect_shown("postgres://u:@h/d", "postgres://u:PASSWORD@h/d", 1);
}

static void test_password_parameter(void **state)
{
    (void)state;
    expect_shown("postgres://u@h/d?password=hunter2&sslmode=require",
                 "postgres://u@h/d?password=PASSWORD&sslmode=require", 1);
    expect_shown("postgres://u:a@h/d?sslmode=require&password=b",
                 "postgres://u:PASSWORD@h/d?sslmode=require&password=PASSWORD", 1);
    /* only the parameter of that name */
    expect_shown("postgres://u@h/d?passwordless=1", "postgres://u@h/d?passwordless=1", 0);
}

static void test_password_keyword(void **state)
{
    (void)state;
    expect_shown("host=db.internal dbname=books user=cd password=hunter2",
                 "host=db.internal dbname=books user=cd password=PASSWORD", 1);
    /* libpq's quoting: \' and \\ inside single quotes */
    expect_shown("password = 'it\\'s a \\\\ pass' host=h", "password = PASSWORD host=h", 1);
    expect_shown("password=first host=h password=again",
                 "password=PASSWORD host=h password=PASSWORD", 1);
    expect_shown("host=h dbname=passwords", "host=h dbname=passwords", 0);
    expect_shown("host=h sslpassword=x", "host=h sslpassword=x", 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_without_password),
        cmocka_unit_test(test_password_in_user_part),
        cmocka_unit_test(test_password_parameter),
        cmocka_unit_test(test_password_keyword),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
