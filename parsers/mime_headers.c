/* mime_headers.c - the header facts of a message GMime has parsed (see
 * mime_headers.h). Structured fields are parsed from the raw value, since
 * GMime's decoded value of an address list loses the quoting. */
#include "mime_headers.h"

#include <string.h>

#include "charset.h"
#include "mime_problems.h"

/* GMime 3.2 declares no autoptr cleanups of its own. */
G_DEFINE_AUTOPTR_CLEANUP_FUNC(InternetAddressList, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GMimeReferences, g_mime_references_free)

static char *strip_brackets(const char *s)
{
    if (!s)
        return NULL;
    char *t = g_strstrip(g_strdup(s));
    gsize n = strlen(t);
    if (n >= 2 && t[0] == '<' && t[n - 1] == '>') {
        memmove(t, t + 1, n - 2);
        t[n - 2] = '\0';
    }
    if (!*t) {
        g_free(t);
        return NULL;
    }
    return t;
}

static void add_addresses(GPtrArray *out, InternetAddressList *list, guint level)
{
    int n = internet_address_list_length(list);
    for (int i = 0; i < n && out->len < MIME_HEADERS_MAX_ITEMS; i++) {
        InternetAddress *ia = internet_address_list_get_address(list, i);
        if (INTERNET_ADDRESS_IS_GROUP(ia)) {
            if (level < 2)
                add_addresses(out, internet_address_group_get_members(INTERNET_ADDRESS_GROUP(ia)),
                              level + 1);
            continue;
        }
        if (!INTERNET_ADDRESS_IS_MAILBOX(ia))
            continue;
        const char *addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia));
        if (!addr || !*addr)
            continue;
        MimeAddress *a = g_new0(MimeAddress, 1);
        g_autofree char *valid = g_utf8_make_valid(addr, -1);
        a->email = g_utf8_strdown(valid, -1);
        const char *name = internet_address_get_name(ia);
        a->name = name && *name ? charset_utf8_dup(name) : NULL;
        g_ptr_array_add(out, a);
    }
}

typedef struct {
    const char *name;
    gsize offset; /* of the GPtrArray* in MimeMessage */
} AddressField;

static const AddressField address_fields[] = {
    {"From", G_STRUCT_OFFSET(MimeMessage, from)},
    {"Sender", G_STRUCT_OFFSET(MimeMessage, sender)},
    {"Reply-To", G_STRUCT_OFFSET(MimeMessage, reply_to)},
    {"To", G_STRUCT_OFFSET(MimeMessage, to)},
    {"Cc", G_STRUCT_OFFSET(MimeMessage, cc)},
    {"Delivered-To", G_STRUCT_OFFSET(MimeMessage, delivered_to)},
};

static void mime_address_free(gpointer p)
{
    MimeAddress *a = p;
    if (!a)
        return;
    g_free(a->name);
    g_free(a->email);
    g_free(a);
}

void mime_headers_addresses_new(MimeMessage *msg)
{
    for (gsize k = 0; k < G_N_ELEMENTS(address_fields); k++)
        G_STRUCT_MEMBER(GPtrArray *, msg, address_fields[k].offset) =
            g_ptr_array_new_with_free_func(mime_address_free);
}

void mime_headers_addresses_free(MimeMessage *msg)
{
    for (gsize k = 0; k < G_N_ELEMENTS(address_fields); k++)
        g_clear_pointer(&G_STRUCT_MEMBER(GPtrArray *, msg, address_fields[k].offset),
                        g_ptr_array_unref);
}

static gint header_offset_cmp(gconstpointer a, gconstpointer b)
{
    gint64 oa = g_mime_header_get_offset(*(GMimeHeader *const *)a);
    gint64 ob = g_mime_header_get_offset(*(GMimeHeader *const *)b);
    return oa < ob ? -1 : oa > ob;
}

/* GMime files the Content-* fields under the top-level part, the others under
 * the message: merge both lists back into the order of the input. */
static GPtrArray *all_headers(GMimeMessage *gm)
{
    GPtrArray *out = g_ptr_array_new();
    GMimeObject *body = g_mime_message_get_mime_part(gm);
    GMimeHeaderList *lists[2] = {
        g_mime_object_get_header_list(GMIME_OBJECT(gm)),
        body ? g_mime_object_get_header_list(body) : NULL,
    };
    for (gsize l = 0; l < G_N_ELEMENTS(lists); l++) {
        int n = lists[l] ? g_mime_header_list_get_count(lists[l]) : 0;
        for (int i = 0; i < n; i++) {
            GMimeHeader *h = g_mime_header_list_get_header_at(lists[l], i);
            gboolean dup = FALSE;
            for (guint k = 0; k < out->len && l > 0 && !dup; k++)
                dup = g_mime_header_get_offset(out->pdata[k]) == g_mime_header_get_offset(h);
            if (!dup)
                g_ptr_array_add(out, h);
        }
    }
    g_ptr_array_sort(out, header_offset_cmp);
    return out;
}

