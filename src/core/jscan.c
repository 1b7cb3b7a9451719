/* core/jscan.c - one pass over a JSON text that validates it and notes where the asked-for
 * values are (core/jscan.h).
 *
 * The scanner is a loop over an explicit stack, not recursion, so JSCAN_MAX_DEPTH levels
 * cost a byte each. Which paths can still match is a bit mask per level: a member's key is
 * compared only with the paths whose earlier members led here and whose member at this
 * level falls in the key's hash bucket (as a word first), and a level below the deepest
 * path carries no mask at all. Strings are passed over 8 bytes at a time until a byte
 * needs a look (a quote, a backslash, a control character, non-ASCII). */
#include "core/jscan.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"

/* Levels that can hold a path's member (1..JSCAN_PATH_DEPTH) or be a path's value (one
 * more); level 0 is outside the top value. */
#define LEVELS (JSCAN_PATH_DEPTH + 2)

struct scan {
    const unsigned char *p, *end, *start;
    struct error *err;
};

static int fail(struct scan *s, const char *why)
{
    return error_set(s->err, ERR_INVALID_JSON, "malformed JSON at byte %zu: %s",
                     (size_t)(s->p - s->start), why);
}

static void skip_ws(struct scan *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
        s->p++;
}

static int hex4(const unsigned char *p, const unsigned char *end, uint32_t *out)
{
    uint32_t v = 0;
    if (end - p < 4)
        return -1;
    for (int i = 0; i < 4; i++) {
        unsigned char c = p[i];
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0)
            return -1;
        v = v << 4 | (uint32_t)d;
    }
    *out = v;
    return 0;
}

/* The escape at p (p[0] == '\\'): its code point, and the bytes it takes (2, 6 or 12 for
 * a surrogate pair); 0 for a bad escape, a lone or unpaired surrogate or \u0000 (jansson
 * refuses NUL in strings unless asked to allow it, and always in keys). */
static size_t escape_at(const unsigned char *p, const unsigned char *end, uint32_t *cp)
{
    static const char simple_in[] = "\"\\/bfnrt", simple_out[] = "\"\\/\b\f\n\r\t";
    if (end - p < 2)
        return 0;
    if (p[1] != 'u') {
        const char *at = p[1] ? strchr(simple_in, p[1]) : NULL;
        if (!at)
            return 0;
        *cp = (unsigned char)simple_out[at - simple_in];
        return 2;
    }
    uint32_t hi, lo;
    if (hex4(p + 2, end, &hi) < 0 || hi == 0 || (hi >= 0xdc00 && hi <= 0xdfff))
        return 0;
    if (hi < 0xd800 || hi > 0xdbff) {
        *cp = hi;
        return 6;
    }
    if (end - p < 12 || p[6] != '\\' || p[7] != 'u' || hex4(p + 8, end, &lo) < 0 ||
        lo < 0xdc00 || lo > 0xdfff)
        return 0;
    *cp = 0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00);
    return 12;
}

