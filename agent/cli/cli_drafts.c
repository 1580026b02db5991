/* cli_drafts.c - `draft CASE [--report KIND] [--format FORMAT]
 * [--with-excerpt]`: the redacted, leak-checked reports of a case (SPEC 2.5,
 * 3.2). A draft that fails the leak check is not printed: the error (naming
 * the case and the output, never the identifier) goes to stderr and the exit
 * status is CLI_FAILED. An unknown report, format or pair of them is a bad
 * command line (CLI_USAGE), and so is a report kind the configured template
 * version has no template for. */
#include <stdio.h>
#include <string.h>

#include "cases.h"
#include "cli.h"
#include "cpr_error.h"
#include "drafts.h"

int cli_draft(CliContext *ctx, int argc, char **argv)
{
    g_autofree char *format_name = NULL, *report_name = NULL;
    gboolean with_excerpt = FALSE;
    GOptionEntry entries[] = {
        {"report", 0, 0, G_OPTION_ARG_STRING, &report_name,
         "preliminary (default), full, closure, delayed-revocation, reporter-mail or "
         "subscriber-mail",
         "KIND"},
        {"format", 0, 0, G_OPTION_ARG_STRING, &format_name,
         "markdown (default); bugzilla-json for reports (POST /rest/bug), eml for mails",
         "FORMAT"},
        {"with-excerpt", 0, 0, G_OPTION_ARG_NONE, &with_excerpt,
         "add a redacted excerpt of the first report (leak-checked like the rest)", NULL},
        {NULL},
    };
    if (!cli_parse_args("draft", "CASE", entries, 1, "one CASE (number or CPR-YYYY-NNNN)", &argc,
                        &argv))
        return CLI_USAGE;
    DraftOptions opts = {.report = DRAFT_PRELIMINARY, .format = DRAFT_MARKDOWN,
                         .with_excerpt = with_excerpt};
    if (report_name && !drafts_report_parse(report_name, &opts.report)) {
        cli_error("draft: --report \"%s\": expected preliminary, full, closure, "
                  "delayed-revocation, reporter-mail or subscriber-mail",
                  report_name);
        return CLI_USAGE;
    }
    if (format_name && !drafts_format_parse(format_name, &opts.format)) {
        cli_error("draft: --format \"%s\": expected markdown, bugzilla-json or eml", format_name);
        return CLI_USAGE;
    }
    if (!drafts_format_allowed(opts.report, opts.format)) {
        cli_error("draft: --report %s has no --format %s (reports: markdown or bugzilla-json; "
                  "mails: markdown or eml)",
                  drafts_report_name(opts.report), drafts_format_name(opts.format));
        return CLI_USAGE;
    }
    Store *store = cli_store(ctx);
    if (!store)
        return CLI_STORE;
    int rc = CLI_OK;
    g_autoptr(CaseRow) c = cli_case_load(store, "draft", argv[1], &rc);
    if (!c)
        return rc;
    GError *error = NULL;
    g_autofree char *draft =
        drafts_render_options(store, ctx->cfg, c->id, &opts, ctx->now, &error);
    if (!draft)
        return cli_fail("draft", error);
    fputs(draft, stdout);
    if (!g_str_has_suffix(draft, "\n"))
        fputc('\n', stdout);
    return CLI_OK;
}
