/* sync/run.c - one sync run, executed from a connector's manifest (sync.h, manifest.h).
 *
 * A run reads the install's settings, authenticates as the manifest's auth block says,
 * resolves its lookups (Clockify's user id, Timely's account), then walks the window from
 * where the last committed run ended (less the manifest's lookback) to now, in chunks no
 * longer than the service allows, each chunk page by page with the manifest's paginator.
 * Each record is mapped into the common time entry and kept in memory; only when every page
 * was read does store_sync_run_commit write them all in one transaction (with the deletions
 * the window shows and the cursor), so a run that fails half way imports nothing.
 *
 * Limits: requests are paced (rateLimit.minIntervalMs); an answer in retryStatus is retried
 * after its Retry-After (capped) up to maxRetries times; one in quotaStatus defers the run
 * until the quota resets (the header the manifest names) instead of failing it; one in
 * authFailureStatus fails the run as bad credentials, which the install shows until a run
 * succeeds (an OAuth 2 token is first renewed once). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bank/bank.h"
#include "catalog/catalog.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/json.h"
#include "core/log.h"
#include "core/utf8.h"
#include "crypto/crypto.h"
#include "httpc/httpc.h"
#include "oauth/oauth.h"
#include "payouts/payouts.h"
#include "store/installs.h"
#include "store/sync.h"
#include "sync/manifest.h"
#include "sync/sync.h"

#define DAY_MS 86400000LL
#define MAX_PAGES 1000
#define MAX_ENTRIES 200000
#define TEXT_MAX 1000 /* bytes kept of a record's texts */
#define REQUEST_TIMEOUT_MS 30000
#define RESPONSE_MAX (16u << 20)

enum outcome { OUT_FAILED, OUT_AUTH, OUT_DEFER };

struct run_ctx {
    const struct sync_env *env;
    const struct sync_manifest *m;
    const json_t *api;
    struct sync_run *run;
    struct install in;
    json_t *config, *secrets, *lookups;
    char aad[2 * CRYPTO_ID_MAX + 2];
    char base[1024];
    int64_t from_ms, to_ms, chunk_from_ms, chunk_to_ms;
    int64_t last_request_us;
    char bearer[OAUTH_TOKEN_MAX];
    bool renewed; /* an OAuth token was renewed after a 401 in this run */
    enum outcome outcome;
    int64_t defer_until_ms;
    struct time_entry_in *entries;
    size_t n, cap;
    int64_t skipped;
};

/* ---- settings and templates ------------------------------------------------------------ */

/* The install's value of a setting as text: a plain value, or a secret opened. */
static int setting_text(struct run_ctx *c, const char *key, struct buf *out, struct error *err)
{
    const json_t *v = json_object_get(c->config, key);
    if (json_is_string(v))
        return buf_append_str(out, json_string_value(v)) == 0
                   ? 0
                   : error_set(err, ERR_INTERNAL, "out of memory");
    if (json_is_integer(v))
        return buf_printf(out, "%lld", (long long)json_integer_value(v)) == 0
                   ? 0
                   : error_set(err, ERR_INTERNAL, "out of memory");
    if (json_is_boolean(v))
        return buf_append_str(out, json_is_true(v) ? "true" : "false") == 0
                   ? 0
                   : error_set(err, ERR_INTERNAL, "out of memory");
    if (json_object_get(c->secrets, key)) {
        struct buf secret;
        buf_init(&secret, 8192);
        int rc = catalog_secret_open(c->secrets, key, c->env->master_key, c->aad, &secret, err);
        if (rc == 0 && buf_append(out, secret.data, secret.len) < 0)
            rc = error_set(err, ERR_INTERNAL, "out of memory");
        if (secret.data)
            memset(secret.data, 0, secret.len);
        buf_free(&secret);
        return rc;
    }
    return error_set(err, ERR_CONFIG, "the setting %s is not set", key);
}

static int append_time(struct buf *out, int64_t ms, const char *fmt, struct error *err)
{
    char t[CLOCK_RFC3339_LEN];
    clock_format_rfc3339(ms, t);
    int rc;
    if (!fmt || strcmp(fmt, "datetime") == 0)
        rc = buf_printf(out, "%.19sZ", t);
    else if (strcmp(fmt, "date") == 0)
        rc = buf_printf(out, "%.10s", t);
    else if (strcmp(fmt, "unix") == 0)
        rc = buf_printf(out, "%lld", (long long)(ms / 1000));
    else
        return error_set(err, ERR_CONFIG, "the manifest names an unknown time format '%s'", fmt);
    return rc == 0 ? 0 : error_set(err, ERR_INTERNAL, "out of memory");
}

static int append_encoded(struct buf *out, const char *s, size_t len, bool encode)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        bool plain = !encode || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                     (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.' ||
                     ch == '~';
        char enc[3] = {'%', hex[ch >> 4], hex[ch & 15]};
        if (plain ? buf_append(out, &s[i], 1) < 0 : buf_append(out, enc, 3) < 0)
            return -1;
    }
    return 0;
}

/* One placeholder's value: settings.KEY, lookup.NAME, from, to or since (with a format). */
static int placeholder(struct run_ctx *c, const char *name, struct buf *out, struct error *err)
{
    char key[128];
    snprintf(key, sizeof key, "%s", name);
    char *fmt = strchr(key, ':');
    if (fmt)
        *fmt++ = '\0';
    if (strncmp(key, "settings.", 9) == 0)
        return setting_text(c, key + 9, out, err);
    if (strncmp(key, "lookup.", 7) == 0) {
        const char *v = json_string_value(json_object_get(c->lookups, key + 7));
        if (!v)
            return error_set(err, ERR_CONFIG, "the manifest uses lookup %s before it is made",
                             key + 7);
        return buf_append_str(out, v) == 0 ? 0 : error_set(err, ERR_INTERNAL, "out of memory");
    }
    if (strcmp(key, "from") == 0 || strcmp(key, "since") == 0)
        return append_time(out, c->chunk_from_ms, fmt, err);
    if (strcmp(key, "to") == 0)
        return append_time(out, c->chunk_to_ms, fmt, err);
    return error_set(err, ERR_CONFIG, "the manifest names an unknown placeholder {%s}", name);
}

