/* phrase_filter.c - the literals every match of a pattern must contain, and
 * one Aho-Corasick pass that finds them all (phrase_filter.h); a pattern's
 * top-level branches compiled alone, for phrase_matches.c. */
#include "phrase_filter.h"

#include <string.h>

/* ------------------------------------------------------------- literals
 *
 * A small reader of the PCRE syntax the rules use. A pattern is read as its
 * top-level branches; a branch as the sets of literals it needs, all of them
 * (a sequence needs each of its parts); a set as literals one of which every
 * match contains. "(found|located) the private key" needs {found, located}
 * and {" the private key"}. A group inside a sequence counts as one set: the
 * union of the best set of each of its branches. Letters are kept lower-case
 * (the patterns are caseless); a character with case outside ASCII ends a
 * literal, as does anything the reader does not know for sure, and what it
 * cannot read at all makes the whole pattern "always run". A literal right
 * after or before \b remembers it: "idn" in "\bIDN\b" is not in "didn't". */

enum { WB_BEFORE = 1, WB_AFTER = 2 };

/* A set whose weakest literal weighs less (set_score) would be found in
 * nearly every text: it is left out, which only makes the filter say "may
 * match" more often. */
#define MIN_SCORE 3

/* Bytes of all literals together; more and the table (states x classes)
 * would be too large: then there is no filter. The shipped rules have ~2,000. */
#define MAX_LITERAL_BYTES 65536

typedef struct {
    char *s;
    guint8 wb;
} Lit;

typedef struct {
    const char *s;
    gsize i;
    gboolean bail;
    guint depth;  /* groups open */
    GArray *cuts; /* gsize: where the top-level "|" are */
} Reader;

static void lit_free(gpointer p)
{
    Lit *l = p;
    g_free(l->s);
    g_free(l);
}

static GPtrArray *set_new(void)
{
    return g_ptr_array_new_with_free_func(lit_free);
}

static void set_free(gpointer set)
{
    if (set)
        g_ptr_array_unref(set);
}

static GPtrArray *conj_new(void)
{
    return g_ptr_array_new_with_free_func(set_free);
}

/* How selective a set is: its weakest literal's weight, a letter or digit
 * 1, a space 0, anything else (punctuation, "@", a CJK character) 3. */
static guint set_score(const GPtrArray *set)
{
    if (!set || set->len == 0)
        return 0;
    guint min = G_MAXUINT;
    for (guint k = 0; k < set->len; k++) {
        const Lit *l = g_ptr_array_index(set, k);
        guint n = 0;
        for (const guchar *c = (const guchar *)l->s; *c; c++)
            n += *c == ' ' ? 0 : g_ascii_isalnum(*c) ? 1 : 3;
        min = MIN(min, n);
    }
    return min;
}

