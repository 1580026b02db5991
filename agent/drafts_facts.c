/* drafts_facts.c - what a draft says about a case, read from the database
 * (see drafts_internal.h): its certificates and identifiers, the clocks the
 * report and the bug name, who wrote which message, and the first report's
 * text. The case's people are CaseRedaction's business, not this file's. */
#include <json-glib/json-glib.h>
#include <string.h>

#include "bounds.h"
#include "certinfo.h"
#include "drafts_internal.h"
#include "extract.h"
#include "mime.h"

static void cert_free(gpointer p)
{
    DraftsCert *c = p;
    g_free(c->serial);
    g_free(c->sha256);
    g_free(c->subject);
    g_free(c->issuer);
    g_free(c->type);
    g_free(c);
}

void drafts_facts_free(DraftsFacts **f)
{
    if (!f || !*f)
        return;
    case_row_free(&(*f)->row);
    g_clear_pointer(&(*f)->kinds, g_ptr_array_unref);
    g_clear_pointer(&(*f)->authors, g_ptr_array_unref);
    g_free((*f)->first_report_text);
    g_clear_pointer(&(*f)->certs, g_ptr_array_unref);
    g_clear_pointer(&(*f)->crtsh_ids, g_ptr_array_unref);
    g_clear_pointer(&(*f)->domains, g_ptr_array_unref);
    g_free(*f);
    *f = NULL;
}

static gboolean in_array(const GPtrArray *a, const char *s)
{
    for (guint i = 0; s && a && i < a->len; i++)
        if (g_strcmp0(g_ptr_array_index(a, i), s) == 0)
            return TRUE;
    return FALSE;
}

/* Reset `st` and say whether its last step (`rc`) ended anywhere but at the
 * end of the rows, setting the store's error if so. */
static gboolean step_failed(Store *store, sqlite3_stmt *st, int rc, GError **error)
{
    sqlite3_reset(st);
    if (rc != STORE_DONE) {
        g_prefix_error(error, "cannot read the case: ");
        return TRUE;
    }
    return FALSE;
}

static gboolean legacy_type(Store *store, gint64 row, const char *sha256, char **type_r,
                            GError **error);

static gboolean load_identifiers(Store *store, const CaseRedaction *cr, DraftsFacts *f,
                                 GError **error)
{
    g_autoptr(GPtrArray) serials = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) sha256 = g_ptr_array_new_with_free_func(g_free);
    sqlite3_stmt *st = store_prepare(
        store,
        "SELECT DISTINCT i.type, i.value FROM messages m CROSS JOIN identifiers i "
        "ON i.message_row = m.id WHERE m.case_id = ? ORDER BY i.type, i.value",
        error);
    if (!st)
        return FALSE;
    sqlite3_bind_int64(st, 1, f->row->id);
    int rc;
    while ((rc = store_step(store, st, error)) == STORE_ROW) {
        const char *type = (const char *)sqlite3_column_text(st, 0);
        const char *value = (const char *)sqlite3_column_text(st, 1);
        /* A domain under a person's address would point at the reporter:
         * the draft does not list it (nor does redaction protect it). */
        if (!g_strcmp0(type, "domain") && value && case_redaction_domain_of_person(cr, value))
            continue;
        GPtrArray *to = !g_strcmp0(type, "serial")     ? serials
                        : !g_strcmp0(type, "sha256")   ? sha256
                        : !g_strcmp0(type, "crtsh_id") ? f->crtsh_ids
                        : !g_strcmp0(type, "domain")   ? f->domains
                                                       : NULL;
        if (to)
            g_ptr_array_add(to, store_column_dup(st, 1));
    }
    if (step_failed(store, st, rc, error))
        return FALSE;

    /* Certificates parsed from attachments pair a serial with its SHA-256;
     * identifiers found alone are listed alone. */
    st = store_prepare(store,
                       "SELECT c.serial, c.sha256, min(c.subject), min(c.issuer), "
                       "coalesce(min(c.not_before), 0), coalesce(min(c.not_after), 0), "
                       "max(c.policy_oids), min(c.message_row) "
                       "FROM certificates c JOIN messages m ON m.id = c.message_row "
                       "WHERE m.case_id = ? GROUP BY c.serial, c.sha256 "
                       "ORDER BY c.serial, c.sha256",
                       error);
    if (!st)
        return FALSE;
    sqlite3_bind_int64(st, 1, f->row->id);
    g_autoptr(GArray) legacy = g_array_new(FALSE, FALSE, sizeof(gint64)); /* cert i, row */
    while ((rc = store_step(store, st, error)) == STORE_ROW) {
        if (sqlite3_column_type(st, 6) == SQLITE_NULL) {
            gint64 pair[2] = {f->certs->len, sqlite3_column_int64(st, 7)};
            g_array_append_vals(legacy, pair, 2);
        }
        DraftsCert *c = g_new0(DraftsCert, 1);
        c->serial = store_column_dup(st, 0);
        c->sha256 = store_column_dup(st, 1);
        c->subject = store_column_dup(st, 2);
        c->issuer = store_column_dup(st, 3);
        c->not_before = sqlite3_column_int64(st, 4);
        c->not_after = sqlite3_column_int64(st, 5);
        c->type = drafts_facts_cert_type((const char *)sqlite3_column_text(st, 6));
        g_ptr_array_add(f->certs, c);
    }
    if (step_failed(store, st, rc, error))
        return FALSE;
    /* rows stored before policies were read: read them from the stored mail */
    for (guint i = 0; i + 1 < legacy->len; i += 2) {
        DraftsCert *c = g_ptr_array_index(f->certs, g_array_index(legacy, gint64, i));
        char *type = NULL;
        if (!legacy_type(store, g_array_index(legacy, gint64, i + 1), c->sha256, &type, error))
            return FALSE;
        if (type) {
            g_free(c->type);
            c->type = type;
        }
    }
    g_autoptr(GPtrArray) paired_serials = g_ptr_array_new();
    g_autoptr(GPtrArray) paired_sha = g_ptr_array_new();
    for (guint i = 0; i < f->certs->len; i++) {
        DraftsCert *c = g_ptr_array_index(f->certs, i);
        g_ptr_array_add(paired_serials, c->serial);
        g_ptr_array_add(paired_sha, c->sha256);
    }
    for (guint i = 0; i < serials->len; i++) {
        const char *s = g_ptr_array_index(serials, i);
        if (in_array(paired_serials, s))
            continue;
        DraftsCert *c = g_new0(DraftsCert, 1);
        c->serial = g_strdup(s);
        g_ptr_array_add(f->certs, c);
    }
    for (guint i = 0; i < sha256->len; i++) {
        const char *s = g_ptr_array_index(sha256, i);
        if (in_array(paired_sha, s))
            continue;
        DraftsCert *c = g_new0(DraftsCert, 1);
        c->sha256 = g_strdup(s);
        g_ptr_array_add(f->certs, c);
    }
    return TRUE;
}

