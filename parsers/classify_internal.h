/* classify_internal.h - private to the classifier (parsers/classify*.c; the
 * public interface is classify.h): the zones of a message's text and where a
 * problem phrase is found in them (classify_zones.c). */
#ifndef CPR_CLASSIFY_INTERNAL_H
#define CPR_CLASSIFY_INTERNAL_H

#include <glib.h>
#include "mime.h"
#include "rules.h"

/* Where a phrase is found: the subject, the sender's own text, quoted text. */
enum { ZONE_SUBJECT, ZONE_TEXT, ZONE_QUOTED, N_ZONES };

typedef struct {
    char *zone[N_ZONES]; /* subject, own text, quoted text: stop patterns blanked */
    gboolean *may[N_ZONES]; /* per zone, per phrase (then revoke): can it match there */
    gboolean *branch_may[N_ZONES]; /* per zone, per branch of each (phrase_filter.h) */
    gint64 deadline;     /* monotonic microseconds */
    gboolean over_budget;
} Texts;

/* Splits the message into its zones (each capped at rules->max_text_bytes),
 * blanks the stop patterns and notes which phrases may match in each; starts
 * the phrase budget. Clear with cls_texts_clear(). */
void cls_texts_init(Texts *t, const MimeMessage *msg, const Rules *rules);
void cls_texts_clear(Texts *t);
/* The factor of the best zone where `re` (entry `which` of the phrase
 * filter) matches without a negation before it; 0 when it does not. */
gint cls_best_zone(const Rules *rules, const GRegex *re, guint which, const Texts *t);

#endif
