/* test_sources.c - how offline mail is found and split: single files, mbox
 * (mboxrd unescaping, separators only after blank lines), Maildir order,
 * the size bound, unreadable paths. */
#include <glib.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>

#include "sources.h"
#include "testutil.h"

static char *tmpdir;

typedef struct {
    GPtrArray *sources; /* char* */
    GPtrArray *bodies;  /* GBytes* */
    GPtrArray *errors;  /* char*: "source: message" */
    gboolean fail_next;
} Seen;

static void seen_init(Seen *s)
{
    s->sources = g_ptr_array_new_with_free_func(g_free);
    s->bodies = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
    s->errors = g_ptr_array_new_with_free_func(g_free);
    s->fail_next = FALSE;
}

static void seen_clear(Seen *s)
{
    g_ptr_array_unref(s->sources);
    g_ptr_array_unref(s->bodies);
    g_ptr_array_unref(s->errors);
}

static gboolean on_message(const guint8 *raw, gsize len, const char *source, gpointer user,
                           gboolean *stop_r, GError **error)
{
    Seen *s = user;
    g_ptr_array_add(s->sources, g_strdup(source));
    g_ptr_array_add(s->bodies, g_bytes_new(raw, len));
    if (s->fail_next) {
        s->fail_next = FALSE;
        g_set_error_literal(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "refused by test");
        return FALSE;
    }
    return TRUE;
}

static void on_error(const char *source, const GError *error, gpointer user)
{
    Seen *s = user;
    g_ptr_array_add(s->errors, g_strdup_printf("%s: %s", source, error->message));
}

static char *write_tmp(const char *name, const char *body)
{
    char *path = g_build_filename(tmpdir, name, NULL);
    g_assert_true(g_file_set_contents(path, body, -1, NULL));
    return path;
}

static gboolean body_is(Seen *s, guint i, const char *want)
{
    gsize len = 0;
    const char *got = g_bytes_get_data(g_ptr_array_index(s->bodies, i), &len);
    if (len != strlen(want) || memcmp(got, want, len) != 0) {
        g_test_message("body %u: got \"%.*s\"", i, (int)len, got);
        return FALSE;
    }
    return TRUE;
}

static void test_single_file(void)
{
    g_autofree char *p = write_tmp("one.eml", "Subject: x\n\nbody\n\n");
    Seen s;
    seen_init(&s);
    guint failures = 9;
    g_assert_true(sources_walk(p, 1 << 20, on_message, on_error, &s, &failures));
    g_assert_cmpuint(failures, ==, 0);
    g_assert_cmpuint(s.sources->len, ==, 1);
    g_assert_cmpstr(g_ptr_array_index(s.sources, 0), ==, p);
    g_assert_true(body_is(&s, 0, "Subject: x\n\nbody\n\n")); /* byte for byte */
    seen_clear(&s);
}

static void test_mbox(void)
{
    g_autofree char *p = write_tmp(
        "box.mbox",
        "From a@b Mon Jan  1 00:00:00 2025\nSubject: one\n\nline\n>From the start\n>>From deeper\n\n"
        "From c@d Mon Jan  1 00:00:00 2025\nSubject: two\n\ntext\nFrom inside a paragraph is not a separator\n");
    Seen s;
    seen_init(&s);
    guint failures = 0;
    g_assert_true(sources_walk(p, 1 << 20, on_message, on_error, &s, &failures));
    g_assert_cmpuint(s.sources->len, ==, 2);
    g_autofree char *src1 = g_strdup_printf("%s#1", p);
    g_assert_cmpstr(g_ptr_array_index(s.sources, 0), ==, src1);
    g_assert_true(body_is(&s, 0, "Subject: one\n\nline\nFrom the start\n>From deeper\n"));
    g_assert_true(body_is(&s, 1, "Subject: two\n\ntext\nFrom inside a paragraph is not a separator\n"));
    seen_clear(&s);
}

