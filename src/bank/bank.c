/* bank/bank.c - the bank module's face (bank.h): which driver an install uses, the consent
 * flow around the drivers, and the pulls of a sync run with their plan.
 *
 * The plan keeps an account within what its bank allows unattended. A driver with
 * BANK_CAP_DAILY_LIMIT (PSD2 access: GoCardless, Enable Banking) gets at most pullsPerDay
 * pulls of an account per UTC day (4 by default, the banks' usual limit), fewer when the
 * service's headers say its limit is lower; a pull is one transactions request per page,
 * counted before it is sent, so a failure spends the call as the bank does. Nothing is
 * retried: a 429, or a remaining count of 0, makes the account wait until the service's
 * reset (or the next day), and every pull until then, scheduled or asked for, leaves it
 * alone. The install's next scheduled run comes 24 h / pullsPerDay later, which spreads
 * the day's pulls. Each pull reads from a week before the last pulled day (late bookings,
 * pending entries booked since) to today; the first one reads the consent's 90 days. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bank/bank_int.h"
#include "catalog/catalog.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/utf8.h"

#define OVERLAP_DAYS 7
#define FIRST_DAYS 90
#define STATE_BYTES 32
/* How long a started consent may take at the bank (its SCA, the user's choices): a
 * callback after that is refused, as a stale link should be. */
#define CONSENT_TTL_MS (24 * 3600 * 1000LL)

static const struct bank_driver *const drivers[] = {
    &bank_driver_gocardless,
    &bank_driver_enablebanking,
    &bank_driver_revolut,
};

/* The catalog connectors that hold bank data: the setting that names their driver (NULL:
 * one driver only), the default driver, and the pulls per account and day by default. */
static const struct {
    const char *slug;
    const char *driver_setting;
    const char *default_driver;
    int pulls_per_day;
} connectors[] = {
    {"gocardless", "bankDriver", "gocardless", 4},
    {"revolut", NULL, "revolut", 24},
};

static int connector_index(const char *slug)
{
    for (size_t i = 0; slug && i < sizeof connectors / sizeof connectors[0]; i++)
        if (strcmp(connectors[i].slug, slug) == 0)
            return (int)i;
    return -1;
}

bool bank_connector(const char *slug)
{
    return connector_index(slug) >= 0;
}

const char *bank_connector_at(size_t i)
{
    return i < sizeof connectors / sizeof connectors[0] ? connectors[i].slug : NULL;
}

static const struct bank_driver *driver_find(const char *name)
{
    for (size_t i = 0; name && i < sizeof drivers / sizeof drivers[0]; i++)
        if (strcmp(drivers[i]->name, name) == 0)
            return drivers[i];
    return NULL;
}

/* ---- the context ---------------------------------------------------------------------------- */

static void ctx_close(struct bank_ctx *c)
{
    json_decref(c->config);
    json_decref(c->secrets);
    bank_buf_wipe(&c->auth);
    store_install_clear(&c->in);
    memset(c, 0, sizeof *c);
}

/* Loads the tenant's install (by id, or by slug when id is NULL) and picks its driver. */
static int ctx_open(const struct bank_env *env, const char *tenant_id, const char *slug,
                    const char *install_id, struct bank_ctx *c, struct error *err)
{
    memset(c, 0, sizeof *c);
    c->env = env;
    c->now_ms = clock_now_ms();
    buf_init(&c->auth, 1 << 14);
    int rc = install_id ? store_install_get(env->store, tenant_id, install_id, &c->in, err)
                        : store_install_get_slug(env->store, tenant_id, slug, &c->in, err);
    if (rc < 0) {
        if (err->code == ERR_NOT_FOUND)
            error_set(err, ERR_NOT_INSTALLED, "%.*s is not installed", UTF8_CUT(48, slug));
        return -1;
    }
    int ci = connector_index(c->in.slug);
    if (ci < 0)
        return error_set(err, ERR_VALIDATION, "%s holds no bank data", c->in.slug);
    if (!c->in.is_active)
        return error_set(err, ERR_CONFLICT, "the %s install is turned off", c->in.slug);
    c->config = json_loads(c->in.config ? c->in.config : "{}", 0, NULL);
    c->secrets = json_loads(c->in.secrets ? c->in.secrets : "{}", 0, NULL);
    if (!c->config || !c->secrets)
        return error_set(err, ERR_STORE, "the install's settings cannot be read");
    snprintf(c->aad, sizeof c->aad, "%s/%s", c->in.tenant_id, c->in.id);
    const char *name = connectors[ci].driver_setting
                           ? bank_setting(c, connectors[ci].driver_setting)
                           : NULL;
    c->drv = driver_find(name ? name : connectors[ci].default_driver);
    if (!c->drv)
        return error_set(err, ERR_VALIDATION, "no bank driver '%.*s'", UTF8_CUT(32, name));
    const char *base = bank_setting(c, "apiBaseUrl");
    base = base ? base : c->drv->default_base;
    size_t n = strlen(base);
    while (n && base[n - 1] == '/')
        n--;
    if (n >= sizeof c->base)
        return error_set(err, ERR_CONFIG, "the apiBaseUrl setting is too long");
    snprintf(c->base, sizeof c->base, "%.*s", (int)n, base);
    return 0;
}

