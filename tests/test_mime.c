/* test_mime.c - mime_message_parse on the sample mail, our own fixtures and
 * hostile inputs generated here (never committed as big files). */
#include "mime.h"

#include <string.h>

#include "testutil.h"

/* DIR/FILE of the fixtures; a file that cannot be read fails the test. */
static MimeMessage *parse_file(const char *dir, const char *file)
{
    g_autofree char *rel = g_build_filename(dir, file, NULL);
    Bounds b = bounds_default();
    return tu_parse_fixture(rel, &b);
}

static MimeMessage *parse_str(const char *s)
{
    Bounds b = bounds_default();
    return mime_message_parse((const guint8 *)s, strlen(s), &b);
}

static char *iso_utc(gint64 t)
{
    g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(t);
    return g_date_time_format(dt, "%Y-%m-%dT%H:%M:%SZ");
}

static gboolean has_problem(const MimeMessage *m, const char *needle)
{
    for (guint i = 0; i < m->problems->len; i++)
        if (strstr(m->problems->pdata[i], needle))
            return TRUE;
    return FALSE;
}

static void dump_problems(const MimeMessage *m)
{
    for (guint i = 0; i < m->problems->len; i++)
        g_test_message("problem: %s", (const char *)m->problems->pdata[i]);
}

/* Every invariant of the contract that holds for any input. */
static void check_invariants(const MimeMessage *m)
{
    g_assert_nonnull(m);
    g_assert_nonnull(m->text);
    g_assert_true(g_utf8_validate(m->text, -1, NULL));
    g_assert_nonnull(m->content_type);
    g_assert_nonnull(m->problems);
    if (m->subject)
        g_assert_true(g_utf8_validate(m->subject, -1, NULL));
    GPtrArray *lists[] = {m->from, m->sender, m->reply_to, m->to, m->cc, m->delivered_to};
    for (gsize k = 0; k < G_N_ELEMENTS(lists); k++) {
        for (guint i = 0; i < lists[k]->len; i++) {
            const MimeAddress *a = lists[k]->pdata[i];
            g_assert_nonnull(a->email);
            g_autofree char *low = g_utf8_strdown(a->email, -1);
            g_assert_cmpstr(a->email, ==, low);
            if (a->name)
                g_assert_true(g_utf8_validate(a->name, -1, NULL));
        }
    }
    for (guint i = 0; i < m->problems->len; i++)
        g_assert_true(g_utf8_validate(m->problems->pdata[i], -1, NULL));
    for (guint i = 0; i < m->header_values->len; i++)
        g_assert_true(g_utf8_validate(m->header_values->pdata[i], -1, NULL));
}

/* ---- samples ------------------------------------------------------------- */

typedef struct {
    const char *file;
    const char *from_name, *from_email;
    const char *subject;
    const char *message_id;
    const char *date;     /* UTC, NULL: no Date */
    const char *received; /* UTC, NULL: no Received */
    const char *content_type;
    guint attachments;
    const char *attachment_name; /* first attachment, or NULL */
    const char *text_has;
    const char *text_lacks;
} SampleCase;

