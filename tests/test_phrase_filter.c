/* test_phrase_filter.c - the one-pass phrase prefilter (issue 16): the
 * literals read from a pattern are the ones every match must contain; a
 * pattern the reader cannot vouch for is always run; and, over every text of
 * the fixtures and the shipped rules, the filter never says "cannot match"
 * for a regex that does match. Also: the content digest through GnuTLS is the
 * one GLib computed before, and the one of the normal form hashed in one
 * piece whatever falls on the edges of its buffer. */
#include <string.h>

#include <gnutls/crypto.h>

#include "content_digest.h"
#include "phrase_filter.h"
#include "rules.h"

static char *literals_of(const char *pattern)
{
    const char *one[] = {pattern};
    PhraseFilter *f = phrase_filter_new(one, 1);
    char *d = phrase_filter_describe(f, 0);
    phrase_filter_free(f);
    return d;
}

static void test_literals(void)
{
    static const struct {
        const char *pattern, *want;
    } cases[] = {
        {"\\bmis-?issu", "{\\bmis} & {issu}"},
        {"\\bkey (was |has been )?(leaked|stolen|copied)", "{\\bkey } & {leaked,stolen,copied}"},
        {"\\bCAA\\b", "{\\bcaa\\b}"},
        {"\\bprivate\\s+key", "{\\bprivate} & {key}"},
        {"secp(192|224)r1", "{secp} & {192,224}"}, /* "r1": too short to help */
        {"秘密鍵.{0,20}(漏洩|流出)", "{秘密鍵} & {漏洩,流出}"},
        /* a letter with case outside ASCII ends the literal */
        {"clé privée", "{ priv}"},
        {"(found|located) the key", "{found,located} & { the key}"},
        {"foo|[a-z]+", "ALWAYS"},          /* a branch without a literal */
        {"(?i)key", "ALWAYS"},             /* inline options */
        {"(a)\\1x", "ALWAYS"},             /* a backreference */
        {"(?=abc)", "ALWAYS"},             /* only a lookahead */
        {"\\x41BCD", "ALWAYS"},            /* an escape the reader does not know */
        {"abcd(ef|)", "{abcd}"},           /* an empty branch: that group is no help */
        {"abcde{2}", "{abcd}"},            /* a repeated character ends the run */
        {"a{,3}bcd", "ALWAYS"},            /* a literal in PCRE2 10.42, a quantifier later */
        {"xyz(abc)?uvw", "{xyz} & {uvw}"},
        {"ab[0-9]cd", "ALWAYS"},           /* two-letter literals would be everywhere */
        {"revok\\w*|revocation", "{revok} | {revocation}"},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *got = literals_of(cases[i].pattern);
        if (strcmp(got, cases[i].want))
            g_test_message("pattern %s", cases[i].pattern);
        g_assert_cmpstr(got, ==, cases[i].want);
    }
}

static void test_scan(void)
{
    const char *pats[] = {"\\bkey[- ]compromise", "\\bCAA\\b", "[0-9]+ ?[a-z]+", "\\bmis-?issu"};
    PhraseFilter *f = phrase_filter_new(pats, 4);
    gboolean hits[4];
    phrase_filter_scan(f, "Our KEY COMPROMISE report", hits);
    g_assert_true(hits[0]);
    g_assert_false(hits[1]);
    g_assert_true(hits[2]); /* no literal: always */
    g_assert_false(hits[3]);
    phrase_filter_scan(f, "caa record; MISISSUED", hits);
    g_assert_false(hits[0]);
    g_assert_true(hits[1]);
    g_assert_true(hits[3]);
    /* KELVIN SIGN matches "k" caseless: the filter steps aside */
    phrase_filter_scan(f, "\xE2\x84\xAA" "ey compromise", hits);
    g_assert_true(hits[0] && hits[1] && hits[3]);
    GRegex *re = g_regex_new(pats[0], G_REGEX_CASELESS, 0, NULL);
    g_assert_true(g_regex_match(re, "\xE2\x84\xAA" "ey compromise", 0, NULL));
    g_regex_unref(re);
    phrase_filter_scan(f, "", hits);
    g_assert_false(hits[0]);
    phrase_filter_free(f);

    /* a boundary next to a literal: "idn" inside "didn't" is no IDN */
    const char *idn[] = {"\\bIDN\\b", "(found|located) the key"};
    f = phrase_filter_new(idn, 2);
    phrase_filter_scan(f, "we didn't find the key", hits);
    g_assert_false(hits[0]);
    g_assert_false(hits[1]); /* " the key" without {found, located} */
    phrase_filter_scan(f, "an IDN, found: the key", hits);
    g_assert_true(hits[0]);
    g_assert_true(hits[1]); /* both sets present: the regex decides */
    phrase_filter_scan(f, "idn_x and \xC3\xA9idn\xC3\xA9", hits);
    g_assert_true(hits[0]); /* next to a byte outside ASCII: it might be a boundary */
    phrase_filter_free(f);
}

