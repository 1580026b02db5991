/* bugzilla.c - Bugzilla REST client over libcurl (see bugzilla.h).
 *
 * One easy handle per client, so whoami and the POST that follows share a
 * connection. Every request sets its options afresh (curl_easy_reset), so no
 * option of one request leaks into the next. */
#include <string.h>

#include <curl/curl.h>
#include <json-glib/json-glib.h>

#include "secret.h"
#include "bugzilla.h"
#include "cpr_error.h"
#include "curlutil.h"
#include "testhooks.h"

#define KEY_HEADER "X-BUGZILLA-API-KEY: "

struct BugzillaClient {
    CURL *curl;
    char *base_url; /* without trailing '/' */
    char *ca_file;
    char *key_header; /* KEY_HEADER + key; wiped on free */
    BugzillaOptions opt;
    gboolean blocked;
    long last_status;
    gint64 last_code;
    char errbuf[CURL_ERROR_SIZE];
};

static BugzillaOptions bugzilla_options_default(void)
{
    return (BugzillaOptions){
        .connect_timeout_ms = 10000,
        .timeout_ms = 30000,
        .max_response_bytes = 1024 * 1024,
    };
}

/* A key is sent in a header: anything but printable ASCII would let a
 * corrupted key file inject header lines. */
static gboolean key_ok(const char *key)
{
    for (const char *p = key; *p; p++)
        if (*p < 0x21 || *p > 0x7e)
            return FALSE;
    return *key != '\0';
}

BugzillaClient *bugzilla_client_new(const Config *cfg, const BugzillaOptions *options,
                                    GError **error)
{
    if (!cfg->bugzilla_url || !cfg->bugzilla_api_key_file) {
        g_set_error(error, CPR_ERROR, CPR_ERROR_CONFIG,
                    "%s: [bugzilla] needs url and api_key_file to file bugs", cfg->path);
        return NULL;
    }
    if (g_ascii_strncasecmp(cfg->bugzilla_url, "https://", 8) != 0) {
        g_set_error(error, CPR_ERROR, CPR_ERROR_CONFIG,
                    "%s: [bugzilla] url: expected an https:// URL (the API key must not travel "
                    "in clear)",
                    cfg->path);
        return NULL;
    }
    char *key = secret_read(cfg->bugzilla_api_key_file, error);
    if (!key)
        return NULL;
    if (!key_ok(key)) {
        secret_free(&key);
        g_set_error(error, CPR_ERROR, CPR_ERROR_CONFIG,
                    "%s: [bugzilla] api_key_file: the key must be one line of printable ASCII",
                    cfg->path);
        return NULL;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        secret_free(&key);
        g_set_error(error, CPR_ERROR, CPR_ERROR_CONNECTION, "curl initialisation failed");
        return NULL;
    }
    BugzillaClient *c = g_new0(BugzillaClient, 1);
    c->curl = curl_easy_init();
    c->base_url = g_strdup(cfg->bugzilla_url);
    gsize n = strlen(c->base_url);
    while (n > 8 && c->base_url[n - 1] == '/')
        c->base_url[--n] = '\0';
    c->ca_file = g_strdup(cfg->bugzilla_ca_file);
    c->key_header = g_strconcat(KEY_HEADER, key, NULL);
    secret_free(&key);
    c->opt = options ? *options : bugzilla_options_default();
    if (!c->curl) {
        bugzilla_client_free(&c);
        g_set_error(error, CPR_ERROR, CPR_ERROR_CONNECTION, "curl_easy_init failed");
        return NULL;
    }
    return c;
}

void bugzilla_client_free(BugzillaClient **client)
{
    if (!client || !*client)
        return;
    BugzillaClient *c = *client;
    if (c->curl)
        curl_easy_cleanup(c->curl);
    secret_free(&c->key_header);
    g_free(c->base_url);
    g_free(c->ca_file);
    g_free(c);
    curl_global_cleanup();
    *client = NULL;
}

gboolean bugzilla_client_blocked(const BugzillaClient *client)
{
    return client->blocked;
}

void bugzilla_client_last_status(const BugzillaClient *client, long *http_status_r,
                                 gint64 *bugzilla_code_r)
{
    if (http_status_r)
        *http_status_r = client->last_status;
    if (bugzilla_code_r)
        *bugzilla_code_r = client->last_code;
}

