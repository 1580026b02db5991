/* test_checkpoint.c - signed checkpoints of the audit chain (checkpoint.h):
 * the line format parsed strictly (hostile lines included), sign and verify
 * round trips on a real store, periodic checkpoints skipped while the chain
 * stands still, a torn last line, keys that are missing, of the wrong kind or
 * readable by others. The end-to-end tampering cases are t_audit_checkpoints.sh. */
#include <glib.h>
#include <glib/gstdio.h>
#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoint.h"
#include "config.h"
#include "cpr_error.h"
#include "store.h"

static char *tmpdir;
static char *key_file, *pub_file, *ecdsa_key_file;

static char *tmp_path(const char *name)
{
    return g_build_filename(tmpdir, name, NULL);
}

static void write_file(const char *path, const void *data, gsize len, int mode)
{
    g_assert_true(g_file_set_contents(path, data, (gssize)len, NULL));
    g_assert_cmpint(g_chmod(path, mode), ==, 0);
}

/* A fresh key as certtool writes it (PEM PKCS#8), and its public key. */
static char *make_key(const char *name, gnutls_pk_algorithm_t pk, unsigned bits, char **pub_r)
{
    gnutls_x509_privkey_t x = NULL;
    g_assert_cmpint(gnutls_x509_privkey_init(&x), ==, 0);
    g_assert_cmpint(gnutls_x509_privkey_generate(x, pk, bits, 0), ==, 0);
    gnutls_datum_t pem = {NULL, 0};
    g_assert_cmpint(gnutls_x509_privkey_export2_pkcs8(x, GNUTLS_X509_FMT_PEM, NULL,
                                                      GNUTLS_PKCS_PLAIN, &pem), ==, 0);
    char *path = tmp_path(name);
    write_file(path, pem.data, pem.size, 0600);
    gnutls_free(pem.data);
    if (pub_r) {
        gnutls_privkey_t priv = NULL;
        gnutls_pubkey_t pub = NULL;
        g_assert_cmpint(gnutls_privkey_init(&priv), ==, 0);
        g_assert_cmpint(gnutls_privkey_import_x509(priv, x, GNUTLS_PRIVKEY_IMPORT_AUTO_RELEASE), ==, 0);
        g_assert_cmpint(gnutls_pubkey_init(&pub), ==, 0);
        g_assert_cmpint(gnutls_pubkey_import_privkey(pub, priv, 0, 0), ==, 0);
        gnutls_datum_t out = {NULL, 0};
        g_assert_cmpint(gnutls_pubkey_export2(pub, GNUTLS_X509_FMT_PEM, &out), ==, 0);
        g_autofree char *pname = g_strconcat(name, ".pub", NULL);
        *pub_r = tmp_path(pname);
        write_file(*pub_r, out.data, out.size, 0644);
        gnutls_free(out.data);
        gnutls_pubkey_deinit(pub);
        gnutls_privkey_deinit(priv);
    } else {
        gnutls_x509_privkey_deinit(x);
    }
    return path;
}

static Config *config_with(const char *key, const char *checkpoints)
{
    Config *c = g_new0(Config, 1);
    c->path = g_strdup("test.conf");
    c->audit_signing_key_file = g_strdup(key);
    c->audit_checkpoint_file = checkpoints ? tmp_path(checkpoints) : NULL;
    c->audit_checkpoint_seconds = 3600;
    return c;
}

static Store *store_with_events(const char *name, int events)
{
    g_autofree char *path = tmp_path(name);
    GError *error = NULL;
    Store *s = store_open(path, &error);
    g_assert_no_error(error);
    for (int i = 1; i <= events; i++) {
        g_assert_true(store_begin(s, &error));
        g_assert_true(store_event_append(s, 1700000000 + i, "test", 0, "note", "{}", &error));
        g_assert_true(store_commit(s, &error));
    }
    g_assert_no_error(error);
    return s;
}

static void add_event(Store *s)
{
    g_assert_true(store_begin(s, NULL));
    g_assert_true(store_event_append(s, 1700009999, "test", 0, "note", "{\"more\":1}", NULL));
    g_assert_true(store_commit(s, NULL));
}

static guint count_lines(const char *path)
{
    g_autofree char *data = NULL;
    if (!g_file_get_contents(path, &data, NULL, NULL))
        return 0;
    guint n = 0;
    for (const char *p = data; *p; p++)
        n += *p == '\n';
    return n;
}

