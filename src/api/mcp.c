/* api/mcp.c - POST /mcp: a Model Context Protocol server over the streamable HTTP transport.
 *
 * Two revisions of the protocol are served on the one endpoint, chosen by how the client
 * opens (a dual-era server, as the 2026-07-28 versioning page describes):
 *
 * - 2026-07-28 (modern, stateless): every request carries its version in
 *   params._meta["io.modelcontextprotocol/protocolVersion"] and, mirrored, the headers
 *   MCP-Protocol-Version, Mcp-Method and (tools/call) Mcp-Name, which must match the body
 *   (400 with JSON-RPC -32020 HeaderMismatch); an unknown version is 400 -32022 with the
 *   supported ones; an unknown method 404 -32601. server/discover, tools/list, tools/call;
 *   every result carries resultType, lists ttlMs and cacheScope. No sessions: an
 *   Mcp-Session-Id is ignored.
 * - 2025-11-25 and earlier (legacy, what the TypeScript SDK speaks): initialize negotiates
 *   the version (the client's when supported, else the newest) and answers an Mcp-Session-Id;
 *   every later request echoes it (missing: 400; unknown or expired: 404) and may carry
 *   MCP-Protocol-Version (absent: 2025-03-26; unsupported: 400). notifications/initialized,
 *   ping, tools/list, tools/call. A session id is not stored: it is the negotiated version,
 *   its time and the token's id under an HMAC of the master key, so any process on the
 *   store accepts it, and it is bound to the token that opened it. No server stream: GET
 *   and DELETE are 405 (the router's), which both revisions allow.
 *
 * Answers are JSON; a client whose Accept lists text/event-stream but not application/json
 * gets the one response as a server-sent event. Notifications are 202 with no body.
 * Authentication is the tenant's bearer token on every request (the server's, before this
 * handler); the plan must include API access (Business and up), else 403 plan_required.
 * Tool failures are results with isError, never protocol errors (mcp_tools.c). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "api/mcp_tools.h"
#include "core/clock.h"
#include "core/json.h"

#define MODERN "2026-07-28"
#define SERVER_NAME "connectord"
#define SESSION_MAX_AGE_MS (24LL * 3600 * 1000)
#define LIST_TTL_MS 300000

/* JSON-RPC error codes: JSON-RPC 2.0's and those the MCP specification allocates. */
#define RPC_PARSE_ERROR -32700
#define RPC_INVALID_REQUEST -32600
#define RPC_METHOD_NOT_FOUND -32601
#define RPC_INVALID_PARAMS -32602
#define RPC_INTERNAL -32603
#define RPC_HEADER_MISMATCH -32020
#define RPC_UNSUPPORTED_VERSION -32022
#define RPC_SESSION_NOT_FOUND -32001

/* Newest first; the first is what initialize offers a client whose version we lack. */
static const char *const legacy_versions[] = {"2025-11-25", "2025-06-18", "2025-03-26", NULL};

static const char instructions[] =
    "connectord: a small business's books (invoices booked from payment webhooks, revenue, "
    "expenses, VAT) and the connectors around them. Read tools answer exact amounts as "
    "{minor, currency, value}; periods are 2026, 2026-03, 2026-Q1 or from/to days.";

struct mcp_call {
    struct http_request *req;
    struct http_response *res;
    struct app *app;
    json_t *msg;         /* the request's JSON-RPC message */
    json_t *id;          /* borrowed from msg; NULL for a notification */
    const char *method;
    json_t *params;      /* borrowed; may be NULL */
    bool modern;
    const char *version; /* the revision this request is served by */
    bool sse;            /* answer as a server-sent event */
};

static bool version_is_legacy(const char *v)
{
    for (int i = 0; v && legacy_versions[i]; i++)
        if (strcmp(v, legacy_versions[i]) == 0)
            return true;
    return false;
}

/* 2025-06-18 brought structured tool output (outputSchema, structuredContent). */
static bool has_structured_output(const char *version)
{
    return strcmp(version, "2025-03-26") != 0;
}

static json_t *supported_versions(void)
{
    json_t *list = json_pack("[s]", MODERN);
    for (int i = 0; list && legacy_versions[i]; i++)
        json_array_append_new(list, json_string(legacy_versions[i]));
    return list;
}

