/* test_mime_prescan.c - mime_prescan_run, table-driven: what GMime gets to
 * see of a raw message under given bounds, and the problem line per cut. */
#include <glib.h>
#include <string.h>

#include "mime_prescan.h"
#include "mime_problems.h"

typedef struct {
    const char *name;
    const char *raw;
    gsize max_header_bytes;  /* 0: default */
    gsize max_message_bytes; /* 0: default */
    guint max_mime_depth;    /* 0: default (with max_mime_parts) */
    guint max_mime_parts;
    const char *want;        /* bytes handed to GMime; NULL: not a mail (no fields) */
    guint fields;
    gboolean header_only;
    const char *problem;     /* the one problem line; NULL: none */
} Row;

#define NESTED3 "Content-Type: multipart/mixed; boundary=a\n\n--a\n" \
                "Content-Type: multipart/mixed; boundary=b\n\n--b\n"

static const Row rows[] = {
    {"empty", "", 0, 0, 0, 0, NULL, 0, FALSE, NULL},
    {"not-a-mail", "just some words\nA: 1\n\n", 0, 0, 0, 0, NULL, 0, FALSE, NULL},
    {"blank-first", "\nA: 1\n", 0, 0, 0, 0, NULL, 0, FALSE, NULL},
    {"simple", "A: 1\nB: 2\n\nbody\n", 0, 0, 0, 0, "A: 1\nB: 2\n\nbody\n", 2, FALSE, NULL},
    {"header-only-input", "A: 1\nB: 2\n", 0, 0, 0, 0, "A: 1\nB: 2\n\n", 2, FALSE, NULL},
    {"unterminated-field", "A: 1", 0, 0, 0, 0, "A: 1\n\n", 1, FALSE, NULL},
    {"mbox-from", "From someone Mon Jan  1 00:00:00 2024\nA: 1\n\nb", 0, 0, 0, 0,
     "A: 1\n\nb", 1, FALSE, NULL},
    {"space-before-colon", "Subject : x\n\nb", 0, 0, 0, 0, "Subject : x\n\nb", 1, FALSE, NULL},
    {"continuation", "A: 1\n continued\n\tmore\n\nb", 0, 0, 0, 0,
     "A: 1\n continued\n\tmore\n\nb", 1, FALSE, NULL},
    {"crlf", "A: 1\r\n\r\nb\r\n", 0, 0, 0, 0, "A: 1\r\n\nb\r\n", 1, FALSE, NULL},
    /* after a first field, a line that is no field stays for GMime to judge */
    {"junk-line-in-header", "A: 1\nnot a field\n\nb", 0, 0, 0, 0, "A: 1\nnot a field\n\nb", 1,
     FALSE, NULL},
    {"field-too-long", "X: aaaaaaaaaaaaaaaaaaaaaaaaaa\nA: 1\n\nb", 20, 0, 0, 0, "A: 1\n\nb", 1, FALSE,
     "header field \"X\" longer than 20 bytes dropped"},
    {"field-name-cut-at-40", "Xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx: 1\nA: 1\n\nb", 20, 0, 0, 0,
     "A: 1\n\nb", 1, FALSE,
     "header field \"Xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\" longer than 20 bytes dropped"},
    /* a long folded field is skipped whole; with nothing else it is no mail */
    {"long-folded-field", "A: 1\n x\n x\n x\n x\n x\n x\n x\n\nb", 16, 0, 0, 0, NULL, 0, FALSE,
     "header field \"A\" longer than 16 bytes dropped"},
    {"section-too-long", "A: 1234\nB: 1234\nC: 1\n\nb", 10, 0, 0, 0, "A: 1234\n\nb", 1, FALSE,
     "header section longer than 10 bytes: the rest of it dropped"},
    {"message-too-big", "A: 1\n\nbody that is long", 0, 10, 0, 0, "A: 1\n\n", 1, TRUE,
     "message of 23 bytes exceeds the 10-byte limit: only its header was parsed"},
    {"containers-within-bound", NESTED3 "--b\n", 0, 0, 1, 1, NESTED3 "--b\n", 1, FALSE, NULL},
    {"containers-cut", NESTED3 "content-type: message/rfc822\n\nX", 0, 0, 1, 1, NESTED3, 1, FALSE,
     "more than 2 nested or multipart containers: input cut at byte 94"},
    {"container-spacing", NESTED3 "Content-Type :\t Multipart/x\n", 0, 0, 1, 1, NESTED3, 1, FALSE,
     "more than 2 nested or multipart containers: input cut at byte 94"},
    {"not-a-container", NESTED3 "Content-Typo: multipart/x\nContent-Type: text/plain\n", 0, 0, 1, 1,
     NESTED3 "Content-Typo: multipart/x\nContent-Type: text/plain\n", 1, FALSE, NULL},
};

