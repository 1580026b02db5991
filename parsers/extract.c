/* extract.c - certificate identifiers named by a message (see extract.h).
 *
 * Pure: a parsed message in, normalised identifiers out. How one text is read
 * (scan_text):
 *
 *   1. armor blocks ("-----BEGIN X-----" .. "-----END X-----") are cut out of a
 *      working copy; CERTIFICATE blocks are parsed by certinfo, everything else
 *      (CSRs, keys, PGP) is only removed, so it can never yield identifiers;
 *   2. crt.sh references are read ("crt.sh/?id=N", "?sha256=HEX", "crt.sh ID N"),
 *      then every URL, e-mail address and Message-ID is blanked: their hosts and
 *      hex-looking parts are links and people, not certificates;
 *   3. hex notations are read: separated pairs ("68:51:..", "12 65 .."), then
 *      runs ("0x6851..", "6851.."). What a run means depends on its length and
 *      on the label just before it ("Serial:", "SHA-256 fingerprint:",
 *      "número de serie", "serial (decimal):"), see classify_separated() and
 *      scan_runs(); a reply's subject ("Re: ...") is not read (subject_is_reply);
 *   4. tables with a header row (CSV, markdown, tab or semicolon separated)
 *      give serial / sha256 / crt.sh columns;
 *   5. DNS names left in the text are domains, minus file names, version
 *      numbers, reference sites and the caller's ignore list.
 *
 * Blanking replaces bytes by spaces (newlines kept), so positions and line
 * structure survive and every later step sees only what earlier ones left.
 *
 * Which domains: the domains the reporter names (subject, text, text and CSV
 * attachments). The SAN dNSNames of certificates found count only when the
 * message names no domain at all: a reporter who writes "the certificate for
 * saltcellar-bistro.test" is reporting that name, not every other SAN of the
 * certificate (sample 003: its cert also lists www.saltcellar-bistro.test), while
 * a bare attached certificate still gives the case its domains.
 *
 * The steps live in their own files: extract_certs.c (1), extract_crtsh.c (2),
 * extract_serials.c (3), extract_tables.c (4), extract_domains.c (5). */
#include "extract_internal.h"

#include <string.h>

/* ---------------------------------------------------------------- patterns */

/* Compiled once per process and shared: GRegex is immutable and safe to use
 * from several threads. They live until exit (see tests/lsan.supp). */