/* Writes one JSON-RPC message as the answer (JSON or one SSE event). Takes msg. */
static int send_message(struct mcp_call *c, int status, json_t *msg, struct error *err)
{
    if (!c->sse) {
        if (http_respond_json(c->res, status, msg, err) < 0)
            return -1;
    } else {
        size_t len = 0;
        char *text = msg ? json_dump_compact(msg, &len) : NULL;
        json_decref(msg);
        if (!text)
            return error_set(err, ERR_INTERNAL, "cannot serialize the answer");
        buf_reset(&c->res->body);
        int rc = buf_printf(&c->res->body, "event: message\ndata: %s\n\n", text);
        free(text);
        if (rc < 0)
            return error_set(err, ERR_INTERNAL, "out of memory");
        c->res->status = status;
        c->res->content_type = "text/event-stream";
        http_response_add_header(c->res, "Cache-Control", "no-cache");
        http_response_add_header(c->res, "X-Accel-Buffering", "no");
    }
    return 0;
}

static int send_result(struct mcp_call *c, json_t *result, struct error *err)
{
    if (!result)
        return error_set(err, ERR_INTERNAL, "out of memory");
    if (c->modern) {
        json_object_set_new(result, "resultType", json_string("complete"));
        json_t *meta = json_pack("{s:{s:s, s:s}}", "io.modelcontextprotocol/serverInfo", "name",
                                 SERVER_NAME, "version", CONNECTORD_VERSION);
        json_object_set_new(result, "_meta", meta);
    }
    json_t *msg = json_pack("{s:s, s:O, s:o}", "jsonrpc", "2.0", "id", c->id, "result", result);
    return send_message(c, 200, msg, err);
}

/* A JSON-RPC error answer with this HTTP status; data (may be NULL) is taken. */
static int send_error(struct mcp_call *c, int status, int code, const char *message,
                      json_t *data, struct error *err)
{
    json_t *e = json_pack("{s:i, s:s}", "code", code, "message", message);
    if (e && data)
        json_object_set_new(e, "data", data);
    else
        json_decref(data);
    json_t *msg = json_pack("{s:s, s:O, s:o}", "jsonrpc", "2.0", "id",
                            c->id ? c->id : json_null(), "error", e);
    return send_message(c, status, msg, err);
}

/* ---- legacy sessions -------------------------------------------------------------------- */

/* "<version>.<issued ms>.<token id>.<hmac hex>": visible ASCII, as the transport requires. */
static int session_mac(const struct app *app, const char *payload, char hex[65])
{
    unsigned char mac[CRYPTO_SHA256_LEN];
    char data[256];
    int n = snprintf(data, sizeof data, "mcp-session|%s", payload);
    if (n < 0 || (size_t)n >= sizeof data ||
        crypto_hmac_sha256(app->master_key, sizeof app->master_key, data, (size_t)n, mac) < 0)
        return -1;
    crypto_hex(mac, sizeof mac, hex);
    return 0;
}

static int session_new(const struct app *app, const struct principal *p, const char *version,
                       char *out, size_t cap)
{
    char payload[160], hex[65];
    snprintf(payload, sizeof payload, "%s.%lld.%s", version, (long long)clock_now_ms(),
             p->token_id);
    if (session_mac(app, payload, hex) < 0)
        return -1;
    return snprintf(out, cap, "%s.%s", payload, hex) < (int)cap ? 0 : -1;
}

_Static_assert(CRYPTO_ID_MAX == 48, "session_check reads a token id with %47s");

/* The session's negotiated version (into version[16]) when id is one this server made for
 * this token and it has not expired. */
static bool session_check(const struct app *app, const struct principal *p, const char *id,
                          char version[16])
{
    char payload[160], hex[65], token[CRYPTO_ID_MAX];
    const char *dot = strrchr(id, '.');
    long long issued = 0;
    if (!dot || (size_t)(dot - id) >= sizeof payload || strlen(dot + 1) != 64)
        return false;
    memcpy(payload, id, (size_t)(dot - id));
    payload[dot - id] = '\0';
    if (session_mac(app, payload, hex) < 0 || !crypto_ct_equal(hex, 64, dot + 1, 64))
        return false;
    if (sscanf(payload, "%15[^.].%lld.%47s", version, &issued, token) != 3)
        return false;
    return strcmp(token, p->token_id) == 0 && version_is_legacy(version) &&
           clock_now_ms() - issued < SESSION_MAX_AGE_MS;
}

