/* charset.c - bytes in a declared charset to valid UTF-8 (see charset.h).
 *
 * Our own code rather than GMime's conversion, so that every invalid byte is
 * seen (and reported) and the result is always valid UTF-8. */
#include "charset.h"

#include <errno.h>
#include <string.h>
#include <gmime/gmime.h>

/* windows-1252 0x80..0x9F; 0 marks the five undefined bytes. 0xA0..0xFF are
 * Latin-1. Our own table because glibc's CP1252 refuses the undefined bytes. */
static const gunichar cp1252_high[32] = {
    0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
    0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
    0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
};

gunichar charset_cp1252_char(guint8 byte)
{
    if (byte < 0x80 || byte >= 0xA0)
        return byte;
    return cp1252_high[byte - 0x80] ? cp1252_high[byte - 0x80] : 0xFFFD;
}

static char *cp1252_to_utf8(const guint8 *data, gsize len)
{
    GString *out = g_string_sized_new(len + len / 4 + 1);
    for (gsize i = 0; i < len; i++) {
        if (data[i] < 0x80)
            g_string_append_c(out, (char)data[i]);
        else
            g_string_append_unichar(out, charset_cp1252_char(data[i]));
    }
    return g_string_free(out, FALSE);
}

/* Converts with iconv, replacing each invalid byte by U+FFFD. FALSE when the
 * charset is unknown to iconv. */
static gboolean iconv_to_utf8(const guint8 *data, gsize len, const char *charset,
                              char **out_r, gboolean *invalid_r)
{
    GIConv cd = g_iconv_open("UTF-8", charset);
    if (cd == (GIConv)-1)
        return FALSE;

    GString *out = g_string_sized_new(len * 2 + 16);
    char buf[4096];
    char *in = (char *)data;
    gsize inleft = len;
    *invalid_r = FALSE;
    for (;;) {
        char *o = buf;
        gsize oleft = sizeof buf;
        gsize r = g_iconv(cd, inleft ? &in : NULL, &inleft, &o, &oleft);
        int err = errno;
        g_string_append_len(out, buf, (gssize)(o - buf));
        if (r != (gsize)-1) {
            if (inleft == 0)
                break;
            continue;
        }
        if (err == E2BIG)
            continue;
        /* EILSEQ, or EINVAL (a sequence cut by the end of the input) */
        *invalid_r = TRUE;
        g_string_append(out, "\xEF\xBF\xBD");
        if (err == EINVAL || inleft <= 1)
            break;
        in++;
        inleft--;
        g_iconv(cd, NULL, NULL, NULL, NULL); /* reset shift state */
    }
    g_iconv_close(cd);
    *out_r = g_string_free(out, FALSE);
    return TRUE;
}

/* g_mime_charset_iconv_name() needs GMime's alias table, which GMime 3.2
 * builds in g_mime_init() and not on demand. g_mime_init() counts its calls,
 * so calling it here as well as in mime.c is harmless, and it lets this
 * module be used (and tested) on its own. */
static void gmime_ready(void)
{
    static gsize done = 0;
    if (g_once_init_enter(&done)) {
        g_mime_init();
        g_once_init_leave(&done, 1);
    }
}

static gboolean is_utf8_name(const char *cs)
{
    return g_ascii_strcasecmp(cs, "utf-8") == 0 || g_ascii_strcasecmp(cs, "utf8") == 0;
}

static gboolean is_ascii_name(const char *cs)
{
    return g_ascii_strcasecmp(cs, "us-ascii") == 0 || g_ascii_strcasecmp(cs, "ascii") == 0;
}

