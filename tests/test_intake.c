/* test_intake.c - the pipeline end to end, in process: every sample against
 * manifest.json, threading, certificate joins, duplicates, clocks, hostile
 * input that must be stored and quarantined, never lost. */
#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdlib.h>
#include <string.h>

#include <gmime/gmime.h>

#include "audit.h"
#include "cases.h"
#include "clocks.h"
#include "config.h"
#include "intake.h"
#include "intake_ahead.h"
#include "testutil.h"
#include "timefmt.h"

#define NOW 1790000000 /* 2026-09-21, after every sample */

static char *tmpdir;
static Config *cfg;

typedef struct {
    Store *store;
    Intake *intake;
} Fixture;

static void fixture_open(Fixture *f, const char *name)
{
    f->store = tu_store_open(tmpdir, name);
    f->intake = intake_new(f->store, cfg, NULL);
}

static void fixture_close(Fixture *f)
{
    intake_free(&f->intake);
    store_free(&f->store);
}

static IntakeResult *ingest_bytes(Fixture *f, const void *data, gsize len, const char *source)
{
    IntakeOrigin o = {.source = source, .now = NOW};
    IntakeResult *r = NULL;
    GError *error = NULL;
    g_assert_true(intake_message(f->intake, data, len, &o, &r, &error));
    g_assert_no_error(error);
    return r;
}

static IntakeResult *ingest_file(Fixture *f, const char *file)
{
    g_autofree char *rel = g_build_filename("samples", file, NULL);
    return tu_ingest_fixture(f->intake, rel, NOW);
}

static gboolean same_set(JsonArray *expected, GPtrArray *got, gboolean subset_ok)
{
    guint n = json_array_get_length(expected);
    for (guint i = 0; i < n; i++) {
        const char *want = json_array_get_string_element(expected, i);
        gboolean found = FALSE;
        for (guint j = 0; j < got->len; j++)
            found = found || !strcmp(want, g_ptr_array_index(got, j));
        if (!found) {
            g_test_message("missing %s", want);
            return FALSE;
        }
    }
    if (!subset_ok && got->len != n) {
        for (guint j = 0; j < got->len; j++)
            g_test_message("got %s", (const char *)g_ptr_array_index(got, j));
        return FALSE;
    }
    return TRUE;
}

static gint64 count(Store *s, const char *sql)
{
    sqlite3_stmt *st = store_prepare(s, sql, NULL);
    g_assert_nonnull(st);
    g_assert_cmpint(sqlite3_step(st), ==, SQLITE_ROW);
    gint64 n = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return n;
}

static void test_samples_manifest(void)
{
    Fixture f;
    fixture_open(&f, "samples.db");
    g_autoptr(JsonParser) p = json_parser_new();
    JsonArray *manifest = tu_load_manifest("samples/manifest.json", p);
    g_assert_nonnull(manifest);
    g_autoptr(GHashTable) case_of = g_hash_table_new(g_str_hash, g_str_equal);
    for (guint i = 0; i < json_array_get_length(manifest); i++) {
        JsonObject *m = json_array_get_object_element(manifest, i);
        const char *file = json_object_get_string_member(m, "file");
        g_test_message("sample %s", file);
        IntakeResult *r = ingest_file(&f, file);
        g_assert_cmpstr(classify_kind_name(r->kind), ==, json_object_get_string_member(m, "kind"));
        const char *list = json_object_get_null_member(m, "list")
                               ? NULL : json_object_get_string_member(m, "list");
        g_assert_cmpstr(r->list, ==, list);
        const char *problem = json_object_get_null_member(m, "problem")
                                  ? NULL : json_object_get_string_member(m, "problem");
        g_assert_cmpstr(classify_problem_name(r->problem), ==, problem);
        g_assert_cmpint(r->case_id != 0, ==, json_object_get_boolean_member(m, "opens_case"));
        g_assert_true(same_set(json_object_get_array_member(m, "serials"), r->serials, FALSE));
        g_assert_true(same_set(json_object_get_array_member(m, "sha256"), r->sha256, FALSE));
        g_assert_true(same_set(json_object_get_array_member(m, "crtsh_ids"), r->crtsh_ids, FALSE));
        /* domains of the certificates concerned: every labelled one must be
         * found; a certificate's other SANs may come with it */
        g_assert_true(same_set(json_object_get_array_member(m, "domains"), r->domains, TRUE));
        g_assert_false(r->duplicate);
        g_assert_cmpuint(r->problems->len, ==, 0);
        if (!json_object_get_null_member(m, "reply_to")) {
            const char *parent = json_object_get_string_member(m, "reply_to");
            g_assert_cmpint(GPOINTER_TO_INT(g_hash_table_lookup(case_of, parent)), ==, r->case_id);
            g_assert_false(r->new_case);
        } else if (r->case_id) {
            g_assert_true(r->new_case);
        }
        g_hash_table_insert(case_of, (gpointer)file, GINT_TO_POINTER((int)r->case_id));
        intake_result_free(&r);
    }
    g_assert_cmpint(count(f.store, "SELECT count(*) FROM messages"), ==, 12);
    /* 001+002 share one case; 008, 010, 011 open none */
    g_assert_cmpint(count(f.store, "SELECT count(*) FROM cases"), ==, 8);
    g_assert_true(audit_verify(f.store, NULL, NULL));
    fixture_close(&f);
}

