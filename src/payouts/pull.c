/* payouts/pull.c - one pull of a payment connector's API (payouts.h), and the books' side
 * of what it reports.
 *
 * The sync worker runs it as a sync run of the install (sync/run.c), so a pull is queued
 * once per install at a time, scheduled by the install's interval under the sync-runs
 * job's lease (once across processes), and its cursor is the run's. The window reaches
 * PAYOUTS_LOOKBACK_DAYS before the cursor (a payout in transit is paid days later; what
 * was booked is a duplicate by the store's unique keys) and PAYOUTS_FIRST_DAYS back the
 * first time.
 *
 * Each fee, payout or payment is booked in a transaction of its own, so a pull that stops
 * half way keeps what it booked and the next one books the rest. Fees are what the
 * provider invoices the tenant for its service, from abroad (Stripe, PayPal and Klarna
 * from Ireland or Sweden, SumUp from Ireland): booked under the reverse-charge treatment at
 * the tenant country's rate, whose tax the returns compute from the base. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "catalog/catalog.h"
#include "core/clock.h"
#include "core/fx.h"
#include "core/log.h"
#include "core/utf8.h"
#include "httpc/httpc.h"
#include "ledger/ledger.h"
#include "payouts/payouts_int.h"
#include "store/books.h"

#define DAY_MS 86400000LL
#define REQUEST_TIMEOUT_MS 30000
#define RESPONSE_MAX (8u << 20)
#define RETRY_AFTER_MAX_S 3600

static const struct payouts_source *const sources[] = {
    &payouts_stripe,
    &payouts_paypal,
    &payouts_sumup,
    &payouts_klarna,
};

const struct payouts_source *payouts_source_find(const char *slug)
{
    for (size_t i = 0; slug && i < sizeof sources / sizeof sources[0]; i++)
        if (strcmp(sources[i]->slug, slug) == 0)
            return sources[i];
    return NULL;
}

bool payouts_pulls(const char *slug)
{
    return payouts_source_find(slug) != NULL;
}

bool payouts_pull_configured(const char *slug, const json_t *config, const json_t *secrets,
                             char *why, size_t why_cap)
{
    const struct payouts_source *src = payouts_source_find(slug);
    if (!src) {
        snprintf(why, why_cap, "%s has no API that payouts are pulled from", slug);
        return false;
    }
    if (!json_object_get(secrets, src->key_secret)) {
        snprintf(why, why_cap, "set the %s setting to pull payouts and fees from %s's API",
                 src->key_secret, slug);
        return false;
    }
    const char *user = src->user_setting
                           ? json_string_value(json_object_get(config, src->user_setting))
                           : NULL;
    if (src->user_setting && (!user || !*user)) {
        snprintf(why, why_cap, "set the %s setting to pull payouts and fees from %s's API",
                 src->user_setting, slug);
        return false;
    }
    return true;
}

void pull_time_text(int64_t ms, char out[32])
{
    char full[CLOCK_RFC3339_LEN];
    clock_format_rfc3339(ms, full); /* "2026-12-07T01:02:03.456Z" */
    snprintf(out, 32, "%.19sZ", full);
}

/* ---- requests ---------------------------------------------------------------------------- */

static int answer_of(struct pull_ctx *c, const char *what, struct httpc_response *resp,
                     json_t **out, struct error *err)
{
    if (resp->status == 401 || resp->status == 403) {
        c->res->auth_failed = true;
        return error_set(err, ERR_SERVICE_REFUSED, "%s refused the API key (HTTP %ld) at %s",
                         c->src->slug, resp->status, what);
    }
    if (resp->status == 429) {
        int64_t wait_s = 60;
        if (resp->retry_after[0]) {
            int64_t v = atoll(resp->retry_after);
            if (v > 0)
                wait_s = v < RETRY_AFTER_MAX_S ? v : RETRY_AFTER_MAX_S;
        }
        c->res->deferred = true;
        c->res->defer_until_ms = clock_now_ms() + wait_s * 1000;
        return error_set(err, ERR_UNAVAILABLE, "%s is rate limiting (HTTP 429); next try in %lld s",
                         c->src->slug, (long long)wait_s);
    }
    if (resp->status < 200 || resp->status > 299)
        return error_set(err, ERR_SERVICE_FAILED, "%s answered HTTP %ld at %s", c->src->slug,
                         resp->status, what);
    json_error_t jerr;
    *out = json_loadb(resp->body.data ? resp->body.data : "", resp->body.len, 0, &jerr);
    if (!*out || !json_is_object(*out)) {
        json_decref(*out);
        *out = NULL;
        return error_set(err, ERR_SERVICE_FAILED, "%s answered no JSON object at %s",
                         c->src->slug, what);
    }
    return 0;
}

