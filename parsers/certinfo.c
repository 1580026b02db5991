/* certinfo.c - facts about X.509 certificates found in mail (see certinfo.h).
 *
 * Pure: bytes in, a CertInfo out. GnuTLS does the ASN.1; this file only turns
 * its answers into the normalised strings the rest of cpr-intake compares
 * (lowercase hex, lower-case DNS names). */
#include "certinfo.h"

#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "cpr_error.h"

/* A certificate larger than this is not something a person mails us; refusing it
 * early keeps a hostile attachment from reaching the ASN.1 decoder. */
#define CERTINFO_MAX_DER_BYTES (256u * 1024)
/* Base64 of the above, plus slack for line breaks. */
#define CERTINFO_MAX_PEM_B64 (CERTINFO_MAX_DER_BYTES / 3 * 4 + 8)
/* Certificates taken from one text: a bundle of a few hundred is plenty. */
#define CERTINFO_MAX_PEM_CERTS 256
/* SAN entries read from one certificate. */
#define CERTINFO_MAX_SANS 1024
/* Policies read from one certificate: real ones carry one to three. */
#define CERTINFO_MAX_POLICIES 64

#define CT_POISON_OID "1.3.6.1.4.1.11129.2.4.3"

static char *hex_lower(const guint8 *buf, gsize len)
{
    static const char digits[] = "0123456789abcdef";
    char *out = g_malloc(len * 2 + 1);
    for (gsize i = 0; i < len; i++) {
        out[2 * i] = digits[buf[i] >> 4];
        out[2 * i + 1] = digits[buf[i] & 0x0f];
    }
    out[len * 2] = '\0';
    return out;
}

/* Copy a GnuTLS datum into a GLib string and release the datum. Invalid UTF-8
 * (a DN may carry T61String or BMPString bytes) is made valid so that callers
 * can put it into JSON. */
static char *datum_to_utf8(gnutls_datum_t *d)
{
    char *s = g_utf8_make_valid((const char *)d->data, (gssize)d->size);
    gnutls_free(d->data);
    d->data = NULL;
    d->size = 0;
    return s;
}

/* Lower-case a dNSName and drop one trailing dot ("Example.TEST." ->
 * "example.test"). NULL for an empty name. */
static char *normalise_dns_name(const char *name, gsize len)
{
    while (len > 0 && name[len - 1] == '.')
        len--;
    if (len == 0)
        return NULL;
    char *valid = g_utf8_make_valid(name, (gssize)len);
    char *lower = g_utf8_strdown(valid, -1);
    g_free(valid);
    return lower;
}

