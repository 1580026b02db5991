/* drafts_bugzilla.c - the Bugzilla bug of a case (see drafts_internal.h;
 * SPEC 2.5): the body of POST /rest/bug around the report's markdown, with a
 * summary and whiteboard tags built from data only. */
#include <string.h>

#include "drafts_internal.h"
#include "jsonutil.h"

/* Validation level of a misissued certificate, from its subject: proposed
 * tags only (root program staff set the real ones). */
static const char *misissuance_tag(const DraftsFacts *f)
{
    const char *tag = NULL;
    for (guint i = 0; i < f->certs->len; i++) {
        const DraftsCert *c = g_ptr_array_index(f->certs, i);
        if (!c->subject)
            continue;
        g_autofree char *s = g_ascii_strdown(c->subject, -1);
        if (strstr(s, "jurisdiction") || strstr(s, "1.3.6.1.4.1.311.60.2.1"))
            return "[ev-misissuance]";
        if (g_str_has_prefix(s, "o=") || strstr(s, ",o=") || strstr(s, ", o="))
            tag = "[ov-misissuance]";
        else if (!tag)
            tag = "[dv-misissuance]";
    }
    return tag;
}

/* The whiteboard tags root program staff filter on: every incident is
 * [ca-compliance]; a revocation already overdue when the bug is filed is
 * itself an incident they track. */
static char *whiteboard(const DraftsFacts *f, gint64 now)
{
    g_autoptr(GString) w = g_string_new("[ca-compliance]");
    if (!g_strcmp0(f->row->problem, "misissuance")) {
        const char *tag = misissuance_tag(f);
        if (tag)
            g_string_append_printf(w, " %s", tag);
    }
    if (f->revocation_due > 0 && f->revocation_met == 0 && now > f->revocation_due)
        g_string_append(w, " [leaf-revocation-delay]");
    return g_string_free(g_steal_pointer(&w), FALSE);
}

/* "<CA Owner>: <what happened>", never a count (SPEC 2.5). */
static char *bug_summary(const Config *cfg, const DraftsFacts *f, const char *title)
{
    return g_strdup_printf("%s: %s", cfg->ca_owner ? cfg->ca_owner : "CA",
                           title ? title : drafts_reason_title(f));
}

char *drafts_bugzilla_comment(const char *markdown)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    jsonutil_add_string(b, "comment", markdown);
    json_builder_end_object(b);
    return jsonutil_builder_to_string(b, TRUE);
}

char *drafts_bugzilla_render(const Config *cfg, const DraftsFacts *f, const char *markdown,
                             const char *title, gint64 now)
{
    g_autofree char *summary = bug_summary(cfg, f, title);
    g_autofree char *wb = whiteboard(f, now);
    if (title && !strstr(wb, "[leaf-revocation-delay]")) { /* the delayed-revocation bug */
        char *more = g_strconcat(wb, " [leaf-revocation-delay]", NULL);
        g_free(wb);
        wb = more;
    }
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    jsonutil_add_string(b, "product", cfg->bugzilla_product ? cfg->bugzilla_product : "CA Program");
    jsonutil_add_string(b, "component",
                        f->row->security_sensitive ? "CA Security Vulnerability"
                        : cfg->bugzilla_component ? cfg->bugzilla_component
                                                  : "CA Certificate Compliance");
    jsonutil_add_string(b, "version", cfg->bugzilla_version ? cfg->bugzilla_version : "other");
    jsonutil_add_string(b, "type", "task");
    /* fields a product without defaults requires ("You must select/enter a OS") */
    if (cfg->bugzilla_op_sys)
        jsonutil_add_string(b, "op_sys", cfg->bugzilla_op_sys);
    if (cfg->bugzilla_platform)
        jsonutil_add_string(b, "platform", cfg->bugzilla_platform);
    jsonutil_add_string(b, "summary", summary);
    jsonutil_add_string(b, "whiteboard", wb);
    jsonutil_add_string(b, "description", markdown);
    if (f->row->security_sensitive) {
        json_builder_set_member_name(b, "groups");
        json_builder_begin_array(b);
        json_builder_add_string_value(b, "ca-program-security");
        json_builder_end_array(b);
        /* IRG 3.2: security-sensitive incidents are also reported to the CCADB */
        json_builder_set_member_name(b, "cc");
        json_builder_begin_array(b);
        json_builder_add_string_value(b, "incident-reporting@ccadb.org");
        json_builder_end_array(b);
    }
    json_builder_end_object(b);
    return jsonutil_builder_to_string(b, TRUE);
}
