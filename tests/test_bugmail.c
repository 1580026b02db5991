/* test_bugmail.c - bugmail_parse, table driven: questions (needinfo and
 * comments), the CA's own comments, stale flags and whiteboards, "Next
 * update" dates in every form Bugzilla wraps them, and hostile input. Links
 * only parsers/bugmail.c. */
#include <string.h>

#include "bugmail.h"

static const char *const ca_names[] = {"Acme Trust Services", "AcmeTrust", "Acme Trust", NULL};
static const char *const ca_domains[] = {"acmetrust.test", "acme-trust.test", NULL};

#define TABLE_HEAD                                                                              \
    "https://bugzilla.example/show_bug.cgi?id=1900001\n\n"                                      \
    "Ben Wilson <bwilson@mozilla.example> changed:\n\n"                                         \
    "           What    |Removed                     |Added\n"                                  \
    "----------------------------------------------------------------------------\n"

#define FOOTER "\n-- \nYou are receiving this mail because:\nYou are the assignee for the bug.\n"

typedef struct {
    const char *name;
    const char *flags, *changed, *who, *whiteboard, *text;
    BugmailQuestion question;
    gboolean by_ca;
    const char *next_update; /* "YYYY-MM-DD" or NULL: must find none */
    gsize max_text_bytes;
} Row;

