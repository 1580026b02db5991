/* cli_event.c - `event CASE TYPE`: recording what people did on a case (an
 * acknowledgement, a report sent, a question asked or answered, ...). */
#include <stdio.h>
#include <string.h>

#include "cases.h"
#include "cli.h"
#include "clocks.h"
#include "jsonutil.h"
#include "notify.h"
#include "obligations.h"
#include "timefmt.h"

/* Event types people record, and what each means for the case. */
typedef struct {
    const char *type;
    const char *meaning;
} EventType;

static const EventType EVENT_TYPES[] = {
    {"acknowledged", "on-call has seen the case (silences the current page)"},
    {"actionable", "enough information to act: a certificate and a reason"},
    {"preliminary_report_sent", "preliminary report sent to the reporter (BR 4.9.5)"},
    {"subscriber_notified", "preliminary report sent to the Subscriber (BR 4.9.5)"},
    {"confirmed", "the problem is confirmed"},
    {"revoked", "the certificates concerned are revoked (BR 4.9.1.1)"},
    {"revocation_delayed", "revocation will not be done by its deadline: opens the "
                           "delayed-revocation incident"},
    {"disclosed", "preliminary or full incident report posted on Bugzilla"},
    {"bug_filed", "the Bugzilla bug was filed (counts as disclosure)"},
    {"contained", "the incident is contained"},
    {"bug_updated", "weekly update posted on the bug"},
    {"question_asked", "a question was asked on the bug (--ref N: its comment number)"},
    {"question_answered", "a question on the bug was answered (--ref N)"},
    {"full_report_posted", "the Full Incident Report was posted"},
    {"closed", "the case is closed"},
    {"reopened", "the case is open again"},
    {"note", "a note"},
};

/* The open questions of a case: their refs (comment numbers; < 0 for a
 * question without one), an array of gint64; NULL on error. */
static GArray *open_questions(Store *store, gint64 case_id, GError **error)
{
    g_autoptr(GArray) refs = g_array_new(FALSE, FALSE, sizeof(gint64));
    sqlite3_stmt *st = store_prepare_id(
        store,
        "SELECT ref FROM clocks WHERE case_id = ? AND clock = 'question_response' "
        "AND met_at IS NULL AND withdrawn = 0 ORDER BY due_at, ref",
        case_id, error);
    if (!st || !store_int64s(store, st, refs, error))
        return NULL;
    return g_steal_pointer(&refs);
}

static char *refs_text(GArray *refs)
{
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < refs->len; i++) {
        gint64 r = g_array_index(refs, gint64, i);
        if (r > 0)
            g_string_append_printf(s, "%s%" G_GINT64_FORMAT, s->len ? ", " : "", r);
        else
            g_string_append_printf(s, "%s(one without a comment number)", s->len ? ", " : "");
    }
    return g_string_free(s, FALSE);
}

/* Which question does `question_answered` answer? Exit 2 (nothing changed)
 * when --ref names no open question, or when none is given and it is not
 * clear which one is meant. */
static gboolean answered_ref(Store *store, const CaseRow *c, gint64 given, gint64 *ref_r,
                             int *status_r)
{
    GError *error = NULL;
    g_autoptr(GArray) refs = open_questions(store, c->id, &error);
    if (!refs) {
        *status_r = cli_fail("event", error);
        return FALSE;
    }
    g_autofree char *known = refs_text(refs);
    if (given) {
        for (guint i = 0; i < refs->len; i++)
            if (g_array_index(refs, gint64, i) == given) {
                *ref_r = given;
                return TRUE;
            }
        cli_error("event: %s has no open question with --ref %" G_GINT64_FORMAT "; %s%s",
                  c->reference, given, refs->len ? "open questions: " : "no question is open",
                  known);
        *status_r = CLI_USAGE;
        return FALSE;
    }
    if (refs->len == 1) {
        *ref_r = g_array_index(refs, gint64, 0);
        return TRUE;
    }
    if (refs->len == 0)
        cli_error("event: %s has no open question to answer", c->reference);
    else
        cli_error("event: %s has %u open questions (comments %s): say which one with --ref N",
                  c->reference, refs->len, known);
    *status_r = CLI_USAGE;
    return FALSE;
}

