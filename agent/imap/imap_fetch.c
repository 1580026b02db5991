/* imap_fetch.c - message bodies in bounded pieces (issue 16 item 1, issue 17
 * item 5).
 *
 * libetpan holds a whole FETCH response in memory before it returns it, so
 * no single FETCH may bring more than the transfer cap: a batch asks for
 * BODY.PEEK[]<0.window> (the window a little over the largest size the server
 * announced), a large message comes in ranges BODY.PEEK[]<offset.chunk>
 * appended to one buffer, until a range comes back short. The length that
 * arrived is the truth, whatever RFC822.SIZE said.
 *
 * A link that cuts transfers makes the cap smaller (halved when the first
 * fetch of a connection is cut, down to FETCH_CAP_MIN; doubled back after
 * FETCH_GROW_AFTER good fetches), and a
 * large message cut halfway keeps what arrived: the next attempt, on a new
 * connection, asks only for the rest. */
#define G_LOG_DOMAIN "imap"
#include "imap_internal.h"
#include "logging.h"

#include <string.h>

#define FETCH_CAP_MAX (8u * 1024u * 1024u) /* bytes one FETCH may bring */
#define FETCH_CAP_MIN (32u * 1024u)
#define FETCH_CHUNK_MAX (1024u * 1024u) /* one range of a large message */
#define FETCH_GROW_AFTER 64

struct ImapFetch {
    gsize cap;
    guint good;        /* fetches since the last cut */
    guint64 progress;  /* body fetches that succeeded, and caps made smaller */
    guint on_connection; /* body fetches that succeeded on this connection */
    char *partial_key; /* "folder\nuidvalidity\nuid" of `partial` */
    GByteArray *partial;
};

ImapFetch *imap_fetch_new(void)
{
    ImapFetch *f = g_new0(ImapFetch, 1);
    f->cap = FETCH_CAP_MAX;
    return f;
}

static void drop_partial(ImapFetch *f)
{
    g_clear_pointer(&f->partial_key, g_free);
    if (f->partial)
        g_byte_array_unref(f->partial);
    f->partial = NULL;
}

void imap_fetch_free(ImapFetch **fp)
{
    ImapFetch *f = *fp;
    if (!f)
        return;
    drop_partial(f);
    g_free(f);
    *fp = NULL;
}

gsize imap_fetch_cap(const ImapFetch *f)
{
    return f->cap;
}

gsize imap_fetch_chunk(const ImapFetch *f)
{
    return MIN(f->cap, (gsize)FETCH_CHUNK_MAX);
}

void imap_fetch_connected(ImapFetch *f)
{
    f->on_connection = 0;
}

/* A transfer was cut (the connection is gone): ask for less next time,
 * unless this connection had carried whole fetches before (the link cuts
 * after so many bytes, whatever their size). */
static void fetch_cut(ImapFetch *f)
{
    f->good = 0;
    if (f->on_connection == 0 && f->cap / 2 >= FETCH_CAP_MIN) {
        f->cap /= 2;
        f->progress++;
        g_message("event=fetch_smaller cap_bytes=%" G_GSIZE_FORMAT
                  " reason=\"transfer cut\"", f->cap);
    }
}

guint64 imap_fetch_progress(const ImapFetch *f)
{
    return f->progress;
}

static void fetch_went_well(ImapFetch *f)
{
    f->progress++;
    f->on_connection++;
    if (++f->good >= FETCH_GROW_AFTER && f->cap < FETCH_CAP_MAX) {
        f->cap *= 2;
        f->good = 0;
    }
}

struct mailimap_set *imap_uid_set(const guint32 *uids, guint n)
{
    struct mailimap_set *set = mailimap_set_new_empty();
    for (guint i = 0; i < n;) {
        guint j = i;
        while (j + 1 < n && uids[j + 1] == uids[j] + 1)
            j++;
        if (i == j)
            mailimap_set_add_single(set, uids[i]);
        else
            mailimap_set_add_interval(set, uids[i], uids[j]);
        i = j + 1;
    }
    return set;
}

