/* mime.c - parse one raw RFC 5322 message with GMime 3 (see mime.h).
 *
 * The bytes go through a pre-scan before GMime sees them, because GMime bounds
 * neither the header section nor (cheaply) the number of nested containers:
 *   - the top-level header section is rebuilt field by field, dropping fields
 *     and the tail that would pass max_header_bytes;
 *   - a message over max_message_bytes is parsed for its header only;
 *   - the input is cut before the container (multipart/ or message/) declaration
 *     that passes max_mime_depth + max_mime_parts: GMime's boundary check costs
 *     O(lines x depth) and its own nesting cap is 1024, so 600,000 nested
 *     multiparts in 40 MB would otherwise take many seconds.
 * Then the GMime tree is walked with our own depth and leaf-part bounds, every
 * part is transfer-decoded through a bounded read, and text is converted to
 * UTF-8 by our own code (declared charset, else windows-1252), never trusting
 * GMime to have done it. Every defect becomes one line in `problems`. */
#include "mime.h"

#include <errno.h>
#include <string.h>
#include <gmime/gmime.h>

/* GMime 3.2 declares no autoptr cleanups of its own. */
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GMimeStream, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GMimeParser, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GMimeMessage, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GMimeFilter, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(InternetAddressList, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GMimeParserOptions, g_mime_parser_options_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GMimeReferences, g_mime_references_free)

/* One hostile message must not produce an unbounded list of complaints. */
#define MAX_PROBLEMS 64
/* Raw (transfer-decoded) bytes read for one body text part, as a multiple of
 * max_text_bytes: HTML shrinks a lot when reduced to text, UTF-16 by half. */
#define TEXT_RAW_FACTOR 4
#define GG_FOOTER "You received this message because you are subscribed to the Google Groups"

typedef struct {
    MimeMessage *msg;
    const Bounds *bounds;
    guint leaf_parts;
    gboolean depth_reported, parts_reported;
    GString *text;
} Walk;

static void add_problem(MimeMessage *msg, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static void add_problem(MimeMessage *msg, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *line = g_strdup_vprintf(fmt, ap);
    va_end(ap);

    for (guint i = 0; i < msg->problems->len; i++) {
        if (strcmp(msg->problems->pdata[i], line) == 0) {
            g_free(line);
            return;
        }
    }
    if (msg->problems->len == MAX_PROBLEMS) {
        g_free(line);
        line = g_strdup("too many problems: further ones not recorded");
    } else if (msg->problems->len > MAX_PROBLEMS) {
        g_free(line);
        return;
    }
    if (!g_utf8_validate(line, -1, NULL)) {
        char *valid = g_utf8_make_valid(line, -1);
        g_free(line);
        line = valid;
    }
    g_ptr_array_add(msg->problems, line);
}

static void mime_address_free(gpointer p)
{
    MimeAddress *a = p;
    if (!a)
        return;
    g_free(a->name);
    g_free(a->email);
    g_free(a);
}

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
    msg->from = g_ptr_array_new_with_free_func(mime_address_free);
    msg->sender = g_ptr_array_new_with_free_func(mime_address_free);
    msg->reply_to = g_ptr_array_new_with_free_func(mime_address_free);
    msg->to = g_ptr_array_new_with_free_func(mime_address_free);
    msg->cc = g_ptr_array_new_with_free_func(mime_address_free);
    msg->delivered_to = g_ptr_array_new_with_free_func(mime_address_free);
    msg->attachments = g_ptr_array_new_with_free_func(mime_attachment_free);
    msg->problems = g_ptr_array_new_with_free_func(g_free);
    msg->header_names = g_ptr_array_new_with_free_func(g_free);
    msg->header_values = g_ptr_array_new_with_free_func(g_free);
    return msg;
}

void mime_message_free(MimeMessage **msgp)
{
    if (!msgp || !*msgp)
        return;
    MimeMessage *msg = *msgp;
    g_free(msg->message_id);
    g_free(msg->in_reply_to);
    g_ptr_array_unref(msg->references);
    g_free(msg->subject);
    g_ptr_array_unref(msg->from);
    g_ptr_array_unref(msg->sender);
    g_ptr_array_unref(msg->reply_to);
    g_ptr_array_unref(msg->to);
    g_ptr_array_unref(msg->cc);
    g_ptr_array_unref(msg->delivered_to);
    g_free(msg->content_type);
    g_free(msg->text);
    g_ptr_array_unref(msg->attachments);
    g_ptr_array_unref(msg->problems);
    g_ptr_array_unref(msg->header_names);
    g_ptr_array_unref(msg->header_values);
    g_free(msg);
    *msgp = NULL;
}

/* ---- charsets ---------------------------------------------------------- */

