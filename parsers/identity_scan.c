/* identity_scan.c - the identity collector's line scanners: addresses in
 * text, forwarded-header blocks, attributions, signatures and phones (see
 * identity.c). */
#include <string.h>

#include "identity_internal.h"

/* An address seen in text, with an optional name next to it. */
void id_ctx_add(Ctx *c, const char *name, const char *raw_email, CandMode mode)
{
    g_autofree char *e = NULL;
    if (raw_email) {
        if (id_looks_like_message_id(raw_email))
            return;
        e = id_clean_email(raw_email);
        if (!e || id_email_excluded(e, &c->ex))
            return;
    }
    g_autofree char *n = name ? id_name_candidate(name, mode, &c->ex) : NULL;
    if (!e && !n)
        return;
    id_add_clean(c->set, n, e);
}

static void ctx_add_phone(Ctx *c, const char *owner_name, const char *phone)
{
    guint digits = 0;
    for (const char *p = phone; *p; p++)
        digits += g_ascii_isdigit(*p) ? 1 : 0;
    if (digits < PHONE_MIN_DIGITS || digits > PHONE_MAX_DIGITS)
        return;
    /* dates (2025-05-12, 12/05/2025) are not phones */
    if (g_regex_match_simple("^\\d{4}[-/.]\\d{1,2}[-/.]\\d{1,2}$|^\\d{1,2}[-/.]\\d{1,2}[-/.]\\d{2,4}$",
                             phone, 0, 0))
        return;
    if (owner_name) {
        identity_set_add_phone(c->set, owner_name, NULL, phone);
        return;
    }
    /* a labelled number already in someone's signature stays theirs */
    for (guint i = 0; i < c->set->persons->len; i++) {
        IdentityPerson *p = g_ptr_array_index(c->set->persons, i);
        if (id_strv_has(p->phones, phone))
            return;
    }
    identity_set_add_phone(c->set, c->author_name, c->author_email, phone);
}

/* The groups of a pattern that add_matches() reads; 0: none. */
typedef struct {
    int email;
    int name;
    int quoted; /* a quoted display name: taken in any case (CAND_QUOTED) */
} Groups;

/* Every match of the pattern `which` in `line` to id_ctx_add(): the address
 * of group `g.email` with the quoted name of `g.quoted` where it matched, else
 * with the name of `g.name`. */
static void add_matches(Ctx *c, const char *line, int which, Groups g)
{
    g_autoptr(GMatchInfo) mi = NULL;
    for (g_regex_match(id_rx(which), line, 0, &mi); g_match_info_matches(mi); g_match_info_next(mi, NULL)) {
        g_autofree char *email = g.email ? g_match_info_fetch(mi, g.email) : NULL;
        g_autofree char *quoted = g.quoted ? g_match_info_fetch(mi, g.quoted) : NULL;
        g_autofree char *name = g.name ? g_match_info_fetch(mi, g.name) : NULL;
        if (quoted && *quoted)
            id_ctx_add(c, quoted, email, CAND_QUOTED);
        else
            id_ctx_add(c, name, email, CAND_CUT);
    }
}

void id_scan_addresses(Ctx *c, const char *line)
{
    /* "Jane Doe <jane@...>", "\"Doe, Jane\" <jane@...>", "Jane Doe [mailto:jane@...]" */
    add_matches(c, line, RX_NAME_BEFORE_ADDR, (Groups){ .email = 3, .name = 2, .quoted = 1 });
    /* "jane@example.org (Jane Doe)" */
    add_matches(c, line, RX_ADDR_THEN_NAME, (Groups){ .email = 1, .name = 2 });
    /* every other address */
    add_matches(c, line, RX_EMAIL, (Groups){ .email = 1 });
}

/* One address-list value ("Jane <a@b>, \"Doe, John\" <c@d>; e@f"). With
 * `name_alone`, an entry without an address is still a name (From: lines of
 * forwarded blocks); names that come with an excluded address are dropped,
 * except a Google Groups "Jane via LIST". */
