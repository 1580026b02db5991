/* bounds.c - default input limits (see bounds.h). */
#include "bounds.h"

Bounds bounds_default(void)
{
    Bounds b = {
        .max_message_bytes = 40u * 1024 * 1024,
        .max_header_bytes = 256u * 1024,
        .max_mime_depth = 32,
        .max_mime_parts = 500,
        .max_attachment_bytes = 10u * 1024 * 1024,
        .max_text_bytes = 2u * 1024 * 1024,
    };
    return b;
}
