/* bugmail.c - questions and "Next update" dates in Bugzilla mail (bugmail.h).
 *
 * A Bugzilla change mail has three parts this reads:
 *   - the change table ("What |Removed |Added", fixed-width, values wrapped
 *     onto continuation lines whose What column is blank);
 *   - the new comment ("--- Comment #3 from Name <addr> 2025-06-05 ... ---"),
 *     running to the "-- " signature or the next comment;
 *   - headers: X-Bugzilla-Flags (current flags), X-Bugzilla-Changed-Fields
 *     (what this mail changed), X-Bugzilla-Who (who changed it).
 * A question is a needinfo newly set on the CA, or a new comment, not the
 * CA's own, with a question sentence that names the CA or a comment that
 * opens by addressing the CA. */
#include <stdlib.h>
#include <string.h>

#include "bugmail.h"
#include "textutil.h"

#define DEFAULT_MAX_TEXT (256 * 1024)

void bugmail_facts_free(BugmailFacts **facts)
{
    if (!facts || !*facts)
        return;
    g_free((*facts)->next_update_date);
    g_free((*facts)->resolution);
    g_free(*facts);
    *facts = NULL;
}

const char *bugmail_question_name(BugmailQuestion q)
{
    switch (q) {
    case BUGMAIL_QUESTION_NEEDINFO:
        return "needinfo";
    case BUGMAIL_QUESTION_COMMENT:
        return "comment";
    default:
        return NULL;
    }
}

static gboolean ci_contains(const char *haystack, const char *needle)
{
    if (!haystack || !needle)
        return FALSE;
    g_autofree char *h = g_ascii_strdown(haystack, -1);
    g_autofree char *n = g_ascii_strdown(needle, -1);
    return strstr(h, n) != NULL;
}

/* Is `email` (or the address inside "Name <email>") at one of the CA's domains,
 * or a subdomain of one? */
static gboolean is_ca_address(const char *email, const char *const *domains)
{
    if (!email || !domains)
        return FALSE;
    const char *lt = strrchr(email, '<');
    g_autofree char *addr = g_strdup(lt ? lt + 1 : email);
    g_strstrip(g_strdelimit(addr, ">", ' '));
    const char *at = strrchr(addr, '@');
    if (!at || !at[1])
        return FALSE;
    /* a whole address in the list is one of the CA's accounts */
    for (gsize i = 0; domains[i]; i++)
        if (strchr(domains[i], '@') && !g_ascii_strcasecmp(addr, domains[i]))
            return TRUE;
    for (gsize i = 0; domains[i]; i++)
        if (domain_is_or_under(at + 1, domains[i]))
            return TRUE;
    return FALSE;
}

/* The change table: field (lower case) -> Added text, wrapped lines joined. */
static GHashTable *change_table(char **lines)
{
    GHashTable *added = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    gsize i = 0;
    for (; lines[i]; i++) {
        const char *bar = strchr(lines[i], '|');
        if (bar && ci_contains(lines[i], "what") && ci_contains(bar, "removed") &&
            ci_contains(bar, "added"))
            break;
    }
    if (!lines[i])
        return added;
    i++;
    if (lines[i] && lines[i][0] == '-')
        i++;
    g_autofree char *field = NULL;
    for (; lines[i] && lines[i][strspn(lines[i], " ")] != '\0'; i++) {
        g_auto(GStrv) cols = g_strsplit(lines[i], "|", 3);
        if (g_strv_length(cols) < 3)
            break;
        g_strstrip(cols[0]);
        g_strstrip(cols[2]);
        if (*cols[0]) {
            g_free(field);
            field = g_ascii_strdown(cols[0], -1);
        }
        if (!field || !*cols[2])
            continue;
        const char *prev = g_hash_table_lookup(added, field);
        g_hash_table_replace(added, g_strdup(field),
                             prev ? g_strjoin(" ", prev, cols[2], NULL) : g_strdup(cols[2]));
    }
    return added;
}

