/* notify_page.c - the page document and its forms for each kind of target.
 *
 * One document per page (docs/notifications.md): it is what a webhook
 * receives, and the Slack text, the PagerDuty event and the e-mail are made
 * from it at delivery. It is built from the case's facts plus one text from
 * the mail (the subject, as the case title), which is redacted; the whole
 * document is leak-checked before it is stored. */
#include <string.h>

#include <json-glib/json-glib.h>

#include "secret.h"
#include "notify_internal.h"
#include "case_redaction.h"
#include "cases.h"
#include "clocks.h"
#include "cpr_error.h"
#include "jsonutil.h"
#include "outbox.h"
#include "timefmt.h"
#include "logging.h"

#define PAGERDUTY_EVENTS_URL "https://events.pagerduty.com/v2/enqueue"

/* The PagerDuty dedup_key of a case's clock: stable for the case's life. */
static char *notify_incident_key(const char *reference, const char *clock)
{
    return g_strdup_printf("cpr-intake/%s/%s", reference, clock ? clock : "case");
}

/* What a page is about: its case, and the clock with its rule and due time
 * (the given clock, else the case's soonest unmet one; NULL and 0 when none). */
typedef struct {
    CaseRow *c;
    char *clock, *rule;
    gint64 due;
} PageFacts;

