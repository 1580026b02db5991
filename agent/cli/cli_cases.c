/* cli_cases.c - `list`, `show` and `deadlines`: reading cases (`event`, what
 * people did, is cli_event.c). */
#include <stdio.h>
#include <string.h>

#include "cases.h"
#include "cli.h"
#include "clocks.h"
#include "cpr_error.h"
#include "jsonutil.h"
#include "obligations.h"
#include "reasons.h"
#include "timefmt.h"

/* The soonest unmet clock of a case (missed ones first: they are due
 * earliest): STORE_ROW, STORE_DONE when it has none, or STORE_ERROR. */
static int next_deadline(Store *store, gint64 case_id, char **clock_r, gint64 *due_r,
                         GError **error)
{
    sqlite3_stmt *st = store_prepare_id(
        store,
        "SELECT clock, due_at FROM clocks WHERE case_id = ? AND met_at IS NULL AND withdrawn = 0 "
        "ORDER BY due_at, clock, ref LIMIT 1",
        case_id, error);
    if (!st)
        return STORE_ERROR;
    int rc = store_step(store, st, error);
    if (rc == STORE_ROW) {
        *clock_r = store_column_dup(st, 0);
        *due_r = sqlite3_column_int64(st, 1);
        sqlite3_reset(st);
    }
    return rc;
}

/* The case's reason as list and show print it. The case row holds the
 * stored reason; only the revocation clock's window is read here. */
typedef struct {
    int reason;               /* REASON_NONE, REASON_ASSUMED or a row */
    const char *source;       /* the CaseRow's */
    gint64 revocation_window; /* hours from the revocation clock; 0 none */
} CaseFacts;

static gboolean load_case_facts(Store *store, const CaseRow *c, CaseFacts *f, GError **error)
{
    int n = c->revocation_reason;
    f->source = c->reason_source;
    f->reason = !f->source ? REASON_NONE : (reasons_row(n) ? n : REASON_ASSUMED);
    gint64 starts = 0, due = 0;
    if (!obligations_revocation_clock(store, c->id, &starts, &due, error))
        return FALSE;
    f->revocation_window = (due - starts) / 3600;
    return TRUE;
}

static const char *facts_reason_name(const CaseFacts *f)
{
    const ReasonRow *row = reasons_row(f->reason);
    return row ? row->name : (f->reason == REASON_ASSUMED ? "assumed" : NULL);
}

/* SPEC 3.2 revocation_reason: null when the case concerns no certificate. */
static void add_reason_json(JsonBuilder *b, const CaseFacts *f)
{
    json_builder_set_member_name(b, "revocation_reason");
    if (f->reason == REASON_NONE) {
        json_builder_add_null_value(b);
        return;
    }
    const ReasonRow *row = reasons_row(f->reason);
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "number");
    if (row)
        json_builder_add_int_value(b, row->number);
    else
        json_builder_add_null_value(b);
    jsonutil_add_string(b, "name", facts_reason_name(f));
    /* the window of the revocation clock (7 days for a subordinate CA);
     * null when none runs (short-lived or another CA's certificates) */
    json_builder_set_member_name(b, "window_hours");
    if (f->revocation_window)
        json_builder_add_int_value(b, f->revocation_window);
    else
        json_builder_add_null_value(b);
    jsonutil_add_string(b, "crl_reason", row ? row->crl_reason : NULL);
    jsonutil_add_string(b, "source", f->source);
    json_builder_end_object(b);
}

/* The members `list` and `show` both give a case, in this order; `show`
 * adds the title. `aware` is the aware_at text. */
static void add_case_json(JsonBuilder *b, const CaseRow *c, const char *aware, const CaseFacts *f,
                          gboolean title)
{
    jsonutil_add_int(b, "case_id", c->id);
    jsonutil_add_string(b, "reference", c->reference);
    jsonutil_add_string(b, "kind", c->kind);
    jsonutil_add_string(b, "list", c->list);
    jsonutil_add_string(b, "problem", c->problem);
    jsonutil_add_string(b, "status", c->status);
    if (title)
        jsonutil_add_string(b, "title", c->title);
    jsonutil_add_string(b, "aware_at", aware);
    jsonutil_add_string(b, "aware_source", c->aware_source);
    add_reason_json(b, f);
    jsonutil_add_string(b, "incident", c->incident);
}

