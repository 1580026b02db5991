/* cli_ingest.c - `cpr-intake ingest [--json] PATH... | -`. */
#include <stdio.h>

#include "cli.h"
#include "cpr_error.h"
#include "intake.h"
#include "sources.h"

typedef struct {
    CliContext *ctx;
    Intake *intake;
    gboolean json;
    guint quarantined;
    gboolean store_failed;
} IngestRun;

static gboolean on_message(const guint8 *raw, gsize len, const char *source, gpointer user_data,
                           gboolean *stop_r, GError **error)
{
    IngestRun *run = user_data;
    IntakeOrigin origin = {.source = source, .now = run->ctx->now};
    IntakeResult *r = NULL;
    if (!intake_message(run->intake, raw, len, &origin, &r, error)) {
        /* Nothing was committed; a database failure is not this message's fault
         * and would fail the next one too. */
        run->store_failed = TRUE;
        *stop_r = TRUE;
        return FALSE;
    }
    if (run->json) {
        g_autofree char *line = intake_result_to_json(r);
        printf("%s\n", line);
    } else {
        printf("%s: %s%s%s%s %s%s\n", source, classify_kind_name(r->kind),
               r->problem != PROBLEM_NONE ? "/" : "",
               r->problem != PROBLEM_NONE ? classify_problem_name(r->problem) : "",
               r->duplicate ? " (duplicate)" : "",
               r->case_reference ? r->case_reference : "no case",
               r->new_case ? " (new)" : "");
    }
    fflush(stdout);
    gboolean ok = TRUE;
    if (r->problems->len > 0 && !r->duplicate) {
        /* Stored, raw bytes kept, but a person must look at it. */
        g_autoptr(GString) joined = g_string_new(NULL);
        for (guint i = 0; i < r->problems->len; i++)
            g_string_append_printf(joined, "%s%s", i ? "; " : "",
                                   (const char *)g_ptr_array_index(r->problems, i));
        g_set_error(error, CPR_ERROR, CPR_ERROR_MESSAGE, "stored and quarantined: %s", joined->str);
        run->quarantined++;
        ok = FALSE;
    }
    intake_result_free(&r);
    return ok;
}

static void on_error(const char *source, const GError *error, gpointer user_data)
{
    cli_error("%s: %s", source, error->message);
}

int cli_ingest(CliContext *ctx, int argc, char **argv)
{
    gboolean json = FALSE;
    GOptionEntry entries[] = {
        {"json", 0, 0, G_OPTION_ARG_NONE, &json, "one JSON object per message", NULL},
        {NULL},
    };
    g_autoptr(GOptionContext) oc = g_option_context_new("PATH... | -");
    g_option_context_add_main_entries(oc, entries, NULL);
    GError *error = NULL;
    if (!g_option_context_parse(oc, &argc, &argv, &error)) {
        cli_error("ingest: %s", error->message);
        g_error_free(error);
        return CLI_USAGE;
    }
    if (argc < 2) {
        cli_error("ingest: expected at least one PATH (a file, Maildir, mbox, directory or -)");
        return CLI_USAGE;
    }
    Store *store = cli_store(ctx);
    if (!store)
        return CLI_STORE;
    Bounds bounds = bounds_default();
    IngestRun run = {.ctx = ctx, .json = json};
    run.intake = intake_new(store, ctx->cfg, &bounds);
    guint failures = 0;
    for (int i = 1; i < argc && !run.store_failed; i++) {
        guint f = 0;
        sources_walk(argv[i], bounds.max_message_bytes, on_message, on_error, &run, &f);
        failures += f;
    }
    intake_free(&run.intake);
    if (run.store_failed)
        return CLI_STORE;
    return failures ? CLI_FAILED : CLI_OK;
}
