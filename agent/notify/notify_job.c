/* notify_job.c - one periodic job of notify_tick in its own transaction
 * (notify_internal.h). Its own file so that notify.c, which runs the jobs, and
 * the jobs (notify_flood.c, notify_health.c, notify_triage.c), which call it,
 * do not call each other. */
#include "notify_internal.h"
#include "store.h"

gboolean notify_job_run(Store *store, const Config *cfg, gint64 now, NotifyJobFunc fn,
                        guint *n_r, GError **error)
{
    guint n = 0;
    if (!store_begin(store, error))
        return FALSE;
    if (!fn(store, cfg, now, &n, error)) {
        store_rollback(store);
        return FALSE;
    }
    if (!store_commit(store, error))
        return FALSE;
    if (n_r)
        *n_r += n;
    return TRUE;
}