void id_scan_address_list(Ctx *c, const char *value, gboolean name_alone, CandMode mode)
{
    GPtrArray *entries = g_ptr_array_new_with_free_func(g_free);
    /* split on ';' (Outlook), else on ',' outside quotes and brackets */
    gboolean semicolons = strchr(value, ';') != NULL;
    GString *cur = g_string_new(NULL);
    gboolean inq = FALSE;
    int angle = 0;
    for (const char *p = value;; p++) {
        char ch = *p;
        if (ch == '"')
            inq = !inq;
        else if (ch == '<')
            angle++;
        else if (ch == '>' && angle > 0)
            angle--;
        /* "Doe, Jane <jane@...>" is one entry: split on ',' only after an address */
        gboolean sep = ch == '\0' || (ch == ';') ||
                       (!semicolons && ch == ',' && !inq && angle == 0 && strchr(cur->str, '@'));
        if (sep) {
            g_ptr_array_add(entries, g_string_free(cur, FALSE));
            cur = g_string_new(NULL);
            if (ch == '\0')
                break;
            continue;
        }
        g_string_append_c(cur, ch);
    }
    g_string_free(cur, TRUE);

    for (guint i = 0; i < entries->len; i++) {
        const char *entry = g_ptr_array_index(entries, i);
        GMatchInfo *mi = NULL;
        char *email = NULL;
        int es = 0, ee = 0;
        if (g_regex_match(id_rx(RX_EMAIL), entry, 0, &mi)) {
            email = g_match_info_fetch(mi, 1);
            g_match_info_fetch_pos(mi, 1, &es, &ee);
        }
        g_match_info_free(mi);
        g_autofree char *name = NULL;
        if (email) {
            GString *n = g_string_new(NULL);
            g_string_append_len(n, entry, es);
            g_string_append(n, entry + ee);
            /* drop the address brackets and "mailto:" */
            g_autofree char *tmp = g_string_free(n, FALSE);
            GString *clean = g_string_new(NULL);
            for (const char *q = tmp; *q; q++) {
                if (g_ascii_strncasecmp(q, "mailto:", 7) == 0) {
                    q += 6;
                    continue;
                }
                if (!strchr("<>[]", *q))
                    g_string_append_c(clean, *q);
            }
            name = g_strstrip(g_string_free(clean, FALSE));
            if (g_str_has_suffix(name, "()"))
                name[strlen(name) - 2] = '\0';
        } else if (name_alone) {
            name = g_strdup(entry);
        }
        g_autofree char *e = email ? id_clean_email(email) : NULL;
        if (e && id_email_excluded(e, &c->ex)) {
            /* the list's rewritten From: keeps the author's name before " via " */
            if (name && strstr(name, " via "))
                id_ctx_add(c, name, NULL, CAND_QUOTED);
        } else if (e || (name && *name)) {
            if (e && id_looks_like_message_id(email)) {
                g_free(email);
                continue;
            }
            g_autofree char *n = (name && *name) ? id_name_candidate(name, mode, &c->ex) : NULL;
            if (e || n)
                id_add_clean(c->set, n, e);
        }
        g_free(email);
    }
    g_ptr_array_unref(entries);
}

/* The name words of one side of an attribution, without its address: the
 * leading words of the text after the verb (`leading`), else the trailing
 * words of the text before it, stopping at the date. NULL: none. */
