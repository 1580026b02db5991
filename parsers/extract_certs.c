/* extract_certs.c - armor blocks: certificates pasted as PEM are read, every
 * other block (CSR, key, PGP) is blanked. */
#include "extract_internal.h"

#include <string.h>

static gboolean is_armor_line(const char *s, gsize a, gsize b, const char *what, char **label_r)
{
    gsize wl = strlen(what);
    if (b - a < wl + 10 || memcmp(s + a, "-----", 5) != 0 || memcmp(s + a + 5, what, wl) != 0 ||
        memcmp(s + b - 5, "-----", 5) != 0)
        return FALSE;
    *label_r = g_strndup(s + a + 5 + wl, b - a - 10 - wl);
    return TRUE;
}

static gboolean looks_base64_line(const char *s, gsize a, gsize b)
{
    if (b - a < 4)
        return FALSE;
    for (gsize i = a; i < b; i++)
        if (!(g_ascii_isalnum(s[i]) || s[i] == '+' || s[i] == '/' || s[i] == '='))
            return FALSE;
    return TRUE;
}

/* Step 1: armor blocks. CERTIFICATE blocks become certificate hits; every
 * block is blanked. */
void xt_scan_armor(Scan *sc)
{
    gsize pos = 0;
    while (pos < sc->len) {
        gsize a, b;
        gsize next = xt_quoted_line(sc, pos, &a, &b);
        char *label = NULL;
        if (!is_armor_line(sc->work, a, b, "BEGIN ", &label)) {
            pos = next;
            continue;
        }
        gsize block_start = pos;
        if (strcmp(label, "PGP SIGNED MESSAGE") == 0) {
            /* The signed text is the message: keep it, drop only the armor
             * header lines ("Hash: SHA256") up to the first blank line. */
            gsize q = next;
            while (q < sc->len) {
                gsize qa, qb;
                gsize q_next = xt_quoted_line(sc, q, &qa, &qb);
                if (qa == qb || memchr(sc->work + qa, ':', qb - qa) == NULL)
                    break;
                q = q_next;
            }
            xt_blank(sc->work, block_start, q);
            g_free(label);
            pos = q;
            continue;
        }
        /* find the matching END line */
        g_autofree char *end_line = g_strdup_printf("-----END %s-----", label);
        gsize q = next, block_end = 0;
        gboolean found = FALSE;
        while (q < sc->len) {
            gsize qe = xt_line_end(sc->work, sc->len, q);
            gsize qa = q, qb = qe;
            xt_strip_quoted(sc->work, &qa, &qb);
            if (qb - qa == strlen(end_line) && memcmp(sc->work + qa, end_line, qb - qa) == 0) {
                found = TRUE;
                block_end = qe;
                break;
            }
            char *other = NULL;
            if (is_armor_line(sc->work, qa, qb, "BEGIN ", &other)) {
                g_free(other);
                break; /* a new block starts: this one was truncated */
            }
            q = qe < sc->len ? qe + 1 : sc->len;
        }
        if (found) {
            if (strcmp(label, "CERTIFICATE") == 0) {
                GPtrArray *certs = certinfo_from_pem_text(sc->text + block_start, block_end - block_start);
                while (certs->len > 0) {
                    Hit h = { block_start, sc->hits->len, HIT_CERT, NULL, g_ptr_array_steal_index(certs, 0) };
                    g_array_append_val(sc->hits, h);
                }
                g_ptr_array_unref(certs);
            }
            xt_blank(sc->work, block_start, block_end);
            pos = block_end;
        } else {
            /* Truncated: drop the BEGIN line and the base64 that follows. */
            gsize r = next;
            while (r < sc->len) {
                gsize ra, rb;
                gsize r_next = xt_quoted_line(sc, r, &ra, &rb);
                if (!looks_base64_line(sc->work, ra, rb))
                    break;
                r = r_next;
            }
            xt_blank(sc->work, block_start, r);
            pos = r > next ? r : next;
        }
        g_free(label);
    }
}

