/* outbound/text.c - rendering helpers the destinations share: the one-line summary, title,
 * facts and text for people, UTF-8-safe truncation and escaping, times and dates, amounts
 * and properties for analytics tools, dedupe keys, config lookups, URLs, JSON bodies and
 * Basic auth. A helper lives here when two destinations need it; whatever only one service
 * wants stays in its file. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/money.h"
#include "crypto/crypto.h"
#include "core/clock.h"
#include "events/events.h"
#include "outbound/destination.h"

/* A party, customer or top customer (types.def's parts): name, else email. */
static const char *party_name(const json_t *party)
{
    struct event_data p;
    events_read(party, &p);
    const char *name = p.name;
    if (!name || !*name)
        name = p.email;
    return name && *name ? name : NULL;
}

const char *dest_event_party_role(const struct dest_event *ev)
{
    struct event_data party;
    events_read(ev->fields.party, &party);
    return party.role;
}

bool dest_event_is_test(const struct dest_event *ev)
{
    return ev->fields.test.set && ev->fields.test.value;
}

/* A payment.verified event says that a payment was genuine, not that it succeeded: its
 * outcome (settled, failed, refunded) is part of its data. */
static const char *verified_outcome(const struct dest_event *ev)
{
    if (strcmp(ev->type, "payment.verified") != 0)
        return NULL;
    const char *outcome = ev->fields.outcome;
    return outcome && (strcmp(outcome, "failed") == 0 || strcmp(outcome, "refunded") == 0)
               ? outcome
               : NULL;
}

/* A day's totals (types.def's part total): "99.00 EUR (1 payment), ...", or "no payments". */
static int totals_text(const json_t *totals, struct buf *out)
{
    if (json_array_size(totals) == 0)
        return buf_append_str(out, "no payments");
    for (size_t i = 0; i < json_array_size(totals); i++) {
        struct event_data day;
        events_read(json_array_get(totals, i), &day);
        long long count = (long long)day.count.value;
        if (buf_printf(out, "%s%s %s (%lld payment%s)", i ? ", " : "",
                       day.amount ? day.amount : "?", day.currency ? day.currency : "", count,
                       count == 1 ? "" : "s") < 0)
            return -1;
    }
    return 0;
}

int dest_event_summary(const struct dest_event *ev, struct buf *out)
{
    /* A "Send test" message must never pass for a real one. */
    if (dest_event_is_test(ev) && buf_append_str(out, "[Test] ") < 0)
        return -1;
    const char *amount = ev->fields.amount, *currency = ev->fields.currency;
    const char *provider = ev->fields.provider, *number = ev->fields.invoice_number;
    const json_t *party = ev->fields.party;
    const json_t *customer = ev->fields.customer;
    const char *who = party_name(party ? party : customer);
    bool revenue = strcmp(ev->fields.direction ? ev->fields.direction : "", "revenue") == 0;
    int rc = 0;
    if (strcmp(ev->type, "payment.settled") == 0 || strcmp(ev->type, "payment.verified") == 0 ||
        strcmp(ev->type, "payment.failed") == 0) {
        const char *outcome = verified_outcome(ev);
        const char *what = strcmp(ev->type, "payment.settled") == 0 ? "Payment settled"
                           : outcome && strcmp(outcome, "failed") == 0
                               ? "Payment failed (verified)"
                           : outcome                                  ? "Refund verified"
                           : strcmp(ev->type, "payment.verified") == 0 ? "Payment verified"
                                                                      : "Payment failed";
        rc = buf_printf(out, "%s: %s %s", what, amount ? amount : "?", currency ? currency : "");
        if (rc == 0 && who)
            rc = buf_printf(out, " %s %s", revenue || customer ? "from" : "to", who);
        if (rc == 0 && (provider || number))
            rc = buf_printf(out, " (%s%s%s)", provider ? provider : "",
                            provider && number ? ", " : "", number ? number : "");
        const char *reason = ev->fields.reason;
        if (rc == 0 && reason)
            rc = buf_printf(out, ": %s", reason);
    } else if (strcmp(ev->type, "customer.first_payment") == 0) {
        rc = buf_printf(out, "First payment from %s: %s %s", who ? who : "a new customer",
                        amount ? amount : "?", currency ? currency : "");
    } else if (strcmp(ev->type, "customer.milestone") == 0) {
        const char *threshold = ev->fields.threshold, *total = ev->fields.total;
        rc = buf_printf(out, "%s passed %s %s in payments (total %s %s)", who ? who : "A customer",
                        threshold ? threshold : "?", currency ? currency : "",
                        total ? total : "?", currency ? currency : "");
    } else if (strcmp(ev->type, "revenue.daily_summary") == 0) {
        const char *date = ev->fields.date;
        rc = buf_printf(out, "Daily revenue summary for %s:", date ? date : "yesterday");
        if (rc == 0)
            rc = buf_append_str(out, " ");
        if (rc == 0)
            rc = totals_text(ev->fields.totals, out);
    } else if (strcmp(ev->type, "destination.paused") == 0 ||
               strcmp(ev->type, "destination.disabled") == 0) {
        const char *name = ev->fields.name, *reason = ev->fields.reason;
        const char *until = ev->fields.until;
        rc = buf_printf(out, "Destination %s %s%s: %s", name ? name : "?",
                        until ? "paused until " : "turned off", until ? until : "",
                        reason ? reason : "no reason given");
    } else {
        rc = buf_printf(out, "Event %s", ev->type);
        const char *name = ev->fields.name;
        if (rc == 0 && name)
            rc = buf_printf(out, ": %s", name);
    }
    return rc;
}

