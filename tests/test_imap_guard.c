/* test_imap_guard.c - the response guard lets well-formed server bytes through
 * unchanged and refuses every flag list libetpan would choke on, whatever the
 * read sizes. */
#include <string.h>

#include "cpr_error.h"
#include "imap_guard.h"

typedef struct {
    const char *in;
    gsize len;         /* 0: strlen(in) */
    gboolean valid;    /* FALSE: the guard must refuse it */
} Row;

#define OK(s) { s, 0, TRUE }
#define BAD(s) { s, 0, FALSE }
#define BADN(s) { s, sizeof s - 1, FALSE } /* with NUL bytes */

static const Row rows[] = {
    /* Dovecot's SELECT, and what other servers say */
    OK("* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n"
       "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Flags permitted.\r\n"
       "* 3 EXISTS\r\n* 0 RECENT\r\n* OK [UIDVALIDITY 1700000000] UIDs valid\r\n"
       "1 OK [READ-WRITE] Select completed (0.001 + 0.000 secs).\r\n"),
    OK("* FLAGS ()\r\n* OK [PERMANENTFLAGS ()] No permanent flags permitted\r\n"),
    OK("* flags ($Forwarded NonJunk $label1 Junk)\r\n"),
    OK("* ok [permanentflags (\\seen \\*)] lower case is still IMAP\r\n"),
    OK("1 OK [PERMANENTFLAGS (\\Seen)] tagged\r\n"),
    OK("+ [PERMANENTFLAGS (\\Seen)] odd but well formed\r\n"),
    OK("* FLAGS (\\Seen)\n"), /* bare LF */
    OK("* OK [CAPABILITY IMAP4rev1 IDLE] ready\r\n* CAPABILITY IMAP4rev1 MOVE\r\n+ idling\r\n"),
    OK("* OK [ALERT] PERMANENTFLAGS ( in the text is only text\r\n"),
    /* FETCH */
    OK("* 1 FETCH (UID 5 FLAGS (\\Seen $Processed))\r\n"),
    OK("* 12 FETCH (FLAGS () UID 7)\r\n"),
    OK("* 2 FETCH (FLAGS (\\Seen \\Recent) UID 9 RFC822.SIZE 10 INTERNALDATE \"21-Nov-2026 10:00:00 +0000\")\r\n"),
    OK("* 1 FETCH (UID 3 BODY[] {11}\r\nFLAGS ((((\r\n UID 3)\r\n"), /* payload unseen */
    OK("* 1 FETCH (UID 3 BODY[] {5}\r\nhello FLAGS (\\Seen))\r\n"),
    OK("* 1 FETCH (BODY[] {0}\r\n FLAGS (\\Seen))\r\n"),
    OK("* 1 FETCH (BODY[] {3+}\r\n{9} FLAGS (\\Seen))\r\n"),
    OK("* 1 FETCH (BODY[HEADER.FIELDS (FLAGS (X))] {3}\r\nabc UID 1)\r\n"),
    OK("* 1 FETCH (BODY[] \"a \\\" FLAGS ( b\" UID 1)\r\n"), /* in a quoted string */
    OK("* 1 FETCH (X-FLAGS (( UID 1)\r\n"),                /* not the FLAGS item */
    /* a literal only where libetpan reads one */
    OK("* LIST (\\HasNoChildren) \"/\" {5}\r\nINBOX\r\n* FLAGS (\\Seen)\r\n"),
    OK("* OK text ending in {5}\r\n* FLAGS (\\Seen)\r\n"),
    OK("* 1 FETCH (BODY[] {4}\r\n\r\n\r\n UID 1)\r\n* 1 FETCH (FLAGS (\\Seen))\r\n"),

    /* the fuzzer's findings */
    BAD("* OK [PERMANENTFLAGS (\r\n"),
    BADN("* FLAGS (\\Seen)\r\n* OK [PERMANENTFLAGS (\\\t\0* OK [CAPABILITY IMAP4rev1] x\r\n"),
    /* malformed lists */
    BAD("* FLAGS (\\Seen\r\n"),
    BAD("* FLAGS (\\Seen )\r\n"),
    BAD("* FLAGS ( \\Seen)\r\n"),
    BAD("* FLAGS (\\Seen  \\Draft)\r\n"),
    BAD("* FLAGS (\\*)\r\n"),
    BAD("* FLAGS (\\)\r\n"),
    BAD("* FLAGS (\\\\Seen)\r\n"),
    BAD("* FLAGS (a\"b)\r\n"),
    BAD("* FLAGS (a]b)\r\n"),
    BAD("* FLAGS (a%b)\r\n"),
    BAD("* FLAGS (a*)\r\n"),
    BAD("* FLAGS (a{b)\r\n"),
    BAD("* FLAGS (caf\xc3\xa9)\r\n"),
    BAD("* FLAGS (a\x7f)\r\n"),
    BAD("* FLAGS (a\tb)\r\n"),
    BADN("* FLAGS (a\0b)\r\n"),
    BAD("* FLAGS ((a))\r\n"),
    BAD("* FLAGS (\\Seen) junk\r\n"),
    BAD("* FLAGS \\Seen\r\n"),
    BAD("* FLAGS\r\n"),
    BAD("* FLAGS ({3}\r\nabc)\r\n"),
    BAD("*\tFLAGS (\\Seen\r\n"),
    BAD("* OK [PERMANENTFLAGS (\\Seen)\r\n"),
    BAD("* OK [PERMANENTFLAGS (\\Seen)x] text\r\n"),
    BAD("* OK [PERMANENTFLAGS (\\*x)] text\r\n"),
    BAD("* OK [PERMANENTFLAGS \\Seen] text\r\n"),
    BAD("* OK [PERMANENTFLAGS] text\r\n"),
    BAD("* OK [ PERMANENTFLAGS (]\r\n"),
    BAD("* NO [PERMANENTFLAGS (\"x\")] text\r\n"),
    BAD("* BYE [PERMANENTFLAGS (\x01)] bye\r\n"),
    BAD("* PREAUTH [PERMANENTFLAGS (] hi\r\n"),
    BAD("+ [PERMANENTFLAGS (]\r\n"),
    BAD("1 NO [PERMANENTFLAGS (x]\r\n"),
    BAD("* 1 FETCH (FLAGS (\\Seen UID 1)\r\n"),
    BAD("* 1 FETCH (FLAGS (\\Se(en)))\r\n"),
    BAD("* 1 FETCH (FLAGS \\Seen UID 1)\r\n"),
    BAD("* 1 fetch (uid 1 flags (\\Seen ))\r\n"),
    BAD("* 1 FETCH (FLAGS(x y )\r\n"),
    BAD("* 1 FETCH (UID 3 BODY[] {5}\r\nhello FLAGS ((x)))\r\n"), /* after a literal */
    BAD("* 1 FETCH (BODY[] \"x\" FLAGS (\"y\"))\r\n"),
    /* a "{n}" in text does not hide the next line */
    BAD("* OK text {10}\r\n* FLAGS (\r\n"),
    BAD("1 OK done {12}\r\n* FLAGS (x\r\n"),
    /* good lines first: they are released, the bad one is not */
    BAD("* 3 EXISTS\r\n* 1 FETCH (FLAGS (\\Seen))\r\n* FLAGS (\\Seen\r\n"),
};

