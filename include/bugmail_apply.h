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

/* A Bugzilla mail joined or opened case `case_id` (SPEC 2.3): a question to
 * the CA records "question_asked" with its comment number (once per comment),
 * at the earlier of `at` (the mail's aware_at) and the comment's own time; the
 * CA's own comment records "bug_comment_by_ca" (comment 0: "bug_filed"); a
 * whiteboard "Next update YYYY-MM-DD" records "bug_update_due_set". The clocks
 * follow (clocks_refresh). `ca_accounts`: [bugzilla] ca_accounts, may be NULL. */
gboolean bugmail_apply(Store *store, const CaIdentity *ca, const char *const *ca_accounts,
                       const MimeMessage *msg, const char *bug_id, gint64 case_id, gint64 at,
                       GError **error);

#endif
