/* core/log.h - structured logging: one JSON object per line on stderr.
 *
 * Each line is written with a single write(2) so lines from several threads never
 * interleave. Library code logs facts, never secrets: tokens, keys and connector secrets
 * must not reach a log call. */
#ifndef CONNECTORD_CORE_LOG_H
#define CONNECTORD_CORE_LOG_H

#include "core/buf.h"
#include "core/error.h"

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

void log_set_level(enum log_level min); /* at any time, from any thread */
/* Sends the log (stderr, and with it every report of the runtime) to the end of the file at
 * path, created 0640 when missing: at start, and again at a reload, after the file was
 * rotated away. */
int log_reopen(const char *path, struct error *err);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

/* Starts a line: `{"time":"...","level":"..."` into b; the caller appends more members
 * (each starting with a comma) and then calls log_line_end(). */
int log_line_begin(struct buf *b, enum log_level level);
void log_line_end(struct buf *b);

#endif
