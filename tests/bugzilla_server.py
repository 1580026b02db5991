#!/usr/bin/env python3
"""bugzilla_server.py - a small Bugzilla-REST-compatible server for tests.

    bugzilla_server.py --dir DIR --cert server.pem --key server.key --api-key-file FILE

Listens on 127.0.0.1 on a free port over HTTPS and prints the port on stdout.
Implements what cpr-intake uses of Bugzilla's REST API:

    GET  /rest/whoami                     {"id", "name", "real_name"}
    POST /rest/bug                        {"id": N}; the bug is kept in DIR/bugs.json
    GET  /rest/bug?whiteboard=S[&...]     {"bugs": [{"id", "whiteboard"}], "faults": []}
                                          (substring match, as Bugzilla does)
    GET  /rest/bug/ID                     {"bugs": [{"id", "whiteboard", "status",
                                          "resolution"}], "faults": []}; code 101
                                          (HTTP 404) for an unknown bug

Errors look like Bugzilla's: HTTP 400/401/... with
{"error": true, "code": N, "message": "..."}. A wrong or missing
X-BUGZILLA-API-KEY is code 306.

Failure modes come from DIR/mode, read at every request: one line
"KIND [COUNT] [SCOPE]", KIND one of
    ok            normal service (also when the file is absent)
    invalid_key   code 306, HTTP 400, as for a revoked key
    429           HTTP 429 Too Many Requests
    500           HTTP 500 with an HTML page
    hang          create the bug, then sleep HANG seconds before answering
    code:N        refuse the request with Bugzilla error code N, creating
                  nothing (as BMO does for validation errors: 50, 51, 103-108,
                  120, 122; 306 and 410 for a bad key)
    after:N       create the bug, then answer error code N (Bugzilla can fail
                  after committing the bug, e.g. code 100500)
COUNT: how many matching requests it affects (default: all); the file is
rewritten with the rest, and "ok" once it is used up. SCOPE: "post" (only
POST /rest/bug; the default for 500 and hang) or "all" (the default for
invalid_key and 429). HANG: env BUGZILLA_HANG_SECONDS, default 5.

Every request is appended to DIR/requests.log as one JSON line: method, path,
query, whether the key header was present and valid, the answer's status, and
the failure mode used. The key itself is never written. A TLS handshake the
client aborts (it refused our certificate) is logged as {"tls_error": ...}.
"""
import argparse
import re
import json
import os
import socket
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler

sys.dont_write_bytecode = True  # no tests/__pycache__ in the tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tls_server import TLSServer, serve  # noqa: E402

LOCK = threading.Lock()


