/* tests/unit/pipeline/test_pipeline_cache.c - the per-process cache of what webhooks read
 * (src/pipeline/cache.c): kept by token, bounded by its capacity with the used ones kept
 * longest, forgotten by token, install, tenant, announcement and the store's change count,
 * and never given a snapshot read before a forgetting (the epoch). The snapshot's secrets
 * read as catalog_secret_open would read them, errors included. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/cache.h"

static const unsigned char key[CRYPTO_KEY_LEN] = {7, 7, 7};

/* A snapshot of install `id` of `tenant` under a token hash made from `n`. */
static struct pipeline_snapshot *snap(int n, const char *tenant, const char *id)
{
    struct pipeline_snapshot *s = pipeline_snapshot_new();
    assert_non_null(s);
    snprintf(s->token_hash, sizeof s->token_hash, "%064d", n);
    snprintf(s->install.tenant_id, sizeof s->install.tenant_id, "%s", tenant);
    snprintf(s->install.id, sizeof s->install.id, "%s", id);
    return s;
}

static const char *hash_of(int n)
{
    static char h[2 * CRYPTO_SHA256_LEN + 1];
    snprintf(h, sizeof h, "%064d", n);
    return h;
}

/* Whether the cache holds token n (the reference taken is given back). */
static bool holds(struct pipeline_cache *c, int n)
{
    struct pipeline_snapshot *s = pipeline_cache_get(c, 0, hash_of(n));
    pipeline_snapshot_release(s);
    return s != NULL;
}

/* Puts a new snapshot of token n under the current epoch; the caller's reference goes. */
static void put(struct pipeline_cache *c, int n, const char *tenant, const char *id)
{
    struct pipeline_snapshot *s = snap(n, tenant, id);
    pipeline_cache_put(c, s, pipeline_cache_epoch(c, 0));
    pipeline_snapshot_release(s);
}

static void test_kept_by_token(void **state)
{
    (void)state;
    struct pipeline_cache *c = pipeline_cache_new(8);
    assert_non_null(c);
    assert_false(holds(c, 1));
    put(c, 1, "ten_a", "con_1");
    struct pipeline_snapshot *s = pipeline_cache_get(c, 0, hash_of(1));
    assert_non_null(s);
    assert_string_equal(s->install.id, "con_1");
    /* a second snapshot of the same token does not replace the first */
    put(c, 1, "ten_a", "con_other");
    struct pipeline_snapshot *again = pipeline_cache_get(c, 0, hash_of(1));
    assert_ptr_equal(again, s);
    pipeline_snapshot_release(again);
    /* forgotten while a request holds it: that request keeps reading it */
    pipeline_cache_forget_token(c, hash_of(1));
    assert_false(holds(c, 1));
    assert_string_equal(s->install.id, "con_1");
    pipeline_snapshot_release(s);
    assert_int_equal(pipeline_cache_size(c), 0);
    pipeline_cache_free(c);
}

static void test_bounded_clock(void **state)
{
    (void)state;
    struct pipeline_cache *c = pipeline_cache_new(4);
    for (int n = 1; n <= 4; n++)
        put(c, n, "ten_a", "con");
    assert_int_equal(pipeline_cache_size(c), 4);
    /* 1 and 3 are used again; the next two newcomers take the places of 2 and 4 */
    assert_true(holds(c, 1));
    assert_true(holds(c, 3));
    put(c, 5, "ten_a", "con");
    put(c, 6, "ten_a", "con");
    assert_int_equal(pipeline_cache_size(c), 4);
    assert_true(holds(c, 1));
    assert_true(holds(c, 3));
    assert_true(holds(c, 5));
    assert_true(holds(c, 6));
    assert_false(holds(c, 2));
    assert_false(holds(c, 4));
    /* many more never grow it */
    for (int n = 10; n < 100; n++)
        put(c, n, "ten_a", "con");
    assert_int_equal(pipeline_cache_size(c), 4);
    pipeline_cache_free(c);
}

