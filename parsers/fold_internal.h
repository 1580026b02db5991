/* fold_internal.h - the folded text with its map back to the original bytes
 * (parsers/fold.c), which redact.c matches on; the public side is fold.h. */
#ifndef CPR_FOLD_INTERNAL_H
#define CPR_FOLD_INTERNAL_H

#include <glib.h>

/* A folded text with its way back to the original. */
typedef struct {
    GString *s;  /* folded text, valid UTF-8 */
    GArray *map; /* guint32 per byte of s: original offset of its source char */
} Folded;

/* Fold `text` (valid UTF-8, len < 4 GB) into *f (which the caller clears with
 * folded_clear()). With `quotes`, the "> " prefixes after each line break count
 * as part of the separator. */
void fold_build(const char *text, gsize len, gboolean quotes, Folded *f);

/* An empty *f with room for `hint` bytes. */
void folded_init(Folded *f, gsize hint);

/* Free the contents of *f (its fields become NULL). */
void folded_clear(Folded *f);

/* Append the character `c`, which came from original offset `origin`. */
void folded_put(Folded *f, gunichar c, guint32 origin);

#endif
