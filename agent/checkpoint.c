/* checkpoint.c - signed checkpoints of the audit chain (see checkpoint.h).
 *
 * The file is append-only text, one checkpoint a line. A line is written
 * with one write() on an O_APPEND descriptor under flock() and then fsync()ed,
 * so a crash leaves at worst an incomplete last line: the next writer cuts it
 * off, and `audit verify` warns about it instead of failing, because it is no
 * claim anyone signed. */
#define G_LOG_DOMAIN "audit"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>

#include "secret.h"
#include "audit.h"
#include "checkpoint.h"
#include "cpr_error.h"
#include "jsonutil.h"
#include "notify/notify_internal.h"
#include "outbox.h"
#include "timefmt.h"
#include "logging.h"

/* The last line is found in the file's last TAIL_MAX bytes; a line is about
 * 200 bytes. */
#define TAIL_MAX 4096
/* A checkpoint file larger than this is not one (hourly lines for a century
 * stay far below). */
#define FILE_MAX (256u * 1024 * 1024)
#define PUBLIC_KEY_MAX (64u * 1024)

G_DEFINE_QUARK(cpr-checkpoint-error-quark, checkpoint_error)

void checkpoint_clear(Checkpoint *cp)
{
    g_clear_pointer(&cp->signed_text, g_free);
    memset(cp, 0, sizeof *cp);
}

void checkpoint_verify_clear(CheckpointVerify *v)
{
    g_free(v->failure);
    g_free(v->warning);
    memset(v, 0, sizeof *v);
}

static gboolean bad_line(GError **error, const char *what)
{
    g_set_error(error, CPR_ERROR, CPR_ERROR_INPUT, "%s", what);
    return FALSE;
}

gboolean checkpoint_parse(const char *line, Checkpoint *cp_r, GError **error)
{
    memset(cp_r, 0, sizeof *cp_r);
    g_auto(GStrv) f = g_strsplit(line, " ", 0);
    if (g_strv_length(f) != 4)
        return bad_line(error, "expected four fields separated by single spaces: "
                               "<event_id> <hash> <time> <signature>");
    guint64 id = 0;
    if (!g_ascii_string_to_unsigned(f[0], 10, 0, G_MAXINT64, &id, NULL) ||
        (f[0][0] == '0' && f[0][1]))
        return bad_line(error, "the event id is not a decimal number");
    gsize n = strlen(f[1]);
    for (gsize i = 0; i < n; i++)
        if (!g_ascii_isxdigit(f[1][i]) || g_ascii_isupper(f[1][i]))
            n = 0;
    if (n != 64)
        return bad_line(error, "the hash is not 64 lower-case hex digits");
    gint64 at = 0;
    g_autofree char *canonical = NULL;
    if (timefmt_parse(f[2], &at))
        canonical = timefmt_rfc3339(at);
    if (!canonical || strcmp(canonical, f[2]))
        return bad_line(error, "the time is not RFC 3339 UTC like 2026-12-05T14:00:00Z");
    gsize siglen = 0;
    for (const char *p = f[3]; *p; p++)
        if (!g_ascii_isalnum(*p) && *p != '+' && *p != '/' && *p != '=')
            return bad_line(error, "the signature is not base64");
    g_autofree guchar *sig = g_base64_decode(f[3], &siglen);
    g_autofree char *reencoded = sig && siglen ? g_base64_encode(sig, siglen) : NULL;
    if (siglen != CHECKPOINT_SIGNATURE_LEN || g_strcmp0(reencoded, f[3]))
        return bad_line(error, "the signature is not the base64 of 64 bytes");
    cp_r->event_id = (gint64)id;
    memcpy(cp_r->hash, f[1], 64);
    cp_r->hash[64] = '\0';
    cp_r->at = at;
    memcpy(cp_r->signature, sig, CHECKPOINT_SIGNATURE_LEN);
    cp_r->signed_text = g_strdup_printf("%s %s %s", f[0], f[1], f[2]);
    return TRUE;
}

