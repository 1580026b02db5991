#!/usr/bin/env python3
"""bench_corpus.py - a synthetic but realistic CA problem-report mailbox.

Usage: bench_corpus.py OUT_MAILDIR COUNT [--seed N]
       bench_corpus.py --large OUT_FILE MEGABYTES [--seed N]

Writes COUNT messages into the Maildir OUT_MAILDIR (cur/, new/, tmp/), in the
proportions of the mailbox a CA's problem-report address really receives once
it is subscribed to the policy lists (the numbers are our estimate, see
docs/bench.md):

  list posts (MDSP Google Group, CCADB public)   40 %
  Bugzilla mail (CA Certificate Compliance)      22 %
  spam                                           15 %
  problem reports (key compromise, misissuance,
    misuse; some with PEM/DER/CSV attachments)   10 %
  follow-ups to reports (replies, quoted)         6 %
  auto-replies and DSNs                           4 %
  other (vendor mail, newsletters)                3 %

Sizes, charsets and encodings vary: 7bit/8bit, quoted-printable and base64
bodies; utf-8, iso-8859-1, windows-1252, iso-2022-jp; multipart/alternative
with HTML; attachments up to a few MB (PDF-like blobs, certificates from
tests/fixtures/certs, CSV serial lists). Deterministic for a given seed.
--large writes one message of about MEGABYTES MB (a report with a large
base64 attachment and a long text part). Python 3 standard library only."""
import base64
import os
import quopri
import random
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CERTS = os.path.join(HERE, "fixtures", "certs")

WORDS = ("the certificate was issued with a subject alternative name that does not "
         "match validation record domain control method revocation within hours "
         "baseline requirements section incident report timeline root cause "
         "remediation serial number key compromise private key exposed repository "
         "public github commit we request that you revoke please confirm receipt "
         "mozilla root store policy ccadb audit letter auditor qualified period "
         "ocsp responder crl distribution point precertificate signed timestamp log "
         "linting zlint pkilint error warning notice organization validated extended "
         "extension critical basic constraints key usage policy identifier "
         "thanks regards best kind of course however therefore meanwhile").split()
SPAM = ("win free money now bitcoin offer limited click here unsubscribe pharmacy cheap "
        "discount invoice payment wire transfer prize claim account verify password").split()
FIRST = ["Jane", "Rafferty", "Ottoline", "Henrike", "Torvald", "María José", "Siobhán",
         "Kenji", "Amara", "Luca", "Priya", "Dmitri", "Élodie", "Jürgen", "Wei", "Fatima"]
LAST = ["Doe", "Nakagawa-Bell", "Marchbanks", "Stallbaum", "Emberly", "Ibáñez", "O'Brien",
        "Tanaka", "Okafor", "Romano", "Raman", "Volkov", "Lefèvre", "Weiß", "Zhang", "Haddad"]
DOMAINS = ["example.org", "tidepool-sec.example", "marchbanks.example", "uni.example.edu",
           "mail.example.net", "researcher.example"]
CHARSETS = ["utf-8", "utf-8", "utf-8", "iso-8859-1", "windows-1252", "us-ascii"]


def words(rng, n):
    out, line = [], []
    for _ in range(n):
        line.append(rng.choice(WORDS))
        if len(line) > rng.randint(8, 14):
            out.append(" ".join(line))
            line = []
    out.append(" ".join(line) + ".")
    return "\n".join(out)


def person(rng):
    f, l = rng.choice(FIRST), rng.choice(LAST)
    local = (f.split()[0] + "." + l).lower()
    local = local.encode("ascii", "ignore").decode().replace("'", "")
    return f + " " + l, local + "@" + rng.choice(DOMAINS)


def hdr_name(name, rng):
    try:
        name.encode("ascii")
        return '"%s"' % name
    except UnicodeEncodeError:
        b = base64.b64encode(name.encode("utf-8")).decode()
        return "=?UTF-8?B?%s?=" % b


