/* tests/fuzz/fuzz_mcp.c - POST /mcp (src/api/mcp.c, mcp_tools.c): what an MCP client sends,
 * headers and body, through the real handler for a Business tenant's admin token on a fresh
 * SQLite store (made once per process, empty books: the tools run their real queries).
 *
 * Input: header lines "Name: value" (MCP-Protocol-Version, Mcp-Method, Mcp-Name,
 * Mcp-Session-Id, Accept, Origin), an empty line, the body. Seeds: each revision's requests
 * as the specifications write them (tests/fuzz/corpus/mcp). Promises: the handler answers
 * 200, 202 (no body), 400, 404 or 406, or fails with a refused Origin; every answer with a
 * body is one JSON-RPC 2.0 message (or one server-sent event holding it) whose id is the
 * request's when that was a string or integer; a result of a request served as 2026-07-28
 * carries resultType "complete"; a session id is only ever answered to initialize. */
#include <stdio.h>
#include <unistd.h>

#include "api/api.h"
#include "auth/auth.h"
#include "fuzz.h"
#include "store/installs.h"
#include "store/store.h"

#define MAX_HEADERS 8

static struct app app;
static struct principal principal;

static void setup(void)
{
    char dir[] = "/tmp/fuzz-mcp-XXXXXX", dsn[64];
    struct error err = {0};
    struct tenant t;
    char token[CRYPTO_TOKEN_LEN + 1];
    must(mkdtemp(dir) != NULL);
    snprintf(dsn, sizeof dsn, "sqlite:%s/store.db", dir);
    must(store_open(dsn, 1, &app.store, &err) == 0);
    must(store_migrate(app.store, NULL, &err) == 0);
    must(auth_tenant_create(app.store, "Fuzz GmbH", "business", &t, token, &err) == 0);
    app.public_url = "http://127.0.0.1:8080";
    snprintf(principal.tenant_id, sizeof principal.tenant_id, "%s", t.id);
    snprintf(principal.token_id, sizeof principal.token_id, "tok_fuzz");
    principal.role = AUTH_ROLE_ADMIN;
    principal.tenant = t;
}

/* The body's id when it is one a response may echo. */
static json_t *request_id(const char *body, size_t len)
{
    json_t *msg = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
    json_t *id = json_object_get(msg, "id");
    json_t *out = (json_is_string(id) || json_is_integer(id)) ? json_incref(id) : NULL;
    json_decref(msg);
    return out;
}

static void check_answer(const struct http_response *res, const json_t *id, const char *body,
                         size_t body_len)
{
    const char *text = res->body.data ? res->body.data : "";
    size_t len = res->body.len;
    bool sse = res->content_type && strcmp(res->content_type, "text/event-stream") == 0;
    must(res->status == 200 || res->status == 202 || res->status == 400 ||
         res->status == 404 || res->status == 406);
    if (res->status == 202) {
        must(len == 0);
        return;
    }
    if (sse) {
        must(len > 20 && strncmp(text, "event: message\ndata: ", 21) == 0);
        must(strcmp(text + len - 2, "\n\n") == 0);
        text += 21;
        len -= 23;
    }
    json_t *msg = json_loadb(text, len, 0, NULL);
    must(msg != NULL);
    must(json_is_string(json_object_get(msg, "jsonrpc")));
    must(strcmp(json_string_value(json_object_get(msg, "jsonrpc")), "2.0") == 0);
    json_t *got = json_object_get(msg, "id");
    if (id && res->status == 200)
        must(json_equal(got, id));
    json_t *result = json_object_get(msg, "result");
    must((result != NULL) != (json_object_get(msg, "error") != NULL));
    json_t *req = json_loadb(body, body_len, 0, NULL);
    const char *version = json_string_value(json_object_get(
        json_object_get(json_object_get(req, "params"), "_meta"),
        "io.modelcontextprotocol/protocolVersion"));
    if (result && version)
        must(strcmp(json_string_value(json_object_get(result, "resultType")), "complete") == 0);
    bool is_init = json_is_string(json_object_get(req, "method")) &&
                   strcmp(json_string_value(json_object_get(req, "method")), "initialize") == 0;
    for (size_t i = 0; i < res->n_headers; i++)
        if (strcmp(res->headers[i].name, "Mcp-Session-Id") == 0)
            must(is_init && result);
    json_decref(req);
    json_decref(msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool ready;
    if (!ready) {
        setup();
        ready = true;
    }
    if (size > FUZZ_INPUT_MAX)
        return 0;
    char *text = fuzz_text_copy(data, size);
    if (!text)
        return 0;
    struct http_param headers[MAX_HEADERS];
    size_t n_headers = 0;
    char *rest = text;
    for (;;) {
        char *line = fuzz_field(&rest, false);
        char *colon = strchr(line, ':');
        if (!*line || !rest)
            break;
        if (!colon || n_headers == MAX_HEADERS)
            continue;
        *colon = '\0';
        char *value = colon + 1;
        while (*value == ' ')
            value++;
        headers[n_headers++] = (struct http_param){.name = line, .value = value};
    }
    size_t body_len = rest ? size - (size_t)(rest - text) : 0;
    char *body = malloc(body_len + 1); /* exactly the body, so ASan sees a read past it */
    if (!body) {
        free(text);
        return 0;
    }
    if (body_len)
        memcpy(body, rest, body_len);
    body[body_len] = '\0';
    struct http_request req = {.method = "POST", .path = "/mcp", .body = body,
                               .body_len = body_len, .principal = &principal, .app = &app,
                               .headers = headers, .n_headers = n_headers};
    struct http_response res = {0};
    struct error err = {0};
    buf_init(&res.body, HTTP_RESPONSE_BODY_CAP);
    json_t *id = request_id(body, body_len);
    int rc = api_mcp(&req, &res, &err);
    if (rc == 0)
        check_answer(&res, id, body, body_len);
    else
        must(err.code == ERR_FORBIDDEN || err.code == ERR_INTERNAL);
    json_decref(id);
    json_decref(res.error_extra);
    buf_free(&res.body);
    free(body);
    free(text);
    return 0;
}
