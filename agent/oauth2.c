/* oauth2.c - refresh IMAP XOAUTH2 access tokens over HTTPS (see oauth2.h).
 *
 * Refreshes are rare (one an hour with the big providers), so every refresh
 * uses a new curl easy handle: nothing of one request survives into the
 * next, and no connection is kept open to the endpoint between them. */
#define G_LOG_DOMAIN "oauth2"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>
#include <json-glib/json-glib.h>

#include "secret.h"
#include "cpr_error.h"
#include "curlutil.h"
#include "oauth2.h"
#include "textutil.h"
#include "logging.h"

#define CONNECT_TIMEOUT_MS 10000
#define DEFAULT_EXPIRES_IN 3600
#define MAX_EXPIRES_IN (366 * 24 * 3600)

struct OAuth2Client {
    char *token_url;
    char *endpoint; /* scheme://host:port, for messages: the path may say "token" */
    char *client_id;
    char *client_secret_file;
    char *refresh_token_file;
    char *ca_file;
    char *scope;
    long timeout_ms;

    char *access_token; /* wiped */
    gint64 expires_at;  /* monotonic microseconds */
    gint64 lifetime_s;

    /* A rotated refresh token the file could not take yet: used instead of
     * the file's (which the server no longer accepts) until stored. Wiped. */
    char *pending_refresh;

    /* The last refresh token refused with invalid_grant, by SHA-256. */
    char *dead_sha256;
    gint64 dead_at; /* monotonic microseconds */
    char *dead_message;
};

void oauth2_grant_clear(OAuth2Grant *grant)
{
    secret_free(&grant->access_token);
    secret_free(&grant->refresh_token);
    grant->expires_in = 0;
}

/* Tokens travel in a SASL string framed by \x01 and in a one-line file:
 * printable ASCII without spaces only, and bounded. */
static gboolean token_ok(const char *t)
{
    gsize n = 0;
    for (const char *p = t; *p; p++, n++)
        if (*p < 0x21 || *p > 0x7e || n >= OAUTH2_MAX_TOKEN_BYTES)
            return FALSE;
    return n > 0;
}

/* A server-chosen string for an error message: printable ASCII, capped. */
static char *printable(const char *s, gsize cap)
{
    return text_printable(s, s ? strlen(s) : 0, cap);
}

static const char *json_string_member(JsonObject *o, const char *name)
{
    JsonNode *n = json_object_get_member(o, name);
    if (!n || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING)
        return NULL;
    return json_node_get_string(n);
}

/* expires_in is a number in RFC 6749, a string of digits from some servers. */
static gint64 expires_in_of(JsonObject *o)
{
    JsonNode *n = json_object_get_member(o, "expires_in");
    gint64 v = DEFAULT_EXPIRES_IN;
    if (n && JSON_NODE_HOLDS_VALUE(n)) {
        GType t = json_node_get_value_type(n);
        if (t == G_TYPE_INT64)
            v = json_node_get_int(n);
        else if (t == G_TYPE_DOUBLE)
            v = (gint64)json_node_get_double(n);
        else if (t == G_TYPE_STRING) {
            guint64 u = 0;
            if (g_ascii_string_to_unsigned(json_node_get_string(n), 10, 0, MAX_EXPIRES_IN, &u,
                                           NULL))
                v = (gint64)u;
        }
    }
    return CLAMP(v, 1, MAX_EXPIRES_IN);
}

static JsonObject *parse_object(JsonParser *parser, const char *body, gsize len)
{
    if (len == 0 || len > OAUTH2_MAX_RESPONSE_BYTES ||
        !json_parser_load_from_data(parser, body, (gssize)len, NULL))
        return NULL;
    JsonNode *root = json_parser_get_root(parser);
    return root && JSON_NODE_HOLDS_OBJECT(root) ? json_node_get_object(root) : NULL;
}

static gboolean refused(long status, JsonObject *o, GError **error)
{
    const char *code = o ? json_string_member(o, "error") : NULL;
    const char *desc = o ? json_string_member(o, "error_description") : NULL;
    g_autofree char *c = printable(code ? code : "no error code", 64);
    g_autofree char *d = desc ? printable(desc, 200) : NULL;
    const char *advice;
    if (g_strcmp0(code, "invalid_grant") == 0)
        advice = "the refresh token is expired or revoked: put a new one in "
                 "oauth2_refresh_token_file";
    else if (g_strcmp0(code, "invalid_client") == 0 || g_strcmp0(code, "unauthorized_client") == 0)
        advice = "check oauth2_client_id and oauth2_client_secret_file";
    else
        advice = "check the [imap] oauth2_* settings";
    g_set_error(error, CPR_ERROR, CPR_ERROR_AUTH,
                "oauth2 refresh failed: the token endpoint refused it (HTTP %ld, %s%s%s); %s",
                status, c, d ? ": " : "", d ? d : "", advice);
    return FALSE;
}

