/* tests/unit/lib/fakewebhook.h - a webhook request and a provider install as unit tests build
 * them: headers and query parameters from small tables, settings from JSON text, secrets
 * from a table (ERR_NOT_FOUND when one is not set, as the pipeline reports it).
 * Header-only, because each unit test is built from one file. */
#ifndef CONNECTORD_TESTS_FAKEWEBHOOK_H
#define CONNECTORD_TESTS_FAKEWEBHOOK_H

#include <string.h>
#include <strings.h>

#include "inbound/provider.h"

#define FAKE_PAIRS 8

struct fake_request {
    struct webhook_request req;
    const char *headers[FAKE_PAIRS][2];
    const char *query[FAKE_PAIRS][2];
};

static inline const char *fake_lookup(const char *const (*pairs)[2], const char *name, bool any_case)
{
    for (size_t i = 0; i < FAKE_PAIRS && pairs[i][0]; i++)
        if (any_case ? strcasecmp(pairs[i][0], name) == 0 : strcmp(pairs[i][0], name) == 0)
            return pairs[i][1];
    return NULL;
}

static inline const char *fake_header(const struct webhook_request *req, const char *name)
{
    const struct fake_request *f = req->ctx;
    return fake_lookup((const char *const (*)[2])f->headers, name, true);
}

static inline const char *fake_query(const struct webhook_request *req, const char *name)
{
    const struct fake_request *f = req->ctx;
    return fake_lookup((const char *const (*)[2])f->query, name, false);
}

/* A request with `body` (NUL-terminated here for convenience) received at now_ms. */
static inline void fake_request_init(struct fake_request *f, const char *body, int64_t now_ms)
{
    memset(f, 0, sizeof *f);
    f->req = (struct webhook_request){.body = body, .body_len = strlen(body),
                                      .header = fake_header, .query = fake_query, .ctx = f,
                                      .now_ms = now_ms};
}

static inline void fake_set(const char *(*pairs)[2], const char *name, const char *value)
{
    size_t i = 0;
    while (i < FAKE_PAIRS - 1 && pairs[i][0] && strcasecmp(pairs[i][0], name) != 0)
        i++;
    pairs[i][0] = name;
    pairs[i][1] = value;
}

/* Removes a header by moving the last one into its place. */
static inline void fake_unset(const char *(*pairs)[2], const char *name)
{
    size_t n = 0, at = FAKE_PAIRS;
    while (n < FAKE_PAIRS && pairs[n][0]) {
        if (strcasecmp(pairs[n][0], name) == 0)
            at = n;
        n++;
    }
    if (at == FAKE_PAIRS)
        return;
    pairs[at][0] = pairs[n - 1][0];
    pairs[at][1] = pairs[n - 1][1];
    pairs[n - 1][0] = pairs[n - 1][1] = NULL;
}

struct fake_install {
    struct provider_install inst;
    json_t *config;
    const char *secrets[FAKE_PAIRS][2];
};

static inline int fake_secret(const struct provider_install *inst, const char *key, struct buf *out,
                       struct error *err)
{
    const struct fake_install *f = inst->secret_ctx;
    const char *v = fake_lookup((const char *const (*)[2])f->secrets, key, false);
    if (!v)
        return error_set(err, ERR_NOT_FOUND, "secret %s is not set", key);
    return buf_append_str(out, v) < 0 ? error_set(err, ERR_INTERNAL, "out of memory") : 0;
}

/* config_json: the plain settings as JSON text; api_base: the fetch-back base URL. */
static inline void fake_install_init(struct fake_install *f, const char *config_json,
                              const char *api_base)
{
    memset(f, 0, sizeof *f);
    f->config = json_loads(config_json, 0, NULL);
    f->inst = (struct provider_install){.tenant_id = "ten_test", .install_id = "ins_test",
                                        .config = f->config, .secret = fake_secret,
                                        .secret_ctx = f, .api_base_url = api_base};
}

static inline void fake_install_free(struct fake_install *f)
{
    json_decref(f->config);
    f->config = NULL;
}

#endif
