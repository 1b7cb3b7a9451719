/* tests/unit/outbound/test_destinations.c - the contract suite every outbound destination passes
 * (src/outbound/destination.c, src/outbound/text.c and every file in
 * src/outbound/destinations/).
 *
 * It walks the registry (destination_all) and, for each destination, the cases in
 * tests/fixtures/destinations/<slug>/. Adding a case is adding files; no test code changes.
 * Run from the repository root (tests/run does): the fixtures are found at a relative path.
 *
 * NNN-<case>.in - what render() gets. "key: value" lines (one space after the colon);
 * empty lines and lines starting with '#' are skipped. Keys:
 *   event: <JSON>          the event envelope exactly as the engine stores it, on one line
 *                          (it is ev->envelope byte for byte; id, type, createdAt, projectId
 *                          and data are read from it)
 *   config: <JSON>         the connector's config object, secrets in plain text
 *   api_base_url: <url>    optional; absent: the destination's default_api_base, as the
 *                          engine does when the apiBaseUrl setting is not set
 * NNN-<case>.expect.http - the request render() must produce, byte for byte: the line
 *   "METHOD URL", one "Name: value" line per header in the order rendered, an empty line,
 *   then the body: every remaining byte, nothing added (a JSON body ends the file without a
 *   newline). With UPDATE_GOLDEN=1 in the environment the suite writes these files from
 *   the .in files instead of comparing; read every written file against the service's
 *   documentation before committing it.
 * NNN-<case>.classify - one answer and the verdict classify() must give it. "key: value"
 *   lines as above:
 *   status: <n>            the HTTP status; 0 for no answer at all (required)
 *   body: <text>           the answer's body, one line (optional)
 *   retry-after: <value>   the Retry-After header (optional)
 *   expect: delivered|retry|failed   (required)
 *
 * Besides the golden files, every destination must: be a catalog slug of kind destination,
 * listed in the catalog's order; have a default API base (https) exactly when the catalog
 * offers the apiBaseUrl setting; have at least one render case, and classify cases when it
 * has its own classify(); render the same case twice to the same bytes (destinations are
 * pure); refuse an empty config with an error instead of a request; with
 * DEST_CAP_IDEMPOTENCY, render a different request for a different event id; with
 * DEST_CAP_STD_WEBHOOKS, post the envelope unchanged; never put a line break from a setting
 * into a header (render without it, or refuse with a reason). A fixture folder or file that
 * belongs to nothing fails too. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "catalog/catalog.h"
#include "core/buf.h"
#include "outbound/destination.h"

#define FIXTURE_ROOT "tests/fixtures/destinations"

/* ---- failure reports: collected, then raised after cleanup ------------------------------ */

struct report {
    char text[16384];
    size_t len;
};

static void report(struct report *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void report(struct report *r, const char *fmt, ...)
{
    va_list ap;
    if (r->len >= sizeof r->text - 2)
        return;
    va_start(ap, fmt);
    int n = vsnprintf(r->text + r->len, sizeof r->text - r->len - 1, fmt, ap);
    va_end(ap);
    if (n > 0)
        r->len += (size_t)n < sizeof r->text - r->len - 1 ? (size_t)n
                                                          : sizeof r->text - r->len - 2;
    r->text[r->len++] = '\n';
    r->text[r->len] = '\0';
}

static void report_raise(const struct report *r)
{
    if (r->len)
        fail_msg("\n%s", r->text);
}

/* ---- files -------------------------------------------------------------------------------- */

/* The suite's own bookkeeping: running out of memory stops it outright. */
static void *need(void *p)
{
    if (!p) {
        fprintf(stderr, "test_destinations: out of memory\n");
        abort();
    }
    return p;
}

static bool update_golden(void)
{
    const char *v = getenv("UPDATE_GOLDEN");
    return v && strcmp(v, "1") == 0;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* The whole file into out (NUL-terminated, may hold NULs); -1 when unreadable. */
static int read_file(const char *path, struct buf *out)
{
    FILE *f = fopen(path, "rb");
    char chunk[4096];
    size_t n;
    if (!f)
        return -1;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (buf_append(out, chunk, n) < 0) {
            fclose(f);
            return -1;
        }
    int failed = ferror(f);
    fclose(f);
    if (!failed && !out->data && buf_append(out, "", 0) < 0)
        return -1;
    return failed ? -1 : 0;
}

static int write_file(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t n = fwrite(data, 1, len, f);
    return fclose(f) == 0 && n == len ? 0 : -1;
}

struct names {
    char **items;
    size_t n;
};

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The entries of dir (without "." and ".."), sorted; -1 when dir cannot be opened. */
static int list_dir(const char *dir, struct names *out)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    out->items = NULL;
    out->n = 0;
    if (!d)
        return -1;
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        out->items = need(realloc(out->items, (out->n + 1) * sizeof *out->items));
        out->items[out->n++] = need(strdup(e->d_name));
    }
    closedir(d);
    if (out->n)
        qsort(out->items, out->n, sizeof *out->items, name_cmp);
    return 0;
}

