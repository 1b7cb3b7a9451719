/* api/listing.h - private to api/: what the read APIs share. Query parameters (page size,
 * cursor, dates, one-of choices) are checked the same way everywhere and refused with 400
 * invalid_field naming the parameter; values from the store become JSON here.
 *
 * Every listing pages one way: ?limit= (1..100, default 50) and ?cursor=, newest first
 * (destinations oldest first, as they always were listed);
 * the answer is {"<things>": [...], "nextCursor": "..." | null} and, when another page
 * follows, the same cursor in the X-Next-Cursor header (seed 002's webhook log answers a
 * bare array, so the header is its only place). listing_collect_*() collects a page from the
 * store's rows and gives that answer. */
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

/* The one page collector. A handler's store callback turns its row into JSON and hands it
 * to listing_collect_add(), which keeps up to limit rows and notes that another followed
 * (the store is asked for limit + 1, see listing_store_page). Rows are objects with an
 * "id"; the last shown one is the next page's cursor. A row that could not be built (NULL:
 * out of memory) stops the store and fails the answer, never a page with a row missing.
 *
 *     static int add_invoice(void *ctx, const struct invoice *inv, enum party_role role)
 *     {
 *         return listing_collect_add(ctx, invoice_json(inv, role));
 *     }
 *     struct listing_collect c;
 *     if (listing_collect_init(&c, &page, err) < 0) return -1;
 *     if (store_invoice_list(..., add_invoice, &c, err) < 0) { listing_collect_free(&c); ... }
 *     return listing_collect_respond(&c, res, "invoices", err);
 */
struct listing_collect {
    json_t *list;
    int limit;   /* rows shown; 0: every row the store gives */
    bool more;   /* a row beyond limit came: another page follows */
    bool failed; /* a row could not be built */
};
/* page NULL collects every row. ERR_INTERNAL when out of memory. */
int listing_collect_init(struct listing_collect *c, const struct listing_page *page,
                         struct error *err);
/* Takes the reference to row. Returns what a store callback returns: 0 to go on, 1 to stop
 * (the page is full, or row is NULL). */
int listing_collect_add(struct listing_collect *c, json_t *row);
/* The collected rows for an answer that is not a page (new reference, the collector
 * emptied), or NULL with err set when a row failed. */
json_t *listing_collect_take(struct listing_collect *c, struct error *err);
/* Answers the page: {key: [...], "nextCursor": the cursor or null}, or the bare array when
 * key is NULL; the cursor (none on the last page) also as X-Next-Cursor. Releases the
 * collector, also on failure. */
int listing_collect_respond(struct listing_collect *c, struct http_response *res,
                            const char *key, struct error *err);
/* Releases what listing_collect_init() took, when the store failed. */
void listing_collect_free(struct listing_collect *c);

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
