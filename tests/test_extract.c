/* test_extract.c - extract: certificate identifiers named by a message.
 *
 * Unit rows build MimeMessage values by hand; the fixture tests read
 * tests/fixtures/text/ (plain texts, expectations in its manifest.json) and
 * every sample mail in tests/fixtures/samples/ through mime_message_parse. */
#include <string.h>

#include <glib.h>
#include <json-glib/json-glib.h>

#include "bounds.h"
#include "certinfo.h"
#include "extract.h"
#include "mime.h"
#include "testutil.h"

#define LEAF_SERIAL "8a6b3c4d5e6f70819293a4b5c6d7e8f9"
#define LEAF_SHA256 "f897c65c024aa7985737fcd3031d987a58a7a0228d330d3d9e53151204f796c6"
#define CA_SHA256 "4258bd11dda76897ba43dc468468ec861c79c0cfe45de90f323e90decc3bbd25"

/* The sample CA's own domains (tests/fixtures/samples/README.md). */
static const char *const sample_ignore[] = { "acmetrust.test", "acme-trust.test", NULL };

/* ------------------------------------------------------------- helpers */

static void attachment_free(gpointer p)
{
    MimeAttachment *a = p;
    g_free(a->filename);
    g_free(a->content_type);
    if (a->data)
        g_bytes_unref(a->data);
    g_free(a);
}

/* A hand-made message: only what extract reads. */
static MimeMessage *msg_new(const char *subject, const char *text)
{
    MimeMessage *m = g_new0(MimeMessage, 1);
    m->subject = g_strdup(subject);
    m->text = g_strdup(text ? text : "");
    m->attachments = g_ptr_array_new_with_free_func(attachment_free);
    return m;
}

static void msg_attach(MimeMessage *m, const char *filename, const char *content_type, GBytes *data)
{
    MimeAttachment *a = g_new0(MimeAttachment, 1);
    a->filename = g_strdup(filename);
    a->content_type = g_strdup(content_type);
    a->data = data;
    g_ptr_array_add(m->attachments, a);
}

static void msg_attach_text(MimeMessage *m, const char *filename, const char *content_type, const char *text)
{
    msg_attach(m, filename, content_type, g_bytes_new(text, strlen(text)));
}

static void msg_free(MimeMessage *m)
{
    g_free(m->subject);
    g_free(m->text);
    g_ptr_array_unref(m->attachments);
    g_free(m);
}

static char *join(const GPtrArray *a)
{
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < a->len; i++) {
        if (i)
            g_string_append_c(s, ',');
        g_string_append(s, g_ptr_array_index(a, i));
    }
    return g_string_free(s, FALSE);
}

/* `expected`: comma-separated list in first-seen order; NULL or "" = empty. */
static void assert_list(const char *what, const char *input, const GPtrArray *got, const char *expected)
{
    g_autofree char *g = join(got);
    const char *e = expected ? expected : "";
    if (g_strcmp0(g, e) != 0)
        g_test_message("%s of [%.80s]: got [%s], expected [%s]", what, input, g, e);
    g_assert_cmpstr(g, ==, e);
}

static gboolean list_has(const GPtrArray *a, const char *v)
{
    for (guint i = 0; i < a->len; i++)
        if (g_strcmp0(g_ptr_array_index(a, i), v) == 0)
            return TRUE;
    return FALSE;
}

/* ---------------------------------------------------- normalize_serial */

static void test_normalize_serial(void)
{
    static const struct {
        const char *in, *out; /* NULL: not a serial */
    } rows[] = {
        { "68:51:92:F1:31:28:05:55:40:4E:8D:8F:ED:60:66:DC:F3:A8", "685192f131280555404e8d8fed6066dcf3a8" },
        { "12 65 76 04 05 FF 03 E9 7B 3B E2 51 3F D7 F4 DC 89", "1265760405ff03e97b3be2513fd7f4dc89" },
        { "0x22CC8AE5BE01C6775F50D8063484009EF20D", "22cc8ae5be01c6775f50d8063484009ef20d" },
        { "49FF68E1FF99870FB9DC4D964B6E84A84479", "49ff68e1ff99870fb9dc4d964b6e84a84479" },
        { "  00:8a:6b:3c  ", "8a6b3c" },
        { "00 00 01", "01" },
        { "abc", "0abc" },
        { "8:51:92", "085192" },
        { "6851-92f1-3128", "685192f13128" },
        { "6851 92f1", "685192f1" },
        { "0102030405060708090a0b0c0d0e0f1011121314", "0102030405060708090a0b0c0d0e0f1011121314" },
        { "000102030405060708090a0b0c0d0e0f1011121314", "0102030405060708090a0b0c0d0e0f1011121314" },
        { "0102030405060708090a0b0c0d0e0f101112131415", NULL }, /* 21 octets */
        { "", NULL },
        { "   ", NULL },
        { "0x", NULL },
        { "00", NULL },
        { "00:00:00", NULL },
        { "xyz", NULL },
        { "68:51:9", NULL },
        { "68::51", NULL },
        { "68:51 92", NULL },
        { "serial 6851", NULL },
        { "12.34", NULL },
        { "ff\xc3\xa9", NULL },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
        char *got = extract_normalize_serial(rows[i].in);
        if (g_strcmp0(got, rows[i].out) != 0)
            g_test_message("normalize [%s]: got %s", rows[i].in, got ? got : "NULL");
        g_assert_cmpstr(got, ==, rows[i].out);
        g_free(got);
    }
    g_assert_null(extract_normalize_serial(NULL));
}

/* ---------------------------------------------------------- text rows */

typedef struct {
    const char *text;
    const char *serials, *sha256, *crtsh, *domains; /* NULL: must be empty */
} TextRow;

