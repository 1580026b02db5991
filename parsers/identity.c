/* identity.c - every person a case's messages identify (see redact.h).
 *
 * Headers give the reliable identities (display name + address); the text
 * gives the rest through a few heuristics, each tuned to prefer collecting one
 * word too many (over-redaction) to missing a name (a broken promise):
 * attributions, forwarded-header blocks, "Name <addr>", signatures,
 * self-introductions, "my colleague Name", and phone numbers.
 *
 * Persons are merged by address only. A name without an address joins the one
 * person it names; two people who share a name but not an address stay two
 * persons, so one's consent never un-redacts the other's address. */
#include <string.h>

#include "redact.h"
#include "charset.h"
#include "fold.h"
#include "textutil.h"

#define MAX_NAME_WORDS 5
#define MAX_NAME_BYTES 120
#define SIGNATURE_LINES 6   /* lines after a valediction searched for phones */
#define PHONE_MIN_DIGITS 7
#define PHONE_MAX_DIGITS 15

struct IdentityPerson {
    GPtrArray *names, *tokens, *emails, *phones; /* char*, NULL-terminated */
    GPtrArray *fnames, *ftokens;                 /* folded forms, for look-ups */
};

struct IdentitySet {
    GPtrArray *persons; /* IdentityPerson* */
    gboolean staff_are_persons;
    GPtrArray *public_staff; /* char*, lower-case, NULL-terminated */
};

typedef struct {
    const char *const *addresses;
    const char *const *domains;
    /* addresses at `domains` are the CA's staff: persons, except these */
    gboolean staff_are_persons;
    const char *const *public_staff;
} Exclude;

/* ---- word lists (folded forms) ------------------------------------------ */

/* Never a name token: organisation words and glue found in display names. */
static const char *const not_token_words[] = {
    "the", "and", "for", "via", "team", "support", "security", "compliance", "abuse", "desk",
    "services", "service", "department", "dept", "office", "inc", "ltd", "llc", "gmbh", "corp",
    "group", "groups", "labs", "reports", "report", "problem", "problems", "admin", "info",
    "noreply", "mail", "list", "lists", "notifications", "bugzilla", "daemon", "jr", "sr",
    "phd", "von", "van", "der", "den", "del", "della", "dos", "das", "bin", "ibn", NULL
};