/* Expands a template into out; values are percent-encoded when encode is set (URL parts). */
static int expand(struct run_ctx *c, const char *tpl, struct buf *out, bool encode,
                  struct error *err)
{
    for (const char *p = tpl; *p;) {
        const char *open = strchr(p, '{');
        const char *close = open ? strchr(open, '}') : NULL;
        if (!open || !close)
            return buf_append_str(out, p) == 0 ? 0 : error_set(err, ERR_INTERNAL, "out of memory");
        if (buf_append(out, p, (size_t)(open - p)) < 0)
            return error_set(err, ERR_INTERNAL, "out of memory");
        char name[128];
        snprintf(name, sizeof name, "%.*s", (int)(close - open - 1), open + 1);
        struct buf v;
        buf_init(&v, 8192);
        int rc = placeholder(c, name, &v, err);
        if (rc == 0 && append_encoded(out, v.data ? v.data : "", v.len, encode) < 0)
            rc = error_set(err, ERR_INTERNAL, "out of memory");
        buf_free(&v);
        if (rc < 0)
            return -1;
        p = close + 1;
    }
    return 0;
}

/* ---- JSON pointers ----------------------------------------------------------------------- */

/* RFC 6901 over a record; a leading '^' reads the parent row (nested records). */
static const json_t *pointer_get(const json_t *rec, const json_t *parent, const char *ptr)
{
    if (!ptr)
        return NULL;
    if (*ptr == '^') {
        rec = parent;
        ptr++;
    }
    const json_t *cur = rec;
    while (cur && *ptr == '/') {
        ptr++;
        char tok[256];
        size_t n = 0;
        while (*ptr && *ptr != '/' && n < sizeof tok - 1) {
            if (ptr[0] == '~' && (ptr[1] == '0' || ptr[1] == '1')) {
                tok[n++] = ptr[1] == '0' ? '~' : '/';
                ptr += 2;
            } else {
                tok[n++] = *ptr++;
            }
        }
        tok[n] = '\0';
        if (json_is_object(cur)) {
            cur = json_object_get(cur, tok);
        } else if (json_is_array(cur)) {
            char *end;
            errno = 0;
            unsigned long i = strtoul(tok, &end, 10);
            cur = (*tok && !*end && !errno) ? json_array_get(cur, i) : NULL;
        } else {
            cur = NULL;
        }
    }
    return cur;
}

/* A scalar as text (strings as they are, integers in decimal); NULL otherwise. */
static const char *scalar_text(const json_t *v, char *tmp, size_t cap)
{
    if (json_is_string(v))
        return json_string_value(v);
    if (json_is_integer(v)) {
        snprintf(tmp, cap, "%lld", (long long)json_integer_value(v));
        return tmp;
    }
    return NULL;
}

/* ---- HTTP ---------------------------------------------------------------------------------- */

static bool status_listed(const json_t *list, long status)
{
    size_t i;
    const json_t *v;
    json_array_foreach(list, i, v)
        if (json_integer_value(v) == status)
            return true;
    return false;
}

static int64_t limit_int(const struct run_ctx *c, const char *key, int64_t dflt)
{
    const json_t *v = json_object_get(json_object_get(c->api, "rateLimit"), key);
    return json_is_integer(v) ? json_integer_value(v) : dflt;
}

static void sleep_ms(int64_t ms)
{
    if (ms > 0)
        nanosleep(&(struct timespec){.tv_sec = ms / 1000, .tv_nsec = ms % 1000 * 1000000}, NULL);
}

/* Waits until minIntervalMs has passed since the run's last request. */
static void pace(struct run_ctx *c)
{
    int64_t gap_us = limit_int(c, "minIntervalMs", 0) * 1000;
    int64_t now = clock_monotonic_us();
    if (c->last_request_us && now - c->last_request_us < gap_us)
        sleep_ms((gap_us - (now - c->last_request_us)) / 1000 + 1);
    c->last_request_us = clock_monotonic_us();
}

/* The auth of a request: a header (name: value) or HTTP basic credentials. */
struct auth {
    char name[64];
    struct buf value;
    struct buf user;
    const char *password;
};

static int auth_prepare(struct run_ctx *c, struct auth *a, struct error *err)
{
    const json_t *auth = json_object_get(c->api, "auth");
    buf_init(&a->value, OAUTH_TOKEN_MAX + 64);
    buf_init(&a->user, 8192);
    a->name[0] = '\0';
    a->password = NULL;
    switch (c->m->auth) {
    case SYNC_AUTH_HEADER: {
        const char *prefix = json_string_value(json_object_get(auth, "prefix"));
        snprintf(a->name, sizeof a->name, "%s", json_string_value(json_object_get(auth, "header")));
        if (prefix && buf_append_str(&a->value, prefix) < 0)
            return error_set(err, ERR_INTERNAL, "out of memory");
        return setting_text(c, json_string_value(json_object_get(auth, "setting")), &a->value,
                            err);
    }
    case SYNC_AUTH_BASIC:
        a->password = json_string_value(json_object_get(auth, "password"));
        return setting_text(c, json_string_value(json_object_get(auth, "usernameSetting")),
                            &a->user, err);
    case SYNC_AUTH_OAUTH2:
        if (oauth_access_token(c->env->store, c->env->master_key, c->in.tenant_id, c->in.id,
                               c->bearer, sizeof c->bearer, err) < 0) {
            c->outcome = OUT_AUTH;
            return -1;
        }
        snprintf(a->name, sizeof a->name, "Authorization");
        return buf_printf(&a->value, "Bearer %s", c->bearer) == 0
                   ? 0
                   : error_set(err, ERR_INTERNAL, "out of memory");
    }
    return error_set(err, ERR_CONFIG, "unknown auth type");
}

static void auth_clear(struct auth *a)
{
    if (a->value.data)
        memset(a->value.data, 0, a->value.len);
    if (a->user.data)
        memset(a->user.data, 0, a->user.len);
    buf_free(&a->value);
    buf_free(&a->user);
}

/* The path of a URL, for messages (never its query, which may carry a key). */
static void url_path(const char *url, char *out, size_t cap)
{
    const char *p = strstr(url, "://");
    p = p ? strchr(p + 3, '/') : NULL;
    size_t n = p ? strcspn(p, "?") : 1;
    snprintf(out, cap, "%.*s", (int)n, p ? p : "/");
}

/* One request with the manifest's auth, pacing, retries and limits. 0 with a 2xx answer in
 * resp (the caller frees it); -1 with err and c->outcome set. */
