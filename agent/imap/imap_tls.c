/* imap_tls.c - verify the IMAP server's certificate ourselves.
 *
 * Debian's GnuTLS build of libetpan completes any handshake: a self-signed
 * certificate for another host is accepted and mailstream_ssl_set_server_certicate()
 * is a stub (SPEC 5). So after the handshake and before any credential is sent,
 * the daemon takes the peer chain from the stream and verifies it with GnuTLS:
 * chain to a trust anchor (system store plus ca_file), key purpose TLS server,
 * host name (or IP address) in the leaf. Like mbsync's verify_cert_host(). */
#define G_LOG_DOMAIN "imap"
#include "imap_internal.h"

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

void imap_tls_sni_callback(struct mailstream_ssl_context *ssl_context, void *data)
{
    const char *host = data;
    /* RFC 6066: SNI carries DNS names only, never IP literals. */
    if (host && *host && !g_hostname_is_ip_address(host))
        mailstream_ssl_set_server_name(ssl_context, (char *)host);
}

/* Verify a DER chain (leaf first); the testable core of imap_tls_verify(). */
static gboolean imap_tls_verify_der_chain(const GBytes *const *chain, guint n, const char *host,
                                          const char *ca_file, GError **error)
{
    gboolean ok = FALSE;
    gnutls_x509_trust_list_t trust = NULL;
    gnutls_x509_crt_t *certs = NULL;
    guint n_certs = 0;
    int r;

    if (n == 0) {
        g_set_error(error, CPR_ERROR, CPR_ERROR_TLS, "%s: the server sent no certificate", host);
        return FALSE;
    }
    r = gnutls_x509_trust_list_init(&trust, 0);
    if (r < 0) {
        g_set_error(error, CPR_ERROR, CPR_ERROR_TLS, "GnuTLS trust list: %s", gnutls_strerror(r));
        return FALSE;
    }
    /* The system store may legitimately be empty (minimal containers); ca_file
     * then has to carry the anchor, and verification fails clearly otherwise. */
    (void)gnutls_x509_trust_list_add_system_trust(trust, 0, 0);
    if (ca_file) {
        r = gnutls_x509_trust_list_add_trust_file(trust, ca_file, NULL, GNUTLS_X509_FMT_PEM, 0, 0);
        if (r <= 0) {
            g_set_error(error, CPR_ERROR, CPR_ERROR_TLS, "imap ca_file %s: %s", ca_file,
                        r < 0 ? gnutls_strerror(r) : "no certificate in the file");
            goto out;
        }
    }

    certs = g_new0(gnutls_x509_crt_t, n);
    for (guint i = 0; i < n; i++) {
        gsize len = 0;
        const guint8 *der = g_bytes_get_data((GBytes *)chain[i], &len);
        gnutls_datum_t datum = {(unsigned char *)der, (unsigned int)len};
        r = gnutls_x509_crt_init(&certs[i]);
        if (r < 0) {
            g_set_error(error, CPR_ERROR, CPR_ERROR_TLS, "GnuTLS: %s", gnutls_strerror(r));
            goto out;
        }
        n_certs = i + 1;
        r = gnutls_x509_crt_import(certs[i], &datum, GNUTLS_X509_FMT_DER);
        if (r < 0) {
            g_set_error(error, CPR_ERROR, CPR_ERROR_TLS,
                        "%s: certificate %u of the server's chain cannot be read: %s", host, i,
                        gnutls_strerror(r));
            goto out;
        }
    }

    gnutls_typed_vdata_st vdata[2] = {
        {.type = GNUTLS_DT_DNS_HOSTNAME, .data = (unsigned char *)host, .size = 0},
        {.type = GNUTLS_DT_KEY_PURPOSE_OID, .data = (unsigned char *)GNUTLS_KP_TLS_WWW_SERVER,
         .size = 0},
    };
    unsigned int status = 0;
    r = gnutls_x509_trust_list_verify_crt2(trust, certs, n, vdata, 2, 0, &status, NULL);
    if (r < 0) {
        g_set_error(error, CPR_ERROR, CPR_ERROR_TLS, "%s: certificate verification failed: %s",
                    host, gnutls_strerror(r));
        goto out;
    }
    if (status != 0) {
        gnutls_datum_t out = {NULL, 0};
        const char *why = "unknown reason";
        if (gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &out, 0) == 0 &&
            out.data)
            why = g_strstrip((char *)out.data);
        g_set_error(error, CPR_ERROR, CPR_ERROR_TLS,
                    "%s: the server's certificate is not trusted for this host: %s", host, why);
        gnutls_free(out.data);
        goto out;
    }
    ok = TRUE;
out:
    for (guint i = 0; i < n_certs; i++)
        gnutls_x509_crt_deinit(certs[i]);
    g_free(certs);
    gnutls_x509_trust_list_deinit(trust, 1);
    return ok;
}

gboolean imap_tls_verify(mailstream *stream, const char *host, const char *ca_file,
                         GError **error)
{
    carray *chain = mailstream_get_certificate_chain(stream);
    if (!chain) {
        g_set_error(error, CPR_ERROR, CPR_ERROR_TLS,
                    "%s: no certificate chain on the stream (not a TLS connection?)", host);
        return FALSE;
    }
    guint n = carray_count(chain);
    GBytes **der = g_new0(GBytes *, n + 1);
    for (guint i = 0; i < n; i++) {
        MMAPString *s = carray_get(chain, i);
        der[i] = g_bytes_new(s->str, s->len);
    }
    mailstream_certificate_chain_free(chain);
    gboolean ok = imap_tls_verify_der_chain((const GBytes *const *)der, n, host, ca_file, error);
    for (guint i = 0; i < n; i++)
        g_bytes_unref(der[i]);
    g_free(der);
    return ok;
}
