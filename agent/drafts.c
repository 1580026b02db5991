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

static const char *format_name(DraftFormat format)
{
    return format == DRAFT_BUGZILLA_JSON ? "bugzilla-json" : "markdown";
}

char *drafts_render(Store *store, const Config *cfg, gint64 case_id, DraftFormat format,
                    gint64 now, GError **error)
{
    /* People first: the facts leave out the domains of persons. */
    g_autoptr(CaseRedaction) cr = case_redaction_new(store, cfg, case_id, error);
    if (!cr)
        return NULL;
    g_autoptr(DraftsFacts) f = drafts_facts_load(store, cr, case_id, error);
    if (!f)
        return NULL;
    g_autoptr(Template) t =
        templates_choose(cfg->drafts_template_dir, cfg->drafts_template_version, now, error);
    if (!t)
        return NULL;
    g_autofree char *markdown = drafts_markdown_render(store, cfg, f, cr, t, error);
    if (!markdown)
        return NULL;
    g_autofree char *out = format == DRAFT_BUGZILLA_JSON
                               ? drafts_bugzilla_render(cfg, f, markdown, now)
                               : g_strdup(markdown);
    g_autofree char *output_name =
        g_strdup_printf("case %s draft %s", f->row->reference, format_name(format));
    /* Fail closed: the whole output, and for JSON its decoded strings too. */
    g_autofree char *decoded = format == DRAFT_BUGZILLA_JSON ? json_strings(out) : NULL;
    GError *leak = NULL;
    if (format == DRAFT_BUGZILLA_JSON && !decoded)
        g_set_error(&leak, CPR_ERROR, CPR_ERROR_LEAK, "%s: the JSON cannot be read back",
                    output_name);
    if (!leak && case_redaction_check(cr, out, output_name, &leak) &&
        (!decoded || case_redaction_check(cr, decoded, output_name, &leak)))
        return g_steal_pointer(&out);
    /* The refusal stands whether or not its audit event could be written. */
    GError *audit_error = NULL;
    if (!audit_leak(store, f, output_name, now, &audit_error)) {
        g_prefix_error(&leak, "(the leak_blocked audit event was not written: %s) ",
                       audit_error->message);
        g_clear_error(&audit_error);
    }
    g_propagate_prefixed_error(error, leak, "case %s (%" G_GINT64_FORMAT "): draft %s not emitted: ",
                               f->row->reference, f->row->id, format_name(format));
    return NULL;
}
