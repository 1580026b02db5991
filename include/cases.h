/* cases.h - case rows: creation with a CPR-YYYY-NNNN reference, and the ways a
 * message finds the case it belongs to (threading, reference tag, certificate).
 * All functions run inside the caller's transaction. A *_find returns TRUE with
 * *case_id_r = 0 when nothing matches. */
#ifndef CPR_CASES_H
#define CPR_CASES_H

#include <glib.h>
#include "store.h"

typedef struct {
    gint64 id;
    char *reference;
    char *kind;
    char *list;
    char *problem;
    char *title;
    gint64 aware_at;
    char *aware_source;
    char *status;
    gint64 created_at;
    /* what the case holds about revocation and incident (SPEC 2.3); the one
     * reader of these columns, so that `show`, the drafts and the obligations
     * never disagree about them */
    int revocation_reason;  /* the stored row number; 0 when assumed or none */
    char *reason_source;    /* NULL: no reason (the case names no certificate) */
    guint32 reason_candidates;
    char *incident;         /* yes, no or undetermined */
    char *incident_rationale;
    gint64 bug_id;          /* 0: none */
    gboolean security_sensitive;
} CaseRow;

gboolean cases_create(Store *store, const char *kind, const char *list, const char *problem,
                      const char *title, gint64 aware_at, const char *aware_source, gint64 now,
                      gint64 *case_id_r, char **reference_r, GError **error);

/* The case of any stored message whose Message-ID is in `message_ids`. */
gboolean cases_find_by_message_ids(Store *store, const GPtrArray *message_ids, gint64 *case_id_r,
                                   GError **error);
gboolean cases_find_by_reference(Store *store, const char *reference, gint64 *case_id_r,
                                 GError **error);
/* The oldest open case naming one of these serials or SHA-256 fingerprints. */
gboolean cases_find_by_certificate(Store *store, const GPtrArray *serials, const GPtrArray *sha256,
                                   gint64 *case_id_r, GError **error);

/* Load one case; NULL with CPR_ERROR_INPUT when there is none. `key` is the id
 * or the CPR-YYYY-NNNN reference. */
CaseRow *cases_load(Store *store, const char *key, GError **error);
CaseRow *cases_load_id(Store *store, gint64 id, GError **error);
void case_row_free(CaseRow **row);
static inline void case_row_destroy(CaseRow *row) { case_row_free(&row); }
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CaseRow, case_row_destroy)

/* Update aware_at/problem (an earlier message joined; the problem became known). */
gboolean cases_update_facts(Store *store, gint64 case_id, const char *problem, gint64 aware_at,
                            const char *aware_source, GError **error);
gboolean cases_set_status(Store *store, gint64 case_id, const char *status, GError **error);

#endif
