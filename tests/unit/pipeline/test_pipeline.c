/* tests/unit/pipeline/test_pipeline.c - what a webhook comes to (src/pipeline/pipeline.c): the domain
 * outcome pipeline_submit() delivers for each way a request can end, with its per-payment
 * results and log ids, against a real store (tests/unit/lib/teststore.h: SQLite in a temporary
 * folder, or a database of its own on PostgreSQL when the run gives one).
 *
 * Without a started committer the store runs each booking alone, so done() is called before
 * pipeline_submit() returns. The requests are the Stripe contract fixtures
 * (tests/fixtures/providers/stripe/), signed with the secret the install is given here; run
 * from the repository root (tests/run does). How an outcome becomes HTTP is api/webhooks.c's
 * and is proved end to end (tests/e2e/webhook*.test.js). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "fakewebhook.h"
#include "pipeline/pipeline.h"
#include "store/books.h"
#include "store/installs.h"
#include "store/store.h"
#include "store/store_int.h"
#include "teststore.h"

#define FIXTURES "tests/fixtures/providers/stripe/"
#define SECRET "whsec_Zk3vT9qLmN2pR8sW4xY6bC1dF5gH7jK0"
#define TOKEN "whk-test-token"
#define NOW_MS 1774189810000LL /* the fixtures' arrival time */

static const unsigned char master_key[CRYPTO_KEY_LEN] = {1, 2, 3};

struct fixture {
    struct teststore ts;
    struct store *store;
    char tenant_id[CRYPTO_ID_MAX];
};

/* A fixture request: its Stripe-Signature header and its body (owned). */
struct stripe_request {
    struct fake_request fake;
    char signature[160];
    char *text;
};

static void request_load(struct stripe_request *r, const char *name)
{
    char path[160];
    snprintf(path, sizeof path, FIXTURES "%s.req", name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    r->text = calloc(1, 16384);
    assert_non_null(r->text);
    size_t n = fread(r->text, 1, 16383, f);
    fclose(f);
    r->text[n] = '\0';
    char *body = strstr(r->text, "\n\n");
    assert_non_null(body);
    *body = '\0';
    const char *sig = strstr(r->text, "header.Stripe-Signature: ");
    assert_non_null(sig);
    sig += strlen("header.Stripe-Signature: ");
    snprintf(r->signature, sizeof r->signature, "%.*s", (int)strcspn(sig, "\n"), sig);
    fake_request_init(&r->fake, body + 2, NOW_MS);
    fake_set(r->fake.headers, "Stripe-Signature", r->signature);
}

/* The install of Stripe, its webhook secret set (or none: awaiting it). */
static void install_stripe(struct fixture *fx, const char *secret)
{
    const struct connector_manifest *m = catalog_find("stripe");
    struct install in = {.is_active = true};
    struct error err = {0};
    char aad[2 * CRYPTO_ID_MAX + 2], hash[2 * CRYPTO_SHA256_LEN + 1];
    json_t *plain = NULL, *secrets = NULL, *changed = NULL;
    json_t *input = secret ? json_pack("{s:s}", "webhookSecret", secret) : json_object();
    assert_non_null(m);
    memcpy(in.tenant_id, fx->tenant_id, sizeof in.tenant_id);
    snprintf(in.slug, sizeof in.slug, "stripe");
    assert_int_equal(crypto_id_new("con_", in.id), 0);
    snprintf(aad, sizeof aad, "%s/%s", in.tenant_id, in.id);
    assert_int_equal(catalog_config_store(m, input, NULL, NULL, master_key, aad, &plain,
                                          &secrets, &changed, &err),
                     0);
    in.config = json_dumps(plain, JSON_COMPACT);
    in.secrets = json_dumps(secrets, JSON_COMPACT);
    crypto_token_hash(TOKEN, strlen(TOKEN), hash);
    struct audit_entry audit = {.action = "connector.install", .target = "stripe",
                                .fields = "[]"};
    assert_int_equal(store_install_insert(fx->store, &in, hash, -1, &audit, &err), 0);
    json_decref(input);
    json_decref(plain);
    json_decref(secrets);
    json_decref(changed);
    store_install_clear(&in);
}

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof *fx);
    struct error err = {0};
    struct tenant t;
    struct api_token tok;
    char hash[2 * CRYPTO_SHA256_LEN + 1];
    int applied = 0;
    if (!fx)
        return -1;
    crypto_token_hash("cdk_admin", 9, hash);
    if (teststore_open(&fx->ts, "pipeline", 2, &err) < 0 ||
        store_migrate(fx->ts.store, &applied, &err) < 0 ||
        store_tenant_create(fx->ts.store, "Pipeline GmbH", "business", hash, &t, &tok, &err) < 0) {
        fprintf(stderr, "setup: %s\n", err.message);
        teststore_close(&fx->ts);
        free(fx);
        return -1;
    }
    fx->store = fx->ts.store;
    memcpy(fx->tenant_id, t.id, sizeof fx->tenant_id);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    teststore_close(&fx->ts);
    free(fx);
    return 0;
}