/* Every text under tests/fixtures (mail, samples, corpus, text), raw and
 * lower/upper-cased, against every shipped phrase and the revocation
 * request: a match the filter calls impossible is a failure. */
static void collect(const char *dir, GPtrArray *texts)
{
    GDir *d = g_dir_open(dir, 0, NULL);
    if (!d)
        return;
    const char *name;
    while ((name = g_dir_read_name(d))) {
        g_autofree char *path = g_build_filename(dir, name, NULL);
        if (g_file_test(path, G_FILE_TEST_IS_DIR)) {
            collect(path, texts);
            continue;
        }
        char *data = NULL;
        gsize len = 0;
        if (!g_file_get_contents(path, &data, &len, NULL))
            continue;
        if (len > 512 * 1024 || !g_utf8_validate(data, (gssize)len, NULL) || strlen(data) != len) {
            g_free(data);
            continue;
        }
        g_ptr_array_add(texts, data);
    }
    g_dir_close(d);
}

/* The texts of the fixtures, each also upper- and lower-cased. */
static GPtrArray *fixture_texts(void)
{
    const char *top = g_getenv("CPR_TOP");
    GPtrArray *texts = g_ptr_array_new_with_free_func(g_free);
    static const char *const dirs[] = {"mail", "samples", "corpus", "text", "mail-hostile"};
    for (gsize i = 0; i < G_N_ELEMENTS(dirs); i++) {
        g_autofree char *d = g_build_filename(top ? top : ".", "tests", "fixtures", dirs[i], NULL);
        collect(d, texts);
    }
    guint n = texts->len;
    g_assert_cmpuint(n, >=, 20);
    for (guint i = 0; i < n; i++) {
        g_ptr_array_add(texts, g_utf8_strup(g_ptr_array_index(texts, i), -1));
        g_ptr_array_add(texts, g_utf8_strdown(g_ptr_array_index(texts, i), -1));
    }
    return texts;
}

static Rules *shipped_rules(void)
{
    const char *top = g_getenv("CPR_TOP");
    g_autofree char *path = g_build_filename(top ? top : ".", "conf", "rules.conf", NULL);
    g_autoptr(GError) error = NULL;
    Rules *r = rules_load_file(path, &error);
    g_assert_no_error(error);
    return r;
}

static void test_sound_on_fixtures(void)
{
    Rules *r = shipped_rules();
    GPtrArray *texts = fixture_texts();
    guint np = r->phrases->len + 1, matched = 0, skipped = 0;
    gboolean *hits = g_new(gboolean, np);
    for (guint i = 0; i < texts->len; i++) {
        const char *t = g_ptr_array_index(texts, i);
        phrase_filter_scan(rules_phrase_filter(r), t, hits);
        for (guint p = 0; p < np; p++) {
            const GRegex *re = p < r->phrases->len
                                   ? ((const RulePhrase *)g_ptr_array_index(r->phrases, p))->re
                                   : r->revoke;
            gboolean m = g_regex_match(re, t, 0, NULL);
            if (m && !hits[p])
                g_test_message("phrase %u missed by the filter in text %u", p, i);
            g_assert_true(!m || hits[p]);
            matched += m;
            skipped += !hits[p];
        }
    }
    gboolean *shits = g_new(gboolean, r->strip->len);
    guint smatched = 0;
    for (guint i = 0; i < texts->len; i++) {
        const char *t = g_ptr_array_index(texts, i);
        phrase_filter_scan(rules_strip_filter(r), t, shits);
        for (guint p = 0; p < r->strip->len; p++) {
            gboolean m = g_regex_match(((const RulePattern *)g_ptr_array_index(r->strip, p))->re, t, 0, NULL);
            g_assert_true(!m || shits[p]);
            smatched += m;
        }
    }
    g_assert_cmpuint(smatched, >, 10);
    g_free(shits);
    g_test_message("%u texts, %u matches, %u regex runs skipped", texts->len, matched, skipped);
    g_assert_cmpuint(matched, >, 50); /* the check saw real matches */
    g_assert_cmpuint(skipped, >, texts->len * np / 2); /* and the filter does skip */
    g_free(hits);
    g_ptr_array_unref(texts);
    rules_free(&r);
}