/* Feed `in` in pieces ending at the offsets in cuts (ascending, < len). */
static gboolean feed_cut(const char *in, gsize len, const gsize *cuts, guint ncuts,
                         GByteArray *released, GError **error)
{
    g_autoptr(GError) local = NULL;
    ImapGuard *g = imap_guard_new(IMAP_GUARD_MAX_LINE);
    gsize from = 0;
    gboolean ok = TRUE;
    for (guint k = 0; k <= ncuts && ok; k++) {
        gsize to = k < ncuts ? cuts[k] : len;
        ok = imap_guard_feed(g, (const guint8 *)in + from, to - from, released, &local);
        from = to;
    }
    if (!ok) {
        g_assert_nonnull(local);
        g_assert_true(g_error_matches(local, CPR_ERROR, CPR_ERROR_CONNECTION));
        g_propagate_error(error, g_steal_pointer(&local));
    } else {
        g_assert_cmpuint(imap_guard_held(g), ==, 0); /* every row ends a line */
    }
    imap_guard_free(&g);
    g_assert_null(g);
    return ok;
}

/* What a refused row may release: the lines (and literal payload) before the
 * bad line, never the bad line. */
static void assert_prefix(const GByteArray *released, const char *in, gsize len)
{
    g_assert_cmpuint(released->len, <, len);
    g_assert_cmpmem(released->data, released->len, in, released->len);
}

static void test_rows(void)
{
    for (guint i = 0; i < G_N_ELEMENTS(rows); i++) {
        const Row *r = &rows[i];
        gsize len = r->len ? r->len : strlen(r->in);
        g_autoptr(GByteArray) released = g_byte_array_new();
        g_autoptr(GError) error = NULL;
        gboolean ok = feed_cut(r->in, len, NULL, 0, released, &error);
        if (ok != r->valid)
            g_error("row %u: expected %s: %s", i, r->valid ? "valid" : "refused",
                    error ? error->message : r->in);
        if (ok) {
            g_assert_cmpmem(released->data, released->len, r->in, len);
        } else {
            assert_prefix(released, r->in, len);
            g_assert_nonnull(strstr(error->message, "malformed"));
            /* the excerpt is sanitised */
            for (const char *p = error->message; *p; p++)
                g_assert_true(*p >= 0x20 && *p < 0x7f);
        }
    }
}

/* Every row cut at every byte (two reads), and read one byte at a time: the
 * same verdict and the same bytes released as in one read. */
