/* tests/unit/catalog/test_catalog_entries.c - the catalog (the manifests of connectors/,
 * parsed by src/catalog/registry.c) against the seeds.
 *
 * The seeds' tables are written out once more here, in their own compact notation, so a
 * typo in a slug, plan, kind or field key of the table fails a test. The rest walks every
 * connector's full schema (own fields plus the ones its caps add) and checks the rules the
 * settings validator relies on: unique keys, enums with values, patterns that compile,
 * defaults that parse and fit, no default on a secret. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <regex.h>
#include <stdio.h>
#include <string.h>

#include "auth/auth.h"
#include "catalog/catalog.h"
#include "inbound/provider.h"
#include "outbound/destination.h"

/* Settings notation: keys in order, "*" marks a secret (or sensitive) field, "?" an
 * optional one. */
struct expect {
    const char *slug;
    const char *category;
    enum connector_kind kind;
    const char *plan;
    const char *settings;
};

/* Seed 000: slug | category | kind | plan | settings. */
static const struct expect seed_000[] = {
    {"stripe", "payments", KIND_WEBHOOK, "starter", "webhookSecret* apiKey*?"},
    {"paypal", "payments", KIND_WEBHOOK, "starter", "webhookId clientId? clientSecret*?"},
    {"klarna", "payments", KIND_WEBHOOK, "starter", "apiKey apiSecret*"},
    {"sumup", "payments", KIND_WEBHOOK, "starter", "apiKey* merchantCode"},
    {"mollie", "payments", KIND_WEBHOOK, "starter", "apiKey*"},
    {"revolut", "payments", KIND_HYBRID, "starter",
     "webhookSecret* apiKey*? clientId? privateKey*? pullsPerDay?"},
    {"adyen", "payments", KIND_WEBHOOK, "pro", "apiKey* hmacKey*"},
    {"gocardless", "payments", KIND_HYBRID, "pro",
     "webhookSecret* secretId? secretKey*? bankDriver? applicationId? applicationKey*? "
     "pullsPerDay?"},
    {"finanzonline", "accounting", KIND_API, "pro", "participantId userId pin* taxNumber"},
    /* seed 000: "Berater-Nr. + Mandanten-Nr."; the chart and the fiscal year start are the
     * tenant's settings */
    {"datev", "accounting", KIND_API, "starter", "consultantNumber clientNumber accountLength?"},
    {"slack-assistant", "communication", KIND_HYBRID, "pro", "botToken* signingSecret*"},
    {"telegram-assistant", "communication", KIND_HYBRID, "pro", "botToken* botUsername"},
    {"whatsapp", "communication", KIND_HYBRID, "business",
     "accessToken* phoneNumberId businessAccountId appSecret* verifyToken*"},
    {"google-workspace", "productivity", KIND_API, "pro", "clientId clientSecret* oauthBaseUrl?"},
    {"timely", "productivity", KIND_API, "pro", "clientId clientSecret*"},
    {"toggl", "productivity", KIND_API, "starter", "apiToken* workspaceId"},
    {"clockify", "productivity", KIND_API, "starter", "apiKey* workspaceId"},
    {"mite", "productivity", KIND_API, "starter", "apiKey* subdomain"},
    {"trakro", "productivity", KIND_API, "starter", "apiKey*"},
};

