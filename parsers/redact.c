/* redact.c - replace the identifiers of non-consenting persons, and the
 * fail-closed check that none is left (see redact.h for the rules).
 *
 * Matching works on a folded copy of the text (NFKD, marks dropped, case
 * folded, separators collapsed, quote prefixes after line breaks skipped) with
 * a map from every folded byte back to the original character it came from,
 * so replacements land on the original bytes while comparisons ignore case,
 * accents, line breaks and quoting. */
#include <string.h>

#include "redact.h"
#include "fold.h"
#include "fold_internal.h"
#include "cpr_error.h"

#define DEFAULT_NAME_PHRASE "a community member"
#define DEFAULT_TOKEN_PHRASE "[name redacted]"
#define DEFAULT_EMAIL_PHRASE "[reporter email redacted]"
#define DEFAULT_PHONE_PHRASE "[phone redacted]"

/* A base64 run this long with no space is a certificate/key blob, not prose. */
#define BASE64_RUN_MIN 40
/* Phone numbers are compared by their last digits (country prefixes vary). */
#define PHONE_KEY_DIGITS 8
#define PHONE_MIN_DIGITS 7
/* Most redaction passes over a text (see redact_text()). */
#define REDACT_MAX_PASSES 8

typedef enum { MATCH_NAME = 0, MATCH_PHONE = 1, MATCH_EMAIL = 2 } MatchKind;

typedef struct {
    gsize start, end; /* byte offsets in the original text */
    MatchKind kind;
} Range;

/* ---- the patterns of the non-consenting persons ------------------------- */

typedef struct {
    GPtrArray *names;  /* char*: folded names and tokens */
    GPtrArray *emails; /* GRegex*: obfuscation-tolerant, on folded text */
    GPtrArray *email_squeezed; /* char*: addresses, letters and digits only */
    GPtrArray *name_squeezed;  /* char*: multi-word names, letters and digits only */
    GPtrArray *phones; /* char*: last digits */
} Patterns;

static void patterns_clear(Patterns *pt)
{
    g_clear_pointer(&pt->names, g_ptr_array_unref);
    g_clear_pointer(&pt->emails, g_ptr_array_unref);
    g_clear_pointer(&pt->email_squeezed, g_ptr_array_unref);
    g_clear_pointer(&pt->name_squeezed, g_ptr_array_unref);
    g_clear_pointer(&pt->phones, g_ptr_array_unref);
}

static gboolean str_in_array(GPtrArray *a, const char *s)
{
    for (guint i = 0; i < a->len; i++)
        if (strcmp(g_ptr_array_index(a, i), s) == 0)
            return TRUE;
    return FALSE;
}

static void add_unique(GPtrArray *a, char *owned)
{
    if (!owned || !*owned || str_in_array(a, owned))
        g_free(owned);
    else
        g_ptr_array_add(a, owned);
}

static guint count_alnum(const char *s)
{
    guint n = 0;
    for (const char *p = s; *p; p = g_utf8_next_char(p))
        if (g_unichar_isalnum(g_utf8_get_char(p)))
            n++;
    return n;
}

static char *squeeze(const char *folded)
{
    GString *g = g_string_new(NULL);
    for (const char *p = folded; *p; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        if (g_unichar_isalnum(c))
            g_string_append_unichar(g, c);
    }
    return g_string_free(g, FALSE);
}

#define RX_DOT "(?: ?\\. ?|%2e|&#0*46;| ?[\\[({<] ?(?:dot|punkt|punto|point) ?[\\])}>] ?" \
               "| (?:dot|punkt|punto|point) )"
#define RX_AT "(?: ?@ ?|%40|&#0*64;|&commat;| ?[\\[({<] ?(?:at|arroba|chez|a) ?[\\])}>] ?" \
              "| (?:at|arroba|chez) )"

