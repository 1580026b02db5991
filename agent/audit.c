/* audit.c - hash-chain verification and event export (see audit.h). */
#include <string.h>

#include "audit.h"
#include "cpr_error.h"
#include "jsonutil.h"
#include "timefmt.h"

static gboolean tampered(GError **error, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static gboolean audit_verify_snapshot(Store *store, gint64 *rows_r, GError **error);

#define TAMPER_PREFIX "audit trail broken: "

static gboolean tampered(GError **error, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *what = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error(error, CPR_ERROR, CPR_ERROR_STORE, TAMPER_PREFIX "%s", what);
    return FALSE;
}

gboolean audit_error_is_tamper(const GError *error)
{
    return error && g_error_matches(error, CPR_ERROR, CPR_ERROR_STORE) &&
           g_str_has_prefix(error->message, TAMPER_PREFIX);
}

gboolean audit_verify(Store *store, gint64 *rows_r, GError **error)
{
    /* One read transaction: the rows and the recorded head must come from the
     * same snapshot, or a writer committing in between (the daemon) would
     * look like a cut-off tail. */
    if (sqlite3_exec(store_db(store), "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
        store_set_error(store, error, "cannot start a read transaction");
        return FALSE;
    }
    gboolean ok = audit_verify_snapshot(store, rows_r, error);
    sqlite3_exec(store_db(store), "COMMIT", NULL, NULL, NULL);
    return ok;
}

static gboolean audit_verify_snapshot(Store *store, gint64 *rows_r, GError **error)
{
    sqlite3_stmt *st = store_prepare(
        store, "SELECT id, at, actor, coalesce(case_id, 0), type, details, prev_hash, hash, "
               "coalesce(recorded_at, 0) FROM events ORDER BY id",
        error);
    if (!st)
        return FALSE;
    g_autofree char *prev = g_strdup(STORE_GENESIS_HASH);
    gint64 expect_id = 1, rows = 0;
    int rc;
    gboolean ok = TRUE;
    while (ok && (rc = store_step(store, st, error)) == STORE_ROW) {
        gint64 id = sqlite3_column_int64(st, 0);
        const char *prev_hash = (const char *)sqlite3_column_text(st, 6);
        const char *hash = (const char *)sqlite3_column_text(st, 7);
        g_autofree char *computed = store_event_hash2(
            prev_hash ? prev_hash : "", id, sqlite3_column_int64(st, 1),
            (const char *)sqlite3_column_text(st, 2), sqlite3_column_int64(st, 3),
            (const char *)sqlite3_column_text(st, 4), (const char *)sqlite3_column_text(st, 5),
            sqlite3_column_int64(st, 8));
        if (id != expect_id)
            ok = tampered(error, "event row %" G_GINT64_FORMAT " follows row %" G_GINT64_FORMAT
                          ": row(s) deleted or inserted", id, expect_id - 1);
        else if (g_strcmp0(prev_hash, prev) != 0)
            ok = tampered(error, "event row %" G_GINT64_FORMAT " does not chain to row %"
                          G_GINT64_FORMAT ": a row was replaced, deleted or inserted", id, id - 1);
        else if (g_strcmp0(hash, computed) != 0)
            ok = tampered(error, "event row %" G_GINT64_FORMAT " was modified (hash mismatch)", id);
        g_free(prev);
        prev = g_strdup(hash);
        expect_id = id + 1;
        rows++;
    }
    sqlite3_reset(st);
    if (!ok)
        return FALSE;
    if (rc != STORE_DONE) {
        g_prefix_error(error, "cannot read events: ");
        return FALSE;
    }
    /* The head recorded with the last append catches a cut-off tail. */
    g_autofree char *head = NULL;
    if (!store_health_get(store, "audit.head", &head, NULL, error))
        return FALSE;
    g_autofree char *expect_head = g_strdup_printf("%" G_GINT64_FORMAT ":%s", rows, prev);
    if (head && g_strcmp0(head, expect_head) != 0) {
        g_auto(GStrv) parts = g_strsplit(head, ":", 2);
        return tampered(error, "the last recorded event is row %s but the log ends at row %"
                        G_GINT64_FORMAT ": rows deleted at the end", parts[0], rows);
    }
    if (!head && rows > 0)
        return tampered(error, "the recorded head of the log is missing");
    if (rows_r)
        *rows_r = rows;
    return TRUE;
}

static void csv_field(GString *out, const char *value)
{
    g_string_append_c(out, '"');
    for (const char *p = value ? value : ""; *p; p++) {
        if (*p == '"')
            g_string_append_c(out, '"');
        g_string_append_c(out, *p);
    }
    g_string_append_c(out, '"');
}

gboolean audit_export(Store *store, gint64 case_id, gint64 since, AuditFormat format,
                      GString *out, GError **error)
{
    sqlite3_stmt *st = store_prepare(
        store,
        "SELECT e.id, e.at, e.actor, coalesce(e.case_id, 0), c.reference, e.type, e.details, "
        "e.hash FROM events e LEFT JOIN cases c ON c.id = e.case_id "
        "WHERE (?1 = 0 OR e.case_id = ?1) AND e.at >= ?2 ORDER BY e.id",
        error);
    if (!st)
        return FALSE;
    sqlite3_bind_int64(st, 1, case_id);
    sqlite3_bind_int64(st, 2, since);
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_array(b);
    if (format == AUDIT_FORMAT_CSV)
        g_string_append(out, "id,at,actor,case_id,case_reference,type,details,hash\n");
    int rc;
    while ((rc = store_step(store, st, error)) == STORE_ROW) {
        gint64 id = sqlite3_column_int64(st, 0);
        g_autofree char *at = timefmt_rfc3339(sqlite3_column_int64(st, 1));
        const char *actor = (const char *)sqlite3_column_text(st, 2);
        gint64 cid = sqlite3_column_int64(st, 3);
        const char *ref = (const char *)sqlite3_column_text(st, 4);
        const char *type = (const char *)sqlite3_column_text(st, 5);
        const char *details = (const char *)sqlite3_column_text(st, 6);
        const char *hash = (const char *)sqlite3_column_text(st, 7);
        if (format == AUDIT_FORMAT_CSV) {
            g_string_append_printf(out, "%" G_GINT64_FORMAT ",%s,", id, at);
            csv_field(out, actor);
            g_string_append_c(out, ',');
            if (cid)
                g_string_append_printf(out, "%" G_GINT64_FORMAT, cid);
            g_string_append_c(out, ',');
            csv_field(out, ref);
            g_string_append_c(out, ',');
            csv_field(out, type);
            g_string_append_c(out, ',');
            csv_field(out, details);
            g_string_append_printf(out, ",%s\n", hash);
            continue;
        }
        json_builder_begin_object(b);
        jsonutil_add_int(b, "id", id);
        jsonutil_add_string(b, "at", at);
        jsonutil_add_string(b, "actor", actor);
        json_builder_set_member_name(b, "case_id");
        if (cid)
            json_builder_add_int_value(b, cid);
        else
            json_builder_add_null_value(b);
        jsonutil_add_string(b, "case_reference", ref);
        jsonutil_add_string(b, "type", type);
        json_builder_set_member_name(b, "details");
        /* Rows written before every document went through the sanitiser may
         * hold raw control characters, which json-glib's parser refuses. */
        g_autofree char *clean = jsonutil_escape_controls(details);
        JsonNode *node = clean ? json_from_string(clean, NULL) : NULL;
        if (node)
            json_builder_add_value(b, node);
        else
            json_builder_add_null_value(b);
        jsonutil_add_string(b, "hash", hash);
        json_builder_end_object(b);
    }
    sqlite3_reset(st);
    if (rc != STORE_DONE) {
        g_prefix_error(error, "cannot read events: ");
        return FALSE;
    }
    json_builder_end_array(b);
    if (format == AUDIT_FORMAT_JSON) {
        g_autofree char *json = jsonutil_builder_to_string(b, TRUE);
        g_string_append(out, json);
        g_string_append_c(out, '\n');
    }
    return TRUE;
}