static gboolean is_word(guchar c)
{
    return g_ascii_isalnum(c) || c == '_';
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

/* The literal run being read, and whether a \b stands right before it. */
typedef struct {
    GString *text;
    gboolean wb_before;
    gboolean pending_b; /* a \b was just read */
} Run;

static void flush(GPtrArray *conj, Run *run, gboolean wb_after)
{
    if (run->text->len > 0) {
        Lit *l = g_new0(Lit, 1);
        l->s = g_strndup(run->text->str, run->text->len);
        if (run->wb_before && is_word((guchar)l->s[0]))
            l->wb |= WB_BEFORE;
        if (wb_after && is_word((guchar)l->s[run->text->len - 1]))
            l->wb |= WB_AFTER;
        GPtrArray *one = set_new();
        g_ptr_array_add(one, l);
        if (set_score(one) >= MIN_SCORE)
            g_ptr_array_add(conj, one);
        else
            set_free(one);
        g_string_truncate(run->text, 0);
    }
    run->wb_before = FALSE;
}

/* After an item that is not a literal: it ends the run; its quantifier goes. */
static void not_literal(Reader *r, GPtrArray *conj, Run *run)
{
    guint min = 0;
    flush(conj, run, FALSE);
    run->pending_b = FALSE;
    (void)quantifier(r, &min);
}

/* A group as one set: the best set of each branch, NULL when a branch needs
 * nothing. */
static GPtrArray *group_set(GPtrArray *branches)
{
    GPtrArray *all = set_new();
    for (guint b = 0; b < branches->len; b++) {
        GPtrArray *conj = g_ptr_array_index(branches, b);
        GPtrArray *best = NULL;
        for (guint k = 0; k < conj->len; k++)
            if (!best || set_score(g_ptr_array_index(conj, k)) > set_score(best))
                best = g_ptr_array_index(conj, k);
        if (!best) {
            set_free(all);
            return NULL;
        }
        for (guint k = 0; k < best->len; k++) {
            const Lit *l = g_ptr_array_index(best, k);
            Lit *c = g_new0(Lit, 1);
            c->s = g_strdup(l->s);
            c->wb = l->wb;
            g_ptr_array_add(all, c);
        }
    }
    return all;
}

static GPtrArray *read_sequence(Reader *r)
{
    GPtrArray *conj = conj_new();
    Run run = {g_string_new(NULL), FALSE, FALSE};
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
            r->depth++;
            GPtrArray *inner = read_alternation(r);
            r->depth--;
            if (r->bail || s[r->i] != ')') {
                if (inner)
                    g_ptr_array_unref(inner);
                r->bail = TRUE;
                break;
            }
            r->i++;
            guint min = 1;
            gboolean q = quantifier(r, &min);
            flush(conj, &run, FALSE);
            run.pending_b = FALSE;
            if (!look && !(q && min == 0)) { /* not zero-width, not optional */
                GPtrArray *set = group_set(inner);
                if (set && set_score(set) >= MIN_SCORE)
                    g_ptr_array_add(conj, set);
                else
                    set_free(set);
            }
            g_ptr_array_unref(inner);
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
            not_literal(r, conj, &run);
            continue;
        }
        if (c == '.' || c == '^' || c == '$') {
            r->i++;
            not_literal(r, conj, &run);
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
            if (d == 'b') {
                r->i += 2; /* the literal read so far ends at a word boundary */
                flush(conj, &run, TRUE);
                run.pending_b = TRUE;
                continue;
            }
            if (strchr("BAzZG", d)) {
                r->i += 2; /* zero-width */
                flush(conj, &run, FALSE);
                run.pending_b = FALSE;
                continue;
            }
            if (g_ascii_isalnum(d)) {
                if (!strchr("wWsSdDhHvVnrtfeRN", d)) {
                    r->bail = TRUE; /* backreferences, \x, \p, \Q, \k, \g... */
                    break;
                }
                r->i += 2;
                not_literal(r, conj, &run);
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
                not_literal(r, conj, &run);
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
            flush(conj, &run, FALSE); /* a repeated or optional character ends the run */
            run.pending_b = FALSE;
            continue;
        }
        if (run.text->len == 0)
            run.wb_before = run.pending_b;
        run.pending_b = FALSE;
        g_string_append_len(run.text, lit, (gssize)litn);
    }
    flush(conj, &run, FALSE);
    g_string_free(run.text, TRUE);
    return conj;
}

/* The branches of an alternation, each the sets it needs; NULL on a bail. */
static GPtrArray *read_alternation(Reader *r)
{
    GPtrArray *branches = g_ptr_array_new_with_free_func((GDestroyNotify)g_ptr_array_unref);
    for (;;) {
        g_ptr_array_add(branches, read_sequence(r));
        if (r->bail || r->s[r->i] != '|')
            break;
        if (r->depth == 0 && r->cuts)
            g_array_append_val(r->cuts, r->i);
        r->i++;
    }
    if (r->bail) {
        g_ptr_array_unref(branches);
        return NULL;
    }
    return branches;
}

/* The branches of `pattern`, NULL for "always run it" (a branch that needs
 * nothing, or a pattern the reader cannot read); the offsets of the "|"
 * between them appended to `cuts`. */
