/* test_mime_problems.c - the bounded, de-duplicated problem list. */
#include <glib.h>
#include <string.h>

#include "mime_problems.h"

static void test_dedup_and_order(void)
{
    g_autoptr(GPtrArray) p = mime_problems_new();
    static const char *const adds[] = {"b", "a", "b", "c", "a", NULL};
    static const char *const want[] = {"b", "a", "c", NULL};
    for (guint i = 0; adds[i]; i++)
        mime_problems_add(p, "%s", adds[i]);
    g_assert_cmpuint(p->len, ==, g_strv_length((char **)want));
    for (guint i = 0; want[i] && i < p->len; i++)
        g_assert_cmpstr(p->pdata[i], ==, want[i]);
}

static void test_bound(void)
{
    g_autoptr(GPtrArray) p = mime_problems_new();
    for (guint i = 0; i < 1000; i++)
        mime_problems_add(p, "problem %u", i);
    g_assert_cmpuint(p->len, ==, MIME_PROBLEMS_MAX + 1);
    g_assert_cmpstr(p->pdata[MIME_PROBLEMS_MAX - 1], ==, "problem 63");
    g_assert_cmpstr(p->pdata[MIME_PROBLEMS_MAX], ==, MIME_PROBLEMS_MORE);
    /* a repeat of a kept line is still refused, nothing more is added */
    mime_problems_add(p, "problem %u", 3u);
    mime_problems_add(p, "%s", "new");
    g_assert_cmpuint(p->len, ==, MIME_PROBLEMS_MAX + 1);
}

static void test_utf8(void)
{
    static const struct {
        const char *in, *want;
    } rows[] = {
        {"plain", "plain"},
        {"caf\xC3\xA9", "caf\xC3\xA9"},
        {"bad \xFF byte", "bad \xEF\xBF\xBD byte"},
        {"cut \xE2\x82", "cut \xEF\xBF\xBD\xEF\xBF\xBD"},
    };
    g_autoptr(GPtrArray) p = mime_problems_new();
    for (gsize i = 0; i < G_N_ELEMENTS(rows); i++)
        mime_problems_add(p, "%s", rows[i].in);
    g_assert_cmpuint(p->len, ==, G_N_ELEMENTS(rows));
    for (gsize i = 0; i < G_N_ELEMENTS(rows) && i < p->len; i++)
        g_assert_cmpstr(p->pdata[i], ==, rows[i].want);
}

static void test_null_list(void)
{
    mime_problems_add(NULL, "%s", "ignored"); /* must not crash */
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_set_nonfatal_assertions();
    g_test_add_func("/mime-problems/dedup-and-order", test_dedup_and_order);
    g_test_add_func("/mime-problems/bound", test_bound);
    g_test_add_func("/mime-problems/utf8", test_utf8);
    g_test_add_func("/mime-problems/null-list", test_null_list);
    return g_test_run();
}
