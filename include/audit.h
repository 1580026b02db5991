/* audit.h - proving the event log untouched, and exporting it (SPEC 2.7). */
#ifndef CPR_AUDIT_H
#define CPR_AUDIT_H

#include <glib.h>
#include "store.h"

/* Recompute the hash chain over every event row. FALSE with CPR_ERROR_STORE
 * naming the first bad row: a changed row (hash mismatch), a deleted row (gap in
 * ids or prev_hash mismatch), an inserted row (prev_hash mismatch), or a cut-off
 * tail (the recorded head is missing). *rows_r counts the rows checked. */
gboolean audit_verify(Store *store, gint64 *rows_r, GError **error);
/* Is an audit_verify() failure a broken chain (not a failure to read it)? */
gboolean audit_error_is_tamper(const GError *error);

typedef enum { AUDIT_FORMAT_CSV, AUDIT_FORMAT_JSON } AuditFormat;

/* Events (of one case when case_id > 0, since `since` when > 0) in id order,
 * written to `out`. */
gboolean audit_export(Store *store, gint64 case_id, gint64 since, AuditFormat format,
                      GString *out, GError **error);

#endif
