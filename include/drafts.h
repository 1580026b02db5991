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
    DRAFT_MARKDOWN,      /* the Preliminary Incident Report, markdown */
    DRAFT_BUGZILLA_JSON, /* the body of POST /rest/bug */
} DraftFormat;

/* The draft of case `case_id`. `now` is the time the draft is made (Unix
 * seconds). On a leak-check failure an audit event is written and FALSE is
 * returned with CPR_ERROR_LEAK naming the case and the output, not the
 * identifier. Caller frees. */
char *drafts_render(Store *store, const Config *cfg, gint64 case_id, DraftFormat format,
                    gint64 now, GError **error);

#endif
