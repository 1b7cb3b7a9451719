/* core/json.c - JSON helpers over jansson. */
#include "core/json.h"

#include <stdio.h>
#include <string.h>

#include "core/utf8.h"

json_t *json_parse_body(const char *data, size_t len, struct error *err)
{
    json_error_t jerr;
    if (len == 0) {
        error_set(err, ERR_INVALID_JSON, "request body is empty; expected a JSON object");
        return NULL;
    }
    json_t *root = json_loadb(data, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
    if (!root) {
        /* jansson appends " near '<token>'", and the token is the client's own bytes (the
         * start of a secret, say); the position is enough to find the mistake. */
        char *near = strstr(jerr.text, " near ");
        if (near)
            *near = '\0';
        error_set(err, ERR_INVALID_JSON, "malformed JSON at line %d, column %d: %s",
                  jerr.line, jerr.column, jerr.text);
        return NULL;
    }
    if (!json_is_object(root)) {
        json_decref(root);
        error_set(err, ERR_BAD_REQUEST, "request body must be a JSON object");
        return NULL;
    }
    return root;
}

int json_escape_append(struct buf *b, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        size_t run = i;
        /* copy plain runs in one append */
        while (run < len && p[run] >= 0x20 && p[run] < 0x80 && p[run] != '"' && p[run] != '\\')
            run++;
        if (run > i && buf_append(b, p + i, run - i) < 0)
            return -1;
        i = run;
        if (i >= len)
            break;
        unsigned char c = p[i];
        int rc = 0;
        if (c == '"')
            rc = buf_append(b, "\\\"", 2);
        else if (c == '\\')
            rc = buf_append(b, "\\\\", 2);
        else if (c == '\n')
            rc = buf_append(b, "\\n", 2);
        else if (c == '\r')
            rc = buf_append(b, "\\r", 2);
        else if (c == '\t')
            rc = buf_append(b, "\\t", 2);
        else if (c == '\b')
            rc = buf_append(b, "\\b", 2);
        else if (c == '\f')
            rc = buf_append(b, "\\f", 2);
        else if (c < 0x20)
            rc = buf_printf(b, "\\u%04X", c);
        else {
            size_t n = utf8_seq_len((const char *)p + i, len - i);
            if (n == 0) {
                rc = buf_append(b, "\xef\xbf\xbd", 3);
                n = 1;
            } else {
                rc = buf_append(b, p + i, n);
            }
            if (rc < 0)
                return -1;
            i += n;
            continue;
        }
        if (rc < 0)
            return -1;
        i++;
    }
    return 0;
}

char *json_dump_compact(const json_t *value, size_t *len)
{
    char *s = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
    if (s && len)
        *len = strlen(s);
    return s;
}

const char *json_get_string(const json_t *obj, const char *key, bool *bad)
{
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v))
        return NULL;
    if (!json_is_string(v)) {
        if (bad)
            *bad = true;
        return NULL;
    }
    return json_string_value(v);
}

int json_only_members(const json_t *obj, const char *const *allowed, struct error *err)
{
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)obj, key, value) {
        size_t i = 0;
        while (allowed[i] && strcmp(allowed[i], key) != 0)
            i++;
        if (allowed[i])
            continue;
        char expected[256] = "";
        size_t n = 0, len = 0;
        while (allowed[n])
            n++;
        for (i = 0; i < n && len < sizeof expected; i++)
            len += (size_t)snprintf(expected + len, sizeof expected - len, "%s%s",
                                    i == 0 ? "" : i + 1 == n ? " or " : ", ", allowed[i]);
        return error_set(err, ERR_VALIDATION, "unknown field '%.*s'; expected %s",
                         UTF8_CUT(64, key),
                         expected);
    }
    return 0;
}
