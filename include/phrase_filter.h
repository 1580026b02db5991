/* phrase_filter.h - one pass over a text for all phrase rules (issue 16).
 *
 * Each rule pattern is read for the literals one of which every match must
 * contain (like "issu" in "\bmis-?issu", or {"leaked", "stolen", "copied"}
 * in "\bkey (was )?(leaked|stolen|copied)"). phrase_filter_scan() runs one
 * Aho-Corasick automaton of all those literals over the text, ASCII letters
 * folded, and says which patterns may match: only those need their regex.
 * A pattern whose literals cannot be told (a lookaround, a backreference,
 * inline options, a branch of classes only) is always reported: the filter
 * only ever skips a regex that cannot match, so the results are those of
 * running every regex. */
#ifndef CPR_PHRASE_FILTER_H
#define CPR_PHRASE_FILTER_H

#include <glib.h>

typedef struct PhraseFilter PhraseFilter;

/* A filter for patterns[0..n-1] (PCRE syntax, compiled caseless). */
PhraseFilter *phrase_filter_new(const char *const *patterns, guint n);
void phrase_filter_free(PhraseFilter *f);

/* hits[i] = TRUE when pattern i may match `text` (NUL-terminated UTF-8),
 * FALSE when it cannot. `hits` has n entries. */
void phrase_filter_scan(const PhraseFilter *f, const char *text, gboolean *hits);

/* The literals found for pattern i, NULL when it is always run (tests). */
const GPtrArray *phrase_filter_literals(const PhraseFilter *f, guint i);

#endif
