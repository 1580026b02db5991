/* notify.h - paging on-call and acknowledging reporters (SPEC 2.3, 2.6; issue 5).
 *
 * Everything that notifies goes through the outbox (outbox.h): the functions
 * that react to something (a new case, an event) only enqueue, inside the
 * caller's transaction; notify_tick() turns due escalation points and intake
 * health into outbox rows and delivers what is due. The wire formats and the
 * guarantees are documented in docs/notifications.md. */
#ifndef CPR_NOTIFY_H
#define CPR_NOTIFY_H

#include <glib.h>
#include "classify.h"
#include "config.h"
#include "mime.h"
#include "store.h"

typedef struct {
    guint escalations;     /* escalation points fired this tick */
    guint health_pages;    /* intake health pages (and all-clears) enqueued */
    guint delivered;       /* outbox rows delivered */
    guint retrying;        /* attempts that failed and will be retried */
    guint failed;          /* rows given up for good */
    guint missed;          /* clocks found missed by the sweep (one event each) */
    guint incidents;       /* cases declared incidents by a missed BR 4.9.5 deadline */
    guint delayed_cases;   /* delayed-revocation cases opened */
    guint triage_digests;  /* digest pages of unreviewed triage mail enqueued */
} NotifyTickStats;

/* The daemon's worker, called from its loop (and by `notify-run`): the clock
 * sweep (obligations.h), intake health pages, escalation points due at `now`, then delivery of every due
 * outbox row, each target on its own (one that fails waits its backoff and
 * never holds up another). Must not be called inside a transaction. FALSE only
 * on a database failure (CPR_ERROR_STORE); delivery failures are recorded on
 * the rows. `stats_r` may be NULL. */
gboolean notify_tick(Store *store, const Config *cfg, gint64 now, NotifyTickStats *stats_r,
                     GError **error);

/* Called by intake inside the message's transaction once the message has its
 * case: a new case pages every target once; a CPR that opens a case (or joins
 * one by certificate: another reporter) gets an acknowledgement when [ack] is
 * enabled. `how` is how the case was found ("thread", "reference",
 * "certificate") or NULL for a new case. Redaction problems never lose the
 * message: the page goes out without the mail's text and an audit event says
 * so. FALSE only on a database failure. */
gboolean notify_on_intake(Store *store, const Config *cfg, gint64 case_id, gboolean new_case,
                          const char *how, const MimeMessage *msg, const Classification *cls,
                          gint64 now, GError **error);

/* Called by `event` inside its transaction: `acknowledged` acknowledges the
 * case's open pages (PagerDuty acknowledge; the clocks keep running and later
 * escalation points still page); a met clock resolves its page; `closed`
 * resolves them all. `met` lists the clocks the event met (may be NULL). */
gboolean notify_on_event(Store *store, const Config *cfg, gint64 case_id, const char *type,
                         const char *by, const GPtrArray *met, gint64 at, GError **error);

/* The end of one marking pass of `folder` (issue 17): `refused_n` stored
 * messages still lack the server mark because the server refused it (0: all
 * marked). Consecutive refusals are counted in the health table; the third,
 * once the first is 5 minutes old, pages every target once ("mark_refused":
 * folder, count, the server's answer); the first pass without a refusal
 * clears it, with an all-clear ("mark_recovered") when it had paged.
 * *paged_r (may be NULL) says whether a page was enqueued. Its own
 * transaction. FALSE only on a database failure. */
gboolean notify_mark_result(Store *store, const Config *cfg, const char *folder, guint refused_n,
                            const char *last_error, gint64 now, gboolean *paged_r,
                            GError **error);

/* [store] min_free_mb (SPEC 3.3): TRUE when the folder holding `db_path` has at
 * least that much free space (or the limit is 0, or the folder cannot be
 * measured). Below it, every [notify.*] target is paged "disk nearly full"
 * directly, writing nothing to the database, at most once per
 * `repeat_seconds` in this process, and FALSE is returned; *free_mb_r (may be
 * NULL) says what is left. After a low reading, the first good one sends an
 * all-clear. Never inside a transaction (it does not touch the store). */
#define DISK_PAGE_REPEAT_SECONDS 3600
gboolean notify_disk_ok(const Config *cfg, const char *db_path, guint repeat_seconds,
                        guint64 *free_mb_r);

#endif
