/* tests/unit/catalog/test_catalog_manifest.c - catalog_manifest_parse (src/catalog/manifest.c,
 * with the schema validator of src/catalog/schema.c): what it builds from a manifest, and
 * every kind of manifest it refuses, each with the JSON pointer of the problem. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"

/* A small valid webhook connector; the cases below change one thing of it. */
static const char *const base =
    "{\"manifestVersion\": 1, \"slug\": \"acmepay\", \"name\": \"AcmePay\","
    " \"description\": \"Card payments\", \"kind\": \"webhook\", \"category\": \"payments\","
    " \"minPlan\": \"pro\", \"authLabel\": \"Webhook Secret\", \"caps\": [\"payment\"],"
    " \"webhookSetup\": \"Paste this URL in the AcmePay dashboard\","
    " \"webhookEvents\": [\"payment.paid\", \"payment.failed\"],"
    " \"settings\": ["
    "  {\"key\": \"webhookSecret\", \"label\": \"Signing secret\", \"type\": \"secret\","
    "   \"flags\": [\"required\", \"awaitable\"], \"pattern\": \"^whsec_[A-Za-z0-9]+$\","
    "   \"format\": \"whsec_ and letters or digits\", \"help\": \"From the dashboard\"},"
    "  {\"key\": \"mode\", \"label\": \"Mode\", \"type\": \"enum\", \"default\": \"live\","
    "   \"allowed\": [\"live\", \"test\"]},"
    "  {\"key\": \"batch\", \"label\": \"Batch size\", \"type\": \"int\", \"default\": 10,"
    "   \"min\": 1, \"max\": 100}"
    " ]}";

static json_t *doc_of(const char *text)
{
    json_error_t jerr;
    json_t *doc = json_loads(text, 0, &jerr);
    if (!doc)
        fail_msg("test JSON: %s", jerr.text);
    return doc;
}

/* Parses base with `path` (a JSON pointer-ish "a/b/0/c", no escapes) set to the JSON
 * value `value`, or removed when value is NULL. */
static int parse_changed(const char *path, const char *value, struct connector_manifest **m,
                         json_t **errors, struct error *err)
{
    json_t *doc = doc_of(base);
    json_t *at = doc;
    char buf[128], *save = NULL;
    snprintf(buf, sizeof buf, "%s", path);
    char *part = strtok_r(buf, "/", &save);
    while (part) {
        char *next = strtok_r(NULL, "/", &save);
        if (!next) {
            if (json_is_array(at)) {
                size_t i = (size_t)atoi(part);
                if (value)
                    json_array_set_new(at, i, doc_of(value));
                else
                    json_array_remove(at, i);
            } else if (value) {
                json_object_set_new(at, part, json_loads(value, JSON_DECODE_ANY, NULL));
            } else {
                json_object_del(at, part);
            }
        } else {
            at = json_is_array(at) ? json_array_get(at, (size_t)atoi(part))
                                   : json_object_get(at, part);
        }
        part = next;
    }
    int rc = catalog_manifest_parse(doc, m, errors, err);
    json_decref(doc);
    return rc;
}

/* Asserts that the change is refused with a problem at `pointer` whose message contains
 * `words`. */
static void refused(const char *path, const char *value, const char *pointer,
                    const char *words)
{
    struct connector_manifest *m = NULL;
    json_t *errors = NULL;
    struct error err = {0};
    if (parse_changed(path, value, &m, &errors, &err) == 0)
        fail_msg("%s = %s was accepted", path, value ? value : "(removed)");
    assert_null(m);
    assert_int_equal(err.code, ERR_VALIDATION);
    assert_true(json_is_array(errors));
    size_t i;
    const json_t *p;
    bool found = false;
    json_array_foreach(errors, i, p) {
        const char *ptr = json_string_value(json_object_get(p, "pointer"));
        const char *msg = json_string_value(json_object_get(p, "message"));
        found = found || (strcmp(ptr, pointer) == 0 && strstr(msg, words));
    }
    if (!found) {
        char *text = json_dumps(errors, JSON_COMPACT);
        fail_msg("%s: no problem at %s saying \"%s\" in %s", path, pointer, words, text);
    }
    json_decref(errors);
}