static const SampleCase samples[] = {
    {"001-kc-csr-proof.eml", "Rafferty Nakagawa-Bell", "rafferty@tidepool-sec.example",
     "Certificate problem report - leaked key for checkout.larkspur-candles.test",
     "CAocNTS0vv92rBlNYbVoXHowiRH7qbS=mY_gIwyY1k@mail.gmail.com",
     "2025-05-12T13:02:00Z", "2025-05-12T13:03:18Z", "text/plain", 0, NULL,
     /* QP: =3D decoded, soft line break joined */
     "https://crt.sh/?id=12146349238", "=3D"},
    {"002-kc-followup.eml", "Rafferty Nakagawa-Bell", "rafferty@tidepool-sec.example",
     "Re: Certificate problem report - leaked key for checkout.larkspur-candles.test",
     "CAQnXZvBaDhj4=exy66zWmRX1G2nK5=6nBKVHSyu8E@mail.gmail.com",
     "2025-05-13T15:30:00Z", "2025-05-13T15:31:35Z", "text/plain", 0, NULL,
     "68:51:92:F1:31:28:05:55:40:4E:8D:8F:ED:60:66:DC:F3:A8", NULL},
    {"003-misissuance-pem-attachment.eml", "Torvald Emberly", "torvald@emberly.example",
     "Unrequested certificate for saltcellar-bistro.test",
     "CAd1urcefWQE33zqEd5W5_wzaQQAjkN=KHyqOSCtdr@mail.gmail.com",
     "2025-05-20T09:00:00Z", "2025-05-20T09:01:52Z", "multipart/mixed", 1, "saltcellar.pem",
     "never\nrequested it", "BEGIN CERTIFICATE"},
    {"004-misuse-alternative-encoded-name.eml", "Cosima Valdés-Harrow", "cosima.vh@brightfern.example",
     "Fraudulent site using your certificate",
     "CAOISoLYLiY5udJEiHftBbYJk8bpE9Fv5wzyOVCPUX@mail.gmail.com",
     "2025-05-22T09:45:00Z", "2025-05-22T09:47:09Z", "multipart/alternative", 0, NULL,
     "Cosima Valdés-Harrow\nBrightfern Abuse Desk", "<p>"},
    {"005-kc-spanish-base64.eml", "Inés Gorostiza Blanco", "ines.gorostiza@alboran-ciber.example",
     "Compromiso de clave privada - reservas.casa-azahar.test",
     "CAZIH_tdajizWyP9kq4z_iWWaxuGR84ZQ7eHSjjGJf@mail.gmail.com",
     "2025-05-24T18:10:00Z", "2025-05-24T18:12:26Z", "text/plain", 0, NULL,
     "Solicito su revocación por compromiso de clave.", "SG9sYTo"},
    {"006-misissuance-csv-serials.eml", "Henrike Stallbaum", "henrike@stallbaum-labs.example",
     "SAN entries with trailing dot",
     "CAe355WtYFsSdXZhn5hwLZcA_b74IvODvZZju4MeoA@mail.gmail.com",
     "2025-05-27T07:30:00Z", "2025-05-27T07:32:43Z", "multipart/mixed", 1, "trailing-dot.csv",
     "See attached CSV.", "7202422bad"},
    {"007-mdsp-acme-weak-rsa.eml", "Ayodele Fairbrother", "ayodele@fairbrother.example",
     "Acme Trust: 1024-bit RSA key in a 2025 certificate",
     "CAmdS4cPC3IpmX6OknX7ajpdqEkBECmM3gpVizzAt0@mail.gmail.com",
     "2025-06-02T10:00:00Z", "2025-06-02T10:03:00Z", "multipart/alternative", 0, NULL,
     "bits are not allowed (BR 6.1.5)", "You received this message"},
    {"008-ccadb-other-ca.eml", "Lavinia Crossthwaite", "lavinia@crossthwaite.example",
     "GlobalSign CPS still lists retired validation method",
     "CA8f0CU65RxAb0PTIhdAvxym2qHo3Z4eNHdH9L=YPb@mail.gmail.com",
     "2025-06-03T12:00:00Z", "2025-06-03T12:01:18Z", "text/plain", 0, NULL,
     "Is a CPS update planned?", "unsubscribe"},
    {"009-bugzilla-acme-comment.eml", NULL, "bugzilla-daemon@mozilla.org",
     "[Bug 1971100] Acme Trust Services: 1024-bit RSA key accepted",
     "bug-1971100-700001-39a5f1e58d@https.bugzilla.mozilla.org/",
     "2025-06-05T08:00:02Z", NULL, "text/plain", 0, NULL,
     "--- Comment #3 from Ottoline Marchbanks", NULL},
    {"010-autoreply-ooo.eml", "Rafferty Nakagawa-Bell", "rafferty@tidepool-sec.example",
     "Automatic reply: [CPR-2025-0101] Certificate problem report received",
     "KAARFCJ2FXbf3bnpuygjvsior6qpcuw7zonll6q6@DB9PR05MBKAAR.eurprd05.prod.outlook.com",
     "2025-05-13T07:00:00Z", NULL, "text/plain", 0, NULL, "I'm on leave until 19 May", NULL},
    {"011-spam.eml", "Crypto Wins", "win@lucky-coins.example", "You have 1 pending BTC transfer",
     "613ec7976dec996503dc@lucky-coins.example", "2025-06-07T02:00:00Z", NULL, "text/html", 0, NULL,
     "Claim your 0.48 BTC now!\nClaim", "<h1>"},
    {"012-misissuance-backdated-cc.eml", "Leocadia Wynstanley", "leocadia@wynstanley.example",
     "Backdated notBefore", "CAGerWMFrMTsthNkR6R=ZE91sGQzgn98ZxstvEpNZI@mail.gmail.com",
     /* +1000: nine in the morning in Sydney is 23:15 the day before in UTC */
     "2025-06-08T23:15:00Z", "2025-06-08T23:17:26Z", "text/plain", 0, NULL,
     "from AcmeTrust ECC DV CA R3\nhas its notBefore", NULL},
};

