/* secret.h - secret files (passwords, tokens, keys): the one place that opens,
 * checks, reads and wipes them.
 *
 * A secret file must be a regular file owned by the running user or root,
 * with mode 0600 or 0400: one readable by the group or the world has already
 * leaked, and one owned by another user can be swapped by that user. */
#ifndef CPR_SECRET_H
#define CPR_SECRET_H

#include <glib.h>

/* Open and check `path` as above, then close it. FALSE with a CPR_ERROR_CONFIG
 * error naming the path and what is wrong. */
gboolean secret_file_check(const char *path, GError **error);
/* The secret in `path` (checked as above, at most 64 KiB, trailing CR/LF cut
 * off, not empty), or NULL with a CPR_ERROR_CONFIG error. Free with
 * secret_free(). */
char *secret_read(const char *path, GError **error);
/* Wipe a NUL-terminated secret, free it and set *secret to NULL (NULL and
 * *secret == NULL are fine). */
void secret_free(char **secret);
/* Overwrite `len` bytes with zeros in a way the compiler keeps
 * (gnutls_memset). */
void secret_wipe(void *data, gsize len);

#endif
