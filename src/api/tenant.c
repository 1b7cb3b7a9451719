/* api/tenant.c - the caller's own tenant: GET /api/tenant, PATCH /api/tenant. */
#include <string.h>

#include "api/api.h"
#include "core/json.h"
#include "store/installs.h"

static json_t *tenant_json(const struct tenant *t, enum auth_role role)
{
    const struct plan *plan = auth_plan_find(t->plan);
    json_t *max_dest = !plan || plan->max_destinations < 0 ? json_null()
                                                           : json_integer(plan->max_destinations);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:o, s:b}}", "id", t->id, "name", t->name,
                     "plan", t->plan, "createdAt", t->created_at, "role", auth_role_name(role),
                     "limits", "maxDestinations", max_dest, "apiAccess",
                     plan && plan->api_access);
}

int api_tenant_get(struct http_request *req, struct http_response *res, struct error *err)
{
    /* The token check read the tenant in the same query; no second read. */
    return http_respond_json(res, 200, tenant_json(&req->principal->tenant, req->principal->role),
                             err);
}

/* PATCH {"name": "..."}: renames the tenant. The plan is not the tenant's to change; it is
 * set by the operator with the command line. */
int api_tenant_update(struct http_request *req, struct http_response *res, struct error *err)
{
    struct app *app = req->app;
    int rc = -1;
    json_t *body = json_parse_body(req->body, req->body_len, err);
    if (!body)
        return -1;
    static const char *const allowed[] = {"name", NULL};
    if (json_only_members(body, allowed, err) < 0)
        goto out;
    bool bad = false;
    const char *name = json_get_string(body, "name", &bad);
    if (bad || !name) {
        error_set(err, bad ? ERR_INVALID_FIELD : ERR_VALIDATION, "'name' must be a string");
        goto out;
    }
    if (auth_tenant_rename(app->store, req->principal->tenant_id, name, err) < 0)
        goto out;
    struct tenant t;
    if (store_tenant_get(app->store, req->principal->tenant_id, &t, err) < 0)
        goto out;
    rc = http_respond_json(res, 200, tenant_json(&t, req->principal->role), err);
out:
    json_decref(body);
    return rc;
}
