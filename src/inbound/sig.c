/* inbound/sig.c - primitives shared by the providers (see sig.h). */
#include "inbound/sig.h"

#include <ctype.h>
#include <pthread.h>
#include <math.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/utf8.h"
#include "crypto/crypto.h"
#include "httpc/httpc.h"

int sig_hmac_sha256_text(const void *key, size_t key_len, const struct sig_part *parts,
                         size_t n_parts, enum sig_encoding encoding,
                         char out[SIG_HMAC_TEXT_MAX])
{
    unsigned char digest[CRYPTO_HMAC_MAX_LEN];
    /* The parts are fed one by one: no copy of the body to sign it. */
    struct crypto_hmac *h = crypto_hmac_begin(CRYPTO_HMAC_SHA256, key, key_len);
    for (size_t i = 0; h && i < n_parts; i++)
        if (crypto_hmac_update(h, parts[i].data, parts[i].len) < 0) {
            crypto_hmac_free(h);
            return -1;
        }
    if (!h || crypto_hmac_end(h, digest) != CRYPTO_SHA256_LEN)
        return -1;
    if (encoding == SIG_BASE64)
        crypto_b64(digest, CRYPTO_SHA256_LEN, out); /* standard alphabet, padded, as Adyen sends */
    else
        crypto_hex(digest, CRYPTO_SHA256_LEN, out);
    OPENSSL_cleanse(digest, sizeof digest);
    return 0;
}

bool sig_hmac_sha256_matches(const void *key, size_t key_len, const struct sig_part *parts,
                             size_t n_parts, const char *candidate, size_t candidate_len,
                             enum sig_encoding encoding)
{
    char expected[SIG_HMAC_TEXT_MAX];
    if (sig_hmac_sha256_text(key, key_len, parts, n_parts, encoding, expected) < 0)
        return false;
    size_t len = strlen(expected);
    if (encoding == SIG_HEX_ANY_CASE && candidate_len == len) {
        char lowered[SIG_HMAC_TEXT_MAX];
        for (size_t i = 0; i < candidate_len; i++)
            lowered[i] = (char)tolower((unsigned char)candidate[i]);
        return crypto_ct_equal(expected, len, lowered, candidate_len);
    }
    return crypto_ct_equal(expected, len, candidate, candidate_len);
}

int sig_hmac_with_secret(const struct provider_install *inst, const char *secret_key,
                         enum sig_key_form form, const struct sig_part *parts, size_t n_parts,
                         enum sig_encoding encoding, char out[SIG_HMAC_TEXT_MAX],
                         struct error *err)
{
    unsigned char decoded[SIG_HEX_KEY_MAX];
    const void *key;
    size_t key_len;
    int rc = -1;
    struct buf secret;
    buf_init(&secret, 4096);
    if (inst->secret(inst, secret_key, &secret, err) < 0)
        goto out;
    key = secret.data ? secret.data : "";
    key_len = secret.len;
    if (form == SIG_KEY_HEX) {
        long n = crypto_unhex(secret.data ? secret.data : "", secret.len, decoded, sizeof decoded);
        if (n <= 0) {
            error_set(err, ERR_CONFIG, "the %s secret is not hexadecimal", secret_key);
            goto out;
        }
        key = decoded;
        key_len = (size_t)n;
    }
    if (sig_hmac_sha256_text(key, key_len, parts, n_parts, encoding, out) < 0) {
        error_set(err, ERR_INTERNAL, "cannot compute the HMAC");
        goto out;
    }
    rc = 0;
out:
    OPENSSL_cleanse(decoded, sizeof decoded);
    if (secret.data)
        OPENSSL_cleanse(secret.data, secret.len);
    buf_free(&secret);
    return rc;
}

int sig_random_hex(char *out, size_t n_bytes, bool upper, struct error *err)
{
    unsigned char rnd[32];
    if (n_bytes == 0 || n_bytes > sizeof rnd || crypto_random(rnd, n_bytes) < 0)
        return error_set(err, ERR_INTERNAL, "no randomness for a fresh id");
    crypto_hex(rnd, n_bytes, out);
    for (size_t i = 0; upper && i < 2 * n_bytes; i++)
        out[i] = (char)toupper((unsigned char)out[i]);
    return 0;
}

void sig_params_each(const char *header, char sep,
                     int (*fn)(void *ctx, const char *key, size_t key_len, const char *value,
                               size_t value_len),
                     void *ctx)
{
    const char *p = header;
    while (p && *p) {
        const char *end = strchr(p, sep);
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *eq = memchr(p, '=', len);
        if (eq && fn(ctx, p, (size_t)(eq - p), eq + 1, len - (size_t)(eq - p) - 1) != 0)
            return;
        p = end ? end + 1 : NULL;
    }
}

