/* tools/manifest_embed.c - checks the connector manifests (the JSON files of connectors/) against their
 * JSON Schema and compiles them into the binary, so that a manifest that does not fit the
 * format fails the build instead of a sync run.
 *
 * The validator knows the part of JSON Schema the format's schema uses (type, enum, const,
 * properties, required, additionalProperties, items, minItems, minimum, maximum,
 * minLength, pattern, oneOf, $ref into #/definitions) and refuses a schema that uses any
 * other keyword, so the schema cannot promise a check that is not made. Each manifest's
 * file name must be its slug. On a failure it prints "FILE: at POINTER: what is wrong" and
 * exits 1 without writing OUT.c; else it writes the texts (manifests and schema) as C
 * arrays for src/sync/manifest.c, through OUT.c.tmp and a rename. With --catalog OUT.inc it
 * also writes, the same way, the catalog entries of the manifests that carry one (kind,
 * description, category, minPlan, authLabel, caps, settings) as C for src/catalog/entries.c:
 * such a connector's catalog entry and settings are its manifest. Uses jansson, like the
 * server.
 *
 *   manifest_embed [--catalog OUT.inc] OUT.c SCHEMA.json MANIFEST.json... */
#include <jansson.h>
#include <regex.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PATH_MAX_LEN 512
#define MSG_MAX 1024

struct verdict {
    char path[PATH_MAX_LEN]; /* where the first problem is */
    char msg[MSG_MAX];
    size_t depth; /* path length: the deepest problem among oneOf's alternatives wins */
};

static const json_t *root_schema;

static int fail(struct verdict *v, const char *path, const char *fmt, const char *a,
                const char *b)
{
    snprintf(v->path, sizeof v->path, "%s", *path ? path : "/");
    snprintf(v->msg, sizeof v->msg, fmt, a, b);
    v->depth = strlen(path);
    return -1;
}

static const char *type_name(const json_t *x)
{
    switch (json_typeof(x)) {
    case JSON_OBJECT:
        return "object";
    case JSON_ARRAY:
        return "array";
    case JSON_STRING:
        return "string";
    case JSON_INTEGER:
        return "integer";
    case JSON_REAL:
        return "number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "boolean";
    case JSON_NULL:
        return "null";
    }
    return "unknown";
}

static bool type_is(const json_t *x, const char *t)
{
    const char *have = type_name(x);
    return strcmp(have, t) == 0 || (strcmp(t, "number") == 0 && strcmp(have, "integer") == 0);
}

static const char *const known_keywords[] = {
    "$schema", "$id", "title", "description", "type", "enum", "const", "properties",
    "required", "additionalProperties", "items", "minItems", "minimum", "maximum",
    "minLength", "pattern", "oneOf", "$ref", "definitions", NULL};

static int validate(const json_t *schema, const json_t *x, const char *path, struct verdict *v);

static int child_path(char *out, const char *path, const char *key)
{
    return snprintf(out, PATH_MAX_LEN, "%s/%s", path, key) >= PATH_MAX_LEN ? -1 : 0;
}

static int check_object(const json_t *schema, const json_t *x, const char *path,
                        struct verdict *v)
{
    const json_t *props = json_object_get(schema, "properties");
    const json_t *extra = json_object_get(schema, "additionalProperties");
    const json_t *req = json_object_get(schema, "required");
    char sub[PATH_MAX_LEN];
    size_t i;
    const json_t *name;
    json_array_foreach(req, i, name)
        if (!json_object_get(x, json_string_value(name)))
            return fail(v, path, "the member \"%s\" is required%s", json_string_value(name), "");
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)x, key, val) {
        if (child_path(sub, path, key) < 0)
            return fail(v, path, "nested too deeply%s%s", "", "");
        const json_t *ps = props ? json_object_get(props, key) : NULL;
        if (ps) {
            if (validate(ps, val, sub, v) < 0)
                return -1;
        } else if (json_is_false(extra)) {
            return fail(v, path, "the member \"%s\" is not allowed here%s", key, "");
        } else if (json_is_object(extra) && validate(extra, val, sub, v) < 0) {
            return -1;
        }
    }
    return 0;
}