/* Issue 16: the samples parsed ahead on the pool and stored in push order
 * give, line for line, what intake_message() gives one at a time; an
 * IntakeAhead freed with parses still queued lets them go (ASan: no leak). */
static void test_parse_ahead(void)
{
    Fixture one, ahead;
    fixture_open(&one, "one-by-one.db");
    fixture_open(&ahead, "ahead.db");
    g_autoptr(JsonParser) p = json_parser_new();
    JsonArray *manifest = tu_load_manifest("samples/manifest.json", p);
    g_assert_nonnull(manifest);
    guint n = json_array_get_length(manifest);
    g_autoptr(GPtrArray) raws = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
    g_autoptr(GPtrArray) want = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < n; i++) {
        const char *file =
            json_object_get_string_member(json_array_get_object_element(manifest, i), "file");
        g_autofree char *rel = g_build_filename("samples", file, NULL);
        GBytes *raw = tu_read_fixture(rel);
        g_ptr_array_add(raws, raw);
        gsize len = 0;
        const guint8 *data = g_bytes_get_data(raw, &len);
        IntakeResult *r = ingest_bytes(&one, data, len, file);
        g_ptr_array_add(want, intake_result_to_json(r));
        intake_result_free(&r);
    }
    IntakeAhead *a = intake_ahead_new(ahead.intake);
    g_assert_nonnull(a);
    for (guint i = 0; i < n; i++) {
        gsize len = 0;
        const guint8 *data = g_bytes_get_data(g_ptr_array_index(raws, i), &len);
        intake_ahead_push(a, data, len, GUINT_TO_POINTER(i + 1));
    }
    g_assert_cmpuint(intake_ahead_length(a), ==, n);
    for (guint i = 0; i < n; i++) {
        gpointer tag = NULL;
        const guint8 *data = NULL;
        gsize len = 0;
        g_autoptr(IntakeParsed) parsed = intake_ahead_pop(a, &tag, &data, &len);
        g_assert_nonnull(parsed);
        g_assert_cmpuint(GPOINTER_TO_UINT(tag), ==, i + 1);
        const char *file =
            json_object_get_string_member(json_array_get_object_element(manifest, i), "file");
        IntakeOrigin o = {.source = file, .now = NOW};
        IntakeResult *r = NULL;
        GError *error = NULL;
        g_assert_true(intake_store_parsed(ahead.intake, parsed, data, len, &o, &r, &error));
        g_assert_no_error(error);
        g_autofree char *line = intake_result_to_json(r);
        g_assert_cmpstr(line, ==, g_ptr_array_index(want, i));
        intake_result_free(&r);
    }
    g_assert_cmpuint(intake_ahead_length(a), ==, 0);
    g_assert_null(intake_ahead_pop(a, NULL, NULL, NULL));
    for (guint i = 0; i < n; i++) {
        gsize len = 0;
        const guint8 *data = g_bytes_get_data(g_ptr_array_index(raws, i), &len);
        intake_ahead_push(a, data, len, NULL);
    }
    intake_ahead_free(&a);
    g_assert_null(a);
    fixture_close(&one);
    fixture_close(&ahead);
}