static void test_sample(gconstpointer data)
{
    const SampleCase *c = data;
    MimeMessage *m = parse_file("samples", c->file);
    check_invariants(m);
    dump_problems(m);
    g_assert_cmpuint(m->problems->len, ==, 0);

    g_assert_cmpuint(m->from->len, ==, 1);
    if (m->from->len) {
        const MimeAddress *a = m->from->pdata[0];
        g_assert_cmpstr(a->name, ==, c->from_name);
        g_assert_cmpstr(a->email, ==, c->from_email);
    }
    g_assert_cmpstr(m->subject, ==, c->subject);
    g_assert_cmpstr(m->message_id, ==, c->message_id);
    g_assert_cmpstr(m->content_type, ==, c->content_type);

    g_assert_cmpint(m->has_date, ==, c->date != NULL);
    if (c->date && m->has_date) {
        g_autofree char *d = iso_utc(m->date);
        g_assert_cmpstr(d, ==, c->date);
    }
    g_assert_cmpint(m->has_received, ==, c->received != NULL);
    if (c->received && m->has_received) {
        g_autofree char *r = iso_utc(m->received);
        g_assert_cmpstr(r, ==, c->received);
    }

    g_assert_cmpuint(m->attachments->len, ==, c->attachments);
    if (c->attachment_name && m->attachments->len) {
        const MimeAttachment *a = m->attachments->pdata[0];
        g_assert_cmpstr(a->filename, ==, c->attachment_name);
        g_assert_false(a->truncated);
    }
    if (c->text_has && !strstr(m->text, c->text_has)) {
        g_test_message("text of %s lacks \"%s\":\n%s", c->file, c->text_has, m->text);
        g_test_fail();
    }
    if (c->text_lacks && strstr(m->text, c->text_lacks)) {
        g_test_message("text of %s has \"%s\":\n%s", c->file, c->text_lacks, m->text);
        g_test_fail();
    }
    mime_message_free(&m);
    g_assert_null(m);
}

/* Details of single samples beyond the table. */
static void test_sample_details(void)
{
    MimeMessage *m = parse_file("samples", "002-kc-followup.eml");
    g_assert_cmpstr(m->in_reply_to, ==, "CAocNTS0vv92rBlNYbVoXHowiRH7qbS=mY_gIwyY1k@mail.gmail.com");
    g_assert_cmpuint(m->references->len, ==, 1);
    g_assert_cmpstr(m->references->pdata[0], ==, "CAocNTS0vv92rBlNYbVoXHowiRH7qbS=mY_gIwyY1k@mail.gmail.com");
    g_assert_cmpuint(m->delivered_to->len, ==, 1);
    g_assert_cmpstr(((MimeAddress *)m->delivered_to->pdata[0])->email, ==, "problems@acmetrust.test");
    g_assert_cmpstr(mime_message_header(m, "content-transfer-encoding"), ==, "quoted-printable");
    g_assert_cmpstr(m->header_names->pdata[0], ==, "Return-Path");
    mime_message_free(&m);

    m = parse_file("samples", "003-misissuance-pem-attachment.eml");
    const MimeAttachment *a = m->attachments->pdata[0];
    g_assert_cmpstr(a->content_type, ==, "application/x-pem-file");
    gsize n = 0;
    const char *pem = g_bytes_get_data(a->data, &n);
    g_assert_cmpuint(n, >, 1000);
    /* the sample travels with CRLF line ends: the bytes are kept as sent */
    g_assert_true(n > 29 && memcmp(pem, "-----BEGIN CERTIFICATE-----\r\n", 29) == 0);
    /* the CRLF before the boundary belongs to the boundary */
    g_assert_true(memcmp(pem + n - 25, "-----END CERTIFICATE-----", 25) == 0);
    mime_message_free(&m);

    m = parse_file("samples", "006-misissuance-csv-serials.eml");
    a = m->attachments->pdata[0];
    g_assert_cmpstr(a->content_type, ==, "text/csv");
    const char *csv = g_bytes_get_data(a->data, &n);
    g_assert_true(n > 37 && memcmp(csv, "serial,crtsh_id,name\n7202422bad4627b1", 37) == 0);
    mime_message_free(&m);

    m = parse_file("samples", "007-mdsp-acme-weak-rsa.eml");
    g_assert_cmpstr(mime_message_header(m, "List-Id"), ==, "<dev-security-policy.mozilla.org>");
    g_assert_cmpstr(mime_message_header(m, "x-original-sender"), ==, "ayodele@fairbrother.example");
    g_assert_cmpuint(m->sender->len, ==, 1);
    g_assert_true(g_str_has_suffix(m->text, "Ayodele\n"));
    mime_message_free(&m);

    m = parse_file("samples", "009-bugzilla-acme-comment.eml");
    g_autoptr(GPtrArray) bz = mime_message_headers_with_prefix(m, "x-bugzilla-");
    g_assert_cmpuint(bz->len, ==, 2 * 11);
    g_assert_cmpstr(bz->pdata[0], ==, "X-Bugzilla-Reason");
    g_assert_cmpstr(bz->pdata[1], ==, "CC");
    g_assert_cmpstr(mime_message_header(m, "X-Bugzilla-Product"), ==, "CA Program");
    g_assert_cmpstr(mime_message_header(m, "X-Bugzilla-Flags"), ==, "");
    g_assert_null(mime_message_header(m, "List-Id"));
    mime_message_free(&m);

    m = parse_file("samples", "012-misissuance-backdated-cc.eml");
    g_assert_cmpuint(m->cc->len, ==, 1);
    g_assert_cmpstr(((MimeAddress *)m->cc->pdata[0])->name, ==, "Idris Kolawole-Ferris");
    mime_message_free(&m);
}

