#!/usr/bin/env python3
"""cut_proxy.py - a loopback TCP proxy that cuts or refuses on cue, for tests.

It stands between a client and a real server (the test Dovecot) and does what
a bad link or a stubborn server would, at a point the test chooses:

    cut_proxy.py PORT_FILE LOG --upstream HOST:PORT [options]

  --upstream HOST:PORT    where to forward (loopback only)
  --upstream-tls          speak TLS to the upstream (no verification: loopback
                          test servers only)
  --tls CERT KEY          speak TLS to the client with this certificate (e.g.
                          the test Dovecot's own server.pem/server.key, which
                          the client already trusts): the proxy then sees the
                          plain protocol and can match commands
  --cut-on REGEX          when a line from the client matches (Python `re`,
                          searched in the line decoded as Latin-1), drop both
                          sides BEFORE forwarding that line (the server never
                          sees it; the client gets no answer)
  --cut-after-bytes N     after N bytes from the upstream on one connection,
                          forward exactly those N bytes and drop both sides
  --refuse REGEX          answer a matching client line with
                          "<tag> NO [CANNOT] refused by the test proxy"
                          instead of forwarding it (IMAP: the first word of
                          the line is its tag); the connection stays up
  --times N               cut at most N times in all (0, the default: every
                          time); after that the proxy only forwards
  --rst                   drop with a TCP reset (SO_LINGER 0) rather than a
                          close

The listening port (127.0.0.1, a free one unless PROXY_PORT is set) is
written to PORT_FILE once bound. Every connection, cut and refusal is
appended to LOG as one line ("open 1", "cut 1 on-line: A0012 UID STORE ...",
"cut 2 after-bytes: 614400", "refused 1: A0009 UID MOVE ..."), so a test can
check that the cut really happened. Lines are logged only when they matched
a pattern (never a LOGIN). Client lines are matched at line ends; a literal's
bytes are matched like lines (good enough for the commands tests aim at).
Serves connections concurrently until killed.
"""
import argparse
import os
import re
import select
import socket
import ssl
import struct
import sys
import threading

lock = threading.Lock()
state = {"connections": 0, "cuts": 0}
MAX_HELD = 64 * 1024  # a client "line" longer than this is forwarded unmatched


def log(path, text):
    with lock:
        with open(path, "a") as f:
            f.write(text + "\n")


def claim_cut(args):
    """The number of this cut (counted), or 0 when --times forbids it."""
    with lock:
        if args.times and state["cuts"] >= args.times:
            return 0
        state["cuts"] += 1
        return state["cuts"]


def drop(socks, rst):
    for s in socks:
        try:
            if rst:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            else:
                s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        try:
            s.close()
        except OSError:
            pass


def printable(line):
    return line.decode("latin-1").rstrip("\r\n")[:120]


def serve(client, n, args):
    client.settimeout(10)
    try:
        if args.tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.minimum_version = ssl.TLSVersion.TLSv1_2
            ctx.load_cert_chain(args.tls[0], args.tls[1])
            client = ctx.wrap_socket(client, server_side=True)
        host, port = args.upstream.rsplit(":", 1)
        up = socket.create_connection((host, int(port)), 10)
        if args.upstream_tls:
            uctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            uctx.check_hostname = False
            uctx.verify_mode = ssl.CERT_NONE
            up = uctx.wrap_socket(up, server_hostname=host)
    except (OSError, ssl.SSLError) as e:
        log(args.log, "failed %d: %s" % (n, e))
        drop([client], args.rst)
        return
    client.settimeout(None)
    up.settimeout(None)
    socks = [client, up]
    held = b""      # the client's unfinished line
    down_bytes = 0  # upstream -> client on this connection
    try:
        while True:
            ready = [s for s in socks if isinstance(s, ssl.SSLSocket) and s.pending()]
            if not ready:
                ready, _, _ = select.select(socks, [], [], 600)
                if not ready:
                    break
            for s in ready:
                data = s.recv(65536)
                if not data:
                    log(args.log, "close %d: %s" % (n, "client" if s is client else "upstream"))
                    drop(socks, args.rst)
                    return
                if s is up:
                    if args.cut_after_bytes is not None:
                        left = args.cut_after_bytes - down_bytes
                        if len(data) >= left:
                            k = claim_cut(args)
                            if k:
                                client.sendall(data[:left])
                                log(args.log, "cut %d after-bytes: %d" % (n, args.cut_after_bytes))
                                drop(socks, args.rst)
                                return
                    down_bytes += len(data)
                    client.sendall(data)
                    continue
                if not (args.cut_on or args.refuse):
                    up.sendall(data)  # nothing to match: bytes pass as they come (TLS too)
                    continue
                held += data
                while True:
                    end = held.find(b"\n")
                    if end < 0:
                        if len(held) > MAX_HELD:
                            up.sendall(held)
                            held = b""
                        break
                    line, held = held[:end + 1], held[end + 1:]
                    text = line.decode("latin-1")
                    if args.cut_on and re.search(args.cut_on, text) and claim_cut(args):
                        log(args.log, "cut %d on-line: %s" % (n, printable(line)))
                        drop(socks, args.rst)
                        return
                    if args.refuse and re.search(args.refuse, text):
                        tag = line.split(b" ", 1)[0].strip()
                        log(args.log, "refused %d: %s" % (n, printable(line)))
                        client.sendall(tag + b" NO [CANNOT] refused by the test proxy\r\n")
                        continue
                    up.sendall(line)
    except (OSError, ssl.SSLError) as e:
        log(args.log, "error %d: %s" % (n, type(e).__name__))
    drop(socks, args.rst)


def main():
    p = argparse.ArgumentParser(description="a loopback proxy that cuts on cue")
    p.add_argument("port_file")
    p.add_argument("log")
    p.add_argument("--upstream", required=True)
    p.add_argument("--upstream-tls", action="store_true")
    p.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    p.add_argument("--cut-on")
    p.add_argument("--cut-after-bytes", type=int)
    p.add_argument("--refuse")
    p.add_argument("--times", type=int, default=0)
    p.add_argument("--rst", action="store_true")
    args = p.parse_args()
    if not args.upstream.startswith(("127.", "localhost:", "[::1]:")):
        p.error("--upstream must be a loopback address")
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", int(os.environ.get("PROXY_PORT", "0"))))
    s.listen(16)
    open(args.log, "a").close()
    with open(args.port_file + ".tmp", "w") as f:
        f.write("%d\n" % s.getsockname()[1])
    os.rename(args.port_file + ".tmp", args.port_file)
    while True:
        conn, _ = s.accept()
        with lock:
            state["connections"] += 1
            n = state["connections"]
        log(args.log, "open %d" % n)
        threading.Thread(target=serve, args=(conn, n, args), daemon=True).start()


if __name__ == "__main__":
    sys.exit(main())
