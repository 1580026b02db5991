/* bugzilla_confirm.c - relaxing claims of Bugzilla mail, read back through
 * the REST API (bugzilla_confirm.h). */
#include <string.h>

#include <json-glib/json-glib.h>

#include "bugmail.h"
#include "bugzilla.h"
#include "bugzilla_confirm.h"
#include "clocks.h"
#include "cpr_error.h"
#include "jsonutil.h"
#include "logging.h"

/* After a failed read, the next attempt of this process. */
#define RETRY_SECONDS 300
static gint64 retry_after;

typedef struct {
    gint64 event_id, case_id, at, bug_id;
    gint64 case_bug_id; /* the bug linked to the case; 0 when none */
    char *type;        /* bug_update_due_set | bug_resolved */
    char *next_update; /* "YYYY-MM-DD" for bug_update_due_set */
    char *message_id;
} Claim;

static void claim_free(gpointer p)
{
    Claim *c = p;
    g_free(c->type);
    g_free(c->next_update);
    g_free(c->message_id);
    g_free(c);
}

/* The unconfirmed claims that no later event answered yet. */
static gboolean pending_claims(Store *store, GPtrArray *out, GError **error)
{
    sqlite3_stmt *st = store_prepare(
        store,
        "SELECT e.id, e.case_id, e.at, e.type, json_extract(e.details, '$.bug_id'), "
        "json_extract(e.details, '$.next_update'), json_extract(e.details, '$.message_id'), "
        "coalesce((SELECT bug_id FROM cases k WHERE k.id = e.case_id), 0) "
        "FROM events e WHERE e.type IN ('bug_update_due_set', 'bug_resolved') "
        "AND json_extract(e.details, '$.confirmed') = 'no' AND e.case_id IS NOT NULL "
        "AND NOT EXISTS (SELECT 1 FROM events c WHERE c.case_id = e.case_id "
        "  AND c.type IN ('bug_update_due_set', 'bug_resolved', 'bug_update_due_refused', "
        "  'bug_claim_not_confirmed') AND json_extract(c.details, '$.confirms') = e.id) "
        "ORDER BY e.id",
        error);
    if (!st)
        return FALSE;
    int rc;
    while ((rc = store_step(store, st, error)) == STORE_ROW) {
        g_autofree char *bug = store_column_dup(st, 4);
        guint64 bug_id = 0;
        if (!bug || !g_ascii_string_to_unsigned(bug, 10, 1, G_MAXINT64, &bug_id, NULL))
            continue;
        Claim *c = g_new0(Claim, 1);
        c->event_id = sqlite3_column_int64(st, 0);
        c->case_id = sqlite3_column_int64(st, 1);
        c->at = sqlite3_column_int64(st, 2);
        c->type = store_column_dup(st, 3);
        c->bug_id = (gint64)bug_id;
        c->next_update = store_column_dup(st, 5);
        c->message_id = store_column_dup(st, 6);
        c->case_bug_id = sqlite3_column_int64(st, 7);
        g_ptr_array_add(out, c);
    }
    return rc == STORE_DONE;
}

static gboolean is_resolved(const BugzillaBug *b)
{
    return (!g_strcmp0(b->status, "RESOLVED") || !g_strcmp0(b->status, "VERIFIED") ||
            !g_strcmp0(b->status, "CLOSED")) &&
           b->resolution && *b->resolution;
}

/* What the bug says about the claim: the event to record and its details.
 * `b` NULL: the claim is about a bug the case is not linked to. */
static const char *answer(const Claim *c, const BugzillaBug *b, JsonBuilder *jb)
{
    json_builder_begin_object(jb);
    g_autofree char *bug = g_strdup_printf("%" G_GINT64_FORMAT, c->bug_id);
    jsonutil_add_string(jb, "bug_id", bug);
    jsonutil_add_string(jb, "message_id", c->message_id);
    jsonutil_add_int(jb, "confirms", c->event_id);
    const char *type;
    if (!b) {
        /* mail that joined the case by its thread, about another bug: that
         * bug's state says nothing about this case's obligations */
        type = "bug_claim_not_confirmed";
        jsonutil_add_string(jb, "claim", c->type);
        jsonutil_add_string(jb, "reason", "the case is not linked to this bug");
    } else if (!strcmp(c->type, "bug_update_due_set")) {
        gint64 day = 0;
        g_autofree char *date = NULL;
        gboolean has = bugmail_next_update(b->whiteboard, &day, &date);
        jsonutil_add_string(jb, "next_update", c->next_update);
        if (has && !g_strcmp0(date, c->next_update) && day > c->at + 366 * 86400) {
            type = "bug_update_due_refused";
            jsonutil_add_string(jb, "confirmed", "rest");
            jsonutil_add_string(jb, "refused", "more than a year ahead");
        } else if (has && !g_strcmp0(date, c->next_update)) {
            type = "bug_update_due_set";
            jsonutil_add_string(jb, "confirmed", "rest");
        } else {
            type = "bug_claim_not_confirmed";
            jsonutil_add_string(jb, "claim", c->type);
            jsonutil_add_string(jb, "bug_next_update", has ? date : NULL);
        }
    } else if (is_resolved(b)) {
        type = "bug_resolved";
        jsonutil_add_string(jb, "confirmed", "rest");
        jsonutil_add_string(jb, "status", b->status);
        jsonutil_add_string(jb, "resolution", b->resolution);
    } else {
        type = "bug_claim_not_confirmed";
        jsonutil_add_string(jb, "claim", c->type);
        jsonutil_add_string(jb, "bug_status", b->status);
        jsonutil_add_string(jb, "bug_resolution", b->resolution);
    }
    json_builder_end_object(jb);
    return type;
}

