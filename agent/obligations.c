/* obligations.c - reasons, incident decisions, the clock sweep and delayed
 * revocation (see obligations.h). */
#include <string.h>

#include "obligations.h"
#include "cases.h"
#include "cpr_error.h"
#include "jsonutil.h"
#include "mime.h"
#include "notify/notify_internal.h"
#include "timefmt.h"

#define DAY 86400

/* ---- pure helpers ------------------------------------------------------------ */

gboolean obligations_short_lived(gint64 not_before, gint64 not_after)
{
    /* BR 1.6.1 "Short-lived Subscriber Certificate" */
    const gint64 from_2024 = 1710460800; /* 2024-03-15T00:00:00Z */
    const gint64 from_2026 = 1773532800; /* 2026-03-15T00:00:00Z */
    if (not_before <= 0 || not_after <= not_before || not_before < from_2024)
        return FALSE;
    gint64 validity = not_after - not_before;
    return validity <= (not_before < from_2026 ? 10 : 7) * (gint64)DAY;
}

gboolean obligations_foreign_issuer(const char *issuer_dn, const char *const *ca_names)
{
    if (!issuer_dn || !ca_names || !ca_names[0])
        return FALSE;
    g_autofree char *dn = g_utf8_casefold(issuer_dn, -1);
    for (gsize i = 0; ca_names[i]; i++) {
        g_autofree char *name = g_utf8_casefold(ca_names[i], -1);
        g_autofree char *cn = g_strconcat("cn=", name, NULL);
        const char *p = strstr(dn, cn);
        /* the whole CN value: followed by the end or the next RDN */
        if (p && (p[strlen(cn)] == '\0' || p[strlen(cn)] == ',' || p[strlen(cn)] == '+'))
            return FALSE;
    }
    return TRUE;
}

/* ---- small store helpers ------------------------------------------------------- */

static gboolean step_row(Store *store, sqlite3_stmt *st, GError **error, const char *what,
                         gboolean *row_r)
{
    int rc = store_step(store, st, error);
    *row_r = rc == STORE_ROW;
    if (rc == STORE_ERROR)
        g_prefix_error(error, "%s: ", what);
    return rc != STORE_ERROR;
}

typedef struct {
    int number;         /* 0 when assumed or none */
    char *source;       /* NULL: no reason */
    guint32 candidates;
    gint64 revocation_due; /* 0: no revocation clock */
} ReasonState;

static void reason_state_clear(ReasonState *r)
{
    g_clear_pointer(&r->source, g_free);
}

gboolean obligations_revocation_clock(Store *store, gint64 case_id, gint64 *starts_r,
                                      gint64 *due_r, GError **error)
{
    sqlite3_stmt *st = store_prepare_id(
        store, "SELECT starts_at, due_at FROM clocks WHERE case_id = ? AND clock = 'revocation'",
        case_id, error);
    if (!st)
        return FALSE;
    gboolean row = FALSE;
    if (!step_row(store, st, error, "cannot read the revocation clock", &row))
        return FALSE;
    *starts_r = row ? sqlite3_column_int64(st, 0) : 0;
    *due_r = row ? sqlite3_column_int64(st, 1) : 0;
    sqlite3_reset(st);
    return TRUE;
}

/* The reason as the case row holds it, and the revocation clock it set. */
static gboolean load_reason(Store *store, gint64 case_id, ReasonState *r, GError **error)
{
    g_autoptr(CaseRow) c = cases_load_id(store, case_id, error);
    if (!c)
        return FALSE;
    r->number = c->revocation_reason;
    r->source = g_steal_pointer(&c->reason_source);
    r->candidates = c->reason_candidates;
    gint64 starts = 0;
    return obligations_revocation_clock(store, case_id, &starts, &r->revocation_due, error);
}