/* "a.b@c d.org" (folded) -> a regex that also matches the spelled-out forms. */
static GRegex *email_regex(const char *folded_email)
{
    const char *at = strrchr(folded_email, '@');
    if (!at || at == folded_email || !at[1])
        return NULL;
    GString *rx = g_string_new(NULL);
    g_autofree char *local = g_strndup(folded_email, at - folded_email);
    const char *parts[2] = { local, at + 1 };
    for (int k = 0; k < 2; k++) {
        if (k == 1)
            g_string_append(rx, RX_AT);
        g_auto(GStrv) pieces = g_strsplit(parts[k], ".", -1);
        for (guint i = 0; pieces[i]; i++) {
            if (i > 0)
                g_string_append(rx, RX_DOT);
            g_autofree char *e = g_regex_escape_string(pieces[i], -1);
            g_string_append(rx, e);
        }
    }
    GRegex *re = g_regex_new(rx->str, G_REGEX_OPTIMIZE, 0, NULL);
    g_string_free(rx, TRUE);
    return re;
}

static char *phone_key(const char *phone)
{
    GString *d = g_string_new(NULL);
    for (const char *p = phone; *p; p++)
        if (g_ascii_isdigit(*p))
            g_string_append_c(d, *p);
    if (d->len < PHONE_MIN_DIGITS) {
        g_string_free(d, TRUE);
        return NULL;
    }
    if (d->len > PHONE_KEY_DIGITS)
        g_string_erase(d, 0, d->len - PHONE_KEY_DIGITS);
    return g_string_free(d, FALSE);
}

static void patterns_build(const IdentitySet *ids, const RedactOptions *opts, Patterns *pt)
{
    pt->names = g_ptr_array_new_with_free_func(g_free);
    pt->emails = g_ptr_array_new_with_free_func((GDestroyNotify)g_regex_unref);
    pt->email_squeezed = g_ptr_array_new_with_free_func(g_free);
    pt->name_squeezed = g_ptr_array_new_with_free_func(g_free);
    pt->phones = g_ptr_array_new_with_free_func(g_free);
    GPtrArray *seen_emails = g_ptr_array_new_with_free_func(g_free);
    const char *const *consented = opts ? opts->consented_emails : NULL;

    guint n = ids ? identity_set_count(ids) : 0;
    for (guint i = 0; i < n; i++) {
        const IdentityPerson *p = identity_set_get(ids, i);
        if (identity_person_consented(p, consented))
            continue;
        for (const char *const *v = identity_person_names(p); *v; v++) {
            char *f = redact_fold(*v);
            g_strstrip(f);
            if (count_alnum(f) < 2) {
                g_free(f);
                continue;
            }
            if (strchr(f, ' ')) {
                char *sq = squeeze(f);
                if (strlen(sq) >= 6)
                    add_unique(pt->name_squeezed, sq);
                else
                    g_free(sq);
            }
            add_unique(pt->names, f);
        }
        for (const char *const *v = identity_person_tokens(p); *v; v++) {
            char *f = redact_fold(*v);
            g_strstrip(f);
            if (count_alnum(f) < 2)
                g_free(f);
            else
                add_unique(pt->names, f);
        }
        for (const char *const *v = identity_person_emails(p); *v; v++) {
            char *f = redact_fold(*v);
            g_strstrip(f);
            if (str_in_array(seen_emails, f)) {
                g_free(f);
                continue;
            }
            GRegex *re = email_regex(f);
            if (re)
                g_ptr_array_add(pt->emails, re);
            add_unique(pt->email_squeezed, squeeze(f));
            g_ptr_array_add(seen_emails, f);
        }
        for (const char *const *v = identity_person_phones(p); *v; v++)
            add_unique(pt->phones, phone_key(*v));
    }
    g_ptr_array_unref(seen_emails);
}

/* ---- finding matches ---------------------------------------------------- */

/* Scripts written without spaces between words: no word boundary there.
 * Matching counts Tibetan too, whose words are not spaced either; the name
 * checks (id_has_continuous_script) have never counted it. */
static gboolean is_continuous_script(gunichar c)
{
    return fold_continuous_script(c) || g_unichar_get_script(c) == G_UNICODE_SCRIPT_TIBETAN;
}

