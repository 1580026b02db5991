/* classify.c - what a message is (SPEC 2.1) and what problem it reports (2.2).
 *
 * Everything that is policy is a table below: the public lists, the ordered kind
 * rules (first match wins), the weighted problem phrases and the words that
 * make a mail to the report address a report. The code only evaluates them.
 * Nothing here names a CA: the CA comes in as a CaIdentity. */
#include "classify.h"

#include <string.h>

/* ---- tables ------------------------------------------------------------- */

typedef struct {
    const char *name;    /* our name for the list */
    const char *list_id; /* RFC 2919 List-Id */
    const char *address; /* posting address (List-Post mailto:, Mailing-list:) */
} ListDef;

static const ListDef list_defs[] = {
    {"mdsp", "dev-security-policy.mozilla.org", "dev-security-policy@mozilla.org"},
    {"ccadb-public", "public.ccadb.org", "public@ccadb.org"},
};

typedef struct {
    const MimeMessage *msg;
    const Identifiers *ids;
    const CaIdentity *ca;
    const char *list;   /* matched list name, or NULL */
    gint best_score;    /* of the problem phrases */
    const char *author; /* lower-case author e-mail or NULL */
} Facts;

typedef gboolean (*RuleTest)(const Facts *f, const char *header, const char *values);

static gboolean rule_is_list(const Facts *f, const char *header, const char *values);
static gboolean rule_header_is(const Facts *f, const char *header, const char *values);
static gboolean rule_header_is_not(const Facts *f, const char *header, const char *values);
static gboolean rule_header_present(const Facts *f, const char *header, const char *values);
static gboolean rule_content_type(const Facts *f, const char *header, const char *values);
static gboolean rule_null_sender_subject(const Facts *f, const char *header, const char *values);
static gboolean rule_report_to_ca(const Facts *f, const char *header, const char *values);
static gboolean rule_automated_report(const Facts *f, const char *header, const char *values);

typedef struct {
    MessageKind kind;
    RuleTest test;
    const char *header;
    const char *values; /* ';'-separated, case-insensitive */
    const char *why;
} KindRule;

/* SPEC 2.1, in order: list mail carries Precedence: list, so lists come before
 * the auto-reply rules; Bugzilla mail carries Auto-Submitted, so it comes
 * before them too. Anything unmatched is KIND_OTHER. */
static const KindRule kind_rules[] = {
    {KIND_LIST_POST, rule_is_list, NULL, NULL, "List-Id, List-Post or Mailing-list of a known list"},
    {KIND_BUGZILLA, rule_header_is, "X-Bugzilla-Product", "CA Program", "Bugzilla, product CA Program"},
    {KIND_CPR, rule_automated_report, NULL, NULL,
     "to a report address, names a certificate and a problem (automated senders too)"},
    {KIND_AUTO_REPLY, rule_header_is_not, "Auto-Submitted", "no", "RFC 3834 Auto-Submitted"},
    {KIND_AUTO_REPLY, rule_header_present, "X-Autoreply", NULL, "X-Autoreply"},
    {KIND_AUTO_REPLY, rule_header_present, "X-Autorespond", NULL, "X-Autorespond"},
    {KIND_AUTO_REPLY, rule_header_is, "Precedence", "bulk;junk;list", "Precedence on non-list mail"},
    {KIND_AUTO_REPLY, rule_content_type, NULL, "multipart/report", "delivery status notification"},
    {KIND_AUTO_REPLY, rule_null_sender_subject, "Return-Path",
     "automatic reply;out of office;autoreply;auto-reply;abwesenheitsnotiz;respuesta automática;réponse automatique",
     "null sender with an automatic-reply subject"},
    {KIND_CPR, rule_report_to_ca, NULL, NULL, "to a report address from outside, about certificates"},
};

typedef struct {
    const char *pattern; /* PCRE, matched case-insensitively over subject and text */
    ProblemType problem;
    gint weight;
} Phrase;

/* Each pattern counts once per message; the problem with the highest total
 * wins, ties going to the earlier problem in problem_order. */