/* See mime.h. */
gboolean mime_parse_date(const char *text, gint64 *unix_r)
{
    if (!text)
        return FALSE;
    g_autofree char *t = g_strstrip(g_strdup(text));
    if (!*t || strlen(t) > 200)
        return FALSE;
    GDateTime *dt = g_mime_utils_header_decode_date(t);
    if (!dt)
        return FALSE;
    if (unix_r)
        *unix_r = g_date_time_to_unix(dt);
    g_date_time_unref(dt);
    return TRUE;
}

void mime_headers_read(MimeMessage *msg, GMimeMessage *gm, GMimeParserOptions *opts)
{
    g_autoptr(GPtrArray) headers = all_headers(gm);
    guint count = headers->len;
    const char *first_received = NULL;
    const char *date = NULL;
    const char *in_reply_to = NULL;
    const char *references = NULL;
    const char *message_id = NULL;
    const char *subject_raw = NULL;

    for (guint i = 0; i < count; i++) {
        GMimeHeader *h = headers->pdata[i];
        const char *name = g_mime_header_get_name(h);
        const char *value = g_mime_header_get_value(h);
        const char *raw = g_mime_header_get_raw_value(h);
        if (!name)
            continue;
        g_ptr_array_add(msg->header_names, charset_utf8_dup(name));
        char *v = charset_utf8_dup(value ? value : "");
        g_ptr_array_add(msg->header_values, g_strstrip(v));

        if (!raw)
            continue;
        for (gsize k = 0; k < G_N_ELEMENTS(address_fields); k++) {
            if (g_ascii_strcasecmp(name, address_fields[k].name) != 0)
                continue;
            GPtrArray *out = G_STRUCT_MEMBER(GPtrArray *, msg, address_fields[k].offset);
            /* several encoded-words: decoded by us (charset.h) */
            g_autofree char *fixed = charset_fix_encoded_words(raw, TRUE);
            g_autoptr(InternetAddressList) list = internet_address_list_parse(opts, fixed ? fixed : raw);
            if (list)
                add_addresses(out, list, 0);
            if ((!list || internet_address_list_length(list) == 0) && strchr(raw, '@'))
                mime_problems_add(msg->problems, "%s: no address could be read",
                                  address_fields[k].name);
        }
        if (!first_received && g_ascii_strcasecmp(name, "Received") == 0)
            first_received = raw;
        else if (!date && g_ascii_strcasecmp(name, "Date") == 0)
            date = raw;
        else if (!in_reply_to && g_ascii_strcasecmp(name, "In-Reply-To") == 0)
            in_reply_to = raw;
        else if (!references && g_ascii_strcasecmp(name, "References") == 0)
            references = raw;
        else if (!message_id && g_ascii_strcasecmp(name, "Message-ID") == 0)
            message_id = raw;
        else if (!subject_raw && g_ascii_strcasecmp(name, "Subject") == 0)
            subject_raw = raw;
    }

    char *fixed_subject = subject_raw ? charset_fix_encoded_words(subject_raw, FALSE) : NULL;
    if (fixed_subject)
        msg->subject = g_strstrip(fixed_subject);
    else
        msg->subject = charset_utf8_dup(g_mime_message_get_subject(gm));
    if (message_id) {
        const char *id = g_mime_message_get_message_id(gm);
        msg->message_id = id && *id ? charset_utf8_dup(id) : strip_brackets(message_id);
        if (msg->message_id && !g_utf8_validate(msg->message_id, -1, NULL)) {
            char *valid = g_utf8_make_valid(msg->message_id, -1);
            g_free(msg->message_id);
            msg->message_id = valid;
        }
    }
    if (in_reply_to) {
        g_autoptr(GMimeReferences) refs = g_mime_references_parse(opts, in_reply_to);
        if (refs && g_mime_references_length(refs) > 0)
            msg->in_reply_to = charset_utf8_dup(g_mime_references_get_message_id(refs, 0));
        else
            mime_problems_add(msg->problems, "In-Reply-To: no message-id could be read");
    }
    if (references) {
        g_autoptr(GMimeReferences) refs = g_mime_references_parse(opts, references);
        int n = refs ? g_mime_references_length(refs) : 0;
        for (int i = 0; i < n && i < MIME_HEADERS_MAX_ITEMS; i++)
            g_ptr_array_add(msg->references,
                            charset_utf8_dup(g_mime_references_get_message_id(refs, i)));
    }
    if (date) {
        msg->has_date = mime_parse_date(date, &msg->date);
        if (!msg->has_date)
            mime_problems_add(msg->problems, "Date: unreadable date-time");
    }
    if (first_received) {
        const char *semi = strrchr(first_received, ';');
        msg->has_received = semi && mime_parse_date(semi + 1, &msg->received);
        if (!msg->has_received)
            mime_problems_add(msg->problems,
                              "Received: no readable timestamp in the topmost field");
    }
}
