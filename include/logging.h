/* logging.h - one log format for every command (stderr, for people and journald).
 *
 * Every g_message/g_warning/... of every command, and every cli_error(), is one
 * line on stderr. On a terminal or in a file:
 *     2026-11-21T20:32:14Z info imap: event=connected url=imaps://... user=...
 * When stderr is the journal (systemd sets JOURNAL_STREAM to the device and
 * inode of the stream it gave us; they must equal stderr's, or stderr was
 * redirected since), the line carries a syslog priority prefix and no
 * timestamp of our own, journald stamps it:
 *     <6>imap: event=connected url=imaps://... user=...
 * cli_error() lines keep their "cpr-intake: ..." text, with "<3>" in front
 * under journald. */
#ifndef CPR_LOGGING_H
#define CPR_LOGGING_H

#include <glib.h>

/* Install the handler for every log domain; decides once whether stderr is
 * the journal. main() calls it before anything logs. */
void logging_init(void);
/* The most verbose level still written (default G_LOG_LEVEL_INFO; MESSAGE and
 * INFO are one level, "info"). */
void logging_set_threshold(GLogLevelFlags level);
/* "debug" | "info" | "warning" | "error" to a level; FALSE for anything else. */
gboolean logging_parse_level(const char *name, GLogLevelFlags *level_r);
/* Write one error line for people: "cpr-intake: <text>" (plus "<3>" under
 * journald). */
void logging_error_line(const char *text);
/* The one way to put a value that is not ours (a folder, a server's words, an
 * error message, a path) in a log line as key=value: control characters,
 * non-ASCII bytes and '"' become '?', at most 200 bytes, in double quotes when
 * it holds a space; "-" for NULL or empty. The caller frees the result. */
char *log_value(const char *value);

#endif