static const Phrase phrases[] = {
    /* key compromise */
    {"\\bkey[- ]compromise|\\bcompromised (private )?key|\\bkey (was |has been |is )?compromised", PROBLEM_KEY_COMPROMISE, 3},
    {"\\bleaked (private )?key|\\bkey (was |has been )?leaked|\\bprivate key (was |is |has been )?(leaked|exposed|disclosed|published)", PROBLEM_KEY_COMPROMISE, 3},
    {"\\bprivate key\\b[^\\n.]{0,80}\\b(public|github|gitlab|bitbucket|pastebin|gist|snippet|repository)", PROBLEM_KEY_COMPROMISE, 2},
    {"\\b(signed|generated) with the (leaked|compromised|private) key|\\bproof of (key )?(possession|compromise)", PROBLEM_KEY_COMPROMISE, 2},
    {"\\bweak (private )?key\\b|\\bdebian weak|\\bROCA\\b|\\bfermat factori", PROBLEM_KEY_COMPROMISE, 2},
    {"\\bcompromiso de (la )?clave|\\bclave privada (expuesta|filtrada|publicada|comprometida)", PROBLEM_KEY_COMPROMISE, 3},
    {"\\bclave privada\\b", PROBLEM_KEY_COMPROMISE, 2},
    {"schlüssel (ist |wurde )?(kompromittiert|veröffentlicht|geleakt)|kompromittierte[nrs]? (privater? )?schlüssel", PROBLEM_KEY_COMPROMISE, 3},
    {"\\bclé privée (a été )?(compromise|divulguée|publiée)|\\bcompromission de (la )?clé", PROBLEM_KEY_COMPROMISE, 3},
    {"秘密鍵.{0,10}(漏洩|流出)|(漏洩|流出).{0,10}秘密鍵", PROBLEM_KEY_COMPROMISE, 3},
    /* misissuance */
    {"\\bmis-?issu", PROBLEM_MISISSUANCE, 3},
    {"\\bnever requested|\\bunrequested\\b|\\bnot requested|\\bdid(n't| not) request", PROBLEM_MISISSUANCE, 3},
    {"\\bCAA\\b", PROBLEM_MISISSUANCE, 2},
    {"\\btrailing dot", PROBLEM_MISISSUANCE, 3},
    {"\\bbackdat|\\bnotBefore\\b|\\bnotAfter\\b", PROBLEM_MISISSUANCE, 2},
    {"\\bnot allowed \\(BR|\\bviolat\\w* (of )?(the )?(BR|baseline requirements)|\\bnot (issued )?in accordance with|\\bnon-?compliant", PROBLEM_MISISSUANCE, 2},
    {"\\bBR \\d+(\\.\\d+)+", PROBLEM_MISISSUANCE, 1},
    {"\\b(512|768|1024)[- ]bit (RSA )?key|\\bkeys? (size )?(under|below|smaller than) 2048", PROBLEM_MISISSUANCE, 2},
    {"\\binvalid (encoding|DER|ASN\\.1)|\\bwrong encoding|\\bencoding error|\\bmalformed certificate|\\b(zlint|pkilint|certlint)\\b", PROBLEM_MISISSUANCE, 2},
    {"\\b(improper|insufficient|bypass\\w*|incorrect|failed) (domain )?validation", PROBLEM_MISISSUANCE, 2},
    {"emisión indebida|emitido (por error|sin autorización)|fehlausstellung|fehlerhaft ausgestellt|émission (erronée|incorrecte)|émis par erreur", PROBLEM_MISISSUANCE, 3},
    /* misuse */
    {"\\bphish", PROBLEM_MISUSE, 3},
    {"\\bfraud", PROBLEM_MISUSE, 3},
    {"\\bmalware\\b|\\bransomware\\b|\\bcommand[- ]and[- ]control\\b", PROBLEM_MISUSE, 3},
    {"\\bmisuse", PROBLEM_MISUSE, 3},
    {"\\bfake\\b|\\bscam\\b|\\bimpersonat|\\bcounterfeit", PROBLEM_MISUSE, 2},
    {"\\bfraude\\b|\\bsuplantación|\\bestafa\\b|\\bbetrug|\\bmissbrauch|\\bhameçonnage", PROBLEM_MISUSE, 3},
};

/* Tie break: earlier wins. */
static const ProblemType problem_order[] = {
    PROBLEM_KEY_COMPROMISE, PROBLEM_MISISSUANCE, PROBLEM_MISUSE,
};

/* A mail to the report address is a report only with one of these (or a
 * certificate identifier, or a problem phrase). */
