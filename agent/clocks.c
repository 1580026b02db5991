/* clocks.c - deadlines as data (see clocks.h). */
#include <string.h>

#include "clocks.h"
#include "cpr_error.h"

#define HOURS(n) ((gint64)(n) * 3600)
#define DAYS(n) ((gint64)(n) * 86400)

/* Sources: BR = CA/Browser Forum TLS Baseline Requirements; CCADB = Incident
 * Reporting Guidelines. The first row matching (clock, problem) wins, so
 * problem-specific rows come before the catch-all row of the same clock. */
static const ClockPolicy CLOCK_POLICY[] = {
    {"cpr_preliminary_report", "aware", HOURS(24), NULL, "preliminary_report_sent", FALSE,
     "BR 4.9.5"},
    {"revocation", "aware", HOURS(24), "key_compromise", "revoked", FALSE, "BR 4.9.1.1"},
    {"revocation", "aware", DAYS(5), NULL, "revoked", FALSE, "BR 4.9.1.1"},
    {"incident_disclosure", "aware", HOURS(72), NULL, "disclosed bug_filed", FALSE,
     "CCADB Incident Reporting Guidelines"},
    {"full_report", "disclosed", DAYS(14), NULL, "full_report_posted", FALSE,
     "CCADB Incident Reporting Guidelines"},
    {"bug_update", "disclosed", DAYS(7), NULL, "bug_updated full_report_posted", TRUE,
     "CCADB Incident Reporting Guidelines"},
    {"question_response", "question_asked", DAYS(7), NULL, "question_answered", FALSE,
     "CCADB Incident Reporting Guidelines"},
};

/* `disclosed` may also be recorded as the filing of the bug. */
static const char *canonical_event(const char *type)
{
    return g_strcmp0(type, "bug_filed") == 0 ? "disclosed" : type;
}

const ClockPolicy *clocks_policy(const char *clock, const char *problem)
{
    for (gsize i = 0; i < G_N_ELEMENTS(CLOCK_POLICY); i++) {
        const ClockPolicy *p = &CLOCK_POLICY[i];
        if (g_strcmp0(p->clock, clock) == 0 && (!p->problem || g_strcmp0(p->problem, problem) == 0))
            return p;
    }
    return NULL;
}

const char *const *clocks_names(void)
{
    static const char *names[G_N_ELEMENTS(CLOCK_POLICY) + 1];
    static gsize done = 0;
    if (g_once_init_enter(&done)) {
        gsize n = 0;
        for (gsize i = 0; i < G_N_ELEMENTS(CLOCK_POLICY); i++) {
            gboolean seen = FALSE;
            for (gsize j = 0; j < n; j++)
                seen = seen || strcmp(names[j], CLOCK_POLICY[i].clock) == 0;
            if (!seen)
                names[n++] = CLOCK_POLICY[i].clock;
        }
        names[n] = NULL;
        g_once_init_leave(&done, 1);
    }
    return names;
}

static gboolean word_in(const char *words, const char *word)
{
    g_auto(GStrv) list = g_strsplit(words, " ", -1);
    return g_strv_contains((const char *const *)list, word);
}

gboolean clocks_case_opened(Store *store, gint64 case_id, const char *problem, gint64 aware_at,
                            GError **error)
{
    for (const char *const *name = clocks_names(); *name; name++) {
        const ClockPolicy *p = clocks_policy(*name, problem);
        gboolean from_aware = g_strcmp0(p->starts_on, "aware") == 0;
        sqlite3_stmt *st = store_prepare(
            store, "INSERT INTO clocks (case_id, clock, starts_at, due_at) VALUES (?, ?, ?, ?)",
            error);
        if (!st)
            return FALSE;
        sqlite3_bind_int64(st, 1, case_id);
        sqlite3_bind_text(st, 2, *name, -1, SQLITE_STATIC);
        if (from_aware) {
            sqlite3_bind_int64(st, 3, aware_at);
            sqlite3_bind_int64(st, 4, aware_at + p->window_seconds);
        } else {
            sqlite3_bind_null(st, 3);
            sqlite3_bind_null(st, 4);
        }
        if (!store_step_done(store, st, error))
            return FALSE;
    }
    return TRUE;
}

