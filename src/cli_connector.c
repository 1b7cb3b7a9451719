/* cli_connector.c - `connectord connector validate|test FILE`: what a connector developer
 * runs locally before submitting a manifest.
 *
 * validate prints the automated checks a submission gets (inbound/declarative.h,
 * declarative_check) one JSON object per line and exits 1 when one fails. test runs each of
 * the manifest's samples the way a webhook runs: verified with the sample's secret, then
 * parsed and booked by the pipeline (supplier, invoice, ledger, events) for a scratch tenant
 * of a scratch in-memory store, inside a transaction that is rolled back; it prints what
 * each would have booked, one JSON object per sample. Neither touches a configured store. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth/auth.h"
#include "cli_connector.h"
#include "core/money.h"
#include "inbound/declarative.h"
#include "pipeline/pipeline.h"
#include "store/installs.h"
#include "store/store.h"

/* The manifest file's text (at most DECLARATIVE_MANIFEST_MAX + 1 bytes, so a larger one
 * is still seen to be larger), or NULL with the reason printed. */
static char *read_manifest(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *data = malloc(DECLARATIVE_MANIFEST_MAX + 2);
    if (!f || !data) {
        fprintf(stderr, "connectord: cannot read %s\n", path);
        if (f)
            fclose(f);
        free(data);
        return NULL;
    }
    *len = fread(data, 1, DECLARATIVE_MANIFEST_MAX + 1, f);
    bool bad = ferror(f);
    fclose(f);
    if (bad) {
        fprintf(stderr, "connectord: cannot read %s\n", path);
        free(data);
        return NULL;
    }
    data[*len] = '\0';
    return data;
}

