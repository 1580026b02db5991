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
    g_autoptr(GOptionContext) oc = g_option_context_new("CASE");
    g_option_context_add_main_entries(oc, entries, NULL);
    GError *error = NULL;
    if (!g_option_context_parse(oc, &argc, &argv, &error)) {
        cli_error("draft: %s", error->message);
        g_error_free(error);
        return CLI_USAGE;
    }
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
    g_autoptr(CaseRow) c = cases_load(store, argv[1], &error);
    if (!c)
        goto fail;
    g_autofree char *draft = drafts_render(store, ctx->cfg, c->id, format, ctx->now, &error);
    if (!draft)
        goto fail;
    fputs(draft, stdout);
    if (!g_str_has_suffix(draft, "\n"))
        fputc('\n', stdout);
    return CLI_OK;
fail:
    cli_error("draft: %s", error->message);
    int rc = cli_status_for(error);
    g_error_free(error);
    return rc;
}
