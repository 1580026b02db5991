/* cli_run.c - `cpr-intake run [--once] [--log-level LEVEL]`: the daemon command.
 *
 * Logs go to stderr, one line per event ("2026-11-21T20:32:14Z info imap:
 * event=ingested folder=INBOX uid=42 ..."; "<6>imap: ..." when stderr is the
 * journal), in the format of every command (logging.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "checkpoint.h"
#include "cli.h"
#include "cpr_error.h"
#include "daemon_lock.h"
#include "imap.h"
#include "intake.h"
#include "logging.h"
#include "notify.h"

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
    GLogLevelFlags threshold = G_LOG_LEVEL_INFO;
    if (level && !logging_parse_level(level, &threshold)) {
        cli_error("run: --log-level must be debug, info, warning or error, not \"%s\"", level);
        return CLI_USAGE;
    }
    logging_set_threshold(threshold);
    /* The daemon holds passwords and tokens in memory: no core dump, no
     * ptrace by other processes of the same user, before any secret is read. */
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
        g_autofree char *why = log_value(g_strerror(errno));
        g_warning("event=set_dumpable_failed error=%s", why);
    }
    if (!ctx->cfg->imap_url) {
        cli_error("run: %s has no [imap] section with a url", ctx->config_path);
        return CLI_USAGE;
    }
    if (!cli_secrets_ok(ctx, "run"))
        return CLI_USAGE;
    /* Before the store is opened and before connecting anywhere: with the
     * disk nearly full, page through a path that writes nothing (SPEC 3.3). */
    guint64 free_mb = 0;
    if (!notify_disk_ok(ctx->cfg, ctx->db_path ? ctx->db_path : ctx->cfg->store_path,
                        DISK_PAGE_REPEAT_SECONDS, &free_mb) && once) {
        cli_error("run: disk nearly full: %" G_GUINT64_FORMAT " MB free, [store] min_free_mb is "
                  "%u; nothing fetched", free_mb, ctx->cfg->store_min_free_mb);
        return CLI_FAILED;
    }
    /* The daemon signs checkpoints: a key it cannot use is a start-up error. */
    if (ctx->cfg->audit_signing_key_file && !checkpoint_key_check(ctx->cfg, &error))
        return cli_fail("run", error);
    /* One daemon per database: a second one would fetch the same mail and
     * write the same health keys, and `status` could not tell them apart. */
    gboolean busy = FALSE;
    int lock_fd = daemon_lock_acquire(ctx->db_path ? ctx->db_path : ctx->cfg->store_path, &busy,
                                      &error);
    if (lock_fd < 0) {
        cli_error("run: %s", error->message);
        g_error_free(error);
        return busy ? CLI_FAILED : CLI_STORE;
    }
    ctx->create_db = TRUE;
    Store *store = cli_store(ctx);
    if (!store) {
        close(lock_fd);
        return CLI_STORE;
    }
    Bounds bounds = bounds_default();
    Intake *intake = intake_new(store, ctx->cfg, &bounds);
    gboolean ok = imap_daemon_run(ctx->cfg, store, intake, once, &error);
    intake_free(&intake);
    int rc = ok ? CLI_OK : cli_fail("run", error);
    store_free(&ctx->store); /* closed while the lock is still held */
    close(lock_fd);
    return rc;
}
