/* clocks.c - deadlines as data, computed from facts and events (clocks.h). */
#include <string.h>

#include <json-glib/json-glib.h>

#include "clocks.h"
#include "cpr_error.h"
#include "jsonutil.h"
#include "reasons.h"
#include "timefmt.h"

#define HOURS(n) ((gint64)(n) * 3600)
#define DAYS(n) ((gint64)(n) * 86400)

typedef enum {
    START_AWARE,      /* the case's aware_at */
    START_INCIDENT,   /* incident awareness (declared, or provisional at aware_at) */
    START_DISCLOSURE, /* the first disclosure; restarts at each update by the CA */
    START_QUESTION,   /* each question asked, one clock per question */
} ClockStart;

typedef struct {
    const char *clock;
    ClockStart starts;
    gint64 window;        /* 0: from the case's BR 4.9.1.1 reason */
    const char *met_by;   /* space-separated event types */
    const char *rule;     /* for people, drafts and pages */
} ClockDef;

/* Sources: BR = CA/Browser Forum TLS Baseline Requirements; IRG = CCADB
 * Incident Reporting Guidelines. Which clocks apply to which case is decided
 * in clocks_compute() from the facts (SPEC 2.3); the numbers are here. */
static const ClockDef CLOCK_DEFS[] = {
    {"cpr_preliminary_report", START_AWARE, HOURS(24), "preliminary_report_sent", "BR 4.9.5, 24 h"},
    {"subscriber_preliminary_report", START_AWARE, HOURS(24), "subscriber_notified",
     "BR 4.9.5, 24 h"},
    {"revocation", START_AWARE, 0, "revoked", NULL},
    {"incident_disclosure", START_INCIDENT, HOURS(72), "disclosed bug_filed", "CCADB IRG, 72 h"},
    {"full_report", START_INCIDENT, DAYS(14), "full_report_posted", "CCADB IRG, 14 days"},
    {"bug_update", START_DISCLOSURE, DAYS(7),
     "bug_updated bug_comment_by_ca disclosed bug_filed full_report_posted",
     "CCADB IRG, 7 days after the last update"},
    {"question_response", START_QUESTION, DAYS(7), "question_answered bug_comment_by_ca",
     "CCADB IRG, 7 days"},
};

/* BR 4.9.1.2: a subordinate CA certificate is revoked within 7 days. */
#define SUBCA_WINDOW DAYS(7)
/* The IRG asks revocation-delay bugs for an update every 3 days (and
 * requires one every 7): the clock is due at 7 days and pages at 3. */
#define DELAY_UPDATE_PAGE DAYS(3)
/* Rows 6-16: SHOULD within 24 hours, MUST within 5 days. */
#define SHOULD_WINDOW HOURS(24)

static void clock_free(gpointer p)
{
    Clock *c = p;
    if (!c)
        return;
    g_free(c->clock);
    g_free(c->rule);
    g_free(c);
}

const char *const *clocks_names(void)
{
    static const char *names[G_N_ELEMENTS(CLOCK_DEFS) + 1];
    static gsize done = 0;
    if (g_once_init_enter(&done)) {
        for (gsize i = 0; i < G_N_ELEMENTS(CLOCK_DEFS); i++)
            names[i] = CLOCK_DEFS[i].clock;
        names[G_N_ELEMENTS(CLOCK_DEFS)] = NULL;
        g_once_init_leave(&done, 1);
    }
    return names;
}

static gboolean word_in(const char *words, const char *word)
{
    gsize n = strlen(word);
    for (const char *p = words; (p = strstr(p, word)); p += n)
        if ((p == words || p[-1] == ' ') && (p[n] == '\0' || p[n] == ' '))
            return TRUE;
    return FALSE;
}

