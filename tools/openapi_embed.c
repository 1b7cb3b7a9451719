/* tools/openapi_embed.c - assembles the OpenAPI document from openapi/ and writes it as C.
 *
 *   openapi_embed OUT.c VERSION ERRORS.def BASE.json PATHS.json...
 *
 * BASE.json holds everything but the paths; each PATHS.json is one area's object of path
 * items ("/api/x/{id}": {"get": {...}}) and may carry a "components" member that joins the
 * base's. Two files may describe different methods of one path, never the same method, and
 * a component is defined once: a clash fails the build rather than one area silently
 * replacing another's text. The error codes of errors.def become the ErrorCode enum, and
 * VERSION the document's info.version, so neither is written twice. The result is one
 * compact JSON text in a byte array (src/api/openapi.h); the output is written to OUT.c.tmp
 * and renamed, so an interrupted build leaves no half file. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const methods[] = {"get", "put", "post", "delete", "options",
                                      "head", "patch", "trace", NULL};

static int is_method(const char *key)
{
    for (int i = 0; methods[i]; i++)
        if (strcmp(key, methods[i]) == 0)
            return 1;
    return 0;
}

static json_t *load(const char *path)
{
    json_error_t e;
    json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &e);
    if (!doc)
        fprintf(stderr, "openapi_embed: %s:%d: %s\n", path, e.line, e.text);
    else if (!json_is_object(doc)) {
        fprintf(stderr, "openapi_embed: %s: not a JSON object\n", path);
        json_decref(doc);
        doc = NULL;
    }
    return doc;
}

/* Adds one area's components to the document's, each name once. */
static int merge_components(json_t *doc, json_t *extra, const char *file)
{
    json_t *comps = json_object_get(doc, "components");
    const char *kind;
    json_t *group;
    if (!json_is_object(extra)) {
        fprintf(stderr, "openapi_embed: %s: components must be an object\n", file);
        return -1;
    }
    json_object_foreach(extra, kind, group) {
        json_t *into = json_object_get(comps, kind);
        const char *name;
        json_t *value;
        if (!into) {
            into = json_object();
            json_object_set_new(comps, kind, into);
        }
        json_object_foreach(group, name, value) {
            if (json_object_get(into, name)) {
                fprintf(stderr, "openapi_embed: %s: components.%s.%s is defined already\n",
                        file, kind, name);
                return -1;
            }
            json_object_set(into, name, value);
        }
    }
    return 0;
}

/* Adds one area's path items to the document's paths. */
static int merge_area(json_t *doc, json_t *area, const char *file)
{
    json_t *paths = json_object_get(doc, "paths");
    const char *path;
    json_t *item;
    json_object_foreach(area, path, item) {
        if (strcmp(path, "components") == 0) {
            if (merge_components(doc, item, file) < 0)
                return -1;
            continue;
        }
        if (path[0] != '/' || !json_is_object(item)) {
            fprintf(stderr, "openapi_embed: %s: \"%s\" is not a path item\n", file, path);
            return -1;
        }
        json_t *into = json_object_get(paths, path);
        if (!into) {
            json_object_set(paths, path, item);
            continue;
        }
        const char *key;
        json_t *op;
        json_object_foreach(item, key, op) {
            if (json_object_get(into, key)) {
                fprintf(stderr, "openapi_embed: %s: %s %s is described already\n", file, key,
                        path);
                return -1;
            }
            json_object_set(into, key, op);
        }
    }
    return 0;
}

/* Every operation answers something and names its errors' shape. */
static int check_operations(json_t *doc)
{
    const char *path;
    json_t *item;
    json_object_foreach(json_object_get(doc, "paths"), path, item) {
        const char *key;
        json_t *op;
        json_object_foreach(item, key, op) {
            if (!is_method(key))
                continue;
            if (!json_is_object(json_object_get(op, "responses"))) {
                fprintf(stderr, "openapi_embed: %s %s has no responses\n", key, path);
                return -1;
            }
        }
    }
    return 0;
}

/* ERR(ERR_NOT_FOUND, 404, "not_found") lines: the codes in the order of the table. */
static int error_codes(json_t *doc, const char *def_path)
{
    FILE *f = fopen(def_path, "r");
    char line[512];
    json_t *schema = json_object_get(json_object_get(json_object_get(doc, "components"),
                                                     "schemas"), "ErrorCode");
    json_t *codes = json_array();
    if (!f || !schema) {
        fprintf(stderr, "openapi_embed: %s: cannot read, or base has no ErrorCode\n", def_path);
        if (f)
            fclose(f);
        json_decref(codes);
        return -1;
    }
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "ERR(", 4) != 0)
            continue;
        char *open = strchr(line, '"');
        char *close = open ? strchr(open + 1, '"') : NULL;
        if (!close)
            continue;
        *close = '\0';
        if (strcmp(open + 1, "ok") != 0)
            json_array_append_new(codes, json_string(open + 1));
    }
    fclose(f);
    json_object_set_new(schema, "enum", codes);
    return 0;
}

static int write_c(const char *out_path, const char *text)
{
    char tmp[4096];
    size_t len = strlen(text);
    if (snprintf(tmp, sizeof tmp, "%s.tmp", out_path) >= (int)sizeof tmp)
        return -1;
    FILE *out = fopen(tmp, "w");
    if (!out)
        return -1;
    fprintf(out, "/* Generated by tools/openapi_embed from openapi/; do not edit. */\n"
                 "#include \"api/openapi.h\"\n\n"
                 "static const char text[] = {");
    for (size_t k = 0; k < len; k++)
        fprintf(out, "%s%d,", k % 20 ? "" : "\n    ", (unsigned char)text[k]);
    fprintf(out, "\n    0};\n\nconst char *const openapi_document = text;\n"
                 "const size_t openapi_document_len = %zu;\n", len);
    if (fclose(out) != 0 || rename(tmp, out_path) != 0)
        return -1;
    return 0;
}

int main(int argc, char **argv)
{
    int rc = 1;
    char *text = NULL;
    if (argc < 5) {
        fprintf(stderr, "usage: openapi_embed OUT.c VERSION ERRORS.def BASE.json PATHS.json...\n");
        return 2;
    }
    json_t *doc = load(argv[4]);
    if (!doc || !json_is_object(json_object_get(doc, "paths")) ||
        !json_is_object(json_object_get(doc, "components")) ||
        !json_is_object(json_object_get(doc, "info"))) {
        fprintf(stderr, "openapi_embed: %s: needs info, paths and components\n", argv[4]);
        goto out;
    }
    for (int i = 5; i < argc; i++) {
        json_t *area = load(argv[i]);
        int bad = !area || merge_area(doc, area, argv[i]) < 0;
        json_decref(area);
        if (bad)
            goto out;
    }
    if (check_operations(doc) < 0 || error_codes(doc, argv[3]) < 0)
        goto out;
    json_object_set_new(json_object_get(doc, "info"), "version", json_string(argv[2]));
    text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
    if (!text || write_c(argv[1], text) < 0) {
        fprintf(stderr, "openapi_embed: cannot write %s\n", argv[1]);
        goto out;
    }
    rc = 0;
out:
    free(text);
    json_decref(doc);
    return rc;
}
