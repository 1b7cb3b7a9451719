/* api/connector_common.c - helpers shared by connectors.c and projects.c. */
#include <stdlib.h>
#include <string.h>

#include "api/connector_common.h"
#include "core/utf8.h"
#include "store/installs.h"

int connector_resolve(struct app *app, const char *slug, struct connector_ref *ref,
                      struct error *err)
{
    memset(ref, 0, sizeof *ref);
    if (!slug)
        return error_set(err, ERR_NOT_FOUND, "no connector in the catalog");
    if ((ref->m = catalog_find(slug)))
        return 0;
    if (publishing_find(app->store, slug, &ref->oc, err) < 0) {
        if (err->code == ERR_NOT_FOUND)
            error_set(err, ERR_NOT_FOUND, "no connector '%.*s' in the catalog",
                      UTF8_CUT(48, slug));
        return -1;
    }
    ref->outside = true;
    ref->m = ref->oc.manifest.m;
    return 0;
}

void connector_ref_clear(struct connector_ref *ref)
{
    if (ref->outside)
        publishing_connector_clear(&ref->oc);
    memset(ref, 0, sizeof *ref);
}

const struct plan *connector_tenant_plan(struct app *app, const char *tenant_id,
                                         struct error *err)
{
    struct tenant t;
    if (store_tenant_get(app->store, tenant_id, &t, err) < 0)
        return NULL;
    const struct plan *plan = auth_plan_find(t.plan);
    if (!plan)
        error_set(err, ERR_INTERNAL, "tenant %s has an unknown plan", t.id);
    return plan;
}

bool connector_plan_allows(const struct connector_manifest *m, const struct plan *plan)
{
    const struct plan *needed = auth_plan_find(m->min_plan);
    if (!needed || plan->rank < needed->rank)
        return false;
    return m->kind != KIND_DESTINATION || plan->max_destinations != 0;
}

/* The plans are listed by rank, so the first that allows is the lowest; the catalog's
 * requiredPlan, planAllows and the 403's requiredPlan all follow from the one rule above. */
const struct plan *connector_required_plan(const struct connector_manifest *m)
{
    size_t n = 0;
    const struct plan *plans = auth_plans(&n);
    for (size_t i = 0; i < n; i++)
        if (connector_plan_allows(m, &plans[i]))
            return &plans[i];
    return NULL;
}

bool connector_awaiting_secret(const struct connector_manifest *m, const struct install *in)
{
    json_t *plain = json_loads(in->config, 0, NULL);
    json_t *secrets = json_loads(in->secrets, 0, NULL);
    bool awaiting = catalog_config_awaiting(m, plain, secrets);
    json_decref(plain);
    json_decref(secrets);
    return awaiting;
}

int connector_config_apply(struct app *app, struct http_response *res,
                           const struct connector_manifest *m, const json_t *config,
                           const struct install *prev, struct install *in, char **changed_out,
                           struct error *err)
{
    json_t *field_errors = NULL, *prev_plain = NULL, *prev_secrets = NULL;
    json_t *plain = NULL, *secrets = NULL, *changed = NULL;
    char aad_prefix[2 * CRYPTO_ID_MAX + 2];
    int rc = -1;
    *changed_out = NULL;

    if (prev) {
        prev_plain = json_loads(prev->config, 0, NULL);
        prev_secrets = json_loads(prev->secrets, 0, NULL);
        if (!prev_plain || !prev_secrets) {
            error_set(err, ERR_STORE, "stored config of %s is not JSON", prev->id);
            goto out;
        }
    }
    if (catalog_config_validate(m, config, prev_plain, prev_secrets, &field_errors, err) < 0) {
        if (field_errors)
            res->error_extra = json_pack("{s:o}", "fields", field_errors);
        goto out;
    }
    snprintf(aad_prefix, sizeof aad_prefix, "%s/%s", in->tenant_id, in->id);
    if (catalog_config_store(m, config, prev_plain, prev_secrets, app->master_key, aad_prefix,
                             &plain, &secrets, &changed, err) < 0)
        goto out;
    free(in->config);
    free(in->secrets);
    in->config = json_dumps(plain, JSON_COMPACT);
    in->secrets = json_dumps(secrets, JSON_COMPACT);
    *changed_out = json_dumps(changed, JSON_COMPACT);
    if (!in->config || !in->secrets || !*changed_out) {
        error_set(err, ERR_INTERNAL, "out of memory");
        goto out;
    }
    rc = 0;
out:
    json_decref(prev_plain);
    json_decref(prev_secrets);
    json_decref(plain);
    json_decref(secrets);
    json_decref(changed);
    return rc;
}

json_t *connector_config_view(const struct connector_manifest *m, const struct install *in)
{
    json_t *plain = json_loads(in->config, 0, NULL);
    json_t *secrets = json_loads(in->secrets, 0, NULL);
    json_t *view = catalog_config_view(m, plain, secrets);
    json_decref(plain);
    json_decref(secrets);
    return view;
}