char *bugzilla_bug_url(const Config *cfg, gint64 bug_id)
{
    g_autofree char *base = g_strdup(cfg->bugzilla_url ? cfg->bugzilla_url : "");
    gsize n = strlen(base);
    while (n > 0 && base[n - 1] == '/')
        base[--n] = '\0';
    return g_strdup_printf("%s/show_bug.cgi?id=%" G_GINT64_FORMAT, base, bug_id);
}

/* Bugzilla's error object, if `root` is one: {"error": true, "code": N,
 * "message": "..."}. */
static gboolean bugzilla_error_of(JsonNode *root, gint64 *code_r, const char **message_r)
{
    if (!root || !JSON_NODE_HOLDS_OBJECT(root))
        return FALSE;
    JsonObject *o = json_node_get_object(root);
    JsonNode *err = json_object_get_member(o, "error");
    if (!err || !JSON_NODE_HOLDS_VALUE(err) || json_node_get_value_type(err) != G_TYPE_BOOLEAN ||
        !json_node_get_boolean(err))
        return FALSE;
    JsonNode *code = json_object_get_member(o, "code");
    *code_r = code && JSON_NODE_HOLDS_VALUE(code) && json_node_get_value_type(code) == G_TYPE_INT64
                  ? json_node_get_int(code)
                  : 0;
    JsonNode *msg = json_object_get_member(o, "message");
    *message_r = msg && JSON_NODE_HOLDS_VALUE(msg) && json_node_get_value_type(msg) == G_TYPE_STRING
                     ? json_node_get_string(msg)
                     : "(no message)";
    return TRUE;
}

/* Judge a complete HTTP answer: Bugzilla's error object, the HTTP status,
 * then the JSON object the caller wants. */
static JsonNode *answer(BugzillaClient *c, const char *what, const GByteArray *data,
                        GError **error)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    GError *perr = NULL;
    gboolean parsed = data->len > 0 &&
                      json_parser_load_from_data(parser, (const char *)data->data,
                                                 (gssize)data->len, &perr);
    JsonNode *root = parsed ? json_parser_get_root(parser) : NULL;
    JsonNode *result = NULL;
    gint64 code = 0;
    const char *message = NULL;
    if (bugzilla_error_of(root, &code, &message)) {
        c->last_code = code;
        /* only 306 (key invalid or revoked) and 410 (login required) mean a
         * bad key; any other 401 does not */
        gboolean auth = code == 306 || code == 410;
        c->blocked = auth || c->last_status == 429;
        g_autofree char *msg = g_utf8_make_valid(message, -1);
        g_set_error(error, CPR_ERROR, auth ? CPR_ERROR_AUTH : CPR_ERROR_REMOTE,
                    "Bugzilla %s: HTTP %ld, error code %" G_GINT64_FORMAT ": %s%s", what,
                    c->last_status, code, msg,
                    code == 306   ? " (API key invalid or revoked; not retried)"
                    : code == 410 ? " (login required: the API key was not accepted; not retried)"
                    : c->last_status == 429 ? " (rate limited; not retried)"
                                            : "");
    } else if (c->last_status == 429) {
        c->blocked = TRUE;
        g_set_error(error, CPR_ERROR, CPR_ERROR_REMOTE,
                    "Bugzilla %s: HTTP 429 (rate limited; not retried)", what);
    } else if (c->last_status < 200 || c->last_status >= 300) {
        g_set_error(error, CPR_ERROR, CPR_ERROR_REMOTE, "Bugzilla %s: HTTP %ld", what,
                    c->last_status);
    } else if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
        g_set_error(error, CPR_ERROR, CPR_ERROR_REMOTE,
                    "Bugzilla %s: HTTP %ld with an answer that is not a JSON object%s%s", what,
                    c->last_status, perr ? ": " : "", perr ? perr->message : "");
    } else {
        result = json_node_copy(root);
    }
    g_clear_error(&perr);
    return result;
}

/* One request. `body` NULL = GET. On success the parsed answer (a JSON
 * object) is returned; every failure becomes a GError of the classes in
 * bugzilla.h. */