/* May a match whose edge character is `edge` sit next to `neighbour`? */
static gboolean boundary_ok(gunichar edge, gunichar neighbour)
{
    if (!g_unichar_isalnum(edge) || !g_unichar_isalnum(neighbour))
        return TRUE;
    return is_continuous_script(edge) || is_continuous_script(neighbour);
}

static gboolean folded_boundaries(const Folded *f, gsize fs, gsize fe)
{
    const char *s = f->s->str;
    if (fe <= fs)
        return FALSE;
    gunichar first = g_utf8_get_char(s + fs);
    gunichar last = g_utf8_get_char(g_utf8_find_prev_char(s, s + fe));
    if (fs > 0 && !boundary_ok(first, g_utf8_get_char(g_utf8_find_prev_char(s, s + fs))))
        return FALSE;
    if (fe < f->s->len && !boundary_ok(last, g_utf8_get_char(s + fe)))
        return FALSE;
    return TRUE;
}

/* Folded byte range [fs, fe) -> original byte range. */
static Range folded_to_range(const Folded *f, const char *orig, gsize fs, gsize fe, MatchKind kind)
{
    Range r;
    r.start = g_array_index(f->map, guint32, fs);
    guint32 last = g_array_index(f->map, guint32, fe - 1);
    r.end = (gsize)(g_utf8_next_char(orig + last) - orig);
    r.kind = kind;
    return r;
}

static void find_literal(const Folded *f, const char *orig, const char *needle, gboolean bounded,
                         MatchKind kind, GArray *out)
{
    gsize nl = strlen(needle);
    if (nl == 0)
        return;
    const char *hay = f->s->str;
    gsize hl = f->s->len;
    gsize from = 0;
    while (from + nl <= hl) {
        const char *hit = memmem(hay + from, hl - from, needle, nl);
        if (!hit)
            break;
        gsize fs = (gsize)(hit - hay);
        if (!bounded || folded_boundaries(f, fs, fs + nl)) {
            Range r = folded_to_range(f, orig, fs, fs + nl, kind);
            g_array_append_val(out, r);
        }
        from = (gsize)(g_utf8_next_char(hit) - hay);
    }
}

static void find_regex(const Folded *f, const char *orig, GRegex *re, MatchKind kind, GArray *out)
{
    GMatchInfo *mi = NULL;
    g_regex_match_full(re, f->s->str, (gssize)f->s->len, 0, 0, &mi, NULL);
    while (g_match_info_matches(mi)) {
        int s = -1, e = -1;
        if (g_match_info_fetch_pos(mi, 0, &s, &e) && s >= 0 && e > s) {
            gsize fs = (gsize)s, fe = (gsize)e;
            /* the spelled-out separators may eat the spaces at the ends */
            while (fs < fe && f->s->str[fs] == ' ')
                fs++;
            while (fe > fs && f->s->str[fe - 1] == ' ')
                fe--;
            if (fe > fs && folded_boundaries(f, fs, fe)) {
                Range r = folded_to_range(f, orig, fs, fe, kind);
                g_array_append_val(out, r);
            }
        }
        g_match_info_next(mi, NULL);
    }
    g_match_info_free(mi);
}

static GRegex *static_regex(GRegex **slot, const char *pattern, GRegexCompileFlags flags)
{
    if (g_once_init_enter(slot)) {
        GRegex *re = g_regex_new(pattern, flags | G_REGEX_OPTIMIZE, 0, NULL);
        g_assert(re); /* a constant pattern: a bug if it does not compile */
        g_once_init_leave(slot, re);
    }
    return *slot;
}

static GRegex *phone_run_regex(void)
{
    static GRegex *re;
    return static_regex(&re, "[+(]?[0-9][0-9 \\t().\\-/]{5,}[0-9]", 0);
}

static GRegex *hex_run_regex(void)
{
    static GRegex *re;
    return static_regex(&re,
                        "(?<![0-9a-z])(?:[0-9a-f]{16,}|[0-9a-f]{2}"
                        "(?:(?:[:.-]|[ \\t]{1,3}|\\s)?[0-9a-f]{2}){7,})(?![0-9a-z])",
                        G_REGEX_CASELESS);
}

