/* sync/sync.c - the registry of pulling sources and the walk of their due runs (sync.h).
 *
 * When each source last ran is kept here, in memory, one slot per registered source: only
 * the jobs thread calls sync_run_due, and a restart running every source once is harmless
 * (a source books records by their external ids, so a second pull of a page adds none). */
#include "sync/sync.h"

#include <string.h>

#include "core/log.h"
#include "store/installs.h"

#define SYNC_SOURCE(name) extern const struct sync_source sync_source_##name;
#include "sync/sources.def"
#undef SYNC_SOURCE

/* NULL-terminated, so that an empty registry is still a valid array. */
static const struct sync_source *const sources[] = {
#define SYNC_SOURCE(name) &sync_source_##name,
#include "sync/sources.def"
#undef SYNC_SOURCE
    NULL};
#define N_SOURCES (sizeof sources / sizeof sources[0] - 1)

static int64_t last_run_ms[N_SOURCES + 1];

const struct sync_source *const *sync_sources(size_t *count)
{
    *count = N_SOURCES;
    return sources;
}

const struct sync_source *sync_source_find(const char *slug)
{
    for (const struct sync_source *const *src = sources; *src; src++)
        if (strcmp((*src)->slug, slug) == 0)
            return *src;
    return NULL;
}

int sync_source_pull(const struct sync_source *src, const struct sync_call *call,
                     struct sync_page *page, struct error *err)
{
    memset(page, 0, sizeof *page);
    if (src->pull(call, page, err) < 0)
        return -1;
    if (page->more && page->next_cursor[0] == '\0')
        return error_set(err, ERR_INTERNAL, "source %s says more pages follow but gave no cursor",
                         src->slug);
    return 0;
}

/* One run: the install's pages from the first until the source says no more. */
static int run_install(const struct sync_source *src, const struct sync_call *base,
                       struct sync_totals *t, struct error *err)
{
    char cursor[SYNC_CURSOR_MAX] = "";
    struct sync_call call = *base;
    struct sync_page page;
    t->runs++;
    for (int n = 0; n < SYNC_PAGES_PER_RUN; n++) {
        call.cursor = cursor;
        if (sync_source_pull(src, &call, &page, err) < 0)
            return -1;
        t->pages++;
        t->fetched += page.fetched;
        t->created += page.created;
        t->updated += page.updated;
        t->skipped += page.skipped;
        if (!page.more)
            break;
        memcpy(cursor, page.next_cursor, sizeof cursor);
    }
    return 0;
}

struct tenant_walk {
    const struct sync_source *src;
    struct sync_call call;
    struct sync_totals *totals;
};

static int run_tenant(void *ctx, const struct tenant *tenant)
{
    struct tenant_walk *w = ctx;
    struct install in;
    struct error err = {0};
    memset(&in, 0, sizeof in);
    if (store_install_get_slug(w->call.store, tenant->id, w->src->slug, &in, &err) == 0 &&
        in.is_active) {
        w->call.install = &in;
        if (run_install(w->src, &w->call, w->totals, &err) < 0) {
            w->totals->failed++;
            log_warn("sync %s for tenant %s failed: %s", w->src->slug, tenant->id, err.message);
        }
        w->call.install = NULL;
    }
    store_install_clear(&in);
    return 0;
}

int sync_run_due(struct store *s, const unsigned char *master_key, int64_t now_ms,
                 struct sync_totals *totals, struct error *err)
{
    for (const struct sync_source *const *p = sources; *p; p++) {
        const struct sync_source *src = *p;
        int64_t *last = &last_run_ms[p - sources];
        if (*last && now_ms - *last < src->every_ms)
            continue;
        *last = now_ms;
        struct tenant_walk w = {.src = src,
                                .call = {.store = s, .master_key = master_key, .now_ms = now_ms},
                                .totals = totals};
        if (store_tenant_list(s, run_tenant, &w, err) < 0)
            return -1;
    }
    return 0;
}
