/* pipeline/pipeline.c - the path of one webhook (see pipeline.h and DESIGN.md). */
#include "pipeline/pipeline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "catalog/catalog.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/metrics.h"
#include "events/events.h"
#include "ledger/ledger.h"
#include "pipeline/cache.h"
#include "publishing/publishing.h"
#include "settings/settings.h"
#include "store/books.h"
#include "store/installs.h"
#include "store/outbox.h"
#include "store/store.h"

/* The install as the provider and the booking steps see it. */
struct booking_ctx {
    const struct pipeline_env *env;
    const struct provider *provider;
    struct install install;
    /* An outside connector: its manifest at the install's version, and the declarative
     * provider over it (provider points there); empty for a built-in. */
    struct outside_manifest outside;
    struct provider outside_provider;
    struct pipeline_setup setup;
    int deliveries; /* written by its events: the delivery engine has work when > 0 */
    /* A webhook's: the cached snapshot the fields above come from (config, secrets and
     * the accounts' texts are its, not the context's), with a reference; or NULL. */
    struct pipeline_snapshot *snap;
};

static int read_secret(const struct provider_install *inst, const char *key, struct buf *out,
                       struct error *err)
{
    const struct booking_ctx *b = inst->secret_ctx;
    const struct pipeline_secret *opened = b->snap ? pipeline_snapshot_secret(b->snap, key)
                                                   : NULL;
    if (!opened)
        return catalog_secret_open(b->setup.secrets, key, b->env->master_key,
                                   b->setup.aad_prefix, out, err);
    if (opened->rc < 0) {
        *err = opened->err;
        return -1;
    }
    if (buf_append(out, opened->plain.data, opened->plain.len) < 0)
        return error_set(err, ERR_INTERNAL, "out of memory");
    return 0;
}

static const char *setting(const struct booking_ctx *b, const char *key, const char *fallback)
{
    const char *v = json_string_value(json_object_get(b->setup.config, key));
    return v && *v ? v : fallback;
}

/* Reads the install's settings and the tenant's into the booking context. Accounts the
 * connector names win; the others are the tenant's chart's. */
static int booking_setup(struct booking_ctx *b, struct error *err)
{
    b->setup.config = json_loads(b->install.config, 0, NULL);
    b->setup.secrets = json_loads(b->install.secrets, 0, NULL);
    snprintf(b->setup.aad_prefix, sizeof b->setup.aad_prefix, "%s/%s", b->install.tenant_id,
             b->install.id);
    b->setup.auto_post = json_is_true(json_object_get(b->setup.config, "autoPost"));
    b->setup.direction = strcmp(setting(b, "direction", "expense"), "revenue") == 0
                             ? LEDGER_REVENUE
                             : LEDGER_EXPENSE;
    if (settings_load(b->env->store, b->install.tenant_id, &b->setup.settings, err) < 0)
        return -1;
    const struct ledger_chart *chart = b->setup.settings.chart;
    /* vatRate is an enum of whole percents ("20"); no rate: gross amounts without VAT. */
    const char *rate = setting(b, "vatRate", NULL);
    b->setup.accounts = (struct ledger_accounts){
        .expense = setting(b, "expenseAccount", chart->expense),
        .revenue = setting(b, "revenueAccount", chart->revenue),
        .clearing = setting(b, "clearingAccount", chart->clearing),
        .chart = chart,
        .vat_rate_bp = rate ? atoi(rate) * 100 : 0,
    };
    b->setup.default_supplier = setting(b, "defaultSupplierId", NULL);
    return 0;
}

/* The install as the provider sees it. */
static void provider_install_of(struct booking_ctx *b, struct provider_install *inst)
{
    *inst = (struct provider_install){
        .tenant_id = b->install.tenant_id,
        .install_id = b->install.id,
        .config = b->setup.config,
        .secret = read_secret,
        .secret_ctx = b,
        .api_base_url = setting(b, "apiBaseUrl", b->provider->default_api_base),
        .trusted_cert_prefix = b->env->trusted_cert_prefix,
        .manifest = b->outside.doc,
    };
}

/* The provider of an outside connector's install (b->install, read already), when the slug
 * the webhook came for is no built-in's: the manifest of the version the install runs.
 * NULL with ERR_NOT_FOUND when the install is no outside connector's of that slug. */
static const struct provider *outside_provider(struct booking_ctx *b, const char *slug,
                                               struct error *err)
{
    if (strcmp(b->install.slug, slug) != 0 || b->install.manifest_version <= 0) {
        error_set(err, ERR_NOT_FOUND, "no connector '%s'", slug);
        return NULL;
    }
    if (publishing_manifest_load(b->env->store, b->install.slug, b->install.manifest_version,
                                 &b->outside, err) < 0)
        return NULL;
    if (provider_outside_init(&b->outside_provider, b->install.slug, b->outside.doc, err) < 0)
        return NULL;
    return &b->outside_provider;
}

static bool install_awaiting(const struct booking_ctx *b)
{
    const struct connector_manifest *m = b->outside.m ? b->outside.m
                                                      : catalog_find(b->install.slug);
    return m && catalog_config_awaiting(m, b->setup.config, b->setup.secrets);
}

/* Writes a webhook log row outside any transaction (rejections and failures), and counts
 * the request under that status (a string literal, kept by the metrics). log_id (may be
 * NULL) receives the row's id, "" when none was written. */
static void log_alone(const struct booking_ctx *b, const struct webhook_request *req,
                      const char *status, const char *event, const char *error, char *log_id)
{
    struct error err;
    if (log_id)
        log_id[0] = '\0';
    if (b->env->dry_run)
        return;
    metrics_webhook(provider_metrics_label(b->provider), status);
    struct webhook_log log = {.tenant_id = b->install.tenant_id,
                              .provider = b->provider->slug,
                              .event = event,
                              .status = status,
                              .action = "none",
                              .error = error,
                              .body = b->env->keep_bodies ? req->body : NULL,
                              .received_ms = req->now_ms,
                              .id_out = log_id};
    if (store_webhook_log_insert(b->env->store, NULL, &log, &err) < 0) {
        log_error("cannot write the webhook log: %s", err.message);
        if (log_id)
            log_id[0] = '\0';
    }
}

const char *pipeline_action_name(enum pipeline_action action)
{
    static const char *const names[] = {[PIPELINE_ACTION_NONE] = "none",
                                        [PIPELINE_ACTION_BOOKED] = "booked",
                                        [PIPELINE_ACTION_CREDIT_NOTE] = "credit_note"};
    return names[action];
}

/* BOOKED_SETTLED: a payment booked before, whose provider settlement this event brings (a
 * rate for a flagged invoice, or a realised exchange difference): kept, announces nothing. */
enum booked { BOOKED, BOOKED_DUPLICATE, BOOKED_NOTHING, BOOKED_SETTLED };

/* What one settled payment found among the links of its ids (see provider.h). */
struct link_state {
    char key[128];  /* the external_id the payment is booked under */
    bool linked;    /* one of its ids was linked already */
    bool completed; /* the payment took parked details (links_merge) */
    char *parked;   /* details an earlier event parked under one of its ids, or NULL */
};

/* The payment's ids, its external id first ("" where unused). */
static void payment_ids(const struct payment *p, const char *ids[STORE_LINK_ALIASES_MAX])
{
    _Static_assert(1 + PAYMENT_ALIASES <= STORE_LINK_ALIASES_MAX,
                   "a payment's ids are read and linked in one statement");
    ids[0] = p->external_id;
    for (size_t i = 0; i < PAYMENT_ALIASES; i++)
        ids[i + 1] = p->aliases[i];
}

/* Looks up the payment's ids (in one statement), its external id first: the first link
 * found in that order decides the key, and the first parked details before it are kept
 * (owned by st). */
static int links_resolve(const struct booking_ctx *b, struct store_tx *tx,
                         const struct payment *p, struct link_state *st, struct error *err)
{
    const char *ids[STORE_LINK_ALIASES_MAX];
    struct payment_link l[1 + PAYMENT_ALIASES];
    payment_ids(p, ids);
    snprintf(st->key, sizeof st->key, "%s", p->external_id);
    if (store_payment_links_get(tx, b->install.tenant_id, b->provider->slug, ids,
                                1 + PAYMENT_ALIASES, l, err) < 0)
        return -1;
    for (size_t i = 0; i < 1 + PAYMENT_ALIASES; i++) {
        bool before_link = !st->linked; /* ids after the first linked one do not count */
        if (before_link && l[i].parked && !st->parked)
            st->parked = l[i].parked;
        else
            free(l[i].parked);
        if (before_link && l[i].external_id[0]) {
            _Static_assert(sizeof st->key == sizeof l[i].external_id, "a key holds a link");
            memcpy(st->key, l[i].external_id, sizeof st->key);
            st->linked = true;
        }
    }
    return 0;
}

/* Links every id of the payment to key (ids linked before keep their link). */
static int links_add(const struct booking_ctx *b, struct store_tx *tx, const struct payment *p,
                     const char *key, struct error *err)
{
    const char *ids[STORE_LINK_ALIASES_MAX];
    payment_ids(p, ids);
    return store_payment_links_add(tx, b->install.tenant_id, b->provider->slug, ids,
                                   1 + PAYMENT_ALIASES, key, err);
}