/* Seed 001: type | category | config fields; all destinations, plan left to the limits. */
static const struct expect seed_001[] = {
    {"slack", "communication", KIND_DESTINATION, "starter", "webhookUrl*"},
    {"discord", "communication", KIND_DESTINATION, "starter", "webhookUrl*"},
    {"email", "communication", KIND_DESTINATION, "starter", "apiKey* from to"},
    {"telegram", "communication", KIND_DESTINATION, "starter", "botToken* chatId"},
    {"teams", "communication", KIND_DESTINATION, "starter", "webhookUrl*"},
    {"segment", "analytics", KIND_DESTINATION, "starter", "writeKey*"},
    {"mixpanel", "analytics", KIND_DESTINATION, "starter", "projectToken*"},
    {"amplitude", "analytics", KIND_DESTINATION, "starter", "apiKey*"},
    {"ga4", "analytics", KIND_DESTINATION, "starter", "measurementId apiSecret*"},
    {"zapier", "automation", KIND_DESTINATION, "starter", "webhookUrl*"},
    {"n8n", "automation", KIND_DESTINATION, "starter", "webhookUrl*"},
    {"make", "automation", KIND_DESTINATION, "starter", "webhookUrl*"},
    {"pagerduty", "monitoring", KIND_DESTINATION, "starter", "routingKey*"},
    {"datadog", "monitoring", KIND_DESTINATION, "starter", "apiKey* site?"},
    {"opsgenie", "monitoring", KIND_DESTINATION, "starter", "apiKey*"},
    {"bigquery", "data", KIND_DESTINATION, "starter",
     "projectId datasetId tableId serviceAccountKey*? accessToken*? oauthBaseUrl?"},
    {"hubspot", "crm", KIND_DESTINATION, "starter", "accessToken*"},
    {"salesforce", "crm", KIND_DESTINATION, "starter",
     "instanceUrl accessToken*? refreshToken*? clientId? clientSecret*?"},
    {"quickbooks", "accounting", KIND_DESTINATION, "starter",
     "accessToken*? refreshToken*? clientId? clientSecret*? oauthBaseUrl? realmId"},
    {"xero", "accounting", KIND_DESTINATION, "starter",
     "accessToken*? refreshToken*? clientId? clientSecret*? oauthBaseUrl? tenantId"},
};

#define N_000 (sizeof seed_000 / sizeof seed_000[0])
#define N_001 (sizeof seed_001 / sizeof seed_001[0])

/* The connectors that call an outside API at a fixed host, and so take apiBaseUrl. */
static const char *const api_base_url_slugs[] = {
    "stripe", "mollie", "klarna", "sumup", "paypal", "revolut", "adyen", "gocardless",
    "finanzonline", "slack-assistant", "telegram-assistant", "whatsapp", "google-workspace",
    "timely", "toggl", "clockify", "mite", "trakro",
    "email", "telegram", "segment", "mixpanel", "amplitude", "ga4", "pagerduty", "datadog",
    "opsgenie", "bigquery", "hubspot", "quickbooks", "xero",
};

static const char *const payment_keys[] = {
    "autoPost", "direction", "expenseAccount", "revenueAccount", "clearingAccount",
    "defaultSupplierId", "vatRate",
};

static size_t schema_len(const struct connector_manifest *m)
{
    size_t n = 0;
    while (catalog_field_at(m, n))
        n++;
    return n;
}

static void check_against_seed(const struct connector_manifest *m, const struct expect *e)
{
    char spec[256], *save = NULL;
    size_t i = 0;

    assert_string_equal(m->slug, e->slug);
    assert_string_equal(m->category, e->category);
    assert_int_equal(m->kind, e->kind);
    assert_string_equal(m->min_plan, e->plan);
    assert_non_null(m->name);
    assert_true(m->name[0] != '\0');
    assert_non_null(m->description);
    assert_true(m->description[0] != '\0');
    assert_non_null(m->auth_label);
    assert_true(m->auth_label[0] != '\0');

    snprintf(spec, sizeof spec, "%s", e->settings);
    for (char *tok = strtok_r(spec, " ", &save); tok; tok = strtok_r(NULL, " ", &save), i++) {
        size_t len = strlen(tok);
        bool optional = false, secret = false;
        if (len > 0 && tok[len - 1] == '?') {
            optional = true;
            tok[--len] = '\0';
        }
        if (len > 0 && tok[len - 1] == '*') {
            secret = true;
            tok[--len] = '\0';
        }
        assert_true(i < m->n_fields);
        const struct setting_field *f = &m->fields[i];
        if (strcmp(f->key, tok) != 0)
            fail_msg("%s: field %zu is %s, the seed says %s", m->slug, i, f->key, tok);
        if (catalog_field_is_secret(f) != secret)
            fail_msg("%s.%s: secret should be %d", m->slug, f->key, secret);
        if (((f->flags & SETTING_REQUIRED) != 0) == optional)
            fail_msg("%s.%s: required should be %d", m->slug, f->key, !optional);
    }
    assert_int_equal(i, m->n_fields);
}

