/* cli_triage.c - nothing dropped silently (issue 11, SPEC 3.2): mail to a
 * report address that opened no case is listed by `list --triage [--json]`
 * until someone records `triage done MESSAGE_ID... [--note T]` (audited);
 * `case open MESSAGE_ID` turns one into a case with its original aware_at. */
#include <stdio.h>
#include <string.h>

#include "cases.h"
#include "cli.h"
#include "cpr_error.h"
#include "jsonutil.h"
#include "mime.h"
#include "obligations.h"
#include "timefmt.h"
#include "triage.h"

int cli_triage_list(CliContext *ctx, gboolean json)
{
    int status = CLI_OK;
    sqlite3_stmt *st = cli_query(
        ctx, "list --triage",
        "SELECT m.id, m.message_id, m.aware_at, m.kind, m.subject, m.from_email, m.source, m.rules, " STORE_RAW_OF("m.id") " "
        "FROM messages m WHERE m.case_id IS NULL "
        "AND NOT EXISTS (SELECT 1 FROM triage_reviews t WHERE t.message_row = m.id) "
        "ORDER BY m.aware_at, m.id",
        &status);
    if (!st)
        return status;
    Store *store = ctx->store;
    GError *error = NULL;
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_array(b);
    int rc;
    while ((rc = store_step(store, st, &error)) == STORE_ROW) {
        const guint8 *raw = sqlite3_column_blob(st, 8);
        gsize len = (gsize)sqlite3_column_bytes(st, 8);
        if (!raw || !triage_to_report_address(raw, len, ctx->cfg->ca_report_addresses))
            continue;
        g_autofree char *at = timefmt_rfc3339(sqlite3_column_int64(st, 2));
        const char *mid = (const char *)sqlite3_column_text(st, 1);
        const char *subject = (const char *)sqlite3_column_text(st, 4);
        if (json) {
            json_builder_begin_object(b);
            jsonutil_add_int(b, "message_row", sqlite3_column_int64(st, 0));
            jsonutil_add_string(b, "message_id", mid);
            jsonutil_add_string(b, "aware_at", at);
            jsonutil_add_string(b, "kind", (const char *)sqlite3_column_text(st, 3));
            jsonutil_add_string(b, "subject", subject);
            jsonutil_add_string(b, "from", (const char *)sqlite3_column_text(st, 5));
            jsonutil_add_string(b, "source", (const char *)sqlite3_column_text(st, 6));
            jsonutil_add_array_text(b, "rules", (const char *)sqlite3_column_text(st, 7));
            json_builder_end_object(b);
        } else {
            printf("%s  %-10s %s  %s\n", at, sqlite3_column_text(st, 3), mid ? mid : "(no Message-ID)",
                   subject ? subject : "");
        }
    }
    if (rc == STORE_ERROR)
        return cli_fail("list --triage", error);
    /* Deadlines that had passed before the database was upgraded to the
     * obligations model (issue 10): they opened nothing and paged no one, so
     * a person sees them here. */
    st = store_prepare(store,
                       "SELECT c.reference, x.clock, x.ref, x.due_at FROM clock_misses x "
                       "JOIN cases c ON c.id = x.case_id WHERE x.premigration = 1 "
                       "AND c.status = 'open' ORDER BY x.due_at, c.id, x.clock",
                       &error);
    if (!st)
        return cli_fail("list --triage", error);
    gboolean header = FALSE;
    while ((rc = store_step(store, st, &error)) == STORE_ROW) {
        g_autofree char *due = timefmt_rfc3339(sqlite3_column_int64(st, 3));
        const char *ref = (const char *)sqlite3_column_text(st, 0);
        const char *clock = (const char *)sqlite3_column_text(st, 1);
        if (json) {
            json_builder_begin_object(b);
            jsonutil_add_string(b, "item", "deadline_passed_before_upgrade");
            jsonutil_add_string(b, "case_reference", ref);
            jsonutil_add_string(b, "clock", clock);
            if (sqlite3_column_int64(st, 2) > 0)
                jsonutil_add_int(b, "ref", sqlite3_column_int64(st, 2));
            jsonutil_add_string(b, "due_at", due);
            json_builder_end_object(b);
        } else {
            if (!header)
                printf("\ndeadlines that had passed before the upgrade (they opened nothing):\n");
            header = TRUE;
            printf("%s  %-14s %s\n", due, ref, clock);
        }
    }
    if (rc == STORE_ERROR)
        return cli_fail("list --triage", error);
    json_builder_end_array(b);
    if (json)
        cli_print_json(b);
    return CLI_OK;
}

