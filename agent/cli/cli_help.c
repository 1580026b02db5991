/* cli_help.c - the help of each command (see cli_help.h). The same text is in
 * the man page cpr-intake(8) (conf/man/cpr-intake.8). */
#include "cli_help.h"

#include <string.h>

typedef struct {
    const char *command;
    const char *text;
} HelpText;

static const HelpText HELP[] = {
    {"run",
     "The daemon: connect to [imap] url, catch up every folder in `folders=`, then IDLE\n"
     "on the first one (the others are polled every poll_seconds); run the clocks,\n"
     "escalations and the outbox. One daemon per database: a second `run` exits 1\n"
     "naming the pid that holds <database>.lock. SIGHUP re-reads the configuration,\n"
     "SIGTERM stops after the message being committed.\n\n"
     "  --once             catch up every folder, process, exit\n"
     "  --log-level LEVEL  debug | info | warning | error (default: info)\n"},
    {"ingest",
     "Store and classify messages from files: .eml files, Maildir folders, directories,\n"
     "mbox files, or standard input with `-` (an MTA pipe). Exit 1 when any input\n"
     "failed or was quarantined.\n\n"
     "  --json             one JSON object per message, one per line\n"},
    {"list", "Cases with kind, problem, BR 4.9.1.1 reason, incident state, aware_at, next\n"
             "deadline (marked (MISSED) when overdue, in red on a terminal unless NO_COLOR is\n"
             "set) and time left.\n\n"
             "  --json             a JSON array\n"
             "  --open             open cases only\n"
             "  --sort KEY         deadline (soonest first) | aware (default) | reference\n"},
    {"show", "One case (number or CPR-YYYY-NNNN): subject, reason, incident state, bug,\n"
             "linked cases, messages with their senders (From, Reply-To), identifiers, clocks\n"
             "(status, rule, how late), events (recorded_at, back-filled, note).\n\n"
             "  --json             one JSON object\n"},
    {"deadlines", "Open and missed clocks of open cases, soonest first (never a withdrawn one).\n\n"
                  "  --json             a JSON array\n"},
    {"event",
     "Record what people did on a case (TYPE: acknowledged, preliminary_report_sent,\n"
     "subscriber_notified, revoked, revocation_delayed, disclosed, bug_filed, contained,\n"
     "question_asked, question_answered, note, ...). A time in the future or before the\n"
     "case's aware_at is refused; one written long after it is marked back-filled.\n\n"
     "  --at TIME          when it happened (UTC; default now)\n"
     "  --by NAME          who did it (default: the user running the command)\n"
     "  --note TEXT        free text\n"
     "  --ref N            the Bugzilla comment number of a question\n"},
    {"case",
     "Decisions about a case, each audited.\n\n"
     "  case reason CASE REASON [--note T]     the BR 4.9.1.1 reason (1-16 or its name);\n"
     "                                         the revocation clock follows\n"
     "  case incident CASE yes [--aware-at T]  an incident: its clocks run from T (now)\n"
     "  case incident CASE no --rationale T    not one: the incident clocks are withdrawn\n"
     "  case link-bug CASE BUG                 link a Bugzilla bug filed elsewhere\n"},
    {"draft", "The redacted reports of a case, built from its facts (SPEC 2.5).\n\n"
              "  --report KIND      preliminary (default) | full | closure |\n"
              "                     delayed-revocation | reporter-mail | subscriber-mail\n"
              "  --format FORMAT    markdown (default) | bugzilla-json (reports) | eml (mails)\n"
              "  --with-excerpt     add a redacted excerpt of the first report\n"},
    {"send", "Deliver a BR 4.9.5 preliminary report over [mail] SMTP: the leak-checked mail of\n"
             "`draft CASE --report KIND --format eml`. When the server accepts it,\n"
             "preliminary_report_sent (reporter-mail) or subscriber_notified (subscriber-mail)\n"
             "is recorded at that time.\n"},
    {"file", "Create the case's Bugzilla bug through the REST API ([bugzilla]); never twice.\n"},
    {"consent",
     "The registry of reporters who agreed to be named in public reports.\n\n"
     "  consent grant EMAIL [--name N] --evidence TEXT [--by NAME]\n"
     "  consent revoke EMAIL [--by NAME]\n"
     "  consent list [--all] [--json]   the current state; --all: every grant and\n"
     "                                  revocation with its evidence\n"},
    {"quarantine",
     "Messages kept whole because they could not be parsed cleanly.\n\n"
     "  quarantine list [--json]\n"
     "  quarantine show ID [--json]\n"
     "  quarantine export ID [--output FILE]   the raw bytes; FILE is new, mode 0600\n"},
    {"check-config",
     "Validate the configuration and its secret files (exit 2 when invalid), then try\n"
     "every connection without side effects, one line per check: IMAP login and\n"
     "EXAMINE of each folder, Bugzilla GET /rest/whoami, each notify target (DNS, TCP,\n"
     "TLS, an HTTP HEAD or SMTP EHLO; nothing is sent), the [ack] SMTP server. Exit 0\n"
     "when all pass, 1 naming what failed.\n\n"
     "  --print            the effective configuration, defaults included, without\n"
     "                     secrets (secret files by path only)\n"},
    {"status",
     "Intake health: per folder the last UID and sync, the connection, the last error,\n"
     "the outbox backlog, quarantined messages; and a verdict `state` with its\n"
     "`reason`. Exit status as a monitoring plugin: 0 healthy, 1 degraded, 2 down,\n"
     "3 unknown. Without [imap] the state is healthy unless outbox deliveries fail.\n\n"
     "  --json             one JSON object\n"},
    {"audit",
     "The evidence.\n\n"
     "  audit verify                     recompute the hash chain of the event log\n"
     "  audit export [--case N] [--format csv|json|markdown] [--since DATE]\n"
     "  audit report [--since DATE] [--until DATE] [--json | --format text|json|html]\n"
     "               [--output FILE]     response times per clock; html: one\n"
     "                                   self-contained page with a timeline per case\n"},
    {"notify-run",
     "Without the daemon: deliver pending pages and mails, run the clock sweep and\n"
     "escalations; read back through Bugzilla's REST API the mail that would relax a\n"
     "clock.\n\n"
     "  --once             one round, then exit\n"},
    {"outbox", "Notifications: pending, delivered, failed.\n\n"
               "  --json             a JSON array\n"},
    {"help", "Print the list of commands, or the help of one command.\n"},
};

gboolean cli_help_requested(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--"))
            return FALSE;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
            return TRUE;
    }
    return FALSE;
}

void cli_help_print(FILE *out, const char *command, const char *usage)
{
    fprintf(out, "usage: cpr-intake [--config FILE] [--db FILE] %s\n", usage ? usage : command);
    for (gsize i = 0; i < G_N_ELEMENTS(HELP); i++)
        if (!strcmp(HELP[i].command, command)) {
            fprintf(out, "\n%s", HELP[i].text);
            break;
        }
    fprintf(out, "\nThis command reads the configuration from --config, $CPR_INTAKE_CONFIG or\n"
                 "/etc/cpr-intake/cpr-intake.conf; see cpr-intake.conf(5).\n");
}