static gboolean save_reason(Store *store, gint64 case_id, int number, const char *source,
                            guint32 candidates, GError **error)
{
    sqlite3_stmt *st = store_prepare(
        store,
        "UPDATE cases SET revocation_reason = ?1, reason_source = ?2, reason_candidates = ?3 "
        "WHERE id = ?4",
        error);
    if (!st)
        return FALSE;
    if (number > 0)
        sqlite3_bind_int(st, 1, number);
    else
        sqlite3_bind_null(st, 1);
    sqlite3_bind_text(st, 2, source, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, candidates);
    sqlite3_bind_int64(st, 4, case_id);
    return store_step_done(store, st, error);
}

static const char *reason_name(int number, const char *source)
{
    if (!source)
        return NULL;
    const ReasonRow *row = reasons_row(number);
    return row ? row->name : "assumed";
}

/* One audit event for a reason change, with the revocation clock's old and
 * new due times (SPEC 2.3). */
static gboolean audit_reason(Store *store, gint64 case_id, const ReasonState *old, int number,
                             const char *source, const char *by, const char *note, gint64 now,
                             GError **error)
{
    gint64 new_starts = 0, new_due = 0;
    if (!obligations_revocation_clock(store, case_id, &new_starts, &new_due, error))
        return FALSE;

    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    jsonutil_add_string(b, "old_reason", reason_name(old->number, old->source));
    jsonutil_add_string(b, "old_source", old->source);
    jsonutil_add_string(b, "reason", reason_name(number, source));
    if (number > 0)
        jsonutil_add_int(b, "number", number);
    jsonutil_add_string(b, "source", source);
    jsonutil_add_time(b, "old_due_at", old->revocation_due, TRUE);
    jsonutil_add_time(b, "new_due_at", new_due, TRUE);
    jsonutil_add_string(b, "note", note);
    json_builder_end_object(b);
    g_autofree char *details = jsonutil_builder_to_string(b, FALSE);
    return store_event_append(store, now, by, case_id, "reason_changed", details, error);
}

/* ---- messages ---------------------------------------------------------------- */

gboolean obligations_on_message(Store *store, const MessageFacts *m, gint64 now, GError **error)
{
    ReasonState old = {0};
    if (!load_reason(store, m->case_id, &old, error))
        return FALSE;
    gboolean ok = FALSE;
    guint32 candidates = old.candidates | m->reason_candidates;
    int number = old.number;
    const char *source = old.source;
    /* A reason applies once the case concerns certificates; a person's
     * choice stands. */
    if (g_strcmp0(old.source, "set") != 0 && (old.source || m->concerns_certs)) {
        number = reasons_choose(candidates);
        source = number ? "inferred" : "assumed";
    }
    sqlite3_stmt *st = store_prepare(
        store, "UPDATE cases SET report_owed = report_owed OR ?1 WHERE id = ?2", error);
    if (!st)
        goto out;
    sqlite3_bind_int(st, 1, m->report_owed);
    sqlite3_bind_int64(st, 2, m->case_id);
    if (!store_step_done(store, st, error) ||
        !save_reason(store, m->case_id, number, source, candidates, error) ||
        !clocks_refresh(store, m->case_id, NULL, error))
        goto out;
    if ((number != old.number || g_strcmp0(source, old.source)) &&
        !audit_reason(store, m->case_id, &old, number, source, "intake", NULL, now, error))
        goto out;
    ok = TRUE;
out:
    reason_state_clear(&old);
    return ok;
}

/* ---- people's decisions ---------------------------------------------------------- */

gboolean obligations_set_reason(Store *store, gint64 case_id, const ReasonRow *row,
                                const char *by, const char *note, gint64 now, GError **error)
{
    ReasonState old = {0};
    if (!load_reason(store, case_id, &old, error))
        return FALSE;
    gboolean ok = save_reason(store, case_id, row->number, "set", old.candidates, error) &&
                  clocks_refresh(store, case_id, NULL, error) &&
                  audit_reason(store, case_id, &old, row->number, "set", by, note, now, error);
    reason_state_clear(&old);
    return ok;
}