static GPtrArray *pattern_branches(const char *pattern, GArray *cuts)
{
    Reader r = {pattern, 0, FALSE, 0, cuts};
    GPtrArray *branches = read_alternation(&r);
    gboolean ok = branches && !r.bail && pattern[r.i] == '\0';
    for (guint b = 0; ok && b < branches->len; b++)
        ok = ((GPtrArray *)g_ptr_array_index(branches, b))->len > 0;
    if (!ok && branches)
        g_clear_pointer(&branches, g_ptr_array_unref);
    return branches;
}

/* --------------------------------------------------------- the automaton */

struct PhraseFilter {
    guint n;              /* patterns */
    GPtrArray **branches; /* per pattern, NULL: always run */
    guint32 *branch_at;   /* pattern i's branches: branch_at[i] .. branch_at[i + 1] */
    guint32 *set_at;      /* branch b's sets: set_at[b] .. set_at[b + 1] */
    guint nsets;
    guint8 cls[256];      /* byte (ASCII letters folded) -> class, 0: none */
    guint ncls;
    guint nstates;
    guint32 *delta;       /* nstates x ncls, while building */
    guint32 *step;        /* nstates x ncls: (next * ncls) << 1 | next has outputs */
    guint32 *out_at;      /* state s's outputs: out[out_at[s] .. out_at[s + 1]] */
    guint32 *out;         /* index into lits */
    guint32 *lit_set;     /* per literal: its set */
    guint32 *lit_len;
    guint8 *lit_wb;
    GRegex ***branch_re;  /* per pattern of two branches or more: each alone
                           * (NULL-terminated), else NULL */
};