/* The digest as GLib computed it before (one update per piece). */
static char *reference_digest(const guint8 *raw, gsize len)
{
    GString *norm = g_string_new(NULL);
    const guint8 *p = raw, *end = raw + len;
    gboolean skipping = FALSE, body = FALSE;
    while (p < end) {
        const guint8 *nl = memchr(p, '\n', (gsize)(end - p));
        const guint8 *le = nl ? nl + 1 : end;
        gsize n = (gsize)(le - p);
        if (!body && ((n == 1 && p[0] == '\n') || (n == 2 && p[0] == '\r' && p[1] == '\n')))
            body = TRUE;
        gboolean keep = TRUE;
        if (!body) {
            if (p[0] == ' ' || p[0] == '\t') {
                keep = !skipping;
            } else {
                const guint8 *colon = memchr(p, ':', n);
                g_autofree char *name = colon ? g_ascii_strdown((const char *)p, colon - p) : NULL;
                skipping = name && (g_str_has_prefix(name, "arc-") || !strcmp(name, "received") ||
                                    !strcmp(name, "delivered-to") || !strcmp(name, "return-path") ||
                                    !strcmp(name, "x-original-to") ||
                                    !strcmp(name, "authentication-results") ||
                                    !strcmp(name, "dkim-signature"));
                keep = !skipping;
            }
        }
        for (const guint8 *q = p; keep && q < le; q++) {
            if (*q == '\r') {
                if (q + 1 >= end || q[1] != '\n')
                    g_string_append_c(norm, '\n');
            } else {
                g_string_append_c(norm, (char)*q);
            }
        }
        p = le;
    }
    char *d = g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *)norm->str, norm->len);
    g_string_free(norm, TRUE);
    return d;
}

static void test_content_digest(void)
{
    static const char *const msgs[] = {
        "Received: from x\r\n\tby y\r\nSubject: a\r\n\r\nbody\r\nline\r\n",
        "Subject: a\nReceived: x\n y\nFrom: b\n\nbody\rlone cr\r\n",
        "DKIM-Signature: v=1\r\nARC-Seal: i=1\r\nTo: c\r\n\r\n",
        "no header end\r",
        "",
    };
    for (gsize i = 0; i < G_N_ELEMENTS(msgs); i++) {
        gsize len = strlen(msgs[i]);
        g_autofree char *got = content_digest_sha256((const guint8 *)msgs[i], len);
        g_autofree char *want = reference_digest((const guint8 *)msgs[i], len);
        g_assert_cmpstr(got, ==, want);
    }
    /* a body larger than the hash buffer, CR LF throughout */
    GString *big = g_string_new("Subject: big\r\n\r\n");
    for (int k = 0; k < 20000; k++)
        g_string_append_printf(big, "line %d of a long report\r\n", k);
    g_autofree char *got = content_digest_sha256((const guint8 *)big->str, big->len);
    g_autofree char *want = reference_digest((const guint8 *)big->str, big->len);
    g_assert_cmpstr(got, ==, want);
    g_string_free(big, TRUE);
}

