/* report.h - the response-time report (SPEC 2.7): for each clock, how many
 * started, were met in time, were missed, are still open, and the median and
 * 90th percentile of the time it took to meet them.
 *
 * report_compute() is pure (samples and `now` in, figures out) so that its
 * arithmetic is tested against hand-computed figures; report_load() reads the
 * samples of a period from the store.
 *
 * Definitions:
 *  - a sample is one started clock (starts_at set) of a case whose aware_at is
 *    in [since, until);
 *  - each sample has one status (clocks.h): met (in time), met_late, missed
 *    (unmet and due_at < now), withdrawn (the case is not an incident), open;
 *    met_backfilled counts those met in time by an event recorded after the
 *    fact (issue "Evidence", `backfilled`), so met + met_backfilled +
 *    met_late + missed + withdrawn + open = count;
 *  - time to meet: met_at - starts_at, over every met clock (in time or late);
 *  - median: the middle value, or the mean of the two middle values (rounded
 *    down to the second); p90: nearest rank, the ceil(0.9 n)-th smallest.
 * A recurring clock (bug_update) counts its current cycle only. */
#ifndef CPR_REPORT_H
#define CPR_REPORT_H

#include <glib.h>
#include "store.h"

typedef struct {
    const char *clock;
    gint64 starts_at, due_at;
    gint64 met_at; /* 0 = not met */
    gboolean withdrawn;
    gboolean backfilled; /* met by a back-filled event */
} ReportSample;

typedef struct {
    char *clock;
    guint count, met, met_backfilled, met_late, missed, withdrawn, open;
    guint timed;       /* samples with a time to meet */
    gint64 median, p90; /* seconds; meaningful when timed > 0 */
} ReportClockStats;

/* ReportClockStats*, one per clock that has samples, in the order of
 * clocks_names() (clocks unknown to the policy table last, by name). */
GPtrArray *report_compute(const ReportSample *samples, gsize n, gint64 now);

/* The samples of cases aware in [since, until) (until 0 = no end). The
 * sample strings live as long as *chunk_r (free both with g_array_unref and
 * g_string_chunk_free). */
gboolean report_load(Store *store, gint64 since, gint64 until, GArray **samples_r,
                     GStringChunk **chunk_r, GError **error);

/* The report as text for people, or as one JSON object. Caller frees. */
char *report_format_text(const GPtrArray *stats, gint64 since, gint64 until, gint64 now);
char *report_format_json(const GPtrArray *stats, gint64 since, gint64 until, gint64 now);

#endif