int dest_text_truncate(const char *text, size_t max_bytes, struct buf *out)
{
    size_t len = strlen(text);
    if (len <= max_bytes)
        return buf_append(out, text, len);
    static const char ellipsis[] = "\xe2\x80\xa6";
    if (max_bytes < sizeof ellipsis - 1)
        return buf_append(out, "", 0);
    size_t cut = max_bytes - (sizeof ellipsis - 1);
    /* back up over UTF-8 continuation bytes so no character is split */
    while (cut > 0 && ((unsigned char)text[cut] & 0xc0) == 0x80)
        cut--;
    if (buf_append(out, text, cut) < 0)
        return -1;
    return buf_append(out, ellipsis, sizeof ellipsis - 1);
}

const char *dest_config_str(const struct dest_config *cfg, const char *key)
{
    const char *v = json_string_value(json_object_get(cfg->config, key));
    return v && *v ? v : NULL;
}

int dest_url(struct dest_request *out, const char *base, const char *path)
{
    size_t blen = strlen(base);
    while (blen && base[blen - 1] == '/')
        blen--;
    while (*path == '/')
        path++;
    buf_reset(&out->url);
    if (buf_append(&out->url, base, blen) < 0)
        return -1;
    if (*path && (buf_append(&out->url, "/", 1) < 0 || buf_append_str(&out->url, path) < 0))
        return -1;
    return 0;
}

/* ---- titles and facts for people -------------------------------------------------------- */

/* Each type's title is in events/types.def, with the same marked as a test (a "Send test"
 * message). The outcomes of payment.verified have their own: a failed payment was
 * verified, not paid. */
static const struct {
    const char *outcome;
    const char *title;
    const char *test_title;
} verified_titles[] = {
    {"failed", "Payment failed (verified)", "[Test] Payment failed (verified)"},
    {"refunded", "Refund verified", "[Test] Refund verified"},
};

const char *dest_event_title(const struct dest_event *ev)
{
    const char *outcome = verified_outcome(ev);
    bool test = dest_event_is_test(ev);
    for (size_t i = 0; outcome && i < sizeof verified_titles / sizeof verified_titles[0]; i++)
        if (strcmp(verified_titles[i].outcome, outcome) == 0)
            return test ? verified_titles[i].test_title : verified_titles[i].title;
    const struct event_type *t = events_type_find(ev->type);
    return !t ? ev->type : test ? t->test_title : t->title;
}

static bool type_is(const struct dest_event *ev, const char *type)
{
    return strcmp(ev->type, type) == 0;
}

static bool is_payment_event(const struct dest_event *ev)
{
    return type_is(ev, "payment.verified") || type_is(ev, "payment.settled") ||
           type_is(ev, "payment.failed");
}

/* The next value buffer, labelled; NULL when all DEST_FACTS_MAX are taken. */
static struct buf *fact_new(struct dest_facts *f, const char *label)
{
    if (f->n == DEST_FACTS_MAX)
        return NULL;
    f->label[f->n] = label;
    return &f->value[f->n++];
}

static int fact_str(struct dest_facts *f, const char *label, const char *value)
{
    if (!value || !*value)
        return 0;
    struct buf *b = fact_new(f, label);
    return b ? buf_append_str(b, value) : 0;
}

