/* mime_headers.h - the header facts of a message GMime has parsed.
 *
 * Internal to the MIME parser (mime.c): reads a GMimeMessage's header fields
 * into a MimeMessage (see mime.h): every field in input order (names as
 * written, values unfolded, RFC 2047-decoded and valid UTF-8), the address
 * lists, Message-ID, In-Reply-To, References, Subject, Date and the
 * timestamp of the topmost Received:. At most MIME_HEADERS_MAX_ITEMS
 * addresses per list and message-ids in References. */
#ifndef CPR_MIME_HEADERS_H
#define CPR_MIME_HEADERS_H

#include <glib.h>
#include <gmime/gmime.h>

#include "mime.h"

#define MIME_HEADERS_MAX_ITEMS 1000

/* Fill the header fields of `msg` (whose arrays exist and are empty) from
 * `gm`, parsing addresses and message-ids with `opts`; each defect becomes a
 * line in msg->problems. */
void mime_headers_read(MimeMessage *msg, GMimeMessage *gm, GMimeParserOptions *opts);

/* The address lists of `msg` (From, Sender, Reply-To, To, Cc, Delivered-To),
 * from the one table that also reads them: each created empty, or each freed
 * (NULL-safe: a MimeMessage built by hand may leave some NULL). */
void mime_headers_addresses_new(MimeMessage *msg);
void mime_headers_addresses_free(MimeMessage *msg);

#endif
