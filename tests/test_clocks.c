/* test_clocks.c - the obligations of a case as a pure function (clocks.h):
 * facts and events in, clocks with due times and statuses out. Table-driven:
 * every BR 4.9.1.1 row, each start, each status, per-question clocks, the
 * end-of-day rule, withdrawal and delayed revocation. */
#include <glib.h>
#include <string.h>

#include "clocks.h"
#include "obligations.h"
#include "reasons.h"

#define H 3600
#define D 86400
#define T0 1764547200 /* 2025-12-01T00:00:00Z */

static const Clock *find(GPtrArray *clocks, const char *name, gint64 ref)
{
    for (guint i = 0; i < clocks->len; i++) {
        const Clock *c = clocks->pdata[i];
        if (!strcmp(c->clock, name) && (ref == G_MININT64 || c->ref == ref))
            return c;
    }
    return NULL;
}

static guint count(GPtrArray *clocks, const char *name)
{
    guint n = 0;
    for (guint i = 0; i < clocks->len; i++)
        n += !strcmp(((const Clock *)clocks->pdata[i])->clock, name);
    return n;
}

static ClockFacts cpr(int reason)
{
    ClockFacts f = {.kind = "cpr", .aware_at = T0, .report_owed = TRUE, .reason = reason};
    return f;
}

/* Every row of the table: window, the extra 24 h page of rows 6-16, the rule
 * text, and whether the incident clocks start provisionally. */
static void test_reason_rows(void)
{
    static const struct {
        int row;
        gint64 window;
        gboolean incident;
        const char *rule;
    } want[] = {
        {1, 24 * H, FALSE, "BR 4.9.1.1 #1, 24 h"},
        {2, 24 * H, FALSE, "BR 4.9.1.1 #2, 24 h"},
        {3, 24 * H, FALSE, "BR 4.9.1.1 #3, 24 h"},
        {4, 24 * H, TRUE, "BR 4.9.1.1 #4, 24 h"},
        {5, 24 * H, TRUE, "BR 4.9.1.1 #5, 24 h"},
        {6, 5 * D, TRUE, "BR 4.9.1.1 #6, 5 days (SHOULD 24 h)"},
        {7, 5 * D, FALSE, "BR 4.9.1.1 #7, 5 days (SHOULD 24 h)"},
        {8, 5 * D, FALSE, NULL},
        {9, 5 * D, FALSE, NULL},
        {10, 5 * D, FALSE, NULL},
        {11, 5 * D, FALSE, NULL},
        {12, 5 * D, TRUE, "BR 4.9.1.1 #12, 5 days (SHOULD 24 h)"},
        {13, 5 * D, TRUE, NULL},
        {14, 5 * D, FALSE, NULL},
        {15, 5 * D, FALSE, NULL},
        {16, 5 * D, FALSE, NULL},
    };
    g_assert_cmpuint(G_N_ELEMENTS(want), ==, REASON_ROWS);
    for (gsize i = 0; i < G_N_ELEMENTS(want); i++) {
        ClockFacts f = cpr(want[i].row);
        g_autoptr(GPtrArray) c = clocks_compute(&f, NULL, 0);
        const Clock *rev = find(c, "revocation", 0);
        g_assert_nonnull(rev);
        g_assert_cmpint(rev->starts_at, ==, T0);
        g_assert_cmpint(rev->due_at, ==, T0 + want[i].window);
        g_assert_cmpint(rev->page_at, ==, want[i].window > 24 * H ? T0 + 24 * H : 0);
        if (want[i].rule)
            g_assert_cmpstr(rev->rule, ==, want[i].rule);
        g_assert_cmpint(find(c, "incident_disclosure", 0) != NULL, ==, want[i].incident);
        g_assert_cmpint(find(c, "full_report", 0) != NULL, ==, want[i].incident);
        if (want[i].incident) {
            g_assert_cmpint(find(c, "incident_disclosure", 0)->due_at, ==, T0 + 72 * H);
            g_assert_cmpint(find(c, "full_report", 0)->due_at, ==, T0 + 14 * D);
        }
        /* BR 4.9.5, both ways, for every CPR */
        g_assert_cmpint(find(c, "cpr_preliminary_report", 0)->due_at, ==, T0 + 24 * H);
        g_assert_cmpint(find(c, "subscriber_preliminary_report", 0)->due_at, ==, T0 + 24 * H);
        const ReasonRow *r = reasons_row(want[i].row);
        g_assert_cmpint(r->window_hours * H, ==, want[i].window);
        g_assert_cmpint(r->incident, ==, want[i].incident);
    }
}

