/* fuzz_imap_response.c - libFuzzer target for the IMAP response handling of
 * agent/imap/imap_connect.c, agent/imap/imap_sync.c and agent/imap/imap_idle.c around libetpan.
 *
 * The input plays the server: a fake mailstream low driver serves it as the
 * bytes read from the connection (and swallows what the client writes). Over
 * that stream: greeting (mailimap_connect), then imap_sync_folder() of "INBOX"
 * into a fresh in-memory store (SELECT, UIDVALIDITY, UID FETCH metadata,
 * bodies in batches, oversized messages, intake, keyword/move marking), then
 * one imap_idle_round() of zero seconds. The stream reads through the response
 * guard (agent/imap/imap_guard_stream.c) as in the daemon, so libetpan's parser is
 * fuzzed behind it.
 *
 * Input layout: byte 0 = options (bits 0-1 processed mode: keyword, move,
 * none; bit 2 MOVE capability; bit 3 UIDPLUS; bit 6: STARTTLS, see below;
 * bit 7: the input starts with the greeting, which libetpan parses as it does
 * for imaps:// once the certificate is verified; with neither bit a fixed
 * Dovecot greeting comes first, so that libetpan's greeting-parser crash
 * (tests/fuzz/README.md) does not eat the fuzzing time), byte 1 = read chunk
 * size (0 = as much as asked), the rest = server bytes.
 *
 * Bit 6 (wins over bit 7) is imap:// with STARTTLS, the path a stranger on the
 * network can reach: the server bytes go through a socketpair into
 * imap_connect_starttls_exchange(), our strict clear-text reader; libetpan
 * sees nothing of them. When the reader accepts (greeting `* OK`, then
 * `A0 OK`), the bytes after the tagged reply play the server behind TLS
 * (handshake and certificate check are not fuzzed) and libetpan starts with
 * the synthetic greeting, as in the daemon.
 *
 * Client tags are "1", "2", ... in order (SELECT is 1). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gmime/gmime.h>
#include <glib/gstdio.h>

#include "imap/imap_internal.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const guint8 *data, size_t size);

typedef struct {
    const guint8 *data;
    size_t len, pos, chunk;
} FakeServer;

static ssize_t fake_read(mailstream_low *low, void *buf, size_t count)
{
    FakeServer *f = low->data;
    size_t n = f->len - f->pos;
    if (n == 0)
        return -1; /* the connection dropped */
    if (n > count)
        n = count;
    if (f->chunk && n > f->chunk)
        n = f->chunk;
    memcpy(buf, f->data + f->pos, n);
    f->pos += n;
    return (ssize_t)n;
}

static ssize_t fake_write(mailstream_low *low, const void *buf, size_t count)
{
    return (ssize_t)count;
}

static int fake_close(mailstream_low *low) { return 0; }
static int fake_get_fd(mailstream_low *low) { return -1; }
static void fake_free(mailstream_low *low) { free(low); } /* data is on the caller's stack */
static void fake_cancel(mailstream_low *low) {}
static struct mailstream_cancel *fake_get_cancel(mailstream_low *low) { return NULL; }
static carray *fake_chain(mailstream_low *low) { return NULL; }
static int fake_idle(mailstream_low *low) { return -1; }

static mailstream_low_driver fake_driver = {
    .mailstream_read = fake_read,
    .mailstream_write = fake_write,
    .mailstream_close = fake_close,
    .mailstream_get_fd = fake_get_fd,
    .mailstream_free = fake_free,
    .mailstream_cancel = fake_cancel,
    .mailstream_get_cancel = fake_get_cancel,
    .mailstream_get_certificate_chain = fake_chain,
    .mailstream_setup_idle = fake_idle,
    .mailstream_unsetup_idle = fake_idle,
    .mailstream_interrupt_idle = fake_idle,
};

static Config *configs[3]; /* keyword, move:Done, none */
static char *tmpdir;

static gboolean verbose; /* FUZZ_VERBOSE=1: show the daemon's log lines */

static GLogWriterOutput quiet_writer(GLogLevelFlags level, const GLogField *fields, gsize n,
                                     gpointer user_data)
{
    if (verbose)
        g_log_writer_standard_streams(level, fields, n, user_data);
    /* Criticals are bugs (a g_return_if_fail tripped): make them crashes. */
    if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL)) {
        for (gsize i = 0; i < n; i++)
            if (!strcmp(fields[i].key, "MESSAGE"))
                fprintf(stderr, "fuzz_imap_response: %s\n", (const char *)fields[i].value);
        abort();
    }
    return G_LOG_WRITER_HANDLED;
}

static Config *load_config(const char *processed)
{
    GError *error = NULL;
    g_autofree char *secret = g_build_filename(tmpdir, "imap.secret", NULL);
    g_autofree char *text = g_strdup_printf(
        "[ca]\nowner=Acme Trust Services\naliases=AcmeTrust;Acme Trust\n"
        "domains=acmetrust.test;acme-trust.test\nreport_addresses=problems@acmetrust.test\n"
        "[store]\npath=:memory:\n"
        "[imap]\nurl=imaps://127.0.0.1:993\nuser=fuzz\npassword_file=%s\n"
        "processed=%s\nbatch=3\n",
        secret, processed);
    g_autofree char *path = g_strdup_printf("%s/%s.conf", tmpdir, processed);
    if (!g_file_set_contents(secret, "x\n", -1, &error) || g_chmod(secret, 0600) != 0 ||
        !g_file_set_contents(path, text, -1, &error)) {
        fprintf(stderr, "fuzz_imap_response: %s\n", error ? error->message : "chmod");
        abort();
    }
    Config *cfg = config_load(path, &error);
    if (!cfg) {
        fprintf(stderr, "fuzz_imap_response: config: %s\n", error->message);
        abort();
    }
    return cfg;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    g_mime_init();
    verbose = g_getenv("FUZZ_VERBOSE") != NULL;
    g_log_set_writer_func(quiet_writer, NULL, NULL);
    tmpdir = g_dir_make_tmp("fuzz_imap-XXXXXX", NULL);
    if (!tmpdir)
        abort();
    configs[0] = load_config("keyword");
    configs[1] = load_config("move:Done");
    configs[2] = load_config("none");
    return 0;
}

