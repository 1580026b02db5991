/* drafts.c - the Preliminary Incident Report and the Bugzilla bug of a case
 * (see drafts.h; SPEC 2.4, 2.5).
 *
 * How a draft is made, and why in this order:
 *  1. the case's people, protected strings and consent come from its
 *     CaseRedaction (case_redaction.h), which re-parses every stored message:
 *     the identity set must be complete before any text is used, and a draft
 *     must redact exactly as the case's pages and timelines do;
 *  2. the case's facts (drafts_facts.c) come from the database: identifiers,
 *     certificates, clocks, who wrote which message;
 *  3. the report (drafts_markdown.c) fills the template (templates.h) from
 *     data, plus one redacted excerpt of the first report; the bug
 *     (drafts_bugzilla.c) wraps the report;
 *  4. the finished output, as a whole, goes through the leak check for every
 *     non-consenting person: a hit is CPR_ERROR_LEAK and an audit event, and
 *     nothing is returned.
 *
 * drafts_render() writes its own transaction (the leak_blocked event): call it
 * outside any transaction of the caller. */
#include <json-glib/json-glib.h>
#include <string.h>

#include "cpr_error.h"
#include "drafts.h"
#include "drafts_internal.h"
#include "jsonutil.h"

/* Every string value of a JSON document, one per line: JSON escapes ("\n")
 * glue words together, so the check reads the decoded strings too. */
static char *json_strings(const char *json)
{
    g_autoptr(JsonParser) p = json_parser_new();
    if (!json_parser_load_from_data(p, json, -1, NULL))
        return NULL;
    JsonObject *o = json_node_get_object(json_parser_get_root(p));
    if (!o)
        return NULL;
    g_autoptr(GString) s = g_string_new(NULL);
    g_autoptr(GList) members = json_object_get_members(o);
    for (GList *m = members; m; m = m->next) {
        JsonNode *n = json_object_get_member(o, m->data);
        if (JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING)
            g_string_append_printf(s, "%s\n", json_node_get_string(n));
    }
    return g_string_free(g_steal_pointer(&s), FALSE);
}

static gboolean audit_leak(Store *store, const DraftsFacts *f, const char *output, gint64 now,
                           GError **error)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    jsonutil_add_string(b, "output", output);
    jsonutil_add_string(b, "reference", f->row->reference);
    json_builder_end_object(b);
    g_autofree char *details = jsonutil_builder_to_string(b, FALSE);
    if (!store_begin(store, error))
        return FALSE;
    if (!store_event_append(store, now, "drafts", f->row->id, "leak_blocked", details, error) ||
        !store_commit(store, error)) {
        store_rollback(store);
        return FALSE;
    }
    return TRUE;
}

/* A leak check failed: audit it, and hand `leak` on. The refusal stands
 * whether or not its audit event could be written. */
static void refuse_leak(Store *store, const DraftsFacts *f, const char *output_name, GError *leak,
                        gint64 now, GError **error)
{
    GError *audit_error = NULL;
    if (!audit_leak(store, f, output_name, now, &audit_error)) {
        g_prefix_error(&leak, "(the leak_blocked audit event was not written: %s) ",
                       audit_error->message);
        g_clear_error(&audit_error);
    }
    g_propagate_error(error, leak);
}

static const char *const REPORT_NAMES[] = {
    [DRAFT_PRELIMINARY] = "preliminary",
    [DRAFT_FULL] = "full",
    [DRAFT_CLOSURE] = "closure",
    [DRAFT_DELAYED_REVOCATION] = "delayed-revocation",
    [DRAFT_REPORTER_MAIL] = "reporter-mail",
    [DRAFT_SUBSCRIBER_MAIL] = "subscriber-mail",
};
static const char *const FORMAT_NAMES[] = {
    [DRAFT_MARKDOWN] = "markdown",
    [DRAFT_BUGZILLA_JSON] = "bugzilla-json",
    [DRAFT_EML] = "eml",
};

gboolean drafts_report_parse(const char *name, DraftReport *report)
{
    for (gsize i = 0; name && i < G_N_ELEMENTS(REPORT_NAMES); i++)
        if (!strcmp(REPORT_NAMES[i], name)) {
            *report = (DraftReport)i;
            return TRUE;
        }
    return FALSE;
}

gboolean drafts_format_parse(const char *name, DraftFormat *format)
{
    for (gsize i = 0; name && i < G_N_ELEMENTS(FORMAT_NAMES); i++)
        if (!strcmp(FORMAT_NAMES[i], name)) {
            *format = (DraftFormat)i;
            return TRUE;
        }
    return FALSE;
}

const char *drafts_report_name(DraftReport report)
{
    return (gsize)report < G_N_ELEMENTS(REPORT_NAMES) ? REPORT_NAMES[report] : "?";
}

const char *drafts_format_name(DraftFormat format)
{
    return (gsize)format < G_N_ELEMENTS(FORMAT_NAMES) ? FORMAT_NAMES[format] : "?";
}

gboolean drafts_format_allowed(DraftReport report, DraftFormat format)
{
    gboolean mail = report == DRAFT_REPORTER_MAIL || report == DRAFT_SUBSCRIBER_MAIL;
    return format == DRAFT_MARKDOWN || (mail ? format == DRAFT_EML : format == DRAFT_BUGZILLA_JSON);
}

