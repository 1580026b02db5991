/* notify_internal.h - the parts of the notification subsystem, for its own
 * files only (notify*.c, escalate.c, ack.c). Callers use notify.h. */
#ifndef CPR_NOTIFY_INTERNAL_H
#define CPR_NOTIFY_INTERNAL_H

#include <glib.h>
#include <json-glib/json-glib.h>
#include "classify.h"
#include "config.h"
#include "mime.h"
#include "store.h"

/* --- transports (notify_http.c, notify_smtp.c) --- */

/* A delivery returns TRUE when the receiver took it, else FALSE with an error
 * in NOTIFY_ERROR whose code tells the outbox whether to try again. */
#define NOTIFY_ERROR (notify_error_quark())
GQuark notify_error_quark(void);
typedef enum {
    NOTIFY_ERROR_RETRY,     /* try again later: network, timeout, 5xx, 408, 429 */
    NOTIFY_ERROR_PERMANENT, /* retrying cannot help: other 4xx, SMTP 5xx, bad target */
} NotifyErrorCode;

#define NOTIFY_CONNECT_TIMEOUT_MS 5000
#define NOTIFY_TIMEOUT_MS 15000
#define NOTIFY_MAX_RESPONSE (64u * 1024) /* bytes of a receiver's answer kept */

/* POST `body` (JSON) to `url`. `headers`: NULL-terminated "Name: value"
 * lines, may be NULL. */
gboolean notify_http_post(const char *url, const char *ca_file, const char *body,
                          const char *const *headers, GError **error);

typedef struct {
    const char *url;      /* smtps://host[:port] or smtp://host[:port] */
    const char *ca_file;  /* may be NULL */
    const char *user;     /* SMTP AUTH, may be NULL */
    const char *password; /* may be NULL */
    const char *from;     /* envelope sender */
} NotifySmtp;

/* Does `url` name a loopback host (127.0.0.1, localhost, ::1)? */
gboolean notify_url_is_loopback(const char *url);

/* Send one RFC 5322 message (CRLF line ends) to `rcpt` (NULL-terminated). */
gboolean notify_smtp_send(const NotifySmtp *smtp, const char *const *rcpt, const char *message,
                          GError **error);
/* The same with the password read from `password_file` (secret.h) when it is
 * not NULL, wiped after the send; smtp->password is ignored then. An
 * unreadable secret is NOTIFY_ERROR_RETRY with its message. */
gboolean notify_smtp_send_with(const NotifySmtp *smtp, const char *password_file,
                               const char *const *rcpt, const char *message, GError **error);

/* An RFC 5322 text/plain UTF-8 message with CRLF line ends. `extra_headers`:
 * NULL-terminated name, value pairs (may be NULL). Needs g_mime_init(). */
char *notify_mail_build(const char *from, const char *to, const char *subject, const char *text,
                        const char *message_id, gint64 date, const char *const *extra_headers);

/* --- pages (notify_page.c) --- */

/* Every page document (docs/notifications.md) starts with "version" 1,
 * "event" and "summary" and ends with "at", "show" (the command that shows
 * more) and "dedup_key". notify_doc_begin returns a builder inside the
 * object, those three members added, for the caller's own members;
 * notify_doc_end adds the last three (`at` as RFC 3339), closes the object
 * and returns the document. */
JsonBuilder *notify_doc_begin(const char *event, const char *summary);
char *notify_doc_end(JsonBuilder *b, gint64 at, const char *show, const char *dedup_key);

typedef struct {
    const char *event;  /* new_case | escalation | acknowledge | resolve */
    gint64 case_id;
    const char *clock;  /* NULL: the case's soonest unmet clock */
    gint64 due_at;      /* 0: the clock's current due time */
    guint point;        /* escalation point (percent; 100 = overdue) */
    const char *by;     /* acknowledge: who */
    gint64 at;          /* when it happened */
} PageSpec;

/* notify_page_build(), except that a leak-check failure is recorded as an
 * audit event and answered with the document without the mail's text. NULL
 * only on a database failure. */
char *notify_page_doc(Store *store, const Config *cfg, const PageSpec *spec, const char *row_key,
                      gint64 now, GError **error);

/* Enqueue `payload` for every [notify.*] target as outbox row `row_key`
 * (unique per target). Inside the caller's transaction. */
gboolean notify_enqueue_all(Store *store, const Config *cfg, gint64 case_id, const char *kind,
                            const char *row_key, const char *payload, gint64 now,
                            GError **error);

/* A page about the service itself, not a case: the audit event `event` (by
 * `source`, with `details`), then `doc` enqueued for every target as outbox
 * rows `kind` / `row_key`. Inside the caller's transaction. */