/* The normal form written out byte by byte, another way than the two
 * readers above: header lines split first, a trace field dropped with its
 * continuation lines, then CR LF and lone CR turned into LF over what is
 * kept; hashed in one gnutls_hash_fast call. */
static char *reference_digest_fast(const char *raw, gsize len)
{
    GString *kept = g_string_new(NULL);
    gsize i = 0;
    gboolean drop = FALSE;
    while (i < len) {
        gsize j = i;
        while (j < len && raw[j] != '\n')
            j++;
        gsize next = j < len ? j + 1 : len;
        gboolean blank = (j == i) || (j == i + 1 && raw[i] == '\r');
        if (blank && j < len) {
            g_string_append_len(kept, raw + i, (gssize)(len - i));
            break;
        }
        if (raw[i] != ' ' && raw[i] != '\t') {
            const char *colon = memchr(raw + i, ':', next - i);
            drop = FALSE;
            if (colon) {
                g_autofree char *name = g_ascii_strdown(raw + i, colon - (raw + i));
                static const char *const trace[] = {"received", "delivered-to", "return-path",
                                                    "x-original-to", "authentication-results",
                                                    "dkim-signature"};
                drop = g_str_has_prefix(name, "arc-");
                for (gsize t = 0; t < G_N_ELEMENTS(trace); t++)
                    drop = drop || !strcmp(name, trace[t]);
            }
        }
        if (!drop)
            g_string_append_len(kept, raw + i, (gssize)(next - i));
        i = next;
    }
    GString *lf = g_string_sized_new(kept->len);
    for (gsize k = 0; k < kept->len; k++) {
        if (kept->str[k] != '\r')
            g_string_append_c(lf, kept->str[k]);
        else if (k + 1 >= kept->len || kept->str[k + 1] != '\n')
            g_string_append_c(lf, '\n');
    }
    guint8 md[32];
    g_assert_cmpint(gnutls_hash_fast(GNUTLS_DIG_SHA256, lf->str, lf->len, md), ==, 0);
    GString *hex = g_string_new(NULL);
    for (gsize k = 0; k < sizeof md; k++)
        g_string_append_printf(hex, "%02x", md[k]);
    g_string_free(kept, TRUE);
    g_string_free(lf, TRUE);
    return g_string_free(hex, FALSE);
}

/* Pads `s` with a header line so that its normal form (LF only, the trace
 * field `lead` dropped) reaches `at` bytes. */
static void pad_to(GString *s, gsize *norm_len, gsize at)
{
    g_assert_cmpuint(at, >=, *norm_len + 8);
    gsize fill = at - *norm_len - 8; /* "X-Pad: " + fill + "\n" */
    g_string_append(s, "X-Pad: ");
    for (gsize k = 0; k < fill; k++)
        g_string_append_c(s, (char)('a' + k % 26));
    g_string_append(s, "\r\n");
    *norm_len = at;
}

/* Inputs many times the digest's 64 KiB buffer, with the CR of a CR LF, a
 * lone CR, an LF and a whole line landing on each side of every buffer edge
 * (of the input and of the normal form), a trace field across an edge, and
 * lines longer than the buffer: the same digest as the normal form hashed in
 * one piece by GnuTLS. */
