/* mdescape.h - make text from mail inert inside a markdown template.
 *
 * Pure. Whatever a reporter writes must render as the literal text it is and
 * never as structure of the draft: no heading ("## Impact"), block quote, list,
 * table, code fence or span, link or image (bare URLs included), @mention,
 * emphasis, HTML or HTML comment ("-->" cannot close the template's
 * comments). The leak scan (redact.h) reads through these backslashes. */
#ifndef CPR_MDESCAPE_H
#define CPR_MDESCAPE_H

#include <glib.h>

/* `text` escaped for markdown: '&' '<' '>' as entities; backslash-escapes for
 * \ ` * _ [ ] ( ) { } | ~ ! # @ (no mention), for ':' before "//" (no bare
 * URL becomes a link) and for line-leading + - = and "1." / "1)";
 * tabs and leading spaces that would open a code block are kept as
 * non-breaking spaces; CR, NUL and other controls (except '\n') and bidi
 * override characters are dropped. Invalid UTF-8 is repaired. NULL -> "".
 * Caller frees. */
char *mdescape_text(const char *text);

/* Same, on one line: line breaks become spaces (table cells, list items,
 * headings). Caller frees. */
char *mdescape_inline(const char *text);

#endif