/* The details of a payment that a later event may need (what LINK_WAIT parks). */
static int links_park(const struct booking_ctx *b, struct store_tx *tx, const struct payment *p,
                      struct error *err)
{
    json_t *d = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "invoiceNumber",
                          p->invoice_number, "date", p->date, "customerId", p->customer_id,
                          "customerEmail", p->customer_email, "customerName", p->customer_name,
                          "merchantId", p->merchant_id, "merchantEmail", p->merchant_email,
                          "merchantName", p->merchant_name);
    if (d && p->has_tax)
        json_object_set_new(d, "tax", json_integer(p->tax_minor));
    if (d) { /* what the tax treatment is decided from */
        json_object_set_new(d, "customerCountry", json_string(p->customer_country));
        json_object_set_new(d, "customerVatId", json_string(p->customer_vat_id));
        json_object_set_new(d, "merchantCountry", json_string(p->merchant_country));
        json_object_set_new(d, "taxHint", json_integer(p->tax_hint));
    }
    char *text = d ? json_dumps(d, JSON_COMPACT) : NULL;
    json_decref(d);
    if (!text)
        return error_set(err, ERR_INTERNAL, "out of memory");
    int rc = store_payment_park(tx, b->install.tenant_id, b->provider->slug, p->external_id, text,
                                err);
    for (size_t i = 0; rc == 0 && i < PAYMENT_ALIASES; i++)
        if (p->aliases[i][0])
            rc = store_payment_park(tx, b->install.tenant_id, b->provider->slug, p->aliases[i],
                                    text, err);
    free(text);
    return rc;
}

static void take_text(const json_t *d, const char *key, char *dst, size_t cap)
{
    const char *v = json_string_value(json_object_get(d, key));
    if (v && *v && !dst[0])
        snprintf(dst, cap, "%s", v);
}

/* Completes p with parked details: what p does not say itself. The parked event is the
 * document (an invoice: number, date, parties, tax); p is the payment that links it. */
static void links_merge(struct payment *p, const char *parked)
{
    json_t *d = json_loads(parked, 0, NULL);
    if (!d)
        return;
    /* The document's number and date win over the payment's defaults (its own id). */
    char date[sizeof p->date] = "", number[sizeof p->invoice_number] = "";
    take_text(d, "date", date, sizeof date);
    if (date[0])
        memcpy(p->date, date, sizeof p->date);
    take_text(d, "invoiceNumber", number, sizeof number);
    if (number[0])
        memcpy(p->invoice_number, number, sizeof p->invoice_number);
    take_text(d, "customerId", p->customer_id, sizeof p->customer_id);
    take_text(d, "customerEmail", p->customer_email, sizeof p->customer_email);
    take_text(d, "customerName", p->customer_name, sizeof p->customer_name);
    take_text(d, "merchantId", p->merchant_id, sizeof p->merchant_id);
    take_text(d, "merchantEmail", p->merchant_email, sizeof p->merchant_email);
    take_text(d, "merchantName", p->merchant_name, sizeof p->merchant_name);
    take_text(d, "customerCountry", p->customer_country, sizeof p->customer_country);
    take_text(d, "customerVatId", p->customer_vat_id, sizeof p->customer_vat_id);
    take_text(d, "merchantCountry", p->merchant_country, sizeof p->merchant_country);
    json_int_t hint = json_integer_value(json_object_get(d, "taxHint"));
    if (p->tax_hint == PAYMENT_TAX_HINT_NONE && hint > PAYMENT_TAX_HINT_NONE &&
        hint <= PAYMENT_TAX_HINT_EXEMPT)
        p->tax_hint = (enum payment_tax_hint)hint;
    json_t *tax = json_object_get(d, "tax");
    if (json_is_integer(tax) && !p->has_tax && json_integer_value(tax) >= 0 &&
        json_integer_value(tax) < p->amount.minor) {
        p->has_tax = true;
        p->tax_minor = json_integer_value(tax);
    }
    json_decref(d);
}

/* The invoice's fields that come from the payment. */
static void invoice_of_payment(const struct booking_ctx *b, const struct payment *p,
                               const char *key, struct invoice *inv)
{
    memcpy(inv->tenant_id, b->install.tenant_id, sizeof inv->tenant_id);
    snprintf(inv->invoice_number, sizeof inv->invoice_number, "%s", p->invoice_number);
    memcpy(inv->invoice_date, p->date, sizeof inv->invoice_date);
    inv->total_gross_minor = p->amount.minor;
    memcpy(inv->currency, p->amount.currency, sizeof inv->currency);
    snprintf(inv->source, sizeof inv->source, "%s", b->provider->slug);
    size_t n = strnlen(key, sizeof inv->external_id - 1); /* both hold 128 bytes */
    memcpy(inv->external_id, key, n);
    inv->external_id[n] = '\0';
    inv->has_tax = p->has_tax;
    inv->tax_minor = p->tax_minor;
}

/* Whether the payment takes part in links at all: a provider that names each payment by one
 * id and books every event at once (all but Stripe) never reads or writes one, so its hot
 * path stays one insert. */
static bool payment_has_links(const struct payment *p)
{
    return p->kind == PAYMENT_SETTLED && (p->link != PAYMENT_LINK_BOOK || p->aliases[0][0]);
}

/* Decides, from the links of a settled payment's ids, whether this event books it: on
 * BOOKED_NOTHING it says why in detail; on BOOKED the payment may have been completed
 * with parked details. *link tells whether the ids are to be linked to st->key. */
static int links_decide(struct booking_ctx *b, struct store_tx *tx, struct payment *p,
                        struct link_state *st, bool *book, bool *link, char *detail,
                        size_t detail_cap, struct error *err)
{
    *book = true;
    *link = true;
    if (links_resolve(b, tx, p, st, err) < 0)
        return -1;
    /* An event that books at once books whether or not the payment was (the insert finds
     * a duplicate): no need to ask. */
    if (p->link == PAYMENT_LINK_BOOK)
        return 0;
    bool booked = false;
    if (store_invoice_exists(tx, b->install.tenant_id, b->provider->slug, st->key, &booked,
                             err) < 0)
        return -1;
    if (booked)
        return 0; /* the insert finds the duplicate */
    switch (p->link) {
    case PAYMENT_LINK_BOOK:
        return 0;
    case PAYMENT_LINK_WAIT:
        if (st->linked)
            return 0;
        if (links_park(b, tx, p, err) < 0)
            return -1;
        /* A link written meanwhile by a concurrent transaction (PostgreSQL) makes the park
         * a no-op; the second look sees it, so the details are booked, not lost. */
        free(st->parked);
        st->parked = NULL;
        if (links_resolve(b, tx, p, st, err) < 0)
            return -1;
        if (st->linked)
            return 0;
        *book = *link = false;
        snprintf(detail, detail_cap,
                 "%.60s waits for the event that names its payment (Stripe: "
                 "invoice_payment.paid); no action taken yet",
                 p->external_id);
        return 0;
    case PAYMENT_LINK_ONLY:
        if (st->parked) {
            links_merge(p, st->parked);
            st->completed = true;
            return 0;
        }
        *book = false;
        snprintf(detail, detail_cap,
                 "linked %.60s to its payment; the invoice's own event books it; no action "
                 "taken",
                 p->aliases[0][0] ? p->aliases[0] : p->external_id);
        return 0;
    case PAYMENT_LINK_DEFER:
        if (!st->linked)
            return 0;
        *book = false;
        snprintf(detail, detail_cap,
                 "the payment of an invoice, which the invoice's own event books; no action "
                 "taken");
        return 0;
    }
    return 0;
}

/* The invoice's EUR amount: the provider's settlement where the payload gave one. */
static int rate_invoice(struct booking_ctx *b, struct store_tx *tx, const struct payment *p,
                        struct invoice *inv, struct error *err)
{
    return ledger_fx_rate(tx, inv, p->has_settlement ? &p->settlement : NULL,
                          b->provider->slug, err);
}

static int settle_booked(struct booking_ctx *b, struct store_tx *tx, const struct payment *p,
                         const struct invoice *inv, char *detail, size_t detail_cap,
                         enum booked *result, struct error *err);

/* The tax treatment of the payment's invoice line (ledger/tax.c) from what the payload
 * says and the tenant's tax settings. */
static int decide_tax(const struct booking_ctx *b, const struct payment *p, struct invoice *inv,
                      struct error *err)
{
    bool expense = b->setup.direction == LEDGER_EXPENSE;
    const char *country = expense ? p->merchant_country : p->customer_country;
    const char *vat_id = expense ? "" : p->customer_vat_id;
    static const enum ledger_tax_hint hints[] = {
        [PAYMENT_TAX_HINT_NONE] = LEDGER_TAX_HINT_NONE,
        [PAYMENT_TAX_HINT_REVERSE_CHARGE] = LEDGER_TAX_HINT_REVERSE_CHARGE,
        [PAYMENT_TAX_HINT_EXEMPT] = LEDGER_TAX_HINT_EXEMPT,
    };
    const struct ledger_tax_facts facts = {
        .tenant_country = b->setup.settings.country,
        .small_business = b->setup.settings.small_business,
        .oss = b->setup.settings.oss,
        .goods = b->setup.settings.goods,
        .direction = b->setup.direction,
        .country = country,
        .vat_id_valid = settings_vat_number_valid(vat_id) && ledger_tax_vat_id_of(vat_id, country),
        .hint = hints[p->tax_hint],
        .has_tax = p->has_tax,
        .tax_minor = p->tax_minor,
        .gross_minor = p->amount.minor,
        .vat_rate_bp = b->setup.accounts.vat_rate_bp,
    };
    struct ledger_tax_decision d;
    if (ledger_tax_decide(&facts, &d, err) < 0)
        return -1;
    struct invoice_tax_line *t = &inv->tax_line;
    snprintf(t->treatment, sizeof t->treatment, "%s", ledger_tax_code(d.treatment));
    memcpy(t->country, d.country, sizeof t->country);
    t->rate_bp = d.rate_bp;
    snprintf(t->vat_id, sizeof t->vat_id, "%s", vat_id);
    snprintf(t->note, sizeof t->note, "%s", d.note);
    return 0;
}