static void page_facts_clear(PageFacts *f)
{
    case_row_free(&f->c);
    g_clear_pointer(&f->clock, g_free);
    g_clear_pointer(&f->rule, g_free);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(PageFacts, page_facts_clear)

static gboolean page_clock(Store *store, const PageSpec *spec, char **clock_r, gint64 *due_r,
                           char **rule_r, GError **error)
{
    sqlite3_stmt *st = store_prepare(
        store,
        "SELECT clock, due_at, rule FROM clocks WHERE case_id = ?1 AND withdrawn = 0 AND "
        "(?2 IS NULL AND met_at IS NULL OR clock = ?2) "
        "ORDER BY clock = ?2 DESC, due_at, clock LIMIT 1",
        error);
    if (!st)
        return FALSE;
    sqlite3_bind_int64(st, 1, spec->case_id);
    sqlite3_bind_text(st, 2, spec->clock, -1, SQLITE_TRANSIENT);
    int rc = store_step(store, st, error);
    if (rc == STORE_ROW) {
        *clock_r = store_column_dup(st, 0);
        *due_r = spec->due_at ? spec->due_at : sqlite3_column_int64(st, 1);
        *rule_r = store_column_dup(st, 2);
    } else {
        *clock_r = g_strdup(spec->clock);
        *due_r = spec->due_at;
        *rule_r = NULL;
    }
    sqlite3_reset(st);
    if (rc == STORE_ERROR) {
        g_prefix_error(error, "page: cannot read the case's clocks: ");
        return FALSE;
    }
    return TRUE;
}

/* Fill `f` (cleared by the caller, also on failure). */
static gboolean page_facts_load(Store *store, const PageSpec *spec, PageFacts *f, GError **error)
{
    f->c = cases_load_id(store, spec->case_id, error);
    return f->c && page_clock(store, spec, &f->clock, &f->due, &f->rule, error);
}

static char *summary_for(const PageSpec *spec, const CaseRow *c, const char *clock, gint64 due,
                         gint64 now)
{
    g_autofree char *due_s = due ? timefmt_rfc3339(due) : NULL;
    g_autofree char *left = due ? timefmt_left(due - now) : NULL;
    const char *ev = spec->event;
    if (!strcmp(ev, "new_case"))
        return g_strdup_printf("New %s case %s (%s): %s due %s (%s)", c->kind, c->reference,
                               c->problem, clock ? clock : "no clock", due_s ? due_s : "-",
                               left ? left : "-");
    if (!strcmp(ev, "escalation"))
        return g_strdup_printf("%s %s: %s %s %s (%s; %u%% point)", c->reference, c->problem,
                               clock, spec->point >= 100 ? "OVERDUE, was due" : "due", due_s,
                               left, spec->point);
    if (!strcmp(ev, "acknowledge"))
        return g_strdup_printf("%s acknowledged%s%s", c->reference, spec->by ? " by " : "",
                               spec->by ? spec->by : "");
    return g_strdup_printf("%s: %s %s", c->reference, clock ? clock : "case",
                           g_strcmp0(c->status, "closed") == 0 ? "closed" : "met");
}

static char *build_doc(const PageSpec *spec, const PageFacts *f, const char *title, gint64 now)
{
    const CaseRow *c = f->c;
    const char *clock = f->clock, *rule = f->rule;
    gint64 due = f->due;
    g_autofree char *summary = summary_for(spec, c, clock, due, now);
    g_autofree char *incident = notify_incident_key(c->reference, clock);
    g_autofree char *show = g_strdup_printf("cpr-intake show %s", c->reference);
    g_autofree char *left = due ? timefmt_left(due - now) : NULL;
    g_autoptr(JsonBuilder) b = notify_doc_begin(spec->event, summary);
    jsonutil_add_int(b, "case_id", c->id);
    jsonutil_add_string(b, "reference", c->reference);
    jsonutil_add_string(b, "kind", c->kind);
    jsonutil_add_string(b, "problem", c->problem);
    jsonutil_add_string(b, "title", title);
    jsonutil_add_time(b, "aware_at", c->aware_at, TRUE);
    jsonutil_add_string(b, "clock", clock);
    jsonutil_add_string(b, "rule", rule);
    jsonutil_add_time(b, "due_at", due, TRUE);
    json_builder_set_member_name(b, "seconds_left");
    if (due)
        json_builder_add_int_value(b, due - now);
    else
        json_builder_add_null_value(b);
    jsonutil_add_string(b, "time_left", left);
    json_builder_set_member_name(b, "point");
    if (spec->point)
        json_builder_add_int_value(b, spec->point);
    else
        json_builder_add_null_value(b);
    jsonutil_add_string(b, "by", spec->by);
    return notify_doc_end(b, spec->at ? spec->at : now, show, incident);
}

/* The page document (the webhook payload, docs/notifications.md) for `spec`,
 * redacted and leak-checked. NULL with CPR_ERROR_STORE or CPR_ERROR_LEAK. */
static char *notify_page_build(Store *store, const Config *cfg, const PageSpec *spec, gint64 now,
                               GError **error)
{
    g_auto(PageFacts) f = {0};
    if (!page_facts_load(store, spec, &f, error))
        return NULL;
    const CaseRow *c = f.c;
    g_autoptr(CaseRedaction) cr = case_redaction_new(store, cfg, spec->case_id, error);
    if (!cr)
        return NULL;
    g_autofree char *name = g_strdup_printf("case %s %s page", c->reference, spec->event);
    g_autofree char *title = NULL;
    if (c->title) {
        title = case_redaction_apply(cr, c->title, name, error);
        if (!title)
            return NULL;
    }
    /* `by` is the CA's own staff, but it is typed by people: check it too. */
    g_autofree char *doc = build_doc(spec, &f, title, now);
    if (!case_redaction_check(cr, doc, name, error))
        return NULL;
    return g_steal_pointer(&doc);
}

JsonBuilder *notify_doc_begin(const char *event, const char *summary)
{
    JsonBuilder *b = json_builder_new();
    json_builder_begin_object(b);
    jsonutil_add_int(b, "version", 1);
    jsonutil_add_string(b, "event", event);
    jsonutil_add_string(b, "summary", summary);
    return b;
}

char *notify_doc_end(JsonBuilder *b, gint64 at, const char *show, const char *dedup_key)
{
    jsonutil_add_time(b, "at", at, FALSE);
    jsonutil_add_string(b, "show", show);
    jsonutil_add_string(b, "dedup_key", dedup_key);
    json_builder_end_object(b);
    return jsonutil_builder_to_string(b, FALSE);
}

gboolean notify_enqueue_all(Store *store, const Config *cfg, gint64 case_id, const char *kind,
                            const char *row_key, const char *payload, gint64 now, GError **error)
{
    for (guint i = 0; cfg->notify && i < cfg->notify->len; i++) {
        const NotifyTarget *t = g_ptr_array_index(cfg->notify, i);
        if (!outbox_enqueue(store, t->name, case_id, kind, row_key, payload, now, NULL, error))
            return FALSE;
    }
    return TRUE;
}

gboolean notify_ops_enqueue(Store *store, const Config *cfg, const char *source,
                            const char *event, const char *details, const char *kind,
                            const char *row_key, const char *doc, gint64 now, GError **error)
{
    return store_event_append(store, now, source, 0, event, details, error) &&
           notify_enqueue_all(store, cfg, 0, kind, row_key, doc, now, error);
}

char *notify_page_doc(Store *store, const Config *cfg, const PageSpec *spec, const char *row_key,
                      gint64 now, GError **error)
{
    GError *local = NULL;
    char *doc = notify_page_build(store, cfg, spec, now, &local);
    if (doc)
        return doc;
    if (local->code != CPR_ERROR_LEAK) {
        g_propagate_error(error, local);
        return NULL;
    }
    /* Fail closed for the mail's text, never for the page: on-call must hear
     * about the case. Without a title the document holds only the case's
     * facts. The reason names no identifier (redact.h). */
    g_autofree char *details =
        jsonutil_object_of_strings("row_key", row_key, "error", local->message, NULL);
    g_autofree char *why = log_value(local->message);
    g_warning("event=page_text_withheld case=%" G_GINT64_FORMAT " error=%s", spec->case_id, why);
    g_clear_error(&local);
    if (!store_event_append(store, now, "notify", spec->case_id, "notification_text_withheld",
                            details, error))
        return NULL;
    g_auto(PageFacts) f = {0};
    if (!page_facts_load(store, spec, &f, error))
        return NULL;
    return build_doc(spec, &f, NULL, now);
}

gboolean notify_page_enqueue(Store *store, const Config *cfg, const PageSpec *spec,
                             const char *kind, const char *row_key, gint64 now, GError **error)
{
    if (!cfg->notify || cfg->notify->len == 0)
        return TRUE;
    g_autofree char *doc = notify_page_doc(store, cfg, spec, row_key, now, error);
    if (!doc)
        return FALSE;
    return notify_enqueue_all(store, cfg, spec->case_id, kind, row_key, doc, now, error);
}

/* ---- delivery: one document, four forms ---- */

static const NotifyTarget *find_target(const Config *cfg, const char *name)
{
    for (guint i = 0; cfg->notify && i < cfg->notify->len; i++) {
        const NotifyTarget *t = g_ptr_array_index(cfg->notify, i);
        if (!strcmp(t->name, name))
            return t;
    }
    return NULL;
}

static const char *doc_string(JsonObject *o, const char *member)
{
    JsonNode *n = json_object_get_member(o, member);
    return n && JSON_NODE_HOLDS_VALUE(n) ? json_node_get_string(n) : NULL;
}

static const char *pagerduty_action(const char *event)
{
    if (!g_strcmp0(event, "acknowledge"))
        return "acknowledge";
    if (!g_strcmp0(event, "resolve") || !g_strcmp0(event, "intake_recovered") ||
        !g_strcmp0(event, "disk_recovered") || !g_strcmp0(event, "mark_recovered"))
        return "resolve";
    return "trigger";
}

static const char *pagerduty_severity(JsonObject *o)
{
    const char *event = doc_string(o, "event");
    gint64 point = json_object_get_int_member_with_default(o, "point", 0);
    if (!g_strcmp0(event, "intake_health") || !g_strcmp0(event, "disk_low") ||
        !g_strcmp0(event, "audit_checkpoint_failed") || point >= 100 ||
        !g_strcmp0(doc_string(o, "problem"), "key_compromise"))
        return "critical";
    return point >= 75 || !g_strcmp0(event, "new_case") || !g_strcmp0(event, "mark_refused")
               ? "error"
               : "warning";
}

static char *pagerduty_body(JsonObject *o, const char *routing_key)
{
    const char *action = pagerduty_action(doc_string(o, "event"));
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    jsonutil_add_string(b, "routing_key", routing_key);
    jsonutil_add_string(b, "event_action", action);
    jsonutil_add_string(b, "dedup_key", doc_string(o, "dedup_key"));
    if (!strcmp(action, "trigger")) {
        json_builder_set_member_name(b, "payload");
        json_builder_begin_object(b);
        /* PagerDuty takes at most 1024 characters of summary */
        const char *full = doc_string(o, "summary") ? doc_string(o, "summary") : "";
        g_autofree char *summary =
            g_utf8_strlen(full, -1) > 1000 ? g_utf8_substring(full, 0, 1000) : g_strdup(full);
        jsonutil_add_string(b, "summary", summary);
        jsonutil_add_string(b, "source", "cpr-intake");
        jsonutil_add_string(b, "severity", pagerduty_severity(o));
        jsonutil_add_string(b, "timestamp", doc_string(o, "at"));
        jsonutil_add_string(b, "component", doc_string(o, "reference"));
        jsonutil_add_string(b, "group", doc_string(o, "clock"));
        jsonutil_add_string(b, "class", doc_string(o, "problem"));
        json_builder_set_member_name(b, "custom_details");
        json_builder_add_value(b, json_node_init_object(json_node_alloc(), o));
        json_builder_end_object(b);
    }
    json_builder_end_object(b);
    return jsonutil_builder_to_string(b, FALSE);
}

static char *slack_body(JsonObject *o)
{
    g_autoptr(GString) text = g_string_new(doc_string(o, "summary"));
    const char *title = doc_string(o, "title");
    if (title)
        g_string_append_printf(text, "\n%s", title);
    const char *checkpoint = doc_string(o, "checkpoint"); /* audit checkpoints */
    if (checkpoint)
        g_string_append_printf(text, "\n`%s`", checkpoint);
    const char *show = doc_string(o, "show");
    if (show)
        g_string_append_printf(text, "\n`%s`", show);
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    jsonutil_add_string(b, "text", text->str);
    json_builder_end_object(b);
    return jsonutil_builder_to_string(b, FALSE);
}

static char *email_text(JsonObject *o)
{
    g_autoptr(GString) text = g_string_new(NULL);
    g_string_append_printf(text, "%s\n\n", doc_string(o, "summary"));
    static const char *const fields[] = {"reference", "kind", "problem", "title", "aware_at",
                                         "clock", "rule", "due_at", "time_left", "by", "show",
                                         "dedup_key", "checkpoint", NULL};
    for (gsize i = 0; fields[i]; i++) {
        const char *v = doc_string(o, fields[i]);
        if (v)
            g_string_append_printf(text, "%-10s %s\n", fields[i], v);
    }
    return g_string_free(g_steal_pointer(&text), FALSE);
}

static gboolean deliver_email(const NotifyTarget *t, JsonObject *o, const char *row_key,
                              GError **error)
{
    const char *from = t->from ? t->from : "cpr-intake@localhost";
    const char *at = strchr(from, '@');
    g_autofree char *subject = g_strdup_printf("[cpr-intake] %s", doc_string(o, "summary"));
    g_autofree char *text = email_text(o);
    g_autofree char *key_hash = g_compute_checksum_for_string(G_CHECKSUM_SHA256, row_key, -1);
    g_autofree char *mid = g_strdup_printf("page.%.24s.%s@%s", key_hash, t->name,
                                           at ? at + 1 : "localhost");
    gint64 date = 0;
    const char *at_s = doc_string(o, "at");
    if (at_s && !timefmt_parse(at_s, &date))
        date = 0;
    static const char *const extra[] = {"Auto-Submitted", "auto-generated", NULL};
    g_autofree char *mail = notify_mail_build(from, t->to, subject, text, mid, date, extra);
    const char *const rcpt[] = {t->to, NULL};
    NotifySmtp smtp = {.url = t->url, .ca_file = t->ca_file, .user = t->key_file ? from : NULL,
                       .from = from};
    return notify_smtp_send_with(&smtp, t->key_file, rcpt, mail, error);
}

gboolean notify_page_deliver(const Config *cfg, const char *target, const char *row_key,
                             const char *payload, GError **error)
{
    const NotifyTarget *t = find_target(cfg, target);
    if (!t) {
        g_set_error(error, NOTIFY_ERROR, NOTIFY_ERROR_PERMANENT,
                    "target notify.%s is no longer configured", target);
        return FALSE;
    }
    g_autoptr(JsonParser) parser = json_parser_new();
    if (!json_parser_load_from_data(parser, payload, -1, NULL) ||
        !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser))) {
        g_set_error_literal(error, NOTIFY_ERROR, NOTIFY_ERROR_PERMANENT,
                            "the stored page is not a JSON object");
        return FALSE;
    }
    JsonObject *o = json_node_get_object(json_parser_get_root(parser));
    if (!strcmp(t->type, "email"))
        return deliver_email(t, o, row_key, error);

    g_autofree char *idem = g_strdup_printf("Idempotency-Key: %s", row_key);
    if (!strcmp(t->type, "pagerduty")) {
        GError *e = NULL;
        char *key = secret_read(t->key_file, &e);
        if (!key) {
            g_set_error_literal(error, NOTIFY_ERROR, NOTIFY_ERROR_RETRY, e->message);
            g_error_free(e);
            return FALSE;
        }
        char *body = pagerduty_body(o, key);
        secret_free(&key);
        const char *const headers[] = {idem, NULL};
        gboolean ok = notify_http_post(t->url ? t->url : PAGERDUTY_EVENTS_URL, t->ca_file, body,
                                       headers, error);
        secret_free(&body); /* it held the routing key */
        return ok;
    }
    if (!strcmp(t->type, "slack")) {
        g_autofree char *body = slack_body(o);
        const char *const headers[] = {idem, NULL};
        return notify_http_post(t->url, t->ca_file, body, headers, error);
    }
    /* webhook: the document itself, signed when a secret is configured */
    g_autofree char *sig = NULL;
    if (t->key_file) {
        GError *e = NULL;
        char *secret = secret_read(t->key_file, &e);
        if (!secret) {
            g_set_error_literal(error, NOTIFY_ERROR, NOTIFY_ERROR_RETRY, e->message);
            g_error_free(e);
            return FALSE;
        }
        g_autofree char *mac = g_compute_hmac_for_string(G_CHECKSUM_SHA256, (const guchar *)secret,
                                                         strlen(secret), payload, -1);
        secret_free(&secret);
        sig = g_strdup_printf("X-Cpr-Signature: sha256=%s", mac);
    }
    const char *const headers[] = {idem, sig, NULL};
    return notify_http_post(t->url, t->ca_file, payload, headers, error);
}
