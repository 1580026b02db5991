/* case_redaction.c - one case's redaction context (see case_redaction.h). */
#include <string.h>

#include "case_redaction.h"
#include "bounds.h"
#include "consent.h"
#include "cpr_error.h"
#include "mime.h"
#include "textutil.h"

/* Posting addresses of the lists (SPEC 2.1): their display names are lists,
 * not people. */
static const char *const LIST_ADDRESSES[] = {"dev-security-policy@mozilla.org",
                                             "public@ccadb.org", NULL};

struct CaseRedaction {
    IdentitySet *ids;
    GPtrArray *protected_strings; /* char*, NULL-terminated */
    GStrv consented;              /* addresses with consent in force */
    RedactOptions opts;
};

void case_redaction_free(CaseRedaction **cr)
{
    if (!cr || !*cr)
        return;
    identity_set_free(&(*cr)->ids);
    g_clear_pointer(&(*cr)->protected_strings, g_ptr_array_unref);
    g_strfreev((*cr)->consented);
    g_free(*cr);
    *cr = NULL;
}

static void add_strv(GPtrArray *into, char **values)
{
    for (gsize i = 0; values && values[i]; i++)
        g_ptr_array_add(into, g_strdup(values[i]));
}

/* Every text value of one-column `sql` with `case_id` bound to ?1. */
static gboolean add_column(Store *store, const char *sql, gint64 case_id, GPtrArray *into,
                           GError **error)
{
    sqlite3_stmt *st = store_prepare(store, sql, error);
    if (!st)
        return FALSE;
    if (case_id)
        sqlite3_bind_int64(st, 1, case_id);
    return store_texts(store, st, into, "redaction: cannot read the case", error);
}

/* Fail closed before anything is parsed: an output whose people were only
 * partly collected could name someone. */
static gboolean check_message_count(Store *store, gint64 case_id, GError **error)
{
    sqlite3_stmt *st = store_prepare_id(
        store,
        "SELECT count(*), (SELECT reference FROM cases WHERE id = ?1) FROM messages "
        "WHERE case_id = ?1",
        case_id, error);
    if (!st)
        return FALSE;
    gint64 n = -1;
    g_autofree char *reference = NULL;
    int rc = store_step(store, st, error);
    if (rc == STORE_ROW) {
        n = sqlite3_column_int64(st, 0);
        if (sqlite3_column_text(st, 1))
            reference = store_column_dup(st, 1);
    }
    sqlite3_reset(st);
    if (rc == STORE_ERROR) {
        g_prefix_error(error, "redaction: cannot count the case's messages: ");
        return FALSE;
    }
    if (n > CASE_REDACTION_MAX_MESSAGES) {
        if (!reference)
            reference = g_strdup_printf("%" G_GINT64_FORMAT, case_id);
        g_set_error(error, CPR_ERROR, CPR_ERROR_INPUT,
                    "case %s has %" G_GINT64_FORMAT " messages, more than the %d a redacted "
                    "output reads",
                    reference, n, CASE_REDACTION_MAX_MESSAGES);
        return FALSE;
    }
    return TRUE;
}

/* Awareness order, so that a name met alone joins the same person in every
 * output of the case (identity_set_add() depends on who came first). */
static gboolean add_messages(Store *store, gint64 case_id, IdentitySet *ids,
                             const char *const *exclude_addresses,
                             const char *const *exclude_domains, GError **error)
{
    if (!check_message_count(store, case_id, error))
        return FALSE;
    sqlite3_stmt *st = store_prepare_id(
        store, "SELECT " STORE_RAW_OF("messages.id")
        " FROM messages WHERE case_id = ? ORDER BY aware_at, id", case_id, error);
    if (!st)
        return FALSE;
    Bounds bounds = bounds_default();
    int rc;
    while ((rc = store_step(store, st, error)) == STORE_ROW) {
        const guint8 *raw = sqlite3_column_blob(st, 0);
        gsize len = (gsize)sqlite3_column_bytes(st, 0);
        MimeMessage *msg = mime_message_parse(raw ? raw : (const guint8 *)"", len, &bounds);
        identity_set_add_message(ids, msg, exclude_addresses, exclude_domains);
        mime_message_free(&msg);
    }
    sqlite3_reset(st);
    if (rc != STORE_DONE) {
        g_prefix_error(error, "redaction: cannot read the case's messages: ");
        return FALSE;
    }
    return TRUE;
}

/* Equal, or one a subdomain of the other at a label boundary: protecting
 * example.org would shield jane@mail.example.org, and the reverse. */
static gboolean related_domains(const char *a, const char *b)
{
    return domain_is_or_under(a, b) || domain_is_or_under(b, a);
}

gboolean case_redaction_domain_of_person(const CaseRedaction *cr, const char *domain)
{
    for (guint i = 0; i < identity_set_count(cr->ids); i++) {
        const char *const *emails = identity_person_emails(identity_set_get(cr->ids, i));
        for (gsize k = 0; emails[k]; k++) {
            /* the domain follows the last '@': a quoted local part may hold one */
            const char *at = strrchr(emails[k], '@');
            if (at && related_domains(at + 1, domain))
                return TRUE;
        }
    }
    return FALSE;
}

/* The addresses and domains that are never persons: the CA's own and the
 * lists' (the same domains intake never takes for certificate domains).
 * Both NULL-terminated; the strings are lent by `cfg`. */
