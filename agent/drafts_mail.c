/* drafts_mail.c - the BR 4.9.5 preliminary report as a mail to the reporter
 * (see drafts_internal.h; SPEC 2.5 "Mail to a person").
 *
 * The reporter is the first report's Reply-To, else its X-Original-From (list
 * posts), else its From, also when the report was automated: BR 4.9.5 owes
 * the filer a report, and RFC 3834 governs automatic replies, which this is
 * not. Only list addresses, null or bounce senders and the CA's own addresses
 * are refused.
 *
 * What the mail says comes from the case's facts, as every draft does; the
 * recipient's own name and address may be in its headers and salutation, and
 * the leak check looks for everyone else. */
#include <gmime/gmime.h>
#include <string.h>

#include "bounds.h"
#include "cpr_error.h"
#include "drafts_internal.h"
#include "mime.h"
#include "timefmt.h"
#include "textutil.h"

static const char *const LIST_ADDRESSES[] = {"dev-security-policy@mozilla.org",
                                             "public@ccadb.org", NULL};

void drafts_recipient_free(DraftsRecipient **r)
{
    if (!r || !*r)
        return;
    g_free((*r)->email);
    g_free((*r)->name);
    g_free(*r);
    *r = NULL;
}

/* Why `email` cannot receive the mail, or NULL when it can. */
static const char *refusal(const Config *cfg, const char *email, gboolean list_post)
{
    if (!email || !*email || !strchr(email, '@'))
        return "a null sender";
    g_autofree char *lower = g_ascii_strdown(email, -1);
    const char *at = strrchr(lower, '@');
    g_autofree char *local = g_strndup(lower, (gsize)(at - lower));
    if (!strcmp(local, "mailer-daemon") || !strcmp(local, "postmaster") ||
        g_str_has_prefix(local, "bounce") || g_str_has_suffix(local, "-daemon"))
        return "a bounce address";
    for (gsize i = 0; LIST_ADDRESSES[i]; i++)
        if (!strcmp(lower, LIST_ADDRESSES[i]))
            return "a mailing list's address";
    if (list_post && (strstr(local, "-owner") || g_str_has_suffix(local, "-request")))
        return "a mailing list's address";
    for (gsize i = 0; cfg->ca_report_addresses && cfg->ca_report_addresses[i]; i++)
        if (!g_ascii_strcasecmp(lower, cfg->ca_report_addresses[i]))
            return "the CA's own address";
    for (gsize i = 0; cfg->ca_domains && cfg->ca_domains[i]; i++) {
        if (domain_is_or_under(at + 1, cfg->ca_domains[i]))
            return "the CA's own address";
    }
    return NULL;
}

static DraftsRecipient *from_address(const MimeAddress *a)
{
    if (!a || !a->email)
        return NULL;
    DraftsRecipient *r = g_new0(DraftsRecipient, 1);
    r->email = g_ascii_strdown(a->email, -1);
    if (a->name && *a->name) {
        /* one line, no "via LIST" */
        r->name = g_strdelimit(g_strdup(a->name), "\r\n\t", ' ');
        char *via = strstr(r->name, " via ");
        if (via)
            *via = '\0';
        g_strstrip(r->name);
        if (!*r->name)
            g_clear_pointer(&r->name, g_free);
    }
    return r;
}

static DraftsRecipient *first_of(const GPtrArray *list)
{
    return list && list->len > 0 ? from_address(g_ptr_array_index(list, 0)) : NULL;
}

/* X-Original-From: "Jane Doe <jane@example.org>" */
static DraftsRecipient *from_header(const char *value)
{
    if (!value)
        return NULL;
    InternetAddressList *l = internet_address_list_parse(NULL, value);
    DraftsRecipient *r = NULL;
    if (l && internet_address_list_length(l) > 0) {
        InternetAddress *ia = internet_address_list_get_address(l, 0);
        if (INTERNET_ADDRESS_IS_MAILBOX(ia)) {
            MimeAddress a = {.name = (char *)internet_address_get_name(ia),
                             .email = (char *)internet_address_mailbox_get_addr(
                                 INTERNET_ADDRESS_MAILBOX(ia))};
            r = from_address(&a);
        }
    }
    if (l)
        g_object_unref(l);
    return r;
}

