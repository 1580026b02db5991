/* classify.h - what a message is (SPEC 2.1) and what problem it reports (2.2).
 *
 * Pure. The rules are data (rules.h, conf/rules.conf): lists, auto-reply
 * subjects, stop patterns, weighted phrases with their reasons; the order of
 * the kind tests is SPEC 2.1's. The CA's identity comes from configuration. */
#ifndef CPR_CLASSIFY_H
#define CPR_CLASSIFY_H

#include <glib.h>
#include "mime.h"
#include "extract.h"
#include "rules.h"

typedef enum {
    KIND_CPR,
    KIND_LIST_POST,
    KIND_BUGZILLA,
    KIND_AUTO_REPLY,
    KIND_OTHER,
} MessageKind;

typedef enum {
    PROBLEM_NONE, /* not a report (auto replies, other mail) */
    PROBLEM_KEY_COMPROMISE,
    PROBLEM_MISISSUANCE,
    PROBLEM_MISUSE,
    PROBLEM_OTHER,
} ProblemType;

/* The CA as configured in [ca]; all lists NULL-terminated, may be empty. */
typedef struct {
    const char *owner;
    const char *const *aliases;
    const char *const *ca_names;
    const char *const *domains;
    const char *const *report_addresses;
} CaIdentity;

typedef struct {
    MessageKind kind;
    char *list;           /* "mdsp" | "ccadb-public" | NULL */
    ProblemType problem;  /* PROBLEM_NONE for auto_reply and other */
    gboolean concerns_ca; /* names the owner, an alias, a CA name or a CA domain */
    GPtrArray *case_refs; /* char*: "CPR-2025-0042" tags found in the subject */
    char *author_email;   /* the real author: X-Original-From/-Sender for list
                             posts, else From; lower-case; NULL if none */
    char *author_name;    /* display name of the real author, or NULL */
    char *bug_id;         /* Bugzilla bug number for bugzilla mail, else NULL */
    guint32 reasons;      /* BR 4.9.1.1 rows the text supports: bit n = row n */
    gint reason;          /* the row chosen among them (reasons_choose), 0: none */
    GPtrArray *rules;     /* char*: names of the rules that fired, in order */
} Classification;

/* `ids` may be NULL. Never returns NULL. Uses rules_current(). */
Classification *classify_message(const MimeMessage *msg, const Identifiers *ids,
                                 const CaIdentity *ca);
/* The same with explicit rules (NULL: rules_current()). */
Classification *classify_message_with(const MimeMessage *msg, const Identifiers *ids,
                                      const CaIdentity *ca, const Rules *rules);
void classification_free(Classification **c);

const char *classify_kind_name(MessageKind kind);       /* "cpr", "list_post", ... */
const char *classify_problem_name(ProblemType problem); /* NULL for PROBLEM_NONE */
gboolean classify_kind_from_name(const char *name, MessageKind *kind_r);
gboolean classify_problem_from_name(const char *name, ProblemType *problem_r);

#endif