int cli_list(CliContext *ctx, int argc, char **argv)
{
    gboolean json = FALSE, open_only = FALSE, triage = FALSE;
    g_autofree char *sort = NULL;
    GOptionEntry entries[] = {
        {"json", 0, 0, G_OPTION_ARG_NONE, &json, "a JSON array", NULL},
        {"open", 0, 0, G_OPTION_ARG_NONE, &open_only, "open cases only", NULL},
        {"sort", 0, 0, G_OPTION_ARG_STRING, &sort, "deadline | aware (default) | reference",
         "KEY"},
        {"triage", 0, 0, G_OPTION_ARG_NONE, &triage, "mail to a report address that opened no case, unreviewed", NULL},
        {NULL},
    };
    if (!cli_parse_options("list", "", entries, &argc, &argv))
        return CLI_USAGE;
    if (triage)
        return cli_triage_list(ctx, json);
    /* issue 18: the soonest next deadline first (cases without one last) */
    static const char *const SORTS[][2] = {
        {"aware", "SELECT id FROM cases WHERE (?1 = 0 OR status = 'open') ORDER BY aware_at, id"},
        {"reference", "SELECT id FROM cases WHERE (?1 = 0 OR status = 'open') "
                      "ORDER BY year, seq, id"},
        {"deadline", "SELECT id, CASE WHEN status = 'open' THEN (SELECT min(k.due_at) FROM clocks k "
                     "WHERE k.case_id = cases.id AND k.met_at IS NULL AND k.withdrawn = 0) END AS d "
                     "FROM cases WHERE (?1 = 0 OR status = 'open') "
                     "ORDER BY d IS NULL, d, aware_at, id"},
    };
    const char *sql = NULL;
    for (gsize i = 0; i < G_N_ELEMENTS(SORTS); i++)
        if (!g_strcmp0(sort ? sort : "aware", SORTS[i][0]))
            sql = SORTS[i][1];
    if (!sql) {
        cli_error("list: --sort must be deadline, aware or reference, not \"%s\"", sort);
        return CLI_USAGE;
    }
    gboolean colour = !json && cli_colour();
    int exit_status = CLI_OK;
    sqlite3_stmt *st = cli_query(ctx, NULL, sql, &exit_status);
    if (!st)
        return exit_status;
    sqlite3_bind_int(st, 1, open_only);
    Store *store = ctx->store;
    GError *error = NULL;
    g_autoptr(GArray) ids = g_array_new(FALSE, FALSE, sizeof(gint64));
    if (!store_int64s(store, st, ids, &error))
        return cli_fail("list", error);

    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_array(b);
    if (!json)
        printf("%-4s %-14s %-18s %-15s %-22s %-12s %-20s %-6s %-29s %s\n", "ID", "REFERENCE",
               "KIND", "PROBLEM", "REASON", "INCIDENT", "AWARE (UTC)", "STATUS", "NEXT DEADLINE",
               "TIME LEFT");
    for (guint i = 0; i < ids->len; i++) {
        g_autoptr(CaseRow) c = cases_load_id(store, g_array_index(ids, gint64, i), &error);
        if (!c)
            return cli_store_fail(error);
        g_autofree char *clock = NULL;
        gint64 due = 0;
        gboolean has_next = FALSE;
        if (g_strcmp0(c->status, "open") == 0) {
            int n = next_deadline(store, c->id, &clock, &due, &error);
            if (n == STORE_ERROR)
                return cli_fail("list", error);
            has_next = n == STORE_ROW;
        }
        g_autofree char *aware = timefmt_rfc3339(c->aware_at);
        CaseFacts f = {0};
        if (!load_case_facts(store, c, &f, &error))
            return cli_store_fail(error);
        const char *status = has_next ? clocks_status_name(clocks_status(due, 0, FALSE, ctx->now))
                                      : NULL;
        if (json) {
            json_builder_begin_object(b);
            add_case_json(b, c, aware, &f, FALSE);
            json_builder_set_member_name(b, "next_deadline");
            if (has_next) {
                json_builder_begin_object(b);
                jsonutil_add_string(b, "clock", clock);
                jsonutil_add_time(b, "due_at", due, FALSE);
                jsonutil_add_int(b, "seconds_left", due - ctx->now);
                jsonutil_add_string(b, "status", status);
                json_builder_end_object(b);
            } else {
                json_builder_add_null_value(b);
            }
            jsonutil_add_bool(b, "overdue", has_next && !g_strcmp0(status, "missed"));
            json_builder_end_object(b);
        } else {
            g_autofree char *left = has_next ? timefmt_left(due - ctx->now) : g_strdup("-");
            const ReasonRow *row = reasons_row(f.reason);
            g_autofree char *reason = row ? g_strdup_printf("#%d %s", row->number, row->name)
                                          : g_strdup(facts_reason_name(&f) ? "assumed" : "-");
            g_autofree char *next = has_next ? g_strdup_printf("%s%s", clock,
                                                               g_strcmp0(status, "missed") ? ""
                                                                                           : " (MISSED)")
                                             : g_strdup("-");
            /* overdue: marked in the text, and red on a terminal without NO_COLOR */
            gboolean overdue = has_next && !g_strcmp0(status, "missed");
            printf("%s%-4" G_GINT64_FORMAT " %-14s %-18s %-15s %-22s %-12s %-20s %-6s %-29s %s%s\n",
                   colour && overdue ? "\033[1;31m" : "", c->id, c->reference, c->kind,
                   c->problem, reason, c->incident, aware, c->status, next, left,
                   colour && overdue ? "\033[0m" : "");
        }
    }
    json_builder_end_array(b);
    if (json)
        cli_print_json(b);
    return CLI_OK;
}

