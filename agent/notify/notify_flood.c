/* notify_flood.c - limits against floods of reports (SPEC 3.3; issue 17).
 *
 * Fifty forged reports naming one victim in Reply-To must not become fifty
 * pages and fifty acknowledgements to the victim. Every case still opens
 * (intake never asks us); what is limited is only what goes out:
 *   - new-case pages: at most [notify] max_new_case_pages_per_sender_hour per
 *     sender (the From address) and max_new_case_pages_hour in all, counted
 *     over the outbox of the last hour;
 *   - acknowledgements: at most max_acks_per_recipient_day to one address (where
 *     the acknowledgement would go), counted over acks_sent of the last 24 h.
 * Each one held back is an audit event (page_held, ack_held) on its case, and
 * on-call gets one summary page per hour with the count held back: the first
 * at once, then, while more are held, at most one an hour (notify_tick). A
 * limit of 0 is no limit. */
#include <string.h>

#include "notify_internal.h"
#include "jsonutil.h"
#include "outbox.h"
#include "timefmt.h"

#define FLOOD_KEY "cpr-intake/flood"
#define HOUR 3600

static gboolean count_query(Store *store, const char *sql, const char *text, gint64 since,
                            gint64 *n_r, GError **error)
{
    sqlite3_stmt *st = store_prepare(store, sql, error);
    if (!st)
        return FALSE;
    sqlite3_bind_int64(st, 1, since);
    if (text)
        sqlite3_bind_text(st, 2, text, -1, SQLITE_TRANSIENT);
    gboolean ok = store_step_row(store, st, "flood limits: cannot count", error);
    *n_r = ok ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    return ok;
}

gboolean notify_flood_page_allowed(Store *store, const Config *cfg, const MimeMessage *msg,
                                   gint64 now, char **why_r, GError **error)
{
    *why_r = NULL;
    gint64 n = 0;
    guint global = cfg->notify_max_new_case_pages_hour;
    if (global && (!count_query(store,
                                "SELECT count(DISTINCT case_id) FROM outbox "
                                "WHERE kind = 'page' AND created_at > ?1",
                                NULL, now - HOUR, &n, error)))
        return FALSE;
    if (global && n >= global) {
        *why_r = g_strdup_printf("more than %u new-case pages in an hour", global);
        return TRUE;
    }
    guint per_sender = cfg->notify_max_new_case_pages_per_sender_hour;
    const MimeAddress *from =
        msg && msg->from && msg->from->len ? g_ptr_array_index(msg->from, 0) : NULL;
    if (!per_sender || !from || !from->email)
        return TRUE;
    if (!count_query(store,
                     "SELECT count(DISTINCT o.case_id) FROM outbox o "
                     "WHERE o.kind = 'page' AND o.created_at > ?1 AND EXISTS (SELECT 1 FROM "
                     "messages m WHERE m.case_id = o.case_id AND lower(m.from_email) = lower(?2))",
                     from->email, now - HOUR, &n, error))
        return FALSE;
    if (n >= per_sender)
        *why_r = g_strdup_printf("more than %u new-case pages in an hour from one sender",
                                 per_sender);
    return TRUE;
}

gboolean notify_flood_ack_allowed(Store *store, const Config *cfg, const char *to_lower,
                                  gint64 now, char **why_r, GError **error)
{
    *why_r = NULL;
    guint max = cfg->notify_max_acks_per_recipient_day;
    gint64 n = 0;
    if (!max)
        return TRUE;
    if (!count_query(store, "SELECT count(*) FROM acks_sent WHERE sent_at > ?1 AND email = ?2",
                     to_lower, now - 24 * HOUR, &n, error))
        return FALSE;
    if (n >= max)
        *why_r = g_strdup_printf("more than %u acknowledgements to one address in a day", max);
    return TRUE;
}

/* One summary page for everything held since the last one (events after the
 * one it counted through), if that was an hour ago or more. Inside the
 * caller's transaction. */
static gboolean summary_maybe(Store *store, const Config *cfg, gint64 now, guint *n_r,
                              GError **error)
{
    sqlite3_stmt *st = store_prepare(
        store,
        "SELECT created_at, coalesce(json_extract(payload, '$.through_event'), 0) FROM outbox "
        "WHERE kind = 'flood_summary' ORDER BY id DESC LIMIT 1", /* outbox_kind_created */
        error);
    if (!st)
        return FALSE;
    gint64 last = 0, through = 0;
    int rc = store_step(store, st, error);
    if (rc == STORE_ROW) {
        last = sqlite3_column_int64(st, 0);
        through = sqlite3_column_int64(st, 1);
    }
    sqlite3_reset(st);
    if (rc == STORE_ERROR) {
        g_prefix_error(error, "flood limits: cannot read the last summary: ");
        return FALSE;
    }
    if (last && now - last < HOUR)
        return TRUE;
    /* The IN term is the WHERE of the partial index events_held (schema
     * step 9 -> 10): keep them the same, or this walks the whole chain. */
    st = store_prepare_id(store,
                          "SELECT coalesce(sum(type = 'page_held'), 0), "
                          "coalesce(sum(type = 'ack_held'), 0), coalesce(max(id), 0) FROM events "
                          "WHERE id > ?1 AND type IN ('page_held', 'ack_held')",
                          through, error);
    if (!st)
        return FALSE;
    if (!store_step_row(store, st, "flood limits: cannot count what was held", error))
        return FALSE;
    gint64 pages = sqlite3_column_int64(st, 0);
    gint64 acks = sqlite3_column_int64(st, 1);
    gint64 upto = sqlite3_column_int64(st, 2);
    sqlite3_reset(st);
    if (pages + acks == 0)
        return TRUE;
    g_autofree char *since = last ? timefmt_rfc3339(last) : NULL;
    g_autofree char *summary = g_strdup_printf(
        "Flood of reports: %" G_GINT64_FORMAT " new-case page(s) and %" G_GINT64_FORMAT
        " acknowledgement(s) held back%s%s; every case is open",
        pages, acks, since ? " since " : "", since ? since : "");
    g_autoptr(JsonBuilder) b = notify_doc_begin("flood_summary", summary);
    jsonutil_add_int(b, "pages_held", pages);
    jsonutil_add_int(b, "acks_held", acks);
    jsonutil_add_int(b, "through_event", upto);
    g_autofree char *doc = notify_doc_end(b, now, "cpr-intake list --open", FLOOD_KEY);
    g_autofree char *row_key = g_strdup_printf("flood_summary:%" G_GINT64_FORMAT, upto);
    if (!notify_enqueue_all(store, cfg, 0, "flood_summary", row_key, doc, now, error))
        return FALSE;
    if (n_r)
        (*n_r)++;
    return TRUE;
}

gboolean notify_flood_hold(Store *store, const Config *cfg, gint64 case_id, const char *type,
                           const char *why, gint64 now, GError **error)
{
    g_autofree char *details = jsonutil_object_of_strings("reason", why, NULL);
    return store_event_append(store, now, "notify", case_id, type, details, error) &&
           summary_maybe(store, cfg, now, NULL, error);
}

gboolean notify_flood_run(Store *store, const Config *cfg, gint64 now, guint *n_r, GError **error)
{
    return notify_job_run(store, cfg, now, summary_maybe, n_r, error);
}
