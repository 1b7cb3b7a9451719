/* events/types.c - the event types, built from types.def, and checking an event's data
 * against its type's fields. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "events/events.h"

#define FIELD(n, k, req) {.name = n, .kind = EVENT_FIELD_##k, .required = EVENT_##req},
#define EVENT_TYPE(ident, n, desc, fl, field_list)                                            \
    static const struct event_field ident##_fields[] = {field_list{.name = NULL}};
#include "events/types.def"
#undef EVENT_TYPE

#define EVENT_TYPE(ident, n, desc, fl, field_list)                                            \
    {.name = n, .description = desc, .flags = fl, .fields = ident##_fields},
static const struct event_type types[] = {
#include "events/types.def"
};
#undef EVENT_TYPE
#undef FIELD

#define N_TYPES (sizeof types / sizeof types[0])

const struct event_type *events_types(size_t *count)
{
    *count = N_TYPES;
    return types;
}

const struct event_type *events_type_find(const char *name)
{
    for (size_t i = 0; i < N_TYPES; i++)
        if (strcmp(types[i].name, name) == 0)
            return &types[i];
    return NULL;
}

bool events_type_known(const char *name)
{
    return events_type_find(name) != NULL;
}

/* "-12.50": an optional minus, digits, and optionally a point and more digits. */
static bool is_decimal(const char *s)
{
    size_t digits = 0;
    if (*s == '-')
        s++;
    for (; isdigit((unsigned char)*s); s++)
        digits++;
    if (*s == '.') {
        size_t frac = 0;
        for (s++; isdigit((unsigned char)*s); s++)
            frac++;
        if (frac == 0)
            return false;
    }
    return digits > 0 && *s == '\0';
}

static bool is_currency(const char *s)
{
    return strlen(s) == 3 && isupper((unsigned char)s[0]) && isupper((unsigned char)s[1]) &&
           isupper((unsigned char)s[2]);
}

static bool kind_matches(enum event_field_kind kind, const json_t *v)
{
    switch (kind) {
    case EVENT_FIELD_STRING: return json_is_string(v);
    case EVENT_FIELD_DECIMAL: return json_is_string(v) && is_decimal(json_string_value(v));
    case EVENT_FIELD_CURRENCY: return json_is_string(v) && is_currency(json_string_value(v));
    case EVENT_FIELD_INTEGER: return json_is_integer(v);
    case EVENT_FIELD_BOOLEAN: return json_is_boolean(v);
    case EVENT_FIELD_OBJECT: return json_is_object(v);
    case EVENT_FIELD_ARRAY: return json_is_array(v);
    }
    return false;
}

static const char *kind_words(enum event_field_kind kind)
{
    switch (kind) {
    case EVENT_FIELD_STRING: return "a string";
    case EVENT_FIELD_DECIMAL: return "a decimal string such as \"99.00\"";
    case EVENT_FIELD_CURRENCY: return "an ISO 4217 currency code such as \"EUR\"";
    case EVENT_FIELD_INTEGER: return "an integer";
    case EVENT_FIELD_BOOLEAN: return "true or false";
    case EVENT_FIELD_OBJECT: return "an object";
    case EVENT_FIELD_ARRAY: return "a list";
    }
    return "?";
}

int events_data_check(const struct event_type *type, const json_t *data, json_t *problems)
{
    int found = 0;
    for (const struct event_field *f = type->fields; f->name; f++) {
        const json_t *v = json_object_get(data, f->name);
        if ((!v || json_is_null(v)) && !f->required)
            continue;
        if (v && !json_is_null(v) && kind_matches(f->kind, v))
            continue;
        char field[80], message[200];
        snprintf(field, sizeof field, "data.%s", f->name);
        snprintf(message, sizeof message, "%s %s; it must be %s", field,
                 v ? "has the wrong type" : "is required", kind_words(f->kind));
        json_array_append_new(problems, json_pack("{s:s, s:s, s:s}", "field", field, "code",
                                                  v ? "wrong_type" : "required", "message",
                                                  message));
        found++;
    }
    return found;
}

int events_type_names(struct buf *out, unsigned without_flags)
{
    for (size_t i = 0; i < N_TYPES; i++) {
        if (types[i].flags & without_flags)
            continue;
        if (buf_printf(out, "%s%s", out->len ? ", " : "", types[i].name) < 0)
            return -1;
    }
    return 0;
}
