/* identity_names.c - word lists, patterns and the cleaning of address and
 * name candidates for the identity collector (see identity.c). */
#include <string.h>

#include "identity_internal.h"
#include "charset.h"
#include "fold.h"
#include "textutil.h"

/* ---- word lists (folded forms) ------------------------------------------ */

/* Never a name token: organisation words and glue found in display names. */
const char *const id_not_token_words[] = {
    "the", "and", "for", "via", "team", "support", "security", "compliance", "abuse", "desk",
    "services", "service", "department", "dept", "office", "inc", "ltd", "llc", "gmbh", "corp",
    "group", "groups", "labs", "reports", "report", "problem", "problems", "admin", "info",
    "noreply", "mail", "list", "lists", "notifications", "bugzilla", "daemon", "jr", "sr",
    "phd", "von", "van", "der", "den", "del", "della", "dos", "das", "bin", "ibn", NULL
};

/* Never part of a name found in text: greetings, glue, dates, roles. */
const char *const id_stop_words[] = {
    "hi", "hello", "hey", "dear", "hola", "bonjour", "hallo", "ciao", "greetings", "good",
    "morning", "afternoon", "evening", "day", "thanks", "thank", "regards", "cheers", "best",
    "from", "to", "cc", "bcc", "on", "at", "and", "or", "the", "a", "an", "by", "with", "via",
    "sent", "subject", "date", "wrote", "re", "fwd", "fw", "aw", "sv", "i", "we", "you", "he",
    "she", "they", "it", "this", "that", "these", "please", "not", "just", "also", "here",
    "there", "yes", "no", "ok", "okay", "sorry", "fyi", "ps", "pgp", "gpg", "mobile", "phone",
    "tel", "fax", "email", "e mail", "www", "http", "https", "mon", "tue", "tues", "wed",
    "thu", "thur", "thurs", "fri", "sat", "sun", "monday", "tuesday", "wednesday", "thursday",
    "friday", "saturday", "sunday", "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug",
    "sep", "sept", "oct", "nov", "dec", "january", "february", "march", "april", "june",
    "july", "august", "september", "october", "november", "december", "am", "pm", "utc",
    "gmt", "cet", "cest", "est", "edt", "pst", "pdt", "bst", "aest", "lun", "mer", "jeu",
    "ven", "sam", "dim", "mai", "juin", "juil", "janv", "fevr", "avr", "sept", "dic", "ene",
    "abr", "ago", "lunes", "martes", "miercoles", "jueves", "viernes", "sabado", "domingo",
    "mo", "di", "mi", "do", "fr", "sa", "so", "mrz", "okt", "dez", "um", "le", "el", "am",
    "team", "support", "security", "compliance", "abuse", "desk", "services", "service",
    "department", "dept", "office", "inc", "ltd", "llc", "gmbh", "corp", "group", "groups",
    "labs", "lab", "ca", "pki", "reports", "report", "problem", "problems", "admin", "info",
    "noreply", "certificate", "certificates", "cert", "mozilla", "bugzilla", "google", "list",
    "policy", "public", "ccadb", "incident", "comment", "bug", "reply", "quoting", "original",
    "message", "forwarded", "begin", "end", "key", "private", "serial", "issuer", "link",
    "proof", "note", "question", "update", "any", "news", "again", "all", "everyone", "folks",
    "sir", "madam", "colleague", "colleagues", "friend", "manager", "researcher", "member",
    "community", "reporter", "redacted", "name", "yesterday", "today", "tomorrow", "recently",
    "earlier", "later", "finally", "however", "unfortunately", "apparently", "meanwhile",
    "then", "when", "after", "before", "since", "while", "because", "our", "my", "your",
    "their", "his", "her", "its", "what", "which", "who", "researcher", "researchers",
    "analyst", "engineer", "student", "independent", NULL
};

/* The words of the replacement phrases of redact.c ("a community member",
 * "[name redacted]", "[reporter email redacted]", "[phone redacted]"). A person
 * identified by them could never be redacted: every replacement would leak
 * again. No one is called that; a display name like "Community Member" is a
 * placeholder. */
const char *const id_phrase_words[] = {
    "a", "community", "member", "name", "reporter", "email", "phone", "redacted", NULL
};

