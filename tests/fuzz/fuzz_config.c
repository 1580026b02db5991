/* fuzz_config.c - libFuzzer target for the configuration loader.
 *
 * bytes -> a file in a private temporary directory -> config_load ->
 * config_ca_identity -> config_free. Secret files named by the input are
 * looked up relative to that directory's cwd-independent paths, so most fail
 * the existence or mode checks: those error paths are what we want covered.
 * Seed: tests/fixtures/conf and conf/. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "config.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const guint8 *data, size_t size);

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
    GError *error = NULL;
    dir = g_dir_make_tmp("fuzz_config-XXXXXX", &error);
    if (!dir) {
        fprintf(stderr, "fuzz_config: %s\n", error->message);
        abort();
    }
    path = g_build_filename(dir, "cpr-intake.conf", NULL);
    atexit(cleanup);
    return 0;
}

int LLVMFuzzerTestOneInput(const guint8 *data, size_t size)
{
    GError *error = NULL;
    write_input(data, size);
    Config *cfg = config_load(path, &error);
    if (cfg) {
        CaIdentity ca = config_ca_identity(cfg);
        (void)ca;
        config_free(&cfg);
    } else if (!error) {
        fprintf(stderr, "fuzz_config: config_load returned NULL without an error\n");
        abort();
    }
    g_clear_error(&error);
    return 0;
}
