/* triage.h - which stored messages are "triage" mail (issue 11, SPEC 3.2):
 * mail to one of the CA's report addresses that opened no case. `list
 * --triage` lists those not yet reviewed; the notify tick pages a digest of
 * them (notify_triage.c). */
#ifndef CPR_TRIAGE_H
#define CPR_TRIAGE_H

#include <glib.h>

/* Bytes of a stored message read to decide: enough for any header block
 * (include/bounds.h: 256 KB). */
#define TRIAGE_HEADER_BYTES (256u * 1024 + 1024)

/* TRUE when the message's To, Cc or Delivered-To names one of `report`
 * (lower-case addresses, NULL-terminated). Reads at most TRIAGE_HEADER_BYTES
 * of `raw`. Needs g_mime_init(). */
gboolean triage_to_report_address(const guint8 *raw, gsize len, char **report);

#endif