/* The row of MESSAGE_ID (with or without angle brackets); 0 when none. */
static gint64 message_row(Store *store, const char *id, gint64 *case_id_r, GError **error)
{
    g_autofree char *bare = g_strdup(id);
    g_strstrip(bare);
    gsize n = strlen(bare);
    if (n >= 2 && bare[0] == '<' && bare[n - 1] == '>') {
        memmove(bare, bare + 1, n - 2);
        bare[n - 2] = '\0';
    }
    sqlite3_stmt *st = store_prepare(
        store, "SELECT id, coalesce(case_id, 0) FROM messages WHERE message_id = ? ORDER BY id LIMIT 1",
        error);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, bare, -1, SQLITE_TRANSIENT);
    gint64 row = 0;
    int rc = store_step(store, st, error);
    if (rc == STORE_ROW) {
        row = sqlite3_column_int64(st, 0);
        *case_id_r = sqlite3_column_int64(st, 1);
    }
    sqlite3_reset(st);
    return rc == STORE_ERROR ? -1 : row;
}

static gboolean mark_reviewed(Store *store, gint64 row, const char *by, const char *note, gint64 now,
                              GError **error)
{
    sqlite3_stmt *st = store_prepare_id(
        store, "INSERT OR IGNORE INTO triage_reviews (message_row, reviewed_at, by, note) VALUES (?,?,?,?)",
        row, error);
    if (!st)
        return FALSE;
    sqlite3_bind_int64(st, 2, now);
    sqlite3_bind_text(st, 3, by, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, note, -1, SQLITE_TRANSIENT);
    return store_step_done(store, st, error);
}

/* `triage done MESSAGE_ID... [--note T] [--by NAME]` */
int cli_triage(CliContext *ctx, int argc, char **argv)
{
    g_autofree char *note = NULL, *by = NULL;
    GOptionEntry entries[] = {
        {"note", 0, 0, G_OPTION_ARG_STRING, &note, "what was decided", "TEXT"},
        CLI_OPTION_BY(&by, "who reviewed"),
        {NULL},
    };
    if (!cli_parse_options("triage", "done MESSAGE_ID...", entries, &argc, &argv))
        return CLI_USAGE;
    if (argc < 3 || strcmp(argv[1], "done") != 0) {
        cli_error("triage: expected done MESSAGE_ID... [--note TEXT]");
        return CLI_USAGE;
    }
    int status = CLI_OK;
    Store *store = cli_begin(ctx, "triage done", &by, &status);
    if (!store)
        return status;
    GError *error = NULL;
    for (int i = 2; i < argc; i++) {
        gint64 case_id = 0;
        gint64 row = message_row(store, argv[i], &case_id, &error);
        if (row == 0) {
            store_rollback(store);
            cli_error("triage done: no stored message has Message-ID %s; nothing recorded", argv[i]);
            return CLI_FAILED;
        }
        g_autofree char *row_s = g_strdup_printf("%" G_GINT64_FORMAT, row);
        g_autofree char *details = jsonutil_object_of_strings("message_id", argv[i], "message_row", row_s,
                                                              "by", by, "note", note, NULL);
        if (row < 0 || !mark_reviewed(store, row, by, note, ctx->now, &error) ||
            !store_event_append(store, ctx->now, by, case_id, "triage_done", details, &error))
            return cli_end(store, "triage done", FALSE, error);
    }
    status = cli_end(store, "triage done", TRUE, error);
    if (status != CLI_OK)
        return status;
    printf("%d message%s reviewed\n", argc - 2, argc - 2 == 1 ? "" : "s");
    return CLI_OK;
}