const char *const id_particles[] = {
    "van", "von", "de", "der", "den", "del", "della", "di", "da", "du", "la", "le", "dos",
    "das", "bin", "ibn", "al", "ter", "ten", "y", "e", NULL
};

static const char *const titles[] = {
    "dr", "dr.", "mr", "mr.", "mrs", "mrs.", "ms", "ms.", "prof", "prof.", "sr.", "sra.",
    "herr", "frau", "mme", "mme.", "m.", "mx", "mx.", NULL
};

/* Addresses that are machines, whatever the domain. */
static const char *const machine_locals[] = {
    "bugzilla-daemon", "mailer-daemon", "postmaster", "noreply", "no-reply", "donotreply",
    "do-not-reply", "googlegroups-manage", NULL
};

gboolean id_in_list(const char *const *list, const char *s)
{
    for (; *list; list++)
        if (strcmp(*list, s) == 0)
            return TRUE;
    return FALSE;
}

gboolean id_folded_in_list(const char *const *list, const char *word)
{
    g_autofree char *f = redact_fold(word);
    return id_in_list(list, f);
}

/* ---- static regexes (compiled once) ------------------------------------ */

#define NW "[\\p{Lu}\\p{Lt}\\p{Lo}][\\p{L}\\p{M}'\\x{2019}.\\-]*"
#define PART "(?:van|von|de|der|den|del|della|di|da|du|la|le|dos|das|bin|ibn|al|ter|ten|y)"
#define NAME_RX "(" NW "(?:[ \\t]+(?:" PART "[ \\t]+)*" NW "){0,4})"
#define EMAIL_RX "(?<![\\p{L}\\p{N}_._%+'\\-=/$])([\\p{L}\\p{N}_.%+'\\-]+@[\\p{L}\\p{N}\\-]+(?:\\.[\\p{L}\\p{N}\\-]+)+)"
#define PHONE_RX "(?<![0-9A-Za-z+])(\\+?\\(?[0-9][0-9 ().\\-/]{5,}[0-9])(?![0-9A-Za-z])"