/* The Added text of every row whose field name contains `word`. */
static char *added_for(GHashTable *table, const char *word)
{
    GString *s = NULL;
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, table);
    while (g_hash_table_iter_next(&it, &k, &v))
        if (strstr(k, word)) {
            if (!s)
                s = g_string_new(NULL);
            g_string_append_printf(s, "%s%s", s->len ? " " : "", (const char *)v);
        }
    return s ? g_string_free(s, FALSE) : NULL;
}

/* needinfo? on the CA: no requestee (the reporter: the CA filed the bug), a
 * requestee at the CA's domains, or a nick we cannot resolve (counted: a
 * missed question costs more than a needless clock). */
static gboolean needinfo_on_ca(const char *flags, const char *const *ca_domains)
{
    if (!flags)
        return FALSE;
    static GRegex *re;
    static gsize once;
    if (g_once_init_enter(&once)) {
        re = g_regex_new("needinfo\\?(?:\\(([^)]*)\\))?", G_REGEX_CASELESS, 0, NULL);
        g_once_init_leave(&once, 1);
    }
    g_autoptr(GMatchInfo) mi = NULL;
    for (g_regex_match(re, flags, 0, &mi); g_match_info_matches(mi); g_match_info_next(mi, NULL)) {
        g_autofree char *raw = g_match_info_fetch(mi, 1);
        /* The change table wraps long addresses mid-word; joined rows put a
         * space there. */
        g_auto(GStrv) parts = g_strsplit_set(raw ? raw : "", " \t", -1);
        g_autofree char *who = g_strjoinv("", parts);
        if (!*who || !strchr(who, '@') || is_ca_address(who, ca_domains))
            return TRUE;
    }
    return FALSE;
}

gboolean bugmail_next_update(const char *text, gint64 *at_r, char **date_r)
{
    if (!text)
        return FALSE;
    static GRegex *re;
    static gsize once;
    if (g_once_init_enter(&once)) {
        re = g_regex_new("next[\\s_-]*update[\\s:=-]*(?:(?:on|by|due)\\s+)?"
                         "(\\d{4})-(\\d{2})-(\\d{2})(?!\\d)",
                         G_REGEX_CASELESS, 0, NULL);
        g_once_init_leave(&once, 1);
    }
    g_autoptr(GMatchInfo) mi = NULL;
    for (g_regex_match(re, text, 0, &mi); g_match_info_matches(mi); g_match_info_next(mi, NULL)) {
        g_autofree char *y = g_match_info_fetch(mi, 1), *m = g_match_info_fetch(mi, 2),
                        *d = g_match_info_fetch(mi, 3);
        guint64 yy = 0, mm = 0, dd = 0;
        if (!g_ascii_string_to_unsigned(y, 10, 1970, 9999, &yy, NULL) ||
            !g_ascii_string_to_unsigned(m, 10, 1, 12, &mm, NULL) ||
            !g_ascii_string_to_unsigned(d, 10, 1, 31, &dd, NULL) ||
            !g_date_valid_dmy((GDateDay)dd, (GDateMonth)mm, (GDateYear)yy))
            continue;
        g_autoptr(GDateTime) dt = g_date_time_new_utc((gint)yy, (gint)mm, (gint)dd, 0, 0, 0);
        if (!dt)
            continue;
        *at_r = g_date_time_to_unix(dt);
        *date_r = g_strdup_printf("%04u-%02u-%02u", (guint)yy, (guint)mm, (guint)dd);
        return TRUE;
    }
    return FALSE;
}

/* The time on a comment's header line ("... 2026-05-05 10:11:12 UTC ---";
 * BMO writes its users' zone: UTC, GMT, PST, PDT or a numeric offset); 0 when
 * there is none or it cannot be read. */
