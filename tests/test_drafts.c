/* test_drafts.c - the Preliminary Incident Report and the Bugzilla bug of
 * every sample case: no reporter secret survives (names accent-insensitive,
 * addresses), every certificate identifier does; consent names the reporter
 * and revocation hides them again, both audited; the CCADB template's
 * headings and fields in order for 2.1 and 3.2, N/A fields, version choice
 * and the superseded-template refusal; hostile mail stays inert; the leak
 * check fails closed with an error that names the case, not the identifier. */
#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <stdlib.h>
#include <string.h>

#include <gmime/gmime.h>

#include "audit.h"
#include "cases.h"
#include "config.h"
#include "consent.h"
#include "cpr_error.h"
#include "drafts.h"
#include "obligations.h"
#include "intake.h"
#include "redact.h"
#include "testutil.h"

#define HOSTILE "mail-hostile/hostile-markdown.eml"
#define TEMPLATES "conf/templates"
#define INGEST_NOW 1750000000  /* 2025-06-15, after every sample */
#define DRAFT_NOW 1750000000
#define V32_EFFECTIVE 1773964800 /* 2026-03-20T00:00:00Z */
#define DAY 86400

static char *tmpdir;
static Config *cfg;

typedef struct {
    Store *store;
    GHashTable *case_of;   /* file name -> case id (GINT_TO_POINTER), 0 = none */
    JsonParser *manifest;
} Fixture;

/* The fixture REL (e.g. "samples/001-kc-csr-proof.eml") by an intake of its own. */
static void ingest_fixture(Store *store, const char *rel, gint64 *case_id_r)
{
    Intake *in = intake_new(store, cfg, NULL);
    IntakeResult *r = tu_ingest_fixture(in, rel, INGEST_NOW);
    if (case_id_r)
        *case_id_r = r ? r->case_id : 0;
    intake_result_free(&r);
    intake_free(&in);
}

/* A store NAME in tmpdir with every sample of the manifest ingested. */
static void fixture_open(Fixture *f, const char *name)
{
    f->store = tu_store_open(tmpdir, name);
    f->case_of = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    f->manifest = json_parser_new();
    JsonArray *m = tu_load_manifest("samples/manifest.json", f->manifest);
    g_assert_nonnull(m);
    for (guint i = 0; m && i < json_array_get_length(m); i++) {
        const char *file =
            json_object_get_string_member(json_array_get_object_element(m, i), "file");
        g_autofree char *rel = g_build_filename("samples", file, NULL);
        gint64 case_id = 0;
        ingest_fixture(f->store, rel, &case_id);
        g_hash_table_insert(f->case_of, g_strdup(file), GINT_TO_POINTER((gint)case_id));
    }
}

static void fixture_close(Fixture *f)
{
    g_hash_table_unref(f->case_of);
    g_object_unref(f->manifest);
    store_free(&f->store);
}

static char *render(Fixture *f, gint64 case_id, DraftFormat format, gint64 now, GError **error)
{
    return drafts_render(f->store, cfg, case_id, format, now, error);
}

/* `needle` in `hay` as a whole word, both folded (accent- and case-insensitive). */
static gboolean folded_word_in(const char *hay, const char *needle)
{
    g_autofree char *h = redact_fold(hay);
    g_autofree char *n = redact_fold(needle);
    gsize nl = strlen(n);
    for (const char *p = strstr(h, n); p; p = strstr(p + 1, n)) {
        gboolean left = p == h || !g_unichar_isalnum(g_utf8_get_char(g_utf8_prev_char(p)));
        gboolean right = !p[nl] || !g_unichar_isalnum(g_utf8_get_char(p + nl));
        if (left && right)
            return TRUE;
    }
    return FALSE;
}

static gint64 count(Store *s, const char *sql)
{
    sqlite3_stmt *st = store_prepare(s, sql, NULL);
    g_assert_nonnull(st);
    g_assert_cmpint(sqlite3_step(st), ==, SQLITE_ROW);
    gint64 n = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return n;
}

/* The string members of a JSON object, one per line; NULL when not JSON. */
static char *json_text(const char *json, JsonObject **copy_r)
{
    g_autoptr(JsonParser) p = json_parser_new();
    if (!json_parser_load_from_data(p, json, -1, NULL))
        return NULL;
    JsonNode *root = json_parser_get_root(p);
    if (!JSON_NODE_HOLDS_OBJECT(root))
        return NULL;
    JsonObject *o = json_node_get_object(root);
    GString *s = g_string_new(NULL);
    g_autoptr(GList) members = json_object_get_members(o);
    for (GList *m = members; m; m = m->next) {
        JsonNode *n = json_object_get_member(o, m->data);
        if (JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING)
            g_string_append_printf(s, "%s\n", json_node_get_string(n));
    }
    if (copy_r)
        *copy_r = json_object_ref(o);
    return g_string_free(s, FALSE);
}

