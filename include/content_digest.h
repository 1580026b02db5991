/* content_digest.h - what makes two copies of a message the same message
 * (SPEC 3.2 `duplicate`).
 *
 * Pure. The SHA-256 (lowercase hex) of a message's header fields and body
 * with the trace fields that servers add in transit left out - Received,
 * Delivered-To, Return-Path, X-Original-To, Authentication-Results, ARC-*,
 * DKIM-Signature - and line ends normalised to LF. A re-delivered copy
 * (another folder, a forward through a list alias, the same mail fetched
 * twice) has the same digest; other content under a known Message-ID does
 * not. */
#ifndef CPR_CONTENT_DIGEST_H
#define CPR_CONTENT_DIGEST_H

#include <glib.h>

char *content_digest_sha256(const guint8 *raw, gsize len);

#endif