/* Never part of a name found in text: greetings, glue, dates, roles. */
static const char *const stop_words[] = {
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

/* Short forms of first names (folded): a person with the full name is
 * redacted by these too. Short forms that are common words are left out. */
static const char *const short_forms[][5] = {
    { "robert", "bob", "bobby", "rob", "robbie" },
    { "william", "billy", "willy", "liam", NULL },
    { "katherine", "kate", "kathy", "katie", "kath" },
    { "catherine", "cathy", "cate", "kate", "cath" },
    { "kathryn", "kate", "kathy", "katie", NULL },
    { "alexander", "alex", "sasha", "xander", NULL },
    { "alexandra", "alex", "sasha", "lexi", NULL },
    { "elizabeth", "liz", "beth", "lizzie", "eliza" },
    { "margaret", "maggie", "meg", "peggy", "greta" },
    { "james", "jim", "jimmy", "jamie", NULL },
    { "michael", "mike", "mick", "mikey", NULL },
    { "thomas", "tom", "tommy", NULL, NULL },
    { "edward", "eddie", "ted", "ned", NULL },
    { "jonathan", "jon", "jonny", NULL, NULL },
    { "christopher", "chris", "kit", NULL, NULL },
    { "christina", "chris", "tina", "christie", NULL },
    { "nicholas", "nick", "nicky", NULL, NULL },
    { "benjamin", "ben", "benji", NULL, NULL },
    { "daniel", "dan", "danny", NULL, NULL },
    { "samuel", "sam", "sammy", NULL, NULL },
    { "joseph", "joe", "joey", NULL, NULL },
    { "anthony", "tony", NULL, NULL, NULL },
    { "athanasios", "thanos", "thanasis", NULL, NULL },
    { "alessandro", "sandro", "ale", NULL, NULL },
    { "francesca", "fran", "frankie", NULL, NULL },
    { "rebecca", "becky", "becca", NULL, NULL },
    { "victoria", "vicky", "tori", NULL, NULL },
    { "jennifer", "jen", "jenny", NULL, NULL },
    { "patricia", "patty", "trish", NULL, NULL },
    { "susan", "sue", "susie", NULL, NULL },
    { "dmitri", "dima", NULL, NULL, NULL },
    { "dmitry", "dima", NULL, NULL, NULL },
    { "aleksandr", "sasha", "sanya", NULL, NULL },
    { "ekaterina", "katya", NULL, NULL, NULL },
};

/* The words of the replacement phrases of redact.c ("a community member",
 * "[name redacted]", "[reporter email redacted]", "[phone redacted]"). A person
 * identified by them could never be redacted: every replacement would leak
 * again. No one is called that; a display name like "Community Member" is a
 * placeholder. */
static const char *const phrase_words[] = {
    "a", "community", "member", "name", "reporter", "email", "phone", "redacted", NULL
};

static const char *const particles[] = {
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

static gboolean in_list(const char *const *list, const char *s)
{
    for (; *list; list++)
        if (strcmp(*list, s) == 0)
            return TRUE;
    return FALSE;
}

static gboolean folded_in_list(const char *const *list, const char *word)
{
    g_autofree char *f = redact_fold(word);
    return in_list(list, f);
}

/* ---- static regexes (compiled once) ------------------------------------ */

#define NW "[\\p{Lu}\\p{Lt}\\p{Lo}][\\p{L}\\p{M}'\\x{2019}.\\-]*"
#define PART "(?:van|von|de|der|den|del|della|di|da|du|la|le|dos|das|bin|ibn|al|ter|ten|y)"
#define NAME_RX "(" NW "(?:[ \\t]+(?:" PART "[ \\t]+)*" NW "){0,4})"
#define EMAIL_RX "(?<![\\p{L}\\p{N}_._%+'\\-=/$])([\\p{L}\\p{N}_.%+'\\-]+@[\\p{L}\\p{N}\\-]+(?:\\.[\\p{L}\\p{N}\\-]+)+)"
#define PHONE_RX "(?<![0-9A-Za-z+])(\\+?\\(?[0-9][0-9 ().\\-/]{5,}[0-9])(?![0-9A-Za-z])"

enum {
    RX_EMAIL,
    RX_NAME_BEFORE_ADDR,
    RX_ADDR_THEN_NAME,
    RX_INTRO,
    RX_COLLEAGUE,
    RX_ATTRIBUTION,
    RX_HEADER_LINE,
    RX_VALEDICTION,
    RX_PHONE,
    RX_PHONE_LABEL,
    RX_LABELLED_PHONE,
    RX_PROSE_VERB,
    RX_NAME_RUN,
    RX_BLOCK_SEPARATOR,
    RX_COUNT
};

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

static GRegex *rx(int which)
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

static GPtrArray *strv_new(void)
{
    return g_ptr_array_new_null_terminated(4, g_free, TRUE);
}

static const char *const *lent(const GPtrArray *a)
{
    static const char *const empty[] = { NULL };
    return a->pdata ? (const char *const *)a->pdata : empty;
}

static gboolean strv_has(const GPtrArray *a, const char *s)
{
    for (guint i = 0; i < a->len; i++)
        if (strcmp(g_ptr_array_index(a, i), s) == 0)
            return TRUE;
    return FALSE;
}

static guint count_letters(const char *s)
{
    guint n = 0;
    for (const char *p = s; *p; p = g_utf8_next_char(p))
        if (g_unichar_isalpha(g_utf8_get_char(p)))
            n++;
    return n;
}

static gboolean has_continuous_script(const char *s)
{
    for (const char *p = s; *p; p = g_utf8_next_char(p)) {
        switch (g_unichar_get_script(g_utf8_get_char(p))) {
        case G_UNICODE_SCRIPT_HAN:
        case G_UNICODE_SCRIPT_HIRAGANA:
        case G_UNICODE_SCRIPT_KATAKANA:
        case G_UNICODE_SCRIPT_THAI:
        case G_UNICODE_SCRIPT_LAO:
        case G_UNICODE_SCRIPT_KHMER:
        case G_UNICODE_SCRIPT_MYANMAR:
            return TRUE;
        default:
            break;
        }
    }
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
static char *clean_email(const char *raw)
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
static gboolean looks_like_message_id(const char *raw_email)
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

static gboolean email_excluded(const char *email, const Exclude *ex)
{
    const char *at = strrchr(email, '@');
    if (!at)
        return TRUE;
    g_autofree char *local = g_strndup(email, (gsize)(at - email));
    const char *domain = at + 1;
    if (in_list(machine_locals, local) || g_str_has_prefix(local, "bugzilla") ||
        g_str_has_prefix(local, "googlegroups-manage"))
        return TRUE;
    char *plus = strchr(local, '+');
    g_autofree char *base = plus ? g_strdup_printf("%.*s@%s", (int)(plus - local), local, domain)
                                 : g_strdup(email);
    for (const char *const *a = ex->addresses; a && *a; a++) {
        g_autofree char *x = clean_email(*a);
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
static char *clean_name(const char *raw)
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
        if (!in_list(titles, w))
            break;
        p = sp + 1;
    }
    if (strchr(p, '@') || count_letters(p) < 2 || strlen(p) > MAX_NAME_BYTES)
        return NULL;
    return g_strdup(p);
}

static gboolean word_is_acronym(const char *w)
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
static gboolean word_is_namey(const char *w, gboolean any_case)
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
    if (!any_case && word_is_acronym(w))
        return FALSE;
    return letters >= 1;
}

typedef enum {
    CAND_CUT,    /* text around a trigger: keep the name words up to the first other word */
    CAND_STRICT, /* a line that should be only a name: any other word rejects it */
    CAND_QUOTED, /* a quoted display name: any case allowed */
} CandMode;

/* Reject a candidate that names the CA itself: a word that starts the first
 * label of one of the CA's domains ("Example" for example-ca.test), or the whole
 * name squeezed ("Example CA" -> "exampleca"). */
static gboolean names_excluded_domain(GPtrArray *words, const Exclude *ex)
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

static char *name_candidate(const char *raw, CandMode mode, const Exclude *ex)
{
    g_autofree char *clean = clean_name(raw);
    if (!clean)
        return NULL;
    /* "Doe, Jane" stays as written (persons add "Jane Doe"); "Jane Doe, PhD" loses
     * the suffix */
    char *comma = strchr(clean, ',');
    if (comma && mode != CAND_CUT && !strchr(comma + 1, ',')) {
        *comma = '\0';
        g_autofree char *first = name_candidate(comma + 1, mode, ex);
        g_autofree char *last = name_candidate(clean, mode, ex);
        if (!last)
            return NULL;
        if (!first || word_is_acronym(comma + 1 + strspn(comma + 1, " ")))
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
        gboolean stop = folded_in_list(stop_words, w);
        if (!started && (stop || folded_in_list(titles, w))) {
            if (mode == CAND_STRICT && stop)
                ok = FALSE;
            continue;
        }
        gboolean particle = started && folded_in_list(particles, w) && words[i + 1];
        if (particle || (!stop && word_is_namey(w, mode == CAND_QUOTED))) {
            g_ptr_array_add(keep, w);
            started = TRUE;
            continue;
        }
        if (mode == CAND_STRICT)
            ok = FALSE;
        break;
    }
    /* a trailing particle is not a name word */
    while (keep->len > 0 && folded_in_list(particles, g_ptr_array_index(keep, keep->len - 1)))
        g_ptr_array_set_size(keep, keep->len - 1);
    char *result = NULL;
    if (ok && keep->len > 0 && keep->len <= MAX_NAME_WORDS && !names_excluded_domain(keep, ex)) {
        g_ptr_array_add(keep, NULL);
        result = g_strjoinv(" ", (char **)keep->pdata);
        if (count_letters(result) < 2)
            g_clear_pointer(&result, g_free);
    }
    g_ptr_array_unref(keep);
    return result;
}

/* ---- persons ------------------------------------------------------------ */

static IdentityPerson *person_new(void)
{
    IdentityPerson *p = g_new0(IdentityPerson, 1);
    p->names = strv_new();
    p->tokens = strv_new();
    p->emails = strv_new();
    p->phones = strv_new();
    p->fnames = g_ptr_array_new_with_free_func(g_free);
    p->ftokens = g_ptr_array_new_with_free_func(g_free);
    return p;
}

static void person_free(gpointer data)
{
    IdentityPerson *p = data;
    g_ptr_array_unref(p->names);
    g_ptr_array_unref(p->tokens);
    g_ptr_array_unref(p->emails);
    g_ptr_array_unref(p->phones);
    g_ptr_array_unref(p->fnames);
    g_ptr_array_unref(p->ftokens);
    g_free(p);
}

static void person_add_token(IdentityPerson *p, const char *token)
{
    if (count_letters(token) < 3 || has_continuous_script(token) ||
        folded_in_list(not_token_words, token) || folded_in_list(particles, token) ||
        folded_in_list(phrase_words, token))
        return;
    char *f = redact_fold(token);
    if (!*f || strv_has(p->ftokens, f)) {
        g_free(f);
        return;
    }
    g_ptr_array_add(p->ftokens, f);
    g_ptr_array_add(p->tokens, g_strdup(token));
}

/* Is every word of `folded` one of the replacement phrases' words? */
static gboolean only_phrase_words(const char *folded)
{
    g_auto(GStrv) words = g_strsplit_set(folded, " []()\"'.,;:", -1);
    guint n = 0;
    for (guint i = 0; words[i]; i++) {
        if (!*words[i])
            continue;
        if (!in_list(phrase_words, words[i]))
            return FALSE;
        n++;
    }
    return n > 0;
}

static void person_add_name_form(IdentityPerson *p, const char *name)
{
    char *f = redact_fold(name);
    if (!*f || strv_has(p->fnames, f) || only_phrase_words(f)) {
        g_free(f);
        return;
    }
    g_ptr_array_add(p->fnames, f);
    g_ptr_array_add(p->names, g_strdup(name));
}

/* Tokens of one word: "Nakagawa-Bell" -> itself, "Nakagawa", "Bell";
 * "O'Brien" -> itself, "Brien", "OBrien". */
static void person_add_word_tokens(IdentityPerson *p, const char *word)
{
    g_autofree char *w = g_strdup(word);
    gsize n = strlen(w);
    while (n > 0 && strchr(".,;:", w[n - 1]))
        w[--n] = '\0';
    if (!*w)
        return;
    person_add_token(p, w);
    if (strchr(w, '-')) {
        g_auto(GStrv) parts = g_strsplit(w, "-", -1);
        for (guint i = 0; parts[i]; i++)
            person_add_word_tokens(p, parts[i]);
        return;
    }
    const char *apos = strchr(w, '\'');
    const char *curly = strstr(w, "\u2019");
    if (apos || curly) {
        const char *a = apos ? apos : curly;
        gsize alen = apos ? 1 : 3;
        person_add_token(p, a + alen);
        g_autofree char *joined = g_strdup_printf("%.*s%s", (int)(a - w), w, a + alen);
        person_add_token(p, joined);
    }
}

/* "Bob" for a Robert: short forms of a first name are the person's tokens. */
static void person_add_short_forms(IdentityPerson *p)
{
    for (guint t = 0; t < p->ftokens->len; t++) {
        const char *f = g_ptr_array_index(p->ftokens, t);
        for (gsize r = 0; r < G_N_ELEMENTS(short_forms); r++) {
            if (strcmp(short_forms[r][0], f) != 0)
                continue;
            for (gsize k = 1; k < G_N_ELEMENTS(short_forms[r]) && short_forms[r][k]; k++) {
                g_autofree char *cap = g_strdup(short_forms[r][k]);
                cap[0] = g_ascii_toupper(cap[0]);
                person_add_token(p, cap); /* appends to ftokens: the loop sees it */
            }
        }
    }
}

static void person_add_name(IdentityPerson *p, const char *name)
{
    person_add_name_form(p, name);
    /* "Doe, Jane" -> also "Jane Doe" */
    const char *comma = strchr(name, ',');
    if (comma && !strchr(comma + 1, ',')) {
        g_autofree char *last = g_strstrip(g_strndup(name, (gsize)(comma - name)));
        g_autofree char *first = g_strstrip(g_strdup(comma + 1));
        if (*first && *last && !word_is_acronym(first)) {
            g_autofree char *swapped = g_strdup_printf("%s %s", first, last);
            person_add_name_form(p, swapped);
        }
    }
    /* "Taro Yamada (山田太郎)": the part in brackets is a name too */
    const char *open = strchr(name, '(');
    const char *close = open ? strchr(open, ')') : NULL;
    if (open && close && close > open + 1) {
        g_autofree char *inner = g_strstrip(g_strndup(open + 1, (gsize)(close - open - 1)));
        g_autofree char *outer = g_strstrip(g_strndup(name, (gsize)(open - name)));
        if (count_letters(inner) >= 2)
            person_add_name(p, inner);
        if (count_letters(outer) >= 2)
            person_add_name(p, outer);
    }
    /* CJK written with a space: also without ("山田 太郎" = "山田太郎") */
    if (has_continuous_script(name) && strchr(name, ' ')) {
        GString *g = g_string_new(NULL);
        for (const char *c = name; *c; c++)
            if (*c != ' ')
                g_string_append_c(g, *c);
        person_add_name_form(p, g->str);
        g_string_free(g, TRUE);
    }
    g_auto(GStrv) words = g_strsplit_set(name, " ,()\t", -1);
    for (guint i = 0; words[i]; i++)
        if (*words[i])
            person_add_word_tokens(p, words[i]);
    person_add_short_forms(p);
}

static void person_absorb(IdentityPerson *into, const IdentityPerson *from)
{
    for (guint i = 0; i < from->names->len; i++)
        person_add_name(into, g_ptr_array_index(from->names, i));
    for (guint i = 0; i < from->tokens->len; i++)
        person_add_token(into, g_ptr_array_index(from->tokens, i));
    for (guint i = 0; i < from->emails->len; i++)
        if (!strv_has(into->emails, g_ptr_array_index(from->emails, i)))
            g_ptr_array_add(into->emails, g_strdup(g_ptr_array_index(from->emails, i)));
    for (guint i = 0; i < from->phones->len; i++)
        if (!strv_has(into->phones, g_ptr_array_index(from->phones, i)))
            g_ptr_array_add(into->phones, g_strdup(g_ptr_array_index(from->phones, i)));
}

/* Does `name` (a whole name) name person p: the same name, or every word of it
 * one of p's tokens or names ("Rafferty" for Rafferty Nakagawa-Bell)? */
static gboolean person_named(const IdentityPerson *p, const char *name)
{
    g_autofree char *f = redact_fold(name);
    if (strv_has(p->fnames, f))
        return TRUE;
    g_auto(GStrv) words = g_strsplit(f, " ", -1);
    guint n = 0;
    for (guint i = 0; words[i]; i++) {
        if (!*words[i] || in_list(particles, words[i]))
            continue;
        if (!strv_has(p->ftokens, words[i]) && !strv_has(p->fnames, words[i]))
            return FALSE;
        n++;
    }
    return n > 0;
}

static IdentityPerson *find_email(const IdentitySet *set, const char *email)
{
    for (guint i = 0; i < set->persons->len; i++) {
        IdentityPerson *p = g_ptr_array_index(set->persons, i);
        if (strv_has(p->emails, email))
            return p;
    }
    return NULL;
}

/* The one person `name` names, or NULL when none or several do. With
 * `without_email`, only persons who have no address yet count. */
static IdentityPerson *find_named(const IdentitySet *set, const char *name,
                                  gboolean without_email, const IdentityPerson *skip)
{
    /* best first: the same whole name, then every word a token of theirs;
     * within each, a person with an address before one without */
    g_autofree char *f = redact_fold(name);
    for (int exact = 1; exact >= 0; exact--) {
        IdentityPerson *found = NULL, *found_addr = NULL;
        guint n = 0, n_addr = 0;
        for (guint i = 0; i < set->persons->len; i++) {
            IdentityPerson *p = g_ptr_array_index(set->persons, i);
            if (p == skip || (without_email && p->emails->len > 0))
                continue;
            if (exact ? strv_has(p->fnames, f) : person_named(p, name)) {
                found = p;
                n++;
                if (p->emails->len > 0) {
                    found_addr = p;
                    n_addr++;
                }
            }
        }
        if (n == 1)
            return found;
        if (n_addr == 1)
            return found_addr;
        if (n > 1)
            return NULL;
    }
    return NULL;
}

/* Persons known only by name who turn out to be one person with an address. */
static void consolidate(IdentitySet *set)
{
    for (guint i = 0; i < set->persons->len;) {
        IdentityPerson *x = g_ptr_array_index(set->persons, i);
        IdentityPerson *into = NULL;
        if (x->emails->len == 0 && x->names->len > 0) {
            for (guint k = 0; k < x->names->len; k++) {
                IdentityPerson *cand =
                    find_named(set, g_ptr_array_index(x->names, k), FALSE, x);
                if (!cand || (into && cand != into)) {
                    into = NULL;
                    break;
                }
                into = cand;
            }
        }
        if (into) {
            person_absorb(into, x);
            g_ptr_array_remove_index(set->persons, i);
            continue;
        }
        i++;
    }
}

/* Add a (cleaned) name and/or address; returns the person. */
static IdentityPerson *add_clean(IdentitySet *set, const char *name, const char *email)
{
    IdentityPerson *p = NULL;
    g_autofree char *fname = name ? redact_fold(name) : NULL;
    if (fname && only_phrase_words(fname))
        name = NULL; /* "Community Member" names nobody */
    if (!name && !email)
        return NULL;
    if (email) {
        p = find_email(set, email);
        if (!p && name) {
            /* adopt a person known by this exact name but no address yet */
            g_autofree char *f = redact_fold(name);
            for (guint i = 0; i < set->persons->len && !p; i++) {
                IdentityPerson *q = g_ptr_array_index(set->persons, i);
                if (q->emails->len == 0 && strv_has(q->fnames, f))
                    p = q;
            }
        }
    } else if (name) {
        p = find_named(set, name, FALSE, NULL);
    }
    if (!p) {
        p = person_new();
        g_ptr_array_add(set->persons, p);
    }
    if (email && !strv_has(p->emails, email))
        g_ptr_array_add(p->emails, g_strdup(email));
    if (name)
        person_add_name(p, name);
    return p;
}

/* ---- public: the set ---------------------------------------------------- */

IdentitySet *identity_set_new(void)
{
    IdentitySet *set = g_new0(IdentitySet, 1);
    set->persons = g_ptr_array_new_with_free_func(person_free);
    return set;
}

void identity_set_staff_are_persons(IdentitySet *set, const char *const *public_staff)
{
    g_return_if_fail(set != NULL);
    set->staff_are_persons = TRUE;
    g_clear_pointer(&set->public_staff, g_ptr_array_unref);
    set->public_staff = strv_new();
    for (const char *const *a = public_staff; a && *a; a++) {
        char *e = clean_email(*a);
        if (e)
            g_ptr_array_add(set->public_staff, e);
    }
}

void identity_set_free(IdentitySet **set)
{
    if (!set || !*set)
        return;
    g_clear_pointer(&(*set)->public_staff, g_ptr_array_unref);
    g_ptr_array_unref((*set)->persons);
    g_free(*set);
    *set = NULL;
}

void identity_set_add(IdentitySet *set, const char *name, const char *email)
{
    g_return_if_fail(set != NULL);
    g_autofree char *e = clean_email(email);
    g_autofree char *n = clean_name(name);
    if (!e && name && strchr(name, '@'))
        e = clean_email(name); /* a display name that is an address */
    if (!e && !n)
        return;
    add_clean(set, n, e);
    consolidate(set);
}

void identity_set_add_phone(IdentitySet *set, const char *name, const char *email,
                            const char *phone)
{
    g_return_if_fail(set != NULL);
    if (!phone)
        return;
    guint digits = 0;
    for (const char *c = phone; *c; c++)
        digits += g_ascii_isdigit(*c) ? 1 : 0;
    if (digits < PHONE_MIN_DIGITS)
        return;
    g_autofree char *e = clean_email(email);
    g_autofree char *n = clean_name(name);
    IdentityPerson *p = NULL;
    if (e)
        p = find_email(set, e);
    if (!p && n)
        p = find_named(set, n, FALSE, NULL);
    if (!p)
        p = add_clean(set, n, e);
    if (!p) {
        p = person_new();
        g_ptr_array_add(set->persons, p);
    }
    g_autofree char *ph = g_strstrip(g_strdup(phone));
    if (!strv_has(p->phones, ph))
        g_ptr_array_add(p->phones, g_strdup(ph));
}

guint identity_set_count(const IdentitySet *set)
{
    return set ? set->persons->len : 0;
}

const IdentityPerson *identity_set_get(const IdentitySet *set, guint index)
{
    g_return_val_if_fail(set != NULL && index < set->persons->len, NULL);
    return g_ptr_array_index(set->persons, index);
}

const IdentityPerson *identity_set_find_email(const IdentitySet *set, const char *email)
{
    g_autofree char *e = clean_email(email);
    return (set && e) ? find_email(set, e) : NULL;
}

const char *const *identity_person_names(const IdentityPerson *person)
{
    return lent(person->names);
}

const char *const *identity_person_tokens(const IdentityPerson *person)
{
    return lent(person->tokens);
}

const char *const *identity_person_emails(const IdentityPerson *person)
{
    return lent(person->emails);
}

const char *const *identity_person_phones(const IdentityPerson *person)
{
    return lent(person->phones);
}

gboolean identity_person_consented(const IdentityPerson *person,
                                   const char *const *consented_emails)
{
    for (const char *const *c = consented_emails; c && *c; c++) {
        g_autofree char *e = clean_email(*c);
        if (e && strv_has(person->emails, e))
            return TRUE;
    }
    return FALSE;
}

/* ---- text --------------------------------------------------------------- */

typedef struct {
    IdentitySet *set;
    Exclude ex;
    /* the author of the message: phones without a named owner go there */
    char *author_email;
    char *author_name;
} Ctx;

/* An address seen in text, with an optional name next to it. */
static void ctx_add(Ctx *c, const char *name, const char *raw_email, CandMode mode)
{
    g_autofree char *e = NULL;
    if (raw_email) {
        if (looks_like_message_id(raw_email))
            return;
        e = clean_email(raw_email);
        if (!e || email_excluded(e, &c->ex))
            return;
    }
    g_autofree char *n = name ? name_candidate(name, mode, &c->ex) : NULL;
    if (!e && !n)
        return;
    add_clean(c->set, n, e);
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
        if (strv_has(p->phones, phone))
            return;
    }
    identity_set_add_phone(c->set, c->author_name, c->author_email, phone);
}

static void scan_addresses(Ctx *c, const char *line)
{
    GMatchInfo *mi = NULL;
    /* "Jane Doe <jane@...>", "\"Doe, Jane\" <jane@...>", "Jane Doe [mailto:jane@...]" */
    g_regex_match(rx(RX_NAME_BEFORE_ADDR), line, 0, &mi);
    while (g_match_info_matches(mi)) {
        g_autofree char *quoted = g_match_info_fetch(mi, 1);
        g_autofree char *bare = g_match_info_fetch(mi, 2);
        g_autofree char *email = g_match_info_fetch(mi, 3);
        if (quoted && *quoted)
            ctx_add(c, quoted, email, CAND_QUOTED);
        else
            ctx_add(c, bare, email, CAND_CUT);
        g_match_info_next(mi, NULL);
    }
    g_match_info_free(mi);
    /* "jane@example.org (Jane Doe)" */
    g_regex_match(rx(RX_ADDR_THEN_NAME), line, 0, &mi);
    while (g_match_info_matches(mi)) {
        g_autofree char *email = g_match_info_fetch(mi, 1);
        g_autofree char *name = g_match_info_fetch(mi, 2);
        ctx_add(c, name, email, CAND_CUT);
        g_match_info_next(mi, NULL);
    }
    g_match_info_free(mi);
    /* every other address */
    g_regex_match(rx(RX_EMAIL), line, 0, &mi);
    while (g_match_info_matches(mi)) {
        g_autofree char *email = g_match_info_fetch(mi, 1);
        ctx_add(c, NULL, email, CAND_CUT);
        g_match_info_next(mi, NULL);
    }
    g_match_info_free(mi);
}

/* One address-list value ("Jane <a@b>, \"Doe, John\" <c@d>; e@f"). With
 * `name_alone`, an entry without an address is still a name (From: lines of
 * forwarded blocks); names that come with an excluded address are dropped,
 * except a Google Groups "Jane via LIST". */
static void scan_address_list(Ctx *c, const char *value, gboolean name_alone, CandMode mode)
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
        if (g_regex_match(rx(RX_EMAIL), entry, 0, &mi)) {
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
        g_autofree char *e = email ? clean_email(email) : NULL;
        if (e && email_excluded(e, &c->ex)) {
            /* the list's rewritten From: keeps the author's name before " via " */
            if (name && strstr(name, " via "))
                ctx_add(c, name, NULL, CAND_QUOTED);
        } else if (e || (name && *name)) {
            if (e && looks_like_message_id(email)) {
                g_free(email);
                continue;
            }
            g_autofree char *n = (name && *name) ? name_candidate(name, mode, &c->ex) : NULL;
            if (e || n)
                add_clean(c->set, n, e);
        }
        g_free(email);
    }
    g_ptr_array_unref(entries);
}

