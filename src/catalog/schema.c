/* catalog/schema.c - the JSON Schema subset validator of the connector manifests
 * (schema.h). Every problem found is reported with its JSON pointer, not only the first,
 * so a developer sees all that is wrong with a manifest at once; a node whose type is
 * wrong is not looked into further. */
#include "catalog/schema.h"

#include <regex.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define POINTER_MAX 512
#define MESSAGE_MAX 512
#define DEPTH_MAX 64

struct check {
    const json_t *root;
    json_t *problems;
    size_t max;
    size_t added;
    unsigned depth;
};

static const char *const known_keywords[] = {
    "$schema", "$id",     "title",     "description", "type",      "enum",
    "const",   "properties", "required", "additionalProperties", "items", "minItems",
    "maxItems", "minimum", "maximum",  "minLength",   "maxLength", "pattern",
    "oneOf",   "$ref",    "definitions", NULL};

/* Appends one problem; always returns -1 (the node does not fit). */
static int problem(struct check *c, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int problem(struct check *c, const char *path, const char *fmt, ...)
{
    char msg[MESSAGE_MAX];
    va_list ap;
    if (c->added >= c->max)
        return -1;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_t *p = json_pack("{s:s, s:s}", "pointer", path, "message", msg);
    if (p && json_array_append_new(c->problems, p) == 0)
        c->added++;
    return -1;
}

/* path + "/" + key with key escaped as RFC 6901 says (~ as ~0, / as ~1); -1 if too long. */
static int child_path(char out[POINTER_MAX], const char *path, const char *key)
{
    size_t n = (size_t)snprintf(out, POINTER_MAX, "%s/", path);
    if (n + 3 >= POINTER_MAX)
        return -1;
    for (const char *k = key; *k && n + 3 < POINTER_MAX; k++) {
        if (*k == '~' || *k == '/') {
            out[n++] = '~';
            out[n++] = *k == '~' ? '0' : '1';
        } else {
            out[n++] = *k;
        }
    }
    out[n] = '\0';
    return n + 3 >= POINTER_MAX ? -1 : 0;
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

/* JSON Schema counts a string's length in characters (code points), not bytes. */
static size_t utf8_length(const json_t *s)
{
    const unsigned char *p = (const unsigned char *)json_string_value(s);
    size_t n = 0, len = json_string_length(s);
    for (size_t i = 0; i < len; i++)
        n += (p[i] & 0xC0) != 0x80;
    return n;
}

static const json_t *definition(const struct check *c, const json_t *ref)
{
    const char *r = json_string_value(ref);
    if (!r || strncmp(r, "#/definitions/", 14) != 0)
        return NULL;
    return json_object_get(json_object_get(c->root, "definitions"), r + 14);
}

static int validate(struct check *c, const json_t *schema, const json_t *x, const char *path);

static int check_object(struct check *c, const json_t *schema, const json_t *x,
                        const char *path)
{
    const json_t *props = json_object_get(schema, "properties");
    const json_t *extra = json_object_get(schema, "additionalProperties");
    char sub[POINTER_MAX];
    int rc = 0;
    size_t i;
    const json_t *name;
    json_array_foreach(json_object_get(schema, "required"), i, name)
        if (!json_object_get(x, json_string_value(name)))
            rc = problem(c, path, "the member \"%s\" is required", json_string_value(name));
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)x, key, val) {
        if (child_path(sub, path, key) < 0) {
            rc = problem(c, path, "a member's name is too long");
            continue;
        }
        const json_t *ps = props ? json_object_get(props, key) : NULL;
        if (ps) {
            if (validate(c, ps, val, sub) < 0)
                rc = -1;
        } else if (json_is_false(extra)) {
            rc = problem(c, path, "the member \"%.200s\" is not allowed here", key);
        } else if (json_is_object(extra) && validate(c, extra, val, sub) < 0) {
            rc = -1;
        }
    }
    return rc;
}

static int check_array(struct check *c, const json_t *schema, const json_t *x,
                       const char *path)
{
    const json_t *items = json_object_get(schema, "items");
    const json_t *min = json_object_get(schema, "minItems");
    const json_t *max = json_object_get(schema, "maxItems");
    if (min && (json_int_t)json_array_size(x) < json_integer_value(min))
        return problem(c, path, "has %zu items, fewer than %" JSON_INTEGER_FORMAT,
                       json_array_size(x), json_integer_value(min));
    if (max && (json_int_t)json_array_size(x) > json_integer_value(max))
        return problem(c, path, "has %zu items, more than %" JSON_INTEGER_FORMAT,
                       json_array_size(x), json_integer_value(max));
    if (!items)
        return 0;
    int rc = 0;
    size_t i;
    const json_t *item;
    char sub[POINTER_MAX], idx[24];
    json_array_foreach(x, i, item) {
        snprintf(idx, sizeof idx, "%zu", i);
        if (child_path(sub, path, idx) < 0)
            return problem(c, path, "nested too deeply");
        if (validate(c, items, item, sub) < 0)
            rc = -1;
    }
    return rc;
}

