/* keys/keys.c - the master key against the store (see keys.h). */
#include "keys/keys.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "store/keys.h"

/* What the check value holds, and the additional data it is bound to. */
#define CHECK_PLAIN "connectord master key check"
#define CHECK_AAD "connectord/master-key-check"
/* The largest secret a setting can hold (a service account's key file is a few KiB). */
#define SECRET_MAX (1u << 20)

struct walk {
    const unsigned char *old_key;
    const unsigned char *new_key; /* NULL: only open */
    int64_t count;
};

static void aad_of(const struct store_sealed *v, char *out, size_t size)
{
    snprintf(out, size, "%s/%s/%s", v->tenant_id ? v->tenant_id : "",
             v->owner_id ? v->owner_id : "", v->field ? v->field : "");
}

static int not_opened(struct error *err, const struct store_sealed *v)
{
    return error_set(err, ERR_CONFIG,
                     "the master key does not open the store's secret %s of tenant %s (%s/%s): "
                     "the store's secrets were sealed under another key",
                     v->place, v->tenant_id ? v->tenant_id : "", v->owner_id ? v->owner_id : "",
                     v->field ? v->field : "");
}

static int visit(void *ctx, const struct store_sealed *v, char **replacement, struct error *err)
{
    struct walk *w = ctx;
    char aad[512];
    struct buf plain, sealed;
    struct error ignored = {0};
    aad_of(v, aad, sizeof aad);
    buf_init(&plain, SECRET_MAX);
    buf_init(&sealed, 2 * SECRET_MAX);
    int rc = crypto_open(w->old_key, aad, v->sealed, &plain, &ignored) < 0 ? not_opened(err, v)
                                                                           : 0;
    if (rc == 0 && w->new_key) {
        rc = crypto_seal(w->new_key, aad, plain.data, plain.len, &sealed, err);
        if (rc == 0)
            *replacement = buf_take(&sealed, NULL);
    }
    if (rc == 0)
        w->count++;
    if (plain.data)
        memset(plain.data, 0, plain.len);
    buf_free(&plain);
    buf_free(&sealed);
    return rc;
}

static int check_opens(const unsigned char key[CRYPTO_KEY_LEN], const char *sealed,
                       struct error *err)
{
    struct buf plain;
    struct error ignored = {0};
    buf_init(&plain, 64);
    int rc = crypto_open(key, CHECK_AAD, sealed, &plain, &ignored) == 0 &&
                     plain.len == strlen(CHECK_PLAIN) &&
                     memcmp(plain.data, CHECK_PLAIN, plain.len) == 0
                 ? 0
                 : error_set(err, ERR_CONFIG,
                             "the master key is not this store's key (its check value does "
                             "not open): start with the key the store was served with, or "
                             "the one `connectord keys rotate` moved it to");
    buf_free(&plain);
    return rc;
}

static int seal_check(const unsigned char key[CRYPTO_KEY_LEN], struct buf *out,
                      struct error *err)
{
    buf_init(out, 1024);
    return crypto_seal(key, CHECK_AAD, CHECK_PLAIN, strlen(CHECK_PLAIN), out, err);
}

int keys_check(struct store *s, const unsigned char key[CRYPTO_KEY_LEN], struct error *err)
{
    struct store_tx *tx = NULL;
    char *check = NULL;
    struct buf sealed = {0};
    struct walk w = {.old_key = key};
    if (store_tx_begin(s, &tx, err) < 0 || store_key_check_get(tx, &check, err) < 0)
        goto fail;
    if (check) {
        int rc = check_opens(key, check, err);
        free(check);
        store_tx_rollback(tx);
        return rc;
    }
    /* First met: every secret must open before the key is recorded as the store's. */
    if (store_sealed_each(tx, visit, &w, err) < 0 || seal_check(key, &sealed, err) < 0 ||
        store_key_check_put(tx, sealed.data, false, err) < 0)
        goto fail;
    buf_free(&sealed);
    return store_tx_commit(tx, err);
fail:
    buf_free(&sealed);
    store_tx_rollback(tx);
    return -1;
}

int keys_verify(struct store *s, const unsigned char key[CRYPTO_KEY_LEN], int64_t *opened,
                struct error *err)
{
    struct store_tx *tx = NULL;
    char *check = NULL;
    struct walk w = {.old_key = key};
    *opened = 0;
    if (store_tx_begin(s, &tx, err) < 0)
        return -1;
    int rc = store_key_check_get(tx, &check, err);
    if (rc == 0 && check)
        rc = check_opens(key, check, err);
    if (rc == 0)
        rc = store_sealed_each(tx, visit, &w, err);
    free(check);
    store_tx_rollback(tx);
    *opened = w.count;
    return rc < 0 ? -1 : 0;
}

int keys_rotate(struct store *s, const unsigned char old_key[CRYPTO_KEY_LEN],
                const unsigned char new_key[CRYPTO_KEY_LEN], int64_t *moved,
                struct error *err)
{
    struct store_tx *tx = NULL;
    char *check = NULL;
    struct buf sealed = {0};
    struct walk w = {.old_key = old_key, .new_key = new_key};
    *moved = 0;
    if (store_tx_begin(s, &tx, err) < 0 || store_key_check_get(tx, &check, err) < 0)
        goto fail;
    if (check && check_opens(old_key, check, err) < 0)
        goto fail;
    if (store_sealed_each(tx, visit, &w, err) < 0 || seal_check(new_key, &sealed, err) < 0 ||
        store_key_check_put(tx, sealed.data, true, err) < 0)
        goto fail;
    free(check);
    buf_free(&sealed);
    *moved = w.count;
    return store_tx_commit(tx, err);
fail:
    free(check);
    buf_free(&sealed);
    store_tx_rollback(tx);
    return -1;
}
