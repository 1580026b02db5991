/* mime.c - parse one raw RFC 5322 message with GMime 3 (see mime.h).
 *
 * The steps, each in its own module:
 *   1. mime_prescan bounds the raw bytes before GMime sees them (header
 *      bytes, message size, number of containers);
 *   2. GMime parses what is left; its warnings become problems;
 *   3. mime_headers reads the header fields;
 *   4. this file walks the GMime tree with our own depth and leaf-part bounds,
 *      transfer-decodes every part through a bounded read, converts text to
 *      UTF-8 with charset (never trusting GMime to have done it), reduces
 *      HTML with html2text and keeps other leaves as attachments;
 *   5. listfooter removes list footers from the joined text, which is then cut
 *      to max_text_bytes.
 * Every defect becomes one line in `problems` (mime_problems). */
#include "mime.h"

#include <string.h>
#include <gmime/gmime.h>

#include "charset.h"
#include "html2text.h"
#include "listfooter.h"
#include "mime_headers.h"
#include "mime_prescan.h"
#include "mime_problems.h"

/* GMime 3.2 declares no autoptr cleanups of its own. */
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GMimeStream, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GMimeParser, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GMimeMessage, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GMimeFilter, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GMimeParserOptions, g_mime_parser_options_free)

/* Raw (transfer-decoded) bytes read for one body text part, as a multiple of
 * max_text_bytes: HTML shrinks a lot when reduced to text, UTF-16 by half. */
#define TEXT_RAW_FACTOR 4

typedef struct {
    MimeMessage *msg;
    const Bounds *bounds;
    guint leaf_parts;
    gboolean depth_reported, parts_reported;
    GString *text;
} Walk;

/* ---- the MimeMessage ---------------------------------------------------- */

static void mime_attachment_free(gpointer p)
{
    MimeAttachment *a = p;
    if (!a)
        return;
    g_free(a->filename);
    g_free(a->content_type);
    if (a->data)
        g_bytes_unref(a->data);
    g_free(a);
}

static MimeMessage *mime_message_new_empty(void)
{
    MimeMessage *msg = g_new0(MimeMessage, 1);
    msg->references = g_ptr_array_new_with_free_func(g_free);
    mime_headers_addresses_new(msg);
    msg->attachments = g_ptr_array_new_with_free_func(mime_attachment_free);
    msg->problems = mime_problems_new();
    msg->header_names = g_ptr_array_new_with_free_func(g_free);
    msg->header_values = g_ptr_array_new_with_free_func(g_free);
    return msg;
}

/* NULL-safe field by field: a MimeMessage built by hand may leave arrays NULL. */
void mime_message_free(MimeMessage **msgp)
{
    if (!msgp || !*msgp)
        return;
    MimeMessage *msg = *msgp;
    g_free(msg->message_id);
    g_free(msg->in_reply_to);
    g_clear_pointer(&msg->references, g_ptr_array_unref);
    g_free(msg->subject);
    mime_headers_addresses_free(msg);
    g_free(msg->content_type);
    g_free(msg->text);
    g_clear_pointer(&msg->attachments, g_ptr_array_unref);
    g_clear_pointer(&msg->problems, g_ptr_array_unref);
    g_clear_pointer(&msg->header_names, g_ptr_array_unref);
    g_clear_pointer(&msg->header_values, g_ptr_array_unref);
    g_free(msg);
    *msgp = NULL;
}

/* ---- text --------------------------------------------------------------- */

/* Text bytes in `charset` (may be NULL) to valid UTF-8; `what` names the part
 * in problems. Always returns a string. */
static char *text_to_utf8(MimeMessage *msg, const guint8 *data, gsize len,
                          const char *charset, const char *what)
{
    g_autofree char *problem = NULL;
    char *out = charset_to_utf8(data, len, charset, &problem);
    if (problem)
        mime_problems_add(msg->problems, "%s: %s", what, problem);
    return out;
}

/* ---- GMime warnings ----------------------------------------------------- */

typedef struct {
    GMimeParserWarning code;
    const char *text;
} WarningText;

