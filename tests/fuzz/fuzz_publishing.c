/* tests/fuzz/fuzz_publishing.c - a submitted outside connector's automated checks
 * (publishing_checks, src/publishing/publishing.c): size, JSON, slug, kind, then the
 * declarative evaluator's (the format and manifest rules, webhook block, limits, secrets,
 * URLs, every sample verified and mapped, and refused with one byte changed).
 *
 * Promises: the checks come back as a non-empty array of {check, ok, message} with
 * non-empty names and messages; a slug is named only when the slug check passed, and then
 * it is 2 to 47 of a-z, 0-9 and '-'; passing every check implies a slug.
 * Seeds: the Paddle manifest of docs/connectors.md and broken variants of it. */
#include "fuzz.h"
#include "publishing/publishing.h"

static bool slug_ok(const char *s)
{
    size_t n = strlen(s);
    if (n < 2 || n > 47)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
            return false;
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FUZZ_INPUT_MAX)
        return 0;
    char slug[STORE_SLUG_MAX];
    json_t *checks = publishing_checks((const char *)data, size, slug);
    must(json_is_array(checks) && json_array_size(checks) > 0);
    bool slug_passed = false;
    size_t i;
    json_t *c;
    json_array_foreach(checks, i, c) {
        const char *name = json_string_value(json_object_get(c, "check"));
        const char *message = json_string_value(json_object_get(c, "message"));
        must(name && name[0] && message && message[0]);
        must(json_is_boolean(json_object_get(c, "ok")));
        if (!strcmp(name, "slug"))
            slug_passed = json_is_true(json_object_get(c, "ok"));
    }
    must(slug_passed == (slug[0] != '\0'));
    must(!slug[0] || slug_ok(slug));
    must(!publishing_checks_passed(checks) || slug[0]);
    json_decref(checks);
    return 0;
}