static char *attribution_name(const char *side, gboolean leading)
{
    g_autofree char *seg = g_regex_replace(id_rx(RX_EMAIL), side, -1, 0, "", 0, NULL);
    if (!seg)
        return NULL;
    /* drop brackets left by the address, "(<>)", "[mailto:]" */
    g_strdelimit(seg, "<>()[]\"", ' ');
    char *m = strstr(seg, "mailto:");
    if (m)
        memset(m, ' ', 7);
    g_auto(GStrv) words = g_strsplit_set(g_strstrip(seg), " \t", -1);
    guint n = g_strv_length(words);
    g_autoptr(GPtrArray) name = g_ptr_array_new();
    if (leading) {
        for (guint i = 0; i < n && name->len < MAX_NAME_WORDS; i++) {
            if (!*words[i])
                continue;
            if (id_folded_in_list(id_stop_words, words[i]) || !id_word_is_namey(words[i], FALSE))
                break;
            g_ptr_array_add(name, words[i]);
        }
    } else {
        for (guint i = n; i > 0 && name->len < MAX_NAME_WORDS; i--) {
            char *w = words[i - 1];
            if (!*w)
                continue;
            gsize wl = strlen(w);
            gboolean comma = wl > 0 && w[wl - 1] == ',';
            if (comma && name->len == 0)
                w[--wl] = '\0';
            else if (comma)
                break;
            if (id_folded_in_list(id_stop_words, w) ||
                (!id_word_is_namey(w, FALSE) && !id_folded_in_list(id_particles, w)))
                break;
            g_ptr_array_insert(name, 0, w);
        }
    }
    if (name->len == 0)
        return NULL;
    g_ptr_array_add(name, NULL);
    return g_strjoinv(" ", (char **)name->pdata);
}

/* "On Mon, 12 May 2025 at 14:02, Jane Doe <jane@...> wrote:" and friends. */
gboolean id_scan_attribution(Ctx *c, const char *line)
{
    g_autoptr(GMatchInfo) mi = NULL;
    if (!g_regex_match(id_rx(RX_ATTRIBUTION), line, 0, &mi))
        return FALSE;
    id_scan_addresses(c, line);
    /* German puts the name after the verb ("Am ... schrieb Jane Doe <...>:"),
     * English before it ("On ..., Jane Doe <...> wrote:") */
    g_autofree char *after = g_match_info_fetch(mi, 3);
    g_autofree char *name = attribution_name(after, TRUE);
    if (!name) {
        g_autofree char *before = g_match_info_fetch(mi, 1);
        name = attribution_name(before, FALSE);
    }
    if (name)
        id_ctx_add(c, name, NULL, CAND_CUT);
    return TRUE;
}

/* "From: Jane Doe <jane@...>" inside a forwarded or Outlook-quoted block. */
gboolean id_scan_header_line(Ctx *c, const char *line)
{
    g_autoptr(GMatchInfo) mi = NULL;
    if (!g_regex_match(id_rx(RX_HEADER_LINE), line, 0, &mi))
        return FALSE;
    g_autofree char *label = g_match_info_fetch(mi, 1);
    g_autofree char *value = g_match_info_fetch(mi, 2);
    g_autofree char *l = g_utf8_strdown(label, -1);
    gboolean from_like = strcmp(l, "from") == 0 || strcmp(l, "de") == 0 || strcmp(l, "von") == 0 ||
                         strcmp(l, "van") == 0 || strcmp(l, "sender") == 0 ||
                         strcmp(l, "envoyé par") == 0 || strcmp(l, "gesendet von") == 0;
    /* To:/Cc:/A: lines need an address: "A: yes" is an answer, not a header */
    if (!from_like && !strchr(value, '@'))
        return FALSE;
    id_scan_address_list(c, value, from_like, CAND_STRICT);
    return TRUE;
}

void id_scan_inline(Ctx *c, const char *text, int which)
{
    add_matches(c, text, which, (Groups){ .name = 1 }); /* the name, without an address */
}

