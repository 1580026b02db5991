/* drafts.h - the CCADB Preliminary Incident Report and the Bugzilla bug of a
 * case (SPEC 2.5), redacted (SPEC 2.4) and leak-checked before they are
 * returned: a draft that still names a non-consenting reporter is an error
 * (CPR_ERROR_LEAK), never output. */
#ifndef CPR_DRAFTS_H
#define CPR_DRAFTS_H

#include <glib.h>
#include "config.h"
#include "store.h"

typedef enum {
    DRAFT_MARKDOWN,      /* the report, markdown */
    DRAFT_BUGZILLA_JSON, /* the body of POST /rest/bug */
    DRAFT_EML,           /* a mail to a person: one RFC 5322 message */
} DraftFormat;

/* The reports of SPEC 2.5, by their --report names. */
typedef enum {
    DRAFT_PRELIMINARY,
    DRAFT_FULL,
    DRAFT_CLOSURE,
    DRAFT_DELAYED_REVOCATION,
    DRAFT_REPORTER_MAIL,
    DRAFT_SUBSCRIBER_MAIL,
} DraftReport;

typedef struct {
    DraftReport report;
    DraftFormat format;
    /* add a redacted excerpt of the first report (SPEC 2.5: opt-in) */
    gboolean with_excerpt;
} DraftOptions;

/* --report and --format names; FALSE for an unknown one. */
gboolean drafts_report_parse(const char *name, DraftReport *report);
gboolean drafts_format_parse(const char *name, DraftFormat *format);
const char *drafts_report_name(DraftReport report);
const char *drafts_format_name(DraftFormat format);
/* Reports and bugs: markdown or bugzilla-json; mails: markdown or eml. */
gboolean drafts_format_allowed(DraftReport report, DraftFormat format);

/* The draft `opts` asks for. A report kind without a template in the
 * configured guidelines version is CPR_ERROR_CONFIG naming the versions that
 * have one. Otherwise as drafts_render(). */
char *drafts_render_options(Store *store, const Config *cfg, gint64 case_id,
                            const DraftOptions *opts, gint64 now, GError **error);

/* The Preliminary Incident Report of case `case_id`, without excerpt. `now` is the time the draft is made (Unix
 * seconds). On a leak-check failure an audit event is written and FALSE is
 * returned with CPR_ERROR_LEAK naming the case and the output, not the
 * identifier. Caller frees. */
char *drafts_render(Store *store, const Config *cfg, gint64 case_id, DraftFormat format,
                    gint64 now, GError **error);

#endif