static int request(struct pull_ctx *c, const char *method, const char *path, const char *form,
                   const char *basic_user, const char *basic_password, json_t **out,
                   struct error *err)
{
    struct buf url;
    struct httpc_response resp = {0};
    struct httpc_header headers[3];
    size_t n = 0;
    int rc = -1;
    *out = NULL;
    buf_init(&url, 0);
    if (buf_printf(&url, "%s%s", c->base, path) < 0) {
        error_set(err, ERR_INTERNAL, "out of memory");
        goto done;
    }
    headers[n++] = (struct httpc_header){"Accept", "application/json"};
    if (c->bearer[0] && !basic_user)
        headers[n++] = (struct httpc_header){"Authorization", c->bearer};
    if (form)
        headers[n++] = (struct httpc_header){"Content-Type", "application/x-www-form-urlencoded"};
    struct httpc_request req = {.method = method,
                                .url = url.data,
                                .headers = headers,
                                .n_headers = n,
                                .body = form,
                                .body_len = form ? strlen(form) : 0,
                                .basic_user = basic_user,
                                .basic_password = basic_password,
                                .timeout_ms = REQUEST_TIMEOUT_MS,
                                .max_response = RESPONSE_MAX,
                                .refuse_private = !c->env->allow_private};
    if (httpc_perform(&req, &resp, err) < 0) {
        error_set(err, ERR_SERVICE_FAILED, "%s could not be reached: %s", c->src->slug,
                  err->message);
        goto done;
    }
    rc = answer_of(c, path, &resp, out, err);
done:
    httpc_response_free(&resp);
    buf_free(&url);
    return rc;
}

static int io_get(struct pull_ctx *c, const char *path_and_query, json_t **out, struct error *err)
{
    bool basic = !c->bearer[0];
    return request(c, "GET", path_and_query, NULL, basic ? (c->user ? c->user : "") : NULL,
                   basic ? c->key.data : NULL, out, err);
}

static int io_post_form(struct pull_ctx *c, const char *path, const char *form, json_t **out,
                        struct error *err)
{
    return request(c, "POST", path, form, c->user ? c->user : "", c->key.data, out, err);
}

/* ---- the books --------------------------------------------------------------------------- */

/* A two-line entry: debit against credit, amount in its currency and in EUR (at the ECB
 * rate of the day for another currency: ERR_FX_MISSING when there is none). The debit line
 * carries a tax treatment when treatment is not NULL. */
struct posting {
    const char *tenant_id, *date, *description;
    const char *debit, *credit;
    const struct money *amount;
    const char *treatment, *tax_country;
    int tax_rate_bp;
};

static int post_two(struct store_tx *tx, const struct posting *p, char entry_id[CRYPTO_ID_MAX],
                    struct error *err)
{
    struct money book = *p->amount;
    if (strcmp(p->amount->currency, "EUR") != 0) {
        int64_t rate = 0;
        char rate_date[11];
        bool found = false;
        if (store_fx_rate_find(tx, p->amount->currency, p->date, LEDGER_FX_WINDOW_DAYS, &rate,
                               rate_date, &found, err) < 0)
            return -1;
        if (!found)
            return error_set(err, ERR_FX_MISSING, "no ECB rate of %s for %s", p->amount->currency,
                             p->date);
        if (fx_to_book(p->amount, rate, &book, err) < 0)
            return -1;
    }
    struct journal_line lines[2] = {
        {.account = p->debit,
         .debit_minor = p->amount->minor,
         .currency = p->amount->currency,
         .book_debit_minor = book.minor,
         .tax_treatment = p->treatment,
         .tax_country = p->tax_country,
         .tax_rate_bp = p->treatment ? p->tax_rate_bp : LEDGER_TAX_RATE_NONE},
        {.account = p->credit,
         .credit_minor = p->amount->minor,
         .currency = p->amount->currency,
         .book_credit_minor = book.minor,
         .tax_rate_bp = LEDGER_TAX_RATE_NONE},
    };
    return store_journal_insert(tx, p->tenant_id, p->date, p->description, NULL, lines, 2,
                                entry_id, err);
}

