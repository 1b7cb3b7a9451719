/* tests/fuzz/fuzz_oauth.c - what oauth/ reads from a service: a token endpoint's answer
 * (oauth_tokens_parse, for the status and body a token URL sent).
 *
 * Input: the status (decimal) on the first line, the body after it. Seeds: answers as the
 * services document them (tests/fuzz/corpus/oauth). Promises: success only for a 2xx, with
 * a non-empty access token of at most OAUTH_TOKEN_MAX bytes that is the body's
 * access_token, an expiry that is none or within a year from now; a failure is
 * ERR_SERVICE_REFUSED or ERR_SERVICE_FAILED with a UTF-8 message that quotes neither the
 * body's error_description nor any token. */
#include "fuzz.h"
#include "oauth/oauth_int.h"

static bool quotes(const char *message, const char *value)
{
    return value && strlen(value) >= 4 && strstr(message, value);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FUZZ_INPUT_MAX)
        return 0;
    char *text = fuzz_text_copy(data, size);
    if (!text)
        return 0;
    char *rest = text;
    char *status_text = fuzz_field(&rest, false);
    long status = strtol(status_text, NULL, 10);
    size_t body_len = size - (size_t)(rest - text);
    char *body = malloc(body_len + 1); /* exactly the body, so ASan sees a read past it */
    if (!body) {
        free(text);
        return 0;
    }
    memcpy(body, rest, body_len);
    body[body_len] = '\0';
    struct oauth_tokens t;
    struct error err = {0};
    oauth_tokens_init(&t);
    int64_t before = clock_now_ms();
    int rc = oauth_tokens_parse("fuzz", status, body, body_len, &t, &err);
    json_t *parsed = json_loadb(body, body_len, 0, NULL);
    const char *access = json_string_value(json_object_get(parsed, "access_token"));
    if (rc == 0) {
        must(status >= 200 && status <= 299);
        must(t.access.len > 0 && t.access.len <= OAUTH_TOKEN_MAX);
        must(access && strcmp(access, t.access.data) == 0);
        must(t.expires_at_ms == 0 || (t.expires_at_ms > before &&
                                      t.expires_at_ms <= clock_now_ms() + 366LL * 86400 * 1000));
    } else {
        must(err.code == ERR_SERVICE_REFUSED || err.code == ERR_SERVICE_FAILED);
        must(valid_utf8_n(err.message, strlen(err.message)));
        must(!quotes(err.message, json_string_value(json_object_get(parsed, "error_description"))));
        must(!quotes(err.message, access));
        must(!quotes(err.message,
                     json_string_value(json_object_get(parsed, "refresh_token"))));
    }
    json_decref(parsed);
    oauth_tokens_free(&t);
    free(body);
    free(text);
    return 0;
}
