/* cli_file.c - `file CASE`: create the case's Bugzilla bug, never twice.
 *
 * Idempotence rests on the attempt, committed to the case (an attempt id,
 * "[cpr-intake:CPR-2025-0001:<random>]", and its time) before anything is
 * sent. Nothing of cpr-intake's is written into the bug: the whiteboard
 * belongs to the root programs. An attempt whose outcome is unknown (a
 * timeout or a 5xx after the server may have created the bug, an unknown
 * error code, a crash, a failed commit) leaves bug_attempt_at set and bug_id
 * empty; the next run first searches Bugzilla (bugs the key's own account
 * filed in the product and component, with exactly this summary, created
 * since 15 minutes before the attempt, whose description names the case
 * reference; and, for bugs older versions filed, the whiteboard marker they
 * wrote) and adopts the bug it finds instead of filing another.
 *
 * Code 306 (API key invalid or revoked) and HTTP 429 stop at once: Bugzilla
 * blocks an address for an hour after 5 bad keys a minute, so they are
 * recorded ("bug_filing_blocked", which the notifier pages for) and never
 * retried here. */
#include <stdio.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "bugzilla.h"
#include "cases.h"
#include "cli.h"
#include "clocks.h"
#include "cpr_error.h"
#include "drafts.h"
#include "jsonutil.h"

#define ACTOR "file"

typedef struct {
    gint64 bug_id;
    char *bug_url;
    char *marker;
    gint64 attempt_at;
} BugState;

static void bug_state_clear(BugState *s)
{
    g_free(s->bug_url);
    g_free(s->marker);
    memset(s, 0, sizeof(*s));
}

static gboolean bug_state_load(Store *store, gint64 case_id, BugState *s, GError **error)
{
    sqlite3_stmt *st = store_prepare_id(
        store,
        "SELECT coalesce(bug_id, 0), bug_url, bug_marker, coalesce(bug_attempt_at, 0) "
        "FROM cases WHERE id = ?",
        case_id, error);
    if (!st)
        return FALSE;
    if (!store_step_row(store, st, "reading the case's bug state failed", error))
        return FALSE;
    s->bug_id = sqlite3_column_int64(st, 0);
    s->bug_url = store_column_dup(st, 1);
    s->marker = store_column_dup(st, 2);
    s->attempt_at = sqlite3_column_int64(st, 3);
    sqlite3_reset(st);
    return TRUE;
}

/* One audit event in a transaction of its own. */
static gboolean record_event(Store *store, gint64 at, gint64 case_id, const char *type,
                             const char *details, GError **error)
{
    if (!store_begin(store, error))
        return FALSE;
    if (!store_event_append(store, at, ACTOR, case_id, type, details, error) ||
        !store_commit(store, error)) {
        store_rollback(store);
        return FALSE;
    }
    return TRUE;
}

/* Commit a new attempt id and the attempt time before anything is sent. It
 * is also the lease against a concurrent `file` of the same case: the update
 * applies only while the case still has the attempt id this run read, so of
 * two runs that searched and found nothing only one goes on to POST. */
static gboolean begin_attempt(Store *store, const CaseRow *c, BugState *s, gint64 now,
                              gboolean retry, GError **error)
{
    g_autofree char *previous = g_strdup(s->marker);
    {
        /* 12 hex digits of a random UUID: unique enough among one CA's bugs */
        g_autofree char *uuid = g_uuid_string_random();
        char hex[13];
        gsize n = 0;
        for (const char *p = uuid; *p && n < 12; p++)
            if (g_ascii_isxdigit(*p))
                hex[n++] = *p;
        hex[n] = '\0';
        g_free(s->marker);
        s->marker = g_strdup_printf("[cpr-intake:%s:%s]", c->reference, hex);
    }
    s->attempt_at = now;
    g_autofree char *details = jsonutil_object_of_strings(
        "marker", s->marker, "retry", retry ? "true" : "false", NULL);
    if (!store_begin(store, error))
        return FALSE;
    sqlite3_stmt *st = store_prepare(
        store,
        "UPDATE cases SET bug_marker = ?, bug_attempt_at = ? WHERE id = ? AND bug_id IS NULL "
        "AND bug_marker IS ?",
        error);
    if (!st)
        goto fail;
    sqlite3_bind_text(st, 1, s->marker, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, now);
    sqlite3_bind_int64(st, 3, c->id);
    if (previous)
        sqlite3_bind_text(st, 4, previous, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, 4);
    if (!store_step_done(store, st, error))
        goto fail;
    if (sqlite3_changes(store_db(store)) != 1) {
        g_set_error(error, CPR_ERROR, CPR_ERROR_INPUT,
                    "another `file` of %s started meanwhile (or the bug was recorded): not "
                    "posting; run `file %s` again once it has finished",
                    c->reference, c->reference);
        goto fail;
    }
    if (!store_event_append(store, now, ACTOR, c->id, "bug_filing_started", details, error) ||
        !store_commit(store, error))
        goto fail;
    return TRUE;
fail:
    store_rollback(store);
    return FALSE;
}