static void test_aware_and_clocks(void)
{
    Fixture f;
    fixture_open(&f, "clocks.db");
    IntakeResult *r = ingest_file(&f, "001-kc-csr-proof.eml");
    g_autofree char *aware = timefmt_rfc3339(r->aware_at);
    g_assert_cmpstr(aware, ==, "2025-05-12T13:03:18Z"); /* topmost Received, +0100 */
    g_assert_cmpstr(r->aware_source, ==, "received");
    g_assert_cmpstr(r->case_reference, ==, "CPR-2025-0001");
    gint64 case_id = r->case_id, at = r->aware_at;
    intake_result_free(&r);

    /* a key compromise is a CPR, not an incident: the BR 4.9.5 reports to
     * reporter and Subscriber and a 24-hour revocation, no incident clock */
    struct { const char *clock; gint64 due; } want[] = {
        {"cpr_preliminary_report", at + 24 * 3600},
        {"subscriber_preliminary_report", at + 24 * 3600},
        {"revocation", at + 24 * 3600}, /* BR 4.9.1.1 #3 */
        {"incident_disclosure", -1},    /* absent */
        {"full_report", -1},
        {"bug_update", -1},
        {"question_response", -1},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(want); i++) {
        sqlite3_stmt *st = store_prepare(
            f.store, "SELECT coalesce(due_at, 0) FROM clocks WHERE case_id = ? AND clock = ?", NULL);
        sqlite3_bind_int64(st, 1, case_id);
        sqlite3_bind_text(st, 2, want[i].clock, -1, SQLITE_STATIC);
        if (want[i].due < 0) {
            g_assert_cmpint(sqlite3_step(st), ==, SQLITE_DONE);
        } else {
            g_assert_cmpint(sqlite3_step(st), ==, SQLITE_ROW);
            g_assert_cmpint(sqlite3_column_int64(st, 0), ==, want[i].due);
        }
        sqlite3_reset(st);
    }

    /* "never requested" and "CAA forbids": BR 4.9.1.1 #2 and #5 both give
     * 24 h (the shortest window wins, then the lowest row); a CAA violation
     * is a failure of the CA, so the incident clocks run provisionally */
    r = ingest_file(&f, "003-misissuance-pem-attachment.eml");
    g_assert_cmpstr(r->case_reference, ==, "CPR-2025-0002");
    gint64 mis_case = r->case_id, mis_at = r->aware_at;
    sqlite3_stmt *st = store_prepare(
        f.store, "SELECT due_at FROM clocks WHERE case_id = ? AND clock = 'revocation'", NULL);
    sqlite3_bind_int64(st, 1, r->case_id);
    g_assert_cmpint(sqlite3_step(st), ==, SQLITE_ROW);
    g_assert_cmpint(sqlite3_column_int64(st, 0), ==, r->aware_at + 24 * 3600);
    sqlite3_reset(st);
    g_assert_cmpint(r->reason, ==, 2);
    intake_result_free(&r);

    /* disclosure meets incident_disclosure; the Full Incident Report stays
     * due 14 days after awareness, whatever the filing date */
    GError *error = NULL;
    g_autoptr(GPtrArray) met = NULL;
    g_assert_true(store_begin(f.store, &error));
    g_assert_true(store_event_append(f.store, mis_at + 3 * 86400, "test", mis_case, "disclosed",
                                     NULL, &error));
    g_assert_true(clocks_refresh(f.store, mis_case, &met, &error));
    g_assert_true(store_commit(f.store, &error));
    g_assert_cmpuint(met->len, ==, 1);
    g_assert_cmpstr(g_ptr_array_index(met, 0), ==, "incident_disclosure");
    st = store_prepare(f.store,
                       "SELECT due_at FROM clocks WHERE case_id = ? AND clock = 'full_report'", NULL);
    sqlite3_bind_int64(st, 1, mis_case);
    g_assert_cmpint(sqlite3_step(st), ==, SQLITE_ROW);
    g_assert_cmpint(sqlite3_column_int64(st, 0), ==, mis_at + 14 * 86400);
    sqlite3_reset(st);

    /* no Received: the Date header, with its source */
    r = ingest_file(&f, "009-bugzilla-acme-comment.eml");
    g_autofree char *aware9 = timefmt_rfc3339(r->aware_at);
    g_assert_cmpstr(aware9, ==, "2025-06-05T08:00:02Z");
    g_assert_cmpstr(r->aware_source, ==, "date");
    intake_result_free(&r);

    /* IMAP: INTERNALDATE beats every header */
    g_autoptr(GBytes) raw = tu_read_fixture("samples/012-misissuance-backdated-cc.eml");
    g_assert_nonnull(raw);
    gsize len = 0;
    const guint8 *data = g_bytes_get_data(raw, &len);
    IntakeOrigin o = {.source = "INBOX/7", .has_server_time = TRUE, .server_time = 1749425000,
                      .folder = "INBOX", .uidvalidity = 99, .uid = 7, .now = NOW};
    g_assert_true(intake_message(f.intake, data, len, &o, &r, &error));
    g_assert_cmpint(r->aware_at, ==, 1749425000);
    g_assert_cmpstr(r->aware_source, ==, "imap_internaldate");
    intake_result_free(&r);
    guint32 v = 0, last = 0;
    g_assert_true(store_folder_get(f.store, "INBOX", &v, &last, &error));
    g_assert_cmpuint(last, ==, 7); /* committed with the message */
    fixture_close(&f);
}

