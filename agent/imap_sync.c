/* imap_sync.c - catch up one folder, exactly once.
 *
 * The store, not the server, says where we are: the folder's UIDVALIDITY and
 * last committed UID. intake_message() commits the raw message together with
 * the new last UID; only after that does the server hear about it (keyword,
 * move). A crash between the two re-marks nothing and re-ingests nothing: the
 * next run starts after the committed UID, and Message-ID / raw-hash
 * de-duplication in intake covers a changed UIDVALIDITY.
 *
 * Each fetched batch is one SQLite transaction (intake_batch_begin/commit, a
 * savepoint per message): SQLite's cost is per commit. The batch's messages are
 * marked on the server, and logged as ingested, only once that commit returned.
 *
 * Bounded memory: metadata first (UID, RFC822.SIZE, INTERNALDATE), then bodies
 * in batches capped by count (imap.batch) and bytes; a message larger than
 * bounds.max_message_bytes is never fetched whole (libetpan would allocate
 * whatever the server announces). */
#define G_LOG_DOMAIN "imap"
#include "imap_internal.h"

#include <json-glib/json-glib.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "jsonutil.h"

#define BATCH_BYTES (8u * 1024u * 1024u) /* bodies held at once, besides one big message */
#define MAX_FETCH_FAILURES 3             /* then the message is skipped, with an event */

struct ImapSync {
    Store *store;
    Intake *intake;
    const Config *cfg;
    Bounds bounds;
    ImapStopFunc should_stop;
    GHashTable *fetch_failures; /* "folder\nuidvalidity\nuid" -> attempts */
    GHashTable *warned;         /* one-time warnings, by text */
    /* folders whose stored messages all carry the server mark on this
     * connection; emptied at every (re)connection (issue 17) */
    GHashTable *marks_checked;
    GHashTable *mark_refused;   /* folders where the server refused a mark this round */
};

typedef struct {
    guint32 uid;
    guint32 size;
    gint64 internaldate;
    gboolean has_date;
} MsgMeta;

ImapSync *imap_sync_new(Store *store, Intake *intake, const Config *cfg, const Bounds *bounds,
                        ImapStopFunc should_stop)
{
    ImapSync *sync = g_new0(ImapSync, 1);
    sync->store = store;
    sync->intake = intake;
    sync->cfg = cfg;
    sync->bounds = *bounds;
    sync->should_stop = should_stop;
    sync->fetch_failures = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    sync->warned = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    sync->marks_checked = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    sync->mark_refused = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    return sync;
}

void imap_sync_free(ImapSync **syncp)
{
    ImapSync *sync = *syncp;
    if (!sync)
        return;
    g_hash_table_unref(sync->fetch_failures);
    g_hash_table_unref(sync->warned);
    g_hash_table_unref(sync->marks_checked);
    g_hash_table_unref(sync->mark_refused);
    g_free(sync);
    *syncp = NULL;
}

void imap_sync_connected(ImapSync *sync)
{
    g_hash_table_remove_all(sync->marks_checked);
}

void imap_sync_set_config(ImapSync *sync, const Config *cfg, Intake *intake)
{
    sync->cfg = cfg;
    sync->intake = intake;
}

static gboolean stopping(ImapSync *sync)
{
    return sync->should_stop && sync->should_stop();
}

static void warn_once(ImapSync *sync, const char *text)
{
    if (g_hash_table_contains(sync->warned, text))
        return;
    g_hash_table_add(sync->warned, g_strdup(text));
    g_warning("%s", text);
}

/* INTERNALDATE "21-Nov-2026 20:32:14 +0100" to Unix seconds UTC. */
static gboolean date_time_to_unix(const struct mailimap_date_time *d, gint64 *unix_r)
{
    GDateTime *dt = g_date_time_new_utc(d->dt_year, d->dt_month, d->dt_day, d->dt_hour, d->dt_min,
                                        d->dt_sec);
    if (!dt)
        return FALSE;
    gint64 t = g_date_time_to_unix(dt);
    g_date_time_unref(dt);
    int zone = d->dt_zone; /* +hhmm as a signed decimal number */
    /* a server's nonsense zone ("+9544371") is no time at all: no overflow */
    if (zone < -2359 || zone > 2359 || abs(zone) % 100 >= 60)
        return FALSE;
    int sign = zone < 0 ? -1 : 1;
    zone = abs(zone);
    *unix_r = t - (gint64)sign * ((zone / 100) * 3600 + (zone % 100) * 60);
    return TRUE;
}

