/* curlutil.c - the libcurl plumbing the clients share (see curlutil.h). */
#include "curlutil.h"

size_t curlutil_on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    CurlutilBody *b = userdata;
    gsize len = size * nmemb;
    if (b->data->len + len > b->max) {
        b->too_big = TRUE;
        return 0; /* curl stops with CURLE_WRITE_ERROR */
    }
    g_byte_array_append(b->data, (const guint8 *)ptr, (guint)len);
    return len;
}

CprErrorCode curlutil_code_class(CURLcode rc)
{
    switch (rc) {
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
        return CPR_ERROR_TLS;
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
        return CPR_ERROR_CONFIG;
    default:
        return CPR_ERROR_CONNECTION;
    }
}

const char *curlutil_error_text(const char *errbuf, CURLcode rc)
{
    return errbuf && errbuf[0] ? errbuf : curl_easy_strerror(rc);
}

CURLcode curlutil_set_safe_options(CURL *h, const char *protocols, const char *ca_file,
                                   long connect_timeout_ms, long timeout_ms, char *errbuf)
{
    errbuf[0] = '\0';
    CURLcode rc = curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, protocols);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, protocols);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    /* HTTPS, SMTPS and SMTP STARTTLS: never below TLS 1.2 */
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
    if (rc == CURLE_OK && ca_file)
        rc = curl_easy_setopt(h, CURLOPT_CAINFO, ca_file);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, connect_timeout_ms);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
    return rc;
}
