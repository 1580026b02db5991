/* rules.c - load and validate the classification rules file (rules.h). */
#include "rules.h"

#include <string.h>

#include "cpr_error.h"

#ifndef CPR_SHARE_DIR
#define CPR_SHARE_DIR "/usr/local/share/cpr-intake"
#endif

/* Longest pattern accepted: a phrase is a phrase, not a program. */
#define MAX_PATTERN_BYTES 2048
#define DEFAULT_MAX_TEXT_BYTES (256u * 1024)
#define DEFAULT_BUDGET_MS 250

static const char *const problems[] = {"key_compromise", "misissuance", "misuse", "other", NULL};

/* ------------------------------------------------------------- validation */

/* Nested unbounded quantifiers: a group that contains an unbounded repeat
 * ("+", "*", "{n,}") and is itself repeated without bound. Character classes
 * and escapes are skipped; lookarounds count as groups. */
char *rules_pattern_problem(const char *pattern)
{
    gsize n = strlen(pattern);
    if (n == 0)
        return g_strdup("empty pattern");
    if (n > MAX_PATTERN_BYTES)
        return g_strdup_printf("longer than %d bytes", MAX_PATTERN_BYTES);
    enum { MAX_DEPTH = 64 };
    gboolean inner_unbounded[MAX_DEPTH + 1] = {FALSE};
    int depth = 0;
    gboolean last_group_unbounded = FALSE; /* the group that just closed */
    gboolean last_was_group = FALSE;
    for (gsize i = 0; i < n; i++) {
        char c = pattern[i];
        gboolean unbounded_q = FALSE, is_quant = FALSE;
        if (c == '\\') {
            i++;
            last_was_group = FALSE;
            continue;
        }
        if (c == '[') {
            gsize j = i + 1;
            if (j < n && pattern[j] == '^')
                j++;
            if (j < n && pattern[j] == ']')
                j++;
            while (j < n && pattern[j] != ']') {
                if (pattern[j] == '\\')
                    j++;
                j++;
            }
            i = j;
            last_was_group = FALSE;
            continue;
        }
        if (c == '(') {
            if (depth >= MAX_DEPTH)
                return g_strdup("groups nested too deeply");
            depth++;
            inner_unbounded[depth] = FALSE;
            last_was_group = FALSE;
            continue;
        }
        if (c == ')') {
            if (depth == 0)
                return g_strdup("unbalanced parenthesis");
            last_group_unbounded = inner_unbounded[depth];
            depth--;
            if (last_group_unbounded)
                inner_unbounded[depth] = TRUE;
            last_was_group = TRUE;
            continue;
        }
        if (c == '*' || c == '+') {
            is_quant = TRUE;
            unbounded_q = TRUE;
        } else if (c == '{') {
            const char *close = strchr(pattern + i, '}');
            if (close) {
                g_autofree char *inside = g_strndup(pattern + i + 1, (gsize)(close - pattern - i - 1));
                is_quant = strspn(inside, "0123456789,") == strlen(inside) && *inside;
                unbounded_q = is_quant && inside[strlen(inside) - 1] == ',';
                if (is_quant)
                    i = (gsize)(close - pattern);
            }
        } else if (c == '?') {
            is_quant = TRUE;
        }
        if (is_quant) {
            if (unbounded_q) {
                if (last_was_group && last_group_unbounded)
                    return g_strdup("nested unbounded quantifier (like \"(a+)+\")");
                inner_unbounded[depth] = TRUE;
            }
            /* "+?" "*+" and the like: one quantifier */
            if (i + 1 < n && (pattern[i + 1] == '?' || pattern[i + 1] == '+'))
                i++;
            if (!unbounded_q)
                continue; /* "(a+)?" then "+": the group is still the operand */
            last_was_group = FALSE;
            continue;
        }
        last_was_group = FALSE;
    }
    if (depth != 0)
        return g_strdup("unbalanced parenthesis");
    return NULL;
}

/* The 1-based line of `key=` inside `[group]` of `data`, or of the group
 * header when key is NULL; 0 when not found. */