static int check_type(const json_t *t, const json_t *x, const char *path, struct verdict *v)
{
    if (json_is_string(t))
        return type_is(x, json_string_value(t))
                   ? 0
                   : fail(v, path, "must be of type %s, not %s", json_string_value(t),
                          type_name(x));
    size_t i;
    const json_t *one;
    json_array_foreach(t, i, one)
        if (type_is(x, json_string_value(one)))
            return 0;
    return fail(v, path, "has the wrong type (%s)%s", type_name(x), "");
}

/* The alternative a tagged object means: the one whose "type" constant is x's "type". */
static const json_t *tagged_alternative(const json_t *alts, const json_t *x)
{
    const json_t *tag = json_object_get(x, "type");
    size_t i;
    const json_t *alt;
    json_array_foreach(alts, i, alt) {
        const json_t *c = json_object_get(json_object_get(json_object_get(alt, "properties"),
                                                          "type"), "const");
        if (tag && c && json_equal((json_t *)tag, (json_t *)c))
            return alt;
    }
    return NULL;
}

/* How many of x's members the (possibly referenced) schema alt lists in its properties. */
static size_t members_known(const json_t *alt, const json_t *x)
{
    const json_t *ref = json_object_get(alt, "$ref");
    const char *r = json_string_value(ref);
    if (r && strncmp(r, "#/definitions/", 14) == 0)
        alt = json_object_get(json_object_get(root_schema, "definitions"), r + 14);
    const json_t *props = json_object_get(alt, "properties");
    size_t n = 0;
    const char *key;
    json_t *val;
    if (!json_is_object(x) || !props)
        return 0;
    json_object_foreach((json_t *)x, key, val)
        n += json_object_get(props, key) != NULL;
    return n;
}

static int check_oneof(const json_t *alts, const json_t *x, const char *path, struct verdict *v)
{
    size_t i, matched = 0;
    const json_t *alt;
    const json_t *tagged = json_is_object(x) ? tagged_alternative(alts, x) : NULL;
    if (tagged)
        return validate(tagged, x, path, v);
    if (json_is_string(json_object_get(x, "type"))) {
        /* A tag no alternative has: name the tags there are. */
        char tags[MSG_MAX] = "", sub[PATH_MAX_LEN];
        json_array_foreach(alts, i, alt) {
            const json_t *c = json_object_get(
                json_object_get(json_object_get(alt, "properties"), "type"), "const");
            if (json_is_string(c) && strlen(tags) + json_string_length(c) + 4 < sizeof tags)
                snprintf(tags + strlen(tags), sizeof tags - strlen(tags), "%s\"%s\"",
                         tags[0] ? ", " : "", json_string_value(c));
        }
        if (tags[0] && child_path(sub, path, "type") == 0)
            return fail(v, sub, "must be one of %s%s", tags, "");
    }
    struct verdict best = {.depth = 0};
    bool have_best = false;
    size_t best_known = 0;
    json_array_foreach(alts, i, alt) {
        struct verdict tried = {.depth = 0};
        /* the alternative x was most likely meant as: the one that knows most of its
         * members, then the one whose problem lies deepest */
        size_t known = members_known(alt, x);
        if (validate(alt, x, path, &tried) == 0)
            matched++;
        else if (!have_best || known > best_known ||
                 (known == best_known && tried.depth > best.depth)) {
            best = tried;
            best_known = known;
            have_best = true;
        }
    }
    if (matched == 1)
        return 0;
    if (matched > 1)
        return fail(v, path, "matches more than one of the allowed forms%s%s", "", "");
    *v = best;
    return -1;
}

