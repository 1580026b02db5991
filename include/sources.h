/* sources.h - where offline mail comes from: .eml files, Maildir folders,
 * directories of files, mbox files and stdin (an MTA pipe).
 *
 * Standard input is one message, byte for byte, unless its first line is an
 * mbox "From " line (then it is split as an mbox; Content-Length is ignored).
 * Each message found is handed to a callback with its raw bytes and a source
 * name ("dir/new/123.host", "box.mbox#4", "-"). Memory is bounded: messages are
 * read one at a time, and one larger than `max_bytes` is reported as an error
 * for that input without being read whole. */
#ifndef CPR_SOURCES_H
#define CPR_SOURCES_H

#include <glib.h>

/* Return FALSE (with error) to report this message as failed; the walk goes
 * on. Setting *stop_r stops the walk (a fatal error). */
typedef gboolean (*SourceMessageFunc)(const guint8 *raw, gsize len, const char *source,
                                      gpointer user_data, gboolean *stop_r, GError **error);

/* Called for every input that failed (unreadable file, too large, callback
 * failure) with its source name and the reason. */
typedef void (*SourceErrorFunc)(const char *source, const GError *error, gpointer user_data);

/* Walk one PATH (or "-" for stdin). Returns the number of failures seen via
 * *failures_r; FALSE only when the walk was stopped. */
gboolean sources_walk(const char *path, gsize max_bytes, SourceMessageFunc on_message,
                      SourceErrorFunc on_error, gpointer user_data, guint *failures_r);

#endif