static guint line_of(const char *data, const char *group, const char *key)
{
    g_autofree char *header = g_strdup_printf("[%s]", group);
    guint line = 1;
    gboolean in_group = FALSE;
    const char *p = data;
    while (p && *p) {
        const char *nl = strchr(p, '\n');
        gsize len = nl ? (gsize)(nl - p) : strlen(p);
        g_autofree char *l = g_strstrip(g_strndup(p, len));
        if (l[0] == '[') {
            in_group = strcmp(l, header) == 0;
            if (in_group && !key)
                return line;
        } else if (in_group && key) {
            gsize kl = strlen(key);
            if (strncmp(l, key, kl) == 0 && (l[kl] == '=' || l[kl] == ' ' || l[kl] == '\t'))
                return line;
        }
        line++;
        p = nl ? nl + 1 : NULL;
    }
    return 0;
}

static void fail(GError **error, const char *source, const char *data, const char *group, const char *key,
                 const char *fmt, ...) G_GNUC_PRINTF(6, 7);

static void fail(GError **error, const char *source, const char *data, const char *group, const char *key,
                 const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *what = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    guint line = group ? line_of(data, group, key) : 0;
    if (line)
        g_set_error(error, CPR_ERROR, CPR_ERROR_CONFIG, "%s:%u: [%s]%s%s: %s", source, line, group,
                    key ? " " : "", key ? key : "", what);
    else
        g_set_error(error, CPR_ERROR, CPR_ERROR_CONFIG, "%s: %s", source, what);
}

static GRegex *compile(const char *source, const char *data, const char *group, const char *key,
                       const char *pattern, GError **error)
{
    g_autofree char *why = rules_pattern_problem(pattern);
    if (why) {
        fail(error, source, data, group, key, "pattern \"%s\" refused: %s", pattern, why);
        return NULL;
    }
    g_autoptr(GError) e = NULL;
    GRegex *re = g_regex_new(pattern, G_REGEX_CASELESS | G_REGEX_OPTIMIZE, 0, &e);
    if (!re)
        fail(error, source, data, group, key, "pattern \"%s\" does not compile: %s", pattern, e->message);
    return re;
}

/* ------------------------------------------------------------------ load */

static void phrase_free(gpointer p)
{
    RulePhrase *r = p;
    g_free(r->name);
    g_free(r->problem);
    g_free(r->pattern);
    if (r->re)
        g_regex_unref(r->re);
    g_free(r);
}

static void list_free(gpointer p)
{
    RuleList *l = p;
    g_free(l->name);
    g_free(l->list_id);
    g_free(l->address);
    g_free(l);
}

static void pattern_free(gpointer p)
{
    RulePattern *r = p;
    g_free(r->name);
    if (r->re)
        g_regex_unref(r->re);
    g_free(r);
}

void rules_free(Rules **rp)
{
    if (!rp || !*rp)
        return;
    Rules *r = *rp;
    g_free(r->source);
    g_free(r->version);
    g_ptr_array_unref(r->lists);
    g_ptr_array_unref(r->phrases);
    g_ptr_array_unref(r->strip);
    g_strfreev(r->auto_reply_subjects);
    if (r->negation)
        g_regex_unref(r->negation);
    if (r->revoke)
        g_regex_unref(r->revoke);
    phrase_filter_free(r->filter_);
    phrase_filter_free(r->strip_filter_);
    g_free(r);
    *rp = NULL;
}

static gboolean known_key(const char *const *allowed, const char *key)
{
    for (; *allowed; allowed++)
        if (strcmp(*allowed, key) == 0)
            return TRUE;
    return FALSE;
}

/* Every key of `group` is one of `allowed`. */
static gboolean check_keys(GKeyFile *kf, const char *group, const char *const *allowed, const char *source,
                           const char *data, GError **error)
{
    g_auto(GStrv) keys = g_key_file_get_keys(kf, group, NULL, NULL);
    for (gsize i = 0; keys && keys[i]; i++)
        if (!known_key(allowed, keys[i])) {
            fail(error, source, data, group, keys[i], "unknown key");
            return FALSE;
        }
    return TRUE;
}

static gboolean get_int(GKeyFile *kf, const char *group, const char *key, gint min, gint max, gint *out,
                        const char *source, const char *data, GError **error)
{
    if (!g_key_file_has_key(kf, group, key, NULL))
        return TRUE;
    g_autofree char *v = g_key_file_get_value(kf, group, key, NULL);
    char *end = NULL;
    gint64 n = g_ascii_strtoll(v ? v : "", &end, 10);
    if (!v || !*v || *end || n < min || n > max) {
        fail(error, source, data, group, key, "expected an integer from %d to %d, got \"%s\"", min, max,
             v ? v : "");
        return FALSE;
    }
    *out = (gint)n;
    return TRUE;
}

