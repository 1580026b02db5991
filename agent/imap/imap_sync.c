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
 * in batches capped by count (imap.batch) and bytes, each body fetched as
 * BODY.PEEK[]<0.window>; a message over the range size comes in ranges, and
 * one that turns out longer than announced goes on in ranges from where the
 * batch left it (imap_fetch.c). A message larger than
 * bounds.max_message_bytes is never fetched whole. */
#define G_LOG_DOMAIN "imap"
#include "imap_internal.h"
#include "logging.h"

#include <json-glib/json-glib.h>
#include <stdlib.h>
#include <string.h>

#include "intake_ahead.h"
#include "jsonutil.h"
#include "notify.h"

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
    GHashTable *mark_refused;   /* folder -> the server's refusal of a mark this round */
    ImapFetch *fetch;           /* transfer sizes, a large message's bytes kept over a cut */
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
    sync->mark_refused = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    sync->fetch = imap_fetch_new();
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
    imap_fetch_free(&sync->fetch);
    g_free(sync);
    *syncp = NULL;
}

void imap_sync_connected(ImapSync *sync)
{
    g_hash_table_remove_all(sync->marks_checked);
    imap_fetch_connected(sync->fetch);
}

guint64 imap_sync_progress(const ImapSync *sync)
{
    return imap_fetch_progress(sync->fetch);
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
    int zone = d->dt_zone; /* +hhmm as a signed decimal number */
    /* a server's nonsense zone ("+9544371") is no time at all: no overflow */
    if (zone < -2359 || zone > 2359 || abs(zone) % 100 >= 60)
        return FALSE;
    int sign = zone < 0 ? -1 : 1;
    zone = abs(zone);
    GTimeZone *tz = g_time_zone_new_offset(sign * ((zone / 100) * 3600 + (zone % 100) * 60));
    GDateTime *dt = g_date_time_new(tz, d->dt_year, d->dt_month, d->dt_day, d->dt_hour,
                                    d->dt_min, d->dt_sec);
    g_time_zone_unref(tz);
    if (!dt)
        return FALSE;
    *unix_r = g_date_time_to_unix(dt);
    g_date_time_unref(dt);
    return TRUE;
}

/* Pull UID, size and date out of one FETCH response. */
static void read_att(struct mailimap_msg_att *att, MsgMeta *m)
{
    memset(m, 0, sizeof *m);
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
        default:
            break;
        }
    }
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
        read_att(clist_content(it), &m);
        if (m.uid >= first)
            g_array_append_val(metas, m);
    }
    mailimap_fetch_list_free(result);
    g_array_sort(metas, meta_cmp);
    return TRUE;
}

/* Intake one fetched message. Inside a batch the log line waits in `log`
 * until the batch commits (nothing is reported stored that a crash could
 * still take back); outside one (log NULL) it is printed at once. */
static gboolean ingest_one(ImapSync *sync, ImapSession *s, const char *folder, const MsgMeta *m,
                           const IntakeParsed *parsed, const char *raw, gsize len, GPtrArray *log,
                           GError **error)
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
    if (!intake_store_parsed(sync->intake, parsed, (const guint8 *)raw, len, &origin, &res, error))
        return FALSE;
    g_autofree char *f = log_value(folder);
    g_autofree char *mid = log_value(res->message_id);
    g_autofree char *ref = log_value(res->case_reference);
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
    g_autofree char *f = log_value(folder);
    g_autofree char *why = log_value(reason);
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
    g_autofree char *f = log_value(folder);
    struct mailimap_set *set = imap_uid_set((const guint32 *)uids->data, uids->len);
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
        g_autofree char *msg = log_value(e->message);
        g_warning("event=mark_failed folder=%s error=%s action=\"retry next round\"", f, msg);
        /* stored, not marked: the catch-up marking tries again next round */
        g_hash_table_replace(sync->mark_refused, g_strdup(folder), g_strdup(e->message));
        g_hash_table_remove(sync->marks_checked, folder);
        (void)store_health_set(sync->store, "imap.last_error", e->message,
                               g_get_real_time() / G_USEC_PER_SEC, NULL);
        g_error_free(e);
    }
    return TRUE;
}

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
                              const MsgMeta *metas, guint n, guint *consumed_r, guint *ingested_r,
                              GError **error);

static void warn_size_mismatch(const char *folder, const MsgMeta *m, gsize got)
{
    g_autofree char *f = log_value(folder);
    g_warning("event=size_mismatch folder=%s uid=%u announced=%u received=%" G_GSIZE_FORMAT
              " action=\"stored what arrived\"", f, m->uid, m->size, got);
}

/* Fetched in ranges: a message over the range size, or one longer than its
 * batch window (the batch's bytes in `start`, consumed). Its true length is
 * what arrives, whatever RFC822.SIZE said. Over max_message_bytes: the first
 * max + 1 bytes are stored (intake then keeps them raw and unparsed,
 * quarantined) and the message stays unmarked on the server for a person. */
