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
 * a bare attached certificate still gives the case its domains. */
#include "extract.h"

#include <string.h>

#include "certinfo.h"

/* Serials written in text need this many hex digits: shorter runs are times,
 * counters and MAC-like noise; real serials carry >= 64 bits (BR 7.1). */
#define MIN_TEXT_SERIAL_DIGITS 8
/* "0x..." without a label: longer than a PGP long key ID (16 digits). */
#define MIN_BARE_0X_SERIAL_DIGITS 18
/* A serial is at most 20 octets (RFC 5280 4.1.2.2). */
#define MAX_SERIAL_BYTES 20
/* Longest separated run the patterns follow; longer runs are skipped whole. */
#define MAX_SEPARATED_PAIRS 64
/* How far before a value its label is looked for. */
#define LABEL_WINDOW_BYTES 160
#define MAX_IDS_PER_LIST EXTRACT_MAX_IDS_PER_LIST
/* Text read from one attachment. */
#define MAX_ATTACHMENT_SCAN_BYTES (4u * 1024 * 1024)

typedef enum { HIT_SERIAL, HIT_SHA256, HIT_CRTSH, HIT_DOMAIN, HIT_CERT } HitKind;

typedef struct {
    gsize pos;
    guint seq; /* insertion order, to keep the sort stable */
    HitKind kind;
    char *value;    /* owned; NULL for HIT_CERT */
    CertInfo *cert; /* owned; HIT_CERT only */
} Hit;

typedef enum {
    LABEL_NONE,
    LABEL_SERIAL,
    LABEL_SERIAL_DEC,
    LABEL_SHA256,
    LABEL_FINGERPRINT, /* "fingerprint" alone: sha256 when 32 bytes */
    LABEL_IGNORE,      /* SHA-1, MD5, key identifiers, PGP, moduli, ... */
} Label;

typedef struct {
    GRegex *crtsh_url;
    GRegex *crtsh_text;
    GRegex *url;
    GRegex *msgid;
    GRegex *email;
    GRegex *email_obfuscated;
    GRegex *colon_seq;
    GRegex *space_seq;
    GRegex *hex_run;
    GRegex *label;
    GRegex *domain;
} Patterns;

typedef struct {
    Identifiers *ids;
    GHashTable *seen[4]; /* indexed by HitKind for the four string lists */
    GHashTable *seen_certs;
    guint named_domains; /* domains taken from text (not from SANs) */
    const char *const *ignore;
} Builder;

/* ---------------------------------------------------------------- patterns */

/* Compiled once per process and shared: GRegex is immutable and safe to use
 * from several threads. They live until exit (see tests/lsan.supp). */
static const Patterns *patterns(void)
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
            { &p.crtsh_url, "crt\\.sh/?\\?([A-Za-z0-9_=&;%.:+-]{1,512})", G_REGEX_CASELESS },
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
              "|spki|pin-sha256|public[ ]key(?:[ ]hash)?|sha-?(?:384|512)|pgp|gpg|openpgp)"
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

/* ------------------------------------------------------------ small helpers */

static gboolean is_hex_string(const char *s, gsize n)
{
    for (gsize i = 0; i < n; i++)
        if (!g_ascii_isxdigit(s[i]))
            return FALSE;
    return n > 0;
}

/* Blank [a, b) of the working copy, keeping newlines (line structure is what
 * labels and tables are read by). The range always covers whole UTF-8
 * characters, so the copy stays valid UTF-8. */
static void blank(char *work, gsize a, gsize b)
{
    for (gsize i = a; i < b; i++)
        if (work[i] != '\n')
            work[i] = ' ';
}

/* Lowercase hex digits `hex` (no separators) as a serial: even length, leading
 * zero octets dropped, 1..20 octets, not zero. NULL otherwise. */
