/* html2text.c - reduce an HTML body to text (see html2text.h).
 *
 * A single forward pass, not a parser: what matters is the words a reporter
 * wrote, not the document tree, and a mail client's HTML is rarely valid. */
#include "html2text.h"

#include <string.h>

#include "charset.h"

typedef struct {
    const char *name;
    gunichar ch; /* 0: the entity stands for nothing (soft hyphen) */
} Entity;

static const Entity entities[] = {
    {"amp", '&'}, {"lt", '<'}, {"gt", '>'}, {"quot", '"'}, {"apos", '\''},
    {"nbsp", ' '}, {"copy", 0xA9}, {"reg", 0xAE}, {"hellip", 0x2026},
    {"ndash", 0x2013}, {"mdash", 0x2014}, {"lsquo", 0x2018}, {"rsquo", 0x2019},
    {"ldquo", 0x201C}, {"rdquo", 0x201D}, {"laquo", 0xAB}, {"raquo", 0xBB},
    {"euro", 0x20AC}, {"middot", 0xB7}, {"bull", 0x2022}, {"shy", 0},
    {"aacute", 0xE1}, {"eacute", 0xE9}, {"iacute", 0xED}, {"oacute", 0xF3},
    {"uacute", 0xFA}, {"ntilde", 0xF1}, {"Aacute", 0xC1}, {"Eacute", 0xC9},
    {"Iacute", 0xCD}, {"Oacute", 0xD3}, {"Uacute", 0xDA}, {"Ntilde", 0xD1},
    {"auml", 0xE4}, {"ouml", 0xF6}, {"uuml", 0xFC}, {"Auml", 0xC4},
    {"Ouml", 0xD6}, {"Uuml", 0xDC}, {"szlig", 0xDF}, {"egrave", 0xE8},
    {"agrave", 0xE0}, {"ccedil", 0xE7}, {"ecirc", 0xEA},
};

/* Tags whose content is not text. */
static const char *const skip_tags[] = {"script", "style", "head", "title", NULL};
/* Tags that end a line (open or close). */
static const char *const block_tags[] = {
    "p", "div", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table",
    "blockquote", "ul", "ol", "pre", "hr", "dt", "dd", NULL,
};

static gboolean in_list(const char *name, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(name, *list) == 0)
            return TRUE;
    return FALSE;
}

/* Decodes the entity at s (s[0] == '&'); returns bytes consumed, 0 if none. */
static gsize decode_entity(const char *s, GString *out)
{
    gsize i = 1;
    gunichar ch = 0;
    if (s[1] == '#') {
        gboolean hex = s[2] == 'x' || s[2] == 'X';
        i = hex ? 3 : 2;
        gsize start = i;
        guint64 v = 0;
        while (i - start < 8 && (hex ? g_ascii_isxdigit(s[i]) : g_ascii_isdigit(s[i]))) {
            v = v * (hex ? 16 : 10) + (guint64)(hex ? g_ascii_xdigit_value(s[i]) : g_ascii_digit_value(s[i]));
            i++;
        }
        if (i == start)
            return 0;
        ch = (v == 0 || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) ? 0xFFFD : (gunichar)v;
        if (ch >= 0x80 && ch < 0xA0) /* numeric refs in that range mean windows-1252 */
            ch = charset_cp1252_char((guint8)ch);
    } else {
        while (i < 12 && g_ascii_isalnum(s[i]))
            i++;
        gsize n = i - 1;
        gboolean found = FALSE;
        for (gsize k = 0; k < G_N_ELEMENTS(entities); k++) {
            if (strlen(entities[k].name) == n && strncmp(entities[k].name, s + 1, n) == 0) {
                ch = entities[k].ch;
                found = TRUE;
                break;
            }
        }
        if (!found)
            return 0;
    }
    if (s[i] == ';')
        i++;
    if (ch)
        g_string_append_unichar(out, ch);
    return i;
}

static const char *find_ci(const char *hay, const char *needle)
{
    gsize n = strlen(needle);
    for (; *hay; hay++)
        if (g_ascii_strncasecmp(hay, needle, n) == 0)
            return hay;
    return NULL;
}

static void ensure_newline(GString *out)
{
    if (out->len && out->str[out->len - 1] != '\n')
        g_string_append_c(out, '\n');
}

char *html2text_convert(const char *html)
{
    if (!html)
        return g_strdup("");
    GString *out = g_string_sized_new(strlen(html) / 2 + 1);
    gboolean space = FALSE;
    const char *p = html;

    while (*p) {
        if (*p == '<' && (g_ascii_isalpha(p[1]) || p[1] == '/' || p[1] == '!' || p[1] == '?')) {
            if (strncmp(p, "<!--", 4) == 0) {
                const char *end = strstr(p + 4, "-->");
                p = end ? end + 3 : p + strlen(p);
                continue;
            }
            const char *q = p + 1;
            gboolean closing = *q == '/';
            if (closing)
                q++;
            char name[16];
            gsize n = 0;
            while (g_ascii_isalnum(*q) && n < sizeof name - 1)
                name[n++] = g_ascii_tolower(*q++);
            name[n] = '\0';
            /* find the end of the tag, honouring quoted attribute values */
            char quote = 0;
            while (*q && (quote || *q != '>')) {
                if (quote && *q == quote)
                    quote = 0;
                else if (!quote && (*q == '"' || *q == '\''))
                    quote = *q;
                q++;
            }
            p = *q ? q + 1 : q;
            if (!closing && in_list(name, skip_tags)) {
                /* skip to the matching close tag */
                char close[24];
                g_snprintf(close, sizeof close, "</%s", name);
                const char *end = find_ci(p, close);
                if (!end) {
                    p += strlen(p);
                    continue;
                }
                end = strchr(end, '>');
                p = end ? end + 1 : p + strlen(p);
                continue;
            }
            if (strcmp(name, "br") == 0) {
                g_string_append_c(out, '\n');
                space = FALSE;
            } else if (in_list(name, block_tags)) {
                ensure_newline(out);
                space = FALSE;
            } else if (strcmp(name, "td") == 0 || strcmp(name, "th") == 0) {
                /* cells of a row are tab-separated: a table of serials stays
                 * a table (extract.c reads tab-separated rows) */
                if (!closing && out->len && out->str[out->len - 1] != '\n' &&
                    out->str[out->len - 1] != '\t') {
                    g_string_append_c(out, '\t');
                    space = FALSE;
                } else {
                    space = TRUE;
                }
            }
            continue;
        }
        if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n' || *p == '\f') {
            space = TRUE;
            p++;
            continue;
        }
        if (space && out->len && out->str[out->len - 1] != '\n')
            g_string_append_c(out, ' ');
        space = FALSE;
        gsize used = *p == '&' ? decode_entity(p, out) : 0;
        if (used) {
            p += used;
        } else {
            g_string_append_c(out, *p);
            p++;
        }
    }
    return g_string_free(out, FALSE);
}
