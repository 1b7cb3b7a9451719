/* tests/unit/test_config.c - the settings table and its sources (src/config.c).
 *
 * Every test starts from an environment without CONNECTORD_* variables and ends with
 * config_free, so the leak checker sees every string the config owned. The precedence
 * test applies the sources in the order main() does: file, then environment, then
 * command-line flags through config_set. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

extern char **environ;

/* Removes every CONNECTORD_* variable, so the tests do not depend on the caller's shell. */
static int clean_env(void **state)
{
    for (;;) {
        char name[256] = "";
        for (char **e = environ; *e; e++) {
            if (strncmp(*e, "CONNECTORD_", 11) == 0) {
                size_t n = strcspn(*e, "=");
                if (n >= sizeof name)
                    n = sizeof name - 1;
                memcpy(name, *e, n);
                name[n] = '\0';
                break;
            }
        }
        if (!name[0])
            return 0;
        if (unsetenv(name) != 0)
            return -1;
    }
}

/* Writes text to a new temporary file; returns its path (caller unlinks and frees). */
static char *temp_file(const char *text)
{
    const char *dir = getenv("TMPDIR");
    char *path = NULL;
    assert_true(asprintf(&path, "%s/connectord-config-XXXXXX", dir && *dir ? dir : "/tmp") > 0);
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    size_t len = strlen(text);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    close(fd);
    return path;
}

static void remove_temp(char *path)
{
    unlink(path);
    free(path);
}

/* ---- defaults and config_set ---------------------------------------------------------- */

static void test_defaults(void **state)
{
    struct config cfg;
    config_init(&cfg);
    assert_string_equal(cfg.listen, "127.0.0.1:8080");
    assert_string_equal(cfg.db, "sqlite:var/connectord.db");
    assert_string_equal(cfg.log_level, "info");
    assert_null(cfg.public_url);
    assert_null(cfg.tls_cert);
    assert_null(cfg.tls_key);
    assert_null(cfg.master_key_file);
    assert_null(cfg.config_file);
    assert_false(cfg.dev);
    assert_true(cfg.access_log);
    assert_int_equal(cfg.threads, 0);
    assert_int_equal(cfg.max_body, 1048576);
    assert_int_equal(cfg.read_timeout, 30);
    assert_int_equal(cfg.drain_timeout, 10000);
    config_free(&cfg);
    assert_null(cfg.listen);
    assert_null(cfg.db);
}

static void test_keys(void **state)
{
    const unsigned all = CONFIG_FOR_SERVE | CONFIG_FOR_TOOLS;
    assert_true(config_key_known("listen", all));
    assert_true(config_key_known("max-body", all));
    assert_true(config_key_known("config", all));
    assert_false(config_key_known("max_body", all));
    assert_false(config_key_known("LISTEN", all));
    assert_false(config_key_known("", all));
    /* The command-line tools take the store, the config file and the log level only. */
    assert_true(config_key_known("db", CONFIG_FOR_TOOLS));
    assert_true(config_key_known("config", CONFIG_FOR_TOOLS));
    assert_true(config_key_known("log-level", CONFIG_FOR_TOOLS));
    assert_false(config_key_known("listen", CONFIG_FOR_TOOLS));
    assert_false(config_key_known("access-log", CONFIG_FOR_TOOLS));
    assert_true(config_key_known("access-log", CONFIG_FOR_SERVE));
    assert_true(config_key_known("db", CONFIG_FOR_SERVE));
    assert_true(config_key_is_bool("dev"));
    assert_true(config_key_is_bool("access-log"));
    assert_false(config_key_is_bool("listen"));
    assert_false(config_key_is_bool("threads"));
    assert_false(config_key_is_bool("nope"));
}

static void test_set_string(void **state)
{
    struct config cfg;
    struct error err = {0};
    config_init(&cfg);
    assert_int_equal(config_set(&cfg, "listen", "0.0.0.0:9000", "test", &err), 0);
    assert_string_equal(cfg.listen, "0.0.0.0:9000");
    assert_int_equal(config_set(&cfg, "public-url", "https://pay.example", "test", &err), 0);
    assert_string_equal(cfg.public_url, "https://pay.example");
    /* setting again replaces (the old copy is freed: ASan would report it otherwise) */
    assert_int_equal(config_set(&cfg, "public-url", "https://other.example", "test", &err), 0);
    assert_string_equal(cfg.public_url, "https://other.example");
    config_free(&cfg);
}

static void test_set_string_is_copied(void **state)
{
    struct config cfg;
    struct error err = {0};
    char value[] = "sqlite:/data/a.db";
    config_init(&cfg);
    assert_int_equal(config_set(&cfg, "db", value, "test", &err), 0);
    value[0] = 'X';
    assert_string_equal(cfg.db, "sqlite:/data/a.db");
    config_free(&cfg);
}

