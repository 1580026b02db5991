/* cli_classify.c - `cpr-intake classify [--explain] FILE...` (issue 11):
 * what intake would make of each message, without storing anything or opening
 * the database. Uses the configured CA and rules ([classify] rules=). */
#include <stdio.h>
#include <string.h>

#include "classify.h"
#include "cli.h"
#include "extract.h"
#include "mime.h"
#include "rules.h"

/* The CA's own domains and those of its report addresses: never certificate
 * domains (as intake reads them). */
static GStrv own_domains(const Config *cfg)
{
    GPtrArray *d = g_ptr_array_new();
    for (gsize i = 0; cfg->ca_domains && cfg->ca_domains[i]; i++)
        g_ptr_array_add(d, g_strdup(cfg->ca_domains[i]));
    for (gsize i = 0; cfg->ca_report_addresses && cfg->ca_report_addresses[i]; i++) {
        const char *at = strchr(cfg->ca_report_addresses[i], '@');
        if (at && at[1])
            g_ptr_array_add(d, g_strdup(at + 1));
    }
    g_ptr_array_add(d, NULL);
    return (GStrv)g_ptr_array_free(d, FALSE);
}

static const RulePhrase *find_phrase(const Rules *rules, const char *name)
{
    for (guint i = 0; rules && i < rules->phrases->len; i++) {
        const RulePhrase *p = g_ptr_array_index(rules->phrases, i);
        if (strcmp(p->name, name) == 0)
            return p;
    }
    return NULL;
}

static void print_list(const char *label, const GPtrArray *a)
{
    if (!a || a->len == 0)
        return;
    printf("  %s:", label);
    for (guint i = 0; i < a->len; i++)
        printf(" %s", (const char *)g_ptr_array_index(a, i));
    printf("\n");
}

static void explain(const Classification *c, const Identifiers *ids, const Rules *rules)
{
    for (guint i = 0; i < c->rules->len; i++) {
        const char *name = g_ptr_array_index(c->rules, i);
        const RulePhrase *p = find_phrase(rules, name);
        if (p && p->reason)
            printf("  rule %s: %s, weight %d, BR 4.9.1.1 #%d: %s\n", name, p->problem, p->weight, p->reason,
                   p->pattern);
        else if (p)
            printf("  rule %s: %s, weight %d: %s\n", name, p->problem, p->weight, p->pattern);
        else
            printf("  rule %s\n", name);
    }
    print_list("serials", ids->serials);
    print_list("sha256", ids->sha256);
    print_list("crtsh_ids", ids->crtsh_ids);
    print_list("domains", ids->domains);
    if (ids->certs->len)
        printf("  certificates: %u attached or pasted\n", ids->certs->len);
}

int cli_classify(CliContext *ctx, int argc, char **argv)
{
    gboolean want_explain = FALSE;
    GOptionEntry entries[] = {
        {"explain", 0, 0, G_OPTION_ARG_NONE, &want_explain, "show each rule that fired and the identifiers", NULL},
        {NULL},
    };
    if (!cli_parse_options("classify", "FILE...", entries, &argc, &argv))
        return CLI_USAGE;
    if (argc < 2) {
        cli_error("classify: expected at least one FILE");
        return CLI_USAGE;
    }
    const Rules *rules = rules_current();
    if (!rules) {
        cli_error("classify: no rules loaded");
        return CLI_USAGE;
    }
    CaIdentity ca = config_ca_identity(ctx->cfg);
    g_auto(GStrv) ignore = own_domains(ctx->cfg);
    int status = CLI_OK;
    for (int i = 1; i < argc; i++) {
        g_autofree char *data = NULL;
        gsize len = 0;
        GError *error = NULL;
        if (!g_file_get_contents(argv[i], &data, &len, &error)) {
            cli_error("%s: %s", argv[i], error->message);
            g_error_free(error);
            status = CLI_FAILED;
            continue;
        }
        MimeMessage *msg = mime_message_parse((const guint8 *)data, len, NULL);
        Identifiers *ids = extract_identifiers(msg, (const char *const *)ignore);
        Classification *c = classify_message_with(msg, ids, &ca, rules);
        const char *problem = classify_problem_name(c->problem);
        g_autofree char *reason = c->reason ? g_strdup_printf("%d", c->reason) : g_strdup("null");
        GString *fired = g_string_new(NULL);
        for (guint k = 0; k < c->rules->len; k++)
            g_string_append_printf(fired, "%s%s", k ? "," : "", (const char *)g_ptr_array_index(c->rules, k));
        printf("%s: kind=%s problem=%s reason=%s rules=%s\n", argv[i], classify_kind_name(c->kind),
               problem ? problem : "null", reason, fired->str);
        g_string_free(fired, TRUE);
        if (want_explain)
            explain(c, ids, rules);
        classification_free(&c);
        extract_identifiers_free(&ids);
        mime_message_free(&msg);
    }
    return status;
}
