/* cli_subscriber.c - `case subscriber CASE EMAIL [--name N] [--by NAME]`:
 * record the Subscriber a case's BR 4.9.5 preliminary report goes to
 * (SPEC 2.5, 3.2), audited. The latest recorded address is the one
 * `draft --report subscriber-mail` writes to; it replaces one taken from a
 * Subscriber's own report (subscribers.h). */
#include <stdio.h>
#include <string.h>

#include "cases.h"
#include "cli.h"
#include "cpr_error.h"
#include "subscribers.h"

int cli_case_subscriber(CliContext *ctx, int argc, char **argv)
{
    g_autofree char *name = NULL, *by = NULL;
    GOptionEntry entries[] = {
        {"name", 0, 0, G_OPTION_ARG_STRING, &name, "the Subscriber's name, for the salutation",
         "N"},
        CLI_OPTION_BY(&by, "who records it"),
        {NULL},
    };
    if (!cli_parse_args("case subscriber", "CASE EMAIL", entries, 2, "CASE EMAIL", &argc, &argv))
        return CLI_USAGE;
    g_autofree char *email = g_ascii_strdown(g_strstrip(argv[2]), -1);
    const char *at = strrchr(email, '@');
    if (!at || at == email || !at[1] || strchr(at + 1, '@') || strpbrk(email, " \t\r\n<>,;")) {
        cli_error("case subscriber: \"%s\" is not an e-mail address", argv[2]);
        return CLI_USAGE;
    }
    if (name && (strpbrk(name, "\r\n") || !g_utf8_validate(name, -1, NULL))) {
        cli_error("case subscriber: --name must be one line of UTF-8");
        return CLI_USAGE;
    }
    int rc = CLI_OK;
    g_autoptr(CaseRow) c = cli_case_begin(ctx, "case subscriber", argv[1], &by, &rc);
    if (!c)
        return rc;
    GError *error = NULL;
    rc = cli_end(ctx->store, "case subscriber",
                 subscribers_set(ctx->store, c->id, email, name, by, ctx->now, &error),
                 error);
    if (rc != CLI_OK)
        return rc;
    printf("%s: Subscriber recorded\n", c->reference);
    return CLI_OK;
}
