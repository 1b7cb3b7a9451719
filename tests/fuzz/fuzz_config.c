/* tests/fuzz/fuzz_config.c - the config file (--config FILE, src/config.c): the input is the
 * file, read by config_load_file() from an in-memory file (memfd, no disk), on top of the
 * defaults; then the retry schedule it sets is parsed as the delivery engine does
 * (retry_parse_schedule).
 *
 * Promises: the file loads, or fails with ERR_CONFIG and a valid UTF-8 message that names
 * the line; what loads holds numbers inside their documented ranges and a schedule that
 * parses to 1..32 waits, each positive, or is refused with ERR_CONFIG. Seeds: the README's
 * example file and hand-written edge cases (tests/fuzz/corpus/config/). */
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "config.h"
#include "outbound/retry.h"

#define SCHEDULE_MAX 32

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FUZZ_INPUT_MAX)
        return 0;
    int fd = memfd_create("connectord.conf", 0);
    if (fd < 0)
        return 0;
    if (size && write(fd, data, size) != (ssize_t)size) {
        close(fd);
        return 0;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    struct config cfg;
    struct error err = {0};
    config_init(&cfg);
    if (config_load_file(&cfg, path, &err) < 0) {
        must(err.code == ERR_CONFIG);
        must(valid_utf8(err.message));
    } else {
        must(cfg.threads >= 0 && cfg.threads <= 256);
        must(cfg.max_body >= 1024 && cfg.max_body <= 64L << 20);
        must(cfg.webhook_body_days >= 0 && cfg.webhook_body_days <= 3650);
        must(cfg.delivery_concurrency >= 1 && cfg.delivery_concurrency <= 4096);
        must(cfg.listen && cfg.db && cfg.retry_schedule);
        int64_t waits[SCHEDULE_MAX];
        int n = 0;
        struct error serr = {0};
        if (retry_parse_schedule(cfg.retry_schedule, waits, SCHEDULE_MAX, &n, &serr) == 0) {
            must(n >= 1 && n <= SCHEDULE_MAX);
            for (int i = 0; i < n; i++)
                must(waits[i] > 0);
        } else {
            must(serr.code == ERR_CONFIG && valid_utf8(serr.message));
        }
    }
    config_free(&cfg);
    close(fd);
    return 0;
}
