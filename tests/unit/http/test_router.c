/* tests/unit/http/test_router.c - router_match (src/http/router.c) and the parameter lookup that
 * reads its output, http_request_param (src/http/response.c).
 *
 * Each test matches a path against a small table and checks what the server would see:
 * the route index, the parameter values (NUL-terminated in the caller's path copy), the
 * 404/405 distinction and the Allow list. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "http/http.h"

static int handler_stub(struct http_request *req, struct http_response *res, struct error *err)
{
    return 0;
}

#define R(m, p) {.method = m, .pattern = p, .handler = handler_stub, .role = AUTH_ROLE_NONE}

static const struct route routes[] = {
    R("GET", "/healthz"),                                          /* 0 */
    R("GET", "/api/projects/new"),                                 /* 1 */
    R("GET", "/api/projects/:projectId"),                          /* 2 */
    R("PATCH", "/api/projects/:projectId"),                        /* 3 */
    R("GET", "/api/projects/:projectId/connectors/:connectorId"),  /* 4 */
    R("POST", "/api/projects/:projectId/connectors"),              /* 5 */
    R("GET", "/"),                                                 /* 6 */
};
#define N_ROUTES (sizeof routes / sizeof routes[0])

/* One call to router_match on a heap copy of `path`, so ASan sees any write past its end
 * and any write past the HTTP_MAX_PARAMS slots of the params array. */
struct match {
    enum route_match result;
    size_t index;
    char *path_copy;
    struct http_request req;
    char allow[64];
};

static void match_run(struct match *m, const struct route *table, size_t n, const char *method,
                      const char *path)
{
    memset(m, 0, sizeof *m);
    m->index = (size_t)-1;
    m->path_copy = strdup(path);
    assert_non_null(m->path_copy);
    struct http_param *params = calloc(HTTP_MAX_PARAMS, sizeof *params);
    assert_non_null(params);
    size_t n_params = (size_t)-1;
    m->result = router_match(table, n, method, m->path_copy, &m->index, params, &n_params,
                             m->allow, sizeof m->allow);
    if (m->result == ROUTE_MATCHED) {
        assert_true(n_params <= HTTP_MAX_PARAMS);
        memcpy(m->req.params, params, n_params * sizeof *params);
        m->req.n_params = n_params;
    }
    m->req.method = method;
    m->req.path = path;
    free(params);
}

static void match_done(struct match *m)
{
    free(m->path_copy);
}

static void test_literal_match(void **state)
{
    struct match m;
    match_run(&m, routes, N_ROUTES, "GET", "/healthz");
    assert_int_equal(m.result, ROUTE_MATCHED);
    assert_int_equal(m.index, 0);
    assert_int_equal(m.req.n_params, 0);
    match_done(&m);

    match_run(&m, routes, N_ROUTES, "GET", "/");
    assert_int_equal(m.result, ROUTE_MATCHED);
    assert_int_equal(m.index, 6);
    match_done(&m);
}

static void test_literal_is_exact(void **state)
{
    struct match m;
    static const char *const near[] = {"/healthzz", "/health", "/HEALTHZ", "healthz", ""};
    for (size_t i = 0; i < sizeof near / sizeof near[0]; i++) {
        match_run(&m, routes, N_ROUTES, "GET", near[i]);
        assert_int_equal(m.result, ROUTE_NO_PATH);
        match_done(&m);
    }
}

static void test_first_route_in_table_wins(void **state)
{
    /* "/api/projects/new" is listed before "/api/projects/:projectId". */
    struct match m;
    match_run(&m, routes, N_ROUTES, "GET", "/api/projects/new");
    assert_int_equal(m.result, ROUTE_MATCHED);
    assert_int_equal(m.index, 1);
    assert_int_equal(m.req.n_params, 0);
    match_done(&m);
}

static void test_param_extracted(void **state)
{
    struct match m;
    match_run(&m, routes, N_ROUTES, "GET", "/api/projects/prj_42");
    assert_int_equal(m.result, ROUTE_MATCHED);
    assert_int_equal(m.index, 2);
    assert_int_equal(m.req.n_params, 1);
    assert_string_equal(m.req.params[0].value, "prj_42");
    assert_string_equal(http_request_param(&m.req, "projectId"), "prj_42");
    match_done(&m);
}

