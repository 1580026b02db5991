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

/* ---- RFC 2047 words GMime 3.2.13 truncates ------------------------------
 *
 * GMime 3.2.13 (Debian 12) cuts a value made of several base64 encoded-words
 * with padding short at the first multi-byte character split between two
 * words ("=?UTF-8?B?0J7RgtC30YvQsiDRgQ==?= =?UTF-8?B?0LXRgNGC...?=" decodes
 * to "Отзыв с"), as Gmail and Outlook write long Cyrillic and Chinese
 * subjects and names. When a value has two or more encoded-words, we decode
 * it here instead: each word's bytes on their own (padding and all), adjacent
 * words of one charset joined as bytes before the conversion to UTF-8, the
 * white space between adjacent words dropped (RFC 2047 6.2). */

static gsize count_encoded_words(const char *s)
{
    gsize n = 0;
    for (const char *p = s; (p = strstr(p, "=?")) != NULL; p += 2)
        n++;
    return n;
}

/* One encoded-word at s: its charset, its decoded bytes and its length. */
static gboolean encoded_word(const char *s, char **charset_r, GByteArray *bytes, gsize *len_r)
{
    if (s[0] != '=' || s[1] != '?')
        return FALSE;
    const char *cs = s + 2;
    const char *q1 = strchr(cs, '?');
    if (!q1 || q1 == cs || q1 - cs > 64 || !q1[1] || q1[2] != '?')
        return FALSE;
    char enc = g_ascii_toupper(q1[1]);
    const char *text = q1 + 3;
    const char *end = strstr(text, "?=");
    if (!end || (enc != 'B' && enc != 'Q') || memchr(text, ' ', (gsize)(end - text)))
        return FALSE;
    g_autofree char *charset = g_strndup(cs, (gsize)(q1 - cs));
    char *star = strchr(charset, '*'); /* RFC 2231 language */
    if (star)
        *star = '\0';
    if (enc == 'B') {
        g_autofree char *b64 = g_strndup(text, (gsize)(end - text));
        gsize n = 0;
        guchar *raw = g_base64_decode(b64, &n);
        g_byte_array_append(bytes, raw, (guint)n);
        g_free(raw);
    } else {
        for (const char *p = text; p < end; p++) {
            guint8 c = (guint8)*p;
            if (c == '_')
                c = ' ';
            else if (c == '=' && p + 2 < end && g_ascii_isxdigit(p[1]) && g_ascii_isxdigit(p[2])) {
                c = (guint8)(g_ascii_xdigit_value(p[1]) * 16 + g_ascii_xdigit_value(p[2]));
                p += 2;
            }
            g_byte_array_append(bytes, &c, 1);
        }
    }
    *charset_r = g_steal_pointer(&charset);
    *len_r = (gsize)(end + 2 - s);
    return TRUE;
}

static void flush_words(GString *out, GByteArray *bytes, char **charset, gboolean quote)
{
    if (!*charset)
        return;
    g_autofree char *utf8 = charset_to_utf8(bytes->data, bytes->len, *charset, NULL);
    if (quote)
        g_string_append_c(out, '"');
    for (const char *p = utf8 ? utf8 : ""; *p; p++) {
        if (quote && (*p == '"' || *p == '\\'))
            g_string_append_c(out, '\\');
        g_string_append_c(out, *p);
    }
    if (quote)
        g_string_append_c(out, '"');
    g_byte_array_set_size(bytes, 0);
    g_clear_pointer(charset, g_free);
}

/* `raw` with its encoded-words decoded (unfolded first); with `quote`, each
 * decoded run becomes a quoted-string, so an address list stays parseable. */
static char *decode_words(const char *raw, gboolean quote)
{
    GString *out = g_string_new(NULL);
    GByteArray *bytes = g_byte_array_new();
    char *charset = NULL;
    const char *p = raw;
    while (*p) {
        if (*p == '\r' || *p == '\n') {
            p++;
            continue;
        }
        char *cs = NULL;
        gsize len = 0;
        GByteArray *word = g_byte_array_new();
        if (encoded_word(p, &cs, word, &len)) {
            if (charset && g_ascii_strcasecmp(charset, cs) != 0)
                flush_words(out, bytes, &charset, quote);
            if (!charset)
                charset = g_strdup(cs);
            g_byte_array_append(bytes, word->data, word->len);
            g_free(cs);
            g_byte_array_unref(word);
            p += len;
            /* white space up to the next encoded-word is dropped */
            const char *q = p;
            while (*q == ' ' || *q == '\t' || *q == '\r' || *q == '\n')
                q++;
            if (q[0] == '=' && q[1] == '?') {
                char *cs2 = NULL;
                gsize len2 = 0;
                GByteArray *w2 = g_byte_array_new();
                if (encoded_word(q, &cs2, w2, &len2))
                    p = q;
                g_free(cs2);
                g_byte_array_unref(w2);
            }
            continue;
        }
        g_byte_array_unref(word);
        flush_words(out, bytes, &charset, quote);
        g_string_append_c(out, *p);
        p++;
    }
    flush_words(out, bytes, &charset, quote);
    g_byte_array_unref(bytes);
    char *s = g_string_free(out, FALSE);
    char *valid = charset_utf8_dup(s);
    g_free(s);
    return valid;
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
            /* several encoded-words: decoded here (see decode_words) */
            g_autofree char *fixed = count_encoded_words(raw) >= 2 ? decode_words(raw, TRUE) : NULL;
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

    if (subject_raw && count_encoded_words(subject_raw) >= 2)
        msg->subject = g_strstrip(decode_words(subject_raw, FALSE));
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
