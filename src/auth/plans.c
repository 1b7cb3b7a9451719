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
    return AUTH_ROLE_NONE;
}

const char *auth_role_name(enum auth_role role)
{
    return role == AUTH_ROLE_ADMIN ? "admin" : role == AUTH_ROLE_MEMBER ? "member" : "none";
}
