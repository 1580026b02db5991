/* phrase_filter.c - the literals every match of a pattern must contain, and
 * one Aho-Corasick pass that finds them all (phrase_filter.h). */
#include "phrase_filter.h"

#include <string.h>

/* ------------------------------------------------------------- literals
 *
 * A small reader of the PCRE syntax the rules use. Each (sub)pattern yields a
 * set of strings one of which every match contains, or NULL ("any": no such
 * set is known). A sequence keeps its best member (the set whose shortest
 * string is the longest); an alternation is the union of its branches, "any"
 * when one branch is. Letters are kept lower-case (the patterns are caseless);
 * a character with case outside ASCII ends a literal, as does anything this
 * reader does not know for sure, and what it cannot read at all makes the
 * whole pattern "any". */

typedef struct {
    const char *s;
    gsize i;
    gboolean bail;
} Reader;

static void set_free(GPtrArray *set)
{
    if (set)
        g_ptr_array_unref(set);
}

static guint set_score(const GPtrArray *set)
{
    if (!set || set->len == 0)
        return 0;
    guint min = G_MAXUINT;
    for (guint k = 0; k < set->len; k++)
        min = MIN(min, (guint)strlen(g_ptr_array_index(set, k)));
    return min;
}

/* A quantifier at the reader's position: consumed, its minimum in *min. */
static gboolean quantifier(Reader *r, guint *min)
{
    const char *s = r->s + r->i;
    gsize n = 0;
    if (*s == '?' || *s == '*') {
        *min = 0;
        n = 1;
    } else if (*s == '+') {
        *min = 1;
        n = 1;
    } else if (*s == '{') {
        gsize j = 1;
        guint v = 0;
        gboolean digits = FALSE;
        while (g_ascii_isdigit(s[j])) {
            v = MIN(v * 10 + (guint)(s[j] - '0'), 100000u);
            digits = TRUE;
            j++;
        }
        if (!digits)
            return FALSE;
        if (s[j] == ',') {
            j++;
            while (g_ascii_isdigit(s[j]))
                j++;
        }
        if (s[j] != '}')
            return FALSE;
        *min = v;
        n = j + 1;
    } else {
        return FALSE;
    }
    if (s[n] == '?' || s[n] == '+')
        n++; /* lazy or possessive: the same minimum */
    r->i += n;
    return TRUE;
}

static GPtrArray *read_alternation(Reader *r);

/* Keeps `cand` when better than *best; frees the loser. */
static void consider(GPtrArray **best, GPtrArray *cand)
{
    if (cand && set_score(cand) > set_score(*best)) {
        set_free(*best);
        *best = cand;
    } else {
        set_free(cand);
    }
}

static void flush(GPtrArray **best, GString *run)
{
    if (run->len == 0)
        return;
    GPtrArray *one = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(one, g_strndup(run->str, run->len));
    consider(best, one);
    g_string_truncate(run, 0);
}

/* After an item that is not a literal: it ends the run; its quantifier goes. */
static void not_literal(Reader *r, GPtrArray **best, GString *run)
{
    guint min = 0;
    flush(best, run);
    (void)quantifier(r, &min);
}