static const char *LATE_REPORT =
    "Received: from mx by imap1.acmetrust.test; Sun, 11 May 2025 09:00:00 +0000\n"
    "From: Second Reporter <second@elsewhere.example>\n"
    "To: problems@acmetrust.test\n"
    "Message-ID: <second-report@elsewhere.example>\n"
    "Subject: compromised key\n"
    "Date: Sun, 11 May 2025 08:59:00 +0000\n"
    "\n"
    "The private key of serial 68:51:92:F1:31:28:05:55:40:4E:8D:8F:ED:60:66:DC:F3:A8 is public.\n";

static void test_same_certificate_joins(void)
{
    Fixture f;
    fixture_open(&f, "join.db");
    IntakeResult *first = ingest_file(&f, "001-kc-csr-proof.eml");
    /* another reporter, no threading, same certificate, received a day earlier
     * (ingested late): joins, and the clock moves back to the first report */
    IntakeResult *r = ingest_bytes(&f, LATE_REPORT, strlen(LATE_REPORT), "late.eml");
    g_assert_cmpint(r->case_id, ==, first->case_id);
    g_assert_false(r->new_case);
    GError *error = NULL;
    g_autoptr(CaseRow) c = cases_load_id(f.store, first->case_id, &error);
    g_autofree char *aware = timefmt_rfc3339(c->aware_at);
    g_assert_cmpstr(aware, ==, "2025-05-11T09:00:00Z");
    sqlite3_stmt *st = store_prepare(
        f.store, "SELECT due_at FROM clocks WHERE case_id = ? AND clock = 'cpr_preliminary_report'",
        NULL);
    sqlite3_bind_int64(st, 1, first->case_id);
    g_assert_cmpint(sqlite3_step(st), ==, SQLITE_ROW);
    g_assert_cmpint(sqlite3_column_int64(st, 0), ==, c->aware_at + 86400);
    sqlite3_reset(st);
    g_assert_cmpint(count(f.store, "SELECT count(*) FROM cases"), ==, 1);
    intake_result_free(&r);

    /* a case tag in the subject joins too, whatever the kind */
    g_autofree char *tagged = g_strdup_printf(
        "From: x@y.example\nTo: problems@acmetrust.test\nMessage-ID: <tag@y.example>\n"
        "Subject: Automatic reply: [%s] received\nAuto-Submitted: auto-replied\n\nAway.\n",
        first->case_reference);
    r = ingest_bytes(&f, tagged, strlen(tagged), "tag.eml");
    g_assert_cmpint(r->kind, ==, KIND_AUTO_REPLY);
    g_assert_cmpint(r->case_id, ==, first->case_id);
    intake_result_free(&r);
    intake_result_free(&first);
    fixture_close(&f);
}