static const WarningText warning_texts[] = {
    {GMIME_WARN_DUPLICATED_HEADER, "duplicated header field"},
    {GMIME_WARN_DUPLICATED_PARAMETER, "duplicated header parameter"},
    {GMIME_WARN_UNENCODED_8BIT_HEADER, "unencoded 8-bit header"},
    {GMIME_WARN_INVALID_CONTENT_TYPE, "invalid Content-Type"},
    {GMIME_WARN_INVALID_RFC2047_HEADER_VALUE, "invalid RFC 2047 encoded-word"},
    {GMIME_WARN_MALFORMED_MULTIPART, "multipart without parts (missing or unmatched boundary)"},
    {GMIME_WARN_TRUNCATED_MESSAGE, "truncated message (missing closing boundary)"},
    {GMIME_WARN_MALFORMED_MESSAGE, "malformed message"},
    {GMIME_CRIT_INVALID_HEADER_NAME, "invalid header field name"},
    {GMIME_CRIT_CONFLICTING_HEADER, "conflicting header fields"},
    {GMIME_CRIT_CONFLICTING_PARAMETER, "conflicting header parameters"},
    {GMIME_CRIT_MULTIPART_WITHOUT_BOUNDARY, "multipart without boundary parameter"},
    {GMIME_WARN_INVALID_PARAMETER, "invalid header parameter"},
    {GMIME_WARN_INVALID_ADDRESS_LIST, "invalid address list"},
    {GMIME_CRIT_NESTING_OVERFLOW, "MIME nesting overflow"},
    {GMIME_WARN_PART_WITHOUT_CONTENT, "MIME part without content"},
    {GMIME_CRIT_PART_WITHOUT_HEADERS_OR_CONTENT, "MIME part without headers or content"},
};

static void on_gmime_warning(gint64 offset, GMimeParserWarning code, const gchar *item,
                             gpointer user_data)
{
    MimeMessage *msg = user_data;
    const char *text = "MIME parser warning";
    for (gsize i = 0; i < G_N_ELEMENTS(warning_texts); i++)
        if (warning_texts[i].code == code)
            text = warning_texts[i].text;
    if (item && *item) {
        g_autofree char *short_item = g_strndup(item, 60);
        mime_problems_add(msg->problems, "%s: %s", text, short_item);
    } else {
        mime_problems_add(msg->problems, "%s", text);
    }
}

/* ---- body --------------------------------------------------------------- */

/* A stream that transfer-decodes `raw`, the content of `content`; both reset. */
static GMimeStream *decoding_stream(GMimeDataWrapper *content, GMimeStream *raw)
{
    GMimeStream *filtered = g_mime_stream_filter_new(raw);
    GMimeContentEncoding enc = g_mime_data_wrapper_get_encoding(content);
    if (enc == GMIME_CONTENT_ENCODING_BASE64 || enc == GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE ||
        enc == GMIME_CONTENT_ENCODING_UUENCODE) {
        g_autoptr(GMimeFilter) f = g_mime_filter_basic_new(enc, FALSE);
        g_mime_stream_filter_add(GMIME_STREAM_FILTER(filtered), f);
    }
    g_mime_stream_reset(raw);
    g_mime_stream_reset(filtered);
    return filtered;
}

/* Transfer-decodes a leaf part, reading at most `cap` bytes of output. */
static GByteArray *decode_part(GMimePart *part, gsize cap, gboolean *truncated_r)
{
    GByteArray *out = g_byte_array_new();
    *truncated_r = FALSE;
    GMimeDataWrapper *content = g_mime_part_get_content(part);
    GMimeStream *raw = content ? g_mime_data_wrapper_get_stream(content) : NULL;
    if (!raw)
        return out;

    g_autoptr(GMimeStream) filtered = decoding_stream(content, raw);

    char buf[8192];
    for (;;) {
        ssize_t n = g_mime_stream_read(filtered, buf, sizeof buf);
        if (n <= 0)
            break;
        gsize room = cap - out->len;
        if ((gsize)n > room) {
            g_byte_array_append(out, (const guint8 *)buf, (guint)room);
            *truncated_r = TRUE;
            break;
        }
        g_byte_array_append(out, (const guint8 *)buf, (guint)n);
    }
    g_mime_stream_reset(raw);
    return out;
}

static char *lower_mime_type(GMimeObject *obj)
{
    GMimeContentType *ct = g_mime_object_get_content_type(obj);
    char *t = ct ? g_mime_content_type_get_mime_type(ct) : NULL;
    if (!t)
        return g_strdup("text/plain");
    char *lower = g_ascii_strdown(t, -1);
    g_free(t);
    return lower;
}

static void append_text(Walk *w, const char *s)
{
    if (!*s)
        return;
    if (w->text->len) {
        while (w->text->len && w->text->str[w->text->len - 1] == '\n')
            g_string_truncate(w->text, w->text->len - 1);
        g_string_append(w->text, "\n\n");
    }
    g_string_append(w->text, s);
    if (s[strlen(s) - 1] != '\n')
        g_string_append_c(w->text, '\n');
}

static gboolean is_body_text_type(const char *type)
{
    return strcmp(type, "text/plain") == 0 || strcmp(type, "text/html") == 0;
}

