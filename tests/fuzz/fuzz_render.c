/* tests/fuzz/fuzz_render.c - an event from outside on its way to a destination: the
 * publish API's checks of its data (events_type_find, events_data_check, as POST
 * /api/projects/:id/events runs them), a destination's eventTypes subscription
 * (events_subscription_parse, events_subscription_matches), and then every destination's
 * render (destination_render, with src/outbound/text.c) of that event under the config the
 * input gives, once the catalog accepts that config (catalog_config_validate), as it must
 * before a config is stored. Not in the engine's path: signing and sending.
 *
 * Input: the destination fixtures' .in lines (tests/fixtures/destinations/<slug>/NNN-<case>.in): "event:"
 * the envelope as stored, "config:" the destination's config, and a first line
 * "slug: <destination>" that picks the destination (an unknown slug renders nothing). Seeds:
 * every .in fixture (tests/fuzz/seeds). Promises: an event the checks accept renders or is
 * refused with a valid UTF-8 message; a rendered request has a method, an http(s) URL and
 * headers of printable bytes without line breaks; a JSON body parses; rendering the same
 * event twice gives the same bytes (destinations are pure). */
#include <stdio.h>
#include <strings.h>

#include "fuzz.h"
#include "catalog/catalog.h"
#include "events/events.h"
#include "outbound/destination.h"

static const char *line_value(char *text, const char *key)
{
    size_t kl = strlen(key);
    for (char *line = text; line && *line;) {
        char *next = strchr(line, '\n');
        if (strncmp(line, key, kl) == 0 && line[kl] == ':' && line[kl + 1] == ' ') {
            if (next)
                *next = '\0';
            return line + kl + 2;
        }
        line = next ? next + 1 : NULL;
    }
    return NULL;
}

static bool header_ok(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return false;
    return true;
}

static void check_request(const struct dest_request *r)
{
    must(r->method[0] && r->url.len > 0);
    must(strncmp(r->url.data, "https://", 8) == 0 || strncmp(r->url.data, "http://", 7) == 0);
    must(header_ok(r->url.data));
    bool json = false;
    for (size_t i = 0; i < r->n_headers; i++) {
        must(r->header_names[i][0] && header_ok(r->header_names[i]) &&
             header_ok(r->header_values[i]));
        json |= strcasecmp(r->header_names[i], "Content-Type") == 0 &&
                strncmp(r->header_values[i], "application/json", 16) == 0;
    }
    if (json && r->body.len) {
        json_t *back = json_loadb(r->body.data, r->body.len, 0, NULL);
        must(back != NULL);
        json_decref(back);
    }
}

static bool same_request(const struct dest_request *a, const struct dest_request *b)
{
    if (strcmp(a->method, b->method) != 0 || a->url.len != b->url.len ||
        memcmp(a->url.data, b->url.data, a->url.len) != 0 || a->n_headers != b->n_headers ||
        a->body.len != b->body.len || (a->body.len && memcmp(a->body.data, b->body.data,
                                                              a->body.len) != 0))
        return false;
    for (size_t i = 0; i < a->n_headers; i++)
        if (strcmp(a->header_names[i], b->header_names[i]) != 0 ||
            strcmp(a->header_values[i], b->header_values[i]) != 0)
            return false;
    return true;
}

/* An id as connectord makes them (crypto_id_new: a prefix, '_', hex digits; the seeds add
 * longer ones) is printable ASCII: the publish API takes no id from the client, so a stored
 * event's id is always one, and the renders put it in headers (Idempotency-Key), where other
 * bytes of the input would not belong. */
static bool made_id(const char *s)
{
    if (!s || !*s)
        return false;
    for (; *s; s++)
        if (*s <= ' ' || *s > '~')
            return false;
    return true;
}

/* A config is stored only once the catalog accepts it (PUT .../config, installs). */
static bool config_accepted(const char *slug, const json_t *config)
{
    const struct connector_manifest *m = catalog_find(slug);
    json_t *errors = NULL;
    struct error err = {0};
    if (!m)
        return false;
    if (catalog_config_validate(m, config, NULL, NULL, &errors, &err) == 0)
        return true;
    json_decref(errors);
    return false;
}

static void fuzz_subscription(const struct destination *d, const json_t *config,
                              const char *type)
{
    json_t *problem = NULL;
    char *stored = events_subscription_parse(json_object_get(config, "eventTypes"), d->slug,
                                             d->accepts, &problem);
    if (stored) {
        json_t *list = json_loads(stored, 0, NULL);
        must(json_is_array(list) && json_array_size(list) >= 1 &&
             json_array_size(list) <= EVENTS_SUBSCRIPTION_MAX);
        json_decref(list);
        (void)events_subscription_matches(stored, type);
        free(stored);
    }
    json_decref(problem);
}

static void fuzz_render(const struct destination *d, const struct dest_event *ev,
                        const json_t *config)
{
    struct dest_config cfg = {.config = config, .api_base_url = d->default_api_base};
    struct dest_request first, again;
    struct error err = {0};
    dest_request_init(&first, "POST");
    dest_request_init(&again, "POST");
    if (destination_render(d, ev, &cfg, &first, &err) == 0) {
        check_request(&first);
        must(destination_render(d, ev, &cfg, &again, &err) == 0);
        must(same_request(&first, &again));
    } else {
        must(valid_utf8(err.message));
    }
    dest_request_free(&first);
    dest_request_free(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FUZZ_INPUT_MAX)
        return 0;
    char *text = fuzz_text_copy(data, size);
    char *copy = text ? strdup(text) : NULL, *copy2 = copy ? strdup(text) : NULL;
    if (!copy2)
        goto out;
    const char *slug = line_value(text, "slug");
    const char *event = line_value(copy, "event");
    const char *config_text = line_value(copy2, "config");
    const struct destination *d = slug ? destination_find(slug) : NULL;
    if (!d || !event || !config_text)
        goto out;
    json_t *envelope = json_loads(event, JSON_REJECT_DUPLICATES, NULL);
    json_t *config = json_loads(config_text, JSON_REJECT_DUPLICATES, NULL);
    const char *type = json_string_value(json_object_get(envelope, "type"));
    const struct event_type *t = type ? events_type_find(type) : NULL;
    json_t *evdata = json_object_get(envelope, "data");
    json_t *problems = json_array();
    if (t && json_is_object(evdata) && json_is_object(config) && problems &&
        events_data_check(t, evdata, problems) == 0 && config_accepted(slug, config)) {
        struct dest_event ev = {
            .id = json_string_value(json_object_get(envelope, "id")),
            .type = type,
            .created_at = json_string_value(json_object_get(envelope, "createdAt")),
            .project_id = json_string_value(json_object_get(envelope, "projectId")),
            .data = evdata,
            .envelope = event,
        };
        events_read(ev.data, &ev.fields); /* as the engine does, once per event */
        fuzz_subscription(d, config, type);
        if (made_id(ev.id) && ev.created_at && ev.project_id)
            fuzz_render(d, &ev, config);
    }
    json_decref(problems);
    json_decref(envelope);
    json_decref(config);
out:
    free(copy2);
    free(copy);
    free(text);
    return 0;
}
