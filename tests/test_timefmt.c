/* test_timefmt.c - time formatting/parsing, JSON sanitising and the clock
 * policy table, table-driven. */
#include <glib.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "jsonutil.h"
#include "timefmt.h"

typedef struct {
    const char *text;
    gint64 expected; /* -1 = must not parse */
} ParseRow;

static const ParseRow PARSE_ROWS[] = {
    {"2026-11-21T20:32:14Z", 1795293134},
    {"2026-11-21T21:32:14+01:00", 1795293134},
    {"2026-11-21T20:32:14.750Z", 1795293134},
    {"2026-11-21", 1795219200},
    {"2026-11-21 20:32", 1795293120},
    {"2026-11-21 20:32:14", 1795293134},
    {"  2026-11-21  ", 1795219200},
    {"yesterday", -1},
    {"", -1},
    {"2026-13-01", -1},
    {"2026-02-30", -1},
    {"2026-11-21x", -1},
    {"2026-11-21 20:32:14 junk", -1},
};

static void test_parse(void)
{
    for (gsize i = 0; i < G_N_ELEMENTS(PARSE_ROWS); i++) {
        gint64 t = 0;
        gboolean ok = timefmt_parse(PARSE_ROWS[i].text, &t);
        g_test_message("%s", PARSE_ROWS[i].text);
        g_assert_cmpint(ok, ==, PARSE_ROWS[i].expected >= 0);
        if (ok)
            g_assert_cmpint(t, ==, PARSE_ROWS[i].expected);
    }
    gint64 t = 0;
    g_assert_false(timefmt_parse(NULL, &t));
}

static void test_format(void)
{
    g_autofree char *a = timefmt_rfc3339(1795293134);
    g_assert_cmpstr(a, ==, "2026-11-21T20:32:14Z");
    g_autofree char *b = timefmt_minute(1795293134);
    g_assert_cmpstr(b, ==, "2026-11-21 20:32 UTC");
    g_autofree char *epoch = timefmt_rfc3339(0);
    g_assert_cmpstr(epoch, ==, "1970-01-01T00:00:00Z");
}

static void test_left(void)
{
    struct { gint64 s; const char *want; } rows[] = {
        {0, "0h 0m"}, {59, "0h 0m"}, {3600 + 120, "1h 2m"}, {86400 * 4 + 7200, "4d 2h"},
        {-(3 * 3600 + 5 * 60), "overdue 3h 5m"}, {-86400 * 2, "overdue 2d 0h"},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
        g_autofree char *got = timefmt_left(rows[i].s);
        g_assert_cmpstr(got, ==, rows[i].want);
    }
}

/* Mail text is not always UTF-8; JSON output must always be. */
static void test_json_sanitises(void)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    jsonutil_add_string(b, "bad", "caf\xe9 \xff end");
    jsonutil_add_string(b, "null", NULL);
    jsonutil_add_time(b, "unset", 0, TRUE);
    jsonutil_add_time(b, "at", 1795293134, TRUE);
    json_builder_end_object(b);
    g_autofree char *s = jsonutil_builder_to_string(b, FALSE);
    g_assert_true(g_utf8_validate(s, -1, NULL));
    g_autoptr(JsonParser) p = json_parser_new();
    g_assert_true(json_parser_load_from_data(p, s, -1, NULL));
    JsonObject *o = json_node_get_object(json_parser_get_root(p));
    g_assert_true(g_str_has_prefix(json_object_get_string_member(o, "bad"), "caf"));
    g_assert_true(json_object_get_null_member(o, "null"));
    g_assert_true(json_object_get_null_member(o, "unset"));
    g_assert_cmpstr(json_object_get_string_member(o, "at"), ==, "2026-11-21T20:32:14Z");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_set_nonfatal_assertions();
    g_test_add_func("/timefmt/parse", test_parse);
    g_test_add_func("/timefmt/format", test_format);
    g_test_add_func("/timefmt/left", test_left);
    g_test_add_func("/jsonutil/sanitises", test_json_sanitises);
    return g_test_run();
}
