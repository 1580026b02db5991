/* test_charset.c - charset_to_utf8 and its helpers, table-driven: declared,
 * undeclared, unknown and lying charsets, invalid and cut sequences. Runs
 * without g_mime_init(): the module must not need it. */
#include <glib.h>
#include <string.h>

#include "charset.h"

#define FFFD "\xEF\xBF\xBD"

typedef struct {
    const char *name;
    const char *data;    /* bytes */
    gssize len;          /* -1: strlen(data) */
    const char *charset; /* NULL: undeclared */
    const char *want;    /* expected UTF-8 */
    const char *problem; /* expected problem line; NULL: none */
} ConvRow;

static const ConvRow conv_rows[] = {
    {"ascii-undeclared", "plain", -1, NULL, "plain", NULL},
    {"utf8-undeclared", "caf\xC3\xA9", -1, NULL, "caf\xC3\xA9", NULL},
    {"utf8-empty-label", "caf\xC3\xA9", -1, "", "caf\xC3\xA9", NULL},
    {"8bit-undeclared", "caf\xE9", -1, NULL, "caf\xC3\xA9",
     "8-bit text without charset, read as windows-1252"},
    {"8bit-us-ascii", "caf\xE9", -1, "us-ascii", "caf\xC3\xA9",
     "8-bit text declared us-ascii, read as windows-1252"},
    {"8bit-ascii-alias", "\x93q\x94", -1, "ASCII", "\xE2\x80\x9Cq\xE2\x80\x9D",
     "8-bit text declared us-ascii, read as windows-1252"},
    {"cp1252-table", "\x80\x93\x94\x9F", -1, NULL, "\xE2\x82\xAC\xE2\x80\x9C\xE2\x80\x9D\xC5\xB8",
     "8-bit text without charset, read as windows-1252"},
    {"cp1252-undefined-bytes", "\x81\x8D\x8F\x90\x9D", -1, NULL, FFFD FFFD FFFD FFFD FFFD,
     "8-bit text without charset, read as windows-1252"},
    {"latin1", "caf\xE9", -1, "iso-8859-1", "caf\xC3\xA9", NULL},
    {"latin1-alias", "caf\xE9", -1, "latin1", "caf\xC3\xA9", NULL},
    {"label-case", "caf\xE9", -1, "ISO-8859-1", "caf\xC3\xA9", NULL},
    {"windows-1252-iconv", "\x80", -1, "windows-1252", "\xE2\x82\xAC", NULL},
    /* glibc's CP1252 refuses the undefined bytes: replaced and said */
    {"windows-1252-undefined", "a\x81z", -1, "windows-1252", "a" FFFD "z",
     "bytes invalid in charset \"windows-1252\" replaced"},
    {"koi8-r", "\xC1", -1, "koi8-r", "\xD0\xB0", NULL},
    {"iso-2022-jp", "\x1B$B$3$s\x1B(B", -1, "iso-2022-jp", "\xE3\x81\x93\xE3\x82\x93", NULL},
    {"utf-16le", "h\0i\0", 4, "utf-16le", "hi", NULL},
    {"utf-16le-cut", "h\0i", 3, "utf-16le", "h" FFFD, "bytes invalid in charset \"utf-16le\" replaced"},
    {"utf8-declared-valid", "caf\xC3\xA9", -1, "utf-8", "caf\xC3\xA9", NULL},
    {"utf8-declared-invalid", "a\xFF" "b", -1, "UTF-8", "a" FFFD "b", "invalid UTF-8 replaced"},
    {"utf8-alias-cut", "a\xE2\x82", -1, "utf8", "a" FFFD FFFD, "invalid UTF-8 replaced"},
    {"utf8-overlong", "\xC0\xAF", -1, "utf-8", FFFD FFFD, "invalid UTF-8 replaced"},
    {"utf8-surrogate", "\xED\xA0\x80", -1, "utf-8", FFFD FFFD FFFD, "invalid UTF-8 replaced"},
    {"unknown-label-utf8", "caf\xC3\xA9", -1, "x-bogus", "caf\xC3\xA9",
     "unknown charset \"x-bogus\", read as UTF-8"},
    {"unknown-label-8bit", "caf\xE9", -1, "x-bogus", "caf\xC3\xA9",
     "unknown charset \"x-bogus\", read as windows-1252"},
    /* the label comes from a header parameter: any bytes, made valid */
    {"unknown-label-invalid-utf8", "ok", -1, "bogus\xFF", "ok",
     "unknown charset \"bogus" FFFD "\", read as UTF-8"},
    /* glibc's iconv strips a label of symbols to "", the locale's charset: read, not reported */
    {"label-of-symbols", "ok", -1, "\xFF\xFE", "ok", NULL},
    {"empty", "", 0, "utf-8", "", NULL},
    {"null-data", NULL, 5, "utf-8", "", NULL},
    /* an embedded NUL ends the C string handed back */
    {"embedded-nul-undeclared", "a\0b", 3, NULL, "a", "8-bit text without charset, read as windows-1252"},
};