static void test_duplicates(void)
{
    Fixture f;
    fixture_open(&f, "dups.db");
    IntakeResult *a = ingest_file(&f, "003-misissuance-pem-attachment.eml");
    IntakeResult *b = ingest_file(&f, "003-misissuance-pem-attachment.eml");
    g_assert_true(b->duplicate);
    g_assert_false(b->new_case);
    g_assert_cmpint(b->case_id, ==, a->case_id);
    g_assert_cmpint(b->message_row, ==, a->message_row);
    intake_result_free(&a);
    intake_result_free(&b);
    /* without a Message-ID, the same bytes are the same message */
    const char *bare = "From: a@b.example\nTo: problems@acmetrust.test\nSubject: hi\n\nserial 0x1234567890abcdef\n";
    a = ingest_bytes(&f, bare, strlen(bare), "bare1");
    b = ingest_bytes(&f, bare, strlen(bare), "bare2");
    g_assert_false(a->duplicate);
    g_assert_true(b->duplicate);
    intake_result_free(&a);
    intake_result_free(&b);
    g_assert_cmpint(count(f.store, "SELECT count(*) FROM messages"), ==, 2);
    g_assert_cmpint(count(f.store, "SELECT count(*) FROM message_sources"), ==, 4);
    fixture_close(&f);
}

/* Hostile input: stored byte for byte, quarantined with a problem, the call
 * succeeds, and nothing crashes. */
static void expect_quarantined(Fixture *f, const guint8 *data, gsize len, const char *what)
{
    g_test_message("hostile: %s (%zu bytes)", what, len);
    IntakeResult *r = ingest_bytes(f, data, len, what);
    g_assert_cmpuint(r->problems->len, >, 0);
    sqlite3_stmt *st = store_prepare(f->store,
                                     "SELECT length(" STORE_RAW_OF("messages.id") "), quarantined, parse_problems FROM messages "
                                     "WHERE id = ?", NULL);
    sqlite3_bind_int64(st, 1, r->message_row);
    g_assert_cmpint(sqlite3_step(st), ==, SQLITE_ROW);
    g_assert_cmpint(sqlite3_column_int64(st, 0), ==, (gint64)len);
    g_assert_cmpint(sqlite3_column_int(st, 1), ==, 1);
    g_assert_nonnull(sqlite3_column_text(st, 2));
    sqlite3_reset(st);
    intake_result_free(&r);
}