/* The bug exists: store its id and URL, audit it and meet the disclosure
 * clock, all in one transaction. */
static gboolean finish_filed(Store *store, const Config *cfg, const CaseRow *c, BugState *s,
                             gint64 bug_id, const char *how, const char *account, gint64 now,
                             GError **error)
{
    g_autofree char *url = bugzilla_bug_url(cfg, bug_id);
    g_autofree char *id_s = g_strdup_printf("%" G_GINT64_FORMAT, bug_id);
    g_autofree char *details = jsonutil_object_of_strings(
        "bug_id", id_s, "bug_url", url, "marker", s->marker, "how", how, "account", account, NULL);
    if (!store_begin(store, error))
        return FALSE;
    sqlite3_stmt *st = store_prepare(
        store, "UPDATE cases SET bug_id = ?, bug_url = ? WHERE id = ? AND bug_id IS NULL", error);
    if (!st)
        goto fail;
    sqlite3_bind_int64(st, 1, bug_id);
    sqlite3_bind_text(st, 2, url, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, c->id);
    if (!store_step_done(store, st, error))
        goto fail;
    if (sqlite3_changes(store_db(store)) != 1) {
        g_set_error(error, CPR_ERROR, CPR_ERROR_STORE,
                    "%s got a bug id from another process meanwhile; bug %s not recorded",
                    c->reference, id_s);
        goto fail;
    }
    if (!store_event_append(store, now, ACTOR, c->id, "bug_filed", details, error) ||
        !clocks_refresh(store, c->id, NULL, error) ||
        !store_commit(store, error))
        goto fail;
    s->bug_id = bug_id;
    g_free(s->bug_url);
    s->bug_url = g_steal_pointer(&url);
    return TRUE;
fail:
    store_rollback(store);
    return FALSE;
}

/* The draft as sent: without the whiteboard, which belongs to the root
 * programs (the draft's tags stay a suggestion). The summary sent is kept for
 * the duplicate search. */
static char *body_to_send(const char *draft, char **summary_r, GError **error)
{
    g_autoptr(JsonParser) p = json_parser_new();
    if (!json_parser_load_from_data(p, draft, -1, error))
        return NULL;
    JsonNode *root = json_parser_get_root(p);
    if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
        g_set_error(error, CPR_ERROR, CPR_ERROR_INPUT, "the bug draft is not a JSON object");
        return NULL;
    }
    JsonObject *o = json_node_get_object(root);
    json_object_remove_member(o, "whiteboard");
    const char *summary = json_object_get_string_member_with_default(o, "summary", "");
    *summary_r = g_strdup(summary);
    return jsonutil_node_to_string(root, FALSE);
}

/* The bug an earlier attempt may have created: by the duplicate search
 * (creator, product, component, exact summary, created since 15 minutes
 * before the attempt, the case reference in its description), or by the
 * whiteboard marker older versions wrote. */
static GArray *find_earlier(BugzillaClient *client, const Config *cfg, const CaseRow *c,
                            const BugState *s, const char *account, const char *summary,
                            GError **error)
{
    GArray *found = bugzilla_find_filed(
        client, account, cfg->bugzilla_product ? cfg->bugzilla_product : "CA Program",
        cfg->bugzilla_component ? cfg->bugzilla_component : "CA Certificate Compliance", summary,
        s->attempt_at - 15 * 60, c->reference, error);
    if (!found || found->len > 0 || !s->marker)
        return found;
    g_array_unref(found);
    return bugzilla_find_by_whiteboard(client, s->marker, error);
}

/* Record why filing stopped. A 306 or 429 is "bug_filing_blocked" (on-call
 * is paged for it); anything else "bug_filing_failed". */
static void record_failure(Store *store, const CaseRow *c, const BugzillaClient *client,
                           const char *step, const GError *failure, gboolean outcome_unknown,
                           gint64 now)
{
    long http = 0;
    gint64 code = 0;
    if (client)
        bugzilla_client_last_status(client, &http, &code);
    gboolean blocked = client && bugzilla_client_blocked(client);
    g_autofree char *http_s = g_strdup_printf("%ld", http);
    g_autofree char *code_s = g_strdup_printf("%" G_GINT64_FORMAT, code);
    g_autofree char *details = jsonutil_object_of_strings(
        "step", step, "error", failure->message, "http_status", http_s, "bugzilla_code", code_s,
        "outcome", outcome_unknown ? "unknown (will search for the bug before filing again)"
                                   : "no bug created",
        NULL);
    GError *error = NULL;
    if (!record_event(store, now, c->id, blocked ? "bug_filing_blocked" : "bug_filing_failed",
                      details, &error)) {
        cli_error("file: %s: recording the failure failed too: %s", c->reference, error->message);
        g_error_free(error);
    }
}