static gboolean part_is_attachment(GMimeObject *obj)
{
    GMimeContentDisposition *disp = g_mime_object_get_content_disposition(obj);
    if (disp && g_mime_content_disposition_is_attachment(disp))
        return TRUE;
    return GMIME_IS_PART(obj) && g_mime_part_get_filename(GMIME_PART(obj)) != NULL;
}

static void walk_object(Walk *w, GMimeObject *obj, guint depth);

static gboolean count_leaf(Walk *w)
{
    if (w->leaf_parts >= w->bounds->max_mime_parts) {
        if (!w->parts_reported)
            mime_problems_add(w->msg->problems, "more than %u MIME parts: the rest skipped", w->bounds->max_mime_parts);
        w->parts_reported = TRUE;
        return FALSE;
    }
    w->leaf_parts++;
    return TRUE;
}

static void walk_body_text(Walk *w, GMimePart *part, const char *type)
{
    gboolean cut = FALSE;
    gsize cap = w->bounds->max_text_bytes * TEXT_RAW_FACTOR;
    g_autoptr(GByteArray) bytes = decode_part(part, cap, &cut);
    const char *charset = g_mime_object_get_content_type_parameter(GMIME_OBJECT(part), "charset");
    g_autofree char *what = g_strdup_printf("%s part", type);
    g_autofree char *utf8 = text_to_utf8(w->msg, bytes->data, bytes->len, charset, what);
    if (cut) {
        w->msg->text_truncated = TRUE;
        mime_problems_add(w->msg->problems, "%s longer than %" G_GSIZE_FORMAT " bytes: cut", what, cap);
    }
    if (strcmp(type, "text/html") == 0) {
        g_autofree char *plain = html2text_convert(utf8);
        append_text(w, plain);
    } else {
        append_text(w, utf8);
    }
}

/* TRUE when the part transfer-decodes to more than `cap` bytes; counts
 * through a small buffer, keeping nothing. Decoding never makes a part
 * longer than its encoded form, so a short part is not counted at all. */
static gboolean decodes_over(GMimePart *part, gsize cap)
{
    GMimeDataWrapper *content = g_mime_part_get_content(part);
    GMimeStream *raw = content ? g_mime_data_wrapper_get_stream(content) : NULL;
    if (!raw)
        return FALSE;
    gint64 enc_len = g_mime_stream_length(raw);
    if (enc_len >= 0 && (guint64)enc_len <= cap)
        return FALSE;
    g_autoptr(GMimeStream) filtered = decoding_stream(content, raw);
    char buf[8192];
    gsize total = 0;
    gboolean over = FALSE;
    for (;;) {
        ssize_t n = g_mime_stream_read(filtered, buf, sizeof buf);
        if (n <= 0)
            break;
        total += (gsize)n;
        if (total > cap) {
            over = TRUE;
            break;
        }
    }
    g_mime_stream_reset(raw);
    return over;
}

static void walk_attachment(Walk *w, GMimePart *part, const char *type)
{
    MimeAttachment *a = g_new0(MimeAttachment, 1);
    a->content_type = g_strdup(type);
    a->filename = charset_utf8_dup(g_mime_part_get_filename(part));
    if (decodes_over(part, w->bounds->max_attachment_bytes)) {
        /* over the bound: skipped, never decoded into memory (issue 16) */
        a->truncated = TRUE;
        a->data = g_bytes_new(NULL, 0);
    } else {
        GByteArray *bytes = decode_part(part, w->bounds->max_attachment_bytes, &a->truncated);
        a->data = g_byte_array_free_to_bytes(bytes);
    }
    if (a->truncated)
        mime_problems_add(w->msg->problems, "attachment %s longer than %" G_GSIZE_FORMAT
                          " bytes: skipped, not scanned",
                    a->filename ? a->filename : type, w->bounds->max_attachment_bytes);
    g_ptr_array_add(w->msg->attachments, a);
}

static void walk_leaf(Walk *w, GMimeObject *obj, gboolean force_body)
{
    if (!count_leaf(w))
        return;
    g_autofree char *type = lower_mime_type(obj);
    if (!GMIME_IS_PART(obj))
        return;
    GMimePart *part = GMIME_PART(obj);
    if (is_body_text_type(type) && (force_body || !part_is_attachment(obj)))
        walk_body_text(w, part, type);
    else
        walk_attachment(w, part, type);
}

