/* catalog/manifest.c - a connector manifest, from JSON to its runtime form (catalog.h).
 *
 * The one validation of a manifest, the same for the built-in ones (registry.c parses the
 * embedded texts with it at startup) and for one an outside developer submits: first the
 * format's JSON Schema (schema.c), then what a schema cannot say, each problem with the
 * JSON pointer it is at. The runtime form borrows every string from the manifest's own copy
 * of the document, so nothing outlives or is shared with the caller's JSON. */
#include <pthread.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "catalog/internal.h"
#include "catalog/manifest_texts.h"
#include "catalog/schema.h"

#define PROBLEMS_MAX 50

/* What a parsed manifest owns; the struct's const pointers point into these. */
struct catalog_manifest_store {
    json_t *doc;
    struct setting_field *fields;
    size_t n_fields;
    const char **events;
};

/* ---- the schema, parsed once -------------------------------------------------------- */

static json_t *schema;
static pthread_once_t schema_once = PTHREAD_ONCE_INIT;

static void schema_load(void)
{
    schema = json_loads(manifest_schema_text, JSON_REJECT_DUPLICATES, NULL);
}

const char *catalog_manifest_schema(void)
{
    return manifest_schema_text;
}

/* ---- names of the format ------------------------------------------------------------- */

struct name_value {
    const char *name;
    unsigned value;
};

static const struct name_value kinds[] = {
    {"webhook", KIND_WEBHOOK}, {"api", KIND_API}, {"hybrid", KIND_HYBRID},
    {"destination", KIND_DESTINATION}, {NULL, 0}};
static const struct name_value setting_types[] = {
    {"string", SETTING_STRING}, {"secret", SETTING_SECRET}, {"url", SETTING_URL},
    {"bool", SETTING_BOOL}, {"int", SETTING_INT}, {"enum", SETTING_ENUM},
    {"string_list", SETTING_STRING_LIST}, {NULL, 0}};
static const struct name_value setting_flags[] = {
    {"required", SETTING_REQUIRED}, {"sensitive", SETTING_SENSITIVE},
    {"awaitable", SETTING_AWAITABLE}, {NULL, 0}};
static const struct name_value caps_names[] = {
    {"payment", CATALOG_CAP_PAYMENT}, {"api", CATALOG_CAP_API_BASE_URL},
    {"sync", CATALOG_CAP_SYNC}, {NULL, 0}};

/* The schema allowed only the names these tables list. */
static unsigned value_of(const struct name_value *t, const char *name)
{
    for (size_t i = 0; name && t[i].name; i++)
        if (strcmp(t[i].name, name) == 0)
            return t[i].value;
    return 0;
}

static unsigned flags_of(const struct name_value *t, const json_t *list)
{
    unsigned v = 0;
    size_t i;
    const json_t *one;
    json_array_foreach(list, i, one)
        v |= value_of(t, json_string_value(one));
    return v;
}

/* ---- problems ------------------------------------------------------------------------ */

