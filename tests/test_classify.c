/* test_classify.c - classify_message on the samples (labels from
 * manifest.json) and on one hand-made message per rule row. Identifiers are
 * built by hand from the manifest, so this test needs no extract.c. */
#include "classify.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "testutil.h"

/* The CA of the sample README (test data). */
static const char *const ca_aliases[] = {"AcmeTrust", "Acme Trust", NULL};
static const char *const ca_names[] = {"AcmeTrust TLS RSA CA 2024", "AcmeTrust ECC DV CA R3", NULL};
static const char *const ca_domains[] = {"acmetrust.test", "acme-trust.test", NULL};
static const char *const ca_report[] = {"problems@acmetrust.test", NULL};
static const CaIdentity acme = {
    .owner = "Acme Trust Services",
    .aliases = ca_aliases,
    .ca_names = ca_names,
    .domains = ca_domains,
    .report_addresses = ca_report,
};

/* DIR/FILE of the fixtures; a file that cannot be read fails the test. */
static MimeMessage *parse_file(const char *dir, const char *file)
{
    g_autofree char *rel = g_build_filename(dir, file, NULL);
    return tu_parse_fixture(rel, NULL);
}

static MimeMessage *parse_str(const char *s)
{
    return mime_message_parse((const guint8 *)s, strlen(s), NULL);
}

static Identifiers *ids_from_manifest(JsonObject *o)
{
    Identifiers *ids = g_new0(Identifiers, 1);
    ids->serials = tu_json_strings(o, "serials");
    ids->sha256 = tu_json_strings(o, "sha256");
    ids->crtsh_ids = tu_json_strings(o, "crtsh_ids");
    ids->domains = tu_json_strings(o, "domains");
    ids->certs = g_ptr_array_new();
    return ids;
}

static void ids_free(Identifiers *ids)
{
    g_ptr_array_unref(ids->serials);
    g_ptr_array_unref(ids->sha256);
    g_ptr_array_unref(ids->crtsh_ids);
    g_ptr_array_unref(ids->domains);
    g_ptr_array_unref(ids->certs);
    g_free(ids);
}

/* Every sample against its manifest row, with the manifest's identifiers and
 * again without any (the kind must not depend on extract.c finding them). */
static void test_manifest(void)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    JsonArray *rows = tu_load_manifest("samples/manifest.json", parser);
    g_assert_nonnull(rows);
    g_assert_cmpuint(json_array_get_length(rows), ==, 12);

    for (guint i = 0; i < json_array_get_length(rows); i++) {
        JsonObject *row = json_array_get_object_element(rows, i);
        const char *file = json_object_get_string_member(row, "file");
        const char *kind = json_object_get_string_member(row, "kind");
        const char *list = tu_json_nullable_string(row, "list");
        const char *problem = tu_json_nullable_string(row, "problem");
        gboolean opens = json_object_get_boolean_member(row, "opens_case");
        g_test_message("sample %s", file);

        MimeMessage *msg = parse_file("samples", file);
        Identifiers *ids = ids_from_manifest(row);
        for (int with_ids = 1; with_ids >= 0; with_ids--) {
            Classification *c = classify_message(msg, with_ids ? ids : NULL, &acme);
            g_assert_nonnull(c);
            g_assert_cmpstr(classify_kind_name(c->kind), ==, kind);
            g_assert_cmpstr(c->list, ==, list);
            g_assert_cmpstr(classify_problem_name(c->problem), ==, problem);
            if (c->kind == KIND_LIST_POST || c->kind == KIND_BUGZILLA)
                g_assert_cmpint(c->concerns_ca, ==, opens);
            classification_free(&c);
            g_assert_null(c);
        }
        ids_free(ids);
        mime_message_free(&msg);
    }
}