int cli_event(CliContext *ctx, int argc, char **argv)
{
    g_autofree char *at_text = NULL, *note = NULL, *by = NULL;
    gint64 ref = 0;
    GOptionEntry entries[] = {
        {"at", 0, 0, G_OPTION_ARG_STRING, &at_text, "when it happened (UTC; default now)", "TIME"},
        {"note", 0, 0, G_OPTION_ARG_STRING, &note, "free text", "TEXT"},
        CLI_OPTION_BY(&by, "who did it"),
        {"ref", 0, 0, G_OPTION_ARG_INT64, &ref,
         "question_asked/question_answered: the Bugzilla comment number", "N"},
        {NULL},
    };
    if (!cli_parse_args("event", "CASE TYPE", entries, 2, "CASE TYPE", &argc, &argv))
        return CLI_USAGE;
    const EventType *type = NULL;
    for (gsize i = 0; i < G_N_ELEMENTS(EVENT_TYPES); i++)
        if (!strcmp(EVENT_TYPES[i].type, argv[2]))
            type = &EVENT_TYPES[i];
    if (!type) {
        g_autoptr(GString) known = g_string_new(NULL);
        for (gsize i = 0; i < G_N_ELEMENTS(EVENT_TYPES); i++)
            g_string_append_printf(known, "%s%s", i ? ", " : "", EVENT_TYPES[i].type);
        cli_error("event: unknown type \"%s\"; expected one of: %s", argv[2], known->str);
        return CLI_USAGE;
    }
    gboolean questions = !strcmp(type->type, "question_asked") ||
                         !strcmp(type->type, "question_answered");
    if (ref < 0 || (ref && !questions)) {
        cli_error("event: --ref takes a Bugzilla comment number (a positive integer) and applies "
                  "to question_asked and question_answered only");
        return CLI_USAGE;
    }
    gint64 at = ctx->now;
    if (at_text && !timefmt_parse(at_text, &at)) {
        cli_error("event: --at \"%s\": expected a UTC time like 2026-11-21T20:32:14Z or "
                  "\"2026-11-21 20:32\"", at_text);
        return CLI_USAGE;
    }
    /* Evidence must be believable: a time in the future, or before the CA knew
     * of the case, would be a false record. A minute of clock skew is allowed. */
    if (at > ctx->now + 60) {
        cli_error("event: --at is in the future");
        return CLI_USAGE;
    }
    Store *store = cli_store(ctx);
    if (!store)
        return CLI_STORE;
    int rc = CLI_OK;
    g_autoptr(CaseRow) c = cli_case_load(store, "event", argv[1], &rc);
    if (!c)
        return rc;
    if (at < c->aware_at) {
        g_autofree char *aware = timefmt_rfc3339(c->aware_at);
        cli_error("event: --at is before the CA became aware of %s (%s)", c->reference, aware);
        return CLI_USAGE;
    }
    if (!strcmp(type->type, "question_answered") && !answered_ref(store, c, ref, &ref, &rc))
        return rc;
    if (!cli_begin(ctx, "event", &by, &rc))
        return rc;
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    jsonutil_add_string(b, "by", by);
    jsonutil_add_string(b, "note", note);
    if (ref)
        jsonutil_add_int(b, "ref", ref);
    json_builder_end_object(b);
    g_autofree char *details = jsonutil_builder_to_string(b, FALSE);
    g_autoptr(GPtrArray) met = NULL;
    gint64 delayed = 0;
    /* Failures return through cli_end(): a `goto fail` here would jump past
     * g_auto declarations, whose cleanup would then free uninitialised
     * pointers. */
    GError *error = NULL;
    if (!store_event_append(store, at, by, c->id, type->type, details, &error) ||
        !clocks_refresh(store, c->id, &met, &error) ||
        (!strcmp(type->type, "revocation_delayed") &&
         !obligations_open_delayed(store, ctx->cfg, c->id, at, "revocation_delayed", ctx->now,
                                   &delayed, NULL, &error)) ||
        (!strcmp(type->type, "closed") && !cases_set_status(store, c->id, "closed", &error)) ||
        (!strcmp(type->type, "reopened") && !cases_set_status(store, c->id, "open", &error)) ||
        /* acknowledged: PagerDuty acknowledge; met clocks and closing resolve pages */
        !notify_on_event(store, ctx->cfg, c->id, type->type, by, met, at, &error))
        return cli_end(store, "event", FALSE, error);
    rc = cli_end(store, "event", TRUE, error);
    if (rc != CLI_OK)
        return rc;
    g_autofree char *at_s = timefmt_rfc3339(at);
    printf("%s: %s recorded at %s", c->reference, type->type, at_s);
    for (guint i = 0; i < met->len; i++)
        printf("%s%s", i ? ", " : "; met: ", (const char *)g_ptr_array_index(met, i));
    if (delayed) {
        g_autoptr(CaseRow) d = cases_load_id(store, delayed, NULL);
        if (d)
            printf("; delayed-revocation case %s", d->reference);
    }
    printf("\n");
    return CLI_OK;
}