static JsonNode *request(BugzillaClient *c, const char *what, const char *path_and_query,
                         const char *body, GError **error)
{
    if (c->blocked) {
        gboolean auth = c->last_code == 306 || c->last_code == 410;
        g_set_error(error, CPR_ERROR, auth ? CPR_ERROR_AUTH : CPR_ERROR_REMOTE,
                    "Bugzilla %s not attempted: an earlier answer (HTTP %ld%s) forbids retrying",
                    what, c->last_status, c->last_code == 306 ? ", code 306" : "");
        return NULL;
    }
    c->last_status = 0;
    c->last_code = 0;
    g_autofree char *url = g_strconcat(c->base_url, path_and_query, NULL);
    CurlutilBody b = {.data = g_byte_array_new(), .max = c->opt.max_response_bytes};
    struct curl_slist *headers = NULL;
    headers = curl_slist_append(headers, "Accept: application/json");
    if (body)
        headers = curl_slist_append(headers, "Content-Type: application/json");
    headers = curl_slist_append(headers, c->key_header);

    CURL *h = c->curl;
    curl_easy_reset(h);
    /* https only and no redirects: the key goes to this host only. */
    CURLcode rc = curlutil_set_safe_options(h, "https", c->ca_file, c->opt.connect_timeout_ms,
                                            c->opt.timeout_ms, c->errbuf);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "cpr-intake");
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, curlutil_on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
    if (body) {
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        /* CURLOPT_POSTFIELDS does not copy: `body` outlives the perform. */
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
    }
    if (rc == CURLE_OK)
        rc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &c->last_status);
    /* The slist holds a copy of the key header: wipe it before freeing. */
    for (struct curl_slist *s = headers; s; s = s->next)
        if (g_str_has_prefix(s->data, KEY_HEADER))
            secret_wipe(s->data, strlen(s->data));
    curl_slist_free_all(headers);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);

    JsonNode *result = NULL;
    if (rc != CURLE_OK) {
        if (b.too_big)
            g_set_error(error, CPR_ERROR, CPR_ERROR_REMOTE,
                        "Bugzilla %s: answer larger than %" G_GSIZE_FORMAT " bytes refused", what,
                        b.max);
        else
            g_set_error(error, CPR_ERROR, curlutil_code_class(rc), "Bugzilla %s (%s): %s", what,
                        c->base_url, curlutil_error_text(c->errbuf, rc));
    } else {
        result = answer(c, what, b.data, error);
    }
    g_byte_array_unref(b.data);
    return result;
}

static JsonNode *member(JsonNode *root, const char *name)
{
    return root && JSON_NODE_HOLDS_OBJECT(root)
               ? json_object_get_member(json_node_get_object(root), name)
               : NULL;
}

static gboolean node_int(JsonNode *n, gint64 *v_r)
{
    if (!n || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64)
        return FALSE;
    *v_r = json_node_get_int(n);
    return TRUE;
}

char *bugzilla_whoami(BugzillaClient *client, GError **error)
{
    g_autoptr(JsonNode) root = request(client, "whoami", "/rest/whoami", NULL, error);
    if (!root)
        return NULL;
    JsonNode *name = member(root, "name");
    if (!name || !JSON_NODE_HOLDS_VALUE(name) || json_node_get_value_type(name) != G_TYPE_STRING) {
        g_set_error(error, CPR_ERROR, CPR_ERROR_REMOTE,
                    "Bugzilla whoami: the answer names no account");
        return NULL;
    }
    return g_utf8_make_valid(json_node_get_string(name), -1);
}

gboolean bugzilla_create_bug(BugzillaClient *client, const char *body_json, gint64 *bug_id_r,
                             GError **error)
{
    g_autoptr(JsonNode) root = request(client, "create bug", "/rest/bug", body_json, error);
    if (!root)
        return FALSE;
    if (!node_int(member(root, "id"), bug_id_r) || *bug_id_r <= 0) {
        g_set_error(error, CPR_ERROR, CPR_ERROR_REMOTE,
                    "Bugzilla create bug: the answer carries no bug id");
        return FALSE;
    }
    return TRUE;
}

/* The "bugs" array of a search answer; NULL with CPR_ERROR_REMOTE. */
static JsonArray *bugs_array(JsonNode *root, GError **error)
{
    JsonNode *bugs = member(root, "bugs");
    if (!bugs || !JSON_NODE_HOLDS_ARRAY(bugs)) {
        g_set_error(error, CPR_ERROR, CPR_ERROR_REMOTE,
                    "Bugzilla search: the answer has no \"bugs\" array");
        return NULL;
    }
    return json_node_get_array(bugs);
}