DraftsRecipient *drafts_mail_reporter(Store *store, const Config *cfg, const DraftsFacts *f,
                                      GError **error)
{
    sqlite3_stmt *st = store_prepare(
        store, "SELECT kind, " STORE_RAW_OF("messages.id")
        " FROM messages WHERE case_id = ? ORDER BY aware_at, id", error);
    if (!st)
        return NULL;
    sqlite3_bind_int64(st, 1, f->row->id);
    DraftsRecipient *r = NULL;
    gboolean list_post = FALSE;
    int rc;
    while (!r && (rc = store_step(store, st, error)) == STORE_ROW) {
        const char *kind = (const char *)sqlite3_column_text(st, 0);
        if (!drafts_facts_is_report(kind))
            continue;
        list_post = !g_strcmp0(kind, "list_post");
        const guint8 *raw = sqlite3_column_blob(st, 1);
        gsize len = (gsize)sqlite3_column_bytes(st, 1);
        Bounds bounds = bounds_default();
        MimeMessage *msg = mime_message_parse(raw ? raw : (const guint8 *)"", len, &bounds);
        r = first_of(msg->reply_to);
        if (!r)
            r = from_header(mime_message_header(msg, "X-Original-From"));
        if (!r)
            r = first_of(msg->from);
        if (!r) /* a report whose author cannot be read: the null sender */
            r = g_new0(DraftsRecipient, 1);
        mime_message_free(&msg);
    }
    sqlite3_reset(st);
    if (rc == STORE_ERROR) {
        drafts_recipient_free(&r);
        return NULL;
    }
    if (!r) {
        g_set_error(error, CPR_ERROR, CPR_ERROR_INPUT,
                    "case %s: no report in the case names a reporter to write to",
                    f->row->reference);
        return NULL;
    }
    const char *why = refusal(cfg, r->email, list_post);
    if (why) {
        g_set_error(error, CPR_ERROR, CPR_ERROR_INPUT,
                    "case %s: the reporter's address is %s: no reporter mail is drafted",
                    f->row->reference, why);
        drafts_recipient_free(&r);
        return NULL;
    }
    return r;
}

DraftsRecipient *drafts_mail_subscriber(Store *store, const DraftsFacts *f, GError **error)
{
    sqlite3_stmt *st =
        store_prepare(store, "SELECT email, name FROM case_subscribers WHERE case_id = ?", error);
    if (!st)
        return NULL;
    sqlite3_bind_int64(st, 1, f->row->id);
    DraftsRecipient *r = NULL;
    int rc = store_step(store, st, error);
    if (rc == STORE_ROW) {
        MimeAddress a = {.email = (char *)sqlite3_column_text(st, 0),
                         .name = (char *)sqlite3_column_text(st, 1)};
        r = from_address(&a);
    }
    sqlite3_reset(st);
    if (rc == STORE_ERROR) {
        g_prefix_error(error, "reading the case's Subscriber failed: ");
        return NULL;
    }
    if (!r)
        g_set_error(error, CPR_ERROR, CPR_ERROR_INPUT,
                    "case %s: no Subscriber address is known; record it with `case subscriber "
                    "%s EMAIL [--name N]`",
                    f->row->reference, f->row->reference);
    return r;
}