/* Pull UID, size, date and body out of one FETCH response. */
static void read_att(struct mailimap_msg_att *att, MsgMeta *m, const char **body_r, gsize *len_r)
{
    memset(m, 0, sizeof *m);
    if (body_r)
        *body_r = NULL;
    if (len_r)
        *len_r = 0;
    for (clistiter *it = clist_begin(att->att_list); it; it = clist_next(it)) {
        struct mailimap_msg_att_item *item = clist_content(it);
        if (item->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC || !item->att_data.att_static)
            continue;
        struct mailimap_msg_att_static *st = item->att_data.att_static;
        switch (st->att_type) {
        case MAILIMAP_MSG_ATT_UID:
            m->uid = st->att_data.att_uid;
            break;
        case MAILIMAP_MSG_ATT_RFC822_SIZE:
            m->size = st->att_data.att_rfc822_size;
            break;
        case MAILIMAP_MSG_ATT_INTERNALDATE:
            if (st->att_data.att_internal_date)
                m->has_date = date_time_to_unix(st->att_data.att_internal_date, &m->internaldate);
            break;
        case MAILIMAP_MSG_ATT_BODY_SECTION:
            if (body_r && st->att_data.att_body_section) {
                *body_r = st->att_data.att_body_section->sec_body_part
                              ? st->att_data.att_body_section->sec_body_part
                              : "";
                *len_r = st->att_data.att_body_section->sec_length;
            }
            break;
        default:
            break;
        }
    }
}

/* A UID set from ascending UIDs, runs folded into intervals. */
static struct mailimap_set *set_from_uids(const guint32 *uids, guint n)
{
    struct mailimap_set *set = mailimap_set_new_empty();
    for (guint i = 0; i < n;) {
        guint j = i;
        while (j + 1 < n && uids[j + 1] == uids[j] + 1)
            j++;
        if (i == j)
            mailimap_set_add_single(set, uids[i]);
        else
            mailimap_set_add_interval(set, uids[i], uids[j]);
        i = j + 1;
    }
    return set;
}

static int meta_cmp(gconstpointer a, gconstpointer b)
{
    guint32 x = ((const MsgMeta *)a)->uid, y = ((const MsgMeta *)b)->uid;
    return x < y ? -1 : x > y;
}

/* UID FETCH first:* (UID RFC822.SIZE INTERNALDATE), keeping UIDs >= first:
 * "n:*" also returns the highest message when it is below n (SPEC 5). */
static gboolean fetch_meta(ImapSession *s, const char *folder, guint32 first, GArray *metas,
                           GError **error)
{
    struct mailimap_set *set = mailimap_set_new_interval(first, 0);
    struct mailimap_fetch_type *ft = mailimap_fetch_type_new_fetch_att_list_empty();
    mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_uid());
    mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_rfc822_size());
    mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_internaldate());
    clist *result = NULL;
    int r = mailimap_uid_fetch(s->imap, set, ft, &result);
    mailimap_fetch_type_free(ft);
    mailimap_set_free(set);
    if (r != MAILIMAP_NO_ERROR) {
        g_autofree char *what = g_strdup_printf("%s: UID FETCH %u:* (metadata)", folder, first);
        imap_session_set_error(s, r, CPR_ERROR_FOLDER, error, what);
        return FALSE;
    }
    for (clistiter *it = clist_begin(result); it; it = clist_next(it)) {
        MsgMeta m;
        read_att(clist_content(it), &m, NULL, NULL);
        if (m.uid >= first)
            g_array_append_val(metas, m);
    }
    mailimap_fetch_list_free(result);
    g_array_sort(metas, meta_cmp);
    return TRUE;
}