static void find_phones(const char *orig, GPtrArray *keys, GArray *out)
{
    if (keys->len == 0)
        return;
    GMatchInfo *mi = NULL;
    g_regex_match(phone_run_regex(), orig, 0, &mi);
    while (g_match_info_matches(mi)) {
        int s = -1, e = -1;
        if (g_match_info_fetch_pos(mi, 0, &s, &e) && s >= 0 && e > s) {
            GString *digits = g_string_new(NULL);
            for (int i = s; i < e; i++)
                if (g_ascii_isdigit(orig[i]))
                    g_string_append_c(digits, orig[i]);
            for (guint k = 0; k < keys->len; k++) {
                if (digits->len >= PHONE_MIN_DIGITS &&
                    strstr(digits->str, g_ptr_array_index(keys, k))) {
                    Range r = { (gsize)s, (gsize)e, MATCH_PHONE };
                    g_array_append_val(out, r);
                    break;
                }
            }
            g_string_free(digits, TRUE);
        }
        g_match_info_next(mi, NULL);
    }
    g_match_info_free(mi);
}

/* Ranges of the original that are never redacted. */
static GArray *protected_ranges(const Folded *f, const char *orig, const RedactOptions *opts)
{
    GArray *prot = g_array_new(FALSE, FALSE, sizeof(Range));
    if (opts && opts->protected_strings) {
        for (const char *const *p = opts->protected_strings; *p; p++) {
            g_autofree char *fp = redact_fold(*p);
            g_strstrip(fp);
            if (*fp)
                find_literal(f, orig, fp, FALSE, MATCH_NAME, prot);
        }
    }
    GMatchInfo *mi = NULL;
    g_regex_match(hex_run_regex(), orig, 0, &mi);
    while (g_match_info_matches(mi)) {
        int s = -1, e = -1;
        if (g_match_info_fetch_pos(mi, 0, &s, &e) && s >= 0 && e > s) {
            Range r = { (gsize)s, (gsize)e, MATCH_NAME };
            g_array_append_val(prot, r);
        }
        g_match_info_next(mi, NULL);
    }
    g_match_info_free(mi);
    return prot;
}

static gboolean overlaps_any(const Range *r, const GArray *prot)
{
    for (guint i = 0; i < prot->len; i++) {
        const Range *p = &g_array_index(prot, Range, i);
        if (r->start < p->end && p->start < r->end)
            return TRUE;
    }
    return FALSE;
}

static gboolean is_base64_char(char c)
{
    return g_ascii_isalnum(c) || c == '+' || c == '/' || c == '=';
}

/* Inside a long unbroken base64 run (a key, a certificate body)? */
static gboolean inside_base64_run(const char *orig, gsize len, const Range *r)
{
    gsize s = r->start, e = r->end;
    for (gsize i = s; i < e; i++)
        if (!is_base64_char(orig[i]))
            return FALSE;
    while (s > 0 && is_base64_char(orig[s - 1]))
        s--;
    while (e < len && is_base64_char(orig[e]))
        e++;
    return e - s >= BASE64_RUN_MIN;
}

static int range_cmp(gconstpointer a, gconstpointer b)
{
    const Range *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    if (x->end != y->end)
        return x->end > y->end ? -1 : 1;
    return 0;
}

/* Is every letter and digit of `r` inside one of `cover` (sorted, disjoint)? */
static gboolean alnum_covered(const char *orig, const Range *r, const GArray *cover)
{
    /* the first cover range that ends after r starts */
    guint lo = 0, hi = cover->len;
    while (lo < hi) {
        guint mid = lo + (hi - lo) / 2;
        if (g_array_index(cover, Range, mid).end <= r->start)
            lo = mid + 1;
        else
            hi = mid;
    }
    guint k = lo;
    for (const char *p = orig + r->start; p < orig + r->end; p = g_utf8_next_char(p)) {
        if (!g_unichar_isalnum(g_utf8_get_char(p)))
            continue;
        gsize at = (gsize)(p - orig);
        while (k < cover->len && g_array_index(cover, Range, k).end <= at)
            k++;
        if (k == cover->len || g_array_index(cover, Range, k).start > at)
            return FALSE;
    }
    return TRUE;
}