/* "AT", from "at" or "AT"; -1 for anything else. */
static int country_code(const char *in, char out[3])
{
    if (!in || strlen(in) != 2)
        return -1;
    for (int i = 0; i < 2; i++) {
        char ch = in[i];
        if (ch >= 'a' && ch <= 'z')
            ch = (char)(ch - 'a' + 'A');
        if (ch < 'A' || ch > 'Z')
            return -1;
        out[i] = ch;
    }
    out[2] = '\0';
    return 0;
}

int bank_institutions(const struct bank_env *env, const char *tenant_id, const char *slug,
                      const char *country, json_t **out, struct error *err)
{
    struct bank_ctx c;
    char cc[3];
    int rc = -1;
    *out = NULL;
    if (country_code(country, cc) < 0)
        return error_set(err, ERR_INVALID_FIELD, "country must be a two-letter ISO 3166 code");
    json_t *list = json_array();
    if (!list)
        return error_set(err, ERR_INTERNAL, "out of memory");
    if (ctx_open(env, tenant_id, slug, NULL, &c, err) < 0 ||
        c.drv->institutions(&c, cc, list, err) < 0)
        goto out;
    *out = list;
    list = NULL;
    rc = 0;
out:
    json_decref(list);
    ctx_close(&c);
    return rc;
}

/* ---- consent ------------------------------------------------------------------------------- */

static void hash_state(const char *state, char out[2 * CRYPTO_SHA256_LEN + 1])
{
    unsigned char d[CRYPTO_SHA256_LEN];
    crypto_sha256(state, strlen(state), d);
    crypto_hex(d, sizeof d, out);
}

static bool institution_ok(const char *id)
{
    size_t n = id ? strlen(id) : 0;
    if (n == 0 || n >= BANK_INSTITUTION_MAX)
        return false;
    for (size_t i = 0; i < n;) {
        size_t len = utf8_seq_len(id + i, n - i);
        if (!len || (unsigned char)id[i] < 0x20 || id[i] == 0x7f)
            return false;
        i += len;
    }
    return true;
}

