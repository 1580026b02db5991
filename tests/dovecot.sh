#!/bin/sh
# dovecot.sh - a throwaway Dovecot IMAP server on 127.0.0.1 for tests and the demo.
#
#   tests/dovecot.sh start DIR   make a test CA, a server certificate, a user and
#                                a config under DIR, start Dovecot, print the ports
#   tests/dovecot.sh stop DIR    stop it (the pid in DIR/run/master.pid)
#
# Or source it and call dovecot_start / dovecot_stop. After start, DIR/env holds
# shell assignments: IMAP_PORT (plain, offers STARTTLS), IMAPS_PORT, IMAP_USER,
# IMAP_PASSWORD_FILE (0600), CA_FILE (the test CA), DOVECOT_LOG.
#
# Environment knobs:
#   DOVECOT_SSL=required|no       no: no TLS at all (no STARTTLS, no imaps)
#   DOVECOT_CERT_NAMES="localhost 127.0.0.1"
#                                 the server certificate's names (DNS or IP)
#   DOVECOT_SEPARATOR=/           the hierarchy separator of the mailboxes
#   DOVECOT_PREFIX=               the personal namespace's prefix; with
#                                 DOVECOT_SEPARATOR=. DOVECOT_PREFIX=INBOX. the
#                                 folders are named as on Cyrus IMAP
#                                 (INBOX.Lists.ccadb)
#   DOVECOT_OAUTH2_URL=https://127.0.0.1:PORT/introspect
#   DOVECOT_OAUTH2_CA=FILE        also accept XOAUTH2/OAUTHBEARER: a passdb
#                                 oauth2 that checks bearer tokens at this RFC 7662
#                                 introspection URL (introspection_mode = post,
#                                 trusting FILE); the password passdb stays for
#                                 PLAIN/LOGIN (the tests' own IMAP client)
# Runs as root (Dovecot's own users drop privileges); the mail user has uid 1000.

dovecot_free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

dovecot_make_certs() { # DIR NAMES...
    d=$1; shift
    certtool --generate-privkey --key-type=ecdsa --outfile "$d/ca.key" 2>/dev/null || return 1
    cat >"$d/ca.tmpl" <<EOT
cn = "cpr-intake test CA"
ca
cert_signing_key
crl_signing_key
expiration_days = 30
EOT
    certtool --generate-self-signed --load-privkey "$d/ca.key" --template "$d/ca.tmpl" \
        --outfile "$d/ca.pem" >/dev/null 2>&1 || return 1
    certtool --generate-privkey --key-type=ecdsa --outfile "$d/server.key" 2>/dev/null || return 1
    {
        echo "cn = \"$1\""
        for n in "$@"; do
            case "$n" in
            *[!0-9.]*) echo "dns_name = \"$n\"" ;;
            *) echo "ip_address = \"$n\"" ;;
            esac
        done
        echo "tls_www_server"
        echo "signing_key"
        echo "encryption_key"
        echo "expiration_days = 30"
    } >"$d/server.tmpl"
    certtool --generate-certificate --load-privkey "$d/server.key" \
        --load-ca-certificate "$d/ca.pem" --load-ca-privkey "$d/ca.key" \
        --template "$d/server.tmpl" --outfile "$d/server.pem" >/dev/null 2>&1 || return 1
}

dovecot_start() { # DIR
    d=$1
    [ -n "$d" ] || { echo "dovecot_start: DIR expected" >&2; return 2; }
    mkdir -p "$d" && d=$(cd "$d" && pwd) || return 1
    chmod 755 "$d"
    ssl=${DOVECOT_SSL:-required}
    # shellcheck disable=SC2086
    dovecot_make_certs "$d" ${DOVECOT_CERT_NAMES:-localhost 127.0.0.1} ||
        { echo "dovecot_start: certtool failed" >&2; return 1; }
    mkdir -p "$d/run" "$d/state" "$d/home"
    chown 1000:1000 "$d/home"
    printf 'cpr:{PLAIN}test-secret-%s:1000:1000::%s/home::\n' "$$" "$d" >"$d/passwd"
    umask_old=$(umask); umask 077
    printf 'test-secret-%s\n' "$$" >"$d/imap.secret"
    umask "$umask_old"
    imap_port=$(dovecot_free_port)
    imaps_port=$(dovecot_free_port)
    while [ "$imaps_port" = "$imap_port" ]; do imaps_port=$(dovecot_free_port); done
    if [ "$ssl" = no ]; then imaps_listener=0; else imaps_listener=$imaps_port; fi
    mechanisms="plain login"
    oauth2_passdb=""
    password_mechs=""
    if [ -n "${DOVECOT_OAUTH2_URL:-}" ]; then
        mechanisms="plain login xoauth2 oauthbearer"
        password_mechs="mechanisms = plain login"
        cat >"$d/dovecot-oauth2.conf.ext" <<EOT
introspection_mode = post
introspection_url = $DOVECOT_OAUTH2_URL
tls_ca_cert_file = ${DOVECOT_OAUTH2_CA:-/etc/ssl/certs/ca-certificates.crt}
username_attribute = username
active_attribute = active
active_value = true
timeout_msecs = 5000
EOT
        oauth2_passdb="passdb {
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = $d/dovecot-oauth2.conf.ext
}"
    fi
    cat >"$d/dovecot.conf" <<EOT