static int call(struct run_ctx *c, const char *method, const char *url, const char *body,
                struct httpc_response *resp, struct error *err)
{
    const json_t *rl = json_object_get(c->api, "rateLimit");
    int64_t max_retries = limit_int(c, "maxRetries", 2);
    int64_t max_wait_s = limit_int(c, "maxRetryAfterS", 60);
    char path[256];
    url_path(url, path, sizeof path);
    c->outcome = OUT_FAILED;
    for (int64_t attempt = 0;; attempt++) {
        struct auth a;
        struct httpc_header headers[24];
        size_t nh = 0;
        struct buf hvals[16];
        size_t nv = 0;
        int rc = auth_prepare(c, &a, err);
        const char *key;
        const json_t *tpl;
        json_object_foreach((json_t *)json_object_get(c->api, "headers"), key, tpl) {
            if (rc < 0 || nv == 16)
                break;
            buf_init(&hvals[nv], 4096);
            rc = expand(c, json_string_value(tpl), &hvals[nv], false, err);
            headers[nh++] = (struct httpc_header){key, hvals[nv].data ? hvals[nv].data : ""};
            nv++;
        }
        if (a.name[0])
            headers[nh++] = (struct httpc_header){a.name, a.value.data ? a.value.data : ""};
        headers[nh++] = (struct httpc_header){"Accept", "application/json"};
        if (body)
            headers[nh++] = (struct httpc_header){"Content-Type", "application/json"};
        struct httpc_request req = {
            .method = method, .url = url, .headers = headers, .n_headers = nh, .body = body,
            .body_len = body ? strlen(body) : 0,
            .basic_user = c->m->auth == SYNC_AUTH_BASIC ? (a.user.data ? a.user.data : "") : NULL,
            .basic_password = a.password, .timeout_ms = REQUEST_TIMEOUT_MS,
            .max_response = RESPONSE_MAX, .refuse_private = !c->env->allow_private};
        if (rc == 0) {
            pace(c);
            rc = httpc_perform(&req, resp, err);
            if (rc < 0) {
                /* err->message is both the cause and the result: copied out first, as
                 * vsnprintf must not read the buffer it writes */
                char cause[sizeof err->message];
                memcpy(cause, err->message, sizeof cause);
                error_set(err, ERR_UNAVAILABLE, "%s did not answer %s %s: %s", c->m->name, method,
                          path, cause);
            }
        }
        auth_clear(&a);
        for (size_t i = 0; i < nv; i++)
            buf_free(&hvals[i]);
        if (rc < 0)
            return -1;
        long st = resp->status;
        if (st >= 200 && st < 300)
            return 0;
        if (status_listed(json_object_get(rl, "retryStatus"), st) && attempt < max_retries) {
            char *end;
            long wait = strtol(resp->retry_after, &end, 10);
            if (end == resp->retry_after || wait < 0)
                wait = 1L << attempt;
            if (wait > max_wait_s)
                wait = (long)max_wait_s;
            log_info("sync %s: %s answered %ld, retrying in %ld s", c->run->id, path, st, wait);
            httpc_response_free(resp);
            sleep_ms(wait * 1000);
            continue;
        }
        if (status_listed(json_object_get(rl, "quotaStatus"), st)) {
            const char *hname = json_string_value(json_object_get(rl, "quotaResetHeader"));
            char val[64] = "";
            long wait = hname && httpc_response_header(resp, hname, val, sizeof val)
                            ? strtol(val, NULL, 10)
                            : 0;
            if (wait <= 0)
                wait = (long)limit_int(c, "quotaDefaultWaitS", 3600);
            c->outcome = OUT_DEFER;
            c->defer_until_ms = clock_now_ms() + (int64_t)wait * 1000;
            httpc_response_free(resp);
            return error_set(err, ERR_UNAVAILABLE,
                             "the %s API quota is spent (HTTP %ld); the run continues in %ld s",
                             c->m->name, st, wait);
        }
        if (status_listed(json_object_get(c->api, "authFailureStatus"), st)) {
            httpc_response_free(resp);
            if (c->m->auth == SYNC_AUTH_OAUTH2 && !c->renewed) {
                c->renewed = true; /* one renewal and one retry */
                if (oauth_invalidate(c->env->store, c->in.tenant_id, c->in.id, err) < 0)
                    return -1;
                continue;
            }
            c->outcome = OUT_AUTH;
            return error_set(err, ERR_SERVICE_REFUSED,
                             "%s refused the credentials (HTTP %ld on %s %s): check the "
                             "connector's settings",
                             c->m->name, st, method, path);
        }
        httpc_response_free(resp);
        return error_set(err, ERR_SERVICE_FAILED, "%s answered HTTP %ld to %s %s", c->m->name,
                         st, method, path);
    }
}

static json_t *parse_page(struct run_ctx *c, const struct httpc_response *resp, const char *url,
                          struct error *err)
{
    char path[256];
    url_path(url, path, sizeof path);
    json_error_t jerr;
    json_t *doc = json_loadb(resp->body.data ? resp->body.data : "", resp->body.len, 0, &jerr);
    if (!doc)
        error_set(err, ERR_SERVICE_FAILED, "%s sent a malformed page for %s: not JSON (%s)",
                  c->m->name, path, jerr.text);
    return doc;
}

/* ---- lookups ------------------------------------------------------------------------------ */

static int url_for(struct run_ctx *c, const char *path_tpl, struct buf *url, struct error *err)
{
    if (buf_append_str(url, c->base) < 0)
        return error_set(err, ERR_INTERNAL, "out of memory");
    /* exactly one slash between base and path */
    if (url->len && url->data[url->len - 1] == '/')
        url->len--;
    if (path_tpl[0] != '/' && buf_append_str(url, "/") < 0)
        return error_set(err, ERR_INTERNAL, "out of memory");
    /* a path's placeholders are encoded, its slashes kept */
    return expand(c, path_tpl, url, true, err);
}