static const char cpr_words[] =
    "\\b(certificate|certificates|cert|certs|certificado|certificados|zertifikat\\w*|certificat|certificats"
    "|revoke\\w*|revocation|revocación|revocar|widerruf\\w*|révocation|révoquer|tls|ssl|証明書)\\b";

static const char case_ref_pattern[] = "\\bCPR-(\\d{4})-(\\d{4,6})\\b";
static const char bug_subject_pattern[] = "\\[Bug (\\d{1,10})\\]";
static const char bug_link_pattern[] = "show_bug\\.cgi\\?id=(\\d{1,10})";

typedef struct {
    MessageKind kind;
    const char *name;
} KindName;

static const KindName kind_names[] = {
    {KIND_CPR, "cpr"}, {KIND_LIST_POST, "list_post"}, {KIND_BUGZILLA, "bugzilla"},
    {KIND_AUTO_REPLY, "auto_reply"}, {KIND_OTHER, "other"},
};

typedef struct {
    ProblemType problem;
    const char *name;
} ProblemName;

static const ProblemName problem_names[] = {
    {PROBLEM_KEY_COMPROMISE, "key_compromise"}, {PROBLEM_MISISSUANCE, "misissuance"},
    {PROBLEM_MISUSE, "misuse"}, {PROBLEM_OTHER, "other"},
};

/* ---- compiled patterns (once per process) ------------------------------ */

typedef struct {
    GRegex *phrases[G_N_ELEMENTS(phrases)];
    GRegex *cpr_words;
    GRegex *case_ref;
    GRegex *bug_subject;
    GRegex *bug_link;
} Compiled;

static GRegex *compile(const char *pattern)
{
    g_autoptr(GError) error = NULL;
    GRegex *re = g_regex_new(pattern, G_REGEX_CASELESS | G_REGEX_OPTIMIZE, 0, &error);
    /* the patterns are constants of this file: a bad one is a programming error */
    if (!re)
        g_error("classify: bad pattern \"%s\": %s", pattern, error->message);
    return re;
}

static const Compiled *compiled(void)
{
    static Compiled c;
    static gsize done = 0;
    if (g_once_init_enter(&done)) {
        for (gsize i = 0; i < G_N_ELEMENTS(phrases); i++)
            c.phrases[i] = compile(phrases[i].pattern);
        c.cpr_words = compile(cpr_words);
        c.case_ref = compile(case_ref_pattern);
        c.bug_subject = compile(bug_subject_pattern);
        c.bug_link = compile(bug_link_pattern);
        g_once_init_leave(&done, 1);
    }
    return &c;
}

/* ---- helpers ------------------------------------------------------------ */

static gboolean value_in(const char *value, const char *values)
{
    if (!value || !values)
        return FALSE;
    g_autofree char *v = g_strstrip(g_utf8_strdown(value, -1));
    g_auto(GStrv) options = g_strsplit(values, ";", -1);
    for (char **o = options; *o; o++) {
        g_autofree char *lo = g_utf8_strdown(*o, -1);
        if (strcmp(v, lo) == 0)
            return TRUE;
    }
    return FALSE;
}

static gboolean starts_with_any(const char *value, const char *values)
{
    if (!value || !values)
        return FALSE;
    g_autofree char *v = g_strstrip(g_utf8_strdown(value, -1));
    g_auto(GStrv) options = g_strsplit(values, ";", -1);
    for (char **o = options; *o; o++) {
        g_autofree char *lo = g_utf8_strdown(*o, -1);
        if (g_str_has_prefix(v, lo))
            return TRUE;
    }
    return FALSE;
}

static gboolean addr_in(const char *email, const char *const *list)
{
    if (!email || !list)
        return FALSE;
    for (; *list; list++)
        if (g_ascii_strcasecmp(email, *list) == 0)
            return TRUE;
    return FALSE;
}

/* The domain of `email` is one of `domains` or below one. */
static gboolean addr_in_domains(const char *email, const char *const *domains)
{
    const char *at = email ? strrchr(email, '@') : NULL;
    if (!at || !domains)
        return FALSE;
    const char *dom = at + 1;
    gsize dlen = strlen(dom);
    for (; *domains; domains++) {
        gsize n = strlen(*domains);
        if (n == 0 || n > dlen)
            continue;
        if (g_ascii_strcasecmp(dom + dlen - n, *domains) == 0 &&
            (dlen == n || dom[dlen - n - 1] == '.'))
            return TRUE;
    }
    return FALSE;
}

