/* inbound/outside.c - a published outside connector behind the provider interface: the
 * declarative evaluator over its manifest's webhook block (declarative_provider_init), and
 * its first sample as the test webhook. The sample was signed with the sample's own secret,
 * which the install does not hold, so it comes with a state: the pipeline then does not
 * verify it again (see provider.h's sample). */
#include <stdlib.h>
#include <string.h>

#include "inbound/declarative.h"
#include "inbound/provider.h"

static int outside_sample(const struct provider_install *inst, int64_t now_ms,
                          struct provider_sample *out, json_t **state, struct error *err)
{
    char *secret = NULL;
    int64_t sample_ms = now_ms;
    json_t *webhook = json_object_get(inst->manifest, "webhook");
    if (!webhook)
        return error_set(err, ERR_VALIDATION, "the connector has no webhook block");
    if (declarative_sample_request(inst->manifest, 0, out, &secret, &sample_ms, err) < 0)
        return -1;
    if (secret) {
        memset(secret, 0, strlen(secret));
        free(secret);
    }
    *state = json_incref(webhook);
    return 0;
}

int provider_outside_init(struct provider *p, const char *slug, const json_t *manifest,
                          struct error *err)
{
    if (declarative_provider_init(p, slug, json_object_get(manifest, "webhook"), err) < 0)
        return -1;
    p->sample = outside_sample;
    /* Outside slugs are many and live no longer than a request: one series for them all. */
    p->metrics_label = "outside";
    return 0;
}