/* windows-1252 0x80..0x9F; 0 marks the five undefined bytes. 0xA0..0xFF are
 * Latin-1. Our own table because glibc's CP1252 refuses the undefined bytes. */
static const gunichar cp1252_high[32] = {
    0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
    0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
    0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
};

static char *cp1252_to_utf8(const guint8 *data, gsize len)
{
    GString *out = g_string_sized_new(len + len / 4 + 1);
    for (gsize i = 0; i < len; i++) {
        guint8 c = data[i];
        if (c < 0x80)
            g_string_append_c(out, (char)c);
        else if (c < 0xA0)
            g_string_append_unichar(out, cp1252_high[c - 0x80] ? cp1252_high[c - 0x80] : 0xFFFD);
        else
            g_string_append_unichar(out, c);
    }
    return g_string_free(out, FALSE);
}

/* Converts with iconv, replacing each invalid byte by U+FFFD. FALSE when the
 * charset is unknown to iconv. */
static gboolean iconv_to_utf8(const guint8 *data, gsize len, const char *charset,
                              char **out_r, gboolean *invalid_r)
{
    GIConv cd = g_iconv_open("UTF-8", charset);
    if (cd == (GIConv)-1)
        return FALSE;

    GString *out = g_string_sized_new(len * 2 + 16);
    char buf[4096];
    char *in = (char *)data;
    gsize inleft = len;
    *invalid_r = FALSE;
    for (;;) {
        char *o = buf;
        gsize oleft = sizeof buf;
        gsize r = g_iconv(cd, inleft ? &in : NULL, &inleft, &o, &oleft);
        int err = errno;
        g_string_append_len(out, buf, (gssize)(o - buf));
        if (r != (gsize)-1) {
            if (inleft == 0)
                break;
            continue;
        }
        if (err == E2BIG)
            continue;
        /* EILSEQ, or EINVAL (a sequence cut by the end of the input) */
        *invalid_r = TRUE;
        g_string_append(out, "\xEF\xBF\xBD");
        if (err == EINVAL || inleft <= 1)
            break;
        in++;
        inleft--;
        g_iconv(cd, NULL, NULL, NULL, NULL); /* reset shift state */
    }
    g_iconv_close(cd);
    *out_r = g_string_free(out, FALSE);
    return TRUE;
}

static gboolean is_utf8_name(const char *cs)
{
    return g_ascii_strcasecmp(cs, "utf-8") == 0 || g_ascii_strcasecmp(cs, "utf8") == 0;
}

static gboolean is_ascii_name(const char *cs)
{
    return g_ascii_strcasecmp(cs, "us-ascii") == 0 || g_ascii_strcasecmp(cs, "ascii") == 0;
}

/* Text bytes in `charset` (may be NULL) to valid UTF-8; `what` names the part
 * in problems. Always returns a string. */
static char *text_to_utf8(MimeMessage *msg, const guint8 *data, gsize len,
                          const char *charset, const char *what)
{
    char *out = NULL;
    gboolean invalid = FALSE;
    if (!data || len == 0)
        return g_strdup("");
    gboolean valid_utf8 = g_utf8_validate_len((const char *)data, len, NULL);

    if (charset && *charset && !is_utf8_name(charset) && !is_ascii_name(charset)) {
        const char *iconv_name = g_mime_charset_iconv_name(charset);
        if (iconv_to_utf8(data, len, iconv_name ? iconv_name : charset, &out, &invalid)) {
            if (invalid)
                add_problem(msg, "%s: bytes invalid in charset \"%s\" replaced", what, charset);
            goto out;
        }
        add_problem(msg, "%s: unknown charset \"%s\", read as %s", what, charset,
                    valid_utf8 ? "UTF-8" : "windows-1252");
    } else if (charset && *charset && is_utf8_name(charset)) {
        if (!valid_utf8)
            add_problem(msg, "%s: invalid UTF-8 replaced", what);
        out = g_utf8_make_valid((const char *)data, (gssize)len);
        goto out;
    } else if (!valid_utf8) {
        add_problem(msg, "%s: 8-bit text %s, read as windows-1252", what,
                    charset && *charset ? "declared us-ascii" : "without charset");
    }
    out = valid_utf8 ? g_strndup((const char *)data, len) : cp1252_to_utf8(data, len);
out:
    if (!g_utf8_validate(out, -1, NULL)) {
        char *valid = g_utf8_make_valid(out, -1);
        g_free(out);
        out = valid;
    }
    return out;
}

/* GMime's decoded strings are UTF-8 in practice; make sure. NULL stays NULL. */
static char *dup_valid(const char *s)
{
    if (!s)
        return NULL;
    return g_utf8_make_valid(s, -1);
}

/* ---- HTML to text ------------------------------------------------------ */

typedef struct {
    const char *name;
    gunichar ch;
} Entity;

