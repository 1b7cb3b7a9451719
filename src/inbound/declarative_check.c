/* inbound/declarative_check.c - the automated checks of a connector manifest
 * (declarative_check) and its samples as requests (declarative_sample_request): what a
 * submission is checked with before a person reviews it, and what `connectord connector
 * validate` prints. The manifest is the catalog's format (catalog_manifest_parse); the
 * webhook block is then run against its own samples, as the pipeline would run it, and
 * each sample once more with one byte of its body changed, which must be refused. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "catalog/catalog.h"
#include "core/utf8.h"
#include "inbound/declarative.h"
#include "inbound/declarative_int.h"

/* ---- samples ---------------------------------------------------------------------------- */

#define DECLARATIVE_SAMPLES_MAX 16

static const char *const sample_members[] = {"name", "nowMs", "secret", "headers", "body",
                                             "payments", NULL};

/* A sample's shape: 0, or -1 with err saying what is wrong. */
static int sample_valid(const json_t *sample, size_t index, struct error *err)
{
    struct declarative_walk c = {.err = err};
    char what[32];
    const char *key;
    const json_t *v;
    snprintf(what, sizeof what, "samples[%zu]", index);
    if (declarative_members(sample, what, sample_members, NULL, &c) < 0)
        return -1;
    const json_t *headers = json_object_get(sample, "headers");
    if (!json_is_integer(json_object_get(sample, "nowMs")) ||
        json_integer_value(json_object_get(sample, "nowMs")) < 0)
        return error_set(err, ERR_VALIDATION, "%s.nowMs must be the Unix time in milliseconds "
                         "the sample was received at", what);
    if (!json_is_string(json_object_get(sample, "secret")) ||
        !json_is_string(json_object_get(sample, "body")))
        return error_set(err, ERR_VALIDATION, "%s needs secret and body texts", what);
    if (!json_is_object(headers) || json_object_size(headers) > PROVIDER_SAMPLE_HEADERS)
        return error_set(err, ERR_VALIDATION, "%s.headers must be an object of at most %d "
                         "headers", what, PROVIDER_SAMPLE_HEADERS);
    json_object_foreach((json_t *)headers, key, v)
        if (!json_is_string(v) || !declarative_header_name_ok(key))
            return error_set(err, ERR_VALIDATION, "%s.headers: each is a name and a text", what);
    const json_t *payments = json_object_get(sample, "payments");
    if (!json_is_array(payments) || json_array_size(payments) == 0 ||
        json_array_size(payments) > DECLARATIVE_EVENTS_MAX)
        return error_set(err, ERR_VALIDATION, "%s.payments must list the expected payments",
                         what);
    return 0;
}

int declarative_sample_request(const json_t *manifest, size_t index,
                               struct provider_sample *out, char **secret, int64_t *now_ms,
                               struct error *err)
{
    const json_t *sample = json_array_get(json_object_get(manifest, "samples"), index);
    const char *key;
    const json_t *v;
    memset(out, 0, sizeof *out);
    buf_init(&out->body, DECLARATIVE_BODY_MAX);
    *secret = NULL;
    if (!sample)
        return error_set(err, ERR_VALIDATION, "the manifest has no sample %zu", index);
    if (sample_valid(sample, index, err) < 0)
        return -1;
    const json_t *body = json_object_get(sample, "body");
    if (buf_append(&out->body, json_string_value(body), json_string_length(body)) < 0)
        return error_set(err, ERR_VALIDATION, "samples[%zu].body is larger than 1 MiB", index);
    json_object_foreach((json_t *)json_object_get(sample, "headers"), key, v) {
        if (provider_sample_header(out, key, json_string_value(v)) < 0) {
            provider_sample_free(out);
            return error_set(err, ERR_INTERNAL, "out of memory");
        }
    }
    *secret = strdup(str_of(sample, "secret"));
    if (!*secret) {
        provider_sample_free(out);
        return error_set(err, ERR_INTERNAL, "out of memory");
    }
    *now_ms = json_integer_value(json_object_get(sample, "nowMs"));
    return 0;
}

/* ---- the automated checks ----------------------------------------------------------------- */