int payouts_post_bank(struct store_tx *tx, const char *tenant_id, const char *date,
                      const char *description, const char *debit, const char *credit,
                      const struct money *amount, char entry_id[CRYPTO_ID_MAX],
                      struct error *err)
{
    struct posting p = {.tenant_id = tenant_id, .date = date, .description = description,
                        .debit = debit, .credit = credit, .amount = amount};
    return post_two(tx, &p, entry_id, err);
}

/* Books one movement and records it under its unique key in one transaction; a movement
 * recorded before leaves nothing behind. */
static int movement_book(struct pull_ctx *c, struct provider_movement *m,
                         const struct posting *p, struct error *err)
{
    struct store_tx *tx = NULL;
    bool inserted = false;
    if (store_tx_begin(c->env->store, &tx, err) < 0)
        return -1;
    if (p && post_two(tx, p, m->ledger_entry_id, err) < 0)
        goto fail;
    if (store_movement_insert(tx, c->in.tenant_id, m, &inserted, err) < 0)
        goto fail;
    if (!inserted) {
        store_tx_rollback(tx);
        c->res->seen++;
        return 0;
    }
    if (store_tx_commit(tx, err) < 0)
        return -1;
    c->res->booked++;
    return 0;
fail:
    store_tx_rollback(tx);
    return -1;
}

static int movement_of(struct pull_ctx *c, const char *kind, const char *external_id,
                       const struct money *amount, const char *date, const char *reference,
                       struct provider_movement *m, struct error *err)
{
    memset(m, 0, sizeof *m);
    if (!external_id || !*external_id || strlen(external_id) >= sizeof m->external_id)
        return error_set(err, ERR_SERVICE_FAILED, "%s reported a %s without a usable id",
                         c->src->slug, kind);
    snprintf(m->provider, sizeof m->provider, "%s", c->src->slug);
    snprintf(m->kind, sizeof m->kind, "%s", kind);
    snprintf(m->external_id, sizeof m->external_id, "%s", external_id);
    m->amount_minor = amount ? amount->minor : 0;
    snprintf(m->currency, sizeof m->currency, "%s", amount ? amount->currency : "");
    snprintf(m->occurred_on, sizeof m->occurred_on, "%s", date);
    utf8_copy(m->reference, sizeof m->reference, reference ? reference : "");
    return 0;
}

static int io_fee(struct pull_ctx *c, const char *external_id, const struct money *fee,
                  const char *date, const char *reference, struct error *err)
{
    struct provider_movement m;
    char description[200];
    if (movement_of(c, "fee", external_id, fee, date, reference, &m, err) < 0)
        return -1;
    snprintf(description, sizeof description, "%s fee %.*s", c->src->slug,
             UTF8_CUT(120, reference && *reference ? reference : external_id));
    struct posting p = {.tenant_id = c->in.tenant_id,
                        .date = date,
                        .description = description,
                        .debit = c->settings.chart->fees,
                        .credit = c->clearing,
                        .amount = fee,
                        .treatment = ledger_tax_code(LEDGER_TAX_REVERSE_CHARGE_RECEIVED),
                        .tax_country = c->settings.country,
                        .tax_rate_bp = ledger_tax_standard_rate(c->settings.country)};
    return movement_book(c, &m, &p, err);
}

static int io_payout(struct pull_ctx *c, const char *external_id, const struct money *amount,
                     const char *date, const char *reference, struct error *err)
{
    struct provider_movement m;
    char description[200];
    if (movement_of(c, "payout", external_id, amount, date, reference, &m, err) < 0)
        return -1;
    snprintf(description, sizeof description, "%s payout %.*s", c->src->slug,
             UTF8_CUT(120, external_id));
    struct posting p = {.tenant_id = c->in.tenant_id,
                        .date = date,
                        .description = description,
                        .debit = c->settings.chart->bank,
                        .credit = c->clearing,
                        .amount = amount};
    return movement_book(c, &m, &p, err);
}

