/* oauth/install.c - an install as oauth/ reads it: its service's row, its settings (secrets
 * opened only when asked for, one at a time), its endpoint URLs, form encoding and the
 * sealing of tokens bound to the install. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "crypto/crypto.h"
#include "oauth/oauth_int.h"

int oauth_install_load(struct store *s, const char *tenant_id, const char *install_id,
                       struct oauth_install *out, struct error *err)
{
    memset(out, 0, sizeof *out);
    if (store_install_get(s, tenant_id, install_id, &out->in, err) < 0)
        return -1;
    out->svc = oauth_service_find(out->in.slug);
    if (!out->svc) {
        error_set(err, ERR_VALIDATION, "connector %s does not use OAuth", out->in.slug);
        goto fail;
    }
    out->config = json_loads(out->in.config, 0, NULL);
    out->secrets = json_loads(out->in.secrets, 0, NULL);
    if (!json_is_object(out->config) || !json_is_object(out->secrets)) {
        error_set(err, ERR_STORE, "stored config of %s is not JSON", install_id);
        goto fail;
    }
    snprintf(out->aad, sizeof out->aad, "%s/%s", out->in.tenant_id, out->in.id);
    return 0;
fail:
    oauth_install_free(out);
    return -1;
}

void oauth_install_free(struct oauth_install *oi)
{
    store_install_clear(&oi->in);
    json_decref(oi->config);
    json_decref(oi->secrets);
    memset(oi, 0, sizeof *oi);
}

const char *oauth_setting(const struct oauth_install *oi, const char *key)
{
    const char *v = key ? json_string_value(json_object_get(oi->config, key)) : NULL;
    return v && *v ? v : NULL;
}

int oauth_secret(const struct oauth_install *oi, const unsigned char *key, const char *name,
                 struct buf *out, struct error *err)
{
    if (!name || !json_object_get(oi->secrets, name))
        return error_set(err, ERR_NOT_FOUND, "%s is not set", name ? name : "the secret");
    return catalog_secret_open(oi->secrets, name, key, oi->aad, out, err);
}

int oauth_endpoint(const struct oauth_install *oi, const char *url, const char *path,
                   struct buf *out, struct error *err)
{
    const char *base = oauth_setting(oi, oi->svc->base_setting);
    int rc;
    if (base) {
        size_t n = strlen(base);
        while (n > 0 && base[n - 1] == '/')
            n--;
        rc = buf_printf(out, "%.*s%s", (int)n, base, path ? path : "");
    } else {
        rc = buf_append_str(out, url);
    }
    return rc < 0 ? error_set(err, ERR_INTERNAL, "out of memory") : 0;
}

int oauth_url(const struct oauth_install *oi, bool authorize, struct buf *out,
              struct error *err)
{
    const struct oauth_service *svc = oi->svc;
    const char *url = authorize ? svc->authorize_url : svc->token_url;
    if (!url)
        return error_set(err, ERR_VALIDATION, "%s has no consent flow", svc->slug);
    return oauth_endpoint(oi, url, authorize ? svc->authorize_path : svc->token_path, out, err);
}

int oauth_percent_encode(struct buf *out, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char c = *p;
        bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                     (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
        char enc[3] = {'%', hex[c >> 4], hex[c & 15]};
        if ((plain ? buf_append(out, p, 1) : buf_append(out, enc, 3)) < 0)
            return -1;
    }
    return 0;
}

int oauth_form_add(struct buf *form, const char *name, const char *value)
{
    if ((form->len && buf_append_str(form, "&") < 0) || oauth_percent_encode(form, name) < 0 ||
        buf_append_str(form, "=") < 0 || oauth_percent_encode(form, value) < 0)
        return -1;
    return 0;
}

int oauth_seal(const struct oauth_install *oi, const unsigned char *master_key,
               const char *what, const char *value, struct buf *out, struct error *err)
{
    char aad[sizeof oi->aad + 32];
    snprintf(aad, sizeof aad, "%s/%s", oi->aad, what);
    buf_reset(out);
    return crypto_seal(master_key, aad, value, strlen(value), out, err);
}

int oauth_unseal(const char *tenant_id, const char *install_id,
                 const unsigned char *master_key, const char *what, const char *sealed,
                 struct buf *out, struct error *err)
{
    char aad[2 * CRYPTO_ID_MAX + 40];
    snprintf(aad, sizeof aad, "%s/%s/%s", tenant_id, install_id, what);
    buf_reset(out);
    return crypto_open(master_key, aad, sealed, out, err);
}
