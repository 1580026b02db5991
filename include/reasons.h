/* reasons.h - the BR 4.9.1.1 revocation reasons (SPEC 2.3) as data, and their
 * inference from what a report says.
 *
 * Pure. The table is the sixteen rows of BR 4.9.1.1 (numbering of SPEC 2.3),
 * each with its revocation window, the CRLReason MRSP 6.1.1 asks for, and
 * whether the reason is, by default, a failure of the CA (an incident). The
 * phrases that recognise each reason are data: the [phrase] groups of the
 * rules file with a reason= (rules.h, conf/rules.conf).
 *
 * Choosing among several candidates: the shortest window wins, then the lowest
 * row number (SPEC 2.3). A case that concerns certificates and has no
 * candidate has the "assumed" reason: 24 hours, no row, no CRLReason. */
#ifndef CPR_REASONS_H
#define CPR_REASONS_H

#include <glib.h>

#define REASON_ROWS 16

/* 0 = no reason (the case concerns no certificate); 1..16 a BR row. */
typedef struct {
    int number;            /* 1..16 */
    const char *name;      /* subscriber_request, unauthorized, ... */
    int window_hours;      /* 24 or 120 */
    const char *crl_reason; /* unspecified, keyCompromise, ... */
    gboolean incident;     /* a failure of the CA by default */
    const char *summary;   /* one line for people */
} ReasonRow;

/* Row 1..16, or NULL. */
const ReasonRow *reasons_row(int number);
/* A row by its number ("5") or name ("validation_unreliable"); NULL when
 * neither. */
const ReasonRow *reasons_lookup(const char *text);
/* "subscriber_request, unauthorized, ..." for error messages; static. */
const char *reasons_names_list(void);

/* The candidate rows a text supports, as a bit mask (bit n = row n). */
guint32 reasons_infer(const char *text);
/* The row chosen among the candidates of `mask`; 0 when the mask is empty. */
int reasons_choose(guint32 mask);

#endif