int bank_consent_start(const struct bank_env *env, const char *tenant_id, const char *slug,
                       const char *country, const char *institution_id,
                       const char *renews_id, struct bank_connection *out,
                       struct error *err)
{
    struct bank_ctx c;
    struct bank_connection old;
    struct buf redirect;
    char state[128], hash[2 * CRYPTO_SHA256_LEN + 1];
    unsigned char raw[STATE_BYTES];
    bool found = false;
    int rc = -1;
    memset(out, 0, sizeof *out);
    buf_init(&redirect, 2048);
    if (renews_id) {
        if (store_bank_connection_get(env->store, tenant_id, renews_id, &old, &found, err) < 0)
            return -1;
        if (!found)
            return error_set(err, ERR_NOT_FOUND, "no bank connection %.*s",
                             UTF8_CUT(48, renews_id));
        country = old.country;
        institution_id = old.institution_id;
    }
    if (country_code(country, out->country) < 0)
        return error_set(err, ERR_INVALID_FIELD, "country must be a two-letter ISO 3166 code");
    if (!institution_ok(institution_id))
        return error_set(err, ERR_INVALID_FIELD, "institutionId must be the id of a bank from "
                                                 "GET /api/bank/institutions");
    if (ctx_open(env, tenant_id, slug, found ? old.install_id : NULL, &c, err) < 0)
        goto out;
    if (buf_printf(&redirect, "%s/api/bank/callback", env->public_url) < 0) {
        error_set(err, ERR_CONFIG, "the public URL is too long for a redirect URI");
        goto out;
    }
    if (crypto_random(raw, sizeof raw) < 0) {
        error_set(err, ERR_INTERNAL, "no randomness available");
        goto out;
    }
    crypto_b64url(raw, sizeof raw, state);
    snprintf(out->tenant_id, sizeof out->tenant_id, "%s", c.in.tenant_id);
    snprintf(out->install_id, sizeof out->install_id, "%s", c.in.id);
    snprintf(out->driver, sizeof out->driver, "%s", c.drv->name);
    snprintf(out->institution_id, sizeof out->institution_id, "%s", institution_id);
    if (found)
        snprintf(out->renews_id, sizeof out->renews_id, "%s", old.id);
    if (found && old.institution_name[0])
        memcpy(out->institution_name, old.institution_name, sizeof out->institution_name);
    if (c.drv->start(&c, out, redirect.data, state, sizeof state, err) < 0)
        goto out;
    /* the page sends the browser there: a web address only, never script */
    if (strncmp(out->link, "https://", 8) != 0 &&
        !(env->allow_private && strncmp(out->link, "http://", 7) == 0)) {
        error_set(err, ERR_SERVICE_FAILED, "%s answered a consent link that is no https "
                  "address", c.drv->label);
        goto out;
    }
    hash_state(state, hash);
    if (store_bank_connection_create(env->store, out, hash, err) < 0 ||
        store_bank_connection_started(env->store, out, err) < 0)
        goto out;
    log_info("bank: consent %s started at %s through %s (tenant %s)", out->id,
             out->institution_id, c.drv->name, out->tenant_id);
    rc = 0;
out:
    memset(state, 0, sizeof state);
    buf_free(&redirect);
    ctx_close(&c);
    return rc;
}

static int store_accounts(const struct bank_env *env, const struct bank_ctx *c,
                          const struct bank_connection *conn,
                          const struct bank_accounts_found *found, struct error *err)
{
    for (size_t i = 0; i < found->n; i++) {
        const struct bank_account_found *f = &found->v[i];
        struct bank_account in = {0}, stored;
        snprintf(in.tenant_id, sizeof in.tenant_id, "%s", conn->tenant_id);
        snprintf(in.install_id, sizeof in.install_id, "%s", c->in.id);
        snprintf(in.connection_id, sizeof in.connection_id, "%s", conn->id);
        snprintf(in.driver, sizeof in.driver, "%s", c->drv->name);
        memcpy(in.identity, f->identity, sizeof in.identity);
        memcpy(in.external_id, f->external_id, sizeof in.external_id);
        memcpy(in.iban, f->iban, sizeof in.iban);
        memcpy(in.name, f->name, sizeof in.name);
        memcpy(in.currency, f->currency, sizeof in.currency);
        if (store_bank_account_upsert(env->store, &in, &stored, err) < 0)
            return -1;
    }
    return 0;
}

