/* charset.h - bytes in a declared charset to valid UTF-8.
 *
 * Pure: bytes and a charset label in, a UTF-8 string out. Conversion never
 * fails: what cannot be read is replaced (U+FFFD) and said in one line of
 * text. The label is mapped with GMime's alias table (the module calls
 * g_mime_init() itself when it needs it), converted with iconv, and read with our
 * own windows-1252 table when there is no label, it is us-ascii but the bytes
 * are 8-bit, or iconv does not know it and the bytes are not UTF-8. */
#ifndef CPR_CHARSET_H
#define CPR_CHARSET_H

#include <glib.h>

/* `len` bytes labelled `charset` (NULL or "" when undeclared) to valid UTF-8.
 * Never returns NULL; NULL or empty data gives "". When something had to be
 * guessed or replaced, *problem_r (if not NULL) gets one line saying what,
 * without naming the part (the caller knows which part it was), else NULL.
 * Caller owns both strings. */
char *charset_to_utf8(const guint8 *data, gsize len, const char *charset, char **problem_r);

/* The Unicode character of one windows-1252 byte: ASCII and 0xA0..0xFF map to
 * themselves (Latin-1), 0x80..0x9F through the code page, its five undefined
 * bytes (0x81 0x8D 0x8F 0x90 0x9D) to U+FFFD. */
gunichar charset_cp1252_char(guint8 byte);

/* A valid-UTF-8 copy of `s` (invalid sequences become U+FFFD); NULL stays
 * NULL. For strings GMime decoded, which are UTF-8 in practice. */
char *charset_utf8_dup(const char *s);

/* ---- RFC 2047 header values ------------------------------------------------
 * GMime decodes encoded-words, except that GMime 3.2.13 (Debian 12) truncates a
 * value of several padded base64 words split inside a multi-byte character;
 * such values (two or more encoded-words) are decoded by us, here alone. */

/* `raw` (a header value as written) decoded by us when it holds two or more
 * encoded-words, else NULL (GMime decodes it right). With `quote`, each
 * decoded run becomes a quoted-string, so an address list stays parseable.
 * Valid UTF-8; caller frees. */
char *charset_fix_encoded_words(const char *raw, gboolean quote);

/* A header value (e.g. a display name) with its encoded-words decoded, by
 * GMime or by charset_fix_encoded_words(); valid UTF-8, NULL stays NULL.
 * Caller frees. */
char *charset_decode_header(const char *raw);

#endif