static void test_params_nul_terminated_in_the_middle(void **state)
{
    struct match m;
    match_run(&m, routes, N_ROUTES, "GET", "/api/projects/p1/connectors/c-77");
    assert_int_equal(m.result, ROUTE_MATCHED);
    assert_int_equal(m.index, 4);
    assert_int_equal(m.req.n_params, 2);
    /* The first value sits between two slashes: it must end at its own segment. */
    assert_string_equal(m.req.params[0].value, "p1");
    assert_string_equal(m.req.params[1].value, "c-77");
    /* Values point into the caller's copy, not into the original path. */
    assert_true(m.req.params[0].value >= m.path_copy &&
                m.req.params[0].value < m.path_copy + strlen("/api/projects/p1/connectors/c-77"));
    match_done(&m);
}

static void test_param_lookup_by_name(void **state)
{
    struct match m;
    match_run(&m, routes, N_ROUTES, "GET", "/api/projects/p1/connectors/c-77");
    assert_int_equal(m.result, ROUTE_MATCHED);
    /* Names point into the pattern, where a middle name runs on to "/connectors/...". */
    assert_string_equal(http_request_param(&m.req, "projectId"), "p1");
    assert_string_equal(http_request_param(&m.req, "connectorId"), "c-77");
    assert_null(http_request_param(&m.req, "project"));     /* a prefix of a name */
    assert_null(http_request_param(&m.req, "projectIdX"));  /* longer than a name */
    assert_null(http_request_param(&m.req, "connectors"));  /* the literal after a name */
    assert_null(http_request_param(&m.req, "missing"));
    match_done(&m);
}

static void test_param_lookup_built_by_hand(void **state)
{
    struct http_request req = {0};
    req.params[0] = (struct http_param){.name = "tenantId/users/:userId", .value = "t1"};
    req.params[1] = (struct http_param){.name = "userId", .value = "u9"};
    req.n_params = 2;
    assert_string_equal(http_request_param(&req, "tenantId"), "t1");
    assert_string_equal(http_request_param(&req, "userId"), "u9");
    assert_null(http_request_param(&req, "tenant"));
    assert_null(http_request_param(&req, "users"));
    req.n_params = 1; /* slots past n_params are not looked at */
    assert_null(http_request_param(&req, "userId"));
}

static void test_trailing_slash_does_not_match(void **state)
{
    struct match m;
    match_run(&m, routes, N_ROUTES, "GET", "/healthz/");
    assert_int_equal(m.result, ROUTE_NO_PATH);
    match_done(&m);
    match_run(&m, routes, N_ROUTES, "GET", "/api/projects/p1/");
    assert_int_equal(m.result, ROUTE_NO_PATH);
    match_done(&m);
}

static void test_extra_segment_does_not_match(void **state)
{
    struct match m;
    match_run(&m, routes, N_ROUTES, "GET", "/healthz/more");
    assert_int_equal(m.result, ROUTE_NO_PATH);
    match_done(&m);
    match_run(&m, routes, N_ROUTES, "GET", "/api/projects/p1/connectors/c1/extra");
    assert_int_equal(m.result, ROUTE_NO_PATH);
    match_done(&m);
    /* A segment short is no match either. */
    match_run(&m, routes, N_ROUTES, "GET", "/api");
    assert_int_equal(m.result, ROUTE_NO_PATH);
    match_done(&m);
}

static void test_empty_segment_does_not_match(void **state)
{
    struct match m;
    static const char *const paths[] = {
        "/api/projects/",                       /* empty :projectId at the end */
        "/api/projects//connectors",            /* empty :projectId in the middle */
        "/api//projects/p1",                    /* empty segment before a literal */
        "//healthz",
    };
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        match_run(&m, routes, N_ROUTES, "GET", paths[i]);
        assert_int_equal(m.result, ROUTE_NO_PATH);
        match_done(&m);
        match_run(&m, routes, N_ROUTES, "POST", paths[i]);
        assert_int_equal(m.result, ROUTE_NO_PATH);
        match_done(&m);
    }
}

static void test_wrong_method_lists_allowed(void **state)
{
    struct match m;
    match_run(&m, routes, N_ROUTES, "DELETE", "/api/projects/p1");
    assert_int_equal(m.result, ROUTE_NO_METHOD);
    assert_string_equal(m.allow, "GET, PATCH");
    match_done(&m);

    match_run(&m, routes, N_ROUTES, "GET", "/api/projects/p1/connectors");
    assert_int_equal(m.result, ROUTE_NO_METHOD);
    assert_string_equal(m.allow, "POST");
    match_done(&m);
}

static void test_allow_has_no_duplicates(void **state)
{
    /* "/api/projects/new" matches both the literal and the :projectId GET route. */
    struct match m;
    match_run(&m, routes, N_ROUTES, "DELETE", "/api/projects/new");
    assert_int_equal(m.result, ROUTE_NO_METHOD);
    assert_string_equal(m.allow, "GET, PATCH");
    match_done(&m);
}

