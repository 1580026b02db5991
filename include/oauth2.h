/* oauth2.h - access tokens for IMAP XOAUTH2, refreshed by the daemon itself
 * (RFC 6749 section 6, "Refreshing an Access Token"; SPEC 2.6, 5; issue 4).
 *
 * The client POSTs grant_type=refresh_token to [imap] oauth2_token_url over
 * HTTPS (libcurl: https only, peer and host verified, oauth2_ca_file as the
 * trust anchor when set, millisecond timeouts, no redirects, answer capped),
 * with client_id, client_secret (when oauth2_client_secret_file is set: public
 * clients have none) and scope (when oauth2_scope is set), form-encoded.
 *
 * The access token lives in memory only, with its expiry: a restart costs one
 * refresh, and no bearer token ever rests on disk. It is reused until it is
 * within OAUTH2_REFRESH_EARLY_SECONDS (or a quarter of its lifetime, for
 * short-lived tokens) of expiring. The refresh token is read from
 * oauth2_refresh_token_file at every refresh (an operator may replace it at
 * any time). When the server rotates it (a "refresh_token" in the answer),
 * the new one replaces the file atomically: a 0600 temporary file in the same
 * directory, written, fsync'ed, renamed over the old one, the directory
 * fsync'ed. If that write fails, the new token is kept in memory (and used)
 * and the write is retried at the next refresh: the old one is dead already.
 *
 * Errors (CPR_ERROR), their text made for `status` and the health pager:
 *   CPR_ERROR_AUTH   the endpoint refused the grant or the client
 *                    (invalid_grant, invalid_client, any other 400/401): the
 *                    text starts "oauth2 refresh failed:", which the intake
 *                    health check pages on at once (notify_health.c matches
 *                    "token"). After invalid_grant the same refresh token is
 *                    not presented again for OAUTH2_DEAD_RETRY_SECONDS unless
 *                    the file changes: failing fast, not hammering the
 *                    endpoint from the reconnect loop.
 *   CPR_ERROR_REMOTE an answer that is not a usable token (not JSON, no
 *                    access_token, a token with bytes SASL cannot carry):
 *                    "oauth2 refresh failed: ..." too.
 *   CPR_ERROR_CONNECTION network failures, timeouts, HTTP 5xx and 429: retried
 *                    with the reconnect backoff, paged only if they last
 *                    ([health] connection_down_seconds); the text names the
 *                    endpoint by scheme, host and port only.
 *   CPR_ERROR_TLS    the endpoint's certificate was refused.
 *   CPR_ERROR_CONFIG a secret file cannot be read.
 * No secret (refresh token, client secret, access token) ever appears in an
 * error or a log line; secrets are wiped before they are freed. */
#ifndef CPR_OAUTH2_H
#define CPR_OAUTH2_H

#include <glib.h>
#include "config.h"

#define OAUTH2_REFRESH_EARLY_SECONDS 300
#define OAUTH2_DEAD_RETRY_SECONDS 900
#define OAUTH2_MAX_RESPONSE_BYTES (64 * 1024)
#define OAUTH2_MAX_TOKEN_BYTES (16 * 1024)

typedef struct OAuth2Client OAuth2Client;

/* A client for cfg's [imap] oauth2_* settings (cfg is not kept). NULL with
 * CPR_ERROR_CONFIG when oauth2_refresh_token_file, oauth2_token_url (https://)
 * or oauth2_client_id is missing. Nothing is read or sent yet. */
OAuth2Client *oauth2_client_new(const Config *cfg, GError **error);
/* Wipes the tokens it holds; frees and clears *client. NULL-safe. */
void oauth2_client_free(OAuth2Client **client);
/* TRUE when `client` was made from the same oauth2 settings as `cfg` (so a
 * reloaded configuration keeps the cached access token). */
gboolean oauth2_client_matches(const OAuth2Client *client, const Config *cfg);

/* A current access token, lent until the next call on `client`: the cached
 * one, or a fresh one from the endpoint when there is none, it is near its
 * expiry, or `force_refresh` (the server just refused the cached one).
 * *refreshed_r (may be NULL) says whether it came from the endpoint just now. */
const char *oauth2_client_access_token(OAuth2Client *client, gboolean force_refresh,
                                       gboolean *refreshed_r, GError **error);
/* Forget the cached access token (wiped). */
void oauth2_client_invalidate(OAuth2Client *client);
/* Seconds until the cached access token expires; -1 when none is cached. */
gint64 oauth2_client_expires_in(const OAuth2Client *client);

/* --- the testable cores --- */

typedef struct {
    char *access_token;  /* wipe with secret_free */
    char *refresh_token; /* NULL when the server did not rotate it */
    gint64 expires_in;   /* seconds; 3600 when the server did not say */
} OAuth2Grant;

void oauth2_grant_clear(OAuth2Grant *grant);

/* Judge a token endpoint answer: HTTP status and body. TRUE and *grant_r
 * filled for a 200 with a usable access token; else FALSE with the error
 * classes above. `body` need not be NUL-terminated. */
gboolean oauth2_parse_token_response(long http_status, const char *body, gsize len,
                                     OAuth2Grant *grant_r, GError **error);

/* The form body of a refresh request, every value URL-encoded (RFC 6749
 * appendix B). `client_secret` and `scope` may be NULL. Wipe it with
 * secret_free. */
char *oauth2_refresh_form(const char *refresh_token, const char *client_id,
                          const char *client_secret, const char *scope);

/* Replace the file at `path` with `secret` and a newline, atomically and
 * durably: temporary 0600 file beside it, write, fsync, rename, fsync of the
 * directory. On failure the old file is untouched and no temporary is left.
 * CPR_ERROR_CONFIG with the path and errno text. */
gboolean oauth2_write_secret_atomic(const char *path, const char *secret, GError **error);

#endif
