/* report.c - the response-time report (see report.h). */
#include <string.h>

#include "report.h"
#include "clocks.h"
#include "jsonutil.h"
#include "timefmt.h"

static void report_clock_stats_free(gpointer p)
{
    ReportClockStats *s = p;
    g_free(s->clock);
    g_free(s);
}

static gint cmp_gint64(gconstpointer a, gconstpointer b)
{
    gint64 x = *(const gint64 *)a, y = *(const gint64 *)b;
    return x < y ? -1 : x > y;
}

static gint clock_rank(const char *clock)
{
    const char *const *names = clocks_names();
    for (gint i = 0; names[i]; i++)
        if (!strcmp(names[i], clock))
            return i;
    return G_MAXINT;
}

static gint cmp_stats(gconstpointer a, gconstpointer b)
{
    const ReportClockStats *x = *(ReportClockStats *const *)a, *y = *(ReportClockStats *const *)b;
    gint rx = clock_rank(x->clock), ry = clock_rank(y->clock);
    return rx != ry ? (rx < ry ? -1 : 1) : strcmp(x->clock, y->clock);
}

GPtrArray *report_compute(const ReportSample *samples, gsize n, gint64 now)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(report_clock_stats_free);
    g_autoptr(GHashTable) times = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
                                                        (GDestroyNotify)g_array_unref);
    g_autoptr(GHashTable) by_clock = g_hash_table_new(g_str_hash, g_str_equal);
    for (gsize i = 0; i < n; i++) {
        const ReportSample *s = &samples[i];
        ReportClockStats *st = g_hash_table_lookup(by_clock, s->clock);
        if (!st) {
            st = g_new0(ReportClockStats, 1);
            st->clock = g_strdup(s->clock);
            g_ptr_array_add(out, st);
            g_hash_table_insert(by_clock, st->clock, st);
            g_hash_table_insert(times, st->clock, g_array_new(FALSE, FALSE, sizeof(gint64)));
        }
        st->count++;
        switch (clocks_status(s->due_at, s->met_at, s->withdrawn, now)) {
        case CLOCK_MET:
            if (s->backfilled)
                st->met_backfilled++;
            else
                st->met++;
            break;
        case CLOCK_MET_LATE:
            st->met_late++;
            break;
        case CLOCK_MISSED:
            st->missed++;
            break;
        case CLOCK_WITHDRAWN:
            st->withdrawn++;
            break;
        case CLOCK_OPEN:
            st->open++;
            break;
        }
        if (s->met_at && !s->withdrawn) {
            gint64 t = s->met_at - s->starts_at;
            g_array_append_val(g_hash_table_lookup(times, st->clock), t);
        }
    }
    for (guint i = 0; i < out->len; i++) {
        ReportClockStats *st = g_ptr_array_index(out, i);
        GArray *t = g_hash_table_lookup(times, st->clock);
        st->timed = t->len;
        if (!t->len)
            continue;
        g_array_sort(t, cmp_gint64);
        const gint64 *v = (const gint64 *)t->data;
        guint m = t->len;
        st->median = m % 2 ? v[m / 2] : (v[m / 2 - 1] + v[m / 2]) / 2;
        guint rank = (m * 9 + 9) / 10; /* ceil(0.9 m) */
        st->p90 = v[MAX(rank, 1) - 1];
    }
    g_ptr_array_sort(out, cmp_stats);
    return out;
}

gboolean report_load(Store *store, gint64 since, gint64 until, GArray **samples_r,
                     GStringChunk **chunk_r, GError **error)
{
    sqlite3_stmt *st = store_prepare(
        store,
        "SELECT k.clock, k.starts_at, k.due_at, coalesce(k.met_at, 0), k.withdrawn, k.backfilled "
        "FROM clocks k "
        "JOIN cases c ON c.id = k.case_id WHERE c.aware_at >= ?1 AND (?2 = 0 OR c.aware_at < ?2) "
        "ORDER BY k.case_id, k.clock, k.ref",
        error);
    if (!st)
        return FALSE;
    sqlite3_bind_int64(st, 1, since);
    sqlite3_bind_int64(st, 2, until);
    GArray *samples = g_array_new(FALSE, FALSE, sizeof(ReportSample));
    GStringChunk *chunk = g_string_chunk_new(256);
    int rc;
    while ((rc = store_step(store, st, error)) == STORE_ROW) {
        ReportSample s = {
            .clock = g_string_chunk_insert_const(chunk, (const char *)sqlite3_column_text(st, 0)),
            .starts_at = sqlite3_column_int64(st, 1),
            .due_at = sqlite3_column_int64(st, 2),
            .met_at = sqlite3_column_int64(st, 3),
            .withdrawn = sqlite3_column_int(st, 4) != 0,
            .backfilled = sqlite3_column_int(st, 5) != 0,
        };
        g_array_append_val(samples, s);
    }
    sqlite3_reset(st);
    if (rc != STORE_DONE) {
        g_array_unref(samples);
        g_string_chunk_free(chunk);
        g_prefix_error(error, "report: cannot read clocks: ");
        return FALSE;
    }
    *samples_r = samples;
    *chunk_r = chunk;
    return TRUE;
}