/* UID FETCH uids (UID BODY.PEEK[]) or, with partial > 0, BODY.PEEK[]<0.partial>. */
static gboolean fetch_bodies(ImapSession *s, const char *folder, const guint32 *uids, guint n,
                             guint32 partial, clist **result_r, GError **error)
{
    struct mailimap_set *set = set_from_uids(uids, n);
    struct mailimap_fetch_type *ft = mailimap_fetch_type_new_fetch_att_list_empty();
    mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_uid());
    struct mailimap_section *section = mailimap_section_new(NULL);
    mailimap_fetch_type_new_fetch_att_list_add(
        ft, partial ? mailimap_fetch_att_new_body_peek_section_partial(section, 0, partial)
                    : mailimap_fetch_att_new_body_peek_section(section));
    *result_r = NULL;
    int r = mailimap_uid_fetch(s->imap, set, ft, result_r);
    mailimap_fetch_type_free(ft);
    mailimap_set_free(set);
    if (r != MAILIMAP_NO_ERROR) {
        g_autofree char *what = n == 1 ? g_strdup_printf("%s/%u: UID FETCH BODY.PEEK[]", folder,
                                                         uids[0])
                                       : g_strdup_printf("%s: UID FETCH BODY.PEEK[] of %u UIDs "
                                                         "from %u",
                                                         folder, n, uids[0]);
        imap_session_set_error(s, r, CPR_ERROR_MESSAGE, error, what);
        return FALSE;
    }
    return TRUE;
}

/* Intake one fetched message. Inside a batch the log line waits in `log`
 * until the batch commits (nothing is reported stored that a crash could
 * still take back); outside one (log NULL) it is printed at once. */
static gboolean ingest_one(ImapSync *sync, ImapSession *s, const char *folder, const MsgMeta *m,
                           const char *raw, gsize len, GPtrArray *log, GError **error)
{
    g_autofree char *source = g_strdup_printf("%s/%u", folder, m->uid);
    IntakeOrigin origin = {
        .source = source,
        .has_server_time = m->has_date,
        .server_time = m->internaldate,
        .folder = folder,
        .uidvalidity = s->sel_uidvalidity,
        .uid = m->uid,
        .now = g_get_real_time() / G_USEC_PER_SEC,
    };
    IntakeResult *res = NULL;
    if (!intake_message(sync->intake, (const guint8 *)raw, len, &origin, &res, error))
        return FALSE;
    g_autofree char *f = imap_log_value(folder);
    g_autofree char *mid = imap_log_value(res->message_id);
    g_autofree char *ref = imap_log_value(res->case_reference);
    char *line = g_strdup_printf(
        "event=%s folder=%s uid=%u message_id=%s kind=%s case=%s new_case=%s bytes=%" G_GSIZE_FORMAT
        "%s",
        res->duplicate ? "duplicate" : "ingested", f, m->uid, mid, classify_kind_name(res->kind),
        ref, res->new_case ? "yes" : "no", len,
        (res->problems && res->problems->len) ? " quarantined=yes" : "");
    intake_result_free(&res);
    if (log) {
        g_ptr_array_add(log, line);
    } else {
        g_message("%s", line);
        g_free(line);
    }
    return TRUE;
}

/* Give up on a message the server will not hand over: record it in the audit
 * trail and move last_uid past it so it never blocks the ones behind it. */
