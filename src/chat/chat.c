/* chat/chat.c - the assistant's frame: the table of platforms, installs and their secrets,
 * the one way to call a platform's API, the queue's entry, link codes and the worker's
 * start and stop. Each platform is one file (slack.c, telegram.c, whatsapp.c) that fills
 * struct chat_platform; nothing here names one outside the table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "chat/chat_int.h"
#include "core/clock.h"
#include "core/json.h"
#include "core/log.h"
#include "httpc/httpc.h"

#define LINK_CODE_TTL_MS (24LL * 60 * 60 * 1000)
#define CALL_RESPONSE_MAX CHAT_FILE_MAX

static const struct chat_platform *const platforms[] = {&chat_slack, &chat_telegram,
                                                        &chat_whatsapp};
#define N_PLATFORMS (sizeof platforms / sizeof platforms[0])

const struct chat_platform *chat_platform_named(const char *name)
{
    for (size_t i = 0; name && i < N_PLATFORMS; i++)
        if (strcmp(platforms[i]->name, name) == 0)
            return platforms[i];
    return NULL;
}

static const struct chat_platform *platform_of_slug(const char *slug)
{
    for (size_t i = 0; slug && i < N_PLATFORMS; i++)
        if (strcmp(platforms[i]->slug, slug) == 0)
            return platforms[i];
    return NULL;
}

bool chat_is_platform_slug(const char *slug)
{
    return platform_of_slug(slug) != NULL;
}

/* ---- installs ------------------------------------------------------------------------- */

void chat_install_free(struct chat_install *ci)
{
    store_install_clear(&ci->in);
    json_decref(ci->config);
    json_decref(ci->secrets);
    ci->config = ci->secrets = NULL;
}

static int install_wrap(const struct chat *c, const char *default_base, struct chat_install *ci,
                        struct error *err)
{
    ci->chat = c;
    ci->config = json_loads(ci->in.config ? ci->in.config : "{}", 0, NULL);
    ci->secrets = json_loads(ci->in.secrets ? ci->in.secrets : "{}", 0, NULL);
    if (!ci->config || !ci->secrets)
        return error_set(err, ERR_STORE, "install %s holds no readable settings", ci->in.id);
    const char *base = json_string_value(json_object_get(ci->config, "apiBaseUrl"));
    snprintf(ci->base_url, sizeof ci->base_url, "%s", base && *base ? base : default_base);
    size_t n = strlen(ci->base_url);
    while (n && ci->base_url[n - 1] == '/')
        ci->base_url[--n] = '\0';
    return 0;
}

int chat_install_load(struct chat *c, const char *tenant_id, const char *install_id,
                      const char *default_base, struct chat_install *out, struct error *err)
{
    memset(out, 0, sizeof *out);
    if (store_install_get(c->store, tenant_id, install_id, &out->in, err) < 0)
        return -1;
    if (!out->in.is_active) {
        chat_install_free(out);
        return error_set(err, ERR_NOT_FOUND, "the install is turned off");
    }
    if (install_wrap(c, default_base, out, err) < 0) {
        chat_install_free(out);
        return -1;
    }
    return 0;
}

int chat_install_secret(const struct chat_install *ci, const char *key, struct buf *out,
                        struct error *err)
{
    char aad[2 * CRYPTO_ID_MAX + 2];
    snprintf(aad, sizeof aad, "%s/%s", ci->in.tenant_id, ci->in.id);
    buf_init(out, 4096);
    return catalog_secret_open(ci->secrets, key, ci->chat->master_key, aad, out, err);
}

const char *chat_install_setting(const struct chat_install *ci, const char *key)
{
    return json_string_value(json_object_get(ci->config, key));
}

/* ---- calls to the platforms ----------------------------------------------------------- */

