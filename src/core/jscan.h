/* core/jscan.h - reads the few fields a caller needs out of a JSON text, without a tree.
 *
 * A webhook body is read for a handful of values ("type", "data.object.amount_paid"), yet
 * jansson builds every member of it as an allocated node first. jscan_fields() reads the
 * text once, validates all of it as strictly as jansson's json_loadb() with flags 0 does,
 * and notes where each asked-for value lies: no tree, no allocation for the common input
 * (a real number longer than 63 bytes is copied once to check its range).
 *
 * The same text is refused by both: invalid UTF-8, control characters or \u0000 in strings,
 * bad escapes and lone surrogates, integers outside int64_t, reals that overflow a double,
 * a top level that is not an object or array, anything after it but whitespace, nesting
 * deeper than JSCAN_MAX_DEPTH (jansson's JSON_PARSER_MAX_DEPTH). A key given twice keeps its
 * last value, as jansson without JSON_REJECT_DUPLICATES does; and one NUL byte right after a
 * number or literal is passed over, as jansson's stream loses it.
 *
 * Paths are dotted member names from the top object ("data.object.id"); they never go
 * into arrays. Values are views into the caller's text, which must outlive them. */
#ifndef CONNECTORD_CORE_JSCAN_H
#define CONNECTORD_CORE_JSCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

#define JSCAN_MAX_DEPTH 2048 /* containers nested in each other; jansson's bound */
#define JSCAN_MAX_PATHS 64   /* paths one call may ask for */
#define JSCAN_PATH_DEPTH 8   /* members per path */
#define JSCAN_KEY_MAX 63     /* bytes per member name of a path */

enum jscan_type {
    JSCAN_ABSENT, /* not in the text (or a member on the way is no object) */
    JSCAN_NULL,
    JSCAN_FALSE,
    JSCAN_TRUE,
    JSCAN_INTEGER, /* a number without fraction or exponent: exact in .integer */
    JSCAN_REAL,    /* any other number */
    JSCAN_STRING,
    JSCAN_OBJECT,
    JSCAN_ARRAY,
};

struct jscan_value {
    enum jscan_type type;
    const char *text; /* the value's bytes in the input; a string's without its quotes */
    size_t len;
    bool escaped;   /* a string with backslash escapes (jscan_string decodes them) */
    size_t members; /* an object's members as written (a key twice counts twice), an
                       array's elements */
    int64_t integer;
};

/* Validates the whole of data (len bytes, not NUL-terminated) and fills out[i] for
 * paths[i] (n <= JSCAN_MAX_PATHS, each at most JSCAN_PATH_DEPTH members of at most
 * JSCAN_KEY_MAX bytes). 0, or -1 with ERR_INVALID_JSON and the byte offset where the text
 * went wrong (out is undefined then), or ERR_INTERNAL for paths beyond those bounds. */
int jscan_fields(const char *data, size_t len, const char *const *paths, size_t n,
                 struct jscan_value *out, struct error *err);

/* The string v holds, decoded and NUL-terminated into buf (cap bytes; v->len + 1 always
 * suffice): its length, or -1 when v is no string or buf is too small. The text was
 * validated by jscan_fields, so the result is valid UTF-8 without NUL. */
long jscan_string(const struct jscan_value *v, char *buf, size_t cap);

#endif
