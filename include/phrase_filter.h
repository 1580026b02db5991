/* phrase_filter.h - one pass over a text for all phrase rules (issue 16).
 *
 * Each rule pattern is read for the literals its matches must contain: per
 * top-level branch, sets of literals, one of each set (like {"key "} and
 * {"leaked", "stolen", "copied"} in "\\bkey (was )?(leaked|stolen|copied)").
 * phrase_filter_scan() runs one Aho-Corasick automaton of all the literals
 * over the text, ASCII letters folded, and says which patterns may match:
 * only those need their regex.
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

/* What pattern i needs, for tests and docs: "ALWAYS", or its branches
 * ("|") of sets ("&") of literals ("{a,b}"), "\\b" where a boundary is
 * needed. Caller frees. */
char *phrase_filter_describe(const PhraseFilter *f, guint i);

#endif
