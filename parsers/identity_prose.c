/* identity_prose.c - names in prose, organisations at block ends, names
 * from local parts, and the entry points that run every scanner over a text
 * or a message (see identity.c and redact.h). */
#include <string.h>

#include "identity_internal.h"
#include "fold.h"

/* ---- prose, block ends, local parts -------------------------------------- */

static gboolean is_glue_word(const char *folded)
{
    static const char *const glue[] = { "of", "and", "&", "for", "the", "und", "et", "y", NULL };
    return id_in_list(glue, folded) || id_in_list(id_particles, folded);
}

/* An organisation in a signature ("Nordlys Analytics", "Brightwater Cyber
 * Labs"): capitalised words with glue, one at least not a role word. */
static char *org_candidate(const char *raw, const Exclude *ex)
{
    g_autofree char *clean = id_clean_name(raw);
    if (!clean)
        return NULL;
    g_auto(GStrv) words = g_strsplit(clean, " ", -1);
    GPtrArray *ws = g_ptr_array_new();
    guint namey = 0;
    gboolean ok = TRUE;
    for (guint i = 0; words[i] && ok; i++) {
        const char *w = words[i];
        if (!*w)
            continue;
        g_ptr_array_add(ws, (gpointer)w);
        g_autofree char *f = redact_fold(w);
        if (is_glue_word(f))
            continue;
        if (!id_word_is_namey(w, FALSE) && !id_word_is_acronym(w))
            ok = FALSE;
        else if (!id_in_list(id_stop_words, f) && !id_in_list(id_phrase_words, f))
            namey++;
    }
    ok = ok && ws->len >= 2 && ws->len <= 6 && namey > 0 && id_count_letters(clean) >= 4 &&
         !id_names_excluded_domain(ws, ex);
    g_ptr_array_unref(ws);
    return ok ? g_steal_pointer(&clean) : NULL;
}

/* The parts of a signature line: "Jane Doe | Tidepool Security",
 * "Researcher / Nordlys Analytics", "Jane Doe, PhD". */
static char **line_parts(const char *line)
{
    static const char *const seps[] = { " | ", "|", " / ", " - ", " \u2013 ", " \u2014 ",
                                        " \u00b7 ", ", ", NULL };
    g_autofree char *tmp = g_strdup(line);
    for (guint k = 0; seps[k]; k++) {
        g_auto(GStrv) pieces = g_strsplit(tmp, seps[k], -1);
        g_free(tmp);
        tmp = g_strjoinv("\x01", pieces);
    }
    char **parts = g_strsplit(tmp, "\x01", -1);
    for (guint i = 0; parts[i]; i++)
        g_strstrip(parts[i]);
    return parts;
}

static void add_org(Ctx *c, const char *org)
{
    IdentityPerson *p = id_find_named(c->set, org, FALSE, NULL);
    if (!p) {
        p = id_person_new();
        g_ptr_array_add(c->set->persons, p);
    }
    id_person_add_name_form(p, org);
}

/* The last lines of one writer's text (the message's own, or a quoted or
 * forwarded one) are where people sign: the lines there that are only a name
 * (two words at least: a lone word is a name only after a valediction, see
 * id_scan_signatures()) or a name and an organisation name someone; an
 * organisation after a name is that person's. Read from the end back to the
 * first line that is neither, then in order. */