static gboolean add_case_identifiers(Store *store, JsonBuilder *b, gint64 case_id,
                                     const char *type, const char *member, GString *text,
                                     GError **error)
{
    sqlite3_stmt *st = store_prepare_id(
        store,
        "SELECT DISTINCT i.value FROM messages m CROSS JOIN identifiers i "
        "ON i.message_row = m.id WHERE m.case_id = ? AND i.type = ? ORDER BY i.value",
        case_id, error);
    if (!st)
        return FALSE;
    sqlite3_bind_text(st, 2, type, -1, SQLITE_STATIC);
    json_builder_set_member_name(b, member);
    json_builder_begin_array(b);
    g_string_append_printf(text, "%-10s", member);
    gboolean any = FALSE;
    int rc;
    while ((rc = store_step(store, st, error)) == STORE_ROW) {
        const char *v = (const char *)sqlite3_column_text(st, 0);
        jsonutil_add_string(b, NULL, v);
        g_string_append_printf(text, "%s%s", any ? ", " : "", v);
        any = TRUE;
    }
    g_string_append(text, any ? "\n" : "-\n");
    json_builder_end_array(b);
    return rc == STORE_DONE;
}

/* The cases linked to this one: its delayed-revocation case, or the case
 * whose revocation it is about. */
static gboolean add_linked(Store *store, JsonBuilder *b, GString *text, gint64 case_id,
                           GError **error)
{
    json_builder_set_member_name(b, "linked_cases");
    json_builder_begin_array(b);
    sqlite3_stmt *st = store_prepare(
        store,
        "SELECT id, reference, kind FROM cases WHERE linked_case_id = ?1 "
        "OR id = (SELECT linked_case_id FROM cases WHERE id = ?1) ORDER BY id",
        error);
    if (!st)
        return FALSE;
    int rc;
    {
        sqlite3_bind_int64(st, 1, case_id);
        while ((rc = store_step(store, st, error)) == STORE_ROW) {
            json_builder_begin_object(b);
            jsonutil_add_int(b, "case_id", sqlite3_column_int64(st, 0));
            jsonutil_add_string(b, "reference", (const char *)sqlite3_column_text(st, 1));
            jsonutil_add_string(b, "kind", (const char *)sqlite3_column_text(st, 2));
            json_builder_end_object(b);
            g_string_append_printf(text, "linked    %s (%s)\n", sqlite3_column_text(st, 1),
                                   sqlite3_column_text(st, 2));
        }
    }
    json_builder_end_array(b);
    return rc == STORE_DONE;
}

