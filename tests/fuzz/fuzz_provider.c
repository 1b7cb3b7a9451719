/* tests/fuzz/fuzz_provider.c - one payment provider's verify-and-parse, as the pipeline runs
 * them on a webhook: provider_verify(), then provider_parse() on the same request with what
 * verify fetched, then provider_acknowledge() when both accepted it.
 *
 * Built once per provider (FUZZ_PROVIDER is its slug; the Makefile makes one harness for
 * every line of src/inbound/providers.def), so each provider keeps its own corpus of its
 * own payload shapes, gets its own share of the fuzzing time, and a crash names it.
 *
 * The input is a request in the format of the provider fixtures
 * (tests/fixtures/providers/README.md, tests/unit/inbound/test_providers.c): lines
 * `now_ms:`, `header.<Name>:`, `query.<name>:`, `secret.<key>:`, `config.<key>:`,
 * `trusted_cert_prefix:` and `mock.<METHOD> <target>: <status> <body>`, an empty line, then
 * the raw body. So every fixture is a seed as it is, and the fuzzer mutates headers, secrets
 * and the provider API's answers as well as the body. A mock body may write a line break
 * as "\n" (PayPal's certificate PEM); status 0 is "no answer".
 *
 * No request leaves the process: the harness is linked with --wrap=httpc_perform, and the
 * fetch-backs (Mollie, Klarna, SumUp, GoCardless, Revolut, PayPal's certificate) are
 * answered from the input's mock lines, 404 for anything else. Everything else is the real
 * code.
 *
 * A signature cannot be forged by mutation, so parse runs whether verify accepted or not
 * (with verify's state, NULL when it refused): the body's parser is fuzzed behind the
 * signature too. The promises: an error message is valid UTF-8; a payment that parse
 * returns has valid UTF-8 text, an amount within 0..MONEY_MAX_MINOR and a real date. */
#include <stdio.h>
#include <strings.h>

#include "fuzz.h"
#include "core/money.h"
#include "httpc/httpc.h"
#include "inbound/provider.h"
#include "inbound/sig.h"

#define STR2(x) #x
#define STR(x) STR2(x)

#define MOCK_BASE "http://mock.test"
#define MAX_LINES 32

struct line {
    const char *key;
    const char *value;
};

struct fuzz_request {
    struct line lines[MAX_LINES];
    size_t n;
    char *mock_bodies[MAX_LINES]; /* owned: "\n" decoded, "{mock}" replaced */
};

/* The input being run; the wrapped httpc_perform answers from its mock lines. */
static const struct fuzz_request *current;

static const char *find(const struct fuzz_request *r, const char *prefix, const char *name,
                        bool nocase)
{
    size_t pl = strlen(prefix);
    for (size_t i = 0; i < r->n; i++) {
        const char *k = r->lines[i].key;
        if (strncmp(k, prefix, pl) == 0 &&
            (nocase ? strcasecmp(k + pl, name) : strcmp(k + pl, name)) == 0)
            return r->lines[i].value;
    }
    return NULL;
}

static const char *req_header(const struct webhook_request *req, const char *name)
{
    return find(req->ctx, "header.", name, true);
}

static const char *req_query(const struct webhook_request *req, const char *name)
{
    return find(req->ctx, "query.", name, false);
}

static int install_secret(const struct provider_install *inst, const char *key, struct buf *out,
                          struct error *err)
{
    const char *v = find(inst->secret_ctx, "secret.", key, false);
    if (!v)
        return error_set(err, ERR_NOT_FOUND, "secret %s is not set", key);
    return buf_append_str(out, v) < 0 ? error_set(err, ERR_INTERNAL, "out of memory") : 0;
}

/* A copy of value with "{mock}" as the mock API's base and (mock bodies) "\n" as a line
 * break; NULL when out of memory. */
static char *expand(const char *value, bool unescape)
{
    size_t len = strlen(value), cap = len * 4 + 1;
    char *out = malloc(cap), *o = out;
    if (!out)
        return NULL;
    for (const char *p = value; *p;) {
        if (strncmp(p, "{mock}", 6) == 0) {
            memcpy(o, MOCK_BASE, strlen(MOCK_BASE));
            o += strlen(MOCK_BASE);
            p += 6;
        } else if (unescape && p[0] == '\\' && p[1] == 'n') {
            *o++ = '\n';
            p += 2;
        } else {
            *o++ = *p++;
        }
    }
    *o = '\0';
    return out;
}

/* Splits "key: value" lines up to the first empty line; the body is what follows. Without
 * an empty line the whole input is the body. Values point into text (changed in place). */
