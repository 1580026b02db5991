#!/usr/bin/env python3
"""cut_proxy.py PORT_FILE TARGET_PORT LIMIT_BYTES LOG - a loopback TCP proxy
that cuts every connection after LIMIT_BYTES (both directions counted), as a
flaky link would (issue 17: "a connection cut after 600 KB of every batch").

It listens on 127.0.0.1 (a free port, written to PORT_FILE once bound) and
forwards each connection to 127.0.0.1:TARGET_PORT; TLS passes through
untouched. LOG gets one line per connection: its number and how it ended
("cut" after LIMIT_BYTES, or "closed" with the bytes carried). Serves until
killed."""
import os
import select
import socket
import sys
import threading


def log(path, text):
    with open(path, "a") as f:
        f.write(text + "\n")


def carry(client, target_port, limit, path, n):
    upstream = socket.create_connection(("127.0.0.1", target_port))
    total = 0
    peers = {client: upstream, upstream: client}
    try:
        while True:
            ready, _, _ = select.select(list(peers), [], [], 60)
            if not ready:
                break
            for sock in ready:
                data = sock.recv(65536)
                if not data:
                    log(path, "connection %d closed after %d bytes" % (n, total))
                    return
                room = limit - total
                peers[sock].sendall(data[:room])
                total += min(len(data), room)
                if total >= limit:
                    log(path, "connection %d cut after %d bytes" % (n, total))
                    return
    except OSError as e:
        log(path, "connection %d ended: %s after %d bytes" % (n, type(e).__name__, total))
    finally:
        for sock in (client, upstream):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()


def main(argv):
    port_file, target_port, limit, path = argv[1], int(argv[2]), int(argv[3]), argv[4]
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(16)
    with open(port_file + ".tmp", "w") as f:
        f.write("%d\n" % s.getsockname()[1])
    os.rename(port_file + ".tmp", port_file)
    n = 0
    while True:
        conn, _ = s.accept()
        n += 1
        log(path, "connection %d" % n)
        threading.Thread(target=carry, args=(conn, target_port, limit, path, n),
                         daemon=True).start()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
