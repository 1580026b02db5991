/* intake.h - the pipeline: one raw message in, a stored, classified message out.
 *
 * Files, Maildirs, mbox, stdin and the IMAP listener all feed this one function.
 * In one SQLite transaction it stores the raw bytes and the parsed facts, opens
 * or joins a case (follow-up threading, same certificate), computes clocks from
 * aware_at, writes audit events and, for IMAP, advances the folder's last UID.
 * A message that parses badly is still stored (quarantined, with its problems);
 * only a database failure makes intake_message() return FALSE. */
#ifndef CPR_INTAKE_H
#define CPR_INTAKE_H

#include <glib.h>
#include "store.h"
#include "config.h"
#include "bounds.h"
#include "classify.h"

typedef struct Intake Intake;

typedef struct {
    const char *source;       /* shown to people: "mail/001.eml" or "INBOX/42" */
    gboolean has_server_time; /* IMAP INTERNALDATE known */
    gint64 server_time;       /* Unix seconds */
    const char *folder;       /* IMAP folder, or NULL for files/stdin */
    guint32 uidvalidity;
    guint32 uid;
    gint64 now;               /* ingest time, Unix seconds (passed in for tests) */
} IntakeOrigin;

typedef struct {
    gint64 message_row;
    char *message_id;    /* NULL when the message has none */
    MessageKind kind;
    char *list;          /* or NULL */
    ProblemType problem;
    int reason;          /* BR 4.9.1.1 row the message's text supports, 0 = none */
    gint64 case_id;      /* 0 when no case */
    char *case_reference;
    gboolean new_case;
    gboolean duplicate;  /* already stored: nothing was added */
    gboolean message_id_reused; /* its Message-ID is known with other content */
    gint64 aware_at;
    char *aware_source;  /* imap_internaldate | received | date | ingest */
    char *source;
    GPtrArray *serials, *sha256, *crtsh_ids, *domains; /* char* */
    GPtrArray *problems; /* parse problems; non-empty = quarantined */
    GPtrArray *rules;    /* char*: the classification rules that fired */
    gboolean identifiers_truncated; /* a list hit its cap */
} IntakeResult;

/* `store` and `cfg` are borrowed and must outlive the Intake. */
Intake *intake_new(Store *store, const Config *cfg, const Bounds *bounds);
void intake_free(Intake **intake);

gboolean intake_message(Intake *intake, const guint8 *raw, gsize len, const IntakeOrigin *origin,
                        IntakeResult **result_r, GError **error);

/* intake_message() in its two halves, for callers that parse ahead on other
 * threads (`ingest`, issue 16). intake_parse() is the pure half: parsing,
 * extraction, classification; it reads only the Intake's configuration, never
 * the store, so any number of threads may run it at once on one Intake.
 * intake_store_parsed() is the rest, on the thread that owns the store, with
 * the same raw bytes (`parsed` NULL: parsed there first, as intake_message()
 * does); messages must be stored in the order they arrived. */
typedef struct IntakeParsed IntakeParsed;
IntakeParsed *intake_parse(const Intake *intake, const guint8 *raw, gsize len);
gboolean intake_store_parsed(Intake *intake, const IntakeParsed *parsed, const guint8 *raw,
                             gsize len, const IntakeOrigin *origin, IntakeResult **result_r,
                             GError **error);
void intake_parsed_free(IntakeParsed **parsed);
static inline void intake_parsed_destroy(IntakeParsed *p) { intake_parsed_free(&p); }
G_DEFINE_AUTOPTR_CLEANUP_FUNC(IntakeParsed, intake_parsed_destroy)

/* Batching, for backlogs: between intake_batch_begin() and
 * intake_batch_commit(), each intake_message() runs in a savepoint of one
 * outer transaction, so a catch-up commits once per batch instead of once per
 * message (SQLite's cost is per commit). A failed message rolls back alone.
 * Nothing the batch stored is durable before intake_batch_commit() returns
 * TRUE: callers must not mark messages processed on the server, or report
 * them done, before that. */
gboolean intake_batch_begin(Intake *intake, GError **error);
gboolean intake_batch_commit(Intake *intake, GError **error);
void intake_batch_rollback(Intake *intake);

/* One line of JSON (SPEC 3.2 `ingest --json`), no trailing newline. Caller frees. */
char *intake_result_to_json(const IntakeResult *result);
void intake_result_free(IntakeResult **result);

#endif
