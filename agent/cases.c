/* cases.c - case rows and case lookup (see cases.h). */
#include <string.h>

#include "cases.h"
#include "cpr_error.h"
#include "jsonutil.h"

gboolean cases_create(Store *store, const char *kind, const char *list, const char *problem,
                      const char *title, gint64 aware_at, const char *aware_source, gint64 now,
                      gint64 *case_id_r, char **reference_r, GError **error)
{
    /* References number cases per year of awareness, as CAs cite them. */
    g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(aware_at);
    int year = dt ? g_date_time_get_year(dt) : 1970;
    sqlite3_stmt *st =
        store_prepare(store, "SELECT coalesce(max(seq), 0) + 1 FROM cases WHERE year = ?", error);
    if (!st)
        return FALSE;
    sqlite3_bind_int(st, 1, year);
    if (!store_step_row(store, st, "cannot number case", error))
        return FALSE;
    gint64 seq = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    g_autofree char *reference = g_strdup_printf("CPR-%04d-%04" G_GINT64_FORMAT, year, seq);

    st = store_prepare(store,
                       "INSERT INTO cases (reference, year, seq, kind, list, problem, title, "
                       "aware_at, aware_source, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       error);
    if (!st)
        return FALSE;
    sqlite3_bind_text(st, 1, reference, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 2, year);
    sqlite3_bind_int64(st, 3, seq);
    sqlite3_bind_text(st, 4, kind, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 5, list, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 6, problem, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 7, title, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 8, aware_at);
    sqlite3_bind_text(st, 9, aware_source, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 10, now);
    if (!store_step_done(store, st, error))
        return FALSE;
    *case_id_r = sqlite3_last_insert_rowid(store_db(store));
    if (reference_r)
        *reference_r = g_steal_pointer(&reference);
    return TRUE;
}

/* Run a one-column integer query; *value_r = 0 when it returns no row. */
static gboolean query_id(Store *store, sqlite3_stmt *st, gint64 *value_r, GError **error)
{
    int rc = store_step(store, st, error);
    *value_r = rc == STORE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    if (rc == STORE_ERROR) {
        g_prefix_error(error, "case lookup failed: ");
        return FALSE;
    }
    return TRUE;
}

gboolean cases_find_by_message_ids(Store *store, const GPtrArray *message_ids, gint64 *case_id_r,
                                   GError **error)
{
    *case_id_r = 0;
    for (guint i = 0; message_ids && i < message_ids->len && !*case_id_r; i++) {
        sqlite3_stmt *st = store_prepare(
            store, "SELECT case_id FROM messages WHERE message_id = ? AND case_id IS NOT NULL",
            error);
        if (!st)
            return FALSE;
        sqlite3_bind_text(st, 1, g_ptr_array_index(message_ids, i), -1, SQLITE_TRANSIENT);
        if (!query_id(store, st, case_id_r, error))
            return FALSE;
    }
    return TRUE;
}

gboolean cases_find_by_reference(Store *store, const char *reference, gint64 *case_id_r,
                                 GError **error)
{
    sqlite3_stmt *st = store_prepare(store, "SELECT id FROM cases WHERE reference = ?", error);
    if (!st)
        return FALSE;
    sqlite3_bind_text(st, 1, reference, -1, SQLITE_TRANSIENT);
    return query_id(store, st, case_id_r, error);
}

/* A JSON array of the strings, for json_each(). */
static char *strings_json(const GPtrArray *values)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_array(b);
    for (guint i = 0; values && i < values->len; i++)
        json_builder_add_string_value(b, g_ptr_array_index(values, i));
    json_builder_end_array(b);
    return jsonutil_builder_to_string(b, FALSE);
}

/* One query however many identifiers the message names (a CSV of serials can
 * hold hundreds): each IN (json_each) list is looked up through
 * identifiers_value (type, value). */
gboolean cases_find_by_certificate(Store *store, const GPtrArray *serials, const GPtrArray *sha256,
                                   gint64 *case_id_r, GError **error)
{
    *case_id_r = 0;
    if ((!serials || serials->len == 0) && (!sha256 || sha256->len == 0))
        return TRUE;
    sqlite3_stmt *st = store_prepare(
        store,
        "SELECT coalesce(min(id), 0) FROM ("
        " SELECT c.id AS id FROM identifiers i JOIN messages m ON m.id = i.message_row"
        " JOIN cases c ON c.id = m.case_id"
        " WHERE i.type = 'serial' AND i.value IN (SELECT value FROM json_each(?1))"
        " AND c.status = 'open'"
        " UNION ALL"
        " SELECT c.id FROM identifiers i JOIN messages m ON m.id = i.message_row"
        " JOIN cases c ON c.id = m.case_id"
        " WHERE i.type = 'sha256' AND i.value IN (SELECT value FROM json_each(?2))"
        " AND c.status = 'open')",
        error);
    if (!st)
        return FALSE;
    g_autofree char *serials_json = strings_json(serials);
    g_autofree char *sha256_json = strings_json(sha256);
    sqlite3_bind_text(st, 1, serials_json, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, sha256_json, -1, SQLITE_TRANSIENT);
    return query_id(store, st, case_id_r, error);
}

