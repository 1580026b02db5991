/* test_identity.c - who a message identifies (parsers/identity.c).
 *
 * Table driven: each row is a raw message (parsed with mime.c, so RFC 2047 and
 * transfer encodings are the real ones), the identifiers that must be found and
 * the strings that must not be taken for a person (the CA, the lists, dates,
 * organisation words). Comparisons are accent- and case-insensitive. */
#include <string.h>

#include "redact.h"
#include "mime.h"

static const char *const CA_ADDRESSES[] = { "problems@acmetrust.test",
                                            "dev-security-policy@mozilla.org",
                                            "public@ccadb.org", NULL };
static const char *const CA_DOMAINS[] = { "acmetrust.test", "acme-trust.test", NULL };

#define MAXS 12

typedef struct {
    const char *desc;
    const char *headers; /* without From/To unless given; a default is added */
    const char *body;
    const char *found[MAXS];  /* names, tokens, addresses, phones that must be known */
    const char *absent[MAXS]; /* strings that must not be any identifier */
    int persons;              /* expected person count, -1: do not check */
} Row;

static const Row rows[] = {
    { "From: display name and address",
      "From: Jane Doe <Jane@Doe.example>\n", "Hello.\n",
      { "Jane Doe", "Jane", "Doe", "jane@doe.example" }, { "Hello" }, 1 },
    { "Sender, Reply-To and Cc are persons",
      "From: Jane Doe <jane@doe.example>\nSender: Paul Sender <paul@sender.example>\n"
      "Reply-To: Rita Reply <rita@reply.example>\nCc: Carl Copy <carl@copy.example>, "
      "dana@copy.example\n",
      "Hi\n",
      { "Paul Sender", "paul@sender.example", "Rita Reply", "rita@reply.example", "Carl Copy",
        "carl@copy.example", "dana@copy.example" },
      { NULL }, 5 },
    { "To: the CA's report address is not a person, its display name neither",
      "From: Jane Doe <jane@doe.example>\nTo: Acme Trust Problem Reports "
      "<problems@acmetrust.test>, Bob Stone <bob@stone.example>\n",
      "x\n", { "Bob Stone", "bob@stone.example" },
      { "problems@acmetrust.test", "Acme", "Trust", "Problem", "Reports" }, 2 },
    { "RFC 2047 ISO-8859-1 Q with accent and hyphen",
      "From: =?ISO-8859-1?Q?Cosima_Vald=E9s-Harrow?= <cosima.vh@brightfern.example>\n", "x\n",
      { "Cosima Valdés-Harrow", "Valdés", "Valdes", "Harrow", "Cosima" }, { NULL }, 1 },
    { "RFC 2047 UTF-8 B three-part name",
      "From: =?UTF-8?B?SW7DqXMgR29yb3N0aXphIEJsYW5jbw==?= <ines@alboran.example>\n", "x\n",
      { "Inés Gorostiza Blanco", "Ines", "Gorostiza", "Blanco" }, { NULL }, 1 },
    { "RFC 2047 UTF-8 CJK name: whole name only",
      "From: =?UTF-8?B?5bGx55Sw5aSq6YOO?= <taro@yamada.example>\n", "x\n",
      { "山田太郎", "taro@yamada.example" }, { "山田" }, 1 },
    { "Google Groups DMARC rewrite: X-Original-From, ' via LIST' stripped, one person",
      "From: 'Jane Doe' via dev-security-policy <dev-security-policy@mozilla.org>\n"
      "X-Original-From: Jane Doe <jane@doe.example>\nX-Original-Sender: jane@doe.example\n"
      "Sender: dev-security-policy@mozilla.org\nTo: dev-security-policy@mozilla.org\n",
      "x\n", { "Jane Doe", "jane@doe.example" },
      { "dev-security-policy@mozilla.org", "dev-security-policy", "via", "Jane Doe via" }, 1 },
    { "Google Groups rewrite without X-Original-From still yields the name",
      "From: Ravi Shankar via dev-security-policy <dev-security-policy@mozilla.org>\n", "x\n",
      { "Ravi Shankar", "Shankar" }, { "dev-security-policy" }, 1 },
    { "English attribution with address",
      "From: Other Person <other@person.example>\n",
      "ok\n\nOn Mon, 12 May 2025 at 14:02, Rafferty Nakagawa-Bell <rafferty@tidepool-sec.example>"
      " wrote:\n> text\n",
      { "Rafferty Nakagawa-Bell", "Nakagawa", "Bell", "rafferty@tidepool-sec.example" },
      { "Mon", "May" }, 2 },
    { "US attribution: no comma before the name, AM/PM",
      "From: Other Person <other@person.example>\n",
      "ok\n\nOn Mon, May 12, 2025 at 2:02 PM Peter Quill <peter@quill.example> wrote:\n> t\n",
      { "Peter Quill", "peter@quill.example" }, { "PM", "Mon", "May" }, 2 },
    { "attribution without an address",
      "From: Other Person <other@person.example>\n",
      "ok\n\nOn 12/05/2025 10:00, Hannelore Kraft wrote:\n> t\n", { "Hannelore Kraft" },
      { NULL }, 2 },
    { "French attribution",
      "From: Other Person <other@person.example>\n",
      "ok\n\nLe lun. 12 mai 2025 à 14:02, Amélie Poulain <amelie@poulain.example> a écrit :\n"
      "> t\n",
      { "Amélie Poulain", "Amelie", "Poulain", "amelie@poulain.example" }, { "mai", "lun" }, 2 },
    { "German attribution: name after the verb",
      "From: Other Person <other@person.example>\n",
      "ok\n\nAm 12.05.2025 um 14:02 schrieb Jürgen Weiß <jw@weiss.example>:\n> t\n",
      { "Jürgen Weiß", "Weiss", "Jurgen", "jw@weiss.example" }, { "Am", "um" }, 2 },
    { "Spanish attribution with (<addr>)",
      "From: Other Person <other@person.example>\n",
      "ok\n\nEl lun, 12 may 2025 a las 14:02, Lucía Fernández (<lucia@fernandez.example>) "
      "escribió:\n> t\n",
      { "Lucía Fernández", "Fernandez", "lucia@fernandez.example" }, { "las" }, 2 },
    { "Gmail attribution wrapped over two lines",
      "From: Other Person <other@person.example>\n",
      "ok\n\nOn Mon, 12 May 2025 at 14:02, Wilhelmina Stroud <\nwil@stroud.example> wrote:\n> t\n",
      { "Wilhelmina Stroud", "wil@stroud.example" }, { NULL }, 2 },
    { "Outlook header block: Last, First; Cc; the CA's To excluded",
      "From: Other Person <other@person.example>\n",
      "ok\n\n-----Original Message-----\nFrom: Doe, Jane <jane@doe.example>\n"
      "Sent: Monday, May 12, 2025 2:02 PM\nTo: problems@acmetrust.test\n"
      "Cc: Carl Sagan <carl@cosmos.example>; Ann Druyan <ann@cosmos.example>\n"
      "Subject: RE: thing\n\nbody\n",
      { "Jane Doe", "Doe, Jane", "jane@doe.example", "Carl Sagan", "Ann Druyan" },
      { "problems@acmetrust.test", "Monday", "Sent" }, 4 },
    { "quoted Outlook block, [mailto:], French labels",
      "From: Other Person <other@person.example>\n",
      "ok\n\n> De : Margaux Lefèvre [mailto:margaux@lefevre.example]\n> Envoyé : lundi\n"
      "> À : problems@acmetrust.test\n> Objet : x\n",
      { "Margaux Lefèvre", "Lefevre", "margaux@lefevre.example" }, { "lundi" }, 2 },
    { "'A:' answer line is not a header",
      "From: Other Person <other@person.example>\n", "Q: is it revoked?\nA: Not Yet\n",
      { NULL }, { "Not Yet", "Yet" }, 1 },
    { "signatures: Regards, name line, org line, phone",
      "From: Jane Doe <jane@doe.example>\n",
      "text\n\nRegards,\nJane Doe\nTidepool Security\nTel: +44 20 7946 0958\n",
      { "Jane Doe", "+44 20 7946 0958" }, { "Tidepool Security", "Security" }, 1 },
    { "signature under '-- ' with a mobile number, attached to the name",
      "From: Other Person <other@person.example>\n",
      "text\n\n-- \nMagnus Ødegaard\nMobile: +47 912 34 567\n",
      { "Magnus Ødegaard", "Odegaard", "+47 912 34 567" }, { NULL }, 2 },
    { "'Thanks, Name' on one line; 'Best,' 'Cheers,'",
      "From: Other Person <other@person.example>\n",
      "a\n\nThanks, Priya Raman\n\nb\nBest,\nOtto Lilienthal\n\nc\nCheers,\nRafferty\n",
      { "Priya Raman", "Otto Lilienthal", "Rafferty" }, { "Thanks" }, -1 },
    { "Spanish and German valedictions",
      "From: Other Person <other@person.example>\n",
      "a\n\nUn saludo,\nInés Gorostiza Blanco\n\nb\nSaludos\nPablo Neruda\n\n"
      "c\nViele Grüße\nJürgen Weiß\n\nd\nMit freundlichen Grüßen\nDr. Hans Müller\n",
      { "Inés Gorostiza Blanco", "Pablo Neruda", "Jürgen Weiß", "Hans Müller", "Muller" },
      { "Dr", "Saludos" }, -1 },
    { "the CA's signature in a quoted acknowledgement is not a person",
      "From: Other Person <other@person.example>\n",
      "thanks\n\n> Kind regards,\n> Acme Trust Compliance Team\n>\n> Best regards,\n"
      "> AcmeTrust PKI\n",
      { NULL }, { "Acme", "Trust", "Compliance", "AcmeTrust", "PKI" }, 1 },
    { "Google Groups and Bugzilla footers are not signatures",
      "From: Other Person <other@person.example>\n",
      "x\n-- \nYou received this message because you are subscribed to the Google Groups\n",
      { NULL }, { "You", "received" }, 1 },
    { "self-introductions in four languages",
      "From: Other Person <other@person.example>\n",
      "My name is Kenji Watanabe and I research PKI.\nI'm Siobhán O'Brien.\n"
      "Me llamo Pablo D'Angelo.\nIch heiße Anneliese Vogt.\nHi, this is Tom Baker from x.\n",
      { "Kenji Watanabe", "Siobhán O'Brien", "O'Brien", "Brien", "Pablo D'Angelo", "Angelo",
        "Anneliese Vogt", "Tom Baker" },
      { "research", "PKI" }, -1 },
    { "'I am' is a self-introduction only before a capitalised name",
      "From: Other Person <other@person.example>\n",
      "I am writing to report a key. I am Gwendolyn Ashby.\n", { "Gwendolyn Ashby" },
      { "writing" }, 2 },
    { "colleague named in the body (sample 012)",
      "From: Leocadia Wynstanley <leocadia@wynstanley.example>\n",
      "My colleague Idris Kolawole-Ferris (cc) found it.\nmi colega Lucía Fernández lo vio.\n"
      "Meine Kollegin Anna Schmidt auch.\n",
      { "Idris Kolawole-Ferris", "Kolawole", "Ferris", "Lucía Fernández", "Anna Schmidt" },
      { "cc" }, 4 },
    { "person next to an address in the body; Bugzilla comment header",
      "From: bugzilla-daemon@mozilla.org\nX-Bugzilla-Who: ottoline@marchbanks.example\n",
      "please contact Maria Garcia <maria@garcia.example> or\n"
      "--- Comment #3 from Ottoline Marchbanks <ottoline@marchbanks.example> 2025-06-05 ---\n"
      "and noor@haddad.example (Noor Haddad)\n",
      { "Maria Garcia", "maria@garcia.example", "Ottoline Marchbanks", "Noor Haddad",
        "noor@haddad.example" },
      { "bugzilla-daemon@mozilla.org", "contact", "Comment" }, 3 },
    { "machines, list variants, the CA's subdomains and message-ids are not persons",
      "From: bugzilla-daemon@mozilla.org\n",
      "see <CAocNTS0vv92rBlNYbVoXHowiRH7qbS=mY_gIwyY1k@mail.gmail.com>\n"
      "dev-security-policy+unsubscribe@mozilla.org, ops@mail.acmetrust.test,\n"
      "googlegroups-manage+5217@googlegroups.com, MAILER-DAEMON@x.example\n",
      { NULL },
      { "dev-security-policy+unsubscribe@mozilla.org", "ops@mail.acmetrust.test",
        "mailer-daemon@x.example" },
      0 },
    /* fuzz_parse-redact-check-dash-address, -subject */
    { "an address whose local part has no letter or digit is not a person",
      "From: Jane Doe <jane@doe.example>\nCc: -@a.d, __@x.example\n",
      "Clave comprometida -@ejemplo.example>\nand -@a.d, but o-k@x.example is one\n",
      { "jane@doe.example", "o-k@x.example" },
      { "-@a.d", "-@ejemplo.example", "__@x.example" }, 2 },
    /* a token "member" would leak again from every "a community member" */
    { "the words of the replacement phrases are never names or tokens",
      "From: Member Smith <ms@smith.example>\nCc: Community Member <cm@x.example>, "
      "\"Name Redacted\" <nr@x.example>, Reporter Email <re@x.example>\n",
      "x\n",
      { "Member Smith", "Smith", "ms@smith.example", "cm@x.example", "nr@x.example",
        "re@x.example" },
      { "Member", "Community Member", "Community", "Name Redacted", "Name", "Redacted",
        "Reporter", "Email", "Reporter Email" },
      4 },
    { "labelled phone anywhere goes to the author; dates are not phones",
      "From: Jane Doe <jane@doe.example>\n",
      "Call me, phone: (555) 010-0199.\n\nRegards,\nJane Doe\n2025-05-12\n",
      { "(555) 010-0199" }, { "2025-05-12" }, 1 },
    { "German attribution without an address: the name after the verb",
      "From: Jane Doe <jane@doe.example>\n",
      "ok\n\nAm 12.05.2025 um 14:02 schrieb Ottilie Brenner:\n> t\n",
      { "Ottilie Brenner" }, { "schrieb", "Am" }, 2 },
    { "a quoted display name in text is a name in any case",
      "From: Jane Doe <jane@doe.example>\n",
      "Forwarding for \"ottilie brenner\" <ob@brenner.example>, who found it.\n",
      { "ottilie brenner", "ob@brenner.example" }, { "Forwarding" }, 2 },
};

