/* tests/fuzz/fuzz_declarative.c - a connector without code, both halves from outside: the
 * manifest (its webhook block and samples, as a developer submits it) and the request (as
 * anyone on the internet sends it), through src/inbound/declarative.c: declarative_check,
 * declarative_webhook_valid, declarative_verify, declarative_parse and the payment checks
 * every provider's payments pass (provider_payments_check).
 *
 * Input: the manifest's JSON text, a line "%%", then the request in the provider fixtures'
 * shape without prefixes: "now_ms: N", "secret: TEXT" (the signature's secret setting) and
 * header lines "Name: value", an empty line, the raw body.
 *
 * Promises: the checks are an array of {check, ok, message} in valid UTF-8; a block that is
 * not valid is never evaluated (verify says VERIFY_ERROR, parse fails); a refusal always
 * says why; whatever maps passes through the payment checks to payments of a known kind,
 * at most 64, with a currency of three letters, a date YYYY-MM-DD, an amount within the
 * bound and valid UTF-8 text. Seeds: the test manifests of tests/fixtures/declarative/ with
 * their samples, and the bounds' edges. */
#include "fuzz.h"
#include "core/buf.h"
#include "inbound/declarative.h"
#include "inbound/provider.h"

#include <strings.h>

#define MAX_HEADERS 8

struct request {
    const char *names[MAX_HEADERS];
    const char *values[MAX_HEADERS];
    size_t n;
    const char *secret;
};

static const char *header(const struct webhook_request *req, const char *name)
{
    const struct request *r = req->ctx;
    for (size_t i = 0; i < r->n; i++)
        if (!strcasecmp(r->names[i], name))
            return r->values[i];
    return NULL;
}

static const char *query(const struct webhook_request *req, const char *name)
{
    (void)req;
    (void)name;
    return NULL;
}

static int secret(const struct provider_install *inst, const char *key, struct buf *out,
                  struct error *err)
{
    const struct request *r = inst->secret_ctx;
    (void)key;
    if (!r->secret)
        return error_set(err, ERR_NOT_FOUND, "not set");
    return buf_append_str(out, r->secret) < 0 ? error_set(err, ERR_INTERNAL, "out of memory")
                                               : 0;
}

static void check_results(const json_t *results)
{
    size_t i;
    const json_t *r;
    must(json_is_array(results) && json_array_size(results) > 0);
    json_array_foreach(results, i, r) {
        const char *check = json_string_value(json_object_get(r, "check"));
        const char *message = json_string_value(json_object_get(r, "message"));
        must(check && message && valid_utf8(message) && valid_utf8(check));
        must(json_is_boolean(json_object_get(r, "ok")));
    }
}

static void check_payments(const struct payment_list *list)
{
    must(list->n > 0 && list->n <= 64);
    for (size_t i = 0; i < list->n; i++) {
        const struct payment *p = &list->items[i];
        must(p->kind <= PAYMENT_IGNORED);
        must(valid_utf8(p->event) && valid_utf8(p->external_id) &&
             valid_utf8(p->customer_name) && valid_utf8(p->merchant_name) &&
             valid_utf8(p->invoice_number) && valid_utf8(p->detail));
        if (p->kind == PAYMENT_IGNORED)
            continue;
        must(strlen(p->amount.currency) == 3);
        must(p->amount.minor >= 0 && p->amount.minor <= MONEY_MAX_MINOR);
        must(strlen(p->date) == 10 && p->date[4] == '-' && p->date[7] == '-');
        must(p->external_id[0] != '\0');
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FUZZ_INPUT_MAX)
        return 0;
    char *text = fuzz_text_copy(data, size);
    if (!text)
        return 0;
    char *split = strstr(text, "\n%%\n");
    size_t manifest_len = split ? (size_t)(split - text) : strlen(text);

    json_t *results = declarative_check(text, manifest_len);
    check_results(results);
    json_decref(results);
    if (!split)
        goto out;

    /* the request */
    struct request r = {0};
    int64_t now_ms = 0;
    char *rest = split + 4;
    char *body = strstr(rest, "\n\n");
    if (!body)
        goto out;
    *body = '\0';
    body += 2;
    for (char *line = rest; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        char *colon = strstr(line, ": ");
        if (colon) {
            *colon = '\0';
            if (!strcmp(line, "now_ms"))
                now_ms = strtoll(colon + 2, NULL, 10);
            else if (!strcmp(line, "secret"))
                r.secret = colon + 2;
            else if (r.n < MAX_HEADERS) {
                r.names[r.n] = line;
                r.values[r.n++] = colon + 2;
            }
        }
        line = nl ? nl + 1 : NULL;
    }
    split[0] = '\0';
    json_t *manifest = json_loads(text, 0, NULL);
    const json_t *webhook = json_object_get(manifest, "webhook");
    struct webhook_request req = {.body = body,
                                  .body_len = size - (size_t)(body - text),
                                  .header = header,
                                  .query = query,
                                  .ctx = &r,
                                  .now_ms = now_ms};
    struct provider_install inst = {.tenant_id = "t", .install_id = "i", .secret = secret,
                                    .secret_ctx = &r};
    struct error err = {0};
    bool valid = declarative_webhook_valid(webhook, &err) == 0;
    must(valid || (err.code == ERR_VALIDATION && err.message[0]));

    err = (struct error){0};
    enum verify_result v = declarative_verify(webhook, &req, &inst, &err);
    must(v == VERIFY_OK || v == VERIFY_INVALID || v == VERIFY_ERROR);
    must(v == VERIFY_OK || err.message[0]);
    must(valid || v == VERIFY_ERROR);

    /* A signature cannot be forged by mutation: parse runs whatever verify said. */
    struct payment_list list = {0};
    err = (struct error){0};
    int rc = declarative_parse(webhook, &req, &list, &err);
    must(valid || rc < 0);
    if (rc == 0)
        rc = provider_payments_check(&list, &err);
    if (rc == 0)
        check_payments(&list);
    else
        must(err.message[0] != '\0');
    payment_list_free(&list);
    json_decref(manifest);
out:
    free(text);
    return 0;
}
