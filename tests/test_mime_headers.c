/* test_mime_headers.c - mime_headers_read on messages GMime parsed here,
 * table-driven: field order, address lists, message-ids, dates, defects. */
#include <glib.h>
#include <gmime/gmime.h>
#include <string.h>

#include "mime.h"
#include "mime_headers.h"

typedef struct {
    const char *name;
    const char *raw;
    const char *message_id, *in_reply_to, *subject;
    guint n_refs;
    const char *first_from; /* email of from[0]; NULL: no From address */
    guint n_to;
    gint64 date;            /* -1: has_date FALSE */
    gint64 received;        /* -1: has_received FALSE */
    const char *problem;    /* one expected problem line (substring); NULL: none */
} Row;

static const Row rows[] = {
    {"basic",
     "From: \"Jane\" <Jane@Example.ORG>\nTo: a@x, b@y\nSubject: =?utf-8?q?caf=C3=A9?=\n"
     "Date: Mon, 12 May 2025 14:03:18 -0700\nMessage-ID: <id1@x>\n\nbody",
     "id1@x", NULL, "caf\xC3\xA9", 0, "jane@example.org", 2, 1747083798, -1, NULL},
    {"threading",
     "From: a@x\nIn-Reply-To: <p@x> <q@x>\nReferences: <r1@x>\n <r2@x> <p@x>\n\n",
     NULL, "p@x", NULL, 3, "a@x", 0, -1, -1, NULL},
    {"group-members", "From: a@x\nTo: team: b@y, c@z;, d@w\n\n", NULL, NULL, NULL, 0, "a@x", 3, -1, -1,
     NULL},
    {"topmost-received",
     "Received: from b by c; Tue, 13 May 2025 16:30:00 GMT\nReceived: from a; Mon, 12 May 2025 "
     "10:00:00 GMT\nFrom: a@x\n\n",
     NULL, NULL, NULL, 0, "a@x", 0, -1, 1747153800, NULL},
    {"bad-date", "From: a@x\nDate: someday\n\n", NULL, NULL, NULL, 0, "a@x", 0, -1, -1,
     "Date: unreadable date-time"},
    {"bad-received", "Received: from a by b\nFrom: a@x\n\n", NULL, NULL, NULL, 0, "a@x", 0, -1, -1,
     "Received: no readable timestamp in the topmost field"},
    {"bad-in-reply-to", "From: a@x\nIn-Reply-To: nonsense\n\n", NULL, NULL, NULL, 0, "a@x", 0, -1, -1,
     "In-Reply-To: no message-id could be read"},
    {"unreadable-address", "From: <@>@@\n\n", NULL, NULL, NULL, 0, NULL, 0, -1, -1,
     "From: no address could be read"},
    {"no-from", "Subject: x\n\n", NULL, NULL, "x", 0, NULL, 0, -1, -1, NULL},
};

static MimeMessage *read_raw(const char *raw)
{
    /* an empty message supplies the arrays mime_headers_read fills */
    MimeMessage *msg = mime_message_parse(NULL, 0, NULL);
    g_ptr_array_set_size(msg->problems, 0);
    GMimeStream *stream = g_mime_stream_mem_new_with_buffer(raw, strlen(raw));
    GMimeParser *parser = g_mime_parser_new_with_stream(stream);
    GMimeParserOptions *opts = g_mime_parser_options_new();
    GMimeMessage *gm = g_mime_parser_construct_message(parser, opts);
    g_assert_nonnull(gm);
    if (gm)
        mime_headers_read(msg, gm, opts);
    g_clear_object(&gm);
    g_mime_parser_options_free(opts);
    g_object_unref(parser);
    g_object_unref(stream);
    return msg;
}

static gboolean has_problem(const MimeMessage *m, const char *needle)
{
    for (guint i = 0; i < m->problems->len; i++)
        if (strstr(m->problems->pdata[i], needle))
            return TRUE;
    return FALSE;
}

