/* imap_idle.c - one IDLE round (RFC 2177) with libetpan 1.9.4's traps handled.
 *
 * mailimap_idle() returns after "+ idling"; whatever the server sent in the same
 * packet (an EXISTS, typically) already sits in the mailstream's read buffer,
 * where poll() on the socket will never see it. So the buffer is checked before
 * every poll(), and so are the checked bytes the response guard still holds
 * for libetpan (imap_guard_stream_pending()). Any activity ends the round: the
 * caller sends DONE and catches up with UID FETCH, which is cheaper and safer
 * than parsing untagged responses here. The round is also bounded in time
 * (re-IDLE before the server's 29-minute limit, and a heartbeat) and by the
 * stop flag.
 *
 * Latency: poll() wakes on the socket at once; TICK_MS only paces the stop
 * flag and the tick, and is not on the push path (5000 measures the same).
 * Against Dovecot 2.3 a message appended while we idle shows up ~500 ms
 * later whatever the client does: Dovecot coalesces the inotify events of the
 * mailbox for NOTIFY_DELAY_MSECS (500, src/lib-storage/mailbox-watch.c)
 * before it sends EXISTS; a plain IDLE client sees the same 500 ms. Mail
 * that arrives between rounds is announced at once when IDLE starts. Only
 * polling (NOOP) would beat that, and we do not poll. See docs/bench.md. */
#define G_LOG_DOMAIN "imap"
#include "imap_internal.h"

#include <errno.h>
#include <poll.h>
#include <string.h>

#define TICK_MS 500 /* how often the stop flag is looked at while nothing happens */

gboolean imap_idle_round(ImapSession *s, int seconds, ImapStopFunc should_stop, ImapTickFunc tick,
                         gpointer tick_data, ImapIdleResult *result_r, GError **error)
{
    GError *tick_error = NULL;
    *result_r = IMAP_IDLE_TIMEOUT;
    int r = mailimap_idle(s->imap);
    if (r != MAILIMAP_NO_ERROR) {
        imap_session_set_error(s, r, CPR_ERROR_CONNECTION, error, "IDLE");
        /* A refused IDLE (NO/BAD) leaves the connection usable, but the caller
         * reconnects anyway: simpler than reasoning about the state. */
        s->broken = TRUE;
        if (error && *error)
            (*error)->code = CPR_ERROR_CONNECTION;
        return FALSE;
    }

    int fd = mailimap_idle_get_fd(s->imap);
    gint64 deadline = g_get_monotonic_time() + (gint64)seconds * G_USEC_PER_SEC;
    for (;;) {
        if (s->imap->imap_stream->read_buffer_len > 0 ||
            imap_guard_stream_pending(s->imap->imap_stream) > 0) {
            *result_r = IMAP_IDLE_ACTIVITY;
            break;
        }
        if (should_stop && should_stop()) {
            *result_r = IMAP_IDLE_STOPPED;
            break;
        }
        /* The server stays in IDLE while we page or deliver: it only queues
         * what it has to say, and the buffer check above sees it next. */
        if (tick && !tick(tick_data, &tick_error))
            break;
        gint64 left_ms = (deadline - g_get_monotonic_time()) / 1000;
        if (left_ms <= 0)
            break;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int n = poll(&p, 1, (int)MIN(left_ms, TICK_MS));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            g_set_error(error, CPR_ERROR, CPR_ERROR_CONNECTION, "IDLE: poll: %s",
                        g_strerror(errno));
            s->broken = TRUE;
            return FALSE;
        }
        if (n > 0) {
            /* Data, or the peer hung up: DONE will tell which. */
            *result_r = IMAP_IDLE_ACTIVITY;
            break;
        }
    }
    /* On CLOCK_MONOTONIC, as the bench's own clients are: `make bench` splits
     * its idle overhead at this line (docs/bench.md). */
    if (*result_r == IMAP_IDLE_ACTIVITY)
        g_debug("event=idle_wake mono_us=%" G_GINT64_FORMAT, g_get_monotonic_time());

    r = mailimap_idle_done(s->imap);
    /* still selected, and the server said something: the catch-up goes
     * straight to UID FETCH without a new SELECT (one round trip less) */
    s->idle_woke = r == MAILIMAP_NO_ERROR && !tick_error && *result_r == IMAP_IDLE_ACTIVITY;
    if (tick_error) {
        g_propagate_error(error, tick_error);
        return FALSE;
    }
    if (r != MAILIMAP_NO_ERROR) {
        imap_session_set_error(s, r, CPR_ERROR_CONNECTION, error, "IDLE DONE");
        s->broken = TRUE;
        if (error && *error)
            (*error)->code = CPR_ERROR_CONNECTION;
        return FALSE;
    }
    return TRUE;
}