/* ---- our fixtures ---------------------------------------------------------- */

typedef struct {
    const char *file;
    const char *from_name;
    const char *subject;
    const char *content_type;
    guint attachments;
    const char *text_has, *text_has2;
    const char *text_lacks;
} MailCase;

static const MailCase mail_cases[] = {
    {"html-only.eml", "O'Brien, Niamh", "Certificate misuse – phishing", "text/html", 0,
     "Hello & good day,\nThe site \"login-bank.test\" is phishing <customers>.\nSerial: 0a:0b\nCafé €5",
     NULL, "ignored title"},
    {"outlook-cp1252.eml", "Jürgen Müller", "AW: Zertifikat für shop.ostwind.test",
     "multipart/alternative", 0, "der private Schlüssel ist kompromittiert – bitte sperren Sie das Zertifikat.",
     "Mit freundlichen Grüßen", "HTML version"},
    {"iso-2022-jp.eml", "山田太郎", "秘密鍵の漏洩", "text/plain", 0, "証明書の秘密鍵が漏洩しました。", NULL, NULL},
    {"forwarded-rfc822.eml", "Helpdesk", "Fwd: key compromise report", "multipart/mixed", 1,
     "Forwarding the report below", "The private key of www.kanaal.test is on pastebin.", NULL},
    {"dsn-report.eml", "Mail Delivery System", "Undelivered Mail Returned to Sender",
     "multipart/report", 2, "could not\nbe delivered", NULL, "Reporting-MTA"},
    {"x-autoreply.eml", "Support Desk", "Re: [CPR-2025-0011] Certificate problem report received",
     "text/plain", 0, "Thank you for your message.", NULL, NULL},
    {"gg-quoted-footer.eml", "Jane Doe via dev-security-policy",
     "Re: Acme Trust: 1024-bit RSA key in a 2025 certificate", "text/plain", 0,
     "> Keys under 2048 bits are not allowed", "> Earlier text kept.", "Google Groups"},
};

static void test_mail(gconstpointer data)
{
    const MailCase *c = data;
    MimeMessage *m = parse_file("mail", c->file);
    check_invariants(m);
    dump_problems(m);
    g_assert_cmpuint(m->problems->len, ==, 0);
    g_assert_cmpuint(m->from->len, ==, 1);
    if (m->from->len)
        g_assert_cmpstr(((MimeAddress *)m->from->pdata[0])->name, ==, c->from_name);
    g_assert_cmpstr(m->subject, ==, c->subject);
    g_assert_cmpstr(m->content_type, ==, c->content_type);
    g_assert_cmpuint(m->attachments->len, ==, c->attachments);
    const char *has[] = {c->text_has, c->text_has2};
    for (gsize i = 0; i < G_N_ELEMENTS(has); i++) {
        if (has[i] && !strstr(m->text, has[i])) {
            g_test_message("text of %s lacks \"%s\":\n%s", c->file, has[i], m->text);
            g_test_fail();
        }
    }
    if (c->text_lacks && strstr(m->text, c->text_lacks)) {
        g_test_message("text of %s has \"%s\":\n%s", c->file, c->text_lacks, m->text);
        g_test_fail();
    }
    g_assert_null(strchr(m->text, '\r'));
    mime_message_free(&m);
}

static void test_fixture_details(void)
{
    MimeMessage *m = parse_file("mail", "gg-quoted-footer.eml");
    g_assert_cmpuint(m->references->len, ==, 2);
    g_assert_cmpstr(m->references->pdata[0], ==, "root-0@example.org");
    g_assert_cmpstr(mime_message_header(m, "X-Original-From"), ==, "Jane Doe <jane@doe.example>");
    g_assert_cmpuint(m->reply_to->len, ==, 1);
    g_assert_cmpstr(((MimeAddress *)m->reply_to->pdata[0])->email, ==, "jane@doe.example");
    mime_message_free(&m);

    m = parse_file("mail", "forwarded-rfc822.eml");
    const MimeAttachment *a = m->attachments->pdata[0];
    g_assert_cmpstr(a->filename, ==, "kanaal.der");
    g_assert_cmpstr(a->content_type, ==, "application/pkix-cert");
    g_assert_cmpuint(g_bytes_get_size(a->data), ==, 6); /* "MIIBAAEC" base64-decoded */
    mime_message_free(&m);

    m = parse_file("mail", "html-only.eml");
    g_assert_cmpstr(((MimeAddress *)m->from->pdata[0])->email, ==, "niamh.obrien@harbourline.example");
    mime_message_free(&m);
}

/* ---- hostile inputs -------------------------------------------------------- */