static gboolean skip_message(ImapSync *sync, ImapSession *s, const char *folder, guint32 uid,
                             const char *reason, GError **error)
{
    gint64 now = g_get_real_time() / G_USEC_PER_SEC;
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "folder");
    json_builder_add_string_value(b, folder);
    json_builder_set_member_name(b, "uidvalidity");
    json_builder_add_int_value(b, s->sel_uidvalidity);
    json_builder_set_member_name(b, "uid");
    json_builder_add_int_value(b, uid);
    json_builder_set_member_name(b, "reason");
    json_builder_add_string_value(b, g_utf8_validate(reason, -1, NULL) ? reason : "?");
    json_builder_end_object(b);
    g_autofree char *details = jsonutil_builder_to_string(b, FALSE);

    if (!store_begin(sync->store, error))
        return FALSE;
    if (!store_folder_advance(sync->store, folder, s->sel_uidvalidity, uid, error) ||
        !store_event_append(sync->store, now, "imap", 0, "imap_message_skipped", details, error)) {
        store_rollback(sync->store);
        return FALSE;
    }
    if (!store_commit(sync->store, error))
        return FALSE;
    g_autofree char *f = imap_log_value(folder);
    g_autofree char *why = imap_log_value(reason);
    g_warning("event=message_skipped folder=%s uid=%u reason=%s", f, uid, why);
    g_autofree char *health = g_strdup_printf("%s/%u skipped: %s", folder, uid, reason);
    (void)store_health_set(sync->store, "imap.last_error", health, now, NULL);
    return TRUE;
}

/* Mark committed messages processed on the server. Failures are logged, not
 * returned, unless the connection is gone: the messages are safe in the store;
 * a refused mark is noted (mark_refused) and retried by mark_catch_up(). */
static gboolean mark_processed(ImapSync *sync, ImapSession *s, const char *folder, GArray *uids,
                               GError **error)
{
    const Config *cfg = sync->cfg;
    if (uids->len == 0 || cfg->imap_processed == PROCESSED_NONE)
        return TRUE;
    g_autofree char *f = imap_log_value(folder);
    struct mailimap_set *set = set_from_uids((const guint32 *)uids->data, uids->len);
    int r = MAILIMAP_NO_ERROR;
    const char *what = NULL;

    if (cfg->imap_processed == PROCESSED_KEYWORD) {
        const char *kw = cfg->imap_keyword ? cfg->imap_keyword : "$CprIntake";
        if (!s->sel_keywords) {
            g_autofree char *w = g_strdup_printf(
                "event=mark_skipped folder=%s reason=\"server does not store keywords here\"", f);
            warn_once(sync, w);
            mailimap_set_free(set);
            return TRUE;
        }
        struct mailimap_flag_list *fl = mailimap_flag_list_new_empty();
        mailimap_flag_list_add(fl, mailimap_flag_new_flag_keyword(strdup(kw)));
        struct mailimap_store_att_flags *sa = mailimap_store_att_flags_new_add_flags_silent(fl);
        r = mailimap_uid_store(s->imap, set, sa);
        mailimap_store_att_flags_free(sa);
        what = "UID STORE +FLAGS.SILENT";
    } else if (cfg->imap_processed == PROCESSED_MOVE && cfg->imap_move_folder &&
               strcmp(cfg->imap_move_folder, folder) != 0) {
        g_autofree char *dest = imap_session_mailbox(s, cfg->imap_move_folder);
        if (s->has_move) {
            r = mailimap_uid_move(s->imap, set, dest);
            what = "UID MOVE";
        } else {
            r = mailimap_uid_copy(s->imap, set, dest);
            what = "UID COPY";
            if (r == MAILIMAP_NO_ERROR) {
                struct mailimap_flag_list *fl = mailimap_flag_list_new_empty();
                mailimap_flag_list_add(fl, mailimap_flag_new_deleted());
                struct mailimap_store_att_flags *sa =
                    mailimap_store_att_flags_new_add_flags_silent(fl);
                r = mailimap_uid_store(s->imap, set, sa);
                mailimap_store_att_flags_free(sa);
                what = "UID STORE +FLAGS.SILENT (\\Deleted)";
            }
            if (r == MAILIMAP_NO_ERROR && s->has_uidplus) {
                r = mailimap_uid_expunge(s->imap, set);
                what = "UID EXPUNGE";
            } else if (r == MAILIMAP_NO_ERROR) {
                /* A plain EXPUNGE would also remove what others marked \Deleted. */
                g_autofree char *w = g_strdup_printf(
                    "event=mark_partial folder=%s reason=\"no UIDPLUS: copied and flagged "
                    "\\\\Deleted, not expunged\"",
                    f);
                warn_once(sync, w);
            }
        }
    }
    mailimap_set_free(set);
    if (r != MAILIMAP_NO_ERROR) {
        GError *e = NULL;
        g_autofree char *w = g_strdup_printf("%s: %s of %u message(s)", folder, what, uids->len);
        imap_session_set_error(s, r, CPR_ERROR_FOLDER, &e, w);
        if (e->code == CPR_ERROR_CONNECTION) {
            g_propagate_error(error, e);
            return FALSE;
        }
        g_autofree char *msg = imap_log_value(e->message);
        g_warning("event=mark_failed folder=%s error=%s action=\"retry next round\"", f, msg);
        /* stored, not marked: the catch-up marking tries again next round */
        g_hash_table_add(sync->mark_refused, g_strdup(folder));
        g_hash_table_remove(sync->marks_checked, folder);
        (void)store_health_set(sync->store, "imap.last_error", e->message,
                               g_get_real_time() / G_USEC_PER_SEC, NULL);
        g_error_free(e);
    }
    return TRUE;
}