static char *serial_from_hex_digits(const char *hex, gsize n)
{
    if (n == 0 || !is_hex_string(hex, n))
        return NULL;
    GString *s = g_string_sized_new(n + 1);
    if (n % 2)
        g_string_append_c(s, '0');
    for (gsize i = 0; i < n; i++)
        g_string_append_c(s, g_ascii_tolower(hex[i]));
    gsize skip = 0;
    while (s->len - skip > 2 && s->str[skip] == '0' && s->str[skip + 1] == '0')
        skip += 2;
    g_string_erase(s, 0, (gssize)skip);
    if (s->len > 2 * MAX_SERIAL_BYTES || strspn(s->str, "0") == s->len) {
        g_string_free(s, TRUE);
        return NULL;
    }
    return g_string_free(s, FALSE);
}

/* A big decimal number as a serial. NULL when it does not fit 20 octets. */
static char *serial_from_decimal(const char *digits, gsize n)
{
    guint8 bytes[MAX_SERIAL_BYTES + 1] = { 0 };
    const gsize nb = sizeof bytes;
    if (n == 0 || n > 60)
        return NULL;
    for (gsize i = 0; i < n; i++) {
        if (!g_ascii_isdigit(digits[i]))
            return NULL;
        guint carry = (guint)(digits[i] - '0');
        for (gsize j = nb; j-- > 0;) {
            guint v = bytes[j] * 10u + carry;
            bytes[j] = (guint8)(v & 0xff);
            carry = v >> 8;
        }
        if (carry)
            return NULL;
    }
    GString *hex = g_string_new(NULL);
    for (gsize j = 0; j < nb; j++)
        g_string_append_printf(hex, "%02x", bytes[j]);
    char *serial = serial_from_hex_digits(hex->str, hex->len);
    g_string_free(hex, TRUE);
    return serial;
}

char *extract_normalize_serial(const char *text)
{
    if (text == NULL)
        return NULL;
    g_autofree char *t = g_strstrip(g_strdup(text));
    const char *s = t;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
        s += 2;
    if (*s == '\0')
        return NULL;
    GString *digits = g_string_new(NULL);
    gboolean separated = strpbrk(s, ": \t-") != NULL;
    gboolean ok = TRUE;
    if (separated) {
        /* Every group an even number of digits ("68:51", "6851 92f1"); only
         * the first may be odd ("8:51:.."). One kind of separator. */
        char sep = s[strcspn(s, ": \t-")];
        char seps[2] = { sep, '\0' };
        char **groups = g_strsplit(s, seps, -1);
        for (guint i = 0; groups[i] && ok; i++) {
            gsize n = strlen(groups[i]);
            if (n == 0 || !is_hex_string(groups[i], n) || (i > 0 && n % 2))
                ok = FALSE;
            else
                g_string_append(digits, groups[i]);
        }
        g_strfreev(groups);
    } else {
        g_string_append(digits, s);
    }
    char *serial = ok ? serial_from_hex_digits(digits->str, digits->len) : NULL;
    g_string_free(digits, TRUE);
    return serial;
}

/* ----------------------------------------------------------------- domains */

/* Last labels that make a dotted word a file name, not a host. */
static const char *const file_extensions[] = {
    "pem", "crt", "cer", "der", "csr", "key", "txt", "csv", "pdf", "zip", "html", "htm",
    "png", "jpg", "jpeg", "gif", "svg", "eml", "json", "xml", "conf", "cfg", "ini", "log",
    "p12", "pfx", "p7b", "p7c", "crl", "jks", "js", "py", "sh", "md", "cgi", "php", "asp",
    "aspx", "exe", "doc", "docx", "xls", "xlsx", "gz", "tgz", "yaml", "yml", "bat", "msg",
    NULL,
};

/* Sites people cite when reporting, never the certificate they report. */
static const char *const reference_hosts[] = {
    "crt.sh", "bugzilla.mozilla.org", "groups.google.com", "wiki.mozilla.org", "ccadb.org",
    "cabforum.org", NULL,
};

static gboolean domain_in_list(const char *d, const char *const *list)
{
    if (list == NULL)
        return FALSE;
    for (gsize i = 0; list[i]; i++) {
        const char *item = list[i];
        while (*item == '.' || *item == '*')
            item++;
        if (*item == '\0')
            continue;
        gsize dl = strlen(d), il = strlen(item);
        if (dl == il && g_ascii_strcasecmp(d, item) == 0)
            return TRUE;
        if (dl > il && d[dl - il - 1] == '.' && g_ascii_strcasecmp(d + dl - il, item) == 0)
            return TRUE;
    }
    return FALSE;
}

