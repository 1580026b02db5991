/* imap_daemon.c - `cpr-intake run`: keep one IMAP connection alive and caught up.
 *
 * Errors are graded by scope, as in mbsync: a message that cannot be fetched
 * is retried and then skipped with an audit event (imap_sync.c); a folder that
 * fails is skipped this round; a connection, TLS or authentication failure
 * tears the connection down and reconnects with capped exponential backoff and
 * jitter; only a database failure ends the daemon (systemd restarts it).
 *
 * Push: IDLE on the first folder. Every round ends with DONE and a UID FETCH
 * catch-up of that folder, which doubles as the heartbeat; the other folders
 * are caught up every poll_seconds. Servers without IDLE are polled.
 *
 * The rest of the daemon's work (SPEC 3.2 `run`: clocks, escalation, outbox)
 * is notify_tick(): after every catch-up that stored mail (the first page goes
 * out at once), and every TICK_SECONDS while idling or waiting to reconnect,
 * so a mailbox outage never delays an escalation. The same tick signs a
 * checkpoint of the audit chain every [audit] checkpoint_seconds, and one
 * more is signed at shutdown (checkpoint.h). */
#define G_LOG_DOMAIN "imap"
#include "imap.h"
#include "imap_internal.h"

#include <signal.h>
#include <string.h>

#include "checkpoint.h"
#include "notify.h"

/* A CA's clocks run while the mailbox is unread: after an outage the daemon
 * must be back within a minute of the server, not after a 5-minute backoff
 * (the soak test caught that); one attempt a minute burdens no server. */
#define BACKOFF_FIRST_MS 1000
#define BACKOFF_CAP_MS (60 * 1000)
#define TICK_SECONDS 10

static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t reload_requested;
/* [store] min_free_mb not met at the last check: intake pauses (issue 17) */
static gboolean disk_low;

void imap_daemon_request_stop(void)
{
    stop_requested = 1;
}

void imap_daemon_request_reload(void)
{
    reload_requested = 1;
}

static gboolean should_stop(void)
{
    return stop_requested != 0;
}

static gboolean should_wake(void)
{
    return stop_requested != 0 || reload_requested != 0 || disk_low;
}

static gboolean nap_interrupted(void)
{
    return stop_requested != 0 || reload_requested != 0;
}

static void on_signal(int sig)
{
    if (sig == SIGHUP)
        reload_requested = 1;
    else
        stop_requested = 1;
}

static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
    /* No SA_RESTART: a blocked poll() or read() returns EINTR and the loop
     * looks at the flags. */
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

static gint64 now_s(void)
{
    return g_get_real_time() / G_USEC_PER_SEC;
}

static void note_health(Store *store, const char *key, const char *value)
{
    GError *e = NULL;
    if (!store_health_set(store, key, value, now_s(), &e)) {
        g_warning("event=health_write_failed key=%s error=%s", key, e->message);
        g_error_free(e);
    }
}

/* Full jitter over the upper half: spreads reconnecting clients apart while
 * keeping the wait close to the nominal backoff. */
static gint64 jittered(gint64 backoff_ms)
{
    return backoff_ms / 2 + g_random_int_range(0, (gint32)MAX(backoff_ms / 2, 1));
}

typedef struct {
    const Config *cfg;   /* current: the caller's, or a reloaded one we own */
    Intake *intake;      /* current */
    Config *own_cfg;     /* set after a reload */
    Intake *own_intake;
    Store *store;
    ImapSync *sync;
    Bounds bounds;
    gint64 last_tick;    /* monotonic, microseconds */
    gint64 next_checkpoint; /* wall clock, seconds; 0 = not yet known */
    const char *db_path; /* the database file, for the free-space check */
} Daemon;

/* With processed=move: a message leaves the folder once it is committed; a
 * commit that a power cut could still undo (WAL with synchronous=NORMAL)
 * would lose it for good. So every commit is synced then (issue 17). */
static void store_durability(Store *store, const Config *cfg)
{
    if (cfg->imap_processed != PROCESSED_MOVE)
        return;
    char *msg = NULL;
    if (sqlite3_exec(store_db(store), "PRAGMA synchronous = FULL;", NULL, NULL, &msg) == SQLITE_OK)
        g_message("event=store_synchronous mode=full reason=processed_move");
    else
        g_warning("event=store_synchronous_failed error=\"%s\"", msg ? msg : "?");
    sqlite3_free(msg);
}

