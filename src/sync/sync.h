/* sync/sync.h - the connectors that pull: a source reads a service's records a page at a
 * time from a cursor (Toggl's time entries, a bank's transactions) and books what it finds;
 * the sync engine decides when a tenant's install of a source runs and walks its pages.
 *
 * A source is one file that fills struct sync_source and one line in sources.def, like a
 * payment provider or a destination; the engine alone schedules and pages, a source only
 * pulls. The periodic job "sync-runs" (jobs/jobs.def) calls sync_run_due. */
#ifndef CONNECTORD_SYNC_H
#define CONNECTORD_SYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "store/store.h"

#define SYNC_CURSOR_MAX 512
#define SYNC_PAGES_PER_RUN 100 /* a run stops after this many pages; the next run goes on */

/* One pull: the page after cursor, for one tenant's install of the source. */
struct sync_call {
    struct store *store;
    const struct install *install;   /* borrowed for the call */
    const unsigned char *master_key; /* opens the install's secrets */
    const char *cursor;              /* "" for the first page of a run */
    int64_t now_ms;
};

/* What one page did; the source fills it. */
struct sync_page {
    char next_cursor[SYNC_CURSOR_MAX]; /* where the next page starts */
    bool more;                         /* another page follows */
    int64_t fetched, created, updated, skipped;
};

struct sync_source {
    const char *slug; /* the catalog connector it pulls for: "toggl" */
    int64_t every_ms; /* how often a tenant's install runs */
    /* Pulls the page after call->cursor, books its records and fills page; 0, or -1 with
     * err set (the run stops there). */
    int (*pull)(const struct sync_call *call, struct sync_page *page, struct error *err);
};

/* The registry (sources.def). */
const struct sync_source *const *sync_sources(size_t *count);
const struct sync_source *sync_source_find(const char *slug); /* NULL when unknown */

/* The only way to call a source: clears page first and checks what the source returns. */
int sync_source_pull(const struct sync_source *src, const struct sync_call *call,
                     struct sync_page *page, struct error *err);

/* What sync_run_due did, over all sources and tenants. */
struct sync_totals {
    int64_t runs, pages, fetched, created, updated, skipped, failed;
};

/* Runs every source whose interval has passed since its last run in this process: for each
 * tenant with an active install of it, its pages from the first (cursor "") until the
 * source says no more (at most SYNC_PAGES_PER_RUN). Keeping a cursor between runs, per
 * install in the store, comes with the first source that needs one. A run that fails is logged with the source and the
 * tenant and counted in totals->failed; the others go on. Only -1 (err set) when the
 * tenants cannot be read. Called from one thread (the jobs table). */
int sync_run_due(struct store *s, const unsigned char *master_key, int64_t now_ms,
                 struct sync_totals *totals, struct error *err);

#endif