/* ---- every sample case, both formats ------------------------------------ */

static void test_samples(void)
{
    Fixture f;
    fixture_open(&f, "samples.db");
    JsonArray *m = json_node_get_array(json_parser_get_root(f.manifest));
    g_autoptr(GHashTable) seen = g_hash_table_new(g_direct_hash, g_direct_equal);
    for (guint i = 0; i < json_array_get_length(m); i++) {
        JsonObject *entry = json_array_get_object_element(m, i);
        const char *file = json_object_get_string_member(entry, "file");
        gint case_id = GPOINTER_TO_INT(g_hash_table_lookup(f.case_of, file));
        if (!case_id)
            continue;
        g_hash_table_add(seen, GINT_TO_POINTER(case_id));
        for (int fmt = DRAFT_MARKDOWN; fmt <= DRAFT_BUGZILLA_JSON; fmt++) {
            GError *error = NULL;
            g_autofree char *out = render(&f, case_id, (DraftFormat)fmt, DRAFT_NOW, &error);
            g_assert_no_error(error);
            g_assert_nonnull(out);
            if (!out)
                continue;
            g_autofree char *text = NULL;
            if (fmt == DRAFT_BUGZILLA_JSON) {
                text = json_text(out, NULL);
                g_assert_nonnull(text); /* valid JSON */
                if (!text)
                    continue;
            } else {
                text = g_strdup(out);
            }
            JsonArray *names = json_object_get_array_member(entry, "secret_names");
            for (guint k = 0; k < json_array_get_length(names); k++) {
                const char *n = json_array_get_string_element(names, k);
                if (folded_word_in(text, n) || folded_word_in(out, n))
                    g_test_message("%s (case %d, format %d): name '%s' leaked", file, case_id,
                                   fmt, n);
                g_assert_false(folded_word_in(text, n));
                g_assert_false(folded_word_in(out, n));
            }
            JsonArray *emails = json_object_get_array_member(entry, "secret_emails");
            for (guint k = 0; k < json_array_get_length(emails); k++) {
                g_autofree char *e = redact_fold(json_array_get_string_element(emails, k));
                g_autofree char *ft = redact_fold(text);
                g_autofree char *fo = redact_fold(out);
                g_assert_null(strstr(ft, e));
                g_assert_null(strstr(fo, e));
            }
            const char *keys[] = {"serials", "sha256"};
            for (gsize k = 0; k < G_N_ELEMENTS(keys); k++) {
                JsonArray *ids = json_object_get_array_member(entry, keys[k]);
                for (guint x = 0; x < json_array_get_length(ids); x++) {
                    const char *id = json_array_get_string_element(ids, x);
                    if (!strstr(text, id))
                        g_test_message("%s: %s %s missing", file, keys[k], id);
                    g_assert_nonnull(strstr(text, id));
                }
                if (!strcmp(keys[k], "sha256"))
                    for (guint x = 0; x < json_array_get_length(ids); x++) {
                        g_autofree char *link = g_strdup_printf(
                            "https://crt.sh/?sha256=%s", json_array_get_string_element(ids, x));
                        g_assert_nonnull(strstr(text, link));
                    }
            }
            /* a community member, since nobody has consented */
            if (fmt == DRAFT_MARKDOWN)
                g_assert_nonnull(strstr(out, "community member"));
        }
    }
    g_assert_cmpuint(g_hash_table_size(seen), ==, 8);
    /* drafts do not change the case: no event unless a leak was blocked */
    g_assert_cmpint(count(f.store, "SELECT count(*) FROM events WHERE type='leak_blocked'"), ==, 0);
    fixture_close(&f);
}

