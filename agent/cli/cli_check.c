/* cli_check.c - `check-config [--print]`: the configuration was validated
 * by main (exit 2 when invalid); here the secret files are checked, then
 * every connection is tried without side effects, one line per check:
 * IMAP login and EXAMINE of every folder (read-only: no flag changes),
 * Bugzilla GET /rest/whoami, each notify target (DNS, TCP, TLS and an HTTP
 * HEAD, never a page; SMTP up to EHLO), the [ack] SMTP server. Exit 0 when
 * all pass, 1 naming what failed. `--print` shows the effective
 * configuration, defaults included, without reading any secret. */
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

#include "bugzilla.h"
#include "cli.h"
#include "curlutil.h"
#include "imap/imap_internal.h"

#define CHECK_CONNECT_TIMEOUT_MS 10000L
#define CHECK_TIMEOUT_MS 20000L
#define PAGERDUTY_EVENTS_URL "https://events.pagerduty.com/v2/enqueue"

typedef struct {
    GPtrArray *failed; /* names of the failed checks */
} CheckRun;

static void report(CheckRun *run, const char *name, gboolean ok, const char *fmt, ...)
    G_GNUC_PRINTF(4, 5);

static void report(CheckRun *run, const char *name, gboolean ok, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *what = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    printf("%-4s %s: %s\n", ok ? "ok" : "FAIL", name, what);
    fflush(stdout);
    if (!ok && !g_ptr_array_find_with_equal_func(run->failed, name, g_str_equal, NULL))
        g_ptr_array_add(run->failed, g_strdup(name));
}

static void check_imap(const Config *cfg, CheckRun *run)
{
    GError *error = NULL;
    ImapSession *s = imap_session_open(cfg, &error);
    if (!s) {
        report(run, "imap", FALSE, "login as %s to %s:%d: %s", cfg->imap_user, cfg->imap_host,
               cfg->imap_port, error->message);
        g_error_free(error);
        return;
    }
    report(run, "imap", TRUE, "login as %s to %s:%d (TLS verified)", cfg->imap_user,
           cfg->imap_host, cfg->imap_port);
    for (gsize i = 0; cfg->imap_folders[i]; i++) {
        /* EXAMINE, not SELECT: read-only, \Recent and flags untouched */
        int r = mailimap_examine(s->imap, cfg->imap_folders[i]);
        g_autofree char *name = g_strdup_printf("imap folder %s", cfg->imap_folders[i]);
        if (r == MAILIMAP_NO_ERROR) {
            report(run, name, TRUE, "%u messages", s->imap->imap_selection_info
                                                         ? s->imap->imap_selection_info->sel_exists
                                                         : 0);
        } else {
            report(run, name, FALSE, "EXAMINE refused (libetpan error %d%s%s)", r,
                   s->imap->imap_response ? ": " : "",
                   s->imap->imap_response ? s->imap->imap_response : "");
            if (imap_result_is_fatal(r)) {
                s->broken = TRUE;
                break;
            }
        }
    }
    imap_session_free(&s);
}

static void check_bugzilla(const Config *cfg, CheckRun *run)
{
    GError *error = NULL;
    BugzillaClient *client = bugzilla_client_new(cfg, NULL, &error);
    g_autofree char *who = client ? bugzilla_whoami(client, &error) : NULL;
    if (who)
        report(run, "bugzilla", TRUE, "GET %s/rest/whoami: %s", cfg->bugzilla_url, who);
    else
        report(run, "bugzilla", FALSE, "GET %s/rest/whoami: %s", cfg->bugzilla_url,
               error ? error->message : "failed");
    g_clear_error(&error);
    bugzilla_client_free(&client);
}

static gboolean loopback_url(const char *url)
{
    g_autoptr(GUri) u = g_uri_parse(url, G_URI_FLAGS_NONE, NULL);
    const char *h = u ? g_uri_get_host(u) : NULL;
    return h && (!strcmp(h, "127.0.0.1") || !strcmp(h, "localhost") || !strcmp(h, "::1"));
}

/* DNS, TCP, TLS (verified) and then either an HTTP HEAD (nothing posted:
 * any HTTP answer proves the path) or, for SMTP, the greeting and EHLO
 * (and STARTTLS) of curl's connect phase, no MAIL FROM. */
