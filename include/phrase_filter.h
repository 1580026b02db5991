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
 * running every regex.
 *
 * A pattern of several top-level branches can also be matched branch by
 * branch (phrase_matches_new()): the same matches in the same order, from
 * the regexes of the branches that may match only. */
#ifndef CPR_PHRASE_FILTER_H
#define CPR_PHRASE_FILTER_H

#include <glib.h>

typedef struct PhraseFilter PhraseFilter;
typedef struct PhraseMatches PhraseMatches;

/* How the patterns are compiled (rules.c): their branches are compiled so. */
#define PHRASE_FILTER_COMPILE_FLAGS (G_REGEX_CASELESS | G_REGEX_OPTIMIZE)

/* A filter for patterns[0..n-1] (PCRE syntax, compiled caseless). */
PhraseFilter *phrase_filter_new(const char *const *patterns, guint n);
void phrase_filter_free(PhraseFilter *f);

/* hits[i] = TRUE when pattern i may match `text` (NUL-terminated UTF-8),
 * FALSE when it cannot. `hits` has n entries. */
void phrase_filter_scan(const PhraseFilter *f, const char *text, gboolean *hits);
/* The same, and branch_hits[b] = whether top-level branch b may match, for
 * every branch of every pattern read (pattern i's are numbered after those
 * of patterns 0..i-1); branch_hits has phrase_filter_n_branches() entries. */
guint phrase_filter_n_branches(const PhraseFilter *f);
void phrase_filter_scan_branches(const PhraseFilter *f, const char *text, gboolean *hits,
                                 gboolean *branch_hits);

/* Pattern i's top-level branches, each compiled alone with
 * PHRASE_FILTER_COMPILE_FLAGS: *n of them, the first numbered *first among
 * the branch hits. NULL when pattern i is not split (one branch, always run,
 * or a branch that does not compile alone). */
GRegex *const *phrase_filter_branch_regexes(const PhraseFilter *f, guint i, guint *n, guint *first);

/* The matches of pattern i, `re` (the caller's compiled pattern), in `text`
 * (NUL-terminated, not changed while in use), one per phrase_matches_next()
 * and in the order of g_regex_match() and g_match_info_next(). With
 * branch_hits (from phrase_filter_scan_branches() on the same text), only
 * the branches that may match are run; a pattern the filter cannot split
 * (one branch, always run, or `re` compiled otherwise than
 * PHRASE_FILTER_COMPILE_FLAGS) is run whole. */
PhraseMatches *phrase_matches_new(const PhraseFilter *f, guint i, const GRegex *re, const char *text,
                                  const gboolean *branch_hits);
gboolean phrase_matches_next(PhraseMatches *m, gint *start, gint *end);
void phrase_matches_free(PhraseMatches *m);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PhraseMatches, phrase_matches_free)

/* What pattern i needs, for tests and docs: "ALWAYS", or its branches
 * ("|") of sets ("&") of literals ("{a,b}"), "\\b" where a boundary is
 * needed. Caller frees. */
char *phrase_filter_describe(const PhraseFilter *f, guint i);

#endif