static const Entity entities[] = {
    {"amp", '&'}, {"lt", '<'}, {"gt", '>'}, {"quot", '"'}, {"apos", '\''},
    {"nbsp", ' '}, {"copy", 0xA9}, {"reg", 0xAE}, {"hellip", 0x2026},
    {"ndash", 0x2013}, {"mdash", 0x2014}, {"lsquo", 0x2018}, {"rsquo", 0x2019},
    {"ldquo", 0x201C}, {"rdquo", 0x201D}, {"laquo", 0xAB}, {"raquo", 0xBB},
    {"euro", 0x20AC}, {"middot", 0xB7}, {"bull", 0x2022}, {"shy", 0},
    {"aacute", 0xE1}, {"eacute", 0xE9}, {"iacute", 0xED}, {"oacute", 0xF3},
    {"uacute", 0xFA}, {"ntilde", 0xF1}, {"Aacute", 0xC1}, {"Eacute", 0xC9},
    {"Iacute", 0xCD}, {"Oacute", 0xD3}, {"Uacute", 0xDA}, {"Ntilde", 0xD1},
    {"auml", 0xE4}, {"ouml", 0xF6}, {"uuml", 0xFC}, {"Auml", 0xC4},
    {"Ouml", 0xD6}, {"Uuml", 0xDC}, {"szlig", 0xDF}, {"egrave", 0xE8},
    {"agrave", 0xE0}, {"ccedil", 0xE7}, {"ecirc", 0xEA},
};

/* Tags whose content is not text. */
static const char *const skip_tags[] = {"script", "style", "head", "title", NULL};
/* Tags that end a line (open or close). */
static const char *const block_tags[] = {
    "p", "div", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table",
    "blockquote", "ul", "ol", "pre", "hr", "dt", "dd", NULL,
};

static gboolean in_list(const char *name, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(name, *list) == 0)
            return TRUE;
    return FALSE;
}

/* Decodes the entity at s (s[0] == '&'); returns bytes consumed, 0 if none. */
static gsize decode_entity(const char *s, GString *out)
{
    gsize i = 1;
    gunichar ch = 0;
    if (s[1] == '#') {
        gboolean hex = s[2] == 'x' || s[2] == 'X';
        i = hex ? 3 : 2;
        gsize start = i;
        guint64 v = 0;
        while (i - start < 8 && (hex ? g_ascii_isxdigit(s[i]) : g_ascii_isdigit(s[i]))) {
            v = v * (hex ? 16 : 10) + (guint64)(hex ? g_ascii_xdigit_value(s[i]) : g_ascii_digit_value(s[i]));
            i++;
        }
        if (i == start)
            return 0;
        ch = (v == 0 || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) ? 0xFFFD : (gunichar)v;
        if (ch >= 0x80 && ch < 0xA0) /* numeric refs in that range mean windows-1252 */
            ch = cp1252_high[ch - 0x80] ? cp1252_high[ch - 0x80] : 0xFFFD;
    } else {
        while (i < 12 && g_ascii_isalnum(s[i]))
            i++;
        gsize n = i - 1;
        gboolean found = FALSE;
        for (gsize k = 0; k < G_N_ELEMENTS(entities); k++) {
            if (strlen(entities[k].name) == n && strncmp(entities[k].name, s + 1, n) == 0) {
                ch = entities[k].ch;
                found = TRUE;
                break;
            }
        }
        if (!found)
            return 0;
    }
    if (s[i] == ';')
        i++;
    if (ch)
        g_string_append_unichar(out, ch);
    return i;
}

static const char *find_ci(const char *hay, const char *needle)
{
    gsize n = strlen(needle);
    for (; *hay; hay++)
        if (g_ascii_strncasecmp(hay, needle, n) == 0)
            return hay;
    return NULL;
}

static void ensure_newline(GString *out)
{
    if (out->len && out->str[out->len - 1] != '\n')
        g_string_append_c(out, '\n');
}

