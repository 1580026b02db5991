/* imap_connect.c - the bytes before TLS, handled without libetpan.
 *
 * libetpan 1.9.4's response parser dereferences NULL on some malformed input,
 * the greeting `* OK [PERMANENTFLAGS (` among them (tests/fuzz/README.md). Its
 * own connect functions parse the greeting before we can verify the peer:
 * mailimap_ssl_connect*() does TCP, handshake and greeting in one call, and
 * with STARTTLS the greeting and the CAPABILITY reply arrive in clear. Anyone
 * on the path could then crash the daemon before it knows whom it talks to.
 *
 * So this file opens the TCP connection itself, does the clear-text half of
 * STARTTLS with a small strict reader (bounded lines, a deadline per step,
 * response codes never looked at, never a byte read past the STARTTLS reply)
 * and performs the handshake on the descriptor. imap_session.c verifies the
 * certificate, and only then hands the stream to mailimap_connect(). After
 * STARTTLS the real greeting is gone, so the stream starts with a synthetic
 * one (imap_connect_prime_greeting()). libetpan parses nothing but bytes from
 * a verified peer, and those only through the response guard
 * (imap_guard_stream.c), which refuses the malformed flag lists that crash
 * libetpan's parser, so a buggy or compromised server cannot crash us either. */
#define G_LOG_DOMAIN "imap"
#include "imap_internal.h"
#include "logging.h"

#include <errno.h>
#include <gnutls/gnutls.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Greetings and the STARTTLS reply are one short line each (Dovecot's greeting
 * with its capability list is ~150 bytes); 2 KiB leaves room for chatty
 * servers and still bounds what a stranger can make us buffer. */
#define PRETLS_MAX_LINE 2048
/* Untagged lines tolerated between STARTTLS and its tagged reply. */
#define PRETLS_MAX_UNTAGGED 16

static gint64 deadline_after(int seconds)
{
    return g_get_monotonic_time() + (gint64)seconds * G_USEC_PER_SEC;
}

/* Milliseconds left before `deadline`, 0 when it has passed. */
static int ms_left(gint64 deadline)
{
    gint64 left = (deadline - g_get_monotonic_time()) / 1000;
    if (left <= 0)
        return 0;
    return left > G_MAXINT ? G_MAXINT : (int)left;
}

/* Wait for `events` on fd until the deadline: 1 ready, 0 timed out, -1 error. */
static int wait_fd(int fd, short events, gint64 deadline)
{
    for (;;) {
        int ms = ms_left(deadline);
        if (ms == 0)
            return 0;
        struct pollfd pfd = {.fd = fd, .events = events};
        int r = poll(&pfd, 1, ms);
        if (r < 0 && errno == EINTR)
            continue;
        return r < 0 ? -1 : (r > 0 ? 1 : 0);
    }
}

static gboolean set_blocking(int fd, gboolean blocking)
{
    int flags = fcntl(fd, F_GETFL, 0);
    if (flags < 0)
        return FALSE;
    flags = blocking ? (flags & ~O_NONBLOCK) : (flags | O_NONBLOCK);
    return fcntl(fd, F_SETFL, flags) == 0;
}

/* One address: a non-blocking connect bounded by `timeout_s`, then back to
 * blocking mode (libetpan's TLS handshake wants a blocking descriptor). */
static int connect_one(const struct addrinfo *ai, int timeout_s, int *errno_r)
{
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
    if (fd < 0) {
        *errno_r = errno;
        return -1;
    }
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        if (errno != EINPROGRESS) {
            *errno_r = errno;
            close(fd);
            return -1;
        }
        int r = wait_fd(fd, POLLOUT, deadline_after(timeout_s));
        int so_error = 0;
        socklen_t len = sizeof so_error;
        if (r <= 0)
            so_error = r == 0 ? ETIMEDOUT : errno;
        else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len) != 0)
            so_error = errno;
        if (so_error != 0) {
            *errno_r = so_error;
            close(fd);
            return -1;
        }
    }
    if (!set_blocking(fd, TRUE)) {
        *errno_r = errno;
        close(fd);
        return -1;
    }
    return fd;
}

