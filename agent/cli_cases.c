/* cli_cases.c - `list`, `show`, `deadlines` and `event`: reading cases and
 * recording what people did. */
#include <stdio.h>
#include <string.h>

#include "cases.h"
#include "cli.h"
#include "clocks.h"
#include "cpr_error.h"
#include "jsonutil.h"
#include "notify.h"
#include "timefmt.h"

/* Event types people record, and what each means for the case. */
typedef struct {
    const char *type;
    const char *meaning;
} EventType;

static const EventType EVENT_TYPES[] = {
    {"acknowledged", "on-call has seen the case (silences the current page)"},
    {"actionable", "enough information to act: a certificate and a reason"},
    {"preliminary_report_sent", "preliminary report sent to reporter and Subscriber (BR 4.9.5)"},
    {"subscriber_notified", "the Subscriber was told"},
    {"confirmed", "the problem is confirmed"},
    {"revoked", "the certificates concerned are revoked (BR 4.9.1.1)"},
    {"disclosed", "preliminary or full incident report posted on Bugzilla"},
    {"bug_filed", "the Bugzilla bug was filed (counts as disclosure)"},
    {"contained", "the incident is contained"},
    {"bug_updated", "weekly update posted on the bug"},
    {"question_asked", "a question was asked on the bug"},
    {"question_answered", "the question on the bug was answered"},
    {"full_report_posted", "the Full Incident Report was posted"},
    {"closed", "the case is closed"},
    {"reopened", "the case is open again"},
    {"note", "a note"},
};

static void print_json(JsonBuilder *b)
{
    g_autofree char *s = jsonutil_builder_to_string(b, TRUE);
    printf("%s\n", s);
}

/* The soonest unmet clock of a case; FALSE when it has none. */
static gboolean next_deadline(Store *store, gint64 case_id, char **clock_r, gint64 *due_r,
                              GError **error)
{
    sqlite3_stmt *st = store_prepare(
        store,
        "SELECT clock, due_at FROM clocks WHERE case_id = ? AND met_at IS NULL "
        "AND due_at IS NOT NULL ORDER BY due_at, clock LIMIT 1",
        error);
    if (!st)
        return FALSE;
    sqlite3_bind_int64(st, 1, case_id);
    gboolean found = sqlite3_step(st) == SQLITE_ROW;
    if (found) {
        *clock_r = g_strdup((const char *)sqlite3_column_text(st, 0));
        *due_r = sqlite3_column_int64(st, 1);
    }
    sqlite3_reset(st);
    return found;
}

