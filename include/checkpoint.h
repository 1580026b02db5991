/* checkpoint.h - signed checkpoints of the audit chain (SPEC 2.7, 3.3 [audit]).
 *
 * The hash chain (audit.h) shows that no row was changed relative to its
 * neighbours, but whoever can write the database can rewrite every row, every
 * hash and the recorded head consistently. A checkpoint anchors the chain
 * outside the database: one line appended to [audit] checkpoint_file,
 *
 *     <event_id> <chain-hash-hex> <RFC 3339 UTC> <base64 Ed25519 signature>
 *
 * the signature covering the first three fields joined by single spaces, made
 * with [audit] signing_key_file (a PEM PKCS#8 Ed25519 key read by the process,
 * never stored in the database). A copy goes to the [notify.*] targets that
 * keep what they receive, so one leaves the machine. `audit verify
 * --checkpoints FILE --public-key FILE` then fails on a chain that no longer
 * has the anchored hash at the anchored id, or that ends before it. */
#ifndef CPR_CHECKPOINT_H
#define CPR_CHECKPOINT_H

#include <glib.h>
#include "config.h"
#include "store.h"

#define CHECKPOINT_SIGNATURE_LEN 64 /* Ed25519 */

/* checkpoint_take() refusing to sign a chain that no longer has what the
 * last checkpoint anchored: a finding, not a failure to run. */
#define CHECKPOINT_ERROR (checkpoint_error_quark())
GQuark checkpoint_error_quark(void);
enum { CHECKPOINT_ERROR_REFUSED };

typedef struct {
    gint64 event_id;    /* 0: the empty log (hash = STORE_GENESIS_HASH) */
    char hash[65];      /* lower-case hex SHA-256 of event_id's row */
    gint64 at;          /* when it was signed, Unix seconds UTC */
    char *signed_text;  /* "<event_id> <hash> <at>": what the signature covers */
    guint8 signature[CHECKPOINT_SIGNATURE_LEN];
} Checkpoint;

void checkpoint_clear(Checkpoint *cp);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Checkpoint, checkpoint_clear)

/* Parse one line (without its newline) strictly: four fields separated by
 * single spaces, a decimal id, 64 lower-case hex digits, a second-precision
 * RFC 3339 UTC time and canonical base64 of 64 bytes. Pure. FALSE with
 * CPR_ERROR_INPUT saying what is wrong. */
gboolean checkpoint_parse(const char *line, Checkpoint *cp_r, GError **error);

/* Where checkpoints of `store` go: [audit] checkpoint_file, else the
 * database's path + ".checkpoints". Caller frees. */
char *checkpoint_file_path(const Config *cfg, Store *store);

typedef enum {
    CHECKPOINT_COMMAND,  /* `audit checkpoint`: always written */
    CHECKPOINT_PERIODIC, /* the daemon's schedule: skipped when the chain has not moved */
    CHECKPOINT_SHUTDOWN, /* the daemon stopping: always written */
} CheckpointReason;

/* Verify the chain (audit_verify), check that it still has the hash the
 * file's last checkpoint anchored, sign the head and append the line with
 * fsync (the file is created 0600; an incomplete last line left by an
 * interrupted write is removed first, with a warning). Then log it and enqueue
 * a copy for the notify targets. *line_r (may be NULL) gets the line without
 * its newline, NULL when a periodic checkpoint was skipped. FALSE with
 * CPR_ERROR_CONFIG (no or bad key, unwritable file), CPR_ERROR_STORE (the
 * database failed or the chain is broken: audit_verify()) or
 * CHECKPOINT_ERROR_REFUSED (the chain no longer has what the last checkpoint
 * anchored). Nothing is ever signed over a broken or rewritten log. */
gboolean checkpoint_take(Store *store, const Config *cfg, gint64 now, CheckpointReason reason,
                         char **line_r, GError **error);

/* Read [audit] signing_key_file as checkpoint_take() would: for start-up
 * checks of the commands that sign. */
gboolean checkpoint_key_check(const Config *cfg, GError **error);

/* What `audit verify --checkpoints` found. */
typedef struct {
    guint verified;        /* checkpoints whose signature and hash held */
    gint64 last_event_id;  /* of the last verified checkpoint */
    gint64 last_at;
    gint64 log_last_id;    /* the log's last event */
    char *failure;         /* the first failing checkpoint: "line L (event N): why"; NULL */
    char *warning;         /* e.g. an incomplete last line; NULL */
} CheckpointVerify;

void checkpoint_verify_clear(CheckpointVerify *v);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(CheckpointVerify, checkpoint_verify_clear)

/* Check every line of `path`: its signature against the PEM public key in
 * `public_key_path` (what `certtool --load-privkey KEY --pubkey-info` prints),
 * then that the log has that hash at that id. Stops at the first failure
 * (v->failure). An incomplete last line (no newline: an interrupted write) is
 * no checkpoint and only warned about. FALSE when the check could not be made:
 * CPR_ERROR_CONFIG (public key), CPR_ERROR_INPUT (checkpoint file),
 * CPR_ERROR_STORE (database). Does not verify the chain itself: audit_verify(). */
gboolean checkpoint_verify(Store *store, const char *path, const char *public_key_path,
                           CheckpointVerify *v, GError **error);

/* "command", "periodic" or "shutdown". */
const char *checkpoint_reason_name(CheckpointReason reason);
/* The time of the file's last checkpoint line in *at_r (0 when there is none
 * or it cannot be parsed). FALSE when the file exists but cannot be read. */
gboolean checkpoint_last_time(const Config *cfg, Store *store, gint64 *at_r);

/* The daemon's schedule (imap_daemon.c): a periodic checkpoint when [audit]
 * checkpoint_seconds have passed since the file's last line (at once when it
 * has none). *next_r holds the next due time between calls (0 at start).
 * Nothing without signing_key_file; failures are logged and retried a minute
 * later: intake never waits for a checkpoint. */
void checkpoint_daemon_tick(Store *store, const Config *cfg, gint64 now, gint64 *next_r);
/* The checkpoint at shutdown (also after `run --once`), logged either way. */
void checkpoint_daemon_stop(Store *store, const Config *cfg, gint64 now);

#endif
