/* notify_smtp.c - mail through SMTP with libcurl: e-mail pages to on-call and
 * acknowledgements to reporters.
 *
 * smtps:// is implicit TLS; smtp:// requires STARTTLS (CURLUSESSL_ALL), with
 * the certificate verified either way. The one exception is plain smtp:// to
 * a loopback address (a local relay, and the tests), where STARTTLS is used
 * when offered and not required. */
#include <string.h>

#include <curl/curl.h>
#include <gmime/gmime.h>

#include "notify_curl.h"
#include "notify_internal.h"
#include "secret.h"

typedef struct {
    const char *data;
    gsize len, pos;
} Upload;

static size_t on_read(char *buf, size_t size, size_t n, void *user)
{
    Upload *u = user;
    gsize len = MIN(size * n, u->len - u->pos);
    memcpy(buf, u->data + u->pos, len);
    u->pos += len;
    return len;
}

gboolean notify_smtp_send(const NotifySmtp *smtp, const char *const *rcpt, const char *message,
                          GError **error)
{
    gboolean implicit = g_str_has_prefix(smtp->url, "smtps://");
    if (!implicit && !g_str_has_prefix(smtp->url, "smtp://")) {
        g_set_error_literal(error, NOTIFY_ERROR, NOTIFY_ERROR_PERMANENT,
                            "expected an smtps:// or smtp:// URL");
        return FALSE;
    }
    char errbuf[CURL_ERROR_SIZE] = "";
    CURLcode rc;
    CURL *curl = notify_curl_new("smtp,smtps", smtp->ca_file, errbuf, &rc, error);
    if (!curl)
        return FALSE;
    struct curl_slist *to = NULL;
    for (gsize i = 0; rcpt[i]; i++) {
        g_autofree char *r = g_strdup_printf("<%s>", rcpt[i]);
        to = curl_slist_append(to, r);
    }
    g_autofree char *from = g_strdup_printf("<%s>", smtp->from);
    Upload up = {.data = message, .len = strlen(message)};

    curl_easy_setopt(curl, CURLOPT_URL, smtp->url);
    if (!implicit)
        curl_easy_setopt(curl, CURLOPT_USE_SSL,
                         notify_url_is_loopback(smtp->url) ? (long)CURLUSESSL_TRY : (long)CURLUSESSL_ALL);
    if (smtp->user && smtp->password) {
        curl_easy_setopt(curl, CURLOPT_USERNAME, smtp->user);
        curl_easy_setopt(curl, CURLOPT_PASSWORD, smtp->password);
    }
    curl_easy_setopt(curl, CURLOPT_MAIL_FROM, from);
    curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, to);
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(curl, CURLOPT_READDATA, &up);

    /* libcurl reports a refusal by the server as a failed transfer too, the
     * reply code kept: the code decides. 5xx is the server's final "no"
     * (unknown recipient, policy, and a login refused with 535); anything
     * else, a certificate curl refused (no reply code) or a 4xx, may be fixed
     * without a restart, so it is retried like a network failure. */
    long code = 0;
    g_autoptr(GError) failed = NULL;
    gboolean result = notify_curl_perform(curl, rc, errbuf, &code, &failed);
    if (!result)
        g_set_error(error, NOTIFY_ERROR,
                    (code >= 500 && code < 600) ? NOTIFY_ERROR_PERMANENT : NOTIFY_ERROR_RETRY,
                    "SMTP %ld: %s", code, failed->message);
    curl_slist_free_all(to);
    curl_easy_cleanup(curl);
    return result;
}

char *notify_mail_build(const char *from, const char *to, const char *subject, const char *text,
                        const char *message_id, gint64 date, const char *const *extra_headers)
{
    GMimeMessage *msg = g_mime_message_new(TRUE);
    g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_FROM, NULL, from);
    g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_TO, NULL, to);
    g_mime_message_set_subject(msg, subject, "utf-8");
    g_mime_message_set_message_id(msg, message_id);
    GDateTime *dt = g_date_time_new_from_unix_utc(date);
    g_mime_message_set_date(msg, dt);
    g_date_time_unref(dt);
    for (gsize i = 0; extra_headers && extra_headers[i] && extra_headers[i + 1]; i += 2)
        g_mime_object_set_header(GMIME_OBJECT(msg), extra_headers[i], extra_headers[i + 1], NULL);

    GMimeTextPart *part = g_mime_text_part_new_with_subtype("plain");
    g_mime_text_part_set_text(part, text);
    g_mime_part_set_content_encoding(
        GMIME_PART(part),
        g_mime_part_get_best_content_encoding(GMIME_PART(part), GMIME_ENCODING_CONSTRAINT_7BIT));
    g_mime_message_set_mime_part(msg, GMIME_OBJECT(part));
    g_object_unref(part);

    GMimeFormatOptions *opts = g_mime_format_options_new();
    g_mime_format_options_set_newline_format(opts, GMIME_NEWLINE_FORMAT_DOS);
    char *out = g_mime_object_to_string(GMIME_OBJECT(msg), opts);
    g_mime_format_options_free(opts);
    g_object_unref(msg);
    return out;
}

gboolean notify_smtp_send_with(const NotifySmtp *smtp, const char *password_file,
                               const char *const *rcpt, const char *message, GError **error)
{
    if (!password_file)
        return notify_smtp_send(smtp, rcpt, message, error);
    GError *e = NULL;
    char *password = secret_read(password_file, &e);
    if (!password) {
        g_set_error_literal(error, NOTIFY_ERROR, NOTIFY_ERROR_RETRY, e->message);
        g_error_free(e);
        return FALSE;
    }
    NotifySmtp with = *smtp;
    with.password = password;
    gboolean ok = notify_smtp_send(&with, rcpt, message, error);
    secret_free(&password);
    return ok;
}