static void test_content_digest_chunks(void)
{
    const gsize buf = 64 * 1024;
    guint cases = 0;
    for (gint shift = -3; shift <= 3; shift++) {
        for (int ending = 0; ending < 3; ending++) {
            GString *s = g_string_new("Received: from relay.example by mx.example\r\n"
                                      "\tfor <ops@acme.test>; Mon, 1 Dec 2026 10:00:00 +0000\r\n"
                                      "Subject: chunk edges\r\n");
            gsize norm = strlen("Subject: chunk edges\n");
            /* header lines that end right at (shift from) the first edges */
            pad_to(s, &norm, buf + (gsize)(shift + 8));
            g_string_append(s, "ARC-Seal: i=1; a=rsa-sha256; d=example\r\n  b=abc\r\n");
            g_string_append(s, "\r\n");
            norm += 1;
            const char *eol = ending == 0 ? "\r\n" : ending == 1 ? "\n" : "\r";
            /* body lines of 41 bytes, CR at every offset modulo the edge */
            for (int k = 0; norm < 3 * buf + 100; k++) {
                g_string_append_printf(s, "line %05d of the body, an example text%s", k, eol);
                norm += 40 + 1;
            }
            /* one line longer than the buffer, then mixed endings */
            for (gsize k = 0; k < buf + 17; k++)
                g_string_append_c(s, (char)('A' + k % 26));
            g_string_append(s, "\r\n\r\r\n\n\r");
            g_autofree char *got = content_digest_sha256((const guint8 *)s->str, s->len);
            g_autofree char *want = reference_digest_fast(s->str, s->len);
            g_autofree char *glib = reference_digest((const guint8 *)s->str, s->len);
            g_assert_cmpstr(got, ==, want);
            g_assert_cmpstr(got, ==, glib);
            /* every prefix that cuts the input near the buffer edges */
            for (gsize cut = buf - 3; cut <= buf + 3; cut++) {
                g_autofree char *g2 = content_digest_sha256((const guint8 *)s->str, cut);
                g_autofree char *w2 = reference_digest_fast(s->str, cut);
                g_assert_cmpstr(g2, ==, w2);
            }
            /* the trace fields do count: a change in them is not seen, a
             * change elsewhere is */
            GString *t = g_string_new_len(s->str, (gssize)s->len);
            t->str[10] = 'X';
            g_autofree char *same = content_digest_sha256((const guint8 *)t->str, t->len);
            g_assert_cmpstr(same, ==, got);
            t->str[t->len - 10] ^= 1;
            g_autofree char *other = content_digest_sha256((const guint8 *)t->str, t->len);
            g_assert_cmpstr(other, !=, got);
            g_string_free(t, TRUE);
            g_string_free(s, TRUE);
            cases++;
        }
    }
    g_assert_cmpuint(cases, ==, 21);
}

/* Every match of `re` in `text` as "start-end ", the GRegex way. */
static char *whole_matches(const GRegex *re, const char *text)
{
    GString *out = g_string_new(NULL);
    g_autoptr(GMatchInfo) mi = NULL;
    g_regex_match(re, text, 0, &mi);
    while (g_match_info_matches(mi)) {
        gint s = 0, e = 0;
        g_match_info_fetch_pos(mi, 0, &s, &e);
        g_string_append_printf(out, "%d-%d ", s, e);
        g_match_info_next(mi, NULL);
    }
    return g_string_free(out, FALSE);
}

/* The same through phrase_matches_next(). */
static char *split_matches(const PhraseFilter *f, guint i, const GRegex *re, const char *text,
                           const gboolean *branch_hits)
{
    GString *out = g_string_new(NULL);
    g_autoptr(PhraseMatches) m = phrase_matches_new(f, i, re, text, branch_hits);
    gint s = 0, e = 0;
    while (phrase_matches_next(m, &s, &e))
        g_string_append_printf(out, "%d-%d ", s, e);
    g_assert_false(phrase_matches_next(m, &s, &e)); /* and stays at the end */
    return g_string_free(out, FALSE);
}

/* Branch by branch, the matches of the whole: the earliest start first, the
 * earlier branch on a tie, a branch's match that began inside the last
 * match searched again after it. */