static void run_text_rows(const TextRow *rows, gsize n, const char *subject)
{
    for (gsize i = 0; i < n; i++) {
        MimeMessage *m = msg_new(subject, rows[i].text);
        Identifiers *ids = extract_identifiers(m, sample_ignore);
        assert_list("serials", rows[i].text, ids->serials, rows[i].serials);
        assert_list("sha256", rows[i].text, ids->sha256, rows[i].sha256);
        assert_list("crtsh_ids", rows[i].text, ids->crtsh_ids, rows[i].crtsh);
        assert_list("domains", rows[i].text, ids->domains, rows[i].domains);
        g_assert_true(extract_identifiers_empty(ids) ==
                      (!rows[i].serials && !rows[i].sha256 && !rows[i].crtsh && !rows[i].domains));
        extract_identifiers_free(&ids);
        g_assert_null(ids);
        msg_free(m);
    }
}

static void test_serial_notations(void)
{
    static const TextRow rows[] = {
        /* colon pairs, any case, with and without label */
        { "Serial:  68:51:92:F1:31:28:05:55:40:4E:8D:8F:ED:60:66:DC:F3:A8", "685192f131280555404e8d8fed6066dcf3a8" },
        { "The certificate (68:51:92:f1:31:28:05:55:40:4e:8d:8f:ed:60:66:dc:f3:a8) still validates.",
          "685192f131280555404e8d8fed6066dcf3a8" },
        /* space pairs, Spanish label, followed by Spanish words */
        { "(número de serie 12 65 76 04 05 FF 03 E9 7B 3B E2 51 3F D7 F4 DC 89 de la clave)",
          "1265760405ff03e97b3be2513fd7f4dc89" },
        { "número de serie 12 65 76 04 05 ff 03 e9 7b 3b e2 51 3f d7 f4 dc 89, https://crt.sh/?id=15617754473",
          "1265760405ff03e97b3be2513fd7f4dc89", NULL, "15617754473" },
        /* plain hex after labels in several languages */
        { "serial 22cc8ae5be01c6775f50d8063484009ef20d, thanks", "22cc8ae5be01c6775f50d8063484009ef20d" },
        { "Serial Number: 49FF68E1FF99870FB9DC4D964B6E84A84479.", "49ff68e1ff99870fb9dc4d964b6e84a84479" },
        { "Seriennummer: 5A0B1C2D3E4F56789A0B1C2D3E4F5678", "5a0b1c2d3e4f56789a0b1c2d3e4f5678" },
        { "numéro de série 5A0B1C2D3E4F56789A0B1C2D3E4F5678", "5a0b1c2d3e4f56789a0b1c2d3e4f5678" },
        { "S/N: 5a0b1c2d3e4f56789a0b1c2d3e4f5678", "5a0b1c2d3e4f56789a0b1c2d3e4f5678" },
        { "serial#5a0b1c2d3e4f5678", "5a0b1c2d3e4f5678" },
        { "Serial Number (hex): 00e1f2a3b4c5d6e7f8", "e1f2a3b4c5d6e7f8" },
        /* a label applies along a list */
        { "serials 5a0b1c2d3e4f5678, 6b1c2d3e4f506172 and 7c2d3e4f50617283",
          "5a0b1c2d3e4f5678,6b1c2d3e4f506172,7c2d3e4f50617283" },
        /* label on the line before (openssl -text) */
        { "        Serial Number:\n            04:2a:9f:11:83:bc:00:de:77:12\n", "042a9f1183bc00de7712" },
        /* a colon run broken after a colon */
        { "Serial: 68:51:92:F1:31:28:05:55:40:\n    4E:8D:8F:ED:60:66:DC:F3:A8", "685192f131280555404e8d8fed6066dcf3a8" },
        /* 0x */
        { "serial 0x5C2D9E0F1A3B4C5D6E7F8091A2B3C4D5", "5c2d9e0f1a3b4c5d6e7f8091a2b3c4d5" },
        { "we saw 0x5C2D9E0F1A3B4C5D6E7F8091A2B3C4D5 in the log", "5c2d9e0f1a3b4c5d6e7f8091a2b3c4d5" },
        { "error 0x80070005", NULL },
        { "key 0x1A2B3C4D5E6F7081", NULL },
        /* decimal only when labelled decimal */
        { "serial (decimal): 183990262256552662699979262822939355385", LEAF_SERIAL },
        { "Serial number (decimal) 1", NULL },
        { "decimal serial: 4294967296", "0100000000" },
        { "serial (decimal): 1461501637330902918203684832716283019655932542975", "ffffffffffffffffffffffffffffffffffffffff" },
        { "serial (decimal): 1461501637330902918203684832716283019655932542976", NULL }, /* 2^160 */
        { "serial (decimal): 12345678901234567890123456789012345678901234567890123456789012345", NULL },
        { "ticket 183990262256552662699979262822939355385", NULL },
        /* too short, too long, zero */
        { "Serial: 1a2b3c", NULL },
        { "Serial: 0000000000000000", NULL },
        { "Serial: 0102030405060708090a0b0c0d0e0f10111213141516", NULL },
        { "Serial: 01:02:03:04:05:06:07:08:09:0a:0b:0c:0d:0e:0f:10:11:12:13:14:15:16", NULL },
        /* unlabelled plain hex is not a serial (hashes, commits) */
        { "commit 3f786850e387550fdab836ed7e6dc881de23001b", NULL },
        { "deadbeefdeadbeefdeadbeefdeadbeef", NULL },
    };
    run_text_rows(rows, G_N_ELEMENTS(rows), NULL);
}