static GPtrArray *read_sequence(Reader *r)
{
    GPtrArray *best = NULL;
    GString *run = g_string_new(NULL);
    const char *s = r->s;
    while (!r->bail) {
        guchar c = (guchar)s[r->i];
        if (c == '\0' || c == '|' || c == ')')
            break;
        char lit[8];
        gsize litn = 0;
        if (c == '(') {
            gboolean look = FALSE;
            r->i++;
            if (s[r->i] == '?') {
                const char *g = s + r->i + 1;
                if (*g == ':') {
                    r->i += 2;
                } else if (*g == '=' || *g == '!') {
                    look = TRUE;
                    r->i += 2;
                } else if (*g == '<' && (g[1] == '=' || g[1] == '!')) {
                    look = TRUE;
                    r->i += 3;
                } else if ((*g == '<' && g_ascii_isalpha(g[1])) || (*g == 'P' && g[1] == '<')) {
                    const char *close = strchr(g, '>');
                    if (!close) {
                        r->bail = TRUE;
                        break;
                    }
                    r->i = (gsize)(close + 1 - s);
                } else {
                    r->bail = TRUE; /* inline options, atomic groups, recursion... */
                    break;
                }
            }
            GPtrArray *inner = read_alternation(r);
            if (r->bail || s[r->i] != ')') {
                set_free(inner);
                r->bail = TRUE;
                break;
            }
            r->i++;
            guint min = 1;
            gboolean q = quantifier(r, &min);
            flush(&best, run);
            if (look || (q && min == 0))
                set_free(inner); /* zero-width, or optional */
            else
                consider(&best, inner);
            continue;
        }
        if (c == '[') {
            gsize j = r->i + 1;
            if (s[j] == '^')
                j++;
            if (s[j] == ']')
                j++;
            while (s[j] && s[j] != ']') {
                if (s[j] == '\\' && s[j + 1])
                    j += 2;
                else if (s[j] == '[' && s[j + 1] == ':') {
                    const char *close = strstr(s + j + 2, ":]");
                    if (!close)
                        break;
                    j = (gsize)(close + 2 - s);
                } else
                    j++;
            }
            if (s[j] != ']') {
                r->bail = TRUE;
                break;
            }
            r->i = j + 1;
            not_literal(r, &best, run);
            continue;
        }
        if (c == '.') {
            r->i++;
            not_literal(r, &best, run);
            continue;
        }
        if (c == '^' || c == '$') {
            r->i++; /* zero-width: what is around it stays adjacent */
            continue;
        }
        if (c == '*' || c == '+' || c == '?') {
            r->bail = TRUE;
            break;
        }
        if (c == '\\') {
            guchar d = (guchar)s[r->i + 1];
            if (d == '\0') {
                r->bail = TRUE;
                break;
            }
            if (strchr("bBAzZG", d)) {
                r->i += 2; /* zero-width */
                continue;
            }
            if (g_ascii_isalnum(d)) {
                if (!strchr("wWsSdDhHvVnrtfeRN", d)) {
                    r->bail = TRUE; /* backreferences, \x, \p, \Q, \k, \g... */
                    break;
                }
                r->i += 2;
                not_literal(r, &best, run);
                continue;
            }
            if (d >= 0x80) {
                r->bail = TRUE;
                break;
            }
            lit[litn++] = (char)d;
            r->i += 2;
        } else if (c >= 0x80) {
            const char *at = s + r->i;
            gunichar u = g_utf8_get_char_validated(at, -1);
            if (u == (gunichar)-1 || u == (gunichar)-2) {
                r->bail = TRUE;
                break;
            }
            gsize n = (gsize)(g_utf8_next_char(at) - at);
            r->i += n;
            /* a letter without case (CJK, kana...) matches only itself */
            if (g_unichar_type(u) != G_UNICODE_OTHER_LETTER) {
                not_literal(r, &best, run);
                continue;
            }
            memcpy(lit, at, n);
            litn = n;
        } else {
            guint min = 0;
            Reader probe = *r;
            /* a quantifier of nothing; "{,n}", a literal in PCRE2 10.42 but
             * a quantifier in later versions: not ours to guess */
            if (c == '{' && (quantifier(&probe, &min) || s[r->i + 1] == ',')) {
                r->bail = TRUE;
                break;
            }
            lit[litn++] = (char)g_ascii_tolower((gchar)c);
            r->i++;
        }
        guint min = 1;
        if (quantifier(r, &min)) {
            flush(&best, run); /* a repeated or optional character ends the run */
            continue;
        }
        g_string_append_len(run, lit, (gssize)litn);
    }
    flush(&best, run);
    g_string_free(run, TRUE);
    if (r->bail) {
        set_free(best);
        return NULL;
    }
    return best;
}

