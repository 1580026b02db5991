/* bounds.h - every limit on input size, in one place.
 *
 * Inputs are checked against these before anything is allocated for them. The
 * defaults are generous for real mail and small enough that one hostile message
 * cannot exhaust memory. */
#ifndef CPR_BOUNDS_H
#define CPR_BOUNDS_H

#include <glib.h>

typedef struct {
    gsize max_message_bytes;    /* whole raw message; larger is stored raw, not parsed */
    gsize max_header_bytes;     /* header section of a message or part */
    guint max_mime_depth;       /* nesting of multiparts / message/rfc822 */
    guint max_mime_parts;       /* leaf parts visited per message */
    gsize max_attachment_bytes; /* decoded attachment kept for extraction */
    gsize max_text_bytes;       /* decoded UTF-8 body text kept */
} Bounds;

/* The defaults: 40 MB message, 256 KB headers, depth 32, 500 parts, 10 MB
 * attachment, 2 MB text. */
Bounds bounds_default(void);

#endif