static int io_event_seen(struct pull_ctx *c, const char *event_id, bool *seen, struct error *err)
{
    struct store_tx *tx = NULL;
    struct provider_movement m;
    bool inserted = false;
    char now[32], today[11];
    *seen = false;
    pull_time_text(clock_now_ms(), now);
    snprintf(today, sizeof today, "%.10s", now);
    if (movement_of(c, "event", event_id, NULL, today, NULL, &m, err) < 0)
        return -1;
    /* Asked in a transaction that is rolled back: the event counts as seen only once
     * pull_event_done recorded it after its booking. */
    if (store_tx_begin(c->env->store, &tx, err) < 0)
        return -1;
    if (store_movement_insert(tx, c->in.tenant_id, &m, &inserted, err) < 0) {
        store_tx_rollback(tx);
        return -1;
    }
    store_tx_rollback(tx);
    *seen = !inserted;
    return 0;
}

static int io_event_done(struct pull_ctx *c, const char *event_id, const char *date,
                         struct error *err)
{
    struct provider_movement m;
    if (movement_of(c, "event", event_id, NULL, date, NULL, &m, err) < 0)
        return -1;
    struct store_tx *tx = NULL;
    bool inserted = false;
    if (store_tx_begin(c->env->store, &tx, err) < 0)
        return -1;
    if (store_movement_insert(tx, c->in.tenant_id, &m, &inserted, err) < 0) {
        store_tx_rollback(tx);
        return -1;
    }
    return store_tx_commit(tx, err);
}

static int io_payments(struct pull_ctx *c, const char *body, size_t len, const json_t *state,
                       const struct payment_list *given, struct error *err)
{
    struct pipeline_outcome out;
    if (pipeline_book_pulled(&c->penv, c->in.tenant_id, c->src->slug, body, len, state, given,
                             &out, err) < 0)
        return -1;
    for (size_t i = 0; i < out.n_results; i++) {
        if (out.results[i].duplicate)
            c->res->seen++;
        else if (out.results[i].action != PIPELINE_ACTION_NONE)
            c->res->booked++;
        else
            c->res->skipped++;
    }
    pipeline_outcome_free(&out);
    return 0;
}

static const struct pull_io real_io = {
    .get = io_get,
    .post_form = io_post_form,
    .fee = io_fee,
    .payout = io_payout,
    .payments = io_payments,
    .event_seen = io_event_seen,
    .event_done = io_event_done,
};

/* ---- what sources call ------------------------------------------------------------------- */

int pull_get(struct pull_ctx *c, const char *path_and_query, json_t **out, struct error *err)
{
    return c->io->get(c, path_and_query, out, err);
}

int pull_post_form(struct pull_ctx *c, const char *path, const char *form, json_t **out,
                   struct error *err)
{
    return c->io->post_form(c, path, form, out, err);
}

/* Whether an id is printable ASCII without spaces, as every provider's ids are. */
static bool id_text(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
            return false;
    return true;
}

/* What every movement must have before it is booked: an id that fits its column, a day. */
static int movement_check(struct pull_ctx *c, const char *kind, const char *external_id,
                          const char *date, struct error *err)
{
    size_t n = external_id ? strlen(external_id) : 0;
    if (n == 0 || n >= STORE_MOVEMENT_ID_MAX || !id_text(external_id, n))
        return error_set(err, ERR_SERVICE_FAILED, "%s reported a %s without a usable id",
                         c->src->slug, kind);
    if (!date || strlen(date) != 10)
        return error_set(err, ERR_SERVICE_FAILED, "%s reported a %s without a date",
                         c->src->slug, kind);
    return 0;
}

int pull_fee(struct pull_ctx *c, const char *external_id, const struct money *fee,
             const char *date, const char *reference, struct error *err)
{
    if (fee->minor <= 0) {
        c->res->skipped++; /* nothing kept, or a fee given back */
        return 0;
    }
    if (movement_check(c, "fee", external_id, date, err) < 0)
        return -1;
    return c->io->fee(c, external_id, fee, date, reference, err);
}

int pull_payout(struct pull_ctx *c, const char *external_id, const struct money *amount,
                const char *date, const char *reference, struct error *err)
{
    if (amount->minor <= 0) {
        c->res->skipped++;
        return 0;
    }
    if (movement_check(c, "payout", external_id, date, err) < 0)
        return -1;
    return c->io->payout(c, external_id, amount, date, reference, err);
}

int pull_payments(struct pull_ctx *c, const char *body, size_t len, const json_t *state,
                  const struct payment_list *given, struct error *err)
{
    return c->io->payments(c, body, len, state, given, err);
}

