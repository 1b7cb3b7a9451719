/* tests/unit/auth/test_roles.c - roles and the platform's tokens (src/auth/plans.c,
 * src/auth/platform.c, src/auth/tokens.c).
 *
 * The role rule the server applies to every route: a tenant's roles are ranked (an admin
 * may what a member may), the platform's stand apart (a developer's token opens only the
 * developer routes, the operator's only the operator's, neither a tenant's, no tenant's
 * theirs). Then, on a real store (SQLite, or PostgreSQL when the run gives one), tokens of
 * each kind resolve to their principal through the one bearer check, a tenant token cannot
 * be made with a platform role, and a token is stored only as its hash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "store/installs.h"
#include "store/publishing.h"
#include "store/store.h"
#include "teststore.h"

static void test_role_rule(void **state)
{
    (void)state;
    enum auth_role all[] = {AUTH_ROLE_MEMBER, AUTH_ROLE_ADMIN, AUTH_ROLE_DEVELOPER,
                            AUTH_ROLE_OPERATOR};
    /* have \ need:           member admin developer operator */
    const bool want[4][4] = {{true, false, false, false},
                             {true, true, false, false},
                             {false, false, true, false},
                             {false, false, false, true}};
    for (int i = 0; i < 4; i++) {
        assert_true(auth_role_allows(all[i], AUTH_ROLE_NONE));
        for (int j = 0; j < 4; j++)
            assert_int_equal(auth_role_allows(all[i], all[j]), want[i][j]);
    }
    assert_false(auth_role_allows(AUTH_ROLE_NONE, AUTH_ROLE_MEMBER));
    for (int i = 0; i < 4; i++)
        assert_int_equal(auth_role_parse(auth_role_name(all[i])), all[i]);
    assert_int_equal(auth_role_parse("root"), AUTH_ROLE_NONE);
}

static void test_platform_tokens(void **state)
{
    (void)state;
    struct teststore ts;
    struct error err = {0};
    struct tenant t;
    struct principal p;
    char tenant_token[CRYPTO_TOKEN_LEN + 1], op[CRYPTO_TOKEN_LEN + 1], dev[CRYPTO_TOKEN_LEN + 1];
    char other[CRYPTO_TOKEN_LEN + 1], dev_id[CRYPTO_ID_MAX], header[CRYPTO_TOKEN_LEN + 16];
    assert_int_equal(teststore_open(&ts, "roles", 2, &err), 0);
    assert_int_equal(store_migrate(ts.store, NULL, &err), 0);
    assert_int_equal(auth_tenant_create(ts.store, "Roles GmbH", "pro", &t, tenant_token, &err), 0);
    assert_int_equal(auth_operator_token_create(ts.store, op, &err), 0);
    assert_int_equal(auth_developer_create(ts.store, "Acme Labs", dev_id, dev, &err), 0);
    assert_int_equal(auth_developer_token_create(ts.store, dev_id, other, &err), 0);

    snprintf(header, sizeof header, "Bearer %s", op);
    assert_int_equal(auth_bearer(ts.store, header, &p, &err), 0);
    assert_int_equal(p.role, AUTH_ROLE_OPERATOR);
    assert_string_equal(p.tenant_id, "");
    assert_string_equal(p.developer_id, "");

    const char *devs[] = {dev, other};
    for (int i = 0; i < 2; i++) {
        snprintf(header, sizeof header, "Bearer %s", devs[i]);
        assert_int_equal(auth_bearer(ts.store, header, &p, &err), 0);
        assert_int_equal(p.role, AUTH_ROLE_DEVELOPER);
        assert_string_equal(p.developer_id, dev_id);
        assert_string_equal(p.tenant_id, "");
    }
    snprintf(header, sizeof header, "Bearer %s", tenant_token);
    assert_int_equal(auth_bearer(ts.store, header, &p, &err), 0);
    assert_int_equal(p.role, AUTH_ROLE_ADMIN);
    assert_string_equal(p.tenant_id, t.id);
    assert_string_equal(p.developer_id, "");

    /* Stored as hashes only. */
    struct platform_token row;
    assert_int_equal(store_platform_token_find(ts.store, op, &row, &err), -1);
    assert_int_equal(err.code, ERR_NOT_FOUND);

    /* A tenant's token never gets a platform role; an unknown developer gets no token. */
    assert_int_equal(auth_token_create(ts.store, t.id, "operator", other, &err), -1);
    assert_int_equal(err.code, ERR_VALIDATION);
    assert_int_equal(auth_developer_token_create(ts.store, "dev_nobody", other, &err), -1);
    assert_int_equal(err.code, ERR_NOT_FOUND);
    assert_int_equal(auth_developer_create(ts.store, "", dev_id, other, &err), -1);
    assert_int_equal(err.code, ERR_VALIDATION);
    teststore_close(&ts);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_role_rule),
        cmocka_unit_test(test_platform_tokens),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