static int add_result(json_t *results, const char *check, bool ok, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int add_result(json_t *results, const char *check, bool ok, const char *fmt, ...)
{
    char message[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    utf8_repair(message);
    return json_array_append_new(results, json_pack("{s:s, s:b, s:s}", "check", check, "ok", ok,
                                                    "message", message));
}

/* A request made of a provider_sample, and an install whose one secret is the sample's. */
struct sample_run {
    struct provider_sample s;
    char *secret;
    const char *setting;
    struct webhook_request req;
    struct provider_install inst;
};

static const char *sample_header(const struct webhook_request *req, const char *name)
{
    const struct provider_sample *s = req->ctx;
    for (size_t i = 0; i < s->n_headers; i++)
        if (!strcasecmp(s->header_names[i], name))
            return s->header_values[i];
    return NULL;
}

static const char *sample_query(const struct webhook_request *req, const char *name)
{
    (void)req;
    (void)name;
    return NULL;
}

static int sample_secret(const struct provider_install *inst, const char *key, struct buf *out,
                         struct error *err)
{
    const struct sample_run *run = inst->secret_ctx;
    if (strcmp(key, run->setting) != 0)
        return error_set(err, ERR_NOT_FOUND, "secret %s is not set", key);
    return buf_append_str(out, run->secret) < 0 ? error_set(err, ERR_INTERNAL, "out of memory")
                                                 : 0;
}

static int sample_open(const json_t *manifest, size_t index, struct sample_run *run,
                       struct error *err)
{
    int64_t now_ms = 0;
    memset(run, 0, sizeof *run);
    if (declarative_sample_request(manifest, index, &run->s, &run->secret, &now_ms, err) < 0)
        return -1;
    run->setting = str_of(json_object_get(json_object_get(manifest, "webhook"), "signature"),
                          "secretSetting");
    run->req = (struct webhook_request){.body = run->s.body.data ? run->s.body.data : "",
                                        .body_len = run->s.body.len,
                                        .header = sample_header,
                                        .query = sample_query,
                                        .ctx = &run->s,
                                        .now_ms = now_ms};
    run->inst = (struct provider_install){.tenant_id = "", .install_id = "",
                                          .secret = sample_secret, .secret_ctx = run};
    return 0;
}

static void sample_close(struct sample_run *run)
{
    provider_sample_free(&run->s);
    free(run->secret);
}

/* "" when the payment is exactly the expected one, else what differs (into diff). */
static void payment_diff(const struct payment *p, const json_t *want, char *diff, size_t cap)
{
    static const char *const kind_names[] = {[PAYMENT_SETTLED] = "settled",
                                             [PAYMENT_FAILED] = "failed",
                                             [PAYMENT_REFUNDED] = "refunded",
                                             [PAYMENT_IGNORED] = "ignored"};
    char amount[MONEY_TEXT_MAX] = "";
    diff[0] = '\0';
    if (!str_is(want, "kind", kind_names[p->kind])) {
        snprintf(diff, cap, "kind is %s", kind_names[p->kind]);
        return;
    }
    for (size_t i = 0; i < declarative_n_text_fields; i++) {
        const char *got = (const char *)p + declarative_text_fields[i].offset;
        const char *exp = str_of(want, declarative_text_fields[i].name);
        bool event = !strcmp(declarative_text_fields[i].name, "event");
        if (p->kind == PAYMENT_IGNORED && !event)
            continue; /* an ignored event is compared by its name alone */
        if (strcmp(got, exp ? exp : "") != 0) {
            snprintf(diff, cap, "%s is \"%.*s\"", declarative_text_fields[i].name, UTF8_CUT(80, got));
            return;
        }
    }
    if (p->kind == PAYMENT_IGNORED)
        return;
    if (p->amount.currency[0])
        money_format(&p->amount, amount);
    const char *exp_amount = str_of(want, "amount");
    const char *exp_currency = str_of(want, "currency");
    const char *exp_date = str_of(want, "date");
    if (strcmp(amount, exp_amount ? exp_amount : "") != 0)
        snprintf(diff, cap, "amount is \"%s\"", amount);
    else if (strcmp(p->amount.currency, exp_currency ? exp_currency : "") != 0)
        snprintf(diff, cap, "currency is \"%s\"", p->amount.currency);
    else if (strcmp(p->date, exp_date ? exp_date : "") != 0)
        snprintf(diff, cap, "date is \"%s\"", p->date);
}

/* Runs sample `index`: it must verify and map to exactly its expected payments. */
static void check_sample(json_t *results, const json_t *manifest, size_t index)
{
    const json_t *webhook = json_object_get(manifest, "webhook");
    const json_t *sample = json_array_get(json_object_get(manifest, "samples"), index);
    const json_t *want = json_object_get(sample, "payments");
    struct sample_run run;
    struct payment_list got = {0};
    struct error err = {0};
    char check[48], diff[200];
    snprintf(check, sizeof check, "sample %zu", index + 1);
    if (sample_open(manifest, index, &run, &err) < 0) {
        add_result(results, check, false, "%s", err.message);
        return;
    }
    if (declarative_verify(webhook, &run.req, &run.inst, &err) != VERIFY_OK) {
        add_result(results, check, false, "does not verify: %s", err.message);
    } else if (declarative_parse(webhook, &run.req, &got, &err) < 0) {
        add_result(results, check, false, "verifies but does not map: %s", err.message);
    } else if (got.n != json_array_size(want)) {
        add_result(results, check, false, "maps to %zu payments, expected %zu", got.n,
                   json_array_size(want));
    } else {
        size_t i;
        for (i = 0; i < got.n; i++) {
            payment_diff(&got.items[i], json_array_get(want, i), diff, sizeof diff);
            if (diff[0])
                break;
        }
        if (i < got.n)
            add_result(results, check, false, "payment %zu differs from the expected: %s", i + 1,
                       diff);
        else if (provider_payments_check(&got, &err) < 0)
            add_result(results, check, false, "the payments cannot be booked: %s", err.message);
        else
            add_result(results, check, true, "verifies and maps to the %zu expected payment%s",
                       got.n, got.n == 1 ? "" : "s");
    }
    payment_list_free(&got);
    sample_close(&run);
}

/* The same sample with one byte of its body changed must not verify. */
static void check_tampered(json_t *results, const json_t *manifest, size_t index)
{
    const json_t *webhook = json_object_get(manifest, "webhook");
    struct sample_run run;
    struct error err = {0};
    char check[48];
    snprintf(check, sizeof check, "sample %zu changed", index + 1);
    if (sample_open(manifest, index, &run, &err) < 0) {
        add_result(results, check, false, "%s", err.message);
        return;
    }
    if (run.s.body.len == 0) {
        add_result(results, check, false, "the sample has an empty body");
    } else {
        run.s.body.data[run.s.body.len / 2] ^= 0x01;
        enum verify_result r = declarative_verify(webhook, &run.req, &run.inst, &err);
        if (r == VERIFY_INVALID)
            add_result(results, check, true, "refused with one body byte changed");
        else
            add_result(results, check, false, "%s with one body byte changed",
                       r == VERIFY_OK ? "still verifies" : "fails without refusing");
    }
    sample_close(&run);
}

/* Whether a URL is https to a host on the public internet (not a name or address of this
 * machine, a private network or link-local). */
static bool url_public_https(const char *url)
{
    static const char *const private_prefixes[] = {"localhost", "127.", "10.", "192.168.",
                                                   "169.254.", "0.", "[", NULL};
    if (strncasecmp(url, "https://", 8) != 0)
        return false;
    const char *host = url + 8;
    size_t n = strcspn(host, "/:?#");
    if (n == 0 || memchr(host, '@', n))
        return false;
    for (size_t i = 0; private_prefixes[i]; i++)
        if (!strncasecmp(host, private_prefixes[i], strlen(private_prefixes[i])))
            return false;
    if (!strncmp(host, "172.", 4)) {
        int second = atoi(host + 4);
        if (second >= 16 && second <= 31)
            return false;
    }
    static const char *const private_suffixes[] = {".local", ".localhost", ".internal", NULL};
    for (size_t i = 0; private_suffixes[i]; i++) {
        size_t m = strlen(private_suffixes[i]);
        if (n >= m && !strncasecmp(host + n - m, private_suffixes[i], m))
            return false;
    }
    return memchr(host, '.', n) != NULL;
}

/* Finds the first URL in any text of the manifest (samples aside) that is not public
 * https; depth-bounded like the parser. */
static const char *bad_url(const json_t *v, int depth)
{
    const char *key;
    const json_t *item;
    size_t i;
    if (depth > 64)
        return NULL;
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        const char *scheme = strstr(s, "://");
        if (!scheme)
            return NULL;
        const char *start = scheme;
        while (start > s && isalpha((unsigned char)start[-1]))
            start--;
        return url_public_https(start) ? NULL : s;
    }
    json_object_foreach((json_t *)v, key, item) {
        if (depth == 0 && !strcmp(key, "samples"))
            continue;
        const char *bad = bad_url(item, depth + 1);
        if (bad)
            return bad;
    }
    json_array_foreach(v, i, item) {
        const char *bad = bad_url(item, depth + 1);
        if (bad)
            return bad;
    }
    return NULL;
}

static bool looks_secret(const char *key)
{
    static const char *const words[] = {"secret", "token", "password", "apikey", "privatekey",
                                        NULL};
    char lower[65];
    size_t n = strnlen(key, sizeof lower - 1);
    for (size_t i = 0; i < n; i++)
        lower[i] = (char)tolower((unsigned char)key[i]);
    lower[n] = '\0';
    for (size_t i = 0; words[i]; i++)
        if (strstr(lower, words[i]))
            return true;
    return false;
}

/* Every setting that holds a secret is typed secret: the one the signature is keyed with,
 * and any whose name says it is one. */
static void check_secrets(json_t *results, const json_t *manifest)
{
    const json_t *settings = json_object_get(manifest, "settings");
    const char *signing = str_of(json_object_get(json_object_get(manifest, "webhook"),
                                                 "signature"), "secretSetting");
    bool declared = false;
    size_t i;
    const json_t *s;
    json_array_foreach(settings, i, s) {
        const char *key = str_of(s, "key");
        bool is_secret = str_is(s, "type", "secret");
        if (key && signing && !strcmp(key, signing)) {
            declared = true;
            if (!is_secret) {
                add_result(results, "secrets", false, "setting %.*s keys the signature but is "
                           "not typed secret", UTF8_CUT(64, key));
                return;
            }
        }
        if (key && !is_secret && looks_secret(key)) {
            add_result(results, "secrets", false, "setting %.*s holds a secret but is not typed "
                       "secret", UTF8_CUT(64, key));
            return;
        }
    }
    if (signing && !declared)
        add_result(results, "secrets", false, "the signature's secret setting %.*s is not "
                   "declared in settings", UTF8_CUT(64, signing));
    else
        add_result(results, "secrets", true, "every secret setting is typed secret");
}

/* The largest template and pointer of the webhook block, for the limits check. */
static void block_extent(const json_t *v, const char *key, int depth, size_t *tpl_max,
                         int *steps_max)
{
    const char *k;
    const json_t *item;
    size_t i;
    if (depth > 16)
        return;
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        bool pointer = s[0] == '/';
        if (pointer && declarative_pointer_steps(s) > *steps_max)
            *steps_max = declarative_pointer_steps(s);
        if (!pointer && key && (!strcmp(key, "template") || !strcmp(key, "signedContent") ||
                                !strcmp(key, "body")) && strlen(s) > *tpl_max)
            *tpl_max = strlen(s);
        return;
    }
    json_object_foreach((json_t *)v, k, item) {
        if (k[0] == '/' && declarative_pointer_steps(k) > *steps_max)
            *steps_max = declarative_pointer_steps(k); /* a condition's pointer */
        block_extent(item, k, depth + 1, tpl_max, steps_max);
    }
    json_array_foreach(v, i, item)
        block_extent(item, key, depth + 1, tpl_max, steps_max);
}