/* An invoice that is posted at once (autoPost, rated: without a rate it is booked and
 * flagged, and posted once rated) is stored naming its entry (ledger_entry_reserve), so
 * that posting it is no update of the row just written. */
static int reserve_entry(const struct booking_ctx *b, struct invoice *inv, bool posts,
                         struct error *err)
{
    return b->setup.auto_post && posts && inv->fx.rated ? ledger_entry_reserve(inv, err) : 0;
}

/* A duplicate's insert stored nothing: its invoice names no entry. */
static void unreserve_entry(struct invoice *inv)
{
    inv->entry_reserved = false;
    inv->journal_entry_id[0] = '\0';
}

/* What a booking posts to the journal once the rest of the payment's work is written. The
 * journal's chain head is one row that every booking of the tenant moves, and on
 * PostgreSQL (a transaction per webhook) its row lock is held from that move to the
 * commit: posting last holds it for the entry and the commit only, not for the events,
 * links and log row that follow a booking, so more of one tenant's webhooks book at once. */
struct posting {
    enum { POST_NONE, POST_INVOICE, POST_REFUND } kind;
    struct invoice original; /* POST_REFUND: the invoice it credits */
};

/* Books one settled payment: party and invoice (deduplicated); its ledger entry, when it
 * posts, goes into *post for book_payment to write last. */
static int book_settled(struct booking_ctx *b, struct store_tx *tx, const struct payment *p,
                        struct invoice *inv, char *detail, size_t detail_cap,
                        enum booked *result, struct posting *post, struct error *err)
{
    bool expense = b->setup.direction == LEDGER_EXPENSE;
    bool created = false;
    char fallback_name[160], ref[300];
    snprintf(fallback_name, sizeof fallback_name, "%s", b->provider->slug);
    /* Without the provider's id or an email for the party, a stable key from what the
     * payload does say (its name, else the provider itself) keeps every payment of an
     * ordinary account from creating a supplier of its own. */
    const char *id = expense ? p->merchant_id : p->customer_id;
    const char *email = expense ? p->merchant_email : p->customer_email;
    const char *named = expense ? p->merchant_name : p->customer_name;
    if (!id[0] && !email[0])
        snprintf(ref, sizeof ref, "name:%s", named[0] ? named : b->provider->slug);
    const struct party_hint hint = {
        .provider = b->provider->slug,
        .provider_ref = id[0] || email[0] ? id : ref,
        .email = expense ? p->merchant_email : p->customer_email,
        .name = expense ? (p->merchant_name[0] ? p->merchant_name
                           : p->merchant_email[0] ? p->merchant_email : fallback_name)
                        : (p->customer_name[0] ? p->customer_name
                           : p->customer_email[0] ? p->customer_email
                           : p->customer_id[0] ? p->customer_id : "Customer"),
        .fallback_id = expense ? b->setup.default_supplier : NULL,
    };
    if (store_party_resolve(tx, b->install.tenant_id, expense ? PARTY_SUPPLIER : PARTY_CUSTOMER,
                            &hint, inv->party_id, &created, err) < 0)
        return -1;
    inv->type = expense ? "eingangsrechnung" : "ausgangsrechnung";
    if (decide_tax(b, p, inv, err) < 0)
        return -1;
    bool inserted = false;
    if (rate_invoice(b, tx, p, inv, err) < 0 || reserve_entry(b, inv, true, err) < 0 ||
        store_invoice_insert(tx, inv, &inserted, err) < 0)
        return -1;
    if (!inserted) {
        unreserve_entry(inv);
        *result = BOOKED_DUPLICATE;
        return p->has_settlement ? settle_booked(b, tx, p, inv, detail, detail_cap, result, err)
                                 : 0;
    }
    *result = BOOKED;
    post->kind = inv->entry_reserved ? POST_INVOICE : POST_NONE;
    return 0;
}

/* A later event of a booked payment that says what the provider credited in EUR (Stripe's
 * charge with its balance transaction after the invoice's event): the booked invoice takes
 * it as its rate when it had none, or realises the difference to its ECB rate. */
static int settle_booked(struct booking_ctx *b, struct store_tx *tx, const struct payment *p,
                         const struct invoice *inv, char *detail, size_t detail_cap,
                         enum booked *result, struct error *err)
{
    struct invoice booked;
    enum ledger_fx_settled what;
    char entry[CRYPTO_ID_MAX];
    int64_t diff;
    if (store_invoice_find(tx, b->install.tenant_id, b->provider->slug, inv->external_id,
                           &booked, err) < 0 ||
        ledger_fx_settle(tx, b->setup.accounts.chart, &booked, &p->settlement, b->provider->slug,
                         p->date, &what, entry, &diff, err) < 0)
        return -1;
    char eur[MONEY_TEXT_MAX];
    struct money m = {.minor = diff < 0 ? -diff : diff, .currency = "EUR"};
    money_format(&m, eur);
    if (what == LEDGER_FX_RATED) {
        snprintf(detail, detail_cap, "invoice %s rated with %s's settlement of its payment",
                 booked.id, b->provider->slug);
        *result = BOOKED_SETTLED;
    } else if (what == LEDGER_FX_DIFFERENCE) {
        snprintf(detail, detail_cap,
                 "settled %s EUR %s its booking at the ECB rate: exchange difference on "
                 "invoice %s booked (entry %s)",
                 eur, diff > 0 ? "above" : "below", booked.id, entry);
        *result = BOOKED_SETTLED;
    }
    return 0;
}

/* Books a refund: a credit note against the original invoice, and the reversing entry. */
static int book_refund(struct booking_ctx *b, struct store_tx *tx, const struct payment *p,
                       struct invoice *inv, char *detail, size_t detail_cap,
                       enum booked *result, struct posting *post, struct error *err)
{
    struct invoice original;
    struct error find_err;
    /* The payment may be booked under another of its ids (a link says which). */
    struct payment_link link;
    const char *ids[] = {p->refunded_external_id};
    if (store_payment_links_get(tx, b->install.tenant_id, b->provider->slug, ids, 1, &link,
                                err) < 0)
        return -1;
    free(link.parked);
    const char *key = link.external_id[0] ? link.external_id : p->refunded_external_id;
    if (store_invoice_find(tx, b->install.tenant_id, b->provider->slug, key, &original,
                           &find_err) < 0) {
        if (find_err.code != ERR_NOT_FOUND) {
            *err = find_err;
            return -1;
        }
        /* Nothing to credit: the payment was never booked here (before the install, or
         * booked elsewhere). Accepting it keeps the provider from retrying forever. */
        snprintf(detail, detail_cap, "refund of %s, which was not booked here; no action taken",
                 p->refunded_external_id);
        *result = BOOKED_NOTHING;
        return 0;
    }
    inv->type = "gutschrift";
    memcpy(inv->party_id, original.party_id, sizeof inv->party_id);
    memcpy(inv->related_invoice_id, original.id, sizeof inv->related_invoice_id);
    inv->tax_line = original.tax_line; /* a credit note corrects under the same rules */
    bool inserted = false;
    /* The reversal mirrors the original's entry (its accounts and VAT code, whatever the
     * connector's settings say today): posted at once when the original has one. */
    if (rate_invoice(b, tx, p, inv, err) < 0 ||
        reserve_entry(b, inv, original.journal_entry_id[0] != '\0', err) < 0 ||
        store_invoice_insert(tx, inv, &inserted, err) < 0)
        return -1;
    if (!inserted) {
        unreserve_entry(inv);
        *result = BOOKED_DUPLICATE;
        return 0;
    }
    *result = BOOKED;
    if (inv->entry_reserved) {
        post->kind = POST_REFUND;
        post->original = original;
    }
    return 0;
}

/* The job's events go into the outbox through these (events_publish): they count the
 * deliveries written. */
static int emit_text(struct booking_ctx *b, struct store_tx *tx, const char *const *types,
                     size_t n_types, const char *data_json, struct error *err)
{
    struct event_record evs[2] = {0};
    int fanned = 0;
    if (n_types > sizeof evs / sizeof evs[0])
        return error_set(err, ERR_INTERNAL, "too many events at once");
    for (size_t i = 0; i < n_types; i++) {
        evs[i].data = data_json;
        snprintf(evs[i].tenant_id, sizeof evs[i].tenant_id, "%s", b->install.tenant_id);
        snprintf(evs[i].type, sizeof evs[i].type, "%s", types[i]);
    }
    if (events_publish(tx, evs, n_types, &fanned, err) < 0)
        return -1;
    b->deliveries += fanned;
    return 0;
}

/* data: the event's JSON text from its builder (taken; NULL when the builder failed). */
static int emit(struct booking_ctx *b, struct store_tx *tx, const char *type, char *data,
                struct error *err)
{
    if (!data)
        return -1;
    int rc = emit_text(b, tx, &type, 1, data, err);
    free(data);
    return rc;
}

/* A payment's data for one of the payment.* events, built by that type's builder (see
 * events/types.def); the counterparty when it was booked. NULL with err when it cannot be
 * built. */
