/* mdescape.c - markdown escaping of untrusted text (see mdescape.h).
 *
 * Escape everything that could be markup rather than only what is markup in
 * one renderer: Bugzilla, GitHub and CommonMark disagree at the edges, and a
 * backslash before punctuation is harmless in all of them. */
#include <string.h>

#include "mdescape.h"

static gboolean is_bidi_control(gunichar c)
{
    return (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069) || c == 0x200E ||
           c == 0x200F || c == 0x061C;
}

static char *escape(const char *text, gboolean one_line)
{
    if (!text)
        return g_strdup("");
    g_autofree char *valid = g_utf8_make_valid(text, -1);
    GString *out = g_string_sized_new(strlen(valid) + 16);
    gboolean line_start = TRUE;
    for (const char *p = valid; *p; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        if (c == '\r' || is_bidi_control(c))
            continue;
        if (c == '\n') {
            if (one_line) {
                if (out->len > 0 && out->str[out->len - 1] != ' ')
                    g_string_append_c(out, ' ');
            } else {
                g_string_append_c(out, '\n');
                line_start = TRUE;
            }
            continue;
        }
        if (c == '\t')
            c = ' ';
        if ((c < 0x20 && c != ' ') || c == 0x7F || (c >= 0x80 && c < 0xA0))
            continue;
        if (line_start && c == ' ') {
            /* leading indentation would open a code block */
            g_string_append(out, "\u00a0");
            continue;
        }
        gboolean was_start = line_start;
        line_start = FALSE;
        switch (c) {
        case '&':
            g_string_append(out, "&amp;");
            continue;
        case '<':
            g_string_append(out, "&lt;");
            continue;
        case '>':
            g_string_append(out, "&gt;");
            continue;
        case '\\': case '`': case '*': case '_': case '[': case ']': case '(': case ')':
        case '{': case '}': case '|': case '~': case '!': case '#':
            g_string_append_c(out, '\\');
            g_string_append_c(out, (char)c);
            continue;
        case '@':
            /* "@name" notifies people where mentions work (GitHub, GitLab) */
            g_string_append(out, "\\@");
            continue;
        case ':':
            /* "https://..." would become a live link (GFM autolinks) */
            if (p[1] == '/' && p[2] == '/')
                g_string_append_c(out, '\\');
            g_string_append_c(out, ':');
            continue;
        case '+': case '-': case '=':
            if (was_start)
                g_string_append_c(out, '\\');
            g_string_append_c(out, (char)c);
            continue;
        default:
            break;
        }
        if (was_start && g_ascii_isdigit((char)(c < 0x80 ? c : 'x'))) {
            /* "1. " / "1) " would start an ordered list: escape the mark */
            const char *q = p;
            while (g_ascii_isdigit(*q))
                q++;
            g_string_append_len(out, p, q - p);
            if (*q == '.' || *q == ')') {
                g_string_append_c(out, '\\');
                g_string_append_c(out, *q);
                q++;
            }
            p = q - 1; /* the loop steps over the last byte written */
            continue;
        }
        g_string_append_unichar(out, c);
    }
    return g_string_free(out, FALSE);
}

char *mdescape_text(const char *text)
{
    return escape(text, FALSE);
}

char *mdescape_inline(const char *text)
{
    return escape(text, TRUE);
}