gboolean oauth2_parse_token_response(long http_status, const char *body, gsize len,
                                     OAuth2Grant *grant_r, GError **error)
{
    memset(grant_r, 0, sizeof *grant_r);
    if (http_status >= 500 || http_status == 429 || http_status == 408) {
        g_set_error(error, CPR_ERROR, CPR_ERROR_CONNECTION,
                    "answered HTTP %ld (temporary; retried with backoff)", http_status);
        return FALSE;
    }
    g_autoptr(JsonParser) parser = json_parser_new();
    JsonObject *o = parse_object(parser, body, len);
    if (http_status >= 400)
        return refused(http_status, o, error);
    if (http_status < 200 || http_status >= 300) {
        g_set_error(error, CPR_ERROR, CPR_ERROR_REMOTE,
                    "oauth2 refresh failed: unexpected HTTP %ld from the token endpoint",
                    http_status);
        return FALSE;
    }
    if (!o) {
        g_set_error(error, CPR_ERROR, CPR_ERROR_REMOTE,
                    "oauth2 refresh failed: the token endpoint's answer (HTTP %ld) is not a "
                    "JSON object", http_status);
        return FALSE;
    }
    if (json_string_member(o, "error"))
        return refused(http_status, o, error);
    const char *access = json_string_member(o, "access_token");
    const char *refresh = json_string_member(o, "refresh_token");
    const char *type = json_string_member(o, "token_type");
    if (!access || !token_ok(access)) {
        g_set_error(error, CPR_ERROR, CPR_ERROR_REMOTE,
                    "oauth2 refresh failed: the token endpoint's answer has %s access_token",
                    access ? "an unusable (empty, too long or not printable ASCII)" : "no");
        return FALSE;
    }
    if (type && g_ascii_strcasecmp(type, "bearer") != 0) {
        g_autofree char *t = printable(type, 32);
        g_set_error(error, CPR_ERROR, CPR_ERROR_REMOTE,
                    "oauth2 refresh failed: token_type \"%s\" is not Bearer", t);
        return FALSE;
    }
    if (refresh && !token_ok(refresh)) {
        g_set_error(error, CPR_ERROR, CPR_ERROR_REMOTE,
                    "oauth2 refresh failed: the rotated refresh_token in the answer is unusable "
                    "(empty, too long or not printable ASCII)");
        return FALSE;
    }
    grant_r->access_token = g_strdup(access);
    grant_r->refresh_token = refresh ? g_strdup(refresh) : NULL;
    grant_r->expires_in = expires_in_of(o);
    return TRUE;
}

/* application/x-www-form-urlencoded (RFC 6749 appendix B): unreserved
 * characters as they are, everything else %XX. g_uri_escape_string with no
 * reserved characters allowed does exactly that. */
static void form_add(GString *form, const char *name, const char *value)
{
    if (form->len)
        g_string_append_c(form, '&');
    g_string_append(form, name);
    g_string_append_c(form, '=');
    char *esc = g_uri_escape_string(value, NULL, FALSE);
    g_string_append(form, esc);
    secret_free(&esc);
}

char *oauth2_refresh_form(const char *refresh_token, const char *client_id,
                          const char *client_secret, const char *scope)
{
    /* Sized once for the worst case (every byte escaped to %XX), so that no
     * realloc leaves an unwiped copy of a secret behind in freed memory. */
    gsize need = 128 + 3 * (strlen(refresh_token) + strlen(client_id) +
                            (client_secret ? strlen(client_secret) : 0) +
                            (scope ? strlen(scope) : 0));
    GString *form = g_string_sized_new(need);
    form_add(form, "grant_type", "refresh_token");
    form_add(form, "refresh_token", refresh_token);
    form_add(form, "client_id", client_id);
    if (client_secret)
        form_add(form, "client_secret", client_secret);
    if (scope)
        form_add(form, "scope", scope);
    return g_string_free(form, FALSE);
}