static gboolean process_batch(ImapSync *sync, ImapSession *s, const char *folder,
                              const MsgMeta *metas, guint n, guint *ingested_r, GError **error);

/* A message we could not fetch alone: retry in later rounds (blocking the
 * folder, so nothing behind it is committed past it), then skip it. */
static gboolean fetch_failed(ImapSync *sync, ImapSession *s, const char *folder, guint32 uid,
                             GError *e, GError **error)
{
    g_autofree char *key = g_strdup_printf("%s\n%u\n%u", folder, s->sel_uidvalidity, uid);
    guint attempts = GPOINTER_TO_UINT(g_hash_table_lookup(sync->fetch_failures, key)) + 1;
    if (attempts < MAX_FETCH_FAILURES) {
        g_hash_table_replace(sync->fetch_failures, g_steal_pointer(&key),
                             GUINT_TO_POINTER(attempts));
        g_set_error(error, CPR_ERROR, CPR_ERROR_FOLDER, "%s (attempt %u of %u)", e->message,
                    attempts, MAX_FETCH_FAILURES);
        g_error_free(e);
        return FALSE;
    }
    g_hash_table_remove(sync->fetch_failures, key);
    gboolean ok = skip_message(sync, s, folder, uid, e->message, error);
    g_error_free(e);
    return ok;
}

