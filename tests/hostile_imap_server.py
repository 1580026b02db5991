#!/usr/bin/env python3
"""A hostile IMAP server on loopback for tests/t_imap_hostile.sh.

It greets with bytes that crash libetpan 1.9.4's greeting parser
(`* OK [PERMANENTFLAGS (`, a NULL dereference in mailimap_string_parse), as
anyone on the network path could. cpr-intake must fail the connection cleanly:
its own strict reader handles everything before TLS, and libetpan only parses
bytes from a server whose certificate was verified.

    hostile_imap_server.py MODE PORT_FILE LOG [CERT KEY]

MODE says what happens after the greeting:
  starttls-close   greeting in clear; the STARTTLS reply is more crash bytes, then close
  starttls-inject  greeting in clear; `A0 OK` and, in the same packet, the crash
                   bytes in clear (a response injection before the handshake)
  starttls-tls     greeting in clear; `A0 OK`, TLS with CERT/KEY, the crash bytes
                   again as the first bytes over TLS
  imaps            TLS from the start with CERT/KEY; the crash greeting over TLS
  imaps-select     TLS from the start; a well-behaved server (greeting,
                   CAPABILITY, LOGIN) until SELECT, answered with a malformed
                   PERMANENTFLAGS list (the fuzzer's select-flags input), then
                   the tagged OK: libetpan's SELECT crash, from a server the
                   client trusts
  imaps-tls11      TLS from the start, but only TLS 1.0 and 1.1 (a trusted
                   certificate); a well-behaved server otherwise: the client
                   must refuse it before any credential
  imaps-sizes      TLS from the start; a server whose RFC822.SIZE lies (issue
                   16): INBOX holds SIZES_MESSAGES, each announced with a size
                   that is not its own (except uid 3), served whole or by
                   BODY.PEEK[]<offset.length>; each message is also written
                   to LOG.uidN.eml for the test to compare, and every FETCH
                   command is logged

The listening port is written to PORT_FILE once bound (127.0.0.1, a free port).
Every connection and everything the client sends (in clear or over TLS) is
appended to LOG, so a test can check that no credential and no LOGOUT arrived.
Serves connections one after another until killed."""
import os
import socket
import ssl
import sys
import warnings

warnings.filterwarnings("ignore", category=DeprecationWarning)  # TLS 1.0/1.1 on purpose

CRASH = b"* OK [PERMANENTFLAGS (\r\n"
SELECT_CRASH = (b"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n"
                b"* OK [PERMANENTFLAGS (\\\t\0* OK [CAPABILITY IMAP4rev1] x\r\n"
                b"* 3 EXISTS\r\n* OK [UIDVALIDITY 1700000000] UIDs valid\r\n")


def log(path, text):
    with open(path, "a") as f:
        f.write(text + "\n")


def drain(conn, path, label, seconds=3.0):
    """Log what the client sends until it closes (or goes quiet)."""
    conn.settimeout(seconds)
    try:
        while True:
            data = conn.recv(4096)
            if not data:
                log(path, "%s: closed by client" % label)
                return
            log(path, "%s: %r" % (label, data))
    except (socket.timeout, OSError, ssl.SSLError) as e:
        log(path, "%s: %s" % (label, type(e).__name__))


def read_line(conn, path):
    conn.settimeout(5)
    buf = b""
    try:
        while not buf.endswith(b"\n") and len(buf) < 4096:
            c = conn.recv(1)
            if not c:
                break
            buf += c
    except (socket.timeout, OSError):
        pass
    log(path, "clear: %r" % buf)
    return buf


def tls_wrap(conn, cert, key, path, old=False):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    if old:
        # OpenSSL 3 refuses TLS < 1.2 at its default security level
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
        ctx.minimum_version = ssl.TLSVersion.TLSv1
        ctx.maximum_version = ssl.TLSVersion.TLSv1_1
    ctx.load_cert_chain(cert, key)
    conn.settimeout(5)
    try:
        t = ctx.wrap_socket(conn, server_side=True)
        log(path, "tls: handshake done (%s)" % t.version())
        return t
    except (ssl.SSLError, OSError) as e:
        log(path, "tls: handshake failed: %s" % e)
        return None


def serve_select(t, path):
    """A plain server until SELECT, which gets SELECT_CRASH."""
    t.sendall(b"* OK [CAPABILITY IMAP4rev1 IDLE] ready\r\n")
    while True:
        line = read_line(t, path)
        if not line:
            return
        words = line.split()
        if len(words) < 2:
            return
        tag, cmd = words[0], words[1].upper()
        if cmd == b"CAPABILITY":
            t.sendall(b"* CAPABILITY IMAP4rev1 IDLE\r\n" + tag + b" OK done\r\n")
        elif cmd == b"SELECT":
            t.sendall(SELECT_CRASH + tag + b" OK [READ-WRITE] selected\r\n")
        elif cmd == b"LOGOUT":
            t.sendall(b"* BYE bye\r\n" + tag + b" OK done\r\n")
            return
        else:
            t.sendall(tag + b" OK done\r\n")


def sizes_messages():
    """(announced RFC822.SIZE, bytes) per UID 1..4: too small (2.5 MB behind
    a 300-byte claim), too large, honest, a little too small."""
    def mail(n, body_lines):
        head = ("From: Reporter %d <r%d@reporter.example>\r\nTo: problems@acmetrust.test\r\n"
                "Subject: size test %d\r\nMessage-ID: <size-%d@reporter.example>\r\n\r\n"
                % (n, n, n, n)).encode()
        return head + b"".join(b"line %07d of message %d, padding padding padding\r\n" % (i, n)
                               for i in range(body_lines))
    msgs = [mail(1, 45000), mail(2, 20), mail(3, 20), mail(4, 12)]
    announced = [300, 5000000, len(msgs[2]), len(msgs[3]) - 100]
    return list(zip(announced, msgs))


