/* core/buf.h - a growable byte buffer with a hard cap.
 *
 * Everything that collects bytes from outside (request bodies, response bodies, log lines)
 * goes through a buf, so no input can grow memory without bound: an append past `cap`
 * fails and leaves the buffer as it was. The data is always NUL-terminated for convenience,
 * but may contain NUL bytes; `len` is the truth. */
#ifndef CONNECTORD_CORE_BUF_H
#define CONNECTORD_CORE_BUF_H

#include <stddef.h>

struct buf {
    char *data;     /* owned; NULL until the first append */
    size_t len;
    size_t alloc;
    size_t cap;     /* maximum len; 0 means no cap */
};

void buf_init(struct buf *b, size_t cap);
void buf_free(struct buf *b);
void buf_reset(struct buf *b);
/* 0 on success, -1 when the cap would be exceeded or memory ran out. */
int buf_append(struct buf *b, const void *data, size_t len);
int buf_append_str(struct buf *b, const char *s);
/* The decimal text of v, as "%lld" writes it, without printf's cost (hot paths: event data,
 * the access log, the books' chain links). */
int buf_append_int(struct buf *b, long long v);
/* The same text written backwards so that it ends right before end, for a caller that
 * needs its length first; returns where it starts. end needs BUF_DECIMAL_MAX bytes before
 * it. */
#define BUF_DECIMAL_MAX 20
char *buf_decimal(long long v, char *end);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hands the data to the caller (who frees it) and leaves the buffer empty. */
char *buf_take(struct buf *b, size_t *len);

#endif