static void test_builds_the_runtime_form(void **state)
{
    json_t *doc = doc_of(base), *errors = NULL;
    struct connector_manifest *m = NULL;
    struct error err = {0};
    assert_int_equal(catalog_manifest_parse(doc, &m, &errors, &err), 0);
    assert_null(errors);
    json_decref(doc); /* the manifest keeps its own copy */
    assert_string_equal(m->slug, "acmepay");
    assert_string_equal(m->name, "AcmePay");
    assert_int_equal(m->kind, KIND_WEBHOOK);
    assert_string_equal(m->min_plan, "pro");
    assert_int_equal(m->caps, CATALOG_CAP_PAYMENT);
    assert_string_equal(m->webhook_events[1], "payment.failed");
    assert_null(m->webhook_events[2]);
    assert_null(m->builtin_provider);
    assert_int_equal(m->n_fields, 3);
    assert_int_equal(m->fields[0].type, SETTING_SECRET);
    assert_int_equal(m->fields[0].flags, SETTING_REQUIRED | SETTING_AWAITABLE);
    assert_string_equal(m->fields[1].default_value, "\"live\"");
    assert_string_equal(m->fields[1].allowed[1], "test");
    assert_null(m->fields[1].allowed[2]);
    assert_string_equal(m->fields[2].default_value, "10");
    assert_int_equal(m->fields[2].min, 1);
    assert_int_equal(m->fields[2].max, 100);
    /* the shared payment fields follow its own */
    assert_non_null(catalog_field_find(m, "autoPost"));
    assert_string_equal(json_string_value(json_object_get(m->doc, "name")), "AcmePay");
    /* and the settings validator takes it like a built-in */
    json_t *config = doc_of("{\"webhookSecret\": \"nope\"}"), *fields = NULL;
    assert_int_equal(catalog_config_validate(m, config, NULL, NULL, &fields, &err), -1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(fields, 0), "code")),
                        "pattern_mismatch");
    json_decref(fields);
    json_decref(config);
    catalog_manifest_free(m);
    catalog_manifest_free(NULL);
}

static void test_schema_problems(void **state)
{
    refused("kind", NULL, "", "\"kind\" is required");
    refused("minPlan", "\"gold\"", "/minPlan", "must be one of");
    refused("slug", "\"Acme Pay\"", "/slug", "does not match");
    refused("manifestVersion", "2", "/manifestVersion", "must be one of");
    refused("colour", "\"red\"", "", "\"colour\" is not allowed");
    refused("settings/0/type", "\"password\"", "/settings/0/type", "must be one of");
    refused("settings/1/default", "[1]", "/settings/1/default", "must be of type");
    refused("settings/0/flags", "[\"hidden\"]", "/settings/0/flags/0", "must be one of");
    refused("builtin", "{\"provider\": \"acmepay\", \"destination\": \"x\"}", "/builtin",
            "not allowed");
    refused("webhookEvents", "[]", "/webhookEvents", "fewer than 1");
    refused("description", "\"\"", "/description", "too short");
    char long_name[160]; /* 157 characters, quoted */
    memset(long_name, 'x', sizeof long_name);
    long_name[0] = long_name[158] = '"';
    long_name[159] = '\0';
    refused("name", long_name, "/name", "too long");
    /* a sync api block that does not fit: the problem deep inside is named */
    refused("api", "{\"baseUrl\": \"https://x\", \"auth\": {\"type\": \"header\", \"header\": "
                   "\"X\", \"setting\": \"k\"}, \"request\": {\"method\": \"PUT\", \"path\": "
                   "\"/\"}, \"paginator\": {\"type\": \"none\"}, \"records\": {\"pointer\": "
                   "\"\", \"fields\": {\"id\": \"/id\", \"start\": \"/s\", \"duration\": "
                   "{\"pointer\": \"/d\", \"unit\": \"seconds\"}}}, \"window\": "
                   "{\"initialDays\": 1, \"lookbackDays\": 0}}",
            "/api/request/method", "must be one of");
}

static void test_too_many_settings(void **state)
{
    char text[16384];
    size_t n = (size_t)snprintf(text, sizeof text,
                                "{\"manifestVersion\": 1, \"slug\": \"big\", \"name\": \"Big\","
                                " \"description\": \"d\", \"kind\": \"api\", \"category\": "
                                "\"data\", \"minPlan\": \"pro\", \"authLabel\": \"Key\", "
                                "\"settings\": [");
    for (int i = 0; i < 65; i++)
        n += (size_t)snprintf(text + n, sizeof text - n,
                              "%s{\"key\": \"k%d\", \"label\": \"K\", \"type\": \"string\"}",
                              i ? "," : "", i);
    snprintf(text + n, sizeof text - n, "]}");
    json_t *doc = doc_of(text), *errors = NULL;
    struct connector_manifest *m = NULL;
    struct error err = {0};
    assert_int_equal(catalog_manifest_parse(doc, &m, &errors, &err), -1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(errors, 0), "pointer")),
                        "/settings");
    json_decref(errors);
    json_decref(doc);
}