static void test_splits(void)
{
    for (guint i = 0; i < G_N_ELEMENTS(rows); i++) {
        const Row *r = &rows[i];
        gsize len = r->len ? r->len : strlen(r->in);
        g_autoptr(GByteArray) whole = g_byte_array_new();
        g_autoptr(GError) whole_error = NULL;
        gboolean whole_ok = feed_cut(r->in, len, NULL, 0, whole, &whole_error);
        for (gsize cut = 1; cut < len; cut++) {
            g_autoptr(GByteArray) released = g_byte_array_new();
            g_autoptr(GError) error = NULL;
            gboolean ok = feed_cut(r->in, len, &cut, 1, released, &error);
            g_assert_cmpint(ok, ==, whole_ok);
            g_assert_cmpmem(released->data, released->len, whole->data, whole->len);
        }
        g_autofree gsize *cuts = g_new(gsize, len);
        for (gsize k = 1; k < len; k++)
            cuts[k - 1] = k;
        g_autoptr(GByteArray) released = g_byte_array_new();
        g_autoptr(GError) error = NULL;
        gboolean ok = feed_cut(r->in, len, cuts, (guint)(len - 1), released, &error);
        g_assert_cmpint(ok, ==, whole_ok);
        g_assert_cmpmem(released->data, released->len, whole->data, whole->len);
    }
}

/* A whole line goes at once, however little follows it (IDLE: nothing more may
 * come for minutes); literal payload goes as it comes. */
static void test_release_now(void)
{
    ImapGuard *g = imap_guard_new(IMAP_GUARD_MAX_LINE);
    g_autoptr(GByteArray) out = g_byte_array_new();
    static const char a[] = "+ idling\r\n* 4 EXISTS\r\n* 5 EX";
    g_assert_true(imap_guard_feed(g, (const guint8 *)a, sizeof a - 1, out, NULL));
    g_assert_cmpmem(out->data, out->len, "+ idling\r\n* 4 EXISTS\r\n", 22);
    g_assert_cmpuint(imap_guard_held(g), ==, 6);
    static const char b[] = "ISTS\r\n* 5 FETCH (BODY[] {10}\r\n01234";
    g_byte_array_set_size(out, 0);
    g_assert_true(imap_guard_feed(g, (const guint8 *)b, sizeof b - 1, out, NULL));
    g_assert_cmpmem(out->data, out->len, "* 5 EXISTS\r\n* 5 FETCH (BODY[] {10}\r\n01234", 41);
    g_assert_cmpuint(imap_guard_held(g), ==, 0);
    /* the rest of the payload is not a line: "* FLAGS (" in it is mail text */
    static const char c[] = "* FLA";
    g_byte_array_set_size(out, 0);
    g_assert_true(imap_guard_feed(g, (const guint8 *)c, sizeof c - 1, out, NULL));
    g_assert_cmpuint(out->len, ==, 5);
    static const char d[] = " FLAGS (\\Seen))\r\n";
    g_assert_true(imap_guard_feed(g, (const guint8 *)d, sizeof d - 1, out, NULL));
    g_assert_cmpuint(imap_guard_held(g), ==, 0);
    imap_guard_free(&g);
}

/* Bounded: a line longer than max_line is refused; a literal of any size is not
 * a line. A refused guard stays refused. */
static void test_bounds(void)
{
    ImapGuard *g = imap_guard_new(1024);
    g_autoptr(GByteArray) out = g_byte_array_new();
    g_autoptr(GError) error = NULL;
    g_autofree char *big = g_strnfill(4096, 'x');
    static const char lit[] = "* 1 FETCH (BODY[] {4096}\r\n";
    g_assert_true(imap_guard_feed(g, (const guint8 *)lit, sizeof lit - 1, out, NULL));
    g_assert_true(imap_guard_feed(g, (const guint8 *)big, 4096, out, NULL));
    g_assert_true(imap_guard_feed(g, (const guint8 *)")\r\n", 3, out, NULL));
    g_assert_cmpuint(out->len, ==, sizeof lit - 1 + 4096 + 3);
    g_assert_true(imap_guard_feed(g, (const guint8 *)"* OK ", 5, out, NULL));
    g_assert_false(imap_guard_feed(g, (const guint8 *)big, 4096, out, &error));
    g_assert_true(g_error_matches(error, CPR_ERROR, CPR_ERROR_CONNECTION));
    g_assert_nonnull(strstr(error->message, "longer than 1024"));
    g_clear_error(&error);
    g_assert_false(imap_guard_feed(g, (const guint8 *)"\r\n", 2, out, &error));
    g_assert_cmpuint(imap_guard_held(g), <=, 1024);
    imap_guard_free(&g);

    /* exactly max_line bytes, LF included, is still a line */
    g = imap_guard_new(64);
    g_autofree char *line = g_strdup_printf("* OK %s\r\n", big + 4096 - 57);
    g_assert_cmpuint(strlen(line), ==, 64);
    g_byte_array_set_size(out, 0);
    g_assert_true(imap_guard_feed(g, (const guint8 *)line, 64, out, NULL));
    g_assert_cmpuint(out->len, ==, 64);
    imap_guard_free(&g);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_set_nonfatal_assertions();
    g_test_add_func("/imap_guard/rows", test_rows);
    g_test_add_func("/imap_guard/splits", test_splits);
    g_test_add_func("/imap_guard/release_now", test_release_now);
    g_test_add_func("/imap_guard/bounds", test_bounds);
    return g_test_run();
}