static const Patterns *xt_patterns(void)
{
    static gsize once = 0;
    static Patterns p;
    if (g_once_init_enter(&once)) {
        const GRegexCompileFlags f = G_REGEX_OPTIMIZE;
        GError *error = NULL;
        static const struct {
            GRegex **slot;
            const char *source;
            GRegexCompileFlags flags;
        } table[] = {
            /* crt.sh/?id=N, crt.sh/?sha256=HEX, crt.sh?q=HEX&... : the query */
            { &p.crtsh_url, "crt\\.sh/?\\?([A-Za-z0-9_=&;%.:+,-]{1,512})", G_REGEX_CASELESS },
            /* "crt.sh 123", "crt.sh ID 123", "crt.sh id: 123", "crt.sh #123" */
            { &p.crtsh_text,
              "(?<![A-Za-z0-9_.])crt\\.sh(?:[ \\t]*ids?\\b)?[ \\t]*[:#=]?[ \\t]*#?([0-9]{1,20})(?![0-9])",
              G_REGEX_CASELESS },
            { &p.url, "\\b(?:h(?:tt|xx)ps?|ftps?)://[^\\s<>\"]{1,4096}", G_REGEX_CASELESS },
            { &p.msgid, "<[^<>\\s@]{1,512}@[^<>\\s]{1,512}>", 0 },
            { &p.email, "[A-Za-z0-9._%+=~'-]{1,256}@[A-Za-z0-9-]{1,63}(?:\\.[A-Za-z0-9-]{1,63}){0,126}", 0 },
            { &p.email_obfuscated,
              "[A-Za-z0-9._%+-]{1,256}[ \\t]*(?:\\[at\\]|\\(at\\)|\\{at\\}|\\[@\\])[ \\t]*"
              "[A-Za-z0-9-]{1,63}(?:[ \\t]*(?:\\.|\\[dot\\]|\\(dot\\)|\\{dot\\})[ \\t]*[A-Za-z0-9-]{1,63}){1,126}",
              G_REGEX_CASELESS },
            /* 68:51:92:F1 .. ; a line may break after a colon (openssl -text).
             * Possessive: a shorter run always ends before ":XX", never valid. */
            { &p.colon_seq,
              "(?<![0-9A-Za-z:.\\-_])[0-9A-Fa-f]{2}(?::(?:[ \\t]*\\r?\\n[ \\t>]*)?[0-9A-Fa-f]{2}){1,63}+"
              "(?![0-9A-Za-z\\-_]|:[0-9A-Za-z:]|\\.[0-9A-Za-z])",
              0 },
            /* 12 65 76 04 .. ; may wrap onto the next (possibly quoted) line */
            { &p.space_seq,
              "(?<![0-9A-Za-z:.\\-_])[0-9A-Fa-f]{2}(?:(?:[ \\t]{1,2}|[ \\t]*\\r?\\n[ \\t>]*)[0-9A-Fa-f]{2}){1,63}"
              "(?![0-9A-Za-z:\\-_]|\\.[0-9A-Za-z])",
              0 },
            /* 0x6851.. or 6851.. as a whole word */
            { &p.hex_run,
              "(?<![0-9A-Za-z_+/.\\-])(0[xX])?([0-9A-Fa-f]{2,}+)(?![0-9A-Za-z_+/\\-]|\\.[0-9A-Za-z])", 0 },
            /* The label that ends a window of text just before a value. Groups:
             * 1 ignore, 2 sha256, 3 decimal serial, 4 serial, 5 fingerprint,
             * 6 "(sha-256)" suffix, 7 "(sha-1)" suffix. */
            { &p.label,
              "(?:^|[^a-z0-9])(?:"
              "(sha-?1|sha[ ]1|md5|key[ ]?identifier|keyid|key[ ]id|modulus|pub|signature(?:[ ]value)?"
              "|spki|pin-sha256|public[ ]key(?:[ ]hash)?|sha-?(?:384|512)|pgp|gpg|openpgp"
              "|tarball|archive|checksums?|sha256sums?|package|installer|download|iso|image)"
              "|(sha-?256|sha[ ]256|sha2)"
              "|((?:decimal|dec)[ ]serial(?:[ ]?number)?"
              "|serial(?:[ ]?number)?[ ]?(?:\\([ ]?(?:decimal|dec|base[ ]?10)[ ]?\\)|in[ ]decimal|\\[decimal\\]))"
              "|(serial(?:[ ]?number|[ ]no\\.?|[ ]nr\\.?|[ ]?#)?s?|seriennummer|seriennr\\.?|serienummer"
              "|n(?:u|ú)mero[ ]de[ ]s(?:e|é)rie|num(?:e|é)ro[ ]de[ ]s(?:e|é)rie|numero[ ]di[ ]serie|s/n)"
              "|(fingerprint|thumbprint|digest|hash)"
              ")"
              "(?:[ ](?:fingerprint|hash|digest|thumbprint|fp))?"
              "(?:[ ]?\\((?:hex|hexadecimal|(sha-?256)|(sha-?1))\\))?"
              "(?:[ ](?:of[ ]the[ ]certificate|del[ ]certificado|du[ ]certificat|des[ ]zertifikats))?"
              "[ ]?(?:[:=#]+|\\bis\\b|\\bes\\b|\\best\\b|\\bist\\b|\\bare\\b|-)?[ ]?"
              "(?:(?:0x)?[0-9a-f]{4,}[ ]?(?:[,;/&]|\\band\\b|\\by\\b|\\bund\\b|\\bet\\b)[ ]?)*"
              "[\"'(\\[]?[ ]?$",
              G_REGEX_CASELESS },
            /* Words of hashes, keys and downloads anywhere in a label line
             * ending in ':' ("SPKI SHA-256:", "SHA-1 thumbprint of the
             * first:", "Empreinte SHA-256 de l'archive :"): what follows is no
             * serial and no certificate's SHA-256. */
            { &p.label_ignore,
              "(?:^|[^a-z0-9])(?:sha-?1|sha[ ]1|md5|spki|pin-sha256|public[ ]key|key[ ]?identifier"
              "|keyid|modulus|pgp|gpg|openpgp|tarball|archives?|archiv|checksums?|sha256sums?"
              "|packages?|paquet|paket|fichier|datei|installer|dkim|commits?)(?:$|[^a-z0-9])",
              G_REGEX_CASELESS },
            /* a site named just before a link: "Le site ", "the phishing page
             * at ", "Phishing URL: ", "fake website: " */
            { &p.site_before,
              "(?:^|[^\\w])(?:phish\\w*|malicious|fraudulent|scam\\w*|fake|hame\\x{e7}onnage"
              "|fraud\\w*|betr\\x{fc}\\w*|(?:web[ ]?)?site|webseite|sitio|sito|p\\x{e1}gina)"
              "(?:[ ](?:url|link|page|web[ ]?site|site|domain))?[ ]?(?:at|is|:|-)?[ ]?$",
              G_REGEX_CASELESS },
            /* a zone-file line: its names are DNS records, not certificates */
            { &p.dns_record,
              "\\bIN[ \\t]+(?:CAA|TXT|A|AAAA|CNAME|MX|NS|SOA|TLSA|SRV|HTTPS|SVCB)\\b", 0 },
            /* DNS names, optionally "*." and a trailing dot */
            { &p.domain,
              "(?<![A-Za-z0-9_\\-.@%+/\\\\\\x{80}-\\x{10FFFF}])(\\*\\.)?"
              "((?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.){1,126}"
              "[A-Za-z](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)\\.?"
              "(?![A-Za-z0-9_\\-@\\x{80}-\\x{10FFFF}]|\\.[A-Za-z0-9])",
              0 },
        };
        for (gsize i = 0; i < G_N_ELEMENTS(table); i++) {
            *table[i].slot = g_regex_new(table[i].source, f | table[i].flags, 0, &error);
            /* The patterns are constants: failing to compile is a programming
             * error caught by the first test run, not a runtime condition. */
            if (*table[i].slot == NULL)
                g_error("extract: pattern %" G_GSIZE_FORMAT " does not compile: %s", i, error->message);
        }
        g_once_init_leave(&once, 1);
    }
    return &p;
}

