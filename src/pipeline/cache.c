/* pipeline/cache.c - the per-process cache of what every webhook reads (see cache.h for
 * why and pipeline.h for its public side).
 *
 * A fixed table of `capacity` slots, found through hash chains on the token's hash (hex
 * SHA-256, so its first bytes are as good a hash as any), replaced by the clock: a slot
 * used since the hand last passed keeps its place once more. One mutex guards the table;
 * a webhook holds it for a lookup and a reference count, never while a snapshot is made.
 * Forgetting by install or tenant walks every slot: it happens when something changed,
 * not per request. */
#include "pipeline/cache.h"

#include <openssl/crypto.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "core/metrics.h"

struct slot {
    struct pipeline_snapshot *snap; /* NULL: free */
    int next;                       /* the next slot of its chain, -1: none */
    bool used;                      /* looked up since the clock's hand last passed */
};

struct pipeline_cache {
    pthread_mutex_t lock;
    struct slot *slots;
    size_t capacity, size;
    int *chains; /* n_chains heads, -1: empty */
    size_t n_chains;
    size_t hand;
    uint64_t epoch;   /* moves with every forgetting (cache.h) */
    uint64_t changes; /* the store's change count (store_changes_seen) it holds things of */
};

/* ---- snapshots -------------------------------------------------------------------------- */

struct pipeline_snapshot *pipeline_snapshot_new(void)
{
    struct pipeline_snapshot *s = calloc(1, sizeof *s);
    if (s)
        atomic_init(&s->refs, 1);
    return s;
}

int pipeline_snapshot_open_secrets(struct pipeline_snapshot *s,
                                   const unsigned char key[CRYPTO_KEY_LEN])
{
    const char *name;
    json_t *entry;
    size_t n = json_is_object(s->setup.secrets) ? json_object_size(s->setup.secrets) : 0;
    if (n == 0)
        return 0;
    if (!(s->opened = calloc(n, sizeof *s->opened)))
        return -1;
    json_object_foreach(s->setup.secrets, name, entry) {
        if (!json_string_value(json_object_get(entry, "sealed")))
            continue; /* not set: read as catalog_secret_open says so */
        struct pipeline_secret *o = &s->opened[s->n_opened++];
        o->key = name;
        buf_init(&o->plain, 0);
        o->rc = catalog_secret_open(s->setup.secrets, name, key, s->setup.aad_prefix, &o->plain,
                                    &o->err);
    }
    return 0;
}

const struct pipeline_secret *pipeline_snapshot_secret(const struct pipeline_snapshot *s,
                                                       const char *key)
{
    for (size_t i = 0; i < s->n_opened; i++)
        if (strcmp(s->opened[i].key, key) == 0)
            return &s->opened[i];
    return NULL;
}

void pipeline_snapshot_release(struct pipeline_snapshot *s)
{
    if (!s || atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) != 1)
        return;
    for (size_t i = 0; i < s->n_opened; i++) {
        struct buf *b = &s->opened[i].plain;
        if (b->data)
            OPENSSL_cleanse(b->data, b->alloc);
        buf_free(b);
    }
    free(s->opened);
    json_decref(s->setup.config);
    json_decref(s->setup.secrets);
    store_install_clear(&s->install);
    free(s);
}

/* ---- the table ---------------------------------------------------------------------------- */

struct pipeline_cache *pipeline_cache_new(size_t capacity)
{
    struct pipeline_cache *c = calloc(1, sizeof *c);
    if (!c || capacity == 0 || capacity > 1u << 20)
        goto fail;
    c->capacity = capacity;
    c->n_chains = 2 * capacity;
    c->slots = calloc(capacity, sizeof *c->slots);
    c->chains = malloc(c->n_chains * sizeof *c->chains);
    if (!c->slots || !c->chains || pthread_mutex_init(&c->lock, NULL) != 0)
        goto fail;
    for (size_t i = 0; i < c->n_chains; i++)
        c->chains[i] = -1;
    return c;
fail:
    if (c) {
        free(c->slots);
        free(c->chains);
    }
    free(c);
    return NULL;
}

/* Empties slot i (the lock held) and hands back its snapshot, whose reference the caller
 * then releases outside the lock. */
static struct pipeline_snapshot *slot_clear(struct pipeline_cache *c, size_t i);

void pipeline_cache_free(struct pipeline_cache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->capacity; i++)
        pipeline_snapshot_release(slot_clear(c, i));
    pthread_mutex_destroy(&c->lock);
    free(c->slots);
    free(c->chains);
    free(c);
}

static size_t chain_of(const struct pipeline_cache *c, const char *token_hash)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a over the first 16 hex digits */
    for (int i = 0; i < 16 && token_hash[i]; i++)
        h = (h ^ (unsigned char)token_hash[i]) * 1099511628211ULL;
    return (size_t)(h % c->n_chains);
}

static int slot_find(const struct pipeline_cache *c, const char *token_hash)
{
    for (int i = c->chains[chain_of(c, token_hash)]; i >= 0; i = c->slots[i].next)
        if (strcmp(c->slots[i].snap->token_hash, token_hash) == 0)
            return i;
    return -1;
}

static struct pipeline_snapshot *slot_clear(struct pipeline_cache *c, size_t i)
{
    struct pipeline_snapshot *s = c->slots[i].snap;
    if (!s)
        return NULL;
    for (int *at = &c->chains[chain_of(c, s->token_hash)]; *at >= 0;
         at = &c->slots[*at].next)
        if ((size_t)*at == i) {
            *at = c->slots[i].next;
            break;
        }
    c->slots[i] = (struct slot){.snap = NULL, .next = -1};
    c->size--;
    return s;
}

