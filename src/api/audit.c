/* api/audit.c - GET /api/audit-log?limit=N: who changed which connector when, newest first.
 * Records name the changed keys, never their values. */
#include <stdlib.h>

#include "api/api.h"

#define AUDIT_LIMIT_DEFAULT 50
#define AUDIT_LIMIT_MAX 500

static int add_record(void *ctx, const struct audit_record *rec)
{
    json_t *fields = json_loads(rec->fields, 0, NULL);
    json_array_append_new(ctx, json_pack("{s:s, s:s, s:s, s:o, s:s, s:s}", "id", rec->id,
                                         "action", rec->action, "target", rec->target,
                                         "fields", fields ? fields : json_array(), "tokenId",
                                         rec->token_id, "createdAt", rec->created_at));
    return 0;
}

int api_audit_list(struct http_request *req, struct http_response *res, struct error *err)
{
    struct app *app = req->app;
    long limit = AUDIT_LIMIT_DEFAULT;
    const char *text = http_request_query(req, "limit");
    if (text) {
        char *end = NULL;
        limit = strtol(text, &end, 10);
        if (!*text || *end || limit < 1 || limit > AUDIT_LIMIT_MAX)
            return error_set(err, ERR_INVALID_FIELD, "limit must be a number from 1 to %d",
                             AUDIT_LIMIT_MAX);
    }
    json_t *entries = json_array();
    if (!entries)
        return error_set(err, ERR_INTERNAL, "out of memory");
    if (store_audit_list(app->store, req->principal->tenant_id, (int)limit, add_record, entries,
                         err) < 0) {
        json_decref(entries);
        return -1;
    }
    return http_respond_json(res, 200, json_pack("{s:o}", "entries", entries), err);
}
