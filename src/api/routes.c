/* api/routes.c - every route the server answers, in one table.
 *
 * role: the least role that may call it (AUTH_ROLE_NONE: no token). Members may read;
 * everything that changes state is admin-only. ROUTE_JSON: a body must be JSON (415). */
#include "api/api.h"

static const struct route routes[] = {
    {"GET",   "/healthz",    api_healthz,       AUTH_ROLE_NONE,   0},
    {"GET",   "/readyz",     api_readyz,        AUTH_ROLE_NONE,   0},
    {"GET",   "/metrics",    api_metrics,       AUTH_ROLE_NONE,   0},
    {"GET",   "/api/tenant", api_tenant_get,    AUTH_ROLE_MEMBER, 0},
    {"PATCH", "/api/tenant", api_tenant_update, AUTH_ROLE_ADMIN,  ROUTE_JSON},
};

const struct route *api_routes(size_t *count)
{
    *count = sizeof routes / sizeof routes[0];
    return routes;
}
