/* tests/unit/crypto/test_crypto.c - the libcrypto wrapper (src/crypto/crypto.c).
 *
 * Digests and encodings are checked against published vectors (FIPS 180-2, RFC 4231,
 * RFC 4648); tokens and ids by their shape; sealing by what must fail: another aad, another
 * key, one changed byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "crypto/crypto.h"

static bool is_b64url_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_';
}

static bool is_lower_hex(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

/* ---- tokens and ids ------------------------------------------------------------------- */

static void test_token_shape(void **state)
{
    char token[CRYPTO_TOKEN_LEN + 1];
    memset(token, '!', sizeof token);
    assert_int_equal(crypto_token_new(token), 0);
    assert_int_equal(CRYPTO_TOKEN_LEN, 47);
    assert_int_equal(strlen(token), CRYPTO_TOKEN_LEN);
    assert_memory_equal(token, "cdk_", 4);
    for (size_t i = 4; i < CRYPTO_TOKEN_LEN; i++)
        assert_true(is_b64url_char(token[i]));
}

static void test_tokens_differ(void **state)
{
    char a[CRYPTO_TOKEN_LEN + 1], b[CRYPTO_TOKEN_LEN + 1];
    assert_int_equal(crypto_token_new(a), 0);
    assert_int_equal(crypto_token_new(b), 0);
    assert_string_not_equal(a, b);
}