static void names_free(struct names *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->items[i]);
    free(l->items);
    l->items = NULL;
    l->n = 0;
}

static bool names_has(const struct names *l, const char *name)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->items[i], name) == 0)
            return true;
    return false;
}

/* "NNN-<case>" followed by suffix */
static bool case_name_ok(const char *name, const char *suffix)
{
    return ends_with(name, suffix) && strlen(name) > 4 + strlen(suffix) && name[0] >= '0' &&
           name[0] <= '9' && name[1] >= '0' && name[1] <= '9' && name[2] >= '0' &&
           name[2] <= '9' && name[3] == '-';
}

/* ---- "key: value" files ------------------------------------------------------------------ */

#define KV_MAX 8

struct kv_file {
    struct buf text; /* the file; keys and values point into it */
    const char *key[KV_MAX];
    const char *value[KV_MAX];
    size_t n;
};

/* Reads and splits path; on a malformed line reports it and returns -1. `allowed` lists
 * the keys, each at most once. */
static int kv_read(const char *path, const char *const *allowed, struct kv_file *out,
                   struct report *r)
{
    buf_init(&out->text, 1 << 22);
    out->n = 0;
    if (read_file(path, &out->text) < 0) {
        report(r, "%s: cannot read", path);
        return -1;
    }
    char *line = out->text.data;
    for (int lineno = 1; line && *line; lineno++) {
        char *end = strchr(line, '\n');
        if (end)
            *end = '\0';
        char *next = end ? end + 1 : NULL;
        if (*line && *line != '#') {
            char *colon = strstr(line, ": ");
            bool known = false;
            if (colon) {
                *colon = '\0';
                for (const char *const *k = allowed; *k; k++)
                    known = known || strcmp(*k, line) == 0;
            }
            if (!colon || !known || out->n == KV_MAX) {
                report(r, "%s:%d: expected one of the known \"key: value\" lines", path, lineno);
                return -1;
            }
            for (size_t i = 0; i < out->n; i++)
                if (strcmp(out->key[i], line) == 0) {
                    report(r, "%s:%d: %s given twice", path, lineno, line);
                    return -1;
                }
            out->key[out->n] = line;
            out->value[out->n++] = colon + 2;
        }
        line = next;
    }
    return 0;
}

static const char *kv_get(const struct kv_file *f, const char *key)
{
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->key[i], key) == 0)
            return f->value[i];
    return NULL;
}

/* ---- render cases ------------------------------------------------------------------------ */

struct render_case {
    struct kv_file file;
    json_t *envelope;
    json_t *config;
    struct dest_event ev;
    struct dest_config cfg;
};

static void render_case_free(struct render_case *c)
{
    json_decref(c->envelope);
    json_decref(c->config);
    buf_free(&c->file.text);
    memset(c, 0, sizeof *c);
}

static const char *envelope_str(const json_t *env, const char *key)
{
    return json_string_value(json_object_get(env, key));
}

