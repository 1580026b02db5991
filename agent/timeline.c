/* timeline.c - markdown timelines of cases (see timeline.h). */
#include <string.h>

#include <json-glib/json-glib.h>

#include "timeline.h"
#include "case_redaction.h"
#include "cases.h"
#include "clocks.h"
#include "cpr_error.h"
#include "mdescape.h"
#include "timefmt.h"

/* What each audit event means, in a report's words. NULL: not shown (the
 * bookkeeping of the tool itself). */
typedef struct {
    const char *type;
    const char *text;
} EventText;

static const EventText EVENT_TEXT[] = {
    {"case_opened", "Case opened by cpr-intake"},
    {"message_joined_case", "Further message received on the case"},
    {"notification_delivered", "Notification delivered"},
    {"notification_failed", "Notification could not be delivered"},
    {"escalation_fired", "Escalation page"},
    {"acknowledgement_queued", NULL},
    {"acknowledgement_not_sent", NULL},
    {"notification_text_withheld", NULL},
    {"acknowledged", "On-call acknowledged the report"},
    {"actionable", "Enough information to act (certificate and reason identified)"},
    {"preliminary_report_sent", "Preliminary report sent to the reporter and the Subscriber"},
    {"subscriber_notified", "Subscriber notified"},
    {"confirmed", "Problem confirmed"},
    {"revoked", "Certificate(s) revoked"},
    {"disclosed", "Incident disclosed on Bugzilla"},
    {"bug_filed", "Bugzilla bug filed"},
    {"contained", "Incident contained"},
    {"bug_updated", "Bugzilla bug updated"},
    {"question_asked", "Question asked on the bug"},
    {"question_answered", "Question on the bug answered"},
    {"full_report_posted", "Full Incident Report posted"},
    {"closed", "Case closed"},
    {"reopened", "Case reopened"},
    {"note", "Note"},
    {"revocation_delayed", "Revocation will not be completed by its deadline"},
    {"reason_changed", "Revocation reason (BR 4.9.1.1) determined"},
    {"incident_decided", "Incident determination recorded"},
    {"incident_declared", "Incident declared: a BR 4.9.5 deadline was missed"},
    {"clock_missed", "Deadline missed"},
    {"delayed_revocation_opened", "Delayed-revocation incident opened"},
    {"bug_comment_by_ca", "The CA commented on the bug"},
    {"bug_update_due_set", "Next update date set on the bug"},
    {"bug_linked", "Bugzilla bug linked to the case"},
    {"clocks_migrated", NULL},
};

static const EventText *event_text(const char *type)
{
    for (gsize i = 0; i < G_N_ELEMENTS(EVENT_TEXT); i++)
        if (!strcmp(EVENT_TEXT[i].type, type))
            return &EVENT_TEXT[i];
    return NULL;
}

static const char *member(JsonObject *o, const char *name)
{
    JsonNode *n = o ? json_object_get_member(o, name) : NULL;
    return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING
               ? json_node_get_string(n) : NULL;
}

/* One table cell: redacted first (escaping could hide an address from the
 * matcher), then escaped for markdown on one line (mdescape escapes '|'). */
static gboolean cell(GString *out, const CaseRedaction *cr, const char *text, const char *name,
                     GError **error)
{
    g_autofree char *clean = case_redaction_apply(cr, text, name, error);
    if (!clean)
        return FALSE;
    g_autofree char *esc = mdescape_inline(clean);
    g_string_append(out, esc);
    return TRUE;
}