typedef struct {
    GArray *next; /* guint32 per class, G_MAXUINT32 absent (trie) */
    GArray *outs; /* guint32 literal indices */
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

static void regexes_free(GRegex **res)
{
    for (gsize k = 0; res && res[k]; k++)
        g_regex_unref(res[k]);
    g_free(res);
}

/* The top-level branches of `pattern` (cut at `cuts`), each compiled alone
 * as the rules compile a pattern; NULL when one does not compile. */
static GRegex **compile_branches(const char *pattern, GArray *cuts)
{
    GRegex **res = g_new0(GRegex *, cuts->len + 2);
    gsize from = 0;
    for (guint b = 0; b <= cuts->len; b++) {
        gsize to = b < cuts->len ? g_array_index(cuts, gsize, b) : strlen(pattern);
        g_autofree char *one = g_strndup(pattern + from, to - from);
        res[b] = g_regex_new(one, PHRASE_FILTER_COMPILE_FLAGS, 0, NULL);
        if (!res[b]) {
            regexes_free(res);
            return NULL;
        }
        from = to + 1;
    }
    return res;
}

PhraseFilter *phrase_filter_new(const char *const *patterns, guint n)
{
    PhraseFilter *f = g_new0(PhraseFilter, 1);
    f->n = n;
    f->branches = g_new0(GPtrArray *, n ? n : 1);
    f->ncls = 1;
    guint nbranches = 0;
    gsize total_bytes = 0;
    f->branch_re = g_new0(GRegex **, n ? n : 1);
    for (guint i = 0; i < n; i++) {
        GArray *cuts = g_array_new(FALSE, FALSE, sizeof(gsize));
        f->branches[i] = pattern_branches(patterns[i], cuts);
        if (f->branches[i] && f->branches[i]->len > 1 && cuts->len + 1 == f->branches[i]->len)
            f->branch_re[i] = compile_branches(patterns[i], cuts);
        g_array_free(cuts, TRUE);
        for (guint b = 0; f->branches[i] && b < f->branches[i]->len; b++) {
            GPtrArray *conj = g_ptr_array_index(f->branches[i], b);
            nbranches++;
            for (guint k = 0; k < conj->len; k++) {
                GPtrArray *set = g_ptr_array_index(conj, k);
                for (guint m = 0; m < set->len; m++)
                    for (const guchar *p = (const guchar *)((Lit *)g_ptr_array_index(set, m))->s; *p; p++) {
                        total_bytes++;
                        if (!f->cls[fold(*p)])
                            f->cls[fold(*p)] = (guint8)MIN(f->ncls++, 255u);
                    }
            }
        }
    }
    if (f->ncls > 255 || total_bytes > MAX_LITERAL_BYTES) {
        /* more distinct bytes than classes, or a table too large: no
         * filter, every pattern runs */
        for (guint i = 0; i < n; i++) {
            if (f->branches[i])
                g_clear_pointer(&f->branches[i], g_ptr_array_unref);
            regexes_free(g_steal_pointer(&f->branch_re[i]));
        }
        memset(f->cls, 0, sizeof f->cls);
        f->ncls = 1;
        nbranches = 0;
    }
    for (guint c = 'A'; c <= 'Z'; c++)
        f->cls[c] = f->cls[c + 32];

    /* number the branches and sets; the trie of every literal */
    f->branch_at = g_new0(guint32, n + 1);
    f->set_at = g_new0(guint32, nbranches + 1);
    GArray *lit_set = g_array_new(FALSE, FALSE, sizeof(guint32));
    GArray *lit_len = g_array_new(FALSE, FALSE, sizeof(guint32));
    GByteArray *lit_wb = g_byte_array_new();
    GPtrArray *states = g_ptr_array_new_with_free_func(building_free);
    (void)new_state(states, f->ncls);
    guint32 nb = 0;
    for (guint i = 0; i < n; i++) {
        f->branch_at[i] = nb;
        for (guint b = 0; f->branches[i] && b < f->branches[i]->len; b++) {
            GPtrArray *conj = g_ptr_array_index(f->branches[i], b);
            f->set_at[nb++] = f->nsets;
            for (guint k = 0; k < conj->len; k++, f->nsets++) {
                GPtrArray *set = g_ptr_array_index(conj, k);
                for (guint m = 0; m < set->len; m++) {
                    const Lit *l = g_ptr_array_index(set, m);
                    guint32 st = 0;
                    for (const guchar *p = (const guchar *)l->s; *p; p++) {
                        guint c = f->cls[*p];
                        guint32 nx = g_array_index(((Building *)states->pdata[st])->next, guint32, c);
                        if (nx == G_MAXUINT32) {
                            nx = new_state(states, f->ncls);
                            g_array_index(((Building *)states->pdata[st])->next, guint32, c) = nx;
                        }
                        st = nx;
                    }
                    guint32 idx = lit_set->len, len = (guint32)strlen(l->s);
                    g_array_append_val(lit_set, f->nsets);
                    g_array_append_val(lit_len, len);
                    g_byte_array_append(lit_wb, &l->wb, 1);
                    g_array_append_val(((Building *)states->pdata[st])->outs, idx);
                }
            }
        }
    }
    f->branch_at[n] = nb;
    f->set_at[nb] = f->nsets;
    f->lit_set = (guint32 *)g_array_free(lit_set, FALSE);
    f->lit_len = (guint32 *)g_array_free(lit_len, FALSE);
    f->lit_wb = g_byte_array_free(lit_wb, FALSE);

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
    /* the scan's table: the next state's row offset, shifted, with its low
     * bit set when that state has outputs (no multiply, no second lookup) */
    f->step = g_new(guint32, (gsize)f->nstates * f->ncls);
    for (gsize k = 0; k < (gsize)f->nstates * f->ncls; k++) {
        guint32 nx = f->delta[k];
        f->step[k] = (guint32)((nx * f->ncls) << 1) | (f->out_at[nx] != f->out_at[nx + 1]);
    }
    g_clear_pointer(&f->delta, g_free);
    return f;
}

void phrase_filter_free(PhraseFilter *f)
{
    if (!f)
        return;
    for (guint i = 0; i < f->n; i++) {
        if (f->branches[i])
            g_ptr_array_unref(f->branches[i]);
        regexes_free(f->branch_re[i]);
    }
    g_free(f->branches);
    g_free(f->branch_re);
    g_free(f->branch_at);
    g_free(f->set_at);
    g_free(f->delta);
    g_free(f->step);
    g_free(f->out_at);
    g_free(f->out);
    g_free(f->lit_set);
    g_free(f->lit_len);
    g_free(f->lit_wb);
    g_free(f);
}

guint phrase_filter_n_branches(const PhraseFilter *f)
{
    return f->branch_at[f->n];
}

void phrase_filter_scan(const PhraseFilter *f, const char *text, gboolean *hits)
{
    phrase_filter_scan_branches(f, text, hits, NULL);
}

void phrase_filter_scan_branches(const PhraseFilter *f, const char *text, gboolean *hits,
                                 gboolean *branch_hits)
{
    const guchar *t = (const guchar *)(text ? text : "");
    gboolean *set_hit = g_new0(gboolean, f->nsets ? f->nsets : 1);
    const guint32 *step = f->step;
    const guint8 *cls = f->cls;
    guint32 row = 0;
    for (gsize i = 0; t[i]; i++) {
        guchar c = t[i];
        /* U+212A KELVIN SIGN and U+017F LONG S match "k" and "s" caseless:
         * with one in the text, no literal can be trusted */
        if (G_UNLIKELY(c >= 0xC5) &&
            ((c == 0xE2 && t[i + 1] == 0x84 && t[i + 2] == 0xAA) || (c == 0xC5 && t[i + 1] == 0xBF))) {
            for (guint p = 0; p < f->n; p++)
                hits[p] = TRUE;
            for (guint32 b = 0; branch_hits && b < f->branch_at[f->n]; b++)
                branch_hits[b] = TRUE;
            g_free(set_hit);
            return;
        }
        guint32 v = step[row + cls[c]];
        row = v >> 1;
        if (G_LIKELY(!(v & 1)))
            continue;
        guint32 st = row / f->ncls;
        for (guint32 k = f->out_at[st]; k < f->out_at[st + 1]; k++) {
            guint32 l = f->out[k];
            if (set_hit[f->lit_set[l]])
                continue;
            gsize start = i + 1 - f->lit_len[l];
            /* \b before or after a word character: a word character next to
             * it in the text means no boundary (a byte outside ASCII might be
             * a letter or not: then the literal counts) */
            if ((f->lit_wb[l] & WB_BEFORE) && start > 0 && is_word(t[start - 1]))
                continue;
            if ((f->lit_wb[l] & WB_AFTER) && is_word(t[i + 1]))
                continue;
            set_hit[f->lit_set[l]] = TRUE;
        }
    }
    for (guint p = 0; p < f->n; p++) {
        hits[p] = f->branches[p] == NULL;
        for (guint32 b = f->branch_at[p]; (branch_hits || !hits[p]) && b < f->branch_at[p + 1]; b++) {
            gboolean all = TRUE;
            for (guint32 k = f->set_at[b]; all && k < f->set_at[b + 1]; k++)
                all = set_hit[k];
            hits[p] = hits[p] || all;
            if (branch_hits)
                branch_hits[b] = all;
        }
    }
    g_free(set_hit);
}

GRegex *const *phrase_filter_branch_regexes(const PhraseFilter *f, guint i, guint *n, guint *first)
{
    if (i >= f->n || !f->branch_re[i])
        return NULL;
    *n = f->branch_at[i + 1] - f->branch_at[i];
    *first = f->branch_at[i];
    return f->branch_re[i];
}

char *phrase_filter_describe(const PhraseFilter *f, guint i)
{
    if (i >= f->n || !f->branches[i])
        return g_strdup("ALWAYS");
    GString *d = g_string_new(NULL);
    for (guint b = 0; b < f->branches[i]->len; b++) {
        GPtrArray *conj = g_ptr_array_index(f->branches[i], b);
        if (b)
            g_string_append(d, " | ");
        for (guint k = 0; k < conj->len; k++) {
            GPtrArray *set = g_ptr_array_index(conj, k);
            if (k)
                g_string_append(d, " & ");
            g_string_append_c(d, '{');
            for (guint m = 0; m < set->len; m++) {
                const Lit *l = g_ptr_array_index(set, m);
                g_string_append_printf(d, "%s%s%s%s", m ? "," : "", (l->wb & WB_BEFORE) ? "\\b" : "",
                                       l->s, (l->wb & WB_AFTER) ? "\\b" : "");
            }
            g_string_append_c(d, '}');
        }
    }
    return g_string_free(d, FALSE);
}