struct any_hmac {
    const char *scheme;
    size_t scheme_len;
    const void *key;
    size_t key_len;
    const struct sig_part *parts;
    size_t n_parts;
    enum sig_encoding encoding;
    int seen;
    bool matched;
};

static int any_hmac_try(void *ctx, const char *key, size_t key_len, const char *value,
                        size_t value_len)
{
    struct any_hmac *a = ctx;
    if (key_len != a->scheme_len || memcmp(key, a->scheme, key_len) != 0)
        return 0;
    if (++a->seen > 16)
        return 1;
    a->matched = sig_hmac_sha256_matches(a->key, a->key_len, a->parts, a->n_parts, value,
                                         value_len, a->encoding);
    return a->matched;
}

bool sig_params_any_hmac(const char *header, char sep, const char *scheme, const void *key,
                         size_t key_len, const struct sig_part *parts, size_t n_parts,
                         enum sig_encoding encoding)
{
    struct any_hmac a = {.scheme = scheme, .scheme_len = strlen(scheme), .key = key,
                         .key_len = key_len, .parts = parts, .n_parts = n_parts,
                         .encoding = encoding};
    sig_params_each(header, sep, any_hmac_try, &a);
    return a.matched;
}

int64_t sig_parse_uint(const char *text, size_t len)
{
    int64_t v = 0;
    if (!text || len == 0 || len > 18)
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (!isdigit((unsigned char)text[i]))
            return -1;
        v = v * 10 + (text[i] - '0');
    }
    return v;
}

json_t *sig_json_get(const json_t *root, const char *path)
{
    const json_t *cur = root;
    const char *p = path;
    while (cur && *p) {
        const char *dot = strchr(p, '.');
        size_t len = dot ? (size_t)(dot - p) : strlen(p);
        cur = json_is_object(cur) ? json_object_getn(cur, p, len) : NULL;
        p = dot ? dot + 1 : p + len;
    }
    return (json_t *)cur;
}

const char *sig_json_str(const json_t *root, const char *path)
{
    return json_string_value(sig_json_get(root, path));
}

bool sig_json_int(const json_t *root, const char *path, int64_t *out)
{
    json_t *v = sig_json_get(root, path);
    if (!json_is_integer(v))
        return false;
    *out = json_integer_value(v);
    return true;
}

/* The set's paths made ready once, by whichever request reads first. */
static pthread_mutex_t field_set_lock = PTHREAD_MUTEX_INITIALIZER;

static int field_set_prepare(struct sig_field_set *set)
{
    if (atomic_load_explicit(&set->made, memory_order_acquire))
        return set->rc;
    pthread_mutex_lock(&field_set_lock);
    if (!atomic_load_explicit(&set->made, memory_order_relaxed)) {
        set->rc = jscan_paths_init(&set->ready, set->paths, set->n, NULL);
        atomic_store_explicit(&set->made, 1, memory_order_release);
    }
    pthread_mutex_unlock(&field_set_lock);
    return set->rc;
}

/* Whether a field of the tree's readers holds something: a list with items, an object. */
static bool needs_tree(const struct jscan_value *v)
{
    return (v->type == JSCAN_ARRAY && v->members > 0) || v->type == JSCAN_OBJECT;
}

int sig_fields_read(struct sig_fields *f, struct sig_field_set *set, const char *body,
                    size_t len, struct error *err)
{
    *f = (struct sig_fields){.set = set};
    if (field_set_prepare(set) < 0)
        return error_set(err, ERR_INTERNAL, "a provider's field paths do not fit jscan");
    if (jscan_scan(body, len, &set->ready, f->v, err) < 0)
        return -1;
    bool tree = false;
    for (size_t i = set->tree_first; i < set->n && !tree; i++)
        tree = needs_tree(&f->v[i]);
    if (tree) {
        if (!(f->tree = json_loadb(body, len, 0, NULL)))
            return error_set(err, ERR_INTERNAL, "out of memory");
        return 0;
    }
    size_t need = 0, used = 0;
    for (size_t i = 0; i < set->n; i++)
        if (f->v[i].type == JSCAN_STRING)
            need += f->v[i].len + 1;
    if (need && !(f->text = malloc(need)))
        return error_set(err, ERR_INTERNAL, "out of memory");
    for (size_t i = 0; i < set->n; i++) {
        if (f->v[i].type != JSCAN_STRING)
            continue;
        long n = jscan_string(&f->v[i], f->text + used, need - used);
        if (n < 0)
            return error_set(err, ERR_INTERNAL, "a decoded string did not fit");
        f->str[i] = f->text + used;
        used += (size_t)n + 1;
    }
    return 0;
}

