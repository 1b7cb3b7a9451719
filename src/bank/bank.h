/* bank/bank.h - bank data: a business's accounts and their transactions, read from the
 * bank through an account-information service, behind one interface with one driver per
 * service (GoCardless Bank Account Data, Enable Banking, Revolut Business).
 *
 * Two connectors of the catalog hold bank data: gocardless (its bankDriver setting chooses
 * GoCardless or Enable Banking) and revolut (its own Business API). The flow is the same
 * for each: list the institutions of a country, start a consent (a link the user opens at
 * the bank), finish it when the bank sends the user back to the callback, then pull the
 * linked accounts' transactions on the sync engine's schedule (sync/). What a pull read is
 * stored once (store/bank.h). Nothing above this module sees which driver did it. */
#ifndef CONNECTORD_BANK_H
#define CONNECTORD_BANK_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "store/bank.h"
#include "store/store.h"
#include "store/sync.h"

struct bank_env {
    struct store *store;
    const unsigned char *master_key; /* opens the installs' secrets */
    bool allow_private;              /* service URLs may name loopback / private addresses */
    const char *public_url;          /* this server, for the callback URL; NULL for pulls */
    /* Called after a pull stored its lines and before its run is recorded as done (may be
     * NULL): the matching of what arrived (payouts/), so a finished run is matched too. */
    void (*pulled)(struct store *s, const char *tenant_id);
};

/* Whether the catalog connector slug holds bank data. */
bool bank_connector(const char *slug);
/* The i-th connector that holds bank data (slug), NULL past the last. */
const char *bank_connector_at(size_t i);

/* The institutions (banks) of a country (ISO 3166 alpha-2) that the tenant's install of
 * slug can link, as a new JSON array of {id, name, bic, logo, maxAccessDays}. */
int bank_institutions(const struct bank_env *env, const char *tenant_id, const char *slug,
                      const char *country, json_t **out, struct error *err);

/* Starts a consent at institution_id (of country) through the tenant's install of slug:
 * out is the new pending connection with the bank's link to open. renews_id: the linked
 * connection this one renews (its institution is taken), or NULL. */
int bank_consent_start(const struct bank_env *env, const char *tenant_id, const char *slug,
                       const char *country, const char *institution_id,
                       const char *renews_id, struct bank_connection *out,
                       struct error *err);

/* What the bank's redirect brought back: the state (state=, or GoCardless's ref=), the
 * authorization code, or the bank's error. */
struct bank_callback {
    const char *state, *code, *error;
};
/* Finishes the consent the callback belongs to (found by its state, whatever the tenant):
 * the connection linked and its accounts stored (*n_accounts), or marked rejected. A state
 * that is unknown or finished already is ERR_FORBIDDEN. */
int bank_consent_finish(const struct bank_env *env, const struct bank_callback *cb,
                        struct bank_connection *out, int *n_accounts, struct error *err);

/* Whether the tenant's install has bank accounts to pull (errors: false). */
bool bank_install_pulls(struct store *s, const char *tenant_id, const char *install_id);

/* Executes one claimed sync run of a bank install (the sync engine calls it): pulls each
 * linked account within its plan and stores what it read, then ends the run in the store
 * (succeeded with its counts, or failed with the reason). 0 when it succeeded. */
int bank_run_execute(const struct bank_env *env, struct sync_run *run);

/* ---- the parsers, for tests and the fuzz harness ---------------------------------------- */

/* Reads one page of a driver's transactions answer (GoCardless's {transactions: {booked,
 * pending}}, Enable Banking's {transactions: [...]}, Revolut's [...] for the account
 * account_id) and calls fn for each entry (valid during the call). A malformed page is
 * ERR_SERVICE_FAILED. driver: "gocardless", "enablebanking", "revolut". */
int bank_parse_transactions(const char *driver, const char *body, size_t len,
                            const char *account_id,
                            int (*fn)(void *ctx, const struct bank_tx_in *t), void *ctx,
                            struct error *err);

#endif
