/* cli_admin.c - `status` (intake health) and `audit` (evidence, checkpoints). */
#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "checkpoint.h"
#include "cli.h"
#include "cpr_error.h"
#include "daemon_lock.h"
#include "jsonutil.h"
#include "timefmt.h"
#include "timeline.h"

static gboolean table_exists(Store *store, const char *name, gboolean *found_r, GError **error)
{
    sqlite3_stmt *st =
        store_prepare(store, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                      error);
    if (!st)
        return FALSE;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    int rc = store_step(store, st, error);
    *found_r = rc == STORE_ROW;
    sqlite3_reset(st);
    return rc != STORE_ERROR;
}

/* One row of up to two counts (`sql` selects one or two columns). */
static gboolean read_counts(Store *store, const char *sql, gint64 *a_r, gint64 *b_r, GError **error)
{
    sqlite3_stmt *st = store_prepare(store, sql, error);
    if (!st)
        return FALSE;
    int rc = store_step(store, st, error);
    if (rc == STORE_ROW) {
        *a_r = sqlite3_column_int64(st, 0);
        if (b_r)
            *b_r = sqlite3_column_int64(st, 1);
    }
    sqlite3_reset(st);
    return rc != STORE_ERROR;
}

/* `status`'s verdict, in the monitoring-plugins convention (SPEC 3.2): the
 * exit status is the index. */
typedef enum { STATE_HEALTHY, STATE_DEGRADED, STATE_DOWN, STATE_UNKNOWN } HealthState;
static const char *const STATE_NAMES[] = {"healthy", "degraded", "down", "unknown"};

typedef struct {
    HealthState state;
    char *reason;
} Verdict;

/* Keep the worst state and its reason. */
static void verdict_raise(Verdict *v, HealthState state, char *reason)
{
    if (!v->reason || state > v->state) {
        g_free(v->reason);
        v->state = state;
        v->reason = reason;
    } else {
        g_free(reason);
    }
}

static void judge_intake(Verdict *v, CliContext *ctx, const char *connection, gint64 conn_at,
                         const char *last_error, gint64 err_at)
{
    if (!ctx->cfg->imap_url) {
        verdict_raise(v, STATE_HEALTHY, g_strdup("no [imap] section: mail arrives by ingest"));
        return;
    }
    const char *db = ctx->db_path ? ctx->db_path : ctx->cfg->store_path;
    gint64 pid = 0;
    gboolean running = daemon_lock_held(db, &pid);
    g_autofree char *at = conn_at ? timefmt_rfc3339(conn_at) : g_strdup("?");
    if (!connection) {
        verdict_raise(v, running ? STATE_UNKNOWN : STATE_DOWN,
                      g_strdup(running ? "the daemon has not recorded a connection yet"
                                       : "the daemon has never run on this database"));
    } else if (g_str_has_prefix(connection, "down")) {
        verdict_raise(v, STATE_DOWN, g_strdup_printf("IMAP connection %s (since %s)", connection, at));
    } else if (!strcmp(connection, "connected")) {
        if (!running)
            verdict_raise(v, STATE_DOWN,
                          g_strdup_printf("no daemon is running (none holds %s.lock); it last "
                                          "connected at %s",
                                          db, at));
        else if (last_error && err_at > conn_at)
            verdict_raise(v, STATE_DEGRADED,
                          g_strdup_printf("connected (pid %" G_GINT64_FORMAT "), but: %s", pid,
                                          last_error));
        else
            verdict_raise(v, STATE_HEALTHY,
                          g_strdup_printf("connected since %s (pid %" G_GINT64_FORMAT ")", at,
                                          pid));
    } else if (running) {
        verdict_raise(v, STATE_HEALTHY, g_strdup_printf("%s (pid %" G_GINT64_FORMAT ")",
                                                        connection, pid));
    } else if (g_str_has_prefix(connection, "disconnected: run --once")) {
        verdict_raise(v, STATE_HEALTHY, g_strdup_printf("the last run --once finished at %s", at));
    } else {
        verdict_raise(v, STATE_DOWN,
                      g_strdup_printf("no daemon is running (connection %s at %s)", connection, at));
    }
}

