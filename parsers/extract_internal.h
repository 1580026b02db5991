/* extract_internal.h - what the parts of the identifier extractor share
 * (parsers/extract*.c; the public interface is extract.h). */
#ifndef CPR_EXTRACT_INTERNAL_H
#define CPR_EXTRACT_INTERNAL_H

#include <glib.h>
#include "extract.h"
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
    GRegex *label_ignore; /* a hash or key word anywhere in a label ending in ':' */
    GRegex *site_before;  /* "the site", "phishing": a link's host is the name reported */
    GRegex *dns_record;   /* a zone-file line ("x. 3600 IN CAA 0 issue \"ca\"") */
    GRegex *domain;
} Patterns;

typedef struct {
    Identifiers *ids;
    GHashTable *seen[4]; /* indexed by HitKind for the four string lists */
    GHashTable *seen_certs;
    guint named_domains; /* domains taken from text (not from SANs) */
    const char *const *ignore;
} Builder;

typedef struct {
    const char *text; /* the original, for certificates */
    char *work;       /* the blanked copy */
    gsize len;
    GArray *hits;
    const char *const *ignore;
    gsize list_line; /* 1 + start of the last line found in a serial list; 0: none */
} Scan;

/* extract_util.c */
gboolean xt_is_hex_string(const char *s, gsize n);
void xt_blank(char *work, gsize a, gsize b);
void xt_hits_add(GArray *hits, gsize pos, HitKind kind, char *value);
gsize xt_line_end(const char *s, gsize len, gsize pos);
void xt_strip_quoted(const char *s, gsize *a, gsize *b);
/* The line of the working copy that starts at `pos`: [*a, *b) is its text
 * stripped as by xt_strip_quoted(); returns where the next line starts
 * (sc->len after the last). */
gsize xt_quoted_line(const Scan *sc, gsize pos, gsize *a, gsize *b);

/* extract_serials.c */
char *xt_serial_from_decimal(const char *digits, gsize n);
void xt_scan_separated(Scan *sc, const Patterns *p, GRegex *re, gboolean colon);
void xt_scan_runs(Scan *sc, const Patterns *p);
/* extract_domains.c */
gboolean xt_domain_in_list(const char *d, const char *const *list);
char *xt_domain_accept(const char *raw, gsize n, const char *const *ignore);
void xt_scan_domains(Scan *sc, const Patterns *p);
/* The text right before `pos` on its line names a site ("Le site ",
 * "Phishing URL: "): a link or a bare name at `pos` is the name reported. */
gboolean xt_site_before(const Scan *sc, const Patterns *p, gsize pos);
/* extract_certs.c */
void xt_scan_armor(Scan *sc);
/* extract_crtsh.c */
void xt_scan_links(Scan *sc, const Patterns *p);
/* extract_tables.c */
void xt_scan_tables(Scan *sc);

#endif
