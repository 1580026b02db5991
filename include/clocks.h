/* clocks.h - the deadlines of a case (SPEC 2.3).
 *
 * The windows, their starting events and the events that meet them are a table
 * (CLOCK_POLICY in clocks.c), not code: a policy change, such as a CA/B Forum
 * ballot that runs a clock from `actionable` instead of `aware`, is an edit of
 * one row. Rows of the clocks table hold each case's started/due/met times. */
#ifndef CPR_CLOCKS_H
#define CPR_CLOCKS_H

#include <glib.h>
#include "store.h"

typedef struct {
    const char *clock;         /* cpr_preliminary_report, revocation, ... */
    const char *starts_on;     /* "aware" or the event type that starts it */
    gint64 window_seconds;
    const char *problem;       /* row applies only to this problem; NULL = any */
    const char *met_by;        /* space-separated event types that meet it */
    gboolean recurring;        /* restarts from the meeting event (bug updates) */
    const char *source;        /* the rule's source, for drafts and people */
} ClockPolicy;

/* The policy row for `clock` and `problem` (first match), or NULL. */
const ClockPolicy *clocks_policy(const char *clock, const char *problem);
/* Distinct clock names in table order, NULL-terminated; static. */
const char *const *clocks_names(void);

/* Create the clock rows of a new case (inside the caller's transaction). */
gboolean clocks_case_opened(Store *store, gint64 case_id, const char *problem, gint64 aware_at,
                            GError **error);
/* aware_at or problem changed (an earlier report joined, the problem became
 * known): move unmet clocks that run from awareness. */
gboolean clocks_case_changed(Store *store, gint64 case_id, const char *problem, gint64 aware_at,
                             GError **error);
/* An event happened on the case: meet and start clocks accordingly. Returns
 * the names of clocks met via *met_r (may be NULL; caller frees). */
gboolean clocks_on_event(Store *store, gint64 case_id, const char *problem, const char *event_type,
                         gint64 at, GPtrArray **met_r, GError **error);

#endif
