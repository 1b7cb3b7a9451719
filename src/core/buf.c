/* core/buf.c - growable capped buffer. */
#include "core/buf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void buf_init(struct buf *b, size_t cap)
{
    b->data = NULL;
    b->len = 0;
    b->alloc = 0;
    b->cap = cap;
}

void buf_free(struct buf *b)
{
    free(b->data);
    buf_init(b, b->cap);
}

void buf_reset(struct buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

static int buf_reserve(struct buf *b, size_t extra)
{
    if (extra > SIZE_MAX - b->len - 1)
        return -1;
    size_t need = b->len + extra;
    if (b->cap && need > b->cap)
        return -1;
    if (need + 1 <= b->alloc)
        return 0;
    size_t alloc = b->alloc ? b->alloc : 256;
    while (alloc < need + 1)
        alloc = alloc > SIZE_MAX / 2 ? need + 1 : alloc * 2;
    char *p = realloc(b->data, alloc);
    if (!p)
        return -1;
    b->data = p;
    b->alloc = alloc;
    return 0;
}

int buf_append(struct buf *b, const void *data, size_t len)
{
    if (buf_reserve(b, len) < 0)
        return -1;
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return 0;
}

int buf_append_str(struct buf *b, const char *s)
{
    return buf_append(b, s, strlen(s));
}

char *buf_decimal(long long v, char *end)
{
    char *p = end;
    unsigned long long left = (unsigned long long)v;
    if (v < 0)
        left = 0ULL - left; /* the magnitude as unsigned, so LLONG_MIN has one too */
    do {
        *--p = (char)('0' + left % 10);
        left /= 10;
    } while (left);
    if (v < 0)
        *--p = '-';
    return p;
}

int buf_append_int(struct buf *b, long long v)
{
    char digits[BUF_DECIMAL_MAX], *end = digits + sizeof digits;
    char *p = buf_decimal(v, end);
    return buf_append(b, p, (size_t)(end - p));
}

int buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || buf_reserve(b, (size_t)n) < 0)
        return -1;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

char *buf_take(struct buf *b, size_t *len)
{
    char *p = b->data;
    if (len)
        *len = b->len;
    buf_init(b, b->cap);
    return p;
}
