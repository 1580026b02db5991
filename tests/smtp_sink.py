#!/usr/bin/env python3
"""smtp_sink.py - a tiny SMTP receiver for the notification tests.

Speaks enough ESMTP for libcurl (EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT)
and stores each accepted message as DIR/N.eml with the envelope in
DIR/N.env ("from" line, then one "to" line per recipient). With --tls CERT KEY
it is an implicit-TLS (smtps) server; with --tls-old CERT KEY one that speaks
only TLS 1.0 and 1.1, which clients must refuse. Writes its port to PORT_FILE.
While a file DIR.rcpt exists, every RCPT is answered with its first line (a
refusal such as "550 5.1.1 no such user") and nothing is stored.

usage: smtp_sink.py PORT_FILE DIR [--tls|--tls-old CERT KEY]
"""
import os
import socketserver
import ssl
import sys
import threading

port_file, outdir = sys.argv[1:3]
tls = None
if len(sys.argv) > 3 and sys.argv[3] in ("--tls", "--tls-old"):
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    if sys.argv[3] == "--tls-old":
        import warnings
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        tls.set_ciphers("DEFAULT:@SECLEVEL=0")  # OpenSSL 3 refuses TLS < 1.2 otherwise
        tls.minimum_version = ssl.TLSVersion.TLSv1
        tls.maximum_version = ssl.TLSVersion.TLSv1_1
    tls.load_cert_chain(sys.argv[4], sys.argv[5])
lock = threading.Lock()
counter = [0]


class Handler(socketserver.StreamRequestHandler):
    def send(self, line):
        self.wfile.write((line + "\r\n").encode())
        self.wfile.flush()

    def handle(self):
        self.send("220 sink ESMTP")
        mail_from, rcpts = None, []
        while True:
            raw = self.rfile.readline(65536)
            if not raw:
                return
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            cmd = line[:4].upper()
            if cmd in ("EHLO", "HELO"):
                self.send("250-sink")
                self.send("250 8BITMIME")
            elif cmd == "MAIL":
                mail_from, rcpts = line[10:].strip(), []
                self.send("250 ok")
            elif cmd == "RCPT":
                try:
                    with open(outdir.rstrip("/") + ".rcpt") as f:
                        refusal = f.readline().strip()
                except FileNotFoundError:
                    refusal = None
                if refusal:
                    self.send(refusal)
                    continue
                rcpts.append(line[8:].strip())
                self.send("250 ok")
            elif cmd == "DATA":
                self.send("354 go ahead")
                data = []
                while True:
                    l = self.rfile.readline(1 << 20)
                    if not l or l in (b".\r\n", b".\n"):
                        break
                    if l.startswith(b".."):
                        l = l[1:]
                    data.append(l)
                with lock:
                    counter[0] += 1
                    n = counter[0]
                base = os.path.join(outdir, "%d" % n)
                with open(base + ".eml.tmp", "wb") as f:
                    f.write(b"".join(data))
                with open(base + ".env", "w") as f:
                    f.write(mail_from + "\n" + "\n".join(rcpts) + "\n")
                os.rename(base + ".eml.tmp", base + ".eml")
                self.send("250 queued as %d" % n)
            elif cmd == "RSET":
                mail_from, rcpts = None, []
                self.send("250 ok")
            elif cmd == "NOOP":
                self.send("250 ok")
            elif cmd == "QUIT":
                self.send("221 bye")
                return
            else:
                self.send("502 not implemented")


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True

    def get_request(self):
        sock, addr = super().get_request()
        if tls:
            sock = tls.wrap_socket(sock, server_side=True)
        return sock, addr


server = Server(("127.0.0.1", int(os.environ.get("SINK_PORT", "0"))), Handler)
with open(port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(port_file + ".tmp", port_file)
server.serve_forever()
