/* outbound/destinations/n8n.c - an n8n workflow's Webhook trigger node: POST the event
 * envelope as JSON to the production webhook URL, which is the credential; the engine signs
 * it per Standard Webhooks so a workflow can verify it. A workflow that answers only when
 * it finishes may take longer than the engine's time-out, which counts as no answer and is
 * retried. 404 means the workflow is not active (or the path is wrong) and, like 401 and
 * 403, is permanent; 429 from a proxy and 5xx retry - the default rules. */
#include "outbound/destination.h"

const struct destination destination_n8n = {
    .slug = "n8n",
    .caps = DEST_CAP_STD_WEBHOOKS,
    .render = dest_render_envelope,
};
