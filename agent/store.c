/* store.c - the SQLite connection, transactions, the statement cache, folder
 * state and the hash-chained event log (see store.h). */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "store.h"
#include "testhooks.h"
#include "store_schema.h"
#include "cpr_error.h"
#include "jsonutil.h"

struct Store {
    sqlite3 *db;
    char *path;
    GHashTable *stmts; /* SQL text (static) -> sqlite3_stmt* */
    gboolean in_tx;
};

void store_set_error(Store *store, GError **error, const char *what)
{
    g_set_error(error, CPR_ERROR, CPR_ERROR_STORE, "%s: %s: %s", store->path, what,
                sqlite3_errmsg(store->db));
}

static gboolean exec_sql(Store *store, const char *sql, GError **error)
{
    char *msg = NULL;
    if (sqlite3_exec(store->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        g_set_error(error, CPR_ERROR, CPR_ERROR_STORE, "%s: %s", store->path,
                    msg ? msg : "sqlite3_exec failed");
        sqlite3_free(msg);
        return FALSE;
    }
    return TRUE;
}

static void stmt_finalize(gpointer p)
{
    sqlite3_finalize(p);
}

static gboolean migrate(Store *store, GError **error)
{
    sqlite3_stmt *st = store_prepare(store, "PRAGMA user_version", error);
    if (!st)
        return FALSE;
    int rc = store_step(store, st, error);
    guint version = rc == STORE_ROW ? (guint)sqlite3_column_int(st, 0) : 0;
    sqlite3_reset(st);
    if (rc == STORE_ERROR)
        return FALSE;
    if (version > store_schema_version()) {
        g_set_error(error, CPR_ERROR, CPR_ERROR_STORE,
                    "%s: database schema version %u is newer than this program (%u)", store->path,
                    version, store_schema_version());
        return FALSE;
    }
    for (; version < store_schema_version(); version++) {
        g_autofree char *bump = g_strdup_printf("PRAGMA user_version = %u", version + 1);
        if (!store_begin(store, error))
            return FALSE;
        if (!exec_sql(store, store_schema_migration(version), error) ||
            !exec_sql(store, bump, error)) {
            store_rollback(store);
            g_prefix_error(error, "migration %u -> %u: ", version, version + 1);
            return FALSE;
        }
        if (!store_commit(store, error))
            return FALSE;
    }
    return TRUE;
}

Store *store_open(const char *path, GError **error)
{
    Store *store = g_new0(Store, 1);
    store->path = g_strdup(path);
    store->stmts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, stmt_finalize);
    if (sqlite3_open_v2(path, &store->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK) {
        store_set_error(store, error, "cannot open database");
        goto fail;
    }
    sqlite3_extended_result_codes(store->db, 1);
    /* Another process (a second `ingest`, the daemon) may hold the write lock for
     * one message's transaction: wait rather than fail. */
    sqlite3_busy_timeout(store->db, 30000);
    /* temp_store = MEMORY: each message of a batch is a SAVEPOINT, whose
     * statement journal was otherwise a temporary file; it held more than half
     * of ingest's writes (150,140 pwrite64 for 2,000 messages, 67,140 without
     * it; issue 16). It is as large as the pages one message changes.
     * cache_size 8 MiB instead of SQLite's 2 MiB: past a few thousand
     * messages the indexes no longer fit, and a 10,000-message catch-up spent
     * a tenth of its main thread in pread64 reading them back; with 8 MiB it
     * is 1.0-3.0 s faster (four runs each, alternating), for 7 MB more peak
     * RSS. 16 MiB bought no more. */
    if (!exec_sql(store, "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON;"
                         "PRAGMA synchronous = NORMAL; PRAGMA temp_store = MEMORY;"
                         "PRAGMA cache_size = -8192;", error))
        goto fail;
    if (!migrate(store, error))
        goto fail;
    return store;
fail:
    store_free(&store);
    return NULL;
}

/* Read-only, for `audit verify` on an auditor's copy (issue 13): no
 * migration, no journal-mode change, nothing written. A WAL database in a
 * directory we cannot write has no -shm file to share: it is then opened
 * immutable, which is only right when no -wal file holds newer pages. */
Store *store_open_readonly(const char *path, GError **error)
{
    Store *store = g_new0(Store, 1);
    store->path = g_strdup(path);
    store->stmts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, stmt_finalize);
    for (int attempt = 0; attempt < 2; attempt++) {
        g_autofree char *escaped = g_uri_escape_string(path, "/", TRUE);
        g_autofree char *uri = g_strdup_printf("file:%s?mode=ro%s", escaped,
                                               attempt ? "&immutable=1" : "");
        if (sqlite3_open_v2(uri, &store->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL) !=
            SQLITE_OK) {
            store_set_error(store, error, "cannot open database read-only");
            goto fail;
        }
        sqlite3_extended_result_codes(store->db, 1);
        sqlite3_busy_timeout(store->db, 30000);
        sqlite3_stmt *st = store_prepare(store, "PRAGMA user_version", NULL);
        int rc = st ? sqlite3_step(st) : sqlite3_errcode(store->db);
        guint version = rc == SQLITE_ROW ? (guint)sqlite3_column_int(st, 0) : 0;
        if (st)
            sqlite3_reset(st);
        if (rc == SQLITE_ROW && version == store_schema_version())
            return store;
        if (rc == SQLITE_ROW) {
            g_set_error(error, CPR_ERROR, CPR_ERROR_STORE,
                        "%s: database schema version %u, this program reads version %u; "
                        "open a writable copy with this version once to migrate it", path,
                        version, store_schema_version());
            goto fail;
        }
        g_autofree char *wal = g_strdup_printf("%s-wal", path);
        struct stat wst;
        if (attempt > 0 || (stat(wal, &wst) == 0 && wst.st_size > 0)) {
            store_set_error(store, error, attempt ? "cannot read database"
                            : "cannot read database read-only (its -wal file needs a writable "
                              "directory; copy both files somewhere writable)");
            goto fail;
        }
        g_hash_table_remove_all(store->stmts);
        sqlite3_close(store->db);
        store->db = NULL;
    }
fail:
    store_free(&store);
    return NULL;
}