/* When did the incident clocks start, if they run now? 0 when they do not. */
static gboolean incident_clock_start(Store *store, gint64 case_id, gint64 *at_r, GError **error)
{
    *at_r = 0;
    sqlite3_stmt *st = store_prepare_id(
        store,
        "SELECT starts_at FROM clocks WHERE case_id = ? AND clock = 'incident_disclosure'",
        case_id, error);
    if (!st)
        return FALSE;
    gboolean row = FALSE;
    if (!step_row(store, st, error, "cannot read the incident clocks", &row))
        return FALSE;
    if (row)
        *at_r = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return TRUE;
}

static gboolean save_incident(Store *store, gint64 case_id, IncidentState state,
                              const char *rationale, gint64 aware_at, gboolean automatic,
                              gint64 now, GError **error)
{
    sqlite3_stmt *st = store_prepare(
        store,
        "UPDATE cases SET incident = ?1, incident_rationale = ?2, incident_aware_at = ?3, "
        "auto_incident_at = CASE WHEN ?4 THEN ?5 ELSE auto_incident_at END WHERE id = ?6",
        error);
    if (!st)
        return FALSE;
    sqlite3_bind_text(st, 1, clocks_incident_name(state), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, rationale, -1, SQLITE_TRANSIENT);
    if (aware_at)
        sqlite3_bind_int64(st, 3, aware_at);
    else
        sqlite3_bind_null(st, 3);
    sqlite3_bind_int(st, 4, automatic);
    sqlite3_bind_int64(st, 5, now);
    sqlite3_bind_int64(st, 6, case_id);
    return store_step_done(store, st, error);
}

static gboolean audit_incident(Store *store, gint64 case_id, IncidentState state,
                               const char *rationale, gint64 aware_at, const char *by,
                               const char *type, gint64 now, GError **error)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    jsonutil_add_string(b, "incident", clocks_incident_name(state));
    jsonutil_add_string(b, "rationale", rationale);
    jsonutil_add_time(b, "aware_at", aware_at, TRUE);
    json_builder_end_object(b);
    g_autofree char *details = jsonutil_builder_to_string(b, FALSE);
    return store_event_append(store, now, by, case_id, type, details, error);
}

gboolean obligations_set_incident(Store *store, gint64 case_id, IncidentState state,
                                  const char *rationale, gint64 aware_at, const char *by,
                                  gint64 now, GError **error)
{
    gint64 running = 0;
    if (!incident_clock_start(store, case_id, &running, error))
        return FALSE;
    /* "no" keeps the time the clocks ran from, so the withdrawn clocks still
     * show what they were; "yes" starts them from the given time. */
    gint64 at = state == INCIDENT_YES ? aware_at : running;
    return save_incident(store, case_id, state, rationale, at, FALSE, now, error) &&
           clocks_refresh(store, case_id, NULL, error) &&
           audit_incident(store, case_id, state, rationale, state == INCIDENT_YES ? at : 0, by,
                          "incident_decided", now, error);
}

/* ---- delayed revocation --------------------------------------------------------- */

static gboolean find_delayed(Store *store, gint64 case_id, gint64 *id_r, GError **error)
{
    *id_r = 0;
    sqlite3_stmt *st = store_prepare_id(
        store, "SELECT id FROM cases WHERE linked_case_id = ? AND kind = 'delayed_revocation'",
        case_id, error);
    if (!st)
        return FALSE;
    gboolean row = FALSE;
    if (!step_row(store, st, error, "cannot look up the delayed-revocation case", &row))
        return FALSE;
    if (row)
        *id_r = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return TRUE;
}

