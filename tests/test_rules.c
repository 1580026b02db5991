/* test_rules.c - the rules file (issue 11): the shipped conf/rules.conf loads;
 * bad files are refused with the file, the line and the pattern; nested
 * unbounded quantifiers are refused before they can run; the text cap and the
 * CPU budget hold on a hostile message; rules change classification. */
#include <string.h>

#include "classify.h"
#include "rules.h"

static const char *const ca_domains[] = {"acmetrust.test", NULL};
static const char *const ca_report[] = {"problems@acmetrust.test", NULL};
static const char *const none[] = {NULL};
static const CaIdentity acme = {
    .owner = "Acme Trust Services", .aliases = none, .ca_names = none,
    .domains = ca_domains, .report_addresses = ca_report,
};

#define HEAD "[rules]\nversion=1.0\n[report]\nnegation=\\bnot\\b\nrevoke=\\bplease revoke\\b\n"

static char *shipped_path(void)
{
    const char *top = g_getenv("CPR_TOP");
    return g_build_filename(top ? top : ".", "conf", "rules.conf", NULL);
}

static void test_shipped(void)
{
    g_autofree char *path = shipped_path();
    g_autoptr(GError) error = NULL;
    Rules *r = rules_load_file(path, &error);
    g_assert_no_error(error);
    g_assert_nonnull(r);
    g_assert_cmpuint(r->lists->len, ==, 2);
    g_assert_cmpuint(r->phrases->len, >=, 30);
    g_assert_nonnull(r->auto_reply_subjects[0]);
    /* every reason row is one of SPEC 2.3's */
    for (guint i = 0; i < r->phrases->len; i++) {
        const RulePhrase *p = g_ptr_array_index(r->phrases, i);
        g_assert_cmpint(p->reason, >=, 0);
        g_assert_cmpint(p->reason, <=, 16);
    }
    rules_free(&r);
    g_assert_null(r);
}

/* The phrase filters are built on first use, once, whichever thread asks
 * first (the threads that parse ahead share the rules): loading alone does
 * not build them, and eight threads asking at once all get the one filter. */
static gpointer ask_filters(gpointer data)
{
    const Rules *r = data;
    const PhraseFilter *f = rules_phrase_filter(r);
    g_assert_true(rules_strip_filter(r) != NULL);
    return (gpointer)f;
}

static void test_filters_lazy(void)
{
    g_autofree char *path = shipped_path();
    g_autoptr(GError) error = NULL;
    Rules *r = rules_load_file(path, &error);
    g_assert_no_error(error);
    g_assert_null(r->filter_);
    g_assert_null(r->strip_filter_);
    GThread *threads[8];
    for (guint i = 0; i < G_N_ELEMENTS(threads); i++)
        threads[i] = g_thread_new("filters", ask_filters, r);
    gpointer first = NULL;
    for (guint i = 0; i < G_N_ELEMENTS(threads); i++) {
        gpointer f = g_thread_join(threads[i]);
        g_assert_nonnull(f);
        if (!first)
            first = f;
        g_assert_true(f == first);
    }
    g_assert_true(rules_phrase_filter(r) == first);
    g_assert_cmpuint(phrase_filter_n_branches(first), >, r->phrases->len);
    rules_free(&r);
}

static void test_pattern_structure(void)
{
    static const char *const bad[] = {"(a+)+$", "(a*)*", "(?:\\w+\\s?)+x", "(x|y+){2,}", "((ab+)c)*",
                                      "(a+", "a)", "", NULL};
    static const char *const good[] = {"\\bkey[- ]compromise", "[^.\\n]{0,80}\\bprivate key", "(a+)?b",
                                       "(ab){1,3}", "[(+)]+", "\\(a+\\)+", "\\bBR \\d{1,2}(\\.\\d{1,3}){0,3}",
                                       NULL};
    for (gsize i = 0; bad[i]; i++) {
        g_autofree char *why = rules_pattern_problem(bad[i]);
        if (!why)
            g_test_message("accepted: %s", bad[i]);
        g_assert_nonnull(why);
    }
    for (gsize i = 0; good[i]; i++) {
        g_autofree char *why = rules_pattern_problem(good[i]);
        if (why)
            g_test_message("refused %s: %s", good[i], why);
        g_assert_null(why);
    }
}