int bank_consent_finish(const struct bank_env *env, const struct bank_callback *cb,
                        struct bank_connection *out, int *n_accounts, struct error *err)
{
    struct bank_ctx c = {0};
    struct bank_accounts_found found = {0};
    char hash[2 * CRYPTO_SHA256_LEN + 1], now[CLOCK_RFC3339_LEN];
    bool known = false;
    int rc = -1;
    *n_accounts = 0;
    buf_init(&c.auth, 0);
    if (!cb->state || !*cb->state)
        return error_set(err, ERR_BAD_REQUEST, "the callback has no state");
    hash_state(cb->state, hash);
    if (store_bank_connection_by_state(env->store, hash, out, &known, err) < 0)
        return -1;
    if (!known || strcmp(out->status, "pending") != 0)
        return error_set(err, ERR_FORBIDDEN, "the consent is unknown or was finished already; "
                                             "start it again");
    int64_t started_ms = 0;
    if (clock_parse_rfc3339(out->created_at, &started_ms) < 0 ||
        started_ms + CONSENT_TTL_MS < clock_now_ms()) {
        error_set(err, ERR_FORBIDDEN, "the consent was started more than a day ago; start it "
                                      "again");
        struct error e2 = {0};
        store_bank_connection_set_status(env->store, out->tenant_id, out->id, "rejected",
                                         err->message, NULL, NULL, &e2);
        return -1;
    }
    if (ctx_open(env, out->tenant_id, NULL, out->install_id, &c, err) < 0)
        goto out;
    if (c.drv->finish(&c, out, cb, &found, err) < 0) {
        if (err->code == ERR_FORBIDDEN) {
            struct error e2 = {0};
            store_bank_connection_set_status(env->store, out->tenant_id, out->id, "rejected",
                                             err->message, NULL, NULL, &e2);
            snprintf(out->status, sizeof out->status, "rejected");
        }
        goto out;
    }
    clock_format_rfc3339(clock_now_ms(), now);
    if (store_accounts(env, &c, out, &found, err) < 0 ||
        store_bank_connection_started(env->store, out, err) < 0 ||
        store_bank_connection_set_status(env->store, out->tenant_id, out->id, "linked", NULL,
                                         out->expires_at, now, err) < 0)
        goto out;
    if (out->renews_id[0]) {
        char why[96];
        snprintf(why, sizeof why, "renewed by %s", out->id);
        if (store_bank_connection_set_status(env->store, out->tenant_id, out->renews_id,
                                             "revoked", why, NULL, NULL, err) < 0)
            goto out;
    }
    snprintf(out->status, sizeof out->status, "linked");
    memcpy(out->linked_at, now, sizeof now);
    *n_accounts = (int)found.n;
    log_info("bank: consent %s linked %zu accounts (tenant %s)", out->id, found.n,
             out->tenant_id);
    rc = 0;
out:
    free(found.v);
    ctx_close(&c);
    return rc;
}

/* ---- pulls ----------------------------------------------------------------------------------- */

static int64_t pulls_per_day(const struct bank_ctx *c)
{
    int ci = connector_index(c->in.slug);
    json_t *v = json_object_get(c->config, "pullsPerDay");
    int64_t n = json_is_integer(v) ? json_integer_value(v) : connectors[ci].pulls_per_day;
    return n < 1 ? 1 : n > 96 ? 96 : n;
}

/* The start of the next UTC day. */
static int64_t next_day_ms(int64_t now_ms)
{
    return (now_ms / 86400000LL + 1) * 86400000LL;
}

struct run_totals {
    int64_t ok, failed, waited;
    bool expired;
    char reason[STORE_SYNC_ERROR_MAX];
};

/* The account may be pulled now: not waiting for the bank, within the day's limit. */
static bool may_pull(const struct bank_ctx *c, struct bank_account *a, int64_t limit)
{
    char today[BANK_DATE_LEN];
    int64_t until = 0;
    bank_date(c->now_ms, 0, today);
    if (strcmp(a->pull_day, today) != 0) {
        memcpy(a->pull_day, today, sizeof today);
        a->pulls_used = 0;
    }
    if (a->next_pull_at[0] && clock_parse_rfc3339(a->next_pull_at, &until) == 0 &&
        until > c->now_ms)
        return false;
    a->next_pull_at[0] = '\0';
    if (limit >= 0 && a->pulls_used >= limit) {
        clock_format_rfc3339(next_day_ms(c->now_ms), a->next_pull_at);
        return false;
    }
    return true;
}

/* After a pull: what the service said about the quota decides when the next may start. */
static void plan_after(const struct bank_ctx *c, struct bank_account *a, const struct bank_quota *q)
{
    if (q->limit >= 0)
        a->pull_limit = q->limit;
    if (q->rate_limited || q->remaining == 0) {
        int64_t wait_ms = q->reset_s >= 0 ? q->reset_s * 1000 : next_day_ms(c->now_ms) - c->now_ms;
        clock_format_rfc3339(c->now_ms + (wait_ms > 1000 ? wait_ms : 1000), a->next_pull_at);
        if (q->rate_limited && a->pull_limit >= 0 && a->pulls_used < a->pull_limit)
            a->pulls_used = a->pull_limit;
    }
}

