/* content_digest.c - the digest of a message without its trace fields
 * (content_digest.h). */
#include "content_digest.h"

#include <string.h>

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

/* Feed [p, end) with CR LF and lone CR turned into LF. */
static void update_lf(GChecksum *sum, const guint8 *p, const guint8 *end)
{
    const guint8 *run = p;
    for (; p < end; p++) {
        if (*p != '\r')
            continue;
        g_checksum_update(sum, run, p - run);
        if (p + 1 >= end || p[1] != '\n')
            g_checksum_update(sum, (const guchar *)"\n", 1);
        run = p + 1;
    }
    g_checksum_update(sum, run, end - run);
}

char *content_digest_sha256(const guint8 *raw, gsize len)
{
    g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
    const guint8 *p = raw ? raw : (const guint8 *)"", *end = p + (raw ? len : 0);
    gboolean skipping = FALSE;
    while (p < end) {
        const guint8 *nl = memchr(p, '\n', end - p);
        const guint8 *line_end = nl ? nl + 1 : end;
        gsize n = line_end - p;
        /* the empty line that ends the header: the body follows as it is */
        if ((n == 1 && p[0] == '\n') || (n == 2 && p[0] == '\r' && p[1] == '\n')) {
            update_lf(sum, p, end);
            break;
        }
        if (p[0] == ' ' || p[0] == '\t') {
            /* a continuation line belongs to the field above it */
            if (!skipping)
                update_lf(sum, p, line_end);
        } else {
            const guint8 *colon = memchr(p, ':', n);
            skipping = colon && is_trace((const char *)p, colon - p);
            if (!skipping)
                update_lf(sum, p, line_end);
        }
        p = line_end;
    }
    return g_strdup(g_checksum_get_string(sum));
}