CaseRow *cases_load_id(Store *store, gint64 id, GError **error)
{
    sqlite3_stmt *st = store_prepare_id(store,
                                        "SELECT id, reference, kind, list, problem, title, "
                                        "aware_at, aware_source, status, created_at, "
                                        "coalesce(revocation_reason, 0), reason_source, "
                                        "reason_candidates, incident, incident_rationale, "
                                        "coalesce(bug_id, 0), security_sensitive "
                                        "FROM cases WHERE id = ?",
                                        id, error);
    if (!st)
        return NULL;
    int rc = store_step(store, st, error);
    if (rc != STORE_ROW) {
        if (rc == STORE_DONE)
            g_set_error(error, CPR_ERROR, CPR_ERROR_INPUT, "no case %" G_GINT64_FORMAT, id);
        else
            g_prefix_error(error, "cannot read case: ");
        sqlite3_reset(st);
        return NULL;
    }
    CaseRow *row = g_new0(CaseRow, 1);
    row->id = sqlite3_column_int64(st, 0);
    row->reference = store_column_dup(st, 1);
    row->kind = store_column_dup(st, 2);
    row->list = store_column_dup(st, 3);
    row->problem = store_column_dup(st, 4);
    row->title = store_column_dup(st, 5);
    row->aware_at = sqlite3_column_int64(st, 6);
    row->aware_source = store_column_dup(st, 7);
    row->status = store_column_dup(st, 8);
    row->created_at = sqlite3_column_int64(st, 9);
    row->revocation_reason = sqlite3_column_int(st, 10);
    row->reason_source = store_column_dup(st, 11);
    row->reason_candidates = (guint32)sqlite3_column_int64(st, 12);
    row->incident = store_column_dup(st, 13);
    row->incident_rationale = store_column_dup(st, 14);
    row->bug_id = sqlite3_column_int64(st, 15);
    row->security_sensitive = sqlite3_column_int(st, 16) != 0;
    sqlite3_reset(st);
    return row;
}

CaseRow *cases_load(Store *store, const char *key, GError **error)
{
    guint64 id = 0;
    if (g_ascii_string_to_unsigned(key, 10, 1, G_MAXINT64, &id, NULL))
        return cases_load_id(store, (gint64)id, error);
    gint64 found = 0;
    g_autofree char *upper = g_ascii_strup(key, -1);
    if (!cases_find_by_reference(store, upper, &found, error))
        return NULL;
    if (!found) {
        g_set_error(error, CPR_ERROR, CPR_ERROR_INPUT,
                    "no case \"%s\" (expected a case number or a reference like CPR-2026-0001)",
                    key);
        return NULL;
    }
    return cases_load_id(store, found, error);
}

void case_row_free(CaseRow **row)
{
    if (!row || !*row)
        return;
    CaseRow *r = *row;
    g_free(r->reference);
    g_free(r->kind);
    g_free(r->list);
    g_free(r->problem);
    g_free(r->title);
    g_free(r->aware_source);
    g_free(r->status);
    g_free(r->reason_source);
    g_free(r->incident);
    g_free(r->incident_rationale);
    g_free(r);
    *row = NULL;
}

gboolean cases_update_facts(Store *store, gint64 case_id, const char *problem, gint64 aware_at,
                            const char *aware_source, GError **error)
{
    sqlite3_stmt *st = store_prepare(
        store, "UPDATE cases SET problem = ?, aware_at = ?, aware_source = ? WHERE id = ?", error);
    if (!st)
        return FALSE;
    sqlite3_bind_text(st, 1, problem, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, aware_at);
    sqlite3_bind_text(st, 3, aware_source, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 4, case_id);
    return store_step_done(store, st, error);
}

gboolean cases_set_status(Store *store, gint64 case_id, const char *status, GError **error)
{
    sqlite3_stmt *st = store_prepare(store, "UPDATE cases SET status = ? WHERE id = ?", error);
    if (!st)
        return FALSE;
    sqlite3_bind_text(st, 1, status, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, case_id);
    return store_step_done(store, st, error);
}
