/* notify.c - the notification worker and the hooks that enqueue (notify.h). */
#include <signal.h>
#include <string.h>

#include <curl/curl.h>

#include "notify.h"
#include "notify_internal.h"
#include "bugzilla_confirm.h"
#include "cpr_error.h"
#include "obligations.h"
#include "outbox.h"
#include "testhooks.h"
#include "logging.h"

/* Rows delivered per target per tick: keeps one busy target from holding up
 * the daemon's loop. */
#define DELIVER_PER_TARGET 100

/* Fault injection for the crash tests (tests/t_notify_crash.sh): the process
 * kills itself at the named point, as `kill -9` would. Test builds only
 * (testhooks.h). */
static void fault_point(const char *name)
{
    const char *want = testhooks_getenv("CPR_INTAKE_FAULT");
    if (want && !strcmp(want, name))
        raise(SIGKILL);
}

static void curl_init_once(void)
{
    static gsize done = 0;
    if (g_once_init_enter(&done)) {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        g_once_init_leave(&done, 1);
    }
}

static gboolean deliver_target(Store *store, const Config *cfg, const char *target, gint64 now,
                               NotifyTickStats *stats, GError **error)
{
    for (guint n = 0; n < DELIVER_PER_TARGET; n++) {
        OutboxRow *row = NULL;
        if (!outbox_claim_next(store, target, now, &row, error))
            return FALSE;
        if (!row)
            return TRUE; /* nothing due: the head row waits for its backoff */
        fault_point("notify-after-claim");
        g_autoptr(GError) failure = NULL; /* the delivery's, not `error` (the store's) */
        gboolean sent = !strcmp(target, OUTBOX_TARGET_ACK)
                            ? ack_deliver(cfg, row->payload, &failure)
                            : notify_page_deliver(cfg, target, row->dedup_key, row->payload,
                                                  &failure);
        fault_point("notify-after-send");
        gboolean ok;
        if (sent) {
            g_message("event=notification_delivered target=%s case=%" G_GINT64_FORMAT
                      " kind=%s outbox=%" G_GINT64_FORMAT " attempt=%u",
                      target, row->case_id, row->kind, row->id, row->attempts + 1);
            ok = outbox_mark_delivered(store, row, now, error);
            stats->delivered++;
        } else {
            const char *why = failure ? failure->message : NULL;
            gboolean permanent =
                g_error_matches(failure, NOTIFY_ERROR, NOTIFY_ERROR_PERMANENT) ||
                row->attempts + 1 >= OUTBOX_MAX_ATTEMPTS;
            g_autofree char *why_v = log_value(why);
            g_warning("event=notification_%s target=%s case=%" G_GINT64_FORMAT " kind=%s outbox=%"
                      G_GINT64_FORMAT " attempt=%u error=%s",
                      permanent ? "failed" : "retry", target, row->case_id, row->kind, row->id,
                      row->attempts + 1, why_v);
            ok = outbox_mark_attempt_failed(store, row, now, why ? why : "unknown error",
                                            permanent, error);
            if (permanent)
                stats->failed++;
            else
                stats->retrying++;
            if (ok && !permanent) {
                outbox_row_free(&row);
                return TRUE; /* this target waits; the others go on */
            }
        }
        outbox_row_free(&row);
        if (!ok)
            return FALSE;
    }
    return TRUE;
}

/* Deliver due outbox rows only (no escalation, no health). */
static gboolean notify_deliver_due(Store *store, const Config *cfg, gint64 now,
                                   NotifyTickStats *stats_r, GError **error)
{
    NotifyTickStats local = {0};
    NotifyTickStats *stats = stats_r ? stats_r : &local;
    curl_init_once();
    g_autoptr(GPtrArray) targets = NULL;
    if (!outbox_pending_targets(store, &targets, error))
        return FALSE;
    for (guint i = 0; i < targets->len; i++)
        if (!deliver_target(store, cfg, g_ptr_array_index(targets, i), now, stats, error))
            return FALSE;
    return TRUE;
}

gboolean notify_tick(Store *store, const Config *cfg, gint64 now, NotifyTickStats *stats_r,
                     GError **error)
{
    NotifyTickStats local = {0};
    NotifyTickStats *stats = stats_r ? stats_r : &local;
    /* The clock sweep first: a missed deadline's consequences (an incident,
     * a delayed-revocation case and its page) go out in this same tick. It
     * runs whether or not any target is configured. */
    /* Bugzilla mail that would relax a clock, read back first (never at
     * intake: no mail waits for the network) */
    if (!bugzilla_confirm_run(store, cfg, now, NULL, error))
        return FALSE;
    SweepStats sweep = {0};
    if (!obligations_sweep(store, cfg, now, &sweep, error))
        return FALSE;
    stats->missed += sweep.missed;
    stats->incidents += sweep.incidents;
    stats->delayed_cases += sweep.delayed;
    return notify_health_run(store, cfg, now, &stats->health_pages, error) &&
           escalate_run(store, cfg, now, &stats->escalations, error) &&
           notify_flood_run(store, cfg, now, &stats->health_pages, error) &&
           notify_triage_run(store, cfg, now, &stats->triage_digests, error) &&
           notify_deliver_due(store, cfg, now, stats, error);
}

