/* extract_crtsh.c - crt.sh references in every link and text form; then
 * links, Message-IDs and addresses are blanked. */
#include "extract_internal.h"

#include <string.h>

/* Step 2: crt.sh references, then links and people. */
void xt_scan_links(Scan *sc, const Patterns *p)
{
    GMatchInfo *mi = NULL;

    g_regex_match(p->crtsh_url, sc->work, 0, &mi);
    while (g_match_info_matches(mi)) {
        gint s = 0, e = 0, qs = 0, qe = 0;
        g_match_info_fetch_pos(mi, 0, &s, &e);
        g_match_info_fetch_pos(mi, 1, &qs, &qe);
        g_autofree char *query = g_strndup(sc->work + qs, (gsize)(qe - qs));
        char **params = g_strsplit_set(query, "&;", 32);
        for (guint i = 0; params[i]; i++) {
            char *eq = strchr(params[i], '=');
            if (eq == NULL)
                continue;
            *eq = '\0';
            const char *k = params[i];
            char *v = eq + 1;
            gsize vl = strlen(v);
            while (vl > 0 && strchr(".,:;", v[vl - 1]) != NULL)
                v[--vl] = '\0'; /* "https://crt.sh/?id=123." ends a sentence */
            if ((g_ascii_strcasecmp(k, "id") == 0 || g_ascii_strcasecmp(k, "d") == 0) && vl > 0 && vl <= 20 &&
                strspn(v, "0123456789") == vl)
                xt_hits_add(sc->hits, (gsize)s, HIT_CRTSH, g_strdup(v));
            else if ((g_ascii_strcasecmp(k, "sha256") == 0 || g_ascii_strcasecmp(k, "q") == 0) && vl == 64 &&
                     xt_is_hex_string(v, vl))
                xt_hits_add(sc->hits, (gsize)s, HIT_SHA256, g_ascii_strdown(v, -1));
            else if (g_ascii_strcasecmp(k, "serial") == 0)
                xt_hits_add(sc->hits, (gsize)s, HIT_SERIAL, extract_normalize_serial(v));
        }
        g_strfreev(params);
        xt_blank(sc->work, (gsize)s, (gsize)e);
        g_match_info_next(mi, NULL);
    }
    g_match_info_free(mi);

    g_regex_match(p->crtsh_text, sc->work, 0, &mi);
    while (g_match_info_matches(mi)) {
        gint s = 0, e = 0;
        g_match_info_fetch_pos(mi, 0, &s, &e);
        xt_hits_add(sc->hits, (gsize)s, HIT_CRTSH, g_match_info_fetch(mi, 1));
        xt_blank(sc->work, (gsize)s, (gsize)e);
        g_match_info_next(mi, NULL);
    }
    g_match_info_free(mi);

    /* Links, Message-IDs and addresses are blanked; only the host of a link
     * the text calls the site reported ("Le site https://x.example/login
     * imite ...", "Phishing URL: hxxps://...") is taken, as a domain. */
    GRegex *blank_these[] = { p->url, p->msgid, p->email, p->email_obfuscated };
    for (gsize i = 0; i < G_N_ELEMENTS(blank_these); i++) {
        g_regex_match(blank_these[i], sc->work, 0, &mi);
        while (g_match_info_matches(mi)) {
            gint s = 0, e = 0;
            g_match_info_fetch_pos(mi, 0, &s, &e);
            if (blank_these[i] == p->url && xt_site_before(sc, p, (gsize)s)) {
                const char *host = strstr(sc->work + s, "://") + 3;
                gsize n = strcspn(host, "/:?#[] \t\r\n<>\"");
                if (host + n <= sc->work + e)
                    xt_hits_add(sc->hits, (gsize)s, HIT_DOMAIN, xt_domain_accept(host, n, sc->ignore));
            }
            xt_blank(sc->work, (gsize)s, (gsize)e);
            g_match_info_next(mi, NULL);
        }
        g_match_info_free(mi);
    }
}

