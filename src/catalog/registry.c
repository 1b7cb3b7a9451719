/* catalog/registry.c - the catalog: connectord's own connector manifests (connectors/, as
 * the build embedded them, in the order of connectors/catalog.list), parsed once with
 * catalog_manifest_parse(), the same validation an outside manifest passes.
 *
 * A built-in manifest the parser refuses is a build defect (the build checked it against
 * the schema, the unit test checked the rest): catalog_init() fails with the manifest and
 * its first problem, and the server does not start; the catalog is then empty rather than
 * partly there. The table lives as long as the process; every function here is
 * thread-safe. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "catalog/manifest_texts.h"

static struct connector_manifest *table; /* manifest_texts_count entries, by value */
static size_t n_table;
static struct error load_err;
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* Parses one embedded text into table[i]: the parsed manifest's contents move into the
 * table (its store now belongs to the table's copy), its shell is freed. */
static int load_one(const struct manifest_text *t, size_t i)
{
    json_error_t jerr;
    json_t *doc = json_loadb(t->text, t->len, JSON_REJECT_DUPLICATES, &jerr);
    json_t *problems = NULL;
    struct connector_manifest *m = NULL;
    struct error err = {0};
    if (!doc)
        return error_set(&load_err, ERR_INTERNAL, "connectors/%s.json: not JSON: %s", t->slug,
                         jerr.text);
    int rc = catalog_manifest_parse(doc, &m, &problems, &err);
    json_decref(doc);
    json_decref(problems);
    if (rc < 0)
        return error_set(&load_err, ERR_INTERNAL, "connectors/%s.json: %s", t->slug,
                         err.message);
    table[i] = *m;
    free(m);
    return 0;
}

static void load(void)
{
    table = calloc(manifest_texts_count ? manifest_texts_count : 1, sizeof *table);
    if (!table) {
        error_set(&load_err, ERR_INTERNAL, "out of memory");
        return;
    }
    size_t i;
    for (i = 0; i < manifest_texts_count; i++)
        if (load_one(&manifest_texts[i], i) < 0)
            break;
    if (i == manifest_texts_count) {
        n_table = i;
        return;
    }
    /* all or nothing: a catalog missing an entry would answer wrongly without a word */
    for (size_t k = 0; k < i; k++) {
        struct connector_manifest *shell = malloc(sizeof *shell);
        if (shell) {
            *shell = table[k];
            catalog_manifest_free(shell);
        }
    }
}

int catalog_init(struct error *err)
{
    pthread_once(&once, load);
    if (load_err.code == ERR_OK)
        return 0;
    if (err)
        *err = load_err;
    return -1;
}

const struct connector_manifest *catalog_all(size_t *count)
{
    pthread_once(&once, load);
    *count = n_table;
    return table;
}

const struct connector_manifest *catalog_find(const char *slug)
{
    size_t n;
    const struct connector_manifest *all = catalog_all(&n);
    for (size_t i = 0; slug && i < n; i++)
        if (strcmp(all[i].slug, slug) == 0)
            return &all[i];
    return NULL;
}

static bool listed(const char *const *names, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return true;
    return false;
}

/* How many manifests name this handler (of the given registry). */
static size_t named_by(const char *name, bool provider)
{
    size_t n, count = 0;
    const struct connector_manifest *all = catalog_all(&n);
    for (size_t i = 0; i < n; i++) {
        const char *h = provider ? all[i].builtin_provider : all[i].builtin_destination;
        count += h && strcmp(h, name) == 0;
    }
    return count;
}

int catalog_check_handlers(const struct catalog_handlers *h, struct error *err)
{
    if (catalog_init(err) < 0)
        return -1;
    size_t n;
    const struct connector_manifest *all = catalog_all(&n);
    for (size_t i = 0; i < n; i++) {
        const char *p = all[i].builtin_provider, *d = all[i].builtin_destination;
        if (p && !listed(h->providers, h->n_providers, p))
            return error_set(err, ERR_INTERNAL, "connectors/%s.json names the payment provider "
                             "\"%s\", which inbound/providers.def does not list", all[i].slug, p);
        if (d && !listed(h->destinations, h->n_destinations, d))
            return error_set(err, ERR_INTERNAL, "connectors/%s.json names the destination "
                             "\"%s\", which outbound/destinations.def does not list",
                             all[i].slug, d);
    }
    for (size_t i = 0; i < h->n_providers; i++)
        if (named_by(h->providers[i], true) != 1)
            return error_set(err, ERR_INTERNAL, "the payment provider \"%s\" is named by %zu "
                             "connector manifests, not one", h->providers[i],
                             named_by(h->providers[i], true));
    for (size_t i = 0; i < h->n_destinations; i++)
        if (named_by(h->destinations[i], false) != 1)
            return error_set(err, ERR_INTERNAL, "the destination \"%s\" is named by %zu "
                             "connector manifests, not one", h->destinations[i],
                             named_by(h->destinations[i], false));
    return 0;
}
