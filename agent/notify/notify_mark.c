/* notify_mark.c - stored messages the IMAP server keeps refusing to mark
 * (issue 17 item 3).
 *
 * A refused mark loses nothing (the message is committed first), but under
 * processed=move: the message stays in the folder for ever, and with the
 * keyword every other client sees it unprocessed. The listener retries at
 * every round; when the same folder's marking has been refused on
 * MARK_PAGE_PASSES consecutive passes spanning at least MARK_PAGE_SECONDS,
 * on-call is paged once, naming the folder and how many stored messages lack
 * the mark (and the server's answer): never a subject or an address. The
 * first pass whose marking succeeds clears the condition and, when it had
 * paged, sends an all-clear (a PagerDuty resolve of the same dedup_key).
 *
 * State: the health row "imap.mark_refused:<folder>", value
 * "since=<unix> passes=<n> paged=<0|1>". The page, its audit event and the
 * state change are one transaction; the outbox row key names the folder and
 * the first refusal, so a repeat can never enqueue a second page. */
#include <stdio.h>
#include <string.h>

#include "notify.h"
#include "notify_internal.h"
#include "jsonutil.h"
#include "testhooks.h"
#include "timefmt.h"

#define MARK_PAGE_PASSES 3
#define MARK_PAGE_SECONDS 300

typedef struct {
    gint64 since;
    guint passes;
    gboolean paged;
} MarkState;

static char *state_key(const char *folder)
{
    return g_strconcat("imap.mark_refused:", folder, NULL);
}

static gboolean state_load(Store *store, const char *folder, MarkState *st, gboolean *found_r,
                           GError **error)
{
    g_autofree char *key = state_key(folder), *value = NULL;
    memset(st, 0, sizeof *st);
    if (!store_health_get(store, key, &value, NULL, error))
        return FALSE;
    long long since = 0;
    unsigned passes = 0;
    int paged = 0;
    *found_r = value && sscanf(value, "since=%lld passes=%u paged=%d", &since, &passes, &paged) == 3;
    if (*found_r) {
        st->since = since;
        st->passes = passes;
        st->paged = paged != 0;
    }
    return TRUE;
}

static gboolean state_save(Store *store, const char *folder, const MarkState *st, gint64 now,
                           GError **error)
{
    g_autofree char *key = state_key(folder);
    g_autofree char *value = st ? g_strdup_printf("since=%" G_GINT64_FORMAT " passes=%u paged=%d",
                                                  st->since, st->passes, st->paged ? 1 : 0)
                                : NULL;
    return store_health_set(store, key, value, now, error);
}

/* The minimum age of a refusal before it pages; a test build may shorten it. */
static gint64 page_seconds(void)
{
    const char *v = testhooks_getenv("CPR_INTAKE_MARK_PAGE_SECONDS");
    guint64 n = 0;
    if (v && g_ascii_string_to_unsigned(v, 10, 0, G_MAXINT32, &n, NULL))
        return (gint64)n;
    return MARK_PAGE_SECONDS;
}

/* The page's own members (notify_status_enqueue closes it). */
static JsonBuilder *mark_doc(const char *event, const char *folder, guint count,
                             const MarkState *st, const char *last_error)
{
    g_autofree char *since_s = timefmt_rfc3339(st->since);
    g_autofree char *summary =
        !strcmp(event, "mark_refused")
            ? g_strdup_printf("IMAP server refuses to mark %u stored message(s) in %s processed "
                              "(since %s, %u attempts); they are stored, but stay unmarked on "
                              "the server",
                              count, folder, since_s, st->passes)
            : g_strdup_printf("IMAP server marks the stored messages in %s processed again",
                              folder);
    JsonBuilder *b = notify_doc_begin(event, summary);
    jsonutil_add_string(b, "condition", !strcmp(event, "mark_refused") ? "mark_refused" : "ok");
    jsonutil_add_string(b, "folder", folder);
    if (!strcmp(event, "mark_refused")) {
        jsonutil_add_int(b, "count", count);
        jsonutil_add_int(b, "passes", st->passes);
        jsonutil_add_string(b, "last_error", last_error);
    }
    jsonutil_add_string(b, "since", since_s);
    return b;
}

static gboolean enqueue(Store *store, const Config *cfg, const char *event, const char *folder,
                        guint count, const MarkState *st, const char *last_error, gint64 now,
                        GError **error)
{
    g_autoptr(JsonBuilder) doc = mark_doc(event, folder, count, st, last_error);
    g_autofree char *dedup = g_strconcat("cpr-intake/mark/", folder, NULL);
    g_autofree char *row_key =
        g_strdup_printf("%s:%s:%" G_GINT64_FORMAT, event, folder, st->since);
    g_autoptr(JsonBuilder) details = json_builder_new();
    json_builder_begin_object(details);
    jsonutil_add_string(details, "folder", folder);
    jsonutil_add_int(details, "count", count);
    jsonutil_add_int(details, "passes", st->passes);
    jsonutil_add_time(details, "since", st->since, TRUE);
    return notify_status_enqueue(store, cfg, "imap", event, doc, dedup, details, row_key, now,
                                 error);
}

static gboolean refused(Store *store, const Config *cfg, const char *folder, guint count,
                        const char *last_error, gint64 now, gboolean *paged_r, GError **error)
{
    MarkState st;
    gboolean found = FALSE;
    if (!state_load(store, folder, &st, &found, error))
        return FALSE;
    if (!found) {
        st.since = now;
        st.passes = 0;
        st.paged = FALSE;
    }
    st.passes++;
    if (!st.paged && st.passes >= MARK_PAGE_PASSES && now - st.since >= page_seconds()) {
        if (!enqueue(store, cfg, "mark_refused", folder, count, &st, last_error, now, error))
            return FALSE;
        st.paged = TRUE;
        *paged_r = TRUE;
    }
    return state_save(store, folder, &st, now, error);
}

static gboolean marked(Store *store, const Config *cfg, const char *folder, gint64 now,
                       gboolean *paged_r, GError **error)
{
    MarkState st;
    gboolean found = FALSE;
    if (!state_load(store, folder, &st, &found, error))
        return FALSE;
    if (!found)
        return TRUE;
    if (st.paged) {
        if (!enqueue(store, cfg, "mark_recovered", folder, 0, &st, NULL, now, error))
            return FALSE;
        *paged_r = TRUE;
    }
    return state_save(store, folder, NULL, now, error);
}

gboolean notify_mark_result(Store *store, const Config *cfg, const char *folder, guint refused_n,
                            const char *last_error, gint64 now, gboolean *paged_r,
                            GError **error)
{
    gboolean paged = FALSE;
    if (!refused_n) { /* the common case, once per connection and folder: a read */
        MarkState st;
        gboolean found = FALSE;
        if (!state_load(store, folder, &st, &found, error))
            return FALSE;
        if (!found) {
            if (paged_r)
                *paged_r = FALSE;
            return TRUE;
        }
    }
    if (!store_begin(store, error))
        return FALSE;
    if (!(refused_n ? refused(store, cfg, folder, refused_n, last_error, now, &paged, error)
                    : marked(store, cfg, folder, now, &paged, error))) {
        store_rollback(store);
        return FALSE;
    }
    if (!store_commit(store, error))
        return FALSE;
    if (paged_r)
        *paged_r = paged;
    return TRUE;
}