static const struct {
    const char *pattern;
    GRegexCompileFlags flags;
} rx_defs[RX_COUNT] = {
    [RX_EMAIL] = { EMAIL_RX, 0 },
    [RX_NAME_BEFORE_ADDR] = { "(?:\"([^\"\\n]{1,80})\"|" NAME_RX ")[ \\t]*[<(\\[]{1,2}[ \\t]*"
                              "(?:mailto:)?" EMAIL_RX, 0 },
    [RX_ADDR_THEN_NAME] = { EMAIL_RX ">?[ \\t]*\\(([^()\\n@]{2,80})\\)", 0 },
    [RX_INTRO] = { "(?i:\\b(?:my name is|my name's|my name\\x{2019}s|i am|i'm|i\\x{2019}m"
                   "|(?:hi|hello|hey|hola|bonjour|hallo)[,!]?[ \\t]+(?:this is|it's|it is)"
                   "|me llamo|mi nombre es|soy|ich hei(?:ß|ss)e|mein name ist|je m'appelle"
                   "|je m\\x{2019}appelle|mon nom est|mi chiamo|il mio nome è|mijn naam is"
                   "|meu nome é|chamo-me)[ \\t]+)" NAME_RX, 0 },
    [RX_COLLEAGUE] = { "(?i:\\b(?:(?:my|our)[ \\t]+(?:colleagues?|co-?workers?|team-?mates?"
                       "|associates?|partners?|friends?|managers?|boss|supervisor"
                       "|collaborators?|co-?authors?)"
                       "|(?:mi|mis|nuestr[oa]s?)[ \\t]+(?:colegas?|compañer[oa]s?)"
                       "|(?:mein|meine|unser|unsere)[ \\t]+(?:kollegen?|kollegin(?:nen)?)"
                       "|(?:mon|ma|mes|notre)[ \\t]+(?:collègues?|collegues?)"
                       "|cc'?ing|cc'd|copying|copied|thanks to|credit to|found by"
                       "|reported by|discovered by|on behalf of|with help from"
                       "|together with|gracias a|dank an|merci à)[ \\t,:]+)" NAME_RX, 0 },
    [RX_ATTRIBUTION] = { "^(.*?)\\b(wrote|a écrit|a ecrit|escribió|escribio|schrieb"
                         "|ha scritto|schreef|skrev|napisał)\\b(.*):\\s*$",
                         G_REGEX_CASELESS },
    [RX_HEADER_LINE] = { "^[*]{0,2}(from|de|von|van|da|från|fra|od|sender|reply-to|cc|kopie"
                         "|to|an|à|a|para|envoyé par|gesendet von)[*]{0,2}[ \\t]*:[*]{0,2}"
                         "[ \\t]*(.+)$", G_REGEX_CASELESS },
    [RX_VALEDICTION] = { "^(?:(?:best|kind|warm|warmest|many|with kind|with best|with warm"
                         "|all the best|thanks and|thanks &)[ \\t]+)?"
                         "(?:regards|wishes|thanks|thanks again|thank you|cheers|best|sincerely"
                         "|yours(?: sincerely| truly| faithfully)?|respectfully|cordially"
                         "|take care|greetings|un saludo|saludos(?: cordiales)?|atentamente"
                         "|un abrazo|cordialement|bien cordialement|bien à vous|amitiés"
                         "|merci|grüße|grüsse|gruß|gruss|viele grüße|beste grüße|liebe grüße"
                         "|herzliche grüße|mit freundlichen grüßen|mfg|vg|lg|groeten"
                         "|met vriendelijke groet(?:en)?|cordiali saluti|saluti"
                         "|distinti saluti|grazie|obrigad[oa]|atenciosamente|abraços|ta)"
                         "[ \\t]*[,.!\\-–—]*[ \\t]*(.*)$", G_REGEX_CASELESS },
    [RX_PHONE] = { PHONE_RX, 0 },
    [RX_PHONE_LABEL] = { "(?i:\\b(?:tel|tél|phone|mobile|mob|cell|fax|ph|teléfono|telefono"
                         "|telefon|handy|móvil|movil|whatsapp|signal|direct|office|m|t|p|o)"
                         "\\b\\.?)", 0 },
    [RX_LABELLED_PHONE] = { "(?i:\\b(?:tel|tél|phone|mobile|mob|cell|fax|ph|teléfono"
                            "|telefono|telefon|handy|móvil|movil|whatsapp|signal)\\b\\.?"
                            "[ \\t]*(?:\\([^)\\n]{0,20}\\))?[ \\t]*[:.]?[ \\t]*)" PHONE_RX, 0 },
    /* people named only in running prose: "Jane Doe reported ...", "... helped me" */
    [RX_PROSE_VERB] = { "(" NW "(?:[ \\t]+" NW "){1,3})[ \\t\\n]+(?:has[ \\t]+|had[ \\t]+|also[ \\t]+"
                        "|then[ \\t]+|first[ \\t]+|kindly[ \\t]+)?(?:reported|helped|found|noticed"
                        "|discovered|confirmed|spotted|told|asked|mentioned|pointed out|shared"
                        "|forwarded|flagged|alerted|raised|emailed|contacted|says|said|verified"
                        "|checked|ran|posted|wrote to)\\b", 0 },
    /* a run of capitalised words: a name when it holds a known person's token */
    [RX_NAME_RUN] = { "(?<![\\p{L}\\p{M}'.\\-])(" NW "(?:[ \\t]+" NW "){1,3})", 0 },
    /* where one writer's text ends and another's begins */
    [RX_BLOCK_SEPARATOR] = { "^(?:-{2,}[ \\t]*(?:original message|forwarded message|message d'origine"
                             "|ursprüngliche nachricht|mensaje original)|begin forwarded message"
                             "|-{3}[ \\t]*comment[ \\t]+#|_{10,}$|-{5,}$)", G_REGEX_CASELESS },
};

GRegex *id_rx(int which)
{
    static GRegex *compiled[RX_COUNT];
    static gsize ready;
    if (g_once_init_enter(&ready)) {
        for (int i = 0; i < RX_COUNT; i++) {
            GError *err = NULL;
            compiled[i] = g_regex_new(rx_defs[i].pattern, rx_defs[i].flags | G_REGEX_OPTIMIZE,
                                      0, &err);
            if (!compiled[i])
                g_error("identity: regex %d does not compile: %s", i, err->message);
        }
        g_once_init_leave(&ready, 1);
    }
    return compiled[which];
}

