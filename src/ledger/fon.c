/* ledger/fon.c - FinanzOnline's web services (accounting-and-sync.md §2.2, §2.3): the
 * session service (login, logout) and the file upload service, SOAP 1.1 over HTTPS.
 *
 * login(tid, benid, pin, herstellerid) gives a session id; upload(tid, benid, id, art,
 * uebermittlung, data) sends the U30 document (uebermittlung T: FinanzOnline's test mode,
 * checked but not filed; P: filed); logout(tid, benid, id) ends the session, also when the
 * upload failed. Every answer carries rc (0: success) and msg. rc -1 (session invalid),
 * -2 (maintenance) and -3 (technical error) are the service's own failures; every other
 * non-zero rc is a refusal the user must act on (wrong PIN, locked user, a file the
 * schema check rejects).
 *
 * The PIN goes into the login envelope only; envelopes are never logged. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "core/log.h"
#include "httpc/httpc.h"
#include "ledger/ledger.h"
#include "store/installs.h"

#define SOAP_ENV "http://schemas.xmlsoap.org/soap/envelope/"
#define NS_SESSION "https://finanzonline.bmf.gv.at/fon/ws/session"
#define NS_UPLOAD "https://finanzonline.bmf.gv.at/fon/ws/fileupload"
#define FON_TIMEOUT_MS 60000
#define FON_CONNECT_TIMEOUT_MS 10000

/* ---- the connector's settings ------------------------------------------------------- */

static int copy_setting(const json_t *config, const char *key, char *out, size_t cap,
                        struct error *err)
{
    const char *v = json_string_value(json_object_get(config, key));
    if (!v || !*v)
        return error_set(err, ERR_VALIDATION, "the finanzonline connector has no %s", key);
    if (strlen(v) >= cap)
        return error_set(err, ERR_VALIDATION, "the finanzonline connector's %s is too long", key);
    memcpy(out, v, strlen(v) + 1);
    return 0;
}

int ledger_fon_account_load(struct store *s, const char *tenant_id,
                            const unsigned char *master_key, bool with_pin,
                            struct ledger_fon_account *out, struct error *err)
{
    struct install inst = {0};
    struct error get_err = {0};
    json_t *config = NULL, *secrets = NULL;
    char tax_number[64];
    int rc = -1;
    memset(out, 0, sizeof *out);
    if (store_install_get_slug(s, tenant_id, "finanzonline", &inst, &get_err) < 0) {
        if (get_err.code == ERR_NOT_FOUND)
            return error_set(err, ERR_NOT_INSTALLED,
                             "the finanzonline connector is not installed; install it (POST "
                             "/api/connectors/finanzonline/install) with the participant id, "
                             "web service user, PIN and tax number");
        *err = get_err;
        return -1;
    }
    config = json_loads(inst.config, 0, NULL);
    secrets = json_loads(inst.secrets, 0, NULL);
    if (!config || !secrets) {
        error_set(err, ERR_STORE, "stored config of %s is not JSON", inst.id);
        goto out;
    }
    const char *base = json_string_value(json_object_get(config, "apiBaseUrl"));
    snprintf(out->base_url, sizeof out->base_url, "%s",
             base && *base ? base : LEDGER_FON_DEFAULT_BASE);
    if (copy_setting(config, "participantId", out->participant_id, sizeof out->participant_id,
                     err) < 0 ||
        copy_setting(config, "userId", out->user_id, sizeof out->user_id, err) < 0 ||
        copy_setting(config, "taxNumber", tax_number, sizeof tax_number, err) < 0 ||
        ledger_u30_tax_number(tax_number, out->tax_number, err) < 0)
        goto out;
    if (with_pin) {
        char aad_prefix[2 * CRYPTO_ID_MAX + 2];
        struct buf pin;
        buf_init(&pin, sizeof out->pin - 1);
        snprintf(aad_prefix, sizeof aad_prefix, "%s/%s", inst.tenant_id, inst.id);
        int opened = catalog_secret_open(secrets, "pin", master_key, aad_prefix, &pin, err);
        if (opened == 0 && pin.len > 0)
            memcpy(out->pin, pin.data, pin.len);
        if (pin.data)
            explicit_bzero(pin.data, pin.len);
        buf_free(&pin);
        if (opened < 0) {
            if (err->code == ERR_NOT_FOUND)
                error_set(err, ERR_VALIDATION, "the finanzonline connector has no PIN");
            goto out;
        }
    }
    rc = 0;
out:
    json_decref(config);
    json_decref(secrets);
    store_install_clear(&inst);
    if (rc < 0)
        ledger_fon_account_wipe(out);
    return rc;
}

