/* consent.c - the consent registry (see consent.h).
 *
 * The consent table keeps the current state, one row per address; every
 * grant and revocation is also a row of consent_history (who, when, on which
 * evidence), so a later grant never erases the evidence of an earlier one.
 * The events table records the same changes, hash-chained. */
#include <string.h>

#include "consent.h"
#include "cpr_error.h"
#include "jsonutil.h"

#define CONSENT_MAX_EMAIL 254
#define CONSENT_MAX_NAME 200
#define CONSENT_MAX_EVIDENCE 2000

void consent_entry_free(ConsentEntry **entry)
{
    if (!entry || !*entry)
        return;
    g_free((*entry)->email);
    g_free((*entry)->name);
    g_free((*entry)->evidence);
    g_free(*entry);
    *entry = NULL;
}

static void consent_entry_destroy(gpointer p)
{
    ConsentEntry *e = p;
    consent_entry_free(&e);
}

static gboolean local_char_ok(char c)
{
    return g_ascii_isalnum(c) || (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~.", c) != NULL);
}

gboolean consent_email_valid(const char *email)
{
    if (!email)
        return FALSE;
    gsize len = strlen(email);
    const char *at = strchr(email, '@');
    if (len == 0 || len > CONSENT_MAX_EMAIL || !at || at == email || strchr(at + 1, '@'))
        return FALSE;
    if (at - email > 64 || email[0] == '.' || at[-1] == '.')
        return FALSE;
    for (const char *p = email; p < at; p++)
        if (!local_char_ok(*p) || (p[0] == '.' && p[1] == '.'))
            return FALSE;
    /* the domain: dot-separated labels of letters, digits and inner hyphens */
    const char *domain = at + 1;
    guint labels = 0;
    const char *label = domain;
    for (const char *p = domain;; p++) {
        if (*p == '.' || *p == '\0') {
            gsize n = p - label;
            if (n == 0 || n > 63 || label[0] == '-' || p[-1] == '-')
                return FALSE;
            labels++;
            if (*p == '\0')
                break;
            label = p + 1;
        } else if (!g_ascii_isalnum(*p) && *p != '-') {
            return FALSE;
        }
    }
    return labels >= 2;
}

static gboolean blank(const char *s)
{
    if (!s)
        return TRUE;
    for (; *s; s++)
        if (!g_ascii_isspace(*s))
            return FALSE;
    return TRUE;
}

/* The address as stored: trimmed, lower-case; NULL with error when invalid. */
static char *normalise_email(const char *email, GError **error)
{
    g_autofree char *copy = g_strstrip(g_strdup(email ? email : ""));
    char *lower = g_ascii_strdown(copy, -1);
    if (!consent_email_valid(lower)) {
        g_set_error(error, CPR_ERROR, CPR_ERROR_INPUT,
                    "\"%s\" is not an email address (expected local@domain.example)", copy);
        g_free(lower);
        return NULL;
    }
    return lower;
}

static char *event_details(const char *email, const char *name, const char *evidence)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    jsonutil_add_string(b, "email", email);
    if (name)
        jsonutil_add_string(b, "name", name);
    if (evidence)
        jsonutil_add_string(b, "evidence", evidence);
    json_builder_end_object(b);
    return jsonutil_builder_to_string(b, FALSE);
}

