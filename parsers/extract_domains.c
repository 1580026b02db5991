/* extract_domains.c - DNS names of the certificates concerned. */
#include "extract_internal.h"
#include "textutil.h"

#include <string.h>

/* ----------------------------------------------------------------- domains */

/* Last labels that make a dotted word a file name, not a host. */
static const char *const file_extensions[] = {
    "pem", "crt", "cer", "der", "csr", "key", "txt", "csv", "pdf", "zip", "html", "htm",
    "png", "jpg", "jpeg", "gif", "svg", "eml", "json", "xml", "conf", "cfg", "ini", "log",
    "p12", "pfx", "p7b", "p7c", "crl", "jks", "js", "py", "sh", "md", "cgi", "php", "asp",
    "aspx", "exe", "doc", "docx", "xls", "xlsx", "gz", "tgz", "yaml", "yml", "bat", "msg",
    "jws", "jwk", "jwt", "asc", "sig", "p7s", "p7m", "tar", "xz", "bz2", "7z", "rar",
    NULL,
};

/* Sites people cite when reporting, never the certificate they report. */
static const char *const reference_hosts[] = {
    "crt.sh", "bugzilla.mozilla.org", "groups.google.com", "wiki.mozilla.org", "ccadb.org",
    "cabforum.org", NULL,
};

gboolean xt_site_before(const Scan *sc, const Patterns *p, gsize pos)
{
    gsize from = pos;
    while (from > 0 && sc->work[from - 1] != '\n' && pos - from < 48)
        from--;
    while (from < pos && ((guchar)sc->work[from] & 0xc0) == 0x80)
        from++; /* not in the middle of a UTF-8 character */
    return from < pos &&
           g_regex_match_full(p->site_before, sc->work + from, (gssize)(pos - from), 0, 0, NULL, NULL);
}

gboolean xt_domain_in_list(const char *d, const char *const *list)
{
    if (list == NULL)
        return FALSE;
    for (gsize i = 0; list[i]; i++) {
        const char *item = list[i];
        while (*item == '.' || *item == '*')
            item++;
        if (*item == '\0')
            continue;
        if (domain_is_or_under(d, item))
            return TRUE;
    }
    return FALSE;
}

/* `raw` as written (a DNS name, maybe "*." and a trailing dot): the normalised
 * domain, or NULL when it is a file name, a version, a reference site or
 * ignored. */
char *xt_domain_accept(const char *raw, gsize n, const char *const *ignore)
{
    while (n > 0 && raw[n - 1] == '.')
        n--;
    if (n == 0 || n > 253)
        return NULL;
    g_autofree char *orig = g_strndup(raw, n);
    const char *last_dot = strrchr(orig, '.');
    if (last_dot == NULL)
        return NULL;
    const char *tld = last_dot + 1;
    gsize tld_len = strlen(tld);
    if (tld_len < 2 || !g_ascii_isalpha(tld[0]))
        return NULL;
    /* "end.Next" or "Sentence.Without" is a sentence typed without a space,
     * not a host: people write TLDs all lower or all upper case. */
    if (g_ascii_isupper(tld[0])) {
        gboolean rest_lower = TRUE;
        for (const char *c = tld + 1; *c; c++)
            if (!g_ascii_islower(*c))
                rest_lower = FALSE;
        if (rest_lower)
            return NULL;
    }
    char *d = g_ascii_strdown(orig, -1);
    const char *dtld = d + (tld - orig);
    for (gsize i = 0; file_extensions[i]; i++)
        if (strcmp(dtld, file_extensions[i]) == 0)
            goto fail;
    const char *bare = g_str_has_prefix(d, "*.") ? d + 2 : d;
    if (xt_domain_in_list(bare, reference_hosts) || xt_domain_in_list(bare, ignore))
        goto fail;
    return d;
fail:
    g_free(d);
    return NULL;
}

/* The word before `pos` makes the name a mail host ("the mail system at host
 * mx.relay.example", "Reporting-MTA: dns; mx.relay.example", "Received: from
 * X by Y"), not a certificate's. */