static int check_type(struct check *c, const json_t *t, const json_t *x, const char *path)
{
    if (json_is_string(t))
        return type_is(x, json_string_value(t))
                   ? 0
                   : problem(c, path, "must be of type %s, not %s", json_string_value(t),
                             type_name(x));
    size_t i;
    const json_t *one;
    json_array_foreach(t, i, one)
        if (type_is(x, json_string_value(one)))
            return 0;
    char *want = json_dumps(t, JSON_COMPACT);
    problem(c, path, "must be of type %s, not %s", want ? want : "listed", type_name(x));
    free(want);
    return -1;
}

/* The alternative a tagged object means: the one whose "type" constant is x's "type". */
static const json_t *tagged_alternative(const json_t *alts, const json_t *x)
{
    const json_t *tag = json_object_get(x, "type");
    size_t i;
    const json_t *alt;
    json_array_foreach(alts, i, alt) {
        const json_t *k = json_object_get(
            json_object_get(json_object_get(alt, "properties"), "type"), "const");
        if (tag && k && json_equal((json_t *)tag, (json_t *)k))
            return alt;
    }
    return NULL;
}

/* How many of x's members the (possibly referenced) alternative lists in its properties. */
static size_t members_known(const struct check *c, const json_t *alt, const json_t *x)
{
    const json_t *target = json_object_get(alt, "$ref") ? definition(c, json_object_get(alt, "$ref"))
                                                        : alt;
    const json_t *props = json_object_get(target, "properties");
    size_t n = 0;
    const char *key;
    json_t *val;
    if (!json_is_object(x) || !props)
        return 0;
    json_object_foreach((json_t *)x, key, val)
        n += json_object_get(props, key) != NULL;
    return n;
}

/* A tag no alternative has: name the tags there are. */
static int unknown_tag(struct check *c, const json_t *alts, const char *path)
{
    char tags[MESSAGE_MAX / 2] = "", sub[POINTER_MAX];
    size_t i;
    const json_t *alt;
    json_array_foreach(alts, i, alt) {
        const json_t *k = json_object_get(
            json_object_get(json_object_get(alt, "properties"), "type"), "const");
        size_t used = strlen(tags);
        if (json_is_string(k) && used + json_string_length(k) + 5 < sizeof tags)
            snprintf(tags + used, sizeof tags - used, "%s\"%s\"", used ? ", " : "",
                     json_string_value(k));
    }
    if (!tags[0] || child_path(sub, path, "type") < 0)
        return 1;
    return problem(c, sub, "must be one of %s", tags);
}

static int check_oneof(struct check *c, const json_t *alts, const json_t *x, const char *path)
{
    const json_t *tagged = json_is_object(x) ? tagged_alternative(alts, x) : NULL;
    if (tagged)
        return validate(c, tagged, x, path);
    if (json_is_string(json_object_get(x, "type")) && unknown_tag(c, alts, path) < 0)
        return -1;
    size_t i, matched = 0, best_known = 0, best_depth = 0;
    json_t *best = NULL;
    const json_t *alt;
    json_array_foreach(alts, i, alt) {
        struct check one = {.root = c->root, .problems = json_array(), .max = c->max,
                            .depth = c->depth};
        if (!one.problems)
            return problem(c, path, "out of memory");
        /* the alternative x was most likely meant as: the one that knows most of its
         * members, then the one whose first problem lies deepest */
        size_t known = members_known(c, alt, x);
        if (validate(&one, alt, x, path) == 0) {
            matched++;
            json_decref(one.problems);
            continue;
        }
        const char *first = json_string_value(
            json_object_get(json_array_get(one.problems, 0), "pointer"));
        size_t depth = first ? strlen(first) : 0;
        if (!best || known > best_known || (known == best_known && depth > best_depth)) {
            json_decref(best);
            best = one.problems;
            best_known = known;
            best_depth = depth;
        } else {
            json_decref(one.problems);
        }
    }
    if (matched == 1) {
        json_decref(best);
        return 0;
    }
    if (matched > 1) {
        json_decref(best);
        return problem(c, path, "matches more than one of the allowed forms");
    }
    json_t *p;
    json_array_foreach(best, i, p)
        if (c->added < c->max && json_array_append(c->problems, p) == 0)
            c->added++;
    json_decref(best);
    return -1;
}