static MimeMessage *timed_parse(const guint8 *d, gsize len, const Bounds *b, double max_seconds)
{
    gint64 t0 = g_get_monotonic_time();
    MimeMessage *m = mime_message_parse(d, len, b);
    double secs = (double)(g_get_monotonic_time() - t0) / G_USEC_PER_SEC;
    g_test_message("parsed %" G_GSIZE_FORMAT " bytes in %.3f s", len, secs);
    g_assert_cmpfloat(secs, <, max_seconds);
    check_invariants(m);
    dump_problems(m);
    return m;
}

static void test_empty(void)
{
    MimeMessage *m = mime_message_parse(NULL, 0, NULL);
    check_invariants(m);
    g_assert_true(has_problem(m, "empty input"));
    g_assert_cmpstr(m->text, ==, "");
    mime_message_free(&m);

    m = mime_message_parse((const guint8 *)"", 0, NULL);
    g_assert_true(has_problem(m, "empty input"));
    mime_message_free(&m);
}

static void test_random_bytes(void)
{
    g_autoptr(GRand) r = g_rand_new_with_seed(20250512);
    for (int round = 0; round < 20; round++) {
        guint8 buf[4096];
        for (gsize i = 0; i < sizeof buf; i++)
            buf[i] = (guint8)g_rand_int_range(r, 0, 256);
        MimeMessage *m = timed_parse(buf, sizeof buf, NULL, 2.0);
        g_assert_cmpuint(m->problems->len, >, 0);
        mime_message_free(&m);
    }
}

static void test_no_headers(void)
{
    MimeMessage *m = parse_str("hello there,\nthis is just text, not a mail\n");
    check_invariants(m);
    g_assert_true(has_problem(m, "no header fields"));
    g_assert_nonnull(strstr(m->text, "not a mail"));
    g_assert_cmpuint(m->from->len, ==, 0);
    g_assert_null(m->subject);
    mime_message_free(&m);
}

/* CR-only and mixed line endings: the header is read as it would be with LF
 * (the raw bytes are the caller's and stay as received). */
static void test_bare_cr(void)
{
    MimeMessage *m = parse_str("From: Ines Varga <ines@varga.example>\rTo: problems@acmetrust.test\r"
                               "Subject: key exposed\rMessage-ID: <cr1@varga.example>\r\r"
                               "The private key of serial 0a1b2c is public.\rSecond line.\r");
    check_invariants(m);
    g_assert_cmpstr(m->subject, ==, "key exposed");
    g_assert_cmpstr(m->message_id, ==, "cr1@varga.example");
    g_assert_cmpuint(m->from->len, ==, 1);
    g_assert_cmpstr(((MimeAddress *)m->from->pdata[0])->email, ==, "ines@varga.example");
    g_assert_nonnull(strstr(m->text, "serial 0a1b2c is public"));
    g_assert_null(strstr(m->text, "Subject:"));
    g_assert_cmpuint(m->problems->len, ==, 0);
    mime_message_free(&m);

    /* mixed: CRLF, LF and bare CR; a stray CR inside the subject is a space */
    m = parse_str("From: ines@varga.example\r\nSubject: two\rparts\r"
                  "To: problems@acmetrust.test\nMessage-ID: <cr2@varga.example>\r"
                  "\rbody one\r\nbody two\n");
    check_invariants(m);
    g_assert_cmpstr(m->subject, ==, "two parts");
    g_assert_cmpstr(m->message_id, ==, "cr2@varga.example");
    g_assert_cmpuint(m->to->len, ==, 1);
    g_assert_nonnull(strstr(m->text, "body one"));
    g_assert_nonnull(strstr(m->text, "body two"));
    g_assert_cmpuint(m->problems->len, ==, 0);
    mime_message_free(&m);

    /* CR CR LF on every line (converted twice) */
    m = parse_str("From: ines@varga.example\r\r\nSubject: twice\r\r\n\r\r\nbody three\r\r\n");
    check_invariants(m);
    g_assert_cmpstr(m->subject, ==, "twice");
    g_assert_cmpuint(m->from->len, ==, 1);
    g_assert_nonnull(strstr(m->text, "body three"));
    mime_message_free(&m);
}

/* 30 MB with default bounds: parsed, the attachment cut at its bound; with a
 * 16 MB message bound: only the header is read. */