static int render_case_load(const struct destination *d, const char *path,
                            struct render_case *c, struct report *r)
{
    static const char *const keys[] = {"event", "config", "api_base_url", NULL};
    memset(c, 0, sizeof *c);
    if (kv_read(path, keys, &c->file, r) < 0)
        return -1;
    const char *event = kv_get(&c->file, "event"), *config = kv_get(&c->file, "config");
    if (!event || !config) {
        report(r, "%s: needs an event and a config line", path);
        return -1;
    }
    c->envelope = json_loads(event, JSON_REJECT_DUPLICATES, NULL);
    c->config = json_loads(config, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(c->envelope) || !json_is_object(c->config)) {
        report(r, "%s: event and config must be JSON objects", path);
        return -1;
    }
    c->ev = (struct dest_event){
        .id = envelope_str(c->envelope, "id"),
        .type = envelope_str(c->envelope, "type"),
        .created_at = envelope_str(c->envelope, "createdAt"),
        .project_id = envelope_str(c->envelope, "projectId"),
        .data = json_object_get(c->envelope, "data"),
        .envelope = event,
    };
    if (!c->ev.id || !c->ev.type || !c->ev.created_at || !c->ev.project_id ||
        !json_is_object(c->ev.data)) {
        report(r, "%s: the envelope needs id, type, createdAt, projectId and a data object",
                path);
        return -1;
    }
    events_read(c->ev.data, &c->ev.fields); /* as the engine does, once per event */
    const char *base = kv_get(&c->file, "api_base_url");
    c->cfg = (struct dest_config){.config = c->config,
                                  .api_base_url = base ? base : d->default_api_base};
    return 0;
}

static void must(int rc)
{
    if (rc < 0)
        need(NULL);
}

/* "METHOD URL\n", "Name: value\n" per header, "\n", the body. */
static void request_text(const struct dest_request *req, struct buf *out)
{
    must(buf_printf(out, "%s %s\n", req->method, req->url.data ? req->url.data : ""));
    for (size_t i = 0; i < req->n_headers; i++)
        must(buf_printf(out, "%s: %s\n", req->header_names[i], req->header_values[i]));
    must(buf_append(out, "\n", 1));
    must(buf_append(out, req->body.data ? req->body.data : "", req->body.len));
}

/* Renders the case into text; -1 with the error reported when render fails. */
static int render_text(const struct destination *d, const struct dest_event *ev,
                       const struct dest_config *cfg, struct buf *text, struct error *err)
{
    struct dest_request req;
    dest_request_init(&req, "POST");
    int rc = destination_render(d, ev, cfg, &req, err);
    if (rc == 0)
        request_text(&req, text);
    dest_request_free(&req);
    return rc;
}

/* Where two texts first differ, with a little of each around it. */
static void report_difference(struct report *r, const char *path, const struct buf *want,
                              const struct buf *got)
{
    size_t i = 0;
    while (i < want->len && i < got->len && want->data[i] == got->data[i])
        i++;
    size_t from = i > 60 ? i - 60 : 0;
    int wn = (int)((want->len - from) < 120 ? want->len - from : 120);
    int gn = (int)((got->len - from) < 120 ? got->len - from : 120);
    report(r,
           "%s: differs at byte %zu (expected %zu bytes, rendered %zu)\n  expected: ...%.*s\n"
           "  rendered: ...%.*s",
           path, i, want->len, got->len, wn, want->data + from, gn, got->data + from);
}

static void render_golden_case(const struct destination *d, const char *dir, const char *name,
                               struct report *r)
{
    char in_path[512], expect_path[512];
    struct render_case c;
    struct buf got, want;
    struct error err = {0};
    buf_init(&got, 0);
    buf_init(&want, 0);
    snprintf(in_path, sizeof in_path, "%s/%s", dir, name);
    snprintf(expect_path, sizeof expect_path, "%s/%.*s.expect.http", dir,
             (int)(strlen(name) - strlen(".in")), name);
    if (render_case_load(d, in_path, &c, r) < 0)
        goto out;
    if (render_text(d, &c.ev, &c.cfg, &got, &err) < 0) {
        report(r, "%s: render failed: %s", in_path, err.message);
        goto out;
    }
    if (update_golden()) {
        if (write_file(expect_path, got.data, got.len) < 0)
            report(r, "%s: cannot write", expect_path);
        else
            fprintf(stderr, "wrote %s\n", expect_path);
        goto out;
    }
    if (read_file(expect_path, &want) < 0) {
        report(r, "%s: missing (UPDATE_GOLDEN=1 writes it from the .in file)", expect_path);
        goto out;
    }
    if (want.len != got.len || memcmp(want.data, got.data, got.len) != 0)
        report_difference(r, expect_path, &want, &got);
out:
    render_case_free(&c);
    buf_free(&got);
    buf_free(&want);
}

