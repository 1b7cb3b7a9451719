/* api/project_index.c - a tenant's projects, admin only:
 *   GET  /api/projects            {"projects": [{id, name, createdAt, default}]}
 *   POST /api/projects {"name"}   201 with the new project
 * and api_project_check(), the one test every /api/projects/:projectId/... handler makes:
 * the id names one of the caller's projects. A wrong id answers 404 naming the projects
 * that exist (their ids), so a caller who used the tenant id of another store or a typo
 * sees what to use; another tenant's projects are never among them. */
#include <stdio.h>
#include <string.h>

#include "api/connector_common.h"
#include "core/json.h"
#include "store/installs.h"

#define PROJECTS_MAX 100 /* ids named in a 404, and projects a tenant may have */

static json_t *project_json(const struct project *p, const char *tenant_id)
{
    return json_pack("{s:s, s:s, s:s, s:b}", "id", p->id, "name", p->name, "createdAt",
                     p->created_at, "default", strcmp(p->id, tenant_id) == 0);
}

struct collect {
    json_t *list;
    const char *tenant_id;
    bool ids_only;
};

static int add_project(void *ctx, const struct project *p)
{
    struct collect *c = ctx;
    json_array_append_new(c->list, c->ids_only ? json_string(p->id)
                                               : project_json(p, c->tenant_id));
    return json_array_size(c->list) >= PROJECTS_MAX;
}

int api_project_check(struct http_request *req, struct http_response *res, struct error *err)
{
    struct app *app = req->app;
    const char *tenant = req->principal->tenant_id;
    const char *id = http_request_param(req, "projectId");
    struct project p;
    if (id && store_project_get(app->store, tenant, id, &p, err) == 0)
        return 0;
    if (id && err->code != ERR_NOT_FOUND)
        return -1;
    struct collect c = {.list = json_array(), .tenant_id = tenant, .ids_only = true};
    struct error list_err = {0};
    if (!c.list || store_project_list(app->store, tenant, add_project, &c, &list_err) < 0) {
        json_decref(c.list);
        return error_set(err, ERR_NOT_FOUND, "project not found");
    }
    /* as many ids as the message holds; all of them in error.projects */
    char names[sizeof err->message - 64] = "";
    size_t i, used = 0, n = json_array_size(c.list);
    for (i = 0; i < n; i++) {
        const char *pid = json_string_value(json_array_get(c.list, i));
        if (used + strlen(pid) + 2 >= sizeof names - 24)
            break;
        used += (size_t)snprintf(names + used, sizeof names - used, "%s%s", i ? ", " : "", pid);
    }
    if (i < n)
        snprintf(names + used, sizeof names - used, " and %zu more", n - i);
    error_set(err, ERR_NOT_FOUND, "project not found; this tenant's projects: %s", names);
    res->error_extra = json_pack("{s:o}", "projects", c.list);
    return -1;
}

int api_projects_list(struct http_request *req, struct http_response *res, struct error *err)
{
    struct app *app = req->app;
    struct collect c = {.list = json_array(), .tenant_id = req->principal->tenant_id};
    if (!c.list)
        return error_set(err, ERR_INTERNAL, "out of memory");
    if (store_project_list(app->store, c.tenant_id, add_project, &c, err) < 0) {
        json_decref(c.list);
        return -1;
    }
    return http_respond_json(res, 200, json_pack("{s:o}", "projects", c.list), err);
}

static int count_project(void *ctx, const struct project *p)
{
    (void)p;
    ++*(int *)ctx;
    return 0;
}

int api_project_create(struct http_request *req, struct http_response *res, struct error *err)
{
    struct app *app = req->app;
    const char *tenant = req->principal->tenant_id;
    struct project p = {0};
    int rc = -1, existing = 0;
    json_t *body = json_parse_body(req->body, req->body_len, err);
    static const char *const members[] = {"name", NULL};
    if (!body || json_only_members(body, members, err) < 0)
        goto out;
    const json_t *name = json_object_get(body, "name");
    size_t len = json_string_length(name);
    if (!json_is_string(name) || len == 0 || len >= sizeof p.name) {
        res->error_extra = json_pack("{s:[{s:s, s:s, s:s}]}", "fields", "field", "name", "code",
                                     name ? "wrong_type" : "required", "message",
                                     "name must be a text of 1 to 200 bytes");
        error_set(err, ERR_VALIDATION, "name must be a text of 1 to 200 bytes");
        goto out;
    }
    memcpy(p.name, json_string_value(name), len + 1);
    if (store_project_list(app->store, tenant, count_project, &existing, err) < 0)
        goto out;
    if (existing >= PROJECTS_MAX) {
        error_set(err, ERR_LIMIT_REACHED, "a tenant may have %d projects", PROJECTS_MAX);
        goto out;
    }
    struct audit_entry audit = {.token_id = AUDIT_BY(req), .action = "project.create",
                                .target = p.id, .fields = "[\"name\"]"};
    if (store_project_create(app->store, tenant, &p, &audit, err) < 0)
        goto out;
    rc = http_respond_json(res, 201, project_json(&p, tenant), err);
out:
    json_decref(body);
    return rc;
}
