/* mime_problems.c - a bounded list of distinct defect lines (see
 * mime_problems.h). */
#include "mime_problems.h"

#include <string.h>

GPtrArray *mime_problems_new(void)
{
    return g_ptr_array_new_with_free_func(g_free);
}

void mime_problems_add(GPtrArray *problems, const char *fmt, ...)
{
    if (!problems || !fmt)
        return;
    va_list ap;
    va_start(ap, fmt);
    char *line = g_strdup_vprintf(fmt, ap);
    va_end(ap);

    /* linear, but the list never holds more than MIME_PROBLEMS_MAX + 1 */
    for (guint i = 0; i < problems->len; i++) {
        if (strcmp(problems->pdata[i], line) == 0) {
            g_free(line);
            return;
        }
    }
    if (problems->len == MIME_PROBLEMS_MAX) {
        g_free(line);
        line = g_strdup(MIME_PROBLEMS_MORE);
    } else if (problems->len > MIME_PROBLEMS_MAX) {
        g_free(line);
        return;
    }
    if (!g_utf8_validate(line, -1, NULL)) {
        char *valid = g_utf8_make_valid(line, -1);
        g_free(line);
        line = valid;
    }
    g_ptr_array_add(problems, line);
}
