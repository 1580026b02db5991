/* test_report.c - the response-time report against hand-computed figures: the
 * pure statistics on hand-made samples, and the whole path (report_load +
 * report_compute) on a fixture database with a period filter. */
#include <glib.h>
#include <glib/gstdio.h>

#include "report.h"
#include "store.h"
#include <string.h>

#define T0 1700000000
#define DAY 86400

static const ReportClockStats *find(GPtrArray *stats, const char *clock)
{
    for (guint i = 0; i < stats->len; i++) {
        const ReportClockStats *s = g_ptr_array_index(stats, i);
        if (!g_strcmp0(s->clock, clock))
            return s;
    }
    return NULL;
}

static void test_compute(void)
{
    /* prelim: met after 1h and 2h, met late after 25h, unmet and overdue,
     * unmet and open. Times to meet {3600, 7200, 90000}: median 7200,
     * p90 = ceil(0.9*3) = 3rd = 90000. */
    const ReportSample s[] = {
        {"cpr_preliminary_report", T0, T0 + DAY, T0 + 3600},
        {"cpr_preliminary_report", T0, T0 + DAY, T0 + 7200},
        {"cpr_preliminary_report", T0, T0 + DAY, T0 + 90000},
        {"cpr_preliminary_report", T0, T0 + DAY, 0},
        {"cpr_preliminary_report", T0 + 950000, T0 + 950000 + DAY, 0},
        /* revocation: {200, 1800, 36000, 43200}: median (1800+36000)/2 =
         * 18900, p90 = ceil(3.6) = 4th = 43200 */
        {"revocation", T0, T0 + DAY, T0 + 36000},
        {"revocation", T0, T0 + DAY, T0 + 200},
        {"revocation", T0, T0 + DAY, T0 + 43200},
        {"revocation", T0, T0 + DAY, T0 + 1800},
        /* incident_disclosure: one open, one withdrawn (met before the case
         * was found not to be an incident: counted withdrawn, not timed) */
        {"incident_disclosure", T0 + 950000, T0 + 950000 + 3 * DAY, 0},
        {"incident_disclosure", T0, T0 + 3 * DAY, T0 + 3600, TRUE, FALSE},
        /* met in time by a back-filled event */
        {"revocation", T0, T0 + DAY, T0 + 600, FALSE, TRUE},
    };
    g_autoptr(GPtrArray) st = report_compute(s, G_N_ELEMENTS(s), T0 + 1000000);
    g_assert_cmpuint(st->len, ==, 3);
    /* policy table order, not input order */
    g_assert_cmpstr(((ReportClockStats *)g_ptr_array_index(st, 0))->clock, ==,
                    "cpr_preliminary_report");
    g_assert_cmpstr(((ReportClockStats *)g_ptr_array_index(st, 1))->clock, ==, "revocation");
    const ReportClockStats *p = find(st, "cpr_preliminary_report");
    g_assert_cmpuint(p->count, ==, 5);
    g_assert_cmpuint(p->met, ==, 2);
    g_assert_cmpuint(p->met_late, ==, 1);
    g_assert_cmpuint(p->missed, ==, 1);
    g_assert_cmpuint(p->open, ==, 1);
    g_assert_cmpuint(p->timed, ==, 3);
    g_assert_cmpint(p->median, ==, 7200);
    g_assert_cmpint(p->p90, ==, 90000);
    const ReportClockStats *r = find(st, "revocation");
    /* {200, 600, 1800, 36000, 43200}: median 1800, p90 = 5th = 43200 */
    g_assert_cmpuint(r->count, ==, 5);
    g_assert_cmpuint(r->met, ==, 4);
    g_assert_cmpuint(r->met_backfilled, ==, 1);
    g_assert_cmpuint(r->missed, ==, 0);
    g_assert_cmpint(r->median, ==, 1800);
    g_assert_cmpint(r->p90, ==, 43200);
    const ReportClockStats *d = find(st, "incident_disclosure");
    g_assert_cmpuint(d->count, ==, 2);
    g_assert_cmpuint(d->open, ==, 1);
    g_assert_cmpuint(d->withdrawn, ==, 1);
    g_assert_cmpuint(d->timed, ==, 0);
    /* the six counts add up */
    for (guint i = 0; i < st->len; i++) {
        const ReportClockStats *x = g_ptr_array_index(st, i);
        g_assert_cmpuint(x->met + x->met_backfilled + x->met_late + x->missed + x->withdrawn +
                             x->open, ==, x->count);
    }
}

