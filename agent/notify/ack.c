/* ack.c - the acknowledgement a reporter gets for a new CPR (RFC 3834).
 *
 * Sent only when [ack] enabled=true, only for mail classified `cpr` (never
 * auto_reply, list_post, bugzilla or other), never to a message that itself
 * looks automatic or comes from a list, never to the CA's own addresses or
 * domains, the lists, or robot addresses (postmaster, mailer-daemon, noreply,
 * ...), and at most once per reporter per case (acks_sent). The reply goes to
 * Reply-To, else From; its subject carries the case reference, so that the
 * reporter's answer threads back into the case by the tag as well as by
 * References. */
#include <string.h>

#include <json-glib/json-glib.h>

#include "notify_internal.h"
#include "cases.h"
#include "cpr_error.h"
#include "jsonutil.h"
#include "outbox.h"
#include "textutil.h"
#include "logging.h"

static const char *const LIST_ADDRESSES[] = {"dev-security-policy@mozilla.org",
                                             "public@ccadb.org", NULL};

/* Local parts that are robots or lists, never people (RFC 3834 5.2 says not
 * to answer them; RFC 2142 names the role addresses). */
static const char *const ROBOT_LOCALS[] = {"mailer-daemon", "postmaster", "noreply", "no-reply",
                                           "donotreply", "do-not-reply", "listserv", "majordomo",
                                           "bugzilla-daemon", "root", NULL};

#define DEFAULT_TEXT                                                                          \
    "Hello,\n\n"                                                                              \
    "Thank you for your report. We have received it and opened case {reference}.\n"           \
    "We will investigate and send you a preliminary report within 24 hours, as the\n"          \
    "CA/Browser Forum Baseline Requirements (section 4.9.5) require.\n\n"                     \
    "Please keep [{reference}] in the subject of any reply.\n\n"                               \
    "This is an automatic acknowledgement.\n\n"                                                \
    "-- \n{ca_owner}\n"

/* Whether `address` may receive an automatic reply (not the CA's own, not a
 * list, not a robot). Pure. */
static gboolean ack_address_allowed(const Config *cfg, const char *address)
{
    if (!address || !*address)
        return FALSE;
    g_autofree char *addr = g_ascii_strdown(address, -1);
    const char *at = strrchr(addr, '@');
    if (!at || at == addr || !at[1] || strpbrk(addr, " \t\r\n<>,;\"\\"))
        return FALSE;
    g_autofree char *local = g_strndup(addr, (gsize)(at - addr));
    const char *domain = at + 1;
    if (g_strv_contains(LIST_ADDRESSES, addr))
        return FALSE;
    if (cfg->ack_from && !g_ascii_strcasecmp(cfg->ack_from, addr))
        return FALSE;
    for (gsize i = 0; cfg->ca_report_addresses && cfg->ca_report_addresses[i]; i++) {
        const char *own = cfg->ca_report_addresses[i];
        const char *own_at = strrchr(own, '@');
        if (!g_ascii_strcasecmp(own, addr) ||
            (own_at && domain_is_or_under(domain, own_at + 1)))
            return FALSE;
    }
    for (gsize i = 0; cfg->ca_domains && cfg->ca_domains[i]; i++)
        if (domain_is_or_under(domain, cfg->ca_domains[i]))
            return FALSE;
    if (g_strv_contains(ROBOT_LOCALS, local) || g_str_has_prefix(local, "owner-") ||
        g_str_has_suffix(local, "-request") || g_str_has_suffix(local, "-owner") ||
        g_str_has_prefix(local, "bounce"))
        return FALSE;
    return TRUE;
}