/* "On Mon, 12 May 2025 at 14:02, Jane Doe <jane@...> wrote:" and friends. */
static gboolean scan_attribution(Ctx *c, const char *line)
{
    GMatchInfo *mi = NULL;
    gboolean found = FALSE;
    if (g_regex_match(rx(RX_ATTRIBUTION), line, 0, &mi)) {
        g_autofree char *before = g_match_info_fetch(mi, 1);
        g_autofree char *after = g_match_info_fetch(mi, 3);
        scan_addresses(c, line);
        /* German puts the name after the verb: "Am ... schrieb Jane Doe <...>:" */
        const char *segs[2] = { after, before };
        for (int k = 0; k < 2 && !found; k++) {
            g_autofree char *seg = g_regex_replace(rx(RX_EMAIL), segs[k], -1, 0, "", 0, NULL);
            if (!seg)
                continue;
            /* drop brackets left by the address, "(<>)", "[mailto:]" */
            g_strdelimit(seg, "<>()[]\"", ' ');
            g_autofree char *tmp = g_strdup(seg);
            char *m = strstr(tmp, "mailto:");
            if (m)
                memset(m, ' ', 7);
            g_auto(GStrv) words = g_strsplit_set(g_strstrip(tmp), " \t", -1);
            guint n = g_strv_length(words);
            GPtrArray *name = g_ptr_array_new();
            if (k == 0) { /* leading name words */
                for (guint i = 0; i < n && name->len < MAX_NAME_WORDS; i++) {
                    if (!*words[i])
                        continue;
                    if (folded_in_list(stop_words, words[i]) || !word_is_namey(words[i], FALSE))
                        break;
                    g_ptr_array_add(name, words[i]);
                }
            } else { /* trailing name words, stopping at the date */
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
                    if (folded_in_list(stop_words, w) ||
                        (!word_is_namey(w, FALSE) && !folded_in_list(particles, w)))
                        break;
                    g_ptr_array_insert(name, 0, w);
                }
            }
            if (name->len > 0) {
                g_ptr_array_add(name, NULL);
                g_autofree char *joined = g_strjoinv(" ", (char **)name->pdata);
                ctx_add(c, joined, NULL, CAND_CUT);
                found = TRUE;
            }
            g_ptr_array_unref(name);
        }
        found = TRUE;
    }
    g_match_info_free(mi);
    return found;
}