gboolean notify_ops_enqueue(Store *store, const Config *cfg, const char *source,
                            const char *event, const char *details, const char *kind,
                            const char *row_key, const char *doc, gint64 now, GError **error);

/* Build and enqueue one page for every target; a leak-check failure is
 * recorded as an audit event and the page is sent without the mail's text.
 * FALSE only on a database failure. */
gboolean notify_page_enqueue(Store *store, const Config *cfg, const PageSpec *spec,
                             const char *kind, const char *row_key, gint64 now, GError **error);

/* One periodic job of notify_tick in its own transaction: `fn` enqueues what
 * is due and counts it in *n (from 0); the count is added to *n_r (may be
 * NULL) once committed. */
typedef gboolean (*NotifyJobFunc)(Store *store, const Config *cfg, gint64 now, guint *n,
                                  GError **error);
gboolean notify_job_run(Store *store, const Config *cfg, gint64 now, NotifyJobFunc fn,
                        guint *n_r, GError **error);

/* Deliver one outbox row's page document to a [notify.*] target. */
gboolean notify_page_deliver(const Config *cfg, const char *target, const char *row_key,
                             const char *payload, GError **error);

/* --- escalation (escalate.c), health (notify_health.c), ack (ack.c) --- */

/* The escalation point due at `now` for a clock from `starts_at` to `due_at`:
 * the highest configured point whose time has come, 0 when none. Pure. */
guint escalate_point_due(const Config *cfg, gint64 starts_at, gint64 due_at, gint64 now);
/* The time escalation point `point` of a clock is reached. Pure. */
gint64 escalate_point_time(gint64 starts_at, gint64 due_at, guint point);

/* Fire the due escalation points of every open, unmet clock: one page per
 * clock per tick at most, and only a point higher than any fired for the same
 * due time (so a daemon that was down sends the latest point, not a burst). */
gboolean escalate_run(Store *store, const Config *cfg, gint64 now, guint *fired_r, GError **error);

/* Enqueue a page about the intake's own health, which `cpr-intake status`
 * shows (notify_health.c, notify_mark.c), inside the caller's transaction:
 * `doc` (from notify_doc_begin, the page's own members added) is closed with
 * `dedup_key`, the incident its all-clear names again; `details` (an open
 * JSON object) is closed as the details of the audit event `event` by
 * `source`; then notify_ops_enqueue as "health" rows `row_key`. */
gboolean notify_status_enqueue(Store *store, const Config *cfg, const char *source,
                               const char *event, JsonBuilder *doc, const char *dedup_key,
                               JsonBuilder *details, const char *row_key, gint64 now,
                               GError **error);

/* Page (or give the all-clear) from the IMAP listener's health keys. */
gboolean notify_health_run(Store *store, const Config *cfg, gint64 now, guint *enqueued_r,
                           GError **error);

/* Enqueue the acknowledgement of a CPR to its reporter when allowed (see
 * docs/notifications.md). Inside the intake transaction. */
gboolean ack_maybe_enqueue(Store *store, const Config *cfg, gint64 case_id, const MimeMessage *msg,
                           const Classification *cls, gint64 now, GError **error);
/* Deliver one acknowledgement row. */
gboolean ack_deliver(const Config *cfg, const char *payload, GError **error);

/* --- flood limits (notify_flood.c; SPEC 3.3) --- */

/* May a new case page? TRUE with *why_r NULL when it may, with the reason
 * (caller frees) when a limit holds it back; FALSE on a database failure. */
gboolean notify_flood_page_allowed(Store *store, const Config *cfg, const MimeMessage *msg,
                                   gint64 now, char **why_r, GError **error);
/* May `to_lower` get one more acknowledgement? As above. */
gboolean notify_flood_ack_allowed(Store *store, const Config *cfg, const char *to_lower,
                                  gint64 now, char **why_r, GError **error);
/* Record one held-back page or ack (`type` page_held | ack_held) and page the
 * hourly summary when due. Inside the caller's transaction. */
gboolean notify_flood_hold(Store *store, const Config *cfg, gint64 case_id, const char *type,
                           const char *why, gint64 now, GError **error);
/* The summary of what was held since the last one, once an hour (own
 * transaction; from notify_tick). */
gboolean notify_flood_run(Store *store, const Config *cfg, gint64 now, guint *n_r, GError **error);

/* --- the triage digest (notify_triage.c; issue 11) --- */

/* Page one digest of the unreviewed triage mail when its oldest message not
 * yet announced is [triage] digest_hours old (own transaction; from
 * notify_tick). Adds the pages enqueued to *n_r (may be NULL). */
gboolean notify_triage_run(Store *store, const Config *cfg, gint64 now, guint *n_r,
                           GError **error);

#endif
