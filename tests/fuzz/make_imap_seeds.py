#!/usr/bin/env python3
"""Write seed inputs for fuzz_imap_response into seeds/imap_response/.

Each seed is: options byte (bit 7 set: greeting included; bit 6: STARTTLS, the
clear-text greeting and tagged reply first, no greeting after them), read-chunk
byte, then a plausible server transcript
(Dovecot's wording) for the commands cpr-intake sends in order: SELECT (tag 1),
UID FETCH metadata, UID FETCH bodies, marking, the next metadata FETCH, IDLE.
Bodies come from tests/fixtures/samples. Run from anywhere; deterministic."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLES = os.path.join(HERE, "..", "fixtures", "samples")
OUT = os.path.join(HERE, "seeds", "imap_response")


def sample(name, limit=3000):
    with open(os.path.join(SAMPLES, name), "rb") as f:
        return f.read()[:limit]


class T:
    def __init__(self):
        self.tag = 0
        self.out = []

    def raw(self, b):
        self.out.append(b if isinstance(b, bytes) else b.encode())

    def done(self, text="OK Completed."):
        self.tag += 1
        self.raw("%d %s\r\n" % (self.tag, text))

    def bytes(self):
        return b"".join(self.out)


GREETING = "* OK [CAPABILITY IMAP4rev1 SASL-IR LITERAL+ IDLE MOVE UIDPLUS] Dovecot ready.\r\n"
STARTTLS_CLEAR = ("* OK [CAPABILITY IMAP4rev1 SASL-IR LITERAL+ STARTTLS LOGINDISABLED] Dovecot ready.\r\n"
                  "A0 OK Begin TLS negotiation now.\r\n")


def select(t, exists, uidnext, validity=1700000000, perm=True):
    t.raw("* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n")
    t.raw("* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft%s)] Flags.\r\n"
          % (" \\*" if perm else ""))
    t.raw("* %d EXISTS\r\n* 0 RECENT\r\n" % exists)
    t.raw("* OK [UIDVALIDITY %d] UIDs valid\r\n* OK [UIDNEXT %d] Predicted next UID\r\n"
          % (validity, uidnext))
    t.done("OK [READ-WRITE] Select completed (0.001 + 0.000 secs).")


def meta(t, msgs):
    for seq, (uid, body) in enumerate(msgs, 1):
        t.raw('* %d FETCH (UID %d RFC822.SIZE %d INTERNALDATE "21-Nov-2026 20:32:14 +0100")\r\n'
              % (seq, uid, len(body)))
    t.done("OK Fetch completed (0.001 + 0.000 secs).")


def bodies(t, msgs, partial=None):
    for seq, (uid, body) in enumerate(msgs, 1):
        sec = "BODY[]" if partial is None else "BODY[]<0>"
        if partial is not None:
            body = body[:partial]
        t.raw("* %d FETCH (UID %d %s {%d}\r\n" % (seq, uid, sec, len(body)))
        t.raw(body)
        t.raw(")\r\n")
    t.done("OK Fetch completed (0.002 + 0.000 secs).")


def idle(t):
    t.raw("+ idling\r\n* 9 EXISTS\r\n")
    t.done("OK Idle completed (0.001 + 1.000 secs).")


def write(name, opt, chunk, t, starttls=False):
    # bit 7: the transcript carries its own greeting; bit 6: it starts with the
    # clear-text half of STARTTLS instead (greeting, tagged OK)
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(bytes([opt | (0x40 if starttls else 0x80), chunk]) + t.bytes())


def main():
    os.makedirs(OUT, exist_ok=True)
    m = [(1, sample("001-kc-csr-proof.eml")), (2, sample("003-misissuance-pem-attachment.eml")),
         (3, sample("007-mdsp-acme-weak-rsa.eml"))]

    # keyword mode: catch up 3 messages (batch=3), STORE, next FETCH, IDLE
    t = T(); t.raw(GREETING); select(t, 3, 4); meta(t, m); bodies(t, m)
    t.done("OK Store completed.")
    t.raw('* 3 FETCH (UID 3 RFC822.SIZE 10 INTERNALDATE "21-Nov-2026 20:32:14 +0000")\r\n')
    t.done("OK Fetch completed."); idle(t)
    write("keyword-3msgs", 0x0C, 0, t)

    # the same, served 7 bytes at a time
    write("keyword-3msgs-chunked", 0x0C, 7, t)

    # the same over STARTTLS: greeting and tagged reply in clear (our reader),
    # then the catch-up behind TLS after the daemon's synthetic greeting
    t = T(); t.raw(STARTTLS_CLEAR); select(t, 3, 4); meta(t, m); bodies(t, m)
    t.done("OK Store completed.")
    t.raw('* 3 FETCH (UID 3 RFC822.SIZE 10 INTERNALDATE "21-Nov-2026 20:32:14 +0000")\r\n')
    t.done("OK Fetch completed."); idle(t)
    write("starttls-keyword-3msgs", 0x0C, 0, t, starttls=True)

    # move mode without MOVE: COPY, STORE \Deleted, UID EXPUNGE
    t = T(); t.raw(GREETING); select(t, 2, 3); meta(t, m[:2]); bodies(t, m[:2])
    t.raw("* OK [COPYUID 1700000001 1:2 10:11] Copy completed.\r\n"); t.tag += 1
    t.raw("%d OK [COPYUID 1700000001 1:2 10:11] Copy completed.\r\n" % t.tag)
    t.done("OK Store completed.")
    t.raw("* 1 EXPUNGE\r\n* 1 EXPUNGE\r\n"); t.done("OK Expunge completed.")
    t.raw("* 0 EXISTS\r\n"); t.done("OK Fetch completed."); idle(t)
    write("move-copy-expunge", 0x09, 0, t)

    # move mode with MOVE
    t = T(); t.raw(GREETING); select(t, 1, 2); meta(t, m[:1]); bodies(t, m[:1])
    t.raw("* OK [COPYUID 1700000001 1 10] Moved.\r\n* 1 EXPUNGE\r\n"); t.done("OK Move completed.")
    t.done("OK Fetch completed."); idle(t)
    write("move", 0x05, 0, t)

    # an oversized message (bound 4096 in the target): partial fetch
    big = sample("003-misissuance-pem-attachment.eml", 1 << 20) * 3
    t = T(); t.raw(GREETING); select(t, 1, 2); meta(t, [(1, big)]); bodies(t, [(1, big)], 4097)
    t.done("OK Fetch completed."); idle(t)
    write("oversized", 0x02, 0, t)

    # the server refuses the body fetch: one by one, then retried
    t = T(); t.raw(GREETING); select(t, 2, 3, perm=False); meta(t, m[:2])
    t.done("NO [SERVERBUG] Internal error occurred."); t.done("NO Message vanished.")
    write("fetch-no", 0x00, 0, t)

    # "UID FETCH n:*" returning the highest message below n; an empty folder
    t = T(); t.raw(GREETING); select(t, 1, 5)
    t.raw('* 1 FETCH (UID 4 RFC822.SIZE 10 INTERNALDATE "01-Jan-1970 00:00:00 -1200")\r\n')
    t.done("OK Fetch completed."); idle(t)
    write("stale-star", 0x00, 0, t)

    # SELECT without UIDVALIDITY; BYE in the middle
    t = T(); t.raw(GREETING); t.raw("* 5 EXISTS\r\n"); t.done("OK [READ-WRITE] Select completed.")
    write("no-uidvalidity", 0x00, 0, t)
    t = T(); t.raw(GREETING); select(t, 1, 2); t.raw("* BYE Server shutting down.\r\n")
    write("bye", 0x00, 3, t)
    return 0


if __name__ == "__main__":
    sys.exit(main())