/* Event types that can change a case's clocks. */
static gboolean clocks_event_matters(const char *type)
{
    if (!type)
        return FALSE;
    for (gsize i = 0; i < G_N_ELEMENTS(CLOCK_DEFS); i++)
        if (word_in(CLOCK_DEFS[i].met_by, type))
            return TRUE;
    return !strcmp(type, "question_asked") || !strcmp(type, "bug_update_due_set") ||
           !strcmp(type, "bug_resolved") || !strcmp(type, "bug_reopened");
}

static const char *const STATUS_NAMES[] = {"open", "met", "met_late", "missed", "withdrawn"};

ClockStatus clocks_status(gint64 due_at, gint64 met_at, gboolean withdrawn, gint64 now)
{
    if (withdrawn)
        return CLOCK_WITHDRAWN;
    if (met_at)
        return met_at <= due_at ? CLOCK_MET : CLOCK_MET_LATE;
    return now > due_at ? CLOCK_MISSED : CLOCK_OPEN;
}

const char *clocks_status_name(ClockStatus status)
{
    return (guint)status < G_N_ELEMENTS(STATUS_NAMES) ? STATUS_NAMES[status] : "open";
}

static const char *const INCIDENT_NAMES[] = {"undetermined", "yes", "no"};

const char *clocks_incident_name(IncidentState s)
{
    return (guint)s < G_N_ELEMENTS(INCIDENT_NAMES) ? INCIDENT_NAMES[s] : "undetermined";
}

gboolean clocks_incident_from_name(const char *name, IncidentState *s_r)
{
    for (gsize i = 0; name && i < G_N_ELEMENTS(INCIDENT_NAMES); i++)
        if (!strcmp(name, INCIDENT_NAMES[i])) {
            *s_r = (IncidentState)i;
            return TRUE;
        }
    return FALSE;
}

static Clock *clock_new(const char *name, gint64 ref, gint64 starts, gint64 due, const char *rule)
{
    Clock *c = g_new0(Clock, 1);
    c->clock = g_strdup(name);
    c->ref = ref;
    c->starts_at = starts;
    c->due_at = due;
    c->rule = g_strdup(rule);
    return c;
}