/* `case open MESSAGE_ID`: a case from a message that opened none, with the
 * message's own aware_at (the CA knew from then on). */
int cli_case_open(CliContext *ctx, int argc, char **argv)
{
    g_autofree char *by = NULL;
    GOptionEntry entries[] = {
        CLI_OPTION_BY(&by, "who decided"),
        {NULL},
    };
    if (!cli_parse_args("case open", "MESSAGE_ID", entries, 1, "MESSAGE_ID", &argc, &argv))
        return CLI_USAGE;
    int status = CLI_OK;
    Store *store = cli_begin(ctx, "case open", &by, &status);
    if (!store)
        return status;
    GError *error = NULL;
    gint64 existing = 0;
    gint64 row = message_row(store, argv[1], &existing, &error);
    if (row < 0)
        return cli_end(store, "case open", FALSE, error);
    if (row == 0 || existing) {
        store_rollback(store);
        if (existing)
            cli_error("case open: %s already belongs to case %" G_GINT64_FORMAT, argv[1], existing);
        else
            cli_error("case open: no stored message has Message-ID %s", argv[1]);
        return CLI_FAILED;
    }
    sqlite3_stmt *st = store_prepare_id(
        store,
        "SELECT aware_at, aware_source, problem, subject, reason_candidates, "
        "(SELECT count(*) FROM identifiers i WHERE i.message_row = m.id) + "
        "(SELECT count(*) FROM certificates c WHERE c.message_row = m.id) "
        "FROM messages m WHERE id = ?",
        row, &error);
    if (!st)
        return cli_end(store, "case open", FALSE, error);
    int rc = store_step(store, st, &error);
    if (rc == STORE_ERROR)
        return cli_end(store, "case open", FALSE, error);
    if (rc != STORE_ROW) {
        store_rollback(store);
        cli_error("case open: cannot read message %s", argv[1]);
        return CLI_STORE;
    }
    gint64 aware_at = sqlite3_column_int64(st, 0);
    g_autofree char *aware_source = store_column_dup(st, 1);
    g_autofree char *problem = store_column_dup(st, 2);
    g_autofree char *subject = store_column_dup(st, 3);
    guint32 reasons = (guint32)sqlite3_column_int64(st, 4);
    gboolean has_ids = sqlite3_column_int64(st, 5) > 0;
    sqlite3_reset(st);

    gint64 case_id = 0;
    g_autofree char *reference = NULL;
    g_autofree char *row_s = g_strdup_printf("%" G_GINT64_FORMAT, row);
    g_autofree char *aware_s = g_strdup_printf("%" G_GINT64_FORMAT, aware_at);
    const char *prob = problem ? problem : "other";
    gboolean ok = cases_create(store, "cpr", NULL, prob, subject, aware_at,
                               aware_source ? aware_source : "ingest", ctx->now, &case_id, &reference,
                               &error);
    if (ok) {
        st = store_prepare(store, "UPDATE messages SET case_id = ? WHERE id = ?", &error);
        ok = st != NULL;
        if (ok) {
            sqlite3_bind_int64(st, 1, case_id);
            sqlite3_bind_int64(st, 2, row);
            ok = store_step_done(store, st, &error);
        }
    }
    g_autofree char *details = jsonutil_object_of_strings(
        "reference", reference, "kind", "cpr", "problem", prob, "aware_at", aware_s, "aware_source",
        aware_source, "message_row", row_s, "from", "triage", NULL);
    MessageFacts mf = {
        .case_id = case_id,
        .message_row = row,
        .reason_candidates = reasons,
        .concerns_certs = has_ids,
        .report_owed = TRUE,
    };
    ok = ok && store_event_append(store, ctx->now, by, case_id, "case_opened", details, &error) &&
         mark_reviewed(store, row, by, "case opened", ctx->now, &error) &&
         obligations_on_message(store, &mf, ctx->now, &error);
    status = cli_end(store, "case open", ok, error);
    if (status != CLI_OK)
        return status;
    g_autofree char *aware_text = timefmt_rfc3339(aware_at);
    printf("%s opened from %s (aware_at %s)\n", reference, argv[1], aware_text);
    return CLI_OK;
}
