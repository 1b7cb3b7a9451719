/* payouts/sumup.c - SumUp's transaction history, read with the install's API key (Bearer)
 * for its merchant code:
 *
 *   GET /v2.1/merchants/{merchantCode}/transactions/history
 *       ?oldest_time=<RFC 3339>&order=ascending&limit=100
 *   next page: the href of links[] with rel "next", a query string for the same path
 *
 * A sale at a card reader (payment_type POS, type PAYMENT, status SUCCESSFUL) sends no
 * webhook: it is booked here, as a payment of the connector through the webhook pipeline,
 * under the transaction's id, so a second pull books it as a duplicate only. Online
 * checkouts (ECOM) come through their webhooks and are left to them. Amounts are JSON
 * numbers in major units, read exactly. */
#include <stdio.h>
#include <string.h>

#include "core/utf8.h"
#include "httpc/httpc.h"
#include "inbound/sig.h"
#include "payouts/payouts_int.h"

static bool is(const char *a, const char *b)
{
    return a && strcmp(a, b) == 0;
}

/* A card-reader sale as a payment; false when the item is something else. */
static int sale_of(const json_t *item, struct payment *p, bool *take, struct error *err)
{
    *take = false;
    if (!is(sig_json_str(item, "payment_type"), "POS") ||
        !is(sig_json_str(item, "type"), "PAYMENT") ||
        !is(sig_json_str(item, "status"), "SUCCESSFUL"))
        return 0;
    const char *id = sig_json_str(item, "id");
    if (!sig_id_valid(id, "", 100, "-_"))
        return error_set(err, ERR_SERVICE_FAILED, "a SumUp transaction has no valid id");
    memset(p, 0, sizeof *p);
    p->kind = PAYMENT_SETTLED;
    p->link = PAYMENT_LINK_BOOK;
    sig_copy(p->event, sizeof p->event, "transaction.successful");
    sig_copy(p->external_id, sizeof p->external_id, id);
    sig_json_copy(item, "transaction_code", p->invoice_number, sizeof p->invoice_number);
    if (sig_date_from_rfc3339(sig_json_str(item, "timestamp"), p->date) < 0)
        return error_set(err, ERR_SERVICE_FAILED, "SumUp transaction %s has no timestamp", id);
    if (sig_amount(json_object_get(item, "amount"), SIG_AMOUNT_MAJOR_NUMBER,
                   sig_json_str(item, "currency"), &p->amount, err) < 0)
        return error_set(err, ERR_SERVICE_FAILED, "SumUp transaction %s: %s", id, err->message);
    if (p->amount.minor <= 0)
        return 0;
    sig_copy(p->customer_name, sizeof p->customer_name, "SumUp card payment");
    *take = true;
    return 0;
}

static int on_page(struct pull_ctx *c, const json_t *body, struct error *err)
{
    const json_t *items = json_object_get(body, "items"), *item;
    size_t i;
    if (!json_is_array(items))
        return error_set(err, ERR_SERVICE_FAILED, "SumUp's history answer has no items list");
    json_array_foreach(items, i, item) {
        struct payment_list one = {0};
        struct payment sale;
        bool take = false;
        if (sale_of(item, &sale, &take, err) < 0)
            return -1;
        if (!take) {
            c->res->skipped++;
            continue;
        }
        struct payment *p = payment_list_add(&one);
        if (!p)
            return error_set(err, ERR_INTERNAL, "out of memory");
        *p = sale;
        int rc = pull_payments(c, NULL, 0, NULL, &one, err);
        payment_list_free(&one);
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* The next page's query string, "" at the end. Only the query's own characters are kept,
 * so an answer cannot steer the request to another path. */
static int next_of(const json_t *body, char *out, size_t cap)
{
    const json_t *links = json_object_get(body, "links"), *l;
    size_t i;
    out[0] = '\0';
    json_array_foreach(links, i, l) {
        const char *href = sig_json_str(l, "href");
        if (!is(sig_json_str(l, "rel"), "next") || !href)
            continue;
        if (*href == '?')
            href++;
        static const char allowed[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                      "0123456789-_.~%=&:+";
        if (strlen(href) >= cap || strspn(href, allowed) != strlen(href))
            return -1;
        snprintf(out, cap, "%s", href);
    }
    return 0;
}

static int sumup_pull(struct pull_ctx *c, struct error *err)
{
    const char *merchant = json_string_value(json_object_get(c->config, "merchantCode"));
    char path[160], from[32], next[1024];
    struct buf q;
    int rc = -1;
    if (!sig_id_valid(merchant, "", 32, ""))
        return error_set(err, ERR_CONFIG, "the SumUp merchant code is not set or not valid");
    if (snprintf(c->bearer, sizeof c->bearer, "Bearer %s", c->key.data) >= (int)sizeof c->bearer)
        return error_set(err, ERR_CONFIG, "the SumUp API key is too long");
    snprintf(path, sizeof path, "/v2.1/merchants/%s/transactions/history", merchant);
    pull_time_text(c->from_ms, from);
    buf_init(&q, 0);
    if (buf_printf(&q, "%s?oldest_time=%.13s%%3A%.2s%%3A%.2sZ&order=ascending&limit=100", path,
                   from, from + 14, from + 17) < 0) {
        error_set(err, ERR_INTERNAL, "out of memory");
        goto out;
    }
    for (int page = 0; page < PAYOUTS_PAGE_MAX; page++) {
        json_t *body = NULL;
        if (pull_get(c, q.data, &body, err) < 0)
            goto out;
        int prc = on_page(c, body, err);
        int nrc = prc < 0 ? 0 : next_of(body, next, sizeof next);
        json_decref(body);
        if (prc < 0)
            goto out;
        if (nrc < 0) {
            error_set(err, ERR_SERVICE_FAILED, "SumUp's next link is not a query string");
            goto out;
        }
        if (!next[0]) {
            rc = 0;
            goto out;
        }
        buf_reset(&q);
        if (buf_printf(&q, "%s?%s", path, next) < 0) {
            error_set(err, ERR_INTERNAL, "out of memory");
            goto out;
        }
    }
    error_set(err, ERR_SERVICE_FAILED, "SumUp's history has more than %d pages",
              PAYOUTS_PAGE_MAX);
out:
    buf_free(&q);
    return rc;
}

const struct payouts_source payouts_sumup = {
    .slug = "sumup",
    .default_base = "https://api.sumup.com",
    .key_secret = "apiKey",
    .pull = sumup_pull,
};
