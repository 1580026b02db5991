/* outbox.h - the durable outbox: every notification is a row before it is a
 * request (SPEC 2.3, 2.6; issue 5).
 *
 * Rows are enqueued inside the transaction of the event that caused them (a new
 * case, a clock reaching an escalation point, an acknowledgement), so a crash
 * either loses both or keeps both. UNIQUE (target, dedup_key) makes enqueueing
 * idempotent: the same page for the same target is one row whatever happens.
 *
 * Delivery is per target, in id order (a PagerDuty `acknowledge` must never
 * overtake its `trigger`). Claiming a row commits attempts + 1 and the time of
 * the next attempt *before* the request is made, so a process killed during a
 * request retries it after the backoff instead of losing or hammering it. The
 * receiver sees the same Idempotency-Key / dedup_key on every attempt of a row.
 *
 * Backoff: OUTBOX_BACKOFF_FIRST * 2^(attempt-1), capped at OUTBOX_BACKOFF_CAP,
 * with jitter over the upper half. A row fails for good (failed_at set, an
 * audit event written, shown by `status` and `outbox list`) after
 * OUTBOX_MAX_ATTEMPTS attempts, or at once on an answer that retrying cannot
 * fix (HTTP 4xx other than 408/429, SMTP 5xx). A failing target never blocks
 * another: each target has its own queue. */
#ifndef CPR_OUTBOX_H
#define CPR_OUTBOX_H

#include <glib.h>
#include "store.h"

#define OUTBOX_BACKOFF_FIRST 30      /* seconds */
#define OUTBOX_BACKOFF_CAP 3600      /* seconds */
/* With the cap, 60 attempts span about two and a half days: a receiver down
 * over a weekend still gets its pages. */
#define OUTBOX_MAX_ATTEMPTS 60
/* Largest payload accepted (bytes): pages are small, this catches bugs. */
#define OUTBOX_MAX_PAYLOAD (256u * 1024)

typedef struct {
    gint64 id;
    char *target;    /* notify.NAME without "notify.", or OUTBOX_TARGET_ACK */
    gint64 case_id;  /* 0 = none (health pages) */
    char *kind;      /* page | escalation | acknowledge | resolve | ack_mail | health | checkpoint */
    char *dedup_key;
    char *payload;
    gint64 created_at;
    guint attempts;  /* before this claim */
} OutboxRow;

/* The target of acknowledgement mail to reporters. */
#define OUTBOX_TARGET_ACK "reporter-ack"

void outbox_row_free(OutboxRow **row);

/* Enqueue one row, due at `now`. Inside the caller's transaction. A row with
 * the same target and dedup_key is left as it is: *inserted_r (may be NULL)
 * says whether this call added it. */
gboolean outbox_enqueue(Store *store, const char *target, gint64 case_id, const char *kind,
                        const char *dedup_key, const char *payload, gint64 now,
                        gboolean *inserted_r, GError **error);

/* Seconds to wait after attempt number `attempt` (1-based) failed; `jitter` in
 * [0,1) spreads retries over the upper half of the nominal delay. Pure. */
gint64 outbox_backoff(guint attempt, double jitter);

/* The targets with a pending row (not delivered, not failed), sorted. */
gboolean outbox_pending_targets(Store *store, GPtrArray **targets_r, GError **error);

/* Claim the oldest pending row of `target` if it is due at `now`: commits
 * attempts + 1 and next_attempt_at = now + backoff in its own transaction.
 * *row_r is NULL when the target has nothing due (its head row waits). */
gboolean outbox_claim_next(Store *store, const char *target, gint64 now, OutboxRow **row_r,
                           GError **error);

/* Delivered: set delivered_at and write a notification_delivered audit event. */
gboolean outbox_mark_delivered(Store *store, const OutboxRow *row, gint64 now, GError **error);
/* A failed attempt: record the error; `permanent` (or the last attempt) sets
 * failed_at and writes a notification_failed audit event, else the row waits
 * for the time its claim set. */
gboolean outbox_mark_attempt_failed(Store *store, const OutboxRow *row, gint64 now,
                                    const char *why, gboolean permanent, GError **error);

/* Counts for `status`: pending (not delivered, not failed) and failed rows. */
gboolean outbox_counts(Store *store, gint64 *pending_r, gint64 *failed_r, GError **error);

#endif