gboolean oauth2_write_secret_atomic(const char *path, const char *secret, GError **error)
{
    /* GLib writes a temporary file beside the target (mode 0600 from the
     * start), fsyncs it and renames it over the target. */
    gsize len = strlen(secret) + 1;
    char *data = g_malloc(len + 1);
    memcpy(data, secret, len - 1);
    data[len - 1] = '\n';
    data[len] = '\0';
    GError *e = NULL;
    gboolean ok = g_file_set_contents_full(
        path, data, (gssize)len, G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
        0600, &e);
    secret_free(&data);
    if (!ok) {
        g_set_error(error, CPR_ERROR, CPR_ERROR_CONFIG,
                    "cannot replace secret file %s (create a temporary file beside it, write it "
                    "or rename it over the file): %s",
                    path, e->message);
        g_error_free(e);
        return FALSE;
    }
    /* The rename is durable only once the directory is. */
    g_autofree char *dir = g_path_get_dirname(path);
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0 || fsync(dfd) != 0) {
        int saved = errno;
        if (dfd >= 0)
            close(dfd);
        g_set_error(error, CPR_ERROR, CPR_ERROR_CONFIG,
                    "cannot replace secret file %s (fsync its directory after the rename): %s",
                    path, g_strerror(saved));
        return FALSE;
    }
    close(dfd);
    return TRUE;
}

OAuth2Client *oauth2_client_new(const Config *cfg, GError **error)
{
    if (!cfg->imap_oauth2_refresh_token_file || !cfg->imap_oauth2_token_url ||
        !cfg->imap_oauth2_client_id) {
        g_set_error(error, CPR_ERROR, CPR_ERROR_CONFIG,
                    "%s: [imap] needs oauth2_refresh_token_file, oauth2_token_url and "
                    "oauth2_client_id to refresh XOAUTH2 tokens",
                    cfg->path ? cfg->path : "config");
        return NULL;
    }
    g_autoptr(GUri) uri = g_uri_parse(cfg->imap_oauth2_token_url, G_URI_FLAGS_NONE, NULL);
    if (!uri || g_strcmp0(g_uri_get_scheme(uri), "https") != 0 || !g_uri_get_host(uri)) {
        g_set_error(error, CPR_ERROR, CPR_ERROR_CONFIG,
                    "%s: [imap] oauth2_token_url: expected an https:// URL",
                    cfg->path ? cfg->path : "config");
        return NULL;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        g_set_error(error, CPR_ERROR, CPR_ERROR_CONNECTION, "curl initialisation failed");
        return NULL;
    }
    OAuth2Client *c = g_new0(OAuth2Client, 1);
    c->token_url = g_strdup(cfg->imap_oauth2_token_url);
    int port = g_uri_get_port(uri) > 0 ? g_uri_get_port(uri) : 443;
    c->endpoint = g_strdup_printf("https://%s:%d", g_uri_get_host(uri), port);
    c->client_id = g_strdup(cfg->imap_oauth2_client_id);
    c->client_secret_file = g_strdup(cfg->imap_oauth2_client_secret_file);
    c->refresh_token_file = g_strdup(cfg->imap_oauth2_refresh_token_file);
    c->ca_file = g_strdup(cfg->imap_oauth2_ca_file);
    c->scope = g_strdup(cfg->imap_oauth2_scope);
    c->timeout_ms = (cfg->imap_timeout_seconds > 0 ? cfg->imap_timeout_seconds : 30) * 1000L;
    return c;
}

void oauth2_client_free(OAuth2Client **client)
{
    if (!client || !*client)
        return;
    OAuth2Client *c = *client;
    secret_free(&c->access_token);
    secret_free(&c->pending_refresh);
    g_free(c->token_url);
    g_free(c->endpoint);
    g_free(c->client_id);
    g_free(c->client_secret_file);
    g_free(c->refresh_token_file);
    g_free(c->ca_file);
    g_free(c->scope);
    g_free(c->dead_sha256);
    g_free(c->dead_message);
    g_free(c);
    curl_global_cleanup();
    *client = NULL;
}

gboolean oauth2_client_matches(const OAuth2Client *c, const Config *cfg)
{
    return g_strcmp0(c->token_url, cfg->imap_oauth2_token_url) == 0 &&
           g_strcmp0(c->client_id, cfg->imap_oauth2_client_id) == 0 &&
           g_strcmp0(c->client_secret_file, cfg->imap_oauth2_client_secret_file) == 0 &&
           g_strcmp0(c->refresh_token_file, cfg->imap_oauth2_refresh_token_file) == 0 &&
           g_strcmp0(c->ca_file, cfg->imap_oauth2_ca_file) == 0 &&
           g_strcmp0(c->scope, cfg->imap_oauth2_scope) == 0;
}