/* Choosing among candidates: shortest window, then the lowest row. */
static void test_reason_choice(void)
{
    g_assert_cmpint(reasons_choose(0), ==, 0);
    g_assert_cmpint(reasons_choose(1u << 12 | 1u << 5), ==, 5);
    g_assert_cmpint(reasons_choose(1u << 5 | 1u << 2), ==, 2);
    g_assert_cmpint(reasons_choose(1u << 7 | 1u << 12), ==, 7);
    g_assert_cmpint(reasons_choose(1u << 16 | 1u << 4), ==, 4);
    /* the report of issue 10: never requested, CAA forbids: 24 h (rows 2, 5) */
    guint32 m = reasons_infer("The owner never requested this certificate; their CAA record "
                              "forbids your CA from issuing for the domain.");
    g_assert_true(m & (1u << 2));
    g_assert_true(m & (1u << 5));
    g_assert_cmpint(reasons_choose(m), ==, 2);
    g_assert_cmpint(reasons_choose(reasons_infer("The key was generated on a Debian system "
                                                 "affected by the Debian weak key bug")), ==, 4);
    g_assert_cmpint(reasons_choose(reasons_infer("this site hosts a phishing page")), ==, 7);
    g_assert_cmpint(reasons_choose(reasons_infer("Hello, nice weather.")), ==, 0);
    g_assert_nonnull(reasons_lookup("validation_unreliable"));
    g_assert_cmpint(reasons_lookup("5")->number, ==, 5);
    g_assert_null(reasons_lookup("17"));
    g_assert_null(reasons_lookup("bogus"));
}

/* What applies: assumed reason, no reason, sub-CA, short-lived, another
 * CA's certificates, list posts and bugs, delayed revocation. */
static void test_applicability(void)
{
    ClockFacts f = cpr(REASON_ASSUMED);
    g_autoptr(GPtrArray) a = clocks_compute(&f, NULL, 0);
    const Clock *rev = find(a, "revocation", 0);
    g_assert_cmpint(rev->due_at, ==, T0 + 24 * H);
    g_assert_cmpstr(rev->rule, ==, "BR 4.9.1.1 (reason assumed), 24 h");
    g_assert_nonnull(find(a, "incident_disclosure", 0)); /* assumed: provisional */

    /* chosen reason #2 (not a CA failure), but the text also names #5 (CAA) */
    f = cpr(2);
    g_autoptr(GPtrArray) fn = clocks_compute(&f, NULL, 0);
    g_assert_null(find(fn, "incident_disclosure", 0));
    f.failure_named = TRUE;
    g_autoptr(GPtrArray) fn2 = clocks_compute(&f, NULL, 0);
    g_assert_nonnull(find(fn2, "incident_disclosure", 0));

    f = cpr(REASON_NONE);
    g_autoptr(GPtrArray) b = clocks_compute(&f, NULL, 0);
    g_assert_null(find(b, "revocation", 0));
    g_assert_nonnull(find(b, "cpr_preliminary_report", 0));
    g_assert_null(find(b, "incident_disclosure", 0));

    f = cpr(3);
    f.subordinate_ca = TRUE;
    g_autoptr(GPtrArray) s = clocks_compute(&f, NULL, 0);
    g_assert_cmpint(find(s, "revocation", 0)->due_at, ==, T0 + 7 * D);
    g_assert_cmpstr(find(s, "revocation", 0)->rule, ==, "BR 4.9.1.2, 7 days");

    f = cpr(12);
    f.short_lived = TRUE;
    g_autoptr(GPtrArray) sl = clocks_compute(&f, NULL, 0);
    g_assert_null(find(sl, "revocation", 0));
    g_assert_nonnull(find(sl, "subscriber_preliminary_report", 0));

    f = cpr(3);
    f.foreign = TRUE;
    g_autoptr(GPtrArray) fo = clocks_compute(&f, NULL, 0);
    g_assert_null(find(fo, "revocation", 0));
    g_assert_nonnull(find(fo, "cpr_preliminary_report", 0)); /* BR 4.9.5 still runs */

    /* a bug about the CA without a certificate: incident clocks, no BR 4.9.5 */
    ClockFacts bug = {.kind = "bugzilla", .aware_at = T0, .reason = REASON_NONE};
    g_autoptr(GPtrArray) bz = clocks_compute(&bug, NULL, 0);
    g_assert_null(find(bz, "cpr_preliminary_report", 0));
    g_assert_nonnull(find(bz, "incident_disclosure", 0));
    g_assert_null(find(bz, "revocation", 0));

    ClockFacts del = {.kind = "delayed_revocation", .aware_at = T0 + 5 * D, .reason = REASON_NONE,
                      .incident = INCIDENT_YES, .incident_aware_at = T0 + 5 * D};
    g_autoptr(GPtrArray) dl = clocks_compute(&del, NULL, 0);
    g_assert_null(find(dl, "revocation", 0));
    g_assert_null(find(dl, "full_report", 0));
    g_assert_null(find(dl, "cpr_preliminary_report", 0));
    g_assert_cmpint(find(dl, "incident_disclosure", 0)->due_at, ==, T0 + 5 * D + 72 * H);
    const Clock *upd = find(dl, "bug_update", 0);
    g_assert_nonnull(upd);
    g_assert_cmpint(upd->due_at, ==, T0 + 5 * D + 7 * D);
    g_assert_cmpint(upd->page_at, ==, T0 + 5 * D + 3 * D); /* pages at 3 days */
}