static void pull_window(const struct bank_ctx *c, const struct bank_account *a,
                        struct bank_pull *p)
{
    int64_t cursor_ms = 0;
    char t[CLOCK_RFC3339_LEN + 16];
    bank_date(c->now_ms, 0, p->date_to);
    snprintf(t, sizeof t, "%.10sT00:00:00Z", a->cursor);
    if (a->cursor[0] && clock_parse_rfc3339(t, &cursor_ms) == 0 && cursor_ms <= c->now_ms)
        bank_date(cursor_ms, -OVERLAP_DAYS, p->date_from);
    else {
        bank_date(c->now_ms, -FIRST_DAYS, p->date_from);
        p->first = true;
    }
}

static void note_failure(struct run_totals *t, const struct bank_account *a, const char *why)
{
    t->failed++;
    if (!t->reason[0])
        snprintf(t->reason, sizeof t->reason, "account %s: %s", a->iban[0] ? a->iban : a->id,
                 why);
}

/* One account's pull, plan and store; failures are recorded on the account and counted. */
static void pull_account(struct bank_ctx *c, struct bank_account *a, struct sync_run *run,
                         struct run_totals *t)
{
    struct bank_connection conn;
    struct bank_pull p = {.quota = {.limit = -1, .remaining = -1, .reset_s = -1}};
    struct bank_pull_counts counts = {0};
    struct error err = {0}, e2 = {0};
    bool found = false;
    int64_t expires_ms = 0;
    int64_t limit = (c->drv->caps & BANK_CAP_DAILY_LIMIT) ? pulls_per_day(c) : -1;
    if (limit >= 0 && a->pull_limit >= 0 && a->pull_limit < limit)
        limit = a->pull_limit;
    if (store_bank_connection_get(c->env->store, a->tenant_id, a->connection_id, &conn, &found,
                                  &err) < 0 || !found || strcmp(conn.status, "linked") != 0) {
        t->waited++; /* its consent is gone or renewed elsewhere: nothing to pull with */
        return;
    }
    if (conn.expires_at[0] && clock_parse_rfc3339(conn.expires_at, &expires_ms) == 0 &&
        expires_ms <= c->now_ms) {
        store_bank_connection_set_status(c->env->store, a->tenant_id, conn.id, "expired",
                                         "the consent ended; renew it", NULL, NULL, &e2);
        t->expired = true;
        note_failure(t, a, "the consent at the bank expired; renew it");
        return;
    }
    if (!may_pull(c, a, limit)) {
        t->waited++;
        store_bank_account_plan(c->env->store, a, &e2);
        return;
    }
    pull_window(c, a, &p);
    a->pulls_used++; /* counted before it is sent: a failed call is spent as well */
    int rc = c->drv->transactions(c, a, &p, &err);
    plan_after(c, a, &p.quota);
    if (rc == 0 && c->drv->balance) {
        /* after the entries, so the balance is not older than they are; its failure
         * keeps the stored balance and costs the pull nothing */
        if (c->drv->balance(c, a, &p, &e2) < 0)
            log_warn("bank: account %s: no balance: %s", a->id, e2.message);
        a->has_balance = p.has_balance;
        a->balance_minor = p.balance_minor;
        memcpy(a->balance_date, p.balance_date, sizeof a->balance_date);
    }
    if (rc == 0 &&
        store_bank_pull_commit(c->env->store, a, p.txs.v, p.txs.n, p.date_to, c->now_ms, &counts,
                               &err) == 0) {
        t->ok++;
        run->new_count += counts.new_count;
        run->updated_count += counts.updated_count;
        run->deleted_count += counts.removed_count;
        a->error[0] = '\0';
    } else {
        if (err.code == ERR_NOT_INSTALLED) {
            store_bank_connection_set_status(c->env->store, a->tenant_id, conn.id, "expired",
                                             err.message, NULL, NULL, &e2);
            t->expired = true;
        }
        utf8_copy(a->error, sizeof a->error, err.message);
        note_failure(t, a, err.message);
    }
    if (store_bank_account_plan(c->env->store, a, &e2) < 0)
        log_warn("bank: account %s: cannot record its plan: %s", a->id, e2.message);
    bank_txs_free(&p.txs);
}

struct account_list {
    struct bank_account *v;
    size_t n, cap;
    bool failed;
};

