#!/usr/bin/env python3
"""tamper_chain.py - rewrite the audit chain of a cpr-intake database the way
someone with write access to the file could: drop the append-only triggers,
change rows, recompute every hash and the recorded head, so that the chain is
consistent again. Used by t_audit_checkpoints.sh to show that only signed
checkpoints catch that.

    tamper_chain.py DB check                     the mirror below matches every stored hash
    tamper_chain.py DB rewrite --delete 5,6,7,8 [--edit-note ID TEXT]
    tamper_chain.py DB cut N                     delete the last N events

event_hash() mirrors store_event_hash2() in agent/store.c; `check` fails when
they no longer agree (then update it here)."""
import hashlib
import json
import sqlite3
import sys

GENESIS = "0" * 64


def event_hash(prev, row):
    h = hashlib.sha256()
    case_id = row["case_id"] or 0
    rec = row.get("recorded_at") or 0
    if rec:  # rows since schema 4 also cover recorded_at (store_event_hash2)
        h.update(f"cpr-intake-event-v2\n{prev}\n{row['id']}\n{row['at']}\n{case_id}\n{rec}\n".encode())
    else:
        h.update(f"cpr-intake-event-v1\n{prev}\n{row['id']}\n{row['at']}\n{case_id}\n".encode())
    for field in (row["actor"], row["type"], row["details"]):
        b = (field or "").encode()
        h.update(f"{len(b)}:".encode())
        h.update(b)
        h.update(b"\n")
    return h.hexdigest()


def load(db):
    db.row_factory = sqlite3.Row
    return [dict(r) for r in db.execute("SELECT * FROM events ORDER BY id")]


def check(db):
    prev = GENESIS
    for row in load(db):
        if row["prev_hash"] != prev or event_hash(prev, row) != row["hash"]:
            sys.exit(f"tamper_chain.py: event {row['id']}: the mirror of store_event_hash2() "
                     "no longer matches agent/store.c")
        prev = row["hash"]


def rewrite(db, rows):
    """Renumber from 1, rechain, replace every row and the recorded head."""
    db.execute("DROP TRIGGER IF EXISTS events_no_update")
    db.execute("DROP TRIGGER IF EXISTS events_no_delete")
    db.execute("DELETE FROM events")
    prev = GENESIS
    for n, row in enumerate(rows, 1):
        row["id"] = n
        row["prev_hash"] = prev
        row["hash"] = event_hash(prev, row)
        prev = row["hash"]
        cols = list(row)
        db.execute(f"INSERT INTO events ({','.join(cols)}) VALUES ({','.join('?' * len(cols))})",
                   [row[c] for c in cols])
    db.execute("UPDATE health SET value = ? WHERE key = 'audit.head'", (f"{len(rows)}:{prev}",))
    db.commit()


def main(argv):
    db = sqlite3.connect(argv[1])
    what = argv[2]
    if what == "check":
        check(db)
        return
    rows = load(db)
    if what == "cut":
        rewrite(db, rows[:-int(argv[3])])
        return
    args = argv[3:]
    gone = set()
    if "--delete" in args:
        gone = {int(x) for x in args[args.index("--delete") + 1].split(",")}
    if "--edit-note" in args:
        i = args.index("--edit-note")
        target, text = int(args[i + 1]), args[i + 2]
        for row in rows:
            if row["id"] == target:
                details = json.loads(row["details"])
                details["note"] = text
                row["details"] = json.dumps(details)
    rewrite(db, [r for r in rows if r["id"] not in gone])


if __name__ == "__main__":
    main(sys.argv)