static gint cmp_event(gconstpointer a, gconstpointer b)
{
    const ClockEvent *x = *(const ClockEvent *const *)a, *y = *(const ClockEvent *const *)b;
    if (x->at != y->at)
        return x->at < y->at ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* The first event (in time) of one of `types`, at or after `from`; NULL none. */
static const ClockEvent *first_event(GPtrArray *sorted, const char *types, gint64 from)
{
    for (guint i = 0; i < sorted->len; i++) {
        const ClockEvent *e = sorted->pdata[i];
        if (e->at >= from && word_in(types, e->type))
            return e;
    }
    return NULL;
}

static gint64 first_of(GPtrArray *sorted, const char *types, gint64 from)
{
    const ClockEvent *e = first_event(sorted, types, from);
    return e ? e->at : 0;
}

/* Written after the fact: later than the time it claims by more than the
 * slack. A flag beside the status, never a status of its own. */
static gboolean backfilled(const ClockFacts *f, const ClockEvent *e)
{
    gint64 slack = f->backfill_slack > 0 ? f->backfill_slack : 3600;
    return e && e->recorded_at && e->recorded_at - e->at > slack;
}

/* The revocation rule of the facts; FALSE when no revocation clock runs. */
static gboolean revocation_window(const ClockFacts *f, gint64 *window_r, gint64 *page_r,
                                  char **rule_r)
{
    if (f->reason == REASON_NONE || f->short_lived || f->foreign ||
        !g_strcmp0(f->kind, "delayed_revocation"))
        return FALSE;
    *page_r = 0;
    if (f->subordinate_ca) {
        *window_r = SUBCA_WINDOW;
        *rule_r = g_strdup("BR 4.9.1.2, 7 days");
        return TRUE;
    }
    const ReasonRow *row = reasons_row(f->reason);
    if (!row) {
        /* Fail safe: a person investigates within 24 h anyway. */
        *window_r = HOURS(24);
        *rule_r = g_strdup("BR 4.9.1.1 (reason assumed), 24 h");
        return TRUE;
    }
    *window_r = HOURS(row->window_hours);
    if (*window_r > SHOULD_WINDOW) {
        *page_r = SHOULD_WINDOW;
        *rule_r = g_strdup_printf("BR 4.9.1.1 #%d, 5 days (SHOULD 24 h)", row->number);
    } else {
        *rule_r = g_strdup_printf("BR 4.9.1.1 #%d, 24 h", row->number);
    }
    return TRUE;
}

/* Do the incident clocks run provisionally, before anyone decides? */
static gboolean incident_provisional(const ClockFacts *f)
{
    if (!g_strcmp0(f->kind, "list_post") || !g_strcmp0(f->kind, "bugzilla") ||
        !g_strcmp0(f->kind, "delayed_revocation"))
        return TRUE;
    if (f->reason == REASON_ASSUMED || (f->reason != REASON_NONE && f->failure_named))
        return TRUE;
    const ReasonRow *row = reasons_row(f->reason);
    return row && row->incident;
}

/* Incident awareness, and whether the incident clocks are withdrawn; FALSE
 * when they have not started. */
static gboolean incident_start(const ClockFacts *f, gint64 *at_r, gboolean *withdrawn_r)
{
    *withdrawn_r = FALSE;
    switch (f->incident) {
    case INCIDENT_YES:
        *at_r = f->incident_aware_at ? f->incident_aware_at : f->aware_at;
        return TRUE;
    case INCIDENT_NO:
        *at_r = f->incident_aware_at;
        *withdrawn_r = TRUE;
        return f->incident_aware_at != 0;
    default:
        *at_r = f->aware_at;
        return incident_provisional(f);
    }
}

static void add_questions(GPtrArray *out, const ClockDef *d, const ClockFacts *f,
                          GPtrArray *sorted)
{
    g_autoptr(GHashTable) seen = g_hash_table_new(g_int64_hash, g_int64_equal);
    g_autoptr(GPtrArray) qs = g_ptr_array_new();
    for (guint i = 0; i < sorted->len; i++) {
        const ClockEvent *e = sorted->pdata[i];
        if (strcmp(e->type, "question_asked"))
            continue;
        /* Each question once, however many notifications carry it. */
        if (e->ref > 0 && g_hash_table_contains(seen, &e->ref))
            continue;
        if (e->ref > 0)
            g_hash_table_add(seen, (gpointer)&e->ref);
        Clock *c = clock_new(d->clock, e->ref > 0 ? e->ref : -e->id, e->at, e->at + d->window,
                             d->rule);
        /* Met by its own answer, by an answer naming no question (rows from
         * before questions had numbers) given after it, or by the CA's own
         * later comment on the bug. */
        for (guint j = 0; j < sorted->len && !c->met_at; j++) {
            const ClockEvent *a = sorted->pdata[j];
            gboolean answers = FALSE;
            if (!strcmp(a->type, "question_answered"))
                answers = e->ref > 0 ? a->ref == e->ref || (a->ref == 0 && a->at >= e->at)
                                     : a->ref == -e->id || (a->ref == 0 && a->at >= e->at);
            else if (!strcmp(a->type, "bug_comment_by_ca"))
                answers = a->at >= e->at;
            if (answers) {
                c->met_at = MAX(a->at, e->at);
                c->backfilled = backfilled(f, a);
            }
        }
        g_ptr_array_add(qs, c);
    }
    for (guint i = 0; i < qs->len; i++)
        g_ptr_array_add(out, qs->pdata[i]);
}

static void add_bug_update(GPtrArray *out, const ClockDef *d, const ClockFacts *f,
                           GPtrArray *sorted, gint64 incident_at, gboolean withdrawn)
{
    gboolean delayed = !g_strcmp0(f->kind, "delayed_revocation");
    /* A bug is updated once it exists: from the first disclosure; a delayed
     * revocation owes updates from the delay itself. */
    gint64 start = first_of(sorted, "disclosed bug_filed", 0);
    if (delayed && (!start || incident_at < start))
        start = incident_at;
    if (!start)
        return;
    /* confirmed_day: the last date read back from Bugzilla; unconfirmed_day:
     * the earliest date seen only in mail since then */
    gint64 last = start, confirmed_day = 0, unconfirmed_day = 0;
    gint64 resolved_at = 0;
    for (guint i = 0; i < sorted->len; i++) {
        const ClockEvent *e = sorted->pdata[i];
        if (e->at >= last && word_in(d->met_by, e->type)) {
            last = e->at;
            confirmed_day = unconfirmed_day = 0; /* a new update starts a new rhythm */
        } else if (!strcmp(e->type, "bug_update_due_set") && e->at >= last && e->value > 0) {
            if (!e->unconfirmed) {
                confirmed_day = e->value; /* the bug's own state, as of then */
                unconfirmed_day = 0;
            } else if (!unconfirmed_day || e->value < unconfirmed_day) {
                unconfirmed_day = e->value;
            }
        } else if (!strcmp(e->type, "bug_resolved") && !e->unconfirmed && e->at >= start) {
            resolved_at = e->at; /* read back from Bugzilla: the bug is closed */
        } else if (!strcmp(e->type, "bug_reopened") && e->at >= resolved_at) {
            resolved_at = 0; /* owes updates again, at once */
        }
    }
    /* "Next update YYYY-MM-DD" is due at the end of that day (this product's
     * convention: 23:59:59 UTC). A date only seen in mail, not yet read back
     * from Bugzilla, may make the update due earlier, never later: anyone can
     * send mail that looks like Bugzilla's. */
    gint64 due = confirmed_day ? confirmed_day + DAYS(1) - 1 : last + d->window;
    if (unconfirmed_day)
        due = MIN(due, unconfirmed_day + DAYS(1) - 1);
    gint64 next_day = confirmed_day ? confirmed_day : unconfirmed_day;
    Clock *c = clock_new(d->clock, 0, last, due,
                         delayed ? "CCADB IRG, update every 3 days (at most 7)" : d->rule);
    if (delayed && !next_day)
        c->page_at = last + DELAY_UPDATE_PAGE;
    /* a resolved bug owes no more updates, unless one was already overdue */
    c->withdrawn = withdrawn || (resolved_at && resolved_at <= due);
    g_ptr_array_add(out, c);
}

GPtrArray *clocks_compute(const ClockFacts *f, const ClockEvent *events, gsize n_events)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(clock_free);
    g_autoptr(GPtrArray) sorted = g_ptr_array_new();
    for (gsize i = 0; i < n_events; i++)
        if (events[i].type)
            g_ptr_array_add(sorted, (gpointer)&events[i]);
    g_ptr_array_sort(sorted, cmp_event);

    gint64 incident_at = 0;
    gboolean withdrawn = FALSE;
    gboolean incident = incident_start(f, &incident_at, &withdrawn);
    gboolean delayed = !g_strcmp0(f->kind, "delayed_revocation");

    for (gsize i = 0; i < G_N_ELEMENTS(CLOCK_DEFS); i++) {
        const ClockDef *d = &CLOCK_DEFS[i];
        Clock *c = NULL;
        switch (d->starts) {
        case START_AWARE:
            if (!strcmp(d->clock, "revocation")) {
                gint64 window = 0, page = 0;
                g_autofree char *rule = NULL;
                if (!revocation_window(f, &window, &page, &rule))
                    break;
                c = clock_new(d->clock, 0, f->aware_at, f->aware_at + window, rule);
                c->page_at = page ? f->aware_at + page : 0;
            } else if (f->report_owed && !delayed) {
                c = clock_new(d->clock, 0, f->aware_at, f->aware_at + d->window, d->rule);
            }
            break;
        case START_INCIDENT:
            if (!incident || (delayed && strcmp(d->clock, "incident_disclosure")))
                break;
            c = clock_new(d->clock, 0, incident_at, incident_at + d->window, d->rule);
            c->withdrawn = withdrawn;
            break;
        case START_DISCLOSURE:
            if (incident)
                add_bug_update(out, d, f, sorted, incident_at, withdrawn);
            break;
        case START_QUESTION:
            /* A question on a public bug is answered whatever the CA decides. */
            add_questions(out, d, f, sorted);
            break;
        }
        if (c) {
            const ClockEvent *met = first_event(sorted, d->met_by, 0);
            c->met_at = met ? met->at : 0;
            c->backfilled = backfilled(f, met);
            g_ptr_array_add(out, c);
        }
    }
    return out;
}