static char *html_to_text(const char *html)
{
    GString *out = g_string_sized_new(strlen(html) / 2 + 1);
    gboolean space = FALSE;
    const char *p = html;

    while (*p) {
        if (*p == '<' && (g_ascii_isalpha(p[1]) || p[1] == '/' || p[1] == '!' || p[1] == '?')) {
            if (strncmp(p, "<!--", 4) == 0) {
                const char *end = strstr(p + 4, "-->");
                p = end ? end + 3 : p + strlen(p);
                continue;
            }
            const char *q = p + 1;
            gboolean closing = *q == '/';
            if (closing)
                q++;
            char name[16];
            gsize n = 0;
            while (g_ascii_isalnum(*q) && n < sizeof name - 1)
                name[n++] = g_ascii_tolower(*q++);
            name[n] = '\0';
            /* find the end of the tag, honouring quoted attribute values */
            char quote = 0;
            while (*q && (quote || *q != '>')) {
                if (quote && *q == quote)
                    quote = 0;
                else if (!quote && (*q == '"' || *q == '\''))
                    quote = *q;
                q++;
            }
            p = *q ? q + 1 : q;
            if (!closing && in_list(name, skip_tags)) {
                /* skip to the matching close tag */
                char close[24];
                g_snprintf(close, sizeof close, "</%s", name);
                const char *end = find_ci(p, close);
                if (!end) {
                    p += strlen(p);
                    continue;
                }
                end = strchr(end, '>');
                p = end ? end + 1 : p + strlen(p);
                continue;
            }
            if (strcmp(name, "br") == 0) {
                g_string_append_c(out, '\n');
                space = FALSE;
            } else if (in_list(name, block_tags)) {
                ensure_newline(out);
                space = FALSE;
            } else if (strcmp(name, "td") == 0 || strcmp(name, "th") == 0) {
                space = TRUE;
            }
            continue;
        }
        if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n' || *p == '\f') {
            space = TRUE;
            p++;
            continue;
        }
        if (space && out->len && out->str[out->len - 1] != '\n')
            g_string_append_c(out, ' ');
        space = FALSE;
        gsize used = *p == '&' ? decode_entity(p, out) : 0;
        if (used) {
            p += used;
        } else {
            g_string_append_c(out, *p);
            p++;
        }
    }
    return g_string_free(out, FALSE);
}

/* ---- Google Groups footers --------------------------------------------- */

/* Length of the quote prefix of a line: '>' and the spaces around them. */
static gsize quote_prefix_len(const char *line, gsize len)
{
    gsize i = 0;
    gsize last = 0;
    while (i < len && (line[i] == '>' || line[i] == ' ')) {
        if (line[i] == '>')
            last = i + 1;
        i++;
    }
    /* spaces after the last '>' belong to the prefix, leading spaces alone not */
    if (last == 0)
        return 0;
    while (last < len && line[last] == ' ')
        last++;
    return last;
}

static gboolean prefix_eq(const char *a, gsize alen, const char *b, gsize blen)
{
    /* compare the '>' structure, ignoring spaces */
    gsize i = 0, j = 0;
    for (;;) {
        while (i < alen && a[i] == ' ')
            i++;
        while (j < blen && b[j] == ' ')
            j++;
        if (i == alen || j == blen)
            return i == alen && j == blen;
        if (a[i] != b[j])
            return FALSE;
        i++;
        j++;
    }
}

static gboolean rest_is_blank(const char *s, gsize len)
{
    for (gsize i = 0; i < len; i++)
        if (!g_ascii_isspace(s[i]))
            return FALSE;
    return TRUE;
}

static gboolean rest_is_sig_dash(const char *s, gsize len)
{
    while (len && g_ascii_isspace(s[len - 1]))
        len--;
    return len == 2 && s[0] == '-' && s[1] == '-';
}

/* Removes every Google Groups footer block, quoted or not: the "-- " line before
 * it (if any) and the lines after it up to a blank line or a change of quote
 * level. Trailing blank lines are trimmed. */
static char *strip_gg_footers(const char *text)
{
    if (!strstr(text, GG_FOOTER))
        return g_strdup(text);

    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    guint n = g_strv_length(lines);
    g_autofree gboolean *drop = g_new0(gboolean, n + 1);

    for (guint i = 0; i < n; i++) {
        const char *l = lines[i];
        gsize len = strlen(l);
        gsize pl = quote_prefix_len(l, len);
        if (!g_str_has_prefix(l + pl, GG_FOOTER))
            continue;
        guint start = i;
        if (i > 0) {
            const char *pv = lines[i - 1];
            gsize pvlen = strlen(pv);
            gsize ppl = quote_prefix_len(pv, pvlen);
            if (prefix_eq(pv, ppl, l, pl) && rest_is_sig_dash(pv + ppl, pvlen - ppl))
                start = i - 1;
        }
        guint end = i + 1;
        while (end < n) {
            const char *e = lines[end];
            gsize elen = strlen(e);
            gsize epl = quote_prefix_len(e, elen);
            if (!prefix_eq(e, epl, l, pl) || rest_is_blank(e + epl, elen - epl))
                break;
            end++;
        }
        for (guint k = start; k < end; k++)
            drop[k] = TRUE;
        i = end - 1;
    }

    GString *out = g_string_sized_new(strlen(text));
    for (guint i = 0; i < n; i++) {
        if (drop[i])
            continue;
        g_string_append(out, lines[i]);
        if (i + 1 < n)
            g_string_append_c(out, '\n');
    }
    /* trim trailing blank lines left behind by the footer */
    while (out->len && g_ascii_isspace(out->str[out->len - 1]))
        g_string_truncate(out, out->len - 1);
    if (out->len)
        g_string_append_c(out, '\n');
    return g_string_free(out, FALSE);
}

