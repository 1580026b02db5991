/* jsonutil.c - json-glib helpers (see jsonutil.h). */
#include "jsonutil.h"
#include "timefmt.h"

#include <string.h>

void jsonutil_add_string(JsonBuilder *b, const char *key, const char *value)
{
    if (key)
        json_builder_set_member_name(b, key);
    if (!value) {
        json_builder_add_null_value(b);
        return;
    }
    g_autofree char *valid = g_utf8_make_valid(value, -1);
    json_builder_add_string_value(b, valid);
}

void jsonutil_add_int(JsonBuilder *b, const char *key, gint64 value)
{
    json_builder_set_member_name(b, key);
    json_builder_add_int_value(b, value);
}

void jsonutil_add_bool(JsonBuilder *b, const char *key, gboolean value)
{
    json_builder_set_member_name(b, key);
    json_builder_add_boolean_value(b, value);
}

void jsonutil_add_time(JsonBuilder *b, const char *key, gint64 unix_seconds, gboolean zero_is_null)
{
    if (zero_is_null && unix_seconds <= 0) {
        jsonutil_add_string(b, key, NULL);
        return;
    }
    g_autofree char *t = timefmt_rfc3339(unix_seconds);
    jsonutil_add_string(b, key, t);
}

void jsonutil_add_strv(JsonBuilder *b, const char *key, const GPtrArray *values)
{
    json_builder_set_member_name(b, key);
    json_builder_begin_array(b);
    for (guint i = 0; values && i < values->len; i++)
        jsonutil_add_string(b, NULL, g_ptr_array_index(values, i));
    json_builder_end_array(b);
}

char *jsonutil_escape_controls(const char *json)
{
    if (!json)
        return NULL;
    GString *out = g_string_sized_new(strlen(json) + 16);
    gboolean in_string = FALSE, escaped = FALSE;
    for (const unsigned char *p = (const unsigned char *)json; *p; p++) {
        unsigned char c = *p;
        if (in_string && (c < 0x20 || c == 0x7f)) {
            /* Also ends a pending backslash: "\" then a raw control byte is
             * not something a generator writes, but never leave it raw. */
            g_string_append_printf(out, "\\u%04x", c);
            escaped = FALSE;
            continue;
        }
        g_string_append_c(out, (char)c);
        if (!in_string) {
            if (c == '"')
                in_string = TRUE;
        } else if (escaped) {
            escaped = FALSE;
        } else if (c == '\\') {
            escaped = TRUE;
        } else if (c == '"') {
            in_string = FALSE;
        }
    }
    return g_string_free(out, FALSE);
}

char *jsonutil_node_to_string(JsonNode *root, gboolean pretty)
{
    g_autoptr(JsonGenerator) gen = json_generator_new();
    json_generator_set_pretty(gen, pretty);
    json_generator_set_root(gen, root);
    g_autofree char *raw = json_generator_to_data(gen, NULL);
    return jsonutil_escape_controls(raw);
}

char *jsonutil_builder_to_string(JsonBuilder *b, gboolean pretty)
{
    g_autoptr(JsonNode) root = json_builder_get_root(b);
    return jsonutil_node_to_string(root, pretty);
}

char *jsonutil_object_of_strings(const char *first_key, ...)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    va_list ap;
    va_start(ap, first_key);
    for (const char *key = first_key; key; key = va_arg(ap, const char *))
        jsonutil_add_string(b, key, va_arg(ap, const char *));
    va_end(ap);
    json_builder_end_object(b);
    return jsonutil_builder_to_string(b, FALSE);
}