int cli_list(CliContext *ctx, int argc, char **argv)
{
    gboolean json = FALSE, open_only = FALSE;
    GOptionEntry entries[] = {
        {"json", 0, 0, G_OPTION_ARG_NONE, &json, "a JSON array", NULL},
        {"open", 0, 0, G_OPTION_ARG_NONE, &open_only, "open cases only", NULL},
        {NULL},
    };
    if (!cli_parse_options("list", "", entries, &argc, &argv))
        return CLI_USAGE;
    Store *store = cli_store(ctx);
    if (!store)
        return CLI_STORE;
    GError *error = NULL;
    sqlite3_stmt *st = store_prepare(
        store,
        "SELECT id FROM cases WHERE (?1 = 0 OR status = 'open') ORDER BY aware_at, id", &error);
    if (!st) {
        cli_error("%s", error->message);
        g_error_free(error);
        return CLI_STORE;
    }
    sqlite3_bind_int(st, 1, open_only);
    g_autoptr(GArray) ids = g_array_new(FALSE, FALSE, sizeof(gint64));
    while (sqlite3_step(st) == SQLITE_ROW) {
        gint64 id = sqlite3_column_int64(st, 0);
        g_array_append_val(ids, id);
    }
    sqlite3_reset(st);

    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_array(b);
    if (!json)
        printf("%-4s %-14s %-9s %-15s %-20s %-6s %-24s %s\n", "ID", "REFERENCE", "KIND",
               "PROBLEM", "AWARE (UTC)", "STATUS", "NEXT DEADLINE", "TIME LEFT");
    for (guint i = 0; i < ids->len; i++) {
        g_autoptr(CaseRow) c = cases_load_id(store, g_array_index(ids, gint64, i), &error);
        if (!c) {
            cli_error("%s", error->message);
            g_error_free(error);
            return CLI_STORE;
        }
        g_autofree char *clock = NULL;
        gint64 due = 0;
        gboolean has_next = g_strcmp0(c->status, "open") == 0 &&
                            next_deadline(store, c->id, &clock, &due, NULL);
        g_autofree char *aware = timefmt_rfc3339(c->aware_at);
        if (json) {
            json_builder_begin_object(b);
            jsonutil_add_int(b, "case_id", c->id);
            jsonutil_add_string(b, "reference", c->reference);
            jsonutil_add_string(b, "kind", c->kind);
            jsonutil_add_string(b, "list", c->list);
            jsonutil_add_string(b, "problem", c->problem);
            jsonutil_add_string(b, "status", c->status);
            jsonutil_add_string(b, "aware_at", aware);
            jsonutil_add_string(b, "aware_source", c->aware_source);
            json_builder_set_member_name(b, "next_deadline");
            if (has_next) {
                json_builder_begin_object(b);
                jsonutil_add_string(b, "clock", clock);
                jsonutil_add_time(b, "due_at", due, FALSE);
                jsonutil_add_int(b, "seconds_left", due - ctx->now);
                json_builder_end_object(b);
            } else {
                json_builder_add_null_value(b);
            }
            json_builder_end_object(b);
        } else {
            g_autofree char *left = has_next ? timefmt_left(due - ctx->now) : g_strdup("-");
            printf("%-4" G_GINT64_FORMAT " %-14s %-9s %-15s %-20s %-6s %-24s %s\n", c->id,
                   c->reference, c->kind, c->problem, aware, c->status,
                   has_next ? clock : "-", left);
        }
    }
    json_builder_end_array(b);
    if (json)
        print_json(b);
    return CLI_OK;
}

static void add_case_identifiers(Store *store, JsonBuilder *b, gint64 case_id, const char *type,
                                 const char *member, GString *text)
{
    sqlite3_stmt *st = store_prepare(
        store,
        "SELECT DISTINCT i.value FROM identifiers i JOIN messages m ON m.id = i.message_row "
        "WHERE m.case_id = ? AND i.type = ? ORDER BY i.value",
        NULL);
    if (!st)
        return;
    sqlite3_bind_int64(st, 1, case_id);
    sqlite3_bind_text(st, 2, type, -1, SQLITE_STATIC);
    json_builder_set_member_name(b, member);
    json_builder_begin_array(b);
    g_string_append_printf(text, "%-10s", member);
    gboolean any = FALSE;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *v = (const char *)sqlite3_column_text(st, 0);
        jsonutil_add_string(b, NULL, v);
        g_string_append_printf(text, "%s%s", any ? ", " : "", v);
        any = TRUE;
    }
    g_string_append(text, any ? "\n" : "-\n");
    sqlite3_reset(st);
    json_builder_end_array(b);
}