gboolean notify_on_intake(Store *store, const Config *cfg, gint64 case_id, gboolean new_case,
                          const char *how, const MimeMessage *msg, const Classification *cls,
                          gint64 now, GError **error)
{
    if (case_id <= 0)
        return TRUE;
    if (new_case && cfg->notify && cfg->notify->len) {
        g_autofree char *held = NULL;
        if (!notify_flood_page_allowed(store, cfg, msg, now, &held, error))
            return FALSE;
        g_autofree char *row_key = g_strdup_printf("new_case:%" G_GINT64_FORMAT, case_id);
        PageSpec spec = {.event = "new_case", .case_id = case_id, .at = now};
        if (held ? !notify_flood_hold(store, cfg, case_id, "page_held", held, now, error)
                 : !notify_page_enqueue(store, cfg, &spec, "page", row_key, now, error))
            return FALSE;
    }
    /* Another reporter of the same certificate is a new reporter of the case;
     * a reply in a thread is a conversation, not a new report. */
    if (new_case || g_strcmp0(how, "certificate") == 0)
        return ack_maybe_enqueue(store, cfg, case_id, msg, cls, now, error);
    return TRUE;
}

/* The clocks of a case that have an open page at `target`: a trigger
 * (new_case or escalation) newer than their last resolve. */
static gboolean open_pages(Store *store, const char *target, gint64 case_id, GPtrArray *clocks,
                           GError **error)
{
    sqlite3_stmt *st = store_prepare(
        store,
        "SELECT clock FROM (SELECT json_extract(payload, '$.clock') AS clock, "
        "  max(CASE WHEN kind IN ('page', 'escalation') THEN id END) AS trig, "
        "  max(CASE WHEN kind = 'resolve' THEN id END) AS res "
        "  FROM outbox WHERE target = ?1 AND case_id = ?2 GROUP BY 1) "
        "WHERE clock IS NOT NULL AND trig IS NOT NULL AND (res IS NULL OR res < trig) "
        "ORDER BY clock",
        error);
    if (!st)
        return FALSE;
    sqlite3_bind_text(st, 1, target, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, case_id);
    return store_texts(store, st, clocks, "notify: cannot read the case's pages", error);
}

/* Send `event` (acknowledge | resolve) for the open pages of the case, of
 * every clock (`only` NULL) or of the clocks in `only`. */
static gboolean follow_up(Store *store, const Config *cfg, gint64 case_id, const char *event,
                          const char *by, const GPtrArray *only, gint64 at, GError **error)
{
    g_autoptr(GHashTable) docs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    for (guint i = 0; cfg->notify && i < cfg->notify->len; i++) {
        const NotifyTarget *t = g_ptr_array_index(cfg->notify, i);
        g_autoptr(GPtrArray) clocks = g_ptr_array_new_with_free_func(g_free);
        if (!open_pages(store, t->name, case_id, clocks, error))
            return FALSE;
        for (guint k = 0; k < clocks->len; k++) {
            const char *clock = g_ptr_array_index(clocks, k);
            gboolean wanted = !only;
            for (guint j = 0; only && j < only->len; j++)
                wanted = wanted || !strcmp(g_ptr_array_index(only, j), clock);
            if (!wanted)
                continue;
            g_autofree char *row_key = g_strdup_printf("%s:%" G_GINT64_FORMAT ":%s:%" G_GINT64_FORMAT,
                                                       event, case_id, clock, at);
            const char *doc = g_hash_table_lookup(docs, clock);
            if (!doc) {
                PageSpec spec = {.event = event, .case_id = case_id, .clock = clock, .by = by,
                                 .at = at};
                char *built = notify_page_doc(store, cfg, &spec, row_key, at, error);
                if (!built)
                    return FALSE;
                g_hash_table_insert(docs, g_strdup(clock), built);
                doc = built;
            }
            if (!outbox_enqueue(store, t->name, case_id, event, row_key, doc, at, NULL, error))
                return FALSE;
        }
    }
    return TRUE;
}

gboolean notify_on_event(Store *store, const Config *cfg, gint64 case_id, const char *type,
                         const char *by, const GPtrArray *met, gint64 at, GError **error)
{
    if (!cfg->notify || cfg->notify->len == 0)
        return TRUE;
    if (!strcmp(type, "acknowledged"))
        return follow_up(store, cfg, case_id, "acknowledge", by, NULL, at, error);
    if (!strcmp(type, "closed"))
        return follow_up(store, cfg, case_id, "resolve", by, NULL, at, error);
    if (met && met->len > 0)
        return follow_up(store, cfg, case_id, "resolve", by, met, at, error);
    return TRUE;
}
