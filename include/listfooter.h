/* listfooter.h - remove mailing-list footers from message text.
 *
 * Pure: text in, text out. Today it knows one footer, the one Google Groups
 * appends ("-- \nYou received this message because you are subscribed to the
 * Google Groups ..."), which CA problem-report lists hosted there add to every
 * message and every quoted reply; it says nothing about the report. */
#ifndef CPR_LISTFOOTER_H
#define CPR_LISTFOOTER_H

#include <glib.h>

/* The first line of a Google Groups footer. */
#define LISTFOOTER_GOOGLE_GROUPS \
    "You received this message because you are subscribed to the Google Groups"

/* `text` without its Google Groups footer blocks, quoted ("> ") or not: each
 * block is the line starting with LISTFOOTER_GOOGLE_GROUPS (after its quote
 * prefix), the "-- " signature line just before it at the same quote level,
 * and the lines after it up to a blank line or a change of quote level.
 * Text that does not contain LISTFOOTER_GOOGLE_GROUPS is returned unchanged;
 * otherwise trailing white space is trimmed and the result ends in one '\n'
 * (or is ""). NULL gives "". Caller owns the result. */
char *listfooter_strip(const char *text);

#endif