static int fact_money(struct dest_facts *f, const char *label, const char *amount,
                      const char *currency)
{
    if (!amount || !*amount)
        return 0;
    struct buf *b = fact_new(f, label);
    return b ? buf_printf(b, "%s %s", amount, currency ? currency : "") : 0;
}

/* name, else email, else id */
static const char *party_display(const json_t *party)
{
    const char *name = party_name(party);
    if (!name) {
        struct event_data p;
        events_read(party, &p);
        name = p.id;
    }
    return name && *name ? name : NULL;
}

static int facts_payment(const struct dest_event *ev, struct dest_facts *f)
{
    const json_t *party = ev->fields.party;
    const char *role = dest_event_party_role(ev);
    const char *direction = ev->fields.direction;
    const char *label;
    if (role)
        label = strcmp(role, "supplier") == 0 ? "Supplier" : "Customer";
    else
        label = direction && strcmp(direction, "expense") == 0 ? "Supplier" : "Customer";
    const char *invoice = ev->fields.invoice_number;
    if (fact_money(f, "Amount", ev->fields.amount, ev->fields.currency) < 0 ||
        fact_str(f, label, party_display(party)) < 0 ||
        fact_str(f, "Invoice", invoice ? invoice : ev->fields.invoice_id) < 0 ||
        fact_str(f, "Provider", ev->fields.provider) < 0 ||
        fact_str(f, "Reference", ev->fields.external_id) < 0 ||
        fact_str(f, "Outcome", verified_outcome(ev)) < 0 ||
        fact_str(f, "Reason", ev->fields.reason) < 0)
        return -1;
    return 0;
}

static int facts_daily_summary(const struct dest_event *ev, struct dest_facts *f)
{
    const char *date = ev->fields.date, *zone = ev->fields.time_zone;
    struct buf *b;
    if (date && (b = fact_new(f, "Date")) &&
        buf_printf(b, "%s%s%s%s", date, zone ? " (" : "", zone ? zone : "", zone ? ")" : "") < 0)
        return -1;
    const json_t *totals = ev->fields.totals;
    if ((b = fact_new(f, "Revenue")) && totals_text(totals, b) < 0)
        return -1;
    const json_t *top = ev->fields.top_customers;
    if (json_array_size(top) > 0 && (b = fact_new(f, "Top customers"))) {
        for (size_t i = 0; i < json_array_size(top) && i < 5; i++) {
            const json_t *c = json_array_get(top, i);
            const char *who = party_display(c);
            struct event_data top_customer;
            events_read(c, &top_customer);
            const char *amount = top_customer.amount, *currency = top_customer.currency;
            if (buf_printf(b, "%s%s (%s %s)", i ? ", " : "", who ? who : "?",
                           amount ? amount : "?", currency ? currency : "") < 0)
                return -1;
        }
    }
    return 0;
}

/* Types the platform does not describe: their scalar data members, as given. */
static int facts_generic(const struct dest_event *ev, struct dest_facts *f)
{
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)ev->data, key, value) {
        int rc = 0;
        struct buf *b;
        if (json_is_string(value))
            rc = fact_str(f, key, json_string_value(value));
        else if (json_is_integer(value) && (b = fact_new(f, key)))
            rc = buf_printf(b, "%lld", (long long)json_integer_value(value));
        else if (json_is_real(value) && (b = fact_new(f, key)))
            rc = buf_printf(b, "%.15g", json_real_value(value));
        else if (json_is_boolean(value))
            rc = fact_str(f, key, json_is_true(value) ? "yes" : "no");
        if (rc < 0)
            return -1;
    }
    return 0;
}

int dest_event_facts(const struct dest_event *ev, struct dest_facts *out)
{
    out->n = 0;
    for (size_t i = 0; i < DEST_FACTS_MAX; i++) {
        out->label[i] = NULL;
        buf_init(&out->value[i], 1 << 16);
    }
    const json_t *customer = ev->fields.customer;
    const char *currency = ev->fields.currency;
    if (is_payment_event(ev))
        return facts_payment(ev, out);
    if (type_is(ev, "customer.first_payment")) {
        const char *invoice = ev->fields.invoice_number;
        if (fact_str(out, "Customer", party_display(customer)) < 0 ||
            fact_money(out, "Amount", ev->fields.amount, currency) < 0 ||
            fact_str(out, "Invoice", invoice ? invoice : ev->fields.invoice_id) < 0 ||
            fact_str(out, "Provider", ev->fields.provider) < 0)
            return -1;
        return 0;
    }
    if (type_is(ev, "customer.milestone")) {
        if (fact_str(out, "Customer", party_display(customer)) < 0 ||
            fact_money(out, "Threshold", ev->fields.threshold, currency) < 0 ||
            fact_money(out, "Total", ev->fields.total, currency) < 0)
            return -1;
        return 0;
    }
    if (type_is(ev, "revenue.daily_summary"))
        return facts_daily_summary(ev, out);
    return facts_generic(ev, out);
}

