/* core/json.h - the one set of JSON helpers, over jansson.
 *
 * Request bodies are parsed with json_parse_body(), which bounds nesting, rejects duplicate
 * keys and reports a client-facing error. Responses are built as json_t trees and dumped
 * compactly. Field getters report the field name in their error so the API can say which
 * field was wrong. */
#ifndef CONNECTORD_CORE_JSON_H
#define CONNECTORD_CORE_JSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "core/error.h"

/* Parses a request body that must be one JSON object. Returns a new reference or NULL
 * with err = ERR_INVALID_JSON (malformed) or ERR_BAD_REQUEST (not an object). */
json_t *json_parse_body(const char *data, size_t len, struct error *err);

/* Appends `s` (len bytes) as the inside of a JSON string, escaping as RFC 8259 requires
 * and spelled as jansson's json_dumps spells it (\" \\ \b \f \n \r \t, other control
 * characters as \u00XX with upper-case hex, everything else as it is), so that JSON written
 * by hand is byte for byte what a dumped tree would be. Bytes that are not valid UTF-8 are
 * replaced by U+FFFD so the output is always valid. */
int json_escape_append(struct buf *b, const char *s, size_t len);

/* Compact serialization, caller frees. NULL on allocation failure. */
char *json_dump_compact(const json_t *value, size_t *len);

/* Optional string member: returns NULL when absent; -1 + ERR_INVALID_FIELD when present
 * with another type (through *bad). */
const char *json_get_string(const json_t *obj, const char *key, bool *bad);

/* A request body holds no member but those in `allowed` (NULL-terminated): 0, or -1 with
 * ERR_VALIDATION "unknown field 'x'; expected a, b or c". */
int json_only_members(const json_t *obj, const char *const *allowed, struct error *err);

#endif