/* RFC 3834 and list headers: the message must not be answered automatically. */
static gboolean message_is_automatic(const MimeMessage *msg)
{
    const char *as = mime_message_header(msg, "Auto-Submitted");
    if (as) {
        g_autofree char *v = g_strstrip(g_ascii_strdown(as, -1));
        if (strcmp(v, "no") != 0 && !g_str_has_prefix(v, "no ") && !g_str_has_prefix(v, "no;"))
            return TRUE;
    }
    static const char *const robots[] = {"List-Id", "List-Post", "List-Unsubscribe",
                                         "Mailing-List", "X-Autoreply", "X-Autorespond",
                                         "X-Auto-Response-Suppress", NULL};
    for (gsize i = 0; robots[i]; i++)
        if (mime_message_header(msg, robots[i]))
            return TRUE;
    const char *prec = mime_message_header(msg, "Precedence");
    if (prec && (strstr(prec, "bulk") || strstr(prec, "junk") || strstr(prec, "list")))
        return TRUE;
    return g_strcmp0(msg->content_type, "multipart/report") == 0;
}

static char *subject_for(const MimeMessage *msg, const char *reference)
{
    g_autofree char *tag = g_strdup_printf("[%s]", reference);
    const char *subj = msg->subject && *msg->subject ? msg->subject
                                                     : "your certificate problem report";
    g_autofree char *clean = g_strstrip(g_strdup(subj));
    gboolean has_re = g_ascii_strncasecmp(clean, "re:", 3) == 0;
    if (strstr(clean, tag))
        return g_strdup_printf("%s%s", has_re ? "" : "Re: ", clean);
    return g_strdup_printf("%s%s %s", has_re ? "" : "Re: ", clean, tag);
}

static char *expand(const char *text, const char *reference, const char *owner)
{
    g_autoptr(GString) s = g_string_new(text);
    g_string_replace(s, "{reference}", reference, 0);
    g_string_replace(s, "{ca_owner}", owner ? owner : "", 0);
    return g_string_free(g_steal_pointer(&s), FALSE);
}

static char *references_for(const MimeMessage *msg)
{
    g_autoptr(GString) s = g_string_new(NULL);
    for (guint i = 0; msg->references && i < msg->references->len; i++)
        g_string_append_printf(s, "%s<%s>", s->len ? " " : "",
                               (const char *)g_ptr_array_index(msg->references, i));
    g_string_append_printf(s, "%s<%s>", s->len ? " " : "", msg->message_id);
    return g_string_free(g_steal_pointer(&s), FALSE);
}

static gboolean skip(Store *store, gint64 case_id, const char *why, gint64 now, GError **error)
{
    g_autofree char *details = jsonutil_object_of_strings("reason", why, NULL);
    return store_event_append(store, now, "notify", case_id, "acknowledgement_not_sent", details,
                              error);
}