/* ---- methods ------------------------------------------------------------------------------ */

static int do_initialize(struct mcp_call *c, struct error *err)
{
    const char *asked = json_string_value(json_object_get(c->params, "protocolVersion"));
    const char *version = version_is_legacy(asked) ? asked : legacy_versions[0];
    char session[256];
    if (!asked)
        return send_error(c, 400, RPC_INVALID_PARAMS,
                          "initialize needs params.protocolVersion", NULL, err);
    if (session_new(c->app, c->req->principal, version, session, sizeof session) < 0)
        return error_set(err, ERR_INTERNAL, "cannot make a session id");
    json_t *result = json_pack("{s:s, s:{s:{s:b}}, s:{s:s, s:s, s:s}, s:s}", "protocolVersion",
                               version, "capabilities", "tools", "listChanged", false,
                               "serverInfo", "name", SERVER_NAME, "title", "connectord",
                               "version", CONNECTORD_VERSION, "instructions", instructions);
    http_response_add_header(c->res, "Mcp-Session-Id", session);
    return send_result(c, result, err);
}

static int do_discover(struct mcp_call *c, struct error *err)
{
    json_t *result = json_pack("{s:o, s:{s:{}}, s:s, s:i, s:s}", "supportedVersions",
                               supported_versions(), "capabilities", "tools", "instructions",
                               instructions, "ttlMs", LIST_TTL_MS, "cacheScope", "public");
    return send_result(c, result, err);
}

static int do_tools_list(struct mcp_call *c, struct error *err)
{
    json_t *tools = mcp_tools_list(c->req->principal, has_structured_output(c->version));
    if (!tools)
        return error_set(err, ERR_INTERNAL, "out of memory");
    json_t *result = json_pack("{s:o}", "tools", tools);
    if (result && c->modern) {
        /* The list depends on the token's role: cacheable only for this token. */
        json_object_set_new(result, "ttlMs", json_integer(LIST_TTL_MS));
        json_object_set_new(result, "cacheScope", json_string("private"));
    }
    return send_result(c, result, err);
}

static int do_tools_call(struct mcp_call *c, struct error *err)
{
    const char *name = json_string_value(json_object_get(c->params, "name"));
    json_t *args = json_object_get(c->params, "arguments");
    if (!name || !mcp_tool_exists(name))
        return send_error(c, 200, RPC_INVALID_PARAMS, "unknown tool",
                          json_pack("{s:s?}", "name", name), err);
    if (args && !json_is_object(args))
        return send_error(c, 200, RPC_INVALID_PARAMS, "arguments must be an object", NULL, err);
    json_t *structured = NULL;
    char message[512];
    json_t *result;
    if (mcp_tool_call(c->app, c->req->principal, name, args, &structured, message,
                      sizeof message) < 0) {
        result = json_pack("{s:[{s:s, s:s}], s:b}", "content", "type", "text", "text", message,
                           "isError", true);
    } else {
        size_t len = 0;
        char *text = json_dump_compact(structured, &len);
        result = json_pack("{s:[{s:s, s:s%}], s:b}", "content", "type", "text", "text",
                           text ? text : "", text ? len : (size_t)0, "isError", false);
        free(text);
        if (result && has_structured_output(c->version))
            json_object_set(result, "structuredContent", structured);
        json_decref(structured);
    }
    return send_result(c, result, err);
}

struct method {
    const char *name;
    int (*run)(struct mcp_call *c, struct error *err);
    bool legacy;
    bool modern;
};

static const struct method methods[] = {
    {"initialize", do_initialize, true, false},
    {"ping", NULL, true, false}, /* answered {} below */
    {"server/discover", do_discover, false, true},
    {"tools/list", do_tools_list, true, true},
    {"tools/call", do_tools_call, true, true},
};

static const struct method *method_find(const char *name, bool modern)
{
    for (size_t i = 0; name && i < sizeof methods / sizeof methods[0]; i++)
        if (strcmp(methods[i].name, name) == 0 && (modern ? methods[i].modern : methods[i].legacy))
            return &methods[i];
    return NULL;
}