static void check_url(CheckRun *run, const char *name, const char *url, const char *ca_file)
{
    gboolean smtp = g_str_has_prefix(url, "smtp://") || g_str_has_prefix(url, "smtps://");
    CURL *curl = curl_easy_init();
    if (!curl) {
        report(run, name, FALSE, "curl_easy_init failed");
        return;
    }
    char errbuf[CURL_ERROR_SIZE] = "";
    CURLcode rc = curlutil_set_safe_options(curl, smtp ? "smtp,smtps" : "http,https", ca_file,
                                            CHECK_CONNECT_TIMEOUT_MS, CHECK_TIMEOUT_MS, errbuf);
    curl_easy_setopt(curl, CURLOPT_URL, url);
    if (smtp) {
        if (g_str_has_prefix(url, "smtp://"))
            curl_easy_setopt(curl, CURLOPT_USE_SSL,
                             loopback_url(url) ? (long)CURLUSESSL_TRY : (long)CURLUSESSL_ALL);
        curl_easy_setopt(curl, CURLOPT_CONNECT_ONLY, 1L);
    } else {
        curl_easy_setopt(curl, CURLOPT_NOBODY, 1L); /* HEAD */
    }
    if (rc == CURLE_OK)
        rc = curl_easy_perform(curl);
    long code = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
    if (rc != CURLE_OK)
        report(run, name, FALSE, "%s: %s", url, curlutil_error_text(errbuf, rc));
    else if (smtp)
        report(run, name, TRUE, "%s: EHLO answered %ld", url, code);
    else
        report(run, name, TRUE, "%s: HEAD answered HTTP %ld", url, code);
    curl_easy_cleanup(curl);
}

static void print_list(const char *key, char **list)
{
    g_autofree char *joined = list ? g_strjoinv(";", list) : g_strdup("");
    printf("%s=%s\n", key, joined);
}

static void print_opt(const char *key, const char *value)
{
    if (value)
        printf("%s=%s\n", key, value);
    else
        printf("# %s=(unset)\n", key);
}

/* doveconf -n style: every key with its effective value; secret files by
 * path only (never read here). */
static void print_config(const Config *c, const char *db_path)
{
    printf("# %s\n[ca]\n", c->path);
    printf("owner=%s\n", c->ca_owner);
    print_list("aliases", c->ca_aliases);
    print_list("ca_names", c->ca_names);
    print_list("domains", c->ca_domains);
    print_list("report_addresses", c->ca_report_addresses);
    if (c->ca_public_staff && c->ca_public_staff[0])
        print_list("public_staff", c->ca_public_staff);
    else
        printf("# public_staff=(unset: the CA's staff are redacted in public outputs)\n");
    printf("\n[store]\npath=%s\nmin_free_mb=%u\n", c->store_path, c->store_min_free_mb);
    if (c->imap_url) {
        printf("\n[imap]\nurl=%s\n", c->imap_url);
        print_list("folders", c->imap_folders);
        printf("user=%s\n", c->imap_user);
        print_opt("password_file", c->imap_password_file);
        print_opt("oauth2_token_file", c->imap_oauth2_token_file);
        print_opt("oauth2_refresh_token_file", c->imap_oauth2_refresh_token_file);
        print_opt("oauth2_token_url", c->imap_oauth2_token_url);
        print_opt("oauth2_client_id", c->imap_oauth2_client_id);
        print_opt("oauth2_client_secret_file", c->imap_oauth2_client_secret_file);
        print_opt("oauth2_ca_file", c->imap_oauth2_ca_file);
        print_opt("oauth2_scope", c->imap_oauth2_scope);
        print_opt("ca_file", c->imap_ca_file);
        if (c->imap_processed == PROCESSED_MOVE)
            printf("processed=move:%s\n", c->imap_move_folder);
        else
            printf("processed=%s\n", c->imap_processed == PROCESSED_NONE ? "none" : "keyword");
        printf("keyword=%s\npoll_seconds=%d\ntimeout_seconds=%d\nidle_seconds=%d\nbatch=%d\n",
               c->imap_keyword, c->imap_poll_seconds, c->imap_timeout_seconds,
               c->imap_idle_seconds, c->imap_batch);
    } else {
        printf("\n# [imap] absent: no IMAP intake\n");
    }
    if (!c->bugzilla_url) {
        /* the section's defaults still apply to drafts */
        printf("\n# [bugzilla] absent: no filing; drafts use\n# product=%s\n# component=%s\n"
               "# version=%s\n", c->bugzilla_product, c->bugzilla_component, c->bugzilla_version);
    } else {
        printf("\n[bugzilla]\nurl=%s\n", c->bugzilla_url);
        print_opt("api_key_file", c->bugzilla_api_key_file);
        print_opt("ca_file", c->bugzilla_ca_file);
        printf("product=%s\ncomponent=%s\nversion=%s\nauto_file=%s\n", c->bugzilla_product,
               c->bugzilla_component, c->bugzilla_version,
               c->bugzilla_auto_file ? "true" : "false");
        if (c->bugzilla_ca_accounts && c->bugzilla_ca_accounts[0])
            print_list("ca_accounts", c->bugzilla_ca_accounts);
        else
            printf("# ca_accounts=(unset: the account of whoami)\n");
    }
    printf("\n[drafts]\n");
    print_opt("template_dir", c->drafts_template_dir);
    print_opt("br_version", c->drafts_br_version);
    if (c->drafts_template_version)
        printf("template_version=%s\n", c->drafts_template_version);
    else
        printf("# template_version=(unset: the newest)\n");
    for (guint i = 0; i < c->notify->len; i++) {
        const NotifyTarget *t = g_ptr_array_index(c->notify, i);
        printf("\n[notify.%s]\ntype=%s\n", t->name, t->type);
        print_opt("url", t->url);
        print_opt(g_strcmp0(t->type, "pagerduty") == 0 ? "routing_key_file" : "secret_file",
                  t->key_file);
        print_opt("ca_file", t->ca_file);
        if (t->to || t->from) {
            print_opt("to", t->to);
            print_opt("from", t->from);
        }
    }
    printf("\n[notify]\nmax_new_case_pages_per_sender_hour=%u\nmax_new_case_pages_hour=%u\n"
           "max_acks_per_recipient_day=%u\n",
           c->notify_max_new_case_pages_per_sender_hour, c->notify_max_new_case_pages_hour,
           c->notify_max_acks_per_recipient_day);
    printf("\n[triage]\ndigest_hours=%u\n", c->triage_digest_hours);
    printf("\n[mail]\n");
    print_opt("smtp_url", c->mail_smtp_url);
    print_opt("from", c->mail_from);
    print_opt("user", c->mail_user);
    print_opt("password_file", c->mail_password_file);
    print_opt("ca_file", c->mail_ca_file);
    printf("\n[clocks]\nescalate_at=");
    for (guint i = 0; i < c->n_escalate_at; i++)
        printf("%s%u", i ? ";" : "", c->escalate_at[i]);
    printf("\n\n[ack]\nenabled=%s\n", c->ack_enabled ? "true" : "false");
    print_opt("from", c->ack_from);
    print_opt("smtp_url", c->ack_smtp_url);
    print_opt("text_file", c->ack_text_file);
    print_opt("ca_file", c->ack_ca_file);
    print_opt("user", c->ack_user);
    print_opt("password_file", c->ack_password_file);
    printf("\n[health]\nconnection_down_seconds=%d\nheartbeat_seconds=%d\n",
           c->health_down_seconds, c->health_heartbeat_seconds);
    printf("\n[audit]\n");
    print_opt("signing_key_file", c->audit_signing_key_file);
    if (c->audit_checkpoint_file)
        printf("checkpoint_file=%s\n", c->audit_checkpoint_file);
    else
        printf("# checkpoint_file=(unset: %s.checkpoints)\n", db_path);
    printf("checkpoint_seconds=%d\nbackfill_slack_seconds=%d\n", c->audit_checkpoint_seconds,
           c->audit_backfill_slack_seconds);
}

