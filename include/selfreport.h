/* selfreport.h - is a report the Subscriber's own? (SPEC 2.5: "The
 * Subscriber's address comes from `case subscriber` or from a Subscriber's
 * own report".)
 *
 * Pure. The rule is fail-safe: a Subscriber notice must never go to a third
 * party, so a report counts as the Subscriber's own only when ALL of these
 * hold; anything less leaves the address to `case subscriber`:
 *  - the reply address (Reply-To, else From) and every From and Reply-To
 *    address are at one domain of two labels or more, which is not a shared
 *    mailbox provider (a mailbox at gmail.com proves no control of a domain)
 *    nor one of the CA's own domains;
 *  - the report concerns at least one domain (a dNSName of a certificate it
 *    carries, or a domain it names), and EVERY domain it concerns is that
 *    domain, under it, or a parent of it: a report that also names another
 *    domain (a researcher's own site in a signature, a victim's site) is not
 *    taken for the Subscriber's;
 *  - the text (quoted lines aside) says the certificate, key or domain is the
 *    sender's: "our certificate", "my private key", "we are the subscriber",
 *    "revoke our ...".
 * The caller applies it only to a direct report to the CA (a CPR), never to a
 * list post or bug mail. */
#ifndef CPR_SELFREPORT_H
#define CPR_SELFREPORT_H

#include <glib.h>

#include "extract.h"
#include "mime.h"

typedef struct {
    char *email;  /* lower-case */
    char *name;   /* display name, one line, or NULL */
    char *domain; /* the domain that matched */
    char *phrase; /* the words that say it is theirs, as written */
} SelfReport;

/* The Subscriber of a report by the rule above, or NULL. `ca_domains`:
 * NULL-terminated, may be NULL. */
SelfReport *selfreport_detect(const MimeMessage *msg, const Identifiers *ids,
                              const char *const *ca_domains);
/* TRUE when `domain` is a shared mailbox provider's (exact match). */
gboolean selfreport_shared_mail_domain(const char *domain);
void selfreport_free(SelfReport **s);

#endif