int cli_status(CliContext *ctx, int argc, char **argv)
{
    gboolean json = FALSE;
    GOptionEntry entries[] = {
        {"json", 0, 0, G_OPTION_ARG_NONE, &json, "one JSON object", NULL},
        {NULL},
    };
    if (!cli_parse_options("status", "", entries, &argc, &argv))
        return STATE_UNKNOWN; /* monitoring-plugins: a bad call is "unknown" */
    GError *error = NULL;
    if (!g_file_test(cli_db_path(ctx), G_FILE_TEST_EXISTS)) {
        /* No database: the daemon has never run, so nothing reads the
         * mailbox: down (2). No database is made by looking. */
        g_autoptr(JsonBuilder) nb = json_builder_new();
        json_builder_begin_object(nb);
        jsonutil_add_string(nb, "state", "down");
        g_autofree char *why = g_strdup_printf("the daemon has never run (no database at %s)",
                                               cli_db_path(ctx));
        jsonutil_add_string(nb, "reason", why);
        json_builder_end_object(nb);
        g_autofree char *doc = jsonutil_builder_to_string(nb, TRUE);
        if (json)
            printf("%s\n", doc);
        else
            printf("state: down: %s\n", why);
        return STATE_DOWN;
    }
    Store *store = cli_store(ctx);
    if (!store)
        return CLI_STORE;
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "folders");
    json_builder_begin_array(b);
    sqlite3_stmt *st = store_prepare(
        store,
        "SELECT f.folder, f.uidvalidity, f.last_uid, f.last_sync, "
        "(SELECT count(DISTINCT s.message_row) FROM message_sources s WHERE s.folder = f.folder "
        " AND s.uidvalidity = f.uidvalidity) FROM folders f ORDER BY f.folder",
        &error);
    if (!st)
        return cli_store_fail(error);
    if (!json)
        printf("%-24s %-12s %-10s %-10s %s\n", "FOLDER", "UIDVALIDITY", "LAST UID", "MESSAGES",
               "LAST SYNC (UTC)");
    int rc;
    while ((rc = store_step(store, st, &error)) == STORE_ROW) {
        const char *folder = (const char *)sqlite3_column_text(st, 0);
        gint64 sync = sqlite3_column_int64(st, 3);
        json_builder_begin_object(b);
        jsonutil_add_string(b, "folder", folder);
        jsonutil_add_int(b, "uidvalidity", sqlite3_column_int64(st, 1));
        jsonutil_add_int(b, "last_uid", sqlite3_column_int64(st, 2));
        jsonutil_add_int(b, "messages", sqlite3_column_int64(st, 4));
        jsonutil_add_time(b, "last_sync", sync, TRUE);
        json_builder_end_object(b);
        if (!json) {
            g_autofree char *sync_s = sync ? timefmt_rfc3339(sync) : g_strdup("never");
            printf("%-24s %-12lld %-10lld %-10lld %s\n", folder,
                   (long long)sqlite3_column_int64(st, 1), (long long)sqlite3_column_int64(st, 2),
                   (long long)sqlite3_column_int64(st, 4), sync_s);
        }
    }
    if (rc == STORE_ERROR) /* unknown (3): the database cannot say */
        return cli_fail("status", error);
    json_builder_end_array(b);

    g_autofree char *connection = NULL, *last_error = NULL;
    gint64 conn_at = 0, err_at = 0;
    store_health_get(store, "imap.connection", &connection, &conn_at, NULL);
    store_health_get(store, "imap.last_error", &last_error, &err_at, NULL);
    gint64 backlog = 0, outbox_failed = 0, quarantined = 0, outbox_retrying = 0;
    gboolean has_outbox = FALSE;
    if (!table_exists(store, "outbox", &has_outbox, &error))
        return cli_fail("status", error);
    /* pending = not yet delivered and not given up; failed rows are
     * reported apart (issue 5: a dead target is reported, not retried) */
    if (has_outbox &&
        (!read_counts(store,
                      "SELECT count(*) FILTER (WHERE failed_at IS NULL), "
                      "count(*) FILTER (WHERE failed_at IS NOT NULL) FROM outbox "
                      "WHERE delivered_at IS NULL",
                      &backlog, &outbox_failed, &error) ||
         !read_counts(store,
                      "SELECT count(*) FROM outbox WHERE delivered_at IS NULL AND "
                      "failed_at IS NULL AND last_error IS NOT NULL",
                      &outbox_retrying, NULL, &error)))
        return cli_fail("status", error);
    if (!read_counts(store, "SELECT count(*) FROM messages WHERE quarantined = 1", &quarantined,
                     NULL, &error))
        return cli_fail("status", error);
    Verdict v = {STATE_HEALTHY, NULL};
    judge_intake(&v, ctx, connection, conn_at, last_error, err_at);
    if (outbox_failed)
        verdict_raise(&v, STATE_DEGRADED,
                      g_strdup_printf("%lld notification(s) could not be delivered",
                                      (long long)outbox_failed));
    else if (outbox_retrying)
        verdict_raise(&v, STATE_DEGRADED,
                      g_strdup_printf("%lld notification(s) failing, being retried",
                                      (long long)outbox_retrying));
    g_autofree char *reason = v.reason;
    jsonutil_add_string(b, "state", STATE_NAMES[v.state]);
    jsonutil_add_string(b, "reason", reason);
    jsonutil_add_string(b, "connection", connection ? connection : "unknown");
    jsonutil_add_time(b, "connection_since", conn_at, TRUE);
    jsonutil_add_string(b, "last_error", last_error);
    jsonutil_add_time(b, "last_error_at", err_at, TRUE);
    jsonutil_add_int(b, "outbox_backlog", backlog);
    jsonutil_add_int(b, "outbox_failed", outbox_failed);
    jsonutil_add_int(b, "quarantined", quarantined);
    json_builder_end_object(b);
    if (json) {
        cli_print_json(b);
    } else {
        printf("state: %s: %s\n", STATE_NAMES[v.state], reason);
        printf("connection: %s\nlast error: %s\noutbox backlog: %lld\noutbox failed: %lld\n"
               "quarantined messages: %lld\n",
               connection ? connection : "unknown", last_error ? last_error : "none",
               (long long)backlog, (long long)outbox_failed, (long long)quarantined);
    }
    return (int)v.state;
}