/* "From: Jane Doe <jane@...>" inside a forwarded or Outlook-quoted block. */
static gboolean scan_header_line(Ctx *c, const char *line)
{
    GMatchInfo *mi = NULL;
    gboolean found = FALSE;
    if (g_regex_match(rx(RX_HEADER_LINE), line, 0, &mi)) {
        g_autofree char *label = g_match_info_fetch(mi, 1);
        g_autofree char *value = g_match_info_fetch(mi, 2);
        g_autofree char *l = g_utf8_strdown(label, -1);
        gboolean from_like = strcmp(l, "from") == 0 || strcmp(l, "de") == 0 ||
                             strcmp(l, "von") == 0 || strcmp(l, "van") == 0 ||
                             strcmp(l, "sender") == 0 || strcmp(l, "envoyé par") == 0 ||
                             strcmp(l, "gesendet von") == 0;
        /* To:/Cc:/A: lines need an address: "A: yes" is an answer, not a header */
        if (from_like || strchr(value, '@')) {
            scan_address_list(c, value, from_like, CAND_STRICT);
            found = TRUE;
        }
    }
    g_match_info_free(mi);
    return found;
}

static void scan_inline(Ctx *c, const char *text, int which)
{
    GMatchInfo *mi = NULL;
    g_regex_match(rx(which), text, 0, &mi);
    while (g_match_info_matches(mi)) {
        g_autofree char *name = g_match_info_fetch(mi, 1);
        ctx_add(c, name, NULL, CAND_CUT);
        g_match_info_next(mi, NULL);
    }
    g_match_info_free(mi);
}