/* --------------------------------------------------------------- the hits */

static void hit_clear(gpointer p)
{
    Hit *h = p;
    g_free(h->value);
    certinfo_free(&h->cert);
}

static gint hit_compare(gconstpointer a, gconstpointer b)
{
    const Hit *x = a, *y = b;
    if (x->pos != y->pos)
        return x->pos < y->pos ? -1 : 1;
    return x->seq < y->seq ? -1 : (x->seq > y->seq);
}

static GPtrArray *builder_list(Builder *b, HitKind kind)
{
    switch (kind) {
    case HIT_SERIAL: return b->ids->serials;
    case HIT_SHA256: return b->ids->sha256;
    case HIT_CRTSH: return b->ids->crtsh_ids;
    case HIT_DOMAIN: return b->ids->domains;
    default: return NULL;
    }
}

static void builder_add(Builder *b, HitKind kind, const char *value)
{
    GPtrArray *list = builder_list(b, kind);
    if (list == NULL || value == NULL)
        return;
    if (g_hash_table_contains(b->seen[kind], value))
        return;
    if (list->len >= MAX_IDS_PER_LIST) {
        b->ids->truncated = TRUE;
        return;
    }
    char *copy = g_strdup(value);
    g_hash_table_add(b->seen[kind], copy);
    g_ptr_array_add(list, g_strdup(value));
}

/* Takes ownership of `cert`. */
static void builder_add_cert(Builder *b, CertInfo *cert)
{
    if (g_hash_table_contains(b->seen_certs, cert->sha256_hex) || b->ids->certs->len >= MAX_IDS_PER_LIST) {
        certinfo_free(&cert);
        return;
    }
    g_hash_table_add(b->seen_certs, g_strdup(cert->sha256_hex));
    builder_add(b, HIT_SERIAL, cert->serial_hex);
    builder_add(b, HIT_SHA256, cert->sha256_hex);
    g_ptr_array_add(b->ids->certs, cert);
}

static void builder_take_hits(Builder *b, GArray *hits)
{
    g_array_sort(hits, hit_compare);
    for (guint i = 0; i < hits->len; i++) {
        Hit *h = &g_array_index(hits, Hit, i);
        if (h->kind == HIT_CERT) {
            builder_add_cert(b, h->cert);
            h->cert = NULL;
            continue;
        }
        if (h->kind == HIT_DOMAIN)
            b->named_domains++;
        builder_add(b, h->kind, h->value);
    }
}

/* ------------------------------------------------------------ text scanning */

/* Google Groups footers (also quoted) and "-- " signature blocks name the list,
 * the sender's company and links: never the certificate. */
