/* tests/fuzz/fuzz_json.c - the JSON layer (src/core/json.c) over a request body: every
 * API request body goes through json_parse_body(), and every outside text that is written
 * into JSON by hand (log lines, the signed envelope) through json_escape_append().
 *
 * Promises: a body parses to an object or fails with ERR_INVALID_JSON / ERR_BAD_REQUEST
 * and a valid UTF-8 message (no client bytes echoed); what parses dumps compactly and
 * parses again to an equal value; json_only_members() and json_get_string() answer for
 * any object; the input escaped by json_escape_append() is a JSON string that jansson reads
 * back as valid UTF-8, equal to the input when the input was valid UTF-8 without NUL.
 * Seeds: API request bodies and provider payloads (tests/fuzz/corpus/json/). */
#include "fuzz.h"
#include "core/json.h"

static void fuzz_body(const char *data, size_t size)
{
    static const char *const allowed[] = {"name", "url", "events", "config", NULL};
    struct error err = {0};
    json_t *root = json_parse_body(data, size, &err);
    if (!root) {
        must(err.code == ERR_INVALID_JSON || err.code == ERR_BAD_REQUEST);
        must(valid_utf8(err.message));
        return;
    }
    must(json_is_object(root));
    size_t len = 0;
    char *dumped = json_dump_compact(root, &len);
    if (dumped) {
        struct error again = {0};
        json_t *back = json_parse_body(dumped, len, &again);
        must(back && json_equal(root, back));
        json_decref(back);
        free(dumped);
    }
    bool bad = false;
    const char *name = json_get_string(root, "name", &bad);
    must(!(name && bad));
    if (json_only_members(root, allowed, &err) < 0) {
        must(err.code == ERR_VALIDATION);
        must(valid_utf8(err.message));
    }
    json_decref(root);
}

static void fuzz_escape(const char *data, size_t size)
{
    struct buf b;
    buf_init(&b, 0);
    if (buf_append(&b, "\"", 1) < 0 || json_escape_append(&b, data, size) < 0 ||
        buf_append(&b, "\"", 1) < 0) {
        buf_free(&b);
        return;
    }
    json_error_t jerr;
    json_t *s = json_loadb(b.data, b.len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    must(s && json_is_string(s));
    must(valid_utf8_n(json_string_value(s), json_string_length(s)));
    if (valid_utf8_n(data, size) && !memchr(data, '\0', size))
        must(json_string_length(s) == size && memcmp(json_string_value(s), data, size) == 0);
    json_decref(s);
    buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FUZZ_INPUT_MAX)
        return 0;
    /* Bodies arrive with a length, not NUL-terminated: an exact copy lets ASan see a read
     * past the end. */
    char *copy = malloc(size ? size : 1);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    fuzz_body(copy, size);
    fuzz_escape(copy, size);
    free(copy);
    return 0;
}
