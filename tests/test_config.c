/* test_config.c - configuration loading and validation, table-driven: each row
 * is a file body and the text the error must contain (NULL = must load). */
#include <glib.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "secret.h"
#include "config.h"
#include "cpr_error.h"
#include "testutil.h"

static char *tmpdir;

static char *write_file(const char *name, const char *body, int mode)
{
    char *path = g_build_filename(tmpdir, name, NULL);
    g_assert_true(g_file_set_contents(path, body, -1, NULL));
    g_chmod(path, mode);
    return path;
}

#define CA "[ca]\nowner=Acme Trust Services\nreport_addresses=problems@acmetrust.test\n"

typedef struct {
    const char *name;
    const char *body; /* "@SECRET@" is replaced by a 0600 secret, "@OPEN@" by a 0644 one */
    const char *error; /* substring of the error, NULL = loads */
} ConfigCase;

static const ConfigCase CASES[] = {
    {"minimal", CA, NULL},
    {"full", CA "aliases=AcmeTrust; Acme Trust\nca_names=AcmeTrust TLS RSA CA 2024\n"
             "domains=AcmeTrust.test\n[store]\npath=/tmp/x.db\n"
             "[imap]\nurl=imaps://127.0.0.1:9993\nuser=u\npassword_file=@SECRET@\n"
             "folders=INBOX;Lists/mdsp\nprocessed=move:Done\n"
             "[clocks]\nescalate_at=50;90;100\n"
             "[notify.hook]\ntype=webhook\nurl=http://127.0.0.1:8080/x\n", NULL},
    {"unknown section", CA "[imapp]\nurl=x\n", "[imapp]: unknown section"},
    {"unknown key", CA "colour=blue\n", "[ca] colour: unknown key"},
    {"flood and disk limits", CA "[store]\nmin_free_mb=0\n[notify]\nmax_new_case_pages_hour=7\n"
                               "max_new_case_pages_per_sender_hour=1\nmax_acks_per_recipient_day=0\n",
     NULL},
    {"unknown [notify] key", CA "[notify]\nmax_pages=3\n", "[notify] max_pages: unknown key"},
    {"bad min_free_mb", CA "[store]\nmin_free_mb=lots\n",
     "[store] min_free_mb: expected a whole number from 0 to 1000000000"},
    {"missing owner", "[ca]\nreport_addresses=a@b.test\n", "[ca] owner: required key is missing"},
    {"missing ca", "[store]\npath=/tmp/x\n", "[ca]: required section is missing"},
    {"bad address", "[ca]\nowner=X\nreport_addresses=nobody\n", "expected e-mail addresses"},
    {"bad url", CA "[imap]\nurl=ftp://x\nuser=u\npassword_file=@SECRET@\n", "[imap] url: expected a URL"},
    {"http imap", CA "[imap]\nurl=https://x\nuser=u\npassword_file=@SECRET@\n", "expected imaps://"},
    {"open secret", CA "[imap]\nurl=imaps://x\nuser=u\npassword_file=@OPEN@\n",
     "accessible by group or others"},
    {"missing secret", CA "[imap]\nurl=imaps://x\nuser=u\npassword_file=/nonexistent/secret\n",
     "[imap] password_file: cannot read secret file /nonexistent/secret"},
    {"no auth", CA "[imap]\nurl=imaps://x\nuser=u\n", "exactly one of password_file"},
    {"bad processed", CA "[imap]\nurl=imaps://x\nuser=u\npassword_file=@SECRET@\nprocessed=delete\n",
     "expected keyword, none or move:FOLDER"},
    {"bad int", CA "[imap]\nurl=imaps://x\nuser=u\npassword_file=@SECRET@\npoll_seconds=soon\n",
     "expected a whole number"},
    {"long idle", CA "[imap]\nurl=imaps://x\nuser=u\npassword_file=@SECRET@\nidle_seconds=3000\n",
     "at most 1740"},
    {"bad bool", CA "[bugzilla]\nurl=https://b.test\nauto_file=maybe\n", "expected true or false"},
    {"escalate order", CA "[clocks]\nescalate_at=90;50\n", "ascending percentages"},
    {"escalate range", CA "[clocks]\nescalate_at=50;150\n", "ascending percentages"},
    {"notify type", CA "[notify.x]\ntype=carrier-pigeon\nurl=https://h.test\n",
     "expected webhook, slack, pagerduty or email"},
    {"notify plain http", CA "[notify.x]\ntype=webhook\nurl=http://hooks.example/x\n",
     "plain http:// is refused"},
    {"pagerduty key", CA "[notify.pd]\ntype=pagerduty\n", "routing_key_file: required"},
    {"not a key file", "this is not ini\n", "not a key-value pair"},
    /* the signing key is read only by the commands that sign (issue 13) */
    {"audit", CA "[audit]\nsigning_key_file=/nonexistent/audit.key\ncheckpoint_file=/tmp/x.cp\n"
              "checkpoint_seconds=60\nbackfill_slack_seconds=600\n", NULL},
    {"audit interval", CA "[audit]\ncheckpoint_seconds=0\n",
     "[audit] checkpoint_seconds: expected a whole number"},
    {"audit slack", CA "[audit]\nbackfill_slack_seconds=an hour\n",
     "[audit] backfill_slack_seconds: expected a whole number"},
    {"audit key", CA "[audit]\nkey=x\n", "[audit] key: unknown key"},
};