int imap_connect_tcp(const char *host, guint16 port, int timeout_s, const char *what,
                     GError **error)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    struct addrinfo *res = NULL;
    char service[8];
    g_snprintf(service, sizeof service, "%u", (unsigned)port);
    /* getaddrinfo() has no timeout; neither had libetpan's mail_tcp_connect(). */
    int r = getaddrinfo(host, service, &hints, &res);
    if (r != 0) {
        g_set_error(error, CPR_ERROR, CPR_ERROR_CONNECTION, "%s: cannot resolve %s: %s", what,
                    host, r == EAI_SYSTEM ? g_strerror(errno) : gai_strerror(r));
        return -1;
    }
    int fd = -1, last_errno = 0;
    for (const struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next)
        fd = connect_one(ai, timeout_s, &last_errno);
    freeaddrinfo(res);
    if (fd < 0)
        g_set_error(error, CPR_ERROR, CPR_ERROR_CONNECTION, "%s: cannot connect: %s", what,
                    last_errno == ETIMEDOUT ? "timed out" : g_strerror(last_errno));
    return fd;
}

/* Read one line (up to and including LF) into buf, never a byte further: the
 * socket is peeked and only the line is consumed, so nothing sent after the
 * STARTTLS reply can reach the TLS layer unseen. The CRLF is stripped. */
static gboolean read_line(int fd, gint64 deadline, char *buf, gsize cap, const char *what,
                          const char *waiting_for, GError **error)
{
    gsize len = 0;
    for (;;) {
        int w = wait_fd(fd, POLLIN, deadline);
        if (w == 0) {
            g_set_error(error, CPR_ERROR, CPR_ERROR_CONNECTION, "%s: no %s within the timeout",
                        what, waiting_for);
            return FALSE;
        }
        ssize_t n = w < 0 ? -1 : recv(fd, buf + len, cap - 1 - len, MSG_PEEK);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n <= 0) {
            g_set_error(error, CPR_ERROR, CPR_ERROR_CONNECTION, "%s: %s before the %s", what,
                        n == 0 ? "the server closed the connection" : g_strerror(errno),
                        waiting_for);
            return FALSE;
        }
        const char *nl = memchr(buf + len, '\n', (gsize)n);
        gsize take = nl ? (gsize)(nl - (buf + len)) + 1 : (gsize)n;
        ssize_t got = recv(fd, buf + len, take, 0);
        if (got < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (got <= 0) {
            g_set_error(error, CPR_ERROR, CPR_ERROR_CONNECTION, "%s: %s before the %s", what,
                        got == 0 ? "the server closed the connection" : g_strerror(errno),
                        waiting_for);
            return FALSE;
        }
        len += (gsize)got;
        if (nl && (gsize)got == take)
            break;
        if (len >= cap - 1) {
            g_set_error(error, CPR_ERROR, CPR_ERROR_CONNECTION,
                        "%s: the %s is longer than %u bytes; refusing it", what, waiting_for,
                        (unsigned)(cap - 1));
            return FALSE;
        }
    }
    buf[len] = '\0';
    while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
        buf[--len] = '\0';
    return TRUE;
}

/* Does `line` start with the words of `prefix` (case-insensitive, as IMAP
 * atoms are), followed by a space or the end of the line? */
static gboolean line_is(const char *line, const char *prefix)
{
    gsize n = strlen(prefix);
    return g_ascii_strncasecmp(line, prefix, n) == 0 && (line[n] == ' ' || line[n] == '\0');
}

/* The server's words, printable and bounded, for errors and logs. */
static char *server_text(const char *line)
{
    return log_value(line);
}

static gboolean send_all(int fd, const char *data, gsize len, gint64 deadline, const char *what,
                         GError **error)
{
    while (len > 0) {
        ssize_t n = send(fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN) {
            if (wait_fd(fd, POLLOUT, deadline) > 0)
                continue;
            errno = ETIMEDOUT;
        }
        if (n < 0) {
            g_set_error(error, CPR_ERROR, CPR_ERROR_CONNECTION, "%s: sending STARTTLS: %s", what,
                        g_strerror(errno));
            return FALSE;
        }
        data += n;
        len -= (gsize)n;
    }
    return TRUE;
}