/* `audit verify` reads and never writes: it opens the database read-only,
 * so that an auditor can check a copy in a read-only place. */
static int audit_verify_cmd(CliContext *ctx, int argc, char **argv)
{
    g_autofree char *checkpoints = NULL, *public_key = NULL;
    GOptionEntry entries[] = {
        {"checkpoints", 0, 0, G_OPTION_ARG_FILENAME, &checkpoints,
         "also check the signed checkpoints in FILE", "FILE"},
        {"public-key", 0, 0, G_OPTION_ARG_FILENAME, &public_key,
         "the PEM public key of [audit] signing_key_file", "FILE"},
        {NULL},
    };
    if (!cli_parse_options("audit verify", "", entries, &argc, &argv))
        return CLI_USAGE;
    if (argc > 1 || !checkpoints != !public_key) {
        cli_error("audit verify: expected no arguments, or --checkpoints FILE --public-key FILE");
        return CLI_USAGE;
    }
    GError *error = NULL;
    if (!ctx->store) {
        ctx->store = store_open_readonly(ctx->db_path ? ctx->db_path : ctx->cfg->store_path,
                                         &error);
        if (!ctx->store)
            return cli_fail("audit verify", error);
    }
    gint64 rows = 0;
    gboolean chain_ok = audit_verify(ctx->store, &rows, &error);
    if (!chain_ok && !audit_error_is_tamper(error)) /* the log cannot be read: exit 3 */
        return cli_fail("audit verify", error);
    if (!chain_ok) { /* exit 1, after the checkpoints had their say */
        cli_error("audit verify: %s", error->message);
        g_clear_error(&error);
    }
    if (!checkpoints) {
        if (!chain_ok)
            return CLI_FAILED;
        printf("audit trail intact: %lld events verified\n", (long long)rows);
        return CLI_OK;
    }
    g_auto(CheckpointVerify) v = {0};
    if (!checkpoint_verify(ctx->store, checkpoints, public_key, &v, &error))
        return cli_fail("audit verify", error);
    if (v.warning)
        cli_error("audit verify: warning: %s", v.warning);
    if (v.failure) {
        if (g_str_has_prefix(v.failure, "line "))
            cli_error("audit verify: checkpoint %s in %s", v.failure, checkpoints);
        else
            cli_error("audit verify: %s", v.failure);
        return CLI_FAILED;
    }
    if (!chain_ok)
        return CLI_FAILED;
    g_autofree char *last_at = timefmt_rfc3339(v.last_at);
    printf("audit trail intact: %lld events verified\n"
           "checkpoints: %u verified in %s; the last anchors event %lld at %s\n",
           (long long)rows, v.verified, checkpoints, (long long)v.last_event_id, last_at);
    if (v.log_last_id > v.last_event_id)
        printf("events after event %lld (%lld) are not anchored by a checkpoint yet\n",
               (long long)v.last_event_id, (long long)(v.log_last_id - v.last_event_id));
    return CLI_OK;
}