static void check_limits(json_t *results, const json_t *manifest, size_t len)
{
    const json_t *webhook = json_object_get(manifest, "webhook");
    size_t settings = json_array_size(json_object_get(manifest, "settings"));
    size_t types = json_object_size(json_object_get(json_object_get(webhook, "events"), "types"));
    size_t tpl_max = 0;
    int steps_max = 0;
    block_extent(webhook, NULL, 0, &tpl_max, &steps_max);
    if (len > DECLARATIVE_MANIFEST_MAX)
        add_result(results, "limits", false, "the manifest is %zu bytes, more than %d KiB", len,
                   DECLARATIVE_MANIFEST_MAX / 1024);
    else if (settings > DECLARATIVE_SETTINGS_MAX)
        add_result(results, "limits", false, "%zu settings, more than %d", settings,
                   DECLARATIVE_SETTINGS_MAX);
    else if (types > DECLARATIVE_EVENT_TYPES_MAX)
        add_result(results, "limits", false, "%zu event types, more than %d", types,
                   DECLARATIVE_EVENT_TYPES_MAX);
    else if (tpl_max > DECLARATIVE_TEMPLATE_MAX)
        add_result(results, "limits", false, "a template of %zu bytes, more than %d", tpl_max,
                   DECLARATIVE_TEMPLATE_MAX);
    else if (steps_max > DECLARATIVE_POINTER_STEPS_MAX)
        add_result(results, "limits", false, "a JSON pointer of %d steps, more than %d",
                   steps_max, DECLARATIVE_POINTER_STEPS_MAX);
    else
        add_result(results, "limits", true, "within the size limits");
}