static void print_line(const json_t *value)
{
    char *text = json_dumps(value, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (text)
        printf("%s\n", text);
    free(text);
}

int cli_connector_validate(const char *path)
{
    size_t len = 0;
    char *text = path ? read_manifest(path, &len) : NULL;
    if (!path)
        fprintf(stderr, "connectord: connector validate needs the manifest FILE\n");
    if (!text)
        return 2;
    json_t *results = declarative_check(text, len);
    free(text);
    if (!results) {
        fprintf(stderr, "connectord: out of memory\n");
        return 1;
    }
    size_t i;
    const json_t *r;
    json_array_foreach(results, i, r)
        print_line(r);
    int rc = declarative_checks_passed(results) ? 0 : 1;
    json_decref(results);
    return rc;
}

/* ---- test --------------------------------------------------------------------------------- */

struct sample_ctx {
    struct provider_sample s;
    char *secret;
    const char *setting;
};

static const char *header_of(const struct webhook_request *req, const char *name)
{
    const struct sample_ctx *c = req->ctx;
    for (size_t i = 0; i < c->s.n_headers; i++)
        if (!strcasecmp(c->s.header_names[i], name))
            return c->s.header_values[i];
    return NULL;
}

static const char *no_query(const struct webhook_request *req, const char *name)
{
    (void)req;
    (void)name;
    return NULL;
}

static int secret_of(const struct provider_install *inst, const char *key, struct buf *out,
                     struct error *err)
{
    const struct sample_ctx *c = inst->secret_ctx;
    if (strcmp(key, c->setting) != 0)
        return error_set(err, ERR_NOT_FOUND, "secret %s is not set", key);
    return buf_append_str(out, c->secret) < 0 ? error_set(err, ERR_INTERNAL, "out of memory")
                                               : 0;
}

static const char *status_name(enum pipeline_status s)
{
    switch (s) {
    case PIPELINE_PROCESSED:
        return "processed";
    case PIPELINE_DUPLICATE:
        return "duplicate";
    case PIPELINE_IGNORED:
        return "ignored";
    default:
        return "failed";
    }
}

/* What one booked payment came to, as the webhook log and the test webhook tell it. */
static json_t *result_json(const struct pipeline_result *r)
{
    char amount[MONEY_TEXT_MAX] = "";
    json_t *o = json_pack("{s:s, s:s, s:s}", "event", r->event, "externalId", r->external_id,
                          "action", pipeline_action_name(r->action));
    if (o && r->action != PIPELINE_ACTION_NONE) {
        money_format(&r->total_gross, amount);
        json_object_set_new(o, "invoiceType", json_string(r->invoice_type));
        json_object_set_new(o, "amount", json_string(amount));
        json_object_set_new(o, "currency", json_string(r->total_gross.currency));
        json_object_set_new(o, "posted", json_boolean(r->journal_entry_id[0] != '\0'));
    }
    if (o && r->detail[0])
        json_object_set_new(o, "detail", json_string(r->detail));
    return o;
}

/* Runs sample i: prints its line and returns 0 when it verified and booked. */
static int test_sample(const struct pipeline_env *env, const struct provider *p,
                       const json_t *manifest, size_t i, const char *tenant_id)
{
    struct sample_ctx c = {0};
    struct error err = {0};
    struct pipeline_outcome out = {0};
    int64_t now_ms = 0;
    int rc = -1;
    const json_t *sample = json_array_get(json_object_get(manifest, "samples"), i);
    const char *name = json_string_value(json_object_get(sample, "name"));
    json_t *line = json_pack("{s:i, s:s}", "sample", (int)i + 1, "name", name ? name : "");
    if (!line)
        return -1;
    if (declarative_sample_request(manifest, i, &c.s, &c.secret, &now_ms, &err) < 0) {
        json_object_set_new(line, "error", json_string(err.message));
        goto out;
    }
    c.setting = json_string_value(json_object_get(json_object_get(p->webhook, "signature"),
                                                  "secretSetting"));
    struct webhook_request req = {.body = c.s.body.data ? c.s.body.data : "",
                                  .body_len = c.s.body.len,
                                  .header = header_of,
                                  .query = no_query,
                                  .ctx = &c,
                                  .now_ms = now_ms};
    struct provider_install inst = {.tenant_id = tenant_id, .install_id = "",
                                    .secret = secret_of, .secret_ctx = &c};
    json_t *state = NULL;
    bool verified = provider_verify(p, &req, &inst, &state, &err) == VERIFY_OK;
    json_decref(state);
    json_object_set_new(line, "verified", json_boolean(verified));
    if (!verified) {
        json_object_set_new(line, "error", json_string(err.message));
        goto out;
    }
    if (pipeline_dry_run(env, p, tenant_id, &req, &out, &err) < 0) {
        json_object_set_new(line, "status", json_string("failed"));
        json_object_set_new(line, "error", json_string(err.message));
        goto out;
    }
    json_t *payments = json_array();
    for (size_t k = 0; payments && k < out.n_results; k++)
        json_array_append_new(payments, result_json(&out.results[k]));
    json_object_set_new(line, "status", json_string(status_name(out.status)));
    json_object_set_new(line, "payments", payments);
    rc = out.status == PIPELINE_PROCESSED || out.status == PIPELINE_IGNORED ? 0 : -1;
out:
    print_line(line);
    json_decref(line);
    pipeline_outcome_free(&out);
    provider_sample_free(&c.s);
    free(c.secret);
    return rc;
}

int cli_connector_test(const char *path)
{
    size_t len = 0;
    char *text = path ? read_manifest(path, &len) : NULL;
    json_t *manifest = NULL;
    struct store *store = NULL;
    struct error err = {0};
    struct tenant tenant = {0};
    struct provider p;
    static const unsigned char no_key[CRYPTO_KEY_LEN]; /* nothing is sealed or opened */
    char token[CRYPTO_TOKEN_LEN + 1];
    int applied = 0, rc = 1;
    if (!path)
        fprintf(stderr, "connectord: connector test needs the manifest FILE\n");
    if (!text)
        return 2;
    if (len > DECLARATIVE_MANIFEST_MAX) {
        fprintf(stderr, "connectord: %s: the manifest is larger than %d KiB\n", path,
                DECLARATIVE_MANIFEST_MAX / 1024);
        goto out;
    }
    manifest = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
    const char *slug = json_string_value(json_object_get(manifest, "slug"));
    if (!json_is_object(manifest) || !slug) {
        fprintf(stderr, "connectord: %s: not a manifest (a JSON object with a slug)\n", path);
        goto out;
    }
    if (declarative_provider_init(&p, slug, json_object_get(manifest, "webhook"), &err) < 0) {
        fprintf(stderr, "connectord: %s: %s\n", path, err.message);
        goto out;
    }
    if (store_open("sqlite::memory:", 1, &store, &err) < 0 ||
        store_migrate(store, &applied, &err) < 0 ||
        auth_tenant_create(store, "connector test", "enterprise", &tenant, token, &err) < 0) {
        fprintf(stderr, "connectord: the scratch store: %s\n", err.message);
        goto out;
    }
    const struct pipeline_env env = {.store = store, .master_key = no_key};
    size_t n = json_array_size(json_object_get(manifest, "samples"));
    if (n == 0)
        fprintf(stderr, "connectord: %s has no samples to run\n", path);
    rc = n ? 0 : 1;
    for (size_t i = 0; i < n; i++)
        if (test_sample(&env, &p, manifest, i, tenant.id) < 0)
            rc = 1;
out:
    store_close(store);
    json_decref(manifest);
    free(text);
    return rc;
}
