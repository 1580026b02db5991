/* bugmail_apply.h - the store side of Bugzilla notification mail (SPEC 2.3):
 * the case a bug belongs to, and what a notification does to its clocks.
 * Runs inside the intake transaction (intake.c), so the message, its events
 * and its clock changes commit together. */
#ifndef CPR_BUGMAIL_APPLY_H
#define CPR_BUGMAIL_APPLY_H

#include <glib.h>
#include "classify.h"
#include "mime.h"
#include "store.h"

/* The case whose filed bug is `bug_id` (decimal text); *case_id_r = 0 when
 * none. */
gboolean bugmail_find_case(Store *store, const char *bug_id, gint64 *case_id_r, GError **error);

/* A Bugzilla mail joined or opened case `case_id`: a question to the CA
 * records "question_asked" at `at` (the mail's aware_at), which starts the
 * question_response clock; a whiteboard "Next update YYYY-MM-DD" sets the
 * bug_update clock's due time to 00:00 UTC of that date. Events are written
 * with time `at` by actor "intake". */
gboolean bugmail_apply(Store *store, const CaIdentity *ca, const MimeMessage *msg,
                       const char *bug_id, gint64 case_id, gint64 at, GError **error);

#endif
