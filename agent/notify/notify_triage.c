/* notify_triage.c - the digest page of unreviewed triage mail (issue 11, SPEC
 * 3.3 [triage] digest_hours; docs/notifications.md "Triage digest").
 *
 * Triage mail is mail to a report address that opened no case (triage.h);
 * `list --triage` shows it until `triage done` or `case open`. So that none
 * of it waits unseen, on-call gets a digest page:
 *   - each triage message is announced once, in the first digest after it
 *     arrived, and that digest goes out at most digest_hours after the oldest
 *     message it announces was received (aware_at): never silence;
 *   - a digest announces every unreviewed message not announced before, so a
 *     message that arrives later waits for the next one, which is due
 *     digest_hours after *its* arrival: at most one digest per digest_hours,
 *     however much mail comes (never a page storm), and none at all for
 *     messages reviewed (or opened as cases) in time;
 *   - a digest also counts the earlier announced messages still unreviewed,
 *     but those never page again by themselves (`list --triage` keeps them).
 * The page holds facts only (message row, received time, kind; never a
 * sender, a subject or a Message-ID, which may name a reporter).
 *
 * State: the health key triage.digest_scan (ScanState below): the highest
 * message row up to which nothing is waiting for a digest (every row at or
 * below it has a case, was reviewed, is not triage mail, or was announced),
 * the highest row read, and the oldest aware_at of the triage mail read and
 * not announced. A tick reads each new message's headers once, and the
 * waiting ones once more when they fall due. The digest, its audit event
 * (triage_digest, with the rows announced) and the new state commit in one
 * transaction; the outbox row key makes it exactly-once per target. Without any [notify.*]
 * target nothing is scanned or recorded. */
#include <stdio.h>
#include <string.h>

#include "notify_internal.h"
#include "jsonutil.h"
#include "timefmt.h"
#include "triage.h"

#define SCAN_KEY "triage.digest_scan"
#define DIGEST_KEY "cpr-intake/triage-digest"
/* messages itemised in the page; the rest are counted */
#define PAGE_ITEMS_MAX 50
/* rows recorded in the audit event (to count the still-unreviewed later) */
#define EVENT_ROWS_MAX 5000

typedef struct {
    gint64 row;
    gint64 aware_at;
    char *kind;
} Pending;

static void pending_clear(gpointer p)
{
    g_free(((Pending *)p)->kind);
}

/* The triage rows in (after, upto], not reviewed and without a case. */
static gboolean read_pending(Store *store, const Config *cfg, gint64 after, gint64 upto,
                             GArray *out, GError **error)
{
    sqlite3_stmt *st = store_prepare(
        store,
        "SELECT m.id, m.aware_at, m.kind, substr(" STORE_RAW_OF("m.id") ", 1, ?2) FROM messages m "
        "WHERE m.id > ?1 AND m.id <= ?3 AND m.case_id IS NULL "
        "AND NOT EXISTS (SELECT 1 FROM triage_reviews t WHERE t.message_row = m.id) "
        "ORDER BY m.id",
        error);
    if (!st)
        return FALSE;
    sqlite3_bind_int64(st, 1, after);
    sqlite3_bind_int64(st, 2, TRIAGE_HEADER_BYTES);
    sqlite3_bind_int64(st, 3, upto);
    int rc;
    while ((rc = store_step(store, st, error)) == STORE_ROW) {
        const guint8 *raw = sqlite3_column_blob(st, 3);
        gsize len = (gsize)sqlite3_column_bytes(st, 3);
        if (!raw || !triage_to_report_address(raw, len, cfg->ca_report_addresses))
            continue;
        Pending p = {.row = sqlite3_column_int64(st, 0),
                     .aware_at = sqlite3_column_int64(st, 1),
                     .kind = store_column_dup(st, 2)};
        g_array_append_val(out, p);
    }
    return rc != STORE_ERROR;
}

