/* content_digest.c - the digest of a message without its trace fields
 * (content_digest.h). */
#include "content_digest.h"

#include <string.h>

#include <gnutls/crypto.h>

static const char *const TRACE_FIELDS[] = {
    "received", "delivered-to", "return-path", "x-original-to", "authentication-results",
    "dkim-signature",
};

static gboolean is_trace(const char *name, gsize n)
{
    if (n >= 4 && !g_ascii_strncasecmp(name, "arc-", 4))
        return TRUE;
    for (gsize i = 0; i < G_N_ELEMENTS(TRACE_FIELDS); i++)
        if (strlen(TRACE_FIELDS[i]) == n && !g_ascii_strncasecmp(name, TRACE_FIELDS[i], n))
            return TRUE;
    return FALSE;
}

/* The bytes to hash go through a buffer, so that a CR LF message costs one
 * hash update per 64 KiB instead of one per line; GnuTLS's SHA-256 uses the
 * CPU's SHA extensions where GLib's portable code does not. */
typedef struct {
    gnutls_hash_hd_t h;
    gsize n;
    guint8 buf[64 * 1024];
} Digest;

static void put(Digest *d, const guint8 *p, gsize n)
{
    if (d->n + n > sizeof d->buf) {
        (void)gnutls_hash(d->h, d->buf, d->n);
        d->n = 0;
        if (n >= sizeof d->buf) {
            (void)gnutls_hash(d->h, p, n);
            return;
        }
    }
    memcpy(d->buf + d->n, p, n);
    d->n += n;
}

/* Feed [p, end) with CR LF and lone CR turned into LF. */
static void update_lf(Digest *d, const guint8 *p, const guint8 *end)
{
    while (p < end) {
        const guint8 *cr = memchr(p, '\r', (gsize)(end - p));
        if (!cr) {
            put(d, p, (gsize)(end - p));
            return;
        }
        put(d, p, (gsize)(cr - p));
        if (cr + 1 >= end || cr[1] != '\n')
            put(d, (const guint8 *)"\n", 1);
        p = cr + 1;
    }
}

char *content_digest_sha256(const guint8 *raw, gsize len)
{
    Digest *d = g_new(Digest, 1);
    d->n = 0;
    if (gnutls_hash_init(&d->h, GNUTLS_DIG_SHA256) != 0)
        g_error("content_digest: SHA-256 unavailable");
    const guint8 *p = raw ? raw : (const guint8 *)"", *end = p + (raw ? len : 0);
    gboolean skipping = FALSE;
    while (p < end) {
        const guint8 *nl = memchr(p, '\n', end - p);
        const guint8 *line_end = nl ? nl + 1 : end;
        gsize n = line_end - p;
        /* the empty line that ends the header: the body follows as it is */
        if ((n == 1 && p[0] == '\n') || (n == 2 && p[0] == '\r' && p[1] == '\n')) {
            update_lf(d, p, end);
            break;
        }
        if (p[0] == ' ' || p[0] == '\t') {
            /* a continuation line belongs to the field above it */
            if (!skipping)
                update_lf(d, p, line_end);
        } else {
            const guint8 *colon = memchr(p, ':', n);
            skipping = colon && is_trace((const char *)p, colon - p);
            if (!skipping)
                update_lf(d, p, line_end);
        }
        p = line_end;
    }
    (void)gnutls_hash(d->h, d->buf, d->n);
    guint8 md[32];
    gnutls_hash_deinit(d->h, md);
    g_free(d);
    char *hex = g_malloc(sizeof md * 2 + 1);
    for (gsize i = 0; i < sizeof md; i++) {
        hex[2 * i] = "0123456789abcdef"[md[i] >> 4];
        hex[2 * i + 1] = "0123456789abcdef"[md[i] & 15];
    }
    hex[sizeof md * 2] = '\0';
    return hex;
}
