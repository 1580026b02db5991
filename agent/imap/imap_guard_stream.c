/* imap_guard_stream.c - a mailstream low driver that lets libetpan parse only
 * what parsers/imap_guard.c has checked.
 *
 * It sits between libetpan's mailstream and the TLS driver (installed by
 * imap_connect_tls()): reads pass through the guard, which holds back the
 * unfinished line and hands over whole checked lines and literal payload;
 * everything else (writes, the descriptor poll() waits on, the certificate
 * chain, cancel, the IDLE hooks, the timeout) is the TLS driver's. A
 * malformed flag list makes read() fail, after the lines before it: libetpan
 * sees a dead stream (MAILIMAP_ERROR_STREAM), the daemon reconnects with
 * backoff instead of crashing in libetpan's parser.
 *
 * Complete lines are never held: whatever a read from the TLS driver
 * completes is released at once, so a response that arrives while we IDLE is
 * seen as soon as poll() wakes. What libetpan did not take yet (its read size
 * is its buffer's) waits in `ready`; imap_guard_stream_pending() reports it
 * to imap_idle.c, which looks at it as it looks at libetpan's own buffer. */
#define G_LOG_DOMAIN "imap"
#include "imap_internal.h"
#include "logging.h"

#include <stdlib.h>
#include <string.h>

#include "imap_guard.h"

/* What one read asks of the TLS driver at most. */
#define GUARD_READ_CHUNK 16384

typedef struct {
    mailstream_low *inner; /* the TLS (or, in the fuzzer, fake) driver; owned */
    ImapGuard *guard;
    GByteArray *ready;     /* checked bytes libetpan has not taken yet */
    gsize ready_pos;
    GError *error;         /* why the stream was refused, or NULL */
} GuardStream;

static mailstream_low_driver guard_driver;

static GuardStream *guard_of(mailstream_low *low)
{
    return low && low->driver == &guard_driver ? low->data : NULL;
}

static ssize_t guard_read(mailstream_low *low, void *buf, size_t count)
{
    GuardStream *g = low->data;
    for (;;) {
        gsize avail = g->ready->len - g->ready_pos;
        if (avail > 0) {
            gsize n = MIN(avail, count);
            memcpy(buf, g->ready->data + g->ready_pos, n);
            g->ready_pos += n;
            if (g->ready_pos == g->ready->len) {
                g_byte_array_set_size(g->ready, 0);
                g->ready_pos = 0;
            }
            return (ssize_t)n;
        }
        if (g->error)
            return -1;
        if (count == 0)
            return 0;
        guint8 chunk[GUARD_READ_CHUNK];
        g->inner->timeout = low->timeout; /* mailimap_set_timeout() reaches the outer driver */
        ssize_t r = mailstream_low_read(g->inner, chunk, MIN(count, sizeof chunk));
        if (r <= 0)
            return r;
        if (!imap_guard_feed(g->guard, chunk, (gsize)r, g->ready, &g->error)) {
            /* One line per refused connection; the server's bytes only as
             * the guard's short sanitised excerpt. */
            g_autofree char *why = log_value(g->error->message);
            g_warning("event=bad_response error=%s action=reconnect", why);
        }
    }
}

static ssize_t guard_write(mailstream_low *low, const void *buf, size_t count)
{
    GuardStream *g = low->data;
    g->inner->timeout = low->timeout;
    return mailstream_low_write(g->inner, buf, count);
}

static int guard_close(mailstream_low *low)
{
    return mailstream_low_close(((GuardStream *)low->data)->inner);
}

static int guard_get_fd(mailstream_low *low)
{
    return mailstream_low_get_fd(((GuardStream *)low->data)->inner);
}

static void guard_free(mailstream_low *low)
{
    GuardStream *g = low->data;
    mailstream_low_free(g->inner);
    imap_guard_free(&g->guard);
    g_byte_array_unref(g->ready);
    g_clear_error(&g->error);
    g_free(g);
    free(low); /* allocated by mailstream_low_new() */
}

static void guard_cancel(mailstream_low *low)
{
    mailstream_low_cancel(((GuardStream *)low->data)->inner);
}

static struct mailstream_cancel *guard_get_cancel(mailstream_low *low)
{
    return mailstream_low_get_cancel(((GuardStream *)low->data)->inner);
}

static carray *guard_get_certificate_chain(mailstream_low *low)
{
    return mailstream_low_get_certificate_chain(((GuardStream *)low->data)->inner);
}

static int guard_setup_idle(mailstream_low *low)
{
    return mailstream_low_setup_idle(((GuardStream *)low->data)->inner);
}

static int guard_unsetup_idle(mailstream_low *low)
{
    return mailstream_low_unsetup_idle(((GuardStream *)low->data)->inner);
}

static int guard_interrupt_idle(mailstream_low *low)
{
    return mailstream_low_interrupt_idle(((GuardStream *)low->data)->inner);
}

static mailstream_low_driver guard_driver = {
    .mailstream_read = guard_read,
    .mailstream_write = guard_write,
    .mailstream_close = guard_close,
    .mailstream_get_fd = guard_get_fd,
    .mailstream_free = guard_free,
    .mailstream_cancel = guard_cancel,
    .mailstream_get_cancel = guard_get_cancel,
    .mailstream_get_certificate_chain = guard_get_certificate_chain,
    .mailstream_setup_idle = guard_setup_idle,
    .mailstream_unsetup_idle = guard_unsetup_idle,
    .mailstream_interrupt_idle = guard_interrupt_idle,
};

gboolean imap_guard_stream_install(mailstream *stream, GError **error)
{
    mailstream_low *inner = stream ? mailstream_get_low(stream) : NULL;
    if (!inner || guard_of(inner) || stream->read_buffer_len != 0) {
        g_set_error(error, CPR_ERROR, CPR_ERROR_CONNECTION,
                    "cannot put the response guard on this stream");
        return FALSE;
    }
    GuardStream *g = g_new0(GuardStream, 1);
    mailstream_low *low = mailstream_low_new(g, &guard_driver);
    if (!low) {
        g_free(g);
        g_set_error(error, CPR_ERROR, CPR_ERROR_CONNECTION, "response guard: out of memory");
        return FALSE;
    }
    g->inner = inner;
    g->guard = imap_guard_new(IMAP_GUARD_MAX_LINE);
    g->ready = g_byte_array_new();
    mailstream_low_set_timeout(low, mailstream_low_get_timeout(inner));
    mailstream_set_low(stream, low);
    return TRUE;
}

gsize imap_guard_stream_pending(mailstream *stream)
{
    GuardStream *g = stream ? guard_of(mailstream_get_low(stream)) : NULL;
    return g ? g->ready->len - g->ready_pos : 0;
}

const GError *imap_guard_stream_error(mailstream *stream)
{
    GuardStream *g = stream ? guard_of(mailstream_get_low(stream)) : NULL;
    return g ? g->error : NULL;
}