static void test_rows(void)
{
    for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
        const Row *r = &rows[i];
        g_test_message("row %s", r->name);
        MimeMessage *m = read_raw(r->raw);
        g_assert_cmpstr(m->message_id, ==, r->message_id);
        g_assert_cmpstr(m->in_reply_to, ==, r->in_reply_to);
        g_assert_cmpstr(m->subject, ==, r->subject);
        g_assert_cmpuint(m->references->len, ==, r->n_refs);
        g_assert_cmpuint(m->from->len, ==, r->first_from ? 1 : 0);
        if (r->first_from && m->from->len)
            g_assert_cmpstr(((MimeAddress *)m->from->pdata[0])->email, ==, r->first_from);
        g_assert_cmpuint(m->to->len, ==, r->n_to);
        g_assert_cmpint(m->has_date, ==, r->date >= 0);
        if (r->date >= 0)
            g_assert_cmpint(m->date, ==, r->date);
        g_assert_cmpint(m->has_received, ==, r->received >= 0);
        if (r->received >= 0)
            g_assert_cmpint(m->received, ==, r->received);
        if (r->problem)
            g_assert_true(has_problem(m, r->problem));
        else
            g_assert_cmpuint(m->problems->len, ==, 0);
        mime_message_free(&m);
    }
}

/* GMime files Content-* under the part: the merged list keeps input order. */
static void test_order(void)
{
    MimeMessage *m = read_raw("From: a@x\nContent-Type: text/plain\nSubject: s\n"
                              "MIME-Version: 1.0\nContent-Transfer-Encoding: 8bit\nX-A: 1\n\nb");
    static const char *const want[] = {"From", "Content-Type", "Subject", "MIME-Version",
                                       "Content-Transfer-Encoding", "X-A"};
    g_assert_cmpuint(m->header_names->len, ==, G_N_ELEMENTS(want));
    for (guint i = 0; i < G_N_ELEMENTS(want) && i < m->header_names->len; i++)
        g_assert_cmpstr(m->header_names->pdata[i], ==, want[i]);
    g_assert_cmpstr(mime_message_header(m, "x-a"), ==, "1");
    mime_message_free(&m);
}

/* More addresses and references than kept: bounded at MIME_HEADERS_MAX_ITEMS. */
static void test_bounds(void)
{
    GString *raw = g_string_new("To: ");
    for (guint i = 0; i < 3000; i++)
        g_string_append_printf(raw, "%su%u@x", i ? ", " : "", i);
    g_string_append(raw, "\nReferences:");
    for (guint i = 0; i < 3000; i++)
        g_string_append_printf(raw, " <r%u@x>", i);
    g_string_append(raw, "\n\n");
    MimeMessage *m = read_raw(raw->str);
    g_assert_cmpuint(m->to->len, ==, MIME_HEADERS_MAX_ITEMS);
    g_assert_cmpuint(m->references->len, ==, MIME_HEADERS_MAX_ITEMS);
    mime_message_free(&m);
    g_string_free(raw, TRUE);
}


/* Several base64 encoded-words with padding, a multi-byte character split
 * between two of them (as Gmail and Outlook encode long Cyrillic and Chinese
 * subjects and names): decoded whole, where GMime 3.2.13 stops at the split. */