/* statvfs on the database's folder; pages (without the database) when low. */
static void check_disk(Daemon *d)
{
    disk_low = !notify_disk_ok(d->cfg, d->db_path, DISK_PAGE_REPEAT_SECONDS, NULL);
}

/* notify_tick() at most every TICK_SECONDS unless forced. */
static gboolean daemon_tick_now(Daemon *d, gboolean force, GError **error)
{
    gint64 mono = g_get_monotonic_time();
    if (!force && d->last_tick && mono - d->last_tick < TICK_SECONDS * G_USEC_PER_SEC)
        return TRUE;
    d->last_tick = mono;
    check_disk(d);
    NotifyTickStats st = {0};
    if (!notify_tick(d->store, d->cfg, now_s(), &st, error))
        return FALSE;
    if (st.escalations || st.health_pages || st.delivered || st.retrying || st.failed ||
        st.missed || st.delayed_cases)
        g_message("event=notify escalations=%u health_pages=%u delivered=%u retrying=%u "
                  "failed=%u missed=%u incidents=%u delayed_revocation_cases=%u",
                  st.escalations, st.health_pages, st.delivered, st.retrying, st.failed,
                  st.missed, st.incidents, st.delayed_cases);
    checkpoint_daemon_tick(d->store, d->cfg, now_s(), &d->next_checkpoint);
    return TRUE;
}

static gboolean daemon_tick(gpointer data, GError **error)
{
    return daemon_tick_now(data, FALSE, error);
}

/* Sleep up to `ms`, ticking, waking early for a stop or reload request. FALSE
 * only when the tick hit a database failure. */
static gboolean nap(Daemon *d, gint64 ms, GError **error)
{
    gint64 end = g_get_monotonic_time() + ms * 1000;
    while (!nap_interrupted()) {
        if (!daemon_tick_now(d, FALSE, error))
            return FALSE;
        gint64 left = (end - g_get_monotonic_time()) / 1000;
        if (left <= 0)
            break;
        g_usleep((gulong)MIN(left, 250) * 1000);
    }
    return TRUE;
}

/* One log line per SIGHUP: "event=reloaded config=PATH", or
 * "event=reload_failed config=PATH error=..." keeping the running one. The
 * path is copied first: the configuration that holds it is freed below. */
static void daemon_reload(Daemon *d)
{
    reload_requested = 0;
    g_autofree char *path = g_strdup(d->cfg->path);
    g_autofree char *path_v = log_value(path ? path : "");
    GError *e = NULL;
    Config *fresh = path ? config_load(path, &e) : NULL;
    if (!fresh) {
        g_autofree char *why = log_value(e ? e->message : "configuration has no path");
        g_warning("event=reload_failed config=%s error=%s "
                  "action=\"keeping the running configuration\"",
                  path_v, why);
        g_clear_error(&e);
        return;
    }
    if (!fresh->imap_url) {
        g_warning("event=reload_failed config=%s error=\"the new configuration has no [imap] url\" "
                  "action=\"keeping the running configuration\"",
                  path_v);
        config_free(&fresh);
        return;
    }
    Intake *fresh_intake = intake_new(d->store, fresh, &d->bounds);
    imap_sync_set_config(d->sync, fresh, fresh_intake);
    intake_free(&d->own_intake);
    config_free(&d->own_cfg);
    d->own_cfg = fresh;
    d->own_intake = fresh_intake;
    d->cfg = fresh;
    d->intake = fresh_intake;
    store_durability(d->store, fresh);
    g_message("event=reloaded config=%s", path_v);
}

