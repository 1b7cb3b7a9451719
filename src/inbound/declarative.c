/* inbound/declarative.c - evaluates a manifest's webhook block: verify (HMAC over a
 * template) and parse (JSON pointers to a normalized payment), for connectors that have no
 * C code of their own. The block's format is the "webhook" property of
 * connectors/schema/connector-manifest.json; declarative.h states the contract.
 *
 * Everything here treats the block as hostile: it is checked against the bounds before it
 * is used (declarative_webhook_valid), and one evaluation runs inside a budget: the body is
 * at most DECLARATIVE_BODY_MAX bytes, the signed content is hashed as it is expanded (never
 * copied) and at most DECLARATIVE_SIGNED_MAX bytes, a batch has at most
 * DECLARATIVE_EVENTS_MAX events, the JSON the body parses into may take at most
 * DECLARATIVE_JSON_BYTES_MAX of memory (jansson's allocations are counted per thread while a
 * budget is open; see budget_*), and the thread's CPU time is checked after every step that
 * grows with the input. Amounts in major units are read exactly, digit by digit, with the
 * currency's number of decimals: a number with a fraction is read as the text it was sent
 * as (numbers_as_text), never as a double. */
#include <ctype.h>
#include <limits.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/utf8.h"
#include "crypto/crypto.h"
#include "inbound/declarative.h"
#include "inbound/declarative_int.h"
#include "inbound/sig.h"

#define DECLARATIVE_SIGNED_MAX (DECLARATIVE_BODY_MAX + 16 * 1024)
/* What the parsed body may take: the rest of the evaluation's memory is the payment list
 * and the fixed buffers on the stack. */
#define DECLARATIVE_JSON_BYTES_MAX (DECLARATIVE_EVAL_BYTES_MAX - 320 * 1024)
_Static_assert(DECLARATIVE_EVENTS_MAX * sizeof(struct payment) <= 256 * 1024,
               "the payment list of a full batch fits its share of the memory bound");
#define DECLARATIVE_CANDIDATES_MAX 16  /* signatures looked at in one header */
#define DECLARATIVE_TOKEN_MAX 256      /* bytes of one JSON pointer step */
#define DECLARATIVE_KEY_MAX 1024       /* bytes of a decoded signing key */
#define DECLARATIVE_ALTERNATIVES_MAX 8 /* fallbacks of one value, alternatives of one type */

/* ---- the memory budget ------------------------------------------------------------------ */

/* jansson allocates through these for the whole process. Outside a budget they are malloc
 * and free; inside one (this thread evaluating a webhook) every allocation is counted by
 * its usable size, and one that would pass the limit fails, so jansson reports out of
 * memory and the evaluation is refused. Blocks freed inside a budget are subtracted (a
 * block made before the budget opened can only make the count smaller, clamped at 0). */
static _Thread_local struct {
    int depth;
    size_t used, peak;
    bool exceeded;
} budget;

static void *budget_malloc(size_t n)
{
    void *p = malloc(n);
    if (p && budget.depth > 0) {
        size_t u = malloc_usable_size(p);
        if (budget.used + u > DECLARATIVE_JSON_BYTES_MAX) {
            free(p);
            budget.exceeded = true;
            return NULL;
        }
        budget.used += u;
        if (budget.used > budget.peak)
            budget.peak = budget.used;
    }
    return p;
}

static void budget_free(void *p)
{
    if (p && budget.depth > 0) {
        size_t u = malloc_usable_size(p);
        budget.used = u > budget.used ? 0 : budget.used - u;
    }
    free(p);
}

/* Installed before main runs, while the process has one thread, so no jansson value is
 * ever allocated by one pair of functions and freed by another. */
__attribute__((constructor)) static void budget_install(void)
{
    json_set_alloc_funcs(budget_malloc, budget_free);
}

/* Time is the thread's CPU time: the work a request makes us do, which a busy machine's
 * scheduling does not change. */
struct eval {
    struct timespec start;
    struct error *err;
};

static void eval_begin(struct eval *ev, struct error *err)
{
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ev->start);
    ev->err = err;
    if (budget.depth++ == 0) {
        budget.used = budget.peak = 0;
        budget.exceeded = false;
    }
}

static void eval_restart(struct eval *ev)
{
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ev->start);
}

static void eval_end(struct eval *ev)
{
    (void)ev;
    budget.depth--;
}

static int64_t eval_elapsed_us(const struct eval *ev)
{
    struct timespec now;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    return (int64_t)(now.tv_sec - ev->start.tv_sec) * 1000000 +
           (now.tv_nsec - ev->start.tv_nsec) / 1000;
}

/* -1 with the error set when the evaluation has used up its time or memory. */
static int eval_check(const struct eval *ev)
{
    if (budget.exceeded)
        return error_set(ev->err, ERR_VALIDATION,
                         "evaluating the webhook needs more than %d KiB of memory",
                         DECLARATIVE_EVAL_BYTES_MAX / 1024);
    if (eval_elapsed_us(ev) > DECLARATIVE_EVAL_MS_MAX * 1000)
        return error_set(ev->err, ERR_VALIDATION, "evaluating the webhook takes longer than %d ms",
                         DECLARATIVE_EVAL_MS_MAX);
    return 0;
}

/* ---- JSON pointers (RFC 6901), bounded ---------------------------------------------------- */

/* Counts the steps of a pointer text, -1 when it is not one ("" is the whole document). */
int declarative_pointer_steps(const char *ptr)
{
    int steps = 0;
    if (*ptr && *ptr != '/')
        return -1;
    for (const char *p = ptr; *p; p++) {
        if (*p == '/')
            steps++;
        else if (*p == '~' && p[1] != '0' && p[1] != '1')
            return -1;
    }
    return steps;
}

/* The value at ptr in doc, or NULL. The pointer was checked by block_valid. */
static const json_t *pointer_get(const json_t *doc, const char *ptr)
{
    const json_t *cur = doc;
    const char *p = ptr;
    char token[DECLARATIVE_TOKEN_MAX + 1];
    while (cur && *p == '/') {
        size_t n = 0;
        for (p++; *p && *p != '/'; p++) {
            if (n == DECLARATIVE_TOKEN_MAX)
                return NULL;
            if (*p == '~') {
                p++;
                token[n++] = *p == '0' ? '~' : '/';
            } else {
                token[n++] = *p;
            }
        }
        token[n] = '\0';
        if (json_is_object(cur)) {
            cur = json_object_getn(cur, token, n);
        } else if (json_is_array(cur)) {
            if (n == 0 || n > 9 || (n > 1 && token[0] == '0'))
                return NULL;
            size_t index = 0;
            for (size_t i = 0; i < n; i++) {
                if (!isdigit((unsigned char)token[i]))
                    return NULL;
                index = index * 10 + (size_t)(token[i] - '0');
            }
            cur = json_array_get(cur, index);
        } else {
            return NULL;
        }
    }
    return json_is_null(cur) ? NULL : cur;
}

/* ---- templates ---------------------------------------------------------------------------- */