static const char *const GOOD =
    "31 badd20547237e2822c442fa88f5286c715a1a3a800f307b9d28a1a26fee1bea8 2026-12-05T13:52:59Z "
    "M0b7dI6YdQodyUcjvnbxK3xt/o+K8WN83j/0yiTKSR0kt4M+BI0+fCgMy4oevZdAAigOVf3T46s7o0J8G8WAAA==";

static void test_parse(void)
{
    g_auto(Checkpoint) cp = {0};
    GError *error = NULL;
    g_assert_true(checkpoint_parse(GOOD, &cp, &error));
    g_assert_no_error(error);
    g_assert_cmpint(cp.event_id, ==, 31);
    g_assert_cmpstr(cp.hash, ==, "badd20547237e2822c442fa88f5286c715a1a3a800f307b9d28a1a26fee1bea8");
    g_assert_cmpint(cp.at, ==, 1796478779);
    g_assert_cmpstr(cp.signed_text, ==, "31 badd20547237e2822c442fa88f5286c715a1a3a800f307b9d28a1a26fee1bea8 "
                                        "2026-12-05T13:52:59Z");
    static const struct {
        const char *line;
        const char *why; /* part of the error */
    } bad[] = {
        {"", "four fields"},
        {"31 abc 2026-12-05T13:52:59Z", "four fields"},
        {"31  badd20547237e2822c442fa88f5286c715a1a3a800f307b9d28a1a26fee1bea8 2026-12-05T13:52:59Z x", "four fields"},
        {"-1 badd20547237e2822c442fa88f5286c715a1a3a800f307b9d28a1a26fee1bea8 2026-12-05T13:52:59Z x", "event id"},
        {"031 badd20547237e2822c442fa88f5286c715a1a3a800f307b9d28a1a26fee1bea8 2026-12-05T13:52:59Z x", "event id"},
        {"99999999999999999999 badd20547237e2822c442fa88f5286c715a1a3a800f307b9d28a1a26fee1bea8 2026-12-05T13:52:59Z x", "event id"},
        {"31 BADD20547237e2822c442fa88f5286c715a1a3a800f307b9d28a1a26fee1bea8 2026-12-05T13:52:59Z x", "hash"},
        {"31 badd20547237e2822c442fa88f5286c715a1a3a800f307b9d28a1a26fee1bea 2026-12-05T13:52:59Z x", "hash"},
        {"31 badd20547237e2822c442fa88f5286c715a1a3a800f307b9d28a1a26fee1bea8 2026-12-05T14:52:59+01:00 x", "time"},
        {"31 badd20547237e2822c442fa88f5286c715a1a3a800f307b9d28a1a26fee1bea8 2026-12-05 x", "time"},
        {"31 badd20547237e2822c442fa88f5286c715a1a3a800f307b9d28a1a26fee1bea8 2026-12-05T13:52:59Z AAAA", "64 bytes"},
        {"31 badd20547237e2822c442fa88f5286c715a1a3a800f307b9d28a1a26fee1bea8 2026-12-05T13:52:59Z "
         "M0b7dI6YdQodyUcjvnbxK3xt/o+K8WN83j/0yiTKSR0kt4M+BI0+fCgMy4oevZdAAigOVf3T46s7o0J8G8WAAA=", "64 bytes"},
        {"31 badd20547237e2822c442fa88f5286c715a1a3a800f307b9d28a1a26fee1bea8 2026-12-05T13:52:59Z "
         "M0b7dI6YdQodyUcjvnbxK3xt/o+K8WN83j/0yiTKSR0kt4M+BI0+fCgMy4oevZdAAigOVf3T46s7o0J8G8WAAB==", "64 bytes"},
        {"31 badd20547237e2822c442fa88f5286c715a1a3a800f307b9d28a1a26fee1bea8 2026-12-05T13:52:59Z "
         "M0b7dI6YdQodyUcjvnbxK3xt/o+K8WN83j/0yiTKSR0kt4M+BI0+fCgMy4oevZdAAigOVf3T46s7o0J8G8WA-A==", "base64"},
        {"31 badd20547237e2822c442fa88f5286c715a1a3a800f307b9d28a1a26fee1bea8 2026-12-05T13:52:59Z "
         "M0b7dI6YdQodyUcjvnbxK3xt/o+K8WN83j/0yiTKSR0kt4M+BI0+fCgMy4oevZdAAigOVf3T46s7o0J8G8WAAA==\r", "base64"},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_auto(Checkpoint) b = {0};
        GError *e = NULL;
        gboolean ok = checkpoint_parse(bad[i].line, &b, &e);
        if (ok || !e || !strstr(e->message, bad[i].why))
            g_test_message("line %zu: ok=%d error=%s", i, ok, e ? e->message : "(none)");
        g_assert_false(ok);
        g_assert_error(e, CPR_ERROR, CPR_ERROR_INPUT);
        g_assert_true(e && strstr(e->message, bad[i].why));
        g_assert_null(b.signed_text);
        g_clear_error(&e);
    }
}