static void test_fingerprints(void)
{
    static const TextRow rows[] = {
        { "SHA-256 fingerprint: F6 51 B3 67 23 C5 72 0B 19 56 8E 63 64 FF EF 4A 3D CE CC DE 09 8E 12 D6 7F FB 0C C8 84 "
          "03 20 5A\nSerial: 49FF68E1FF99870FB9DC4D964B6E84A84479",
          "49ff68e1ff99870fb9dc4d964b6e84a84479", "f651b36723c5720b19568e6364ffef4a3dceccde098e12d67ffb0cc88403205a" },
        /* wrapped onto the next line */
        { "SHA-256 fingerprint: F6 51 B3 67 23 C5 72 0B 19 56 8E 63 64 FF EF 4A\n  3D CE CC DE 09 8E 12 D6 7F FB 0C "
          "C8 84 03 20 5A",
          NULL, "f651b36723c5720b19568e6364ffef4a3dceccde098e12d67ffb0cc88403205a" },
        /* unlabelled 32 octets is a SHA-256 */
        { "F6:51:B3:67:23:C5:72:0B:19:56:8E:63:64:FF:EF:4A:3D:CE:CC:DE:09:8E:12:D6:7F:FB:0C:C8:84:03:20:5A", NULL,
          "f651b36723c5720b19568e6364ffef4a3dceccde098e12d67ffb0cc88403205a" },
        { "sha256 F651B36723C5720B19568E6364FFEF4A3DCECCDE098E12D67FFB0CC88403205A", NULL,
          "f651b36723c5720b19568e6364ffef4a3dceccde098e12d67ffb0cc88403205a" },
        { "f651b36723c5720b19568e6364ffef4a3dceccde098e12d67ffb0cc88403205a", NULL,
          "f651b36723c5720b19568e6364ffef4a3dceccde098e12d67ffb0cc88403205a" },
        { "Fingerprint (SHA-256): f6:51:b3:67:23:c5:72:0b:19:56:8e:63:64:ff:ef:4a:3d:ce:cc:de:09:8e:12:d6:7f:fb:0c:"
          "c8:84:03:20:5a",
          NULL, "f651b36723c5720b19568e6364ffef4a3dceccde098e12d67ffb0cc88403205a" },
        /* SHA-1 is neither a serial nor a sha256 */
        { "SHA1 Fingerprint=3F:78:68:50:E3:87:55:0F:DA:B8:36:ED:7E:6D:C8:81:DE:23:00:1B", NULL },
        { "SHA-1: 3f 78 68 50 e3 87 55 0f da b8 36 ed 7e 6d c8 81 de 23 00 1b", NULL },
        { "Thumbprint: 3F786850E387550FDAB836ED7E6DC881DE23001B", NULL },
        { "X509v3 Subject Key Identifier: \n    11:A3:94:7A:EF:D9:00:58:E9:A1:E7:ED:4E:46:34:65:BE:AF:6D:27", NULL },
        { "keyid:07:C5:39:D2:9C:90:C1:56:D4:53:69:99:18:D4:79:78:89:56:62:26", NULL },
        /* a generic fingerprint label: only 32 octets count */
        { "fingerprint: 3F:78:68:50:E3:87:55:0F:DA:B8:36:ED:7E:6D:C8:81:DE:23:00:1B", NULL },
        /* 64 octets (SHA-512) are nothing */
        { "F6:51:B3:67:23:C5:72:0B:19:56:8E:63:64:FF:EF:4A:3D:CE:CC:DE:09:8E:12:D6:7F:FB:0C:C8:84:03:20:5A:"
          "F6:51:B3:67:23:C5:72:0B:19:56:8E:63:64:FF:EF:4A:3D:CE:CC:DE:09:8E:12:D6:7F:FB:0C:C8:84:03:20:5A",
          NULL },
    };
    run_text_rows(rows, G_N_ELEMENTS(rows), NULL);
}

static void test_crtsh(void)
{
    static const TextRow rows[] = {
        { "Link:    https://crt.sh/?id=12146349238", NULL, NULL, "12146349238" },
        { "The attached certificate (crt.sh 14521074235) issued by", NULL, NULL, "14521074235" },
        { "crt.sh ID 123456789, crt.sh id: 987654321 and CRT.SH #555", NULL, NULL, "123456789,987654321,555" },
        { "crt.sh?id=42&opt=ocsp", NULL, NULL, "42" },
        { "https://crt.sh/?d=10055573568", NULL, NULL, "10055573568" },
        { "https://crt.sh/?sha256=2B93BDFF010E7F319D979D865C292702348ABEEFFCF72BAB344179AA94338937", NULL,
          "2b93bdff010e7f319d979d865c292702348abeeffcf72bab344179aa94338937" },
        { "https://crt.sh/?q=2b93bdff010e7f319d979d865c292702348abeeffcf72bab344179aa94338937&opt=nometadata", NULL,
          "2b93bdff010e7f319d979d865c292702348abeeffcf72bab344179aa94338937" },
        { "https://crt.sh/?serial=5e0c6024e790530851af5a5e33a2da55", "5e0c6024e790530851af5a5e33a2da55" },
        { "https://crt.sh/?q=3f786850e387550fdab836ed7e6dc881de23001b", NULL },
        { "https://crt.sh/?id=", NULL },
        { "https://crt.sh/?id=15067136195. Could you", NULL, NULL, "15067136195" },
        { "see crt.sh for details", NULL },
        { "https://bugzilla.mozilla.org/show_bug.cgi?id=1971100", NULL },
    };
    run_text_rows(rows, G_N_ELEMENTS(rows), NULL);
}