/* A template is literal text with placeholders in braces. The signed content knows {body},
 * {timestamp}, {url} and {header:Name}; a value template knows {/json/pointer}. */
enum placeholder { PH_LITERAL, PH_BODY, PH_TIMESTAMP, PH_URL, PH_HEADER, PH_POINTER };

struct segment {
    enum placeholder kind;
    const char *text; /* literal bytes, header name or pointer */
    size_t len;
};

/* Calls fn for each segment of tpl in order; stops at and returns fn's first non-zero. -1
 * with err when the template is malformed: an unclosed or unknown placeholder, a pointer
 * of more than DECLARATIVE_POINTER_STEPS_MAX steps. `values`: pointers allowed (value
 * template), else the signed content's placeholders. */
static int template_each(const char *tpl, bool values,
                         int (*fn)(void *ctx, const struct segment *seg), void *ctx,
                         struct error *err)
{
    const char *p = tpl;
    while (*p) {
        const char *open = strchr(p, '{');
        size_t lit = open ? (size_t)(open - p) : strlen(p);
        if (lit) {
            struct segment s = {PH_LITERAL, p, lit};
            int rc = fn(ctx, &s);
            if (rc)
                return rc;
        }
        if (!open)
            break;
        const char *close = strchr(open, '}');
        if (!close)
            return error_set(err, ERR_VALIDATION, "template has an unclosed '{'");
        const char *name = open + 1;
        size_t n = (size_t)(close - name);
        struct segment s = {PH_LITERAL, name, n};
        if (!values && n == 4 && !memcmp(name, "body", 4)) {
            s.kind = PH_BODY;
        } else if (!values && n == 9 && !memcmp(name, "timestamp", 9)) {
            s.kind = PH_TIMESTAMP;
        } else if (!values && n == 3 && !memcmp(name, "url", 3)) {
            s.kind = PH_URL;
        } else if (!values && n > 7 && !memcmp(name, "header:", 7)) {
            s = (struct segment){PH_HEADER, name + 7, n - 7};
        } else if (values && n > 0 && name[0] == '/') {
            int steps = 0;
            for (size_t i = 0; i < n; i++)
                steps += name[i] == '/';
            if (steps > DECLARATIVE_POINTER_STEPS_MAX)
                return error_set(err, ERR_VALIDATION,
                                 "a template's pointer has more than %d steps",
                                 DECLARATIVE_POINTER_STEPS_MAX);
            s.kind = PH_POINTER;
        } else {
            return error_set(err, ERR_VALIDATION, "template has an unknown placeholder {%.*s}",
                             (int)(n < 40 ? n : 40), name);
        }
        int rc = fn(ctx, &s);
        if (rc)
            return rc;
        p = close + 1;
    }
    return 0;
}

/* ---- the block's shape and bounds ----------------------------------------------------------- */

static const char *const signature_members[] = {
    "algorithm", "secretSetting", "secretEncoding", "secretPrefix", "header", "format",
    "prefix", "separator", "signatureKeys", "timestampKey", "timestampHeader", "timestampUnit",
    "encoding", "signedContent", "toleranceSeconds", "futureToleranceSeconds", NULL};

/* The payment fields a map may fill, and where each goes in struct payment. */
#define FIELD(n, m) {n, offsetof(struct payment, m), sizeof(((struct payment *)0)->m)}
const struct declarative_field declarative_text_fields[] = {
    FIELD("event", event),
    FIELD("eventId", event_id),
    FIELD("externalId", external_id),
    FIELD("refundedExternalId", refunded_external_id),
    FIELD("reference", invoice_number),
    FIELD("customerId", customer_id),
    FIELD("customerName", customer_name),
    FIELD("customerEmail", customer_email),
    FIELD("merchantId", merchant_id),
    FIELD("merchantName", merchant_name),
    FIELD("merchantEmail", merchant_email),
};
#undef FIELD
const size_t declarative_n_text_fields =
    sizeof declarative_text_fields / sizeof declarative_text_fields[0];
#define N_TEXT_FIELDS declarative_n_text_fields
static const char *const value_fields[] = {"amount", "amountLess", "currency", "date", NULL};

static bool one_of(const char *s, const char *const *list)
{
    for (size_t i = 0; s && list[i]; i++)
        if (!strcmp(s, list[i]))
            return true;
    return false;
}

int declarative_members(const json_t *obj, const char *what, const char *const *allowed,
                        const char *const *also, struct declarative_walk *c)
{
    const char *key;
    const json_t *v;
    if (!json_is_object(obj))
        return error_set(c->err, ERR_VALIDATION, "%s must be an object", what);
    json_object_foreach((json_t *)obj, key, v) {
        c->bytes += strlen(key);
        if (!one_of(key, allowed) && !(also && one_of(key, also)))
            return error_set(c->err, ERR_VALIDATION, "%s has an unknown member '%.*s'", what,
                             UTF8_CUT(40, key));
    }
    return 0;
}

/* A string member: absent is fine unless required; at most max bytes, at least 1. */
static const char *string_member(const json_t *obj, const char *name, const char *what,
                                 bool required, size_t max, struct declarative_walk *c, bool *bad)
{
    const json_t *v = json_object_get(obj, name);
    if (!v && !required)
        return NULL;
    size_t n = json_string_length(v);
    if (!json_is_string(v) || n == 0 || n > max || strlen(json_string_value(v)) != n) {
        *bad = true;
        error_set(c->err, ERR_VALIDATION, "%s.%s must be a text of 1 to %zu bytes", what, name,
                  max);
        return NULL;
    }
    c->bytes += n;
    return json_string_value(v);
}

static int enum_member(const json_t *obj, const char *name, const char *what, bool required,
                       const char *const *allowed, struct declarative_walk *c)
{
    bool bad = false;
    const char *s = string_member(obj, name, what, required, 32, c, &bad);
    if (bad)
        return -1;
    if (s && !one_of(s, allowed))
        return error_set(c->err, ERR_VALIDATION, "%s.%s '%.*s' is not one of the allowed values",
                         what, name, UTF8_CUT(32, s));
    return 0;
}

static int int_member(const json_t *obj, const char *name, const char *what, json_int_t min,
                      json_int_t max, struct declarative_walk *c)
{
    const json_t *v = json_object_get(obj, name);
    if (v && (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max))
        return error_set(c->err, ERR_VALIDATION, "%s.%s must be an integer from %lld to %lld",
                         what, name, (long long)min, (long long)max);
    return 0;
}

static int pointer_valid(const char *ptr, const char *what, struct declarative_walk *c)
{
    int steps = declarative_pointer_steps(ptr);
    if (steps < 0)
        return error_set(c->err, ERR_VALIDATION, "%s is not a JSON pointer", what);
    if (steps > DECLARATIVE_POINTER_STEPS_MAX)
        return error_set(c->err, ERR_VALIDATION, "%s has more than %d steps", what,
                         DECLARATIVE_POINTER_STEPS_MAX);
    for (const char *p = ptr; *p;) {
        const char *next = strchr(p + 1, '/');
        size_t n = next ? (size_t)(next - p - 1) : strlen(p + 1);
        if (n > DECLARATIVE_TOKEN_MAX)
            return error_set(c->err, ERR_VALIDATION, "%s has a step longer than %d bytes", what,
                             DECLARATIVE_TOKEN_MAX);
        p = next ? next : p + 1 + n;
    }
    c->bytes += strlen(ptr);
    return 0;
}