static void test_round_trip(void)
{
    Store *s = store_with_events("round.db", 5);
    Config *cfg = config_with(key_file, NULL);
    g_autofree char *path = checkpoint_file_path(cfg, s);
    g_assert_true(g_str_has_suffix(path, "round.db.checkpoints"));
    GError *error = NULL;
    g_autofree char *line = NULL;
    g_assert_true(checkpoint_take(s, cfg, 1796478779, CHECKPOINT_COMMAND, &line, &error));
    g_assert_no_error(error);
    g_assert_nonnull(line);
    g_assert_true(g_str_has_prefix(line, "5 "));
    g_assert_true(strstr(line, " 2026-12-05T13:52:59Z "));
    GStatBuf st;
    g_assert_cmpint(g_stat(path, &st), ==, 0);
    g_assert_cmpint(st.st_mode & 0777, ==, 0600);
    add_event(s);
    g_autofree char *line2 = NULL;
    g_assert_true(checkpoint_take(s, cfg, 1796478780, CHECKPOINT_COMMAND, &line2, &error));
    g_assert_true(g_str_has_prefix(line2, "6 "));
    g_assert_cmpuint(count_lines(path), ==, 2);

    g_auto(CheckpointVerify) v = {0};
    g_assert_true(checkpoint_verify(s, path, pub_file, &v, &error));
    g_assert_no_error(error);
    g_assert_null(v.failure);
    g_assert_null(v.warning);
    g_assert_cmpuint(v.verified, ==, 2);
    g_assert_cmpint(v.last_event_id, ==, 6);
    g_assert_cmpint(v.log_last_id, ==, 6);

    /* the same file is no proof under another key */
    g_autofree char *other_pub = NULL;
    g_autofree char *other = make_key("other.key", GNUTLS_PK_EDDSA_ED25519, 256, &other_pub);
    g_auto(CheckpointVerify) w = {0};
    g_assert_true(checkpoint_verify(s, path, other_pub, &w, &error));
    g_assert_nonnull(w.failure);
    g_assert_true(w.failure && g_str_has_prefix(w.failure, "line 1 (event 5): the signature"));

    /* a private key is no public key; a missing key file is an error to run */
    g_auto(CheckpointVerify) x = {0};
    g_assert_false(checkpoint_verify(s, path, "/nonexistent/pub.pem", &x, &error));
    g_assert_error(error, CPR_ERROR, CPR_ERROR_CONFIG);
    g_clear_error(&error);
    store_free(&s);
    config_free(&cfg);
}

static void test_periodic_skips_a_still_chain(void)
{
    Store *s = store_with_events("periodic.db", 3);
    Config *cfg = config_with(key_file, "periodic.cp");
    g_autofree char *path = checkpoint_file_path(cfg, s);
    g_assert_true(g_str_has_suffix(path, "periodic.cp"));
    char *line = NULL;
    GError *error = NULL;
    g_assert_true(checkpoint_take(s, cfg, 1796478100, CHECKPOINT_PERIODIC, &line, &error));
    g_assert_nonnull(line);
    g_clear_pointer(&line, g_free);
    g_assert_true(checkpoint_take(s, cfg, 1796478200, CHECKPOINT_PERIODIC, &line, &error));
    g_assert_null(line);
    g_assert_cmpuint(count_lines(path), ==, 1);
    g_assert_true(checkpoint_take(s, cfg, 1796478300, CHECKPOINT_SHUTDOWN, &line, &error));
    g_assert_nonnull(line); /* shutdown always anchors */
    g_clear_pointer(&line, g_free);
    add_event(s);
    g_assert_true(checkpoint_take(s, cfg, 1796478400, CHECKPOINT_PERIODIC, &line, &error));
    g_assert_true(line && g_str_has_prefix(line, "4 "));
    g_clear_pointer(&line, g_free);
    g_assert_no_error(error);
    g_assert_cmpuint(count_lines(path), ==, 3);

    /* the daemon's schedule: at once without a checkpoint of its own age,
     * then not before checkpoint_seconds */
    gint64 next = 0;
    add_event(s);
    checkpoint_daemon_tick(s, cfg, 1796478400 + 10, &next);
    g_assert_cmpint(next, ==, 1796478400 + 3600);
    g_assert_cmpuint(count_lines(path), ==, 3);
    checkpoint_daemon_tick(s, cfg, 1796478400 + 3600, &next);
    g_assert_cmpuint(count_lines(path), ==, 4);
    g_assert_cmpint(next, ==, 1796478400 + 7200);
    store_free(&s);
    config_free(&cfg);
}