static void scan_footers(Scan *sc)
{
    static const char gg[] = "You received this message because you are subscribed to the Google Groups";
    gsize pos = 0;
    while (pos < sc->len) {
        gsize a, b;
        gsize next = xt_quoted_line(sc, pos, &a, &b);
        gboolean footer = (b - a >= sizeof gg - 1) && memcmp(sc->work + a, gg, sizeof gg - 1) == 0;
        gboolean sig = (b - a == 2 && memcmp(sc->work + a, "--", 2) == 0);
        if (!footer && !sig) {
            pos = next;
            continue;
        }
        /* to the end of the paragraph (footer) or up to quoted / forwarded
         * text (signature) */
        gsize q = next;
        while (q < sc->len) {
            gsize qe = xt_line_end(sc->work, sc->len, q);
            gsize qa = q, qb = qe;
            if (footer) {
                xt_strip_quoted(sc->work, &qa, &qb);
                if (qa == qb)
                    break;
            } else {
                const char *l = sc->work + q;
                gsize n = qe - q;
                if ((n > 0 && l[0] == '>') || g_strstr_len(l, (gssize)n, "wrote:") ||
                    g_strstr_len(l, (gssize)n, "Original Message") || g_str_has_prefix(l, "From:") ||
                    g_strstr_len(l, (gssize)n, "-----BEGIN"))
                    break;
            }
            q = qe < sc->len ? qe + 1 : sc->len;
        }
        xt_blank(sc->work, pos, q);
        pos = q > next ? q : next;
    }
}


/* `text` must be valid UTF-8, `len` bytes. */
static void scan_text(Builder *b, const char *text, gsize len)
{
    if (text == NULL || len == 0)
        return;
    const Patterns *p = xt_patterns();
    Scan sc = { text, g_strndup(text, len), len, g_array_new(FALSE, FALSE, sizeof(Hit)), b->ignore };
    g_array_set_clear_func(sc.hits, hit_clear);
    /* a NUL inside would end every regex early: treat it as a space */
    for (gsize i = 0; i < len; i++)
        if (sc.work[i] == '\0')
            sc.work[i] = ' ';

    xt_scan_armor(&sc);
    scan_footers(&sc);
    xt_scan_links(&sc, p);
    xt_scan_separated(&sc, p, p->colon_seq, TRUE);
    xt_scan_separated(&sc, p, p->space_seq, FALSE);
    xt_scan_runs(&sc, p);
    xt_scan_tables(&sc);
    xt_scan_domains(&sc, p);

    builder_take_hits(b, sc.hits);
    g_array_unref(sc.hits);
    g_free(sc.work);
}

/* ------------------------------------------------------------- attachments */

static gboolean mostly_text(const guint8 *d, gsize n)
{
    if (memchr(d, '\0', MIN(n, 65536)) != NULL)
        return FALSE;
    return g_utf8_validate((const char *)d, (gssize)MIN(n, 65536), NULL) || n > 65536;
}

static void scan_attachment(Builder *b, const MimeAttachment *att)
{
    if (att == NULL || att->data == NULL)
        return;
    gsize n = 0;
    const guint8 *d = g_bytes_get_data(att->data, &n);
    if (d == NULL || n == 0)
        return;
    const char *ct = att->content_type ? att->content_type : "";

    /* DER: a SEQUENCE with a long-form length. Any attachment that parses is
     * a certificate, whatever it was labelled (application/pkix-cert, .cer,
     * .der, octet-stream). */
    if (n > 2 && d[0] == 0x30 && (d[1] & 0x80)) {
        CertInfo *cert = certinfo_from_der(d, n, NULL);
        if (cert) {
            builder_add_cert(b, cert);
            return;
        }
    }
    if (g_str_has_prefix(ct, "text/") || mostly_text(d, n)) {
        gsize take = MIN(n, MAX_ATTACHMENT_SCAN_BYTES);
        char *text = g_utf8_make_valid((const char *)d, (gssize)take);
        scan_text(b, text, strlen(text));
        g_free(text);
        return;
    }
    /* binary with PEM inside (a .crt saved with odd bytes around it) */
    if (g_strstr_len((const char *)d, (gssize)MIN(n, MAX_ATTACHMENT_SCAN_BYTES), "-----BEGIN CERTIFICATE-----")) {
        GPtrArray *certs = certinfo_from_pem_text((const char *)d, MIN(n, MAX_ATTACHMENT_SCAN_BYTES));
        while (certs->len > 0)
            builder_add_cert(b, g_ptr_array_steal_index(certs, 0));
        g_ptr_array_unref(certs);
    }
}

/* ------------------------------------------------------------------ public */

/* "Re:", "RE:", "AW:", "SV:", "Antw:", "R:", "Réf.:" and the like, possibly
 * after a "[list]" tag. Forwards are not replies: a forwarded report is news. */
