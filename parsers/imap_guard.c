/* imap_guard.c - checks the flag lists of IMAP responses before libetpan does.
 *
 * Framing must match libetpan's, or a line the guard took for literal payload
 * could be parsed by libetpan as a response. libetpan reads one line, parses
 * it, and reads a literal only when its parser stands on "{n}" CRLF where the
 * grammar allows a string; in free text (a status response's resp-text) the
 * same characters are text and the response ends there. So "{n}" at the end
 * of a line opens a literal only in responses that carry strings (FETCH,
 * LIST, STATUS, ...: literal_kind()); elsewhere it ends the response, which
 * is at worst stricter than libetpan: the payload is then checked as lines.
 * libetpan skips runs of spaces and tabs where the grammar has one SP
 * (UNSTRICT_SYNTAX), so the search for a flag list skips them too; the list
 * itself is checked strictly. */
#include "imap_guard.h"

#include <string.h>

#include "cpr_error.h"
#include "textutil.h"

typedef enum {
    KIND_START,  /* the next line begins a response */
    KIND_FETCH,  /* continues a FETCH response after a literal: flags checked */
    KIND_OTHER,  /* continues another response after a literal */
} Kind;

struct ImapGuard {
    gsize max_line;
    GByteArray *line;      /* the unfinished line, held */
    guint64 literal_left;  /* payload bytes still to pass unseen */
    Kind kind;
    gboolean failed;
};

ImapGuard *imap_guard_new(gsize max_line)
{
    ImapGuard *g = g_new0(ImapGuard, 1);
    g->max_line = MAX(max_line, 16);
    g->line = g_byte_array_new();
    g->kind = KIND_START;
    return g;
}

void imap_guard_free(ImapGuard **guard)
{
    ImapGuard *g = *guard;
    if (!g)
        return;
    g_byte_array_unref(g->line);
    g_free(g);
    *guard = NULL;
}

gsize imap_guard_held(const ImapGuard *guard)
{
    return guard->line->len;
}

/* One line being checked: s[0..end) without its CRLF. */
typedef struct {
    const char *s;
    gsize end;
} Line;

static gboolean is_ws(char c)
{
    return c == ' ' || c == '\t';
}

static gsize skip_ws(const Line *l, gsize i)
{
    while (i < l->end && is_ws(l->s[i]))
        i++;
    return i;
}

/* ATOM-CHAR of RFC 3501: CHAR except atom-specials and resp-specials. */
static gboolean is_atom_char(char ch)
{
    unsigned char c = (unsigned char)ch;
    if (c <= 0x20 || c >= 0x7f)
        return FALSE; /* CTL, SP, 8-bit */
    return strchr("(){%*\"\\]", c) == NULL;
}

/* The word at i (up to a space, a tab, a bracket or a parenthesis); its end. */
static gsize word_end(const Line *l, gsize i)
{
    while (i < l->end && !is_ws(l->s[i]) && !strchr("[]()", l->s[i]))
        i++;
    return i;
}

static gboolean word_is(const Line *l, gsize from, gsize to, const char *word)
{
    gsize n = strlen(word);
    return to - from == n && g_ascii_strncasecmp(l->s + from, word, n) == 0;
}

/* At most 40 bytes from `at`, printable ASCII, for an error message: the
 * server's bytes never reach a log unsanitised. */
static char *excerpt(const Line *l, gsize at)
{
    g_autofree char *text = text_printable(l->s + at, l->end > at ? l->end - at : 0, 40);
    return at + 40 < l->end ? g_strconcat(text, "...", NULL) : g_steal_pointer(&text);
}

static gboolean bad_list(const Line *l, gsize at, const char *what, GError **error)
{
    g_autofree char *text = excerpt(l, at);
    g_set_error(error, CPR_ERROR, CPR_ERROR_CONNECTION, "malformed %s list: %s", what, text);
    return FALSE;
}

/* flag-list (or flag-perm list with allow_star) at *i: "(" [flag *(SP flag)] ")".
 * On success *i is just past the ")". */
