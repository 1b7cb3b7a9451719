/* api/connector_common.h - private to api/: what the two connector surfaces share (seed
 * 000's /api/connectors by slug, seed 001's /api/projects/:id/connectors by id). */
#ifndef CONNECTORD_API_CONNECTOR_COMMON_H
#define CONNECTORD_API_CONNECTOR_COMMON_H

#include "api/api.h"
#include "catalog/catalog.h"
#include "publishing/publishing.h"

struct install;

/* The tenant's plan (ERR_STORE/ERR_NOT_FOUND on failure). */
const struct plan *connector_tenant_plan(struct app *app, const char *tenant_id,
                                         struct error *err);
/* Whether a plan may install this connector at all. */
bool connector_plan_allows(const struct connector_manifest *m, const struct plan *plan);
/* The lowest plan that allows it (NULL: none does; a table bug the unit test catches). */
const struct plan *connector_required_plan(const struct connector_manifest *m);
/* Whether the install still lacks a credential it may await (its webhooks get 503). */
bool connector_awaiting_secret(const struct connector_manifest *m, const struct install *in);

/* Validates `config` and builds an install's stored config (secrets sealed). On a
 * validation failure returns -1 with ERR_VALIDATION and the field list in
 * res->error_extra ({"fields": [...]}). prev may be NULL (a new install); in
 * receives config/secrets; changed_out lists the changed keys as JSON text (caller frees). */
int connector_config_apply(struct app *app, struct http_response *res,
                           const struct connector_manifest *m, const json_t *config,
                           const struct install *prev, struct install *in, char **changed_out,
                           struct error *err);

/* The config as shown (secrets masked). */
json_t *connector_config_view(const struct connector_manifest *m, const struct install *in);

/* A connector of a tenant's catalog, by slug: a built-in (m is the catalog's), or a
 * published outside connector (outside true, m its current version's manifest, owned by
 * oc: connector_ref_clear). */
struct connector_ref {
    const struct connector_manifest *m;
    bool outside;
    struct outside_connector oc;
};
/* ERR_NOT_FOUND naming the slug when neither has it. */
int connector_resolve(struct app *app, const char *slug, struct connector_ref *ref,
                      struct error *err);
void connector_ref_clear(struct connector_ref *ref);

/* The token id of the caller for audit records. */
#define AUDIT_BY(req) ((req)->principal->token_id)

#endif
