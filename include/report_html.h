/* report_html.h - `audit report --format html`: one self-contained page for
 * auditors and managers (SPEC 3.2). No scripts, nothing loaded from the
 * network: inline CSS, and per case an inline <svg> timeline of the receipt,
 * each clock's window and when it was met, with each clock's status at a
 * glance; then the response-time table.
 *
 * The table is rendered from the report's own JSON document
 * (report_format_json()), every figure of every clock in the order the JSON
 * gives them, so the page shows exactly the figures of `audit report --json`
 * whatever fields that schema carries. The timelines read the same clocks the
 * report counts: those started, of cases aware in [since, until). */
#ifndef CPR_REPORT_HTML_H
#define CPR_REPORT_HTML_H

#include <glib.h>
#include "store.h"

/* The page, or NULL with the error (CPR_ERROR_STORE; CPR_ERROR_INPUT when
 * `report_json` is not the report's JSON object). Caller frees. */
char *report_html_render(Store *store, const char *report_json, gint64 since, gint64 until,
                         gint64 now, GError **error);

#endif