static void test_huge_message(void)
{
    const gsize target = 30u * 1024 * 1024;
    GString *s = g_string_sized_new(target + 1024);
    g_string_append(s, "From: Big <big@example.org>\nSubject: big\nMIME-Version: 1.0\n"
                       "Content-Type: multipart/mixed; boundary=\"BIG\"\n\n"
                       "--BIG\nContent-Type: text/plain\n\nsee attachment\n"
                       "--BIG\nContent-Type: application/octet-stream\n"
                       "Content-Transfer-Encoding: base64\n\n");
    while (s->len < target)
        g_string_append(s, "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB\n");
    g_string_append(s, "--BIG--\n");

    Bounds b = bounds_default();
    MimeMessage *m = timed_parse((const guint8 *)s->str, s->len, &b, 20.0);
    g_assert_cmpstr(m->subject, ==, "big");
    g_assert_cmpstr(m->text, ==, "see attachment\n");
    g_assert_cmpuint(m->attachments->len, ==, 1);
    const MimeAttachment *a = m->attachments->pdata[0];
    g_assert_true(a->truncated);
    /* over the bound: skipped, not decoded into memory (issue 16) */
    g_assert_cmpuint(g_bytes_get_size(a->data), ==, 0);
    g_assert_true(has_problem(m, "attachment"));
    mime_message_free(&m);

    b.max_message_bytes = 16u * 1024 * 1024;
    m = timed_parse((const guint8 *)s->str, s->len, &b, 10.0);
    g_assert_true(has_problem(m, "only its header was parsed"));
    g_assert_cmpstr(m->subject, ==, "big");
    g_assert_cmpstr(m->content_type, ==, "multipart/mixed");
    g_assert_cmpuint(m->attachments->len, ==, 0);
    g_assert_cmpstr(m->text, ==, "");
    mime_message_free(&m);
    g_string_free(s, TRUE);
}

static GString *nested(guint depth, const char *kind)
{
    GString *s = g_string_new("From: deep@example.org\nSubject: deep\nMIME-Version: 1.0\n");
    for (guint i = 0; i < depth; i++)
        g_string_append_printf(s, "Content-Type: %s; boundary=\"b%u\"\n\n--b%u\n", kind, i, i);
    g_string_append(s, "Content-Type: text/plain\n\ninnermost\n");
    for (guint i = depth; i-- > 0;)
        g_string_append_printf(s, "--b%u--\n", i);
    return s;
}

static void test_deep_nesting(void)
{
    GString *s = nested(1000, "multipart/mixed");
    MimeMessage *m = timed_parse((const guint8 *)s->str, s->len, NULL, 5.0);
    g_assert_true(has_problem(m, "MIME nesting deeper than 32"));
    g_assert_cmpstr(m->subject, ==, "deep");
    g_assert_null(strstr(m->text, "innermost"));
    mime_message_free(&m);
    g_string_free(s, TRUE);

    /* 200,000 levels (~13 MB): cut before GMime's boundary stack gets costly */
    s = nested(200000, "multipart/mixed");
    m = timed_parse((const guint8 *)s->str, s->len, NULL, 10.0);
    g_assert_true(has_problem(m, "containers: input cut"));
    mime_message_free(&m);
    g_string_free(s, TRUE);

    /* within the bound the innermost text is found */
    s = nested(10, "multipart/mixed");
    m = timed_parse((const guint8 *)s->str, s->len, NULL, 1.0);
    g_assert_cmpuint(m->problems->len, ==, 0);
    g_assert_cmpstr(m->text, ==, "innermost\n");
    mime_message_free(&m);
    g_string_free(s, TRUE);
}

static void test_deep_rfc822(void)
{
    GString *s = g_string_new("From: deep@example.org\nSubject: outer\n");
    for (guint i = 0; i < 1000; i++)
        g_string_append_printf(s, "Content-Type: message/rfc822\n\nFrom: l%u@example.org\nSubject: level %u\n", i, i);
    g_string_append(s, "\ninnermost\n");
    MimeMessage *m = timed_parse((const guint8 *)s->str, s->len, NULL, 5.0);
    g_assert_true(has_problem(m, "MIME nesting deeper than 32"));
    g_assert_cmpstr(m->subject, ==, "outer");
    mime_message_free(&m);
    g_string_free(s, TRUE);
}

static void test_many_parts(void)
{
    GString *s = g_string_new("From: parts@example.org\nSubject: parts\nMIME-Version: 1.0\n"
                              "Content-Type: multipart/mixed; boundary=\"P\"\n\n");
    for (int i = 0; i < 2000; i++)
        g_string_append_printf(s, "--P\nContent-Type: application/octet-stream\n\npart %d\n", i);
    g_string_append(s, "--P--\n");
    MimeMessage *m = timed_parse((const guint8 *)s->str, s->len, NULL, 5.0);
    g_assert_true(has_problem(m, "more than 500 MIME parts"));
    g_assert_cmpuint(m->attachments->len, ==, 500);
    mime_message_free(&m);
    g_string_free(s, TRUE);
}

