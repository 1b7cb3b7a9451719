/* inbound/provider.c - the provider table, lookups, and the wrappers every caller uses;
 * provider_verify counts signature failures per provider, once, for every caller. */
#include <stdlib.h>
#include <string.h>

#include "core/metrics.h"
#include "core/utf8.h"
#include "inbound/declarative.h"
#include "inbound/provider.h"

#define PROVIDER(name) extern const struct provider provider_##name;
#include "inbound/providers.def"
#undef PROVIDER

static const struct provider *const providers[] = {
#define PROVIDER(name) &provider_##name,
#include "inbound/providers.def"
#undef PROVIDER
};

const struct provider *provider_find(const char *slug)
{
    for (size_t i = 0; i < sizeof providers / sizeof providers[0]; i++)
        if (strcmp(providers[i]->slug, slug) == 0)
            return providers[i];
    return NULL;
}

const struct provider *const *provider_all(size_t *count)
{
    *count = sizeof providers / sizeof providers[0];
    return providers;
}

int provider_acknowledge(const struct provider *p, const struct webhook_request *req,
                         const struct provider_install *inst, const json_t *state,
                         struct error *err)
{
    return p->acknowledge ? p->acknowledge(req, inst, state, err) : 0;
}

const char *provider_metrics_label(const struct provider *p)
{
    return p->metrics_label ? p->metrics_label : p->slug;
}

enum verify_result provider_verify(const struct provider *p, const struct webhook_request *req,
                                   const struct provider_install *inst, json_t **state,
                                   struct error *err)
{
    *state = NULL;
    enum verify_result r = p->webhook ? declarative_verify(p->webhook, req, inst, err)
                                      : p->verify(req, inst, state, err);
    if (r == VERIFY_INVALID)
        metrics_signature_failure(provider_metrics_label(p));
    if (r != VERIFY_OK) {
        json_decref(*state);
        *state = NULL;
    }
    return r;
}

/* Every text field of a payment as valid UTF-8: providers cut outside text on character
 * boundaries (sig_copy, UTF8_CUT); this is the one place that also holds for a cut a
 * provider missed, before the text reaches JSON and the books. */
static void repair_text(struct payment *pay)
{
    char *fields[] = {pay->event, pay->event_id, pay->external_id, pay->refunded_external_id,
                      pay->invoice_number, pay->merchant_id, pay->merchant_email,
                      pay->merchant_name, pay->customer_id, pay->customer_email,
                      pay->customer_name, pay->detail};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        utf8_repair(fields[i]);
}

int provider_payments_check(struct payment_list *out, struct error *err)
{
    if (out->n == 0)
        return error_set(err, ERR_VALIDATION, "the webhook carries no event");
    for (size_t i = 0; i < out->n; i++) {
        struct payment *pay = &out->items[i];
        repair_text(pay);
        if (pay->kind == PAYMENT_IGNORED)
            continue;
        if (!pay->external_id[0] || !pay->amount.currency[0])
            return error_set(err, ERR_VALIDATION, "event %s lacks an id or amount", pay->event);
        if (!pay->date[0])
            return error_set(err, ERR_VALIDATION,
                             "event %s has no date between 1970-01-01 and 9999-12-31 (its date "
                             "fields are missing or out of range)", pay->event);
        if (pay->amount.minor < 0)
            return error_set(err, ERR_VALIDATION, "event %s has a negative amount", pay->event);
        /* Amounts are bounded where they are made (money_from_minor, money_parse_decimal);
         * checked again here, where every provider's payments pass, so none can slip by. */
        if (pay->amount.minor > MONEY_MAX_MINOR)
            return error_set(err, ERR_VALIDATION,
                             "event %s has an amount beyond the maximum of 10^13 minor units",
                             pay->event);
        if (pay->kind == PAYMENT_REFUNDED && !pay->refunded_external_id[0])
            return error_set(err, ERR_VALIDATION, "refund %s does not name its payment",
                             pay->external_id);
        if (!pay->invoice_number[0])
            memcpy(pay->invoice_number, pay->external_id, sizeof pay->invoice_number);
    }
    return 0;
}

int provider_parse(const struct provider *p, const struct webhook_request *req,
                   const json_t *state, struct payment_list *out, struct error *err)
{
    int rc = p->webhook ? declarative_parse(p->webhook, req, out, err)
                        : p->parse(req, state, out, err);
    return rc < 0 ? rc : provider_payments_check(out, err);
}

int provider_sample(const struct provider *p, const struct provider_install *inst,
                    int64_t now_ms, struct provider_sample *out, json_t **state,
                    struct error *err)
{
    *state = NULL;
    memset(out, 0, sizeof *out);
    buf_init(&out->body, 1 << 20);
    if (!p->sample)
        return error_set(err, ERR_VALIDATION, "%s has no test webhook", p->slug);
    if (p->sample(inst, now_ms, out, state, err) < 0) {
        json_decref(*state);
        *state = NULL;
        provider_sample_free(out);
        return -1;
    }
    return 0;
}

int provider_sample_header(struct provider_sample *s, const char *name, const char *value)
{
    if (s->n_headers == PROVIDER_SAMPLE_HEADERS)
        return -1;
    s->header_names[s->n_headers] = strdup(name);
    s->header_values[s->n_headers] = strdup(value);
    if (!s->header_names[s->n_headers] || !s->header_values[s->n_headers]) {
        free(s->header_names[s->n_headers]);
        free(s->header_values[s->n_headers]);
        return -1;
    }
    s->n_headers++;
    return 0;
}

void provider_sample_free(struct provider_sample *s)
{
    for (size_t i = 0; i < s->n_headers; i++) {
        free(s->header_names[i]);
        free(s->header_values[i]);
    }
    s->n_headers = 0;
    buf_free(&s->body);
}

struct payment *payment_list_add(struct payment_list *list)
{
    if (list->n == list->cap) {
        size_t cap = list->cap ? list->cap * 2 : 4;
        if (cap > 1000)
            return NULL; /* no provider batches more; a bound against hostile bodies */
        struct payment *grown = realloc(list->items, cap * sizeof *grown);
        if (!grown)
            return NULL;
        list->items = grown;
        list->cap = cap;
    }
    struct payment *p = &list->items[list->n++];
    memset(p, 0, sizeof *p);
    return p;
}

void payment_list_free(struct payment_list *list)
{
    free(list->items);
    list->items = NULL;
    list->n = list->cap = 0;
}
