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
        json_t *o = json_pack("{s:s, s:s, s:s, s:b, s:b, s:s}", "key", f->key, "label", f->label,
                              "type", type_names[f->type], "required",
                              (f->flags & SETTING_REQUIRED) != 0, "secret",
                              catalog_field_is_secret(f), "help", f->help ? f->help : "");
        if (!o)
            goto fail;
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

static void field_error(json_t *errors, const char *field, const char *code, const char *fmt,
                        const char *arg)
{
    char message[256];
    snprintf(message, sizeof message, fmt, arg);
    utf8_repair(message); /* "%.64s" of a key may have cut inside a character */
    json_array_append_new(errors,
                          json_pack("{s:s, s:s, s:s}", "field", field, "code", code, "message",
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
            field_error(errors, f->key, "wrong_type", "%s must be a string", f->key);
            return;
        }
        const char *s = json_string_value(v);
        if (strlen(s) > STRING_MAX || json_string_length(v) != strlen(s) || has_control_chars(s))
            field_error(errors, f->key, "out_of_range",
                        "%s must be at most 4096 characters without control characters", f->key);
        else if (f->pattern && *s && !pattern_matches(f->pattern, s))
            field_error(errors, f->key, "pattern_mismatch", "%s has the wrong format", f->key);
        return;
    }
    case SETTING_URL:
        if (!json_is_string(v))
            field_error(errors, f->key, "wrong_type", "%s must be a string (a URL)", f->key);
        else if (!url_valid(json_string_value(v)))
            field_error(errors, f->key, "invalid_url", "%s must be an http(s) URL with a host",
                        f->key);
        return;
    case SETTING_BOOL:
        if (!json_is_boolean(v))
            field_error(errors, f->key, "wrong_type", "%s must be true or false", f->key);
        return;
    case SETTING_INT:
        if (!json_is_integer(v))
            field_error(errors, f->key, "wrong_type", "%s must be an integer", f->key);
        else if ((f->min || f->max) &&
                 (json_integer_value(v) < f->min || json_integer_value(v) > f->max)) {
            char range[64];
            snprintf(range, sizeof range, "%ld to %ld", f->min, f->max);
            field_error(errors, f->key, "out_of_range", "must be from %s", range);
        }
        return;
    case SETTING_ENUM: {
        if (!json_is_string(v)) {
            field_error(errors, f->key, "wrong_type", "%s must be a string", f->key);
            return;
        }
        for (size_t k = 0; f->allowed && f->allowed[k]; k++)
            if (strcmp(f->allowed[k], json_string_value(v)) == 0)
                return;
        field_error(errors, f->key, "not_allowed", "%s is not one of the allowed values", f->key);
        return;
    }
    case SETTING_STRING_LIST: {
        if (!json_is_array(v)) {
            field_error(errors, f->key, "wrong_type", "%s must be a list of strings", f->key);
            return;
        }
        if (json_array_size(v) > LIST_MAX) {
            field_error(errors, f->key, "out_of_range", "%s has too many entries", f->key);
            return;
        }
        size_t i;
        json_t *item;
        json_array_foreach(v, i, item) {
            const char *s = json_string_value(item);
            if (!s || !*s || strlen(s) > STRING_MAX || has_control_chars(s)) {
                field_error(errors, f->key, "wrong_type",
                            "every entry of %s must be a non-empty string", f->key);
                return;
            }
            if (f->pattern && !pattern_matches(f->pattern, s)) {
                field_error(errors, f->key, "pattern_mismatch",
                            "an entry of %s has the wrong format", f->key);
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

int catalog_config_validate(const struct connector_manifest *m, const json_t *config,
                            const json_t *previous_secrets, json_t **field_errors,
                            struct error *err)
{
    json_t *errors = json_array();
    *field_errors = NULL;
    if (!errors)
        return error_set(err, ERR_INTERNAL, "out of memory");

    const char *key;
    json_t *value;
    json_object_foreach((json_t *)config, key, value) {
        if (!catalog_field_find(m, key))
            field_error(errors, key, "unknown_field", "%.64s is not a setting of this connector",
                        key);
    }
    const struct setting_field *f;
    for (size_t i = 0; (f = catalog_field_at(m, i)); i++) {
        json_t *v = json_object_get(config, f->key);
        bool kept = catalog_field_is_secret(f) && previous_secrets &&
                    json_object_get(previous_secrets, f->key);
        if (catalog_value_empty(f, v)) {
            if ((f->flags & SETTING_REQUIRED) && !kept)
                field_error(errors, f->key, "required", "%s is required", f->key);
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