/* Bit 6: the clear-text half of STARTTLS through the daemon's own reader, over
 * a real socket. NULL when the reader refuses the server (the usual end);
 * else what the server sent after its tagged STARTTLS reply. */
static GByteArray *starttls_exchange(const guint8 *data, size_t len)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        abort();
    size_t sent = 0;
    while (sent < len) { /* what does not fit in the socket is appended below */
        ssize_t n = send(sv[1], data + sent, len - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n <= 0)
            break;
        sent += (size_t)n;
    }
    shutdown(sv[1], SHUT_WR); /* EOF after the input: the reader never waits */

    GError *error = NULL;
    GByteArray *rest = NULL;
    if (imap_connect_starttls_exchange(sv[0], 1, "fuzz", &error)) {
        rest = g_byte_array_new();
        guint8 buf[4096];
        ssize_t n;
        while ((n = recv(sv[0], buf, sizeof buf, MSG_DONTWAIT)) > 0)
            g_byte_array_append(rest, buf, (guint)n);
        g_byte_array_append(rest, data + sent, (guint)(len - sent));
    }
    if (verbose)
        fprintf(stderr, "fuzz_imap_response: STARTTLS exchange %s%s\n",
                rest ? "accepted" : "refused: ", rest ? "" : error->message);
    g_clear_error(&error);
    close(sv[0]);
    close(sv[1]);
    return rest;
}

int LLVMFuzzerTestOneInput(const guint8 *data, size_t size)
{
    if (size < 2)
        return 0;
    static const char GREETING[] = "* OK [CAPABILITY IMAP4rev1 IDLE MOVE UIDPLUS] ready.\r\n";
    guint8 opt = data[0];
    gboolean starttls = (opt & 0x40) != 0;
    GByteArray *input;
    if (starttls) {
        input = starttls_exchange(data + 2, size - 2);
        if (!input)
            return 0;
    } else {
        input = g_byte_array_sized_new(size + sizeof GREETING);
        if (!(opt & 0x80))
            g_byte_array_append(input, (const guint8 *)GREETING, sizeof GREETING - 1);
        g_byte_array_append(input, data + 2, size - 2);
    }
    FakeServer server = { .data = input->data, .len = input->len, .chunk = data[1] };
    const Config *cfg = configs[(opt & 3) % 3];

    GError *error = NULL;
    Store *store = store_open(":memory:", &error);
    if (!store) {
        fprintf(stderr, "fuzz_imap_response: store: %s\n", error->message);
        abort();
    }
    Bounds bounds = bounds_default();
    bounds.max_message_bytes = 4096; /* so the oversized path is reachable */
    bounds.max_mime_parts = 32;
    Intake *intake = intake_new(store, cfg, &bounds);
    ImapSync *sync = imap_sync_new(store, intake, cfg, &bounds, NULL);

    mailimap *imap = mailimap_new(0, NULL);
    mailstream_low *low = mailstream_low_new(&server, &fake_driver);
    mailstream *stream = low ? mailstream_new(low, 8192) : NULL;
    /* The response guard over the fake driver, as imap_connect_tls() puts it
     * over the TLS one: the fuzzer runs the daemon's read path. */
    if (!stream || !imap_guard_stream_install(stream, NULL) ||
        (starttls && !imap_connect_prime_greeting(stream, NULL)))
        abort();
    int r = mailimap_connect(imap, stream); /* takes the stream, even on error */
    if (r == MAILIMAP_NO_ERROR_AUTHENTICATED || r == MAILIMAP_NO_ERROR_NON_AUTHENTICATED) {
        imap->imap_state = MAILIMAP_STATE_AUTHENTICATED; /* as after LOGIN */
        ImapSession s = { .imap = imap, .cfg = cfg, .has_idle = TRUE,
                          .has_move = (opt & 4) != 0, .has_uidplus = (opt & 8) != 0 };
        guint ingested = 0;
        gboolean synced = imap_sync_folder(sync, &s, "INBOX", &ingested, &error);
        if (verbose)
            fprintf(stderr, "fuzz_imap_response: sync %s, %u ingested%s%s\n",
                    synced ? "ok" : "failed", ingested, error ? ": " : "",
                    error ? error->message : "");
        if (synced) {
            ImapIdleResult res;
            g_clear_error(&error);
            (void)imap_idle_round(&s, 0, NULL, NULL, NULL, &res, &error);
        }
        g_clear_error(&error);
        g_free(s.selected);
    }
    mailimap_free(imap);

    imap_sync_free(&sync);
    intake_free(&intake);
    store_free(&store);
    g_byte_array_unref(input);
    return 0;
}
