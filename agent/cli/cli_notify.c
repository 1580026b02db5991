/* cli_notify.c - `notify-run [--once]` (the notification worker without the
 * IMAP daemon: escalations, health pages, outbox delivery) and `outbox
 * [--json]` (what is queued, delivered and given up), plus `audit report`. */
#include <errno.h>
#include <signal.h>
#include <sys/prctl.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "testhooks.h"
#include "cpr_error.h"
#include "jsonutil.h"
#include "notify.h"
#include "report.h"
#include "report_html.h"
#include "timefmt.h"
#include "logging.h"

#define LOOP_SECONDS 5

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

/* CPR_INTAKE_NOW pins the clock in test builds; the loop otherwise reads it
 * anew. */
static gint64 loop_now(const CliContext *ctx)
{
    (void)ctx;
    return testhooks_now();
}

int cli_notify_run(CliContext *ctx, int argc, char **argv)
{
    gboolean once = FALSE;
    GOptionEntry entries[] = {
        {"once", 0, 0, G_OPTION_ARG_NONE, &once, "one round, then exit", NULL},
        {NULL},
    };
    if (!cli_parse_options("notify-run", "", entries, &argc, &argv))
        return CLI_USAGE;
    GError *error = NULL;
    /* delivers with secrets (keys, SMTP passwords) in memory: no core dump */
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
        g_autofree char *why = log_value(g_strerror(errno));
        g_warning("event=set_dumpable_failed error=%s", why);
    }
    if (!cli_secrets_ok(ctx, "notify-run"))
        return CLI_USAGE;
    ctx->create_db = TRUE;
    /* disk nearly full: paged without the database, before anything else;
     * pending deliveries still go out (they write little) */
    const char *db_path = ctx->db_path ? ctx->db_path : ctx->cfg->store_path;
    gboolean disk_low = !notify_disk_ok(ctx->cfg, db_path, DISK_PAGE_REPEAT_SECONDS, NULL);
    Store *store = cli_store(ctx);
    if (!store)
        return CLI_STORE;
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    NotifyTickStats total = {0};
    do {
        if (!once)
            disk_low = !notify_disk_ok(ctx->cfg, db_path, DISK_PAGE_REPEAT_SECONDS, NULL);
        NotifyTickStats stats = {0};
        if (!notify_tick(store, ctx->cfg, loop_now(ctx), &stats, &error))
            return cli_fail("notify-run", error);
        total.escalations += stats.escalations;
        total.health_pages += stats.health_pages;
        total.delivered += stats.delivered;
        total.retrying += stats.retrying;
        total.failed += stats.failed;
        total.missed += stats.missed;
        total.incidents += stats.incidents;
        total.delayed_cases += stats.delayed_cases;
        for (int i = 0; !once && i < LOOP_SECONDS * 10 && !stop_requested; i++)
            g_usleep(100 * 1000);
    } while (!once && !stop_requested);
    printf("escalations=%u health=%u delivered=%u retrying=%u failed=%u missed=%u "
           "incidents=%u delayed_revocation_cases=%u\n",
           total.escalations, total.health_pages, total.delivered, total.retrying, total.failed,
           total.missed, total.incidents, total.delayed_cases);
    if (disk_low)
        cli_error("notify-run: disk nearly full below [store] min_free_mb=%u; on-call paged",
                  ctx->cfg->store_min_free_mb);
    return total.failed || disk_low ? CLI_FAILED : CLI_OK;
}