void sig_fields_free(struct sig_fields *f)
{
    json_decref(f->tree);
    free(f->text);
    f->tree = NULL;
    f->text = NULL;
}

const char *sig_fields_str(const struct sig_fields *f, size_t i)
{
    return f->tree ? sig_json_str(f->tree, f->set->paths[i]) : f->str[i];
}

bool sig_fields_int(const struct sig_fields *f, size_t i, int64_t *out)
{
    if (f->tree)
        return sig_json_int(f->tree, f->set->paths[i], out);
    if (f->v[i].type != JSCAN_INTEGER)
        return false;
    *out = f->v[i].integer;
    return true;
}

bool sig_fields_has(const struct sig_fields *f, size_t i)
{
    return f->tree ? sig_json_get(f->tree, f->set->paths[i]) != NULL
                   : f->v[i].type != JSCAN_ABSENT;
}

bool sig_fields_true(const struct sig_fields *f, size_t i)
{
    return f->tree ? json_is_true(sig_json_get(f->tree, f->set->paths[i]))
                   : f->v[i].type == JSCAN_TRUE;
}

bool sig_fields_object(const struct sig_fields *f, size_t i)
{
    return f->tree ? json_is_object(sig_json_get(f->tree, f->set->paths[i]))
                   : f->v[i].type == JSCAN_OBJECT;
}

const json_t *sig_fields_tree(const struct sig_fields *f, size_t i)
{
    return f->tree ? sig_json_get(f->tree, f->set->paths[i]) : NULL;
}

void sig_copy(char *dst, size_t cap, const char *src)
{
    utf8_copy(dst, cap, src);
}

void sig_json_copy(const json_t *root, const char *path, char *dst, size_t cap)
{
    sig_copy(dst, cap, sig_json_str(root, path));
}

int sig_amount_minor(const int64_t *minor, const char *currency, struct money *out,
                     struct error *err)
{
    if (!minor)
        return error_set(err, ERR_VALIDATION, "amount must be an integer of minor units");
    return money_from_minor(*minor, currency, out, err);
}

int sig_amount_decimal(const char *text, size_t len, const char *currency, struct money *out,
                       struct error *err)
{
    if (!text)
        return error_set(err, ERR_VALIDATION, "amount must be a decimal string");
    return money_parse_decimal(text, len, currency, out, err);
}

int sig_amount(const json_t *value, enum sig_amount_kind kind, const char *currency,
               struct money *out, struct error *err)
{
    switch (kind) {
    case SIG_AMOUNT_MINOR: {
        int64_t minor = json_is_integer(value) ? json_integer_value(value) : 0;
        return sig_amount_minor(json_is_integer(value) ? &minor : NULL, currency, out, err);
    }
    case SIG_AMOUNT_DECIMAL_STRING:
        return sig_amount_decimal(json_string_value(value), json_string_length(value),
                                  currency, out, err);
    case SIG_AMOUNT_MAJOR_NUMBER: {
        if (json_is_integer(value)) {
            char text[32];
            int n = snprintf(text, sizeof text, "%lld", (long long)json_integer_value(value));
            return money_parse_decimal(text, (size_t)n, currency, out, err);
        }
        if (!json_is_real(value))
            return error_set(err, ERR_VALIDATION, "amount must be a number");
        /* jansson keeps reals as doubles, not as their text. For amounts up to 15
         * significant digits the nearest double prints back as the digits that were
         * sent, so printing with three more decimals than the currency has and requiring
         * those to be zero recovers the exact decimal, and refuses sub-unit amounts. */
        double d = json_real_value(value);
        int decimals = money_currency_decimals(currency);
        if (decimals < 0)
            return error_set(err, ERR_VALIDATION, "unknown currency '%.*s'",
                             UTF8_CUT(8, currency));
        if (!isfinite(d) || fabs(d) >= 1e13)
            return error_set(err, ERR_VALIDATION, "amount is out of range");
        char text[64];
        int n = snprintf(text, sizeof text, "%.*f", decimals + 3, d);
        if (n < 4 || strcmp(text + n - 3, "000") != 0)
            return error_set(err, ERR_VALIDATION, "amount has more than %d decimals", decimals);
        n -= 3;
        if (decimals == 0)
            n--; /* drop the '.' left alone */
        return money_parse_decimal(text, (size_t)n, currency, out, err);
    }
    }
    return error_set(err, ERR_INTERNAL, "bad amount kind");
}

