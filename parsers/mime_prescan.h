/* mime_prescan.h - bound a raw message before GMime sees it.
 *
 * GMime bounds neither the header section nor (cheaply) the number of nested
 * containers, so the raw bytes are scanned first and a bounded copy is what
 * GMime parses:
 *   - bare CR line endings (CR-only or mixed with LF/CRLF) are read as LF;
 *   - an mbox "From " line in front is dropped;
 *   - the top-level header section is rebuilt field by field, dropping any
 *     field longer than max_header_bytes and every field once the section
 *     would pass max_header_bytes;
 *   - a message over max_message_bytes keeps its header only;
 *   - the body is cut before the container (multipart/ or message/)
 *     declaration that passes max_mime_depth + max_mime_parts: GMime's
 *     boundary check costs O(lines x depth) and its own nesting cap is 1024,
 *     so 600,000 nested multiparts in 40 MB would otherwise take many seconds.
 * Pure: bytes and limits in, bytes out, one problem line per cut. */
#ifndef CPR_MIME_PRESCAN_H
#define CPR_MIME_PRESCAN_H

#include <glib.h>
#include "bounds.h"

typedef struct {
    GByteArray *input;    /* what GMime is to parse; owned, never NULL after run */
    guint fields;         /* header fields kept at the top level; 0: not a mail */
    gboolean header_only; /* over max_message_bytes: input is the header only */
    /* Set by the caller before the run: the body is not copied into input
     * but left in the caller's bytes at body/body_len (issue 16: a 30 MB
     * message is not held twice). */
    gboolean body_by_reference;
    const guint8 *body; /* with body_by_reference: the body to parse after input */
    gsize body_len;
    /* owned: the bare-CR normalised copy `body` points into, when there was
     * a bare CR (the caller's bytes otherwise); freed by mime_prescan_clear */
    GByteArray *normalised;
} MimePrescan;

/* Scan `len` bytes (NULL/0 allowed) under `bounds` (NULL: the defaults) into
 * *out (zeroed by the caller, body_by_reference set if wanted), adding one line per cut to `problems` (see mime_problems.h). The
 * first line must be a header field, else out->fields is 0 and out->input
 * holds nothing worth parsing. Release with mime_prescan_clear(). */
void mime_prescan_run(const guint8 *data, gsize len, const Bounds *bounds,
                      GPtrArray *problems, MimePrescan *out);

/* Free out->input (if still there) and zero *p. NULL-safe. */
void mime_prescan_clear(MimePrescan *p);

#endif