void dest_facts_free(struct dest_facts *f)
{
    for (size_t i = 0; i < DEST_FACTS_MAX; i++)
        buf_free(&f->value[i]);
    f->n = 0;
}

int dest_event_text(const struct dest_event *ev, struct buf *out)
{
    struct dest_facts facts;
    char at[DEST_TIME_TEXT_MAX];
    int rc = -1;
    if (dest_event_facts(ev, &facts) < 0 || dest_event_summary(ev, out) < 0 ||
        buf_append_str(out, "\n\n") < 0)
        goto out;
    for (size_t i = 0; i < facts.n; i++)
        if (buf_printf(out, "%s: %s\n", facts.label[i],
                       facts.value[i].data ? facts.value[i].data : "") < 0)
            goto out;
    dest_event_time_text(ev, at);
    if ((*at && buf_printf(out, "At: %s\n", at) < 0) ||
        buf_printf(out, "\nEvent %s (%s)", ev->id, ev->type) < 0)
        goto out;
    rc = 0;
out:
    dest_facts_free(&facts);
    return rc;
}

/* ---- time -------------------------------------------------------------------------------- */

int dest_event_time_ms(const struct dest_event *ev, int64_t *out)
{
    return clock_parse_rfc3339(ev->created_at, out);
}

void dest_event_time_text(const struct dest_event *ev, char out[DEST_TIME_TEXT_MAX])
{
    int64_t ms;
    struct tm tm;
    out[0] = '\0';
    if (dest_event_time_ms(ev, &ms) < 0)
        return;
    time_t t = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
    if (!gmtime_r(&t, &tm) || strftime(out, DEST_TIME_TEXT_MAX, "%Y-%m-%d %H:%M UTC", &tm) == 0)
        out[0] = '\0';
}

int dest_event_date(const struct dest_event *ev, char out[DEST_DATE_LEN])
{
    const char *date = ev->fields.invoice_date;
    int64_t ms;
    struct tm tm;
    if (date && strlen(date) == DEST_DATE_LEN - 1) {
        char midnight[32];
        snprintf(midnight, sizeof midnight, "%sT00:00:00Z", date);
        if (clock_parse_rfc3339(midnight, &ms) == 0) {
            memcpy(out, date, DEST_DATE_LEN);
            return 0;
        }
    }
    if (dest_event_time_ms(ev, &ms) < 0)
        return -1;
    time_t t = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
    if (!gmtime_r(&t, &tm) || strftime(out, DEST_DATE_LEN, "%Y-%m-%d", &tm) == 0)
        return -1;
    return 0;
}

/* ---- analytics: who, how much, which properties ------------------------------------------ */

const char *dest_event_subject_id(const struct dest_event *ev)
{
    const json_t *holders[] = {ev->fields.party, ev->fields.customer};
    for (size_t i = 0; i < sizeof holders / sizeof holders[0]; i++) {
        struct event_data holder;
        events_read(holders[i], &holder);
        const char *id = holder.id;
        if (id && *id)
            return id;
    }
    return NULL;
}

json_t *dest_event_amount(const struct dest_event *ev)
{
    const char *currency = ev->fields.currency, *text = ev->fields.amount;
    const struct event_int *minor = &ev->fields.amount_minor;
    struct money m;
    struct error err;
    if (!currency)
        return NULL;
    if (minor->set) {
        if (money_from_minor((int64_t)minor->value, currency, &m, &err) < 0)
            return NULL;
    } else if (text) {
        if (money_parse_decimal(text, strlen(text), currency, &m, &err) < 0)
            return NULL;
    } else {
        return NULL;
    }
    /* the exact decimal text becomes a JSON number only at the very end */
    char decimal[MONEY_TEXT_MAX];
    money_format(&m, decimal);
    return json_loads(decimal, JSON_DECODE_ANY, NULL);
}

bool dest_event_is_revenue(const struct dest_event *ev)
{
    const char *direction = ev->fields.direction;
    return type_is(ev, "payment.settled") && !(direction && strcmp(direction, "expense") == 0);
}