/* "Name <addr>" or "addr" into lower-case addr and optional name. */
static gboolean split_address(const char *value, char **email_r, char **name_r)
{
    *email_r = NULL;
    *name_r = NULL;
    if (!value)
        return FALSE;
    const char *lt = strrchr(value, '<');
    const char *gt = lt ? strchr(lt, '>') : NULL;
    g_autofree char *addr = NULL;
    if (lt && gt) {
        addr = g_strndup(lt + 1, (gsize)(gt - lt - 1));
        g_autofree char *name = g_strndup(value, (gsize)(lt - value));
        g_strstrip(name);
        gsize n = strlen(name);
        if (n >= 2 && name[0] == '"' && name[n - 1] == '"') {
            memmove(name, name + 1, n - 2);
            name[n - 2] = '\0';
        }
        if (*name)
            *name_r = g_steal_pointer(&name);
    } else {
        addr = g_strdup(value);
    }
    g_strstrip(addr);
    if (!*addr || !strchr(addr, '@')) {
        g_clear_pointer(name_r, g_free);
        return FALSE;
    }
    *email_r = g_utf8_strdown(addr, -1);
    return TRUE;
}

static char *strip_angle(const char *s)
{
    g_autofree char *t = g_strstrip(g_strdup(s));
    const char *lt = strchr(t, '<');
    const char *gt = lt ? strchr(lt, '>') : NULL;
    if (lt && gt)
        return g_ascii_strdown(lt + 1, gt - lt - 1);
    return g_ascii_strdown(t, -1);
}

/* The mailto: addresses of a List-Post value. */
static gboolean list_post_has(const char *value, const char *address)
{
    const char *p = value;
    while (p && (p = strstr(p, "mailto:")) != NULL) {
        p += strlen("mailto:");
        gsize n = strcspn(p, ">,? \t");
        if (n == strlen(address) && g_ascii_strncasecmp(p, address, n) == 0)
            return TRUE;
    }
    return FALSE;
}

/* "list ADDR; contact ..." */
static gboolean mailing_list_has(const char *value, const char *address)
{
    g_auto(GStrv) parts = g_strsplit_set(value, "; \t", -1);
    for (char **p = parts; *p; p++)
        if (g_ascii_strcasecmp(*p, address) == 0)
            return TRUE;
    return FALSE;
}

static const char *match_list(const MimeMessage *msg)
{
    const char *list_id = mime_message_header(msg, "List-Id");
    const char *list_post = mime_message_header(msg, "List-Post");
    const char *mailing_list = mime_message_header(msg, "Mailing-list");
    g_autofree char *id = list_id ? strip_angle(list_id) : NULL;
    for (gsize i = 0; i < G_N_ELEMENTS(list_defs); i++) {
        const ListDef *l = &list_defs[i];
        if ((id && g_ascii_strcasecmp(id, l->list_id) == 0) ||
            (list_post && list_post_has(list_post, l->address)) ||
            (mailing_list && mailing_list_has(mailing_list, l->address)))
            return l->name;
    }
    return NULL;
}

static gboolean has_match(const GRegex *re, const char *text)
{
    return text && g_regex_match(re, text, 0, NULL);
}

/* ---- kind rules --------------------------------------------------------- */

static gboolean rule_is_list(const Facts *f, const char *header, const char *values)
{
    return f->list != NULL;
}

static gboolean rule_header_is(const Facts *f, const char *header, const char *values)
{
    return value_in(mime_message_header(f->msg, header), values);
}

static gboolean rule_header_is_not(const Facts *f, const char *header, const char *values)
{
    const char *v = mime_message_header(f->msg, header);
    return v && *v && !value_in(v, values);
}

static gboolean rule_header_present(const Facts *f, const char *header, const char *values)
{
    const char *v = mime_message_header(f->msg, header);
    return v != NULL && !value_in(v, "no;false;0");
}

static gboolean rule_content_type(const Facts *f, const char *header, const char *values)
{
    return value_in(f->msg->content_type, values);
}