/* Events meet clocks; statuses for each case. */
static void test_events_and_statuses(void)
{
    ClockFacts f = cpr(12);
    ClockEvent ev[] = {
        {1, "preliminary_report_sent", T0 + 5 * H, 0, 0},
        {2, "subscriber_notified", T0 + 30 * H, 0, 0},
        {3, "bug_filed", T0 + 3 * D, 0, 0},     /* disclosure on day 3 */
        {4, "revoked", T0 + 20 * H, 0, 0},
    };
    g_autoptr(GPtrArray) c = clocks_compute(&f, ev, G_N_ELEMENTS(ev));
    const Clock *p = find(c, "cpr_preliminary_report", 0), *s = find(c, "subscriber_preliminary_report", 0);
    g_assert_cmpint(p->met_at, ==, T0 + 5 * H);
    g_assert_cmpint(clocks_status(p->due_at, p->met_at, FALSE, T0 + 40 * D), ==, CLOCK_MET);
    g_assert_cmpint(clocks_status(s->due_at, s->met_at, FALSE, T0 + 40 * D), ==, CLOCK_MET_LATE);
    const Clock *full = find(c, "full_report", 0);
    /* the strict reading: 14 days from awareness, not from the filing */
    g_assert_cmpint(full->due_at, ==, T0 + 14 * D);
    g_assert_cmpint(clocks_status(full->due_at, 0, FALSE, T0 + 15 * D), ==, CLOCK_MISSED);
    g_assert_cmpint(clocks_status(full->due_at, 0, FALSE, T0 + 13 * D), ==, CLOCK_OPEN);
    g_assert_cmpint(clocks_status(full->due_at, 0, TRUE, T0 + 15 * D), ==, CLOCK_WITHDRAWN);
    g_assert_cmpint(find(c, "incident_disclosure", 0)->met_at, ==, T0 + 3 * D);
    /* the bug exists: weekly updates from its filing */
    const Clock *upd = find(c, "bug_update", 0);
    g_assert_cmpint(upd->starts_at, ==, T0 + 3 * D);
    g_assert_cmpint(upd->due_at, ==, T0 + 10 * D);
    g_assert_cmpint(find(c, "revocation", 0)->met_at, ==, T0 + 20 * H);
    g_assert_cmpstr(clocks_status_name(CLOCK_MET_LATE), ==, "met_late");
}

