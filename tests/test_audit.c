/* test_audit.c - the store's hash-chained event log: verify passes untouched
 * and fails, naming the row, after each kind of tampering. Also folder state
 * and the store's read loop. */
#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <stdlib.h>

#include "audit.h"
#include "cpr_error.h"
#include "store.h"
#include "testutil.h"

static char *tmpdir;

static Store *fresh_store(const char *name, int events)
{
    g_autofree char *path = g_build_filename(tmpdir, name, NULL);
    GError *error = NULL;
    Store *s = store_open(path, &error);
    g_assert_no_error(error);
    for (int i = 1; i <= events; i++) {
        g_autofree char *details = g_strdup_printf("{\"n\":%d}", i);
        g_assert_true(store_begin(s, &error));
        g_assert_true(store_event_append(s, 1700000000 + i, "test", i % 3, "note", details, &error));
        g_assert_true(store_commit(s, &error));
        g_assert_no_error(error);
    }
    return s;
}

/* Tampering goes around the triggers, as a person with the file would. */
static void tamper(Store *s, const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(store_db(s),
                          "DROP TRIGGER IF EXISTS events_no_update;"
                          "DROP TRIGGER IF EXISTS events_no_delete;", NULL, NULL, &msg);
    g_assert_cmpint(rc, ==, SQLITE_OK);
    rc = sqlite3_exec(store_db(s), sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK)
        g_test_message("%s", msg);
    g_assert_cmpint(rc, ==, SQLITE_OK);
    sqlite3_free(msg);
}

static void expect_broken(Store *s, const char *needle)
{
    GError *error = NULL;
    g_assert_false(audit_verify(s, NULL, &error));
    g_assert_error(error, CPR_ERROR, CPR_ERROR_STORE);
    if (error && !g_strstr_len(error->message, -1, needle))
        g_test_message("got: %s", error->message);
    g_assert_true(error && g_strstr_len(error->message, -1, needle));
    g_clear_error(&error);
}

static void test_untouched(void)
{
    Store *s = fresh_store("untouched.db", 10);
    GError *error = NULL;
    gint64 rows = 0;
    g_assert_true(audit_verify(s, &rows, &error));
    g_assert_no_error(error);
    g_assert_cmpint(rows, ==, 10);
    store_free(&s);
    g_assert_null(s);
}

static void test_empty(void)
{
    Store *s = fresh_store("empty.db", 0);
    gint64 rows = -1;
    g_assert_true(audit_verify(s, &rows, NULL));
    g_assert_cmpint(rows, ==, 0);
    store_free(&s);
}

static void test_edited(void)
{
    Store *s = fresh_store("edited.db", 10);
    tamper(s, "UPDATE events SET details = '{\"n\":99}' WHERE id = 4");
    expect_broken(s, "event row 4 was modified");
    store_free(&s);
}

static void test_edited_time(void)
{
    Store *s = fresh_store("edited-time.db", 5);
    tamper(s, "UPDATE events SET at = at - 3600 WHERE id = 2");
    expect_broken(s, "event row 2 was modified");
    store_free(&s);
}

static void test_deleted(void)
{
    Store *s = fresh_store("deleted.db", 10);
    tamper(s, "DELETE FROM events WHERE id = 6");
    expect_broken(s, "event row 7 follows row 5");
    store_free(&s);
}

static void test_deleted_tail(void)
{
    Store *s = fresh_store("tail.db", 10);
    tamper(s, "DELETE FROM events WHERE id >= 9");
    expect_broken(s, "rows deleted at the end");
    store_free(&s);
}

static void test_inserted(void)
{
    Store *s = fresh_store("inserted.db", 10);
    /* Make room at 5 by renumbering, then insert a forged row with a plausible
     * hash of its own: the next row no longer chains to it. */
    tamper(s, "UPDATE events SET id = id + 100 WHERE id >= 5;"
              "UPDATE events SET id = id - 99 WHERE id >= 105;"
              "INSERT INTO events (id, at, actor, case_id, type, details, prev_hash, hash) "
              "SELECT 5, 1700000004, 'forger', NULL, 'note', '{}', hash, "
              "'00000000000000000000000000000000000000000000000000000000000000ff' "
              "FROM events WHERE id = 4");
    expect_broken(s, "event row 5 was modified");
    store_free(&s);
}

static void test_appended_forgery(void)
{
    Store *s = fresh_store("appended.db", 3);
    tamper(s, "INSERT INTO events (id, at, actor, type, prev_hash, hash) SELECT 4, 1, 'x', 'note',"
              " hash, 'ab' FROM events WHERE id = 3");
    expect_broken(s, "event row 4 was modified");
    store_free(&s);
}