static char *payment_data(const struct booking_ctx *b, const struct payment *p,
                          const struct invoice *inv, bool booked,
                          char *(*build)(const struct event_data *d, struct error *err),
                          struct error *err)
{
    char amount[MONEY_TEXT_MAX];
    money_format(&p->amount, amount);
    bool expense = b->setup.direction == LEDGER_EXPENSE;
    const char *name = expense ? p->merchant_name : p->customer_name;
    const char *email = expense ? p->merchant_email : p->customer_email;
    /* payment.verified comes for every verified payment: the outcome says which it was. */
    static const char *const outcomes[] = {[PAYMENT_SETTLED] = "settled",
                                           [PAYMENT_FAILED] = "failed",
                                           [PAYMENT_REFUNDED] = "refunded",
                                           [PAYMENT_IGNORED] = "ignored"};
    struct event_data who = {.id = inv->party_id, .name = name, .email = email,
                             .role = expense ? "supplier" : "customer"};
    json_t *party = booked ? events_part_party(&who, err) : NULL;
    struct event_data d = {
        .provider = b->provider->slug, .event = p->event, .external_id = p->external_id,
        .amount = amount, .currency = p->amount.currency,
        .amount_minor = {.set = true, .value = p->amount.minor},
        .invoice_number = p->invoice_number, .invoice_date = p->date,
        .direction = expense ? "expense" : "revenue", .outcome = outcomes[p->kind],
        .reason = p->kind == PAYMENT_FAILED ? p->event : NULL,
        .invoice_id = booked ? inv->id : NULL, .party = party};
    char *text = build(&d, err);
    json_decref(party);
    return text;
}

static int emit_customer_events(struct booking_ctx *b, struct store_tx *tx,
                                const struct payment *p, const struct invoice *inv,
                                struct error *err);

/* A settled payment's event data, written on the HTTP thread before its booking, so that
 * the committer, which every booking waits for, only puts in what the booking alone knows:
 * the invoice's and the party's ids, written over placeholders of an id's length. Neither
 * placeholder's key can be matched inside a string value, where every quote is escaped. */
struct payment_text {
    char *text;           /* owned; NULL: the data is made at the booking */
    size_t invoice_at;    /* where the invoice's id goes */
    size_t party_at;      /* where the party's id goes */
};

#define ID_PLACEHOLDER "000000000000000000000000000000000000"
#define INVOICE_ID_KEY "\"invoiceId\":\""
#define PARTY_ID_KEY "\"party\":{\"id\":\""

static void payment_text_make(const struct booking_ctx *b, const struct payment *p,
                              struct payment_text *out)
{
    _Static_assert(sizeof ID_PLACEHOLDER < CRYPTO_ID_MAX, "a placeholder fits an id");
    out->text = NULL;
    if (p->kind != PAYMENT_SETTLED)
        return;
    struct invoice inv = {0};
    memcpy(inv.id, ID_PLACEHOLDER, sizeof ID_PLACEHOLDER);
    memcpy(inv.party_id, ID_PLACEHOLDER, sizeof ID_PLACEHOLDER);
    struct error err = {0};
    char *text = payment_data(b, p, &inv, true, events_build_payment_settled, &err);
    if (!text)
        return; /* made again at the booking, which reports why it cannot be */
    const char *invoice = strstr(text, INVOICE_ID_KEY ID_PLACEHOLDER "\"");
    const char *party = strstr(text, PARTY_ID_KEY ID_PLACEHOLDER "\"");
    if (!invoice || !party) {
        free(text);
        return;
    }
    out->text = text;
    out->invoice_at = (size_t)(invoice - text) + strlen(INVOICE_ID_KEY);
    out->party_at = (size_t)(party - text) + strlen(PARTY_ID_KEY);
}

/* The prepared data with the booking's ids written in (again on a second run of the job),
 * or NULL when an id is not of the placeholder's length: then it is made afresh. */
static const char *payment_text_fill(struct payment_text *t, const struct invoice *inv)
{
    size_t n = sizeof ID_PLACEHOLDER - 1;
    if (!t || !t->text || strlen(inv->id) != n || strlen(inv->party_id) != n)
        return NULL;
    memcpy(t->text + t->invoice_at, inv->id, n);
    memcpy(t->text + t->party_at, inv->party_id, n);
    return t->text;
}

/* Outbox events of one payment, in its booking: payment.verified always; then
 * payment.settled, or payment.failed; and for a customer's settled payment (revenue),
 * customer.first_payment and customer.milestone when a threshold is crossed. */
static int emit_events(struct booking_ctx *b, struct store_tx *tx, const struct payment *p,
                       const struct invoice *inv, bool booked, struct payment_text *prepared,
                       struct error *err)
{
    if (p->kind == PAYMENT_SETTLED && booked) {
        /* Both events carry the same data (a settled payment has no reason, the one field
         * of payment.verified that payment.settled lacks): made and written out once. */
        const char *filled = payment_text_fill(prepared, inv);
        char *made = filled ? NULL
                            : payment_data(b, p, inv, true, events_build_payment_settled, err);
        const char *text = filled ? filled : made;
        static const char *const types[] = {"payment.verified", "payment.settled"};
        int rc = text ? emit_text(b, tx, types, 2, text, err) : -1;
        free(made);
        if (rc < 0 || b->setup.direction != LEDGER_REVENUE)
            return rc;
        return emit_customer_events(b, tx, p, inv, err);
    }
    if (emit(b, tx, "payment.verified",
             payment_data(b, p, inv, booked, events_build_payment_verified, err), err) < 0)
        return -1;
    if (p->kind == PAYMENT_FAILED)
        return emit(b, tx, "payment.failed",
                    payment_data(b, p, inv, false, events_build_payment_failed, err), err);
    return 0;
}

/* customer.first_payment and customer.milestone for a customer's settled payment. */
static int emit_customer_events(struct booking_ctx *b, struct store_tx *tx,
                                const struct payment *p, const struct invoice *inv,
                                struct error *err)
{
    const char *tenant = b->install.tenant_id;
    int64_t count = 0, total = 0;
    if (store_customer_totals(tx, tenant, inv->party_id, inv->currency, &count, &total, err) < 0)
        return -1;
    char amount[MONEY_TEXT_MAX];
    money_format(&p->amount, amount);
    struct event_data who = {.id = inv->party_id, .name = p->customer_name,
                             .email = p->customer_email};
    json_t *customer = events_part_customer(&who, err);
    struct event_data first = {.customer = customer, .amount = amount,
                               .currency = inv->currency,
                               .amount_minor = {.set = true, .value = inv->total_gross_minor},
                               .invoice_id = inv->id, .provider = b->provider->slug};
    if (count == 1 &&
        emit(b, tx, "customer.first_payment", events_build_customer_first_payment(&first, err),
             err) < 0)
        goto fail;
    size_t n = b->setup.settings.n_milestones;
    const long *thresholds = b->setup.settings.milestones;
    int decimals = money_currency_decimals(inv->currency);
    int64_t scale = 1;
    for (int i = 0; i < decimals; i++)
        scale *= 10;
    for (size_t i = 0; i < n; i++) {
        int64_t t = thresholds[i] * scale;
        if (total - inv->total_gross_minor < t && total >= t) {
            struct money mt = {.minor = t}, mtotal = {.minor = total};
            char ts[MONEY_TEXT_MAX], tot[MONEY_TEXT_MAX];
            memcpy(mt.currency, inv->currency, 4);
            memcpy(mtotal.currency, inv->currency, 4);
            money_format(&mt, ts);
            money_format(&mtotal, tot);
            struct event_data milestone = {.customer = customer, .threshold = ts, .total = tot,
                                           .currency = inv->currency};
            if (emit(b, tx, "customer.milestone",
                     events_build_customer_milestone(&milestone, err), err) < 0)
                goto fail;
        }
    }
    json_decref(customer);
    return 0;
fail:
    json_decref(customer);
    return -1;
}

/* Books one payment (inside its own savepoint when the job runs isolated) and writes its log
 * row. prepared: the payment's event data made before (payment_text_make), or NULL. */
static int book_payment(struct booking_ctx *b, struct store_tx *tx,
                        const struct webhook_request *req, const struct payment *event,
                        struct payment_text *prepared, struct pipeline_result *r,
                        struct error *err)
{
    struct invoice inv = {0};
    enum booked result = BOOKED_NOTHING;
    char *detail = r->detail;
    const size_t detail_cap = sizeof r->detail;
    /* A copy: parked details of the same payment may complete it. */
    struct payment copy = *event;
    struct payment *p = &copy;
    struct link_state links = {0};
    struct posting post = {.kind = POST_NONE};
    bool book = true, link = false;
    /* Its own savepoint, for a duplicate to leave nothing behind; run bare in a group commit
     * (store_tx_isolated), the booking has none, and a duplicate that wrote something on
     * the way (a new supplier) fails the job, which then runs again isolated. */
    bool isolated = store_tx_isolated(tx);
    int64_t writes_before = isolated ? 0 : store_tx_writes(tx);