static char *fold(const char *s)
{
    return redact_fold(s);
}

static gboolean strv_has_folded(const char *const *v, const char *folded)
{
    for (; *v; v++) {
        g_autofree char *f = fold(*v);
        if (strcmp(f, folded) == 0)
            return TRUE;
    }
    return FALSE;
}

static gboolean set_knows(const IdentitySet *set, const char *s)
{
    g_autofree char *f = fold(s);
    for (guint i = 0; i < identity_set_count(set); i++) {
        const IdentityPerson *p = identity_set_get(set, i);
        if (strv_has_folded(identity_person_names(p), f) ||
            strv_has_folded(identity_person_tokens(p), f) ||
            strv_has_folded(identity_person_emails(p), f) ||
            strv_has_folded(identity_person_phones(p), f))
            return TRUE;
    }
    return FALSE;
}

static void dump_set(const IdentitySet *set)
{
    for (guint i = 0; i < identity_set_count(set); i++) {
        const IdentityPerson *p = identity_set_get(set, i);
        g_autofree char *n = g_strjoinv(" | ", (char **)identity_person_names(p));
        g_autofree char *t = g_strjoinv(" | ", (char **)identity_person_tokens(p));
        g_autofree char *e = g_strjoinv(" | ", (char **)identity_person_emails(p));
        g_autofree char *ph = g_strjoinv(" | ", (char **)identity_person_phones(p));
        g_test_message("  person %u: names [%s] tokens [%s] emails [%s] phones [%s]", i, n, t,
                       e, ph);
    }
}

