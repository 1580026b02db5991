/* cli_send.c - `send CASE reporter-mail|subscriber-mail`: deliver a BR 4.9.5
 * preliminary report over [mail] SMTP and record it (SPEC 2.5, 3.2).
 *
 * The mail is the leak-checked draft of `draft --report KIND --format eml`.
 * When the SMTP server has accepted it, the event that meets the clock
 * (preliminary_report_sent for the reporter, subscriber_notified for the
 * Subscriber) is recorded at that moment; a refused or failed delivery
 * records nothing and exits 1. */
#include <stdio.h>
#include <string.h>

#include "secret.h"
#include "bounds.h"
#include "cases.h"
#include "cli.h"
#include "clocks.h"
#include "config.h"
#include "cpr_error.h"
#include "drafts.h"
#include "jsonutil.h"
#include "mime.h"
#include "notify/notify_internal.h"
#include "testhooks.h"

/* The recipient of a rendered message: its To: address. */
static char *recipient_of(const char *eml)
{
    Bounds b = bounds_default();
    MimeMessage *m = mime_message_parse((const guint8 *)eml, strlen(eml), &b);
    char *to = NULL;
    if (m && m->to && m->to->len > 0)
        to = g_strdup(((const MimeAddress *)g_ptr_array_index(m->to, 0))->email);
    mime_message_free(&m);
    return to;
}

int cli_send(CliContext *ctx, int argc, char **argv)
{
    GOptionEntry entries[] = {{NULL}};
    if (!cli_parse_options("send", "CASE reporter-mail|subscriber-mail", entries, &argc, &argv))
        return CLI_USAGE;
    DraftOptions opts = {.format = DRAFT_EML};
    if (argc != 3 || !drafts_report_parse(argv[2], &opts.report) ||
        (opts.report != DRAFT_REPORTER_MAIL && opts.report != DRAFT_SUBSCRIBER_MAIL)) {
        cli_error("send: expected CASE reporter-mail|subscriber-mail");
        return CLI_USAGE;
    }
    const Config *cfg = ctx->cfg;
    for (gsize i = 0; cfg->warnings && cfg->warnings[i]; i++)
        cli_error("send: warning: %s", cfg->warnings[i]);
    if (!cfg->mail_smtp_url) {
        cli_error("send: no [mail] smtp_url in %s", cfg->path ? cfg->path : "the configuration");
        return CLI_USAGE;
    }
    Store *store = cli_store(ctx);
    if (!store)
        return CLI_STORE;
    int rc = CLI_OK;
    g_autoptr(CaseRow) c = cli_case_load(store, "send", argv[1], &rc);
    if (!c)
        return rc;
    GError *error = NULL;
    g_autofree char *eml = drafts_render_options(store, cfg, c->id, &opts, ctx->now, &error);
    if (!eml)
        return cli_fail("send", error);
    g_autofree char *to = recipient_of(eml);
    if (!to) {
        cli_error("send: %s: the mail names no recipient", c->reference);
        return CLI_FAILED;
    }
    char *password = NULL;
    if (cfg->mail_password_file && !(password = secret_read(cfg->mail_password_file, &error)))
        return cli_fail("send", error);
    const char *const rcpt[] = {to, NULL};
    NotifySmtp smtp = {.url = cfg->mail_smtp_url, .ca_file = cfg->mail_ca_file,
                       .user = cfg->mail_user, .password = password, .from = cfg->mail_from};
    g_autoptr(GError) failure = NULL;
    gboolean sent = notify_smtp_send(&smtp, rcpt, eml, &failure);
    secret_free(&password);
    if (!sent) {
        cli_error("send: %s: the SMTP server did not take the mail: %s", c->reference,
                  failure ? failure->message : "unknown error");
        return CLI_FAILED;
    }
    /* the server's acceptance: now, after its answer to the message */
    gint64 accepted = testhooks_now();
    const char *type =
        opts.report == DRAFT_REPORTER_MAIL ? "preliminary_report_sent" : "subscriber_notified";
    g_autofree char *details = jsonutil_object_of_strings(
        "to", to, "report", drafts_report_name(opts.report), "via", "smtp", NULL);
    g_autoptr(GPtrArray) met = NULL;
    g_autofree char *by = cli_user_name();
    if (!store_begin(store, &error))
        return cli_fail("send", error);
    if (!store_event_append(store, accepted, by, c->id, type, details, &error) ||
        !clocks_refresh(store, c->id, &met, &error) || !store_commit(store, &error)) {
        store_rollback(store);
        cli_error("send: %s: the mail was sent but %s could not be recorded; record it with "
                  "`event %s %s`",
                  c->reference, type, c->reference, type);
        return cli_fail("send", error);
    }
    printf("%s: %s sent; %s recorded", c->reference, drafts_report_name(opts.report), type);
    for (guint i = 0; met && i < met->len; i++)
        printf("%s%s", i ? ", " : "; met: ", (const char *)g_ptr_array_index(met, i));
    printf("\n");
    return CLI_OK;
}