static void forget_locked(struct pipeline_cache *c, const char *token_hash,
                          const char *tenant_id, const char *install_id);

/* Forgets everything when another process on the store's file changed something since the
 * cache last looked (the lock held). */
static void changes_follow(struct pipeline_cache *c, uint64_t changes)
{
    if (changes == c->changes)
        return;
    c->changes = changes;
    forget_locked(c, NULL, NULL, NULL);
}

struct pipeline_snapshot *pipeline_cache_get(struct pipeline_cache *c, uint64_t changes,
                                             const char *token_hash)
{
    struct pipeline_snapshot *s = NULL;
    pthread_mutex_lock(&c->lock);
    changes_follow(c, changes);
    int i = slot_find(c, token_hash);
    if (i >= 0) {
        c->slots[i].used = true;
        s = c->slots[i].snap;
        atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
    }
    pthread_mutex_unlock(&c->lock);
    metrics_webhook_cache(s != NULL);
    return s;
}

uint64_t pipeline_cache_epoch(struct pipeline_cache *c, uint64_t changes)
{
    pthread_mutex_lock(&c->lock);
    changes_follow(c, changes);
    uint64_t e = c->epoch;
    pthread_mutex_unlock(&c->lock);
    return e;
}

/* A free slot (the lock held): a free one, else the clock's choice, whose snapshot goes to
 * *evicted. */
static size_t slot_take(struct pipeline_cache *c, struct pipeline_snapshot **evicted)
{
    *evicted = NULL;
    for (;;) {
        size_t i = c->hand;
        c->hand = (c->hand + 1) % c->capacity;
        if (!c->slots[i].snap)
            return i;
        if (c->size < c->capacity)
            continue; /* a free slot is further on */
        if (c->slots[i].used) {
            c->slots[i].used = false;
            continue;
        }
        *evicted = slot_clear(c, i);
        return i;
    }
}

void pipeline_cache_put(struct pipeline_cache *c, struct pipeline_snapshot *s, uint64_t epoch)
{
    struct pipeline_snapshot *evicted = NULL;
    pthread_mutex_lock(&c->lock);
    if (c->epoch == epoch && slot_find(c, s->token_hash) < 0) {
        size_t i = slot_take(c, &evicted);
        size_t chain = chain_of(c, s->token_hash);
        atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
        c->slots[i] = (struct slot){.snap = s, .next = c->chains[chain]};
        c->chains[chain] = (int)i;
        c->size++;
    }
    pthread_mutex_unlock(&c->lock);
    pipeline_snapshot_release(evicted);
}

/* Forgets every slot that matches (the token, or the tenant and install; NULLs match
 * all), and moves the epoch; the lock held. Freeing a snapshot under the lock is rare
 * (something changed) and short. */
static void forget_locked(struct pipeline_cache *c, const char *token_hash,
                          const char *tenant_id, const char *install_id)
{
    c->epoch++;
    for (size_t i = 0; i < c->capacity; i++) {
        const struct pipeline_snapshot *s = c->slots[i].snap;
        if (!s || (token_hash && strcmp(s->token_hash, token_hash) != 0) ||
            (tenant_id && strcmp(s->install.tenant_id, tenant_id) != 0) ||
            (install_id && strcmp(s->install.id, install_id) != 0))
            continue;
        pipeline_snapshot_release(slot_clear(c, i));
    }
}

static void forget(struct pipeline_cache *c, const char *token_hash, const char *tenant_id,
                   const char *install_id)
{
    pthread_mutex_lock(&c->lock);
    forget_locked(c, token_hash, tenant_id, install_id);
    pthread_mutex_unlock(&c->lock);
}

void pipeline_cache_forget_token(struct pipeline_cache *c, const char *token_hash)
{
    forget(c, token_hash, NULL, NULL);
}

void pipeline_cache_forget(struct pipeline_cache *c, const char *tenant_id,
                           const char *install_id)
{
    if (c)
        forget(c, NULL, tenant_id, tenant_id ? install_id : NULL);
}

void pipeline_cache_heard(struct pipeline_cache *c, enum store_channel channel,
                          const char *payload)
{
    char tenant[CRYPTO_ID_MAX];
    if (!c || (channel != STORE_CHANNEL_INSTALLS && channel != STORE_CHANNEL_SETTINGS))
        return;
    const char *slash = payload ? strchr(payload, '/') : NULL;
    size_t n = !payload ? sizeof tenant : channel == STORE_CHANNEL_SETTINGS ? strlen(payload)
                                          : slash ? (size_t)(slash - payload)
                                                  : sizeof tenant;
    if (n == 0 || n >= sizeof tenant) { /* not to be read: anything may have changed */
        pipeline_cache_forget(c, NULL, NULL);
        return;
    }
    memcpy(tenant, payload, n);
    tenant[n] = '\0';
    /* A tenant's settings are in every snapshot of its installs. */
    pipeline_cache_forget(c, tenant, channel == STORE_CHANNEL_INSTALLS ? slash + 1 : NULL);
}

size_t pipeline_cache_size(struct pipeline_cache *c)
{
    pthread_mutex_lock(&c->lock);
    size_t n = c->size;
    pthread_mutex_unlock(&c->lock);
    return n;
}
