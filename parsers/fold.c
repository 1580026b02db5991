/* fold.c - text folded for matching (see fold.h): NFKD, combining marks
 * dropped, case folded, separators collapsed, with a map from every folded
 * byte back to the original character it came from. Used by identity.c (to
 * compare names) and redact.c (to find them). */
#include <string.h>

#include "fold.h"
#include "fold_internal.h"

/* ---- folding ------------------------------------------------------------ */

enum { FOLD_DROP = 0, FOLD_SPACE = -1 };

static gboolean is_zero_width(gunichar c)
{
    return c == 0x00AD || c == 0x180E || (c >= 0x200B && c <= 0x200F) || c == 0x2060 ||
           c == 0x2061 || c == 0x2062 || c == 0x2063 || c == 0xFEFF ||
           (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069);
}

static gboolean is_hyphen(gunichar c)
{
    return c == '-' || (c >= 0x2010 && c <= 0x2015) || c == 0x2212 || c == 0xFE58 ||
           c == 0xFE63 || c == 0xFF0D;
}

static gboolean is_apostrophe(gunichar c)
{
    return c == 0x2018 || c == 0x2019 || c == 0x201B || c == 0x02BC || c == 0x02B9 ||
           c == '`' || c == 0x00B4 || c == 0xFF07 || c == 0x2032;
}

/* Fold one character into out[] (room for G_UNICHAR_MAX_DECOMPOSITION_LENGTH
 * + 1). Returns the count, FOLD_DROP or FOLD_SPACE. */
static int fold_char(gunichar c, gunichar *out)
{
    if (c < 0x80) {
        if (g_ascii_isspace(c) || c == '-')
            return FOLD_SPACE;
        /* markdown escapes ("jane\_doe\@example.org", mdescape.h) hide nothing */
        if (c == '\\')
            return FOLD_DROP;
        out[0] = g_ascii_tolower((char)c);
        return 1;
    }
    if (is_zero_width(c))
        return FOLD_DROP;
    if (is_hyphen(c) || g_unichar_isspace(c))
        return FOLD_SPACE;
    if (is_apostrophe(c)) {
        out[0] = '\'';
        return 1;
    }
    /* letters with a stroke or ligatures have no decomposition */
    switch (c) {
    case 0x00D8: case 0x00F8: out[0] = 'o'; return 1;               /* Ø ø */
    case 0x0141: case 0x0142: out[0] = 'l'; return 1;               /* Ł ł */
    case 0x0110: case 0x0111: case 0x00D0: case 0x00F0: out[0] = 'd'; return 1; /* Đ đ Ð ð */
    case 0x0126: case 0x0127: out[0] = 'h'; return 1;               /* Ħ ħ */
    case 0x0166: case 0x0167: out[0] = 't'; return 1;               /* Ŧ ŧ */
    case 0x0131: out[0] = 'i'; return 1;                            /* ı */
    case 0x00C6: case 0x00E6: out[0] = 'a'; out[1] = 'e'; return 2; /* Æ æ */
    case 0x0152: case 0x0153: out[0] = 'o'; out[1] = 'e'; return 2; /* Œ œ */
    case 0x00DE: case 0x00FE: out[0] = 't'; out[1] = 'h'; return 2; /* Þ þ */
    default: break;
    }
    gunichar dec[G_UNICHAR_MAX_DECOMPOSITION_LENGTH];
    gsize n = g_unichar_fully_decompose(c, TRUE, dec, G_N_ELEMENTS(dec));
    int k = 0;
    for (gsize i = 0; i < n && k < (int)G_UNICHAR_MAX_DECOMPOSITION_LENGTH; i++) {
        GUnicodeType t = g_unichar_type(dec[i]);
        if (t == G_UNICODE_NON_SPACING_MARK || t == G_UNICODE_ENCLOSING_MARK)
            continue;
        if (g_unichar_isspace(dec[i]))
            continue; /* compatibility forms of spacing accents: " \u0301" */
        if (dec[i] == 0x00DF) { /* ß folds to ss */
            out[k++] = 's';
            out[k++] = 's';
            continue;
        }
        /* upper then lower: final sigma, dotless i, title case all meet */
        out[k++] = g_unichar_tolower(g_unichar_toupper(dec[i]));
    }
    return k;
}

void folded_init(Folded *f, gsize hint)
{
    f->s = g_string_sized_new(hint + 1);
    f->map = g_array_sized_new(FALSE, FALSE, sizeof(guint32), hint + 1);
}

void folded_clear(Folded *f)
{
    if (f->s)
        g_string_free(f->s, TRUE);
    if (f->map)
        g_array_unref(f->map);
    f->s = NULL;
    f->map = NULL;
}

void folded_put(Folded *f, gunichar c, guint32 origin)
{
    char buf[6];
    int n = g_unichar_to_utf8(c, buf);
    g_string_append_len(f->s, buf, n);
    for (int i = 0; i < n; i++)
        g_array_append_val(f->map, origin);
}

/* Fold `text` (valid UTF-8, len < 4 GB). With `quotes`, the "> " prefixes
 * after each line break count as part of the separator. */
void fold_build(const char *text, gsize len, gboolean quotes, Folded *f)
{
    folded_init(f, len);
    gboolean pending = FALSE;
    guint32 pending_at = 0;
    const char *p = text, *end = text + len;
    gboolean line_start = TRUE;
    while (p < end) {
        gunichar c = g_utf8_get_char(p);
        const char *next = g_utf8_next_char(p);
        guint32 at = (guint32)(p - text);
        if (quotes && line_start && (c == '>' || c == ' ' || c == '\t')) {
            /* quote prefix: a separator */
            if (!pending) {
                pending = TRUE;
                pending_at = at;
            }
            p = next;
            continue;
        }
        line_start = (c == '\n');
        gunichar out[G_UNICHAR_MAX_DECOMPOSITION_LENGTH + 1];
        int n = fold_char(c, out);
        if (n == FOLD_SPACE) {
            if (!pending) {
                pending = TRUE;
                pending_at = at;
            }
        } else if (n > 0) {
            if (pending && f->s->len > 0)
                folded_put(f, ' ', pending_at);
            pending = FALSE;
            for (int i = 0; i < n; i++)
                folded_put(f, out[i], at);
        }
        p = next;
    }
}

char *redact_fold(const char *text)
{
    if (!text)
        return g_strdup("");
    g_autofree char *valid = g_utf8_make_valid(text, -1);
    Folded f;
    fold_build(valid, strlen(valid), FALSE, &f);
    char *r = g_strdup(f.s->str);
    folded_clear(&f);
    return r;
}

gboolean fold_continuous_script(gunichar c)
{
    switch (g_unichar_get_script(c)) {
    case G_UNICODE_SCRIPT_HAN:
    case G_UNICODE_SCRIPT_HIRAGANA:
    case G_UNICODE_SCRIPT_KATAKANA:
    case G_UNICODE_SCRIPT_THAI:
    case G_UNICODE_SCRIPT_LAO:
    case G_UNICODE_SCRIPT_KHMER:
    case G_UNICODE_SCRIPT_MYANMAR:
        return TRUE;
    default:
        return FALSE;
    }
}
