/* subscribers.c - recording a case's Subscriber (see subscribers.h). */
#include "subscribers.h"

#include "jsonutil.h"
#include "selfreport.h"

static void selfreport_destroy(SelfReport *s) { selfreport_free(&s); }
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SelfReport, selfreport_destroy)

gboolean subscribers_set(Store *store, gint64 case_id, const char *email, const char *name,
                         const char *actor, gint64 now, GError **error)
{
    sqlite3_stmt *st = store_prepare_id(
        store,
        "INSERT OR REPLACE INTO case_subscribers (case_id, email, name, recorded_at, source, "
        "message_row) VALUES (?, ?, ?, ?, 'set', NULL)",
        case_id, error);
    if (!st)
        return FALSE;
    sqlite3_bind_text(st, 2, email, -1, SQLITE_TRANSIENT);
    if (name)
        sqlite3_bind_text(st, 3, name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 4, now);
    if (!store_step_done(store, st, error))
        return FALSE;
    g_autofree char *details =
        jsonutil_object_of_strings("email", email, "name", name, "source", "set", NULL);
    return store_event_append(store, now, actor, case_id, "subscriber_recorded", details, error);
}

gboolean subscribers_from_report(Store *store, gint64 case_id, gint64 message_row,
                                 const MimeMessage *msg, const Identifiers *ids,
                                 const char *const *ca_domains, gint64 now, GError **error)
{
    g_autoptr(SelfReport) s = selfreport_detect(msg, ids, ca_domains);
    if (!s)
        return TRUE;
    /* an address already recorded (by `case subscriber`, or an earlier report) stays */
    sqlite3_stmt *st = store_prepare_id(
        store,
        "INSERT OR IGNORE INTO case_subscribers (case_id, email, name, recorded_at, source, "
        "message_row) VALUES (?, ?, ?, ?, 'report', ?)",
        case_id, error);
    if (!st)
        return FALSE;
    sqlite3_bind_text(st, 2, s->email, -1, SQLITE_TRANSIENT);
    if (s->name)
        sqlite3_bind_text(st, 3, s->name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 4, now);
    sqlite3_bind_int64(st, 5, message_row);
    if (!store_step_done(store, st, error))
        return FALSE;
    if (sqlite3_changes(store_db(store)) == 0)
        return TRUE;
    g_autofree char *row_s = g_strdup_printf("%" G_GINT64_FORMAT, message_row);
    g_autofree char *details = jsonutil_object_of_strings(
        "email", s->email, "name", s->name, "source", "report", "message_row", row_s,
        "why", "the sender's domain is the certificate's and the report says it is theirs",
        "domain", s->domain, "phrase", s->phrase, NULL);
    return store_event_append(store, now, "intake", case_id, "subscriber_recorded", details,
                              error);
}
