/* drafts_markdown.c - the CCADB Preliminary Incident Report of a case (see
 * drafts_internal.h; SPEC 2.5).
 *
 * Everything in it is built from data (problem type, counts, times,
 * configuration), never from what a reporter wrote, except one excerpt of the
 * first report: that is redacted first, then cut to size, then
 * markdown-escaped, since cutting before redacting could leave half a name
 * that no longer matches. */
#include <string.h>

#include "consent.h"
#include "drafts_internal.h"
#include "mdescape.h"
#include "timefmt.h"

#define DRAFTS_EXCERPT_BYTES 1500 /* of the first report, after redaction */
#define DAY (G_GINT64_CONSTANT(86400))

static void consent_entry_destroy(ConsentEntry *e) { consent_entry_free(&e); }
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ConsentEntry, consent_entry_destroy)

/* Only an identifier of the expected form goes into a crt.sh link: the
 * database holds what extraction wrote, but a link is not the place to trust
 * it. */
static gboolean is_hex(const char *s)
{
    if (!s || !*s)
        return FALSE;
    for (; *s; s++)
        if (!g_ascii_isxdigit(*s))
            return FALSE;
    return TRUE;
}

static gboolean is_digits(const char *s)
{
    if (!s || !*s)
        return FALSE;
    for (; *s; s++)
        if (!g_ascii_isdigit(*s))
            return FALSE;
    return TRUE;
}

static const DraftsProblemText PROBLEM_TEXT[] = {
    {"key_compromise", "the compromise of the private key of", "Key compromise reported",
     "TLS Baseline Requirements (BR) section 4.9.1.1 (revocation within 24 hours when the "
     "Subscriber's private key is compromised); BR section 4.9.5 (investigation and "
     "preliminary report to the Subscriber and the reporter within 24 hours of the Certificate "
     "Problem Report); BR section 6.1.1.3 (rejection of a compromised key)"},
    {"misissuance", "the misissuance of", "Misissuance reported",
     "TLS Baseline Requirements (BR) section 4.9.1.1 (revocation within 5 days when a "
     "certificate was not issued in accordance with the BR or the CA's CP/CPS); BR section 4.9.5 "
     "(investigation and preliminary report within 24 hours of the Certificate Problem Report); "
     "BR section 7.1 (certificate profiles); the CA's CP/CPS"},
    {"misuse", "the misuse of", "Certificate misuse reported",
     "TLS Baseline Requirements (BR) section 4.9.1.1 (revocation within 5 days when the CA "
     "obtains evidence that a certificate was misused); BR section 4.9.5 (investigation and "
     "preliminary report within 24 hours of the Certificate Problem Report); BR section 9.6.3 "
     "(Subscriber obligations)"},
    {"other", "a problem with", "Certificate Problem Report",
     "TLS Baseline Requirements (BR) section 4.9.5 (investigation and preliminary report within "
     "24 hours of the Certificate Problem Report); BR section 4.9.1.1 (revocation reasons and "
     "deadlines), as applicable once the problem is confirmed"},
};

const DraftsProblemText *drafts_problem_text(const char *problem)
{
    for (gsize i = 0; i < G_N_ELEMENTS(PROBLEM_TEXT); i++)
        if (!g_strcmp0(PROBLEM_TEXT[i].problem, problem))
            return &PROBLEM_TEXT[i];
    return &PROBLEM_TEXT[G_N_ELEMENTS(PROBLEM_TEXT) - 1];
}

/* What was received and what it reports, built from data only. */
static char *report_sentence(const DraftsFacts *f, const char *owner, const DraftsProblemText *pt)
{
    const CaseRow *c = f->row;
    guint n = drafts_facts_certificate_count(f);
    g_autofree char *certs =
        n > 0 ? g_strdup_printf("%u certificate%s", n, n == 1 ? "" : "s")
              : g_strdup("certificates not yet identified");
    if (!g_strcmp0(c->kind, "list_post") || !g_strcmp0(c->kind, "bugzilla")) {
        const char *where = !g_strcmp0(c->kind, "bugzilla")
                                ? "A Bugzilla bug in the CA Program product"
                            : !g_strcmp0(c->list, "mdsp")
                                ? "A post on Mozilla's dev-security-policy mailing list"
                            : !g_strcmp0(c->list, "ccadb-public")
                                ? "A post on the CCADB public mailing list"
                                : "A post on a public mailing list";
        return g_strdup_printf("%s reports %s %s issued by %s.", where, pt->what, certs, owner);
    }
    return g_strdup_printf("%s received a Certificate Problem Report reporting %s %s.", owner,
                           pt->what, certs);
}