/* What done() heard, and how often. */
struct heard {
    int calls;
    struct pipeline_outcome out;
    bool allow; /* what begin() answers */
    int begun;
};

static void on_done(void *ctx, struct pipeline_outcome *out)
{
    struct heard *h = ctx;
    h->calls++;
    h->out = *out;
}

static bool on_begin(void *ctx)
{
    struct heard *h = ctx;
    h->begun++;
    return h->allow;
}

static int count_row(void *ctx, const struct store_row *row)
{
    *(int64_t *)ctx = store_row_int(row, 0);
    return 0;
}

static void submit(struct fixture *fx, const char *provider, const char *token,
                   struct stripe_request *r, struct heard *h)
{
    struct pipeline_env env = {.store = fx->store, .master_key = master_key};
    h->calls = 0;
    pipeline_submit(&env, provider, token, &r->fake.req, on_done, on_begin, h);
    assert_int_equal(h->calls, 1);
}

static void heard_free(struct heard *h, struct stripe_request *r)
{
    pipeline_outcome_free(&h->out);
    free(r->text);
    r->text = NULL;
}

static void test_unknown_token_and_provider(void **state)
{
    struct fixture *fx = *state;
    struct stripe_request r;
    struct heard h = {.allow = true};
    install_stripe(fx, SECRET);
    request_load(&r, "021-charge-succeeded-basil");
    submit(fx, "stripe", "no-such-token", &r, &h);
    assert_int_equal(h.out.status, PIPELINE_NOT_FOUND);
    assert_string_equal(h.out.tenant_id, "");
    assert_string_equal(h.out.log_id, ""); /* no trace for an unknown token */
    pipeline_outcome_free(&h.out);
    /* The token of a Stripe install, on another provider's URL. */
    submit(fx, "adyen", TOKEN, &r, &h);
    assert_int_equal(h.out.status, PIPELINE_NOT_FOUND);
    pipeline_outcome_free(&h.out);
    submit(fx, "nosuchprovider", TOKEN, &r, &h);
    assert_int_equal(h.out.status, PIPELINE_NOT_FOUND);
    assert_null(h.out.provider);
    assert_int_equal(h.begun, 0);
    heard_free(&h, &r);
}

static void test_rejections_are_logged(void **state)
{
    struct fixture *fx = *state;
    struct stripe_request r;
    struct heard h = {.allow = true};
    install_stripe(fx, SECRET);

    /* One hex digit of the signature changed. */
    request_load(&r, "021-charge-succeeded-basil");
    size_t last = strlen(r.signature) - 1;
    r.signature[last] = r.signature[last] == '0' ? '1' : '0';
    submit(fx, "stripe", TOKEN, &r, &h);
    assert_int_equal(h.out.status, PIPELINE_INVALID_SIGNATURE);
    assert_int_equal(h.out.error.code, ERR_INVALID_SIGNATURE);
    assert_string_equal(h.out.tenant_id, fx->tenant_id);
    assert_memory_equal(h.out.log_id, "whl_", 4);
    assert_int_equal(h.out.n_results, 0);
    heard_free(&h, &r);

    request_load(&r, "015-no-data-object");
    submit(fx, "stripe", TOKEN, &r, &h);
    assert_int_equal(h.out.status, PIPELINE_INVALID_PAYLOAD);
    assert_int_equal(h.out.error.code, ERR_INVALID_PAYLOAD);
    assert_non_null(strstr(h.out.error.message, "data.object missing"));
    assert_memory_equal(h.out.log_id, "whl_", 4);
    assert_int_equal(h.begun, 0); /* nothing reached the booking */
    heard_free(&h, &r);
}