static void test_bugzilla_fields(void)
{
    Fixture f;
    fixture_open(&f, "bug.db");
    gint case_id = GPOINTER_TO_INT(g_hash_table_lookup(f.case_of, "001-kc-csr-proof.eml"));
    GError *error = NULL;
    g_autofree char *json = render(&f, case_id, DRAFT_BUGZILLA_JSON, DRAFT_NOW, &error);
    g_assert_no_error(error);
    JsonObject *o = NULL;
    g_autofree char *text = json_text(json, &o);
    g_assert_nonnull(o);
    g_autofree char *md = render(&f, case_id, DRAFT_MARKDOWN, DRAFT_NOW, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(json_object_get_string_member(o, "product"), ==, "CA Program");
    g_assert_cmpstr(json_object_get_string_member(o, "component"), ==,
                    "CA Certificate Compliance");
    g_assert_cmpstr(json_object_get_string_member(o, "version"), ==, "other");
    g_assert_cmpstr(json_object_get_string_member(o, "type"), ==, "task");
    g_assert_cmpstr(json_object_get_string_member(o, "summary"), ==,
                    "Acme Trust Services: Key compromise reported for 1 certificate");
    g_assert_true(g_str_has_prefix(json_object_get_string_member(o, "whiteboard"),
                                   "[ca-compliance]"));
    g_assert_cmpstr(json_object_get_string_member(o, "description"), ==, md);
    g_assert_false(json_object_has_member(o, "groups"));
    json_object_unref(o);
    o = NULL;

    /* the revocation deadline (24 h) has passed at DRAFT_NOW: proposed tag */
    g_free(json);
    json = render(&f, case_id, DRAFT_BUGZILLA_JSON, DRAFT_NOW, &error);
    g_assert_nonnull(strstr(json, "[leaf-revocation-delay]"));

    /* misissuance with a parsed DV certificate (003) */
    gint mis = GPOINTER_TO_INT(g_hash_table_lookup(f.case_of, "003-misissuance-pem-attachment.eml"));
    g_free(json);
    json = render(&f, mis, DRAFT_BUGZILLA_JSON, 1747731712 + 3600, &error);
    g_assert_no_error(error);
    g_free(text);
    text = json_text(json, &o);
    g_assert_cmpstr(json_object_get_string_member(o, "whiteboard"), ==,
                    "[ca-compliance] [dv-misissuance]");
    g_assert_true(g_str_has_prefix(json_object_get_string_member(o, "summary"),
                                   "Acme Trust Services: Misissuance reported"));
    json_object_unref(o);
    o = NULL;

    /* security-sensitive: the other component, and the security group */
    sqlite3_stmt *st = store_prepare(f.store, "UPDATE cases SET security_sensitive = 1 WHERE id = ?",
                                     NULL);
    sqlite3_bind_int64(st, 1, case_id);
    g_assert_true(store_step_done(f.store, st, NULL));
    g_free(json);
    json = render(&f, case_id, DRAFT_BUGZILLA_JSON, DRAFT_NOW, &error);
    g_assert_no_error(error);
    g_free(text);
    text = json_text(json, &o);
    g_assert_cmpstr(json_object_get_string_member(o, "component"), ==, "CA Security Vulnerability");
    JsonArray *groups = json_object_get_array_member(o, "groups");
    g_assert_nonnull(groups);
    g_assert_cmpuint(json_array_get_length(groups), ==, 1);
    g_assert_cmpstr(json_array_get_string_element(groups, 0), ==, "ca-program-security");
    json_object_unref(o);
    fixture_close(&f);
}

/* ---- consent ------------------------------------------------------------- */

static void test_consent(void)
{
    Fixture f;
    fixture_open(&f, "consent.db");
    gint case_id = GPOINTER_TO_INT(g_hash_table_lookup(f.case_of, "002-kc-followup.eml"));
    g_assert_cmpint(case_id, ==, GPOINTER_TO_INT(g_hash_table_lookup(f.case_of,
                                                                     "001-kc-csr-proof.eml")));
    GError *error = NULL;
    g_autofree char *before = render(&f, case_id, DRAFT_MARKDOWN, DRAFT_NOW, &error);
    g_assert_no_error(error);
    g_assert_false(folded_word_in(before, "Rafferty"));

    /* validation: bad address, missing evidence, unknown revocation */
    g_assert_false(consent_grant(f.store, "not-an-address", NULL, "x", "t", DRAFT_NOW, &error));
    g_assert_error(error, CPR_ERROR, CPR_ERROR_INPUT);
    g_clear_error(&error);
    g_assert_false(consent_grant(f.store, "a@b.example", NULL, "  ", "t", DRAFT_NOW, &error));
    g_assert_error(error, CPR_ERROR, CPR_ERROR_INPUT);
    g_clear_error(&error);
    g_assert_false(consent_revoke(f.store, "nobody@nowhere.example", "t", DRAFT_NOW, &error));
    g_assert_error(error, CPR_ERROR, CPR_ERROR_INPUT);
    g_clear_error(&error);
    const char *bad[] = {"", "@x.example", "a@", "a@b", "a b@c.example", "a@b..example",
                         "a@-b.example", "a@@b.example", "<a@b.example>", ".a@b.example"};
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++)
        g_assert_false(consent_email_valid(bad[i]));
    g_assert_true(consent_email_valid("cosima.vh+cpr@brightfern.example"));

    /* grant (name taken from the mail) -> named */
    g_assert_true(consent_grant(f.store, "Rafferty@Tidepool-Sec.example", NULL,
                                "reply of 2025-05-13 <abc@tidepool-sec.example>", "alice",
                                DRAFT_NOW, &error));
    g_assert_no_error(error);
    g_autofree char *named = render(&f, case_id, DRAFT_MARKDOWN, DRAFT_NOW, &error);
    g_assert_no_error(error);
    g_assert_nonnull(strstr(named, "It was reported by Rafferty Nakagawa-Bell."));
    g_autofree char *named_json = render(&f, case_id, DRAFT_BUGZILLA_JSON, DRAFT_NOW, &error);
    g_assert_no_error(error);
    g_assert_nonnull(strstr(named_json, "Rafferty Nakagawa-Bell"));
    /* another case's reporter stays a community member */
    gint other = GPOINTER_TO_INT(g_hash_table_lookup(f.case_of, "003-misissuance-pem-attachment.eml"));
    g_autofree char *other_md = render(&f, other, DRAFT_MARKDOWN, DRAFT_NOW, &error);
    g_assert_no_error(error);
    g_assert_false(folded_word_in(other_md, "Torvald"));
    g_assert_nonnull(strstr(other_md, "a community member"));

    /* a --name given with the consent wins */
    g_assert_true(consent_grant(f.store, "rafferty@tidepool-sec.example", "R. Nakagawa-Bell",
                                "phone call 2025-05-14", "alice", DRAFT_NOW, &error));
    g_autofree char *renamed = render(&f, case_id, DRAFT_MARKDOWN, DRAFT_NOW, &error);
    g_assert_no_error(error);
    g_assert_nonnull(strstr(renamed, "It was reported by R. Nakagawa-Bell."));

    /* revoke -> redacted again */
    g_assert_true(consent_revoke(f.store, "rafferty@tidepool-sec.example", "bob", DRAFT_NOW + 60,
                                 &error));
    g_assert_no_error(error);
    g_autofree char *after = render(&f, case_id, DRAFT_MARKDOWN, DRAFT_NOW + 60, &error);
    g_assert_no_error(error);
    g_assert_false(folded_word_in(after, "Rafferty"));
    g_assert_false(folded_word_in(after, "Nakagawa"));
    g_assert_nonnull(strstr(after, "a community member"));
    g_assert_false(consent_revoke(f.store, "rafferty@tidepool-sec.example", "bob", DRAFT_NOW,
                                  &error));
    g_assert_error(error, CPR_ERROR, CPR_ERROR_INPUT);
    g_clear_error(&error);

    /* the registry and its audit trail */
    g_autoptr(GPtrArray) list = consent_list(f.store, &error);
    g_assert_cmpuint(list->len, ==, 1);
    const ConsentEntry *e = g_ptr_array_index(list, 0);
    g_assert_cmpstr(e->email, ==, "rafferty@tidepool-sec.example");
    g_assert_cmpint(e->revoked_at, ==, DRAFT_NOW + 60);
    g_auto(GStrv) active = consent_active_emails(f.store, &error);
    g_assert_cmpuint(g_strv_length(active), ==, 0);
    g_assert_cmpint(count(f.store, "SELECT count(*) FROM events WHERE type='consent_granted'"), ==,
                    2);
    g_assert_cmpint(count(f.store, "SELECT count(*) FROM events WHERE type='consent_revoked' AND "
                                   "actor='bob' AND details LIKE '%rafferty@tidepool-sec.example%'"),
                    ==, 1);
    g_assert_true(audit_verify(f.store, NULL, &error));
    g_assert_no_error(error);
    fixture_close(&f);
}