/* `raw` as written (a DNS name, maybe "*." and a trailing dot): the normalised
 * domain, or NULL when it is a file name, a version, a reference site or
 * ignored. */
static char *domain_accept(const char *raw, gsize n, const char *const *ignore)
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
            goto reject;
    const char *bare = g_str_has_prefix(d, "*.") ? d + 2 : d;
    if (domain_in_list(bare, reference_hosts) || domain_in_list(bare, ignore))
        goto reject;
    return d;
reject:
    g_free(d);
    return NULL;
}

/* --------------------------------------------------------------- the hits */

static void hit_clear(gpointer p)
{
    Hit *h = p;
    g_free(h->value);
    certinfo_free(&h->cert);
}

static void hits_add(GArray *hits, gsize pos, HitKind kind, char *value)
{
    if (value == NULL)
        return;
    Hit h = { pos, hits->len, kind, value, NULL };
    g_array_append_val(hits, h);
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

typedef struct {
    const char *text; /* the original, for certificates */
    char *work;       /* the blanked copy */
    gsize len;
    GArray *hits;
    const char *const *ignore;
} Scan;

static gsize line_end(const char *s, gsize len, gsize pos)
{
    const char *nl = memchr(s + pos, '\n', len - pos);
    return nl ? (gsize)(nl - s) : len;
}

/* The line [a, b) with quote markers, indentation and trailing white space
 * removed. */
static void strip_quoted(const char *s, gsize *a, gsize *b)
{
    while (*a < *b && (s[*a] == ' ' || s[*a] == '\t' || s[*a] == '>'))
        (*a)++;
    while (*b > *a && (s[*b - 1] == ' ' || s[*b - 1] == '\t' || s[*b - 1] == '\r'))
        (*b)--;
}

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
static void scan_armor(Scan *sc)
{
    gsize pos = 0;
    while (pos < sc->len) {
        gsize le = line_end(sc->work, sc->len, pos);
        gsize a = pos, b = le;
        gsize next = le < sc->len ? le + 1 : sc->len;
        char *label = NULL;
        strip_quoted(sc->work, &a, &b);
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
                gsize qe = line_end(sc->work, sc->len, q);
                gsize qa = q, qb = qe;
                strip_quoted(sc->work, &qa, &qb);
                if (qa == qb || memchr(sc->work + qa, ':', qb - qa) == NULL)
                    break;
                q = qe < sc->len ? qe + 1 : sc->len;
            }
            blank(sc->work, block_start, q);
            g_free(label);
            pos = q;
            continue;
        }
        /* find the matching END line */
        g_autofree char *end_line = g_strdup_printf("-----END %s-----", label);
        gsize q = next, block_end = 0;
        gboolean found = FALSE;
        while (q < sc->len) {
            gsize qe = line_end(sc->work, sc->len, q);
            gsize qa = q, qb = qe;
            strip_quoted(sc->work, &qa, &qb);
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
            blank(sc->work, block_start, block_end);
            pos = block_end;
        } else {
            /* Truncated: drop the BEGIN line and the base64 that follows. */
            gsize r = next;
            while (r < sc->len) {
                gsize re = line_end(sc->work, sc->len, r);
                gsize ra = r, rb = re;
                strip_quoted(sc->work, &ra, &rb);
                if (!looks_base64_line(sc->work, ra, rb))
                    break;
                r = re < sc->len ? re + 1 : sc->len;
            }
            blank(sc->work, block_start, r);
            pos = r > next ? r : next;
        }
        g_free(label);
    }
}

/* Google Groups footers (also quoted) and "-- " signature blocks name the list,
 * the sender's company and links: never the certificate. */