/* ---- small helpers ------------------------------------------------------ */

GPtrArray *id_strv_new(void)
{
    return g_ptr_array_new_null_terminated(4, g_free, TRUE);
}

const char *const *id_lent(const GPtrArray *a)
{
    static const char *const empty[] = { NULL };
    return a->pdata ? (const char *const *)a->pdata : empty;
}

gboolean id_strv_has(const GPtrArray *a, const char *s)
{
    for (guint i = 0; i < a->len; i++)
        if (strcmp(g_ptr_array_index(a, i), s) == 0)
            return TRUE;
    return FALSE;
}

guint id_count_letters(const char *s)
{
    guint n = 0;
    for (const char *p = s; *p; p = g_utf8_next_char(p))
        if (g_unichar_isalpha(g_utf8_get_char(p)))
            n++;
    return n;
}

gboolean id_has_continuous_script(const char *s)
{
    for (const char *p = s; *p; p = g_utf8_next_char(p))
        if (fold_continuous_script(g_utf8_get_char(p)))
            return TRUE;
    return FALSE;
}

static char *collapse_spaces(const char *s)
{
    GString *g = g_string_new(NULL);
    gboolean space = FALSE;
    for (const char *p = s; *p; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        if (g_unichar_isspace(c)) {
            space = g->len > 0;
            continue;
        }
        if (space)
            g_string_append_c(g, ' ');
        space = FALSE;
        g_string_append_unichar(g, c);
    }
    return g_string_free(g, FALSE);
}

/* ---- addresses ---------------------------------------------------------- */

/* "<Jane@Example.ORG>" / "mailto:jane@example.org" -> "jane@example.org";
 * NULL when it is not an address. */
char *id_clean_email(const char *raw)
{
    if (!raw)
        return NULL;
    g_autofree char *s = g_strstrip(g_strdup(raw));
    char *p = s;
    while (*p && strchr("<([\"' ", *p))
        p++;
    if (g_ascii_strncasecmp(p, "mailto:", 7) == 0)
        p += 7;
    while (*p && strchr("<([\"' ", *p))
        p++;
    gsize n = strlen(p);
    while (n > 0 && strchr(">)]\"'.,;: ", p[n - 1]))
        n--;
    p[n] = '\0';
    const char *at = strrchr(p, '@');
    if (!at || at == p || !at[1] || !strchr(at, '.') || strchr(p, ' '))
        return NULL;
    /* "-@a.d", "__@example.org": a local part without a letter or digit names
     * nobody (and folds to nothing a redaction pattern could be built from) */
    gboolean alnum = FALSE;
    for (const char *q = p; q < at && !alnum; q = g_utf8_next_char(q))
        alnum = g_unichar_isalnum(g_utf8_get_char(q));
    if (!alnum)
        return NULL;
    return g_utf8_strdown(p, -1);
}

/* A text message-id ("CAocNT...@mail.gmail.com") is not a person. */
gboolean id_looks_like_message_id(const char *raw_email)
{
    const char *at = strrchr(raw_email, '@');
    if (!at)
        return FALSE;
    gsize local = (gsize)(at - raw_email);
    gboolean upper = FALSE, lower = FALSE, digit = FALSE;
    for (const char *p = raw_email; p < at; p++) {
        upper |= g_ascii_isupper(*p);
        lower |= g_ascii_islower(*p);
        digit |= g_ascii_isdigit(*p);
        if (*p == '=' || *p == '$')
            return TRUE;
    }
    return local >= 20 && upper && lower && digit;
}

