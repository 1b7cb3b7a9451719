/* api/tokens.c - /api/tokens: the tenant's API tokens for integrations.
 *
 * A token is named, may expire and be scoped read-only, and is revoked rather than deleted
 * (a revoked token stays listed). Its text is answered once, by POST; lists never carry it
 * (the store keeps only its hash). Making a token is API access, the Business plan's
 * feature; listing and revoking work on every plan, so any token can be withdrawn. */
#include <string.h>

#include "api/listing.h"
#include "core/clock.h"
#include "core/json.h"

/* One token as the API shows it; `token` only when just made. */
static json_t *token_json(const struct api_token *t, const char *current_id, const char *text)
{
    int64_t expires = 0;
    bool expired = t->expires_at[0] && clock_parse_rfc3339(t->expires_at, &expires) == 0 &&
                   expires <= clock_now_ms();
    json_t *o = json_pack("{s:s, s:o, s:s, s:b, s:s, s:o, s:o, s:o, s:s, s:b}", "id", t->id,
                          "name", listing_json_text(t->name[0] ? t->name : NULL), "role",
                          t->role, "readOnly", t->read_only, "createdAt", t->created_at,
                          "expiresAt", listing_json_text(t->expires_at[0] ? t->expires_at : NULL),
                          "lastUsedAt",
                          listing_json_text(t->last_used_at[0] ? t->last_used_at : NULL),
                          "revokedAt", listing_json_text(t->revoked_at[0] ? t->revoked_at : NULL),
                          "status", t->revoked_at[0] ? "revoked" : expired ? "expired" : "active",
                          "current", current_id && strcmp(current_id, t->id) == 0);
    if (o && text && json_object_set_new(o, "token", json_string(text)) < 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

struct list_ctx {
    struct listing_collect *c;
    const char *current;
};

static int add_token(void *ctx, const struct api_token *t)
{
    struct list_ctx *l = ctx;
    return listing_collect_add(l->c, token_json(t, l->current, NULL));
}

int api_tokens_list(struct http_request *req, struct http_response *res, struct error *err)
{
    struct app *app = req->app;
    struct listing_page page;
    if (listing_page_parse(req, "tok_", &page, err) < 0)
        return -1;
    struct listing_collect c;
    if (listing_collect_init(&c, &page, err) < 0)
        return -1;
    struct store_page sp = listing_store_page(&page);
    struct list_ctx l = {.c = &c, .current = req->principal->token_id};
    if (store_token_list(app->store, req->principal->tenant_id, &sp, add_token, &l, err) < 0) {
        listing_collect_free(&c);
        return -1;
    }
    return listing_collect_respond(&c, res, "tokens", err);
}

/* POST {"name", "role"?, "readOnly"?, "expiresAt"?}: 201 with the token, shown this once. */
int api_token_create(struct http_request *req, struct http_response *res, struct error *err)
{
    struct app *app = req->app;
    int rc = -1;
    const struct plan *plan = auth_plan_find(req->principal->tenant.plan);
    if (!plan || !plan->api_access) {
        res->error_extra = json_pack("{s:s}", "requiredPlan", "business");
        return error_set(err, ERR_PLAN_REQUIRED,
                         "API tokens for integrations are API access, which needs the Business "
                         "plan; this tenant has %s", req->principal->tenant.plan);
    }
    json_t *body = json_parse_body(req->body, req->body_len, err);
    if (!body)
        return -1;
    static const char *const allowed[] = {"name", "role", "readOnly", "expiresAt", NULL};
    if (json_only_members(body, allowed, err) < 0)
        goto out;
    bool bad_name = false, bad_role = false, bad_exp = false;
    struct auth_token_spec spec = {
        .name = json_get_string(body, "name", &bad_name),
        .role = json_get_string(body, "role", &bad_role),
        .expires_at = json_get_string(body, "expiresAt", &bad_exp),
    };
    json_t *ro = json_object_get(body, "readOnly");
    if (bad_name || bad_role || bad_exp || (ro && !json_is_boolean(ro))) {
        error_set(err, ERR_INVALID_FIELD,
                  "name, role and expiresAt must be strings (expiresAt may be null), readOnly "
                  "true or false");
        goto out;
    }
    if (!spec.role)
        spec.role = "member";
    spec.read_only = ro && json_is_true(ro);
    struct api_token t;
    char text[CRYPTO_TOKEN_LEN + 1];
    struct audit_entry audit = {.token_id = req->principal->token_id, .action = "token.create",
                                .fields = "[\"name\",\"role\",\"readOnly\",\"expiresAt\"]"};
    if (auth_token_issue(app->store, req->principal->tenant_id, &spec, &audit, &t, text, err) < 0)
        goto out;
    rc = http_respond_json(res, 201, token_json(&t, NULL, text), err);
    explicit_bzero(text, sizeof text); /* the only copy outside the answer */
out:
    json_decref(body);
    return rc;
}

/* DELETE /api/tokens/:id: revoked at once; the answer is the token as listed from now on. */
int api_token_revoke(struct http_request *req, struct http_response *res, struct error *err)
{
    struct app *app = req->app;
    struct api_token t;
    const char *id = http_request_param(req, "id");
    struct audit_entry audit = {.token_id = req->principal->token_id, .action = "token.revoke",
                                .target = id, .fields = "[\"revokedAt\"]"};
    if (store_token_revoke(app->store, req->principal->tenant_id, id, clock_now_ms(), &audit, &t,
                           err) < 0)
        return -1;
    return http_respond_json(res, 200, token_json(&t, req->principal->token_id, NULL), err);
}