static MimeMessage *parse_raw(const char *headers, const char *body)
{
    GString *raw = g_string_new(NULL);
    if (!strstr(headers, "From:"))
        g_string_append(raw, "From: Someone Else <someone@else.example>\n");
    g_string_append(raw, headers);
    if (!strstr(headers, "\nTo:") && !g_str_has_prefix(headers, "To:"))
        g_string_append(raw, "To: problems@acmetrust.test\n");
    g_string_append(raw, "Subject: test\nMIME-Version: 1.0\n"
                         "Content-Type: text/plain; charset=utf-8\n"
                         "Content-Transfer-Encoding: 8bit\n\n");
    g_string_append(raw, body);
    Bounds b = bounds_default();
    MimeMessage *m = mime_message_parse((const guint8 *)raw->str, raw->len, &b);
    g_string_free(raw, TRUE);
    return m;
}

static void test_row(gconstpointer data)
{
    const Row *row = data;
    MimeMessage *m = parse_raw(row->headers, row->body);
    IdentitySet *set = identity_set_new();
    identity_set_add_message(set, m, CA_ADDRESSES, CA_DOMAINS);
    gboolean bad = FALSE;
    for (guint i = 0; i < MAXS && row->found[i]; i++) {
        if (!set_knows(set, row->found[i])) {
            g_test_message("missing: %s", row->found[i]);
            bad = TRUE;
        }
    }
    for (guint i = 0; i < MAXS && row->absent[i]; i++) {
        if (set_knows(set, row->absent[i])) {
            g_test_message("wrongly taken for a person: %s", row->absent[i]);
            bad = TRUE;
        }
    }
    if (row->persons >= 0 && identity_set_count(set) != (guint)row->persons) {
        g_test_message("persons: %u, expected %d", identity_set_count(set), row->persons);
        bad = TRUE;
    }
    if (bad) {
        g_test_message("row: %s", row->desc);
        dump_set(set);
    }
    g_assert_false(bad);
    identity_set_free(&set);
    g_assert_null(set);
    mime_message_free(&m);
}

