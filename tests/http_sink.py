#!/usr/bin/env python3
"""http_sink.py - a tiny HTTP receiver for the notification tests.

Records every POST as one JSON line in LOG: {"path", "headers", "body"}.
Answers with the status written in STATUS_FILE when that file exists (e.g.
"500" while the test simulates an outage), else 202 (what PagerDuty's Events
API answers), with a small JSON body. Writes its port to PORT_FILE.

usage: http_sink.py PORT_FILE LOG STATUS_FILE [--tls CERT KEY]
"""
import http.server
import json
import os
import sys
import threading

port_file, log, status_file = sys.argv[1:4]
lock = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n).decode("utf-8", "replace")
        status = 202
        if os.path.exists(status_file):
            with open(status_file) as f:
                text = f.read().strip()
            if text:
                status = int(text)
        with lock:
            with open(log, "a") as f:
                f.write(json.dumps({"path": self.path, "headers": dict(self.headers),
                                    "body": body, "status": status}) + "\n")
        answer = json.dumps({"status": "success" if status < 300 else "error",
                             "message": "sink"}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


port = int(os.environ.get("SINK_PORT", "0"))
if len(sys.argv) > 4 and sys.argv[4] == "--tls":
    sys.dont_write_bytecode = True  # no tests/__pycache__ in the tree
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from tls_server import TLSServer
    server = TLSServer(Handler, sys.argv[5], sys.argv[6], port=port)
else:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
with open(port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(port_file + ".tmp", port_file)
server.serve_forever()
