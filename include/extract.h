/* extract.h - certificate identifiers named by a message.
 *
 * Pure. Reads the subject, the text and the attachments (PEM or DER
 * certificates, text and CSV files) of a parsed message and returns every
 * certificate identifier in normalised form:
 *   serials   lowercase hex, no separators (from "68:51:..:A8", "68 51 ..",
 *             "0x6851..", "6851..", and decimal when labelled "serial (decimal)")
 *   sha256    lowercase hex, 64 digits (from any of the notations above)
 *   crtsh_ids decimal strings (from crt.sh/?id=N, "crt.sh N", "crt.sh ID N")
 *   domains   lower-case DNS names of the certificates concerned (no trailing dot)
 * plus the certificates themselves. No false positives from Message-IDs, e-mail
 * addresses, URLs' hosts, PGP blocks, base64 bodies, CSRs or dates. Each list is
 * de-duplicated and keeps first-seen order. */
#ifndef CPR_EXTRACT_H
#define CPR_EXTRACT_H

#include <glib.h>
#include "mime.h"

typedef struct {
    GPtrArray *serials;   /* char* */
    GPtrArray *sha256;    /* char* */
    GPtrArray *crtsh_ids; /* char* */
    GPtrArray *domains;   /* char* */
    GPtrArray *certs;     /* CertInfo* (certinfo.h) */
    gboolean truncated;   /* a list reached EXTRACT_MAX_IDS_PER_LIST: more were named */
} Identifiers;

/* Each list stops growing here: one hostile message cannot grow it forever. */
#define EXTRACT_MAX_IDS_PER_LIST 2000

/* `ignore_domains`: NULL-terminated list of domains that are never certificate
 * domains here (the CA's own domains; their subdomains too). May be NULL. */
Identifiers *extract_identifiers(const MimeMessage *msg, const char *const *ignore_domains);

/* Normalise one serial as a person wrote it; NULL when it is not one. */
char *extract_normalize_serial(const char *text);

gboolean extract_identifiers_empty(const Identifiers *ids);
void extract_identifiers_free(Identifiers **ids);

#endif
