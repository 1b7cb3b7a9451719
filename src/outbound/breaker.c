/* outbound/breaker.c - the circuit breaker's transitions (breaker.h). No I/O, no clock. */
#include "outbound/breaker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct breaker *breaker_for(struct breakers *bs, const char *connector_id)
{
    for (size_t i = 0; i < bs->n; i++)
        if (strcmp(bs->items[i].connector_id, connector_id) == 0)
            return &bs->items[i];
    if (bs->n == bs->cap) {
        size_t cap = bs->cap ? bs->cap * 2 : 16;
        struct breaker *grown = realloc(bs->items, cap * sizeof *grown);
        if (!grown)
            return NULL;
        bs->items = grown;
        bs->cap = cap;
    }
    struct breaker *b = &bs->items[bs->n++];
    memset(b, 0, sizeof *b);
    snprintf(b->connector_id, sizeof b->connector_id, "%s", connector_id);
    return b;
}

void breakers_free(struct breakers *bs)
{
    free(bs->items);
    memset(bs, 0, sizeof *bs);
}

bool breaker_allows(struct breaker *b, int64_t now_ms)
{
    if (!b || b->open_until_ms == 0)
        return true;
    if (now_ms < b->open_until_ms || b->probing)
        return false;
    b->probing = true;
    return true;
}

int64_t breaker_hold_until(const struct breaker *b, int64_t now_ms)
{
    return b && b->open_until_ms > now_ms ? b->open_until_ms : now_ms + BREAKER_PROBE_WAIT_MS;
}

void breaker_release_probe(struct breaker *b)
{
    if (b)
        b->probing = false;
}

void breaker_reset(struct breaker *b)
{
    if (b)
        memset(&b->failures, 0, sizeof *b - offsetof(struct breaker, failures));
}

struct breaker_change breaker_success(struct breaker *b, int64_t now_ms)
{
    struct breaker_change c = {.closed = b->open_until_ms != 0};
    b->failures = 0;
    b->open_until_ms = 0;
    b->probing = false;
    b->failing_since_ms = 0;
    b->last_success_ms = now_ms;
    return c;
}

struct breaker_change breaker_failure(struct breaker *b, const struct breaker_policy *p,
                                      int64_t now_ms)
{
    struct breaker_change c = {0};
    b->probing = false;
    b->last_failure_ms = now_ms;
    if (!b->failing_since_ms)
        b->failing_since_ms = now_ms;
    if (++b->failures >= p->failures) {
        c.opened = b->open_until_ms == 0;
        b->open_until_ms = now_ms + p->open_ms;
    }
    if (now_ms - b->failing_since_ms >= p->disable_after_ms) {
        c.disabled = true;
        c.failing_since_ms = b->failing_since_ms;
        b->failing_since_ms = now_ms;
    }
    return c;
}