/* ---- templates ----------------------------------------------------------- */

/* The lines of `text` that are markdown headings (after optional spaces). */
static GPtrArray *headings(const char *text)
{
    GPtrArray *h = g_ptr_array_new_with_free_func(g_free);
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    for (gsize i = 0; lines[i]; i++) {
        const char *l = lines[i];
        while (*l == ' ')
            l++;
        if (*l == '#')
            g_ptr_array_add(h, g_strdup(g_strchomp(lines[i])));
    }
    return h;
}

/* The markdown of a template file: everything after the "---" header line. */
static char *template_body(const char *version)
{
    g_autofree char *path = g_strdup_printf(TEMPLATES "/ccadb-preliminary-%s.md", version);
    g_autofree char *data = NULL;
    g_assert_true(g_file_get_contents(path, &data, NULL, NULL));
    const char *body = strstr(data, "\n---\n");
    g_assert_nonnull(body);
    return g_strdup(body + 5);
}

/* Every literal part of the template (between placeholders) appears in the
 * draft, in order: the CCADB text is kept verbatim. */
static void assert_template_skeleton(const char *draft, const char *body)
{
    const char *pos = draft;
    const char *p = body;
    while (*p) {
        const char *open = strstr(p, "{{");
        g_autofree char *chunk = open ? g_strndup(p, open - p) : g_strdup(p);
        if (*chunk) {
            const char *found = strstr(pos, chunk);
            if (!found)
                g_test_message("template text missing or out of order: [%s]", chunk);
            g_assert_nonnull(found);
            if (!found)
                return;
            pos = found + strlen(chunk);
        }
        if (!open)
            break;
        p = strstr(open, "}}") + 2;
    }
}