char *charset_to_utf8(const guint8 *data, gsize len, const char *charset, char **problem_r)
{
    char *out = NULL;
    char *problem = NULL;
    gboolean invalid = FALSE;
    if (problem_r)
        *problem_r = NULL;
    if (!data || len == 0)
        return g_strdup("");
    gboolean valid_utf8 = g_utf8_validate_len((const char *)data, len, NULL);
    gboolean declared = charset && *charset;

    if (declared && !is_utf8_name(charset) && !is_ascii_name(charset)) {
        gmime_ready();
        const char *iconv_name = g_mime_charset_iconv_name(charset);
        if (iconv_to_utf8(data, len, iconv_name ? iconv_name : charset, &out, &invalid)) {
            if (invalid)
                problem = g_strdup_printf("bytes invalid in charset \"%s\" replaced", charset);
            goto out;
        }
        problem = g_strdup_printf("unknown charset \"%s\", read as %s", charset,
                                  valid_utf8 ? "UTF-8" : "windows-1252");
    } else if (declared && is_utf8_name(charset)) {
        if (!valid_utf8)
            problem = g_strdup("invalid UTF-8 replaced");
        out = g_utf8_make_valid((const char *)data, (gssize)len);
        goto out;
    } else if (!valid_utf8) {
        problem = g_strdup_printf("8-bit text %s, read as windows-1252",
                                  declared ? "declared us-ascii" : "without charset");
    }
    out = valid_utf8 ? g_strndup((const char *)data, len) : cp1252_to_utf8(data, len);
out:
    if (!g_utf8_validate(out, -1, NULL)) {
        char *valid = g_utf8_make_valid(out, -1);
        g_free(out);
        out = valid;
    }
    /* the label comes from a header parameter and may be any bytes */
    if (problem && !g_utf8_validate(problem, -1, NULL)) {
        char *valid = g_utf8_make_valid(problem, -1);
        g_free(problem);
        problem = valid;
    }
    if (problem_r)
        *problem_r = problem;
    else
        g_free(problem);
    return out;
}

char *charset_utf8_dup(const char *s)
{
    if (!s)
        return NULL;
    return g_utf8_make_valid(s, -1);
}

/* ---- RFC 2047 words GMime 3.2.13 truncates ------------------------------
 *
 * GMime 3.2.13 (Debian 12) cuts a value made of several base64 encoded-words
 * with padding short at the first multi-byte character split between two
 * words ("=?UTF-8?B?0J7RgtC30YvQsiDRgQ==?= =?UTF-8?B?0LXRgNGC...?=" decodes
 * to "Отзыв с"), as Gmail and Outlook write long Cyrillic and Chinese
 * subjects and names. When a value has two or more encoded-words, we decode
 * it ourselves instead (charset_fix_encoded_words()): each word's bytes on their own (padding and all), adjacent
 * words of one charset joined as bytes before the conversion to UTF-8, the
 * white space between adjacent words dropped (RFC 2047 6.2). */

static gsize count_encoded_words(const char *s)
{
    gsize n = 0;
    for (const char *p = s; (p = strstr(p, "=?")) != NULL; p += 2)
        n++;
    return n;
}

/* One encoded-word at s: its charset, its decoded bytes and its length. */
static gboolean encoded_word(const char *s, char **charset_r, GByteArray *bytes, gsize *len_r)
{
    if (s[0] != '=' || s[1] != '?')
        return FALSE;
    const char *cs = s + 2;
    const char *q1 = strchr(cs, '?');
    if (!q1 || q1 == cs || q1 - cs > 64 || !q1[1] || q1[2] != '?')
        return FALSE;
    char enc = g_ascii_toupper(q1[1]);
    const char *text = q1 + 3;
    const char *end = strstr(text, "?=");
    if (!end || (enc != 'B' && enc != 'Q') || memchr(text, ' ', (gsize)(end - text)))
        return FALSE;
    g_autofree char *charset = g_strndup(cs, (gsize)(q1 - cs));
    char *star = strchr(charset, '*'); /* RFC 2231 language */
    if (star)
        *star = '\0';
    if (enc == 'B') {
        g_autofree char *b64 = g_strndup(text, (gsize)(end - text));
        gsize n = 0;
        guchar *raw = g_base64_decode(b64, &n);
        g_byte_array_append(bytes, raw, (guint)n);
        g_free(raw);
    } else {
        for (const char *p = text; p < end; p++) {
            guint8 c = (guint8)*p;
            if (c == '_')
                c = ' ';
            else if (c == '=' && p + 2 < end && g_ascii_isxdigit(p[1]) && g_ascii_isxdigit(p[2])) {
                c = (guint8)(g_ascii_xdigit_value(p[1]) * 16 + g_ascii_xdigit_value(p[2]));
                p += 2;
            }
            g_byte_array_append(bytes, &c, 1);
        }
    }
    *charset_r = g_steal_pointer(&charset);
    *len_r = (gsize)(end + 2 - s);
    return TRUE;
}

