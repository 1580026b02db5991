/* fold.h - text folded for matching names and addresses.
 *
 * Pure. Folding: NFKD, combining marks dropped, case folded, typographic
 * apostrophes as "'", hyphens and whitespace runs as one space, zero-width
 * characters dropped, markdown backslashes dropped. identity.c compares the
 * folded forms of names; redact.c finds them in folded text and maps every
 * match back to the original bytes (parsers/fold_internal.h). */
#ifndef CPR_FOLD_H
#define CPR_FOLD_H

#include <glib.h>

/* `text` folded for matching (NULL gives ""). Caller frees. */
char *redact_fold(const char *text);

#endif