/* The type named by a list of policy OIDs (char*; NULL entries skipped). */
static char *type_of_oids(const GPtrArray *oids)
{
    if (!oids || oids->len == 0)
        return g_strdup("unknown (no certificate policies)");
    g_autoptr(GPtrArray) types = g_ptr_array_new();
    for (guint i = 0; i < oids->len; i++) {
        const char *type = certinfo_policy_type(g_ptr_array_index(oids, i));
        if (type && !g_ptr_array_find_with_equal_func(types, type, g_str_equal, NULL))
            g_ptr_array_add(types, (gpointer)type);
    }
    if (types->len == 0)
        return g_strdup("unknown (no CA/Browser Forum policy OID)");
    g_ptr_array_add(types, NULL);
    return g_strjoinv(" and ", (char **)types->pdata);
}

char *drafts_facts_cert_type(const char *policy_json)
{
    if (!policy_json)
        return g_strdup("unknown (stored before cpr-intake read certificate policies)");
    g_autoptr(JsonParser) p = json_parser_new();
    JsonArray *a = NULL;
    if (json_parser_load_from_data(p, policy_json, -1, NULL) &&
        JSON_NODE_HOLDS_ARRAY(json_parser_get_root(p)))
        a = json_node_get_array(json_parser_get_root(p));
    g_autoptr(GPtrArray) oids = g_ptr_array_new();
    for (guint i = 0; a && i < json_array_get_length(a); i++) {
        JsonNode *n = json_array_get_element(a, i);
        if (JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING)
            g_ptr_array_add(oids, (gpointer)json_node_get_string(n));
    }
    return type_of_oids(oids);
}

/* A certificate row stored before policies were read (schema < 8): its type
 * from the stored raw message `row`, parsed again, or *type_r NULL when the
 * certificate is not found there. FALSE only on a database error. */
static gboolean legacy_type(Store *store, gint64 row, const char *sha256, char **type_r,
                            GError **error)
{
    *type_r = NULL;
    sqlite3_stmt *st = store_prepare(store, "SELECT " STORE_RAW_OF("messages.id") " FROM messages WHERE id = ?", error);
    if (!st)
        return FALSE;
    sqlite3_bind_int64(st, 1, row);
    int rc = store_step(store, st, error);
    if (rc == STORE_ROW) {
        const guint8 *raw = sqlite3_column_blob(st, 0);
        gsize len = (gsize)sqlite3_column_bytes(st, 0);
        Bounds bounds = bounds_default();
        MimeMessage *msg = mime_message_parse(raw ? raw : (const guint8 *)"", len, &bounds);
        Identifiers *ids = extract_identifiers(msg, NULL);
        for (guint i = 0; ids->certs && i < ids->certs->len && !*type_r; i++) {
            const CertInfo *ci = g_ptr_array_index(ids->certs, i);
            if (!g_strcmp0(ci->sha256_hex, sha256))
                *type_r = type_of_oids(ci->policy_oids);
        }
        extract_identifiers_free(&ids);
        mime_message_free(&msg);
        rc = store_step(store, st, error);
    }
    return !step_failed(store, st, rc, error);
}

