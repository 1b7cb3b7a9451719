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
#define JSCAN_BUCKETS 64

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

/* A set of paths made ready for scanning once (split into members, each member's first
 * bytes kept as a word to compare keys with), for a caller that scans many texts for the
 * same fields. Filled by jscan_paths_init; it points into the path strings, which must
 * outlive it (string literals, usually). */
struct jscan_paths {
    size_t n;
    unsigned char n_seg[JSCAN_MAX_PATHS];
    unsigned char seg_len[JSCAN_MAX_PATHS][JSCAN_PATH_DEPTH];
    uint64_t seg_head[JSCAN_MAX_PATHS][JSCAN_PATH_DEPTH]; /* first 8 bytes, zero-padded */
    const char *seg[JSCAN_MAX_PATHS][JSCAN_PATH_DEPTH];
    uint64_t bucket[JSCAN_PATH_DEPTH][JSCAN_BUCKETS]; /* paths by a hash of each member */
};

/* paths[0..n) (n <= JSCAN_MAX_PATHS, each at most JSCAN_PATH_DEPTH members of 1 to
 * JSCAN_KEY_MAX bytes) into *set: 0, or -1 with ERR_INTERNAL for paths beyond those
 * bounds. */
int jscan_paths_init(struct jscan_paths *set, const char *const *paths, size_t n,
                     struct error *err);

/* Validates the whole of data (len bytes, not NUL-terminated) and fills out[i] for the
 * set's i-th path. 0, or -1 with ERR_INVALID_JSON and the byte offset where the text went
 * wrong (out is undefined then), or ERR_INTERNAL when memory ran out. Thread-safe: the
 * set is only read. */
int jscan_scan(const char *data, size_t len, const struct jscan_paths *set,
               struct jscan_value *out, struct error *err);

/* jscan_paths_init and jscan_scan in one call, for a text read once. */
int jscan_fields(const char *data, size_t len, const char *const *paths, size_t n,
                 struct jscan_value *out, struct error *err);

/* The string v holds, decoded and NUL-terminated into buf (cap bytes; v->len + 1 always
 * suffice): its length, or -1 when v is no string or buf is too small. The text was
 * validated by jscan_fields, so the result is valid UTF-8 without NUL. */
long jscan_string(const struct jscan_value *v, char *buf, size_t cap);

#endif
