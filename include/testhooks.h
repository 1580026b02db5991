/* testhooks.h - the only door through which tests steer the process.
 *
 * The sanitizer build that `make check` runs is compiled with CPR_TEST_HOOKS:
 * there CPR_INTAKE_NOW pins the clock, CPR_INTAKE_FAULT kills the process at a
 * named point, CPR_INTAKE_BUGZILLA_TIMEOUT_MS shortens a timeout and
 * CPR_INTAKE_MARK_PAGE_SECONDS the age a refused server mark must reach before
 * it pages (notify_mark.c). The
 * release binary that `make` builds reads none of them: a test variable left
 * in an operator's environment must not rewrite evidence (issue 13). */
#ifndef CPR_TESTHOOKS_H
#define CPR_TESTHOOKS_H

#include <glib.h>

/* The environment variable `name` in a test build; NULL in a release build. */
const char *testhooks_getenv(const char *name);
/* Unix seconds now: CPR_INTAKE_NOW in a test build when set, else the clock. */
gint64 testhooks_now(void);

#endif