static gboolean load_rules_group(Rules *r, GKeyFile *kf, const char *source, const char *data, GError **error)
{
    static const char *const allowed[] = {"version", "max_text_bytes", "budget_ms", NULL};
    if (!g_key_file_has_group(kf, "rules") || !g_key_file_has_key(kf, "rules", "version", NULL)) {
        fail(error, source, data, NULL, NULL, "expected a [rules] group with version=MAJOR.MINOR");
        return FALSE;
    }
    if (!check_keys(kf, "rules", allowed, source, data, error))
        return FALSE;
    r->version = g_strstrip(g_key_file_get_value(kf, "rules", "version", NULL));
    char *end = NULL;
    guint64 major = g_ascii_strtoull(r->version, &end, 10);
    if (end == r->version || (*end && *end != '.')) {
        fail(error, source, data, "rules", "version", "expected MAJOR.MINOR, got \"%s\"", r->version);
        return FALSE;
    }
    if (major > RULES_MAJOR_VERSION || major == 0) {
        fail(error, source, data, "rules", "version",
             "version %s is not supported (this program reads major version %d)", r->version,
             RULES_MAJOR_VERSION);
        return FALSE;
    }
    gint max_text = DEFAULT_MAX_TEXT_BYTES, budget = DEFAULT_BUDGET_MS;
    if (!get_int(kf, "rules", "max_text_bytes", 1024, 16 * 1024 * 1024, &max_text, source, data, error) ||
        !get_int(kf, "rules", "budget_ms", 1, 60000, &budget, source, data, error))
        return FALSE;
    r->max_text_bytes = (gsize)max_text;
    r->budget_us = (gint64)budget * 1000;
    return TRUE;
}