static const char *format_name(DraftFormat format)
{
    return drafts_format_name(format);
}

/* The BR 4.9.5 preliminary report as a mail: to the reporter, or to the
 * Subscriber `case subscriber` recorded. */
static char *render_mail(Store *store, const Config *cfg, const CaseRedaction *cr,
                         const DraftsFacts *f, const Template *t, const DraftOptions *opts,
                         gint64 now, GError **error)
{
    gboolean subscriber = opts->report == DRAFT_SUBSCRIBER_MAIL;
    const char *kind = drafts_report_name(opts->report);
    g_autoptr(DraftsRecipient) to = subscriber ? drafts_mail_subscriber(store, f, error)
                                               : drafts_mail_reporter(store, cfg, f, error);
    if (!to)
        return NULL;
    g_autofree char *body = drafts_mail_body(cfg, f, to, t, error);
    if (!body)
        return NULL;
    g_autofree char *subject =
        subscriber ? g_strdup_printf("[%s] Preliminary report on a Certificate Problem Report "
                                     "about your certificate",
                                     f->row->reference)
                   : g_strdup_printf("[%s] Preliminary report on your Certificate Problem Report",
                                     f->row->reference);
    g_autofree char *out = opts->format == DRAFT_EML
                               ? drafts_mail_eml(cfg, f, to, kind, subject, body, now)
                               : g_steal_pointer(&body);
    g_autofree char *output_name = g_strdup_printf("case %s draft %s %s", f->row->reference, kind,
                                                   format_name(opts->format));
    GError *leak = NULL;
    if (case_redaction_check_mail(cr, out, to->email, output_name, &leak))
        return g_steal_pointer(&out);
    refuse_leak(store, f, output_name, leak, now, error);
    g_prefix_error(error, "case %s: %s not emitted: ", f->row->reference, kind);
    return NULL;
}

char *drafts_render(Store *store, const Config *cfg, gint64 case_id, DraftFormat format,
                    gint64 now, GError **error)
{
    DraftOptions opts = {.report = DRAFT_PRELIMINARY, .format = format};
    return drafts_render_options(store, cfg, case_id, &opts, now, error);
}

char *drafts_render_options(Store *store, const Config *cfg, gint64 case_id,
                            const DraftOptions *opts, gint64 now, GError **error)
{
    DraftFormat format = opts->format;
    if (!drafts_format_allowed(opts->report, format)) {
        g_set_error(error, CPR_ERROR, CPR_ERROR_INPUT, "no %s draft of the %s report",
                    drafts_format_name(format), drafts_report_name(opts->report));
        return NULL;
    }
    /* People first: the facts leave out the domains of persons. */
    g_autoptr(CaseRedaction) cr = case_redaction_new(store, cfg, case_id, error);
    if (!cr)
        return NULL;
    g_autoptr(DraftsFacts) f = drafts_facts_load(store, cr, case_id, error);
    if (!f)
        return NULL;
    /* every kind has its own template in the configured guidelines version */
    g_autoptr(Template) t =
        templates_choose_kind(cfg->drafts_template_dir, drafts_report_name(opts->report),
                              cfg->drafts_template_version, now, error);
    if (!t)
        return NULL;
    if (opts->report == DRAFT_REPORTER_MAIL || opts->report == DRAFT_SUBSCRIBER_MAIL)
        return render_mail(store, cfg, cr, f, t, opts, now, error);
    g_auto(GStrv) extra = NULL;
    if (opts->report != DRAFT_PRELIMINARY && !(extra = drafts_reports_values(store, cfg, f, error)))
        return NULL;
    g_autofree char *markdown = drafts_markdown_render(store, cfg, f, cr, t, opts->with_excerpt,
                                                       (const char *const *)extra, error);
    if (!markdown)
        return NULL;
    g_autofree char *out = NULL;
    if (format != DRAFT_BUGZILLA_JSON)
        out = g_strdup(markdown);
    else if (opts->report == DRAFT_FULL || opts->report == DRAFT_CLOSURE)
        out = drafts_bugzilla_comment(markdown); /* POST /rest/bug/{id}/comment */
    else
        out = drafts_bugzilla_render(cfg, f, markdown,
                                     opts->report == DRAFT_DELAYED_REVOCATION
                                         ? "Delayed revocation of certificates"
                                         : NULL,
                                     now);
    g_autofree char *output_name =
        g_strdup_printf("case %s draft %s %s", f->row->reference,
                        drafts_report_name(opts->report), format_name(format));
    /* Fail closed: the whole output, and for JSON its decoded strings too. */
    g_autofree char *decoded = format == DRAFT_BUGZILLA_JSON ? json_strings(out) : NULL;
    GError *leak = NULL;
    if (format == DRAFT_BUGZILLA_JSON && !decoded)
        g_set_error(&leak, CPR_ERROR, CPR_ERROR_LEAK, "%s: the JSON cannot be read back",
                    output_name);
    if (!leak && case_redaction_check(cr, out, output_name, &leak) &&
        (!decoded || case_redaction_check(cr, decoded, output_name, &leak)))
        return g_steal_pointer(&out);
    refuse_leak(store, f, output_name, leak, now, error);
    g_prefix_error(error, "case %s (%" G_GINT64_FORMAT "): draft %s not emitted: ",
                   f->row->reference, f->row->id, format_name(format));
    return NULL;
}