static void read_sans(gnutls_x509_crt_t crt, GPtrArray *sans)
{
    /* A dNSName is at most 253 octets; anything longer is not a host name. */
    char buf[1024];
    for (unsigned seq = 0; seq < CERTINFO_MAX_SANS; seq++) {
        size_t size = sizeof buf - 1;
        unsigned type = 0;
        int ret = gnutls_x509_crt_get_subject_alt_name2(crt, seq, buf, &size, &type, NULL);
        if (ret == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
            break;
        /* Too long or unreadable: skip this entry, keep the others. */
        if (ret < 0 || type != GNUTLS_SAN_DNSNAME || size >= sizeof buf)
            continue;
        buf[size] = '\0';
        char *name = normalise_dns_name(buf, strnlen(buf, size));
        if (name)
            g_ptr_array_add(sans, name);
    }
}

/* The CA/Browser Forum's reserved policy identifiers (arc 2.23.140.1). Not
 * 2.23.140.1.31: that is the EV Guidelines' Tor Service Descriptor
 * extension, not a policy. */
static const struct {
    const char *oid;
    const char *type;
} CABF_POLICIES[] = {
    {"2.23.140.1.1", "EV TLS"},
    {"2.23.140.1.2.1", "DV TLS"},
    {"2.23.140.1.2.2", "OV TLS"},
    {"2.23.140.1.2.3", "IV TLS"},
    {"2.23.140.1.3", "EV Code Signing"},
    {"2.23.140.1.4.1", "Code Signing"},
    {"2.23.140.1.4.2", "Timestamping"},
    {"2.23.140.1.5.1.1", "S/MIME Mailbox-validated Legacy"},
    {"2.23.140.1.5.1.2", "S/MIME Mailbox-validated Multipurpose"},
    {"2.23.140.1.5.1.3", "S/MIME Mailbox-validated Strict"},
    {"2.23.140.1.5.2.1", "S/MIME Organization-validated Legacy"},
    {"2.23.140.1.5.2.2", "S/MIME Organization-validated Multipurpose"},
    {"2.23.140.1.5.2.3", "S/MIME Organization-validated Strict"},
    {"2.23.140.1.5.3.1", "S/MIME Sponsor-validated Legacy"},
    {"2.23.140.1.5.3.2", "S/MIME Sponsor-validated Multipurpose"},
    {"2.23.140.1.5.3.3", "S/MIME Sponsor-validated Strict"},
    {"2.23.140.1.5.4.1", "S/MIME Individual-validated Legacy"},
    {"2.23.140.1.5.4.2", "S/MIME Individual-validated Multipurpose"},
    {"2.23.140.1.5.4.3", "S/MIME Individual-validated Strict"},
};

const char *certinfo_policy_type(const char *oid)
{
    for (gsize i = 0; oid && i < G_N_ELEMENTS(CABF_POLICIES); i++)
        if (!strcmp(CABF_POLICIES[i].oid, oid))
            return CABF_POLICIES[i].type;
    return NULL;
}

static void read_policies(gnutls_x509_crt_t crt, GPtrArray *oids)
{
    for (unsigned idx = 0; idx < CERTINFO_MAX_POLICIES; idx++) {
        struct gnutls_x509_policy_st policy;
        unsigned critical = 0;
        memset(&policy, 0, sizeof policy);
        if (gnutls_x509_crt_get_policy(crt, idx, &policy, &critical) < 0)
            break; /* the end, or an extension that does not decode: keep what was read */
        if (policy.oid && *policy.oid)
            g_ptr_array_add(oids, g_strdup(policy.oid));
        gnutls_x509_policy_release(&policy);
    }
}

CertInfo *certinfo_from_der(const guint8 *der, gsize len, GError **error)
{
    gnutls_x509_crt_t crt = NULL;
    CertInfo *info = NULL;
    int ret;

    if (der == NULL || len == 0) {
        g_set_error(error, CPR_ERROR, CPR_ERROR_MESSAGE, "certificate: empty input");
        return NULL;
    }
    if (len > CERTINFO_MAX_DER_BYTES) {
        g_set_error(error, CPR_ERROR, CPR_ERROR_MESSAGE,
                    "certificate: %" G_GSIZE_FORMAT " bytes is more than the %u allowed",
                    len, CERTINFO_MAX_DER_BYTES);
        return NULL;
    }
    ret = gnutls_x509_crt_init(&crt);
    if (ret < 0) {
        g_set_error(error, CPR_ERROR, CPR_ERROR_MESSAGE, "certificate: %s", gnutls_strerror(ret));
        return NULL;
    }
    gnutls_datum_t d = { (unsigned char *)der, (unsigned)len };
    ret = gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_DER);
    if (ret < 0) {
        g_set_error(error, CPR_ERROR, CPR_ERROR_MESSAGE, "not a DER certificate: %s",
                    gnutls_strerror(ret));
        goto out;
    }

    info = g_new0(CertInfo, 1);
    info->sans = g_ptr_array_new_with_free_func(g_free);
    info->policy_oids = g_ptr_array_new_with_free_func(g_free);

    guint8 serial[64];
    size_t serial_len = sizeof serial;
    ret = gnutls_x509_crt_get_serial(crt, serial, &serial_len);
    if (ret < 0 || serial_len == 0) {
        g_set_error(error, CPR_ERROR, CPR_ERROR_MESSAGE, "certificate serial unreadable: %s",
                    ret < 0 ? gnutls_strerror(ret) : "empty");
        certinfo_free(&info);
        goto out;
    }
    /* DER INTEGERs carry a 00 byte when the first byte has its high bit set;
     * people (and crt.sh) write the serial without it. */
    gsize skip = 0;
    while (serial_len - skip > 1 && serial[skip] == 0)
        skip++;
    info->serial_hex = hex_lower(serial + skip, serial_len - skip);

    guint8 digest[32];
    size_t digest_len = sizeof digest;
    ret = gnutls_x509_crt_get_fingerprint(crt, GNUTLS_DIG_SHA256, digest, &digest_len);
    if (ret < 0 || digest_len != sizeof digest) {
        g_set_error(error, CPR_ERROR, CPR_ERROR_MESSAGE, "certificate fingerprint: %s",
                    ret < 0 ? gnutls_strerror(ret) : "bad length");
        certinfo_free(&info);
        goto out;
    }
    info->sha256_hex = hex_lower(digest, digest_len);

    gnutls_datum_t dn = { NULL, 0 };
    if (gnutls_x509_crt_get_issuer_dn3(crt, &dn, 0) >= 0)
        info->issuer_dn = datum_to_utf8(&dn);
    else
        info->issuer_dn = g_strdup("");
    if (gnutls_x509_crt_get_dn3(crt, &dn, 0) >= 0)
        info->subject_dn = datum_to_utf8(&dn);
    else
        info->subject_dn = g_strdup("");

    read_sans(crt, info->sans);
    read_policies(crt, info->policy_oids);

    info->not_before = (gint64)gnutls_x509_crt_get_activation_time(crt);
    info->not_after = (gint64)gnutls_x509_crt_get_expiration_time(crt);
    /* basicConstraints cA: a subordinate CA certificate has 7 days (BR 4.9.1.2) */
    unsigned int bc_critical = 0, bc_ca = 0;
    int bc_len = 0;
    info->is_ca = gnutls_x509_crt_get_basic_constraints(crt, &bc_critical, &bc_ca, &bc_len) >= 0 &&
                  bc_ca != 0;

    gnutls_datum_t ext = { NULL, 0 };
    unsigned critical = 0;
    if (gnutls_x509_crt_get_extension_by_oid2(crt, CT_POISON_OID, 0, &ext, &critical) >= 0) {
        info->precert = TRUE;
        gnutls_free(ext.data);
    }

out:
    gnutls_x509_crt_deinit(crt);
    return info;
}

