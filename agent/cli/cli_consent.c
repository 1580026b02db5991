/* cli_consent.c - `consent grant|revoke|list`: the consent registry
 * (SPEC 2.4, 3.2). */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "consent.h"
#include "cpr_error.h"
#include "jsonutil.h"
#include "timefmt.h"

static const char CONSENT_USAGE[] =
    "consent grant EMAIL [--name N] --evidence TEXT | consent revoke EMAIL | "
    "consent list [--all] [--json]";

/* "consent granted for EMAIL" (`done` "granted" or "revoked"). */
static int consent_done(const char *email, const char *done)
{
    g_autofree char *lower = g_ascii_strdown(email, -1);
    printf("consent %s for %s\n", done, g_strstrip(lower));
    return CLI_OK;
}

static int consent_grant_cmd(CliContext *ctx, int argc, char **argv)
{
    g_autofree char *name = NULL, *evidence = NULL, *by = NULL;
    GOptionEntry entries[] = {
        {"name", 0, 0, G_OPTION_ARG_STRING, &name, "how the reporter is to be named", "N"},
        {"evidence", 0, 0, G_OPTION_ARG_STRING, &evidence,
         "where the reporter approved being named (required)", "TEXT"},
        CLI_OPTION_BY(&by, "who records it"),
        {NULL},
    };
    if (!cli_parse_args("consent grant", "EMAIL", entries, 1, "one EMAIL", &argc, &argv))
        return CLI_USAGE;
    if (!evidence || !*evidence) {
        cli_error("consent grant: --evidence TEXT is required (where the reporter approved "
                  "being named)");
        return CLI_USAGE;
    }
    ctx->create_db = TRUE; /* consent may be recorded before any mail */
    Store *store = cli_store_by(ctx, &by);
    if (!store)
        return CLI_STORE;
    GError *error = NULL;
    if (!consent_grant(store, argv[1], name, evidence, by, ctx->now, &error))
        return cli_fail("consent grant", error);
    return consent_done(argv[1], "granted");
}

static int consent_revoke_cmd(CliContext *ctx, int argc, char **argv)
{
    g_autofree char *by = NULL;
    GOptionEntry entries[] = {
        CLI_OPTION_BY(&by, "who records it"),
        {NULL},
    };
    if (!cli_parse_args("consent revoke", "EMAIL", entries, 1, "one EMAIL", &argc, &argv))
        return CLI_USAGE;
    Store *store = cli_store_by(ctx, &by);
    if (!store)
        return CLI_STORE;
    GError *error = NULL;
    if (!consent_revoke(store, argv[1], by, ctx->now, &error))
        return cli_fail("consent revoke", error);
    return consent_done(argv[1], "revoked");
}

/* `consent list --all --json`: a grant or revocation (ConsentChange). */
static void change_json(JsonBuilder *b, gconstpointer item)
{
    const ConsentChange *c = item;
    jsonutil_add_int(b, "id", c->id);
    jsonutil_add_string(b, "email", c->email);
    jsonutil_add_string(b, "action", c->action);
    jsonutil_add_string(b, "name", c->name);
    jsonutil_add_string(b, "evidence", c->evidence);
    jsonutil_add_time(b, "at", c->at, TRUE);
    jsonutil_add_string(b, "by", c->actor);
}

/* `consent list --json`: an address's consent (ConsentEntry). */
static void entry_json(JsonBuilder *b, gconstpointer item)
{
    const ConsentEntry *e = item;
    jsonutil_add_string(b, "email", e->email);
    jsonutil_add_string(b, "name", e->name);
    jsonutil_add_string(b, "evidence", e->evidence);
    jsonutil_add_time(b, "granted_at", e->granted_at, TRUE);
    jsonutil_add_time(b, "revoked_at", e->revoked_at, TRUE);
    jsonutil_add_bool(b, "active", e->revoked_at == 0);
}

/* `consent list --all`: a grant or revocation, with its evidence. */
static void change_print(gconstpointer item)
{
    const ConsentChange *c = item;
    g_autofree char *at = timefmt_rfc3339(c->at);
    if (!strcmp(c->action, "grant"))
        printf("%-36s %-7s %-20s %-12s %s / %s\n", c->email, c->action, at,
               c->actor ? c->actor : "-", c->name ? c->name : "-",
               c->evidence ? c->evidence : "-");
    else
        printf("%-36s %-7s %-20s %-12s\n", c->email, c->action, at, c->actor ? c->actor : "-");
}

/* `consent list`: an address's consent. */
static void entry_print(gconstpointer item)
{
    const ConsentEntry *e = item;
    g_autofree char *granted = timefmt_rfc3339(e->granted_at);
    g_autofree char *revoked = e->revoked_at ? timefmt_rfc3339(e->revoked_at) : g_strdup("-");
    printf("%-36s %-8s %-20s %-20s %s / %s\n", e->email, e->revoked_at ? "revoked" : "active",
           granted, revoked, e->name ? e->name : "-", e->evidence);
}

static int consent_list_cmd(CliContext *ctx, int argc, char **argv)
{
    gboolean json = FALSE, all = FALSE;
    GOptionEntry entries[] = {
        {"json", 0, 0, G_OPTION_ARG_NONE, &json, "a JSON array", NULL},
        {"all", 0, 0, G_OPTION_ARG_NONE, &all, "every grant and revocation, with evidence", NULL},
        {NULL},
    };
    if (!cli_parse_args("consent list", "", entries, 0, NULL, &argc, &argv))
        return CLI_USAGE;
    Store *store = cli_store(ctx);
    if (!store)
        return CLI_STORE;
    GError *error = NULL;
    g_autoptr(GPtrArray) list = all ? consent_history(store, &error) : consent_list(store, &error);
    if (!list)
        return cli_fail("consent list", error);
    if (json) {
        /* a JSON array: one object a grant or revocation (--all), else an address */
        g_autoptr(JsonBuilder) b = json_builder_new();
        json_builder_begin_array(b);
        for (guint i = 0; i < list->len; i++) {
            json_builder_begin_object(b);
            (all ? change_json : entry_json)(b, g_ptr_array_index(list, i));
            json_builder_end_object(b);
        }
        json_builder_end_array(b);
        cli_print_json(b);
    } else {
        if (all)
            printf("%-36s %-7s %-20s %-12s %s\n", "EMAIL", "ACTION", "AT (UTC)", "BY",
                   "NAME / EVIDENCE");
        else
            printf("%-36s %-8s %-20s %-20s %s\n", "EMAIL", "STATE", "GRANTED (UTC)",
                   "REVOKED (UTC)", "NAME / EVIDENCE");
        for (guint i = 0; i < list->len; i++)
            (all ? change_print : entry_print)(g_ptr_array_index(list, i));
    }
    return CLI_OK;
}

int cli_consent(CliContext *ctx, int argc, char **argv)
{
    if (argc < 2) {
        cli_error("usage: %s", CONSENT_USAGE);
        return CLI_USAGE;
    }
    if (!strcmp(argv[1], "grant"))
        return consent_grant_cmd(ctx, argc - 1, argv + 1);
    if (!strcmp(argv[1], "revoke"))
        return consent_revoke_cmd(ctx, argc - 1, argv + 1);
    if (!strcmp(argv[1], "list"))
        return consent_list_cmd(ctx, argc - 1, argv + 1);
    cli_error("consent: unknown subcommand \"%s\"; usage: %s", argv[1], CONSENT_USAGE);
    return CLI_USAGE;
}
