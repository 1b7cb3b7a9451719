/* outbound/text.c - rendering helpers the destinations share: the one-line summary for
 * people, UTF-8-safe truncation, config lookups, URLs. */
#include <stdio.h>
#include <string.h>

#include "outbound/destination.h"

static const char *data_str(const struct dest_event *ev, const char *key)
{
    return json_string_value(json_object_get(ev->data, key));
}

static const char *party_name(const json_t *party)
{
    const char *name = json_string_value(json_object_get(party, "name"));
    if (!name || !*name)
        name = json_string_value(json_object_get(party, "email"));
    return name && *name ? name : NULL;
}

int dest_event_summary(const struct dest_event *ev, struct buf *out)
{
    const char *amount = data_str(ev, "amount"), *currency = data_str(ev, "currency");
    const char *provider = data_str(ev, "provider"), *number = data_str(ev, "invoiceNumber");
    const json_t *party = json_object_get(ev->data, "party");
    const json_t *customer = json_object_get(ev->data, "customer");
    const char *who = party_name(party ? party : customer);
    bool revenue = strcmp(data_str(ev, "direction") ? data_str(ev, "direction") : "", "revenue") == 0;
    int rc = 0;
    if (strcmp(ev->type, "payment.settled") == 0 || strcmp(ev->type, "payment.verified") == 0 ||
        strcmp(ev->type, "payment.failed") == 0) {
        const char *what = strcmp(ev->type, "payment.settled") == 0    ? "Payment settled"
                           : strcmp(ev->type, "payment.verified") == 0 ? "Payment verified"
                                                                      : "Payment failed";
        rc = buf_printf(out, "%s: %s %s", what, amount ? amount : "?", currency ? currency : "");
        if (rc == 0 && who)
            rc = buf_printf(out, " %s %s", revenue || customer ? "from" : "to", who);
        if (rc == 0 && (provider || number))
            rc = buf_printf(out, " (%s%s%s)", provider ? provider : "",
                            provider && number ? ", " : "", number ? number : "");
        const char *reason = data_str(ev, "reason");
        if (rc == 0 && reason)
            rc = buf_printf(out, ": %s", reason);
    } else if (strcmp(ev->type, "customer.first_payment") == 0) {
        rc = buf_printf(out, "First payment from %s: %s %s", who ? who : "a new customer",
                        amount ? amount : "?", currency ? currency : "");
    } else if (strcmp(ev->type, "customer.milestone") == 0) {
        const char *threshold = data_str(ev, "threshold"), *total = data_str(ev, "total");
        rc = buf_printf(out, "%s passed %s %s in payments (total %s %s)", who ? who : "A customer",
                        threshold ? threshold : "?", currency ? currency : "",
                        total ? total : "?", currency ? currency : "");
    } else if (strcmp(ev->type, "revenue.daily_summary") == 0) {
        const char *date = data_str(ev, "date");
        rc = buf_printf(out, "Daily revenue summary for %s:", date ? date : "yesterday");
        size_t i;
        json_t *t;
        json_t *totals = json_object_get(ev->data, "totals");
        if (json_array_size(totals) == 0 && rc == 0)
            rc = buf_append_str(out, " no payments");
        json_array_foreach(totals, i, t) {
            if (rc == 0)
                rc = buf_printf(out, "%s %s %s (%lld payments)", i ? "," : "",
                                json_string_value(json_object_get(t, "amount")),
                                json_string_value(json_object_get(t, "currency")),
                                (long long)json_integer_value(json_object_get(t, "count")));
        }
    } else {
        rc = buf_printf(out, "Event %s", ev->type);
        const char *name = data_str(ev, "name");
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
