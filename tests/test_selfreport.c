/* test_selfreport.c - selfreport: is a report the Subscriber's own? The rule
 * (selfreport.h) must hold for the Subscriber writing about their certificate
 * and fail for everyone else: it decides who gets a Subscriber notice. */
#include <string.h>

#include <glib.h>

#include "extract.h"
#include "mime.h"
#include "selfreport.h"
#include "testutil.h"

static const char *const CA_DOMAINS[] = {"acmetrust.test", NULL};

/* The verdict on a message made of `headers` and `body`: the Subscriber's
 * address, or NULL. Caller frees. */
static char *verdict(const char *headers, const char *body)
{
    g_autofree char *raw = g_strdup_printf("%sTo: problems@acmetrust.test\r\nSubject: revoke\r\n"
                                           "Content-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n",
                                           headers, body);
    Bounds b = bounds_default();
    MimeMessage *msg = mime_message_parse((const guint8 *)raw, strlen(raw), &b);
    Identifiers *ids = extract_identifiers(msg, CA_DOMAINS);
    SelfReport *s = selfreport_detect(msg, ids, CA_DOMAINS);
    char *email = s ? g_strdup(s->email) : NULL;
    if (s)
        g_assert_nonnull(s->phrase);
    selfreport_free(&s);
    extract_identifiers_free(&ids);
    mime_message_free(&msg);
    return email;
}

#define OWN "Please revoke our certificate for www.emberfold-tiles.example at once."
#define FROM "From: Ines Varga <it@emberfold-tiles.example>\r\n"

static void expect(const char *headers, const char *body, const char *want)
{
    g_autofree char *got = verdict(headers, body);
    if (g_strcmp0(got, want))
        g_test_message("headers %s body %s: got %s", headers, body, got ? got : "(none)");
    g_assert_cmpstr(got, ==, want);
}

static void test_subscriber(void)
{
    expect(FROM, OWN, "it@emberfold-tiles.example");
    /* a mailbox under the domain, a certificate under it, a wildcard */
    expect("From: it@mail.emberfold-tiles.example\r\n",
           "Please revoke our certificate for emberfold-tiles.example.",
           "it@mail.emberfold-tiles.example");
    expect(FROM, "We are the subscriber of shop.emberfold-tiles.example; our key leaked.",
           "it@emberfold-tiles.example");
    expect(FROM, "Revoke my cert for *.emberfold-tiles.example please.", "it@emberfold-tiles.example");
    /* Reply-To at the same domain is where the mail goes */
    expect(FROM "Reply-To: pki@emberfold-tiles.example\r\n", OWN, "pki@emberfold-tiles.example");
}

static void test_not_subscriber(void)
{
    /* a third party: another domain, whatever it says */
    expect("From: Ned Orr <ned@brackwater-labs.example>\r\n", OWN, NULL);
    /* replies would go to another domain */
    expect(FROM "Reply-To: ned@brackwater-labs.example\r\n", OWN, NULL);
    /* the report also concerns another domain */
    expect(FROM, OWN " Also www.brackwater-labs.example uses the key.", NULL);
    /* siblings under one parent are not taken as one holder (no public
     * suffix list: "a.co.uk" and "b.co.uk" are siblings too) */
    expect("From: it@mail.emberfold-tiles.example\r\n", OWN, NULL);
    /* no word that it is theirs */
    expect(FROM, "Please revoke the certificate for www.emberfold-tiles.example.", NULL);
    /* the words only in a quote of someone else */
    expect(FROM, "See below.\n> Please revoke our certificate for www.emberfold-tiles.example", NULL);
    /* no domain at all */
    expect(FROM, "Please revoke our certificate, serial 0a1b2c3d4e5f.", NULL);
    /* a shared mailbox provider's domain proves nothing; neither do the CA's own */
    g_assert_true(selfreport_shared_mail_domain("gmail.com"));
    g_assert_true(selfreport_shared_mail_domain("Outlook.COM"));
    g_assert_false(selfreport_shared_mail_domain("emberfold-tiles.example"));
    expect("From: x@acmetrust.test\r\n", "Please revoke our certificate for www.acmetrust.test.", NULL);
    /* two senders, or none */
    expect("From: it@emberfold-tiles.example, ned@brackwater-labs.example\r\n", OWN, NULL);
    expect("", OWN, NULL);
    /* a one-label domain is nobody's */
    expect("From: root@localhost\r\n", "Revoke our certificate for localhost.", NULL);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_set_nonfatal_assertions();
    g_test_add_func("/selfreport/subscriber", test_subscriber);
    g_test_add_func("/selfreport/not-subscriber", test_not_subscriber);
    return g_test_run();
}