void ledger_fon_account_wipe(struct ledger_fon_account *a)
{
    explicit_bzero(a->pin, sizeof a->pin);
}

/* ---- envelopes ---------------------------------------------------------------------- */

/* Appends text with XML's five special characters escaped. */
static int xml_text(struct buf *out, const char *s)
{
    for (const char *p = s; *p; p++) {
        const char *e = *p == '&'    ? "&amp;"
                        : *p == '<'  ? "&lt;"
                        : *p == '>'  ? "&gt;"
                        : *p == '"'  ? "&quot;"
                        : *p == '\'' ? "&apos;"
                                     : NULL;
        if (e ? buf_append_str(out, e) < 0 : buf_append(out, p, 1) < 0)
            return -1;
    }
    return 0;
}

/* "<prefix:name>escaped value</prefix:name>" */
static int element(struct buf *out, const char *prefix, const char *name, const char *value)
{
    if (buf_printf(out, "<%s:%s>", prefix, name) < 0 || xml_text(out, value) < 0 ||
        buf_printf(out, "</%s:%s>", prefix, name) < 0)
        return -1;
    return 0;
}

int ledger_fon_login_envelope(struct buf *out, const struct ledger_fon_account *a,
                              const char *vendor_id)
{
    if (buf_append_str(out, "<soapenv:Envelope xmlns:soapenv=\"" SOAP_ENV "\" xmlns:ses=\"" NS_SESSION
                            "\">\n<soapenv:Header/>\n<soapenv:Body>\n<ses:loginRequest>\n") < 0 ||
        element(out, "ses", "tid", a->participant_id) < 0 ||
        element(out, "ses", "benid", a->user_id) < 0 || element(out, "ses", "pin", a->pin) < 0 ||
        element(out, "ses", "herstellerid", vendor_id) < 0 ||
        buf_append_str(out, "\n</ses:loginRequest>\n</soapenv:Body>\n</soapenv:Envelope>\n") < 0)
        return -1;
    return 0;
}

int ledger_fon_upload_envelope(struct buf *out, const struct ledger_fon_account *a,
                               const char *session_id, bool test, const char *xml)
{
    if (buf_append_str(out, "<soapenv:Envelope xmlns:soapenv=\"" SOAP_ENV "\" xmlns:fil=\"" NS_UPLOAD
                            "\">\n<soapenv:Header/>\n<soapenv:Body>\n<fil:fileuploadRequest>\n") < 0 ||
        element(out, "fil", "tid", a->participant_id) < 0 ||
        element(out, "fil", "benid", a->user_id) < 0 || element(out, "fil", "id", session_id) < 0 ||
        element(out, "fil", "art", "U30") < 0 ||
        element(out, "fil", "uebermittlung", test ? "T" : "P") < 0 ||
        buf_append_str(out, "<fil:data><![CDATA[") < 0)
        return -1;
    /* The document as CDATA; a "]]>" inside it would end the section, so split it there. */
    for (const char *p = xml; *p;) {
        const char *end = strstr(p, "]]>");
        size_t n = end ? (size_t)(end - p) + 2 : strlen(p);
        if (buf_append(out, p, n) < 0 || (end && buf_append_str(out, "]]><![CDATA[") < 0))
            return -1;
        p += n;
    }
    if (buf_append_str(out, "]]></fil:data>\n</fil:fileuploadRequest>\n</soapenv:Body>\n"
                            "</soapenv:Envelope>\n") < 0)
        return -1;
    return 0;
}

int ledger_fon_logout_envelope(struct buf *out, const struct ledger_fon_account *a,
                               const char *session_id)
{
    if (buf_append_str(out, "<soapenv:Envelope xmlns:soapenv=\"" SOAP_ENV "\" xmlns:ses=\"" NS_SESSION
                            "\">\n<soapenv:Header/>\n<soapenv:Body>\n<ses:logoutRequest>\n") < 0 ||
        element(out, "ses", "tid", a->participant_id) < 0 ||
        element(out, "ses", "benid", a->user_id) < 0 || element(out, "ses", "id", session_id) < 0 ||
        buf_append_str(out, "\n</ses:logoutRequest>\n</soapenv:Body>\n</soapenv:Envelope>\n") < 0)
        return -1;
    return 0;
}

