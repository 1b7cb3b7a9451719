/* bank/bank_int.h - private to bank/: the driver interface, the context a driver call
 * gets, and the helpers every driver shares (settings, HTTP with JSON, the transaction
 * list and its parsing rules).
 *
 * A driver is one file that fills one struct bank_driver; bank.c's table lists them and is
 * the only place that picks one. Drivers do the service's I/O and translate its shapes;
 * what is stored, when an account may be pulled and how a run ends is bank.c's. */
#ifndef CONNECTORD_BANK_INT_H
#define CONNECTORD_BANK_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "bank/bank.h"
#include "core/buf.h"
#include "httpc/httpc.h"
#include "store/installs.h"

/* The service limits unattended pulls per account and day (PSD2 access through an
 * aggregator): the plan spends at most the pullsPerDay setting and what the service's
 * headers allow, never a retry. */
#define BANK_CAP_DAILY_LIMIT 0x1u

struct bank_driver;

/* A driver call's context: the install, its settings, the service's base URL and the
 * authorization the driver obtained for this context (a bearer token or a signed JWT). */
struct bank_ctx {
    const struct bank_env *env;
    const struct bank_driver *drv;
    struct install in;
    json_t *config;  /* plain settings */
    json_t *secrets; /* sealed settings */
    char aad[2 * CRYPTO_ID_MAX + 2];
    char base[512];  /* no trailing '/' */
    struct buf auth; /* the Authorization header's value, "" until the driver set it */
    int64_t now_ms;
};

/* What a consent's finish found: the accounts it gives access to. */
struct bank_account_found {
    char identity[BANK_HANDLE_MAX];
    char external_id[BANK_HANDLE_MAX];
    char iban[BANK_IBAN_MAX];
    char name[BANK_NAME_MAX];
    char currency[4];
};
struct bank_accounts_found {
    struct bank_account_found *v;
    size_t n, cap;
};

/* A pull's transactions, owning their strings. */
struct bank_txs {
    struct bank_tx_in *v;
    size_t n, cap;
};

/* What a pull tells about the account's quota, from the service's answer. -1: not said. */
struct bank_quota {
    int64_t limit, remaining, reset_s;
    bool rate_limited; /* the service answered 429: nothing more today */
};

/* A pull: the dates to read (YYYY-MM-DD, inclusive), what was read, the quota seen. */
struct bank_pull {
    char date_from[BANK_DATE_LEN], date_to[BANK_DATE_LEN];
    bool first; /* the account's first pull: date_from is the default history */
    struct bank_txs txs;
    struct bank_quota quota;
    bool has_balance; /* set by the driver's balance */
    int64_t balance_minor;
    char balance_date[BANK_DATE_LEN];
};

struct bank_driver {
    const char *name;         /* "gocardless": the bankDriver setting's value */
    const char *label;        /* "GoCardless Bank Account Data" */
    const char *default_base; /* the production API */
    unsigned caps;
    /* Appends {id, name, bic, logo, maxAccessDays} objects to list. */
    int (*institutions)(struct bank_ctx *c, const char *country, json_t *list,
                        struct error *err);
    /* Starts a consent: fills conn's external_id, agreement_id, link and expires_at (when
     * known). state is what the callback must bring back; a driver whose service makes
     * its own (an OAuth flow) writes that into state (cap bytes). */
    int (*start)(struct bank_ctx *c, struct bank_connection *conn, const char *redirect_url,
                 char *state, size_t cap, struct error *err);
    /* Finishes it: the accounts found (and conn's external_id / expires_at updated). A
     * consent the bank refused is ERR_FORBIDDEN; one not finished at the bank yet is
     * ERR_CONFLICT. */
    int (*finish)(struct bank_ctx *c, struct bank_connection *conn,
                  const struct bank_callback *cb, struct bank_accounts_found *out,
                  struct error *err);
    /* Reads the account's booked and pending transactions of p's dates, every page. The
     * quota is filled from the answers. An expired consent is ERR_NOT_INSTALLED; a 429 is
     * ERR_UNAVAILABLE with p->quota.rate_limited. */
    int (*transactions)(struct bank_ctx *c, const struct bank_account *a, struct bank_pull *p,
                        struct error *err);
    /* Reads the account's balance into p (has_balance, balance_minor, balance_date) after
     * its transactions; NULL: the service tells none. A failure only leaves the stored
     * balance as it was. */
    int (*balance)(struct bank_ctx *c, const struct bank_account *a, struct bank_pull *p,
                   struct error *err);
};

