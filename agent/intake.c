/* intake.c - one raw message in, a stored, classified message out (intake.h).
 *
 * Parsing, extraction and classification happen before the transaction (they
 * are pure and may be slow); everything that changes the database happens in
 * one transaction, so a crash at any line leaves either nothing or the whole
 * message with its case, clocks, events and folder state. */
#include <string.h>

#include <gnutls/crypto.h>

#include "intake.h"
#include "logging.h"
#include "cases.h"
#include "clocks.h"
#include "cpr_error.h"
#include "certinfo.h"
#include "content_digest.h"
#include "extract.h"
#include "jsonutil.h"
#include "mime.h"
#include "notify.h"
#include "bugmail.h"
#include "bugmail_apply.h"
#include "obligations.h"
#include "reasons.h"
#include "subscribers.h"

struct Intake {
    Store *store;
    const Config *cfg;
    Bounds bounds;
    CaIdentity ca;
    GStrv ignore_domains; /* the CA's own domains: never certificate domains here */
};




Intake *intake_new(Store *store, const Config *cfg, const Bounds *bounds)
{
    Intake *in = g_new0(Intake, 1);
    in->store = store;
    in->cfg = cfg;
    in->bounds = bounds ? *bounds : bounds_default();
    in->ca = config_ca_identity(cfg);
    GPtrArray *ignore = g_ptr_array_new();
    for (gsize i = 0; cfg->ca_domains && cfg->ca_domains[i]; i++)
        g_ptr_array_add(ignore, g_strdup(cfg->ca_domains[i]));
    for (gsize i = 0; cfg->ca_report_addresses && cfg->ca_report_addresses[i]; i++) {
        const char *at = strchr(cfg->ca_report_addresses[i], '@');
        if (at && at[1])
            g_ptr_array_add(ignore, g_strdup(at + 1));
    }
    g_ptr_array_add(ignore, NULL);
    in->ignore_domains = (GStrv)g_ptr_array_free(ignore, FALSE);
    return in;
}

void intake_free(Intake **intake)
{
    if (!intake || !*intake)
        return;
    g_strfreev((*intake)->ignore_domains);
    g_free(*intake);
    *intake = NULL;
}

gboolean intake_batch_begin(Intake *in, GError **error)
{
    return store_begin(in->store, error);
}

gboolean intake_batch_commit(Intake *in, GError **error)
{
    return store_commit(in->store, error);
}

void intake_batch_rollback(Intake *in)
{
    store_rollback(in->store);
}

void intake_result_free(IntakeResult **result)
{
    if (!result || !*result)
        return;
    IntakeResult *r = *result;
    g_free(r->message_id);
    g_free(r->list);
    g_free(r->case_reference);
    g_free(r->aware_source);
    g_free(r->source);
    g_clear_pointer(&r->serials, g_ptr_array_unref);
    g_clear_pointer(&r->sha256, g_ptr_array_unref);
    g_clear_pointer(&r->crtsh_ids, g_ptr_array_unref);
    g_clear_pointer(&r->domains, g_ptr_array_unref);
    g_clear_pointer(&r->problems, g_ptr_array_unref);
    g_clear_pointer(&r->rules, g_ptr_array_unref);
    g_free(r);
    *result = NULL;
}

static GPtrArray *strv_copy(const GPtrArray *src)
{
    GPtrArray *dst = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; src && i < src->len; i++)
        g_ptr_array_add(dst, g_strdup(g_ptr_array_index(src, i)));
    return dst;
}

