/* events/types.c - the eight event types of seed 001. */
#include <string.h>

#include "events/events.h"

static const struct event_type types[] = {
    {"payment.verified", "Payment signature verified"},
    {"payment.settled", "Payment settled"},
    {"payment.failed", "Payment failed at any stage"},
    {"customer.first_payment", "New customer's first payment"},
    {"customer.milestone", "Customer reached spending milestone"},
    {"endpoint.created", "New endpoint configured"},
    {"endpoint.pricing_changed", "Endpoint pricing updated"},
    {"revenue.daily_summary", "Daily revenue summary"},
};

const struct event_type *events_types(size_t *count)
{
    *count = sizeof types / sizeof types[0];
    return types;
}

bool events_type_known(const char *name)
{
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strcmp(types[i].name, name) == 0)
            return true;
    return false;
}

bool events_subscription_valid(const char *name)
{
    return strcmp(name, EVENT_TYPE_WILDCARD) == 0 || events_type_known(name);
}
