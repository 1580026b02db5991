/* test_oauth2.c - the token endpoint's answers judged (table-driven, hostile
 * rows included), the refresh form encoded, the refresh token file replaced
 * atomically, and the [imap] oauth2_* configuration validated. The HTTPS
 * exchange itself is tested end to end by tests/t_imap_oauth2.sh. */
#include <glib.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "secret.h"
#include "config.h"
#include "cpr_error.h"
#include "oauth2.h"
#include "testutil.h"

static char *tmpdir;

typedef struct {
    const char *name;
    long status;
    const char *body;
    int code;              /* -1: must succeed */
    const char *error;     /* substring of the error message */
    const char *access;    /* expected access token on success */
    const char *refresh;   /* expected rotated refresh token, NULL = none */
    gint64 expires_in;
} ParseCase;

#define OK -1
static const ParseCase PARSE[] = {
    {"plain", 200, "{\"access_token\":\"at-1\",\"token_type\":\"Bearer\",\"expires_in\":3599}", OK,
     NULL, "at-1", NULL, 3599},
    {"rotated", 200, "{\"access_token\":\"at-2\",\"refresh_token\":\"rt-2\",\"expires_in\":60}", OK,
     NULL, "at-2", "rt-2", 60},
    {"expires_in as string", 200, "{\"access_token\":\"a\",\"expires_in\":\"120\"}", OK, NULL, "a",
     NULL, 120},
    {"no expires_in", 200, "{\"access_token\":\"a\"}", OK, NULL, "a", NULL, 3600},
    {"negative expires_in", 200, "{\"access_token\":\"a\",\"expires_in\":-5}", OK, NULL, "a", NULL,
     1},
    {"lowercase bearer", 200, "{\"access_token\":\"a\",\"token_type\":\"bearer\"}", OK, NULL, "a",
     NULL, 3600},
    {"invalid_grant", 400,
     "{\"error\":\"invalid_grant\",\"error_description\":\"AADSTS70000: expired\"}",
     CPR_ERROR_AUTH, "oauth2 refresh failed: the token endpoint refused it (HTTP 400, "
                     "invalid_grant: AADSTS70000: expired); the refresh token is expired",
     NULL, NULL, 0},
    {"invalid_client", 401, "{\"error\":\"invalid_client\"}", CPR_ERROR_AUTH,
     "check oauth2_client_id", NULL, NULL, 0},
    {"400 not json", 400, "<html>Bad</html>", CPR_ERROR_AUTH, "HTTP 400, no error code", NULL,
     NULL, 0},
    {"error in a 200", 200, "{\"error\":\"invalid_grant\"}", CPR_ERROR_AUTH, "invalid_grant", NULL,
     NULL, 0},
    {"500", 500, "<html>oops</html>", CPR_ERROR_CONNECTION, "answered HTTP 500", NULL, NULL, 0},
    {"503", 503, "", CPR_ERROR_CONNECTION, "HTTP 503", NULL, NULL, 0},
    {"429", 429, "{\"error\":\"slow_down\"}", CPR_ERROR_CONNECTION, "HTTP 429", NULL, NULL, 0},
    {"redirect", 302, "", CPR_ERROR_REMOTE, "unexpected HTTP 302", NULL, NULL, 0},
    {"not json", 200, "<html>hello</html>", CPR_ERROR_REMOTE, "not a JSON object", NULL, NULL, 0},
    {"empty", 200, "", CPR_ERROR_REMOTE, "not a JSON object", NULL, NULL, 0},
    {"array", 200, "[\"access_token\"]", CPR_ERROR_REMOTE, "not a JSON object", NULL, NULL, 0},
    {"no access_token", 200, "{\"token_type\":\"Bearer\"}", CPR_ERROR_REMOTE, "no access_token",
     NULL, NULL, 0},
    {"numeric access_token", 200, "{\"access_token\":42}", CPR_ERROR_REMOTE, "no access_token",
     NULL, NULL, 0},
    {"empty access_token", 200, "{\"access_token\":\"\"}", CPR_ERROR_REMOTE, "unusable", NULL, NULL,
     0},
    {"SASL framing in the token", 200, "{\"access_token\":\"a\\u0001auth=x\"}", CPR_ERROR_REMOTE,
     "unusable", NULL, NULL, 0},
    {"space in the token", 200, "{\"access_token\":\"a b\"}", CPR_ERROR_REMOTE, "unusable", NULL,
     NULL, 0},
    {"newline in the refresh token", 200, "{\"access_token\":\"a\",\"refresh_token\":\"r\\nx\"}",
     CPR_ERROR_REMOTE, "rotated refresh_token", NULL, NULL, 0},
    {"mac token", 200, "{\"access_token\":\"a\",\"token_type\":\"mac\"}", CPR_ERROR_REMOTE,
     "not Bearer", NULL, NULL, 0},
    {"control bytes in the description", 400,
     "{\"error\":\"invalid_grant\",\"error_description\":\"x\\u001b[31my\\r\\nInjected: 1\"}",
     CPR_ERROR_AUTH, "x?[31my??Injected: 1", NULL, NULL, 0},
};