static void scan_block_end(Ctx *c, char **plain, guint start, guint end)
{
    guint seen = 0, first = end;
    for (guint i = end; i > start && seen < 3; i--) {
        const char *l = plain[i - 1];
        if (!*l)
            continue;
        seen++;
        if (strlen(l) > MAX_NAME_BYTES || strchr(l, ':') || strchr(l, '@'))
            break;
        g_auto(GStrv) parts = line_parts(l);
        gboolean any = FALSE;
        for (guint k = 0; parts[k] && !any; k++) {
            g_autofree char *n =
                *parts[k] ? id_name_candidate(parts[k], CAND_STRICT, &c->ex) : NULL;
            g_autofree char *o = *parts[k] ? org_candidate(parts[k], &c->ex) : NULL;
            any = (n && strchr(n, ' ')) || o;
        }
        if (!any)
            break;
        first = i - 1;
    }
    IdentityPerson *owner = NULL;
    for (guint i = first; i < end; i++) {
        if (!*plain[i])
            continue;
        g_auto(GStrv) parts = line_parts(plain[i]);
        for (guint k = 0; parts[k]; k++) {
            if (!*parts[k])
                continue;
            g_autofree char *n = id_name_candidate(parts[k], CAND_STRICT, &c->ex);
            if (n && strchr(n, ' ') && !owner) {
                owner = id_add_clean(c->set, n, NULL);
                continue;
            }
            g_autofree char *o = org_candidate(parts[k], &c->ex);
            if (o && owner)
                id_person_add_name_form(owner, o);
            else if (o)
                add_org(c, o);
        }
    }
}

static void scan_block_ends(Ctx *c, const char *text)
{
    g_auto(GStrv) raw = g_strsplit(text, "\n", -1);
    guint n = g_strv_length(raw);
    char **plain = g_new0(char *, n + 1);
    int *depth = g_new0(int, n + 1);
    for (guint i = 0; i < n; i++) {
        const char *p = raw[i];
        int d = 0;
        while (*p == ' ' || *p == '\t' || *p == '>' || *p == '|') {
            if (*p == '>' || *p == '|')
                d++;
            p++;
        }
        plain[i] = g_strstrip(g_strdup(p));
        depth[i] = (!*plain[i] && i > 0) ? depth[i - 1] : d;
    }
    guint start = 0;
    for (guint i = 0; i <= n; i++) {
        gboolean boundary = i == n;
        if (!boundary && *plain[i]) {
            boundary = (i > start && depth[i] != depth[i - 1]) ||
                       strcmp(plain[i], "--") == 0 ||
                       g_regex_match(id_rx(RX_BLOCK_SEPARATOR), plain[i], 0, NULL) ||
                       (g_str_has_suffix(plain[i], ":") &&
                        g_regex_match(id_rx(RX_ATTRIBUTION), plain[i], 0, NULL));
        }
        if (boundary) {
            scan_block_end(c, plain, start, i);
            start = i + 1;
        }
    }
    g_strfreev(plain);
    g_free(depth);
}

static gboolean token_known(const IdentitySet *set, const char *folded)
{
    for (guint i = 0; i < set->persons->len; i++) {
        const IdentityPerson *p = g_ptr_array_index(set->persons, i);
        if (id_strv_has(p->ftokens, folded))
            return TRUE;
    }
    return FALSE;
}

/* "Bohdan Ostapchuk" where Ostapchuk is a known person's token: the
 * capitalised words next to a known token name someone too. */
static void scan_name_runs(Ctx *c, const char *prose)
{
    GMatchInfo *mi = NULL;
    GPtrArray *found = g_ptr_array_new_with_free_func(g_free);
    g_regex_match(id_rx(RX_NAME_RUN), prose, 0, &mi);
    while (g_match_info_matches(mi)) {
        g_autofree char *run = g_match_info_fetch(mi, 1);
        g_auto(GStrv) words = g_strsplit_set(run, " \t", -1);
        gboolean known = FALSE, unknown = FALSE;
        for (guint i = 0; words[i]; i++) {
            gsize wl = strlen(words[i]);
            while (wl > 0 && strchr(".'", words[i][wl - 1]))
                words[i][--wl] = '\0';
            if (!*words[i])
                continue;
            g_autofree char *f = redact_fold(words[i]);
            if (id_in_list(id_stop_words, f) || id_in_list(id_particles, f))
                continue;
            if (token_known(c->set, f))
                known = TRUE;
            else if (id_count_letters(words[i]) >= 2 && !id_word_is_acronym(words[i]))
                unknown = TRUE;
        }
        if (known && unknown)
            g_ptr_array_add(found, g_steal_pointer(&run));
        g_match_info_next(mi, NULL);
    }
    g_match_info_free(mi);
    for (guint i = 0; i < found->len; i++)
        id_ctx_add(c, g_ptr_array_index(found, i), NULL, CAND_CUT);
    g_ptr_array_unref(found);
}

