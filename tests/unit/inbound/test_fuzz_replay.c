/* tests/unit/inbound/test_fuzz_replay.c - the fuzz target tests/fuzz/fuzz_inbound.c without
 * libFuzzer, in `make test`: every file of tests/fuzz/corpus/inbound/ (the providers'
 * fixtures, extreme amounts and dates, cut text, paths with control bytes, and whatever
 * `make fuzz` found and was saved there), then deterministic mutations of each (bytes
 * flipped, hostile tokens inserted, cuts), under ASan and UBSan. The target abort()s on a
 * broken promise, so a regression fails here without clang installed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>

#include "../../fuzz/fuzz_inbound.c"

#define CORPUS "tests/fuzz/corpus/inbound"
#define MUTATIONS 200
#define INPUT_MAX 16384

/* Tokens that once broke something: 64-bit limits, dates beyond 9999, cut characters. */
static const char *const tokens[] = {
    "9223372036854775807", "-9223372036854775808", "253402300800", "10000000000001", "-1",
    "\xf0\x9f\x98\x80", "\xef\xbc\xa5", "\xe2\x82", "%00", "%7f", "\xff", "2026-02-30", "\"",
    "99999999999999999999.99", "0000-01-01T00:00:00Z",
    /* 33 emoji: 132 bytes, longer than the payment's 128-byte fields */
    "\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80"
    "\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80"
    "\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80"
    "\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80"
    "\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80"
    "\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80"
    "\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80",
};

static uint64_t next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* One mutation of in (len bytes) into out; returns the new length (keeps byte 0). */
static size_t mutate(const unsigned char *in, size_t len, unsigned char *out, uint64_t *rng)
{
    memcpy(out, in, len);
    if (len < 2)
        return len;
    size_t at = 1 + next(rng) % (len - 1);
    switch (next(rng) % 4) {
    case 0:
        out[at] ^= (unsigned char)(1u << (next(rng) % 8));
        return len;
    case 1:
        return at; /* cut short */
    default: {
        const char *t = tokens[next(rng) % (sizeof tokens / sizeof tokens[0])];
        size_t tl = strlen(t), drop = next(rng) % 4;
        if (drop > len - at)
            drop = len - at;
        if (len - drop + tl > INPUT_MAX)
            return len;
        memmove(out + at + tl, in + at + drop, len - at - drop);
        memcpy(out + at, t, tl);
        return len - drop + tl;
    }
    }
}

static void test_replay_corpus(void **state)
{
    (void)state;
    static unsigned char in[INPUT_MAX], out[INPUT_MAX + 64];
    DIR *dir = opendir(CORPUS);
    assert_non_null(dir);
    struct dirent *e;
    size_t files = 0;
    uint64_t rng = 0x9e3779b97f4a7c15u;
    while ((e = readdir(dir))) {
        if (e->d_name[0] == '.')
            continue;
        char path[512];
        snprintf(path, sizeof path, CORPUS "/%s", e->d_name);
        FILE *f = fopen(path, "rb");
        assert_non_null(f);
        size_t len = fread(in, 1, sizeof in, f);
        fclose(f);
        LLVMFuzzerTestOneInput(in, len);
        for (int i = 0; i < MUTATIONS; i++) {
            size_t n = mutate(in, len, out, &rng);
            LLVMFuzzerTestOneInput(out, n);
        }
        files++;
    }
    closedir(dir);
    assert_true(files >= 40);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_replay_corpus),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