static void test_edges(void)
{
    g_autoptr(GPtrArray) none = report_compute(NULL, 0, T0);
    g_assert_cmpuint(none->len, ==, 0);
    /* one sample: median = p90 = it; met exactly at the due time is in time */
    const ReportSample one[] = {{"revocation", T0, T0 + DAY, T0 + DAY}};
    g_autoptr(GPtrArray) st = report_compute(one, 1, T0);
    const ReportClockStats *r = g_ptr_array_index(st, 0);
    g_assert_cmpuint(r->met, ==, 1);
    g_assert_cmpint(r->median, ==, DAY);
    g_assert_cmpint(r->p90, ==, DAY);
    /* ten samples 1..10 minutes: median 5.5 min = 330 s, p90 = 9th = 540 s */
    ReportSample ten[10];
    for (int i = 0; i < 10; i++)
        ten[i] = (ReportSample){"cpr_preliminary_report", T0, T0 + DAY, T0 + (i + 1) * 60};
    g_autoptr(GPtrArray) st10 = report_compute(ten, 10, T0);
    r = g_ptr_array_index(st10, 0);
    g_assert_cmpint(r->median, ==, 330);
    g_assert_cmpint(r->p90, ==, 540);
}

static void exec(Store *store, const char *sql)
{
    char *err = NULL;
    int rc = sqlite3_exec(store_db(store), sql, NULL, NULL, &err);
    if (rc != SQLITE_OK)
        g_error("%s: %s", sql, err);
}

static void add_case(Store *store, int id, gint64 aware)
{
    g_autofree char *sql = g_strdup_printf(
        "INSERT INTO cases (id, reference, year, seq, kind, problem, aware_at, aware_source, "
        "created_at) VALUES (%d, 'CPR-2023-%04d', 2023, %d, 'cpr', 'key_compromise', %" G_GINT64_FORMAT
        ", 'received', %" G_GINT64_FORMAT ")", id, id, id, aware, aware);
    exec(store, sql);
}

static void add_clock(Store *store, int case_id, const char *clock, gint64 starts, gint64 due,
                      gint64 met)
{
    g_autofree char *met_s = met ? g_strdup_printf("%" G_GINT64_FORMAT, met) : g_strdup("NULL");
    g_autofree char *starts_s = starts ? g_strdup_printf("%" G_GINT64_FORMAT, starts) : g_strdup("NULL");
    g_autofree char *due_s = due ? g_strdup_printf("%" G_GINT64_FORMAT, due) : g_strdup("NULL");
    g_autofree char *sql = g_strdup_printf(
        "INSERT INTO clocks (case_id, clock, starts_at, due_at, met_at) VALUES (%d, '%s', %s, %s, %s)",
        case_id, clock, starts_s, due_s, met_s);
    exec(store, sql);
}