/* A message built by hand, with the optional arrays left NULL. */
static MimeAddress *addr(const char *name, const char *email)
{
    MimeAddress *a = g_new0(MimeAddress, 1);
    a->name = g_strdup(name);
    a->email = g_strdup(email);
    return a;
}

static void addr_free(gpointer p)
{
    MimeAddress *a = p;
    g_free(a->name);
    g_free(a->email);
    g_free(a);
}

static void test_hand_built(void)
{
    MimeMessage *m = g_new0(MimeMessage, 1);
    m->from = g_ptr_array_new_with_free_func(addr_free);
    g_ptr_array_add(m->from, addr("Zoë Ashworth-Lyle", "zoe@ashworth.example"));
    m->cc = g_ptr_array_new_with_free_func(addr_free);
    g_ptr_array_add(m->cc, addr(NULL, "third@party.example"));
    g_ptr_array_add(m->cc, addr("problems@acmetrust.test", "problems@acmetrust.test"));
    m->subject = g_strdup("Report from Zoë");
    m->text = NULL; /* hostile: NULL text */
    IdentitySet *set = identity_set_new();
    identity_set_add_message(set, m, CA_ADDRESSES, CA_DOMAINS);
    identity_set_add_message(set, NULL, NULL, NULL);
    g_assert_cmpuint(identity_set_count(set), ==, 2);
    g_assert_true(set_knows(set, "Ashworth"));
    g_assert_true(set_knows(set, "Lyle"));
    g_assert_true(set_knows(set, "ZOE ASHWORTH-LYLE"));
    g_assert_true(set_knows(set, "third@party.example"));
    g_assert_false(set_knows(set, "problems@acmetrust.test"));
    identity_set_free(&set);
    g_ptr_array_unref(m->from);
    g_ptr_array_unref(m->cc);
    g_free(m->subject);
    g_free(m);
}