static int check_number(const json_t *schema, const json_t *x, const char *path,
                        struct verdict *v)
{
    const json_t *min = json_object_get(schema, "minimum"), *max = json_object_get(schema, "maximum");
    char bound[32];
    if (min && json_number_value(x) < json_number_value(min)) {
        snprintf(bound, sizeof bound, "%g", json_number_value(min));
        return fail(v, path, "must be at least %s%s", bound, "");
    }
    if (max && json_number_value(x) > json_number_value(max)) {
        snprintf(bound, sizeof bound, "%g", json_number_value(max));
        return fail(v, path, "must be at most %s%s", bound, "");
    }
    return 0;
}

static int check_string(const json_t *schema, const json_t *x, const char *path,
                        struct verdict *v)
{
    const json_t *minlen = json_object_get(schema, "minLength");
    const json_t *pat = json_object_get(schema, "pattern");
    if (minlen && (json_int_t)json_string_length(x) < json_integer_value(minlen))
        return fail(v, path, "is too short%s%s", "", "");
    if (pat) {
        regex_t re;
        if (regcomp(&re, json_string_value(pat), REG_EXTENDED | REG_NOSUB) != 0)
            return fail(v, path, "the schema's pattern %s does not compile%s",
                        json_string_value(pat), "");
        int rc = regexec(&re, json_string_value(x), 0, NULL, 0);
        regfree(&re);
        if (rc != 0)
            return fail(v, path, "\"%s\" does not match %s", json_string_value(x),
                        json_string_value(pat));
    }
    return 0;
}

static int check_enum(const json_t *list, const json_t *x, const char *path, struct verdict *v)
{
    size_t i;
    const json_t *one;
    json_array_foreach(list, i, one)
        if (json_equal((json_t *)one, (json_t *)x))
            return 0;
    char *allowed = json_dumps(list, JSON_COMPACT);
    fail(v, path, "must be one of %s%s", allowed ? allowed : "the listed values", "");
    free(allowed);
    return -1;
}

static int validate(const json_t *schema, const json_t *x, const char *path, struct verdict *v)
{
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)schema, key, val) {
        bool known = false;
        for (size_t i = 0; known_keywords[i]; i++)
            known = known || strcmp(known_keywords[i], key) == 0;
        if (!known)
            return fail(v, path, "the schema uses the keyword \"%s\", which this validator "
                                 "does not check%s", key, "");
    }
    const json_t *ref = json_object_get(schema, "$ref");
    if (ref) {
        const char *r = json_string_value(ref);
        const json_t *defs = json_object_get(root_schema, "definitions");
        const json_t *target = r && strncmp(r, "#/definitions/", 14) == 0
                                   ? json_object_get(defs, r + 14)
                                   : NULL;
        if (!target)
            return fail(v, path, "the schema's $ref %s names no definition%s", r ? r : "?", "");
        return validate(target, x, path, v);
    }
    const json_t *t = json_object_get(schema, "type");
    if (t && check_type(t, x, path, v) < 0)
        return -1;
    const json_t *c = json_object_get(schema, "const");
    if (c && !json_equal((json_t *)c, (json_t *)x)) {
        char *want = json_dumps(c, JSON_COMPACT | JSON_ENCODE_ANY);
        fail(v, path, "must be %s%s", want ? want : "the schema's constant", "");
        free(want);
        return -1;
    }
    const json_t *e = json_object_get(schema, "enum");
    if (e && check_enum(e, x, path, v) < 0)
        return -1;
    const json_t *alts = json_object_get(schema, "oneOf");
    if (alts && check_oneof(alts, x, path, v) < 0)
        return -1;
    if (json_is_object(x) && check_object(schema, x, path, v) < 0)
        return -1;
    if (json_is_number(x) && check_number(schema, x, path, v) < 0)
        return -1;
    if (json_is_string(x) && check_string(schema, x, path, v) < 0)
        return -1;
    if (json_is_array(x)) {
        const json_t *items = json_object_get(schema, "items");
        const json_t *min = json_object_get(schema, "minItems");
        if (min && (json_int_t)json_array_size(x) < json_integer_value(min))
            return fail(v, path, "has too few items%s%s", "", "");
        size_t i;
        const json_t *item;
        char sub[PATH_MAX_LEN], idx[24];
        json_array_foreach(x, i, item) {
            snprintf(idx, sizeof idx, "%zu", i);
            if (child_path(sub, path, idx) < 0)
                return fail(v, path, "nested too deeply%s%s", "", "");
            if (items && validate(items, item, sub, v) < 0)
                return -1;
        }
    }
    return 0;
}

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

