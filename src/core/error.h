/* core/error.h - errors as values.
 *
 * A function that can fail returns 0 on success or a negative number, and fills the
 * caller's struct error with a stable code (errors.def) and a human message. Only main()
 * and the HTTP layer turn an error into output. Messages must never contain secrets or
 * internals that a client should not see; ERR_INTERNAL and ERR_STORE messages are logged,
 * and the client gets a generic text instead. */
#ifndef CONNECTORD_CORE_ERROR_H
#define CONNECTORD_CORE_ERROR_H

enum err_code {
#define ERR(name, status, str) name,
#include "core/errors.def"
#undef ERR
    ERR__COUNT
};

struct error {
    enum err_code code;
    char message[256];
};

/* Fills err (when not NULL) and returns -1, so callers can write `return error_set(...)`. */
int error_set(struct error *err, enum err_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void error_clear(struct error *err);
int error_http_status(enum err_code code);
const char *error_code_str(enum err_code code);

#endif