static void test_table_matches_seeds(void **state)
{
    size_t n;
    const struct connector_manifest *all = catalog_all(&n);

    assert_int_equal(n, 39);
    assert_int_equal(N_000 + N_001, 39);
    for (size_t i = 0; i < N_000; i++)
        check_against_seed(&all[i], &seed_000[i]);
    for (size_t i = 0; i < N_001; i++)
        check_against_seed(&all[N_000 + i], &seed_001[i]);
}

static void test_kinds_split_19_and_20(void **state)
{
    size_t n, destinations = 0;
    const struct connector_manifest *all = catalog_all(&n);

    for (size_t i = 0; i < n; i++)
        if (all[i].kind == KIND_DESTINATION)
            destinations++;
    assert_int_equal(destinations, 20);
    assert_int_equal(n - destinations, 19);
}

static void test_slugs_unique_and_found(void **state)
{
    size_t n;
    const struct connector_manifest *all = catalog_all(&n);

    for (size_t i = 0; i < n; i++) {
        for (size_t j = i + 1; j < n; j++)
            if (strcmp(all[i].slug, all[j].slug) == 0)
                fail_msg("slug %s appears twice", all[i].slug);
        assert_ptr_equal(catalog_find(all[i].slug), &all[i]);
    }
    assert_null(catalog_find("nope"));
    assert_null(catalog_find(""));
    assert_null(catalog_find(NULL));
    assert_null(catalog_find("Stripe"));
    assert_int_equal(catalog_find("slack")->kind, KIND_DESTINATION);
    assert_int_equal(catalog_find("telegram")->kind, KIND_DESTINATION);
    assert_int_equal(catalog_find("slack-assistant")->kind, KIND_HYBRID);
}

/* Every built-in manifest parses (catalog_init is what the server checks at startup). */
static void test_manifests_parse(void **state)
{
    struct error err = {0};
    if (catalog_init(&err) < 0)
        fail_msg("%s", err.message);
    size_t n;
    catalog_all(&n);
    assert_int_equal(n, 39);
}

/* The real registries against the manifests: each provider and destination in the code is
 * named by exactly one manifest, and each name a manifest gives has its code. */
static const char *registry_names[64];

static struct catalog_handlers real_handlers(void)
{
    size_t np, nd;
    const struct provider *const *p = provider_all(&np);
    const struct destination *const *d = destination_all(&nd);
    assert_true(np + nd <= 64);
    for (size_t i = 0; i < np; i++)
        registry_names[i] = p[i]->slug;
    for (size_t i = 0; i < nd; i++)
        registry_names[np + i] = d[i]->slug;
    return (struct catalog_handlers){.providers = registry_names, .n_providers = np,
                                     .destinations = registry_names + np,
                                     .n_destinations = nd};
}

static void test_handlers_match(void **state)
{
    struct error err = {0};
    struct catalog_handlers h = real_handlers();
    if (catalog_check_handlers(&h, &err) < 0)
        fail_msg("%s", err.message);
    assert_int_equal(h.n_providers, 8);
    assert_int_equal(h.n_destinations, 20);
    assert_string_equal(catalog_find("paypal")->builtin_provider, "paypal");
    assert_null(catalog_find("paypal")->builtin_destination);
    assert_string_equal(catalog_find("slack")->builtin_destination, "slack");
    assert_null(catalog_find("slack-assistant")->builtin_destination);
    assert_null(catalog_find("clockify")->builtin_provider);
    assert_non_null(json_object_get(catalog_find("clockify")->doc, "api"));
}