gboolean imap_connect_starttls_exchange(int fd, int timeout_s, const char *what, GError **error)
{
    char line[PRETLS_MAX_LINE];

    if (!read_line(fd, deadline_after(timeout_s), line, sizeof line, what, "greeting", error))
        return FALSE;
    /* Only the status word matters; a response code ([CAPABILITY ...], or
     * something crafted to crash a parser) is never parsed. What the server
     * says it can do in clear is not trusted anyway: CAPABILITY is asked
     * again over the verified channel. */
    if (line_is(line, "* PREAUTH")) {
        g_set_error(error, CPR_ERROR, CPR_ERROR_TLS,
                    "%s: the server pre-authenticated the connection in clear; refusing it", what);
        return FALSE;
    }
    if (line_is(line, "* BYE")) {
        g_autofree char *text = server_text(line);
        g_set_error(error, CPR_ERROR, CPR_ERROR_CONNECTION,
                    "%s: server refused the connection (server: %s)", what, text);
        return FALSE;
    }
    if (!line_is(line, "* OK")) {
        g_autofree char *text = server_text(line);
        g_set_error(error, CPR_ERROR, CPR_ERROR_CONNECTION,
                    "%s: not an IMAP greeting (server: %s)", what, text);
        return FALSE;
    }

    /* STARTTLS without asking CAPABILITY first: one clear-text reply less to
     * read. A server without it answers NO or BAD (RFC 3501, 6.2.1). */
    static const char cmd[] = "A0 STARTTLS\r\n";
    gint64 deadline = deadline_after(timeout_s);
    if (!send_all(fd, cmd, sizeof cmd - 1, deadline, what, error))
        return FALSE;
    for (guint untagged = 0;; untagged++) {
        if (!read_line(fd, deadline, line, sizeof line, what, "STARTTLS reply", error))
            return FALSE;
        if (line_is(line, "A0 OK"))
            return TRUE;
        if (line_is(line, "A0 NO") || line_is(line, "A0 BAD")) {
            g_autofree char *text = server_text(line + 3);
            g_set_error(error, CPR_ERROR, CPR_ERROR_TLS,
                        "%s: the server does not offer STARTTLS (server: %s); refusing to "
                        "authenticate in clear (use imaps:// or enable STARTTLS on the server)",
                        what, text);
            return FALSE;
        }
        if (line_is(line, "* BYE")) {
            g_autofree char *text = server_text(line);
            g_set_error(error, CPR_ERROR, CPR_ERROR_CONNECTION,
                        "%s: the server closed the connection instead of starting TLS "
                        "(server: %s)", what, text);
            return FALSE;
        }
        if (untagged >= PRETLS_MAX_UNTAGGED) {
            g_set_error(error, CPR_ERROR, CPR_ERROR_CONNECTION,
                        "%s: more than %u untagged lines before the STARTTLS reply", what,
                        PRETLS_MAX_UNTAGGED);
            return FALSE;
        }
        if (!g_str_has_prefix(line, "* ")) {
            g_autofree char *text = server_text(line);
            g_set_error(error, CPR_ERROR, CPR_ERROR_CONNECTION,
                        "%s: unexpected reply to STARTTLS (server: %s)", what, text);
            return FALSE;
        }
        /* An untagged line (CAPABILITY, an alert): ignored, unparsed. */
    }
}

gboolean imap_connect_check_quiet(int fd, const char *what, GError **error)
{
    /* The server speaks TLS only after our ClientHello: anything already
     * waiting was sent in clear after the STARTTLS reply, a response injection
     * (CVE-2020-15953). Never let it be read as if secured. */
    char c;
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    if (poll(&pfd, 1, 0) > 0 && recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) > 0) {
        g_set_error(error, CPR_ERROR, CPR_ERROR_TLS,
                    "%s: STARTTLS: the server sent data in clear after its STARTTLS reply; "
                    "refusing the connection", what);
        return FALSE;
    }
    return TRUE;
}