static void test_matches_handmade(void)
{
    static const struct {
        const char *pattern, *text, *want;
    } cases[] = {
        /* a tie at 0: the first branch's shorter match, then nothing left */
        {"abcd|abcdef", "abcdef", "0-4 "},
        {"abcdef|abcd", "abcdef abcd", "0-6 7-11 "},
        /* "bar baz" at 4 began inside "foo bar": searched again from 7 */
        {"\\bfoo bar|bar baz", "foo bar baz bar baz", "0-7 12-19 "},
        /* a later branch's match kept while earlier ones come first */
        {"alpha|omega|delta", "delta alpha alpha omega", "0-5 6-11 12-17 18-23 "},
        /* one branch cannot match (its literal is missing): the others */
        {"\\bkey compromise|revok\\w*|gamma ray", "revoked; REVOKE; revocation", "0-7 9-15 "},
        {"\\bone\\b|\\btwo\\b|\\bthree\\b", "three two one twofold one", "0-5 6-9 10-13 22-25 "},
        /* branches with groups and classes inside */
        {"(found|seen) the key|key (was |is )?(lost|stolen)", "found the key was stolen; key lost",
         "0-13 26-34 "},
        {"please[^.]{0,20}revok\\w*|revoke (it|them)", "please revoke it now. revoke them",
         "0-13 22-33 "},
        {"abcd|bcde|cdef", "abcdefg bcdefg cdefg", "0-4 8-12 15-19 "},
        {"xyz1|wxyz", "", ""},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        const char *pats[] = {cases[i].pattern};
        PhraseFilter *f = phrase_filter_new(pats, 1);
        GRegex *re = g_regex_new(cases[i].pattern, PHRASE_FILTER_COMPILE_FLAGS, 0, NULL);
        g_assert_nonnull(re);
        guint nb = phrase_filter_n_branches(f);
        g_assert_cmpuint(nb, >, 1);
        gboolean hit = FALSE, *bhits = g_new(gboolean, nb);
        phrase_filter_scan_branches(f, cases[i].text, &hit, bhits);
        g_autofree char *whole = whole_matches(re, cases[i].text);
        g_autofree char *split = split_matches(f, 0, re, cases[i].text, bhits);
        g_autofree char *all = split_matches(f, 0, re, cases[i].text, NULL);
        if (strcmp(whole, cases[i].want))
            g_test_message("pattern %s: %s", cases[i].pattern, whole);
        g_assert_cmpstr(whole, ==, cases[i].want);
        g_assert_cmpstr(split, ==, whole);
        g_assert_cmpstr(all, ==, whole);
        g_free(bhits);
        g_regex_unref(re);
        phrase_filter_free(f);
    }

    /* the branches are what runs: given another regex compiled the same
     * way, the matches are still the pattern's; compiled otherwise, that
     * regex runs (the branches would not be the same pattern) */
    const char *pats[] = {"abcd|wxyz"};
    PhraseFilter *f = phrase_filter_new(pats, 1);
    GRegex *same = g_regex_new("abcd", PHRASE_FILTER_COMPILE_FLAGS, 0, NULL);
    GRegex *other = g_regex_new("abcd", G_REGEX_CASELESS, 0, NULL);
    g_autofree char *via_branches = split_matches(f, 0, same, "abcd wxyz", NULL);
    g_autofree char *via_other = split_matches(f, 0, other, "abcd wxyz", NULL);
    g_assert_cmpstr(via_branches, ==, "0-4 5-9 ");
    g_assert_cmpstr(via_other, ==, "0-4 ");
    /* one branch only, or a pattern always run: the regex itself */
    const char *one[] = {"abcd", "abcd|[a-z]+"};
    PhraseFilter *g = phrase_filter_new(one, 2);
    g_assert_cmpuint(phrase_filter_n_branches(g), ==, 1);
    GRegex *wide = g_regex_new("[a-z]+", PHRASE_FILTER_COMPILE_FLAGS, 0, NULL);
    g_autofree char *single = split_matches(g, 0, wide, "abcd wxyz", NULL);
    g_autofree char *always = split_matches(g, 1, wide, "abcd wxyz", NULL);
    g_assert_cmpstr(single, ==, "0-4 5-9 ");
    g_assert_cmpstr(always, ==, "0-4 5-9 ");
    g_regex_unref(wide);
    phrase_filter_free(g);
    g_regex_unref(same);
    g_regex_unref(other);
    phrase_filter_free(f);
}

/* Over every text of the fixtures, each shipped phrase and the revocation
 * request: the matches branch by branch (those the filter lets run) are
 * those of the whole regex, all of them, in order. */
