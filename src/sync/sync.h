/* sync/sync.h - the connectors that pull: sync runs of installed API connectors, executed
 * from their declarative manifests (manifest.h, connectors/ in the source tree).
 *
 * A run is requested on demand (POST /api/connectors/:slug/sync) or by the schedule (the
 * periodic job "sync-runs" calls sync_schedule_due: each install's interval setting,
 * syncIntervalMinutes, default 15). Requests only queue a run in the store; the sync worker,
 * a thread of its own, claims queued runs and executes them, so an HTTP worker never waits
 * for a service. run.c executes one run; worker.c is the thread; sync.c the schedule. */
#ifndef CONNECTORD_SYNC_H
#define CONNECTORD_SYNC_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "store/store.h"
#include "store/sync.h"

#define SYNC_DEFAULT_INTERVAL_MIN 15

/* What runs need; filled by main. */
struct sync_env {
    struct store *store;
    const unsigned char *master_key; /* opens the installs' secrets */
    bool allow_private;              /* base URLs may name loopback and private addresses */
};

/* Executes one claimed run to its end: committed (0), or failed or deferred (-1), each
 * recorded in the store. Called by the worker; blocking. */
int sync_run_execute(const struct sync_env *env, struct sync_run *run);

/* Maps one page of a service's answer (body) with the manifest's records block, as a run
 * does, and calls fn for each entry it yields (valid during the call; fn returns 0 to go
 * on); *skipped counts records the manifest skips. lookups: the values {lookup.NAME} stands
 * for (may be NULL). A malformed page is ERR_SERVICE_FAILED, as in a run. Used by the run
 * and by checks of a manifest against pages of its service (tests/fuzz/fuzz_sync.c). */
struct sync_manifest;
int sync_page_map(const struct sync_manifest *m, const char *body, size_t len,
                  const json_t *lookups,
                  int (*fn)(void *ctx, const struct time_entry_in *e), void *fn_ctx,
                  int64_t *skipped, struct error *err);

/* The install's schedule: its syncIntervalMinutes setting in ms (the default when unset). */
int64_t sync_interval_ms(const json_t *config);

/* The sync worker thread. */
struct sync_worker;
int sync_worker_start(const struct sync_env *env, struct sync_worker **out, struct error *err);
void sync_worker_stop(struct sync_worker *w); /* finishes the run under way; NULL: no-op */
/* Tells the worker a run was queued (any thread; NULL: no-op). */
void sync_worker_wake(struct sync_worker *w);

/* Queues a run of the tenant's install of slug (or finds the one queued or running) and
 * wakes the worker. ERR_NOT_FOUND when the connector has no manifest; ERR_CONFLICT when its
 * manifest says its API is unavailable (the message says why). */
int sync_request(struct store *s, struct sync_worker *w, const char *tenant_id,
                 const char *install_id, const char *slug, const char *origin,
                 struct sync_run *out, bool *created, struct error *err);

/* What sync_schedule_due did. */
struct sync_totals {
    int64_t queued;
};

/* Queues a scheduled run of every active install of a connector with a manifest whose next
 * run is due (its state's next_run_at has passed, or it never ran and was installed an
 * interval ago), and wakes the worker.
 * Called from the jobs thread. */
int sync_schedule_due(struct store *s, struct sync_worker *w, int64_t now_ms,
                      struct sync_totals *totals, struct error *err);

/* ---- built-in sources: services read by code, not by a manifest ------------------------- */

/* A source's run: reads from `cursor` ("" on the first run), writes where the next run
 * starts into next_cursor (cap bytes) and what it imported into *imported. */
struct sync_source {
    const char *slug;
    int (*run)(const struct sync_env *env, const struct sync_run *run, const char *cursor,
               char *next_cursor, size_t cap, int64_t *imported, struct error *err);
};
/* The built-in source of a connector, or NULL (it syncs by manifest, or not at all). */
const struct sync_source *sync_source_find(const char *slug);

/* ---- Google Workspace (google.c), read with the install's OAuth grant ------------------- */

/* The tenant's Google Workspace install: the primary calendar's events of the next `days`
 * days ({id, summary, location, start, end, allDay, link}), and the last 30 days' messages
 * with an invoice-like attachment ({id, from, subject, date, receivedAt, attachments[]}),
 * each a new JSON array. ERR_NOT_INSTALLED (not installed or not connected),
 * ERR_SERVICE_REFUSED (Google refused the grant), ERR_UNAVAILABLE / ERR_SERVICE_FAILED. */
int sync_google_calendar(const struct sync_env *env, const char *tenant_id, int days,
                         json_t **events_out, struct error *err);
int sync_google_mail(const struct sync_env *env, const char *tenant_id, json_t **messages_out,
                     struct error *err);
/* The google-workspace source: Gmail attachments into the document store, from the
 * history id in cursor. */
int sync_google_import(const struct sync_env *env, const struct sync_run *run,
                       const char *cursor, char *next_cursor, size_t cap, int64_t *imported,
                       struct error *err);

#endif