/* ---- the store side --------------------------------------------------------- */

static gint64 backfill_slack_seconds = 3600;

void clocks_set_backfill_slack(gint64 seconds)
{
    backfill_slack_seconds = seconds > 0 ? seconds : 3600;
}

/* What the certificates of the case are: each flag holds only when every
 * certificate the case names is a parsed one with that property (a serial
 * or link without a parsed certificate is unknown, and unknown never
 * shortens or removes a deadline). The identifiers are reached through the
 * case's messages (the primary key's message_row), never through an OR of
 * types: that made SQLite walk identifiers_value for every serial in the
 * store, once per message, and ingest grew with the square of the store
 * (issue 16: 63 % of a 10,000-message ingest). */
static gboolean load_cert_scope(Store *store, gint64 case_id, ClockFacts *f, GError **error)
{
    sqlite3_stmt *st = store_prepare_id(
        store,
        "WITH m AS (SELECT id FROM messages WHERE case_id = ?1),"
        " c AS (SELECT * FROM certificates WHERE message_row IN (SELECT id FROM m))"
        " SELECT (SELECT count(*) FROM c),"
        "  (SELECT count(*) FROM c WHERE is_ca = 1),"
        "  (SELECT count(*) FROM c WHERE short_lived = 1),"
        "  (SELECT count(*) FROM c WHERE foreign_issuer = 1),"
        "  (SELECT count(*) FROM m JOIN identifiers i ON i.message_row = m.id"
        "   WHERE i.type IN ('crtsh_id', 'serial', 'sha256') AND CASE i.type"
        "    WHEN 'serial' THEN i.value NOT IN (SELECT serial FROM c)"
        "    WHEN 'sha256' THEN i.value NOT IN (SELECT sha256 FROM c) ELSE 1 END)",
        case_id, error);
    if (!st)
        return FALSE;
    if (!store_step_row(store, st, "clocks: cannot read the case's certificates", error))
        return FALSE;
    gint64 n = sqlite3_column_int64(st, 0), unknown = sqlite3_column_int64(st, 4);
    gboolean known = n > 0 && unknown == 0;
    f->subordinate_ca = known && sqlite3_column_int64(st, 1) == n;
    f->short_lived = known && sqlite3_column_int64(st, 2) == n;
    f->foreign = known && sqlite3_column_int64(st, 3) == n;
    sqlite3_reset(st);
    return TRUE;
}