static gboolean process_ranged(ImapSync *sync, ImapSession *s, const char *folder,
                               const MsgMeta *m, GByteArray *start, guint *ingested_r,
                               GError **error)
{
    gsize max = sync->bounds.max_message_bytes;
    GByteArray *raw = NULL;
    GError *e = NULL;
    gboolean fetched = imap_fetch_ranged(sync->fetch, s, folder, m->uid, start, max + 1, &raw, &e);
    if (start)
        g_byte_array_unref(start);
    if (!fetched) {
        if (e->code == CPR_ERROR_CONNECTION) {
            g_propagate_error(error, e);
            return FALSE;
        }
        return fetch_failed(sync, s, folder, m->uid, e, error);
    }
    g_autofree char *f = log_value(folder);
    if (!raw) {
        g_message("event=message_vanished folder=%s uid=%u", f, m->uid);
        return TRUE;
    }
    if (raw->len > max)
        g_warning("event=message_too_large folder=%s uid=%u size=%u limit=%" G_GSIZE_FORMAT
                  " action=\"store first bytes, quarantine, leave on server\"",
                  f, m->uid, m->size, max);
    else if (raw->len != m->size)
        warn_size_mismatch(folder, m, raw->len);
    gboolean ok = ingest_one(sync, s, folder, m, NULL, (const char *)raw->data, raw->len, NULL,
                             error);
    if (ok) {
        (*ingested_r)++;
        GArray *done = g_array_new(FALSE, FALSE, sizeof(guint32));
        if (raw->len <= max)
            g_array_append_val(done, m->uid);
        ok = mark_processed(sync, s, folder, done, error);
        g_array_unref(done);
    }
    g_byte_array_unref(raw);
    return ok;
}

/* Each body of the batch fetched as BODY.PEEK[]<0.window>: one a byte over
 * the largest size announced, so that a body filling the window is one the
 * server announced too small. */
static guint32 batch_window(const MsgMeta *metas, guint n)
{
    guint32 largest = 0;
    for (guint i = 0; i < n; i++)
        largest = MAX(largest, metas[i].size);
    return largest + 1;
}

#define IMAP_AHEAD 8 /* messages parsed ahead of the one being stored */

/* Ingest the batch's bodies in UID order inside the batch transaction, up
 * to the first that filled the window: its bytes go to *longer_r, and the
 * index it stopped at to *stop_r (n when none). */
static gboolean ingest_bodies(ImapSync *sync, ImapSession *s, const char *folder,
                              const MsgMeta *metas, guint n, clist *result, guint32 window,
                              GArray *done, GPtrArray *log, guint *stop_r, GByteArray **longer_r,
                              GError **error)
{
    /* A few messages are parsed ahead on other threads while this one is
     * stored (intake_ahead.h); the bodies stay in `result` until the end. */
    g_autoptr(IntakeAhead) ahead = n > 1 ? intake_ahead_new(sync->intake) : NULL;
    guint i, pushed = 0;
    for (i = 0; i < n; i++) {
        for (; ahead && pushed < n && pushed < i + IMAP_AHEAD; pushed++) {
            gsize l = 0;
            const char *b = imap_fetch_body_of(result, metas[pushed].uid, &l);
            if (b && l < window)
                intake_ahead_push(ahead, (const guint8 *)b, l, GUINT_TO_POINTER(pushed + 1));
        }
        gsize len = 0;
        const char *body = imap_fetch_body_of(result, metas[i].uid, &len);
        if (!body) {
            /* Expunged between the two FETCHes: nothing to ingest. */
            g_autofree char *f = log_value(folder);
            g_ptr_array_add(log, g_strdup_printf("event=message_vanished folder=%s uid=%u", f,
                                                 metas[i].uid));
            continue;
        }
        if (len >= window) {
            *longer_r = g_byte_array_sized_new(window);
            g_byte_array_append(*longer_r, (const guint8 *)body, window);
            break;
        }
        if (len != metas[i].size)
            warn_size_mismatch(folder, &metas[i], len);
        /* every body pushed is popped at its own turn: the same test chose both */
        gpointer tag = NULL;
        g_autoptr(IntakeParsed) parsed = ahead ? intake_ahead_pop(ahead, &tag, NULL, NULL) : NULL;
        g_assert(!ahead || GPOINTER_TO_UINT(tag) == i + 1);
        if (!ingest_one(sync, s, folder, &metas[i], parsed, body, len, log, error))
            return FALSE;
        g_array_append_val(done, metas[i].uid);
        if (stopping(sync)) {
            i++;
            break;
        }
    }
    *stop_r = i;
    return TRUE;
}

/* A batch whose FETCH failed without losing the connection: one bad message
 * must not hold back the others, so one by one. */
static gboolean process_one_by_one(ImapSync *sync, ImapSession *s, const char *folder,
                                   const MsgMeta *metas, guint n, guint *ingested_r,
                                   GError **error)
{
    for (guint i = 0; i < n && !stopping(sync); i++) {
        guint consumed = 0;
        if (!process_batch(sync, s, folder, &metas[i], 1, &consumed, ingested_r, error))
            return FALSE;
    }
    return TRUE;
}