char *intake_result_to_json(const IntakeResult *r)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    jsonutil_add_string(b, "message_id", r->message_id);
    jsonutil_add_string(b, "kind", classify_kind_name(r->kind));
    jsonutil_add_string(b, "list", r->list);
    jsonutil_add_string(b, "problem", classify_problem_name(r->problem));
    json_builder_set_member_name(b, "reason");
    if (r->reason > 0)
        json_builder_add_int_value(b, r->reason);
    else
        json_builder_add_null_value(b);
    jsonutil_add_strv(b, "rules", r->rules);
    json_builder_set_member_name(b, "case_id");
    if (r->case_id)
        json_builder_add_int_value(b, r->case_id);
    else
        json_builder_add_null_value(b);
    jsonutil_add_string(b, "case_reference", r->case_reference);
    jsonutil_add_bool(b, "new_case", r->new_case);
    jsonutil_add_time(b, "aware_at", r->aware_at, FALSE);
    jsonutil_add_string(b, "aware_source", r->aware_source);
    jsonutil_add_strv(b, "serials", r->serials);
    jsonutil_add_strv(b, "sha256", r->sha256);
    jsonutil_add_strv(b, "crtsh_ids", r->crtsh_ids);
    jsonutil_add_strv(b, "domains", r->domains);
    jsonutil_add_bool(b, "identifiers_truncated", r->identifiers_truncated);
    jsonutil_add_bool(b, "duplicate", r->duplicate);
    jsonutil_add_bool(b, "message_id_reused", r->message_id_reused);
    jsonutil_add_string(b, "source", r->source);
    jsonutil_add_bool(b, "quarantined", r->problems && r->problems->len > 0);
    jsonutil_add_strv(b, "parse_problems", r->problems);
    json_builder_end_object(b);
    return jsonutil_builder_to_string(b, FALSE);
}

/* The dedup key, lower-case hex. GnuTLS's SHA-256 (SHA-NI/AVX where the CPU
 * has them) is several times faster than GLib's portable one, which was 6 %
 * of an ingest; GLib's stays as the fallback. */
static char *raw_sha256(const guint8 *raw, gsize len)
{
    guint8 digest[32];
    if (gnutls_hash_fast(GNUTLS_DIG_SHA256, raw, len, digest) != 0)
        return g_compute_checksum_for_data(G_CHECKSUM_SHA256, raw, len);
    static const char hex[] = "0123456789abcdef";
    char *out = g_malloc(sizeof digest * 2 + 1);
    for (gsize i = 0; i < sizeof digest; i++) {
        out[2 * i] = hex[digest[i] >> 4];
        out[2 * i + 1] = hex[digest[i] & 15];
    }
    out[sizeof digest * 2] = '\0';
    return out;
}

/* When did the CA become aware? The server's receipt time beats every header:
 * headers can be forged or wrong, INTERNALDATE is the CA's own server's clock.
 * Without IMAP, the topmost Received: was added by the CA's own server. */
static void choose_aware(const IntakeOrigin *origin, const MimeMessage *msg, gint64 *at_r,
                         const char **source_r)
{
    if (origin->has_server_time) {
        *at_r = origin->server_time;
        *source_r = "imap_internaldate";
    } else if (msg->has_received) {
        *at_r = msg->received;
        *source_r = "received";
    } else if (msg->has_date) {
        *at_r = msg->date;
        *source_r = "date";
    } else {
        *at_r = origin->now;
        *source_r = "ingest";
    }
}

/* What a message says, beyond its kind: what the clocks and the decision to
 * open a case need (SPEC 2.1, 2.3). */
typedef struct {
    guint32 reasons;         /* BR 4.9.1.1 rows the text supports */
    gboolean names_cert;     /* a certificate identifier or an attached certificate */
    gboolean concerns_certs; /* names one, or asks to revoke a domain's certificate */
    gboolean names_problem;  /* a problem phrase or a reason */
    gboolean bug_of_ca;      /* a bug whose summary starts with the CA's name and ':' */
} Said;

static gboolean asks_revocation(const char *hay)
{
    static GRegex *re;
    static gsize once;
    if (g_once_init_enter(&once)) {
        re = g_regex_new("\\brevo(ke|cation|king)\\b|\\brevocar\\b|\\bwiderruf|\\brévo(quer|cation)",
                         G_REGEX_CASELESS, 0, NULL);
        g_once_init_leave(&once, 1);
    }
    return re && g_regex_match(re, hay, 0, NULL);
}