int cli_check_config(CliContext *ctx, int argc, char **argv)
{
    gboolean print = FALSE;
    GOptionEntry entries[] = {
        {"print", 0, 0, G_OPTION_ARG_NONE, &print,
         "show the effective configuration (defaults included, no secrets)", NULL},
        {NULL},
    };
    if (!cli_parse_args("check-config", "", entries, 0, NULL, &argc, &argv))
        return CLI_USAGE;
    const Config *cfg = ctx->cfg;
    if (print) {
        print_config(cfg, cli_db_path(ctx));
        return CLI_OK;
    }
    printf("ok   configuration: %s\n", cfg->path);
    GError *error = NULL;
    if (!config_check_secrets(cfg, &error)) {
        printf("FAIL secret files: %s\n", error->message);
        cli_error("check-config: %s", error->message);
        g_error_free(error);
        return CLI_USAGE;
    }
    printf("ok   secret files: present, regular, mode 0600 or stricter\n");
    CheckRun run = {.failed = g_ptr_array_new_with_free_func(g_free)};
    if (cfg->imap_url)
        check_imap(cfg, &run);
    if (cfg->bugzilla_url)
        check_bugzilla(cfg, &run);
    for (guint i = 0; i < cfg->notify->len; i++) {
        const NotifyTarget *t = g_ptr_array_index(cfg->notify, i);
        g_autofree char *name = g_strdup_printf("notify.%s", t->name);
        const char *url = t->url;
        if (!url && g_strcmp0(t->type, "pagerduty") == 0)
            url = PAGERDUTY_EVENTS_URL;
        check_url(&run, name, url, t->ca_file);
    }
    if (cfg->ack_smtp_url)
        check_url(&run, "ack smtp", cfg->ack_smtp_url, cfg->ack_ca_file);
    int rc = CLI_OK;
    if (run.failed->len > 0) {
        g_ptr_array_add(run.failed, NULL);
        g_autofree char *names = g_strjoinv(", ", (char **)run.failed->pdata);
        cli_error("check-config: failed: %s", names);
        rc = CLI_FAILED;
    }
    g_ptr_array_unref(run.failed);
    return rc;
}
