/* api/publishing.c - outside connectors, for the platform's roles (no tenant's token opens
 * these, nor these tokens a tenant's routes):
 *   developer: POST /api/developer/connectors          a manifest: checked, stored as the
 *                                                      slug's next version
 *              GET  /api/developer/connectors[/:id]    the developer's own submissions
 *   operator:  POST /api/operator/developers           a developer and its first token
 *              GET  /api/operator/developers
 *              GET  /api/operator/submissions[/:id]    the review queue (?status=)
 *              POST /api/operator/submissions/:id/approve | reject
 *              POST /api/operator/connectors/:slug/unpublish
 * What a submission may be and what publishing does is publishing/publishing.h's. */
#include <stdlib.h>
#include <string.h>

#include "api/listing.h"
#include "core/json.h"
#include "core/utf8.h"
#include "publishing/publishing.h"

static const char *const submission_statuses[] = {"pending_review", "changes_requested",
                                                  "approved", "rejected", NULL};

/* One submission as both roles see it; with_manifest adds the manifest itself. */
static json_t *submission_json(const struct submission *sub, bool with_manifest)
{
    json_t *checks = json_loads(sub->checks, 0, NULL);
    json_t *manifest = json_loads(sub->manifest ? sub->manifest : "null", JSON_DECODE_ANY, NULL);
    const char *name = json_string_value(json_object_get(manifest, "name"));
    json_t *review = sub->reviewed_at[0]
                         ? json_pack("{s:s?, s:s}", "reason", sub->review_reason, "reviewedAt",
                                     sub->reviewed_at)
                         : json_null();
    json_t *o = json_pack("{s:s, s:s, s:s?, s:I, s:s, s:{s:s, s:s}, s:o, s:b, s:o, s:s}", "id",
                          sub->id, "slug", sub->slug, "name", name, "version",
                          (json_int_t)sub->version, "status", sub->status, "developer", "id",
                          sub->developer_id, "name", sub->developer_name, "checks",
                          checks ? checks : json_array(), "checksPassed",
                          publishing_checks_passed(checks), "review", review, "createdAt",
                          sub->created_at);
    if (o && with_manifest && manifest)
        json_object_set(o, "manifest", manifest);
    json_decref(manifest);
    return o;
}

/* A failing check's members, for a refusal's error body. */
static void refusal_extra(struct http_response *res, json_t *checks)
{
    if (checks)
        res->error_extra = json_pack("{s:o}", "checks", checks);
}

int api_developer_submit(struct http_request *req, struct http_response *res,
                         struct error *err)
{
    struct app *app = req->app;
    struct submission sub;
    json_t *checks = NULL;
    if (publishing_submit(app->store, req->principal->developer_id, req->body, req->body_len,
                          &sub, &checks, err) < 0) {
        refusal_extra(res, checks);
        return -1;
    }
    /* Read back as stored: with the developer's name the listing shows. */
    struct submission stored;
    int rc = store_submission_get(app->store, sub.id, NULL, &stored, err);
    store_submission_clear(&sub);
    if (rc < 0)
        return -1;
    rc = http_respond_json(res, 201, submission_json(&stored, false), err);
    store_submission_clear(&stored);
    return rc;
}

static int add_submission(void *ctx, const struct submission *sub)
{
    return listing_collect_add(ctx, submission_json(sub, false));
}

/* A page of submissions: the developer's own (developer_id), or all (NULL). */
static int submissions_page(struct http_request *req, struct http_response *res,
                            const char *developer_id, struct error *err)
{
    struct app *app = req->app;
    struct listing_page page;
    struct listing_collect c;
    const char *status = NULL;
    if (listing_page_parse(req, "sub_", &page, err) < 0 ||
        listing_query_choice(req, "status", submission_statuses, &status, err) < 0 ||
        listing_collect_init(&c, &page, err) < 0)
        return -1;
    struct store_page sp = listing_store_page(&page);
    if (store_submission_page(app->store, developer_id, status, &sp, add_submission, &c,
                              err) < 0) {
        listing_collect_free(&c);
        return -1;
    }
    return listing_collect_respond(&c, res, "submissions", err);
}

int api_developer_submissions(struct http_request *req, struct http_response *res,
                              struct error *err)
{
    return submissions_page(req, res, req->principal->developer_id, err);
}

int api_operator_submissions(struct http_request *req, struct http_response *res,
                             struct error *err)
{
    return submissions_page(req, res, NULL, err);
}

static int add_version(void *ctx, const struct submission *sub)
{
    return json_array_append_new(ctx, json_pack("{s:s, s:I, s:s, s:s}", "id", sub->id,
                                                "version", (json_int_t)sub->version, "status",
                                                sub->status, "createdAt", sub->created_at)) < 0
               ? -1
               : 0;
}

/* One submission with the manifest, every version of its slug and what is published. */
static int submission_detail(struct http_request *req, struct http_response *res,
                             const char *developer_id, struct error *err)
{
    struct app *app = req->app;
    struct submission sub;
    struct published_connector pub;
    json_t *versions = json_array(), *o = NULL;
    int rc = -1;
    if (store_submission_get(app->store, http_request_param(req, "id"), developer_id, &sub,
                             err) < 0) {
        json_decref(versions);
        return -1;
    }
    if (!versions || store_submission_versions(app->store, sub.slug, add_version, versions,
                                               err) < 0)
        goto out;
    o = submission_json(&sub, true);
    if (!o) {
        error_set(err, ERR_INTERNAL, "out of memory");
        goto out;
    }
    json_object_set(o, "versions", versions);
    if (store_published_get(app->store, sub.slug, &pub, err) == 0) {
        json_object_set_new(o, "published",
                            json_pack("{s:I, s:b, s:s, s:s?}", "version", (json_int_t)pub.version,
                                      "isPublished", pub.is_published, "publishedAt",
                                      pub.published_at, "unpublishedAt",
                                      pub.unpublished_at[0] ? pub.unpublished_at : NULL));
        store_published_clear(&pub);
    } else if (err->code != ERR_NOT_FOUND) {
        goto out;
    } else {
        json_object_set_new(o, "published", json_null());
    }
    rc = http_respond_json(res, 200, o, err);
    o = NULL;
out:
    json_decref(o);
    json_decref(versions);
    store_submission_clear(&sub);
    return rc;
}