/* A manifest naming code that is not there, and code that no manifest names, both fail. */
static void test_handlers_mismatch(void **state)
{
    struct error err = {0};
    struct catalog_handlers h = real_handlers();
    /* the code lacks a provider a manifest names (mollie is the registry's last) */
    h.n_providers--;
    assert_int_equal(catalog_check_handlers(&h, &err), -1);
    assert_non_null(strstr(err.message, "mollie"));
    /* a provider in the code that no manifest names */
    static const char *extra[] = {"stripe", "revolut", "adyen", "gocardless", "paypal",
                                  "klarna", "sumup", "mollie", "acmepay"};
    h = real_handlers();
    h.providers = extra;
    h.n_providers = 9;
    assert_int_equal(catalog_check_handlers(&h, &err), -1);
    assert_non_null(strstr(err.message, "acmepay"));
    /* a destination in the code that no manifest names */
    static const char *dests[] = {"slack", "nowhere"};
    h = real_handlers();
    h.destinations = dests;
    h.n_destinations = 2;
    assert_int_equal(catalog_check_handlers(&h, &err), -1);
    assert_int_equal(err.code, ERR_INTERNAL);
}

static void test_plans_known(void **state)
{
    size_t n;
    const struct connector_manifest *all = catalog_all(&n);

    for (size_t i = 0; i < n; i++)
        if (!auth_plan_find(all[i].min_plan))
            fail_msg("%s: unknown plan %s", all[i].slug, all[i].min_plan);
    assert_string_equal(catalog_find("adyen")->min_plan, "pro");
    assert_string_equal(catalog_find("whatsapp")->min_plan, "business");
    assert_string_equal(catalog_find("datev")->min_plan, "starter");
}

static bool enum_allows(const struct setting_field *f, const char *v)
{
    for (const char *const *a = f->allowed; *a; a++)
        if (strcmp(*a, v) == 0)
            return true;
    return false;
}

static bool matches(const char *pattern, const char *s)
{
    regex_t re;
    assert_int_equal(regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB), 0);
    bool ok = regexec(&re, s, 0, NULL, 0) == 0;
    regfree(&re);
    return ok;
}

/* The default is JSON text that parses and fits the field's type, bounds and pattern. */
static void check_default(const struct connector_manifest *m, const struct setting_field *f)
{
    json_error_t jerr;
    json_t *v = json_loads(f->default_value, JSON_DECODE_ANY, &jerr);

    if (!v)
        fail_msg("%s.%s: default %s is not JSON", m->slug, f->key, f->default_value);
    if (f->flags & SETTING_REQUIRED)
        fail_msg("%s.%s: a field with a default is optional", m->slug, f->key);
    switch (f->type) {
    case SETTING_BOOL:
        assert_true(json_is_boolean(v));
        break;
    case SETTING_INT:
        assert_true(json_is_integer(v));
        if (f->min || f->max) {
            assert_true(json_integer_value(v) >= f->min);
            assert_true(json_integer_value(v) <= f->max);
        }
        break;
    case SETTING_ENUM:
        assert_true(json_is_string(v));
        if (!enum_allows(f, json_string_value(v)))
            fail_msg("%s.%s: default %s not allowed", m->slug, f->key, f->default_value);
        break;
    case SETTING_STRING:
    case SETTING_URL:
        assert_true(json_is_string(v));
        if (f->pattern)
            assert_true(matches(f->pattern, json_string_value(v)));
        break;
    case SETTING_STRING_LIST:
        assert_true(json_is_array(v));
        break;
    case SETTING_SECRET:
        fail_msg("%s.%s: a secret has no default", m->slug, f->key);
    }
    json_decref(v);
}

