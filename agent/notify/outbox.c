/* outbox.c - the durable outbox (see outbox.h). */
#include <math.h>
#include <string.h>

#include "outbox.h"
#include "cpr_error.h"
#include "jsonutil.h"

void outbox_row_free(OutboxRow **row)
{
    if (!row || !*row)
        return;
    OutboxRow *r = *row;
    g_free(r->target);
    g_free(r->kind);
    g_free(r->dedup_key);
    g_free(r->payload);
    g_free(r);
    *row = NULL;
}

gboolean outbox_enqueue(Store *store, const char *target, gint64 case_id, const char *kind,
                        const char *dedup_key, const char *payload, gint64 now,
                        gboolean *inserted_r, GError **error)
{
    if (strlen(payload) > OUTBOX_MAX_PAYLOAD) {
        g_set_error(error, CPR_ERROR, CPR_ERROR_INPUT,
                    "outbox: %s payload for %s is %zu bytes, more than %u", kind, target,
                    strlen(payload), OUTBOX_MAX_PAYLOAD);
        return FALSE;
    }
    sqlite3_stmt *st = store_prepare(
        store,
        "INSERT OR IGNORE INTO outbox (target, case_id, kind, dedup_key, payload, created_at, "
        "next_attempt_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
        error);
    if (!st)
        return FALSE;
    sqlite3_bind_text(st, 1, target, -1, SQLITE_TRANSIENT);
    if (case_id > 0)
        sqlite3_bind_int64(st, 2, case_id);
    sqlite3_bind_text(st, 3, kind, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, dedup_key, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 5, payload, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 6, now);
    if (!store_step_done(store, st, error))
        return FALSE;
    if (inserted_r)
        *inserted_r = sqlite3_changes(store_db(store)) > 0;
    return TRUE;
}

gint64 outbox_backoff(guint attempt, double jitter)
{
    gint64 delay = OUTBOX_BACKOFF_FIRST;
    for (guint i = 1; i < attempt && delay < OUTBOX_BACKOFF_CAP; i++)
        delay *= 2;
    delay = MIN(delay, OUTBOX_BACKOFF_CAP);
    if (jitter < 0 || jitter >= 1 || isnan(jitter))
        jitter = 0;
    /* Upper-half jitter: receivers that come back are not hit by every
     * cpr-intake at once, and the wait stays close to the nominal delay. */
    return delay / 2 + (gint64)((double)(delay - delay / 2) * jitter);
}

gboolean outbox_pending_targets(Store *store, GPtrArray **targets_r, GError **error)
{
    sqlite3_stmt *st = store_prepare(
        store,
        /* through the partial index of pending rows: the outbox keeps every
         * notification ever sent, and this runs on every tick */
        "SELECT DISTINCT target FROM outbox INDEXED BY outbox_pending "
        "WHERE delivered_at IS NULL AND failed_at IS NULL "
        "ORDER BY target",
        error);
    if (!st)
        return FALSE;
    g_autoptr(GPtrArray) targets = g_ptr_array_new_with_free_func(g_free);
    int rc;
    while ((rc = store_step(store, st, error)) == STORE_ROW)
        g_ptr_array_add(targets, store_column_dup(st, 0));
    sqlite3_reset(st);
    if (rc != STORE_DONE) {
        g_prefix_error(error, "outbox: cannot list targets: ");
        return FALSE;
    }
    *targets_r = g_steal_pointer(&targets);
    return TRUE;
}