static void test_empty_log(void)
{
    Store *s = store_with_events("empty.db", 0);
    Config *cfg = config_with(key_file, NULL);
    g_autofree char *line = NULL;
    GError *error = NULL;
    g_assert_true(checkpoint_take(s, cfg, 1796478779, CHECKPOINT_COMMAND, &line, &error));
    g_assert_no_error(error);
    g_assert_true(g_str_has_prefix(line, "0 " STORE_GENESIS_HASH " "));
    g_autofree char *path = checkpoint_file_path(cfg, s);
    g_auto(CheckpointVerify) v = {0};
    g_assert_true(checkpoint_verify(s, path, pub_file, &v, &error));
    g_assert_null(v.failure);
    g_assert_cmpuint(v.verified, ==, 1);
    store_free(&s);
    config_free(&cfg);
}

static void test_torn_last_line(void)
{
    Store *s = store_with_events("torn.db", 2);
    Config *cfg = config_with(key_file, NULL);
    g_autofree char *path = checkpoint_file_path(cfg, s);
    g_autofree char *line = NULL;
    GError *error = NULL;
    g_assert_true(checkpoint_take(s, cfg, 1796478779, CHECKPOINT_COMMAND, &line, &error));
    /* a crash mid-write leaves part of a line and no newline */
    FILE *f = fopen(path, "a");
    g_assert_nonnull(f);
    fputs("2 0123456789abcdef", f);
    fclose(f);
    g_auto(CheckpointVerify) v = {0};
    g_assert_true(checkpoint_verify(s, path, pub_file, &v, &error));
    g_assert_null(v.failure);
    g_assert_cmpuint(v.verified, ==, 1);
    g_assert_true(v.warning && strstr(v.warning, "line 2: an incomplete last line"));

    g_test_expect_message("audit", G_LOG_LEVEL_WARNING, "event=audit_checkpoint_torn*");
    add_event(s);
    g_autofree char *line2 = NULL;
    g_assert_true(checkpoint_take(s, cfg, 1796478780, CHECKPOINT_COMMAND, &line2, &error));
    g_test_assert_expected_messages();
    g_assert_no_error(error);
    g_assert_cmpuint(count_lines(path), ==, 2);
    g_auto(CheckpointVerify) w = {0};
    g_assert_true(checkpoint_verify(s, path, pub_file, &w, &error));
    g_assert_null(w.failure);
    g_assert_null(w.warning);
    g_assert_cmpuint(w.verified, ==, 2);

    /* a whole line that is no checkpoint stops the writer: someone must look */
    f = fopen(path, "a");
    fputs("not a checkpoint\n", f);
    fclose(f);
    g_autofree char *line3 = NULL;
    g_assert_false(checkpoint_take(s, cfg, 1796478781, CHECKPOINT_COMMAND, &line3, &error));
    g_assert_error(error, CPR_ERROR, CPR_ERROR_CONFIG);
    g_assert_true(error && strstr(error->message, "its last line is not a checkpoint"));
    g_clear_error(&error);
    g_assert_null(line3);
    store_free(&s);
    config_free(&cfg);
}