int cli_outbox(CliContext *ctx, int argc, char **argv)
{
    gboolean json = FALSE;
    GOptionEntry entries[] = {
        {"json", 0, 0, G_OPTION_ARG_NONE, &json, "a JSON array", NULL},
        {NULL},
    };
    if (!cli_parse_options("outbox", "", entries, &argc, &argv))
        return CLI_USAGE;
    int status = CLI_OK;
    sqlite3_stmt *st = cli_query(
        ctx, "outbox",
        "SELECT o.id, o.target, coalesce(c.reference, ''), o.kind, o.dedup_key, o.created_at, "
        "o.attempts, o.next_attempt_at, o.last_error, coalesce(o.delivered_at, 0), "
        "coalesce(o.failed_at, 0) FROM outbox o LEFT JOIN cases c ON c.id = o.case_id "
        "ORDER BY o.id",
        &status);
    if (!st)
        return status;
    GError *error = NULL;
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_array(b);
    if (!json)
        printf("%-5s %-14s %-14s %-12s %-9s %-8s %s\n", "ID", "TARGET", "CASE", "KIND", "STATE",
               "ATTEMPTS", "LAST ERROR");
    int rc;
    while ((rc = store_step(ctx->store, st, &error)) == STORE_ROW) {
        gint64 delivered = sqlite3_column_int64(st, 9), failed = sqlite3_column_int64(st, 10);
        const char *state = delivered ? "delivered" : failed ? "failed" : "pending";
        const char *last_error = (const char *)sqlite3_column_text(st, 8);
        if (json) {
            json_builder_begin_object(b);
            jsonutil_add_int(b, "id", sqlite3_column_int64(st, 0));
            jsonutil_add_string(b, "target", (const char *)sqlite3_column_text(st, 1));
            jsonutil_add_string(b, "case_reference", (const char *)sqlite3_column_text(st, 2));
            jsonutil_add_string(b, "kind", (const char *)sqlite3_column_text(st, 3));
            jsonutil_add_string(b, "dedup_key", (const char *)sqlite3_column_text(st, 4));
            jsonutil_add_time(b, "created_at", sqlite3_column_int64(st, 5), FALSE);
            jsonutil_add_int(b, "attempts", sqlite3_column_int64(st, 6));
            jsonutil_add_time(b, "next_attempt_at", sqlite3_column_int64(st, 7), FALSE);
            jsonutil_add_string(b, "state", state);
            jsonutil_add_string(b, "last_error", last_error);
            jsonutil_add_time(b, "delivered_at", delivered, TRUE);
            jsonutil_add_time(b, "failed_at", failed, TRUE);
            json_builder_end_object(b);
        } else {
            printf("%-5lld %-14s %-14s %-12s %-9s %-8lld %s\n",
                   (long long)sqlite3_column_int64(st, 0), sqlite3_column_text(st, 1),
                   sqlite3_column_text(st, 2), sqlite3_column_text(st, 3), state,
                   (long long)sqlite3_column_int64(st, 6), last_error ? last_error : "");
        }
    }
    if (rc == STORE_ERROR)
        return cli_fail("outbox", error);
    json_builder_end_array(b);
    if (json)
        cli_print_json(b);
    return CLI_OK;
}

int cli_audit_report(CliContext *ctx, int argc, char **argv)
{
    g_autofree char *since_text = NULL, *until_text = NULL, *format = NULL, *output = NULL;
    gboolean json = FALSE;
    GOptionEntry entries[] = {
        {"since", 0, 0, G_OPTION_ARG_STRING, &since_text, "cases aware at or after DATE (UTC)",
         "DATE"},
        {"until", 0, 0, G_OPTION_ARG_STRING, &until_text, "cases aware before DATE (UTC)", "DATE"},
        {"json", 0, 0, G_OPTION_ARG_NONE, &json, "one JSON object (--format json)", NULL},
        {"format", 0, 0, G_OPTION_ARG_STRING, &format, "text (default), json or html", "FORMAT"},
        {"output", 0, 0, G_OPTION_ARG_FILENAME, &output, "write to FILE, not stdout", "FILE"},
        {NULL},
    };
    if (!cli_parse_options("audit report", "", entries, &argc, &argv))
        return CLI_USAGE;
    if (format && strcmp(format, "text") && strcmp(format, "json") && strcmp(format, "html")) {
        cli_error("audit report: --format: expected text, json or html, got \"%s\"", format);
        return CLI_USAGE;
    }
    if (json && format && strcmp(format, "json")) {
        cli_error("audit report: --json is --format json, not --format %s", format);
        return CLI_USAGE;
    }
    if (format && !strcmp(format, "json"))
        json = TRUE;
    gboolean html = format && !strcmp(format, "html");
    GError *error = NULL;
    gint64 since = 0, until = 0;
    if (since_text && !timefmt_parse(since_text, &since)) {
        cli_error("audit report: --since: expected a date like 2026-11-01, got \"%s\"", since_text);
        return CLI_USAGE;
    }
    if (until_text && !timefmt_parse(until_text, &until)) {
        cli_error("audit report: --until: expected a date like 2026-12-01, got \"%s\"", until_text);
        return CLI_USAGE;
    }
    Store *store = cli_store(ctx);
    if (!store)
        return CLI_STORE;
    GArray *samples = NULL;
    GStringChunk *chunk = NULL;
    if (!report_load(store, since, until, &samples, &chunk, &error)) {
        cli_error("audit report: %s", error->message);
        g_error_free(error);
        return CLI_STORE;
    }
    g_autoptr(GPtrArray) stats =
        report_compute((const ReportSample *)(void *)samples->data, samples->len, ctx->now);
    g_autofree char *out = json || html ? report_format_json(stats, since, until, ctx->now)
                                        : report_format_text(stats, since, until, ctx->now);
    g_array_unref(samples);
    g_string_chunk_free(chunk);
    if (json) {
        char *line = g_strconcat(out, "\n", NULL);
        g_free(out);
        out = line;
    }
    if (html) { /* the page shows the figures of the JSON report (report_html.h) */
        char *page = report_html_render(store, out, since, until, ctx->now, &error);
        if (!page)
            return cli_fail("audit report", error);
        g_free(out);
        out = page;
    }
    if (output) {
        if (!g_file_set_contents(output, out, -1, &error)) {
            cli_error("audit report: %s", error->message);
            g_error_free(error);
            return CLI_FAILED;
        }
        return CLI_OK;
    }
    fputs(out, stdout);
    return CLI_OK;
}
