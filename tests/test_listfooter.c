/* test_listfooter.c - listfooter_strip, table-driven: plain, signed, quoted
 * and nested footers, lookalikes that must stay, hostile repetition. */
#include <glib.h>
#include <string.h>

#include "listfooter.h"

#define GG LISTFOOTER_GOOGLE_GROUPS
#define GG_LINE GG " \"CA problem reports\" group.\n"
#define GG_UNSUB "To unsubscribe from this group and stop receiving emails from it, send an email to x@example.\n"

typedef struct {
    const char *name;
    const char *text;
    const char *want;
} Row;

static const Row rows[] = {
    {"empty", "", ""},
    {"no-footer", "hello\n", "hello\n"},
    {"no-footer-untouched", "hello  \n\n\n", "hello  \n\n\n"},
    {"signed-footer", "hi\n\n-- \n" GG_LINE GG_UNSUB, "hi\n"},
    {"footer-without-dash", "hi\n\n" GG_LINE GG_UNSUB, "hi\n"},
    /* a leading blank line stays: only trailing ones are trimmed */
    {"footer-first-line", GG_LINE "line2\n\nkept\n", "\nkept\n"},
    {"footer-only", "-- \n" GG_LINE GG_UNSUB, ""},
    {"footer-then-text", "a\n-- \n" GG_LINE "\nafter\n", "a\n\nafter\n"},
    {"quoted", "reply\n\n> old\n> -- \n> " GG_LINE "> " GG_UNSUB "\nmore\n",
     "reply\n\n> old\n\nmore\n"},
    {"quoted-spacing", "r\n>  --\n>" GG_LINE ">  " GG_UNSUB, "r\n"},
    {"nested-quote-stops-at-level", ">>> " GG_LINE ">> x\n> y\n", ">> x\n> y\n"},
    /* the "-- " belongs to the footer only at the same quote level */
    {"dash-other-level", "-- \n> " GG_LINE, "--\n"},
    {"both-levels", "new\n-- \n" GG_LINE "> old\n> -- \n> " GG_LINE, "new\n> old\n"},
    /* not at the start of a line: not a footer, but the text is trimmed */
    {"mid-line-lookalike", "see: " GG " here  \n\n", "see: " GG " here\n"},
    {"crlf", "a\r\n-- \r\n" GG " x\r\n", "a\n"},
    {"blank-line-ends-block", GG_LINE "\nkept\n" GG_UNSUB, "\nkept\n" GG_UNSUB},
};

static void test_rows(void)
{
    for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
        g_test_message("row %s", rows[i].name);
        g_autofree char *out = listfooter_strip(rows[i].text);
        g_assert_cmpstr(out, ==, rows[i].want);
    }
    g_autofree char *null_out = listfooter_strip(NULL);
    g_assert_cmpstr(null_out, ==, "");
}

/* Thousands of footers and quote levels: everything removed. No timing
 * assertion: the module is linear, but g_strsplit() is not under ASan (its
 * strstr interceptor measures the whole haystack on every call), so sizes
 * here stay small enough for the sanitizer build. */
static void test_hostile(void)
{
    GString *s = g_string_new("keep\n");
    for (guint i = 0; i < 2000; i++) {
        g_string_append(s, "-- \n" GG_LINE GG_UNSUB);
        for (guint k = 0; k < i % 7; k++)
            g_string_append_c(s, '>');
        g_string_append(s, " " GG_LINE);
    }
    g_autofree char *out = listfooter_strip(s->str);
    g_assert_null(strstr(out, GG));
    g_assert_cmpstr(out, ==, "keep\n");
    g_string_free(s, TRUE);

    /* one footer line followed by a very long quoted paragraph */
    GString *q = g_string_new("> " GG_LINE);
    for (guint i = 0; i < 5000; i++)
        g_string_append(q, "> x\n");
    g_string_append(q, "end\n");
    g_autofree char *qout = listfooter_strip(q->str);
    g_assert_cmpstr(qout, ==, "end\n");
    g_string_free(q, TRUE);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_set_nonfatal_assertions();
    g_test_add_func("/listfooter/rows", test_rows);
    g_test_add_func("/listfooter/hostile", test_hostile);
    return g_test_run();
}
