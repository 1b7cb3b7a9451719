/* tests/fuzz/fuzz_jscan.c - the field reader (src/core/jscan.c) against jansson, over any
 * text: the reader stands in for json_loadb() on webhook bodies, so both must agree.
 *
 * Promises: jscan_fields() accepts exactly what json_loadb() with flags 0 accepts; for each
 * asked path the reader finds what the tree holds there (absent, the same literal, the same
 * integer, a real, the same decoded string bytes, an object or array with as many members, a key given twice counted twice),
 * and an object's or array's span is itself a text the reader accepts. The paths are short
 * member names so that mutations hit them. Seeds: webhook bodies and edge cases of the
 * grammar (tests/fuzz/corpus/jscan/). */
#include "fuzz.h"
#include "core/jscan.h"

#include <jansson.h>

static const char *const paths[] = {
    "a", "b", "a.b", "a.b.c", "id", "type", "data.object", "data.object.id",
    "data.object.amount_paid", "data.object.currency", "data.object.status_transitions.paid_at",
    "\xc3\xa9", "a.a.a.a.a.a.a.a",
};
enum { N_PATHS = sizeof paths / sizeof paths[0] };

static json_t *tree_at(json_t *root, const char *path)
{
    json_t *cur = root;
    const char *p = path;
    while (cur && *p) {
        const char *dot = strchr(p, '.');
        size_t len = dot ? (size_t)(dot - p) : strlen(p);
        cur = json_is_object(cur) ? json_object_getn(cur, p, len) : NULL;
        p = dot ? dot + 1 : p + len;
    }
    return cur;
}

static void same_value(const struct jscan_value *v, json_t *j)
{
    struct error err = {0};
    switch (v->type) {
    case JSCAN_ABSENT:
        must(j == NULL);
        return;
    case JSCAN_NULL:
        must(json_is_null(j));
        return;
    case JSCAN_TRUE:
        must(json_is_true(j));
        return;
    case JSCAN_FALSE:
        must(json_is_false(j));
        return;
    case JSCAN_INTEGER:
        must(json_is_integer(j) && json_integer_value(j) == v->integer);
        return;
    case JSCAN_REAL:
        must(json_is_real(j));
        return;
    case JSCAN_STRING: {
        char *buf = malloc(v->len + 1);
        must(buf != NULL);
        long n = jscan_string(v, buf, v->len + 1);
        must(n >= 0 && json_is_string(j) && (size_t)n == json_string_length(j) &&
             memcmp(buf, json_string_value(j), (size_t)n) == 0 && valid_utf8_n(buf, (size_t)n));
        if (n > 0)
            must(jscan_string(v, buf, (size_t)n) == -1); /* one byte short: refused */
        free(buf);
        return;
    }
    case JSCAN_OBJECT:
    case JSCAN_ARRAY: {
        bool obj = v->type == JSCAN_OBJECT;
        /* A key given twice is one member of the tree but two as written. */
        must(obj ? json_is_object(j) && json_object_size(j) <= v->members &&
                       (json_object_size(j) == 0) == (v->members == 0)
                 : json_is_array(j) && json_array_size(j) == v->members);
        must(v->len >= 2 && v->text[0] == (obj ? '{' : '[') &&
             v->text[v->len - 1] == (obj ? '}' : ']'));
        struct jscan_value inner;
        must(jscan_fields(v->text, v->len, paths, 1, &inner, &err) == 0);
        return;
    }
    }
    must(false);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FUZZ_INPUT_MAX)
        return 0;
    /* An exact copy, not NUL-terminated: ASan sees a read past the end. */
    char *copy = malloc(size ? size : 1);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    struct jscan_value out[N_PATHS];
    struct error err = {0};
    int rc = jscan_fields(copy, size, paths, N_PATHS, out, &err);
    json_t *root = json_loadb(copy, size, 0, NULL);
    must((rc == 0) == (root != NULL));
    if (rc < 0)
        must(err.code == ERR_INVALID_JSON && valid_utf8(err.message));
    for (size_t i = 0; rc == 0 && i < N_PATHS; i++)
        same_value(&out[i], tree_at(root, paths[i]));
    json_decref(root);
    free(copy);
    return 0;
}
