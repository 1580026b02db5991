/* consent.h - the consent registry (SPEC 2.4): which reporters have
 * affirmatively approved being named in what the CA publishes.
 *
 * Consent is per address. Granting and revoking are audited events (type
 * consent_granted / consent_revoked, actor given by the caller), written in
 * the same transaction as the change. The details of those events name the
 * address: the audit trail is internal, never published. */
#ifndef CPR_CONSENT_H
#define CPR_CONSENT_H

#include <glib.h>
#include "store.h"

typedef struct {
    char *email;      /* lower-case */
    char *name;       /* how the reporter wants to be named; NULL = as in their mail */
    char *evidence;   /* where the consent is recorded (a message-id, a ticket) */
    gint64 granted_at;
    gint64 revoked_at; /* 0 while the consent holds */
} ConsentEntry;

void consent_entry_free(ConsentEntry **entry);

/* TRUE when `email` is a plausible address (one '@', a local part and a
 * dotted domain, no spaces or brackets, at most 254 bytes). */
gboolean consent_email_valid(const char *email);

/* Record consent for `email` (normalised to lower case): the current state
 * becomes this grant; the earlier grants and revocations stay in the
 * history. `evidence` is required (non-blank); `name` may be NULL.
 * CPR_ERROR_INPUT on a bad address, a missing evidence or an over-long field;
 * CPR_ERROR_STORE otherwise. Runs its own transaction. */
gboolean consent_grant(Store *store, const char *email, const char *name, const char *evidence,
                       const char *actor, gint64 now, GError **error);

/* Revoke the consent of `email`. CPR_ERROR_INPUT when the address has no
 * consent on record, or it is already revoked. Runs its own transaction. */
gboolean consent_revoke(Store *store, const char *email, const char *actor, gint64 now,
                        GError **error);

/* Every entry (revoked ones too), ordered by address. Caller frees the array
 * (entries are freed with it). NULL with error. */
GPtrArray *consent_list(Store *store, GError **error);

/* The addresses with consent in force, NULL-terminated (may be empty), for
 * RedactOptions.consented_emails. Caller frees with g_strfreev(). */
GStrv consent_active_emails(Store *store, GError **error);

/* The consent in force for `email`, or NULL (with *error unset) when none.
 * Caller frees. */
ConsentEntry *consent_lookup(Store *store, const char *email, GError **error);

/* One row of the history: a grant (with its name and evidence) or a
 * revocation, never changed once written. */
typedef struct {
    gint64 id;
    char *email;
    char *action;   /* "grant" | "revoke" */
    char *name;     /* grants: NULL = as in their mail */
    char *evidence; /* grants */
    gint64 at;
    char *actor;    /* NULL for rows carried over from before the history */
} ConsentChange;

/* Every grant and revocation, by address then in the order recorded. Caller
 * frees the array. NULL with error. */
GPtrArray *consent_history(Store *store, GError **error);

#endif
