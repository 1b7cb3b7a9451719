/* outbound/destination.h - one interface for every outbound destination of seed 001.
 *
 * A destination is one file in destinations/ that fills one `struct destination` and one
 * line in destinations.def. Destinations are pure: render() turns an event and the
 * connector's config into an HTTP request, classify() turns the answer into a verdict;
 * neither does I/O. Only the delivery engine sends. Callers use destination_render() and
 * destination_classify(), which apply the defaults. */
#ifndef CONNECTORD_OUTBOUND_DESTINATION_H
#define CONNECTORD_OUTBOUND_DESTINATION_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/error.h"
#include "events/events.h"

/* The event as destinations see it. The envelope is what generic webhooks post verbatim:
 * {"id":"evt_...","type":"payment.settled","createdAt":"...","projectId":"...","data":{...}}.
 * Its data's fields, per type, are events/types.def's: destinations read them as
 * ev->fields (struct event_data), never by their JSON names. */
struct dest_event {
    const char *id;
    const char *type;
    const char *created_at;
    const char *project_id;
    const json_t *data;
    const char *envelope; /* the JSON text above */
    struct event_data fields; /* data read by events/ (events_read(data, &fields)), by the
                               * caller once per event: an event rendered for several
                               * destinations, or again on a retry, is read once. Destinations
                               * read it instead of data's keys. */
};

/* The connector's config with its secrets decrypted, and the API base to use. */
struct dest_config {
    const json_t *config;
    const char *api_base_url; /* the apiBaseUrl setting, or the destination's default */
};

#define DEST_MAX_HEADERS 12

/* An HTTP request a destination wants sent; owned, freed with dest_request_free(). */
struct dest_request {
    char method[8];
    struct buf url;
    char *header_names[DEST_MAX_HEADERS];
    char *header_values[DEST_MAX_HEADERS];
    size_t n_headers;
    struct buf body;
    /* The first header dest_request_header left out because its name or value had bytes a
     * header cannot carry (a line break in a setting would start a header of its own);
     * "" when none. destination_render then refuses the request. */
    char refused_header[32];
};

void dest_request_init(struct dest_request *r, const char *method);
void dest_request_free(struct dest_request *r);
/* Adds a header; -1 when there is no room or memory. A name that is not an HTTP token, or a
 * value with a control character other than a tab, is not added but noted in
 * r->refused_header (0: the caller goes on, and the request is refused as a whole). */
int dest_request_header(struct dest_request *r, const char *name, const char *value);
/* The error for a request with r->refused_header set (ERR_VALIDATION, naming the header). */
int dest_refused_header(const struct dest_request *r, struct error *err);

/* The answer as the engine got it. */
struct dest_response {
    long status;             /* 0 when no HTTP answer came (transport error) */
    const char *body;        /* at most 64 KiB, NUL-terminated */
    size_t body_len;
    const char *retry_after; /* the header's value, or NULL */
};

enum dest_verdict { DEST_DELIVERED, DEST_RETRY, DEST_FAILED };

#define DEST_CAP_STD_WEBHOOKS 0x1u /* the engine signs per Standard Webhooks (zapier, n8n, make) */
#define DEST_CAP_IDEMPOTENCY 0x2u  /* render puts the event id in the service's dedupe key */
/* The service's access tokens are short-lived: before rendering, the engine puts a valid
 * one from oauth/ into the config as accessToken (from the refreshToken or key settings;
 * a config with only a static accessToken keeps it), and a 401 is answered by one refresh
 * and one resend. */
#define DEST_CAP_OAUTH 0x4u

struct destination {
    const char *slug; /* the catalog slug: "slack", "segment", ... */
    unsigned caps;
    const char *default_api_base; /* services with a fixed host; NULL for URL-configured ones */
    int (*render)(const struct dest_event *ev, const struct dest_config *cfg,
                  struct dest_request *out, struct error *err);
    /* NULL: the default rules (2xx delivered; 408, 429, 5xx and no answer retry; other
     * 4xx failed). A service that answers 200 with an error in the body classifies here. */
    enum dest_verdict (*classify)(const struct dest_response *resp);
    /* NULL, or the seconds to wait that the answer's body gives (Discord's retry_after,
     * Telegram's parameters.retry_after), < 0 when it gives none. A Retry-After header
     * wins over it. */
    double (*body_retry_after_s)(const struct dest_response *resp);
    /* NULL: every event type means something to the service. Else the only types it can
     * use (NULL-terminated): a subscription is held to them, and "*" stands for them. */
    const char *const *accepts;
};

const struct destination *destination_find(const char *slug);
const struct destination *const *destination_all(size_t *count);
/* ev's fields must have been read from its data (events_read). */
int destination_render(const struct destination *d, const struct dest_event *ev,
                       const struct dest_config *cfg, struct dest_request *out,
                       struct error *err);
enum dest_verdict destination_classify(const struct destination *d,
                                       const struct dest_response *resp);
enum dest_verdict destination_default_classify(const struct dest_response *resp);
/* When to try again as the answer says (Retry-After header: seconds or an HTTP date; else
 * the body, where the destination reads one), clamped to [1 s, 1 h] from now; -1 when the
 * answer does not say. */
int64_t destination_retry_at_ms(const struct destination *d, const struct dest_response *resp,
                                int64_t now_ms);