    if (isolated && store_tx_savepoint(tx, err) < 0)
        return -1;
    int rc = 0;
    if (payment_has_links(p))
        rc = links_decide(b, tx, p, &links, &book, &link, detail, detail_cap, err);
    invoice_of_payment(b, p, links.key[0] ? links.key : p->external_id, &inv);
    switch (p->kind) {
    case PAYMENT_SETTLED:
        if (rc == 0 && book)
            rc = book_settled(b, tx, p, &inv, detail, detail_cap, &result, &post, err);
        break;
    case PAYMENT_REFUNDED:
        rc = book_refund(b, tx, p, &inv, detail, detail_cap, &result, &post, err);
        break;
    case PAYMENT_FAILED:
        snprintf(detail, detail_cap, "payment failed; no invoice booked");
        break;
    case PAYMENT_IGNORED:
        snprintf(detail, detail_cap, "%s", p->detail);
        break;
    }
    /* An event of a payment that another event books (or waits to book) announces
     * nothing: payment.verified comes once, from the booking. */
    bool quiet = (p->kind == PAYMENT_SETTLED && !book) || result == BOOKED_SETTLED;
    if (rc == 0 && result != BOOKED_DUPLICATE && p->kind != PAYMENT_IGNORED && !quiet)
        rc = emit_events(b, tx, p, &inv, result == BOOKED, links.completed ? NULL : prepared,
                         err);
    /* A duplicate must leave nothing behind, not even a supplier made a moment ago: undone
     * with the savepoint, or (bare) by failing the job, which then runs again isolated. */
    if (!isolated && rc == 0 && result == BOOKED_DUPLICATE &&
        (writes_before < 0 || store_tx_writes(tx) != writes_before))
        rc = error_set(err, ERR_CONFLICT, "a duplicate that wrote, to be undone in a savepoint");
    int closed = 0;
    if (isolated)
        closed = rc < 0 || result == BOOKED_DUPLICATE ? store_tx_undo(tx, err)
                                                      : store_tx_release(tx, err);
    free(links.parked);
    if (rc < 0 || closed < 0)
        return -1;
    /* Links outlive a duplicate's undo: the later event may be the first to name an id. */
    if (link && links_add(b, tx, p, inv.external_id, err) < 0)
        return -1;
    r->duplicate = result == BOOKED_DUPLICATE;
    r->action = result != BOOKED                 ? PIPELINE_ACTION_NONE
                : p->kind == PAYMENT_REFUNDED ? PIPELINE_ACTION_CREDIT_NOTE
                                                : PIPELINE_ACTION_BOOKED;
    struct webhook_log log = {.tenant_id = b->install.tenant_id,
                              .provider = b->provider->slug,
                              .event = p->event,
                              .status = r->duplicate ? "duplicate" : "processed",
                              .action = pipeline_action_name(r->action),
                              .external_id = p->external_id[0] ? p->external_id : NULL,
                              .detail = detail[0] ? detail : NULL,
                              .body = b->env->keep_bodies ? req->body : NULL,
                              .received_ms = req->now_ms,
                              .id_out = b->env->dry_run ? NULL : r->log_id};
    if (store_webhook_log_insert(NULL, tx, &log, err) < 0)
        return -1;
    /* Last (see struct posting); a failure fails the whole job, which is undone. */
    char entry[CRYPTO_ID_MAX];
    if ((post.kind == POST_INVOICE &&
         ledger_post_invoice(tx, b->setup.direction, &b->setup.accounts, &inv, entry, err) < 0) ||
        (post.kind == POST_REFUND && ledger_post_refund(tx, &post.original, &inv, entry, err) < 0))
        return -1;

    _Static_assert(sizeof r->event == sizeof p->event &&
                       sizeof r->external_id == sizeof p->external_id,
                   "a result holds its payment's event and id whole");
    memcpy(r->event, p->event, sizeof r->event);
    memcpy(r->external_id, p->external_id, sizeof r->external_id);
    if (result == BOOKED) {
        memcpy(r->invoice_id, inv.id, sizeof r->invoice_id);
        r->invoice_type = inv.type;
        memcpy(r->party_id, inv.party_id, sizeof r->party_id);
        r->total_gross = p->amount;
        memcpy(r->journal_entry_id, inv.journal_entry_id, sizeof r->journal_entry_id);
    }
    return 0;
}

/* A webhook between its parse (on the caller's thread) and its outcome (after the commit).
 * It belongs to the pipeline until done() is called, then to the outcome. */
struct pipeline_job {
    struct booking_ctx b;
    struct pipeline_env env;    /* b.env points here */
    struct webhook_request req; /* the caller keeps it valid (see pipeline_submit) */
    struct payment_list payments;
    json_t *state;
    struct pipeline_result *results; /* one per payment */
    struct payment_text *texts;      /* one per payment: its event data, made on parsing */
    struct store_batch_job batch;
    void (*done)(void *ctx, struct pipeline_outcome *out);
    bool (*begin)(void *ctx);
    void *ctx;
    bool ran;       /* job_work began */
    bool withdrawn; /* begin() said no */
    bool unlogged;  /* the booking failed: pipeline_settle() writes its log row */
    /* The webhook token's hash, and what the booking transaction found of the install it
     * was verified against: gone (or turned off) or changed since (see job_work). */
    char token_hash[2 * CRYPTO_SHA256_LEN + 1];
    enum { INSTALL_SAME, INSTALL_GONE, INSTALL_CHANGED } install_now;
    bool cached;     /* its install came from the cache, not read from the store */
    bool read_again; /* it did, and changed: read afresh (once) */
};

/* The job pipeline_submit() hands to the store on this thread, while it does; and the one
 * whose booking, run there and then (no committer: PostgreSQL), found that the cached
 * install it was verified against had changed: pipeline_submit() reads it afresh and books
 * it again, instead of refusing it for a change another process made an instant ago. */
static _Thread_local struct pipeline_job *submitting, *to_read_again;

/* What the booking context holds of its install: its own parsed settings, or its
 * reference to the cached snapshot they came from. */
static void booking_clear(struct booking_ctx *b)
{
    if (b->snap) {
        pipeline_snapshot_release(b->snap);
    } else {
        json_decref(b->setup.config);
        json_decref(b->setup.secrets);
    }
    b->snap = NULL;
    b->setup.config = b->setup.secrets = NULL;
    store_install_clear(&b->install);
    publishing_manifest_clear(&b->outside);
}

/* The payments' prepared event data (before the payments go: they count it). */
static void texts_free(struct pipeline_job *job)
{
    if (job->texts)
        for (size_t i = 0; i < job->payments.n; i++)
            free(job->texts[i].text);
    free(job->texts);
    job->texts = NULL;
}

static void job_free(struct pipeline_job *job)
{
    if (!job)
        return;
    texts_free(job);
    free(job->results);
    json_decref(job->state);
    payment_list_free(&job->payments);
    booking_clear(&job->b);
    free(job);
}

static void outcome_set(struct pipeline_outcome *out, enum pipeline_status status,
                        enum err_code code, const char *message)
{
    out->status = status;
    if (code != ERR_OK)
        error_set(&out->error, code, "%s", message);
}

/* The booking context of a webhook whose token the cache knows (it then holds a reference
 * to the snapshot); false when the cache has none. */
static bool install_cached(struct booking_ctx *b, const char *token_hash)
{
    struct pipeline_snapshot *s = pipeline_cache_get(b->env->cache,
                                                     store_changes_seen(b->env->store),
                                                     token_hash);
    if (!s)
        return false;
    b->snap = s;
    b->install = s->install; /* its texts are NULL: parsed below */
    b->setup = s->setup;
    return true;
}

/* Hands what booking_setup() made of a built-in provider's install (read under epoch) to a
 * new snapshot, with the install's secrets opened, and offers it to the cache; b reads from
 * the snapshot from then on. Without memory, b keeps what it has. */
static void install_keep(struct booking_ctx *b, const char *token_hash, uint64_t epoch)
{
    struct pipeline_snapshot *s = pipeline_snapshot_new();
    if (!s)
        return;
    memcpy(s->token_hash, token_hash, sizeof s->token_hash);
    s->install = b->install;
    s->install.config = s->install.secrets = s->install.event_types = NULL;
    s->install.webhook_token_sealed = NULL; /* the texts stay b's */
    s->setup = b->setup;
    if (pipeline_snapshot_open_secrets(s, b->env->master_key) < 0) {
        s->setup.config = s->setup.secrets = NULL;
        pipeline_snapshot_release(s);
        return;
    }
    b->snap = s;
    pipeline_cache_put(b->env->cache, s, epoch);
}

/* 1. Token: the install it names, for this provider, read from the store, and its settings
 *    and its tenant's; kept in the cache (when there is one) for the next webhook. Anything
 *    else is not found and leaves no trace (an unknown token is not a tenant's business).
 *    -1 when *out is final already. */
static int install_read(struct pipeline_job *job, const char *provider_slug,
                        struct pipeline_outcome *out)
{
    struct booking_ctx *b = &job->b;
    struct pipeline_cache *cache = b->env->cache;
    struct error err = {0};
    uint64_t epoch = cache ? pipeline_cache_epoch(cache, store_changes_seen(b->env->store)) : 0;
    bool found = store_install_by_token(b->env->store, job->token_hash, &b->install, &err) == 0;
    if (found && !b->provider) /* a published outside connector's */
        b->provider = outside_provider(b, provider_slug, &err);
    out->provider = b->provider;
    if (!found || !b->provider || strcmp(b->install.slug, b->provider->slug) != 0 ||
        !b->install.is_active) {
        if (err.code != ERR_NOT_FOUND && err.code != ERR_OK) {
            log_error("webhook token lookup failed: %s", err.message);
            outcome_set(out, PIPELINE_FAILED, ERR_INTERNAL, "internal error; see the server log");
        } else {
            outcome_set(out, PIPELINE_NOT_FOUND, ERR_OK, NULL);
        }
        return -1;
    }
    memcpy(out->tenant_id, b->install.tenant_id, sizeof out->tenant_id);
    if (booking_setup(b, &err) < 0) {
        log_error("cannot read the settings of tenant %s: %s", b->install.tenant_id,
                  err.message);
        outcome_set(out, PIPELINE_FAILED, ERR_INTERNAL, "internal error; see the server log");
        return -1;
    }