char *checkpoint_file_path(const Config *cfg, Store *store)
{
    if (cfg->audit_checkpoint_file)
        return g_strdup(cfg->audit_checkpoint_file);
    const char *db = sqlite3_db_filename(store_db(store), "main");
    return g_strdup_printf("%s.checkpoints", db && *db ? db : "cpr-intake.db");
}

/* ---- keys ---- */

static gboolean key_error(GError **error, int code, const char *path, const char *what, int rc)
{
    g_set_error(error, CPR_ERROR, code, "%s: %s%s%s", path, what, rc ? ": " : "",
                rc ? gnutls_strerror(rc) : "");
    return FALSE;
}

static gnutls_privkey_t signer_load(const Config *cfg, GError **error)
{
    const char *path = cfg->audit_signing_key_file;
    if (!path) {
        g_set_error(error, CPR_ERROR, CPR_ERROR_CONFIG,
                    "%s: [audit] signing_key_file is not set: checkpoints are signed with an "
                    "Ed25519 key (certtool --generate-privkey --key-type ed25519 --outfile KEY)",
                    cfg->path ? cfg->path : "configuration");
        return NULL;
    }
    GError *local = NULL;
    char *pem = secret_read(path, &local);
    if (!pem) {
        g_propagate_prefixed_error(error, local, "[audit] signing_key_file: ");
        return NULL;
    }
    gnutls_datum_t d = {(unsigned char *)pem, (unsigned int)strlen(pem)};
    gnutls_privkey_t key = NULL;
    int rc = gnutls_privkey_init(&key);
    if (rc >= 0)
        rc = gnutls_privkey_import_x509_raw(key, &d, GNUTLS_X509_FMT_PEM, NULL, 0);
    secret_free(&pem);
    if (rc < 0) {
        gnutls_privkey_deinit(key);
        key_error(error, CPR_ERROR_CONFIG, path,
                  "[audit] signing_key_file: not a PEM private key", rc);
        return NULL;
    }
    if (gnutls_privkey_get_pk_algorithm(key, NULL) != GNUTLS_PK_EDDSA_ED25519) {
        gnutls_privkey_deinit(key);
        key_error(error, CPR_ERROR_CONFIG, path,
                  "[audit] signing_key_file: expected an Ed25519 key (certtool "
                  "--generate-privkey --key-type ed25519)", 0);
        return NULL;
    }
    return key;
}

gboolean checkpoint_key_check(const Config *cfg, GError **error)
{
    gnutls_privkey_t key = signer_load(cfg, error);
    if (!key)
        return FALSE;
    gnutls_privkey_deinit(key);
    return TRUE;
}

static gnutls_pubkey_t verifier_load(const char *path, GError **error)
{
    g_autofree char *pem = NULL;
    gsize len = 0;
    GError *local = NULL;
    struct stat st;
    if (stat(path, &st) == 0 && st.st_size > (off_t)PUBLIC_KEY_MAX) {
        key_error(error, CPR_ERROR_CONFIG, path, "too large for a public key", 0);
        return NULL;
    }
    if (!g_file_get_contents(path, &pem, &len, &local)) {
        g_set_error(error, CPR_ERROR, CPR_ERROR_CONFIG, "--public-key: %s", local->message);
        g_error_free(local);
        return NULL;
    }
    gnutls_datum_t d = {(unsigned char *)pem, (unsigned int)len};
    gnutls_pubkey_t key = NULL;
    int rc = gnutls_pubkey_init(&key);
    if (rc >= 0)
        rc = gnutls_pubkey_import(key, &d, GNUTLS_X509_FMT_PEM);
    if (rc < 0) {
        gnutls_pubkey_deinit(key);
        key_error(error, CPR_ERROR_CONFIG, path,
                  "not a PEM public key (certtool --load-privkey KEY --pubkey-info prints one)",
                  rc);
        return NULL;
    }
    if (gnutls_pubkey_get_pk_algorithm(key, NULL) != GNUTLS_PK_EDDSA_ED25519) {
        gnutls_pubkey_deinit(key);
        key_error(error, CPR_ERROR_CONFIG, path, "expected an Ed25519 public key", 0);
        return NULL;
    }
    return key;
}