static void test_domains(void)
{
    static const TextRow rows[] = {
        { "The TLS private key for checkout.larkspur-candles.test was left", NULL, NULL, NULL,
          "checkout.larkspur-candles.test" },
        { "with a 1024-bit RSA key for legacy.pinecrest-radio.test. Keys under 2048 bits (BR 6.1.5).", NULL, NULL,
          NULL, "legacy.pinecrest-radio.test" },
        { "SANs: WWW.Example-Shop.TEST, *.cdn.example-shop.test and a.quillon-net.test.", NULL, NULL, NULL,
          "www.example-shop.test,*.cdn.example-shop.test,a.quillon-net.test" },
        { "CN=www.saltcellar-bistro.test, O=Bistro", NULL, NULL, NULL, "www.saltcellar-bistro.test" },
        { "phishing at track-parcelwise.test/login?x=1", NULL, NULL, NULL, "track-parcelwise.test" },
        { "IDN xn--bcher-kva.test is fine", NULL, NULL, NULL, "xn--bcher-kva.test" },
        /* not domains */
        { "GlobalSign's CPS v9.7 still references the retired \"Method 3.2.2.4.6\"", NULL },
        { "files: saltcellar.pem, cert.crt, key.key, req.csr, a.der, b.cer, c.txt, d.csv, report.pdf, x.zip", NULL },
        { "more: index.html, a.htm, shot.png, p.jpg, m.eml, d.json, e.xml, nginx.conf, app.log, id.p12, id.pfx", NULL },
        { "code: app.js, tool.py, run.sh, README.md", NULL },
        { "links https://bitbucket.org/x/y and http://groups.google.com/a/b and https://bugzilla.mozilla.org/", NULL },
        { "write to rafferty@tidepool-sec.example or <CAocNTS0vv92rBlNYbVoXHowiRH7qbS=mY_gIwyY1k@mail.gmail.com>",
          NULL },
        { "mail j.doe [at] example [dot] org", NULL },
        { "e.g. this, i.e. that, Sentence.Without a space.", NULL },
        { "the CA's own www.acmetrust.test and ocsp.acme-trust.test and acmetrust.test", NULL },
        { "but notacmetrust.test is someone else", NULL, NULL, NULL, "notacmetrust.test" },
        { "crt.sh and bugzilla.mozilla.org are sites", NULL },
        { "IP 192.0.2.1 and 2001:db8::1 and ::ffff:192.0.2.1", NULL },
        { "bücher.test", NULL },
        { "a_b.example.test _acme-challenge.example.test", NULL },
    };
    run_text_rows(rows, G_N_ELEMENTS(rows), NULL);

    /* the subject is read too, and its names come first */
    static const TextRow with_subject[] = {
        { "Please revoke the certificate for mail.larkspur-candles.test", NULL, NULL, NULL,
          "checkout.larkspur-candles.test,mail.larkspur-candles.test" },
    };
    run_text_rows(with_subject, 1, "Leaked key for checkout.larkspur-candles.test");

    /* a reply's subject is the thread's, already on the case: not read */
    static const char *const replies[] = { "Re: leaked key for x.reply-subject.test",
                                           "RE: [CPR-2025-0101] x.reply-subject.test",
                                           "[dev-security-policy] Re: x.reply-subject.test",
                                           "AW: x.reply-subject.test", "Re[2]: x.reply-subject.test" };
    for (gsize i = 0; i < G_N_ELEMENTS(replies); i++) {
        static const TextRow row[] = { { "no names here", NULL } };
        run_text_rows(row, 1, replies[i]);
    }
    static const TextRow fwd[] = { { "forwarded", NULL, NULL, NULL, "x.reply-subject.test" } };
    run_text_rows(fwd, 1, "Fwd: x.reply-subject.test");
    run_text_rows(fwd, 1, "Rep: x.reply-subject.test");
}

/* Layouts of the blind set (tests/fixtures/corpus-blind) that the first
 * score missed: a hash or key word anywhere in a label line ending in ':',
 * batches after a label of their own, the site a link is called, links
 * without a scheme, zone-file lines and CAA issuer values, mail hosts after
 * "program at", file names of signed challenges. */
static void test_blind_layouts(void)
{
    static const TextRow rows[] = {
        { "  SPKI SHA-256:  %A\n  Certificate SHA-256:  %B\n", NULL, "%B" },
        { "SHA-1 thumbprint of the first, as Windows shows it:\n  a94a8fe5ccb19ba61c4c0873d391e987982fbbd3\n", NULL },
        { "Empreinte SHA-256 de l'archive corrig\xc3\xa9" "e :\n  %A\n", NULL },
        { "Batch from 2026-10-28: 5d0e3a7c91f24b68a0c3e1d2f4b5a697 62aa19e0c4d3b2a1f0e9d8c7b6a59483\n"
          "Batch from 2026-10-30: 7b1c2d3e4f5061728394a5b6c7d8e9f0 19fe28ad37bc46cb55da64e973f882a1\n",
          "5d0e3a7c91f24b68a0c3e1d2f4b5a697,62aa19e0c4d3b2a1f0e9d8c7b6a59483,"
          "7b1c2d3e4f5061728394a5b6c7d8e9f0,19fe28ad37bc46cb55da64e973f882a1" },
        /* one token, or hashes by name, or digits only: not a batch of serials */
        { "Ticket: 5d0e3a7c91f24b68a0c3e1d2f4b5a697\n", NULL },
        { "Commits: 5d0e3a7c91f24b68a0c3e1d2f4b5a697 62aa19e0c4d3b2a1f0e9d8c7b6a59483\n", NULL },
        { "MD5 sums: 5d0e3a7c91f24b68a0c3e1d2f4b5a697 62aa19e0c4d3b2a1f0e9d8c7b6a59483\n", NULL },
        { "Orders: 12345678901234567 22345678901234567\n", NULL },
        { "Le site https://secure-banque-ouest.example/connexion imite la banque.\n", NULL, NULL, NULL,
          "secure-banque-ouest.example" },
        { "Phishing URL: hxxps://login-parcel.example/x\n", NULL, NULL, NULL, "login-parcel.example" },
        { "The CPS is at https://docs.elsewhere.example/cps and proof at https://proof.example/7a\n", NULL },
        { "Source: image registry.keyguard-mirror.example/acme/web:1.4\n", NULL },
        { "    harbourline.example.  3600  IN  CAA  0 issue \"pki.otherca.example\"\n"
          "Only pki.otherca.example may issue, yet billing.harbourline.example was issued.\n",
          NULL, NULL, NULL, "billing.harbourline.example" },
        { "Hi. This is the qmail-send program at relay.outer.example.\n", NULL },
        { "a signed challenge is attached (challenge.jws, key.asc, proof.sig)\n", NULL },
    };
    TextRow filled[G_N_ELEMENTS(rows)];
    char *owned[G_N_ELEMENTS(rows) * 2];
    gsize n_owned = 0;
    for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
        filled[i] = rows[i];
        const char **fields[] = { &filled[i].text, &filled[i].sha256 };
        for (gsize f = 0; f < G_N_ELEMENTS(fields); f++) {
            if (!*fields[f] || !strchr(*fields[f], '%'))
                continue;
            GString *g = g_string_new(*fields[f]);
            g_string_replace(g, "%A", "9c41e07b2d5f38a6c1b04e92d7f6a3c85e10b29f47d6c3a8e2f1b09d5c4a7e63", 0);
            g_string_replace(g, "%B", "b84e2f1a07c39d56e81b4a2c09f7d3e6a5c18b2f40e9d7c6b3a15f8e2d04c9b7", 0);
            owned[n_owned++] = g_string_free(g, FALSE);
            *fields[f] = owned[n_owned - 1];
        }
    }
    run_text_rows(filled, G_N_ELEMENTS(filled), NULL);
    for (gsize i = 0; i < n_owned; i++)
        g_free(owned[i]);
}

