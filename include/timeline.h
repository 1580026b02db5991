/* timeline.h - per-case timelines in markdown for the Timeline section of a
 * Full Incident Report (SPEC 2.7): UTC, minute granularity, one row per
 * thing that happened (the CA became aware, messages, pages, escalations,
 * what people recorded), then the case's deadlines. The output is meant to
 * be published, so each case's timeline is redacted and leak-checked like a
 * draft (case_redaction.h): a leak is an error, never output. */
#ifndef CPR_TIMELINE_H
#define CPR_TIMELINE_H

#include <glib.h>
#include "config.h"
#include "store.h"

/* Timelines of case `case_id` (0 = every case with events since `since`),
 * events at or after `since`, appended to `out`. */
gboolean timeline_markdown(Store *store, const Config *cfg, gint64 case_id, gint64 since,
                           GString *out, GError **error);

#endif
