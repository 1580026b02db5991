/* sources.c - walk files, Maildirs, mbox files and stdin (see sources.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sources.h"
#include "cpr_error.h"

typedef struct {
    gsize max_bytes;
    SourceMessageFunc on_message;
    SourceErrorFunc on_error;
    gpointer user_data;
    guint failures;
    gboolean stopped;
} Walk;

static void report(Walk *w, const char *source, GError *error)
{
    w->failures++;
    if (w->on_error)
        w->on_error(source, error, w->user_data);
    g_error_free(error);
}

static void deliver(Walk *w, const guint8 *raw, gsize len, const char *source)
{
    GError *error = NULL;
    gboolean stop = FALSE;
    if (!w->on_message(raw, len, source, w->user_data, &stop, &error)) {
        if (!error)
            error = g_error_new(CPR_ERROR, CPR_ERROR_MESSAGE, "failed");
        report(w, source, error);
    }
    if (stop)
        w->stopped = TRUE;
}

/* Hand over one message of an mbox stream. In a real mbox the blank line before
 * the next separator belongs to the mbox, not the message; a plain message on
 * stdin is passed byte for byte. */
static void finish_mbox_message(Walk *w, GByteArray *msg, gboolean too_big, const char *name,
                                guint index, gboolean separated)
{
    g_autofree char *src = g_strcmp0(name, "-") == 0 && !separated
                               ? g_strdup(name)
                               : g_strdup_printf("%s#%u", name, index);
    if (too_big) {
        report(w, src, g_error_new(CPR_ERROR, CPR_ERROR_MESSAGE,
                                   "message larger than %zu bytes, not ingested", w->max_bytes));
        return;
    }
    if (separated && msg->len > 1 && msg->data[msg->len - 1] == '\n' &&
        msg->data[msg->len - 2] == '\n')
        g_byte_array_set_size(msg, msg->len - 1);
    deliver(w, msg->data, msg->len, src);
}

/* mbox: a line "From " at the start of the file or after a blank line starts a
 * message. mboxrd escapes body lines as ">From ", ">>From ", ...; one '>' is
 * removed. A message over the bound is skipped to the next separator and
 * reported; it is not held in memory. */
static void walk_mbox_stream(Walk *w, FILE *fp, const char *name, char *first, size_t first_cap,
                             ssize_t first_len)
{
    g_autoptr(GByteArray) msg = g_byte_array_new();
    char *line = first; /* a line the caller already read (getline's buffer), or NULL */
    size_t cap = first_cap;
    ssize_t n;
    guint index = 0;
    gboolean in_msg = FALSE, too_big = FALSE, prev_blank = TRUE, separated = FALSE;
    gboolean pending = first != NULL;

    while (!w->stopped) {
        if (pending) {
            n = first_len;
            pending = FALSE;
        } else if ((n = getline(&line, &cap, fp)) == -1) {
            break;
        }
        gboolean sep = prev_blank && n >= 5 && memcmp(line, "From ", 5) == 0;
        prev_blank = (n == 1 && line[0] == '\n') || (n == 2 && line[0] == '\r' && line[1] == '\n');
        if (sep) {
            if (in_msg)
                finish_mbox_message(w, msg, too_big, name, index, TRUE);
            index++;
            in_msg = TRUE;
            separated = TRUE;
            too_big = FALSE;
            g_byte_array_set_size(msg, 0);
            continue;
        }
        if (!in_msg) {
            /* Text before the first separator: not an mbox after all. */
            in_msg = TRUE;
            index = 1;
        }
        const char *data = line;
        gsize len = (gsize)n;
        gsize gt = 0;
        while (gt < len && data[gt] == '>')
            gt++;
        if (gt > 0 && len - gt >= 5 && memcmp(data + gt, "From ", 5) == 0) {
            data++;
            len--;
        }
        if (too_big || msg->len + len > w->max_bytes) {
            too_big = TRUE;
            g_byte_array_set_size(msg, 0);
            continue;
        }
        g_byte_array_append(msg, (const guint8 *)data, (guint)len);
    }
    free(line);
    if (in_msg && !w->stopped)
        finish_mbox_message(w, msg, too_big, name, index, separated);
}

/* One file: an mbox when it starts with "From ", else one message. Inside a
 * folder walk (`in_folder`) a symbolic link is never followed: the file is
 * opened with O_NOFOLLOW, so a link swapped in after the listing is refused
 * too. What is checked (regular file, size) is the opened file. */