static int call(const struct chat *c, const char *method, const char *url, const char *bearer,
                const json_t *body, bool refuse_private, struct buf *resp, bool *retry,
                struct error *err)
{
    char auth[1024];
    struct httpc_header headers[3];
    size_t nh = 0;
    size_t body_len = 0;
    char *text = body ? json_dump_compact(body, &body_len) : NULL;
    struct httpc_response r = {0};
    int rc = -1;
    *retry = false;
    buf_init(resp, CALL_RESPONSE_MAX);
    if (body && !text) {
        error_set(err, ERR_INTERNAL, "out of memory");
        goto out;
    }
    if (bearer) {
        snprintf(auth, sizeof auth, "Bearer %s", bearer);
        headers[nh++] = (struct httpc_header){"Authorization", auth};
    }
    if (body)
        headers[nh++] = (struct httpc_header){"Content-Type", "application/json; charset=utf-8"};
    struct httpc_request req = {.method = method, .url = url, .headers = headers,
                                .n_headers = nh, .body = text, .body_len = body_len,
                                .timeout_ms = 15000, .max_response = CALL_RESPONSE_MAX,
                                .refuse_private = refuse_private};
    if (httpc_perform(&req, &r, err) < 0) {
        *retry = true;
        goto out;
    }
    if (r.status < 200 || r.status > 299) {
        *retry = r.status == 429 || r.status >= 500;
        error_set(err, ERR_SERVICE_FAILED, "the platform answered HTTP %ld", r.status);
        goto out;
    }
    if (buf_append(resp, r.body.data ? r.body.data : "", r.body.len) < 0) {
        error_set(err, ERR_INTERNAL, "out of memory");
        goto out;
    }
    rc = 0;
out:
    memset(auth, 0, sizeof auth);
    httpc_response_free(&r);
    free(text);
    return rc;
}

int chat_call(const struct chat *c, const char *method, const char *url, const char *bearer,
              const json_t *body, struct buf *resp, bool *retry, struct error *err)
{
    return call(c, method, url, bearer, body, !c->allow_private, resp, retry, err);
}

int chat_call_operator(const struct chat *c, const char *url, const char *bearer,
                       const json_t *body, struct buf *resp, bool *retry, struct error *err)
{
    return call(c, "POST", url, bearer, body, false, resp, retry, err);
}

/* ---- receiving ------------------------------------------------------------------------ */

int chat_receive(struct chat *c, const struct chat_http_in *in, struct chat_http_out *out,
                 struct error *err)
{
    const struct chat_platform *p = chat_platform_named(in->platform);
    out->status = 200;
    out->content_type = "application/json";
    out->tenant_id[0] = '\0';
    if (!p)
        return error_set(err, ERR_NOT_FOUND, "no chat platform named %.*s", 32,
                         in->platform ? in->platform : "");
    return p->receive(c, in, out, err);
}

int chat_enqueue(struct chat *c, const struct chat_install *ci, struct chat_message *m,
                 bool *inserted, struct error *err)
{
    memcpy(m->tenant_id, ci->in.tenant_id, sizeof m->tenant_id);
    memcpy(m->install_id, ci->in.id, sizeof m->install_id);
    if (store_chat_message_insert(c->store, m, inserted, err) < 0)
        return -1;
    if (*inserted)
        chat_wake(c);
    return 0;
}

int chat_install_by_route(struct chat *c, const struct chat_platform *p, const char *route,
                          const char *key, struct chat_install *out, struct error *err)
{
    char tenant[CRYPTO_ID_MAX], install[CRYPTO_ID_MAX];
    memset(out, 0, sizeof *out);
    if (store_chat_route_find(c->store, route, key, tenant, install, err) < 0)
        return -1;
    return chat_install_load(c, tenant, install, p->default_base, out, err);
}

struct each_ctx {
    struct chat *c;
    const struct chat_platform *p;
    int (*fn)(void *ctx, struct chat_install *ci);
    void *ctx;
};

static int each_route(void *ctx, const char *tenant_id, const char *install_id)
{
    struct each_ctx *e = ctx;
    struct chat_install ci;
    struct error ignored = {0};
    if (chat_install_load(e->c, tenant_id, install_id, e->p->default_base, &ci, &ignored) < 0)
        return 0;
    int stop = e->fn(e->ctx, &ci);
    chat_install_free(&ci);
    return stop;
}

int chat_each_install(struct chat *c, const struct chat_platform *p,
                      int (*fn)(void *ctx, struct chat_install *ci), void *ctx,
                      struct error *err)
{
    struct each_ctx e = {.c = c, .p = p, .fn = fn, .ctx = ctx};
    return store_chat_routes_each(c->store, p->name, each_route, &e, err);
}

/* ---- installs made or changed --------------------------------------------------------- */