/* A key compromise handled in time has no incident clock at all. */
static void test_key_compromise_no_incident(void)
{
    ClockFacts f = cpr(3);
    ClockEvent ev[] = {{1, "preliminary_report_sent", T0 + 5 * H, 0, 0},
                       {2, "subscriber_notified", T0 + 5 * H, 0, 0},
                       {3, "revoked", T0 + 20 * H, 0, 0}};
    g_autoptr(GPtrArray) c = clocks_compute(&f, ev, G_N_ELEMENTS(ev));
    g_assert_cmpuint(c->len, ==, 3);
    for (guint i = 0; i < c->len; i++) {
        const Clock *k = c->pdata[i];
        g_assert_cmpint(clocks_status(k->due_at, k->met_at, k->withdrawn, T0 + 30 * D), ==,
                        CLOCK_MET);
    }
}

/* Incident yes / no: start from the given time; "no" withdraws the incident
 * clocks, met ones included, and keeps their met time; questions stay. */
static void test_incident_decisions(void)
{
    ClockFacts f = cpr(3);
    f.incident = INCIDENT_YES;
    f.incident_aware_at = T0 + 2 * D;
    g_autoptr(GPtrArray) y = clocks_compute(&f, NULL, 0);
    g_assert_cmpint(find(y, "incident_disclosure", 0)->due_at, ==, T0 + 2 * D + 72 * H);
    g_assert_cmpint(find(y, "full_report", 0)->due_at, ==, T0 + 16 * D);

    ClockFacts n = cpr(12);
    n.incident = INCIDENT_NO;
    n.incident_aware_at = T0;
    ClockEvent ev[] = {{1, "disclosed", T0 + D, 0, 0}, {2, "question_asked", T0 + 2 * D, 4, 0}};
    g_autoptr(GPtrArray) w = clocks_compute(&n, ev, G_N_ELEMENTS(ev));
    const Clock *disc = find(w, "incident_disclosure", 0);
    g_assert_true(disc->withdrawn);
    g_assert_cmpint(disc->met_at, ==, T0 + D); /* met_at stays */
    g_assert_true(find(w, "full_report", 0)->withdrawn);
    g_assert_true(find(w, "bug_update", 0)->withdrawn);
    const Clock *q = find(w, "question_response", 4);
    g_assert_nonnull(q);
    g_assert_false(q->withdrawn);

    /* "no" on a case whose incident clocks never ran: nothing to withdraw */
    ClockFacts kc = cpr(3);
    kc.incident = INCIDENT_NO;
    g_autoptr(GPtrArray) none = clocks_compute(&kc, NULL, 0);
    g_assert_null(find(none, "incident_disclosure", 0));
}

/* One clock per question; answering one leaves the other; duplicates of a
 * question count once; the CA's own later comment answers. */
static void test_questions(void)
{
    ClockFacts f = {.kind = "bugzilla", .aware_at = T0, .reason = REASON_NONE};
    ClockEvent ev[] = {
        {1, "question_asked", T0 + 1 * D, 3, 0},
        {2, "question_asked", T0 + 2 * D, 5, 0},
        {3, "question_asked", T0 + 3 * D, 3, 0}, /* the same comment again */
        {4, "question_answered", T0 + 4 * D, 5, 0},
    };
    g_autoptr(GPtrArray) c = clocks_compute(&f, ev, G_N_ELEMENTS(ev));
    g_assert_cmpuint(count(c, "question_response"), ==, 2);
    const Clock *q3 = find(c, "question_response", 3), *q5 = find(c, "question_response", 5);
    g_assert_cmpint(q3->due_at, ==, T0 + 8 * D); /* not moved by the second question */
    g_assert_cmpint(q5->due_at, ==, T0 + 9 * D);
    g_assert_cmpint(q3->met_at, ==, 0);
    g_assert_cmpint(q5->met_at, ==, T0 + 4 * D);

    ClockEvent ca[] = {{1, "question_asked", T0 + D, 3, 0},
                       {2, "bug_comment_by_ca", T0 + 2 * D, 6, 0},
                       {3, "question_asked", T0 + 3 * D, 7, 0}};
    g_autoptr(GPtrArray) c2 = clocks_compute(&f, ca, G_N_ELEMENTS(ca));
    g_assert_cmpint(find(c2, "question_response", 3)->met_at, ==, T0 + 2 * D);
    g_assert_cmpint(find(c2, "question_response", 7)->met_at, ==, 0); /* asked after */
}

/* "Next update YYYY-MM-DD": due at 23:59:59 UTC of that day; an update by
 * the CA starts a new 7-day rhythm. */