/* Only letters, ASCII or not. */
static gboolean all_letters(const char *s)
{
    if (!*s)
        return FALSE;
    for (const char *p = s; *p; p = g_utf8_next_char(p))
        if (!g_unichar_isalpha(g_utf8_get_char(p)))
            return FALSE;
    return TRUE;
}

/* "anselm.g@" and a person known only as "Anselm Gruber" (a
 * self-introduction, a signature): one person when every part of the local
 * part is a word of the name or its initial, in order. */
static void absorb_initials_match(IdentitySet *set, IdentityPerson *p, char **parts, guint *index)
{
    g_autoptr(GPtrArray) want = g_ptr_array_new_with_free_func(g_free);
    for (guint k = 0; parts[k]; k++)
        if (*parts[k])
            g_ptr_array_add(want, redact_fold(parts[k]));
    for (guint q = 0; q < set->persons->len; q++) {
        IdentityPerson *other = g_ptr_array_index(set->persons, q);
        if (other == p || other->emails->len > 0)
            continue;
        gboolean match = FALSE;
        for (guint n = 0; n < other->fnames->len && !match; n++) {
            g_auto(GStrv) words = g_strsplit(g_ptr_array_index(other->fnames, n), " ", -1);
            if (g_strv_length(words) != want->len)
                continue;
            match = TRUE;
            for (guint k = 0; k < want->len && match; k++) {
                const char *w = g_ptr_array_index(want, k);
                match = strcmp(words[k], w) == 0 ||
                        (strlen(w) == 1 && g_str_has_prefix(words[k], w));
            }
        }
        if (!match)
            continue;
        id_person_absorb(p, other);
        g_ptr_array_remove_index(set->persons, q);
        if (q < *index)
            (*index)--;
        return;
    }
}

/* Names built from address local parts: "hana.kowalczyk@" is Hana Kowalczyk;
 * "tobiasreinholt@" is the Tobias Reinholt a display name or signature gives,
 * and that person joins the address's. */
static void names_from_local_parts(IdentitySet *set)
{
    for (guint i = 0; i < set->persons->len; i++) {
        IdentityPerson *p = g_ptr_array_index(set->persons, i);
        for (guint e = 0; e < p->emails->len; e++) {
            const char *email = g_ptr_array_index(p->emails, e);
            const char *at = strrchr(email, '@');
            if (!at)
                continue;
            g_autofree char *local = g_strndup(email, (gsize)(at - email));
            char *plus = strchr(local, '+');
            if (plus)
                *plus = '\0';
            g_auto(GStrv) parts = g_strsplit_set(local, "._-", -1);
            guint np = 0, long_parts = 0;
            gboolean ok = TRUE;
            for (guint k = 0; parts[k]; k++) {
                if (!*parts[k])
                    continue;
                np++;
                g_autofree char *f = redact_fold(parts[k]);
                if (!all_letters(parts[k]) || id_in_list(id_not_token_words, f) ||
                    id_in_list(id_stop_words, f) || id_in_list(id_phrase_words, f))
                    ok = FALSE;
                if (id_count_letters(parts[k]) >= 3)
                    long_parts++;
            }
            if (ok && np >= 2 && np <= 3 && long_parts > 0) {
                GString *name = g_string_new(NULL);
                for (guint k = 0; parts[k]; k++) {
                    if (!*parts[k])
                        continue;
                    if (name->len)
                        g_string_append_c(name, ' ');
                    gunichar c0 = g_unichar_toupper(g_utf8_get_char(parts[k]));
                    g_string_append_unichar(name, c0);
                    g_string_append(name, g_utf8_next_char(parts[k]));
                }
                id_person_add_name(p, name->str);
                g_string_free(name, TRUE);
                absorb_initials_match(set, p, parts, &i);
                continue;
            }
            if (np != 1 || !ok || id_count_letters(local) < 6)
                continue;
            /* firstlast@: confirmed by two tokens of one person */
            g_autofree char *flocal = redact_fold(local);
            for (guint q = 0; q < set->persons->len; q++) {
                IdentityPerson *other = g_ptr_array_index(set->persons, q);
                gboolean hit = FALSE;
                for (guint a = 0; a < other->ftokens->len && !hit; a++)
                    for (guint b = 0; b < other->ftokens->len && !hit; b++) {
                        if (a == b)
                            continue;
                        g_autofree char *cat =
                            g_strconcat(g_ptr_array_index(other->ftokens, a),
                                        g_ptr_array_index(other->ftokens, b), NULL);
                        hit = strcmp(cat, flocal) == 0;
                    }
                if (!hit)
                    continue;
                id_person_add_token(p, local);
                if (other != p && other->emails->len == 0) {
                    id_person_absorb(p, other);
                    g_ptr_array_remove_index(set->persons, q);
                    if (q < i)
                        i--;
                }
                break;
            }
        }
    }
}

