/* test_mdescape.c - text from mail stays inert in a markdown template. */
#include <string.h>

#include "mdescape.h"

typedef struct {
    const char *in, *out;
} Row;

static const Row rows[] = {
    { "plain text, crt.sh 12 and a.b-c.test", "plain text, crt.sh 12 and a.b-c.test" },
    { "## Impact\n# x", "\\#\\# Impact\n\\# x" },
    { "--> <!-- comment --> <script>", "\\--&gt; &lt;\\!-- comment --&gt; &lt;script&gt;" },
    { "```\ncode\n```", "\\`\\`\\`\ncode\n\\`\\`\\`" },
    { "~~~", "\\~\\~\\~" },
    { "[link](http://evil.example) ![img](x)",
      "\\[link\\]\\(http\\://evil.example\\) \\!\\[img\\]\\(x\\)" },
    { "*bold* _em_ a|b \\", "\\*bold\\* \\_em\\_ a\\|b \\\\" },
    { "> quoted\n- item\n+ item\n1. one\n12) two\n===\n---",
      "&gt; quoted\n\\- item\n\\+ item\n1\\. one\n12\\) two\n\\===\n\\---" },
    { "    code block\n\tTab", "\xc2\xa0\xc2\xa0\xc2\xa0\xc2\xa0" "code block\n\xc2\xa0Tab" },
    { "a\r\nb\x01\x7f" "c\xe2\x80\xae" "d", "a\nbcd" },
    { "Tom & Jerry &lt;", "Tom &amp; Jerry &amp;lt;" },
    { "bad \xff utf8", "bad \xef\xbf\xbd utf8" },
    /* no mention, no bare link; a lone colon or slash stays as it is */
    { "@root-program please see https://evil.example/key.pem or ftp://x",
      "\\@root-program please see https\\://evil.example/key.pem or ftp\\://x" },
    { "a@b.test at 10:30, and/or :/ //", "a\\@b.test at 10:30, and/or :/ //" },
    { "", "" },
};

static void test_rows(void)
{
    for (guint i = 0; i < G_N_ELEMENTS(rows); i++) {
        g_autofree char *out = mdescape_text(rows[i].in);
        g_assert_cmpstr(out, ==, rows[i].out);
    }
    g_autofree char *n = mdescape_text(NULL);
    g_assert_cmpstr(n, ==, "");
}

static void test_inline(void)
{
    g_autofree char *a = mdescape_inline("line one\n## two\r\n\nthree");
    g_assert_cmpstr(a, ==, "line one \\#\\# two three");
    g_assert_null(strchr(a, '\n'));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_set_nonfatal_assertions();
    g_test_add_func("/mdescape/rows", test_rows);
    g_test_add_func("/mdescape/inline", test_inline);
    return g_test_run();
}