/* The content of one line with any quoting ("> ", "> > ", indentation) and
 * trailing white space removed. */
static void strip_line(const char **start, const char **end)
{
    const char *s = *start, *e = *end;
    while (s < e && (*s == ' ' || *s == '\t' || *s == '>'))
        s++;
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
        e--;
    *start = s;
    *end = e;
}

static gboolean line_is(const char *s, const char *e, const char *literal)
{
    gsize n = strlen(literal);
    return (gsize)(e - s) == n && memcmp(s, literal, n) == 0;
}

static gboolean is_b64_char(char c)
{
    return g_ascii_isalnum(c) || c == '+' || c == '/';
}

/* Append the base64 of one body line to `b64`. FALSE when the line cannot be
 * part of a clean block: a character outside the alphabet, or '=' anywhere but
 * the end (the mark of quoted-printable damage, "=3D" and soft breaks). */
static gboolean append_b64_line(GString *b64, const char *s, const char *e, gboolean *padded)
{
    for (const char *p = s; p < e; p++) {
        if (*p == '=') {
            g_string_append_c(b64, '=');
            *padded = TRUE;
            continue;
        }
        if (!is_b64_char(*p) || *padded)
            return FALSE;
        g_string_append_c(b64, *p);
    }
    return TRUE;
}

static CertInfo *decode_block(const GString *b64)
{
    if (b64->len == 0 || b64->len % 4 != 0)
        return NULL;
    gsize der_len = 0;
    guchar *der = g_base64_decode(b64->str, &der_len);
    CertInfo *info = certinfo_from_der(der, der_len, NULL);
    g_free(der);
    return info;
}

GPtrArray *certinfo_from_pem_text(const char *text, gsize len)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(certinfo_destroy);
    if (text == NULL)
        return out;

    GString *b64 = g_string_new(NULL);
    gboolean in_block = FALSE, damaged = FALSE, padded = FALSE;
    const char *p = text, *end = text + len;

    while (p < end && out->len < CERTINFO_MAX_PEM_CERTS) {
        const char *eol = memchr(p, '\n', (gsize)(end - p));
        const char *next = eol ? eol + 1 : end;
        const char *s = p, *e = eol ? eol : end;
        strip_line(&s, &e);
        p = next;

        /* Only CERTIFICATE blocks: "CERTIFICATE REQUEST", keys and PGP armor
         * have other labels and never match these exact lines. A BEGIN inside
         * an unfinished block restarts it (the first one was truncated). */
        if (line_is(s, e, "-----BEGIN CERTIFICATE-----")) {
            in_block = TRUE;
            damaged = padded = FALSE;
            g_string_truncate(b64, 0);
            continue;
        }
        if (!in_block)
            continue;
        if (line_is(s, e, "-----END CERTIFICATE-----")) {
            in_block = FALSE;
            if (!damaged) {
                CertInfo *info = decode_block(b64);
                if (info)
                    g_ptr_array_add(out, info);
            }
            continue;
        }
        if (s == e)
            continue; /* blank lines inside a pasted block are harmless */
        if (memchr(s, ':', (gsize)(e - s)) != NULL)
            continue; /* RFC 1421 header line ("Proc-Type: ...") */
        if (damaged)
            continue;
        if (!append_b64_line(b64, s, e, &padded) || b64->len > CERTINFO_MAX_PEM_B64)
            damaged = TRUE;
    }
    g_string_free(b64, TRUE);
    return out;
}

void certinfo_free(CertInfo **info)
{
    if (info == NULL || *info == NULL)
        return;
    CertInfo *c = *info;
    g_free(c->serial_hex);
    g_free(c->sha256_hex);
    g_free(c->issuer_dn);
    g_free(c->subject_dn);
    if (c->sans)
        g_ptr_array_unref(c->sans);
    if (c->policy_oids)
        g_ptr_array_unref(c->policy_oids);
    g_free(c);
    *info = NULL;
}

void certinfo_destroy(gpointer info)
{
    CertInfo *c = info;
    certinfo_free(&c);
}