static gboolean query_int(Store *store, const char *sql, gint64 *n_r, GError **error)
{
    sqlite3_stmt *st = store_prepare(store, sql, error);
    if (!st)
        return FALSE;
    *n_r = 0;
    int rc = store_step(store, st, error);
    if (rc == STORE_ROW)
        *n_r = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return rc != STORE_ERROR;
}

/* The members the page and its audit event share: what the digest covers. */
static void add_counts(JsonBuilder *b, const GArray *pending, gint64 earlier, gint64 oldest,
                       gint64 through)
{
    jsonutil_add_int(b, "new", pending->len);
    jsonutil_add_int(b, "earlier_unreviewed", earlier);
    jsonutil_add_time(b, "oldest_aware_at", oldest, FALSE);
    jsonutil_add_int(b, "through_row", through);
}

static char *digest_doc(const GArray *pending, gint64 earlier, gint64 oldest, gint64 through,
                        gint64 now)
{
    g_autofree char *oldest_s = timefmt_rfc3339(oldest);
    gint64 total = (gint64)pending->len + earlier;
    g_autofree char *summary = g_strdup_printf(
        "Triage: %" G_GINT64_FORMAT " message(s) to the report address opened no case and await "
        "review (%u new, the oldest new received %s); see cpr-intake list --triage",
        total, pending->len, oldest_s);
    g_autoptr(JsonBuilder) b = notify_doc_begin("triage_digest", summary);
    jsonutil_add_int(b, "unreviewed", total);
    add_counts(b, pending, earlier, oldest, through);
    json_builder_set_member_name(b, "messages");
    json_builder_begin_array(b);
    for (guint i = 0; i < pending->len && i < PAGE_ITEMS_MAX; i++) {
        const Pending *p = &g_array_index(pending, Pending, i);
        json_builder_begin_object(b);
        jsonutil_add_int(b, "message_row", p->row);
        jsonutil_add_time(b, "aware_at", p->aware_at, FALSE);
        jsonutil_add_string(b, "kind", p->kind);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    jsonutil_add_bool(b, "messages_truncated", pending->len > PAGE_ITEMS_MAX);
    return notify_doc_end(b, now, "cpr-intake list --triage", DIGEST_KEY);
}

static char *event_details(const GArray *pending, gint64 earlier, gint64 oldest, gint64 through)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    add_counts(b, pending, earlier, oldest, through);
    json_builder_set_member_name(b, "message_rows");
    json_builder_begin_array(b);
    for (guint i = 0; i < pending->len && i < EVENT_ROWS_MAX; i++)
        json_builder_add_int_value(b, g_array_index(pending, Pending, i).row);
    json_builder_end_array(b);
    jsonutil_add_bool(b, "message_rows_truncated", pending->len > EVENT_ROWS_MAX);
    json_builder_end_object(b);
    return jsonutil_builder_to_string(b, FALSE);
}

/* The scan state (SCAN_KEY): "S P A". Rows up to S need no digest; rows in
 * (S, P] have been read, and A is the oldest aware_at of the triage mail
 * among them (0: none), so a tick without new mail reads no message. */
typedef struct {
    gint64 scan, read, oldest;
} ScanState;

static gboolean state_get(Store *store, ScanState *st, GError **error)
{
    g_autofree char *v = NULL;
    if (!store_health_get(store, SCAN_KEY, &v, NULL, error))
        return FALSE;
    *st = (ScanState){0, 0, 0};
    if (v && sscanf(v, "%" G_GINT64_FORMAT " %" G_GINT64_FORMAT " %" G_GINT64_FORMAT, &st->scan,
                    &st->read, &st->oldest) < 3)
        st->read = st->scan, st->oldest = 0;
    return TRUE;
}

static gboolean state_set(Store *store, const ScanState *old, const ScanState *st, gint64 now,
                          GError **error)
{
    if (old->scan == st->scan && old->read == st->read && old->oldest == st->oldest)
        return TRUE;
    g_autofree char *v = g_strdup_printf("%" G_GINT64_FORMAT " %" G_GINT64_FORMAT " %" G_GINT64_FORMAT,
                                         st->scan, st->read, st->oldest);
    return store_health_set(store, SCAN_KEY, v, now, error);
}