/* The whole manifest against the format (catalog_manifest_parse, the one validation of
 * built-in and outside manifests), then what the schema cannot say of the webhook block
 * and the samples (declarative_webhook_valid, sample_valid). */
static void check_schema(json_t *results, const json_t *manifest)
{
    struct error err = {0};
    struct connector_manifest *parsed = NULL;
    json_t *problems = NULL;
    const json_t *samples = json_object_get(manifest, "samples");
    size_t i;
    const json_t *s;
    if (catalog_manifest_parse(manifest, &parsed, &problems, &err) < 0) {
        const json_t *first = json_array_get(problems, 0);
        if (first)
            add_result(results, "schema", false, "%zu problem%s; at %.*s: %.*s",
                       json_array_size(problems), json_array_size(problems) == 1 ? "" : "s",
                       UTF8_CUT(120, str_of(first, "pointer")),
                       UTF8_CUT(240, str_of(first, "message")));
        else
            add_result(results, "schema", false, "%s", err.message);
        json_decref(problems);
        return;
    }
    catalog_manifest_free(parsed);
    if (!json_is_object(json_object_get(manifest, "webhook"))) {
        add_result(results, "schema", false, "the manifest has no webhook block");
        return;
    }
    if (declarative_webhook_valid(json_object_get(manifest, "webhook"), &err) < 0) {
        add_result(results, "schema", false, "%s", err.message);
        return;
    }
    if (!json_is_array(samples) || json_array_size(samples) == 0 ||
        json_array_size(samples) > DECLARATIVE_SAMPLES_MAX) {
        add_result(results, "schema", false, "samples must list 1 to %d samples",
                   DECLARATIVE_SAMPLES_MAX);
        return;
    }
    json_array_foreach(samples, i, s) {
        if (sample_valid(s, i, &err) < 0) {
            add_result(results, "schema", false, "%s", err.message);
            return;
        }
    }
    add_result(results, "schema", true, "the manifest fits the format; the webhook block and "
               "samples are well-formed");
}

