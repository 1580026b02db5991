/* fuzz_parse.c - libFuzzer target for the whole pure parsing path.
 *
 * raw mail -> mime_message_parse -> extract_identifiers -> classify_message ->
 * identity_set_add_message -> redact_text -> redact_check, with the CA of
 * tests/fixtures/conf/samples.conf. Besides crashes and sanitizer reports it
 * checks the one property redact.h promises: redact_check(redact_text(t))
 * holds for every text t with the same options (a failure aborts, so libFuzzer
 * keeps the input). Seed: tests/fixtures/{samples,mail}. */
#include <stdlib.h>
#include <stdio.h>

#include <gmime/gmime.h>

#include "bounds.h"
#include "classify.h"
#include "cpr_error.h"
#include "extract.h"
#include "mime.h"
#include "redact.h"

static const char *const CA_ALIASES[] = { "AcmeTrust", "Acme Trust", NULL };
static const char *const CA_NAMES[] = { "AcmeTrust TLS RSA CA 2024", "AcmeTrust ECC DV CA R3",
                                        NULL };
static const char *const CA_DOMAINS[] = { "acmetrust.test", "acme-trust.test", NULL };
static const char *const CA_REPORT[] = { "problems@acmetrust.test", NULL };
static const char *const EXCLUDE_ADDRESSES[] = { "problems@acmetrust.test",
                                                 "dev-security-policy@mozilla.org",
                                                 "public@ccadb.org", NULL };

static const CaIdentity CA = {
    .owner = "Acme Trust Services",
    .aliases = CA_ALIASES,
    .ca_names = CA_NAMES,
    .domains = CA_DOMAINS,
    .report_addresses = CA_REPORT,
};

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const guint8 *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    g_mime_init();
    return 0;
}

static void dump_list(const char *what, const char *const *v)
{
    for (guint i = 0; v[i]; i++)
        fprintf(stderr, "  %s: \"%s\"\n", what, v[i]);
}

/* For the owner of a finding: who the identity module found. */
static void dump_persons(const IdentitySet *ids)
{
    for (guint i = 0; i < identity_set_count(ids); i++) {
        const IdentityPerson *p = identity_set_get(ids, i);
        fprintf(stderr, "fuzz_parse: person %u\n", i);
        dump_list("name", identity_person_names(p));
        dump_list("token", identity_person_tokens(p));
        dump_list("email", identity_person_emails(p));
        dump_list("phone", identity_person_phones(p));
    }
}

/* Redact `text` and prove the leak check passes on the result. */
static void redact_roundtrip(const IdentitySet *ids, const char *text, const RedactOptions *opts,
                             const char *what)
{
    GError *error = NULL;
    char *out = redact_text(ids, text, opts, &error);
    if (!out) {
        g_clear_error(&error);
        return;
    }
    if (!redact_check(ids, out, opts, what, &error)) {
        fprintf(stderr, "fuzz_parse: redact_check failed on redact_text output (%s): %s\n", what,
                error ? error->message : "?");
        dump_persons(ids);
        fprintf(stderr, "fuzz_parse: redacted text: %.2000s\n", out);
        abort();
    }
    g_clear_error(&error);
    /* The fail-closed scan on the unredacted text too: it may say FALSE, it
     * must not crash. */
    (void)redact_check(ids, text, opts, what, &error);
    g_clear_error(&error);
    g_free(out);
}

int LLVMFuzzerTestOneInput(const guint8 *data, size_t size)
{
    Bounds bounds = bounds_default();
    /* Smaller caps than production so the fuzzer spends its time on structure,
     * not on megabytes; every cap is still crossed by inputs it can build. */
    bounds.max_header_bytes = 16 * 1024;
    bounds.max_mime_parts = 64;
    bounds.max_attachment_bytes = 256 * 1024;
    bounds.max_text_bytes = 256 * 1024;

    MimeMessage *msg = mime_message_parse(data, size, &bounds);
    Identifiers *ids = extract_identifiers(msg, CA_DOMAINS);
    Classification *c = classify_message(msg, ids, &CA);
    (void)classify_kind_name(c->kind);
    (void)classify_problem_name(c->problem);

    IdentitySet *set = identity_set_new();
    identity_set_add_message(set, msg, EXCLUDE_ADDRESSES, CA_DOMAINS);
    for (guint i = 0; i < identity_set_count(set); i++) {
        const IdentityPerson *p = identity_set_get(set, i);
        (void)identity_person_names(p);
        (void)identity_person_tokens(p);
        (void)identity_person_emails(p);
        (void)identity_person_phones(p);
    }

    /* Protect what the pipeline protects: identifiers and the CA's names. */
    GPtrArray *protect = g_ptr_array_new();
    GPtrArray *lists[] = { ids->serials, ids->sha256, ids->crtsh_ids, ids->domains };
    for (guint l = 0; l < G_N_ELEMENTS(lists); l++)
        for (guint i = 0; i < lists[l]->len; i++)
            g_ptr_array_add(protect, lists[l]->pdata[i]);
    g_ptr_array_add(protect, (gpointer)CA.owner);
    for (guint i = 0; CA_ALIASES[i]; i++)
        g_ptr_array_add(protect, (gpointer)CA_ALIASES[i]);
    g_ptr_array_add(protect, NULL);

    /* The first person, if any, has consented: exercises the consent path. */
    const char *consented[2] = { NULL, NULL };
    if (identity_set_count(set) > 1) {
        const char *const *emails = identity_person_emails(identity_set_get(set, 0));
        consented[0] = emails[0];
    }
    RedactOptions opts = { .protected_strings = (const char *const *)protect->pdata,
                           .consented_emails = consented };

    redact_roundtrip(set, msg->text, &opts, "fuzz text");
    if (msg->subject)
        redact_roundtrip(set, msg->subject, &opts, "fuzz subject");

    g_ptr_array_free(protect, TRUE);
    identity_set_free(&set);
    classification_free(&c);
    extract_identifiers_free(&ids);
    mime_message_free(&msg);
    return 0;
}