static void what_it_says(const Intake *in, const MimeMessage *msg, const Identifiers *ids,
                         const Classification *cls, Said *s)
{
    g_autofree char *hay =
        g_strconcat(msg->subject ? msg->subject : "", "\n", msg->text ? msg->text : "", NULL);
    s->reasons = cls->reasons; /* the rules' phrases, negation and zones (issue 11) */
    s->names_cert = ids->serials->len || ids->sha256->len || ids->crtsh_ids->len ||
                    (ids->certs && ids->certs->len);
    s->concerns_certs = s->names_cert || (ids->domains->len && asks_revocation(hay));
    s->names_problem = (cls->problem != PROBLEM_NONE && cls->problem != PROBLEM_OTHER) ||
                       s->reasons != 0;
    if (cls->kind == KIND_BUGZILLA) {
        g_autoptr(GPtrArray) names = g_ptr_array_new();
        if (in->ca.owner)
            g_ptr_array_add(names, (gpointer)in->ca.owner);
        for (gsize i = 0; in->ca.aliases && in->ca.aliases[i]; i++)
            g_ptr_array_add(names, (gpointer)in->ca.aliases[i]);
        g_ptr_array_add(names, NULL);
        s->bug_of_ca = bugmail_summary_names_ca(msg->subject, (const char *const *)names->pdata);
    }
}

/* A CPR opens a case; a list post or a bug only when it concerns this CA and
 * reports a problem (a certificate or a problem named), or is a bug whose
 * summary starts with the CA's name: a post that only mentions the CA opens
 * none. */
static gboolean opens_case(const Classification *cls, const Said *s)
{
    switch (cls->kind) {
    case KIND_CPR:
        return TRUE;
    case KIND_BUGZILLA:
        if (s->bug_of_ca)
            return TRUE;
        /* fall through */
    case KIND_LIST_POST:
        return cls->concerns_ca && (s->names_cert || s->names_problem);
    default:
        return FALSE;
    }
}

/* The pure half of a message's intake (intake.h): what parsing, extraction
 * and classification found, before any database work. */
struct IntakeParsed {
    char *sha;     /* the raw bytes' SHA-256: the dedup key */
    char *content; /* content_digest.h */
    MimeMessage *msg;
    Identifiers *ids;
    Classification *cls;
    Said said;
};

IntakeParsed *intake_parse(const Intake *in, const guint8 *raw, gsize len)
{
    IntakeParsed *p = g_new0(IntakeParsed, 1);
    p->sha = raw_sha256(raw ? raw : (const guint8 *)"", len);
    p->content = content_digest_sha256(raw, len);
    p->msg = mime_message_parse(raw, len, &in->bounds);
    p->ids = extract_identifiers(p->msg, (const char *const *)in->ignore_domains);
    /* The decoded attachments (up to max_attachment_bytes each) served only
     * extraction: free them before the database work. */
    g_ptr_array_set_size(p->msg->attachments, 0);
    p->cls = classify_message(p->msg, p->ids, &in->ca);
    if (p->ids->truncated)
        g_ptr_array_add(p->msg->problems,
                        g_strdup_printf("identifiers truncated: more than %d of one kind",
                                        EXTRACT_MAX_IDS_PER_LIST));
    what_it_says(in, p->msg, p->ids, p->cls, &p->said);
    return p;
}

void intake_parsed_free(IntakeParsed **parsed)
{
    IntakeParsed *p = parsed ? *parsed : NULL;
    if (!p)
        return;
    g_free(p->sha);
    g_free(p->content);
    mime_message_free(&p->msg);
    extract_identifiers_free(&p->ids);
    classification_free(&p->cls);
    g_free(p);
    *parsed = NULL;
}

/* Find the stored copy of this message: the same content once trace headers
 * are left out (content_digest.h), under the same Message-ID (or, for mail
 * without one, among messages without one). *reused_r: the Message-ID is
 * known but with other content, which is then stored as its own message: a
 * reused or forged Message-ID must never make a report disappear. Rows from
 * before content digests were stored are digested from their raw bytes. */
