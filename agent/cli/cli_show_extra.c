/* cli_show_extra.c - what `show` and `list` add for people at the CA's own
 * terminal (issue 18): the senders of a stored message, the note of an
 * event, how late a clock was, and whether to colour. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <gmime/gmime.h>
#include <json-glib/json-glib.h>

#include "bounds.h"
#include "cli.h"

/* The header block only (bounded): senders need nothing else. */
static gsize header_length(const guint8 *raw, gsize len)
{
    Bounds bounds = bounds_default();
    gsize max = MIN(len, bounds.max_header_bytes);
    for (gsize i = 0; i + 1 < max; i++) {
        if (raw[i] == '\n' && raw[i + 1] == '\n')
            return i + 1;
        if (raw[i] == '\n' && raw[i + 1] == '\r' && i + 2 < max && raw[i + 2] == '\n')
            return i + 1;
    }
    return max;
}

static char *address_text(InternetAddressList *list)
{
    if (!list || internet_address_list_length(list) == 0)
        return NULL;
    return internet_address_list_to_string(list, NULL, FALSE);
}

void cli_message_senders(const guint8 *raw, gsize len, char **from_r, char **reply_to_r)
{
    *from_r = *reply_to_r = NULL;
    if (!raw || len == 0)
        return;
    gsize n = header_length(raw, len);
    g_autoptr(GByteArray) head = g_byte_array_sized_new((guint)n + 2);
    g_byte_array_append(head, raw, (guint)n);
    g_byte_array_append(head, (const guint8 *)"\n\n", 2);
    /* GMime 3.2 has no g_autoptr for its types */
    GMimeStream *stream = g_mime_stream_mem_new_with_byte_array(head);
    g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(stream), FALSE);
    GMimeParser *parser = g_mime_parser_new_with_stream(stream);
    GMimeMessage *msg = g_mime_parser_construct_message(parser, NULL);
    if (msg) {
        *from_r = address_text(g_mime_message_get_from(msg));
        *reply_to_r = address_text(g_mime_message_get_reply_to(msg));
        g_object_unref(msg);
    }
    g_object_unref(parser);
    g_object_unref(stream);
}

char *cli_event_note(const char *details_json)
{
    if (!details_json)
        return NULL;
    g_autoptr(JsonParser) p = json_parser_new();
    if (!json_parser_load_from_data(p, details_json, -1, NULL))
        return NULL;
    JsonNode *root = json_parser_get_root(p);
    if (!JSON_NODE_HOLDS_OBJECT(root))
        return NULL;
    JsonObject *o = json_node_get_object(root);
    JsonNode *n = json_object_get_member(o, "note");
    if (!n || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING)
        return NULL;
    return g_strdup(json_node_get_string(n));
}

gint64 cli_clock_lateness(gint64 due_at, gint64 met_at, gboolean withdrawn, gint64 now)
{
    if (withdrawn && !met_at)
        return 0;
    gint64 end = met_at ? met_at : now;
    return end > due_at ? end - due_at : 0;
}

gboolean cli_colour(void)
{
    const char *no = g_getenv("NO_COLOR");
    return isatty(STDOUT_FILENO) && !(no && *no);
}