static void test_refuses_a_cut_chain(void)
{
    Store *s = store_with_events("cut.db", 4);
    Config *cfg = config_with(key_file, NULL);
    g_autofree char *line = NULL;
    GError *error = NULL;
    g_assert_true(checkpoint_take(s, cfg, 1796478779, CHECKPOINT_COMMAND, &line, &error));
    /* the tail cut and the head fixed, around the triggers */
    char *msg = NULL;
    int rc = sqlite3_exec(store_db(s),
                          "DROP TRIGGER events_no_delete; DELETE FROM events WHERE id = 4;"
                          "UPDATE health SET value = '3:' || (SELECT hash FROM events WHERE id = 3)"
                          " WHERE key = 'audit.head';", NULL, NULL, &msg);
    g_assert_cmpint(rc, ==, SQLITE_OK);
    sqlite3_free(msg);
    g_autofree char *line2 = NULL;
    g_assert_false(checkpoint_take(s, cfg, 1796478780, CHECKPOINT_COMMAND, &line2, &error));
    g_assert_error(error, CHECKPOINT_ERROR, CHECKPOINT_ERROR_REFUSED);
    g_assert_true(error && strstr(error->message, "anchors event 4 but the log ends at event 3"));
    g_clear_error(&error);
    g_assert_null(line2);
    g_autofree char *path = checkpoint_file_path(cfg, s);
    g_assert_cmpuint(count_lines(path), ==, 1);
    g_auto(CheckpointVerify) v = {0};
    g_assert_true(checkpoint_verify(s, path, pub_file, &v, &error));
    g_assert_cmpstr(v.failure, ==, "line 1 (event 4): the checkpoint anchors event 4 but the log "
                                   "ends at event 3: events were deleted or cut off the end");
    store_free(&s);
    config_free(&cfg);
}

static void test_keys(void)
{
    Store *s = store_with_events("keys.db", 1);
    GError *error = NULL;
    static const struct {
        const char *key; /* NULL: not configured */
        int mode;
        const char *why;
    } cases[] = {
        {NULL, 0600, "signing_key_file is not set"},
        {"ecdsa", 0600, "expected an Ed25519 key"},
        {"ed25519", 0644, "accessible by group or others"},
        {"garbage", 0600, "not a PEM private key"},
        {"missing", 0600, "cannot read secret file"},
    };
    g_autofree char *garbage = tmp_path("garbage.key");
    write_file(garbage, "hello\n", 6, 0600);
    g_autofree char *missing = tmp_path("missing.key");
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        const char *key = !cases[i].key ? NULL
                          : !strcmp(cases[i].key, "ecdsa") ? ecdsa_key_file
                          : !strcmp(cases[i].key, "garbage") ? garbage
                          : !strcmp(cases[i].key, "missing") ? missing : key_file;
        if (key && strcmp(key, missing))
            g_assert_cmpint(g_chmod(key, cases[i].mode), ==, 0);
        Config *cfg = config_with(key, "keys.cp");
        g_autofree char *line = NULL;
        gboolean ok = checkpoint_take(s, cfg, 1796478779, CHECKPOINT_COMMAND, &line, &error);
        if (ok || !error || !strstr(error->message, cases[i].why))
            g_test_message("case %zu: %s", i, error ? error->message : "(no error)");
        g_assert_false(ok);
        g_assert_error(error, CPR_ERROR, CPR_ERROR_CONFIG);
        g_assert_true(error && strstr(error->message, cases[i].why));
        g_clear_error(&error);
        g_assert_false(checkpoint_key_check(cfg, NULL));
        g_assert_null(line);
        if (key && strcmp(key, missing))
            g_assert_cmpint(g_chmod(key, 0600), ==, 0);
        config_free(&cfg);
    }
    g_autofree char *cp = tmp_path("keys.cp");
    g_assert_false(g_file_test(cp, G_FILE_TEST_EXISTS) && count_lines(cp) > 0);
    store_free(&s);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_set_nonfatal_assertions();
    tmpdir = g_dir_make_tmp("cpr-checkpoint-XXXXXX", NULL);
    key_file = make_key("audit.key", GNUTLS_PK_EDDSA_ED25519, 256, &pub_file);
    ecdsa_key_file = make_key("ecdsa.key", GNUTLS_PK_ECDSA,
                              GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), NULL);
    g_test_add_func("/checkpoint/parse", test_parse);
    g_test_add_func("/checkpoint/round-trip", test_round_trip);
    g_test_add_func("/checkpoint/periodic", test_periodic_skips_a_still_chain);
    g_test_add_func("/checkpoint/empty-log", test_empty_log);
    g_test_add_func("/checkpoint/torn-last-line", test_torn_last_line);
    g_test_add_func("/checkpoint/refuses-a-cut-chain", test_refuses_a_cut_chain);
    g_test_add_func("/checkpoint/keys", test_keys);
    int rc = g_test_run();
    g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", tmpdir);
    (void)!system(cmd);
    g_free(tmpdir);
    g_free(key_file);
    g_free(pub_file);
    g_free(ecdsa_key_file);
    return rc;
}
