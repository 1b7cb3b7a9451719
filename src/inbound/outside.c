/* inbound/outside.c - a published outside connector behind the provider interface: the
 * declarative evaluator over its manifest's webhook block.
 *
 * The block reaches parse through the verification's state (parse sees no install), and a
 * test webhook's sample sets that state itself: its signature was made with the sample's
 * own secret, which the install does not hold. */
#include <stdlib.h>
#include <string.h>

#include "inbound/declarative.h"
#include "inbound/provider.h"

static const json_t *webhook_of(const struct provider_install *inst)
{
    return json_object_get(inst->manifest, "webhook");
}

static enum verify_result outside_verify(const struct webhook_request *req,
                                         const struct provider_install *inst, json_t **state,
                                         struct error *err)
{
    const json_t *webhook = webhook_of(inst);
    if (!webhook) {
        error_set(err, ERR_INTERNAL, "the connector's manifest has no webhook block");
        return VERIFY_ERROR;
    }
    enum verify_result r = declarative_verify(webhook, req, inst, err);
    if (r == VERIFY_OK)
        *state = json_incref((json_t *)webhook);
    return r;
}

static int outside_parse(const struct webhook_request *req, const json_t *state,
                         struct payment_list *out, struct error *err)
{
    if (!state)
        return error_set(err, ERR_INTERNAL, "an outside connector's webhook was not verified");
    return declarative_parse(state, req, out, err);
}

static int outside_sample(const struct provider_install *inst, int64_t now_ms,
                          struct provider_sample *out, json_t **state, struct error *err)
{
    char *secret = NULL;
    int64_t sample_ms = now_ms;
    const json_t *webhook = webhook_of(inst);
    if (!webhook)
        return error_set(err, ERR_VALIDATION, "the connector has no webhook block");
    if (declarative_sample_request(inst->manifest, 0, out, &secret, &sample_ms, err) < 0)
        return -1;
    if (secret) {
        memset(secret, 0, strlen(secret));
        free(secret);
    }
    *state = json_incref((json_t *)webhook);
    return 0;
}

void provider_declarative_init(struct provider *p, const char *slug, const json_t *manifest)
{
    const char *content_type = NULL;
    const char *answer = declarative_answer(json_object_get(manifest, "webhook"), &content_type);
    *p = (struct provider){
        .slug = slug,
        .verify = outside_verify,
        .parse = outside_parse,
        .sample = outside_sample,
        .ack_body = answer,
        .ack_content_type = answer ? content_type : NULL,
        /* Outside slugs are many and live no longer than a request: one series for all. */
        .metrics_label = "outside",
    };
}