static void test_huge_header_line(void)
{
    GString *s = g_string_new("From: a@example.org\nX-Junk: ");
    for (int i = 0; i < 1024 * 1024; i++)
        g_string_append_c(s, (char)('a' + i % 26));
    g_string_append(s, "\nSubject: after the junk\nContent-Type: text/plain; charset=utf-8\n\nbody\n");
    MimeMessage *m = timed_parse((const guint8 *)s->str, s->len, NULL, 5.0);
    g_assert_true(has_problem(m, "header field \"X-Junk\" longer than"));
    g_assert_cmpstr(m->subject, ==, "after the junk");
    g_assert_null(mime_message_header(m, "X-Junk"));
    g_assert_cmpstr(m->text, ==, "body\n");
    mime_message_free(&m);
    g_string_free(s, TRUE);

    /* many small fields adding up past the section bound */
    s = g_string_new("From: a@example.org\nSubject: many\n");
    for (int i = 0; i < 20000; i++)
        g_string_append_printf(s, "X-Field-%d: %s\n", i, "0123456789012345678901234567890123456789");
    g_string_append(s, "\nbody\n");
    m = timed_parse((const guint8 *)s->str, s->len, NULL, 5.0);
    g_assert_true(has_problem(m, "header section longer than"));
    g_assert_cmpstr(m->subject, ==, "many");
    g_assert_cmpuint(m->header_names->len, <, 20000);
    g_assert_cmpstr(m->text, ==, "body\n");
    mime_message_free(&m);
    g_string_free(s, TRUE);
}

typedef struct {
    const char *name;
    const char *input;
    const char *problem; /* substring expected in problems */
    const char *text;    /* expected text */
} DefectCase;

static const DefectCase defects[] = {
    {"unknown charset",
     "From: a@example.org\nSubject: x\nContent-Type: text/plain; charset=x-no-such-charset\n\n"
     "caf\xe9\n", "unknown charset \"x-no-such-charset\"", "café\n"},
    {"invalid charset name",
     "From: a@example.org\nSubject: x\nContent-Type: text/plain; charset=\"../../etc\"\n\nplain\n",
     "unknown charset", "plain\n"},
    {"8-bit without charset",
     "From: a@example.org\nSubject: x\n\n\x93quoted\x94 caf\xe9 \x80 5\n",
     "without charset, read as windows-1252", "\u201Cquoted\u201D café € 5\n"},
    {"8-bit declared us-ascii",
     "From: a@example.org\nSubject: x\nContent-Type: text/plain; charset=us-ascii\n\nna\xefve\n",
     "declared us-ascii", "naïve\n"},
    {"invalid utf-8",
     "From: a@example.org\nSubject: x\nContent-Type: text/plain; charset=utf-8\n\nbad \xff\xfe end\n",
     "invalid UTF-8", "bad \uFFFD\uFFFD end\n"},
    {"invalid bytes in declared charset",
     "From: a@example.org\nSubject: x\nContent-Type: text/plain; charset=shift_jis\n\nok \xff end\n",
     "invalid in charset", "ok \uFFFD end\n"},
    {"broken boundary",
     "From: a@example.org\nSubject: x\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"never\"\n\n"
     "--never\nContent-Type: text/plain\n\nfirst part\n--never\nContent-Type: text/plain\n\nsecond, unterminated\n",
     "missing closing boundary", "first part\n\nsecond, unterminated\n"},
    {"multipart without boundary",
     "From: a@example.org\nSubject: x\nMIME-Version: 1.0\nContent-Type: multipart/mixed\n\nwhatever\n",
     "boundary", NULL},
    {"unreadable date",
     "From: a@example.org\nDate: yesterday-ish\nSubject: x\n\nbody\n", "Date: unreadable", "body\n"},
    {"received without timestamp",
     "Received: from somewhere by nowhere\nFrom: a@example.org\nSubject: x\n\nbody\n",
     "Received: no readable timestamp", "body\n"},
    {"header cut by end of input", "From: a@example.org\nSubject: no body", NULL, ""},
    {"bad 2047 word",
     "From: =?utf-8?B?!!!?= <a@example.org>\nSubject: =?x-unknown?Q?abc?=\n\nbody\n", NULL, "body\n"},
};

static void test_defect(gconstpointer data)
{
    const DefectCase *c = data;
    MimeMessage *m = timed_parse((const guint8 *)c->input, strlen(c->input), NULL, 1.0);
    if (c->problem && !has_problem(m, c->problem)) {
        g_test_message("%s: no problem containing \"%s\"", c->name, c->problem);
        g_test_fail();
    }
    if (c->text)
        g_assert_cmpstr(m->text, ==, c->text);
    mime_message_free(&m);
}

static void test_text_bound(void)
{
    GString *s = g_string_new("From: a@example.org\nSubject: long\nContent-Type: text/plain; charset=utf-8\n\n");
    for (int i = 0; i < 100000; i++)
        g_string_append(s, "é");
    Bounds b = bounds_default();
    b.max_text_bytes = 1001; /* odd: the cut falls inside a two-byte character */
    MimeMessage *m = mime_message_parse((const guint8 *)s->str, s->len, &b);
    check_invariants(m);
    g_assert_true(m->text_truncated);
    g_assert_cmpuint(strlen(m->text), ==, 1000);
    g_assert_true(has_problem(m, "cut"));
    mime_message_free(&m);
    g_string_free(s, TRUE);
}

typedef struct {
    const char *text;
    const char *utc; /* NULL: must fail */
} DateCase;