static void test_sample_details(void)
{
    MimeMessage *m = parse_file("samples", "007-mdsp-acme-weak-rsa.eml");
    Classification *c = classify_message(m, NULL, &acme);
    g_assert_cmpstr(c->author_email, ==, "ayodele@fairbrother.example");
    g_assert_cmpstr(c->author_name, ==, "Ayodele Fairbrother");
    g_assert_true(c->concerns_ca);
    g_assert_null(c->bug_id);
    classification_free(&c);
    mime_message_free(&m);

    m = parse_file("samples", "008-ccadb-other-ca.eml");
    c = classify_message(m, NULL, &acme);
    g_assert_false(c->concerns_ca);
    g_assert_cmpstr(c->author_email, ==, "lavinia@crossthwaite.example");
    classification_free(&c);
    mime_message_free(&m);

    m = parse_file("samples", "009-bugzilla-acme-comment.eml");
    c = classify_message(m, NULL, &acme);
    g_assert_cmpstr(c->bug_id, ==, "1971100");
    g_assert_true(c->concerns_ca);
    g_assert_cmpstr(c->author_email, ==, "bugzilla-daemon@mozilla.org");
    classification_free(&c);
    mime_message_free(&m);

    m = parse_file("samples", "010-autoreply-ooo.eml");
    c = classify_message(m, NULL, &acme);
    g_assert_cmpuint(c->case_refs->len, ==, 1);
    g_assert_cmpstr(c->case_refs->pdata[0], ==, "CPR-2025-0101");
    classification_free(&c);
    mime_message_free(&m);

    m = parse_file("samples", "004-misuse-alternative-encoded-name.eml");
    c = classify_message(m, NULL, &acme);
    g_assert_cmpstr(c->author_name, ==, "Cosima Valdés-Harrow");
    g_assert_cmpstr(c->author_email, ==, "cosima.vh@brightfern.example");
    g_assert_true(c->concerns_ca);
    g_assert_cmpuint(c->case_refs->len, ==, 0);
    classification_free(&c);
    mime_message_free(&m);
}

/* ---- one message per rule row ---------------------------------------------- */

typedef struct {
    const char *name;
    const char *mail;
    const char *kind;
    const char *list;
    const char *problem; /* NULL: PROBLEM_NONE */
    const char *author_email, *author_name;
    const char *case_ref; /* first case ref, or NULL for none */
    const char *bug_id;
    gboolean concerns_ca;
} RuleCase;

#define TO_CA "To: problems@acmetrust.test\n"
#define OUTSIDER "From: Pat Reporter <pat@outside.example>\n"