static void test_token_hash_known_vector(void **state)
{
    char hex[2 * CRYPTO_SHA256_LEN + 1];
    crypto_token_hash("abc", 3, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    crypto_token_hash("", 0, hex);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void test_token_hash_of_token(void **state)
{
    char token[CRYPTO_TOKEN_LEN + 1], hex[2 * CRYPTO_SHA256_LEN + 1], again[sizeof hex];
    assert_int_equal(crypto_token_new(token), 0);
    crypto_token_hash(token, strlen(token), hex);
    assert_int_equal(strlen(hex), 64);
    assert_true(is_lower_hex(hex, 64));
    /* the stored form is a function of the whole token text */
    crypto_token_hash(token, strlen(token), again);
    assert_string_equal(hex, again);
    token[CRYPTO_TOKEN_LEN - 1] = token[CRYPTO_TOKEN_LEN - 1] == 'A' ? 'B' : 'A';
    crypto_token_hash(token, strlen(token), again);
    assert_string_not_equal(hex, again);
    crypto_token_hash(token + 4, strlen(token) - 4, again); /* without the prefix */
    assert_string_not_equal(hex, again);
}

static void test_sha256_binary_input(void **state)
{
    /* "abc" with a NUL after it is another message than "abc". */
    unsigned char with_nul[CRYPTO_SHA256_LEN], plain[CRYPTO_SHA256_LEN];
    crypto_sha256("abc\0", 4, with_nul);
    crypto_sha256("abc", 3, plain);
    assert_memory_not_equal(with_nul, plain, CRYPTO_SHA256_LEN);
}

static void test_id_shape(void **state)
{
    char a[CRYPTO_ID_MAX], b[CRYPTO_ID_MAX];
    assert_int_equal(crypto_id_new("ten_", a), 0);
    assert_int_equal(crypto_id_new("ten_", b), 0);
    assert_int_equal(strlen(a), 4 + 32);
    assert_memory_equal(a, "ten_", 4);
    assert_true(is_lower_hex(a + 4, 32));
    assert_string_not_equal(a, b);
    /* a prefix that leaves no room is refused, not truncated */
    char long_prefix[CRYPTO_ID_MAX];
    memset(long_prefix, 'p', sizeof long_prefix - 1);
    long_prefix[sizeof long_prefix - 1] = '\0';
    assert_int_equal(crypto_id_new(long_prefix, a), -1);
}

static void test_ids_sort_by_creation(void **state)
{
    char prev[CRYPTO_ID_MAX], next[CRYPTO_ID_MAX];
    assert_int_equal(crypto_id_new("x_", prev), 0);
    for (int i = 0; i < 1000; i++) {
        assert_int_equal(crypto_id_new("x_", next), 0);
        assert_true(strcmp(prev, next) < 0);
        memcpy(prev, next, sizeof prev);
    }
}

/* ---- HMAC and comparison -------------------------------------------------------------- */

static void test_hmac_rfc4231_case2(void **state)
{
    static const char data[] = "what do ya want for nothing?";
    unsigned char mac[CRYPTO_SHA256_LEN];
    char hex[2 * CRYPTO_SHA256_LEN + 1];
    assert_int_equal(crypto_hmac_sha256("Jefe", 4, data, sizeof data - 1, mac), 0);
    crypto_hex(mac, sizeof mac, hex);
    assert_string_equal(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

static void test_hmac_rfc4231_case1(void **state)
{
    unsigned char key[20], mac[CRYPTO_SHA256_LEN];
    char hex[2 * CRYPTO_SHA256_LEN + 1];
    memset(key, 0x0b, sizeof key);
    assert_int_equal(crypto_hmac_sha256(key, sizeof key, "Hi There", 8, mac), 0);
    crypto_hex(mac, sizeof mac, hex);
    assert_string_equal(hex, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

/* The streaming HMAC: RFC 4231 case 1 (SHA-512) and RFC 2202 case 1 (SHA-1), the data
 * given in pieces, and an empty key. */
static void test_hmac_streaming(void **state)
{
    (void)state;
    unsigned char key[20], mac[CRYPTO_HMAC_MAX_LEN];
    char hex[2 * CRYPTO_HMAC_MAX_LEN + 1];
    memset(key, 0x0b, sizeof key);
    struct crypto_hmac *h = crypto_hmac_begin(CRYPTO_HMAC_SHA512, key, sizeof key);
    assert_non_null(h);
    assert_int_equal(crypto_hmac_update(h, "Hi ", 3), 0);
    assert_int_equal(crypto_hmac_update(h, "", 0), 0);
    assert_int_equal(crypto_hmac_update(h, "There", 5), 0);
    assert_int_equal(crypto_hmac_end(h, mac), 64);
    crypto_hex(mac, 64, hex);
    assert_string_equal(hex, "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
                             "daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854");
    h = crypto_hmac_begin(CRYPTO_HMAC_SHA1, key, sizeof key);
    assert_int_equal(crypto_hmac_update(h, "Hi There", 8), 0);
    assert_int_equal(crypto_hmac_end(h, mac), 20);
    crypto_hex(mac, 20, hex);
    assert_string_equal(hex, "b617318655057264e28bc0b6fb378c8ef146be00");
    h = crypto_hmac_begin(CRYPTO_HMAC_SHA256, "", 0);
    assert_int_equal(crypto_hmac_end(h, mac), 32);
    crypto_hex(mac, 32, hex);
    assert_string_equal(hex, "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
    crypto_hmac_free(crypto_hmac_begin(CRYPTO_HMAC_SHA1, "k", 1)); /* abandoned */
    crypto_hmac_free(NULL);
}

/* A keyed context copied per message MACs each message as a fresh one would, and the copy
 * leaves the original as it was (RFC 4231 case 2, then again from the same original). */
static void test_hmac_copy(void **state)
{
    (void)state;
    unsigned char mac[CRYPTO_HMAC_MAX_LEN];
    char hex[2 * CRYPTO_HMAC_MAX_LEN + 1];
    struct crypto_hmac *keyed = crypto_hmac_begin(CRYPTO_HMAC_SHA256, "Jefe", 4);
    assert_non_null(keyed);
    for (int i = 0; i < 2; i++) {
        struct crypto_hmac *h = crypto_hmac_copy(keyed);
        assert_non_null(h);
        assert_int_equal(crypto_hmac_update(h, "what do ya want ", 16), 0);
        assert_int_equal(crypto_hmac_update(h, "for nothing?", 12), 0);
        assert_int_equal(crypto_hmac_end(h, mac), 32);
        crypto_hex(mac, 32, hex);
        assert_string_equal(hex,
                            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }
    /* a copy fed something else differs: the copies do not share their state */
    struct crypto_hmac *h = crypto_hmac_copy(keyed);
    assert_int_equal(crypto_hmac_update(h, "what do ya want for nothing!", 28), 0);
    assert_int_equal(crypto_hmac_end(h, mac), 32);
    crypto_hex(mac, 32, hex);
    assert_string_not_equal(hex,
                            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    crypto_hmac_free(keyed);
}

static void test_ct_equal(void **state)
{
    assert_true(crypto_ct_equal("secret", 6, "secret", 6));
    assert_false(crypto_ct_equal("secret", 6, "secreT", 6));
    assert_false(crypto_ct_equal("Secret", 6, "secret", 6));
    assert_false(crypto_ct_equal("secret", 6, "secret!", 7)); /* a prefix is not equal */
    assert_false(crypto_ct_equal("secret", 6, "secret", 5));
    assert_true(crypto_ct_equal("", 0, "", 0));
    assert_true(crypto_ct_equal("a\0b", 3, "a\0b", 3));
    assert_false(crypto_ct_equal("a\0b", 3, "a\0c", 3)); /* bytes after a NUL count */
}

/* ---- hex ------------------------------------------------------------------------------ */

static void test_hex_encode(void **state)
{
    static const unsigned char bytes[] = {0x00, 0x01, 0x7f, 0x80, 0xab, 0xff};
    char hex[2 * sizeof bytes + 1];
    crypto_hex(bytes, sizeof bytes, hex);
    assert_string_equal(hex, "00017f80abff");
    crypto_hex(bytes, 0, hex);
    assert_string_equal(hex, "");
}

static void test_hex_roundtrip(void **state)
{
    unsigned char bytes[256], back[256];
    char hex[2 * sizeof bytes + 1];
    for (int i = 0; i < 256; i++)
        bytes[i] = (unsigned char)i;
    crypto_hex(bytes, sizeof bytes, hex);
    assert_int_equal(crypto_unhex(hex, strlen(hex), back, sizeof back), 256);
    assert_memory_equal(back, bytes, sizeof bytes);
}

static void test_unhex_either_case(void **state)
{
    unsigned char out[4];
    assert_int_equal(crypto_unhex("DEADbeef", 8, out, sizeof out), 4);
    assert_memory_equal(out, "\xde\xad\xbe\xef", 4);
    assert_int_equal(crypto_unhex("", 0, out, sizeof out), 0);
}

static void test_unhex_rejects(void **state)
{
    unsigned char out[8];
    assert_int_equal(crypto_unhex("abc", 3, out, sizeof out), -1);      /* odd length */
    assert_int_equal(crypto_unhex("0g", 2, out, sizeof out), -1);       /* not a digit */
    assert_int_equal(crypto_unhex("g0", 2, out, sizeof out), -1);
    assert_int_equal(crypto_unhex("00 1", 4, out, sizeof out), -1);     /* space */
    assert_int_equal(crypto_unhex("0x12", 4, out, sizeof out), -1);     /* prefix */
    assert_int_equal(crypto_unhex("ab\0d", 4, out, sizeof out), -1);    /* NUL */
    assert_int_equal(crypto_unhex("001122", 6, out, 2), -1);            /* too long for out */
    assert_int_equal(crypto_unhex("0011", 4, out, 2), 2);               /* exactly fits */
}

/* ---- base64url ------------------------------------------------------------------------ */

static void test_b64url_rfc4648_vectors(void **state)
{
    static const struct {
        const char *in;
        const char *out;
    } vectors[] = {
        {"", ""},         {"f", "Zg"},         {"fo", "Zm8"},       {"foo", "Zm9v"},
        {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"},
    };
    for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
        char out[16];
        memset(out, '!', sizeof out);
        size_t n = crypto_b64url(vectors[i].in, strlen(vectors[i].in), out);
        assert_int_equal(n, strlen(vectors[i].out));
        assert_string_equal(out, vectors[i].out);
    }
}

static void test_b64url_alphabet_is_url_safe(void **state)
{
    /* These bytes are all sextets 62 and 63: '+' and '/' in standard base64. */
    static const unsigned char bytes[] = {0xfb, 0xef, 0xbe, 0xff, 0xff, 0xff};
    char out[16];
    assert_int_equal(crypto_b64url(bytes, sizeof bytes, out), 8);
    assert_string_equal(out, "----____");
    static const unsigned char zeros[] = {0, 0, 0};
    crypto_b64url(zeros, sizeof zeros, out);
    assert_string_equal(out, "AAAA");
}

/* ---- sealing -------------------------------------------------------------------------- */

/* Two keys one bit apart. */
static const unsigned char key_a[CRYPTO_KEY_LEN] = {[0] = 0x5a, [15] = 0x01, [31] = 0xc4};
static const unsigned char key_b[CRYPTO_KEY_LEN] = {[0] = 0x5a, [15] = 0x01, [31] = 0xc5};

static void seal_ok(const unsigned char *key, const char *aad, const void *plain, size_t len,
                    struct buf *sealed)
{
    struct error err = {0};
    buf_init(sealed, 0);
    assert_int_equal(crypto_seal(key, aad, plain, len, sealed, &err), 0);
    assert_non_null(sealed->data);
    assert_memory_equal(sealed->data, "v1.", 3);
    for (size_t i = 3; i < sealed->len; i++)
        assert_true(is_b64url_char(sealed->data[i]));
}

/* Opens `sealed` and expects failure with ERR_INTERNAL and nothing written to out. */
static void open_fails(const unsigned char *key, const char *aad, const char *sealed)
{
    struct error err = {0};
    struct buf out;
    buf_init(&out, 0);
    assert_int_equal(crypto_open(key, aad, sealed, &out, &err), -1);
    assert_int_equal(err.code, ERR_INTERNAL);
    assert_int_equal(out.len, 0);
    buf_free(&out);
}

static void test_seal_open_roundtrip(void **state)
{
    static const char secret[] = "whsec_live_abc123";
    struct buf sealed, out;
    struct error err = {0};
    seal_ok(key_a, "ten_1/webhook_secret", secret, sizeof secret - 1, &sealed);
    /* the sealed text never carries the plaintext */
    assert_null(strstr(sealed.data, "whsec"));
    /* "v1." + unpadded base64url of nonce (12) | ciphertext | tag (16) */
    size_t raw_len = 12 + (sizeof secret - 1) + 16;
    assert_int_equal(sealed.len, 3 + (4 * raw_len + 2) / 3);
    buf_init(&out, 0);
    assert_int_equal(crypto_open(key_a, "ten_1/webhook_secret", sealed.data, &out, &err), 0);
    assert_int_equal(out.len, sizeof secret - 1);
    assert_memory_equal(out.data, secret, sizeof secret - 1);
    buf_free(&out);
    buf_free(&sealed);
}

static void test_seal_binary_and_empty(void **state)
{
    static const unsigned char binary[] = {0, 1, 2, 0, 0xff, 0x80, 0};
    struct buf sealed, out;
    struct error err = {0};
    seal_ok(key_a, "aad", binary, sizeof binary, &sealed);
    buf_init(&out, 0);
    assert_int_equal(crypto_open(key_a, "aad", sealed.data, &out, &err), 0);
    assert_int_equal(out.len, sizeof binary);
    assert_memory_equal(out.data, binary, sizeof binary);
    buf_free(&out);
    buf_free(&sealed);

    seal_ok(key_a, "", "", 0, &sealed);
    buf_init(&out, 0);
    assert_int_equal(crypto_open(key_a, "", sealed.data, &out, &err), 0);
    assert_int_equal(out.len, 0);
    buf_free(&out);
    buf_free(&sealed);
}

static void test_seal_appends_to_out(void **state)
{
    struct buf sealed, out;
    struct error err = {0};
    seal_ok(key_a, "a", "x", 1, &sealed);
    buf_init(&out, 0);
    assert_int_equal(buf_append_str(&out, "prefix:"), 0);
    assert_int_equal(crypto_open(key_a, "a", sealed.data, &out, &err), 0);
    assert_string_equal(out.data, "prefix:x");
    buf_free(&out);
    buf_free(&sealed);
}

static void test_open_wrong_aad(void **state)
{
    struct buf sealed;
    seal_ok(key_a, "ten_1/api_key", "sk_live_1", 9, &sealed);
    open_fails(key_a, "ten_2/api_key", sealed.data);
    open_fails(key_a, "ten_1/api_kez", sealed.data);
    open_fails(key_a, "", sealed.data);
    buf_free(&sealed);
}

static void test_open_wrong_key(void **state)
{
    struct buf sealed;
    seal_ok(key_a, "aad", "sk_live_1", 9, &sealed);
    open_fails(key_b, "aad", sealed.data);
    buf_free(&sealed);
}

static void test_open_tampered(void **state)
{
    static const char secret[] = "a secret of some length";
    struct buf sealed;
    seal_ok(key_a, "aad", secret, sizeof secret - 1, &sealed);
    /* Change one character in each region: nonce, ciphertext, tag. Characters before the
     * last carry six whole bits of the raw bytes, so each change alters the data. */
    size_t positions[] = {3, 3 + 16, 3 + 16 + 20, sealed.len - 4, sealed.len - 2};
    for (size_t i = 0; i < sizeof positions / sizeof positions[0]; i++) {
        char *copy = strdup(sealed.data);
        assert_non_null(copy);
        copy[positions[i]] = copy[positions[i]] == 'A' ? 'B' : 'A';
        open_fails(key_a, "aad", copy);
        free(copy);
    }
    buf_free(&sealed);
}

static void test_open_damaged_format(void **state)
{
    struct buf sealed;
    seal_ok(key_a, "aad", "value", 5, &sealed);
    char *copy = strdup(sealed.data);
    assert_non_null(copy);

    copy[1] = '2'; /* "v2." */
    open_fails(key_a, "aad", copy);
    copy[1] = '1';

    copy[10] = '+'; /* not in the base64url alphabet */
    open_fails(key_a, "aad", copy);

    copy[3 + 20] = '\0'; /* shorter than nonce + tag */
    open_fails(key_a, "aad", copy);

    open_fails(key_a, "aad", "");
    open_fails(key_a, "aad", "v1.");
    open_fails(key_a, "aad", "v1");
    free(copy);

    /* truncated by a few characters: the tag no longer matches */
    sealed.data[sealed.len - 3] = '\0';
    open_fails(key_a, "aad", sealed.data);
    buf_free(&sealed);
}

static void test_seals_differ(void **state)
{
    struct buf a, b, out;
    struct error err = {0};
    seal_ok(key_a, "aad", "same", 4, &a);
    seal_ok(key_a, "aad", "same", 4, &b);
    assert_int_equal(a.len, b.len);
    assert_memory_not_equal(a.data, b.data, a.len);
    /* both open to the same plaintext */
    buf_init(&out, 0);
    assert_int_equal(crypto_open(key_a, "aad", b.data, &out, &err), 0);
    assert_string_equal(out.data, "same");
    buf_free(&out);
    buf_free(&a);
    buf_free(&b);
}

static void test_seal_respects_out_cap(void **state)
{
    struct buf out;
    struct error err = {0};
    buf_init(&out, 10);
    assert_int_equal(crypto_seal(key_a, "aad", "value", 5, &out, &err), -1);
    assert_int_equal(err.code, ERR_INTERNAL);
    buf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hmac_streaming),
        cmocka_unit_test(test_token_shape),
        cmocka_unit_test(test_tokens_differ),
        cmocka_unit_test(test_token_hash_known_vector),
        cmocka_unit_test(test_token_hash_of_token),
        cmocka_unit_test(test_sha256_binary_input),
        cmocka_unit_test(test_id_shape),
        cmocka_unit_test(test_ids_sort_by_creation),
        cmocka_unit_test(test_hmac_rfc4231_case2),
        cmocka_unit_test(test_hmac_rfc4231_case1),
        cmocka_unit_test(test_hmac_copy),
        cmocka_unit_test(test_ct_equal),
        cmocka_unit_test(test_hex_encode),
        cmocka_unit_test(test_hex_roundtrip),
        cmocka_unit_test(test_unhex_either_case),
        cmocka_unit_test(test_unhex_rejects),
        cmocka_unit_test(test_b64url_rfc4648_vectors),
        cmocka_unit_test(test_b64url_alphabet_is_url_safe),
        cmocka_unit_test(test_seal_open_roundtrip),
        cmocka_unit_test(test_seal_binary_and_empty),
        cmocka_unit_test(test_seal_appends_to_out),
        cmocka_unit_test(test_open_wrong_aad),
        cmocka_unit_test(test_open_wrong_key),
        cmocka_unit_test(test_open_tampered),
        cmocka_unit_test(test_open_damaged_format),
        cmocka_unit_test(test_seals_differ),
        cmocka_unit_test(test_seal_respects_out_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
