/* notify_health.c - paging when the problem-report mailbox is not being read
 * (SPEC 2.6), from the health keys the IMAP listener writes:
 *
 *   imap.connection  "connected", "down: <why>", "stopped", ... (at = when written)
 *   imap.last_error  the last error text
 *   imap.heartbeat   written after every catch-up round (at = when)
 *
 * Conditions, each paged once until it clears: authentication failing (at
 * once: it will not fix itself), the connection down longer than
 * [health] connection_down_seconds, or a connected listener whose heartbeat
 * is older than [health] heartbeat_seconds (IDLE silent, process hung). When
 * the listener is connected and beating again, an all-clear follows (a
 * PagerDuty resolve). A deliberately stopped listener is not paged.
 *
 * Our own state lives in the health table too: notify.down_since (the first
 * time we saw the connection down: the listener rewrites imap.connection on
 * every retry) and notify.health_page (the row key of the active page).
 *
 * notify_status_enqueue, here, sends these pages and notify_mark.c's: the
 * same "cpr-intake status" page, "health" outbox rows and audit event. */
#include <string.h>

#include "notify_internal.h"
#include "cpr_error.h"
#include "jsonutil.h"
#include "timefmt.h"

#define INCIDENT_KEY "cpr-intake/intake-health"

static gboolean looks_like_auth(const char *error)
{
    static const char *const words[] = {"LOGIN", "AUTHENTICATE", "XOAUTH2", "authentication",
                                        "token", NULL};
    for (gsize i = 0; error && words[i]; i++)
        if (strstr(error, words[i]))
            return TRUE;
    return FALSE;
}

/* The page's own members (notify_status_enqueue closes it). */
static JsonBuilder *health_doc(const char *event, const char *condition, gint64 since,
                               const char *last_error, gint64 now)
{
    g_autofree char *since_s = since ? timefmt_rfc3339(since) : NULL;
    g_autofree char *age = since ? timefmt_left(now - since) : NULL;
    g_autofree char *summary = NULL;
    if (!strcmp(event, "intake_recovered"))
        summary = g_strdup("Problem-report mailbox is being read again");
    else if (!strcmp(condition, "auth_failed"))
        summary = g_strdup_printf("Problem-report mailbox not being read: IMAP authentication "
                                  "failing since %s", since_s);
    else if (!strcmp(condition, "connection_down"))
        summary = g_strdup_printf("Problem-report mailbox not being read: IMAP connection down "
                                  "for %s (since %s)", age, since_s);
    else
        summary = g_strdup_printf("Problem-report mailbox may not be read: no IMAP heartbeat for "
                                  "%s (last %s)", age, since_s);
    JsonBuilder *b = notify_doc_begin(event, summary);
    jsonutil_add_string(b, "condition", condition);
    jsonutil_add_string(b, "since", since_s);
    jsonutil_add_string(b, "last_error", last_error);
    return b;
}

gboolean notify_status_enqueue(Store *store, const Config *cfg, const char *source,
                               const char *event, JsonBuilder *doc, const char *dedup_key,
                               JsonBuilder *details, const char *row_key, gint64 now,
                               GError **error)
{
    g_autofree char *doc_s = notify_doc_end(doc, now, "cpr-intake status", dedup_key);
    json_builder_end_object(details);
    g_autofree char *details_s = jsonutil_builder_to_string(details, FALSE);
    return notify_ops_enqueue(store, cfg, source, event, details_s, "health", row_key, doc_s, now,
                              error);
}

static gboolean enqueue(Store *store, const Config *cfg, const char *event, const char *condition,
                        gint64 since, const char *last_error, const char *row_key, gint64 now,
                        GError **error)
{
    g_autoptr(JsonBuilder) doc = health_doc(event, condition, since, last_error, now);
    g_autoptr(JsonBuilder) details = json_builder_new();
    json_builder_begin_object(details);
    jsonutil_add_string(details, "condition", condition);
    jsonutil_add_time(details, "since", since, TRUE);
    return notify_status_enqueue(store, cfg, "notify", event, doc, INCIDENT_KEY, details, row_key,
                                 now, error);
}

static gboolean run(Store *store, const Config *cfg, gint64 now, guint *n, GError **error)
{
    g_autofree char *conn = NULL, *last_error = NULL, *heartbeat = NULL, *down_since = NULL,
                    *active = NULL;
    gint64 conn_at = 0, err_at = 0, hb_at = 0;
    if (!store_health_get(store, "imap.connection", &conn, &conn_at, error) ||
        !store_health_get(store, "imap.last_error", &last_error, &err_at, error) ||
        !store_health_get(store, "imap.heartbeat", &heartbeat, &hb_at, error) ||
        !store_health_get(store, "notify.down_since", &down_since, NULL, error) ||
        !store_health_get(store, "notify.health_page", &active, NULL, error))
        return FALSE;
    if (!conn)
        return TRUE; /* the listener never ran: nothing to judge */

    const char *condition = NULL;
    gint64 since = 0;
    gboolean healthy = FALSE;
    if (g_str_has_prefix(conn, "down")) {
        guint64 v = 0;
        if (down_since && g_ascii_string_to_unsigned(down_since, 10, 1, G_MAXINT64, &v, NULL))
            since = (gint64)v;
        else {
            since = conn_at;
            g_autofree char *s = g_strdup_printf("%" G_GINT64_FORMAT, since);
            if (!store_health_set(store, "notify.down_since", s, now, error))
                return FALSE;
        }
        if (looks_like_auth(last_error))
            condition = "auth_failed";
        else if (now - since >= cfg->health_down_seconds)
            condition = "connection_down";
    } else if (!strcmp(conn, "connected")) {
        if (down_since && !store_health_set(store, "notify.down_since", NULL, now, error))
            return FALSE;
        gint64 beat = MAX(hb_at, conn_at);
        if (now - beat >= cfg->health_heartbeat_seconds) {
            condition = "heartbeat_silent";
            since = beat;
        } else {
            healthy = TRUE;
        }
    }
    if (condition) {
        g_autofree char *key = g_strdup_printf("health:%s:%" G_GINT64_FORMAT, condition, since);
        if (g_strcmp0(active, key) == 0)
            return TRUE;
        if (!enqueue(store, cfg, "intake_health", condition, since, last_error, key, now, error) ||
            !store_health_set(store, "notify.health_page", key, now, error))
            return FALSE;
        (*n)++;
    } else if (healthy && active) {
        g_autofree char *key = g_strdup_printf("health-ok:%s", active);
        if (!enqueue(store, cfg, "intake_recovered", "ok", 0, NULL, key, now, error) ||
            !store_health_set(store, "notify.health_page", NULL, now, error))
            return FALSE;
        (*n)++;
    }
    return TRUE;
}

gboolean notify_health_run(Store *store, const Config *cfg, gint64 now, guint *enqueued_r,
                           GError **error)
{
    if (!cfg->imap_url)
        return TRUE;
    return notify_job_run(store, cfg, now, run, enqueued_r, error);
}