static void test_every_schema_well_formed(void **state)
{
    size_t n;
    const struct connector_manifest *all = catalog_all(&n);

    for (size_t i = 0; i < n; i++) {
        const struct connector_manifest *m = &all[i];
        const struct setting_field *f;
        assert_true(m->n_fields > 0);
        for (size_t k = 0; (f = catalog_field_at(m, k)) != NULL; k++) {
            assert_non_null(f->key);
            assert_true(f->key[0] != '\0');
            if (!f->label || !f->label[0] || !f->help || !f->help[0])
                fail_msg("%s.%s: label and help text are required", m->slug, f->key);
            for (size_t j = k + 1; catalog_field_at(m, j); j++)
                if (strcmp(catalog_field_at(m, j)->key, f->key) == 0)
                    fail_msg("%s: key %s appears twice", m->slug, f->key);
            assert_ptr_equal(catalog_field_find(m, f->key), f);

            if (f->type == SETTING_ENUM) {
                if (!f->allowed || !f->allowed[0])
                    fail_msg("%s.%s: enum without values", m->slug, f->key);
            } else {
                assert_null(f->allowed);
            }
            if (f->type == SETTING_INT)
                assert_true(f->min <= f->max);
            else
                assert_true(f->min == 0 && f->max == 0);
            if (f->pattern) {
                regex_t re;
                if (regcomp(&re, f->pattern, REG_EXTENDED | REG_NOSUB) != 0)
                    fail_msg("%s.%s: pattern does not compile", m->slug, f->key);
                regfree(&re);
            }
            /* A field error says the format in words: every pattern has them. */
            if ((f->pattern != NULL) != (f->format != NULL && f->format[0]))
                fail_msg("%s.%s: a pattern needs its format in words", m->slug, f->key);
            /* Only a webhook's own credential can wait for the URL to be registered. */
            if ((f->flags & SETTING_AWAITABLE) &&
                (!(f->flags & SETTING_REQUIRED) || !catalog_kind_has_webhook(m->kind)))
                fail_msg("%s.%s: awaitable, but not a webhook's required credential", m->slug,
                         f->key);
            if (catalog_field_is_secret(f) && f->default_value)
                fail_msg("%s.%s: a secret has no default", m->slug, f->key);
            if (f->default_value)
                check_default(m, f);
        }
    }
}

static void test_payment_caps(void **state)
{
    size_t n;
    const struct connector_manifest *all = catalog_all(&n);
    size_t payments = 0;

    for (size_t i = 0; i < n; i++) {
        const struct connector_manifest *m = &all[i];
        bool is_payment = strcmp(m->category, "payments") == 0;
        assert_int_equal((m->caps & CATALOG_CAP_PAYMENT) != 0, is_payment);
        for (size_t k = 0; k < sizeof payment_keys / sizeof payment_keys[0]; k++)
            assert_int_equal(catalog_field_find(m, payment_keys[k]) != NULL, is_payment);
        if (!is_payment)
            continue;
        payments++;
        /* Own fields first, then the payment fields in their order. */
        for (size_t k = 0; k < sizeof payment_keys / sizeof payment_keys[0]; k++) {
            const struct setting_field *f = catalog_field_at(m, m->n_fields + k);
            assert_non_null(f);
            assert_string_equal(f->key, payment_keys[k]);
            assert_false(f->flags & SETTING_REQUIRED);
        }
    }
    assert_int_equal(payments, 8);

    const struct connector_manifest *stripe = catalog_find("stripe");
    const struct setting_field *f = catalog_field_find(stripe, "autoPost");
    assert_int_equal(f->type, SETTING_BOOL);
    assert_string_equal(f->default_value, "false");
    f = catalog_field_find(stripe, "direction");
    assert_int_equal(f->type, SETTING_ENUM);
    assert_string_equal(f->default_value, "\"expense\"");
    assert_true(enum_allows(f, "expense") && enum_allows(f, "revenue"));
    f = catalog_field_find(stripe, "expenseAccount");
    assert_true(matches(f->pattern, "4980"));
    assert_true(matches(f->pattern, "12345678"));
    assert_false(matches(f->pattern, "123"));
    assert_false(matches(f->pattern, "4980x"));
}

static bool in_api_list(const char *slug)
{
    for (size_t i = 0; i < sizeof api_base_url_slugs / sizeof api_base_url_slugs[0]; i++)
        if (strcmp(api_base_url_slugs[i], slug) == 0)
            return true;
    return false;
}

static void test_api_base_url_where_listed(void **state)
{
    size_t n;
    const struct connector_manifest *all = catalog_all(&n);

    for (size_t i = 0; i < sizeof api_base_url_slugs / sizeof api_base_url_slugs[0]; i++)
        assert_non_null(catalog_find(api_base_url_slugs[i]));
    for (size_t i = 0; i < n; i++) {
        const struct connector_manifest *m = &all[i];
        const struct setting_field *f = catalog_field_find(m, "apiBaseUrl");
        bool want = in_api_list(m->slug);
        if ((f != NULL) != want || ((m->caps & CATALOG_CAP_API_BASE_URL) != 0) != want)
            fail_msg("%s: apiBaseUrl should be %s", m->slug, want ? "there" : "absent");
        if (!f)
            continue;
        assert_int_equal(f->type, SETTING_URL);
        assert_false(f->flags & SETTING_REQUIRED);
        /* It is always the last field of the schema. */
        assert_ptr_equal(catalog_field_at(m, schema_len(m) - 1), f);
    }
}

