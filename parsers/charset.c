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
