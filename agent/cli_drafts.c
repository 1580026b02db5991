/* cli_drafts.c - `draft CASE [--format markdown|bugzilla-json]`: the redacted,
 * leak-checked Preliminary Incident Report or Bugzilla bug of a case
 * (SPEC 2.5, 3.2). A draft that fails the leak check is not printed: the
 * error (naming the case and the output, never the identifier) goes to
 * stderr and the exit status is CLI_FAILED. */
#include <stdio.h>
#include <string.h>

#include "cases.h"
#include "cli.h"
#include "cpr_error.h"
#include "drafts.h"

int cli_draft(CliContext *ctx, int argc, char **argv)
{
    g_autofree char *format_name = NULL;
    GOptionEntry entries[] = {
        {"format", 0, 0, G_OPTION_ARG_STRING, &format_name,
         "markdown (the Preliminary Incident Report, default) or bugzilla-json (POST /rest/bug)",
         "FORMAT"},
        {NULL},
    };
    if (!cli_parse_options("draft", "CASE", entries, &argc, &argv))
        return CLI_USAGE;
    if (argc != 2) {
        cli_error("draft: expected one CASE (number or CPR-YYYY-NNNN)");
        return CLI_USAGE;
    }
    DraftFormat format = DRAFT_MARKDOWN;
    if (format_name && !strcmp(format_name, "bugzilla-json")) {
        format = DRAFT_BUGZILLA_JSON;
    } else if (format_name && strcmp(format_name, "markdown")) {
        cli_error("draft: --format \"%s\": expected markdown or bugzilla-json", format_name);
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
    g_autofree char *draft = drafts_render(store, ctx->cfg, c->id, format, ctx->now, &error);
    if (!draft)
        return cli_fail("draft", error);
    fputs(draft, stdout);
    if (!g_str_has_suffix(draft, "\n"))
        fputc('\n', stdout);
    return CLI_OK;
}