/* A C string literal of s, escaped: quotes, backslashes, bytes outside printable ASCII
 * (as three-digit octal, which cannot run on into the next character) and '?' (no
 * trigraph can form). */
static void emit_cstr(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\' || ch == '?')
            fprintf(out, "\\%c", ch);
        else if (ch < 0x20 || ch >= 0x7f)
            fprintf(out, "\\%03o", ch);
        else
            fputc(ch, out);
    }
    fputc('"', out);
}

static void emit_member(FILE *out, const char *field, const json_t *m, const char *key)
{
    const json_t *v = json_object_get(m, key);
    if (!json_is_string(v))
        return;
    fprintf(out, " .%s = ", field);
    emit_cstr(out, json_string_value(v));
    fputc(',', out);
}

/* The C name a manifest's name maps to: "SETTING_" + upper("secret"); a name the schema
 * allows always has one, as the schema's enums and these tables list the same names. */
static const char *c_name(const char *const *pairs, const char *name)
{
    for (size_t i = 0; pairs[i]; i += 2)
        if (strcmp(pairs[i], name) == 0)
            return pairs[i + 1];
    return NULL;
}

static const char *const kinds[] = {"webhook", "KIND_WEBHOOK", "api", "KIND_API", "hybrid",
                                    "KIND_HYBRID", "destination", "KIND_DESTINATION", NULL};
static const char *const setting_types[] = {
    "string", "SETTING_STRING", "secret", "SETTING_SECRET", "url", "SETTING_URL",
    "bool", "SETTING_BOOL", "int", "SETTING_INT", "enum", "SETTING_ENUM",
    "string_list", "SETTING_STRING_LIST", NULL};
static const char *const setting_flags[] = {"required", "SETTING_REQUIRED", "sensitive",
                                            "SETTING_SENSITIVE", "awaitable",
                                            "SETTING_AWAITABLE", NULL};
static const char *const caps_names[] = {"payment", "CATALOG_CAP_PAYMENT", "api",
                                         "CATALOG_CAP_API_BASE_URL", "sync",
                                         "CATALOG_CAP_SYNC", NULL};

/* " A | B" of a list of names, or " 0" */
static void emit_or(FILE *out, const char *const *pairs, const json_t *list)
{
    size_t i;
    const json_t *one;
    if (json_array_size(list) == 0)
        fputs(" 0", out);
    json_array_foreach(list, i, one)
        fprintf(out, "%s%s", i ? " | " : " ", c_name(pairs, json_string_value(one)));
}

/* "toggl" -> "toggl", "google-workspace" -> "google_workspace" */
static void c_ident(const char *slug, char *out, size_t cap)
{
    snprintf(out, cap, "%s", slug);
    for (char *p = out; *p; p++)
        if (*p == '-')
            *p = '_';
}

/* A manifest with a catalog entry (it has "kind") must carry all of the entry's members. */
static const char *const entry_members[] = {"description", "kind", "category", "minPlan",
                                            "authLabel", NULL};

static int check_entry(const char *file, const json_t *m)
{
    if (!json_object_get(m, "kind"))
        return 0;
    for (size_t i = 0; entry_members[i]; i++)
        if (!json_object_get(m, entry_members[i])) {
            fprintf(stderr, "%s: at /: the member \"%s\" is required with \"kind\" (a catalog "
                            "entry)\n", file, entry_members[i]);
            return -1;
        }
    return 0;
}

