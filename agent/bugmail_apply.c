/* bugmail_apply.c - Bugzilla notification mail meets the case's clocks (see
 * bugmail_apply.h; the reading of the mail is parsers/bugmail.c). */
#include <string.h>

#include "bugmail.h"
#include "bugmail_apply.h"
#include "cases.h"
#include "clocks.h"
#include "cpr_error.h"
#include "jsonutil.h"

gboolean bugmail_find_case(Store *store, const char *bug_id, gint64 *case_id_r, GError **error)
{
    *case_id_r = 0;
    guint64 id = 0;
    if (!bug_id || !g_ascii_string_to_unsigned(bug_id, 10, 1, G_MAXINT64, &id, NULL))
        return TRUE;
    sqlite3_stmt *st =
        store_prepare(store, "SELECT id FROM cases WHERE bug_id = ? ORDER BY id LIMIT 1", error);
    if (!st)
        return FALSE;
    sqlite3_bind_int64(st, 1, (gint64)id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *case_id_r = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        store_set_error(store, error, "case lookup by bug id failed");
        return FALSE;
    }
    return TRUE;
}

/* The CA's names (owner, aliases) and mail domains (configured domains and
 * those of the report addresses), as bugmail.h wants them. */
static void ca_lists(const CaIdentity *ca, GPtrArray *names, GPtrArray *domains)
{
    if (ca->owner)
        g_ptr_array_add(names, (gpointer)ca->owner);
    for (gsize i = 0; ca->aliases && ca->aliases[i]; i++)
        g_ptr_array_add(names, (gpointer)ca->aliases[i]);
    for (gsize i = 0; ca->domains && ca->domains[i]; i++)
        g_ptr_array_add(domains, (gpointer)ca->domains[i]);
    for (gsize i = 0; ca->report_addresses && ca->report_addresses[i]; i++) {
        const char *at = strchr(ca->report_addresses[i], '@');
        if (at && at[1])
            g_ptr_array_add(domains, (gpointer)(at + 1));
    }
    g_ptr_array_add(names, NULL);
    g_ptr_array_add(domains, NULL);
}

static char *details(const char *bug_id, const char *message_id, const char *key,
                     const char *value, int comment)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    jsonutil_add_string(b, "bug_id", bug_id);
    jsonutil_add_string(b, "message_id", message_id);
    jsonutil_add_string(b, key, value);
    if (comment > 0)
        jsonutil_add_int(b, "comment", comment);
    json_builder_end_object(b);
    return jsonutil_builder_to_string(b, FALSE);
}

gboolean bugmail_apply(Store *store, const CaIdentity *ca, const MimeMessage *msg,
                       const char *bug_id, gint64 case_id, gint64 at, GError **error)
{
    g_autoptr(GPtrArray) names = g_ptr_array_new();
    g_autoptr(GPtrArray) domains = g_ptr_array_new();
    ca_lists(ca, names, domains);
    BugmailInput in = {
        .flags = mime_message_header(msg, "X-Bugzilla-Flags"),
        .changed_fields = mime_message_header(msg, "X-Bugzilla-Changed-Fields"),
        .who = mime_message_header(msg, "X-Bugzilla-Who"),
        .whiteboard = mime_message_header(msg, "X-Bugzilla-Whiteboard"),
        .text = msg->text,
        .ca_names = (const char *const *)names->pdata,
        .ca_domains = (const char *const *)domains->pdata,
    };
    BugmailFacts *f = bugmail_parse(&in);
    gboolean ok = FALSE;
    g_autoptr(CaseRow) c = NULL;
    if (f->question == BUGMAIL_QUESTION_NONE && !f->has_next_update) {
        ok = TRUE;
        goto out;
    }
    c = cases_load_id(store, case_id, error);
    if (!c)
        goto out;
    if (f->question != BUGMAIL_QUESTION_NONE) {
        g_autofree char *d = details(bug_id, msg->message_id, "how",
                                     bugmail_question_name(f->question), f->comment_number);
        if (!store_event_append(store, at, "intake", case_id, "question_asked", d, error) ||
            !clocks_on_event(store, case_id, c->problem, "question_asked", at, NULL, error))
            goto out;
    }
    if (f->has_next_update) {
        /* The date the CA committed to on the bug replaces the 7-day rhythm
         * until the next update restarts it (clocks.c, bug_updated). */
        sqlite3_stmt *st = store_prepare(
            store,
            "UPDATE clocks SET starts_at = coalesce(starts_at, ?1), due_at = ?2, met_at = NULL "
            "WHERE case_id = ?3 AND clock = 'bug_update'",
            error);
        if (!st)
            goto out;
        sqlite3_bind_int64(st, 1, MIN(at, f->next_update));
        sqlite3_bind_int64(st, 2, f->next_update);
        sqlite3_bind_int64(st, 3, case_id);
        if (!store_step_done(store, st, error))
            goto out;
        g_autofree char *d = details(bug_id, msg->message_id, "next_update", f->next_update_date, 0);
        if (!store_event_append(store, at, "intake", case_id, "bug_update_due_set", d, error))
            goto out;
    }
    ok = TRUE;
out:
    bugmail_facts_free(&f);
    return ok;
}