/* multipart/alternative: text/plain first, then a nested multipart, then HTML. */
static void walk_alternative(Walk *w, GMimeMultipart *mp, guint depth)
{
    static const char *const prefer[] = {"text/plain", "multipart/", "text/html"};
    int n = g_mime_multipart_get_count(mp);
    for (gsize k = 0; k < G_N_ELEMENTS(prefer); k++) {
        for (int i = 0; i < n; i++) {
            GMimeObject *child = g_mime_multipart_get_part(mp, i);
            g_autofree char *type = lower_mime_type(child);
            if (!g_str_has_prefix(type, prefer[k]))
                continue;
            if (GMIME_IS_MULTIPART(child))
                walk_object(w, child, depth + 1);
            else
                walk_leaf(w, child, TRUE);
            return;
        }
    }
    /* nothing we read as text: treat the alternatives as parts */
    for (int i = 0; i < n; i++)
        walk_object(w, g_mime_multipart_get_part(mp, i), depth + 1);
}

static void walk_object(Walk *w, GMimeObject *obj, guint depth)
{
    if (!obj)
        return;
    if (depth > w->bounds->max_mime_depth) {
        if (!w->depth_reported)
            mime_problems_add(w->msg->problems, "MIME nesting deeper than %u levels: deeper parts skipped",
                        w->bounds->max_mime_depth);
        w->depth_reported = TRUE;
        return;
    }
    if (GMIME_IS_MESSAGE_PART(obj)) {
        GMimeMessage *inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
        if (!inner)
            return;
        /* a forwarded or bounced message: its text is part of what was said */
        GString *head = g_string_new("---------- Forwarded message ----------\n");
        static const char *const show[] = {"From", "Date", "Subject", "To"};
        for (gsize i = 0; i < G_N_ELEMENTS(show); i++) {
            const char *v = g_mime_object_get_header(GMIME_OBJECT(inner), show[i]);
            if (v) {
                g_autofree char *valid = g_utf8_make_valid(v, -1);
                g_string_append_printf(head, "%s: %s\n", show[i], g_strstrip(valid));
            }
        }
        g_autofree char *h = g_string_free(head, FALSE);
        append_text(w, h);
        walk_object(w, g_mime_message_get_mime_part(inner), depth + 1);
        return;
    }
    if (GMIME_IS_MULTIPART(obj)) {
        GMimeMultipart *mp = GMIME_MULTIPART(obj);
        g_autofree char *type = lower_mime_type(obj);
        if (g_mime_multipart_get_count(mp) == 0)
            return;
        if (strcmp(type, "multipart/alternative") == 0) {
            walk_alternative(w, mp, depth);
            return;
        }
        int n = g_mime_multipart_get_count(mp);
        for (int i = 0; i < n && !w->parts_reported; i++)
            walk_object(w, g_mime_multipart_get_part(mp, i), depth + 1);
        return;
    }
    walk_leaf(w, obj, FALSE);
}

/* ---- top level ----------------------------------------------------------- */

static void gmime_init_once(void)
{
    static gsize done = 0;
    if (g_once_init_enter(&done)) {
        g_mime_init();
        g_once_init_leave(&done, 1);
    }
}

static void finish_text(MimeMessage *msg, GString *text, const Bounds *b)
{
    /* CRLF from the wire (QP keeps them) becomes LF, like the rest */
    gsize o = 0;
    for (gsize i = 0; i < text->len; i++)
        if (!(text->str[i] == '\r' && i + 1 < text->len && text->str[i + 1] == '\n'))
            text->str[o++] = text->str[i];
    g_string_truncate(text, o);
    g_autofree char *stripped = listfooter_strip(text->str);
    gsize len = strlen(stripped);
    if (len > b->max_text_bytes) {
        const char *end = stripped + b->max_text_bytes;
        /* cut on a character boundary */
        while (end > stripped && ((guchar)*end & 0xC0) == 0x80)
            end--;
        msg->text = g_strndup(stripped, (gsize)(end - stripped));
        msg->text_truncated = TRUE;
        mime_problems_add(msg->problems, "text longer than %" G_GSIZE_FORMAT " bytes: cut", b->max_text_bytes);
    } else {
        msg->text = g_steal_pointer(&stripped);
    }
}