static gboolean line_is_phone(const char *line, char **phone_r)
{
    GMatchInfo *mi = NULL;
    gboolean ok = FALSE;
    if (g_regex_match(rx(RX_PHONE), line, 0, &mi)) {
        g_autofree char *num = g_match_info_fetch(mi, 1);
        int s = 0, e = 0;
        g_match_info_fetch_pos(mi, 1, &s, &e);
        g_autofree char *trimmed = g_strstrip(g_strdup(line));
        gsize rest = strlen(trimmed) - (gsize)(e - s);
        /* a labelled number, or a line that is mostly the number */
        if (g_regex_match(rx(RX_PHONE_LABEL), line, 0, NULL) || rest * 3 <= strlen(trimmed)) {
            *phone_r = g_strdup(num);
            ok = TRUE;
        }
    }
    g_match_info_free(mi);
    return ok;
}

/* A valediction ("Regards,") or "-- " opens a signature: the next line is a
 * name, the lines after it may hold phone numbers. */
static void scan_signatures(Ctx *c, char **lines, guint n)
{
    for (guint i = 0; i < n; i++) {
        const char *line = lines[i];
        g_autofree char *rest = NULL;
        gboolean opens = FALSE;
        GMatchInfo *mi = NULL;
        if (strcmp(line, "--") == 0 || strcmp(line, "-- ") == 0 || strcmp(line, "—") == 0) {
            opens = TRUE;
        } else if (g_regex_match(rx(RX_VALEDICTION), line, 0, &mi)) {
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
            owner = name_candidate(rest, CAND_STRICT, &c->ex);
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
                owner = name_candidate(first, CAND_STRICT, &c->ex);
                if (owner)
                    j++;
            }
        }
        if (owner)
            add_clean(c->set, owner, NULL);
        for (guint k = j; k < n && k < j + SIGNATURE_LINES; k++) {
            char *phone = NULL;
            if (line_is_phone(lines[k], &phone)) {
                ctx_add_phone(c, owner, phone);
                g_free(phone);
            }
        }
    }
}

