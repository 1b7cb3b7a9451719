/* sync/manifest.c - the api blocks of the catalog's connector manifests, read once
 * (manifest.h).
 *
 * The catalog (catalog/) owns the manifests: it parsed and validated each, and keeps its
 * document for the life of the process; a connector here is one whose manifest has an api
 * block. */
#include "sync/manifest.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"

#define MANIFESTS_MAX 64

static struct sync_manifest manifests[MANIFESTS_MAX];
static char *scope_texts[MANIFESTS_MAX];
static size_t n_manifests;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static const char *str(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* The scopes as one space-separated string (OAuth's own form). */
static char *join_scopes(const json_t *list)
{
    size_t len = 1, i;
    const json_t *s;
    json_array_foreach(list, i, s)
        len += json_string_length(s) + 1;
    char *out = calloc(1, len);
    if (!out)
        return NULL;
    json_array_foreach(list, i, s) {
        if (*out)
            strcat(out, " ");
        strcat(out, json_string_value(s));
    }
    return out;
}

static void load_one(const struct connector_manifest *c)
{
    const json_t *api = json_object_get(c->doc, "api");
    if (!json_is_object(api) || n_manifests == MANIFESTS_MAX)
        return;
    struct sync_manifest *m = &manifests[n_manifests];
    m->slug = c->slug;
    m->name = c->name;
    m->api = api;
    m->available = !json_is_false(json_object_get(api, "available"));
    m->reason = str(api, "reason");
    const json_t *auth = json_object_get(api, "auth");
    const char *type = str(auth, "type");
    m->auth = type && strcmp(type, "basic") == 0    ? SYNC_AUTH_BASIC
              : type && strcmp(type, "oauth2") == 0 ? SYNC_AUTH_OAUTH2
                                                    : SYNC_AUTH_HEADER;
    if (m->auth == SYNC_AUTH_OAUTH2) {
        scope_texts[n_manifests] = join_scopes(json_object_get(auth, "scopes"));
        m->oauth2 = (struct sync_oauth2){
            .authorize_url = str(auth, "authorizeUrl"),
            .token_url = str(auth, "tokenUrl"),
            .scopes = scope_texts[n_manifests] ? scope_texts[n_manifests] : "",
            .client_id_setting = str(auth, "clientIdSetting"),
            .client_secret_setting = str(auth, "clientSecretSetting")};
    }
    n_manifests++;
}

static void load_all(void)
{
    size_t n;
    const struct connector_manifest *all = catalog_all(&n);
    for (size_t i = 0; i < n; i++)
        load_one(&all[i]);
}

const struct sync_manifest *sync_manifest_at(size_t i)
{
    pthread_once(&once, load_all);
    return i < n_manifests ? &manifests[i] : NULL;
}

const struct sync_manifest *sync_manifest_find(const char *slug)
{
    const struct sync_manifest *m;
    for (size_t i = 0; slug && (m = sync_manifest_at(i)) != NULL; i++)
        if (strcmp(m->slug, slug) == 0)
            return m;
    return NULL;
}

const char *sync_manifest_schema(void)
{
    return catalog_manifest_schema();
}