MimeMessage *mime_message_parse(const guint8 *data, gsize len, const Bounds *bounds)
{
    MimeMessage *msg = mime_message_new_empty();
    Bounds defaults = bounds_default();
    const Bounds *b = bounds ? bounds : &defaults;
    GString *text = g_string_new("");
    MimePrescan prep = {.body_by_reference = TRUE};
    GByteArray *body_ref = NULL; /* wraps the caller's body bytes, never owns them */
    g_autoptr(GMimeParserOptions) opts = NULL;
    g_autoptr(GMimeStream) stream = NULL;
    g_autoptr(GMimeParser) parser = NULL;
    g_autoptr(GMimeMessage) gm = NULL;

    if (!data || len == 0) {
        mime_problems_add(msg->problems, "empty input");
        goto out;
    }
    gmime_init_once();
    mime_prescan_run(data, len, b, msg->problems, &prep);
    if (prep.fields == 0) {
        /* not a mail: keep what it says, bounded, as text */
        mime_problems_add(msg->problems, "no header fields: not a mail message");
        gsize n = MIN(len, b->max_text_bytes);
        g_autofree char *t = text_to_utf8(msg, data, n, NULL, "input");
        g_string_append(text, t);
        if (n < len)
            msg->text_truncated = TRUE;
        goto out;
    }

    opts = g_mime_parser_options_new();
    static const char *fallback[] = {"UTF-8", "windows-1252", NULL};
    g_mime_parser_options_set_fallback_charsets(opts, fallback);
    /* a header-only parse of a multipart would only yield warnings about the
     * body we left out */
    if (!prep.header_only)
        g_mime_parser_options_set_warning_callback(opts, on_gmime_warning, msg);

    if (prep.body_len > 0) {
        /* header (rewritten by the prescan) then the body read in place: the
         * body is not copied (issue 16). GMime reads a GMimeStreamMem's
         * array and, not owning it, never writes or frees it. The bytes are
         * the caller's, or prep.normalised (bare CRs), alive until the end. */
        stream = g_mime_stream_cat_new();
        g_autoptr(GMimeStream) head = g_mime_stream_mem_new_with_byte_array(g_steal_pointer(&prep.input));
        body_ref = g_byte_array_new_take((guint8 *)prep.body, prep.body_len);
        g_autoptr(GMimeStream) tail = g_mime_stream_mem_new_with_byte_array(body_ref);
        g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(tail), FALSE);
        g_mime_stream_cat_add_source(GMIME_STREAM_CAT(stream), head);
        g_mime_stream_cat_add_source(GMIME_STREAM_CAT(stream), tail);
    } else {
        stream = g_mime_stream_mem_new_with_byte_array(g_steal_pointer(&prep.input));
    }
    parser = g_mime_parser_new_with_stream(stream);
    g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
    gm = g_mime_parser_construct_message(parser, opts);
    if (!gm) {
        mime_problems_add(msg->problems, "MIME parser could not read a message");
        goto out;
    }
    mime_headers_read(msg, gm, opts);

    GMimeObject *body = g_mime_message_get_mime_part(gm);
    msg->content_type = body ? lower_mime_type(body) : g_strdup("text/plain");
    if (prep.header_only)
        goto out;

    Walk w = {.msg = msg, .bounds = b, .text = text};
    walk_object(&w, body, 0);

out:
    if (opts)
        g_mime_parser_options_set_warning_callback(opts, NULL, NULL);
    /* everything that may read the body bytes goes before their wrapper and
     * before the prescan (which may own them: a bare-CR normalised copy) */
    g_clear_object(&gm);
    g_clear_object(&parser);
    g_clear_object(&stream);
    if (body_ref)
        (void)g_byte_array_free(body_ref, FALSE); /* the bytes are not the wrapper's */
    mime_prescan_clear(&prep);
    finish_text(msg, text, b);
    g_string_free(text, TRUE);
    if (!msg->content_type)
        msg->content_type = g_strdup("text/plain");
    return msg;
}

/* The header arrays are private but the struct is not opaque: a MimeMessage
 * built by hand (tests, the redaction pass) may leave them NULL. */
const char *mime_message_header(const MimeMessage *msg, const char *name)
{
    if (!msg || !name || !msg->header_names || !msg->header_values)
        return NULL;
    guint n = MIN(msg->header_names->len, msg->header_values->len);
    for (guint i = 0; i < n; i++)
        if (g_ascii_strcasecmp(msg->header_names->pdata[i], name) == 0)
            return msg->header_values->pdata[i];
    return NULL;
}

GPtrArray *mime_message_headers_with_prefix(const MimeMessage *msg, const char *prefix)
{
    GPtrArray *out = g_ptr_array_new();
    if (!msg || !prefix || !msg->header_names || !msg->header_values)
        return out;
    gsize n = strlen(prefix);
    guint count = MIN(msg->header_names->len, msg->header_values->len);
    for (guint i = 0; i < count; i++) {
        const char *name = msg->header_names->pdata[i];
        if (g_ascii_strncasecmp(name, prefix, n) == 0) {
            g_ptr_array_add(out, (gpointer)name);
            g_ptr_array_add(out, msg->header_values->pdata[i]);
        }
    }
    return out;
}
