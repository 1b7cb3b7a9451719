/* core/log.c - JSON lines on stderr. */
#include "core/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/json.h"

/* Changed at run time by a reload while other threads log. */
static _Atomic int min_level = LOG_INFO;
static const char *const level_names[] = {"debug", "info", "warn", "error"};

void log_set_level(enum log_level min)
{
    atomic_store(&min_level, (int)min);
}

int log_reopen(const char *path, struct error *err)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0)
        return error_set(err, ERR_CONFIG, "cannot open the log file %s: %s", path,
                         strerror(errno));
    /* dup2 replaces stderr in one step: a line being written goes wholly to one file. */
    int rc = dup2(fd, STDERR_FILENO) < 0 ? -1 : 0;
    int saved = errno;
    close(fd);
    return rc < 0 ? error_set(err, ERR_INTERNAL, "cannot log to %s: %s", path, strerror(saved))
                  : 0;
}

int log_line_begin(struct buf *b, enum log_level level)
{
    char ts[CLOCK_RFC3339_LEN];
    clock_format_rfc3339(clock_now_ms(), ts);
    /* Appends, not a format: every request's access line starts here. */
    if (buf_append(b, "{\"time\":\"", 9) < 0 || buf_append(b, ts, strlen(ts)) < 0 ||
        buf_append(b, "\",\"level\":\"", 11) < 0 || buf_append_str(b, level_names[level]) < 0)
        return -1;
    return buf_append(b, "\"", 1);
}

void log_line_end(struct buf *b)
{
    if (buf_append(b, "}\n", 2) < 0)
        return;
    size_t off = 0;
    while (off < b->len) {
        ssize_t n = write(STDERR_FILENO, b->data + off, b->len - off);
        if (n <= 0)
            break;
        off += (size_t)n;
    }
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    if ((int)level < atomic_load(&min_level))
        return;
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    size_t len = (size_t)n < sizeof text ? (size_t)n : sizeof text - 1;

    struct buf line;
    buf_init(&line, 8192);
    if (log_line_begin(&line, level) == 0 && buf_append_str(&line, ",\"msg\":\"") == 0 &&
        json_escape_append(&line, text, len) == 0 && buf_append(&line, "\"", 1) == 0)
        log_line_end(&line);
    buf_free(&line);
}