static char *parse_input(char *text, struct fuzz_request *r)
{
    char *sep = strstr(text, "\n\n");
    if (strncmp(text, "\n", 1) == 0)
        return text + 1;
    if (!sep)
        return text;
    *sep = '\0';
    char *body = sep + 2;
    for (char *line = text; line && r->n < MAX_LINES;) {
        char *next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        char *colon = strstr(line, ": ");
        if (line[0] != '#' && colon) {
            *colon = '\0';
            r->lines[r->n].key = line;
            r->lines[r->n].value = colon + 2;
            r->n++;
        } else if (line[0] != '#' && line[0] && line[strlen(line) - 1] == ':') {
            line[strlen(line) - 1] = '\0';
            r->lines[r->n].key = line;
            r->lines[r->n].value = "";
            r->n++;
        }
        line = next;
    }
    for (size_t i = 0; i < r->n; i++) {
        r->mock_bodies[i] = expand(r->lines[i].value, strncmp(r->lines[i].key, "mock.", 5) == 0);
        if (r->mock_bodies[i])
            r->lines[i].value = r->mock_bodies[i];
    }
    return body;
}

/* The provider API, answered from the input: "mock.GET /v2/payments/tr_1: 200 {...}". */
int __wrap_httpc_perform(const struct httpc_request *req, struct httpc_response *resp,
                         struct error *err);
int __wrap_httpc_perform(const struct httpc_request *req, struct httpc_response *resp,
                         struct error *err)
{
    memset(resp, 0, sizeof *resp);
    buf_init(&resp->body, req->max_response ? req->max_response : 1u << 20);
    const char *scheme = strstr(req->url, "://");
    const char *target = scheme ? strchr(scheme + 3, '/') : NULL;
    char key[1024];
    snprintf(key, sizeof key, "mock.%s %s", req->method ? req->method : "GET",
             target ? target : "/");
    for (size_t i = 0; current && i < current->n; i++) {
        if (strcmp(current->lines[i].key, key) != 0)
            continue;
        char *end;
        long status = strtol(current->lines[i].value, &end, 10);
        if (status == 0)
            return error_set(err, ERR_UNAVAILABLE, "request to the service failed: no answer");
        resp->status = status;
        if (*end == ' ')
            end++;
        buf_append_str(&resp->body, end);
        snprintf(resp->content_type, sizeof resp->content_type, "application/json");
        return 0;
    }
    resp->status = 404;
    return 0;
}

static void check_payment(const struct payment *p)
{
    const char *texts[] = {p->event, p->event_id, p->external_id, p->refunded_external_id,
                           p->invoice_number, p->merchant_id, p->merchant_email,
                           p->merchant_name, p->customer_id, p->customer_email,
                           p->customer_name, p->detail};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
        must(valid_utf8(texts[i]));
    for (size_t i = 0; i < PAYMENT_ALIASES; i++)
        must(valid_utf8(p->aliases[i]));
    if (p->kind == PAYMENT_IGNORED)
        return;
    char again[11];
    must(p->amount.minor >= 0 && p->amount.minor <= MONEY_MAX_MINOR);
    must(p->date[0] && sig_date_from_rfc3339(p->date, again) == 0);
    must(!p->has_tax || (p->tax_minor >= 0 && p->tax_minor < p->amount.minor));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct provider *p;
    if (!p)
        p = provider_find(STR(FUZZ_PROVIDER));
    must(p != NULL);
    if (size > FUZZ_INPUT_MAX)
        return 0;
    char *text = fuzz_text_copy(data, size);
    if (!text)
        return 0;
    struct fuzz_request r = {.n = 0};
    char *body = parse_input(text, &r);
    current = &r;

    const char *now = find(&r, "", "now_ms", false);
    json_t *config = json_object();
    for (size_t i = 0; i < r.n; i++)
        if (strncmp(r.lines[i].key, "config.", 7) == 0)
            json_object_set_new(config, r.lines[i].key + 7, json_string(r.lines[i].value));
    struct webhook_request req = {.body = body, .body_len = size - (size_t)(body - text),
                                  .header = req_header, .query = req_query, .ctx = &r,
                                  .now_ms = now ? strtoll(now, NULL, 10) : 0};
    struct provider_install inst = {.tenant_id = "ten_fuzz", .install_id = "ins_fuzz",
                                    .config = config, .secret = install_secret,
                                    .secret_ctx = &r, .api_base_url = MOCK_BASE,
                                    .trusted_cert_prefix =
                                        find(&r, "", "trusted_cert_prefix", false)};
    json_t *state = NULL;
    struct error err = {0};
    enum verify_result verdict = provider_verify(p, &req, &inst, &state, &err);
    if (verdict != VERIFY_OK)
        must(valid_utf8(err.message));

    struct payment_list list = {0};
    struct error perr = {0};
    if (provider_parse(p, &req, state, &list, &perr) == 0) {
        for (size_t k = 0; k < list.n; k++)
            check_payment(&list.items[k]);
        if (verdict == VERIFY_OK) {
            struct error aerr = {0};
            if (provider_acknowledge(p, &req, &inst, state, &aerr) < 0)
                must(valid_utf8(aerr.message));
        }
    } else {
        must(valid_utf8(perr.message));
    }

    payment_list_free(&list);
    json_decref(state);
    json_decref(config);
    current = NULL;
    for (size_t i = 0; i < r.n; i++)
        free(r.mock_bodies[i]);
    free(text);
    return 0;
}
