/* notify_http.c - HTTP(S) POST for webhooks, Slack and PagerDuty (libcurl).
 *
 * SPEC 5: protocols restricted, verification always on, millisecond timeouts,
 * no signals, no redirects, and the receiver's answer kept up to
 * NOTIFY_MAX_RESPONSE bytes (only for the error message). Plain http:// is
 * accepted only to loopback (config.c refuses it elsewhere; checked again
 * here so no caller can bypass it). */
#include <string.h>

#include <curl/curl.h>

#include "notify_curl.h"
#include "notify_internal.h"

typedef struct {
    GString *body;
    gboolean truncated;
} Response;

/* Not curlutil_on_body: a receiver's long answer is no failure here. Its
 * status decides; the first bytes are kept for the message, the rest read
 * and dropped. */
static size_t on_data(char *data, size_t size, size_t n, void *user)
{
    Response *r = user;
    gsize len = size * n;
    gsize room = NOTIFY_MAX_RESPONSE - MIN(r->body->len, NOTIFY_MAX_RESPONSE);
    g_string_append_len(r->body, data, (gssize)MIN(len, room));
    r->truncated = r->truncated || len > room;
    return len; /* keep reading (and discarding): the status is what matters */
}

gboolean notify_url_is_loopback(const char *url)
{
    g_autoptr(GUri) u = g_uri_parse(url, G_URI_FLAGS_NONE, NULL);
    const char *h = u ? g_uri_get_host(u) : NULL;
    return h && (!strcmp(h, "127.0.0.1") || !strcmp(h, "localhost") || !strcmp(h, "::1"));
}

/* The first line of an answer, for an error message people read. */
static char *answer_excerpt(const GString *body)
{
    g_autofree char *valid = g_utf8_make_valid(body->str, (gssize)MIN(body->len, 200));
    char *nl = strpbrk(valid, "\r\n");
    if (nl)
        *nl = '\0';
    return g_strdup(valid);
}

gboolean notify_http_post(const char *url, const char *ca_file, const char *body,
                          const char *const *headers, GError **error)
{
    if (!g_str_has_prefix(url, "https://") &&
        !(g_str_has_prefix(url, "http://") && notify_url_is_loopback(url))) {
        g_set_error_literal(error, NOTIFY_ERROR, NOTIFY_ERROR_PERMANENT,
                            "refusing a URL that is neither https:// nor http:// to loopback");
        return FALSE;
    }
    char errbuf[CURL_ERROR_SIZE] = "";
    CURLcode rc;
    CURL *curl = notify_curl_new("http,https", ca_file, errbuf, &rc, error);
    if (!curl)
        return FALSE;
    Response resp = {.body = g_string_new(NULL)};
    struct curl_slist *list = curl_slist_append(NULL, "Content-Type: application/json");
    list = curl_slist_append(list, "Expect:");
    for (gsize i = 0; headers && headers[i]; i++)
        list = curl_slist_append(list, headers[i]);

    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "cpr-intake");
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
    /* POSTFIELDS does not copy (SPEC 5): `body` outlives the transfer. */
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &resp);

    long status = 0;
    gboolean result = notify_curl_perform(curl, rc, errbuf, &status, error);
    if (result && (status < 200 || status >= 300)) {
        g_autofree char *excerpt = answer_excerpt(resp.body);
        /* 408 and 429 say "later"; other 4xx say the request itself is wrong
         * (a bad key, a bad payload): retrying it for days helps nobody. */
        g_set_error(error, NOTIFY_ERROR,
                    (status == 408 || status == 429 || status >= 500) ? NOTIFY_ERROR_RETRY
                                                                       : NOTIFY_ERROR_PERMANENT,
                    "HTTP %ld: %s", status, excerpt);
        result = FALSE;
    }
    curl_slist_free_all(list);
    curl_easy_cleanup(curl);
    g_string_free(resp.body, TRUE);
    return result;
}
