/* mime.h - parse one raw RFC 5322 message with GMime 3 into plain facts.
 *
 * Pure: bytes and limits in, a MimeMessage out. Parsing never fails: malformed
 * mail yields whatever could be read plus one entry in `problems` per defect
 * (empty input, no header fields, oversized header, broken boundary, too deep,
 * bad charset, ...). All strings are valid UTF-8 (converted with the declared
 * charset, else windows-1252, then g_utf8_make_valid). */
#ifndef CPR_MIME_H
#define CPR_MIME_H

#include <glib.h>
#include "bounds.h"

typedef struct {
    char *name;  /* RFC 2047-decoded display name, UTF-8; NULL when absent */
    char *email; /* addr-spec as written, lower-cased; never NULL */
} MimeAddress;

typedef struct {
    char *filename;     /* UTF-8, NULL when absent */
    char *content_type; /* lower-case "type/subtype" */
    GBytes *data;       /* transfer-decoded bytes, at most max_attachment_bytes */
    gboolean truncated; /* data was cut at the bound */
} MimeAttachment;

typedef struct {
    char *message_id;      /* without angle brackets; NULL when absent */
    char *in_reply_to;     /* first msg-id of In-Reply-To, no brackets; or NULL */
    GPtrArray *references; /* char*: msg-ids of References, no brackets, in order */
    char *subject;         /* decoded UTF-8; NULL when absent */

    gboolean has_date;
    gint64 date;           /* Date: as Unix seconds (UTC) */
    gboolean has_received;
    gint64 received;       /* timestamp of the topmost Received: header, Unix seconds */

    GPtrArray *from, *sender, *reply_to, *to, *cc, *delivered_to; /* MimeAddress* */

    char *content_type;    /* top-level, lower-case "type/subtype" */

    /* The message text: text/plain preferred, else HTML reduced to text; parts of
     * multipart/mixed joined with blank lines. Google Groups footers ("-- \nYou
     * received this message because you are subscribed to the Google Groups ...")
     * are removed, also when quoted with "> ". Never NULL (may be ""). */
    char *text;
    gboolean text_truncated;

    GPtrArray *attachments; /* MimeAttachment*: non-body leaf parts and text
                               parts marked as attachment (csv, pem, ...) */
    GPtrArray *problems;    /* char*: one human-readable line per defect */

    /* private: all header fields, in order, names as written, values unfolded
     * and RFC 2047-decoded; read them with mime_message_header(). */
    GPtrArray *header_names, *header_values;
} MimeMessage;

/* Parse `len` bytes. Never returns NULL. Caller owns the result. */
MimeMessage *mime_message_parse(const guint8 *data, gsize len, const Bounds *bounds);

/* Free and clear *msg (NULL-safe). */
void mime_message_free(MimeMessage **msg);

/* Value of the first header field called `name` (case-insensitive), unfolded and
 * decoded, or NULL. Lent: valid while msg lives. */
const char *mime_message_header(const MimeMessage *msg, const char *name);

/* Every header field whose name starts with `prefix` (case-insensitive), as
 * alternating name, value entries. Caller owns the array (not the strings). */
GPtrArray *mime_message_headers_with_prefix(const MimeMessage *msg, const char *prefix);

/* Parse an RFC 5322 date-time (as in Date: or after the ';' of Received:) into
 * Unix seconds. FALSE when it cannot be read. */
gboolean mime_parse_date(const char *text, gint64 *unix_r);

#endif