static void test_convert(void)
{
    for (gsize i = 0; i < G_N_ELEMENTS(conv_rows); i++) {
        const ConvRow *r = &conv_rows[i];
        g_test_message("row %s", r->name);
        gsize len = r->len < 0 ? strlen(r->data) : (gsize)r->len;
        char *problem = (char *)"unset";
        g_autofree char *out = charset_to_utf8((const guint8 *)r->data, len, r->charset, &problem);
        g_assert_nonnull(out);
        g_assert_true(g_utf8_validate(out, -1, NULL));
        g_assert_cmpstr(out, ==, r->want);
        g_assert_cmpstr(problem, ==, r->problem);
        if (problem)
            g_assert_true(g_utf8_validate(problem, -1, NULL));
        g_free(problem);

        /* problem_r is optional */
        g_autofree char *again = charset_to_utf8((const guint8 *)r->data, len, r->charset, NULL);
        g_assert_cmpstr(again, ==, r->want);
    }
}

/* Big inputs run through iconv's 4096-byte buffer many times over. */
static void test_large(void)
{
    gsize n = 100000;
    g_autofree guint8 *latin = g_malloc(n);
    memset(latin, 0xE9, n);
    g_autofree char *problem = NULL;
    g_autofree char *out = charset_to_utf8(latin, n, "iso-8859-1", &problem);
    g_assert_null(problem);
    g_assert_cmpuint(strlen(out), ==, 2 * n);
    g_assert_true(g_utf8_validate(out, -1, NULL));

    memset(latin, 0x80, n); /* windows-1252 euro: 3 bytes each */
    g_autofree char *euro = charset_to_utf8(latin, n, NULL, NULL);
    g_assert_cmpuint(strlen(euro), ==, 3 * n);

    /* every other byte invalid in the declared charset */
    for (gsize i = 0; i < n; i++)
        latin[i] = i % 2 ? 0x81 : 'a';
    g_autofree char *problem2 = NULL;
    g_autofree char *mixed = charset_to_utf8(latin, n, "windows-1252", &problem2);
    g_assert_nonnull(problem2);
    g_assert_cmpuint(strlen(mixed), ==, n / 2 + 3 * (n / 2));
}

static void test_cp1252_char(void)
{
    static const struct {
        guint8 byte;
        gunichar want;
    } rows[] = {
        {0x00, 0x00}, {'A', 'A'}, {0x7F, 0x7F}, {0x80, 0x20AC}, {0x81, 0xFFFD},
        {0x8D, 0xFFFD}, {0x8F, 0xFFFD}, {0x90, 0xFFFD}, {0x9D, 0xFFFD}, {0x92, 0x2019},
        {0x96, 0x2013}, {0x9F, 0x0178}, {0xA0, 0xA0}, {0xE9, 0xE9}, {0xFF, 0xFF},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
        g_test_message("byte 0x%02X", rows[i].byte);
        g_assert_cmphex(charset_cp1252_char(rows[i].byte), ==, rows[i].want);
    }
}

static void test_utf8_dup(void)
{
    static const struct {
        const char *in, *want;
    } rows[] = {
        {NULL, NULL},
        {"", ""},
        {"caf\xC3\xA9", "caf\xC3\xA9"},
        {"a\xFF" "b", "a" FFFD "b"},
        {"\xE2\x82", FFFD FFFD},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
        g_autofree char *out = charset_utf8_dup(rows[i].in);
        g_assert_cmpstr(out, ==, rows[i].want);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_set_nonfatal_assertions();
    g_test_add_func("/charset/convert", test_convert);
    g_test_add_func("/charset/large", test_large);
    g_test_add_func("/charset/cp1252-char", test_cp1252_char);
    g_test_add_func("/charset/utf8-dup", test_utf8_dup);
    return g_test_run();
}
