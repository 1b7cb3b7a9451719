/* events/subscription.c - what a destination's eventTypes means: which lists are valid,
 * what "*" stands for, and whether a stored list takes an event.
 *
 * "*" is every business event but not the alerts (types.def's EVENT_ALERT), which a
 * destination takes only by naming them. A destination that can use only some types keeps
 * "*" stored as exactly those, so it never receives what it cannot render. */
#include <stdio.h>
#include <string.h>

#include "events/events.h"

bool events_subscription_valid(const char *name)
{
    return strcmp(name, EVENT_TYPE_WILDCARD) == 0 || events_type_known(name);
}

/* The stored list was validated when it was written (a JSON array of known type names and
 * "*", none of which holds a quote or backslash), so walking its quoted names is exact and
 * spares parsing JSON for every event and destination. */
bool events_subscription_matches(const char *event_types, const char *type)
{
    const struct event_type *t = events_type_find(type);
    if (!event_types || !t)
        return false;
    bool alert = (t->flags & EVENT_ALERT) != 0;
    size_t n = strlen(type);
    const char *at = strchr(event_types, '"');
    while (at) {
        const char *name = at + 1, *end = strchr(name, '"');
        if (!end)
            break;
        size_t len = (size_t)(end - name);
        if ((len == n && strncmp(name, type, n) == 0) ||
            (!alert && len == 1 && name[0] == EVENT_TYPE_WILDCARD[0]))
            return true;
        at = strchr(end + 1, '"');
    }
    return false;
}

static bool accepted(const char *const *accepts, const char *type)
{
    if (!accepts)
        return true;
    for (const char *const *t = accepts; *t; t++)
        if (strcmp(*t, type) == 0)
            return true;
    return false;
}

/* "*" as what the destination accepts: ["*"] stays ["*"] when it accepts every type. */
static char *expand_star(const json_t *v, const char *const *accepts)
{
    if (!accepts)
        return json_dumps(v, JSON_COMPACT);
    json_t *types = json_array();
    for (const char *const *t = accepts; types && *t; t++)
        json_array_append_new(types, json_string(*t));
    char *text = types ? json_dumps(types, JSON_COMPACT) : NULL;
    json_decref(types);
    return text;
}

char *events_subscription_parse(const json_t *v, const char *slug, const char *const *accepts,
                                json_t **problem)
{
    const char *message = NULL;
    char refused[160] = "";
    struct buf known;
    buf_init(&known, 0);
    bool wildcard = false;
    size_t i, k;
    json_t *item;
    *problem = NULL;
    if (!json_is_array(v) || json_array_size(v) == 0)
        message = "eventTypes must be a non-empty list of event types";
    else if (json_array_size(v) > EVENTS_SUBSCRIPTION_MAX)
        message = "eventTypes has too many entries";
    else
        json_array_foreach(v, i, item) {
            const char *name = json_string_value(item);
            if (!name || !events_subscription_valid(name)) {
                if (buf_append_str(&known, "eventTypes may only hold ") < 0 ||
                    events_type_names(&known, 0) < 0 || buf_append_str(&known, " or *") < 0)
                    message = "eventTypes holds an unknown event type";
                else
                    message = known.data;
                break;
            }
            for (k = 0; k < i; k++)
                if (strcmp(json_string_value(json_array_get(v, k)), name) == 0)
                    message = "eventTypes lists a type twice";
            if (strcmp(name, EVENT_TYPE_WILDCARD) == 0) {
                wildcard = true;
            } else if (!accepted(accepts, name)) {
                snprintf(refused, sizeof refused, "%s can use only %s; not %s", slug,
                         accepts[0], name);
                message = refused;
            }
        }
    char *text = NULL;
    if (message)
        *problem = json_pack("{s:s, s:s, s:s}", "field", "eventTypes", "code",
                             "invalid_event_type", "message", message);
    else
        text = wildcard ? expand_star(v, accepts) : json_dumps(v, JSON_COMPACT);
    buf_free(&known);
    return text;
}