static int no_segment(void *ctx, const struct segment *seg)
{
    (void)ctx;
    (void)seg;
    return 0;
}

static int template_valid(const char *tpl, bool values, const char *what, struct declarative_walk *c)
{
    if (strlen(tpl) > DECLARATIVE_TEMPLATE_MAX)
        return error_set(c->err, ERR_VALIDATION, "%s is longer than %d bytes", what,
                         DECLARATIVE_TEMPLATE_MAX);
    c->bytes += strlen(tpl);
    struct error inner = {0};
    if (template_each(tpl, values, no_segment, NULL, &inner) < 0)
        return error_set(c->err, ERR_VALIDATION, "%s: %s", what, inner.message);
    return 0;
}

/* A value: "/pointer", ["/first", "/fallback", ...], {"template": "..{/p}.."} or
 * {"const": "text"}. */
static int value_valid(const json_t *v, const char *what, struct declarative_walk *c)
{
    if (json_is_string(v))
        return pointer_valid(json_string_value(v), what, c);
    if (json_is_array(v)) {
        size_t i;
        const json_t *item;
        if (json_array_size(v) == 0 || json_array_size(v) > DECLARATIVE_ALTERNATIVES_MAX)
            return error_set(c->err, ERR_VALIDATION, "%s must list 1 to %d pointers", what,
                             DECLARATIVE_ALTERNATIVES_MAX);
        json_array_foreach(v, i, item) {
            if (!json_is_string(item))
                return error_set(c->err, ERR_VALIDATION, "%s must list JSON pointers", what);
            if (pointer_valid(json_string_value(item), what, c) < 0)
                return -1;
        }
        return 0;
    }
    static const char *const forms[] = {"template", "const", NULL};
    bool bad = false;
    if (declarative_members(v, what, forms, NULL, c) < 0 || json_object_size(v) != 1)
        return error_set(c->err, ERR_VALIDATION,
                         "%s must be a pointer, a list of pointers, {\"template\"} or {\"const\"}",
                         what);
    const char *tpl = string_member(v, "template", what, false, DECLARATIVE_TEMPLATE_MAX, c, &bad);
    string_member(v, "const", what, false, 256, c, &bad);
    if (bad)
        return -1;
    return tpl ? template_valid(tpl, true, what, c) : 0;
}

static int map_valid(const json_t *map, const char *what, struct declarative_walk *c)
{
    static const char *const units[] = {"minor", "major", NULL};
    static const char *const formats[] = {"unix", "unix_ms", "rfc3339", NULL};
    static const char *const options[] = {"amountUnit", "dateFormat", "amountAbsolute", NULL};
    const char *key;
    const json_t *v;
    char where[96];
    if (!map)
        return 0;
    if (!json_is_object(map))
        return error_set(c->err, ERR_VALIDATION, "%s must be an object", what);
    json_object_foreach((json_t *)map, key, v) {
        bool known = one_of(key, value_fields) || one_of(key, options);
        for (size_t i = 0; !known && i < N_TEXT_FIELDS; i++)
            known = !strcmp(key, declarative_text_fields[i].name);
        if (!known)
            return error_set(c->err, ERR_VALIDATION, "%s has an unknown member '%.*s'", what,
                             UTF8_CUT(40, key));
        c->bytes += strlen(key);
    }
    if (enum_member(map, "amountUnit", what, false, units, c) < 0 ||
        enum_member(map, "dateFormat", what, false, formats, c) < 0)
        return -1;
    v = json_object_get(map, "amountAbsolute");
    if (v && !json_is_boolean(v))
        return error_set(c->err, ERR_VALIDATION, "%s.amountAbsolute must be true or false", what);
    json_object_foreach((json_t *)map, key, v) {
        if (one_of(key, options))
            continue;
        snprintf(where, sizeof where, "%s.%s", what, key);
        if (value_valid(v, where, c) < 0)
            return -1;
    }
    return 0;
}

static int where_valid(const json_t *where, const char *what, struct declarative_walk *c)
{
    const char *key;
    const json_t *v;
    if (!where)
        return 0;
    if (!json_is_object(where) || json_object_size(where) > DECLARATIVE_ALTERNATIVES_MAX)
        return error_set(c->err, ERR_VALIDATION, "%s.where must be an object of at most %d "
                         "conditions", what, DECLARATIVE_ALTERNATIVES_MAX);
    json_object_foreach((json_t *)where, key, v) {
        if (pointer_valid(key, what, c) < 0)
            return -1;
        if (json_is_null(v) || json_is_true(v))
            continue;
        size_t i;
        const json_t *item;
        if (!json_is_array(v) || json_array_size(v) == 0 ||
            json_array_size(v) > DECLARATIVE_ALTERNATIVES_MAX)
            return error_set(c->err, ERR_VALIDATION,
                             "%s.where: a condition is null (absent), true (present) or a list "
                             "of 1 to %d texts", what, DECLARATIVE_ALTERNATIVES_MAX);
        json_array_foreach(v, i, item) {
            if (!json_is_string(item) || json_string_length(item) > 256)
                return error_set(c->err, ERR_VALIDATION, "%s.where lists a value that is not a "
                                 "text of at most 256 bytes", what);
            c->bytes += json_string_length(item);
        }
    }
    return 0;
}

static int type_entry_valid(const json_t *entry, const char *what, struct declarative_walk *c)
{
    static const char *const members[] = {"kind", "where", "map", NULL};
    static const char *const kinds[] = {"settled", "failed", "refunded", NULL};
    char map_what[160];
    if (declarative_members(entry, what, members, NULL, c) < 0 ||
        enum_member(entry, "kind", what, true, kinds, c) < 0 ||
        where_valid(json_object_get(entry, "where"), what, c) < 0)
        return -1;
    snprintf(map_what, sizeof map_what, "%s.map", what);
    return map_valid(json_object_get(entry, "map"), map_what, c);
}

