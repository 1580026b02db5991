/* classify_zones.c - the zones of a message's text for the problem phrases
 * (classify.c): the subject, the sender's own text and the quoted text, each
 * with the stop patterns blanked, and where in them a phrase is found without
 * a negation before it. */
#include "classify_internal.h"
#include "phrase_filter.h"

#include <string.h>

/* How much a phrase counts where it is found. */
static const gint zone_factor[N_ZONES] = {3, 2, 1};

/* Blank (with spaces) every match of the stop patterns. A pattern none of
 * whose literals is in the text is not run; the text is looked at again
 * after a pattern blanked something (blanks can make a word boundary). */
static void strip_text(char *text, const Rules *rules)
{
    guint n = rules->strip->len;
    gboolean *may = g_new(gboolean, n ? n : 1);
    gboolean changed = TRUE;
    for (guint i = 0; i < n; i++) {
        if (changed)
            phrase_filter_scan(rules_strip_filter(rules), text, may);
        changed = FALSE;
        if (!may[i])
            continue;
        const RulePattern *p = g_ptr_array_index(rules->strip, i);
        g_autoptr(GMatchInfo) mi = NULL;
        g_regex_match(p->re, text, 0, &mi);
        while (g_match_info_matches(mi)) {
            gint s = 0, e = 0;
            g_match_info_fetch_pos(mi, 0, &s, &e);
            for (gint k = s; k < e; k++)
                if (text[k] != '\n') {
                    text[k] = ' ';
                    changed = TRUE;
                }
            g_match_info_next(mi, NULL);
        }
    }
    g_free(may);
}

/* At most `max` bytes, cut at a character boundary. */
static char *capped(const char *s, gsize max)
{
    gsize n = strlen(s);
    if (n <= max)
        return g_strdup(s);
    const char *end = g_utf8_find_prev_char(s, s + max + 1);
    return g_strndup(s, end ? (gsize)(end - s) : max);
}

void cls_texts_init(Texts *t, const MimeMessage *msg, const Rules *rules)
{
    GString *own = g_string_new(NULL), *quoted = g_string_new(NULL);
    const char *p = msg->text ? msg->text : "";
    while (*p) {
        const char *nl = strchr(p, '\n');
        gsize len = nl ? (gsize)(nl - p) : strlen(p);
        const char *q = p;
        while (q < p + len && (*q == ' ' || *q == '\t'))
            q++;
        GString *to = (q < p + len && *q == '>') ? quoted : own;
        g_string_append_len(to, p, (gssize)len);
        g_string_append_c(to, '\n');
        if (own->len > rules->max_text_bytes && quoted->len > rules->max_text_bytes)
            break;
        p = nl ? nl + 1 : p + len;
    }
    t->zone[ZONE_SUBJECT] = capped(msg->subject ? msg->subject : "", rules->max_text_bytes);
    t->zone[ZONE_TEXT] = capped(own->str, rules->max_text_bytes);
    t->zone[ZONE_QUOTED] = capped(quoted->str, rules->max_text_bytes);
    g_string_free(own, TRUE);
    g_string_free(quoted, TRUE);
    const PhraseFilter *filter = rules_phrase_filter(rules);
    guint n = rules->phrases->len + 1, nb = phrase_filter_n_branches(filter);
    for (int z = 0; z < N_ZONES; z++) {
        strip_text(t->zone[z], rules);
        t->may[z] = g_new(gboolean, n);
        t->branch_may[z] = g_new(gboolean, nb ? nb : 1);
        phrase_filter_scan_branches(filter, t->zone[z], t->may[z], t->branch_may[z]);
    }
    t->deadline = g_get_monotonic_time() + rules->budget_us;
    t->over_budget = FALSE;
}

void cls_texts_clear(Texts *t)
{
    for (int z = 0; z < N_ZONES; z++) {
        g_free(t->zone[z]);
        g_free(t->may[z]);
        g_free(t->branch_may[z]);
    }
}

/* The clause before byte `pos` of `text` (back to . ; ! ? : or a line start,
 * at most 60 bytes) negates what follows. */
static gboolean negated(const Rules *rules, const char *text, gint pos)
{
    gint from = pos;
    while (from > 0 && pos - from < 60 && !strchr(".;!?:\n", text[from - 1]))
        from--;
    while (from < pos && ((guchar)text[from] & 0xc0) == 0x80)
        from++;
    if (from >= pos)
        return FALSE;
    g_autofree char *clause = g_strndup(text + from, (gsize)(pos - from));
    return g_regex_match(rules->negation, clause, 0, NULL);
}

/* The factor of the best zone where `re` (entry `which` of the phrase
 * filter) matches without a negation before it (in its first 16 matches);
 * 0 when it does not. Only the branches of `re` that may match in a zone
 * are run there (phrase_matches_new()): the same matches as `re`'s. */
gint cls_best_zone(const Rules *rules, const GRegex *re, guint which, const Texts *t)
{
    for (int z = 0; z < N_ZONES; z++) {
        if (!t->may[z][which])
            continue; /* none of its literals is there: the regex cannot match */
        g_autoptr(PhraseMatches) m = phrase_matches_new(rules_phrase_filter(rules), which, re, t->zone[z], t->branch_may[z]);
        gint s = 0, e = 0;
        for (int k = 0; k < 16 && phrase_matches_next(m, &s, &e); k++)
            if (!negated(rules, t->zone[z], s))
                return zone_factor[z];
    }
    return 0;
}