/* catalog/settings.c - a connector's settings schema at work: validation of a tenant's
 * config with field-level errors, the schema as JSON, and masking of secrets.
 *
 * Validation is generic over the field table; no connector has code of its own here. */
#include <regex.h>
#include <stdio.h>
#include <string.h>

#include "catalog/catalog.h"
#include "core/utf8.h"

#define STRING_MAX 4096
#define URL_MAX 2048
#define LIST_MAX 100

static const char *const type_names[] = {
    [SETTING_STRING] = "string", [SETTING_SECRET] = "secret", [SETTING_URL] = "url",
    [SETTING_BOOL] = "bool",     [SETTING_INT] = "int",       [SETTING_ENUM] = "enum",
    [SETTING_STRING_LIST] = "string[]",
};

json_t *catalog_schema_json(const struct connector_manifest *m)
{
    json_t *fields = json_array();
    const struct setting_field *f;
    for (size_t i = 0; fields && (f = catalog_field_at(m, i)); i++) {
        char expected[256];
        catalog_field_expected(f, expected, sizeof expected);
        json_t *o = json_pack("{s:s, s:s, s:s, s:b, s:b, s:b, s:s, s:s}", "key", f->key, "label",
                              f->label, "type", type_names[f->type], "required",
                              (f->flags & SETTING_REQUIRED) != 0, "secret",
                              catalog_field_is_secret(f), "awaitable",
                              (f->flags & SETTING_AWAITABLE) != 0, "expected", expected, "help",
                              f->help ? f->help : "");
        if (!o)
            goto fail;
        if (f->format)
            json_object_set_new(o, "format", json_string(f->format));
        if (f->default_value)
            json_object_set_new(o, "default", json_loads(f->default_value, JSON_DECODE_ANY, NULL));
        if (f->allowed) {
            json_t *allowed = json_array();
            for (size_t k = 0; f->allowed[k]; k++)
                json_array_append_new(allowed, json_string(f->allowed[k]));
            json_object_set_new(o, "allowed", allowed);
        }
        if (f->pattern)
            json_object_set_new(o, "pattern", json_string(f->pattern));
        if (f->type == SETTING_INT && (f->min || f->max)) {
            json_object_set_new(o, "min", json_integer(f->min));
            json_object_set_new(o, "max", json_integer(f->max));
        }
        if (json_array_append_new(fields, o) < 0)
            goto fail;
    }
    return fields;
fail:
    json_decref(fields);
    return NULL;
}

void catalog_field_expected(const struct setting_field *f, char *out, size_t size)
{
    size_t len = 0;
    if (size == 0)
        return;
    out[0] = '\0';
    switch (f->type) {
    case SETTING_STRING:
    case SETTING_SECRET:
        snprintf(out, size, "%s", f->format ? f->format : "text");
        break;
    case SETTING_URL:
        snprintf(out, size, "an http(s) URL with a host, e.g. https://example.com/path");
        break;
    case SETTING_BOOL:
        snprintf(out, size, "true or false");
        break;
    case SETTING_INT:
        if (f->min || f->max)
            snprintf(out, size, "a whole number from %ld to %ld", f->min, f->max);
        else
            snprintf(out, size, "a whole number");
        break;
    case SETTING_ENUM:
        len = (size_t)snprintf(out, size, "one of:");
        for (size_t k = 0; f->allowed && f->allowed[k] && len < size; k++)
            len += (size_t)snprintf(out + len, size - len, "%s %s", k ? "," : "",
                                    f->allowed[k]);
        break;
    case SETTING_STRING_LIST:
        if (f->format)
            snprintf(out, size, "a list of texts, each %s", f->format);
        else
            snprintf(out, size, "a list of texts");
        break;
    }
    utf8_repair(out); /* a cut by snprintf may end inside a character */
}

/* JSON's name for what arrived instead, for "must be a number, not a string". */
static const char *json_kind(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "a list";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
        return "a whole number";
    case JSON_REAL:
        return "a decimal number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "true or false";
    case JSON_NULL:
        return "null";
    }
    return "something else";
}