/* The facts of case `case_id` as stored (for drafts and tests). */
static gboolean clocks_load_facts(Store *store, gint64 case_id, ClockFacts *f, char **kind_r,
                                  GError **error)
{
    memset(f, 0, sizeof *f);
    sqlite3_stmt *st = store_prepare_id(
        store,
        "SELECT kind, aware_at, report_owed, reason_source, coalesce(revocation_reason, 0), "
        "incident, coalesce(incident_aware_at, 0), reason_candidates FROM cases WHERE id = ?",
        case_id, error);
    if (!st)
        return FALSE;
    int rc = store_step(store, st, error);
    if (rc != STORE_ROW) {
        sqlite3_reset(st);
        if (rc == STORE_DONE)
            g_set_error(error, CPR_ERROR, CPR_ERROR_INPUT, "no case %" G_GINT64_FORMAT, case_id);
        else
            g_prefix_error(error, "clocks: cannot read the case: ");
        return FALSE;
    }
    *kind_r = store_column_dup(st, 0);
    f->aware_at = sqlite3_column_int64(st, 1);
    f->report_owed = sqlite3_column_int(st, 2) != 0;
    const char *source = (const char *)sqlite3_column_text(st, 3);
    int number = sqlite3_column_int(st, 4);
    f->reason = !source ? REASON_NONE : (reasons_row(number) ? number : REASON_ASSUMED);
    IncidentState s = INCIDENT_UNDETERMINED;
    clocks_incident_from_name((const char *)sqlite3_column_text(st, 5), &s);
    f->incident = s;
    f->incident_aware_at = sqlite3_column_int64(st, 6);
    f->backfill_slack = backfill_slack_seconds;
    /* a reason a person set is the case's whole story */
    guint32 candidates = g_strcmp0(source, "set") ? (guint32)sqlite3_column_int64(st, 7) : 0;
    for (int n = 1; n <= REASON_ROWS; n++)
        if ((candidates & (1u << n)) && reasons_row(n)->incident)
            f->failure_named = TRUE;
    sqlite3_reset(st);
    return load_cert_scope(store, case_id, f, error);
}

