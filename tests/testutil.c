/* testutil.c - fixtures, manifests and temporary directories for the test
 * programs (testutil.h). */
#include "testutil.h"

#include <glib/gstdio.h>
#include <string.h>

char *tu_fixture_path(const char *rel)
{
    const char *dir = g_getenv("CPR_FIXTURES");
    if (dir && *dir)
        return g_build_filename(dir, rel, NULL);
    return g_build_filename("tests", "fixtures", rel, NULL);
}

GBytes *tu_read_fixture(const char *rel)
{
    g_autofree char *path = tu_fixture_path(rel);
    char *data = NULL;
    gsize len = 0;
    GError *error = NULL;
    if (!g_file_get_contents(path, &data, &len, &error)) {
        g_test_message("cannot read %s: %s", path, error->message);
        g_error_free(error);
        return NULL;
    }
    return g_bytes_new_take(data, len);
}

char *tu_read_fixture_text(const char *rel)
{
    GBytes *b = tu_read_fixture(rel);
    if (b == NULL)
        return NULL;
    gsize len = 0;
    const char *d = g_bytes_get_data(b, &len);
    char *s = g_strndup(d, len);
    g_bytes_unref(b);
    return s;
}

MimeMessage *tu_parse_fixture(const char *rel, const Bounds *bounds)
{
    Bounds defaults = bounds_default();
    GBytes *b = tu_read_fixture(rel);
    if (b == NULL) {
        g_test_fail();
        return mime_message_parse(NULL, 0, bounds ? bounds : &defaults);
    }
    gsize len = 0;
    const guint8 *d = g_bytes_get_data(b, &len);
    MimeMessage *m = mime_message_parse(d, len, bounds ? bounds : &defaults);
    g_bytes_unref(b);
    return m;
}

JsonArray *tu_load_manifest(const char *rel, JsonParser *parser)
{
    g_autofree char *path = tu_fixture_path(rel);
    GError *error = NULL;
    if (!json_parser_load_from_file(parser, path, &error)) {
        g_test_message("%s: %s", path, error->message);
        g_error_free(error);
        return NULL;
    }
    JsonNode *root = json_parser_get_root(parser);
    if (!root || !JSON_NODE_HOLDS_ARRAY(root)) {
        g_test_message("%s: not a JSON array", path);
        return NULL;
    }
    return json_node_get_array(root);
}

JsonObject *tu_manifest_row(JsonArray *rows, const char *file)
{
    for (guint i = 0; rows && i < json_array_get_length(rows); i++) {
        JsonObject *o = json_array_get_object_element(rows, i);
        if (g_strcmp0(json_object_get_string_member(o, "file"), file) == 0)
            return o;
    }
    return NULL;
}

GPtrArray *tu_json_strings(JsonObject *o, const char *member)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    JsonArray *a = json_object_has_member(o, member) ? json_object_get_array_member(o, member) : NULL;
    for (guint i = 0; a && i < json_array_get_length(a); i++)
        g_ptr_array_add(out, g_strdup(json_array_get_string_element(a, i)));
    return out;
}

const char *tu_json_nullable_string(JsonObject *o, const char *member)
{
    if (!json_object_has_member(o, member) || json_object_get_null_member(o, member))
        return NULL;
    return json_object_get_string_member(o, member);
}

Config *tu_load_config(const char *rel)
{
    g_autofree char *path = tu_fixture_path(rel);
    GError *error = NULL;
    Config *cfg = config_load(path, &error);
    if (!cfg)
        g_error("%s", error->message);
    return cfg;
}

Store *tu_store_open(const char *dir, const char *name)
{
    g_autofree char *path = g_build_filename(dir, name, NULL);
    GError *error = NULL;
    Store *store = store_open(path, &error);
    g_assert_no_error(error);
    g_assert_nonnull(store);
    return store;
}

IntakeResult *tu_ingest_fixture(Intake *in, const char *rel, gint64 now)
{
    g_autofree char *path = tu_fixture_path(rel);
    g_autofree char *data = NULL;
    gsize len = 0;
    GError *error = NULL;
    if (!g_file_get_contents(path, &data, &len, &error)) {
        g_test_message("cannot read %s: %s", path, error->message);
        g_error_free(error);
        g_test_fail();
        return NULL;
    }
    IntakeOrigin o = {.source = path, .now = now};
    IntakeResult *r = NULL;
    g_assert_true(intake_message(in, (const guint8 *)data, len, &o, &r, &error));
    g_assert_no_error(error);
    return r;
}

char *tu_tmpdir_new(const char *prefix)
{
    g_autofree char *tmpl = g_strdup_printf("%s-XXXXXX", prefix);
    GError *error = NULL;
    char *dir = g_dir_make_tmp(tmpl, &error);
    if (!dir)
        g_error("%s: %s", tmpl, error->message);
    return dir;
}

static void remove_tree(const char *path)
{
    GDir *d = g_dir_open(path, 0, NULL);
    if (d) {
        for (const char *name; (name = g_dir_read_name(d));) {
            g_autofree char *p = g_build_filename(path, name, NULL);
            if (g_file_test(p, G_FILE_TEST_IS_DIR) && !g_file_test(p, G_FILE_TEST_IS_SYMLINK))
                remove_tree(p);
            else
                g_unlink(p);
        }
        g_dir_close(d);
    }
    g_rmdir(path);
}

void tu_tmpdir_remove(char *dir)
{
    if (dir)
        remove_tree(dir);
    g_free(dir);
}
