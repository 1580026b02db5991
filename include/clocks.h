/* clocks.h - the deadlines of a case (SPEC 2.3).
 *
 * A case's clocks are a function of what the case knows (its kind, awareness
 * time, BR 4.9.1.1 reason, what its certificates are, its incident state) and
 * of the events recorded on it: clocks_compute() is that function, pure, and
 * tested as a table (tests/test_clocks.c). The windows, their starting points
 * and the events that meet them are data (CLOCK_DEFS in clocks.c, the reason
 * rows in reasons.c): a policy change, such as a CA/B Forum ballot that runs a
 * clock from `actionable`, is an edit of one row.
 *
 * The clocks table holds the result for readers (show, deadlines, escalation,
 * reports); clocks_refresh() recomputes and rewrites a case's rows inside the
 * caller's transaction whenever a fact or an event changes. A CPR is not an
 * incident: the BR clocks (preliminary reports, revocation) and the incident
 * clocks of the CCADB guidelines (disclosure, full report, updates, questions)
 * start on different facts. */
#ifndef CPR_CLOCKS_H
#define CPR_CLOCKS_H

#include <glib.h>
#include "store.h"

typedef enum {
    INCIDENT_UNDETERMINED,
    INCIDENT_YES,
    INCIDENT_NO,
} IncidentState;

typedef enum {
    CLOCK_OPEN,      /* unmet, not yet due */
    CLOCK_MET,       /* met by its due time */
    CLOCK_MET_LATE,  /* met after its due time */
    CLOCK_MISSED,    /* due time passed, unmet */
    CLOCK_WITHDRAWN, /* no longer applies (the case is not an incident) */
} ClockStatus;

/* The reason of a case: REASON_NONE when it concerns no certificate,
 * REASON_ASSUMED when it does but no reason is known, else the BR row. */
#define REASON_NONE (-1)
#define REASON_ASSUMED 0

/* What the case knows. */
typedef struct {
    const char *kind;         /* cpr, list_post, bugzilla, delayed_revocation, ... */
    gint64 aware_at;
    gboolean report_owed;     /* BR 4.9.5 applies: a CPR, or a list post / bug
                                 that names a certificate and a problem */
    int reason;               /* REASON_NONE, REASON_ASSUMED or 1..16 */
    gboolean failure_named;   /* some reason the text supports (not only the chosen
                                 one) is a failure of the CA by default: a CAA
                                 violation reported with "never requested" */
    gboolean subordinate_ca;  /* every certificate concerned is a CA certificate */
    gboolean short_lived;     /* every certificate concerned is short-lived */
    gboolean foreign;         /* every certificate concerned is another CA's */
    IncidentState incident;
    gint64 incident_aware_at; /* yes: incident awareness; no: when the clocks
                                 ran before they were withdrawn (0 = never) */
    gint64 backfill_slack;    /* [audit] backfill_slack_seconds; 0 = 3600 */
} ClockFacts;

/* One recorded event, as the clocks see it. */
typedef struct {
    gint64 id;       /* event row id: orders events and keys unnumbered questions */
    const char *type;
    gint64 at;
    gint64 ref;      /* question_asked / question_answered: comment number, 0 = none */
    gint64 value;    /* bug_update_due_set: 00:00 UTC of the "Next update" day */
    gint64 recorded_at; /* when the row was written; 0 for rows from before */
    gboolean unconfirmed; /* bug_update_due_set or bug_resolved from mail, not read
                             back from Bugzilla (REST): it may tighten a clock,
                             never relax one */
} ClockEvent;

typedef struct {
    char *clock;
    gint64 ref;       /* question_response: comment number (> 0); < 0 for a question
                         without a number (-event id); 0 for other clocks */
    gint64 starts_at;
    gint64 due_at;
    gint64 met_at;    /* 0 = unmet */
    gint64 page_at;   /* an extra paging time inside the window, 0 = none (rows
                         6-16: 24 h; delayed-revocation updates: 3 days) */
    gboolean withdrawn;
    gboolean backfilled; /* met by an event recorded after the fact (recorded_at
                            later than its time by more than the slack) */
    char *rule;       /* "BR 4.9.1.1 #5, 24 h" */
} Clock;

/* The clocks of a case, in a stable order (definition order, questions by
 * ref). Events may come in any order. Never NULL. */
GPtrArray *clocks_compute(const ClockFacts *facts, const ClockEvent *events, gsize n_events);

ClockStatus clocks_status(gint64 due_at, gint64 met_at, gboolean withdrawn, gint64 now);
const char *clocks_status_name(ClockStatus status);

/* Distinct clock names in definition order, NULL-terminated; static. */
const char *const *clocks_names(void);

const char *clocks_incident_name(IncidentState s);
gboolean clocks_incident_from_name(const char *name, IncidentState *s_r);

/* [audit] backfill_slack_seconds, for clocks_refresh() (default 3600). */
void clocks_set_backfill_slack(gint64 seconds);

/* Recompute case `case_id`'s clocks from the database and rewrite its rows
 * (inside the caller's transaction). `newly_met_r` (may be NULL) gets the
 * names of clocks that were unmet before and are met now; caller frees. */
gboolean clocks_refresh(Store *store, gint64 case_id, GPtrArray **newly_met_r, GError **error);

#endif
