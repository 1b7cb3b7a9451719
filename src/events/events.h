/* events/events.h - the platform's event types (seed 001) and, later, the outbox.
 *
 * One table lists the eight types; "*" in a subscription matches them all. */
#ifndef CONNECTORD_EVENTS_H
#define CONNECTORD_EVENTS_H

#include <stdbool.h>
#include <stddef.h>

#define EVENT_TYPE_WILDCARD "*"

struct event_type {
    const char *name;        /* "payment.settled" */
    const char *description; /* from seed 001 */
};

const struct event_type *events_types(size_t *count);
bool events_type_known(const char *name); /* true for the eight types, false for "*" */
/* A subscription entry is valid: one of the eight or "*". */
bool events_subscription_valid(const char *name);

#endif