static const RuleCase rule_cases[] = {
    {"x-autoreply",
     OUTSIDER TO_CA "Subject: Re: [CPR-2025-0011] certificate report\nX-Autoreply: yes\n\nAway.\n",
     "auto_reply", NULL, NULL, "pat@outside.example", "Pat Reporter", "CPR-2025-0011", NULL, FALSE},
    {"x-autorespond",
     OUTSIDER TO_CA "Subject: Re: certificate\nX-Autorespond: Thanks\n\nAway.\n",
     "auto_reply", NULL, NULL, "pat@outside.example", "Pat Reporter", NULL, NULL, FALSE},
    {"auto-submitted no is a person",
     OUTSIDER TO_CA "Subject: leaked key\nAuto-Submitted: no\n\nThe private key is on GitHub.\n",
     "cpr", NULL, "key_compromise", "pat@outside.example", "Pat Reporter", NULL, NULL, FALSE},
    {"auto-submitted auto-generated",
     OUTSIDER TO_CA "Subject: certificate expiry notice\nAuto-Submitted: auto-generated\n\nExpires soon.\n",
     "auto_reply", NULL, NULL, "pat@outside.example", "Pat Reporter", NULL, NULL, FALSE},
    {"precedence bulk",
     "From: News <news@vendor.example>\n" TO_CA "Subject: Our certificate newsletter\nPrecedence: bulk\n\nNews.\n",
     "auto_reply", NULL, NULL, "news@vendor.example", "News", NULL, NULL, FALSE},
    {"precedence list on a non-list mail",
     "From: News <news@vendor.example>\n" TO_CA "Subject: certificate digest\nPrecedence: list\n\nDigest.\n",
     "auto_reply", NULL, NULL, "news@vendor.example", "News", NULL, NULL, FALSE},
    {"multipart/report",
     "From: MAILER-DAEMON@mx.example\n" TO_CA "Subject: Undelivered Mail\nMIME-Version: 1.0\n"
     "Content-Type: multipart/report; report-type=delivery-status; boundary=\"r\"\n\n"
     "--r\nContent-Type: text/plain\n\nThe certificate report could not be delivered.\n"
     "--r\nContent-Type: message/delivery-status\n\nAction: failed\n--r--\n",
     "auto_reply", NULL, NULL, "mailer-daemon@mx.example", NULL, NULL, NULL, FALSE},
    {"null sender out of office",
     "Return-Path: <>\n" OUTSIDER TO_CA "Subject: Out of Office: certificate problem report\n\nAway.\n",
     "auto_reply", NULL, NULL, "pat@outside.example", "Pat Reporter", NULL, NULL, FALSE},
    {"list-post mailto only",
     OUTSIDER "To: dev-security-policy@mozilla.org\nSubject: AcmeTrust misissuance\n"
     "Precedence: list\nList-Post: <https://groups.google.com/x>, <mailto:dev-security-policy@mozilla.org>\n\n"
     "Misissued certificates.\n",
     "list_post", "mdsp", "misissuance", "pat@outside.example", "Pat Reporter", NULL, NULL, TRUE},
    {"mailing-list only",
     OUTSIDER "To: public@ccadb.org\nSubject: CCADB update\n"
     "Mailing-list: list public@ccadb.org; contact public+owners@ccadb.org\n\nA new field.\n",
     "list_post", "ccadb-public", "other", "pat@outside.example", "Pat Reporter", NULL, NULL, FALSE},
    {"list-id without brackets and description",
     OUTSIDER "Subject: phishing with an acme-trust.test certificate\nList-Id: CCADB Public <public.ccadb.org>\n\nPhishing.\n",
     "list_post", "ccadb-public", "misuse", "pat@outside.example", "Pat Reporter", NULL, NULL, TRUE},
    {"google dmarc rewrite",
     "From: Jane Doe via dev-security-policy <dev-security-policy@mozilla.org>\n"
     "X-Original-From: Jane Doe <Jane@Doe.example>\n"
     "To: dev-security-policy@mozilla.org\nSubject: Re: Acme Trust backdated certificates\n"
     "Precedence: list\nList-ID: <dev-security-policy.mozilla.org>\n\nThe notBefore is backdated.\n",
     "list_post", "mdsp", "misissuance", "jane@doe.example", "Jane Doe", NULL, NULL, TRUE},
    {"google dmarc rewrite, x-original-sender only",
     "From: Jane Doe via dev-security-policy <dev-security-policy@mozilla.org>\n"
     "X-Original-Sender: jane@doe.example\n"
     "To: dev-security-policy@mozilla.org\nSubject: policy question\n"
     "List-ID: <dev-security-policy.mozilla.org>\n\nA question.\n",
     "list_post", "mdsp", "other", "jane@doe.example", "Jane Doe", NULL, NULL, FALSE},
    {"case tag in subject",
     OUTSIDER TO_CA "Subject: Re: [CPR-2025-0042] Your report, also CPR-2025-0043\n\nThanks, more detail on the certificate.\n",
     "cpr", NULL, "other", "pat@outside.example", "Pat Reporter", "CPR-2025-0042", NULL, FALSE},
    {"cc to the report address",
     "From: Sam <sam@elsewhere.example>\nTo: someone@else.example\nCc: Problems <Problems@AcmeTrust.test>\n"
     "Subject: fraud\n\nA fraudulent shop uses a cert from you.\n",
     "cpr", NULL, "misuse", "sam@elsewhere.example", "Sam", NULL, NULL, FALSE},
    {"from the CA itself is not a report",
     "From: Ops <ops@acmetrust.test>\n" TO_CA "Subject: key compromise drill\n\nTest of a key compromise report.\n",
     "other", NULL, NULL, "ops@acmetrust.test", "Ops", NULL, NULL, FALSE},
    {"from a CA subdomain is not a report",
     "From: Ops <ops@mail.acme-trust.test>\n" TO_CA "Subject: certificate revoked\n\nDone.\n",
     "other", NULL, NULL, "ops@mail.acme-trust.test", "Ops", NULL, NULL, FALSE},
    {"not sent to the report address",
     OUTSIDER "To: sales@acmetrust.test\nSubject: leaked key\n\nThe key leaked.\n",
     "other", NULL, NULL, "pat@outside.example", "Pat Reporter", NULL, NULL, FALSE},
    {"spanish without identifiers",
     OUTSIDER TO_CA "Subject: Problema\n\nLa clave privada del certificado fue publicada.\n",
     "cpr", NULL, "key_compromise", "pat@outside.example", "Pat Reporter", NULL, NULL, FALSE},
    {"german key compromise",
     OUTSIDER TO_CA "Subject: Zertifikat\n\nDer private Schlüssel ist kompromittiert.\n",
     "cpr", NULL, "key_compromise", "pat@outside.example", "Pat Reporter", NULL, NULL, FALSE},
    {"french key compromise",
     OUTSIDER TO_CA "Subject: Certificat\n\nLa clé privée compromise est en ligne.\n",
     "cpr", NULL, "key_compromise", "pat@outside.example", "Pat Reporter", NULL, NULL, FALSE},
    {"tie goes to key compromise",
     OUTSIDER TO_CA "Subject: report\n\nmisuse of a certificate whose key compromise is known\n",
     "cpr", NULL, "key_compromise", "pat@outside.example", "Pat Reporter", NULL, NULL, FALSE},
    {"no report signal is other",
     OUTSIDER TO_CA "Subject: hello\n\nCan we have lunch on Friday?\n",
     "other", NULL, NULL, "pat@outside.example", "Pat Reporter", NULL, NULL, FALSE},
    {"bugzilla from another product is not bugzilla",
     "From: bugzilla-daemon@mozilla.org\n" TO_CA "Subject: [Bug 1] Firefox crash\n"
     "X-Bugzilla-Product: Firefox\nAuto-Submitted: auto-generated\n\nCrash.\n",
     "auto_reply", NULL, NULL, "bugzilla-daemon@mozilla.org", NULL, NULL, NULL, FALSE},
    {"bugzilla bug id from the link",
     "From: bugzilla-daemon@mozilla.org\n" TO_CA "Subject: Acme Trust Services: phishing certificates\n"
     "X-Bugzilla-Product: CA Program\nAuto-Submitted: auto-generated\n\n"
     "https://bugzilla.mozilla.org/show_bug.cgi?id=424242\n\nComment.\n",
     "bugzilla", NULL, "misuse", "bugzilla-daemon@mozilla.org", NULL, NULL, "424242", TRUE},
    {"ca domain inside an address does not concern the ca",
     "From: X <x@y.example>\nList-Id: <public.ccadb.org>\nSubject: hello\n\nWrite to problems@acmetrust.test please.\n",
     "list_post", "ccadb-public", "other", "x@y.example", "X", NULL, NULL, FALSE},
    {"ca subdomain in text concerns the ca",
     "From: X <x@y.example>\nList-Id: <public.ccadb.org>\nSubject: OCSP\n\nocsp.acmetrust.test is down.\n",
     "list_post", "ccadb-public", "other", "x@y.example", "X", NULL, NULL, TRUE},
    {"ca name as part of a longer word does not",
     "From: X <x@y.example>\nList-Id: <public.ccadb.org>\nSubject: NotAcmeTrustworthy\n\nacmetrust.testing.example\n",
     "list_post", "ccadb-public", "other", "x@y.example", "X", NULL, NULL, FALSE},
};