static void test_accumulate_and_merge(void)
{
    IdentitySet *set = identity_set_new();
    identity_set_add(set, "Jane Doe", "jane@doe.example");
    identity_set_add(set, "J. Doe", "JANE@DOE.EXAMPLE"); /* same address: same person */
    identity_set_add(set, "Jane", NULL);                 /* a token of hers: joins her */
    identity_set_add(set, NULL, "mailto:<jane.work@corp.example>");
    g_assert_cmpuint(identity_set_count(set), ==, 2);
    identity_set_add(set, "Jane Doe", "jane.work@corp.example"); /* same name, other address */
    g_assert_cmpuint(identity_set_count(set), ==, 2);
    /* a different person with the same name stays apart: consent is per address */
    const IdentityPerson *a = identity_set_find_email(set, "jane@doe.example");
    const IdentityPerson *b = identity_set_find_email(set, "Jane.Work@corp.example");
    g_assert_nonnull(a);
    g_assert_nonnull(b);
    g_assert_true(a != b);
    const char *const consent[] = { "JANE@doe.example", NULL };
    g_assert_true(identity_person_consented(a, consent));
    g_assert_false(identity_person_consented(b, consent));
    g_assert_false(identity_person_consented(a, NULL));
    g_assert_true(strv_has_folded(identity_person_names(a), "j. doe"));

    /* a name seen before its address is adopted by the address */
    identity_set_add(set, "Henrike Stallbaum", NULL);
    identity_set_add(set, "Henrike Stallbaum", "henrike@stallbaum-labs.example");
    g_assert_cmpuint(identity_set_count(set), ==, 3);
    identity_set_add_phone(set, NULL, "henrike@stallbaum-labs.example", "+49 30 1234 5678");
    identity_set_add_phone(set, NULL, NULL, "123"); /* too short: ignored */
    const IdentityPerson *h = identity_set_find_email(set, "henrike@stallbaum-labs.example");
    g_assert_cmpstr(identity_person_phones(h)[0], ==, "+49 30 1234 5678");
    g_assert_null(identity_person_phones(h)[1]);

    /* an encoded name added by hand is decoded; a name that is an address is one */
    identity_set_add(set, "=?iso-8859-1?q?Fran=E7ois_L=E9ger?=", "fl@leger.example");
    g_assert_true(set_knows(set, "François Léger"));
    identity_set_add(set, "'someone@odd.example'", NULL);
    g_assert_nonnull(identity_set_find_email(set, "someone@odd.example"));
    /* hostile: nothing, blanks, junk */
    identity_set_add(set, NULL, NULL);
    identity_set_add(set, "  ", "not an address");
    identity_set_add(set, "\"\"", "@");
    g_assert_cmpuint(identity_set_count(set), ==, 5);
    g_assert_null(identity_set_find_email(set, "nobody@x.example"));
    g_assert_null(identity_set_find_email(set, NULL));
    identity_set_free(&set);
    identity_set_free(&set); /* NULL-safe */
    identity_set_free(NULL);
}