int api_developer_submission(struct http_request *req, struct http_response *res,
                             struct error *err)
{
    /* Another developer's submission is as unknown as one that does not exist. */
    return submission_detail(req, res, req->principal->developer_id, err);
}

int api_operator_submission(struct http_request *req, struct http_response *res,
                            struct error *err)
{
    return submission_detail(req, res, NULL, err);
}

/* {"<member>": "..."} or {} (optional) from a JSON body; *out points into *body. */
static int body_text(struct http_request *req, const char *member, json_t **body,
                     const char **out, struct error *err)
{
    const char *const allowed[] = {member, NULL};
    bool bad = false;
    *out = NULL;
    *body = req->body_len ? json_parse_body(req->body, req->body_len, err) : json_object();
    if (!*body)
        return -1;
    if (json_only_members(*body, allowed, err) < 0)
        return -1;
    *out = json_get_string(*body, member, &bad);
    if (bad)
        return error_set(err, ERR_INVALID_FIELD, "'%s' must be a string", member);
    return 0;
}

int api_operator_approve(struct http_request *req, struct http_response *res,
                         struct error *err)
{
    struct app *app = req->app;
    struct publishing_approval a;
    struct submission sub;
    json_t *body = NULL;
    const char *comment = NULL;
    const char *id = http_request_param(req, "id");
    int rc = -1;
    if (body_text(req, "comment", &body, &comment, err) < 0 ||
        publishing_approve(app->store, id, comment, req->principal->token_id, &a, err) < 0 ||
        store_submission_get(app->store, id, NULL, &sub, err) < 0)
        goto out;
    json_t *o = submission_json(&sub, false);
    if (o)
        json_object_set_new(o, "installs", json_pack("{s:i, s:i}", "moved", a.installs_moved,
                                                     "waitingForInput", a.installs_waiting));
    rc = http_respond_json(res, 200, o, err);
    store_submission_clear(&sub);
out:
    json_decref(body);
    return rc;
}

int api_operator_reject(struct http_request *req, struct http_response *res, struct error *err)
{
    struct app *app = req->app;
    struct submission sub;
    json_t *body = NULL;
    const char *reason = NULL;
    const char *id = http_request_param(req, "id");
    int rc = -1;
    if (body_text(req, "reason", &body, &reason, err) < 0 ||
        publishing_reject(app->store, id, reason, err) < 0 ||
        store_submission_get(app->store, id, NULL, &sub, err) < 0)
        goto out;
    rc = http_respond_json(res, 200, submission_json(&sub, false), err);
    store_submission_clear(&sub);
out:
    json_decref(body);
    return rc;
}

int api_operator_unpublish(struct http_request *req, struct http_response *res,
                           struct error *err)
{
    struct app *app = req->app;
    const char *slug = http_request_param(req, "slug");
    if (publishing_unpublish(app->store, slug, err) < 0)
        return -1;
    return http_respond_json(res, 200, json_pack("{s:s, s:b}", "slug", slug, "isPublished", 0),
                             err);
}

int api_operator_developer_create(struct http_request *req, struct http_response *res,
                                  struct error *err)
{
    struct app *app = req->app;
    json_t *body = NULL;
    const char *name = NULL;
    char id[CRYPTO_ID_MAX], token[CRYPTO_TOKEN_LEN + 1];
    struct developer d;
    int rc = -1;
    if (body_text(req, "name", &body, &name, err) < 0)
        goto out;
    if (!name) {
        error_set(err, ERR_INVALID_FIELD, "'name' is required: the developer's name, shown as "
                                          "the publisher");
        goto out;
    }
    if (auth_developer_create(app->store, name, id, token, err) < 0 ||
        store_developer_get(app->store, id, &d, err) < 0)
        goto out;
    /* The token is shown this once; only its hash is stored. */
    rc = http_respond_json(res, 201,
                           json_pack("{s:{s:s, s:s, s:s}, s:s}", "developer", "id", d.id, "name",
                                     d.name, "createdAt", d.created_at, "token", token),
                           err);
    memset(token, 0, sizeof token);
out:
    json_decref(body);
    return rc;
}

static int add_developer(void *ctx, const struct developer *d)
{
    return json_array_append_new(ctx, json_pack("{s:s, s:s, s:s}", "id", d->id, "name",
                                                d->name, "createdAt", d->created_at)) < 0
               ? -1
               : 0;
}

int api_operator_developers(struct http_request *req, struct http_response *res,
                            struct error *err)
{
    struct app *app = req->app;
    json_t *list = json_array();
    if (!list)
        return error_set(err, ERR_INTERNAL, "out of memory");
    if (store_developer_list(app->store, add_developer, list, err) < 0) {
        json_decref(list);
        return -1;
    }
    return http_respond_json(res, 200, json_pack("{s:o}", "developers", list), err);
}
