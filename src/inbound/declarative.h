/* inbound/declarative.h - webhook connectors without code: a manifest's `webhook` block,
 * evaluated behind the provider interface (verify, parse), and the automated checks of a
 * whole manifest.
 *
 * The webhook block (connectors/schema/connector-manifest.json, "webhook") says how a
 * provider signs (HMAC SHA-256/512/1 over a template of {body}, {timestamp},
 * {header:Name} and {url}, the key from a secret setting, the signature read from one
 * header, hex or base64, a timestamp tolerance) and how its events map to normalized
 * payments (JSON pointers, per event type: settled, failed or refunded). Nothing in it
 * executes code or reaches outside the request: evaluation reads the request, one secret
 * of the install, and the clock. A hostile manifest is bounded (DECLARATIVE_*_MAX below):
 * the block is refused when it exceeds a bound, and evaluating one webhook against it uses
 * at most DECLARATIVE_EVAL_BYTES_MAX of memory and DECLARATIVE_EVAL_MS_MAX of time, or is
 * refused.
 *
 * All functions are thread-safe and take the webhook block as a parsed JSON object that
 * the caller owns; none keeps a reference to it. */
#ifndef CONNECTORD_INBOUND_DECLARATIVE_H
#define CONNECTORD_INBOUND_DECLARATIVE_H

#include <jansson.h>
#include <stddef.h>

#include "core/error.h"
#include "inbound/provider.h"

#define DECLARATIVE_MANIFEST_MAX (256 * 1024) /* bytes of a manifest's JSON text */
#define DECLARATIVE_TEMPLATE_MAX 4096         /* bytes of one template */
#define DECLARATIVE_POINTER_STEPS_MAX 32      /* reference tokens of one JSON pointer */
#define DECLARATIVE_SETTINGS_MAX 64           /* settings a manifest declares */
#define DECLARATIVE_EVENT_TYPES_MAX 128       /* event types a webhook block maps */
#define DECLARATIVE_EVAL_MS_MAX 10            /* CPU time to evaluate one webhook */
#define DECLARATIVE_EVAL_BYTES_MAX (1024 * 1024) /* memory to evaluate one webhook */

/* 0 when `webhook` is a well-formed webhook block within the bounds; -1 with
 * ERR_VALIDATION and a message naming the offending member otherwise. Verify and parse
 * check this themselves; callers use it to refuse a manifest early. */
int declarative_webhook_valid(const json_t *webhook, struct error *err);

/* Fills *out as the provider of a connector without code: slug (the manifest's, borrowed),
 * the webhook block (borrowed: the caller keeps it alive as long as out is used) and its
 * answer body. provider_verify and provider_parse then evaluate the block, so the pipeline
 * runs it as it runs a built-in. ERR_VALIDATION when the block is not valid. */
int declarative_provider_init(struct provider *out, const char *slug, const json_t *webhook,
                              struct error *err);

/* Verifies the request's signature as the block describes, with the install's secret
 * setting (inst->secret). VERIFY_INVALID: no signature matches, it is missing or
 * malformed, or the timestamp is outside the tolerance (err says which). VERIFY_ERROR:
 * the block is not valid, the secret is unset or not in its declared encoding, or a
 * bound was hit. */
enum verify_result declarative_verify(const json_t *webhook, const struct webhook_request *req,
                                      const struct provider_install *inst, struct error *err);

/* Maps the verified request's body to payments (appended to out), one per event (the
 * block's events.list names a batch). An event type the block does not list, or whose
 * conditions do not hold, is PAYMENT_IGNORED with a detail. ERR_VALIDATION when the body
 * is not JSON, an amount is malformed (not a number of the declared unit, more decimals
 * than its currency, beyond the bound) or a bound of the evaluation was hit. A field the
 * event does not carry, and a date that is none, are left unset. Callers pass the result
 * through the checks every
 * provider's payments pass (provider_payments_check; provider_parse does that for a
 * provider made with declarative_provider_init). */
int declarative_parse(const json_t *webhook, const struct webhook_request *req,
                      struct payment_list *out, struct error *err);

/* The answer body the provider requires (webhook.answer.body) and its content type, or
 * NULL when the block names none (the pipeline then answers its JSON status). Pointers
 * into `webhook`, valid while the caller holds it. */
const char *declarative_answer(const json_t *webhook, const char **content_type);

/* Builds sample `index` of a manifest's `samples` as a request: its body and headers.
 * *secret is set to a new string with the sample's secret (caller frees), *now_ms to the
 * sample's arrival time. ERR_VALIDATION when there is no such sample or it is malformed. */
int declarative_sample_request(const json_t *manifest, size_t index,
                               struct provider_sample *out, char **secret, int64_t *now_ms,
                               struct error *err);

/* The automated checks of a manifest (JSON text, len bytes): schema of the webhook and
 * samples blocks, every secret setting typed secret, URLs public and https, the size
 * limits, each sample verifying and mapping to exactly its expected payments, and each
 * sample with one byte changed refused. Returns a new JSON array of
 * {"check": name, "ok": bool, "message": text}, one per check performed, in a stable
 * order; NULL only when memory ran out. The manifest passes when every "ok" is true
 * (declarative_checks_passed). */
json_t *declarative_check(const char *manifest, size_t len);
bool declarative_checks_passed(const json_t *results);

#endif