static void test_tokens(void)
{
    IdentitySet *set = identity_set_new();
    identity_set_add(set, "Seán O'Brien", "sean@obrien.example");
    identity_set_add(set, "Dr. Maria de la Cruz", "maria@cruz.example");
    identity_set_add(set, "Li Na", "lina@li.example");
    identity_set_add(set, "Taro Yamada (山田 太郎)", "taro@yamada.example");
    const IdentityPerson *p = identity_set_find_email(set, "sean@obrien.example");
    g_assert_true(strv_has_folded(identity_person_tokens(p), "o'brien"));
    g_assert_true(strv_has_folded(identity_person_tokens(p), "brien"));
    g_assert_true(strv_has_folded(identity_person_tokens(p), "obrien"));
    g_assert_true(strv_has_folded(identity_person_tokens(p), "sean"));
    p = identity_set_find_email(set, "maria@cruz.example");
    g_assert_true(strv_has_folded(identity_person_names(p), "maria de la cruz"));
    g_assert_true(strv_has_folded(identity_person_tokens(p), "cruz"));
    g_assert_false(strv_has_folded(identity_person_tokens(p), "de"));
    g_assert_false(strv_has_folded(identity_person_tokens(p), "la"));
    g_assert_false(strv_has_folded(identity_person_names(p), "dr. maria de la cruz"));
    p = identity_set_find_email(set, "lina@li.example");
    g_assert_null(identity_person_tokens(p)[0]); /* both parts under 3 letters */
    g_assert_true(strv_has_folded(identity_person_names(p), "li na"));
    p = identity_set_find_email(set, "taro@yamada.example");
    g_assert_true(strv_has_folded(identity_person_names(p), "山田太郎"));
    g_assert_true(strv_has_folded(identity_person_names(p), "山田 太郎"));
    g_assert_true(strv_has_folded(identity_person_names(p), "taro yamada"));
    g_assert_true(strv_has_folded(identity_person_tokens(p), "yamada"));
    g_assert_false(strv_has_folded(identity_person_tokens(p), "山田"));
    identity_set_free(&set);
}