static size_t utf8_put(uint32_t cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xc0 | cp >> 6);
        out[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xe0 | cp >> 12);
        out[1] = (char)(0x80 | (cp >> 6 & 0x3f));
        out[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | cp >> 18);
    out[1] = (char)(0x80 | (cp >> 12 & 0x3f));
    out[2] = (char)(0x80 | (cp >> 6 & 0x3f));
    out[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* The word-at-a-time scan finds the first special byte by the lowest set bit, which is
 * the first byte in memory on a little-endian machine only; others scan byte by byte. */
#define WORDS (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__)
#define ONES UINT64_C(0x0101010101010101)
#define HIGHS UINT64_C(0x8080808080808080)

/* The high bit of each of the 8 bytes of w that needs a closer look inside a string (a
 * quote, a backslash, a control character, a byte of a multi-byte character); exact for
 * the first such byte, which is all the caller uses (the borrow of the zero tests only
 * marks bytes after a true one). */
static uint64_t word_special(uint64_t w)
{
    uint64_t quote = w ^ (ONES * '"'), bslash = w ^ (ONES * '\\');
    uint64_t zero_q = (quote - ONES) & ~quote, zero_b = (bslash - ONES) & ~bslash;
    uint64_t control = (w - ONES * 0x20) & ~w;
    return (zero_q | zero_b | control | w) & HIGHS;
}

/* The string whose opening quote s->p has just passed; leaves s->p after the closing one.
 * Runs of plain ASCII are passed over 8 bytes at a time. */
static int scan_string(struct scan *s, bool *escaped)
{
    *escaped = false;
    while (s->p < s->end) {
        if (WORDS && s->end - s->p >= 8) {
            uint64_t w, special;
            memcpy(&w, s->p, 8);
            if (!(special = word_special(w))) {
                s->p += 8;
                continue;
            }
            s->p += __builtin_ctzll(special) >> 3;
        }
        unsigned char c = *s->p;
        if (c == '"') {
            s->p++;
            return 0;
        }
        if (c < 0x20)
            return fail(s, "control character in a string");
        size_t n = 1;
        if (c == '\\') {
            uint32_t cp;
            if (!(n = escape_at(s->p, s->end, &cp)))
                return fail(s, "invalid escape in a string");
            *escaped = true;
        } else if (c >= 0x80 && !(n = utf8_seq_len((const char *)s->p, (size_t)(s->end - s->p)))) {
            return fail(s, "invalid UTF-8");
        }
        s->p += n;
    }
    return fail(s, "unterminated string");
}

static bool is_digit(const struct scan *s)
{
    return s->p < s->end && *s->p >= '0' && *s->p <= '9';
}

/* A real is refused where jansson's strtod overflows to infinity. */
static int real_in_range(struct scan *s, const unsigned char *text, size_t len)
{
    char small[64];
    char *copy = len < sizeof small ? small : malloc(len + 1);
    if (!copy)
        return error_set(s->err, ERR_INTERNAL, "out of memory");
    memcpy(copy, text, len);
    copy[len] = '\0';
    errno = 0;
    double d = strtod(copy, NULL);
    bool overflow = errno == ERANGE && isinf(d);
    if (copy != small)
        free(copy);
    return overflow ? fail(s, "real number overflow") : 0;
}

/* A number at s->p (JSON's grammar); integers must fit int64_t, as jansson's json_int_t. */
static int scan_number(struct scan *s, struct jscan_value *v)
{
    const unsigned char *b = s->p;
    bool neg = false, real = false;
    if (*s->p == '-') {
        neg = true;
        s->p++;
    }
    if (!is_digit(s))
        return fail(s, "invalid number");
    uint64_t mag = 0;
    bool big = false;
    if (*s->p == '0') {
        s->p++;
        if (is_digit(s))
            return fail(s, "leading zero in a number");
    } else {
        for (; is_digit(s); s->p++) {
            unsigned d = *s->p - '0';
            if (mag > (UINT64_MAX - d) / 10)
                big = true;
            else
                mag = mag * 10 + d;
        }
    }
    if (s->p < s->end && *s->p == '.') {
        real = true;
        s->p++;
        if (!is_digit(s))
            return fail(s, "invalid number");
        while (is_digit(s))
            s->p++;
    }
    if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
        real = true;
        s->p++;
        if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
            s->p++;
        if (!is_digit(s))
            return fail(s, "invalid number");
        while (is_digit(s))
            s->p++;
    }
    v->text = (const char *)b;
    v->len = (size_t)(s->p - b);
    if (real) {
        v->type = JSCAN_REAL;
        return real_in_range(s, b, v->len);
    }
    uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    if (big || mag > limit)
        return fail(s, "integer out of range");
    v->type = JSCAN_INTEGER;
    v->integer = neg ? (int64_t)(0 - mag) : (int64_t)mag;
    return 0;
}

static int scan_literal(struct scan *s, const char *word, enum jscan_type type,
                        struct jscan_value *v)
{
    size_t n = strlen(word);
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
        return fail(s, "invalid token");
    v->type = type;
    v->text = (const char *)s->p;
    v->len = n;
    s->p += n;
    return 0;
}

/* jansson reads one byte past a number or a literal and gives it back; a NUL given back
 * is lost (its stream takes NUL for "read the next byte"), so that NUL is skipped as if it
 * were not there. Matching it keeps both readers' verdicts the same on every text. */
static int skip_given_back_nul(struct scan *s, int rc)
{
    if (rc == 0 && s->p < s->end && *s->p == '\0')
        s->p++;
    return rc;
}

/* One scalar at s->p into *v. */
static int scan_scalar(struct scan *s, struct jscan_value *v)
{
    switch (*s->p) {
    case '"':
        s->p++;
        v->type = JSCAN_STRING;
        v->text = (const char *)s->p;
        if (scan_string(s, &v->escaped) < 0)
            return -1;
        v->len = (size_t)(s->p - 1 - (const unsigned char *)v->text);
        return 0;
    case 't':
        return skip_given_back_nul(s, scan_literal(s, "true", JSCAN_TRUE, v));
    case 'f':
        return skip_given_back_nul(s, scan_literal(s, "false", JSCAN_FALSE, v));
    case 'n':
        return skip_given_back_nul(s, scan_literal(s, "null", JSCAN_NULL, v));
    default:
        if (*s->p == '-' || (*s->p >= '0' && *s->p <= '9'))
            return skip_given_back_nul(s, scan_number(s, v));
        return fail(s, "invalid token");
    }
}

