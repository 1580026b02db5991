/* store.h - the SQLite database: raw messages, parsed facts, cases, clocks,
 * hash-chained audit events, consent and per-folder IMAP state.
 *
 * One connection, WAL, foreign keys on, schema migrated by PRAGMA user_version
 * (see conf/schema.sql for the schema), prepared statements only (cached per SQL
 * text). Writers wrap their work in store_begin()/store_commit(): a message, its
 * case changes, its events and the folder's last UID commit together or not at
 * all. Errors are CPR_ERROR_STORE with sqlite3_errmsg() text. */
#ifndef CPR_STORE_H
#define CPR_STORE_H

#include <glib.h>
#include <sqlite3.h>

typedef struct Store Store;

Store *store_open(const char *path, GError **error);
/* Open an existing database read-only (an auditor's copy, a read-only
 * directory): nothing is migrated or written. CPR_ERROR_STORE when the file is
 * missing or its schema version is not this program's. */
Store *store_open_readonly(const char *path, GError **error);
void store_free(Store **store);

/* The connection, for modules that keep their own tables (audit, outbox).
 * Lent. Prefer the functions below. */
sqlite3 *store_db(Store *store);

/* Transactions: BEGIN IMMEDIATE; nesting is not supported. */
gboolean store_begin(Store *store, GError **error);
gboolean store_commit(Store *store, GError **error);
void store_rollback(Store *store);
/* TRUE inside store_begin() .. store_commit()/store_rollback(). */
gboolean store_in_transaction(Store *store);
/* A named savepoint inside the open transaction: one message of a batch. */
gboolean store_savepoint(Store *store, const char *name, GError **error);
gboolean store_release(Store *store, const char *name, GError **error);
/* Undo everything since the savepoint and drop it; the transaction stays open. */
void store_rollback_to(Store *store, const char *name);

/* The raw message of messages row ID (an SQL expression) as an SQL
 * expression: the bytes live in their own table, message_raw (issue 16). */
#define STORE_RAW_OF(ID) "(SELECT r.raw FROM message_raw r WHERE r.message_row = " ID ")"

/* Store `len` raw bytes for messages row `row`: a zeroblob the size of the
 * message, filled in chunks through incremental blob I/O, so SQLite never
 * holds a copy of the whole message. Inside the caller's transaction. */
gboolean store_raw_write(Store *store, gint64 row, const guint8 *raw, gsize len, GError **error);

/* A cached prepared statement for `sql`, reset and with bindings cleared. Lent:
 * valid until store_free(). NULL with error on a bad statement. */
sqlite3_stmt *store_prepare(Store *store, const char *sql, GError **error);
/* One step of a read: STORE_ROW (a row is ready), STORE_DONE (no more rows;
 * the statement is reset) or STORE_ERROR (reset, *error set with SQLite's
 * message). Every read loop uses it, so that a damaged database is an error
 * (exit 3), never an empty answer. */
enum { STORE_ERROR = -1, STORE_DONE = 0, STORE_ROW = 1 };
int store_step(Store *store, sqlite3_stmt *stmt, GError **error);
/* store_prepare() with parameter 1 bound to `id` (a case or message row):
 * the form most reads and writes of one row take. */
sqlite3_stmt *store_prepare_id(Store *store, const char *sql, gint64 id, GError **error);
/* A step that must give a row: TRUE with the row ready; else FALSE, the
 * statement reset and *error "WHAT: no row" (CPR_ERROR_STORE) or SQLite's
 * message prefixed "WHAT: ". */
gboolean store_step_row(Store *store, sqlite3_stmt *stmt, const char *what, GError **error);
/* One row of a read, lent to a StoreRowFn for the length of the call
 * (sqlite3_column_*() on `row`). `data` is the caller's. Return FALSE with
 * *error set to stop the read. */
typedef gboolean (*StoreRowFn)(sqlite3_stmt *row, gpointer data, GError **error);
/* The read loop: step `stmt` to its end and hand each row, in the
 * statement's order, to `fn`. TRUE when every row was handed over and the
 * statement is done. FALSE when `fn` stopped (its error passed on as it is)
 * or the read failed (SQLite's message, prefixed "WHAT: " unless `what` is
 * NULL); either way the statement is reset, so no read stays open. */
gboolean store_each_row(Store *store, sqlite3_stmt *stmt, StoreRowFn fn, gpointer data,
                        const char *what, GError **error);
/* Step `stmt` to its end, appending the first column of each row (as a
 * gint64) to `out`, an array of gint64. */
gboolean store_int64s(Store *store, sqlite3_stmt *stmt, GArray *out, GError **error);
/* Step `stmt` to its end, appending the first column of each row that is not
 * NULL, as a new string, to `out` (char*; its owner frees them). `what` as
 * for store_each_row(). */
gboolean store_texts(Store *store, sqlite3_stmt *stmt, GPtrArray *out, const char *what,
                     GError **error);
/* Column `col` of the current row as a new string; NULL for SQL NULL. */
char *store_column_dup(sqlite3_stmt *stmt, int col);
/* Step a statement to completion expecting no rows (SQLITE_DONE). */
gboolean store_step_done(Store *store, sqlite3_stmt *stmt, GError **error);
/* Set *error from the connection's last error, prefixed with `what`. */
void store_set_error(Store *store, GError **error, const char *what);

/* --- IMAP folder state (the source of truth for catch-up, not server flags) --- */

/* The stored UIDVALIDITY and last committed UID of `folder`; both 0 when the
 * folder was never synced. */
gboolean store_folder_get(Store *store, const char *folder, guint32 *uidvalidity_r,
                          guint32 *last_uid_r, GError **error);
/* Record a (new) UIDVALIDITY. When it differs from the stored one, last_uid is
 * reset to 0 (the folder is re-scanned; Message-ID / raw-hash de-duplication
 * keeps that from doubling anything) and an event is written. */
gboolean store_folder_set_uidvalidity(Store *store, const char *folder, guint32 uidvalidity,
                                      GError **error);
/* Advance last_uid (never backwards). Call inside the message's transaction. */
gboolean store_folder_advance(Store *store, const char *folder, guint32 uidvalidity, guint32 uid,
                              GError **error);
/* Health bookkeeping for `status`: last sync time, connection state, last error. */
gboolean store_folder_note_sync(Store *store, const char *folder, gint64 at, GError **error);
gboolean store_health_set(Store *store, const char *key, const char *value, gint64 at,
                          GError **error);
/* Value and time of a health key; *value_r NULL when unset. Caller frees. */
gboolean store_health_get(Store *store, const char *key, char **value_r, gint64 *at_r,
                          GError **error);

/* --- audit events (hash-chained; see audit.h for verification) --- */

/* Append one event row. `case_id` 0 = no case. `details_json` may be NULL.
 * `at` is Unix seconds UTC. Must run inside a transaction of the caller's, so
 * the event commits with the change it records. */
gboolean store_event_append(Store *store, gint64 at, const char *actor, gint64 case_id,
                            const char *type, const char *details_json, GError **error);

/* prev_hash of the first event. */
#define STORE_GENESIS_HASH "0000000000000000000000000000000000000000000000000000000000000000"
/* The chain hash of one event row (hex SHA-256); caller frees. audit verify
 * recomputes it for every row. recorded_at: schema 4 on; 0 = a row from
 * before, hashed in the v1 form without it. */
char *store_event_hash2(const char *prev_hash, gint64 id, gint64 at, const char *actor,
                        gint64 case_id, const char *type, const char *details_json,
                        gint64 recorded_at);

#endif