static gboolean add_clocks(Store *store, JsonBuilder *b, GString *text, gint64 case_id,
                           gint64 now, GError **error)
{
    sqlite3_stmt *st = store_prepare(
        store,
        "SELECT clock, starts_at, due_at, coalesce(met_at, 0), withdrawn, rule, ref, backfilled "
        "FROM clocks WHERE case_id = ? ORDER BY due_at, clock, ref",
        error);
    if (!st)
        return FALSE;
    json_builder_set_member_name(b, "clocks");
    json_builder_begin_array(b);
    g_string_append(text, "clocks\n");
    sqlite3_bind_int64(st, 1, case_id);
    int rc;
    while ((rc = store_step(store, st, error)) == STORE_ROW) {
        const char *clock = (const char *)sqlite3_column_text(st, 0);
        gint64 due = sqlite3_column_int64(st, 2), met = sqlite3_column_int64(st, 3);
        gboolean withdrawn = sqlite3_column_int(st, 4) != 0;
        const char *rule = (const char *)sqlite3_column_text(st, 5);
        gint64 ref = sqlite3_column_int64(st, 6);
        ClockStatus status = clocks_status(due, met, withdrawn, now);
        json_builder_begin_object(b);
        jsonutil_add_string(b, "clock", clock);
        jsonutil_add_time(b, "starts_at", sqlite3_column_int64(st, 1), FALSE);
        jsonutil_add_time(b, "due_at", due, FALSE);
        jsonutil_add_time(b, "met_at", met, TRUE);
        jsonutil_add_string(b, "status", clocks_status_name(status));
        jsonutil_add_bool(b, "backfilled", sqlite3_column_int(st, 7) != 0);
        gint64 late = status == CLOCK_MET_LATE || status == CLOCK_MISSED
                          ? cli_clock_lateness(due, met, withdrawn, now) : 0;
        json_builder_set_member_name(b, "late_seconds"); /* issue 18: how late */
        if (late > 0)
            json_builder_add_int_value(b, late);
        else
            json_builder_add_null_value(b);
        jsonutil_add_string(b, "rule", rule);
        json_builder_set_member_name(b, "ref");
        if (ref > 0)
            json_builder_add_int_value(b, ref);
        else
            json_builder_add_null_value(b);
        json_builder_end_object(b);
        g_autofree char *name = ref > 0 ? g_strdup_printf("%s #%" G_GINT64_FORMAT, clock, ref)
                                        : g_strdup(clock);
        g_autofree char *due_s = timefmt_rfc3339(due);
        g_autofree char *state = NULL;
        if (met && late > 0) {
            g_autofree char *met_s = timefmt_rfc3339(met);
            g_autofree char *span = timefmt_left(-late);
            state = g_strdup_printf("%s (late %s)", met_s, span + strlen("overdue "));
        } else if (met) {
            state = timefmt_rfc3339(met);
        } else if (status == CLOCK_OPEN || status == CLOCK_MISSED) {
            state = timefmt_left(due - now);
        }
        g_string_append_printf(text, "  %-34s due %-20s %-9s %-22s %s%s\n", name, due_s,
                               clocks_status_name(status), state ? state : "",
                               rule ? rule : "",
                               sqlite3_column_int(st, 7) ? "  (met by a back-filled event)" : "");
    }
    json_builder_end_array(b);
    return rc == STORE_DONE;
}

