/* imap_internal.h - what the agent/imap/imap_*.c files share with each other. Not for
 * other modules: their one entry point is imap.h.
 *
 *   imap_connect.c  TCP, the clear-text half of STARTTLS and the TLS handshake,
 *                   without libetpan's parser (it must see verified bytes only)
 *   imap_guard_stream.c  the response guard between libetpan and TLS: flag lists
 *                   checked (parsers/imap_guard.c) before libetpan parses them
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
#include "logging.h"
#include "store.h"

/* --- imap_connect.c --- */

/* What libetpan reads first after STARTTLS: the server's real greeting was read
 * (and not parsed) by imap_connect_starttls_exchange() before TLS. */
#define IMAP_CONNECT_SYNTHETIC_GREETING "* OK cpr-intake: greeting consumed before TLS\r\n"

/* A TCP connection to host:port, each address tried for at most timeout_s
 * seconds. Returns a blocking descriptor, or -1 with CPR_ERROR_CONNECTION
 * ("<what>: cannot connect: ..."). */
int imap_connect_tcp(const char *host, guint16 port, int timeout_s, const char *what,
                     GError **error);

/* The clear-text half of STARTTLS on fd, with a strict reader of its own
 * (lines of at most 2 KiB, timeout_s per step, response codes ignored):
 * greeting `* OK` (PREAUTH and BYE refused), `A0 STARTTLS`, tagged OK. Reads
 * nothing past the tagged reply. CPR_ERROR_TLS when the server refuses
 * STARTTLS or pre-authenticates, CPR_ERROR_CONNECTION otherwise. */
gboolean imap_connect_starttls_exchange(int fd, int timeout_s, const char *what,
                                        GError **error);

/* CPR_ERROR_TLS when bytes already wait on fd after the STARTTLS reply
 * (sent in clear before our handshake: a response injection). */
gboolean imap_connect_check_quiet(int fd, const char *what, GError **error);

/* TLS handshake on fd with SNI for `host`, bounded by timeout_s. Takes fd
 * (closed on failure). The certificate is NOT verified: imap_tls_verify()
 * before anything is read from the stream. The stream reads through the
 * response guard (imap_guard_stream_install()). CPR_ERROR_TLS on failure. */
mailstream *imap_connect_tls(int fd, const char *host, int timeout_s, const char *what,
                             GError **error);

/* Put IMAP_CONNECT_SYNTHETIC_GREETING ahead of a fresh stream's bytes, for
 * mailimap_connect() after STARTTLS. */
gboolean imap_connect_prime_greeting(mailstream *stream, GError **error);

/* --- imap_guard_stream.c --- */

/* Put the response guard between `stream` and its low driver, before a byte
 * is read: libetpan then parses only lines whose flag lists are well formed
 * (imap_guard.h); a malformed one fails the read (MAILIMAP_ERROR_STREAM, so
 * CPR_ERROR_CONNECTION) and logs event=bad_response. Writes, the descriptor,
 * the certificate chain, cancel and the IDLE hooks are the wrapped driver's. */
gboolean imap_guard_stream_install(mailstream *stream, GError **error);
/* Checked bytes the guard holds for libetpan, not yet in stream->read_buffer:
 * data to handle before waiting on the descriptor. 0 without a guard. */
gsize imap_guard_stream_pending(mailstream *stream);
/* Why the guard refused the server's bytes, or NULL (also without a guard). */
const GError *imap_guard_stream_error(mailstream *stream);

/* --- imap_tls.c --- */

/* The connect callback of mailstream_ssl_open_with_callback_timeout()
 * (imap_connect_tls()): sets SNI to `data` (the host name,
 * a const char*) unless it is an IP literal. */
void imap_tls_sni_callback(struct mailstream_ssl_context *ssl_context, void *data);

/* Verify the peer chain of an established TLS stream against the system trust
 * store plus `ca_file` (may be NULL), for TLS server use, and `host` (a DNS
 * name or an IP literal). CPR_ERROR_TLS with GnuTLS's reasons on failure. */
gboolean imap_tls_verify(mailstream *stream, const char *host, const char *ca_file,
                         GError **error);

/* --- imap_session.c --- */