int cli_show(CliContext *ctx, int argc, char **argv)
{
    gboolean json = FALSE;
    GOptionEntry entries[] = {
        {"json", 0, 0, G_OPTION_ARG_NONE, &json, "one JSON object", NULL},
        {NULL},
    };
    if (!cli_parse_options("show", "CASE", entries, &argc, &argv))
        return CLI_USAGE;
    if (argc != 2) {
        cli_error("show: expected one CASE (number or CPR-YYYY-NNNN)");
        return CLI_USAGE;
    }
    Store *store = cli_store(ctx);
    if (!store)
        return CLI_STORE;
    int rc = CLI_OK;
    g_autoptr(CaseRow) c = cli_case_load(store, "show", argv[1], &rc);
    if (!c)
        return rc;
    g_autoptr(GString) text = g_string_new(NULL);
    g_autofree char *aware = timefmt_rfc3339(c->aware_at);
    g_string_append_printf(text, "%s (case %" G_GINT64_FORMAT ")  %s  %s/%s\n", c->reference,
                           c->id, c->status, c->kind, c->problem);
    g_string_append_printf(text, "aware     %s (from %s)\n", aware, c->aware_source);

    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    jsonutil_add_int(b, "case_id", c->id);
    jsonutil_add_string(b, "reference", c->reference);
    jsonutil_add_string(b, "kind", c->kind);
    jsonutil_add_string(b, "list", c->list);
    jsonutil_add_string(b, "problem", c->problem);
    jsonutil_add_string(b, "status", c->status);
    jsonutil_add_string(b, "title", c->title);
    jsonutil_add_string(b, "aware_at", aware);
    jsonutil_add_string(b, "aware_source", c->aware_source);

    add_case_identifiers(store, b, c->id, "serial", "serials", text);
    add_case_identifiers(store, b, c->id, "sha256", "sha256", text);
    add_case_identifiers(store, b, c->id, "crtsh_id", "crtsh_ids", text);
    add_case_identifiers(store, b, c->id, "domain", "domains", text);

    sqlite3_stmt *st = store_prepare(
        store,
        "SELECT message_id, aware_at, kind, source, quarantined, subject, rules FROM messages "
        "WHERE case_id = ? ORDER BY aware_at, id", NULL);
    json_builder_set_member_name(b, "messages");
    json_builder_begin_array(b);
    g_string_append(text, "messages\n");
    if (st) {
        sqlite3_bind_int64(st, 1, c->id);
        while (sqlite3_step(st) == SQLITE_ROW) {
            g_autofree char *at = timefmt_rfc3339(sqlite3_column_int64(st, 1));
            json_builder_begin_object(b);
            jsonutil_add_string(b, "message_id", (const char *)sqlite3_column_text(st, 0));
            jsonutil_add_string(b, "aware_at", at);
            jsonutil_add_string(b, "kind", (const char *)sqlite3_column_text(st, 2));
            jsonutil_add_string(b, "source", (const char *)sqlite3_column_text(st, 3));
            jsonutil_add_bool(b, "quarantined", sqlite3_column_int(st, 4));
            jsonutil_add_string(b, "subject", (const char *)sqlite3_column_text(st, 5));
            /* issue 11: the classification rules that fired (none stored before) */
            const char *rules = (const char *)sqlite3_column_text(st, 6);
            JsonNode *rn = rules ? json_from_string(rules, NULL) : NULL;
            if (!rn || !JSON_NODE_HOLDS_ARRAY(rn)) {
                if (rn)
                    json_node_unref(rn);
                rn = json_node_init_array(json_node_alloc(), json_array_new());
            }
            json_builder_set_member_name(b, "rules");
            json_builder_add_value(b, rn);
            json_builder_end_object(b);
            g_string_append_printf(text, "  %s  %-10s %s\n", at, sqlite3_column_text(st, 2),
                                   sqlite3_column_text(st, 3));
        }
        sqlite3_reset(st);
    }
    json_builder_end_array(b);

    st = store_prepare(store,
                       "SELECT clock, starts_at, due_at, met_at FROM clocks WHERE case_id = ? "
                       "ORDER BY due_at IS NULL, due_at, clock", NULL);
    json_builder_set_member_name(b, "clocks");
    json_builder_begin_array(b);
    g_string_append(text, "clocks\n");
    if (st) {
        sqlite3_bind_int64(st, 1, c->id);
        while (sqlite3_step(st) == SQLITE_ROW) {
            const char *clock = (const char *)sqlite3_column_text(st, 0);
            gint64 due = sqlite3_column_int64(st, 2), met = sqlite3_column_int64(st, 3);
            json_builder_begin_object(b);
            jsonutil_add_string(b, "clock", clock);
            jsonutil_add_time(b, "starts_at", sqlite3_column_int64(st, 1), TRUE);
            jsonutil_add_time(b, "due_at", due, TRUE);
            jsonutil_add_time(b, "met_at", met, TRUE);
            const ClockPolicy *p = clocks_policy(clock, c->problem);
            jsonutil_add_string(b, "source", p ? p->source : NULL);
            json_builder_end_object(b);
            g_autofree char *due_s = due ? timefmt_rfc3339(due) : g_strdup("not started");
            g_autofree char *state = met ? timefmt_rfc3339(met)
                                         : (due ? timefmt_left(due - ctx->now) : g_strdup(""));
            g_string_append_printf(text, "  %-24s due %-20s %s%s\n", clock, due_s,
                                   met ? "met " : "", state);
        }
        sqlite3_reset(st);
    }
    json_builder_end_array(b);

    st = store_prepare(store,
                       "SELECT id, at, actor, type, details FROM events WHERE case_id = ? "
                       "ORDER BY id", NULL);
    json_builder_set_member_name(b, "events");
    json_builder_begin_array(b);
    g_string_append(text, "events\n");
    if (st) {
        sqlite3_bind_int64(st, 1, c->id);
        while (sqlite3_step(st) == SQLITE_ROW) {
            g_autofree char *at = timefmt_rfc3339(sqlite3_column_int64(st, 1));
            json_builder_begin_object(b);
            jsonutil_add_int(b, "id", sqlite3_column_int64(st, 0));
            jsonutil_add_string(b, "at", at);
            jsonutil_add_string(b, "actor", (const char *)sqlite3_column_text(st, 2));
            jsonutil_add_string(b, "type", (const char *)sqlite3_column_text(st, 3));
            jsonutil_add_string(b, "details", (const char *)sqlite3_column_text(st, 4));
            json_builder_end_object(b);
            g_string_append_printf(text, "  %s  %-22s by %s\n", at, sqlite3_column_text(st, 3),
                                   sqlite3_column_text(st, 2));
        }
        sqlite3_reset(st);
    }
    json_builder_end_array(b);
    json_builder_end_object(b);
    if (json)
        print_json(b);
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
    Store *store = cli_store(ctx);
    if (!store)
        return CLI_STORE;
    GError *error = NULL;
    sqlite3_stmt *st = store_prepare(
        store,
        "SELECT c.id, c.reference, k.clock, k.due_at, c.problem FROM clocks k "
        "JOIN cases c ON c.id = k.case_id WHERE c.status = 'open' AND k.met_at IS NULL "
        "AND k.due_at IS NOT NULL ORDER BY k.due_at, c.id, k.clock",
        &error);
    if (!st) {
        cli_error("%s", error->message);
        g_error_free(error);
        return CLI_STORE;
    }
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_array(b);
    if (!json)
        printf("%-20s %-14s %-24s %-16s %s\n", "DUE (UTC)", "CASE", "CLOCK", "TIME LEFT", "RULE");
    while (sqlite3_step(st) == SQLITE_ROW) {
        gint64 due = sqlite3_column_int64(st, 3);
        const char *clock = (const char *)sqlite3_column_text(st, 2);
        const ClockPolicy *p = clocks_policy(clock, (const char *)sqlite3_column_text(st, 4));
        g_autofree char *due_s = timefmt_rfc3339(due);
        if (json) {
            json_builder_begin_object(b);
            jsonutil_add_int(b, "case_id", sqlite3_column_int64(st, 0));
            jsonutil_add_string(b, "reference", (const char *)sqlite3_column_text(st, 1));
            jsonutil_add_string(b, "clock", clock);
            jsonutil_add_string(b, "due_at", due_s);
            jsonutil_add_int(b, "seconds_left", due - ctx->now);
            jsonutil_add_bool(b, "overdue", due < ctx->now);
            jsonutil_add_string(b, "source", p ? p->source : NULL);
            json_builder_end_object(b);
        } else {
            g_autofree char *left = timefmt_left(due - ctx->now);
            printf("%-20s %-14s %-24s %-16s %s\n", due_s, sqlite3_column_text(st, 1), clock, left,
                   p ? p->source : "");
        }
    }
    sqlite3_reset(st);
    json_builder_end_array(b);
    if (json)
        print_json(b);
    return CLI_OK;
}