static void test_method_is_case_sensitive(void **state)
{
    struct match m;
    match_run(&m, routes, N_ROUTES, "get", "/healthz");
    assert_int_equal(m.result, ROUTE_NO_METHOD);
    assert_string_equal(m.allow, "GET");
    match_done(&m);
}

static void test_unknown_path(void **state)
{
    struct match m;
    match_run(&m, routes, N_ROUTES, "GET", "/nope");
    assert_int_equal(m.result, ROUTE_NO_PATH);
    assert_string_equal(m.allow, "");
    match_done(&m);

    match_run(&m, routes, 0, "GET", "/healthz");
    assert_int_equal(m.result, ROUTE_NO_PATH);
    match_done(&m);
}

static void test_max_params(void **state)
{
    static const struct route wide[] = {
        R("GET", "/:a/:b/:c/:d/:e/:f/:g/:h/:i"), /* nine: more than HTTP_MAX_PARAMS */
        R("GET", "/:a/:b/:c/:d/:e/:f/:g/:h"),    /* eight: exactly HTTP_MAX_PARAMS */
    };
    assert_int_equal(HTTP_MAX_PARAMS, 8);
    struct match m;
    match_run(&m, wide, 2, "GET", "/1/2/3/4/5/6/7/8");
    assert_int_equal(m.result, ROUTE_MATCHED);
    assert_int_equal(m.index, 1);
    assert_int_equal(m.req.n_params, 8);
    assert_string_equal(http_request_param(&m.req, "a"), "1");
    assert_string_equal(http_request_param(&m.req, "h"), "8");
    match_done(&m);

    /* The nine-parameter pattern can never match: its ninth value has no slot. */
    match_run(&m, wide, 2, "GET", "/1/2/3/4/5/6/7/8/9");
    assert_int_equal(m.result, ROUTE_NO_PATH);
    match_done(&m);
}

static void test_small_allow_buffer(void **state)
{
    char path[] = "/api/projects/p1";
    char allow[8];
    size_t index = 0, n_params = 0;
    struct http_param params[HTTP_MAX_PARAMS];
    /* Room for "GET" but not for "GET, PATCH": the list is cut, never overrun. */
    assert_int_equal(router_match(routes, N_ROUTES, "DELETE", path, &index, params, &n_params,
                                  allow, sizeof allow),
                     ROUTE_NO_METHOD);
    assert_string_equal(allow, "GET");
}

/* route_takes_query: whole names from the route's space-separated list, nothing else. */
static void test_declared_query_parameters(void **state)
{
    (void)state;
    const struct route listing = {.method = "GET", .pattern = "/x", .handler = handler_stub,
                                  .query = "limit cursor  status "};
    const struct route none = {.method = "GET", .pattern = "/y", .handler = handler_stub};
    assert_true(route_takes_query(&listing, "limit", 5));
    assert_true(route_takes_query(&listing, "cursor", 6));
    assert_true(route_takes_query(&listing, "status", 6));
    assert_false(route_takes_query(&listing, "limi", 4));    /* a prefix is not the name */
    assert_false(route_takes_query(&listing, "limits", 6));  /* nor a longer one */
    assert_false(route_takes_query(&listing, "cursor status", 13));
    assert_false(route_takes_query(&listing, "", 0));
    assert_false(route_takes_query(&listing, " ", 1));
    assert_true(route_takes_query(&listing, "limit\0x", 5)); /* bytes with a length */
    assert_false(route_takes_query(&none, "limit", 5));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_literal_match),
        cmocka_unit_test(test_literal_is_exact),
        cmocka_unit_test(test_first_route_in_table_wins),
        cmocka_unit_test(test_param_extracted),
        cmocka_unit_test(test_params_nul_terminated_in_the_middle),
        cmocka_unit_test(test_param_lookup_by_name),
        cmocka_unit_test(test_param_lookup_built_by_hand),
        cmocka_unit_test(test_trailing_slash_does_not_match),
        cmocka_unit_test(test_extra_segment_does_not_match),
        cmocka_unit_test(test_empty_segment_does_not_match),
        cmocka_unit_test(test_wrong_method_lists_allowed),
        cmocka_unit_test(test_allow_has_no_duplicates),
        cmocka_unit_test(test_method_is_case_sensitive),
        cmocka_unit_test(test_unknown_path),
        cmocka_unit_test(test_max_params),
        cmocka_unit_test(test_small_allow_buffer),
        cmocka_unit_test(test_declared_query_parameters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
