/* case_redaction.h - redaction of one case's outputs (SPEC 2.4): every person
 * the case's messages identify, the strings never to redact (the case's
 * certificate identifiers, the CA's names) and the consent registry, in one
 * object, so that every output that leaves the CA (pages, timelines; drafts
 * may use it too) redacts and leak-checks the same way.
 *
 * The CA's report addresses, the lists' posting addresses and the CA's own
 * domains are not persons. */
#ifndef CPR_CASE_REDACTION_H
#define CPR_CASE_REDACTION_H

#include <glib.h>
#include "config.h"
#include "redact.h"
#include "store.h"

typedef struct CaseRedaction CaseRedaction;

/* Read the case's messages (parsed again from their raw bytes), identifiers and
 * the consent registry. Works inside or outside a transaction. NULL with
 * CPR_ERROR_STORE on a database failure. */
CaseRedaction *case_redaction_new(Store *store, const Config *cfg, gint64 case_id,
                                  GError **error);
void case_redaction_free(CaseRedaction **cr);
static inline void case_redaction_destroy(CaseRedaction *cr) { case_redaction_free(&cr); }
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CaseRedaction, case_redaction_destroy)

/* Lent: the persons, and the options redact_text()/redact_check() take. */
const IdentitySet *case_redaction_identities(const CaseRedaction *cr);
const RedactOptions *case_redaction_options(const CaseRedaction *cr);

/* `text` redacted, then leak-checked (fail closed). NULL with CPR_ERROR_LEAK
 * naming `output_name` when the check still finds an identifier. Caller frees. */
char *case_redaction_apply(const CaseRedaction *cr, const char *text, const char *output_name,
                           GError **error);
/* Only the leak check, for text assembled from already redacted parts. */
gboolean case_redaction_check(const CaseRedaction *cr, const char *text, const char *output_name,
                              GError **error);

#endif