static gint64 pending_oldest(const GArray *pending)
{
    gint64 oldest = 0;
    for (guint i = 0; i < pending->len; i++) {
        /* 0 means none: a message dated 1970 or before is simply overdue */
        gint64 a = MAX(g_array_index(pending, Pending, i).aware_at, 1);
        oldest = oldest && oldest <= a ? oldest : a;
    }
    return oldest;
}

static gboolean send_digest(Store *store, const Config *cfg, const GArray *pending, gint64 oldest,
                            gint64 through, gint64 now, GError **error)
{
    /* earlier digests' messages that are still unreviewed */
    gint64 earlier = 0;
    if (!query_int(store,
                   "SELECT count(DISTINCT j.value) FROM events e, "
                   "json_each(e.details, '$.message_rows') j "
                   "JOIN messages m ON m.id = j.value "
                   "WHERE e.type = 'triage_digest' AND m.case_id IS NULL "
                   "AND NOT EXISTS (SELECT 1 FROM triage_reviews t WHERE t.message_row = m.id)",
                   &earlier, error))
        return FALSE;
    g_autofree char *doc = digest_doc(pending, earlier, oldest, through, now);
    g_autofree char *details = event_details(pending, earlier, oldest, through);
    g_autofree char *row_key = g_strdup_printf("triage_digest:%" G_GINT64_FORMAT, through);
    if (!notify_ops_enqueue(store, cfg, "notify", "triage_digest", details, "triage_digest",
                            row_key, doc, now, error))
        return FALSE;
    g_message("event=triage_digest new=%u earlier_unreviewed=%" G_GINT64_FORMAT
              " through_row=%" G_GINT64_FORMAT,
              pending->len, earlier, through);
    return TRUE;
}

static gboolean run(Store *store, const Config *cfg, gint64 now, guint *n_r, GError **error)
{
    ScanState old, st;
    gint64 last = 0;
    if (!state_get(store, &old, error) ||
        !query_int(store, "SELECT coalesce(max(id), 0) FROM messages", &last, error))
        return FALSE;
    st = old;
    st.read = MAX(st.read, st.scan);
    if (last > st.read) {
        /* new mail: read it once */
        g_autoptr(GArray) fresh = g_array_new(FALSE, FALSE, sizeof(Pending));
        g_array_set_clear_func(fresh, pending_clear);
        if (!read_pending(store, cfg, st.read, last, fresh, error))
            return FALSE;
        gint64 a = pending_oldest(fresh);
        if (a && (!st.oldest || a < st.oldest))
            st.oldest = a;
        st.read = last;
    }
    gint64 window = (gint64)cfg->triage_digest_hours * 3600;
    if (st.oldest && now - st.oldest >= window) {
        /* due, as far as we know: what is still unreviewed now */
        g_autoptr(GArray) pending = g_array_new(FALSE, FALSE, sizeof(Pending));
        g_array_set_clear_func(pending, pending_clear);
        if (!read_pending(store, cfg, st.scan, st.read, pending, error))
            return FALSE;
        st.oldest = pending_oldest(pending);
        if (st.oldest && now - st.oldest >= window) {
            if (!send_digest(store, cfg, pending, st.oldest, st.read, now, error))
                return FALSE;
            (*n_r)++;
            st.oldest = 0;
        } else if (st.oldest) {
            /* the oldest was reviewed in time: wait from the first left */
            st.scan = g_array_index(pending, Pending, 0).row - 1;
        }
    }
    if (!st.oldest)
        st.scan = st.read; /* nothing waits for a digest */
    return state_set(store, &old, &st, now, error);
}

gboolean notify_triage_run(Store *store, const Config *cfg, gint64 now, guint *n_r, GError **error)
{
    if (!cfg->notify || cfg->notify->len == 0)
        return TRUE;
    return notify_job_run(store, cfg, now, run, n_r, error);
}
