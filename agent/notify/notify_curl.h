/* notify_curl.h - the libcurl handle both notify transports (notify_http.c,
 * notify_smtp.c) start from, in notify_curl.c; private to them, so that the
 * rest of notify does not include curl.h. */
#ifndef CPR_NOTIFY_CURL_H
#define CPR_NOTIFY_CURL_H

#include <glib.h>
#include <curl/curl.h>

/* A handle for one transfer restricted to `protocols`, with the safe options
 * (curlutil.h) and the notify timeouts set, and `errbuf` (CURL_ERROR_SIZE
 * bytes) for curl's error text. *rc_r is what setting the options returned:
 * pass it to notify_curl_perform. NULL with NOTIFY_ERROR_RETRY when curl
 * cannot make a handle. */
CURL *notify_curl_new(const char *protocols, const char *ca_file, char *errbuf, CURLcode *rc_r,
                      GError **error);

/* Perform the transfer unless `rc` (from notify_curl_new) is already a
 * failure; the protocol's response code in *code_r (0 when none) either
 * way. TRUE when curl completed the transfer: what the response code means
 * is the caller's to judge. FALSE when it did not, with curl's text (from
 * `errbuf`) as NOTIFY_ERROR_RETRY: a network failure or timeout passes. */
gboolean notify_curl_perform(CURL *curl, CURLcode rc, const char *errbuf, long *code_r,
                             GError **error);

#endif