static gboolean process_batch(ImapSync *sync, ImapSession *s, const char *folder,
                              const MsgMeta *metas, guint n, guint *ingested_r, GError **error)
{
    g_autofree guint32 *uids = g_new(guint32, n);
    for (guint i = 0; i < n; i++)
        uids[i] = metas[i].uid;

    clist *result = NULL;
    GError *e = NULL;
    if (!fetch_bodies(s, folder, uids, n, 0, &result, &e)) {
        if (e->code == CPR_ERROR_CONNECTION) {
            g_propagate_error(error, e);
            return FALSE;
        }
        if (n == 1)
            return fetch_failed(sync, s, folder, uids[0], e, error);
        /* One bad message must not hold back the batch: go one by one. */
        g_error_free(e);
        for (guint i = 0; i < n && !stopping(sync); i++)
            if (!process_batch(sync, s, folder, &metas[i], 1, ingested_r, error))
                return FALSE;
        return TRUE;
    }

    GHashTable *by_uid = g_hash_table_new(g_direct_hash, g_direct_equal);
    for (clistiter *it = clist_begin(result); it; it = clist_next(it)) {
        struct mailimap_msg_att *att = clist_content(it);
        MsgMeta m;
        read_att(att, &m, NULL, NULL);
        if (m.uid)
            g_hash_table_insert(by_uid, GUINT_TO_POINTER(m.uid), att);
    }

    /* One transaction for the batch; the server hears about it after COMMIT. */
    if (!intake_batch_begin(sync->intake, error)) {
        g_hash_table_unref(by_uid);
        mailimap_fetch_list_free(result);
        return FALSE;
    }
    gboolean ok = TRUE;
    guint ingested = 0;
    GArray *done = g_array_new(FALSE, FALSE, sizeof(guint32));
    GPtrArray *log = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < n; i++) {
        struct mailimap_msg_att *att = g_hash_table_lookup(by_uid, GUINT_TO_POINTER(uids[i]));
        const char *body = NULL;
        gsize len = 0;
        if (att) {
            MsgMeta unused;
            read_att(att, &unused, &body, &len);
        }
        if (!body) {
            /* Expunged between the two FETCHes: nothing to ingest. */
            g_autofree char *f = imap_log_value(folder);
            g_ptr_array_add(log, g_strdup_printf("event=message_vanished folder=%s uid=%u", f,
                                                 uids[i]));
            continue;
        }
        if (!ingest_one(sync, s, folder, &metas[i], body, len, log, error)) {
            ok = FALSE;
            break;
        }
        ingested++;
        g_array_append_val(done, uids[i]);
        if (stopping(sync))
            break;
    }
    g_hash_table_unref(by_uid);
    mailimap_fetch_list_free(result);
    if (ok) {
        ok = intake_batch_commit(sync->intake, error);
    } else {
        /* Only a database failure gets here: nothing of this batch is kept. */
        intake_batch_rollback(sync->intake);
    }
    if (ok) {
        for (guint i = 0; i < log->len; i++)
            g_message("%s", (const char *)g_ptr_array_index(log, i));
        *ingested_r += ingested;
        /* tests: the connection lost between COMMIT and the mark, as kill -9 */
        if (done->len && !g_strcmp0(g_getenv("CPR_INTAKE_FAULT"), "imap-before-mark"))
            raise(SIGKILL);
        ok = mark_processed(sync, s, folder, done, error);
    }
    g_ptr_array_unref(log);
    g_array_unref(done);
    return ok;
}

/* Too big to hold: store the first max_message_bytes + 1 bytes (intake then
 * keeps it raw and unparsed, quarantined) and leave it unmarked on the server
 * for a person to read there. */
static gboolean process_oversized(ImapSync *sync, ImapSession *s, const char *folder,
                                  const MsgMeta *m, guint *ingested_r, GError **error)
{
    gsize max = sync->bounds.max_message_bytes;
    guint32 partial = max >= G_MAXUINT32 ? G_MAXUINT32 : (guint32)max + 1;
    g_autofree char *f = imap_log_value(folder);
    g_warning("event=message_too_large folder=%s uid=%u size=%u limit=%" G_GSIZE_FORMAT
              " action=\"store first bytes, quarantine, leave on server\"",
              f, m->uid, m->size, max);
    clist *result = NULL;
    GError *e = NULL;
    if (!fetch_bodies(s, folder, &m->uid, 1, partial, &result, &e)) {
        if (e->code == CPR_ERROR_CONNECTION) {
            g_propagate_error(error, e);
            return FALSE;
        }
        return fetch_failed(sync, s, folder, m->uid, e, error);
    }
    const char *body = NULL;
    gsize len = 0;
    for (clistiter *it = clist_begin(result); it; it = clist_next(it)) {
        MsgMeta got;
        const char *b = NULL;
        gsize l = 0;
        read_att(clist_content(it), &got, &b, &l);
        if (got.uid == m->uid && b) {
            body = b;
            len = l;
        }
    }
    gboolean ok = TRUE;
    if (body) {
        ok = ingest_one(sync, s, folder, m, body, len, NULL, error);
        if (ok)
            (*ingested_r)++;
    }
    mailimap_fetch_list_free(result);
    return ok;
}

static gint uid_cmp(gconstpointer a, gconstpointer b)
{
    guint32 x = *(const guint32 *)a, y = *(const guint32 *)b;
    return x < y ? -1 : x > y;
}

/* Is `uid` of `folder` stored, and meant to be marked (not an oversized
 * message, which stays unmarked on the server for a person)? */