gboolean obligations_open_delayed(Store *store, const Config *cfg, gint64 case_id, gint64 at,
                                  const char *why, gint64 now, gint64 *delayed_id_r,
                                  gboolean *opened_r, GError **error)
{
    gint64 id = 0;
    if (opened_r)
        *opened_r = FALSE;
    if (!find_delayed(store, case_id, &id, error))
        return FALSE;
    if (id) {
        if (delayed_id_r)
            *delayed_id_r = id;
        return TRUE;
    }
    g_autoptr(CaseRow) orig = cases_load_id(store, case_id, error);
    if (!orig)
        return FALSE;
    g_autofree char *title = g_strdup_printf("Delayed revocation (%s)", orig->reference);
    g_autofree char *reference = NULL;
    if (!cases_create(store, "delayed_revocation", NULL, orig->problem, title, at, why, now, &id,
                      &reference, error))
        return FALSE;
    sqlite3_stmt *st = store_prepare(
        store,
        "UPDATE cases SET linked_case_id = ?1, incident = 'yes', incident_aware_at = ?2, "
        "incident_rationale = ?3 WHERE id = ?4",
        error);
    if (!st)
        return FALSE;
    g_autofree char *rationale =
        g_strdup_printf("the revocation deadline of %s will not be or was not met", orig->reference);
    sqlite3_bind_int64(st, 1, case_id);
    sqlite3_bind_int64(st, 2, at);
    sqlite3_bind_text(st, 3, rationale, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 4, id);
    if (!store_step_done(store, st, error))
        return FALSE;
    g_autofree char *at_s = timefmt_rfc3339(at);
    g_autofree char *d1 = jsonutil_object_of_strings("reference", reference, "kind",
                                                     "delayed_revocation", "linked_case",
                                                     orig->reference, "why", why, "aware_at",
                                                     at_s, NULL);
    g_autofree char *d2 = jsonutil_object_of_strings("delayed_case", reference, "why", why,
                                                     "aware_at", at_s, NULL);
    if (!store_event_append(store, now, "sweep", id, "case_opened", d1, error) ||
        !store_event_append(store, now, "sweep", case_id, "delayed_revocation_opened", d2, error) ||
        !clocks_refresh(store, id, NULL, error))
        return FALSE;
    /* On-call hears of it at once, as of any new case. */
    g_autofree char *row_key = g_strdup_printf("new_case:%" G_GINT64_FORMAT, id);
    PageSpec spec = {.event = "new_case", .case_id = id, .at = now};
    if (!notify_page_enqueue(store, cfg, &spec, "page", row_key, now, error))
        return FALSE;
    g_message("event=delayed_revocation_opened case=%s linked=%s why=%s", reference,
              orig->reference, why);
    if (delayed_id_r)
        *delayed_id_r = id;
    if (opened_r)
        *opened_r = TRUE;
    return TRUE;
}

/* ---- the sweep ------------------------------------------------------------------ */

typedef struct {
    gint64 case_id;
    char *clock;
    gint64 ref, due_at;
    char *rule;
    gboolean undetermined;   /* the case's incident is undetermined */
    gboolean delayed_case;   /* the case is a delayed-revocation case */
    gint64 auto_incident_at;
} Missed;

static void missed_free(gpointer p)
{
    Missed *m = p;
    g_free(m->clock);
    g_free(m->rule);
    g_free(m);
}

static gboolean load_missed(Store *store, gint64 now, GPtrArray *out, GError **error)
{
    sqlite3_stmt *st = store_prepare(
        store,
        "SELECT k.case_id, k.clock, k.ref, k.due_at, k.rule, c.kind = 'delayed_revocation', "
        "c.incident = 'undetermined', coalesce(c.auto_incident_at, 0) "
        "FROM clocks k JOIN cases c ON c.id = k.case_id "
        "WHERE c.status = 'open' AND k.met_at IS NULL AND k.withdrawn = 0 AND k.due_at < ?1 "
        "AND NOT EXISTS (SELECT 1 FROM clock_misses x WHERE x.case_id = k.case_id "
        " AND x.clock = k.clock AND x.ref = k.ref AND x.due_at = k.due_at) "
        "ORDER BY k.due_at, k.case_id, k.clock, k.ref",
        error);
    if (!st)
        return FALSE;
    sqlite3_bind_int64(st, 1, now);
    int rc;
    while ((rc = store_step(store, st, error)) == STORE_ROW) {
        Missed *m = g_new0(Missed, 1);
        m->case_id = sqlite3_column_int64(st, 0);
        m->clock = store_column_dup(st, 1);
        m->ref = sqlite3_column_int64(st, 2);
        m->due_at = sqlite3_column_int64(st, 3);
        m->rule = store_column_dup(st, 4);
        m->delayed_case = sqlite3_column_int(st, 5) != 0;
        m->undetermined = sqlite3_column_int(st, 6) != 0;
        m->auto_incident_at = sqlite3_column_int64(st, 7);
        g_ptr_array_add(out, m);
    }
    if (rc == STORE_ERROR)
        return FALSE;
    return TRUE;
}

