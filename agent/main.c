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

int main(int argc, char **argv)
{
    setlocale(LC_ALL, "");
    /* Databases, exports and checkpoints hold reporters' mail: 0600. */
    umask(077);
    /* A peer that hangs up must be an error return, not a dead daemon. */
    signal(SIGPIPE, SIG_IGN);
    logging_init(); /* one log format for every command (logging.h) */

    CliContext ctx = {0};
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *opt = argv[i];
        if (!strcmp(opt, "--help") || !strcmp(opt, "-h")) {
            usage(stdout);
            return CLI_OK;
        }
        if (!strcmp(opt, "--version")) { /* SPEC 3.2: reads no configuration */
            printf("cpr-intake %s\n", cpr_version());
            return CLI_OK;
        }
        if ((!strcmp(opt, "--config") || !strcmp(opt, "--db")) && i + 1 < argc) {
            if (!strcmp(opt, "--config"))
                ctx.config_path = argv[++i];
            else
                ctx.db_path = argv[++i];
        } else if (g_str_has_prefix(opt, "--config=")) {
            ctx.config_path = opt + strlen("--config=");
        } else if (g_str_has_prefix(opt, "--db=")) {
            ctx.db_path = opt + strlen("--db=");
        } else {
            cli_error("unknown option %s", opt);
            usage(stderr);
            return CLI_USAGE;
        }
    }
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