/* `audit checkpoint`: sign the chain's head now (checkpoint.h). */
static int audit_checkpoint_cmd(CliContext *ctx, int argc, char **argv)
{
    GOptionEntry entries[] = {{NULL}};
    if (!cli_parse_options("audit checkpoint", "", entries, &argc, &argv))
        return CLI_USAGE;
    if (argc > 1) {
        cli_error("audit checkpoint: unexpected argument \"%s\"", argv[1]);
        return CLI_USAGE;
    }
    GError *error = NULL;
    /* Without a key there is nothing to do: say so before opening anything. */
    if (!checkpoint_key_check(ctx->cfg, &error))
        return cli_fail("audit checkpoint", error);
    Store *store = cli_store(ctx);
    if (!store)
        return CLI_STORE;
    g_autofree char *line = NULL;
    gboolean ok = checkpoint_take(store, ctx->cfg, ctx->now, CHECKPOINT_COMMAND, &line, &error);
    if (line)
        printf("%s\n", line);
    /* A refusal (CHECKPOINT_ERROR: the chain is broken or rewritten) exits 1. */
    return ok ? CLI_OK : cli_fail("audit checkpoint", error);
}

static int audit_export_cmd(CliContext *ctx, int argc, char **argv)
{
    g_autofree char *format = NULL, *since_text = NULL, *case_key = NULL;
    GOptionEntry entries[] = {
        {"case", 0, 0, G_OPTION_ARG_STRING, &case_key, "one case (number or reference)", "CASE"},
        {"format", 0, 0, G_OPTION_ARG_STRING, &format, "csv or json (default json)", "FORMAT"},
        {"since", 0, 0, G_OPTION_ARG_STRING, &since_text, "events at or after DATE (UTC)", "DATE"},
        {NULL},
    };
    if (!cli_parse_options("audit export", "", entries, &argc, &argv))
        return CLI_USAGE;
    GError *error = NULL;
    AuditFormat fmt = AUDIT_FORMAT_JSON;
    gboolean markdown = format && !strcmp(format, "markdown"); /* timeline.h */
    if (format && !strcmp(format, "csv"))
        fmt = AUDIT_FORMAT_CSV;
    else if (format && strcmp(format, "json") && !markdown) {
        cli_error("audit export: --format: expected csv, json or markdown, got \"%s\"", format);
        return CLI_USAGE;
    }
    gint64 since = 0;
    if (since_text && !timefmt_parse(since_text, &since)) {
        cli_error("audit export: --since: expected a date like 2026-11-01, got \"%s\"", since_text);
        return CLI_USAGE;
    }
    Store *store = cli_store(ctx);
    if (!store)
        return CLI_STORE;
    gint64 case_id = 0;
    if (case_key) {
        guint64 n = 0;
        if (g_ascii_string_to_unsigned(case_key, 10, 1, G_MAXINT64, &n, NULL)) {
            case_id = (gint64)n;
        } else {
            sqlite3_stmt *st =
                store_prepare(store, "SELECT id FROM cases WHERE reference = ?", &error);
            if (!st)
                return cli_fail("audit export", error);
            sqlite3_bind_text(st, 1, case_key, -1, SQLITE_TRANSIENT);
            int rc = store_step(store, st, &error);
            if (rc == STORE_ROW)
                case_id = sqlite3_column_int64(st, 0);
            sqlite3_reset(st);
            if (rc == STORE_ERROR)
                return cli_fail("audit export", error);
            if (!case_id) {
                cli_error("audit export: no case \"%s\"", case_key);
                return CLI_USAGE;
            }
        }
    }
    g_autoptr(GString) out = g_string_new(NULL);
    if (markdown && !timeline_markdown(store, ctx->cfg, case_id, since, out, &error))
        return cli_fail("audit export", error);
    if (!markdown && !audit_export(store, case_id, since, fmt, out, &error)) {
        cli_error("audit export: %s", error->message);
        g_error_free(error);
        return CLI_STORE;
    }
    fputs(out->str, stdout);
    return CLI_OK;
}

int cli_audit(CliContext *ctx, int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "verify"))
        return audit_verify_cmd(ctx, argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "checkpoint"))
        return audit_checkpoint_cmd(ctx, argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "export"))
        return audit_export_cmd(ctx, argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "report"))
        return cli_audit_report(ctx, argc - 1, argv + 1);
    cli_error("audit: expected \"verify\", \"checkpoint\", \"export\" or \"report\"");
    return CLI_USAGE;
}
