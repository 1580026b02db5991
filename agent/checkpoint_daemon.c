/* checkpoint_daemon.c - the daemon's checkpoints (checkpoint.h): periodic and
 * at shutdown, and on-call paged once when they cannot be signed. */
#define G_LOG_DOMAIN "audit"
#include "checkpoint.h"
#include "jsonutil.h"
#include "logging.h"
#include "notify/notify_internal.h"
#include "store.h"

/* A daemon checkpoint that failed is tried again this much later. */
#define RETRY_SECONDS 60

/* The health key that holds the row key of the page sent for the current
 * run of failures: on-call is paged once, not at every retry. */
#define FAILING_KEY "audit.checkpoint_failing"

/* The audit event and the page, with the health key, in one transaction. */
static gboolean send_page(Store *store, const Config *cfg, CheckpointReason reason,
                          const GError *failure, gint64 now, GError **error)
{
    g_autofree char *row_key = g_strdup_printf("checkpoint-failed:%" G_GINT64_FORMAT, now);
    g_autofree char *summary =
        g_strdup_printf("Audit checkpoint could not be signed (%s): %s",
                        checkpoint_reason_name(reason), failure->message);
    g_autoptr(JsonBuilder) b = notify_doc_begin("audit_checkpoint_failed", summary);
    jsonutil_add_string(b, "reason", checkpoint_reason_name(reason));
    jsonutil_add_string(b, "error", failure->message);
    g_autofree char *doc = notify_doc_end(b, now, "cpr-intake audit checkpoint",
                                          "cpr-intake/audit-checkpoint-failed");
    g_autofree char *details =
        jsonutil_object_of_strings("reason", checkpoint_reason_name(reason), "error",
                                   failure->message, NULL);
    if (!store_begin(store, error))
        return FALSE;
    if (!notify_ops_enqueue(store, cfg, "daemon", "audit_checkpoint_failed", details, "health",
                            row_key, doc, now, error) ||
        !store_health_set(store, FAILING_KEY, row_key, now, error) || !store_commit(store, error)) {
        store_rollback(store);
        return FALSE;
    }
    g_warning("event=audit_checkpoint_paged reason=%s row=%s", checkpoint_reason_name(reason),
              row_key);
    return TRUE;
}

/* The daemon could not sign a checkpoint: the evidence stops being anchored
 * and no one reads the log at night. Page on-call once (an audit event and a
 * page to every notify target), until a checkpoint succeeds again. Failures
 * here are logged: the caller goes on either way. */
static void page_failure(Store *store, const Config *cfg, CheckpointReason reason,
                         const GError *failure, gint64 now)
{
    GError *e = NULL;
    g_autofree char *active = NULL;
    if (store_health_get(store, FAILING_KEY, &active, NULL, &e) &&
        (active || send_page(store, cfg, reason, failure, now, &e)))
        return; /* paged now, or already for this run of failures */
    g_autofree char *why = log_value(e->message);
    g_warning("event=audit_checkpoint_page_failed error=%s", why);
    g_error_free(e);
}

/* A checkpoint was signed: a later failure pages again. */
static void clear_failure(Store *store, gint64 now)
{
    GError *e = NULL;
    g_autofree char *active = NULL;
    if (store_health_get(store, FAILING_KEY, &active, NULL, &e) &&
        (!active || store_health_set(store, FAILING_KEY, NULL, now, &e)))
        return;
    g_autofree char *why = log_value(e->message);
    g_warning("event=audit_checkpoint_page_failed error=%s", why);
    g_error_free(e);
}

void checkpoint_daemon_tick(Store *store, const Config *cfg, gint64 now, gint64 *next_r)
{
    if (!cfg->audit_signing_key_file)
        return;
    gint64 period = cfg->audit_checkpoint_seconds > 0 ? cfg->audit_checkpoint_seconds : 3600;
    if (*next_r == 0) {
        gint64 last = 0;
        if (checkpoint_last_time(cfg, store, &last) && last > 0)
            *next_r = MIN(last + period, now + period);
        else
            *next_r = now; /* none yet: anchor at once */
    }
    if (now < *next_r)
        return;
    GError *e = NULL;
    if (!checkpoint_take(store, cfg, now, CHECKPOINT_PERIODIC, NULL, &e)) {
        g_autofree char *why = log_value(e->message);
        g_warning("event=audit_checkpoint_failed reason=periodic error=%s retry_in_s=%d", why,
                  RETRY_SECONDS);
        page_failure(store, cfg, CHECKPOINT_PERIODIC, e, now);
        g_error_free(e);
        *next_r = now + MIN(period, RETRY_SECONDS);
        return;
    }
    clear_failure(store, now);
    *next_r = now + period;
}

void checkpoint_daemon_stop(Store *store, const Config *cfg, gint64 now)
{
    if (!cfg->audit_signing_key_file)
        return;
    GError *e = NULL;
    if (!checkpoint_take(store, cfg, now, CHECKPOINT_SHUTDOWN, NULL, &e)) {
        g_autofree char *why = log_value(e->message);
        g_warning("event=audit_checkpoint_failed reason=shutdown error=%s", why);
        page_failure(store, cfg, CHECKPOINT_SHUTDOWN, e, now);
        g_error_free(e);
        return;
    }
    clear_failure(store, now);
}
