/* sync/google.c - Google Workspace read by code: the calendar's upcoming events and recent
 * mail with an invoice-like attachment for the dashboard, and the scheduled import of
 * Gmail attachments into the document store (a built-in sync source).
 *
 * Every call carries the install's bearer token from oauth/ (refreshed as it expires; a 401
 * forgets it and the call is made once more with a new one). Google's APIs live on two
 * hosts (www.googleapis.com for Calendar v3, gmail.googleapis.com for Gmail v1); the
 * install's oauthBaseUrl setting, when set, replaces both, with the same paths, so a test
 * server or a proxy serves OAuth and the APIs alike. Lists follow nextPageToken up to a
 * bound. The import's cursor is Gmail's historyId: the first run lists the last 30 days'
 * messages with attachments and keeps the mailbox's current historyId; later runs read the
 * history of added messages since the cursor (a cursor Gmail no longer has, 404, starts
 * over from the list). Each attachment whose name or type says PDF, XML, PNG or JPEG goes
 * into the document store, where its SHA-256 makes a second import of it a no-op. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/log.h"
#include "crypto/crypto.h"
#include "documents/documents.h"
#include "httpc/httpc.h"
#include "oauth/oauth.h"
#include "store/installs.h"
#include "sync/sync.h"

#define GOOGLE_SLUG "google-workspace"
#define CALENDAR_BASE "https://www.googleapis.com"
#define GMAIL_BASE "https://gmail.googleapis.com"
#define BASE_SETTING "oauthBaseUrl"
#define PAGE_MAX 5            /* pages followed for one list */
#define IMPORT_MESSAGES_MAX 200 /* messages one run looks at */
#define RESPONSE_MAX (16u << 20) /* an attachment of DOCUMENT_MAX_BYTES, base64url, fits */
#define MAIL_QUERY "has:attachment (filename:pdf OR filename:xml) newer_than:30d"
#define IMPORT_QUERY "has:attachment newer_than:30d"

/* One tenant's Google install and a bearer token for it. */
struct google {
    const struct sync_env *env;
    struct install in;
    char base_override[512]; /* "" when the defaults apply */
    char token[OAUTH_TOKEN_MAX];
};

static int google_open(const struct sync_env *env, const char *tenant_id, struct google *g,
                       struct error *err)
{
    memset(g, 0, sizeof *g);
    g->env = env;
    if (store_install_get_slug(env->store, tenant_id, GOOGLE_SLUG, &g->in, err) < 0) {
        if (err->code == ERR_NOT_FOUND)
            error_set(err, ERR_NOT_INSTALLED, "Google Workspace is not installed");
        return -1;
    }
    json_t *config = json_loads(g->in.config ? g->in.config : "{}", 0, NULL);
    const char *base = json_string_value(json_object_get(config, BASE_SETTING));
    if (base && strlen(base) < sizeof g->base_override)
        snprintf(g->base_override, sizeof g->base_override, "%s", base);
    json_decref(config);
    return oauth_access_token(env->store, env->master_key, tenant_id, g->in.id, g->token,
                              sizeof g->token, err);
}

static void google_close(struct google *g)
{
    memset(g->token, 0, sizeof g->token);
    store_install_clear(&g->in);
}

/* GET base + path_and_query as JSON (new reference in *out). 401: the token is forgotten
 * and the call made once more; 404 is ERR_NOT_FOUND; other non-2xx ERR_SERVICE_FAILED. */