/* Fetch and ingest metas[0..n) in one transaction; *consumed_r: how many of
 * them were dealt with (a body longer than announced ends the batch, and is
 * fetched on in ranges once the batch is committed). */
static gboolean process_batch(ImapSync *sync, ImapSession *s, const char *folder,
                              const MsgMeta *metas, guint n, guint *consumed_r, guint *ingested_r,
                              GError **error)
{
    *consumed_r = n;
    g_autofree guint32 *uids = g_new(guint32, n);
    for (guint i = 0; i < n; i++)
        uids[i] = metas[i].uid;
    guint32 window = batch_window(metas, n);

    clist *result = NULL;
    GError *e = NULL;
    if (!imap_fetch_bodies(sync->fetch, s, folder, uids, n, 0, window, &result, &e)) {
        if (e->code == CPR_ERROR_CONNECTION) {
            g_propagate_error(error, e);
            return FALSE;
        }
        if (n == 1)
            return fetch_failed(sync, s, folder, uids[0], e, error);
        g_error_free(e);
        return process_one_by_one(sync, s, folder, metas, n, ingested_r, error);
    }

    /* One transaction for the batch; the server hears about it after COMMIT. */
    if (!intake_batch_begin(sync->intake, error)) {
        mailimap_fetch_list_free(result);
        return FALSE;
    }
    GArray *done = g_array_new(FALSE, FALSE, sizeof(guint32));
    GPtrArray *log = g_ptr_array_new_with_free_func(g_free);
    GByteArray *longer = NULL;
    guint stop = n;
    gboolean ok = ingest_bodies(sync, s, folder, metas, n, result, window, done, log, &stop,
                                &longer, error);
    mailimap_fetch_list_free(result);
    if (ok) {
        ok = intake_batch_commit(sync->intake, error);
    } else {
        /* Only a database failure gets here: nothing of this batch is kept. */
        intake_batch_rollback(sync->intake);
    }
    if (ok) {
        g_debug("event=batch_committed messages=%u mono_us=%" G_GINT64_FORMAT, done->len,
                g_get_monotonic_time());
        for (guint i = 0; i < log->len; i++)
            g_message("%s", (const char *)g_ptr_array_index(log, i));
        *ingested_r += done->len;
        ok = mark_processed(sync, s, folder, done, error);
    }
    g_ptr_array_unref(log);
    g_array_unref(done);
    *consumed_r = stop;
    if (longer) {
        *consumed_r = stop + 1;
        if (ok)
            return process_ranged(sync, s, folder, &metas[stop], longer, ingested_r, error);
        g_byte_array_unref(longer);
    }
    return ok;
}

/* Where the batch starting at metas[i] ends: at most batch_max messages,
 * each under the range size, and no more than the transfer cap even if
 * every body filled the window. */
static guint batch_end(ImapSync *sync, const MsgMeta *m, guint i, guint len, gsize batch_max)
{
    gsize chunk = imap_fetch_chunk(sync->fetch), cap = imap_fetch_cap(sync->fetch);
    guint32 largest = 0;
    guint j = i;
    while (j < len && j - i < batch_max && m[j].size < chunk) {
        guint32 l = MAX(largest, m[j].size);
        if (j > i && (gsize)(j - i + 1) * ((gsize)l + 1) > cap)
            break;
        largest = l;
        j++;
    }
    return j;
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
    int rc = store_step(sync->store, st, error);
    *yes_r = rc == STORE_ROW &&
             (guint64)sqlite3_column_int64(st, 0) <= (guint64)sync->bounds.max_message_bytes;
    sqlite3_reset(st);
    if (rc == STORE_ERROR) {
        g_prefix_error(error, "cannot read the stored sources: ");
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
 * `run --once` exits non-zero, the daemon retries next round, and when the
 * refusals go on on-call is paged (notify_mark_result()); a pass that marks
 * everything clears that. */
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
        g_autofree char *f = log_value(folder);
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
    const char *why = g_hash_table_lookup(sync->mark_refused, folder);
    gboolean paged = FALSE;
    if (!notify_mark_result(sync->store, cfg, folder, why ? n : 0, why,
                            g_get_real_time() / G_USEC_PER_SEC, &paged, error))
        return FALSE;
    g_autofree char *f = log_value(folder);
    if (why) {
        if (paged)
            g_warning("event=mark_refused_paged folder=%s messages=%u", f, n);
        g_set_error(error, CPR_ERROR, CPR_ERROR_FOLDER,
                    "%s: the server refused to mark %u stored message(s) processed; retried "
                    "next round", folder, n);
        return FALSE;
    }
    if (paged)
        g_message("event=mark_recovered folder=%s", f);
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
    g_autofree char *f = log_value(folder);
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
            guint j = batch_end(sync, m, i, metas->len, batch_max), consumed = 1;
            if (j == i) /* over the range size: in ranges */
                ok = process_ranged(sync, s, folder, &m[i], NULL, ingested_r, error);
            else
                ok = process_batch(sync, s, folder, &m[i], j - i, &consumed, ingested_r, error);
            i += consumed;
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
