/* inbound/sig.h - the primitives providers share, so no provider re-implements them:
 * signature header parsing, HMAC comparison over several message parts, timestamp
 * tolerance, JSON paths, amounts and dates from payloads, fetch-back GETs, and the HMAC
 * and fresh ids that the providers' sample events (test-webhook) are made with. */
#ifndef CONNECTORD_INBOUND_SIG_H
#define CONNECTORD_INBOUND_SIG_H

#include <stdatomic.h>

#include "core/jscan.h"
#include "inbound/provider.h"

/* One message part for HMAC: bytes with a length. */
struct sig_part {
    const void *data;
    size_t len;
};
#define SIG_STR(s) ((struct sig_part){(s), strlen(s)})

enum sig_encoding { SIG_HEX_LOWER, SIG_HEX_ANY_CASE, SIG_BASE64 };

/* HMAC-SHA256(key, parts[0] || parts[1] || ...) compared in constant time with
 * `candidate` (len bytes) in the given encoding. */
bool sig_hmac_sha256_matches(const void *key, size_t key_len, const struct sig_part *parts,
                             size_t n_parts, const char *candidate, size_t candidate_len,
                             enum sig_encoding encoding);

/* The same HMAC as text, NUL-terminated: lowercase hex (both hex encodings) or padded
 * standard base64. What a provider's sample signs with. -1 when it cannot be computed. */
#define SIG_HMAC_TEXT_MAX 65
int sig_hmac_sha256_text(const void *key, size_t key_len, const struct sig_part *parts,
                         size_t n_parts, enum sig_encoding encoding,
                         char out[SIG_HMAC_TEXT_MAX]);

/* sig_hmac_sha256_text keyed with the install's secret `secret_key`, taken as its bytes
 * (SIG_KEY_TEXT: Stripe, Revolut, GoCardless) or hex-decoded (SIG_KEY_HEX, either case, at
 * most SIG_HEX_KEY_MAX bytes: Adyen). Errors: the secret's (ERR_NOT_FOUND when unset),
 * ERR_CONFIG when a hex key is not hex. The key is wiped after use. */
enum sig_key_form { SIG_KEY_TEXT, SIG_KEY_HEX };
#define SIG_HEX_KEY_MAX 256
int sig_hmac_with_secret(const struct provider_install *inst, const char *secret_key,
                         enum sig_key_form form, const struct sig_part *parts, size_t n_parts,
                         enum sig_encoding encoding, char out[SIG_HMAC_TEXT_MAX],
                         struct error *err);

/* n_bytes (at most 32) random bytes as hex into out (2 * n_bytes + 1 bytes), uppercase
 * when `upper`: the fresh ids of a provider's sample event. ERR_INTERNAL without
 * randomness. */
int sig_random_hex(char *out, size_t n_bytes, bool upper, struct error *err);

/* Walks "k1=v1<sep>k2=v2..." (Stripe's "t=...,v1=...", Revolut's "v1=...,v1=..."). For
 * each pair calls fn(ctx, key, key_len, value, value_len); fn returns non-zero to stop.
 * No trimming: providers' own SDKs do not trim either. */
void sig_params_each(const char *header, char sep,
                     int (*fn)(void *ctx, const char *key, size_t key_len, const char *value,
                               size_t value_len),
                     void *ctx);

/* True when some `scheme=value` pair of a signature header (pairs split at sep, no
 * trimming) carries HMAC-SHA256(key, parts...) in `encoding`: several signatures arrive
 * while a secret is rotated (Stripe's and Revolut's "v1=...,v1=..."). Looks at no more
 * than 16 candidates, so a hostile header cannot make the check expensive. */
bool sig_params_any_hmac(const char *header, char sep, const char *scheme, const void *key,
                         size_t key_len, const struct sig_part *parts, size_t n_parts,
                         enum sig_encoding encoding);

/* Parses unsigned decimal seconds/milliseconds text; -1 when not a plain number. */
int64_t sig_parse_uint(const char *text, size_t len);

/* The string or integer at a dotted path ("data.object.id"); NULL / false when absent or
 * of another type. */
const char *sig_json_str(const json_t *root, const char *path);
bool sig_json_int(const json_t *root, const char *path, int64_t *out);
json_t *sig_json_get(const json_t *root, const char *path);

/* Copies a string at `path` into dst (cap bytes); "" when absent. */
void sig_json_copy(const json_t *root, const char *path, char *dst, size_t cap);

/* A body's fields read without a tree (core/jscan.h): a provider names the fields it reads
 * as paths from the body's top, in one static set; the paths from index tree_first on are
 * read only from a tree (lists and objects that its readers walk), and the body is parsed
 * into one only when such a field holds something (an array with items, an object). The
 * accessors answer as sig_json_* do on the whole tree, whichever way it was read. */
struct sig_field_set {
    const char *const *paths;
    size_t n, tree_first;
    atomic_int made; /* the paths are made ready for jscan at the first read */
    int rc;
    struct jscan_paths ready;
};
#define SIG_FIELD_SET(paths_, n_, tree_first_)                                                 \
    {.paths = (paths_), .n = (n_), .tree_first = (tree_first_), .rc = -1}

struct sig_fields {
    const struct sig_field_set *set;
    json_t *tree; /* owned; NULL when read by jscan */
    struct jscan_value v[JSCAN_MAX_PATHS];
    const char *str[JSCAN_MAX_PATHS]; /* jscan: the strings decoded, into text */
    char *text;                       /* owned */
};