static int events_valid(const json_t *events, struct declarative_walk *c)
{
    static const char *const members[] = {"list", "type", "map", "types", NULL};
    const json_t *types = json_object_get(events, "types");
    const json_t *list = json_object_get(events, "list");
    const char *key;
    const json_t *v;
    char what[128];
    if (declarative_members(events, "webhook.events", members, NULL, c) < 0)
        return -1;
    if (list && (!json_is_string(list) ||
                 pointer_valid(json_string_value(list), "webhook.events.list", c) < 0))
        return error_set(c->err, ERR_VALIDATION, "webhook.events.list must be a JSON pointer "
                         "of at most %d steps", DECLARATIVE_POINTER_STEPS_MAX);
    if (!json_object_get(events, "type"))
        return error_set(c->err, ERR_VALIDATION, "webhook.events.type is required");
    if (value_valid(json_object_get(events, "type"), "webhook.events.type", c) < 0 ||
        map_valid(json_object_get(events, "map"), "webhook.events.map", c) < 0)
        return -1;
    if (!json_is_object(types) || json_object_size(types) == 0)
        return error_set(c->err, ERR_VALIDATION, "webhook.events.types must name at least one "
                         "event type");
    if (json_object_size(types) > DECLARATIVE_EVENT_TYPES_MAX)
        return error_set(c->err, ERR_VALIDATION, "webhook.events.types names more than %d event "
                         "types", DECLARATIVE_EVENT_TYPES_MAX);
    json_object_foreach((json_t *)types, key, v) {
        c->bytes += strlen(key);
        snprintf(what, sizeof what, "webhook.events.types[%.*s]", UTF8_CUT(64, key));
        if (json_is_array(v)) {
            size_t i;
            const json_t *alt;
            if (json_array_size(v) == 0 || json_array_size(v) > DECLARATIVE_ALTERNATIVES_MAX)
                return error_set(c->err, ERR_VALIDATION, "%s must list 1 to %d alternatives",
                                 what, DECLARATIVE_ALTERNATIVES_MAX);
            json_array_foreach(v, i, alt)
                if (type_entry_valid(alt, what, c) < 0)
                    return -1;
        } else if (type_entry_valid(v, what, c) < 0) {
            return -1;
        }
    }
    return 0;
}

bool declarative_header_name_ok(const char *s)
{
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_')
            return false;
    return true;
}

static int signature_valid(const json_t *sig, struct declarative_walk *c)
{
    static const char *const algorithms[] = {"sha256", "sha512", "sha1", NULL};
    static const char *const key_encodings[] = {"utf8", "hex", "base64", NULL};
    static const char *const formats[] = {"plain", "pairs", NULL};
    static const char *const encodings[] = {"hex", "hex_any_case", "base64", NULL};
    static const char *const units[] = {"s", "ms", NULL};
    const char *w = "webhook.signature";
    bool bad = false;
    if (declarative_members(sig, w, signature_members, NULL, c) < 0 ||
        enum_member(sig, "algorithm", w, true, algorithms, c) < 0 ||
        enum_member(sig, "secretEncoding", w, false, key_encodings, c) < 0 ||
        enum_member(sig, "format", w, true, formats, c) < 0 ||
        enum_member(sig, "encoding", w, true, encodings, c) < 0 ||
        enum_member(sig, "timestampUnit", w, false, units, c) < 0 ||
        int_member(sig, "toleranceSeconds", w, 1, 86400 * 7, c) < 0 ||
        int_member(sig, "futureToleranceSeconds", w, 0, 86400 * 7, c) < 0)
        return -1;
    const char *setting = string_member(sig, "secretSetting", w, true, 64, c, &bad);
    const char *header = string_member(sig, "header", w, true, 128, c, &bad);
    const char *ts_header = string_member(sig, "timestampHeader", w, false, 128, c, &bad);
    const char *ts_key = string_member(sig, "timestampKey", w, false, 64, c, &bad);
    const char *separator = string_member(sig, "separator", w, false, 1, c, &bad);
    const char *tpl = string_member(sig, "signedContent", w, true, DECLARATIVE_TEMPLATE_MAX + 1,
                                    c, &bad);
    string_member(sig, "prefix", w, false, 64, c, &bad);
    string_member(sig, "secretPrefix", w, false, 64, c, &bad);
    if (bad)
        return -1;
    if (!declarative_header_name_ok(setting) || !declarative_header_name_ok(header) ||
        (ts_header && !declarative_header_name_ok(ts_header)))
        return error_set(c->err, ERR_VALIDATION, "%s: setting and header names are letters, "
                         "digits, '-' and '_'", w);
    bool pairs = !strcmp(json_string_value(json_object_get(sig, "format")), "pairs");
    const json_t *keys = json_object_get(sig, "signatureKeys");
    if (pairs != (keys != NULL) || (pairs && !separator))
        return error_set(c->err, ERR_VALIDATION, "%s: format pairs takes a separator and "
                         "signatureKeys, format plain neither keys", w);
    if (keys) {
        size_t i;
        const json_t *k;
        if (!json_is_array(keys) || json_array_size(keys) == 0 || json_array_size(keys) > 8)
            return error_set(c->err, ERR_VALIDATION, "%s.signatureKeys must list 1 to 8 keys", w);
        json_array_foreach(keys, i, k)
            if (!json_is_string(k) || json_string_length(k) == 0 || json_string_length(k) > 64)
                return error_set(c->err, ERR_VALIDATION, "%s.signatureKeys must list keys of 1 "
                                 "to 64 bytes", w);
    }
    if (ts_key && !pairs)
        return error_set(c->err, ERR_VALIDATION, "%s.timestampKey needs format pairs", w);
    if (ts_key && ts_header)
        return error_set(c->err, ERR_VALIDATION, "%s: the timestamp comes from timestampKey or "
                         "timestampHeader, not both", w);
    if (template_valid(tpl, false, "webhook.signature.signedContent", c) < 0)
        return -1;
    bool needs_ts = strstr(tpl, "{timestamp}") || json_object_get(sig, "toleranceSeconds") ||
                    json_object_get(sig, "futureToleranceSeconds");
    if (needs_ts && !ts_key && !ts_header)
        return error_set(c->err, ERR_VALIDATION, "%s: {timestamp} and a tolerance need "
                         "timestampKey or timestampHeader", w);
    return 0;
}

static int answer_valid(const json_t *answer, struct declarative_walk *c)
{
    static const char *const members[] = {"body", "contentType", NULL};
    bool bad = false;
    if (!answer)
        return 0;
    if (declarative_members(answer, "webhook.answer", members, NULL, c) < 0)
        return -1;
    string_member(answer, "body", "webhook.answer", true, DECLARATIVE_TEMPLATE_MAX, c, &bad);
    string_member(answer, "contentType", "webhook.answer", true, 128, c, &bad);
    return bad ? -1 : 0;
}

int declarative_webhook_valid(const json_t *webhook, struct error *err)
{
    static const char *const members[] = {"signature", "events", "answer", NULL};
    struct declarative_walk c = {.err = err};
    if (declarative_members(webhook, "webhook", members, NULL, &c) < 0)
        return -1;
    if (!json_object_get(webhook, "signature") || !json_object_get(webhook, "events"))
        return error_set(err, ERR_VALIDATION, "webhook needs signature and events");
    if (signature_valid(json_object_get(webhook, "signature"), &c) < 0 ||
        events_valid(json_object_get(webhook, "events"), &c) < 0 ||
        answer_valid(json_object_get(webhook, "answer"), &c) < 0)
        return -1;
    if (c.bytes > DECLARATIVE_MANIFEST_MAX)
        return error_set(err, ERR_VALIDATION, "the webhook block holds more than %d KiB",
                         DECLARATIVE_MANIFEST_MAX / 1024);
    return 0;
}

/* ---- verify --------------------------------------------------------------------------------- */