static void test_what_the_schema_cannot_say(void **state)
{
    refused("settings/2/key", "\"mode\"", "/settings/2/key", "used by /settings/1");
    refused("settings/2/key", "\"autoPost\"", "/settings/2/key", "shared setting");
    refused("settings/1/allowed", NULL, "/settings/1", "lists its allowed values");
    refused("settings/2/allowed", "[\"1\"]", "/settings/2", "only an enum setting");
    refused("settings/1/default", "\"staging\"", "/settings/1/default", "not one of the allowed");
    refused("settings/2/default", "1000", "/settings/2/default", "outside min and max");
    refused("settings/2/default", "\"10\"", "/settings/2/default", "whole number");
    refused("settings/0/default", "\"whsec_a\"", "/settings/0/default", "has no default");
    refused("settings/0/pattern", "\"^(unclosed$\"", "/settings/0/pattern", "not a POSIX");
    refused("settings/0/format", NULL, "/settings/0", "pattern and format come together");
    /* patterns that would take glibc's regcomp or regexec forever are refused unread */
    refused("settings/0/pattern", "\"^((a{0,255}){0,255}){0,255}$\"", "/settings/0/pattern",
            "expands too far");
    refused("settings/0/pattern", "\"^[a-z]{0,5000}$\"", "/settings/0/pattern", "expands too far");
    /* each + doubles what it repeats in regcomp: forty of them took gigabytes */
    refused("settings/0/pattern", "\"^9++++++++++++++++++++++++++++++++++++++++$\"",
            "/settings/0/pattern", "expands too far");
    refused("settings/0/pattern", "\"^(a+)\\\\1$\"", "/settings/0/pattern", "back-references");
    refused("settings/2/min", NULL, "/settings/2", "min and max come together");
    refused("settings/2/min", "500", "/settings/2", "min is above max");
    refused("settings/0/flags", "[\"awaitable\"]", "/settings/0", "only a required setting");
    refused("kind", "\"destination\"", "/webhookEvents", "only a webhook or hybrid");
    refused("kind", "\"api\"", "/caps", "only a webhook or hybrid connector books payments");
    refused("builtin", "{\"provider\": \"stripe\"}", "/builtin/provider", "connector's name");
    refused("builtin", "{\"destination\": \"acmepay\"}", "/builtin/destination",
            "runs a destination connector");
    refused("caps", "[\"payment\", \"sync\"]", "/api", "needs an api block");
}

/* Patterns of the size real formats need pass: a UUID, an account number, a bracket with
 * a class and a ']' in it. */
static void test_patterns_of_real_size(void **state)
{
    static const char *const ok[] = {
        "^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$",
        "^([a-z0-9.-]+:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$", "^[]a[:alpha:]]{2,}$",
        "^(-?[0-9]+|@[A-Za-z][A-Za-z0-9_]{4,31})$", "^([a-z]{10}){0,90}$"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        json_t *v = json_string(ok[i]);
        char *text = json_dumps(v, JSON_ENCODE_ANY);
        struct connector_manifest *m = NULL;
        json_t *errors = NULL;
        struct error err = {0};
        if (parse_changed("settings/0/pattern", text, &m, &errors, &err) < 0)
            fail_msg("%s refused: %s", ok[i], err.message);
        catalog_manifest_free(m);
        free(text);
        json_decref(v);
    }
}

/* Every problem is reported, not only the first. */
static void test_all_problems_at_once(void **state)
{
    json_t *doc = doc_of(base), *errors = NULL;
    json_object_set_new(doc, "minPlan", json_string("gold"));
    json_object_set_new(doc, "category", json_integer(3));
    json_object_del(doc, "name");
    struct connector_manifest *m = NULL;
    struct error err = {0};
    assert_int_equal(catalog_manifest_parse(doc, &m, &errors, &err), -1);
    assert_int_equal(json_array_size(errors), 3);
    assert_non_null(strstr(err.message, "3 problems"));
    json_decref(errors);
    json_decref(doc);
}

static void test_not_an_object(void **state)
{
    json_t *doc = json_array(), *errors = NULL;
    struct connector_manifest *m = NULL;
    struct error err = {0};
    assert_int_equal(catalog_manifest_parse(doc, &m, &errors, &err), -1);
    assert_int_equal(err.code, ERR_VALIDATION);
    assert_int_equal(json_array_size(errors), 1);
    json_decref(errors);
    json_decref(doc);
}

/* The schema served at /api/schemas/connector-manifest.json is the one parse checks with. */
static void test_schema_text(void **state)
{
    json_t *schema = json_loads(catalog_manifest_schema(), 0, NULL);
    assert_non_null(schema);
    assert_non_null(json_object_get(json_object_get(schema, "properties"), "builtin"));
    json_decref(schema);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_builds_the_runtime_form),
        cmocka_unit_test(test_schema_problems),
        cmocka_unit_test(test_too_many_settings),
        cmocka_unit_test(test_what_the_schema_cannot_say),
        cmocka_unit_test(test_patterns_of_real_size),
        cmocka_unit_test(test_all_problems_at_once),
        cmocka_unit_test(test_not_an_object),
        cmocka_unit_test(test_schema_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