    /* An install still awaiting its webhook secret cannot verify anything: the provider is
     * to come again, so nothing is lost once the secret is saved. */
    if (install_awaiting(b)) {
        log_alone(b, &job->req, "failed", NULL, "awaiting secret", out->log_id);
        outcome_set(out, PIPELINE_AWAITING_SECRET, ERR_OK, NULL);
        return -1;
    }
    /* An outside connector's manifest is read with its install, every time. */
    if (cache && !b->outside.doc)
        install_keep(b, job->token_hash, epoch);
    return 0;
}

static enum verify_result job_verify(struct pipeline_job *job, struct error *err)
{
    struct provider_install inst;
    provider_install_of(&job->b, &inst);
    return provider_verify(job->b.provider, &job->req, &inst, &job->state, err);
}

/* 1-2. Token, signature, parse, on the caller's thread. Returns 0 when the job is to be
 * booked, -1 when *out is final already. */
static int job_prepare(struct pipeline_job *job, const char *provider_slug, const char *token,
                       struct pipeline_outcome *out)
{
    struct booking_ctx *b = &job->b;
    const struct webhook_request *req = &job->req;
    struct error err = {0};
    char *hash = job->token_hash;

    b->provider = provider_find(provider_slug);
    crypto_token_hash(token, strlen(token), hash);
    /* A known token of a built-in provider needs nothing from the store (pipeline.h). */
    bool cached = b->provider && b->env->cache && install_cached(b, hash);
    job->cached = cached;
    if (cached) {
        out->provider = b->provider;
        if (strcmp(b->install.slug, b->provider->slug) != 0) {
            outcome_set(out, PIPELINE_NOT_FOUND, ERR_OK, NULL);
            return -1;
        }
        memcpy(out->tenant_id, b->install.tenant_id, sizeof out->tenant_id);
    } else if (install_read(job, provider_slug, out) < 0) {
        return -1;
    }

    /* 2. Signature (or fetch-back): is this really the provider? */
    enum verify_result verified = job_verify(job, &err);
    if (verified == VERIFY_INVALID && cached) {
        /* Perhaps verified against a secret changed by a process not heard from yet: the
         * store decides. The same version: the answer stands (and the cache keeps it, so
         * forged requests cannot empty it); another: verified again, and forgotten. */
        int64_t version = b->install.version;
        booking_clear(b);
        json_decref(job->state);
        job->state = NULL;
        job->cached = false;
        if (install_read(job, provider_slug, out) < 0)
            return -1;
        if (b->install.version != version) {
            pipeline_cache_forget_token(b->env->cache, hash);
            err = (struct error){0};
            verified = job_verify(job, &err);
        }
    }
    switch (verified) {
    case VERIFY_OK:
        break;
    case VERIFY_INVALID:
        log_alone(b, req, "invalid_signature", NULL, err.message, out->log_id);
        outcome_set(out, PIPELINE_INVALID_SIGNATURE, ERR_INVALID_SIGNATURE, err.message);
        return -1;
    case VERIFY_ERROR:
        log_alone(b, req, "failed", NULL, err.message, out->log_id);
        log_warn("%s webhook for tenant %s not verified: %s", b->provider->slug,
                 b->install.tenant_id, err.message);
        if (err.code == ERR_UNAVAILABLE)
            outcome_set(out, PIPELINE_FAILED, ERR_UNAVAILABLE,
                        "the provider's API could not confirm the webhook");
        else
            outcome_set(out, PIPELINE_FAILED, ERR_INTERNAL, "the webhook could not be verified");
        return -1;
    }