static void assert_in_order(const char *text, const char *const *needles)
{
    const char *pos = text;
    for (gsize i = 0; needles[i]; i++) {
        const char *found = strstr(pos, needles[i]);
        if (!found)
            g_test_message("missing or out of order: %s", needles[i]);
        g_assert_nonnull(found);
        if (!found)
            return;
        pos = found + strlen(needles[i]);
    }
}

static void test_templates(void)
{
    Fixture f;
    fixture_open(&f, "templates.db");
    gint case_id = GPOINTER_TO_INT(g_hash_table_lookup(f.case_of, "001-kc-csr-proof.eml"));
    GError *error = NULL;

    /* default: the newest (3.2) */
    g_autofree char *v32 = render(&f, case_id, DRAFT_MARKDOWN, DRAFT_NOW, &error);
    g_assert_no_error(error);
    g_autofree char *body32 = template_body("3.2");
    g_autoptr(GPtrArray) h32 = headings(v32);
    g_autoptr(GPtrArray) want32 = headings(body32);
    g_assert_cmpuint(h32->len, ==, 2);
    g_assert_cmpuint(h32->len, ==, want32->len);
    for (guint i = 0; i < h32->len && i < want32->len; i++)
        g_assert_cmpstr(g_ptr_array_index(h32, i), ==, g_ptr_array_index(want32, i));
    g_assert_cmpstr(g_ptr_array_index(h32, 0), ==, "## Preliminary Incident Report");
    g_assert_cmpstr(g_ptr_array_index(h32, 1), ==, "### Summary");
    assert_template_skeleton(v32, body32);
    const char *fields32[] = {"## Preliminary Incident Report\n", "### Summary\n",
                              "- **Incident description:** ", "- **Relevant policies:** ",
                              "- **Source of incident disclosure:** Third Party Reported", NULL};
    assert_in_order(v32, fields32);
    g_assert_true(g_str_has_prefix(v32, "## Preliminary Incident Report\n"));
    g_assert_null(strstr(v32, "{{"));
    g_assert_null(strstr(v32, "When is the Full Incident Report expected by"));
    g_assert_nonnull(strstr(v32, "(BR) section 4.9.1.1 (revocation within 24 hours"));
    g_assert_nonnull(strstr(v32, "BR section 4.9.5"));
    g_assert_nonnull(strstr(v32, "2025-05-12T13:03:18Z (UTC)"));
    g_assert_nonnull(strstr(v32, "https://crt.sh/?id=12146349238"));
    g_assert_nonnull(strstr(v32, "https://crt.sh/?serial=685192f131280555404e8d8fed6066dcf3a8"));
    g_assert_nonnull(strstr(v32, "**Affected certificates (1):**"));

    /* 2.1 by configuration, while it may still be used */
    g_free(cfg->drafts_template_version);
    cfg->drafts_template_version = g_strdup("2.1");
    g_autofree char *v21 = render(&f, case_id, DRAFT_MARKDOWN, DRAFT_NOW, &error);
    g_assert_no_error(error);
    g_autofree char *body21 = template_body("2.1");
    g_autoptr(GPtrArray) h21 = headings(v21);
    g_autoptr(GPtrArray) want21 = headings(body21);
    g_assert_cmpuint(h21->len, ==, want21->len);
    for (guint i = 0; i < h21->len && i < want21->len; i++)
        g_assert_cmpstr(g_ptr_array_index(h21, i), ==, g_ptr_array_index(want21, i));
    assert_template_skeleton(v21, body21);
    const char *fields21[] = {"## Preliminary Incident Report\n", "### Summary\n", "<!---",
                              "-->", "- **Incident description**: ", "- **Relevant policies**: ",
                              "- **When is the Full Incident Report expected by?**: "
                              "2025-05-26T13:03:18Z at the latest",
                              NULL};
    assert_in_order(v21, fields21);
    g_assert_null(strstr(v21, "Source of incident disclosure"));
    /* the guidance comment is the template's only HTML comment */
    g_assert_cmpstr(strstr(v21, "<!--"), ==, strstr(v21, "<!---"));
    g_assert_null(strstr(strstr(v21, "<!---") + 1, "<!--"));
    g_assert_null(strstr(strstr(v21, "-->") + 1, "-->"));

    /* declared an incident, aware from a time: the Full Incident Report is
     * due 14 days after it */
    g_assert_true(store_begin(f.store, &error));
    g_assert_true(obligations_set_incident(f.store, case_id, INCIDENT_YES, NULL,
                                           1747216800 /* 2025-05-14T10:00:00Z */, "test",
                                           1747216800, &error));
    g_assert_true(store_commit(f.store, &error));
    g_autofree char *disclosed = render(&f, case_id, DRAFT_MARKDOWN, DRAFT_NOW, &error);
    g_assert_no_error(error);
    g_assert_nonnull(strstr(disclosed, "expected by?**: 2025-05-28T10:00:00Z (14 days after"));

    /* 2.1 may be used for 30 days after 3.2 took effect, not after */
    gint64 last_ok = V32_EFFECTIVE + 30 * DAY;
    g_autofree char *edge = render(&f, case_id, DRAFT_MARKDOWN, last_ok, &error);
    g_assert_no_error(error);
    g_assert_nonnull(edge);
    g_autofree char *refused = render(&f, case_id, DRAFT_MARKDOWN, last_ok + 1, &error);
    g_assert_null(refused);
    g_assert_error(error, CPR_ERROR, CPR_ERROR_CONFIG);
    if (error) {
        g_assert_nonnull(strstr(error->message, "2.1"));
        g_assert_nonnull(strstr(error->message, "3.2"));
        g_assert_nonnull(strstr(error->message, "2026-03-20"));
        g_assert_nonnull(strstr(error->message, "2026-04-19"));
    }
    g_clear_error(&error);
    /* ... while 3.2 is fine then */
    g_free(cfg->drafts_template_version);
    cfg->drafts_template_version = g_strdup("3.2");
    g_autofree char *later = render(&f, case_id, DRAFT_MARKDOWN, last_ok + 1, &error);
    g_assert_no_error(error);
    g_assert_nonnull(later);

    /* an unknown version names what there is */
    g_free(cfg->drafts_template_version);
    cfg->drafts_template_version = g_strdup("9.9");
    g_autofree char *none = render(&f, case_id, DRAFT_MARKDOWN, DRAFT_NOW, &error);
    g_assert_null(none);
    g_assert_error(error, CPR_ERROR, CPR_ERROR_CONFIG);
    if (error)
        g_assert_nonnull(strstr(error->message, "2.1, 3.2"));
    g_clear_error(&error);
    g_clear_pointer(&cfg->drafts_template_version, g_free);

    /* a template directory of one's own; a template with a hole is refused */
    g_autofree char *dir = g_build_filename(tmpdir, "templates", NULL);
    g_assert_cmpint(g_mkdir_with_parents(dir, 0700), ==, 0);
    g_autofree char *tp = g_build_filename(dir, "ccadb-preliminary-4.0.md", NULL);
    g_assert_true(g_file_set_contents(tp, "version: 4.0\neffective: 2027-01-01\n---\n"
                                          "## Preliminary Incident Report\n{{no_such_field}}\n",
                                      -1, NULL));
    cfg->drafts_template_dir = g_strdup(dir);
    g_autofree char *holed = render(&f, case_id, DRAFT_MARKDOWN, DRAFT_NOW, &error);
    g_assert_null(holed);
    g_assert_error(error, CPR_ERROR, CPR_ERROR_CONFIG);
    if (error)
        g_assert_nonnull(strstr(error->message, "no_such_field"));
    g_clear_error(&error);
    g_clear_pointer(&cfg->drafts_template_dir, g_free);

    /* N/A: a case without any certificate identified (the Bugzilla comment) */
    gint bug = GPOINTER_TO_INT(g_hash_table_lookup(f.case_of, "009-bugzilla-acme-comment.eml"));
    g_autofree char *na = render(&f, bug, DRAFT_MARKDOWN, DRAFT_NOW, &error);
    g_assert_no_error(error);
    g_assert_nonnull(strstr(na, "**Affected certificates:** N/A"));
    g_assert_nonnull(strstr(na, "certificates not yet identified"));
    fixture_close(&f);
}