static void test_webhook_urls_are_credentials(void **state)
{
    size_t n, seen = 0;
    const struct connector_manifest *all = catalog_all(&n);

    for (size_t i = 0; i < n; i++) {
        const struct setting_field *f = catalog_field_find(&all[i], "webhookUrl");
        if (!f)
            continue;
        seen++;
        assert_int_equal(f->type, SETTING_URL);
        assert_int_equal(f->flags, SETTING_REQUIRED | SETTING_SENSITIVE);
        assert_true(catalog_field_is_secret(f));
    }
    assert_int_equal(seen, 6); /* slack, discord, teams, zapier, n8n, make */

    const struct setting_field *url = catalog_field_find(catalog_find("salesforce"), "instanceUrl");
    assert_int_equal(url->type, SETTING_URL);
    assert_false(catalog_field_is_secret(url));
}

static void test_field_lookup(void **state)
{
    const struct connector_manifest *stripe = catalog_find("stripe");
    const struct connector_manifest *slack = catalog_find("slack");

    /* its own two (the webhook secret, the restricted API key for payouts), the payment
     * fields, the API base URL */
    assert_int_equal(schema_len(stripe), 2 + 7 + 1);
    assert_string_equal(catalog_field_at(stripe, 0)->key, "webhookSecret");
    assert_string_equal(catalog_field_at(stripe, 1)->key, "apiKey");
    assert_null(catalog_field_at(stripe, 10));
    assert_non_null(catalog_field_find(stripe, "apiBaseUrl"));
    assert_null(catalog_field_find(stripe, "webhooksecret"));
    assert_null(catalog_field_find(stripe, NULL));
    assert_int_equal(schema_len(slack), 1);
    assert_null(catalog_field_find(slack, "autoPost"));
    assert_int_equal(schema_len(catalog_find("paypal")), 3 + 7 + 1);
    assert_int_equal(schema_len(catalog_find("datev")), 3);

    assert_true(catalog_field_is_secret(catalog_field_find(stripe, "webhookSecret")));
    assert_false(catalog_field_is_secret(catalog_field_find(stripe, "autoPost")));
}

static void test_kind_names(void **state)
{
    assert_string_equal(catalog_kind_name(KIND_WEBHOOK), "webhook");
    assert_string_equal(catalog_kind_name(KIND_API), "api");
    assert_string_equal(catalog_kind_name(KIND_HYBRID), "hybrid");
    assert_string_equal(catalog_kind_name(KIND_DESTINATION), "destination");
    assert_true(catalog_kind_has_webhook(KIND_WEBHOOK));
    assert_true(catalog_kind_has_webhook(KIND_HYBRID));
    assert_false(catalog_kind_has_webhook(KIND_API));
    assert_false(catalog_kind_has_webhook(KIND_DESTINATION));
}

/* The patterns accept the formats their help texts give as examples and refuse near
 * misses. */