static void scan_footers(Scan *sc)
{
    static const char gg[] = "You received this message because you are subscribed to the Google Groups";
    gsize pos = 0;
    while (pos < sc->len) {
        gsize le = line_end(sc->work, sc->len, pos);
        gsize a = pos, b = le;
        gsize next = le < sc->len ? le + 1 : sc->len;
        strip_quoted(sc->work, &a, &b);
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
            gsize qe = line_end(sc->work, sc->len, q);
            gsize qa = q, qb = qe;
            if (footer) {
                strip_quoted(sc->work, &qa, &qb);
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
        blank(sc->work, pos, q);
        pos = q > next ? q : next;
    }
}

/* Step 2: crt.sh references, then links and people. */
static void scan_links(Scan *sc, const Patterns *p)
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
                hits_add(sc->hits, (gsize)s, HIT_CRTSH, g_strdup(v));
            else if ((g_ascii_strcasecmp(k, "sha256") == 0 || g_ascii_strcasecmp(k, "q") == 0) && vl == 64 &&
                     is_hex_string(v, vl))
                hits_add(sc->hits, (gsize)s, HIT_SHA256, g_ascii_strdown(v, -1));
            else if (g_ascii_strcasecmp(k, "serial") == 0)
                hits_add(sc->hits, (gsize)s, HIT_SERIAL, extract_normalize_serial(v));
        }
        g_strfreev(params);
        blank(sc->work, (gsize)s, (gsize)e);
        g_match_info_next(mi, NULL);
    }
    g_match_info_free(mi);

    g_regex_match(p->crtsh_text, sc->work, 0, &mi);
    while (g_match_info_matches(mi)) {
        gint s = 0, e = 0;
        g_match_info_fetch_pos(mi, 0, &s, &e);
        hits_add(sc->hits, (gsize)s, HIT_CRTSH, g_match_info_fetch(mi, 1));
        blank(sc->work, (gsize)s, (gsize)e);
        g_match_info_next(mi, NULL);
    }
    g_match_info_free(mi);

    /* Links, Message-IDs and addresses are blanked, nothing is taken. */
    GRegex *blank_these[] = { p->url, p->msgid, p->email, p->email_obfuscated };
    for (gsize i = 0; i < G_N_ELEMENTS(blank_these); i++) {
        g_regex_match(blank_these[i], sc->work, 0, &mi);
        while (g_match_info_matches(mi)) {
            gint s = 0, e = 0;
            g_match_info_fetch_pos(mi, 0, &s, &e);
            blank(sc->work, (gsize)s, (gsize)e);
            g_match_info_next(mi, NULL);
        }
        g_match_info_free(mi);
    }
}

/* The label, if any, that ends right before `start`: on the same line, or on
 * the line before when the value stands alone on its line ("Serial Number:\n
 *     68:51:.."). */
static Label label_before(Scan *sc, const Patterns *p, gsize start)
{
    /* Never look further back than the window: on a megabyte without a
     * newline, walking to the line start for every value is quadratic. */
    gsize floor_pos = start > 2 * LABEL_WINDOW_BYTES ? start - 2 * LABEL_WINDOW_BYTES : 0;
    gsize ls = start;
    while (ls > floor_pos && sc->work[ls - 1] != '\n')
        ls--;
    gsize from = ls;
    gboolean only_space = TRUE;
    for (gsize i = ls; i < start; i++)
        if (sc->work[i] != ' ' && sc->work[i] != '\t' && sc->work[i] != '>')
            only_space = FALSE;
    if (only_space && ls > 0 && sc->work[ls - 1] == '\n') {
        from = ls - 1;
        while (from > floor_pos && sc->work[from - 1] != '\n')
            from--;
    }
    if (start - from > LABEL_WINDOW_BYTES)
        from = start - LABEL_WINDOW_BYTES;
    while (from < start && ((guchar)sc->work[from] & 0xc0) == 0x80)
        from++; /* not in the middle of a UTF-8 character */
    if (from == start)
        return LABEL_NONE;

    /* one line of single spaces: the pattern is written for that */
    GString *w = g_string_sized_new(start - from);
    for (gsize i = from; i < start; i++) {
        char c = sc->work[i];
        if (c == '\n' || c == '\r' || c == '\t' || c == ' ' || c == '>') {
            if (w->len > 0 && w->str[w->len - 1] != ' ')
                g_string_append_c(w, ' ');
            continue;
        }
        g_string_append_c(w, c);
    }
    Label label = LABEL_NONE;
    GMatchInfo *mi = NULL;
    if (g_regex_match(p->label, w->str, 0, &mi)) {
        char *groups[8] = { NULL };
        for (int g = 1; g <= 7; g++) {
            groups[g] = g_match_info_fetch(mi, g);
            if (groups[g] && *groups[g] == '\0')
                g_clear_pointer(&groups[g], g_free);
        }
        if (groups[1] || groups[7])
            label = LABEL_IGNORE;
        else if (groups[2] || groups[6])
            label = LABEL_SHA256;
        else if (groups[3])
            label = LABEL_SERIAL_DEC;
        else if (groups[4])
            label = LABEL_SERIAL;
        else if (groups[5])
            label = LABEL_FINGERPRINT;
        for (int g = 1; g <= 7; g++)
            g_free(groups[g]);
    }
    g_match_info_free(mi);
    g_string_free(w, TRUE);
    return label;
}

