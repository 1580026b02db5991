/* fuzz_mbox.c - libFuzzer target for the offline sources walker: the mbox
 * splitter (separators, mboxrd ">From " unescaping, size bounds) and the
 * plain-file fallback of agent/sources.c.
 *
 * bytes -> a file in a private temporary directory -> sources_walk() with a
 * small max_bytes. Checks what sources.h promises: no message handed over is
 * larger than max_bytes, and every message or failure has a source name.
 * Seed: tests/fixtures/{samples,mail} and mbox files made from them. */
#include <stdio.h>
#include <stdlib.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "sources.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const guint8 *data, size_t size);

#define MAX_BYTES 2048

static char *dir;
static char *path;

static void cleanup(void)
{
    if (path)
        g_unlink(path);
    if (dir)
        g_rmdir(dir);
}

/* Not g_file_set_contents(): its fsync() would cost more than the target. */
static void write_input(const guint8 *data, size_t size)
{
    FILE *fp = fopen(path, "wb");
    if (!fp || fwrite(data, 1, size, fp) != size || fclose(fp) != 0) {
        perror(path);
        abort();
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    dir = g_dir_make_tmp("fuzz_mbox-XXXXXX", NULL);
    if (!dir)
        abort();
    path = g_build_filename(dir, "box.mbox", NULL);
    atexit(cleanup);
    return 0;
}

static gboolean on_message(const guint8 *raw, gsize len, const char *source, gpointer user_data,
                           gboolean *stop_r, GError **error)
{
    guint *count = user_data;
    if (len > MAX_BYTES || !source || (len && !raw)) {
        fprintf(stderr, "fuzz_mbox: message %s of %zu bytes over the %d-byte bound\n",
                source ? source : "(null)", (size_t)len, MAX_BYTES);
        abort();
    }
    /* Touch every byte so ASan sees a short buffer. */
    volatile guint8 sum = 0;
    for (gsize i = 0; i < len; i++)
        sum ^= raw[i];
    (void)sum;
    (*count)++;
    return TRUE;
}

static void on_error(const char *source, const GError *error, gpointer user_data)
{
    if (!source || !error || !error->message)
        abort();
}

int LLVMFuzzerTestOneInput(const guint8 *data, size_t size)
{
    write_input(data, size);
    guint count = 0, failures = 0;
    (void)sources_walk(path, MAX_BYTES, on_message, on_error, &count, &failures);
    return 0;
}