typedef struct {
    const char *name;
    const char *text;
    const char *want; /* substring of the error */
} BadFile;

static const BadFile bad_files[] = {
    {"no rules group", "[report]\nnegation=x\nrevoke=y\n", "[rules]"},
    {"newer major version", "[rules]\nversion=2.0\n[report]\nnegation=x\nrevoke=y\n",
     "rules.test:2: [rules] version: version 2.0 is not supported"},
    {"bad version", "[rules]\nversion=soon\n", "expected MAJOR.MINOR"},
    {"nested quantifier named with line and pattern",
     HEAD "\n[phrase evil]\nproblem=other\npattern=(a+)+$\n",
     "rules.test:9: [phrase evil] pattern: pattern \"(a+)+$\" refused: nested unbounded quantifier"},
    {"syntax error", HEAD "[phrase broken]\nproblem=other\npattern=[abc\n", "does not compile"},
    {"unknown problem", HEAD "[phrase p]\nproblem=bad_luck\npattern=x\n", "[phrase p] problem"},
    {"reason out of range", HEAD "[phrase p]\nproblem=other\nreason=17\npattern=x\n",
     "expected an integer from 0 to 16"},
    {"unknown key", HEAD "[phrase p]\nproblem=other\npatern=x\n", "[phrase p] patern: unknown key"},
    {"unknown group", HEAD "[phrases]\n", "[phrases]: unknown group"},
    {"no report group", "[rules]\nversion=1.0\n", "expected a [report] group"},
    {"list without address", HEAD "[list x]\nlist_id=x.example\n", "a list needs"},
    {"not a key file", "this is not ini\n", "rules.test"},
};

static void test_bad_file(gconstpointer data)
{
    const BadFile *bf = data;
    g_autoptr(GError) error = NULL;
    Rules *r = rules_load_data(bf->text, strlen(bf->text), "rules.test", &error);
    g_assert_null(r);
    g_assert_nonnull(error);
    if (!strstr(error->message, bf->want))
        g_test_message("error \"%s\" lacks \"%s\"", error->message, bf->want);
    g_assert_nonnull(strstr(error->message, bf->want));
}

/* "(a+)+$" against 100 KB of "a" would backtrack for ages: it is refused at
 * load, before any message is read. */
static void test_redos_refused(void)
{
    GString *file = g_string_new(HEAD "[phrase evil]\nproblem=misuse\nweight=3\npattern=(a+)+$\n");
    gint64 t0 = g_get_monotonic_time();
    g_autoptr(GError) error = NULL;
    Rules *r = rules_load_data(file->str, file->len, "evil.conf", &error);
    g_assert_null(r);
    g_assert_nonnull(strstr(error->message, "(a+)+$"));
    g_assert_cmpint(g_get_monotonic_time() - t0, <, 2 * G_USEC_PER_SEC);
    g_string_free(file, TRUE);
}

/* The text cap bounds what each rule sees: a phrase past it is not read
 * (the same rules with a larger cap read it); a spent budget is reported. */
static Classification *classify_capped(const char *max, const char *budget, const GString *mail)
{
    g_autofree char *text = g_strdup_printf(
        "[rules]\nversion=1.0\nmax_text_bytes=%s\nbudget_ms=%s\n"
        "[report]\nnegation=\\bnot\\b\nrevoke=\\bplease revoke\\b\n"
        "[phrase late]\nproblem=misuse\nweight=3\npattern=\\bphishing\\b\n", max, budget);
    g_autoptr(GError) error = NULL;
    Rules *r = rules_load_data(text, strlen(text), "caps.conf", &error);
    g_assert_no_error(error);
    MimeMessage *m = mime_message_parse((const guint8 *)mail->str, mail->len, NULL);
    Identifiers *ids = extract_identifiers(m, ca_domains);
    Classification *c = classify_message_with(m, ids, &acme, r);
    extract_identifiers_free(&ids);
    mime_message_free(&m);
    rules_free(&r);
    return c;
}