/* A separated run of `npairs` octets, digits in `hex`. */
static void classify_separated(Scan *sc, const Patterns *p, gsize pos, const char *hex, guint npairs,
                               gboolean colon)
{
    if (npairs < 2)
        return;
    gboolean has_letter = FALSE;
    for (const char *c = hex; *c; c++)
        if (g_ascii_isalpha(*c))
            has_letter = TRUE;
    if (npairs == 32) {
        Label l = label_before(sc, p, pos);
        if (l != LABEL_IGNORE && l != LABEL_SERIAL_DEC)
            hits_add(sc->hits, pos, HIT_SHA256, g_ascii_strdown(hex, -1));
        return;
    }
    if (npairs > MAX_SERIAL_BYTES + 1 || strlen(hex) < MIN_TEXT_SERIAL_DIGITS)
        return;
    Label l = label_before(sc, p, pos);
    if (l == LABEL_SERIAL) {
        hits_add(sc->hits, pos, HIT_SERIAL, serial_from_hex_digits(hex, strlen(hex)));
        return;
    }
    if (l != LABEL_NONE)
        return; /* a SHA-1, a key identifier, a decimal label on hex: not a serial */
    /* Unlabelled: a 6-octet colon run is a MAC address; space-separated pairs of
     * digits only are phone numbers and tables, unless long. */
    if (colon && npairs == 6)
        return;
    if (!colon && !has_letter && npairs < 8)
        return;
    hits_add(sc->hits, pos, HIT_SERIAL, serial_from_hex_digits(hex, strlen(hex)));
}

/* Collect the octets of a separated match: returns the digits, sets npairs.
 * Pairs after a change of letter case are cut off: "... DC 89 de la" ends the
 * upper-case serial before the Spanish "de". */
static char *separated_digits(const char *m, gsize n, guint *npairs, gsize *used)
{
    GString *hex = g_string_new(NULL);
    int case_seen = 0; /* 0 none, 1 upper, 2 lower */
    gsize i = 0;
    *npairs = 0;
    *used = 0;
    while (i + 1 < n) {
        if (!g_ascii_isxdigit(m[i])) {
            i++;
            continue;
        }
        char a = m[i], b = m[i + 1];
        int c = 0;
        if (g_ascii_isupper(a) || g_ascii_isupper(b))
            c = 1;
        if (g_ascii_islower(a) || g_ascii_islower(b))
            c = c ? 3 : 2;
        if (c == 3 || (c && case_seen && c != case_seen))
            break;
        if (c)
            case_seen = c;
        g_string_append_c(hex, a);
        g_string_append_c(hex, b);
        (*npairs)++;
        i += 2;
        *used = i;
    }
    return g_string_free(hex, FALSE);
}

/* Step 3a: separated pairs. The matches are collected first and then read:
 * one pass of the pattern over the text (restarting a match at an offset makes
 * PCRE re-check the UTF-8 of the whole subject, quadratic on big texts). */
