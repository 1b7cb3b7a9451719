/* inbound/declarative_int.h - what declarative.c (the evaluator) shares with
 * declarative_check.c (the automated checks), and nothing else includes: the payment
 * fields a map fills, the shape checks both use, and the bounds of one request. */
#ifndef CONNECTORD_INBOUND_DECLARATIVE_INT_H
#define CONNECTORD_INBOUND_DECLARATIVE_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "core/error.h"

#define DECLARATIVE_BODY_MAX (1024 * 1024)
#define DECLARATIVE_EVENTS_MAX 64 /* a batch (the payment list grows to 64 entries) */

/* A text field of struct payment a map may fill, by its manifest name. */
struct declarative_field {
    const char *name;
    size_t offset, cap;
};
extern const struct declarative_field declarative_text_fields[];
extern const size_t declarative_n_text_fields;

/* Counts what a shape check has seen of a manifest's text. */
struct declarative_walk {
    struct error *err;
    size_t bytes; /* text the block holds, so a block built past the manifest bound is refused */
};

/* 0 when obj is an object whose members are all in allowed (or also, NULL-terminated
 * lists); else -1 with ERR_VALIDATION naming `what` and the member. */
int declarative_members(const json_t *obj, const char *what, const char *const *allowed,
                        const char *const *also, struct declarative_walk *c);
/* Letters, digits, '-' and '_': a header or setting name. */
bool declarative_header_name_ok(const char *s);
/* The steps of a JSON pointer text, -1 when it is not one ("" is the whole document). */
int declarative_pointer_steps(const char *ptr);

static inline const char *str_of(const json_t *obj, const char *name)
{
    return json_string_value(json_object_get(obj, name));
}

static inline bool str_is(const json_t *obj, const char *name, const char *value)
{
    const char *s = str_of(obj, name);
    return s && !strcmp(s, value);
}

#endif
