/* redact.h - who a message identifies, and text with those people taken out.
 *
 * Two pure modules (no I/O, no database, no clock) behind one header:
 *
 * identity (parsers/identity*.c) collects every person the messages of a case
 *   identify, with every form of their identity: display names (RFC 2047
 *   decoded), addresses, name tokens and phone numbers, from the address
 *   headers (From, Sender, Reply-To, To, Cc, X-Original-From/-Sender with the
 *   Google Groups " via LIST" suffix removed), and from the text: quoted-reply
 *   attributions (English, French, German, Spanish, Outlook "From:" blocks),
 *   signature blocks, self-introductions, "my colleague NAME", "NAME <addr>",
 *   and phone numbers in signatures. The CA's own and the lists' addresses
 *   (given by the caller) are never persons; neither are *-daemon addresses.
 *   An IdentitySet accumulates over all messages of a case.
 *
 * redact (parsers/redact.c) replaces every identifier of every person who has
 *   not consented with a neutral phrase, and checks (fail closed) that a text
 *   about to leave the CA contains none.
 *
 * Matching rules (SPEC 2.4), shared by redact_text() and redact_check():
 *  - names and name tokens (3+ letters; hyphen and apostrophe parts too) match
 *    case-, accent- and width-insensitively (NFKD, combining marks dropped,
 *    case folded), as whole words, across line breaks, "> " quote prefixes and
 *    hyphen/space differences ("Nakagawa Bell" = "Nakagawa-Bell"); zero-width
 *    characters and soft hyphens in the text are ignored. Scripts written
 *    without spaces (Han, Kana, Thai, ...) match as substrings: CJK names
 *    match as whole names only (no 3-letter token rule);
 *  - addresses match as written and obfuscated ("jane at example dot org",
 *    "jane [at] example [dot] org", "jane(at)example.org", "jane%40example.org",
 *    "jane&#64;example.org");
 *  - phone numbers match by their digits whatever the punctuation;
 *  - a match that overlaps a protected string (RedactOptions.protected_strings,
 *    case- and accent-insensitive), a run of 8+ hex bytes (serials,
 *    fingerprints, in any separator style) or a PEM block is left alone;
 *  - consent is per address: a person is consented when any of their addresses
 *    is in consented_emails. An identifier shared by a consented and a
 *    non-consenting person (same first name) is still redacted: fail closed.
 *
 * Replacement phrases: a name becomes "a community member", except inside a
 * URL, handle or address-like token (one containing '/', '@', '_' or '='),
 * where it becomes "[name redacted]" so the token stays readable; an address
 * becomes "[reporter email redacted]"; a phone number "[phone redacted]".
 * Adjacent name matches ("Jane" + "Doe") become one phrase. A match that spans
 * a line break inside a quote loses the second line's "> " prefix. */
#ifndef CPR_REDACT_H
#define CPR_REDACT_H

#include <glib.h>
#include "fold.h" /* redact_fold(): the comparison both sides use */
#include "mime.h"

/* ---- identity ---------------------------------------------------------- */

typedef struct IdentitySet IdentitySet;
typedef struct IdentityPerson IdentityPerson;

IdentitySet *identity_set_new(void);
/* Free and clear *set (NULL-safe). */
void identity_set_free(IdentitySet **set);

/* From now on, addresses at the `exclude_domains` given to the add functions
 * are the CA's own staff, and persons like anyone else (SPEC 2.4: redacted in
 * public outputs), except the addresses in `public_staff` (NULL-terminated,
 * may be NULL; `[ca] public_staff`), which stay non-persons, their display
 * names too. The CA's report addresses stay non-persons. */
void identity_set_staff_are_persons(IdentitySet *set, const char *const *public_staff);

/* Add every person `msg` identifies (headers, subject and text).
 * `exclude_addresses`: NULL-terminated addresses that are not persons (the CA's
 * report addresses, the lists' posting addresses; "list+anything@" too).
 * `exclude_domains`: NULL-terminated domains whose addresses (subdomains too)
 * are not persons (the CA's own domains). Either may be NULL. A display name
 * that comes with an excluded address is ignored too, except a Google Groups
 * "Jane Doe via LIST" name, which names the real author. */
