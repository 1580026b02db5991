/* classify.c - what a message is (SPEC 2.1) and what problem it reports (2.2).
 *
 * Everything that is policy is a table below: the public lists, the ordered kind
 * rules (first match wins), the weighted problem phrases and the words that
 * make a mail to the report address a report. The code only evaluates them.
 * Nothing here names a CA: the CA comes in as a CaIdentity. The zones of the
 * text the problem phrases are looked for in: classify_zones.c. */
#include "classify.h"
#include "classify_internal.h"
#include "phrase_filter.h"
#include "reasons.h"
#include "textutil.h"

#include <string.h>

/* ---- tables ------------------------------------------------------------- */

/* Which lists, phrases, auto-reply subjects and stop patterns: the rules file
 * (rules.h). What stays here is the order of the kind tests, which is SPEC
 * 2.1's, and the protocol patterns of case references and Bugzilla. */

typedef struct {
    const MimeMessage *msg;
    const Identifiers *ids;
    const CaIdentity *ca;
    const Rules *rules;
    const char *list;     /* matched list name, or NULL */
    gint best_score;      /* of the problem phrases */
    gboolean service;     /* a phrase about the CA's own services fired */
    gboolean revoke;      /* a revocation request */
    const char *author;   /* lower-case author e-mail or NULL */
    const char *why;      /* set by the report rule: "report:certificate" ... */
} Facts;

typedef gboolean (*RuleTest)(Facts *f, const char *header, const char *values);

static gboolean rule_is_list(Facts *f, const char *header, const char *values);
static gboolean rule_header_is(Facts *f, const char *header, const char *values);
static gboolean rule_header_is_not(Facts *f, const char *header, const char *values);
static gboolean rule_header_present(Facts *f, const char *header, const char *values);
static gboolean rule_precedence_not_list(Facts *f, const char *header, const char *values);
static gboolean rule_content_type(Facts *f, const char *header, const char *values);
static gboolean rule_null_sender_subject(Facts *f, const char *header, const char *values);
static gboolean rule_report_to_ca(Facts *f, const char *header, const char *values);

typedef struct {
    const char *name; /* reported in Classification.rules */
    MessageKind kind;
    RuleTest test;
    const char *header;
    const char *values; /* ';'-separated, case-insensitive */
} KindRule;

/* SPEC 2.1, in order: list membership (list mail carries Precedence: list),
 * then Bugzilla (which stamps Auto-Submitted), then "names a certificate and
 * a problem" (an automated key-leak monitor is a reporter), and only then the
 * auto-reply rules. Mail of lists not configured is never an auto-reply by
 * its Precedence. Anything unmatched is KIND_OTHER. */
static const KindRule kind_rules[] = {
    {"kind:list", KIND_LIST_POST, rule_is_list, NULL, NULL},
    {"kind:bugzilla", KIND_BUGZILLA, rule_header_is, "X-Bugzilla-Product", "CA Program"},
    {"kind:report", KIND_CPR, rule_report_to_ca, NULL, NULL},
    {"kind:auto_submitted", KIND_AUTO_REPLY, rule_header_is_not, "Auto-Submitted", "no"},
    {"kind:x_autoreply", KIND_AUTO_REPLY, rule_header_present, "X-Autoreply", NULL},
    {"kind:x_autorespond", KIND_AUTO_REPLY, rule_header_present, "X-Autorespond", NULL},
    {"kind:precedence", KIND_AUTO_REPLY, rule_precedence_not_list, "Precedence", "bulk;junk;list"},
    {"kind:delivery_status", KIND_AUTO_REPLY, rule_content_type, NULL, "multipart/report"},
    {"kind:auto_reply_subject", KIND_AUTO_REPLY, rule_null_sender_subject, "Return-Path", NULL},
};

/* Tie break: earlier wins. */
static const ProblemType problem_order[] = {
    PROBLEM_KEY_COMPROMISE, PROBLEM_MISISSUANCE, PROBLEM_MISUSE, PROBLEM_OTHER,
};

/* A weight-3 phrase in the subject or the text (zone factors 3 and 2,
 * classify_zones.c): a problem stated plainly. */