static void scan_separated(Scan *sc, const Patterns *p, GRegex *re, gboolean colon)
{
    GArray *spans = g_array_new(FALSE, FALSE, sizeof(gint) * 2);
    GMatchInfo *mi = NULL;
    g_regex_match_full(re, sc->work, (gssize)sc->len, 0, 0, &mi, NULL);
    while (g_match_info_matches(mi)) {
        gint se[2] = { 0, 0 };
        g_match_info_fetch_pos(mi, 0, &se[0], &se[1]);
        g_array_append_val(spans, se);
        g_match_info_next(mi, NULL);
    }
    g_match_info_free(mi);

    gsize skip_until = 0;
    for (guint i = 0; i < spans->len; i++) {
        const gint *se = &g_array_index(spans, gint, 2 * i);
        gsize s = (gsize)se[0], e = (gsize)se[1];
        if (s < skip_until)
            continue;
        guint npairs = 0;
        gsize used = 0;
        char *hex = separated_digits(sc->work + s, e - s, &npairs, &used);
        if (npairs >= MAX_SEPARATED_PAIRS) {
            /* The pattern stopped at its limit inside a longer run (a modulus, a
             * megabyte of "00 "): the whole run is nothing. */
            gsize q = e;
            while (q < sc->len && (g_ascii_isxdigit(sc->work[q]) || (sc->work[q] != '\0' && strchr(" :\t\r\n>", sc->work[q]) != NULL)))
                q++;
            skip_until = q;
            blank(sc->work, s, q);
            g_free(hex);
            continue;
        }
        classify_separated(sc, p, s, hex, npairs, colon);
        g_free(hex);
        blank(sc->work, s, s + (used ? used : e - s));
    }
    g_array_unref(spans);
}

/* Step 3b: runs of hex digits, with or without 0x. */
static void scan_runs(Scan *sc, const Patterns *p)
{
    GMatchInfo *mi = NULL;
    g_regex_match_full(p->hex_run, sc->work, (gssize)sc->len, 0, 0, &mi, NULL);
    while (g_match_info_matches(mi)) {
        gint s = 0, e = 0, hs = 0, he = 0, xs = -1, xe = -1;
        g_match_info_fetch_pos(mi, 0, &s, &e);
        g_match_info_fetch_pos(mi, 1, &xs, &xe);
        g_match_info_fetch_pos(mi, 2, &hs, &he);
        gboolean has0x = xs >= 0 && xe > xs;
        const char *hex = sc->work + hs;
        gsize n = (gsize)(he - hs);
        gsize pos = (gsize)s;
        if (n == 64 && !has0x) {
            Label l = label_before(sc, p, pos);
            if (l != LABEL_IGNORE && l != LABEL_SERIAL_DEC)
                hits_add(sc->hits, pos, HIT_SHA256, g_ascii_strdown(hex, 64));
        } else if (n >= MIN_TEXT_SERIAL_DIGITS && n <= 2 * (MAX_SERIAL_BYTES + 1)) {
            Label l = label_before(sc, p, pos);
            gboolean digits_only = strspn(hex, "0123456789") >= n;
            if (l == LABEL_SERIAL_DEC && digits_only && !has0x)
                hits_add(sc->hits, pos, HIT_SERIAL, serial_from_decimal(hex, n));
            else if (l == LABEL_SERIAL)
                hits_add(sc->hits, pos, HIT_SERIAL, serial_from_hex_digits(hex, n));
            else if (l == LABEL_NONE && has0x && n >= MIN_BARE_0X_SERIAL_DIGITS)
                hits_add(sc->hits, pos, HIT_SERIAL, serial_from_hex_digits(hex, n));
        } else if (n > 2 * (MAX_SERIAL_BYTES + 1) && n <= 60 && !has0x) {
            /* too long for hex, but a labelled decimal serial can be this long */
            if (strspn(hex, "0123456789") >= n && label_before(sc, p, pos) == LABEL_SERIAL_DEC)
                hits_add(sc->hits, pos, HIT_SERIAL, serial_from_decimal(hex, n));
        }
        g_match_info_next(mi, NULL);
    }
    g_match_info_free(mi);
}

/* ------------------------------------------------------------------ tables */

typedef enum { COL_NONE, COL_SERIAL, COL_SERIAL_DEC, COL_SHA256, COL_FINGERPRINT, COL_CRTSH, COL_DOMAIN } Column;