static const DateCase dates[] = {
    {"Mon, 12 May 2025 14:03:18 +0100", "2025-05-12T13:03:18Z"},
    {" Mon, 9 Jun 2025 09:15:00 +1000 (AEST)", "2025-06-08T23:15:00Z"},
    {"12 May 2025 14:03:18 -0700", "2025-05-12T21:03:18Z"},
    {"Tue, 13 May 2025 16:30:00 GMT", "2025-05-13T16:30:00Z"},
    {"", NULL},
    {"   ", NULL},
    {"not a date", NULL},
};

static void test_parse_date(void)
{
    for (gsize i = 0; i < G_N_ELEMENTS(dates); i++) {
        gint64 t = 0;
        gboolean ok = mime_parse_date(dates[i].text, &t);
        g_test_message("date \"%s\"", dates[i].text);
        g_assert_cmpint(ok, ==, dates[i].utc != NULL);
        if (ok && dates[i].utc) {
            g_autofree char *s = iso_utc(t);
            g_assert_cmpstr(s, ==, dates[i].utc);
        }
    }
    g_assert_false(mime_parse_date(NULL, NULL));
}

/* A MimeMessage built by hand (as the redaction tests do) may leave the
 * private header arrays, or any array, NULL: the accessors and free must
 * cope instead of dereferencing them. */
static void test_hand_built(void)
{
    MimeMessage bare = {0};
    g_assert_null(mime_message_header(&bare, "From"));
    g_autoptr(GPtrArray) none = mime_message_headers_with_prefix(&bare, "X-");
    g_assert_nonnull(none);
    g_assert_cmpuint(none->len, ==, 0);

    /* names without values, and arrays of different lengths */
    g_autoptr(GPtrArray) names = g_ptr_array_new();
    g_ptr_array_add(names, (gpointer) "X-A");
    g_ptr_array_add(names, (gpointer) "X-B");
    MimeMessage half = {.header_names = names};
    g_assert_null(mime_message_header(&half, "X-A"));
    g_autoptr(GPtrArray) half_list = mime_message_headers_with_prefix(&half, "X-");
    g_assert_cmpuint(half_list->len, ==, 0);

    g_autoptr(GPtrArray) values = g_ptr_array_new();
    g_ptr_array_add(values, (gpointer) "a");
    MimeMessage uneven = {.header_names = names, .header_values = values};
    g_assert_cmpstr(mime_message_header(&uneven, "x-a"), ==, "a");
    g_assert_null(mime_message_header(&uneven, "X-B"));
    g_autoptr(GPtrArray) some = mime_message_headers_with_prefix(&uneven, "x-");
    g_assert_cmpuint(some->len, ==, 2);

    g_assert_null(mime_message_header(NULL, "From"));
    g_assert_null(mime_message_header(&uneven, NULL));

    /* freeing a zeroed heap struct must not touch the NULL arrays */
    MimeMessage *heap = g_new0(MimeMessage, 1);
    heap->subject = g_strdup("s");
    mime_message_free(&heap);
    g_assert_null(heap);
    mime_message_free(&heap);
    mime_message_free(NULL);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_set_nonfatal_assertions();

    for (gsize i = 0; i < G_N_ELEMENTS(samples); i++) {
        g_autofree char *name = g_strdup_printf("/mime/sample/%s", samples[i].file);
        g_test_add_data_func(name, &samples[i], test_sample);
    }
    g_test_add_func("/mime/sample-details", test_sample_details);
    for (gsize i = 0; i < G_N_ELEMENTS(mail_cases); i++) {
        g_autofree char *name = g_strdup_printf("/mime/mail/%s", mail_cases[i].file);
        g_test_add_data_func(name, &mail_cases[i], test_mail);
    }
    g_test_add_func("/mime/fixture-details", test_fixture_details);
    g_test_add_func("/mime/hostile/empty", test_empty);
    g_test_add_func("/mime/hostile/random-bytes", test_random_bytes);
    g_test_add_func("/mime/hostile/no-headers", test_no_headers);
    g_test_add_func("/mime/hostile/huge-message", test_huge_message);
    g_test_add_func("/mime/hostile/bare-cr", test_bare_cr);
    g_test_add_func("/mime/hostile/deep-multipart", test_deep_nesting);
    g_test_add_func("/mime/hostile/deep-rfc822", test_deep_rfc822);
    g_test_add_func("/mime/hostile/many-parts", test_many_parts);
    g_test_add_func("/mime/hostile/huge-header", test_huge_header_line);
    for (gsize i = 0; i < G_N_ELEMENTS(defects); i++) {
        g_autofree char *name = g_strdup_printf("/mime/defect/%s", defects[i].name);
        g_test_add_data_func(name, &defects[i], test_defect);
    }
    g_test_add_func("/mime/text-bound", test_text_bound);
    g_test_add_func("/mime/parse-date", test_parse_date);
    g_test_add_func("/mime/hand-built", test_hand_built);
    return g_test_run();
}