static void scan_labelled_phones(Ctx *c, const char *text)
{
    GMatchInfo *mi = NULL;
    g_regex_match(rx(RX_LABELLED_PHONE), text, 0, &mi);
    while (g_match_info_matches(mi)) {
        g_autofree char *phone = g_match_info_fetch(mi, 1);
        ctx_add_phone(c, NULL, phone);
        g_match_info_next(mi, NULL);
    }
    g_match_info_free(mi);
}

/* Text without quote prefixes, one entry per line, '\r' removed. */
static char **unquoted_lines(const char *text, guint *n_r)
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

/* ---- prose, block ends, local parts -------------------------------------- */

static gboolean is_glue_word(const char *folded)
{
    static const char *const glue[] = { "of", "and", "&", "for", "the", "und", "et", "y", NULL };
    return in_list(glue, folded) || in_list(particles, folded);
}

/* An organisation in a signature ("Nordlys Analytics", "Brightwater Cyber
 * Labs"): capitalised words with glue, one at least not a role word. */
static char *org_candidate(const char *raw, const Exclude *ex)
{
    g_autofree char *clean = clean_name(raw);
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
        if (!word_is_namey(w, FALSE) && !word_is_acronym(w))
            ok = FALSE;
        else if (!in_list(stop_words, f) && !in_list(phrase_words, f))
            namey++;
    }
    ok = ok && ws->len >= 2 && ws->len <= 6 && namey > 0 && count_letters(clean) >= 4 &&
         !names_excluded_domain(ws, ex);
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
    IdentityPerson *p = find_named(c->set, org, FALSE, NULL);
    if (!p) {
        p = person_new();
        g_ptr_array_add(c->set->persons, p);
    }
    person_add_name_form(p, org);
}