static char *describe(const char *type, const char *actor, const char *details)
{
    const EventText *et = event_text(type);
    if (et && !et->text)
        return NULL;
    g_autoptr(JsonParser) p = json_parser_new();
    JsonObject *o = NULL;
    if (details && json_parser_load_from_data(p, details, -1, NULL) &&
        JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p)))
        o = json_node_get_object(json_parser_get_root(p));
    GString *s = g_string_new(et ? et->text : type);
    if (!et)
        g_strdelimit(s->str, "_", ' ');
    if (!strcmp(type, "notification_delivered") || !strcmp(type, "notification_failed")) {
        const char *kind = member(o, "kind");
        if (!g_strcmp0(kind, "ack_mail"))
            g_string_assign(s, !strcmp(type, "notification_delivered")
                                   ? "Acknowledgement delivered to the reporter"
                                   : "Acknowledgement to the reporter could not be delivered");
        else
            g_string_append_printf(s, " to on-call (%s, %s)", member(o, "target"), kind);
    } else if (!strcmp(type, "escalation_fired") && o) {
        g_string_append_printf(s, ": %s at %" G_GINT64_FORMAT "%% of its window",
                               member(o, "clock"), json_object_get_int_member_with_default(o, "point", 0));
    } else if (!strcmp(type, "message_joined_case")) {
        const char *kind = member(o, "kind");
        if (kind)
            g_string_append_printf(s, " (%s)", kind);
    } else if (!strcmp(type, "case_opened")) {
        const char *problem = member(o, "problem");
        if (problem)
            g_string_append_printf(s, " (%s)", problem);
    }
    const char *by = member(o, "by");
    if (by)
        g_string_append_printf(s, ", by %s", by);
    else if (et && strcmp(actor, "intake") && strcmp(actor, "notify") && strcmp(actor, "operator") &&
             event_text(type) && !g_str_has_prefix(type, "notification") &&
             strcmp(type, "escalation_fired"))
        g_string_append_printf(s, ", by %s", actor);
    const char *note = member(o, "note");
    if (note)
        g_string_append_printf(s, ". Note: %s", note);
    return g_string_free(s, FALSE);
}

static gboolean flush_group(GString *md, const CaseRedaction *cr, GString *group,
                            GString *targets, const char *name, GError **error)
{
    const char *bar = strchr(group->str, '|');
    g_autofree char *at = g_strndup(group->str, (gsize)(bar - group->str));
    g_autofree char *text = g_strdup_printf("On-call notified (%s): %s", bar + 1, targets->str);
    g_string_append_printf(md, "| %s | ", at);
    gboolean ok = cell(md, cr, text, name, error);
    g_string_append(md, " |\n");
    g_string_truncate(group, 0);
    g_string_truncate(targets, 0);
    return ok;
}

