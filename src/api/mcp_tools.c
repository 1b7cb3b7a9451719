/* api/mcp_tools.c - the MCP server's tools: the assistant's read queries, and REST routes
 * called through their own handlers (see mcp_tools.h). */
#include <stdio.h>
#include <string.h>

#include "api/mcp_tools.h"
#include "assistant/queries.h"
#include "core/json.h"
#include "core/log.h"

/* The one output schema of the query tools: what assistant_query_run answers. */
static const char query_output[] =
    "{\"type\":\"object\",\"properties\":{\"query\":{\"type\":\"string\",\"description\":"
    "\"the query that produced it\"}},\"required\":[\"query\"],\"description\":\"Amounts are "
    "objects {minor, currency, value}: exact minor units, ISO 4217, decimal text.\"}";

/* A tool that is a route of the routing table. Its arguments fill the route's path
 * parameters (`params`, in the pattern's order; projectId may be left out: the tenant's
 * default project), its query parameters (`query`), and for a POST nothing else: the
 * routes these tools call take no body members. The answer is the route's JSON; a bare
 * array is wrapped as {wrap: [...]}, structured content being an object. */
struct rest_tool {
    const char *name;
    const char *title;
    const char *description;
    const char *input_schema;
    const char *output_schema;
    const char *method;
    const char *pattern;
    const char *const params[3];
    const char *const query[3];
    const char *wrap;
    bool writes;
};

#define LIMIT_PROP "\"limit\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":100}"
#define PROJECT_PROP                                                                          \
    "\"projectId\":{\"type\":\"string\",\"description\":\"the project (default: the tenant's " \
    "default project)\"}"

static const struct rest_tool rest_tools[] = {
    {.name = "webhook_logs",
     .title = "Webhook log of a payment connector",
     .description = "What arrived at a payment connector's webhook URL, newest first: event, "
                    "status (processed, duplicate, failed, invalid_signature), what it did to "
                    "the books (action), the error. GET /api/connectors/{slug}/webhook-logs.",
     .input_schema = "{\"type\":\"object\",\"properties\":{\"slug\":{\"type\":\"string\","
                     "\"description\":\"the connector, e.g. stripe\"},\"status\":{\"type\":"
                     "\"string\",\"enum\":[\"processed\",\"duplicate\",\"failed\","
                     "\"invalid_signature\"]}," LIMIT_PROP "},\"required\":[\"slug\"],"
                     "\"additionalProperties\":false}",
     .output_schema = "{\"type\":\"object\",\"properties\":{\"logs\":{\"type\":\"array\","
                      "\"items\":{\"type\":\"object\"}}},\"required\":[\"logs\"]}",
     .method = "GET",
     .pattern = "/api/connectors/:slug/webhook-logs",
     .params = {"slug"},
     .query = {"status", "limit"},
     .wrap = "logs"},
    {.name = "deliveries",
     .title = "Deliveries of a destination",
     .description = "The outgoing deliveries of one destination, newest first, with their "
                    "status (pending, delivering, delivered, failed, dead), attempts and last "
                    "error. GET /api/projects/{projectId}/connectors/{connectorId}/deliveries.",
     .input_schema = "{\"type\":\"object\",\"properties\":{\"connectorId\":{\"type\":\"string\","
                     "\"description\":\"the destination (con_...)\"}," PROJECT_PROP ","
                     "\"status\":{\"type\":\"string\",\"enum\":[\"pending\",\"delivering\","
                     "\"delivered\",\"failed\",\"dead\"]},\"eventType\":{\"type\":\"string\"},"
                     LIMIT_PROP "},\"required\":[\"connectorId\"],\"additionalProperties\":false}",
     .output_schema = "{\"type\":\"object\",\"properties\":{\"deliveries\":{\"type\":\"array\"},"
                      "\"nextCursor\":{\"type\":[\"string\",\"null\"]}},\"required\":"
                      "[\"deliveries\"]}",
     .method = "GET",
     .pattern = "/api/projects/:projectId/connectors/:connectorId/deliveries",
     .params = {"projectId", "connectorId"},
     .query = {"status", "eventType", "limit"}},
    {.name = "retry_delivery",
     .title = "Send a delivery again",
     .description = "Sends one delivery now: a pending one without waiting for its next retry, "
                    "a failed or dead one again. Answers the delivery. Admin tokens only. POST "
                    "/api/projects/{projectId}/connectors/{connectorId}/deliveries/{deliveryId}/"
                    "retry.",
     .input_schema = "{\"type\":\"object\",\"properties\":{\"connectorId\":{\"type\":\"string\"},"
                     "\"deliveryId\":{\"type\":\"string\",\"description\":\"dlv_...\"},"
                     PROJECT_PROP "},\"required\":[\"connectorId\",\"deliveryId\"],"
                     "\"additionalProperties\":false}",
     .output_schema = "{\"type\":\"object\",\"properties\":{\"id\":{\"type\":\"string\"},"
                      "\"status\":{\"type\":\"string\"}},\"required\":[\"id\",\"status\"]}",
     .method = "POST",
     .pattern = "/api/projects/:projectId/connectors/:connectorId/deliveries/:deliveryId/retry",
     .params = {"projectId", "connectorId", "deliveryId"},
     .writes = true},
    {.name = "start_sync",
     .title = "Start a sync",
     .description = "A pulling connector (Clockify, mite, Toggl, Timely, ...) syncs now; "
                    "answers the queued run (or the one already queued or running). Admin "
                    "tokens only. POST /api/connectors/{slug}/sync.",
     .input_schema = "{\"type\":\"object\",\"properties\":{\"slug\":{\"type\":\"string\","
                     "\"description\":\"the connector, e.g. clockify\"}},\"required\":"
                     "[\"slug\"],\"additionalProperties\":false}",
     .output_schema = "{\"type\":\"object\",\"properties\":{\"id\":{\"type\":\"string\"},"
                      "\"status\":{\"type\":\"string\"}},\"required\":[\"id\",\"status\"]}",
     .method = "POST",
     .pattern = "/api/connectors/:slug/sync",
     .params = {"slug"},
     .writes = true},
};
#define N_REST_TOOLS (sizeof rest_tools / sizeof rest_tools[0])