void store_free(Store **store)
{
    if (!store || !*store)
        return;
    Store *s = *store;
    if (s->stmts)
        g_hash_table_destroy(s->stmts);
    if (s->db)
        sqlite3_close(s->db);
    g_free(s->path);
    g_free(s);
    *store = NULL;
}

sqlite3 *store_db(Store *store)
{
    return store->db;
}

/* Test builds (issue 16): with CPR_INTAKE_SQL_PLANS set, the plan of each
 * statement, the first time it is prepared, is looked at for a walk of a table
 * that grows with the mail: a full SCAN, a MULTI-INDEX OR, or an index searched
 * by an identifier or event type alone. Each is printed to stderr as
 * "sqlplan: DETAIL | SQL"; tests/t_query_plans.sh holds them to an allow-list.
 * Such a walk was 63 % of a 10,000-message ingest once (docs/bench.md). */
static gboolean plan_walks(const char *detail)
{
    return (g_str_has_prefix(detail, "SCAN ") && !g_str_has_prefix(detail, "SCAN CONSTANT ROW")) ||
           strstr(detail, "MULTI-INDEX OR") || g_str_has_suffix(detail, "(type=?)");
}

static void plan_check(Store *store, const char *sql)
{
    if (!testhooks_getenv("CPR_INTAKE_SQL_PLANS"))
        return;
    g_autofree char *q = g_strconcat("EXPLAIN QUERY PLAN ", sql, NULL);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(store->db, q, -1, &st, NULL) == SQLITE_OK) {
        while (sqlite3_step(st) == SQLITE_ROW) {
            const char *detail = (const char *)sqlite3_column_text(st, 3);
            if (detail && plan_walks(detail))
                fprintf(stderr, "sqlplan: %s | %s\n", detail, sql);
        }
    }
    sqlite3_finalize(st);
}

