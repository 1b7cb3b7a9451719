/* catalog/config.c - a connector's config as stored and as shown.
 *
 * Stored: the plain values as a JSON object, and the secrets as a second object mapping each
 * key to {"sealed": "v1....", "hint": "abcd"}: sealed with AES-256-GCM under the master
 * key, bound to "<tenant>/<connector id>/<key>", and a hint of the last four characters
 * (only for values long enough that four characters give nothing away) so a list can show
 * masked values without decrypting. Shown: the plain values and each secret masked. */
#include <string.h>

#include "catalog/catalog.h"
#include "core/utf8.h"
#include "crypto/crypto.h"

static int seal_secret(const unsigned char key[CRYPTO_KEY_LEN], const char *aad_prefix,
                       const char *field, const char *value, json_t **out, struct error *err)
{
    char aad[256];
    struct buf sealed;
    char hint[4 * 4 + 1] = ""; /* four characters of up to four bytes */
    size_t n = strlen(value);
    snprintf(aad, sizeof aad, "%s/%s", aad_prefix, field);
    buf_init(&sealed, 0);
    if (crypto_seal(key, aad, value, n, &sealed, err) < 0) {
        buf_free(&sealed);
        return -1;
    }
    if (n >= 12)
        utf8_copy(hint, sizeof hint, utf8_tail(value, 4));
    *out = json_pack("{s:s, s:s}", "sealed", sealed.data, "hint", hint);
    buf_free(&sealed);
    return *out ? 0
                : error_set(err, ERR_INTERNAL, "cannot build the sealed secret as JSON (text "
                                               "not UTF-8, or no memory)");
}

int catalog_config_store(const struct connector_manifest *m, const json_t *input,
                         const json_t *prev_plain, const json_t *prev_secrets,
                         const unsigned char key[CRYPTO_KEY_LEN], const char *aad_prefix,
                         json_t **plain_out, json_t **secrets_out, json_t **changed_out,
                         struct error *err)
{
    json_t *plain = json_object(), *secrets = json_object(), *changed = json_array();
    const struct setting_field *f;
    if (!plain || !secrets || !changed) {
        error_set(err, ERR_INTERNAL, "out of memory");
        goto fail;
    }
    for (size_t i = 0; (f = catalog_field_at(m, i)); i++) {
        json_t *v = json_object_get(input, f->key);
        if (catalog_value_left_out(f, v))
            v = NULL;
        bool given = v && !catalog_value_empty(f, v); /* v null or empty: reset */
        if (catalog_field_is_secret(f)) {
            json_t *prev = prev_secrets ? json_object_get(prev_secrets, f->key) : NULL;
            if (given) {
                /* A secret's text: a string, or (a sensitive list) its JSON text. */
                char *text = json_is_string(v) ? strdup(json_string_value(v))
                                               : json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
                json_t *sealed = NULL;
                int rc = text ? seal_secret(key, aad_prefix, f->key, text, &sealed, err)
                              : error_set(err, ERR_INTERNAL, "out of memory");
                if (text)
                    memset(text, 0, strlen(text));
                free(text);
                if (rc < 0)
                    goto fail;
                json_object_set_new(secrets, f->key, sealed);
                json_array_append_new(changed, json_string(f->key));
            } else if (!v && prev) {
                json_object_set(secrets, f->key, prev);
            } else if (v && prev) {
                json_array_append_new(changed, json_string(f->key)); /* reset: removed */
            }
            continue;
        }
        json_t *prev = prev_plain ? json_object_get(prev_plain, f->key) : NULL;
        json_t *value = NULL;
        if (given)
            value = json_deep_copy(v);
        else if (!v && prev)
            value = json_incref(prev);
        else if (f->default_value)
            value = json_loads(f->default_value, JSON_DECODE_ANY, NULL);
        if (value)
            json_object_set_new(plain, f->key, value);
        if (!json_equal(value, prev) && (value || prev))
            json_array_append_new(changed, json_string(f->key));
    }
    /* Secrets the platform keeps beside the settings (a generated signing secret) are not
     * in the schema; they stay as they were. */
    const char *name;
    json_t *value;
    json_object_foreach((json_t *)prev_secrets, name, value) {
        if (!catalog_field_find(m, name))
            json_object_set(secrets, name, value);
    }
    *plain_out = plain;
    *secrets_out = secrets;
    *changed_out = changed;
    return 0;
fail:
    json_decref(plain);
    json_decref(secrets);
    json_decref(changed);
    return -1;
}

json_t *catalog_config_view(const struct connector_manifest *m, const json_t *plain,
                            const json_t *secrets)
{
    json_t *view = json_object();
    const struct setting_field *f;
    for (size_t i = 0; view && (f = catalog_field_at(m, i)); i++) {
        if (catalog_field_is_secret(f)) {
            json_t *s = json_object_get(secrets, f->key);
            if (s) {
                char masked[32];
                const char *hint = json_string_value(json_object_get(s, "hint"));
                snprintf(masked, sizeof masked,
                         "\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2%.*s",
                         UTF8_CUT(16, hint));
                json_object_set_new(view, f->key, json_string(masked));
            }
            continue;
        }
        json_t *v = json_object_get(plain, f->key);
        if (v)
            json_object_set(view, f->key, v);
    }
    return view;
}

int catalog_secret_open(const json_t *secrets, const char *field,
                        const unsigned char key[CRYPTO_KEY_LEN], const char *aad_prefix,
                        struct buf *out, struct error *err)
{
    char aad[256];
    const char *sealed = json_string_value(json_object_get(json_object_get(secrets, field), "sealed"));
    if (!sealed)
        return error_set(err, ERR_NOT_FOUND, "secret %s is not set", field);
    snprintf(aad, sizeof aad, "%s/%s", aad_prefix, field);
    return crypto_open(key, aad, sealed, out, err);
}