static int fail_with(const CaseRow *c, const GError *error)
{
    cli_error("file: %s: %s", c ? c->reference : "", error->message);
    if (error->domain == CPR_ERROR && error->code == CPR_ERROR_STORE)
        return CLI_STORE;
    if (error->domain == CPR_ERROR && error->code == CPR_ERROR_CONFIG)
        return CLI_USAGE;
    return CLI_FAILED;
}

int cli_file(CliContext *ctx, int argc, char **argv)
{
    if (argc != 2 || argv[1][0] == '-') {
        cli_error("file: expected one CASE (number or CPR-YYYY-NNNN)");
        return CLI_USAGE;
    }
    if (!cli_secrets_ok(ctx, "file"))
        return CLI_USAGE;
    Store *store = cli_store(ctx);
    if (!store)
        return CLI_STORE;
    GError *error = NULL;
    int rc = CLI_FAILED;
    BugState s = {0};
    BugzillaClient *client = NULL;
    g_autofree char *draft = NULL, *body = NULL, *account = NULL, *summary = NULL;
    g_autoptr(GArray) found = NULL;
    g_autoptr(CaseRow) c = cli_case_load(store, "file", argv[1], &rc);
    if (!c)
        goto out;
    if (!bug_state_load(store, c->id, &s, &error)) {
        rc = fail_with(c, error);
        goto out;
    }
    if (s.bug_id) {
        printf("%s: already filed as bug %" G_GINT64_FORMAT " %s\n", c->reference, s.bug_id,
               s.bug_url ? s.bug_url : "");
        rc = CLI_OK;
        goto out;
    }

    /* Everything that can fail locally fails before anything is sent. */
    draft = drafts_render(store, ctx->cfg, c->id, DRAFT_BUGZILLA_JSON, ctx->now, &error);
    if (!draft) {
        rc = fail_with(c, error);
        goto out;
    }
    BugzillaOptions opt = bugzilla_options_from_config(ctx->cfg);
    client = bugzilla_client_new(ctx->cfg, &opt, &error);
    if (!client) {
        rc = fail_with(c, error);
        goto out;
    }
    /* A bad key fails here, before any bug is searched or created. */
    account = bugzilla_whoami(client, &error);
    if (!account) {
        record_failure(store, c, client, "whoami", error, FALSE, ctx->now);
        rc = fail_with(c, error);
        goto out;
    }

    body = body_to_send(draft, &summary, &error);
    if (!body) {
        rc = fail_with(c, error);
        goto out;
    }
    gboolean retry = s.marker && s.attempt_at;
    if (retry) {
        found = find_earlier(client, ctx->cfg, c, &s, account, summary, &error);
        if (!found) {
            record_failure(store, c, client, "search", error, TRUE, ctx->now);
            rc = fail_with(c, error);
            goto out;
        }
        if (found->len > 0) {
            gint64 id = g_array_index(found, gint64, 0);
            if (found->len > 1)
                cli_error("file: %s: warning: %u bugs match the duplicate search; adopting the "
                          "first, bug %" G_GINT64_FORMAT,
                          c->reference, found->len, id);
            if (!finish_filed(store, ctx->cfg, c, &s, id, "found_by_search", account, ctx->now,
                              &error)) {
                rc = fail_with(c, error);
                goto out;
            }
            printf("%s: filed as bug %" G_GINT64_FORMAT " %s (found by the duplicate search: "
                   "an earlier attempt had created it)\n",
                   c->reference, s.bug_id, s.bug_url);
            rc = CLI_OK;
            goto out;
        }
    }
    if (!begin_attempt(store, c, &s, ctx->now, retry, &error)) {
        rc = fail_with(c, error);
        goto out;
    }
    gint64 bug_id = 0;
    if (!bugzilla_create_bug(client, body, &bug_id, &error)) {
        /* A timeout, a dropped connection, a 5xx or an unknown error code may
         * come after the server created the bug: the duplicate search of the
         * next attempt settles it. A validation error created nothing. */
        gboolean unknown = bugzilla_create_outcome(client, error) == BUGZILLA_OUTCOME_UNKNOWN;
        record_failure(store, c, client, "create", error, unknown, ctx->now);
        rc = fail_with(c, error);
        goto out;
    }
    if (!finish_filed(store, ctx->cfg, c, &s, bug_id, "created", account, ctx->now, &error)) {
        /* The bug exists but is not recorded: the next attempt finds it by its
         * duplicate search (bug_attempt_at is still set). */
        cli_error("file: %s: bug %" G_GINT64_FORMAT " was created but could not be recorded; "
                  "run `file %s` again to adopt it",
                  c->reference, bug_id, c->reference);
        rc = fail_with(c, error);
        goto out;
    }
    printf("%s: filed as bug %" G_GINT64_FORMAT " %s\n", c->reference, s.bug_id, s.bug_url);
    rc = CLI_OK;
out:
    g_clear_error(&error);
    bugzilla_client_free(&client);
    bug_state_clear(&s);
    return rc;
}