/* The catalog entries of the manifests that have one (src/catalog/entries.c includes the
 * file): per connector its settings as a struct setting_field array and its table row as
 * the macro CATALOG_ENTRY_<slug>, so the table keeps its order and names each row. */
static int write_catalog(const char *path, json_t *const *ms, int n)
{
    char tmp[4096], id[128];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *out = fopen(tmp, "w");
    if (!out) {
        perror(tmp);
        return -1;
    }
    fprintf(out, "/* Generated by tools/manifest_embed from connectors/: do not edit. The catalog "
                 "entries of\n * the connector manifests, included by src/catalog/entries.c. */\n");
    for (int k = 0; k < n; k++) {
        const json_t *m = ms[k];
        if (!json_object_get(m, "kind"))
            continue;
        c_ident(json_string_value(json_object_get(m, "slug")), id, sizeof id);
        const json_t *settings = json_object_get(m, "settings");
        size_t i;
        const json_t *f;
        fprintf(out, "\n");
        json_array_foreach(settings, i, f) {
            const json_t *allowed = json_object_get(f, "allowed");
            if (!allowed)
                continue;
            size_t j;
            const json_t *a;
            fprintf(out, "static const char *const manifest_%s_allowed_%zu[] = {", id, i);
            json_array_foreach(allowed, j, a) {
                emit_cstr(out, json_string_value(a));
                fputs(", ", out);
            }
            fprintf(out, "NULL};\n");
        }
        if (json_array_size(settings) > 0)
            fprintf(out, "static const struct setting_field manifest_%s_fields[] = {\n", id);
        json_array_foreach(settings, i, f) {
            fputs("    {", out);
            emit_member(out, "key", f, "key");
            emit_member(out, "label", f, "label");
            fprintf(out, " .type = %s,", c_name(setting_types,
                                                json_string_value(json_object_get(f, "type"))));
            fputs(" .flags =", out);
            emit_or(out, setting_flags, json_object_get(f, "flags"));
            fputc(',', out);
            const json_t *d = json_object_get(f, "default");
            if (d) {
                char *text = json_dumps(d, JSON_COMPACT | JSON_ENCODE_ANY);
                if (!text) {
                    fclose(out);
                    remove(tmp);
                    return -1;
                }
                fputs(" .default_value = ", out);
                emit_cstr(out, text);
                fputc(',', out);
                free(text);
            }
            if (json_object_get(f, "allowed"))
                fprintf(out, " .allowed = manifest_%s_allowed_%zu,", id, i);
            emit_member(out, "pattern", f, "pattern");
            emit_member(out, "format", f, "format");
            if (json_object_get(f, "min"))
                fprintf(out, " .min = %" JSON_INTEGER_FORMAT ",",
                        json_integer_value(json_object_get(f, "min")));
            if (json_object_get(f, "max"))
                fprintf(out, " .max = %" JSON_INTEGER_FORMAT ",",
                        json_integer_value(json_object_get(f, "max")));
            emit_member(out, "help", f, "help");
            fputs("},\n", out);
        }
        if (json_array_size(settings) > 0)
            fprintf(out, "};\n");
        fprintf(out, "#define CATALOG_ENTRY_%s {", id);
        emit_member(out, "slug", m, "slug");
        emit_member(out, "name", m, "name");
        emit_member(out, "description", m, "description");
        fprintf(out, " .kind = %s,", c_name(kinds, json_string_value(json_object_get(m, "kind"))));
        emit_member(out, "category", m, "category");
        emit_member(out, "min_plan", m, "minPlan");
        emit_member(out, "auth_label", m, "authLabel");
        if (json_array_size(settings) > 0)
            fprintf(out, " .fields = manifest_%s_fields, .n_fields = %zu,", id,
                    json_array_size(settings));
        fputs(" .caps =", out);
        emit_or(out, caps_names, json_object_get(m, "caps"));
        fputs("}\n", out);
    }
    if (fclose(out) != 0 || rename(tmp, path) != 0) {
        perror(path);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *catalog = NULL;
    if (argc > 2 && strcmp(argv[1], "--catalog") == 0) {
        catalog = argv[2];
        argv += 2;
        argc -= 2;
    }
    if (argc < 3) {
        fprintf(stderr, "usage: manifest_embed [--catalog OUT.inc] OUT.c SCHEMA.json "
                        "MANIFEST.json...\n");
        return 2;
    }
    json_t **ms = calloc((size_t)argc, sizeof *ms); /* the manifests, for the catalog */
    if (!ms)
        return 1;
    json_error_t jerr;
    json_t *schema = json_load_file(argv[2], JSON_REJECT_DUPLICATES, &jerr);
    if (!schema) {
        fprintf(stderr, "%s:%d: %s\n", argv[2], jerr.line, jerr.text);
        return 1;
    }
    root_schema = schema;
    int bad = 0;
    for (int i = 3; i < argc; i++) {
        json_t *m = json_load_file(argv[i], JSON_REJECT_DUPLICATES, &jerr);
        struct verdict v = {.depth = 0};
        char slug[128];
        base_slug(argv[i], slug, sizeof slug);
        if (!m) {
            fprintf(stderr, "%s:%d: not JSON: %s\n", argv[i], jerr.line, jerr.text);
            bad = 1;
        } else if (validate(schema, m, "", &v) < 0) {
            fprintf(stderr, "%s: at %s: %s (schema %s)\n", argv[i], v.path, v.msg, argv[2]);
            bad = 1;
        } else if (strcmp(json_string_value(json_object_get(m, "slug")), slug) != 0) {
            fprintf(stderr, "%s: the slug \"%s\" is not the file's name\n", argv[i],
                    json_string_value(json_object_get(m, "slug")));
            bad = 1;
        } else if (check_entry(argv[i], m) < 0) {
            bad = 1;
        }
        ms[i - 3] = m;
    }
    json_decref(schema);
    if (!bad && catalog && write_catalog(catalog, ms, argc - 3) < 0)
        bad = 1;
    for (int i = 0; i < argc - 3; i++)
        json_decref(ms[i]);
    free(ms);
    if (bad) {
        fprintf(stderr, "manifest_embed: connector manifests refused; nothing written\n");
        return 1;
    }
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", argv[1]);
    FILE *out = fopen(tmp, "w");
    if (!out) {
        perror(tmp);
        return 1;
    }
    fprintf(out, "/* Generated by tools/manifest_embed from connectors/: do not edit. */\n"
                 "#include \"sync/manifest_texts.h\"\n\n");
    for (int i = 2; i < argc; i++) {
        size_t n = 0;
        char *text = slurp(argv[i], &n);
        if (!text) {
            perror(argv[i]);
            fclose(out);
            remove(tmp);
            return 1;
        }
        fprintf(out, "static const char text_%d[] =\n", i);
        emit_literal(out, text, n);
        fprintf(out, ";\n\n");
        free(text);
    }
    fprintf(out, "const char *const manifest_schema_text = text_2;\n\n"
                 "const struct manifest_text manifest_texts[] = {\n");
    for (int i = 3; i < argc; i++) {
        char slug[128];
        base_slug(argv[i], slug, sizeof slug);
        fprintf(out, "    {\"%s\", text_%d, sizeof text_%d - 1},\n", slug, i, i);
    }
    fprintf(out, "};\nconst size_t manifest_texts_count = %d;\n", argc - 3);
    if (fclose(out) != 0 || rename(tmp, argv[1]) != 0) {
        perror(argv[1]);
        return 1;
    }
    return 0;
}