static void scan_text(Ctx *c, const char *text)
{
    if (!text || !*text)
        return;
    g_autofree char *valid = g_utf8_make_valid(text, -1);
    guint n = 0;
    g_auto(GStrv) lines = id_unquoted_lines(valid, &n);

    for (guint i = 0; i < n; i++) {
        const char *line = lines[i];
        if (!*line)
            continue;
        /* an attribution may wrap over up to three lines */
        gboolean done = FALSE;
        GString *joined = g_string_new(line);
        for (guint k = 0; k < 3 && !done; k++) {
            if (k > 0) {
                if (i + k >= n || !*lines[i + k])
                    break;
                g_string_append_c(joined, ' ');
                g_string_append(joined, lines[i + k]);
            }
            if (g_str_has_suffix(g_strchomp(joined->str), ":") &&
                id_scan_attribution(c, joined->str))
                done = TRUE;
            joined->len = strlen(joined->str);
        }
        g_string_free(joined, TRUE);
        if (!done && !id_scan_header_line(c, line))
            id_scan_addresses(c, line);
    }

    /* prose: lines joined so that a name may follow its trigger on the next line */
    g_autofree char *prose = g_strjoinv("\n", lines);
    id_scan_inline(c, prose, RX_INTRO);
    id_scan_inline(c, prose, RX_COLLEAGUE);
    id_scan_inline(c, prose, RX_PROSE_VERB);

    for (guint i = 0; i < n; i++)
        g_strstrip(lines[i]);
    id_scan_signatures(c, lines, n);
    id_scan_labelled_phones(c, prose);
    scan_block_ends(c, valid);
    names_from_local_parts(c->set);
    scan_name_runs(c, prose);
}

static void ctx_init(Ctx *c, IdentitySet *set, const char *const *addrs, const char *const *doms)
{
    memset(c, 0, sizeof(*c));
    c->set = set;
    c->ex.addresses = addrs;
    c->ex.domains = doms;
    c->ex.staff_are_persons = set->staff_are_persons;
    c->ex.public_staff = set->public_staff ? id_lent(set->public_staff) : NULL;
}

static void ctx_clear(Ctx *c)
{
    g_free(c->author_email);
    g_free(c->author_name);
}

void identity_set_add_text(IdentitySet *set, const char *text,
                           const char *const *exclude_addresses,
                           const char *const *exclude_domains)
{
    g_return_if_fail(set != NULL);
    Ctx c;
    ctx_init(&c, set, exclude_addresses, exclude_domains);
    scan_text(&c, text);
    names_from_local_parts(set);
    id_consolidate(set);
    ctx_clear(&c);
}