static void test_next_update_end_of_day(void)
{
    ClockFacts f = cpr(12);
    gint64 day = T0 + 20 * D; /* 00:00 UTC of the day */
    ClockEvent ev[] = {{1, "bug_filed", T0 + D, 0, 0},
                       {2, "bug_update_due_set", T0 + 2 * D, 0, day}};
    g_autoptr(GPtrArray) c = clocks_compute(&f, ev, G_N_ELEMENTS(ev));
    g_assert_cmpint(find(c, "bug_update", 0)->due_at, ==, day + D - 1);

    ClockEvent ev2[] = {{1, "bug_filed", T0 + D, 0, 0},
                        {2, "bug_update_due_set", T0 + 2 * D, 0, day},
                        {3, "bug_updated", T0 + 4 * D, 0, 0}};
    g_autoptr(GPtrArray) c2 = clocks_compute(&f, ev2, G_N_ELEMENTS(ev2));
    g_assert_cmpint(find(c2, "bug_update", 0)->due_at, ==, T0 + 11 * D);

    /* a date only seen in mail (unconfirmed) may tighten, never relax */
    ClockEvent later[] = {{1, "bug_filed", T0 + D, 0, 0, 0, FALSE},
                          {2, "bug_update_due_set", T0 + 2 * D, 0, day, 0, TRUE}};
    g_autoptr(GPtrArray) c3 = clocks_compute(&f, later, G_N_ELEMENTS(later));
    g_assert_cmpint(find(c3, "bug_update", 0)->due_at, ==, T0 + 8 * D);
    gint64 soon = T0 + 3 * D;
    ClockEvent earlier[] = {{1, "bug_filed", T0 + D, 0, 0, 0, FALSE},
                            {2, "bug_update_due_set", T0 + 2 * D, 0, soon, 0, TRUE}};
    g_autoptr(GPtrArray) c4 = clocks_compute(&f, earlier, G_N_ELEMENTS(earlier));
    g_assert_cmpint(find(c4, "bug_update", 0)->due_at, ==, soon + D - 1);

    /* read back from Bugzilla (REST), it counts; a later date in mail after
     * it relaxes nothing more, an earlier one still tightens */
    gint64 far = T0 + 30 * D;
    ClockEvent confirmed[] = {{1, "bug_filed", T0 + D, 0, 0, 0, FALSE},
                              {2, "bug_update_due_set", T0 + 2 * D, 0, day, 0, TRUE},
                              {3, "bug_update_due_set", T0 + 2 * D, 0, day, 0, FALSE},
                              {4, "bug_update_due_set", T0 + 3 * D, 0, far, 0, TRUE}};
    g_autoptr(GPtrArray) c5 = clocks_compute(&f, confirmed, G_N_ELEMENTS(confirmed));
    g_assert_cmpint(find(c5, "bug_update", 0)->due_at, ==, day + D - 1);
    confirmed[3].value = T0 + 5 * D;
    g_autoptr(GPtrArray) c6 = clocks_compute(&f, confirmed, G_N_ELEMENTS(confirmed));
    g_assert_cmpint(find(c6, "bug_update", 0)->due_at, ==, T0 + 6 * D - 1);
    /* an earlier date in mail before the confirmation is superseded by it */
    ClockEvent superseded[] = {{1, "bug_filed", T0 + D, 0, 0, 0, FALSE},
                               {2, "bug_update_due_set", T0 + 2 * D, 0, soon, 0, TRUE},
                               {3, "bug_update_due_set", T0 + 3 * D, 0, day, 0, TRUE},
                               {4, "bug_update_due_set", T0 + 3 * D, 0, day, 0, FALSE}};
    g_autoptr(GPtrArray) c7 = clocks_compute(&f, superseded, G_N_ELEMENTS(superseded));
    g_assert_cmpint(find(c7, "bug_update", 0)->due_at, ==, day + D - 1);
}

/* A resolution read back from Bugzilla withdraws the weekly updates; one
 * only seen in mail does nothing; a reopening counts at once. */