static void test_no_false_positives(void)
{
    static const TextRow rows[] = {
        { "Received at 14:03:18 on 2025-05-12, again 2025-05-12T14:03:18Z", NULL },
        { "MAC 00:1a:2b:3c:4d:5e", NULL },
        { "IPv6 2001:0db8:85a3:0000:0000:8a2e:0370:7334 and fe80::aa:bb:cc:dd and aa:bb:cc:dd::1", NULL },
        { "Call +33 6 12 34 56 78 or 06 12 34 56 78", NULL },
        { "UUID 550e8400-e29b-41d4-a716-446655440000", NULL },
        { "MIIEOTCCAyGgAwIBAgIQXgxgJOeQUwhRr1peM6LaVTANBgkqhkiG9w0BAQsFADBUMQswCQYDVQQGEwJOTDEhMB8GA1UECgwYQWNtZSBU"
          "cnVzdCBTZXJ2aWNlcyBCLlYu/deadbeefdeadbeef+cafebabecafebabe/",
          NULL },
        { "-----BEGIN CERTIFICATE REQUEST-----\nMIICgjCCAWoCAQAwPTE7MDkGA1UEAwwyY29tcHJvbWlzZWQga2V5IGZvciBjaGVj\n"
          "Serial: 68:51:92:F1:31:28:05:55:40:4E:8D:8F:ED:60:66:DC:F3:A8 evil.example.test\n"
          "-----END CERTIFICATE REQUEST-----\n",
          NULL },
        { "-----BEGIN PGP SIGNATURE-----\n\niHUEARYKAB0WIQQ6i7FVqL5oCNkH4Q0Xz3nL8x1F9AUCZkD7kwAKCRAXz3nL8x1F\n"
          "ab:cd:ef:01:23:45:67:89:ab crt.sh 12345\n=Ab3d\n-----END PGP SIGNATURE-----\n",
          NULL },
        /* a truncated block: its base64 goes with it */
        { "-----BEGIN CERTIFICATE-----\nMIIEOTCCAyGgAwIBAgIQXgxgJOeQUwhRr1peM6LaVTANBgkqhkiG9w0BAQsFADBU\n"
          "deadbeefdeadbeefdeadbeefdeadbeefdeadbeefdeadbeefdeadbeefdeadbeef\n",
          NULL },
        { "-- \nYou received this message because you are subscribed to the Google Groups "
          "\"dev-security-policy@mozilla.org\" group.\nTo view this discussion visit "
          "https://groups.google.com/a/mozilla.org/d/msgid/dev-security-policy/CAmdS4cP%40mail.gmail.com.\n",
          NULL },
        { "> You received this message because you are subscribed to the Google Groups \"CCADB Public\" group.\n"
          "> To unsubscribe send mail to public+unsubscribe@ccadb.org, see www.ccadb.example.\n",
          NULL },
        { "Thanks\n-- \nJane Roe | Example Sec | www.example-sec.test | +1 555 0100\n", NULL },
        { "Versions 1.2.3.4, OpenSSL 3.0.19, 0.48 BTC", NULL },
    };
    run_text_rows(rows, G_N_ELEMENTS(rows), NULL);
}

static void test_pgp_signed_text_kept(void)
{
    static const TextRow rows[] = {
        { "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nSerial: 5a0b1c2d3e4f5678 for www.kestrel-ridge.test\n"
          "-----BEGIN PGP SIGNATURE-----\n\niHUEARYKAB0WIQQ6i7FVqL5oCNkH4Q0X\n=Ab3d\n-----END PGP SIGNATURE-----\n",
          "5a0b1c2d3e4f5678", NULL, NULL, "www.kestrel-ridge.test" },
    };
    run_text_rows(rows, G_N_ELEMENTS(rows), NULL);
}

