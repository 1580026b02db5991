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
    int rc = store_step(store, st, error);
    if (rc == STORE_ROW)
        *case_id_r = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    if (rc == STORE_ERROR) {
        g_prefix_error(error, "case lookup by bug id failed: ");
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
    if (comment > 0) {
        jsonutil_add_int(b, "comment", comment);
        jsonutil_add_int(b, "ref", comment);
    }
    json_builder_end_object(b);
    return jsonutil_builder_to_string(b, FALSE);
}

/* Has case `case_id` already recorded event `type` for comment `ref`? Each
 * question (and each of the CA's comments) counts once, however many
 * notification mails carry it. */
static gboolean seen_comment(Store *store, gint64 case_id, const char *type, int ref,
                             gboolean *seen_r, GError **error)
{
    *seen_r = FALSE;
    if (ref <= 0)
        return TRUE;
    sqlite3_stmt *st = store_prepare(
        store,
        "SELECT 1 FROM events WHERE case_id = ? AND type = ? AND "
        "json_extract(details, '$.ref') = ? LIMIT 1",
        error);
    if (!st)
        return FALSE;
    sqlite3_bind_int64(st, 1, case_id);
    sqlite3_bind_text(st, 2, type, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, ref);
    int rc = store_step(store, st, error);
    *seen_r = rc == STORE_ROW;
    sqlite3_reset(st);
    if (rc == STORE_ERROR) {
        g_prefix_error(error, "cannot look up the bug's comments: ");
        return FALSE;
    }
    return TRUE;
}

static gboolean has_event(Store *store, gint64 case_id, const char *type, gboolean *seen_r,
                          GError **error)
{
    sqlite3_stmt *st =
        store_prepare(store, "SELECT 1 FROM events WHERE case_id = ? AND type = ? LIMIT 1", error);
    if (!st)
        return FALSE;
    sqlite3_bind_int64(st, 1, case_id);
    sqlite3_bind_text(st, 2, type, -1, SQLITE_STATIC);
    int rc = store_step(store, st, error);
    *seen_r = rc == STORE_ROW;
    sqlite3_reset(st);
    if (rc == STORE_ERROR) {
        g_prefix_error(error, "cannot read the case's events: ");
        return FALSE;
    }
    return TRUE;
}

gboolean bugmail_apply(Store *store, const CaIdentity *ca, const char *const *ca_accounts,
                       const MimeMessage *msg, const char *bug_id, gint64 case_id, gint64 at,
                       GError **error)
{
    g_autoptr(GPtrArray) names = g_ptr_array_new();
    g_autoptr(GPtrArray) domains = g_ptr_array_new();
    ca_lists(ca, names, domains);
    /* ca_lists() ended `domains` with NULL: the accounts go before it */
    g_ptr_array_remove_index(domains, domains->len - 1);
    for (gsize i = 0; ca_accounts && ca_accounts[i]; i++)
        g_ptr_array_add(domains, (gpointer)ca_accounts[i]);
    g_ptr_array_add(domains, NULL);
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
    gboolean ok = FALSE, seen = FALSE, changed = FALSE;
    /* The comment's own time when it is earlier than the receipt. */
    gint64 when = f->comment_at > 0 && f->comment_at < at ? f->comment_at : at;
    if (f->has_comment && f->by_ca && f->comment_number == 0) {
        /* Comment 0 by the CA: the CA filed this bug (outside this tool). */
        if (!has_event(store, case_id, "bug_filed", &seen, error))
            goto out;
        if (!seen) {
            g_autofree char *d = details(bug_id, msg->message_id, "how", "comment 0 by the CA", 0);
            if (!store_event_append(store, when, "intake", case_id, "bug_filed", d, error))
                goto out;
            changed = TRUE;
        }
    } else if (f->has_comment && f->by_ca) {
        if (!seen_comment(store, case_id, "bug_comment_by_ca", f->comment_number, &seen, error))
            goto out;
        if (!seen) {
            g_autofree char *d = details(bug_id, msg->message_id, "how", "the CA's own comment",
                                         f->comment_number);
            if (!store_event_append(store, when, "intake", case_id, "bug_comment_by_ca", d, error))
                goto out;
            changed = TRUE;
        }
    }
    if (f->question != BUGMAIL_QUESTION_NONE) {
        if (!seen_comment(store, case_id, "question_asked", f->comment_number, &seen, error))
            goto out;
        if (!seen) {
            g_autofree char *d = details(bug_id, msg->message_id, "how",
                                         bugmail_question_name(f->question), f->comment_number);
            if (!store_event_append(store, when, "intake", case_id, "question_asked", d, error))
                goto out;
            changed = TRUE;
        }
    }
    if (f->has_next_update) {
        /* The date committed to on the bug: the update is due at the end of
         * that day (clocks.c). Mail is not Bugzilla: until the date is read
         * back through the REST API it is unconfirmed, and then it may only
         * make the update due earlier; a date more than a year ahead is no
         * plan at all and is refused. */
        gboolean too_far = f->next_update > at + 366 * 86400;
        g_autoptr(JsonBuilder) b = json_builder_new();
        json_builder_begin_object(b);
        jsonutil_add_string(b, "bug_id", bug_id);
        jsonutil_add_string(b, "message_id", msg->message_id);
        jsonutil_add_string(b, "next_update", f->next_update_date);
        jsonutil_add_string(b, "confirmed", "no");
        if (too_far)
            jsonutil_add_string(b, "refused", "more than a year ahead");
        json_builder_end_object(b);
        g_autofree char *d = jsonutil_builder_to_string(b, FALSE);
        if (!store_event_append(store, at, "intake", case_id,
                                too_far ? "bug_update_due_refused" : "bug_update_due_set", d, error))
            goto out;
        changed = changed || !too_far;
    }
    if (f->resolution || f->reopened) {
        /* A reopened bug owes updates again at once; a resolution ends them
         * only once the bug, read through the REST API, is resolved
         * (bugzilla_confirm.c): until then it is recorded, unconfirmed. */
        g_autoptr(JsonBuilder) b = json_builder_new();
        json_builder_begin_object(b);
        jsonutil_add_string(b, "bug_id", bug_id);
        jsonutil_add_string(b, "message_id", msg->message_id);
        if (f->resolution) {
            jsonutil_add_string(b, "resolution", f->resolution);
            jsonutil_add_string(b, "confirmed", "no");
        }
        json_builder_end_object(b);
        g_autofree char *d = jsonutil_builder_to_string(b, FALSE);
        if (!store_event_append(store, at, "intake", case_id,
                                f->reopened ? "bug_reopened" : "bug_resolved", d, error))
            goto out;
        changed = changed || f->reopened;
    }
    if (changed && !clocks_refresh(store, case_id, NULL, error))
        goto out;
    ok = TRUE;
out:
    bugmail_facts_free(&f);
    return ok;
}