static gboolean record_miss(Store *store, const Missed *m, gint64 now, gboolean premigration,
                            GError **error)
{
    sqlite3_stmt *st = store_prepare_id(
        store,
        "INSERT OR IGNORE INTO clock_misses (case_id, clock, ref, due_at, recorded_at, "
        "premigration) VALUES (?,?,?,?,?,?)",
        m->case_id, error);
    if (!st)
        return FALSE;
    sqlite3_bind_text(st, 2, m->clock, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, m->ref);
    sqlite3_bind_int64(st, 4, m->due_at);
    sqlite3_bind_int64(st, 5, now);
    sqlite3_bind_int(st, 6, premigration);
    return store_step_done(store, st, error);
}

/* A missed BR deadline is a failure of the CA: an incident, declared once. */
static gboolean declare_incident(Store *store, const Missed *m, gint64 now, GError **error)
{
    gint64 running = 0;
    if (!incident_clock_start(store, m->case_id, &running, error))
        return FALSE;
    /* Awareness at the missed due time, unless the incident clocks already
     * run from an earlier time. */
    gint64 at = running && running < m->due_at ? running : m->due_at;
    g_autofree char *rationale =
        g_strdup_printf("%s deadline missed (%s)", m->clock, m->rule ? m->rule : "BR 4.9.5");
    return save_incident(store, m->case_id, INCIDENT_YES, rationale, at, TRUE, now, error) &&
           clocks_refresh(store, m->case_id, NULL, error) &&
           audit_incident(store, m->case_id, INCIDENT_YES, rationale, at, "sweep",
                          "incident_declared", now, error);
}

static gboolean sweep_pass(Store *store, const Config *cfg, gint64 now, SweepStats *stats,
                           guint *found_r, GError **error);

gboolean obligations_sweep(Store *store, const Config *cfg, gint64 now, SweepStats *stats_r,
                           GError **error)
{
    SweepStats local = {0};
    SweepStats *stats = stats_r ? stats_r : &local;
    if (!store_begin(store, error))
        return FALSE;
    /* What a pass does can start clocks that are already past due (an
     * incident declared at an old deadline, a delayed case for old mail):
     * pass again until nothing new is missed, so one sweep leaves nothing
     * for the next. Each pass records each clock once; three passes reach
     * every consequence (preliminary -> incident -> its clocks). */
    gboolean ok = TRUE;
    for (int pass = 0; ok && pass < 4; pass++) {
        guint n = 0;
        ok = sweep_pass(store, cfg, now, stats, &n, error);
        if (n == 0)
            break;
    }
    if (ok && store_commit(store, error))
        return TRUE;
    store_rollback(store); /* after a failed COMMIT store_commit already did; harmless */
    return FALSE;
}