static int google_get(struct google *g, const char *default_base, const char *path_and_query,
                      json_t **out, struct error *err)
{
    const char *base = g->base_override[0] ? g->base_override : default_base;
    size_t n = strlen(base);
    while (n > 0 && base[n - 1] == '/')
        n--;
    struct buf url;
    buf_init(&url, 8192);
    if (buf_printf(&url, "%.*s%s", (int)n, base, path_and_query) < 0) {
        buf_free(&url);
        return error_set(err, ERR_VALIDATION, "the Google request is too long");
    }
    int rc = -1;
    *out = NULL;
    for (int attempt = 0; attempt < 2; attempt++) {
        char auth[OAUTH_TOKEN_MAX + 16];
        snprintf(auth, sizeof auth, "Bearer %s", g->token);
        struct httpc_header headers[] = {{"Authorization", auth}, {"Accept", "application/json"}};
        struct httpc_request req = {.method = "GET", .url = url.data, .headers = headers,
                                    .n_headers = 2, .timeout_ms = 20000,
                                    .max_response = RESPONSE_MAX,
                                    .refuse_private = !g->env->allow_private};
        struct httpc_response resp = {0};
        int hr = httpc_perform(&req, &resp, err);
        memset(auth, 0, sizeof auth);
        if (hr == 0 && resp.status == 401 && attempt == 0) {
            httpc_response_free(&resp);
            if (oauth_invalidate(g->env->store, g->in.tenant_id, g->in.id, err) < 0 ||
                oauth_access_token(g->env->store, g->env->master_key, g->in.tenant_id,
                                   g->in.id, g->token, sizeof g->token, err) < 0)
                break;
            continue;
        }
        if (hr == 0) {
            if (resp.status / 100 == 2) {
                json_error_t jerr;
                *out = json_loadb(resp.body.data ? resp.body.data : "", resp.body.len, 0, &jerr);
                rc = json_is_object(*out) ? 0
                                          : error_set(err, ERR_SERVICE_FAILED,
                                                      "Google answered something that is not "
                                                      "a JSON object");
            } else if (resp.status == 404) {
                error_set(err, ERR_NOT_FOUND, "Google answered 404");
            } else {
                error_set(err, resp.status == 401 || resp.status == 403 ? ERR_SERVICE_REFUSED
                                                                         : ERR_SERVICE_FAILED,
                          "Google answered %ld", resp.status);
            }
        }
        httpc_response_free(&resp);
        break;
    }
    if (rc < 0) {
        json_decref(*out);
        *out = NULL;
    }
    buf_free(&url);
    return rc;
}

/* Appends "&name=" + value percent-encoded. */
static int query_add(struct buf *q, const char *name, const char *value)
{
    static const char hex[] = "0123456789ABCDEF";
    if (buf_printf(q, "%s%s=", strchr(q->data ? q->data : "", '?') ? "&" : "?", name) < 0)
        return -1;
    for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
        bool plain = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
                     (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_' || *p == '~';
        char enc[3] = {'%', hex[*p >> 4], hex[*p & 15]};
        if ((plain ? buf_append(q, p, 1) : buf_append(q, enc, 3)) < 0)
            return -1;
    }
    return 0;
}

static json_t *text_or_null(const char *s)
{
    return s && *s ? json_string(s) : json_null();
}

/* ---- the calendar ---------------------------------------------------------------------- */

static json_t *event_json(const json_t *item)
{
    const json_t *start = json_object_get(item, "start"), *end = json_object_get(item, "end");
    const char *start_at = json_string_value(json_object_get(start, "dateTime"));
    const char *start_day = json_string_value(json_object_get(start, "date"));
    const char *end_at = json_string_value(json_object_get(end, "dateTime"));
    const char *end_day = json_string_value(json_object_get(end, "date"));
    return json_pack("{s:o, s:o, s:o, s:o, s:o, s:b, s:o}",
                     "id", text_or_null(json_string_value(json_object_get(item, "id"))),
                     "summary", text_or_null(json_string_value(json_object_get(item, "summary"))),
                     "location", text_or_null(json_string_value(json_object_get(item, "location"))),
                     "start", text_or_null(start_at ? start_at : start_day),
                     "end", text_or_null(end_at ? end_at : end_day), "allDay", !start_at && start_day,
                     "link", text_or_null(json_string_value(json_object_get(item, "htmlLink"))));
}

