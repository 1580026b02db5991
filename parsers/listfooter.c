/* listfooter.c - remove mailing-list footers from message text (see
 * listfooter.h). Line based: a footer is recognised by its first line and
 * runs to the end of its paragraph at its quote level. */
#include "listfooter.h"

#include <string.h>

/* Length of the quote prefix of a line: '>' and the spaces around them. */
static gsize quote_prefix_len(const char *line, gsize len)
{
    gsize i = 0;
    gsize last = 0;
    while (i < len && (line[i] == '>' || line[i] == ' ')) {
        if (line[i] == '>')
            last = i + 1;
        i++;
    }
    /* spaces after the last '>' belong to the prefix, leading spaces alone not */
    if (last == 0)
        return 0;
    while (last < len && line[last] == ' ')
        last++;
    return last;
}

static gboolean prefix_eq(const char *a, gsize alen, const char *b, gsize blen)
{
    /* compare the '>' structure, ignoring spaces */
    gsize i = 0, j = 0;
    for (;;) {
        while (i < alen && a[i] == ' ')
            i++;
        while (j < blen && b[j] == ' ')
            j++;
        if (i == alen || j == blen)
            return i == alen && j == blen;
        if (a[i] != b[j])
            return FALSE;
        i++;
        j++;
    }
}

static gboolean rest_is_blank(const char *s, gsize len)
{
    for (gsize i = 0; i < len; i++)
        if (!g_ascii_isspace(s[i]))
            return FALSE;
    return TRUE;
}

static gboolean rest_is_sig_dash(const char *s, gsize len)
{
    while (len && g_ascii_isspace(s[len - 1]))
        len--;
    return len == 2 && s[0] == '-' && s[1] == '-';
}

char *listfooter_strip(const char *text)
{
    if (!text)
        return g_strdup("");
    if (!strstr(text, LISTFOOTER_GOOGLE_GROUPS))
        return g_strdup(text);

    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    guint n = g_strv_length(lines);
    g_autofree gboolean *drop = g_new0(gboolean, n + 1);

    for (guint i = 0; i < n; i++) {
        const char *l = lines[i];
        gsize len = strlen(l);
        gsize pl = quote_prefix_len(l, len);
        if (!g_str_has_prefix(l + pl, LISTFOOTER_GOOGLE_GROUPS))
            continue;
        guint start = i;
        if (i > 0) {
            const char *pv = lines[i - 1];
            gsize pvlen = strlen(pv);
            gsize ppl = quote_prefix_len(pv, pvlen);
            if (prefix_eq(pv, ppl, l, pl) && rest_is_sig_dash(pv + ppl, pvlen - ppl))
                start = i - 1;
        }
        guint end = i + 1;
        while (end < n) {
            const char *e = lines[end];
            gsize elen = strlen(e);
            gsize epl = quote_prefix_len(e, elen);
            if (!prefix_eq(e, epl, l, pl) || rest_is_blank(e + epl, elen - epl))
                break;
            end++;
        }
        for (guint k = start; k < end; k++)
            drop[k] = TRUE;
        i = end - 1; /* go on after the block: each line is looked at once */
    }

    GString *out = g_string_sized_new(strlen(text));
    for (guint i = 0; i < n; i++) {
        if (drop[i])
            continue;
        g_string_append(out, lines[i]);
        if (i + 1 < n)
            g_string_append_c(out, '\n');
    }
    /* trim trailing blank lines left behind by the footer */
    while (out->len && g_ascii_isspace(out->str[out->len - 1]))
        g_string_truncate(out, out->len - 1);
    if (out->len)
        g_string_append_c(out, '\n');
    return g_string_free(out, FALSE);
}