static gboolean find_duplicate(Store *store, const char *message_id, const char *content,
                               const char *sha, gint64 *row_r, gint64 *case_id_r,
                               gboolean *reused_r, GError **error)
{
    *row_r = *case_id_r = 0;
    *reused_r = FALSE;
    sqlite3_stmt *st = store_prepare(
        store,
        message_id
            ? "SELECT id, coalesce(case_id, 0), content_sha256, raw_sha256, "
              "CASE WHEN content_sha256 IS NULL THEN " STORE_RAW_OF("messages.id")
              " END FROM messages WHERE message_id = ?1 "
              "ORDER BY id"
            : "SELECT id, coalesce(case_id, 0), content_sha256, raw_sha256, "
              "CASE WHEN content_sha256 IS NULL THEN " STORE_RAW_OF("messages.id")
              " END FROM messages "
              "WHERE message_id IS NULL AND (content_sha256 = ?2 OR (content_sha256 IS NULL "
              "AND raw_sha256 = ?3)) ORDER BY id",
        error);
    if (!st)
        return FALSE;
    if (message_id)
        sqlite3_bind_text(st, 1, message_id, -1, SQLITE_TRANSIENT);
    else {
        sqlite3_bind_text(st, 2, content, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 3, sha, -1, SQLITE_TRANSIENT);
    }
    int rc;
    gboolean any = FALSE;
    while ((rc = store_step(store, st, error)) == STORE_ROW) {
        any = TRUE;
        const char *stored = (const char *)sqlite3_column_text(st, 2);
        g_autofree char *computed = NULL;
        if (!stored) {
            computed = content_digest_sha256(sqlite3_column_blob(st, 4),
                                             (gsize)sqlite3_column_bytes(st, 4));
            stored = computed;
        }
        if (!g_strcmp0(stored, content) || !g_strcmp0((const char *)sqlite3_column_text(st, 3), sha)) {
            *row_r = sqlite3_column_int64(st, 0);
            *case_id_r = sqlite3_column_int64(st, 1);
            break;
        }
    }
    sqlite3_reset(st);
    if (rc == STORE_ERROR) {
        g_prefix_error(error, "duplicate lookup failed: ");
        return FALSE;
    }
    *reused_r = any && !*row_r && message_id;
    return TRUE;
}

static gboolean add_source(Store *store, gint64 row, const IntakeOrigin *o, GError **error)
{
    sqlite3_stmt *st = store_prepare_id(
        store,
        "INSERT OR IGNORE INTO message_sources (message_row, source, folder, uidvalidity, uid, "
        "seen_at) VALUES (?, ?, ?, ?, ?, ?)",
        row, error);
    if (!st)
        return FALSE;
    sqlite3_bind_text(st, 2, o->source, -1, SQLITE_TRANSIENT);
    if (o->folder) {
        sqlite3_bind_text(st, 3, o->folder, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 4, o->uidvalidity);
        sqlite3_bind_int64(st, 5, o->uid);
    }
    sqlite3_bind_int64(st, 6, o->now);
    if (!store_step_done(store, st, error))
        return FALSE;
    if (o->folder && !store_folder_advance(store, o->folder, o->uidvalidity, o->uid, error))
        return FALSE;
    return TRUE;
}

static char *strv_to_json(const GPtrArray *values)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_array(b);
    for (guint i = 0; values && i < values->len; i++)
        jsonutil_add_string(b, NULL, g_ptr_array_index(values, i));
    json_builder_end_array(b);
    return jsonutil_builder_to_string(b, FALSE);
}

static char *join_refs(const GPtrArray *refs)
{
    if (!refs || refs->len == 0)
        return NULL;
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < refs->len; i++)
        g_string_append_printf(s, "%s%s", i ? " " : "", (const char *)g_ptr_array_index(refs, i));
    return g_string_free(s, FALSE);
}

/* The row is inserted with its case already known; the raw bytes go to
 * their own table, streamed (store_raw_write). */
