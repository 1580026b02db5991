/* extract_util.c - the small helpers every step of the identifier extractor
 * shares (extract_internal.h): hex tests, blanking, hits and lines. They use
 * nothing of the steps, so the steps and extract.c depend on this file and
 * never on each other through it. */
#include "extract_internal.h"

#include <string.h>

gboolean xt_is_hex_string(const char *s, gsize n)
{
    for (gsize i = 0; i < n; i++)
        if (!g_ascii_isxdigit(s[i]))
            return FALSE;
    return n > 0;
}

/* Blank [a, b) of the working copy, keeping newlines (line structure is what
 * labels and tables are read by). The range always covers whole UTF-8
 * characters, so the copy stays valid UTF-8. */
void xt_blank(char *work, gsize a, gsize b)
{
    for (gsize i = a; i < b; i++)
        if (work[i] != '\n')
            work[i] = ' ';
}

void xt_hits_add(GArray *hits, gsize pos, HitKind kind, char *value)
{
    if (value == NULL)
        return;
    Hit h = { pos, hits->len, kind, value, NULL };
    g_array_append_val(hits, h);
}

gsize xt_line_end(const char *s, gsize len, gsize pos)
{
    const char *nl = memchr(s + pos, '\n', len - pos);
    return nl ? (gsize)(nl - s) : len;
}

/* The line [a, b) with quote markers, indentation and trailing white space
 * removed. */
void xt_strip_quoted(const char *s, gsize *a, gsize *b)
{
    while (*a < *b && (s[*a] == ' ' || s[*a] == '\t' || s[*a] == '>'))
        (*a)++;
    while (*b > *a && (s[*b - 1] == ' ' || s[*b - 1] == '\t' || s[*b - 1] == '\r'))
        (*b)--;
}

gsize xt_quoted_line(const Scan *sc, gsize pos, gsize *a, gsize *b)
{
    gsize le = xt_line_end(sc->work, sc->len, pos);
    *a = pos;
    *b = le;
    xt_strip_quoted(sc->work, a, b);
    return le < sc->len ? le + 1 : sc->len;
}