/* A string member of an object node, or NULL. */
static const char *string_member(JsonNode *node, const char *name)
{
    JsonNode *n = member(node, name);
    return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING
               ? json_node_get_string(n)
               : NULL;
}

static gint cmp_int64(gconstpointer a, gconstpointer b)
{
    gint64 x = *(const gint64 *)a, y = *(const gint64 *)b;
    return x < y ? -1 : x > y;
}

/* The ids (ascending) a search answers whose `field`, when the answer has it,
 * holds `value` (equals it with `exact`): the server's match is trusted only
 * as far as it can be checked. */
static GArray *search_ids(BugzillaClient *client, const char *path, const char *field,
                          const char *value, gboolean exact, GError **error)
{
    g_autoptr(JsonNode) root = request(client, "search", path, NULL, error);
    if (!root)
        return NULL;
    JsonArray *a = bugs_array(root, error);
    if (!a)
        return NULL;
    GArray *ids = g_array_new(FALSE, FALSE, sizeof(gint64));
    for (guint i = 0; i < json_array_get_length(a); i++) {
        JsonNode *bug = json_array_get_element(a, i);
        gint64 id = 0;
        if (!node_int(member(bug, "id"), &id) || id <= 0)
            continue;
        const char *v = string_member(bug, field);
        if (v && (exact ? strcmp(v, value) != 0 : !strstr(v, value)))
            continue;
        g_array_append_val(ids, id);
    }
    g_array_sort(ids, cmp_int64);
    return ids;
}

GArray *bugzilla_find_by_whiteboard(BugzillaClient *client, const char *marker, GError **error)
{
    char *esc = curl_easy_escape(client->curl, marker, 0);
    if (!esc) {
        g_set_error(error, CPR_ERROR, CPR_ERROR_CONNECTION, "curl_easy_escape failed");
        return NULL;
    }
    g_autofree char *path =
        g_strdup_printf("/rest/bug?whiteboard=%s&include_fields=id,whiteboard", esc);
    curl_free(esc);
    return search_ids(client, path, "whiteboard", marker, FALSE, error);
}

static char *escape(BugzillaClient *client, const char *s)
{
    char *e = curl_easy_escape(client->curl, s, 0);
    char *out = g_strdup(e ? e : "");
    curl_free(e);
    return out;
}

/* Does the first comment (the description) of bug `id` hold `text`? */
static gboolean description_has(BugzillaClient *client, gint64 id, const char *text,
                                gboolean *has_r, GError **error)
{
    g_autofree char *path = g_strdup_printf("/rest/bug/%" G_GINT64_FORMAT "/comment", id);
    g_autoptr(JsonNode) root = request(client, "read description", path, NULL, error);
    if (!root)
        return FALSE;
    g_autofree char *key = g_strdup_printf("%" G_GINT64_FORMAT, id);
    JsonNode *bug = member(member(root, "bugs"), key);
    JsonNode *comments = member(bug, "comments");
    *has_r = FALSE;
    if (!comments || !JSON_NODE_HOLDS_ARRAY(comments))
        return TRUE;
    JsonArray *a = json_node_get_array(comments);
    if (json_array_get_length(a) == 0)
        return TRUE;
    const char *t = string_member(json_array_get_element(a, 0), "text");
    *has_r = t && strstr(t, text) != NULL;
    return TRUE;
}

GArray *bugzilla_find_filed(BugzillaClient *client, const char *creator, const char *product,
                            const char *component, const char *summary, gint64 since,
                            const char *reference, GError **error)
{
    g_autofree char *c = escape(client, creator), *p = escape(client, product),
                    *k = escape(client, component), *s = escape(client, summary);
    g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(since);
    g_autofree char *iso = dt ? g_date_time_format(dt, "%Y-%m-%dT%H:%M:%SZ") : g_strdup("");
    g_autofree char *t = escape(client, iso);
    g_autofree char *path = g_strdup_printf(
        "/rest/bug?creator=%s&product=%s&component=%s&summary=%s&creation_time=%s"
        "&include_fields=id,summary,creator,creation_time",
        c, p, k, s, t);
    /* the server's summary search is a substring match: checked exactly */
    g_autoptr(GArray) candidates = search_ids(client, path, "summary", summary, TRUE, error);
    if (!candidates)
        return NULL;
    g_autoptr(GArray) ids = g_array_new(FALSE, FALSE, sizeof(gint64));
    for (guint i = 0; i < candidates->len; i++) {
        gint64 id = g_array_index(candidates, gint64, i);
        gboolean has = FALSE;
        if (!description_has(client, id, reference, &has, error))
            return NULL;
        if (has)
            g_array_append_val(ids, id);
    }
    return g_steal_pointer(&ids);
}