static gboolean case_timeline(Store *store, const Config *cfg, gint64 case_id, gint64 since,
                              GString *out, GError **error)
{
    g_autoptr(CaseRow) c = cases_load_id(store, case_id, error);
    if (!c)
        return FALSE;
    g_autoptr(CaseRedaction) cr = case_redaction_new(store, cfg, case_id, error);
    if (!cr)
        return FALSE;
    g_autofree char *name = g_strdup_printf("case %s timeline markdown", c->reference);
    g_autoptr(GString) md = g_string_new(NULL);
    g_string_append_printf(md, "### Timeline: %s\n\n", c->reference);
    g_string_append(md, "All times are UTC.\n\n| Time (UTC) | Event |\n| --- | --- |\n");
    g_autofree char *aware = timefmt_minute(c->aware_at);
    g_string_append_printf(md, "| %s | Report received by the CA's mail server: the CA became "
                               "aware (%s; source: %s) |\n",
                           aware, c->kind, c->aware_source);
    sqlite3_stmt *st = store_prepare_id(
        store,
        "SELECT at, actor, type, details FROM events WHERE case_id = ? AND at >= ? ORDER BY at, id",
        case_id, error);
    if (!st)
        return FALSE;
    sqlite3_bind_int64(st, 2, since);
    /* Deliveries of one page to several targets in the same minute are one
     * row: "On-call notified (escalation): hook, pd". */
    g_autoptr(GString) group = g_string_new(NULL); /* "minute|kind" */
    g_autoptr(GString) targets = g_string_new(NULL);
    int rc;
    gboolean ok = TRUE;
    while (ok && (rc = store_step(store, st, error)) == STORE_ROW) {
        const char *type = (const char *)sqlite3_column_text(st, 2);
        const char *details = (const char *)sqlite3_column_text(st, 3);
        g_autofree char *at = timefmt_minute(sqlite3_column_int64(st, 0));
        g_autofree char *kind = NULL, *target = NULL;
        if (!strcmp(type, "notification_delivered")) {
            g_autoptr(JsonParser) p = json_parser_new();
            if (details && json_parser_load_from_data(p, details, -1, NULL) &&
                JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p))) {
                JsonObject *o = json_node_get_object(json_parser_get_root(p));
                kind = g_strdup(member(o, "kind"));
                target = g_strdup(member(o, "target"));
            }
        }
        g_autofree char *key = g_strdup_printf("%s|%s", at, kind ? kind : "");
        if (group->len && (!target || g_strcmp0(kind, "ack_mail") == 0 || strcmp(group->str, key))) {
            ok = flush_group(md, cr, group, targets, name, error);
        }
        if (ok && target && g_strcmp0(kind, "ack_mail") != 0) {
            g_string_assign(group, key);
            g_string_append_printf(targets, "%s%s", targets->len ? ", " : "", target);
            continue;
        }
        g_autofree char *text = describe(type, (const char *)sqlite3_column_text(st, 1), details);
        if (!ok || !text)
            continue;
        g_string_append_printf(md, "| %s | ", at);
        ok = cell(md, cr, text, name, error);
        g_string_append(md, " |\n");
    }
    sqlite3_reset(st);
    if (ok && rc == STORE_ERROR)
        ok = FALSE; /* store_step() set the error */
    if (ok && group->len)
        ok = flush_group(md, cr, group, targets, name, error);
    if (!ok)
        return FALSE;
    if (rc != STORE_DONE) {
        g_prefix_error(error, "timeline: cannot read events: ");
        return FALSE;
    }

    g_string_append(md, "\n| Deadline | Rule | Due (UTC) | Met (UTC) |\n| --- | --- | --- | --- |\n");
    st = store_prepare_id(store,
                          "SELECT clock, due_at, coalesce(met_at, 0), rule, withdrawn FROM clocks "
                          "WHERE case_id = ? ORDER BY due_at, clock, ref",
                          case_id, error);
    if (!st)
        return FALSE;
    while ((rc = store_step(store, st, error)) == STORE_ROW) {
        const char *clock = (const char *)sqlite3_column_text(st, 0);
        const char *rule = (const char *)sqlite3_column_text(st, 3);
        gint64 due = sqlite3_column_int64(st, 1), met = sqlite3_column_int64(st, 2);
        /* the wall clock: a timeline is read now */
        ClockStatus status = clocks_status(due, met, sqlite3_column_int(st, 4),
                                           g_get_real_time() / G_USEC_PER_SEC);
        g_autofree char *due_s = timefmt_minute(due);
        g_autofree char *met_s = met ? timefmt_minute(met) : g_strdup("not met");
        g_string_append_printf(md, "| %s | %s | %s | %s (%s) |\n", clock, rule ? rule : "", due_s,
                               met_s, clocks_status_name(status));
    }
    sqlite3_reset(st);
    if (rc != STORE_DONE) {
        g_prefix_error(error, "timeline: cannot read clocks: ");
        return FALSE;
    }
    /* Fail closed over the whole table too. */
    if (!case_redaction_check(cr, md->str, name, error))
        return FALSE;
    g_string_append(out, md->str);
    g_string_append_c(out, '\n');
    return TRUE;
}

gboolean timeline_markdown(Store *store, const Config *cfg, gint64 case_id, gint64 since,
                           GString *out, GError **error)
{
    if (case_id > 0)
        return case_timeline(store, cfg, case_id, since, out, error);
    sqlite3_stmt *st = store_prepare(
        store, "SELECT id FROM cases WHERE id IN (SELECT case_id FROM events WHERE at >= ?) "
               "ORDER BY aware_at, id",
        error);
    if (!st)
        return FALSE;
    sqlite3_bind_int64(st, 1, since);
    g_autoptr(GArray) ids = g_array_new(FALSE, FALSE, sizeof(gint64));
    if (!store_int64s(store, st, ids, error)) {
        g_prefix_error(error, "timeline: cannot list cases: ");
        return FALSE;
    }
    for (guint i = 0; i < ids->len; i++)
        if (!case_timeline(store, cfg, g_array_index(ids, gint64, i), since, out, error))
            return FALSE;
    return TRUE;
}