/* The tokens of the person with `email`: every word of `has`, none of `lacks`. */
static void assert_tokens(const IdentitySet *set, const char *email, const char *has,
                          const char *lacks)
{
    const IdentityPerson *p = identity_set_find_email(set, email);
    g_assert_nonnull(p);
    if (!p)
        return;
    g_auto(GStrv) yes = g_strsplit(has, " ", -1);
    g_auto(GStrv) no = g_strsplit(lacks, " ", -1);
    for (guint i = 0; yes[i]; i++)
        g_assert_true(strv_has_folded(identity_person_tokens(p), yes[i]));
    for (guint i = 0; no[i]; i++)
        g_assert_false(strv_has_folded(identity_person_tokens(p), no[i]));
}

/* The short forms of a first name are the person's tokens: every one of its
 * row, and none for a name that only begins like a listed one or is the
 * beginning of one. */
static void test_short_forms(void)
{
    static const struct {
        const char *name, *email, *has, *lacks;
    } people[] = {
        { "Robert Ashdown", "rashdown@flintmail.example", "robert bob bobby rob robbie", "dima" },
        { "Dmitry Volkov", "dv@volkov.example", "dima", "sasha" },
        { "Roberta Lindqvist", "rl@lindqvist.example", "roberta", "bob rob" },
        /* a short form is no full name: Dan is not also a Danny */
        { "Dan Whitfield", "dan@whitfield.example", "dan", "danny daniel" },
    };
    IdentitySet *set = identity_set_new();
    for (guint i = 0; i < G_N_ELEMENTS(people); i++)
        identity_set_add(set, people[i].name, people[i].email);
    for (guint i = 0; i < G_N_ELEMENTS(people); i++)
        assert_tokens(set, people[i].email, people[i].has, people[i].lacks);
    identity_set_free(&set);
}

/* Hostile text: huge, binary, unbalanced brackets; must not crash or hang. */
static void test_hostile_text(void)
{
    IdentitySet *set = identity_set_new();
    GString *big = g_string_new(NULL);
    for (int i = 0; i < 20000; i++)
        g_string_append(big, "Regards,\n<<<\"\"((@@ On wrote: From: To: a@ ");
    g_string_append(big, "\xff\xfe\xc3\x28 My name is \xe2\x82");
    identity_set_add_text(set, big->str, CA_ADDRESSES, CA_DOMAINS);
    identity_set_add_text(set, "", NULL, NULL);
    identity_set_add_text(set, NULL, NULL, NULL);
    identity_set_add_text(set, "=?utf-8?b?!!!?= =?x-unknown?q?abc?= wrote:\n", NULL, NULL);
    g_string_free(big, TRUE);
    identity_set_free(&set);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_set_nonfatal_assertions();
    for (guint i = 0; i < G_N_ELEMENTS(rows); i++) {
        g_autofree char *path = g_strdup_printf("/identity/source/%02u", i);
        g_test_add_data_func(path, &rows[i], test_row);
    }
    g_test_add_func("/identity/hand-built", test_hand_built);
    g_test_add_func("/identity/accumulate-merge", test_accumulate_and_merge);
    g_test_add_func("/identity/tokens", test_tokens);
    g_test_add_func("/identity/short-forms", test_short_forms);
    g_test_add_func("/identity/hostile-text", test_hostile_text);
    return g_test_run();
}
