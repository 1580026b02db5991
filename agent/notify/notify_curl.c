/* notify_curl.c - the libcurl handle both notify transports (notify_http.c,
 * notify_smtp.c) start from and finish with, and the error domain their
 * deliveries answer in (notify_internal.h). */
#include <curl/curl.h>

#include "curlutil.h"
#include "notify_curl.h"
#include "notify_internal.h"

G_DEFINE_QUARK(cpr-notify-error-quark, notify_error)

CURL *notify_curl_new(const char *protocols, const char *ca_file, char *errbuf, CURLcode *rc_r,
                      GError **error)
{
    CURL *curl = curl_easy_init();
    if (!curl) {
        g_set_error_literal(error, NOTIFY_ERROR, NOTIFY_ERROR_RETRY, "curl_easy_init failed");
        return NULL;
    }
    *rc_r = curlutil_set_safe_options(curl, protocols, ca_file, NOTIFY_CONNECT_TIMEOUT_MS,
                                      NOTIFY_TIMEOUT_MS, errbuf);
    return curl;
}

gboolean notify_curl_perform(CURL *curl, CURLcode rc, const char *errbuf, long *code_r,
                             GError **error)
{
    if (rc == CURLE_OK)
        rc = curl_easy_perform(curl);
    *code_r = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, code_r);
    if (rc != CURLE_OK) {
        g_set_error_literal(error, NOTIFY_ERROR, NOTIFY_ERROR_RETRY,
                            curlutil_error_text(errbuf, rc));
        return FALSE;
    }
    return TRUE;
}