static void test_table(void)
{
    g_autofree char *secret = write_file("secret", "hunter2\n", 0600);
    g_autofree char *open_secret = write_file("open-secret", "hunter2\n", 0644);
    for (gsize i = 0; i < G_N_ELEMENTS(CASES); i++) {
        g_autoptr(GString) body = g_string_new(CASES[i].body);
        g_string_replace(body, "@SECRET@", secret, 0);
        g_string_replace(body, "@OPEN@", open_secret, 0);
        g_autofree char *name = g_strdup_printf("samples-%zu.conf", i);
        g_autofree char *path = write_file(name, body->str, 0644);
        GError *error = NULL;
        Config *cfg = config_load(path, &error);
        /* secret files are checked by the commands that use them */
        if (cfg && !config_check_secrets(cfg, &error))
            config_free(&cfg);
        if (!CASES[i].error) {
            if (!cfg)
                g_test_message("%s: %s", CASES[i].name, error->message);
            g_assert_nonnull(cfg);
        } else {
            g_assert_null(cfg);
            g_assert_error(error, CPR_ERROR, CPR_ERROR_CONFIG);
            if (error && !g_strstr_len(error->message, -1, CASES[i].error))
                g_test_message("%s: got \"%s\"", CASES[i].name, error->message);
            g_assert_true(error && g_strstr_len(error->message, -1, CASES[i].error));
            /* every error names the file */
            g_assert_true(error && g_strstr_len(error->message, -1, path));
        }
        g_clear_error(&error);
        config_free(&cfg);
    }
}

