/* store_wal.c - WAL checkpoints on a thread of their own (issue 16).
 *
 * SQLite's automatic checkpoint runs inside the COMMIT that takes the WAL past
 * 1,000 pages: that one commit copies 4 MB back into the database file and
 * syncs it. The daemon's push latency paid for it in its tail (one message in
 * thirty or so, on the IDLE path), and ingest paid for it on the one thread
 * that stores. Here the writer's commit hook only notes the WAL's length, and
 * a second connection on a thread of its own runs the PASSIVE checkpoint,
 * which never blocks the writer and never waits for it. This is the
 * arrangement SQLite's documentation of sqlite3_wal_autocheckpoint() suggests.
 *
 * Bounds: the thread starts on the first commit that needs it, so a short
 * command never starts it. If the writer ever outruns it (WAL_WRITER_FRAMES),
 * or the thread or its connection cannot be had, the writer checkpoints in its
 * own commit exactly as SQLite would have: the WAL stays bounded. Durability
 * does not change: a checkpoint only copies committed pages. */
#include "store_wal.h"

/* SQLite's own auto-checkpoint threshold, so the database file lags the WAL
 * no more than it did before. */
#define WAL_CHECKPOINT_FRAMES 1000
/* 64 MB of 4 KB pages: beyond it the writer checkpoints itself. */
#define WAL_WRITER_FRAMES 16000

struct StoreWal {
    char *path;
    GMutex lock;
    GCond cond;
    GThread *thread;  /* NULL until first needed */
    gboolean wanted;  /* a checkpoint is due */
    gboolean stop;
    gboolean failed;  /* no thread or no connection: the writer checkpoints */
    guint background; /* checkpoints the thread ran */
    guint inline_;    /* checkpoints the writer ran in its commit */
};

static gpointer checkpointer(gpointer data)
{
    StoreWal *w = data;
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(w->path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        g_warning("event=wal_checkpointer_failed db=%s why=\"%s\"", w->path,
                  db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        g_mutex_lock(&w->lock);
        w->failed = TRUE;
        g_mutex_unlock(&w->lock);
        return NULL;
    }
    g_mutex_lock(&w->lock);
    for (;;) {
        while (!w->wanted && !w->stop)
            g_cond_wait(&w->cond, &w->lock);
        if (w->stop)
            break; /* closing the writer's connection checkpoints what is left */
        w->wanted = FALSE;
        g_mutex_unlock(&w->lock);
        int rc = sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
        /* SQLITE_BUSY: another checkpoint was running; the next commit asks again */
        if (rc != SQLITE_OK && rc != SQLITE_BUSY)
            g_warning("event=wal_checkpoint_failed db=%s why=\"%s\"", w->path,
                      sqlite3_errmsg(db));
        g_mutex_lock(&w->lock);
        w->background++;
        g_cond_broadcast(&w->cond);
    }
    g_mutex_unlock(&w->lock);
    sqlite3_close(db);
    return NULL;
}

/* sqlite3_wal_hook: after each commit of the writer, with the WAL's length
 * in pages. Runs on the writer's thread, inside its commit. */
static int on_commit(void *data, sqlite3 *db, const char *name, int frames)
{
    StoreWal *w = data;
    if (frames < WAL_CHECKPOINT_FRAMES)
        return SQLITE_OK;
    g_mutex_lock(&w->lock);
    if (!w->thread && !w->failed) {
        GError *e = NULL;
        w->thread = g_thread_try_new("cpr-wal", checkpointer, w, &e);
        if (!w->thread) {
            g_warning("event=wal_checkpointer_failed db=%s why=\"%s\"", w->path, e->message);
            g_error_free(e);
            w->failed = TRUE;
        }
    }
    gboolean self = w->failed || frames >= WAL_WRITER_FRAMES;
    if (self)
        w->inline_++;
    else {
        w->wanted = TRUE;
        g_cond_signal(&w->cond);
    }
    g_mutex_unlock(&w->lock);
    if (self) /* what SQLite's own auto-checkpoint does here */
        sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    return SQLITE_OK;
}

StoreWal *store_wal_new(sqlite3 *db, const char *path)
{
    /* A library built without threads keeps SQLite's own auto-checkpoint. */
    if (!sqlite3_threadsafe())
        return NULL;
    StoreWal *w = g_new0(StoreWal, 1);
    w->path = g_strdup(path);
    g_mutex_init(&w->lock);
    g_cond_init(&w->cond);
    sqlite3_wal_hook(db, on_commit, w); /* replaces the auto-checkpoint */
    return w;
}

void store_wal_free(StoreWal **wp, sqlite3 *db)
{
    if (!wp || !*wp)
        return;
    StoreWal *w = *wp;
    if (db)
        sqlite3_wal_hook(db, NULL, NULL);
    g_mutex_lock(&w->lock);
    w->stop = TRUE;
    g_cond_signal(&w->cond);
    g_mutex_unlock(&w->lock);
    if (w->thread)
        g_thread_join(w->thread);
    g_mutex_clear(&w->lock);
    g_cond_clear(&w->cond);
    g_free(w->path);
    g_free(w);
    *wp = NULL;
}

void store_wal_counts(StoreWal *w, guint *background_r, guint *inline_r)
{
    g_mutex_lock(&w->lock);
    *background_r = w->background;
    *inline_r = w->inline_;
    g_mutex_unlock(&w->lock);
}

gboolean store_wal_wait(StoreWal *w, guint background, gint64 timeout_us)
{
    gint64 end = g_get_monotonic_time() + timeout_us;
    g_mutex_lock(&w->lock);
    while (w->background < background && !w->failed)
        if (!g_cond_wait_until(&w->cond, &w->lock, end))
            break;
    gboolean ok = w->background >= background;
    g_mutex_unlock(&w->lock);
    return ok;
}