static void test_tables(void)
{
    static const TextRow rows[] = {
        { "| Serial | crt.sh ID | Domain |\n|---|---|---|\n| 3A8F01C2D4E5F607 | 15555000111 | a.brindle.test |\n"
          "| 0b7e55aa12c4d6e8 | 15555000112 | b.brindle.test |\n\nafter the table 1234567890abcdef\n",
          "3a8f01c2d4e5f607,0b7e55aa12c4d6e8", NULL, "15555000111,15555000112", "a.brindle.test,b.brindle.test" },
        { "serial;sha256\n\"5a:0b:1c:2d:3e:4f:56:78\";\"F651B36723C5720B19568E6364FFEF4A3DCECCDE098E12D67FFB0CC88403205A\"\n",
          "5a0b1c2d3e4f5678", "f651b36723c5720b19568e6364ffef4a3dceccde098e12d67ffb0cc88403205a" },
        { "> Serial (decimal)\tName\n> 4294967296\tq.brindle.test\n", "0100000000", NULL, NULL, "q.brindle.test" },
        /* prose with commas is not a header */
        { "We looked at the serial, the name and the date, and 1234567890abcdef, nothing.", NULL },
    };
    run_text_rows(rows, G_N_ELEMENTS(rows), NULL);
}

static void test_order_and_dedup(void)
{
    static const TextRow rows[] = {
        { "Serial 5a0b1c2d3e4f5678 then serial 6b1c2d3e4f506172 then again 5A:0B:1C:2D:3E:4F:56:78 and "
          "b.test-order.test a.test-order.test B.TEST-ORDER.TEST.",
          "5a0b1c2d3e4f5678,6b1c2d3e4f506172", NULL, NULL, "b.test-order.test,a.test-order.test" },
    };
    run_text_rows(rows, G_N_ELEMENTS(rows), NULL);
}

/* ------------------------------------------------------- attachments */

static void test_der_attachment(void)
{
    GBytes *der = tu_read_fixture("certs/leaf.der");
    g_assert_nonnull(der);
    if (!der)
        return;

    /* no name in the text: the certificate's SANs are the domains */
    MimeMessage *m = msg_new("certificate attached", "Please revoke the attached certificate.");
    msg_attach(m, "leaf.cer", "application/pkix-cert", g_bytes_ref(der));
    Identifiers *ids = extract_identifiers(m, NULL);
    assert_list("serials", "der", ids->serials, LEAF_SERIAL);
    assert_list("sha256", "der", ids->sha256, LEAF_SHA256);
    assert_list("domains", "der", ids->domains, "www.fixture-leaf.test,fixture-leaf.test");
    g_assert_cmpuint(ids->certs->len, ==, 1);
    extract_identifiers_free(&ids);
    msg_free(m);

    /* a name in the text: only that name */
    m = msg_new(NULL, "The certificate for fixture-leaf.test is attached.");
    msg_attach(m, "blob.bin", "application/octet-stream", g_bytes_ref(der));
    ids = extract_identifiers(m, NULL);
    assert_list("serials", "der+text", ids->serials, LEAF_SERIAL);
    assert_list("domains", "der+text", ids->domains, "fixture-leaf.test");
    extract_identifiers_free(&ids);
    msg_free(m);

    /* SANs under ignore_domains are dropped */
    static const char *const ignore[] = { "www.fixture-leaf.test", NULL };
    m = msg_new(NULL, "");
    msg_attach(m, "leaf.der", "application/x-x509-ca-cert", g_bytes_ref(der));
    ids = extract_identifiers(m, ignore);
    assert_list("domains", "der ignore", ids->domains, "fixture-leaf.test");
    extract_identifiers_free(&ids);
    msg_free(m);

    /* truncated DER and binary garbage: nothing, no crash */
    gsize len = 0;
    const guint8 *d = g_bytes_get_data(der, &len);
    m = msg_new(NULL, "");
    msg_attach(m, "cut.der", "application/pkix-cert", g_bytes_new(d, len / 2));
    msg_attach(m, "one.der", "application/pkix-cert", g_bytes_new(d, 1));
    static const guint8 png[] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R' };
    msg_attach(m, "x.png", "image/png", g_bytes_new(png, sizeof png));
    msg_attach(m, "empty.txt", "text/plain", g_bytes_new(NULL, 0));
    ids = extract_identifiers(m, NULL);
    g_assert_true(extract_identifiers_empty(ids));
    extract_identifiers_free(&ids);
    msg_free(m);
    g_bytes_unref(der);
}

static void test_pem_attachments(void)
{
    GBytes *bundle = tu_read_fixture("certs/bundle.pem");
    GBytes *precert = tu_read_fixture("certs/precert.pem");
    g_assert_nonnull(bundle);
    g_assert_nonnull(precert);
    if (!bundle || !precert)
        return;
    MimeMessage *m = msg_new(NULL, "chain attached");
    msg_attach(m, "chain.crt", "application/octet-stream", bundle);
    msg_attach(m, "pre.pem", "application/x-pem-file", precert);
    /* the same leaf again, quoted in the body: counted once */
    Identifiers *ids = extract_identifiers(m, NULL);
    assert_list("serials", "bundle", ids->serials, LEAF_SERIAL ",01,1f2e3d4c5b6a7988");
    g_assert_cmpuint(ids->sha256->len, ==, 3);
    g_assert_true(list_has(ids->sha256, LEAF_SHA256));
    g_assert_true(list_has(ids->sha256, CA_SHA256));
    g_assert_cmpuint(ids->certs->len, ==, 3);
    if (ids->certs->len == 3) {
        const CertInfo *c = g_ptr_array_index(ids->certs, 2);
        g_assert_true(c->precert);
    }
    assert_list("domains", "bundle", ids->domains, "www.fixture-leaf.test,fixture-leaf.test,shop.fixture-precert.test");
    extract_identifiers_free(&ids);
    msg_free(m);
}