/* What the signature header says: the candidate signatures and the timestamp text. */
struct received {
    const char *sig[DECLARATIVE_CANDIDATES_MAX];
    size_t sig_len[DECLARATIVE_CANDIDATES_MAX];
    size_t n_sig;
    const char *ts;
    size_t ts_len;
};

struct pairs_ctx {
    const json_t *sig;
    struct received *r;
};

static int collect_pair(void *ctx, const char *key, size_t key_len, const char *value,
                        size_t value_len)
{
    struct pairs_ctx *pc = ctx;
    const char *ts_key = str_of(pc->sig, "timestampKey");
    size_t i;
    const json_t *k;
    if (ts_key && strlen(ts_key) == key_len && !memcmp(ts_key, key, key_len)) {
        pc->r->ts = value;
        pc->r->ts_len = value_len;
        return 0;
    }
    json_array_foreach(json_object_get(pc->sig, "signatureKeys"), i, k) {
        if (json_string_length(k) == key_len && !memcmp(json_string_value(k), key, key_len) &&
            pc->r->n_sig < DECLARATIVE_CANDIDATES_MAX) {
            pc->r->sig[pc->r->n_sig] = value;
            pc->r->sig_len[pc->r->n_sig++] = value_len;
            break;
        }
    }
    return 0;
}

/* A plain header: the whole value, or several split at the separator; each must start
 * with the prefix, which is cut off (a candidate without it is not a signature). */
static void collect_plain(const json_t *sig, const char *header, struct received *r)
{
    const char *sep = str_of(sig, "separator");
    const char *prefix = str_of(sig, "prefix");
    size_t plen = prefix ? strlen(prefix) : 0;
    const char *p = header;
    while (r->n_sig < DECLARATIVE_CANDIDATES_MAX) {
        const char *end = sep ? strchr(p, sep[0]) : NULL;
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n >= plen && (!plen || !memcmp(p, prefix, plen)) && n > plen) {
            r->sig[r->n_sig] = p + plen;
            r->sig_len[r->n_sig++] = n - plen;
        }
        if (!end)
            break;
        p = end + 1;
    }
}

/* Reads the install's signing key: the secret setting, its prefix cut off, decoded. */
static int signing_key(const json_t *sig, const struct provider_install *inst,
                       unsigned char key[DECLARATIVE_KEY_MAX], size_t *key_len,
                       struct error *err)
{
    const char *setting = str_of(sig, "secretSetting");
    const char *prefix = str_of(sig, "secretPrefix");
    const char *encoding = str_of(sig, "secretEncoding");
    struct buf raw;
    int rc = -1;
    buf_init(&raw, 4096);
    if (inst->secret(inst, setting, &raw, err) < 0)
        goto out;
    const char *text = raw.data ? raw.data : "";
    size_t len = raw.len;
    if (prefix && len >= strlen(prefix) && !memcmp(text, prefix, strlen(prefix))) {
        text += strlen(prefix);
        len -= strlen(prefix);
    }
    long n = (long)len;
    if (encoding && !strcmp(encoding, "hex"))
        n = crypto_unhex(text, len, key, DECLARATIVE_KEY_MAX);
    else if (encoding && !strcmp(encoding, "base64"))
        n = crypto_b64_decode(text, len, key, DECLARATIVE_KEY_MAX);
    else if (len <= DECLARATIVE_KEY_MAX)
        memcpy(key, text, len);
    else
        n = -1;
    if (n < 0) {
        error_set(err, ERR_CONFIG, "the secret %s is not %s of at most %d bytes", setting,
                  encoding ? encoding : "utf8", DECLARATIVE_KEY_MAX);
        goto out;
    }
    *key_len = (size_t)n;
    rc = 0;
out:
    if (raw.data)
        memset(raw.data, 0, raw.len);
    buf_free(&raw);
    return rc;
}

struct signing {
    struct crypto_hmac *hmac;
    const struct webhook_request *req;
    const struct received *r;
    size_t hashed;
};

static int hash_bytes(struct signing *s, const void *data, size_t len)
{
    if (len > DECLARATIVE_SIGNED_MAX - s->hashed)
        return 1;
    s->hashed += len;
    return crypto_hmac_update(s->hmac, data, len) < 0 ? 2 : 0;
}

/* Hashes one segment of the signed content: 1 when it would pass DECLARATIVE_SIGNED_MAX,
 * 2 when hashing failed, 3 when a header or the URL named is not there. */
static int hash_segment(void *ctx, const struct segment *seg)
{
    struct signing *s = ctx;
    const char *v;
    char name[129];
    switch (seg->kind) {
    case PH_LITERAL:
        return hash_bytes(s, seg->text, seg->len);
    case PH_BODY:
        return hash_bytes(s, s->req->body, s->req->body_len);
    case PH_TIMESTAMP:
        return hash_bytes(s, s->r->ts, s->r->ts_len);
    case PH_URL:
        if (!s->req->url)
            return 3;
        return hash_bytes(s, s->req->url, strlen(s->req->url));
    case PH_HEADER:
        if (seg->len >= sizeof name)
            return 3;
        memcpy(name, seg->text, seg->len);
        name[seg->len] = '\0';
        v = s->req->header(s->req, name);
        if (!v)
            return 3;
        return hash_bytes(s, v, strlen(v));
    case PH_POINTER:
        break;
    }
    return 2;
}

static bool candidate_matches(const char *encoding, const unsigned char *mac, int mac_len,
                              const char *cand, size_t cand_len)
{
    unsigned char bytes[CRYPTO_HMAC_MAX_LEN + 3];
    char hex[2 * CRYPTO_HMAC_MAX_LEN + 1];
    long n;
    if (!strcmp(encoding, "hex")) {
        crypto_hex(mac, (size_t)mac_len, hex); /* lowercase, as the scheme sends it */
        return crypto_ct_equal(hex, 2 * (size_t)mac_len, cand, cand_len);
    }
    if (!strcmp(encoding, "hex_any_case"))
        n = cand_len == 2 * (size_t)mac_len
                ? crypto_unhex(cand, cand_len, bytes, sizeof bytes) : -1;
    else
        n = cand_len <= 4 * ((size_t)mac_len + 2) / 3 + 2
                ? crypto_b64_decode(cand, cand_len, bytes, sizeof bytes) : -1;
    return n == mac_len && crypto_ct_equal(bytes, (size_t)n, mac, (size_t)mac_len);
}

static enum verify_result invalid(struct error *err, const char *fmt, const char *arg)
{
    error_set(err, ERR_VALIDATION, fmt, arg);
    return VERIFY_INVALID;
}

/* Whether the timestamp is within the tolerance of now: true when no tolerance is set. */
static bool timestamp_fresh(const json_t *sig, int64_t ts, int64_t now_ms)
{
    const json_t *past = json_object_get(sig, "toleranceSeconds");
    const json_t *future = json_object_get(sig, "futureToleranceSeconds");
    bool ms = str_is(sig, "timestampUnit", "ms");
    /* seconds compare with now in whole seconds, as the providers' SDKs do */
    int64_t now = ms ? now_ms : now_ms / 1000, scale = ms ? 1000 : 1;
    if (past && now - ts > json_integer_value(past) * scale)
        return false;
    if (future && ts - now > json_integer_value(future) * scale)
        return false;
    return true;
}

