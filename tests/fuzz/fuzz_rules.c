/* fuzz_rules.c - libFuzzer target for the rules loader (issue 11).
 *
 * bytes -> rules_load_data -> (when accepted) classify_message_with on a small
 * report with those rules -> rules_free. Refused files must come back with an
 * error and no rules; accepted ones must classify without crashing within the
 * per-message budget they set. Seed: conf/ (the shipped rules.conf). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gmime/gmime.h>

#include "classify.h"
#include "extract.h"
#include "mime.h"
#include "rules.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const guint8 *data, size_t size);

static const char *const CA_DOMAINS[] = { "acmetrust.test", NULL };
static const char *const CA_REPORT[] = { "problems@acmetrust.test", NULL };
static const char *const NONE[] = { NULL };
static const CaIdentity CA = {
    .owner = "Acme Trust Services", .aliases = NONE, .ca_names = NONE,
    .domains = CA_DOMAINS, .report_addresses = CA_REPORT,
};

static const char MAIL[] =
    "From: Pat <pat@outside.example>\nTo: problems@acmetrust.test\n"
    "List-Id: <dev-security-policy.mozilla.org>\nReturn-Path: <>\n"
    "Subject: Leaked private key for shop.example.test, please revoke\n\n"
    "The private key was not compromised? It was published on a paste site.\n"
    "> quoted: misissued, phishing, OCSP failing, CAA ignored\n"
    "Serial: 0a:0b:0c:0d:0e:0f:10:11\nhttps://crt.sh/?id=12345678\n";

static MimeMessage *msg;
static Identifiers *ids;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    g_mime_init();
    msg = mime_message_parse((const guint8 *)MAIL, sizeof MAIL - 1, NULL);
    ids = extract_identifiers(msg, CA_DOMAINS);
    return 0;
}

int LLVMFuzzerTestOneInput(const guint8 *data, size_t size)
{
    GError *error = NULL;
    Rules *r = rules_load_data((const char *)data, size, "fuzz.conf", &error);
    if (!r) {
        if (!error)
            abort(); /* a refusal always says why */
        g_error_free(error);
        return 0;
    }
    if (error)
        abort();
    Classification *c = classify_message_with(msg, ids, &CA, r);
    if (!c || !c->rules || c->reason < 0 || c->reason > 16)
        abort();
    classification_free(&c);
    rules_free(&r);
    return 0;
}
