/* curlutil.h - the libcurl plumbing every client here shares (bugzilla.c,
 * oauth2.c, notify_http.c, notify_smtp.c): a bounded response body, the
 * CURLcode -> CprErrorCode conversion, and the safe option set.
 *
 * What stays with each caller: its URL, headers, payload, credentials, and the
 * reading of its service's answers. */
#ifndef CPR_CURLUTIL_H
#define CPR_CURLUTIL_H

#include <glib.h>
#include <curl/curl.h>

#include "cpr_error.h"

/* A response body that refuses to grow past `max` bytes. `data` is the
 * caller's: allocate it at its cap when it may hold a secret (a token), so
 * that no realloc leaves an unwiped copy behind, and wipe it after use. */
typedef struct {
    GByteArray *data;
    gsize max;
    gboolean too_big; /* set when the answer was cut off: curl then fails */
} CurlutilBody;

/* CURLOPT_WRITEFUNCTION for a CurlutilBody (CURLOPT_WRITEDATA). Past `max`
 * it sets too_big and makes the transfer fail with CURLE_WRITE_ERROR. */
size_t curlutil_on_body(char *ptr, size_t size, size_t nmemb, void *userdata);

/* The class of a failed transfer: CPR_ERROR_TLS for certificate and handshake
 * failures; CPR_ERROR_CONFIG for a URL curl cannot use (bad syntax, or a
 * scheme outside CURLOPT_PROTOCOLS_STR), since retrying cannot help; else
 * CPR_ERROR_CONNECTION. (The CONFIG cases were Bugzilla's alone before the
 * clients shared this: OAuth2 now reports them as CONFIG too, not as a
 * connection failure to retry with backoff.) */
CprErrorCode curlutil_code_class(CURLcode rc);

/* Text for a failed transfer: curl's error buffer when it says something,
 * else the generic text of `rc`. */
const char *curlutil_error_text(const char *errbuf, CURLcode rc);

/* The options every transfer here sets: only `protocols` (a
 * CURLOPT_PROTOCOLS_STR list, also the redirect list), peer and host always
 * verified, `ca_file` as the trust anchor when not NULL, millisecond
 * timeouts, no signals (threads, and a daemon's own handlers), no redirects
 * (credentials go to the configured host only), and `errbuf`
 * (CURL_ERROR_SIZE bytes, cleared here) for curl's error text. Returns the
 * first option curl refused, CURLE_OK otherwise: a caller that gets an error
 * must not perform the transfer (it would not be as safe as intended). */
CURLcode curlutil_set_safe_options(CURL *h, const char *protocols, const char *ca_file,
                                   long connect_timeout_ms, long timeout_ms, char *errbuf);

#endif
