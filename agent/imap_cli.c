/* imap_cli.c - `cpr-intake run [--once] [--log-level LEVEL]`: the daemon command.
 *
 * Logs go to stderr, one line per event ("2026-11-21T20:32:14Z info imap:
 * event=ingested folder=INBOX uid=42 ..."), for journald to pick up. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cpr_error.h"
#include "imap.h"
#include "intake.h"

static GLogLevelFlags log_threshold = G_LOG_LEVEL_INFO;

static const char *level_name(GLogLevelFlags level)
{
    if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
        return "error";
    if (level & G_LOG_LEVEL_WARNING)
        return "warning";
    if (level & (G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO))
        return "info";
    return "debug";
}

static void log_to_stderr(const gchar *domain, GLogLevelFlags level, const gchar *message,
                          gpointer user_data)
{
    GLogLevelFlags l = level & G_LOG_LEVEL_MASK;
    /* MESSAGE and INFO are one level for operators: "info". */
    GLogLevelFlags eff = (l & G_LOG_LEVEL_MESSAGE) ? G_LOG_LEVEL_INFO : l;
    if (eff > log_threshold)
        return;
    g_autoptr(GDateTime) now = g_date_time_new_now_utc();
    g_autofree char *ts = g_date_time_format(now, "%Y-%m-%dT%H:%M:%SZ");
    fprintf(stderr, "%s %s %s: %s\n", ts, level_name(l), domain ? domain : "cpr-intake",
            message);
    fflush(stderr);
}

static gboolean parse_level(const char *name, GLogLevelFlags *level_r)
{
    static const struct {
        const char *name;
        GLogLevelFlags level;
    } levels[] = {
        {"debug", G_LOG_LEVEL_DEBUG},
        {"info", G_LOG_LEVEL_INFO},
        {"warning", G_LOG_LEVEL_WARNING},
        {"error", G_LOG_LEVEL_CRITICAL},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(levels); i++)
        if (!g_ascii_strcasecmp(name, levels[i].name)) {
            *level_r = levels[i].level;
            return TRUE;
        }
    return FALSE;
}

int cli_run(CliContext *ctx, int argc, char **argv)
{
    gboolean once = FALSE;
    g_autofree char *level = NULL;
    GOptionEntry entries[] = {
        {"once", 0, 0, G_OPTION_ARG_NONE, &once, "catch up every folder, then exit", NULL},
        {"log-level", 0, 0, G_OPTION_ARG_STRING, &level,
         "debug | info | warning | error (default: info)", "LEVEL"},
        {NULL},
    };
    if (!cli_parse_options("run", NULL, entries, &argc, &argv))
        return CLI_USAGE;
    GError *error = NULL;
    if (argc > 1) {
        cli_error("run: unexpected argument \"%s\"", argv[1]);
        return CLI_USAGE;
    }
    if (level && !parse_level(level, &log_threshold)) {
        cli_error("run: --log-level must be debug, info, warning or error, not \"%s\"", level);
        return CLI_USAGE;
    }
    g_log_set_default_handler(log_to_stderr, NULL);
    if (!ctx->cfg->imap_url) {
        cli_error("run: %s has no [imap] section with a url", ctx->config_path);
        return CLI_USAGE;
    }
    if (!cli_secrets_ok(ctx, "run"))
        return CLI_USAGE;
    ctx->create_db = TRUE;
    Store *store = cli_store(ctx);
    if (!store)
        return CLI_STORE;
    Bounds bounds = bounds_default();
    Intake *intake = intake_new(store, ctx->cfg, &bounds);
    gboolean ok = imap_daemon_run(ctx->cfg, store, intake, once, &error);
    intake_free(&intake);
    if (!ok)
        return cli_fail("run", error);
    return CLI_OK;
}
