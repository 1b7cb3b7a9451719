/* tests/unit/oauth/test_oauth.c - access tokens of installs (src/oauth/token.c) on a real
 * SQLite store, against a token URL on 127.0.0.1 (tests/unit/lib/mockhttp.h).
 *
 * What must hold: an install without a grant is ERR_NOT_INSTALLED and asks nothing; a stored
 * token valid for more than a minute (or without an expiry) is handed out as it is; one that
 * expires within a minute, or was invalidated, is renewed once and the new one is cached; a
 * refused grant is ERR_SERVICE_REFUSED and an unreachable token URL ERR_UNAVAILABLE, neither
 * leaving the refresh lease held (the next call asks again at once); a token that does not
 * fit the caller's buffer is ERR_INVALID_FIELD. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "crypto/crypto.h"
#include "httpc/httpc.h"
#include "mockhttp.h"
#include "oauth/oauth.h"
#include "store/installs.h"
#include "store/oauth.h"
#include "store/store.h"

#define INSTALL "con_oauth1"
#define TOKEN_PATH "/1.1/oauth/token"
#define FRESH "{\"access_token\":\"at-new\",\"token_type\":\"bearer\",\"expires_in\":3600," \
              "\"refresh_token\":\"rt-2\"}"

struct fixture {
    char dir[64];
    char dsn[112];
    struct store *s;
    struct mock_http mock;
    unsigned char key[CRYPTO_KEY_LEN];
    char tenant[CRYPTO_ID_MAX];
};

/* value sealed as oauth/ and the catalog seal it for this install (caller frees). */
static char *sealed(const struct fixture *f, const char *what, const char *value)
{
    char aad[128];
    struct buf out;
    struct error err = {0};
    buf_init(&out, 0);
    snprintf(aad, sizeof aad, "%s/%s/%s", f->tenant, INSTALL, what);
    assert_int_equal(crypto_seal(f->key, aad, value, strlen(value), &out, &err), 0);
    return out.data;
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    struct error err = {0};
    struct tenant t;
    struct api_token tok;
    if (!f || mock_start(&f->mock) < 0)
        return -1;
    snprintf(f->dir, sizeof f->dir, "/tmp/connectord-oauth.XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->dsn, sizeof f->dsn, "sqlite:%s/c.db", f->dir);
    memset(f->key, 7, sizeof f->key);
    if (store_open(f->dsn, 4, &f->s, &err) < 0 || store_migrate(f->s, NULL, &err) < 0 ||
        store_tenant_create(f->s, "OAuth", "pro", "00", &t, &tok, &err) < 0)
        return -1;
    snprintf(f->tenant, sizeof f->tenant, "%s", t.id);
    char config[256], secrets[1024];
    char *client_secret = sealed(f, "clientSecret", "s3cret-of-the-client");
    snprintf(config, sizeof config, "{\"clientId\":\"cid\",\"apiBaseUrl\":\"%s/1.1\"}",
             f->mock.base);
    snprintf(secrets, sizeof secrets, "{\"clientSecret\":{\"sealed\":\"%s\",\"hint\":\"\"}}",
             client_secret);
    free(client_secret);
    struct install in = {.is_active = true, .config = config, .secrets = secrets};
    snprintf(in.id, sizeof in.id, "%s", INSTALL);
    snprintf(in.tenant_id, sizeof in.tenant_id, "%s", t.id);
    snprintf(in.slug, sizeof in.slug, "timely");
    struct audit_entry audit = {.action = "connector.install", .target = "timely",
                                .fields = "[]"};
    if (store_install_insert(f->s, &in, NULL, -1, &audit, &err) < 0)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    char cmd[128];
    mock_stop(&f->mock);
    store_close(f->s);
    snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
    if (system(cmd) != 0)
        return -1;
    free(f);
    return 0;
}

/* Stores a grant as the consent flow does: refresh token rt-1, access token `access`
 * expiring in expires_in_s seconds (0: no expiry). */
static void grant(struct fixture *f, const char *access, int64_t expires_in_s)
{
    struct error err = {0};
    char expires[CLOCK_RFC3339_LEN];
    char *r = sealed(f, "oauth-refresh", "rt-1"), *a = sealed(f, "oauth-access", access);
    clock_format_rfc3339(clock_now_ms() + expires_in_s * 1000, expires);
    assert_int_equal(store_oauth_connect(f->s, f->tenant, INSTALL, r, a,
                                         expires_in_s ? expires : NULL, "read", &err),
                     0);
    free(r);
    free(a);
}

static int token(struct fixture *f, char *out, size_t cap, struct error *err)
{
    return oauth_access_token(f->s, f->key, f->tenant, INSTALL, out, cap, err);
}

static void test_not_connected(void **state)
{
    struct fixture *f = *state;
    struct error err = {0};
    char out[OAUTH_TOKEN_MAX];
    assert_int_equal(token(f, out, sizeof out, &err), -1);
    assert_int_equal(err.code, ERR_NOT_INSTALLED);
    assert_non_null(strstr(err.message, "/api/connectors/timely/oauth/start"));
    assert_int_equal(mock_hits(&f->mock), 0);
    /* another tenant's view of the install: not found */
    assert_int_equal(oauth_access_token(f->s, f->key, "ten_other", INSTALL, out, sizeof out,
                                        &err),
                     -1);
    assert_int_equal(err.code, ERR_NOT_FOUND);
}

static void test_valid_token_is_used_as_it_is(void **state)
{
    struct fixture *f = *state;
    struct error err = {0};
    char out[OAUTH_TOKEN_MAX], tiny[4];
    grant(f, "at-1", 3600);
    assert_int_equal(token(f, out, sizeof out, &err), 0);
    assert_string_equal(out, "at-1");
    grant(f, "at-forever", 0); /* no expiry: good until a 401 */
    assert_int_equal(token(f, out, sizeof out, &err), 0);
    assert_string_equal(out, "at-forever");
    assert_int_equal(token(f, tiny, sizeof tiny, &err), -1);
    assert_int_equal(err.code, ERR_INVALID_FIELD);
    assert_int_equal(mock_hits(&f->mock), 0);
}

static void test_expiring_or_invalidated_token_is_renewed_once(void **state)
{
    struct fixture *f = *state;
    struct error err = {0};
    char out[OAUTH_TOKEN_MAX];
    struct oauth_grant g;
    mock_route(&f->mock, TOKEN_PATH, 200, FRESH, NULL);
    grant(f, "at-1", 30); /* within the minute */
    assert_int_equal(token(f, out, sizeof out, &err), 0);
    assert_string_equal(out, "at-new");
    assert_int_equal(mock_hits(&f->mock), 1);
    assert_int_equal(token(f, out, sizeof out, &err), 0); /* cached now */
    assert_int_equal(mock_hits(&f->mock), 1);
    assert_int_equal(store_oauth_get(f->s, f->tenant, INSTALL, &g, &err), 0);
    assert_int_equal(g.generation, 2); /* connected, then refreshed */
    store_oauth_grant_clear(&g);

    assert_int_equal(oauth_invalidate(f->s, f->tenant, INSTALL, &err), 0);
    assert_int_equal(token(f, out, sizeof out, &err), 0);
    assert_int_equal(mock_hits(&f->mock), 2);
}

static void test_refused_or_unreachable_token_url(void **state)
{
    struct fixture *f = *state;
    struct error err = {0};
    char out[OAUTH_TOKEN_MAX];
    mock_route(&f->mock, TOKEN_PATH, 400, "{\"error\":\"invalid_grant\"}", NULL);
    grant(f, "at-1", 10);
    assert_int_equal(token(f, out, sizeof out, &err), -1);
    assert_int_equal(err.code, ERR_SERVICE_REFUSED);
    assert_non_null(strstr(err.message, "invalid_grant"));
    int64_t before = clock_now_ms();
    assert_int_equal(token(f, out, sizeof out, &err), -1); /* the lease was given back */
    assert_true(clock_now_ms() - before < 5000);
    assert_int_equal(mock_hits(&f->mock), 2);

    mock_route(&f->mock, TOKEN_PATH, 503, "down", NULL);
    assert_int_equal(token(f, out, sizeof out, &err), -1);
    assert_int_equal(err.code, ERR_SERVICE_FAILED);
    mock_stop(&f->mock);
    assert_int_equal(token(f, out, sizeof out, &err), -1);
    assert_int_equal(err.code, ERR_UNAVAILABLE);
}

int main(void)
{
    httpc_global_init();
    oauth_configure(&(struct oauth_options){.allow_private = true, .timeout_ms = 3000});
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_not_connected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_valid_token_is_used_as_it_is, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expiring_or_invalidated_token_is_renewed_once,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused_or_unreachable_token_url, setup,
                                        teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    httpc_global_cleanup();
    return rc;
}