/* The properties every render must have, beyond its golden file. */
static void render_contract_case(const struct destination *d, const char *dir, const char *name,
                                 struct report *r)
{
    char path[512];
    struct render_case c;
    struct buf first, second, other;
    struct error err = {0};
    buf_init(&first, 0);
    buf_init(&second, 0);
    buf_init(&other, 0);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (render_case_load(d, path, &c, r) < 0)
        goto out;

    /* pure: the same input gives the same bytes */
    if (render_text(d, &c.ev, &c.cfg, &first, &err) < 0 ||
        render_text(d, &c.ev, &c.cfg, &second, &err) < 0) {
        report(r, "%s: render failed: %s", path, err.message);
        goto out;
    }
    if (first.len != second.len || memcmp(first.data, second.data, first.len) != 0)
        report(r, "%s: two renders of the same event differ", path);

    /* an apiBaseUrl setting is honoured: the URL lies under it (without one, the golden
     * file shows the host, which may come from other settings, as Datadog's site) */
    const char *base = kv_get(&c.file, "api_base_url"), *url = strchr(first.data, ' ') + 1;
    if (base && strncmp(url, base, strlen(base)) != 0)
        report(r, "%s: the URL does not start with the API base %s", path, base);

    /* with an empty config there is nothing to send to: an error, not a request */
    json_t *empty = need(json_object());
    struct dest_config bare = {.config = empty, .api_base_url = c.cfg.api_base_url};
    struct error empty_err = {0};
    if (render_text(d, &c.ev, &bare, &other, &empty_err) == 0)
        report(r, "%s: rendered a request from an empty config", path);
    else if (empty_err.code == ERR_OK || !empty_err.message[0])
        report(r, "%s: render failed on an empty config without saying why", path);
    json_decref(empty);
    buf_reset(&other);

    /* a line break in any setting (a pasted key, a hostile value) never reaches a header:
     * the request is either made without it in a header, or refused with a reason */
    json_t *broken = need(json_deep_copy(c.cfg.config));
    const char *key;
    json_t *value;
    json_object_foreach(broken, key, value) {
        if (!json_is_string(value))
            continue;
        char text[512];
        snprintf(text, sizeof text, "%s\r\nX-Injected: 1", json_string_value(value));
        must(json_object_set_new(broken, key, need(json_string(text))));
    }
    struct dest_config hostile = {.config = broken, .api_base_url = c.cfg.api_base_url};
    struct dest_request req;
    struct error hostile_err = {0};
    dest_request_init(&req, "POST");
    if (destination_render(d, &c.ev, &hostile, &req, &hostile_err) == 0) {
        for (size_t i = 0; i < req.n_headers; i++)
            if (strpbrk(req.header_values[i], "\r\n"))
                report(r, "%s: a line break in a setting reached the %s header", path,
                       req.header_names[i]);
    } else if (hostile_err.code == ERR_OK || !hostile_err.message[0]) {
        report(r, "%s: render failed on settings with line breaks without saying why", path);
    }
    dest_request_free(&req);
    json_decref(broken);

    /* the dedupe key follows the event id */
    if (d->caps & DEST_CAP_IDEMPOTENCY) {
        char id[256];
        snprintf(id, sizeof id, "%s-other", c.ev.id);
        struct dest_event ev = c.ev;
        ev.id = id;
        if (render_text(d, &ev, &c.cfg, &other, &err) < 0)
            report(r, "%s: render with another event id failed: %s", path, err.message);
        else if (other.len == first.len && memcmp(other.data, first.data, first.len) == 0)
            report(r, "%s: DEST_CAP_IDEMPOTENCY, but the event id changes nothing", path);
    }