static const Row rows[] = {
    {"sample-009-comment", "", "", "ottoline@marchbanks.example", NULL,
     "https://bugzilla.mozilla.org/show_bug.cgi?id=1971100\n\n"
     "--- Comment #3 from Ottoline Marchbanks <ottoline@marchbanks.example> 2025-06-05 08:00:00 "
     "UTC ---\n"
     "Acme Trust, when will the full incident report be posted? The\n"
     "preliminary report promised it within two weeks.\n" FOOTER,
     BUGMAIL_QUESTION_COMMENT, FALSE, NULL},
    {"needinfo-set-on-ca-in-table", "needinfo?(compliance@acmetrust.test)", "Flags",
     "bwilson@mozilla.example", NULL,
     TABLE_HEAD "              Flags|                            |needinfo?(compliance@acmetrust\n"
                "                   |                            |.test)\n" FOOTER,
     BUGMAIL_QUESTION_NEEDINFO, FALSE, NULL},
    {"needinfo-on-someone-else", "needinfo?(bwilson@mozilla.example)", "Flags",
     "ottoline@marchbanks.example", NULL,
     TABLE_HEAD "              Flags|                            |needinfo?(bwilson@mozilla.exam\n"
                "                   |                            |ple)\n" FOOTER,
     BUGMAIL_QUESTION_NONE, FALSE, NULL},
    {"stale-needinfo-whiteboard-change", "needinfo?(compliance@acmetrust.test)", "Whiteboard",
     "bwilson@mozilla.example", NULL,
     TABLE_HEAD "         Whiteboard|[ca-compliance]             |[ca-compliance] [dv-misissuance]\n"
     FOOTER,
     BUGMAIL_QUESTION_NONE, FALSE, NULL},
    {"needinfo-header-only-no-changed-fields", "needinfo?(compliance@acmetrust.test)", NULL,
     "bwilson@mozilla.example", NULL, "A change.\n", BUGMAIL_QUESTION_NEEDINFO, FALSE, NULL},
    {"needinfo-no-requestee", "needinfo?", "Flags", "bwilson@mozilla.example", NULL, "",
     BUGMAIL_QUESTION_NEEDINFO, FALSE, NULL},
    {"needinfo-nick-counts", "needinfo?(:acme)", "Flags", "bwilson@mozilla.example", NULL, "",
     BUGMAIL_QUESTION_NEEDINFO, FALSE, NULL},
    {"needinfo-set-by-the-ca-itself", "needinfo?(compliance@acmetrust.test)", "Flags",
     "compliance@acmetrust.test", NULL, "", BUGMAIL_QUESTION_NONE, TRUE, NULL},
    {"ca-own-comment", "", "", "compliance@acmetrust.test", NULL,
     "--- Comment #4 from Acme Compliance <compliance@acmetrust.test> 2025-06-06 ---\n"
     "Acme Trust will post the full report by 2025-06-19. Any further questions?\n" FOOTER,
     BUGMAIL_QUESTION_NONE, TRUE, NULL},
    /* SPEC 2.3: on the CA's bug, a question counts whether or not it names
     * the CA; thanks are not questions */
    {"question-not-naming-the-ca", "", "", "ottoline@marchbanks.example", NULL,
     "--- Comment #5 from Ottoline <ottoline@marchbanks.example> ---\n"
     "Does anyone know which BR section applies here?\n" FOOTER,
     BUGMAIL_QUESTION_COMMENT, FALSE, NULL},
    {"request-without-question-mark", "", "", "bwilson@mozilla.example", NULL,
     "--- Comment #12 from Ben Wilson <bwilson@mozilla.example> ---\n"
     "Please attach the full list of affected serials.\n" FOOTER,
     BUGMAIL_QUESTION_COMMENT, FALSE, NULL},
    {"thanks-is-not-a-question", "", "", "bwilson@mozilla.example", NULL,
     "--- Comment #13 from Ben Wilson <bwilson@mozilla.example> ---\n"
     "Thanks for the update.\n" FOOTER,
     BUGMAIL_QUESTION_NONE, FALSE, NULL},
    {"salutation-then-question", "", "", "bwilson@mozilla.example", NULL,
     "--- Comment #6 from Ben Wilson <bwilson@mozilla.example> ---\n"
     "Hi AcmeTrust team,\n\nThe report omits the timeline. Why was revocation\ndelayed?\n" FOOTER,
     BUGMAIL_QUESTION_COMMENT, FALSE, NULL},
    {"question-only-in-quote", "", "", "bwilson@mozilla.example", NULL,
     "--- Comment #7 from Ben Wilson <bwilson@mozilla.example> ---\n"
     "(In reply to Ottoline from comment #3)\n"
     "> Acme Trust, when will the full incident report be posted?\n"
     "Thanks, that is answered now.\n" FOOTER,
     BUGMAIL_QUESTION_NONE, FALSE, NULL},
    {"question-mark-in-url", "", "", "bwilson@mozilla.example", NULL,
     "--- Comment #8 from Ben Wilson <bwilson@mozilla.example> ---\n"
     "See https://crt.sh/?sha256=abcd for the Acme Trust certificate.\n" FOOTER,
     BUGMAIL_QUESTION_NONE, FALSE, NULL},
    {"ca-name-wrapped-across-lines", "", "", "bwilson@mozilla.example", NULL,
     "--- Comment #9 from Ben Wilson <bwilson@mozilla.example> ---\n"
     "The timeline is incomplete. When did Acme\nTrust first learn of the problem?\n" FOOTER,
     BUGMAIL_QUESTION_COMMENT, FALSE, NULL},
    {"question-naming-another-company", "", "", "bwilson@mozilla.example", NULL,
     "--- Comment #10 from Ben Wilson <bwilson@mozilla.example> ---\n"
     "Has AcmeTrusty Ltd replied yet?\n" FOOTER,
     BUGMAIL_QUESTION_COMMENT, FALSE, NULL},
    {"questions-after-the-signature-ignored", "", "", "bwilson@mozilla.example", NULL,
     "--- Comment #11 from Ben Wilson <bwilson@mozilla.example> ---\n"
     "Noted.\n-- \nAcme Trust, why?\n",
     BUGMAIL_QUESTION_NONE, FALSE, NULL},
    {"next-update-wrapped-in-table", "", "Whiteboard", "compliance@acmetrust.test", NULL,
     TABLE_HEAD "         Whiteboard|[ca-compliance]             |[ca-compliance] Next update\n"
                "                   |                            |2025-06-20\n" FOOTER,
     BUGMAIL_QUESTION_NONE, TRUE, "2025-06-20"},
    {"next-update-removed-column-ignored", "", "Whiteboard", "bwilson@mozilla.example", NULL,
     TABLE_HEAD "         Whiteboard|Next update 2025-06-01      |[ca-compliance]\n" FOOTER,
     BUGMAIL_QUESTION_NONE, FALSE, NULL},
    /* BMO sends no whiteboard header: one that claims to be it is forged */
    {"next-update-header-is-not-read", "", "Whiteboard CC", "bwilson@mozilla.example",
     "[ca-compliance] [dv-misissuance] Next update 9999-12-31", "", BUGMAIL_QUESTION_NONE, FALSE,
     NULL},
    {"next-update-header-stale", "", "CC", "bwilson@mozilla.example",
     "[ca-compliance] Next update 2025-07-01", "", BUGMAIL_QUESTION_NONE, FALSE, NULL},
    {"next-update-variant-spelling", "", "Whiteboard", "bwilson@mozilla.example", NULL,
     TABLE_HEAD "         Whiteboard|                            |[ca-compliance] next-update: \n"
                "                   |                            |2025-08-15\n" FOOTER,
     BUGMAIL_QUESTION_NONE, FALSE, "2025-08-15"},
    {"next-update-impossible-date", "", "Whiteboard", "bwilson@mozilla.example", NULL,
     TABLE_HEAD "         Whiteboard|                            |Next update 2025-02-30\n" FOOTER,
     BUGMAIL_QUESTION_NONE, FALSE, NULL},
    {"next-update-in-comment-is-not-whiteboard", "", "", "bwilson@mozilla.example", NULL,
     "--- Comment #12 from Ben Wilson <bwilson@mozilla.example> ---\n"
     "Please set Next update 2025-09-01 on the whiteboard.\n" FOOTER,
     BUGMAIL_QUESTION_NONE, FALSE, NULL},
    {"question-and-next-update-together", "", "Whiteboard", "bwilson@mozilla.example", NULL,
     TABLE_HEAD "         Whiteboard|                            |Next update 2025-06-27\n\n"
     "--- Comment #13 from Ben Wilson <bwilson@mozilla.example> ---\n"
     "Acme Trust Services: please confirm the date?\n" FOOTER,
     BUGMAIL_QUESTION_COMMENT, FALSE, "2025-06-27"},
    {"crlf-line-ends", "", "", "bwilson@mozilla.example", NULL,
     "--- Comment #14 from Ben Wilson <bwilson@mozilla.example> ---\r\n"
     "Acme Trust, is this fixed?\r\n-- \r\n",
     BUGMAIL_QUESTION_COMMENT, FALSE, NULL},
    {"bounded-text", "", "", "bwilson@mozilla.example", NULL,
     "--- Comment #15 from Ben Wilson <bwilson@mozilla.example> ---\n"
     "Padding padding padding padding padding. Acme Trust, is this fixed?\n",
     BUGMAIL_QUESTION_NONE, FALSE, NULL, 80},
    {"empty", NULL, NULL, NULL, NULL, NULL, BUGMAIL_QUESTION_NONE, FALSE, NULL},
    {"table-without-rows", "", "Flags", NULL, NULL, TABLE_HEAD, BUGMAIL_QUESTION_NONE, FALSE,
     NULL},
    {"hostile-bars-and-garbage", "needinfo?(((", "Flags|||", "@", NULL,
     TABLE_HEAD "|||||\n||\n--- Comment #\n\xff\xfe?\n", BUGMAIL_QUESTION_NEEDINFO, FALSE,
     NULL},
};

