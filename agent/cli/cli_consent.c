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

static int consent_grant_cmd(CliContext *ctx, int argc, char **argv)
{
    g_autofree char *name = NULL, *evidence = NULL, *by = NULL;
    GOptionEntry entries[] = {
        {"name", 0, 0, G_OPTION_ARG_STRING, &name, "how the reporter is to be named", "N"},
        {"evidence", 0, 0, G_OPTION_ARG_STRING, &evidence,
         "where the reporter approved being named (required)", "TEXT"},
        {"by", 0, 0, G_OPTION_ARG_STRING, &by, "who records it", "NAME"},
        {NULL},
    };
    if (!cli_parse_options("consent grant", "EMAIL", entries, &argc, &argv))
        return CLI_USAGE;
    if (argc != 2) {
        cli_error("consent grant: expected one EMAIL");
        return CLI_USAGE;
    }
    if (!evidence || !*evidence) {
        cli_error("consent grant: --evidence TEXT is required (where the reporter approved "
                  "being named)");
        return CLI_USAGE;
    }
    ctx->create_db = TRUE; /* consent may be recorded before any mail */
    Store *store = cli_store(ctx);
    if (!store)
        return CLI_STORE;
    if (!by)
        by = cli_user_name();
    GError *error = NULL;
    if (!consent_grant(store, argv[1], name, evidence, by, ctx->now, &error))
        return cli_fail("consent grant", error);
    g_autofree char *lower = g_ascii_strdown(argv[1], -1);
    printf("consent granted for %s\n", g_strstrip(lower));
    return CLI_OK;
}

static int consent_revoke_cmd(CliContext *ctx, int argc, char **argv)
{
    g_autofree char *by = NULL;
    GOptionEntry entries[] = {
        {"by", 0, 0, G_OPTION_ARG_STRING, &by, "who records it", "NAME"},
        {NULL},
    };
    if (!cli_parse_options("consent revoke", "EMAIL", entries, &argc, &argv))
        return CLI_USAGE;
    if (argc != 2) {
        cli_error("consent revoke: expected one EMAIL");
        return CLI_USAGE;
    }
    Store *store = cli_store(ctx);
    if (!store)
        return CLI_STORE;
    if (!by)
        by = cli_user_name();
    GError *error = NULL;
    if (!consent_revoke(store, argv[1], by, ctx->now, &error))
        return cli_fail("consent revoke", error);
    g_autofree char *lower = g_ascii_strdown(argv[1], -1);
    printf("consent revoked for %s\n", g_strstrip(lower));
    return CLI_OK;
}

/* `consent list --all`: every grant and revocation with its evidence. */
static int consent_history_print(Store *store, gboolean json)
{
    GError *error = NULL;
    g_autoptr(GPtrArray) list = consent_history(store, &error);
    if (!list)
        return cli_fail("consent list", error);
    if (json) {
        g_autoptr(JsonBuilder) b = json_builder_new();
        json_builder_begin_array(b);
        for (guint i = 0; i < list->len; i++) {
            const ConsentChange *c = g_ptr_array_index(list, i);
            json_builder_begin_object(b);
            jsonutil_add_int(b, "id", c->id);
            jsonutil_add_string(b, "email", c->email);
            jsonutil_add_string(b, "action", c->action);
            jsonutil_add_string(b, "name", c->name);
            jsonutil_add_string(b, "evidence", c->evidence);
            jsonutil_add_time(b, "at", c->at, TRUE);
            jsonutil_add_string(b, "by", c->actor);
            json_builder_end_object(b);
        }
        json_builder_end_array(b);
        g_autofree char *s = jsonutil_builder_to_string(b, TRUE);
        printf("%s\n", s);
        return CLI_OK;
    }
    printf("%-36s %-7s %-20s %-12s %s\n", "EMAIL", "ACTION", "AT (UTC)", "BY",
           "NAME / EVIDENCE");
    for (guint i = 0; i < list->len; i++) {
        const ConsentChange *c = g_ptr_array_index(list, i);
        g_autofree char *at = timefmt_rfc3339(c->at);
        if (!strcmp(c->action, "grant"))
            printf("%-36s %-7s %-20s %-12s %s / %s\n", c->email, c->action, at,
                   c->actor ? c->actor : "-", c->name ? c->name : "-",
                   c->evidence ? c->evidence : "-");
        else
            printf("%-36s %-7s %-20s %-12s\n", c->email, c->action, at,
                   c->actor ? c->actor : "-");
    }
    return CLI_OK;
}

static int consent_list_cmd(CliContext *ctx, int argc, char **argv)
{
    gboolean json = FALSE, all = FALSE;
    GOptionEntry entries[] = {
        {"json", 0, 0, G_OPTION_ARG_NONE, &json, "a JSON array", NULL},
        {"all", 0, 0, G_OPTION_ARG_NONE, &all, "every grant and revocation, with evidence", NULL},
        {NULL},
    };
    if (!cli_parse_options("consent list", "", entries, &argc, &argv))
        return CLI_USAGE;
    if (argc != 1) {
        cli_error("consent list: unexpected argument \"%s\"", argv[1]);
        return CLI_USAGE;
    }
    Store *store = cli_store(ctx);
    if (!store)
        return CLI_STORE;
    if (all)
        return consent_history_print(store, json);
    GError *error = NULL;
    g_autoptr(GPtrArray) list = consent_list(store, &error);
    if (!list)
        return cli_fail("consent list", error);
    if (json) {
        g_autoptr(JsonBuilder) b = json_builder_new();
        json_builder_begin_array(b);
        for (guint i = 0; i < list->len; i++) {
            const ConsentEntry *e = g_ptr_array_index(list, i);
            json_builder_begin_object(b);
            jsonutil_add_string(b, "email", e->email);
            jsonutil_add_string(b, "name", e->name);
            jsonutil_add_string(b, "evidence", e->evidence);
            jsonutil_add_time(b, "granted_at", e->granted_at, TRUE);
            jsonutil_add_time(b, "revoked_at", e->revoked_at, TRUE);
            jsonutil_add_bool(b, "active", e->revoked_at == 0);
            json_builder_end_object(b);
        }
        json_builder_end_array(b);
        g_autofree char *s = jsonutil_builder_to_string(b, TRUE);
        printf("%s\n", s);
        return CLI_OK;
    }
    printf("%-36s %-8s %-20s %-20s %s\n", "EMAIL", "STATE", "GRANTED (UTC)", "REVOKED (UTC)",
           "NAME / EVIDENCE");
    for (guint i = 0; i < list->len; i++) {
        const ConsentEntry *e = g_ptr_array_index(list, i);
        g_autofree char *granted = timefmt_rfc3339(e->granted_at);
        g_autofree char *revoked = e->revoked_at ? timefmt_rfc3339(e->revoked_at) : g_strdup("-");
        printf("%-36s %-8s %-20s %-20s %s / %s\n", e->email, e->revoked_at ? "revoked" : "active",
               granted, revoked, e->name ? e->name : "-", e->evidence);
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