gboolean id_email_excluded(const char *email, const Exclude *ex)
{
    const char *at = strrchr(email, '@');
    if (!at)
        return TRUE;
    g_autofree char *local = g_strndup(email, (gsize)(at - email));
    const char *domain = at + 1;
    if (id_in_list(machine_locals, local) || g_str_has_prefix(local, "bugzilla") ||
        g_str_has_prefix(local, "googlegroups-manage"))
        return TRUE;
    char *plus = strchr(local, '+');
    g_autofree char *base = plus ? g_strdup_printf("%.*s@%s", (int)(plus - local), local, domain)
                                 : g_strdup(email);
    for (const char *const *a = ex->addresses; a && *a; a++) {
        g_autofree char *x = id_clean_email(*a);
        if (x && (strcmp(x, email) == 0 || strcmp(x, base) == 0))
            return TRUE;
    }
    for (const char *const *a = ex->public_staff; a && *a; a++)
        if (strcmp(*a, email) == 0 || strcmp(*a, base) == 0)
            return TRUE;
    for (const char *const *d = ex->domains; d && *d; d++) {
        g_autofree char *x = g_ascii_strdown(*d, -1);
        g_strstrip(x);
        if (!*x)
            continue;
        if (domain_is_or_under(domain, x))
            return !ex->staff_are_persons;
    }
    return FALSE;
}

/* ---- names -------------------------------------------------------------- */

/* A display name as people set it, made comparable: decoded, trimmed, without
 * quotes, " via LIST", titles. NULL when nothing name-like is left. */
char *id_clean_name(const char *raw)
{
    if (!raw)
        return NULL;
    g_autofree char *dec = charset_decode_header(raw);
    g_autofree char *s = collapse_spaces(dec);
    /* Google Groups: "Jane Doe via dev-security-policy" */
    char *via = strstr(s, " via ");
    if (via && via != s)
        *via = '\0';
    char *p = s;
    gsize n = strlen(p);
    /* keep the bracket of "Taro Yamada (山田太郎)" */
    const char *trail = strchr(p, '(') ? "\"'`<>[]{},;:!? \t" : "\"'`<>()[]{},;:!? \t";
    while (n > 0 && strchr(trail, p[n - 1]))
        n--;
    p[n] = '\0';
    while (*p && strchr("\"'`<>()[]{},;:!? \t", *p))
        p++;
    /* typographic quotes */
    while (g_str_has_prefix(p, "\u201c") || g_str_has_prefix(p, "\u2018"))
        p += 3;
    n = strlen(p);
    while (n >= 3 && (g_str_has_suffix(p, "\u201d") || g_str_has_suffix(p, "\u2019"))) {
        n -= 3;
        p[n] = '\0';
    }
    /* leading titles */
    for (;;) {
        char *sp = strchr(p, ' ');
        if (!sp)
            break;
        g_autofree char *w = g_ascii_strdown(p, (gssize)(sp - p));
        if (!id_in_list(titles, w))
            break;
        p = sp + 1;
    }
    if (strchr(p, '@') || id_count_letters(p) < 2 || strlen(p) > MAX_NAME_BYTES)
        return NULL;
    return g_strdup(p);
}

gboolean id_word_is_acronym(const char *w)
{
    guint upper = 0, n = 0;
    for (const char *p = w; *p; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        if (!g_unichar_isalpha(c))
            continue;
        n++;
        if (g_unichar_isupper(c))
            upper++;
    }
    return n >= 2 && n <= 5 && upper == n;
}

/* A capitalised word of a name: "Jane", "O'Brien", "Nakagawa-Bell", "J.", "山田". */
gboolean id_word_is_namey(const char *w, gboolean any_case)
{
    gunichar first = g_utf8_get_char(w);
    GUnicodeType t = g_unichar_type(first);
    if (!any_case && !(g_unichar_isupper(first) || g_unichar_istitle(first) ||
                       t == G_UNICODE_OTHER_LETTER))
        return FALSE;
    if (!g_unichar_isalpha(first))
        return FALSE;
    guint letters = 0;
    const char *dot = NULL;
    for (const char *p = w; *p; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        GUnicodeType ct = g_unichar_type(c);
        if (g_unichar_isalpha(c))
            letters++;
        else if (c == '.')
            dot = p;
        else if (!(c == '\'' || c == 0x2019 || c == '-' || ct == G_UNICODE_NON_SPACING_MARK ||
                   ct == G_UNICODE_SPACING_MARK))
            return FALSE;
    }
    if (dot && !(letters == 1 && dot[1] == '\0'))
        return FALSE; /* only initials carry a dot */
    if (!any_case && id_word_is_acronym(w))
        return FALSE;
    return letters >= 1;
}