    /* generic webhooks post the envelope as it is */
    if (d->caps & DEST_CAP_STD_WEBHOOKS) {
        const char *body = strstr(first.data, "\n\n");
        if (!body || strcmp(body + 2, c.ev.envelope) != 0)
            report(r, "%s: DEST_CAP_STD_WEBHOOKS, but the body is not the envelope", path);
    }
out:
    render_case_free(&c);
    buf_free(&first);
    buf_free(&second);
    buf_free(&other);
}

/* ---- classify cases ---------------------------------------------------------------------- */

static const char *verdict_name(enum dest_verdict v)
{
    return v == DEST_DELIVERED ? "delivered" : v == DEST_RETRY ? "retry" : "failed";
}

static void classify_case(const struct destination *d, const char *dir, const char *name,
                          struct report *r)
{
    static const char *const keys[] = {"status", "body", "retry-after", "expect", NULL};
    char path[512];
    struct kv_file f;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (kv_read(path, keys, &f, r) < 0)
        goto out;
    const char *status = kv_get(&f, "status"), *expect = kv_get(&f, "expect");
    const char *body = kv_get(&f, "body");
    char *end = NULL;
    long code = status ? strtol(status, &end, 10) : -1;
    if (!status || !end || *end || code < 0 || code > 599 || !expect ||
        (strcmp(expect, "delivered") != 0 && strcmp(expect, "retry") != 0 &&
         strcmp(expect, "failed") != 0)) {
        report(r, "%s: needs \"status: <0..599>\" and \"expect: delivered|retry|failed\"", path);
        goto out;
    }
    /* the body is copied to memory of its own size, so ASan sees any read past it */
    size_t body_len = body ? strlen(body) : 0;
    char *copy = body ? need(strndup(body, body_len)) : NULL;
    struct dest_response resp = {.status = code, .body = copy, .body_len = body_len,
                                 .retry_after = kv_get(&f, "retry-after")};
    enum dest_verdict v = destination_classify(d, &resp);
    free(copy);
    if (strcmp(verdict_name(v), expect) != 0)
        report(r, "%s: classified %s, expected %s", path, verdict_name(v), expect);
out:
    buf_free(&f.text);
}

/* ---- the tests --------------------------------------------------------------------------- */

/* Each registered destination's case files with the given suffix: fn(d, dir, name, r). */
static void each_case(const char *suffix,
                      void (*fn)(const struct destination *, const char *, const char *,
                                 struct report *),
                      struct report *r)
{
    size_t count;
    const struct destination *const *all = destination_all(&count);
    for (size_t i = 0; i < count; i++) {
        char dir[256];
        struct names files;
        snprintf(dir, sizeof dir, "%s/%s", FIXTURE_ROOT, all[i]->slug);
        if (list_dir(dir, &files) < 0) {
            report(r, "%s: missing: every destination needs fixtures", dir);
            continue;
        }
        for (size_t j = 0; j < files.n; j++)
            if (case_name_ok(files.items[j], suffix))
                fn(all[i], dir, files.items[j], r);
        names_free(&files);
    }
}