static gboolean sweep_pass(Store *store, const Config *cfg, gint64 now, SweepStats *stats,
                           guint *found_r, GError **error)
{
    g_autoptr(GPtrArray) missed = g_ptr_array_new_with_free_func(missed_free);
    if (!load_missed(store, now, missed, error))
        return FALSE;
    *found_r = missed->len;
    for (guint i = 0; i < missed->len; i++) {
        const Missed *m = missed->pdata[i];
        g_autoptr(JsonBuilder) b = json_builder_new();
        json_builder_begin_object(b);
        jsonutil_add_string(b, "clock", m->clock);
        if (m->ref > 0)
            jsonutil_add_int(b, "ref", m->ref);
        jsonutil_add_time(b, "due_at", m->due_at, FALSE);
        jsonutil_add_string(b, "rule", m->rule);
        json_builder_end_object(b);
        g_autofree char *details = jsonutil_builder_to_string(b, FALSE);
        if (!record_miss(store, m, now, FALSE, error) ||
            !store_event_append(store, now, "sweep", m->case_id, "clock_missed", details, error))
            return FALSE;
        stats->missed++;
        g_message("event=clock_missed case=%" G_GINT64_FORMAT " clock=%s", m->case_id, m->clock);
        gboolean preliminary = !strcmp(m->clock, "cpr_preliminary_report") ||
                               !strcmp(m->clock, "subscriber_preliminary_report");
        /* Once: a person's later "no" stands, and the second preliminary
         * clock of the same case does not declare it again. */
        if (preliminary && m->undetermined && !m->auto_incident_at) {
            if (!declare_incident(store, m, now, error))
                return FALSE;
            stats->incidents++;
            for (guint j = i + 1; j < missed->len; j++) {
                Missed *later = missed->pdata[j];
                if (later->case_id == m->case_id)
                    later->auto_incident_at = now;
            }
        }
        if (!strcmp(m->clock, "revocation") && !m->delayed_case) {
            gboolean opened = FALSE;
            if (!obligations_open_delayed(store, cfg, m->case_id, m->due_at,
                                          "revocation_deadline_missed", now, NULL, &opened, error))
                return FALSE;
            stats->delayed += opened;
        }
    }
    return TRUE;
}

/* ---- upgrade of cases made before schema 3 ---------------------------------------- */

static gboolean pending_cases(Store *store, GArray *ids, GError **error)
{
    sqlite3_stmt *st =
        store_prepare(store, "SELECT case_id FROM clocks_upgrade_pending ORDER BY case_id", error);
    return st && store_int64s(store, st, ids, error);
}

/* The reason candidates of every stored message of the case, read again from
 * the raw mail (the stored raw message is the source of truth). */
static gboolean upgrade_messages(Store *store, gint64 case_id, guint32 *candidates_r,
                                 gboolean *concerns_r, GError **error)
{
    sqlite3_stmt *st = store_prepare_id(
        store,
        "SELECT m.id, " STORE_RAW_OF("m.id") ", EXISTS (SELECT 1 FROM identifiers i WHERE i.message_row = m.id "
        " AND i.type IN ('serial','sha256','crtsh_id')) OR EXISTS (SELECT 1 FROM certificates c "
        " WHERE c.message_row = m.id) FROM messages m WHERE m.case_id = ? ORDER BY m.id",
        case_id, error);
    if (!st)
        return FALSE;
    Bounds bounds = bounds_default();
    g_autoptr(GArray) rows = g_array_new(FALSE, FALSE, sizeof(gint64));
    g_autoptr(GArray) masks = g_array_new(FALSE, FALSE, sizeof(guint32));
    int rc;
    while ((rc = store_step(store, st, error)) == STORE_ROW) {
        gint64 row = sqlite3_column_int64(st, 0);
        const guint8 *raw = sqlite3_column_blob(st, 1);
        gsize len = (gsize)sqlite3_column_bytes(st, 1);
        MimeMessage *msg = mime_message_parse(raw, len, &bounds);
        g_autofree char *hay =
            g_strconcat(msg->subject ? msg->subject : "", "\n", msg->text ? msg->text : "", NULL);
        guint32 mask = reasons_infer(hay);
        mime_message_free(&msg);
        *candidates_r |= mask;
        *concerns_r = *concerns_r || sqlite3_column_int(st, 2);
        g_array_append_val(rows, row);
        g_array_append_val(masks, mask);
    }
    if (rc == STORE_ERROR)
        return FALSE;
    for (guint i = 0; i < rows->len; i++) {
        st = store_prepare(store, "UPDATE messages SET reason_candidates = ? WHERE id = ?", error);
        if (!st)
            return FALSE;
        sqlite3_bind_int64(st, 1, g_array_index(masks, guint32, i));
        sqlite3_bind_int64(st, 2, g_array_index(rows, gint64, i));
        if (!store_step_done(store, st, error))
            return FALSE;
    }
    return TRUE;
}