void oauth2_client_invalidate(OAuth2Client *c)
{
    secret_free(&c->access_token);
    c->expires_at = 0;
}

gint64 oauth2_client_expires_in(const OAuth2Client *c)
{
    if (!c->access_token)
        return -1;
    gint64 left = (c->expires_at - g_get_monotonic_time()) / G_USEC_PER_SEC;
    return MAX(left, 0);
}

/* POST `form` to the endpoint: the HTTP status and the body (which holds
 * tokens: the caller wipes it). FALSE only for transport failures. */
static gboolean post_form(OAuth2Client *c, const char *form, long *status_r, GByteArray *body,
                          GError **error)
{
    CURL *h = curl_easy_init();
    if (!h) {
        g_set_error(error, CPR_ERROR, CPR_ERROR_CONNECTION, "oauth2 endpoint %s: curl_easy_init "
                    "failed", c->endpoint);
        return FALSE;
    }
    char errbuf[CURL_ERROR_SIZE] = "";
    CurlutilBody b = {.data = body, .max = OAUTH2_MAX_RESPONSE_BYTES};
    struct curl_slist *headers = NULL;
    headers = curl_slist_append(headers, "Accept: application/json");
    headers = curl_slist_append(headers, "Content-Type: application/x-www-form-urlencoded");
    /* https only and no redirects: the refresh token goes to this host only. */
    CURLcode rc = curlutil_set_safe_options(h, "https", c->ca_file,
                                            MIN((long)CONNECT_TIMEOUT_MS, c->timeout_ms),
                                            c->timeout_ms, errbuf);
    curl_easy_setopt(h, CURLOPT_URL, c->token_url);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "cpr-intake");
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, curlutil_on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    /* CURLOPT_POSTFIELDS does not copy: `form` outlives the perform. */
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, form);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(form));
    if (rc == CURLE_OK)
        rc = curl_easy_perform(h);
    *status_r = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status_r);
    curl_easy_cleanup(h);
    curl_slist_free_all(headers);
    if (rc == CURLE_OK)
        return TRUE;
    if (b.too_big)
        g_set_error(error, CPR_ERROR, CPR_ERROR_REMOTE,
                    "oauth2 refresh failed: the token endpoint's answer is larger than %d bytes",
                    OAUTH2_MAX_RESPONSE_BYTES);
    else
        g_set_error(error, CPR_ERROR, curlutil_code_class(rc), "oauth2 endpoint %s: %s",
                    c->endpoint, curlutil_error_text(errbuf, rc));
    return FALSE;
}

/* Store a refresh token (owned; may be c->pending_refresh itself) in the
 * file; keep it in memory, as pending, while the file cannot take it. */
static void store_refresh_token(OAuth2Client *c, char *token)
{
    GError *e = NULL;
    if (oauth2_write_secret_atomic(c->refresh_token_file, token, &e)) {
        if (token != c->pending_refresh)
            secret_free(&token);
        secret_free(&c->pending_refresh);
        return;
    }
    g_autofree char *why = log_value(e->message);
    g_warning("event=oauth2_store_failed error=%s action=\"keeping the rotated refresh token "
              "in memory; retried at the next refresh\"", why);
    g_error_free(e);
    if (token != c->pending_refresh) {
        secret_free(&c->pending_refresh);
        c->pending_refresh = token;
    }
}

/* Never let a secret reach an error text, whatever the server echoed. */
static void scrub(GError *e, const char *secret)
{
    if (e && secret && *secret && strstr(e->message, secret)) {
        g_free(e->message);
        e->message = g_strdup("oauth2 refresh failed: the token endpoint's answer (withheld: it "
                              "quoted a secret)");
    }
}

