/* triage.c - which stored messages are triage mail (triage.h). */
#include "triage.h"
#include "mime.h"

static gboolean addr_listed(const char *email, char **list)
{
    for (gsize i = 0; email && list && list[i]; i++)
        if (g_ascii_strcasecmp(email, list[i]) == 0)
            return TRUE;
    return FALSE;
}

gboolean triage_to_report_address(const guint8 *raw, gsize len, char **report)
{
    MimeMessage *m = mime_message_parse(raw, MIN(len, TRIAGE_HEADER_BYTES), NULL);
    GPtrArray *lists[] = {m->to, m->cc, m->delivered_to};
    gboolean found = FALSE;
    for (gsize k = 0; k < G_N_ELEMENTS(lists) && !found; k++)
        for (guint i = 0; lists[k] && i < lists[k]->len && !found; i++)
            found = addr_listed(((const MimeAddress *)lists[k]->pdata[i])->email, report);
    mime_message_free(&m);
    return found;
}
