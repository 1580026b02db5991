/* version.h - the version of this build (VERSION, git describe; see version.sh).
 * Defined in the generated build/version.c, the only object that changes with it. */
#ifndef CPR_VERSION_H
#define CPR_VERSION_H

/* "0.2.0-14-g869797b": always starts with a digit. */
const char *cpr_version(void);

#endif