static void test_append_only_triggers(void)
{
    Store *s = fresh_store("triggers.db", 2);
    g_assert_cmpint(sqlite3_exec(store_db(s), "UPDATE events SET type = 'x'", NULL, NULL, NULL), !=,
                    SQLITE_OK);
    g_assert_cmpint(sqlite3_exec(store_db(s), "DELETE FROM events", NULL, NULL, NULL), !=,
                    SQLITE_OK);
    g_assert_true(audit_verify(s, NULL, NULL));
    store_free(&s);
}

static void test_folder_state(void)
{
    Store *s = fresh_store("folders.db", 0);
    GError *error = NULL;
    guint32 v = 1, last = 1;
    g_assert_true(store_folder_get(s, "INBOX", &v, &last, &error));
    g_assert_cmpuint(v, ==, 0);
    g_assert_cmpuint(last, ==, 0);
    g_assert_true(store_folder_set_uidvalidity(s, "INBOX", 42, &error));
    g_assert_true(store_begin(s, &error));
    g_assert_true(store_folder_advance(s, "INBOX", 42, 7, &error));
    g_assert_true(store_folder_advance(s, "INBOX", 42, 5, &error)); /* never backwards */
    g_assert_true(store_commit(s, &error));
    g_assert_true(store_folder_get(s, "INBOX", &v, &last, &error));
    g_assert_cmpuint(v, ==, 42);
    g_assert_cmpuint(last, ==, 7);
    /* a new UIDVALIDITY resets the folder for a re-scan, and is audited */
    g_assert_true(store_folder_set_uidvalidity(s, "INBOX", 43, &error));
    g_assert_true(store_folder_get(s, "INBOX", &v, &last, &error));
    g_assert_cmpuint(v, ==, 43);
    g_assert_cmpuint(last, ==, 0);
    /* an advance under the old UIDVALIDITY is ignored */
    g_assert_true(store_begin(s, &error));
    g_assert_true(store_folder_advance(s, "INBOX", 42, 9, &error));
    g_assert_true(store_commit(s, &error));
    g_assert_true(store_folder_get(s, "INBOX", &v, &last, &error));
    g_assert_cmpuint(last, ==, 0);
    g_assert_no_error(error);
    gint64 rows = 0;
    g_assert_true(audit_verify(s, &rows, NULL));
    g_assert_cmpint(rows, ==, 2); /* folder_added, folder_uidvalidity_changed */
    store_free(&s);
}

typedef struct {
    GArray *seen;  /* gint64: the first column of each row handed over */
    guint stop_at; /* fail on this row (1-based); 0 = never */
} RowLog;

static gboolean log_row(sqlite3_stmt *row, gpointer data, GError **error)
{
    RowLog *log = data;
    gint64 v = sqlite3_column_int64(row, 0);
    g_array_append_val(log->seen, v);
    if (log->seen->len == log->stop_at) {
        g_set_error(error, CPR_ERROR, CPR_ERROR_INPUT, "row %" G_GINT64_FORMAT " refused", v);
        return FALSE;
    }
    return TRUE;
}

#define SEEN(log, i) g_array_index((log)->seen, gint64, (i))

/* store_texts(): the first column of each row as strings, in order, SQL
 * NULLs left out; a read error is prefixed with `what`. */
static void test_texts(void)
{
    Store *s = fresh_store("texts.db", 0);
    GError *error = NULL;
    g_assert_cmpint(sqlite3_exec(store_db(s),
                                 "CREATE TABLE t (v);"
                                 "INSERT INTO t VALUES ('b'), (NULL), ('a'), (7), ('');",
                                 NULL, NULL, NULL),
                    ==, SQLITE_OK);
    g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(out, g_strdup("kept"));
    sqlite3_stmt *st = store_prepare(s, "SELECT v FROM t ORDER BY rowid", &error);
    g_assert_nonnull(st);
    g_assert_true(store_texts(s, st, out, "test: reading t", &error));
    g_assert_no_error(error);
    const char *want[] = {"kept", "b", "a", "7", ""};
    g_assert_cmpuint(out->len, ==, G_N_ELEMENTS(want));
    for (guint i = 0; i < out->len; i++)
        g_assert_cmpstr(g_ptr_array_index(out, i), ==, want[i]);
    g_assert_false(sqlite3_stmt_busy(st));
    st = store_prepare(s, "SELECT abs(-9223372036854775807 - 1)", &error);
    g_assert_nonnull(st);
    g_assert_false(store_texts(s, st, out, "test: reading t", &error));
    g_assert_error(error, CPR_ERROR, CPR_ERROR_STORE);
    g_assert_true(error && g_str_has_prefix(error->message, "test: reading t: "));
    g_clear_error(&error);
    g_assert_cmpuint(out->len, ==, G_N_ELEMENTS(want));
    store_free(&s);
}

