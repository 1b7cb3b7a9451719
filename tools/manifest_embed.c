/* tools/manifest_embed.c - checks the connector manifests (the JSON files of connectors/)
 * against their JSON Schema and compiles them into the binary, so that a manifest that does
 * not fit the format fails the build instead of the server's start.
 *
 * The check is the server's own (src/catalog/schema.c, compiled into this tool too): the
 * part of JSON Schema the format's schema uses, refusing a schema that uses any other
 * keyword. Each manifest's file name must be its slug, and the order file
 * (connectors/catalog.list: one slug a line, # comments) must list every manifest once and
 * name no other. On a failure it prints "FILE: at POINTER: what is wrong" for every problem
 * and exits 1 without writing OUT.c; else it writes the texts (schema, then the manifests
 * in the list's order) as C arrays for src/catalog/registry.c, through OUT.c.tmp and a
 * rename. What the schema cannot say (a default that does not fit its field, a handler that
 * does not exist) the server checks when it parses the manifests (catalog_init), and its
 * unit test before that. Uses jansson, like the server.
 *
 *   manifest_embed OUT.c ORDER.list SCHEMA.json MANIFEST.json... */
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/schema.h"

#define PROBLEMS_MAX 50
#define SLUGS_MAX 256

static void emit_literal(FILE *out, const char *s, size_t n)
{
    fputc('"', out);
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '"' || ch == '\\')
            fprintf(out, "\\%c", ch);
        else if (ch == '\n')
            fputs("\\n\"\n\"", out);
        else if (ch < 0x20 || ch >= 0x7f)
            fprintf(out, "\\%03o", ch);
        else
            fputc(ch, out);
    }
    fputc('"', out);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *data = NULL;
    size_t cap = 0, n = 0, got;
    do {
        if (n == cap) {
            char *p = realloc(data, cap ? cap * 2 : 65536);
            if (!p) {
                free(data);
                fclose(f);
                return NULL;
            }
            data = p;
            cap = cap ? cap * 2 : 65536;
        }
        got = fread(data + n, 1, cap - n, f);
        n += got;
    } while (got > 0);
    fclose(f);
    *len = n;
    return data;
}

/* "connectors/toggl.json" -> "toggl" */
static void base_slug(const char *path, char *out, size_t cap)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    snprintf(out, cap, "%s", b);
    char *dot = strrchr(out, '.');
    if (dot)
        *dot = '\0';
}

/* Prints every problem of m against the schema; returns how many. */
static size_t report(const char *file, const json_t *schema, const json_t *m)
{
    json_t *problems = json_array();
    size_t n = problems ? catalog_schema_check(schema, m, problems, PROBLEMS_MAX) : 1;
    size_t i;
    const json_t *p;
    if (!problems)
        fprintf(stderr, "%s: out of memory\n", file);
    json_array_foreach(problems, i, p) {
        const char *at = json_string_value(json_object_get(p, "pointer"));
        fprintf(stderr, "%s: at %s: %s\n", file, at && *at ? at : "/",
                json_string_value(json_object_get(p, "message")));
    }
    json_decref(problems);
    return n;
}

/* The slugs of the order file, in order; returns how many, or -1. */
static int read_order(const char *path, char slugs[][128], int cap)
{
    FILE *f = fopen(path, "r");
    char line[256];
    int n = 0;
    if (!f) {
        perror(path);
        return -1;
    }
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, " \t\r\n")] = '\0';
        if (!line[0] || line[0] == '#')
            continue;
        if (n == cap || strlen(line) >= 128) {
            fprintf(stderr, "%s: too many lines or a line too long\n", path);
            fclose(f);
            return -1;
        }
        snprintf(slugs[n++], 128, "%s", line);
    }
    fclose(f);
    return n;
}

/* The index of the manifest file named slug among files, or -1. */
static int file_of(char **files, int n, const char *slug)
{
    char base[128];
    for (int i = 0; i < n; i++) {
        base_slug(files[i], base, sizeof base);
        if (strcmp(base, slug) == 0)
            return i;
    }
    return -1;
}

/* Checks the manifests and the order; fills order_out with file indexes in catalog order.
 * Returns the number of problems. */