typedef struct {
    mailimap *imap;
    const Config *cfg;      /* borrowed */
    gboolean has_idle;
    gboolean has_move;
    gboolean has_uidplus;
    char *selected;         /* the folder SELECTed, or NULL */
    gboolean idle_woke;     /* an IDLE round on `selected` just ended with news: the
                             * next catch-up of it needs no new SELECT (issue 16) */
    guint32 sel_uidvalidity;
    guint32 sel_uidnext;    /* 0 when the server did not say */
    guint32 sel_exists;
    gboolean sel_keywords;  /* PERMANENTFLAGS allows new keywords (\*) */
    gboolean broken;        /* a fatal error happened: no LOGOUT on free */
    char delimiter;         /* the server's hierarchy delimiter; 0: flat (NIL) */
    char *personal_prefix;  /* NAMESPACE's personal prefix ("INBOX." on Cyrus), or NULL */
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
/* The server's name of a configured folder. `folders=` is written with "/"
 * (INBOX;Lists/ccadb); the server may use another hierarchy delimiter (from
 * NAMESPACE, else LIST "" "") and a personal prefix: on Cyrus IMAP
 * "Lists/ccadb" is "INBOX.Lists.ccadb". INBOX, and a name already written with
 * the server's delimiter, are kept. Caller frees. */
char *imap_session_mailbox(const ImapSession *s, const char *folder);

/* TRUE when libetpan's result means the connection is unusable. */
gboolean imap_result_is_fatal(int r);
/* Set *error from a libetpan result: CPR_ERROR_CONNECTION when the connection
 * is gone, else `code`; the message is "<what>: <libetpan error> (<server text>)",
 * the server text only when the server answered this command (after a lost
 * connection libetpan still holds the text of an earlier, unrelated reply). */
void imap_session_set_error(ImapSession *s, int r, CprErrorCode code, GError **error,
                            const char *what);

/* --- imap_sync.c --- */

/* ---- imap_fetch.c: bodies in bounded pieces (issue 16, 17) ---- */

typedef struct ImapFetch ImapFetch;

/* A UID set from ascending UIDs, runs folded into intervals. */
struct mailimap_set *imap_uid_set(const guint32 *uids, guint n);
ImapFetch *imap_fetch_new(void);
void imap_fetch_free(ImapFetch **f);
/* A new connection: a cut before its first good fetch makes the cap smaller. */
void imap_fetch_connected(ImapFetch *f);
/* Bytes one FETCH may bring now; smaller after cut transfers. */
gsize imap_fetch_cap(const ImapFetch *f);
/* Grows with every body fetch that succeeded and every cap made smaller: a
 * connection cut after some of that was not lost work (issue 17). */
guint64 imap_fetch_progress(const ImapFetch *f);
/* The range size of a large message now; a message over it comes in ranges. */
gsize imap_fetch_chunk(const ImapFetch *f);
/* UID FETCH uids (UID BODY.PEEK[]<offset.length>); a cut connection
 * (CPR_ERROR_CONNECTION) makes the cap smaller. */
gboolean imap_fetch_bodies(ImapFetch *f, ImapSession *s, const char *folder,
                           const guint32 *uids, guint n, guint32 offset, guint32 length,
                           clist **result_r, GError **error);
/* The body of `uid` in a FETCH result (lent), or NULL. */
const char *imap_fetch_body_of(clist *result, guint32 uid, gsize *len_r);
/* Message `uid` of the selected folder by ranges, after the bytes in `start`
 * (may be NULL; not consumed) or those kept from a transfer cut earlier, up
 * to `limit` bytes or the end of the message. *out_r: the bytes (owned), or
 * NULL when the message is gone. On a cut connection what arrived is kept
 * for the next attempt. */
gboolean imap_fetch_ranged(ImapFetch *f, ImapSession *s, const char *folder, guint32 uid,
                           GByteArray *start, gsize limit, GByteArray **out_r, GError **error);

typedef struct ImapSync ImapSync;

typedef gboolean (*ImapStopFunc)(void);

ImapSync *imap_sync_new(Store *store, Intake *intake, const Config *cfg, const Bounds *bounds,
                        ImapStopFunc should_stop);
void imap_sync_free(ImapSync **sync);
/* Swap in a reloaded config and intake (both borrowed). */
void imap_sync_set_config(ImapSync *sync, const Config *cfg, Intake *intake);
/* A new connection: check every folder's server marks again (issue 17). */
void imap_sync_connected(ImapSync *sync);
/* imap_fetch_progress() of the sync's fetches. */
guint64 imap_sync_progress(const ImapSync *sync);

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