char *chat_webhook_url(struct chat *c, const struct install *in, struct error *err)
{
    const struct chat_platform *p = platform_of_slug(in->slug);
    char aad[2 * CRYPTO_ID_MAX + 16];
    struct buf token, url;
    char *res = NULL;
    if (!p) {
        error_set(err, ERR_NOT_FOUND, "%s is no chat platform", in->slug);
        return NULL;
    }
    buf_init(&token, 256);
    buf_init(&url, 4096);
    if (!p->path_token || !in->webhook_token_sealed) {
        if (buf_printf(&url, "%s/api/chatbot/%s", c->public_url, p->name) == 0)
            res = buf_take(&url, NULL);
        goto out;
    }
    snprintf(aad, sizeof aad, "%s/%s/webhookToken", in->tenant_id, in->id);
    if (crypto_open(c->master_key, aad, in->webhook_token_sealed, &token, err) == 0 &&
        buf_printf(&url, "%s/api/chatbot/%s/%s", c->public_url, p->name, token.data) == 0)
        res = buf_take(&url, NULL);
out:
    if (token.data)
        memset(token.data, 0, token.len);
    buf_free(&token);
    buf_free(&url);
    if (!res && !err->code)
        error_set(err, ERR_INTERNAL, "out of memory");
    return res;
}

int chat_install_ready(struct chat *c, const struct install *in, struct error *err)
{
    const struct chat_platform *p = platform_of_slug(in->slug);
    struct chat_install ci = {0};
    if (!p || !p->ready)
        return 0;
    ci.in = *in; /* borrowed: not freed here */
    if (install_wrap(c, p->default_base, &ci, err) < 0)
        goto fail;
    int rc = p->ready(c, &ci, err);
    json_decref(ci.config);
    json_decref(ci.secrets);
    return rc;
fail:
    json_decref(ci.config);
    json_decref(ci.secrets);
    return -1;
}

/* ---- link codes ----------------------------------------------------------------------- */

int chat_link_code_new(struct chat *c, const char *tenant_id, json_t **out, struct error *err)
{
    /* 10 characters of an alphabet without look-alikes: typed by hand from a screen. */
    static const char alphabet[] = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    unsigned char raw[10];
    char code[11], hash[2 * CRYPTO_SHA256_LEN + 1], expires[CLOCK_RFC3339_LEN];
    if (crypto_random(raw, sizeof raw) < 0)
        return error_set(err, ERR_INTERNAL, "no randomness available");
    for (size_t i = 0; i < sizeof raw; i++)
        code[i] = alphabet[raw[i] % (sizeof alphabet - 1)];
    code[10] = '\0';
    crypto_token_hash(code, 10, hash);
    clock_format_rfc3339(clock_now_ms() + LINK_CODE_TTL_MS, expires);
    if (store_chat_code_insert(c->store, tenant_id, hash, expires, err) < 0)
        return -1;
    char how[64];
    snprintf(how, sizeof how, "/link %s", code);
    *out = json_pack("{ssssss}", "code", code, "expiresAt", expires, "howTo", how);
    return *out ? 0 : error_set(err, ERR_INTERNAL, "out of memory");
}

/* ---- start and stop ------------------------------------------------------------------- */

static char *dup_opt(const char *s)
{
    return s && *s ? strdup(s) : NULL;
}

void chat_wake(struct chat *c)
{
    pthread_mutex_lock(&c->mu);
    c->woken = true;
    pthread_cond_signal(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

int chat_start(const struct chat_config *cfg, struct chat **out, struct error *err)
{
    struct chat *c = calloc(1, sizeof *c);
    if (!c)
        return error_set(err, ERR_INTERNAL, "out of memory");
    c->store = cfg->store;
    memcpy(c->master_key, cfg->master_key, CRYPTO_KEY_LEN);
    c->public_url = strdup(cfg->public_url ? cfg->public_url : "");
    c->allow_private = cfg->allow_private;
    c->llm_url = dup_opt(cfg->llm_url);
    c->llm_model = dup_opt(cfg->llm_model);
    c->llm_key = dup_opt(cfg->llm_key);
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    if (!c->public_url || pthread_create(&c->thread, NULL, chat_worker_main, c) != 0) {
        chat_stop(c);
        return error_set(err, ERR_INTERNAL, "cannot start the chat worker");
    }
    c->started = true;
    *out = c;
    return 0;
}

void chat_stop(struct chat *c)
{
    if (!c)
        return;
    if (c->started) {
        pthread_mutex_lock(&c->mu);
        c->stop = true;
        pthread_cond_signal(&c->cv);
        pthread_mutex_unlock(&c->mu);
        pthread_join(c->thread, NULL);
    }
    pthread_cond_destroy(&c->cv);
    pthread_mutex_destroy(&c->mu);
    memset(c->master_key, 0, sizeof c->master_key);
    free(c->public_url);
    free(c->llm_url);
    free(c->llm_model);
    if (c->llm_key)
        memset(c->llm_key, 0, strlen(c->llm_key));
    free(c->llm_key);
    free(c);
}