gboolean imap_fetch_bodies(ImapFetch *f, ImapSession *s, const char *folder,
                           const guint32 *uids, guint n, guint32 offset, guint32 length,
                           clist **result_r, GError **error)
{
    struct mailimap_set *set = imap_uid_set(uids, n);
    struct mailimap_fetch_type *ft = mailimap_fetch_type_new_fetch_att_list_empty();
    mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_uid());
    mailimap_fetch_type_new_fetch_att_list_add(
        ft, mailimap_fetch_att_new_body_peek_section_partial(mailimap_section_new(NULL), offset,
                                                             length));
    *result_r = NULL;
    int r = mailimap_uid_fetch(s->imap, set, ft, result_r);
    mailimap_fetch_type_free(ft);
    mailimap_set_free(set);
    if (r == MAILIMAP_NO_ERROR) {
        fetch_went_well(f);
        return TRUE;
    }
    g_autofree char *what =
        n == 1 ? g_strdup_printf("%s/%u: UID FETCH BODY.PEEK[]<%u.%u>", folder, uids[0], offset,
                                 length)
               : g_strdup_printf("%s: UID FETCH BODY.PEEK[]<%u.%u> of %u UIDs from %u", folder,
                                 offset, length, n, uids[0]);
    GError *e = NULL;
    imap_session_set_error(s, r, CPR_ERROR_MESSAGE, &e, what);
    if (e->code == CPR_ERROR_CONNECTION)
        fetch_cut(f);
    g_propagate_error(error, e);
    return FALSE;
}

const char *imap_fetch_body_of(clist *result, guint32 uid, gsize *len_r)
{
    for (clistiter *it = clist_begin(result); it; it = clist_next(it)) {
        struct mailimap_msg_att *att = clist_content(it);
        guint32 got = 0;
        const char *body = NULL;
        gsize len = 0;
        for (clistiter *i = clist_begin(att->att_list); i; i = clist_next(i)) {
            struct mailimap_msg_att_item *item = clist_content(i);
            if (item->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC || !item->att_data.att_static)
                continue;
            struct mailimap_msg_att_static *st = item->att_data.att_static;
            if (st->att_type == MAILIMAP_MSG_ATT_UID)
                got = st->att_data.att_uid;
            else if (st->att_type == MAILIMAP_MSG_ATT_BODY_SECTION && st->att_data.att_body_section) {
                body = st->att_data.att_body_section->sec_body_part
                           ? st->att_data.att_body_section->sec_body_part
                           : "";
                len = st->att_data.att_body_section->sec_length;
            }
        }
        if (got == uid && body) {
            *len_r = len;
            return body;
        }
    }
    *len_r = 0;
    return NULL;
}

/* The bytes of `key` kept from a cut transfer, or `start`, or nothing. */
static GByteArray *resume_from(ImapFetch *f, const char *key, GByteArray *start)
{
    if (f->partial && !g_strcmp0(f->partial_key, key) && (!start || f->partial->len > start->len)) {
        GByteArray *kept = g_steal_pointer(&f->partial);
        drop_partial(f);
        g_message("event=fetch_resumed offset=%u", kept->len);
        return kept;
    }
    drop_partial(f);
    return start ? g_byte_array_ref(start) : g_byte_array_new();
}

gboolean imap_fetch_ranged(ImapFetch *f, ImapSession *s, const char *folder, guint32 uid,
                           GByteArray *start, gsize limit, GByteArray **out_r, GError **error)
{
    g_autofree char *key = g_strdup_printf("%s\n%u\n%u", folder, s->sel_uidvalidity, uid);
    GByteArray *buf = resume_from(f, key, start);
    guint ranges = 0;
    *out_r = NULL;
    for (;; ranges++) {
        gsize want = MIN(imap_fetch_chunk(f), limit - MIN(limit, (gsize)buf->len));
        if (want == 0)
            break;
        clist *result = NULL;
        GError *e = NULL;
        if (!imap_fetch_bodies(f, s, folder, &uid, 1, buf->len, (guint32)want, &result, &e)) {
            if (buf->len && e->code == CPR_ERROR_CONNECTION) {
                f->partial_key = g_steal_pointer(&key);
                f->partial = buf; /* the next connection asks for the rest */
            } else {
                g_byte_array_unref(buf);
            }
            g_propagate_error(error, e);
            return FALSE;
        }
        gsize len = 0;
        const char *body = imap_fetch_body_of(result, uid, &len);
        if (body)
            g_byte_array_append(buf, (const guint8 *)body, (guint)MIN(len, want));
        mailimap_fetch_list_free(result);
        if (!body) {
            g_byte_array_unref(buf); /* expunged meanwhile: nothing to store */
            return TRUE;
        }
        if (len < want)
            break; /* the end of the message */
    }
    g_autofree char *fl = log_value(folder);
    g_message("event=ranged_fetch folder=%s uid=%u bytes=%u ranges=%u", fl, uid, buf->len,
              ranges + 1);
    *out_r = buf;
    return TRUE;
}