/* Reads body into *f (free it with sig_fields_free whatever this returns): 0, or -1 with
 * ERR_INVALID_JSON when the body is not JSON (jansson would refuse it too), or
 * ERR_INTERNAL. */
int sig_fields_read(struct sig_fields *f, struct sig_field_set *set, const char *body,
                    size_t len, struct error *err);
void sig_fields_free(struct sig_fields *f);
const char *sig_fields_str(const struct sig_fields *f, size_t i);
bool sig_fields_int(const struct sig_fields *f, size_t i, int64_t *out);
bool sig_fields_has(const struct sig_fields *f, size_t i); /* present, null included */
bool sig_fields_true(const struct sig_fields *f, size_t i);
bool sig_fields_object(const struct sig_fields *f, size_t i);
/* A field from tree_first on: NULL when the body was read by jscan (none held anything). */
const json_t *sig_fields_tree(const struct sig_fields *f, size_t i);

/* Amount from a JSON value: an integer of minor units (kind SIG_AMOUNT_MINOR), a decimal
 * string ("99.00", SIG_AMOUNT_DECIMAL_STRING) or a JSON number in major units
 * (SIG_AMOUNT_MAJOR_NUMBER, e.g. Revolut's 12.5): converted exactly to the currency's
 * minor units, refusing more decimals than the currency has. */
enum sig_amount_kind { SIG_AMOUNT_MINOR, SIG_AMOUNT_DECIMAL_STRING, SIG_AMOUNT_MAJOR_NUMBER };
int sig_amount(const json_t *value, enum sig_amount_kind kind, const char *currency,
               struct money *out, struct error *err);
/* SIG_AMOUNT_MINOR of a value read without a tree: *minor, or NULL when the value there is
 * no integer (the same refusal as sig_amount's). */
int sig_amount_minor(const int64_t *minor, const char *currency, struct money *out,
                     struct error *err);
/* SIG_AMOUNT_DECIMAL_STRING of a value read without a tree: its text (len bytes), or NULL
 * when the value there is no string. */
int sig_amount_decimal(const char *text, size_t len, const char *currency, struct money *out,
                       struct error *err);

/* YYYY-MM-DD (UTC) of a Unix time in seconds, or of an RFC 3339 text ("2026-03-22T14:30:00Z"
 * or with an offset: the date part as written). A booking's date lies between 1970-01-01
 * and 9999-12-31 (SIG_UNIX_MIN .. SIG_UNIX_MAX); -1, with out left as it was (a fallback
 * date set before stays), for anything else: a time outside that range, a day that does
 * not exist ("2026-02-30"), or text that is no date. */
#define SIG_UNIX_MIN INT64_C(0)
#define SIG_UNIX_MAX INT64_C(253402300799) /* 9999-12-31T23:59:59Z */
int sig_date_from_unix(int64_t seconds, char out[11]);
int sig_date_from_rfc3339(const char *text, char out[11]);

/* Copies src (NULL: "") into dst (cap bytes), cut on a UTF-8 character boundary. */
void sig_copy(char *dst, size_t cap, const char *src);

/* Fetch-back: GET base + path + escaped id with the given auth header (e.g.
 * "Authorization: Bearer ..."); parses a JSON answer into *out. Returns VERIFY_OK,
 * VERIFY_INVALID (404 or 401/403: the id is not genuine or not this account's),
 * VERIFY_ERROR (network, 5xx, not JSON). basic_user/basic_password: HTTP Basic instead. */
enum verify_result sig_fetch_json(const char *base, const char *path, const char *id,
                                  const char *auth_header, const char *basic_user,
                                  const char *basic_password, json_t **out, struct error *err);

/* The same with up to SIG_FETCH_MAX_HEADERS request headers, each "Name: value": the
 * Authorization header and an API version pin ("GoCardless-Version: 2015-07-06"). A
 * malformed header (no name, too long, a CR or LF in it, as a secret with a line break
 * would make) is VERIFY_ERROR (ERR_INTERNAL). Header values are wiped after use. */
#define SIG_FETCH_MAX_HEADERS 4
enum verify_result sig_fetch_json_headers(const char *base, const char *path, const char *id,
                                          const char *const *headers, size_t n_headers,
                                          const char *basic_user, const char *basic_password,
                                          json_t **out, struct error *err);

/* The id a fetch-back notification carries: the string member `name` of a JSON object
 * body, or the field `name` of a form-encoded body ("id=tr_...", percent-decoded). 0 with
 * out filled; -1 with out "" when absent, not a string, or not shorter than cap. Only an
 * id to look up comes from the body; nothing else in it is trusted. */
int sig_body_param(const struct webhook_request *req, const char *name, char *out, size_t cap);

/* True when id starts with `prefix` ("" for none) and is at most max_len bytes of ASCII
 * letters, digits and bytes listed in `extra`: the shape check before an id is fetched. */
bool sig_id_valid(const char *id, const char *prefix, size_t max_len, const char *extra);

/* Fetch-back with the install's credentials: GET inst->api_base_url + path + id (id
 * percent-encoded; NULL when path is complete) authenticated with the install's secret
 * `secret_key`, sent as a Bearer token, or, when basic_user is set, as the password of
 * HTTP Basic for that user. A secret that cannot be read, or no base URL, is VERIFY_ERROR;
 * otherwise the result of sig_fetch_json. The secret is wiped after use. */
enum verify_result sig_fetch_with_secret(const struct provider_install *inst,
                                         const char *secret_key, const char *basic_user,
                                         const char *path, const char *id, json_t **out,
                                         struct error *err);

#endif
