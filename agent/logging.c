/* logging.c - one log format for every command (see logging.h). */
#include "logging.h"
#include "textutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static GLogLevelFlags threshold = G_LOG_LEVEL_INFO;
static int journal = -1; /* -1: not decided yet */

/* systemd: JOURNAL_STREAM=<device>:<inode> of the stream connected to our
 * stdout/stderr (sd_journal_stream_fd; systemd.exec(5)). Compare with stderr. */
static gboolean stderr_is_journal(void)
{
    const char *js = g_getenv("JOURNAL_STREAM");
    if (!js || !*js)
        return FALSE;
    unsigned long long dev = 0, ino = 0;
    char extra = 0;
    if (sscanf(js, "%llu:%llu%c", &dev, &ino, &extra) != 2)
        return FALSE;
    struct stat st;
    if (fstat(STDERR_FILENO, &st) != 0)
        return FALSE;
    return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

/* TRUE when stderr is the journal (see above). */
static gboolean logging_to_journal(void)
{
    if (journal < 0)
        journal = stderr_is_journal() ? 1 : 0;
    return journal == 1;
}

static const char *level_name(GLogLevelFlags level)
{
    if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
        return "error";
    if (level & G_LOG_LEVEL_WARNING)
        return "warning";
    if (level & (G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO))
        return "info";
    return "debug";
}

/* syslog(3) priorities: 2 crit, 3 err, 4 warning, 6 info, 7 debug. */
static int level_priority(GLogLevelFlags level)
{
    if (level & G_LOG_LEVEL_ERROR)
        return 2;
    if (level & G_LOG_LEVEL_CRITICAL)
        return 3;
    if (level & G_LOG_LEVEL_WARNING)
        return 4;
    if (level & (G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO))
        return 6;
    return 7;
}

static void write_line(const gchar *domain, GLogLevelFlags level, const gchar *message,
                       gpointer user_data)
{
    GLogLevelFlags l = level & G_LOG_LEVEL_MASK;
    /* MESSAGE and INFO are one level for operators: "info". */
    GLogLevelFlags eff = (l & G_LOG_LEVEL_MESSAGE) ? G_LOG_LEVEL_INFO : l;
    if (eff > threshold && !(l & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL)))
        return;
    const char *dom = domain ? domain : "cpr-intake";
    if (logging_to_journal()) {
        fprintf(stderr, "<%d>%s: %s\n", level_priority(l), dom, message);
    } else {
        g_autoptr(GDateTime) now = g_date_time_new_now_utc();
        g_autofree char *ts = g_date_time_format(now, "%Y-%m-%dT%H:%M:%SZ");
        fprintf(stderr, "%s %s %s: %s\n", ts, level_name(l), dom, message);
    }
    fflush(stderr);
}

void logging_init(void)
{
    journal = stderr_is_journal() ? 1 : 0;
    g_log_set_default_handler(write_line, NULL);
}

void logging_set_threshold(GLogLevelFlags level)
{
    threshold = level;
}

gboolean logging_parse_level(const char *name, GLogLevelFlags *level_r)
{
    static const struct {
        const char *name;
        GLogLevelFlags level;
    } levels[] = {
        {"debug", G_LOG_LEVEL_DEBUG},
        {"info", G_LOG_LEVEL_INFO},
        {"warning", G_LOG_LEVEL_WARNING},
        {"error", G_LOG_LEVEL_CRITICAL},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(levels); i++)
        if (!g_ascii_strcasecmp(name, levels[i].name)) {
            *level_r = levels[i].level;
            return TRUE;
        }
    return FALSE;
}

void logging_error_line(const char *text)
{
    if (logging_to_journal())
        fprintf(stderr, "<3>cpr-intake: %s\n", text);
    else
        fprintf(stderr, "cpr-intake: %s\n", text);
    fflush(stderr);
}

char *log_value(const char *value)
{
    if (!value || !*value)
        return g_strdup("-");
    char *out = text_printable(value, strlen(value), 200);
    if (!strchr(out, ' '))
        return out;
    char *quoted = g_strdup_printf("\"%s\"", out);
    g_free(out);
    return quoted;
}