static Column column_kind(const char *cell)
{
    GString *n = g_string_new(NULL);
    for (const char *c = cell; *c; c++)
        if (g_ascii_isalnum(*c))
            g_string_append_c(n, g_ascii_tolower(*c));
    const char *s = n->str;
    Column k = COL_NONE;
    if (strstr(s, "sha1") || strstr(s, "md5"))
        k = COL_NONE;
    else if (strstr(s, "crtsh"))
        k = COL_CRTSH;
    else if (strstr(s, "sha256"))
        k = COL_SHA256;
    else if (strstr(s, "fingerprint") || strstr(s, "thumbprint"))
        k = COL_FINGERPRINT;
    else if (strstr(s, "serial") || strstr(s, "seriennummer") || strstr(s, "numerodeserie"))
        k = strstr(s, "dec") ? COL_SERIAL_DEC : COL_SERIAL;
    else if (strstr(s, "domain") || strstr(s, "dns") || strcmp(s, "name") == 0 || strcmp(s, "san") == 0 ||
             strcmp(s, "sans") == 0 || strcmp(s, "subjectaltname") == 0 || strcmp(s, "hostname") == 0 ||
             strcmp(s, "host") == 0 || strcmp(s, "fqdn") == 0 || strcmp(s, "cn") == 0 ||
             strcmp(s, "commonname") == 0)
        k = COL_DOMAIN;
    g_string_free(n, TRUE);
    return k;
}

/* Split one line on `delim`, honouring double quotes, trimming cells. */
static GPtrArray *split_cells(const char *line, gsize n, char delim)
{
    GPtrArray *cells = g_ptr_array_new_with_free_func(g_free);
    GString *cur = g_string_new(NULL);
    gboolean quoted = FALSE;
    for (gsize i = 0; i < n; i++) {
        char c = line[i];
        if (c == '"') {
            if (quoted && i + 1 < n && line[i + 1] == '"') {
                g_string_append_c(cur, '"');
                i++;
            } else {
                quoted = !quoted;
            }
        } else if (c == delim && !quoted) {
            g_ptr_array_add(cells, g_strstrip(g_strdup(cur->str)));
            g_string_truncate(cur, 0);
        } else {
            g_string_append_c(cur, c);
        }
        if (cells->len > 256)
            break;
    }
    g_ptr_array_add(cells, g_strstrip(g_strdup(cur->str)));
    g_string_free(cur, TRUE);
    return cells;
}

static char pick_delimiter(const char *line, gsize n)
{
    static const char order[] = { '|', '\t', ';', ',' };
    for (gsize i = 0; i < G_N_ELEMENTS(order); i++)
        if (memchr(line, order[i], n))
            return order[i];
    return '\0';
}

static void table_cell(Scan *sc, gsize pos, Column k, const char *v)
{
    gsize n = strlen(v);
    if (n == 0)
        return;
    switch (k) {
    case COL_SERIAL: {
        char *serial = extract_normalize_serial(v);
        gsize digits = 0;
        for (const char *c = v; *c; c++)
            digits += g_ascii_isxdigit(*c) ? 1 : 0;
        if (serial && digits >= MIN_TEXT_SERIAL_DIGITS)
            hits_add(sc->hits, pos, HIT_SERIAL, serial);
        else
            g_free(serial);
        break;
    }
    case COL_SERIAL_DEC:
        if (strspn(v, "0123456789") == n && n >= MIN_TEXT_SERIAL_DIGITS)
            hits_add(sc->hits, pos, HIT_SERIAL, serial_from_decimal(v, n));
        break;
    case COL_SHA256:
    case COL_FINGERPRINT: {
        GString *hex = g_string_new(NULL);
        gboolean ok = TRUE;
        for (const char *c = v; *c; c++) {
            if (g_ascii_isxdigit(*c))
                g_string_append_c(hex, g_ascii_tolower(*c));
            else if (*c != ':' && *c != ' ')
                ok = FALSE;
        }
        if (ok && hex->len == 64)
            hits_add(sc->hits, pos, HIT_SHA256, g_string_free(hex, FALSE));
        else
            g_string_free(hex, TRUE);
        break;
    }
    case COL_CRTSH:
        if (strspn(v, "0123456789") == n && n <= 20)
            hits_add(sc->hits, pos, HIT_CRTSH, g_strdup(v));
        break;
    default:
        break; /* domains: the domain pattern reads the whole text */
    }
}