enum verify_result declarative_verify(const json_t *webhook, const struct webhook_request *req,
                                      const struct provider_install *inst, struct error *err)
{
    const json_t *sig = json_object_get(webhook, "signature");
    struct received r = {0};
    unsigned char key[DECLARATIVE_KEY_MAX];
    size_t key_len = 0;
    struct eval ev;
    enum verify_result result = VERIFY_ERROR;
    struct signing s = {0};
    if (declarative_webhook_valid(webhook, err) < 0)
        return VERIFY_ERROR;
    eval_begin(&ev, err);
    const char *name = str_of(sig, "header");
    const char *header = req->header(req, name);
    const char *ts_header = str_of(sig, "timestampHeader");
    if (req->body_len > DECLARATIVE_BODY_MAX) {
        result = invalid(err, "the body is larger than %s", "1 MiB");
        goto out;
    }
    if (!header || !*header) {
        result = invalid(err, "missing %s header", name);
        goto out;
    }
    if (str_is(sig, "format", "pairs")) {
        struct pairs_ctx pc = {sig, &r};
        sig_params_each(header, str_of(sig, "separator")[0], collect_pair, &pc);
    } else {
        collect_plain(sig, header, &r);
    }
    if (ts_header) {
        r.ts = req->header(req, ts_header);
        r.ts_len = r.ts ? strlen(r.ts) : 0;
        if (!r.ts || !*r.ts) {
            result = invalid(err, "missing %s header", ts_header);
            goto out;
        }
    }
    bool needs_ts = str_of(sig, "timestampKey") || ts_header;
    int64_t ts = needs_ts ? sig_parse_uint(r.ts, r.ts_len) : 0;
    if (r.n_sig == 0 || ts < 0) {
        result = invalid(err, "the %s header lacks a signature or a timestamp", name);
        goto out;
    }
    if (signing_key(sig, inst, key, &key_len, err) < 0)
        goto out; /* VERIFY_ERROR: our configuration, not the request */
    static const enum crypto_hmac_alg algs[] = {CRYPTO_HMAC_SHA256, CRYPTO_HMAC_SHA512,
                                                CRYPTO_HMAC_SHA1};
    const char *alg = str_of(sig, "algorithm");
    s = (struct signing){.req = req, .r = &r};
    s.hmac = crypto_hmac_begin(algs[!strcmp(alg, "sha512") ? 1 : !strcmp(alg, "sha1") ? 2 : 0],
                               key, key_len);
    if (!s.hmac) {
        error_set(err, ERR_INTERNAL, "HMAC is not available");
        goto out;
    }
    /* The clock counts what the request makes us do, not the secret's decryption or the
     * crypto library's first-use setup. */
    eval_restart(&ev);
    int rc = template_each(str_of(sig, "signedContent"), false, hash_segment, &s, err);
    unsigned char mac[CRYPTO_HMAC_MAX_LEN];
    int mac_len = rc == 0 ? crypto_hmac_end(s.hmac, mac) : -1;
    if (rc != 0)
        crypto_hmac_free(s.hmac);
    if (rc == 1) {
        result = invalid(err, "the signed content is larger than %s", "1 MiB");
        goto out;
    }
    if (rc == 3) {
        result = invalid(err, "the signed content names %s the request does not have",
                         "a header or URL");
        goto out;
    }
    if (mac_len < 0) {
        error_set(err, ERR_INTERNAL, "HMAC failed");
        goto out;
    }
    if (eval_check(&ev) < 0)
        goto out;
    bool ok = false;
    for (size_t i = 0; i < r.n_sig; i++)
        ok |= candidate_matches(str_of(sig, "encoding"), mac, mac_len, r.sig[i], r.sig_len[i]);
    if (!ok) {
        result = invalid(err, "no signature in the %s header matches", name);
        goto out;
    }
    if (needs_ts && !timestamp_fresh(sig, ts, req->now_ms)) {
        result = invalid(err, "timestamp outside the tolerance (%s)", "replay?");
        goto out;
    }
    result = VERIFY_OK;
out:
    memset(key, 0, sizeof key);
    eval_end(&ev);
    return result;
}

/* ---- numbers as their text ------------------------------------------------------------- */

/* The length of the JSON number (RFC 8259's grammar) at s, with n bytes left; 0 when none
 * starts there. *real says whether it has a fraction or an exponent. */
static size_t number_len(const char *s, size_t n, bool *real)
{
    size_t i = 0, from;
    *real = false;
    if (i < n && s[i] == '-')
        i++;
    if (i < n && s[i] == '0')
        i++;
    else if (i < n && s[i] >= '1' && s[i] <= '9')
        while (i < n && isdigit((unsigned char)s[i]))
            i++;
    else
        return 0;
    if (i < n && s[i] == '.') {
        for (from = ++i; i < n && isdigit((unsigned char)s[i]);)
            i++;
        if (i == from)
            return 0;
        *real = true;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        for (from = i; i < n && isdigit((unsigned char)s[i]);)
            i++;
        if (i == from)
            return 0;
        *real = true;
    }
    return i;
}

/* Walks the body's tokens outside strings; calls fn on each number that has a fraction or
 * an exponent (a JSON "real"). Returns how many there are. */
static size_t each_real(const char *body, size_t len,
                        void (*fn)(void *ctx, size_t at, size_t n), void *ctx)
{
    size_t count = 0;
    for (size_t i = 0; i < len;) {
        bool real;
        size_t n;
        if (body[i] == '"') {
            for (i++; i < len && body[i] != '"'; i++)
                if (body[i] == '\\')
                    i++;
            i++;
        } else if ((n = number_len(body + i, len - i, &real)) > 0) {
            if (real) {
                count++;
                if (fn)
                    fn(ctx, i, n);
            }
            i += n;
        } else {
            i++;
        }
    }
    return count;
}

struct quoting {
    const char *body;
    char *out;
    size_t done, written;
};

static void quote_real(void *ctx, size_t at, size_t n)
{
    struct quoting *q = ctx;
    memcpy(q->out + q->written, q->body + q->done, at - q->done);
    q->written += at - q->done;
    q->out[q->written++] = '"';
    memcpy(q->out + q->written, q->body + at, n);
    q->written += n;
    q->out[q->written++] = '"';
    q->done = at + n;
}

/* jansson keeps a number as a double, which holds 12.30 as 12.2999...; an amount in major
 * units must be read as the provider wrote it. So every number with a fraction or an
 * exponent becomes a JSON string of its exact text before the body is parsed (integers
 * stay integers): a value of the same place in the grammar, so the body is exactly as valid
 * as it was. Returns the copy (counted against the evaluation's memory, as jansson's
 * allocations are; free with json's free function) and its length, or NULL with *copy_len 0 when the body has no such number,
 * or NULL with *copy_len 1 when the copy does not fit the memory bound. */