/* The two clocks a draft names; the rest of the case is its row. */
static gboolean load_clocks(Store *store, DraftsFacts *f, GError **error)
{
    sqlite3_stmt *st = store_prepare_id(store,
                                        "SELECT clock, coalesce(due_at, 0), coalesce(met_at, 0) "
                                        "FROM clocks WHERE case_id = ? "
                                        "AND clock IN ('full_report', 'revocation')",
                                        f->row->id, error);
    if (!st)
        return FALSE;
    int rc;
    while ((rc = store_step(store, st, error)) == STORE_ROW) {
        const char *clock = (const char *)sqlite3_column_text(st, 0);
        if (!g_strcmp0(clock, "full_report")) {
            f->full_report_due = sqlite3_column_int64(st, 1);
        } else {
            f->revocation_due = sqlite3_column_int64(st, 1);
            f->revocation_met = sqlite3_column_int64(st, 2);
        }
    }
    return !step_failed(store, st, rc, error);
}

gboolean drafts_facts_is_report(const char *kind)
{
    return g_strcmp0(kind, "auto_reply") && g_strcmp0(kind, "other");
}

/* Who wrote each message, and the text of the first report (else of the first
 * message). Only that one message is parsed again: CaseRedaction has already
 * read every message for the case's people. */
static gboolean load_messages(Store *store, DraftsFacts *f, GError **error)
{
    sqlite3_stmt *st = store_prepare(store,
                                     "SELECT id, kind, from_email FROM messages WHERE case_id = ? "
                                     "ORDER BY aware_at, id",
                                     error);
    if (!st)
        return FALSE;
    sqlite3_bind_int64(st, 1, f->row->id);
    gint64 first_row = 0, first_report_row = 0;
    int rc;
    while ((rc = store_step(store, st, error)) == STORE_ROW) {
        char *kind = store_column_dup(st, 1);
        if (!first_row)
            first_row = sqlite3_column_int64(st, 0);
        if (!first_report_row && drafts_facts_is_report(kind))
            first_report_row = sqlite3_column_int64(st, 0);
        g_ptr_array_add(f->kinds, kind);
        g_ptr_array_add(f->authors, store_column_dup(st, 2));
    }
    if (step_failed(store, st, rc, error))
        return FALSE;
    gint64 row = first_report_row ? first_report_row : first_row;
    if (!row)
        return TRUE;

    st = store_prepare(store, "SELECT raw FROM message_raw WHERE message_row = ?", error);
    if (!st)
        return FALSE;
    sqlite3_bind_int64(st, 1, row);
    rc = store_step(store, st, error);
    if (rc == STORE_ROW) {
        const guint8 *raw = sqlite3_column_blob(st, 0);
        gsize len = (gsize)sqlite3_column_bytes(st, 0);
        Bounds bounds = bounds_default();
        MimeMessage *msg = mime_message_parse(raw ? raw : (const guint8 *)"", len, &bounds);
        f->first_report_text = g_strdup(msg->text);
        mime_message_free(&msg);
        rc = store_step(store, st, error);
    }
    return !step_failed(store, st, rc, error);
}

DraftsFacts *drafts_facts_load(Store *store, const CaseRedaction *cr, gint64 case_id,
                               GError **error)
{
    g_autoptr(DraftsFacts) f = g_new0(DraftsFacts, 1);
    f->row = cases_load_id(store, case_id, error);
    if (!f->row)
        return NULL;
    f->kinds = g_ptr_array_new_with_free_func(g_free);
    f->authors = g_ptr_array_new_with_free_func(g_free);
    f->certs = g_ptr_array_new_with_free_func(cert_free);
    f->crtsh_ids = g_ptr_array_new_with_free_func(g_free);
    f->domains = g_ptr_array_new_with_free_func(g_free);
    if (!load_clocks(store, f, error) || !load_identifiers(store, cr, f, error) ||
        !load_messages(store, f, error))
        return NULL;
    return g_steal_pointer(&f);
}

guint drafts_facts_certificate_count(const DraftsFacts *f)
{
    return f->certs->len > 0 ? f->certs->len : f->crtsh_ids->len;
}

gboolean drafts_facts_count_is_upper_bound(const DraftsFacts *f)
{
    gboolean serial_only = FALSE, sha_only = FALSE;
    for (guint i = 0; i < f->certs->len; i++) {
        const DraftsCert *c = g_ptr_array_index(f->certs, i);
        serial_only |= c->serial && !c->sha256;
        sha_only |= c->sha256 && !c->serial;
    }
    return serial_only && sha_only;
}

const ReasonRow *drafts_facts_reason(const DraftsFacts *f)
{
    return reasons_row(f->row->revocation_reason);
}

const char *drafts_facts_reason_source(const DraftsFacts *f)
{
    return f->row->reason_source;
}

const char *drafts_facts_incident(const DraftsFacts *f)
{
    return f->row->incident ? f->row->incident : "undetermined";
}

const char *drafts_facts_incident_rationale(const DraftsFacts *f)
{
    return f->row->incident_rationale;
}