static GPtrArray *read_alternation(Reader *r)
{
    GPtrArray *all = g_ptr_array_new_with_free_func(g_free);
    gboolean any = FALSE;
    for (;;) {
        GPtrArray *set = read_sequence(r);
        if (r->bail) {
            set_free(set);
            break;
        }
        if (!set)
            any = TRUE;
        else {
            for (guint k = 0; k < set->len; k++)
                g_ptr_array_add(all, g_strdup(g_ptr_array_index(set, k)));
            set_free(set);
        }
        if (r->s[r->i] != '|')
            break;
        r->i++;
    }
    if (any || r->bail) {
        set_free(all);
        return NULL;
    }
    return all;
}

/* The literals of `pattern`, NULL for "always run it". */
static GPtrArray *pattern_literals(const char *pattern)
{
    Reader r = {pattern, 0, FALSE};
    GPtrArray *set = read_alternation(&r);
    if (r.bail || pattern[r.i] != '\0' || !set || set->len == 0) {
        set_free(set);
        return NULL;
    }
    return set;
}

/* --------------------------------------------------------- the automaton */

struct PhraseFilter {
    guint n;              /* patterns */
    GPtrArray **literals; /* per pattern, NULL: always */
    guint8 cls[256];      /* byte (ASCII letters folded) -> class, 0: none */
    guint ncls;
    guint nstates;
    guint32 *delta;    /* nstates x ncls */
    guint32 *out_at;   /* nstates + 1: outputs of state s at out[out_at[s]..] */
    guint32 *out;      /* pattern indices */
};

typedef struct {
    GArray *next; /* guint32 per class, G_MAXUINT32 absent (trie) */
    GArray *outs; /* guint32 pattern indices */
} Building;

static guint32 new_state(GPtrArray *states, guint ncls)
{
    Building *b = g_new0(Building, 1);
    b->next = g_array_sized_new(FALSE, FALSE, sizeof(guint32), ncls);
    guint32 none = G_MAXUINT32;
    for (guint c = 0; c < ncls; c++)
        g_array_append_val(b->next, none);
    b->outs = g_array_new(FALSE, FALSE, sizeof(guint32));
    g_ptr_array_add(states, b);
    return states->len - 1;
}

static void building_free(gpointer p)
{
    Building *b = p;
    g_array_free(b->next, TRUE);
    g_array_free(b->outs, TRUE);
    g_free(b);
}

static guchar fold(guchar c)
{
    return (c >= 'A' && c <= 'Z') ? (guchar)(c + 32) : c;
}

