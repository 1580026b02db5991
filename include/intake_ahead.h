/* intake_ahead.h - parsing messages ahead of their storing (issue 16).
 *
 * Parsing, extraction and classification (intake_parse) are pure and most of
 * a message's CPU; storing is SQLite and the kernel's writes, on the one
 * thread that owns the store. An IntakeAhead parses the messages pushed to it
 * on a small thread pool while that thread stores earlier ones, and hands the
 * results back strictly in the order they were pushed, so that what is stored
 * is what a one-message-at-a-time intake would store.
 *
 * The raw bytes are borrowed: they must stay valid and unchanged until the
 * message is popped. Push, pop and free are for one thread only. */
#ifndef CPR_INTAKE_AHEAD_H
#define CPR_INTAKE_AHEAD_H

#include <glib.h>
#include "intake.h"

typedef struct IntakeAhead IntakeAhead;

/* NULL when no thread pool can be made: the caller then parses in place
 * (intake_message). `intake` is borrowed. */
IntakeAhead *intake_ahead_new(Intake *intake);
/* Waits for every parse still running, frees their results. */
void intake_ahead_free(IntakeAhead **ahead);
static inline void intake_ahead_destroy(IntakeAhead *a) { intake_ahead_free(&a); }
G_DEFINE_AUTOPTR_CLEANUP_FUNC(IntakeAhead, intake_ahead_destroy)

void intake_ahead_push(IntakeAhead *ahead, const guint8 *raw, gsize len, gpointer tag);
/* The oldest message pushed and not popped, once parsed; NULL when none. Its
 * `tag` and bytes come back through the pointers; the caller frees the result
 * with intake_parsed_free(). */
IntakeParsed *intake_ahead_pop(IntakeAhead *ahead, gpointer *tag_r, const guint8 **raw_r,
                               gsize *len_r);
/* How many messages, and how many raw bytes, are pushed and not popped. */
guint intake_ahead_length(const IntakeAhead *ahead);
gsize intake_ahead_bytes(const IntakeAhead *ahead);

#endif
