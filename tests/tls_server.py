"""tls_server.py - the HTTPS server under the tests' fake services
(bugzilla_server.py, oauth2_server.py, http_sink.py --tls).

A threading HTTP server on 127.0.0.1 (port chosen by the kernel unless given)
whose TLS handshake runs in the request's own thread, so that a slow client or
one that refuses the test CA's certificate never blocks accept(). A failed
handshake is passed to log(entry) as {"tls_error": ..., "at": ...}; an error
after it (a client that hung up; a TLS 1.3 client that rejects the certificate
only after the handshake) as {"connection_error": ..., "at": ...}, never
printed. log is called under the server's lock (TLSServer.lock), which the
handlers may share for their own log lines.
"""
import ssl
import sys
import threading
import time
from http.server import ThreadingHTTPServer


class TLSServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, handler, cert, key, state=None, log=None, lock=None, port=0):
        self.state = state  # for the handlers: self.server.state
        self.lock = lock or threading.Lock()
        self._log = log
        self.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.tls.load_cert_chain(cert, key)
        super().__init__(("127.0.0.1", port), handler)

    def log_event(self, entry):
        if self._log is None:
            return
        entry.setdefault("at", time.time())
        with self.lock:
            self._log(entry)

    def finish_request(self, request, client_address):
        request.settimeout(30)
        try:
            conn = self.tls.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as e:
            self.log_event({"tls_error": str(e)})
            return
        try:
            super().finish_request(conn, client_address)
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def handle_error(self, request, client_address):
        self.log_event({"connection_error": repr(sys.exc_info()[1])})


def serve(server):
    """Print the port on stdout (the test waits for it), then serve until killed."""
    print(server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