static int collect_account(void *ctx, const struct bank_account *a)
{
    struct account_list *l = ctx;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        void *grown = realloc(l->v, cap * sizeof *l->v);
        if (!grown) {
            l->failed = true;
            return 1;
        }
        l->v = grown;
        l->cap = cap;
    }
    l->v[l->n++] = *a;
    return 0;
}

static int count_account(void *ctx, const struct bank_account *a)
{
    (void)a;
    *(bool *)ctx = true;
    return 1;
}

bool bank_install_pulls(struct store *s, const char *tenant_id, const char *install_id)
{
    bool any = false;
    struct error err = {0};
    if (store_bank_accounts_list(s, tenant_id, install_id, count_account, &any, &err) < 0)
        return false;
    return any;
}

int bank_run_execute(const struct bank_env *env, struct sync_run *run)
{
    struct bank_ctx c;
    struct account_list accounts = {0};
    struct run_totals t = {0};
    struct error err = {0}, e2 = {0};
    int64_t spread_ms = 3600000;
    int rc = -1;
    if (ctx_open(env, run->tenant_id, run->slug, run->install_id, &c, &err) < 0) {
        snprintf(t.reason, sizeof t.reason, "%s", err.message);
        goto fail;
    }
    spread_ms = 86400000LL / pulls_per_day(&c);
    if (store_bank_accounts_list(env->store, run->tenant_id, run->install_id, collect_account,
                                 &accounts, &err) < 0 || accounts.failed) {
        snprintf(t.reason, sizeof t.reason, "%s", err.code ? err.message : "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < accounts.n; i++)
        pull_account(&c, &accounts.v[i], run, &t);
    run->skipped_count = t.waited + t.failed;
    if (t.failed > 0 && t.ok == 0)
        goto fail;
    if (env->pulled)
        env->pulled(env->store, run->tenant_id);
    if (store_sync_run_succeed(env->store, run, NULL, clock_now_ms(), clock_now_ms() + spread_ms,
                               &e2) < 0) {
        log_error("bank: run %s: cannot record it: %s", run->id, e2.message);
        goto out;
    }
    log_info("bank %s (%s, tenant %s): %lld new, %lld booked since, %lld pending gone, "
             "%lld accounts waiting or failed", run->id, run->slug, run->tenant_id,
             (long long)run->new_count, (long long)run->updated_count,
             (long long)run->deleted_count, (long long)run->skipped_count);
    rc = 0;
    goto out;
fail:
    log_warn("bank %s (%s, tenant %s) failed: %s", run->id, run->slug, run->tenant_id, t.reason);
    if (store_sync_run_fail(env->store, run, t.reason, t.expired, clock_now_ms(),
                            clock_now_ms() + spread_ms, &e2) < 0)
        log_error("bank: run %s: cannot record the failure: %s", run->id, e2.message);
out:
    free(accounts.v);
    ctx_close(&c);
    return rc;
}

/* ---- parsers --------------------------------------------------------------------------------- */

struct parse_walk {
    int (*fn)(void *ctx, const struct bank_tx_in *t);
    void *ctx;
};

int bank_parse_transactions(const char *driver, const char *body, size_t len,
                            const char *account_id,
                            int (*fn)(void *ctx, const struct bank_tx_in *t), void *ctx,
                            struct error *err)
{
    struct bank_txs txs = {0};
    char next[1024];
    size_t items = 0;
    int rc = -1;
    json_t *doc = json_loadb(body, len, 0, NULL);
    if (!doc)
        return error_set(err, ERR_SERVICE_FAILED, "the page is not JSON");
    const struct bank_driver *d = driver_find(driver);
    if (d == &bank_driver_gocardless)
        rc = bank_gocardless_parse(doc, &txs, err);
    else if (d == &bank_driver_enablebanking)
        rc = bank_enablebanking_parse(doc, &txs, next, sizeof next, err);
    else if (d == &bank_driver_revolut)
        rc = bank_revolut_parse(doc, account_id ? account_id : "", &txs, next, sizeof next,
                                &items, err);
    else
        rc = error_set(err, ERR_VALIDATION, "no bank driver '%.*s'", UTF8_CUT(32, driver));
    for (size_t i = 0; rc == 0 && i < txs.n; i++)
        if (fn(ctx, &txs.v[i]) != 0)
            break;
    bank_txs_free(&txs);
    json_decref(doc);
    return rc;
}
