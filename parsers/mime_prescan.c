/* mime_prescan.c - bound a raw message before GMime sees it (see
 * mime_prescan.h). Works line by line on the raw bytes; never looks further
 * than max_header_bytes + one line into a header field. */
#include "mime_prescan.h"

#include <string.h>

#include "mime_problems.h"

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

/* Can a header line start at d[pos]: a continuation, a field, or nothing left? */
static gboolean header_line_follows(const guint8 *d, gsize len, gsize pos)
{
    if (pos >= len || d[pos] == ' ' || d[pos] == '\t')
        return TRUE;
    gsize end = pos;
    while (end < len && end - pos < 1000 && d[end] != '\r' && d[end] != '\n')
        end++;
    return line_is_field(d, pos, end);
}

/* Bare CRs (a CR, or a run of them, not followed by LF) end lines in mail from
 * old Mac tools and broken gateways; GMime only knows LF and CRLF and would
 * read the whole message as one header field. Returns a copy where each bare
 * CR is an LF, except a stray one inside a header line that no field or
 * continuation follows, which becomes a space, and CR CR LF (a file converted
 * twice) is CRLF; NULL when there is no bare CR. The raw bytes themselves are
 * never changed. */
static GByteArray *normalise_bare_cr(const guint8 *d, gsize len)
{
    const guint8 *cr = len ? memchr(d, '\r', len) : NULL;
    while (cr && cr + 1 < d + len && cr[1] == '\n')
        cr = memchr(cr + 1, '\r', len - (gsize)(cr + 1 - d));
    if (!cr)
        return NULL;
    GByteArray *out = g_byte_array_sized_new((guint)len);
    gboolean header = TRUE;
    gsize line_len = 0; /* bytes on the current line, CRs not counted */
    gsize lines = 0;
    gsize i = 0;
    while (i < len) {
        if (d[i] != '\r') {
            g_byte_array_append(out, d + i, 1);
            if (d[i] == '\n') {
                if (line_len == 0 && lines > 0)
                    header = FALSE;
                lines++;
                line_len = 0;
            } else {
                line_len++;
            }
            i++;
            continue;
        }
        gsize j = i;
        while (j < len && d[j] == '\r')
            j++;
        if (j < len && d[j] == '\n') { /* CRLF as received; CR...CRLF (converted twice) too */
            g_byte_array_append(out, (const guint8 *)"\r", 1);
            i = j;
            continue;
        }
        if (header && j - i == 1 && line_len > 0 && !header_line_follows(d, len, j)) {
            g_byte_array_append(out, (const guint8 *)" ", 1);
            line_len++;
            i = j;
            continue;
        }
        for (; i < j; i++) {
            g_byte_array_append(out, (const guint8 *)"\n", 1);
            if (line_len == 0 && lines > 0)
                header = FALSE;
            lines++;
            line_len = 0;
        }
    }
    return out;
}

void mime_prescan_run(const guint8 *d, gsize len, const Bounds *bounds,
                      GPtrArray *problems, MimePrescan *p)
{
    g_autoptr(GByteArray) normalised = d ? normalise_bare_cr(d, len) : NULL;
    if (normalised) {
        d = normalised->data;
        len = normalised->len;
    }
    p->body = NULL;
    p->body_len = 0;
    p->normalised = NULL;
    Bounds defaults = bounds_default();
    const Bounds *b = bounds ? bounds : &defaults;
    gsize pos = 0;
    gsize kept = 0;
    gboolean dropping = FALSE;
    guint containers = 0;
    guint max_containers = b->max_mime_depth + b->max_mime_parts;

    if (!d)
        len = 0;
    p->input = g_byte_array_new();
    p->fields = 0;
    p->header_only = len > b->max_message_bytes;
    if (p->header_only)
        mime_problems_add(problems, "message of %" G_GSIZE_FORMAT " bytes exceeds the %"
                          G_GSIZE_FORMAT "-byte limit: only its header was parsed",
                          len, b->max_message_bytes);

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
            mime_problems_add(problems, "header field \"%s\" longer than %" G_GSIZE_FORMAT
                              " bytes dropped", name, b->max_header_bytes);
            /* a field this long may still continue: skip the rest of it */
            while (pos < len && (d[pos] == ' ' || d[pos] == '\t'))
                pos = line_end(d, len, pos);
            continue;
        }
        if (kept + flen > b->max_header_bytes) {
            mime_problems_add(problems, "header section longer than %" G_GSIZE_FORMAT
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
                mime_problems_add(problems, "more than %u nested or multipart containers: "
                                  "input cut at byte %" G_GSIZE_FORMAT, max_containers, pos);
                cut = pos;
                break;
            }
        }
        pos = end;
    }
    if (p->body_by_reference) {
        /* the body stays where it is: the caller's bytes, or the normalised
         * copy, now owned by *p so that it lives as long as the parse */
        p->body = d + body;
        p->body_len = cut - body;
        p->normalised = g_steal_pointer(&normalised);
        return;
    }
    g_byte_array_append(p->input, d + body, (guint)(cut - body));
}

void mime_prescan_clear(MimePrescan *p)
{
    if (!p)
        return;
    if (p->input)
        g_byte_array_unref(p->input);
    if (p->normalised)
        g_byte_array_unref(p->normalised);
    *p = (MimePrescan){0};
}
