#!/usr/bin/env python3
"""large_message.py OUT MEGABYTES - write a made-up problem report of about
MEGABYTES MB: a short text/plain report naming a serial number, and a key
dump attached as base64 (random bytes). Generated at test time (issue 16),
never committed."""
import base64
import os
import sys


def main(argv):
    out, mb = argv[1], float(argv[2])
    head = (b"From: Dana Whitlock <dana@reporter.example>\r\n"
            b"To: problems@acmetrust.test\r\n"
            b"Subject: Key compromise: full key dump attached\r\n"
            b"Date: Thu, 03 Dec 2026 10:00:00 +0000\r\n"
            b"Message-ID: <large-" + str(int(mb)).encode() + b"@reporter.example>\r\n"
            b"MIME-Version: 1.0\r\n"
            b"Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
            b"--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
            b"The private key of the certificate with serial number\r\n"
            b"4f:1a:22:9c:0d:7e:31:aa:5b:60:12:ef:93:c4:08:7d is in the attached dump.\r\n"
            b"--b1\r\nContent-Type: application/octet-stream; name=\"dump.bin\"\r\n"
            b"Content-Disposition: attachment; filename=\"dump.bin\"\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\n")
    target = int(mb * 1024 * 1024)
    with open(out, "wb") as f:
        f.write(head)
        written = len(head)
        while written < target:
            line = base64.b64encode(os.urandom(57 * 1000))
            chunk = b"\r\n".join(line[i:i + 76] for i in range(0, len(line), 76)) + b"\r\n"
            f.write(chunk)
            written += len(chunk)
        f.write(b"--b1--\r\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
