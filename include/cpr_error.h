/* cpr_error.h - the one error model of cpr-intake.
 *
 * Every fallible function is `gboolean f(..., GError **error)` (or returns NULL)
 * and sets an error in CPR_ERROR whose code says what failed, and therefore what
 * the caller does next. Library codes (libetpan, curl, SQLite) are converted at
 * the module edge; their text is kept in the message. */
#ifndef CPR_ERROR_H
#define CPR_ERROR_H

#include <glib.h>

#define CPR_ERROR (cpr_error_quark())
GQuark cpr_error_quark(void);

typedef enum {
    CPR_ERROR_MESSAGE,    /* this message is bad: store it quarantined, go on */
    CPR_ERROR_FOLDER,     /* this folder failed: skip it this round */
    CPR_ERROR_CONNECTION, /* the connection failed: reconnect with backoff */
    CPR_ERROR_CONFIG,     /* configuration is wrong: exit at start-up */
    CPR_ERROR_STORE,      /* the database failed: exit, systemd restarts */
    CPR_ERROR_INPUT,      /* bad command-line input: unknown case, bad time */
    CPR_ERROR_AUTH,       /* authentication refused (IMAP, Bugzilla) */
    CPR_ERROR_TLS,        /* certificate verification failed */
    CPR_ERROR_REMOTE,     /* a remote service answered with an error */
    CPR_ERROR_LEAK,       /* redaction leak check found an identifier */
} CprErrorCode;

#endif