int sig_date_from_unix(int64_t seconds, char out[11])
{
    char full[CLOCK_RFC3339_LEN];
    if (seconds < SIG_UNIX_MIN || seconds > SIG_UNIX_MAX)
        return -1; /* also keeps seconds * 1000 inside 64 bits */
    clock_format_rfc3339(seconds * 1000, full);
    memcpy(out, full, 10);
    out[10] = '\0';
    return 0;
}

static int days_in_month(int year, int month)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month == 2 && leap ? 29 : days[month - 1];
}

int sig_date_from_rfc3339(const char *text, char out[11])
{
    if (!text || strnlen(text, 11) < 10 || text[4] != '-' || text[7] != '-')
        return -1;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && !isdigit((unsigned char)text[i]))
            return -1;
    /* Only a date: "2026-03-22", or one followed by its time ("T14:30:00Z"), not a
     * five-digit year or other trailing digits. */
    if (text[10] != '\0' && text[10] != 'T' && text[10] != 't' && text[10] != ' ')
        return -1;
    int year = atoi(text), month = atoi(text + 5), day = atoi(text + 8);
    if (year < 1970 || month < 1 || month > 12 || day < 1 || day > days_in_month(year, month))
        return -1;
    memcpy(out, text, 10);
    out[10] = '\0';
    return 0;
}

enum verify_result sig_fetch_json(const char *base, const char *path, const char *id,
                                  const char *auth_header, const char *basic_user,
                                  const char *basic_password, json_t **out, struct error *err)
{
    return sig_fetch_json_headers(base, path, id, auth_header ? &auth_header : NULL,
                                  auth_header ? 1 : 0, basic_user, basic_password, out, err);
}

enum verify_result sig_fetch_json_headers(const char *base, const char *path, const char *id,
                                          const char *const *headers, size_t n_headers,
                                          const char *basic_user, const char *basic_password,
                                          json_t **out, struct error *err)
{
    struct buf url;
    struct httpc_response resp = {0};
    enum verify_result result = VERIFY_ERROR;
    struct httpc_header sent[1 + SIG_FETCH_MAX_HEADERS] = {{"Accept", "application/json"}};
    char names[SIG_FETCH_MAX_HEADERS][64], values[SIG_FETCH_MAX_HEADERS][1024];
    size_t n_sent = 1;
    *out = NULL;
    buf_init(&url, 4096);
    memset(values, 0, sizeof values);
    if (n_headers > SIG_FETCH_MAX_HEADERS) {
        error_set(err, ERR_INTERNAL, "too many request headers");
        goto out;
    }
    for (size_t i = 0; i < n_headers; i++) {
        const char *colon = strchr(headers[i], ':');
        size_t name_len = colon ? (size_t)(colon - headers[i]) : 0;
        const char *value = colon ? colon + 1 + (colon[1] == ' ') : NULL;
        if (!colon || name_len == 0 || name_len >= sizeof names[i] ||
            strlen(value) >= sizeof values[i] || strpbrk(value, "\r\n")) {
            error_set(err, ERR_INTERNAL, "malformed request header");
            goto out;
        }
        memcpy(names[i], headers[i], name_len);
        names[i][name_len] = '\0';
        memcpy(values[i], value, strlen(value) + 1);
        sent[n_sent++] = (struct httpc_header){names[i], values[i]};
    }
    if (httpc_url_join(&url, base, path, id) < 0) {
        error_set(err, ERR_VALIDATION, "id too long");
        result = VERIFY_INVALID;
        goto out;
    }
    struct httpc_request req = {.method = "GET", .url = url.data, .headers = sent,
                                .n_headers = n_sent, .basic_user = basic_user,
                                .basic_password = basic_password};
    if (httpc_perform(&req, &resp, err) < 0)
        goto out;
    if (resp.status == 404 || resp.status == 401 || resp.status == 403 || resp.status == 410) {
        error_set(err, ERR_VALIDATION, "the provider does not know this object (HTTP %ld)",
                  resp.status);
        result = VERIFY_INVALID;
        goto out;
    }
    if (resp.status < 200 || resp.status > 299) {
        error_set(err, ERR_UNAVAILABLE, "the provider's API answered HTTP %ld", resp.status);
        goto out;
    }
    *out = json_loadb(resp.body.data ? resp.body.data : "", resp.body.len, 0, NULL);
    if (!json_is_object(*out)) {
        json_decref(*out);
        *out = NULL;
        error_set(err, ERR_UNAVAILABLE, "the provider's API answered something that is not JSON");
        goto out;
    }
    result = VERIFY_OK;
out:
    memset(values, 0, sizeof values);
    httpc_response_free(&resp);
    buf_free(&url);
    return result;
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)(c | 0x20);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Percent-decodes a form field (with '+' as space) into out; -1 when malformed, when it
 * decodes to a NUL, or when it does not fit. */
