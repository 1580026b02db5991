/* test_outbox.c - the outbox in process: backoff with cap and jitter,
 * idempotent enqueue, per-target FIFO claims that respect the backoff, a
 * failing target that does not block another, permanent failure; and the
 * escalation point arithmetic. */
#include <glib.h>
#include <glib/gstdio.h>

#include "config.h"
#include "notify/notify_internal.h"
#include "outbox.h"
#include "store.h"

#define NOW 1790000000

static void test_backoff(void)
{
    /* {attempt, jitter, expected seconds} */
    static const struct { guint attempt; double jitter; gint64 want; } rows[] = {
        {1, 0.0, 15}, {1, 0.999, 29}, {2, 0.0, 30}, {3, 0.5, 90}, {7, 0.0, 960},
        {8, 0.0, 1800}, {9, 0.0, 1800}, {60, 0.999, 3598}, {1000, 0.0, 1800},
        {1, -1.0, 15}, {1, 2.0, 15},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(rows); i++)
        g_assert_cmpint(outbox_backoff(rows[i].attempt, rows[i].jitter), ==, rows[i].want);
    for (guint a = 1; a < 100; a++)
        g_assert_cmpint(outbox_backoff(a, 0.999999), <=, OUTBOX_BACKOFF_CAP);
}

static Store *open_store(char **dir_r)
{
    *dir_r = g_dir_make_tmp("test_outbox_XXXXXX", NULL);
    g_autofree char *path = g_build_filename(*dir_r, "cases.db", NULL);
    GError *error = NULL;
    Store *store = store_open(path, &error);
    g_assert_no_error(error);
    return store;
}

static void close_store(Store **store, char *dir)
{
    store_free(store);
    const char *names[] = {"cases.db", "cases.db-wal", "cases.db-shm"};
    for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
        g_autofree char *p = g_build_filename(dir, names[i], NULL);
        g_unlink(p);
    }
    g_rmdir(dir);
    g_free(dir);
}

static void enqueue(Store *store, const char *target, const char *key, gboolean want_inserted)
{
    GError *error = NULL;
    gboolean inserted = FALSE;
    g_assert_true(store_begin(store, &error));
    g_assert_true(outbox_enqueue(store, target, 0, "page", key, "{}", NOW, &inserted, &error));
    g_assert_true(store_commit(store, &error));
    g_assert_no_error(error);
    g_assert_cmpint(inserted, ==, want_inserted);
}

static void test_queue(void)
{
    char *dir = NULL;
    Store *store = open_store(&dir);
    GError *error = NULL;
    enqueue(store, "a", "k1", TRUE);
    enqueue(store, "a", "k1", FALSE); /* idempotent */
    enqueue(store, "a", "k2", TRUE);
    enqueue(store, "b", "k1", TRUE); /* same key, other target: its own row */

    OutboxRow *row = NULL;
    g_assert_true(outbox_claim_next(store, "a", NOW, &row, &error));
    g_assert_nonnull(row);
    g_assert_cmpstr(row->dedup_key, ==, "k1");
    g_assert_cmpuint(row->attempts, ==, 0);
    g_assert_true(outbox_mark_attempt_failed(store, row, NOW, "HTTP 500", FALSE, &error));
    outbox_row_free(&row);

    /* a's head waits for its backoff, and k2 may not overtake it */
    g_assert_true(outbox_claim_next(store, "a", NOW + 1, &row, &error));
    g_assert_null(row);
    /* b is not blocked by a */
    g_assert_true(outbox_claim_next(store, "b", NOW + 1, &row, &error));
    g_assert_nonnull(row);
    g_assert_true(outbox_mark_delivered(store, row, NOW + 1, &error));
    outbox_row_free(&row);
    g_assert_true(outbox_claim_next(store, "b", NOW + 2, &row, &error));
    g_assert_null(row);

    /* after the backoff: k1 again (attempt 2), then k2 */
    g_assert_true(outbox_claim_next(store, "a", NOW + OUTBOX_BACKOFF_FIRST, &row, &error));
    g_assert_cmpstr(row->dedup_key, ==, "k1");
    g_assert_cmpuint(row->attempts, ==, 1);
    g_assert_true(outbox_mark_attempt_failed(store, row, NOW, "HTTP 404", TRUE, &error));
    outbox_row_free(&row);
    g_assert_true(outbox_claim_next(store, "a", NOW + OUTBOX_BACKOFF_FIRST, &row, &error));
    g_assert_cmpstr(row->dedup_key, ==, "k2");
    outbox_row_free(&row);

    gint64 pending = -1, failed = -1;
    g_assert_true(outbox_counts(store, &pending, &failed, &error));
    g_assert_cmpint(pending, ==, 1);
    g_assert_cmpint(failed, ==, 1);
    g_assert_no_error(error);
    close_store(&store, dir);
}

static void test_max_attempts(void)
{
    char *dir = NULL;
    Store *store = open_store(&dir);
    GError *error = NULL;
    enqueue(store, "a", "k", TRUE);
    gint64 t = NOW;
    guint tries = 0;
    for (;;) {
        OutboxRow *row = NULL;
        g_assert_true(outbox_claim_next(store, "a", t, &row, &error));
        if (!row)
            break;
        tries++;
        g_assert_true(outbox_mark_attempt_failed(store, row, t, "down", FALSE, &error));
        outbox_row_free(&row);
        t += OUTBOX_BACKOFF_CAP;
    }
    g_assert_cmpuint(tries, ==, OUTBOX_MAX_ATTEMPTS);
    gint64 pending = -1, failed = -1;
    g_assert_true(outbox_counts(store, &pending, &failed, &error));
    g_assert_cmpint(pending, ==, 0);
    g_assert_cmpint(failed, ==, 1);
    close_store(&store, dir);
}

static void test_points(void)
{
    Config cfg = {.escalate_at = {50, 75, 90, 100}, .n_escalate_at = 4};
    const gint64 s = NOW, d = NOW + 86400;
    /* {now, expected point} */
    static const struct { gint64 offset; guint want; } rows[] = {
        {0, 0}, {43199, 0}, {43200, 50}, {64799, 50}, {64800, 75}, {77760, 90},
        {86399, 90}, {86400, 100}, {10 * 86400, 100},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(rows); i++)
        g_assert_cmpuint(escalate_point_due(&cfg, s, d, s + rows[i].offset), ==, rows[i].want);
    g_assert_cmpint(escalate_point_time(s, d, 90), ==, s + 77760);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/outbox/backoff", test_backoff);
    g_test_add_func("/outbox/queue", test_queue);
    g_test_add_func("/outbox/max-attempts", test_max_attempts);
    g_test_add_func("/escalate/points", test_points);
    return g_test_run();
}