static char *numbers_as_text(const char *body, size_t len, size_t *copy_len)
{
    size_t reals = each_real(body, len, NULL, NULL);
    *copy_len = 0;
    if (reals == 0)
        return NULL;
    json_malloc_t alloc;
    json_free_t release;
    json_get_alloc_funcs(&alloc, &release); /* budget_malloc, as for the parsed JSON */
    struct quoting q = {.body = body, .out = alloc(len + 2 * reals + 1)};
    if (!q.out) {
        *copy_len = 1;
        return NULL;
    }
    each_real(body, len, quote_real, &q);
    memcpy(q.out + q.written, body + q.done, len - q.done);
    q.written += len - q.done;
    q.out[q.written] = '\0';
    *copy_len = q.written;
    return q.out;
}

/* ---- parse ---------------------------------------------------------------------------------- */

/* The spec of `field` for one type: the type's map wins over the events' common map. */
static const json_t *spec_of(const json_t *events, const json_t *entry, const char *field)
{
    const json_t *v = json_object_get(json_object_get(entry, "map"), field);
    return v ? v : json_object_get(json_object_get(events, "map"), field);
}

struct text_out {
    char *dst;
    size_t cap, len;
    const json_t *event;
    bool missing;
};

/* Appends text, cut on a UTF-8 boundary when the field is full. */
static void text_append(struct text_out *t, const char *s, size_t n)
{
    if (t->len + 1 >= t->cap)
        return;
    size_t room = t->cap - 1 - t->len;
    if (n > room) {
        char tmp[257];
        size_t m = room < sizeof tmp - 1 ? room : sizeof tmp - 1;
        memcpy(tmp, s, m);
        tmp[m] = '\0';
        n = utf8_cut(tmp, m);
    }
    memcpy(t->dst + t->len, s, n);
    t->len += n;
    t->dst[t->len] = '\0';
}

/* A scalar as text: strings as they are, integers in decimal; anything else is absent. */
static bool scalar_text(const json_t *v, char *tmp, size_t cap, const char **s, size_t *n)
{
    if (json_is_string(v)) {
        *s = json_string_value(v);
        *n = json_string_length(v);
        return true;
    }
    if (json_is_integer(v)) {
        *n = (size_t)snprintf(tmp, cap, "%lld", (long long)json_integer_value(v));
        *s = tmp;
        return true;
    }
    return false;
}

static int value_segment(void *ctx, const struct segment *seg)
{
    struct text_out *t = ctx;
    char ptr[DECLARATIVE_TEMPLATE_MAX + 1], tmp[24];
    const char *s;
    size_t n;
    if (seg->kind == PH_LITERAL) {
        text_append(t, seg->text, seg->len);
        return 0;
    }
    memcpy(ptr, seg->text, seg->len);
    ptr[seg->len] = '\0';
    if (!scalar_text(pointer_get(t->event, ptr), tmp, sizeof tmp, &s, &n)) {
        t->missing = true;
        return 0;
    }
    text_append(t, s, n);
    return 0;
}

/* Evaluates a value spec as text into dst (cap bytes): the first pointer that names a
 * string or integer, the template with every pointer present, or the constant. False (dst
 * "") when none applies. */
static bool text_value(const json_t *spec, const json_t *event, char *dst, size_t cap)
{
    struct text_out t = {dst, cap, 0, event, false};
    char tmp[24];
    const char *s;
    size_t n;
    dst[0] = '\0';
    if (!spec)
        return false;
    if (json_is_object(spec) && json_object_get(spec, "const")) {
        const json_t *c = json_object_get(spec, "const");
        text_append(&t, json_string_value(c), json_string_length(c));
        return true;
    }
    if (json_is_object(spec)) {
        struct error ignored = {0};
        template_each(str_of(spec, "template"), true, value_segment, &t, &ignored);
        if (t.missing)
            dst[0] = '\0';
        return !t.missing;
    }
    for (size_t i = 0; i < (json_is_array(spec) ? json_array_size(spec) : 1); i++) {
        const json_t *ptr = json_is_array(spec) ? json_array_get(spec, i) : spec;
        if (scalar_text(pointer_get(event, json_string_value(ptr)), tmp, sizeof tmp, &s, &n)) {
            text_append(&t, s, n);
            return true;
        }
    }
    return false;
}

/* The first JSON value a spec's pointers name (amounts and dates keep their JSON type). */
static const json_t *json_value(const json_t *spec, const json_t *event, size_t *from)
{
    if (!spec || json_is_object(spec))
        return NULL;
    for (size_t i = *from; i < (json_is_array(spec) ? json_array_size(spec) : 1); i++) {
        const json_t *ptr = json_is_array(spec) ? json_array_get(spec, i) : spec;
        const json_t *v = pointer_get(event, json_string_value(ptr));
        if (v) {
            *from = i + 1;
            return v;
        }
    }
    *from = SIZE_MAX;
    return NULL;
}

static bool where_holds(const json_t *entry, const json_t *event)
{
    const char *ptr;
    const json_t *want;
    json_object_foreach(json_object_get(entry, "where"), ptr, want) {
        const json_t *got = pointer_get(event, ptr);
        if (json_is_null(want) && got)
            return false;
        if (json_is_true(want) && !got)
            return false;
        if (json_is_array(want)) {
            bool any = false;
            size_t i;
            const json_t *w;
            json_array_foreach(want, i, w)
                any |= json_is_string(got) && json_equal(w, got);
            if (!any)
                return false;
        }
    }
    return true;
}

/* The type's entry whose conditions hold, or NULL (the event is ignored). */
static const json_t *entry_for(const json_t *events, const char *type, const json_t *event)
{
    const json_t *v = json_object_get(json_object_get(events, "types"), type);
    if (json_is_object(v))
        return where_holds(v, event) ? v : NULL;
    size_t i;
    const json_t *alt;
    json_array_foreach(v, i, alt)
        if (where_holds(alt, event))
            return alt;
    return NULL;
}

static int map_date(const json_t *events, const json_t *entry, const json_t *event,
                    struct payment *p)
{
    const json_t *spec = spec_of(events, entry, "date");
    const json_t *fmt = spec_of(events, entry, "dateFormat");
    const char *format = fmt ? json_string_value(fmt) : "rfc3339";
    size_t from = 0;
    char text[64];
    if (json_is_object(spec)) {
        text_value(spec, event, text, sizeof text);
        return sig_date_from_rfc3339(text, p->date);
    }
    for (const json_t *v; (v = json_value(spec, event, &from));) {
        int64_t n = json_is_integer(v) ? json_integer_value(v) : -1;
        if (!strcmp(format, "rfc3339") && json_is_string(v) &&
            sig_date_from_rfc3339(json_string_value(v), p->date) == 0)
            return 0;
        if (!strcmp(format, "unix") && sig_date_from_unix(n, p->date) == 0)
            return 0;
        if (!strcmp(format, "unix_ms") && n >= 0 && sig_date_from_unix(n / 1000, p->date) == 0)
            return 0;
    }
    return -1;
}