static int resolve_lookups(struct run_ctx *c, struct error *err)
{
    size_t i;
    const json_t *l;
    json_array_foreach(json_object_get(c->api, "lookups"), i, l) {
        struct buf url;
        struct httpc_response resp;
        buf_init(&url, 8192);
        memset(&resp, 0, sizeof resp);
        int rc = url_for(c, json_string_value(json_object_get(l, "path")), &url, err);
        if (rc == 0)
            rc = call(c, "GET", url.data, NULL, &resp, err);
        json_t *doc = rc == 0 ? parse_page(c, &resp, url.data, err) : NULL;
        if (rc == 0 && !doc)
            rc = -1;
        if (rc == 0) {
            char tmp[32];
            const char *v = scalar_text(
                pointer_get(doc, NULL, json_string_value(json_object_get(l, "pointer"))), tmp,
                sizeof tmp);
            if (!v)
                rc = error_set(err, ERR_SERVICE_FAILED, "%s's answer has no %s at %s",
                               c->m->name, json_string_value(json_object_get(l, "name")),
                               json_string_value(json_object_get(l, "pointer")));
            else
                json_object_set_new(c->lookups, json_string_value(json_object_get(l, "name")),
                                    json_string(v));
        }
        json_decref(doc);
        httpc_response_free(&resp);
        buf_free(&url);
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* ---- records -------------------------------------------------------------------------------- */

/* ISO 8601 duration (PT1H30M, P1DT2H, PT45S, PT1.5H is refused) as seconds; -1 if not one. */
static int64_t iso_duration_s(const char *s)
{
    if (!s || *s != 'P')
        return -1;
    int64_t total = 0;
    bool in_time = false, any = false;
    for (const char *p = s + 1; *p;) {
        if (*p == 'T') {
            in_time = true;
            p++;
            continue;
        }
        char *end;
        errno = 0;
        long long n = strtoll(p, &end, 10);
        if (end == p || errno || n < 0 || n > 100000000)
            return -1;
        int64_t unit = *end == 'D' && !in_time   ? 86400
                       : *end == 'H' && in_time  ? 3600
                       : *end == 'M' && in_time  ? 60
                       : *end == 'S' && in_time  ? 1
                       : *end == 'W' && !in_time ? 7 * 86400
                                                 : 0;
        if (!unit)
            return -1;
        total += n * unit;
        any = true;
        p = end + 1;
    }
    return any ? total : -1;
}

static char *text_copy(const json_t *v)
{
    char tmp[32];
    const char *t = scalar_text(v, tmp, sizeof tmp);
    if (!t || !*t)
        return NULL;
    size_t n = utf8_cut(t, TEXT_MAX);
    char *out = malloc(n + 1);
    if (out) {
        memcpy(out, t, n);
        out[n] = '\0';
        utf8_repair(out);
    }
    return out;
}

static void entry_free(struct time_entry_in *e)
{
    free(e->description);
    free(e->project);
    free(e->client);
    free(e->client_external_id);
    free(e->user_name);
}

static bool skipped_by_rule(const json_t *records, const json_t *rec, const json_t *parent)
{
    size_t i;
    const json_t *rule;
    json_array_foreach(json_object_get(records, "skip"), i, rule) {
        const json_t *v = pointer_get(rec, parent, json_string_value(json_object_get(rule, "pointer")));
        const json_t *eq = json_object_get(rule, "equals");
        if (json_is_true(json_object_get(rule, "isNull")) && (!v || json_is_null(v)))
            return true;
        if (json_is_true(json_object_get(rule, "present")) && v && !json_is_null(v))
            return true;
        if (eq && v && json_equal((json_t *)eq, (json_t *)v))
            return true;
    }
    return false;
}

static void entry_hash(struct time_entry_in *e)
{
    struct buf b;
    buf_init(&b, 0);
    buf_printf(&b, "%s\x1f%s\x1f%lld\x1f%d\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%d\x1f%lld\x1f%s",
               e->external_id, e->started_at, (long long)e->minutes, e->billable,
               e->description ? e->description : "", e->project ? e->project : "",
               e->client ? e->client : "", e->client_external_id ? e->client_external_id : "",
               e->user_name ? e->user_name : "", e->has_rate, (long long)e->rate_minor,
               e->currency);
    unsigned char d[CRYPTO_SHA256_LEN];
    crypto_sha256(b.data ? b.data : "", b.len, d);
    for (size_t i = 0; i < sizeof d; i++)
        snprintf(e->hash + 2 * i, 3, "%02x", d[i]);
    buf_free(&b);
}

/* Maps one record; *skip when it is not to be imported (running timer, planned time). */
static int map_record(struct run_ctx *c, const json_t *records, const json_t *rec,
                      const json_t *parent, struct time_entry_in *e, bool *skip,
                      struct error *err)
{
    const json_t *f = json_object_get(records, "fields");
    memset(e, 0, sizeof *e);
    *skip = skipped_by_rule(records, rec, parent);
    if (*skip)
        return 0;
    char tmp[32];
#define FIELD(name) pointer_get(rec, parent, json_string_value(json_object_get(f, name)))
    const char *id = scalar_text(FIELD("id"), tmp, sizeof tmp);
    if (!id || !*id || strlen(id) >= sizeof e->external_id)
        return error_set(err, ERR_SERVICE_FAILED, "%s sent a malformed page: a record without "
                         "a usable id", c->m->name);
    snprintf(e->external_id, sizeof e->external_id, "%s", id);
    const char *start = json_string_value(FIELD("start"));
    char start_buf[64];
    int64_t start_ms = 0;
    if (start && strlen(start) == 10) { /* a date alone (mite, Timely): its midnight, UTC */
        snprintf(start_buf, sizeof start_buf, "%sT00:00:00Z", start);
        start = start_buf;
    }
    if (!start || clock_parse_rfc3339(start, &start_ms) < 0)
        return error_set(err, ERR_SERVICE_FAILED, "%s sent a malformed page: record %s has no "
                         "valid start time", c->m->name, e->external_id);
    clock_format_rfc3339(start_ms, e->started_at);
    const json_t *dur = json_object_get(f, "duration");
    const json_t *dv = pointer_get(rec, parent, json_string_value(json_object_get(dur, "pointer")));
    const char *unit = json_string_value(json_object_get(dur, "unit"));
    int64_t seconds = -1;
    if (strcmp(unit, "iso8601") == 0)
        seconds = iso_duration_s(json_string_value(dv));
    else if (json_is_integer(dv))
        seconds = json_integer_value(dv) * (strcmp(unit, "minutes") == 0 ? 60 : 1);
    if (json_is_integer(dv) && json_integer_value(dv) < 0) {
        *skip = true; /* Toggl: a negative duration is a timer still running */
        return 0;
    }
    if (seconds < 0 || seconds > 366LL * 86400)
        return error_set(err, ERR_SERVICE_FAILED, "%s sent a malformed page: record %s has no "
                         "valid duration", c->m->name, e->external_id);
    e->minutes = (seconds + 30) / 60;
    const json_t *bill = FIELD("billable");
    e->billable = json_is_true(bill) || (json_is_integer(bill) && json_integer_value(bill) != 0);
    e->description = text_copy(FIELD("description"));
    e->project = text_copy(FIELD("project"));
    e->client = text_copy(FIELD("client"));
    e->client_external_id = text_copy(FIELD("clientId"));
    e->user_name = text_copy(FIELD("user"));
#undef FIELD
    const json_t *rate = json_object_get(f, "rate");
    const json_t *rv = pointer_get(rec, parent, json_string_value(json_object_get(rate, "pointer")));
    if (json_is_integer(rv) && json_integer_value(rv) >= 0 &&
        json_integer_value(rv) <= 100000000000LL) {
        e->has_rate = true;
        e->rate_minor = json_integer_value(rv) *
                        (strcmp(json_string_value(json_object_get(rate, "unit")), "major") == 0
                             ? 100
                             : 1);
    }
    const char *cur = json_string_value(
        pointer_get(rec, parent, json_string_value(json_object_get(f, "currency"))));
    struct buf cv;
    buf_init(&cv, 64);
    const char *tpl = json_string_value(json_object_get(f, "currencyValue"));
    if (!cur && tpl) {
        if (expand(c, tpl, &cv, false, err) < 0) {
            buf_free(&cv);
            return -1;
        }
        cur = cv.data;
    }
    if (cur && strlen(cur) == 3 && cur[0] >= 'A' && cur[0] <= 'Z' && cur[1] >= 'A' &&
        cur[1] <= 'Z' && cur[2] >= 'A' && cur[2] <= 'Z')
        memcpy(e->currency, cur, 4);
    buf_free(&cv);
    entry_hash(e);
    return 0;
}

static int keep_entry(struct run_ctx *c, struct time_entry_in *e, struct error *err)
{
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 256;
        struct time_entry_in *p = cap <= MAX_ENTRIES ? realloc(c->entries, cap * sizeof *p) : NULL;
        if (!p) {
            entry_free(e);
            return error_set(err, ERR_LIMIT_REACHED, "more than %d time entries in one run",
                             MAX_ENTRIES);
        }
        c->entries = p;
        c->cap = cap;
    }
    c->entries[c->n++] = *e;
    return 0;
}

/* The records of one page: *raw counts what the service sent (for page-size paging). */
static int take_records(struct run_ctx *c, const json_t *doc, size_t *raw, struct error *err)
{
    const json_t *records = json_object_get(c->api, "records");
    const json_t *list = pointer_get(doc, NULL, json_string_value(json_object_get(records, "pointer")));
    const char *unwrap = json_string_value(json_object_get(records, "unwrap"));
    const char *nested = json_string_value(json_object_get(records, "nested"));
    if (!json_is_array(list))
        return error_set(err, ERR_SERVICE_FAILED, "%s sent a malformed page: no list of "
                         "records at '%s'", c->m->name,
                         json_string_value(json_object_get(records, "pointer")));
    *raw = json_array_size(list);
    size_t i;
    const json_t *row;
    json_array_foreach(list, i, row) {
        const json_t *rec = unwrap ? pointer_get(row, NULL, unwrap) : row;
        const json_t *inner = nested ? pointer_get(rec, NULL, nested) : NULL;
        if (!json_is_object(rec) || (nested && !json_is_array(inner)))
            return error_set(err, ERR_SERVICE_FAILED, "%s sent a malformed page: record %zu "
                             "is not an object", c->m->name, i);
        size_t n = nested ? json_array_size(inner) : 1;
        for (size_t k = 0; k < n; k++) {
            const json_t *one = nested ? json_array_get(inner, k) : rec;
            struct time_entry_in e = {0}; /* freed below even when map_record never ran */
            bool skip = false;
            if (!json_is_object(one) ||
                map_record(c, records, one, nested ? rec : NULL, &e, &skip, err) < 0) {
                if (!json_is_object(one))
                    error_set(err, ERR_SERVICE_FAILED, "%s sent a malformed page: a nested "
                              "record is not an object", c->m->name);
                entry_free(&e);
                return -1;
            }
            if (skip) {
                entry_free(&e);
                c->skipped++;
            } else if (keep_entry(c, &e, err) < 0) {
                return -1;
            }
        }
    }
    return 0;
}

int sync_page_map(const struct sync_manifest *m, const char *body, size_t len,
                  const json_t *lookups,
                  int (*fn)(void *ctx, const struct time_entry_in *e), void *fn_ctx,
                  int64_t *skipped, struct error *err)
{
    struct run_ctx c = {.m = m, .api = m->api, .lookups = (json_t *)lookups};
    struct httpc_response resp = {.status = 200};
    size_t raw = 0;
    int rc = -1;
    if (!m->available)
        return error_set(err, ERR_CONFIG, "%s has no API to map", m->name);
    resp.body.data = (char *)body;
    resp.body.len = len;
    json_t *doc = parse_page(&c, &resp, "/", err);
    if (doc && take_records(&c, doc, &raw, err) == 0) {
        rc = 0;
        for (size_t i = 0; i < c.n && rc == 0; i++)
            rc = fn(fn_ctx, &c.entries[i]);
    }
    *skipped = c.skipped;
    json_decref(doc);
    for (size_t i = 0; i < c.n; i++)
        entry_free(&c.entries[i]);
    free(c.entries);
    return rc;
}

/* ---- paging -------------------------------------------------------------------------------- */

/* The URL of rel="next" in a Link header, or "" when there is none. */
static void link_next(const char *link, char *out, size_t cap)
{
    out[0] = '\0';
    for (const char *p = link; p && *p;) {
        const char *lt = strchr(p, '<'), *gt = lt ? strchr(lt, '>') : NULL;
        if (!gt)
            return;
        const char *next_part = strchr(gt, ',');
        size_t seg = next_part ? (size_t)(next_part - gt) : strlen(gt);
        char params[256];
        snprintf(params, sizeof params, "%.*s", (int)seg, gt);
        if (strstr(params, "rel=\"next\"") || strstr(params, "rel=next")) {
            snprintf(out, cap, "%.*s", (int)(gt - lt - 1), lt + 1);
            return;
        }
        p = next_part ? next_part + 1 : NULL;
    }
}

struct pager {
    const json_t *p;
    const char *type;
    int64_t page, offset;
    char cursor[1024];
    char next_url[4096];
    json_t *carry; /* header paginator: the values the next request carries */
};

static int add_param(struct buf *url, bool *first, const char *k, const char *v)
{
    if (buf_append_str(url, *first ? "?" : "&") < 0 ||
        append_encoded(url, k, strlen(k), true) < 0 || buf_append_str(url, "=") < 0 ||
        append_encoded(url, v, strlen(v), true) < 0)
        return -1;
    *first = false;
    return 0;
}

/* The request of the current page: its URL and, for POST, its body. */
static int page_request(struct run_ctx *c, struct pager *pg, struct buf *url, char **body,
                        struct error *err)
{
    const json_t *req = json_object_get(c->api, "request");
    *body = NULL;
    if (pg->next_url[0])
        return buf_append_str(url, pg->next_url) == 0 ? 0
                                                      : error_set(err, ERR_INTERNAL, "out of memory");
    if (url_for(c, json_string_value(json_object_get(req, "path")), url, err) < 0)
        return -1;
    bool first = true;
    const char *k;
    const json_t *tpl;
    char num[32];
    json_object_foreach((json_t *)json_object_get(req, "query"), k, tpl) {
        struct buf v;
        buf_init(&v, 4096);
        int rc = expand(c, json_string_value(tpl), &v, false, err);
        if (rc == 0 && add_param(url, &first, k, v.data ? v.data : "") < 0)
            rc = error_set(err, ERR_INTERNAL, "out of memory");
        buf_free(&v);
        if (rc < 0)
            return -1;
    }
    const char *size_param = json_string_value(json_object_get(pg->p, "sizeParam"));
    const char *limit_param = json_string_value(json_object_get(pg->p, "limitParam"));
    snprintf(num, sizeof num, "%lld", (long long)json_integer_value(json_object_get(pg->p, "size")));
    int rc = 0;
    if (strcmp(pg->type, "page") == 0) {
        char pn[32];
        snprintf(pn, sizeof pn, "%lld", (long long)pg->page);
        rc = add_param(url, &first, json_string_value(json_object_get(pg->p, "param")), pn) |
             add_param(url, &first, size_param, num);
    } else if (strcmp(pg->type, "offset") == 0) {
        char off[32];
        snprintf(off, sizeof off, "%lld", (long long)pg->offset);
        rc = add_param(url, &first, json_string_value(json_object_get(pg->p, "param")), off) |
             add_param(url, &first, limit_param, num);
    } else if (strcmp(pg->type, "cursor") == 0 && pg->cursor[0]) {
        rc = add_param(url, &first, json_string_value(json_object_get(pg->p, "param")), pg->cursor);
    }
    const bool carry_in_body = strcmp(pg->type, "header") == 0 &&
        strcmp(json_string_value(json_object_get(pg->p, "injectInto")), "body") == 0;
    if (strcmp(pg->type, "header") == 0 && !carry_in_body) {
        const char *ck;
        const json_t *cv;
        json_object_foreach(pg->carry, ck, cv)
            rc |= add_param(url, &first, ck, json_string_value(cv));
    }
    if (rc < 0)
        return error_set(err, ERR_INTERNAL, "out of memory");
    const json_t *bt = json_object_get(req, "body");
    if (!bt)
        return 0;
    json_t *b = json_object();
    json_object_foreach((json_t *)bt, k, tpl) {
        if (!json_is_string(tpl)) {
            json_object_set(b, k, (json_t *)tpl);
            continue;
        }
        struct buf v;
        buf_init(&v, 4096);
        rc = expand(c, json_string_value(tpl), &v, false, err);
        if (rc == 0)
            json_object_set_new(b, k, json_stringn(v.data ? v.data : "", v.len));
        buf_free(&v);
        if (rc < 0) {
            json_decref(b);
            return -1;
        }
    }
    if (carry_in_body) {
        const char *ck;
        const json_t *cv;
        json_object_foreach(pg->carry, ck, cv) {
            /* a number as a number (Toggl's first_id is one) */
            char *end;
            long long n = strtoll(json_string_value(cv), &end, 10);
            json_object_set_new(b, ck, *end == '\0' && end != json_string_value(cv)
                                           ? json_integer(n)
                                           : json_string(json_string_value(cv)));
        }
    }
    *body = json_dumps(b, JSON_COMPACT);
    json_decref(b);
    return *body ? 0 : error_set(err, ERR_INTERNAL, "out of memory");
}

/* Moves the pager past a page; *more false when it was the last. */
static void page_advance(struct run_ctx *c, struct pager *pg, const json_t *doc,
                         const struct httpc_response *resp, size_t raw, bool *more)
{
    int64_t size = json_integer_value(json_object_get(pg->p, "size"));
    *more = false;
    if (strcmp(pg->type, "page") == 0) {
        pg->page++;
        *more = raw > 0 && (int64_t)raw >= size;
    } else if (strcmp(pg->type, "offset") == 0) {
        pg->offset += (int64_t)raw;
        *more = raw > 0 && (int64_t)raw >= size;
    } else if (strcmp(pg->type, "cursor") == 0) {
        char tmp[32];
        const char *next = scalar_text(
            pointer_get(doc, NULL, json_string_value(json_object_get(pg->p, "pointer"))), tmp,
            sizeof tmp);
        *more = next && *next && strlen(next) < sizeof pg->cursor && strcmp(next, pg->cursor) != 0;
        if (*more)
            snprintf(pg->cursor, sizeof pg->cursor, "%s", next);
    } else if (strcmp(pg->type, "link") == 0) {
        char link[4096] = "", next[4096];
        httpc_response_header(resp, "Link", link, sizeof link);
        link_next(link, next, sizeof next);
        /* only onward within the configured API, never to another host */
        *more = next[0] && strncmp(next, c->base, strlen(c->base)) == 0 &&
                strcmp(next, pg->next_url) != 0;
        if (*more)
            snprintf(pg->next_url, sizeof pg->next_url, "%s", next);
    } else if (strcmp(pg->type, "header") == 0) {
        const char *h;
        const json_t *field;
        json_object_clear(pg->carry);
        *more = true;
        json_object_foreach((json_t *)json_object_get(pg->p, "headers"), h, field) {
            char v[256];
            if (!httpc_response_header(resp, h, v, sizeof v) || !v[0]) {
                *more = false;
                break;
            }
            json_object_set_new(pg->carry, json_string_value(field), json_string(v));
        }
    }
}

/* Every page of the current chunk of the window. */
static int read_chunk(struct run_ctx *c, struct error *err)
{
    const json_t *p = json_object_get(c->api, "paginator");
    struct pager pg = {.p = p, .type = json_string_value(json_object_get(p, "type")),
                       .page = json_integer_value(json_object_get(p, "start")),
                       .carry = json_object()};
    const char *method = json_string_value(json_object_get(json_object_get(c->api, "request"),
                                                           "method"));
    int rc = -1;
    if (!pg.carry)
        return error_set(err, ERR_INTERNAL, "out of memory");
    for (int n = 0;; n++) {
        if (n == MAX_PAGES) {
            error_set(err, ERR_LIMIT_REACHED, "%s: more than %d pages in one window",
                      c->m->name, MAX_PAGES);
            break;
        }
        struct buf url;
        char *body = NULL;
        struct httpc_response resp;
        json_t *doc = NULL;
        size_t raw = 0;
        bool more = false;
        buf_init(&url, 16384);
        memset(&resp, 0, sizeof resp);
        int prc = page_request(c, &pg, &url, &body, err);
        if (prc == 0)
            prc = call(c, method, url.data, body, &resp, err);
        if (prc == 0 && !(doc = parse_page(c, &resp, url.data, err)))
            prc = -1;
        if (prc == 0)
            prc = take_records(c, doc, &raw, err);
        if (prc == 0)
            page_advance(c, &pg, doc, &resp, raw, &more);
        json_decref(doc);
        httpc_response_free(&resp);
        free(body);
        buf_free(&url);
        if (prc < 0)
            break;
        if (!more) {
            rc = 0;
            break;
        }
    }
    json_decref(pg.carry);
    return rc;
}

/* ---- the run --------------------------------------------------------------------------------- */

static int cmp_entry(const void *a, const void *b)
{
    return strcmp(((const struct time_entry_in *)a)->external_id,
                  ((const struct time_entry_in *)b)->external_id);
}

/* A record seen twice in one run (a page that shifted while it was read) is kept once. */
static void dedupe(struct run_ctx *c)
{
    if (c->n < 2)
        return;
    qsort(c->entries, c->n, sizeof *c->entries, cmp_entry);
    size_t w = 0;
    for (size_t i = 0; i < c->n; i++) {
        if (w && strcmp(c->entries[w - 1].external_id, c->entries[i].external_id) == 0) {
            entry_free(&c->entries[i]);
            continue;
        }
        c->entries[w++] = c->entries[i];
    }
    c->n = w;
}

int64_t sync_interval_ms(const json_t *config)
{
    const json_t *v = json_object_get(config, "syncIntervalMinutes");
    int64_t min = json_is_integer(v) ? json_integer_value(v) : SYNC_DEFAULT_INTERVAL_MIN;
    if (min < 1)
        min = SYNC_DEFAULT_INTERVAL_MIN;
    return min * 60000;
}

static int window_from_state(struct run_ctx *c, int64_t now_ms, struct error *err)
{
    const json_t *w = json_object_get(c->api, "window");
    struct sync_state st;
    if (store_sync_state_get(c->env->store, c->in.tenant_id, c->in.id, &st, err) < 0)
        return -1;
    int64_t cursor_ms = 0;
    if (st.cursor[0] && clock_parse_rfc3339(st.cursor, &cursor_ms) == 0)
        c->from_ms = cursor_ms - json_integer_value(json_object_get(w, "lookbackDays")) * DAY_MS;
    else
        c->from_ms = now_ms - json_integer_value(json_object_get(w, "initialDays")) * DAY_MS;
    c->from_ms -= ((c->from_ms % DAY_MS) + DAY_MS) % DAY_MS; /* from the day's start, UTC */
    c->to_ms = now_ms;
    return 0;
}

static int read_window(struct run_ctx *c, struct error *err)
{
    const json_t *max = json_object_get(json_object_get(c->api, "window"), "maxDays");
    int64_t span = json_is_integer(max) ? json_integer_value(max) * DAY_MS : 0;
    for (c->chunk_from_ms = c->from_ms; c->chunk_from_ms <= c->to_ms;) {
        c->chunk_to_ms = span && c->chunk_from_ms + span - 1 < c->to_ms
                             ? c->chunk_from_ms + span - 1
                             : c->to_ms;
        if (read_chunk(c, err) < 0)
            return -1;
        if (c->chunk_to_ms >= c->to_ms)
            break;
        c->chunk_from_ms = c->chunk_to_ms + 1;
    }
    return 0;
}

static int load_install(struct run_ctx *c, struct error *err)
{
    if (store_install_get(c->env->store, c->run->tenant_id, c->run->install_id, &c->in, err) < 0)
        return -1;
    json_error_t jerr;
    c->config = json_loads(c->in.config ? c->in.config : "{}", 0, &jerr);
    c->secrets = json_loads(c->in.secrets ? c->in.secrets : "{}", 0, &jerr);
    c->lookups = json_object();
    if (!c->config || !c->secrets || !c->lookups)
        return error_set(err, ERR_STORE, "the install's settings cannot be read");
    snprintf(c->aad, sizeof c->aad, "%s/%s", c->in.tenant_id, c->in.id);
    const char *bsetting = json_string_value(json_object_get(c->api, "baseUrlSetting"));
    const char *override = bsetting ? json_string_value(json_object_get(c->config, bsetting)) : NULL;
    struct buf base;
    buf_init(&base, sizeof c->base - 1);
    int rc = override && *override
                 ? (buf_append_str(&base, override) == 0 ? 0
                                                          : error_set(err, ERR_CONFIG, "base URL too long"))
                 : expand(c, json_string_value(json_object_get(c->api, "baseUrl")), &base, false, err);
    if (rc == 0)
        snprintf(c->base, sizeof c->base, "%.*s", (int)base.len, base.data ? base.data : "");
    buf_free(&base);
    return rc;
}

/* A built-in source's run (sync.c's table): its cursor from the install's state, and its
 * end recorded as a manifest run's is (no time entries: what it imports goes elsewhere). */
static int source_execute(const struct sync_env *env, const struct sync_source *src,
                          struct sync_run *run)
{
    struct sync_state st;
    struct install in = {0};
    struct error err = {0};
    char next[STORE_SYNC_CURSOR_MAX] = "";
    int64_t imported = 0, interval = SYNC_DEFAULT_INTERVAL_MIN * 60000LL;
    int rc = -1;
    if (store_install_get(env->store, run->tenant_id, run->install_id, &in, &err) == 0) {
        json_t *config = json_loads(in.config ? in.config : "{}", 0, NULL);
        interval = sync_interval_ms(config);
        json_decref(config);
    }
    if (err.code == 0 && store_sync_state_get(env->store, run->tenant_id, run->install_id,
                                              &st, &err) == 0 &&
        src->run(env, run, st.cursor, next, sizeof next, &imported, &err) == 0) {
        char now[CLOCK_RFC3339_LEN];
        clock_format_rfc3339(clock_now_ms(), now);
        struct sync_result r = {.window_from = now, .window_to = now, .cursor = next,
                                .next_run_ms = clock_now_ms() + interval};
        rc = store_sync_run_commit(env->store, run, &r, clock_now_ms(), &err);
    }
    if (rc < 0) {
        struct error e2 = {0};
        bool auth = err.code == ERR_NOT_INSTALLED || err.code == ERR_SERVICE_REFUSED;
        log_warn("sync %s (%s, tenant %s) failed: %s", run->id, run->slug, run->tenant_id,
                 err.message);
        if (store_sync_run_fail(env->store, run, err.message, auth, clock_now_ms(),
                                clock_now_ms() + interval, &e2) < 0)
            log_error("sync %s: cannot record the failure: %s", run->id, e2.message);
    }
    store_install_clear(&in);
    return rc;
}

/* A payment connector's run: its pull (payouts/pull.c) books what it reads itself, item
 * by item; the run's commit records the counts and moves the cursor. */
static int payouts_run(const struct sync_env *env, struct sync_run *run)
{
    struct payouts_env penv = {.store = env->store, .master_key = env->master_key,
                               .allow_private = env->allow_private};
    struct payouts_pull_result res = {0};
    struct sync_state st;
    struct install in = {0};
    struct error err = {0}, e2 = {0};
    json_t *config = NULL;
    int64_t interval = SYNC_DEFAULT_INTERVAL_MIN * 60000LL;
    if (store_install_get(env->store, run->tenant_id, run->install_id, &in, &err) == 0) {
        config = json_loads(in.config ? in.config : "{}", 0, NULL);
        interval = sync_interval_ms(config);
    }
    json_decref(config);
    store_install_clear(&in);
    int rc = store_sync_state_get(env->store, run->tenant_id, run->install_id, &st, &err);
    if (rc == 0)
        rc = payouts_pull(&penv, run, st.cursor, &res, &err);
    if (rc == 0) {
        char from[CLOCK_RFC3339_LEN], to[CLOCK_RFC3339_LEN];
        clock_format_rfc3339(clock_now_ms(), from);
        memcpy(to, from, sizeof to);
        struct sync_result r = {.skipped = res.skipped, .imported = res.booked,
                                .window_from = from, .window_to = to, .cursor = res.cursor,
                                .next_run_ms = clock_now_ms() + interval};
        if (store_sync_run_commit(env->store, run, &r, clock_now_ms(), &err) == 0) {
            log_info("sync %s (%s, tenant %s): %lld booked, %lld seen before, %lld skipped",
                     run->id, run->slug, run->tenant_id, (long long)res.booked,
                     (long long)res.seen, (long long)res.skipped);
            return 0;
        }
    }
    if (rc == 0 || !res.deferred) {
        log_warn("sync %s (%s, tenant %s) failed: %s", run->id, run->slug, run->tenant_id,
                 err.message);
        if (store_sync_run_fail(env->store, run, err.message, rc < 0 && res.auth_failed,
                                clock_now_ms(), clock_now_ms() + interval, &e2) < 0)
            log_error("sync %s: cannot record the failure: %s", run->id, e2.message);
    } else if (store_sync_run_defer(env->store, run, err.message, res.defer_until_ms, &e2) < 0) {
        log_error("sync %s: cannot defer: %s", run->id, e2.message);
    }
    return -1;
}

/* What a bank pull brought is matched before its run ends (payouts/match.c); what does not
 * match waits for review. */
static void match_pulled(struct store *s, const char *tenant_id)
{
    struct payouts_match_totals totals;
    struct error err = {0};
    if (payouts_match_tenant(s, tenant_id, &totals, &err) < 0)
        log_warn("matching after a bank pull of tenant %s: %s", tenant_id, err.message);
}

int sync_run_execute(const struct sync_env *env, struct sync_run *run)
{
    if (bank_connector(run->slug)) /* bank data: its drivers pull, bank/ plans and stores */
        return bank_run_execute(&(struct bank_env){.store = env->store,
                                                   .master_key = env->master_key,
                                                   .allow_private = env->allow_private,
                                                   .pulled = match_pulled},
                                run);
    const struct sync_source *src = sync_source_find(run->slug);
    if (src)
        return source_execute(env, src, run);
    if (!sync_manifest_find(run->slug) && payouts_pulls(run->slug))
        return payouts_run(env, run);
    struct run_ctx c = {.env = env, .run = run, .m = sync_manifest_find(run->slug)};
    struct error err = {0};
    int64_t now_ms = clock_now_ms();
    int rc = -1;
    c.api = c.m ? c.m->api : NULL;
    if (!c.m || !c.m->available) {
        error_set(&err, ERR_CONFIG, "%s", c.m && c.m->reason ? c.m->reason
                                                             : "the connector has no API manifest");
        goto failed;
    }
    if (load_install(&c, &err) < 0 || window_from_state(&c, now_ms, &err) < 0 ||
        resolve_lookups(&c, &err) < 0 || read_window(&c, &err) < 0)
        goto failed;
    dedupe(&c);
    char from[CLOCK_RFC3339_LEN], to[CLOCK_RFC3339_LEN];
    clock_format_rfc3339(c.from_ms, from);
    clock_format_rfc3339(c.to_ms, to);
    struct sync_result r = {.entries = c.entries, .n_entries = c.n, .skipped = c.skipped,
                            .window_from = from, .window_to = to, .cursor = to,
                            .next_run_ms = clock_now_ms() + sync_interval_ms(c.config)};
    if (store_sync_run_commit(env->store, run, &r, clock_now_ms(), &err) < 0) {
        c.outcome = OUT_FAILED;
        goto failed;
    }
    log_info("sync %s (%s, tenant %s): %lld new, %lld updated, %lld deleted, %lld skipped",
             run->id, run->slug, run->tenant_id, (long long)run->new_count,
             (long long)run->updated_count, (long long)run->deleted_count,
             (long long)run->skipped_count);
    rc = 0;
    goto out;
failed:
    if (c.outcome == OUT_DEFER) {
        struct error e2 = {0};
        if (store_sync_run_defer(env->store, run, err.message, c.defer_until_ms, &e2) < 0)
            log_error("sync %s: cannot defer: %s", run->id, e2.message);
        else
            log_info("sync %s (%s) deferred: %s", run->id, run->slug, err.message);
    } else {
        struct error e2 = {0};
        log_warn("sync %s (%s, tenant %s) failed: %s", run->id, run->slug, run->tenant_id,
                 err.message);
        if (store_sync_run_fail(env->store, run, err.message, c.outcome == OUT_AUTH,
                                clock_now_ms(),
                                clock_now_ms() + sync_interval_ms(c.config), &e2) < 0)
            log_error("sync %s: cannot record the failure: %s", run->id, e2.message);
    }
out:
    for (size_t i = 0; i < c.n; i++)
        entry_free(&c.entries[i]);
    free(c.entries);
    json_decref(c.config);
    json_decref(c.secrets);
    json_decref(c.lookups);
    store_install_clear(&c.in);
    return rc;
}