static void test_encoded_words(void)
{
    static const struct {
        const char *raw, *subject, *from_name;
    } cases[] = {
        {"From: =?UTF-8?B?0JjQstCw0A==?= =?UTF-8?B?vSDQn9C10YLRgNC+0LIsINC+0YLQtNC10Lsg0JjQkQ==?= <ivan@example.test>, \"Plain\" <p@x.example>\n"
        "To: problems@acmetrust.test\n"
        "Subject: =?UTF-8?B?0J7RgtC30YvQsiDRgQ==?=\n"
        " =?UTF-8?B?0LXRgNGC0LjRhNC40LrQsNGC0LA=?=\n"
        " =?UTF-8?B?OiDQt9Cw0LrRgNGL0YLRi9A=?=\n"
        " =?UTF-8?B?uSDQutC70Y7RhyDQvtC/0YPQsdC70LjQug==?=\n"
        " =?UTF-8?B?0L7QstCw0L0g0L3QsCDQvtCx0YnQtdC00L7RgdGC0YPQv9C90L7QvA==?=\n"
        " =?UTF-8?B?INGB0LDQudGC0LUsINGB0YDQvtGH0L3Qvg==?=\n"
        "\n"
        "body\n"
        "",
         "\xd0\x9e\xd1\x82\xd0\xb7\xd1\x8b\xd0\xb2\x20\xd1\x81\xd0\xb5\xd1\x80\xd1\x82\xd0\xb8\xd1\x84\xd0\xb8\xd0\xba\xd0\xb0\xd1\x82\xd0\xb0\x3a\x20\xd0\xb7\xd0\xb0\xd0\xba\xd1\x80\xd1\x8b\xd1\x82\xd1\x8b\xd0\xb9\x20\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87\x20\xd0\xbe\xd0\xbf\xd1\x83\xd0\xb1\xd0\xbb\xd0\xb8\xd0\xba\xd0\xbe\xd0\xb2\xd0\xb0\xd0\xbd\x20\xd0\xbd\xd0\xb0\x20\xd0\xbe\xd0\xb1\xd1\x89\xd0\xb5\xd0\xb4\xd0\xbe\xd1\x81\xd1\x82\xd1\x83\xd0\xbf\xd0\xbd\xd0\xbe\xd0\xbc\x20\xd1\x81\xd0\xb0\xd0\xb9\xd1\x82\xd0\xb5\x2c\x20\xd1\x81\xd1\x80\xd0\xbe\xd1\x87\xd0\xbd\xd0\xbe", "\xd0\x98\xd0\xb2\xd0\xb0\xd0\xbd\x20\xd0\x9f\xd0\xb5\xd1\x82\xd1\x80\xd0\xbe\xd0\xb2\x2c\x20\xd0\xbe\xd1\x82\xd0\xb4\xd0\xb5\xd0\xbb\x20\xd0\x98\xd0\x91"},
        {"From: a@b.example\n"
        "Subject: Re: =?GB18030?B?1qTK6cu91L/S0b4=?= =?GB18030?B?rdC5wrajrMfr?= =?GB18030?B?vqG/7LX1z/q4w9akyuk=?= [CPR-2026-0001]\n"
        "\n"
        "body\n"
        "",
         "Re: \xe8\xaf\x81\xe4\xb9\xa6\xe7\xa7\x81\xe9\x92\xa5\xe5\xb7\xb2\xe7\xbb\x8f\xe6\xb3\x84\xe9\x9c\xb2\xef\xbc\x8c\xe8\xaf\xb7\xe5\xb0\xbd\xe5\xbf\xab\xe5\x90\x8a\xe9\x94\x80\xe8\xaf\xa5\xe8\xaf\x81\xe4\xb9\xa6 [CPR-2026-0001]", NULL},
        {"From: a@b.example\n"
        "Subject: =?ISO-8859-1?Q?Caf=E9?= and =?UTF-8?Q?cr=C3=A8me?= =?UTF-8?B?IGJyw7tsw6llCg==?=\n"
        "\n"
        "body\n"
        "",
         "Caf\xc3\xa9 and cr\xc3\xa8me br\xc3\xbbl\xc3\xa9" "e", NULL},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        MimeMessage *m = mime_message_parse((const guint8 *)cases[i].raw, strlen(cases[i].raw), NULL);
        g_assert_cmpstr(m->subject, ==, cases[i].subject);
        if (cases[i].from_name) {
            g_assert_cmpuint(m->from->len, ==, 2);
            const MimeAddress *a = m->from->pdata[0];
            g_assert_cmpstr(a->name, ==, cases[i].from_name);
            g_assert_cmpstr(a->email, ==, "ivan@example.test");
            g_assert_cmpstr(((const MimeAddress *)m->from->pdata[1])->email, ==, "p@x.example");
        }
        mime_message_free(&m);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_set_nonfatal_assertions();
    g_mime_init();
    g_test_add_func("/mime-headers/rows", test_rows);
    g_test_add_func("/mime-headers/order", test_order);
    g_test_add_func("/mime-headers/bounds", test_bounds);
    g_test_add_func("/mime-headers/encoded-words", test_encoded_words);
    return g_test_run();
}