int cli_event(CliContext *ctx, int argc, char **argv)
{
    g_autofree char *at_text = NULL, *note = NULL, *by = NULL;
    GOptionEntry entries[] = {
        {"at", 0, 0, G_OPTION_ARG_STRING, &at_text, "when it happened (UTC; default now)", "TIME"},
        {"note", 0, 0, G_OPTION_ARG_STRING, &note, "free text", "TEXT"},
        {"by", 0, 0, G_OPTION_ARG_STRING, &by, "who did it", "NAME"},
        {NULL},
    };
    if (!cli_parse_options("event", "CASE TYPE", entries, &argc, &argv))
        return CLI_USAGE;
    if (argc != 3) {
        cli_error("event: expected CASE TYPE");
        return CLI_USAGE;
    }
    const EventType *type = NULL;
    for (gsize i = 0; i < G_N_ELEMENTS(EVENT_TYPES); i++)
        if (!strcmp(EVENT_TYPES[i].type, argv[2]))
            type = &EVENT_TYPES[i];
    if (!type) {
        g_autoptr(GString) known = g_string_new(NULL);
        for (gsize i = 0; i < G_N_ELEMENTS(EVENT_TYPES); i++)
            g_string_append_printf(known, "%s%s", i ? ", " : "", EVENT_TYPES[i].type);
        cli_error("event: unknown type \"%s\"; expected one of: %s", argv[2], known->str);
        return CLI_USAGE;
    }
    gint64 at = ctx->now;
    if (at_text && !timefmt_parse(at_text, &at)) {
        cli_error("event: --at \"%s\": expected a UTC time like 2026-11-21T20:32:14Z or "
                  "\"2026-11-21 20:32\"", at_text);
        return CLI_USAGE;
    }
    /* Evidence must be believable: a time in the future, or before the CA knew
     * of the case, would be a false record. A minute of clock skew is allowed. */
    if (at > ctx->now + 60) {
        cli_error("event: --at is in the future");
        return CLI_USAGE;
    }
    Store *store = cli_store(ctx);
    if (!store)
        return CLI_STORE;
    int rc = CLI_OK;
    g_autoptr(CaseRow) c = cli_case_load(store, "event", argv[1], &rc);
    if (!c)
        return rc;
    if (at < c->aware_at) {
        g_autofree char *aware = timefmt_rfc3339(c->aware_at);
        cli_error("event: --at is before the CA became aware of %s (%s)", c->reference, aware);
        return CLI_USAGE;
    }
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    jsonutil_add_string(b, "by", by);
    jsonutil_add_string(b, "note", note);
    json_builder_end_object(b);
    g_autofree char *details = jsonutil_builder_to_string(b, FALSE);
    g_autoptr(GPtrArray) met = NULL;
    /* Failures return through cli_fail(): a `goto fail` here would jump past
     * g_auto declarations, whose cleanup would then free uninitialised
     * pointers. */
    GError *error = NULL;
    if (!store_begin(store, &error))
        return cli_fail("event", error);
    if (!store_event_append(store, at, by ? by : "operator", c->id, type->type, details, &error) ||
        !clocks_on_event(store, c->id, c->problem, type->type, at, &met, &error) ||
        (!strcmp(type->type, "closed") && !cases_set_status(store, c->id, "closed", &error)) ||
        (!strcmp(type->type, "reopened") && !cases_set_status(store, c->id, "open", &error)) ||
        /* acknowledged: PagerDuty acknowledge; met clocks and closing resolve pages */
        !notify_on_event(store, ctx->cfg, c->id, type->type, by, met, at, &error)) {
        store_rollback(store);
        return cli_fail("event", error);
    }
    if (!store_commit(store, &error))
        return cli_fail("event", error);
    g_autofree char *at_s = timefmt_rfc3339(at);
    printf("%s: %s recorded at %s", c->reference, type->type, at_s);
    for (guint i = 0; i < met->len; i++)
        printf("%s%s", i ? ", " : "; met: ", (const char *)g_ptr_array_index(met, i));
    printf("\n");
    return CLI_OK;
}