static int check_number(struct check *c, const json_t *schema, const json_t *x,
                        const char *path)
{
    const json_t *min = json_object_get(schema, "minimum");
    const json_t *max = json_object_get(schema, "maximum");
    if (min && json_number_value(x) < json_number_value(min))
        return problem(c, path, "must be at least %g", json_number_value(min));
    if (max && json_number_value(x) > json_number_value(max))
        return problem(c, path, "must be at most %g", json_number_value(max));
    return 0;
}

static int check_string(struct check *c, const json_t *schema, const json_t *x,
                        const char *path)
{
    const json_t *minlen = json_object_get(schema, "minLength");
    const json_t *maxlen = json_object_get(schema, "maxLength");
    const json_t *pat = json_object_get(schema, "pattern");
    size_t len = utf8_length(x);
    if (minlen && (json_int_t)len < json_integer_value(minlen))
        return problem(c, path, "is too short (at least %" JSON_INTEGER_FORMAT " characters)",
                       json_integer_value(minlen));
    if (maxlen && (json_int_t)len > json_integer_value(maxlen))
        return problem(c, path, "is too long (at most %" JSON_INTEGER_FORMAT " characters)",
                       json_integer_value(maxlen));
    if (!pat)
        return 0;
    regex_t re;
    if (regcomp(&re, json_string_value(pat), REG_EXTENDED | REG_NOSUB) != 0)
        return problem(c, path, "the schema's pattern %s does not compile",
                       json_string_value(pat));
    int rc = strlen(json_string_value(x)) == json_string_length(x)
                 ? regexec(&re, json_string_value(x), 0, NULL, 0)
                 : REG_NOMATCH; /* a NUL inside never matches */
    regfree(&re);
    if (rc != 0)
        return problem(c, path, "\"%.100s\" does not match %s", json_string_value(x),
                       json_string_value(pat));
    return 0;
}

static int check_enum(struct check *c, const json_t *list, const json_t *x, const char *path)
{
    size_t i;
    const json_t *one;
    json_array_foreach(list, i, one)
        if (json_equal((json_t *)one, (json_t *)x))
            return 0;
    char *allowed = json_dumps(list, JSON_COMPACT);
    problem(c, path, "must be one of %.400s", allowed ? allowed : "the listed values");
    free(allowed);
    return -1;
}

static int check_keywords(struct check *c, const json_t *schema, const char *path)
{
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)schema, key, val) {
        bool known = false;
        for (size_t i = 0; known_keywords[i]; i++)
            known = known || strcmp(known_keywords[i], key) == 0;
        if (!known)
            return problem(c, path, "the schema uses the keyword \"%s\", which this "
                                    "validator does not check", key);
    }
    return 0;
}

static int validate_node(struct check *c, const json_t *schema, const json_t *x,
                         const char *path)
{
    if (check_keywords(c, schema, path) < 0)
        return -1;
    const json_t *ref = json_object_get(schema, "$ref");
    if (ref) {
        const json_t *target = definition(c, ref);
        if (!target)
            return problem(c, path, "the schema's $ref %s names no definition",
                           json_string_value(ref) ? json_string_value(ref) : "?");
        return validate(c, target, x, path);
    }
    const json_t *t = json_object_get(schema, "type");
    if (t && check_type(c, t, x, path) < 0)
        return -1;
    const json_t *k = json_object_get(schema, "const");
    if (k && !json_equal((json_t *)k, (json_t *)x)) {
        char *want = json_dumps(k, JSON_COMPACT | JSON_ENCODE_ANY);
        problem(c, path, "must be %.200s", want ? want : "the schema's constant");
        free(want);
        return -1;
    }
    const json_t *e = json_object_get(schema, "enum");
    if (e && check_enum(c, e, x, path) < 0)
        return -1;
    const json_t *alts = json_object_get(schema, "oneOf");
    if (alts && check_oneof(c, alts, x, path) < 0)
        return -1;
    if (json_is_object(x))
        return check_object(c, schema, x, path);
    if (json_is_array(x))
        return check_array(c, schema, x, path);
    if (json_is_number(x))
        return check_number(c, schema, x, path);
    if (json_is_string(x))
        return check_string(c, schema, x, path);
    return 0;
}

static int validate(struct check *c, const json_t *schema, const json_t *x, const char *path)
{
    if (c->depth >= DEPTH_MAX)
        return problem(c, path, "nested too deeply");
    c->depth++;
    int rc = validate_node(c, schema, x, path);
    c->depth--;
    return rc;
}

size_t catalog_schema_check(const json_t *root, const json_t *doc, json_t *problems,
                            size_t max)
{
    struct check c = {.root = root, .problems = problems, .max = max};
    if (validate(&c, root, doc, "") < 0 && c.added == 0 && max > 0)
        problem(&c, "", "does not fit the schema");
    return c.added;
}