static int dispatch(struct mcp_call *c, struct error *err)
{
    if (!c->id) /* a notification (notifications/initialized, cancelled, ...): accepted */
        return http_respond_empty(c->res, 202);
    const struct method *m = method_find(c->method, c->modern);
    if (!m)
        return send_error(c, c->modern ? 404 : 200, RPC_METHOD_NOT_FOUND, "method not found",
                          json_pack("{s:s?}", "method", c->method), err);
    if (!m->run)
        return send_result(c, json_object(), err);
    return m->run(c, err);
}

/* ---- the two eras' checks ------------------------------------------------------------------ */

/* "=?base64?...?=" headers carry names that are not plain ASCII. */
static bool header_equals(const char *header, const char *value)
{
    size_t hl = header ? strlen(header) : 0;
    if (!header || !value)
        return false;
    if (hl > 12 && strncmp(header, "=?base64?", 9) == 0 && strcmp(header + hl - 2, "?=") == 0) {
        unsigned char decoded[512];
        long n = crypto_b64_decode(header + 9, hl - 11, decoded, sizeof decoded);
        return n >= 0 && (size_t)n == strlen(value) && memcmp(decoded, value, (size_t)n) == 0;
    }
    return strcmp(header, value) == 0;
}

static int serve_modern(struct mcp_call *c, const char *meta_version, struct error *err)
{
    const char *h_version = http_request_header(c->req, "MCP-Protocol-Version");
    const char *h_method = http_request_header(c->req, "Mcp-Method");
    json_t *meta = json_object_get(c->params, "_meta");
    char why[256];
    if (!h_version || !meta_version || strcmp(h_version, meta_version) != 0) {
        snprintf(why, sizeof why, "Header mismatch: MCP-Protocol-Version header '%.40s' does "
                 "not match _meta io.modelcontextprotocol/protocolVersion '%.40s'",
                 h_version ? h_version : "(missing)", meta_version ? meta_version : "(missing)");
        return send_error(c, 400, RPC_HEADER_MISMATCH, why, NULL, err);
    }
    if (strcmp(meta_version, MODERN) != 0)
        return send_error(c, 400, RPC_UNSUPPORTED_VERSION, "Unsupported protocol version",
                          json_pack("{s:o, s:s}", "supported", supported_versions(),
                                    "requested", meta_version), err);
    if (!h_method || strcmp(h_method, c->method) != 0) {
        snprintf(why, sizeof why, "Header mismatch: Mcp-Method header '%.40s' does not match "
                 "body value '%.40s'", h_method ? h_method : "(missing)", c->method);
        return send_error(c, 400, RPC_HEADER_MISMATCH, why, NULL, err);
    }
    if (strcmp(c->method, "tools/call") == 0) {
        const char *h_name = http_request_header(c->req, "Mcp-Name");
        const char *name = json_string_value(json_object_get(c->params, "name"));
        if (!header_equals(h_name, name)) {
            snprintf(why, sizeof why, "Header mismatch: Mcp-Name header '%.64s' does not match "
                     "body value '%.64s'", h_name ? h_name : "(missing)", name ? name : "");
            return send_error(c, 400, RPC_HEADER_MISMATCH, why, NULL, err);
        }
    }
    if (c->id && !json_is_object(json_object_get(meta, "io.modelcontextprotocol/clientCapabilities")))
        return send_error(c, 400, RPC_INVALID_PARAMS,
                          "params._meta must carry io.modelcontextprotocol/clientCapabilities",
                          NULL, err);
    c->version = MODERN;
    return dispatch(c, err);
}