static gboolean rule_null_sender_subject(const Facts *f, const char *header, const char *values)
{
    const char *rp = mime_message_header(f->msg, header);
    if (!rp)
        return FALSE;
    g_autofree char *t = g_strstrip(g_strdup(rp));
    return strcmp(t, "<>") == 0 && starts_with_any(f->msg->subject, values);
}

static gboolean sent_to_report_address(const MimeMessage *msg, const CaIdentity *ca)
{
    GPtrArray *lists[] = {msg->to, msg->cc, msg->delivered_to};
    for (gsize k = 0; k < G_N_ELEMENTS(lists); k++)
        for (guint i = 0; i < lists[k]->len; i++)
            if (addr_in(((const MimeAddress *)lists[k]->pdata[i])->email, ca->report_addresses))
                return TRUE;
    return FALSE;
}

static gboolean ids_name_a_certificate(const Identifiers *ids)
{
    if (!ids)
        return FALSE;
    GPtrArray *lists[] = {ids->serials, ids->sha256, ids->crtsh_ids, ids->certs};
    for (gsize i = 0; i < G_N_ELEMENTS(lists); i++)
        if (lists[i] && lists[i]->len > 0)
            return TRUE;
    return FALSE;
}

static gboolean rule_report_to_ca(const Facts *f, const char *header, const char *values)
{
    if (!f->ca || !sent_to_report_address(f->msg, f->ca))
        return FALSE;
    if (!f->author || addr_in(f->author, f->ca->report_addresses) ||
        addr_in_domains(f->author, f->ca->domains))
        return FALSE;
    if (ids_name_a_certificate(f->ids) || f->best_score > 0)
        return TRUE;
    const Compiled *c = compiled();
    return has_match(c->cpr_words, f->msg->subject) || has_match(c->cpr_words, f->msg->text);
}

/* A key-leak monitor or revocation service stamps Auto-Submitted on its
 * reports: one that names a certificate and a problem is a CPR, whatever its
 * auto-reply headers say (SPEC 2.1). */
static gboolean rule_automated_report(const Facts *f, const char *header, const char *values)
{
    return ids_name_a_certificate(f->ids) && f->best_score > 0 &&
           rule_report_to_ca(f, header, values);
}

/* ---- problem ------------------------------------------------------------ */

static ProblemType score_problem(const char *hay, gint *best_r)
{
    const Compiled *c = compiled();
    gint score[PROBLEM_OTHER + 1] = {0};
    for (gsize i = 0; i < G_N_ELEMENTS(phrases); i++)
        if (g_regex_match(c->phrases[i], hay, 0, NULL))
            score[phrases[i].problem] += phrases[i].weight;
    ProblemType best = PROBLEM_NONE;
    gint best_score = 0;
    for (gsize i = 0; i < G_N_ELEMENTS(problem_order); i++) {
        if (score[problem_order[i]] > best_score) {
            best = problem_order[i];
            best_score = score[problem_order[i]];
        }
    }
    *best_r = best_score;
    return best;
}

/* ---- CA mention --------------------------------------------------------- */

static void add_alternatives(GString *re, const char *const *names, gboolean *first)
{
    for (; names && *names; names++) {
        if (!**names)
            continue;
        g_autofree char *esc = g_regex_escape_string(*names, -1);
        g_string_append(re, *first ? "" : "|");
        g_string_append(re, esc);
        *first = FALSE;
    }
}

/* The one regex that finds the CA in a text: its names as whole words, not
 * part of a host or e-mail address; its domains not inside an e-mail address
 * or a longer name, subdomains included ("ocsp.example-ca.test"). NULL when
 * the identity names nothing. Caller frees. */
static char *ca_pattern(const CaIdentity *ca)
{
    GString *names = g_string_new("(?<![\\w@.-])(?:");
    gboolean first = TRUE;
    const char *owner[] = {ca->owner, NULL};
    add_alternatives(names, owner, &first);
    add_alternatives(names, ca->aliases, &first);
    add_alternatives(names, ca->ca_names, &first);
    g_string_append(names, ")(?![\\w-]|\\.\\w)");
    gboolean have_names = !first;

    GString *domains = g_string_new("(?<![\\w.@-])(?:[a-z0-9-]+\\.)*(?:");
    first = TRUE;
    add_alternatives(domains, ca->domains, &first);
    g_string_append(domains, ")(?![\\w-]|\\.[a-z0-9])");
    gboolean have_domains = !first;

    char *pattern = NULL;
    if (have_names && have_domains)
        pattern = g_strdup_printf("%s|%s", names->str, domains->str);
    else if (have_names || have_domains)
        pattern = g_strdup(have_names ? names->str : domains->str);
    g_string_free(names, TRUE);
    g_string_free(domains, TRUE);
    return pattern;
}