    /* Parse into normalized payments; a malformed one books nothing. */
    if (provider_parse(b->provider, req, job->state, &job->payments, &err) < 0) {
        log_alone(b, req, "failed", NULL, err.message, out->log_id);
        outcome_set(out, PIPELINE_INVALID_PAYLOAD, ERR_INVALID_PAYLOAD, err.message);
        return -1;
    }
    job->results = calloc(job->payments.n, sizeof *job->results);
    job->texts = calloc(job->payments.n, sizeof *job->texts);
    if (!job->results || !job->texts) {
        outcome_set(out, PIPELINE_FAILED, ERR_INTERNAL, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < job->payments.n; i++)
        payment_text_make(b, &job->payments.items[i], &job->texts[i]);
    return 0;
}

/* 3-6. Supplier, invoice, duplicate check, ledger, log, for every payment of the request,
 * inside the caller's transaction. */
static int job_book(struct pipeline_job *job, struct store_tx *tx, struct error *err)
{
    job->b.deliveries = 0;
    memset(job->results, 0, job->payments.n * sizeof *job->results);
    for (size_t i = 0; i < job->payments.n; i++)
        if (book_payment(&job->b, tx, &job->req, &job->payments.items[i],
                         job->texts ? &job->texts[i] : NULL, &job->results[i], err) < 0)
            return -1;
    return 0;
}

/* What the booked payments came to: duplicate when every one was booked before,
 * processed when one was booked now, else ignored. */
static enum pipeline_status booked_status(const struct pipeline_job *job)
{
    bool all_duplicates = true, any_booked = false;
    for (size_t i = 0; i < job->payments.n; i++) {
        all_duplicates = all_duplicates && job->results[i].duplicate;
        any_booked = any_booked || job->results[i].action != PIPELINE_ACTION_NONE;
    }
    return all_duplicates ? PIPELINE_DUPLICATE : any_booked ? PIPELINE_PROCESSED
                                                            : PIPELINE_IGNORED;
}

/* The outcome of a booking that ended with rc (err: its own or the commit's). */
static void job_outcome(struct pipeline_job *job, int rc, const struct error *err,
                        struct pipeline_outcome *out)
{
    struct booking_ctx *b = &job->b;
    if (rc < 0 && job->install_now == INSTALL_GONE) {
        /* Uninstalled or turned off after the token was read: as unknown as any token. */
        outcome_set(out, PIPELINE_NOT_FOUND, ERR_OK, NULL);
        return;
    }
    if (rc < 0 && job->install_now == INSTALL_CHANGED) {
        /* Verified against settings that are no longer in force: the provider sends it
         * again, and then it is read, verified and booked by the new ones. */
        log_warn("%s webhook for tenant %s refused: %s", b->provider->slug,
                 b->install.tenant_id, err->message);
        job->unlogged = true; /* a known install: its log says why */
        outcome_set(out, PIPELINE_FAILED, ERR_UNAVAILABLE,
                    "the connector's settings changed while the webhook was processed; send "
                    "it again");
        return;
    }
    if (rc < 0) {
        log_error("%s webhook for tenant %s failed: %s", b->provider->slug,
                  b->install.tenant_id, err->message);
        job->unlogged = true;
        if (err->code == ERR_VALIDATION)
            outcome_set(out, PIPELINE_FAILED, ERR_VALIDATION, err->message);
        else if (err->code == ERR_UNAVAILABLE) /* the store cannot write (disk full) */
            outcome_set(out, PIPELINE_FAILED, ERR_UNAVAILABLE,
                        "the store cannot take the booking now; send it again shortly");
        else
            outcome_set(out, PIPELINE_FAILED, ERR_INTERNAL, "internal error; see the server log");
        return;
    }
    out->status = booked_status(job);
    out->results = job->results;
    out->n_results = job->payments.n;
    out->deliveries = b->deliveries;
    if (!b->env->dry_run)
        metrics_webhook(provider_metrics_label(b->provider),
                        out->status == PIPELINE_DUPLICATE ? "duplicate" : "processed");
}

/* The group commit's side of a job: on the committer's thread, then (done) after the
 * commit, on the committer's or the syncer's. */
static int job_work(void *ctx, struct store_tx *tx, struct error *err)
{
    struct pipeline_job *job = ctx;
    /* Once: the group commit may run the work again (store.h, struct store_batch_job). */
    if (!job->ran && job->begin && !job->begin(job->ctx))
        job->withdrawn = true;
    job->ran = true;
    if (job->withdrawn)
        return error_set(err, ERR_UNAVAILABLE, "withdrawn before its booking began");
    /* The install was read before this transaction, perhaps just before another process
     * uninstalled or changed it: the booking goes ahead only if it is still the same. */
    job->install_now = INSTALL_SAME;
    if (store_install_check(tx, &job->b.install, job->token_hash, job->b.setup.settings.updated_at,
                            err) < 0) {
        if (err->code == ERR_NOT_FOUND)
            job->install_now = INSTALL_GONE;
        else if (err->code == ERR_CONFLICT)
            job->install_now = INSTALL_CHANGED;
        /* A change not heard of yet: the next webhook reads the install afresh. */
        if (job->install_now != INSTALL_SAME && job->env.cache)
            pipeline_cache_forget_token(job->env.cache, job->token_hash);
        return -1;
    }
    return job_book(job, tx, err);
}

static void job_done(void *ctx, int rc, const struct error *err)
{
    struct pipeline_job *job = ctx;
    struct pipeline_outcome out = {.provider = job->b.provider, .job = job};
    memcpy(out.tenant_id, job->b.install.tenant_id, sizeof out.tenant_id);
    /* A transaction that could not begin never ran the work: begin() is asked here, so a
     * webhook withdrawn meanwhile is not logged as failed. */
    if (!job->ran && job->begin && !job->begin(job->ctx))
        job->withdrawn = true;
    if (!job->withdrawn && rc < 0 && job->install_now == INSTALL_CHANGED && job->cached &&
        !job->read_again && submitting == job) {
        to_read_again = job; /* nothing was booked: see to_read_again */
        return;
    }
    if (job->withdrawn)
        out.status = PIPELINE_WITHDRAWN;
    else
        job_outcome(job, rc, err, &out);
    job->done(job->ctx, &out);
}

/* Makes a job whose cached install changed as new again, up to its preparation. */
static void job_reset(struct pipeline_job *job)
{
    texts_free(job);
    free(job->results);
    job->results = NULL;
    json_decref(job->state);
    job->state = NULL;
    payment_list_free(&job->payments);
    booking_clear(&job->b);
    job->ran = job->withdrawn = job->unlogged = job->cached = false;
    job->install_now = INSTALL_SAME;
    job->begin = NULL; /* begun: it is no longer to be withdrawn */
    job->read_again = true;
}

void pipeline_submit(const struct pipeline_env *env, const char *provider_slug,
                     const char *token, const struct webhook_request *req,
                     void (*done)(void *ctx, struct pipeline_outcome *out),
                     bool (*begin)(void *ctx), void *ctx)
{
    struct pipeline_outcome out = {0};
    struct pipeline_job *job = calloc(1, sizeof *job);
    if (!job) {
        outcome_set(&out, PIPELINE_FAILED, ERR_INTERNAL, "out of memory");
        done(ctx, &out);
        return;
    }
    job->env = *env;
    job->b.env = &job->env;
    job->req = *req;
    job->done = done;
    job->begin = begin;
    job->ctx = ctx;
    /* At most twice: the second time with the install read afresh (job_done). */
    for (int round = 0; round < 2; round++) {
        if (job_prepare(job, provider_slug, token, &out) < 0) {
            out.job = job; /* freed with the outcome */
            done(ctx, &out);
            return;
        }
        job->batch = (struct store_batch_job){.work = job_work, .done = job_done, .ctx = job};
        submitting = job;
        store_batch_submit(env->store, &job->batch);
        submitting = NULL;
        /* Set only on this thread, for the job it submitted; else the job is done (or
         * will be, on another thread) and no longer ours to touch. */
        bool again = to_read_again != NULL;
        to_read_again = NULL;
        if (!again)
            return;
        job_reset(job);
        out = (struct pipeline_outcome){0};
    }
}

void pipeline_settle(struct pipeline_outcome *out)
{
    struct pipeline_job *job = out->job;
    if (!job || job->b.env->dry_run)
        return;
    struct booking_ctx *b = &job->b;
    if (job->unlogged) {
        /* Outside the committer's threads: this write may wait for the store's lock. */
        job->unlogged = false;
        log_alone(b, &job->req, "failed", NULL,
                  out->error.code == ERR_VALIDATION || job->install_now == INSTALL_CHANGED
                      ? out->error.message
                      : "internal error",
                  out->log_id);
        return;
    }
    if (out->status != PIPELINE_PROCESSED && out->status != PIPELINE_DUPLICATE &&
        out->status != PIPELINE_IGNORED)
        return;
    struct provider_install inst;
    struct error err = {0};
    provider_install_of(b, &inst);
    if (provider_acknowledge(b->provider, &job->req, &inst, job->state, &err) < 0)
        log_warn("%s webhook for tenant %s: booked, but not acknowledged to %s: %s",
                 b->provider->slug, b->install.tenant_id, b->provider->slug, err.message);
}

void pipeline_outcome_free(struct pipeline_outcome *out)
{
    job_free(out->job);
    out->job = NULL;
    out->results = NULL;
    out->n_results = 0;
}

static const char *sample_header(const struct webhook_request *req, const char *name)
{
    const struct provider_sample *sample = req->ctx;
    for (size_t i = 0; i < sample->n_headers; i++)
        if (strcasecmp(sample->header_names[i], name) == 0)
            return sample->header_values[i];
    return NULL;
}

static const char *sample_query(const struct webhook_request *req, const char *name)
{
    (void)req;
    (void)name;
    return NULL;
}

/* The test's sample: a synthetic event, signed with the install's secrets (see provider.h);
 * it lives in the job's state and in sample, which the caller frees. */
static int test_sample(struct pipeline_job *job, struct provider_sample *sample,
                       struct error *err)
{
    struct provider_install inst;
    provider_install_of(&job->b, &inst);
    int64_t now = clock_now_ms();
    if (provider_sample(job->b.provider, &inst, now, sample, &job->state, err) < 0)
        return -1;
    job->req = (struct webhook_request){.body = sample->body.data,
                                        .body_len = sample->body.len,
                                        .header = sample_header,
                                        .query = sample_query,
                                        .ctx = sample,
                                        .now_ms = now};
    return 0;
}

/* Parses the job's request and books it inside a transaction that is then rolled back, so
 * the store is as it was; *out tells what the booking would have done, and owns the job
 * from then on. -1 (err) when it does not parse or the booking failed. */
static int job_try(struct pipeline_job *job, struct pipeline_outcome *out, struct error *err)
{
    struct store_tx *tx = NULL;
    int rc = -1;
    if (provider_parse(job->b.provider, &job->req, job->state, &job->payments, err) < 0)
        return -1;
    if (!(job->results = calloc(job->payments.n, sizeof *job->results)))
        return error_set(err, ERR_INTERNAL, "out of memory");
    if (store_tx_begin(job->env.store, &tx, err) == 0 && job_book(job, tx, err) == 0) {
        out->provider = job->b.provider;
        out->job = job;
        memcpy(out->tenant_id, job->b.install.tenant_id, sizeof out->tenant_id);
        job_outcome(job, 0, NULL, out);
        rc = 0;
    }
    store_tx_rollback(tx);
    return rc;
}

int pipeline_test(const struct pipeline_env *env, const char *tenant_id, const char *slug,
                  struct pipeline_outcome *out, struct error *err)
{
    struct provider_sample sample = {0};
    int rc = -1;
    struct pipeline_job *job = calloc(1, sizeof *job);
    memset(out, 0, sizeof *out);
    buf_init(&sample.body, 0);
    if (!job)
        return error_set(err, ERR_INTERNAL, "out of memory");
    job->env = *env;
    job->env.dry_run = true;
    job->b.env = &job->env;
    job->b.provider = provider_find(slug);
    if (store_install_get_slug(env->store, tenant_id, slug, &job->b.install, err) < 0 &&
        (job->b.provider || err->code != ERR_NOT_FOUND))
        goto out;
    if (!job->b.provider && job->b.install.id[0] && job->b.install.manifest_version > 0 &&
        !(job->b.provider = outside_provider(&job->b, slug, err)))
        goto out;
    if (!job->b.provider) {
        error_set(err, ERR_VALIDATION, "%s does not receive payment webhooks", slug);
        goto out;
    }
    if (booking_setup(&job->b, err) < 0)
        goto out;
    if (install_awaiting(&job->b)) {
        error_set(err, ERR_CONFLICT,
                  "%s is waiting for its webhook secret; save it (PUT "
                  "/api/connectors/%s/config) before sending a test webhook",
                  job->b.provider->slug, job->b.provider->slug);
        goto out;
    }
    if (test_sample(job, &sample, err) < 0)
        goto out;
    *out = (struct pipeline_outcome){.provider = job->b.provider, .job = job};
    memcpy(out->tenant_id, job->b.install.tenant_id, sizeof out->tenant_id);
    /* A sample with a state is not verified (see provider.h): fetch-back providers' come
     * with what their API would answer, PayPal's, which only PayPal could sign, with the
     * parsed event. */
    if (!job->state) {
        struct provider_install inst;
        struct error verify_err = {0};
        provider_install_of(&job->b, &inst);
        if (provider_verify(job->b.provider, &job->req, &inst, &job->state, &verify_err) !=
            VERIFY_OK) {
            outcome_set(out, PIPELINE_INVALID_SIGNATURE, ERR_INVALID_SIGNATURE,
                        verify_err.message);
            job = NULL; /* the outcome's */
            rc = 0;
            goto out;
        }
    }
    if (job_try(job, out, err) < 0)
        goto fail;
    job = NULL;
    rc = 0;
    goto out;
fail:
    *out = (struct pipeline_outcome){0};
out:
    /* The sample's body and headers are only read while testing: the outcome keeps none of
     * them (no acknowledgement in a dry run). */
    provider_sample_free(&sample);
    job_free(job);
    return rc;
}

int pipeline_dry_run(const struct pipeline_env *env, const struct provider *provider,
                     const char *tenant_id, const struct webhook_request *req,
                     struct pipeline_outcome *out, struct error *err)
{
    struct pipeline_job *job = calloc(1, sizeof *job);
    memset(out, 0, sizeof *out);
    if (!job)
        return error_set(err, ERR_INTERNAL, "out of memory");
    job->env = *env;
    job->env.dry_run = true;
    job->b.env = &job->env;
    job->b.provider = provider;
    job->req = *req;
    snprintf(job->b.install.tenant_id, sizeof job->b.install.tenant_id, "%s", tenant_id);
    snprintf(job->b.install.slug, sizeof job->b.install.slug, "%s", provider->slug);
    job->b.install.config = strdup("{}");
    job->b.install.secrets = strdup("{}");
    if (!job->b.install.config || !job->b.install.secrets) {
        job_free(job);
        return error_set(err, ERR_INTERNAL, "out of memory");
    }
    if (booking_setup(&job->b, err) < 0 || job_try(job, out, err) < 0) {
        *out = (struct pipeline_outcome){0};
        job_free(job);
        return -1;
    }
    return 0;
}

/* Rates an invoice that has no rate yet from the ECB table, if it has one by now. */
static int rate_stored(struct store_tx *tx, struct invoice *inv, struct error *err)
{
    if (inv->fx.rated)
        return 0;
    if (ledger_fx_rate(tx, inv, NULL, NULL, err) < 0)
        return -1;
    return inv->fx.rated ? store_invoice_fx_insert(tx, inv->tenant_id, inv->id, &inv->fx, err)
                         : 0;
}

static int rate_one(struct store_tx *tx, const char *tenant_id, const char *invoice_id,
                    struct error *err)
{
    struct invoice inv;
    if (store_invoice_get_tx(tx, tenant_id, invoice_id, &inv, err) < 0)
        return -1;
    return rate_stored(tx, &inv, err);
}

/* The entry for one invoice inside tx, as book_settled and book_refund would post it. */
static int post_one(struct booking_ctx *b, struct store_tx *tx, const char *invoice_id,
                    struct error *err)
{
    struct invoice inv, original;
    if (store_invoice_get_tx(tx, b->install.tenant_id, invoice_id, &inv, err) < 0)
        return -1;
    if (inv.journal_entry_id[0])
        return error_set(err, ERR_ALREADY_POSTED, "invoice %s is already posted (entry %s)",
                         inv.id, inv.journal_entry_id);
    if (inv.total_gross_minor == 0)
        return error_set(err, ERR_CONFLICT, "invoice %s is of zero: it moves no money and "
                                            "has nothing to post", inv.id);
    if (rate_stored(tx, &inv, err) < 0)
        return -1;
    char entry[CRYPTO_ID_MAX];
    if (strcmp(inv.type, "gutschrift") != 0) {
        enum ledger_direction d = strcmp(inv.type, "ausgangsrechnung") == 0 ? LEDGER_REVENUE
                                                                            : LEDGER_EXPENSE;
        return ledger_post_invoice(tx, d, &b->setup.accounts, &inv, entry, err);
    }
    if (store_invoice_get_tx(tx, b->install.tenant_id, inv.related_invoice_id, &original,
                             err) < 0)
        return -1;
    if (!original.journal_entry_id[0])
        return error_set(err, ERR_CONFLICT, "credit note %s corrects invoice %s, which is not "
                                            "posted: post %s first", inv.id, original.id,
                         original.id);
    return ledger_post_refund(tx, &original, &inv, entry, err);
}

/* Rates (when it has no rate yet) and posts one invoice in one transaction. With
 * only_auto, an invoice whose connector does not post automatically is only rated; *posted
 * (may be NULL) tells whether it was posted. */
static int rate_and_post(const struct pipeline_env *env, const char *tenant_id,
                         const char *invoice_id, bool only_auto, bool *posted,
                         struct error *err)
{
    struct booking_ctx b = {.env = env};
    struct invoice inv;
    enum party_role role;
    struct store_tx *tx = NULL;
    int rc = -1;
    /* The invoice's source names the install whose settings decide the accounts. */
    if (store_invoice_get(env->store, tenant_id, invoice_id, &inv, &role, err) < 0)
        return -1;
    if (store_install_get_slug(env->store, tenant_id, inv.source, &b.install, err) < 0) {
        if (err->code == ERR_NOT_FOUND)
            error_set(err, ERR_NOT_INSTALLED,
                      "the %s connector, whose settings decide the accounts, is not "
                      "installed; install it again to post its invoices",
                      inv.source);
        goto out;
    }
    if (booking_setup(&b, err) < 0 || store_tx_begin(env->store, &tx, err) < 0)
        goto out;
    /* Re-rating posts what waited for its rate; an invoice posted before rates existed
     * (its lines without EUR amounts, which the books never change) only gets its rate. */
    bool post = !only_auto || (b.setup.auto_post && !inv.journal_entry_id[0]);
    rc = post ? post_one(&b, tx, invoice_id, err) : rate_one(tx, tenant_id, invoice_id, err);
    if (rc == 0)
        rc = store_tx_commit(tx, err);
    else
        store_tx_rollback(tx);
    if (posted)
        *posted = rc == 0 && post;
out:
    json_decref(b.setup.config);
    json_decref(b.setup.secrets);
    store_install_clear(&b.install);
    return rc;
}

static const char *pulled_header(const struct webhook_request *req, const char *name)
{
    (void)req;
    (void)name;
    return NULL;
}

int pipeline_book_pulled(const struct pipeline_env *env, const char *tenant_id,
                         const char *slug, const char *body, size_t body_len,
                         const json_t *state, const struct payment_list *given,
                         struct pipeline_outcome *out, struct error *err)
{
    struct store_tx *tx = NULL;
    int rc = -1;
    struct pipeline_job *job = calloc(1, sizeof *job);
    memset(out, 0, sizeof *out);
    if (!job)
        return error_set(err, ERR_INTERNAL, "out of memory");
    job->env = *env;
    job->b.env = &job->env;
    job->b.provider = provider_find(slug);
    job->req = (struct webhook_request){.body = body ? body : "",
                                        .body_len = body ? body_len : 0,
                                        .header = pulled_header,
                                        .query = sample_query,
                                        .now_ms = clock_now_ms()};
    if (!job->b.provider) {
        error_set(err, ERR_VALIDATION, "%s does not receive payments", slug);
        goto out;
    }
    if (store_install_get_slug(env->store, tenant_id, slug, &job->b.install, err) < 0 ||
        booking_setup(&job->b, err) < 0)
        goto out;
    /* Read from the provider's API with the tenant's own key: as genuine as a verified
     * webhook, so it is parsed (or was normalized by the caller) and booked like one. */
    if (given) {
        for (size_t i = 0; i < given->n; i++) {
            struct payment *p = payment_list_add(&job->payments);
            if (!p) {
                error_set(err, ERR_INTERNAL, "out of memory");
                goto out;
            }
            *p = given->items[i];
        }
    } else if (provider_parse(job->b.provider, &job->req, state, &job->payments, err) < 0) {
        goto out;
    }
    if (!(job->results = calloc(job->payments.n ? job->payments.n : 1, sizeof *job->results))) {
        error_set(err, ERR_INTERNAL, "out of memory");
        goto out;
    }
    if (store_tx_begin(env->store, &tx, err) < 0 || job_book(job, tx, err) < 0)
        goto out;
    rc = store_tx_commit(tx, err);
    tx = NULL;
    if (rc < 0)
        goto out;
    *out = (struct pipeline_outcome){.provider = job->b.provider, .job = job};
    memcpy(out->tenant_id, job->b.install.tenant_id, sizeof out->tenant_id);
    job_outcome(job, 0, NULL, out);
    job = NULL;
out:
    store_tx_rollback(tx);
    job_free(job);
    return rc;
}

/* Rates an invoice that has no rate yet from the ECB table, if it has one by now. */

int pipeline_post_invoice(const struct pipeline_env *env, const char *tenant_id,
                          const char *invoice_id, struct error *err)
{
    return rate_and_post(env, tenant_id, invoice_id, false, NULL, err);
}

/* ---- re-rating flagged invoices ------------------------------------------------------- */

struct flagged_list {
    struct {
        char tenant_id[CRYPTO_ID_MAX];
        char id[CRYPTO_ID_MAX];
    } *items;
    size_t n, cap;
};

static int keep_flagged(void *ctx, const char *tenant_id, const char *invoice_id)
{
    struct flagged_list *l = ctx;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 16;
        void *more = realloc(l->items, cap * sizeof *l->items);
        if (!more)
            return 1;
        l->items = more;
        l->cap = cap;
    }
    snprintf(l->items[l->n].tenant_id, CRYPTO_ID_MAX, "%s", tenant_id);
    snprintf(l->items[l->n].id, CRYPTO_ID_MAX, "%s", invoice_id);
    l->n++;
    return 0;
}

