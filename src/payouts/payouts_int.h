/* payouts/payouts_int.h - what the files of payouts/ share: one pull's context, the
 * providers' table, the requests to a provider's API and the bookings of what it reports.
 * Not for other modules (they use payouts.h). */
#ifndef CONNECTORD_PAYOUTS_INT_H
#define CONNECTORD_PAYOUTS_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/money.h"
#include "inbound/provider.h"
#include "payouts/payouts.h"
#include "pipeline/pipeline.h"
#include "settings/settings.h"
#include "store/installs.h"
#include "store/sync.h"

#define PAYOUTS_PAGE_MAX 200      /* pages one stream of one pull reads at most */
#define PAYOUTS_LOOKBACK_DAYS 7   /* a pull starts this far before the last one ended: a
                                     payout in transit becomes paid within days */
#define PAYOUTS_FIRST_DAYS 30     /* the first pull reaches this far back (Stripe keeps
                                     events for 30 days) */

struct pull_ctx;

/* One provider's pull: one file each, one line in pull.c's table. */
struct payouts_source {
    const char *slug;
    const char *default_base;
    const char *key_secret; /* the secret setting holding the API key (or password) */
    const char *user_setting; /* a plain setting the key goes with (username, client id),
                                 or NULL */
    int (*pull)(struct pull_ctx *c, struct error *err);
};

extern const struct payouts_source payouts_stripe, payouts_paypal, payouts_sumup,
    payouts_klarna;

/* What a source's pull does to the world, in one table: the provider's API (get, post_form)
 * and the books (fee, payout, payments, the events fed once). pull.c fills it with the real
 * requests and bookings; tests/fuzz/fuzz_payouts.c with checks of what a source makes of
 * any page. Sources call the pull_* wrappers below, never the table. */
struct pull_io {
    int (*get)(struct pull_ctx *c, const char *path_and_query, json_t **out, struct error *err);
    int (*post_form)(struct pull_ctx *c, const char *path, const char *form, json_t **out,
                     struct error *err);
    int (*fee)(struct pull_ctx *c, const char *external_id, const struct money *fee,
               const char *date, const char *reference, struct error *err);
    int (*payout)(struct pull_ctx *c, const char *external_id, const struct money *amount,
                  const char *date, const char *reference, struct error *err);
    int (*payments)(struct pull_ctx *c, const char *body, size_t len, const json_t *state,
                    const struct payment_list *given, struct error *err);
    int (*event_seen)(struct pull_ctx *c, const char *event_id, bool *seen, struct error *err);
    int (*event_done)(struct pull_ctx *c, const char *event_id, const char *date,
                      struct error *err);
};

/* The source of slug, or NULL. */
const struct payouts_source *payouts_source_find(const char *slug);

struct pull_ctx {
    const struct pull_io *io;
    void *io_ctx; /* the io table's own (the fuzz harness's checks) */
    const struct payouts_env *env;
    const struct sync_run *run;
    const struct payouts_source *src;
    struct install in;
    json_t *config, *secrets;
    struct tenant_settings settings;
    const char *clearing; /* the provider's clearing account */
    char base[512];
    struct buf key;       /* the opened API key; wiped */
    const char *user;     /* user_setting's value, or NULL */
    int64_t from_ms, to_ms;
    struct payouts_pull_result *res;
    struct pipeline_env penv;
    char bearer[512];     /* "Bearer ..." for sources that authenticate so */
};

/* GET base + path_and_query with the source's auth: the bearer header when set, else
 * HTTP Basic with user and key. A 2xx JSON answer is parsed into *out (new reference).
 * 401/403 mark the pull auth_failed (ERR_SERVICE_REFUSED); 429 defers it until the
 * Retry-After (ERR_UNAVAILABLE); other answers and transport failures are
 * ERR_SERVICE_FAILED. */
int pull_get(struct pull_ctx *c, const char *path_and_query, json_t **out, struct error *err);
/* A POST with a form body, for a token (PayPal); the same outcomes. */
int pull_post_form(struct pull_ctx *c, const char *path, const char *form, json_t **out,
                   struct error *err);

/* A fee the provider kept: booked once under (provider, fee, external_id). */
int pull_fee(struct pull_ctx *c, const char *external_id, const struct money *fee,
             const char *date, const char *reference, struct error *err);
/* A payout that reached the bank: booked once under (provider, payout, external_id);
 * reference is what the bank statement shows of it ("" when not known). */
int pull_payout(struct pull_ctx *c, const char *external_id, const struct money *amount,
                const char *date, const char *reference, struct error *err);
/* Whether an event was fed through the pipeline before; pull_event_done records it. */
int pull_event_seen(struct pull_ctx *c, const char *event_id, bool *seen, struct error *err);
/* Feeds a pulled webhook body (and state) or normalized payments through the pipeline;
 * counts what it booked. */
int pull_payments(struct pull_ctx *c, const char *body, size_t len, const json_t *state,
                  const struct payment_list *given, struct error *err);
/* Records a fed event once (kind "event"). */
int pull_event_done(struct pull_ctx *c, const char *event_id, const char *date,
                    struct error *err);

/* Posts a two-line entry (debit against credit) in the amount's currency and in EUR. */
int payouts_post_bank(struct store_tx *tx, const char *tenant_id, const char *date,
                      const char *description, const char *debit, const char *credit,
                      const struct money *amount, char entry_id[CRYPTO_ID_MAX],
                      struct error *err);

/* RFC 3339 of ms, seconds only ("2026-12-07T01:02:03Z"). */
void pull_time_text(int64_t ms, char out[32]);

#endif