/* The first folder is caught up last so that it stays selected for IDLE. */
static gboolean catch_up(Daemon *d, ImapSession *s, gboolean all, guint *failed_r,
                         guint *ingested_r, GError **first_error, GError **error)
{
    char **folders = d->cfg->imap_folders;
    static char *inbox_only[] = {"INBOX", NULL};
    if (!folders || !folders[0])
        folders = inbox_only;
    guint n = g_strv_length(folders);
    for (guint k = 0; k < n && !should_stop(); k++) {
        guint idx = all ? (k + 1) % n : 0;
        if (!all && k > 0)
            break;
        const char *folder = folders[idx];
        guint ingested = 0;
        GError *e = NULL;
        gint64 t0 = g_get_monotonic_time();
        gboolean ok = imap_sync_folder(d->sync, s, folder, &ingested, &e);
        *ingested_r += ingested;
        g_autofree char *f = log_value(folder);
        if (ok) {
            if (ingested)
                g_message("event=folder_synced folder=%s ingested=%u ms=%" G_GINT64_FORMAT, f,
                          ingested, (g_get_monotonic_time() - t0) / 1000);
            continue;
        }
        if (e->code == CPR_ERROR_FOLDER || e->code == CPR_ERROR_MESSAGE) {
            g_autofree char *why = log_value(e->message);
            g_warning("event=folder_failed folder=%s error=%s action=\"retry next round\"", f,
                      why);
            note_health(d->store, "imap.last_error", e->message);
            (*failed_r)++;
            if (first_error && !*first_error)
                *first_error = g_error_copy(e);
            g_error_free(e);
            continue;
        }
        g_propagate_error(error, e);
        return FALSE;
    }
    return TRUE;
}

/* One connection's life. TRUE when it ended for a reason that is not an
 * error (stop, reload, once done); FALSE with the error otherwise. */
static gboolean serve(Daemon *d, ImapSession *s, gboolean once, GError **error)
{
    const Config *cfg = d->cfg;
    int poll_s = cfg->imap_poll_seconds > 0 ? cfg->imap_poll_seconds : 60;
    int idle_s = cfg->imap_idle_seconds > 0 ? cfg->imap_idle_seconds : 1500;
    gint64 last_full = 0;
    gboolean full = TRUE;

    for (;;) {
        guint failed = 0, ingested = 0;
        GError *first = NULL;
        if (disk_low)
            return TRUE; /* the caller waits for space, disconnected */
        if (!catch_up(d, s, full, &failed, &ingested, once ? &first : NULL, error))
            return FALSE;
        if (full)
            last_full = g_get_monotonic_time();
        (void)store_health_set(d->store, "imap.heartbeat", "ok", now_s(), NULL);
        if (!daemon_tick_now(d, ingested > 0 || once, error)) {
            g_clear_error(&first);
            return FALSE;
        }
        if (once) {
            if (first) {
                g_propagate_prefixed_error(error, first, "%u folder(s) failed: ", failed);
                return FALSE;
            }
            return TRUE;
        }
        g_clear_error(&first);
        if (should_wake())
            return TRUE;

        gint64 since_full_s = (g_get_monotonic_time() - last_full) / G_USEC_PER_SEC;
        int wait_s = (int)MAX(1, MIN((gint64)idle_s, poll_s - since_full_s));
        gboolean idle_ok = s->has_idle && s->selected;
        if (idle_ok) {
            ImapIdleResult res;
            if (!imap_idle_round(s, wait_s, should_wake, daemon_tick, d, &res, error))
                return FALSE;
        } else {
            if (!nap(d, (gint64)wait_s * 1000, error))
                return FALSE;
            if (!should_wake() && !imap_session_noop(s, error))
                return FALSE;
        }
        if (should_wake())
            return TRUE;
        full = (g_get_monotonic_time() - last_full) / G_USEC_PER_SEC >= poll_s;
    }
}