extern const struct bank_driver bank_driver_gocardless;
extern const struct bank_driver bank_driver_enablebanking;
extern const struct bank_driver bank_driver_revolut;

/* ---- settings ---------------------------------------------------------------------------- */

/* A plain setting's text, or NULL. */
const char *bank_setting(const struct bank_ctx *c, const char *key);
/* Opens a secret setting into out; ERR_VALIDATION naming it when it is not set. */
int bank_secret(const struct bank_ctx *c, const char *key, struct buf *out, struct error *err);

/* Zeroes a buffer that held a secret, then frees it. */
void bank_buf_wipe(struct buf *b);

/* ---- HTTP --------------------------------------------------------------------------------- */

/* One answer: the status, the parsed body (NULL when it is not JSON), the raw response. */
struct bank_answer {
    long status;
    json_t *doc;
    struct httpc_response resp;
};
void bank_answer_free(struct bank_answer *a);

/* Sends method to the service: base + path (already encoded), with c->auth as the
 * Authorization header when set, a JSON body (NULL: none) or a form body (form != NULL).
 * A transport failure is ERR_UNAVAILABLE; every HTTP status is an answer. */
int bank_request(struct bank_ctx *c, const char *method, const char *path, const json_t *body,
                 const char *form, struct bank_answer *out, struct error *err);
/* Appends s percent-encoded for a path segment or a query value. */
int bank_append_encoded(struct buf *out, const char *s);
/* The error for an answer that is not 2xx: ERR_SERVICE_REFUSED (4xx) or ERR_SERVICE_FAILED
 * (5xx), with what the service said. */
int bank_answer_error(const struct bank_ctx *c, const char *what, const struct bank_answer *a,
                      struct error *err);

/* ---- transactions ------------------------------------------------------------------------- */

/* The parts of one entry, as a driver read them; NULL when absent. */
struct bank_entry {
    const char *entry_ref;   /* the bank's entry reference */
    bool booked;
    const char *booking_date, *value_date; /* YYYY-MM-DD, or RFC 3339 (the date is taken) */
    const char *amount;      /* decimal text, sign included unless credit_debit says */
    size_t amount_len;
    const json_t *amount_number; /* instead of amount: a JSON number in major units */
    int credit_debit;        /* +1 credit, -1 debit, 0: the amount's own sign */
    const char *currency;
    const char *counterparty_name, *counterparty_iban, *remittance, *reference;
    const char *bank_tx_id;
};
/* Appends the entry to txs: the amount exact in minor units with its sign, dates checked,
 * texts cut on character boundaries, and the dedup key: the entry reference, or (none
 * given) "h:" and a digest of the entry's content, numbered when the pull holds equal
 * ones. ERR_SERVICE_FAILED for an entry that cannot be stored (no amount, bad date). */
int bank_txs_add(struct bank_txs *txs, const struct bank_entry *e, struct error *err);
void bank_txs_free(struct bank_txs *txs);

/* Driver parsers of one page (also behind bank_parse_transactions). next: where the next
 * page starts (the continuation key, the last created_at), "" when none. */
int bank_gocardless_parse(const json_t *doc, struct bank_txs *txs, struct error *err);
int bank_enablebanking_parse(const json_t *doc, struct bank_txs *txs, char *next, size_t cap,
                             struct error *err);
int bank_revolut_parse(const json_t *doc, const char *account_id, struct bank_txs *txs,
                       char *next, size_t cap, size_t *n_items, struct error *err);

/* Takes a balance from the service's decimal text (sign included) of currency on date
 * ("" or NULL: today) into p; the account's currency, when known, must be the balance's. */
int bank_balance_take(const struct bank_ctx *c, const struct bank_account *a,
                      const char *amount, size_t len, const char *currency, const char *date,
                      struct bank_pull *p, struct error *err);

/* An account found: appended to out. */
int bank_accounts_add(struct bank_accounts_found *out, const struct bank_account_found *a,
                      struct error *err);

/* Today's date (UTC) plus days, as YYYY-MM-DD. */
void bank_date(int64_t now_ms, int days, char out[BANK_DATE_LEN]);

#endif
