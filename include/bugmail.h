/* bugmail.h - what a Bugzilla notification mail says about the CA's bug
 * (SPEC 2.3): was the CA asked a question, and did the whiteboard get a
 * "Next update YYYY-MM-DD" date?
 *
 * Pure: header values and text in, facts out. Only what changed in this mail
 * counts: X-Bugzilla-Flags and the whiteboard list the bug's *current* state
 * in every mail, and reading a stale needinfo or date again would restart or
 * move a clock that was already running. */
#ifndef CPR_BUGMAIL_H
#define CPR_BUGMAIL_H

#include <glib.h>

typedef struct {
    const char *flags;          /* X-Bugzilla-Flags, or NULL */
    const char *changed_fields; /* X-Bugzilla-Changed-Fields, or NULL when absent */
    const char *who;            /* X-Bugzilla-Who, or NULL */
    const char *whiteboard;     /* X-Bugzilla-Whiteboard when the server sends it, or NULL */
    const char *text;           /* the message text (may be NULL) */
    const char *const *ca_names;   /* the CA owner and its aliases; NULL-terminated */
    const char *const *ca_domains; /* the CA's mail domains and its Bugzilla accounts
                                      (whole addresses, [bugzilla] ca_accounts) */
    gsize max_text_bytes;       /* text beyond this is ignored; 0 = 256 KB */
} BugmailInput;

typedef enum {
    BUGMAIL_QUESTION_NONE,
    BUGMAIL_QUESTION_NEEDINFO, /* needinfo? set on the CA (or on no one named) */
    BUGMAIL_QUESTION_COMMENT,  /* a new comment asks the CA a question */
} BugmailQuestion;

typedef struct {
    BugmailQuestion question;
    gboolean by_ca;          /* the change or comment is the CA's own */
    gboolean has_comment;    /* the mail carries a new comment (number may be 0) */
    int comment_number;      /* the new comment's number, 0 when none (or comment 0) */
    gint64 comment_at;       /* the comment's own time, 0 when unreadable */
    gboolean has_next_update;
    gint64 next_update;      /* 00:00 UTC of the whiteboard's "Next update" date */
    char *next_update_date;  /* "YYYY-MM-DD", or NULL */
    char *resolution;        /* the resolution this mail set ("FIXED"), or NULL */
    gboolean reopened;       /* this mail reopened the bug (or cleared its resolution) */
} BugmailFacts;

/* Never returns NULL. Caller frees with bugmail_facts_free(). */
BugmailFacts *bugmail_parse(const BugmailInput *in);
void bugmail_facts_free(BugmailFacts **facts);

/* Does a bug's subject ("[Bug 123] New: Owner: title") carry a summary that
 * starts with one of `ca_names` and a colon (SPEC 2.1)? */
gboolean bugmail_summary_names_ca(const char *subject, const char *const *ca_names);

/* The first "Next update YYYY-MM-DD" in `text` (a whiteboard): 00:00 UTC of
 * that day and the date as "YYYY-MM-DD" (caller frees). FALSE when none. */
gboolean bugmail_next_update(const char *text, gint64 *at_r, char **date_r);
/* "needinfo", "comment" or NULL. */
const char *bugmail_question_name(BugmailQuestion q);

#endif