void identity_set_add_message(IdentitySet *set, const MimeMessage *msg,
                              const char *const *exclude_addresses,
                              const char *const *exclude_domains);

/* Add the persons free text identifies (a Bugzilla comment, a note): the
 * same text rules as identity_set_add_message(). */
void identity_set_add_text(IdentitySet *set, const char *text,
                           const char *const *exclude_addresses,
                           const char *const *exclude_domains);

/* Add one person by hand. `name` (may be RFC 2047 encoded) or `email` may be
 * NULL, not both. A known address adds the name to its person; a name alone
 * joins the one person it names (whole name or token), else a new one. */
void identity_set_add(IdentitySet *set, const char *name, const char *email);

/* Add a phone number to the person with `email` or `name` (either may be NULL;
 * both NULL, or neither known: a person of its own). Numbers with fewer than 7
 * digits are ignored. */
void identity_set_add_phone(IdentitySet *set, const char *name, const char *email,
                            const char *phone);

guint identity_set_count(const IdentitySet *set);
/* Lent: valid until the set changes. */
const IdentityPerson *identity_set_get(const IdentitySet *set, guint index);
/* The person with this address (case-insensitive), or NULL. */
const IdentityPerson *identity_set_find_email(const IdentitySet *set, const char *email);

/* NULL-terminated, lent, never NULL (may be empty). Names as written (decoded,
 * "via LIST" removed); the first is the best display name. Tokens: each name
 * part of 3+ letters (and hyphen/apostrophe parts), de-duplicated by their
 * folded form. Addresses lower-case. Phones as written. */
const char *const *identity_person_names(const IdentityPerson *person);
const char *const *identity_person_tokens(const IdentityPerson *person);
const char *const *identity_person_emails(const IdentityPerson *person);
const char *const *identity_person_phones(const IdentityPerson *person);

/* TRUE when any of the person's addresses is in `consented_emails`
 * (NULL-terminated, case-insensitive; NULL means none). */
gboolean identity_person_consented(const IdentityPerson *person,
                                   const char *const *consented_emails);

/* ---- redaction --------------------------------------------------------- */

typedef struct {
    /* NULL-terminated strings never redacted: certificate serials, SHA-256,
     * crt.sh ids, domains of affected certificates, CA owner, aliases and CA
     * certificate names. May be NULL. */
    const char *const *protected_strings;
    /* NULL-terminated addresses whose persons have consented. May be NULL. */
    const char *const *consented_emails;
    /* Replacement phrases; NULL for the defaults above. */
    const char *name_phrase;
    const char *email_phrase;
    const char *phone_phrase;
} RedactOptions;

/* Largest text redact_text() and redact_check() accept (bytes). */
#define REDACT_MAX_TEXT (64u * 1024 * 1024)

/* `text` with every identifier of every non-consenting person of `ids`
 * replaced. `opts` may be NULL (nothing protected, nobody consented). Invalid
 * UTF-8 is repaired first. NULL with CPR_ERROR_INPUT when text is larger than
 * REDACT_MAX_TEXT: never hand out text that was not redacted. Caller frees. */
char *redact_text(const IdentitySet *ids, const char *text, const RedactOptions *opts,
                  GError **error);

/* The fail-closed scan before anything leaves the CA. FALSE with
 * CPR_ERROR_LEAK when `text` still contains an identifier of a non-consenting
 * person (the matching redact_text() removes, including the person's
 * addresses and multi-word names with every non-letter removed, which catches
 * spelled-out obfuscations). The message names `output_name` (e.g. "case 42 draft
 * markdown"), the kind of identifier and the line, never the identifier. For
 * every text t, redact_check(redact_text(t)) holds with the same opts. */
gboolean redact_check(const IdentitySet *ids, const char *text, const RedactOptions *opts,
                      const char *output_name, GError **error);


#endif