int cli_show(CliContext *ctx, int argc, char **argv)
{
    gboolean json = FALSE;
    GOptionEntry entries[] = {
        {"json", 0, 0, G_OPTION_ARG_NONE, &json, "one JSON object", NULL},
        {NULL},
    };
    if (!cli_parse_args("show", "CASE", entries, 1, "one CASE (number or CPR-YYYY-NNNN)", &argc,
                        &argv))
        return CLI_USAGE;
    Store *store = cli_store(ctx);
    if (!store)
        return CLI_STORE;
    int rc = CLI_OK;
    g_autoptr(CaseRow) c = cli_case_load(store, "show", argv[1], &rc);
    if (!c)
        return rc;
    CaseFacts f = {0};
    GError *error = NULL;
    if (!load_case_facts(store, c, &f, &error))
        return cli_fail("show", error);
    g_autoptr(GString) text = g_string_new(NULL);
    g_autofree char *aware = timefmt_rfc3339(c->aware_at);
    g_string_append_printf(text, "%s (case %" G_GINT64_FORMAT ")  %s  %s/%s\n", c->reference,
                           c->id, c->status, c->kind, c->problem);
    g_string_append_printf(text, "subject   %s\n", c->title ? c->title : "-");
    g_string_append_printf(text, "aware     %s (from %s)\n", aware, c->aware_source);
    const ReasonRow *row = reasons_row(f.reason);
    if (row)
        g_string_append_printf(text, "reason    BR 4.9.1.1 #%d %s (%s; CRLReason %s)\n",
                               row->number, row->name, f.source, row->crl_reason);
    else if (f.reason == REASON_ASSUMED)
        g_string_append(text, "reason    assumed (24 h until someone sets it: case reason)\n");
    else
        g_string_append(text, "reason    - (no certificate named)\n");
    g_string_append_printf(text, "incident  %s%s%s\n", c->incident,
                           c->incident_rationale ? ": " : "",
                           c->incident_rationale ? c->incident_rationale : "");
    if (c->bug_id)
        g_string_append_printf(text, "bug       %" G_GINT64_FORMAT "\n", c->bug_id);

    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    add_case_json(b, c, aware, &f, TRUE);
    jsonutil_add_string(b, "incident_rationale", c->incident_rationale);
    json_builder_set_member_name(b, "bug_id");
    if (c->bug_id)
        json_builder_add_int_value(b, c->bug_id);
    else
        json_builder_add_null_value(b);
    if (!add_linked(store, b, text, c->id, &error) ||
        !add_case_identifiers(store, b, c->id, "serial", "serials", text, &error) ||
        !add_case_identifiers(store, b, c->id, "sha256", "sha256", text, &error) ||
        !add_case_identifiers(store, b, c->id, "crtsh_id", "crtsh_ids", text, &error) ||
        !add_case_identifiers(store, b, c->id, "domain", "domains", text, &error))
        return cli_fail("show", error);

    sqlite3_stmt *st = store_prepare(
        store,
        "SELECT message_id, aware_at, kind, source, quarantined, subject, rules, "
        STORE_RAW_OF("messages.id") " FROM messages "
        "WHERE case_id = ? ORDER BY aware_at, id", &error);
    if (!st)
        return cli_fail("show", error);
    json_builder_set_member_name(b, "messages");
    json_builder_begin_array(b);
    g_string_append(text, "messages\n");
    int rc_step;
    {
        sqlite3_bind_int64(st, 1, c->id);
        while ((rc_step = store_step(store, st, &error)) == STORE_ROW) {
            g_autofree char *at = timefmt_rfc3339(sqlite3_column_int64(st, 1));
            json_builder_begin_object(b);
            jsonutil_add_string(b, "message_id", (const char *)sqlite3_column_text(st, 0));
            jsonutil_add_string(b, "aware_at", at);
            jsonutil_add_string(b, "kind", (const char *)sqlite3_column_text(st, 2));
            jsonutil_add_string(b, "source", (const char *)sqlite3_column_text(st, 3));
            jsonutil_add_bool(b, "quarantined", sqlite3_column_int(st, 4));
            jsonutil_add_string(b, "subject", (const char *)sqlite3_column_text(st, 5));
            /* issue 11: the classification rules that fired (none stored before) */
            jsonutil_add_array_text(b, "rules", (const char *)sqlite3_column_text(st, 6));
            /* senders: the CA's own terminal sees who wrote (issue 18) */
            g_autofree char *from = NULL, *reply_to = NULL;
            cli_message_senders(sqlite3_column_blob(st, 7), (gsize)sqlite3_column_bytes(st, 7),
                                &from, &reply_to);
            jsonutil_add_string(b, "from", from);
            jsonutil_add_string(b, "reply_to", reply_to);
            json_builder_end_object(b);
            g_string_append_printf(text, "  %s  %-10s %s\n", at, sqlite3_column_text(st, 2),
                                   sqlite3_column_text(st, 3));
            const char *subject = (const char *)sqlite3_column_text(st, 5);
            g_string_append_printf(text, "      subject: %s\n      from: %s\n",
                                   subject ? subject : "-", from ? from : "-");
            if (reply_to)
                g_string_append_printf(text, "      reply-to: %s\n", reply_to);
        }
    }
    if (rc_step == STORE_ERROR)
        return cli_fail("show", error);
    json_builder_end_array(b);

    if (!add_clocks(store, b, text, c->id, ctx->now, &error))
        return cli_fail("show", error);

    st = store_prepare(store,
                       "SELECT id, at, actor, type, details, recorded_at FROM events "
                       "WHERE case_id = ? ORDER BY id", &error);
    if (!st)
        return cli_fail("show", error);
    json_builder_set_member_name(b, "events");
    json_builder_begin_array(b);
    g_string_append(text, "events\n");
    {
        sqlite3_bind_int64(st, 1, c->id);
        while ((rc_step = store_step(store, st, &error)) == STORE_ROW) {
            g_autofree char *at = timefmt_rfc3339(sqlite3_column_int64(st, 1));
            json_builder_begin_object(b);
            jsonutil_add_int(b, "id", sqlite3_column_int64(st, 0));
            jsonutil_add_string(b, "type", (const char *)sqlite3_column_text(st, 3));
            jsonutil_add_string(b, "at", at);
            jsonutil_add_string(b, "by", (const char *)sqlite3_column_text(st, 2));
            jsonutil_add_string(b, "actor", (const char *)sqlite3_column_text(st, 2));
            jsonutil_add_string(b, "details", (const char *)sqlite3_column_text(st, 4));
            /* when the row was written (null for rows from before schema 4),
             * and whether that was after the fact */
            gboolean has_recorded = sqlite3_column_type(st, 5) != SQLITE_NULL;
            gint64 recorded = sqlite3_column_int64(st, 5);
            gboolean back = has_recorded &&
                            recorded - sqlite3_column_int64(st, 1) > ctx->cfg->audit_backfill_slack_seconds;
            jsonutil_add_time(b, "recorded_at", recorded, TRUE);
            jsonutil_add_bool(b, "backfilled", back);
            g_autofree char *note = cli_event_note((const char *)sqlite3_column_text(st, 4));
            jsonutil_add_string(b, "note", note);
            json_builder_end_object(b);
            g_autofree char *rec = back ? timefmt_rfc3339(recorded) : NULL;
            g_string_append_printf(text, "  %s  %-26s by %s%s%s%s\n", at, sqlite3_column_text(st, 3),
                                   sqlite3_column_text(st, 2), back ? "  (back-filled: recorded " : "",
                                   back ? rec : "", back ? ")" : "");
            if (note)
                g_string_append_printf(text, "      note: %s\n", note);
        }
    }
    if (rc_step == STORE_ERROR)
        return cli_fail("show", error);
    json_builder_end_array(b);
    json_builder_end_object(b);
    if (json)
        cli_print_json(b);
    else
        fputs(text->str, stdout);
    return CLI_OK;
}

