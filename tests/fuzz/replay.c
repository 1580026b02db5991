/* replay.c - a main() for a fuzz target built by gcc with the test sanitizers,
 * so that `make check` needs no clang: calls the target's LLVMFuzzerInitialize,
 * then LLVMFuzzerTestOneInput once per input, the way libFuzzer replays files.
 *
 *   build/san/fuzz/fuzz_parse [-max_len=N] [-q] FILE|DIR...
 *
 * A directory stands for every regular file under it, sorted by path (what
 * libFuzzer reads as a corpus); -max_len=N cuts the inputs that follow to N
 * bytes, as libFuzzer does with a corpus and -max_len. A bug in the target
 * aborts (the sanitizer's report names it); "replay: FILE" on stderr before
 * each input says which one. Exit 0 and "replayed N inputs" when all ran. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));
int LLVMFuzzerTestOneInput(const guint8 *data, size_t size);

static gsize max_len = G_MAXSIZE;
static gboolean quiet;
static guint replayed;

static void replay_file(const char *path)
{
    char *data = NULL;
    gsize len = 0;
    GError *error = NULL;
    if (!g_file_get_contents(path, &data, &len, &error)) {
        fprintf(stderr, "replay: %s\n", error->message);
        exit(2);
    }
    if (!quiet)
        fprintf(stderr, "replay: %s (%" G_GSIZE_FORMAT " bytes)\n", path, MIN(len, max_len));
    /* A copy of exactly the input's size, so that ASan sees any read past it. */
    gsize n = MIN(len, max_len);
    guint8 *copy = g_memdup2(data, n);
    g_free(data);
    LLVMFuzzerTestOneInput(copy, n);
    g_free(copy);
    replayed++;
}

static int by_name(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void collect(const char *path, GPtrArray *files);

static void replay_dir(const char *path)
{
    GPtrArray *files = g_ptr_array_new_with_free_func(g_free);
    collect(path, files);
    g_ptr_array_sort(files, by_name);
    for (guint i = 0; i < files->len; i++)
        replay_file(g_ptr_array_index(files, i));
    g_ptr_array_unref(files);
}

/* The regular files under PATH, subdirectories included (as libFuzzer reads a corpus). */
static void collect(const char *path, GPtrArray *files)
{
    GError *error = NULL;
    GDir *dir = g_dir_open(path, 0, &error);
    if (!dir) {
        fprintf(stderr, "replay: %s\n", error->message);
        exit(2);
    }
    for (const char *name; (name = g_dir_read_name(dir));) {
        char *p = g_build_filename(path, name, NULL);
        if (g_file_test(p, G_FILE_TEST_IS_DIR) && !g_file_test(p, G_FILE_TEST_IS_SYMLINK)) {
            collect(p, files);
            g_free(p);
        } else if (g_file_test(p, G_FILE_TEST_IS_REGULAR)) {
            g_ptr_array_add(files, p);
        } else {
            g_free(p);
        }
    }
    g_dir_close(dir);
}

int main(int argc, char **argv)
{
    if (LLVMFuzzerInitialize)
        LLVMFuzzerInitialize(&argc, &argv);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        guint64 v = 0;
        if (g_str_has_prefix(a, "-max_len=")) {
            if (!g_ascii_string_to_unsigned(a + strlen("-max_len="), 10, 1, G_MAXSIZE, &v, NULL)) {
                fprintf(stderr, "replay: bad %s\n", a);
                return 2;
            }
            max_len = (gsize)v;
        } else if (!strcmp(a, "-q")) {
            quiet = TRUE;
        } else if (a[0] == '-') {
            /* libFuzzer options (-dict=, -runs=, ...) mean nothing here */
        } else if (g_file_test(a, G_FILE_TEST_IS_DIR)) {
            replay_dir(a);
        } else {
            replay_file(a);
        }
    }
    printf("replayed %u inputs\n", replayed);
    return replayed > 0 ? 0 : 1;
}