/* ---- answers ------------------------------------------------------------------------ */

/* Decodes the text of an element (entities, numeric references up to U+00FF kept as
 * UTF-8) into out, at most cap - 1 bytes. */
static void xml_decode(const char *s, size_t len, char *out, size_t cap)
{
    static const struct {
        const char *name;
        char c;
    } entities[] = {{"&lt;", '<'}, {"&gt;", '>'}, {"&amp;", '&'}, {"&quot;", '"'}, {"&apos;", '\''}};
    size_t n = 0;
    for (size_t i = 0; i < len && n + 1 < cap;) {
        bool done = false;
        for (size_t k = 0; s[i] == '&' && k < sizeof entities / sizeof entities[0]; k++) {
            size_t el = strlen(entities[k].name);
            if (i + el <= len && strncmp(s + i, entities[k].name, el) == 0) {
                out[n++] = entities[k].c;
                i += el;
                done = true;
                break;
            }
        }
        if (!done && s[i] == '&' && i + 2 < len && s[i + 1] == '#') {
            char *end = NULL;
            bool hex = s[i + 2] == 'x';
            long cp = strtol(s + i + (hex ? 3 : 2), &end, hex ? 16 : 10);
            if (end && (size_t)(end - s) < len && *end == ';' && cp > 0 && cp < 0x800) {
                if (cp < 0x80) {
                    out[n++] = (char)cp;
                } else if (n + 2 < cap) {
                    out[n++] = (char)(0xC0 | (cp >> 6));
                    out[n++] = (char)(0x80 | (cp & 0x3F));
                }
                i = (size_t)(end - s) + 1;
                done = true;
            }
        }
        if (!done)
            out[n++] = s[i++];
    }
    out[n] = '\0';
}

/* The text of the first element whose local name (without a prefix) is name. */
static bool find_element(const char *body, size_t len, const char *name, char *out, size_t cap)
{
    size_t nlen = strlen(name);
    for (size_t i = 0; i < len; i++) {
        if (body[i] != '<' || i + 1 >= len || body[i + 1] == '/' || body[i + 1] == '?' ||
            body[i + 1] == '!')
            continue;
        size_t start = i + 1, end = start;
        while (end < len && body[end] != '>' && body[end] != '/' && body[end] != ' ' &&
               body[end] != '\t' && body[end] != '\r' && body[end] != '\n')
            end++;
        size_t local = start;
        for (size_t k = start; k < end; k++)
            if (body[k] == ':')
                local = k + 1;
        if (end - local != nlen || strncmp(body + local, name, nlen) != 0)
            continue;
        const char *gt = memchr(body + end, '>', len - end);
        if (!gt)
            return false;
        if (gt > body && gt[-1] == '/') { /* <rc/> */
            out[0] = '\0';
            return true;
        }
        const char *text = gt + 1;
        const char *lt = memchr(text, '<', len - (size_t)(text - body));
        size_t tlen = lt ? (size_t)(lt - text) : len - (size_t)(text - body);
        xml_decode(text, tlen, out, cap);
        return true;
    }
    return false;
}

void ledger_fon_parse(const char *body, size_t len, struct ledger_fon_answer *out)
{
    char rc[32];
    out->answered = false;
    out->rc = 0;
    out->message[0] = '\0';
    out->session_id[0] = '\0';
    if (!body)
        return;
    if (find_element(body, len, "rc", rc, sizeof rc)) {
        char *end = NULL;
        long v = strtol(rc, &end, 10);
        if (end != rc && *end == '\0') {
            out->rc = v;
            out->answered = true;
        }
    }
    if (!find_element(body, len, "msg", out->message, sizeof out->message))
        find_element(body, len, "faultstring", out->message, sizeof out->message);
    find_element(body, len, "id", out->session_id, sizeof out->session_id);
}

/* ---- the sequence ------------------------------------------------------------------- */

/* What a session rc means, for the error message. */
static const char *rc_meaning(long rc)
{
    switch (rc) {
    case -1: return "session invalid or expired";
    case -2: return "FinanzOnline is in maintenance; try again later";
    case -3: return "technical error at FinanzOnline; try again later";
    case -4: return "wrong participant id, user id or PIN";
    case -5: return "the user is locked after too many wrong logins";
    case -6: return "the user is locked";
    case -7: return "the user is not a web service user";
    case -8: return "the participant is locked or not authorised for web services";
    default: return "refused";
    }
}