static void test_values(void)
{
    g_autofree char *secret = write_file("secret2", "s3cret\n", 0600);
    g_autofree char *body = g_strdup_printf(
        CA "aliases=AcmeTrust; Acme Trust ;\ndomains=AcmeTrust.TEST\n"
           "[imap]\nurl=imap://mail.test\nuser=u\npassword_file=%s\n", secret);
    g_autofree char *path = write_file("values.conf", body, 0644);
    GError *error = NULL;
    Config *cfg = config_load(path, &error);
    g_assert_no_error(error);
    g_assert_nonnull(cfg);
    g_assert_cmpstr(cfg->ca_aliases[0], ==, "AcmeTrust");
    g_assert_cmpstr(cfg->ca_aliases[1], ==, "Acme Trust");
    g_assert_null(cfg->ca_aliases[2]);
    g_assert_cmpstr(cfg->ca_domains[0], ==, "acmetrust.test");
    g_assert_false(cfg->imap_implicit_tls);
    g_assert_cmpint(cfg->imap_port, ==, 143);
    g_assert_cmpstr(cfg->imap_folders[0], ==, "INBOX");
    g_assert_cmpint(cfg->imap_processed, ==, PROCESSED_KEYWORD);
    g_assert_cmpstr(cfg->imap_keyword, ==, "$CprIntake");
    g_assert_cmpint(cfg->n_escalate_at, ==, 4);
    g_assert_cmpuint(cfg->escalate_at[3], ==, 100);
    g_assert_cmpstr(cfg->bugzilla_product, ==, "CA Program");
    g_assert_null(cfg->audit_signing_key_file);
    g_assert_null(cfg->audit_checkpoint_file);
    g_assert_cmpint(cfg->audit_checkpoint_seconds, ==, 3600);
    g_assert_cmpint(cfg->audit_backfill_slack_seconds, ==, 3600);
    g_assert_cmpuint(cfg->store_min_free_mb, ==, 200); /* SPEC 3.3 defaults */
    g_assert_cmpuint(cfg->notify_max_new_case_pages_per_sender_hour, ==, 5);
    g_assert_cmpuint(cfg->notify_max_new_case_pages_hour, ==, 20);
    g_assert_cmpuint(cfg->notify_max_acks_per_recipient_day, ==, 3);
    char *s = secret_read(secret, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(s, ==, "s3cret");
    secret_free(&s);
    g_assert_null(s);
    config_free(&cfg);
    g_assert_null(cfg);
}

static void test_secret_errors(void)
{
    g_autofree char *empty = write_file("empty-secret", "\n", 0600);
    g_autofree char *world = write_file("world-secret", "x", 0604);
    GError *error = NULL;
    g_assert_null(secret_read(empty, &error));
    g_assert_error(error, CPR_ERROR, CPR_ERROR_CONFIG);
    g_clear_error(&error);
    g_assert_null(secret_read(world, &error));
    g_assert_error(error, CPR_ERROR, CPR_ERROR_CONFIG);
    g_clear_error(&error);
    g_assert_null(secret_read(tmpdir, &error)); /* a directory */
    g_assert_error(error, CPR_ERROR, CPR_ERROR_CONFIG);
    g_clear_error(&error);

    /* only 0600 or 0400: an executable bit is refused too */
    g_autofree char *exec = write_file("exec-secret", "x", 0700);
    g_assert_null(secret_read(exec, &error));
    g_assert_nonnull(error);
    g_assert_nonnull(error ? strstr(error->message, "expected 0600 or 0400") : NULL);
    g_clear_error(&error);
    g_autofree char *ro = write_file("ro-secret", "ro\n", 0400);
    char *s = secret_read(ro, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(s, ==, "ro");
    secret_free(&s);

    /* a FIFO is not a regular file, and opening it does not block */
    g_autofree char *fifo = g_build_filename(tmpdir, "fifo-secret", NULL);
    g_assert_cmpint(mkfifo(fifo, 0600), ==, 0);
    g_assert_null(secret_read(fifo, &error));
    g_assert_nonnull(error ? strstr(error->message, "not a regular file") : NULL);
    g_clear_error(&error);

    /* owned by someone else (only testable as root, who can give files away) */
    if (geteuid() == 0) {
        g_autofree char *other = write_file("other-secret", "x", 0600);
        g_assert_cmpint(chown(other, 65534, 65534), ==, 0);
        g_assert_null(secret_read(other, &error));
        g_assert_nonnull(error ? strstr(error->message, "owned by another user") : NULL);
        g_clear_error(&error);
        /* root's own file is fine for any user; for root it is its own */
        g_assert_cmpint(chown(other, 0, 0), ==, 0);
        s = secret_read(other, &error);
        g_assert_no_error(error);
        secret_free(&s);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_set_nonfatal_assertions();
    tmpdir = tu_tmpdir_new("cpr-config");
    g_test_add_func("/config/table", test_table);
    g_test_add_func("/config/values", test_values);
    g_test_add_func("/config/secret-errors", test_secret_errors);
    int rc = g_test_run();
    tu_tmpdir_remove(tmpdir);
    return rc;
}
