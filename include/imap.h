/* imap.h - the IMAP listener: `cpr-intake run [--once]` (SPEC 3.2, issue 4).
 *
 * One connection to the server of [imap]: implicit TLS (imaps://) or mandatory
 * STARTTLS (imap://), the peer certificate verified with GnuTLS against the
 * system trust store plus ca_file and the host name, before any authentication.
 * For each configured folder it catches up from the last UID committed in the
 * store (never from server flags), feeds every message to intake_message() and
 * only then marks it processed on the server. Then it IDLEs on the first folder
 * (or polls), polling the others every imap.poll_seconds, reconnecting with
 * capped exponential backoff and jitter whenever the connection fails.
 *
 * Logs one line per event to stderr ("event=... folder=... uid=...") and records
 * health in the store for `status`: imap.connection, imap.last_error,
 * imap.heartbeat and per-folder last sync. */
#ifndef CPR_IMAP_H
#define CPR_IMAP_H

#include <glib.h>
#include "config.h"
#include "store.h"
#include "intake.h"

/* Run the listener. `cfg`, `store` and `intake` are borrowed.
 *
 * once = TRUE: connect, catch up every folder, log out and return; FALSE with the
 * first error (connection, TLS, authentication or a folder that failed).
 *
 * once = FALSE: run until imap_daemon_request_stop() (SIGTERM/SIGINT, which
 * the function installs handlers for) and return TRUE; the message being
 * committed when the signal arrives is finished first. Network, TLS and
 * authentication failures are retried with backoff (and recorded in the store),
 * never returned. Returns FALSE only on a database failure (CPR_ERROR_STORE):
 * exit non-zero and let systemd restart the daemon.
 *
 * SIGHUP reloads the configuration from cfg->path (on success, the new [imap]
 * and [ca] settings apply from the next connection; on failure the old ones stay
 * and the error is logged). SIGPIPE is ignored. */
gboolean imap_daemon_run(const Config *cfg, Store *store, Intake *intake, gboolean once,
                         GError **error);

/* Async-signal-safe: ask a running imap_daemon_run() to finish the current
 * message and return. */
void imap_daemon_request_stop(void);
/* Async-signal-safe: ask a running imap_daemon_run() to reload its config. */
void imap_daemon_request_reload(void);

#endif