class State:
    def __init__(self, directory, api_key):
        self.dir = directory
        self.api_key = api_key
        self.bugs_path = os.path.join(directory, "bugs.json")
        self.log_path = os.path.join(directory, "requests.log")
        self.mode_path = os.path.join(directory, "mode")
        self.hang = float(os.environ.get("BUGZILLA_HANG_SECONDS", "5"))

    def bugs(self):
        try:
            with open(self.bugs_path) as f:
                return json.load(f)
        except FileNotFoundError:
            return []

    def save_bugs(self, bugs):
        tmp = self.bugs_path + ".new"
        with open(tmp, "w") as f:
            json.dump(bugs, f, indent=1)
        os.replace(tmp, self.bugs_path)

    def log(self, entry):
        with open(self.log_path, "a") as f:
            f.write(json.dumps(entry) + "\n")

    def take_mode(self, is_post):
        """The failure mode for this request, consuming one COUNT."""
        try:
            with open(self.mode_path) as f:
                words = f.read().split()
        except FileNotFoundError:
            return "ok"
        if not words or words[0] == "ok":
            return "ok"
        kind = words[0]
        count = int(words[1]) if len(words) > 1 and words[1] != "-" else None
        scope = words[2] if len(words) > 2 else (
            "post" if kind in ("500", "hang") or kind.startswith(("code:", "after:")) else "all")
        if scope == "post" and not is_post:
            return "ok"
        if count is not None:
            rest = count - 1
            with open(self.mode_path, "w") as f:
                f.write("ok\n" if rest <= 0 else "%s %d %s\n" % (kind, rest, scope))
        return kind


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeBugzilla/1.0"

    def log_message(self, fmt, *args):  # quiet: the test reads requests.log
        pass

    def reply(self, status, obj, content_type="application/json"):
        body = (json.dumps(obj) if content_type == "application/json" else obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        return status

    def error(self, status, code, message):
        return self.reply(status, {"error": True, "code": code, "message": message,
                                   "documentation": "https://bmo.readthedocs.io/en/latest/api/"})

    def handle_one(self, method):
        st = self.server.state
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query)
        key = self.headers.get("X-BUGZILLA-API-KEY")
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        is_post = method == "POST" and url.path == "/rest/bug"
        with LOCK:
            mode = st.take_mode(is_post)
        entry = {"method": method, "path": url.path, "query": query,
                 "key_present": key is not None, "key_valid": key == st.api_key,
                 "mode": mode, "at": time.time()}
        status = self.route(method, url.path, query, key, body, mode, entry)
        if status is not None:  # None: logged already (hang)
            entry["status"] = status
            with LOCK:
                st.log(entry)

    def route(self, method, path, query, key, body, mode, entry):
        st = self.server.state
        if mode == "invalid_key" or key != st.api_key:
            return self.error(400, 306, "The API key you specified is invalid. Please check "
                              "that you typed it correctly.")
        if mode == "429":
            return self.reply(429, "<html><body>Too Many Requests</body></html>", "text/html")
        if mode == "500":
            return self.reply(500, "<html><body>Internal Server Error</body></html>",
                              "text/html")
        if mode.startswith("code:"):
            code = int(mode.split(":", 1)[1])
            messages = {50: "You must select/enter a OS.", 51: "There is no component named "
                        "'X' in the 'CA Program' product.", 104: "There is no version named 'x'.",
                        105: "There is no component named 'x'.",
                        106: "There is no product named 'x'.",
                        120: "You are not allowed to restrict bugs to the "
                        "'ca-program-security' group.", 410: "You must log in before using "
                        "this part of Bugzilla."}
            return self.error(401 if code == 410 else 400, code,
                              messages.get(code, "Validation error %d." % code))
        if method == "GET" and path == "/rest/whoami":
            return self.reply(200, {"id": 4242, "name": "cpr-intake@acmetrust.test",
                                    "real_name": "Acme Trust CPR intake", "nick": "acme"})
        if method == "GET" and path == "/rest/bug":
            # as upstream: each given field must match (summary and whiteboard
            # as substrings), creation_time is "created at or after"
            with LOCK:
                bugs = st.bugs()
            def want(name):
                return query.get(name, [None])[0]
            def match(b):
                if want("whiteboard") is not None and want("whiteboard") not in b.get("whiteboard", ""):
                    return False
                if want("summary") is not None and want("summary") not in b.get("summary", ""):
                    return False
                for field in ("creator", "product", "component"):
                    if want(field) is not None and b.get(field) != want(field):
                        return False
                if want("creation_time") is not None and \
                        b.get("creation_time", "") < want("creation_time"):
                    return False
                return True
            hits = [{"id": b["id"], "whiteboard": b.get("whiteboard", ""),
                     "summary": b.get("summary", ""), "creator": b.get("creator", ""),
                     "creation_time": b.get("creation_time", "")} for b in bugs if match(b)]
            return self.reply(200, {"bugs": hits, "faults": []})
        m = re.match(r"^/rest/bug/(\d+)$", path)
        if method == "GET" and m:
            with LOCK:
                bugs = st.bugs()
            for b in bugs:
                if b["id"] == int(m.group(1)):
                    return self.reply(200, {"bugs": [{
                        "id": b["id"], "whiteboard": b.get("whiteboard", ""),
                        "status": b.get("status", "NEW"),
                        "resolution": b.get("resolution", "")}], "faults": []})
            return self.error(404, 101, "Bug #%s does not exist." % m.group(1))
        m = re.match(r"^/rest/bug/(\d+)/comment$", path)
        if method == "GET" and m:
            with LOCK:
                bugs = st.bugs()
            for b in bugs:
                if b["id"] == int(m.group(1)):
                    return self.reply(200, {"bugs": {m.group(1): {"comments": [
                        {"count": 0, "text": b.get("description", "")}]}}, "comments": {}})
            return self.error(404, 101, "Bug #%s does not exist." % m.group(1))
        if method == "POST" and path == "/rest/bug":
            try:
                bug = json.loads(body.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as e:
                return self.error(400, 32000, "Could not parse JSON: %s" % e)
            if not isinstance(bug, dict):
                return self.error(400, 32000, "The request body must be a JSON object")
            for field in ("product", "component", "summary", "version"):
                if not isinstance(bug.get(field), str) or not bug[field]:
                    return self.error(400, 50, "You must select/enter a %s." % field)
            with LOCK:
                bugs = st.bugs()
                bug_id = 1900001 + len(bugs)
                bug["id"] = bug_id
                bug["creator"] = "cpr-intake@acmetrust.test"  # whoami's account
                bug["creation_time"] = time.strftime(
                    "%Y-%m-%dT%H:%M:%SZ", time.gmtime())
                bugs.append(bug)
                st.save_bugs(bugs)
            entry["bug_id"] = bug_id
            if mode.startswith("after:"):
                return self.error(500, int(mode.split(":", 1)[1]),
                                  "An unknown error occurred after the bug was created.")
            if mode == "hang":
                # The bug exists; the answer is lost to a client that gives up.
                # Logged now, so the log is in request order for the test.
                entry["status"] = 200
                with LOCK:
                    st.log(entry)
                time.sleep(st.hang)
                try:
                    self.reply(200, {"id": bug_id})
                except OSError:
                    pass
                return None
            return self.reply(200, {"id": bug_id})
        return self.error(404, 32614, "A REST API resource was not found for '%s %s'."
                          % (method, path))

    def do_GET(self):
        self.handle_one("GET")

    def do_POST(self):
        self.handle_one("POST")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--api-key-file", required=True)
    a = ap.parse_args()
    with open(a.api_key_file) as f:
        api_key = f.read().strip()
    state = State(a.dir, api_key)
    serve(TLSServer(Handler, a.cert, a.key, state=state, log=state.log, lock=LOCK))


if __name__ == "__main__":
    socket.setdefaulttimeout(None)
    sys.exit(main())