static const struct route *route_of(const struct rest_tool *t)
{
    size_t n = 0;
    const struct route *routes = api_routes(&n);
    for (size_t i = 0; i < n; i++)
        if (strcmp(routes[i].method, t->method) == 0 && strcmp(routes[i].pattern, t->pattern) == 0)
            return &routes[i];
    return NULL;
}

static bool may_use(const struct principal *p, enum auth_role role, bool writes)
{
    return p->role >= role && !(writes && p->read_only);
}

static json_t *tool_json(const char *name, const char *title, const char *description,
                         const char *input, const char *output, bool writes, bool with_output)
{
    json_t *in = json_loads(input, 0, NULL);
    json_t *out = with_output && output ? json_loads(output, 0, NULL) : NULL;
    json_t *t = json_pack("{s:s, s:s, s:s, s:o, s:{s:b, s:b, s:b, s:b}}", "name", name,
                          "title", title, "description", description, "inputSchema", in,
                          "annotations", "readOnlyHint", !writes, "destructiveHint", false,
                          "idempotentHint", !writes, "openWorldHint", false);
    if (t && out)
        json_object_set_new(t, "outputSchema", out);
    else
        json_decref(out);
    return t;
}

json_t *mcp_tools_list(const struct principal *p, bool with_output)
{
    json_t *list = json_array();
    size_t n = 0;
    const struct assistant_query *q = assistant_queries(&n);
    for (size_t i = 0; list && i < n; i++) {
        json_t *t = tool_json(q[i].name, q[i].title_en, q[i].description, q[i].input_schema,
                              query_output, false, with_output);
        if (!t || json_array_append_new(list, t) < 0)
            goto oom;
    }
    for (size_t i = 0; list && i < N_REST_TOOLS; i++) {
        const struct rest_tool *r = &rest_tools[i];
        const struct route *route = route_of(r);
        if (!route || !may_use(p, route->role, r->writes))
            continue;
        json_t *t = tool_json(r->name, r->title, r->description, r->input_schema,
                              r->output_schema, r->writes, with_output);
        if (!t || json_array_append_new(list, t) < 0)
            goto oom;
    }
    return list;
oom:
    json_decref(list);
    return NULL;
}

static const struct rest_tool *rest_tool_find(const char *name)
{
    for (size_t i = 0; i < N_REST_TOOLS; i++)
        if (strcmp(rest_tools[i].name, name) == 0)
            return &rest_tools[i];
    return NULL;
}

bool mcp_tool_exists(const char *name)
{
    return assistant_query_find(name) || rest_tool_find(name);
}

/* An argument as the text a path or query parameter carries; NULL when absent or not a
 * string or whole number. buf holds a number's text. */
static const char *arg_text(const json_t *args, const char *key, char *buf, size_t cap)
{
    const json_t *v = json_object_get(args, key);
    if (json_is_string(v))
        return json_string_value(v);
    if (json_is_integer(v)) {
        snprintf(buf, cap, "%lld", (long long)json_integer_value(v));
        return buf;
    }
    return NULL;
}

