/* case_redaction.h - redaction of one case's outputs (SPEC 2.4): every person
 * the case's messages identify, the strings never to redact (the case's
 * certificate identifiers, the CA's names) and the consent registry, in one
 * object, so that every output that leaves the CA (drafts, pages, timelines)
 * redacts and leak-checks the same way.
 *
 * Not persons: the CA's report addresses, the lists' posting addresses, and
 * any address at the CA's own domains or at the domain of a report address.
 * Never protected: a certificate domain that is, or is a parent or subdomain
 * of, the domain of a person's address (protecting it would shield that
 * address from redaction). */
#ifndef CPR_CASE_REDACTION_H
#define CPR_CASE_REDACTION_H

#include <glib.h>
#include "config.h"
#include "redact.h"
#include "store.h"

/* A case with more messages than this is refused (CPR_ERROR_INPUT): an output
 * whose people were only partly collected could name someone. */
#define CASE_REDACTION_MAX_MESSAGES 2000

typedef struct CaseRedaction CaseRedaction;

/* Read the case's messages (parsed again from their raw bytes, in the order the
 * CA became aware of them), identifiers and the consent registry. Works inside
 * or outside a transaction. NULL with CPR_ERROR_STORE on a database failure,
 * CPR_ERROR_INPUT when the case has more than CASE_REDACTION_MAX_MESSAGES. */
CaseRedaction *case_redaction_new(Store *store, const Config *cfg, gint64 case_id,
                                  GError **error);
void case_redaction_free(CaseRedaction **cr);
static inline void case_redaction_destroy(CaseRedaction *cr) { case_redaction_free(&cr); }
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CaseRedaction, case_redaction_destroy)

/* Lent: the persons, and the options redact_text()/redact_check() take. */
const IdentitySet *case_redaction_identities(const CaseRedaction *cr);
const RedactOptions *case_redaction_options(const CaseRedaction *cr);

/* TRUE when `domain` is, or is a parent or subdomain of, the domain of an
 * address of a person on the case: such a domain is not protected, and an
 * output must not list it either. */
gboolean case_redaction_domain_of_person(const CaseRedaction *cr, const char *domain);

/* `text` redacted, not yet checked: for a part of an output that is cut or
 * escaped before the whole is checked with case_redaction_check(). NULL with
 * CPR_ERROR_INPUT (see redact_text()). Caller frees. */
char *case_redaction_redact(const CaseRedaction *cr, const char *text, GError **error);
/* `text` redacted, then leak-checked (fail closed). NULL with CPR_ERROR_LEAK
 * naming `output_name` when the check still finds an identifier. Caller frees. */
char *case_redaction_apply(const CaseRedaction *cr, const char *text, const char *output_name,
                           GError **error);
/* Only the leak check, for text assembled from already redacted parts. */
gboolean case_redaction_check(const CaseRedaction *cr, const char *text, const char *output_name,
                              GError **error);

/* The leak check of a mail addressed to `recipient_email`: that person's own
 * names and addresses may appear, everyone else's may not. */
gboolean case_redaction_check_mail(const CaseRedaction *cr, const char *text,
                                   const char *recipient_email, const char *output_name,
                                   GError **error);

#endif