sqlite3_stmt *store_prepare(Store *store, const char *sql, GError **error)
{
    sqlite3_stmt *st = g_hash_table_lookup(store->stmts, sql);
    if (st) {
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
        return st;
    }
    if (sqlite3_prepare_v2(store->db, sql, -1, &st, NULL) != SQLITE_OK) {
        store_set_error(store, error, "cannot prepare statement");
        return NULL;
    }
    g_hash_table_insert(store->stmts, g_strdup(sql), st);
    plan_check(store, sql);
    return st;
}

int store_step(Store *store, sqlite3_stmt *stmt, GError **error)
{
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW)
        return STORE_ROW;
    sqlite3_reset(stmt);
    if (rc == SQLITE_DONE)
        return STORE_DONE;
    /* the statement's own error, not the connection's last one */
    g_set_error(error, CPR_ERROR, CPR_ERROR_STORE, "database read failed: %s",
                sqlite3_errmsg(store->db));
    return STORE_ERROR;
}

sqlite3_stmt *store_prepare_id(Store *store, const char *sql, gint64 id, GError **error)
{
    sqlite3_stmt *st = store_prepare(store, sql, error);
    if (st)
        sqlite3_bind_int64(st, 1, id);
    return st;
}

gboolean store_step_row(Store *store, sqlite3_stmt *stmt, const char *what, GError **error)
{
    int rc = store_step(store, stmt, error);
    if (rc == STORE_ROW)
        return TRUE;
    if (rc == STORE_DONE)
        g_set_error(error, CPR_ERROR, CPR_ERROR_STORE, "%s: no row", what);
    else
        g_prefix_error(error, "%s: ", what);
    return FALSE;
}

gboolean store_each_row(Store *store, sqlite3_stmt *stmt, StoreRowFn fn, gpointer data,
                        const char *what, GError **error)
{
    int rc;
    while ((rc = store_step(store, stmt, error)) == STORE_ROW) {
        if (!fn(stmt, data, error)) {
            /* a statement left mid-read would hold its read open until the
             * next store_prepare() of the same SQL */
            sqlite3_reset(stmt);
            return FALSE;
        }
    }
    if (rc == STORE_DONE)
        return TRUE;
    if (what)
        g_prefix_error(error, "%s: ", what);
    return FALSE;
}

static gboolean append_int64(sqlite3_stmt *row, gpointer out, GError **error)
{
    gint64 v = sqlite3_column_int64(row, 0);
    g_array_append_val((GArray *)out, v);
    return TRUE;
}

static gboolean append_text(sqlite3_stmt *row, gpointer out, GError **error)
{
    if (sqlite3_column_type(row, 0) != SQLITE_NULL)
        g_ptr_array_add(out, store_column_dup(row, 0));
    return TRUE;
}

gboolean store_texts(Store *store, sqlite3_stmt *stmt, GPtrArray *out, const char *what,
                     GError **error)
{
    return store_each_row(store, stmt, append_text, out, what, error);
}

char *store_column_dup(sqlite3_stmt *stmt, int col)
{
    const unsigned char *v = sqlite3_column_text(stmt, col);
    return v ? g_strdup((const char *)v) : NULL;
}

gboolean store_int64s(Store *store, sqlite3_stmt *stmt, GArray *out, GError **error)
{
    return store_each_row(store, stmt, append_int64, out, NULL, error);
}

gboolean store_step_done(Store *store, sqlite3_stmt *stmt, GError **error)
{
    int rc = sqlite3_step(stmt);
    if (rc != SQLITE_DONE) {
        store_set_error(store, error, "statement failed");
        sqlite3_reset(stmt);
        return FALSE;
    }
    sqlite3_reset(stmt);
    return TRUE;
}

#define RAW_CHUNK (256 * 1024) /* bytes per sqlite3_blob_write */