def date(rng):
    days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    return "%s, %02d %s 2026 %02d:%02d:%02d +0000" % (
        rng.choice(days), rng.randint(1, 28), rng.choice(months), rng.randint(0, 23),
        rng.randint(0, 59), rng.randint(0, 59))


def serial(rng):
    return ":".join("%02X" % rng.randint(0, 255) for _ in range(16))


def encode_body(text, rng, charset=None):
    """(headers, body bytes) for a text/plain part in a random encoding."""
    charset = charset or rng.choice(CHARSETS)
    if charset == "us-ascii":
        text = text.encode("ascii", "replace").decode()
    raw = text.encode(charset, "replace")
    cte = rng.choice(["7bit", "8bit", "quoted-printable", "base64"])
    if cte == "7bit" and any(b > 127 for b in raw):
        cte = "8bit"
    if cte == "quoted-printable":
        body = quopri.encodestring(raw)
    elif cte == "base64":
        body = base64.encodebytes(raw)
    else:
        body = raw
    h = "Content-Type: text/plain; charset=\"%s\"\r\nContent-Transfer-Encoding: %s\r\n" % (
        charset, cte)
    return h, body.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def crlf(s):
    return s.replace("\r\n", "\n").replace("\n", "\r\n").encode()


class Gen:
    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.n = 0
        self.pems = []
        for f in ("leaf.pem", "precert.pem", "bundle.pem", "ca.pem"):
            p = os.path.join(CERTS, f)
            if os.path.exists(p):
                self.pems.append(open(p).read())
        self.der = open(os.path.join(CERTS, "leaf.der"), "rb").read() if os.path.exists(
            os.path.join(CERTS, "leaf.der")) else b"\x30\x03\x02\x01\x00"
        self.report_ids = []

    def msgid(self, dom="mail.example.net"):
        self.n += 1
        return "<bench-%d-%08x@%s>" % (self.n, self.rng.getrandbits(32), dom)

    def envelope(self, frm, to, subject, extra="", mid=None):
        mid = mid or self.msgid()
        h = ("Return-Path: <%s>\r\nReceived: from mx.example.net (mx.example.net [192.0.2.7])\r\n"
             "\tby mx1.acmetrust.test (Postfix) with ESMTPS id %X\r\n\tfor <problems@acmetrust.test>; %s\r\n"
             "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: %s\r\nMIME-Version: 1.0\r\n%s") % (
            frm[frm.find("<") + 1:-1] if "<" in frm else frm, self.rng.getrandbits(40),
            date(self.rng), frm, to, subject, date(self.rng), mid, extra)
        return h, mid

    def multipart(self, head, parts, kind="mixed"):
        b = "=_bench_%x" % self.rng.getrandbits(48)
        out = head.encode() + ("Content-Type: multipart/%s; boundary=\"%s\"\r\n\r\n"
                               "This is a multi-part message in MIME format.\r\n" % (kind, b)).encode()
        for ph, pb in parts:
            out += ("--%s\r\n" % b).encode() + ph.encode() + b"\r\n" + pb + b"\r\n"
        return out + ("--%s--\r\n" % b).encode()

    def html(self, text):
        h = "<html><body>" + "".join("<p>%s</p>" % l for l in text.split("\n")) + "</body></html>"
        return ("Content-Type: text/html; charset=\"utf-8\"\r\nContent-Transfer-Encoding: quoted-printable\r\n",
                quopri.encodestring(h.encode()).replace(b"\n", b"\r\n"))

    def attachment(self, ctype, name, data):
        b64 = base64.encodebytes(data).replace(b"\n", b"\r\n")
        return ("Content-Type: %s; name=\"%s\"\r\nContent-Disposition: attachment; filename=\"%s\"\r\n"
                "Content-Transfer-Encoding: base64\r\n" % (ctype, name, name), b64)

    def blob(self, size):
        return self.rng.randbytes(size)

    # ---- message kinds -------------------------------------------------
    def list_post(self):
        rng = self.rng
        name, addr = person(rng)
        mdsp = rng.random() < 0.7
        lst = "dev-security-policy@mozilla.org" if mdsp else "public@ccadb.org"
        listid = "<dev-security-policy.mozilla.org>" if mdsp else "<public.ccadb.org>"
        subj = rng.choice(["Re: ", "", "Re: Re: "]) + rng.choice(
            ["Policy 3.0 discussion", "Acme Trust: delayed revocation", "CA/B Forum ballot SC-081",
             "Intent to distrust", "Question about OCSP responses", "Audit statement delays"])
        text = words(rng, rng.randint(60, 900))
        if rng.random() < 0.5:
            text += "\n\nOn %s, %s wrote:\n> " % (date(rng), person(rng)[0]) + \
                words(rng, rng.randint(30, 300)).replace("\n", "\n> ")
        if mdsp:
            text += ("\n\n-- \nYou received this message because you are subscribed to the Google "
                     "Groups \"dev-security-policy@mozilla.org\" group.\nTo unsubscribe from this group "
                     "and stop receiving emails from it, send an email to "
                     "dev-security-policy+unsubscribe@mozilla.org.\n")
        extra = ("List-Id: %s\r\nList-Post: <mailto:%s>\r\nPrecedence: list\r\nMailing-list: list %s\r\n"
                 "X-Original-From: %s <%s>\r\nX-Original-Sender: %s\r\n" % (
                     listid, lst, lst, hdr_name(name, rng), addr, addr))
        frm = "%s <%s>" % (hdr_name(name + " via " + lst.split("@")[0], rng), lst)
        head, _ = self.envelope(frm, lst, subj, extra)
        ph, pb = encode_body(text, rng)
        if rng.random() < 0.6:
            return self.multipart(head, [(ph, pb), self.html(text)], "alternative")
        return head.encode() + ph.encode() + b"\r\n" + pb

    def bugzilla(self):
        rng = self.rng
        bug = rng.randint(1900000, 1999999)
        name, addr = person(rng)
        subj = "[Bug %d] %s: %s" % (bug, rng.choice(["Acme Trust Services", "Other CA", "Example PKI"]),
                                    rng.choice(["CRL not updated", "Delayed revocation",
                                                "Incorrect OCSP responses", "Misissued certificates"]))
        extra = ("X-Bugzilla-Reason: CC\r\nX-Bugzilla-Type: changed\r\nX-Bugzilla-Product: CA Program\r\n"
                 "X-Bugzilla-Component: CA Certificate Compliance\r\nX-Bugzilla-Who: %s\r\n"
                 "X-Bugzilla-Status: ASSIGNED\r\nAuto-Submitted: auto-generated\r\n"
                 "In-Reply-To: <bug-%d-700001@https.bugzilla.mozilla.org/>\r\n"
                 "X-Bugzilla-URL: https://bugzilla.mozilla.org/\r\n" % (addr, bug))
        head, _ = self.envelope("bugzilla-daemon@mozilla.org", "problems@acmetrust.test", subj, extra,
                                "<bug-%d-700001-%x@https.bugzilla.mozilla.org/>" % (bug, rng.getrandbits(40)))
        text = "https://bugzilla.mozilla.org/show_bug.cgi?id=%d\n\n--- Comment #%d from %s <%s> ---\n%s\n\n-- \nYou are receiving this mail because:\nYou are on the CC list for the bug.\n" % (
            bug, rng.randint(1, 80), name, addr, words(rng, rng.randint(40, 500)))
        ph, pb = encode_body(text, rng, "utf-8")
        return head.encode() + ph.encode() + b"\r\n" + pb

    def spam(self):
        rng = self.rng
        head, _ = self.envelope("\"Crypto Gains\" <win@lucky-coins.example>", "problems@acmetrust.test",
                                rng.choice(["You won!", "Invoice overdue", "=?UTF-8?B?8J+SsCBGcmVlIG1vbmV5?="]),
                                "X-Spam-Score: 8.1\r\n")
        text = " ".join(rng.choice(SPAM) for _ in range(rng.randint(30, 200)))
        parts = [encode_body(text, rng), self.html(text)]
        if rng.random() < 0.2:
            parts = [(parts[0][0], parts[0][1]), self.attachment("application/zip", "invoice.zip",
                                                                 self.blob(rng.randint(20000, 200000)))]
            return self.multipart(head, parts, "mixed")
        return self.multipart(head, parts, "alternative")

    def report(self):
        rng = self.rng
        name, addr = person(rng)
        kind = rng.choice(["kc", "kc", "mis", "mis", "misuse"])
        sers = [serial(rng) for _ in range(rng.randint(1, 6))]
        subj = {"kc": "Key compromise report", "mis": "Misissued certificate", "misuse": "Certificate misuse: phishing"}[kind]
        text = "Hello,\n\nI am reporting a %s for certificates issued by AcmeTrust TLS RSA CA 2024.\n\n" % (
            {"kc": "key compromise", "mis": "misissuance", "misuse": "misuse"}[kind])
        text += "\n".join("Serial: %s" % s for s in sers)
        text += "\n\nhttps://crt.sh/?id=%d\n\n%s\n\nRegards,\n%s\nTel: +44 20 7946 %04d\n" % (
            rng.randint(10 ** 9, 10 ** 10), words(rng, rng.randint(40, 300)), name, rng.randint(0, 9999))
        head, mid = self.envelope("%s <%s>" % (hdr_name(name, rng), addr), "problems@acmetrust.test", subj)
        self.report_ids.append((mid, subj, name, addr))
        ph, pb = encode_body(text, rng)
        parts = [(ph, pb)]
        r = rng.random()
        if r < 0.35 and self.pems:
            pem = rng.choice(self.pems).encode()
            parts.append(("Content-Type: application/x-pem-file; name=\"cert.pem\"\r\n"
                          "Content-Disposition: attachment; filename=\"cert.pem\"\r\n",
                          pem.replace(b"\n", b"\r\n")))
        elif r < 0.5:
            parts.append(self.attachment("application/pkix-cert", "leaf.cer", self.der))
        elif r < 0.65:
            csv = "serial,crtsh_id,name\n" + "".join("%s,%d,host%d.example.com\n" % (
                s.replace(":", "").lower(), rng.randint(10 ** 9, 10 ** 10), i) for i, s in enumerate(sers * 20))
            parts.append(self.attachment("text/csv", "serials.csv", csv.encode()))
        elif r < 0.72:
            parts.append(self.attachment("application/pdf", "evidence.pdf",
                                         self.blob(rng.randint(100000, 3000000))))
        if len(parts) == 1:
            return head.encode() + ph.encode() + b"\r\n" + pb
        return self.multipart(head, parts)

    def followup(self):
        rng = self.rng
        if not self.report_ids:
            return self.report()
        mid, subj, name, addr = rng.choice(self.report_ids)
        text = words(rng, rng.randint(20, 150)) + "\n\nOn %s, %s wrote:\n> %s\n" % (
            date(rng), name, words(rng, 80).replace("\n", "\n> "))
        head, _ = self.envelope("%s <%s>" % (hdr_name(name, rng), addr), "problems@acmetrust.test",
                                "Re: " + subj, "In-Reply-To: %s\r\nReferences: %s\r\n" % (mid, mid))
        ph, pb = encode_body(text, rng)
        return head.encode() + ph.encode() + b"\r\n" + pb

    def autoreply(self):
        rng = self.rng
        name, addr = person(rng)
        if rng.random() < 0.5:
            head, _ = self.envelope("%s <%s>" % (hdr_name(name, rng), addr), "problems@acmetrust.test",
                                    "Automatic reply: Out of office", "Auto-Submitted: auto-replied\r\nX-Autoreply: yes\r\n")
            ph, pb = encode_body("I am out of the office until Monday.\n" + words(rng, 20), rng)
            return head.encode() + ph.encode() + b"\r\n" + pb
        head, _ = self.envelope("MAILER-DAEMON@mx.example.net", "problems@acmetrust.test",
                                "Undelivered Mail Returned to Sender", "Auto-Submitted: auto-replied\r\n")
        b = "=_dsn_%x" % rng.getrandbits(32)
        out = head + ("Content-Type: multipart/report; report-type=delivery-status; boundary=\"%s\"\r\n\r\n"
                      "--%s\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n"
                      "--%s\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.net\r\n"
                      "Final-Recipient: rfc822; %s\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
                      "--%s\r\nContent-Type: message/rfc822\r\n\r\nFrom: problems@acmetrust.test\r\n"
                      "To: %s\r\nSubject: Re: your report\r\n\r\n%s\r\n--%s--\r\n") % (b, b, b, addr, b, addr,
                                                                                 words(rng, 60).replace("\n", "\r\n"), b)
        return out.encode()

    def other(self):
        rng = self.rng
        if rng.random() < 0.5:
            head, _ = self.envelope("=?ISO-2022-JP?B?GyRCJUYlOSVIGyhC?= <news@vendor.example.jp>",
                                    "problems@acmetrust.test", "=?ISO-2022-JP?B?GyRCJCpDTiRpJDsbKEI=?=")
            jp = "お知らせ\n証明書の更新についてのご案内です。\n" * rng.randint(5, 40)
            ph, pb = encode_body(jp, rng, "iso-2022-jp")
            ph = ph.replace("quoted-printable", "7bit").replace("base64", "7bit").replace("8bit", "7bit")
            pb = jp.encode("iso-2022-jp").replace(b"\n", b"\r\n")
            return head.encode() + ph.encode() + b"\r\n" + pb
        head, _ = self.envelope("Newsletter <news@vendor.example>", "problems@acmetrust.test", "PKI news of the month")
        text = words(rng, rng.randint(200, 1500))
        return self.multipart(head, [encode_body(text, rng), self.html(text)], "alternative")

    def one(self):
        r = self.rng.random()
        for p, f in ((0.40, self.list_post), (0.62, self.bugzilla), (0.77, self.spam),
                     (0.87, self.report), (0.93, self.followup), (0.97, self.autoreply),
                     (1.01, self.other)):
            if r < p:
                return f()

    def large(self, mb):
        rng = self.rng
        name, addr = person(rng)
        head, _ = self.envelope("%s <%s>" % (hdr_name(name, rng), addr), "problems@acmetrust.test",
                                "Key compromise: full key dump attached")
        text = "Serial: %s\n\n%s\n" % (serial(rng), words(rng, 20000))
        ph, pb = encode_body(text, rng, "utf-8")
        att = self.attachment("application/octet-stream", "dump.bin",
                              self.rng.randbytes(max(1, int(mb * 1024 * 1024 * 3 / 4) - len(pb))))
        return self.multipart(head, [(ph, pb), att])


def main(argv):
    seed = 2026
    if "--seed" in argv:
        i = argv.index("--seed")
        seed = int(argv[i + 1])
        del argv[i:i + 2]
    g = Gen(seed)
    if len(argv) == 4 and argv[1] == "--large":
        with open(argv[2], "wb") as f:
            f.write(g.large(float(argv[3])))
        return 0
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    out, count = argv[1], int(argv[2])
    for d in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(out, d), exist_ok=True)
    for i in range(count):
        data = g.one()
        with open(os.path.join(out, "cur", "%010d.%06d.bench:2,S" % (1700000000 + i, i)), "wb") as f:
            f.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