/* A copy of a string member, "" when absent. */
static char *string_copy(JsonNode *node, const char *name)
{
    const char *v = string_member(node, name);
    return g_utf8_make_valid(v ? v : "", -1);
}

gboolean bugzilla_get_bug(BugzillaClient *client, gint64 bug_id, BugzillaBug *bug_r,
                          GError **error)
{
    memset(bug_r, 0, sizeof *bug_r);
    g_autofree char *path = g_strdup_printf(
        "/rest/bug/%" G_GINT64_FORMAT "?include_fields=id,whiteboard,status,resolution", bug_id);
    g_autoptr(JsonNode) root = request(client, "read bug", path, NULL, error);
    if (!root)
        return FALSE;
    JsonArray *a = bugs_array(root, error);
    if (!a)
        return FALSE;
    for (guint i = 0; i < json_array_get_length(a); i++) {
        JsonNode *bug = json_array_get_element(a, i);
        gint64 id = 0;
        if (!node_int(member(bug, "id"), &id) || id != bug_id)
            continue;
        bug_r->whiteboard = string_copy(bug, "whiteboard");
        bug_r->status = string_copy(bug, "status");
        bug_r->resolution = string_copy(bug, "resolution");
        return TRUE;
    }
    g_set_error(error, CPR_ERROR, CPR_ERROR_REMOTE,
                "Bugzilla read bug: the answer does not carry bug %" G_GINT64_FORMAT, bug_id);
    return FALSE;
}

void bugzilla_bug_clear(BugzillaBug *bug)
{
    g_clear_pointer(&bug->whiteboard, g_free);
    g_clear_pointer(&bug->status, g_free);
    g_clear_pointer(&bug->resolution, g_free);
}

/* Tests shorten the timeout to provoke "created, but the answer was lost"
 * (test builds only, testhooks.h). */
BugzillaOptions bugzilla_options_from_config(const Config *cfg)
{
    BugzillaOptions o = bugzilla_options_default();
    if (cfg->bugzilla_timeout_seconds > 0) {
        o.timeout_ms = (glong)cfg->bugzilla_timeout_seconds * 1000;
        o.connect_timeout_ms = MIN(o.connect_timeout_ms, o.timeout_ms);
    }
    const char *ms = testhooks_getenv("CPR_INTAKE_BUGZILLA_TIMEOUT_MS");
    guint64 v = 0;
    if (ms && g_ascii_string_to_unsigned(ms, 10, 100, 600000, &v, NULL)) {
        o.timeout_ms = (glong)v;
        o.connect_timeout_ms = MIN(o.connect_timeout_ms, (glong)v);
    }
    return o;
}

BugzillaOutcome bugzilla_create_outcome(const BugzillaClient *client, const GError *error)
{
    if (!error)
        return BUGZILLA_CREATED;
    gint64 code = client ? client->last_code : 0;
    if (code == 306 || code == 410)
        return BUGZILLA_BAD_KEY;
    if (code == 50 || code == 51 || (code >= 103 && code <= 108) || code == 120 || code == 122)
        return BUGZILLA_NOT_CREATED;
    /* a request refused before it was sent (rate limit, blocked client) */
    if (client && client->last_status == 429)
        return BUGZILLA_NOT_CREATED;
    if (error->domain == CPR_ERROR &&
        (error->code == CPR_ERROR_CONFIG || error->code == CPR_ERROR_TLS))
        return BUGZILLA_NOT_CREATED;
    /* 100500 and other codes, 5xx, timeouts, cut connections, answers that
     * are not JSON: the bug may exist */
    return BUGZILLA_OUTCOME_UNKNOWN;
}