/* POSTs one envelope and reads the answer. Fills *answer; 0 only when the service
 * answered with rc 0. */
static int call(const struct ledger_fon_account *a, const char *path, const char *action,
                const struct buf *envelope, bool allow_private, struct ledger_fon_answer *answer,
                struct error *err)
{
    struct buf url;
    struct httpc_response resp = {0};
    struct error net = {0};
    int rc = -1;
    buf_init(&url, 0);
    memset(answer, 0, sizeof *answer);
    snprintf(answer->operation, sizeof answer->operation, "%s", action);
    if (httpc_url_join(&url, a->base_url, path, NULL) < 0)
        return error_set(err, ERR_INTERNAL, "out of memory");
    const struct httpc_header headers[] = {{"Content-Type", "text/xml;charset=UTF-8"},
                                           {"SOAPAction", action}};
    const struct httpc_request req = {.method = "POST",
                                      .url = url.data,
                                      .headers = headers,
                                      .n_headers = 2,
                                      .body = envelope->data,
                                      .body_len = envelope->len,
                                      .timeout_ms = FON_TIMEOUT_MS,
                                      .connect_timeout_ms = FON_CONNECT_TIMEOUT_MS,
                                      .refuse_private = !allow_private};
    if (httpc_perform(&req, &resp, &net) < 0) {
        error_set(err, ERR_SERVICE_FAILED, "FinanzOnline could not be reached (%s): %s", action,
                  net.message);
        goto out;
    }
    ledger_fon_parse(resp.body.data, resp.body.len, answer);
    if (!answer->answered) {
        error_set(err, ERR_SERVICE_FAILED,
                  "FinanzOnline answered the %s with HTTP %ld and no result%s%s", action,
                  resp.status, answer->message[0] ? ": " : "", answer->message);
        goto out;
    }
    if (answer->rc != 0) {
        bool own_failure = answer->rc >= -3 && answer->rc <= -1;
        error_set(err, own_failure ? ERR_SERVICE_FAILED : ERR_SERVICE_REFUSED,
                  "FinanzOnline refused the %s: rc %ld (%s)%s%s", action, answer->rc,
                  rc_meaning(answer->rc), answer->message[0] ? ": " : "", answer->message);
        goto out;
    }
    rc = 0;
out:
    httpc_response_free(&resp);
    buf_free(&url);
    return rc;
}

int ledger_fon_send(const struct ledger_fon_account *a, const char *vendor_id, bool test,
                    const char *xml, bool allow_private, struct ledger_fon_answer *answer,
                    struct error *err)
{
    struct buf env;
    struct ledger_fon_answer login, bye;
    char session[sizeof login.session_id];
    int rc = -1;
    buf_init(&env, 0);
    if (ledger_fon_login_envelope(&env, a, vendor_id) < 0) {
        error_set(err, ERR_INTERNAL, "out of memory");
        goto out;
    }
    int logged_in = call(a, LEDGER_FON_SESSION_PATH, "login", &env, allow_private, &login, err);
    explicit_bzero(env.data, env.len); /* it holds the PIN */
    if (logged_in < 0) {
        *answer = login;
        goto out;
    }
    if (!login.session_id[0]) {
        *answer = login;
        error_set(err, ERR_SERVICE_FAILED, "FinanzOnline's login answer has no session id");
        goto out;
    }
    memcpy(session, login.session_id, sizeof session);

    buf_reset(&env);
    if (ledger_fon_upload_envelope(&env, a, session, test, xml) < 0) {
        error_set(err, ERR_INTERNAL, "out of memory");
    } else {
        rc = call(a, LEDGER_FON_UPLOAD_PATH, "upload", &env, allow_private, answer, err);
    }

    /* The session ends whatever the upload did; a failed logout changes nothing sent. */
    struct error logout_err = {0};
    buf_reset(&env);
    if (ledger_fon_logout_envelope(&env, a, session) < 0 ||
        call(a, LEDGER_FON_SESSION_PATH, "logout", &env, allow_private, &bye, &logout_err) < 0)
        log_warn("FinanzOnline logout failed: %s", logout_err.message[0] ? logout_err.message
                                                                         : "out of memory");
out:
    if (env.data)
        explicit_bzero(env.data, env.len);
    buf_free(&env);
    return rc;
}