/* ---- the file's tail ---- */

static ssize_t pread_full(int fd, char *buf, size_t n, off_t at)
{
    size_t done = 0;
    while (done < n) {
        ssize_t r = pread(fd, buf + done, n - done, at + (off_t)done);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return r < 0 ? -1 : (ssize_t)done;
        done += (size_t)r;
    }
    return (ssize_t)done;
}

static gboolean file_error(GError **error, const char *path, const char *what)
{
    int e = errno;
    g_set_error(error, CPR_ERROR, CPR_ERROR_CONFIG, "[audit] checkpoint_file %s: %s: %s", path,
                what, g_strerror(e));
    return FALSE;
}

/* The last complete line of the file open on `fd` (NULL when there is none).
 * Bytes after the last newline are what an interrupted write left: they are
 * cut off, with a warning, so that the next line starts on a line of its own. */
static gboolean tail_last_line(int fd, const char *path, char **last_r, GError **error)
{
    *last_r = NULL;
    struct stat st;
    if (fstat(fd, &st) != 0)
        return file_error(error, path, "cannot stat");
    if (st.st_size == 0)
        return TRUE;
    size_t n = (size_t)MIN(st.st_size, (off_t)TAIL_MAX);
    off_t from = st.st_size - (off_t)n;
    g_autofree char *buf = g_malloc(n + 1);
    if (pread_full(fd, buf, n, from) != (ssize_t)n)
        return file_error(error, path, "cannot read");
    buf[n] = '\0';
    size_t end = n; /* just past the last newline */
    while (end > 0 && buf[end - 1] != '\n')
        end--;
    if (end == 0 && from > 0) {
        g_set_error(error, CPR_ERROR, CPR_ERROR_CONFIG,
                    "[audit] checkpoint_file %s: no line end in its last %zu bytes: not a "
                    "checkpoint file", path, n);
        return FALSE;
    }
    if (end < n) {
        g_warning("event=audit_checkpoint_torn file=%s bytes=%zu action=\"cut off an "
                  "incomplete last line left by an interrupted write\"", path, n - end);
        if (ftruncate(fd, from + (off_t)end) != 0 || fsync(fd) != 0)
            return file_error(error, path, "cannot cut off an incomplete last line");
    }
    if (end == 0)
        return TRUE;
    size_t start = end - 1;
    while (start > 0 && buf[start - 1] != '\n')
        start--;
    if (start == 0 && from > 0) {
        g_set_error(error, CPR_ERROR, CPR_ERROR_CONFIG,
                    "[audit] checkpoint_file %s: its last line is longer than %d bytes: not a "
                    "checkpoint", path, TAIL_MAX);
        return FALSE;
    }
    *last_r = g_strndup(buf + start, end - 1 - start);
    return TRUE;
}

static gboolean write_all(int fd, const char *data, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, data, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return FALSE;
        data += w;
        n -= (size_t)w;
    }
    return TRUE;
}

/* A new file's name must survive a crash too. */
static void fsync_dir_of(const char *path)
{
    g_autofree char *dir = g_path_get_dirname(path);
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        (void)fsync(dfd);
        close(dfd);
    }
}

/* ---- the chain ---- */

/* The hash of event `id` (the genesis hash for 0); *found_r FALSE when the
 * log has no such row. */
static gboolean chain_hash_at(Store *store, gint64 id, char **hash_r, gboolean *found_r,
                              GError **error)
{
    *hash_r = NULL;
    *found_r = FALSE;
    if (id == 0) {
        *hash_r = g_strdup(STORE_GENESIS_HASH);
        *found_r = TRUE;
        return TRUE;
    }
    sqlite3_stmt *st = store_prepare_id(store, "SELECT hash FROM events WHERE id = ?", id, error);
    if (!st)
        return FALSE;
    int rc = store_step(store, st, error);
    if (rc == STORE_ROW) {
        *hash_r = store_column_dup(st, 0);
        *found_r = TRUE;
    }
    sqlite3_reset(st);
    if (rc == STORE_ERROR) {
        g_prefix_error(error, "cannot read events: ");
        return FALSE;
    }
    return TRUE;
}

