#!/usr/bin/env python3
"""png_colors.py - what a PNG screenshot shows, without any imaging library.

    png_colors.py FILE

Prints one JSON object: width, height, the share of pixels that are not
(near) white, and how many pixels are strongly green, red, orange and blue
(the status colours of the HTML report). 8-bit RGB or RGBA, non-interlaced
(what Chromium writes)."""
import json
import struct
import sys
import zlib


def pixels(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise SystemExit("not a PNG")
    pos, idat, ihdr = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    w, h, depth, ctype, _, _, interlace = ihdr
    if depth != 8 or ctype not in (2, 6) or interlace:
        raise SystemExit("unsupported PNG (depth %d, colour type %d)" % (depth, ctype))
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(idat)
    stride = w * bpp
    prev = bytearray(stride)
    rows = []
    i = 0
    for _ in range(h):
        f = raw[i]
        line = bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if f == 1:
                line[x] = (line[x] + a) & 255
            elif f == 2:
                line[x] = (line[x] + b) & 255
            elif f == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line)
        prev = line
    return w, h, bpp, rows


def main():
    w, h, bpp, rows = pixels(sys.argv[1])
    counts = {"not_white": 0, "green": 0, "red": 0, "orange": 0, "blue": 0}
    for line in rows:
        for x in range(0, w * bpp, bpp):
            r, g, b = line[x], line[x + 1], line[x + 2]
            if r < 235 or g < 235 or b < 235:
                counts["not_white"] += 1
            if g > r + 40 and g > b + 40:
                counts["green"] += 1
            elif r > 150 and g < 80 and b < 80:
                counts["red"] += 1
            elif r > 200 and 80 <= g <= 170 and b < 60:
                counts["orange"] += 1
            elif b > r + 60 and b > g + 20:
                counts["blue"] += 1
    total = w * h
    print(json.dumps({"width": w, "height": h,
                      "not_white_share": counts["not_white"] / total if total else 0,
                      **{k: v for k, v in counts.items() if k != "not_white"}}))


main()