static int form_decode(const char *in, size_t len, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        int c = (unsigned char)in[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            int hi = i + 2 < len ? hex_digit(in[i + 1]) : -1;
            int lo = hi >= 0 ? hex_digit(in[i + 2]) : -1;
            if (lo < 0)
                return -1;
            c = hi << 4 | lo;
            i += 2;
        }
        if (c == 0 || o + 1 >= cap)
            return -1;
        out[o++] = (char)c;
    }
    out[o] = '\0';
    return 0;
}

int sig_body_param(const struct webhook_request *req, const char *name, char *out, size_t cap)
{
    const char *p = req->body, *end = req->body + req->body_len;
    size_t name_len = strlen(name);
    if (cap == 0)
        return -1;
    out[0] = '\0';
    while (p < end && isspace((unsigned char)*p))
        p++;
    if (p == end)
        return -1;
    if (*p == '{') {
        json_t *root = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, NULL);
        json_t *v = json_object_get(root, name);
        int rc = -1;
        if (json_is_string(v) && json_string_length(v) < cap &&
            strlen(json_string_value(v)) == json_string_length(v)) {
            memcpy(out, json_string_value(v), json_string_length(v) + 1);
            rc = 0;
        }
        json_decref(root);
        return rc;
    }
    for (p = req->body; p < end;) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *field_end = amp ? amp : end;
        const char *eq = memchr(p, '=', (size_t)(field_end - p));
        if (eq && (size_t)(eq - p) == name_len && memcmp(p, name, name_len) == 0) {
            if (form_decode(eq + 1, (size_t)(field_end - eq - 1), out, cap) == 0)
                return 0;
            out[0] = '\0';
            return -1;
        }
        p = amp ? amp + 1 : end;
    }
    return -1;
}

bool sig_id_valid(const char *id, const char *prefix, size_t max_len, const char *extra)
{
    size_t len = id ? strlen(id) : 0, plen = strlen(prefix);
    if (len <= plen || len > max_len || memcmp(id, prefix, plen) != 0)
        return false;
    for (size_t i = plen; i < len; i++) {
        unsigned char c = (unsigned char)id[i];
        if (!(c < 0x80 && (isalnum(c) || (extra && strchr(extra, c)))))
            return false;
    }
    return true;
}

enum verify_result sig_fetch_with_secret(const struct provider_install *inst,
                                         const char *secret_key, const char *basic_user,
                                         const char *path, const char *id, json_t **out,
                                         struct error *err)
{
    struct buf secret, header;
    enum verify_result r = VERIFY_ERROR;
    *out = NULL;
    if (!inst->api_base_url || !*inst->api_base_url) {
        error_set(err, ERR_CONFIG, "no API base URL for the fetch-back");
        return VERIFY_ERROR;
    }
    buf_init(&secret, 4096);
    buf_init(&header, 4200);
    if (inst->secret(inst, secret_key, &secret, err) < 0)
        goto out;
    if (secret.len == 0 || memchr(secret.data, '\0', secret.len) ||
        memchr(secret.data, '\r', secret.len) || memchr(secret.data, '\n', secret.len)) {
        error_set(err, ERR_CONFIG, "the %s secret is empty or malformed", secret_key);
        goto out;
    }
    if (basic_user) {
        r = sig_fetch_json(inst->api_base_url, path, id, NULL, basic_user, secret.data, out,
                           err);
    } else {
        if (buf_printf(&header, "Authorization: Bearer %s", secret.data) < 0) {
            error_set(err, ERR_CONFIG, "the %s secret is too long", secret_key);
            goto out;
        }
        r = sig_fetch_json(inst->api_base_url, path, id, header.data, NULL, NULL, out, err);
    }
out:
    if (secret.data)
        OPENSSL_cleanse(secret.data, secret.len);
    if (header.data)
        OPENSSL_cleanse(header.data, header.len);
    buf_free(&header);
    buf_free(&secret);
    return r;
}
