/* events/types.c - the event types and their fields, built from types.def: finding a type,
 * checking an event's data against its type's fields (what the API publishes), and
 * the builders and the reader between struct event_data and JSON. The builders and the
 * reader walk one table of fields (JSON name, kind, offset in struct event_data), so a
 * field's name is written once, in types.def. */
#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "core/json.h"
#include "core/utf8.h"
#include "events/events.h"

/* Each field's JSON name, kind and place in struct event_data. */
static const struct {
    const char *name;
    enum event_field_kind kind;
    size_t offset;
} fields[] = {
#define EVENT_FIELD(ident, n, k)                                                               \
    [EVENT_F_##ident] = {.name = n, .kind = EVENT_FIELD_##k,                                   \
                         .offset = offsetof(struct event_data, ident)},
#include "events/types.def"
};

#define F(ident, req) {.id = EVENT_F_##ident, .required = (req)},
#define REQUIRED true
#define OPTIONAL false
#define EVENT_TYPE(ident, n, desc, fl, ttl, field_list)                                       \
    static const struct event_field ident##_fields[] = {field_list};
#include "events/types.def"

/* The type's index in types[]: EVENT_T_payment_settled, ... */
enum {
#define EVENT_TYPE(ident, n, desc, fl, ttl, field_list) EVENT_T_##ident,
#include "events/types.def"
};