PhraseFilter *phrase_filter_new(const char *const *patterns, guint n)
{
    PhraseFilter *f = g_new0(PhraseFilter, 1);
    f->n = n;
    f->literals = g_new0(GPtrArray *, n ? n : 1);
    f->ncls = 1;
    for (guint i = 0; i < n; i++) {
        f->literals[i] = pattern_literals(patterns[i]);
        for (guint k = 0; f->literals[i] && k < f->literals[i]->len; k++)
            for (const guchar *p = g_ptr_array_index(f->literals[i], k); *p; p++)
                if (!f->cls[fold(*p)])
                    f->cls[fold(*p)] = (guint8)MIN(f->ncls++, 255u);
    }
    if (f->ncls > 255) {
        /* more distinct bytes than classes: no filter, every pattern runs */
        for (guint i = 0; i < n; i++)
            set_free(g_steal_pointer(&f->literals[i]));
        memset(f->cls, 0, sizeof f->cls);
        f->ncls = 1;
    }
    for (guint c = 'A'; c <= 'Z'; c++)
        f->cls[c] = f->cls[c + 32];

    /* the trie */
    GPtrArray *states = g_ptr_array_new_with_free_func(building_free);
    (void)new_state(states, f->ncls);
    for (guint i = 0; i < n; i++) {
        for (guint k = 0; f->literals[i] && k < f->literals[i]->len; k++) {
            guint32 st = 0;
            for (const guchar *p = g_ptr_array_index(f->literals[i], k); *p; p++) {
                guint c = f->cls[*p];
                guint32 nx = g_array_index(((Building *)states->pdata[st])->next, guint32, c);
                if (nx == G_MAXUINT32) {
                    nx = new_state(states, f->ncls);
                    g_array_index(((Building *)states->pdata[st])->next, guint32, c) = nx;
                }
                st = nx;
            }
            guint32 idx = i;
            g_array_append_val(((Building *)states->pdata[st])->outs, idx);
        }
    }

    /* failure links, breadth first, into a full transition table */
    f->nstates = states->len;
    f->delta = g_new0(guint32, (gsize)f->nstates * f->ncls);
    guint32 *failure = g_new0(guint32, f->nstates);
    guint32 *queue = g_new0(guint32, f->nstates);
    guint head = 0, tail = 0;
    Building *root = states->pdata[0];
    for (guint c = 0; c < f->ncls; c++) {
        guint32 nx = g_array_index(root->next, guint32, c);
        if (nx == G_MAXUINT32 || c == 0) {
            f->delta[c] = 0;
        } else {
            f->delta[c] = nx;
            failure[nx] = 0;
            queue[tail++] = nx;
        }
    }
    while (head < tail) {
        guint32 st = queue[head++];
        Building *b = states->pdata[st];
        Building *fb = states->pdata[failure[st]];
        for (guint k = 0; k < fb->outs->len; k++)
            g_array_append_val(b->outs, g_array_index(fb->outs, guint32, k));
        for (guint c = 0; c < f->ncls; c++) {
            guint32 nx = g_array_index(b->next, guint32, c);
            if (nx == G_MAXUINT32 || c == 0) {
                f->delta[(gsize)st * f->ncls + c] = f->delta[(gsize)failure[st] * f->ncls + c];
            } else {
                f->delta[(gsize)st * f->ncls + c] = nx;
                failure[nx] = f->delta[(gsize)failure[st] * f->ncls + c];
                queue[tail++] = nx;
            }
        }
    }
    g_free(failure);
    g_free(queue);

    f->out_at = g_new0(guint32, f->nstates + 1);
    gsize total = 0;
    for (guint s = 0; s < f->nstates; s++)
        total += ((Building *)states->pdata[s])->outs->len;
    f->out = g_new0(guint32, total ? total : 1);
    gsize at = 0;
    for (guint s = 0; s < f->nstates; s++) {
        GArray *o = ((Building *)states->pdata[s])->outs;
        f->out_at[s] = (guint32)at;
        if (o->len)
            memcpy(f->out + at, o->data, o->len * sizeof(guint32));
        at += o->len;
    }
    f->out_at[f->nstates] = (guint32)at;
    g_ptr_array_unref(states);
    return f;
}

void phrase_filter_free(PhraseFilter *f)
{
    if (!f)
        return;
    for (guint i = 0; i < f->n; i++)
        set_free(f->literals[i]);
    g_free(f->literals);
    g_free(f->delta);
    g_free(f->out_at);
    g_free(f->out);
    g_free(f);
}

void phrase_filter_scan(const PhraseFilter *f, const char *text, gboolean *hits)
{
    for (guint i = 0; i < f->n; i++)
        hits[i] = f->literals[i] == NULL;
    const guchar *p = (const guchar *)(text ? text : "");
    guint32 st = 0;
    for (; *p; p++) {
        /* U+212A KELVIN SIGN and U+017F LONG S match "k" and "s" caseless:
         * with one in the text, no literal can be trusted */
        if ((p[0] == 0xE2 && p[1] == 0x84 && p[2] == 0xAA) || (p[0] == 0xC5 && p[1] == 0xBF)) {
            for (guint i = 0; i < f->n; i++)
                hits[i] = TRUE;
            return;
        }
        st = f->delta[(gsize)st * f->ncls + f->cls[*p]];
        for (guint32 k = f->out_at[st]; k < f->out_at[st + 1]; k++)
            hits[f->out[k]] = TRUE;
    }
}

const GPtrArray *phrase_filter_literals(const PhraseFilter *f, guint i)
{
    return i < f->n ? f->literals[i] : NULL;
}