gboolean outbox_claim_next(Store *store, const char *target, gint64 now, OutboxRow **row_r,
                           GError **error)
{
    *row_r = NULL;
    if (!store_begin(store, error))
        return FALSE;
    OutboxRow *row = NULL;
    sqlite3_stmt *st = store_prepare(
        store,
        "SELECT id, coalesce(case_id, 0), kind, dedup_key, payload, created_at, attempts, "
        "next_attempt_at FROM outbox WHERE target = ? AND delivered_at IS NULL "
        "AND failed_at IS NULL ORDER BY id LIMIT 1",
        error);
    if (!st)
        goto rollback;
    sqlite3_bind_text(st, 1, target, -1, SQLITE_TRANSIENT);
    int rc = store_step(store, st, error);
    if (rc == STORE_ERROR) { /* store_step reset it */
        g_prefix_error(error, "outbox: cannot read the next row: ");
        goto rollback;
    }
    if (rc == STORE_DONE || sqlite3_column_int64(st, 7) > now) {
        sqlite3_reset(st);
        store_rollback(store);
        return TRUE;
    }
    row = g_new0(OutboxRow, 1);
    row->id = sqlite3_column_int64(st, 0);
    row->target = g_strdup(target);
    row->case_id = sqlite3_column_int64(st, 1);
    row->kind = store_column_dup(st, 2);
    row->dedup_key = store_column_dup(st, 3);
    row->payload = store_column_dup(st, 4);
    row->created_at = sqlite3_column_int64(st, 5);
    row->attempts = (guint)sqlite3_column_int64(st, 6);
    sqlite3_reset(st);

    st = store_prepare(store,
                       "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ? WHERE id = ?",
                       error);
    if (!st)
        goto rollback;
    sqlite3_bind_int64(st, 1, now + outbox_backoff(row->attempts + 1, g_random_double()));
    sqlite3_bind_int64(st, 2, row->id);
    if (!store_step_done(store, st, error) || !store_commit(store, error))
        goto rollback;
    *row_r = row;
    return TRUE;
rollback:
    outbox_row_free(&row);
    store_rollback(store);
    return FALSE;
}

static char *row_details(const OutboxRow *row, const char *why)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    jsonutil_add_int(b, "outbox_id", row->id);
    jsonutil_add_string(b, "target", row->target);
    jsonutil_add_string(b, "kind", row->kind);
    jsonutil_add_string(b, "dedup_key", row->dedup_key);
    jsonutil_add_int(b, "attempts", row->attempts + 1);
    if (why)
        jsonutil_add_string(b, "error", why);
    json_builder_end_object(b);
    return jsonutil_builder_to_string(b, FALSE);
}

gboolean outbox_mark_delivered(Store *store, const OutboxRow *row, gint64 now, GError **error)
{
    g_autofree char *details = row_details(row, NULL);
    if (!store_begin(store, error))
        return FALSE;
    sqlite3_stmt *st = store_prepare(
        store, "UPDATE outbox SET delivered_at = ?, last_error = NULL WHERE id = ?", error);
    if (!st)
        goto rollback;
    sqlite3_bind_int64(st, 1, now);
    sqlite3_bind_int64(st, 2, row->id);
    if (!store_step_done(store, st, error) ||
        !store_event_append(store, now, "notify", row->case_id, "notification_delivered", details,
                            error) ||
        !store_commit(store, error))
        goto rollback;
    return TRUE;
rollback:
    store_rollback(store);
    return FALSE;
}

gboolean outbox_mark_attempt_failed(Store *store, const OutboxRow *row, gint64 now,
                                    const char *why, gboolean permanent, GError **error)
{
    gboolean give_up = permanent || row->attempts + 1 >= OUTBOX_MAX_ATTEMPTS;
    if (!store_begin(store, error))
        return FALSE;
    sqlite3_stmt *st = store_prepare(
        store, "UPDATE outbox SET last_error = ?1, failed_at = CASE WHEN ?2 THEN ?3 END "
               "WHERE id = ?4",
        error);
    if (!st)
        goto rollback;
    sqlite3_bind_text(st, 1, why, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 2, give_up);
    sqlite3_bind_int64(st, 3, now);
    sqlite3_bind_int64(st, 4, row->id);
    if (!store_step_done(store, st, error))
        goto rollback;
    if (give_up) {
        g_autofree char *details = row_details(row, why);
        if (!store_event_append(store, now, "notify", row->case_id, "notification_failed",
                                details, error))
            goto rollback;
    }
    if (!store_commit(store, error))
        goto rollback;
    return TRUE;
rollback:
    store_rollback(store);
    return FALSE;
}

gboolean outbox_counts(Store *store, gint64 *pending_r, gint64 *failed_r, GError **error)
{
    sqlite3_stmt *st = store_prepare(
        store,
        "SELECT count(*) FILTER (WHERE delivered_at IS NULL AND failed_at IS NULL), "
        "count(*) FILTER (WHERE failed_at IS NOT NULL) FROM outbox",
        error);
    if (!st)
        return FALSE;
    if (!store_step_row(store, st, "outbox: cannot count rows", error))
        return FALSE;
    *pending_r = sqlite3_column_int64(st, 0);
    *failed_r = sqlite3_column_int64(st, 1);
    sqlite3_reset(st);
    return TRUE;
}
