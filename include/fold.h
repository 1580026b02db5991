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

/* `c` belongs to a script written without spaces between words (Han, Hiragana,
 * Katakana, Thai, Lao, Khmer, Myanmar): there a word or a name has no
 * boundary that a space or a letter of another word would show. */
gboolean fold_continuous_script(gunichar c);

#endif
