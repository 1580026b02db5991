/* rules.h - the classification rules as data (conf/rules.conf, issue 11).
 *
 * Pure: the text of a GKeyFile in, validated and compiled rules out. What the
 * file holds: the public lists, the auto-reply subjects, the "stop" patterns
 * blanked before phrases are read (links, addresses, CERT/CC...), the negation
 * and revocation-request patterns, and the weighted problem phrases, each with
 * its problem type and optional BR 4.9.1.1 reason row. A bad file is an error
 * naming the file, the line and the pattern; a newer major `[rules] version`
 * than this program knows is an error; patterns with a nested unbounded
 * quantifier ("(a+)+") are refused, because GRegex cannot bound backtracking. */
#ifndef CPR_RULES_H
#define CPR_RULES_H

#include <glib.h>

#include "phrase_filter.h"

#define RULES_MAJOR_VERSION 1

typedef struct {
    char *name;    /* the group's NAME in [phrase NAME] */
    char *problem; /* key_compromise | misissuance | misuse | other */
    gint weight;   /* 0: only a reason hint, no problem evidence */
    gint reason;   /* BR 4.9.1.1 row 1..16, 0 for none */
    char *pattern;
    GRegex *re;
} RulePhrase;

typedef struct {
    char *name;    /* "mdsp" */
    char *list_id; /* RFC 2919 List-Id */
    char *address; /* posting address */
} RuleList;

typedef struct {
    char *name;
    GRegex *re;
} RulePattern;

typedef struct {
    char *source;              /* file name, for messages */
    char *version;
    GPtrArray *lists;          /* RuleList* */
    GPtrArray *phrases;        /* RulePhrase*, file order */
    GPtrArray *strip;          /* RulePattern*: blanked before phrases */
    GStrv auto_reply_subjects; /* lower-case prefixes */
    GRegex *negation;          /* matched against the clause before a phrase */
    GRegex *revoke;            /* a revocation request */
    gsize max_text_bytes;      /* text each rule sees */
    gint64 budget_us;          /* CPU time of one message's phrases */
    /* Built on first use by rules_phrase_filter() / rules_strip_filter(),
     * never read directly: most commands (draft, cases, send...) never
     * classify, and building the automaton and the branch regexes was a third
     * of their start-up (issue 19: make check time). */
    gsize filters_once;
    PhraseFilter *filter_;       /* phrases[0..n-1] then revoke */
    PhraseFilter *strip_filter_; /* strip[0..n-1] */
} Rules;

/* Which phrases (entries 0..n-1, then the revocation request as entry n) and
 * which strip patterns may match a text (phrase_filter.h). Built on the first
 * call, once, safely from any thread; owned by the rules. */
const PhraseFilter *rules_phrase_filter(const Rules *rules);
const PhraseFilter *rules_strip_filter(const Rules *rules);

/* `source` names the data in errors. NULL and an error on a bad file. */
Rules *rules_load_data(const char *data, gsize len, const char *source, GError **error);
Rules *rules_load_file(const char *path, GError **error);
void rules_free(Rules **rules);

/* NULL when `pattern` is acceptable; else why not (caller frees). Checks the
 * structure only (nested unbounded quantifiers, length), not the syntax. */
char *rules_pattern_problem(const char *pattern);

/* The process-wide rules. rules_install() loads and replaces them (FALSE and
 * an error when the file is bad: a startup error). rules_current() loads the
 * default file on first use when nothing was installed; NULL if that fails. */
gboolean rules_install(const char *configured, GError **error);
const Rules *rules_current(void);

#endif