int pipeline_fx_rerate(const struct pipeline_env *env, struct pipeline_rerate *out,
                       struct error *err)
{
    struct flagged_list l = {0};
    struct store_tx *tx = NULL;
    *out = (struct pipeline_rerate){0};
    if (store_tx_begin(env->store, &tx, err) < 0)
        return -1;
    int rc = store_invoice_fx_flagged(tx, keep_flagged, &l, err);
    store_tx_rollback(tx);
    if (rc < 0)
        goto out;
    /* Invoices before credit notes: a credit note is posted against its posted original. */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < l.n; i++) {
            struct invoice inv;
            enum party_role role;
            struct error one = {0};
            bool posted = false;
            if (store_invoice_get(env->store, l.items[i].tenant_id, l.items[i].id, &inv, &role,
                                  err) < 0) {
                rc = -1;
                goto out;
            }
            if ((strcmp(inv.type, "gutschrift") == 0) != (pass == 1))
                continue;
            const char *tenant = l.items[i].tenant_id, *id = l.items[i].id;
            if (rate_and_post(env, tenant, id, true, &posted, &one) < 0) {
                /* Rated or not, the invoice stays as it was; the next import tries again. */
                log_warn("invoice %s of tenant %s: %s", id, tenant, one.message);
                out->failed++;
                continue;
            }
            if (store_invoice_get(env->store, tenant, id, &inv, &role, err) < 0) {
                rc = -1;
                goto out;
            }
            if (inv.fx.rated)
                out->rated++;
            else
                out->missing++;
            out->posted += posted;
        }
    }
out:
    free(l.items);
    return rc;
}