static const char *aware_phrase(const char *source)
{
    if (!g_strcmp0(source, "imap_internaldate"))
        return "when the CA's mail server received it";
    if (!g_strcmp0(source, "received"))
        return "when the CA's mail server received it, per its Received: header";
    if (!g_strcmp0(source, "date"))
        return "per the Date: header of the message";
    return "when the message was ingested";
}

/* Who reported it: named with consent, else "a community member". */
static char *reporters_phrase(Store *store, const DraftsFacts *f, const CaseRedaction *cr,
                              GError **error)
{
    const IdentitySet *ids = case_redaction_identities(cr);
    const char *const *consented = case_redaction_options(cr)->consented_emails;
    g_autoptr(GPtrArray) seen = g_ptr_array_new();
    g_autoptr(GPtrArray) named = g_ptr_array_new_with_free_func(g_free);
    guint anonymous = 0;
    for (guint i = 0; i < f->kinds->len; i++) {
        const char *kind = g_ptr_array_index(f->kinds, i);
        const char *author = g_ptr_array_index(f->authors, i);
        if (!drafts_facts_is_report(kind) || !author)
            continue;
        const IdentityPerson *p = identity_set_find_email(ids, author);
        if (!p || g_ptr_array_find(seen, p, NULL))
            continue;
        g_ptr_array_add(seen, (gpointer)p);
        if (!identity_person_consented(p, consented)) {
            anonymous++;
            continue;
        }
        const char *const *emails = identity_person_emails(p);
        g_autoptr(ConsentEntry) ce = NULL;
        for (gsize e = 0; emails[e] && !ce; e++) {
            ce = consent_lookup(store, emails[e], error);
            if (!ce && error && *error)
                return NULL;
        }
        const char *name = ce && ce->name ? ce->name : identity_person_names(p)[0];
        if (!name)
            name = ce ? ce->email : emails[0];
        g_ptr_array_add(named, mdescape_inline(name));
    }
    g_autoptr(GString) s = g_string_new(NULL);
    for (guint i = 0; i < named->len; i++)
        g_string_append_printf(s, "%s%s", i == 0 ? "" : (i + 1 == named->len && !anonymous)
                                                            ? " and " : ", ",
                               (const char *)g_ptr_array_index(named, i));
    if (anonymous > 0 || named->len == 0) {
        if (named->len > 0)
            g_string_append(s, " and ");
        if (anonymous > 1)
            g_string_append_printf(s, "%u community members", anonymous);
        else
            g_string_append(s, "a community member");
    }
    return g_string_free(g_steal_pointer(&s), FALSE);
}

/* The first report's text, redacted, cut to DRAFTS_EXCERPT_BYTES, escaped,
 * as a block quote indented for a nested list item. NULL on error. */
static char *report_excerpt(const DraftsFacts *f, const CaseRedaction *cr, GError **error)
{
    if (!f->first_report_text)
        return g_strdup("");
    g_autofree char *red = case_redaction_redact(cr, f->first_report_text, error);
    if (!red)
        return NULL;
    g_strstrip(red);
    if (!*red)
        return g_strdup("");
    gboolean cut = FALSE;
    if (strlen(red) > DRAFTS_EXCERPT_BYTES) {
        /* back to a character boundary, then to the last line or word break */
        const char *end = g_utf8_find_prev_char(red, red + DRAFTS_EXCERPT_BYTES + 1);
        gsize n = end ? (gsize)(end - red) : 0;
        for (gsize k = n; k > DRAFTS_EXCERPT_BYTES / 2; k--)
            if (red[k] == '\n' || red[k] == ' ') {
                n = k;
                break;
            }
        red[n] = '\0';
        cut = TRUE;
    }
    g_autofree char *escaped = mdescape_text(red);
    g_autoptr(GString) out = g_string_new(NULL);
    g_auto(GStrv) lines = g_strsplit(escaped, "\n", -1);
    for (gsize i = 0; lines[i]; i++) {
        g_strchomp(lines[i]);
        g_string_append_printf(out, "    >%s%s\n", lines[i][0] ? " " : "", lines[i]);
    }
    if (cut)
        g_string_append(out, "    > \\[…\\]\n");
    return g_string_free(g_steal_pointer(&out), FALSE);
}