/* The connection's settings (issue 16): a batched message is a SAVEPOINT,
 * whose statement journal stays in memory (temp_store 2), not in a temporary
 * file written for every message; the page cache is 8 MiB (cache_size -8192),
 * not SQLite's 2 MiB, which a 10,000-message catch-up outgrew. */
static void test_pragmas(void)
{
    Store *s = fresh_store("pragmas.db", 0);
    GError *error = NULL;
    const char *want[][2] = {{"PRAGMA temp_store", "2"}, {"PRAGMA journal_mode", "wal"},
                             {"PRAGMA synchronous", "1"}, {"PRAGMA foreign_keys", "1"},
                             {"PRAGMA cache_size", "-8192"}};
    for (gsize i = 0; i < G_N_ELEMENTS(want); i++) {
        sqlite3_stmt *st = store_prepare(s, want[i][0], &error);
        g_assert_no_error(error);
        g_assert_cmpint(sqlite3_step(st), ==, SQLITE_ROW);
        g_assert_cmpstr((const char *)sqlite3_column_text(st, 0), ==, want[i][1]);
        sqlite3_reset(st);
    }
    store_free(&s);
}

/* store_each_row(): every row in order, a callback's error stops the read
 * and comes back unchanged, a read error is prefixed, and the statement is
 * reset in every case (a statement left mid-read holds the read open). */
static void test_each_row(void)
{
    Store *s = fresh_store("each-row.db", 0);
    GError *error = NULL;
    g_assert_cmpint(sqlite3_exec(store_db(s),
                                 "CREATE TABLE t (n INTEGER);"
                                 "INSERT INTO t VALUES (3), (1), (5), (2), (4);",
                                 NULL, NULL, NULL),
                    ==, SQLITE_OK);
    const char *sql = "SELECT n FROM t WHERE n >= ? ORDER BY n DESC";
    RowLog log = {.seen = g_array_new(FALSE, FALSE, sizeof(gint64))};

    sqlite3_stmt *st = store_prepare_id(s, sql, 1, &error);
    g_assert_nonnull(st);
    g_assert_true(store_each_row(s, st, log_row, &log, "test: reading t", &error));
    g_assert_no_error(error);
    g_assert_cmpuint(log.seen->len, ==, 5);
    for (guint i = 0; i < log.seen->len; i++)
        g_assert_cmpint(SEEN(&log, i), ==, 5 - (gint64)i);
    g_assert_false(sqlite3_stmt_busy(st));

    /* no rows: TRUE, and the callback is never called */
    g_array_set_size(log.seen, 0);
    st = store_prepare_id(s, sql, 6, &error);
    g_assert_true(store_each_row(s, st, log_row, &log, "test: reading t", &error));
    g_assert_no_error(error);
    g_assert_cmpuint(log.seen->len, ==, 0);

    /* the callback stops at the third row: its own error, no prefix, no
     * further row, and the statement reset */
    log.stop_at = 3;
    st = store_prepare_id(s, sql, 1, &error);
    g_assert_false(store_each_row(s, st, log_row, &log, "test: reading t", &error));
    g_assert_error(error, CPR_ERROR, CPR_ERROR_INPUT);
    g_assert_cmpstr(error ? error->message : NULL, ==, "row 3 refused");
    g_clear_error(&error);
    g_assert_cmpuint(log.seen->len, ==, 3);
    g_assert_false(sqlite3_stmt_busy(st));
    /* reset, not half-read: stepping it again starts from the first row */
    g_assert_cmpint(sqlite3_step(st), ==, SQLITE_ROW);
    g_assert_cmpint(sqlite3_column_int64(st, 0), ==, 5);
    sqlite3_reset(st);

    /* a read that fails after five rows (abs() of the smallest integer
     * overflows): CPR_ERROR_STORE prefixed with `what`, statement reset */
    g_assert_cmpint(sqlite3_exec(store_db(s), "INSERT INTO t VALUES (-9223372036854775808)", NULL,
                                 NULL, NULL),
                    ==, SQLITE_OK);
    log.stop_at = 0;
    g_array_set_size(log.seen, 0);
    st = store_prepare(s, "SELECT n, abs(n) FROM t ORDER BY rowid", &error);
    g_assert_nonnull(st);
    g_assert_false(store_each_row(s, st, log_row, &log, "test: reading t", &error));
    g_assert_error(error, CPR_ERROR, CPR_ERROR_STORE);
    g_assert_true(error && g_str_has_prefix(error->message, "test: reading t: "));
    g_clear_error(&error);
    g_assert_cmpuint(log.seen->len, ==, 5);
    g_assert_false(sqlite3_stmt_busy(st));
    /* `what` NULL: SQLite's message as store_step() gives it */
    st = store_prepare(s, "SELECT n, abs(n) FROM t ORDER BY rowid", &error);
    g_assert_false(store_each_row(s, st, log_row, &log, NULL, &error));
    g_assert_error(error, CPR_ERROR, CPR_ERROR_STORE);
    g_assert_true(error && g_str_has_prefix(error->message, "database read failed: "));
    g_clear_error(&error);

    /* store_int64s() is the same loop */
    g_autoptr(GArray) ns = g_array_new(FALSE, FALSE, sizeof(gint64));
    st = store_prepare_id(s, sql, 4, &error);
    g_assert_true(store_int64s(s, st, ns, &error));
    g_assert_cmpuint(ns->len, ==, 2);
    g_assert_cmpint(g_array_index(ns, gint64, 0), ==, 5);
    g_assert_cmpint(g_array_index(ns, gint64, 1), ==, 4);
    g_array_unref(log.seen);
    store_free(&s);
}