gboolean store_raw_write(Store *store, gint64 row, const guint8 *raw, gsize len, GError **error)
{
    if (len > (gsize)G_MAXINT) {
        g_set_error(error, CPR_ERROR, CPR_ERROR_STORE, "a raw message of %" G_GSIZE_FORMAT
                    " bytes is too large to store", len);
        return FALSE;
    }
    sqlite3_stmt *st = store_prepare(
        store, "INSERT INTO message_raw (message_row, raw) VALUES (?, zeroblob(?))", error);
    if (!st)
        return FALSE;
    sqlite3_bind_int64(st, 1, row);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)len);
    if (!store_step_done(store, st, error))
        return FALSE;
    if (len == 0)
        return TRUE;
    sqlite3_blob *blob = NULL;
    if (sqlite3_blob_open(store->db, "main", "message_raw", "raw", row, 1, &blob) != SQLITE_OK) {
        store_set_error(store, error, "cannot open the raw message for writing");
        sqlite3_blob_close(blob);
        return FALSE;
    }
    for (gsize off = 0; off < len; off += RAW_CHUNK) {
        int n = (int)MIN((gsize)RAW_CHUNK, len - off);
        if (sqlite3_blob_write(blob, raw + off, n, (int)off) != SQLITE_OK) {
            store_set_error(store, error, "cannot write the raw message");
            sqlite3_blob_close(blob);
            return FALSE;
        }
    }
    if (sqlite3_blob_close(blob) != SQLITE_OK) {
        store_set_error(store, error, "cannot write the raw message");
        return FALSE;
    }
    return TRUE;
}

gboolean store_begin(Store *store, GError **error)
{
    g_return_val_if_fail(!store->in_tx, FALSE);
    if (!exec_sql(store, "BEGIN IMMEDIATE", error))
        return FALSE;
    store->in_tx = TRUE;
    return TRUE;
}

gboolean store_commit(Store *store, GError **error)
{
    if (!exec_sql(store, "COMMIT", error)) {
        store_rollback(store);
        return FALSE;
    }
    store->in_tx = FALSE;
    return TRUE;
}

gboolean store_in_transaction(Store *store)
{
    return store->in_tx;
}

gboolean store_savepoint(Store *store, const char *name, GError **error)
{
    g_return_val_if_fail(store->in_tx, FALSE);
    g_autofree char *sql = g_strdup_printf("SAVEPOINT %s", name);
    return exec_sql(store, sql, error);
}

gboolean store_release(Store *store, const char *name, GError **error)
{
    g_autofree char *sql = g_strdup_printf("RELEASE %s", name);
    return exec_sql(store, sql, error);
}

void store_rollback_to(Store *store, const char *name)
{
    g_autofree char *sql = g_strdup_printf("ROLLBACK TO %s; RELEASE %s", name, name);
    sqlite3_exec(store->db, sql, NULL, NULL, NULL);
}

void store_rollback(Store *store)
{
    if (store->in_tx)
        sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
    store->in_tx = FALSE;
}

/* --- folders --- */

gboolean store_folder_get(Store *store, const char *folder, guint32 *uidvalidity_r,
                          guint32 *last_uid_r, GError **error)
{
    sqlite3_stmt *st =
        store_prepare(store, "SELECT uidvalidity, last_uid FROM folders WHERE folder = ?", error);
    if (!st)
        return FALSE;
    sqlite3_bind_text(st, 1, folder, -1, SQLITE_TRANSIENT);
    *uidvalidity_r = 0;
    *last_uid_r = 0;
    int rc = store_step(store, st, error);
    if (rc == STORE_ROW) {
        *uidvalidity_r = (guint32)sqlite3_column_int64(st, 0);
        *last_uid_r = (guint32)sqlite3_column_int64(st, 1);
    } else if (rc == STORE_ERROR) {
        g_prefix_error(error, "cannot read folder state: ");
        return FALSE;
    }
    sqlite3_reset(st);
    return TRUE;
}

