/* textutil.h - two small text helpers the parsers and the agent share.
 *
 * Pure: strings in, a boolean or a new string out. */
#ifndef CPR_TEXTUTIL_H
#define CPR_TEXTUTIL_H

#include <glib.h>

/* `domain` is `parent` or a subdomain of it at a label boundary
 * ("www.shop.example" is under "shop.example", "myshop.example" is not).
 * ASCII case-insensitive. */
gboolean domain_is_or_under(const char *domain, const char *parent);

/* At most `cap` bytes of the `len` bytes at `s` (NULL reads as ""), printable
 * ASCII only: every byte below 0x20 or above 0x7e, and '"', becomes '?', so a
 * peer's bytes can go into a log line or an error message as they are.
 * Caller frees. */
char *text_printable(const char *s, gsize len, gsize cap);

#endif
