/* timefmt.c - UTC time formatting and parsing with GDateTime (see timefmt.h). */
#include <string.h>

#include "timefmt.h"

static char *format_utc(gint64 unix_seconds, const char *fmt)
{
    g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(unix_seconds);
    return dt ? g_date_time_format(dt, fmt) : g_strdup("invalid-time");
}

char *timefmt_rfc3339(gint64 unix_seconds)
{
    return format_utc(unix_seconds, "%Y-%m-%dT%H:%M:%SZ");
}

char *timefmt_minute(gint64 unix_seconds)
{
    return format_utc(unix_seconds, "%Y-%m-%d %H:%M UTC");
}

gboolean timefmt_parse(const char *text, gint64 *unix_r)
{
    if (!text)
        return FALSE;
    g_autofree char *t = g_strstrip(g_strdup(text));
    g_autoptr(GTimeZone) utc = g_time_zone_new_utc();
    g_autoptr(GDateTime) dt = g_date_time_new_from_iso8601(t, utc);
    /* the short forms people type, "2026-11-21" and "2026-11-21 20:32", are
     * completed to ISO 8601 date-times that GLib reads */
    gsize n = strlen(t);
    if (!dt && (n == 10 || n == 16) && t[4] == '-' && t[7] == '-') {
        g_autofree char *full = g_strconcat(t, n == 10 ? "T00:00:00" : ":00", NULL);
        dt = g_date_time_new_from_iso8601(full, utc);
    }
    if (!dt)
        return FALSE;
    *unix_r = g_date_time_to_unix(dt);
    return TRUE;
}

char *timefmt_left(gint64 seconds)
{
    gboolean overdue = seconds < 0;
    guint64 s = overdue ? (guint64)(-seconds) : (guint64)seconds;
    guint64 d = s / 86400, h = (s % 86400) / 3600, m = (s % 3600) / 60;
    g_autofree char *span = d ? g_strdup_printf("%" G_GUINT64_FORMAT "d %" G_GUINT64_FORMAT "h", d, h)
                              : g_strdup_printf("%" G_GUINT64_FORMAT "h %" G_GUINT64_FORMAT "m", h, m);
    return overdue ? g_strdup_printf("overdue %s", span) : g_steal_pointer(&span);
}
