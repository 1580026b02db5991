#!/usr/bin/env python3
"""oauth2_server.py - an OAuth2 authorization server for tests (RFC 6749 6,
RFC 7662), HTTPS on 127.0.0.1.

    oauth2_server.py --dir DIR --cert server.pem --key server.key \
        --client-id ID [--client-secret-file F] --refresh-token-file F \
        --user NAME [--expires-in SECONDS]

Prints its port on stdout, then serves:

    POST /token       grant_type=refresh_token&refresh_token=..&client_id=..
                      [&client_secret=..][&scope=..]
                      200 {"access_token", "token_type": "Bearer", "expires_in",
                           "refresh_token"} -- the refresh token is ROTATED: the
                      one presented stops working, the new one is the only valid
                      one (as Microsoft's and Okta's rotation do). Errors as in
                      RFC 6749 5.2: 400 {"error": "invalid_grant"|"invalid_client"
                      |"invalid_request"|"unsupported_grant_type", ...}.
    POST /introspect  token=..  (Dovecot's passdb oauth2, introspection_mode=post)
                      {"active": true, "username": NAME, "email": NAME, "exp": T}
                      for an access token issued here and not expired, else
                      {"active": false, "username": ""}.

The initial refresh token is read from --refresh-token-file (what the test
also gives the daemon). The access token lifetime is --expires-in (default
3600), or the number in DIR/expires_in when that file exists (read at every
grant).

Failure modes come from DIR/mode, read at every /token request: one line
"KIND [COUNT]", KIND one of
    ok             normal service (also when the file is absent)
    invalid_grant  400 {"error": "invalid_grant"}: the refresh token is dead
    500            HTTP 500 with an HTML page
    hang           sleep 30 s before answering 500
    garbage        200 with a body that is not JSON
COUNT: how many /token requests it affects (default: all); the file is
rewritten with the rest, and "ok" once it is used up.
Writing "revoke" to DIR/revoke makes every access token issued so far inactive
(the file is removed once applied), as a server that revoked them would.
A token written to DIR/grant becomes a valid refresh token at the next /token
request (the file is removed): an operator's re-consent, for recovery tests.

Every request is appended to DIR/requests.log as one JSON line: path, the
form's field names, grant_type, whether client id/secret/refresh token were
valid, the status and error, the mode, and for issued tokens the SHA-256 of
the new refresh token (never a token itself). A TLS handshake the client
aborts is logged as {"tls_error": ...}. DIR/issued.txt lists every token
issued, one a line: the test's oracle for "no secret in the client's output".
"""
import argparse
import hashlib
import json
import os
import secrets
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler

sys.dont_write_bytecode = True  # no tests/__pycache__ in the tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tls_server import TLSServer, serve  # noqa: E402

LOCK = threading.Lock()


def sha256(s):
    return hashlib.sha256(s.encode()).hexdigest()


