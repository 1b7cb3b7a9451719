/* core/error.c - the errors.def table turned into lookups. */
#include "core/error.h"

#include <stdarg.h>
#include <stdio.h>

#include "core/utf8.h"

static const struct {
    int status;
    const char *str;
} error_table[] = {
#define ERR(name, status, str) [name] = {status, str},
#include "core/errors.def"
#undef ERR
};

int error_set(struct error *err, enum err_code code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        err->code = code;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
        /* Messages quote outside text and are cut at the buffer's end; either can leave
         * bytes that are not UTF-8, and the JSON answer that carries the message could not
         * be built from them. */
        utf8_repair(err->message);
    }
    return -1;
}

void error_clear(struct error *err)
{
    if (err) {
        err->code = ERR_OK;
        err->message[0] = '\0';
    }
}

int error_http_status(enum err_code code)
{
    if ((int)code < 0 || code >= ERR__COUNT)
        return 500;
    return error_table[code].status;
}

const char *error_code_str(enum err_code code)
{
    if ((int)code < 0 || code >= ERR__COUNT)
        return "internal_error";
    return error_table[code].str;
}