/* ---- pre-scan of the raw bytes ----------------------------------------- */

static gsize line_end(const guint8 *d, gsize len, gsize pos)
{
    const guint8 *nl = memchr(d + pos, '\n', len - pos);
    return nl ? (gsize)(nl - d) + 1 : len;
}

static gboolean line_is_blank(const guint8 *d, gsize start, gsize end)
{
    gsize n = end - start;
    return (n == 1 && d[start] == '\n') || (n == 2 && d[start] == '\r' && d[start + 1] == '\n') ||
           (n == 0);
}

/* A header field starts with a name of printable ASCII other than ':' followed
 * (after optional blanks) by ':'. */
static gboolean line_is_field(const guint8 *d, gsize start, gsize end)
{
    gsize i = start;
    while (i < end && d[i] > 32 && d[i] < 127 && d[i] != ':')
        i++;
    if (i == start)
        return FALSE;
    while (i < end && (d[i] == ' ' || d[i] == '\t'))
        i++;
    return i < end && d[i] == ':';
}

static gboolean starts_ci(const guint8 *d, gsize pos, gsize len, const char *prefix)
{
    gsize n = strlen(prefix);
    return len - pos >= n && g_ascii_strncasecmp((const char *)d + pos, prefix, n) == 0;
}

/* Does the Content-Type field at [start,end) declare a container? */
static gboolean field_is_container(const guint8 *d, gsize start, gsize end)
{
    if (!starts_ci(d, start, end, "content-type"))
        return FALSE;
    gsize i = start + strlen("content-type");
    while (i < end && (d[i] == ' ' || d[i] == '\t'))
        i++;
    if (i >= end || d[i] != ':')
        return FALSE;
    for (i++; i < end; i++) {
        if (d[i] == ' ' || d[i] == '\t' || d[i] == '\r' || d[i] == '\n')
            continue;
        return starts_ci(d, i, end, "multipart/") || starts_ci(d, i, end, "message/");
    }
    return FALSE;
}

typedef struct {
    GByteArray *input;  /* what GMime parses */
    guint fields;       /* header fields kept at the top level */
    gboolean header_only;
} Prepared;

/* Builds the bounded input for GMime: a capped top-level header section and
 * (unless the message is oversized) the body cut before too many containers. */
static void prepare_input(MimeMessage *msg, const guint8 *d, gsize len, const Bounds *b,
                          Prepared *p)
{
    gsize pos = 0;
    gsize kept = 0;
    gboolean dropping = FALSE;
    guint containers = 0;
    guint max_containers = b->max_mime_depth + b->max_mime_parts;

    p->input = g_byte_array_new();
    p->fields = 0;
    p->header_only = len > b->max_message_bytes;
    if (p->header_only)
        add_problem(msg, "message of %" G_GSIZE_FORMAT " bytes exceeds the %" G_GSIZE_FORMAT
                    "-byte limit: only its header was parsed", len, b->max_message_bytes);

    /* an mbox "From " separator line is not part of the message */
    if (len >= 5 && memcmp(d, "From ", 5) == 0)
        pos = line_end(d, len, 0);

    /* header section, one field (with its continuation lines) at a time */
    while (pos < len) {
        gsize start = pos;
        gsize end = line_end(d, len, pos);
        if (line_is_blank(d, start, end))
            break;
        gboolean field = line_is_field(d, start, end);
        if (!field && p->fields == 0)
            break; /* not a mail: the first line is no header field */
        /* continuation lines; never scan further than the header bound + 1 line */
        while (end < len && (d[end] == ' ' || d[end] == '\t') && end - start <= b->max_header_bytes)
            end = line_end(d, len, end);
        gsize flen = end - start;
        pos = end;
        if (dropping)
            continue;
        if (flen > b->max_header_bytes) {
            gsize nl = 0;
            while (nl < flen && nl < 40 && d[start + nl] != ':' && d[start + nl] != '\n')
                nl++;
            g_autofree char *name = g_strndup((const char *)d + start, nl);
            add_problem(msg, "header field \"%s\" longer than %" G_GSIZE_FORMAT " bytes dropped",
                        name, b->max_header_bytes);
            /* a field this long may still continue: skip the rest of it */
            while (pos < len && (d[pos] == ' ' || d[pos] == '\t'))
                pos = line_end(d, len, pos);
            continue;
        }
        if (kept + flen > b->max_header_bytes) {
            add_problem(msg, "header section longer than %" G_GSIZE_FORMAT
                        " bytes: the rest of it dropped", b->max_header_bytes);
            dropping = TRUE;
            continue;
        }
        if (field) {
            p->fields++;
            if (field_is_container(d, start, end))
                containers++;
        }
        g_byte_array_append(p->input, d + start, (guint)flen);
        kept += flen;
        /* make sure a field cut by the end of input is terminated */
        if (d[end - 1] != '\n')
            g_byte_array_append(p->input, (const guint8 *)"\n", 1);
    }
    if (p->fields == 0)
        return;

    g_byte_array_append(p->input, (const guint8 *)"\n", 1);
    if (p->header_only || pos >= len)
        return;
    pos = line_end(d, len, pos); /* the blank line */

    /* body: cut before the container that passes the bound */
    gsize body = pos;
    gsize cut = len;
    while (pos < len) {
        gsize end = line_end(d, len, pos);
        if ((d[pos] == 'c' || d[pos] == 'C') && field_is_container(d, pos, end)) {
            if (++containers > max_containers) {
                add_problem(msg, "more than %u nested or multipart containers: input cut at byte %"
                            G_GSIZE_FORMAT, max_containers, pos);
                cut = pos;
                break;
            }
        }
        pos = end;
    }
    g_byte_array_append(p->input, d + body, (guint)(cut - body));
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
        add_problem(msg, "%s: %s", text, short_item);
    } else {
        add_problem(msg, "%s", text);
    }
}