/* Compiled CA regexes, keyed by their pattern (so by the identity's content,
 * never by an address that a reloaded configuration could reuse). A daemon
 * has one or two identities in its life; the cache is emptied if a caller
 * cycles through many. Failed compilations are cached too, as NULL. */
#define CA_CACHE_MAX 16
static GMutex ca_cache_lock;
static GHashTable *ca_cache; /* char* pattern -> GRegex* or NULL */

static void regex_unref0(gpointer re)
{
    if (re)
        g_regex_unref(re);
}

static GRegex *ca_regex(const CaIdentity *ca)
{
    g_autofree char *pattern = ca_pattern(ca);
    if (!pattern)
        return NULL;
    g_mutex_lock(&ca_cache_lock);
    if (!ca_cache)
        ca_cache = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, regex_unref0);
    gpointer found = NULL;
    GRegex *re = NULL;
    if (g_hash_table_lookup_extended(ca_cache, pattern, NULL, &found)) {
        re = found ? g_regex_ref(found) : NULL;
    } else {
        if (g_hash_table_size(ca_cache) >= CA_CACHE_MAX)
            g_hash_table_remove_all(ca_cache);
        re = g_regex_new(pattern, G_REGEX_CASELESS | G_REGEX_OPTIMIZE, 0, NULL);
        g_hash_table_insert(ca_cache, g_steal_pointer(&pattern), re ? g_regex_ref(re) : NULL);
    }
    g_mutex_unlock(&ca_cache_lock);
    return re;
}

static gboolean mentions_ca(const char *hay, const CaIdentity *ca)
{
    if (!ca)
        return FALSE;
    GRegex *re = ca_regex(ca);
    gboolean found = re && g_regex_match(re, hay, 0, NULL);
    if (re)
        g_regex_unref(re);
    return found;
}

/* ---- the rest of the result ---------------------------------------------- */

static void find_case_refs(const MimeMessage *msg, GPtrArray *out)
{
    if (!msg->subject)
        return;
    g_autoptr(GMatchInfo) mi = NULL;
    g_regex_match(compiled()->case_ref, msg->subject, 0, &mi);
    while (g_match_info_matches(mi) && out->len < 16) {
        g_autofree char *year = g_match_info_fetch(mi, 1);
        g_autofree char *num = g_match_info_fetch(mi, 2);
        char *ref = g_strdup_printf("CPR-%s-%s", year, num);
        gboolean seen = FALSE;
        for (guint i = 0; i < out->len && !seen; i++)
            seen = strcmp(out->pdata[i], ref) == 0;
        if (seen)
            g_free(ref);
        else
            g_ptr_array_add(out, ref);
        g_match_info_next(mi, NULL);
    }
}

static char *first_group(const GRegex *re, const char *text)
{
    if (!text)
        return NULL;
    g_autoptr(GMatchInfo) mi = NULL;
    if (!g_regex_match(re, text, 0, &mi))
        return NULL;
    return g_match_info_fetch(mi, 1);
}

static char *find_bug_id(const MimeMessage *msg)
{
    const Compiled *c = compiled();
    /* X-Bugzilla-ID first (SPEC 2.3), then the subject's "[Bug N]" */
    const char *hdr = mime_message_header(msg, "X-Bugzilla-ID");
    guint64 n = 0;
    if (hdr) {
        g_autofree char *t = g_strstrip(g_strdup(hdr));
        if (g_ascii_string_to_unsigned(t, 10, 1, 9999999999ULL, &n, NULL))
            return g_strdup_printf("%" G_GUINT64_FORMAT, n);
    }
    char *id = first_group(c->bug_subject, msg->subject);
    if (!id)
        id = first_group(c->bug_link, msg->text);
    return id;
}

/* For list posts the From: may be Google's DMARC rewrite ("Jane Doe via
 * dev-security-policy <dev-security-policy@mozilla.org>"). */