/* Step 4: a header row naming serial / sha256 / crt.sh columns, then rows
 * using the same delimiter. */
static void scan_tables(Scan *sc)
{
    gsize pos = 0;
    while (pos < sc->len) {
        gsize le = line_end(sc->work, sc->len, pos);
        gsize a = pos, b = le;
        gsize next = le < sc->len ? le + 1 : sc->len;
        strip_quoted(sc->work, &a, &b);
        char delim = pick_delimiter(sc->work + a, b - a);
        if (delim == '\0' || b - a > 1024) {
            pos = next;
            continue;
        }
        GPtrArray *head = split_cells(sc->work + a, b - a, delim);
        Column cols[257];
        gboolean useful = FALSE, plausible = head->len >= 2;
        for (guint i = 0; i < head->len && i < G_N_ELEMENTS(cols); i++) {
            const char *h = g_ptr_array_index(head, i);
            if (strlen(h) > 40 || strpbrk(h, ":=") != NULL)
                plausible = FALSE; /* prose or "Serial: 6851..", not a header */
            cols[i] = column_kind(h);
            if (cols[i] != COL_NONE && cols[i] != COL_DOMAIN)
                useful = TRUE;
        }
        guint ncols = MIN(head->len, G_N_ELEMENTS(cols));
        g_ptr_array_unref(head);
        if (!useful || !plausible) {
            pos = next;
            continue;
        }
        pos = next;
        while (pos < sc->len) {
            gsize re = line_end(sc->work, sc->len, pos);
            gsize ra = pos, rb = re;
            strip_quoted(sc->work, &ra, &rb);
            if (ra == rb || !memchr(sc->work + ra, delim, rb - ra))
                break;
            GPtrArray *cells = split_cells(sc->work + ra, rb - ra, delim);
            for (guint i = 0; i < cells->len && i < ncols; i++)
                table_cell(sc, ra, cols[i], g_ptr_array_index(cells, i));
            g_ptr_array_unref(cells);
            pos = re < sc->len ? re + 1 : sc->len;
        }
    }
}

/* Step 5: the DNS names that are left. */
static void scan_domains(Scan *sc, const Patterns *p)
{
    GMatchInfo *mi = NULL;
    g_regex_match_full(p->domain, sc->work, (gssize)sc->len, 0, 0, &mi, NULL);
    while (g_match_info_matches(mi)) {
        gint s = 0, e = 0;
        g_match_info_fetch_pos(mi, 0, &s, &e);
        hits_add(sc->hits, (gsize)s, HIT_DOMAIN, domain_accept(sc->work + s, (gsize)(e - s), sc->ignore));
        g_match_info_next(mi, NULL);
    }
    g_match_info_free(mi);
}

/* `text` must be valid UTF-8, `len` bytes. */
static void scan_text(Builder *b, const char *text, gsize len)
{
    if (text == NULL || len == 0)
        return;
    const Patterns *p = patterns();
    Scan sc = { text, g_strndup(text, len), len, g_array_new(FALSE, FALSE, sizeof(Hit)), b->ignore };
    g_array_set_clear_func(sc.hits, hit_clear);
    /* a NUL inside would end every regex early: treat it as a space */
    for (gsize i = 0; i < len; i++)
        if (sc.work[i] == '\0')
            sc.work[i] = ' ';

    scan_armor(&sc);
    scan_footers(&sc);
    scan_links(&sc, p);
    scan_separated(&sc, p, p->colon_seq, TRUE);
    scan_separated(&sc, p, p->space_seq, FALSE);
    scan_runs(&sc, p);
    scan_tables(&sc);
    scan_domains(&sc, p);

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
                if (!domain_in_list(bare, ignore_domains))
                    builder_add(&b, HIT_DOMAIN, san);
            }
        }
    }

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
