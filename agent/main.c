/* main.c - cpr-intake's entry point: global options, configuration, dispatch. */
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <gmime/gmime.h>

#include "cli.h"
#include "cli_help.h"
#include "logging.h"
#include "testhooks.h"
#include "version.h"

#define DEFAULT_CONFIG "/etc/cpr-intake/cpr-intake.conf"

typedef int (*CommandFunc)(CliContext *ctx, int argc, char **argv);

typedef struct {
    const char *name;
    CommandFunc func;
    const char *usage;
} Command;

static const Command COMMANDS[] = {
    {"run", cli_run, "run [--once] [--log-level LEVEL]  the IMAP daemon; --once: catch up, exit"},
    {"ingest", cli_ingest, "ingest [--json] PATH... | -   files, Maildirs, mbox files or stdin"},
    {"list", cli_list, "list [--json] [--open]          cases and their next deadline"},
    {"show", cli_show, "show CASE [--json]              one case in full"},
    {"deadlines", cli_deadlines, "deadlines [--json]              open clocks, soonest first"},
    {"event", cli_event, "event CASE TYPE [--at TIME] [--by NAME] [--note TEXT] [--ref N]"},
    {"case", cli_case, "case reason CASE REASON [--note T] | incident CASE yes|no [--rationale T]\n"
                       "        [--aware-at TIME] | link-bug CASE BUG"},
    {"draft", cli_draft, "draft CASE [--report KIND] [--format markdown|bugzilla-json|eml] [--with-excerpt]  the redacted reports"},
    {"consent", cli_consent, "consent grant EMAIL [--name N] --evidence TEXT | revoke EMAIL | list [--json]"},
    {"send", cli_send, "send CASE reporter-mail|subscriber-mail  deliver a BR 4.9.5 report over [mail]"},
    {"file", cli_file, "file CASE                       create the Bugzilla bug (never twice)"},
    {"status", cli_status, "status [--json]                 intake health"},
    {"audit", cli_audit, "audit verify [--checkpoints FILE --public-key FILE] | audit checkpoint\n"
                         "        | audit export [--case N] [--format csv|json|markdown] [--since DATE]\n"
                         "        | audit report [--since DATE] [--until DATE] [--json | --format text|json|html] [--output FILE]"},
    {"notify-run", cli_notify_run, "notify-run [--once]             escalations, health pages, outbox delivery"},
    {"classify", cli_classify, "classify [--explain] FILE...     kind, problem, reason and the rules that fired; stores nothing"},
    {"triage", cli_triage, "triage done MESSAGE_ID... [--note T]  record the review of mail that opened no case"},
    {"outbox", cli_outbox, "outbox [--json]                 notifications: pending, delivered, failed"},
    {"quarantine", cli_quarantine, "quarantine list [--json] | show ID [--json] | export ID [--output FILE]"},
    {"check-config", cli_check_config, "check-config [--print]          validate, then try every connection"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: cpr-intake [--config FILE] [--db FILE] COMMAND ...\n\ncommands:\n");
    for (gsize i = 0; i < G_N_ELEMENTS(COMMANDS); i++)
        fprintf(out, "  %s\n", COMMANDS[i].usage);
    fprintf(out, "  help [COMMAND] | COMMAND --help   what a command does and its options\n");
    fprintf(out, "\nThe configuration is read from --config, $CPR_INTAKE_CONFIG or %s.\n",
            DEFAULT_CONFIG);
}

/* --help, -h and --version: the first one given wins. */
static gboolean first_action(const char *name, const char *value, gpointer data, GError **error)
{
    const char **action = data;
    if (!*action)
        *action = !strcmp(name, "--version") ? "--version" : "--help"; /* name is GLib's */
    return TRUE;
}

int main(int argc, char **argv)
{
    setlocale(LC_ALL, "");
    /* Databases, exports and checkpoints hold reporters' mail: 0600. */
    umask(077);
    /* A peer that hangs up must be an error return, not a dead daemon. */
    signal(SIGPIPE, SIG_IGN);
    logging_init(); /* one log format for every command (logging.h) */

    CliContext ctx = {0};
    g_autofree char *config_opt = NULL, *db_opt = NULL;
    const char *action = NULL; /* the first of --help/-h and --version */
    GOptionEntry entries[] = {
        {"config", 0, 0, G_OPTION_ARG_FILENAME, &config_opt, NULL, NULL},
        {"db", 0, 0, G_OPTION_ARG_FILENAME, &db_opt, NULL, NULL},
        {"help", 'h', G_OPTION_FLAG_NO_ARG, G_OPTION_ARG_CALLBACK, (gpointer)first_action, NULL,
         NULL},
        {"version", 0, G_OPTION_FLAG_NO_ARG, G_OPTION_ARG_CALLBACK, (gpointer)first_action, NULL,
         NULL},
        {NULL},
    };
    /* Global options only: parsing stops at the command (strict POSIX); our
     * own usage text and messages, not GLib's. */
    GOptionContext *octx = g_option_context_new(NULL);
    g_option_context_set_help_enabled(octx, FALSE);
    g_option_context_set_strict_posix(octx, TRUE);
    g_option_context_set_ignore_unknown_options(octx, TRUE);
    GOptionGroup *group = g_option_group_new(NULL, NULL, NULL, &action, NULL);
    g_option_group_add_entries(group, entries);
    g_option_context_set_main_group(octx, group);
    GError *oerr = NULL;
    gboolean parsed = g_option_context_parse(octx, &argc, &argv, &oerr);
    g_option_context_free(octx);
    if (action && !strcmp(action, "--version")) { /* SPEC 3.2: reads no configuration */
        g_clear_error(&oerr);
        printf("cpr-intake %s\n", cpr_version());
        return CLI_OK;
    }
    if (action) {
        g_clear_error(&oerr);
        usage(stdout);
        return CLI_OK;
    }
    if (!parsed || (argc > 1 && argv[1][0] == '-')) {
        /* an option we do not know, or --config/--db without a value */
        cli_error("unknown option %s", parsed ? argv[1] : argv[argc - 1]);
        g_clear_error(&oerr);
        usage(stderr);
        return CLI_USAGE;
    }
    ctx.config_path = config_opt;
    ctx.db_path = db_opt;
    int i = 1;
    if (i >= argc) {
        usage(stderr);
        return CLI_USAGE;
    }
    /* help [COMMAND] and COMMAND --help read no configuration (cli_help.h) */
    gboolean help = !strcmp(argv[i], "help");
    if (help && i + 1 >= argc) {
        usage(stdout);
        return CLI_OK;
    }
    const char *name = help ? argv[i + 1] : argv[i];
    const Command *cmd = NULL;
    for (gsize c = 0; c < G_N_ELEMENTS(COMMANDS); c++)
        if (!strcmp(name, COMMANDS[c].name))
            cmd = &COMMANDS[c];
    if (!cmd) {
        cli_error("unknown command \"%s\"", name);
        usage(stderr);
        return CLI_USAGE;
    }
    if (help || cli_help_requested(argc - i, argv + i)) {
        cli_help_print(stdout, cmd->name, cmd->usage);
        return CLI_OK;
    }
    if (!ctx.config_path)
        ctx.config_path = g_getenv("CPR_INTAKE_CONFIG");
    if (!ctx.config_path)
        ctx.config_path = DEFAULT_CONFIG;

    GError *error = NULL;
    ctx.cfg = config_load(ctx.config_path, &error);
    if (!ctx.cfg) {
        cli_error("%s", error->message);
        g_error_free(error);
        return CLI_USAGE;
    }
    ctx.now = testhooks_now();
    g_mime_init();
    int status = cmd->func(&ctx, argc - i, argv + i);
    store_free(&ctx.store);
    config_free(&ctx.cfg);
    g_mime_shutdown();
    return status;
}