static void append_certificates(GString *s, const DraftsFacts *f)
{
    guint n = drafts_facts_certificate_count(f);
    if (n == 0)
        g_string_append(s, "\n  - **Affected certificates:** N/A (no certificate identified "
                           "in the reports yet)");
    else if (drafts_facts_count_is_upper_bound(f))
        g_string_append_printf(s, "\n  - **Affected certificates (at most %u: a serial and a "
                                  "SHA-256 below may name the same certificate):**", n);
    else
        g_string_append_printf(s, "\n  - **Affected certificates (%u):**", n);
    for (guint i = 0; i < f->certs->len; i++) {
        const DraftsCert *c = g_ptr_array_index(f->certs, i);
        gboolean serial_ok = is_hex(c->serial), sha_ok = is_hex(c->sha256);
        if (serial_ok && sha_ok)
            g_string_append_printf(s, "\n    - Serial `%s`, SHA-256 `%s`: https://crt.sh/?sha256=%s",
                                   c->serial, c->sha256, c->sha256);
        else if (sha_ok)
            g_string_append_printf(s, "\n    - SHA-256 `%s`: https://crt.sh/?sha256=%s", c->sha256,
                                   c->sha256);
        else if (serial_ok)
            g_string_append_printf(s, "\n    - Serial `%s` (SHA-256 not yet known): "
                                      "https://crt.sh/?serial=%s", c->serial, c->serial);
    }
    for (guint i = 0; i < f->crtsh_ids->len; i++) {
        const char *id = g_ptr_array_index(f->crtsh_ids, i);
        if (is_digits(id))
            g_string_append_printf(s, "\n    - crt.sh ID %s: https://crt.sh/?id=%s", id, id);
    }
    if (f->domains->len > 0) {
        g_string_append(s, "\n  - **Domain names in the reports:** ");
        for (guint i = 0; i < f->domains->len; i++) {
            g_autofree char *d = mdescape_inline(g_ptr_array_index(f->domains, i));
            g_string_append_printf(s, "%s%s", i ? ", " : "", d);
        }
    }
}

/* IRG: the Full Incident Report is due 14 days after the initial disclosure,
 * read strictly as 14 days after the CA became aware of the incident. */
static char *full_report_expected(const DraftsFacts *f)
{
    if (f->full_report_due > 0) {
        g_autofree char *due = timefmt_rfc3339(f->full_report_due);
        return g_strdup_printf("%s (14 days after the CA became aware of the incident)", due);
    }
    g_autofree char *due = timefmt_rfc3339(f->row->aware_at + 14 * DAY);
    return g_strdup_printf("%s at the latest (14 days after the CA became aware, if this is "
                           "found to be an incident)",
                           due);
}

char *drafts_markdown_render(Store *store, const Config *cfg, const DraftsFacts *f,
                             const CaseRedaction *cr, const Template *t, GError **error)
{
    const CaseRow *c = f->row;
    const DraftsProblemText *pt = drafts_problem_text(c->problem);
    g_autofree char *reporters = reporters_phrase(store, f, cr, error);
    if (!reporters)
        return NULL;
    g_autofree char *excerpt = report_excerpt(f, cr, error);
    if (!excerpt)
        return NULL;
    g_autofree char *owner = mdescape_inline(cfg->ca_owner ? cfg->ca_owner : "the CA");
    g_autofree char *aware = timefmt_rfc3339(c->aware_at);
    g_autofree char *reference = mdescape_inline(c->reference);

    g_autoptr(GString) desc = g_string_new(NULL);
    g_autofree char *sentence = report_sentence(f, owner, pt);
    g_string_append(desc, sentence);
    g_string_append_printf(desc, " It was reported by %s. %s became aware of it at %s (UTC), %s. "
                                 "Internal reference: %s.",
                           reporters, owner, aware, aware_phrase(c->aware_source), reference);
    append_certificates(desc, f);
    if (*excerpt)
        g_string_append_printf(desc, "\n  - **Excerpt of the report (redacted):**\n\n%s",
                               excerpt);
    /* the description is a list item: end it cleanly before the next field */
    while (desc->len > 0 && desc->str[desc->len - 1] == '\n')
        g_string_truncate(desc, desc->len - 1);
    if (*excerpt)
        g_string_append(desc, "\n");

    g_autofree char *expected = full_report_expected(f);
    const char *values[] = {
        "incident_description", desc->str,
        "relevant_policies", pt->policies,
        "full_report_expected_by", expected,
        "source_of_incident_disclosure", "Third Party Reported",
        "ca_owner", owner,
        "case_reference", reference,
        "aware_at", aware,
        NULL,
    };
    return templates_fill(t, values, error);
}
