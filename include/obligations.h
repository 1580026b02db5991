/* obligations.h - what a case owes, and the decisions people and the clock
 * sweep take about it (SPEC 2.3): the BR 4.9.1.1 reason, the incident state,
 * linked delayed-revocation cases, and the upgrade of cases made before this
 * model. Every change is an audit event and recomputes the case's clocks
 * (clocks.h); everything runs inside the caller's transaction unless said. */
#ifndef CPR_OBLIGATIONS_H
#define CPR_OBLIGATIONS_H

#include <glib.h>
#include "clocks.h"
#include "config.h"
#include "reasons.h"
#include "store.h"

/* What one stored message adds to its case. */
typedef struct {
    gint64 case_id;
    gint64 message_row;
    guint32 reason_candidates; /* reasons_infer() of its text */
    gboolean concerns_certs;   /* names a certificate (or asks to revoke a domain's) */
    gboolean report_owed;      /* makes BR 4.9.5 apply to the case */
} MessageFacts;

/* A message joined or opened a case: merge its facts, choose the reason
 * (unless a person set it), audit a change, recompute the clocks. `newly_met_r`
 * as clocks_refresh(). */
gboolean obligations_on_message(Store *store, const MessageFacts *m, gint64 now,
                                GError **error);

/* The revocation clock of a case: when it started and when it is due; both
 * 0 when the case has none (no certificate, or short-lived ones). */
gboolean obligations_revocation_clock(Store *store, gint64 case_id, gint64 *starts_r,
                                      gint64 *due_r, GError **error);

/* `case reason`: a person sets the reason (source "set"). */
gboolean obligations_set_reason(Store *store, gint64 case_id, const ReasonRow *row,
                                const char *by, const char *note, gint64 now, GError **error);

/* `case incident`: yes from `aware_at`, or no with a rationale (required). */
gboolean obligations_set_incident(Store *store, gint64 case_id, IncidentState state,
                                  const char *rationale, gint64 aware_at, const char *by,
                                  gint64 now, GError **error);

/* Open the linked delayed-revocation case of `case_id` (once; an existing one
 * is kept): incident from `at`, paged. *delayed_id_r (may be NULL) gets its
 * id; *opened_r (may be NULL) whether it was opened now. */
gboolean obligations_open_delayed(Store *store, const Config *cfg, gint64 case_id, gint64 at,
                                  const char *why, gint64 now, gint64 *delayed_id_r,
                                  gboolean *opened_r, GError **error);

typedef struct {
    guint missed;    /* clock_missed events recorded */
    guint incidents; /* cases declared incidents by a missed BR 4.9.5 deadline */
    guint delayed;   /* delayed-revocation cases opened */
} SweepStats;

/* The clock sweep of `run` and `notify-run` (its own transaction): records
 * each missed clock once, declares an incident once when a preliminary
 * report is late, opens a delayed-revocation case when a revocation is. */
gboolean obligations_sweep(Store *store, const Config *cfg, gint64 now, SweepStats *stats_r,
                           GError **error);

/* Cases stored before this model (schema 3) get a reason, the subscriber
 * clock and recomputed clocks; deadlines already passed are recorded as
 * pre-upgrade and open nothing. Its own transaction; a no-op when nothing is
 * pending. */
gboolean obligations_upgrade(Store *store, const Config *cfg, gint64 now, GError **error);

/* BR 1.6.1 short-lived: validity of at most 10 days when issued from
 * 2024-03-15 to 2026-03-15, at most 7 days from 2026-03-15; never before. */
gboolean obligations_short_lived(gint64 not_before, gint64 not_after);
/* Is `issuer_dn` none of the CA's own CA names? FALSE when no names are
 * configured (unknown is never "another CA's"). */
gboolean obligations_foreign_issuer(const char *issuer_dn, const char *const *ca_names);

#endif