static gboolean stored_markable(ImapSync *sync, const char *folder, guint32 uid,
                                gboolean *yes_r, GError **error)
{
    sqlite3_stmt *st = store_prepare(
        sync->store,
        "SELECT m.size FROM message_sources s JOIN messages m ON m.id = s.message_row "
        "WHERE s.source = ?1 LIMIT 1",
        error);
    if (!st)
        return FALSE;
    g_autofree char *source = g_strdup_printf("%s/%u", folder, uid);
    sqlite3_bind_text(st, 1, source, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    *yes_r = rc == SQLITE_ROW &&
             (guint64)sqlite3_column_int64(st, 0) <= (guint64)sync->bounds.max_message_bytes;
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        store_set_error(sync->store, error, "cannot read the stored sources");
        return FALSE;
    }
    return TRUE;
}

/* The server mark catches up (issue 17): a batch committed just before the
 * connection was lost was never marked, and with processed=move it would stay
 * in the folder for ever. Once per connection and folder, and again after a
 * refused mark: the folder's messages up to the last stored UID that lack
 * the mark (keyword absent; under move:, still there) and are stored get it
 * now. A mark the server still refuses fails the folder (CPR_ERROR_FOLDER):
 * `run --once` exits non-zero, the daemon retries next round. */
static gboolean mark_catch_up(ImapSync *sync, ImapSession *s, const char *folder,
                              guint32 last_uid, GError **error)
{
    const Config *cfg = sync->cfg;
    if (last_uid == 0 || cfg->imap_processed == PROCESSED_NONE ||
        g_hash_table_contains(sync->marks_checked, folder))
        return TRUE;
    gboolean keyword = cfg->imap_processed == PROCESSED_KEYWORD;
    const char *kw = cfg->imap_keyword ? cfg->imap_keyword : "$CprIntake";
    if ((keyword && !s->sel_keywords) ||
        (!keyword && (!cfg->imap_move_folder || !strcmp(cfg->imap_move_folder, folder)))) {
        g_hash_table_add(sync->marks_checked, g_strdup(folder));
        return TRUE;
    }
    struct mailimap_search_key *key = mailimap_search_key_new_multiple_empty();
    mailimap_search_key_multiple_add(
        key, mailimap_search_key_new_uid(mailimap_set_new_interval(1, last_uid)));
    if (keyword)
        mailimap_search_key_multiple_add(key, mailimap_search_key_new_unkeyword(strdup(kw)));
    clist *result = NULL;
    int r = mailimap_uid_search(s->imap, NULL, key, &result);
    mailimap_search_key_free(key);
    if (r != MAILIMAP_NO_ERROR) {
        g_autofree char *w = g_strdup_printf("%s: UID SEARCH for unmarked messages", folder);
        imap_session_set_error(s, r, CPR_ERROR_FOLDER, error, w);
        return FALSE;
    }
    GArray *uids = g_array_new(FALSE, FALSE, sizeof(guint32));
    gboolean ok = TRUE;
    for (clistiter *it = clist_begin(result); it && ok; it = clist_next(it)) {
        guint32 uid = *(uint32_t *)clist_content(it);
        gboolean yes = FALSE;
        if (uid == 0 || uid > last_uid)
            continue;
        ok = stored_markable(sync, folder, uid, &yes, error);
        if (ok && yes)
            g_array_append_val(uids, uid);
    }
    mailimap_search_result_free(result);
    if (!ok) {
        g_array_unref(uids);
        return FALSE;
    }
    g_array_sort(uids, uid_cmp);
    g_hash_table_remove(sync->mark_refused, folder);
    if (uids->len) {
        g_autofree char *f = imap_log_value(folder);
        g_message("event=mark_catch_up folder=%s messages=%u", f, uids->len);
    }
    for (guint i = 0; ok && i < uids->len; i += 500) {
        GArray *part = g_array_new(FALSE, FALSE, sizeof(guint32));
        g_array_append_vals(part, &g_array_index(uids, guint32, i), MIN(500u, uids->len - i));
        ok = mark_processed(sync, s, folder, part, error);
        g_array_unref(part);
    }
    guint n = uids->len;
    g_array_unref(uids);
    if (!ok)
        return FALSE;
    if (g_hash_table_contains(sync->mark_refused, folder)) {
        g_set_error(error, CPR_ERROR, CPR_ERROR_FOLDER,
                    "%s: the server refused to mark %u stored message(s) processed; retried "
                    "next round", folder, n);
        return FALSE;
    }
    g_hash_table_add(sync->marks_checked, g_strdup(folder));
    return TRUE;
}

