# notify_sinks.sh - start and stop the loopback HTTP and SMTP sinks of the
# notification tests (tests/http_sink.py, tests/smtp_sink.py); source it.
# Each start function prints the port; the pid is in DIR/NAME.pid.

sink_free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

sink_wait_port() { # PORT_FILE
    i=0
    while [ ! -s "$1" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
    cat "$1"
}

http_sink_start() { # DIR NAME [PORT [--tls|--tls-old CERT KEY]]
    rm -f "$1/$2.port"
    SINK_PORT=${3:-0} python3 "$CPR_TOP/tests/http_sink.py" "$1/$2.port" "$1/$2.log" "$1/$2.status" \
        ${4:+"$4" "$5" "$6"} >/dev/null 2>"$1/$2.err" &
    echo $! >"$1/$2.pid"
    touch "$1/$2.log"
    sink_wait_port "$1/$2.port"
}

smtp_sink_start() { # DIR NAME [PORT [--tls|--tls-old CERT KEY]]
    rm -f "$1/$2.port"
    mkdir -p "$1/$2.mail"
    SINK_PORT=${3:-0} python3 "$CPR_TOP/tests/smtp_sink.py" "$1/$2.port" "$1/$2.mail" \
        ${4:+"$4" "$5" "$6"} >/dev/null 2>"$1/$2.err" &
    echo $! >"$1/$2.pid"
    sink_wait_port "$1/$2.port"
}

sink_stop() { # DIR NAME
    [ -f "$1/$2.pid" ] && kill "$(cat "$1/$2.pid")" 2>/dev/null
    [ -f "$1/$2.pid" ] && wait "$(cat "$1/$2.pid")" 2>/dev/null
    rm -f "$1/$2.pid"
}

# Number of requests a sink logged for PATH (all paths when empty) with STATUS
# (any when empty).
sink_count() { # DIR NAME [PATH] [STATUS]
    python3 - "$1/$2.log" "${3:-}" "${4:-}" <<'PY'
import json, sys
log, path, status = sys.argv[1:4]
n = 0
for line in open(log):
    r = json.loads(line)
    if path and r["path"] != path: continue
    if status and str(r["status"]) != status: continue
    n += 1
print(n)
PY
}