/* "2d 3h 4m", "5h 0m", "12m" (positive durations). */
static char *duration(gint64 s)
{
    gint64 d = s / 86400, h = s % 86400 / 3600, m = s % 3600 / 60;
    if (d)
        return g_strdup_printf("%" G_GINT64_FORMAT "d %" G_GINT64_FORMAT "h %" G_GINT64_FORMAT "m",
                               d, h, m);
    if (h)
        return g_strdup_printf("%" G_GINT64_FORMAT "h %" G_GINT64_FORMAT "m", h, m);
    return g_strdup_printf("%" G_GINT64_FORMAT "m", m);
}

char *report_format_text(const GPtrArray *stats, gint64 since, gint64 until, gint64 now)
{
    GString *out = g_string_new(NULL);
    g_autofree char *since_s = since ? timefmt_rfc3339(since) : g_strdup("the first case");
    g_autofree char *until_s = timefmt_rfc3339(until ? until : now);
    g_string_append_printf(out, "Response times of cases the CA became aware of from %s to %s\n\n",
                           since_s, until_s);
    g_string_append_printf(out, "%-30s %5s %5s %9s %8s %6s %9s %5s  %-12s %s\n", "CLOCK",
                           "COUNT", "MET", "MET(BACK)", "MET LATE", "MISSED", "WITHDRAWN", "OPEN",
                           "MEDIAN", "P90");
    for (guint i = 0; i < stats->len; i++) {
        const ReportClockStats *s = g_ptr_array_index(stats, i);
        g_autofree char *med = s->timed ? duration(s->median) : g_strdup("-");
        g_autofree char *p90 = s->timed ? duration(s->p90) : g_strdup("-");
        g_string_append_printf(out, "%-30s %5u %5u %9u %8u %6u %9u %5u  %-12s %s\n", s->clock,
                               s->count, s->met, s->met_backfilled, s->met_late, s->missed,
                               s->withdrawn, s->open, med, p90);
    }
    g_string_append(out, "\nmet = in time, recorded in time; met(back) = in time by an event "
                         "recorded after the fact;\nwithdrawn = the case was found not to be an "
                         "incident; median and p90 are of the time to meet,\nover clocks met "
                         "(in time or late)\n");
    return g_string_free(out, FALSE);
}

char *report_format_json(const GPtrArray *stats, gint64 since, gint64 until, gint64 now)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    jsonutil_add_time(b, "since", since, TRUE);
    jsonutil_add_time(b, "until", until ? until : now, FALSE);
    json_builder_set_member_name(b, "clocks");
    json_builder_begin_array(b);
    for (guint i = 0; i < stats->len; i++) {
        const ReportClockStats *s = g_ptr_array_index(stats, i);
        json_builder_begin_object(b);
        jsonutil_add_string(b, "clock", s->clock);
        jsonutil_add_int(b, "count", s->count);
        jsonutil_add_int(b, "met", s->met);
        jsonutil_add_int(b, "met_backfilled", s->met_backfilled);
        jsonutil_add_int(b, "met_late", s->met_late);
        jsonutil_add_int(b, "missed", s->missed);
        jsonutil_add_int(b, "withdrawn", s->withdrawn);
        jsonutil_add_int(b, "open", s->open);
        jsonutil_add_int(b, "timed", s->timed);
        json_builder_set_member_name(b, "median_seconds");
        if (s->timed)
            json_builder_add_int_value(b, s->median);
        else
            json_builder_add_null_value(b);
        json_builder_set_member_name(b, "p90_seconds");
        if (s->timed)
            json_builder_add_int_value(b, s->p90);
        else
            json_builder_add_null_value(b);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    json_builder_end_object(b);
    return jsonutil_builder_to_string(b, TRUE);
}