static void test_fixture_db(void)
{
    g_autofree char *dir = g_dir_make_tmp("test_report_XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "cases.db", NULL);
    GError *error = NULL;
    Store *store = store_open(path, &error);
    g_assert_no_error(error);
    /* Four cases in the period (aware from T0), one before it. */
    add_case(store, 1, T0);
    add_case(store, 2, T0 + 100);
    add_case(store, 3, T0 + 200);
    add_case(store, 4, T0 + 300);
    add_case(store, 5, T0 - 10 * DAY);
    /* prelim: met after 30 min, 90 min, 6 h; case 4 unmet and overdue.
     * Hand-computed: count 4, met 3, missed 1; times {1800, 5400, 21600}:
     * median 5400, p90 21600. */
    add_clock(store, 1, "cpr_preliminary_report", T0, T0 + DAY, T0 + 1800);
    add_clock(store, 2, "cpr_preliminary_report", T0 + 100, T0 + 100 + DAY, T0 + 100 + 5400);
    add_clock(store, 3, "cpr_preliminary_report", T0 + 200, T0 + 200 + DAY, T0 + 200 + 21600);
    add_clock(store, 4, "cpr_preliminary_report", T0 + 300, T0 + 300 + DAY, 0);
    /* revocation: met in 20 h and (late) in 30 h; case 3 open (5 days).
     * count 3, met 1, missed 1, open 1; times {72000, 108000}: median 90000,
     * p90 = ceil(1.8) = 2nd = 108000. */
    add_clock(store, 1, "revocation", T0, T0 + DAY, T0 + 72000);
    add_clock(store, 2, "revocation", T0 + 100, T0 + 100 + DAY, T0 + 100 + 108000);
    add_clock(store, 3, "revocation", T0 + 200, T0 + 200 + 5 * DAY, 0);
    /* before the period: not counted */
    add_clock(store, 5, "cpr_preliminary_report", T0 - 10 * DAY, T0 - 9 * DAY, T0 - 10 * DAY + 60);

    GArray *samples = NULL;
    GStringChunk *chunk = NULL;
    g_assert_true(report_load(store, T0, 0, &samples, &chunk, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(samples->len, ==, 7);
    gint64 now = T0 + 2 * DAY;
    g_autoptr(GPtrArray) st = report_compute((const ReportSample *)(void *)samples->data,
                                             samples->len, now);
    const ReportClockStats *p = find(st, "cpr_preliminary_report");
    g_assert_cmpuint(p->count, ==, 4);
    g_assert_cmpuint(p->met, ==, 3);
    g_assert_cmpuint(p->missed, ==, 1);
    g_assert_cmpuint(p->open, ==, 0);
    g_assert_cmpuint(p->met_late, ==, 0);
    g_assert_cmpint(p->median, ==, 5400);
    g_assert_cmpint(p->p90, ==, 21600);
    const ReportClockStats *r = find(st, "revocation");
    g_assert_cmpuint(r->count, ==, 3);
    g_assert_cmpuint(r->met, ==, 1);
    g_assert_cmpuint(r->met_late, ==, 1);
    g_assert_cmpuint(r->missed, ==, 0);
    g_assert_cmpuint(r->open, ==, 1);
    g_assert_cmpint(r->median, ==, 90000);
    g_assert_cmpint(r->p90, ==, 108000);
    g_assert_null(find(st, "full_report"));

    g_autofree char *json = report_format_json(st, T0, 0, now);
    g_assert_nonnull(strstr(json, "\"median_seconds\" : 5400"));
    g_autofree char *text = report_format_text(st, T0, 0, now);
    g_assert_nonnull(strstr(text, "1h 30m"));
    g_assert_nonnull(strstr(text, "1d 1h 0m")); /* revocation median 90000 s */

    /* the whole history: case 5 joins the preliminary report figures */
    g_array_unref(samples);
    g_string_chunk_free(chunk);
    g_assert_true(report_load(store, 0, 0, &samples, &chunk, &error));
    g_assert_cmpuint(samples->len, ==, 8);
    g_array_unref(samples);
    g_string_chunk_free(chunk);
    store_free(&store);
    g_autofree char *wal = g_strconcat(path, "-wal", NULL);
    g_autofree char *shm = g_strconcat(path, "-shm", NULL);
    g_unlink(wal);
    g_unlink(shm);
    g_unlink(path);
    g_rmdir(dir);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/report/compute", test_compute);
    g_test_add_func("/report/edges", test_edges);
    g_test_add_func("/report/fixture-db", test_fixture_db);
    return g_test_run();
}