/* Reject a candidate that names the CA itself: a word that starts the first
 * label of one of the CA's domains ("Example" for example-ca.test), or the whole
 * name squeezed ("Example CA" -> "exampleca"). */
gboolean id_names_excluded_domain(GPtrArray *words, const Exclude *ex)
{
    for (const char *const *d = ex->domains; d && *d; d++) {
        g_autofree char *label = g_ascii_strdown(*d, -1);
        char *dot = strchr(label, '.');
        if (dot)
            *dot = '\0';
        if (strlen(label) < 3)
            continue;
        GString *squeezed = g_string_new(NULL);
        gboolean hit = FALSE;
        for (guint i = 0; i < words->len && !hit; i++) {
            g_autofree char *f = redact_fold(g_ptr_array_index(words, i));
            for (char *p = f; *p; p++)
                if (g_ascii_isalnum(*p))
                    g_string_append_c(squeezed, *p);
            if (strlen(f) >= 3 && g_str_has_prefix(label, f))
                hit = TRUE;
        }
        if (squeezed->len >= 3 && g_str_has_prefix(label, squeezed->str))
            hit = TRUE;
        g_string_free(squeezed, TRUE);
        if (hit)
            return TRUE;
    }
    return FALSE;
}

char *id_name_candidate(const char *raw, CandMode mode, const Exclude *ex)
{
    g_autofree char *clean = id_clean_name(raw);
    if (!clean)
        return NULL;
    /* "Doe, Jane" stays as written (persons add "Jane Doe"); "Jane Doe, PhD" loses
     * the suffix */
    char *comma = strchr(clean, ',');
    if (comma && mode != CAND_CUT && !strchr(comma + 1, ',')) {
        *comma = '\0';
        g_autofree char *first = id_name_candidate(comma + 1, mode, ex);
        g_autofree char *last = id_name_candidate(clean, mode, ex);
        if (!last)
            return NULL;
        if (!first || id_word_is_acronym(comma + 1 + strspn(comma + 1, " ")))
            return g_steal_pointer(&last);
        return g_strdup_printf("%s, %s", last, first);
    }
    g_auto(GStrv) words = g_strsplit(clean, " ", -1);
    GPtrArray *keep = g_ptr_array_new();
    gboolean started = FALSE, ok = TRUE;
    gboolean last_word = FALSE;
    for (guint i = 0; words[i] && ok && !last_word; i++) {
        char *w = words[i];
        gsize wl = strlen(w);
        /* "Jane Doe. Then ..." / "Jane Doe, who ...": punctuation ends the name */
        while (wl > 0 && strchr(",.;:!?)\"", w[wl - 1]) && !(wl == 2 && w[1] == '.')) {
            w[--wl] = '\0';
            last_word = started || mode != CAND_STRICT;
        }
        if (g_str_has_suffix(w, "'s") || g_str_has_suffix(w, "\u2019s"))
            w[wl - (w[wl - 2] == '\'' ? 2 : 4)] = '\0';
        if (!*w)
            continue;
        gboolean stop = id_folded_in_list(id_stop_words, w);
        if (!started && (stop || id_folded_in_list(titles, w))) {
            if (mode == CAND_STRICT && stop)
                ok = FALSE;
            continue;
        }
        gboolean particle = started && id_folded_in_list(id_particles, w) && words[i + 1];
        if (particle || (!stop && id_word_is_namey(w, mode == CAND_QUOTED))) {
            g_ptr_array_add(keep, w);
            started = TRUE;
            continue;
        }
        if (mode == CAND_STRICT)
            ok = FALSE;
        break;
    }
    /* a trailing particle is not a name word */
    while (keep->len > 0 && id_folded_in_list(id_particles, g_ptr_array_index(keep, keep->len - 1)))
        g_ptr_array_set_size(keep, keep->len - 1);
    char *result = NULL;
    if (ok && keep->len > 0 && keep->len <= MAX_NAME_WORDS && !id_names_excluded_domain(keep, ex)) {
        g_ptr_array_add(keep, NULL);
        result = g_strjoinv(" ", (char **)keep->pdata);
        if (id_count_letters(result) < 2)
            g_clear_pointer(&result, g_free);
    }
    g_ptr_array_unref(keep);
    return result;
}
