/* cli_common.c - what every command shares (see cli.h): error output, exit
 * statuses, the store opened on first use, option parsing, a change's
 * transaction (cli_begin/cli_end), loading a case, printing JSON. */
#include <pwd.h>
#include <stdio.h>
#include <unistd.h>

#include "cli.h"
#include "cpr_error.h"
#include "jsonutil.h"
#include "logging.h"
#include "obligations.h"

void cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    logging_error_line(msg);
}

/* The exit status for an error from a lower layer. */
static int cli_status_for(const GError *error)
{
    if (!error || error->domain != CPR_ERROR)
        return CLI_FAILED;
    switch (error->code) {
    case CPR_ERROR_STORE:
        return CLI_STORE;
    case CPR_ERROR_CONFIG:
    case CPR_ERROR_INPUT:
        return CLI_USAGE;
    default:
        return CLI_FAILED;
    }
}

int cli_fail(const char *cmd, GError *error)
{
    cli_error("%s: %s", cmd, error->message);
    int rc = cli_status_for(error);
    g_error_free(error);
    return rc;
}

int cli_store_fail(GError *error)
{
    cli_error("%s", error->message);
    g_error_free(error);
    return CLI_STORE;
}

void cli_print_json(JsonBuilder *b)
{
    g_autofree char *s = jsonutil_builder_to_string(b, TRUE);
    printf("%s\n", s);
}

const char *cli_db_path(const CliContext *ctx)
{
    return ctx->db_path ? ctx->db_path : ctx->cfg->store_path;
}

gboolean cli_secrets_ok(CliContext *ctx, const char *cmd)
{
    GError *error = NULL;
    if (config_check_secrets(ctx->cfg, &error))
        return TRUE;
    cli_error("%s: %s", cmd, error->message);
    g_error_free(error);
    return FALSE;
}

Store *cli_store(CliContext *ctx)
{
    if (ctx->store)
        return ctx->store;
    const char *path = cli_db_path(ctx);
    /* Only the commands that store something create the database; the others
     * read: a missing file is an error, never a new empty database. */
    if (!ctx->create_db && !g_file_test(path, G_FILE_TEST_EXISTS)) {
        cli_error("%s: no database (ingest or run creates it; --db or [store] path names it)",
                  path);
        return NULL;
    }
    GError *error = NULL;
    ctx->store = store_open(path, &error);
    if (!ctx->store) {
        cli_store_fail(error);
        return NULL;
    }
    clocks_set_backfill_slack(ctx->cfg->audit_backfill_slack_seconds);
    /* Cases stored before the obligations model get their reasons and
     * clocks once, on first open by this version (obligations.h). */
    if (!obligations_upgrade(ctx->store, ctx->cfg, ctx->now, &error)) {
        cli_store_fail(error);
        store_free(&ctx->store);
    }
    return ctx->store;
}

gboolean cli_parse_options(const char *cmd, const char *params, GOptionEntry *entries, int *argc,
                           char ***argv)
{
    g_autoptr(GOptionContext) oc = g_option_context_new(params);
    g_option_context_add_main_entries(oc, entries, NULL);
    GError *error = NULL;
    if (!g_option_context_parse(oc, argc, argv, &error)) {
        cli_error("%s: %s", cmd, error->message);
        g_error_free(error);
        return FALSE;
    }
    return TRUE;
}

gboolean cli_parse_args(const char *cmd, const char *params, GOptionEntry *entries, int nargs,
                        const char *expected, int *argc, char ***argv)
{
    if (!cli_parse_options(cmd, params, entries, argc, argv))
        return FALSE;
    if (*argc == nargs + 1)
        return TRUE;
    if (nargs == 0)
        cli_error("%s: unexpected argument \"%s\"", cmd, (*argv)[1]);
    else
        cli_error("%s: expected %s", cmd, expected);
    return FALSE;
}

CaseRow *cli_case_load(Store *store, const char *cmd, const char *key, int *status_r)
{
    GError *error = NULL;
    CaseRow *c = cases_load(store, key, &error);
    if (!c)
        *status_r = cli_fail(cmd, error);
    return c;
}

Store *cli_store_by(CliContext *ctx, char **by_r)
{
    Store *store = cli_store(ctx);
    if (store && !*by_r)
        *by_r = cli_user_name();
    return store;
}

sqlite3_stmt *cli_query(CliContext *ctx, const char *cmd, const char *sql, int *status_r)
{
    Store *store = cli_store(ctx);
    if (!store) {
        *status_r = CLI_STORE;
        return NULL;
    }
    GError *error = NULL;
    sqlite3_stmt *st = store_prepare(store, sql, &error);
    if (!st)
        *status_r = cmd ? cli_fail(cmd, error) : cli_store_fail(error);
    return st;
}

Store *cli_begin(CliContext *ctx, const char *cmd, char **by_r, int *status_r)
{
    Store *store = cli_store_by(ctx, by_r);
    if (!store) {
        *status_r = CLI_STORE;
        return NULL;
    }
    GError *error = NULL;
    if (!store_begin(store, &error)) {
        *status_r = cli_fail(cmd, error);
        return NULL;
    }
    return store;
}

CaseRow *cli_case_begin(CliContext *ctx, const char *cmd, const char *key, char **by_r,
                        int *status_r)
{
    Store *store = cli_store(ctx);
    if (!store) {
        *status_r = CLI_STORE;
        return NULL;
    }
    CaseRow *c = cli_case_load(store, cmd, key, status_r);
    if (c && !cli_begin(ctx, cmd, by_r, status_r))
        case_row_free(&c);
    return c;
}

int cli_end(Store *store, const char *cmd, gboolean ok, GError *error)
{
    if (ok && store_commit(store, &error))
        return CLI_OK;
    store_rollback(store); /* after a failed COMMIT store_commit already did; harmless */
    return cli_fail(cmd, error);
}

/* The name of the user running the command (`event --by` default):
 * getpwuid(), not getlogin(), which fails without a terminal. */
char *cli_user_name(void)
{
    const struct passwd *pw = getpwuid(getuid());
    return g_strdup(pw && pw->pw_name && *pw->pw_name ? pw->pw_name : "operator");
}