/* ---- hostile text from mail ---------------------------------------------- */

static void test_hostile(void)
{
    Fixture f;
    fixture_open(&f, "hostile.db");
    gint64 case_id = 0;
    ingest_fixture(f.store, HOSTILE, &case_id);
    g_assert_cmpint(case_id, >, 0);
    GError *error = NULL;
    for (int v = 0; v < 2; v++) {
        cfg->drafts_template_version = g_strdup(v == 0 ? "3.2" : "2.1");
        g_autofree char *md = render(&f, case_id, DRAFT_MARKDOWN, DRAFT_NOW, &error);
        g_autofree char *body = template_body(cfg->drafts_template_version);
        g_clear_pointer(&cfg->drafts_template_version, g_free);
        g_assert_no_error(error);
        g_assert_nonnull(md);
        if (!md)
            continue;
        /* the excerpt made it in... */
        g_assert_nonnull(strstr(md, "Excerpt of the report"));
        g_assert_nonnull(strstr(md, "Everything is fine"));
        /* ... and added no structure */
        g_autoptr(GPtrArray) got = headings(md);
        g_autoptr(GPtrArray) want = headings(body);
        g_assert_cmpuint(got->len, ==, want->len);
        const char *inert[] = {"```", "~~~", "<script", "<img", "](http://evil)", "![", "[x]",
                               "\n---", "\n===", "\u202e"};
        for (gsize i = 0; i < G_N_ELEMENTS(inert); i++) {
            if (strstr(md, inert[i]))
                g_test_message("'%s' is live in the draft", inert[i]);
            g_assert_null(strstr(md, inert[i]));
        }
        /* "<!--" and "-->" only as many times as the template has them */
        const char *marks[] = {"<!--", "-->"};
        for (gsize i = 0; i < G_N_ELEMENTS(marks); i++) {
            guint in_md = 0, in_body = 0;
            for (const char *p = strstr(md, marks[i]); p; p = strstr(p + 1, marks[i]))
                in_md++;
            for (const char *p = strstr(body, marks[i]); p; p = strstr(p + 1, marks[i]))
                in_body++;
            g_assert_cmpuint(in_md, ==, in_body);
        }
        /* every excerpt line stays inside the block quote */
        g_auto(GStrv) lines = g_strsplit(md, "\n", -1);
        gboolean in_excerpt = FALSE;
        for (gsize i = 0; lines[i]; i++) {
            if (strstr(lines[i], "Excerpt of the report")) {
                in_excerpt = TRUE;
                continue;
            }
            if (in_excerpt && lines[i][0] == '\0')
                continue;
            if (in_excerpt && !g_str_has_prefix(lines[i], "    >"))
                in_excerpt = FALSE;
            if (in_excerpt)
                g_assert_true(lines[i][5] == '\0' || lines[i][5] == ' ');
        }
        /* the reporter is redacted (name, address, phone) */
        g_assert_false(folded_word_in(md, "Quillan"));
        g_assert_false(folded_word_in(md, "Oyelaran"));
        g_assert_null(strstr(md, "hexfield.example"));
        g_assert_null(strstr(md, "7946"));
        g_assert_nonnull(strstr(md, "3f9a21c4770be8516d2a90145ce3b708"));
    }
    g_autofree char *json = render(&f, case_id, DRAFT_BUGZILLA_JSON, DRAFT_NOW, &error);
    g_assert_no_error(error);
    JsonObject *o = NULL;
    g_autofree char *text = json_text(json, &o);
    g_assert_nonnull(text);
    if (o) {
        g_assert_nonnull(strstr(json_object_get_string_member(o, "description"),
                                "Everything is fine"));
        /* the summary is built from data, never from the subject */
        g_assert_null(strstr(json_object_get_string_member(o, "summary"), "script"));
        json_object_unref(o);
    }
    fixture_close(&f);
}

