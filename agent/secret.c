/* secret.c - secret files: opened and checked (regular, ours, mode 0600/0400),
 * read, and wiped from memory (secret.h). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

#include "cpr_error.h"
#include "secret.h"

/* A secret file must be ours to read and nobody else's: a key readable by the
 * group or the world has already leaked, and one owned by another user can be
 * swapped by that user. The one place that opens secrets: opened first (never
 * blocking on a FIFO), then the opened file is checked, so what is checked is
 * what is read. Returns the open descriptor, or -1 with error. */
static int secret_open(const char *path, GError **error)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        g_set_error(error, CPR_ERROR, CPR_ERROR_CONFIG, "cannot read secret file %s: %s", path,
                    g_strerror(errno));
        return -1;
    }
    struct stat st;
    const char *why = NULL;
    if (fstat(fd, &st) != 0)
        why = g_strerror(errno);
    else if (!S_ISREG(st.st_mode))
        why = "is not a regular file";
    else if (st.st_uid != geteuid() && st.st_uid != 0)
        why = "is owned by another user (expected the running user or root)";
    if (why) {
        g_set_error(error, CPR_ERROR, CPR_ERROR_CONFIG, "secret file %s %s", path, why);
        close(fd);
        return -1;
    }
    unsigned mode = (unsigned)(st.st_mode & 07777);
    if (mode != 0600 && mode != 0400) {
        g_set_error(error, CPR_ERROR, CPR_ERROR_CONFIG,
                    "secret file %s has mode %04o; expected 0600 or 0400%s", path, mode,
                    (mode & 077) ? " (it is accessible by group or others)" : "");
        close(fd);
        return -1;
    }
    return fd;
}

gboolean secret_file_check(const char *path, GError **error)
{
    int fd = secret_open(path, error);
    if (fd < 0)
        return FALSE;
    close(fd);
    return TRUE;
}

#define SECRET_MAX_BYTES (64 * 1024)

char *secret_read(const char *path, GError **error)
{
    int fd = secret_open(path, error);
    if (fd < 0)
        return NULL;
    char *data = g_malloc0(SECRET_MAX_BYTES + 1);
    gsize len = 0;
    for (;;) {
        ssize_t n = read(fd, data + len, SECRET_MAX_BYTES + 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = errno;
            close(fd);
            secret_free(&data);
            g_set_error(error, CPR_ERROR, CPR_ERROR_CONFIG, "cannot read secret file %s: %s",
                        path, g_strerror(e));
            return NULL;
        }
        len += (gsize)n;
        if (n == 0 || len > SECRET_MAX_BYTES)
            break;
    }
    close(fd);
    data[MIN(len, (gsize)SECRET_MAX_BYTES)] = '\0';
    if (len > SECRET_MAX_BYTES) {
        secret_free(&data);
        g_set_error(error, CPR_ERROR, CPR_ERROR_CONFIG, "secret file %s is larger than %d bytes",
                    path, SECRET_MAX_BYTES);
        return NULL;
    }
    while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == '\r'))
        data[--len] = '\0';
    if (len == 0) {
        g_free(data);
        g_set_error(error, CPR_ERROR, CPR_ERROR_CONFIG, "secret file %s is empty", path);
        return NULL;
    }
    return data;
}

void secret_wipe(void *data, gsize len)
{
    if (data && len)
        gnutls_memset(data, 0, len); /* not optimised away before a free */
}

void secret_free(char **secret)
{
    if (!secret || !*secret)
        return;
    secret_wipe(*secret, strlen(*secret));
    g_free(*secret);
    *secret = NULL;
}