static void test_mbox_bound(void)
{
    GString *box = g_string_new("From a@b Mon Jan  1 00:00:00 2025\nSubject: big\n\n");
    for (int i = 0; i < 2000; i++)
        g_string_append(box, "0123456789012345678901234567890123456789\n");
    g_string_append(box, "\nFrom c@d Mon Jan  1 00:00:00 2025\nSubject: small\n\nok\n");
    g_autofree char *p = write_tmp("bound.mbox", box->str);
    g_string_free(box, TRUE);
    Seen s;
    seen_init(&s);
    guint failures = 0;
    g_assert_true(sources_walk(p, 10000, on_message, on_error, &s, &failures));
    g_assert_cmpuint(failures, ==, 1);
    g_assert_cmpuint(s.errors->len, ==, 1);
    g_assert_nonnull(strstr(g_ptr_array_index(s.errors, 0), "#1: message larger than 10000"));
    g_assert_cmpuint(s.sources->len, ==, 1); /* the small one after it still comes */
    g_assert_true(body_is(&s, 0, "Subject: small\n\nok\n"));
    seen_clear(&s);
}

static void test_maildir_and_errors(void)
{
    g_autofree char *md = g_build_filename(tmpdir, "Maildir", NULL);
    g_autofree char *cur = g_build_filename(md, "cur", NULL);
    g_autofree char *new_ = g_build_filename(md, "new", NULL);
    g_mkdir_with_parents(cur, 0700);
    g_mkdir_with_parents(new_, 0700);
    g_autofree char *f1 = g_build_filename(cur, "100.a:2,S", NULL);
    g_autofree char *f2 = g_build_filename(new_, "200.b", NULL);
    g_autofree char *f3 = g_build_filename(new_, "150.c", NULL);
    g_autofree char *hidden = g_build_filename(new_, ".tmpfile", NULL);
    g_file_set_contents(f1, "Subject: 1\n\n", -1, NULL);
    g_file_set_contents(f2, "Subject: 3\n\n", -1, NULL);
    g_file_set_contents(f3, "Subject: 2\n\n", -1, NULL);
    g_file_set_contents(hidden, "Subject: hidden\n\n", -1, NULL);
    Seen s;
    seen_init(&s);
    s.fail_next = TRUE; /* the first message fails: the walk goes on */
    guint failures = 0;
    g_assert_true(sources_walk(md, 1 << 20, on_message, on_error, &s, &failures));
    g_assert_cmpuint(s.sources->len, ==, 3);
    g_assert_cmpstr(g_ptr_array_index(s.sources, 0), ==, f1);
    g_assert_cmpstr(g_ptr_array_index(s.sources, 1), ==, f3);
    g_assert_cmpstr(g_ptr_array_index(s.sources, 2), ==, f2);
    g_assert_cmpuint(failures, ==, 1);
    g_assert_nonnull(strstr(g_ptr_array_index(s.errors, 0), "refused by test"));
    seen_clear(&s);

    seen_init(&s);
    g_autofree char *missing = g_build_filename(tmpdir, "missing.eml", NULL);
    g_assert_true(sources_walk(missing, 1 << 20, on_message, on_error, &s, &failures));
    g_assert_cmpuint(failures, ==, 1);
    g_assert_cmpuint(s.sources->len, ==, 0);
    /* a single file over the bound is refused without being read */
    g_autofree char *big = write_tmp("big.eml", "Subject: big\n\n0123456789012345678901234567890\n");
    g_assert_true(sources_walk(big, 16, on_message, on_error, &s, &failures));
    g_assert_cmpuint(failures, ==, 1);
    g_assert_cmpuint(s.sources->len, ==, 0);
    seen_clear(&s);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_set_nonfatal_assertions();
    tmpdir = tu_tmpdir_new("cpr-sources");
    g_test_add_func("/sources/single-file", test_single_file);
    g_test_add_func("/sources/mbox", test_mbox);
    g_test_add_func("/sources/mbox-bound", test_mbox_bound);
    g_test_add_func("/sources/maildir-and-errors", test_maildir_and_errors);
    int rc = g_test_run();
    tu_tmpdir_remove(tmpdir);
    return rc;
}
