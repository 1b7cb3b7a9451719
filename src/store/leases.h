/* store/leases.h - leases on work that one process at a time may do, among all the
 * processes that share the store (q_leases.c): the periodic jobs that must run once
 * (jobs/jobs.def). Conventions as in store/store.h.
 *
 * A lease is a row (name, holder, until_ms) claimed with one conditional upsert, so of
 * several processes that ask at the same instant exactly one gets it; it works the same on
 * PostgreSQL and on one SQLite file shared by several processes. A holder keeps its lease
 * by asking again before it runs out; a holder that dies loses it when it runs out; one that
 * stops gives its leases up, so another process takes over at once. */
#ifndef CONNECTORD_STORE_LEASES_H
#define CONNECTORD_STORE_LEASES_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "store/store.h"

/* Takes or keeps the lease `name` for holder until now_ms + lease_ms (lease_ms > 0). It is
 * free when nobody holds it, its holder's time ran out, or its end lies more than lease_ms
 * ahead (set by a clock that was ahead of this one, which would otherwise hold it for as
 * long). *mine: whether holder has it now. */
int store_lease_claim(struct store *s, const char *name, const char *holder, int64_t now_ms,
                      int64_t lease_ms, bool *mine, struct error *err);
/* Gives up every lease of holder. */
int store_lease_release_all(struct store *s, const char *holder, struct error *err);

#endif
