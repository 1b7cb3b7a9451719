/* httpc/httpc.c - libcurl's easy interface behind httpc.h. */
#include "httpc/httpc.h"

#include <ctype.h>
#include <curl/curl.h>
#include <string.h>
#include <strings.h>

#define DEFAULT_TIMEOUT_MS 10000
#define DEFAULT_MAX_RESPONSE (1u << 20)

int httpc_global_init(void)
{
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

void httpc_global_cleanup(void)
{
    curl_global_cleanup();
}

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
    struct httpc_response *resp = ctx;
    return buf_append(&resp->body, data, size * n) == 0 ? size * n : 0; /* 0 aborts: too big */
}

static void copy_header_value(char *dst, size_t cap, const char *v, size_t len)
{
    while (len && (*v == ' ' || *v == '\t')) {
        v++;
        len--;
    }
    while (len && (v[len - 1] == '\r' || v[len - 1] == '\n' || v[len - 1] == ' '))
        len--;
    if (len >= cap)
        len = cap - 1;
    memcpy(dst, v, len);
    dst[len] = '\0';
}

static size_t on_header(char *data, size_t size, size_t n, void *ctx)
{
    struct httpc_response *resp = ctx;
    size_t len = size * n;
    if (len > 13 && strncasecmp(data, "content-type:", 13) == 0)
        copy_header_value(resp->content_type, sizeof resp->content_type, data + 13, len - 13);
    else if (len > 12 && strncasecmp(data, "retry-after:", 12) == 0)
        copy_header_value(resp->retry_after, sizeof resp->retry_after, data + 12, len - 12);
    return len;
}

int httpc_perform(const struct httpc_request *req, struct httpc_response *resp, struct error *err)
{
    memset(resp, 0, sizeof *resp);
    buf_init(&resp->body, req->max_response ? req->max_response : DEFAULT_MAX_RESPONSE);
    CURL *curl = curl_easy_init();
    struct curl_slist *headers = NULL;
    int rc = -1;
    if (!curl)
        return error_set(err, ERR_INTERNAL, "cannot create an HTTP client handle");
    for (size_t i = 0; i < req->n_headers; i++) {
        char line[1024];
        snprintf(line, sizeof line, "%s: %s", req->headers[i].name, req->headers[i].value);
        struct curl_slist *next = curl_slist_append(headers, line);
        if (!next) {
            error_set(err, ERR_INTERNAL, "out of memory");
            goto out;
        }
        headers = next;
    }
    curl_easy_setopt(curl, CURLOPT_URL, req->url);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, req->timeout_ms ? req->timeout_ms : DEFAULT_TIMEOUT_MS);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "connectord/" CONNECTORD_VERSION);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, resp);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, resp);
    if (req->basic_user) {
        curl_easy_setopt(curl, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
        curl_easy_setopt(curl, CURLOPT_USERNAME, req->basic_user);
        curl_easy_setopt(curl, CURLOPT_PASSWORD, req->basic_password ? req->basic_password : "");
    }
    const char *method = req->method ? req->method : "GET";
    if (strcmp(method, "GET") != 0)
        curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    if (req->body) {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, req->body);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
    }
    CURLcode cc = curl_easy_perform(curl);
    if (cc != CURLE_OK) {
        error_set(err, ERR_UNAVAILABLE, "request to the service failed: %s",
                  cc == CURLE_WRITE_ERROR ? "answer too large" : curl_easy_strerror(cc));
        goto out;
    }
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &resp->status);
    rc = 0;
out:
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    return rc;
}

void httpc_response_free(struct httpc_response *resp)
{
    buf_free(&resp->body);
}

int httpc_url_join(struct buf *out, const char *base, const char *path, const char *segment)
{
    size_t blen = strlen(base);
    while (blen && base[blen - 1] == '/')
        blen--;
    while (*path == '/')
        path++;
    if (buf_append(out, base, blen) < 0 || buf_append(out, "/", 1) < 0 ||
        buf_append_str(out, path) < 0)
        return -1;
    for (const unsigned char *p = (const unsigned char *)segment; p && *p; p++) {
        int rc = (isalnum(*p) || *p == '-' || *p == '_' || *p == '.' || *p == '~')
                     ? buf_append(out, p, 1)
                     : buf_printf(out, "%%%02X", *p);
        if (rc < 0)
            return -1;
    }
    return 0;
}