#define STRONG_PROBLEM_SCORE 6

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
    for (; *domains; domains++) {
        if (**domains && domain_is_or_under(at + 1, *domains))
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

static const char *match_list(const MimeMessage *msg, const Rules *rules)
{
    const char *list_id = mime_message_header(msg, "List-Id");
    const char *list_post = mime_message_header(msg, "List-Post");
    const char *mailing_list = mime_message_header(msg, "Mailing-list");
    g_autofree char *id = list_id ? strip_angle(list_id) : NULL;
    for (guint i = 0; rules && i < rules->lists->len; i++) {
        const RuleList *l = g_ptr_array_index(rules->lists, i);
        if ((id && g_ascii_strcasecmp(id, l->list_id) == 0) ||
            (list_post && list_post_has(list_post, l->address)) ||
            (mailing_list && mailing_list_has(mailing_list, l->address)))
            return l->name;
    }
    return NULL;
}

/* ---- kind rules --------------------------------------------------------- */

static gboolean rule_is_list(Facts *f, const char *header, const char *values)
{
    return f->list != NULL;
}

static gboolean rule_header_is(Facts *f, const char *header, const char *values)
{
    return value_in(mime_message_header(f->msg, header), values);
}

static gboolean rule_header_is_not(Facts *f, const char *header, const char *values)
{
    const char *v = mime_message_header(f->msg, header);
    return v && *v && !value_in(v, values);
}

static gboolean rule_header_present(Facts *f, const char *header, const char *values)
{
    const char *v = mime_message_header(f->msg, header);
    return v != NULL && !value_in(v, "no;false;0");
}

/* Precedence: bulk/junk/list marks an auto-reply only on mail that is not a
 * list's: a post of a list we do not follow (List-Id, List-Post) is mail like
 * any other and may report something. */
static gboolean rule_precedence_not_list(Facts *f, const char *header, const char *values)
{
    if (mime_message_header(f->msg, "List-Id") || mime_message_header(f->msg, "List-Post"))
        return FALSE;
    return value_in(mime_message_header(f->msg, header), values);
}

static gboolean rule_content_type(Facts *f, const char *header, const char *values)
{
    return value_in(f->msg->content_type, values);
}

static gboolean rule_null_sender_subject(Facts *f, const char *header, const char *values)
{
    const char *rp = mime_message_header(f->msg, header);
    if (!rp || !f->rules || !f->msg->subject)
        return FALSE;
    g_autofree char *t = g_strstrip(g_strdup(rp));
    if (strcmp(t, "<>") != 0)
        return FALSE;
    g_autofree char *subject = g_strstrip(g_utf8_strdown(f->msg->subject, -1));
    for (char **p = f->rules->auto_reply_subjects; p && *p; p++)
        if (g_str_has_prefix(subject, *p))
            return TRUE;
    return FALSE;
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

/* A report (SPEC 2.1, issue 11): to a report address, from outside the CA,
 * and it names a certificate (an identifier, an attached certificate, or a
 * domain whose certificate it asks to revoke) with a problem or a revocation
 * request, or it names a problem with the CA's own services. Anything else
 * sent there (questions, thanks, sales, advisories) is not a case. */
static gboolean rule_report_to_ca(Facts *f, const char *header, const char *values)
{
    if (!f->ca || !sent_to_report_address(f->msg, f->ca))
        return FALSE;
    if (!f->author || addr_in(f->author, f->ca->report_addresses) ||
        addr_in_domains(f->author, f->ca->domains))
        return FALSE;
    gboolean has_domain = f->ids && f->ids->domains && f->ids->domains->len > 0;
    gboolean strong = f->best_score >= STRONG_PROBLEM_SCORE;
    gboolean names_cert = ids_name_a_certificate(f->ids) || (has_domain && (f->revoke || strong));
    if (names_cert && (f->best_score > 0 || f->revoke)) {
        f->why = "report:certificate";
        return TRUE;
    }
    /* "the key of our certificate leaked, please revoke it": the request
     * names the certificate even without an identifier */
    if (f->revoke && strong) {
        f->why = "report:revocation_request";
        return TRUE;
    }
    if (f->service) {
        f->why = "report:ca_service";
        return TRUE;
    }
    return FALSE;
}

/* ---- problem ------------------------------------------------------------ */

static ProblemType problem_from_name(const char *name)
{
    ProblemType p = PROBLEM_OTHER;
    classify_problem_from_name(name, &p);
    return p;
}

/* Scores the phrases; fills the facts and the fired rule names. */
static ProblemType score_problem(Facts *f, Texts *t, GPtrArray *fired, guint32 *reasons_r)
{
    gint score[PROBLEM_OTHER + 1] = {0};
    guint32 reasons = 0;
    const Rules *rules = f->rules;
    for (guint i = 0; i < rules->phrases->len; i++) {
        if (g_get_monotonic_time() > t->deadline) {
            t->over_budget = TRUE;
            g_ptr_array_add(fired, g_strdup("budget_exceeded"));
            break;
        }
        const RulePhrase *p = g_ptr_array_index(rules->phrases, i);
        gint factor = cls_best_zone(rules, p->re, i, t);
        if (!factor)
            continue;
        g_ptr_array_add(fired, g_strdup(p->name));
        ProblemType pt = problem_from_name(p->problem);
        score[pt] += p->weight * factor;
        if (pt == PROBLEM_OTHER && p->weight > 0)
            f->service = TRUE;
        if (p->reason > 0 && p->reason <= REASON_ROWS)
            reasons |= 1u << p->reason;
    }
    if (cls_best_zone(rules, rules->revoke, rules->phrases->len, t)) {
        f->revoke = TRUE;
        g_ptr_array_add(fired, g_strdup("revocation_request"));
    }
    ProblemType best = PROBLEM_NONE;
    gint best_score = 0;
    for (gsize i = 0; i < G_N_ELEMENTS(problem_order); i++) {
        if (score[problem_order[i]] > best_score) {
            best = problem_order[i];
            best_score = score[problem_order[i]];
        }
    }
    f->best_score = best_score;
    *reasons_r = reasons;
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
 * never by an address that a reloaded configuration could reuse), each with
 * the literal filter of its pattern (phrase_filter.h): a text with none of
 * the CA's names and domains is not run through the regex. A daemon has one
 * or two identities in its life; the cache is emptied if a caller cycles
 * through many. Failed compilations are cached too, as NULL. */
#define CA_CACHE_MAX 16
static GMutex ca_cache_lock;
static GHashTable *ca_cache; /* char* pattern -> CaMatcher* or NULL */

typedef struct {
    GRegex *re;
    PhraseFilter *filter;
} CaMatcher;

static void ca_matcher_clear(gpointer p)
{
    CaMatcher *m = p;
    g_regex_unref(m->re);
    phrase_filter_free(m->filter);
}

static void ca_matcher_release0(gpointer m)
{
    if (m)
        g_atomic_rc_box_release_full(m, ca_matcher_clear);
}

static CaMatcher *ca_matcher(const CaIdentity *ca)
{
    g_autofree char *pattern = ca_pattern(ca);
    if (!pattern)
        return NULL;
    g_mutex_lock(&ca_cache_lock);
    if (!ca_cache)
        ca_cache = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, ca_matcher_release0);
    gpointer found = NULL;
    CaMatcher *m = NULL;
    if (g_hash_table_lookup_extended(ca_cache, pattern, NULL, &found)) {
        m = found ? g_atomic_rc_box_acquire(found) : NULL;
    } else {
        if (g_hash_table_size(ca_cache) >= CA_CACHE_MAX)
            g_hash_table_remove_all(ca_cache);
        GRegex *re = g_regex_new(pattern, G_REGEX_CASELESS | G_REGEX_OPTIMIZE, 0, NULL);
        if (re) {
            m = g_atomic_rc_box_new0(CaMatcher);
            m->re = re;
            const char *one[] = {pattern};
            m->filter = phrase_filter_new(one, 1);
        }
        g_hash_table_insert(ca_cache, g_steal_pointer(&pattern), m ? g_atomic_rc_box_acquire(m) : NULL);
    }
    g_mutex_unlock(&ca_cache_lock);
    return m;
}

static gboolean mentions_ca(const char *hay, const CaIdentity *ca)
{
    if (!ca)
        return FALSE;
    CaMatcher *m = ca_matcher(ca);
    if (!m)
        return FALSE;
    gboolean may = TRUE;
    phrase_filter_scan(m->filter, hay, &may);
    gboolean found = may && g_regex_match(m->re, hay, 0, NULL);
    ca_matcher_release0(m);
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

Classification *classify_message_with(const MimeMessage *msg, const Identifiers *ids,
                                      const CaIdentity *ca, const Rules *rules)
{
    Classification *c = g_new0(Classification, 1);
    c->kind = KIND_OTHER;
    c->problem = PROBLEM_NONE;
    c->case_refs = g_ptr_array_new_with_free_func(g_free);
    c->rules = g_ptr_array_new_with_free_func(g_free);
    if (!rules)
        rules = rules_current();
    if (!msg)
        return c;
    if (!rules) {
        g_ptr_array_add(c->rules, g_strdup("no_rules"));
        return c;
    }

    Facts f = {.msg = msg, .ids = ids, .ca = ca, .rules = rules};
    f.list = match_list(msg, rules);
    find_author(msg, f.list != NULL, c);
    f.author = c->author_email;
    Texts t;
    cls_texts_init(&t, msg, rules);
    g_autoptr(GPtrArray) phrases_fired = g_ptr_array_new_with_free_func(g_free);
    guint32 reasons = 0;
    ProblemType problem = score_problem(&f, &t, phrases_fired, &reasons);
    cls_texts_clear(&t);

    for (gsize i = 0; i < G_N_ELEMENTS(kind_rules); i++) {
        const KindRule *r = &kind_rules[i];
        if (r->test(&f, r->header, r->values)) {
            c->kind = r->kind;
            g_ptr_array_add(c->rules, g_strdup(r->name));
            if (f.why)
                g_ptr_array_add(c->rules, g_strdup(f.why));
            break;
        }
    }

    if (c->rules->len == 0)
        g_ptr_array_add(c->rules, g_strdup("kind:other"));

    switch (c->kind) {
    case KIND_CPR:
    case KIND_LIST_POST:
    case KIND_BUGZILLA:
        c->problem = problem == PROBLEM_NONE ? PROBLEM_OTHER : problem;
        c->reasons = reasons;
        c->reason = reasons_choose(reasons);
        for (guint i = 0; i < phrases_fired->len; i++)
            g_ptr_array_add(c->rules, g_strdup(g_ptr_array_index(phrases_fired, i)));
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
    g_autofree char *hay = g_strconcat(msg->subject ? msg->subject : "", "\n", msg->text, NULL);
    c->concerns_ca = mentions_ca(hay, ca);
    find_case_refs(msg, c->case_refs);
    return c;
}

Classification *classify_message(const MimeMessage *msg, const Identifiers *ids,
                                 const CaIdentity *ca)
{
    return classify_message_with(msg, ids, ca, NULL);
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
    if (c->rules)
        g_ptr_array_unref(c->rules);
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
