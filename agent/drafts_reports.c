/* drafts_reports.c - what the full, closure and delayed-revocation reports
 * say beyond the preliminary report (see drafts_internal.h; SPEC 2.5): the
 * Impact with its counts, the Timeline from the case's events, the Appendix
 * of crt.sh links, the four counts of a delayed revocation, and the parts
 * only the CA can write, each with the form it expects. All from facts; the
 * timeline is redacted and leak-checked by timeline.c, and the whole draft
 * again by drafts.c. */
#include <string.h>

#include "drafts_internal.h"
#include "mdescape.h"
#include "timefmt.h"
#include "timeline.h"

/* "DV TLS: 2; unknown: 1 (...)": each type with its count, in the order
 * first seen; certificates known only by an identifier are not parsed, so
 * their type is unknown too. Never guessed from the subject. */
static char *type_counts(const DraftsFacts *f)
{
    g_autoptr(GPtrArray) names = g_ptr_array_new();
    g_autoptr(GArray) counts = g_array_new(FALSE, TRUE, sizeof(guint));
    guint unparsed = 0;
    for (guint i = 0; i < f->certs->len; i++) {
        const DraftsCert *c = g_ptr_array_index(f->certs, i);
        if (!c->type) {
            unparsed++;
            continue;
        }
        guint at = 0;
        if (!g_ptr_array_find_with_equal_func(names, c->type, g_str_equal, &at)) {
            g_ptr_array_add(names, c->type);
            guint zero = 0;
            g_array_append_val(counts, zero);
            at = names->len - 1;
        }
        g_array_index(counts, guint, at)++;
    }
    unparsed += f->certs->len == 0 ? f->crtsh_ids->len : 0;
    if (names->len == 0 && unparsed == 0)
        return g_strdup("N/A (no certificate identified yet)");
    g_autoptr(GString) s = g_string_new(NULL);
    for (guint i = 0; i < names->len; i++) {
        g_string_append_printf(s, "%s%s: %u", i ? "; " : "", (const char *)g_ptr_array_index(names, i),
                               g_array_index(counts, guint, i));
    }
    if (unparsed)
        g_string_append_printf(s, "%sunknown: %u (known by serial, SHA-256 or crt.sh ID only; "
                                  "no certificate was attached)",
                               names->len ? "; " : "", unparsed);
    return g_string_free(g_steal_pointer(&s), FALSE);
}

static char *impact(const DraftsFacts *f)
{
    g_autoptr(GString) s = g_string_new(NULL);
    guint n = drafts_facts_certificate_count(f);
    g_string_append_printf(s, "- **Certificates affected:** %u%s\n", n,
                           drafts_facts_count_is_upper_bound(f)
                               ? " at most (a serial and a SHA-256 listed alone may be one "
                                 "certificate)"
                               : "");
    guint parsed = 0;
    for (guint i = 0; i < f->certs->len; i++) {
        const DraftsCert *c = g_ptr_array_index(f->certs, i);
        if (!c->issuer)
            continue;
        parsed++;
        g_autofree char *issuer = mdescape_inline(c->issuer);
        g_autofree char *nb = c->not_before ? timefmt_rfc3339(c->not_before) : g_strdup("?");
        g_autofree char *na = c->not_after ? timefmt_rfc3339(c->not_after) : g_strdup("?");
        /* the type is this program's own words (drafts_facts_cert_type), not mail */
        g_string_append_printf(s, "  - Serial `%s`: %s, issued by %s, valid %s to %s\n",
                               drafts_is_hex(c->serial) ? c->serial : "?",
                               c->type ? c->type : "unknown", issuer, nb, na);
    }
    g_autofree char *types = type_counts(f);
    g_string_append_printf(s, "- **Certificate types (from the certificates' policy OIDs):** %s\n",
                           types);
    g_string_append_printf(s, "- **Certificates parsed from the reports:** %u\n", parsed);
    if (f->domains->len > 0) {
        g_string_append(s, "- **Domain names:** ");
        for (guint i = 0; i < f->domains->len; i++) {
            g_autofree char *d = mdescape_inline(g_ptr_array_index(f->domains, i));
            g_string_append_printf(s, "%s%s", i ? ", " : "", d);
        }
        g_string_append_c(s, '\n');
    }
    g_strchomp(s->str);
    return g_string_free(g_steal_pointer(&s), FALSE);
}