static gboolean history_add(Store *store, const char *email, const char *action,
                            const char *name, const char *evidence, const char *actor,
                            gint64 now, GError **error)
{
    sqlite3_stmt *st = store_prepare(
        store,
        "INSERT INTO consent_history (email, action, name, evidence, at, actor) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        error);
    if (!st)
        return FALSE;
    sqlite3_bind_text(st, 1, email, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, action, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, evidence, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 5, now);
    sqlite3_bind_text(st, 6, actor, -1, SQLITE_TRANSIENT);
    return store_step_done(store, st, error);
}

gboolean consent_grant(Store *store, const char *email, const char *name, const char *evidence,
                       const char *actor, gint64 now, GError **error)
{
    g_autofree char *addr = normalise_email(email, error);
    if (!addr)
        return FALSE;
    if (blank(evidence)) {
        g_set_error(error, CPR_ERROR, CPR_ERROR_INPUT,
                    "consent for %s needs --evidence (where the reporter approved being named)",
                    addr);
        return FALSE;
    }
    if (!g_utf8_validate(evidence, -1, NULL) || strlen(evidence) > CONSENT_MAX_EVIDENCE ||
        (name && (!g_utf8_validate(name, -1, NULL) || strlen(name) > CONSENT_MAX_NAME))) {
        g_set_error(error, CPR_ERROR, CPR_ERROR_INPUT,
                    "consent for %s: name (at most %d bytes) and evidence (at most %d bytes) "
                    "must be UTF-8 text", addr, CONSENT_MAX_NAME, CONSENT_MAX_EVIDENCE);
        return FALSE;
    }
    g_autofree char *clean_name = blank(name) ? NULL : g_strstrip(g_strdup(name));
    g_autofree char *clean_evidence = g_strstrip(g_strdup(evidence));
    g_autofree char *details = event_details(addr, clean_name, clean_evidence);

    if (!store_begin(store, error))
        return FALSE;
    sqlite3_stmt *st = store_prepare(
        store,
        "INSERT INTO consent (email, name, evidence, granted_at, revoked_at) "
        "VALUES (?1, ?2, ?3, ?4, NULL) ON CONFLICT(email) DO UPDATE SET "
        "name = excluded.name, evidence = excluded.evidence, "
        "granted_at = excluded.granted_at, revoked_at = NULL",
        error);
    gboolean ok = st != NULL;
    if (ok) {
        sqlite3_bind_text(st, 1, addr, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, clean_name, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 3, clean_evidence, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 4, now);
        ok = store_step_done(store, st, error) &&
             history_add(store, addr, "grant", clean_name, clean_evidence,
                         actor ? actor : "operator", now, error) &&
             store_event_append(store, now, actor ? actor : "operator", 0, "consent_granted",
                                details, error);
    }
    if (!ok) {
        store_rollback(store);
        return FALSE;
    }
    return store_commit(store, error);
}

gboolean consent_revoke(Store *store, const char *email, const char *actor, gint64 now,
                        GError **error)
{
    g_autofree char *addr = normalise_email(email, error);
    if (!addr)
        return FALSE;
    if (!store_begin(store, error))
        return FALSE;
    gboolean ok = FALSE;
    g_autofree char *details = event_details(addr, NULL, NULL);
    sqlite3_stmt *st = store_prepare(
        store, "UPDATE consent SET revoked_at = ?1 WHERE email = ?2 AND revoked_at IS NULL", error);
    if (!st)
        goto out;
    sqlite3_bind_int64(st, 1, now);
    sqlite3_bind_text(st, 2, addr, -1, SQLITE_TRANSIENT);
    if (!store_step_done(store, st, error))
        goto out;
    if (sqlite3_changes(store_db(store)) == 0) {
        g_set_error(error, CPR_ERROR, CPR_ERROR_INPUT, "no consent in force for %s", addr);
        goto out;
    }
    ok = history_add(store, addr, "revoke", NULL, NULL, actor ? actor : "operator", now, error) &&
         store_event_append(store, now, actor ? actor : "operator", 0, "consent_revoked", details,
                            error);
out:
    if (!ok) {
        store_rollback(store);
        return FALSE;
    }
    return store_commit(store, error);
}

static ConsentEntry *entry_from_row(sqlite3_stmt *st)
{
    ConsentEntry *e = g_new0(ConsentEntry, 1);
    e->email = store_column_dup(st, 0);
    e->name = store_column_dup(st, 1);
    e->evidence = store_column_dup(st, 2);
    e->granted_at = sqlite3_column_int64(st, 3);
    e->revoked_at = sqlite3_column_int64(st, 4);
    return e;
}

GPtrArray *consent_list(Store *store, GError **error)
{
    sqlite3_stmt *st = store_prepare(
        store, "SELECT email, name, evidence, granted_at, coalesce(revoked_at, 0) FROM consent "
               "ORDER BY email", error);
    if (!st)
        return NULL;
    GPtrArray *list = g_ptr_array_new_with_free_func(consent_entry_destroy);
    int rc;
    while ((rc = store_step(store, st, error)) == STORE_ROW)
        g_ptr_array_add(list, entry_from_row(st));
    sqlite3_reset(st);
    if (rc != STORE_DONE) {
        g_prefix_error(error, "cannot read consent: ");
        g_ptr_array_unref(list);
        return NULL;
    }
    return list;
}

GStrv consent_active_emails(Store *store, GError **error)
{
    sqlite3_stmt *st = store_prepare(
        store, "SELECT email FROM consent WHERE revoked_at IS NULL ORDER BY email", error);
    if (!st)
        return NULL;
    g_autoptr(GStrvBuilder) b = g_strv_builder_new();
    int rc;
    while ((rc = store_step(store, st, error)) == STORE_ROW)
        g_strv_builder_add(b, (const char *)sqlite3_column_text(st, 0));
    sqlite3_reset(st);
    if (rc != STORE_DONE) {
        g_prefix_error(error, "cannot read consent: ");
        return NULL;
    }
    return g_strv_builder_end(b);
}

ConsentEntry *consent_lookup(Store *store, const char *email, GError **error)
{
    if (!email)
        return NULL;
    sqlite3_stmt *st = store_prepare(
        store, "SELECT email, name, evidence, granted_at, 0 FROM consent "
               "WHERE email = lower(?1) AND revoked_at IS NULL", error);
    if (!st)
        return NULL;
    sqlite3_bind_text(st, 1, email, -1, SQLITE_TRANSIENT);
    int rc = store_step(store, st, error);
    ConsentEntry *e = rc == STORE_ROW ? entry_from_row(st) : NULL;
    sqlite3_reset(st);
    if (rc == STORE_ERROR)
        g_prefix_error(error, "cannot read consent: ");
    return e;
}

static void consent_change_free(ConsentChange **change)
{
    if (!change || !*change)
        return;
    g_free((*change)->email);
    g_free((*change)->action);
    g_free((*change)->name);
    g_free((*change)->evidence);
    g_free((*change)->actor);
    g_free(*change);
    *change = NULL;
}

static void consent_change_destroy(gpointer p)
{
    ConsentChange *c = p;
    consent_change_free(&c);
}

GPtrArray *consent_history(Store *store, GError **error)
{
    sqlite3_stmt *st = store_prepare(
        store, "SELECT id, email, action, name, evidence, at, actor FROM consent_history "
               "ORDER BY email, id", error);
    if (!st)
        return NULL;
    GPtrArray *list = g_ptr_array_new_with_free_func(consent_change_destroy);
    int rc;
    while ((rc = store_step(store, st, error)) == STORE_ROW) {
        ConsentChange *c = g_new0(ConsentChange, 1);
        c->id = sqlite3_column_int64(st, 0);
        c->email = store_column_dup(st, 1);
        c->action = store_column_dup(st, 2);
        c->name = store_column_dup(st, 3);
        c->evidence = store_column_dup(st, 4);
        c->at = sqlite3_column_int64(st, 5);
        c->actor = store_column_dup(st, 6);
        g_ptr_array_add(list, c);
    }
    sqlite3_reset(st);
    if (rc != STORE_DONE) {
        g_prefix_error(error, "cannot read consent history: ");
        g_ptr_array_unref(list);
        return NULL;
    }
    return list;
}