/* ---- the leak check fails closed ------------------------------------------ */

static void test_leak_unit(void)
{
    IdentitySet *set = identity_set_new();
    identity_set_add(set, "Rafferty Nakagawa-Bell", "rafferty@tidepool-sec.example");
    const char *text = "Reported by RAFFERTY NAKAGAWA BELL (rafferty at tidepool-sec dot example);"
                       " serial 68:51:92:f1:31:28:05:55:40:4e:8d:8f:ed:60:66:dc:f3:a8";
    GError *error = NULL;
    g_autofree char *red = redact_text(set, text, NULL, &error);
    g_assert_no_error(error);
    g_assert_false(folded_word_in(red, "Nakagawa"));
    g_assert_true(redact_check(set, red, NULL, "case 1 draft markdown", &error));
    g_assert_no_error(error);
    /* the raw name fed to the check: refused, without naming it */
    g_autofree char *raw = g_strdup_printf("%s\n- **Incident description:** from Nakagawa-Bell",
                                           red);
    g_assert_false(redact_check(set, raw, NULL, "case 1 draft markdown", &error));
    g_assert_error(error, CPR_ERROR, CPR_ERROR_LEAK);
    if (error) {
        g_assert_nonnull(strstr(error->message, "case 1 draft markdown"));
        g_assert_false(folded_word_in(error->message, "Nakagawa"));
        g_assert_false(folded_word_in(error->message, "Bell"));
    }
    g_clear_error(&error);
    identity_set_free(&set);
}