static gboolean chain_refused(GError **error, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static gboolean chain_refused(GError **error, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *what = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error(error, CHECKPOINT_ERROR, CHECKPOINT_ERROR_REFUSED, "not signing a checkpoint: %s",
                what);
    return FALSE;
}

/* The last checkpoint of the file must still hold: a log rewritten since is
 * never signed again (that would bless the rewrite). */
static gboolean chain_matches(Store *store, const char *path, const Checkpoint *last,
                              gint64 rows, GError **error)
{
    g_autofree char *hash = NULL;
    gboolean found = FALSE;
    if (last->event_id > rows)
        return chain_refused(error, "the last checkpoint in %s anchors event %" G_GINT64_FORMAT
                             " but the log ends at event %" G_GINT64_FORMAT
                             ": events were deleted or cut off", path, last->event_id, rows);
    if (!chain_hash_at(store, last->event_id, &hash, &found, error))
        return FALSE;
    if (!found || strcmp(hash, last->hash))
        return chain_refused(error, "the log no longer has the hash the last checkpoint in %s "
                             "anchored at event %" G_GINT64_FORMAT ": it was rewritten", path,
                             last->event_id);
    return TRUE;
}

/* ---- writing ---- */

static char *sign_text(gnutls_privkey_t key, const char *text, GError **error)
{
    gnutls_datum_t data = {(unsigned char *)text, (unsigned int)strlen(text)};
    gnutls_datum_t sig = {NULL, 0};
    int rc = gnutls_privkey_sign_data2(key, GNUTLS_SIGN_EDDSA_ED25519, 0, &data, &sig);
    if (rc < 0 || sig.size != CHECKPOINT_SIGNATURE_LEN) {
        g_set_error(error, CPR_ERROR, CPR_ERROR_CONFIG, "cannot sign a checkpoint: %s",
                    rc < 0 ? gnutls_strerror(rc) : "unexpected signature size");
        gnutls_free(sig.data);
        return NULL;
    }
    char *b64 = g_base64_encode(sig.data, sig.size);
    gnutls_free(sig.data);
    return b64;
}

const char *checkpoint_reason_name(CheckpointReason reason)
{
    switch (reason) {
    case CHECKPOINT_COMMAND:
        return "command";
    case CHECKPOINT_PERIODIC:
        return "periodic";
    case CHECKPOINT_SHUTDOWN:
        return "shutdown";
    }
    return "?";
}

/* A copy for the targets that keep what they receive (webhook, Slack,
 * e-mail). PagerDuty is left out: it is for waking people, and every event
 * it receives would open an incident. */
static gboolean enqueue_copy(Store *store, const Config *cfg, const Checkpoint *cp,
                             const char *line, const char *path, gint64 now, GError **error)
{
    gboolean any = FALSE;
    for (guint i = 0; cfg->notify && i < cfg->notify->len; i++) {
        const NotifyTarget *t = g_ptr_array_index(cfg->notify, i);
        any = any || g_strcmp0(t->type, "pagerduty") != 0;
    }
    if (!any)
        return TRUE;
    g_autofree char *summary = g_strdup_printf(
        "Audit checkpoint: event %" G_GINT64_FORMAT " of the event log signed", cp->event_id);
    g_autofree char *at = timefmt_rfc3339(cp->at);
    g_autofree char *key = g_strdup_printf("cpr-intake/audit-checkpoint/%" G_GINT64_FORMAT "/%s",
                                           cp->event_id, at);
    g_autoptr(JsonBuilder) b = notify_doc_begin("audit_checkpoint", summary);
    jsonutil_add_string(b, "checkpoint", line);
    jsonutil_add_int(b, "event_id", cp->event_id);
    jsonutil_add_string(b, "hash", cp->hash);
    jsonutil_add_string(b, "at", at);
    jsonutil_add_string(b, "file", path);
    jsonutil_add_string(b, "show", "cpr-intake audit verify --checkpoints FILE --public-key FILE");
    jsonutil_add_string(b, "dedup_key", key);
    json_builder_end_object(b);
    g_autofree char *doc = jsonutil_builder_to_string(b, FALSE);
    if (!store_begin(store, error))
        return FALSE;
    for (guint i = 0; cfg->notify && i < cfg->notify->len; i++) {
        const NotifyTarget *t = g_ptr_array_index(cfg->notify, i);
        if (g_strcmp0(t->type, "pagerduty") != 0 &&
            !outbox_enqueue(store, t->name, 0, "checkpoint", key, doc, now, NULL, error)) {
            store_rollback(store);
            return FALSE;
        }
    }
    return store_commit(store, error);
}

/* Under the file's lock: check the file's last line and the chain, sign,
 * append. *line_r stays NULL when a periodic checkpoint is not needed. */
static gboolean take_locked(Store *store, gnutls_privkey_t key, int fd, const char *path,
                            gint64 now, CheckpointReason reason, char **line_r, GError **error)
{
    g_autofree char *last_text = NULL;
    if (!tail_last_line(fd, path, &last_text, error))
        return FALSE;
    g_auto(Checkpoint) last = {0};
    GError *local = NULL;
    if (last_text && !checkpoint_parse(last_text, &last, &local)) {
        g_set_error(error, CPR_ERROR, CPR_ERROR_CONFIG,
                    "[audit] checkpoint_file %s: its last line is not a checkpoint (%s): not "
                    "appending after it", path, local->message);
        g_error_free(local);
        return FALSE;
    }
    if (reason == CHECKPOINT_PERIODIC && last_text) {
        /* Cheap before the full verification: has the chain moved at all? */
        g_autofree char *hash = NULL;
        gboolean found = FALSE;
        if (!chain_hash_at(store, last.event_id + 1, &hash, &found, error))
            return FALSE;
        if (!found) {
            if (!chain_hash_at(store, last.event_id, &hash, &found, error))
                return FALSE;
            if (found && !strcmp(hash, last.hash))
                return TRUE; /* not moved: nothing to anchor */
        }
    }
    gint64 rows = 0;
    if (!audit_verify(store, &rows, error)) {
        g_prefix_error(error, "not signing a checkpoint: ");
        return FALSE;
    }
    if (last_text && !chain_matches(store, path, &last, rows, error))
        return FALSE;
    g_autofree char *hash = NULL;
    gboolean found = FALSE;
    if (!chain_hash_at(store, rows, &hash, &found, error))
        return FALSE;
    if (!found)
        return chain_refused(error, "event %" G_GINT64_FORMAT " vanished while it was read",
                             rows);
    g_autofree char *at = timefmt_rfc3339(now);
    g_autofree char *text = g_strdup_printf("%" G_GINT64_FORMAT " %s %s", rows, hash, at);
    g_autofree char *sig = sign_text(key, text, error);
    if (!sig)
        return FALSE;
    g_autofree char *line = g_strdup_printf("%s %s\n", text, sig);
    if (!write_all(fd, line, strlen(line)) || fsync(fd) != 0)
        return file_error(error, path, "cannot append a checkpoint");
    line[strlen(line) - 1] = '\0';
    g_message("event=audit_checkpoint id=%" G_GINT64_FORMAT " hash=%s at=%s file=%s reason=%s",
              rows, hash, at, path, checkpoint_reason_name(reason));
    *line_r = g_steal_pointer(&line);
    return TRUE;
}

static int open_locked(const char *path, GError **error)
{
    gboolean created = FALSE;
    int fd = open(path, O_RDWR | O_APPEND | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) {
        fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        created = fd >= 0;
        if (fd < 0 && errno == EEXIST) /* another writer made it just now */
            fd = open(path, O_RDWR | O_APPEND | O_CLOEXEC);
    }
    if (fd < 0) {
        file_error(error, path, "cannot open");
        return -1;
    }
    /* One writer at a time: the daemon and `audit checkpoint` may meet. */
    while (flock(fd, LOCK_EX) != 0) {
        if (errno != EINTR) {
            file_error(error, path, "cannot lock");
            close(fd);
            return -1;
        }
    }
    if (created)
        fsync_dir_of(path);
    return fd;
}

gboolean checkpoint_take(Store *store, const Config *cfg, gint64 now, CheckpointReason reason,
                         char **line_r, GError **error)
{
    if (line_r)
        *line_r = NULL;
    gnutls_privkey_t key = signer_load(cfg, error);
    if (!key)
        return FALSE;
    g_autofree char *path = checkpoint_file_path(cfg, store);
    g_autofree char *line = NULL;
    int fd = open_locked(path, error);
    gboolean ok = fd >= 0 && take_locked(store, key, fd, path, now, reason, &line, error);
    if (fd >= 0)
        close(fd); /* releases the lock */
    gnutls_privkey_deinit(key);
    /* The line is on disk: a copy that cannot be queued is an error of its
     * own, with the line still handed back. */
    g_auto(Checkpoint) cp = {0};
    if (ok && line)
        ok = checkpoint_parse(line, &cp, error) &&
             enqueue_copy(store, cfg, &cp, line, path, now, error);
    if (line_r)
        *line_r = g_steal_pointer(&line);
    return ok;
}

/* ---- verifying ---- */

static void verify_fail(CheckpointVerify *v, guint lineno, const Checkpoint *cp, const char *fmt,
                        ...) G_GNUC_PRINTF(4, 5);

static void verify_fail(CheckpointVerify *v, guint lineno, const Checkpoint *cp, const char *fmt,
                        ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *why = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    if (cp)
        v->failure = g_strdup_printf("line %u (event %" G_GINT64_FORMAT "): %s", lineno,
                                     cp->event_id, why);
    else
        v->failure = g_strdup_printf("line %u: %s", lineno, why);
}

/* One line against the key and the log; FALSE only on a database failure. */
static gboolean verify_line(Store *store, gnutls_pubkey_t key, const char *text, guint lineno,
                            CheckpointVerify *v, GError **error)
{
    g_auto(Checkpoint) cp = {0};
    GError *bad = NULL;
    if (!checkpoint_parse(text, &cp, &bad)) {
        verify_fail(v, lineno, NULL, "not a checkpoint: %s", bad->message);
        g_error_free(bad);
        return TRUE;
    }
    gnutls_datum_t data = {(unsigned char *)cp.signed_text, (unsigned int)strlen(cp.signed_text)};
    gnutls_datum_t sig = {cp.signature, CHECKPOINT_SIGNATURE_LEN};
    int rc = gnutls_pubkey_verify_data2(key, GNUTLS_SIGN_EDDSA_ED25519, 0, &data, &sig);
    if (rc < 0) {
        verify_fail(v, lineno, &cp, "the signature does not verify with the public key (%s): "
                    "the line was altered or signed with another key", gnutls_strerror(rc));
        return TRUE;
    }
    if (cp.event_id > v->log_last_id) {
        verify_fail(v, lineno, &cp, "the checkpoint anchors event %" G_GINT64_FORMAT
                    " but the log ends at event %" G_GINT64_FORMAT
                    ": events were deleted or cut off the end",
                    cp.event_id, v->log_last_id);
        return TRUE;
    }
    g_autofree char *hash = NULL;
    gboolean found = FALSE;
    if (!chain_hash_at(store, cp.event_id, &hash, &found, error))
        return FALSE;
    if (!found) {
        verify_fail(v, lineno, &cp, "the log has no event %" G_GINT64_FORMAT
                    ": events were deleted", cp.event_id);
        return TRUE;
    }
    if (strcmp(hash, cp.hash)) {
        verify_fail(v, lineno, &cp, "the log has hash %.16s... at event %" G_GINT64_FORMAT
                    ", the checkpoint signed %.16s...: the log was rewritten at or before event %"
                    G_GINT64_FORMAT, hash, cp.event_id, cp.hash, cp.event_id);
        return TRUE;
    }
    v->verified++;
    v->last_event_id = cp.event_id;
    v->last_at = cp.at;
    return TRUE;
}

static gboolean verify_lines(Store *store, gnutls_pubkey_t key, const char *path,
                             const char *data, gsize len, CheckpointVerify *v, GError **error)
{
    sqlite3_stmt *st = store_prepare(store, "SELECT coalesce(max(id), 0) FROM events", error);
    if (!st)
        return FALSE;
    gboolean ok = store_step_row(store, st, "cannot read events", error);
    v->log_last_id = ok ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    if (!ok)
        return FALSE;
    guint lineno = 0;
    for (gsize pos = 0; pos < len && !v->failure;) {
        const char *nl = memchr(data + pos, '\n', len - pos);
        lineno++;
        if (!nl) {
            v->warning = g_strdup_printf("%s line %u: an incomplete last line (no line end: an "
                                         "interrupted write) is not a checkpoint; ignored",
                                         path, lineno);
            break;
        }
        g_autofree char *text = g_strndup(data + pos, (gsize)(nl - (data + pos)));
        pos = (gsize)(nl - data) + 1;
        if (!verify_line(store, key, text, lineno, v, error))
            return FALSE;
    }
    if (!v->failure && v->verified == 0)
        v->failure = g_strdup_printf("%s holds no checkpoint", path);
    return TRUE;
}

gboolean checkpoint_verify(Store *store, const char *path, const char *public_key_path,
                           CheckpointVerify *v, GError **error)
{
    memset(v, 0, sizeof *v);
    gnutls_pubkey_t key = verifier_load(public_key_path, error);
    if (!key)
        return FALSE;
    g_autofree char *data = NULL;
    gsize len = 0;
    GError *local = NULL;
    struct stat st;
    gboolean ok = FALSE;
    if (stat(path, &st) == 0 && (guint64)st.st_size > FILE_MAX) {
        g_set_error(error, CPR_ERROR, CPR_ERROR_INPUT, "--checkpoints %s: larger than %u MB",
                    path, FILE_MAX >> 20);
        goto out;
    }
    if (!g_file_get_contents(path, &data, &len, &local)) {
        g_set_error(error, CPR_ERROR, CPR_ERROR_INPUT, "--checkpoints: %s", local->message);
        g_error_free(local);
        goto out;
    }
    if (memchr(data, '\0', len)) {
        g_set_error(error, CPR_ERROR, CPR_ERROR_INPUT,
                    "--checkpoints %s: a binary file, not checkpoints", path);
        goto out;
    }
    /* One snapshot for every line: a writer appending meanwhile changes
     * nothing that is read. */
    if (sqlite3_exec(store_db(store), "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
        store_set_error(store, error, "cannot start a read transaction");
        goto out;
    }
    ok = verify_lines(store, key, path, data, len, v, error);
    sqlite3_exec(store_db(store), "COMMIT", NULL, NULL, NULL);
out:
    gnutls_pubkey_deinit(key);
    return ok;
}

/* ---- for the daemon (checkpoint_daemon.c) ---- */

gboolean checkpoint_last_time(const Config *cfg, Store *store, gint64 *at_r)
{
    *at_r = 0;
    g_autofree char *path = checkpoint_file_path(cfg, store);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT;
    struct stat st;
    gboolean ok = fstat(fd, &st) == 0;
    if (ok && st.st_size > 0) {
        size_t n = (size_t)MIN(st.st_size, (off_t)TAIL_MAX);
        g_autofree char *buf = g_malloc0(n + 1);
        ok = pread_full(fd, buf, n, st.st_size - (off_t)n) == (ssize_t)n;
        char *end = ok ? strrchr(buf, '\n') : NULL;
        if (end) {
            *end = '\0';
            char *start = strrchr(buf, '\n');
            g_auto(Checkpoint) cp = {0};
            if (checkpoint_parse(start ? start + 1 : buf, &cp, NULL))
                *at_r = cp.at;
        }
    }
    close(fd);
    return ok;
}