static void test_matches_on_fixtures(void)
{
    Rules *r = shipped_rules();
    GPtrArray *texts = fixture_texts();
    guint np = r->phrases->len + 1, nb = phrase_filter_n_branches(rules_phrase_filter(r));
    gboolean *hits = g_new(gboolean, np), *bhits = g_new(gboolean, nb);
    guint compared = 0, with_matches = 0, branches_skipped = 0;
    for (guint i = 0; i < texts->len; i++) {
        const char *t = g_ptr_array_index(texts, i);
        phrase_filter_scan_branches(rules_phrase_filter(r), t, hits, bhits);
        for (guint b = 0; b < nb; b++)
            branches_skipped += !bhits[b];
        for (guint p = 0; p < np; p++) {
            if (!hits[p])
                continue;
            const GRegex *re = p < r->phrases->len
                                   ? ((const RulePhrase *)g_ptr_array_index(r->phrases, p))->re
                                   : r->revoke;
            g_autofree char *whole = whole_matches(re, t);
            g_autofree char *split = split_matches(rules_phrase_filter(r), p, re, t, bhits);
            if (strcmp(whole, split))
                g_test_message("phrase %u, text %u: %s against %s", p, i, split, whole);
            g_assert_cmpstr(split, ==, whole);
            compared++;
            with_matches += *whole != '\0';
        }
    }
    g_test_message("%u texts, %u regex runs compared, %u with matches, %u branches skipped", texts->len,
                   compared, with_matches, branches_skipped);
    g_assert_cmpuint(with_matches, >, 50);
    g_assert_cmpuint(branches_skipped, >, texts->len * nb / 2);
    g_free(hits);
    g_free(bhits);
    g_ptr_array_unref(texts);
    rules_free(&r);
}

/* The CA's regex (classify.c: its names as whole words, its domains with
 * their subdomains, lookarounds on both sides) is run only where the filter
 * finds a name or a domain: over every fixture text, never a match it calls
 * impossible. */
static void test_ca_pattern_on_fixtures(void)
{
    const char *pattern =
        "(?<![\\w@.-])(?:Acme Trust Services|AcmeTrust|Acme Trust|AcmeTrust TLS RSA CA 2024|"
        "AcmeTrust ECC DV CA R3)(?![\\w-]|\\.\\w)|"
        "(?<![\\w.@-])(?:[a-z0-9-]+\\.)*(?:acmetrust\\.test|acme-trust\\.test)(?![\\w-]|\\.[a-z0-9])";
    const char *one[] = {pattern};
    PhraseFilter *f = phrase_filter_new(one, 1);
    g_autofree char *d = phrase_filter_describe(f, 0);
    g_assert_cmpstr(d, ==,
                    "{acme trust services,acmetrust,acme trust,acmetrust tls rsa ca 2024,acmetrust ecc dv ca r3}"
                    " | {acmetrust.test,acme-trust.test}");
    GRegex *re = g_regex_new(pattern, G_REGEX_CASELESS | G_REGEX_OPTIMIZE, 0, NULL);
    g_assert_nonnull(re);
    GPtrArray *texts = fixture_texts();
    guint matched = 0, skipped = 0;
    for (guint i = 0; i < texts->len; i++) {
        const char *t = g_ptr_array_index(texts, i);
        gboolean may = FALSE;
        phrase_filter_scan(f, t, &may);
        gboolean m = g_regex_match(re, t, 0, NULL);
        g_assert_true(!m || may);
        matched += m;
        skipped += !may;
    }
    g_test_message("%u texts, %u mention the CA, %u skipped", texts->len, matched, skipped);
    g_assert_cmpuint(matched, >, 20); /* the fixtures are mostly about the CA */
    g_assert_cmpuint(skipped, >=, 10);
    g_ptr_array_unref(texts);
    g_regex_unref(re);
    phrase_filter_free(f);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/phrase_filter/literals", test_literals);
    g_test_add_func("/phrase_filter/scan", test_scan);
    g_test_add_func("/phrase_filter/sound-on-fixtures", test_sound_on_fixtures);
    g_test_add_func("/phrase_filter/matches-handmade", test_matches_handmade);
    g_test_add_func("/phrase_filter/matches-on-fixtures", test_matches_on_fixtures);
    g_test_add_func("/phrase_filter/ca-pattern-on-fixtures", test_ca_pattern_on_fixtures);
    g_test_add_func("/content_digest/same-as-glib", test_content_digest);
    g_test_add_func("/content_digest/chunk-edges", test_content_digest_chunks);
    return g_test_run();
}
