/* api/listing.h - private to api/: what the read APIs share. Query parameters (page size,
 * cursor, dates, one-of choices) are checked the same way everywhere and refused with 400
 * invalid_field naming the parameter; values from the store become JSON here.
 *
 * Every listing pages one way: ?limit= (1..100, default 50) and ?cursor=, newest first
 * (destinations oldest first, as they always were listed);
 * the answer is {"<things>": [...], "nextCursor": "..." | null} and, when another page
 * follows, the same cursor in the X-Next-Cursor header (seed 002's webhook log answers a
 * bare array, so the header is its only place). listing_respond() is that answer. */
#ifndef CONNECTORD_API_LISTING_H
#define CONNECTORD_API_LISTING_H

#include "api/api.h"
#include "store/store.h"

#define LISTING_LIMIT_DEFAULT 50
#define LISTING_LIMIT_MAX 100

/* A page request: ?limit= (1..LISTING_LIMIT_MAX, default LISTING_LIMIT_DEFAULT) and
 * ?cursor=, which must look like an id with id_prefix ("inv_"), as the previous page's
 * nextCursor does. The store is asked for limit + 1 rows so the handler knows whether
 * another page follows. cursor points into the request. */
struct listing_page {
    int limit;
    const char *cursor; /* or NULL */
};
int listing_page_parse(const struct http_request *req, const char *id_prefix,
                       struct listing_page *out, struct error *err);
/* The store's view of it: one row more than the page shows. */
struct store_page listing_store_page(const struct listing_page *page);

/* For handlers that read limit + 1 rows into list (objects with an "id"): drops the extra
 * row and returns the last shown row's id, the next page's cursor (pointing into list), or
 * NULL when this is the last page. */
const char *listing_page_end(json_t *list, int limit);
/* Answers one page: {key: list, "nextCursor": next_cursor or null}, or the bare list when
 * key is NULL; a next_cursor (NULL on the last page) is also sent as X-Next-Cursor. Takes
 * the reference to list, also on failure. */
int listing_respond(struct http_response *res, const char *key, json_t *list,
                    const char *next_cursor, struct error *err);

/* ?name=YYYY-MM-DD (a real calendar date) or absent (*out NULL). */
int listing_query_date(const struct http_request *req, const char *name, const char **out,
                       struct error *err);
/* ?from= and ?to= as above; from after to is refused too. */
int listing_query_range(const struct http_request *req, const char **from, const char **to,
                        struct error *err);
/* ?name= one of choices (NULL-terminated) or absent (*out NULL). */
int listing_query_choice(const struct http_request *req, const char *name,
                         const char *const *choices, const char **out, struct error *err);
/* ?name= a non-empty value of at most max_len bytes, or absent (*out NULL). */
int listing_query_text(const struct http_request *req, const char *name, size_t max_len,
                       const char **out, struct error *err);

/* A JSON string for text from the store (JSON null for NULL); bytes that are not UTF-8
 * become U+FFFD rather than losing the member. New reference, NULL when out of memory. */
json_t *listing_json_text(const char *s);
/* Minor units as a decimal string in the currency's decimals: "99.00". */
json_t *listing_json_money(int64_t minor, const char *currency);

#endif
