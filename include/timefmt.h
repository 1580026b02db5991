/* timefmt.h - UTC times as people and JSON see them (pure). */
#ifndef CPR_TIMEFMT_H
#define CPR_TIMEFMT_H

#include <glib.h>

/* "2026-11-21T20:32:14Z". Caller frees. */
char *timefmt_rfc3339(gint64 unix_seconds);
/* "2026-11-21 20:32 UTC" (minute granularity, for timelines). Caller frees. */
char *timefmt_minute(gint64 unix_seconds);
/* Parse RFC 3339 ("2026-11-21T20:32:14Z", with offset or fraction), "YYYY-MM-DD"
 * (midnight UTC) or "YYYY-MM-DD HH:MM[:SS]" (UTC). FALSE when unreadable. */
gboolean timefmt_parse(const char *text, gint64 *unix_r);
/* A signed duration for people: "23h 59m", "4d 2h", "overdue 3h 5m". Caller frees. */
char *timefmt_left(gint64 seconds);

#endif