static int check_all(const char *list, const json_t *schema, char **files, int n,
                     int *order_out)
{
    static char slugs[SLUGS_MAX][128];
    int bad = 0, n_order = read_order(list, slugs, SLUGS_MAX);
    if (n_order < 0)
        return 1;
    for (int i = 0; i < n; i++) {
        json_error_t jerr;
        char slug[128];
        base_slug(files[i], slug, sizeof slug);
        json_t *m = json_load_file(files[i], JSON_REJECT_DUPLICATES, &jerr);
        if (!m) {
            fprintf(stderr, "%s:%d: not JSON: %s\n", files[i], jerr.line, jerr.text);
            bad++;
        } else if (report(files[i], schema, m) > 0) {
            bad++;
        } else if (strcmp(json_string_value(json_object_get(m, "slug")), slug) != 0) {
            fprintf(stderr, "%s: the slug \"%s\" is not the file's name\n", files[i],
                    json_string_value(json_object_get(m, "slug")));
            bad++;
        }
        json_decref(m);
        bool listed = false;
        for (int k = 0; k < n_order; k++)
            listed = listed || strcmp(slugs[k], slug) == 0;
        if (!listed) {
            fprintf(stderr, "%s: not listed in %s (the catalog's order)\n", files[i], list);
            bad++;
        }
    }
    for (int k = 0; k < n_order; k++) {
        order_out[k] = file_of(files, n, slugs[k]);
        for (int j = 0; j < k; j++)
            if (strcmp(slugs[j], slugs[k]) == 0) {
                fprintf(stderr, "%s: %s is listed twice\n", list, slugs[k]);
                bad++;
            }
        if (order_out[k] < 0) {
            fprintf(stderr, "%s: %s has no manifest connectors/%s.json\n", list, slugs[k],
                    slugs[k]);
            bad++;
        }
    }
    return bad;
}

static int write_texts(const char *path, const char *schema_path, char **files,
                       const int *order, int n)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *out = fopen(tmp, "w");
    if (!out) {
        perror(tmp);
        return -1;
    }
    fprintf(out, "/* Generated by tools/manifest_embed from connectors/: do not edit. */\n"
                 "#include \"catalog/manifest_texts.h\"\n\n");
    for (int i = -1; i < n; i++) {
        const char *file = i < 0 ? schema_path : files[order[i]];
        size_t len = 0;
        char *text = slurp(file, &len);
        if (!text) {
            perror(file);
            fclose(out);
            remove(tmp);
            return -1;
        }
        fprintf(out, "static const char text_%d[] =\n", i + 1);
        emit_literal(out, text, len);
        fprintf(out, ";\n\n");
        free(text);
    }
    fprintf(out, "const char *const manifest_schema_text = text_0;\n\n"
                 "const struct manifest_text manifest_texts[] = {\n");
    for (int i = 0; i < n; i++) {
        char slug[128];
        base_slug(files[order[i]], slug, sizeof slug);
        fprintf(out, "    {\"%s\", text_%d, sizeof text_%d - 1},\n", slug, i + 1, i + 1);
    }
    fprintf(out, "};\nconst size_t manifest_texts_count = %d;\n", n);
    if (fclose(out) != 0 || rename(tmp, path) != 0) {
        perror(path);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: manifest_embed OUT.c ORDER.list SCHEMA.json MANIFEST.json...\n");
        return 2;
    }
    json_error_t jerr;
    json_t *schema = json_load_file(argv[3], JSON_REJECT_DUPLICATES, &jerr);
    if (!schema) {
        fprintf(stderr, "%s:%d: %s\n", argv[3], jerr.line, jerr.text);
        return 1;
    }
    int n = argc - 4;
    int *order = calloc(SLUGS_MAX, sizeof *order);
    int bad = !order || n > SLUGS_MAX || check_all(argv[2], schema, argv + 4, n, order) > 0;
    json_decref(schema);
    if (bad || write_texts(argv[1], argv[3], argv + 4, order, n) < 0) {
        fprintf(stderr, "manifest_embed: connector manifests refused; nothing written\n");
        free(order);
        return 1;
    }
    free(order);
    return 0;
}