static void test_patterns_on_examples(void **state)
{
    static const struct {
        const char *slug, *key, *value;
        bool ok;
    } cases[] = {
        {"datev", "consultantNumber", "1001", true},
        {"datev", "consultantNumber", "123", false},
        {"datev", "clientNumber", "99999", true},
        {"datev", "clientNumber", "123456", false},
        {"finanzonline", "taxNumber", "12-345/6789", true},
        {"finanzonline", "taxNumber", "123456789", true},
        {"finanzonline", "taxNumber", "12345678", false},
        {"telegram-assistant", "botToken", "123456789:AAEhBOweik6ad9r_QXMENQjcrGbqCr4K-ab", true},
        {"telegram-assistant", "botToken", "AAEhBOweik6ad9r", false},
        {"telegram-assistant", "botUsername", "AcmeBooksBot", true},
        {"telegram-assistant", "botUsername", "acme_bot", true},
        {"telegram-assistant", "botUsername", "@AcmeBooksBot", false},
        {"telegram-assistant", "botUsername", "AcmeBooks", false},
        {"telegram", "chatId", "-1001234567890", true},
        {"telegram", "chatId", "42", true},
        {"telegram", "chatId", "@acme_payments", true},
        {"telegram", "chatId", "acme", false},
        {"ga4", "measurementId", "G-ABC123XYZ9", true},
        {"ga4", "measurementId", "UA-12345-1", false},
        {"email", "from", "billing@example.com", true},
        {"email", "from", "billing", false},
        {"email", "from", "a b@example.com", false},
        {"email", "to", "ops@example.org", true},
        {"mite", "subdomain", "acme-gmbh", true},
        {"mite", "subdomain", "acme.mite.de", false},
        {"clockify", "workspaceId", "5e86a4c1f4e5b8a1d2c3e4f5", true},
        {"clockify", "workspaceId", "12345", false},
        {"google-workspace", "clientId", "1234-abc.apps.googleusercontent.com", true},
        {"google-workspace", "clientId", "1234-abc", false},
        {"bigquery", "projectId", "my-gcp-project", true},
        {"bigquery", "projectId", "My Project", false},
        {"bigquery", "datasetId", "dunmore_events", true},
        {"xero", "tenantId", "3f0c2a4e-6b1d-4c8e-9a7f-0d5e2b1c3a4f", true},
        {"xero", "tenantId", "acme", false},
        {"quickbooks", "realmId", "9130347596784576", true},
        {"whatsapp", "phoneNumberId", "106540352242922", true},
        {"whatsapp", "phoneNumberId", "+43 660 1234567", false},
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct setting_field *f =
            catalog_field_find(catalog_find(cases[i].slug), cases[i].key);
        assert_non_null(f);
        assert_non_null(f->pattern);
        if (matches(f->pattern, cases[i].value) != cases[i].ok)
            fail_msg("%s.%s: \"%s\" should %s", cases[i].slug, cases[i].key, cases[i].value,
                     cases[i].ok ? "match" : "not match");
    }
}

/* Field errors say what is expected in words. */
static void test_expected_in_words(void **state)
{
    char out[256];
    const struct connector_manifest *stripe = catalog_find("stripe");
    catalog_field_expected(catalog_field_find(stripe, "direction"), out, sizeof out);
    assert_string_equal(out, "one of: expense, revenue");
    catalog_field_expected(catalog_field_find(stripe, "expenseAccount"), out, sizeof out);
    assert_string_equal(out, "4 to 8 digits");
    catalog_field_expected(catalog_field_find(stripe, "autoPost"), out, sizeof out);
    assert_string_equal(out, "true or false");
    catalog_field_expected(catalog_field_find(catalog_find("datev"), "accountLength"), out,
                           sizeof out);
    assert_string_equal(out, "a whole number from 4 to 8");
    catalog_field_expected(catalog_field_find(stripe, "vatRate"), out, 12);
    assert_string_equal(out, "one of: 20,"); /* cut, still a string */

    json_t *errors = NULL;
    struct error err = {0};
    json_t *config = json_pack("{s:s, s:s}", "direction", "up", "expenseAccount", "12");
    assert_int_equal(catalog_config_validate(stripe, config, NULL, NULL, &errors, &err), -1);
    assert_int_equal(err.code, ERR_VALIDATION);
    assert_int_equal(json_array_size(errors), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(errors, 0), "message")),
                        "direction must be one of: expense, revenue");
    assert_string_equal(json_string_value(json_object_get(json_array_get(errors, 1), "message")),
                        "expenseAccount must be 4 to 8 digits");
    json_decref(errors);
    json_decref(config);
}

