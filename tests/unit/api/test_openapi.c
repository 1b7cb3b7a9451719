/* tests/unit/api/test_openapi.c - the compiled-in OpenAPI document against the routing table
 * (src/api/openapi.c, build/gen/openapi.c), and the MCP tool list by role (src/api/
 * mcp_tools.c): which tools a token is offered depends only on its role and scope. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "api/mcp_tools.h"
#include "api/openapi.h"

static void test_path_conversion(void **state)
{
    char out[64];
    assert_int_equal(openapi_path("/api/x/:id/y", out, sizeof out), 0);
    assert_string_equal(out, "/api/x/{id}/y");
    assert_int_equal(openapi_path("/api/a/:projectId/c/:connectorId", out, sizeof out), 0);
    assert_string_equal(out, "/api/a/{projectId}/c/{connectorId}");
    assert_int_equal(openapi_path("/healthz", out, sizeof out), 0);
    assert_string_equal(out, "/healthz");
    assert_int_equal(openapi_path("/a/b:c", out, sizeof out), 0); /* a colon inside a segment */
    assert_string_equal(out, "/a/b:c");
    assert_int_equal(openapi_path("/api/connectors/:slug", out, 17), -1); /* does not fit */
    assert_int_equal(openapi_path("/api/connectors/:slug", out, 23), 0);
}

/* Every route has its operation in the document, and every operation its route. */
static void test_document_names_every_route(void **state)
{
    json_t *doc = json_loadb(openapi_document, openapi_document_len, 0, NULL);
    json_t *routes = openapi_routes_json();
    assert_non_null(doc);
    assert_non_null(routes);
    assert_string_equal(json_string_value(json_object_get(doc, "openapi")), "3.1.0");
    json_t *paths = json_object_get(doc, "paths");
    size_t i, operations = 0;
    json_t *r;
    json_array_foreach(routes, i, r) {
        char method[8] = {0};
        const char *m = json_string_value(json_object_get(r, "method"));
        for (size_t k = 0; m[k] && k < sizeof method - 1; k++)
            method[k] = (char)(m[k] | 0x20);
        json_t *item = json_object_get(paths, json_string_value(json_object_get(r, "path")));
        if (!json_object_get(item, method))
            fail_msg("%s %s is not in the document", m,
                     json_string_value(json_object_get(r, "path")));
    }
    const char *path;
    json_t *item;
    json_object_foreach(paths, path, item) {
        const char *key;
        json_t *op;
        json_object_foreach(item, key, op) {
            if (strcmp(key, "parameters") != 0 && strcmp(key, "summary") != 0 &&
                strcmp(key, "description") != 0)
                operations++;
        }
    }
    assert_int_equal(operations, json_array_size(routes));
    json_decref(routes);
    json_decref(doc);
}

static bool has_tool(const json_t *tools, const char *name)
{
    size_t i;
    json_t *t;
    json_array_foreach(tools, i, t)
        if (strcmp(json_string_value(json_object_get(t, "name")), name) == 0)
            return true;
    return false;
}

static void test_tools_by_role(void **state)
{
    struct principal admin = {.role = AUTH_ROLE_ADMIN};
    struct principal member = {.role = AUTH_ROLE_MEMBER};
    struct principal read_only = {.role = AUTH_ROLE_ADMIN, .read_only = true};
    json_t *a = mcp_tools_list(&admin, true);
    json_t *m = mcp_tools_list(&member, true);
    json_t *ro = mcp_tools_list(&read_only, false);
    assert_true(has_tool(a, "revenue") && has_tool(a, "retry_delivery") &&
                has_tool(a, "start_sync") && has_tool(a, "webhook_logs"));
    assert_true(has_tool(m, "revenue") && has_tool(m, "open_invoices"));
    assert_false(has_tool(m, "retry_delivery") || has_tool(m, "start_sync") ||
                 has_tool(m, "webhook_logs") || has_tool(m, "deliveries"));
    assert_true(has_tool(ro, "webhook_logs") && has_tool(ro, "deliveries"));
    assert_false(has_tool(ro, "retry_delivery") || has_tool(ro, "start_sync"));
    size_t i;
    json_t *t;
    json_array_foreach(a, i, t) {
        assert_true(json_is_object(json_object_get(t, "inputSchema")));
        assert_true(json_is_object(json_object_get(t, "outputSchema")));
    }
    json_array_foreach(ro, i, t) assert_null(json_object_get(t, "outputSchema"));
    assert_true(mcp_tool_exists("vat_due"));
    assert_false(mcp_tool_exists("drop_tables"));
    json_decref(a);
    json_decref(m);
    json_decref(ro);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_path_conversion),
        cmocka_unit_test(test_document_names_every_route),
        cmocka_unit_test(test_tools_by_role),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