static void test_csv_attachments(void)
{
    /* sample 006's CSV, as written */
    MimeMessage *m = msg_new("SAN entries with trailing dot", "See attached CSV.");
    msg_attach_text(m, "trailing-dot.csv", "text/csv",
                    "serial,crtsh_id,name\n"
                    "7202422bad4627b106a23beddb5543a9,14924509870,a.quillon-net.test.\n"
                    "55a47bf49a056fca18ac18e27e45929e,10750268891,b.quillon-net.test.\n");
    /* Excel's MIME type, semicolons, quoted cells, CRLF, other column names */
    msg_attach_text(m, "export.csv", "application/vnd.ms-excel",
                    "\"Serial Number\";\"crt.sh id\";\"SHA-256 Fingerprint\";\"DNS names\"\r\n"
                    "\"51:AA:B4:59:43:33:B9:1F:C8:69:E9:E3:9A:8F:66:68\";\"15025251810\";"
                    "\"F651B36723C5720B19568E6364FFEF4A3DCECCDE098E12D67FFB0CC88403205A\";\"c.quillon-net.test\"\r\n");
    /* a text attachment that is not a table: scanned like the body */
    msg_attach_text(m, "notes.txt", "text/plain", "Also serial 68981cb576c95aa35d847eab52426cd3 (d.quillon-net.test).\n");
    Identifiers *ids = extract_identifiers(m, sample_ignore);
    assert_list("serials", "csv", ids->serials,
                "7202422bad4627b106a23beddb5543a9,55a47bf49a056fca18ac18e27e45929e,51aab4594333b91fc869e9e39a8f6668,"
                "68981cb576c95aa35d847eab52426cd3");
    assert_list("sha256", "csv", ids->sha256, "f651b36723c5720b19568e6364ffef4a3dceccde098e12d67ffb0cc88403205a");
    assert_list("crtsh", "csv", ids->crtsh_ids, "14924509870,10750268891,15025251810");
    assert_list("domains", "csv", ids->domains,
                "a.quillon-net.test,b.quillon-net.test,c.quillon-net.test,d.quillon-net.test");
    extract_identifiers_free(&ids);
    msg_free(m);
}

/* -------------------------------------------------------------- hostile */

static void test_hostile(void)
{
    static const char *const units[] = { "00:", "00 ", "0", "ab", "a.", "Serial: ", "x@y.test ", "AB CD EF 01 ",
                                         "crt.sh 1 ", "Serial: AB:CD:EF:01:23 ",
                                         "serial 1234567890abcdef " };
    for (gsize u = 0; u < G_N_ELEMENTS(units); u++) {
        GString *s = g_string_new(NULL);
        while (s->len < 1024 * 1024)
            g_string_append(s, units[u]);
        MimeMessage *m = msg_new(NULL, s->str);
        g_test_timer_start();
        Identifiers *ids = extract_identifiers(m, NULL);
        double t = g_test_timer_elapsed();
        g_test_message("1 MB of \"%s\": %.2f s, %u serials %u crtsh", units[u], t, ids->serials->len,
                       ids->crtsh_ids->len);
        if (u == 8) {
            /* one id, many times */
            assert_list("crtsh", "crt.sh 1 x N", ids->crtsh_ids, "1");
        } else if (u >= 9) {
            /* one serial, many times, on one megabyte-long line: linear time */
            assert_list("serials", units[u], ids->serials, u == 9 ? "abcdef0123" : "1234567890abcdef");
            g_assert_cmpfloat(t, <, 20.0);
        } else {
            g_assert_true(extract_identifiers_empty(ids));
        }
        extract_identifiers_free(&ids);
        msg_free(m);
        g_string_free(s, TRUE);
    }

    /* a label then a megabyte of hex: too long to be anything */
    GString *s = g_string_new("Serial: ");
    while (s->len < 1024 * 1024)
        g_string_append(s, "0123456789abcdef");
    MimeMessage *m = msg_new(NULL, s->str);
    msg_attach_text(m, "hex.txt", "text/plain", s->str);
    Identifiers *ids = extract_identifiers(m, NULL);
    g_assert_true(extract_identifiers_empty(ids));
    extract_identifiers_free(&ids);
    msg_free(m);
    g_string_free(s, TRUE);

    /* many distinct domains: the list is capped */
    s = g_string_new(NULL);
    for (int i = 0; i < 5000; i++)
        g_string_append_printf(s, "host%d.flood.test ", i);
    m = msg_new(NULL, s->str);
    ids = extract_identifiers(m, NULL);
    g_assert_cmpuint(ids->domains->len, >, 0);
    g_assert_cmpuint(ids->domains->len, <=, 2000);
    extract_identifiers_free(&ids);
    msg_free(m);
    g_string_free(s, TRUE);

    /* NULL message and NULL-safe free */
    ids = extract_identifiers(NULL, NULL);
    g_assert_true(extract_identifiers_empty(ids));
    extract_identifiers_free(&ids);
    extract_identifiers_free(&ids);
    extract_identifiers_free(NULL);
    g_assert_true(extract_identifiers_empty(NULL));

    /* a message with no text and NULL fields */
    m = g_new0(MimeMessage, 1);
    ids = extract_identifiers(m, NULL);
    g_assert_true(extract_identifiers_empty(ids));
    extract_identifiers_free(&ids);
    g_free(m);
}

/* ------------------------------------------------------------ fixtures */

static GPtrArray *json_strings(JsonObject *o, const char *member)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    if (!json_object_has_member(o, member))
        return out;
    JsonArray *a = json_object_get_array_member(o, member);
    for (guint i = 0; a && i < json_array_get_length(a); i++)
        g_ptr_array_add(out, g_strdup(json_array_get_string_element(a, i)));
    return out;
}

static gboolean same_set(const GPtrArray *a, const GPtrArray *b)
{
    if (a->len != b->len)
        return FALSE;
    for (guint i = 0; i < a->len; i++)
        if (!list_has(b, g_ptr_array_index(a, i)))
            return FALSE;
    return TRUE;
}