/* The letters-and-digits-only scan: catches "r.a.f.f.e.r.t.y", "jane%doe.example",
 * "JaneDoe" and friends. Appends every hit to `out`, as ranges of the original;
 * hits that are protected, inside a base64 run or part of a longer word are
 * left out. */
static void find_squeezed(const Patterns *pt, const Folded *f, const char *orig, gsize len,
                          const GArray *prot, GArray *out)
{
    if (pt->email_squeezed->len == 0 && pt->name_squeezed->len == 0)
        return;
    /* what the ordinary matching found: a squeezed hit adds nothing where it
     * covers every letter and digit ("**Jane** _Doe_" stays two phrases) */
    GArray *cover = g_array_copy(out);
    g_array_sort(cover, range_cmp);
    guint w = 0;
    for (guint i = 0; i < cover->len; i++) {
        Range cur = g_array_index(cover, Range, i);
        if (w > 0 && cur.start <= g_array_index(cover, Range, w - 1).end) {
            Range *prev = &g_array_index(cover, Range, w - 1);
            prev->end = MAX(prev->end, cur.end);
            continue;
        }
        g_array_index(cover, Range, w++) = cur;
    }
    g_array_set_size(cover, w);

    Folded sq;
    folded_init(&sq, f->s->len);
    for (gsize i = 0; i < f->s->len;) {
        const char *p = f->s->str + i;
        gunichar c = g_utf8_get_char(p);
        gsize n = (gsize)(g_utf8_next_char(p) - p);
        if (g_unichar_isalnum(c))
            folded_put(&sq, c, g_array_index(f->map, guint32, i));
        i += n;
    }
    GArray *hits = g_array_new(FALSE, FALSE, sizeof(Range));
    for (guint i = 0; i < pt->email_squeezed->len; i++)
        find_literal(&sq, orig, g_ptr_array_index(pt->email_squeezed, i), FALSE, MATCH_EMAIL,
                     hits);
    for (guint i = 0; i < pt->name_squeezed->len; i++)
        find_literal(&sq, orig, g_ptr_array_index(pt->name_squeezed, i), FALSE, MATCH_NAME, hits);
    for (guint i = 0; i < hits->len; i++) {
        const Range *r = &g_array_index(hits, Range, i);
        if (overlaps_any(r, prot) || inside_base64_run(orig, len, r))
            continue;
        /* whole words of the original: "jd@corp.example" is not in "xjd@corp.examples" */
        if (r->start > 0 &&
            g_unichar_isalnum(g_utf8_get_char(g_utf8_find_prev_char(orig, orig + r->start))))
            continue;
        if (r->end < len && g_unichar_isalnum(g_utf8_get_char(orig + r->end)))
            continue;
        if (alnum_covered(orig, r, cover))
            continue;
        g_array_append_val(out, *r);
    }
    g_array_unref(hits);
    g_array_unref(cover);
    folded_clear(&sq);
}

/* Every match of every identifier, protected ones removed. Unsorted.
 * redact_text() replaces exactly what redact_check() refuses, the squeezed
 * forms included: that is what makes redact_check(redact_text(t)) hold. */
static GArray *find_matches(const Patterns *pt, const Folded *f, const char *orig, gsize len,
                            const RedactOptions *opts)
{
    GArray *all = g_array_new(FALSE, FALSE, sizeof(Range));
    for (guint i = 0; i < pt->names->len; i++)
        find_literal(f, orig, g_ptr_array_index(pt->names, i), TRUE, MATCH_NAME, all);
    for (guint i = 0; i < pt->emails->len; i++)
        find_regex(f, orig, g_ptr_array_index(pt->emails, i), MATCH_EMAIL, all);
    find_phones(orig, pt->phones, all);

    GArray *prot = protected_ranges(f, orig, opts);
    GArray *kept = g_array_new(FALSE, FALSE, sizeof(Range));
    for (guint i = 0; i < all->len; i++) {
        const Range *r = &g_array_index(all, Range, i);
        if (overlaps_any(r, prot))
            continue;
        if (r->kind == MATCH_NAME && inside_base64_run(orig, len, r))
            continue;
        g_array_append_val(kept, *r);
    }
    find_squeezed(pt, f, orig, len, prot, kept);
    g_array_unref(prot);
    g_array_unref(all);
    return kept;
}