static gboolean check_list(const Line *l, gsize *i, gboolean allow_star, const char *what,
                           GError **error)
{
    gsize start = *i, p = *i;
    if (p >= l->end || l->s[p] != '(')
        return bad_list(l, start, what, error);
    p++;
    if (p < l->end && l->s[p] == ')') {
        *i = p + 1;
        return TRUE;
    }
    for (;;) {
        gboolean star = FALSE; /* \* stands alone */
        if (p < l->end && l->s[p] == '\\') {
            p++;
            star = allow_star && p < l->end && l->s[p] == '*';
            if (star)
                p++;
        }
        if (!star) {
            gsize atom = p;
            while (p < l->end && is_atom_char(l->s[p]))
                p++;
            if (p == atom)
                return bad_list(l, start, what, error);
        }
        if (p < l->end && l->s[p] == ')') {
            *i = p + 1;
            return TRUE;
        }
        if (p + 1 < l->end && l->s[p] == ' ' && l->s[p + 1] != ')') {
            p++;
            continue;
        }
        return bad_list(l, start, what, error);
    }
}

/* After OK/NO/BAD/BYE/PREAUTH or "+": an optional [PERMANENTFLAGS (...)]. */
static gboolean check_status(const Line *l, gsize i, GError **error)
{
    i = skip_ws(l, i);
    if (i >= l->end || l->s[i] != '[')
        return TRUE;
    i = skip_ws(l, i + 1);
    gsize w = word_end(l, i);
    if (!word_is(l, i, w, "PERMANENTFLAGS"))
        return TRUE;
    gsize at = skip_ws(l, w);
    gsize p = at;
    if (!check_list(l, &p, TRUE, "PERMANENTFLAGS", error))
        return FALSE;
    if (p >= l->end || l->s[p] != ']')
        return bad_list(l, at, "PERMANENTFLAGS", error);
    return TRUE;
}

/* "* FLAGS": the list and nothing after it. */
static gboolean check_flags(const Line *l, gsize i, GError **error)
{
    gsize at = skip_ws(l, i);
    gsize p = at;
    if (!check_list(l, &p, FALSE, "FLAGS", error))
        return FALSE;
    if (skip_ws(l, p) != l->end)
        return bad_list(l, at, "FLAGS", error);
    return TRUE;
}

/* A line of a FETCH response from i: every FLAGS item outside quoted strings
 * and [sections]. A sender controls string contents (a subject, a body sent
 * quoted) but not the atoms around them, so "FLAGS (" inside a string must
 * not count, or any mail could cut the connection. */
static gboolean check_fetch(const Line *l, gsize i, GError **error)
{
    gboolean quoted = FALSE, section = FALSE;
    for (; i < l->end; i++) {
        char c = l->s[i];
        if (quoted) {
            if (c == '\\')
                i++;
            else if (c == '"')
                quoted = FALSE;
            continue;
        }
        if (c == '"') {
            quoted = TRUE;
            continue;
        }
        if (section) {
            section = c != ']';
            continue;
        }
        if (c == '[') {
            section = TRUE;
            continue;
        }
        gboolean boundary = i == 0 || is_ws(l->s[i - 1]) || l->s[i - 1] == '(';
        if (!boundary || l->end - i < 5 || g_ascii_strncasecmp(l->s + i, "FLAGS", 5) != 0)
            continue;
        gsize p = i + 5;
        if (p < l->end && !is_ws(l->s[p]) && l->s[p] != '(')
            continue; /* a longer word */
        gsize at = p = skip_ws(l, p);
        if (!check_list(l, &p, FALSE, "FETCH FLAGS", error))
            return FALSE;
        if (p >= l->end || (!is_ws(l->s[p]) && l->s[p] != ')'))
            return bad_list(l, at, "FETCH FLAGS", error);
        i = p - 1;
    }
    return TRUE;
}

/* Responses whose grammar has strings, so that "{n}" CRLF is a literal. */
static gboolean literal_kind(const Line *l, gsize from, gsize to)
{
    static const char *const words[] = {
        "LIST", "LSUB", "XLIST", "STATUS", "NAMESPACE", "ID", "QUOTA", "QUOTAROOT",
        "ACL", "LISTRIGHTS", "MYRIGHTS", "METADATA", "ANNOTATION", "ESEARCH",
    };
    for (guint k = 0; k < G_N_ELEMENTS(words); k++)
        if (word_is(l, from, to, words[k]))
            return TRUE;
    return FALSE;
}

static gboolean all_digits(const Line *l, gsize from, gsize to)
{
    if (from == to)
        return FALSE;
    for (gsize k = from; k < to; k++)
        if (!g_ascii_isdigit(l->s[k]))
            return FALSE;
    return TRUE;
}