static void test_awaiting_secret(void **state)
{
    struct fixture *fx = *state;
    struct stripe_request r;
    struct heard h = {.allow = true};
    install_stripe(fx, NULL);
    request_load(&r, "021-charge-succeeded-basil");
    submit(fx, "stripe", TOKEN, &r, &h);
    assert_int_equal(h.out.status, PIPELINE_AWAITING_SECRET);
    assert_memory_equal(h.out.log_id, "whl_", 4);
    heard_free(&h, &r);
}

static void test_booked_then_duplicate(void **state)
{
    struct fixture *fx = *state;
    struct stripe_request r;
    struct heard h = {.allow = true};
    install_stripe(fx, SECRET);
    request_load(&r, "021-charge-succeeded-basil");

    submit(fx, "stripe", TOKEN, &r, &h);
    assert_int_equal(h.out.status, PIPELINE_PROCESSED);
    assert_int_equal(h.begun, 1);
    assert_int_equal(h.out.n_results, 1);
    const struct pipeline_result *res = &h.out.results[0];
    assert_string_equal(res->event, "charge.succeeded");
    assert_false(res->duplicate);
    assert_int_equal(res->action, PIPELINE_ACTION_BOOKED);
    assert_string_equal(res->external_id, "pi_3TestBasil0001");
    assert_memory_equal(res->invoice_id, "inv_", 4);
    assert_string_equal(res->invoice_type, "eingangsrechnung");
    assert_true(res->party_id[0] != '\0');
    assert_int_equal(res->total_gross.minor, 12000);
    assert_string_equal(res->total_gross.currency, "EUR");
    assert_string_equal(res->journal_entry_id, ""); /* autoPost is off */
    assert_memory_equal(res->log_id, "whl_", 4);
    assert_ptr_equal(h.out.provider, provider_find("stripe"));
    char first_log[CRYPTO_ID_MAX];
    memcpy(first_log, res->log_id, sizeof first_log);
    pipeline_outcome_free(&h.out);

    submit(fx, "stripe", TOKEN, &r, &h);
    assert_int_equal(h.out.status, PIPELINE_DUPLICATE);
    assert_int_equal(h.out.n_results, 1);
    assert_true(h.out.results[0].duplicate);
    assert_int_equal(h.out.results[0].action, PIPELINE_ACTION_NONE);
    assert_string_equal(h.out.results[0].invoice_id, "");
    assert_string_not_equal(h.out.results[0].log_id, first_log); /* a row of its own */
    heard_free(&h, &r);
}

/* Through the group commit (a started committer, on SQLite: PostgreSQL commits each booking
 * alone): the committer runs its jobs bare, without a savepoint each, and a duplicate that
 * wrote nothing on its way needs none. The same payment sent three times at once, so the
 * three usually share one transaction: booked once, the other two duplicates, each with a
 * log row of its own. */