base_dir = $d/run
state_dir = $d/state
log_path = $d/dovecot.log
info_log_path = $d/dovecot.log
debug_log_path = $d/dovecot.log
instance_name = cpr-test-$$-$imap_port
listen = 127.0.0.1
protocols = imap
ssl = $ssl
ssl_cert = <$d/server.pem
ssl_key = <$d/server.key
disable_plaintext_auth = yes
auth_mechanisms = $mechanisms
auth_verbose = yes
auth_debug = yes
auth_debug_passwords = no
verbose_ssl = no
first_valid_uid = 1000
mail_location = maildir:~/Maildir
mailbox_idle_check_interval = 1 secs
# process titles show each session's state: tests wait for "IDLE" (dovecot_idling)
verbose_proctitle = yes
# the protocol of each session, only once a test creates this directory
rawlog_dir = $d/rawlog
# tests only: no fsync per APPEND (thousands of messages are delivered per test)
mail_fsync = never
namespace inbox {
  inbox = yes
  separator = ${DOVECOT_SEPARATOR:-/}
  prefix = ${DOVECOT_PREFIX:-}
}
$oauth2_passdb
passdb {
  driver = passwd-file
  $password_mechs
  args = scheme=PLAIN username_format=%u $d/passwd
}
userdb {
  driver = passwd-file
  args = username_format=%u $d/passwd
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $imap_port
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $imaps_listener
    ssl = yes
  }
}
service stats {
  inet_listener http {
    port = 0
  }
}
protocol imap {
  mail_max_userip_connections = 100
}
EOT
    : >"$d/dovecot.log"
    if ! dovecot -c "$d/dovecot.conf" 2>"$d/start.err"; then
        # The ports were free when asked for, but another test running beside
        # this one (run-tests.sh runs several) may have taken one since: try
        # again with new ports, a few times.
        dovecot_start_tries=$((${dovecot_start_tries:-0} + 1))
        if grep -qs 'in use' "$d/start.err" "$d/dovecot.log" && [ "$dovecot_start_tries" -lt 4 ]; then
            dovecot_start "$d"
            return $?
        fi
        dovecot_start_tries=0
        cat "$d/start.err" >&2
        tail -n 20 "$d/dovecot.log" >&2
        return 1
    fi
    dovecot_start_tries=0
    cat >"$d/env" <<EOT
IMAP_PORT=$imap_port
IMAPS_PORT=$imaps_port
IMAP_USER=cpr
IMAP_PASSWORD_FILE=$d/imap.secret
CA_FILE=$d/ca.pem
DOVECOT_LOG=$d/dovecot.log
DOVECOT_DIR=$d
DOVECOT_INSTANCE=cpr-test-$$-$imap_port
EOT
    # Wait for the listeners (the master binds them before forking, but be sure).
    i=0
    while [ $i -lt 50 ]; do
        if python3 - "$imap_port" <<'EOT' 2>/dev/null; then break; fi
import socket, sys
socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.2).close()
EOT
        i=$((i + 1)); sleep 0.1
    done
    echo "imap=$imap_port imaps=$imaps_port"
}

# The pids of this instance's processes (their titles carry the instance name).
dovecot_pids() { # DIR
    inst=$(sed -n 's/^DOVECOT_INSTANCE=//p' "$1/env" 2>/dev/null)
    [ -n "$inst" ] || return 0
    ps -eo pid=,args= | awk -v p="^dovecot-$inst/" '$2 ~ p { print $1 }'
}

# A client of this instance is in IDLE right now (the imap process's title,
# verbose_proctitle): what a test waits for before it appends a message that
# must be pushed, instead of sleeping.
dovecot_idling() { # DIR
    inst=$(sed -n 's/^DOVECOT_INSTANCE=//p' "$1/env" 2>/dev/null)
    [ -n "$inst" ] || return 1
    ps -eo args= | grep -q "^dovecot-$inst/imap .*IDLE\]"
}

# Stop the master, then whatever it left behind: Dovecot lets running imap
# processes live on, and a test that restarts the server needs their clients
# to see the connection drop, as they would when a real server goes down.
dovecot_stop() { # DIR
    d=$1
    pidf="$d/run/master.pid"
    children=$(dovecot_pids "$d")
    if [ -f "$pidf" ]; then
        pid=$(cat "$pidf")
        if kill "$pid" 2>/dev/null; then
            i=0
            while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do i=$((i + 1)); sleep 0.1; done
            kill -9 "$pid" 2>/dev/null
        fi
        rm -f "$pidf"
    fi
    for c in $children $(dovecot_pids "$d"); do kill -9 "$c" 2>/dev/null; done
    return 0
}

case "$(basename -- "$0")" in
dovecot.sh)
    cmd=$1; shift
    case "$cmd" in
    start) dovecot_start "$@" ;;
    stop) dovecot_stop "$@" ;;
    *) echo "usage: dovecot.sh start|stop DIR" >&2; exit 2 ;;
    esac
    ;;
esac