static void walk_file(Walk *w, const char *path, gboolean in_folder)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | (in_folder ? O_NOFOLLOW : 0));
    if (fd < 0) {
        if (in_folder && errno == ELOOP)
            g_printerr("cpr-intake: %s: warning: symbolic link not followed, skipped\n", path);
        else
            report(w, path, g_error_new(CPR_ERROR, CPR_ERROR_INPUT, "cannot read: %s",
                                        g_strerror(errno)));
        return;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (!in_folder) /* a folder walk skips what is not a regular file */
            report(w, path, g_error_new(CPR_ERROR, CPR_ERROR_INPUT, "not a regular file"));
        close(fd);
        return;
    }
    FILE *fp = fdopen(fd, "rb");
    if (!fp) {
        report(w, path, g_error_new(CPR_ERROR, CPR_ERROR_INPUT, "cannot read: %s", g_strerror(errno)));
        close(fd);
        return;
    }
    char head[5] = {0};
    gboolean mbox = fread(head, 1, 5, fp) == 5 && memcmp(head, "From ", 5) == 0;
    rewind(fp);
    if (mbox) {
        walk_mbox_stream(w, fp, path, NULL, 0, 0);
        fclose(fp);
        return;
    }
    if ((guint64)st.st_size > w->max_bytes) {
        report(w, path, g_error_new(CPR_ERROR, CPR_ERROR_MESSAGE,
                                    "message of %lld bytes is larger than the limit of %zu bytes, "
                                    "not ingested", (long long)st.st_size, w->max_bytes));
        fclose(fp);
        return;
    }
    /* read what is there, bounded even if the file grows meanwhile */
    g_autofree guint8 *data = g_malloc((gsize)st.st_size + 1);
    gsize len = fread(data, 1, (gsize)st.st_size + 1, fp);
    gboolean failed = ferror(fp);
    fclose(fp);
    if (failed) {
        report(w, path, g_error_new(CPR_ERROR, CPR_ERROR_INPUT, "cannot read: %s", g_strerror(errno)));
        return;
    }
    if (len > (gsize)st.st_size) {
        report(w, path, g_error_new(CPR_ERROR, CPR_ERROR_INPUT,
                                    "the file grew while it was read, not ingested"));
        return;
    }
    deliver(w, data, len, path);
}

/* Standard input (an MTA pipe): one message, byte for byte, unless its first
 * line is an mbox "From " line. A plain message's body lines starting with
 * "From " are its own text, never separators, and nothing in it is unquoted;
 * Content-Length is never read. */
static void walk_stdin(Walk *w, FILE *fp)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n = getline(&line, &cap, fp);
    if (n == -1) { /* empty input: no message */
        free(line);
        if (ferror(fp))
            report(w, "-", g_error_new(CPR_ERROR, CPR_ERROR_INPUT, "cannot read: %s",
                                       g_strerror(errno)));
        return;
    }
    if (n >= 5 && memcmp(line, "From ", 5) == 0) {
        walk_mbox_stream(w, fp, "-", line, cap, n); /* frees line */
        return;
    }
    g_autoptr(GByteArray) msg = g_byte_array_new();
    gboolean too_big = (gsize)n > w->max_bytes;
    gsize total = (gsize)n;
    if (!too_big)
        g_byte_array_append(msg, (const guint8 *)line, (guint)n);
    free(line);
    guint8 buf[65536];
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, fp)) > 0) {
        total += got;
        if (too_big || msg->len + got > w->max_bytes) {
            too_big = TRUE; /* read on to the end, keep nothing */
            g_byte_array_set_size(msg, 0);
            continue;
        }
        g_byte_array_append(msg, buf, (guint)got);
    }
    if (ferror(fp)) {
        report(w, "-", g_error_new(CPR_ERROR, CPR_ERROR_INPUT,
                                   "cannot read after %zu bytes: %s, not ingested", total,
                                   g_strerror(errno)));
        return;
    }
    if (too_big) {
        report(w, "-", g_error_new(CPR_ERROR, CPR_ERROR_MESSAGE,
                                   "message of %zu bytes is larger than the limit of %zu bytes, "
                                   "not ingested", total, w->max_bytes));
        return;
    }
    deliver(w, msg->data, msg->len, "-");
}

static gint compare_strings(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Regular files of a directory, sorted by name so runs are reproducible
 * (Maildir names start with the delivery time, so this is arrival order). */
static void walk_files_in(Walk *w, const char *dir)
{
    GError *error = NULL;
    g_autoptr(GDir) d = g_dir_open(dir, 0, &error);
    if (!d) {
        report(w, dir, error);
        return;
    }
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    const char *name;
    while ((name = g_dir_read_name(d)))
        if (name[0] != '.')
            g_ptr_array_add(names, g_build_filename(dir, name, NULL));
    g_ptr_array_sort(names, compare_strings);
    for (guint i = 0; i < names->len && !w->stopped; i++)
        walk_file(w, g_ptr_array_index(names, i), TRUE);
}

static gboolean is_maildir(const char *path)
{
    g_autofree char *cur = g_build_filename(path, "cur", NULL);
    g_autofree char *new_ = g_build_filename(path, "new", NULL);
    return g_file_test(cur, G_FILE_TEST_IS_DIR) && g_file_test(new_, G_FILE_TEST_IS_DIR);
}

gboolean sources_walk(const char *path, gsize max_bytes, SourceMessageFunc on_message,
                      SourceErrorFunc on_error, gpointer user_data, guint *failures_r)
{
    Walk w = {.max_bytes = max_bytes, .on_message = on_message, .on_error = on_error,
              .user_data = user_data};
    if (g_strcmp0(path, "-") == 0) {
        walk_stdin(&w, stdin);
    } else if (g_file_test(path, G_FILE_TEST_IS_DIR)) {
        if (is_maildir(path)) {
            g_autofree char *cur = g_build_filename(path, "cur", NULL);
            g_autofree char *new_ = g_build_filename(path, "new", NULL);
            walk_files_in(&w, cur);
            walk_files_in(&w, new_);
        } else {
            walk_files_in(&w, path);
        }
    } else {
        walk_file(&w, path, FALSE);
    }
    if (failures_r)
        *failures_r = w.failures;
    return !w.stopped;
}