/* ---- headers ------------------------------------------------------------ */

static char *strip_brackets(const char *s)
{
    if (!s)
        return NULL;
    char *t = g_strstrip(g_strdup(s));
    gsize n = strlen(t);
    if (n >= 2 && t[0] == '<' && t[n - 1] == '>') {
        memmove(t, t + 1, n - 2);
        t[n - 2] = '\0';
    }
    if (!*t) {
        g_free(t);
        return NULL;
    }
    return t;
}

static void add_addresses(GPtrArray *out, InternetAddressList *list, guint level)
{
    int n = internet_address_list_length(list);
    for (int i = 0; i < n && out->len < 1000; i++) {
        InternetAddress *ia = internet_address_list_get_address(list, i);
        if (INTERNET_ADDRESS_IS_GROUP(ia)) {
            if (level < 2)
                add_addresses(out, internet_address_group_get_members(INTERNET_ADDRESS_GROUP(ia)),
                              level + 1);
            continue;
        }
        if (!INTERNET_ADDRESS_IS_MAILBOX(ia))
            continue;
        const char *addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia));
        if (!addr || !*addr)
            continue;
        MimeAddress *a = g_new0(MimeAddress, 1);
        g_autofree char *valid = g_utf8_make_valid(addr, -1);
        a->email = g_utf8_strdown(valid, -1);
        const char *name = internet_address_get_name(ia);
        a->name = name && *name ? dup_valid(name) : NULL;
        g_ptr_array_add(out, a);
    }
}

typedef struct {
    const char *name;
    gsize offset; /* of the GPtrArray* in MimeMessage */
} AddressField;

static const AddressField address_fields[] = {
    {"From", G_STRUCT_OFFSET(MimeMessage, from)},
    {"Sender", G_STRUCT_OFFSET(MimeMessage, sender)},
    {"Reply-To", G_STRUCT_OFFSET(MimeMessage, reply_to)},
    {"To", G_STRUCT_OFFSET(MimeMessage, to)},
    {"Cc", G_STRUCT_OFFSET(MimeMessage, cc)},
    {"Delivered-To", G_STRUCT_OFFSET(MimeMessage, delivered_to)},
};

static gint header_offset_cmp(gconstpointer a, gconstpointer b)
{
    gint64 oa = g_mime_header_get_offset(*(GMimeHeader *const *)a);
    gint64 ob = g_mime_header_get_offset(*(GMimeHeader *const *)b);
    return oa < ob ? -1 : oa > ob;
}

/* GMime files the Content-* fields under the top-level part, the others under
 * the message: merge both lists back into the order of the input. */
static GPtrArray *all_headers(GMimeMessage *gm)
{
    GPtrArray *out = g_ptr_array_new();
    GMimeObject *body = g_mime_message_get_mime_part(gm);
    GMimeHeaderList *lists[2] = {
        g_mime_object_get_header_list(GMIME_OBJECT(gm)),
        body ? g_mime_object_get_header_list(body) : NULL,
    };
    for (gsize l = 0; l < G_N_ELEMENTS(lists); l++) {
        int n = lists[l] ? g_mime_header_list_get_count(lists[l]) : 0;
        for (int i = 0; i < n; i++) {
            GMimeHeader *h = g_mime_header_list_get_header_at(lists[l], i);
            gboolean dup = FALSE;
            for (guint k = 0; k < out->len && l > 0 && !dup; k++)
                dup = g_mime_header_get_offset(out->pdata[k]) == g_mime_header_get_offset(h);
            if (!dup)
                g_ptr_array_add(out, h);
        }
    }
    g_ptr_array_sort(out, header_offset_cmp);
    return out;
}

