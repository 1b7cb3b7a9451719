/* api/listing.c - the one page collector, and the query parameters and JSON values shared by
 * the read APIs (listing.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/listing.h"
#include "core/json.h"
#include "core/money.h"
#include "store/store.h"

#define ID_HEX_LEN 32 /* crypto_id_new: 16 bytes as lower-case hex after the prefix */

int listing_page_parse(const struct http_request *req, const char *id_prefix,
                       struct listing_page *out, struct error *err)
{
    out->limit = LISTING_LIMIT_DEFAULT;
    out->cursor = NULL;
    const char *text = http_request_query(req, "limit");
    if (text) {
        char *end = NULL;
        long limit = strtol(text, &end, 10);
        if (*text < '0' || *text > '9' || *end || limit < 1 || limit > LISTING_LIMIT_MAX)
            return error_set(err, ERR_INVALID_FIELD, "limit must be a number from 1 to %d",
                             LISTING_LIMIT_MAX);
        out->limit = (int)limit;
    }
    const char *cursor = http_request_query(req, "cursor");
    if (cursor) {
        size_t plen = strlen(id_prefix);
        bool ok = strncmp(cursor, id_prefix, plen) == 0 && strlen(cursor) == plen + ID_HEX_LEN;
        for (size_t i = plen; ok && cursor[i]; i++)
            ok = (cursor[i] >= '0' && cursor[i] <= '9') || (cursor[i] >= 'a' && cursor[i] <= 'f');
        if (!ok)
            return error_set(err, ERR_INVALID_FIELD,
                             "cursor must be the nextCursor of a previous page");
        out->cursor = cursor;
    }
    return 0;
}

struct store_page listing_store_page(const struct listing_page *page)
{
    return (struct store_page){.before = page->cursor, .limit = page->limit + 1};
}

/* Takes the reference to list, also on failure; next_cursor may point into list. */
static int listing_respond(struct http_response *res, const char *key, json_t *list,
                           const char *next_cursor, struct error *err)
{
    if (next_cursor && http_response_add_header(res, "X-Next-Cursor", next_cursor) < 0) {
        json_decref(list);
        return error_set(err, ERR_INTERNAL, "cannot add the X-Next-Cursor header");
    }
    if (!key)
        return http_respond_json(res, 200, list, err);
    return http_respond_json(res, 200,
                             json_pack("{s:o, s:o}", key, list, "nextCursor",
                                       next_cursor ? json_string(next_cursor) : json_null()),
                             err);
}

int listing_collect_init(struct listing_collect *c, const struct listing_page *page,
                         struct error *err)
{
    *c = (struct listing_collect){.list = json_array(), .limit = page ? page->limit : 0};
    if (!c->list)
        return error_set(err, ERR_INTERNAL, "out of memory");
    return 0;
}

int listing_collect_add(struct listing_collect *c, json_t *row)
{
    if (c->limit > 0 && json_array_size(c->list) == (size_t)c->limit) {
        json_decref(row);
        c->more = true;
        return 1;
    }
    if (json_array_append_new(c->list, row) < 0) { /* also when row is NULL */
        c->failed = true;
        return 1;
    }
    return 0;
}

json_t *listing_collect_take(struct listing_collect *c, struct error *err)
{
    json_t *list = c->list;
    c->list = NULL;
    if (c->failed) {
        json_decref(list);
        error_set(err, ERR_INTERNAL, "out of memory");
        return NULL;
    }
    return list;
}

int listing_collect_respond(struct listing_collect *c, struct http_response *res,
                            const char *key, struct error *err)
{
    json_t *list = listing_collect_take(c, err);
    if (!list)
        return -1;
    /* The cursor points into list, which listing_respond() holds until the answer is built. */
    const char *next = c->more ? json_string_value(json_object_get(
                                     json_array_get(list, json_array_size(list) - 1), "id"))
                               : NULL;
    return listing_respond(res, key, list, next, err);
}

void listing_collect_free(struct listing_collect *c)
{
    json_decref(c->list);
    c->list = NULL;
}

static bool is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* YYYY-MM-DD naming a day that exists. */
static bool valid_date(const char *s)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return false;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return false;
    int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
    if (m < 1 || m > 12 || d < 1)
        return false;
    return d <= days[m - 1] + (m == 2 && is_leap(y));
}

int listing_query_date(const struct http_request *req, const char *name, const char **out,
                       struct error *err)
{
    const char *text = http_request_query(req, name);
    *out = NULL;
    if (!text)
        return 0;
    if (!valid_date(text))
        return error_set(err, ERR_INVALID_FIELD, "%s must be a date as YYYY-MM-DD", name);
    *out = text;
    return 0;
}

int listing_query_range(const struct http_request *req, const char **from, const char **to,
                        struct error *err)
{
    if (listing_query_date(req, "from", from, err) < 0 ||
        listing_query_date(req, "to", to, err) < 0)
        return -1;
    if (*from && *to && strcmp(*from, *to) > 0)
        return error_set(err, ERR_INVALID_FIELD, "from must not be after to");
    return 0;
}

int listing_query_choice(const struct http_request *req, const char *name,
                         const char *const *choices, const char **out, struct error *err)
{
    const char *text = http_request_query(req, name);
    *out = NULL;
    if (!text)
        return 0;
    for (size_t i = 0; choices[i]; i++) {
        if (strcmp(text, choices[i]) == 0) {
            *out = choices[i];
            return 0;
        }
    }
    char list[256] = "";
    size_t len = 0;
    for (size_t i = 0; choices[i] && len < sizeof list; i++)
        len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", i ? ", " : "", choices[i]);
    return error_set(err, ERR_INVALID_FIELD, "%s must be one of: %s", name, list);
}

int listing_query_text(const struct http_request *req, const char *name, size_t max_len,
                       const char **out, struct error *err)
{
    const char *text = http_request_query(req, name);
    *out = NULL;
    if (!text)
        return 0;
    if (!*text || strlen(text) > max_len)
        return error_set(err, ERR_INVALID_FIELD, "%s must be 1 to %zu characters", name,
                         max_len);
    *out = text;
    return 0;
}

json_t *listing_json_text(const char *s)
{
    if (!s)
        return json_null();
    json_t *v = json_string(s);
    if (v)
        return v;
    /* Not UTF-8: let the one escaping routine repair it, then read it back. */
    struct buf b;
    buf_init(&b, 0);
    if (buf_append_str(&b, "\"") == 0 && json_escape_append(&b, s, strlen(s)) == 0 &&
        buf_append_str(&b, "\"") == 0)
        v = json_loadb(b.data, b.len, JSON_DECODE_ANY, NULL);
    buf_free(&b);
    return v;
}

json_t *listing_json_money(int64_t minor, const char *currency)
{
    struct money m = {.minor = minor};
    char text[MONEY_TEXT_MAX];
    snprintf(m.currency, sizeof m.currency, "%s", currency);
    money_format(&m, text);
    return json_string(text);
}
