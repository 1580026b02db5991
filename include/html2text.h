/* html2text.h - reduce an HTML body to the plain text a reader would see.
 *
 * Pure and forgiving: any string in, text out, never an error. Tags are
 * dropped (block tags and <br> end lines, table cells are separated by a
 * space), the content of script, style, head and title is dropped, comments
 * are dropped, runs of white space collapse to one space, and the common
 * named and all numeric character references are decoded (numeric references
 * in 0x80..0x9F read as windows-1252, as browsers do). An unterminated tag,
 * comment or script/style/head/title element swallows the rest of the input.
 * One forward pass: time is linear in the input. */
#ifndef CPR_HTML2TEXT_H
#define CPR_HTML2TEXT_H

#include <glib.h>

/* Text of `html` (NUL-terminated; UTF-8 in gives UTF-8 out). Never NULL;
 * NULL in gives "". Caller owns the result. */
char *html2text_convert(const char *html);

#endif
