/* store_schema.c - the database schema, as migrations.
 *
 * MIGRATIONS[i] takes the database from PRAGMA user_version i to i+1. Never edit
 * a migration that has shipped: add the next one. The README's "Database"
 * section explains the tables for operators and auditors. */
#include "store_schema.h"

static const char *const MIGRATIONS[] = {
    /* 0 -> 1: the intake pipeline */
    "CREATE TABLE cases ("
    "  id INTEGER PRIMARY KEY,"
    "  reference TEXT NOT NULL UNIQUE,"          /* CPR-YYYY-NNNN */
    "  year INTEGER NOT NULL,"
    "  seq INTEGER NOT NULL,"
    "  kind TEXT NOT NULL,"                      /* kind of the first message */
    "  list TEXT,"
    "  problem TEXT NOT NULL,"
    "  title TEXT,"
    "  aware_at INTEGER NOT NULL,"               /* Unix seconds UTC */
    "  aware_source TEXT NOT NULL,"              /* imap_internaldate|received|date|ingest */
    "  status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open','closed')),"
    "  created_at INTEGER NOT NULL,"
    "  UNIQUE (year, seq));"
    "CREATE TABLE messages ("
    "  id INTEGER PRIMARY KEY,"
    "  message_id TEXT,"                         /* without <>, NULL when absent */
    "  raw_sha256 TEXT NOT NULL,"
    "  raw BLOB NOT NULL,"                       /* the message exactly as received */
    "  size INTEGER NOT NULL,"
    "  aware_at INTEGER NOT NULL,"
    "  aware_source TEXT NOT NULL,"
    "  ingested_at INTEGER NOT NULL,"
    "  source TEXT NOT NULL,"                    /* first place it was seen */
    "  kind TEXT NOT NULL,"
    "  list TEXT,"
    "  problem TEXT,"
    "  subject TEXT,"
    "  from_email TEXT,"
    "  in_reply_to TEXT,"
    "  refs TEXT,"                               /* References, space-separated */
    "  case_id INTEGER REFERENCES cases(id),"
    "  quarantined INTEGER NOT NULL DEFAULT 0,"  /* parse problems: needs a human */
    "  parse_problems TEXT);"                    /* JSON array of strings */
    "CREATE UNIQUE INDEX messages_message_id ON messages(message_id) WHERE message_id IS NOT NULL;"
    "CREATE INDEX messages_raw_sha256 ON messages(raw_sha256);"
    "CREATE INDEX messages_case ON messages(case_id);"
    "CREATE TABLE message_sources ("             /* every place a message was seen */
    "  message_row INTEGER NOT NULL REFERENCES messages(id),"
    "  source TEXT NOT NULL,"
    "  folder TEXT, uidvalidity INTEGER, uid INTEGER,"
    "  seen_at INTEGER NOT NULL);"
    "CREATE UNIQUE INDEX message_sources_imap ON message_sources(folder, uidvalidity, uid)"
    "  WHERE folder IS NOT NULL;"
    "CREATE INDEX message_sources_message ON message_sources(message_row);"
    "CREATE TABLE identifiers ("
    "  message_row INTEGER NOT NULL REFERENCES messages(id),"
    "  type TEXT NOT NULL CHECK (type IN ('serial','sha256','crtsh_id','domain')),"
    "  value TEXT NOT NULL,"
    "  PRIMARY KEY (message_row, type, value));"
    "CREATE INDEX identifiers_value ON identifiers(type, value);"
    "CREATE TABLE certificates ("
    "  message_row INTEGER NOT NULL REFERENCES messages(id),"
    "  sha256 TEXT NOT NULL, serial TEXT NOT NULL, issuer TEXT, subject TEXT,"
    "  not_before INTEGER, not_after INTEGER, precert INTEGER NOT NULL,"
    "  sans TEXT,"                                /* JSON array */
    "  PRIMARY KEY (message_row, sha256));"
    "CREATE TABLE clocks ("
    "  case_id INTEGER NOT NULL REFERENCES cases(id),"
    "  clock TEXT NOT NULL,"
    "  starts_at INTEGER,"                       /* NULL until its starting event */
    "  due_at INTEGER,"
    "  met_at INTEGER,"
    "  PRIMARY KEY (case_id, clock));"
    "CREATE TABLE events ("                      /* append-only, hash-chained */
    "  id INTEGER PRIMARY KEY,"
    "  at INTEGER NOT NULL,"
    "  actor TEXT NOT NULL,"
    "  case_id INTEGER,"
    "  type TEXT NOT NULL,"
    "  details TEXT,"
    "  prev_hash TEXT NOT NULL,"
    "  hash TEXT NOT NULL);"
    "CREATE INDEX events_case ON events(case_id);"
    /* Refuse accidental edits; a deliberate tamperer who drops these is caught by
     * `audit verify`, which recomputes the chain. */
    "CREATE TRIGGER events_no_update BEFORE UPDATE ON events"
    "  BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;"
    "CREATE TRIGGER events_no_delete BEFORE DELETE ON events"
    "  BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;"
    "CREATE TABLE consent ("
    "  email TEXT PRIMARY KEY, name TEXT, evidence TEXT NOT NULL,"
    "  granted_at INTEGER NOT NULL, revoked_at INTEGER);"
    "CREATE TABLE folders ("
    "  folder TEXT PRIMARY KEY,"
    "  uidvalidity INTEGER NOT NULL DEFAULT 0,"
    "  last_uid INTEGER NOT NULL DEFAULT 0,"     /* highest UID committed */
    "  last_sync INTEGER);"
    "CREATE TABLE health (key TEXT PRIMARY KEY, value TEXT, at INTEGER);",

    /* 1 -> 2: drafts, Bugzilla filing, consent audit, notifications */
    "ALTER TABLE cases ADD COLUMN bug_id INTEGER;"
    "ALTER TABLE cases ADD COLUMN bug_url TEXT;"
    /* A unique marker filed with the bug (whiteboard), so that an attempt whose
     * answer was lost can be found again instead of filing twice. */
    "ALTER TABLE cases ADD COLUMN bug_marker TEXT;"
    "ALTER TABLE cases ADD COLUMN bug_attempt_at INTEGER;"  /* a filing attempt in flight */
    "ALTER TABLE cases ADD COLUMN security_sensitive INTEGER NOT NULL DEFAULT 0;"
    "CREATE TABLE outbox ("                  /* every notification, before delivery */
    "  id INTEGER PRIMARY KEY,"
    "  target TEXT NOT NULL,"                /* notify.NAME, or 'reporter-ack' */
    "  case_id INTEGER REFERENCES cases(id),"
    "  kind TEXT NOT NULL,"                  /* page | escalation | acknowledge | resolve | ack_mail | health */
    "  dedup_key TEXT NOT NULL,"             /* stable per case and clock and point */
    "  payload TEXT NOT NULL,"               /* already redacted and leak-checked */
    "  created_at INTEGER NOT NULL,"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  next_attempt_at INTEGER NOT NULL,"
    "  last_error TEXT,"
    "  delivered_at INTEGER,"
    "  failed_at INTEGER,"                   /* given up: permanent failure, reported */
    "  UNIQUE (target, dedup_key));"
    "CREATE INDEX outbox_pending ON outbox(next_attempt_at) WHERE delivered_at IS NULL AND failed_at IS NULL;"
    "CREATE TABLE escalations ("             /* each escalation point pages once */
    "  case_id INTEGER NOT NULL REFERENCES cases(id),"
    "  clock TEXT NOT NULL,"
    "  point INTEGER NOT NULL,"              /* percent of the window; 100 = overdue */
    "  due_at INTEGER NOT NULL,"             /* the due time it was computed for */
    "  fired_at INTEGER NOT NULL,"
    "  PRIMARY KEY (case_id, clock, point, due_at));"
    "CREATE TABLE acks_sent ("               /* acknowledgements to reporters */
    "  case_id INTEGER NOT NULL REFERENCES cases(id),"
    "  email TEXT NOT NULL,"
    "  message_id TEXT NOT NULL,"
    "  sent_at INTEGER NOT NULL,"
    "  PRIMARY KEY (case_id, email));",

    /* 2 -> 3: obligations as separate clocks (issue 10, SPEC 2.3): the BR
     * 4.9.1.1 reason of a case, its incident state, one clock per question,
     * withdrawn clocks, linked delayed-revocation cases. Clock rows are
     * derived from the case and its events (clocks.c); the rows of existing
     * cases are recomputed by clocks_upgrade() on first open, which reads the
     * cases listed in clocks_upgrade_pending. */
    "ALTER TABLE cases ADD COLUMN revocation_reason INTEGER;"   /* BR row 1..16; NULL: none or assumed */
    "ALTER TABLE cases ADD COLUMN reason_source TEXT"           /* NULL: concerns no certificate */
    "  CHECK (reason_source IN ('inferred','assumed','set'));"
    "ALTER TABLE cases ADD COLUMN reason_candidates INTEGER NOT NULL DEFAULT 0;" /* bit n: row n */
    "ALTER TABLE cases ADD COLUMN report_owed INTEGER NOT NULL DEFAULT 0;"      /* BR 4.9.5 applies */
    "ALTER TABLE cases ADD COLUMN incident TEXT NOT NULL DEFAULT 'undetermined'"
    "  CHECK (incident IN ('undetermined','yes','no'));"
    "ALTER TABLE cases ADD COLUMN incident_rationale TEXT;"
    "ALTER TABLE cases ADD COLUMN incident_aware_at INTEGER;"
    "ALTER TABLE cases ADD COLUMN auto_incident_at INTEGER;"    /* the sweep declared it, once */
    "ALTER TABLE cases ADD COLUMN linked_case_id INTEGER REFERENCES cases(id);"
    "CREATE UNIQUE INDEX cases_bug ON cases(bug_id) WHERE bug_id IS NOT NULL;"
    "CREATE UNIQUE INDEX cases_delayed ON cases(linked_case_id) WHERE kind = 'delayed_revocation';"
    "ALTER TABLE messages ADD COLUMN reason_candidates INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE certificates ADD COLUMN is_ca INTEGER;"          /* basicConstraints CA */
    "ALTER TABLE certificates ADD COLUMN short_lived INTEGER;"    /* BR 1.6.1 */
    "ALTER TABLE certificates ADD COLUMN foreign_issuer INTEGER;" /* issuer is none of [ca] ca_names */
    "CREATE TABLE clocks_v3 ("
    "  case_id INTEGER NOT NULL REFERENCES cases(id),"
    "  clock TEXT NOT NULL,"
    "  ref INTEGER NOT NULL DEFAULT 0,"          /* question: Bugzilla comment number */
    "  starts_at INTEGER NOT NULL,"
    "  due_at INTEGER NOT NULL,"
    "  met_at INTEGER,"
    "  page_at INTEGER,"                         /* an extra paging time in the window */
    "  withdrawn INTEGER NOT NULL DEFAULT 0,"
    "  rule TEXT,"
    "  PRIMARY KEY (case_id, clock, ref));"
    "INSERT INTO clocks_v3 (case_id, clock, starts_at, due_at, met_at)"
    "  SELECT case_id, clock, starts_at, due_at, met_at FROM clocks"
    "  WHERE starts_at IS NOT NULL AND due_at IS NOT NULL;"
    "DROP TABLE clocks;"
    "ALTER TABLE clocks_v3 RENAME TO clocks;"
    "CREATE TABLE clock_misses ("                /* the sweep's clock_missed events, once each */
    "  case_id INTEGER NOT NULL REFERENCES cases(id),"
    "  clock TEXT NOT NULL, ref INTEGER NOT NULL, due_at INTEGER NOT NULL,"
    "  recorded_at INTEGER NOT NULL,"
    "  premigration INTEGER NOT NULL DEFAULT 0," /* passed before the upgrade: opens nothing */
    "  reviewed_at INTEGER,"
    "  PRIMARY KEY (case_id, clock, ref, due_at));"
    "CREATE TABLE clocks_upgrade_pending (case_id INTEGER PRIMARY KEY);"
    "INSERT INTO clocks_upgrade_pending SELECT id FROM cases;",

    /* 3 -> 4: evidence that holds up (issue 13). Each event records when it
     * was written (covered by its hash from now on; NULL for older rows,
     * which keep their v1 hash); a clock met by an event written after the
     * fact says so. A Message-ID no longer makes two messages one: a copy is
     * a duplicate only when its content (trace headers aside) is the same;
     * other content under a known Message-ID is its own message. */
    "ALTER TABLE events ADD COLUMN recorded_at INTEGER;"
    "ALTER TABLE clocks ADD COLUMN backfilled INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE messages ADD COLUMN content_sha256 TEXT;"   /* SHA-256 without trace headers */
    "ALTER TABLE messages ADD COLUMN message_id_reused INTEGER NOT NULL DEFAULT 0;"
    "DROP INDEX messages_message_id;"
    "CREATE INDEX messages_message_id ON messages(message_id) WHERE message_id IS NOT NULL;"
    "CREATE INDEX messages_content ON messages(content_sha256);",

    /* 4 -> 5: the Subscriber a case's BR 4.9.5 mail goes to (issue 12,
     * `case subscriber`); one per case, the latest recorded. */
    "CREATE TABLE case_subscribers ("
    "  case_id INTEGER PRIMARY KEY REFERENCES cases(id),"
    "  email TEXT NOT NULL,"
    "  name TEXT,"
    "  recorded_at INTEGER NOT NULL);",


    /* 5 -> 6: issue 11: the classification rules that fired, per message (JSON
     * array); the review of mail to a report address that opened no case */
    "ALTER TABLE messages ADD COLUMN rules TEXT;"
    "CREATE TABLE triage_reviews ("
    "  message_row INTEGER PRIMARY KEY REFERENCES messages(id),"
    "  reviewed_at INTEGER NOT NULL,"
    "  by TEXT NOT NULL,"
    "  note TEXT);",

    /* 6 -> 7: consent keeps its history (issue 18). `consent` stays the
     * current state per address; every grant and revocation is also a row
     * of consent_history, so a second grant no longer erases the evidence of
     * the first. Existing rows become their grant (and revocation). */
    "CREATE TABLE consent_history ("
    "  id INTEGER PRIMARY KEY,"
    "  email TEXT NOT NULL,"
    "  action TEXT NOT NULL CHECK (action IN ('grant','revoke')),"
    "  name TEXT,"
    "  evidence TEXT,"                          /* NULL for revocations */
    "  at INTEGER NOT NULL,"
    "  actor TEXT);"                            /* NULL: rows from before the history */
    "CREATE INDEX consent_history_email ON consent_history(email, id);"
    "INSERT INTO consent_history (email, action, name, evidence, at)"
    "  SELECT email, 'grant', name, evidence, granted_at FROM consent ORDER BY granted_at, email;"
    "INSERT INTO consent_history (email, action, at)"
    "  SELECT email, 'revoke', revoked_at FROM consent WHERE revoked_at IS NOT NULL"
    "  ORDER BY revoked_at, email;",

    /* 7 -> 8: issue 12. The certificate policy OIDs of a parsed certificate
     * (JSON array; NULL for rows stored before they were read, whose type a
     * draft then calls unknown), and where a case's Subscriber address came
     * from: `case subscriber` ('set') or a Subscriber's own report
     * ('report', with the message it came from; NULL before this step). */
    "ALTER TABLE certificates ADD COLUMN policy_oids TEXT;"
    "ALTER TABLE case_subscribers ADD COLUMN source TEXT"
    "  CHECK (source IN ('set','report'));"
    "ALTER TABLE case_subscribers ADD COLUMN message_row INTEGER REFERENCES messages(id);",
    /* 8 -> 9: issue 16: the raw message in its own table. Written last, as a
     * zeroblob filled by incremental blob I/O, SQLite never builds a record
     * holding a 30 MB message, and no later UPDATE of a messages row rewrites
     * it. messages.raw stays (NOT NULL) and is empty from here on; readers
     * read message_raw. */
    "CREATE TABLE message_raw ("
    "  message_row INTEGER PRIMARY KEY REFERENCES messages(id),"
    "  raw BLOB NOT NULL);"                     /* the message exactly as received */
    "INSERT INTO message_raw (message_row, raw) SELECT id, raw FROM messages ORDER BY id;"
    "UPDATE messages SET raw = X'';",
    /* 9 -> 10: issue 16: the held pages and acknowledgements, by id. The
     * flood summary counts them since the last summary on every notify
     * tick; without an index that walked the whole audit chain, which only
     * grows (2 ms a tick at 13,000 events). Partial, so that no other query
     * on events (by case, by type and case) can be planned through it. The
     * outbox keeps every notification ever sent; by kind and creation time,
     * each new case's page counts the pages of the last hour (the flood
     * limits) and the tick finds the last flood summary without walking it. */
    "CREATE INDEX events_held ON events(id) WHERE type IN ('page_held', 'ack_held');"
    "CREATE INDEX outbox_kind_created ON outbox(kind, created_at);",
};

guint store_schema_version(void)
{
    return G_N_ELEMENTS(MIGRATIONS);
}

const char *store_schema_migration(guint from_version)
{
    return from_version < G_N_ELEMENTS(MIGRATIONS) ? MIGRATIONS[from_version] : NULL;
}