int sync_google_calendar(const struct sync_env *env, const char *tenant_id, int days,
                         json_t **events_out, struct error *err)
{
    struct google g;
    json_t *events = json_array();
    char page_token[512] = "", from[CLOCK_RFC3339_LEN], to[CLOCK_RFC3339_LEN];
    int rc = -1;
    *events_out = NULL;
    if (google_open(env, tenant_id, &g, err) < 0)
        goto out;
    int64_t now = clock_now_ms();
    clock_format_rfc3339(now, from);
    clock_format_rfc3339(now + (int64_t)days * 86400000, to);
    for (int page = 0; page < PAGE_MAX; page++) {
        struct buf q;
        json_t *body = NULL;
        buf_init(&q, 4096);
        int qr = buf_append_str(&q, "/calendar/v3/calendars/primary/events") | query_add(&q, "timeMin", from) |
                 query_add(&q, "timeMax", to) | query_add(&q, "singleEvents", "true") |
                 query_add(&q, "orderBy", "startTime") | query_add(&q, "maxResults", "50");
        if (page_token[0])
            qr |= query_add(&q, "pageToken", page_token);
        int gr = qr < 0 ? error_set(err, ERR_INTERNAL, "out of memory")
                        : google_get(&g, CALENDAR_BASE, q.data, &body, err);
        buf_free(&q);
        if (gr < 0)
            goto out;
        size_t i;
        json_t *item;
        json_array_foreach(json_object_get(body, "items"), i, item) {
            const char *status = json_string_value(json_object_get(item, "status"));
            if (json_is_object(item) && !(status && strcmp(status, "cancelled") == 0))
                json_array_append_new(events, event_json(item));
        }
        const char *next = json_string_value(json_object_get(body, "nextPageToken"));
        snprintf(page_token, sizeof page_token, "%s", next && strlen(next) < 500 ? next : "");
        json_decref(body);
        if (!page_token[0])
            break;
    }
    *events_out = events;
    events = NULL;
    rc = 0;
out:
    json_decref(events);
    google_close(&g);
    return rc;
}

/* ---- mail ------------------------------------------------------------------------------ */

static const char *header_of(const json_t *payload, const char *name)
{
    size_t i;
    json_t *h;
    json_array_foreach(json_object_get(payload, "headers"), i, h) {
        const char *n = json_string_value(json_object_get(h, "name"));
        if (n && strcasecmp(n, name) == 0)
            return json_string_value(json_object_get(h, "value"));
    }
    return NULL;
}

/* Whether an attachment's name or type is one the document store takes. */
static bool document_like(const char *filename, const char *mime)
{
    static const char *const exts[] = {".pdf", ".xml", ".png", ".jpg", ".jpeg"};
    static const char *const mimes[] = {"application/pdf", "application/xml", "text/xml",
                                        "image/png", "image/jpeg"};
    size_t n = filename ? strlen(filename) : 0;
    for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++)
        if (n > strlen(exts[i]) && strcasecmp(filename + n - strlen(exts[i]), exts[i]) == 0)
            return true;
    for (size_t i = 0; mime && i < sizeof mimes / sizeof mimes[0]; i++)
        if (strcasecmp(mime, mimes[i]) == 0)
            return true;
    return false;
}

/* Calls fn for each attachment part of a message payload (depth-first, bounded depth). */
static int each_attachment(const json_t *part, int depth,
                           int (*fn)(void *ctx, const json_t *part), void *ctx)
{
    if (depth > 8 || !json_is_object(part))
        return 0;
    const json_t *body = json_object_get(part, "body");
    const char *filename = json_string_value(json_object_get(part, "filename"));
    if (filename && *filename && json_string_value(json_object_get(body, "attachmentId")) &&
        document_like(filename, json_string_value(json_object_get(part, "mimeType"))) &&
        fn(ctx, part) != 0)
        return 1;
    size_t i;
    json_t *child;
    json_array_foreach(json_object_get(part, "parts"), i, child) {
        if (each_attachment(child, depth + 1, fn, ctx) != 0)
            return 1;
    }
    return 0;
}