static gboolean names_mail_host(const char *w, gsize pos)
{
    static const char *const words[] = {"host", "dns;", "mta", "mta:", "by", "helo", "ehlo", NULL};
    /* "This is the qmail-send program at relay.example", "the mailer at ..." */
    static const char *const before_at[] = {"program", "mailer", "daemon", "mta", "relay", NULL};
    gsize e = pos;
    while (e > 0 && (w[e - 1] == ' ' || w[e - 1] == '\t'))
        e--;
    gsize s = e;
    while (s > 0 && e - s < 8 && w[s - 1] != ' ' && w[s - 1] != '\t' && w[s - 1] != '\n')
        s--;
    for (gsize i = 0; words[i]; i++)
        if (e - s == strlen(words[i]) && g_ascii_strncasecmp(w + s, words[i], e - s) == 0)
            return TRUE;
    if (e - s == 2 && g_ascii_strncasecmp(w + s, "at", 2) == 0) {
        gsize e2 = s;
        while (e2 > 0 && (w[e2 - 1] == ' ' || w[e2 - 1] == '\t'))
            e2--;
        gsize s2 = e2;
        while (s2 > 0 && e2 - s2 < 12 && g_ascii_isalpha(w[s2 - 1]))
            s2--;
        for (gsize i = 0; before_at[i]; i++)
            if (e2 - s2 == strlen(before_at[i]) && g_ascii_strncasecmp(w + s2, before_at[i], e2 - s2) == 0)
                return TRUE;
    }
    return FALSE;
}

/* The CAA issuer values of the zone-file lines of the text ("0 issue
 * \"ca.example\""): another CA's name, never a certificate's. */
static GHashTable *caa_issuers(const Scan *sc)
{
    GHashTable *set = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    static const char *const tags[] = {"issue \"", "issuewild \"", NULL};
    for (gsize t = 0; tags[t]; t++) {
        const char *q = sc->work, *end = sc->work + sc->len;
        gsize tl = strlen(tags[t]);
        while (q < end && (q = g_strstr_len(q, end - q, tags[t])) != NULL) {
            q += tl;
            gsize n = 0;
            while (q + n < end && (g_ascii_isalnum(q[n]) || q[n] == '.' || q[n] == '-'))
                n++;
            if (n > 0)
                g_hash_table_add(set, g_ascii_strdown(q, (gssize)n));
        }
    }
    return set;
}

/* The line of `pos` is a zone-file record ("x.example. 3600 IN CAA ..."). */
static gboolean on_dns_record_line(const Scan *sc, const Patterns *p, gsize pos)
{
    gsize a = pos, b = xt_line_end(sc->work, sc->len, pos);
    while (a > 0 && sc->work[a - 1] != '\n' && pos - a < 1024)
        a--;
    return g_regex_match_full(p->dns_record, sc->work + a, (gssize)(b - a), 0, 0, NULL, NULL);
}

/* Step 5: the DNS names that are left. */
void xt_scan_domains(Scan *sc, const Patterns *p)
{
    g_autoptr(GHashTable) issuers = caa_issuers(sc);
    GMatchInfo *mi = NULL;
    g_regex_match_full(p->domain, sc->work, (gssize)sc->len, 0, 0, &mi, NULL);
    while (g_match_info_matches(mi)) {
        gint s = 0, e = 0;
        g_match_info_fetch_pos(mi, 0, &s, &e);
        /* a name followed by a path is a link without its scheme
         * ("registry.example/acme/web:1.4"): a location, unless the text
         * calls it the site reported */
        gboolean path = (gsize)e + 1 < sc->len && sc->work[e] == '/' &&
                        !g_ascii_isspace(sc->work[e + 1]);
        char *d = NULL;
        if (!names_mail_host(sc->work, (gsize)s) && !on_dns_record_line(sc, p, (gsize)s) &&
            (!path || xt_site_before(sc, p, (gsize)s)))
            d = xt_domain_accept(sc->work + s, (gsize)(e - s), sc->ignore);
        if (d && g_hash_table_contains(issuers, g_str_has_prefix(d, "*.") ? d + 2 : d))
            g_clear_pointer(&d, g_free);
        xt_hits_add(sc->hits, (gsize)s, HIT_DOMAIN, d);
        g_match_info_next(mi, NULL);
    }
    g_match_info_free(mi);
}