static gint64 comment_time(const char *line)
{
    static GRegex *re;
    static gsize once;
    if (g_once_init_enter(&once)) {
        re = g_regex_new("(\\d{4})-(\\d{2})-(\\d{2}) (\\d{2}):(\\d{2})(?::(\\d{2}))?\\s*"
                         "(UTC|GMT|PST|PDT|[+-]\\d{4})?\\s*---\\s*$", 0, 0, NULL);
        g_once_init_leave(&once, 1);
    }
    g_autoptr(GMatchInfo) mi = NULL;
    if (!g_regex_match(re, line, 0, &mi))
        return 0;
    int v[6] = {0};
    for (int k = 0; k < 6; k++) {
        g_autofree char *part = g_match_info_fetch(mi, k + 1);
        v[k] = part && *part ? atoi(part) : 0;
    }
    g_autofree char *zone = g_match_info_fetch(mi, 7);
    gint64 offset = 0;
    if (!zone || !*zone || !strcmp(zone, "UTC") || !strcmp(zone, "GMT"))
        offset = 0;
    else if (!strcmp(zone, "PST"))
        offset = -8 * 3600;
    else if (!strcmp(zone, "PDT"))
        offset = -7 * 3600;
    else {
        int n = atoi(zone + 1);
        offset = (n / 100 * 3600 + n % 100 * 60) * (zone[0] == '-' ? -1 : 1);
    }
    if (!zone || !*zone)
        return 0; /* no zone: not a time we can trust */
    g_autoptr(GDateTime) dt = g_date_time_new_utc(v[0], v[1], v[2], v[3], v[4], v[5]);
    return dt ? g_date_time_to_unix(dt) - offset : 0;
}

/* The new comment: its number, author line, time and text without quotes. */
static gboolean find_comment(char **lines, int *number_r, char **author_r, gint64 *at_r,
                             char **text_r)
{
    gsize i = 0;
    for (; lines[i]; i++)
        if (g_str_has_prefix(lines[i], "--- Comment #"))
            break;
    if (!lines[i])
        return FALSE;
    guint64 n = 0;
    const char *num = lines[i] + strlen("--- Comment #");
    while (*num == ' ')
        num++;
    gsize digits = strspn(num, "0123456789");
    g_autofree char *num_s = g_strndup(num, MIN(digits, 9));
    if (digits && g_ascii_string_to_unsigned(num_s, 10, 0, G_MAXINT, &n, NULL))
        *number_r = (int)n;
    const char *from = strstr(lines[i], " from ");
    *author_r = g_strdup(from ? from + 6 : "");
    *at_r = comment_time(lines[i]);
    GString *text = g_string_new(NULL);
    for (i++; lines[i]; i++) {
        const char *l = lines[i];
        if (!strcmp(l, "-- ") || !strcmp(l, "--") || g_str_has_prefix(l, "--- Comment #") ||
            g_str_has_prefix(l, "You are receiving this mail because"))
            break;
        if (l[0] == '>' || g_str_has_prefix(l, "(In reply to "))
            continue;
        g_string_append(text, l);
        g_string_append_c(text, '\n');
    }
    *text_r = g_string_free(text, FALSE);
    return TRUE;
}

/* Does `comment` ask the CA something? On a bug of the CA's, anyone's
 * question is one the CA answers (SPEC 2.3), whether or not it names the CA:
 * a sentence ending in '?', or a request ("please explain ..."). "Thanks for
 * the update." is not one. Lines are joined so that a sentence wrapped
 * across lines still reads as one. */
static gboolean asks_ca(const char *comment)
{
    g_autofree char *flat = g_strdup(comment);
    g_strdelimit(flat, "\r\n\t", ' ');
    g_strstrip(flat);
    static GRegex *request;
    static gsize once;
    if (g_once_init_enter(&once)) {
        request = g_regex_new("\\b(please|kindly|could you|can you|would you)\\s+(also\\s+)?"
                              "(explain|attach|provide|clarify|confirm|describe|share|detail|"
                              "list|include|post|answer|elaborate|specify|indicate)\\b",
                              G_REGEX_CASELESS, 0, NULL);
        g_once_init_leave(&once, 1);
    }
    if (g_regex_match(request, flat, 0, NULL))
        return TRUE;
    for (const char *p = flat; *p; p++)
        if (*p == '?' && (p[1] == ' ' || p[1] == '\0' || p[1] == '"' || p[1] == ')'))
            return TRUE;
    return FALSE;
}