static void test_parse(void)
{
    for (gsize i = 0; i < G_N_ELEMENTS(PARSE); i++) {
        const ParseCase *c = &PARSE[i];
        OAuth2Grant g;
        GError *error = NULL;
        gboolean ok = oauth2_parse_token_response(c->status, c->body, strlen(c->body), &g, &error);
        g_test_message("%s: %s", c->name, error ? error->message : "ok");
        if (c->code == OK) {
            g_assert_no_error(error);
            g_assert_true(ok);
            g_assert_cmpstr(g.access_token, ==, c->access);
            g_assert_cmpstr(g.refresh_token, ==, c->refresh);
            g_assert_cmpint(g.expires_in, ==, c->expires_in);
        } else {
            g_assert_false(ok);
            g_assert_error(error, CPR_ERROR, c->code);
            g_assert_true(error && strstr(error->message, c->error));
            g_assert_null(g.access_token);
            /* The health pager pages at once on "token" (auth), never on a
             * passing outage, which pages after connection_down_seconds. */
            if (error && c->code == CPR_ERROR_CONNECTION)
                g_assert_null(strstr(error->message, "token"));
            if (error && (c->code == CPR_ERROR_AUTH || c->code == CPR_ERROR_REMOTE))
                g_assert_true(g_str_has_prefix(error->message, "oauth2 refresh failed"));
        }
        g_clear_error(&error);
        oauth2_grant_clear(&g);
    }
}

static void test_parse_bounded(void)
{
    /* An answer over the cap is refused unread, even when well-formed. */
    GString *big = g_string_new("{\"access_token\":\"a\",\"pad\":\"");
    while (big->len < OAUTH2_MAX_RESPONSE_BYTES + 10)
        g_string_append(big, "xxxxxxxxxxxxxxxx");
    g_string_append(big, "\"}");
    OAuth2Grant g;
    GError *error = NULL;
    g_assert_false(oauth2_parse_token_response(200, big->str, big->len, &g, &error));
    g_assert_error(error, CPR_ERROR, CPR_ERROR_REMOTE);
    g_clear_error(&error);
    g_string_free(big, TRUE);

    /* An access token over OAUTH2_MAX_TOKEN_BYTES is unusable. */
    GString *tok = g_string_new("{\"access_token\":\"");
    for (int i = 0; i < OAUTH2_MAX_TOKEN_BYTES + 1; i++)
        g_string_append_c(tok, 'a');
    g_string_append(tok, "\"}");
    g_assert_false(oauth2_parse_token_response(200, tok->str, tok->len, &g, &error));
    g_assert_error(error, CPR_ERROR, CPR_ERROR_REMOTE);
    g_clear_error(&error);
    g_string_free(tok, TRUE);
}

static void test_form(void)
{
    char *f = oauth2_refresh_form("1//0e+a/b=c&d", "client id", NULL, NULL);
    g_assert_cmpstr(f, ==, "grant_type=refresh_token&refresh_token=1%2F%2F0e%2Ba%2Fb%3Dc%26d"
                           "&client_id=client%20id");
    secret_free(&f);
    f = oauth2_refresh_form("r", "c", "s&e=c", "https://outlook.office.com/IMAP.AccessAsUser.All "
                                               "offline_access");
    g_assert_cmpstr(f, ==, "grant_type=refresh_token&refresh_token=r&client_id=c"
                           "&client_secret=s%26e%3Dc&scope=https%3A%2F%2Foutlook.office.com%2F"
                           "IMAP.AccessAsUser.All%20offline_access");
    secret_free(&f);
}