static void test_reopen_migrated(void)
{
    g_autofree char *path = g_build_filename(tmpdir, "reopen.db", NULL);
    GError *error = NULL;
    Store *s = store_open(path, &error);
    g_assert_nonnull(s);
    store_free(&s);
    s = store_open(path, &error);
    g_assert_no_error(error);
    g_assert_nonnull(s);
    store_free(&s);
    /* a database from a newer program is refused, not damaged */
    sqlite3 *db = NULL;
    sqlite3_open(path, &db);
    sqlite3_exec(db, "PRAGMA user_version = 999", NULL, NULL, NULL);
    sqlite3_close(db);
    s = store_open(path, &error);
    g_assert_null(s);
    g_assert_error(error, CPR_ERROR, CPR_ERROR_STORE);
    g_clear_error(&error);
    /* not a database at all */
    g_autofree char *junk = g_build_filename(tmpdir, "junk.db", NULL);
    g_file_set_contents(junk, "this is not sqlite, not at all, no no no", -1, NULL);
    s = store_open(junk, &error);
    g_assert_null(s);
    g_assert_error(error, CPR_ERROR, CPR_ERROR_STORE);
    g_clear_error(&error);
}

static void test_export(void)
{
    Store *s = fresh_store("export.db", 4);
    g_autoptr(GString) out = g_string_new(NULL);
    GError *error = NULL;
    g_assert_true(audit_export(s, 1, 0, AUDIT_FORMAT_CSV, out, &error));
    g_assert_no_error(error);
    /* header + events 1 and 4 (case_id = i % 3 == 1) */
    g_auto(GStrv) lines = g_strsplit(g_strchomp(out->str), "\n", -1);
    g_assert_cmpuint(g_strv_length(lines), ==, 3);
    g_assert_true(g_str_has_prefix(lines[1], "1,2023-11-14T22:13:21Z,"));
    g_assert_true(g_str_has_prefix(lines[2], "4,"));
    g_string_truncate(out, 0);
    g_assert_true(audit_export(s, 0, 1700000003, AUDIT_FORMAT_JSON, out, &error));
    g_autoptr(JsonParser) p = json_parser_new();
    g_assert_true(json_parser_load_from_data(p, out->str, -1, NULL));
    JsonArray *arr = json_node_get_array(json_parser_get_root(p));
    g_assert_cmpuint(json_array_get_length(arr), ==, 2);
    JsonObject *first = json_array_get_object_element(arr, 0);
    g_assert_cmpint(json_object_get_int_member(first, "id"), ==, 3);
    g_assert_cmpint(json_object_get_int_member(json_object_get_object_member(first, "details"), "n"),
                    ==, 3);
    store_free(&s);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_set_nonfatal_assertions();
    tmpdir = tu_tmpdir_new("cpr-audit");
    g_test_add_func("/audit/untouched", test_untouched);
    g_test_add_func("/audit/empty", test_empty);
    g_test_add_func("/audit/edited-row", test_edited);
    g_test_add_func("/audit/edited-time", test_edited_time);
    g_test_add_func("/audit/deleted-row", test_deleted);
    g_test_add_func("/audit/deleted-tail", test_deleted_tail);
    g_test_add_func("/audit/inserted-row", test_inserted);
    g_test_add_func("/audit/appended-forgery", test_appended_forgery);
    g_test_add_func("/audit/append-only-triggers", test_append_only_triggers);
    g_test_add_func("/store/folder-state", test_folder_state);
    g_test_add_func("/store/each-row", test_each_row);
    g_test_add_func("/store/texts", test_texts);
    g_test_add_func("/store/pragmas", test_pragmas);
    g_test_add_func("/store/reopen-and-refuse", test_reopen_migrated);
    g_test_add_func("/audit/export", test_export);
    int rc = g_test_run();
    tu_tmpdir_remove(tmpdir);
    return rc;
}
