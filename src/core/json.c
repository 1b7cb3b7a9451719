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

/* Bytes a JSON string holds as they are. */
static bool json_plain(unsigned char c)
{
    return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
}

/* Escapes go out through a small block on the stack, appended when full: JSON text inside
 * JSON (a request's body recorded in an attempt) has a quote every few bytes, and one
 * append per short run cost more than the escaping. Runs longer than the block's room are
 * appended directly. */
int json_escape_append(struct buf *b, const char *s, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *p = (const unsigned char *)s;
    char block[512];
    size_t used = 0;
    for (size_t i = 0; i < len;) {
        size_t run = i;
        while (run < len && json_plain(p[run]))
            run++;
        if (run - i > sizeof block - used) {
            if (buf_append(b, block, used) < 0 || buf_append(b, p + i, run - i) < 0)
                return -1;
            used = 0;
        } else {
            memcpy(block + used, p + i, run - i);
            used += run - i;
        }
        i = run;
        if (i >= len)
            break;
        if (sizeof block - used < 6) { /* the longest escape: \u001F */
            if (buf_append(b, block, used) < 0)
                return -1;
            used = 0;
        }
        unsigned char c = p[i];
        char esc = c == '"' ? '"' : c == '\\' ? '\\' : c == '\n' ? 'n' : c == '\r' ? 'r'
                 : c == '\t' ? 't' : c == '\b' ? 'b' : c == '\f' ? 'f' : 0;
        if (esc) {
            block[used++] = '\\';
            block[used++] = esc;
            i++;
        } else if (c < 0x20) {
            memcpy(block + used, "\\u00", 4);
            block[used + 4] = hex[c >> 4];
            block[used + 5] = hex[c & 0xf];
            used += 6;
            i++;
        } else { /* UTF-8: a whole, valid character as it is; anything else U+FFFD */
            size_t n = utf8_seq_len((const char *)p + i, len - i);
            if (n == 0) {
                memcpy(block + used, "\xef\xbf\xbd", 3);
                used += 3;
                n = 1;
            } else {
                memcpy(block + used, p + i, n);
                used += n;
            }
            i += n;
        }
    }
    return used ? buf_append(b, block, used) : 0;
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