/* libetpan 1.9.4's GnuTLS driver sets the priority "NORMAL" after our
 * callback, so TLS 1.0 and 1.1 are offered and we cannot take them out. The
 * version is checked after the handshake instead, before a byte is read or
 * written: a server that negotiates less than TLS 1.2 is refused. The session
 * sits in the driver's private data ({int fd; gnutls_session_t session; ...},
 * what mailstream_ssl_get_certificate() reads too); the descriptor must match
 * the stream's, else the layout is not the one known and the connection is
 * refused rather than trusted. */
#ifndef USE_SSL /* libetpan declares its TLS driver only when built with USE_SSL */
extern mailstream_low_driver *mailstream_ssl_driver;
#endif

struct etpan_gnutls_data {
    int fd;
    gnutls_session_t session;
};

static gboolean tls_version_ok(mailstream *stream, const char *what, GError **error)
{
    mailstream_low *low = mailstream_get_low(stream);
    const struct etpan_gnutls_data *d = low ? low->data : NULL;
    if (!d || low->driver != mailstream_ssl_driver || d->fd < 0 ||
        d->fd != mailstream_low_get_fd(low) || !d->session) {
        g_set_error(error, CPR_ERROR, CPR_ERROR_TLS,
                    "%s: cannot read the negotiated TLS version; refusing the connection", what);
        return FALSE;
    }
    gnutls_protocol_t v = gnutls_protocol_get_version(d->session);
    if (v == GNUTLS_SSL3 || v == GNUTLS_TLS1_0 || v == GNUTLS_TLS1_1 ||
        v == GNUTLS_VERSION_UNKNOWN) {
        const char *name = gnutls_protocol_get_name(v);
        g_set_error(error, CPR_ERROR, CPR_ERROR_TLS,
                    "%s: the server negotiated %s; TLS 1.2 or later is required", what,
                    name ? name : "an unknown protocol");
        return FALSE;
    }
    return TRUE;
}

mailstream *imap_connect_tls(int fd, const char *host, int timeout_s, const char *what,
                             GError **error)
{
    /* SNI from the callback; the handshake is bounded by timeout_s. GnuTLS
     * completes it whatever the certificate: the caller verifies. */
    mailstream *stream = mailstream_ssl_open_with_callback_timeout(
        fd, (time_t)timeout_s, imap_tls_sni_callback, (void *)host);
    if (!stream) {
        close(fd);
        g_set_error(error, CPR_ERROR, CPR_ERROR_TLS, "%s: TLS handshake failed or timed out",
                    what);
        return NULL;
    }
    if (!tls_version_ok(stream, what, error)) {
        mailstream_close(stream);
        return NULL;
    }
    /* Before the first read: even the verified server's bytes reach
     * libetpan's parser only through the response guard. */
    if (!imap_guard_stream_install(stream, error)) {
        mailstream_close(stream);
        return NULL;
    }
    return stream;
}

gboolean imap_connect_prime_greeting(mailstream *stream, GError **error)
{
    /* mailstream_read*() serves read_buffer before asking the low-level
     * driver, so a line placed there is what mailimap_connect() reads first;
     * the TLS driver underneath stays libetpan's own (timeouts, IDLE fd,
     * certificate chain unchanged). Both fields are public (mailstream_types.h). */
    static const char greeting[] = IMAP_CONNECT_SYNTHETIC_GREETING;
    gsize n = sizeof greeting - 1;
    if (!stream || stream->read_buffer_len != 0 || stream->buffer_max_size < n) {
        g_set_error(error, CPR_ERROR, CPR_ERROR_CONNECTION,
                    "STARTTLS: cannot prepare the stream for libetpan");
        return FALSE;
    }
    memcpy(stream->read_buffer, greeting, n);
    stream->read_buffer_len = n;
    return TRUE;
}