static void test_set_bool(void **state)
{
    static const struct {
        const char *text;
        bool value;
    } cases[] = {
        {"1", true},  {"true", true},   {"yes", true}, {"on", true},  {"TRUE", true},
        {"Yes", true}, {"0", false},    {"false", false}, {"no", false}, {"off", false},
        {"OFF", false},
    };
    struct config cfg;
    struct error err = {0};
    config_init(&cfg);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cfg.dev = !cases[i].value;
        assert_int_equal(config_set(&cfg, "dev", cases[i].text, "test", &err), 0);
        assert_int_equal(cfg.dev, cases[i].value);
    }
    config_free(&cfg);
}

static void test_set_bad_bool(void **state)
{
    static const char *const bad[] = {"", "2", "tru", "y", "enabled", "true ", "-1"};
    struct config cfg;
    config_init(&cfg);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct error err = {0};
        assert_int_equal(config_set(&cfg, "access-log", bad[i], "command line", &err), -1);
        assert_int_equal(err.code, ERR_CONFIG);
        assert_non_null(strstr(err.message, "command line"));
        assert_non_null(strstr(err.message, "access-log"));
        assert_true(cfg.access_log); /* unchanged */
    }
    config_free(&cfg);
}

static void test_set_number(void **state)
{
    struct config cfg;
    struct error err = {0};
    config_init(&cfg);
    assert_int_equal(config_set(&cfg, "threads", "16", "test", &err), 0);
    assert_int_equal(cfg.threads, 16);
    /* the bounds themselves are allowed */
    assert_int_equal(config_set(&cfg, "max-body", "1024", "test", &err), 0);
    assert_int_equal(cfg.max_body, 1024);
    assert_int_equal(config_set(&cfg, "max-body", "67108864", "test", &err), 0);
    assert_int_equal(cfg.max_body, 64L << 20);
    assert_int_equal(config_set(&cfg, "drain-timeout", "0", "test", &err), 0);
    assert_int_equal(cfg.drain_timeout, 0);
    config_free(&cfg);
}

static void test_set_bad_number(void **state)
{
    static const struct {
        const char *key;
        const char *value;
    } bad[] = {
        {"max-body", "1023"},          /* below the minimum */
        {"max-body", "67108865"},      /* above the maximum */
        {"threads", "257"},
        {"threads", "-1"},
        {"read-timeout", "0"},
        {"read-timeout", "30s"},       /* trailing text */
        {"read-timeout", "abc"},
        {"read-timeout", ""},
        {"read-timeout", "99999999999999999999999"}, /* overflows long */
        {"drain-timeout", "1e3"},
    };
    struct config cfg;
    config_init(&cfg);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct error err = {0};
        assert_int_equal(config_set(&cfg, bad[i].key, bad[i].value, "test", &err), -1);
        assert_int_equal(err.code, ERR_CONFIG);
        assert_non_null(strstr(err.message, bad[i].key));
        assert_non_null(strstr(err.message, "must be a number"));
    }
    /* nothing changed */
    assert_int_equal(cfg.threads, 0);
    assert_int_equal(cfg.max_body, 1048576);
    assert_int_equal(cfg.read_timeout, 30);
    assert_int_equal(cfg.drain_timeout, 10000);
    config_free(&cfg);
}

static void test_set_unknown_key(void **state)
{
    struct config cfg;
    struct error err = {0};
    config_init(&cfg);
    assert_int_equal(config_set(&cfg, "listen-addr", "x", "command line", &err), -1);
    assert_int_equal(err.code, ERR_NOT_FOUND);
    assert_non_null(strstr(err.message, "listen-addr"));
    assert_string_equal(cfg.listen, "127.0.0.1:8080");
    config_free(&cfg);
}

/* ---- config_load_file ----------------------------------------------------------------- */

static void test_file_loads(void **state)
{
    char *path = temp_file("# connectord settings\n"
                           "\n"
                           "   \n"
                           "listen = 0.0.0.0:9090\n"
                           "  threads=4   # four workers\n"
                           "public-url = \"https://pay.example.com\"\n"
                           "\tdev = yes\n"
                           "log-level = \"debug\"   \n"
                           "# db = sqlite:commented-out.db\n"
                           "access-log = off"); /* no final newline */
    struct config cfg;
    struct error err = {0};
    config_init(&cfg);
    assert_int_equal(config_load_file(&cfg, path, &err), 0);
    assert_string_equal(cfg.listen, "0.0.0.0:9090");
    assert_int_equal(cfg.threads, 4);
    assert_string_equal(cfg.public_url, "https://pay.example.com");
    assert_true(cfg.dev);
    assert_string_equal(cfg.log_level, "debug");
    assert_false(cfg.access_log);
    assert_string_equal(cfg.db, "sqlite:var/connectord.db"); /* the commented line */
    config_free(&cfg);
    remove_temp(path);
}