static void read_headers(MimeMessage *msg, GMimeMessage *gm, GMimeParserOptions *opts)
{
    g_autoptr(GPtrArray) headers = all_headers(gm);
    guint count = headers->len;
    const char *first_received = NULL;
    const char *date = NULL;
    const char *in_reply_to = NULL;
    const char *references = NULL;
    const char *message_id = NULL;

    for (guint i = 0; i < count; i++) {
        GMimeHeader *h = headers->pdata[i];
        const char *name = g_mime_header_get_name(h);
        const char *value = g_mime_header_get_value(h);
        const char *raw = g_mime_header_get_raw_value(h);
        if (!name)
            continue;
        g_ptr_array_add(msg->header_names, dup_valid(name));
        char *v = dup_valid(value ? value : "");
        g_ptr_array_add(msg->header_values, g_strstrip(v));

        if (!raw)
            continue;
        for (gsize k = 0; k < G_N_ELEMENTS(address_fields); k++) {
            if (g_ascii_strcasecmp(name, address_fields[k].name) != 0)
                continue;
            GPtrArray *out = G_STRUCT_MEMBER(GPtrArray *, msg, address_fields[k].offset);
            g_autoptr(InternetAddressList) list = internet_address_list_parse(opts, raw);
            if (list)
                add_addresses(out, list, 0);
            if ((!list || internet_address_list_length(list) == 0) && strchr(raw, '@'))
                add_problem(msg, "%s: no address could be read", address_fields[k].name);
        }
        if (!first_received && g_ascii_strcasecmp(name, "Received") == 0)
            first_received = raw;
        else if (!date && g_ascii_strcasecmp(name, "Date") == 0)
            date = raw;
        else if (!in_reply_to && g_ascii_strcasecmp(name, "In-Reply-To") == 0)
            in_reply_to = raw;
        else if (!references && g_ascii_strcasecmp(name, "References") == 0)
            references = raw;
        else if (!message_id && g_ascii_strcasecmp(name, "Message-ID") == 0)
            message_id = raw;
    }

    msg->subject = dup_valid(g_mime_message_get_subject(gm));
    if (message_id) {
        const char *id = g_mime_message_get_message_id(gm);
        msg->message_id = id && *id ? dup_valid(id) : strip_brackets(message_id);
        if (msg->message_id && !g_utf8_validate(msg->message_id, -1, NULL)) {
            char *valid = g_utf8_make_valid(msg->message_id, -1);
            g_free(msg->message_id);
            msg->message_id = valid;
        }
    }
    if (in_reply_to) {
        g_autoptr(GMimeReferences) refs = g_mime_references_parse(opts, in_reply_to);
        if (refs && g_mime_references_length(refs) > 0)
            msg->in_reply_to = dup_valid(g_mime_references_get_message_id(refs, 0));
        else
            add_problem(msg, "In-Reply-To: no message-id could be read");
    }
    if (references) {
        g_autoptr(GMimeReferences) refs = g_mime_references_parse(opts, references);
        int n = refs ? g_mime_references_length(refs) : 0;
        for (int i = 0; i < n && i < 1000; i++)
            g_ptr_array_add(msg->references, dup_valid(g_mime_references_get_message_id(refs, i)));
    }
    if (date) {
        msg->has_date = mime_parse_date(date, &msg->date);
        if (!msg->has_date)
            add_problem(msg, "Date: unreadable date-time");
    }
    if (first_received) {
        const char *semi = strrchr(first_received, ';');
        msg->has_received = semi && mime_parse_date(semi + 1, &msg->received);
        if (!msg->has_received)
            add_problem(msg, "Received: no readable timestamp in the topmost field");
    }
}

/* ---- body --------------------------------------------------------------- */

/* Transfer-decodes a leaf part, reading at most `cap` bytes of output. */
static GByteArray *decode_part(GMimePart *part, gsize cap, gboolean *truncated_r)
{
    GByteArray *out = g_byte_array_new();
    *truncated_r = FALSE;
    GMimeDataWrapper *content = g_mime_part_get_content(part);
    GMimeStream *raw = content ? g_mime_data_wrapper_get_stream(content) : NULL;
    if (!raw)
        return out;

    g_autoptr(GMimeStream) filtered = g_mime_stream_filter_new(raw);
    GMimeContentEncoding enc = g_mime_data_wrapper_get_encoding(content);
    if (enc == GMIME_CONTENT_ENCODING_BASE64 || enc == GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE ||
        enc == GMIME_CONTENT_ENCODING_UUENCODE) {
        g_autoptr(GMimeFilter) f = g_mime_filter_basic_new(enc, FALSE);
        g_mime_stream_filter_add(GMIME_STREAM_FILTER(filtered), f);
    }
    g_mime_stream_reset(raw);
    g_mime_stream_reset(filtered);

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
            add_problem(w->msg, "more than %u MIME parts: the rest skipped", w->bounds->max_mime_parts);
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
        add_problem(w->msg, "%s longer than %" G_GSIZE_FORMAT " bytes: cut", what, cap);
    }
    if (strcmp(type, "text/html") == 0) {
        g_autofree char *plain = html_to_text(utf8);
        append_text(w, plain);
    } else {
        append_text(w, utf8);
    }
}

