/* selfreport.c - is a report the Subscriber's own? (see selfreport.h) */
#include "selfreport.h"

#include <string.h>

#include "certinfo.h"
#include "textutil.h"

/* Mailbox providers whose addresses anyone can get: a sender there controls
 * no domain of a certificate issued for the provider's own names. */
static const char *const SHARED_MAIL_DOMAINS[] = {
    "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "msn.com",
    "yahoo.com", "ymail.com", "aol.com", "icloud.com", "me.com", "mac.com", "proton.me",
    "protonmail.com", "pm.me", "gmx.com", "gmx.net", "gmx.de", "web.de", "mail.com",
    "mail.ru", "yandex.ru", "yandex.com", "zoho.com", "qq.com", "163.com", "126.com",
    "fastmail.com", "tutanota.com", "hey.com", NULL,
};

gboolean selfreport_shared_mail_domain(const char *domain)
{
    for (gsize i = 0; domain && SHARED_MAIL_DOMAINS[i]; i++)
        if (!g_ascii_strcasecmp(domain, SHARED_MAIL_DOMAINS[i]))
            return TRUE;
    return FALSE;
}

void selfreport_free(SelfReport **s)
{
    if (!s || !*s)
        return;
    g_free((*s)->email);
    g_free((*s)->name);
    g_free((*s)->domain);
    g_free((*s)->phrase);
    g_free(*s);
    *s = NULL;
}

/* A certificate domain and a mail domain belong together: one is the other
 * or under it. A wildcard's "*." is not part of the name. */
static gboolean related(const char *cert_domain, const char *mail_domain)
{
    while (g_str_has_prefix(cert_domain, "*."))
        cert_domain += 2;
    return *cert_domain && (domain_is_or_under(cert_domain, mail_domain) ||
                            domain_is_or_under(mail_domain, cert_domain));
}

static const char *domain_of(const char *email)
{
    const char *at = email ? strrchr(email, '@') : NULL;
    return at && at[1] ? at + 1 : NULL;
}

/* The one domain every From and Reply-To address is at, or NULL. */
static const char *sender_domain(const MimeMessage *msg)
{
    const char *domain = NULL;
    const GPtrArray *lists[] = {msg->from, msg->reply_to};
    for (gsize l = 0; l < G_N_ELEMENTS(lists); l++)
        for (guint i = 0; lists[l] && i < lists[l]->len; i++) {
            const MimeAddress *a = g_ptr_array_index(lists[l], i);
            const char *d = domain_of(a->email);
            if (!d || (domain && g_ascii_strcasecmp(d, domain)))
                return NULL;
            domain = d;
        }
    return domain;
}

/* The words saying the certificate, key or domain is the sender's, or NULL.
 * Quoted lines ("> ...") are someone else's words. */
static char *ownership_phrase(const MimeMessage *msg)
{
    static GRegex *re;
    static gsize once;
    if (g_once_init_enter(&once)) {
        re = g_regex_new(
            "\\b(?:(?:our|my)\\s+(?:own\\s+)?(?:(?:tls|ssl|web\\s*site|server)\\s+)?"
            "(?:certificates?|certs?|private\\s+keys?|keys?\\s+pairs?|domains?|web\\s*sites?)"
            "|(?:we\\s+are|we're|i\\s+am|i'm)\\s+the\\s+(?:subscriber|certificate\\s+(?:owner|holder))"
            "|(?:revoke|revocation\\s+of)\\s+(?:our|my)"
            "|issued\\s+(?:to|for)\\s+(?:us|me)\\b)",
            G_REGEX_CASELESS | G_REGEX_OPTIMIZE, 0, NULL);
        g_once_init_leave(&once, 1);
    }
    if (!re)
        return NULL;
    g_autoptr(GString) own = g_string_new(msg->subject ? msg->subject : "");
    g_string_append_c(own, '\n');
    g_auto(GStrv) lines = g_strsplit(msg->text ? msg->text : "", "\n", -1);
    for (gsize i = 0; lines[i]; i++) {
        const char *l = lines[i];
        while (*l == ' ' || *l == '\t')
            l++;
        if (*l != '>')
            g_string_append_printf(own, "%s\n", lines[i]);
    }
    g_autoptr(GMatchInfo) mi = NULL;
    if (!g_regex_match(re, own->str, 0, &mi))
        return NULL;
    char *phrase = g_match_info_fetch(mi, 0);
    return g_strdelimit(phrase, "\r\n\t", ' ');
}

/* Every domain the report concerns is related to `domain`, and there is one. */
static gboolean all_domains_related(const Identifiers *ids, const char *domain)
{
    guint n = 0;
    for (guint i = 0; ids->domains && i < ids->domains->len; i++, n++)
        if (!related(g_ptr_array_index(ids->domains, i), domain))
            return FALSE;
    for (guint c = 0; ids->certs && c < ids->certs->len; c++) {
        const CertInfo *ci = g_ptr_array_index(ids->certs, c);
        if (!ci->sans || ci->sans->len == 0)
            return FALSE; /* a certificate of no domain: not the sender's to claim */
        for (guint i = 0; i < ci->sans->len; i++, n++)
            if (!related(g_ptr_array_index(ci->sans, i), domain))
                return FALSE;
    }
    return n > 0;
}

SelfReport *selfreport_detect(const MimeMessage *msg, const Identifiers *ids,
                              const char *const *ca_domains)
{
    if (!msg || !ids || !msg->from || msg->from->len != 1)
        return NULL;
    const char *domain = sender_domain(msg);
    if (!domain || !strchr(domain, '.') || selfreport_shared_mail_domain(domain))
        return NULL;
    for (gsize i = 0; ca_domains && ca_domains[i]; i++)
        if (domain_is_or_under(domain, ca_domains[i]))
            return NULL;
    if (!all_domains_related(ids, domain))
        return NULL;
    char *phrase = ownership_phrase(msg);
    if (!phrase)
        return NULL;
    const MimeAddress *to = msg->reply_to && msg->reply_to->len > 0
                                ? g_ptr_array_index(msg->reply_to, 0)
                                : g_ptr_array_index(msg->from, 0);
    const MimeAddress *from = g_ptr_array_index(msg->from, 0);
    const char *name = to->name && *to->name ? to->name
                       : !g_ascii_strcasecmp(to->email, from->email) ? from->name
                                                                     : NULL;
    SelfReport *s = g_new0(SelfReport, 1);
    s->email = g_ascii_strdown(to->email, -1);
    if (name && *name) {
        s->name = g_strstrip(g_strdelimit(g_strdup(name), "\r\n\t", ' '));
        if (!*s->name)
            g_clear_pointer(&s->name, g_free);
    }
    s->domain = g_ascii_strdown(domain, -1);
    s->phrase = phrase;
    return s;
}
