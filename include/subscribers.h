/* subscribers.h - the Subscriber a case's BR 4.9.5 mail goes to (SPEC 2.5):
 * recorded by `case subscriber` (source "set", which always wins) or taken at
 * intake from a Subscriber's own report (source "report", selfreport.h),
 * which never replaces an address already recorded. Both are audited
 * (`subscriber_recorded`, with the source and, for a report, the message and
 * the words that made it the Subscriber's). */
#ifndef CPR_SUBSCRIBERS_H
#define CPR_SUBSCRIBERS_H

#include <glib.h>

#include "mime.h"
#include "extract.h"
#include "store.h"

/* `case subscriber`: record `email` (lower-case) and `name` (or NULL) for
 * `case_id`, replacing any earlier address. Inside the caller's transaction. */
gboolean subscribers_set(Store *store, gint64 case_id, const char *email, const char *name,
                         const char *actor, gint64 now, GError **error);

/* Intake of a direct report (a CPR) stored as `message_row` on `case_id`:
 * when it is the Subscriber's own report and the case has no Subscriber
 * yet, record its sender. Inside the caller's transaction. */
gboolean subscribers_from_report(Store *store, gint64 case_id, gint64 message_row,
                                 const MimeMessage *msg, const Identifiers *ids,
                                 const char *const *ca_domains, gint64 now, GError **error);

#endif