static void test_rule(gconstpointer data)
{
    const RuleCase *rc = data;
    MimeMessage *m = parse_str(rc->mail);
    Classification *c = classify_message(m, NULL, &acme);
    g_assert_cmpstr(classify_kind_name(c->kind), ==, rc->kind);
    g_assert_cmpstr(c->list, ==, rc->list);
    g_assert_cmpstr(classify_problem_name(c->problem), ==, rc->problem);
    g_assert_cmpstr(c->author_email, ==, rc->author_email);
    g_assert_cmpstr(c->author_name, ==, rc->author_name);
    g_assert_cmpstr(c->case_refs->len ? c->case_refs->pdata[0] : NULL, ==, rc->case_ref);
    g_assert_cmpstr(c->bug_id, ==, rc->bug_id);
    g_assert_cmpint(c->concerns_ca, ==, rc->concerns_ca);
    classification_free(&c);
    mime_message_free(&m);
}

static void test_case_refs_multiple(void)
{
    MimeMessage *m = parse_str(OUTSIDER TO_CA "Subject: [CPR-2025-0042] and CPR-2026-0001, again [CPR-2025-0042]\n\ncertificate\n");
    Classification *c = classify_message(m, NULL, &acme);
    g_assert_cmpuint(c->case_refs->len, ==, 2);
    g_assert_cmpstr(c->case_refs->pdata[0], ==, "CPR-2025-0042");
    g_assert_cmpstr(c->case_refs->pdata[1], ==, "CPR-2026-0001");
    classification_free(&c);
    mime_message_free(&m);
}