static void find_author(const MimeMessage *msg, gboolean is_list, Classification *c)
{
    const MimeAddress *from = msg->from->len ? msg->from->pdata[0] : NULL;
    if (is_list) {
        if (split_address(mime_message_header(msg, "X-Original-From"), &c->author_email, &c->author_name))
            return;
        g_autofree char *name = NULL;
        if (split_address(mime_message_header(msg, "X-Original-Sender"), &c->author_email, &name)) {
            /* the display name is the author's, minus Google's " via LIST" */
            const char *via = from && from->name ? strstr(from->name, " via ") : NULL;
            if (via)
                c->author_name = g_strndup(from->name, (gsize)(via - from->name));
            else if (from && from->name && g_ascii_strcasecmp(from->email, c->author_email) == 0)
                c->author_name = g_strdup(from->name);
            return;
        }
    }
    if (from) {
        c->author_email = g_utf8_strdown(from->email, -1);
        c->author_name = g_strdup(from->name);
    }
}

Classification *classify_message(const MimeMessage *msg, const Identifiers *ids,
                                 const CaIdentity *ca)
{
    Classification *c = g_new0(Classification, 1);
    c->kind = KIND_OTHER;
    c->problem = PROBLEM_NONE;
    c->case_refs = g_ptr_array_new_with_free_func(g_free);
    if (!msg)
        return c;

    Facts f = {.msg = msg, .ids = ids, .ca = ca};
    f.list = match_list(msg);
    find_author(msg, f.list != NULL, c);
    f.author = c->author_email;
    /* subject and text, searched by the problem phrases and for the CA */
    g_autofree char *hay = g_strconcat(msg->subject ? msg->subject : "", "\n", msg->text, NULL);
    ProblemType problem = score_problem(hay, &f.best_score);

    for (gsize i = 0; i < G_N_ELEMENTS(kind_rules); i++) {
        const KindRule *r = &kind_rules[i];
        if (r->test(&f, r->header, r->values)) {
            c->kind = r->kind;
            break;
        }
    }

    switch (c->kind) {
    case KIND_CPR:
    case KIND_LIST_POST:
    case KIND_BUGZILLA:
        c->problem = problem == PROBLEM_NONE ? PROBLEM_OTHER : problem;
        break;
    case KIND_AUTO_REPLY:
    case KIND_OTHER:
        c->problem = PROBLEM_NONE;
        break;
    }
    if (c->kind == KIND_LIST_POST)
        c->list = g_strdup(f.list);
    if (c->kind == KIND_BUGZILLA)
        c->bug_id = find_bug_id(msg);
    c->concerns_ca = mentions_ca(hay, ca);
    find_case_refs(msg, c->case_refs);
    return c;
}

void classification_free(Classification **cp)
{
    if (!cp || !*cp)
        return;
    Classification *c = *cp;
    g_free(c->list);
    g_ptr_array_unref(c->case_refs);
    g_free(c->author_email);
    g_free(c->author_name);
    g_free(c->bug_id);
    g_free(c);
    *cp = NULL;
}

const char *classify_kind_name(MessageKind kind)
{
    for (gsize i = 0; i < G_N_ELEMENTS(kind_names); i++)
        if (kind_names[i].kind == kind)
            return kind_names[i].name;
    return "other";
}

const char *classify_problem_name(ProblemType problem)
{
    for (gsize i = 0; i < G_N_ELEMENTS(problem_names); i++)
        if (problem_names[i].problem == problem)
            return problem_names[i].name;
    return NULL;
}

gboolean classify_kind_from_name(const char *name, MessageKind *kind_r)
{
    for (gsize i = 0; name && i < G_N_ELEMENTS(kind_names); i++) {
        if (strcmp(kind_names[i].name, name) == 0) {
            if (kind_r)
                *kind_r = kind_names[i].kind;
            return TRUE;
        }
    }
    return FALSE;
}

gboolean classify_problem_from_name(const char *name, ProblemType *problem_r)
{
    for (gsize i = 0; name && i < G_N_ELEMENTS(problem_names); i++) {
        if (strcmp(problem_names[i].name, name) == 0) {
            if (problem_r)
                *problem_r = problem_names[i].problem;
            return TRUE;
        }
    }
    return FALSE;
}
