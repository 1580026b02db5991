/* jsonutil.h - small json-glib helpers shared by every JSON output.
 *
 * json-glib copies invalid UTF-8 into its output (SPEC 5), so every string that
 * may come from mail goes through jsonutil_add_string(), which makes it valid;
 * and json-glib leaves some control characters unescaped, so every document is
 * written through jsonutil_node_to_string() (jsonutil_escape_controls()). */
#ifndef CPR_JSONUTIL_H
#define CPR_JSONUTIL_H

#include <glib.h>
#include <json-glib/json-glib.h>

/* Adds "key": value, or "key": null when value is NULL. */
void jsonutil_add_string(JsonBuilder *b, const char *key, const char *value);
void jsonutil_add_int(JsonBuilder *b, const char *key, gint64 value);
void jsonutil_add_bool(JsonBuilder *b, const char *key, gboolean value);
/* RFC 3339 UTC string, or null when unix_seconds <= 0 and `zero_is_null`. */
void jsonutil_add_time(JsonBuilder *b, const char *key, gint64 unix_seconds, gboolean zero_is_null);
/* "key": [strings...] from a GPtrArray of char* (NULL array = []). */
void jsonutil_add_strv(JsonBuilder *b, const char *key, const GPtrArray *values);
/* The builder's root as JSON (one line unless `pretty`), through
 * jsonutil_escape_controls(); caller frees. */
char *jsonutil_builder_to_string(JsonBuilder *b, gboolean pretty);
/* The same for a node: the one way this program turns a JSON tree into text. */
char *jsonutil_node_to_string(JsonNode *root, gboolean pretty);
/* The sanitiser every JSON output goes through: a copy of `json` with each
 * control character (0x00-0x1F, 0x7F) inside a string written as \u00XX.
 * json-glib 1.6.6 escapes only some of them (0x1F and 0x7F go out raw, which
 * makes the document invalid JSON). Characters outside strings (the pretty
 * printer's newlines) are kept. NULL for NULL; caller frees. */
char *jsonutil_escape_controls(const char *json);
/* {"k": "v", ...} as compact JSON from alternating key, value strings, the
 * list ended by a NULL key (a NULL value is null); caller frees. For the
 * details of audit events. */
char *jsonutil_object_of_strings(const char *first_key, ...) G_GNUC_NULL_TERMINATED;

#endif