/* Which of JSCAN_BUCKETS a member name falls in: keys are first narrowed to the paths of
 * their bucket, so a key is compared with one path's member or two, not with all. */
static unsigned bucket_of(const char *text, size_t len)
{
    unsigned char first = (unsigned char)text[0], last = (unsigned char)text[len - 1];
    return (unsigned)(len * 31 + first * 7 + last) % JSCAN_BUCKETS;
}

/* The first min(len, 8) bytes of text as a word, the rest zero: what a key and a path's
 * member are compared by first. */
static uint64_t head_of(const char *text, size_t len)
{
    uint64_t w = 0;
    if (len >= 8) {
        memcpy(&w, text, 8);
        return w;
    }
    memcpy(&w, text, len);
    return w;
}

int jscan_paths_init(struct jscan_paths *set, const char *const *paths, size_t n,
                     struct error *err)
{
    if (n > JSCAN_MAX_PATHS)
        return error_set(err, ERR_INTERNAL, "jscan: more than %d paths", JSCAN_MAX_PATHS);
    memset(set, 0, sizeof *set);
    set->n = n;
    for (size_t i = 0; i < n; i++) {
        const char *p = paths[i];
        unsigned k = 0;
        for (;;) {
            const char *dot = strchr(p, '.');
            size_t len = dot ? (size_t)(dot - p) : strlen(p);
            if (k == JSCAN_PATH_DEPTH || len == 0 || len > JSCAN_KEY_MAX)
                return error_set(err, ERR_INTERNAL, "jscan: path %zu is not a short dotted "
                                                    "path", i);
            set->seg[i][k] = p;
            set->seg_len[i][k] = (unsigned char)len;
            set->seg_head[i][k] = head_of(p, len);
            set->bucket[k++][bucket_of(p, len)] |= UINT64_C(1) << i;
            if (!dot)
                break;
            p = dot + 1;
        }
        set->n_seg[i] = (unsigned char)k;
    }
    return 0;
}

/* The paths of `cand` whose member at level `level` (0-based) is the key text[0..len). */
static uint64_t match_key(const struct jscan_paths *set, uint64_t cand, size_t level,
                          const char *text, size_t len, bool escaped)
{
    char decoded[JSCAN_KEY_MAX + 1];
    if (escaped) {
        struct jscan_value v = {.type = JSCAN_STRING, .text = text, .len = len, .escaped = true};
        long n = jscan_string(&v, decoded, sizeof decoded);
        if (n < 0)
            return 0; /* longer than any path's member */
        text = decoded;
        len = (size_t)n;
    }
    if (len == 0 || len > JSCAN_KEY_MAX || !(cand &= set->bucket[level][bucket_of(text, len)]))
        return 0;
    uint64_t head = head_of(text, len), hit = 0;
    for (uint64_t m = cand; m; m &= m - 1) {
        int i = __builtin_ctzll(m);
        if (set->seg_head[i][level] == head && set->seg_len[i][level] == len &&
            (len <= 8 || memcmp(set->seg[i][level] + 8, text + 8, len - 8) == 0))
            hit |= UINT64_C(1) << i;
    }
    return hit;
}

int jscan_fields(const char *data, size_t len, const char *const *paths, size_t n,
                 struct jscan_value *out, struct error *err)
{
    struct jscan_paths set;
    if (jscan_paths_init(&set, paths, n, err) < 0)
        return -1;
    return jscan_scan(data, len, &set, out, err);
}

int jscan_scan(const char *data, size_t len, const struct jscan_paths *set,
               struct jscan_value *out, struct error *err)
{
    unsigned char is_array[JSCAN_MAX_DEPTH + 1];
    uint64_t inner[LEVELS] = {0}; /* paths that go on inside the container of a level */
    uint64_t owner[LEVELS] = {0}; /* paths whose value is the container of a level */
    size_t count[LEVELS] = {0};
    struct scan s = {.p = (const unsigned char *)data, .end = (const unsigned char *)data + len,
                     .start = (const unsigned char *)data, .err = err};
    size_t depth = 0, n = set->n;
    uint64_t want_value = 0, want_inner = 0; /* for the value about to be read */
    for (size_t i = 0; i < n; i++)
        out[i].type = JSCAN_ABSENT;
    want_inner = n == JSCAN_MAX_PATHS ? UINT64_MAX : (UINT64_C(1) << n) - 1;
    skip_ws(&s);
    if (s.p == s.end || (*s.p != '{' && *s.p != '['))
        return fail(&s, "'[' or '{' expected");