/* An identifier alone makes a mail to the report address a report. */
static void test_identifier_signal(void)
{
    MimeMessage *m = parse_str(OUTSIDER TO_CA "Subject: see below\n\n01:02:03:04:05:06:07:08\n");
    Classification *c = classify_message(m, NULL, &acme);
    g_assert_cmpint(c->kind, ==, KIND_OTHER);
    classification_free(&c);

    Identifiers ids = {
        .serials = g_ptr_array_new(), .sha256 = g_ptr_array_new(), .crtsh_ids = g_ptr_array_new(),
        .domains = g_ptr_array_new(), .certs = g_ptr_array_new(),
    };
    g_ptr_array_add(ids.serials, (gpointer) "0102030405060708");
    c = classify_message(m, &ids, &acme);
    g_assert_cmpint(c->kind, ==, KIND_CPR);
    g_assert_cmpint(c->problem, ==, PROBLEM_OTHER);
    classification_free(&c);
    g_ptr_array_unref(ids.serials);
    g_ptr_array_unref(ids.sha256);
    g_ptr_array_unref(ids.crtsh_ids);
    g_ptr_array_unref(ids.domains);
    g_ptr_array_unref(ids.certs);
    mime_message_free(&m);
}

/* Our fixtures under tests/fixtures/mail. */
typedef struct {
    const char *file;
    const char *kind;
    const char *problem;
} MailCase;

static const MailCase mail_cases[] = {
    {"html-only.eml", "cpr", "misuse"},
    {"outlook-cp1252.eml", "cpr", "key_compromise"},
    {"iso-2022-jp.eml", "cpr", "key_compromise"},
    {"forwarded-rfc822.eml", "other", NULL}, /* forwarded by the CA's own helpdesk */
    {"dsn-report.eml", "auto_reply", NULL},
    {"x-autoreply.eml", "auto_reply", NULL},
    {"gg-quoted-footer.eml", "list_post", "misissuance"},
};

static void test_mail(gconstpointer data)
{
    const MailCase *mc = data;
    MimeMessage *m = parse_file("mail", mc->file);
    Classification *c = classify_message(m, NULL, &acme);
    g_assert_cmpstr(classify_kind_name(c->kind), ==, mc->kind);
    g_assert_cmpstr(classify_problem_name(c->problem), ==, mc->problem);
    classification_free(&c);
    mime_message_free(&m);
}

