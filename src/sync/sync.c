/* sync/sync.c - what starts sync runs: a request (on demand) and the schedule (sync.h).
 *
 * Both only queue a run in the store, where the partial unique index keeps one run per
 * install queued or running, and wake the worker; the schedule runs on the jobs thread and
 * reads each install's next_run_at, which every ended run sets from the install's interval
 * (a deferred run sets it to when the service's quota resets); an install that never ran
 * is first due one interval after it was made. A bank install (bank/) is a source of its
 * own: it is scheduled once it has linked accounts, and its runs plan their own next one. */
#include "sync/sync.h"

#include <string.h>

#include "bank/bank.h"
#include "core/clock.h"
#include "core/log.h"
#include "payouts/payouts.h"
#include "store/installs.h"
#include "sync/manifest.h"

int sync_request(struct store *s, struct sync_worker *w, const char *tenant_id,
                 const char *install_id, const char *slug, const char *origin,
                 struct sync_run *out, bool *created, struct error *err)
{
    const struct sync_manifest *m = sync_manifest_find(slug);
    if (!m && (bank_connector(slug) || payouts_pulls(slug))) {
        /* a bank source (bank/ pulls it) or a payment connector whose run pulls its
         * payouts and fees (payouts/pull.c) */
        if (store_sync_run_request(s, tenant_id, install_id, slug, origin, out, created,
                                   err) < 0)
            return -1;
        sync_worker_wake(w);
        return 0;
    }
    if (!m && !sync_source_find(slug))
        return error_set(err, ERR_NOT_FOUND, "%s does not sync: it has no API manifest", slug);
    if (m && !m->available)
        return error_set(err, ERR_CONFLICT, "%s cannot sync: %s", m->name, m->reason);
    if (store_sync_run_request(s, tenant_id, install_id, slug, origin, out, created, err) < 0)
        return -1;
    sync_worker_wake(w);
    return 0;
}

/* The built-in sources, one row each. */
static const struct sync_source sources[] = {
    {.slug = "google-workspace", .run = sync_google_import},
};

const struct sync_source *sync_source_find(const char *slug)
{
    for (size_t i = 0; slug && i < sizeof sources / sizeof sources[0]; i++)
        if (strcmp(sources[i].slug, slug) == 0)
            return &sources[i];
    return NULL;
}

struct schedule_walk {
    struct store *s;
    struct sync_worker *w;
    int64_t now_ms;
    struct sync_totals *totals;
    const char *tenant_id;
};

static int schedule_install(void *ctx, const struct install *in)
{
    struct schedule_walk *sw = ctx;
    const struct sync_manifest *m = sync_manifest_find(in->slug);
    bool bank = !m && bank_connector(in->slug);
    bool pays = !m && !bank && payouts_pulls(in->slug);
    if ((!bank && !pays && (!m || !m->available) && !sync_source_find(in->slug)) ||
        !in->is_active || in->is_destination)
        return 0;
    if (bank && !bank_install_pulls(sw->s, in->tenant_id, in->id))
        return 0; /* no linked account yet: nothing to pull */
    if (pays) {
        /* A payment connector pulls only once its API key is set. */
        json_t *config = json_loads(in->config ? in->config : "{}", 0, NULL);
        json_t *secrets = json_loads(in->secrets ? in->secrets : "{}", 0, NULL);
        char why[200];
        bool ready = payouts_pull_configured(in->slug, config, secrets, why, sizeof why);
        json_decref(config);
        json_decref(secrets);
        if (!ready)
            return 0;
    }
    struct sync_state st;
    struct error err = {0};
    int64_t next_ms = 0;
    if (store_sync_state_get(sw->s, in->tenant_id, in->id, &st, &err) < 0) {
        log_warn("sync schedule: %s", err.message);
        return 0;
    }
    if (!st.next_run_at[0]) {
        /* Never ran: the first scheduled run comes one interval after the install (Sync
         * now pulls at once), so installing does not race the admin's own first run. */
        json_t *config = json_loads(in->config ? in->config : "{}", 0, NULL);
        int64_t installed_ms = 0;
        if (clock_parse_rfc3339(in->created_at, &installed_ms) == 0)
            next_ms = installed_ms + sync_interval_ms(config);
        json_decref(config);
    } else if (clock_parse_rfc3339(st.next_run_at, &next_ms) < 0) {
        next_ms = 0;
    }
    if (next_ms > sw->now_ms)
        return 0;
    struct sync_run run;
    bool created = false;
    if (store_sync_run_request(sw->s, in->tenant_id, in->id, in->slug, "schedule", &run,
                               &created, &err) < 0) {
        log_warn("sync schedule of %s for tenant %s: %s", in->slug, in->tenant_id, err.message);
        return 0;
    }
    sw->totals->queued += created;
    return 0;
}

static int schedule_tenant(void *ctx, const struct tenant *t)
{
    struct schedule_walk *sw = ctx;
    struct error err = {0};
    if (store_install_list(sw->s, t->id, false, schedule_install, sw, &err) < 0)
        log_warn("sync schedule of tenant %s: %s", t->id, err.message);
    return 0;
}

int sync_schedule_due(struct store *s, struct sync_worker *w, int64_t now_ms,
                      struct sync_totals *totals, struct error *err)
{
    struct schedule_walk sw = {.s = s, .w = w, .now_ms = now_ms, .totals = totals};
    if (store_tenant_list(s, schedule_tenant, &sw, err) < 0)
        return -1;
    sync_worker_wake(w);
    return 0;
}