json_t *dest_event_properties(const struct dest_event *ev)
{
    json_t *props = json_object();
    const char *key;
    json_t *value;
    if (!props)
        return NULL;
    json_object_foreach((json_t *)ev->data, key, value) {
        json_t *copy;
        /* the amount as a number instead of its minor units; no nested people */
        if (strcmp(key, events_field_name(EVENT_F_amount_minor)) == 0 ||
            ((value == ev->fields.party || value == ev->fields.customer) && json_is_object(value)))
            continue;
        copy = strcmp(key, events_field_name(EVENT_F_amount)) == 0 ? dest_event_amount(ev) : NULL;
        if (!copy)
            copy = json_deep_copy(value); /* never share: ev->data is read by other threads */
        if (!copy || json_object_set_new(props, key, copy) < 0) {
            json_decref(props);
            return NULL;
        }
    }
    return props;
}

/* ---- bytes on the wire ------------------------------------------------------------------ */

int dest_html_escape(const char *text, size_t len, struct buf *out)
{
    size_t run = 0;
    for (size_t i = 0; i < len; i++) {
        const char *entity = text[i] == '&'   ? "&amp;"
                             : text[i] == '<' ? "&lt;"
                             : text[i] == '>' ? "&gt;"
                             : text[i] == '"' ? "&quot;"
                                              : NULL;
        if (!entity)
            continue;
        if (buf_append(out, text + run, i - run) < 0 || buf_append_str(out, entity) < 0)
            return -1;
        run = i + 1;
    }
    return buf_append(out, text + run, len - run);
}

const char *dest_event_key(const struct dest_event *ev, size_t max,
                           char hashed[DEST_KEY_HASH_MAX])
{
    unsigned char digest[CRYPTO_SHA256_LEN];
    if (strlen(ev->id) <= max)
        return ev->id;
    crypto_sha256(ev->id, strlen(ev->id), digest);
    crypto_hex(digest, sizeof digest, hashed);
    hashed[max < DEST_KEY_HASH_MAX - 1 ? max : DEST_KEY_HASH_MAX - 1] = '\0';
    return hashed;
}

int dest_url_escape(const char *s, struct buf *out)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        bool safe = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_' || *p == '~';
        char enc[3] = {'%', hex[*p >> 4], hex[*p & 15]};
        if (buf_append(out, safe ? (const char *)p : enc, safe ? 1 : 3) < 0)
            return -1;
    }
    return 0;
}

int dest_basic_auth(struct dest_request *out, const char *user, const char *password)
{
    struct buf plain, value;
    int rc = -1;
    buf_init(&plain, 0);
    buf_init(&value, 0);
    if (buf_printf(&plain, "%s:%s", user, password) < 0)
        goto out;
    /* standard base64 with padding, from the base64url encoder */
    size_t room = 4 * ((plain.len + 2) / 3) + 1;
    char *b64 = malloc(room);
    if (!b64)
        goto out;
    size_t n = crypto_b64url(plain.data, plain.len, b64);
    for (size_t i = 0; i < n; i++)
        b64[i] = b64[i] == '-' ? '+' : b64[i] == '_' ? '/' : b64[i];
    while (n % 4)
        b64[n++] = '=';
    b64[n] = '\0';
    if (buf_printf(&value, "Basic %s", b64) == 0)
        rc = dest_request_header(out, "Authorization", value.data);
    free(b64);
out:
    buf_free(&plain);
    buf_free(&value);
    return rc;
}

int dest_json_body(struct dest_request *out, const json_t *body)
{
    char *json = json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(15));
    int rc = json && buf_append_str(&out->body, json) == 0 &&
                     dest_request_header(out, "Content-Type", "application/json") == 0
                 ? 0
                 : -1;
    free(json);
    return rc;
}

int dest_render_envelope(const struct dest_event *ev, const struct dest_config *cfg,
                         struct dest_request *out, struct error *err)
{
    const char *url = dest_config_str(cfg, "webhookUrl");
    if (!url)
        return error_set(err, ERR_VALIDATION, "webhookUrl is not set");
    if (!ev->envelope)
        return error_set(err, ERR_INTERNAL, "the event has no envelope");
    if (buf_append_str(&out->url, url) < 0 || buf_append_str(&out->body, ev->envelope) < 0 ||
        dest_request_header(out, "Content-Type", "application/json") < 0)
        return error_set(err, ERR_INTERNAL, "the request does not fit");
    return 0;
}
