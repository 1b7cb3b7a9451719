/* http/response.c - building responses and reading requests, independent of the socket
 * library, so handlers and the router can be unit-tested without a server. */
#include <string.h>

#include "core/json.h"
#include "http/http.h"

int http_respond_json(struct http_response *res, int status, json_t *body, struct error *err)
{
    size_t len = 0;
    /* A NULL body is a json_pack() or json_string() that failed: text that is not UTF-8
     * (or memory that ran out) in one of the values, said as such in the log. */
    if (!body)
        return error_set(err, ERR_INTERNAL, "cannot build the JSON answer: a value is not "
                                            "valid UTF-8, or memory ran out");
    char *text = json_dump_compact(body, &len);
    json_decref(body);
    if (!text)
        return error_set(err, ERR_INTERNAL, "cannot serialize the JSON answer");
    buf_reset(&res->body);
    int rc = buf_append(&res->body, text, len);
    free(text);
    if (rc < 0)
        return error_set(err, ERR_INTERNAL, "out of memory");
    res->status = status;
    res->content_type = "application/json";
    return 0;
}

int http_respond_text(struct http_response *res, int status, const char *content_type,
                      const char *text, size_t len, struct error *err)
{
    buf_reset(&res->body);
    if (buf_append(&res->body, text, len) < 0)
        return error_set(err, ERR_INTERNAL, "out of memory");
    res->status = status;
    res->content_type = content_type;
    return 0;
}

int http_respond_empty(struct http_response *res, int status)
{
    buf_reset(&res->body);
    res->status = status;
    res->content_type = NULL;
    return 0;
}

int http_response_add_header(struct http_response *res, const char *name, const char *value)
{
    if (res->n_headers == HTTP_MAX_HEADERS || strlen(value) >= sizeof res->headers[0].value)
        return -1;
    res->headers[res->n_headers].name = name;
    strcpy(res->headers[res->n_headers].value, value);
    res->n_headers++;
    return 0;
}

int http_respond_error(struct http_response *res, const struct error *err, json_t *extra)
{
    int status = error_http_status(err->code);
    /* Internal failures are logged by the server with their detail; the client only
     * learns that something went wrong on our side. A 502 is an outside service's failure,
     * and its message (written by us, never holding our internals) says which and how; so
     * is a 503 other than ERR_UNAVAILABLE (e.g. awaiting_secret: what to do about it). */
    const char *message = err->code == ERR_UNAVAILABLE    ? "the service is unavailable; try again later"
                          : status == 503                  ? err->message
                          : status >= 500 && status != 502 ? "internal error; see the server log"
                                                           : err->message;
    json_t *inner = json_pack("{s:s, s:s}", "code", error_code_str(err->code), "message",
                              message[0] ? message : error_code_str(err->code));
    if (inner && extra) /* beside code and message, never over them */
        json_object_update_missing(inner, extra);
    json_decref(extra);
    json_t *body = inner ? json_pack("{s:o}", "error", inner) : NULL;
    if (!body) {
        static const char fallback[] =
            "{\"error\":{\"code\":\"internal_error\",\"message\":"
            "\"the error answer could not be built as JSON; see the server log\"}}";
        buf_reset(&res->body);
        buf_append(&res->body, fallback, sizeof fallback - 1);
        res->status = 500;
        res->content_type = "application/json";
        return 0;
    }
    return http_respond_json(res, status, body, NULL);
}

const char *http_request_param(const struct http_request *req, const char *name)
{
    size_t len = strlen(name);
    for (size_t i = 0; i < req->n_params; i++) {
        const char *n = req->params[i].name;
        if (strncmp(n, name, len) == 0 && (n[len] == '\0' || n[len] == '/'))
            return req->params[i].value;
    }
    return NULL;
}