static void test_resolution(void)
{
    ClockFacts f = cpr(12);
    ClockEvent ev[] = {{1, "bug_filed", T0 + D, 0, 0, 0, FALSE},
                       {2, "bug_resolved", T0 + 2 * D, 0, 0, 0, TRUE}};
    g_autoptr(GPtrArray) c = clocks_compute(&f, ev, G_N_ELEMENTS(ev));
    g_assert_false(find(c, "bug_update", 0)->withdrawn);
    ev[1].unconfirmed = FALSE;
    g_autoptr(GPtrArray) c2 = clocks_compute(&f, ev, G_N_ELEMENTS(ev));
    g_assert_true(find(c2, "bug_update", 0)->withdrawn);
    ClockEvent reopened[] = {{1, "bug_filed", T0 + D, 0, 0, 0, FALSE},
                             {2, "bug_resolved", T0 + 2 * D, 0, 0, 0, FALSE},
                             {3, "bug_reopened", T0 + 3 * D, 0, 0, 0, TRUE}};
    g_autoptr(GPtrArray) c3 = clocks_compute(&f, reopened, G_N_ELEMENTS(reopened));
    g_assert_false(find(c3, "bug_update", 0)->withdrawn);
    /* resolved after the update was already overdue: it stays missed */
    ClockEvent late[] = {{1, "bug_filed", T0 + D, 0, 0, 0, FALSE},
                         {2, "bug_resolved", T0 + 9 * D, 0, 0, 0, FALSE}};
    g_autoptr(GPtrArray) c4 = clocks_compute(&f, late, G_N_ELEMENTS(late));
    g_assert_false(find(c4, "bug_update", 0)->withdrawn);
}

/* Back-filled: an answer written long after the time it claims marks the
 * clock, whose status stays met. */
static void test_backfilled(void)
{
    ClockFacts f = cpr(3);
    ClockEvent ev[] = {{1, "preliminary_report_sent", T0 + 2 * H, 0, 0, T0 + 2 * H + 60, FALSE},
                       {2, "revoked", T0 + 20 * H, 0, 0, T0 + 4 * D, FALSE}};
    g_autoptr(GPtrArray) c = clocks_compute(&f, ev, G_N_ELEMENTS(ev));
    const Clock *p = find(c, "cpr_preliminary_report", 0), *r = find(c, "revocation", 0);
    g_assert_false(p->backfilled);
    g_assert_true(r->backfilled);
    g_assert_cmpint(clocks_status(r->due_at, r->met_at, r->withdrawn, T0 + 5 * D), ==, CLOCK_MET);
}

static void test_short_lived_and_foreign(void)
{
    const gint64 d2025 = 1748736000; /* 2025-06-01 */
    const gint64 d2026 = 1780272000; /* 2026-06-01 */
    g_assert_true(obligations_short_lived(d2025, d2025 + 10 * D));
    g_assert_false(obligations_short_lived(d2025, d2025 + 11 * D));
    g_assert_true(obligations_short_lived(d2026, d2026 + 7 * D));
    g_assert_false(obligations_short_lived(d2026, d2026 + 8 * D));
    g_assert_false(obligations_short_lived(1700000000, 1700000000 + 5 * D)); /* before 2024-03-15 */
    const char *names[] = {"AcmeTrust TLS RSA CA 2024", NULL};
    g_assert_false(obligations_foreign_issuer("CN=AcmeTrust TLS RSA CA 2024,O=Acme,C=US", names));
    g_assert_true(obligations_foreign_issuer("CN=Other CA R3,O=Other,C=US", names));
    g_assert_false(obligations_foreign_issuer("CN=Other CA R3", NULL)); /* unknown */
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_set_nonfatal_assertions();
    g_test_add_func("/clocks/reason-rows", test_reason_rows);
    g_test_add_func("/clocks/reason-choice", test_reason_choice);
    g_test_add_func("/clocks/applicability", test_applicability);
    g_test_add_func("/clocks/events-and-statuses", test_events_and_statuses);
    g_test_add_func("/clocks/key-compromise-no-incident", test_key_compromise_no_incident);
    g_test_add_func("/clocks/incident-decisions", test_incident_decisions);
    g_test_add_func("/clocks/questions", test_questions);
    g_test_add_func("/clocks/next-update-end-of-day", test_next_update_end_of_day);
    g_test_add_func("/clocks/bug-resolution", test_resolution);
    g_test_add_func("/clocks/short-lived-and-foreign", test_short_lived_and_foreign);
    g_test_add_func("/clocks/backfilled", test_backfilled);
    return g_test_run();
}