/* A consented reporter's chosen name shares a token with a person who has
 * not consented (same case, in Cc): the draft is refused and audited. */
static void test_leak_draft(void)
{
    Fixture f;
    fixture_open(&f, "leak.db");
    gint case_id = GPOINTER_TO_INT(g_hash_table_lookup(f.case_of,
                                                       "012-misissuance-backdated-cc.eml"));
    GError *error = NULL;
    g_assert_true(consent_grant(f.store, "leocadia@wynstanley.example", "Leocadia Ferris",
                                "email of 2025-06-10", "alice", DRAFT_NOW, &error));
    g_assert_no_error(error);
    gint64 events_before = count(f.store, "SELECT count(*) FROM events");
    for (int fmt = DRAFT_MARKDOWN; fmt <= DRAFT_BUGZILLA_JSON; fmt++) {
        g_autofree char *out = render(&f, case_id, (DraftFormat)fmt, DRAFT_NOW, &error);
        g_assert_null(out);
        g_assert_error(error, CPR_ERROR, CPR_ERROR_LEAK);
        if (error) {
            g_test_message("%s", error->message);
            g_assert_nonnull(strstr(error->message, "CPR-2025-0008"));
            g_assert_nonnull(strstr(error->message,
                                    fmt == DRAFT_MARKDOWN ? "markdown" : "bugzilla-json"));
            g_assert_false(folded_word_in(error->message, "Ferris"));
            g_assert_false(folded_word_in(error->message, "Idris"));
            g_assert_false(folded_word_in(error->message, "Leocadia"));
        }
        g_clear_error(&error);
    }
    g_assert_cmpint(count(f.store, "SELECT count(*) FROM events"), ==, events_before + 2);
    g_autofree char *sql = g_strdup_printf(
        "SELECT count(*) FROM events WHERE type='leak_blocked' AND case_id=%d AND actor='drafts' "
        "AND details LIKE '%%CPR-2025-0008 draft markdown%%' AND details NOT LIKE '%%Ferris%%'",
        case_id);
    g_assert_cmpint(count(f.store, sql), ==, 1);
    g_assert_true(audit_verify(f.store, NULL, &error));
    g_assert_no_error(error);

    /* with the name as the reporter writes it, the draft goes out */
    g_assert_true(consent_grant(f.store, "leocadia@wynstanley.example", NULL,
                                "email of 2025-06-10", "alice", DRAFT_NOW, &error));
    g_autofree char *ok = render(&f, case_id, DRAFT_MARKDOWN, DRAFT_NOW, &error);
    g_assert_no_error(error);
    g_assert_nonnull(ok);
    if (ok) {
        g_assert_true(folded_word_in(ok, "Leocadia Wynstanley"));
        g_assert_false(folded_word_in(ok, "Idris"));
        g_assert_false(folded_word_in(ok, "Kolawole"));
    }
    fixture_close(&f);
}

static void test_unknown_case(void)
{
    Fixture f;
    fixture_open(&f, "unknown.db");
    GError *error = NULL;
    g_autofree char *out = render(&f, 999, DRAFT_MARKDOWN, DRAFT_NOW, &error);
    g_assert_null(out);
    g_assert_error(error, CPR_ERROR, CPR_ERROR_INPUT);
    g_clear_error(&error);
    fixture_close(&f);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_set_nonfatal_assertions();
    g_mime_init();
    tmpdir = tu_tmpdir_new("cpr-drafts");
    cfg = tu_load_config("conf/samples.conf");
    g_test_add_func("/drafts/samples", test_samples);
    g_test_add_func("/drafts/bugzilla-fields", test_bugzilla_fields);
    g_test_add_func("/drafts/consent", test_consent);
    g_test_add_func("/drafts/templates", test_templates);
    g_test_add_func("/drafts/hostile", test_hostile);
    g_test_add_func("/drafts/leak-unit", test_leak_unit);
    g_test_add_func("/drafts/leak-draft", test_leak_draft);
    g_test_add_func("/drafts/unknown-case", test_unknown_case);
    int rc = g_test_run();
    config_free(&cfg);
    tu_tmpdir_remove(tmpdir);
    g_mime_shutdown();
    return rc;
}