static int serve_legacy(struct mcp_call *c, struct error *err)
{
    if (c->method && strcmp(c->method, "initialize") == 0) {
        if (!c->id)
            return send_error(c, 400, RPC_INVALID_REQUEST, "initialize must be a request", NULL,
                              err);
        return do_initialize(c, err);
    }
    const char *session = http_request_header(c->req, "Mcp-Session-Id");
    char version[16];
    if (!session)
        return send_error(c, 400, RPC_INVALID_REQUEST,
                          "Bad Request: Mcp-Session-Id header is required (send initialize "
                          "first, or use protocol version " MODERN " with its _meta)", NULL, err);
    if (!session_check(c->app, c->req->principal, session, version))
        return send_error(c, 404, RPC_SESSION_NOT_FOUND,
                          "Session not found: initialize again", NULL, err);
    const char *h_version = http_request_header(c->req, "MCP-Protocol-Version");
    if (h_version && !version_is_legacy(h_version))
        return send_error(c, 400, RPC_INVALID_REQUEST,
                          "Bad Request: unsupported MCP-Protocol-Version for this session",
                          json_pack("{s:o, s:s}", "supported", supported_versions(),
                                    "requested", h_version), err);
    c->version = h_version ? h_version : "2025-03-26";
    return dispatch(c, err);
}

/* ---- the handler ---------------------------------------------------------------------------- */

/* Answers JSON unless the client takes only server-sent events; -1 when it takes neither. */
static int choose_format(const struct http_request *req, bool *sse)
{
    const char *accept = http_request_header(req, "Accept");
    *sse = false;
    if (!accept || strstr(accept, "application/json") || strstr(accept, "*/*") ||
        strstr(accept, "application/*"))
        return 0;
    if (strstr(accept, "text/event-stream")) {
        *sse = true;
        return 0;
    }
    return -1;
}

/* A browser page of another site must not drive the endpoint with a token it holds. */
static bool origin_ok(const struct http_request *req, const struct app *app)
{
    const char *origin = http_request_header(req, "Origin");
    if (!origin)
        return true;
    size_t n = strlen(origin);
    return app->public_url && strncmp(app->public_url, origin, n) == 0 &&
           (app->public_url[n] == '\0' || app->public_url[n] == '/');
}

int api_mcp(struct http_request *req, struct http_response *res, struct error *err)
{
    struct app *app = req->app;
    struct mcp_call c = {.req = req, .res = res, .app = app};
    int rc = -1;
    if (!origin_ok(req, app))
        return error_set(err, ERR_FORBIDDEN, "the Origin header names another site");
    const struct plan *plan = auth_plan_find(req->principal->tenant.plan);
    if (!plan || !plan->api_access) {
        res->error_extra = json_pack("{s:s}", "requiredPlan", "business");
        return error_set(err, ERR_PLAN_REQUIRED,
                         "MCP is API access, which needs the Business plan; this tenant has %s",
                         req->principal->tenant.plan);
    }
    if (choose_format(req, &c.sse) < 0)
        return send_error(&c, 406, RPC_INVALID_REQUEST,
                          "Not Acceptable: Accept must list application/json or "
                          "text/event-stream", NULL, err);
    json_error_t jerr;
    c.msg = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
    if (!c.msg)
        return send_error(&c, 400, RPC_PARSE_ERROR, "Parse error: the body is not JSON", NULL,
                          err);
    c.id = json_object_get(c.msg, "id");
    c.method = json_string_value(json_object_get(c.msg, "method"));
    c.params = json_object_get(c.msg, "params");
    if (!json_is_object(c.msg) || !json_is_string(json_object_get(c.msg, "jsonrpc")) ||
        strcmp(json_string_value(json_object_get(c.msg, "jsonrpc")), "2.0") != 0 || !c.method ||
        (c.id && !json_is_string(c.id) && !json_is_integer(c.id)) ||
        (c.params && !json_is_object(c.params))) {
        /* a batch, a response, or not JSON-RPC 2.0 at all */
        c.id = json_is_string(c.id) || json_is_integer(c.id) ? c.id : NULL;
        rc = send_error(&c, 400, RPC_INVALID_REQUEST,
                        "Invalid Request: the body must be one JSON-RPC 2.0 request or "
                        "notification", NULL, err);
        goto out;
    }
    const char *meta_version = json_string_value(json_object_get(
        json_object_get(c.params, "_meta"), "io.modelcontextprotocol/protocolVersion"));
    const char *h_version = http_request_header(req, "MCP-Protocol-Version");
    /* Modern when the request says so in either place; initialize opens a legacy session. */
    c.modern = meta_version || (h_version && !version_is_legacy(h_version) &&
                                strcmp(c.method, "initialize") != 0);
    rc = c.modern ? serve_modern(&c, meta_version, err) : serve_legacy(&c, err);
out:
    json_decref(c.msg);
    return rc;
}