gboolean store_folder_set_uidvalidity(Store *store, const char *folder, guint32 uidvalidity,
                                      GError **error)
{
    guint32 old_validity = 0, old_last = 0;
    if (!store_folder_get(store, folder, &old_validity, &old_last, error))
        return FALSE;
    if (old_validity == uidvalidity)
        return TRUE;
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    jsonutil_add_string(b, "folder", folder);
    jsonutil_add_int(b, "old_uidvalidity", old_validity);
    jsonutil_add_int(b, "uidvalidity", uidvalidity);
    jsonutil_add_int(b, "old_last_uid", old_last);
    json_builder_end_object(b);
    g_autofree char *details = jsonutil_builder_to_string(b, FALSE);
    gboolean own_tx = !store->in_tx;
    if (own_tx && !store_begin(store, error))
        return FALSE;
    sqlite3_stmt *st = store_prepare(
        store,
        "INSERT INTO folders (folder, uidvalidity, last_uid) VALUES (?1, ?2, 0) "
        "ON CONFLICT (folder) DO UPDATE SET uidvalidity = ?2, last_uid = 0",
        error);
    if (!st)
        goto fail;
    sqlite3_bind_text(st, 1, folder, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, uidvalidity);
    if (!store_step_done(store, st, error))
        goto fail;
    if (!store_event_append(store, (gint64)(g_get_real_time() / G_USEC_PER_SEC), "imap", 0,
                            old_validity ? "folder_uidvalidity_changed" : "folder_added", details,
                            error))
        goto fail;
    if (own_tx && !store_commit(store, error))
        return FALSE;
    return TRUE;
fail:
    if (own_tx)
        store_rollback(store);
    return FALSE;
}

gboolean store_folder_advance(Store *store, const char *folder, guint32 uidvalidity, guint32 uid,
                              GError **error)
{
    sqlite3_stmt *st = store_prepare(
        store,
        "INSERT INTO folders (folder, uidvalidity, last_uid) VALUES (?1, ?2, ?3) "
        "ON CONFLICT (folder) DO UPDATE SET last_uid = max(last_uid, ?3) WHERE uidvalidity = ?2",
        error);
    if (!st)
        return FALSE;
    sqlite3_bind_text(st, 1, folder, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, uidvalidity);
    sqlite3_bind_int64(st, 3, uid);
    return store_step_done(store, st, error);
}

gboolean store_folder_note_sync(Store *store, const char *folder, gint64 at, GError **error)
{
    sqlite3_stmt *st = store_prepare(
        store,
        "INSERT INTO folders (folder, last_sync) VALUES (?1, ?2) "
        "ON CONFLICT (folder) DO UPDATE SET last_sync = ?2",
        error);
    if (!st)
        return FALSE;
    sqlite3_bind_text(st, 1, folder, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, at);
    return store_step_done(store, st, error);
}

gboolean store_health_set(Store *store, const char *key, const char *value, gint64 at,
                          GError **error)
{
    sqlite3_stmt *st = store_prepare(
        store, "INSERT OR REPLACE INTO health (key, value, at) VALUES (?, ?, ?)", error);
    if (!st)
        return FALSE;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, value, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, at);
    return store_step_done(store, st, error);
}

gboolean store_health_get(Store *store, const char *key, char **value_r, gint64 *at_r,
                          GError **error)
{
    sqlite3_stmt *st = store_prepare(store, "SELECT value, at FROM health WHERE key = ?", error);
    if (!st)
        return FALSE;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
    *value_r = NULL;
    if (at_r)
        *at_r = 0;
    int rc = store_step(store, st, error);
    if (rc == STORE_ROW) {
        *value_r = store_column_dup(st, 0);
        if (at_r)
            *at_r = sqlite3_column_int64(st, 1);
    } else if (rc == STORE_ERROR) {
        g_prefix_error(error, "cannot read health: ");
        return FALSE;
    }
    sqlite3_reset(st);
    return TRUE;
}

/* --- events --- */

