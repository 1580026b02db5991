/* bench_gmime_parse.c - the floor for `ingest_msgs_per_s`: what GMime alone
 * costs on the same files. For each file: read it, parse it with GMime 3
 * (g_mime_parser_construct_message over a memory stream), walk every part and
 * decode each leaf part's content into a null stream (the least any consumer
 * of the message text and attachments must do). No classification, no
 * extraction, no database.
 *
 * Usage: bench_gmime_parse FILE_OR_DIR... ; prints "parsed N messages in S s".
 * Built by tests/bench.sh, not by the Makefile (not a unit test). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gmime/gmime.h>

static void decode_part(GMimeObject *parent, GMimeObject *part, gpointer user_data)
{
    if (!GMIME_IS_PART(part))
        return;
    GMimeDataWrapper *content = g_mime_part_get_content(GMIME_PART(part));
    if (!content)
        return;
    GMimeStream *null = g_mime_stream_null_new();
    (void)g_mime_data_wrapper_write_to_stream(content, null);
    g_object_unref(null);
    (*(guint *)user_data)++;
}

static gboolean parse_file(const char *path, guint *parts)
{
    gchar *data = NULL;
    gsize len = 0;
    if (!g_file_get_contents(path, &data, &len, NULL))
        return FALSE;
    GMimeStream *stream = g_mime_stream_mem_new_with_buffer(data, len);
    GMimeParser *parser = g_mime_parser_new_with_stream(stream);
    GMimeMessage *msg = g_mime_parser_construct_message(parser, NULL);
    if (msg) {
        (void)g_mime_message_get_subject(msg);
        (void)g_mime_message_get_from(msg);
        g_mime_message_foreach(msg, decode_part, parts);
        g_object_unref(msg);
    }
    g_object_unref(parser);
    g_object_unref(stream);
    g_free(data);
    return msg != NULL;
}

static void walk(const char *path, guint *n, guint *parts)
{
    if (g_file_test(path, G_FILE_TEST_IS_DIR)) {
        GDir *dir = g_dir_open(path, 0, NULL);
        if (!dir)
            return;
        GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
        const char *name;
        while ((name = g_dir_read_name(dir)))
            g_ptr_array_add(names, g_build_filename(path, name, NULL));
        g_dir_close(dir);
        for (guint i = 0; i < names->len; i++)
            walk(names->pdata[i], n, parts);
        g_ptr_array_free(names, TRUE);
    } else if (parse_file(path, parts)) {
        (*n)++;
    }
}

int main(int argc, char **argv)
{
    g_mime_init();
    guint n = 0, parts = 0;
    gint64 t0 = g_get_monotonic_time();
    for (int i = 1; i < argc; i++)
        walk(argv[i], &n, &parts);
    double s = (double)(g_get_monotonic_time() - t0) / 1e6;
    printf("parsed %u messages (%u leaf parts) in %.3f s\n", n, parts, s);
    g_mime_shutdown();
    return n ? 0 : 1;
}