static gboolean insert_message(Store *store, const guint8 *raw, gsize len, const char *sha,
                               const char *content, gboolean reused, const MimeMessage *msg,
                               const Classification *cls, gint64 aware_at,
                               const char *aware_source, const IntakeOrigin *o, gint64 case_id,
                               guint32 reasons, gint64 *row_r, GError **error)
{
    g_autofree char *problems = strv_to_json(msg->problems);
    g_autofree char *refs = join_refs(msg->references);
    g_autofree char *rules = strv_to_json(cls->rules);
    sqlite3_stmt *st = store_prepare(
        store,
        "INSERT INTO messages (message_id, raw_sha256, raw, size, aware_at, aware_source, "
        "ingested_at, source, kind, list, problem, subject, from_email, in_reply_to, refs, "
        "quarantined, parse_problems, case_id, reason_candidates, content_sha256, "
        "message_id_reused, rules) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        error);
    if (!st)
        return FALSE;
    sqlite3_bind_text(st, 1, msg->message_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, sha, -1, SQLITE_TRANSIENT);
    /* the bytes go to message_raw below (issue 16): messages.raw is empty */
    sqlite3_bind_zeroblob(st, 3, 0);
    sqlite3_bind_int64(st, 4, (gint64)len);
    sqlite3_bind_int64(st, 5, aware_at);
    sqlite3_bind_text(st, 6, aware_source, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 7, o->now);
    sqlite3_bind_text(st, 8, o->source, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 9, classify_kind_name(cls->kind), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 10, cls->list, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 11, classify_problem_name(cls->problem), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 12, msg->subject, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 13, cls->author_email, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 14, msg->in_reply_to, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 15, refs, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 16, msg->problems->len > 0);
    sqlite3_bind_text(st, 17, problems, -1, SQLITE_TRANSIENT);
    if (case_id)
        sqlite3_bind_int64(st, 18, case_id);
    sqlite3_bind_int64(st, 19, reasons);
    sqlite3_bind_text(st, 20, content, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 21, reused);
    sqlite3_bind_text(st, 22, rules, -1, SQLITE_TRANSIENT);
    if (!store_step_done(store, st, error))
        return FALSE;
    *row_r = sqlite3_last_insert_rowid(store_db(store));
    return store_raw_write(store, *row_r, raw, len, error);
}

static gboolean insert_identifiers(Store *store, const Config *cfg, gint64 row,
                                   const Identifiers *ids, GError **error)
{
    const GPtrArray *lists[] = {ids->serials, ids->sha256, ids->crtsh_ids, ids->domains};
    const char *types[] = {"serial", "sha256", "crtsh_id", "domain"};
    for (gsize l = 0; l < G_N_ELEMENTS(lists); l++)
        for (guint i = 0; lists[l] && i < lists[l]->len; i++) {
            sqlite3_stmt *st = store_prepare_id(
                store, "INSERT OR IGNORE INTO identifiers (message_row, type, value) VALUES (?,?,?)",
                row, error);
            if (!st)
                return FALSE;
            sqlite3_bind_text(st, 2, types[l], -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 3, g_ptr_array_index(lists[l], i), -1, SQLITE_TRANSIENT);
            if (!store_step_done(store, st, error))
                return FALSE;
        }
    for (guint i = 0; ids->certs && i < ids->certs->len; i++) {
        const CertInfo *c = g_ptr_array_index(ids->certs, i);
        g_autofree char *sans = strv_to_json(c->sans);
        g_autofree char *policies = strv_to_json(c->policy_oids);
        sqlite3_stmt *st = store_prepare_id(
            store,
            "INSERT OR IGNORE INTO certificates (message_row, sha256, serial, issuer, subject, "
            "not_before, not_after, precert, sans, is_ca, short_lived, foreign_issuer, "
            "policy_oids) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            row, error);
        if (!st)
            return FALSE;
        sqlite3_bind_text(st, 2, c->sha256_hex, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 3, c->serial_hex, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 4, c->issuer_dn, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 5, c->subject_dn, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 6, c->not_before);
        sqlite3_bind_int64(st, 7, c->not_after);
        sqlite3_bind_int(st, 8, c->precert);
        sqlite3_bind_text(st, 9, sans, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(st, 10, c->is_ca);
        sqlite3_bind_int(st, 11, obligations_short_lived(c->not_before, c->not_after));
        sqlite3_bind_int(st, 12, obligations_foreign_issuer(
                                     c->issuer_dn, (const char *const *)cfg->ca_names));
        sqlite3_bind_text(st, 13, policies, -1, SQLITE_TRANSIENT);
        if (!store_step_done(store, st, error))
            return FALSE;
    }
    return TRUE;
}

/* Which case does this message belong to, and how was it found? */
static gboolean resolve_case(Intake *in, const MimeMessage *msg, const Classification *cls,
                             const Identifiers *ids, const Said *said, gint64 *case_id_r,
                             const char **how_r, GError **error)
{
    /* Mail about a bug the CA filed belongs to that bug's case, whatever its
     * threading says. */
    if (cls->kind == KIND_BUGZILLA && cls->bug_id) {
        if (!bugmail_find_case(in->store, cls->bug_id, case_id_r, error))
            return FALSE;
        *how_r = "bug";
        if (*case_id_r)
            return TRUE;
    }
    g_autoptr(GPtrArray) thread = g_ptr_array_new();
    if (msg->in_reply_to)
        g_ptr_array_add(thread, msg->in_reply_to);
    for (guint i = 0; msg->references && i < msg->references->len; i++)
        g_ptr_array_add(thread, g_ptr_array_index(msg->references, i));
    if (!cases_find_by_message_ids(in->store, thread, case_id_r, error))
        return FALSE;
    *how_r = "thread";
    for (guint i = 0; !*case_id_r && cls->case_refs && i < cls->case_refs->len; i++) {
        if (!cases_find_by_reference(in->store, g_ptr_array_index(cls->case_refs, i), case_id_r,
                                     error))
            return FALSE;
        *how_r = "reference";
    }
    if (!*case_id_r && opens_case(cls, said)) {
        if (!cases_find_by_certificate(in->store, ids->serials, ids->sha256, case_id_r, error))
            return FALSE;
        *how_r = "certificate";
    }
    return TRUE;
}

static gboolean join_case(Intake *in, gint64 case_id, gint64 row, const Classification *cls,
                          gint64 aware_at, const char *aware_source, const char *how,
                          const IntakeOrigin *o, char **reference_r, GError **error)
{
    /* The message row already names the case (insert_message). */
    g_autoptr(CaseRow) c = cases_load_id(in->store, case_id, error);
    if (!c)
        return FALSE;

    /* The clock starts at the first report: a message ingested late that the
     * server received earlier moves awareness back, but only on a receipt
     * time the CA's own servers wrote (INTERNALDATE, the topmost Received:):
     * a sender's Date: is the sender's word and could move a case to 2020.
     * A case opened as "other" takes the first specific problem a report
     * names. */
    gboolean trusted = !g_strcmp0(aware_source, "imap_internaldate") ||
                       !g_strcmp0(aware_source, "received");
    gboolean earlier = trusted && aware_at < c->aware_at;
    const char *new_problem = c->problem;
    if (g_strcmp0(c->problem, "other") == 0 && cls->problem != PROBLEM_NONE &&
        cls->problem != PROBLEM_OTHER && cls->kind != KIND_AUTO_REPLY)
        new_problem = classify_problem_name(cls->problem);
    if (earlier || new_problem != c->problem) {
        gint64 at = earlier ? aware_at : c->aware_at;
        const char *src = earlier ? aware_source : c->aware_source;
        /* the clocks follow in obligations_on_message() */
        if (!cases_update_facts(in->store, case_id, new_problem, at, src, error))
            return FALSE;
    }
    g_autofree char *row_s = g_strdup_printf("%" G_GINT64_FORMAT, row);
    g_autofree char *details =
        jsonutil_object_of_strings("message_row", row_s, "how", how, "source", o->source, "kind",
                                   classify_kind_name(cls->kind), NULL);
    if (!store_event_append(in->store, o->now, "intake", case_id, "message_joined_case", details,
                            error))
        return FALSE;
    *reference_r = g_strdup(c->reference);
    return TRUE;
}

static const char *case_problem(const Classification *cls)
{
    const char *problem = classify_problem_name(cls->problem);
    return problem ? problem : "other";
}

/* A new case, before its first message is inserted; its clocks start once
 * the message and its identifiers are stored (obligations_on_message). Mail
 * about a bug no case holds opens the case of that bug. */
static gboolean open_case(Intake *in, const MimeMessage *msg, const Classification *cls,
                          gint64 aware_at, const char *aware_source, const IntakeOrigin *o,
                          gint64 *case_id_r, char **reference_r, GError **error)
{
    const char *problem = case_problem(cls);
    if (!cases_create(in->store, classify_kind_name(cls->kind), cls->list, problem, msg->subject,
                      aware_at, aware_source, o->now, case_id_r, reference_r, error))
        return FALSE;
    guint64 bug = 0;
    if (cls->kind != KIND_BUGZILLA || !cls->bug_id ||
        !g_ascii_string_to_unsigned(cls->bug_id, 10, 1, G_MAXINT64, &bug, NULL))
        return TRUE;
    sqlite3_stmt *st = store_prepare(in->store, "UPDATE cases SET bug_id = ? WHERE id = ?", error);
    if (!st)
        return FALSE;
    sqlite3_bind_int64(st, 1, (gint64)bug);
    sqlite3_bind_int64(st, 2, *case_id_r);
    return store_step_done(in->store, st, error);
}

/* The audit event of open_case(), once the message row exists. */
static gboolean case_opened_event(Intake *in, gint64 case_id, const char *reference, gint64 row,
                                  const Classification *cls, gint64 aware_at,
                                  const char *aware_source, const IntakeOrigin *o, GError **error)
{
    g_autofree char *row_s = g_strdup_printf("%" G_GINT64_FORMAT, row);
    g_autofree char *aware_s = g_strdup_printf("%" G_GINT64_FORMAT, aware_at);
    g_autofree char *details = jsonutil_object_of_strings(
        "reference", reference, "kind", classify_kind_name(cls->kind), "problem",
        case_problem(cls), "aware_at", aware_s, "aware_source", aware_source, "message_row", row_s,
        NULL);
    return store_event_append(in->store, o->now, "intake", case_id, "case_opened", details, error);
}

gboolean intake_message(Intake *in, const guint8 *raw, gsize len, const IntakeOrigin *origin,
                        IntakeResult **result_r, GError **error)
{
    IntakeParsed *parsed = intake_parse(in, raw, len);
    gboolean ok = intake_store_parsed(in, parsed, raw, len, origin, result_r, error);
    intake_parsed_free(&parsed);
    return ok;
}

gboolean intake_store_parsed(Intake *in, const IntakeParsed *parsed, const guint8 *raw, gsize len,
                             const IntakeOrigin *origin, IntakeResult **result_r, GError **error)
{
    if (!parsed)
        return intake_message(in, raw, len, origin, result_r, error);
    const char *sha = parsed->sha, *content = parsed->content;
    MimeMessage *msg = parsed->msg;
    const Identifiers *ids = parsed->ids;
    const Classification *cls = parsed->cls;
    Said said = parsed->said;

    IntakeResult *r = g_new0(IntakeResult, 1);
    r->message_id = g_strdup(msg->message_id);
    r->kind = cls->kind;
    r->list = g_strdup(cls->list);
    r->problem = cls->problem;
    r->reason = reasons_choose(said.reasons);
    r->source = g_strdup(origin->source);
    r->serials = strv_copy(ids->serials);
    r->sha256 = strv_copy(ids->sha256);
    r->crtsh_ids = strv_copy(ids->crtsh_ids);
    r->domains = strv_copy(ids->domains);
    r->problems = strv_copy(msg->problems);
    r->rules = strv_copy(cls->rules);
    r->identifiers_truncated = ids->truncated;
    const char *aware_source = NULL;
    choose_aware(origin, msg, &r->aware_at, &aware_source);
    r->aware_source = g_strdup(aware_source);

    Store *store = in->store;
    /* Inside a batch, this message is a savepoint of the batch's transaction. */
    gboolean batched = store_in_transaction(store);
    if (!(batched ? store_savepoint(store, "intake_message", error) : store_begin(store, error)))
        goto fail;
    gint64 dup_row = 0, dup_case = 0;
    if (!find_duplicate(store, msg->message_id, content, sha, &dup_row, &dup_case,
                        &r->message_id_reused, error))
        goto rollback;
    if (dup_row) {
        /* Seen before (another folder, a second ingest, a re-scan after a
         * UIDVALIDITY change): remember where, add nothing else. */
        r->duplicate = TRUE;
        r->message_row = dup_row;
        r->case_id = dup_case;
        if (!add_source(store, dup_row, origin, error))
            goto rollback;
        if (dup_case) {
            g_autoptr(CaseRow) c = cases_load_id(store, dup_case, error);
            if (!c)
                goto rollback;
            r->case_reference = g_strdup(c->reference);
        }
    } else {
        /* The case first (found, or opened), so that the message row is
         * inserted with it and never updated. The events keep their order:
         * message_received, then case_opened or message_joined_case. */
        const char *how = NULL;
        if (!resolve_case(in, msg, cls, ids, &said, &r->case_id, &how, error))
            goto rollback;
        gboolean joined = r->case_id != 0;
        if (!joined && opens_case(cls, &said)) {
            if (!open_case(in, msg, cls, r->aware_at, aware_source, origin, &r->case_id,
                           &r->case_reference, error))
                goto rollback;
            r->new_case = TRUE;
        }
        if (!insert_message(store, raw, len, sha, content, r->message_id_reused, msg, cls,
                            r->aware_at, aware_source, origin, r->case_id, said.reasons,
                            &r->message_row, error) ||
            !add_source(store, r->message_row, origin, error) ||
            !insert_identifiers(store, in->cfg, r->message_row, ids, error))
            goto rollback;
        g_autofree char *row_s = g_strdup_printf("%" G_GINT64_FORMAT, r->message_row);
        g_autofree char *details = jsonutil_object_of_strings(
            "message_row", row_s, "message_id", msg->message_id, "raw_sha256", sha, "source",
            origin->source, "kind", classify_kind_name(cls->kind), "quarantined",
            msg->problems->len ? "true" : "false", NULL);
        if (!store_event_append(store, origin->now, "intake", 0, "message_received", details,
                                error))
            goto rollback;
        if (r->message_id_reused) {
            g_autofree char *d = jsonutil_object_of_strings(
                "message_row", row_s, "message_id", msg->message_id, "why",
                "a stored message has this Message-ID with other content; kept as its own message",
                NULL);
            g_autofree char *mid = log_value(msg->message_id);
            g_warning("event=message_id_reused message_id=%s row=%s", mid, row_s);
            if (!store_event_append(store, origin->now, "intake", r->case_id, "message_id_reused",
                                    d, error))
                goto rollback;
        }
        if (joined) {
            if (!join_case(in, r->case_id, r->message_row, cls, r->aware_at, aware_source, how,
                           origin, &r->case_reference, error))
                goto rollback;
        } else if (r->new_case) {
            if (!case_opened_event(in, r->case_id, r->case_reference, r->message_row, cls,
                                   r->aware_at, aware_source, origin, error))
                goto rollback;
        }
        /* Its reason and what it owes; the case's clocks follow. BR 4.9.5
         * is owed for a CPR, and for a list post or bug that names a
         * certificate and a problem. */
        if (r->case_id) {
            gboolean report = cls->kind == KIND_CPR || cls->kind == KIND_LIST_POST ||
                              cls->kind == KIND_BUGZILLA;
            MessageFacts mf = {
                .case_id = r->case_id,
                .message_row = r->message_row,
                /* what the CA's own replies or auto-replies quote is not a report */
                .reason_candidates = report ? said.reasons : 0,
                .concerns_certs = report && said.concerns_certs,
                .report_owed = cls->kind == KIND_CPR ||
                               ((cls->kind == KIND_LIST_POST || cls->kind == KIND_BUGZILLA) &&
                                said.names_cert && said.names_problem),
            };
            if (!obligations_on_message(store, &mf, origin->now, error))
                goto rollback;
        }
        /* A Subscriber's own report gives the case its Subscriber (issue 12). */
        if (r->case_id && cls->kind == KIND_CPR &&
            !subscribers_from_report(store, r->case_id, r->message_row, msg, ids,
                                     (const char *const *)in->cfg->ca_domains, origin->now, error))
            goto rollback;
        /* A question on the bug, the CA's own comment, a "Next update" date. */
        if (r->case_id && cls->kind == KIND_BUGZILLA &&
            !bugmail_apply(store, &in->ca, (const char *const *)in->cfg->bugzilla_ca_accounts, msg,
                           cls->bug_id, r->case_id, r->aware_at, error))
            goto rollback;
        /* Pages and the reporter's acknowledgement commit with the case (issue 5). */
        if (r->case_id && !notify_on_intake(store, in->cfg, r->case_id, r->new_case,
                                            r->new_case ? NULL : how, msg, cls, origin->now, error))
            goto rollback;
    }
    /* A failed RELEASE leaves the savepoint open: undo it like any other
     * failure, or the batch would commit half a message. */
    if (batched ? !store_release(store, "intake_message", error) : !store_commit(store, error))
        goto rollback;
    *result_r = r;
    return TRUE;
rollback:
    if (batched)
        store_rollback_to(store, "intake_message");
    else
        store_rollback(store); /* after a failed COMMIT store_commit already did; harmless */
fail:
    intake_result_free(&r);
    return FALSE;
}