static void test_caps(void)
{
    GString *mail = g_string_new("From: a@b.example\nTo: problems@acmetrust.test\nSubject: Serial: 0a0b0c0d0e0f1011\n\n");
    for (int i = 0; i < 200; i++)
        g_string_append(mail, "filler words here. ");
    g_string_append(mail, "\nThis is phishing.\n");
    Classification *c = classify_capped("65536", "10000", mail);
    g_assert_cmpint(c->kind, ==, KIND_CPR);
    g_assert_cmpint(c->problem, ==, PROBLEM_MISUSE);
    classification_free(&c);
    c = classify_capped("1024", "10000", mail);
    g_assert_cmpint(c->kind, ==, KIND_OTHER);
    classification_free(&c);
    g_string_free(mail, TRUE);
}

/* A CA's own rules change what a message is: a phrase added by the CA. */
static void test_rules_are_data(void)
{
    const char *mail = "From: a@b.example\nTo: problems@acmetrust.test\nSubject: Serial: 0a0b0c0d0e0f1011\n\n"
                       "The widget frobnicated.\n";
    const char *mine = HEAD "[phrase frob]\nproblem=misissuance\nweight=3\nreason=12\npattern=\\bfrobnicat\n";
    g_autoptr(GError) error = NULL;
    Rules *r = rules_load_data(mine, strlen(mine), "mine.conf", &error);
    g_assert_no_error(error);
    MimeMessage *m = mime_message_parse((const guint8 *)mail, strlen(mail), NULL);
    Identifiers *ids = extract_identifiers(m, ca_domains);
    g_assert_cmpuint(ids->serials->len, ==, 1);
    Classification *c = classify_message_with(m, ids, &acme, r);
    g_assert_cmpint(c->kind, ==, KIND_CPR);
    g_assert_cmpint(c->problem, ==, PROBLEM_MISISSUANCE);
    g_assert_cmpint(c->reason, ==, 12);
    g_assert_cmpstr(g_ptr_array_index(c->rules, c->rules->len - 1), ==, "frob");
    classification_free(&c);

    /* negation: "did not frobnicate" fires nothing */
    const char *neg = "From: a@b.example\nTo: problems@acmetrust.test\nSubject: Serial: 0a0b0c0d0e0f1011\n\n"
                      "It did not frobnicate.\n";
    MimeMessage *m2 = mime_message_parse((const guint8 *)neg, strlen(neg), NULL);
    c = classify_message_with(m2, ids, &acme, r);
    g_assert_cmpint(c->kind, ==, KIND_OTHER);
    g_assert_cmpint(c->reason, ==, 0);
    classification_free(&c);
    mime_message_free(&m2);
    extract_identifiers_free(&ids);
    mime_message_free(&m);
    rules_free(&r);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/rules/shipped", test_shipped);
    g_test_add_func("/rules/filters-lazy", test_filters_lazy);
    g_test_add_func("/rules/pattern-structure", test_pattern_structure);
    for (gsize i = 0; i < G_N_ELEMENTS(bad_files); i++) {
        g_autofree char *path = g_strdup_printf("/rules/bad/%s", bad_files[i].name);
        g_test_add_data_func(path, &bad_files[i], test_bad_file);
    }
    g_test_add_func("/rules/redos-refused", test_redos_refused);
    g_test_add_func("/rules/caps", test_caps);
    g_test_add_func("/rules/data", test_rules_are_data);
    return g_test_run();
}
