/* store_wal.h - private to store.c (and its tests): the WAL checkpointer
 * thread (store_wal.c). */
#ifndef CPR_STORE_WAL_H
#define CPR_STORE_WAL_H

#include <glib.h>
#include <sqlite3.h>

#include "store.h"

typedef struct StoreWal StoreWal;

/* Installs the commit hook on the writer's connection `db` (of the database
 * at `path`), in place of SQLite's auto-checkpoint. NULL when SQLite was built
 * without threads: the auto-checkpoint then stays. */
StoreWal *store_wal_new(sqlite3 *db, const char *path);
/* Before `db` is closed: removes the hook, stops and joins the thread. */
void store_wal_free(StoreWal **w, sqlite3 *db);

/* The checkpointer of a writable store; NULL for a read-only one. */
StoreWal *store_wal_of(Store *store);

/* Tests: how many checkpoints the thread ran and the writer ran itself; and
 * wait (at most timeout_us) until the thread has run `background`. */
void store_wal_counts(StoreWal *w, guint *background_r, guint *inline_r);
gboolean store_wal_wait(StoreWal *w, guint background, gint64 timeout_us);

#endif
