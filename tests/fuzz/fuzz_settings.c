/* tests/fuzz/fuzz_settings.c - the validation of what an admin saves: a tenant's settings
 * (PUT /api/settings: settings_from_json, src/settings/) and a connector's config (PUT
 * /api/connectors/:slug/config and installs: catalog_config_validate, catalog_config_store,
 * catalog_config_view, src/catalog/settings.c and config.c) for every connector of the
 * catalog. The input is the request body, parsed as the API does (json_parse_body).
 *
 * Promises: a refusal is ERR_VALIDATION with a non-empty array of {field, code, message};
 * accepted settings are in range (ascending milestones within the limit, a real fiscal
 * year start, a VAT number of the VIES pattern or none) and show as JSON that reads back
 * to the same settings; an accepted config stores, shows, and validates again as a change
 * to what was stored; a secret given is never stored or shown in the clear and opens to
 * exactly what was given. Seeds: the bodies the end-to-end tests send. */
#include "fuzz.h"
#include "catalog/catalog.h"
#include "core/buf.h"
#include "core/json.h"
#include "settings/settings.h"

static void check_field_errors(const json_t *errors, const struct error *err)
{
    must(err->code == ERR_VALIDATION);
    must(json_is_array(errors) && json_array_size(errors) > 0);
    size_t i;
    json_t *e;
    json_array_foreach(errors, i, e) {
        must(json_is_string(json_object_get(e, "field")));
        must(json_is_string(json_object_get(e, "code")));
        must(json_is_string(json_object_get(e, "message")));
    }
}

static bool same_settings(const struct tenant_settings *a, const struct tenant_settings *b)
{
    if (a->chart != b->chart || a->time_zone != b->time_zone ||
        a->fiscal_month != b->fiscal_month || a->fiscal_day != b->fiscal_day ||
        strcmp(a->vat_number, b->vat_number) != 0 || a->n_milestones != b->n_milestones)
        return false;
    for (size_t i = 0; i < a->n_milestones; i++)
        if (a->milestones[i] != b->milestones[i])
            return false;
    return true;
}

static void fuzz_tenant_settings(const json_t *body)
{
    struct tenant_settings s, again;
    json_t *errors = NULL;
    struct error err = {0};
    if (settings_from_json(body, &s, &errors, &err) < 0) {
        check_field_errors(errors, &err);
        json_decref(errors);
        return;
    }
    must(s.chart && s.time_zone);
    must(s.fiscal_month >= 1 && s.fiscal_month <= 12 && s.fiscal_day >= 1 &&
         s.fiscal_day <= 31);
    must(!s.vat_number[0] || settings_vat_number_valid(s.vat_number));
    must(s.n_milestones <= SETTINGS_MILESTONES_MAX);
    for (size_t i = 0; i < s.n_milestones; i++) {
        must(s.milestones[i] > 0 && s.milestones[i] <= SETTINGS_MILESTONE_LIMIT);
        must(i == 0 || s.milestones[i - 1] < s.milestones[i]);
    }
    json_t *shown = settings_json(&s);
    must(shown != NULL);
    /* What the API shows may carry read-only members (accounts); keep the writable ones. */
    json_object_del(shown, "accounts");
    must(settings_from_json(shown, &again, &errors, &err) == 0);
    must(same_settings(&s, &again));
    json_decref(shown);
}

/* A secret given is stored sealed (never in plain), opens to exactly what was given, and
 * shows masked: four bullets and at most a short hint. */
static void check_secrets(const struct connector_manifest *m, const json_t *body,
                          const json_t *plain, const json_t *secrets, const json_t *view,
                          const unsigned char key[32])
{
    const struct setting_field *f;
    for (size_t i = 0; (f = catalog_field_at(m, i)); i++) {
        if (!catalog_field_is_secret(f))
            continue;
        must(!json_object_get(plain, f->key));
        const char *given = json_string_value(json_object_get(body, f->key));
        if (!given || !given[0])
            continue;
        struct buf open;
        struct error err = {0};
        buf_init(&open, 0);
        must(catalog_secret_open(secrets, f->key, key, "ten_fuzz/con_fuzz", &open, &err) == 0);
        must(open.len == strlen(given) && memcmp(open.data, given, open.len) == 0);
        buf_free(&open);
        const char *shown = json_string_value(json_object_get(view, f->key));
        must(shown && strncmp(shown, "\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2", 12) == 0);
        must(strlen(shown) <= 12 + 16);
    }
}

static void fuzz_connector_config(const struct connector_manifest *m, const json_t *body)
{
    static const unsigned char key[32] = {1, 2, 3, 4, 5, 6, 7, 8};
    json_t *errors = NULL, *plain = NULL, *secrets = NULL, *changed = NULL;
    struct error err = {0};
    if (catalog_config_validate(m, body, NULL, NULL, &errors, &err) < 0) {
        check_field_errors(errors, &err);
        json_decref(errors);
        return;
    }
    if (catalog_config_store(m, body, NULL, NULL, key, "ten_fuzz/con_fuzz", &plain, &secrets,
                             &changed, &err) < 0) {
        must(valid_utf8(err.message));
        return;
    }
    json_t *view = catalog_config_view(m, plain, secrets);
    must(view != NULL);
    check_secrets(m, body, plain, secrets, view, key);
    (void)catalog_config_awaiting(m, plain, secrets);
    /* The same body again, as a change to what was stored. */
    must(catalog_config_validate(m, body, plain, secrets, &errors, &err) == 0);
    json_decref(view);
    json_decref(plain);
    json_decref(secrets);
    json_decref(changed);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FUZZ_INPUT_MAX)
        return 0;
    struct error err = {0};
    json_t *body = json_parse_body((const char *)data, size, &err);
    if (!body)
        return 0;
    fuzz_tenant_settings(body);
    size_t n;
    const struct connector_manifest *all = catalog_all(&n);
    for (size_t i = 0; i < n; i++)
        fuzz_connector_config(&all[i], body);
    json_decref(body);
    return 0;
}