int cli_deadlines(CliContext *ctx, int argc, char **argv)
{
    gboolean json = FALSE;
    GOptionEntry entries[] = {
        {"json", 0, 0, G_OPTION_ARG_NONE, &json, "a JSON array", NULL},
        {NULL},
    };
    if (!cli_parse_options("deadlines", "", entries, &argc, &argv))
        return CLI_USAGE;
    int exit_status = CLI_OK;
    sqlite3_stmt *st = cli_query(
        ctx, NULL,
        "SELECT c.id, c.reference, k.clock, k.due_at, k.rule, k.ref FROM clocks k "
        "JOIN cases c ON c.id = k.case_id WHERE c.status = 'open' AND k.met_at IS NULL "
        "AND k.withdrawn = 0 ORDER BY k.due_at, c.id, k.clock, k.ref",
        &exit_status);
    if (!st)
        return exit_status;
    GError *error = NULL;
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_array(b);
    if (!json)
        printf("%-20s %-14s %-34s %-8s %-16s %s\n", "DUE (UTC)", "CASE", "CLOCK", "STATUS",
               "TIME LEFT", "RULE");
    int rc;
    while ((rc = store_step(ctx->store, st, &error)) == STORE_ROW) {
        gint64 due = sqlite3_column_int64(st, 3);
        const char *clock = (const char *)sqlite3_column_text(st, 2);
        const char *rule = (const char *)sqlite3_column_text(st, 4);
        gint64 ref = sqlite3_column_int64(st, 5);
        const char *status = clocks_status_name(clocks_status(due, 0, FALSE, ctx->now));
        g_autofree char *due_s = timefmt_rfc3339(due);
        if (json) {
            json_builder_begin_object(b);
            jsonutil_add_int(b, "case_id", sqlite3_column_int64(st, 0));
            jsonutil_add_string(b, "reference", (const char *)sqlite3_column_text(st, 1));
            jsonutil_add_string(b, "clock", clock);
            json_builder_set_member_name(b, "ref");
            if (ref > 0)
                json_builder_add_int_value(b, ref);
            else
                json_builder_add_null_value(b);
            jsonutil_add_string(b, "due_at", due_s);
            jsonutil_add_int(b, "seconds_left", due - ctx->now);
            jsonutil_add_string(b, "status", status);
            jsonutil_add_bool(b, "overdue", due < ctx->now);
            jsonutil_add_string(b, "rule", rule);
            json_builder_end_object(b);
        } else {
            g_autofree char *left = timefmt_left(due - ctx->now);
            g_autofree char *name = ref > 0 ? g_strdup_printf("%s #%" G_GINT64_FORMAT, clock, ref)
                                            : g_strdup(clock);
            printf("%-20s %-14s %-34s %-8s %-16s %s\n", due_s, sqlite3_column_text(st, 1), name,
                   status, left, rule ? rule : "");
        }
    }
    if (rc == STORE_ERROR)
        return cli_fail("deadlines", error);
    sqlite3_reset(st);
    json_builder_end_array(b);
    if (json)
        cli_print_json(b);
    return CLI_OK;
}