/* The last lines of one writer's text (the message's own, or a quoted or
 * forwarded one) are where people sign: the lines there that are only a name
 * (two words at least: a lone word is a name only after a valediction, see
 * scan_signatures()) or a name and an organisation name someone; an
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
            g_autofree char *n = *parts[k] ? name_candidate(parts[k], CAND_STRICT, &c->ex) : NULL;
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
            g_autofree char *n = name_candidate(parts[k], CAND_STRICT, &c->ex);
            if (n && strchr(n, ' ') && !owner) {
                owner = add_clean(c->set, n, NULL);
                continue;
            }
            g_autofree char *o = org_candidate(parts[k], &c->ex);
            if (o && owner)
                person_add_name_form(owner, o);
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
                       g_regex_match(rx(RX_BLOCK_SEPARATOR), plain[i], 0, NULL) ||
                       (g_str_has_suffix(plain[i], ":") &&
                        g_regex_match(rx(RX_ATTRIBUTION), plain[i], 0, NULL));
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
        if (strv_has(p->ftokens, folded))
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
    g_regex_match(rx(RX_NAME_RUN), prose, 0, &mi);
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
            if (in_list(stop_words, f) || in_list(particles, f))
                continue;
            if (token_known(c->set, f))
                known = TRUE;
            else if (count_letters(words[i]) >= 2 && !word_is_acronym(words[i]))
                unknown = TRUE;
        }
        if (known && unknown)
            g_ptr_array_add(found, g_steal_pointer(&run));
        g_match_info_next(mi, NULL);
    }
    g_match_info_free(mi);
    for (guint i = 0; i < found->len; i++)
        ctx_add(c, g_ptr_array_index(found, i), NULL, CAND_CUT);
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
        person_absorb(p, other);
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
                if (!all_letters(parts[k]) || in_list(not_token_words, f) ||
                    in_list(stop_words, f) || in_list(phrase_words, f))
                    ok = FALSE;
                if (count_letters(parts[k]) >= 3)
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
                person_add_name(p, name->str);
                g_string_free(name, TRUE);
                absorb_initials_match(set, p, parts, &i);
                continue;
            }
            if (np != 1 || !ok || count_letters(local) < 6)
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
                person_add_token(p, local);
                if (other != p && other->emails->len == 0) {
                    person_absorb(p, other);
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
    g_auto(GStrv) lines = unquoted_lines(valid, &n);

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
            if (g_str_has_suffix(g_strchomp(joined->str), ":") && scan_attribution(c, joined->str))
                done = TRUE;
            joined->len = strlen(joined->str);
        }
        g_string_free(joined, TRUE);
        if (!done && !scan_header_line(c, line))
            scan_addresses(c, line);
    }

    /* prose: lines joined so that a name may follow its trigger on the next line */
    g_autofree char *prose = g_strjoinv("\n", lines);
    scan_inline(c, prose, RX_INTRO);
    scan_inline(c, prose, RX_COLLEAGUE);
    scan_inline(c, prose, RX_PROSE_VERB);

    for (guint i = 0; i < n; i++)
        g_strstrip(lines[i]);
    scan_signatures(c, lines, n);
    scan_labelled_phones(c, prose);
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
    c->ex.public_staff = set->public_staff ? lent(set->public_staff) : NULL;
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
    consolidate(set);
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
        g_autofree char *e = clean_email(a->email);
        if (e && email_excluded(e, &c->ex)) {
            if (a->name && strstr(a->name, " via "))
                ctx_add(c, a->name, NULL, CAND_QUOTED);
            continue;
        }
        g_autofree char *n = clean_name(a->name);
        if (!e && a->name && strchr(a->name, '@')) {
            ctx_add(c, NULL, a->name, CAND_CUT);
            continue;
        }
        if (e || n)
            add_clean(c->set, n, e);
    }
}