class State:
    def __init__(self, a):
        self.dir = a.dir
        self.client_id = a.client_id
        self.client_secret = None
        if a.client_secret_file:
            with open(a.client_secret_file) as f:
                self.client_secret = f.read().strip()
        with open(a.refresh_token_file) as f:
            self.refresh_tokens = {f.read().strip()}
        self.user = a.user
        self.expires_in = a.expires_in
        self.access = {}  # token -> expiry (epoch seconds)
        self.log_path = os.path.join(a.dir, "requests.log")
        self.mode_path = os.path.join(a.dir, "mode")
        self.revoke_path = os.path.join(a.dir, "revoke")
        self.lifetime_path = os.path.join(a.dir, "expires_in")
        self.grant_path = os.path.join(a.dir, "grant")
        self.issued_path = os.path.join(a.dir, "issued.txt")

    def apply_grant(self):
        try:
            with open(self.grant_path) as f:
                token = f.read().strip()
        except FileNotFoundError:
            return
        os.unlink(self.grant_path)
        if token:
            self.refresh_tokens.add(token)

    def log(self, entry):
        entry["at"] = time.time()
        with open(self.log_path, "a") as f:
            f.write(json.dumps(entry) + "\n")

    def take_mode(self):
        try:
            with open(self.mode_path) as f:
                words = f.read().split()
        except FileNotFoundError:
            return "ok"
        if not words or words[0] == "ok":
            return "ok"
        kind = words[0]
        if len(words) > 1:
            rest = int(words[1]) - 1
            with open(self.mode_path, "w") as f:
                f.write("ok\n" if rest <= 0 else "%s %d\n" % (kind, rest))
        return kind

    def lifetime(self):
        try:
            with open(self.lifetime_path) as f:
                return int(f.read().strip())
        except (FileNotFoundError, ValueError):
            return self.expires_in

    def apply_revoke(self):
        if os.path.exists(self.revoke_path):
            self.access.clear()
            os.unlink(self.revoke_path)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeOAuth2/1.0"

    def log_message(self, fmt, *args):  # quiet: the test reads requests.log
        pass

    def reply(self, status, obj, content_type="application/json"):
        body = (json.dumps(obj) if content_type == "application/json" else obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)
        return status

    def oauth_error(self, status, error, entry, description=None):
        entry["error"] = error
        obj = {"error": error}
        if description:
            obj["error_description"] = description
        return self.reply(status, obj)

    def do_POST(self):
        st = self.server.state
        url = urllib.parse.urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8", "replace") if length else ""
        form = {k: v[0] for k, v in urllib.parse.parse_qs(body, keep_blank_values=True).items()}
        entry = {"path": url.path, "fields": sorted(form),
                 "content_type": self.headers.get("Content-Type")}
        with LOCK:
            if url.path == "/token":
                status = self.token(st, form, entry)
            elif url.path == "/introspect":
                status = self.introspect(st, form, entry)
            else:
                status = self.reply(404, {"error": "not_found"})
            entry["status"] = status
            st.log(entry)

    def token(self, st, form, entry):
        st.apply_grant()
        mode = st.take_mode()
        entry["mode"] = mode
        entry["grant_type"] = form.get("grant_type")
        entry["client_id_ok"] = form.get("client_id") == st.client_id
        entry["secret_ok"] = (st.client_secret is None and "client_secret" not in form) or \
            form.get("client_secret") == st.client_secret
        entry["refresh_ok"] = form.get("refresh_token") in st.refresh_tokens
        entry["scope"] = form.get("scope")
        if (self.headers.get("Content-Type") or "").split(";")[0].strip() != \
                "application/x-www-form-urlencoded":
            return self.oauth_error(400, "invalid_request", entry, "form encoding expected")
        if mode == "500":
            return self.reply(500, "<html><body>Internal Server Error</body></html>",
                              "text/html")
        if mode == "hang":
            time.sleep(30)
            return self.reply(500, "<html><body>Gateway Timeout</body></html>", "text/html")
        if mode == "garbage":
            return self.reply(200, "<html>not json</html>", "text/html")
        if entry["grant_type"] != "refresh_token":
            return self.oauth_error(400, "unsupported_grant_type", entry)
        if not entry["client_id_ok"] or not entry["secret_ok"]:
            return self.oauth_error(401, "invalid_client", entry, "client authentication failed")
        if mode == "invalid_grant" or not entry["refresh_ok"]:
            return self.oauth_error(400, "invalid_grant", entry,
                                    "AADSTS70000: The provided grant has expired or was revoked")
        # Rotate: the presented refresh token dies, a new one is the only one.
        st.refresh_tokens = {"rt-" + secrets.token_urlsafe(32)}
        new_refresh = next(iter(st.refresh_tokens))
        access = "at-" + secrets.token_urlsafe(24)
        lifetime = st.lifetime()
        st.access[access] = time.time() + lifetime
        with open(st.issued_path, "a") as f:
            f.write("%s\n%s\n" % (access, new_refresh))
        entry["issued_refresh_sha256"] = sha256(new_refresh)
        entry["issued_access_sha256"] = sha256(access)
        entry["expires_in"] = lifetime
        return self.reply(200, {"access_token": access, "token_type": "Bearer",
                                "expires_in": lifetime, "refresh_token": new_refresh,
                                "scope": form.get("scope") or "https://outlook.office.com/IMAP"})

    def introspect(self, st, form, entry):
        st.apply_revoke()
        token = form.get("token", "")
        exp = st.access.get(token)
        active = exp is not None and exp > time.time()
        entry["active"] = active
        entry["token_sha256"] = sha256(token)
        if active:
            return self.reply(200, {"active": True, "username": st.user, "email": st.user,
                                    "exp": int(exp), "token_type": "Bearer"})
        return self.reply(200, {"active": False, "username": ""})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--client-id", required=True)
    ap.add_argument("--client-secret-file")
    ap.add_argument("--refresh-token-file", required=True)
    ap.add_argument("--user", required=True)
    ap.add_argument("--expires-in", type=int, default=3600)
    a = ap.parse_args()
    state = State(a)
    serve(TLSServer(Handler, a.cert, a.key, state=state, log=state.log, lock=LOCK))


if __name__ == "__main__":
    sys.exit(main())