/* A change keeps what it leaves out; null resets; an awaitable secret may be missing. */
static void test_validate_as_a_change(void **state)
{
    const struct connector_manifest *stripe = catalog_find("stripe");
    const struct connector_manifest *mollie = catalog_find("mollie");
    json_t *errors = NULL;
    struct error err = {0};
    json_t *empty = json_object();
    json_t *reset = json_pack("{s:n}", "apiKey");
    json_t *stored = json_pack("{s:{s:s}}", "apiKey", "sealed", "v1.x");

    /* stripe's webhook secret may wait; mollie's API key may not */
    assert_int_equal(catalog_config_validate(stripe, empty, NULL, NULL, &errors, &err), 0);
    assert_true(catalog_config_awaiting(stripe, empty, empty));
    assert_int_equal(catalog_config_validate(mollie, empty, NULL, NULL, &errors, &err), -1);
    json_decref(errors);
    /* stored and left out: kept; stored and reset with null: refused */
    assert_int_equal(catalog_config_validate(mollie, empty, empty, stored, &errors, &err), 0);
    assert_int_equal(catalog_config_validate(mollie, reset, empty, stored, &errors, &err), -1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(errors, 0), "message")),
                        "apiKey is required and cannot be reset: text");
    json_decref(errors);
    assert_false(catalog_config_awaiting(mollie, empty, empty));

    json_decref(empty);
    json_decref(reset);
    json_decref(stored);
}

static void test_store_keeps_what_is_left_out(void **state)
{
    static const unsigned char key[32] = {1};
    const struct connector_manifest *stripe = catalog_find("stripe");
    json_t *prev_plain = json_pack("{s:b, s:s, s:s, s:s}", "autoPost", 0, "direction", "revenue",
                                   "vatRate", "20", "expenseAccount", "4400");
    json_t *prev_secrets = json_pack("{s:{s:s, s:s}}", "webhookSecret", "sealed", "v1.x",
                                     "hint", "abcd");
    json_t *input = json_pack("{s:b, s:n}", "autoPost", 1, "expenseAccount");
    json_t *plain = NULL, *secrets = NULL, *changed = NULL;
    struct error err = {0};
    assert_int_equal(catalog_config_store(stripe, input, prev_plain, prev_secrets, key, "t/c",
                                          &plain, &secrets, &changed, &err),
                     0);
    assert_true(json_is_true(json_object_get(plain, "autoPost")));
    assert_string_equal(json_string_value(json_object_get(plain, "direction")), "revenue");
    assert_string_equal(json_string_value(json_object_get(plain, "vatRate")), "20");
    assert_null(json_object_get(plain, "expenseAccount"));
    assert_true(json_equal(secrets, prev_secrets));
    assert_int_equal(json_array_size(changed), 2); /* autoPost, expenseAccount */
    json_decref(plain);
    json_decref(secrets);
    json_decref(changed);

    /* null takes a secret away: the install awaits it again */
    json_t *drop = json_pack("{s:n}", "webhookSecret");
    assert_int_equal(catalog_config_store(stripe, drop, prev_plain, prev_secrets, key, "t/c",
                                          &plain, &secrets, &changed, &err),
                     0);
    assert_null(json_object_get(secrets, "webhookSecret"));
    assert_true(catalog_config_awaiting(stripe, plain, secrets));
    json_decref(plain);
    json_decref(secrets);
    json_decref(changed);
    json_decref(drop);
    json_decref(input);
    json_decref(prev_plain);
    json_decref(prev_secrets);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_matches_seeds),
        cmocka_unit_test(test_kinds_split_19_and_20),
        cmocka_unit_test(test_slugs_unique_and_found),
        cmocka_unit_test(test_manifests_parse),
        cmocka_unit_test(test_handlers_match),
        cmocka_unit_test(test_handlers_mismatch),
        cmocka_unit_test(test_plans_known),
        cmocka_unit_test(test_every_schema_well_formed),
        cmocka_unit_test(test_payment_caps),
        cmocka_unit_test(test_api_base_url_where_listed),
        cmocka_unit_test(test_webhook_urls_are_credentials),
        cmocka_unit_test(test_field_lookup),
        cmocka_unit_test(test_kind_names),
        cmocka_unit_test(test_patterns_on_examples),
        cmocka_unit_test(test_expected_in_words),
        cmocka_unit_test(test_validate_as_a_change),
        cmocka_unit_test(test_store_keeps_what_is_left_out),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