static void flush_words(GString *out, GByteArray *bytes, char **charset, gboolean quote)
{
    if (!*charset)
        return;
    g_autofree char *utf8 = charset_to_utf8(bytes->data, bytes->len, *charset, NULL);
    if (quote)
        g_string_append_c(out, '"');
    for (const char *p = utf8 ? utf8 : ""; *p; p++) {
        if (quote && (*p == '"' || *p == '\\'))
            g_string_append_c(out, '\\');
        g_string_append_c(out, *p);
    }
    if (quote)
        g_string_append_c(out, '"');
    g_byte_array_set_size(bytes, 0);
    g_clear_pointer(charset, g_free);
}

/* `raw` with its encoded-words decoded (unfolded first); with `quote`, each
 * decoded run becomes a quoted-string, so an address list stays parseable. */
static char *decode_words(const char *raw, gboolean quote)
{
    GString *out = g_string_new(NULL);
    GByteArray *bytes = g_byte_array_new();
    char *charset = NULL;
    const char *p = raw;
    while (*p) {
        if (*p == '\r' || *p == '\n') {
            p++;
            continue;
        }
        char *cs = NULL;
        gsize len = 0;
        GByteArray *word = g_byte_array_new();
        if (encoded_word(p, &cs, word, &len)) {
            if (charset && g_ascii_strcasecmp(charset, cs) != 0)
                flush_words(out, bytes, &charset, quote);
            if (!charset)
                charset = g_strdup(cs);
            g_byte_array_append(bytes, word->data, word->len);
            g_free(cs);
            g_byte_array_unref(word);
            p += len;
            /* white space up to the next encoded-word is dropped */
            const char *q = p;
            while (*q == ' ' || *q == '\t' || *q == '\r' || *q == '\n')
                q++;
            if (q[0] == '=' && q[1] == '?') {
                char *cs2 = NULL;
                gsize len2 = 0;
                GByteArray *w2 = g_byte_array_new();
                if (encoded_word(q, &cs2, w2, &len2))
                    p = q;
                g_free(cs2);
                g_byte_array_unref(w2);
            }
            continue;
        }
        g_byte_array_unref(word);
        flush_words(out, bytes, &charset, quote);
        g_string_append_c(out, *p);
        p++;
    }
    flush_words(out, bytes, &charset, quote);
    g_byte_array_unref(bytes);
    char *s = g_string_free(out, FALSE);
    char *valid = charset_utf8_dup(s);
    g_free(s);
    return valid;
}

char *charset_fix_encoded_words(const char *raw, gboolean quote)
{
    if (!raw || count_encoded_words(raw) < 2)
        return NULL;
    return decode_words(raw, quote);
}

char *charset_decode_header(const char *raw)
{
    if (!raw)
        return NULL;
    if (!strstr(raw, "=?"))
        return charset_utf8_dup(raw);
    char *fixed = charset_fix_encoded_words(raw, FALSE);
    if (fixed)
        return fixed;
    gmime_ready();
    g_autofree char *dec = g_mime_utils_header_decode_text(NULL, raw);
    return charset_utf8_dup(dec ? dec : raw);
}