static void walk_attachment(Walk *w, GMimePart *part, const char *type)
{
    MimeAttachment *a = g_new0(MimeAttachment, 1);
    a->content_type = g_strdup(type);
    a->filename = dup_valid(g_mime_part_get_filename(part));
    GByteArray *bytes = decode_part(part, w->bounds->max_attachment_bytes, &a->truncated);
    a->data = g_byte_array_free_to_bytes(bytes);
    if (a->truncated)
        add_problem(w->msg, "attachment %s longer than %" G_GSIZE_FORMAT " bytes: cut",
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
            add_problem(w->msg, "MIME nesting deeper than %u levels: deeper parts skipped",
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
    g_autofree char *stripped = strip_gg_footers(text->str);
    gsize len = strlen(stripped);
    if (len > b->max_text_bytes) {
        const char *end = stripped + b->max_text_bytes;
        /* cut on a character boundary */
        while (end > stripped && ((guchar)*end & 0xC0) == 0x80)
            end--;
        msg->text = g_strndup(stripped, (gsize)(end - stripped));
        msg->text_truncated = TRUE;
        add_problem(msg, "text longer than %" G_GSIZE_FORMAT " bytes: cut", b->max_text_bytes);
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
    Prepared prep = {0};
    g_autoptr(GMimeParserOptions) opts = NULL;
    g_autoptr(GMimeStream) stream = NULL;
    g_autoptr(GMimeParser) parser = NULL;
    g_autoptr(GMimeMessage) gm = NULL;

    if (!data || len == 0) {
        add_problem(msg, "empty input");
        goto out;
    }
    gmime_init_once();
    prepare_input(msg, data, len, b, &prep);
    if (prep.fields == 0) {
        /* not a mail: keep what it says, bounded, as text */
        add_problem(msg, "no header fields: not a mail message");
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

    stream = g_mime_stream_mem_new_with_byte_array(g_steal_pointer(&prep.input));
    parser = g_mime_parser_new_with_stream(stream);
    g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
    gm = g_mime_parser_construct_message(parser, opts);
    if (!gm) {
        add_problem(msg, "MIME parser could not read a message");
        goto out;
    }
    read_headers(msg, gm, opts);

    GMimeObject *body = g_mime_message_get_mime_part(gm);
    msg->content_type = body ? lower_mime_type(body) : g_strdup("text/plain");
    if (prep.header_only)
        goto out;

    Walk w = {.msg = msg, .bounds = b, .text = text};
    walk_object(&w, body, 0);

out:
    if (prep.input)
        g_byte_array_unref(prep.input);
    if (opts)
        g_mime_parser_options_set_warning_callback(opts, NULL, NULL);
    finish_text(msg, text, b);
    g_string_free(text, TRUE);
    if (!msg->content_type)
        msg->content_type = g_strdup("text/plain");
    return msg;
}

const char *mime_message_header(const MimeMessage *msg, const char *name)
{
    if (!msg || !name)
        return NULL;
    for (guint i = 0; i < msg->header_names->len; i++)
        if (g_ascii_strcasecmp(msg->header_names->pdata[i], name) == 0)
            return msg->header_values->pdata[i];
    return NULL;
}

GPtrArray *mime_message_headers_with_prefix(const MimeMessage *msg, const char *prefix)
{
    GPtrArray *out = g_ptr_array_new();
    if (!msg || !prefix)
        return out;
    gsize n = strlen(prefix);
    for (guint i = 0; i < msg->header_names->len; i++) {
        const char *name = msg->header_names->pdata[i];
        if (g_ascii_strncasecmp(name, prefix, n) == 0) {
            g_ptr_array_add(out, (gpointer)name);
            g_ptr_array_add(out, msg->header_values->pdata[i]);
        }
    }
    return out;
}

gboolean mime_parse_date(const char *text, gint64 *unix_r)
{
    if (!text)
        return FALSE;
    g_autofree char *t = g_strstrip(g_strdup(text));
    if (!*t || strlen(t) > 200)
        return FALSE;
    GDateTime *dt = g_mime_utils_header_decode_date(t);
    if (!dt)
        return FALSE;
    if (unix_r)
        *unix_r = g_date_time_to_unix(dt);
    g_date_time_unref(dt);
    return TRUE;
}
