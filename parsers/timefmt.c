/* timefmt.c - UTC time formatting and parsing with GDateTime (see timefmt.h). */
#include <stdio.h>
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
    if (!dt) {
        int y, mo, d, h = 0, mi = 0, s = 0;
        char tail = 0;
        int n = sscanf(t, "%4d-%2d-%2d %2d:%2d:%2d%c", &y, &mo, &d, &h, &mi, &s, &tail);
        if ((n == 3 && strlen(t) == 10) || n == 5 || n == 6)
            dt = g_date_time_new_utc(y, mo, d, h, mi, s);
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