static guint count_entries(const char *dir)
{
    GDir *d = g_dir_open(dir, 0, NULL);
    guint n = 0;
    while (d && g_dir_read_name(d))
        n++;
    if (d)
        g_dir_close(d);
    return n;
}

static void test_write_atomic(void)
{
    g_autofree char *dir = g_build_filename(tmpdir, "rt", NULL);
    g_assert_cmpint(g_mkdir(dir, 0700), ==, 0);
    g_autofree char *path = g_build_filename(dir, "refresh.token", NULL);
    g_assert_true(g_file_set_contents(path, "old\n", -1, NULL));
    g_chmod(path, 0600);
    struct stat before;
    g_assert_cmpint(g_stat(path, &before), ==, 0);

    mode_t old_umask = umask(0); /* the file is 0600 whatever the umask */
    GError *error = NULL;
    gboolean ok = oauth2_write_secret_atomic(path, "rt-new", &error);
    umask(old_umask);
    g_assert_no_error(error);
    g_assert_true(ok);
    g_autofree char *got = NULL;
    g_assert_true(g_file_get_contents(path, &got, NULL, NULL));
    g_assert_cmpstr(got, ==, "rt-new\n");
    struct stat after;
    g_assert_cmpint(g_stat(path, &after), ==, 0);
    g_assert_cmpint(after.st_mode & 07777, ==, 0600);
    g_assert_true(after.st_ino != before.st_ino); /* replaced by rename, not rewritten */
    g_assert_cmpuint(count_entries(dir), ==, 1); /* no temporary left */
    char *again = secret_read(path, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(again, ==, "rt-new");
    secret_free(&again);

    /* A directory we cannot write: the old file stays, no temporary, a clear
     * error. (Root ignores directory modes: skip that half then.) */
    if (geteuid() != 0) {
        g_chmod(dir, 0500);
        g_assert_false(oauth2_write_secret_atomic(path, "rt-newer", &error));
        g_assert_error(error, CPR_ERROR, CPR_ERROR_CONFIG);
        g_assert_true(error && strstr(error->message, path));
        g_clear_error(&error);
        g_chmod(dir, 0700);
        g_assert_cmpuint(count_entries(dir), ==, 1);
    }
    /* A missing directory. */
    g_autofree char *nowhere = g_build_filename(tmpdir, "no", "such", "file", NULL);
    g_assert_false(oauth2_write_secret_atomic(nowhere, "x", &error));
    g_assert_error(error, CPR_ERROR, CPR_ERROR_CONFIG);
    g_assert_true(error && strstr(error->message, "create a temporary file"));
    g_clear_error(&error);
}

static char *write_file(const char *name, const char *body, int mode)
{
    char *path = g_build_filename(tmpdir, name, NULL);
    g_assert_true(g_file_set_contents(path, body, -1, NULL));
    g_chmod(path, mode);
    return path;
}

#define CA "[ca]\nowner=Acme\nreport_addresses=problems@acmetrust.test\n"
#define IMAP CA "[imap]\nurl=imaps://127.0.0.1:993\nuser=u\n"

typedef struct {
    const char *name;
    const char *body; /* @RT@: a 0600 refresh token file; @SECRET@: a 0600 secret */
    const char *error; /* NULL = loads */
} ConfigCase;

static const ConfigCase CONFIGS[] = {
    {"complete", IMAP "oauth2_refresh_token_file=@RT@\noauth2_token_url=https://login.test/token\n"
                      "oauth2_client_id=cid\noauth2_client_secret_file=@SECRET@\n"
                      "oauth2_scope=https://outlook.office.com/IMAP.AccessAsUser.All\n", NULL},
    {"public client", IMAP "oauth2_refresh_token_file=@RT@\n"
                           "oauth2_token_url=https://login.test/token\noauth2_client_id=cid\n",
     NULL},
    {"no token url", IMAP "oauth2_refresh_token_file=@RT@\noauth2_client_id=cid\n",
     "[imap] oauth2_token_url: required with oauth2_refresh_token_file"},
    {"no client id", IMAP "oauth2_refresh_token_file=@RT@\noauth2_token_url=https://l.test/t\n",
     "[imap] oauth2_client_id: required with oauth2_refresh_token_file"},
    {"http token url", IMAP "oauth2_refresh_token_file=@RT@\noauth2_client_id=c\n"
                            "oauth2_token_url=http://login.test/token\n",
     "[imap] oauth2_token_url: expected an https:// URL"},
    {"with a password too", IMAP "password_file=@SECRET@\noauth2_refresh_token_file=@RT@\n"
                                 "oauth2_token_url=https://l.test/t\noauth2_client_id=c\n",
     "expected exactly one of password_file, oauth2_token_file and oauth2_refresh_token_file"},
    {"endpoint without refresh token", IMAP "password_file=@SECRET@\n"
                                            "oauth2_token_url=https://l.test/t\n",
     "[imap] oauth2_token_url: only used with oauth2_refresh_token_file"},
    {"open refresh token file", IMAP "oauth2_refresh_token_file=@OPEN@\n"
                                     "oauth2_token_url=https://l.test/t\noauth2_client_id=c\n",
     "accessible by group or others"},
    {"missing ca file", IMAP "oauth2_refresh_token_file=@RT@\noauth2_client_id=c\n"
                             "oauth2_token_url=https://l.test/t\noauth2_ca_file=/nonexistent\n",
     "[imap] oauth2_ca_file: expected a readable file"},
};

static void test_config(void)
{
    g_autofree char *rt = write_file("refresh", "rt-0\n", 0600);
    g_autofree char *secret = write_file("client-secret", "cs\n", 0600);
    g_autofree char *open_rt = write_file("open-refresh", "rt-0\n", 0644);
    for (gsize i = 0; i < G_N_ELEMENTS(CONFIGS); i++) {
        g_autoptr(GString) body = g_string_new(CONFIGS[i].body);
        g_string_replace(body, "@RT@", rt, 0);
        g_string_replace(body, "@SECRET@", secret, 0);
        g_string_replace(body, "@OPEN@", open_rt, 0);
        g_autofree char *name = g_strdup_printf("oauth2-%zu.conf", i);
        g_autofree char *path = write_file(name, body->str, 0644);
        GError *error = NULL;
        Config *cfg = config_load(path, &error);
        /* secret files are checked by the commands that read them (issue 18) */
        if (cfg && CONFIGS[i].error && !config_check_secrets(cfg, &error))
            config_free(&cfg);
        g_test_message("%s: %s", CONFIGS[i].name, error ? error->message : "loads");
        if (!CONFIGS[i].error) {
            g_assert_no_error(error);
            g_assert_nonnull(cfg);
            if (cfg) {
                g_assert_cmpstr(cfg->imap_oauth2_refresh_token_file, ==, rt);
                g_assert_cmpstr(cfg->imap_oauth2_client_id, ==, "cid");
                OAuth2Client *oc = oauth2_client_new(cfg, &error);
                g_assert_no_error(error);
                g_assert_nonnull(oc);
                g_assert_true(oauth2_client_matches(oc, cfg));
                g_assert_cmpint(oauth2_client_expires_in(oc), ==, -1);
                oauth2_client_free(&oc);
                g_assert_null(oc);
            }
        } else {
            g_assert_null(cfg);
            g_assert_error(error, CPR_ERROR, CPR_ERROR_CONFIG);
            g_assert_true(error && strstr(error->message, CONFIGS[i].error));
            g_assert_true(error && strstr(error->message, path)); /* names the file */
        }
        g_clear_error(&error);
        config_free(&cfg);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_set_nonfatal_assertions();
    tmpdir = tu_tmpdir_new("cpr-oauth2");
    g_test_add_func("/oauth2/parse", test_parse);
    g_test_add_func("/oauth2/parse-bounded", test_parse_bounded);
    g_test_add_func("/oauth2/form", test_form);
    g_test_add_func("/oauth2/write-atomic", test_write_atomic);
    g_test_add_func("/oauth2/config", test_config);
    int rc = g_test_run();
    tu_tmpdir_remove(tmpdir);
    return rc;
}