static gboolean line_is_phone(const char *line, char **phone_r)
{
    GMatchInfo *mi = NULL;
    gboolean ok = FALSE;
    if (g_regex_match(id_rx(RX_PHONE), line, 0, &mi)) {
        g_autofree char *num = g_match_info_fetch(mi, 1);
        int s = 0, e = 0;
        g_match_info_fetch_pos(mi, 1, &s, &e);
        g_autofree char *trimmed = g_strstrip(g_strdup(line));
        gsize rest = strlen(trimmed) - (gsize)(e - s);
        /* a labelled number, or a line that is mostly the number */
        if (g_regex_match(id_rx(RX_PHONE_LABEL), line, 0, NULL) || rest * 3 <= strlen(trimmed)) {
            *phone_r = g_strdup(num);
            ok = TRUE;
        }
    }
    g_match_info_free(mi);
    return ok;
}

/* A valediction ("Regards,") or "-- " opens a signature: the next line is a
 * name, the lines after it may hold phone numbers. */
void id_scan_signatures(Ctx *c, char **lines, guint n)
{
    for (guint i = 0; i < n; i++) {
        const char *line = lines[i];
        g_autofree char *rest = NULL;
        gboolean opens = FALSE;
        GMatchInfo *mi = NULL;
        if (strcmp(line, "--") == 0 || strcmp(line, "-- ") == 0 || strcmp(line, "—") == 0) {
            opens = TRUE;
        } else if (g_regex_match(id_rx(RX_VALEDICTION), line, 0, &mi)) {
            rest = g_match_info_fetch(mi, 1);
            opens = TRUE;
        }
        g_match_info_free(mi);
        if (!opens)
            continue;
        /* Google Groups / Bugzilla footers are not signatures */
        if (i + 1 < n && (g_str_has_prefix(lines[i + 1], "You received this message") ||
                          g_str_has_prefix(lines[i + 1], "You are receiving this mail")))
            continue;
        g_autofree char *owner = NULL;
        guint j = i + 1;
        if (rest && *rest) {
            owner = id_name_candidate(rest, CAND_STRICT, &c->ex);
        } else {
            while (j < n && j <= i + 2 && !*g_strstrip(lines[j]))
                j++;
            if (j < n) {
                /* "Jane Doe | Tidepool Security", "Jane Doe, PhD", "Jane Doe - CTO" */
                g_autofree char *first = g_strdup(lines[j]);
                const char *cuts[] = { " | ", " |", "|", ", ", " - ", " – ", " — ", " / ", NULL };
                for (guint k = 0; cuts[k]; k++) {
                    char *cut = strstr(first, cuts[k]);
                    if (cut)
                        *cut = '\0';
                }
                owner = id_name_candidate(first, CAND_STRICT, &c->ex);
                if (owner)
                    j++;
            }
        }
        if (owner)
            id_add_clean(c->set, owner, NULL);
        for (guint k = j; k < n && k < j + SIGNATURE_LINES; k++) {
            char *phone = NULL;
            if (line_is_phone(lines[k], &phone)) {
                ctx_add_phone(c, owner, phone);
                g_free(phone);
            }
        }
    }
}

void id_scan_labelled_phones(Ctx *c, const char *text)
{
    g_autoptr(GMatchInfo) mi = NULL;
    for (g_regex_match(id_rx(RX_LABELLED_PHONE), text, 0, &mi); g_match_info_matches(mi);
         g_match_info_next(mi, NULL)) {
        g_autofree char *phone = g_match_info_fetch(mi, 1);
        ctx_add_phone(c, NULL, phone);
    }
}

/* Text without quote prefixes, one entry per line, '\r' removed. */
char **id_unquoted_lines(const char *text, guint *n_r)
{
    g_auto(GStrv) raw = g_strsplit(text, "\n", -1);
    guint n = g_strv_length(raw);
    char **out = g_new0(char *, n + 1);
    for (guint i = 0; i < n; i++) {
        const char *p = raw[i];
        while (*p == ' ' || *p == '\t' || *p == '>' || *p == '|')
            p++;
        char *l = g_strdup(p);
        gsize len = strlen(l);
        while (len > 0 && (l[len - 1] == '\r'))
            l[--len] = '\0';
        out[i] = l;
    }
    *n_r = n;
    return out;
}
