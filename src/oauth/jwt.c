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

int oauth_jwt_sign(const json_t *header, const json_t *claims, const char *pem, size_t pem_len,
                   struct buf *out, struct error *err)
{
    struct buf sig;
    int rc = -1;
    buf_init(&sig, 0);
    buf_reset(out);
    if (append_json_b64url(out, header) < 0 || buf_append_str(out, ".") < 0 ||
        append_json_b64url(out, claims) < 0) {
        error_set(err, ERR_INTERNAL, "out of memory");
        goto out;
    }
    if (crypto_rsa_sha256_sign(pem, pem_len, out->data, out->len, &sig, err) < 0)
        goto out;
    if (buf_append_str(out, ".") < 0 || append_b64url(out, sig.data, sig.len) < 0) {
        error_set(err, ERR_INTERNAL, "out of memory");
        goto out;
    }
    rc = 0;
out:
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