static gboolean load_groups(Rules *r, GKeyFile *kf, const char *source, const char *data, GError **error)
{
    g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);
    for (gsize i = 0; groups[i]; i++) {
        const char *g = groups[i];
        if (strcmp(g, "rules") == 0)
            continue;
        if (g_str_has_prefix(g, "list ")) {
            static const char *const allowed[] = {"list_id", "address", NULL};
            if (!check_keys(kf, g, allowed, source, data, error))
                return FALSE;
            RuleList *l = g_new0(RuleList, 1);
            l->name = g_strstrip(g_strdup(g + 5));
            l->list_id = g_key_file_get_string(kf, g, "list_id", NULL);
            l->address = g_key_file_get_string(kf, g, "address", NULL);
            g_ptr_array_add(r->lists, l);
            if (!*l->name || !l->list_id || !l->address) {
                fail(error, source, data, g, NULL, "a list needs a name, list_id= and address=");
                return FALSE;
            }
        } else if (strcmp(g, "auto_reply") == 0) {
            static const char *const allowed[] = {"subjects", NULL};
            if (!check_keys(kf, g, allowed, source, data, error))
                return FALSE;
            g_auto(GStrv) subjects = g_key_file_get_string_list(kf, g, "subjects", NULL, NULL);
            GPtrArray *lo = g_ptr_array_new();
            for (gsize k = 0; subjects && subjects[k]; k++)
                if (*g_strstrip(subjects[k]))
                    g_ptr_array_add(lo, g_utf8_strdown(subjects[k], -1));
            g_ptr_array_add(lo, NULL);
            g_strfreev(r->auto_reply_subjects);
            r->auto_reply_subjects = (GStrv)g_ptr_array_free(lo, FALSE);
        } else if (strcmp(g, "report") == 0) {
            static const char *const allowed[] = {"negation", "revoke", NULL};
            if (!check_keys(kf, g, allowed, source, data, error))
                return FALSE;
            g_autofree char *neg = g_key_file_get_value(kf, g, "negation", NULL);
            g_autofree char *rev = g_key_file_get_value(kf, g, "revoke", NULL);
            if (!neg || !rev) {
                fail(error, source, data, g, NULL, "expected negation= and revoke=");
                return FALSE;
            }
            if (!(r->negation = compile(source, data, g, "negation", neg, error)) ||
                !(r->revoke = compile(source, data, g, "revoke", rev, error)))
                return FALSE;
        } else if (g_str_has_prefix(g, "strip ")) {
            static const char *const allowed[] = {"pattern", NULL};
            if (!check_keys(kf, g, allowed, source, data, error))
                return FALSE;
            g_autofree char *pat = g_key_file_get_value(kf, g, "pattern", NULL);
            if (!pat) {
                fail(error, source, data, g, NULL, "expected pattern=");
                return FALSE;
            }
            RulePattern *p = g_new0(RulePattern, 1);
            p->name = g_strstrip(g_strdup(g + 6));
            g_ptr_array_add(r->strip, p);
            if (!(p->re = compile(source, data, g, "pattern", pat, error)))
                return FALSE;
        } else if (g_str_has_prefix(g, "phrase ")) {
            static const char *const allowed[] = {"problem", "weight", "reason", "pattern", NULL};
            if (!check_keys(kf, g, allowed, source, data, error))
                return FALSE;
            RulePhrase *p = g_new0(RulePhrase, 1);
            g_ptr_array_add(r->phrases, p);
            p->name = g_strstrip(g_strdup(g + 7));
            p->problem = g_key_file_get_string(kf, g, "problem", NULL);
            p->pattern = g_key_file_get_value(kf, g, "pattern", NULL);
            p->weight = 1;
            if (!*p->name || !p->pattern) {
                fail(error, source, data, g, NULL, "a phrase needs a name and pattern=");
                return FALSE;
            }
            if (!p->problem || !known_key(problems, g_strstrip(p->problem))) {
                fail(error, source, data, g, "problem",
                     "expected key_compromise, misissuance, misuse or other");
                return FALSE;
            }
            if (!get_int(kf, g, "weight", 0, 100, &p->weight, source, data, error) ||
                !get_int(kf, g, "reason", 0, 16, &p->reason, source, data, error))
                return FALSE;
            if (!(p->re = compile(source, data, g, "pattern", p->pattern, error)))
                return FALSE;
        } else {
            fail(error, source, data, g, NULL,
                 "unknown group (expected [rules], [list NAME], [auto_reply], [report], [strip NAME], "
                 "[phrase NAME])");
            return FALSE;
        }
    }
    if (!r->negation) {
        fail(error, source, data, NULL, NULL, "expected a [report] group");
        return FALSE;
    }
    return TRUE;
}

Rules *rules_load_data(const char *data, gsize len, const char *source, GError **error)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autoptr(GError) e = NULL;
    /* GKeyFile needs a NUL-terminated copy for our line finder too */
    g_autofree char *text = g_strndup(data, len);
    if (!g_utf8_validate(text, -1, NULL) || strlen(text) != len) {
        g_set_error(error, CPR_ERROR, CPR_ERROR_CONFIG, "%s: not UTF-8 text", source);
        return NULL;
    }
    if (!g_key_file_load_from_data(kf, text, len, G_KEY_FILE_NONE, &e)) {
        g_set_error(error, CPR_ERROR, CPR_ERROR_CONFIG, "%s: %s", source, e->message);
        return NULL;
    }
    Rules *r = g_new0(Rules, 1);
    r->source = g_strdup(source);
    r->lists = g_ptr_array_new_with_free_func(list_free);
    r->phrases = g_ptr_array_new_with_free_func(phrase_free);
    r->strip = g_ptr_array_new_with_free_func(pattern_free);
    r->auto_reply_subjects = g_new0(char *, 1);
    if (!load_rules_group(r, kf, source, text, error) || !load_groups(r, kf, source, text, error)) {
        rules_free(&r);
        return NULL;
    }
    return r;
}

/* One pass over a text tells which phrases (and the revocation request, the
 * last entry) can match it at all (issue 16). The rules are shared by the
 * threads that parse ahead (intake_ahead.h), hence g_once: the first caller
 * builds both filters, the others wait for it. The fields are written once,
 * before g_once_init_leave publishes them; that is why a const Rules may be
 * cast here and nowhere else. */
