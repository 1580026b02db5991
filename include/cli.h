/* cli.h - the command-line commands (SPEC 3.2). main.c parses the global
 * options and dispatches; each cli_*.c file holds one group of commands;
 * cli_common.c holds what they all use. */
#ifndef CPR_CLI_H
#define CPR_CLI_H

#include <glib.h>
#include <json-glib/json-glib.h>
#include "cases.h"
#include "config.h"
#include "store.h"

/* Exit statuses, so scripts can tell what went wrong. */
enum {
    CLI_OK = 0,
    CLI_FAILED = 1, /* some input failed, a check failed, the leak check hit */
    CLI_USAGE = 2,  /* bad command line or configuration */
    CLI_STORE = 3,  /* the database failed */
};

typedef struct {
    const char *config_path;
    const char *db_path; /* --db overrides [store] path */
    Config *cfg;         /* loaded by main before dispatch */
    Store *store;        /* opened on first use by cli_store() */
    gint64 now;          /* CPR_INTAKE_NOW (tests) or the real time */
    gboolean create_db;  /* set by commands that store (ingest, run, ...) */
} CliContext;

/* Open the store on first use; NULL after printing the error. A missing
 * database is an error unless ctx->create_db (read-only commands never make
 * one). */
Store *cli_store(CliContext *ctx);
/* --db, else [store] path. */
const char *cli_db_path(const CliContext *ctx);
/* config_check_secrets() for a command that reads secrets; FALSE after
 * printing "<cmd>: <why>" (the caller returns CLI_USAGE). */
gboolean cli_secrets_ok(CliContext *ctx, const char *cmd);
/* Print an error for people: "cpr-intake: <message>". */
void cli_error(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
/* Print "cpr-intake: <cmd>: <message>", free `error`, return its exit status. */
int cli_fail(const char *cmd, GError *error);
/* Print "cpr-intake: <message>" (no command name), free `error`, return
 * CLI_STORE: for a store that failed under a read. */
int cli_store_fail(GError *error);
/* The builder's document, pretty, and a newline on stdout. */
void cli_print_json(JsonBuilder *b);
/* Parse a command's options (GOption; `params` is the --help summary, may be
 * NULL), leaving the other arguments in *argc, *argv. FALSE after printing
 * "<cmd>: <why>": the caller returns CLI_USAGE. */
gboolean cli_parse_options(const char *cmd, const char *params, GOptionEntry *entries, int *argc,
                           char ***argv);
/* cli_parse_options(), then exactly `nargs` arguments after the command word,
 * else "<cmd>: expected <expected>" (with `nargs` 0: "<cmd>: unexpected
 * argument "<arg>""). FALSE after printing: the caller returns CLI_USAGE. */
gboolean cli_parse_args(const char *cmd, const char *params, GOptionEntry *entries, int nargs,
                        const char *expected, int *argc, char ***argv);
/* The --by option of a command that records what someone did, for its
 * GOptionEntry table: `what` says who ("who decided"). Left unset, the value
 * is the user running the command (cli_store_by). */
#define CLI_OPTION_BY(var, what)                                                                  \
    {"by", 0, 0, G_OPTION_ARG_STRING, (var), what " (default: the user running this)", "NAME"}
/* For a command that records what someone did: the store opened and *by_r
 * defaulted to cli_user_name(). NULL after printing the error: the caller
 * returns CLI_STORE. */
Store *cli_store_by(CliContext *ctx, char **by_r);
/* For a command that reads: cli_store(), then `sql` prepared on it. NULL
 * after printing the error, with the exit status in *status_r (a failed
 * prepare printed as cli_fail(cmd, ...), or as cli_store_fail() when `cmd`
 * is NULL). The store is ctx->store. */
sqlite3_stmt *cli_query(CliContext *ctx, const char *cmd, const char *sql, int *status_r);
/* cli_store_by() and a transaction begun; end it with cli_end(). NULL after
 * printing the error, with the exit status in *status_r. */
Store *cli_begin(CliContext *ctx, const char *cmd, char **by_r, int *status_r);
/* cases_load() for command `cmd`: NULL after printing the error, with the
 * exit status in *status_r. */
CaseRow *cli_case_load(Store *store, const char *cmd, const char *key, int *status_r);
/* For a command that changes case `key`: the store opened, the case loaded,
 * then cli_begin(). NULL after printing the error, with the exit status in
 * *status_r. End it with cli_end(). */
CaseRow *cli_case_begin(CliContext *ctx, const char *cmd, const char *key, char **by_r,
                        int *status_r);
/* Commit when `ok`, else (or when the commit fails) roll back and print
 * `error` for `cmd`. CLI_OK or the error's exit status. */
int cli_end(Store *store, const char *cmd, gboolean ok, GError *error);

/* cli_show_extra.c: From and Reply-To of a raw message as display text
 * ("Name <addr>"), NULL when absent; callers free. For the CA's terminal
 * only: public outputs are redacted elsewhere. */
void cli_message_senders(const guint8 *raw, gsize len, char **from_r, char **reply_to_r);
/* The "note" of an event's details JSON, or NULL. Caller frees. */
char *cli_event_note(const char *details_json);
/* How late a clock is or was: met_at (or now while unmet) past due_at, in
 * seconds; 0 when on time or withdrawn unmet. */
gint64 cli_clock_lateness(gint64 due_at, gint64 met_at, gboolean withdrawn, gint64 now);
/* TRUE when stdout is a terminal and NO_COLOR is not set. */
gboolean cli_colour(void);

int cli_ingest(CliContext *ctx, int argc, char **argv);
int cli_list(CliContext *ctx, int argc, char **argv);
int cli_show(CliContext *ctx, int argc, char **argv);
int cli_deadlines(CliContext *ctx, int argc, char **argv);
int cli_event(CliContext *ctx, int argc, char **argv);
int cli_case(CliContext *ctx, int argc, char **argv); /* cli_case.c */
int cli_send(CliContext *ctx, int argc, char **argv);           /* cli_send.c */
int cli_case_subscriber(CliContext *ctx, int argc, char **argv); /* cli_subscriber.c */
/* The name of the user running the command (getpwuid); caller frees. */
char *cli_user_name(void);
int cli_status(CliContext *ctx, int argc, char **argv);
int cli_audit(CliContext *ctx, int argc, char **argv);
int cli_run(CliContext *ctx, int argc, char **argv); /* cli_run.c */
int cli_file(CliContext *ctx, int argc, char **argv); /* cli_file.c */
int cli_draft(CliContext *ctx, int argc, char **argv); /* cli_drafts.c */
int cli_consent(CliContext *ctx, int argc, char **argv); /* cli_consent.c */
int cli_notify_run(CliContext *ctx, int argc, char **argv); /* cli_notify.c */
int cli_outbox(CliContext *ctx, int argc, char **argv);     /* cli_notify.c */
int cli_classify(CliContext *ctx, int argc, char **argv); /* cli_classify.c */
int cli_triage(CliContext *ctx, int argc, char **argv);    /* cli_triage.c: `triage done` */
int cli_triage_list(CliContext *ctx, gboolean json);       /* cli_triage.c: `list --triage` */
int cli_case_open(CliContext *ctx, int argc, char **argv); /* cli_triage.c: `case open` */
int cli_quarantine(CliContext *ctx, int argc, char **argv);   /* cli_quarantine.c */
int cli_check_config(CliContext *ctx, int argc, char **argv); /* cli_check.c */
int cli_audit_report(CliContext *ctx, int argc, char **argv); /* cli_notify.c: `audit report` */

#endif