gboolean imap_daemon_run(const Config *cfg, Store *store, Intake *intake, gboolean once,
                         GError **error)
{
    if (!cfg->imap_url) {
        g_set_error(error, CPR_ERROR, CPR_ERROR_CONFIG, "%s: no [imap] section with a url",
                    cfg->path ? cfg->path : "configuration");
        return FALSE;
    }
    install_signals();
    stop_requested = 0;
    reload_requested = 0;

    Daemon d = {.cfg = cfg, .intake = intake, .store = store, .bounds = bounds_default(),
                .db_path = sqlite3_db_filename(store_db(store), "main")};
    d.sync = imap_sync_new(store, intake, cfg, &d.bounds, should_stop);
    store_durability(store, cfg);
    gboolean ok = TRUE;
    gint64 backoff_ms = BACKOFF_FIRST_MS;

    while (!should_stop()) {
        if (reload_requested)
            daemon_reload(&d);
        GError *e = NULL;
        /* before connecting anywhere: no fetching onto a nearly full disk (the
         * mail waits on the server); clocks and the outbox go on */
        check_disk(&d);
        if (disk_low) {
            if (once) {
                g_set_error(error, CPR_ERROR, CPR_ERROR_STORE,
                            "disk nearly full (below [store] min_free_mb=%u): nothing fetched",
                            d.cfg->store_min_free_mb);
                ok = FALSE;
                break;
            }
            if (!nap(&d, TICK_SECONDS * 1000, error)) {
                ok = FALSE;
                break;
            }
            continue;
        }
        /* host and port, not the URL: a URL may carry userinfo. */
        g_autofree char *url = g_strdup_printf(
            "%s://%s:%d", d.cfg->imap_implicit_tls ? "imaps" : "imap",
            d.cfg->imap_host ? d.cfg->imap_host : "?",
            d.cfg->imap_port > 0 ? d.cfg->imap_port : (d.cfg->imap_implicit_tls ? 993 : 143));
        ImapSession *s = imap_session_open(d.cfg, &e);
        if (!s) {
            g_autofree char *why = log_value(e->message);
            g_autofree char *down = g_strdup_printf("down: %s", e->message);
            note_health(store, "imap.connection", down);
            note_health(store, "imap.last_error", e->message);
            if (once || e->code == CPR_ERROR_CONFIG) {
                g_warning("event=connect_failed url=%s error=%s", url, why);
                g_propagate_error(error, e);
                ok = FALSE;
                break;
            }
            gint64 wait = jittered(backoff_ms);
            g_warning("event=connect_failed url=%s error=%s retry_in_ms=%" G_GINT64_FORMAT, url,
                      why, wait);
            g_error_free(e);
            if (!nap(&d, wait, error)) {
                ok = FALSE;
                break;
            }
            backoff_ms = MIN(backoff_ms * 2, BACKOFF_CAP_MS);
            continue;
        }
        g_autofree char *user = log_value(d.cfg->imap_user);
        g_message("event=connected url=%s user=%s idle=%s move=%s", url, user,
                  s->has_idle ? "yes" : "no", s->has_move ? "yes" : "no");
        note_health(store, "imap.connection", "connected");
        imap_sync_connected(d.sync);

        gint64 connected_at = g_get_monotonic_time();
        guint64 progress = imap_sync_progress(d.sync);
        gboolean served = serve(&d, s, once, &e);
        /* a cut link that let some mail through (issue 17): go on at once */
        gboolean progressed = imap_sync_progress(d.sync) != progress && e &&
                              e->code == CPR_ERROR_CONNECTION;
        imap_session_free(&s);
        if (served) {
            backoff_ms = BACKOFF_FIRST_MS;
            if (once)
                break;
            continue; /* stop, or reload and reconnect */
        }
        if (should_stop() && e->code != CPR_ERROR_STORE) {
            /* The signal interrupted a network read; what was committed stays
             * committed, the rest is fetched again at the next start. */
            g_error_free(e);
            break;
        }
        g_autofree char *why = log_value(e->message);
        if (e->code == CPR_ERROR_STORE || (once && !progressed)) {
            g_warning("event=%s error=%s", e->code == CPR_ERROR_STORE ? "store_failed" : "failed",
                      why);
            if (e->code != CPR_ERROR_STORE)
                note_health(store, "imap.last_error", e->message);
            g_propagate_error(error, e);
            ok = FALSE;
            break;
        }
        g_autofree char *down = g_strdup_printf("down: %s", e->message);
        note_health(store, "imap.connection", down);
        note_health(store, "imap.last_error", e->message);
        /* A connection that worked for a while, or moved the catch-up on,
         * earns a quick first retry; run --once retries only then. */
        if (progressed || g_get_monotonic_time() - connected_at > 60 * G_USEC_PER_SEC)
            backoff_ms = BACKOFF_FIRST_MS;
        gint64 wait = jittered(backoff_ms);
        g_warning("event=disconnected error=%s retry_in_ms=%" G_GINT64_FORMAT, why, wait);
        g_error_free(e);
        if (!nap(&d, wait, error)) {
            ok = FALSE;
            break;
        }
        backoff_ms = MIN(backoff_ms * 2, BACKOFF_CAP_MS);
    }

    if (!once || ok)
        note_health(store, "imap.connection", once ? "disconnected: run --once finished" : "stopped");
    if (should_stop())
        g_message("event=stopped reason=signal");
    /* Anchor the chain as this process leaves it (issue 13). */
    checkpoint_daemon_stop(store, d.cfg, now_s());
    imap_sync_free(&d.sync);
    intake_free(&d.own_intake);
    config_free(&d.own_cfg);
    return ok;
}