static void test_file_quotes(void **state)
{
    char *path = temp_file("tls-cert = \"  /etc/ssl/my cert.pem  \"\n"
                           "tls-key = \"\"\n"
                           "db = \"sqlite:half-quoted.db\n");
    struct config cfg;
    struct error err = {0};
    config_init(&cfg);
    assert_int_equal(config_load_file(&cfg, path, &err), 0);
    /* spaces inside the quotes are kept; the quotes are not */
    assert_string_equal(cfg.tls_cert, "  /etc/ssl/my cert.pem  ");
    assert_string_equal(cfg.tls_key, "");
    /* an unbalanced quote is part of the value */
    assert_string_equal(cfg.db, "\"sqlite:half-quoted.db");
    config_free(&cfg);
    remove_temp(path);
}

static void test_file_missing_equals(void **state)
{
    char *path = temp_file("# header\n"
                           "listen = 0.0.0.0:1\n"
                           "threads 4\n"
                           "max-body = 2048\n");
    struct config cfg;
    struct error err = {0};
    char *where = NULL;
    assert_true(asprintf(&where, "%s:3:", path) > 0);
    config_init(&cfg);
    assert_int_equal(config_load_file(&cfg, path, &err), -1);
    assert_int_equal(err.code, ERR_CONFIG);
    assert_non_null(strstr(err.message, where));
    assert_non_null(strstr(err.message, "key = value"));
    /* loading stopped at the bad line */
    assert_int_equal(cfg.max_body, 1048576);
    free(where);
    config_free(&cfg);
    remove_temp(path);
}

static void test_file_unknown_key(void **state)
{
    char *path = temp_file("listen = 0.0.0.0:1\nlisten_address = x\n");
    struct config cfg;
    struct error err = {0};
    char *where = NULL;
    assert_true(asprintf(&where, "%s:2:", path) > 0);
    config_init(&cfg);
    assert_int_equal(config_load_file(&cfg, path, &err), -1);
    /* in a file an unknown key is a config error, not "not found" */
    assert_int_equal(err.code, ERR_CONFIG);
    assert_non_null(strstr(err.message, where));
    assert_non_null(strstr(err.message, "listen_address"));
    free(where);
    config_free(&cfg);
    remove_temp(path);
}

static void test_file_bad_value(void **state)
{
    char *path = temp_file("\n\nread-timeout = forever\n");
    struct config cfg;
    struct error err = {0};
    char *where = NULL;
    assert_true(asprintf(&where, "%s:3:", path) > 0);
    config_init(&cfg);
    assert_int_equal(config_load_file(&cfg, path, &err), -1);
    assert_int_equal(err.code, ERR_CONFIG);
    assert_non_null(strstr(err.message, where));
    assert_non_null(strstr(err.message, "read-timeout"));
    assert_int_equal(cfg.read_timeout, 30);
    free(where);
    config_free(&cfg);
    remove_temp(path);
}

static void test_file_cannot_name_another(void **state)
{
    char *path = temp_file("config = /etc/other.conf\n");
    struct config cfg;
    struct error err = {0};
    config_init(&cfg);
    assert_int_equal(config_load_file(&cfg, path, &err), -1);
    assert_int_equal(err.code, ERR_CONFIG);
    assert_null(cfg.config_file);
    config_free(&cfg);
    remove_temp(path);
}

static void test_file_missing(void **state)
{
    struct config cfg;
    struct error err = {0};
    config_init(&cfg);
    assert_int_equal(config_load_file(&cfg, "/nonexistent/connectord.conf", &err), -1);
    assert_int_equal(err.code, ERR_CONFIG);
    assert_non_null(strstr(err.message, "/nonexistent/connectord.conf"));
    config_free(&cfg);
}

static void test_file_long_line(void **state)
{
    /* A line longer than the reader's buffer must not be read in pieces: the tail of a
     * long comment would be taken for a setting. Several lengths put the tail at every
     * position around the buffer's end. */
    for (size_t pad = 4085; pad < 4110; pad++) {
        char *text = malloc(pad + 64);
        assert_non_null(text);
        text[0] = '#';
        memset(text + 1, 'x', pad);
        strcpy(text + 1 + pad, " listen = 0.0.0.0:6666\nthreads = 2\n");
        char *path = temp_file(text);
        free(text);
        struct config cfg;
        struct error err = {0};
        config_init(&cfg);
        assert_int_equal(config_load_file(&cfg, path, &err), -1);
        assert_int_equal(err.code, ERR_CONFIG);
        assert_non_null(strstr(err.message, ":1:"));
        assert_string_equal(cfg.listen, "127.0.0.1:8080");
        config_free(&cfg);
        remove_temp(path);
    }
}