/* "2026-12-01" in the details of bug_update_due_set: 00:00 UTC of that day. */
static gint64 day_start(const char *date)
{
    if (!date)
        return 0;
    g_autofree char *t = g_strdup_printf("%sT00:00:00Z", date);
    gint64 at = 0;
    return timefmt_parse(t, &at) ? at : 0;
}

static void event_details(const char *json, ClockEvent *e)
{
    if (!json || !*json)
        return;
    g_autoptr(JsonParser) p = json_parser_new();
    if (!json_parser_load_from_data(p, json, -1, NULL))
        return;
    JsonNode *root = json_parser_get_root(p);
    if (!root || !JSON_NODE_HOLDS_OBJECT(root))
        return;
    JsonObject *o = json_node_get_object(root);
    const char *keys[] = {"ref", "comment"};
    for (gsize i = 0; i < G_N_ELEMENTS(keys) && !e->ref; i++) {
        JsonNode *n = json_object_get_member(o, keys[i]);
        if (n && JSON_NODE_HOLDS_VALUE(n)) {
            if (json_node_get_value_type(n) == G_TYPE_INT64)
                e->ref = json_node_get_int(n);
            else if (json_node_get_value_type(n) == G_TYPE_STRING)
                e->ref = g_ascii_strtoll(json_node_get_string(n), NULL, 10);
        }
    }
    JsonNode *n = json_object_get_member(o, "next_update");
    if (n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING)
        e->value = day_start(json_node_get_string(n));
    n = json_object_get_member(o, "confirmed");
    /* only a date read back from Bugzilla itself counts as confirmed */
    e->unconfirmed = !(n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING &&
                       !g_strcmp0(json_node_get_string(n), "rest"));
}

typedef struct {
    GArray *events;     /* ClockEvent */
    GStringChunk *strs;
} EventList;

static gboolean add_event(sqlite3_stmt *st, gpointer list, GError **error)
{
    EventList *l = list;
    const char *type = (const char *)sqlite3_column_text(st, 1);
    if (!clocks_event_matters(type))
        return TRUE;
    ClockEvent e = {
        .id = sqlite3_column_int64(st, 0),
        .type = g_string_chunk_insert_const(l->strs, type),
        .at = sqlite3_column_int64(st, 2),
        .recorded_at = sqlite3_column_int64(st, 4),
    };
    event_details((const char *)sqlite3_column_text(st, 3), &e);
    g_array_append_val(l->events, e);
    return TRUE;
}