static int add_name(void *ctx, const json_t *part)
{
    json_array_append_new(ctx, json_string(json_string_value(json_object_get(part, "filename"))));
    return 0;
}

static int message_get(struct google *g, const char *id, const char *format, json_t **out,
                       struct error *err)
{
    /* the id goes into the path: Gmail's ids are hex, anything else is refused */
    if (!*id || strlen(id) > 64 || strspn(id, "0123456789abcdefABCDEF") != strlen(id))
        return error_set(err, ERR_SERVICE_FAILED, "Gmail named a message id that is not one");
    char path[160];
    snprintf(path, sizeof path, "/gmail/v1/users/me/messages/%s?format=%s", id, format);
    return google_get(g, GMAIL_BASE, path, out, err);
}

/* Lists message ids matching query (following pages, at most max), calling fn per id. */
static int messages_list(struct google *g, const char *query, size_t max,
                         int (*fn)(void *ctx, const char *id), void *ctx, struct error *err)
{
    char page_token[512] = "";
    size_t seen = 0;
    for (int page = 0; page < PAGE_MAX && seen < max; page++) {
        struct buf q;
        json_t *body = NULL;
        buf_init(&q, 4096);
        int qr = buf_append_str(&q, "/gmail/v1/users/me/messages") | query_add(&q, "q", query) |
                 query_add(&q, "maxResults", "20");
        if (page_token[0])
            qr |= query_add(&q, "pageToken", page_token);
        int gr = qr < 0 ? error_set(err, ERR_INTERNAL, "out of memory")
                        : google_get(g, GMAIL_BASE, q.data, &body, err);
        buf_free(&q);
        if (gr < 0)
            return -1;
        size_t i;
        json_t *m;
        json_array_foreach(json_object_get(body, "messages"), i, m) {
            const char *id = json_string_value(json_object_get(m, "id"));
            if (id && seen++ < max && fn(ctx, id) < 0) {
                json_decref(body);
                return -1;
            }
        }
        const char *next = json_string_value(json_object_get(body, "nextPageToken"));
        snprintf(page_token, sizeof page_token, "%s", next && strlen(next) < 500 ? next : "");
        json_decref(body);
        if (!page_token[0])
            break;
    }
    return 0;
}

struct mail_walk {
    struct google *g;
    json_t *messages;
    struct error *err;
};

static int add_message(void *ctx, const char *id)
{
    struct mail_walk *w = ctx;
    json_t *msg = NULL;
    if (message_get(w->g, id, "full", &msg, w->err) < 0)
        return -1;
    const json_t *payload = json_object_get(msg, "payload");
    json_t *names = json_array();
    each_attachment(payload, 0, add_name, names);
    if (json_array_size(names) > 0) {
        const char *internal = json_string_value(json_object_get(msg, "internalDate"));
        char at[CLOCK_RFC3339_LEN] = "";
        if (internal)
            clock_format_rfc3339(strtoll(internal, NULL, 10), at);
        json_array_append_new(w->messages,
                              json_pack("{s:s, s:o, s:o, s:o, s:o, s:o}", "id", id, "from",
                                        text_or_null(header_of(payload, "From")), "subject",
                                        text_or_null(header_of(payload, "Subject")), "date",
                                        text_or_null(header_of(payload, "Date")), "receivedAt",
                                        text_or_null(at), "attachments", names));
    } else {
        json_decref(names);
    }
    json_decref(msg);
    return 0;
}

