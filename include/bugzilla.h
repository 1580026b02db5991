/* bugzilla.h - a small client for Bugzilla's REST API (SPEC 2.5): who am I,
 * file a bug, find bugs by a whiteboard marker.
 *
 * HTTPS only, certificate and host verified (cfg->bugzilla_ca_file may add a
 * trust anchor), millisecond timeouts, responses bounded, no redirects. The
 * API key is read from cfg->bugzilla_api_key_file, sent only in the
 * X-BUGZILLA-API-KEY header, never logged, and wiped when the client is freed.
 *
 * Errors (CPR_ERROR): CPR_ERROR_AUTH for Bugzilla code 306 (API key invalid or
 * revoked) or 410 (login required), or an HTTP 401 without a Bugzilla error; CPR_ERROR_REMOTE for any other Bugzilla error JSON,
 * HTTP status >= 400 (429 included) or an unreadable answer; CPR_ERROR_TLS when
 * the server's certificate is refused; CPR_ERROR_CONNECTION for timeouts and
 * network failures (a request may then have reached the server: its outcome is
 * unknown); CPR_ERROR_CONFIG for a bad URL or key file. The message always
 * carries Bugzilla's code and text, or curl's error text.
 *
 * Bugzilla blocks an address for an hour after 5 bad keys a minute, so after
 * an answer of code 306 or HTTP 429 the client is *blocked*: every later call
 * fails at once without touching the network. Callers stop and page. */
#ifndef CPR_BUGZILLA_H
#define CPR_BUGZILLA_H

#include <glib.h>
#include "config.h"

typedef struct BugzillaClient BugzillaClient;

typedef struct {
    glong connect_timeout_ms; /* default 10 000 */
    glong timeout_ms;         /* whole request, default 30 000 */
    gsize max_response_bytes; /* default 1 MB */
} BugzillaOptions;

/* Reads the API key (secret_read: 0600, regular file). NULL with
 * CPR_ERROR_CONFIG when [bugzilla] url or api_key_file is missing, the URL is
 * not https:// or the key cannot be read. `options` may be NULL. */
BugzillaClient *bugzilla_client_new(const Config *cfg, const BugzillaOptions *options,
                                    GError **error);
/* Wipes the key; frees and clears *client. NULL-safe. */
void bugzilla_client_free(BugzillaClient **client);

/* TRUE once the server answered code 306 or HTTP 429: stop, do not retry. */
gboolean bugzilla_client_blocked(const BugzillaClient *client);
/* HTTP status and Bugzilla error code of the last answer (0 when none). */
void bugzilla_client_last_status(const BugzillaClient *client, long *http_status_r,
                                 gint64 *bugzilla_code_r);

/* GET /rest/whoami: the account name the key belongs to. Caller frees. */
char *bugzilla_whoami(BugzillaClient *client, GError **error);

/* POST /rest/bug with `body_json` (a JSON object). The new bug's id. */
gboolean bugzilla_create_bug(BugzillaClient *client, const char *body_json, gint64 *bug_id_r,
                             GError **error);

/* What a failed bugzilla_create_bug() means (SPEC 2.5): validation codes 50,
 * 51, 103-108, 120 and 122 (and a refusal before sending) created nothing;
 * only 306 and 410 mean a bad key; anything else (code 100500 or another,
 * HTTP 5xx, a timeout, a cut connection, an answer that is not JSON) leaves
 * the outcome unknown: look for the bug before any new POST. */
typedef enum {
    BUGZILLA_CREATED,
    BUGZILLA_NOT_CREATED,
    BUGZILLA_BAD_KEY,
    BUGZILLA_OUTCOME_UNKNOWN,
} BugzillaOutcome;
BugzillaOutcome bugzilla_create_outcome(const BugzillaClient *client, const GError *error);

/* Bugs whose whiteboard contains `marker` (GET /rest/bug?whiteboard=...; the
 * server's substring match is re-checked here). Ids ascending, as gint64 in a
 * GArray; empty when none. */
GArray *bugzilla_find_by_whiteboard(BugzillaClient *client, const char *marker, GError **error);

/* The bugs `creator` filed in `product`/`component` with exactly `summary`
 * since `since` (Unix seconds) whose description names `reference` (GET
 * /rest/bug, then each candidate's first comment): the duplicate guard of
 * `file`, which writes nothing of its own into a bug. Ids ascending. */
GArray *bugzilla_find_filed(BugzillaClient *client, const char *creator, const char *product,
                            const char *component, const char *summary, gint64 since,
                            const char *reference, GError **error);

/* A bug's state as Bugzilla itself has it (GET /rest/bug/ID), to confirm
 * what notification mail claims (SPEC 2.3): anyone can send mail that looks
 * like Bugzilla's. Strings empty when the answer lacks them. */
typedef struct {
    char *whiteboard;
    char *status;     /* e.g. "ASSIGNED", "RESOLVED" */
    char *resolution; /* e.g. "FIXED"; empty while open */
} BugzillaBug;
gboolean bugzilla_get_bug(BugzillaClient *client, gint64 bug_id, BugzillaBug *bug_r,
                          GError **error);
void bugzilla_bug_clear(BugzillaBug *bug);

/* The options [bugzilla] timeout_seconds asks for (and, in test builds only,
 * CPR_INTAKE_BUGZILLA_TIMEOUT_MS). */
BugzillaOptions bugzilla_options_from_config(const Config *cfg);

/* cfg->bugzilla_url + "/show_bug.cgi?id=N". Caller frees. */
char *bugzilla_bug_url(const Config *cfg, gint64 bug_id);

#endif
