/* daemon_lock.c - one daemon per database (see daemon_lock.h). */
#include "daemon_lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "cpr_error.h"

/* "<db_path>.lock"; caller frees. */
static char *daemon_lock_path(const char *db_path)
{
    return g_strconcat(db_path, ".lock", NULL);
}

static gint64 read_pid(int fd)
{
    char buf[32] = {0};
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    guint64 pid = 0;
    if (n <= 0)
        return 0;
    g_strstrip(buf);
    if (!g_ascii_string_to_unsigned(buf, 10, 1, G_MAXINT32, &pid, NULL))
        return 0;
    return (gint64)pid;
}

/* The holder writes its pid right after taking the lock: give it a moment. */
static gint64 holder_pid(int fd)
{
    for (int i = 0; i < 10; i++) {
        gint64 pid = read_pid(fd);
        if (pid)
            return pid;
        g_usleep(10 * 1000);
    }
    return 0;
}

int daemon_lock_acquire(const char *db_path, gboolean *busy_r, GError **error)
{
    g_autofree char *path = daemon_lock_path(db_path);
    *busy_r = FALSE;
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        g_set_error(error, CPR_ERROR, CPR_ERROR_STORE, "cannot open the lock file %s: %s", path,
                    g_strerror(errno));
        return -1;
    }
    /* `status` probes with a shared lock for an instant: retry a little
     * before calling the database taken (a second `run` still gives up well
     * within a second). */
    int rc = -1, err = 0;
    for (int i = 0; i < 10; i++) {
        rc = flock(fd, LOCK_EX | LOCK_NB);
        err = errno;
        if (rc == 0 || err != EWOULDBLOCK)
            break;
        g_usleep(10 * 1000);
    }
    if (rc != 0) {
        if (err == EWOULDBLOCK) {
            gint64 pid = holder_pid(fd);
            *busy_r = TRUE;
            if (pid)
                g_set_error(error, CPR_ERROR, CPR_ERROR_STORE,
                            "%s is in use by another cpr-intake run (pid %" G_GINT64_FORMAT
                            ", lock %s)",
                            db_path, pid, path);
            else
                g_set_error(error, CPR_ERROR, CPR_ERROR_STORE,
                            "%s is in use by another cpr-intake run (pid unknown, lock %s)",
                            db_path, path);
        } else {
            g_set_error(error, CPR_ERROR, CPR_ERROR_STORE, "cannot lock %s: %s", path,
                        g_strerror(err));
        }
        close(fd);
        return -1;
    }
    char pid[32];
    int len = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)len, 0) != len) {
        g_set_error(error, CPR_ERROR, CPR_ERROR_STORE, "cannot write the pid into %s: %s", path,
                    g_strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

gboolean daemon_lock_held(const char *db_path, gint64 *pid_r)
{
    g_autofree char *path = daemon_lock_path(db_path);
    *pid_r = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return FALSE;
    gboolean held = FALSE;
    if (flock(fd, LOCK_SH | LOCK_NB) != 0) {
        held = errno == EWOULDBLOCK;
        if (held)
            *pid_r = read_pid(fd);
    } else {
        flock(fd, LOCK_UN);
    }
    close(fd);
    return held;
}
