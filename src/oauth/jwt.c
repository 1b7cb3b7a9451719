/* oauth/jwt.c - RS256 JSON Web Tokens (oauth_jwt_sign), and the assertion a Google
 * service-account key signs for its own access token
 * (RFC 7523, as Google's "OAuth 2.0 for server to server applications" describes it):
 * base64url(header) "." base64url(claims) "." base64url(RS256 signature), the header
 * {"alg":"RS256","typ":"JWT","kid":private_key_id}, the claims {iss: client_email, scope,
 * aud: the token URL, iat, exp: iat + 1 h}. The key is the JSON file the Cloud console
 * hands out; only its client_email, private_key and private_key_id are read. */
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "crypto/crypto.h"
#include "oauth/oauth_int.h"

#define ASSERTION_LIFETIME_S 3600

/* Appends base64url(data) without padding. */
static int append_b64url(struct buf *out, const void *data, size_t len)
{
    char *enc = malloc(4 * ((len + 2) / 3) + 1);
    if (!enc)
        return -1;
    size_t n = crypto_b64url(data, len, enc);
    int rc = buf_append(out, enc, n);
    free(enc);
    return rc;
}

static int append_json_b64url(struct buf *out, const json_t *v)
{
    size_t len = 0;
    char *text = v ? json_dump_compact(v, &len) : NULL;
    int rc = text ? append_b64url(out, text, len) : -1;
    free(text);
    return rc;
}

/* A settings field holds one line: a PEM key pasted there lost its line breaks, or carries
 * them written as "\n". Rebuilds the PEM form OpenSSL reads: the BEGIN line, the base64
 * body in lines of 64, the END line. Leaves a key that has line breaks as it is. */
static int pem_lines(const char *pem, size_t len, struct buf *out)
{
    const char *begin = memmem(pem, len, "-----BEGIN ", 11);
    if (memchr(pem, '\n', len) || !begin)
        return buf_append(out, pem, len);
    const char *label_end = memmem(begin + 11, len - (size_t)(begin + 11 - pem), "-----", 5);
    const char *end = label_end ? memmem(label_end + 5, len - (size_t)(label_end + 5 - pem),
                                         "-----END ", 9)
                                : NULL;
    const char *end_close = end ? memmem(end + 9, len - (size_t)(end + 9 - pem), "-----", 5)
                                : NULL;
    if (!end_close)
        return buf_append(out, pem, len);
    if (buf_append(out, begin, (size_t)(label_end + 5 - begin)) < 0 ||
        buf_append_str(out, "\n") < 0)
        return -1;
    size_t col = 0;
    for (const char *p = label_end + 5; p < end; p++) {
        if (p[0] == '\\' && p + 1 < end && p[1] == 'n') {
            p++;
            continue;
        }
        if (*p == ' ' || *p == '\t' || *p == '\r')
            continue;
        if (buf_append(out, p, 1) < 0 || (++col % 64 == 0 && buf_append_str(out, "\n") < 0))
            return -1;
    }
    if ((col % 64 && buf_append_str(out, "\n") < 0) ||
        buf_append(out, end, (size_t)(end_close + 5 - end)) < 0 ||
        buf_append_str(out, "\n") < 0)
        return -1;
    return 0;
}

int oauth_jwt_sign(const json_t *header, const json_t *claims, const char *pem, size_t pem_len,
                   struct buf *out, struct error *err)
{
    struct buf sig, key;
    int rc = -1;
    buf_init(&sig, 0);
    buf_init(&key, 1 << 16);
    buf_reset(out);
    if (pem_lines(pem, pem_len, &key) < 0) {
        error_set(err, ERR_VALIDATION, "the private key is too long");
        goto out;
    }
    if (append_json_b64url(out, header) < 0 || buf_append_str(out, ".") < 0 ||
        append_json_b64url(out, claims) < 0) {
        error_set(err, ERR_INTERNAL, "out of memory");
        goto out;
    }
    if (crypto_rsa_sha256_sign(key.data ? key.data : "", key.len, out->data, out->len, &sig,
                               err) < 0)
        goto out;
    if (buf_append_str(out, ".") < 0 || append_b64url(out, sig.data, sig.len) < 0) {
        error_set(err, ERR_INTERNAL, "out of memory");
        goto out;
    }
    rc = 0;
out:
    if (key.data)
        memset(key.data, 0, key.len);
    buf_free(&key);
    buf_free(&sig);
    return rc;
}

int oauth_jwt_assertion(const char *key_json, size_t key_len, const char *scope,
                        const char *audience, int64_t now_ms, struct buf *out,
                        struct error *err)
{
    json_t *key = json_loadb(key_json, key_len, 0, NULL);
    const char *email = json_string_value(json_object_get(key, "client_email"));
    const char *pem = json_string_value(json_object_get(key, "private_key"));
    const char *kid = json_string_value(json_object_get(key, "private_key_id"));
    json_int_t iat = (json_int_t)(now_ms / 1000);
    json_t *header = NULL, *claims = NULL;
    int rc = -1;
    if (!email || !pem) {
        error_set(err, ERR_VALIDATION, "the service-account key is not a JSON key file with "
                                       "client_email and private_key");
        goto out;
    }
    header = json_pack("{s:s, s:s, s:s*}", "alg", "RS256", "typ", "JWT", "kid", kid);
    claims = json_pack("{s:s, s:s*, s:s, s:I, s:I}", "iss", email, "scope", scope, "aud",
                       audience, "iat", iat, "exp", iat + ASSERTION_LIFETIME_S);
    if (!header || !claims) {
        error_set(err, ERR_INTERNAL, "out of memory");
        goto out;
    }
    rc = oauth_jwt_sign(header, claims, pem, strlen(pem), out, err);
out:
    json_decref(header);
    json_decref(claims);
    json_decref(key); /* its private_key text goes with it */
    return rc;
}