static gboolean refresh(OAuth2Client *c, GError **error)
{
    char *refresh_token = c->pending_refresh ? g_strdup(c->pending_refresh)
                                             : secret_read(c->refresh_token_file, error);
    if (!refresh_token)
        return FALSE;
    if (!token_ok(refresh_token)) {
        secret_free(&refresh_token);
        g_set_error(error, CPR_ERROR, CPR_ERROR_CONFIG,
                    "oauth2 refresh failed: %s must hold one refresh token (printable ASCII, no "
                    "spaces)", c->refresh_token_file);
        return FALSE;
    }
    g_autofree char *sha = g_compute_checksum_for_string(G_CHECKSUM_SHA256, refresh_token, -1);
    if (c->dead_sha256 && strcmp(sha, c->dead_sha256) == 0 &&
        g_get_monotonic_time() - c->dead_at < (gint64)OAUTH2_DEAD_RETRY_SECONDS * G_USEC_PER_SEC) {
        secret_free(&refresh_token);
        g_set_error(error, CPR_ERROR, CPR_ERROR_AUTH,
                    "%s (not presented again for %d s unless %s changes)", c->dead_message,
                    OAUTH2_DEAD_RETRY_SECONDS, c->refresh_token_file);
        return FALSE;
    }
    char *secret = NULL;
    if (c->client_secret_file && !(secret = secret_read(c->client_secret_file, error))) {
        secret_free(&refresh_token);
        return FALSE;
    }
    char *form = oauth2_refresh_form(refresh_token, c->client_id, secret, c->scope);
    /* Allocated at its cap: no realloc leaves an unwiped copy of a token. */
    GByteArray *body = g_byte_array_sized_new(OAUTH2_MAX_RESPONSE_BYTES);
    long status = 0;
    GError *e = NULL;
    OAuth2Grant grant = {0};
    gboolean ok = post_form(c, form, &status, body, &e) &&
                  oauth2_parse_token_response(status, (const char *)body->data, body->len, &grant,
                                              &e);
    secret_free(&form);
    secret_wipe(body->data, body->len);
    g_byte_array_unref(body);
    if (!ok) {
        scrub(e, refresh_token);
        scrub(e, secret);
        if (e->code == CPR_ERROR_CONNECTION && !g_str_has_prefix(e->message, "oauth2 endpoint"))
            g_prefix_error(&e, "oauth2 endpoint %s: ", c->endpoint);
        if (e->code == CPR_ERROR_AUTH && strstr(e->message, "invalid_grant")) {
            g_free(c->dead_sha256);
            c->dead_sha256 = g_strdup(sha);
            c->dead_at = g_get_monotonic_time();
            g_free(c->dead_message);
            c->dead_message = g_strdup(e->message);
        }
        secret_free(&refresh_token);
        secret_free(&secret);
        g_propagate_error(error, e);
        return FALSE;
    }
    secret_free(&secret);
    g_clear_pointer(&c->dead_sha256, g_free);
    g_clear_pointer(&c->dead_message, g_free);

    secret_free(&c->access_token);
    c->access_token = grant.access_token;
    grant.access_token = NULL;
    c->lifetime_s = grant.expires_in;
    c->expires_at = g_get_monotonic_time() + grant.expires_in * G_USEC_PER_SEC;
    gboolean rotated = grant.refresh_token && strcmp(grant.refresh_token, refresh_token) != 0;
    if (rotated) {
        store_refresh_token(c, grant.refresh_token);
        grant.refresh_token = NULL;
    } else if (c->pending_refresh) {
        store_refresh_token(c, c->pending_refresh); /* still valid, still not on disk */
    }
    secret_free(&refresh_token);
    oauth2_grant_clear(&grant);
    g_message("event=oauth2_refreshed endpoint=%s expires_in=%" G_GINT64_FORMAT " rotated=%s%s",
              c->endpoint, c->lifetime_s, rotated ? "yes" : "no",
              c->pending_refresh ? " stored=no" : "");
    return TRUE;
}

const char *oauth2_client_access_token(OAuth2Client *c, gboolean force_refresh,
                                       gboolean *refreshed_r, GError **error)
{
    if (refreshed_r)
        *refreshed_r = FALSE;
    /* Early by 5 minutes, or by a quarter of the lifetime for short-lived
     * tokens, so that a token never expires between here and AUTHENTICATE. */
    gint64 early = MIN((gint64)OAUTH2_REFRESH_EARLY_SECONDS, c->lifetime_s / 4);
    if (!force_refresh && c->access_token &&
        g_get_monotonic_time() + early * G_USEC_PER_SEC < c->expires_at)
        return c->access_token;
    oauth2_client_invalidate(c);
    if (!refresh(c, error))
        return NULL;
    if (refreshed_r)
        *refreshed_r = TRUE;
    return c->access_token;
}