int sync_google_mail(const struct sync_env *env, const char *tenant_id, json_t **messages_out,
                     struct error *err)
{
    struct google g;
    struct mail_walk w = {.g = &g, .messages = json_array(), .err = err};
    int rc = -1;
    *messages_out = NULL;
    if (google_open(env, tenant_id, &g, err) < 0 ||
        messages_list(&g, MAIL_QUERY, 40, add_message, &w, err) < 0)
        goto out;
    *messages_out = w.messages;
    w.messages = NULL;
    rc = 0;
out:
    json_decref(w.messages);
    google_close(&g);
    return rc;
}

/* ---- the import: attachments into the document store ------------------------------------ */

struct import {
    struct google *g;
    const char *message_id;
    int64_t imported, skipped;
    struct error *err;
};

static int import_attachment(void *ctx, const json_t *part)
{
    struct import *im = ctx;
    const json_t *body = json_object_get(part, "body");
    const char *att = json_string_value(json_object_get(body, "attachmentId"));
    const char *filename = json_string_value(json_object_get(part, "filename"));
    json_int_t size = json_integer_value(json_object_get(body, "size"));
    if (size > (json_int_t)DOCUMENT_MAX_BYTES || strlen(att) > 1024) {
        im->skipped++;
        return 0;
    }
    struct buf path;
    json_t *data = NULL;
    buf_init(&path, 4096);
    int rc = buf_printf(&path, "/gmail/v1/users/me/messages/%s/attachments/", im->message_id) < 0
                 ? -1
                 : 0;
    for (const char *p = att; rc == 0 && *p; p++) /* attachment ids are base64url */
        if (!(((*p | 32) >= 'a' && (*p | 32) <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' ||
              *p == '_'))
            rc = -1;
    if (rc < 0 || buf_append_str(&path, att) < 0) {
        buf_free(&path);
        im->skipped++;
        return 0;
    }
    rc = google_get(im->g, GMAIL_BASE, path.data, &data, im->err);
    buf_free(&path);
    if (rc < 0)
        return 1;
    const char *b64 = json_string_value(json_object_get(data, "data"));
    size_t n = b64 ? strlen(b64) : 0;
    char *std = malloc(n + 4);
    unsigned char *bytes = malloc(n / 4 * 3 + 3);
    long len = -1;
    if (std && bytes) {
        /* base64url without padding, as Gmail sends it, to standard base64 */
        for (size_t i = 0; i < n; i++)
            std[i] = b64[i] == '-' ? '+' : b64[i] == '_' ? '/' : b64[i];
        size_t m = n;
        while (m % 4)
            std[m++] = '=';
        len = crypto_b64_decode(std, m, bytes, n / 4 * 3 + 3);
    }
    if (len > 0) {
        char ref[256], id[CRYPTO_ID_MAX];
        bool duplicate = false;
        struct error e = {0};
        snprintf(ref, sizeof ref, "gmail:%s/%s", im->message_id,
                 json_string_value(json_object_get(part, "partId"))
                     ? json_string_value(json_object_get(part, "partId"))
                     : "");
        if (document_ingest_ref(im->g->env->store, im->g->in.tenant_id, bytes, (size_t)len,
                                "gmail", ref, filename, id, &duplicate, &e) == 0)
            im->imported += !duplicate;
        else
            im->skipped++, log_info("gmail import (tenant %s): %s skipped: %s",
                                    im->g->in.tenant_id, ref, e.message);
    } else {
        im->skipped++;
    }
    free(std);
    free(bytes);
    json_decref(data);
    return 0;
}

struct import_walk {
    struct google *g;
    int64_t imported, skipped;
    struct error *err;
};

static int import_message(void *ctx, const char *id)
{
    struct import_walk *w = ctx;
    json_t *msg = NULL;
    if (message_get(w->g, id, "full", &msg, w->err) < 0)
        return w->err->code == ERR_NOT_FOUND ? 0 : -1; /* deleted since it was listed */
    struct import im = {.g = w->g, .message_id = id, .err = w->err};
    int stopped = each_attachment(json_object_get(msg, "payload"), 0, import_attachment, &im);
    json_decref(msg);
    w->imported += im.imported;
    w->skipped += im.skipped;
    return stopped ? -1 : 0;
}

/* Messages added since history id `cursor`, each once; *latest the mailbox's history id
 * now. ERR_NOT_FOUND when Gmail no longer has that history. */
static int import_history(struct import_walk *w, const char *cursor, char *latest, size_t cap)
{
    char page_token[512] = "";
    size_t seen = 0;
    for (int page = 0; page < PAGE_MAX; page++) {
        struct buf q;
        json_t *body = NULL;
        buf_init(&q, 4096);
        int qr = buf_append_str(&q, "/gmail/v1/users/me/history") |
                 query_add(&q, "startHistoryId", cursor) |
                 query_add(&q, "historyTypes", "messageAdded");
        if (page_token[0])
            qr |= query_add(&q, "pageToken", page_token);
        int gr = qr < 0 ? error_set(w->err, ERR_INTERNAL, "out of memory")
                        : google_get(w->g, GMAIL_BASE, q.data, &body, w->err);
        buf_free(&q);
        if (gr < 0)
            return -1;
        size_t i, j;
        json_t *h, *added;
        json_array_foreach(json_object_get(body, "history"), i, h) {
            json_array_foreach(json_object_get(h, "messagesAdded"), j, added) {
                const char *id = json_string_value(json_object_get(json_object_get(added, "message"), "id"));
                if (id && seen++ < IMPORT_MESSAGES_MAX && import_message(w, id) < 0) {
                    json_decref(body);
                    return -1;
                }
            }
        }
        const char *hid = json_string_value(json_object_get(body, "historyId"));
        if (hid && strlen(hid) < cap)
            snprintf(latest, cap, "%s", hid);
        const char *next = json_string_value(json_object_get(body, "nextPageToken"));
        snprintf(page_token, sizeof page_token, "%s", next && strlen(next) < 500 ? next : "");
        json_decref(body);
        if (!page_token[0])
            break;
    }
    return 0;
}

/* The first run (or one whose cursor Gmail forgot): the mailbox's history id now, then
 * the last 30 days' messages with attachments. */
static int import_recent(struct import_walk *w, char *latest, size_t cap)
{
    json_t *profile = NULL;
    if (google_get(w->g, GMAIL_BASE, "/gmail/v1/users/me/profile", &profile, w->err) < 0)
        return -1;
    const char *hid = json_string_value(json_object_get(profile, "historyId"));
    if (hid && strlen(hid) < cap)
        snprintf(latest, cap, "%s", hid);
    json_decref(profile);
    if (!latest[0])
        return error_set(w->err, ERR_SERVICE_FAILED, "Gmail's profile has no historyId");
    return messages_list(w->g, IMPORT_QUERY, IMPORT_MESSAGES_MAX, import_message, w, w->err);
}

int sync_google_import(const struct sync_env *env, const struct sync_run *run,
                       const char *cursor, char *next_cursor, size_t cap, int64_t *imported,
                       struct error *err)
{
    struct google g;
    struct import_walk w = {.g = &g, .err = err};
    int rc = -1;
    next_cursor[0] = '\0';
    *imported = 0;
    if (google_open(env, run->tenant_id, &g, err) < 0)
        goto out;
    if (cursor && *cursor && strspn(cursor, "0123456789") == strlen(cursor)) {
        snprintf(next_cursor, cap, "%s", cursor);
        rc = import_history(&w, cursor, next_cursor, cap);
        if (rc < 0 && err->code == ERR_NOT_FOUND) {
            next_cursor[0] = '\0';
            rc = import_recent(&w, next_cursor, cap);
        }
    } else {
        rc = import_recent(&w, next_cursor, cap);
    }
    *imported = w.imported;
    if (rc == 0)
        log_info("gmail import (tenant %s): %lld documents, %lld attachments skipped",
                 run->tenant_id, (long long)w.imported, (long long)w.skipped);
out:
    google_close(&g);
    return rc;
}
