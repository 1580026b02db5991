/* imap_guard.h - a bounded check of IMAP server bytes before libetpan parses them.
 *
 * libetpan 1.9.4 dereferences NULL on some malformed flag lists (tests/fuzz/
 * README.md). The guard follows the server's byte stream the way libetpan
 * frames it (lines, and literals {n} at the end of a line in the responses
 * whose grammar has strings) and checks every flag list libetpan would parse
 * against RFC 3501 before those bytes are released to it:
 *
 *   * FLAGS (...)                      flag-list, nothing after it
 *   <status> [PERMANENTFLAGS (...)]    flag-perm list (\* allowed), in any
 *                                      OK/NO/BAD/BYE/PREAUTH, tagged or not,
 *                                      and in a continuation request "+ ["
 *   * n FETCH (... FLAGS (...) ...)    outside quoted strings and [sections],
 *                                      in every line of the response
 *
 * flag-list = "(" [flag *(SP flag)] ")", flag = "\" atom / atom; atom chars
 * are printable ASCII except ( ) { SP % * " \ ]. Everything else passes
 * unchanged; literal payloads are never looked at. Pure: bytes and limits in,
 * bytes and a GError out. Used by agent/imap/imap_guard_stream.c. */
#ifndef CPR_IMAP_GUARD_H
#define CPR_IMAP_GUARD_H

#include <glib.h>

/* Non-literal bytes of one line (a literal ends a line) held at most: larger
 * is an error. Dovecot's longest lines (a FETCH of many flags, CAPABILITY)
 * are a few KiB. */
#define IMAP_GUARD_MAX_LINE (64 * 1024)

typedef struct ImapGuard ImapGuard;

/* A guard at the start of a stream (the next byte begins a response).
 * max_line: see IMAP_GUARD_MAX_LINE; at least 16. */
ImapGuard *imap_guard_new(gsize max_line);
void imap_guard_free(ImapGuard **guard);

/* Feed `len` bytes read from the server. Appends to `released`, in order,
 * every byte that may now go to the parser: whole checked lines and literal
 * payload as it comes; the bytes of an unfinished line are held (at most
 * max_line). FALSE with CPR_ERROR_CONNECTION when a flag list is malformed or
 * a line is too long; bytes before the bad line are still appended. After a
 * failure every call fails. */
gboolean imap_guard_feed(ImapGuard *guard, const guint8 *data, gsize len, GByteArray *released,
                         GError **error);

/* Bytes of an unfinished line held back. */
gsize imap_guard_held(const ImapGuard *guard);

#endif
