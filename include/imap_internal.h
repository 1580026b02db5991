/* imap_internal.h - what the agent/imap_*.c files share with each other. Not for
 * other modules: their one entry point is imap.h.
 *
 *   imap_tls.c      SNI and peer-certificate verification (libetpan verifies nothing)
 *   imap_session.c  connect, STARTTLS, LOGIN / XOAUTH2, capabilities, SELECT, errors
 *   imap_sync.c     catch-up of one folder: UID FETCH, intake, mark processed
 *   imap_idle.c     one IDLE round, with the libetpan buffered-data trap handled
 *   imap_daemon.c   the loop: reconnect with backoff, signals, health, once mode */
#ifndef CPR_IMAP_INTERNAL_H
#define CPR_IMAP_INTERNAL_H

#include <glib.h>
#include <libetpan/libetpan.h>
#include "bounds.h"
#include "config.h"
#include "cpr_error.h"
#include "intake.h"
#include "store.h"

/* --- imap_tls.c --- */

/* The connect callback of mailimap_ssl_connect_with_callback() and
 * mailimap_socket_starttls_with_callback(): sets SNI to `data` (the host name,
 * a const char*) unless it is an IP literal. */
void imap_tls_sni_callback(struct mailstream_ssl_context *ssl_context, void *data);

/* Verify the peer chain of an established TLS stream against the system trust
 * store plus `ca_file` (may be NULL), for TLS server use, and `host` (a DNS
 * name or an IP literal). CPR_ERROR_TLS with GnuTLS's reasons on failure. */
gboolean imap_tls_verify(mailstream *stream, const char *host, const char *ca_file,
                         GError **error);

/* Verify a DER chain (leaf first); the testable core of imap_tls_verify(). */
gboolean imap_tls_verify_der_chain(const GBytes *const *chain, guint n, const char *host,
                                   const char *ca_file, GError **error);

/* --- imap_session.c --- */

typedef struct {
    mailimap *imap;
    const Config *cfg;      /* borrowed */
    gboolean has_idle;
    gboolean has_move;
    gboolean has_uidplus;
    char *selected;         /* the folder SELECTed, or NULL */
    guint32 sel_uidvalidity;
    guint32 sel_uidnext;    /* 0 when the server did not say */
    guint32 sel_exists;
    gboolean sel_keywords;  /* PERMANENTFLAGS allows new keywords (\*) */
    gboolean broken;        /* a fatal error happened: no LOGOUT on free */
} ImapSession;

/* Connect, secure, verify, authenticate. CPR_ERROR_CONNECTION, _TLS, _AUTH or
 * _CONFIG (unreadable secret file). Never sends a credential before the peer
 * certificate has been verified. */
ImapSession *imap_session_open(const Config *cfg, GError **error);
/* LOGOUT (unless the connection broke) and free; leaves *s NULL. */
void imap_session_free(ImapSession **s);
/* SELECT (read-write: we store flags or move). CPR_ERROR_FOLDER when the
 * server refuses, CPR_ERROR_CONNECTION when the connection failed. */
gboolean imap_session_select(ImapSession *s, const char *folder, GError **error);
gboolean imap_session_noop(ImapSession *s, GError **error);

/* TRUE when libetpan's result means the connection is unusable. */
gboolean imap_result_is_fatal(int r);
/* Set *error from a libetpan result: CPR_ERROR_CONNECTION when the connection
 * is gone, else `code`; the message is "<what>: <libetpan error> (<server text>)". */
void imap_session_set_error(ImapSession *s, int r, CprErrorCode code, GError **error,
                            const char *what);
const char *imap_strerror(int r);

/* A value for a "key=value" log line: printable ASCII only, quoted when it
 * holds spaces, capped at 200 bytes, "-" for NULL. Caller frees. */
char *imap_log_value(const char *value);

/* --- imap_sync.c --- */

typedef struct ImapSync ImapSync;

typedef gboolean (*ImapStopFunc)(void);

ImapSync *imap_sync_new(Store *store, Intake *intake, const Config *cfg, const Bounds *bounds,
                        ImapStopFunc should_stop);
void imap_sync_free(ImapSync **sync);
/* Swap in a reloaded config and intake (both borrowed). */
void imap_sync_set_config(ImapSync *sync, const Config *cfg, Intake *intake);

/* Catch up one folder: SELECT, UIDVALIDITY check, UID FETCH from the last
 * committed UID, intake, mark processed. `*ingested_r` counts messages stored.
 * Errors: CPR_ERROR_FOLDER (skip this folder this round), CPR_ERROR_CONNECTION
 * (reconnect), CPR_ERROR_STORE (fatal). Stops early, returning TRUE, when
 * should_stop() says so. */
gboolean imap_sync_folder(ImapSync *sync, ImapSession *s, const char *folder, guint *ingested_r,
                          GError **error);

/* --- imap_idle.c --- */

typedef enum {
    IMAP_IDLE_ACTIVITY, /* the server said something: catch up */
    IMAP_IDLE_TIMEOUT,  /* the round ended: re-IDLE or poll other folders */
    IMAP_IDLE_STOPPED,  /* should_stop() became TRUE */
} ImapIdleResult;

/* Work the daemon does while it waits (escalations, outbox delivery): called
 * often, rate-limits itself. FALSE only on a database failure. */
typedef gboolean (*ImapTickFunc)(gpointer data, GError **error);

/* One IDLE round on the selected folder, at most `seconds` long; `tick` (may
 * be NULL) runs while the server is quiet. Always ends with DONE.
 * CPR_ERROR_CONNECTION on any network failure, the tick's error otherwise. */
gboolean imap_idle_round(ImapSession *s, int seconds, ImapStopFunc should_stop, ImapTickFunc tick,
                         gpointer tick_data, ImapIdleResult *result_r, GError **error);

#endif