gboolean store_event_append(Store *store, gint64 at, const char *actor, gint64 case_id,
                            const char *type, const char *details_json, GError **error)
{
    g_return_val_if_fail(store->in_tx, FALSE);
    sqlite3_stmt *st =
        store_prepare(store, "SELECT id, hash FROM events ORDER BY id DESC LIMIT 1", error);
    if (!st)
        return FALSE;
    gint64 prev_id = 0;
    g_autofree char *prev_hash = NULL;
    int rc = store_step(store, st, error);
    if (rc == STORE_ROW) {
        prev_id = sqlite3_column_int64(st, 0);
        prev_hash = store_column_dup(st, 1);
    }
    sqlite3_reset(st);
    if (rc == STORE_ERROR) /* never chain onto a head we could not read */
        return FALSE;
    if (!prev_hash)
        prev_hash = g_strdup(STORE_GENESIS_HASH);
    gint64 id = prev_id + 1;
    /* When the row was written, beside the time it claims: the two differ
     * for an event recorded after the fact, which evidence must show. */
    gint64 recorded_at = testhooks_now();
    g_autofree char *hash =
        store_event_hash2(prev_hash, id, at, actor, case_id, type, details_json, recorded_at);

    st = store_prepare(store,
                       "INSERT INTO events (id, at, actor, case_id, type, details, prev_hash, hash,"
                       " recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       error);
    if (!st)
        return FALSE;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, at);
    sqlite3_bind_text(st, 3, actor, -1, SQLITE_TRANSIENT);
    if (case_id > 0)
        sqlite3_bind_int64(st, 4, case_id);
    else
        sqlite3_bind_null(st, 4);
    sqlite3_bind_text(st, 5, type, -1, SQLITE_TRANSIENT);
    if (details_json)
        sqlite3_bind_text(st, 6, details_json, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, 6);
    sqlite3_bind_text(st, 7, prev_hash, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 8, hash, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 9, recorded_at);
    if (!store_step_done(store, st, error))
        return FALSE;
    /* The head (count and last hash) lets audit verify notice a cut-off tail,
     * which the chain alone cannot show. */
    g_autofree char *head = g_strdup_printf("%" G_GINT64_FORMAT ":%s", id, hash);
    return store_health_set(store, "audit.head", head, at, error);
}

/* The hash covers the previous row's hash and every field of this row, each
 * length-prefixed so that no two different rows serialise alike. Rows written
 * since schema 4 also cover recorded_at ("v2"); older rows keep the v1 form,
 * so a chain from before the upgrade still verifies. */
char *store_event_hash2(const char *prev_hash, gint64 id, gint64 at, const char *actor,
                        gint64 case_id, const char *type, const char *details_json,
                        gint64 recorded_at)
{
    g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
    g_autofree char *head =
        recorded_at
            ? g_strdup_printf("cpr-intake-event-v2\n%s\n%" G_GINT64_FORMAT "\n%" G_GINT64_FORMAT
                              "\n%" G_GINT64_FORMAT "\n%" G_GINT64_FORMAT "\n",
                              prev_hash, id, at, case_id, recorded_at)
            : g_strdup_printf("cpr-intake-event-v1\n%s\n%" G_GINT64_FORMAT "\n%" G_GINT64_FORMAT
                              "\n%" G_GINT64_FORMAT "\n",
                              prev_hash, id, at, case_id);
    g_checksum_update(sum, (const guchar *)head, -1);
    const char *fields[] = {actor ? actor : "", type ? type : "",
                            details_json ? details_json : ""};
    for (gsize i = 0; i < G_N_ELEMENTS(fields); i++) {
        g_autofree char *len = g_strdup_printf("%zu:", strlen(fields[i]));
        g_checksum_update(sum, (const guchar *)len, -1);
        g_checksum_update(sum, (const guchar *)fields[i], -1);
        g_checksum_update(sum, (const guchar *)"\n", 1);
    }
    return g_strdup(g_checksum_get_string(sum));
}
