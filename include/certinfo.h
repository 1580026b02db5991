/* certinfo.h - facts about X.509 certificates found in mail, read with GnuTLS.
 *
 * Pure. Only certificates are read (not CSRs, keys or CRLs). */
#ifndef CPR_CERTINFO_H
#define CPR_CERTINFO_H

#include <glib.h>

typedef struct {
    char *serial_hex;  /* lowercase hex, no separators, leading 00 sign byte removed */
    char *sha256_hex;  /* lowercase hex SHA-256 of the DER */
    char *issuer_dn;   /* RFC 4514 string */
    char *subject_dn;
    GPtrArray *sans;   /* char*: dNSName values, lower-case, trailing dot removed */
    gint64 not_before; /* Unix seconds */
    gint64 not_after;
    gboolean precert;  /* carries the CT poison extension 1.3.6.1.4.1.11129.2.4.3 */
    gboolean is_ca;    /* basicConstraints cA is TRUE */
    GPtrArray *policy_oids; /* char*: certificatePolicies policy identifiers, dotted, in order */
} CertInfo;

/* Parse one DER certificate. NULL with CPR_ERROR_MESSAGE when it is not one. */
CertInfo *certinfo_from_der(const guint8 *der, gsize len, GError **error);

/* Every "-----BEGIN CERTIFICATE-----" block in `text` (also indented or quoted
 * with "> "), parsed; blocks that do not parse are skipped. Caller owns the
 * array (free function set). Never NULL. */
GPtrArray *certinfo_from_pem_text(const char *text, gsize len);

/* What a certificate policy OID says the certificate is, for the
 * CA/Browser Forum's reserved identifiers (TLS BR 7.1.6.1, EV Guidelines,
 * Code Signing BR, S/MIME BR 7.1.6.1): "DV TLS", "EV TLS", "Code Signing",
 * "S/MIME Mailbox-validated Strict", ... NULL for any other OID (a CA's own
 * policy, anyPolicy): the caller says "unknown" rather than guess. Static. */
const char *certinfo_policy_type(const char *oid);

void certinfo_free(CertInfo **info);
/* GDestroyNotify for arrays of CertInfo* */
void certinfo_destroy(gpointer info);

#endif
