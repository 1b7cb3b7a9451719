/* chat/llm.c - the optional language model: an OpenAI-compatible chat-completions endpoint
 * that the operator configured (URL, model, key). Without one nothing here runs and nothing
 * leaves the server.
 *
 * The model gets the question and the read queries as tools (assistant/queries.h: the same
 * ones the grammar and MCP use); it may call them for a few rounds, and its final text is
 * sent only when every figure in it is one of the figures the tools returned (or the
 * question named): numbers are read from the text in both notations (1.234,56 and
 * 1,234.56), reduced to one canonical form and looked up among the results'. A reply with
 * any other number is dropped, and the caller answers as if nothing had been understood.
 * The reply names the queries its figures came from. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "assistant/queries.h"
#include "chat/chat_int.h"
#include "core/json.h"
#include "core/log.h"

#define MAX_ROUNDS 4
#define MAX_FIGURES 4096
#define FIGURE_MAX 40
#define STRUCTURAL_MAX 31 /* list numbers, days, counts below this need no source */

struct figures {
    char (*v)[FIGURE_MAX];
    size_t n;
};

static void figure_add(struct figures *f, const char *canon)
{
    if (f->n < MAX_FIGURES && canon[0]) {
        snprintf(f->v[f->n], FIGURE_MAX, "%s", canon);
        f->n++;
    }
}

static bool figure_known(const struct figures *f, const char *canon)
{
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->v[i], canon) == 0)
            return true;
    return false;
}

/* A number as written ("1.234,56", "1,234.56", "1234", "0042") in one form: the integer part
 * without separators or leading zeros, and ".dd" when it has a decimal part (the last '.'
 * or ',' followed by one to three digits, when it is not a thousands group). */
static void canonical(const char *s, size_t len, char out[FIGURE_MAX])
{
    const char *dec = NULL;
    size_t dots = 0, commas = 0;
    for (size_t i = 0; i < len; i++) {
        dots += s[i] == '.';
        commas += s[i] == ',';
        if (s[i] == '.' || s[i] == ',')
            dec = s + i;
    }
    if (dec && !(dots && commas)) {
        /* One kind of mark: several, or one before three digits, group thousands. */
        size_t after = (size_t)(s + len - dec - 1);
        if (dots + commas > 1 || after == 3)
            dec = NULL;
    }
    size_t o = 0;
    bool lead = true;
    for (size_t i = 0; i < len && o + 2 < FIGURE_MAX; i++) {
        if (dec && s + i == dec)
            break;
        if (!isdigit((unsigned char)s[i]))
            continue;
        if (lead && s[i] == '0')
            continue;
        lead = false;
        out[o++] = s[i];
    }
    if (!o)
        out[o++] = '0';
    if (dec) {
        out[o++] = '.';
        for (const char *p = dec + 1; p < s + len && o + 1 < FIGURE_MAX; p++)
            out[o++] = *p;
        while (out[o - 1] == '0' && out[o - 2] != '.') /* 12.50 and 12.5 are one figure */
            o--;
    }
    out[o] = '\0';
}

/* Calls fn for each number in text: digits with single '.' or ',' between them. */
static void each_number(const char *text, void (*fn)(void *ctx, const char *canon), void *ctx)
{
    const char *p = text;
    while (*p) {
        if (!isdigit((unsigned char)*p)) {
            p++;
            continue;
        }
        const char *start = p;
        while (isdigit((unsigned char)*p) ||
               ((*p == '.' || *p == ',') && isdigit((unsigned char)p[1])))
            p++;
        char canon[FIGURE_MAX];
        canonical(start, (size_t)(p - start), canon);
        fn(ctx, canon);
    }
}

static void add_cb(void *ctx, const char *canon)
{
    figure_add(ctx, canon);
}

/* Every figure in a result: numbers, and the numbers inside its strings (dates, amounts'
 * decimal text, invoice numbers). */
static void collect(struct figures *f, const json_t *v)
{
    size_t i;
    const char *key;
    json_t *child;
    char text[64];
    if (json_is_integer(v)) {
        snprintf(text, sizeof text, "%lld", (long long)json_integer_value(v));
        each_number(text, add_cb, f);
    } else if (json_is_string(v)) {
        each_number(json_string_value(v), add_cb, f);
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, child)
            collect(f, child);
    } else if (json_is_object(v)) {
        json_object_foreach((json_t *)v, key, child)
            collect(f, child);
    }
}

struct check {
    const struct figures *known;
    bool invented;
};

static void check_cb(void *ctx, const char *canon)
{
    struct check *c = ctx;
    bool small = !strchr(canon, '.') && strlen(canon) <= 2 && atoi(canon) <= STRUCTURAL_MAX;
    if (!small && !figure_known(c->known, canon))
        c->invented = true;
}

static bool grounded(const char *reply, const struct figures *known)
{
    struct check chk = {.known = known};
    each_number(reply, check_cb, &chk);
    return !chk.invented;
}

bool chat_llm_grounded(const char *reply, const json_t *results, const char *question)
{
    struct figures known = {.v = calloc(MAX_FIGURES, FIGURE_MAX)};
    if (!known.v)
        return false;
    collect(&known, results);
    each_number(question ? question : "", add_cb, &known);
    bool ok = grounded(reply, &known);
    free(known.v);
    return ok;
}

/* ---- the conversation ------------------------------------------------------------------ */