/* Appends {field, code, message}: "<key> <what went wrong>" with the expectation in words.
 * got (may be NULL) names what arrived instead. */
static void field_error(json_t *errors, const struct setting_field *f, const char *code,
                        const char *what, const json_t *got)
{
    char expected[256], message[512];
    catalog_field_expected(f, expected, sizeof expected);
    if (got)
        snprintf(message, sizeof message, "%s %s %s, not %s", f->key, what, expected,
                 json_kind(got));
    else
        snprintf(message, sizeof message, "%s %s %s", f->key, what, expected);
    utf8_repair(message); /* a cut by snprintf may end inside a character */
    json_array_append_new(errors,
                          json_pack("{s:s, s:s, s:s}", "field", f->key, "code", code, "message",
                                    message));
}

static bool pattern_matches(const char *pattern, const char *value)
{
    regex_t re;
    if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB) != 0)
        return false; /* a table bug; the table's unit test compiles every pattern */
    bool ok = regexec(&re, value, 0, NULL, 0) == 0;
    regfree(&re);
    return ok;
}

static bool has_control_chars(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return true;
    return false;
}

/* http(s)://host[:port][/...] with a non-empty host and no spaces or control characters. */
static bool url_valid(const char *s)
{
    size_t n = strlen(s);
    const char *rest;
    if (n > URL_MAX || has_control_chars(s) || strchr(s, ' '))
        return false;
    if (strncmp(s, "https://", 8) == 0)
        rest = s + 8;
    else if (strncmp(s, "http://", 7) == 0)
        rest = s + 7;
    else
        return false;
    size_t host = strcspn(rest, "/?#");
    if (host == 0 || rest[0] == ':' || memchr(rest, '@', host))
        return false;
    return true;
}

/* Checks one present value; appends field errors. */
static void check_value(const struct setting_field *f, const json_t *v, json_t *errors)
{
    switch (f->type) {
    case SETTING_STRING:
    case SETTING_SECRET: {
        if (!json_is_string(v)) {
            field_error(errors, f, "wrong_type", "must be", v);
            return;
        }
        const char *s = json_string_value(v);
        if (strlen(s) > STRING_MAX || json_string_length(v) != strlen(s) || has_control_chars(s))
            field_error(errors, f, "out_of_range",
                        "must be at most 4096 characters without control characters:", NULL);
        else if (f->pattern && *s && !pattern_matches(f->pattern, s))
            field_error(errors, f, "pattern_mismatch", "must be", NULL);
        return;
    }
    case SETTING_URL:
        if (!json_is_string(v))
            field_error(errors, f, "wrong_type", "must be", v);
        else if (!url_valid(json_string_value(v)))
            field_error(errors, f, "invalid_url", "must be", NULL);
        return;
    case SETTING_BOOL:
        if (!json_is_boolean(v))
            field_error(errors, f, "wrong_type", "must be", v);
        return;
    case SETTING_INT:
        if (!json_is_integer(v))
            field_error(errors, f, "wrong_type", "must be", v);
        else if ((f->min || f->max) &&
                 (json_integer_value(v) < f->min || json_integer_value(v) > f->max))
            field_error(errors, f, "out_of_range", "must be", NULL);
        return;
    case SETTING_ENUM: {
        if (!json_is_string(v)) {
            field_error(errors, f, "wrong_type", "must be", v);
            return;
        }
        for (size_t k = 0; f->allowed && f->allowed[k]; k++)
            if (strcmp(f->allowed[k], json_string_value(v)) == 0)
                return;
        field_error(errors, f, "not_allowed", "must be", NULL);
        return;
    }
    case SETTING_STRING_LIST: {
        if (!json_is_array(v)) {
            field_error(errors, f, "wrong_type", "must be", v);
            return;
        }
        if (json_array_size(v) > LIST_MAX) {
            field_error(errors, f, "out_of_range", "may have at most 100 entries:", NULL);
            return;
        }
        size_t i;
        json_t *item;
        json_array_foreach(v, i, item) {
            const char *s = json_string_value(item);
            if (!s || !*s || strlen(s) > STRING_MAX || has_control_chars(s)) {
                field_error(errors, f, "wrong_type", "must be", NULL);
                return;
            }
            if (f->pattern && !pattern_matches(f->pattern, s)) {
                field_error(errors, f, "pattern_mismatch", "must be", NULL);
                return;
            }
        }
        return;
    }
    }
}

