/* test_html2text.c - html2text_convert, table-driven: tags, skipped
 * elements, white space, character references and hostile markup. */
#include <glib.h>
#include <string.h>

#include "html2text.h"

#define FFFD "\xEF\xBF\xBD"

typedef struct {
    const char *name;
    const char *html;
    const char *want;
} Row;

static const Row rows[] = {
    {"empty", "", ""},
    {"plain", "plain text", "plain text"},
    {"utf8", "caf\xC3\xA9 &copy;", "caf\xC3\xA9 \xC2\xA9"},
    {"para", "<p>Hello&nbsp;<b>world</b></p>", "Hello world\n"},
    {"blocks", "<h1>Title</h1><p>para</p><div>d</div>", "Title\npara\nd\n"},
    {"br", "a<br>b<BR/>c<br />d", "a\nb\nc\nd"},
    {"br-twice", "a<br><br>b", "a\n\nb"},
    {"list", "<ul><li>one</li><li>two</li></ul>", "one\ntwo\n"},
    {"table-cells", "<table><tr><td>a<td>b</tr><tr><th>c</th><th>d</th></tr></table>", "a\tb\nc\td\n"},
    {"whitespace", "x   y\n\tz\r\n", "x y z"},
    {"leading-space", "   x", "x"},
    {"space-after-block", "<p>a</p>   b", "a\nb"},
    {"script", "<script>alert(1)</script>x", "x"},
    {"script-case", "<SCRIPT type=x>a</Script >y", "y"},
    {"style", "a<style>p { color: red }</style>b", "ab"},
    {"head-title", "<html><head><title>T</title></head><body>body</body></html>", "body"},
    {"comment", "a<!-- c -->b", "ab"},
    {"comment-with-tag", "a<!-- <p>x</p> -->b", "ab"},
    {"quoted-gt", "<a href='>'>link</a>", "link"},
    {"quoted-gt-double", "<a title=\"x>y\">t</a>", "t"},
    {"doctype", "<!DOCTYPE html><?xml x?>t", "t"},
    {"long-tag-name", "<averyveryverylongtagname attr=1>x</averyveryverylongtagname>", "x"},
    {"not-a-tag", "a < b and 1<2", "a < b and 1<2"},
    {"named-refs", "&lt;&gt;&amp;&quot;&apos;", "<>&\"'"},
    {"named-no-semicolon", "&amp x", "& x"},
    {"named-more", "&euro;&hellip;&mdash;&Uuml;", "\xE2\x82\xAC\xE2\x80\xA6\xE2\x80\x94\xC3\x9C"},
    {"shy-drops", "soft&shy;hyphen", "softhyphen"},
    {"unknown-named", "&bogus; &", "&bogus; &"},
    {"named-case-matters", "&AMP;", "&AMP;"},
    {"numeric", "&#65;&#x42;&#X43", "ABC"},
    {"numeric-cp1252", "&#x80;&#150;&#146;", "\xE2\x82\xAC\xE2\x80\x93\xE2\x80\x99"},
    {"numeric-cp1252-undefined", "&#x81;", FFFD},
    {"numeric-zero", "&#0;", FFFD},
    {"numeric-surrogate", "&#55296;", FFFD},
    {"numeric-too-big", "&#1114112;", FFFD},
    {"numeric-max", "&#x10FFFF;", "\xF4\x8F\xBF\xBF"},
    /* at most 8 digits are read; the rest is text */
    {"numeric-long", "&#123456789;", FFFD "9;"},
    {"numeric-empty", "&#; &#x;", "&#; &#x;"},
    /* unterminated constructs swallow the rest */
    {"unterminated-tag", "a<p", "a\n"},
    {"unterminated-inline-tag", "a<b", "a"},
    {"unterminated-quote", "a<a href=\"x>b</a>", "a"},
    {"unterminated-comment", "a<!-- never", "a"},
    {"unterminated-script", "a<script>never closed", "a"},
    {"script-close-without-gt", "a<script>x</script", "a"},
};

static void test_rows(void)
{
    for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
        g_test_message("row %s", rows[i].name);
        g_autofree char *out = html2text_convert(rows[i].html);
        g_assert_cmpstr(out, ==, rows[i].want);
        g_assert_true(g_utf8_validate(out, -1, NULL));
    }
    g_autofree char *null_out = html2text_convert(NULL);
    g_assert_cmpstr(null_out, ==, "");
}

static char *repeat(const char *unit, gsize times)
{
    GString *s = g_string_sized_new(strlen(unit) * times + 1);
    for (gsize i = 0; i < times; i++)
        g_string_append(s, unit);
    return g_string_free(s, FALSE);
}

/* A megabyte of each hostile pattern must give valid UTF-8 in one pass. The
 * time bound is loose (a loaded machine must not fail it): a quadratic scan
 * of 1 MB would take many minutes under ASan. */
static void test_hostile_sizes(void)
{
    static const struct {
        const char *unit;
        const char *want_prefix; /* what the output starts with */
    } units[] = {
        {"<p", ""},
        {"<script>", ""},
        {"<style>x</style>", ""},
        {"<!--", ""},
        {"&#", "&#"},
        {"&#x10FFFF", "\xF4\x8F\xBF\xBF"},
        {"&amp", "&"},
        {"<td>x", "x\tx"},
        {"<br>", "\n\n"},
        {"<a '>", ""},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(units); i++) {
        g_test_message("unit %s", units[i].unit);
        g_autofree char *html = repeat(units[i].unit, 1000000 / strlen(units[i].unit));
        gint64 t0 = g_get_monotonic_time();
        g_autofree char *out = html2text_convert(html);
        gint64 ms = (g_get_monotonic_time() - t0) / 1000;
        g_assert_true(g_utf8_validate(out, -1, NULL));
        g_assert_true(g_str_has_prefix(out, units[i].want_prefix));
        g_assert_cmpuint(strlen(out), <=, strlen(html) * 2);
        g_assert_cmpint(ms, <, 30000);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_set_nonfatal_assertions();
    g_test_add_func("/html2text/rows", test_rows);
    g_test_add_func("/html2text/hostile-sizes", test_hostile_sizes);
    return g_test_run();
}