gboolean imap_sync_folder(ImapSync *sync, ImapSession *s, const char *folder, guint *ingested_r,
                          GError **error)
{
    *ingested_r = 0;
    /* Woken from IDLE on this very folder: it is still selected, and UID
     * FETCH next:* below finds what is new; no SELECT round trip first. A
     * UIDVALIDITY the server announced meanwhile still means a new SELECT. */
    const struct mailimap_selection_info *si = s->imap ? s->imap->imap_selection_info : NULL;
    gboolean woke = s->idle_woke && s->selected && strcmp(s->selected, folder) == 0 &&
                    (!si || !si->sel_uidvalidity || si->sel_uidvalidity == s->sel_uidvalidity);
    s->idle_woke = FALSE;
    if (!woke && !imap_session_select(s, folder, error))
        return FALSE;

    guint32 uidvalidity = s->sel_uidvalidity, stored_validity = 0, last_uid = 0;
    if (!store_folder_get(sync->store, folder, &stored_validity, &last_uid, error))
        return FALSE;
    g_autofree char *f = imap_log_value(folder);
    if (stored_validity != uidvalidity) {
        if (stored_validity)
            g_warning("event=uidvalidity_changed folder=%s old=%u new=%u action=rescan", f,
                      stored_validity, uidvalidity);
        if (!store_folder_set_uidvalidity(sync->store, folder, uidvalidity, error) ||
            !store_folder_get(sync->store, folder, &stored_validity, &last_uid, error))
            return FALSE;
    }

    guint32 next = last_uid + 1;
    gboolean nothing_new =
        !woke && (s->sel_exists == 0 || (s->sel_uidnext && next >= s->sel_uidnext));
    gsize batch_max = sync->cfg->imap_batch > 0 ? (gsize)sync->cfg->imap_batch : 50;

    while (!nothing_new && !stopping(sync) && next != 0) {
        GArray *metas = g_array_new(FALSE, FALSE, sizeof(MsgMeta));
        if (!fetch_meta(s, folder, next, metas, error)) {
            g_array_unref(metas);
            return FALSE;
        }
        if (metas->len == 0) {
            g_array_unref(metas);
            break;
        }
        const MsgMeta *m = (const MsgMeta *)metas->data;
        guint i = 0;
        gboolean ok = TRUE;
        while (ok && i < metas->len && !stopping(sync)) {
            if (m[i].size > sync->bounds.max_message_bytes) {
                ok = process_oversized(sync, s, folder, &m[i], ingested_r, error);
                i++;
                continue;
            }
            guint j = i;
            gsize bytes = 0;
            while (j < metas->len && j - i < batch_max &&
                   m[j].size <= sync->bounds.max_message_bytes &&
                   (j == i || bytes + m[j].size <= BATCH_BYTES)) {
                bytes += m[j].size;
                j++;
            }
            ok = process_batch(sync, s, folder, &m[i], j - i, ingested_r, error);
            i = j;
        }
        next = m[metas->len - 1].uid + 1; /* wraps to 0 at the very last UID: stop */
        g_array_unref(metas);
        if (!ok)
            return FALSE;
    }
    (void)store_folder_note_sync(sync->store, folder, g_get_real_time() / G_USEC_PER_SEC, NULL);
    if (!store_folder_get(sync->store, folder, &stored_validity, &last_uid, error))
        return FALSE;
    return stopping(sync) || mark_catch_up(sync, s, folder, last_uid, error);
}
