/* textutil.c - small text helpers shared by the parsers and the agent (see
 * textutil.h). */
#include <string.h>

#include "textutil.h"

gboolean domain_is_or_under(const char *domain, const char *parent)
{
    gsize dl = strlen(domain), pl = strlen(parent);
    if (dl == pl)
        return g_ascii_strcasecmp(domain, parent) == 0;
    return dl > pl && domain[dl - pl - 1] == '.' && g_ascii_strcasecmp(domain + dl - pl, parent) == 0;
}

char *text_printable(const char *s, gsize len, gsize cap)
{
    GString *out = g_string_sized_new(MIN(len, cap) + 1);
    for (gsize i = 0; s && i < len && out->len < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        g_string_append_c(out, (c < 0x20 || c > 0x7e || c == '"') ? '?' : (char)c);
    }
    return g_string_free(out, FALSE);
}
