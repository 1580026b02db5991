/* testhooks.c - test steering, compiled in only for the test build
 * (testhooks.h). */
#include "testhooks.h"

const char *testhooks_getenv(const char *name)
{
#ifdef CPR_TEST_HOOKS
    return g_getenv(name);
#else
    (void)name;
    return NULL;
#endif
}

gint64 testhooks_now(void)
{
    const char *pinned = testhooks_getenv("CPR_INTAKE_NOW");
    guint64 v = 0;
    if (pinned && g_ascii_string_to_unsigned(pinned, 10, 1, G_MAXINT64, &v, NULL))
        return (gint64)v;
    return g_get_real_time() / G_USEC_PER_SEC;
}