/* Record the answer to one claim and recompute its case's clocks. */
static gboolean record(Store *store, const Claim *c, const BugzillaBug *b, gboolean *confirmed_r,
                       GError **error)
{
    g_autoptr(JsonBuilder) jb = json_builder_new();
    const char *type = answer(c, b, jb);
    g_autofree char *d = jsonutil_builder_to_string(jb, FALSE);
    *confirmed_r = !strcmp(type, c->type);
    if (!store_begin(store, error))
        return FALSE;
    /* at the claim's own time: it takes the claim's place among the case's
     * events (recorded_at tells when it was read back) */
    if (!store_event_append(store, c->at, "bugzilla", c->case_id, type, d, error) ||
        !clocks_refresh(store, c->case_id, NULL, error) || !store_commit(store, error)) {
        store_rollback(store);
        return FALSE;
    }
    g_message("event=bugzilla_claim_%s case=%" G_GINT64_FORMAT " bug=%" G_GINT64_FORMAT
              " claim=%s confirms=%" G_GINT64_FORMAT,
              *confirmed_r ? "confirmed" : "not_confirmed", c->case_id, c->bug_id, c->type,
              c->event_id);
    return TRUE;
}

gboolean bugzilla_confirm_run(Store *store, const Config *cfg, gint64 now,
                              BugzillaConfirmStats *stats_r, GError **error)
{
    BugzillaConfirmStats local = {0};
    BugzillaConfirmStats *stats = stats_r ? stats_r : &local;
    if (!cfg->bugzilla_url || (retry_after && now < retry_after))
        return TRUE;
    g_autoptr(GPtrArray) claims = g_ptr_array_new_with_free_func(claim_free);
    if (!pending_claims(store, claims, error))
        return FALSE;
    if (!claims->len)
        return TRUE;
    BugzillaOptions opt = bugzilla_options_from_config(cfg);
    GError *e = NULL;
    BugzillaClient *client = bugzilla_client_new(cfg, &opt, &e);
    if (!client) {
        g_autofree char *why = log_value(e->message);
        g_warning("event=bugzilla_confirm_failed pending=%u error=%s retry_in_s=%d",
                  claims->len, why, RETRY_SECONDS);
        g_clear_error(&e);
        stats->failed++;
        retry_after = now + RETRY_SECONDS;
        return TRUE;
    }
    gboolean ok = TRUE;
    /* claims are in event order: a bug is read again only when another
     * bug's claim came between */
    BugzillaBug cache[1] = {{0}};
    gint64 cached = 0;
    for (guint i = 0; i < claims->len && ok; i++) {
        const Claim *c = claims->pdata[i];
        gboolean confirmed = FALSE;
        if (c->bug_id != c->case_bug_id) {
            ok = record(store, c, NULL, &confirmed, error);
            stats->not_confirmed += ok;
            continue;
        }
        if (c->bug_id != cached) {
            bugzilla_bug_clear(cache);
            cached = 0;
            if (!bugzilla_get_bug(client, c->bug_id, cache, &e)) {
                g_autofree char *why = log_value(e->message);
                g_warning("event=bugzilla_confirm_failed bug=%" G_GINT64_FORMAT
                          " error=%s retry_in_s=%d", c->bug_id, why, RETRY_SECONDS);
                g_clear_error(&e);
                stats->failed++;
                retry_after = now + RETRY_SECONDS;
                break; /* the claims stay unconfirmed; read again later */
            }
            cached = c->bug_id;
        }
        ok = record(store, c, cache, &confirmed, error);
        if (ok && confirmed)
            stats->confirmed++;
        else if (ok)
            stats->not_confirmed++;
    }
    bugzilla_bug_clear(cache);
    bugzilla_client_free(&client);
    return ok;
}