/* An old preliminary_report_sent went to reporter and Subscriber alike (the
 * old model had one clock for both): it meets the new subscriber clock too. */
static gboolean upgrade_subscriber_events(Store *store, gint64 case_id, GError **error)
{
    sqlite3_stmt *st = store_prepare_id(
        store,
        "SELECT id, at FROM events WHERE case_id = ?1 AND type = 'preliminary_report_sent' "
        "AND NOT EXISTS (SELECT 1 FROM events WHERE case_id = ?1 AND type = 'subscriber_notified') "
        "ORDER BY at, id LIMIT 1",
        case_id, error);
    if (!st)
        return FALSE;
    gboolean row = FALSE;
    if (!step_row(store, st, error, "upgrade: cannot read events", &row))
        return FALSE;
    gint64 id = row ? sqlite3_column_int64(st, 0) : 0, at = row ? sqlite3_column_int64(st, 1) : 0;
    sqlite3_reset(st);
    if (!row)
        return TRUE;
    g_autofree char *from = g_strdup_printf("%" G_GINT64_FORMAT, id);
    g_autofree char *details = jsonutil_object_of_strings(
        "migrated", "from preliminary_report_sent (one report to reporter and Subscriber)",
        "from_event", from, NULL);
    return store_event_append(store, at, "migration", case_id, "subscriber_notified", details,
                              error);
}

/* Certificates read before schema 3: what can be known from the stored
 * columns (the CA flag of old rows stays unknown: the leaf window). */
static gboolean upgrade_certificates(Store *store, const Config *cfg, gint64 case_id,
                                     GError **error)
{
    sqlite3_stmt *st = store_prepare_id(
        store,
        "SELECT rowid, issuer, coalesce(not_before, 0), coalesce(not_after, 0) FROM "
        "certificates WHERE message_row IN (SELECT id FROM messages WHERE case_id = ?) "
        "AND short_lived IS NULL",
        case_id, error);
    if (!st)
        return FALSE;
    g_autoptr(GArray) rowids = g_array_new(FALSE, FALSE, sizeof(gint64));
    g_autoptr(GArray) flags = g_array_new(FALSE, FALSE, sizeof(int));
    int rc;
    while ((rc = store_step(store, st, error)) == STORE_ROW) {
        gint64 rowid = sqlite3_column_int64(st, 0);
        int f = obligations_short_lived(sqlite3_column_int64(st, 2), sqlite3_column_int64(st, 3)) |
                obligations_foreign_issuer((const char *)sqlite3_column_text(st, 1),
                                           (const char *const *)cfg->ca_names) << 1;
        g_array_append_val(rowids, rowid);
        g_array_append_val(flags, f);
    }
    if (rc == STORE_ERROR)
        return FALSE;
    for (guint i = 0; i < rowids->len; i++) {
        st = store_prepare(
            store, "UPDATE certificates SET short_lived = ?, foreign_issuer = ? WHERE rowid = ?",
            error);
        if (!st)
            return FALSE;
        int f = g_array_index(flags, int, i);
        sqlite3_bind_int(st, 1, f & 1);
        sqlite3_bind_int(st, 2, (f >> 1) & 1);
        sqlite3_bind_int64(st, 3, g_array_index(rowids, gint64, i));
        if (!store_step_done(store, st, error))
            return FALSE;
    }
    return TRUE;
}

