/* phrase_matches.c - the matches of a phrase pattern from its top-level
 * branches that may match only (phrase_filter.h).
 *
 * The matches of a pattern of several top-level branches, as GRegex gives
 * them, from the branches that may match only. At each position PCRE tries
 * the branches in turn and the first that matches there is the match; a
 * branch that cannot match anywhere changes nothing. So the next match of
 * the whole is, of the next matches of those branches from the same place,
 * the one that starts first (the earliest branch on a tie). A branch's next
 * match from an earlier place still holds when it does not start before the
 * new place (a search starting later finds no match before it, and matching
 * at a given start does not depend on where the search began). Every match
 * of a branch holds one of its literals, so none is empty: the way GRegex
 * steps past an empty match has nothing to do here (should one come all the
 * same, the whole pattern takes over from the start). */
#include "phrase_filter.h"

#include <string.h>

struct PhraseMatches {
    const GRegex *re;  /* the whole pattern */
    const char *text;
    GMatchInfo *whole; /* matching with `re`: not split, or taken over */
    gboolean started;
    gboolean done;     /* the last call found no more */
    guint returned;    /* matches given so far */
    /* split: */
    GRegex *const *bre;
    const gboolean *may; /* per branch of bre; NULL: all */
    guint n;
    gssize len;
    gint pos;          /* where the next search starts */
    gint *s, *e;       /* per branch, its next match from pos or after; s -1: none */
};

PhraseMatches *phrase_matches_new(const PhraseFilter *f, guint i, const GRegex *re, const char *text,
                                  const gboolean *branch_hits)
{
    PhraseMatches *m = g_new0(PhraseMatches, 1);
    m->re = re;
    m->text = text;
    guint n = 0, first = 0;
    GRegex *const *bre = phrase_filter_branch_regexes(f, i, &n, &first);
    /* only for a pattern compiled as its branches are */
    if (bre && g_regex_get_compile_flags(re) == g_regex_get_compile_flags(bre[0]) &&
        g_regex_get_match_flags(re) == g_regex_get_match_flags(bre[0])) {
        m->bre = bre;
        m->may = branch_hits ? branch_hits + first : NULL;
        m->n = n;
        m->len = (gssize)strlen(text);
        m->s = g_new(gint, m->n);
        m->e = g_new(gint, m->n);
        for (guint b = 0; b < m->n; b++)
            m->s[b] = m->e[b] = -1;
    }
    return m;
}

void phrase_matches_free(PhraseMatches *m)
{
    if (!m)
        return;
    if (m->whole)
        g_match_info_free(m->whole);
    g_free(m->s);
    g_free(m->e);
    g_free(m);
}

static gboolean whole_next(PhraseMatches *m, gint *start, gint *end)
{
    if (m->done)
        return FALSE;
    if (!m->whole)
        g_regex_match(m->re, m->text, 0, &m->whole);
    else
        g_match_info_next(m->whole, NULL);
    if (!g_match_info_matches(m->whole)) {
        m->done = TRUE;
        return FALSE;
    }
    g_match_info_fetch_pos(m->whole, 0, start, end);
    return TRUE;
}

/* Branch b's first match at or after m->pos. */
static void branch_search(PhraseMatches *m, guint b)
{
    GMatchInfo *mi = NULL;
    m->s[b] = m->e[b] = -1;
    if (g_regex_match_full(m->bre[b], m->text, m->len, m->pos, 0, &mi, NULL))
        g_match_info_fetch_pos(mi, 0, &m->s[b], &m->e[b]);
    g_match_info_free(mi);
}

gboolean phrase_matches_next(PhraseMatches *m, gint *start, gint *end)
{
    if (!m->bre || m->whole || m->done)
        return whole_next(m, start, end);
    guint best = m->n;
    for (guint b = 0; b < m->n; b++) {
        if (m->may && !m->may[b])
            continue;
        if (!m->started || (m->s[b] >= 0 && m->s[b] < m->pos))
            branch_search(m, b);
        if (m->s[b] >= 0 && (best == m->n || m->s[b] < m->s[best]))
            best = b;
    }
    m->started = TRUE;
    if (best == m->n) {
        m->done = TRUE;
        return FALSE;
    }
    if (m->e[best] <= m->s[best]) {
        /* an empty match: the whole pattern, past the matches given */
        for (guint k = 0; k <= m->returned; k++)
            if (!whole_next(m, start, end))
                return FALSE;
        m->returned++;
        return TRUE;
    }
    *start = m->s[best];
    *end = m->pos = m->e[best];
    m->returned++;
    return TRUE;
}