int pull_event_seen(struct pull_ctx *c, const char *event_id, bool *seen, struct error *err)
{
    if (movement_check(c, "event", event_id, "0000-00-00", err) < 0)
        return -1;
    return c->io->event_seen(c, event_id, seen, err);
}

int pull_event_done(struct pull_ctx *c, const char *event_id, const char *date,
                    struct error *err)
{
    if (movement_check(c, "event", event_id, date, err) < 0)
        return -1;
    return c->io->event_done(c, event_id, date, err);
}

/* ---- one pull ---------------------------------------------------------------------------- */

static int setup(struct pull_ctx *c, struct error *err)
{
    char aad[2 * CRYPTO_ID_MAX + 2];
    if (store_install_get(c->env->store, c->run->tenant_id, c->run->install_id, &c->in, err) < 0)
        return -1;
    c->config = json_loads(c->in.config ? c->in.config : "{}", 0, NULL);
    c->secrets = json_loads(c->in.secrets ? c->in.secrets : "{}", 0, NULL);
    if (!c->config || !c->secrets)
        return error_set(err, ERR_STORE, "the install's settings are not JSON");
    char why[200];
    if (!payouts_pull_configured(c->src->slug, c->config, c->secrets, why, sizeof why))
        return error_set(err, ERR_CONFIG, "%s", why);
    snprintf(aad, sizeof aad, "%s/%s", c->in.tenant_id, c->in.id);
    if (catalog_secret_open(c->secrets, c->src->key_secret, c->env->master_key, aad, &c->key,
                            err) < 0)
        return -1;
    if (buf_append(&c->key, "", 1) < 0) /* NUL-terminated for the headers */
        return error_set(err, ERR_INTERNAL, "out of memory");
    c->key.len--;
    if (c->src->user_setting)
        c->user = json_string_value(json_object_get(c->config, c->src->user_setting));
    const char *base = json_string_value(json_object_get(c->config, "apiBaseUrl"));
    snprintf(c->base, sizeof c->base, "%s", base && *base ? base : c->src->default_base);
    size_t bl = strlen(c->base);
    while (bl > 0 && c->base[bl - 1] == '/')
        c->base[--bl] = '\0';
    if (settings_load(c->env->store, c->in.tenant_id, &c->settings, err) < 0)
        return -1;
    const char *clearing = json_string_value(json_object_get(c->config, "clearingAccount"));
    c->clearing = clearing && *clearing ? clearing : c->settings.chart->clearing;
    c->penv = (struct pipeline_env){.store = c->env->store, .master_key = c->env->master_key};
    return 0;
}

int payouts_pull(const struct payouts_env *env, const struct sync_run *run, const char *cursor,
                 struct payouts_pull_result *out, struct error *err)
{
    struct pull_ctx c = {.io = &real_io, .env = env, .run = run,
                         .src = payouts_source_find(run->slug), .res = out};
    int rc = -1;
    memset(out, 0, sizeof *out);
    buf_init(&c.key, 0);
    if (!c.src)
        return error_set(err, ERR_CONFIG, "%s has no API that payouts are pulled from",
                         run->slug);
    int64_t now = clock_now_ms(), last = 0;
    c.to_ms = now;
    if (cursor && *cursor && clock_parse_rfc3339(cursor, &last) == 0)
        c.from_ms = last - PAYOUTS_LOOKBACK_DAYS * DAY_MS;
    else
        c.from_ms = now - PAYOUTS_FIRST_DAYS * DAY_MS;
    if (setup(&c, err) < 0 || c.src->pull(&c, err) < 0)
        goto out;
    pull_time_text(c.to_ms, out->cursor);
    struct payouts_match_totals totals;
    struct error merr = {0};
    if (payouts_match_tenant(env->store, c.in.tenant_id, &totals, &merr) < 0)
        log_warn("matching after the %s pull of tenant %s: %s", c.src->slug, c.in.tenant_id,
                 merr.message);
    rc = 0;
out:
    if (c.key.data)
        OPENSSL_cleanse(c.key.data, c.key.alloc);
    buf_free(&c.key);
    OPENSSL_cleanse(c.bearer, sizeof c.bearer);
    json_decref(c.config);
    json_decref(c.secrets);
    store_install_clear(&c.in);
    return rc;
}