static gboolean upgrade_case(Store *store, const Config *cfg, gint64 case_id, gint64 now,
                             guint *overdue_r, GError **error)
{
    g_autoptr(CaseRow) c = cases_load_id(store, case_id, error);
    if (!c || !upgrade_certificates(store, cfg, case_id, error))
        return FALSE;

    guint32 candidates = 0;
    gboolean concerns = FALSE;
    if (!upgrade_messages(store, case_id, &candidates, &concerns, error) ||
        !upgrade_subscriber_events(store, case_id, error))
        return FALSE;
    gboolean owed = !strcmp(c->kind, "cpr") ||
                    (concerns && g_strcmp0(c->problem, "other") && g_strcmp0(c->kind, "delayed_revocation"));
    MessageFacts m = {.case_id = case_id, .reason_candidates = candidates,
                      .concerns_certs = concerns, .report_owed = owed};
    if (!obligations_on_message(store, &m, now, error))
        return FALSE;

    /* Deadlines that passed before the upgrade open nothing and page no one:
     * recorded as pre-upgrade misses (listed for a person) and as already
     * escalated. */
    sqlite3_stmt *st = store_prepare_id(
        store,
        "SELECT clock, ref, due_at, rule FROM clocks WHERE case_id = ? AND met_at IS NULL "
        "AND withdrawn = 0 AND due_at < ?",
        case_id, error);
    if (!st)
        return FALSE;
    sqlite3_bind_int64(st, 2, now);
    g_autoptr(GPtrArray) overdue = g_ptr_array_new_with_free_func(missed_free);
    int rc;
    while ((rc = store_step(store, st, error)) == STORE_ROW) {
        Missed *o = g_new0(Missed, 1);
        o->case_id = case_id;
        o->clock = store_column_dup(st, 0);
        o->ref = sqlite3_column_int64(st, 1);
        o->due_at = sqlite3_column_int64(st, 2);
        o->rule = store_column_dup(st, 3);
        g_ptr_array_add(overdue, o);
    }
    if (rc == STORE_ERROR)
        return FALSE;
    for (guint i = 0; i < overdue->len; i++) {
        const Missed *o = overdue->pdata[i];
        if (!record_miss(store, o, now, TRUE, error))
            return FALSE;
        st = store_prepare_id(store,
                              "INSERT OR IGNORE INTO escalations (case_id, clock, point, due_at, "
                              "fired_at) VALUES (?, ?, 100, ?, ?)",
                              case_id, error);
        if (!st)
            return FALSE;
        sqlite3_bind_text(st, 2, o->clock, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 3, o->due_at);
        sqlite3_bind_int64(st, 4, now);
        if (!store_step_done(store, st, error))
            return FALSE;
    }
    /* The sweep must not declare incidents for deadlines missed before. */
    if (overdue->len) {
        st = store_prepare(store, "UPDATE cases SET auto_incident_at = ? WHERE id = ?", error);
        if (!st)
            return FALSE;
        sqlite3_bind_int64(st, 1, now);
        sqlite3_bind_int64(st, 2, case_id);
        if (!store_step_done(store, st, error))
            return FALSE;
    }
    *overdue_r = overdue->len;
    g_autofree char *n = g_strdup_printf("%u", overdue->len);
    g_autofree char *details =
        jsonutil_object_of_strings("schema", "3", "overdue_before_upgrade", n, NULL);
    if (!store_event_append(store, now, "migration", case_id, "clocks_migrated", details, error))
        return FALSE;
    st = store_prepare_id(store, "DELETE FROM clocks_upgrade_pending WHERE case_id = ?", case_id,
                          error);
    if (!st)
        return FALSE;
    return store_step_done(store, st, error);
}

gboolean obligations_upgrade(Store *store, const Config *cfg, gint64 now, GError **error)
{
    g_autoptr(GArray) ids = g_array_new(FALSE, FALSE, sizeof(gint64));
    if (!pending_cases(store, ids, error))
        return FALSE;
    if (ids->len == 0)
        return TRUE;
    if (!store_begin(store, error))
        return FALSE;
    guint overdue = 0;
    for (guint i = 0; i < ids->len; i++) {
        guint n = 0;
        if (!upgrade_case(store, cfg, g_array_index(ids, gint64, i), now, &n, error)) {
            g_prefix_error(error, "upgrading case %" G_GINT64_FORMAT ": ",
                           g_array_index(ids, gint64, i));
            store_rollback(store);
            return FALSE;
        }
        overdue += n;
    }
    if (!store_commit(store, error)) {
        store_rollback(store);
        return FALSE;
    }
    g_message("event=clocks_upgraded cases=%u overdue_before_upgrade=%u", ids->len, overdue);
    return TRUE;
}