static gboolean is_status_word(const Line *l, gsize from, gsize to)
{
    return word_is(l, from, to, "OK") || word_is(l, from, to, "NO") ||
           word_is(l, from, to, "BAD") || word_is(l, from, to, "BYE") ||
           word_is(l, from, to, "PREAUTH");
}

/* The first line of a response: check it; *kind_r is what a literal at its
 * end continues (KIND_START: "{n}" there is not a literal). */
static gboolean check_first_line(const Line *l, Kind *kind_r, GError **error)
{
    *kind_r = KIND_START;
    if (l->end == 0)
        return TRUE;
    if (l->s[0] == '+')
        return check_status(l, 1, error);
    gsize i, w;
    if (l->s[0] == '*') {
        i = skip_ws(l, 1);
        w = word_end(l, i);
        if (all_digits(l, i, w)) { /* * n FETCH */
            i = skip_ws(l, w);
            w = word_end(l, i);
            if (!word_is(l, i, w, "FETCH"))
                return TRUE;
            *kind_r = KIND_FETCH;
            return check_fetch(l, w, error);
        }
        if (word_is(l, i, w, "FLAGS"))
            return check_flags(l, w, error);
        if (literal_kind(l, i, w)) {
            *kind_r = KIND_OTHER;
            return TRUE;
        }
    } else { /* tagged */
        i = skip_ws(l, word_end(l, 0));
        w = word_end(l, i);
    }
    if (is_status_word(l, i, w))
        return check_status(l, w, error);
    return TRUE;
}

/* "{n}" or "{n+}" at the end of the line: n, else -1. */
static gint64 trailing_literal(const Line *l)
{
    gsize e = l->end;
    if (e < 3 || l->s[e - 1] != '}')
        return -1;
    e--;
    if (l->s[e - 1] == '+')
        e--;
    gsize d = e;
    while (d > 0 && g_ascii_isdigit(l->s[d - 1]))
        d--;
    if (d == e || d == 0 || l->s[d - 1] != '{' || e - d > 10)
        return -1;
    guint64 n = 0;
    for (gsize k = d; k < e; k++)
        n = n * 10 + (guint64)(l->s[k] - '0');
    return n > G_MAXUINT32 ? -1 : (gint64)n;
}

static gboolean line_done(ImapGuard *g, GError **error)
{
    Line l = {(const char *)g->line->data, g->line->len - 1}; /* without the LF */
    if (l.end > 0 && l.s[l.end - 1] == '\r')
        l.end--;
    Kind kind = g->kind;
    gboolean ok;
    if (kind == KIND_START)
        ok = check_first_line(&l, &kind, error);
    else if (kind == KIND_FETCH)
        ok = check_fetch(&l, 0, error);
    else
        ok = TRUE;
    if (!ok)
        return FALSE;
    gint64 n = kind == KIND_START ? -1 : trailing_literal(&l);
    if (n < 0) {
        g->kind = KIND_START;
    } else {
        g->kind = kind;
        g->literal_left = (guint64)n;
    }
    return TRUE;
}

gboolean imap_guard_feed(ImapGuard *g, const guint8 *data, gsize len, GByteArray *released,
                         GError **error)
{
    if (g->failed) {
        g_set_error(error, CPR_ERROR, CPR_ERROR_CONNECTION,
                    "the server's response was refused earlier");
        return FALSE;
    }
    while (len > 0) {
        if (g->literal_left > 0) {
            gsize take = (gsize)MIN((guint64)len, g->literal_left);
            g_byte_array_append(released, data, (guint)take);
            g->literal_left -= take;
            data += take;
            len -= take;
            continue;
        }
        const guint8 *nl = memchr(data, '\n', len);
        gsize take = nl ? (gsize)(nl - data) + 1 : len;
        if (take > g->max_line - g->line->len) {
            g_set_error(error, CPR_ERROR, CPR_ERROR_CONNECTION,
                        "a response line longer than %" G_GSIZE_FORMAT " bytes", g->max_line);
            g->failed = TRUE;
            return FALSE;
        }
        g_byte_array_append(g->line, data, (guint)take);
        data += take;
        len -= take;
        if (!nl)
            break;
        if (!line_done(g, error)) {
            g->failed = TRUE;
            return FALSE;
        }
        g_byte_array_append(released, g->line->data, g->line->len);
        g_byte_array_set_size(g->line, 0);
    }
    return TRUE;
}
