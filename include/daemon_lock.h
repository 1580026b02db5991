/* daemon_lock.h - one daemon per database: an flock(2) on "<database>.lock".
 *
 * `run` takes the lock before it opens the database and keeps it until it
 * exits (the kernel drops it when the process dies, even on kill -9); the
 * holder's pid is written into the file so that a second `run`, and
 * `status`, can name it. */
#ifndef CPR_DAEMON_LOCK_H
#define CPR_DAEMON_LOCK_H

#include <glib.h>

/* Take the lock for the database at `db_path`: the open descriptor (keep it
 * open; close it to release), or -1 with the error (CPR_ERROR_STORE), *busy_r
 * TRUE when another process holds it (the message then names its pid and the
 * lock file). */
int daemon_lock_acquire(const char *db_path, gboolean *busy_r, GError **error);
/* Whether some process holds the lock; its pid (0 when unknown) in *pid_r. */
gboolean daemon_lock_held(const char *db_path, gint64 *pid_r);

#endif