static const struct event_type types[] = {
#define EVENT_TYPE(ident, n, desc, fl, ttl, field_list)                                       \
    [EVENT_T_##ident] = {.name = n, .description = desc, .flags = fl, .title = ttl,            \
                         .test_title = "[Test] " ttl, .fields = ident##_fields,               \
                         .n_fields = sizeof ident##_fields / sizeof ident##_fields[0]},
#include "events/types.def"
};
#undef F
#undef REQUIRED
#undef OPTIONAL

#define N_TYPES (sizeof types / sizeof types[0])

const char *events_field_name(enum event_field_id id)
{
    return fields[id].name;
}

enum event_field_kind events_field_kind(enum event_field_id id)
{
    return fields[id].kind;
}

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
    for (size_t i = 0; i < type->n_fields; i++) {
        const struct event_field *f = &type->fields[i];
        const char *name = fields[f->id].name;
        enum event_field_kind kind = fields[f->id].kind;
        const json_t *v = json_object_get(data, name);
        if ((!v || json_is_null(v)) && !f->required)
            continue;
        if (v && !json_is_null(v) && kind_matches(kind, v))
            continue;
        char field[80], message[200];
        snprintf(field, sizeof field, "data.%s", name);
        snprintf(message, sizeof message, "%s %s; it must be %s", field,
                 v ? "has the wrong type" : "is required", kind_words(kind));
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

/* ---- builders and the reader ------------------------------------------------------------ */

/* The JSON value of one field of d, or NULL when it is not set (*failed when it is set but
 * cannot be JSON: text not UTF-8, no memory). */
static json_t *field_value(enum event_field_id id, const struct event_data *d, bool *failed)
{
    const char *at = (const char *)d + fields[id].offset;
    json_t *v = NULL;
    switch (fields[id].kind) {
    case EVENT_FIELD_STRING:
    case EVENT_FIELD_DECIMAL:
    case EVENT_FIELD_CURRENCY: {
        const char *text = *(const char *const *)(const void *)at;
        if (!text)
            return NULL;
        v = json_string(text);
        break;
    }
    case EVENT_FIELD_INTEGER: {
        const struct event_int *n = (const struct event_int *)(const void *)at;
        if (!n->set)
            return NULL;
        v = json_integer(n->value);
        break;
    }
    case EVENT_FIELD_BOOLEAN: {
        const struct event_bool *b = (const struct event_bool *)(const void *)at;
        if (!b->set)
            return NULL;
        v = json_boolean(b->value);
        break;
    }
    case EVENT_FIELD_OBJECT:
    case EVENT_FIELD_ARRAY: {
        const json_t *j = *(const json_t *const *)(const void *)at;
        if (!j)
            return NULL;
        v = json_incref((json_t *)j); /* shared, never changed: the builder only dumps it */
        break;
    }
    }
    if (!v)
        *failed = true;
    return v;
}

/* The object of the listed fields of d that are set (what names the object in errors). */
static json_t *build_object(const char *what, const struct event_field *list, size_t n,
                            const struct event_data *d, struct error *err)
{
    json_t *obj = json_object();
    if (!obj) {
        error_set(err, ERR_INTERNAL, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        const struct event_field *f = &list[i];
        bool failed = false;
        json_t *v = field_value(f->id, d, &failed);
        if (failed || (!v && f->required)) {
            error_set(err, ERR_INTERNAL, "cannot build %s: %s %s", what, fields[f->id].name,
                      failed ? "is not UTF-8 text" : "is required");
            goto fail;
        }
        if (v && json_object_set_new(obj, fields[f->id].name, v) < 0) {
            error_set(err, ERR_INTERNAL, "out of memory");
            goto fail;
        }
    }
    return obj;
fail:
    json_decref(obj);
    return NULL;
}

/* The builders write the text themselves instead of dumping a tree: an event is built on
 * the committer's thread for every booked payment, where jansson's tree and dump cost a
 * tenth of each booking's instructions. The text is byte for byte what json_dumps(tree,
 * JSON_COMPACT) of build_object's tree would be (keys in the type's order, strings escaped
 * and parts written as jansson writes them), and a string that is not UTF-8 fails
 * the build as json_string() made it fail; tests/unit/events/test_event_types.c holds the
 * two side by side. */

static int dump_to_buf(const char *chunk, size_t len, void *ctx)
{
    return buf_append(ctx, chunk, len);
}

static int string_write(struct buf *out, const char *text, size_t len)
{
    return buf_append(out, "\"", 1) < 0 || json_escape_append(out, text, len) < 0 ||
                   buf_append(out, "\"", 1) < 0
               ? -1
               : 0;
}

/* A part's value (the objects and lists of strings, integers, booleans and nulls that
 * events_part_* make), as jansson's compact dump writes it; any other value by jansson. */
static int value_write(struct buf *out, const json_t *v)
{
    const char *key;
    json_t *member;
    size_t i;
    bool comma = false;
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        if (buf_append(out, "{", 1) < 0)
            return -1;
        json_object_foreach((json_t *)v, key, member) {
            if ((comma && buf_append(out, ",", 1) < 0) || string_write(out, key, strlen(key)) < 0 ||
                buf_append(out, ":", 1) < 0 || value_write(out, member) < 0)
                return -1;
            comma = true;
        }
        return buf_append(out, "}", 1);
    case JSON_ARRAY:
        if (buf_append(out, "[", 1) < 0)
            return -1;
        json_array_foreach(v, i, member) {
            if ((i > 0 && buf_append(out, ",", 1) < 0) || value_write(out, member) < 0)
                return -1;
        }
        return buf_append(out, "]", 1);
    case JSON_STRING: return string_write(out, json_string_value(v), json_string_length(v));
    case JSON_INTEGER: return buf_append_int(out, (long long)json_integer_value(v));
    case JSON_TRUE: return buf_append_str(out, "true");
    case JSON_FALSE: return buf_append_str(out, "false");
    case JSON_NULL: return buf_append_str(out, "null");
    default: return json_dump_callback(v, dump_to_buf, out, JSON_COMPACT | JSON_ENCODE_ANY);
    }
}

/* Appends `"name":value` for one field of d; 0 when it is not set (nothing written), 1 when
 * written, -1 when it cannot be (*bad_text: its text is not UTF-8; else no memory). */
static int field_write(struct buf *out, enum event_field_id id, const struct event_data *d,
                       bool comma, bool *bad_text)
{
    const char *at = (const char *)d + fields[id].offset;
    const char *text = NULL;
    const struct event_int *n = NULL;
    const struct event_bool *b = NULL;
    const json_t *j = NULL;
    switch (fields[id].kind) {
    case EVENT_FIELD_STRING:
    case EVENT_FIELD_DECIMAL:
    case EVENT_FIELD_CURRENCY:
        if (!(text = *(const char *const *)(const void *)at))
            return 0;
        if (!utf8_valid(text, strlen(text))) {
            *bad_text = true;
            return -1;
        }
        break;
    case EVENT_FIELD_INTEGER:
        if (!(n = (const struct event_int *)(const void *)at)->set)
            return 0;
        break;
    case EVENT_FIELD_BOOLEAN:
        if (!(b = (const struct event_bool *)(const void *)at)->set)
            return 0;
        break;
    case EVENT_FIELD_OBJECT:
    case EVENT_FIELD_ARRAY:
        if (!(j = *(const json_t *const *)(const void *)at))
            return 0;
        break;
    }
    const char *name = fields[id].name;
    if ((comma && buf_append(out, ",", 1) < 0) || string_write(out, name, strlen(name)) < 0 ||
        buf_append(out, ":", 1) < 0)
        return -1;
    int rc;
    if (text)
        rc = string_write(out, text, strlen(text));
    else if (n)
        rc = buf_append_int(out, (long long)n->value);
    else if (b)
        rc = buf_append_str(out, b->value ? "true" : "false");
    else
        rc = value_write(out, j);
    return rc < 0 ? -1 : 1;
}

char *events_build(const struct event_type *type, const struct event_data *d,
                   struct error *err)
{
    if (!type) {
        error_set(err, ERR_INTERNAL, "no such event type");
        return NULL;
    }
    struct buf out;
    buf_init(&out, 0); /* the fields of one event, which the code fills */
    bool comma = false;
    if (buf_append_str(&out, "{") < 0)
        goto no_memory;
    for (size_t i = 0; i < type->n_fields; i++) {
        const struct event_field *f = &type->fields[i];
        bool bad_text = false;
        int written = field_write(&out, f->id, d, comma, &bad_text);
        if (written < 0 && !bad_text)
            goto no_memory;
        if (written < 0 || (written == 0 && f->required)) {
            error_set(err, ERR_INTERNAL, "cannot build %s: %s %s", type->name,
                      fields[f->id].name, bad_text ? "is not UTF-8 text" : "is required");
            buf_free(&out);
            return NULL;
        }
        comma = comma || written > 0;
    }
    if (buf_append_str(&out, "}") < 0)
        goto no_memory;
    return buf_take(&out, NULL);
no_memory:
    error_set(err, ERR_INTERNAL, "out of memory");
    buf_free(&out);
    return NULL;
}

#define F(ident, req) {.id = EVENT_F_##ident, .required = (req)},
#define REQUIRED true
#define OPTIONAL false
#define EVENT_PART(ident, field_list)                                                         \
    json_t *events_part_##ident(const struct event_data *d, struct error *err)                \
    {                                                                                         \
        static const struct event_field list[] = {field_list};                                \
        return build_object(#ident, list, sizeof list / sizeof list[0], d, err);              \
    }
#include "events/types.def"
#undef F
#undef REQUIRED
#undef OPTIONAL

#define EVENT_TYPE(ident, n, desc, fl, ttl, field_list)                                       \
    char *events_build_##ident(const struct event_data *d, struct error *err)                 \
    {                                                                                         \
        return events_build(&types[EVENT_T_##ident], d, err);                                 \
    }
#include "events/types.def"

void events_read(const json_t *data, struct event_data *out)
{
    memset(out, 0, sizeof *out);
    for (size_t id = 0; id < EVENT_F_COUNT; id++) {
        const json_t *v = json_object_get(data, fields[id].name);
        char *at = (char *)out + fields[id].offset;
        if (!v)
            continue;
        switch (fields[id].kind) {
        case EVENT_FIELD_STRING:
        case EVENT_FIELD_DECIMAL:
        case EVENT_FIELD_CURRENCY:
            *(const char **)(void *)at = json_string_value(v);
            break;
        case EVENT_FIELD_INTEGER:
            *(struct event_int *)(void *)at =
                (struct event_int){.set = json_is_integer(v), .value = json_integer_value(v)};
            break;
        case EVENT_FIELD_BOOLEAN:
            *(struct event_bool *)(void *)at =
                (struct event_bool){.set = json_is_boolean(v), .value = json_is_true(v)};
            break;
        case EVENT_FIELD_OBJECT:
        case EVENT_FIELD_ARRAY:
            *(const json_t **)(void *)at = v;
            break;
        }
    }
}