/* The arguments must be those the input schema names. */
static int check_args(const char *schema_text, const json_t *args, char *message, size_t cap)
{
    json_t *schema = json_loads(schema_text, 0, NULL);
    json_t *props = json_object_get(schema, "properties");
    json_t *required = json_object_get(schema, "required");
    const char *key;
    json_t *value;
    size_t i;
    int rc = 0;
    json_object_foreach((json_t *)args, key, value) {
        if (!json_object_get(props, key)) {
            snprintf(message, cap, "unknown argument '%.64s'", key);
            rc = -1;
            goto out;
        }
    }
    json_array_foreach(required, i, value) {
        if (!json_object_get(args, json_string_value(value))) {
            snprintf(message, cap, "the argument '%s' is required",
                     json_string_value(value));
            rc = -1;
            goto out;
        }
    }
out:
    json_decref(schema);
    return rc;
}

/* The route's error answer (res->body) as the tool's message. */
static void route_error(const struct error *err, char *message, size_t cap)
{
    int status = error_http_status(err->code);
    if (status >= 500 && status != 502 && status != 503)
        snprintf(message, cap, "%s: the server failed; try again later", error_code_str(err->code));
    else
        snprintf(message, cap, "%s: %s", error_code_str(err->code), err->message);
}

static int call_rest(struct app *app, const struct principal *p, const struct rest_tool *t,
                     const json_t *args, json_t **structured, char *message, size_t cap)
{
    const struct route *route = route_of(t);
    struct http_param params[3] = {{0}}, query[3] = {{0}};
    char nums[3][24], pnums[3][24];
    size_t n_params = 0, n_query = 0;
    struct error err = {0};
    int rc = -1;
    if (!route) {
        snprintf(message, cap, "this tool is not available");
        return -1;
    }
    if (!may_use(p, route->role, t->writes)) {
        snprintf(message, cap, "%s needs an admin token%s; this token is %s%s", t->name,
                 t->writes ? " that is not read-only" : "", auth_role_name(p->role),
                 p->read_only ? ", read-only" : "");
        return -1;
    }
    if (check_args(t->input_schema, args, message, cap) < 0)
        return -1;
    for (size_t i = 0; i < 3 && t->params[i]; i++) {
        const char *v = arg_text(args, t->params[i], pnums[i], sizeof pnums[i]);
        if (!v && strcmp(t->params[i], "projectId") == 0)
            v = p->tenant_id;
        if (!v || !*v) {
            snprintf(message, cap, "the argument '%s' must be a string", t->params[i]);
            return -1;
        }
        params[n_params++] = (struct http_param){.name = t->params[i], .value = v};
    }
    for (size_t i = 0; i < 3 && t->query[i]; i++) {
        const char *v = arg_text(args, t->query[i], nums[i], sizeof nums[i]);
        if (v)
            query[n_query++] = (struct http_param){.name = t->query[i], .value = v};
    }
    struct http_request req = {
        .method = t->method, .path = t->pattern, .n_params = n_params, .body = "",
        .principal = p, .app = app, .query = query, .n_query = n_query,
    };
    memcpy(req.params, params, sizeof params);
    snprintf(req.request_id, sizeof req.request_id, "mcp");
    struct http_response res = {0};
    buf_init(&res.body, HTTP_RESPONSE_BODY_CAP);
    if (route->handler(&req, &res, &err) != 0) {
        route_error(&err, message, cap);
        goto out;
    }
    json_t *body = json_loadb(res.body.data ? res.body.data : "", res.body.len, 0, NULL);
    if (body && t->wrap)
        body = json_pack("{s:o}", t->wrap, body);
    if (!body) {
        snprintf(message, cap, "the answer could not be read");
        goto out;
    }
    *structured = body;
    rc = 0;
out:
    json_decref(res.error_extra);
    buf_free(&res.body);
    return rc;
}

int mcp_tool_call(struct app *app, const struct principal *p, const char *name,
                  const json_t *args, json_t **structured, char *message, size_t message_cap)
{
    *structured = NULL;
    const struct rest_tool *rest = rest_tool_find(name);
    if (rest)
        return call_rest(app, p, rest, args, structured, message, message_cap);
    struct error err = {0};
    if (assistant_query_run(app->store, p->tenant_id, name, args, structured, &err) < 0) {
        if (err.code == ERR_STORE || err.code == ERR_INTERNAL)
            log_error("mcp: %s: %s", name, err.message);
        route_error(&err, message, message_cap);
        return -1;
    }
    return 0;
}