static void set_author(Ctx *c, const GPtrArray *list, const char *header_value)
{
    if (c->author_email || c->author_name)
        return;
    if (list) {
        for (guint i = 0; i < list->len; i++) {
            const MimeAddress *a = g_ptr_array_index(list, i);
            g_autofree char *e = a ? clean_email(a->email) : NULL;
            if (e && !email_excluded(e, &c->ex)) {
                c->author_email = g_steal_pointer(&e);
                c->author_name = clean_name(a->name);
                return;
            }
        }
    }
    if (header_value) {
        GMatchInfo *mi = NULL;
        if (g_regex_match(rx(RX_EMAIL), header_value, 0, &mi)) {
            g_autofree char *raw = g_match_info_fetch(mi, 1);
            g_autofree char *e = clean_email(raw);
            if (e && !email_excluded(e, &c->ex))
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
                scan_address_list(&c, v, FALSE, CAND_QUOTED);
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
                scan_address_list(&c, v, FALSE, CAND_QUOTED);
        }
    }
    if (msg->subject) {
        Ctx *cp = &c;
        scan_addresses(cp, msg->subject);
        scan_inline(cp, msg->subject, RX_INTRO);
        scan_inline(cp, msg->subject, RX_COLLEAGUE);
    }
    scan_text(&c, msg->text);
    names_from_local_parts(set);
    consolidate(set);
    ctx_clear(&c);
}