static void problem(json_t *problems, const char *pointer, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void problem(json_t *problems, const char *pointer, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    if (json_array_size(problems) >= PROBLEMS_MAX)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_array_append_new(problems, json_pack("{s:s, s:s}", "pointer", pointer, "message", msg));
}

static const char *str(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* ---- one setting --------------------------------------------------------------------- */

/* Whether the whole of text matches the POSIX extended regex pattern (compiled already). */
static bool whole_match(const regex_t *re, const char *text)
{
    return regexec(re, text, 0, NULL, 0) == 0;
}

/* ---- patterns -------------------------------------------------------------------------
 * A pattern comes from a manifest, possibly an outside developer's, and glibc's regcomp
 * expands bounded repetitions: "((a{0,255}){0,255}){0,255}" does not finish compiling. So a
 * pattern's expanded size is estimated first (each atom 1, a group the sum of its parts,
 * {m,n} multiplies what precedes it by its larger bound, and + doubles it: regcomp copies
 * the element once to write x+ as xx*, so "a++++" is sixteen a's and forty +'s take all
 * memory) and bounded; 1000 compiles in well under 0.1 s. Back-references (\1), which make
 * matching exponential, are refused too. */

#define PATTERN_COST_MAX 1000
#define PATTERN_GROUPS_MAX 32

/* p points at '['; returns the pointer to its closing ']' (or the string's end). */
static const char *bracket_end(const char *p)
{
    p++;
    if (*p == '^')
        p++;
    if (*p == ']')
        p++;
    for (; *p && *p != ']'; p++)
        if (*p == '[' && (p[1] == ':' || p[1] == '.' || p[1] == '=')) {
            const char *close = strchr(p + 2, p[1]);
            while (close && close[1] != ']')
                close = strchr(close + 1, p[1]);
            if (!close)
                return p + strlen(p);
            p = close + 1;
        }
    return p;
}

/* p points at '{'; the larger bound of the interval (its only one, or min + 1 for
 * "{m,}", which is unbounded and costs like one more), *end its closing '}'. */
static unsigned long interval_bound(const char *p, const char **end)
{
    char *q;
    unsigned long min = strtoul(p + 1, &q, 10), max = min;
    if (*q == ',')
        max = q[1] == '}' ? min + 1 : strtoul(q + 1, &q, 10);
    if (*q == ',')
        q++;
    *end = strchr(q, '}') ? strchr(q, '}') : q + strlen(q) - 1;
    return max > min ? max : min;
}

/* The pattern's estimated size once expanded, at most PATTERN_COST_MAX + 1. */
static size_t pattern_cost(const char *p)
{
    size_t open[PATTERN_GROUPS_MAX], depth = 0, sum = 0, last = 0;
    const size_t over = PATTERN_COST_MAX + 1;
    for (; *p; p++) {
        if (*p == '(') {
            if (depth == PATTERN_GROUPS_MAX)
                return over;
            open[depth++] = sum;
            sum = last = 0;
            continue;
        }
        if (*p == ')' && depth > 0) {
            last = sum;
            sum = open[--depth] + last;
        } else if (*p == '{' || *p == '+') {
            unsigned long bound = *p == '+' ? 2 : interval_bound(p, &p);
            if (bound > 0 && last > over / bound)
                return over;
            sum = sum - last + last * bound;
            last *= bound;
        } else if (*p == '*' || *p == '?' || *p == '|' || *p == '^' || *p == '$') {
            continue;
        } else {
            if (*p == '[')
                p = bracket_end(p);
            else if (*p == '\\' && p[1])
                p++;
            if (!*p)
                break;
            last = 1;
            sum++;
        }
        if (sum > PATTERN_COST_MAX)
            return over;
    }
    return sum;
}

static bool has_backreference(const char *p)
{
    for (; *p; p++)
        if (*p == '\\' && p[1]) {
            if (p[1] >= '1' && p[1] <= '9')
                return true;
            p++;
        }
    return false;
}

/* The default must be a value the field itself would accept. */
static void check_default(const struct setting_field *f, const json_t *d, const regex_t *re,
                          const char *at, json_t *problems)
{
    char p[64];
    snprintf(p, sizeof p, "%s/default", at);
    if (catalog_field_is_secret(f)) {
        problem(problems, p, "a secret or sensitive setting has no default");
        return;
    }
    if (f->flags & SETTING_REQUIRED) {
        problem(problems, p, "a required setting has no default (a default makes it optional)");
        return;
    }
    switch (f->type) {
    case SETTING_BOOL:
        if (!json_is_boolean(d))
            problem(problems, p, "the default of a bool setting is true or false");
        return;
    case SETTING_INT:
        if (!json_is_integer(d))
            problem(problems, p, "the default of an int setting is a whole number");
        else if ((f->min || f->max) &&
                 (json_integer_value(d) < f->min || json_integer_value(d) > f->max))
            problem(problems, p, "the default is outside min and max");
        return;
    case SETTING_STRING_LIST:
        problem(problems, p, "a string_list setting has no default");
        return;
    default:
        break;
    }
    if (!json_is_string(d)) {
        problem(problems, p, "the default of a %s setting is a string",
                f->type == SETTING_ENUM ? "enum" : f->type == SETTING_URL ? "url" : "string");
        return;
    }
    bool allowed = f->type != SETTING_ENUM;
    for (size_t i = 0; f->allowed && f->allowed[i]; i++)
        allowed = allowed || strcmp(f->allowed[i], json_string_value(d)) == 0;
    if (!allowed)
        problem(problems, p, "the default is not one of the allowed values");
    else if (re && !whole_match(re, json_string_value(d)))
        problem(problems, p, "the default does not match the pattern");
}

/* Fills f from the setting s (which fits the schema) and reports what does not hold
 * together. Returns -1 only when out of memory. */
static int build_setting(const json_t *s, unsigned caps, struct setting_field *f,
                         const char *at, json_t *problems)
{
    char p[64];
    f->key = str(s, "key");
    f->label = str(s, "label");
    f->type = (enum setting_type)value_of(setting_types, str(s, "type"));
    f->flags = flags_of(setting_flags, json_object_get(s, "flags"));
    f->pattern = str(s, "pattern");
    f->format = str(s, "format");
    f->help = str(s, "help");
    const json_t *min = json_object_get(s, "min"), *max = json_object_get(s, "max");
    f->min = min ? (long)json_integer_value(min) : 0;
    f->max = max ? (long)json_integer_value(max) : 0;
    const json_t *allowed = json_object_get(s, "allowed");
    if (allowed) {
        const char **list = calloc(json_array_size(allowed) + 1, sizeof *list);
        if (!list)
            return -1;
        size_t i;
        const json_t *a;
        json_array_foreach(allowed, i, a)
            list[i] = json_string_value(a);
        f->allowed = list;
    }
    if (catalog_cap_field_find(caps, f->key)) {
        snprintf(p, sizeof p, "%s/key", at);
        problem(problems, p, "\"%s\" is a shared setting its caps add already", f->key);
    }
    if ((f->type == SETTING_ENUM) != (allowed != NULL))
        problem(problems, at, f->type == SETTING_ENUM ? "an enum setting lists its allowed values"
                                                      : "only an enum setting has allowed values");
    if ((f->pattern != NULL) != (f->format != NULL))
        problem(problems, at, "pattern and format come together (format is the pattern in words)");
    if (f->pattern && f->type != SETTING_STRING && f->type != SETTING_SECRET &&
        f->type != SETTING_STRING_LIST)
        problem(problems, at, "only a string, secret or string_list setting has a pattern");
    if ((min || max) && (f->type != SETTING_INT || !min || !max))
        problem(problems, at, "min and max come together, on an int setting");
    else if (min && f->min > f->max)
        problem(problems, at, "min is above max");
    if ((f->flags & SETTING_AWAITABLE) && !(f->flags & SETTING_REQUIRED))
        problem(problems, at, "only a required setting is awaitable");
    regex_t re;
    bool have_re = false;
    if (f->pattern) {
        snprintf(p, sizeof p, "%s/pattern", at);
        if (has_backreference(f->pattern))
            problem(problems, p, "back-references (\\1 ... \\9) are not allowed");
        else if (pattern_cost(f->pattern) > PATTERN_COST_MAX)
            problem(problems, p, "expands too far: nested or large repetition counts "
                                 "(at most %d characters once {m,n} are expanded)",
                    PATTERN_COST_MAX);
        else if (!(have_re = regcomp(&re, f->pattern, REG_EXTENDED | REG_NOSUB) == 0))
            problem(problems, p, "not a POSIX extended regular expression");
    }
    const json_t *d = json_object_get(s, "default");
    if (d) {
        check_default(f, d, have_re ? &re : NULL, at, problems);
        f->default_value = json_dumps(d, JSON_COMPACT | JSON_ENCODE_ANY);
    }
    if (have_re)
        regfree(&re);
    return d && !f->default_value ? -1 : 0;
}

/* ---- the manifest -------------------------------------------------------------------- */

static int build_settings(struct connector_manifest *m, const json_t *settings,
                          json_t *problems)
{
    struct catalog_manifest_store *st = m->store;
    size_t n = json_array_size(settings);
    char at[48];
    if (n == 0)
        return 0;
    st->fields = calloc(n, sizeof *st->fields);
    if (!st->fields)
        return -1;
    st->n_fields = n;
    for (size_t i = 0; i < n; i++) {
        snprintf(at, sizeof at, "/settings/%zu", i);
        if (build_setting(json_array_get(settings, i), m->caps, &st->fields[i], at,
                          problems) < 0)
            return -1;
        for (size_t j = 0; j < i; j++)
            if (strcmp(st->fields[j].key, st->fields[i].key) == 0) {
                snprintf(at, sizeof at, "/settings/%zu/key", i);
                problem(problems, at, "the key \"%s\" is used by /settings/%zu already",
                        st->fields[i].key, j);
            }
    }
    m->fields = st->fields;
    m->n_fields = n;
    return 0;
}

/* What the members say about each other: webhooks, handlers and caps fit the kind. */
static void check_kind(const struct connector_manifest *m, const json_t *doc,
                       json_t *problems)
{
    bool webhook = catalog_kind_has_webhook(m->kind);
    if (!webhook && json_object_get(doc, "webhookSetup"))
        problem(problems, "/webhookSetup", "only a webhook or hybrid connector has webhooks");
    if (!webhook && json_object_get(doc, "webhookEvents"))
        problem(problems, "/webhookEvents", "only a webhook or hybrid connector has webhooks");
    if (!webhook && (m->caps & CATALOG_CAP_PAYMENT))
        problem(problems, "/caps", "payment: only a webhook or hybrid connector books payments");
    if (m->builtin_provider && !webhook)
        problem(problems, "/builtin/provider", "a payment provider runs a webhook or hybrid "
                                               "connector");
    if (m->builtin_destination && m->kind != KIND_DESTINATION)
        problem(problems, "/builtin/destination", "a destination handler runs a destination "
                                                  "connector");
    /* the pipeline and the delivery engine find a built-in handler by the connector's slug */
    const char *handler = m->builtin_provider ? m->builtin_provider : m->builtin_destination;
    if (handler && strcmp(handler, m->slug) != 0)
        problem(problems, m->builtin_provider ? "/builtin/provider" : "/builtin/destination",
                "a built-in handler has the connector's name (\"%s\")", m->slug);
    bool api = json_object_get(doc, "api") != NULL, sync = (m->caps & CATALOG_CAP_SYNC) != 0;
    if (api != sync)
        problem(problems, api ? "/caps" : "/api",
                api ? "a connector with an api block names the sync cap (its schedule)"
                    : "the sync cap needs an api block (what to pull)");
}

static int build_events(struct connector_manifest *m, const json_t *events)
{
    if (!events)
        return 0;
    const char **list = calloc(json_array_size(events) + 1, sizeof *list);
    if (!list)
        return -1;
    size_t i;
    const json_t *e;
    json_array_foreach(events, i, e)
        list[i] = json_string_value(e);
    m->store->events = list;
    m->webhook_events = list;
    return 0;
}

/* Fills m from doc, which fits the schema; problems get what does not hold together. */
static int build(struct connector_manifest *m, const json_t *doc, json_t *problems)
{
    const json_t *builtin = json_object_get(doc, "builtin");
    m->doc = doc;
    m->slug = str(doc, "slug");
    m->name = str(doc, "name");
    m->description = str(doc, "description");
    m->kind = (enum connector_kind)value_of(kinds, str(doc, "kind"));
    m->category = str(doc, "category");
    m->min_plan = str(doc, "minPlan");
    m->auth_label = str(doc, "authLabel");
    m->webhook_setup = str(doc, "webhookSetup");
    m->caps = flags_of(caps_names, json_object_get(doc, "caps"));
    m->builtin_provider = str(builtin, "provider");
    m->builtin_destination = str(builtin, "destination");
    if (build_events(m, json_object_get(doc, "webhookEvents")) < 0 ||
        build_settings(m, json_object_get(doc, "settings"), problems) < 0)
        return -1;
    check_kind(m, doc, problems);
    return 0;
}

void catalog_manifest_free(struct connector_manifest *m)
{
    if (!m)
        return;
    struct catalog_manifest_store *st = m->store;
    if (st) {
        for (size_t i = 0; i < st->n_fields; i++) {
            free((void *)st->fields[i].default_value);
            free((void *)st->fields[i].allowed);
        }
        free(st->fields);
        free(st->events);
        json_decref(st->doc);
        free(st);
    }
    free(m);
}

int catalog_manifest_parse(const json_t *doc, struct connector_manifest **out, json_t **errors,
                           struct error *err)
{
    struct connector_manifest *m = NULL;
    json_t *problems = json_array();
    *out = NULL;
    *errors = NULL;
    pthread_once(&schema_once, schema_load);
    if (!schema || !problems) {
        json_decref(problems);
        return error_set(err, ERR_INTERNAL, schema ? "out of memory"
                                                   : "the manifest schema does not parse");
    }
    if (!json_is_object(doc)) {
        problem(problems, "", "a manifest is a JSON object");
        goto refused;
    }
    if (catalog_schema_check(schema, doc, problems, PROBLEMS_MAX) > 0)
        goto refused;
    m = calloc(1, sizeof *m);
    if (m)
        m->store = calloc(1, sizeof *m->store);
    if (!m || !m->store || !(m->store->doc = json_deep_copy(doc)) ||
        build(m, m->store->doc, problems) < 0) {
        catalog_manifest_free(m);
        json_decref(problems);
        return error_set(err, ERR_INTERNAL, "out of memory");
    }
    if (json_array_size(problems) > 0)
        goto refused;
    json_decref(problems);
    *out = m;
    return 0;
refused:
    catalog_manifest_free(m);
    *errors = problems;
    return error_set(err, ERR_VALIDATION, "the manifest is refused: %zu problem%s, the first "
                     "at %s: %s", json_array_size(problems),
                     json_array_size(problems) == 1 ? "" : "s",
                     str(json_array_get(problems, 0), "pointer")[0]
                         ? str(json_array_get(problems, 0), "pointer") : "/",
                     str(json_array_get(problems, 0), "message"));
}