gboolean ack_maybe_enqueue(Store *store, const Config *cfg, gint64 case_id, const MimeMessage *msg,
                           const Classification *cls, gint64 now, GError **error)
{
    if (!cfg->ack_enabled || cls->kind != KIND_CPR)
        return TRUE;
    if (message_is_automatic(msg))
        return skip(store, case_id, "the report looks automatic or came from a list", now, error);
    const char *to = NULL;
    if (msg->reply_to && msg->reply_to->len > 0)
        to = ((const MimeAddress *)g_ptr_array_index(msg->reply_to, 0))->email;
    if (!to)
        to = cls->author_email;
    if (!ack_address_allowed(cfg, to))
        return skip(store, case_id, "the reply address is the CA's own, a list or a robot", now,
                    error);
    if (!msg->message_id)
        return skip(store, case_id, "the report has no Message-ID to reply to", now, error);

    g_autoptr(CaseRow) c = cases_load_id(store, case_id, error);
    if (!c)
        return FALSE;
    g_autofree char *to_lower = g_ascii_strdown(to, -1);
    const char *from_at = strrchr(cfg->ack_from, '@');
    g_autofree char *hash = g_compute_checksum_for_string(G_CHECKSUM_SHA256, to_lower, -1);
    g_autofree char *message_id = g_strdup_printf("cpr-ack.%s.%.16s@%s", c->reference, hash,
                                                  from_at + 1);
    g_autofree char *held = NULL; /* a flood aimed at one address (issue 17) */
    if (!notify_flood_ack_allowed(store, cfg, to_lower, now, &held, error))
        return FALSE;
    if (held)
        return notify_flood_hold(store, cfg, case_id, "ack_held", held, now, error);
    sqlite3_stmt *st = store_prepare(
        store,
        "INSERT OR IGNORE INTO acks_sent (case_id, email, message_id, sent_at) VALUES (?,?,?,?)",
        error);
    if (!st)
        return FALSE;
    sqlite3_bind_int64(st, 1, case_id);
    sqlite3_bind_text(st, 2, to_lower, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, message_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 4, now);
    if (!store_step_done(store, st, error))
        return FALSE;
    if (sqlite3_changes(store_db(store)) == 0)
        return TRUE; /* this reporter was acknowledged for this case already */

    g_autofree char *text = NULL;
    if (cfg->ack_text_file) {
        GError *e = NULL;
        if (!g_file_get_contents(cfg->ack_text_file, &text, NULL, &e)) {
            g_autofree char *file = log_value(cfg->ack_text_file);
            g_autofree char *why = log_value(e->message);
            g_warning("event=ack_text_unreadable file=%s error=%s", file, why);
            g_error_free(e);
        }
    }
    g_autofree char *body = expand(text ? text : DEFAULT_TEXT, c->reference, cfg->ca_owner);
    g_autofree char *subject = subject_for(msg, c->reference);
    g_autofree char *in_reply_to = g_strdup_printf("<%s>", msg->message_id);
    g_autofree char *refs = references_for(msg);
    const char *const extra[] = {"In-Reply-To", in_reply_to, "References", refs,
                                 "Auto-Submitted", "auto-replied",
                                 "X-Auto-Response-Suppress", "All", NULL};
    g_autofree char *mail =
        notify_mail_build(cfg->ack_from, to_lower, subject, body, message_id, now, extra);

    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    jsonutil_add_string(b, "to", to_lower);
    jsonutil_add_string(b, "message_id", message_id);
    jsonutil_add_string(b, "message", mail);
    json_builder_end_object(b);
    g_autofree char *payload = jsonutil_builder_to_string(b, FALSE);
    g_autofree char *row_key = g_strdup_printf("ack:%" G_GINT64_FORMAT ":%s", case_id, to_lower);
    if (!outbox_enqueue(store, OUTBOX_TARGET_ACK, case_id, "ack_mail", row_key, payload, now, NULL,
                        error))
        return FALSE;
    /* The audit trail records that the reporter was answered, not who. */
    g_autofree char *details = jsonutil_object_of_strings("message_id", message_id, NULL);
    return store_event_append(store, now, "notify", case_id, "acknowledgement_queued", details,
                              error);
}

gboolean ack_deliver(const Config *cfg, const char *payload, GError **error)
{
    if (!cfg->ack_enabled || !cfg->ack_smtp_url) {
        g_set_error_literal(error, NOTIFY_ERROR, NOTIFY_ERROR_PERMANENT,
                            "[ack] is no longer enabled");
        return FALSE;
    }
    g_autoptr(JsonParser) parser = json_parser_new();
    if (!json_parser_load_from_data(parser, payload, -1, NULL) ||
        !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser))) {
        g_set_error_literal(error, NOTIFY_ERROR, NOTIFY_ERROR_PERMANENT,
                            "the stored acknowledgement is not a JSON object");
        return FALSE;
    }
    JsonObject *o = json_node_get_object(json_parser_get_root(parser));
    const char *to = json_object_get_string_member_with_default(o, "to", NULL);
    const char *mail = json_object_get_string_member_with_default(o, "message", NULL);
    if (!to || !mail) {
        g_set_error_literal(error, NOTIFY_ERROR, NOTIFY_ERROR_PERMANENT,
                            "the stored acknowledgement lacks to or message");
        return FALSE;
    }
    const char *const rcpt[] = {to, NULL};
    NotifySmtp smtp = {.url = cfg->ack_smtp_url, .ca_file = cfg->ack_ca_file,
                       .user = cfg->ack_user, .from = cfg->ack_from};
    return notify_smtp_send_with(&smtp, cfg->ack_password_file, rcpt, mail, error);
}
