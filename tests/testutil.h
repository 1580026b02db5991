/* testutil.h - what the test programs share: fixture files under
 * $CPR_FIXTURES (tests/fixtures from the top by default), the manifest.json
 * files that describe them, and a private temporary directory. Linked into
 * every build/san/tests/test_* program (tests/testutil.c). */
#ifndef CPR_TESTUTIL_H
#define CPR_TESTUTIL_H

#include <glib.h>
#include <json-glib/json-glib.h>

#include "bounds.h"
#include "config.h"
#include "intake.h"
#include "mime.h"
#include "store.h"

/* $CPR_FIXTURES/REL, or tests/fixtures/REL. Caller frees. */
char *tu_fixture_path(const char *rel);
/* A fixture's bytes; NULL and a test message when it cannot be read. */
GBytes *tu_read_fixture(const char *rel);
/* The same as a NUL-terminated string. Caller frees. */
char *tu_read_fixture_text(const char *rel);
/* mime_message_parse() of a fixture within BOUNDS (NULL: bounds_default()).
 * A file that cannot be read fails the test and parses as an empty message. */
MimeMessage *tu_parse_fixture(const char *rel, const Bounds *bounds);

/* A manifest (a JSON array of objects, e.g. "samples/manifest.json") loaded
 * into PARSER, which owns the result. NULL and a test message on error. */
JsonArray *tu_load_manifest(const char *rel, JsonParser *parser);
/* The row of ROWS whose "file" is FILE, or NULL. */
JsonObject *tu_manifest_row(JsonArray *rows, const char *file);
/* The strings of array member MEMBER of O (none when absent). Caller unrefs. */
GPtrArray *tu_json_strings(JsonObject *o, const char *member);
/* A string member, NULL when it is null or absent. */
const char *tu_json_nullable_string(JsonObject *o, const char *member);

/* A configuration fixture, e.g. "conf/samples.conf" (the sample CA); the
 * test program aborts when it does not load. Caller frees (config_free). */
Config *tu_load_config(const char *rel);
/* A store DIR/NAME, opened (and migrated); asserts that it opens. */
Store *tu_store_open(const char *dir, const char *name);
/* intake_message() of the fixture REL (e.g. "samples/001-kc-csr-proof.eml") at
 * NOW, its path as the source; asserts success. Caller frees the result. */
IntakeResult *tu_ingest_fixture(Intake *in, const char *rel, gint64 now);

/* A new private directory under $TMPDIR named after PREFIX; aborts the test
 * program when none can be made. tu_tmpdir_remove() deletes it and frees DIR. */
char *tu_tmpdir_new(const char *prefix);
void tu_tmpdir_remove(char *dir);

#endif