static char *appendix(const DraftsFacts *f)
{
    g_autoptr(GString) s = g_string_new(NULL);
    for (guint i = 0; i < f->certs->len; i++) {
        const DraftsCert *c = g_ptr_array_index(f->certs, i);
        if (drafts_is_hex(c->sha256)) {
            g_autofree char *lower = g_ascii_strdown(c->sha256, -1);
            g_string_append_printf(s, "https://crt.sh/?sha256=%s\n", lower);
        }
    }
    if (s->len == 0)
        g_string_append(s, "N/A (no certificate SHA-256 is known yet)\n");
    g_strchomp(s->str);
    return g_string_free(g_steal_pointer(&s), FALSE);
}

/* The table of the case's events, without timeline.c's own heading. */
static char *timeline_table(Store *store, const Config *cfg, const DraftsFacts *f, GError **error)
{
    g_autoptr(GString) out = g_string_new(NULL);
    if (!timeline_markdown(store, cfg, f->row->id, 0, out, error))
        return NULL;
    g_autoptr(GString) s = g_string_new(NULL);
    g_auto(GStrv) lines = g_strsplit(out->str, "\n", -1);
    for (gsize i = 0; lines[i]; i++)
        if (!g_str_has_prefix(lines[i], "#"))
            g_string_append_printf(s, "%s\n", lines[i]);
    g_strstrip(s->str);
    return g_string_free(g_steal_pointer(&s), FALSE);
}

/* The four counts the IRG asks a delayed revocation's updates to give. */
static char *four_counts(const DraftsFacts *f)
{
    guint n = drafts_facts_certificate_count(f);
    gboolean done = f->revocation_met > 0;
    g_autofree char *due = f->revocation_due ? timefmt_rfc3339(f->revocation_due) : NULL;
    g_autofree char *expected =
        done  ? timefmt_rfc3339(f->revocation_met)
        : due ? g_strdup_printf("%s at the latest (the BR deadline; the CA gives its own date)",
                                due)
              : g_strdup("to be given by the CA");
    return g_strdup_printf("- **Revoked:** %u\n- **Not yet revoked:** %u\n"
                           "- **Planned for revocation but expired first:** 0 recorded (the CA "
                           "confirms)\n- **Expected completion:** %s",
                           done ? n : 0, done ? 0 : n, expected);
}

char **drafts_reports_values(Store *store, const Config *cfg, const DraftsFacts *f,
                             GError **error)
{
    g_autofree char *timeline = timeline_table(store, cfg, f, error);
    if (!timeline)
        return NULL;
    GPtrArray *v = g_ptr_array_new();
#define ADD(name, value)                                                                       \
    do {                                                                                       \
        g_ptr_array_add(v, g_strdup(name));                                                    \
        g_ptr_array_add(v, value);                                                             \
    } while (0)
    ADD("impact", impact(f));
    ADD("timeline", g_strdup(timeline));
    ADD("appendix", appendix(f));
    ADD("four_counts", four_counts(f));
    ADD("related_incidents",
        g_strdup("To be completed by the CA: links to earlier Bugzilla bugs of this CA or of "
                 "other CAs about the same problem, one per line with a sentence on how it "
                 "relates, or N/A."));
    ADD("root_cause_analysis",
        g_strdup("To be completed by the CA: each contributing factor as its own paragraph, "
                 "with what allowed it, why it was not detected earlier, and the evidence."));
    ADD("lessons_learned",
        g_strdup("To be completed by the CA: what went well, what did not, and where the CA "
                 "got lucky, as three lists."));
    ADD("action_items",
        g_strdup("To be completed by the CA: a table with one row per item and the columns "
                 "Action Item, Kind (Prevent, Detect or Mitigate), Corresponding Root Cause(s), "
                 "Evaluation Criteria, Due Date and Status."));
    ADD("revocation_rationale",
        g_strdup("To be completed by the CA (MRSP 6.1.3): why revocation within the BR "
                 "deadline was not possible, the harm revocation would cause and to whom, the "
                 "Subscribers concerned, and how the CA will avoid such a delay in future."));
    ADD("root_causes_summary", g_strdup("To be completed by the CA when the incident closes."));
    ADD("remediation", g_strdup("To be completed by the CA when the incident closes: what "
                                "was changed, and when."));
    ADD("commitments", g_strdup("To be completed by the CA when the incident closes: the "
                                "commitments made in the Action Items, each with its state."));
#undef ADD
    g_ptr_array_add(v, NULL);
    return (char **)g_ptr_array_free(v, FALSE);
}