static void scan_mime_addresses(Ctx *c, const GPtrArray *list)
{
    if (!list)
        return;
    for (guint i = 0; i < list->len; i++) {
        const MimeAddress *a = g_ptr_array_index(list, i);
        if (!a)
            continue;
        g_autofree char *e = id_clean_email(a->email);
        if (e && id_email_excluded(e, &c->ex)) {
            if (a->name && strstr(a->name, " via "))
                id_ctx_add(c, a->name, NULL, CAND_QUOTED);
            continue;
        }
        g_autofree char *n = id_clean_name(a->name);
        if (!e && a->name && strchr(a->name, '@')) {
            id_ctx_add(c, NULL, a->name, CAND_CUT);
            continue;
        }
        if (e || n)
            id_add_clean(c->set, n, e);
    }
}

static void set_author(Ctx *c, const GPtrArray *list, const char *header_value)
{
    if (c->author_email || c->author_name)
        return;
    if (list) {
        for (guint i = 0; i < list->len; i++) {
            const MimeAddress *a = g_ptr_array_index(list, i);
            g_autofree char *e = a ? id_clean_email(a->email) : NULL;
            if (e && !id_email_excluded(e, &c->ex)) {
                c->author_email = g_steal_pointer(&e);
                c->author_name = id_clean_name(a->name);
                return;
            }
        }
    }
    if (header_value) {
        GMatchInfo *mi = NULL;
        if (g_regex_match(id_rx(RX_EMAIL), header_value, 0, &mi)) {
            g_autofree char *raw = g_match_info_fetch(mi, 1);
            g_autofree char *e = id_clean_email(raw);
            if (e && !id_email_excluded(e, &c->ex))
                c->author_email = g_steal_pointer(&e);
        }
        g_match_info_free(mi);
    }
}

void identity_set_add_message(IdentitySet *set, const MimeMessage *msg,
                              const char *const *exclude_addresses,
                              const char *const *exclude_domains)
{
    g_return_if_fail(set != NULL);
    if (!msg)
        return;
    Ctx c;
    ctx_init(&c, set, exclude_addresses, exclude_domains);

    /* the real author first, so that the list's "Jane via LIST" joins her */
    static const char *const author_headers[] = { "X-Original-From", "X-Original-Sender",
                                                  "X-Bugzilla-Who", NULL };
    static const char *const other_headers[] = { "Resent-From", "Resent-Sender", "X-Sender",
                                                 "Return-Path", "Disposition-Notification-To",
                                                 "Return-Receipt-To", NULL };
    if (msg->header_names) {
        for (guint k = 0; author_headers[k]; k++) {
            const char *v = mime_message_header(msg, author_headers[k]);
            if (v) {
                id_scan_address_list(&c, v, FALSE, CAND_QUOTED);
                set_author(&c, NULL, v);
            }
        }
    }
    set_author(&c, msg->from, NULL);
    set_author(&c, msg->sender, NULL);
    set_author(&c, msg->reply_to, NULL);
    scan_mime_addresses(&c, msg->from);
    scan_mime_addresses(&c, msg->sender);
    scan_mime_addresses(&c, msg->reply_to);
    scan_mime_addresses(&c, msg->to);
    scan_mime_addresses(&c, msg->cc);
    if (msg->header_names) {
        for (guint k = 0; other_headers[k]; k++) {
            const char *v = mime_message_header(msg, other_headers[k]);
            if (v)
                id_scan_address_list(&c, v, FALSE, CAND_QUOTED);
        }
    }
    if (msg->subject) {
        Ctx *cp = &c;
        id_scan_addresses(cp, msg->subject);
        id_scan_inline(cp, msg->subject, RX_INTRO);
        id_scan_inline(cp, msg->subject, RX_COLLEAGUE);
    }
    scan_text(&c, msg->text);
    names_from_local_parts(set);
    id_consolidate(set);
    ctx_clear(&c);
}