/* Absent, null, "" for text fields and [] for lists all mean "not given". */
bool catalog_value_empty(const struct setting_field *f, const json_t *v)
{
    if (!v || json_is_null(v))
        return true;
    switch (f->type) {
    case SETTING_STRING_LIST:
        return json_is_array(v) && json_array_size(v) == 0;
    case SETTING_BOOL:
    case SETTING_INT:
        return false;
    default:
        return json_is_string(v) && json_string_length(v) == 0;
    }
}

/* Whether a stored value exists for f. */
static bool stored(const struct setting_field *f, const json_t *prev_plain,
                   const json_t *prev_secrets)
{
    const json_t *prev = catalog_field_is_secret(f) ? prev_secrets : prev_plain;
    return prev && json_object_get(prev, f->key) != NULL;
}

bool catalog_value_left_out(const struct setting_field *f, const json_t *v)
{
    return !v || (catalog_field_is_secret(f) && json_is_string(v) && json_string_length(v) == 0);
}

int catalog_config_validate(const struct connector_manifest *m, const json_t *config,
                            const json_t *prev_plain, const json_t *prev_secrets,
                            json_t **field_errors, struct error *err)
{
    json_t *errors = json_array();
    *field_errors = NULL;
    if (!errors)
        return error_set(err, ERR_INTERNAL, "out of memory");

    const char *key;
    json_t *value;
    json_object_foreach((json_t *)config, key, value) {
        if (!catalog_field_find(m, key)) {
            char name[65], message[160];
            snprintf(name, sizeof name, "%s", key);
            utf8_repair(name);
            snprintf(message, sizeof message, "%s is not a setting of this connector", name);
            json_array_append_new(errors, json_pack("{s:s, s:s, s:s}", "field", key, "code",
                                                    "unknown_field", "message", message));
        }
    }
    const struct setting_field *f;
    for (size_t i = 0; (f = catalog_field_at(m, i)); i++) {
        json_t *v = json_object_get(config, f->key);
        if (catalog_value_left_out(f, v)) {
            /* Left out: the stored value stays; a new install has none. */
            if ((f->flags & SETTING_REQUIRED) && !(f->flags & SETTING_AWAITABLE) &&
                !f->default_value && !stored(f, prev_plain, prev_secrets))
                field_error(errors, f, "required", "is required:", NULL);
            continue;
        }
        if (catalog_value_empty(f, v)) {
            /* null (or "", []): back to the default, or to nothing. */
            if ((f->flags & SETTING_REQUIRED) && !(f->flags & SETTING_AWAITABLE) &&
                !f->default_value)
                field_error(errors, f, "required",
                            stored(f, prev_plain, prev_secrets)
                                ? "is required and cannot be reset:"
                                : "is required:",
                            NULL);
            continue;
        }
        check_value(f, v, errors);
    }
    if (json_array_size(errors) == 0) {
        json_decref(errors);
        return 0;
    }
    *field_errors = errors;
    return error_set(err, ERR_VALIDATION, "the config has %zu invalid field(s)",
                     json_array_size(errors));
}

bool catalog_config_awaiting(const struct connector_manifest *m, const json_t *plain,
                             const json_t *secrets)
{
    const struct setting_field *f;
    for (size_t i = 0; (f = catalog_field_at(m, i)); i++)
        if ((f->flags & SETTING_AWAITABLE) && !stored(f, plain, secrets))
            return true;
    return false;
}