BugmailFacts *bugmail_parse(const BugmailInput *in)
{
    BugmailFacts *f = g_new0(BugmailFacts, 1);
    gsize max = in->max_text_bytes ? in->max_text_bytes : DEFAULT_MAX_TEXT;
    g_autofree char *text = NULL;
    if (in->text) {
        gsize len = strlen(in->text);
        if (len > max) {
            /* cut on a character boundary */
            const char *end = g_utf8_find_prev_char(in->text, in->text + max + 1);
            len = end ? (gsize)(end - in->text) : 0;
        }
        text = g_strndup(in->text, len);
    } else {
        text = g_strdup("");
    }
    g_strdelimit(text, "\r", ' ');
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    for (gsize i = 0; lines[i]; i++)
        g_strchomp(lines[i]); /* the "\r" turned blank, and table padding */
    /* "-- " lost its space to g_strchomp: find_comment also accepts "--". */
    g_autoptr(GHashTable) table = change_table(lines);

    g_autofree char *author = NULL, *comment = NULL;
    gboolean has_comment =
        find_comment(lines, &f->comment_number, &author, &f->comment_at, &comment);
    f->has_comment = has_comment;
    f->by_ca = is_ca_address(in->who, in->ca_domains) ||
               (has_comment && is_ca_address(author, in->ca_domains));

    /* needinfo: what this mail set, not what the bug carries. */
    g_autofree char *flags_added = added_for(table, "flag");
    gboolean needinfo;
    if (flags_added)
        needinfo = needinfo_on_ca(flags_added, in->ca_domains);
    else if (in->changed_fields)
        needinfo = ci_contains(in->changed_fields, "flag") && needinfo_on_ca(in->flags, in->ca_domains);
    else
        needinfo = needinfo_on_ca(in->flags, in->ca_domains);
    if (needinfo && !f->by_ca)
        f->question = BUGMAIL_QUESTION_NEEDINFO;
    else if (has_comment && !f->by_ca && asks_ca(comment))
        f->question = BUGMAIL_QUESTION_COMMENT;

    /* Next update: from the whiteboard as this mail's change table shows it
     * changed. BMO sends no whiteboard header; one that claims to be it is
     * not read (SPEC 2.3). */
    g_autofree char *wb_added = added_for(table, "whiteboard");
    f->has_next_update = bugmail_next_update(wb_added, &f->next_update, &f->next_update_date);

    /* Status and resolution, as the change table shows them changed (the
     * X-Bugzilla-Status header only tells the current state). */
    const char *status = g_hash_table_lookup(table, "status");
    const char *resolution = g_hash_table_lookup(table, "resolution");
    if (resolution && !strcmp(resolution, "---"))
        f->reopened = TRUE;
    else if (resolution && *resolution)
        f->resolution = g_strndup(resolution, strcspn(resolution, " "));
    if (status && g_str_has_prefix(status, "REOPENED"))
        f->reopened = TRUE;
    if (f->reopened)
        g_clear_pointer(&f->resolution, g_free);
    return f;
}

gboolean bugmail_summary_names_ca(const char *subject, const char *const *ca_names)
{
    if (!subject)
        return FALSE;
    const char *p = subject;
    while (*p == ' ')
        p++;
    if (g_str_has_prefix(p, "[Bug ")) {
        const char *end = strchr(p, ']');
        if (!end)
            return FALSE;
        p = end + 1;
    }
    while (*p == ' ')
        p++;
    if (g_str_has_prefix(p, "New: "))
        p += 5;
    for (gsize i = 0; ca_names && ca_names[i]; i++) {
        gsize n = strlen(ca_names[i]);
        if (n && !g_ascii_strncasecmp(p, ca_names[i], n)) {
            const char *q = p + n;
            while (*q == ' ')
                q++;
            if (*q == ':')
                return TRUE;
        }
    }
    return FALSE;
}