static void test_degenerate(void)
{
    /* no message, no CA, empty CA, hostile message */
    Classification *c = classify_message(NULL, NULL, NULL);
    g_assert_nonnull(c);
    g_assert_cmpint(c->kind, ==, KIND_OTHER);
    g_assert_cmpint(c->problem, ==, PROBLEM_NONE);
    classification_free(&c);

    MimeMessage *m = mime_message_parse(NULL, 0, NULL);
    c = classify_message(m, NULL, NULL);
    g_assert_cmpint(c->kind, ==, KIND_OTHER);
    g_assert_null(c->author_email);
    classification_free(&c);
    mime_message_free(&m);

    static const char *const none[] = {NULL};
    const CaIdentity empty = {.owner = "", .aliases = none, .ca_names = none, .domains = none,
                              .report_addresses = none};
    m = parse_file("samples", "001-kc-csr-proof.eml");
    c = classify_message(m, NULL, &empty);
    g_assert_cmpint(c->kind, ==, KIND_OTHER);
    g_assert_false(c->concerns_ca);
    classification_free(&c);
    /* a CA whose names carry regex syntax */
    static const char *const odd[] = {"A+B (CA) [1]", NULL};
    const CaIdentity weird = {.owner = "*Weird*", .aliases = odd, .ca_names = none, .domains = odd,
                              .report_addresses = ca_report};
    c = classify_message(m, NULL, &weird);
    g_assert_cmpint(c->kind, ==, KIND_CPR);
    g_assert_false(c->concerns_ca);
    classification_free(&c);
    mime_message_free(&m);
}

static void test_names(void)
{
    static const struct {
        MessageKind kind;
        const char *name;
    } kinds[] = {
        {KIND_CPR, "cpr"}, {KIND_LIST_POST, "list_post"}, {KIND_BUGZILLA, "bugzilla"},
        {KIND_AUTO_REPLY, "auto_reply"}, {KIND_OTHER, "other"},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(kinds); i++) {
        MessageKind k = KIND_OTHER;
        g_assert_cmpstr(classify_kind_name(kinds[i].kind), ==, kinds[i].name);
        g_assert_true(classify_kind_from_name(kinds[i].name, &k));
        g_assert_cmpint(k, ==, kinds[i].kind);
    }
    static const struct {
        ProblemType problem;
        const char *name;
    } problems[] = {
        {PROBLEM_KEY_COMPROMISE, "key_compromise"}, {PROBLEM_MISISSUANCE, "misissuance"},
        {PROBLEM_MISUSE, "misuse"}, {PROBLEM_OTHER, "other"},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(problems); i++) {
        ProblemType p = PROBLEM_NONE;
        g_assert_cmpstr(classify_problem_name(problems[i].problem), ==, problems[i].name);
        g_assert_true(classify_problem_from_name(problems[i].name, &p));
        g_assert_cmpint(p, ==, problems[i].problem);
    }
    g_assert_null(classify_problem_name(PROBLEM_NONE));
    MessageKind k;
    ProblemType p;
    g_assert_false(classify_kind_from_name("spam", &k));
    g_assert_false(classify_kind_from_name(NULL, &k));
    g_assert_false(classify_problem_from_name("none", &p));
    g_assert_false(classify_problem_from_name("", &p));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_set_nonfatal_assertions();
    g_test_add_func("/classify/manifest", test_manifest);
    g_test_add_func("/classify/sample-details", test_sample_details);
    for (gsize i = 0; i < G_N_ELEMENTS(rule_cases); i++) {
        g_autofree char *name = g_strdup_printf("/classify/rule/%s", rule_cases[i].name);
        g_test_add_data_func(name, &rule_cases[i], test_rule);
    }
    g_test_add_func("/classify/case-refs", test_case_refs_multiple);
    g_test_add_func("/classify/identifier-signal", test_identifier_signal);
    for (gsize i = 0; i < G_N_ELEMENTS(mail_cases); i++) {
        g_autofree char *name = g_strdup_printf("/classify/mail/%s", mail_cases[i].file);
        g_test_add_data_func(name, &mail_cases[i], test_mail);
    }
    g_test_add_func("/classify/degenerate", test_degenerate);
    g_test_add_func("/classify/names", test_names);
    return g_test_run();
}