    /* The labels are the scanner's states: a value is due, a container has just closed, a
     * value is done (a ',' or the container's end is due), a member's key is due. */
value:
    skip_ws(&s);
    if (s.p == s.end)
        return fail(&s, "unexpected end of text");
    if (*s.p == '{' || *s.p == '[') {
        bool arr = *s.p == '[';
        if (depth == JSCAN_MAX_DEPTH)
            return fail(&s, "maximum nesting depth reached");
        is_array[++depth] = arr;
        if (depth < LEVELS) {
            inner[depth] = arr ? 0 : want_inner;
            owner[depth] = want_value;
            count[depth] = 0;
            for (uint64_t m = want_value; m; m &= m - 1)
                out[__builtin_ctzll(m)] = (struct jscan_value){
                    .type = arr ? JSCAN_ARRAY : JSCAN_OBJECT, .text = (const char *)s.p};
        }
        s.p++;
        skip_ws(&s);
        if (s.p < s.end && *s.p == (arr ? ']' : '}')) {
            s.p++;
            goto close;
        }
        if (arr) {
            want_value = want_inner = 0;
            goto value;
        }
        goto key;
    }
    {
        /* jansson counts every value a level, so a scalar inside JSCAN_MAX_DEPTH
         * containers is one too deep. */
        struct jscan_value v = {.type = JSCAN_ABSENT};
        if (depth == JSCAN_MAX_DEPTH)
            return fail(&s, "maximum nesting depth reached");
        if (scan_scalar(&s, &v) < 0)
            return -1;
        for (uint64_t m = want_value; m; m &= m - 1)
            out[__builtin_ctzll(m)] = v;
    }
    goto after;

close:
    if (depth < LEVELS)
        for (uint64_t m = owner[depth]; m; m &= m - 1) {
            struct jscan_value *v = &out[__builtin_ctzll(m)];
            v->len = (size_t)(s.p - (const unsigned char *)v->text);
            v->members = count[depth];
        }
    depth--;

after:
    if (depth == 0) {
        skip_ws(&s);
        return s.p == s.end ? 0 : fail(&s, "end of text expected");
    }
    if (depth < LEVELS)
        count[depth]++;
    skip_ws(&s);
    if (s.p < s.end && *s.p == ',') {
        s.p++;
        want_value = want_inner = 0;
        if (is_array[depth])
            goto value;
        goto key;
    }
    if (s.p < s.end && *s.p == (is_array[depth] ? ']' : '}')) {
        s.p++;
        goto close;
    }
    return fail(&s, "',' or the end of the container expected");

key:
    skip_ws(&s);
    if (s.p == s.end || *s.p != '"')
        return fail(&s, "string or '}' expected");
    {
        const char *k = (const char *)++s.p;
        bool escaped;
        if (scan_string(&s, &escaped) < 0)
            return -1;
        size_t klen = (size_t)(s.p - 1 - (const unsigned char *)k);
        uint64_t cand = depth <= JSCAN_PATH_DEPTH ? inner[depth] : 0;
        uint64_t hit = cand ? match_key(set, cand, depth - 1, k, klen, escaped) : 0;
        want_value = want_inner = 0;
        for (uint64_t m = hit; m; m &= m - 1) {
            int i = __builtin_ctzll(m);
            /* A key given again replaces what its first value held. */
            out[i] = (struct jscan_value){.type = JSCAN_ABSENT};
            if (set->n_seg[i] == depth)
                want_value |= UINT64_C(1) << i;
            else
                want_inner |= UINT64_C(1) << i;
        }
    }
    skip_ws(&s);
    if (s.p == s.end || *s.p != ':')
        return fail(&s, "':' expected");
    s.p++;
    goto value;
}

long jscan_string(const struct jscan_value *v, char *buf, size_t cap)
{
    if (v->type != JSCAN_STRING || cap == 0)
        return -1;
    const unsigned char *p = (const unsigned char *)v->text, *end = p + v->len;
    size_t o = 0;
    if (!v->escaped) {
        if (v->len >= cap)
            return -1;
        memcpy(buf, p, v->len);
        buf[v->len] = '\0';
        return (long)v->len;
    }
    while (p < end) {
        const unsigned char *bs = memchr(p, '\\', (size_t)(end - p));
        size_t run = bs ? (size_t)(bs - p) : (size_t)(end - p);
        if (o + run >= cap)
            return -1;
        memcpy(buf + o, p, run);
        o += run;
        p += run;
        if (!bs)
            break;
        uint32_t cp;
        size_t used = escape_at(p, end, &cp);
        size_t need = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
        if (!used || o + need >= cap)
            return -1;
        o += utf8_put(cp, buf + o);
        p += used;
    }
    buf[o] = '\0';
    return (long)o;
}