static void test_registry_matches_catalog(void **state)
{
    struct report r = {0};
    size_t count, n_catalog;
    const struct destination *const *all = destination_all(&count);
    const struct connector_manifest *catalog = catalog_all(&n_catalog);
    size_t catalog_pos = 0;
    assert_true(count > 0);
    for (size_t i = 0; i < count; i++) {
        const struct destination *d = all[i];
        if (!d->slug || !d->render) {
            report(&r, "destination #%zu has no slug or no render", i);
            continue;
        }
        if (destination_find(d->slug) != d)
            report(&r, "%s: listed twice, or destination_find does not find it", d->slug);
        const struct connector_manifest *m = catalog_find(d->slug);
        if (!m || m->kind != KIND_DESTINATION) {
            report(&r, "%s: not a catalog slug of kind destination", d->slug);
            continue;
        }
        /* destinations.def keeps the catalog's order */
        while (catalog_pos < n_catalog && &catalog[catalog_pos] != m)
            catalog_pos++;
        if (catalog_pos == n_catalog)
            report(&r, "%s: out of the catalog's order in destinations.def", d->slug);
        catalog_pos = catalog_pos == n_catalog ? 0 : catalog_pos + 1;
        bool offers_base = (m->caps & CATALOG_CAP_API_BASE_URL) != 0;
        if (offers_base != (d->default_api_base != NULL))
            report(&r, "%s: default_api_base %s, but the catalog %s the apiBaseUrl setting",
                   d->slug, d->default_api_base ? "set" : "NULL", offers_base ? "offers" : "lacks");
        if (d->default_api_base && strncmp(d->default_api_base, "https://", 8) != 0)
            report(&r, "%s: default_api_base is not https", d->slug);

        char dir[256];
        struct names files;
        snprintf(dir, sizeof dir, "%s/%s", FIXTURE_ROOT, d->slug);
        if (list_dir(dir, &files) < 0) {
            report(&r, "%s: missing: every destination needs fixtures", dir);
            continue;
        }
        size_t renders = 0, classifies = 0;
        for (size_t j = 0; j < files.n; j++) {
            const char *f = files.items[j];
            if (case_name_ok(f, ".in")) {
                renders++;
            } else if (case_name_ok(f, ".classify")) {
                classifies++;
            } else if (case_name_ok(f, ".expect.http")) {
                char in[256];
                snprintf(in, sizeof in, "%.*s.in", (int)(strlen(f) - strlen(".expect.http")), f);
                if (!names_has(&files, in))
                    report(&r, "%s/%s: no %s renders it", dir, f, in);
            } else {
                report(&r, "%s/%s: not a case file (NNN-<case>.in, .expect.http, .classify)",
                       dir, f);
            }
        }
        if (renders == 0)
            report(&r, "%s: no render case (NNN-<case>.in)", dir);
        if (d->classify && classifies == 0)
            report(&r, "%s: has its own classify() but no NNN-<case>.classify", dir);
        names_free(&files);
    }

    /* every fixture folder belongs to a registered destination */
    struct names dirs;
    if (list_dir(FIXTURE_ROOT, &dirs) < 0) {
        report(&r, "%s: missing (run from the repository root)", FIXTURE_ROOT);
    } else {
        for (size_t i = 0; i < dirs.n; i++)
            if (!destination_find(dirs.items[i]))
                report(&r, "%s/%s: no registered destination has this slug", FIXTURE_ROOT,
                       dirs.items[i]);
        names_free(&dirs);
    }
    report_raise(&r);
}

static void test_render_golden(void **state)
{
    struct report r = {0};
    each_case(".in", render_golden_case, &r);
    report_raise(&r);
}

static void test_render_contract(void **state)
{
    struct report r = {0};
    each_case(".in", render_contract_case, &r);
    report_raise(&r);
}

static void test_classify(void **state)
{
    struct report r = {0};
    each_case(".classify", classify_case, &r);
    report_raise(&r);
}

/* The rules every destination without its own classify() follows. */
static void test_default_classify(void **state)
{
    static const struct {
        long status;
        enum dest_verdict want;
    } cases[] = {
        {200, DEST_DELIVERED}, {202, DEST_DELIVERED}, {204, DEST_DELIVERED},
        {0, DEST_RETRY},       {408, DEST_RETRY},     {429, DEST_RETRY},
        {500, DEST_RETRY},     {503, DEST_RETRY},     {301, DEST_FAILED},
        {400, DEST_FAILED},    {401, DEST_FAILED},    {404, DEST_FAILED},
        {410, DEST_FAILED},    {422, DEST_FAILED},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct dest_response resp = {.status = cases[i].status, .body = "", .body_len = 0};
        assert_int_equal(destination_default_classify(&resp), cases[i].want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registry_matches_catalog),
        cmocka_unit_test(test_render_golden),
        cmocka_unit_test(test_render_contract),
        cmocka_unit_test(test_classify),
        cmocka_unit_test(test_default_classify),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