def uid_set(text, last):
    uids = set()
    for part in text.split(b","):
        lo, _, hi = part.partition(b":")
        lo = last if lo == b"*" else int(lo)
        hi = lo if not hi else (last if hi == b"*" else int(hi))
        uids.update(range(min(lo, hi), max(lo, hi) + 1))
    return sorted(u for u in uids if 1 <= u <= last)


def sizes_fetch(t, tag, words, msgs, path):
    log(path, "fetch: %r" % b" ".join(words))
    items = b" ".join(words[4:]).upper()
    last = len(msgs)
    for uid in uid_set(words[3], last):
        announced, data = msgs[uid - 1]
        if b"BODY.PEEK[]" not in items:
            t.sendall(b'* %d FETCH (UID %d RFC822.SIZE %d INTERNALDATE "03-Dec-2026 10:00:00 +0000")'
                      b"\r\n" % (uid, uid, announced))
            continue
        rng = items.split(b"BODY.PEEK[]", 1)[1]
        if rng.startswith(b"<"):
            off, n = (int(x) for x in rng[1:rng.index(b">")].split(b"."))
            piece, label = data[off:off + n], b"BODY[]<%d>" % off
        else:
            piece, label = data, b"BODY[]"
        t.sendall(b"* %d FETCH (UID %d %s {%d}\r\n" % (uid, uid, label, len(piece)) + piece + b")\r\n")
    t.sendall(tag + b" OK FETCH done\r\n")


def serve_sizes(t, path):
    """A plain one-folder server whose RFC822.SIZE lies."""
    msgs = sizes_messages()
    for i, (_, data) in enumerate(msgs):
        with open("%s.uid%d.eml" % (path, i + 1), "wb") as f:
            f.write(data)
    marked = set()
    t.sendall(b"* OK [CAPABILITY IMAP4rev1 UIDPLUS] ready\r\n")
    while True:
        line = read_line(t, path)
        words = line.split()
        if len(words) < 2:
            return
        tag, cmd = words[0], words[1].upper()
        sub = words[2].upper() if len(words) > 2 else b""
        if cmd == b"CAPABILITY":
            t.sendall(b"* CAPABILITY IMAP4rev1 UIDPLUS\r\n" + tag + b" OK done\r\n")
        elif cmd == b"LIST":
            t.sendall(b'* LIST (\\Noselect) "/" ""\r\n' + tag + b" OK done\r\n")
        elif cmd in (b"SELECT", b"EXAMINE"):
            t.sendall(b"* FLAGS (\\Seen)\r\n* OK [PERMANENTFLAGS (\\Seen \\*)] ok\r\n"
                      b"* %d EXISTS\r\n* OK [UIDVALIDITY 1700000000] ok\r\n"
                      b"* OK [UIDNEXT %d] ok\r\n" % (len(msgs), len(msgs) + 1) +
                      tag + b" OK [READ-WRITE] selected\r\n")
        elif cmd == b"UID" and sub == b"FETCH":
            sizes_fetch(t, tag, words, msgs, path)
        elif cmd == b"UID" and sub == b"STORE":
            marked.update(uid_set(words[3], len(msgs)))
            t.sendall(tag + b" OK done\r\n")
        elif cmd == b"UID" and sub == b"SEARCH":
            left = [u for u in range(1, len(msgs) + 1) if u not in marked]
            t.sendall(b"* SEARCH" + b"".join(b" %d" % u for u in left) + b"\r\n" +
                      tag + b" OK done\r\n")
        elif cmd == b"LOGOUT":
            t.sendall(b"* BYE bye\r\n" + tag + b" OK done\r\n")
            return
        else:
            t.sendall(tag + b" OK done\r\n")


def serve(conn, mode, path, cert, key):
    if mode == "imaps-sizes":
        t = tls_wrap(conn, cert, key, path)
        if t:
            try:
                serve_sizes(t, path)
            except OSError:
                pass
        return
    if mode in ("imaps-select", "imaps-tls11"):
        t = tls_wrap(conn, cert, key, path, old=mode == "imaps-tls11")
        if t:
            try:
                serve_select(t, path)
            except OSError:
                pass
        return
    if mode == "imaps":
        t = tls_wrap(conn, cert, key, path)
        if t:
            try:
                t.sendall(CRASH)
            except OSError:
                pass
            drain(t, path, "tls")
        return
    conn.sendall(CRASH)
    line = read_line(conn, path)
    if not line.upper().startswith(b"A0 STARTTLS"):
        drain(conn, path, "clear")
        return
    if mode == "starttls-close":
        conn.sendall(CRASH + b"* BAD [PERMANENTFLAGS (\r\n")
        return
    if mode == "starttls-inject":
        conn.sendall(b"A0 OK Begin TLS negotiation now.\r\n" + CRASH)
        drain(conn, path, "clear")
        return
    conn.sendall(b"A0 OK Begin TLS negotiation now.\r\n")
    t = tls_wrap(conn, cert, key, path)
    if t:
        try:
            t.sendall(CRASH)
        except OSError:
            pass
        drain(t, path, "tls")


def main():
    mode, port_file, path = sys.argv[1:4]
    cert, key = (sys.argv[4], sys.argv[5]) if len(sys.argv) > 5 else (None, None)
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(8)
    with open(port_file + ".tmp", "w") as f:
        f.write("%d\n" % s.getsockname()[1])
    os.rename(port_file + ".tmp", port_file)
    while True:
        conn, _ = s.accept()
        log(path, "connection (%s)" % mode)
        try:
            serve(conn, mode, path, cert, key)
        finally:
            conn.close()


if __name__ == "__main__":
    sys.exit(main())
