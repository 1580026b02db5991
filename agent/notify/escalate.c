/* escalate.c - escalation points of open clocks (SPEC 2.3).
 *
 * A point's time is computed from the clock's window (starts_at to due_at, so
 * from aware_at for the clocks that run from awareness), never from when the
 * daemon noticed. Catch-up rule: at each tick a clock pages at most once, for
 * the highest point whose time has come, and only when no point at least as
 * high was fired for the same due time. A daemon that was down for the 50 %
 * and 75 % points of a clock therefore sends one page, the 75 % one, and never
 * sends the 50 % page afterwards. A clock whose due time moves (an earlier
 * report joined; a recurring clock restarted) starts a fresh series. Meeting
 * the clock, or closing the case, stops its pages. */
#include "notify_internal.h"
#include "cpr_error.h"
#include "jsonutil.h"

gint64 escalate_point_time(gint64 starts_at, gint64 due_at, guint point)
{
    if (point >= 100)
        return due_at;
    /* integer arithmetic, rounded down: a page is never late */
    return starts_at + (due_at - starts_at) * (gint64)point / 100;
}

guint escalate_point_due(const Config *cfg, gint64 starts_at, gint64 due_at, gint64 now)
{
    guint best = 0;
    for (guint i = 0; i < cfg->n_escalate_at; i++)
        if (escalate_point_time(starts_at, due_at, cfg->escalate_at[i]) <= now)
            best = MAX(best, cfg->escalate_at[i]);
    return best;
}

typedef struct {
    gint64 case_id;
    char *clock;   /* the clock's name */
    char *key;     /* its escalation key: the name, "question_response#N" per question */
    gint64 starts_at, due_at;
    gint64 page_at;   /* an extra paging time (rows 6-16 at 24 h), 0 = none */
    gint64 fired_max; /* highest point fired for this due time, 0 = none */
} OpenClock;

static void open_clock_free(gpointer p)
{
    OpenClock *c = p;
    g_free(c->clock);
    g_free(c->key);
    g_free(c);
}

static gboolean load_open_clocks(Store *store, GPtrArray *out, GError **error)
{
    sqlite3_stmt *st = store_prepare(
        store,
        "SELECT k.case_id, k.clock, k.starts_at, k.due_at, coalesce(k.page_at, 0), "
        " CASE WHEN k.ref = 0 THEN k.clock ELSE k.clock || '#' || k.ref END AS key, "
        " (SELECT coalesce(max(e.point), 0) FROM escalations e WHERE e.case_id = k.case_id "
        "  AND e.clock = (CASE WHEN k.ref = 0 THEN k.clock ELSE k.clock || '#' || k.ref END) "
        "  AND e.due_at = k.due_at) "
        "FROM clocks k JOIN cases c ON c.id = k.case_id "
        "WHERE c.status = 'open' AND k.met_at IS NULL AND k.withdrawn = 0 "
        "ORDER BY k.due_at, k.case_id, k.clock, k.ref",
        error);
    if (!st)
        return FALSE;
    int rc;
    while ((rc = store_step(store, st, error)) == STORE_ROW) {
        OpenClock *c = g_new0(OpenClock, 1);
        c->case_id = sqlite3_column_int64(st, 0);
        c->clock = store_column_dup(st, 1);
        c->starts_at = sqlite3_column_int64(st, 2);
        c->due_at = sqlite3_column_int64(st, 3);
        c->page_at = sqlite3_column_int64(st, 4);
        c->key = store_column_dup(st, 5);
        c->fired_max = sqlite3_column_int64(st, 6);
        g_ptr_array_add(out, c);
    }
    sqlite3_reset(st);
    if (rc != STORE_DONE) {
        g_prefix_error(error, "escalation: cannot read open clocks: ");
        return FALSE;
    }
    return TRUE;
}

static gboolean fire(Store *store, const Config *cfg, const OpenClock *c, guint point, gint64 now,
                     GError **error)
{
    sqlite3_stmt *st = store_prepare(
        store,
        "INSERT INTO escalations (case_id, clock, point, due_at, fired_at) VALUES (?,?,?,?,?)",
        error);
    if (!st)
        return FALSE;
    sqlite3_bind_int64(st, 1, c->case_id);
    sqlite3_bind_text(st, 2, c->key, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, point);
    sqlite3_bind_int64(st, 4, c->due_at);
    sqlite3_bind_int64(st, 5, now);
    if (!store_step_done(store, st, error))
        return FALSE;

    gint64 point_at = escalate_point_time(c->starts_at, c->due_at, point);
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    jsonutil_add_string(b, "clock", c->clock);
    jsonutil_add_int(b, "point", point);
    jsonutil_add_time(b, "point_at", point_at, FALSE);
    jsonutil_add_time(b, "due_at", c->due_at, FALSE);
    json_builder_end_object(b);
    g_autofree char *details = jsonutil_builder_to_string(b, FALSE);
    if (!store_event_append(store, now, "notify", c->case_id, "escalation_fired", details, error))
        return FALSE;

    g_autofree char *row_key = g_strdup_printf("escalation:%" G_GINT64_FORMAT ":%s:%" G_GINT64_FORMAT
                                               ":%u", c->case_id, c->key, c->due_at, point);
    PageSpec spec = {.event = "escalation", .case_id = c->case_id, .clock = c->clock,
                     .due_at = c->due_at, .point = point, .at = point_at};
    return notify_page_enqueue(store, cfg, &spec, "escalation", row_key, now, error);
}

gboolean escalate_run(Store *store, const Config *cfg, gint64 now, guint *fired_r, GError **error)
{
    guint fired = 0;
    g_autoptr(GPtrArray) clocks = g_ptr_array_new_with_free_func(open_clock_free);
    if (!store_begin(store, error))
        return FALSE;
    if (!load_open_clocks(store, clocks, error))
        goto rollback;
    for (guint i = 0; i < clocks->len; i++) {
        const OpenClock *c = g_ptr_array_index(clocks, i);
        guint point = escalate_point_due(cfg, c->starts_at, c->due_at, now);
        /* The clock's own paging time inside its window (BR 4.9.1.1 rows
         * 6-16: SHOULD within 24 h; revocation-delay updates at 3 days), as
         * the percentage of the window it falls on. */
        if (c->page_at && c->page_at <= now && c->due_at > c->starts_at) {
            guint extra = (guint)MAX(1, (c->page_at - c->starts_at) * 100 / (c->due_at - c->starts_at));
            point = MAX(point, extra);
        }
        if (point == 0 || (gint64)point <= c->fired_max)
            continue;
        if (!fire(store, cfg, c, point, now, error))
            goto rollback;
        fired++;
    }
    if (!store_commit(store, error))
        goto rollback;
    if (fired_r)
        *fired_r = fired;
    return TRUE;
rollback:
    store_rollback(store);
    return FALSE;
}
