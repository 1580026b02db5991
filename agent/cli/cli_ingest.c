/* cli_ingest.c - `cpr-intake ingest [--json] PATH... | -`. */
#include <stdio.h>

#include "cli.h"
#include "cpr_error.h"
#include "intake.h"
#include "intake_ahead.h"
#include "sources.h"

/* Messages are committed in batches (SQLite's cost is per commit); what is
 * printed about a message waits for its batch's commit, so nothing is ever
 * reported stored that a crash could still take back. */
#define INGEST_BATCH 200

/* Parsing ahead (issue 16, intake_ahead.h): while the main thread stores a
 * message, a thread pool parses the ones after it. What is held ahead is
 * bounded in messages and in raw bytes; a message larger than the byte bound
 * is not copied at all: what is ahead is stored first, then it is parsed and
 * stored in place, as before (a 30 MB report stays within its memory bound). */
#define AHEAD_MESSAGES 32
#define AHEAD_BYTES (8 * 1024 * 1024)

typedef struct {
    CliContext *ctx;
    Intake *intake;
    gboolean json;
    guint quarantined;
    gboolean store_failed;
    guint in_batch;
    GString *pending_out; /* stdout lines of the open batch */
    GString *pending_err; /* quarantine notes of the open batch */
    IntakeAhead *ahead;   /* NULL: parse on the main thread */
} IngestRun;

static gboolean batch_commit(IngestRun *run, GError **error)
{
    if (run->in_batch == 0)
        return TRUE;
    run->in_batch = 0;
    if (!intake_batch_commit(run->intake, error)) {
        g_string_truncate(run->pending_out, 0);
        g_string_truncate(run->pending_err, 0);
        return FALSE;
    }
    fputs(run->pending_out->str, stdout);
    fflush(stdout);
    fputs(run->pending_err->str, stderr);
    g_string_truncate(run->pending_out, 0);
    g_string_truncate(run->pending_err, 0);
    return TRUE;
}

/* What is printed about a stored message, once its batch commits. */
static void note_result(IngestRun *run, const IntakeResult *r, const char *source)
{
    if (run->json) {
        g_autofree char *line = intake_result_to_json(r);
        g_string_append_printf(run->pending_out, "%s\n", line);
    } else {
        g_string_append_printf(run->pending_out, "%s: %s%s%s%s %s%s\n", source,
                               classify_kind_name(r->kind), r->problem != PROBLEM_NONE ? "/" : "",
                               r->problem != PROBLEM_NONE ? classify_problem_name(r->problem) : "",
                               r->duplicate ? " (duplicate)" : "",
                               r->case_reference ? r->case_reference : "no case",
                               r->new_case ? " (new)" : "");
    }
    if (r->problems->len > 0 && !r->duplicate) {
        /* Stored, raw bytes kept, but a person must look at it. */
        g_string_append_printf(run->pending_err, "cpr-intake: %s: stored and quarantined: ", source);
        for (guint i = 0; i < r->problems->len; i++)
            g_string_append_printf(run->pending_err, "%s%s", i ? "; " : "",
                                   (const char *)g_ptr_array_index(r->problems, i));
        g_string_append_c(run->pending_err, '\n');
        run->quarantined++;
    }
}

/* Store one message (`parsed` NULL: parse it here first). FALSE after
 * printing the error: a database failure is not this message's fault and
 * would fail the next one too, so the ingest stops, keeping what earlier
 * batches committed. */
static gboolean store_one(IngestRun *run, const IntakeParsed *parsed, const guint8 *raw, gsize len,
                          const char *source)
{
    IntakeOrigin origin = {.source = source, .now = run->ctx->now};
    IntakeResult *r = NULL;
    GError *error = NULL;
    if (run->in_batch == 0 && !intake_batch_begin(run->intake, &error))
        goto fail;
    run->in_batch++;
    if (!intake_store_parsed(run->intake, parsed, raw, len, &origin, &r, &error)) {
        intake_batch_rollback(run->intake);
        run->in_batch = 0;
        g_string_truncate(run->pending_out, 0);
        g_string_truncate(run->pending_err, 0);
        goto fail;
    }
    note_result(run, r, source);
    intake_result_free(&r);
    if (run->in_batch >= INGEST_BATCH && !batch_commit(run, &error))
        goto fail;
    return TRUE;
fail:
    cli_error("%s: %s", source, error->message);
    g_error_free(error);
    run->store_failed = TRUE;
    return FALSE;
}

/* The oldest message held ahead: stored once parsed, unless the store has
 * failed already (then only let go). Its bytes and source are the run's copies. */
static void store_oldest(IngestRun *run)
{
    char *source = NULL;
    const guint8 *raw = NULL;
    gsize len = 0;
    IntakeParsed *parsed = intake_ahead_pop(run->ahead, (gpointer *)&source, &raw, &len);
    if (!run->store_failed)
        store_one(run, parsed, raw, len, source);
    intake_parsed_free(&parsed);
    g_free((gpointer)raw);
    g_free(source);
}

static void store_all_ahead(IngestRun *run)
{
    while (run->ahead && intake_ahead_length(run->ahead) > 0)
        store_oldest(run);
}

static gboolean on_message(const guint8 *raw, gsize len, const char *source, gpointer user_data,
                           gboolean *stop_r, GError **error)
{
    IngestRun *run = user_data;
    if (run->store_failed) {
        *stop_r = TRUE;
        return TRUE;
    }
    if (!run->ahead || len > AHEAD_BYTES) {
        store_all_ahead(run);
        if (!run->store_failed)
            store_one(run, NULL, raw, len, source);
    } else {
        intake_ahead_push(run->ahead, g_memdup2(raw, len), len, g_strdup(source));
        while (intake_ahead_length(run->ahead) > AHEAD_MESSAGES ||
               intake_ahead_bytes(run->ahead) > AHEAD_BYTES)
            store_oldest(run);
    }
    /* the error is printed already, with the source it concerns */
    *stop_r = run->store_failed;
    return TRUE;
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
    if (!cli_parse_options("ingest", "PATH... | -", entries, &argc, &argv))
        return CLI_USAGE;
    if (argc < 2) {
        cli_error("ingest: expected at least one PATH (a file, Maildir, mbox, directory or -)");
        return CLI_USAGE;
    }
    ctx->create_db = TRUE;
    Store *store = cli_store(ctx);
    if (!store)
        return CLI_STORE;
    Bounds bounds = bounds_default();
    IngestRun run = {.ctx = ctx, .json = json};
    run.intake = intake_new(store, ctx->cfg, &bounds);
    run.pending_out = g_string_new(NULL);
    run.pending_err = g_string_new(NULL);
    run.ahead = intake_ahead_new(run.intake);
    guint failures = 0;
    for (int i = 1; i < argc && !run.store_failed; i++) {
        guint f = 0;
        sources_walk(argv[i], bounds.max_message_bytes, on_message, on_error, &run, &f);
        failures += f;
    }
    store_all_ahead(&run);
    intake_ahead_free(&run.ahead);
    GError *commit_error = NULL;
    if (!run.store_failed && !batch_commit(&run, &commit_error)) {
        cli_error("%s", commit_error->message);
        g_error_free(commit_error);
        run.store_failed = TRUE;
    }
    intake_free(&run.intake);
    g_string_free(run.pending_out, TRUE);
    g_string_free(run.pending_err, TRUE);
    if (run.store_failed)
        return CLI_STORE;
    return failures || run.quarantined ? CLI_FAILED : CLI_OK;
}