static void check_against(const char *file, JsonObject *o, const Identifiers *ids, gboolean domains_exact)
{
    static const char *const members[] = { "serials", "sha256", "crtsh_ids" };
    const GPtrArray *got[] = { ids->serials, ids->sha256, ids->crtsh_ids };
    for (gsize k = 0; k < G_N_ELEMENTS(members); k++) {
        GPtrArray *want = json_strings(o, members[k]);
        if (!same_set(want, got[k])) {
            g_autofree char *w = join(want), *g = join(got[k]);
            g_test_message("%s %s: got [%s], expected [%s]", file, members[k], g, w);
        }
        g_assert_true(same_set(want, got[k]));
        g_ptr_array_unref(want);
    }
    GPtrArray *want = json_strings(o, "domains");
    g_autofree char *w = join(want), *g = join(ids->domains);
    for (guint i = 0; i < want->len; i++) {
        if (!list_has(ids->domains, g_ptr_array_index(want, i)))
            g_test_message("%s: domain %s missing (got [%s])", file, (char *)g_ptr_array_index(want, i), g);
        g_assert_true(list_has(ids->domains, g_ptr_array_index(want, i)));
    }
    /* extras only where a certificate of the message lists them */
    for (guint i = 0; i < ids->domains->len; i++) {
        const char *d = g_ptr_array_index(ids->domains, i);
        gboolean ok = list_has(want, d);
        for (guint c = 0; !ok && !domains_exact && c < ids->certs->len; c++)
            ok = list_has(((const CertInfo *)g_ptr_array_index(ids->certs, c))->sans, d);
        if (!ok)
            g_test_message("%s: unexpected domain %s (expected [%s])", file, d, w);
        g_assert_true(ok);
    }
    g_ptr_array_unref(want);
}

static void test_text_fixtures(void)
{
    JsonParser *parser = json_parser_new();
    JsonArray *rows = tu_load_manifest("text/manifest.json", parser);
    g_assert_nonnull(rows);
    for (guint i = 0; rows && i < json_array_get_length(rows); i++) {
        JsonObject *o = json_array_get_object_element(rows, i);
        const char *file = json_object_get_string_member(o, "file");
        g_autofree char *rel = g_build_filename("text", file, NULL);
        GBytes *b = tu_read_fixture(rel);
        g_assert_nonnull(b);
        if (!b)
            continue;
        gsize len = 0;
        const char *d = g_bytes_get_data(b, &len);
        g_autofree char *text = g_strndup(d, len);
        MimeMessage *m = msg_new(NULL, text);
        Identifiers *ids = extract_identifiers(m, sample_ignore);
        g_autofree char *s = join(ids->serials), *h = join(ids->sha256), *c = join(ids->crtsh_ids),
                        *dm = join(ids->domains);
        g_test_message("%s: serials [%s] sha256 [%s] crtsh [%s] domains [%s]", file, s, h, c, dm);
        check_against(file, o, ids, TRUE);
        extract_identifiers_free(&ids);
        msg_free(m);
        g_bytes_unref(b);
    }
    g_object_unref(parser);
}

/* Every sample mail, parsed by mime.c, against samples/manifest.json. */
static void test_samples(void)
{
    JsonParser *parser = json_parser_new();
    JsonArray *rows = tu_load_manifest("samples/manifest.json", parser);
    g_assert_nonnull(rows);
    Bounds bounds = bounds_default();
    for (guint i = 0; rows && i < json_array_get_length(rows); i++) {
        JsonObject *o = json_array_get_object_element(rows, i);
        const char *file = json_object_get_string_member(o, "file");
        g_autofree char *rel = g_build_filename("samples", file, NULL);
        GBytes *b = tu_read_fixture(rel);
        g_assert_nonnull(b);
        if (!b)
            continue;
        gsize len = 0;
        const guint8 *d = g_bytes_get_data(b, &len);
        MimeMessage *m = mime_message_parse(d, len, &bounds);
        Identifiers *ids = extract_identifiers(m, sample_ignore);
        g_autofree char *s = join(ids->serials), *h = join(ids->sha256), *c = join(ids->crtsh_ids),
                        *dm = join(ids->domains);
        g_test_message("%s: serials [%s] sha256 [%s] crtsh [%s] domains [%s]", file, s, h, c, dm);
        check_against(file, o, ids, FALSE);
        extract_identifiers_free(&ids);
        mime_message_free(&m);
        g_bytes_unref(b);
    }
    g_object_unref(parser);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_set_nonfatal_assertions();
    g_test_add_func("/extract/normalize-serial", test_normalize_serial);
    g_test_add_func("/extract/serial-notations", test_serial_notations);
    g_test_add_func("/extract/fingerprints", test_fingerprints);
    g_test_add_func("/extract/crtsh", test_crtsh);
    g_test_add_func("/extract/domains", test_domains);
    g_test_add_func("/extract/blind-layouts", test_blind_layouts);
    g_test_add_func("/extract/no-false-positives", test_no_false_positives);
    g_test_add_func("/extract/pgp-signed-text", test_pgp_signed_text_kept);
    g_test_add_func("/extract/tables", test_tables);
    g_test_add_func("/extract/order-and-dedup", test_order_and_dedup);
    g_test_add_func("/extract/der-attachment", test_der_attachment);
    g_test_add_func("/extract/pem-attachments", test_pem_attachments);
    g_test_add_func("/extract/csv-attachments", test_csv_attachments);
    g_test_add_func("/extract/hostile", test_hostile);
    g_test_add_func("/extract/text-fixtures", test_text_fixtures);
    g_test_add_func("/extract/samples", test_samples);
    return g_test_run();
}