/* One amount in the payment's currency: integer minor units, or major units (a decimal
 * text or a JSON number) converted exactly with the currency's number of decimals. */
static int amount_of(const json_t *v, bool major, const char *currency, struct money *out,
                     struct error *err)
{
    if (!major && json_is_string(v)) {
        /* Minor units sent as a text of digits (Paddle's "1190"): no sign, no point. */
        const char *t = json_string_value(v);
        size_t n = json_string_length(v);
        if (n == 0 || n > 18 || strspn(t, "0123456789") != n)
            return error_set(err, ERR_VALIDATION, "amount must be a whole number of minor units");
        return money_from_minor(strtoll(t, NULL, 10), currency, out, err);
    }
    if (!major)
        return sig_amount(v, SIG_AMOUNT_MINOR, currency, out, err);
    /* A number with a fraction arrives as its text (numbers_as_text); an integer is one. */
    if (json_is_integer(v))
        return sig_amount(v, SIG_AMOUNT_MAJOR_NUMBER, currency, out, err);
    if (!json_is_string(v))
        return error_set(err, ERR_VALIDATION, "amount must be a decimal number");
    return sig_amount(v, SIG_AMOUNT_DECIMAL_STRING, currency, out, err);
}

static int map_amount(const json_t *events, const json_t *entry, const json_t *event,
                      struct payment *p, struct error *err)
{
    char currency[8];
    size_t from = 0, from_less = 0;
    const json_t *unit = spec_of(events, entry, "amountUnit");
    bool major = unit && !strcmp(json_string_value(unit), "major");
    const json_t *amount = json_value(spec_of(events, entry, "amount"), event, &from);
    const json_t *less_spec = spec_of(events, entry, "amountLess");
    const json_t *less = json_value(less_spec, event, &from_less);
    /* An amount or currency the event does not carry stays unset: provider_payments_check
     * refuses the payment then, as it does a built-in's. */
    if (!text_value(spec_of(events, entry, "currency"), event, currency, sizeof currency) ||
        !amount)
        return 0;
    if (amount_of(amount, major, currency, &p->amount, err) < 0)
        return -1;
    if (less) {
        struct money minus, result;
        if (amount_of(less, major, currency, &minus, err) < 0 ||
            money_negate(&minus, &minus, err) < 0 || money_add(&p->amount, &minus, &result, err) < 0)
            return -1;
        if (minus.minor > 0 || result.minor < 0)
            return error_set(err, ERR_VALIDATION, "event %s: amountLess is not between 0 and the "
                             "amount", p->event);
        p->amount = result;
    }
    const json_t *abs = spec_of(events, entry, "amountAbsolute");
    if (json_is_true(abs) && p->amount.minor < 0)
        return money_negate(&p->amount, &p->amount, err);
    return 0;
}

static int map_event(const json_t *events, const json_t *event, struct payment *p,
                     struct error *err)
{
    char type[128];
    static const char *const kinds[] = {"settled", "failed", "refunded"};
    static const enum payment_kind kind_of[] = {PAYMENT_SETTLED, PAYMENT_FAILED,
                                                PAYMENT_REFUNDED};
    if (!text_value(json_object_get(events, "type"), event, type, sizeof type))
        return error_set(err, ERR_VALIDATION, "an event has no type where webhook.events.type "
                         "says");
    const json_t *entry = entry_for(events, type, event);
    for (size_t i = 0; i < N_TEXT_FIELDS; i++)
        text_value(spec_of(events, entry, declarative_text_fields[i].name), event,
                   (char *)p + declarative_text_fields[i].offset, declarative_text_fields[i].cap);
    if (!p->event[0])
        sig_copy(p->event, sizeof p->event, type);
    map_date(events, entry, event, p);
    if (!entry) {
        /* Only what every event has; the rest of an unbooked event is not read. */
        p->kind = PAYMENT_IGNORED;
        p->external_id[0] = p->refunded_external_id[0] = p->invoice_number[0] = '\0';
        snprintf(p->detail, sizeof p->detail, "event %.*s is not booked; no action taken",
                 UTF8_CUT(64, type));
        return 0;
    }
    for (size_t i = 0; i < 3; i++)
        if (str_is(entry, "kind", kinds[i]))
            p->kind = kind_of[i];
    return map_amount(events, entry, event, p, err);
}

int declarative_parse(const json_t *webhook, const struct webhook_request *req,
                      struct payment_list *out, struct error *err)
{
    const json_t *events = json_object_get(webhook, "events");
    json_t *doc = NULL;
    struct eval ev;
    int rc = -1;
    if (declarative_webhook_valid(webhook, err) < 0)
        return -1;
    eval_begin(&ev, err);
    if (req->body_len > DECLARATIVE_BODY_MAX) {
        error_set(err, ERR_VALIDATION, "the body is larger than 1 MiB");
        goto out;
    }
    size_t text_len = 0;
    char *text = numbers_as_text(req->body, req->body_len, &text_len);
    if (!text && text_len == 1) {
        eval_check(&ev); /* out of the memory bound: it says so */
        goto out;
    }
    doc = text ? json_loadb(text, text_len, 0, NULL) : json_loadb(req->body, req->body_len, 0, NULL);
    if (text) {
        json_malloc_t alloc;
        json_free_t release;
        json_get_alloc_funcs(&alloc, &release);
        release(text);
    }
    if (eval_check(&ev) < 0)
        goto out;
    if (!doc) {
        error_set(err, ERR_VALIDATION, "the body is not JSON");
        goto out;
    }
    const char *list_ptr = str_of(events, "list");
    const json_t *list = list_ptr ? pointer_get(doc, list_ptr) : NULL;
    if (list_ptr && !json_is_array(list)) {
        error_set(err, ERR_VALIDATION, "the body has no list of events at %.*s",
                  UTF8_CUT(64, list_ptr));
        goto out;
    }
    size_t n = list ? json_array_size(list) : 1;
    if (n > DECLARATIVE_EVENTS_MAX) {
        error_set(err, ERR_VALIDATION, "the body holds more than %d events",
                  DECLARATIVE_EVENTS_MAX);
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        struct payment *p = payment_list_add(out);
        if (!p) {
            error_set(err, ERR_INTERNAL, "out of memory");
            goto out;
        }
        if (map_event(events, list ? json_array_get(list, i) : doc, p, err) < 0 ||
            eval_check(&ev) < 0)
            goto out;
    }
    rc = 0;
out:
    json_decref(doc);
    eval_end(&ev);
    return rc;
}

int declarative_provider_init(struct provider *out, const char *slug, const json_t *webhook,
                              struct error *err)
{
    if (declarative_webhook_valid(webhook, err) < 0)
        return -1;
    *out = (struct provider){.slug = slug, .webhook = webhook};
    out->ack_body = declarative_answer(webhook, &out->ack_content_type);
    return 0;
}

const char *declarative_answer(const json_t *webhook, const char **content_type)
{
    const json_t *answer = json_object_get(webhook, "answer");
    *content_type = str_of(answer, "contentType");
    return str_of(answer, "body");
}