static void test_hostile(void)
{
    Fixture f;
    fixture_open(&f, "hostile.db");
    expect_quarantined(&f, (const guint8 *)"", 0, "empty");

    guint8 random_bytes[4096];
    GRand *rand = g_rand_new_with_seed(42);
    for (gsize i = 0; i < sizeof random_bytes; i++)
        random_bytes[i] = (guint8)g_rand_int_range(rand, 0, 256);
    g_rand_free(rand);
    expect_quarantined(&f, random_bytes, sizeof random_bytes, "random");

    GString *s = g_string_new("From: a@b.example\nSubject: long\nX-Long: ");
    for (int i = 0; i < 1024 * 1024; i++)
        g_string_append_c(s, 'a' + i % 26);
    g_string_append(s, "\n\nbody\n");
    expect_quarantined(&f, (guint8 *)s->str, s->len, "1 MB header line");
    g_string_free(s, TRUE);

    s = g_string_new("From: a@b.example\nMessage-ID: <deep@b.example>\nSubject: deep\nMIME-Version: 1.0\n");
    for (int i = 0; i < 1000; i++)
        g_string_append_printf(s, "Content-Type: multipart/mixed; boundary=\"b%d\"\n\n--b%d\n", i, i);
    g_string_append(s, "Content-Type: text/plain\n\ndeep\n");
    for (int i = 999; i >= 0; i--)
        g_string_append_printf(s, "--b%d--\n", i);
    expect_quarantined(&f, (guint8 *)s->str, s->len, "1000 multiparts deep");
    g_string_free(s, TRUE);

    const char *bad_charset = "From: a@b.example\nMessage-ID: <cs@b.example>\nSubject: cs\n"
                              "MIME-Version: 1.0\nContent-Type: text/plain; charset=\"x-no-such\"\n\n"
                              "caf\xe9 \xff\xfe\n";
    expect_quarantined(&f, (const guint8 *)bad_charset, strlen(bad_charset), "invalid charset");

    const char *broken = "From: a@b.example\nMessage-ID: <bb@b.example>\nSubject: bb\nMIME-Version: 1.0\n"
                         "Content-Type: multipart/mixed; boundary=\"never\"\n\n--never\n"
                         "Content-Type: text/plain\n\nno closing boundary\n";
    expect_quarantined(&f, (const guint8 *)broken, strlen(broken), "broken boundary");

    /* 30 MB: stored whole, parsed within the bounds */
    gsize big_len = 30u * 1024 * 1024;
    GString *big = g_string_sized_new(big_len + 200);
    g_string_append(big, "From: a@b.example\nMessage-ID: <big@b.example>\nSubject: big\n"
                         "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"x\"\n\n--x\n"
                         "Content-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n");
    while (big->len < big_len)
        g_string_append(big, "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2\n");
    g_string_append(big, "--x--\n");
    IntakeResult *r = ingest_bytes(&f, big->str, big->len, "30 MB");
    g_assert_cmpint(count(f.store, "SELECT max(length(raw)) FROM message_raw"), ==, (gint64)big->len);
    intake_result_free(&r);
    g_string_free(big, TRUE);

    g_assert_cmpint(count(f.store, "SELECT count(*) FROM messages"), ==, 7);
    g_assert_true(audit_verify(f.store, NULL, NULL));
    fixture_close(&f);
}

static void test_json_line(void)
{
    Fixture f;
    fixture_open(&f, "json.db");
    IntakeResult *r = ingest_file(&f, "007-mdsp-acme-weak-rsa.eml");
    g_autofree char *line = intake_result_to_json(r);
    g_assert_null(strchr(line, '\n'));
    g_autoptr(JsonParser) p = json_parser_new();
    g_assert_true(json_parser_load_from_data(p, line, -1, NULL));
    JsonObject *o = json_node_get_object(json_parser_get_root(p));
    g_assert_cmpstr(json_object_get_string_member(o, "kind"), ==, "list_post");
    g_assert_cmpstr(json_object_get_string_member(o, "list"), ==, "mdsp");
    g_assert_cmpstr(json_object_get_string_member(o, "aware_at"), ==, "2025-06-02T10:03:00Z");
    g_assert_true(json_object_get_boolean_member(o, "new_case"));
    g_assert_false(json_object_get_boolean_member(o, "duplicate"));
    g_assert_cmpstr(json_object_get_string_member(o, "message_id"), ==,
                    "CAmdS4cPC3IpmX6OknX7ajpdqEkBECmM3gpVizzAt0@mail.gmail.com");
    const char *members[] = {"case_id", "problem", "serials", "sha256", "crtsh_ids", "domains", "source"};
    for (gsize i = 0; i < G_N_ELEMENTS(members); i++)
        g_assert_true(json_object_has_member(o, members[i]));
    intake_result_free(&r);
    fixture_close(&f);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_set_nonfatal_assertions();
    g_mime_init();
    tmpdir = tu_tmpdir_new("cpr-intake");
    cfg = tu_load_config("conf/samples.conf");
    g_test_add_func("/intake/samples-manifest", test_samples_manifest);
    g_test_add_func("/intake/parse-ahead", test_parse_ahead);
    g_test_add_func("/intake/aware-and-clocks", test_aware_and_clocks);
    g_test_add_func("/intake/same-certificate-joins", test_same_certificate_joins);
    g_test_add_func("/intake/duplicates", test_duplicates);
    g_test_add_func("/intake/hostile", test_hostile);
    g_test_add_func("/intake/json-line", test_json_line);
    int rc = g_test_run();
    config_free(&cfg);
    tu_tmpdir_remove(tmpdir);
    g_mime_shutdown();
    return rc;
}