static void build_filters(const Rules *rules)
{
    Rules *r = (Rules *)rules;
    if (!g_once_init_enter(&r->filters_once))
        return;
    const char **patterns = g_new0(const char *, r->phrases->len + 1);
    for (guint i = 0; i < r->phrases->len; i++)
        patterns[i] = ((RulePhrase *)g_ptr_array_index(r->phrases, i))->pattern;
    patterns[r->phrases->len] = g_regex_get_pattern(r->revoke);
    r->filter_ = phrase_filter_new(patterns, r->phrases->len + 1);
    g_free(patterns);
    patterns = g_new0(const char *, r->strip->len + 1);
    for (guint i = 0; i < r->strip->len; i++)
        patterns[i] = g_regex_get_pattern(((RulePattern *)g_ptr_array_index(r->strip, i))->re);
    r->strip_filter_ = phrase_filter_new(patterns, r->strip->len);
    g_free(patterns);
    g_once_init_leave(&r->filters_once, 1);
}

const PhraseFilter *rules_phrase_filter(const Rules *rules)
{
    build_filters(rules);
    return rules->filter_;
}

const PhraseFilter *rules_strip_filter(const Rules *rules)
{
    build_filters(rules);
    return rules->strip_filter_;
}

Rules *rules_load_file(const char *path, GError **error)
{
    g_autofree char *data = NULL;
    gsize len = 0;
    g_autoptr(GError) e = NULL;
    if (!g_file_get_contents(path, &data, &len, &e)) {
        g_set_error(error, CPR_ERROR, CPR_ERROR_CONFIG, "%s: %s", path, e->message);
        return NULL;
    }
    return rules_load_data(data, len, path, error);
}

/* The rules file to use: `configured` when set, else conf/rules.conf when run
 * from a source tree, else the installed copy. Caller frees. */
static char *rules_default_path(const char *configured)
{
    if (configured && *configured)
        return g_strdup(configured);
    if (g_file_test("conf/rules.conf", G_FILE_TEST_IS_REGULAR))
        return g_strdup("conf/rules.conf");
    char *installed = g_build_filename(CPR_SHARE_DIR, "rules.conf", NULL);
    if (g_file_test(installed, G_FILE_TEST_IS_REGULAR))
        return installed;
    /* Beside the program: installed under another PREFIX or DESTDIR
     * (../share/cpr-intake), or run from a source tree (bin/ or build/san/),
     * whatever the working directory. */
    g_autofree char *exe = g_file_read_link("/proc/self/exe", NULL);
    if (exe && g_path_is_absolute(exe)) {
        g_autofree char *dir = g_path_get_dirname(exe);
        const char *const rel[] = {"../share/cpr-intake/rules.conf", "../conf/rules.conf",
                                   "../../conf/rules.conf"};
        for (gsize i = 0; i < G_N_ELEMENTS(rel); i++) {
            char *p = g_build_filename(dir, rel[i], NULL);
            if (g_file_test(p, G_FILE_TEST_IS_REGULAR)) {
                g_free(installed);
                return p;
            }
            g_free(p);
        }
    }
    return installed; /* missing: the loader's error names it */
}

/* ----------------------------------------------------- process-wide rules */

static GMutex current_lock;
static Rules *current;
static GPtrArray *retired; /* replaced rules stay alive: a classifier may hold them */

gboolean rules_install(const char *configured, GError **error)
{
    g_autofree char *path = rules_default_path(configured);
    /* A process reads its configuration once; loading it again (tests, the
     * configuration fuzzer) with the same rules file keeps the rules. */
    g_mutex_lock(&current_lock);
    gboolean same = current && strcmp(current->source, path) == 0;
    g_mutex_unlock(&current_lock);
    if (same)
        return TRUE;
    Rules *r = rules_load_file(path, error);
    if (!r)
        return FALSE;
    g_mutex_lock(&current_lock);
    if (current) {
        if (!retired)
            retired = g_ptr_array_new();
        g_ptr_array_add(retired, current);
    }
    current = r;
    g_mutex_unlock(&current_lock);
    return TRUE;
}

const Rules *rules_current(void)
{
    g_mutex_lock(&current_lock);
    if (!current) {
        g_autofree char *path = rules_default_path(g_getenv("CPR_RULES"));
        g_autoptr(GError) e = NULL;
        current = rules_load_file(path, &e);
        if (!current)
            g_warning("rules: %s", e->message);
    }
    Rules *r = current;
    g_mutex_unlock(&current_lock);
    return r;
}