/* ---- shared rendering helpers (text.c) ------------------------------------------------ */

/* A one-line English summary for people: "Payment settled: 99.00 EUR from Example Buyer
 * GmbH (stripe, ACME-1001)". A payment.verified of a failed payment says it failed; a test
 * event ("Send test", data.test true) starts with "[Test] ". */
int dest_event_summary(const struct dest_event *ev, struct buf *out);
/* Whether the event is a "Send test" sample (data.test is true): every rendering says so,
 * in text ("[Test]") or, in structured payloads, with the data's test member. */
bool dest_event_is_test(const struct dest_event *ev);
/* The role of the event's party ("customer" or "supplier"), or NULL. */
const char *dest_event_party_role(const struct dest_event *ev);
/* Copies at most max_bytes of UTF-8 text, never cutting a character, adding "…" when cut. */
int dest_text_truncate(const char *text, size_t max_bytes, struct buf *out);
/* The config string `key`, or NULL. */
const char *dest_config_str(const struct dest_config *cfg, const char *key);
/* base + path into out->url (exactly one '/' between). */
int dest_url(struct dest_request *out, const char *base, const char *path);

/* A short English title for people: "Payment settled", "First payment", "Daily revenue
 * summary"; the event type itself for types without one. Static or ev->type. */
const char *dest_event_title(const struct dest_event *ev);

/* The label/value pairs people see under a title: "Amount" "99.00 EUR", "Customer"
 * "Example Buyer GmbH", "Invoice" "ACME-1001", ... (for types the platform does not know:
 * the data's scalar members). Values are not truncated: each destination cuts them to its
 * own limits. Free with dest_facts_free(), also after a failure. */
#define DEST_FACTS_MAX 8
struct dest_facts {
    size_t n;
    const char *label[DEST_FACTS_MAX]; /* static, or a key of ev->data */
    struct buf value[DEST_FACTS_MAX];
};
int dest_event_facts(const struct dest_event *ev, struct dest_facts *out);
void dest_facts_free(struct dest_facts *f);
/* The event for people as plain text: the summary, an empty line, one "Label: value" line
 * per fact and "At: <time>", an empty line, "Event <id> (<type>)". Not truncated: each
 * destination cuts it to its own limit. */
int dest_event_text(const struct dest_event *ev, struct buf *out);

/* createdAt as Unix milliseconds (RFC 3339 with 'Z' or an offset, any fraction); -1 when
 * absent or malformed. */
int dest_event_time_ms(const struct dest_event *ev, int64_t *out);
/* createdAt for people, "2026-03-22 14:30 UTC"; "" when malformed. */
#define DEST_TIME_TEXT_MAX 32
void dest_event_time_text(const struct dest_event *ev, char out[DEST_TIME_TEXT_MAX]);
/* The day a payment belongs to, "YYYY-MM-DD": data.invoiceDate when it is one, else the UTC
 * date of createdAt; -1 when neither is. */
#define DEST_DATE_LEN 11
int dest_event_date(const struct dest_event *ev, char out[DEST_DATE_LEN]);

/* The id of the person or company the event is about: data.party.id, else
 * data.customer.id; NULL for events about no one (daily summaries, endpoint events). */
const char *dest_event_subject_id(const struct dest_event *ev);
/* The event's amount as a JSON number in major units (99.0 for 9900 EUR), computed
 * exactly from data.amountMinor (or the decimal text data.amount) and the currency's
 * decimals; NULL when the event has no amount. New reference. */
json_t *dest_event_amount(const struct dest_event *ev);
/* Money that came in: a settled payment whose direction is not "expense". Analytics
 * destinations count revenue only for these, so a first payment is not counted twice. */
bool dest_event_is_revenue(const struct dest_event *ev);
/* Event properties for analytics tools: data's members, the amount as a number
 * (dest_event_amount), without amountMinor and without the party/customer objects (their
 * id is the user id). New reference, NULL on allocation failure. */
json_t *dest_event_properties(const struct dest_event *ev);

/* The event id as a service's dedupe key of at most max characters: the id itself when it
 * fits, else as many hex digits of its SHA-256 as fit (64 at most). Points at ev->id or
 * at hashed. */
#define DEST_KEY_HASH_MAX 65
const char *dest_event_key(const struct dest_event *ev, size_t max,
                           char hashed[DEST_KEY_HASH_MAX]);
/* Appends s percent-encoded: every byte but RFC 3986's unreserved A-Z a-z 0-9 - . _ ~, so a
 * value from config or an event stays one path segment or one query value. */
int dest_url_escape(const char *s, struct buf *out);
/* Appends text with &, <, > and " as HTML entities (HTML email, Telegram's HTML mode). */
int dest_html_escape(const char *text, size_t len, struct buf *out);
/* "Authorization: Basic base64(user:password)". */
int dest_basic_auth(struct dest_request *out, const char *user, const char *password);
/* Dumps body compactly into out->body (reals with 15 significant digits, so 19.99 stays
 * 19.99) and adds "Content-Type: application/json". */
int dest_json_body(struct dest_request *out, const json_t *body);

/* The render of generic webhooks (zapier, n8n, make): POST the envelope as it is to the
 * configured webhookUrl; the engine adds the Standard Webhooks headers. */
int dest_render_envelope(const struct dest_event *ev, const struct dest_config *cfg,
                         struct dest_request *out, struct error *err);

#endif
