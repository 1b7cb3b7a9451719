/* tests/unit/core/test_fx_fuzz_replay.c - the fuzz target tests/fuzz/fuzz_rates.c without
 * libFuzzer, in `make test`: every file of tests/fuzz/corpus/rates/ (the ECB's three
 * formats, extreme rates, a bad day, and whatever `make fuzz-rates` found and was saved
 * there), then deterministic mutations of each (bits flipped, cuts, tokens that stress
 * numbers, dates and the XML), under ASan and UBSan. The target abort()s on a broken
 * promise, so a regression fails here without clang installed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>

#include "../../fuzz/fuzz_rates.c"

#define CORPUS "tests/fuzz/corpus/rates"
#define MUTATIONS 500
#define INPUT_MAX 16384

static const char *const tokens[] = {
    "9223372036854775807", "99999999.999999", "0.0000001", "N/A", ",", ",,", "\n", "\r\n",
    "2026-02-29", "29 February 2024", "<Cube time='2026-03-20'>", "<Cube currency='USD' rate='1'/>",
    "'", "\"", ">", "<Cube", "EUR", "XXX", "\xef\xbb\xbf", "\xf0\x9f\x98\x80", "\xe2\x82", "-1",
};

static uint64_t next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static size_t mutate(const unsigned char *in, size_t len, unsigned char *out, uint64_t *rng)
{
    memcpy(out, in, len);
    if (len < 2)
        return len;
    size_t at = next(rng) % len;
    switch (next(rng) % 4) {
    case 0:
        out[at] ^= (unsigned char)(1u << (next(rng) % 8));
        return len;
    case 1:
        return at; /* cut short */
    default: {
        const char *t = tokens[next(rng) % (sizeof tokens / sizeof tokens[0])];
        size_t tl = strlen(t), drop = next(rng) % 6;
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
    uint64_t rng = 0x2545f4914f6cdd1du;
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
    assert_true(files >= 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_replay_corpus),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