static void test_rows(void)
{
    for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
        const Row *r = &rows[i];
        g_test_message("row %s", r->name);
        Bounds b = bounds_default();
        if (r->max_header_bytes)
            b.max_header_bytes = r->max_header_bytes;
        if (r->max_message_bytes)
            b.max_message_bytes = r->max_message_bytes;
        if (r->max_mime_depth) {
            b.max_mime_depth = r->max_mime_depth;
            b.max_mime_parts = r->max_mime_parts;
        }
        g_autoptr(GPtrArray) problems = mime_problems_new();
        MimePrescan p = {0};
        mime_prescan_run((const guint8 *)r->raw, strlen(r->raw), &b, problems, &p);
        g_assert_nonnull(p.input);
        g_assert_cmpuint(p.fields, ==, r->fields);
        g_assert_cmpint(p.header_only, ==, r->header_only);
        if (r->want) {
            g_autofree char *got = g_strndup((const char *)p.input->data, p.input->len);
            g_assert_cmpstr(got, ==, r->want);
        }
        g_assert_cmpuint(problems->len, ==, r->problem ? 1 : 0);
        if (r->problem && problems->len)
            g_assert_cmpstr(problems->pdata[0], ==, r->problem);
        mime_prescan_clear(&p);
        g_assert_null(p.input);
    }
}

static void test_edges(void)
{
    g_autoptr(GPtrArray) problems = mime_problems_new();
    MimePrescan p = {0};
    /* NULL data and NULL bounds: nothing to parse, no crash */
    mime_prescan_run(NULL, 5, NULL, problems, &p);
    g_assert_cmpuint(p.fields, ==, 0);
    g_assert_cmpuint(p.input->len, ==, 0);
    mime_prescan_clear(&p);
    mime_prescan_clear(&p);
    mime_prescan_clear(NULL);
    g_assert_cmpuint(problems->len, ==, 0);
}

/* 200,000 oversized fields: one bounded problem list, nothing kept. */
static void test_hostile(void)
{
    GString *s = g_string_new("");
    for (guint i = 0; i < 200000; i++)
        g_string_append_printf(s, "X%u: %s\n", i, "aaaaaaaaaaaaaaaaaaaaaaaaa");
    g_string_append(s, "\nbody");
    Bounds b = bounds_default();
    b.max_header_bytes = 16;
    g_autoptr(GPtrArray) problems = mime_problems_new();
    MimePrescan p = {0};
    mime_prescan_run((const guint8 *)s->str, s->len, &b, problems, &p);
    g_assert_cmpuint(p.fields, ==, 0);
    g_assert_cmpuint(problems->len, ==, MIME_PROBLEMS_MAX + 1);
    mime_prescan_clear(&p);
    g_string_free(s, TRUE);
}

/* Issue 16: with body_by_reference the body is not copied. It stays in the
 * caller's bytes, or, for mail with bare CRs, in the normalised copy that the
 * prescan keeps alive until mime_prescan_clear(), even once the caller's
 * bytes are gone. */
static void test_body_by_reference(void)
{
    g_autoptr(GPtrArray) problems = mime_problems_new();
    const char *lf = "Subject: one\nFrom: a@b.example\n\nline 1\nline 2\n";
    MimePrescan p = {.body_by_reference = TRUE};
    mime_prescan_run((const guint8 *)lf, strlen(lf), NULL, problems, &p);
    g_assert_true(p.body == (const guint8 *)lf + strlen("Subject: one\nFrom: a@b.example\n\n"));
    g_assert_cmpuint(p.body_len, ==, strlen("line 1\nline 2\n"));
    g_assert_null(p.normalised);
    g_assert_cmpmem(p.input->data, p.input->len, "Subject: one\nFrom: a@b.example\n\n", 32);
    mime_prescan_clear(&p);

    char *cr = g_strdup("Subject: two\rFrom: a@b.example\r\rline 1\rline 2\r");
    p = (MimePrescan){.body_by_reference = TRUE};
    mime_prescan_run((const guint8 *)cr, strlen(cr), NULL, problems, &p);
    g_free(cr); /* the body must not point into these */
    g_assert_nonnull(p.normalised);
    g_assert_cmpuint(p.fields, ==, 2);
    g_assert_true(p.body >= p.normalised->data &&
                  p.body + p.body_len <= p.normalised->data + p.normalised->len);
    g_assert_cmpmem(p.body, p.body_len, "line 1\nline 2\n", 14);
    mime_prescan_clear(&p);
    g_assert_cmpuint(problems->len, ==, 0);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_set_nonfatal_assertions();
    g_test_add_func("/mime-prescan/rows", test_rows);
    g_test_add_func("/mime-prescan/edges", test_edges);
    g_test_add_func("/mime-prescan/hostile", test_hostile);
    g_test_add_func("/mime-prescan/body-by-reference", test_body_by_reference);
    return g_test_run();
}