static gboolean load_events(Store *store, gint64 case_id, EventList *l, GError **error)
{
    sqlite3_stmt *st = store_prepare_id(
        store,
        "SELECT id, type, at, details, coalesce(recorded_at, 0) FROM events WHERE case_id = ? "
        "ORDER BY id",
        case_id, error);
    return st && store_each_row(store, st, add_event, l, NULL, error);
}

static gboolean add_met(sqlite3_stmt *st, gpointer met, GError **error)
{
    g_hash_table_add(met, g_strdup_printf("%s/%" G_GINT64_FORMAT, sqlite3_column_text(st, 0),
                                          (gint64)sqlite3_column_int64(st, 1)));
    return TRUE;
}

/* clock name + ref of each clock met now, to tell which became met. */
static gboolean load_met(Store *store, gint64 case_id, GHashTable *met, GError **error)
{
    sqlite3_stmt *st = store_prepare_id(
        store, "SELECT clock, ref FROM clocks WHERE case_id = ? AND met_at IS NOT NULL", case_id,
        error);
    return st && store_each_row(store, st, add_met, met, NULL, error);
}

static void bind_or_null(sqlite3_stmt *st, int col, gint64 v)
{
    if (v)
        sqlite3_bind_int64(st, col, v);
    else
        sqlite3_bind_null(st, col);
}

gboolean clocks_refresh(Store *store, gint64 case_id, GPtrArray **newly_met_r, GError **error)
{
    ClockFacts f;
    g_autofree char *kind = NULL;
    if (!clocks_load_facts(store, case_id, &f, &kind, error))
        return FALSE;
    f.kind = kind;
    EventList l = {g_array_new(FALSE, TRUE, sizeof(ClockEvent)), g_string_chunk_new(256)};
    g_autoptr(GHashTable) met_before = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_autoptr(GPtrArray) clocks = NULL;
    gboolean ok = FALSE;
    if (!load_events(store, case_id, &l, error) || !load_met(store, case_id, met_before, error))
        goto out;
    clocks = clocks_compute(&f, (const ClockEvent *)l.events->data, l.events->len);

    sqlite3_stmt *st = store_prepare(store, "DELETE FROM clocks WHERE case_id = ?", error);
    if (!st)
        goto out;
    sqlite3_bind_int64(st, 1, case_id);
    if (!store_step_done(store, st, error))
        goto out;
    GPtrArray *newly = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < clocks->len; i++) {
        const Clock *c = clocks->pdata[i];
        st = store_prepare(store,
                           "INSERT INTO clocks (case_id, clock, ref, starts_at, due_at, met_at, "
                           "page_at, withdrawn, rule, backfilled) VALUES (?,?,?,?,?,?,?,?,?,?)",
                           error);
        if (!st) {
            g_ptr_array_unref(newly);
            goto out;
        }
        sqlite3_bind_int64(st, 1, case_id);
        sqlite3_bind_text(st, 2, c->clock, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 3, c->ref);
        sqlite3_bind_int64(st, 4, c->starts_at);
        sqlite3_bind_int64(st, 5, c->due_at);
        bind_or_null(st, 6, c->met_at);
        bind_or_null(st, 7, c->page_at);
        sqlite3_bind_int(st, 8, c->withdrawn);
        sqlite3_bind_text(st, 9, c->rule, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(st, 10, c->backfilled);
        if (!store_step_done(store, st, error)) {
            g_ptr_array_unref(newly);
            goto out;
        }
        g_autofree char *key = g_strdup_printf("%s/%" G_GINT64_FORMAT, c->clock, c->ref);
        if (c->met_at && !c->withdrawn && !g_hash_table_contains(met_before, key))
            g_ptr_array_add(newly, g_strdup(c->clock));
    }
    if (newly_met_r)
        *newly_met_r = newly;
    else
        g_ptr_array_unref(newly);
    ok = TRUE;
out:
    g_array_unref(l.events);
    g_string_chunk_free(l.strs);
    return ok;
}
