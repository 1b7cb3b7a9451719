/* auth/plans.c - the plans, as data. Seed 001's limits table gives max_destinations; seed
 * 000's plans table says business adds "API access (MCP)": api_access means the MCP server
 * and integration tokens, Business and above. It does not gate the admin REST API (the
 * connector store and everything under /api), which every plan may use. */
#include <string.h>

#include "auth/auth.h"

static const struct plan plans[] = {
    {.slug = "starter", .name = "Starter", .rank = 0, .max_destinations = 0, .api_access = false},
    {.slug = "pro", .name = "Pro", .rank = 1, .max_destinations = 5, .api_access = false},
    {.slug = "business", .name = "Business", .rank = 2, .max_destinations = 15, .api_access = true},
    {.slug = "enterprise", .name = "Enterprise", .rank = 3, .max_destinations = -1, .api_access = true},
};

const struct plan *auth_plan_find(const char *slug)
{
    for (size_t i = 0; i < sizeof plans / sizeof plans[0]; i++)
        if (strcmp(plans[i].slug, slug) == 0)
            return &plans[i];
    return NULL;
}

const struct plan *auth_plans(size_t *count)
{
    *count = sizeof plans / sizeof plans[0];
    return plans;
}

const char *auth_plan_names(void)
{
    return "starter|pro|business|enterprise";
}

enum auth_role auth_role_parse(const char *s)
{
    if (strcmp(s, "admin") == 0)
        return AUTH_ROLE_ADMIN;
    if (strcmp(s, "member") == 0)
        return AUTH_ROLE_MEMBER;
    if (strcmp(s, "developer") == 0)
        return AUTH_ROLE_DEVELOPER;
    if (strcmp(s, "operator") == 0)
        return AUTH_ROLE_OPERATOR;
    return AUTH_ROLE_NONE;
}

const char *auth_role_name(enum auth_role role)
{
    switch (role) {
    case AUTH_ROLE_ADMIN:
        return "admin";
    case AUTH_ROLE_MEMBER:
        return "member";
    case AUTH_ROLE_DEVELOPER:
        return "developer";
    case AUTH_ROLE_OPERATOR:
        return "operator";
    case AUTH_ROLE_NONE:
        break;
    }
    return "none";
}

bool auth_role_is_tenant(enum auth_role role)
{
    return role == AUTH_ROLE_MEMBER || role == AUTH_ROLE_ADMIN;
}

/* A tenant's roles are ranked (an admin may do what a member may); the platform's stand
 * apart: a developer's token opens the developer routes alone, the operator's the
 * operator's, and neither opens a tenant's, nor a tenant's theirs. */
bool auth_role_allows(enum auth_role have, enum auth_role need)
{
    if (need == AUTH_ROLE_NONE)
        return true;
    if (auth_role_is_tenant(need))
        return auth_role_is_tenant(have) && have >= need;
    return have == need;
}