static void test_forget_by_install_tenant_announcement(void **state)
{
    (void)state;
    struct pipeline_cache *c = pipeline_cache_new(16);
    put(c, 1, "ten_a", "con_1");
    put(c, 2, "ten_a", "con_2");
    put(c, 3, "ten_b", "con_3");
    put(c, 4, "ten_b", "con_4");
    pipeline_cache_forget(c, "ten_a", "con_2");
    assert_true(holds(c, 1));
    assert_false(holds(c, 2));
    /* a delivery announcement names nothing the cache holds */
    pipeline_cache_heard(c, STORE_CHANNEL_DELIVERIES, "ten_b");
    assert_true(holds(c, 3));
    /* an install's announcement: "tenant/install" */
    pipeline_cache_heard(c, STORE_CHANNEL_INSTALLS, "ten_b/con_3");
    assert_false(holds(c, 3));
    assert_true(holds(c, 4));
    /* a tenant's settings are in every snapshot of its installs */
    put(c, 3, "ten_b", "con_3");
    pipeline_cache_heard(c, STORE_CHANNEL_SETTINGS, "ten_b");
    assert_false(holds(c, 3));
    assert_false(holds(c, 4));
    assert_true(holds(c, 1));
    /* what cannot be read forgets everything */
    pipeline_cache_heard(c, STORE_CHANNEL_INSTALLS, "no slash");
    assert_false(holds(c, 1));
    put(c, 1, "ten_a", "con_1");
    pipeline_cache_heard(c, STORE_CHANNEL_SETTINGS, NULL);
    assert_false(holds(c, 1));
    put(c, 1, "ten_a", "con_1");
    pipeline_cache_forget(c, NULL, NULL);
    assert_int_equal(pipeline_cache_size(c), 0);
    pipeline_cache_free(c);
}

/* A reader that read the store before a change was forgotten does not keep what it read. */
static void test_epoch(void **state)
{
    (void)state;
    struct pipeline_cache *c = pipeline_cache_new(8);
    uint64_t epoch = pipeline_cache_epoch(c, 0);
    struct pipeline_snapshot *s = snap(1, "ten_a", "con_1"); /* read under epoch */
    pipeline_cache_heard(c, STORE_CHANNEL_INSTALLS, "ten_a/con_1"); /* the change commits */
    pipeline_cache_put(c, s, epoch);
    assert_false(holds(c, 1));
    pipeline_cache_put(c, s, pipeline_cache_epoch(c, 0));
    assert_true(holds(c, 1));
    pipeline_snapshot_release(s);
    pipeline_cache_free(c);
}

/* The store's change count (another process on the file changed something) forgets all. */
static void test_change_count(void **state)
{
    (void)state;
    struct pipeline_cache *c = pipeline_cache_new(8);
    put(c, 1, "ten_a", "con_1");
    struct pipeline_snapshot *s = pipeline_cache_get(c, 0, hash_of(1));
    assert_non_null(s);
    pipeline_snapshot_release(s);
    assert_null(pipeline_cache_get(c, 5, hash_of(1)));
    /* a snapshot read under the old count is not kept either */
    struct pipeline_snapshot *late = snap(2, "ten_a", "con_2");
    uint64_t epoch = pipeline_cache_epoch(c, 5);
    assert_int_equal(pipeline_cache_epoch(c, 6) == epoch, 0);
    pipeline_cache_put(c, late, epoch);
    assert_null(pipeline_cache_get(c, 6, hash_of(2)));
    pipeline_snapshot_release(late);
    pipeline_cache_free(c);
}

/* The secrets as catalog_secret_open reads them: the plain value, ERR_NOT_FOUND for one
 * not set (no entry), the authentication error of one that does not open. */
static void test_secrets(void **state)
{
    (void)state;
    struct error err = {0};
    struct buf sealed;
    struct pipeline_snapshot *s = snap(1, "ten_a", "con_1");
    snprintf(s->setup.aad_prefix, sizeof s->setup.aad_prefix, "ten_a/con_1");
    buf_init(&sealed, 0);
    assert_int_equal(crypto_seal(key, "ten_a/con_1/webhookSecret", "whsec_x", 7, &sealed, &err),
                     0);
    s->setup.secrets =
        json_pack("{s:{s:s}, s:{s:s}, s:{s:s}}", "webhookSecret", "sealed", sealed.data,
                  "apiKey", "sealed", sealed.data, /* sealed for another field */
                  "unset", "hint", "");
    buf_free(&sealed);
    assert_int_equal(pipeline_snapshot_open_secrets(s, key), 0);
    const struct pipeline_secret *w = pipeline_snapshot_secret(s, "webhookSecret");
    assert_non_null(w);
    assert_int_equal(w->rc, 0);
    assert_int_equal(w->plain.len, 7);
    assert_memory_equal(w->plain.data, "whsec_x", 7);
    const struct pipeline_secret *k = pipeline_snapshot_secret(s, "apiKey");
    assert_non_null(k);
    assert_int_equal(k->rc, -1);
    assert_int_equal(k->err.code, ERR_INTERNAL);
    assert_null(pipeline_snapshot_secret(s, "unset"));
    assert_null(pipeline_snapshot_secret(s, "other"));
    pipeline_snapshot_release(s); /* wipes and frees: ASan sees no leak */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kept_by_token),
        cmocka_unit_test(test_bounded_clock),
        cmocka_unit_test(test_forget_by_install_tenant_announcement),
        cmocka_unit_test(test_epoch),
        cmocka_unit_test(test_change_count),
        cmocka_unit_test(test_secrets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
