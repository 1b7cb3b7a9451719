/* outbound/destinations/zapier.c - Webhooks by Zapier "Catch Hook": POST the event envelope
 * as JSON to the hook URL, which is the credential; the engine signs it per Standard
 * Webhooks. The envelope's id lets a Zap filter out the duplicates at-least-once delivery
 * can bring (the hook itself has no dedupe key). Zapier answers 200; 429 above its rate
 * limits and 5xx retry, 404 and 410 (hook deleted, Zap off) are permanent - the default
 * rules. */
#include "outbound/destination.h"

const struct destination destination_zapier = {
    .slug = "zapier",
    .caps = DEST_CAP_STD_WEBHOOKS,
    .render = dest_render_envelope,
};