static void exclusions(const Config *cfg, GPtrArray *addresses, GPtrArray *domains)
{
    for (gsize i = 0; cfg->ca_report_addresses && cfg->ca_report_addresses[i]; i++) {
        const char *a = cfg->ca_report_addresses[i];
        g_ptr_array_add(addresses, (gpointer)a);
        const char *at = strchr(a, '@');
        if (at && at[1])
            g_ptr_array_add(domains, (gpointer)(at + 1));
    }
    for (gsize i = 0; LIST_ADDRESSES[i]; i++)
        g_ptr_array_add(addresses, (gpointer)LIST_ADDRESSES[i]);
    for (gsize i = 0; cfg->ca_domains && cfg->ca_domains[i]; i++)
        g_ptr_array_add(domains, cfg->ca_domains[i]);
    g_ptr_array_add(addresses, NULL);
    g_ptr_array_add(domains, NULL);
}

CaseRedaction *case_redaction_new(Store *store, const Config *cfg, gint64 case_id,
                                  GError **error)
{
    CaseRedaction *cr = g_new0(CaseRedaction, 1);
    cr->ids = identity_set_new();
    /* the CA's own staff are people too, unless [ca] public_staff names them */
    identity_set_staff_are_persons(cr->ids, (const char *const *)cfg->ca_public_staff);
    cr->protected_strings = g_ptr_array_new_with_free_func(g_free);

    g_autoptr(GPtrArray) ex_addresses = g_ptr_array_new();
    g_autoptr(GPtrArray) ex_domains = g_ptr_array_new();
    exclusions(cfg, ex_addresses, ex_domains);

    g_autoptr(GPtrArray) domains = g_ptr_array_new_with_free_func(g_free);
    if (!add_messages(store, case_id, cr->ids, (const char *const *)ex_addresses->pdata,
                      (const char *const *)ex_domains->pdata, error) ||
        /* CROSS JOIN: from the case's few messages to their identifiers;
         * with no statistics SQLite would otherwise walk identifiers_value
         * over every domain in the store (3 ms a page at 10,000 messages). */
        !add_column(store,
                    "SELECT DISTINCT i.value FROM messages m CROSS JOIN identifiers i "
                    "ON i.message_row = m.id WHERE m.case_id = ?1 AND i.type <> 'domain'",
                    case_id, cr->protected_strings, error) ||
        !add_column(store,
                    "SELECT DISTINCT i.value FROM messages m CROSS JOIN identifiers i "
                    "ON i.message_row = m.id WHERE m.case_id = ?1 AND i.type = 'domain'",
                    case_id, domains, error) ||
        !(cr->consented = consent_active_emails(store, error))) {
        case_redaction_free(&cr);
        return NULL;
    }
    /* A protected domain would shield a reporter's address at that domain
     * from redaction: protect only domains no person's address is under. */
    for (guint i = 0; i < domains->len; i++) {
        const char *d = g_ptr_array_index(domains, i);
        if (!case_redaction_domain_of_person(cr, d))
            g_ptr_array_add(cr->protected_strings, g_strdup(d));
    }
    if (cfg->ca_owner)
        g_ptr_array_add(cr->protected_strings, g_strdup(cfg->ca_owner));
    add_strv(cr->protected_strings, cfg->ca_aliases);
    add_strv(cr->protected_strings, cfg->ca_names);
    g_ptr_array_add(cr->protected_strings, NULL);
    cr->opts.protected_strings = (const char *const *)cr->protected_strings->pdata;
    cr->opts.consented_emails = (const char *const *)cr->consented;
    return cr;
}

const IdentitySet *case_redaction_identities(const CaseRedaction *cr)
{
    return cr->ids;
}

const RedactOptions *case_redaction_options(const CaseRedaction *cr)
{
    return &cr->opts;
}

char *case_redaction_redact(const CaseRedaction *cr, const char *text, GError **error)
{
    return redact_text(cr->ids, text, &cr->opts, error);
}

char *case_redaction_apply(const CaseRedaction *cr, const char *text, const char *output_name,
                           GError **error)
{
    g_autofree char *out = redact_text(cr->ids, text, &cr->opts, error);
    if (!out || !redact_check(cr->ids, out, &cr->opts, output_name, error))
        return NULL;
    return g_steal_pointer(&out);
}

gboolean case_redaction_check(const CaseRedaction *cr, const char *text, const char *output_name,
                              GError **error)
{
    return redact_check(cr->ids, text, &cr->opts, output_name, error);
}

gboolean case_redaction_check_mail(const CaseRedaction *cr, const char *text,
                                   const char *recipient_email, const char *output_name,
                                   GError **error)
{
    /* the recipient counts as consenting, for this one text only */
    g_autoptr(GPtrArray) consented = g_ptr_array_new();
    for (gsize i = 0; cr->consented && cr->consented[i]; i++)
        g_ptr_array_add(consented, cr->consented[i]);
    const IdentityPerson *p = identity_set_find_email(cr->ids, recipient_email);
    const char *const *emails = p ? identity_person_emails(p) : NULL;
    for (gsize i = 0; emails && emails[i]; i++)
        g_ptr_array_add(consented, (gpointer)emails[i]);
    if (recipient_email)
        g_ptr_array_add(consented, (gpointer)recipient_email);
    g_ptr_array_add(consented, NULL);
    RedactOptions opts = cr->opts;
    opts.consented_emails = (const char *const *)consented->pdata;
    return redact_check(cr->ids, text, &opts, output_name, error);
}