json_t *declarative_check(const char *manifest, size_t len)
{
    json_t *results = json_array();
    json_t *doc = NULL;
    json_error_t jerr;
    if (!results)
        return NULL;
    if (len > DECLARATIVE_MANIFEST_MAX) {
        check_limits(results, NULL, len);
        return results; /* not parsed: its size is the bound on the work checks do */
    }
    doc = json_loadb(manifest, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!doc) {
        add_result(results, "schema", false, "not JSON: %s (line %d)", jerr.text, jerr.line);
        return results;
    }
    if (!json_is_object(doc)) {
        add_result(results, "schema", false, "not a JSON object");
        json_decref(doc);
        return results;
    }
    check_schema(results, doc);
    check_limits(results, doc, len);
    check_secrets(results, doc);
    const char *bad = bad_url(doc, 0);
    if (bad)
        add_result(results, "urls", false, "%.*s is not a public https URL", UTF8_CUT(120, bad));
    else
        add_result(results, "urls", true, "every URL is public and https");
    if (declarative_checks_passed(results)) {
        size_t n = json_array_size(json_object_get(doc, "samples"));
        for (size_t i = 0; i < n; i++) {
            check_sample(results, doc, i);
            check_tampered(results, doc, i);
        }
    }
    json_decref(doc);
    return results;
}

bool declarative_checks_passed(const json_t *results)
{
    size_t i;
    const json_t *r;
    if (!json_is_array(results) || json_array_size(results) == 0)
        return false;
    json_array_foreach(results, i, r)
        if (!json_is_true(json_object_get(r, "ok")))
            return false;
    return true;
}