static json_t *tools_json(void)
{
    size_t n;
    const struct assistant_query *q = assistant_queries(&n);
    json_t *tools = json_array();
    for (size_t i = 0; tools && i < n; i++) {
        json_t *schema = json_loads(q[i].input_schema, 0, NULL);
        json_array_append_new(tools, json_pack("{sss{sssssO}}", "type", "function", "function",
                                               "name", q[i].name, "description",
                                               q[i].description, "parameters", schema));
        json_decref(schema);
    }
    return tools;
}

static json_t *ask(struct chat *c, const json_t *messages, const json_t *tools, struct error *err)
{
    json_t *body = json_pack("{sssOsO}", "model", c->llm_model ? c->llm_model : "", "messages",
                             messages, "tools", tools);
    struct buf resp;
    bool retry;
    json_t *answer = NULL;
    if (!body) {
        error_set(err, ERR_INTERNAL, "out of memory");
        return NULL;
    }
    if (chat_call_operator(c, c->llm_url, c->llm_key, body, &resp, &retry, err) == 0) {
        answer = json_loadb(resp.data ? resp.data : "", resp.len, 0, NULL);
        if (!answer)
            error_set(err, ERR_SERVICE_FAILED, "the model's answer is no JSON");
    }
    buf_free(&resp);
    json_decref(body);
    return answer;
}

/* Runs each tool call of msg and appends the results to messages; names the queries used. */
static int run_tools(struct chat *c, const char *tenant_id, const json_t *calls, json_t *messages,
                     struct figures *known, struct buf *used, enum chat_lang lang)
{
    size_t i;
    const json_t *call;
    json_array_foreach(calls, i, call) {
        const json_t *fn = json_object_get(call, "function");
        const char *name = json_string_value(json_object_get(fn, "name"));
        const char *args_text = json_string_value(json_object_get(fn, "arguments"));
        json_t *args = args_text ? json_loads(args_text, 0, NULL) : NULL;
        json_t *res = NULL;
        struct error qerr = {0};
        char *content;
        if (assistant_query_run(c->store, tenant_id, name, args, &res, &qerr) < 0) {
            json_t *e = json_pack("{ss}", "error", qerr.message);
            content = json_dump_compact(e, NULL);
            json_decref(e);
        } else {
            const struct assistant_query *q = assistant_query_find(name);
            collect(known, res);
            if (q && !(used->data && strstr(used->data, lang == CHAT_DE ? q->title_de : q->title_en)))
                buf_printf(used, lang == CHAT_DE ? "%s„%s“" : "%s“%s”", used->len ? ", " : "",
                           lang == CHAT_DE ? q->title_de : q->title_en);
            content = json_dump_compact(res, NULL);
        }
        json_array_append_new(messages,
                              json_pack("{sssOss}", "role", "tool", "tool_call_id",
                                        json_object_get(call, "id") ? json_object_get(call, "id")
                                                                    : json_string(""),
                                        "content", content ? content : "{}"));
        free(content);
        json_decref(args);
        json_decref(res);
    }
    return 0;
}

int chat_llm_answer(struct chat *c, const char *tenant_id, const char *text,
                    enum chat_lang lang, char **reply, struct error *err)
{
    struct figures known = {.v = calloc(MAX_FIGURES, FIGURE_MAX)};
    struct buf used;
    json_t *tools = tools_json(), *answer = NULL;
    json_t *messages = json_pack(
        "[{ss,ss},{ss,ss}]", "role", "system", "content",
        "You are the accounting assistant of a small business. Answer only from the results "
        "of the tools, which read the business's own books; never estimate or invent a "
        "figure. Amounts are given as minor units, currency and decimal value. Answer in the "
        "language of the question, briefly.",
        "role", "user", "content", text);
    int rc = -1;
    *reply = NULL;
    buf_init(&used, 1024);
    if (!known.v || !tools || !messages) {
        error_set(err, ERR_INTERNAL, "out of memory");
        goto out;
    }
    each_number(text, add_cb, &known); /* the question's own numbers (a year asked about) */
    for (int round = 0; round < MAX_ROUNDS; round++) {
        json_decref(answer);
        if (!(answer = ask(c, messages, tools, err)))
            goto out;
        const json_t *msg = json_object_get(json_array_get(json_object_get(answer, "choices"), 0), "message");
        const json_t *calls = json_object_get(msg, "tool_calls");
        if (json_array_size(calls)) {
            json_array_append(messages, (json_t *)msg);
            run_tools(c, tenant_id, calls, messages, &known, &used, lang);
            continue;
        }
        const char *content = json_string_value(json_object_get(msg, "content"));
        if (!content || !*content) {
            error_set(err, ERR_SERVICE_FAILED, "the model answered nothing");
            goto out;
        }
        if (!grounded(content, &known)) {
            error_set(err, ERR_SERVICE_FAILED, "the model's answer holds a figure no query returned");
            goto out;
        }
        struct buf out;
        buf_init(&out, 8192);
        if (used.len)
            buf_printf(&out, lang == CHAT_DE ? "%s\n(Quelle: Abfrage %s)" : "%s\n(source: query %s)",
                       content, used.data);
        else
            buf_append_str(&out, content);
        *reply = buf_take(&out, NULL);
        rc = *reply ? 0 : error_set(err, ERR_INTERNAL, "out of memory");
        goto out;
    }
    error_set(err, ERR_SERVICE_FAILED, "the model asked for tools %d times without answering",
              MAX_ROUNDS);
out:
    free(known.v);
    buf_free(&used);
    json_decref(tools);
    json_decref(messages);
    json_decref(answer);
    return rc;
}
