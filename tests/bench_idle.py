#!/usr/bin/env python3
"""bench_idle.py - push latency of cpr-intake's own making (issue 16).

usage: bench_idle.py DOVECOT_ENV DB N BASE HOOK_PORT_FILE OUT

The daemon (started by tests/bench.sh) idles on INBOX and pages a loopback
webhook; this script is that webhook (a thread), a second IDLE client on
INBOX (another thread), and the sender. For each of N probe messages, each
opening a new case: APPEND on a third connection; note when the second IDLE
connection sees its "* n EXISTS" (the server's notification), when its row is
in `messages` (SQLite polled every millisecond), and when the first page about
it reaches the webhook. Writes one line per message to OUT:
    append_to_row_ms notify_to_row_ms row_to_page_ms
BASE: rows the daemon's catch-up must have stored before the probes start.
"""
import http.server
import imaplib
import socket
import sqlite3
import ssl
import sys
import threading
import time

env_path, db, n, base, port_file, out = sys.argv[1:7]
n, base = int(n), int(base or 0)
env = dict(l.strip().split("=", 1) for l in open(env_path) if "=" in l)
ctx = ssl.create_default_context(cafile=env["CA_FILE"])
pw = open(env["IMAP_PASSWORD_FILE"]).read().strip()
port = int(env["IMAPS_PORT"])

pages = []  # monotonic arrival times of POSTs
exists = []  # monotonic times of "* n EXISTS" on the second IDLE connection
ready = []  # IDLE rounds the second connection has entered
cond = threading.Condition()


class Hook(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        t = time.monotonic()
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with cond:
            pages.append(t)
            cond.notify_all()
        self.send_response(202)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_HEAD(self):
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


hook = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hook)
threading.Thread(target=hook.serve_forever, daemon=True).start()
with open(port_file, "w") as f:
    f.write("%d\n" % hook.server_address[1])


def idler():
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="127.0.0.1")
    f = s.makefile("rb")

    def cmd(tag, c):
        s.sendall(("%s %s\r\n" % (tag, c)).encode())
        while not f.readline().startswith(tag.encode()):
            pass

    cmd("b1", 'LOGIN "%s" "%s"' % (env["IMAP_USER"], pw))
    cmd("b2", "SELECT INBOX")
    k = 0
    while True:
        # a fresh IDLE per message, as the daemon does after each catch-up:
        # Dovecot times the notification of both connections alike
        k += 1
        s.sendall(b"i%d IDLE\r\n" % k)
        f.readline()  # + idling
        with cond:
            ready.append(k)
            cond.notify_all()
        while True:
            line = f.readline()
            if not line:
                return
            if line.startswith(b"* ") and line.rstrip().endswith(b"EXISTS"):
                t = time.monotonic()
                break
        with cond:
            exists.append(t)
            cond.notify_all()
        s.sendall(b"DONE\r\n")
        while not f.readline().startswith(b"i%d " % k):
            pass


con = sqlite3.connect(db, timeout=5)


def count():
    try:
        return con.execute("SELECT count(*) FROM messages").fetchone()[0]
    except sqlite3.Error:
        return -1


deadline = time.time() + 120
while count() < base and time.time() < deadline:  # the daemon's own catch-up first
    time.sleep(0.05)
threading.Thread(target=idler, daemon=True).start()
with cond:
    cond.wait_for(lambda: ready, timeout=30)
time.sleep(2)  # the daemon is back in IDLE after its catch-up and first pages
with cond:
    pages.clear()
a = imaplib.IMAP4_SSL("127.0.0.1", port, ssl_context=ctx)
a.login(env["IMAP_USER"], pw)
have = count()
res = open(out, "w")
for i in range(n):
    msg = ("From: Probe Reporter %d <probe%d@example.org>\r\nTo: problems@acmetrust.test\r\n"
           "Subject: Key compromise report %d\r\nMessage-ID: <lat-%d-%f@bench.example>\r\n\r\n"
           "The private key of the certificate with serial 0a:1b:2c:3d:4e:5f:%02x:%02x for "
           "probe%d.example.org was leaked. Key compromise; please revoke it.\r\n"
           % (i, i, i, i, time.time(), i // 256, i % 256, i))
    with cond:
        cond.wait_for(lambda: len(ready) > len(exists), timeout=30)
        seen, paged = len(exists), len(pages)
    t0 = time.monotonic()
    a.append("INBOX", None, None, msg.encode())
    while count() <= have:
        if time.monotonic() - t0 > 30:
            print("timeout waiting for the row of probe %d" % i, file=sys.stderr)
            sys.exit(1)
        time.sleep(0.001)
    t_row = time.monotonic()
    have = count()
    with cond:
        ok = cond.wait_for(lambda: len(exists) > seen and len(pages) > paged, timeout=30)
        if not ok:
            print("probe %d: no EXISTS on the second connection or no page" % i, file=sys.stderr)
            sys.exit(1)
        t_exists, t_page = exists[seen], pages[paged]
    # then the EXISTS and the row on CLOCK_MONOTONIC (microseconds), for the
    # split at the daemon's debug lines (bench.sh)
    res.write("%.1f %.1f %.1f %d %d\n" % ((t_row - t0) * 1000, (t_row - t_exists) * 1000,
                                          (t_page - t_row) * 1000, t_exists * 1e6, t_row * 1e6))
    res.flush()
    time.sleep(0.3)  # let the daemon settle back into IDLE, as between real reports
a.logout()