static void test_file_last_line_fills_buffer(void **state)
{
    /* A last line without a newline that just fits is still read. */
    char text[4096];
    static const char head[] = "public-url = https://pay.example/";
    memcpy(text, head, sizeof head - 1);
    memset(text + sizeof head - 1, 'a', sizeof text - sizeof head);
    text[sizeof text - 1] = '\0';
    char *path = temp_file(text);
    struct config cfg;
    struct error err = {0};
    config_init(&cfg);
    assert_int_equal(config_load_file(&cfg, path, &err), 0);
    assert_non_null(cfg.public_url);
    assert_int_equal(strlen(cfg.public_url), strlen(text) - strlen("public-url = "));
    config_free(&cfg);
    remove_temp(path);
}

/* ---- config_load_env ------------------------------------------------------------------ */

static void test_env_loads(void **state)
{
    setenv("CONNECTORD_LISTEN", "[::1]:7000", 1);
    setenv("CONNECTORD_DEV", "on", 1);
    setenv("CONNECTORD_MAX_BODY", "4096", 1);
    setenv("CONNECTORD_TLS_CERT", "", 1); /* empty: ignored */
    struct config cfg;
    struct error err = {0};
    config_init(&cfg);
    assert_int_equal(config_load_env(&cfg, &err), 0);
    assert_string_equal(cfg.listen, "[::1]:7000");
    assert_true(cfg.dev);
    assert_int_equal(cfg.max_body, 4096);
    assert_null(cfg.tls_cert);
    assert_string_equal(cfg.log_level, "info");
    config_free(&cfg);
}

static void test_env_bad_value(void **state)
{
    setenv("CONNECTORD_THREADS", "many", 1);
    struct config cfg;
    struct error err = {0};
    config_init(&cfg);
    assert_int_equal(config_load_env(&cfg, &err), -1);
    assert_int_equal(err.code, ERR_CONFIG);
    assert_non_null(strstr(err.message, "CONNECTORD_THREADS")); /* names the source */
    assert_int_equal(cfg.threads, 0);
    config_free(&cfg);
}

static void test_env_other_variables_ignored(void **state)
{
    setenv("CONNECTORD_NOT_A_SETTING", "x", 1);
    setenv("LISTEN", "0.0.0.0:1", 1);
    struct config cfg;
    struct error err = {0};
    config_init(&cfg);
    assert_int_equal(config_load_env(&cfg, &err), 0);
    assert_string_equal(cfg.listen, "127.0.0.1:8080");
    unsetenv("LISTEN");
    config_free(&cfg);
}

/* ---- precedence ----------------------------------------------------------------------- */

static void test_precedence_file_env_flag(void **state)
{
    char *path = temp_file("listen = 10.0.0.1:1\n"
                           "threads = 2\n"
                           "log-level = debug\n"
                           "read-timeout = 5\n");
    setenv("CONNECTORD_LISTEN", "10.0.0.2:2", 1);
    setenv("CONNECTORD_THREADS", "3", 1);
    setenv("CONNECTORD_DRAIN_TIMEOUT", "42", 1);
    struct config cfg;
    struct error err = {0};
    config_init(&cfg);
    assert_int_equal(config_load_file(&cfg, path, &err), 0);
    assert_int_equal(config_load_env(&cfg, &err), 0);
    assert_int_equal(config_set(&cfg, "listen", "10.0.0.3:3", "command line", &err), 0);

    assert_string_equal(cfg.listen, "10.0.0.3:3"); /* file, env and flag: the flag */
    assert_int_equal(cfg.threads, 3);              /* file and env: the env */
    assert_int_equal(cfg.drain_timeout, 42);       /* env only */
    assert_string_equal(cfg.log_level, "debug");   /* file only */
    assert_int_equal(cfg.read_timeout, 5);         /* file only */
    assert_int_equal(cfg.max_body, 1048576);       /* nowhere: the default */
    config_free(&cfg);
    remove_temp(path);
}

#define T(f) cmocka_unit_test_setup_teardown(f, clean_env, clean_env)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_defaults),
        T(test_keys),
        T(test_set_string),
        T(test_set_string_is_copied),
        T(test_set_bool),
        T(test_set_bad_bool),
        T(test_set_number),
        T(test_set_bad_number),
        T(test_set_unknown_key),
        T(test_file_loads),
        T(test_file_quotes),
        T(test_file_missing_equals),
        T(test_file_unknown_key),
        T(test_file_bad_value),
        T(test_file_cannot_name_another),
        T(test_file_missing),
        T(test_file_long_line),
        T(test_file_last_line_fills_buffer),
        T(test_env_loads),
        T(test_env_bad_value),
        T(test_env_other_variables_ignored),
        T(test_precedence_file_env_flag),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
