/* mime_problems.h - the `problems` list of a parsed message (see mime.h).
 *
 * One line per defect, each line once, at most MIME_PROBLEMS_MAX lines plus
 * one saying that more were left out: one hostile message must not produce
 * an unbounded list of complaints. Every line is valid UTF-8. Used by the
 * modules that parse a message (mime, mime_prescan); callers read the list
 * as a plain GPtrArray of char*. */
#ifndef CPR_MIME_PROBLEMS_H
#define CPR_MIME_PROBLEMS_H

#include <glib.h>

#define MIME_PROBLEMS_MAX 64
#define MIME_PROBLEMS_MORE "too many problems: further ones not recorded"

/* A new, empty list of char* (frees its strings). */
GPtrArray *mime_problems_new(void);

/* Append the formatted line to `problems` unless it is already there or the
 * list is full; the first line past the limit becomes MIME_PROBLEMS_MORE.
 * Invalid UTF-8 in the line is replaced. A NULL list is left alone. */
void mime_problems_add(GPtrArray *problems, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

#endif
