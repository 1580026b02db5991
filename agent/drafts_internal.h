/* drafts_internal.h - the parts of the drafts module, for its own files only
 * (drafts.c, drafts_facts.c, drafts_markdown.c, drafts_bugzilla.c). Callers
 * use drafts.h.
 *
 * Redaction is not here: every draft redacts and leak-checks through the
 * case's CaseRedaction (case_redaction.h), as pages and timelines do. */
#ifndef CPR_DRAFTS_INTERNAL_H
#define CPR_DRAFTS_INTERNAL_H

#include <glib.h>
#include "case_redaction.h"
#include "cases.h"
#include "config.h"
#include "store.h"
#include "reasons.h"
#include "templates.h"

/* --- the facts of a case (drafts_facts.c) --- */

typedef struct {
    char *serial; /* lower-case hex, or NULL */
    char *sha256; /* lower-case hex, or NULL */
    char *subject;
    char *issuer;       /* of a parsed certificate, or NULL */
    gint64 not_before;  /* 0 when not known */
    gint64 not_after;
    char *type;         /* from its policy OIDs (drafts_facts_cert_type), or NULL when
                         * the certificate was not parsed */
} DraftsCert;

/* Only data: the one text taken from mail is the first report's, which the
 * markdown redacts before it uses it. */
typedef struct {
    CaseRow *row;             /* also the reason, incident and sensitivity (SPEC 2.3) */
    gint64 full_report_due; /* 0 until disclosure starts the clock */
    gint64 revocation_due;  /* 0 when none */
    gint64 revocation_met;
    GPtrArray *kinds;         /* char*: kind of each message, in awareness order */
    GPtrArray *authors;       /* char*: author address of each message, or NULL */
    char *first_report_text;  /* the first report's text (not redacted), or NULL */
    GPtrArray *certs;         /* DraftsCert*: what the draft lists */
    GPtrArray *crtsh_ids;     /* char* */
    GPtrArray *domains;       /* char*: certificate domains no person's address is under */
} DraftsFacts;

/* Read case `case_id`. `cr` is the case's redaction context: a domain of a
 * person on the case is left out of the facts. NULL with the store's error,
 * or cases_load_id()'s when there is no such case. */
DraftsFacts *drafts_facts_load(Store *store, const CaseRedaction *cr, gint64 case_id,
                               GError **error);
void drafts_facts_free(DraftsFacts **f);
static inline void drafts_facts_destroy(DraftsFacts *f) { drafts_facts_free(&f); }
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DraftsFacts, drafts_facts_destroy)

/* The case's BR 4.9.1.1 row (reasons.h), or NULL when none is known (no
 * certificate, or the 24-hour reason only assumed). */
const ReasonRow *drafts_facts_reason(const DraftsFacts *f);
/* "inferred", "assumed", "set", or NULL when the case concerns no certificate. */
const char *drafts_facts_reason_source(const DraftsFacts *f);
/* "undetermined", "yes" or "no", and the rationale given (or NULL). */
const char *drafts_facts_incident(const DraftsFacts *f);
const char *drafts_facts_incident_rationale(const DraftsFacts *f);

/* What a parsed certificate is, from its stored policy OIDs (`policy_json`,
 * a JSON array, or NULL for rows stored before they were read): the
 * CA/Browser Forum types it asserts ("DV TLS", "EV TLS and Code Signing"),
 * else "unknown" with the reason. Never a guess from the subject. Caller
 * frees. */
char *drafts_facts_cert_type(const char *policy_json);

/* FALSE for a message of `kind` that reports nothing: an auto-reply or an
 * unclassified message. Such messages neither give the excerpt nor make their
 * author a reporter. */
gboolean drafts_facts_is_report(const char *kind);
/* How many certificates the case is about (certificates, else crt.sh ids). */
guint drafts_facts_certificate_count(const DraftsFacts *f);
/* TRUE when a serial seen alone and a SHA-256 seen alone may be the same
 * certificate: the count is then an upper bound, and the draft says so. */
gboolean drafts_facts_count_is_upper_bound(const DraftsFacts *f);

/* --- the report (drafts_markdown.c) --- */

/* Texts that depend on the problem type, shared by the report and the bug. */
typedef struct {
    const char *problem;
    const char *what;     /* "reports <what> N certificate(s)" */
    const char *title;    /* bug summary, after "<owner>: " */
    const char *policies; /* Relevant policies */
} DraftsProblemText;

/* What happened, for a title: from the BR 4.9.1.1 reason when known, else
 * by problem type. Never a count. Static. */
const char *drafts_reason_title(const DraftsFacts *f);

/* The Preliminary Incident Report, `t` filled. Redacted but not yet
 * leak-checked: drafts_render() checks the finished output. Caller frees. */
char *drafts_markdown_render(Store *store, const Config *cfg, const DraftsFacts *f,
                             const CaseRedaction *cr, const Template *t, gboolean with_excerpt,
                             const char *const *extra, GError **error);

/* A non-empty run of hex digits: only such an identifier goes into a link. */
gboolean drafts_is_hex(const char *s);

/* --- the other reports (drafts_reports.c) --- */

/* The placeholders the full, closure and delayed-revocation templates use
 * beyond the preliminary report's (alternating name, value; NULL-terminated),
 * from the case's facts and its redacted timeline. Caller frees with
 * g_strfreev(). NULL with the timeline's error. */
char **drafts_reports_values(Store *store, const Config *cfg, const DraftsFacts *f,
                             GError **error);

/* --- the bug (drafts_bugzilla.c) --- */

/* The body of POST /rest/bug around the report `markdown`; `title` replaces
 * the case's own title after "<owner>: " (NULL: the reason's). Caller frees. */
char *drafts_bugzilla_render(const Config *cfg, const DraftsFacts *f, const char *markdown,
                             const char *title, gint64 now);
/* The body of POST /rest/bug/{id}/comment: {"comment": markdown}. */
char *drafts_bugzilla_comment(const char *markdown);

/* --- mail to a person (drafts_mail.c) --- */

typedef struct {
    char *email; /* lower-case */
    char *name;  /* display name, one line, or NULL */
} DraftsRecipient;
void drafts_recipient_free(DraftsRecipient **r);
static inline void drafts_recipient_destroy(DraftsRecipient *r) { drafts_recipient_free(&r); }
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DraftsRecipient, drafts_recipient_destroy)

/* The reporter of the case: the first report's Reply-To, else X-Original-From,
 * else From. NULL with CPR_ERROR_INPUT when that is a list, a null or bounce
 * sender or the CA's own address. */
DraftsRecipient *drafts_mail_reporter(Store *store, const Config *cfg, const DraftsFacts *f,
                                      GError **error);
/* The Subscriber `case subscriber` recorded; NULL with CPR_ERROR_INPUT naming
 * that command when none is. */
DraftsRecipient *drafts_mail_subscriber(Store *store, const DraftsFacts *f, GError **error);
/* The body of the mail to `to`, from the template `t` and the case's facts. */
char *drafts_mail_body(const Config *cfg, const DraftsFacts *f, const DraftsRecipient *to,
                       const Template *t, GError **error);
/* One RFC 5322 message around `body` (text/plain, UTF-8). Caller frees. */
char *drafts_mail_eml(const Config *cfg, const DraftsFacts *f, const DraftsRecipient *to,
                      const char *kind, const char *subject, const char *body, gint64 now);

#endif