static void test_row(gconstpointer data)
{
    const Row *r = data;
    BugmailInput in = {
        .flags = r->flags,
        .changed_fields = r->changed,
        .who = r->who,
        .whiteboard = r->whiteboard,
        .text = r->text,
        .ca_names = ca_names,
        .ca_domains = ca_domains,
        .max_text_bytes = r->max_text_bytes,
    };
    BugmailFacts *f = bugmail_parse(&in);
    g_assert_nonnull(f);
    g_assert_cmpstr(bugmail_question_name(f->question), ==, bugmail_question_name(r->question));
    g_assert_cmpint(f->by_ca, ==, r->by_ca);
    g_assert_cmpstr(f->next_update_date, ==, r->next_update);
    g_assert_cmpint(f->has_next_update, ==, r->next_update != NULL);
    if (r->next_update) {
        g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(f->next_update);
        g_autofree char *s = g_date_time_format(dt, "%Y-%m-%dT%H:%M:%S");
        g_autofree char *want = g_strconcat(r->next_update, "T00:00:00", NULL);
        g_assert_cmpstr(s, ==, want);
    }
    bugmail_facts_free(&f);
    g_assert_null(f);
}

static void test_comment_number(void)
{
    BugmailInput in = {.text = rows[0].text, .ca_names = ca_names, .ca_domains = ca_domains};
    BugmailFacts *f = bugmail_parse(&in);
    g_assert_cmpint(f->comment_number, ==, 3);
    bugmail_facts_free(&f);
    bugmail_facts_free(&f); /* NULL-safe */
}

/* Status and resolution as the change table shows them changed: the
 * X-Bugzilla-Status header and a "Status Whiteboard" row are not a status. */
static void test_resolution(void)
{
    const struct {
        const char *text, *resolution;
        gboolean reopened;
    } cases[] = {
        {TABLE_HEAD "             Status|ASSIGNED                    |RESOLVED\n"
                    "         Resolution|---                         |FIXED\n" FOOTER,
         "FIXED", FALSE},
        {TABLE_HEAD "             Status|RESOLVED                    |REOPENED\n"
                    "         Resolution|FIXED                       |---\n" FOOTER,
         NULL, TRUE},
        {TABLE_HEAD "  Status Whiteboard|[ca-compliance]             |[ca-compliance] RESOLVED\n" FOOTER,
         NULL, FALSE},
        {"Status: RESOLVED\nResolution: FIXED\n", NULL, FALSE},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        BugmailInput in = {.text = cases[i].text, .ca_names = ca_names, .ca_domains = ca_domains};
        BugmailFacts *f = bugmail_parse(&in);
        g_assert_cmpstr(f->resolution, ==, cases[i].resolution);
        g_assert_cmpint(f->reopened, ==, cases[i].reopened);
        bugmail_facts_free(&f);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
        g_autofree char *name = g_strdup_printf("/bugmail/%s", rows[i].name);
        g_test_add_data_func(name, &rows[i], test_row);
    }
    g_test_add_func("/bugmail/comment-number", test_comment_number);
    g_test_add_func("/bugmail/resolution", test_resolution);
    return g_test_run();
}
