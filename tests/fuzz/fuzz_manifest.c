/* tests/fuzz/fuzz_manifest.c - a connector manifest as a developer submits it:
 * catalog_manifest_parse (src/catalog/manifest.c) with the schema validator
 * (src/catalog/schema.c), then the catalog's use of what it built (catalog_field_at,
 * catalog_schema_json, catalog_config_validate of an empty config).
 *
 * Promises: an accepted manifest has the document's slug and name, a full schema walk that
 * ends, settings keys that are unique, and frees cleanly; a refused one is ERR_VALIDATION
 * with 1 to 50 problems, each {pointer: "" or "/...", message: non-empty}, and no manifest.
 * Seeds: the built-in manifests of connectors/ and a few broken ones. */
#include "fuzz.h"
#include "catalog/catalog.h"

static void check_problems(const json_t *errors, const struct error *err)
{
    must(err->code == ERR_VALIDATION);
    must(json_is_array(errors) && json_array_size(errors) >= 1 && json_array_size(errors) <= 50);
    size_t i;
    json_t *e;
    json_array_foreach(errors, i, e) {
        const char *p = json_string_value(json_object_get(e, "pointer"));
        const char *m = json_string_value(json_object_get(e, "message"));
        must(p && (p[0] == '\0' || p[0] == '/'));
        must(m && m[0]);
    }
}

static void check_manifest(const struct connector_manifest *m, const json_t *doc)
{
    must(strcmp(m->slug, json_string_value(json_object_get(doc, "slug"))) == 0);
    must(strcmp(m->name, json_string_value(json_object_get(doc, "name"))) == 0);
    const struct setting_field *f;
    size_t n = 0;
    for (; (f = catalog_field_at(m, n)) != NULL; n++) {
        must(n < 64 + 16);
        must(catalog_field_find(m, f->key) == f); /* keys are unique */
    }
    json_t *schema = catalog_schema_json(m);
    must(schema && json_array_size(schema) == n);
    json_decref(schema);
    json_t *config = json_object(), *fields = NULL;
    struct error err = {0};
    if (catalog_config_validate(m, config, NULL, NULL, &fields, &err) < 0)
        must(err.code == ERR_VALIDATION && json_array_size(fields) > 0);
    json_decref(fields);
    json_decref(config);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FUZZ_INPUT_MAX)
        return 0;
    json_t *doc = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
    if (!doc)
        return 0;
    struct connector_manifest *m = NULL;
    json_t *errors = NULL;
    struct error err = {0};
    if (catalog_manifest_parse(doc, &m, &errors, &err) == 0) {
        must(m && !errors);
        check_manifest(m, doc);
    } else {
        must(!m);
        check_problems(errors, &err);
    }
    catalog_manifest_free(m);
    json_decref(errors);
    json_decref(doc);
    return 0;
}