static void test_duplicates_in_one_group_commit(void **state)
{
    struct fixture *fx = *state;
    struct pipeline_env env = {.store = fx->store, .master_key = master_key};
    struct error err = {0};
    enum { SENT = 3 };
    struct stripe_request r[SENT];
    struct heard h[SENT];
    install_stripe(fx, SECRET);
    assert_int_equal(store_batch_start(fx->store, &err), 0);
    for (int i = 0; i < SENT; i++) {
        request_load(&r[i], "021-charge-succeeded-basil");
        h[i] = (struct heard){.allow = true};
    }
    for (int i = 0; i < SENT; i++)
        pipeline_submit(&env, "stripe", TOKEN, &r[i].fake.req, on_done, on_begin, &h[i]);
    store_batch_stop(fx->store); /* finishes the queued jobs and tells them */
    int processed = 0, duplicates = 0;
    for (int i = 0; i < SENT; i++) {
        assert_int_equal(h[i].calls, 1);
        assert_int_equal(h[i].begun, 1);
        processed += h[i].out.status == PIPELINE_PROCESSED;
        duplicates += h[i].out.status == PIPELINE_DUPLICATE;
        assert_memory_equal(h[i].out.results[0].log_id, "whl_", 4);
    }
    assert_int_equal(processed, 1);
    assert_int_equal(duplicates, SENT - 1);
    int64_t invoices = -1, logs = -1;
    assert_int_equal(store_run(fx->store, "SELECT COUNT(*) FROM invoices", NULL, 0, count_row,
                               &invoices, NULL, &err),
                     0);
    assert_int_equal(store_run(fx->store, "SELECT COUNT(*) FROM webhook_logs", NULL, 0,
                               count_row, &logs, NULL, &err),
                     0);
    assert_int_equal(invoices, 1);
    assert_int_equal(logs, SENT);
    for (int i = 0; i < SENT; i++)
        heard_free(&h[i], &r[i]);
}

static void test_verified_but_nothing_booked(void **state)
{
    struct fixture *fx = *state;
    struct stripe_request r;
    struct heard h = {.allow = true};
    install_stripe(fx, SECRET);
    /* An invoice that waits for the event naming its payment: accepted, nothing booked. */
    request_load(&r, "001-invoice-payment-succeeded");
    submit(fx, "stripe", TOKEN, &r, &h);
    assert_int_equal(h.out.status, PIPELINE_IGNORED);
    assert_int_equal(h.out.n_results, 1);
    assert_int_equal(h.out.results[0].action, PIPELINE_ACTION_NONE);
    assert_false(h.out.results[0].duplicate);
    assert_non_null(strstr(h.out.results[0].detail, "waits for the event"));
    heard_free(&h, &r);
}

static void test_withdrawn_books_nothing(void **state)
{
    struct fixture *fx = *state;
    struct stripe_request r;
    struct heard h = {.allow = false};
    install_stripe(fx, SECRET);
    request_load(&r, "021-charge-succeeded-basil");
    submit(fx, "stripe", TOKEN, &r, &h);
    assert_int_equal(h.out.status, PIPELINE_WITHDRAWN);
    assert_int_equal(h.begun, 1);
    assert_int_equal(h.out.n_results, 0);
    assert_string_equal(h.out.log_id, "");
    pipeline_outcome_free(&h.out);
    /* Sent again, it is booked: the withdrawn one left nothing behind. */
    h.allow = true;
    submit(fx, "stripe", TOKEN, &r, &h);
    assert_int_equal(h.out.status, PIPELINE_PROCESSED);
    heard_free(&h, &r);
}

static void test_dry_run(void **state)
{
    struct fixture *fx = *state;
    struct pipeline_env env = {.store = fx->store, .master_key = master_key};
    struct pipeline_outcome out;
    struct error err = {0};
    install_stripe(fx, SECRET);
    /* Twice processed: the first test left nothing to find a duplicate of. */
    for (int i = 0; i < 2; i++) {
        assert_int_equal(pipeline_test(&env, fx->tenant_id, "stripe", &out, &err), 0);
        assert_true(out.status == PIPELINE_PROCESSED || out.status == PIPELINE_IGNORED);
        assert_true(out.n_results >= 1);
        assert_string_equal(out.results[0].log_id, "");
        pipeline_outcome_free(&out);
    }
    assert_int_equal(pipeline_test(&env, fx->tenant_id, "adyen", &out, &err), -1);
    assert_int_equal(err.code, ERR_NOT_FOUND);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_unknown_token_and_provider, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rejections_are_logged, setup, teardown),
        cmocka_unit_test_setup_teardown(test_awaiting_secret, setup, teardown),
        cmocka_unit_test_setup_teardown(test_booked_then_duplicate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_duplicates_in_one_group_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verified_but_nothing_booked, setup, teardown),
        cmocka_unit_test_setup_teardown(test_withdrawn_books_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dry_run, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
