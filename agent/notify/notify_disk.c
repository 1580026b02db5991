/* notify_disk.c - "disk nearly full" (SPEC 3.3 [store] min_free_mb; issue 17).
 *
 * With the database's file system nearly full, SQLite fails next, and then
 * nothing can be recorded, not even the page that says so: the outbox is in
 * the same database. So this page takes its own path: the document is built
 * in memory and handed to every [notify.*] target at once
 * (notify_page_deliver(), the transports of the outbox), and nothing is
 * written to the database, ever. It is repeated at most once per
 * `repeat_seconds` within one process (the daemon), and an all-clear follows
 * when space returns (a PagerDuty resolve of the same dedup_key). */
#include <errno.h>
#include <string.h>
#include <sys/statvfs.h>

#include "notify.h"
#include "notify_internal.h"
#include "jsonutil.h"
#include "timefmt.h"
#include "logging.h"

#define DISK_INCIDENT_KEY "cpr-intake/disk"

static gint64 last_page_mono; /* when this process last paged "disk low"; 0: not low */

static char *disk_doc(const char *event, const char *folder, guint64 free_mb, guint min_mb,
                      gint64 now)
{
    g_autofree char *summary =
        !strcmp(event, "disk_low")
            ? g_strdup_printf("Disk nearly full: %" G_GUINT64_FORMAT " MB free in %s (minimum %u "
                              "MB); mail intake is paused until space returns",
                              free_mb, folder, min_mb)
            : g_strdup_printf("Disk space is back: %" G_GUINT64_FORMAT " MB free in %s", free_mb,
                              folder);
    g_autoptr(JsonBuilder) b = notify_doc_begin(event, summary);
    jsonutil_add_string(b, "condition", !strcmp(event, "disk_low") ? "disk_low" : "ok");
    jsonutil_add_string(b, "folder", folder);
    jsonutil_add_int(b, "free_mb", (gint64)free_mb);
    jsonutil_add_int(b, "min_free_mb", min_mb);
    return notify_doc_end(b, now, "df -m", DISK_INCIDENT_KEY);
}

/* Every target, directly; the results are only logged. */
static void page_all(const Config *cfg, const char *event, const char *folder, guint64 free_mb,
                     gint64 now)
{
    g_autofree char *doc = disk_doc(event, folder, free_mb, cfg->store_min_free_mb, now);
    g_autofree char *row_key = g_strdup_printf("%s:%" G_GINT64_FORMAT, event, now);
    for (guint i = 0; cfg->notify && i < cfg->notify->len; i++) {
        const NotifyTarget *t = g_ptr_array_index(cfg->notify, i);
        g_autoptr(GError) e = NULL;
        if (notify_page_deliver(cfg, t->name, row_key, doc, &e)) {
            g_message("event=%s_paged target=%s free_mb=%" G_GUINT64_FORMAT, event, t->name,
                      free_mb);
        } else {
            g_autofree char *why = log_value(e ? e->message : "unknown");
            g_warning("event=%s_page_failed target=%s error=%s", event, t->name, why);
        }
    }
}

/* Free megabytes for unprivileged users in the folder of `db_path`; the
 * folder in *folder_r (may be NULL; caller frees). FALSE when not measurable. */
static gboolean notify_disk_free_mb(const char *db_path, char **folder_r, guint64 *free_mb_r)
{
    g_autofree char *abs = g_canonicalize_filename(db_path ? db_path : ".", NULL);
    char *folder = g_path_get_dirname(abs);
    struct statvfs vfs;
    gboolean ok = statvfs(folder, &vfs) == 0;
    if (ok)
        *free_mb_r = (guint64)vfs.f_bavail * (guint64)vfs.f_frsize / (1024 * 1024);
    else {
        int err = errno;
        g_autofree char *folder_v = log_value(folder);
        g_autofree char *why = log_value(g_strerror(err));
        g_warning("event=disk_check_failed folder=%s error=%s", folder_v, why);
    }
    if (folder_r)
        *folder_r = folder;
    else
        g_free(folder);
    return ok;
}

gboolean notify_disk_ok(const Config *cfg, const char *db_path, guint repeat_seconds,
                        guint64 *free_mb_r)
{
    guint64 free_mb = 0;
    g_autofree char *folder = NULL;
    if (free_mb_r)
        *free_mb_r = 0;
    if (cfg->store_min_free_mb == 0 && !last_page_mono)
        return TRUE; /* off */
    if (!notify_disk_free_mb(db_path, &folder, &free_mb))
        return TRUE; /* not measurable: SQLite will say what is wrong */
    if (free_mb_r)
        *free_mb_r = free_mb;
    gint64 now = g_get_real_time() / G_USEC_PER_SEC;
    gint64 mono = g_get_monotonic_time();
    if (free_mb >= cfg->store_min_free_mb) { /* or the limit was turned off while low */
        if (last_page_mono) {
            last_page_mono = 0;
            g_autofree char *folder_v = log_value(folder);
            g_message("event=disk_recovered folder=%s free_mb=%" G_GUINT64_FORMAT, folder_v,
                      free_mb);
            page_all(cfg, "disk_recovered", folder, free_mb, now);
        }
        return TRUE;
    }
    g_autofree char *folder_v = log_value(folder);
    g_warning("event=disk_low folder=%s free_mb=%" G_GUINT64_FORMAT " min_free_mb=%u "
              "action=\"intake paused\"", folder_v, free_mb, cfg->store_min_free_mb);
    if (!last_page_mono || mono - last_page_mono >= (gint64)repeat_seconds * G_USEC_PER_SEC) {
        last_page_mono = MAX(mono, 1);
        page_all(cfg, "disk_low", folder, free_mb, now);
    }
    return FALSE;
}