/* What the case has found, in plain text, from facts only. */
static char *findings(const DraftsFacts *f)
{
    g_autoptr(GString) s = g_string_new(NULL);
    const ReasonRow *r = drafts_facts_reason(f);
    if (r)
        g_string_append_printf(s, "- Revocation reason (BR 4.9.1.1, reason %d): %s.\n", r->number,
                               r->summary);
    else
        g_string_append(s, "- Revocation reason: still being determined.\n");
    guint n = drafts_facts_certificate_count(f);
    if (n == 0)
        g_string_append(s, "- Certificates concerned: none identified yet.\n");
    else
        g_string_append(s, "- Certificates concerned:\n");
    for (guint i = 0; i < f->certs->len; i++) {
        const DraftsCert *c = g_ptr_array_index(f->certs, i);
        if (c->serial && c->sha256 && c->type) /* parsed: its type from its policy OIDs */
            g_string_append_printf(s, "  - serial %s, SHA-256 %s, type %s\n", c->serial,
                                   c->sha256, c->type);
        else if (c->serial && c->sha256)
            g_string_append_printf(s, "  - serial %s, SHA-256 %s\n", c->serial, c->sha256);
        else if (c->sha256)
            g_string_append_printf(s, "  - SHA-256 %s\n", c->sha256);
        else if (c->serial)
            g_string_append_printf(s, "  - serial %s\n", c->serial);
    }
    for (guint i = 0; i < f->crtsh_ids->len; i++)
        g_string_append_printf(s, "  - crt.sh ID %s\n",
                               (const char *)g_ptr_array_index(f->crtsh_ids, i));
    if (f->revocation_met > 0) {
        g_autofree char *at = timefmt_rfc3339(f->revocation_met);
        g_string_append_printf(s, "- Revocation: done at %s (UTC).\n", at);
    } else if (f->revocation_due > 0) {
        g_autofree char *due = timefmt_rfc3339(f->revocation_due);
        g_string_append_printf(s, "- Revocation: due by %s (UTC).\n", due);
    }
    while (s->len > 0 && s->str[s->len - 1] == '\n')
        g_string_truncate(s, s->len - 1);
    return g_string_free(g_steal_pointer(&s), FALSE);
}

char *drafts_mail_body(const Config *cfg, const DraftsFacts *f, const DraftsRecipient *to,
                       const Template *t, GError **error)
{
    g_autofree char *salutation =
        to->name ? g_strdup_printf("Dear %s,", to->name) : g_strdup("Hello,");
    g_autofree char *aware = timefmt_rfc3339(f->row->aware_at);
    g_autofree char *found = findings(f);
    const char *values[] = {
        "salutation", salutation,
        "ca_owner", cfg->ca_owner ? cfg->ca_owner : "the CA",
        "case_reference", f->row->reference,
        "aware_at", aware,
        "findings", found,
        NULL,
    };
    return templates_fill(t, values, error);
}

char *drafts_mail_eml(const Config *cfg, const DraftsFacts *f, const DraftsRecipient *to,
                      const char *kind, const char *subject, const char *body, gint64 now)
{
    const char *from = cfg->ca_report_addresses && cfg->ca_report_addresses[0]
                           ? cfg->ca_report_addresses[0]
                           : "postmaster@localhost";
    InternetAddress *ia_to = internet_address_mailbox_new(to->name, to->email);
    InternetAddress *ia_from = internet_address_mailbox_new(cfg->ca_owner, from);
    g_autofree char *to_s = internet_address_to_string(ia_to, NULL, TRUE);
    g_autofree char *from_s = internet_address_to_string(ia_from, NULL, TRUE);
    g_object_unref(ia_to);
    g_object_unref(ia_from);
    g_autofree char *subj = g_mime_utils_header_encode_text(NULL, subject, "utf-8");
    g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(now);
    g_autofree char *date = g_mime_utils_header_format_date(dt);
    const char *at = strrchr(from, '@');
    g_autoptr(GString) s = g_string_new(NULL);
    g_string_append_printf(s, "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\n", from_s, to_s,
                           subj, date);
    g_string_append_printf(s, "Message-ID: <%s.%" G_GINT64_FORMAT ".%s@%s>\r\n",
                           f->row->reference, now, kind, at ? at + 1 : "localhost");
    g_string_append(s, "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n"
                       "Content-Transfer-Encoding: 8bit\r\n\r\n");
    g_auto(GStrv) lines = g_strsplit(body, "\n", -1);
    for (gsize i = 0; lines[i]; i++) {
        if (!lines[i + 1] && !*lines[i])
            break;
        g_string_append_printf(s, "%s\r\n", lines[i]);
    }
    return g_string_free(g_steal_pointer(&s), FALSE);
}