static gboolean subject_is_reply(const char *subject)
{
    static const char *const prefixes[] = { "re", "aw", "sv", "antw", "antwort", "r", "ref", "réf", "vs", NULL };
    const char *s = subject;
    while (*s == ' ' || *s == '\t')
        s++;
    if (*s == '[') {
        const char *close = strchr(s, ']');
        if (close)
            s = close + 1;
        while (*s == ' ')
            s++;
    }
    for (gsize i = 0; prefixes[i]; i++) {
        gsize n = strlen(prefixes[i]);
        if (g_ascii_strncasecmp(s, prefixes[i], n) != 0)
            continue;
        const char *t = s + n;
        if (*t == '.')
            t++;
        if (*t == '[') { /* "Re[2]:" */
            while (*t && *t != ']')
                t++;
            if (*t == ']')
                t++;
        }
        if (*t == ':')
            return TRUE;
    }
    return FALSE;
}

/* A monitoring service names itself ("a notice from KeyWatch (keywatch.example)")
 * and a reporter signs with their company's name: when the message also names
 * other domains, the sender's own are not the certificates'. (A subscriber
 * who writes only about their own domain keeps it.) */
static void drop_sender_domains(GPtrArray *domains, const MimeMessage *msg)
{
    if (msg == NULL || msg->from == NULL || domains->len < 2)
        return;
    const char *own[8] = { NULL };
    gsize n = 0;
    for (guint i = 0; i < msg->from->len && n + 1 < G_N_ELEMENTS(own); i++) {
        const MimeAddress *a = g_ptr_array_index(msg->from, i);
        const char *at = a->email ? strrchr(a->email, '@') : NULL;
        if (at && at[1])
            own[n++] = at + 1;
    }
    guint others = 0;
    for (guint i = 0; i < domains->len; i++)
        others += !xt_domain_in_list(g_ptr_array_index(domains, i), own);
    if (others == 0 || others == domains->len)
        return;
    for (guint i = domains->len; i-- > 0;)
        if (xt_domain_in_list(g_ptr_array_index(domains, i), own))
            g_ptr_array_remove_index(domains, i);
}

static Identifiers *identifiers_new(void)
{
    Identifiers *ids = g_new0(Identifiers, 1);
    ids->serials = g_ptr_array_new_with_free_func(g_free);
    ids->sha256 = g_ptr_array_new_with_free_func(g_free);
    ids->crtsh_ids = g_ptr_array_new_with_free_func(g_free);
    ids->domains = g_ptr_array_new_with_free_func(g_free);
    ids->certs = g_ptr_array_new_with_free_func(certinfo_destroy);
    return ids;
}

Identifiers *extract_identifiers(const MimeMessage *msg, const char *const *ignore_domains)
{
    Builder b = { identifiers_new(), { NULL }, NULL, 0, ignore_domains };
    for (int i = 0; i < 4; i++)
        b.seen[i] = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    b.seen_certs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

    if (msg != NULL) {
        /* A reply's subject repeats the thread's: what it names is already on
         * the case the reply joins (sample 002), and is not news here. */
        if (msg->subject && !subject_is_reply(msg->subject))
            scan_text(&b, msg->subject, strlen(msg->subject));
        if (msg->text)
            scan_text(&b, msg->text, strlen(msg->text));
        if (msg->attachments)
            for (guint i = 0; i < msg->attachments->len; i++)
                scan_attachment(&b, g_ptr_array_index(msg->attachments, i));
    }

    /* SAN domains only when the message itself named none (see the top). */
    if (b.named_domains == 0) {
        for (guint i = 0; i < b.ids->certs->len; i++) {
            const CertInfo *c = g_ptr_array_index(b.ids->certs, i);
            for (guint j = 0; j < c->sans->len; j++) {
                const char *san = g_ptr_array_index(c->sans, j);
                const char *bare = g_str_has_prefix(san, "*.") ? san + 2 : san;
                if (!xt_domain_in_list(bare, ignore_domains))
                    builder_add(&b, HIT_DOMAIN, san);
            }
        }
    }

    drop_sender_domains(b.ids->domains, msg);

    for (int i = 0; i < 4; i++)
        g_hash_table_unref(b.seen[i]);
    g_hash_table_unref(b.seen_certs);
    return b.ids;
}

gboolean extract_identifiers_empty(const Identifiers *ids)
{
    if (ids == NULL)
        return TRUE;
    return ids->serials->len == 0 && ids->sha256->len == 0 && ids->crtsh_ids->len == 0 &&
           ids->domains->len == 0 && ids->certs->len == 0;
}

void extract_identifiers_free(Identifiers **ids)
{
    if (ids == NULL || *ids == NULL)
        return;
    Identifiers *i = *ids;
    g_ptr_array_unref(i->serials);
    g_ptr_array_unref(i->sha256);
    g_ptr_array_unref(i->crtsh_ids);
    g_ptr_array_unref(i->domains);
    g_ptr_array_unref(i->certs);
    g_free(i);
    *ids = NULL;
}