/* Only separators between two name matches: "Jane" + " " + "Doe". */
static gboolean only_separators(const char *orig, gsize s, gsize e)
{
    for (gsize i = s; i < e; i++) {
        char c = orig[i];
        if (c != ' ' && c != '\t' && c != '-' && c != '\n' && c != '\r' && c != '>')
            return FALSE;
    }
    return TRUE;
}

static void merge_ranges(GArray *r, const char *orig)
{
    g_array_sort(r, range_cmp);
    guint w = 0;
    for (guint i = 0; i < r->len; i++) {
        Range cur = g_array_index(r, Range, i);
        if (w > 0) {
            Range *prev = &g_array_index(r, Range, w - 1);
            gboolean overlap = cur.start < prev->end;
            gboolean adjacent_names = prev->kind == MATCH_NAME && cur.kind == MATCH_NAME &&
                                      cur.start >= prev->end &&
                                      only_separators(orig, prev->end, cur.start);
            if (overlap || adjacent_names) {
                if (cur.end > prev->end)
                    prev->end = cur.end;
                if (cur.kind > prev->kind)
                    prev->kind = cur.kind;
                continue;
            }
        }
        g_array_index(r, Range, w++) = cur;
    }
    g_array_set_size(r, w);
}

/* A name inside a URL, handle or address-like token reads better as a tag. */
static gboolean name_inside_token(const char *orig, gsize len, const Range *r)
{
    gsize s = r->start, e = r->end;
    while (s > 0 && !g_ascii_isspace(orig[s - 1]))
        s--;
    while (e < len && !g_ascii_isspace(orig[e]))
        e++;
    for (gsize i = s; i < e; i++) {
        if (i >= r->start && i < r->end)
            continue;
        if (orig[i] == '/' || orig[i] == '@' || orig[i] == '=')
            return TRUE;
    }
    /* "rafferty_sec" joins words; "_Doe_" is emphasis */
    if (r->end + 1 < len && orig[r->end] == '_' && g_ascii_isalnum(orig[r->end + 1]))
        return TRUE;
    if (r->start >= 2 && orig[r->start - 1] == '_' && g_ascii_isalnum(orig[r->start - 2]))
        return TRUE;
    return FALSE;
}

static gboolean prepare(const char *text, char **valid_r, GError **error)
{
    gsize len = strlen(text);
    if (len > REDACT_MAX_TEXT) {
        g_set_error(error, CPR_ERROR, CPR_ERROR_INPUT,
                    "text of %" G_GSIZE_FORMAT " bytes is larger than the redaction limit "
                    "of %u bytes", len, (unsigned)REDACT_MAX_TEXT);
        return FALSE;
    }
    *valid_r = g_utf8_make_valid(text, (gssize)len);
    return TRUE;
}

