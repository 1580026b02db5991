/* cli_case.c - `case reason|incident|link-bug`: the decisions people take
 * about a case (SPEC 2.3, 3.2). Each is one transaction with its audit event;
 * a bad argument exits 2 naming what was expected and changes nothing. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cpr_error.h"
#include "jsonutil.h"
#include "obligations.h"
#include "timefmt.h"

static int case_reason(CliContext *ctx, int argc, char **argv)
{
    g_autofree char *note = NULL, *by = NULL;
    GOptionEntry entries[] = {
        {"note", 0, 0, G_OPTION_ARG_STRING, &note, "why", "TEXT"},
        CLI_OPTION_BY(&by, "who decided"),
        {NULL},
    };
    if (!cli_parse_options("case reason", "CASE REASON", entries, &argc, &argv))
        return CLI_USAGE;
    if (argc != 3) {
        cli_error("case reason: expected CASE REASON (a BR 4.9.1.1 row: %s)",
                  reasons_names_list());
        return CLI_USAGE;
    }
    const ReasonRow *row = reasons_lookup(argv[2]);
    if (!row) {
        cli_error("case reason: unknown reason \"%s\"; expected a number 1-16 or a name: %s",
                  argv[2], reasons_names_list());
        return CLI_USAGE;
    }
    int rc = CLI_OK;
    g_autoptr(CaseRow) c = cli_case_begin(ctx, "case reason", argv[1], &by, &rc);
    if (!c)
        return rc;
    GError *error = NULL;
    rc = cli_end(ctx->store, "case reason",
                 obligations_set_reason(ctx->store, c->id, row, by, note, ctx->now, &error),
                 error);
    if (rc != CLI_OK)
        return rc;
    printf("%s: revocation reason BR 4.9.1.1 #%d %s (%d h, CRLReason %s)\n", c->reference,
           row->number, row->name, row->window_hours, row->crl_reason);
    return CLI_OK;
}

static int case_incident(CliContext *ctx, int argc, char **argv)
{
    g_autofree char *rationale = NULL, *aware_text = NULL, *by = NULL;
    GOptionEntry entries[] = {
        {"rationale", 0, 0, G_OPTION_ARG_STRING, &rationale, "why (required for no)", "TEXT"},
        {"aware-at", 0, 0, G_OPTION_ARG_STRING, &aware_text,
         "yes: when the CA became aware of the incident (UTC; default now)", "TIME"},
        CLI_OPTION_BY(&by, "who decided"),
        {NULL},
    };
    if (!cli_parse_options("case incident", "CASE yes|no", entries, &argc, &argv))
        return CLI_USAGE;
    IncidentState state = INCIDENT_UNDETERMINED;
    if (argc != 3 || !clocks_incident_from_name(argv[2], &state) ||
        state == INCIDENT_UNDETERMINED) {
        cli_error("case incident: expected CASE yes|no [--rationale TEXT] [--aware-at TIME]");
        return CLI_USAGE;
    }
    if (state == INCIDENT_NO && (!rationale || !*g_strstrip(rationale))) {
        cli_error("case incident: \"no\" needs --rationale TEXT (why this is not a failure of "
                  "the CA: it is audit evidence)");
        return CLI_USAGE;
    }
    if (state == INCIDENT_NO && aware_text) {
        cli_error("case incident: --aware-at applies to \"yes\" only");
        return CLI_USAGE;
    }
    gint64 aware = ctx->now;
    if (aware_text && !timefmt_parse(aware_text, &aware)) {
        cli_error("case incident: --aware-at \"%s\": expected a UTC time like "
                  "2026-11-21T20:32:14Z",
                  aware_text);
        return CLI_USAGE;
    }
    if (aware > ctx->now + 60) {
        cli_error("case incident: --aware-at is in the future");
        return CLI_USAGE;
    }
    int rc = CLI_OK;
    g_autoptr(CaseRow) c = cli_case_begin(ctx, "case incident", argv[1], &by, &rc);
    if (!c)
        return rc;
    GError *error = NULL;
    rc = cli_end(ctx->store, "case incident",
                 obligations_set_incident(ctx->store, c->id, state, rationale, aware, by,
                                          ctx->now, &error),
                 error);
    if (rc != CLI_OK)
        return rc;
    if (state == INCIDENT_YES) {
        g_autofree char *at = timefmt_rfc3339(aware);
        printf("%s: incident yes, aware %s\n", c->reference, at);
    } else {
        printf("%s: incident no; incident clocks withdrawn\n", c->reference);
    }
    return CLI_OK;
}

static int case_link_bug(CliContext *ctx, int argc, char **argv)
{
    g_autofree char *by = NULL;
    GOptionEntry entries[] = {
        CLI_OPTION_BY(&by, "who linked it"),
        {NULL},
    };
    if (!cli_parse_options("case link-bug", "CASE BUG", entries, &argc, &argv))
        return CLI_USAGE;
    guint64 bug = 0;
    if (argc != 3 || !g_ascii_string_to_unsigned(argv[2], 10, 1, G_MAXINT32, &bug, NULL)) {
        cli_error("case link-bug: expected CASE BUG (a Bugzilla bug number)");
        return CLI_USAGE;
    }
    Store *store = cli_store(ctx);
    if (!store)
        return CLI_STORE;
    int rc = CLI_OK;
    g_autoptr(CaseRow) c = cli_case_load(store, "case link-bug", argv[1], &rc);
    if (!c)
        return rc;
    GError *error = NULL;
    sqlite3_stmt *st = store_prepare(
        store, "SELECT reference, id FROM cases WHERE bug_id = ?1 OR "
               "(id = ?2 AND bug_id IS NOT NULL) ORDER BY id = ?2", &error);
    if (!st)
        return cli_fail("case link-bug", error);
    sqlite3_bind_int64(st, 1, (gint64)bug);
    sqlite3_bind_int64(st, 2, c->id);
    int step = store_step(store, st, &error);
    if (step == STORE_ERROR)
        return cli_fail("case link-bug", error);
    if (step == STORE_ROW) {
        g_autofree char *other = store_column_dup(st, 0);
        gboolean same = sqlite3_column_int64(st, 1) == c->id;
        sqlite3_reset(st);
        if (same)
            cli_error("case link-bug: %s is already linked to a bug; one bug per case", other);
        else
            cli_error("case link-bug: bug %" G_GUINT64_FORMAT " is already linked to %s", bug,
                      other);
        return CLI_USAGE;
    }
    sqlite3_reset(st);
    if (!cli_begin(ctx, "case link-bug", &by, &rc))
        return rc;
    g_autofree char *bug_s = g_strdup_printf("%" G_GUINT64_FORMAT, bug);
    g_autofree char *details = jsonutil_object_of_strings("bug_id", bug_s, NULL);
    st = store_prepare(store, "UPDATE cases SET bug_id = ? WHERE id = ?", &error);
    if (st) {
        sqlite3_bind_int64(st, 1, (gint64)bug);
        sqlite3_bind_int64(st, 2, c->id);
    }
    rc = cli_end(store, "case link-bug",
                 st && store_step_done(store, st, &error) &&
                     store_event_append(store, ctx->now, by, c->id, "bug_linked", details, &error),
                 error);
    if (rc != CLI_OK)
        return rc;
    printf("%s: linked to bug %s\n", c->reference, bug_s);
    return CLI_OK;
}

typedef struct {
    const char *name;
    int (*run)(CliContext *ctx, int argc, char **argv);
} CaseCommand;

static const CaseCommand CASE_COMMANDS[] = {
    {"reason", case_reason},
    {"incident", case_incident},
    {"link-bug", case_link_bug},
    {"subscriber", cli_case_subscriber}, /* cli_subscriber.c */
    {"open", cli_case_open}, /* cli_triage.c */
};

int cli_case(CliContext *ctx, int argc, char **argv)
{
    if (argc >= 2)
        for (gsize i = 0; i < G_N_ELEMENTS(CASE_COMMANDS); i++)
            if (!strcmp(argv[1], CASE_COMMANDS[i].name))
                return CASE_COMMANDS[i].run(ctx, argc - 1, argv + 1);
    cli_error("case: expected reason CASE REASON | incident CASE yes|no [--rationale TEXT] "
              "[--aware-at TIME] | link-bug CASE BUG | subscriber CASE EMAIL [--name N] | "
              "open MESSAGE_ID");
    return CLI_USAGE;
}