gboolean clocks_case_changed(Store *store, gint64 case_id, const char *problem, gint64 aware_at,
                             GError **error)
{
    for (const char *const *name = clocks_names(); *name; name++) {
        const ClockPolicy *p = clocks_policy(*name, problem);
        if (g_strcmp0(p->starts_on, "aware") != 0)
            continue;
        sqlite3_stmt *st = store_prepare(
            store,
            "UPDATE clocks SET starts_at = ?1, due_at = ?2 "
            "WHERE case_id = ?3 AND clock = ?4 AND met_at IS NULL",
            error);
        if (!st)
            return FALSE;
        sqlite3_bind_int64(st, 1, aware_at);
        sqlite3_bind_int64(st, 2, aware_at + p->window_seconds);
        sqlite3_bind_int64(st, 3, case_id);
        sqlite3_bind_text(st, 4, *name, -1, SQLITE_STATIC);
        if (!store_step_done(store, st, error))
            return FALSE;
    }
    return TRUE;
}

gboolean clocks_on_event(Store *store, gint64 case_id, const char *problem, const char *event_type,
                         gint64 at, GPtrArray **met_r, GError **error)
{
    g_autoptr(GPtrArray) met = g_ptr_array_new_with_free_func(g_free);
    const char *started_by = canonical_event(event_type);
    for (const char *const *name = clocks_names(); *name; name++) {
        const ClockPolicy *p = clocks_policy(*name, problem);
        sqlite3_stmt *st;
        if (word_in(p->met_by, event_type)) {
            /* A recurring clock restarts from the event that meets it. */
            st = store_prepare(store,
                               p->recurring
                                   ? "UPDATE clocks SET starts_at = ?1, due_at = ?1 + ?2 "
                                     "WHERE case_id = ?3 AND clock = ?4 AND starts_at IS NOT NULL"
                                   : "UPDATE clocks SET met_at = ?1 WHERE case_id = ?3 AND "
                                     "clock = ?4 AND met_at IS NULL AND starts_at IS NOT NULL",
                               error);
            if (!st)
                return FALSE;
            /* ?2 is unused by the non-recurring form; SQLite numbers parameters
             * up to the highest index, so binding it is harmless. */
            sqlite3_bind_int64(st, 1, at);
            sqlite3_bind_int64(st, 2, p->window_seconds);
            sqlite3_bind_int64(st, 3, case_id);
            sqlite3_bind_text(st, 4, *name, -1, SQLITE_STATIC);
            if (!store_step_done(store, st, error))
                return FALSE;
            if (sqlite3_changes(store_db(store)) > 0)
                g_ptr_array_add(met, g_strdup(*name));
        }
        if (g_strcmp0(p->starts_on, started_by) == 0) {
            /* A question restarts its clock; other clocks start once. */
            st = store_prepare(store,
                               "UPDATE clocks SET starts_at = ?1, due_at = ?1 + ?2, met_at = NULL "
                               "WHERE case_id = ?3 AND clock = ?4 "
                               "AND (starts_at IS NULL OR ?5)",
                               error);
            if (!st)
                return FALSE;
            sqlite3_bind_int64(st, 1, at);
            sqlite3_bind_int64(st, 2, p->window_seconds);
            sqlite3_bind_int64(st, 3, case_id);
            sqlite3_bind_text(st, 4, *name, -1, SQLITE_STATIC);
            sqlite3_bind_int(st, 5, g_strcmp0(p->starts_on, "question_asked") == 0);
            if (!store_step_done(store, st, error))
                return FALSE;
        }
    }
    if (met_r)
        *met_r = g_steal_pointer(&met);
    return TRUE;
}