/* One pass: every match in `orig` replaced by its phrase. *n_r: how many. */
static char *redact_pass(const Patterns *pt, const char *orig, const RedactOptions *opts,
                         guint *n_r)
{
    gsize len = strlen(orig);
    Folded f;
    fold_build(orig, len, TRUE, &f);
    GArray *matches = find_matches(pt, &f, orig, len, opts);
    merge_ranges(matches, orig);

    const char *name_phrase = opts && opts->name_phrase ? opts->name_phrase : DEFAULT_NAME_PHRASE;
    const char *email_phrase =
        opts && opts->email_phrase ? opts->email_phrase : DEFAULT_EMAIL_PHRASE;
    const char *phone_phrase =
        opts && opts->phone_phrase ? opts->phone_phrase : DEFAULT_PHONE_PHRASE;

    GString *out = g_string_sized_new(len + 64);
    gsize at = 0;
    for (guint i = 0; i < matches->len; i++) {
        const Range *r = &g_array_index(matches, Range, i);
        g_string_append_len(out, orig + at, (gssize)(r->start - at));
        switch (r->kind) {
        case MATCH_EMAIL:
            g_string_append(out, email_phrase);
            break;
        case MATCH_PHONE:
            g_string_append(out, phone_phrase);
            break;
        case MATCH_NAME:
            g_string_append(out, name_inside_token(orig, len, r) ? DEFAULT_TOKEN_PHRASE
                                                                  : name_phrase);
            break;
        }
        at = r->end;
    }
    g_string_append_len(out, orig + at, (gssize)(len - at));

    *n_r = matches->len;
    g_array_unref(matches);
    folded_clear(&f);
    return g_string_free(out, FALSE);
}

char *redact_text(const IdentitySet *ids, const char *text, const RedactOptions *opts,
                  GError **error)
{
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);
    char *cur = NULL;
    if (!prepare(text ? text : "", &cur, error))
        return NULL;

    Patterns pt = { 0 };
    patterns_build(ids, opts, &pt);
    /* A replacement changes the text around it, and with it what is exempt: a
     * phone number replaced inside a base64 run shortens the run, and the name
     * it sheltered is prose again. So redact the output again until the
     * check's own matching finds nothing there (two passes as a rule); past
     * the bound whatever is left makes redact_check() refuse: fail closed. */
    for (guint pass = 0; pass < REDACT_MAX_PASSES; pass++) {
        guint n = 0;
        char *next = redact_pass(&pt, cur, opts, &n);
        g_free(cur);
        cur = next;
        if (n == 0)
            break;
        gsize len = strlen(cur);
        if (len > REDACT_MAX_TEXT) {
            /* the phrases are longer than what they replace: text that the
             * check would refuse to scan must not leave here either */
            g_set_error(error, CPR_ERROR, CPR_ERROR_INPUT,
                        "redacted text of %" G_GSIZE_FORMAT " bytes is larger than the "
                        "redaction limit of %u bytes", len, (unsigned)REDACT_MAX_TEXT);
            g_clear_pointer(&cur, g_free);
            break;
        }
    }
    patterns_clear(&pt);
    return cur;
}

static guint line_of(const char *orig, gsize offset)
{
    guint line = 1;
    for (gsize i = 0; i < offset && orig[i]; i++)
        if (orig[i] == '\n')
            line++;
    return line;
}

static const char *kind_label(MatchKind k)
{
    switch (k) {
    case MATCH_EMAIL:
        return "an e-mail address";
    case MATCH_PHONE:
        return "a phone number";
    case MATCH_NAME:
    default:
        return "a name";
    }
}

gboolean redact_check(const IdentitySet *ids, const char *text, const RedactOptions *opts,
                      const char *output_name, GError **error)
{
    g_return_val_if_fail(error == NULL || *error == NULL, FALSE);
    const char *what = output_name ? output_name : "output";
    char *orig = NULL;
    if (!prepare(text ? text : "", &orig, error)) {
        g_prefix_error(error, "redaction check of %s: ", what);
        return FALSE;
    }
    gsize len = strlen(orig);

    Patterns pt = { 0 };
    patterns_build(ids, opts, &pt);
    Folded f;
    fold_build(orig, len, TRUE, &f);
    GArray *matches = find_matches(&pt, &f, orig, len, opts);
    Range hit = { 0 };
    gboolean leak = matches->len > 0;
    if (leak) {
        g_array_sort(matches, range_cmp);
        hit = g_array_index(matches, Range, 0);
    }
    if (leak)
        g_set_error(error, CPR_ERROR, CPR_ERROR_LEAK,
                    "redaction check failed for %s: %s of a reporter who has not consented "
                    "remains (line %u)", what, kind_label(hit.kind), line_of(orig, hit.start));

    g_array_unref(matches);
    folded_clear(&f);
    patterns_clear(&pt);
    g_free(orig);
    return !leak;
}
