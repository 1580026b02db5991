/* bugzilla_confirm.h - Bugzilla mail that would relax an obligation, read
 * back through the REST API before it counts (SPEC 2.3).
 *
 * Intake records such mail (a later "Next update" date, a resolution) as an
 * unconfirmed event and changes no clock: anyone can send mail that looks
 * like Bugzilla's. bugzilla_confirm_run() reads each such bug through the
 * REST API ([bugzilla] configured) and records, for each pending claim, either
 * the same event with "confirmed":"rest" (the clocks follow) or
 * "bug_claim_not_confirmed" (what the bug really says). A network or server
 * failure records nothing: the claim stays unconfirmed and is read again at a
 * later run. It runs from the clock sweep of `run` and `notify-run`, never
 * from intake, so no mail waits for the network. */
#ifndef CPR_BUGZILLA_CONFIRM_H
#define CPR_BUGZILLA_CONFIRM_H

#include <glib.h>
#include "config.h"
#include "store.h"

typedef struct {
    guint confirmed;     /* claims the bug confirmed */
    guint not_confirmed; /* claims the bug contradicts */
    guint failed;        /* reads that failed (retried later) */
} BugzillaConfirmStats;

/* Outside any transaction. FALSE only on a database error; Bugzilla failures
 * are logged and counted in stats_r->failed. Without [bugzilla] it does
 * nothing. After a failure it waits 5 minutes before
 * reading again in this process. */
gboolean bugzilla_confirm_run(Store *store, const Config *cfg, gint64 now,
                              BugzillaConfirmStats *stats_r, GError **error);

#endif
